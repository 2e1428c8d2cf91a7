/*
 * s3.c: the S3 store backend, objects part (refs are in s3_ref.c, requests in
 * s3_http.c, configuration in s3_cfg.c; docs/architecture.md, "S3").
 *
 * Layout in the bucket: the store's key K is the object PREFIX + K; refs and
 * the probe live under PREFIX + ".datom-internal/", which no key may use and
 * listings skip.
 *
 * Guarantees, and how they are kept:
 *  (1) An object is visible whole or not at all: a put is one PUT, or a
 *      multipart upload that only becomes visible when it is completed; an
 *      upload that fails is aborted (and one left by a killed process is
 *      invisible, reclaimed by the bucket's lifecycle rules).
 *  (2) Memory is bounded whatever the size: a put streams from the caller's
 *      memory or file (read with pread, so a part can be sent again), in
 *      parts of cfg.part_size, cfg.parallel at once; a get streams to the
 *      sink, and a big one fetches 4 ranges at once into as many part-sized
 *      buffers (32 MiB), handed to the sink in order; a get into a file
 *      writes each range at its place straight from libcurl's buffer, and
 *      hands the bytes on in order from there or from the file (1 MiB).
 *  (3) Every body sent is signed with its real SHA-256, so the server
 *      refuses bytes damaged on the way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/s3.h"

#define LIST_PAGE 1000
#define GET_WAVE 4 /* ranges of a big get in flight: 4 x 8 MiB of buffers */
#define MIB (1u << 20)

/* ---- helpers shared with s3_ref.c ---- */

char *s3_full_key(const s3_store *s, const char *key) { return dt_sprintf("%s%s", s->cfg.prefix, key); }

/* The SHA-256 of the empty body, which every bodiless request signs. */
static const char empty_sha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

s3_req *s3_req_new(const char *method, char *full_key)
{
    s3_req *r = dt_calloc(1, sizeof *r);
    r->method = method;
    r->key = full_key;
    memcpy(r->body_sha, empty_sha, sizeof empty_sha);
    r->range_len = UINT64_MAX;
    return r;
}

int s3_error(const s3_store *s, const s3_req *r, const char *what, const char *key)
{
    dt_buf b = DT_BUF_INIT;
    s3_req_describe(r, &b);
    const char *hint = r->status == 403 ? " (access denied: check the credentials and the "
                                          "bucket's policy)"
                       : r->status == 404 ? " (no such bucket?)"
                                          : "";
    int rc = dt_error(DATOM_EIO, "%s: %s %s: %s%s", s->head.url, what,
                      key, dt_buf_cstr(&b), hint);
    dt_buf_free(&b);
    return rc;
}

int64_t s3_http_date_ms(const char *text)
{
    struct tm tm = {0};
    const char *end = strptime(text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end)
        return 0;
    return (int64_t)timegm(&tm) * 1000;
}

static int not_found(const s3_store *s, const char *key)
{
    return dt_error(DATOM_ENOTFOUND, "%s: %s: no such object", s->head.url, key);
}

/* Runs one request for KEY; the error names the store, WHAT and KEY. */
static int run1(s3_store *s, s3_req *r)
{
    return s3_http_run1(s->http, r, s->head.url);
}

/* S3 keys are at most 1024 bytes, the store's prefix included. */
#define S3_KEY_MAX 1024

static int key_fits(const s3_store *s, const char *key)
{
    size_t n = strlen(s->cfg.prefix) + strlen(key);
    if (n <= S3_KEY_MAX)
        return 0;
    return dt_error(DATOM_EINVAL, "%s: key of %zu bytes: with the store's prefix it is %zu, over "
                    "the 1024 bytes S3 allows", s->head.url, strlen(key), n);
}

/* ---- stat, del ---- */

static int s3_head(s3_store *s, const char *key, uint64_t *size_out, char etag[DATOM_REF_VERSION_MAX])
{
    if (key_fits(s, key))
        return DATOM_EINVAL;
    s3_req *r = s3_req_new("HEAD", s3_full_key(s, key));
    int rc = run1(s, r);
    if (rc == 0 && r->status == 404)
        rc = not_found(s, key);
    else if (rc == 0 && r->status != 200)
        rc = s3_error(s, r, "HEAD", key);
    if (rc == 0) {
        *size_out = r->has_length ? r->length : 0;
        if (etag)
            memcpy(etag, r->etag, DATOM_REF_VERSION_MAX);
    }
    s3_req_free(r);
    return rc;
}

static int s3_stat(datom_store *st, const char *key, uint64_t *size_out)
{
    return s3_head((s3_store *)st, key, size_out, NULL);
}

static int s3_del(datom_store *st, const char *key)
{
    s3_store *s = (s3_store *)st;
    uint64_t size;
    int rc = s3_head(s, key, &size, NULL); /* S3 deletes a missing key without a word */
    if (rc)
        return rc;
    s3_req *r = s3_req_new("DELETE", s3_full_key(s, key));
    rc = run1(s, r);
    if (rc == 0 && r->status != 204 && r->status != 200 && r->status != 404)
        rc = s3_error(s, r, "DELETE", key);
    s3_req_free(r);
    return rc;
}

/* ---- get ---- */

static s3_req *range_req(s3_store *s, const char *key, uint64_t off, uint64_t len, dt_sink sink)
{
    s3_req *r = s3_req_new("GET", s3_full_key(s, key));
    r->ranged = true;
    r->range_off = off;
    r->range_len = len;
    r->sink = sink;
    return r;
}

static int get_status(s3_store *s, const s3_req *r, const char *key)
{
    if (r->status == 404)
        return not_found(s, key);
    if (r->status == 412)
        return dt_error(DATOM_ECONFLICT, "%s: %s changed while it was being read", s->head.url, key);
    if (r->status != 200 && r->status != 206)
        return s3_error(s, r, "GET", key);
    return 0;
}

/* The rest of a big object, [off, end), in waves of cfg.parallel ranges
 * fetched at once into part-sized buffers, passed to SINK in order. */
static int get_rest(s3_store *s, const char *key, const char *etag, uint64_t off, uint64_t end,
                    dt_sink sink)
{
    size_t wave = (size_t)DT_MIN(s->cfg.parallel, GET_WAVE);
    uint64_t part = s->cfg.part_size;
    s3_req **reqs = dt_calloc(wave, sizeof *reqs);
    dt_buf *bufs = dt_calloc(wave, sizeof *bufs);
    for (size_t i = 0; i < wave && end - off > part; i++)
        dt_buf_reserve(&bufs[i], (size_t)part); /* exactly: no doubling past it */
    int rc = 0;
    while (rc == 0 && off < end) {
        size_t n = 0;
        for (; n < wave && off < end; n++, off += part) {
            dt_buf_clear(&bufs[n]);
            reqs[n] = range_req(s, key, off, DT_MIN(part, end - off), dt_sink_buf(&bufs[n]));
            snprintf(reqs[n]->if_match, sizeof reqs[n]->if_match, "%s", etag);
        }
        rc = s3_http_run(s->http, reqs, n, s->head.url);
        for (size_t i = 0; i < n; i++) {
            if (rc == 0)
                rc = get_status(s, reqs[i], key);
            if (rc == 0 && bufs[i].len != reqs[i]->range_len)
                rc = dt_error(DATOM_EIO, "%s: %s: a range came back short", s->head.url, key);
            if (rc == 0)
                rc = dt_sink_write(sink, bufs[i].data, bufs[i].len);
            s3_req_free(reqs[i]);
        }
    }
    for (size_t i = 0; i < wave; i++)
        dt_buf_free(&bufs[i]);
    free(bufs);
    free(reqs);
    return rc;
}

static int past_end(s3_store *s, const char *key, uint64_t off, uint64_t size)
{
    return dt_error(DATOM_EINVAL, "%s: %s: offset %llu is past the end (%llu bytes)", s->head.url,
                    key, (unsigned long long)off, (unsigned long long)size);
}

/* An offset at or past the end (416): empty, or an error. */
static int get_at_end(s3_store *s, const char *key, uint64_t off)
{
    uint64_t size;
    int rc = s3_head(s, key, &size, NULL);
    if (rc)
        return rc;
    return off > size ? past_end(s, key, off, size) : 0;
}

static int s3_get(datom_store *st, const char *key, uint64_t off, uint64_t len, dt_sink sink)
{
    s3_store *s = (s3_store *)st;
    if (key_fits(s, key))
        return DATOM_EINVAL;
    if (len == 0)
        return get_at_end(s, key, off);
    /* The first part streams straight to the sink; its answer gives the size. */
    uint64_t first = DT_MIN(len, s->cfg.part_size);
    s3_req *r = range_req(s, key, off, first, sink);
    int rc = run1(s, r);
    if (rc == 0 && r->status == 416) {
        s3_req_free(r);
        return get_at_end(s, key, off);
    }
    rc = rc ? rc : get_status(s, r, key);
    if (rc == 0 && r->has_length) { /* 206: the total; 200 (Range ignored): the whole */
        uint64_t end = len == UINT64_MAX || off + len > r->length ? r->length : off + len;
        if (off + r->delivered < end)
            rc = get_rest(s, key, r->etag, off + r->delivered, end, sink);
    }
    s3_req_free(r);
    return rc;
}

/* ---- get into a file ----
 *
 * Ranges of GET_RANGE bytes, GET_STREAMS in flight over kept connections,
 * asked for in order as earlier ones end (a sliding window: no wave waits
 * for its slowest range); each is written at its place with pwrite straight
 * from libcurl's buffer. The first range's answer gives the size and the
 * ETag (no HEAD first); the others ask If-Match that ETag. The bytes reach
 * the ordered sink in order: a write at the end of what it has seen goes to
 * it from the same buffer; a range that lands ahead of that is read back
 * from the page cache when the ranges before it are in. At most GET_AHEAD
 * ranges are between the first not yet passed on and the newest. Writeback
 * starts every few MiB, so the caller's fsync waits for the tail only. */

#define GET_STREAMS 4         /* at most (fewer if cfg.parallel says so) */
#define GET_RANGE (16u << 20) /* 64 requests a GiB */
#define GET_AHEAD 16          /* in ranges: 256 MiB of the file, none of memory */
#define SIZE_UNKNOWN UINT64_MAX
#define WRITEBACK_STEP (8u << 20)
#define CATCH_UP_BUF (1u << 20)

typedef struct get_file get_file;

/* Range k: [start, end) of the object, written up to pos. */
typedef struct get_range {
    get_file *g;
    s3_req *req; /* NULL once answered */
    uint64_t start, end, pos, kicked;
} get_range;

struct get_file {
    s3_store *s;
    const char *key;
    int fd;
    dt_sink ordered;
    uint64_t size; /* SIZE_UNKNOWN until the first answer */
    char etag[DATOM_REF_VERSION_MAX];
    uint64_t first, next; /* ranges [first, next) are asked for and not all passed on */
    uint64_t given;       /* bytes [0, given) passed to ORDERED */
    get_range ring[GET_AHEAD];
    uint8_t *buf; /* catch-up reads, CATCH_UP_BUF */
};

static get_range *range_of(get_file *g, uint64_t k) { return &g->ring[k % GET_AHEAD]; }

/* The first range's answer (its headers in): the size (the total of its
 * Content-Range, or the Content-Length of a server that ignored the Range)
 * and the ETag. */
static int learn_size(get_file *g, const s3_req *r)
{
    if (r->status == 206 ? !r->has_total : !r->has_length)
        return dt_error(DATOM_EIO, "%s: %s: the server did not give the object's size",
                        g->s->head.url, g->key);
    g->size = r->length;
    snprintf(g->etag, sizeof g->etag, "%s", r->etag);
    get_range *rg = range_of(g, 0);
    rg->end = DT_MIN(rg->end, g->size);
    return 0;
}

/* Passes [given, to) on from the file, where it was written. */
static int catch_up(get_file *g, uint64_t to)
{
    if (!g->ordered.write)
        g->given = to;
    while (g->given < to) {
        size_t n = (size_t)DT_MIN((uint64_t)CATCH_UP_BUF, to - g->given);
        ssize_t got = pread(g->fd, g->buf, n, (off_t)g->given);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return got < 0 ? dt_error_errno(errno, "read back %s", g->key)
                           : dt_error(DATOM_EIO, "read back %s: the file shrank", g->key);
        int rc = dt_sink_write(g->ordered, g->buf, (size_t)got);
        if (rc)
            return rc;
        g->given += (uint64_t)got;
    }
    return 0;
}

/* Starts writeback of what RG wrote since the last time; does not wait. */
static void kick(get_file *g, get_range *rg)
{
    if (rg->pos == rg->kicked)
        return; /* a length of 0 would mean "to the end of the file" */
    sync_file_range(g->fd, (off_t)rg->kicked, (off_t)(rg->pos - rg->kicked), SYNC_FILE_RANGE_WRITE);
    rg->kicked = rg->pos;
}

static int range_write(void *ctx, const void *p, size_t n)
{
    get_range *rg = ctx;
    get_file *g = rg->g;
    int rc;
    if (g->size == SIZE_UNKNOWN && (rc = learn_size(g, rg->req)) != 0)
        return rc;
    if (dt_fs_pwrite_all(g->fd, p, n, rg->pos) != 0)
        return dt_error_errno(errno, "write %s", g->key);
    if (g->given == rg->pos) { /* next in order: on from this buffer */
        if (g->ordered.write && (rc = dt_sink_write(g->ordered, p, n)) != 0)
            return rc;
        g->given += n;
    }
    rg->pos += n;
    if (rg->pos - rg->kicked >= WRITEBACK_STEP)
        kick(g, rg);
    return 0;
}

static s3_req *get_next(void *ctx)
{
    get_file *g = ctx;
    uint64_t start = g->next * GET_RANGE;
    if (g->next > 0 && (g->size == SIZE_UNKNOWN || start >= g->size || g->next - g->first == GET_AHEAD))
        return NULL;
    get_range *rg = range_of(g, g->next++);
    uint64_t end = g->size == SIZE_UNKNOWN ? start + GET_RANGE : DT_MIN(start + GET_RANGE, g->size);
    *rg = (get_range){g, NULL, start, end, start, start};
    rg->req = range_req(g->s, g->key, start, end - start, (dt_sink){range_write, rg});
    rg->req->ctx = rg;
    snprintf(rg->req->if_match, sizeof rg->req->if_match, "%s", g->etag);
    return rg->req;
}

/* An answer of 416 to the first range: the object is empty. */
static int get_empty(get_file *g)
{
    uint64_t size;
    int rc = s3_head(g->s, g->key, &size, NULL);
    if (rc == 0 && size)
        rc = dt_error(DATOM_ECONFLICT, "%s: %s changed while it was being read", g->s->head.url, g->key);
    g->size = 0;
    range_of(g, 0)->end = 0;
    return rc;
}

/* A range has its answer: passes on what is now in order. */
static int get_done(void *ctx, s3_req *r)
{
    get_file *g = ctx;
    get_range *rg = r->ctx;
    int rc = 0;
    if (r->status == 416 && rg->start == 0)
        rc = get_empty(g);
    else if ((rc = get_status(g->s, r, g->key)) == 0 && g->size == SIZE_UNKNOWN)
        rc = learn_size(g, r); /* an empty body: no write told it */
    if (rc == 0 && rg->pos != rg->end)
        rc = dt_error(DATOM_EIO, "%s: %s: a range came back short", g->s->head.url, g->key);
    s3_req_free(r);
    rg->req = NULL;
    kick(g, rg); /* its tail: the fsync then waits for the last range's only */
    for (; rc == 0 && g->first < g->next; g->first++) {
        get_range *f = range_of(g, g->first);
        rc = catch_up(g, f->pos);
        if (f->req)
            break; /* still coming: its next bytes go on from its buffer */
    }
    return rc;
}

static int s3_get_fd(datom_store *st, const char *key, int fd, dt_sink ordered, uint64_t *size_out)
{
    s3_store *s = (s3_store *)st;
    if (key_fits(s, key))
        return DATOM_EINVAL;
    get_file g = {.s = s, .key = key, .fd = fd, .ordered = ordered, .size = SIZE_UNKNOWN};
    if (ordered.write)
        g.buf = dt_malloc(CATCH_UP_BUF);
    s3_feed f = {get_next, get_done, &g, (size_t)DT_MIN(s->cfg.parallel, GET_STREAMS)};
    int rc = s3_http_feed(s->http, &f, s->head.url);
    for (uint64_t k = g.first; k < g.next; k++)
        s3_req_free(range_of(&g, k)->req); /* those cut off by an error */
    if (rc == 0 && g.given != g.size)
        rc = dt_error(DATOM_EINTERNAL, "%s: get %s: %llu bytes of %llu in order", s->head.url, key,
                      (unsigned long long)g.given, (unsigned long long)g.size);
    free(g.buf);
    *size_out = g.size;
    return rc;
}

/* ---- list ---- */

static char *list_query(const s3_store *s, const char *prefix, const char *after, const char *token,
                        size_t max)
{
    /* Sorted by name, as SigV4 signs them. */
    dt_buf q = DT_BUF_INIT;
    if (token) {
        dt_buf_puts(&q, "continuation-token=");
        s3_uri_encode(&q, token, false);
        dt_buf_putc(&q, '&');
    }
    dt_buf_printf(&q, "list-type=2&max-keys=%zu&prefix=", max);
    char *full = s3_full_key(s, prefix);
    s3_uri_encode(&q, full, false);
    free(full);
    if (after && !token) {
        dt_buf_puts(&q, "&start-after=");
        full = s3_full_key(s, after);
        s3_uri_encode(&q, full, false);
        free(full);
    }
    return dt_buf_detach(&q);
}

/* Adds the keys of PAGE that belong to the store; 1 when the limit is passed. */
static int list_take(const s3_store *s, s3_listing *page, size_t limit, dt_strv *keys)
{
    size_t plen = strlen(s->cfg.prefix);
    for (size_t i = 0; i < page->keys.n; i++) {
        const char *k = page->keys.v[i];
        if (strncmp(k, s->cfg.prefix, plen))
            continue; /* not ours: a server that ignored the prefix */
        k += plen;
        if (!strncmp(k, DT_STORE_RESERVED "/", strlen(DT_STORE_RESERVED) + 1) || !*k)
            continue;
        if (keys->n == limit)
            return 1;
        dt_strv_push(keys, k);
    }
    return 0;
}

static int s3_list(datom_store *st, const char *prefix, const char *start_after, size_t limit,
                   dt_strv *keys, int *more)
{
    s3_store *s = (s3_store *)st;
    char *token = NULL;
    int rc = 0;
    for (;;) {
        s3_req *r = s3_req_new("GET", NULL);
        size_t want = limit - keys->n >= LIST_PAGE ? LIST_PAGE : limit - keys->n + 1;
        r->query = list_query(s, prefix, start_after, token, want);
        rc = run1(s, r);
        if (rc == 0 && r->status != 200)
            rc = s3_error(s, r, "list", prefix);
        s3_listing page;
        if (rc == 0)
            rc = s3_xml_listing((const char *)r->body.data, r->body.len, &page);
        if (rc) {
            if (datom_errcode() == DATOM_EIO && r->status == 200)
                dt_error_wrap("%s: list %s", s->head.url, prefix);
            s3_req_free(r);
            break;
        }
        s3_req_free(r);
        int full = list_take(s, &page, limit, keys);
        free(token);
        token = page.truncated ? dt_strdup(page.next_token) : NULL;
        s3_listing_free(&page);
        if (full || (keys->n == limit && token)) {
            *more = 1;
            break;
        }
        if (!token)
            break;
    }
    free(token);
    return rc;
}

/* ---- put ---- */

s3_req *s3_body_req(const char *method, char *full_key, const dt_store_src *src, uint64_t off,
                        uint64_t len)
{
    s3_req *r = s3_req_new(method, full_key);
    r->src = src;
    r->body_off = off;
    r->body_len = len;
    return r;
}

/* A single PUT of SRC, signed with its SHA (computed unless known). */
static s3_req *put_req(s3_store *s, const char *key, const dt_store_src *src, int *rc)
{
    s3_req *r = s3_body_req("PUT", s3_full_key(s, key), src, 0, src->size);
    if (src->sha)
        memcpy(r->body_sha, src->sha, DATOM_SHA_HEX);
    else
        *rc = dt_store_src_sha(src, 0, src->size, r->body_sha, NULL);
    return r;
}

static int put_single(s3_store *s, const char *key, const dt_store_src *src)
{
    int rc = 0;
    s3_req *r = put_req(s, key, src, &rc);
    rc = rc ? rc : run1(s, r);
    if (rc == 0 && r->status != 200)
        rc = s3_error(s, r, "PUT", key);
    s3_req_free(r);
    return rc;
}

static int s3_put_known(datom_store *st, const char *key, const dt_store_src *src)
{
    s3_store *s = (s3_store *)st;
    if (key_fits(s, key))
        return DATOM_EINVAL;
    if (src->size >= s->cfg.multipart_min)
        return s3_multipart(s, key, src);
    return put_single(s, key, src);
}

/* ---- batches ---- */

/* HEADs of all KEYS at once: present[i] when key i is there with its size. */
static int batch_present(s3_store *s, size_t n, char *const *keys, const dt_store_src *srcs,
                         bool *present)
{
    s3_req **reqs = dt_calloc(n, sizeof *reqs);
    for (size_t i = 0; i < n; i++)
        reqs[i] = s3_req_new("HEAD", s3_full_key(s, keys[i]));
    int rc = s3_http_run(s->http, reqs, n, s->head.url);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && reqs[i]->status != 200 && reqs[i]->status != 404)
            rc = s3_error(s, reqs[i], "HEAD", keys[i]);
        present[i] = reqs[i]->status == 200 && reqs[i]->has_length && reqs[i]->length == srcs[i].size;
        s3_req_free(reqs[i]);
    }
    free(reqs);
    return rc;
}

/* Small puts all in flight at once (cfg.parallel at a time over kept
 * connections); big ones (multipart) one after the other. */
static int s3_put_batch(datom_store *st, size_t n, char *const *keys, const dt_store_src *srcs,
                        bool skip_present)
{
    s3_store *s = (s3_store *)st;
    bool *skip = dt_calloc(n, sizeof *skip);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = key_fits(s, keys[i]);
    if (rc == 0 && skip_present)
        rc = batch_present(s, n, keys, srcs, skip);
    s3_req **reqs = dt_calloc(n, sizeof *reqs);
    size_t k = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (skip[i])
            continue;
        if (srcs[i].size >= s->cfg.multipart_min)
            rc = s3_multipart(s, keys[i], &srcs[i]);
        else
            reqs[k++] = put_req(s, keys[i], &srcs[i], &rc);
    }
    if (rc == 0 && k)
        rc = s3_http_run(s->http, reqs, k, s->head.url);
    for (size_t i = 0; i < k; i++) {
        if (rc == 0 && reqs[i]->status != 200)
            rc = s3_error(s, reqs[i], "PUT", reqs[i]->key + strlen(s->cfg.prefix));
        s3_req_free(reqs[i]);
    }
    free(reqs);
    free(skip);
    return rc;
}

/* ---- open and free ---- */

static void s3_free(datom_store *st)
{
    s3_store *s = (s3_store *)st;
    s3_http_free(s->http);
    s3_cfg_free(&s->cfg);
    free(s);
}

const dt_store_ops dt_store_s3_ops = {
    DT_STORE_OPS_INIT,
    .name = "s3",
    .free = s3_free,
    .get = s3_get,
    .get_fd = s3_get_fd,
    .stat = s3_stat,
    .del = s3_del,
    .list = s3_list,
    .put_known = s3_put_known,
    .put_batch = s3_put_batch,
    .ref_get = dt_s3_ref_get,
    .ref_cas = dt_s3_ref_cas,
    .ref_del = dt_s3_ref_del,
};

int dt_store_s3_url_check(const char *url)
{
    s3_cfg c;
    int rc = s3_cfg_parse(&c, url);
    if (rc == 0)
        s3_cfg_free(&c);
    return rc;
}

/* Is the bucket there? A store is a prefix of a bucket: the prefix exists
 * as soon as it is named (a first put makes its first key), the bucket does
 * not, and datom makes none (a bucket is made, and given its policy, by
 * whoever administers the account). So a missing bucket is DATOM_ENOTFOUND
 * whatever the flags. Any other answer (403 for a user who may not list the
 * bucket but may read its objects, a public bucket read anonymously) lets
 * the open go on: the operations themselves then say what they may not do. */
static int bucket_check(s3_store *s)
{
    s3_req *r = s3_req_new("HEAD", NULL);
    int rc = run1(s, r);
    if (rc == 0 && r->status == 404)
        rc = dt_error(DATOM_ENOTFOUND, "%s: no such bucket %s (datom makes no bucket: "
                      "create it, with its access policy, with the provider's tools)",
                      s->head.url, s->cfg.bucket);
    else if (rc == 0 && r->status != 200)
        dt_debug("%s: HEAD of the bucket answered HTTP %ld: going on", s->head.url, r->status);
    s3_req_free(r);
    return rc;
}

/* FLAGS: DATOM_STORE_CREATE changes nothing (see bucket_check);
 * DATOM_STORE_READONLY is kept by store.c, and nothing here writes. */
int dt_store_s3_open(datom_store **out, const char *url, unsigned flags)
{
    (void)flags;
    *out = NULL;
    s3_store *s = dt_calloc(1, sizeof *s);
    int rc = s3_cfg_parse(&s->cfg, url);
    if (rc) {
        free(s);
        return rc;
    }
    s->head.ops = &dt_store_s3_ops;
    s->head.url = dt_strdup(url);
    if ((rc = s3_http_new(&s->http, &s->cfg)) != 0) {
        free(s->head.url);
        s3_free(&s->head);
        return rc;
    }
    if ((rc = bucket_check(s)) != 0) {
        free(s->head.url);
        s3_free(&s->head);
        return rc;
    }
    dt_debug("s3 store %s: endpoint %s, region %s, %s-style, %s", url, s->cfg.endpoint,
             s->cfg.region, s->cfg.path_style ? "path" : "virtual",
             s->cfg.access_key ? "signed requests" : "anonymous requests");
    *out = &s->head;
    return 0;
}
