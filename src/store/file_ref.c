/*
 * file_ref.c: refs of the filesystem backend, safe between processes on one
 * machine and on a shared mount (NFS), without locks and without rename-over.
 *
 * A ref is a directory of version files named by number (zero-padded). The
 * current value is the highest number. A change from version N writes a
 * temporary file, fsyncs it and link(2)s it to N+1: link never replaces, so
 * of several writers racing from N exactly one succeeds and the others get
 * EEXIST (they lost). link is atomic on NFS too (unlike O_EXCL on old NFS).
 * Create-only is the same race, from the highest number seen (or 0). Delete
 * writes a tombstone version, so numbers are never reused (no ABA).
 *
 * A version file holds one byte, 'V' (a value follows) or 'T' (tombstone).
 *
 * Old versions are pruned conservatively: only versions at least KEEP below
 * the newest and at least PRUNE_AGE_MS older than it (by file mtimes, the
 * store's clock), lowest first. Because lower numbers go first, a version N+1
 * only disappears after N did, so a writer that checked N exists and then
 * links N+1 checks N again afterwards: if N is gone, its link may have
 * landed below newer versions and it withdraws it and reports a conflict.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/file.h"

#define KEEP 32
#define PRUNE_EVERY 16
#define PRUNE_AGE_MS 10000
#define NAME_MAX_BYTES 200 /* one directory name, escaped */
#define HASHED_HEAD 150     /* a longer name: 150 bytes, '~', its SHA-256 (215 in all) */
#define VALUE_MAX (1u << 20)
#define RETRIES 100

/* A ref's directory, ROOT/.datom-internal/refs/<escaped name>, reached as
 * file.h's invariant 1 wants; PATH is for messages. */
typedef struct ref_dir {
    int fd;      /* -1 when the ref has no directory */
    char *esc;   /* the escaped name: one directory name */
    char *path;
} ref_dir;

char *dt_file_escape_name(const char *name)
{
    dt_buf b = DT_BUF_INIT;
    for (const char *p = name; *p; p++) {
        if (*p == '/')
            dt_buf_puts(&b, "%2F");
        else if (*p == '%')
            dt_buf_puts(&b, "%25");
        else
            dt_buf_putc(&b, *p);
    }
    if (b.len > NAME_MAX_BYTES) {
        /* Too long for one directory name: a readable head and the SHA-256 of
         * the whole name (always 215 bytes, which no short name reaches). */
        char sha[DATOM_SHA_HEX];
        dt_sha256_hex(name, strlen(name), sha);
        b.len = HASHED_HEAD;
        dt_buf_printf(&b, "~%s", sha);
    }
    return dt_buf_detach(&b);
}

/* Opens the directory of ref NAME; with MAKE (a writer) it and the refs
 * directory are made if missing, else a missing one leaves d->fd at -1. */
static int ref_dir_open(file_store *fs, const char *name, bool make, ref_dir *d)
{
    d->fd = -1;
    d->esc = dt_file_escape_name(name);
    d->path = dt_sprintf("%s/" DT_FILE_REFS_DIR "/%s", fs->root, d->esc);
    char *rel = dt_sprintf(DT_FILE_REFS_DIR "/%s", d->esc);
    size_t bad;
    int err = dt_file_dir_open(fs, rel, strlen(rel), make, &d->fd, &bad);
    int rc = 0;
    if (err && (make || bad == 0 || (err != ENOENT && err != ENOTDIR)))
        rc = dt_file_walk_error(fs, rel, err, bad, make ? "change ref" : "read ref", make);
    free(rel);
    return rc;
}

static void ref_dir_close(ref_dir *d)
{
    if (d->fd >= 0)
        close(d->fd);
    free(d->esc);
    free(d->path);
}

static void version_name(uint64_t v, char out[24]) { snprintf(out, 24, "%020llu", (unsigned long long)v); }

static bool parse_version(const char *s, uint64_t *v)
{
    if (!*s || strlen(s) > 20)
        return false;
    uint64_t n = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        n = n * 10 + (uint64_t)(*s - '0');
    }
    *v = n;
    return true;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The version numbers present in D, ascending (none if it has no directory). */
static int scan(file_store *fs, const ref_dir *d, uint64_t **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (d->fd < 0)
        return 0;
    int fd = dup(d->fd);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dir) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return dt_error_errno(err, "%s: %s", fs->head.url, d->path);
    }
    size_t n = 0, cap = 0;
    uint64_t *v = NULL;
    struct dirent *e;
    while ((e = readdir(dir))) {
        uint64_t x;
        if (strlen(e->d_name) != 20 || !parse_version(e->d_name, &x))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            v = dt_realloc(v, cap * sizeof *v);
        }
        v[n++] = x;
    }
    closedir(dir);
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_u64);
    *out = v;
    *n_out = n;
    return 0;
}

static int scan_max(file_store *fs, const ref_dir *d, uint64_t *max)
{
    uint64_t *v;
    size_t n;
    int rc = scan(fs, d, &v, &n);
    *max = n ? v[n - 1] : 0;
    free(v);
    return rc;
}

/* Reads version V: ENOENT (as a positive errno) when it is gone. */
static int read_version(file_store *fs, const ref_dir *d, uint64_t v, dt_buf *value, bool *tomb,
                        int64_t *mtime_ms)
{
    char vn[24];
    version_name(v, vn);
    if (d->fd < 0)
        return ENOENT;
    int fd = openat(d->fd, vn, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        return err == ENOENT ? ENOENT : dt_error_errno(err, "%s: ref %s/%s", fs->head.url, d->path, vn);
    }
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 1 ||
        (uint64_t)sb.st_size > VALUE_MAX + 1)
        rc = dt_error(DATOM_ECORRUPT, "%s/%s: damaged ref version file", d->path, vn);
    uint8_t head = 0;
    if (rc == 0 && (pread(fd, &head, 1, 0) != 1 || (head != 'V' && head != 'T')))
        rc = dt_error(DATOM_ECORRUPT, "%s/%s: damaged ref version file", d->path, vn);
    *tomb = head == 'T';
    *mtime_ms = dt_file_mtime_ms(&sb);
    if (rc == 0 && value && !*tomb) {
        size_t n = (size_t)sb.st_size - 1;
        dt_buf_clear(value);
        dt_buf_reserve(value, n);
        ssize_t got = pread(fd, value->data, n, 1);
        if (got != (ssize_t)n)
            rc = dt_error(DATOM_ECORRUPT, "%s/%s: short read of a ref version file", d->path, vn);
        value->len = n;
        value->data[n] = '\0';
    }
    close(fd);
    return rc;
}

static int ref_missing(file_store *fs, const char *name)
{
    return dt_error(DATOM_ENOTFOUND, "%s: %s: no such ref", fs->head.url, name);
}

/* The current live version in *v_out (0 if none or deleted) and the highest
 * version file in *max_out (a tombstone, or 0 if none); VALUE/INFO filled
 * when given. */
static int current(file_store *fs, const ref_dir *d, uint64_t *v_out, uint64_t *max_out,
                   dt_buf *value, dt_ref_info *info)
{
    for (int tries = 0; tries < RETRIES; tries++) {
        uint64_t max;
        int rc = scan_max(fs, d, &max);
        *max_out = max;
        if (rc || max == 0) {
            *v_out = 0;
            return rc;
        }
        bool tomb;
        int64_t mtime;
        rc = read_version(fs, d, max, value, &tomb, &mtime);
        if (rc == ENOENT)
            continue; /* pruned under us: a newer one exists, look again */
        if (rc)
            return rc;
        *v_out = tomb ? 0 : max;
        if (info) {
            snprintf(info->version, sizeof info->version, "%llu", (unsigned long long)max);
            info->mtime_ms = mtime;
        }
        return 0;
    }
    return dt_error(DATOM_EIO, "%s: ref %s keeps changing; gave up reading it", fs->head.url, d->path);
}

/* The current value of ref NAME (VALUE and INFO may be NULL); a ref that
 * does not exist, or was deleted, is DATOM_ENOTFOUND. */
static int current_of(file_store *fs, const char *name, dt_buf *value, dt_ref_info *info)
{
    ref_dir d;
    int rc = ref_dir_open(fs, name, false, &d);
    uint64_t v = 0, max;
    if (rc == 0)
        rc = current(fs, &d, &v, &max, value, info);
    if (rc == 0 && v == 0)
        rc = ref_missing(fs, name);
    ref_dir_close(&d);
    return rc;
}

int dt_file_ref_get(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info)
{
    return current_of((file_store *)st, name, value, info);
}

static bool version_exists(const ref_dir *d, uint64_t v)
{
    if (d->fd < 0)
        return false;
    char vn[24];
    version_name(v, vn);
    struct stat sb;
    return fstatat(d->fd, vn, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Removes old versions (see the file comment for the rule). */
static void prune(file_store *fs, const ref_dir *d)
{
    uint64_t *v;
    size_t n;
    if (scan(fs, d, &v, &n) || n <= KEEP) {
        free(v);
        datom_errclear();
        return;
    }
    struct stat newest;
    char vn[24];
    version_name(v[n - 1], vn);
    int ok = fstatat(d->fd, vn, &newest, AT_SYMLINK_NOFOLLOW) == 0;
    for (size_t i = 0; ok && i < n && v[i] + KEEP <= v[n - 1]; i++) {
        struct stat sb;
        version_name(v[i], vn);
        if (fstatat(d->fd, vn, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
            dt_file_mtime_ms(&newest) - dt_file_mtime_ms(&sb) < PRUNE_AGE_MS)
            ok = 0;
        else
            unlinkat(d->fd, vn, 0);
    }
    free(v);
}

/* Writes HEAD + VALUE as a new temporary file, fsynced (T stays open). */
static int write_tmp(file_store *fs, char head, const void *value, size_t len, file_tmp *t)
{
    int rc = dt_file_tmp_open(fs, "ref", t);
    if (rc)
        return rc;
    if (dt_fs_write_all(t->fd, &head, 1) != 0 || dt_fs_write_all(t->fd, value, len) != 0 ||
        fsync(t->fd) != 0) {
        rc = dt_error_errno(errno, "%s: write %s", fs->head.url, t->name);
        dt_file_tmp_discard(t);
    }
    return rc;
}

/* On NFS a link whose reply was lost is retried by the client and then fails
 * with EEXIST although it succeeded: the link count of the temporary file
 * tells the truth (as open(2) advises for O_EXCL on NFS). Keeps errno. */
static bool linked_anyway(const file_tmp *t)
{
    int err = errno;
    struct stat sb;
    bool ok = fstat(t->fd, &sb) == 0 && sb.st_nlink == 2;
    errno = err;
    return ok;
}

static int lost(file_store *fs, const char *name, const char *expected)
{
    if (!expected)
        return dt_error(DATOM_EEXISTS, "%s: ref %s already exists", fs->head.url, name);
    return dt_error(DATOM_ECONFLICT, "%s: ref %s: version %s is no longer current (lost a race)",
                    fs->head.url, name, expected);
}

/* The version a new one follows: EXPECTED (which must exist and be live), or
 * for create-only the highest (which must be absent or a tombstone). */
static int base_version(file_store *fs, const ref_dir *d, const char *name, const char *expected,
                        uint64_t *base)
{
    if (!expected) {
        uint64_t live;
        int rc = current(fs, d, &live, base, NULL, NULL);
        if (rc)
            return rc;
        return live ? lost(fs, name, NULL) : 0;
    }
    if (!parse_version(expected, base) || *base == 0)
        return lost(fs, name, expected);
    bool tomb;
    int64_t mtime;
    int rc = read_version(fs, d, *base, NULL, &tomb, &mtime);
    if (rc == ENOENT || (rc == 0 && tomb))
        return lost(fs, name, expected);
    return rc;
}

/* One compare-and-swap: a new version after EXPECTED with HEAD + VALUE. */
static int ref_publish(file_store *fs, const char *name, const char *expected, char head,
                       const void *value, size_t len, dt_ref_info *info)
{
    ref_dir d;
    file_tmp t = {.dirfd = -1, .fd = -1};
    /* A change from a version needs the ref's directory to exist already. */
    int rc = ref_dir_open(fs, name, !expected, &d);
    uint64_t base = 0;
    if (rc == 0)
        rc = base_version(fs, &d, name, expected, &base);
    if (rc == 0)
        rc = write_tmp(fs, head, value, len, &t);
    if (rc)
        goto out;
    char target[24];
    version_name(base + 1, target);
    if (linkat(t.dirfd, t.name, d.fd, target, 0) != 0 && !linked_anyway(&t)) {
        rc = errno == EEXIST ? lost(fs, name, expected)
                             : dt_error_errno(errno, "%s: ref %s", fs->head.url, name);
        goto out;
    }
    if (base && !version_exists(&d, base)) {
        /* Our base was pruned: newer versions exist above ours. Withdraw. */
        unlinkat(d.fd, target, 0);
        rc = lost(fs, name, expected);
        goto out;
    }
    /* The new version is already visible to every reader: reporting a failed
     * directory fsync now would tell the caller it lost a swap that others see
     * as won. The link is durable at the next journal commit regardless. */
    (void)fsync(d.fd);
    struct stat sb;
    if (info) {
        snprintf(info->version, sizeof info->version, "%llu", (unsigned long long)(base + 1));
        info->mtime_ms = fstatat(d.fd, target, &sb, AT_SYMLINK_NOFOLLOW) == 0 ? dt_file_mtime_ms(&sb)
                                                                             : dt_now_ms();
    }
    if ((base + 1) % PRUNE_EVERY == 0)
        prune(fs, &d);
out:
    dt_file_tmp_discard(&t);
    ref_dir_close(&d);
    return rc;
}

int dt_file_ref_cas(datom_store *st, const char *name, const char *expected, const void *value,
                    size_t len, dt_ref_info *info_out)
{
    return ref_publish((file_store *)st, name, expected, 'V', value, len, info_out);
}

int dt_file_ref_del(datom_store *st, const char *name, const char *expected)
{
    file_store *fs = (file_store *)st;
    int rc = current_of(fs, name, NULL, NULL);
    return rc ? rc : ref_publish(fs, name, expected, 'T', "", 0, NULL);
}
