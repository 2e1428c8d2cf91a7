/*
 * store.h: the object store, private interface (the public one is in datom.h).
 *
 * A store is a handle over one backend, picked by URL. The backend is a vtable
 * (dt_store_ops); store.c does everything common to all backends (URL parsing,
 * key validation, content addressing and SHA verification) and the backends
 * only move bytes. A backend never knows who calls it.
 *
 * Objects are immutable once visible: a put becomes visible atomically and
 * whole (a writer streams into a dt_store_writer, which publishes on commit).
 * Refs are the only mutable things and change only by compare-and-swap.
 */
#ifndef DT_STORE_H
#define DT_STORE_H

#include "core/core.h"

#define DT_KEY_MAX 1024
/* The top-level name no key may use: backends keep their internals there
 * (the file backend's temporary files and refs) and listings skip it. */
#define DT_STORE_RESERVED ".datom-internal"

typedef struct dt_store_writer dt_store_writer;

typedef struct dt_ref_info {
    char version[DATOM_REF_VERSION_MAX]; /* opaque token for ref_cas */
    int64_t mtime_ms;                     /* when the store last changed it, by the store's clock */
} dt_ref_info;

/* The bytes of a put whose key and size are known before it starts: SIZE
 * bytes from DATA, or when DATA is NULL from FD at OFF (read with pread, so a
 * backend may read a range again to retry it). WHAT names them in messages. */
typedef struct dt_store_src {
    const void *data;
    int fd;
    uint64_t off, size;
    const char *what;
    const char *sha; /* the SHA-256 (hex) of the bytes when known, else NULL */
} dt_store_src;

/* The version of dt_store_ops this build knows. A backend's ops table starts
 * with DT_STORE_OPS_INIT; a table of another version, or without a required
 * operation, is refused when its backend is registered (see dt_store_backend). */
#define DT_STORE_OPS_VERSION 1
#define DT_STORE_OPS_INIT .version = DT_STORE_OPS_VERSION

typedef struct dt_store_ops {
    unsigned version; /* DT_STORE_OPS_VERSION */
    const char *name; /* "file", "mem", "s3", "fault" */
    void (*free)(datom_store *st);

    /* Objects. get streams [off, off+len) to the sink (len UINT64_MAX: to the
     * end); it may be called again after a failure and must then start over. */
    int (*get)(datom_store *st, const char *key, uint64_t off, uint64_t len, dt_sink sink);
    int (*stat)(datom_store *st, const char *key, uint64_t *size_out);
    int (*del)(datom_store *st, const char *key);
    int (*list)(datom_store *st, const char *prefix, const char *start_after, size_t limit,
                dt_strv *keys, int *more);

    /* Puts: a backend fills the streaming writer, put_known, or both.
     * The writer takes bytes before it knows their key (a rename at commit);
     * put_known takes a key and a size up front (what S3, which has no
     * rename, wants). Without a writer, store.c spools a stream to an
     * unlinked temporary file and hands it to put_known; without put_known,
     * store.c streams the source through the writer. */
    int (*writer_open)(datom_store *st, dt_store_writer **out);
    int (*writer_write)(dt_store_writer *w, const void *p, size_t n);
    int (*writer_commit)(dt_store_writer *w, const char *key); /* frees w */
    void (*writer_abort)(dt_store_writer *w);                  /* frees w */
    int (*put_known)(datom_store *st, const char *key, const dt_store_src *src);
    /* Optional: N puts at once (several requests in flight over kept
     * connections), leaving alone, when SKIP_PRESENT, a key already there
     * with the size of its source (content addressing); 0 when all are
     * done, else the first error. NULL: store.c makes them one by one. */
    int (*put_batch)(datom_store *st, size_t n, char *const *keys, const dt_store_src *srcs,
                     bool skip_present);

    /* Optional: all of KEY into FD (an empty regular file), placed with
     * pwrite, so several ranges may arrive at once; its size in *size_out.
     * Each byte also goes once, in order, to ORDERED (unless its write is
     * NULL) as soon as every byte before it is in: the caller hashes the
     * object while its later ranges are still on their way.
     * NULL: store.c streams get into the file (and hashes it on the way). */
    int (*get_fd)(datom_store *st, const char *key, int fd, dt_sink ordered, uint64_t *size_out);

    /* Optional: is KEY there (its size in *size_out)? 0 or DATOM_ENOTFOUND,
     * cheaper than stat where a backend can answer from what it knows. NULL:
     * store.c asks stat. */
    int (*exists)(datom_store *st, const char *key, uint64_t *size_out);

    /* Refs. */
    int (*ref_get)(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info);
    int (*ref_cas)(datom_store *st, const char *name, const char *expected, const void *value,
                   size_t len, dt_ref_info *info_out);
    int (*ref_del)(datom_store *st, const char *name, const char *expected);

    /* Append-only logs, optional: a backend that cannot append durably and
     * atomically leaves all three NULL, and callers commit with objects and
     * refs instead (the fact database does). A log is a byte string named
     * like a ref, kept in the backend's own space (not an object, never
     * listed). read gives [off, end) and the whole size; append writes P at
     * the end only if the size is EXPECTED (else DATOM_ECONFLICT), creating
     * the log when EXPECTED is 0, and returns once the bytes are durable;
     * truncate cuts the log to SIZE only if its size is EXPECTED. Appends and
     * truncations of one log are serialised between processes; a reader may
     * see the bytes of an append before it returns, and must check them. */
    int (*log_read)(datom_store *st, const char *name, uint64_t off, dt_buf *out, uint64_t *size_out);
    int (*log_append)(datom_store *st, const char *name, uint64_t expected, const void *p, size_t n);
    int (*log_truncate)(datom_store *st, const char *name, uint64_t expected, uint64_t size);
} dt_store_ops;

/* A backend, registered by the start of the URLs it serves ("mem:",
 * "file:", "s3://"); open gets the whole URL and datom_store_open_ext's
 * FLAGS: without DATOM_STORE_CREATE a store that does not exist is
 * DATOM_ENOTFOUND naming it (S3: a missing bucket, whatever the flags,
 * since datom makes no bucket; a prefix exists once named), and opening a DATOM_STORE_READONLY store writes
 * nothing (store.c refuses every change to it before a backend sees one).
 * ops is its table, checked (version, required operations) when the
 * backend is registered. The backend sets the head's ops and url (a copy of
 * URL; store.c then redacts it and sets flags). */
typedef struct dt_store_backend {
    const char *scheme;
    const dt_store_ops *ops;
    int (*open)(datom_store **out, const char *url, unsigned flags);
} dt_store_backend;

/* Adds a backend (tests, plugins); DATOM_EINVAL if its ops are of another
 * version or lack a required operation, DATOM_EEXISTS if its scheme is taken.
 * The built-in backends are registered before the first open. */
int dt_store_register(const dt_store_backend *be);

/* The common head of every backend's handle: backends embed it first. */
struct datom_store {
    const dt_store_ops *ops;
    char *url;      /* as opened, for messages, its credentials redacted (dt_redact) */
    unsigned flags; /* DATOM_STORE_*: store.c refuses changes to a READONLY store */
};

/* Validates an object key or ref name; the error names it. */
int dt_store_key_check(const char *key);

/* The local directory a store URL names: 0 and *path_out (caller frees) for a
 * plain path or a file: URL (file:///p, file://localhost/p, file:/p, percent-
 * decoded); 1 for a URL of another kind (mem:, s3://...); DATOM_EINVAL for a
 * malformed file: URL (file:, file:relative, file://host/p). */
int dt_store_local_path(const char *url, char **path_out);

/* The URL the store was opened with (borrowed). */
const char *dt_store_url(const datom_store *st);

/* Streaming puts, for producers that write as they go (a Parquet writer):
 * begin, write (or hand out the sink), then finish under a key, or under
 * PREFIX + the SHA-256 of the bytes (a no-op if that object exists), or abort.
 * finish/abort free the handle; nothing is visible before finish. */
typedef struct dt_store_put dt_store_put;
int dt_store_put_begin(datom_store *st, dt_store_put **out);
int dt_store_put_write(dt_store_put *p, const void *data, size_t n);
dt_sink dt_store_put_sink(dt_store_put *p);
int dt_store_put_finish(dt_store_put *p, const char *key);
int dt_store_put_finish_ca(dt_store_put *p, const char *prefix, char sha_out[DATOM_SHA_HEX]);
void dt_store_put_abort(dt_store_put *p);

/* Streams FD (named WHAT in messages) to KEY, or when KEY is NULL to PREFIX +
 * its SHA-256; sha_out (may be NULL) gets the SHA-256 of the bytes either way. */
int dt_store_put_fd(datom_store *st, int fd, const char *what, const char *key,
                    const char *prefix, char sha_out[DATOM_SHA_HEX]);

/* Content-addressed puts of N files at once (PREFIX + each one's SHA-256,
 * written to shas[i]); a backend that can keeps several in flight. An object
 * already there with the same size is not sent again. */
int dt_store_put_files_ca(datom_store *st, const char *prefix, char *const *paths, size_t n,
                          char (*shas)[DATOM_SHA_HEX]);

/* Streams [off, off+len) of KEY to SINK (len UINT64_MAX: to the end; off past
 * the end is DATOM_EINVAL). */
int dt_store_get_sink(datom_store *st, const char *key, uint64_t off, uint64_t len, dt_sink sink);
/* Streams PREFIX + SHA to SINK, verifying the SHA-256 as it goes: on a mismatch
 * the sink has seen the bad bytes and the result is DATOM_ECORRUPT, so sink to
 * something you can throw away (a buffer, a temporary file). */
int dt_store_get_ca(datom_store *st, const char *prefix, const char *sha, dt_sink sink);

/* Refs with their full info (version and the store's mtime of the change). */
int dt_store_ref_get_info(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info);
int dt_store_ref_cas_info(datom_store *st, const char *name, const char *expected,
                          const void *value, size_t len, dt_ref_info *info_out);

/* Append-only logs (see dt_store_ops): whether the store has them, and the
 * operations, with the name checked (DATOM_EUNSUPPORTED without them). */
bool dt_store_has_log(const datom_store *st);
int dt_store_log_read(datom_store *st, const char *name, uint64_t off, dt_buf *out, uint64_t *size_out);
int dt_store_log_append(datom_store *st, const char *name, uint64_t expected, const void *p, size_t n);
int dt_store_log_truncate(datom_store *st, const char *name, uint64_t expected, uint64_t size);

/* A file being written that will be fsynced when complete: dt_store_file_sink
 * writes to FD and asks the kernel to start writing back every few MiB, so
 * the final fsync of a big file waits for the tail, not for all of it. */
typedef struct dt_store_file_out {
    int fd;
    const char *what; /* the file, for messages */
    uint64_t done, kicked;
} dt_store_file_out;
int dt_store_file_write(dt_store_file_out *o, const void *p, size_t n);
dt_sink dt_store_file_sink(dt_store_file_out *o);

/* The store-level operations, for wrappers (fault.c) that pass calls on to
 * another store: each checks nothing and falls back as described above. */
int dt_store_do_put_known(datom_store *st, const char *key, const dt_store_src *src);
int dt_store_do_exists(datom_store *st, const char *key, uint64_t *size_out);
int dt_store_do_get_fd(datom_store *st, const char *key, int fd, dt_sink ordered, uint64_t *size_out);
/* The hex SHA-256 of [off, off+len) of SRC (progress may be NULL). */
int dt_store_src_sha(const dt_store_src *src, uint64_t off, uint64_t len, char out[DATOM_SHA_HEX],
                     dt_progress *progress);

/* Backend constructors (store.c dispatches on the URL; see dt_store_backend
 * for URL and FLAGS). dt_store_file_open takes a directory, for plain paths. */
int dt_store_file_open(datom_store **out, const char *root, const char *url, unsigned flags);
int dt_store_file_open_url(datom_store **out, const char *url, unsigned flags);
int dt_store_mem_open(datom_store **out, const char *url, unsigned flags);
int dt_store_fault_open(datom_store **out, const char *url, unsigned flags);
int dt_store_s3_open(datom_store **out, const char *url, unsigned flags);
/* Checks an s3:// URL as opening it would, without a request. */
int dt_store_s3_url_check(const char *url);
extern const dt_store_ops dt_store_file_ops, dt_store_mem_ops, dt_store_fault_ops, dt_store_s3_ops;

/* DATOM_TEST_STORE_FAULT=SPEC (tests only): every store opened is wrapped in
 * a fault store with that spec (docs/architecture.md, "Injected faults"). */
#define DT_STORE_FAULT_ENV "DATOM_TEST_STORE_FAULT"
int dt_store_fault_wrap(datom_store **st, const char *spec);

#endif /* DT_STORE_H */
