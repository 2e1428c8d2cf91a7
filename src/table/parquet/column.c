/*
 * column.c: the column cursor of the Parquet reader (see column.h): walks a
 * column chunk's pages (dictionary, DATA_PAGE v1, DATA_PAGE_V2), decompresses
 * them, decodes definition levels and values with encoding.c, and converts
 * each physical value to its column's kind. Page sizes and counts are checked
 * against the chunk and DT_PQ_MAX_PAGE before anything is allocated.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "table/parquet/column.h"
#include "table/parquet/decompress.h"

static int fail(const char **why, const char *what)
{
    *why = what;
    return -1;
}

static size_t value_width(int ptype, int width)
{
    switch (ptype) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32:
    case PQ_FLOAT: return 4;
    case PQ_INT64:
    case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FIXED: return (size_t)width;
    default: return 0;
    }
}

void dt_pq_col_init(dt_pq_col *c, const char *name, int ptype, int width, int max_def,
                    dt_pq_conv conv)
{
    memset(c, 0, sizeof *c);
    c->name = name;
    c->ptype = ptype;
    c->width = width;
    c->max_def = max_def;
    c->conv = conv;
    c->vdec = dt_calloc(1, sizeof *c->vdec);
    c->levels = dt_malloc(DT_PQ_CHUNK * sizeof *c->levels);
    c->fixed = dt_malloc(DT_PQ_CHUNK * (value_width(ptype, width) + 1));
    c->slices = dt_malloc(DT_PQ_CHUNK * sizeof *c->slices);
}

static void chunk_reset(dt_pq_col *c)
{
    dt_pq_dict_free(&c->dict);
    free(c->dict_buf);
    c->dict_buf = NULL;
    c->have_dict = false;
    c->page_left = 0;
}

void dt_pq_col_free(dt_pq_col *c)
{
    chunk_reset(c);
    free(c->page_buf);
    if (c->vdec)
        dt_pq_vdec_free(c->vdec);
    free(c->vdec);
    free(c->levels);
    free(c->fixed);
    free(c->slices);
    dt_buf_free(&c->text);
}

void dt_pq_col_start(dt_pq_col *c, int codec, const uint8_t *start, const uint8_t *end)
{
    chunk_reset(c);
    c->codec = codec;
    c->pos = start;
    c->end = end;
}

bool dt_pq_col_has_leftover(const dt_pq_col *c) { return c->page_left > 0; }

/* The bytes of a (possibly compressed) page body, decompressed into *buf when
 * needed; uncompressed bodies are used in place. */
static int page_bytes(dt_pq_col *c, const uint8_t *src, size_t src_len, size_t len, uint8_t **buf,
                      size_t *cap, const uint8_t **out, const char **why)
{
    if (len > DT_PQ_MAX_PAGE)
        return fail(why, "page larger than the reader's limit (1 GiB)");
    if (c->codec == PQ_CODEC_UNCOMPRESSED) {
        if (src_len != len)
            return fail(why, "uncompressed page whose sizes differ");
        *out = src;
        return 0;
    }
    if (!dt_pq_decompress_plausible(c->codec, src, src_len, len))
        return fail(why, "page's stated size does not match its compressed data");
    if (*cap < len + 1) {
        free(*buf);
        *buf = dt_malloc(len + 1);
        *cap = len + 1;
    }
    if (dt_pq_decompress(c->codec, src, src_len, *buf, len, why) != 0)
        return -1;
    *out = *buf;
    return 0;
}

static int load_dict(dt_pq_col *c, const dt_pq_page_header *h, const uint8_t *body,
                     const char **why)
{
    if (c->have_dict)
        return fail(why, "a second dictionary page");
    if (!h->has_dict || h->num_values < 0)
        return fail(why, "dictionary page without its header");
    if (h->encoding != PQ_ENC_PLAIN && h->encoding != PQ_ENC_PLAIN_DICTIONARY)
        return fail(why, "dictionary page not PLAIN-encoded");
    const uint8_t *p;
    size_t cap = 0;
    if (page_bytes(c, body, (size_t)h->compressed_size, (size_t)h->uncompressed_size, &c->dict_buf,
                   &cap, &p, why) != 0)
        return -1;
    if (dt_pq_dict_decode(&c->dict, c->ptype, c->width, p, (size_t)h->uncompressed_size,
                          (size_t)h->num_values, why) != 0)
        return -1;
    c->have_dict = true;
    return 0;
}

static int level_width(int max_def)
{
    int bw = 0;
    while ((1 << bw) <= max_def)
        bw++;
    return bw;
}

/* DATA_PAGE (v1): levels and values are compressed together. */
static int load_v1(dt_pq_col *c, const dt_pq_page_header *h, const uint8_t *body, const char **why)
{
    if (!h->has_data)
        return fail(why, "data page without its header");
    const uint8_t *p;
    if (page_bytes(c, body, (size_t)h->compressed_size, (size_t)h->uncompressed_size, &c->page_buf,
                   &c->page_cap, &p, why) != 0)
        return -1;
    size_t n = (size_t)h->uncompressed_size;
    c->has_levels = c->max_def > 0;
    if (c->has_levels) {
        int bw = level_width(c->max_def);
        size_t len;
        if (h->def_encoding == PQ_ENC_RLE) {
            if (n < 4)
                return fail(why, "definition levels truncated");
            len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
            p += 4, n -= 4;
            if (len > n)
                return fail(why, "definition levels longer than their page");
            dt_pq_rle_init(&c->def, p, len, bw, false);
        } else if (h->def_encoding == PQ_ENC_BIT_PACKED) {
            len = ((size_t)h->num_values * (size_t)bw + 7) / 8;
            if (len > n)
                return fail(why, "definition levels longer than their page");
            dt_pq_rle_init(&c->def, p, len, bw, true);
        } else {
            return fail(why, "unsupported definition level encoding");
        }
        p += len, n -= len;
    }
    c->page_left = h->num_values;
    return dt_pq_vdec_init(c->vdec, h->encoding, c->ptype, c->width, p, n,
                           c->have_dict ? &c->dict : NULL, why);
}

/* DATA_PAGE_V2: levels stay uncompressed ahead of the (maybe) compressed values. */
static int load_v2(dt_pq_col *c, const dt_pq_page_header *h, const uint8_t *body, const char **why)
{
    if (!h->has_v2)
        return fail(why, "data page v2 without its header");
    if (h->def_len < 0 || h->rep_len < 0 || h->num_nulls < 0 ||
        (int64_t)h->def_len + h->rep_len > h->compressed_size ||
        (int64_t)h->def_len + h->rep_len > h->uncompressed_size)
        return fail(why, "data page v2 level lengths out of range");
    size_t lev = (size_t)h->def_len + (size_t)h->rep_len;
    const uint8_t *defs = body + h->rep_len;
    const uint8_t *p;
    size_t clen = (size_t)h->compressed_size - lev, ulen = (size_t)h->uncompressed_size - lev;
    if (!h->is_compressed) {
        if (clen != ulen)
            return fail(why, "uncompressed page whose sizes differ");
        p = body + lev;
    } else if (page_bytes(c, body + lev, clen, ulen, &c->page_buf, &c->page_cap, &p, why) != 0) {
        return -1;
    }
    c->has_levels = c->max_def > 0;
    if (c->has_levels && h->def_len == 0) {
        if (h->num_nulls != 0)
            return fail(why, "data page v2 with nulls but no definition levels");
        c->has_levels = false;
    }
    if (c->has_levels)
        dt_pq_rle_init(&c->def, defs, (size_t)h->def_len, level_width(c->max_def), false);
    c->page_left = h->num_values;
    return dt_pq_vdec_init(c->vdec, h->encoding, c->ptype, c->width, p, ulen,
                           c->have_dict ? &c->dict : NULL, why);
}

static int next_page(dt_pq_col *c, const char **why)
{
    for (;;) {
        if (c->pos >= c->end)
            return fail(why, "column chunk ends before its row group's last row");
        dt_pq_page_header h;
        size_t used;
        if (dt_pq_page_header_decode(c->pos, (size_t)(c->end - c->pos), &h, &used, why) != 0)
            return -1;
        c->pos += used;
        if ((size_t)h.compressed_size > (size_t)(c->end - c->pos))
            return fail(why, "page runs past the end of its column chunk");
        const uint8_t *body = c->pos;
        c->pos += h.compressed_size;
        int rc = 0;
        switch (h.type) {
        case PQ_PAGE_DICTIONARY: rc = load_dict(c, &h, body, why); break;
        case PQ_PAGE_DATA: rc = load_v1(c, &h, body, why); break;
        case PQ_PAGE_DATA_V2: rc = load_v2(c, &h, body, why); break;
        default: continue; /* index pages and future page types carry no values */
        }
        if (rc != 0)
            return -1;
        if (h.type != PQ_PAGE_DICTIONARY) {
            if (h.num_values < 0)
                return fail(why, "page with a negative value count");
            if (h.num_values > 0)
                return 0;
        }
    }
}

/* ---- physical value -> column value ---- */

static int32_t ld32(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static int64_t ld64(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static int ts_scale(dt_column *out, int64_t v, int64_t mul, const char **why)
{
    int64_t r;
    if (__builtin_mul_overflow(v, mul, &r))
        return fail(why, "timestamp out of the microsecond range");
    dt_col_append_i64(out, r);
    return 0;
}

/* INT96: nanoseconds of the day (8 bytes) then the Julian day (4 bytes). */
static int int96_ts(dt_column *out, const uint8_t *p, const char **why)
{
    int64_t nanos = ld64(p), day = ld32(p + 8) - INT64_C(2440588), us;
    if (__builtin_mul_overflow(day, INT64_C(86400000000), &us) ||
        __builtin_add_overflow(us, floor_div(nanos, 1000), &us))
        return fail(why, "INT96 timestamp out of the microsecond range");
    dt_col_append_i64(out, us);
    return 0;
}

static double half_to_double(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, e - 25);
    return h & 0x8000 ? -v : v;
}

/* A big-endian two's complement integer of 1..8 bytes (more if the extra
 * bytes only extend the sign). */
static int be_to_i64(const uint8_t *p, size_t n, int64_t *out, const char **why)
{
    if (n == 0)
        return *out = 0, 0;
    uint8_t ext = (p[0] & 0x80) ? 0xff : 0;
    for (; n > 8; p++, n--)
        if (p[0] != ext || ((p[1] ^ ext) & 0x80))
            return fail(why, "decimal value does not fit 18 digits");
    uint64_t v = ext ? UINT64_MAX : 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    *out = (int64_t)v;
    return 0;
}

/* A decimal of any width spelt out, e.g. "-1234.50" for scale 2. */
static int decimal_text(dt_buf *b, const uint8_t *p, size_t n, int scale, const char **why)
{
    uint8_t mag[64];
    if (n > sizeof mag)
        return fail(why, "decimal wider than 64 bytes");
    bool neg = n && (p[0] & 0x80);
    unsigned carry = 1;
    for (size_t i = n; i-- > 0;) { /* magnitude: negate two's complement when negative */
        unsigned x = neg ? (unsigned)(uint8_t)~p[i] + carry : p[i];
        carry = neg ? x >> 8 : 0;
        mag[i] = (uint8_t)x;
    }
    char digits[160];
    size_t nd = 0;
    for (bool zero = false; !zero;) {
        unsigned rem = 0;
        zero = true;
        for (size_t i = 0; i < n; i++) {
            unsigned cur = rem << 8 | mag[i];
            mag[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
            zero &= mag[i] == 0;
        }
        digits[nd++] = (char)('0' + rem);
    }
    while (nd <= (size_t)scale)
        digits[nd++] = '0';
    dt_buf_clear(b);
    if (neg)
        dt_buf_putc(b, '-');
    for (size_t i = nd; i-- > 0;) {
        dt_buf_putc(b, digits[i]);
        if (scale > 0 && i == (size_t)scale)
            dt_buf_putc(b, '.');
    }
    return 0;
}

static void uuid_text(dt_buf *b, const uint8_t *p)
{
    static const char hex[] = "0123456789abcdef";
    dt_buf_clear(b);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            dt_buf_putc(b, '-');
        dt_buf_putc(b, hex[p[i] >> 4]);
        dt_buf_putc(b, hex[p[i] & 15]);
    }
}

static int convert(dt_pq_col *c, dt_column *out, const uint8_t *p, size_t n, const char **why)
{
    int64_t v;
    switch (c->conv) {
    case CV_BOOL: dt_col_append_bool(out, p[0] != 0); return 0;
    case CV_I32:
    case CV_DATE:
    case CV_DEC_I32:
        if (out->field.kind == DT_DECIMAL)
            dt_col_append_i64(out, ld32(p));
        else
            dt_col_append_i32(out, ld32(p));
        return 0;
    case CV_TIME_MS: dt_col_append_i64(out, ld32(p)); return 0;
    case CV_U32: dt_col_append_i64(out, (int64_t)(uint32_t)ld32(p)); return 0;
    case CV_U64:
        if (ld64(p) < 0)
            return fail(why, "UINT64 value above the int64 range");
        dt_col_append_i64(out, ld64(p));
        return 0;
    case CV_I64:
    case CV_TS_US:
    case CV_TIME_US:
    case CV_TIME_NS:
    case CV_DEC_I64: dt_col_append_i64(out, ld64(p)); return 0;
    case CV_TS_MS: return ts_scale(out, ld64(p), 1000, why);
    case CV_TS_NS: dt_col_append_i64(out, floor_div(ld64(p), 1000)); return 0;
    case CV_INT96: return int96_ts(out, p, why);
    case CV_F32: {
        float f;
        memcpy(&f, p, 4);
        dt_col_append_f64(out, f);
        return 0;
    }
    case CV_F64: {
        double d;
        memcpy(&d, p, 8);
        dt_col_append_f64(out, d);
        return 0;
    }
    case CV_F16: dt_col_append_f64(out, half_to_double((uint16_t)(p[0] | p[1] << 8))); return 0;
    case CV_DEC_BYTES:
        if (be_to_i64(p, n, &v, why) != 0)
            return -1;
        dt_col_append_i64(out, v);
        return 0;
    case CV_DEC_TEXT:
        if (decimal_text(&c->text, p, n, out->field.scale, why) != 0)
            return -1;
        dt_col_append_bytes(out, c->text.data, c->text.len);
        return 0;
    case CV_UUID:
        uuid_text(&c->text, p);
        dt_col_append_bytes(out, c->text.data, c->text.len);
        return 0;
    case CV_STRING:
    case CV_BINARY: dt_col_append_bytes(out, p, n); return 0;
    }
    return fail(why, "internal: unknown conversion");
}

static int decode_levels(dt_pq_col *c, size_t k, size_t *present, const char **why)
{
    if (!c->has_levels) {
        *present = k;
        return 0;
    }
    if (dt_pq_rle_get(&c->def, c->levels, k, why) != 0)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (c->levels[i] > (uint32_t)c->max_def)
            return fail(why, "definition level above the column's maximum");
        m += c->levels[i] == (uint32_t)c->max_def;
    }
    *present = m;
    return 0;
}

int dt_pq_col_read(dt_pq_col *c, dt_column *out, size_t n, const char **why)
{
    bool bytes = c->ptype == PQ_BYTE_ARRAY;
    size_t w = value_width(c->ptype, c->width);
    while (n > 0) {
        if (c->page_left == 0 && next_page(c, why) != 0)
            return -1;
        size_t k = (size_t)DT_MIN((int64_t)DT_MIN(n, (size_t)DT_PQ_CHUNK), c->page_left), m;
        if (decode_levels(c, k, &m, why) != 0 ||
            dt_pq_vdec_get(c->vdec, m, c->fixed, c->slices, why) != 0)
            return -1;
        for (size_t i = 0, j = 0; i < k; i++) {
            if (c->has_levels && c->levels[i] != (uint32_t)c->max_def) {
                dt_col_append_null(out);
                continue;
            }
            int rc = bytes ? convert(c, out, c->slices[j].p, c->slices[j].len, why)
                           : convert(c, out, c->fixed + j * w, w, why);
            if (rc != 0)
                return -1;
            j++;
        }
        c->page_left -= (int64_t)k;
        n -= k;
    }
    return 0;
}
