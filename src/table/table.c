/*
 * table.c: the columnar batch (see table.h): building columns, comparing
 * batches, and spelling values as text.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"

static const char *const kind_names[DT_KIND_COUNT] = {
    "bool",   "int32",  "int64", "double",     "string",   "date",  "timestamp", "duration",
    "decimal", "binary", "uint64", "time", "decimal128", "interval",
};

const char *dt_kind_name(dt_kind k) { return k < DT_KIND_COUNT ? kind_names[k] : "?"; }

int dt_kind_parse(const char *s, dt_kind *out)
{
    static const struct {
        const char *alias;
        dt_kind kind;
    } aliases[] = {{"boolean", DT_BOOL}, {"logical", DT_BOOL}, {"int", DT_INT64},
                   {"integer", DT_INT64}, {"float64", DT_DOUBLE}, {"number", DT_DOUBLE},
                   {"numeric", DT_DOUBLE}, {"str", DT_STRING}, {"text", DT_STRING},
                   {"datetime", DT_TIMESTAMP}, {"bytes", DT_BINARY}, {"ubigint", DT_UINT64}};
    for (int k = 0; k < DT_KIND_COUNT; k++)
        if (!strcmp(s, kind_names[k]))
            return *out = (dt_kind)k, 0;
    for (size_t i = 0; i < DT_ARRAY_LEN(aliases); i++)
        if (!strcmp(s, aliases[i].alias))
            return *out = aliases[i].kind, 0;
    return dt_error(DATOM_EINVAL,
                    "unknown type '%s' (bool, int32, int64, uint64, double, string, date, "
                    "timestamp, time, duration, decimal, decimal128, interval, binary)",
                    s);
}

size_t dt_kind_width(dt_kind k)
{
    switch (k) {
    case DT_BOOL: return 1;
    case DT_INT32:
    case DT_DATE: return 4;
    case DT_INT64:
    case DT_DOUBLE:
    case DT_TIMESTAMP:
    case DT_DURATION:
    case DT_DECIMAL:
    case DT_UINT64:
    case DT_TIME: return 8;
    case DT_INTERVAL: return 12;
    case DT_DECIMAL128: return 16;
    default: return 0;
    }
}

void dt_field_set_kind(dt_field *f, dt_kind k)
{
    f->kind = k;
    f->unit = k == DT_DURATION ? DT_UNIT_S : DT_UNIT_US;
    f->utc = k == DT_TIMESTAMP;
    f->precision = f->scale = 0;
}

int64_t dt_unit_per_second(dt_time_unit u)
{
    static const int64_t per[] = {1, 1000, 1000000, 1000000000};
    return per[u <= DT_UNIT_NS ? u : 0];
}

bool dt_field_same_type(const dt_field *a, const dt_field *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case DT_TIMESTAMP:
    case DT_TIME: return a->unit == b->unit && a->utc == b->utc;
    case DT_DURATION: return a->unit == b->unit;
    case DT_DECIMAL:
    case DT_DECIMAL128: return a->precision == b->precision && a->scale == b->scale;
    default: return true;
    }
}

void dt_field_describe(const dt_field *f, dt_buf *out)
{
    static const char *const units[] = {"s", "ms", "us", "ns"};
    const char *unit = units[f->unit <= DT_UNIT_NS ? f->unit : 0];
    switch (f->kind) {
    case DT_TIMESTAMP:
    case DT_TIME: dt_buf_printf(out, "%s(%s%s)", dt_kind_name(f->kind), unit, f->utc ? ", UTC" : ""); break;
    case DT_DURATION: dt_buf_printf(out, "duration(%s)", unit); break;
    case DT_DECIMAL:
    case DT_DECIMAL128:
        dt_buf_printf(out, "%s(%d,%d)", dt_kind_name(f->kind), (int)f->precision, (int)f->scale);
        break;
    default: dt_buf_printf(out, "%s", dt_kind_name(f->kind)); break;
    }
}
void dt_schema_init(dt_schema *s, size_t ncol)
{
    s->ncol = ncol;
    s->fields = dt_calloc(ncol ? ncol : 1, sizeof *s->fields);
}

void dt_schema_set(dt_schema *s, size_t i, const char *name, dt_kind kind)
{
    free(s->fields[i].name);
    s->fields[i] = (dt_field){.name = dt_strdup(name)};
    dt_field_set_kind(&s->fields[i], kind);
}

static void field_copy(dt_field *dst, const dt_field *src)
{
    *dst = *src;
    dst->name = dt_strdup(src->name);
}

void dt_schema_copy(dt_schema *dst, const dt_schema *src)
{
    dt_schema_init(dst, src->ncol);
    for (size_t i = 0; i < src->ncol; i++)
        field_copy(&dst->fields[i], &src->fields[i]);
}

void dt_schema_free(dt_schema *s)
{
    for (size_t i = 0; i < s->ncol; i++)
        free(s->fields[i].name);
    free(s->fields);
    s->fields = NULL;
    s->ncol = 0;
}

int dt_schema_index(const dt_schema *s, const char *name)
{
    for (size_t i = 0; i < s->ncol; i++)
        if (!strcmp(s->fields[i].name, name))
            return (int)i;
    return -1;
}

static bool is_var_width(dt_kind k) { return k == DT_STRING || k == DT_BINARY; }

void dt_col_reserve(dt_column *c, size_t rows)
{
    if (rows <= c->cap)
        return;
    size_t cap = c->cap ? c->cap : 16;
    while (cap < rows)
        cap *= 2;
    if (is_var_width(c->field.kind)) {
        c->offsets = dt_realloc(c->offsets, (cap + 1) * sizeof *c->offsets);
        if (c->cap == 0)
            c->offsets[0] = 0;
    } else {
        c->vals = dt_realloc(c->vals, cap * dt_kind_width(c->field.kind));
    }
    if (c->valid) {
        size_t old = (c->cap + 7) / 8, now = (cap + 7) / 8;
        c->valid = dt_realloc(c->valid, now);
        memset(c->valid + old, 0, now - old);
    }
    c->cap = cap;
}

dt_table *dt_table_new(const dt_schema *s, size_t cap_rows)
{
    dt_table *t = dt_calloc(1, sizeof *t);
    t->ncol = s->ncol;
    t->cols = dt_calloc(s->ncol ? s->ncol : 1, sizeof *t->cols);
    for (size_t i = 0; i < s->ncol; i++) {
        field_copy(&t->cols[i].field, &s->fields[i]);
        dt_col_reserve(&t->cols[i], cap_rows ? cap_rows : 16);
    }
    return t;
}

void dt_table_schema(const dt_table *t, dt_schema *out)
{
    dt_schema_init(out, t->ncol);
    for (size_t i = 0; i < t->ncol; i++)
        field_copy(&out->fields[i], &t->cols[i].field);
}

void dt_table_free(dt_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncol; i++) {
        dt_column *c = &t->cols[i];
        free(c->field.name);
        free(c->valid);
        free(c->vals);
        free(c->offsets);
        free(c->data);
    }
    free(t->cols);
    free(t);
}

void dt_table_clear(dt_table *t)
{
    for (size_t i = 0; i < t->ncol; i++) {
        dt_column *c = &t->cols[i];
        if (c->valid)
            memset(c->valid, 0, (c->cap + 7) / 8);
        c->null_count = 0;
        c->data_len = 0;
        c->len = 0;
        if (c->offsets)
            c->offsets[0] = 0;
    }
    t->nrow = 0;
}

/* The bitmap, made when a first value goes missing: every row so far valid. */
static void valid_alloc(dt_column *c)
{
    c->valid = dt_malloc((c->cap + 7) / 8);
    memset(c->valid, 0xff, (c->cap + 7) / 8);
}

static void set_valid(dt_column *c, size_t i, bool v)
{
    if (!c->valid) {
        if (v)
            return;
        valid_alloc(c);
    }
    if (v)
        c->valid[i >> 3] |= (uint8_t)(1u << (i & 7));
    else
        c->valid[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

static size_t col_push(dt_column *c, bool valid)
{
    dt_col_reserve(c, c->len + 1);
    size_t i = c->len++;
    set_valid(c, i, valid);
    if (!valid)
        c->null_count++;
    return i;
}

void dt_col_append_null(dt_column *c)
{
    size_t i = col_push(c, false);
    if (is_var_width(c->field.kind))
        c->offsets[i + 1] = c->offsets[i];
    else
        memset((uint8_t *)c->vals + i * dt_kind_width(c->field.kind), 0, dt_kind_width(c->field.kind));
}

void dt_col_append_bool(dt_column *c, bool v)
{
    size_t i = col_push(c, true);
    DT_COL(c, uint8_t)[i] = v ? 1 : 0;
}

void dt_col_append_i32(dt_column *c, int32_t v)
{
    size_t i = col_push(c, true);
    DT_COL(c, int32_t)[i] = v;
}

void dt_col_append_i64(dt_column *c, int64_t v)
{
    size_t i = col_push(c, true);
    DT_COL(c, int64_t)[i] = v;
}

void dt_col_append_u64(dt_column *c, uint64_t v)
{
    size_t i = col_push(c, true);
    DT_COL(c, uint64_t)[i] = v;
}

void dt_col_append_f64(dt_column *c, double v)
{
    size_t i = col_push(c, true);
    DT_COL(c, double)[i] = v;
}

void dt_col_reserve_data(dt_column *c, size_t n)
{
    if (c->data_len + n + DT_COL_SLACK <= c->data_cap)
        return;
    size_t cap = c->data_cap ? c->data_cap : 256;
    while (cap < c->data_len + n + DT_COL_SLACK)
        cap *= 2;
    c->data = dt_realloc(c->data, cap);
    c->data_cap = cap;
}

void dt_col_append_bytes(dt_column *c, const void *p, size_t n)
{
    size_t i = col_push(c, true);
    dt_col_reserve_data(c, n);
    if (n)
        memcpy(c->data + c->data_len, p, n);
    c->data_len += n;
    c->offsets[i + 1] = (int64_t)c->data_len;
}

void dt_col_append_fixed(dt_column *c, const void *vals, const uint8_t *present, size_t n)
{
    size_t w = dt_kind_width(c->field.kind);
    dt_col_reserve(c, c->len + n);
    memcpy((uint8_t *)c->vals + c->len * w, vals, n * w);
    dt_col_mark_present(c, present, n);
}

void dt_col_append_value(dt_column *dst, const dt_column *src, size_t row)
{
    if (!dt_col_is_valid(src, row)) {
        dt_col_append_null(dst);
    } else if (is_var_width(src->field.kind)) {
        size_t n;
        const char *p = dt_col_str(src, row, &n);
        dt_col_append_bytes(dst, p, n);
    } else {
        size_t w = dt_kind_width(src->field.kind);
        dt_col_append_fixed(dst, (const uint8_t *)src->vals + row * w, NULL, 1);
    }
}

/* Eight flags (bytes 0 or 1) as the bits of a byte, the first lowest. */
static uint8_t pack8(const uint8_t *flags)
{
    uint64_t x;
    memcpy(&x, flags, 8);
    return (uint8_t)((le64toh(x) * UINT64_C(0x0102040810204080)) >> 56);
}

void dt_col_mark_present(dt_column *c, const uint8_t *present, size_t n)
{
    size_t first = c->len, missing = 0;
    c->len += n;
    if (present)
        for (size_t i = 0; i < n; i++)
            missing += !present[i];
    if (!missing && !c->valid)
        return; /* nothing missing, no bitmap to keep up to date */
    if (!c->valid)
        valid_alloc(c);
    c->null_count += missing;
    size_t i = 0;
    for (; i < n && ((first + i) & 7); i++)
        set_valid(c, first + i, !present || present[i]);
    for (; i + 8 <= n; i += 8)
        c->valid[(first + i) >> 3] = present ? pack8(present + i) : 0xff;
    for (; i < n; i++)
        set_valid(c, first + i, !present || present[i]);
}

void dt_table_end_row(dt_table *t)
{
    t->nrow++;
    for (size_t i = 0; i < t->ncol; i++)
        if (t->cols[i].len != t->nrow) {
            fprintf(stderr, "datom: internal: column %s has %zu rows, table %zu\n",
                    t->cols[i].field.name, t->cols[i].len, t->nrow);
            abort();
        }
}

static bool value_equal(const dt_column *a, const dt_column *b, size_t i)
{
    bool va = dt_col_is_valid(a, i), vb = dt_col_is_valid(b, i);
    if (va != vb)
        return false;
    if (!va)
        return true;
    switch (a->field.kind) {
    case DT_DOUBLE: {
        double x = DT_COL(a, double)[i], y = DT_COL(b, double)[i];
        return (isnan(x) && isnan(y)) || x == y;
    }
    case DT_STRING:
    case DT_BINARY: {
        size_t la, lb;
        const char *sa = dt_col_str(a, i, &la), *sb = dt_col_str(b, i, &lb);
        return la == lb && memcmp(sa, sb, la) == 0;
    }
    default: {
        size_t w = dt_kind_width(a->field.kind);
        return memcmp((uint8_t *)a->vals + i * w, (uint8_t *)b->vals + i * w, w) == 0;
    }
    }
}

bool dt_table_equal(const dt_table *a, const dt_table *b, char *msg, size_t msg_cap)
{
    if (a->ncol != b->ncol || a->nrow != b->nrow) {
        snprintf(msg, msg_cap, "shape %zux%zu vs %zux%zu", a->nrow, a->ncol, b->nrow, b->ncol);
        return false;
    }
    for (size_t c = 0; c < a->ncol; c++) {
        const dt_column *x = &a->cols[c], *y = &b->cols[c];
        if (strcmp(x->field.name, y->field.name) || !dt_field_same_type(&x->field, &y->field)) {
            dt_buf u = DT_BUF_INIT, v = DT_BUF_INIT;
            dt_field_describe(&x->field, &u);
            dt_field_describe(&y->field, &v);
            snprintf(msg, msg_cap, "column %zu: %s %s vs %s %s", c, x->field.name, dt_buf_cstr(&u),
                     y->field.name, dt_buf_cstr(&v));
            dt_buf_free(&u);
            dt_buf_free(&v);
            return false;
        }
        for (size_t r = 0; r < a->nrow; r++)
            if (!value_equal(x, y, r)) {
                dt_buf u = DT_BUF_INIT, v = DT_BUF_INIT;
                dt_value_format(x, r, &u);
                dt_value_format(y, r, &v);
                snprintf(msg, msg_cap, "column %s row %zu: '%s'%s vs '%s'%s", x->field.name, r,
                         dt_buf_cstr(&u), dt_col_is_valid(x, r) ? "" : " (null)", dt_buf_cstr(&v),
                         dt_col_is_valid(y, r) ? "" : " (null)");
                dt_buf_free(&u);
                dt_buf_free(&v);
                return false;
            }
    }
    return true;
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

/* Decimal digits of v ending at end; returns where they start. */
static char *digits_u64(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* The spellers below write at o (room for DT_VALUE_MAX bytes) and return the end. */
static char *put_i64(char *o, int64_t v)
{
    char buf[24], *end = buf + sizeof buf;
    char *s = digits_u64(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--s = '-';
    memcpy(o, s, (size_t)(end - s));
    return o + (end - s);
}

static char *put2(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
    return o + 2;
}

/* YYYY-MM-DD (years outside 0..9999 as printf spells them). */
static char *put_date(char *o, int64_t days)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999) {
        o = put2(o, (unsigned)(y / 100));
        o = put2(o, (unsigned)(y % 100));
    } else {
        o += snprintf(o, 24, "%04" PRId64, y);
    }
    *o++ = '-';
    o = put2(o, m);
    *o++ = '-';
    return put2(o, d);
}

/* v units (per to the second) as whole seconds, floored, and the rest. */
static inline void split_units(int64_t v, int64_t per, int64_t *secs, int64_t *rest)
{
    *secs = v / per;
    *rest = v % per;
    if (*rest < 0) {
        *rest += per;
        (*secs)--;
    }
}

/* ".fff" for rest (0 <= rest < per) with as many digits as per has zeros,
 * trailing zeros dropped; nothing for 0. */
static char *put_fraction(char *o, int64_t rest, int64_t per)
{
    if (!rest)
        return o;
    *o++ = '.';
    for (int64_t div = per / 10; rest; div /= 10) {
        *o++ = (char)('0' + rest / div);
        rest %= div;
    }
    return o;
}

/* HH:MM:SS of secs (hours may pass 23: a time of day of 24:00:00, or a
 * hostile file's value, is spelled as it is). */
static char *put_clock(char *o, uint64_t secs)
{
    uint64_t h = secs / 3600;
    if (h < 100)
        o = put2(o, (unsigned)h);
    else
        o = put_i64(o, (int64_t)h);
    *o++ = ':';
    o = put2(o, (unsigned)(secs / 60 % 60));
    *o++ = ':';
    return put2(o, (unsigned)(secs % 60));
}

/* ISO-8601, the fraction only as long as it needs; a Z for an instant. */
static inline char *put_timestamp_per(char *o, int64_t v, int64_t per, bool utc)
{
    int64_t secs, rest, days, sod;
    split_units(v, per, &secs, &rest);
    split_units(secs, 86400, &days, &sod);
    o = put_date(o, days);
    *o++ = 'T';
    o = put_clock(o, (uint64_t)sod);
    o = put_fraction(o, rest, per);
    if (utc)
        *o++ = 'Z';
    return o;
}

/* One copy per unit, so that each divides by a constant (this runs once per
 * timestamp written as text). */
static char *put_timestamp(char *o, int64_t v, const dt_field *f)
{
    switch (f->unit) {
    case DT_UNIT_MS: return put_timestamp_per(o, v, 1000, f->utc);
    case DT_UNIT_NS: return put_timestamp_per(o, v, 1000000000, f->utc);
    default: return put_timestamp_per(o, v, 1000000, f->utc);
    }
}

/* A time of day as DuckDB and arrow spell it: HH:MM:SS[.fraction], and
 * +00 for a UTC time as DuckDB spells (and parses) its TIMETZ; negative
 * values, which no writer makes, with a sign. */
static char *put_time(char *o, int64_t v, const dt_field *f)
{
    uint64_t per = (uint64_t)dt_unit_per_second(f->unit);
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *o++ = '-';
    o = put_clock(o, mag / per);
    o = put_fraction(o, (int64_t)(mag % per), (int64_t)per);
    if (f->utc)
        memcpy(o, "+00", 3), o += 3;
    return o;
}

static uint32_t ld_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* "N unit(s)", after a space when something is before it (o > start). */
static char *put_count(char *o, const char *start, uint32_t n, const char *unit)
{
    if (o > start)
        *o++ = ' ';
    o = put_i64(o, n);
    size_t len = strlen(unit);
    *o++ = ' ';
    memcpy(o, unit, len);
    o += len;
    if (n != 1)
        *o++ = 's';
    return o;
}

/* An interval as DuckDB spells (and parses) it: "1 year 2 months 3 days
 * 04:05:06.789"; parts that are zero left out, "00:00:00" for none. */
static char *put_interval(char *o, const uint8_t *p)
{
    uint32_t months = ld_u32le(p), days = ld_u32le(p + 4), ms = ld_u32le(p + 8);
    char *start = o;
    if (months / 12)
        o = put_count(o, start, months / 12, "year");
    if (months % 12)
        o = put_count(o, start, months % 12, "month");
    if (days)
        o = put_count(o, start, days, "day");
    if (ms || o == start) {
        if (o > start)
            *o++ = ' ';
        o = put_clock(o, ms / 1000);
        o = put_fraction(o, ms % 1000, 1000);
    }
    return o;
}

/* Fast path of put_double: a value that is exactly n / 10^p (as IEEE
 * division rounds it) for an integer n < 2^53 and p <= 15, tried with p
 * rising, so the first found is the shortest; written in fixed notation. */
static char *put_double_fixed(char *o, double v)
{
    static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    double a = fabs(v);
    if (!(a >= 1e-5 && a < 1e15))
        return NULL;
    for (int p = 0; p <= 15; p++) {
        double m = a * p10[p];
        if (m >= 9007199254740992.0)
            return NULL;
        double n = nearbyint(m);
        /* a = n / 10^p puts m within a few ulps of n: skip the division otherwise */
        if (fabs(m - n) > m * 0x1p-50 || n / p10[p] != a)
            continue;
        char buf[48], *end = buf + sizeof buf, *s = digits_u64(end, (uint64_t)n);
        while (end - s <= p) /* leading zeros of a fraction */
            *--s = '0';
        if (v < 0)
            *o++ = '-';
        size_t whole = (size_t)(end - s - p);
        memcpy(o, s, whole);
        o += whole;
        if (p > 0) {
            *o++ = '.';
            memcpy(o, end - p, (size_t)p);
            o += p;
        }
        return o;
    }
    return NULL;
}

/* The shortest decimal spelling that reads back as the same double. */
static char *put_double(char *o, double v)
{
    if (isnan(v))
        return memcpy(o, "NaN", 3), o + 3;
    if (isinf(v))
        return v > 0 ? (memcpy(o, "Inf", 3), o + 3) : (memcpy(o, "-Inf", 4), o + 4);
    if (v == 0)
        return signbit(v) ? (memcpy(o, "-0", 2), o + 2) : (*o = '0', o + 1);
    char *e = put_double_fixed(o, v);
    if (e)
        return e;
    char s[40];
    int prec;
    snprintf(s, sizeof s, "%.15g", v);
    if (strtod(s, NULL) == v) {
        for (prec = 1; prec < 15; prec++) {
            snprintf(s, sizeof s, "%.*g", prec, v);
            if (strtod(s, NULL) == v)
                break;
        }
        if (prec == 15)
            snprintf(s, sizeof s, "%.15g", v);
    } else {
        snprintf(s, sizeof s, "%.16g", v);
        if (strtod(s, NULL) != v)
            snprintf(s, sizeof s, "%.17g", v);
    }
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

/* A sign and the decimal digits of an unscaled value, with the point put
 * `scale` digits from the right (0.05, not .05). */
static char *put_scaled(char *o, bool neg, const char *digits, int n, int32_t scale)
{
    if (neg)
        *o++ = '-';
    if (scale <= 0 || scale > 38) {
        memcpy(o, digits, (size_t)n);
        return o + n;
    }
    if (n <= scale) {
        *o++ = '0';
        *o++ = '.';
        for (int i = n; i < scale; i++)
            *o++ = '0';
        memcpy(o, digits, (size_t)n);
        return o + n;
    }
    memcpy(o, digits, (size_t)(n - scale));
    o += n - scale;
    *o++ = '.';
    memcpy(o, digits + n - scale, (size_t)scale);
    return o + scale;
}

static char *put_decimal(char *o, int64_t unscaled, int32_t scale)
{
    char buf[24], *end = buf + sizeof buf;
    char *d = digits_u64(end, unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled);
    return put_scaled(o, unscaled < 0, d, (int)(end - d), scale);
}

/* A 128-bit little-endian two's complement unscaled value: its magnitude in
 * four 32-bit limbs, divided by 10^9 until nothing is left. */
static char *put_decimal128(char *o, const uint8_t *p, int32_t scale)
{
    bool neg = p[15] & 0x80;
    uint32_t limb[4]; /* most significant first */
    uint64_t carry = neg;
    for (int i = 0; i < 4; i++) {
        uint32_t w = ld_u32le(p + 4 * i);
        uint64_t x = neg ? (uint64_t)(uint32_t)~w + carry : w;
        carry = x >> 32;
        limb[3 - i] = (uint32_t)x;
    }
    char buf[48], *end = buf + sizeof buf, *d = end;
    bool zero;
    do {
        uint64_t rem = 0;
        zero = true;
        for (int i = 0; i < 4; i++) {
            uint64_t cur = rem << 32 | limb[i];
            limb[i] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
            zero &= limb[i] == 0;
        }
        for (int k = 0; k < 9 && (!zero || rem); k++, rem /= 10)
            *--d = (char)('0' + rem % 10);
    } while (!zero);
    if (d == end)
        *--d = '0';
    return put_scaled(o, neg, d, (int)(end - d), scale);
}

size_t dt_value_spell(const dt_column *c, size_t row, char *out)
{
    char *o = out;
    switch (c->field.kind) {
    case DT_BOOL:
        if (DT_COL(c, uint8_t)[row])
            memcpy(o, "true", 4), o += 4;
        else
            memcpy(o, "false", 5), o += 5;
        break;
    case DT_INT32: o = put_i64(o, DT_COL(c, int32_t)[row]); break;
    case DT_INT64:
    case DT_DURATION: o = put_i64(o, DT_COL(c, int64_t)[row]); break;
    case DT_UINT64: {
        char buf[24], *end = buf + sizeof buf, *d = digits_u64(end, DT_COL(c, uint64_t)[row]);
        memcpy(o, d, (size_t)(end - d));
        o += end - d;
        break;
    }
    case DT_DOUBLE: o = put_double(o, DT_COL(c, double)[row]); break;
    case DT_DATE: o = put_date(o, DT_COL(c, int32_t)[row]); break;
    case DT_TIMESTAMP: o = put_timestamp(o, DT_COL(c, int64_t)[row], &c->field); break;
    case DT_TIME: o = put_time(o, DT_COL(c, int64_t)[row], &c->field); break;
    case DT_DECIMAL: o = put_decimal(o, DT_COL(c, int64_t)[row], c->field.scale); break;
    case DT_DECIMAL128: o = put_decimal128(o, (const uint8_t *)c->vals + 16 * row, c->field.scale); break;
    case DT_INTERVAL: o = put_interval(o, (const uint8_t *)c->vals + 12 * row); break;
    default: break;
    }
    return (size_t)(o - out);
}

void dt_value_format(const dt_column *c, size_t row, dt_buf *out)
{
    if (!dt_col_is_valid(c, row))
        return;
    switch (c->field.kind) {
    case DT_STRING: {
        size_t n;
        const char *s = dt_col_str(c, row, &n);
        dt_buf_append(out, s, n);
        break;
    }
    case DT_BINARY: {
        size_t n;
        const uint8_t *s = (const uint8_t *)dt_col_str(c, row, &n);
        dt_buf_reserve(out, 2 * n);
        dt_hex_encode(s, n, (char *)out->data + out->len);
        out->len += 2 * n;
        break;
    }
    default:
        dt_buf_reserve(out, DT_VALUE_MAX);
        out->len += dt_value_spell(c, row, (char *)out->data + out->len);
        out->data[out->len] = '\0';
        break;
    }
}
