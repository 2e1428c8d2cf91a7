/*
 * s3_ref.c: refs of the S3 backend, by conditional PUT.
 *
 * A ref NAME is the object PREFIX + ".datom-internal/refs/" + NAME (hashed
 * when that is too long for S3: ref_key). Its body
 * is one header line, "datom-ref 1 V NONCE\n" (a value follows) or
 * "datom-ref 1 T NONCE\n" (a tombstone: deleted), where NONCE is 128 random
 * bits drawn for each write. Its version is the object's ETag.
 *
 * Invariants:
 *  (1) A ref changes only by a conditional PUT: create-only is If-None-Match: *
 *      (or If-Match the tombstone's ETag), compare-and-swap is If-Match the
 *      expected ETag. Of writers racing from one version the server lets one
 *      through (200) and answers the others 412 (or 404 for If-Match on a
 *      missing key, on AWS): they lost.
 *  (2) Every write has its own nonce, so no two writes give one body: an
 *      ETag (the MD5 of the body) never comes back (no ABA), even when a
 *      value does.
 *  (3) An answer that was lost (a reset, a timeout, a 5xx after the server
 *      may have applied the write) is settled by reading the ref back: our
 *      nonce there means we won; the ref still at the precondition means the
 *      write did not land and it is sent again (with backoff, under the
 *      deadline); anything else means we lost. A conditional PUT is never
 *      resent blindly, so a ref never moves twice for one call.
 *  (4) Before its first ref write a handle probes that the server honours
 *      conditional writes (the same probe key PUT twice with If-None-Match: *,
 *      and once with If-Match a wrong ETag: each must be refused with 412).
 *      A server that ignores them gets no ref write at all: a clear
 *      DATOM_EUNSUPPORTED, never a silent race. Reads never probe (a
 *      read-only user never writes).
 *  (5) ETags are sent without quotes: Ceph RGW compares If-Match against the
 *      bare ETag (AWS accepts both). Refs are always single PUTs (RGW does
 *      not honour conditions on multipart completion).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "store/s3.h"

#define REFS DT_STORE_RESERVED "/refs/"
#define PROBE DT_STORE_RESERVED "/probe"
#define MAGIC "datom-ref 1 "
#define NONCE_HEX 33
#define HEAD_LEN (sizeof MAGIC - 1 + 2 + NONCE_HEX - 1 + 1) /* "datom-ref 1 V <32 hex>\n" */

typedef struct ref_state {
    bool exists, live;
    char etag[DATOM_REF_VERSION_MAX];
    char nonce[NONCE_HEX];
    int64_t mtime_ms;
    dt_buf value;
} ref_state;

enum outcome { WON, LOST, AMBIGUOUS, FAILED };

/* The object of ref NAME; a name too long for an S3 key (1024 bytes with
 * the prefix) becomes its first 150 bytes, '~' and its SHA-256 (a '~' no
 * short name has at that place). */
static char *ref_key(const s3_store *s, const char *name)
{
    char *key = dt_sprintf("%s" REFS "%s", s->cfg.prefix, name);
    if (strlen(key) <= 1024)
        return key;
    free(key);
    char sha[DATOM_SHA_HEX];
    dt_sha256_hex(name, strlen(name), sha);
    return dt_sprintf("%s" REFS "%.150s~%s", s->cfg.prefix, name, sha);
}

/* ---- reading ---- */

static int parse_body(const s3_store *s, const char *name, const dt_buf *b, ref_state *st)
{
    const char *p = (const char *)b->data;
    if (b->len < HEAD_LEN || memcmp(p, MAGIC, sizeof MAGIC - 1) || (p[12] != 'V' && p[12] != 'T') ||
        p[13] != ' ' || p[HEAD_LEN - 1] != '\n')
        return dt_error(DATOM_ECORRUPT, "%s: ref %s: not a datom ref (its object was written by "
                        "something else)", s->head.url, name);
    st->live = p[12] == 'V';
    memcpy(st->nonce, p + 14, NONCE_HEX - 1);
    st->nonce[NONCE_HEX - 1] = '\0';
    dt_buf_append(&st->value, p + HEAD_LEN, b->len - HEAD_LEN);
    return 0;
}

static int ref_read(s3_store *s, const char *name, ref_state *st)
{
    memset(st, 0, sizeof *st);
    dt_buf body = DT_BUF_INIT;
    s3_req *r = s3_req_new("GET", ref_key(s, name));
    r->sink = dt_sink_buf(&body);
    int rc = s3_http_run1(s->http, r, s->head.url);
    if (rc == 0 && r->status == 200) {
        st->exists = true;
        memcpy(st->etag, r->etag, sizeof st->etag);
        st->mtime_ms = r->mtime_ms;
        rc = parse_body(s, name, &body, st);
    } else if (rc == 0 && r->status != 404) {
        rc = s3_error(s, r, "read ref", name);
    }
    s3_req_free(r);
    dt_buf_free(&body);
    return rc;
}

int dt_s3_ref_get(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info)
{
    s3_store *s = (s3_store *)st;
    ref_state cur;
    int rc = ref_read(s, name, &cur);
    if (rc == 0 && !cur.live)
        rc = dt_error(DATOM_ENOTFOUND, "%s: %s: no such ref", st->url, name);
    if (rc == 0) {
        dt_buf_append(value, cur.value.data, cur.value.len);
        memcpy(info->version, cur.etag, sizeof info->version);
        info->mtime_ms = cur.mtime_ms;
    }
    dt_buf_free(&cur.value);
    return rc;
}

/* ---- conditional writes ---- */

/* One conditional PUT of BODY under KEY, never retried here. */
static enum outcome cond_put(s3_store *s, const char *key, const char *cond, const dt_buf *body,
                             s3_req **out)
{
    dt_store_src src = {.data = body->data, .fd = -1, .size = body->len, .what = "a ref"};
    s3_req *r = s3_body_req("PUT", dt_strdup(key), &src, 0, body->len);
    dt_sha256_hex(body->data, body->len, r->body_sha);
    s3_req_header(r, "%s", cond);
    r->retry = S3_RETRY_NEVER;
    int rc = s3_http_run1(s->http, r, s->head.url);
    r->src = NULL;
    *out = r;
    if (rc)
        return FAILED;
    if (r->curl_rc || r->status >= 500 || r->status == 409 || r->status == 429)
        return AMBIGUOUS;
    if (r->status == 200)
        return WON;
    if (r->status == 412 || (r->status == 404 && strncmp(cond, "If-Match", 8) == 0))
        return LOST;
    return FAILED;
}

/* An ETag we could send in a header: letters, digits and '-' only. */
static bool etag_ok(const char *e)
{
    if (!*e)
        return false;
    for (; *e; e++)
        if (!((*e >= '0' && *e <= '9') || (*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || *e == '-'))
            return false;
    return true;
}

static int probe_fail(s3_store *s)
{
    s->probe = -1;
    return dt_error(DATOM_EUNSUPPORTED, "%s: the server at %s ignores conditional writes "
                    "(If-None-Match / If-Match): refs and locks need them, so datom refuses to "
                    "write refs there rather than race", s->head.url, s->cfg.endpoint);
}

static int probe_put(s3_store *s, const char *cond, bool must_refuse)
{
    dt_buf body = DT_BUF_INIT;
    dt_buf_puts(&body, "datom probe of conditional writes\n");
    char *key = dt_sprintf("%s" PROBE, s->cfg.prefix);
    dt_store_src src = {.data = body.data, .fd = -1, .size = body.len, .what = "the probe"};
    s3_req *r = s3_body_req("PUT", key, &src, 0, body.len);
    dt_sha256_hex(body.data, body.len, r->body_sha);
    s3_req_header(r, "%s", cond);
    int rc = s3_http_run1(s->http, r, s->head.url);
    if (rc == 0 && r->status != 412 && (must_refuse || r->status != 200))
        rc = r->status == 200 ? probe_fail(s) : s3_error(s, r, "probe conditional writes with", PROBE);
    s3_req_free(r);
    dt_buf_free(&body);
    return rc;
}

static int probe(s3_store *s)
{
    if (s->probe > 0)
        return 0;
    if (s->probe < 0)
        return probe_fail(s);
    int rc = probe_put(s, "If-None-Match: *", false);
    rc = rc ? rc : probe_put(s, "If-None-Match: *", true);
    rc = rc ? rc : probe_put(s, "If-Match: 00000000000000000000000000000000", true);
    if (rc == 0) {
        s->probe = 1;
        dt_debug("%s: conditional writes are honoured", s->head.url);
    }
    return rc;
}

/* ---- writing ---- */

static void new_nonce(char out[NONCE_HEX])
{
    uint8_t raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    dt_hex_encode(raw, sizeof raw, out);
}

typedef struct ref_write {
    const char *name;
    char kind; /* 'V' or 'T' */
    const void *value;
    size_t len;
    char cond[DATOM_REF_VERSION_MAX + 32]; /* the precondition header */
    char pre_etag[DATOM_REF_VERSION_MAX];  /* the ETag it names, "" for none */
} ref_write;

static int lost_error(const s3_store *s, const ref_write *w, bool create)
{
    if (create)
        return dt_error(DATOM_EEXISTS, "%s: ref %s already exists", s->head.url, w->name);
    return dt_error(DATOM_ECONFLICT, "%s: ref %s: version %s is no longer current (lost a race)",
                    s->head.url, w->name, w->pre_etag);
}

/* After an ambiguous answer: WON, LOST, or AMBIGUOUS (did not land: again). */
static enum outcome settle(s3_store *s, const ref_write *w, const char *nonce, dt_ref_info *info)
{
    ref_state cur;
    int rc = ref_read(s, w->name, &cur);
    dt_buf_free(&cur.value);
    if (rc) {
        datom_errclear();
        return AMBIGUOUS;
    }
    if (cur.exists && !strcmp(cur.nonce, nonce)) {
        memcpy(info->version, cur.etag, sizeof info->version);
        info->mtime_ms = cur.mtime_ms;
        return WON;
    }
    bool unchanged = w->pre_etag[0] ? cur.exists && !strcmp(cur.etag, w->pre_etag) : !cur.exists;
    return unchanged ? AMBIGUOUS : LOST;
}

static int ref_write_run(s3_store *s, const ref_write *w, bool create, dt_ref_info *info)
{
    char nonce[NONCE_HEX];
    new_nonce(nonce);
    dt_buf body = DT_BUF_INIT;
    dt_buf_printf(&body, MAGIC "%c %s\n", w->kind, nonce);
    dt_buf_append(&body, w->value, w->len);
    char *key = ref_key(s, w->name);
    int64_t deadline = dt_monotonic_ns() + s->cfg.timeout_ms * 1000000;
    int rc = 0;
    for (int attempt = 0;; attempt++) {
        s3_req *r;
        enum outcome o = cond_put(s, key, w->cond, &body, &r);
        if (o == WON) {
            memcpy(info->version, r->etag, sizeof info->version);
            info->mtime_ms = r->date_ms ? r->date_ms : dt_now_ms();
        } else if (o == AMBIGUOUS) {
            dt_debug("%s: ref %s: answer lost (HTTP %ld), reading it back", s->head.url, w->name, r->status);
            o = settle(s, w, nonce, info);
        }
        if (o == FAILED)
            rc = datom_errcode() ? dt_error_wrap("write ref %s", w->name) : s3_error(s, r, "write ref", w->name);
        else if (o == LOST)
            rc = lost_error(s, w, create);
        bool again = o == AMBIGUOUS && attempt < s->cfg.retries && dt_monotonic_ns() < deadline;
        if (o == AMBIGUOUS && !again)
            rc = dt_error(DATOM_EIO, "%s: ref %s: no answer from the server after %d attempts "
                          "(HTTP %ld; the ref is unchanged)", s->head.url, w->name, attempt + 1, r->status);
        s3_req_free(r);
        if (!again || rc)
            break;
        struct timespec ts = {0, (long)(50000000L << DT_MIN(attempt, 4))};
        nanosleep(&ts, NULL);
    }
    free(key);
    dt_buf_free(&body);
    if (rc == 0 && !etag_ok(info->version)) /* no ETag in the answer: read it */
        rc = dt_error(DATOM_EIO, "%s: ref %s: the server gave no ETag for the write", s->head.url, w->name);
    return rc;
}

int dt_s3_ref_cas(datom_store *st, const char *name, const char *expected, const void *value,
                  size_t len, dt_ref_info *info_out)
{
    s3_store *s = (s3_store *)st;
    int rc = probe(s);
    if (rc)
        return rc;
    ref_write w = {.name = name, .kind = 'V', .value = value, .len = len};
    if (expected) {
        if (!etag_ok(expected))
            return dt_error(DATOM_ECONFLICT, "%s: ref %s: version %s is not current", st->url, name, expected);
        snprintf(w.pre_etag, sizeof w.pre_etag, "%s", expected);
    } else {
        ref_state cur;
        rc = ref_read(s, name, &cur);
        dt_buf_free(&cur.value);
        if (rc)
            return rc;
        if (cur.live)
            return dt_error(DATOM_EEXISTS, "%s: ref %s already exists", st->url, name);
        if (cur.exists) /* a tombstone: replace exactly it */
            memcpy(w.pre_etag, cur.etag, sizeof w.pre_etag);
    }
    if (w.pre_etag[0])
        snprintf(w.cond, sizeof w.cond, "If-Match: %s", w.pre_etag);
    else
        snprintf(w.cond, sizeof w.cond, "If-None-Match: *");
    return ref_write_run(s, &w, expected == NULL, info_out);
}

int dt_s3_ref_del(datom_store *st, const char *name, const char *expected)
{
    s3_store *s = (s3_store *)st;
    ref_state cur;
    int rc = ref_read(s, name, &cur);
    dt_buf_free(&cur.value);
    if (rc)
        return rc;
    if (!cur.live)
        return dt_error(DATOM_ENOTFOUND, "%s: %s: no such ref", st->url, name);
    if ((rc = probe(s)) != 0)
        return rc;
    if (!etag_ok(expected) || strcmp(expected, cur.etag))
        return dt_error(DATOM_ECONFLICT, "%s: ref %s: version %s is no longer current", st->url, name, expected);
    ref_write w = {.name = name, .kind = 'T', .value = "", .len = 0};
    snprintf(w.pre_etag, sizeof w.pre_etag, "%s", expected);
    snprintf(w.cond, sizeof w.cond, "If-Match: %s", expected);
    dt_ref_info info;
    return ref_write_run(s, &w, false, &info);
}
