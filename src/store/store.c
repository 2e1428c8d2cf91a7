/*
 * store.c: the store handle: URL dispatch, key checks, content addressing and
 * SHA verification, atomic get-to-file, progress. Everything here is common to
 * all backends; a backend (file.c, mem.c) only moves bytes and keeps refs.
 *
 * Content-addressed puts hash while streaming (one pass over the input) into a
 * backend writer, then name the object PREFIX + SHA at commit; an object that
 * already exists with the same size is left alone (same bytes, no-op).
 * Content-addressed gets hash while streaming into a temporary file and only
 * rename it into place when the SHA matches.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

#define IO_CHUNK (1u << 20)
#define PROGRESS_MIN (64u << 20) /* below this, a progress line is noise */
#define REF_VALUE_MAX (1u << 20)

/* ---- keys ---- */

/* Appends KEY printably (C-style escapes), shortened when long, for messages. */
static void escape_key(dt_buf *b, const char *key)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++, n++) {
        if (n == 120) {
            dt_buf_puts(b, "...");
            return;
        }
        if (*p == '\\' || *p == '"')
            dt_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            dt_buf_printf(b, "\\x%02x", *p);
        else
            dt_buf_putc(b, (char)*p);
    }
}

static int key_error(const char *key, const char *why)
{
    dt_buf b = DT_BUF_INIT;
    escape_key(&b, key);
    int rc = dt_error(DATOM_EINVAL, "invalid key \"%s\": %s", dt_buf_cstr(&b), why);
    dt_buf_free(&b);
    return rc;
}

static int segment_check(const char *key, const char *seg, size_t n, bool first)
{
    if (n == 0)
        return key_error(key, seg == key ? "starts with '/'" : "empty segment (\"//\" or trailing '/')");
    if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
        return key_error(key, "\".\" and \"..\" segments are not allowed");
    if (first && n == strlen(DT_STORE_RESERVED) && !memcmp(seg, DT_STORE_RESERVED, n))
        return key_error(key, "the top-level name " DT_STORE_RESERVED " is reserved for the store");
    return 0;
}

int dt_store_key_check(const char *key)
{
    if (!key)
        return dt_error(DATOM_EINVAL, "invalid key: none given");
    size_t len = strlen(key);
    if (len == 0)
        return dt_error(DATOM_EINVAL, "invalid key \"\": empty");
    if (len > DT_KEY_MAX)
        return key_error(key, "longer than 1024 bytes");
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return key_error(key, "control characters are not allowed");
        if (*p == '\\')
            return key_error(key, "backslash is not allowed");
    }
    const char *seg = key;
    for (bool first = true;; first = false) {
        const char *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        int rc = segment_check(key, seg, n, first);
        if (rc)
            return rc;
        if (!slash)
            return 0;
        seg = slash + 1;
    }
}

/* PREFIX must be "" or a key ending in '/'; the caller appends a SHA. */
static int prefix_check(const char *prefix)
{
    if (!prefix || !*prefix)
        return 0;
    size_t n = strlen(prefix);
    if (prefix[n - 1] != '/') {
        dt_buf b = DT_BUF_INIT;
        escape_key(&b, prefix);
        int rc = dt_error(DATOM_EINVAL, "invalid prefix \"%s\": must be empty or end in '/'",
                          dt_buf_cstr(&b));
        dt_buf_free(&b);
        return rc;
    }
    char *probe = dt_sprintf("%sx", prefix);
    int rc = dt_store_key_check(probe);
    free(probe);
    return rc;
}

/* A content address: PREFIX as prefix_check wants and SHA as 64 lowercase hex digits. */
static int ca_check(const char *prefix, const char *sha)
{
    if (!sha || !dt_is_sha_hex(sha))
        return dt_error(DATOM_EINVAL, "\"%s\": not a SHA-256 (64 lowercase hex digits)",
                        sha ? sha : "");
    return prefix_check(prefix);
}

static char *ca_key(const char *prefix, const char *sha) { return dt_sprintf("%s%s", prefix ? prefix : "", sha); }

/* ---- backends, by URL scheme ---- */

#define BACKENDS_MAX 16

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static dt_store_backend registry[BACKENDS_MAX];
static size_t registered;
static bool builtins_done;

/* A table this build can call: its version, and every required operation. */
static int ops_check(const char *scheme, const dt_store_ops *ops)
{
    if (!ops || ops->version != DT_STORE_OPS_VERSION)
        return dt_error(DATOM_EINVAL, "store backend %s: ops version %u, this build knows %u",
                        scheme, ops ? ops->version : 0u, (unsigned)DT_STORE_OPS_VERSION);
    bool writer = ops->writer_open && ops->writer_write && ops->writer_commit && ops->writer_abort;
    bool any_writer = ops->writer_open || ops->writer_write || ops->writer_commit || ops->writer_abort;
    if (!ops->name || !ops->free || !ops->get || !ops->stat || !ops->del || !ops->list ||
        !ops->ref_get || !ops->ref_cas || !ops->ref_del || (any_writer && !writer) ||
        (!writer && !ops->put_known))
        return dt_error(DATOM_EINVAL, "store backend %s: a required operation is missing", scheme);
    /* Logs are all three or none: dt_store_has_log looks at log_append only. */
    int logs = !!ops->log_read + !!ops->log_append + !!ops->log_truncate;
    if (logs != 0 && logs != 3)
        return dt_error(DATOM_EINVAL, "store backend %s: logs need log_read, log_append and "
                        "log_truncate together", scheme);
    return 0;
}

static int register_locked(const dt_store_backend *be)
{
    if (!be || !be->scheme || !*be->scheme || !be->open)
        return dt_error(DATOM_EINVAL, "store backend: no scheme or no open function");
    int rc = ops_check(be->scheme, be->ops);
    if (rc)
        return rc;
    for (size_t i = 0; i < registered; i++)
        if (!strcmp(registry[i].scheme, be->scheme))
            return dt_error(DATOM_EEXISTS, "store backend %s: already registered", be->scheme);
    if (registered == BACKENDS_MAX)
        return dt_error(DATOM_EINVAL, "store backend %s: too many backends", be->scheme);
    registry[registered++] = *be;
    return 0;
}

static void builtins_locked(void)
{
    static const dt_store_backend builtins[] = {
        {"mem:", &dt_store_mem_ops, dt_store_mem_open},
        {"file:", &dt_store_file_ops, dt_store_file_open_url},
        {"s3://", &dt_store_s3_ops, dt_store_s3_open},
        {"fault:", &dt_store_fault_ops, dt_store_fault_open},
    };
    if (builtins_done)
        return;
    builtins_done = true;
    for (size_t i = 0; i < DT_ARRAY_LEN(builtins); i++)
        if (register_locked(&builtins[i]) != 0)
            abort(); /* a built-in table out of step with this header: a bug */
}

int dt_store_register(const dt_store_backend *be)
{
    pthread_mutex_lock(&registry_lock);
    builtins_locked();
    int rc = register_locked(be);
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

static bool has_scheme(const char *url)
{
    const char *p = url;
    while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' || *p == '-')
        p++;
    return p > url && !strncmp(p, "://", 3);
}

/* The backend whose scheme starts URL (a copy), or none. */
static bool backend_of(const char *url, dt_store_backend *out, dt_buf *known)
{
    bool found = false;
    pthread_mutex_lock(&registry_lock);
    builtins_locked();
    for (size_t i = 0; i < registered; i++) {
        dt_buf_printf(known, "%s%s", i ? ", " : "", registry[i].scheme);
        if (!found && !strncmp(url, registry[i].scheme, strlen(registry[i].scheme))) {
            *out = registry[i];
            found = true;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    return found;
}

/* Percent-decodes the path of a file URL; %00 is refused. */
static int file_url_decode(const char *url, const char *path, char **out)
{
    if (!(*out = dt_pct_decode(path, strlen(path))))
        return dt_error(DATOM_EINVAL, "%s: a '%%' in a file URL starts two hex digits (not %%00)",
                        url);
    return 0;
}

int dt_store_local_path(const char *url, char **path_out)
{
    *path_out = NULL;
    if (!url || !*url)
        return dt_error(DATOM_EINVAL, "store URL: empty");
    if (strncmp(url, "file:", 5)) {
        if (has_scheme(url) || !strncmp(url, "mem:", 4) || !strncmp(url, "s3:", 3))
            return 1;
        *path_out = dt_strdup(url);
        return 0;
    }
    /* RFC 8089: file:///path, file://localhost/path and file:/path name a
     * local absolute path; anything else (file:, file:relative, a host) is refused. */
    const char *path = url + 5;
    if (!strncmp(path, "//", 2)) {
        path += 2;
        if (!strncasecmp(path, "localhost/", 10))
            path += 9;
        else if (*path != '/')
            return dt_error(DATOM_EINVAL, "%s: a file URL names an absolute path on this machine "
                            "(file:///path or file://localhost/path; no other host)", url);
    }
    if (*path != '/')
        return dt_error(DATOM_EINVAL, "%s: a file URL names an absolute path (file:///path); "
                        "for a relative one give the path alone", url);
    return file_url_decode(url, path, path_out);
}

static int store_dispatch(datom_store **out, const char *url, unsigned flags)
{
    if (!url || !*url)
        return dt_error(DATOM_EINVAL, "store URL: empty");
    dt_store_backend be = {0};
    dt_buf known = DT_BUF_INIT;
    int rc;
    if (backend_of(url, &be, &known))
        rc = be.open(out, url, flags);
    else if (has_scheme(url) || !strncmp(url, "s3:", 3))
        rc = dt_error(DATOM_EUNSUPPORTED, "%s: unknown store URL scheme (known: %s, or a plain path)",
                      url, dt_buf_cstr(&known));
    else
        rc = dt_store_file_open(out, url, url, flags);
    dt_buf_free(&known);
    return rc;
}

int datom_store_open_ext(datom_store **out, const char *url, unsigned flags)
{
    *out = NULL;
    if (flags & ~(unsigned)(DATOM_STORE_CREATE | DATOM_STORE_READONLY))
        return dt_error(DATOM_EINVAL, "store open: unknown flags %#x", flags);
    int rc = store_dispatch(out, url, flags);
    const char *fault = getenv(DT_STORE_FAULT_ENV);
    if (rc == 0 && fault && *fault && strncmp(url, "fault:", 6))
        rc = dt_store_fault_wrap(out, fault);
    if (rc)
        return rc;
    /* the one place a store's URL is made fit for messages */
    char *shown = dt_redact((*out)->url);
    free((*out)->url);
    (*out)->url = shown;
    (*out)->flags = flags;
    dt_verbose("store %s (%s backend%s)", shown, (*out)->ops->name,
               flags & DATOM_STORE_READONLY ? ", read-only" : "");
    return 0;
}

int datom_store_open(datom_store **out, const char *url)
{
    return datom_store_open_ext(out, url, DATOM_STORE_CREATE);
}

/* Every change goes through here first: a read-only store changes nothing. */
static int writable(const datom_store *st, const char *what, const char *name)
{
    if (!(st->flags & DATOM_STORE_READONLY))
        return 0;
    return dt_error(DATOM_EINVAL, "%s: %s %s: the store was opened read-only", st->url, what,
                    name ? name : "");
}

void datom_store_free(datom_store *st)
{
    if (!st)
        return;
    char *url = st->url;
    st->ops->free(st);
    free(url);
}

const char *dt_store_url(const datom_store *st) { return st->url; }

/* ---- the operations, with their fallbacks ---- */

int dt_store_do_exists(datom_store *st, const char *key, uint64_t *size_out)
{
    uint64_t size = 0;
    int rc = st->ops->exists ? st->ops->exists(st, key, &size) : st->ops->stat(st, key, &size);
    if (rc == 0 && size_out)
        *size_out = size;
    return rc;
}

/* Bytes to a file, then to ORDERED (unless its write is NULL). */
typedef struct file_tee {
    dt_store_file_out out;
    dt_sink ordered;
} file_tee;

static int file_tee_write(void *ctx, const void *p, size_t n)
{
    file_tee *t = ctx;
    int rc = dt_store_file_write(&t->out, p, n);
    return rc || !t->ordered.write ? rc : dt_sink_write(t->ordered, p, n);
}

int dt_store_do_get_fd(datom_store *st, const char *key, int fd, dt_sink ordered, uint64_t *size_out)
{
    if (st->ops->get_fd)
        return st->ops->get_fd(st, key, fd, ordered, size_out);
    int rc = st->ops->stat(st, key, size_out);
    file_tee t = {.out = {.fd = fd, .what = key}, .ordered = ordered};
    return rc ? rc : st->ops->get(st, key, 0, UINT64_MAX, (dt_sink){file_tee_write, &t});
}

/* Reads [off, off+n) of SRC into BUF (n > 0); a short file is an error. */
static int src_read(const dt_store_src *src, uint64_t off, void *buf, size_t n)
{
    if (src->data) {
        memcpy(buf, (const uint8_t *)src->data + off, n);
        return 0;
    }
    for (size_t got = 0; got < n;) {
        ssize_t r = pread(src->fd, (uint8_t *)buf + got, n - got, (off_t)(src->off + off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return dt_error_errno(errno, "read %s", src->what);
        if (r == 0)
            return dt_error(DATOM_EIO, "read %s: it shrank while being stored", src->what);
        got += (size_t)r;
    }
    return 0;
}

/* put_known through a backend's streaming writer. */
static int put_known_by_writer(datom_store *st, const char *key, const dt_store_src *src)
{
    dt_store_writer *w;
    int rc = st->ops->writer_open(st, &w);
    if (rc)
        return rc;
    if (src->data) {
        rc = st->ops->writer_write(w, src->data, (size_t)src->size);
    } else {
        size_t cap = (size_t)DT_MIN(src->size, (uint64_t)IO_CHUNK);
        uint8_t *buf = dt_malloc(cap ? cap : 1);
        for (uint64_t done = 0; rc == 0 && done < src->size;) {
            size_t n = (size_t)DT_MIN(src->size - done, (uint64_t)cap);
            rc = src_read(src, done, buf, n);
            rc = rc ? rc : st->ops->writer_write(w, buf, n);
            done += n;
        }
        free(buf);
    }
    if (rc) {
        st->ops->writer_abort(w);
        return rc;
    }
    return st->ops->writer_commit(w, key);
}

int dt_store_do_put_known(datom_store *st, const char *key, const dt_store_src *src)
{
    if (st->ops->put_known)
        return st->ops->put_known(st, key, src);
    return put_known_by_writer(st, key, src);
}

int dt_store_src_sha(const dt_store_src *src, uint64_t off, uint64_t len, char out[DATOM_SHA_HEX],
                     dt_progress *progress)
{
    if (src->data) {
        dt_sha256_hex((const uint8_t *)src->data + off, (size_t)len, out);
        return 0;
    }
    dt_sha256 h;
    dt_sha256_init(&h);
    size_t cap = (size_t)DT_MIN(len, (uint64_t)IO_CHUNK);
    uint8_t *buf = dt_malloc(cap ? cap : 1);
    int rc = 0;
    for (uint64_t done = 0; rc == 0 && done < len;) {
        size_t n = (size_t)DT_MIN(len - done, (uint64_t)cap);
        if ((rc = src_read(src, off + done, buf, n)) == 0) {
            dt_sha256_update(&h, buf, n);
            done += n;
            dt_progress_update(progress, done);
        }
    }
    free(buf);
    if (rc)
        dt_sha256_abort(&h);
    else
        dt_sha256_final_hex(&h, out);
    return rc;
}

/* ---- streaming puts ----
 * Into the backend's writer when it has one; else into a spool (an unlinked
 * temporary file, so memory stays bounded whatever the size) that is handed
 * to put_known once the key is known. */

struct dt_store_put {
    datom_store *st;
    dt_store_writer *w; /* NULL: spooling */
    int spool;
    dt_sha256 sha;
    uint64_t size;
    dt_progress *progress;
};

static int spool_open(int *fd_out)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        char *path = dt_sprintf("%s/datom-spool.XXXXXX", dir);
        fd = mkostemp(path, O_CLOEXEC);
        if (fd >= 0)
            unlink(path);
        free(path);
    }
    if (fd < 0)
        return dt_error_errno(errno, "temporary file in %s", dir);
    *fd_out = fd;
    return 0;
}

int dt_store_put_begin(datom_store *st, dt_store_put **out)
{
    *out = NULL;
    int rc = writable(st, "put", NULL);
    if (rc)
        return rc;
    dt_store_put *p = dt_calloc(1, sizeof *p);
    p->spool = -1;
    rc = st->ops->writer_open ? st->ops->writer_open(st, &p->w) : spool_open(&p->spool);
    if (rc) { /* the backend's message names the store */
        free(p);
        return rc;
    }
    p->st = st;
    dt_sha256_init(&p->sha);
    *out = p;
    return 0;
}

int dt_store_put_write(dt_store_put *p, const void *data, size_t n)
{
    dt_sha256_update(&p->sha, data, n);
    p->size += n;
    dt_progress_update(p->progress, p->size);
    if (p->w)
        return p->st->ops->writer_write(p->w, data, n);
    if (dt_fs_write_all(p->spool, data, n) != 0)
        return dt_error_errno(errno, "write a temporary file");
    return 0;
}

static int put_sink_write(void *ctx, const void *data, size_t n) { return dt_store_put_write(ctx, data, n); }

dt_sink dt_store_put_sink(dt_store_put *p) { return (dt_sink){put_sink_write, p}; }

static void put_free(dt_store_put *p)
{
    if (p->spool >= 0)
        close(p->spool);
    dt_progress_end(p->progress);
    free(p);
}

static void put_discard(dt_store_put *p)
{
    if (p->w)
        p->st->ops->writer_abort(p->w);
    p->w = NULL;
}

void dt_store_put_abort(dt_store_put *p)
{
    if (!p)
        return;
    put_discard(p);
    dt_sha256_abort(&p->sha);
    put_free(p);
}

/* Publishes what P holds under KEY (and frees the writer). */
static int put_commit(dt_store_put *p, const char *key)
{
    if (p->w) {
        dt_store_writer *w = p->w;
        p->w = NULL;
        return p->st->ops->writer_commit(w, key);
    }
    dt_store_src src = {.fd = p->spool, .size = p->size, .what = key};
    return p->st->ops->put_known(p->st, key, &src);
}

int dt_store_put_finish(dt_store_put *p, const char *key)
{
    int rc = dt_store_key_check(key);
    if (rc) {
        dt_store_put_abort(p);
        return rc;
    }
    dt_sha256_abort(&p->sha);
    rc = put_commit(p, key);
    if (rc == 0)
        dt_verbose("%s: put %s (%llu bytes)", p->st->url, key, (unsigned long long)p->size);
    put_free(p);
    return rc;
}

/* Is KEY already there with SIZE bytes? Same name, same size: the same
 * bytes. A different size means a damaged object, which new bytes repair. */
static bool ca_present(datom_store *st, const char *key, uint64_t size)
{
    uint64_t have = 0;
    int found = dt_store_do_exists(st, key, &have);
    if (found)
        datom_errclear();
    return found == 0 && have == size;
}

static void ca_verbose(datom_store *st, const char *key, uint64_t size, bool there)
{
    dt_verbose("%s: put %s (%llu bytes%s)", st->url, key, (unsigned long long)size,
               there ? ", already there" : "");
}

int dt_store_put_finish_ca(dt_store_put *p, const char *prefix, char sha_out[DATOM_SHA_HEX])
{
    int rc = prefix_check(prefix);
    if (rc) {
        dt_store_put_abort(p);
        return rc;
    }
    char sha[DATOM_SHA_HEX];
    dt_sha256_final_hex(&p->sha, sha);
    char *key = ca_key(prefix, sha);
    bool there = ca_present(p->st, key, p->size);
    if (there)
        put_discard(p);
    else
        rc = put_commit(p, key);
    if (rc == 0)
        ca_verbose(p->st, key, p->size, there);
    put_free(p);
    free(key);
    if (rc == 0 && sha_out)
        memcpy(sha_out, sha, DATOM_SHA_HEX);
    return rc;
}

/* How a put is filled: from memory or from a file descriptor. */
typedef struct put_source {
    const void *data;
    size_t len;
    int fd; /* -1: from data */
    const char *what;
} put_source;

/* Streams the file descriptor of SRC into P, with progress for a big file. */
static int put_copy_fd(dt_store_put *p, const put_source *src)
{
    struct stat sb;
    if (fstat(src->fd, &sb) != 0)
        return dt_error_errno(errno, "%s", src->what);
    if (S_ISDIR(sb.st_mode))
        return dt_error(DATOM_EINVAL, "%s: is a directory", src->what);
    posix_fadvise(src->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (S_ISREG(sb.st_mode) && sb.st_size >= (off_t)PROGRESS_MIN)
        p->progress = dt_progress_start("put", (uint64_t)sb.st_size);
    /* Small files get a small buffer (one read, then end of file). */
    size_t cap = S_ISREG(sb.st_mode) && sb.st_size < (off_t)IO_CHUNK ? (size_t)sb.st_size + 1 : IO_CHUNK;
    return dt_fs_copy_fd(src->fd, cap, src->what, dt_store_put_sink(p));
}

/* A put whose size is known (memory, or a regular file) straight to
 * put_known: hashed first when its SHA is wanted, then sent. */
static int put_direct(datom_store *st, const dt_store_src *src, const char *key,
                      const char *prefix, char sha_out[DATOM_SHA_HEX])
{
    char sha[DATOM_SHA_HEX];
    int rc = 0;
    if (!key || sha_out) {
        dt_progress *pg = src->size >= PROGRESS_MIN ? dt_progress_start("hash", src->size) : NULL;
        rc = dt_store_src_sha(src, 0, src->size, sha, pg);
        dt_progress_end(pg);
        if (rc)
            return rc;
    }
    char *ca = key ? NULL : ca_key(prefix, sha);
    bool there = ca && ca_present(st, ca, src->size);
    dt_store_src hashed = *src;
    if (!key || sha_out)
        hashed.sha = sha; /* the backend need not hash it again */
    if (!there)
        rc = st->ops->put_known(st, key ? key : ca, &hashed);
    if (rc == 0 && ca)
        ca_verbose(st, ca, src->size, there);
    else if (rc == 0)
        dt_verbose("%s: put %s (%llu bytes)", st->url, key, (unsigned long long)src->size);
    free(ca);
    if (rc == 0 && sha_out)
        memcpy(sha_out, sha, DATOM_SHA_HEX);
    return rc;
}

/* SRC as a known-size source, when the backend takes one and SRC is one. */
static bool as_known(datom_store *st, const put_source *src, dt_store_src *out)
{
    if (!st->ops->put_known)
        return false;
    struct stat sb;
    if (src->fd >= 0 && (fstat(src->fd, &sb) != 0 || !S_ISREG(sb.st_mode)))
        return false; /* a pipe, or an error put_copy_fd reports */
    *out = (dt_store_src){.data = src->fd < 0 ? (src->data ? src->data : "") : NULL,
                          .fd = src->fd,
                          .size = src->fd < 0 ? src->len : (uint64_t)sb.st_size,
                          .what = src->what};
    if (src->fd >= 0)
        posix_fadvise(src->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return true;
}

/* One whole put: fills a streaming put from SRC, then names the object KEY,
 * or PREFIX + its SHA-256 when KEY is NULL; sha_out (may be NULL) gets the
 * SHA-256 of the bytes either way. */
static int put_run(datom_store *st, const put_source *src, const char *key, const char *prefix,
                   char sha_out[DATOM_SHA_HEX])
{
    int rc = key ? dt_store_key_check(key) : prefix_check(prefix);
    if (rc == 0)
        rc = writable(st, "put", key);
    if (rc)
        return rc;
    dt_store_src known;
    if (as_known(st, src, &known))
        return put_direct(st, &known, key, prefix ? prefix : "", sha_out);
    dt_store_put *p;
    if ((rc = dt_store_put_begin(st, &p)))
        return rc;
    rc = src->fd < 0 ? dt_store_put_write(p, src->data, src->len) : put_copy_fd(p, src);
    if (rc) {
        dt_store_put_abort(p);
        return key ? dt_error_wrap("put %s", key) : rc;
    }
    if (!key)
        return dt_store_put_finish_ca(p, prefix, sha_out);
    if (sha_out)
        dt_sha256_final_hex(&p->sha, sha_out); /* leaves nothing for finish to free */
    return dt_store_put_finish(p, key);
}

int datom_store_put(datom_store *st, const char *key, const void *data, size_t len)
{
    if (!key)
        return dt_store_key_check(key);
    put_source src = {.data = data, .len = len, .fd = -1, .what = key};
    return put_run(st, &src, key, NULL, NULL);
}

int dt_store_put_fd(datom_store *st, int fd, const char *what, const char *key,
                    const char *prefix, char sha_out[DATOM_SHA_HEX])
{
    put_source src = {.fd = fd, .what = what};
    return put_run(st, &src, key, prefix, sha_out);
}

static int put_path(datom_store *st, const char *path, const char *key, const char *prefix,
                    char sha_out[DATOM_SHA_HEX])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dt_error_errno(errno, "%s", path);
    int rc = dt_store_put_fd(st, fd, path, key, prefix, sha_out);
    close(fd);
    return rc;
}

/* ---- batches ---- */

#define BATCH 128 /* files open at once */

/* One batch: open and hash PATHS, then put those not there yet together. */
static int put_batch_files(datom_store *st, const char *prefix, char *const *paths, size_t n,
                           char (*shas)[DATOM_SHA_HEX])
{
    int fds[BATCH];
    dt_store_src srcs[BATCH];
    char *keys[BATCH];
    size_t k = 0, opened = 0;
    int rc = 0;
    for (; rc == 0 && opened < n; opened++) {
        fds[opened] = open(paths[opened], O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (fds[opened] < 0 || fstat(fds[opened], &sb) != 0) {
            rc = dt_error_errno(errno, "%s", paths[opened]);
            if (fds[opened] >= 0)
                opened++;
            break;
        }
        if (!S_ISREG(sb.st_mode)) {
            opened++;
            rc = dt_error(DATOM_EINVAL, "%s: not a regular file", paths[opened - 1]);
            break;
        }
        dt_store_src src = {.fd = fds[opened], .size = (uint64_t)sb.st_size, .what = paths[opened]};
        if ((rc = dt_store_src_sha(&src, 0, src.size, shas[opened], NULL)) != 0)
            break;
        src.sha = shas[opened];
        srcs[k] = src;
        keys[k++] = ca_key(prefix, shas[opened]);
    }
    if (rc == 0 && k)
        rc = st->ops->put_batch(st, k, keys, srcs, true);
    for (size_t i = 0; i < k; i++)
        free(keys[i]);
    for (size_t i = 0; i < opened; i++)
        close(fds[i]);
    return rc;
}

int dt_store_put_files_ca(datom_store *st, const char *prefix, char *const *paths, size_t n,
                          char (*shas)[DATOM_SHA_HEX])
{
    int rc = prefix_check(prefix ? prefix : "");
    if (rc == 0)
        rc = writable(st, "put", NULL);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!st->ops->put_batch)
            rc = put_path(st, paths[i], NULL, prefix ? prefix : "", shas[i]);
    for (size_t i = 0; rc == 0 && st->ops->put_batch && i < n; i += BATCH)
        rc = put_batch_files(st, prefix ? prefix : "", paths + i, DT_MIN((size_t)BATCH, n - i), shas + i);
    return rc;
}

int datom_store_put_file(datom_store *st, const char *key, const char *path)
{
    if (!key)
        return dt_store_key_check(key);
    return put_path(st, path, key, NULL, NULL);
}

int datom_store_put_file_ca(datom_store *st, const char *prefix, const char *path,
                            char sha_out[DATOM_SHA_HEX])
{
    return put_path(st, path, NULL, prefix ? prefix : "", sha_out);
}

/* ---- gets ---- */

int dt_store_get_sink(datom_store *st, const char *key, uint64_t off, uint64_t len, dt_sink sink)
{
    int rc = dt_store_key_check(key);
    if (rc)
        return rc;
    return st->ops->get(st, key, off, len, sink);
}

int datom_store_get(datom_store *st, const char *key, uint64_t off, uint64_t len,
                    void **data_out, size_t *len_out)
{
    *data_out = NULL;
    if (len_out)
        *len_out = 0;
    dt_buf b = DT_BUF_INIT;
    int rc = dt_store_get_sink(st, key, off, len, dt_sink_buf(&b));
    if (rc) {
        dt_buf_free(&b);
        return rc;
    }
    if (len_out)
        *len_out = b.len;
    *data_out = b.data ? b.data : dt_calloc(1, 1);
    return 0;
}

/* A sink that hashes (when asked), counts, shows progress and passes bytes on. */
typedef struct get_tee {
    dt_sink next;
    dt_sha256 *sha;
    uint64_t done;
    dt_progress *progress;
} get_tee;

static int tee_write(void *ctx, const void *p, size_t n)
{
    get_tee *t = ctx;
    if (t->sha)
        dt_sha256_update(t->sha, p, n);
    t->done += n;
    dt_progress_update(t->progress, t->done);
    return t->next.write ? dt_sink_write(t->next, p, n) : 0;
}

/* The end of a content-addressed get of KEY that fed H (after RC): does it
 * hash to SHA? H is finished or aborted either way. */
static int ca_verdict(datom_store *st, const char *key, const char *sha, dt_sha256 *h, int rc,
                      uint64_t size)
{
    if (rc) {
        dt_sha256_abort(h);
        return rc;
    }
    char got[DATOM_SHA_HEX];
    dt_sha256_final_hex(h, got);
    if (strcmp(got, sha))
        return dt_error(DATOM_ECORRUPT, "%s: object %s is corrupt (its bytes hash to %s)", st->url,
                        key, got);
    dt_verbose("%s: get %s (%llu bytes, SHA-256 verified)", st->url, key, (unsigned long long)size);
    return 0;
}

int dt_store_get_ca(datom_store *st, const char *prefix, const char *sha, dt_sink sink)
{
    int rc = ca_check(prefix, sha);
    if (rc)
        return rc;
    char *key = ca_key(prefix, sha);
    dt_sha256 h;
    dt_sha256_init(&h);
    get_tee t = {.next = sink, .sha = &h};
    uint64_t size = 0;
    /* the size is for the progress line only: no round trip (a HEAD on S3) without one */
    if (dt_progress_wanted() && st->ops->stat(st, key, &size) == 0 && size >= PROGRESS_MIN)
        t.progress = dt_progress_start("get", size);
    rc = st->ops->get(st, key, 0, UINT64_MAX, (dt_sink){tee_write, &t});
    dt_progress_end(t.progress);
    rc = ca_verdict(st, key, sha, &h, rc, t.done);
    free(key);
    return rc;
}

#define WRITEBACK_STEP (8u << 20)

int dt_store_file_write(dt_store_file_out *o, const void *p, size_t n)
{
    if (dt_fs_write_all(o->fd, p, n) != 0)
        return dt_error_errno(errno, "write %s", o->what);
    o->done += n;
    if (o->done - o->kicked >= WRITEBACK_STEP) {
        /* Start writeback of what is written so far; does not wait. */
        sync_file_range(o->fd, (off_t)o->kicked, (off_t)(o->done - o->kicked), SYNC_FILE_RANGE_WRITE);
        o->kicked = o->done;
    }
    return 0;
}

static int file_out_write(void *ctx, const void *p, size_t n) { return dt_store_file_write(ctx, p, n); }

dt_sink dt_store_file_sink(dt_store_file_out *o) { return (dt_sink){file_out_write, o}; }

/* Writes PATH atomically from FILL: a temporary file beside it, fsync, rename. */
typedef int (*fill_fn)(datom_store *st, const char *a, const char *b, int fd, dt_sink sink);

static int get_to_file(datom_store *st, const char *a, const char *b, const char *path, fill_fn fill)
{
    char *tmp = dt_sprintf("%s.datom-tmp.%ld.XXXXXX", path, (long)getpid());
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int rc = dt_error_errno(errno, "%s", path);
        free(tmp);
        return rc;
    }
    dt_store_file_out out = {.fd = fd, .what = path};
    int rc = fill(st, a, b, fd, dt_store_file_sink(&out));
    if (rc == 0 && fsync(fd) != 0)
        rc = dt_error_errno(errno, "fsync %s", tmp);
    if (rc == 0)
        fchmod(fd, 0644);
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = dt_error_errno(errno, "rename to %s", path);
    if (rc) {
        unlink(tmp);
    } else {
        char *dir = dt_path_dirname(path);
        rc = dt_fs_fsync_dir(dir);
        free(dir);
    }
    free(tmp);
    return rc;
}

static int fill_plain(datom_store *st, const char *key, const char *unused, int fd, dt_sink sink)
{
    if (st->ops->get_fd) {
        uint64_t size;
        int rc = st->ops->get_fd(st, key, fd, (dt_sink){NULL, NULL}, &size);
        if (rc == 0)
            dt_verbose("%s: get %s (%llu bytes)", st->url, key, (unsigned long long)size);
        return rc;
    }
    get_tee t = {.next = sink};
    uint64_t size = 0;
    int rc = st->ops->stat(st, key, &size);
    if (rc)
        return rc;
    if (size >= PROGRESS_MIN)
        t.progress = dt_progress_start("get", size);
    rc = st->ops->get(st, key, 0, UINT64_MAX, (dt_sink){tee_write, &t});
    dt_progress_end(t.progress);
    if (rc == 0)
        dt_verbose("%s: get %s (%llu bytes)", st->url, key, (unsigned long long)t.done);
    return rc;
}

/* A backend that places ranges itself (get_fd): hashed in order as the
 * ranges come in, the hash ending with the last byte. */
static int fill_ca_fd(datom_store *st, const char *prefix, const char *sha, int fd)
{
    char *key = ca_key(prefix, sha);
    dt_sha256 h;
    dt_sha256_init(&h);
    get_tee t = {.sha = &h};
    uint64_t size = 0;
    int rc = st->ops->get_fd(st, key, fd, (dt_sink){tee_write, &t}, &size);
    if (rc == 0 && t.done != size)
        rc = dt_error(DATOM_EINTERNAL, "%s: get %s: %llu bytes hashed of %llu", st->url, key,
                      (unsigned long long)t.done, (unsigned long long)size);
    rc = ca_verdict(st, key, sha, &h, rc, size);
    free(key);
    return rc;
}

static int fill_ca(datom_store *st, const char *prefix, const char *sha, int fd, dt_sink sink)
{
    if (st->ops->get_fd)
        return fill_ca_fd(st, prefix, sha, fd);
    return dt_store_get_ca(st, prefix, sha, sink);
}

int datom_store_get_file(datom_store *st, const char *key, const char *path)
{
    int rc = dt_store_key_check(key);
    if (rc)
        return rc;
    return get_to_file(st, key, NULL, path, fill_plain);
}

int datom_store_get_file_ca(datom_store *st, const char *prefix, const char *sha, const char *path)
{
    int rc = ca_check(prefix, sha);
    if (rc)
        return rc;
    return get_to_file(st, prefix, sha, path, fill_ca);
}

/* ---- stat, del, list ---- */

int datom_store_stat(datom_store *st, const char *key, uint64_t *size_out)
{
    int rc = dt_store_key_check(key);
    if (rc)
        return rc;
    uint64_t size = 0;
    if ((rc = st->ops->stat(st, key, &size)))
        return rc;
    if (size_out)
        *size_out = size;
    return 0;
}

int datom_store_del(datom_store *st, const char *key)
{
    int rc = dt_store_key_check(key);
    if (rc == 0)
        rc = writable(st, "delete", key);
    if (rc)
        return rc;
    return st->ops->del(st, key);
}

/* A listing prefix is the start of a key: each whole segment in it (one
 * followed by '/') must be one a key may have, or "../" would walk a file
 * store's parent directory. The last, partial segment may be anything. */
static int list_prefix_check(const char *prefix)
{
    if (strlen(prefix) > DT_KEY_MAX)
        return dt_error(DATOM_EINVAL, "list: prefix longer than %d bytes", DT_KEY_MAX);
    for (const char *seg = prefix, *slash; (slash = strchr(seg, '/')); seg = slash + 1)
        if (segment_check(prefix, seg, (size_t)(slash - seg), false))
            return dt_error_wrap("list prefix");
    return 0;
}

int datom_store_list(datom_store *st, const char *prefix, const char *start_after, size_t limit,
                     char ***keys_out, size_t *n_out, int *more_out)
{
    *keys_out = NULL;
    *n_out = 0;
    if (more_out)
        *more_out = 0;
    if (!prefix)
        prefix = "";
    int rc = list_prefix_check(prefix);
    if (rc)
        return rc;
    dt_strv keys = DT_STRV_INIT;
    int more = 0;
    rc = st->ops->list(st, prefix, start_after, limit ? limit : SIZE_MAX, &keys, &more);
    if (rc) {
        dt_strv_free(&keys);
        return rc;
    }
    *keys_out = keys.v;
    *n_out = keys.n;
    if (more_out)
        *more_out = more;
    return 0;
}

/* ---- refs ---- */

int datom_store_ref_get(datom_store *st, const char *name, void **value_out, size_t *len_out,
                        char version_out[DATOM_REF_VERSION_MAX])
{
    *value_out = NULL;
    if (len_out)
        *len_out = 0;
    int rc = dt_store_key_check(name);
    if (rc)
        return dt_error_wrap("ref");
    dt_buf v = DT_BUF_INIT;
    dt_ref_info info = {0};
    if ((rc = st->ops->ref_get(st, name, &v, &info))) {
        dt_buf_free(&v);
        return rc;
    }
    if (len_out)
        *len_out = v.len;
    *value_out = v.data ? v.data : dt_calloc(1, 1);
    if (version_out)
        memcpy(version_out, info.version, DATOM_REF_VERSION_MAX);
    return 0;
}

int dt_store_ref_get_info(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info)
{
    int rc = dt_store_key_check(name);
    if (rc)
        return dt_error_wrap("ref");
    return st->ops->ref_get(st, name, value, info);
}

int dt_store_ref_cas_info(datom_store *st, const char *name, const char *expected,
                          const void *value, size_t len, dt_ref_info *info_out)
{
    int rc = dt_store_key_check(name);
    if (rc)
        return dt_error_wrap("ref");
    if (len > REF_VALUE_MAX)
        return dt_error(DATOM_EINVAL, "ref %s: value of %zu bytes is over the %u-byte limit",
                        name, len, REF_VALUE_MAX);
    if (expected && (!*expected || strlen(expected) >= DATOM_REF_VERSION_MAX))
        return dt_error(DATOM_EINVAL, "ref %s: malformed expected version", name);
    if ((rc = writable(st, "change ref", name)))
        return rc;
    dt_ref_info info = {0};
    rc = st->ops->ref_cas(st, name, expected, value ? value : "", len, &info);
    if (rc == 0)
        dt_verbose("%s: ref %s now at version %s", st->url, name, info.version);
    if (rc == 0 && info_out)
        *info_out = info;
    return rc;
}

int datom_store_ref_cas(datom_store *st, const char *name, const char *expected,
                        const void *value, size_t len, char new_version[DATOM_REF_VERSION_MAX])
{
    dt_ref_info info = {0};
    int rc = dt_store_ref_cas_info(st, name, expected, value, len, &info);
    if (rc == 0 && new_version)
        memcpy(new_version, info.version, DATOM_REF_VERSION_MAX);
    return rc;
}

int datom_store_ref_del(datom_store *st, const char *name, const char *expected)
{
    int rc = dt_store_key_check(name);
    if (rc)
        return dt_error_wrap("ref");
    if (!expected || !*expected || strlen(expected) >= DATOM_REF_VERSION_MAX)
        return dt_error(DATOM_EINVAL, "ref %s: delete needs the expected version", name);
    if ((rc = writable(st, "delete ref", name)))
        return rc;
    return st->ops->ref_del(st, name, expected);
}

/* ---- append-only logs ---- */

bool dt_store_has_log(const datom_store *st) { return st->ops->log_append != NULL; }

static int log_check(datom_store *st, const char *name)
{
    if (!dt_store_has_log(st))
        return dt_error(DATOM_EUNSUPPORTED, "%s: the %s backend has no append-only logs", st->url,
                        st->ops->name);
    int rc = dt_store_key_check(name);
    return rc ? dt_error_wrap("log") : 0;
}

int dt_store_log_read(datom_store *st, const char *name, uint64_t off, dt_buf *out, uint64_t *size_out)
{
    int rc = log_check(st, name);
    return rc ? rc : st->ops->log_read(st, name, off, out, size_out);
}

int dt_store_log_append(datom_store *st, const char *name, uint64_t expected, const void *p, size_t n)
{
    int rc = log_check(st, name);
    if (rc == 0)
        rc = writable(st, "append to log", name);
    return rc ? rc : st->ops->log_append(st, name, expected, p, n);
}

int dt_store_log_truncate(datom_store *st, const char *name, uint64_t expected, uint64_t size)
{
    int rc = log_check(st, name);
    if (rc == 0)
        rc = writable(st, "truncate log", name);
    if (rc == 0 && size > expected)
        rc = dt_error(DATOM_EINVAL, "log %s: cannot truncate %llu bytes to %llu", name,
                      (unsigned long long)expected, (unsigned long long)size);
    return rc ? rc : st->ops->log_truncate(st, name, expected, size);
}
