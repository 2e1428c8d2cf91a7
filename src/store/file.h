/*
 * file.h: what file.c (objects) and file_ref.c (refs) of the filesystem
 * backend share. One backend serves both a project's local store
 * (.datom/store/) and any path or file:/// URL, local or on a shared mount.
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
 */
#ifndef DT_STORE_FILE_H
#define DT_STORE_FILE_H

#include <sys/stat.h>

#include "store/store.h"

typedef struct file_store {
    datom_store head;
    char *root; /* no trailing '/' */
    char *tmp;  /* ROOT/.datom-internal/tmp */
    char *refs; /* ROOT/.datom-internal/refs */
    char *logs; /* ROOT/.datom-internal/logs */
} file_store;

/* NAME (a ref or log name) as one directory entry: '/' and '%' escaped,
 * long names shortened with their SHA-256 (see above). */
char *dt_file_escape_name(const char *name);

/* A new temporary file in fs->tmp, opened for writing; *path_out is freed by the caller. */
int dt_file_tmp_open(file_store *fs, const char *what, char **path_out, int *fd_out);
int64_t dt_file_mtime_ms(const struct stat *sb);

int dt_file_ref_get(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info);
int dt_file_ref_cas(datom_store *st, const char *name, const char *expected, const void *value,
                    size_t len, dt_ref_info *info_out);
int dt_file_ref_del(datom_store *st, const char *name, const char *expected);

int dt_file_log_read(datom_store *st, const char *name, uint64_t off, dt_buf *out, uint64_t *size_out);
int dt_file_log_append(datom_store *st, const char *name, uint64_t expected, const void *p, size_t n);
int dt_file_log_truncate(datom_store *st, const char *name, uint64_t expected, uint64_t size);

#endif /* DT_STORE_FILE_H */
