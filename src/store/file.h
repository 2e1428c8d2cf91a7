/*
 * file.h: what the files of the filesystem backend share: file.c (objects),
 * file_ref.c (refs), file_log.c (append-only logs) and file_path.c (how a
 * path under the root is reached).
 * One backend serves both a project's local store (.datom/store/) and any
 * path or file:/// URL, local or on a shared mount.
 *
 * Layout under ROOT:
 *   ROOT/<key>                          each object, at its key exactly
 *   ROOT/.datom-internal/tmp/           temporary files (same filesystem)
 *   ROOT/.datom-internal/refs/<name>/   one directory per ref ('/' and '%' in
 *                                       the name escaped as %2F and %25; a
 *                                       name over 200 bytes escaped becomes
 *                                       its first 150, '~' and its SHA-256),
 *                                       holding numbered version files
 *   ROOT/.datom-internal/logs/<name>    one file per append-only log, named
 *                                       as a ref's directory is
 *
 * Invariants:
 *  (1) No symbolic link below ROOT is ever followed: every path is walked from
 *      the root's directory one part at a time with openat(O_NOFOLLOW), and
 *      every change is made relative to the directory so reached (renameat,
 *      unlinkat, linkat), so a link made before or during an operation cannot
 *      lead it outside ROOT. ROOT itself is resolved as given (it may be a link).
 *  (2) Reading changes nothing: the internal directories are made by the
 *      first write that needs them, and leftovers are swept by writers only.
 */
#ifndef DT_STORE_FILE_H
#define DT_STORE_FILE_H

#include <sys/stat.h>

#include "store/store.h"

#define DT_FILE_TMP_DIR DT_STORE_RESERVED "/tmp"
#define DT_FILE_REFS_DIR DT_STORE_RESERVED "/refs"
#define DT_FILE_LOGS_DIR DT_STORE_RESERVED "/logs"

typedef struct file_store {
    datom_store head;
    char *root;  /* no trailing '/' */
    bool swept;  /* this handle has looked for old leftovers in tmp/ */
} file_store;

/* ---- file_path.c ---- */

/* Opens the directory DIR below the root (the first LEN bytes of a
 * '/'-separated path; LEN 0: the root itself) following no link (invariant
 * 1); with MAKE, missing directories are made. Returns 0 and *fd_out, or a
 * positive errno: ENOENT (a part is missing), ENOTDIR (a part is a file),
 * ELOOP (a part is a symbolic link), or that of the failing system call;
 * *bad_len (may be NULL) then gets the length of DIR through the part that
 * failed. Records no error message: callers say what the failure means. */
int dt_file_dir_open(file_store *fs, const char *dir, size_t len, bool make, int *fd_out,
                     size_t *bad_len);
/* Reports ERR, a failure of dt_file_dir_open (or of a call on the last part,
 * BAD_LEN then strlen(PATH)) on the way to PATH, for the operation WHAT
 * ("get", "put"...): a missing part or a link is DATOM_ENOTFOUND for a read
 * (no such object), a link is DATOM_EINVAL for a WRITE, and a file where a
 * directory should be is DATOM_EEXISTS (a parent of the key is an object). */
int dt_file_walk_error(file_store *fs, const char *path, int err, size_t bad_len,
                       const char *what, bool write);

/* A temporary file in ROOT/.datom-internal/tmp, open for writing. */
typedef struct file_tmp {
    int dirfd;     /* the tmp directory */
    int fd;        /* the file, -1 once closed */
    char name[96]; /* its name in dirfd, "" once it is gone (renamed or removed) */
} file_tmp;
/* Makes the temporary directory if missing (and, once per handle, removes
 * leftovers there older than a day). */
int dt_file_tmp_open(file_store *fs, const char *what, file_tmp *t);
/* Closes what is open and removes the file unless it was renamed away. */
void dt_file_tmp_discard(file_tmp *t);
/* The path of T, for messages (caller frees). */
char *dt_file_tmp_path(const file_store *fs, const file_tmp *t);

int64_t dt_file_mtime_ms(const struct stat *sb);

/* ---- file_ref.c ---- */
/* NAME (a ref or log name) as one directory entry: '/' and '%' escaped,
 * long names shortened with their SHA-256 (see above). */
char *dt_file_escape_name(const char *name);
int dt_file_ref_get(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info);
int dt_file_ref_cas(datom_store *st, const char *name, const char *expected, const void *value,
                    size_t len, dt_ref_info *info_out);
int dt_file_ref_del(datom_store *st, const char *name, const char *expected);

/* ---- file_log.c ---- */
int dt_file_log_read(datom_store *st, const char *name, uint64_t off, dt_buf *out, uint64_t *size_out);
int dt_file_log_append(datom_store *st, const char *name, uint64_t expected, const void *p, size_t n);
int dt_file_log_truncate(datom_store *st, const char *name, uint64_t expected, uint64_t size);

#endif /* DT_STORE_FILE_H */
