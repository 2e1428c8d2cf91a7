/*
 * fs.c: small filesystem helpers with the durability rules datom relies on.
 *
 * dt_fs_write_atomic is the one way metadata files are replaced: write to a
 * temporary name beside the target, fsync it, rename it over the target, then
 * fsync the directory so the rename itself survives a power cut.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

/* write(2), or pwrite(2) at OFF when OFF >= 0, until all of it is written. */
static int write_all_at(int fd, const void *p, size_t n, int64_t off)
{
    const uint8_t *c = p;
    while (n) {
        ssize_t w = off < 0 ? write(fd, c, n) : pwrite(fd, c, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        c += w;
        n -= (size_t)w;
        if (off >= 0)
            off += w;
    }
    return 0;
}

int dt_fs_write_all(int fd, const void *p, size_t n) { return write_all_at(fd, p, n, -1); }

int dt_fs_pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
    return write_all_at(fd, p, n, (int64_t)off);
}

int dt_fs_copy_fd(int fd, size_t cap, const char *what, dt_sink sink)
{
    uint8_t *buf = dt_malloc(cap ? cap : 1);
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, cap ? cap : 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = dt_error_errno(errno, "read %s", what);
        if (n <= 0 || rc)
            break;
        if ((rc = dt_sink_write(sink, buf, (size_t)n)))
            break;
    }
    free(buf);
    return rc;
}

/* A sink into a buffer that refuses to grow past a bound. */
typedef struct bounded_buf {
    dt_buf *b;
    size_t max;
    const char *what;
} bounded_buf;

static int bounded_write(void *ctx, const void *p, size_t n)
{
    bounded_buf *bb = ctx;
    if (n > bb->max - bb->b->len)
        return dt_error(DATOM_EINVAL, "%s: larger than %zu bytes", bb->what, bb->max);
    dt_buf_append(bb->b, p, n);
    return 0;
}

int dt_fs_read_all(const char *path, dt_buf *out, size_t max_bytes)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dt_error_errno(errno, "%s", path);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return dt_error(DATOM_EINVAL, "%s: is a directory", path);
    }
    size_t start = out->len;
    bounded_buf bb = {out, start + max_bytes < start ? SIZE_MAX : start + max_bytes, path};
    int rc = dt_fs_copy_fd(fd, 65536, path, (dt_sink){bounded_write, &bb});
    close(fd);
    return rc;
}

char *dt_path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    if (la == 0)
        return dt_strdup(b);
    return dt_sprintf("%s%s%s", a, a[la - 1] == '/' ? "" : "/", b);
}

char *dt_path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return dt_strdup(".");
    if (slash == path)
        return dt_strdup("/");
    return dt_strndup(path, (size_t)(slash - path));
}

char *dt_path_absolute(const char *path)
{
    char *full = NULL;
    if (path[0] != '/') {
        char *cwd = getcwd(NULL, 0);
        full = cwd ? dt_path_join(cwd, path) : dt_strdup(path);
        free(cwd);
    }
    const char *s = full ? full : path;
    char *out = dt_malloc(strlen(s) + 2);
    size_t n = 0;
    while (*s) {
        size_t len = strcspn(s, "/");
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (n > 0 && out[--n] != '/')
                ;
        } else if (len && !(len == 1 && s[0] == '.')) {
            out[n++] = '/';
            memcpy(out + n, s, len);
            n += len;
        }
        s += len + (s[len] == '/');
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    free(full);
    return out;
}

int dt_fs_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dt_error_errno(errno, "%s", dir);
    int rc = 0;
    if (fsync(fd) != 0 && errno != EINVAL) /* some filesystems refuse dir fsync */
        rc = dt_error_errno(errno, "fsync %s", dir);
    close(fd);
    return rc;
}

int dt_fs_write_atomic(const char *path, const void *p, size_t n)
{
    char *dir = dt_path_dirname(path);
    char *tmp = dt_sprintf("%s.tmp.%ld.XXXXXX", path, (long)getpid());
    int rc = 0;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = dt_error_errno(errno, "%s", path);
        goto out;
    }
    if (dt_fs_write_all(fd, p, n) != 0 || fsync(fd) != 0) {
        rc = dt_error_errno(errno, "write %s", path);
        close(fd);
        unlink(tmp);
        goto out;
    }
    fchmod(fd, 0644);
    close(fd);
    if (rename(tmp, path) != 0) {
        rc = dt_error_errno(errno, "rename to %s", path);
        unlink(tmp);
        goto out;
    }
    rc = dt_fs_fsync_dir(dir);
out:
    free(tmp);
    free(dir);
    return rc;
}

long dt_fs_atomic_tmp_pid(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) || strncmp(name + n, ".tmp.", 5))
        return 0;
    char *end;
    long pid = strtol(name + n + 5, &end, 10);
    return pid > 0 && *end == '.' && strlen(end + 1) == 6 ? pid : 0;
}

bool dt_pid_gone(long pid)
{
    return pid <= 0 || pid > INT_MAX || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

int dt_fs_mkdirs(const char *path, int mode)
{
    char *p = dt_strdup(path);
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
                rc = dt_error_errno(errno, "mkdir %s", p);
                break;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    if (rc == 0 && !dt_fs_is_dir(path))
        rc = dt_error(DATOM_EIO, "%s: exists and is not a directory", path);
    return rc;
}

bool dt_fs_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

bool dt_fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int dt_fs_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : dt_error_errno(errno, "%s", path);
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0 ? 0 : dt_error_errno(errno, "unlink %s", path);
    DIR *d = opendir(path);
    if (!d)
        return dt_error_errno(errno, "%s", path);
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *child = dt_path_join(path, e->d_name);
        rc = dt_fs_rmtree(child);
        free(child);
    }
    closedir(d);
    if (rc == 0 && rmdir(path) != 0)
        rc = dt_error_errno(errno, "rmdir %s", path);
    return rc;
}
