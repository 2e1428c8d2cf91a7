/*
 * s3_http.c: S3 requests over libcurl (see s3.h).
 *
 * Every request runs through the store's one curl multi handle, so requests
 * share its connection cache: a connection is kept and reused, and several
 * requests (the parts of a multipart put, the ranges of a big get, a batch of
 * small puts) are in flight at once over several kept connections. A run
 * takes its requests from a feed as there is room (s3_http_feed), so a caller
 * may make them as it learns what to ask (a get learns the size from its
 * first range) and hold only those in flight; one waiting for its retry
 * keeps its place, so a run under 503s slows down rather than widening.
 *
 * Signing is libcurl's (CURLOPT_AWS_SIGV4, "aws:amz:REGION:s3"). The libcurl
 * of Debian 12 (7.88) needs help, given here: the payload's SHA-256 is sent
 * as x-amz-content-sha256 (the real hash: the server verifies the body); the
 * query is sent already canonical (sorted, encoded, "uploads=" for a bare
 * sub-resource), since 7.88 signs it as written; the session token goes in
 * x-amz-security-token. The path is sent encoded once, as S3 signs it.
 * No header may be blanked ("Expect:" to drop 100-continue): 7.88 signs the
 * blanked header, which is not sent, and the signature fails.
 *
 * Retries (docs/architecture.md, "S3: retries"): an idempotent request that
 * fails by a reset, a timeout, a connection error, 5xx, 429 or 409 is sent
 * again after an exponential backoff with jitter (50 ms doubling, capped at
 * 5 s, each delay drawn from its upper half), at most cfg->retries more
 * times, and never past its deadline (cfg->timeout_ms after it was first
 * sent: a bound on the total time of each request, however many are queued). A
 * GET cut mid-body resumes with a Range from the byte it reached, If-Match
 * the ETag of its first answer, so the sink never sees a byte twice. A
 * transfer that moves nothing for cfg->stall_ms is cut (a stall is a
 * timeout). Conditional writes are never resent here: s3_ref.c settles them.
 *
 * No secret reaches a message: the credentials go to libcurl only, libcurl's
 * own verbose output is never switched on, and -vv prints method, key,
 * status, size and time.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/s3.h"

#define BODY_MAX (16u << 20)  /* an XML answer larger than this is refused */
#define BACKOFF_BASE_MS 50
#define BACKOFF_CAP_MS 5000
#define CONNECT_TIMEOUT_MS 10000
#define POLL_MS 100

struct s3_http {
    const s3_cfg *cfg;
    CURLM *multi;
    CURL **idle;
    size_t n_idle, cap_idle;
    char *sigv4;
    uint64_t rng;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---- encoding ---- */

void s3_uri_encode(dt_buf *b, const char *s, bool slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (slash && c == '/'))
            dt_buf_putc(b, (char)c);
        else
            dt_buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
}

/* ---- handles ---- */

int s3_http_new(s3_http **out, const s3_cfg *cfg)
{
    pthread_once(&global_once, global_init);
    s3_http *h = dt_calloc(1, sizeof *h);
    h->cfg = cfg;
    h->multi = curl_multi_init();
    if (!h->multi) {
        free(h);
        return dt_error(DATOM_EIO, "libcurl: cannot make a multi handle");
    }
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->parallel);
    h->sigv4 = dt_sprintf("aws:amz:%s:s3", cfg->region);
    h->rng = (uint64_t)dt_monotonic_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)h;
    *out = h;
    return 0;
}

void s3_http_free(s3_http *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n_idle; i++)
        curl_easy_cleanup(h->idle[i]);
    free(h->idle);
    curl_multi_cleanup(h->multi);
    free(h->sigv4);
    free(h);
}

static CURL *easy_take(s3_http *h)
{
    if (h->n_idle)
        return h->idle[--h->n_idle];
    return curl_easy_init();
}

static void easy_give(s3_http *h, CURL *e)
{
    if (h->n_idle == h->cap_idle) {
        h->cap_idle = h->cap_idle ? h->cap_idle * 2 : 8;
        h->idle = dt_realloc(h->idle, h->cap_idle * sizeof *h->idle);
    }
    h->idle[h->n_idle++] = e;
}

/* ---- requests ---- */

void s3_req_header(s3_req *r, const char *fmt, ...)
{
    for (size_t i = 0; i < DT_ARRAY_LEN(r->headers); i++) {
        if (r->headers[i])
            continue;
        dt_buf b = DT_BUF_INIT;
        va_list ap;
        va_start(ap, fmt);
        dt_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        r->headers[i] = dt_buf_detach(&b);
        return;
    }
    abort(); /* more headers than any request of this backend sends: a bug */
}

void s3_req_free(s3_req *r)
{
    if (!r)
        return;
    free(r->key);
    free(r->query);
    for (size_t i = 0; i < DT_ARRAY_LEN(r->headers); i++)
        free(r->headers[i]);
    dt_buf_free(&r->body);
    free(r);
}

static bool is_2xx(long status) { return status >= 200 && status < 300; }

/* ---- callbacks ---- */

static bool header_is(const char *line, size_t n, const char *name, const char **value)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) || line[k] != ':')
        return false;
    *value = line + k + 1;
    while (*value < line + n && (**value == ' ' || **value == '\t'))
        (*value)++;
    return true;
}

/* The value of a header line, without its end of line and quotes. */
static void header_value(const char *v, const char *end, char *out, size_t cap)
{
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    if (end - v >= 2 && v[0] == '"' && end[-1] == '"')
        v++, end--;
    size_t n = DT_MIN((size_t)(end - v), cap - 1);
    memcpy(out, v, n);
    out[n] = '\0';
}

static void status_line(s3_req *r, const char *line, size_t n)
{
    const char *sp = memchr(line, ' ', n);
    r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    r->etag[0] = '\0';
    r->has_length = false;
    r->has_total = false;
    r->mtime_ms = 0;
    r->date_ms = 0;
}

static size_t header_cb(char *line, size_t size, size_t nitems, void *ctx)
{
    s3_req *r = ctx;
    size_t n = size * nitems;
    const char *v, *end = line + n;
    char text[256];
    if (n > 5 && !strncmp(line, "HTTP/", 5)) {
        status_line(r, line, n);
    } else if (header_is(line, n, "etag", &v)) {
        header_value(v, end, r->etag, sizeof r->etag);
    } else if (header_is(line, n, "last-modified", &v)) {
        header_value(v, end, text, sizeof text);
        r->mtime_ms = s3_http_date_ms(text);
    } else if (header_is(line, n, "date", &v)) {
        header_value(v, end, text, sizeof text);
        r->date_ms = s3_http_date_ms(text);
    } else if (header_is(line, n, "content-range", &v)) {
        header_value(v, end, text, sizeof text);
        const char *slash = strchr(text, '/');
        if (slash && slash[1] != '*') {
            r->length = strtoull(slash + 1, NULL, 10);
            r->has_length = r->has_total = true;
        }
    } else if (header_is(line, n, "content-length", &v) && !r->has_length) {
        header_value(v, end, text, sizeof text);
        r->length = strtoull(text, NULL, 10);
        r->has_length = true;
    }
    return n;
}

static size_t write_cb(char *p, size_t size, size_t nmemb, void *ctx)
{
    s3_req *r = ctx;
    size_t n = size * nmemb;
    if (!(r->sink.write && is_2xx(r->status))) {
        if (r->body.len + n > BODY_MAX)
            return 0; /* a hostile or broken server: cut */
        dt_buf_append(&r->body, p, n);
        return n;
    }
    if (r->discard == UINT64_MAX) /* the first byte: did the server honour Range? */
        r->discard = r->status == 200 ? r->range_off + r->delivered : 0;
    size_t skip = (size_t)DT_MIN((uint64_t)n, r->discard);
    r->discard -= skip;
    size_t give = n - skip;
    if (r->ranged && r->range_len != UINT64_MAX)
        give = (size_t)DT_MIN((uint64_t)give, r->range_len - r->delivered);
    if (give) {
        int rc = dt_sink_write(r->sink, p + skip, give);
        if (rc) {
            r->sink_rc = rc;
            return 0;
        }
        r->delivered += give;
    }
    return n;
}

static size_t read_cb(char *out, size_t size, size_t nitems, void *ctx)
{
    s3_req *r = ctx;
    uint64_t left = r->body_len - r->sent;
    size_t n = (size_t)DT_MIN((uint64_t)(size * nitems), left);
    if (n == 0)
        return 0;
    const dt_store_src *src = r->src;
    uint64_t at = r->body_off + r->sent;
    if (src->data) {
        memcpy(out, (const uint8_t *)src->data + at, n);
    } else {
        ssize_t got;
        do
            got = pread(src->fd, out, n, (off_t)(src->off + at));
        while (got < 0 && errno == EINTR);
        if (got <= 0) {
            r->sink_rc = got < 0 ? dt_error_errno(errno, "read %s", src->what)
                                 : dt_error(DATOM_EIO, "read %s: it shrank while being stored", src->what);
            return CURL_READFUNC_ABORT;
        }
        n = (size_t)got;
    }
    r->sent += n;
    return n;
}

static int seek_cb(void *ctx, curl_off_t offset, int origin)
{
    s3_req *r = ctx;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    r->sent = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* ---- one attempt ---- */

static char *request_url(const s3_cfg *cfg, const s3_req *r)
{
    dt_buf b = DT_BUF_INIT;
    if (cfg->path_style) {
        dt_buf_printf(&b, "%s/", cfg->endpoint);
        s3_uri_encode(&b, cfg->bucket, false);
    } else {
        const char *host = strstr(cfg->endpoint, "://");
        dt_buf_printf(&b, "%.*s://%s.%s", (int)(host - cfg->endpoint), cfg->endpoint, cfg->bucket,
                      host + 3);
    }
    dt_buf_putc(&b, '/');
    if (r->key)
        s3_uri_encode(&b, r->key, true);
    if (r->query && *r->query)
        dt_buf_printf(&b, "?%s", r->query);
    return dt_buf_detach(&b);
}

static struct curl_slist *request_headers(const s3_cfg *cfg, s3_req *r)
{
    struct curl_slist *l = NULL;
    char line[256];
    snprintf(line, sizeof line, "x-amz-content-sha256: %s", r->body_sha);
    l = curl_slist_append(l, line);
    if (cfg->token) {
        char *t = dt_sprintf("x-amz-security-token: %s", cfg->token);
        l = curl_slist_append(l, t);
        free(t);
    }
    for (size_t i = 0; i < DT_ARRAY_LEN(r->headers) && r->headers[i]; i++)
        l = curl_slist_append(l, r->headers[i]);
    uint64_t from = r->range_off + r->delivered;
    if (r->ranged || r->delivered) {
        if (r->range_len == UINT64_MAX)
            snprintf(line, sizeof line, "Range: bytes=%llu-", (unsigned long long)from);
        else
            snprintf(line, sizeof line, "Range: bytes=%llu-%llu", (unsigned long long)from,
                     (unsigned long long)(r->range_off + r->range_len - 1));
        l = curl_slist_append(l, line);
    }
    /* One If-Match at most (7.88 signs a repeated header wrongly). */
    const char *match = r->if_match[0] ? r->if_match : r->delivered ? r->etag : "";
    if (*match) {
        snprintf(line, sizeof line, "If-Match: \"%s\"", match);
        l = curl_slist_append(l, line);
    }
    return l;
}

static void method_setup(CURL *e, s3_req *r)
{
    if (!strcmp(r->method, "HEAD")) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(r->method, "PUT")) {
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
    } else if (!strcmp(r->method, "POST")) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    } else if (strcmp(r->method, "GET")) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (r->src) {
        curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(e, CURLOPT_READDATA, r);
        curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
        curl_easy_setopt(e, CURLOPT_SEEKDATA, r);
    }
}

static int attempt_start(s3_http *h, s3_req *r)
{
    const s3_cfg *cfg = h->cfg;
    if (r->attempts == 0) {
        r->deadline_ns = dt_monotonic_ns() + cfg->timeout_ms * 1000000;
        if (r->prepare && (r->sink_rc = r->prepare(r)) != 0)
            return r->sink_rc;
    }
    int64_t deadline_ns = r->deadline_ns;
    CURL *e = easy_take(h);
    if (!e)
        return dt_error(DATOM_EIO, "libcurl: cannot make a handle");
    curl_easy_reset(e);
    char *url = request_url(cfg, r);
    curl_easy_setopt(e, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    const char *ca = getenv("AWS_CA_BUNDLE"); /* as the AWS tools honour it */
    if (ca && *ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    int64_t left_ms = (deadline_ns - dt_monotonic_ns()) / 1000000;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)DT_MAX(left_ms, 1));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)DT_MAX(DT_MIN(left_ms, CONNECT_TIMEOUT_MS), 1));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)DT_MAX((cfg->stall_ms + 999) / 1000, 1));
    if (cfg->access_key) {
        char *userpwd = dt_sprintf("%s:%s", cfg->access_key, cfg->secret_key);
        curl_easy_setopt(e, CURLOPT_USERPWD, userpwd);
        memset(userpwd, 0, strlen(userpwd));
        free(userpwd);
        curl_easy_setopt(e, CURLOPT_AWS_SIGV4, h->sigv4);
    }
    r->slist = request_headers(cfg, r);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)r->slist);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    method_setup(e, r);
    /* A resumed GET whose server ignores Range (200) skips what was given. */
    r->discard = UINT64_MAX;
    r->sent = 0;
    r->status = 0;
    r->curl_rc = 0;
    dt_buf_clear(&r->body);
    r->easy = e;
    r->attempts++;
    curl_multi_add_handle(h->multi, e);
    return 0;
}

static void attempt_end(s3_http *h, s3_req *r)
{
    CURL *e = r->easy;
    curl_multi_remove_handle(h->multi, e);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(r->slist);
    r->slist = NULL;
    r->easy = NULL;
    easy_give(h, e);
}

/* ---- retries ---- */

static bool curl_retryable(int rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
        return true;
    default:
        return false;
    }
}

static bool status_retryable(long status) { return status >= 500 || status == 429 || status == 409; }

static int64_t backoff_ns(s3_http *h, int attempt)
{
    int64_t cap = BACKOFF_BASE_MS;
    for (int i = 1; i < attempt && cap < BACKOFF_CAP_MS; i++)
        cap *= 2;
    cap = DT_MIN(cap, (int64_t)BACKOFF_CAP_MS) * 1000000;
    h->rng ^= h->rng << 13; /* xorshift64: jitter needs no more */
    h->rng ^= h->rng >> 7;
    h->rng ^= h->rng << 17;
    return cap / 2 + (int64_t)(h->rng % (uint64_t)(cap / 2 + 1));
}

/* After an attempt: should R go again? (Not when it is done or failed for good.) */
static bool want_retry(s3_http *h, s3_req *r)
{
    if (r->sink_rc || r->retry == S3_RETRY_NEVER)
        return false;
    bool transient = r->curl_rc ? curl_retryable(r->curl_rc) : status_retryable(r->status);
    /* A resumed GET whose object changed under it (412 on If-Match) ends. */
    if (!transient || r->attempts > h->cfg->retries)
        return false;
    int64_t wait = backoff_ns(h, r->attempts);
    if (dt_monotonic_ns() + wait >= r->deadline_ns)
        return false;
    r->not_before_ns = dt_monotonic_ns() + wait;
    return true;
}

/* ---- the run ---- */

static void describe_failure(const s3_req *r, dt_buf *b)
{
    if (r->curl_rc)
        dt_buf_printf(b, "%s", curl_easy_strerror((CURLcode)r->curl_rc));
    else
        s3_req_describe(r, b);
}

void s3_req_describe(const s3_req *r, dt_buf *out)
{
    dt_buf_printf(out, "HTTP %ld", r->status);
    char *code = r->body.len ? s3_xml_text((const char *)r->body.data, r->body.len, "Code") : NULL;
    if (code) {
        dt_buf_printf(out, " %.100s", code);
        free(code);
    }
}

static int run_error(s3_http *h, const s3_req *r, const char *what, int64_t t0)
{
    if (r->sink_rc)
        return r->sink_rc;
    dt_buf b = DT_BUF_INIT;
    describe_failure(r, &b);
    double secs = (double)(dt_monotonic_ns() - t0) / 1e9;
    int rc = dt_error(DATOM_EIO, "%s: %s %s: %s (after %d attempt%s in %.1f s)", what, r->method,
                      r->key ? r->key : "(bucket)", dt_buf_cstr(&b), r->attempts,
                      r->attempts == 1 ? "" : "s", secs);
    dt_buf_free(&b);
    return rc;
}

/* True when a GET cut off by the network had already passed every byte it
 * asked for to its sink: resuming would ask for a range starting at the end,
 * which a server refuses (416), so the cut is no failure. */
static bool got_everything(const s3_req *r)
{
    if (!r->sink.write || !is_2xx(r->status) || !r->has_length || strcmp(r->method, "GET"))
        return false;
    uint64_t end = r->ranged && r->range_len != UINT64_MAX ? r->range_off + r->range_len : r->length;
    return r->range_off + r->delivered >= end;
}

/* Handles the end of one attempt; 1 when R is finished (well or not). */
static int attempt_done(s3_http *h, s3_req *r, CURLcode code)
{
    r->curl_rc = code == CURLE_OK ? 0 : (int)code;
    attempt_end(h, r);
    dt_debug("s3 %s %s%s%s: %ld%s%s (attempt %d)", r->method, r->key ? r->key : "",
             r->query ? "?" : "", r->query ? r->query : "", r->status, r->curl_rc ? ", " : "",
             r->curl_rc ? curl_easy_strerror(code) : "", r->attempts);
    if (r->curl_rc && got_everything(r))
        r->curl_rc = 0;
    if (!r->curl_rc && !status_retryable(r->status))
        return 1;
    return want_retry(h, r) ? 0 : 1;
}

/* The requests of one run: taken from the feed, in flight or waiting to be
 * sent again, at most CAP of them. */
typedef struct run {
    s3_http *h;
    const s3_feed *f;
    s3_req **live;
    size_t n, cap;
    s3_req *failed; /* the first request that could not get an answer */
    int rc;         /* the feed's error, which ends the run */
} run;

/* Takes requests from the feed while there is room. */
static void fill(run *ru)
{
    s3_req *r;
    while (ru->n < ru->cap && (r = ru->f->next(ru->f->ctx))) {
        r->done = false;
        r->not_before_ns = 0;
        ru->live[ru->n++] = r;
    }
}

/* R is finished (its answer in, or failed for good): out of the run. */
static void finish(run *ru, s3_req *r)
{
    r->done = true;
    bool bad = r->sink_rc || (r->retry != S3_RETRY_NEVER && (r->curl_rc || status_retryable(r->status)));
    if (bad && !ru->failed)
        ru->failed = r;
    for (size_t i = 0; i < ru->n; i++) {
        if (ru->live[i] == r) {
            memmove(&ru->live[i], &ru->live[i + 1], (ru->n - i - 1) * sizeof *ru->live);
            ru->n--;
            break;
        }
    }
    if (!bad && ru->rc == 0 && ru->f->done)
        ru->rc = ru->f->done(ru->f->ctx, r);
}

static void drain(run *ru)
{
    CURLMsg *m;
    int left;
    while (!ru->failed && !ru->rc && (m = curl_multi_info_read(ru->h->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        s3_req *r = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (attempt_done(ru->h, r, m->data.result))
            finish(ru, r);
    }
}

/* Starts what may start now, in the feed's order; the ns until the next
 * delayed one may. */
static int64_t start_ready(run *ru)
{
    int64_t now = dt_monotonic_ns(), next = INT64_MAX;
    for (size_t i = 0; i < ru->n && !ru->failed; i++) {
        s3_req *r = ru->live[i];
        if (r->easy)
            continue;
        if (r->not_before_ns > now) {
            next = DT_MIN(next, r->not_before_ns - now);
            continue;
        }
        int rc = attempt_start(ru->h, r);
        if (rc) { /* its preparation failed, or libcurl could not make a handle */
            r->sink_rc = rc;
            ru->failed = r;
        }
    }
    return next;
}

int s3_http_feed(s3_http *h, const s3_feed *f, const char *what)
{
    int64_t t0 = dt_monotonic_ns();
    run ru = {.h = h, .f = f, .cap = f->parallel ? f->parallel : (size_t)h->cfg->parallel};
    ru.live = dt_calloc(ru.cap, sizeof *ru.live);
    for (;;) {
        fill(&ru);
        if (ru.n == 0)
            break; /* nothing in flight and nothing more to send */
        int64_t next = start_ready(&ru);
        if (ru.failed)
            break;
        int running;
        curl_multi_perform(h->multi, &running);
        drain(&ru);
        if (ru.failed || ru.rc)
            break;
        if (ru.n == 0)
            continue;
        int64_t wait_ms = DT_MIN(next / 1000000 + 1, (int64_t)POLL_MS);
        curl_multi_poll(h->multi, NULL, 0, (int)wait_ms, NULL);
    }
    for (size_t i = 0; i < ru.n; i++)
        if (ru.live[i]->easy)
            attempt_end(h, ru.live[i]);
    free(ru.live);
    if (ru.rc)
        return ru.rc;
    return ru.failed ? run_error(h, ru.failed, what, t0) : 0;
}

/* A run over an array: its requests in order. */
typedef struct array_feed {
    s3_req **reqs;
    size_t n, i;
} array_feed;

static s3_req *array_next(void *ctx)
{
    array_feed *a = ctx;
    return a->i < a->n ? a->reqs[a->i++] : NULL;
}

int s3_http_run(s3_http *h, s3_req **reqs, size_t n, const char *what)
{
    array_feed a = {reqs, n, 0};
    s3_feed f = {.next = array_next, .ctx = &a};
    return s3_http_feed(h, &f, what);
}

int s3_http_run1(s3_http *h, s3_req *r, const char *what) { return s3_http_run(h, &r, 1, what); }
