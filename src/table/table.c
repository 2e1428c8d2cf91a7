/*
 * table.c: the columnar batch (see table.h): kinds and their attributes,
 * schemas, building columns, comparing batches. Values as text: spell.c.
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

const char *dt_unit_name(dt_time_unit u)
{
    static const char *const names[] = {"s", "ms", "us", "ns"};
    return names[u <= DT_UNIT_NS ? u : 0];
}

void dt_field_describe(const dt_field *f, dt_buf *out)
{
    const char *unit = dt_unit_name(f->unit);
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
