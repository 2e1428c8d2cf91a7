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
} file_store;

/* A new temporary file in fs->tmp, opened for writing; *path_out is freed by the caller. */
int dt_file_tmp_open(file_store *fs, const char *what, char **path_out, int *fd_out);
int64_t dt_file_mtime_ms(const struct stat *sb);

int dt_file_ref_get(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info);
int dt_file_ref_cas(datom_store *st, const char *name, const char *expected, const void *value,
                    size_t len, dt_ref_info *info_out);
int dt_file_ref_del(datom_store *st, const char *name, const char *expected);

#endif /* DT_STORE_FILE_H */
