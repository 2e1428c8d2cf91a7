/*
 * file.c: the filesystem store backend, objects part (refs are in file_ref.c).
 *
 * An object is written to a temporary file under ROOT/.datom-internal/tmp
 * (same filesystem), fsynced, renamed to ROOT/<key>, and the directory is
 * fsynced: a reader, or a crash at any instant, sees the old state or the
 * whole new object, never a part. Leftover temporary files (from a killed
 * writer) sit only in the internal directory, which listings skip; files
 * there older than a day are removed by the next writer (file_path.c).
 * Every path is reached through file_path.c, which follows no link below
 * the root (file.h, invariant 1): a link is never an object.
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
#define PUBLISH_TRIES 32

struct dt_store_writer {
    file_store *fs;
    file_tmp tmp;
    dt_store_file_out out;
};

/* The length of KEY's directory part ("a/b" of "a/b/c"; 0 for "c"). */
static size_t dir_len(const char *key)
{
    const char *slash = strrchr(key, '/');
    return slash ? (size_t)(slash - key) : 0;
}

static const char *leaf_of(const char *key) { return key + dir_len(key) + (strchr(key, '/') != NULL); }

/* ---- writing ---- */

static int file_writer_open(datom_store *st, dt_store_writer **out)
{
    file_store *fs = (file_store *)st;
    dt_store_writer *w = dt_calloc(1, sizeof *w);
    w->fs = fs;
    int rc = dt_file_tmp_open(fs, "put", &w->tmp);
    if (rc) {
        free(w);
        return rc;
    }
    w->out.fd = w->tmp.fd;
    w->out.what = w->tmp.name;
    *out = w;
    return 0;
}

static int file_writer_write(dt_store_writer *w, const void *p, size_t n)
{
    return dt_store_file_write(&w->out, p, n);
}

static void file_writer_abort(dt_store_writer *w)
{
    dt_file_tmp_discard(&w->tmp);
    free(w);
}

/* Why renaming onto KEY failed with ERR (not a missing directory). */
static int publish_error(file_store *fs, const char *key, int err)
{
    if (err == EISDIR || err == ENOTEMPTY || err == EEXIST)
        return dt_error(DATOM_EEXISTS, "%s: cannot put %s: objects exist under it as a prefix",
                        fs->head.url, key);
    return dt_file_walk_error(fs, key, err, strlen(key), "put", true);
}

/* Renames the temporary file to KEY, making its directories; retries when a
 * concurrent delete removes an emptied parent directory in between. */
static int publish(file_store *fs, const char *key, file_tmp *t)
{
    for (int tries = 0; tries < PUBLISH_TRIES; tries++) {
        int dfd;
        size_t bad;
        int err = dt_file_dir_open(fs, key, dir_len(key), true, &dfd, &bad);
        if (err == ENOENT && bad)
            continue; /* made, then removed by a delete before we got in */
        if (err)
            return dt_file_walk_error(fs, key, err, bad, "put", true);
        if (renameat(t->dirfd, t->name, dfd, leaf_of(key)) == 0) {
            t->name[0] = '\0'; /* renamed: nothing left to remove */
            int rc = fsync(dfd) == 0 ? 0 : dt_error_errno(errno, "%s: fsync the directory of %s",
                                                          fs->head.url, key);
            close(dfd);
            return rc;
        }
        err = errno;
        close(dfd);
        if (err != ENOENT)
            return publish_error(fs, key, err);
        /* our directory was emptied and removed by a delete meanwhile: again */
    }
    return dt_error(DATOM_EIO, "%s: put %s: its directory keeps disappearing (concurrent "
                    "deletes); gave up", fs->head.url, key);
}

static int file_writer_commit(dt_store_writer *w, const char *key)
{
    file_store *fs = w->fs;
    int rc = 0;
    if (fsync(w->tmp.fd) != 0)
        rc = dt_error_errno(errno, "%s: fsync %s", fs->head.url, w->tmp.name);
    if (close(w->tmp.fd) != 0 && rc == 0)
        rc = dt_error_errno(errno, "%s: close %s", fs->head.url, w->tmp.name);
    w->tmp.fd = -1;
    if (rc == 0)
        rc = publish(fs, key, &w->tmp);
    file_writer_abort(w); /* removes the temporary file after a failure */
    return rc;
}

/* ---- reading ---- */

/* Opens the directory of KEY for a read or a delete; an error is recorded. */
static int key_dir(file_store *fs, const char *key, const char *what, int *dfd)
{
    size_t bad;
    int err = dt_file_dir_open(fs, key, dir_len(key), false, dfd, &bad);
    return err ? dt_file_walk_error(fs, key, err, bad, what, false) : 0;
}

/* KEY's status, found in its directory DFD without following a link: 0 for
 * an object (a regular file), else an error recorded. */
static int leaf_stat(file_store *fs, int dfd, const char *key, const char *what, struct stat *sb)
{
    if (fstatat(dfd, leaf_of(key), sb, AT_SYMLINK_NOFOLLOW) != 0)
        return dt_file_walk_error(fs, key, errno, strlen(key), what, false);
    if (S_ISLNK(sb->st_mode))
        return dt_file_walk_error(fs, key, ELOOP, strlen(key), what, false);
    if (!S_ISREG(sb->st_mode)) /* a directory is a prefix of keys; anything else is not ours */
        return dt_file_walk_error(fs, key, ENOENT, strlen(key), what, false);
    return 0;
}

static int open_object(file_store *fs, const char *key, int *fd_out, uint64_t *size_out)
{
    int dfd;
    struct stat sb;
    int rc = key_dir(fs, key, "get", &dfd);
    if (rc)
        return rc;
    /* Looked at first, so that no FIFO or device is ever opened; O_NONBLOCK
     * and the second look cover a swap between the two. */
    if ((rc = leaf_stat(fs, dfd, key, "get", &sb)) == 0) {
        int fd = openat(dfd, leaf_of(key), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            rc = dt_file_walk_error(fs, key, errno, strlen(key), "get", false);
        else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            close(fd);
            rc = dt_file_walk_error(fs, key, ENOENT, strlen(key), "get", false);
        } else {
            *fd_out = fd;
            *size_out = (uint64_t)sb.st_size;
        }
    }
    close(dfd);
    return rc;
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
    file_store *fs = (file_store *)st;
    int dfd;
    struct stat sb;
    int rc = key_dir(fs, key, "stat", &dfd);
    if (rc)
        return rc;
    if ((rc = leaf_stat(fs, dfd, key, "stat", &sb)) == 0)
        *size_out = (uint64_t)sb.st_size;
    close(dfd);
    return rc;
}

/* Removes the directories of KEY that its delete emptied, deepest first
 * (rmdir refuses one that is not empty, and a put racing with this retries). */
static void remove_empty_parents(file_store *fs, const char *key)
{
    for (size_t n = dir_len(key); n > 0;) {
        size_t up = n;
        while (up > 0 && key[up - 1] != '/')
            up--;
        /* the directory key[up, n) inside key[0, up - 1) */
        int pfd;
        if (dt_file_dir_open(fs, key, up ? up - 1 : 0, false, &pfd, NULL))
            return;
        char part[DT_KEY_MAX + 1];
        snprintf(part, sizeof part, "%.*s", (int)(n - up), key + up);
        int gone = unlinkat(pfd, part, AT_REMOVEDIR);
        close(pfd);
        if (gone != 0 || up == 0)
            return;
        n = up - 1;
    }
}

static int file_del(datom_store *st, const char *key)
{
    file_store *fs = (file_store *)st;
    int dfd;
    struct stat sb;
    int rc = key_dir(fs, key, "delete", &dfd);
    if (rc)
        return rc;
    if ((rc = leaf_stat(fs, dfd, key, "delete", &sb)) == 0 && unlinkat(dfd, leaf_of(key), 0) != 0)
        rc = dt_file_walk_error(fs, key, errno, strlen(key), "delete", false);
    close(dfd);
    if (rc == 0)
        remove_empty_parents(fs, key);
    return rc;
}

/* ---- listing ----
 * A depth-first walk in byte order: each directory's entries are sorted by
 * their key form ("name" for a file, "name/" for a directory, since every key
 * under a directory starts with "name/"), so keys come out already sorted and
 * the walk stops as soon as a page is full. Directories that cannot hold a
 * key of the prefix or after start_after are not entered. Each directory is
 * opened from its parent's descriptor without following links, so a link
 * (to a file or a directory) is never listed, nor walked through. */

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
    char *name;
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

/* The type of entry E of the directory DFD, links not followed: DT_REG,
 * DT_DIR, or anything else (skipped: links, FIFOs, devices). */
static unsigned char entry_type(int dfd, const struct dirent *e)
{
    if (e->d_type != DT_UNKNOWN)
        return e->d_type;
    struct stat sb;
    if (fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return DT_UNKNOWN;
    return S_ISREG(sb.st_mode) ? DT_REG : S_ISDIR(sb.st_mode) ? DT_DIR : DT_UNKNOWN;
}

/* The entries of the directory DFD (whose key form is KEYDIR) that may
 * matter, sorted by key. */
static int read_entries(walk *w, int dfd, const char *keydir, dirent_key **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return dt_error_errno(err, "%s: list %s", w->fs->head.url, keydir);
    }
    size_t n = 0, cap = 0;
    dirent_key *v = NULL;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (!*keydir && !strcmp(e->d_name, DT_STORE_RESERVED))
            continue;
        unsigned char type = entry_type(dfd, e);
        if (type != DT_REG && type != DT_DIR)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = dt_realloc(v, cap * sizeof *v);
        }
        v[n].dir = type == DT_DIR;
        v[n].key = dt_sprintf("%s%s%s", keydir, e->d_name, v[n].dir ? "/" : "");
        v[n].name = dt_strdup(e->d_name);
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_dirent_key);
    *out = v;
    *n_out = n;
    return 0;
}

static int walk_dir(walk *w, int dfd, const char *keydir)
{
    dirent_key *v;
    size_t n;
    int rc = read_entries(w, dfd, keydir, &v, &n);
    size_t plen = strlen(w->prefix);
    for (size_t i = 0; rc == 0 && !w->done && i < n; i++) {
        const char *key = v[i].key;
        if (v[i].dir) {
            if (!dir_wanted(w, key))
                continue;
            int sub = openat(dfd, v[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0 && (errno == ENOENT || errno == ELOOP || errno == ENOTDIR))
                continue; /* gone, or swapped for a link since it was read */
            if (sub < 0) { /* unreadable: a listing that skipped it would lie */
                rc = dt_error_errno(errno, "%s: list %s", w->fs->head.url, key);
                break;
            }
            rc = walk_dir(w, sub, key);
            close(sub);
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
    for (size_t i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].name);
    }
    free(v);
    return rc;
}

static int file_list(datom_store *st, const char *prefix, const char *start_after, size_t limit,
                     dt_strv *keys, int *more)
{
    file_store *fs = (file_store *)st;
    walk w = {fs, prefix, start_after, limit, keys, more, false};
    /* Start at the deepest directory the prefix names. */
    const char *slash = strrchr(prefix, '/');
    size_t dlen = slash ? (size_t)(slash - prefix) : 0;
    char *keydir = slash ? dt_strndup(prefix, dlen + 1) : dt_strdup("");
    int rc = 0;
    if (dir_wanted(&w, keydir) && strncmp(keydir, DT_STORE_RESERVED "/", strlen(DT_STORE_RESERVED) + 1)) {
        int dfd;
        size_t bad;
        int err = dt_file_dir_open(fs, prefix, dlen, false, &dfd, &bad);
        if (err == 0) {
            rc = walk_dir(&w, dfd, keydir);
            close(dfd);
        } else if (bad == 0 || (err != ENOENT && err != ENOTDIR && err != ELOOP)) {
            rc = dt_file_walk_error(fs, prefix, err, bad, "list", false);
        }
    }
    free(keydir);
    return rc;
}

/* ---- open and free ---- */

static void file_free(datom_store *st)
{
    file_store *fs = (file_store *)st;
    free(fs->root);
    free(fs);
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

/* The root must be a directory; a missing one is made only with
 * DATOM_STORE_CREATE (and never by a read-only open). */
static int root_check(const char *root, const char *url, unsigned flags)
{
    struct stat sb;
    if (stat(root, &sb) == 0)
        return S_ISDIR(sb.st_mode) ? 0 : dt_error(DATOM_EINVAL, "%s: not a directory", url);
    if (errno != ENOENT)
        return dt_error_errno(errno, "open store %s", url);
    if (!(flags & DATOM_STORE_CREATE) || (flags & DATOM_STORE_READONLY))
        return dt_error(DATOM_ENOTFOUND, "store %s: no such directory", url);
    return dt_fs_mkdirs(root, 0755) ? dt_error_wrap("make store %s", url) : 0;
}

int dt_store_file_open(datom_store **out, const char *root, const char *url, unsigned flags)
{
    *out = NULL;
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    char *clean = dt_strndup(root, n);
    int rc = root_check(clean, url, flags);
    if (rc) {
        free(clean);
        return rc;
    }
    file_store *fs = dt_calloc(1, sizeof *fs);
    fs->head.ops = &dt_store_file_ops;
    fs->head.url = dt_strdup(url);
    fs->root = clean;
    *out = &fs->head;
    return 0;
}

int dt_store_file_open_url(datom_store **out, const char *url, unsigned flags)
{
    *out = NULL;
    char *path = NULL;
    int rc = dt_store_local_path(url, &path);
    if (rc == 0)
        rc = dt_store_file_open(out, path, url, flags);
    free(path);
    return rc;
}
