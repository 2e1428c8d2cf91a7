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

typedef struct dt_store_ops {
    const char *name; /* "file", "mem", "s3" */
    void (*free)(datom_store *st);

    /* Objects. get streams [off, off+len) to the sink (len UINT64_MAX: to the end). */
    int (*writer_open)(datom_store *st, dt_store_writer **out);
    int (*writer_write)(dt_store_writer *w, const void *p, size_t n);
    int (*writer_commit)(dt_store_writer *w, const char *key); /* frees w */
    void (*writer_abort)(dt_store_writer *w);                  /* frees w */
    int (*get)(datom_store *st, const char *key, uint64_t off, uint64_t len, dt_sink sink);
    int (*stat)(datom_store *st, const char *key, uint64_t *size_out);
    int (*del)(datom_store *st, const char *key);
    int (*list)(datom_store *st, const char *prefix, const char *start_after, size_t limit,
                dt_strv *keys, int *more);

    /* Refs. */
    int (*ref_get)(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info);
    int (*ref_cas)(datom_store *st, const char *name, const char *expected, const void *value,
                   size_t len, dt_ref_info *info_out);
    int (*ref_del)(datom_store *st, const char *name, const char *expected);
} dt_store_ops;

/* The common head of every backend's handle: backends embed it first. */
struct datom_store {
    const dt_store_ops *ops;
    char *url;      /* as opened, for messages, its credentials redacted (dt_redact) */
    unsigned flags; /* DATOM_STORE_*: store.c refuses changes to a READONLY store */
};

/* Validates an object key or ref name; the error names it. */
int dt_store_key_check(const char *key);

/* Streams a file into a writer (hashing it on the way when sha_out is given). */
int dt_store_writer_copy_file(dt_store_writer *w, datom_store *st, const char *path,
                              char sha_out[DATOM_SHA_HEX]);

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

/* Backend constructors (store.c dispatches on the URL). They set the head's
 * ops; store.c sets url and flags after. URL (redacted) is for messages.
 * FLAGS are datom_store_open_ext's: without DATOM_STORE_CREATE a store that
 * does not exist is DATOM_ENOTFOUND naming it; opening, and every read, of a
 * DATOM_STORE_READONLY store writes nothing. */
int dt_store_file_open(datom_store **out, const char *root, const char *url, unsigned flags);
int dt_store_mem_open(datom_store **out, const char *name, const char *url, unsigned flags);

#endif /* DT_STORE_H */
