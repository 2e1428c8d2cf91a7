/*
 * file_log.c: append-only logs of the filesystem backend (store.h,
 * dt_store_ops.log_*): one file per log under ROOT/.datom-internal/logs/,
 * named as ref directories are (file.h).
 *
 * An append takes an exclusive flock(2) on the file (serialising appends and
 * truncations between processes, on NFS too), checks the size, writes at the
 * end and fdatasyncs: one sync per append, the file's size included. What a
 * crash leaves: the bytes written before it, possibly a torn tail of the
 * append it interrupted, which the caller's checksums find and a later
 * truncate cuts. An append whose write or sync fails is cut back before the
 * lock is released, so a failed append never leaves bytes that a later one
 * would follow. Readers take no lock. The file is reached as every path of
 * the backend is (file.h, invariants 1 and 2): no link followed, and reading
 * makes nothing; a read-only handle refuses every change (store.c checks
 * too, but the database's commit calls the backend's append directly).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/file.h"

static int missing(file_store *fs, const char *name)
{
    return dt_error(DATOM_ENOTFOUND, "%s: %s: no such log", fs->head.url, name);
}

/* Opens log NAME with FLAGS, walking to it as file.h's invariant 1 wants:
 * the logs directory and the file are reached following no link. With MAKE
 * (a writer whose log may be new) the directory and the file are made when
 * missing, the new name made durable; without it nothing is made, so reading
 * writes nothing (invariant 2). A link is refused loudly, for reads too (not
 * "no such log", which a database reads as empty). O_NONBLOCK: a FIFO put
 * where the log should be is refused, not waited on. */
static int log_open(file_store *fs, const char *name, int flags, bool make, int *fd_out)
{
    *fd_out = -1;
    bool write = (flags & O_ACCMODE) != O_RDONLY;
    const char *what = write ? "change log" : "read log";
    int dirfd = -1;
    size_t bad = 0;
    int err = dt_file_dir_open(fs, DT_FILE_LOGS_DIR, strlen(DT_FILE_LOGS_DIR), make, &dirfd, &bad);
    if (err && !make && bad != 0 && (err == ENOENT || err == ENOTDIR))
        return missing(fs, name);
    if (err == ELOOP && !write) /* loud: a missing log reads as an empty database */
        return dt_error(DATOM_ECORRUPT, "%s: %s %s: " DT_FILE_LOGS_DIR " is a symbolic link, "
                        "which the store does not follow", fs->head.url, what, name);
    if (err)
        return dt_file_walk_error(fs, DT_FILE_LOGS_DIR, err, bad, what, write);
    char *leaf = dt_file_escape_name(name);
    flags |= O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    int fd = openat(dirfd, leaf, flags);
    bool created = false;
    if (fd < 0 && errno == ENOENT && make) {
        fd = openat(dirfd, leaf, flags | O_CREAT, 0644);
        created = fd >= 0;
    }
    int rc = 0;
    struct stat sb;
    if (fd < 0 && errno == ENOENT)
        rc = missing(fs, name);
    else if (fd < 0 && errno == ELOOP)
        rc = dt_error(write ? DATOM_EINVAL : DATOM_ECORRUPT,
                      "%s: %s %s: its file is a symbolic link, which the store does not follow",
                      fs->head.url, what, name);
    else if (fd < 0)
        rc = dt_error_errno(errno, "%s: %s %s", fs->head.url, what, name);
    else if (fstat(fd, &sb) != 0)
        rc = dt_error_errno(errno, "%s: %s %s", fs->head.url, what, name);
    else if (!S_ISREG(sb.st_mode))
        rc = dt_error(DATOM_ECORRUPT, "%s: %s %s: its file is not a regular file", fs->head.url,
                      what, name);
    else if (created && fsync(dirfd) != 0) /* the new name survives a crash */
        rc = dt_error_errno(errno, "%s: %s %s", fs->head.url, what, name);
    if (rc && fd >= 0)
        close(fd);
    free(leaf);
    close(dirfd);
    *fd_out = rc ? -1 : fd;
    return rc;
}

int dt_file_log_read(datom_store *st, const char *name, uint64_t off, dt_buf *out, uint64_t *size_out)
{
    file_store *fs = (file_store *)st;
    int fd;
    int rc = log_open(fs, name, O_RDONLY, false, &fd);
    if (rc)
        return rc;
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        rc = dt_error_errno(errno, "%s: log %s", st->url, name);
    else if (off > (uint64_t)sb.st_size)
        rc = dt_error(DATOM_EINVAL, "%s: log %s: offset %llu is past the end", st->url, name,
                      (unsigned long long)off);
    size_t want = rc ? 0 : (size_t)((uint64_t)sb.st_size - off);
    dt_buf_reserve(out, want);
    size_t got = 0;
    while (rc == 0 && got < want) {
        ssize_t n = pread(fd, out->data + out->len + got, want - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = dt_error_errno(errno, "%s: read log %s", st->url, name);
        else if (n == 0)
            break; /* cut by a truncation since the stat: the shorter log is the log */
        else
            got += (size_t)n;
    }
    if (rc == 0) {
        out->len += got;
        out->data[out->len] = '\0';
        *size_out = off + got;
    }
    close(fd);
    return rc;
}

/* Opens the log for a change and locks it; creates it (durably) when
 * CREATE and it is missing. */
static int open_locked(file_store *fs, const char *name, bool create, int *fd_out)
{
    int fd = -1;
    int rc = fs->head.flags & DATOM_STORE_READONLY
                 ? dt_error(DATOM_EINVAL, "%s: change log %s: the store was opened read-only",
                            fs->head.url, name)
                 : log_open(fs, name, O_RDWR, create, &fd);
    while (rc == 0 && flock(fd, LOCK_EX) != 0)
        if (errno != EINTR)
            rc = dt_error_errno(errno, "%s: lock log %s", fs->head.url, name);
    if (rc && fd >= 0)
        close(fd);
    *fd_out = rc ? -1 : fd;
    return rc;
}

/* Under the lock: 0 if the size is EXPECTED. */
static int size_is(file_store *fs, const char *name, int fd, uint64_t expected)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return dt_error_errno(errno, "%s: log %s", fs->head.url, name);
    if ((uint64_t)sb.st_size != expected)
        return dt_error(DATOM_ECONFLICT, "%s: log %s: expected %llu bytes, found %llu (lost a race)",
                        fs->head.url, name, (unsigned long long)expected,
                        (unsigned long long)sb.st_size);
    return 0;
}

int dt_file_log_append(datom_store *st, const char *name, uint64_t expected, const void *p, size_t n)
{
    file_store *fs = (file_store *)st;
    int fd;
    int rc = open_locked(fs, name, expected == 0, &fd);
    if (rc)
        return rc;
    if ((rc = size_is(fs, name, fd, expected)) == 0) {
        if (dt_fs_pwrite_all(fd, p, n, expected) != 0)
            rc = dt_error_errno(errno, "%s: append to log %s", st->url, name);
        if (rc == 0 && fdatasync(fd) != 0)
            rc = dt_error_errno(errno, "%s: sync log %s", st->url, name);
        if (rc && ftruncate(fd, (off_t)expected) == 0)
            (void)fdatasync(fd); /* best effort: the caller's checksums cover the rest */
    }
    close(fd); /* releases the lock */
    return rc;
}

int dt_file_log_truncate(datom_store *st, const char *name, uint64_t expected, uint64_t size)
{
    file_store *fs = (file_store *)st;
    int fd;
    int rc = open_locked(fs, name, false, &fd);
    if (rc)
        return rc;
    if ((rc = size_is(fs, name, fd, expected)) == 0 &&
        (ftruncate(fd, (off_t)size) != 0 || fdatasync(fd) != 0))
        rc = dt_error_errno(errno, "%s: truncate log %s", st->url, name);
    close(fd);
    return rc;
}
