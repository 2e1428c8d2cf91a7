/*
 * value.c: the values a datom holds (db.h, "values"): their total order,
 * equality, hashing, owned copies, tuples, and their EDN spelling.
 *
 * The order is what every index sorts by, in memory and in segments, so it
 * is part of the format (docs/formats.md, "Value order"): change it and old
 * segments are no longer sorted. (1) Values of different types order by
 * type. (2) Within a type: numbers numerically (doubles: -inf < ... < -0 <
 * +0 < ... < +inf < NaN, NaNs equal), decimals numerically from their
 * canonical text, string-like values by unsigned bytes, tuples element by
 * element then by length.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"

static const char *const type_names[DT_VTYPE_COUNT] = {
    [DT_NIL] = "nil",         [DT_BOOL] = "boolean", [DT_LONG] = "long",       [DT_DOUBLE] = "double",
    [DT_FLOAT] = "float",     [DT_BIGINT] = "bigint", [DT_BIGDEC] = "bigdec",  [DT_INSTANT] = "instant",
    [DT_UUID] = "uuid",       [DT_STRING] = "string", [DT_KEYWORD] = "keyword", [DT_SYMBOL] = "symbol",
    [DT_URI] = "uri",         [DT_BYTES] = "bytes",   [DT_REF] = "ref",         [DT_TUPLE] = "tuple",
};

const char *dt_vtype_name(dt_vtype t) { return t < DT_VTYPE_COUNT ? type_names[t] : "?"; }

int dt_vtype_parse(const char *name, dt_vtype *out)
{
    if (!strncmp(name, "db.type/", 8))
        name += 8;
    for (int t = DT_BOOL; t < DT_VTYPE_COUNT; t++)
        if (!strcmp(name, type_names[t])) {
            *out = (dt_vtype)t;
            return 0;
        }
    return dt_error(DATOM_EINVAL, "unknown value type :db.type/%s", name);
}

/* ---- blobs ---- */

uint32_t dt_blob_hash(const void *p, size_t n)
{
    /* 64-bit multiply-xorshift over 8-byte words; good enough for a hash table. */
    const uint8_t *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w ^ ((uint64_t)n << 56)) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    return (uint32_t)(h ^ (h >> 32));
}

dt_blob *dt_blob_new(const void *p, size_t n)
{
    dt_blob *b = dt_malloc(sizeof *b + n + 1);
    b->len = (uint32_t)n;
    if (n)
        memcpy(b->data, p, n);
    b->data[n] = '\0';
    b->hash = dt_blob_hash(p, n);
    return b;
}

/* ---- decimals (canonical text: -?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?) ---- */

static int mag_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    const char *ad = memchr(a, '.', an), *bd = memchr(b, '.', bn);
    size_t ai = ad ? (size_t)(ad - a) : an, bi = bd ? (size_t)(bd - b) : bn;
    if (ai != bi)
        return ai < bi ? -1 : 1;
    int c = memcmp(a, b, ai);
    if (c)
        return c;
    /* Fractions: compare digit by digit, the shorter padded with zeros. */
    const char *af = ad ? ad + 1 : a + an, *bf = bd ? bd + 1 : b + bn;
    size_t afn = (size_t)(a + an - af), bfn = (size_t)(b + bn - bf);
    for (size_t i = 0; i < afn || i < bfn; i++) {
        char x = i < afn ? af[i] : '0', y = i < bfn ? bf[i] : '0';
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static int decimal_cmp(const dt_blob *a, const dt_blob *b)
{
    bool an = a->len && a->data[0] == '-', bn = b->len && b->data[0] == '-';
    if (an != bn)
        return an ? -1 : 1;
    int c = mag_cmp(a->data + an, a->len - an, b->data + bn, b->len - bn);
    return an ? -c : c;
}

/* ---- comparison ---- */

static int bytes_cmp(const dt_blob *a, const dt_blob *b)
{
    if (a == b)
        return 0;
    uint32_t n = DT_MIN(a->len, b->len);
    int c = n ? memcmp(a->data, b->data, n) : 0;
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

static int double_cmp(double x, double y)
{
    bool xn = isnan(x), yn = isnan(y);
    if (xn || yn)
        return xn - yn;
    if (x < y)
        return -1;
    if (x > y)
        return 1;
    if (x == 0 && y == 0)
        return (signbit(y) != 0) - (signbit(x) != 0); /* -0 < +0 */
    return 0;
}

static int tuple_cmp(const dt_blob *a, const dt_blob *b)
{
    if (a == b)
        return 0;
    size_t an = dt_tuple_count(a), bn = dt_tuple_count(b);
    for (size_t i = 0; i < an && i < bn; i++) {
        int c = dt_val_cmp(dt_tuple_get(a, i), dt_tuple_get(b, i));
        if (c)
            return c;
    }
    return an < bn ? -1 : an > bn;
}

int dt_val_cmp(dt_val a, dt_val b)
{
    if (a.type != b.type)
        return a.type < b.type ? -1 : 1;
    switch (a.type) {
    case DT_NIL: return 0;
    case DT_BOOL:
    case DT_LONG:
    case DT_INSTANT: return a.i < b.i ? -1 : a.i > b.i;
    case DT_REF: return a.u < b.u ? -1 : a.u > b.u;
    case DT_DOUBLE:
    case DT_FLOAT: return double_cmp(a.d, b.d);
    case DT_BIGINT:
    case DT_BIGDEC: return decimal_cmp(a.b, b.b);
    case DT_TUPLE: return tuple_cmp(a.b, b.b);
    default: return bytes_cmp(a.b, b.b);
    }
}

bool dt_val_eq(dt_val a, dt_val b)
{
    if (a.type != b.type)
        return false;
    if (dt_vtype_is_blob(a.type) && a.type != DT_TUPLE && a.type != DT_BIGDEC && a.b != b.b &&
        (a.b->len != b.b->len || a.b->hash != b.b->hash))
        return false;
    return dt_val_cmp(a, b) == 0;
}

uint64_t dt_val_hash(dt_val v)
{
    uint64_t h;
    switch (v.type) {
    case DT_DOUBLE:
    case DT_FLOAT: {
        double d = isnan(v.d) ? NAN : v.d;
        memcpy(&h, &d, 8);
        break;
    }
    case DT_BIGDEC:
    case DT_TUPLE: {
        /* Equal by order yet spelled differently is impossible for canonical
         * decimals; tuples hash by their elements. */
        h = v.type == DT_TUPLE ? dt_tuple_count(v.b) : v.b->hash;
        if (v.type == DT_TUPLE)
            for (size_t i = 0; i < dt_tuple_count(v.b); i++)
                h = h * 31 + dt_val_hash(dt_tuple_get(v.b, i));
        break;
    }
    default: h = dt_vtype_is_blob(v.type) ? v.b->hash : v.u;
    }
    h = (h ^ v.type) * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 32);
}

dt_val dt_val_copy(dt_val v)
{
    if (dt_vtype_is_blob(v.type)) {
        dt_blob *b = dt_blob_new(v.b->data, v.b->len);
        b->hash = v.b->hash;
        v.b = b;
    }
    return v;
}

void dt_val_free(dt_val *v)
{
    if (dt_vtype_is_blob(v->type))
        free((void *)v->b);
    v->type = DT_NIL;
}

/* ---- tuples ----
 * A tuple blob: byte 0 is the count; then each element, 8-aligned (the blob's
 * data is 8-aligned: the header is 8 bytes): a type byte, 7 zero bytes, and
 * either 8 bytes of scalar or a blob header (len, hash) with the bytes, a NUL
 * and zeros to the next multiple of 8. Elements are found by walking. */

#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

static size_t tuple_elem_size(const uint8_t *p)
{
    if (!dt_vtype_is_blob(p[0]))
        return 16;
    const dt_blob *b = (const dt_blob *)(p + 8);
    return 8 + ALIGN8(sizeof(dt_blob) + b->len + 1);
}

size_t dt_tuple_count(const dt_blob *t) { return t->len ? (uint8_t)t->data[0] : 0; }

dt_val dt_tuple_get(const dt_blob *t, size_t i)
{
    const uint8_t *p = (const uint8_t *)t->data + 8;
    for (size_t k = 0; k < i; k++)
        p += tuple_elem_size(p);
    dt_val v = {.type = p[0]};
    if (dt_vtype_is_blob(v.type))
        v.b = (const dt_blob *)(p + 8);
    else
        memcpy(&v.u, p + 8, 8);
    return v;
}

dt_blob *dt_tuple_new(const dt_val *vals, size_t n)
{
    size_t size = 8;
    for (size_t i = 0; i < n; i++)
        size += dt_vtype_is_blob(vals[i].type) ? 8 + ALIGN8(sizeof(dt_blob) + vals[i].b->len + 1) : 16;
    dt_blob *t = dt_calloc(1, sizeof *t + size + 1);
    t->len = (uint32_t)size;
    uint8_t *p = (uint8_t *)t->data;
    p[0] = (uint8_t)n;
    p += 8;
    for (size_t i = 0; i < n; i++) {
        p[0] = vals[i].type;
        if (dt_vtype_is_blob(vals[i].type)) {
            dt_blob *b = (dt_blob *)(p + 8);
            b->len = vals[i].b->len;
            b->hash = vals[i].b->hash;
            memcpy(b->data, vals[i].b->data, b->len);
            p += 8 + ALIGN8(sizeof(dt_blob) + b->len + 1);
        } else {
            memcpy(p + 8, &vals[i].u, 8);
            p += 16;
        }
    }
    /* The hash of a tuple covers its elements' values, not their layout. */
    uint64_t h = n;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + dt_val_hash(vals[i]);
    t->hash = (uint32_t)(h ^ (h >> 32));
    return t;
}

/* ---- printing (EDN) ---- */

static void print_string(dt_buf *out, const dt_blob *b)
{
    dt_buf_putc(out, '"');
    for (uint32_t i = 0; i < b->len; i++) {
        unsigned char c = (unsigned char)b->data[i];
        switch (c) {
        case '"': dt_buf_puts(out, "\\\""); break;
        case '\\': dt_buf_puts(out, "\\\\"); break;
        case '\n': dt_buf_puts(out, "\\n"); break;
        case '\t': dt_buf_puts(out, "\\t"); break;
        case '\r': dt_buf_puts(out, "\\r"); break;
        default:
            if (c < 0x20 || c == 0x7f)
                dt_buf_printf(out, "\\u%04x", c);
            else
                dt_buf_putc(out, (char)c);
        }
    }
    dt_buf_putc(out, '"');
}

static void print_double(dt_buf *out, double d)
{
    if (isnan(d))
        dt_buf_puts(out, "##NaN");
    else if (isinf(d))
        dt_buf_puts(out, d > 0 ? "##Inf" : "##-Inf");
    else {
        char tmp[40];
        snprintf(tmp, sizeof tmp, "%.17g", d);
        /* The shortest spelling that reads back the same. */
        for (int prec = 1; prec < 17; prec++) {
            char t2[40];
            snprintf(t2, sizeof t2, "%.*g", prec, d);
            if (strtod(t2, NULL) == d) {
                memcpy(tmp, t2, sizeof t2);
                break;
            }
        }
        dt_buf_puts(out, tmp);
        if (!strpbrk(tmp, ".eEn"))
            dt_buf_puts(out, ".0");
    }
}

static void print_inst(dt_buf *out, int64_t ms)
{
    int64_t secs = ms / 1000, rem = ms % 1000;
    if (rem < 0) {
        rem += 1000;
        secs--;
    }
    /* Civil date from days since the epoch (Howard Hinnant's algorithm). */
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    dt_buf_printf(out, "#inst \"%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lld-00:00\"",
                  (long long)(y + (m <= 2)), (long long)m, (long long)d, (long long)(sod / 3600),
                  (long long)(sod / 60 % 60), (long long)(sod % 60), (long long)rem);
}

static void print_uuid(dt_buf *out, const dt_blob *b)
{
    static const int dash[] = {4, 6, 8, 10};
    dt_buf_puts(out, "#uuid \"");
    for (uint32_t i = 0, k = 0; i < b->len; i++) {
        if (k < 4 && (int)i == dash[k]) {
            dt_buf_putc(out, '-');
            k++;
        }
        dt_buf_printf(out, "%02x", (unsigned char)b->data[i]);
    }
    dt_buf_putc(out, '"');
}

static void print_bytes(dt_buf *out, const dt_blob *b)
{
    /* EDN has no bytes literal: a tagged base64 string. */
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    dt_buf_puts(out, "#datom/bytes \"");
    const uint8_t *p = (const uint8_t *)b->data;
    for (uint32_t i = 0; i < b->len; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16;
        if (i + 1 < b->len)
            w |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < b->len)
            w |= p[i + 2];
        dt_buf_putc(out, tbl[w >> 18]);
        dt_buf_putc(out, tbl[(w >> 12) & 63]);
        dt_buf_putc(out, i + 1 < b->len ? tbl[(w >> 6) & 63] : '=');
        dt_buf_putc(out, i + 2 < b->len ? tbl[w & 63] : '=');
    }
    dt_buf_putc(out, '"');
}

void dt_val_print(dt_buf *out, dt_val v)
{
    switch (v.type) {
    case DT_NIL: dt_buf_puts(out, "nil"); break;
    case DT_BOOL: dt_buf_puts(out, v.i ? "true" : "false"); break;
    case DT_LONG: dt_buf_printf(out, "%lld", (long long)v.i); break;
    case DT_REF: dt_buf_printf(out, "%llu", (unsigned long long)v.u); break;
    case DT_DOUBLE:
    case DT_FLOAT: print_double(out, v.d); break;
    case DT_BIGINT: dt_buf_printf(out, "%sN", v.b->data); break;
    case DT_BIGDEC: dt_buf_printf(out, "%sM", v.b->data); break;
    case DT_INSTANT: print_inst(out, v.i); break;
    case DT_UUID: print_uuid(out, v.b); break;
    case DT_STRING: print_string(out, v.b); break;
    case DT_KEYWORD: dt_buf_printf(out, ":%s", v.b->data); break;
    case DT_SYMBOL: dt_buf_puts(out, v.b->data); break;
    case DT_URI: dt_buf_puts(out, "#datom/uri "); print_string(out, v.b); break;
    case DT_BYTES: print_bytes(out, v.b); break;
    case DT_TUPLE:
        dt_buf_putc(out, '[');
        for (size_t i = 0; i < dt_tuple_count(v.b); i++) {
            if (i)
                dt_buf_putc(out, ' ');
            dt_val_print(out, dt_tuple_get(v.b, i));
        }
        dt_buf_putc(out, ']');
        break;
    default: dt_buf_puts(out, "nil");
    }
}

/* ---- orders ---- */

static const char *const order_names[DT_ORDER_COUNT] = {"eavt", "aevt", "avet", "vaet", "log"};

const char *dt_order_name(dt_order o) { return o < DT_ORDER_COUNT ? order_names[o] : "?"; }

int dt_order_parse(const char *name, dt_order *out)
{
    if (*name == ':')
        name++;
    for (int o = 0; o < DT_ORDER_COUNT; o++)
        if (!strcmp(name, order_names[o])) {
            *out = (dt_order)o;
            return 0;
        }
    return dt_error(DATOM_EINVAL, "unknown index :%s (expected :eavt, :aevt, :avet or :vaet)", name);
}
