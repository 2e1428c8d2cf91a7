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
    dt_store_file_out out;
};

int64_t dt_file_mtime_ms(const struct stat *sb)
{
    return (int64_t)sb->st_mtim.tv_sec * 1000 + sb->st_mtim.tv_nsec / 1000000;
}

int dt_file_tmp_open(file_store *fs, const char *what, char **path_out, int *fd_out)
{
    char *path = dt_sprintf("%s/%s.%ld.XXXXXX", fs->tmp, what, (long)getpid());
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && dt_fs_mkdirs(fs->tmp, 0755) == 0) {
        /* Someone removed the internal directory: make it again. */
        free(path);
        path = dt_sprintf("%s/%s.%ld.XXXXXX", fs->tmp, what, (long)getpid());
        fd = mkostemp(path, O_CLOEXEC);
    }
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
    w->out.fd = w->fd;
    w->out.what = w->tmp;
    *out = w;
    return 0;
}

static int file_writer_write(dt_store_writer *w, const void *p, size_t n)
{
    return dt_store_file_write(&w->out, p, n);
}

static void file_writer_abort(dt_store_writer *w)
{
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp)
        unlink(w->tmp);
    free(w->tmp);
    free(w);
}

/* Is DIR, or a directory above it inside the store, a file (an object)? */
static bool has_object_parent(file_store *fs, const char *dir)
{
    char *p = dt_strdup(dir);
    size_t rootlen = strlen(fs->root);
    bool found = false;
    for (;;) {
        struct stat sb;
        if (lstat(p, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
            found = true;
            break;
        }
        char *slash = strrchr(p, '/');
        if (!slash || (size_t)(slash - p) <= rootlen)
            break;
        *slash = '\0';
    }
    free(p);
    return found;
}

/* Renames TMP to PATH, making its directories; retries when a concurrent
 * delete removes an emptied parent directory in between. */
static int publish(file_store *fs, const char *key, const char *tmp, const char *path)
{
    char *dir = dt_path_dirname(path);
    int rc = 0;
    for (int tries = 0;; tries++) {
        if (rename(tmp, path) == 0) {
            rc = dt_fs_fsync_dir(dir);
            break;
        }
        if (errno == ENOENT && tries < 32) {
            /* Its directory is missing (new, or emptied and removed by a delete). */
            if ((rc = dt_fs_mkdirs(dir, 0755)) == 0 || tries < 31) {
                /* A failure here may be a delete removing what we just made. */
                datom_errclear();
                continue;
            }
            rc = has_object_parent(fs, dir)
                     ? dt_error(DATOM_EEXISTS, "%s: cannot put %s: a parent of it is an object",
                                fs->head.url, key)
                     : dt_error_wrap("%s: put %s", fs->head.url, key);
            break;
        }
        if (errno == ENOTDIR && has_object_parent(fs, dir)) {
            rc = dt_error(DATOM_EEXISTS, "%s: cannot put %s: a parent of it is an object",
                          fs->head.url, key);
            break;
        }
        if (errno == ENAMETOOLONG) {
            rc = dt_error(DATOM_EINVAL, "%s: cannot put %s: a segment of the key is longer "
                          "than this filesystem allows (255 bytes)", fs->head.url, key);
            break;
        }
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
    if (rc == 0) {
        free(w->tmp); /* renamed: nothing left to remove */
        w->tmp = NULL;
    }
    file_writer_abort(w); /* removes the temporary file after a failure */
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
    if (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG)
        return dt_error(DATOM_ENOTFOUND, "%s: %s: no such object", fs->head.url, key);
    return dt_error_errno(err, "%s: %s", fs->head.url, key);
}

static int file_get(datom_store *st, const char *key, uint64_t off, uint64_t len, dt_sink sink)
{
    file_store *fs = (file_store *)st;
    int fd = -1;
    uint64_t size = 0;
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
    char *path = key_path((file_store *)st, key);
    struct stat sb;
    int err = stat(path, &sb) == 0 ? 0 : errno;
    free(path);
    if (err == 0 && S_ISREG(sb.st_mode)) {
        *size_out = (uint64_t)sb.st_size;
        return 0;
    }
    if (err == 0 || err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG)
        return dt_error(DATOM_ENOTFOUND, "%s: %s: no such object", st->url, key);
    return dt_error_errno(err, "%s: %s", st->url, key);
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

/* ---- listing ----
 * A depth-first walk in byte order: each directory's entries are sorted by
 * their key form ("name" for a file, "name/" for a directory, since every key
 * under a directory starts with "name/"), so keys come out already sorted and
 * the walk stops as soon as a page is full. Directories that cannot hold a
 * key of the prefix or after start_after are not entered. */

typedef struct walk {
    file_store *fs;
    const char *prefix, *start_after;
    size_t limit;
    dt_strv *keys;
    int *more;
    bool done;
} walk;

typedef struct dirent_key {
    char *key; /* keydir + name, plus '/' for a directory */
    bool dir;
} dirent_key;

static int cmp_dirent_key(const void *a, const void *b)
{
    return strcmp(((const dirent_key *)a)->key, ((const dirent_key *)b)->key);
}

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

/* The type of entry E of DIR: DT_REG, DT_DIR or DT_UNKNOWN (skipped). A
 * symlink counts as an object when it points at a file; symlinked
 * directories are not walked (no loops). */
static unsigned char entry_type(DIR *d, const struct dirent *e)
{
    if (e->d_type != DT_UNKNOWN && e->d_type != DT_LNK)
        return e->d_type;
    struct stat sb;
    if (fstatat(dirfd(d), e->d_name, &sb, 0) != 0)
        return DT_UNKNOWN;
    if (S_ISREG(sb.st_mode))
        return DT_REG;
    return S_ISDIR(sb.st_mode) && e->d_type != DT_LNK ? DT_DIR : DT_UNKNOWN;
}

/* The entries of the directory KEYDIR that may matter, sorted by key. */
static int read_entries(walk *w, const char *keydir, dirent_key **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    char *dir = *keydir ? dt_path_join(w->fs->root, keydir) : dt_strdup(w->fs->root);
    DIR *d = opendir(dir);
    int err = errno;
    free(dir);
    if (!d)
        return err == ENOENT || err == ENOTDIR ? 0 : dt_error_errno(err, "%s: list", w->fs->head.url);
    size_t n = 0, cap = 0;
    dirent_key *v = NULL;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (!*keydir && !strcmp(e->d_name, DT_STORE_RESERVED))
            continue;
        unsigned char type = entry_type(d, e);
        if (type != DT_REG && type != DT_DIR)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = dt_realloc(v, cap * sizeof *v);
        }
        v[n].dir = type == DT_DIR;
        v[n].key = dt_sprintf("%s%s%s", keydir, e->d_name, v[n].dir ? "/" : "");
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_dirent_key);
    *out = v;
    *n_out = n;
    return 0;
}

static int walk_dir(walk *w, const char *keydir)
{
    if (!strncmp(keydir, DT_STORE_RESERVED "/", strlen(DT_STORE_RESERVED) + 1))
        return 0; /* the store's internals are not keys */
    dirent_key *v;
    size_t n;
    int rc = read_entries(w, keydir, &v, &n);
    size_t plen = strlen(w->prefix);
    for (size_t i = 0; rc == 0 && !w->done && i < n; i++) {
        const char *key = v[i].key;
        if (v[i].dir) {
            if (dir_wanted(w, key))
                rc = walk_dir(w, key);
        } else if (!strncmp(key, w->prefix, plen) &&
                   (!w->start_after || strcmp(key, w->start_after) > 0)) {
            if (w->keys->n == w->limit) {
                *w->more = 1;
                w->done = true;
            } else {
                dt_strv_push(w->keys, key);
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        free(v[i].key);
    free(v);
    return rc;
}

static int file_list(datom_store *st, const char *prefix, const char *start_after, size_t limit,
                     dt_strv *keys, int *more)
{
    walk w = {(file_store *)st, prefix, start_after, limit, keys, more, false};
    /* Start at the deepest directory the prefix names. */
    const char *slash = strrchr(prefix, '/');
    char *keydir = slash ? dt_strndup(prefix, (size_t)(slash - prefix + 1)) : dt_strdup("");
    int rc = dir_wanted(&w, keydir) ? walk_dir(&w, keydir) : 0;
    free(keydir);
    return rc;
}

/* ---- open and free ---- */

static void file_free(datom_store *st)
{
    file_store *fs = (file_store *)st;
    free(fs->root);
    free(fs->tmp);
    free(fs->refs);
    free(fs->logs);
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

const dt_store_ops dt_store_file_ops = {
    DT_STORE_OPS_INIT,
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
    .log_read = dt_file_log_read,
    .log_append = dt_file_log_append,
    .log_truncate = dt_file_log_truncate,
};

int dt_store_file_open(datom_store **out, const char *root, const char *url)
{
    *out = NULL;
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    file_store *fs = dt_calloc(1, sizeof *fs);
    fs->head.ops = &dt_store_file_ops;
    fs->head.url = dt_strdup(url);
    fs->root = dt_strndup(root, n);
    fs->tmp = dt_sprintf("%s/" DT_STORE_RESERVED "/tmp", fs->root);
    fs->refs = dt_sprintf("%s/" DT_STORE_RESERVED "/refs", fs->root);
    fs->logs = dt_sprintf("%s/" DT_STORE_RESERVED "/logs", fs->root);
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

int dt_store_file_open_url(datom_store **out, const char *url)
{
    *out = NULL;
    if (url[7] != '/')
        return dt_error(DATOM_EINVAL, "%s: a file URL names an absolute path (file:///path)", url);
    return dt_store_file_open(out, url + 7, url);
}
