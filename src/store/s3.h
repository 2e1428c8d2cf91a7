/*
 * s3.h: what the files of the S3 backend share (docs/architecture.md, "S3").
 *
 *   s3.c       the store: URL and configuration, credentials, objects
 *              (ranged and parallel GET, HEAD, DELETE, listing, puts: single
 *              or multipart, streamed from memory or a file descriptor)
 *   s3_ref.c   refs and the probe of conditional writes
 *   s3_http.c  requests over libcurl: SigV4 signing by libcurl, many requests
 *              in flight over reused connections (one curl multi handle per
 *              store), retries with backoff and jitter under a deadline
 *   s3_xml.c   the few XML documents S3 answers with, parsed (pure: fuzzed)
 *
 * Secrets (the secret key, the session token) live in s3_cfg only: they are
 * handed to libcurl and to no message, log line or URL.
 */
#ifndef DT_STORE_S3_H
#define DT_STORE_S3_H

#include "store/store.h"

typedef struct s3_cfg {
    char *bucket;
    char *prefix;   /* "" or ending in '/': where the store's keys start */
    char *endpoint; /* scheme://host[:port], no trailing '/' */
    char *region;
    bool path_style; /* https://host/bucket/key rather than https://bucket.host/key */
    char *access_key, *secret_key, *token; /* NULL access_key: anonymous */
    int64_t timeout_ms; /* the bound on one operation, retries included */
    int64_t stall_ms;   /* a transfer that moves no byte for this long is cut */
    int retries;        /* attempts after the first */
    int parallel;       /* requests in flight at once */
    uint64_t part_size; /* multipart parts (and parallel GET ranges) */
    uint64_t multipart_min; /* puts from this size go multipart */
} s3_cfg;

typedef struct s3_http s3_http;

typedef struct s3_store {
    datom_store head;
    s3_cfg cfg;
    s3_http *http;
    int probe; /* 0: conditional writes not probed yet; 1: honoured; -1: ignored */
} s3_store;

/* ---- s3_cfg.c ---- */

/* Fills C from URL, the environment and the AWS files; the error never
 * shows a credential. */
int s3_cfg_parse(s3_cfg *c, const char *url);
void s3_cfg_free(s3_cfg *c);

/* ---- s3_http.c ---- */

/* How a failed request may be sent again. */
enum s3_retry {
    S3_RETRY_IDEMPOTENT, /* on 5xx, 429, 409, resets and timeouts */
    S3_RETRY_NEVER,      /* conditional writes: the caller settles (s3_ref.c) */
};

typedef struct s3_req {
    /* The request. */
    const char *method; /* GET PUT HEAD DELETE POST */
    char *key;          /* the full object key (prefix included), NULL: the bucket */
    char *query;        /* canonical: sorted, encoded, "name=" for a bare one; may be NULL */
    char *headers[6];   /* extra "Name: value" lines */
    const dt_store_src *src; /* body, from SRC at [body_off, body_off+body_len) */
    uint64_t body_off, body_len;
    char body_sha[DATOM_SHA_HEX]; /* hex SHA-256 of the body (x-amz-content-sha256) */
    enum s3_retry retry;
    /* Called once, just before the first attempt (a part's SHA is computed
     * then, not for all parts up front); its error ends the run. */
    int (*prepare)(struct s3_req *r);
    void *ctx;
    /* A GET's body goes to SINK; after a failure mid-body the next attempt
     * asks for the rest by Range (If-Match the first answer's ETag). */
    dt_sink sink;
    uint64_t range_off, range_len; /* range_len UINT64_MAX: to the end */
    bool ranged;
    char if_match[DATOM_REF_VERSION_MAX]; /* a GET of that ETag only ("": any) */
    /* The answer. */
    long status;
    dt_buf body; /* non-GET bodies and error bodies (bounded) */
    char etag[DATOM_REF_VERSION_MAX];
    int64_t mtime_ms; /* Last-Modified */
    int64_t date_ms;  /* Date: the server's clock when it answered */
    uint64_t length; /* Content-Length, or the total of Content-Range */
    bool has_length;
    bool has_total; /* length is the total of a Content-Range */
    uint64_t delivered; /* bytes passed to SINK */
    int attempts;
    int curl_rc; /* last transport error (CURLE_*), 0 if none */
    int sink_rc; /* the sink's error, which ends the request */
    /* Private to s3_http.c. */
    void *easy, *slist;
    uint64_t sent, discard;
    int64_t not_before_ns, deadline_ns;
    bool skip_body, done;
} s3_req;

int s3_http_new(s3_http **out, const s3_cfg *cfg);
void s3_http_free(s3_http *h);
/* Runs N requests, up to cfg->parallel at once, each retried per its policy
 * under its own deadline (cfg->timeout_ms from its first attempt). Returns 0 when each has an
 * HTTP answer (look at ->status), or DATOM_EIO / the sink's error when one
 * could not be had, with a message naming WHAT, the key and the last status. */
int s3_http_run(s3_http *h, s3_req **reqs, size_t n, const char *what);
/* Requests made as the run goes: NEXT gives the next one to send (NULL:
 * none for now), called whenever there is room for one more, so they are
 * sent in its order; DONE is told of each that has its HTTP answer, and its
 * error ends the run. The run ends when none is in flight and NEXT gives
 * none. The requests stay the feed's: those still in flight when the run
 * ends early are let go by the run, not freed. */
typedef struct s3_feed {
    s3_req *(*next)(void *ctx);
    int (*done)(void *ctx, s3_req *r); /* may be NULL */
    void *ctx;
    size_t parallel; /* in flight at once (0: cfg->parallel); a request waiting to be sent
                      * again holds its place */
} s3_feed;
/* Returns 0, DONE's error, or as s3_http_run for a request without an answer. */
int s3_http_feed(s3_http *h, const s3_feed *f, const char *what);
int s3_http_run1(s3_http *h, s3_req *r, const char *what);
void s3_req_free(s3_req *r);
void s3_req_header(s3_req *r, const char *fmt, ...) DT_PRINTF(2, 3);
/* "S3 error CODE: MESSAGE" of an answer, for messages (never a secret: S3
 * error bodies hold codes, keys and request ids). */
void s3_req_describe(const s3_req *r, dt_buf *out);

/* Percent-encoding of RFC 3986 (unreserved characters kept; '/' kept when
 * SLASH), as SigV4 wants for paths and query values. */
void s3_uri_encode(dt_buf *b, const char *s, bool slash);

/* ---- s3_xml.c: pure, bounded, fuzzed ---- */

/* A ListObjectsV2 page: the keys (decoded), truncation and the next token. */
typedef struct s3_listing {
    dt_strv keys;
    bool truncated;
    char *next_token;
} s3_listing;
int s3_xml_listing(const char *xml, size_t len, s3_listing *out);
void s3_listing_free(s3_listing *l);
/* The text of the first element NAME (entities decoded); NULL if absent. */
char *s3_xml_text(const char *xml, size_t len, const char *name);

/* ---- s3.c, for s3_ref.c ---- */

char *s3_full_key(const s3_store *s, const char *key);
s3_req *s3_req_new(const char *method, char *full_key);
int s3_error(const s3_store *s, const s3_req *r, const char *what, const char *key);
int64_t s3_http_date_ms(const char *text);

/* A request with a body: [off, off+len) of SRC (its SHA still to be set). */
s3_req *s3_body_req(const char *method, char *full_key, const dt_store_src *src, uint64_t off,
                    uint64_t len);

/* ---- s3_multipart.c ---- */

/* Puts SRC under KEY as a multipart upload (aborted if it fails). */
int s3_multipart(s3_store *s, const char *key, const dt_store_src *src);

/* ---- s3_ref.c ---- */

int dt_s3_ref_get(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info);
int dt_s3_ref_cas(datom_store *st, const char *name, const char *expected, const void *value,
                  size_t len, dt_ref_info *info_out);
int dt_s3_ref_del(datom_store *st, const char *name, const char *expected);

#endif /* DT_STORE_S3_H */
