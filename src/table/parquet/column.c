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

/* Bytes asked for at first for a page header; a header that does not fit is
 * read again in a window 16 times wider, up to DT_PQ_MAX_HEADER (statistics
 * can make headers long). */
#define DT_PQ_HEADER_READ ((size_t)64 << 10)
#define DT_PQ_MAX_HEADER ((size_t)16 << 20)

static int fail(const char **why, const char *what)
{
    *why = what;
    return -1;
}

/* A valid value that has no column value (an INT96 timestamp beyond the
 * nanosecond range, a decimal over 64 bytes): DATOM_EUNSUPPORTED, not
 * corrupt. */
static int unrepresentable(dt_pq_col *c, const char **why, const char *what)
{
    c->unsupported = true;
    return fail(why, what);
}

void dt_pq_col_init(dt_pq_col *c, int ptype, int width, int max_def, dt_pq_conv conv, int scale)
{
    memset(c, 0, sizeof *c);
    c->ahead = DT_PQ_HEADER_READ;
    c->scale = scale;
    c->ptype = ptype;
    c->width = width;
    c->max_def = max_def;
    c->conv = conv;
    c->vdec = dt_calloc(1, sizeof *c->vdec);
    /* conversions that keep a value's bytes, to a kind of the same width:
     * values are decoded straight into the column */
    c->copy = conv == CV_BOOL || conv == CV_I32 || conv == CV_I64 || conv == CV_F64 ||
              conv == CV_INTERVAL;
    /* wide FIXED_LEN_BYTE_ARRAY values are decoded fewer at a time: scratch stays small */
    size_t w = dt_pq_value_width(ptype, width) + 1;
    c->chunk = DT_MAX((size_t)1, DT_MIN((size_t)DT_PQ_CHUNK, ((size_t)4 << 20) / w));
    c->fixed = dt_malloc(c->chunk * w);
    c->slices = dt_malloc(DT_PQ_CHUNK * sizeof *c->slices);
    c->present = dt_malloc(DT_PQ_CHUNK);
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
    dt_pq_rbuf_free(&c->raw);
    if (c->vdec)
        dt_pq_vdec_free(c->vdec);
    free(c->vdec);
    free(c->fixed);
    free(c->slices);
    free(c->present);
    dt_buf_free(&c->text);
}

void dt_pq_col_start(dt_pq_col *c, const dt_pq_src *src, int codec, uint64_t start, uint64_t end)
{
    chunk_reset(c);
    c->unsupported = false;
    c->read_err = 0;
    c->src = src;
    c->codec = codec;
    c->pos = start;
    c->end = end;
    c->raw_len = 0;
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
    if (dt_pq_decompress(c->codec, src, src_len, len, buf, cap, why) != 0)
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
    size_t cap = 0, len = (size_t)h->uncompressed_size;
    if (page_bytes(c, body, (size_t)h->compressed_size, len, &c->dict_buf, &cap, &p, why) != 0)
        return -1;
    if (p != c->dict_buf) { /* uncompressed, in the read buffer: the next page reuses it */
        c->dict_buf = dt_malloc(len + 1);
        memcpy(c->dict_buf, p, len);
        p = c->dict_buf;
    }
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
    if (!h->has_data || h->num_values < 0)
        return fail(why, "data page without its header, or with a negative value count");
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
    if (!h->has_v2 || h->num_values < 0)
        return fail(why, "data page v2 without its header, or with a negative value count");
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

/* Bytes [off, off + n) of the chunk: from c->raw when an earlier read brought
 * them, else read now, with what follows up to c->ahead. Pointers from
 * an earlier call are then gone: this is only called for a new page. */
static int read_at(dt_pq_col *c, uint64_t off, size_t n, const uint8_t **out, const char **why)
{
    if (c->src->fd >= 0 && off >= c->raw_at && n <= c->raw_len &&
        off - c->raw_at <= c->raw_len - n) {
        *out = c->raw.data + (off - c->raw_at);
        return 0;
    }
    uint64_t ahead = DT_MIN(c->end - off, (uint64_t)c->ahead);
    size_t want = c->src->fd < 0 ? n : (size_t)DT_MAX((uint64_t)n, ahead);
    c->read_err = dt_pq_src_read(c->src, off, want, &c->raw, out);
    c->raw_at = off;
    c->raw_len = c->read_err ? 0 : want;
    return c->read_err ? fail(why, "read failed") : 0;
}

/* The next page's header and body, read into c->raw (in place from memory).
 * A header's length is only known once decoded: a window of the chunk is
 * read, widened while the header does not fit it. */
static int read_page(dt_pq_col *c, dt_pq_page_header *h, const uint8_t **body, const char **why)
{
    uint64_t left = c->end - c->pos;
    size_t win = c->src->fd < 0 ? (size_t)left : (size_t)DT_MIN(left, (uint64_t)DT_PQ_HEADER_READ);
    const uint8_t *p;
    size_t used;
    for (;;) {
        if (read_at(c, c->pos, win, &p, why) != 0)
            return -1;
        if (dt_pq_page_header_decode(p, win, h, &used, why) == 0)
            break;
        if (win == left || win >= DT_PQ_MAX_HEADER)
            return -1;
        win = (size_t)DT_MIN(left, (uint64_t)DT_MIN(win * 16, DT_PQ_MAX_HEADER));
    }
    c->pos += used;
    if ((uint64_t)h->compressed_size > c->end - c->pos)
        return fail(why, "page runs past the end of its column chunk");
    size_t n = (size_t)h->compressed_size;
    if (read_at(c, c->pos, n, body, why) != 0)
        return -1;
    c->pos += n;
    return 0;
}

static int next_page(dt_pq_col *c, const char **why)
{
    for (;;) {
        if (c->pos >= c->end)
            return fail(why, "column chunk ends before its row group's last row");
        dt_pq_page_header h;
        const uint8_t *body;
        if (read_page(c, &h, &body, why) != 0)
            return -1;
        int rc = 0;
        switch (h.type) {
        case PQ_PAGE_DICTIONARY: rc = load_dict(c, &h, body, why); break;
        case PQ_PAGE_DATA: rc = load_v1(c, &h, body, why); break;
        case PQ_PAGE_DATA_V2: rc = load_v2(c, &h, body, why); break;
        default: continue; /* index pages and future page types carry no values */
        }
        if (rc != 0)
            return -1;
        if (h.type != PQ_PAGE_DICTIONARY && h.num_values > 0)
            return 0;
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

/* INT96: nanoseconds of the day (8 bytes) then the Julian day (4 bytes). */
static int int96_ts(dt_pq_col *c, int64_t *out, const uint8_t *p, const char **why)
{
    int64_t nanos = ld64(p), day = ld32(p + 8) - INT64_C(2440588);
    if (__builtin_mul_overflow(day, INT64_C(86400000000000), out) ||
        __builtin_add_overflow(*out, nanos, out))
        return unrepresentable(c, why, "INT96 timestamp beyond the nanosecond range (years 1677 to 2262)");
    return 0;
}

static double half_to_double(uint16_t h)
{
    int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, e - 25);
    return h & 0x8000 ? -v : v;
}

/* A big-endian two's complement integer of 1..W bytes (more if the extra
 * bytes only extend the sign), as W bytes little-endian. */
static int be_to_le(const uint8_t *p, size_t n, uint8_t *out, size_t w, const char **why)
{
    uint8_t ext = n && (p[0] & 0x80) ? 0xff : 0;
    for (; n > w; p++, n--)
        if (p[0] != ext || ((p[1] ^ ext) & 0x80))
            return fail(why, w == 8 ? "decimal value does not fit 18 digits"
                                    : "decimal value does not fit 38 digits");
    for (size_t i = 0; i < w; i++)
        out[i] = i < n ? p[n - 1 - i] : ext;
    return 0;
}

static int be_to_i64(const uint8_t *p, size_t n, int64_t *out, const char **why)
{
    uint8_t le[8];
    if (be_to_le(p, n, le, 8, why) != 0)
        return -1;
    *out = ld64(le);
    return 0;
}

/* A decimal of any width spelt out, e.g. "-1234.50" for scale 2. */
static int decimal_text(dt_pq_col *c, const uint8_t *p, size_t n, int scale, const char **why)
{
    uint8_t mag[64];
    dt_buf *b = &c->text;
    if (n > sizeof mag)
        return unrepresentable(c, why, "decimal wider than 64 bytes");
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

/* The definition levels of the next k rows as c->present (1: a value), and
 * in *present how many have one. A flat column's levels are one bit wide. */
static int decode_levels(dt_pq_col *c, size_t k, size_t *present, const char **why)
{
    if (!c->has_levels) {
        *present = k;
        return 0;
    }
    return dt_pq_rle_get_flags(&c->def, c->present, k, present, why);
}

/* Spreads the m values of T packed at the front of d over k rows, zero where
 * present[i] is 0; from the back, so each value moves before it is covered.
 * Without branches (missing rows are unpredictable): a missing row reads the
 * slot the next value would come from, which lies inside the k rows, and
 * masks it to zero. */
#define SPREAD(T)                                                                                  \
    do {                                                                                           \
        for (size_t i = k, j = m; i-- > 0;) {                                                      \
            T v, p = present[i];                                                                   \
            j -= p;                                                                                \
            memcpy(&v, d + j * sizeof(T), sizeof(T));                                             \
            v &= (T)0 - p;                                                                         \
            memcpy(d + i * sizeof(T), &v, sizeof(T));                                              \
        }                                                                                          \
    } while (0)

static void spread_values(uint8_t *d, size_t w, const uint8_t *present, size_t k, size_t m)
{
    switch (w) {
    case 1: SPREAD(uint8_t); break;
    case 4: SPREAD(uint32_t); break;
    case 8: SPREAD(uint64_t); break;
    default: /* wide values (intervals) */
        for (size_t i = k, j = m; i-- > 0;) {
            if (present[i])
                memmove(d + i * w, d + --j * w, w);
            else
                memset(d + i * w, 0, w);
        }
        break;
    }
}

/* Fills d[0..k) (type T) from the physical values at src (w bytes apart),
 * zero where a row is missing. EXPR reads `p`, the value's bytes. */
#define EACH(T, EXPR)                                                                              \
    do {                                                                                           \
        T *d = (T *)dst;                                                                           \
        for (size_t i = 0, j = 0; i < k; i++) {                                                    \
            if (present && !present[i]) {                                                          \
                d[i] = 0;                                                                          \
                continue;                                                                          \
            }                                                                                      \
            const uint8_t *p = src + j++ * w;                                                      \
            d[i] = (EXPR);                                                                         \
        }                                                                                          \
    } while (0)

static float ldf(const uint8_t *p)
{
    float f;
    memcpy(&f, p, 4);
    return f;
}

/* A chunk of k rows of a fixed-width kind, converted in one pass into dst
 * (conversions that keep the bytes, c->copy, are not made here). */
static int convert_fixed(dt_pq_col *c, size_t k, const uint8_t *present, void *dst, const char **why)
{
    const uint8_t *src = c->fixed;
    size_t w = dt_pq_value_width(c->ptype, c->width);
    switch (c->conv) {
    case CV_WIDEN32: EACH(int64_t, ld32(p)); break;
    case CV_U32: EACH(uint64_t, (uint32_t)ld32(p)); break;
    case CV_F32: EACH(double, ldf(p)); break;
    case CV_F16: EACH(double, half_to_double((uint16_t)(p[0] | p[1] << 8))); break;
    case CV_DEC128: /* big-endian, of the file's width, to 16 bytes little-endian */
        for (size_t i = 0, j = 0; i < k; i++) {
            uint8_t *d = (uint8_t *)dst + 16 * i;
            if (present && !present[i])
                memset(d, 0, 16);
            else if (be_to_le(src + j++ * w, w, d, 16, why) != 0)
                return -1;
        }
        break;
    default: /* conversions that can fail value by value */
        for (size_t i = 0, j = 0; i < k; i++) {
            int64_t v = 0;
            if (!present || present[i]) {
                const uint8_t *p = src + j++ * w;
                int rc = c->conv == CV_INT96 ? int96_ts(c, &v, p, why) : be_to_i64(p, w, &v, why);
                if (rc != 0)
                    return -1;
            }
            ((int64_t *)dst)[i] = v;
        }
        break;
    }
    return 0;
}

/* A chunk of k rows of strings or binaries, value by value. */
static int convert_bytes(dt_pq_col *c, dt_column *out, size_t k, const uint8_t *present,
                         const char **why)
{
    bool bytes = c->ptype == PQ_BYTE_ARRAY;
    size_t w = dt_pq_value_width(c->ptype, c->width);
    for (size_t i = 0, j = 0; i < k; i++) {
        if (present && !present[i]) {
            dt_col_append_null(out);
            continue;
        }
        const uint8_t *p = bytes ? c->slices[j].p : c->fixed + j * w;
        size_t n = bytes ? c->slices[j].len : w;
        j++;
        switch (c->conv) {
        case CV_DEC_TEXT:
            if (decimal_text(c, p, n, c->scale, why) != 0)
                return -1;
            dt_col_append_bytes(out, c->text.data, c->text.len);
            break;
        case CV_UUID:
            uuid_text(&c->text, p);
            dt_col_append_bytes(out, c->text.data, c->text.len);
            break;
        case CV_DEC_BYTES: { /* BYTE_ARRAY-backed decimals come as slices */
            int64_t v;
            if (be_to_i64(p, n, &v, why) != 0)
                return -1;
            dt_col_append_i64(out, v);
            break;
        }
        case CV_DEC128: {
            uint8_t v[16];
            if (be_to_le(p, n, v, 16, why) != 0)
                return -1;
            dt_col_append_fixed(out, v, NULL, 1);
            break;
        }
        default: dt_col_append_bytes(out, p, n); break;
        }
    }
    return 0;
}

/* A chunk of k rows of strings or binaries, m of them present, from
 * c->slices: offsets and bytes written straight into the column. Values of up
 * to 16 bytes move as 16 (the column keeps DT_COL_SLACK spare bytes) when
 * their source buffer has that many left. */
static void append_strings(dt_pq_col *c, dt_column *out, size_t k, size_t m, const uint8_t *present)
{
    const dt_pq_slice *s = c->slices;
    const uint8_t *src_end = c->vdec->slices_end;
    size_t total = 0;
    for (size_t j = 0; j < m; j++)
        total += s[j].len;
    dt_col_reserve_data(out, total);
    char *data = out->data;
    size_t pos = out->data_len;
    int64_t *off = out->offsets + out->len + 1;
    for (size_t i = 0, j = 0; i < k; i++) {
        if (!present || present[i]) {
            const uint8_t *p = s[j].p;
            size_t n = s[j++].len;
            if (n <= 16 && src_end && (size_t)(src_end - p) >= 16)
                memcpy(data + pos, p, 16);
            else if (n)
                memcpy(data + pos, p, n);
            pos += n;
        }
        off[i] = (int64_t)pos;
    }
    out->data_len = pos;
}

/* The next k rows (m of them present) into out. */
static int read_chunk(dt_pq_col *c, dt_column *out, size_t k, size_t m, const uint8_t *present,
                      const char **why)
{
    size_t w = dt_kind_width(out->field.kind);
    if (w == 0 || c->ptype == PQ_BYTE_ARRAY) {
        if (dt_pq_vdec_get(c->vdec, m, c->fixed, c->slices, why) != 0)
            return -1;
        if (c->ptype != PQ_BYTE_ARRAY || (c->conv != CV_STRING && c->conv != CV_BINARY))
            return convert_bytes(c, out, k, present, why); /* value by value, appended */
        append_strings(c, out, k, m, present);
    } else {
        uint8_t *dst = (uint8_t *)out->vals + out->len * w;
        if (c->copy) {
            if (dt_pq_vdec_get(c->vdec, m, dst, NULL, why) != 0)
                return -1;
            if (present)
                spread_values(dst, w, present, k, m);
        } else if (dt_pq_vdec_get(c->vdec, m, c->fixed, c->slices, why) != 0 ||
                   convert_fixed(c, k, present, dst, why) != 0) {
            return -1;
        }
    }
    dt_col_mark_present(out, present, k);
    return 0;
}

int dt_pq_col_read(dt_pq_col *c, dt_column *out, size_t n, const char **why)
{
    dt_col_reserve(out, out->len + n);
    while (n > 0) {
        if (c->page_left == 0 && next_page(c, why) != 0)
            return -1;
        size_t k = (size_t)DT_MIN((int64_t)DT_MIN(n, c->chunk), c->page_left), m;
        if (decode_levels(c, k, &m, why) != 0 ||
            read_chunk(c, out, k, m, m < k ? c->present : NULL, why) != 0)
            return -1;
        c->page_left -= (int64_t)k;
        n -= k;
    }
    return 0;
}
