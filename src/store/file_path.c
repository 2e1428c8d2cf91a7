/*
 * file_path.c: how the filesystem backend reaches a path under its root
 * without ever following a symbolic link below it (file.h, invariant 1), and
 * its temporary files.
 *
 * A path is walked from a fresh descriptor of the root, one part at a time,
 * with openat(O_DIRECTORY | O_NOFOLLOW): a part that is a link fails (ELOOP)
 * instead of leading elsewhere, whether the link was there before or was
 * swapped in a moment ago, and the caller then works relative to the
 * directory it holds. The root is opened anew for each operation (not held),
 * so a store whose directory is replaced or remounted is seen as it is now.
 * Why refuse links rather than follow those that stay inside: telling where
 * a link leads is itself a walk that can race, and the R package never makes
 * links, so nothing legitimate is lost.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/file.h"

#define TMP_MAX_AGE_S (24 * 3600)
#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

int64_t dt_file_mtime_ms(const struct stat *sb)
{
    return (int64_t)sb->st_mtim.tv_sec * 1000 + sb->st_mtim.tv_nsec / 1000000;
}

/* Why PART (in directory FD) could not be opened as a directory: ELOOP for
 * a link, ENOTDIR for anything else that is not a directory. */
static int not_dir_reason(int fd, const char *part, int err)
{
    struct stat sb;
    if (err != ENOTDIR && err != ELOOP)
        return err;
    if (fstatat(fd, part, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode))
        return ELOOP;
    return ENOTDIR;
}

/* Opens (making it with MAKE) the directory PART of FD. */
static int open_part(int fd, const char *part, bool make, int *out)
{
    for (int tries = 0; tries < 8; tries++) {
        int nfd = openat(fd, part, DIR_FLAGS);
        if (nfd >= 0) {
            *out = nfd;
            return 0;
        }
        int err = errno;
        if (err != ENOENT || !make)
            return not_dir_reason(fd, part, err);
        if (mkdirat(fd, part, 0755) != 0 && errno != EEXIST)
            return not_dir_reason(fd, part, errno);
        /* made (or made by someone else): open it, unless a delete removed it again */
    }
    return ENOENT;
}

int dt_file_dir_open(file_store *fs, const char *dir, size_t len, bool make, int *fd_out,
                     size_t *bad_len)
{
    *fd_out = -1;
    if (bad_len)
        *bad_len = 0;
    int fd = open(fs->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    char part[DT_KEY_MAX + 1];
    size_t at = 0;
    while (at < len) {
        size_t n = 0;
        while (at + n < len && dir[at + n] != '/')
            n++;
        if (n >= sizeof part) {
            close(fd);
            return ENAMETOOLONG;
        }
        memcpy(part, dir + at, n);
        part[n] = '\0';
        int nfd = -1, err = open_part(fd, part, make, &nfd);
        close(fd);
        if (err) {
            if (bad_len)
                *bad_len = at + n;
            return err;
        }
        fd = nfd;
        at += n + 1;
    }
    *fd_out = fd;
    return 0;
}

int dt_file_walk_error(file_store *fs, const char *path, int err, size_t bad_len,
                       const char *what, bool write)
{
    const char *url = fs->head.url;
    if (bad_len == 0) /* the root itself (removed since the store was opened?) */
        return dt_error_errno(err, "%s: %s %s: the store's directory %s", url, what, path, fs->root);
    if (err == ELOOP)
        return dt_error(write ? DATOM_EINVAL : DATOM_ENOTFOUND,
                        "%s: %s %s: %.*s is a symbolic link, which the store does not follow%s",
                        url, what, path, (int)bad_len, path, write ? "" : " (not an object)");
    if (err == ENOTDIR && write)
        return dt_error(DATOM_EEXISTS, "%s: cannot %s %s: a parent of it is an object", url, what,
                        path);
    if (err == ENOENT || err == ENOTDIR || (err == ENAMETOOLONG && !write))
        return dt_error(DATOM_ENOTFOUND, "%s: %s: no such object", url, path);
    if (err == ENAMETOOLONG)
        return dt_error(DATOM_EINVAL, "%s: cannot %s %s: a segment of the key is longer than "
                        "this filesystem allows (255 bytes)", url, what, path);
    return dt_error_errno(err, "%s: %s %s", url, what, path);
}

/* ---- temporary files ---- */

/* Best effort: temporary files left by killed writers long ago. */
static void sweep_tmp(int dirfd)
{
    int fd = dup(dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    time_t now = time(NULL);
    for (struct dirent *e; (e = readdir(d));) {
        struct stat sb;
        if (e->d_name[0] != '.' && fstatat(dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(sb.st_mode) && now - sb.st_mtime > TMP_MAX_AGE_S)
            unlinkat(dirfd, e->d_name, 0);
    }
    closedir(d);
}

static void random_suffix(char out[13])
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    uint8_t r[12];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint64_t x = (uint64_t)dt_monotonic_ns() ^ ((uint64_t)getpid() << 32);
        for (size_t i = 0; i < sizeof r; i++, x = x * 6364136223846793005u + 1442695040888963407u)
            r[i] = (uint8_t)(x >> 56);
    }
    for (size_t i = 0; i < sizeof r; i++)
        out[i] = digits[r[i] % 36];
    out[12] = '\0';
}

int dt_file_tmp_open(file_store *fs, const char *what, file_tmp *t)
{
    t->fd = -1;
    t->name[0] = '\0';
    size_t bad = 0;
    int err = dt_file_dir_open(fs, DT_FILE_TMP_DIR, strlen(DT_FILE_TMP_DIR), true, &t->dirfd, &bad);
    if (err)
        return dt_file_walk_error(fs, DT_FILE_TMP_DIR, err, bad, "make a temporary file in", true);
    if (!fs->swept) {
        sweep_tmp(t->dirfd);
        fs->swept = true;
    }
    for (int tries = 0; tries < 100; tries++) {
        char suffix[13];
        random_suffix(suffix);
        snprintf(t->name, sizeof t->name, "%s.%ld.%s", what, (long)getpid(), suffix);
        t->fd = openat(t->dirfd, t->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (t->fd >= 0 || errno != EEXIST)
            break;
    }
    if (t->fd < 0) {
        char *path = dt_file_tmp_path(fs, t);
        int rc = dt_error_errno(errno, "%s: temporary file %s", fs->head.url, path);
        free(path);
        t->name[0] = '\0';
        close(t->dirfd);
        t->dirfd = -1;
        return rc;
    }
    fchmod(t->fd, 0644); /* whatever the umask: readers of a shared store are others */
    return 0;
}

void dt_file_tmp_discard(file_tmp *t)
{
    if (t->fd >= 0)
        close(t->fd);
    if (t->name[0] && t->dirfd >= 0)
        unlinkat(t->dirfd, t->name, 0);
    if (t->dirfd >= 0)
        close(t->dirfd);
    t->fd = t->dirfd = -1;
    t->name[0] = '\0';
}

char *dt_file_tmp_path(const file_store *fs, const file_tmp *t)
{
    return dt_sprintf("%s/" DT_FILE_TMP_DIR "/%s", fs->root, t->name);
}
