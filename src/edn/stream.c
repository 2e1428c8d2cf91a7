/*
 * stream.c: reader objects over a buffer or a file descriptor, and the
 * public reading functions (one value, all values, a file).
 *
 * A reader over a descriptor holds only the bytes of the top-level value
 * being read. When a value runs past the bytes at hand, the parse returns
 * RD_MORE up to here: the document is rolled back to its mark, the reader
 * to its state before the value, and the value is read anew once at least
 * as many bytes again have come (O(n) rereading in all, as the buffer
 * doubles; at most max_value_bytes held).
 *
 * Invariants: (1) between calls, rd.p is at a top-level boundary and the
 * item stack is empty; (2) a failed or restarted value leaves nothing in
 * the document; (3) once a reader has failed it fails again, the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edn/reader.h"

#define DEFAULT_MAX_VALUE ((uint64_t)1 << 30)
#define READ_CHUNK ((size_t)64 << 10)

/* ---- the reader: streams of top-level values ---- */

struct dt_edn_reader {
    rd r;
    int fd; /* -1: memory */
    char *what;
    uint8_t *buf; /* descriptor: the bytes at hand, from buf */
    size_t cap;
    uint64_t max_value;
    size_t read_size;
    int failed; /* the DATOM_E* code of a reported error, or 0 */
};

static void rd_init(rd *r, const dt_edn_options *o)
{
    memset(r, 0, offsetof(rd, stk0)); /* the buffers in place need no zeros: */
    memset(r->itab0, 0, sizeof r->itab0); /* but for the intern slots' gen */
    edn_rd_init_bufs(r);
    r->line = 1;
    r->cc_col = 1;
    uint32_t d = o ? o->max_depth : 0;
    r->max_depth = (d == 0 || d > DT_EDN_MAX_DEPTH) ? DT_EDN_MAX_DEPTH : d;
}

static void init_mem(dt_edn_reader *R, const char *src, size_t n, const dt_edn_options *o)
{
    rd_init(&R->r, o);
    R->fd = -1;
    R->what = NULL;
    R->buf = NULL;
    R->cap = 0;
    R->max_value = 0;
    R->read_size = 0;
    R->failed = 0;
    R->r.start = R->r.p = (const uint8_t *)(src ? src : "");
    R->r.end = R->r.start + n;
    R->r.eof = true;
}

dt_edn_reader *dt_edn_reader_new_mem(const char *src, size_t n, const dt_edn_options *o)
{
    dt_edn_reader *R = dt_malloc(sizeof *R);
    init_mem(R, src, n, o);
    return R;
}

dt_edn_reader *dt_edn_reader_new_fd(int fd, const char *what, const dt_edn_options *o)
{
    dt_edn_reader *R = dt_calloc(1, sizeof *R);
    rd_init(&R->r, o);
    R->fd = fd;
    R->what = what ? dt_strdup(what) : NULL;
    R->max_value = (o && o->max_value_bytes) ? o->max_value_bytes : DEFAULT_MAX_VALUE;
    R->read_size = (o && o->read_size) ? o->read_size : READ_CHUNK;
    R->r.start = R->r.p = R->r.end = (const uint8_t *)"";
    return R;
}

static void fini(dt_edn_reader *R)
{
    edn_rd_free_bufs(&R->r);
    dt_buf_free(&R->r.tmp);
    free(R->buf);
    free(R->what);
}

void dt_edn_reader_free(dt_edn_reader *R)
{
    if (!R)
        return;
    fini(R);
    free(R);
}

const dt_edn_error *dt_edn_reader_error(const dt_edn_reader *R) { return &R->r.err; }

/* Records the error in the thread's message: "[WHAT:]LINE:COL: reason". */
static int report(dt_edn_reader *R)
{
    const dt_edn_error *e = &R->r.err;
    int code = e->code == DT_EDN_ERR_IO ? DATOM_EIO : DATOM_EINVAL;
    R->failed = code;
    if (e->line == 0) /* not at a place in the text */
        return dt_error(code, "%s%s%s", R->what ? R->what : "", R->what ? ": " : "", e->msg);
    return dt_error(code, "%s%s%u:%u: %s", R->what ? R->what : "", R->what ? ":" : "", e->line, e->col,
                    e->msg);
}

/* Keeps the bytes from r->p (the start of the value to read again), and
 * reads at least as many more: the value at hand may have grown twice over
 * when it runs out again. */
static int refill(dt_edn_reader *R)
{
    rd *r = &R->r;
    edn_rd_col(r, r->p); /* the column cache must not point at bytes about to go */
    size_t keep = (size_t)(r->end - r->p), drop = (size_t)(r->p - r->start);
    if (keep >= R->max_value)
        return rd_fail(r, r->p, DT_EDN_ERR_LIMIT, "a top-level value of more than %llu bytes",
                    (unsigned long long)R->max_value);
    if (keep)
        memmove(R->buf, R->buf + drop, keep);
    r->base += drop;
    /* at least double what is kept (O(n) rereading in all), yet never wait
     * for more than one byte beyond it at the start of a value (pipes) */
    size_t need = keep + DT_MAX(keep, (size_t)1), want = DT_MAX(R->read_size, 2 * keep);
    if (R->cap < want) {
        R->cap = want;
        R->buf = dt_realloc(R->buf, R->cap);
    }
    size_t len = keep;
    while (len < need) {
        ssize_t got = read(R->fd, R->buf + len, DT_MIN(R->cap - len, R->read_size));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            r->err = (dt_edn_error){.code = DT_EDN_ERR_IO};
            snprintf(r->err.msg, sizeof r->err.msg, "read: %s", strerror(errno));
            return RD_FAIL;
        }
        if (got == 0) {
            r->eof = true;
            break;
        }
        len += (size_t)got;
    }
    r->start = r->p = R->buf;
    r->end = R->buf + len;
    return RD_OK;
}

typedef struct rd_state {
    size_t p;
    uint32_t line, cc_col;
    uint64_t line_start, cc_off;
} rd_state;

static rd_state save(const rd *r)
{
    return (rd_state){(size_t)(r->p - r->start), r->line, r->cc_col, r->line_start, r->cc_off};
}

static void restore(rd *r, rd_state s)
{
    r->p = r->start + s.p;
    r->line = s.line;
    r->cc_col = s.cc_col;
    r->line_start = s.line_start;
    r->cc_off = s.cc_off;
    r->sn = 0;
    r->depth = 0;
}

/* The next top-level value into *v: RD_OK, RD_NONE at the end, RD_FAIL. */
static int next_value(dt_edn_reader *R, dt_edn_doc *doc, dt_edn_value *v)
{
    rd *r = &R->r;
    r->doc = doc;
    for (;;) {
        edn_rd_forget(r); /* interned texts may be in a document since reset */
        int rc = edn_rd_skip_ws(r); /* whitespace before a value is never kept for a retry */
        rd_state st = save(r);
        edn_mark m = edn_mark_get(doc);
        if (rc == RD_OK)
            rc = edn_rd_next(r, v);
        if (rc == RD_MORE && R->fd >= 0) {
            edn_mark_rollback(doc, m);
            restore(r, st);
            if (refill(R) == RD_FAIL)
                return RD_FAIL;
            continue;
        }
        if (rc == RD_NONE && r->p < r->end)
            rc = rd_fail(r, r->p, DT_EDN_ERR_DELIM, "unmatched delimiter %c", *r->p);
        if (rc == RD_FAIL)
            edn_mark_rollback(doc, m);
        return rc;
    }
}

int dt_edn_reader_next(dt_edn_reader *R, dt_edn_doc *doc, const dt_edn_value **out)
{
    *out = NULL;
    if (R->failed)
        return report(R);
    dt_edn_value v;
    int rc = next_value(R, doc, &v);
    if (rc == RD_FAIL)
        return report(R);
    if (rc == RD_OK) {
        dt_edn_value *pv = edn_alloc(doc, sizeof v);
        *pv = v;
        *out = pv;
    }
    return 0;
}

/* R's error, reported and into ERR; R finished. */
static int give_error(dt_edn_reader *R, dt_edn_error *err)
{
    int rc = report(R);
    if (err)
        *err = R->r.err;
    fini(R);
    return rc;
}

int dt_edn_read(dt_edn_doc *doc, const char *src, size_t n, const dt_edn_options *o,
                const dt_edn_value **out, dt_edn_error *err)
{
    *out = NULL;
    dt_edn_reader reader, *R = &reader; /* one value: nothing to allocate */
    init_mem(R, src, n, o);
    edn_mark m = edn_mark_get(doc);
    dt_edn_value v, more;
    int rc = next_value(R, doc, &v);
    if (rc == RD_NONE)
        rc = rd_fail(&R->r, R->r.p, DT_EDN_ERR_EOF, "no value: the input is empty");
    if (rc == RD_OK) {
        rc = next_value(R, doc, &more);
        if (rc == RD_OK)
            rc = edn_rd_fail(&R->r, pos_of(&more), DT_EDN_ERR_TRAILING,
                          "more after the value (one was expected)");
        else if (rc == RD_NONE)
            rc = RD_OK;
    }
    if (rc) {
        edn_mark_rollback(doc, m);
        return give_error(R, err);
    }
    dt_edn_value *pv = edn_alloc(doc, sizeof v);
    *pv = v;
    *out = pv;
    fini(R);
    return 0;
}

/* Every value of R into an array in DOC. */
static int read_rest(dt_edn_reader *R, dt_edn_doc *doc, const dt_edn_value **items, size_t *count,
                     dt_edn_error *err)
{
    *items = NULL;
    *count = 0;
    edn_mark m = edn_mark_get(doc);
    dt_edn_vec vec = DT_EDN_VEC_INIT;
    dt_edn_value v;
    int rc;
    while ((rc = next_value(R, doc, &v)) == RD_OK)
        dt_edn_vec_push(&vec, v);
    if (rc == RD_FAIL) {
        dt_edn_vec_free(&vec);
        edn_mark_rollback(doc, m);
        rc = give_error(R, err);
        free(R);
        return rc;
    }
    if (vec.n) {
        dt_edn_value *arr = edn_alloc(doc, vec.n * sizeof(dt_edn_value));
        memcpy(arr, vec.v, vec.n * sizeof(dt_edn_value));
        *items = arr;
        *count = vec.n;
    }
    dt_edn_vec_free(&vec);
    dt_edn_reader_free(R);
    return 0;
}

int dt_edn_read_all(dt_edn_doc *doc, const char *src, size_t n, const dt_edn_options *o,
                    const dt_edn_value **items, size_t *count, dt_edn_error *err)
{
    return read_rest(dt_edn_reader_new_mem(src, n, o), doc, items, count, err);
}

int dt_edn_read_file(dt_edn_doc *doc, const char *path, const dt_edn_options *o,
                     const dt_edn_value **items, size_t *count, dt_edn_error *err)
{
    *items = NULL;
    *count = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (err) {
            *err = (dt_edn_error){.code = DT_EDN_ERR_IO};
            snprintf(err->msg, sizeof err->msg, "%s", strerror(e));
        }
        return dt_error_errno(e, "%s", path);
    }
    int rc = read_rest(dt_edn_reader_new_fd(fd, path, o), doc, items, count, err);
    close(fd);
    return rc;
}

const char *dt_edn_errcode_name(dt_edn_errcode code)
{
    static const char *names[] = {"ok",  "eof",       "delimiter", "token",    "number", "string",
                                  "char", "utf8",     "map",       "duplicate", "dispatch", "inst",
                                  "uuid", "depth",    "limit",     "trailing",  "io"};
    return (unsigned)code < DT_ARRAY_LEN(names) ? names[code] : "unknown";
}
