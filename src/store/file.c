/*
 * file.c: the filesystem store backend, objects part (refs are in file_ref.c).
 *
 * An object is written to a temporary file under ROOT/.datom-internal/tmp
 * (same filesystem), fsynced, renamed to ROOT/<key>, and the directory is
 * fsynced: a reader, or a crash at any instant, sees the old state or the
 * whole new object, never a part. Leftover temporary files (from a killed
 * writer) sit only in the internal directory, which listings skip; files
 * there older than a day are removed when a store is opened.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/file.h"

#define IO_CHUNK (1u << 20)
#define TMP_MAX_AGE_S (24 * 3600)

struct dt_store_writer {
    file_store *fs;
    char *tmp;
    int fd;
};

int64_t dt_file_mtime_ms(const struct stat *sb)
{
    return (int64_t)sb->st_mtim.tv_sec * 1000 + sb->st_mtim.tv_nsec / 1000000;
}

int dt_file_tmp_open(file_store *fs, const char *what, char **path_out, int *fd_out)
{
    char *path = dt_sprintf("%s/%s.%ld.XXXXXX", fs->tmp, what, (long)getpid());
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        int rc = dt_error_errno(errno, "%s: temporary file %s", fs->head.url, path);
        free(path);
        return rc;
    }
    fchmod(fd, 0644);
    *path_out = path;
    *fd_out = fd;
    return 0;
}

static char *key_path(file_store *fs, const char *key) { return dt_path_join(fs->root, key); }

/* ---- writing ---- */

static int file_writer_open(datom_store *st, dt_store_writer **out)
{
    file_store *fs = (file_store *)st;
    dt_store_writer *w = dt_calloc(1, sizeof *w);
    w->fs = fs;
    int rc = dt_file_tmp_open(fs, "put", &w->tmp, &w->fd);
    if (rc) {
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static int file_writer_write(dt_store_writer *w, const void *p, size_t n)
{
    if (dt_fs_write_all(w->fd, p, n) != 0)
        return dt_error_errno(errno, "%s: write %s", w->fs->head.url, w->tmp);
    return 0;
}

static void file_writer_abort(dt_store_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    unlink(w->tmp);
    free(w->tmp);
    free(w);
}

/* Renames TMP to PATH, making its directories; retries when a concurrent
 * delete removes an emptied parent directory in between. */
static int publish(file_store *fs, const char *key, const char *tmp, const char *path)
{
    char *dir = dt_path_dirname(path);
    int rc = 0;
    for (int tries = 0;; tries++) {
        if ((rc = dt_fs_mkdirs(dir, 0755))) {
            rc = dt_error(DATOM_EEXISTS, "%s: cannot put %s: a parent of it is an object",
                          fs->head.url, key);
            break;
        }
        if (rename(tmp, path) == 0) {
            rc = dt_fs_fsync_dir(dir);
            break;
        }
        if (errno == ENOENT && tries < 8)
            continue;
        rc = errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST
                 ? dt_error(DATOM_EEXISTS, "%s: cannot put %s: objects exist under it as a prefix",
                            fs->head.url, key)
                 : dt_error_errno(errno, "%s: put %s", fs->head.url, key);
        break;
    }
    free(dir);
    return rc;
}

static int file_writer_commit(dt_store_writer *w, const char *key)
{
    file_store *fs = w->fs;
    int rc = 0;
    if (fsync(w->fd) != 0)
        rc = dt_error_errno(errno, "%s: fsync %s", fs->head.url, w->tmp);
    if (close(w->fd) != 0 && rc == 0)
        rc = dt_error_errno(errno, "%s: close %s", fs->head.url, w->tmp);
    w->fd = -1;
    if (rc == 0) {
        char *path = key_path(fs, key);
        rc = publish(fs, key, w->tmp, path);
        free(path);
    }
    file_writer_abort(w); /* removes the temporary file if it is still there */
    return rc;
}

/* ---- reading ---- */

static int open_object(file_store *fs, const char *key, int *fd_out, uint64_t *size_out)
{
    char *path = key_path(fs, key);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int err = errno;
    free(path);
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        *fd_out = fd;
        *size_out = (uint64_t)sb.st_size;
        return 0;
    }
    if (fd >= 0) {
        close(fd);
        err = ENOENT; /* a directory: only a prefix of keys, not an object */
    }
    if (err == ENOENT || err == ENOTDIR)
        return dt_error(DATOM_ENOTFOUND, "%s: %s: no such object", fs->head.url, key);
    return dt_error_errno(err, "%s: %s", fs->head.url, key);
}

static int file_get(datom_store *st, const char *key, uint64_t off, uint64_t len, dt_sink sink)
{
    file_store *fs = (file_store *)st;
    int fd;
    uint64_t size;
    int rc = open_object(fs, key, &fd, &size);
    if (rc)
        return rc;
    if (off > size) {
        close(fd);
        return dt_error(DATOM_EINVAL, "%s: %s: offset %llu is past the end (%llu bytes)", st->url,
                        key, (unsigned long long)off, (unsigned long long)size);
    }
    uint64_t left = DT_MIN(len, size - off);
    posix_fadvise(fd, (off_t)off, (off_t)left, POSIX_FADV_SEQUENTIAL);
    size_t cap = (size_t)DT_MIN(left, (uint64_t)IO_CHUNK);
    uint8_t *buf = dt_malloc(cap ? cap : 1);
    while (rc == 0 && left > 0) {
        ssize_t n = pread(fd, buf, (size_t)DT_MIN(left, (uint64_t)cap), (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = dt_error_errno(errno, "%s: read %s", st->url, key);
        else if (n == 0)
            rc = dt_error(DATOM_ECORRUPT, "%s: %s: shorter than its size", st->url, key);
        else {
            rc = dt_sink_write(sink, buf, (size_t)n);
            off += (uint64_t)n;
            left -= (uint64_t)n;
        }
    }
    free(buf);
    close(fd);
    return rc;
}

static int file_stat(datom_store *st, const char *key, uint64_t *size_out)
{
    int fd;
    int rc = open_object((file_store *)st, key, &fd, size_out);
    if (rc == 0)
        close(fd);
    return rc;
}

static int file_del(datom_store *st, const char *key)
{
    file_store *fs = (file_store *)st;
    char *path = key_path(fs, key);
    struct stat sb;
    int rc = 0;
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        rc = dt_error(DATOM_ENOTFOUND, "%s: %s: no such object", st->url, key);
    else if (unlink(path) != 0)
        rc = errno == ENOENT ? dt_error(DATOM_ENOTFOUND, "%s: %s: no such object", st->url, key)
                             : dt_error_errno(errno, "%s: delete %s", st->url, key);
    /* Remove emptied parents (rmdir refuses non-empty ones; puts retry). */
    size_t rootlen = strlen(fs->root);
    for (char *slash; rc == 0 && (slash = strrchr(path, '/')) && (size_t)(slash - path) > rootlen;) {
        *slash = '\0';
        if (rmdir(path) != 0)
            break;
    }
    free(path);
    return rc;
}

/* ---- listing ---- */

typedef struct walk {
    file_store *fs;
    const char *prefix, *start_after;
    dt_strv *keys;
} walk;

/* Could a key under the directory KEYDIR ("a/b/") match and come after start_after? */
static bool dir_wanted(const walk *w, const char *keydir)
{
    size_t n = strlen(keydir), pl = strlen(w->prefix);
    size_t m = DT_MIN(n, pl);
    if (strncmp(keydir, w->prefix, m))
        return false;
    if (!w->start_after || strncmp(w->start_after, keydir, n) == 0)
        return true;
    return strcmp(keydir, w->start_after) > 0;
}

static int walk_dir(walk *w, const char *keydir)
{
    char *dir = *keydir ? dt_path_join(w->fs->root, keydir) : dt_strdup(w->fs->root);
    DIR *d = opendir(dir);
    if (!d) {
        int err = errno;
        free(dir);
        return err == ENOENT || err == ENOTDIR ? 0 : dt_error_errno(err, "%s: list", w->fs->head.url);
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (!*keydir && !strcmp(e->d_name, DT_STORE_RESERVED))
            continue;
        char *key = dt_sprintf("%s%s", keydir, e->d_name);
        unsigned char type = e->d_type;
        if (type == DT_UNKNOWN || type == DT_LNK) {
            char *p = dt_path_join(dir, e->d_name);
            struct stat sb;
            type = stat(p, &sb) != 0 ? DT_UNKNOWN : S_ISDIR(sb.st_mode) ? DT_DIR
                                                   : S_ISREG(sb.st_mode) ? DT_REG : DT_UNKNOWN;
            free(p);
        }
        if (type == DT_DIR) {
            char *sub = dt_sprintf("%s/", key);
            if (dir_wanted(w, sub))
                rc = walk_dir(w, sub);
            free(sub);
            free(key);
        } else if (type == DT_REG && !strncmp(key, w->prefix, strlen(w->prefix)) &&
                   (!w->start_after || strcmp(key, w->start_after) > 0)) {
            dt_strv_push_owned(w->keys, key);
        } else {
            free(key);
        }
    }
    closedir(d);
    free(dir);
    return rc;
}

static int file_list(datom_store *st, const char *prefix, const char *start_after, size_t limit,
                     dt_strv *keys, int *more)
{
    file_store *fs = (file_store *)st;
    walk w = {fs, prefix, start_after, keys};
    /* Start at the deepest directory the prefix names. */
    const char *slash = strrchr(prefix, '/');
    char *keydir = slash ? dt_strndup(prefix, (size_t)(slash - prefix + 1)) : dt_strdup("");
    int rc = dir_wanted(&w, keydir) ? walk_dir(&w, keydir) : 0;
    free(keydir);
    if (rc)
        return rc;
    dt_strv_sort(keys);
    if (keys->n > limit) {
        for (size_t i = limit; i < keys->n; i++)
            free(keys->v[i]);
        keys->n = limit;
        *more = 1;
    }
    return 0;
}

/* ---- open and free ---- */

static void file_free(datom_store *st)
{
    file_store *fs = (file_store *)st;
    free(fs->root);
    free(fs->tmp);
    free(fs->refs);
    free(fs);
}

/* Best effort: temporary files left by killed writers long ago. */
static void sweep_tmp(file_store *fs)
{
    DIR *d = opendir(fs->tmp);
    if (!d)
        return;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat sb;
        if (e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(sb.st_mode) && now - sb.st_mtime > TMP_MAX_AGE_S)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

static const dt_store_ops file_ops = {
    .name = "file",
    .free = file_free,
    .writer_open = file_writer_open,
    .writer_write = file_writer_write,
    .writer_commit = file_writer_commit,
    .writer_abort = file_writer_abort,
    .get = file_get,
    .stat = file_stat,
    .del = file_del,
    .list = file_list,
    .ref_get = dt_file_ref_get,
    .ref_cas = dt_file_ref_cas,
    .ref_del = dt_file_ref_del,
};

int dt_store_file_open(datom_store **out, const char *root, const char *url)
{
    *out = NULL;
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    file_store *fs = dt_calloc(1, sizeof *fs);
    fs->head.ops = &file_ops;
    fs->head.url = dt_strdup(url);
    fs->root = dt_strndup(root, n);
    fs->tmp = dt_sprintf("%s/" DT_STORE_RESERVED "/tmp", fs->root);
    fs->refs = dt_sprintf("%s/" DT_STORE_RESERVED "/refs", fs->root);
    int rc = 0;
    if (dt_fs_exists(fs->root) && !dt_fs_is_dir(fs->root))
        rc = dt_error(DATOM_EINVAL, "%s: not a directory", url);
    if (rc == 0 && (dt_fs_mkdirs(fs->tmp, 0755) || dt_fs_mkdirs(fs->refs, 0755)))
        rc = dt_error_wrap("open store %s", url);
    if (rc) {
        free(fs->head.url);
        file_free(&fs->head);
        return rc;
    }
    sweep_tmp(fs);
    *out = &fs->head;
    return 0;
}
