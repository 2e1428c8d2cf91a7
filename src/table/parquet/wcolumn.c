/*
 * wcolumn.c: one column chunk of the Parquet writer (see writer.h). Rows come
 * in as slices of batch columns; they become v1 data pages (definition levels
 * in the RLE/bit-packed hybrid, then PLAIN values or RLE_DICTIONARY indices),
 * compressed and buffered until the row group is flushed, when the dictionary
 * page (written first, as Parquet requires) and the data pages go to the sink.
 *
 * Strings and binaries are dictionary-encoded until the dictionary would pass
 * dict_max_bytes; then the page being filled is ended and the rest of the
 * chunk is PLAIN. Everything depends on the rows alone, not on batch borders.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "table/parquet/thrift_write.h"
#include "table/parquet/writer.h"

/* A dictionary's first hash table; it and the entry arrays double as they
 * fill, so a wide, short file costs little per column. */
#define DICT_SLOTS_MIN 32

static int physical_type(const dt_field *f)
{
    switch (f->kind) {
    case DT_BOOL: return PQ_BOOLEAN;
    case DT_INT32:
    case DT_DATE: return PQ_INT32;
    case DT_TIME: return f->unit == DT_UNIT_MS ? PQ_INT32 : PQ_INT64; /* as LogicalTypes.md asks */
    case DT_DOUBLE: return PQ_DOUBLE;
    case DT_STRING:
    case DT_BINARY: return PQ_BYTE_ARRAY;
    case DT_DECIMAL128:
    case DT_INTERVAL: return PQ_FIXED;
    default: return PQ_INT64;
    }
}

/* Dictionaries hold strings, binaries and values of up to 8 bytes kept as
 * they are (their entries are keyed by those bytes); not booleans. */
static bool dict_wanted(const pqw_col *c)
{
    return c->ptype != PQ_BOOLEAN && (!c->width || (c->width <= 8 && c->xform == PQW_AS_IS));
}

static void stats_reset(pqw_col *c)
{
    c->has_mm = false;
    c->imin = c->imax = 0;
    c->dmin = c->dmax = 0;
    dt_buf_clear(&c->smin);
    dt_buf_clear(&c->smax);
}

void pqw_col_init(pqw_col *c, const dt_field *f)
{
    memset(c, 0, sizeof *c);
    c->field = f;
    c->ptype = physical_type(f);
    c->width = dt_kind_width(f->kind);
    c->xform = f->kind == DT_DECIMAL128 ? PQW_BE16 : c->ptype == PQ_INT32 && c->width == 8 ? PQW_NARROW32 : PQW_AS_IS;
    c->pwidth = c->xform == PQW_NARROW32 ? 4 : c->width;
    c->order = f->kind == DT_UINT64 ? PQW_UNSIGNED : f->kind == DT_DECIMAL128 ? PQW_BE_SIGNED
             : f->kind == DT_INTERVAL ? PQW_NONE : PQW_SIGNED;
    c->page_row_cap = c->width ? DT_MIN(PQW_PAGE_ROWS, PQW_PAGE_BYTES / c->width) : PQW_PAGE_ROWS;
    c->dict_on = dict_wanted(c);
}

void pqw_col_free(pqw_col *c)
{
    free(c->levels);
    free(c->idx);
    free(c->dict_pos);
    free(c->dict_hash);
    free(c->slots);
    dt_buf_free(&c->vals);
    dt_buf_free(&c->dict);
    dt_buf_free(&c->chunk);
    dt_buf_free(&c->smin);
    dt_buf_free(&c->smax);
}

size_t pqw_col_buffered(const pqw_col *c)
{
    return c->chunk.len + c->vals.len + c->dict.len + c->nidx * sizeof *c->idx;
}

/* ---- appending raw bytes without dt_buf's per-call overhead ---- */

static inline uint8_t *buf_grow(dt_buf *b, size_t n)
{
    if (b->len + n + 1 > b->cap)
        dt_buf_reserve(b, n);
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

static inline void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- statistics ---- */

/* NAME(c, v, n): the least and greatest of n values of T merged into
 * imin/imax, which hold them as int64 (an unsigned T as its bits, so they
 * are compared as T: uint64 in unsigned order). */
#define DEFINE_STATS(NAME, T)                                                                       \
    static void NAME(pqw_col *c, const T *v, size_t n)                                              \
    {                                                                                               \
        if (!n)                                                                                     \
            return;                                                                                 \
        T lo = v[0], hi = v[0];                                                                     \
        for (size_t i = 1; i < n; i++) {                                                            \
            lo = v[i] < lo ? v[i] : lo;                                                             \
            hi = v[i] > hi ? v[i] : hi;                                                             \
        }                                                                                           \
        if (!c->has_mm || lo < (T)c->imin)                                                          \
            c->imin = (int64_t)lo;                                                                  \
        if (!c->has_mm || hi > (T)c->imax)                                                          \
            c->imax = (int64_t)hi;                                                                  \
        c->has_mm = true;                                                                           \
    }

DEFINE_STATS(stats_ints32, int32_t)
DEFINE_STATS(stats_ints64, int64_t)
DEFINE_STATS(stats_u64, uint64_t)

static void stats_int64_col(pqw_col *c, const void *v, size_t n)
{
    if (c->order == PQW_UNSIGNED)
        stats_u64(c, v, n);
    else
        stats_ints64(c, v, n);
}

static void stats_bools(pqw_col *c, const uint8_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t b = v[i] != 0;
        if (!c->has_mm || b < c->imin)
            c->imin = b;
        if (!c->has_mm || b > c->imax)
            c->imax = b;
        c->has_mm = true;
    }
}

/* NaN is counted, not ordered (TypeDefinedOrder rules for floating point).
 * Dictionary entries are distinct values, so their NaNs are counted as rows come. */
static void stats_doubles(pqw_col *c, const double *v, size_t n, bool count_nans)
{
    for (size_t i = 0; i < n; i++) {
        double d = v[i];
        if (isnan(d)) {
            c->nans += count_nans;
            continue;
        }
        if (!c->has_mm || d < c->dmin)
            c->dmin = d;
        if (!c->has_mm || d > c->dmax)
            c->dmax = d;
        c->has_mm = true;
    }
}

static int bytes_cmp(const void *a, size_t an, const void *b, size_t bn)
{
    int r = memcmp(a, b, DT_MIN(an, bn));
    return r ? r : (an > bn) - (an < bn);
}

/* Keeps the first PQW_STAT_MAX + 1 bytes of a candidate minimum or maximum:
 * a longer one is left out of the statistics anyway, and a value that ties
 * with it on those bytes is as long, so comparisons against the prefix pick
 * the same statistics as against the whole value, without copying a huge
 * value twice. */
static void buf_set(dt_buf *b, const void *p, size_t n)
{
    dt_buf_clear(b);
    dt_buf_append(b, p, DT_MIN(n, PQW_STAT_MAX + 1));
}

static void stats_bytes(pqw_col *c, const void *p, size_t n)
{
    if (!c->has_mm) {
        buf_set(&c->smin, p, n);
        buf_set(&c->smax, p, n);
        c->has_mm = true;
        return;
    }
    if (bytes_cmp(p, n, c->smin.data, c->smin.len) < 0)
        buf_set(&c->smin, p, n);
    else if (bytes_cmp(p, n, c->smax.data, c->smax.len) > 0)
        buf_set(&c->smax, p, n);
}

/* Big-endian two's complement numbers of one width: unsigned order once the
 * sign bit is flipped. */
static int be_signed_cmp(const uint8_t *a, const uint8_t *b, size_t n)
{
    if ((a[0] ^ 0x80) != (b[0] ^ 0x80))
        return (a[0] ^ 0x80) < (b[0] ^ 0x80) ? -1 : 1;
    return memcmp(a + 1, b + 1, n - 1);
}

/* FIXED_LEN_BYTE_ARRAY values of pwidth bytes each (decimal128). */
static void stats_fixed(pqw_col *c, const uint8_t *v, size_t n)
{
    size_t w = c->pwidth;
    for (size_t i = 0; i < n; i++, v += w) {
        if (!c->has_mm) {
            buf_set(&c->smin, v, w);
            buf_set(&c->smax, v, w);
            c->has_mm = true;
        } else if (be_signed_cmp(v, c->smin.data, w) < 0) {
            buf_set(&c->smin, v, w);
        } else if (be_signed_cmp(v, c->smax.data, w) > 0) {
            buf_set(&c->smax, v, w);
        }
    }
}

/* ---- the dictionary: PLAIN entries and an open-addressing hash table ---- */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ mix64(v)) * 0xbf58476d1ce4e5b9ULL;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = 0;
        memcpy(&v, p, n);
        h = (h ^ mix64(v ^ 0x94d049bb133111ebULL)) * 0xbf58476d1ce4e5b9ULL;
    }
    return mix64(h);
}

static inline uint64_t hash_fixed(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* dict_hash holds the hash of a string entry, or the value itself of a
 * fixed-width entry (compared directly, hashed again on rehash). */
static inline uint64_t entry_hash(const pqw_col *c, size_t e)
{
    return c->width ? hash_fixed(c->dict_hash[e]) : c->dict_hash[e];
}

static void dict_rehash(pqw_col *c, size_t nslots)
{
    free(c->slots);
    c->slots = dt_calloc(nslots, sizeof *c->slots);
    c->nslots = nslots;
    size_t mask = nslots - 1;
    for (size_t e = 0; e < c->ndict; e++) {
        size_t s = (size_t)entry_hash(c, e) & mask;
        while (c->slots[s])
            s = (s + 1) & mask;
        c->slots[s] = (uint32_t)e + 1;
    }
}

static void dict_reset(pqw_col *c)
{
    c->ndict = 0;
    dt_buf_clear(&c->dict);
    if (c->slots)
        memset(c->slots, 0, c->nslots * sizeof *c->slots);
}

static void dict_room(pqw_col *c)
{
    if (c->ndict < c->dict_cap)
        return;
    c->dict_cap = c->dict_cap ? c->dict_cap * 2 : 16;
    c->dict_pos = dt_realloc(c->dict_pos, c->dict_cap * sizeof *c->dict_pos);
    c->dict_hash = dt_realloc(c->dict_hash, c->dict_cap * sizeof *c->dict_hash);
}

/* The entry number of fixed-width value KEY (its bytes, zero-extended), added
 * if new; -1 if adding it would pass MAX. */
static int64_t dict_find_add_fixed(pqw_col *c, uint64_t key, size_t max)
{
    if (!c->nslots)
        dict_rehash(c, DICT_SLOTS_MIN);
    size_t mask = c->nslots - 1, s = (size_t)hash_fixed(key) & mask;
    for (uint32_t e; (e = c->slots[s]) != 0; s = (s + 1) & mask)
        if (c->dict_hash[e - 1] == key)
            return e - 1;
    if (c->dict.len + c->width > max)
        return -1;
    dict_room(c);
    size_t e = c->ndict++;
    c->dict_hash[e] = key;
    memcpy(buf_grow(&c->dict, c->width), &key, c->width); /* little-endian: the low bytes */
    c->slots[s] = (uint32_t)e + 1;
    if (c->ndict * 2 > c->nslots)
        dict_rehash(c, c->nslots * 2);
    return (int64_t)e;
}

/* The entry number of P[0..N), added if new; -1 if adding it would pass MAX. */
static int64_t dict_find_add(pqw_col *c, const uint8_t *p, size_t n, size_t max)
{
    if (!c->nslots)
        dict_rehash(c, DICT_SLOTS_MIN);
    uint64_t h = hash_bytes(p, n);
    size_t mask = c->nslots - 1, s = (size_t)h & mask;
    for (uint32_t e; (e = c->slots[s]) != 0; s = (s + 1) & mask) {
        e--;
        if (c->dict_hash[e] != h)
            continue;
        const uint8_t *q = c->dict.data + c->dict_pos[e];
        uint32_t len = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
        if (len == n && !memcmp(q + 4, p, n))
            return e;
    }
    if (c->dict.len + 4 + n > max)
        return -1;
    dict_room(c);
    size_t e = c->ndict++;
    c->dict_pos[e] = (uint32_t)c->dict.len;
    c->dict_hash[e] = h;
    uint8_t *d = buf_grow(&c->dict, 4 + n);
    put_u32le(d, (uint32_t)n);
    memcpy(d + 4, p, n);
    c->slots[s] = (uint32_t)e + 1;
    if (c->ndict * 2 > c->nslots)
        dict_rehash(c, c->nslots * 2);
    return (int64_t)e;
}

/* ---- the RLE / bit-packed hybrid ---- */

static void bitpack(dt_buf *out, const uint32_t *v, size_t n, size_t total, int bw)
{
    size_t nbytes = total * (size_t)bw / 8;
    uint8_t *p = buf_grow(out, nbytes);
    uint64_t acc = 0;
    int bits = 0;
    for (size_t k = 0; k < total; k++) {
        acc |= (uint64_t)(k < n ? v[k] : 0) << bits;
        bits += bw;
        while (bits >= 8) {
            *p++ = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    out->data[out->len] = 0;
}

static size_t run_length(const uint32_t *v, size_t i, size_t n, size_t cap)
{
    size_t j = i + 1;
    while (j < n && j - i < cap && v[j] == v[i])
        j++;
    return j - i;
}

/* Runs of 8 or more equal values are RLE runs; the rest is bit-packed in
 * groups of 8 (the last group padded with zeros). */
static void rle_hybrid(dt_buf *out, const uint32_t *v, size_t n, int bw)
{
    size_t vbytes = ((size_t)bw + 7) / 8;
    size_t i = 0;
    while (i < n) {
        size_t r = run_length(v, i, n, SIZE_MAX);
        if (r >= 8) {
            dt_tw_varint(out, (uint64_t)r << 1);
            uint8_t *p = buf_grow(out, vbytes);
            for (size_t k = 0; k < vbytes; k++)
                p[k] = (uint8_t)(v[i] >> (8 * k));
            out->data[out->len] = 0;
            i += r;
            continue;
        }
        size_t j = i + 8;
        while (j < n && run_length(v, j, n, 8) < 8)
            j += 8;
        size_t end = DT_MIN(j, n), groups = (end - i + 7) / 8;
        dt_tw_varint(out, (uint64_t)groups << 1 | 1);
        bitpack(out, v + i, end - i, groups * 8, bw);
        i = end;
    }
}

static int bit_width(size_t max_value)
{
    int w = 0;
    while (max_value >> w)
        w++;
    return w ? w : 1;
}

/* ---- pages ---- */

static void encode_levels(pqw_col *c, pqw_scratch *s, dt_buf *b)
{
    size_t at = b->len;
    buf_grow(b, 4);
    if (c->page_nulls == 0 || c->page_nulls == c->page_rows) {
        dt_tw_varint(b, (uint64_t)c->page_rows << 1);
        uint8_t v = c->page_nulls == 0;
        dt_buf_append(b, &v, 1);
    } else {
        if (!s->levels32)
            s->levels32 = dt_malloc(PQW_PAGE_ROWS * sizeof *s->levels32);
        for (size_t i = 0; i < c->page_rows; i++)
            s->levels32[i] = c->levels[i];
        rle_hybrid(b, s->levels32, c->page_rows, 1);
    }
    put_u32le(b->data + at, (uint32_t)(b->len - at - 4));
}

static void pack_bools(dt_buf *b, const uint8_t *v, size_t n)
{
    uint8_t *p = buf_grow(b, (n + 7) / 8);
    memset(p, 0, (n + 7) / 8);
    for (size_t i = 0; i < n; i++)
        p[i >> 3] |= (uint8_t)((v[i] & 1) << (i & 7));
    b->data[b->len] = 0;
}

static void page_header(dt_buf *h, int type, size_t raw, size_t comp, size_t nvals, int enc)
{
    dt_tw tw;
    h->len = 0;
    dt_tw_init(&tw, h);
    dt_tw_i32(&tw, 1, type);
    dt_tw_i32(&tw, 2, (int32_t)raw);
    dt_tw_i32(&tw, 3, (int32_t)comp);
    if (type == PQ_DATA_PAGE) {
        dt_tw_struct(&tw, 5);
        dt_tw_i32(&tw, 1, (int32_t)nvals);
        dt_tw_i32(&tw, 2, enc);
        dt_tw_i32(&tw, 3, PQ_RLE);
        dt_tw_i32(&tw, 4, PQ_RLE);
    } else {
        dt_tw_struct(&tw, 7);
        dt_tw_i32(&tw, 1, (int32_t)nvals);
        dt_tw_i32(&tw, 2, enc);
    }
    dt_tw_end_struct(&tw);
    dt_tw_end_struct(&tw);
}

/* Compresses BODY and appends header + page to OUT; *RAW gets the uncompressed size with header. */
static int emit_page(pqw_scratch *s, dt_buf *out, int type, size_t nvals, int enc, uint64_t *raw)
{
    if (s->body.len > INT32_MAX)
        return dt_error(DATOM_EINVAL, "parquet: a page of %zu bytes is too large (a single value over 2 GiB?)",
                        s->body.len);
    const uint8_t *z;
    size_t zlen;
    int rc = dt_pq_compress(&s->comp, s->body.data, s->body.len, &z, &zlen);
    if (rc)
        return rc;
    if (zlen > INT32_MAX)
        return dt_error(DATOM_EINVAL, "parquet: a compressed page of %zu bytes is too large", zlen);
    page_header(&s->header, type, s->body.len, zlen, nvals, enc);
    dt_buf_append(out, s->header.data, s->header.len);
    dt_buf_append(out, z, zlen);
    *raw += s->header.len + s->body.len;
    return 0;
}

int pqw_col_cut_page(pqw_col *c, pqw_scratch *s)
{
    if (!c->page_rows)
        return 0;
    dt_buf *b = &s->body;
    dt_buf_clear(b);
    encode_levels(c, s, b);
    int enc = PQ_PLAIN;
    if (c->dict_on && c->ndict) {
        enc = PQ_RLE_DICTIONARY;
        uint8_t bw = (uint8_t)bit_width(c->ndict - 1);
        dt_buf_append(b, &bw, 1);
        rle_hybrid(b, c->idx, c->nidx, bw);
    } else if (c->ptype == PQ_BOOLEAN) {
        pack_bools(b, c->vals.data, c->vals.len);
    } else {
        dt_buf_append(b, c->vals.data, c->vals.len);
    }
    int rc = emit_page(s, &c->chunk, PQ_DATA_PAGE, c->page_rows, enc, &c->chunk_raw);
    if (rc)
        return rc;
    if (enc == PQ_PLAIN)
        c->plain_pages++;
    else
        c->dict_pages++;
    c->rows += c->page_rows;
    c->nulls += c->page_nulls;
    c->page_rows = c->page_nulls = c->nidx = 0;
    dt_buf_clear(&c->vals);
    return 0;
}

/* ---- appending rows ---- */

static void put_levels(pqw_col *c, const dt_column *src, size_t a, size_t n)
{
    uint8_t *lv = c->levels + c->page_rows;
    if (!src->valid) {
        memset(lv, 1, n);
        return;
    }
    size_t nulls = 0;
    for (size_t i = 0; i < n; i++) {
        size_t r = a + i;
        lv[i] = (src->valid[r >> 3] >> (r & 7)) & 1;
        nulls += !lv[i];
    }
    c->page_nulls += nulls;
}

/* The NV values appended at V (batch form) turned into their physical form
 * in place; returns how many bytes they take now. */
static int to_physical(pqw_col *c, uint8_t *v, size_t nv, size_t *bytes)
{
    switch (c->xform) {
    case PQW_NARROW32:
        for (size_t i = 0; i < nv; i++) {
            int64_t x;
            memcpy(&x, v + 8 * i, 8);
            if (x < INT32_MIN || x > INT32_MAX)
                return dt_error(DATOM_EINVAL, "parquet: column '%s': a time of %" PRId64
                                " ms does not fit Parquet's TIME(MILLIS)", c->field->name, x);
            int32_t y = (int32_t)x;
            memcpy(v + 4 * i, &y, 4);
        }
        *bytes = 4 * nv;
        return 0;
    case PQW_BE16:
        for (size_t i = 0; i < nv; i++)
            for (size_t k = 0; k < 8; k++) {
                uint8_t t = v[16 * i + k];
                v[16 * i + k] = v[16 * i + 15 - k];
                v[16 * i + 15 - k] = t;
            }
        break;
    default: break;
    }
    *bytes = c->width * nv;
    return 0;
}

static int put_fixed(pqw_col *c, const dt_column *src, size_t a, size_t n)
{
    put_levels(c, src, a, n);
    size_t w = c->width, start = c->vals.len;
    const uint8_t *from = (const uint8_t *)src->vals + a * w;
    if (!src->valid) {
        memcpy(buf_grow(&c->vals, n * w), from, n * w);
    } else {
        const uint8_t *lv = c->levels + c->page_rows;
        uint8_t *p = buf_grow(&c->vals, n * w), *q = p;
        for (size_t i = 0; i < n; i++, from += w) {
            if (lv[i]) {
                memcpy(q, from, w);
                q += w;
            }
        }
        c->vals.len -= n * w - (size_t)(q - p);
    }
    uint8_t *v = c->vals.data + start;
    size_t nv = (c->vals.len - start) / w;
    if (c->xform != PQW_AS_IS) {
        size_t bytes = 0;
        int rc = to_physical(c, v, nv, &bytes);
        if (rc)
            return rc;
        c->vals.len = start + bytes;
    }
    c->vals.data[c->vals.len] = 0;
    c->page_rows += n;
    switch (c->ptype) {
    case PQ_BOOLEAN: stats_bools(c, v, nv); break;
    case PQ_INT32: stats_ints32(c, (const int32_t *)(const void *)v, nv); break;
    case PQ_DOUBLE: stats_doubles(c, (const double *)(const void *)v, nv, true); break;
    case PQ_FIXED:
        if (c->order == PQW_BE_SIGNED)
            stats_fixed(c, v, nv);
        break;
    default: stats_int64_col(c, v, nv); break;
    }
    return 0;
}

static void put_plain_bytes(pqw_col *c, const uint8_t *p, size_t len)
{
    uint8_t *d = buf_grow(&c->vals, 4 + len);
    put_u32le(d, (uint32_t)len);
    memcpy(d + 4, p, len);
    stats_bytes(c, p, len);
}

static void put_index(pqw_col *c, uint32_t e)
{
    if (c->nidx == c->idx_cap) {
        c->idx_cap = c->idx_cap ? c->idx_cap * 2 : 64;
        c->idx = dt_realloc(c->idx, c->idx_cap * sizeof *c->idx);
    }
    c->idx[c->nidx++] = e;
    c->dict_seen++;
}

/* A chunk whose first PQW_DICT_PROBE values are mostly distinct will not gain
 * from a dictionary: stop building one (and hashing every value) early. */
static inline bool dict_hopeless(const pqw_col *c)
{
    return c->dict_seen == PQW_DICT_PROBE && c->ndict > PQW_DICT_PROBE / 2;
}

/* Ends the page being filled (its values are dictionary indices) and makes
 * the rest of the chunk PLAIN. */
static int dict_stop(pqw_col *c, pqw_scratch *s)
{
    int rc = pqw_col_cut_page(c, s);
    c->dict_on = false;
    return rc;
}

/* Strings and binaries, one row at a time, since a page can end at any row
 * (its byte bound, or the dictionary falling back to PLAIN). */
static int put_var(pqw_col *c, pqw_scratch *s, const dt_column *src, size_t a, size_t n, size_t dict_max)
{
    for (size_t r = a; r < a + n; r++) {
        if (!dt_col_is_valid(src, r)) {
            c->levels[c->page_rows++] = 0;
            c->page_nulls++;
        } else {
            size_t len;
            const uint8_t *p = (const uint8_t *)dt_col_str(src, r, &len);
            if (len > UINT32_MAX)
                return dt_error(DATOM_EINVAL, "parquet: column '%s': a value of %zu bytes is too large",
                                c->field->name, len);
            int64_t e = c->dict_on ? dict_find_add(c, p, len, dict_max) : -1;
            if (e < 0 && c->dict_on) {
                int rc = dict_stop(c, s);
                if (rc)
                    return rc;
            }
            c->levels[c->page_rows++] = 1;
            if (e < 0) {
                put_plain_bytes(c, p, len);
            } else {
                put_index(c, (uint32_t)e);
                if (dict_hopeless(c)) {
                    int rc = dict_stop(c, s);
                    if (rc)
                        return rc;
                }
            }
        }
        if (c->page_rows == c->page_row_cap || c->vals.len >= PQW_PAGE_BYTES) {
            int rc = pqw_col_cut_page(c, s);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Fixed-width values while the chunk is dictionary-encoded: row by row, since
 * the dictionary can fill (or prove useless) at any row; the page then ends
 * there and the rest of the rows go PLAIN. N fits in the page. */
static int put_fixed_dict(pqw_col *c, pqw_scratch *s, const dt_column *src, size_t a, size_t n, size_t dict_max)
{
    const uint8_t *base = src->vals;
    size_t w = c->width;
    for (size_t r = a; r < a + n; r++) {
        if (!dt_col_is_valid(src, r)) {
            c->levels[c->page_rows++] = 0;
            c->page_nulls++;
            continue;
        }
        uint64_t key = 0;
        memcpy(&key, base + r * w, w);
        int64_t e = dict_find_add_fixed(c, key, dict_max);
        if (e >= 0) {
            if (c->ptype == PQ_DOUBLE) {
                double d;
                memcpy(&d, &key, 8);
                c->nans += isnan(d) != 0;
            }
            c->levels[c->page_rows++] = 1;
            put_index(c, (uint32_t)e);
            if (!dict_hopeless(c))
                continue;
            r++; /* this row is in; the rest go PLAIN */
        }
        int rc = dict_stop(c, s);
        if (rc)
            return rc;
        return r < a + n ? put_fixed(c, src, r, a + n - r) : 0;
    }
    return 0;
}

/* Room for the levels of the rows a put may add to the page (at most the
 * page's cap: a full page is cut before more rows come). Grown as rows come
 * rather than taken whole at the start, so that a wide, short file costs
 * little per column. */
static void levels_room(pqw_col *c, size_t n)
{
    size_t want = DT_MIN(c->page_row_cap, c->page_rows + n);
    if (want <= c->levels_cap)
        return;
    size_t cap = c->levels_cap ? c->levels_cap : 64;
    while (cap < want)
        cap *= 2;
    c->levels_cap = DT_MIN(cap, c->page_row_cap);
    c->levels = dt_realloc(c->levels, c->levels_cap);
}

int pqw_col_put(pqw_col *c, pqw_scratch *s, const dt_column *src, size_t a, size_t n, size_t dict_max)
{
    levels_room(c, n);
    if (!c->width)
        return put_var(c, s, src, a, n, dict_max);
    while (n) {
        size_t k = DT_MIN(n, c->page_row_cap - c->page_rows);
        int rc = c->dict_on ? put_fixed_dict(c, s, src, a, k, dict_max) : put_fixed(c, src, a, k);
        if (rc == 0 && c->page_rows == c->page_row_cap)
            rc = pqw_col_cut_page(c, s);
        if (rc)
            return rc;
        a += k;
        n -= k;
    }
    return 0;
}

/* ---- flushing the chunk and describing it ---- */

static void stat_value(const pqw_col *c, bool max, dt_buf *out)
{
    uint8_t tmp[8];
    size_t n;
    if (c->ptype == PQ_BYTE_ARRAY || c->ptype == PQ_FIXED) {
        const dt_buf *b = max ? &c->smax : &c->smin;
        dt_buf_append(out, b->data, b->len);
        return;
    }
    if (c->ptype == PQ_DOUBLE) {
        double d = max ? c->dmax : c->dmin;
        if (d == 0) /* the format's rule: min -0.0, max +0.0 */
            d = max ? 0.0 : -0.0;
        memcpy(tmp, &d, 8);
        n = 8;
    } else {
        int64_t v = max ? c->imax : c->imin;
        n = c->ptype == PQ_BOOLEAN ? 1 : c->ptype == PQ_INT32 ? 4 : 8;
        for (size_t k = 0; k < n; k++)
            tmp[k] = (uint8_t)((uint64_t)v >> (8 * k));
    }
    dt_buf_append(out, tmp, n);
}

static void write_statistics(const pqw_col *c, dt_tw *tw)
{
    dt_tw_struct(tw, 12);
    dt_tw_i64(tw, 3, (int64_t)c->nulls);
    bool mm = c->has_mm && c->smin.len <= PQW_STAT_MAX && c->smax.len <= PQW_STAT_MAX;
    if (mm) {
        dt_buf v = DT_BUF_INIT;
        stat_value(c, true, &v);
        dt_tw_binary(tw, 5, v.data, v.len);
        dt_buf_clear(&v);
        stat_value(c, false, &v);
        dt_tw_binary(tw, 6, v.data, v.len);
        dt_buf_free(&v);
        dt_tw_bool(tw, 7, true);
        dt_tw_bool(tw, 8, true);
    }
    if (c->ptype == PQ_DOUBLE)
        dt_tw_i64(tw, 9, (int64_t)c->nans);
    dt_tw_end_struct(tw);
}

static void write_encodings(const pqw_col *c, dt_tw *tw, bool dict)
{
    int32_t e[3];
    size_t n = 0;
    if (dict || c->plain_pages)
        e[n++] = PQ_PLAIN;
    e[n++] = PQ_RLE;
    if (dict)
        e[n++] = PQ_RLE_DICTIONARY;
    dt_tw_list(tw, 2, DT_TC_I32, n);
    for (size_t i = 0; i < n; i++)
        dt_tw_elem_i32(tw, e[i]);
}

static void encoding_stat(dt_tw *tw, int page_type, int enc, uint32_t count)
{
    dt_tw_begin_struct(tw);
    dt_tw_i32(tw, 1, page_type);
    dt_tw_i32(tw, 2, enc);
    dt_tw_i32(tw, 3, (int32_t)count);
    dt_tw_end_struct(tw);
}

/* PageEncodingStats: lets readers see whether every data page is dictionary-encoded. */
static void write_encoding_stats(const pqw_col *c, dt_tw *tw, bool dict)
{
    dt_tw_list(tw, 13, DT_TC_STRUCT, (size_t)dict + (c->plain_pages > 0) + (c->dict_pages > 0));
    if (dict)
        encoding_stat(tw, PQ_DICTIONARY_PAGE, PQ_PLAIN, 1);
    if (c->plain_pages)
        encoding_stat(tw, PQ_DATA_PAGE, PQ_PLAIN, c->plain_pages);
    if (c->dict_pages)
        encoding_stat(tw, PQ_DATA_PAGE, PQ_RLE_DICTIONARY, c->dict_pages);
}

static void chunk_stats_from_dict(pqw_col *c)
{
    const void *d = c->dict.data;
    switch (c->ptype) {
    case PQ_INT32: stats_ints32(c, d, c->ndict); return;
    case PQ_INT64: stats_int64_col(c, d, c->ndict); return;
    case PQ_DOUBLE: stats_doubles(c, d, c->ndict, false); return;
    default: break;
    }
    for (size_t e = 0; e < c->ndict; e++) {
        const uint8_t *q = c->dict.data + c->dict_pos[e];
        uint32_t len = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
        stats_bytes(c, q + 4, len);
    }
}

static void chunk_reset(pqw_col *c)
{
    dt_buf_clear(&c->chunk);
    c->chunk_raw = 0;
    c->rows = c->nulls = c->nans = 0;
    c->plain_pages = c->dict_pages = 0;
    c->dict_seen = 0;
    c->dict_on = dict_wanted(c);
    dict_reset(c);
    stats_reset(c);
}

int pqw_col_flush(pqw_col *c, pqw_scratch *s, dt_sink sink, uint64_t *offset, dt_pq_codec codec,
                  dt_tw *tw, uint64_t *raw, uint64_t *comp)
{
    int rc = pqw_col_cut_page(c, s);
    if (rc)
        return rc;
    uint64_t start = *offset, dict_raw = 0;
    bool dict = c->ndict > 0;
    dt_buf head = DT_BUF_INIT;
    if (dict) {
        chunk_stats_from_dict(c);
        dt_buf_clear(&s->body);
        dt_buf_append(&s->body, c->dict.data, c->dict.len);
        rc = emit_page(s, &head, PQ_DICTIONARY_PAGE, c->ndict, PQ_PLAIN, &dict_raw);
    }
    if (!rc && head.len)
        rc = dt_sink_write(sink, head.data, head.len);
    if (!rc)
        rc = dt_sink_write(sink, c->chunk.data, c->chunk.len);
    if (rc) {
        dt_buf_free(&head);
        return rc;
    }
    *offset += head.len + c->chunk.len;
    *raw = dict_raw + c->chunk_raw;
    *comp = head.len + c->chunk.len;

    dt_tw_begin_struct(tw); /* ColumnChunk */
    dt_tw_i64(tw, 2, 0);    /* file_offset: 0, as the format now asks */
    dt_tw_struct(tw, 3);    /* ColumnMetaData */
    dt_tw_i32(tw, 1, c->ptype);
    write_encodings(c, tw, dict);
    dt_tw_list(tw, 3, DT_TC_BINARY, 1);
    dt_tw_elem_binary(tw, c->field->name, strlen(c->field->name));
    dt_tw_i32(tw, 4, dt_pq_codec_thrift(codec));
    dt_tw_i64(tw, 5, (int64_t)c->rows);
    dt_tw_i64(tw, 6, (int64_t)*raw);
    dt_tw_i64(tw, 7, (int64_t)*comp);
    dt_tw_i64(tw, 9, (int64_t)(start + head.len));
    if (dict)
        dt_tw_i64(tw, 11, (int64_t)start);
    write_statistics(c, tw);
    write_encoding_stats(c, tw, dict);
    dt_tw_end_struct(tw); /* ColumnMetaData */
    dt_tw_end_struct(tw); /* ColumnChunk */
    dt_buf_free(&head);
    chunk_reset(c);
    return 0;
}
