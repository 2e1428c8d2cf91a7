/*
 * s3_multipart.c: big puts as S3 multipart uploads.
 *
 * initiate (POST ?uploads=) -> parts (PUT ?partNumber=N&uploadId=ID),
 * cfg.parallel in flight at a time, each read from the source with pread as
 * it is sent (nothing buffered) and signed with its own SHA-256, computed
 * just before it is first sent ->
 * complete (POST ?uploadId=ID with the parts' ETags). Nothing is visible
 * before the completion, which makes the whole object visible at once.
 *
 * A completion is retried like any idempotent request; when the answer to a
 * completion that worked was lost, its retry finds no upload (404
 * NoSuchUpload): the object is then looked at, and an object of the right
 * size is the upload done. A completion may also fail inside a 200 answer
 * (<Error> in the body), which counts as the error it names. An upload that
 * fails is aborted (DELETE ?uploadId=ID), so its parts do not linger.
 */
#include <stdlib.h>
#include <string.h>

#include "store/s3.h"

#define PARTS_MAX 10000
#define MiB (1u << 20)

typedef struct upload {
    s3_store *s;
    const char *key;
    const dt_store_src *src;
    char *id;
    uint64_t part;
    size_t nparts;
    char (*etags)[DATOM_REF_VERSION_MAX];
} upload;

static char *upload_query(const upload *u, size_t part_number)
{
    dt_buf q = DT_BUF_INIT;
    if (part_number)
        dt_buf_printf(&q, "partNumber=%zu&", part_number);
    dt_buf_puts(&q, "uploadId=");
    s3_uri_encode(&q, u->id, false);
    return dt_buf_detach(&q);
}

static int initiate(upload *u)
{
    s3_req *r = s3_req_new("POST", s3_full_key(u->s, u->key));
    r->query = dt_strdup("uploads=");
    int rc = s3_http_run1(u->s->http, r, u->s->head.url);
    if (rc == 0 && r->status != 200)
        rc = s3_error(u->s, r, "start a multipart upload of", u->key);
    if (rc == 0 && !(u->id = s3_xml_text((const char *)r->body.data, r->body.len, "UploadId")))
        rc = dt_error(DATOM_EIO, "%s: start a multipart upload of %s: no UploadId in the answer",
                      u->s->head.url, u->key);
    s3_req_free(r);
    return rc;
}

/* A part's SHA, just before it is first sent (reading it then warms the
 * page cache for the send). */
static int part_prepare(s3_req *r)
{
    return dt_store_src_sha(r->src, r->body_off, r->body_len, r->body_sha, NULL);
}

/* Parts [first, first + n), cfg.parallel in flight at a time: as one ends
 * the next starts (no wave waits for its slowest part). */
static int send_parts(upload *u, size_t first, size_t n)
{
    s3_req **reqs = dt_calloc(n, sizeof *reqs);
    for (size_t i = 0; i < n; i++) {
        uint64_t off = (uint64_t)(first + i) * u->part;
        reqs[i] = s3_body_req("PUT", s3_full_key(u->s, u->key), u->src, off,
                              DT_MIN(u->part, u->src->size - off));
        reqs[i]->query = upload_query(u, first + i + 1);
        reqs[i]->prepare = part_prepare;
    }
    int rc = s3_http_run(u->s->http, reqs, n, u->s->head.url);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && (reqs[i]->status != 200 || !reqs[i]->etag[0]))
            rc = s3_error(u->s, reqs[i], "put a part of", u->key);
        if (rc == 0)
            memcpy(u->etags[first + i], reqs[i]->etag, DATOM_REF_VERSION_MAX);
        s3_req_free(reqs[i]);
    }
    free(reqs);
    return rc;
}

static char *complete_body(const upload *u)
{
    dt_buf b = DT_BUF_INIT;
    dt_buf_puts(&b, "<CompleteMultipartUpload>");
    for (size_t i = 0; i < u->nparts; i++)
        dt_buf_printf(&b, "<Part><PartNumber>%zu</PartNumber><ETag>\"%s\"</ETag></Part>", i + 1,
                      u->etags[i]);
    dt_buf_puts(&b, "</CompleteMultipartUpload>");
    return dt_buf_detach(&b);
}

/* After a completion whose retry found no upload: is the object there whole? */
static bool completed_anyway(upload *u)
{
    uint64_t size = 0;
    int rc = u->s->head.ops->stat(&u->s->head, u->key, &size);
    if (rc)
        datom_errclear();
    return rc == 0 && size == u->src->size;
}

static int complete(upload *u)
{
    char *xml = complete_body(u);
    dt_store_src body = {.data = xml, .fd = -1, .size = strlen(xml), .what = "the part list"};
    s3_req *r = s3_body_req("POST", s3_full_key(u->s, u->key), &body, 0, body.size);
    r->query = upload_query(u, 0);
    s3_req_header(r, "Content-Type: application/xml");
    dt_sha256_hex(xml, body.size, r->body_sha);
    int rc;
    for (int tries = 0;; tries++) {
        if ((rc = s3_http_run1(u->s->http, r, u->s->head.url)) != 0)
            break;
        char *code = r->body.len ? s3_xml_text((const char *)r->body.data, r->body.len, "Code") : NULL;
        bool ok = r->status == 200 && !code;
        bool transient = r->status == 200 && code && tries < u->s->cfg.retries &&
                         (!strcmp(code, "InternalError") || !strcmp(code, "SlowDown"));
        free(code);
        if (ok)
            break;
        if (transient)
            continue;
        /* A retry (by s3_http or here) finding no upload: the first one took. */
        if (r->status == 404 && r->attempts > 1 && completed_anyway(u))
            break;
        rc = s3_error(u->s, r, "complete the multipart upload of", u->key);
        break;
    }
    s3_req_free(r);
    free(xml);
    return rc;
}

/* Best effort, keeping the error already recorded. */
static void abort_upload(upload *u)
{
    char *msg = dt_strdup(datom_errmsg());
    int code = datom_errcode();
    s3_req *r = s3_req_new("DELETE", s3_full_key(u->s, u->key));
    r->query = upload_query(u, 0);
    if (s3_http_run1(u->s->http, r, u->s->head.url) == 0 && r->status != 204)
        dt_debug("s3 abort of upload %s: HTTP %ld", u->key, r->status);
    s3_req_free(r);
    dt_error(code, "%s", msg);
    free(msg);
}

int s3_multipart(s3_store *s, const char *key, const dt_store_src *src)
{
    upload u = {.s = s, .key = key, .src = src, .part = s->cfg.part_size};
    /* At most 10,000 parts: bigger parts for a bigger object (whole MiB). */
    uint64_t least = (src->size + PARTS_MAX - 1) / PARTS_MAX;
    if (u.part < least)
        u.part = (least + MiB - 1) / MiB * MiB;
    u.nparts = (size_t)((src->size + u.part - 1) / u.part);
    u.etags = dt_calloc(u.nparts, sizeof *u.etags);
    int rc = initiate(&u);
    if (rc == 0)
        rc = send_parts(&u, 0, u.nparts);
    if (rc == 0)
        rc = complete(&u);
    if (rc && u.id)
        abort_upload(&u);
    free(u.id);
    free(u.etags);
    return rc;
}
