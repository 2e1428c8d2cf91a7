/*
 * cv1.c: data_sha "datom-cv1" over streamed batches (see cv1.h for the kind
 * mapping and the memory plan). The bytes hashed are exactly those of the R
 * package datom 0.1.1 (docs/formats.md, "data_sha"): a project hashed
 * here and one hashed there agree on every data_sha.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table/cv1.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cv1.c writes doubles and integers in host order: port the encoders for big-endian hosts"
#endif

#define NA_BITS 0x7FF00000000007A2ULL  /* R's NA_real_: bytes a2 07 00 00 00 00 f0 7f */
#define NAN_BITS 0x7FF8000000000000ULL /* the one NaN of cv1 */
#define SPOOL_DEFAULT (64u << 20)
#define SPOOL_MIN_PER_COL (1u << 20)

typedef struct cv1_col {
    const char *tag;
    dt_sha256 sha;
    /* chr only: values waiting for the flags to be complete */
    dt_buf spool;
    int spill_fd; /* -1 until the spool overflows its share */
    char hex[DATOM_SHA_HEX];
} cv1_col;

struct dt_cv1 {
    dt_schema schema;
    cv1_col *cols;
    uint64_t nrow;
    size_t spool_share; /* bytes of chr values per column kept in memory */
    char *tmpdir;
    dt_buf scratch;
    bool finished;
};

const char *dt_cv1_tag(const dt_field *f, bool int64_as_i64)
{
    switch (f->kind) {
    case DT_BOOL:
    case DT_INT32:
    case DT_DOUBLE:
    case DT_DECIMAL: return "num";
    case DT_INT64: return int64_as_i64 ? "i64" : "num";
    case DT_STRING: return "chr";
    case DT_DATE: return "date";
    case DT_TIMESTAMP: return "time";
    case DT_DURATION: return "drtn";
    default: return NULL;
    }
}

static int refuse_unhashable(const dt_schema *s, bool i64)
{
    dt_buf names = DT_BUF_INIT;
    size_t n = 0;
    for (size_t i = 0; i < s->ncol; i++)
        if (!dt_cv1_tag(&s->fields[i], i64)) {
            dt_buf_printf(&names, "%s'%s' (%s)", n ? ", " : "", s->fields[i].name,
                          dt_kind_name(s->fields[i].kind));
            n++;
        }
    if (!n)
        return 0;
    int rc = dt_error(DATOM_EINVAL,
                      "cannot compute data_sha: %zu column%s not hashable: %s (encode bytes as "
                      "text, e.g. base64, before writing)",
                      n, n == 1 ? " is" : "s are", dt_buf_cstr(&names));
    dt_buf_free(&names);
    return rc;
}

int dt_cv1_begin(dt_cv1 **out, const dt_schema *s, const dt_cv1_options *o)
{
    static const dt_cv1_options defaults = {0};
    if (!o)
        o = &defaults;
    *out = NULL;
    if (s->ncol == 0)
        return dt_error(DATOM_EINVAL, "cannot compute data_sha: the table has no column");
    int rc = refuse_unhashable(s, o->int64_as_i64);
    if (rc)
        return rc;
    dt_cv1 *h = dt_calloc(1, sizeof *h);
    dt_schema_copy(&h->schema, s);
    h->cols = dt_calloc(s->ncol, sizeof *h->cols);
    size_t n_chr = 0;
    for (size_t i = 0; i < s->ncol; i++) {
        cv1_col *c = &h->cols[i];
        c->tag = dt_cv1_tag(&s->fields[i], o->int64_as_i64);
        c->spill_fd = -1;
        dt_sha256_init(&c->sha);
        dt_sha256_update(&c->sha, c->tag, strlen(c->tag));
        dt_sha256_update(&c->sha, s->fields[i].name, strlen(s->fields[i].name) + 1); /* with NUL */
        n_chr += !strcmp(c->tag, "chr");
    }
    size_t budget = o->spool_mem ? o->spool_mem : SPOOL_DEFAULT;
    h->spool_share = n_chr ? DT_MAX(budget / n_chr, (size_t)SPOOL_MIN_PER_COL) : 0;
    if (o->spool_mem && o->spool_mem < SPOOL_MIN_PER_COL)
        h->spool_share = o->spool_mem; /* tests force spilling with a tiny budget */
    const char *dir = o->tmpdir ? o->tmpdir : getenv("TMPDIR");
    h->tmpdir = dt_strdup(dir && *dir ? dir : "/tmp");
    *out = h;
    return 0;
}

static uint64_t num_bits(double v)
{
    if (isnan(v))
        return NAN_BITS;
    if (v == 0)
        v = 0.0; /* folds -0.0 */
    uint64_t u;
    memcpy(&u, &v, 8);
    return u;
}

static double pow10_exact(int32_t k)
{
    double p = 1;
    for (int32_t i = 0; i < k; i++)
        p *= 10;
    return p;
}

/* The nearest double to a decimal value: one correctly rounded division when
 * both operands are exact, else strtod of its text. */
static double decimal_value(const dt_column *c, size_t i)
{
    int64_t u = DT_COL(c, int64_t)[i];
    int32_t scale = c->field.scale;
    if (scale >= 0 && scale <= 22 && u < (1LL << 53) && u > -(1LL << 53))
        return (double)u / pow10_exact(scale);
    dt_buf t = DT_BUF_INIT;
    dt_value_format(c, i, &t);
    double v = strtod(dt_buf_cstr(&t), NULL);
    dt_buf_free(&t);
    return v;
}

static double duration_seconds(int64_t v, dt_time_unit unit)
{
    switch (unit) {
    case DT_UNIT_MS: return (double)v / 1e3;
    case DT_UNIT_US: return (double)v / 1e6;
    case DT_UNIT_NS: return (double)v / 1e9;
    default: return (double)v;
    }
}

static double value_as_double(const dt_column *c, size_t i)
{
    switch (c->field.kind) {
    case DT_BOOL: return DT_COL(c, uint8_t)[i] ? 1.0 : 0.0;
    case DT_INT32:
    case DT_DATE: return (double)DT_COL(c, int32_t)[i];
    case DT_INT64: return (double)DT_COL(c, int64_t)[i];
    case DT_DOUBLE: return DT_COL(c, double)[i];
    case DT_DECIMAL: return decimal_value(c, i);
    case DT_TIMESTAMP: return (double)DT_COL(c, int64_t)[i] / 1e6;
    case DT_DURATION: return duration_seconds(DT_COL(c, int64_t)[i], c->field.unit);
    default: return 0;
    }
}

static void add_numeric(dt_cv1 *h, cv1_col *cc, const dt_column *c, size_t nrow)
{
    bool i64 = !strcmp(cc->tag, "i64");
    dt_buf_clear(&h->scratch);
    dt_buf_reserve(&h->scratch, nrow * 8);
    uint8_t *p = h->scratch.data;
    for (size_t i = 0; i < nrow; i++) {
        uint64_t u;
        if (i64)
            u = dt_col_is_valid(c, i) ? (uint64_t)DT_COL(c, int64_t)[i] : (uint64_t)INT64_MIN;
        else
            u = dt_col_is_valid(c, i) ? num_bits(value_as_double(c, i)) : NA_BITS;
        memcpy(p + 8 * i, &u, 8);
    }
    dt_sha256_update(&cc->sha, p, nrow * 8);
}

static int spill(dt_cv1 *h, cv1_col *cc)
{
    if (cc->spill_fd < 0) {
        char *path = dt_sprintf("%s/datom-cv1-XXXXXX", h->tmpdir);
        cc->spill_fd = mkstemp(path);
        int err = errno;
        if (cc->spill_fd >= 0)
            unlink(path); /* nothing to clean up whatever happens next */
        free(path);
        if (cc->spill_fd < 0)
            return dt_error_errno(err, "cv1: temporary file in %s", h->tmpdir);
    }
    int rc = dt_fs_write_all(cc->spill_fd, cc->spool.data, cc->spool.len);
    dt_buf_clear(&cc->spool);
    return rc ? dt_error_wrap("cv1: spooling string values to %s", h->tmpdir) : 0;
}

static int add_chr(dt_cv1 *h, cv1_col *cc, const dt_column *c, size_t nrow)
{
    dt_buf_clear(&h->scratch);
    dt_buf_reserve(&h->scratch, nrow);
    for (size_t i = 0; i < nrow; i++)
        h->scratch.data[i] = dt_col_is_valid(c, i) ? 0 : 1;
    dt_sha256_update(&cc->sha, h->scratch.data, nrow);
    for (size_t i = 0; i < nrow; i++) {
        size_t n = 0;
        const char *s = dt_col_is_valid(c, i) ? dt_col_str(c, i, &n) : "";
        dt_buf_append(&cc->spool, s, n);
        dt_buf_putc(&cc->spool, '\0');
        if (cc->spool.len >= h->spool_share) {
            int rc = spill(h, cc);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static bool schema_matches(const dt_schema *s, const dt_table *t)
{
    if (t->ncol != s->ncol)
        return false;
    for (size_t i = 0; i < s->ncol; i++)
        if (t->cols[i].field.kind != s->fields[i].kind || strcmp(t->cols[i].field.name, s->fields[i].name))
            return false;
    return true;
}

int dt_cv1_add(dt_cv1 *h, const dt_table *batch)
{
    if (h->finished || !schema_matches(&h->schema, batch))
        return dt_error(DATOM_EINTERNAL, "cv1: batch does not match the schema being hashed");
    for (size_t i = 0; i < batch->ncol; i++) {
        cv1_col *cc = &h->cols[i];
        if (!strcmp(cc->tag, "chr")) {
            int rc = add_chr(h, cc, &batch->cols[i], batch->nrow);
            if (rc)
                return rc;
        } else {
            add_numeric(h, cc, &batch->cols[i], batch->nrow);
        }
    }
    h->nrow += batch->nrow;
    return 0;
}

/* Feeds a spilled column's values back from its file, then what is in memory. */
static int drain_spool(dt_cv1 *h, cv1_col *cc)
{
    if (cc->spill_fd >= 0) {
        if (lseek(cc->spill_fd, 0, SEEK_SET) < 0)
            return dt_error_errno(errno, "cv1: rewinding spooled values");
        uint8_t *buf = dt_malloc(1 << 20);
        for (;;) {
            ssize_t n = read(cc->spill_fd, buf, 1 << 20);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                int err = errno;
                free(buf);
                return dt_error_errno(err, "cv1: reading spooled values in %s", h->tmpdir);
            }
            if (n == 0)
                break;
            dt_sha256_update(&cc->sha, buf, (size_t)n);
        }
        free(buf);
    }
    dt_sha256_update(&cc->sha, cc->spool.data, cc->spool.len);
    return 0;
}

static void finish_column(cv1_col *cc)
{
    /* the table model keeps durations in s/ms/us/ns; all are hashed as seconds */
    if (!strcmp(cc->tag, "drtn"))
        dt_sha256_update(&cc->sha, "\0secs", 5);
    dt_sha256_final_hex(&cc->sha, cc->hex);
}

static void f64le(dt_sha256 *s, double v)
{
    uint8_t b[8];
    memcpy(b, &v, 8);
    dt_sha256_update(s, b, 8);
}

int dt_cv1_finish(dt_cv1 *h, char data_sha[DATOM_SHA_HEX])
{
    if (h->finished)
        return dt_error(DATOM_EINTERNAL, "cv1: finished twice");
    if (h->nrow == 0)
        return dt_error(DATOM_EINVAL, "cannot compute data_sha: the table has no row");
    for (size_t i = 0; i < h->schema.ncol; i++) {
        cv1_col *cc = &h->cols[i];
        if (!strcmp(cc->tag, "chr")) {
            int rc = drain_spool(h, cc);
            if (rc)
                return rc;
        }
        finish_column(cc);
    }
    h->finished = true;
    dt_sha256 t;
    dt_sha256_init(&t);
    dt_sha256_update(&t, DT_CV1_ALGO, strlen(DT_CV1_ALGO));
    f64le(&t, (double)h->nrow);
    f64le(&t, (double)h->schema.ncol);
    for (size_t i = 0; i < h->schema.ncol; i++)
        dt_sha256_update(&t, h->cols[i].hex, 64);
    dt_sha256_final_hex(&t, data_sha);
    return 0;
}

const char *dt_cv1_column_sha(const dt_cv1 *h, size_t i)
{
    return h->finished && i < h->schema.ncol ? h->cols[i].hex : NULL;
}

uint64_t dt_cv1_nrow(const dt_cv1 *h) { return h->nrow; }

void dt_cv1_free(dt_cv1 *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->schema.ncol; i++) {
        cv1_col *cc = &h->cols[i];
        if (cc->sha.ctx)
            dt_sha256_abort(&cc->sha);
        dt_buf_free(&cc->spool);
        if (cc->spill_fd >= 0)
            close(cc->spill_fd);
    }
    free(h->cols);
    dt_schema_free(&h->schema);
    dt_buf_free(&h->scratch);
    free(h->tmpdir);
    free(h);
}

int dt_cv1_table(const dt_table *t, const dt_cv1_options *o, char data_sha[DATOM_SHA_HEX])
{
    dt_schema s;
    dt_table_schema(t, &s);
    dt_cv1 *h;
    int rc = dt_cv1_begin(&h, &s, o);
    dt_schema_free(&s);
    if (rc)
        return rc;
    rc = dt_cv1_add(h, t);
    if (rc == 0)
        rc = dt_cv1_finish(h, data_sha);
    dt_cv1_free(h);
    return rc;
}
