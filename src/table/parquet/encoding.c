/*
 * encoding.c: streaming decoders for Parquet's encodings (see encoding.h).
 * Nothing here allocates from a count read out of the data: decoders step
 * through the bytes they were given and fail when those run out.
 */
#include <stdlib.h>
#include <string.h>

#include "table/parquet/encoding.h"
#include "table/parquet/meta.h"

static int fail(const char **why, const char *what)
{
    *why = what;
    return -1;
}

static int read_uleb(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    const uint8_t *p = *pp;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && (b & 0x7e))
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* bw (<= 64) bits at bit offset `bit` of an LSB-first packed run of `bytes` bytes. */
static int get_bits(const uint8_t *p, size_t bytes, uint64_t bit, int bw, uint64_t *out)
{
    if (bw == 0)
        return *out = 0, 0;
    uint64_t first = bit >> 3, last = (bit + (uint64_t)bw - 1) >> 3;
    if (last >= bytes)
        return -1;
    unsigned shift = (unsigned)(bit & 7);
    uint64_t v = 0;
    if (bytes - first >= 8 && shift + (unsigned)bw <= 64) {
        memcpy(&v, p + first, 8);
        v = le64toh(v) >> shift;
    } else {
        unsigned got = 0;
        for (uint64_t i = first; i <= last; i++) {
            uint64_t b = p[i];
            if (i == first) {
                v = b >> shift;
                got = 8 - shift;
            } else {
                v |= b << got;
                got += 8;
            }
        }
    }
    *out = bw == 64 ? v : v & ((UINT64_C(1) << bw) - 1);
    return 0;
}

/* ---- RLE / bit-packed hybrid ---- */

void dt_pq_rle_init(dt_pq_rle *d, const uint8_t *p, size_t n, int bw, bool msb)
{
    memset(d, 0, sizeof *d);
    d->p = p;
    d->end = p + n;
    d->bw = bw;
    d->msb = msb;
    if (msb) { /* one bit-packed run over all of it, most significant bit first */
        d->bp = p;
        d->bp_bytes = n;
        d->bp_left = bw ? (uint64_t)n * 8 / (uint64_t)bw : UINT64_MAX;
    }
}

static int rle_next_run(dt_pq_rle *d, const char **why)
{
    uint64_t h;
    if (d->msb || read_uleb(&d->p, d->end, &h) != 0)
        return fail(why, "RLE/bit-packed data ends early");
    if (h & 1) {
        uint64_t groups = h >> 1;
        if (groups == 0 || groups > ((uint64_t)1 << 40))
            return fail(why, "bad bit-packed run length");
        uint64_t bytes = groups * (uint64_t)d->bw;
        size_t avail = (size_t)(d->end - d->p);
        d->bp = d->p;
        d->bp_bytes = bytes < avail ? (size_t)bytes : avail;
        d->bp_left = groups * 8;
        d->bp_pos = 0;
        d->p += d->bp_bytes;
        return 0;
    }
    size_t vb = ((size_t)d->bw + 7) / 8;
    if ((size_t)(d->end - d->p) < vb)
        return fail(why, "RLE run value truncated");
    uint32_t v = 0;
    for (size_t i = 0; i < vb; i++)
        v |= (uint32_t)d->p[i] << (8 * i);
    d->p += vb;
    if (d->bw < 32 && (v >> d->bw))
        return fail(why, "RLE run value wider than its bit width");
    d->rle_value = v;
    d->rle_left = h >> 1;
    return 0;
}

static int msb_bit(const dt_pq_rle *d, uint64_t idx, uint32_t *out)
{
    uint64_t bit = idx * (uint64_t)d->bw;
    uint32_t v = 0;
    for (int i = 0; i < d->bw; i++, bit++) {
        if ((bit >> 3) >= d->bp_bytes)
            return -1;
        v = v << 1 | ((d->bp[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    *out = v;
    return 0;
}

/* The next stretch of at most n values: *k of them, from one RLE run (*pos
 * UINT64_MAX, the value d->rle_value) or from the current bit-packed run
 * starting at its value *pos. The stretch is taken: the runs move past it. */
static int next_stretch(dt_pq_rle *d, size_t n, size_t *k, uint64_t *pos, const char **why)
{
    while (!d->rle_left && !d->bp_left)
        if (rle_next_run(d, why) != 0)
            return -1;
    if (d->rle_left) {
        *k = (size_t)DT_MIN((uint64_t)n, d->rle_left);
        *pos = UINT64_MAX;
        d->rle_left -= *k;
    } else {
        *k = (size_t)DT_MIN((uint64_t)n, d->bp_left);
        *pos = d->bp_pos;
        d->bp_left -= *k;
        d->bp_pos += *k;
    }
    return 0;
}

/* Values [pos, pos + k) of the current bit-packed run (LSB first) into out;
 * fails if the run's bytes end first. */
static int unpack_run(const dt_pq_rle *d, uint64_t pos, uint32_t *out, size_t k, const char **why)
{
    int bw = d->bw;
    if (bw == 0) {
        memset(out, 0, k * sizeof *out);
        return 0;
    }
    uint64_t mask = (UINT64_C(1) << bw) - 1; /* bw <= 32 */
    /* values whose 8 bytes from their first are inside the run: no checks */
    uint64_t fast = d->bp_bytes >= 8 ? (uint64_t)(d->bp_bytes - 8) * 8 / (uint64_t)bw + 1 : 0;
    size_t i = 0;
    for (; i < k && pos + i < fast; i++) {
        uint64_t v, bit = (pos + i) * (uint64_t)bw;
        memcpy(&v, d->bp + (bit >> 3), 8);
        out[i] = (uint32_t)((le64toh(v) >> (bit & 7)) & mask);
    }
    for (; i < k; i++) {
        uint64_t v;
        if (get_bits(d->bp, d->bp_bytes, (pos + i) * (uint64_t)bw, bw, &v) != 0)
            return fail(why, "bit-packed run truncated");
        out[i] = (uint32_t)v;
    }
    return 0;
}

int dt_pq_rle_get(dt_pq_rle *d, uint32_t *out, size_t n, const char **why)
{
    for (size_t i = 0, k; i < n; i += k) {
        uint64_t pos;
        if (next_stretch(d, n - i, &k, &pos, why) != 0)
            return -1;
        if (pos == UINT64_MAX) {
            for (size_t j = 0; j < k; j++)
                out[i + j] = d->rle_value;
        } else if (d->msb) {
            for (size_t j = 0; j < k; j++)
                if (msb_bit(d, pos + j, &out[i + j]) != 0)
                    return fail(why, "bit-packed levels truncated");
        } else if (unpack_run(d, pos, out + i, k, why) != 0) {
            return -1;
        }
    }
    return 0;
}

/* The bits of a byte as eight bytes 0 or 1, the lowest first. */
static uint64_t spread8(uint8_t b)
{
    uint64_t x = b;
    x = (x | x << 28) & UINT64_C(0x0000000F0000000F);
    x = (x | x << 14) & UINT64_C(0x0003000300030003);
    x = (x | x << 7) & UINT64_C(0x0101010101010101);
    return htole64(x);
}

/* One-bit values [bit, bit + k) of the current bit-packed run as bytes. */
static int unpack_flags(const dt_pq_rle *d, uint64_t bit, uint8_t *out, size_t k, size_t *ones,
                        const char **why)
{
    uint64_t end = bit + k;
    if (end > (uint64_t)d->bp_bytes * 8)
        return fail(why, "bit-packed run truncated");
    size_t i = 0, cnt = 0;
    for (; bit < end && (bit & 7); bit++, i++)
        cnt += out[i] = (d->bp[bit >> 3] >> (bit & 7)) & 1;
    for (; bit + 8 <= end; bit += 8, i += 8) {
        uint64_t x = spread8(d->bp[bit >> 3]);
        memcpy(out + i, &x, 8);
        cnt += (size_t)((le64toh(x) * UINT64_C(0x0101010101010101)) >> 56); /* its bytes' sum */
    }
    for (; bit < end; bit++, i++)
        cnt += out[i] = (d->bp[bit >> 3] >> (bit & 7)) & 1;
    *ones += cnt;
    return 0;
}

int dt_pq_rle_get_flags(dt_pq_rle *d, uint8_t *out, size_t n, size_t *ones, const char **why)
{
    *ones = 0;
    if (d->bw != 1)
        return fail(why, "internal: flags of a bit width other than 1");
    for (size_t i = 0, k; i < n; i += k) {
        uint64_t pos;
        if (next_stretch(d, n - i, &k, &pos, why) != 0)
            return -1;
        if (pos == UINT64_MAX) {
            memset(out + i, (int)d->rle_value, k);
            *ones += d->rle_value ? k : 0;
        } else if (d->msb) {
            for (size_t j = 0; j < k; j++) {
                uint32_t v;
                if (msb_bit(d, pos + j, &v) != 0)
                    return fail(why, "bit-packed levels truncated");
                *ones += out[i + j] = (uint8_t)v;
            }
        } else if (unpack_flags(d, pos, out + i, k, ones, why) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- DELTA_BINARY_PACKED ---- */

int dt_pq_delta_init(dt_pq_delta *d, const uint8_t *p, size_t n, const char **why)
{
    memset(d, 0, sizeof *d);
    d->p = p;
    d->end = p + n;
    uint64_t first;
    if (read_uleb(&d->p, d->end, &d->block_size) || read_uleb(&d->p, d->end, &d->miniblocks) ||
        read_uleb(&d->p, d->end, &d->total) || read_uleb(&d->p, d->end, &first))
        return fail(why, "DELTA_BINARY_PACKED header truncated");
    if (d->block_size == 0 || d->block_size % 128 || d->block_size > (1u << 20) ||
        d->miniblocks == 0 || d->block_size % d->miniblocks ||
        (d->block_size / d->miniblocks) % 32)
        return fail(why, "DELTA_BINARY_PACKED block sizes are invalid");
    d->per_mini = d->block_size / d->miniblocks;
    d->last = (first >> 1) ^ (0 - (first & 1));
    d->mini = d->miniblocks;
    return 0;
}

static int delta_next_block(dt_pq_delta *d, const char **why)
{
    uint64_t md;
    if (read_uleb(&d->p, d->end, &md) != 0)
        return fail(why, "DELTA_BINARY_PACKED block truncated");
    d->min_delta = (md >> 1) ^ (0 - (md & 1));
    if ((uint64_t)(d->end - d->p) < d->miniblocks)
        return fail(why, "DELTA_BINARY_PACKED block truncated");
    d->widths = d->p;
    d->p += d->miniblocks;
    d->mini = 0;
    d->mdata = d->p;
    d->mpos = 0;
    return 0;
}

/* Steps into the next miniblock (reading a block header when needed). */
static int delta_next_mini(dt_pq_delta *d, const char **why)
{
    if (d->mini < d->miniblocks) {
        d->mini++;
        d->mpos = 0;
    }
    if (d->mini >= d->miniblocks && delta_next_block(d, why) != 0)
        return -1;
    int bw = d->widths[d->mini];
    if (bw > 64)
        return fail(why, "DELTA_BINARY_PACKED bit width above 64");
    uint64_t bytes = d->per_mini * (uint64_t)bw / 8;
    d->mdata = d->p;
    /* The last miniblock may be cut short; get_bits checks what is read. */
    d->p += (size_t)DT_MIN(bytes, (uint64_t)(d->end - d->p));
    return 0;
}

/* k deltas of the current miniblock (bit width bw), added up from d->last
 * into out. */
static int delta_run(dt_pq_delta *d, int64_t *out, size_t k, int bw, const char **why)
{
    size_t avail = (size_t)(d->p - d->mdata), j = 0;
    uint64_t last = d->last, pos = d->mpos;
    if (bw == 0) { /* every delta is the block's minimum */
        for (; j < k; j++)
            out[j] = (int64_t)(last += d->min_delta);
    } else if (bw <= 56) { /* deltas whose 8 bytes from their first are inside the data: unchecked */
        uint64_t mask = (UINT64_C(1) << bw) - 1;
        uint64_t fast = avail >= 8 ? (uint64_t)(avail - 8) * 8 / (uint64_t)bw + 1 : 0;
        for (; j < k && pos + j < fast; j++) {
            uint64_t v, bit = (pos + j) * (uint64_t)bw;
            memcpy(&v, d->mdata + (bit >> 3), 8);
            last += d->min_delta + ((le64toh(v) >> (bit & 7)) & mask);
            out[j] = (int64_t)last;
        }
    }
    for (; j < k; j++) {
        uint64_t v;
        if (get_bits(d->mdata, avail, (pos + j) * (uint64_t)bw, bw, &v) != 0)
            return fail(why, "DELTA_BINARY_PACKED miniblock truncated");
        last += d->min_delta + v;
        out[j] = (int64_t)last;
    }
    d->last = last;
    d->mpos += k;
    d->done += k;
    return 0;
}

int dt_pq_delta_get(dt_pq_delta *d, int64_t *out, size_t n, const char **why)
{
    if (n > d->total - d->done)
        return fail(why, "DELTA_BINARY_PACKED holds fewer values than needed");
    size_t i = 0;
    if (n > 0 && d->done == 0) { /* the first value is in the header */
        out[i++] = (int64_t)d->last;
        d->done++;
    }
    while (i < n) {
        if (d->mini >= d->miniblocks || d->mpos >= d->per_mini)
            if (delta_next_mini(d, why) != 0)
                return -1;
        size_t k = (size_t)DT_MIN((uint64_t)(n - i), d->per_mini - d->mpos);
        if (delta_run(d, out + i, k, d->widths[d->mini], why) != 0)
            return -1;
        i += k;
    }
    return 0;
}

int dt_pq_delta_skip(const uint8_t *p, size_t n, const uint8_t **end, const char **why)
{
    dt_pq_delta d;
    if (dt_pq_delta_init(&d, p, n, why) != 0)
        return -1;
    uint64_t left = d.total ? d.total - 1 : 0;
    while (left > 0) {
        if (delta_next_block(&d, why) != 0)
            return -1;
        for (uint64_t m = 0; m < d.miniblocks && left > 0; m++) {
            if (d.widths[m] > 64)
                return fail(why, "DELTA_BINARY_PACKED bit width above 64");
            uint64_t bytes = d.per_mini * d.widths[m] / 8;
            if (bytes > (uint64_t)(d.end - d.p))
                return fail(why, "DELTA_BINARY_PACKED miniblock truncated");
            d.p += bytes;
            left -= DT_MIN(left, d.per_mini);
        }
    }
    *end = d.p;
    return 0;
}

/* ---- dictionaries ---- */

size_t dt_pq_value_width(int ptype, int width)
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

int dt_pq_dict_decode(dt_pq_dict *d, int ptype, int width, const uint8_t *p, size_t len, size_t n,
                      const char **why)
{
    memset(d, 0, sizeof *d);
    size_t w = dt_pq_value_width(ptype, width);
    if (ptype == PQ_BOOLEAN)
        return fail(why, "dictionary of BOOLEAN values");
    if (ptype == PQ_BYTE_ARRAY) {
        if (n > len / 4)
            return fail(why, "dictionary claims more values than its page holds");
        d->slices = dt_malloc((n ? n : 1) * sizeof *d->slices);
        const uint8_t *q = p, *end = p + len;
        for (size_t i = 0; i < n; i++) {
            if (end - q < 4) {
                dt_pq_dict_free(d);
                return fail(why, "dictionary page truncated");
            }
            uint32_t l = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
            q += 4;
            if (l > (size_t)(end - q)) {
                dt_pq_dict_free(d);
                return fail(why, "dictionary value longer than its page");
            }
            d->slices[i] = (dt_pq_slice){q, l};
            q += l;
        }
        d->end = end;
    } else {
        if (w == 0 || n > len / w)
            return fail(why, "dictionary claims more values than its page holds");
        d->fixed = dt_malloc(n * w + 1);
        memcpy(d->fixed, p, n * w);
    }
    d->n = n;
    return 0;
}

void dt_pq_dict_free(dt_pq_dict *d)
{
    free(d->fixed);
    free(d->slices);
    memset(d, 0, sizeof *d);
}

/* ---- page value decoders ---- */

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int init_dlba(dt_pq_vdec *v, const uint8_t *p, size_t n, dt_pq_delta *lengths,
                     const char **why)
{
    const uint8_t *data;
    if (dt_pq_delta_skip(p, n, &data, why) != 0 || dt_pq_delta_init(lengths, p, n, why) != 0)
        return -1;
    v->data = data;
    return 0;
}

static void *scratch(void *p, size_t size)
{
    return p ? p : dt_malloc(DT_PQ_CHUNK * size);
}

/* Allocates (once) the scratch an encoding needs. */
static void need_scratch(dt_pq_vdec *v, int encoding, int ptype)
{
    switch (encoding) {
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY: v->idx = scratch(v->idx, sizeof *v->idx); break;
    case PQ_ENC_DELTA_BINARY_PACKED: v->ints = scratch(v->ints, sizeof *v->ints); break;
    case PQ_ENC_DELTA_BYTE_ARRAY:
        v->ints = scratch(v->ints, sizeof *v->ints);
        /* fall through */
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        v->ints2 = scratch(v->ints2, sizeof *v->ints2);
        v->tmp = scratch(v->tmp, sizeof *v->tmp);
        if (ptype == PQ_FIXED)
            v->fixed_tmp = scratch(v->fixed_tmp, sizeof *v->fixed_tmp);
        break;
    default: break;
    }
}

int dt_pq_vdec_init(dt_pq_vdec *v, int encoding, int ptype, int width, const uint8_t *p, size_t n,
                    const dt_pq_dict *dict, const char **why)
{
    need_scratch(v, encoding, ptype);
    dt_buf_free(&v->prev);
    dt_buf_free(&v->arena);
    v->encoding = encoding;
    v->ptype = ptype;
    v->width = (int)dt_pq_value_width(ptype, width);
    v->p = p;
    v->end = p + n;
    v->bit = 0;
    v->dict = NULL;
    switch (encoding) {
    case PQ_ENC_PLAIN: return 0;
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY:
        if (!dict)
            return fail(why, "dictionary-encoded page without a dictionary page");
        if (n < 1 || p[0] > 32)
            return fail(why, "bad dictionary index bit width");
        v->dict = dict;
        dt_pq_rle_init(&v->rle, p + 1, n - 1, p[0], false);
        return 0;
    case PQ_ENC_RLE:
        if (ptype != PQ_BOOLEAN)
            return fail(why, "RLE encoding for values other than BOOLEAN");
        if (n < 4 || load_le32(p) > n - 4)
            return fail(why, "RLE boolean data truncated");
        dt_pq_rle_init(&v->rle, p + 4, load_le32(p), 1, false);
        return 0;
    case PQ_ENC_DELTA_BINARY_PACKED:
        if (ptype != PQ_INT32 && ptype != PQ_INT64)
            return fail(why, "DELTA_BINARY_PACKED for a type other than INT32/INT64");
        return dt_pq_delta_init(&v->d1, p, n, why);
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (ptype != PQ_BYTE_ARRAY && ptype != PQ_FIXED)
            return fail(why, "DELTA_LENGTH_BYTE_ARRAY for a non-byte-array type");
        return init_dlba(v, p, n, &v->d2, why);
    case PQ_ENC_DELTA_BYTE_ARRAY: {
        if (ptype != PQ_BYTE_ARRAY && ptype != PQ_FIXED)
            return fail(why, "DELTA_BYTE_ARRAY for a non-byte-array type");
        const uint8_t *suffixes;
        if (dt_pq_delta_skip(p, n, &suffixes, why) != 0 || dt_pq_delta_init(&v->d1, p, n, why) != 0)
            return -1;
        return init_dlba(v, suffixes, (size_t)(v->end - suffixes), &v->d2, why);
    }
    case PQ_ENC_BYTE_STREAM_SPLIT:
        if (ptype == PQ_BOOLEAN || ptype == PQ_BYTE_ARRAY || ptype == PQ_INT96 || v->width == 0)
            return fail(why, "BYTE_STREAM_SPLIT for an unsupported type");
        if (n % (size_t)v->width)
            return fail(why, "BYTE_STREAM_SPLIT data is not a whole number of values");
        v->bss_n = n / (size_t)v->width;
        v->bss_pos = 0;
        return 0;
    default: return fail(why, "unsupported encoding");
    }
}

static int plain_get(dt_pq_vdec *v, size_t n, uint8_t *fixed, dt_pq_slice *slices, const char **why)
{
    size_t avail = (size_t)(v->end - v->p);
    if (v->ptype == PQ_BOOLEAN) {
        if (v->bit + n > (uint64_t)avail * 8)
            return fail(why, "PLAIN booleans truncated");
        for (size_t i = 0; i < n; i++, v->bit++)
            fixed[i] = (v->p[v->bit >> 3] >> (v->bit & 7)) & 1;
        return 0;
    }
    if (v->ptype == PQ_BYTE_ARRAY) {
        for (size_t i = 0; i < n; i++) {
            if (v->end - v->p < 4)
                return fail(why, "PLAIN byte array truncated");
            uint32_t l = load_le32(v->p);
            v->p += 4;
            if (l > (size_t)(v->end - v->p))
                return fail(why, "PLAIN byte array longer than its page");
            slices[i] = (dt_pq_slice){v->p, l};
            v->p += l;
        }
        v->slices_end = v->end;
        return 0;
    }
    size_t w = (size_t)v->width;
    if (n > avail / w)
        return fail(why, "PLAIN values truncated");
    memcpy(fixed, v->p, n * w);
    v->p += n * w;
    return 0;
}

/* Gathers n dictionary values of w bytes by index (checked) into out. */
#define GATHER(T)                                                                                  \
    do {                                                                                           \
        const T *src = (const T *)(const void *)d->fixed;                                          \
        for (size_t i = 0; i < n; i++)                                                             \
            memcpy(fixed + i * sizeof(T), &src[v->idx[i]], sizeof(T));                             \
    } while (0)

static int dict_get(dt_pq_vdec *v, size_t n, uint8_t *fixed, dt_pq_slice *slices, const char **why)
{
    if (dt_pq_rle_get(&v->rle, v->idx, n, why) != 0)
        return -1;
    const dt_pq_dict *d = v->dict;
    uint32_t top = 0;
    for (size_t i = 0; i < n; i++)
        top = DT_MAX(top, v->idx[i]);
    if (n > 0 && top >= d->n)
        return fail(why, "dictionary index out of range");
    size_t w = (size_t)v->width;
    if (slices && v->ptype == PQ_BYTE_ARRAY) {
        for (size_t i = 0; i < n; i++)
            slices[i] = d->slices[v->idx[i]];
        v->slices_end = d->end;
    } else if (w == 4) {
        GATHER(uint32_t);
    } else if (w == 8) {
        GATHER(uint64_t);
    } else {
        for (size_t i = 0; i < n; i++)
            memcpy(fixed + i * w, d->fixed + (size_t)v->idx[i] * w, w);
    }
    return 0;
}

static int delta_int_get(dt_pq_vdec *v, size_t n, uint8_t *fixed, const char **why)
{
    if (dt_pq_delta_get(&v->d1, v->ints, n, why) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v->ptype == PQ_INT32) {
            int32_t x = (int32_t)(uint32_t)(uint64_t)v->ints[i]; /* DuckDB's overflowing deltas */
            memcpy(fixed + 4 * i, &x, 4);
        } else {
            memcpy(fixed + 8 * i, &v->ints[i], 8);
        }
    }
    return 0;
}

/* Suffix bytes for DELTA_LENGTH_BYTE_ARRAY (and DELTA_BYTE_ARRAY's suffixes). */
static int dlba_get(dt_pq_vdec *v, size_t n, dt_pq_slice *out, const char **why)
{
    if (dt_pq_delta_get(&v->d2, v->ints2, n, why) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int64_t l = v->ints2[i];
        if (l < 0 || (uint64_t)l > (uint64_t)(v->end - v->data))
            return fail(why, "byte array length out of range");
        out[i] = (dt_pq_slice){v->data, (size_t)l};
        v->data += l;
    }
    return 0;
}

/* DELTA_BYTE_ARRAY: each value is a prefix of the one before plus a suffix.
 * Values are built in the arena; slices hold offsets until it stops growing. */
static int dba_get(dt_pq_vdec *v, size_t n, dt_pq_slice *out, const char **why)
{
    if (dt_pq_delta_get(&v->d1, v->ints, n, why) != 0 || dlba_get(v, n, v->tmp, why) != 0)
        return -1;
    dt_buf_clear(&v->arena);
    for (size_t i = 0; i < n; i++) {
        int64_t pre = v->ints[i];
        if (pre < 0 || (uint64_t)pre > v->prev.len)
            return fail(why, "DELTA_BYTE_ARRAY prefix longer than the previous value");
        v->prev.len = (size_t)pre;
        dt_buf_append(&v->prev, v->tmp[i].p, v->tmp[i].len);
        out[i] = (dt_pq_slice){(const uint8_t *)(uintptr_t)v->arena.len, v->prev.len};
        dt_buf_append(&v->arena, v->prev.data ? v->prev.data : (const uint8_t *)"", v->prev.len);
    }
    for (size_t i = 0; i < n; i++)
        out[i].p = v->arena.data + (uintptr_t)out[i].p;
    return 0;
}

static int bss_get(dt_pq_vdec *v, size_t n, uint8_t *fixed, const char **why)
{
    if (n > v->bss_n - v->bss_pos)
        return fail(why, "BYTE_STREAM_SPLIT values truncated");
    size_t w = (size_t)v->width;
    for (size_t k = 0; k < w; k++) { /* stream by stream: each is read in order */
        const uint8_t *stream = v->p + k * v->bss_n + v->bss_pos;
        for (size_t i = 0; i < n; i++)
            fixed[i * w + k] = stream[i];
    }
    v->bss_pos += n;
    return 0;
}

/* Byte-array encodings into FIXED_LEN_BYTE_ARRAY slots. */
static int slices_to_fixed(dt_pq_vdec *v, size_t n, uint8_t *fixed, const char **why)
{
    size_t w = (size_t)v->width;
    for (size_t i = 0; i < n; i++) {
        if (v->fixed_tmp[i].len != w)
            return fail(why, "fixed-length value of the wrong length");
        memcpy(fixed + i * w, v->fixed_tmp[i].p, w);
    }
    return 0;
}

int dt_pq_vdec_get(dt_pq_vdec *v, size_t n, uint8_t *fixed, dt_pq_slice *slices, const char **why)
{
    if (n > DT_PQ_CHUNK)
        return fail(why, "internal: chunk too large");
    v->slices_end = NULL;
    switch (v->encoding) {
    case PQ_ENC_PLAIN: return plain_get(v, n, fixed, slices, why);
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY: return dict_get(v, n, fixed, slices, why);
    case PQ_ENC_RLE: {
        size_t ones;
        return dt_pq_rle_get_flags(&v->rle, fixed, n, &ones, why);
    }
    case PQ_ENC_DELTA_BINARY_PACKED: return delta_int_get(v, n, fixed, why);
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
    case PQ_ENC_DELTA_BYTE_ARRAY: {
        bool fx = v->ptype == PQ_FIXED;
        dt_pq_slice *out = fx ? v->fixed_tmp : slices;
        int rc = v->encoding == PQ_ENC_DELTA_BYTE_ARRAY ? dba_get(v, n, out, why)
                                                        : dlba_get(v, n, out, why);
        if (rc != 0)
            return -1;
        v->slices_end = v->encoding != PQ_ENC_DELTA_BYTE_ARRAY ? v->end
                        : v->arena.data                     ? v->arena.data + v->arena.len
                                                            : NULL;
        return fx ? slices_to_fixed(v, n, fixed, why) : 0;
    }
    case PQ_ENC_BYTE_STREAM_SPLIT: return bss_get(v, n, fixed, why);
    default: return fail(why, "unsupported encoding");
    }
}

void dt_pq_vdec_free(dt_pq_vdec *v)
{
    dt_buf_free(&v->prev);
    dt_buf_free(&v->arena);
    free(v->idx);
    free(v->ints);
    free(v->ints2);
    free(v->tmp);
    free(v->fixed_tmp);
}
