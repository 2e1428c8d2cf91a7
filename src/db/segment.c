/*
 * segment.c: segments as bytes and back (segment.h; docs/formats.md,
 * "Segments"). Pure functions of their input: the decoder trusts nothing
 * (lengths, counts, types, order) and says what is wrong.
 *
 * Layout: a 16-byte header (magic "DTSG", version, kind, order, codec, the
 * payload's raw length, the entry count), then the payload, zstd-compressed
 * (codec 1) or not (codec 0). A payload is the entries one after another in
 * the datom coding, each datom's e and t relative to the one before.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "db/novelty.h"
#include "db/segment.h"

#define CODEC_RAW 0
#define CODEC_ZSTD 1
#define ZSTD_LEVEL 3
#define ARENA_CHUNK (32u << 10)
#define TUPLE_MAX 255

/* ---- arena ---- */

typedef struct dt_arena_chunk {
    struct dt_arena_chunk *next;
    size_t used, cap;
    _Alignas(8) char data[];
} dt_arena_chunk;

void *dt_arena_alloc(dt_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!a->head || a->head->used + n > a->head->cap) {
        /* Chunks double from 256 bytes: most arenas (a small transaction's
         * values) stay small; big ones (a segment's) reach ARENA_CHUNK. */
        size_t grow = a->head ? DT_MIN(a->head->cap * 2, (size_t)ARENA_CHUNK) : 256;
        size_t cap = DT_MAX(n, grow);
        dt_arena_chunk *c = dt_malloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
        a->bytes += sizeof *c + cap;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

void dt_arena_free(dt_arena *a)
{
    for (dt_arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->bytes = 0;
}

dt_val dt_arena_val(dt_arena *a, dt_val v)
{
    if (dt_vtype_is_blob(v.type)) {
        size_t size = sizeof(dt_blob) + v.b->len + 1;
        dt_blob *b = dt_arena_alloc(a, size);
        memcpy(b, v.b, size);
        v.b = b;
    }
    return v;
}

void dt_arena_reset(dt_arena *a)
{
    if (!a->head)
        return;
    dt_arena_chunk *keep = a->head, *rest = keep->next;
    keep->next = NULL;
    keep->used = 0;
    a->head = keep;
    a->bytes = sizeof *keep + keep->cap;
    while (rest) {
        dt_arena_chunk *next = rest->next;
        free(rest);
        rest = next;
    }
}

/* ---- varints ---- */

void dt_varint_put(dt_buf *out, uint64_t x)
{
    uint8_t tmp[10];
    int n = 0;
    while (x >= 0x80) {
        tmp[n++] = (uint8_t)(x | 0x80);
        x >>= 7;
    }
    tmp[n++] = (uint8_t)x;
    dt_buf_append(out, tmp, (size_t)n);
}

int dt_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *x)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        uint8_t b = *(*p)++;
        if (shift == 63 && b > 1)
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *x = v;
            return 0;
        }
    }
    return -1;
}

static uint64_t zigzag(int64_t x) { return ((uint64_t)x << 1) ^ (uint64_t)(x >> 63); }
static int64_t unzigzag(uint64_t x) { return (int64_t)(x >> 1) ^ -(int64_t)(x & 1); }

/* ---- values ---- */

static void put_value(dt_buf *out, dt_val v)
{
    uint64_t bits;
    switch (v.type) {
    case DT_NIL: break;
    case DT_BOOL: dt_buf_putc(out, (char)(v.i ? 1 : 0)); break;
    case DT_LONG:
    case DT_INSTANT: dt_varint_put(out, zigzag(v.i)); break;
    case DT_REF: dt_varint_put(out, v.u); break;
    case DT_DOUBLE:
    case DT_FLOAT:
        memcpy(&bits, &v.d, 8);
        for (int i = 0; i < 8; i++)
            dt_buf_putc(out, (char)(bits >> (8 * i)));
        break;
    case DT_TUPLE: {
        size_t n = dt_tuple_count(v.b);
        dt_varint_put(out, n);
        for (size_t i = 0; i < n; i++) {
            dt_val e = dt_tuple_get(v.b, i);
            dt_buf_putc(out, (char)e.type);
            put_value(out, e);
        }
        break;
    }
    default:
        dt_varint_put(out, v.b->len);
        dt_buf_append(out, v.b->data, v.b->len);
    }
}

/* Canonical decimal text: -?(0|[1-9][0-9]*)(\.[0-9]*[1-9])? (bigint: no fraction). */
static bool decimal_ok(const char *s, size_t n, bool fraction)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == start || (s[start] == '0' && i - start > 1))
        return false;
    if (i == n)
        return !(n == 2 && s[0] == '-' && s[1] == '0'); /* no "-0" */
    if (!fraction || s[i] != '.' || i + 1 == n || s[n - 1] == '0')
        return false;
    for (i++; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

typedef struct reader {
    const uint8_t *p, *end;
    dt_arena *arena;
    const char *why;
} reader;

static int bad(reader *r, const char *why)
{
    r->why = why;
    return DATOM_ECORRUPT;
}

static int get_blob(reader *r, dt_vtype type, dt_val *v)
{
    uint64_t len;
    if (dt_varint_get(&r->p, r->end, &len) || len > (uint64_t)(r->end - r->p))
        return bad(r, "a value runs past the end");
    if (type == DT_UUID && len != 16)
        return bad(r, "a uuid is not 16 bytes");
    if ((type == DT_BIGINT || type == DT_BIGDEC) && !decimal_ok((const char *)r->p, len, type == DT_BIGDEC))
        return bad(r, "a decimal is not in canonical form");
    dt_blob *b = dt_arena_alloc(r->arena, sizeof *b + len + 1);
    b->len = (uint32_t)len;
    memcpy(b->data, r->p, len);
    b->data[len] = '\0';
    b->hash = dt_blob_hash(b->data, len);
    r->p += len;
    v->b = b;
    return 0;
}

static int get_value(reader *r, dt_vtype type, dt_val *v, bool in_tuple);

static int get_tuple(reader *r, dt_val *v)
{
    uint64_t n;
    if (dt_varint_get(&r->p, r->end, &n) || n > TUPLE_MAX)
        return bad(r, "a tuple's length is bad");
    dt_val elems[TUPLE_MAX];
    for (uint64_t i = 0; i < n; i++) {
        if (r->p >= r->end)
            return bad(r, "a tuple runs past the end");
        uint8_t type = *r->p++;
        if (type >= DT_VTYPE_COUNT || type == DT_TUPLE)
            return bad(r, "a tuple element has a bad type");
        elems[i].type = type;
        int rc = get_value(r, (dt_vtype)type, &elems[i], true);
        if (rc)
            return rc;
    }
    /* The tuple's own layout, built in the arena (dt_tuple_new's, copied). */
    dt_blob *t = dt_tuple_new(elems, (size_t)n);
    size_t size = sizeof *t + t->len + 1;
    dt_blob *copy = dt_arena_alloc(r->arena, size);
    memcpy(copy, t, size);
    free(t);
    v->b = copy;
    return 0;
}

static int get_value(reader *r, dt_vtype type, dt_val *v, bool in_tuple)
{
    uint64_t x;
    switch (type) {
    case DT_NIL: return in_tuple ? 0 : bad(r, "nil is not a datom value");
    case DT_BOOL:
        if (r->p >= r->end || *r->p > 1)
            return bad(r, "a boolean is bad");
        v->i = *r->p++;
        return 0;
    case DT_LONG:
    case DT_INSTANT:
        if (dt_varint_get(&r->p, r->end, &x))
            return bad(r, "a number runs past the end");
        v->i = unzigzag(x);
        return 0;
    case DT_REF:
        if (dt_varint_get(&r->p, r->end, &x))
            return bad(r, "a reference runs past the end");
        v->u = x;
        return 0;
    case DT_DOUBLE:
    case DT_FLOAT:
        if (r->end - r->p < 8)
            return bad(r, "a double runs past the end");
        x = 0;
        for (int i = 0; i < 8; i++)
            x |= (uint64_t)r->p[i] << (8 * i);
        memcpy(&v->d, &x, 8);
        r->p += 8;
        return 0;
    case DT_TUPLE: return in_tuple ? bad(r, "a tuple inside a tuple") : get_tuple(r, v);
    default: return get_blob(r, type, v);
    }
}

/* ---- the datom coding ---- */

void dt_dcode_put(dt_buf *out, const dt_datom *d, const dt_datom *prev)
{
    int64_t t = DT_T_OF_TX(d->tx);
    /* The head and a scalar value straight into reserved room (this is the
     * log's and the segments' inner loop); tuples through put_value. */
    size_t blob = dt_vtype_is_blob(d->v.type) && d->v.type != DT_TUPLE ? d->v.b->len : 0;
    dt_buf_reserve(out, 48 + blob);
    uint8_t *p = out->data + out->len;
    if (prev) {
        p = dt_varint_raw(p, zigzag((int64_t)(d->e - prev->e)));
        p = dt_varint_raw(p, zigzag(t - DT_T_OF_TX(prev->tx)));
    } else {
        p = dt_varint_raw(p, d->e);
        p = dt_varint_raw(p, (uint64_t)t);
    }
    p = dt_varint_raw(p, d->a);
    *p++ = (uint8_t)(d->v.type | (d->added ? 0x80 : 0));
    uint64_t bits;
    switch (d->v.type) {
    case DT_NIL: break;
    case DT_BOOL: *p++ = d->v.i ? 1 : 0; break;
    case DT_LONG:
    case DT_INSTANT: p = dt_varint_raw(p, zigzag(d->v.i)); break;
    case DT_REF: p = dt_varint_raw(p, d->v.u); break;
    case DT_DOUBLE:
    case DT_FLOAT:
        memcpy(&bits, &d->v.d, 8);
        for (int i = 0; i < 8; i++)
            *p++ = (uint8_t)(bits >> (8 * i));
        break;
    case DT_TUPLE:
        out->len = (size_t)(p - out->data);
        put_value(out, d->v);
        return;
    default:
        p = dt_varint_raw(p, blob);
        memcpy(p, d->v.b->data, blob);
        p += blob;
    }
    out->len = (size_t)(p - out->data);
    out->data[out->len] = '\0';
}

int dt_dcode_get(const uint8_t **p, const uint8_t *end, const dt_datom *prev, dt_datom *d,
                 dt_arena *arena, const char **why)
{
    reader r = {*p, end, arena, NULL};
    uint64_t e, t, a;
    if (dt_varint_get(&r.p, end, &e) || dt_varint_get(&r.p, end, &t) || dt_varint_get(&r.p, end, &a) ||
        r.p >= end) {
        *why = "a datom runs past the end";
        return DATOM_ECORRUPT;
    }
    if (prev) {
        e = prev->e + (uint64_t)unzigzag(e);
        t = (uint64_t)(DT_T_OF_TX(prev->tx) + unzigzag(t));
    }
    uint8_t flags = *r.p++;
    dt_vtype type = (dt_vtype)(flags & 0x7f);
    if ((int64_t)t < 0 || t > (uint64_t)DT_T_MAX || a > UINT32_MAX || type >= DT_VTYPE_COUNT) {
        *why = "a datom's t, attribute or type is out of range";
        return DATOM_ECORRUPT;
    }
    d->e = e;
    d->a = (uint32_t)a;
    d->tx = DT_TX_OF_T(t);
    d->added = (flags & 0x80) != 0;
    d->v = (dt_val){.type = (uint8_t)type};
    int rc = get_value(&r, type, &d->v, false);
    if (rc) {
        *why = r.why;
        return rc;
    }
    *p = r.p;
    return 0;
}

/* ---- segments ---- */

static void put_u32(uint8_t *p, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(x >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Header + the payload in RAW, compressed when that saves space. */
static void finish(dt_buf *out, int kind, dt_order order, uint32_t n, const dt_buf *raw)
{
    uint8_t h[DT_SEG_HEADER] = {'D', 'T', 'S', 'G', DT_SEG_VERSION, (uint8_t)kind, (uint8_t)order, CODEC_ZSTD};
    put_u32(h + 8, (uint32_t)raw->len);
    put_u32(h + 12, n);
    size_t bound = ZSTD_compressBound(raw->len);
    dt_buf_reserve(out, DT_SEG_HEADER + bound);
    size_t z = ZSTD_compress(out->data + out->len + DT_SEG_HEADER, bound, raw->data ? raw->data : (const void *)"",
                             raw->len, ZSTD_LEVEL);
    if (ZSTD_isError(z) || z >= raw->len) {
        h[7] = CODEC_RAW;
        dt_buf_append(out, h, sizeof h);
        dt_buf_append(out, raw->data, raw->len);
        return;
    }
    memcpy(out->data + out->len, h, sizeof h);
    out->len += DT_SEG_HEADER + z;
}

void dt_seg_encode_leaf(dt_buf *out, dt_order order, const dt_datom *datoms, uint32_t n)
{
    dt_buf raw = DT_BUF_INIT;
    for (uint32_t i = 0; i < n; i++)
        dt_dcode_put(&raw, &datoms[i], i ? &datoms[i - 1] : NULL);
    finish(out, DT_SEG_LEAF, order, n, &raw);
    dt_buf_free(&raw);
}

void dt_seg_encode_branch(dt_buf *out, dt_order order, const dt_datom *keys,
                          const uint8_t (*shas)[32], const uint64_t *counts, uint32_t n)
{
    dt_buf raw = DT_BUF_INIT;
    for (uint32_t i = 0; i < n; i++) {
        dt_dcode_put(&raw, &keys[i], NULL);
        dt_buf_append(&raw, shas[i], 32);
        dt_varint_put(&raw, counts[i]);
    }
    finish(out, DT_SEG_BRANCH, order, n, &raw);
    dt_buf_free(&raw);
}

dt_seg *dt_seg_ref(dt_seg *s)
{
    s->refs++;
    return s;
}

void dt_seg_unref(dt_seg *s)
{
    if (!s || --s->refs > 0)
        return;
    free(s->datoms);
    free(s->shas);
    free(s->counts);
    dt_arena_free(&s->arena);
    free(s);
}

static int seg_bad(dt_seg *s, const char *what, const char *why)
{
    dt_seg_unref(s);
    return dt_error(DATOM_ECORRUPT, "segment %s: %s", what, why);
}

/* The payload of P (header checked), decompressed into RAW when needed. */
static int payload(const uint8_t *p, size_t len, dt_buf *raw, const uint8_t **body, size_t *body_len,
                   const char **why)
{
    uint32_t raw_len = get_u32(p + 8);
    if (raw_len > DT_SEG_MAX_RAW) {
        *why = "payload length is over the limit";
        return DATOM_ECORRUPT;
    }
    if (p[7] == CODEC_RAW) {
        if (len - DT_SEG_HEADER != raw_len) {
            *why = "payload length does not match";
            return DATOM_ECORRUPT;
        }
        *body = p + DT_SEG_HEADER;
        *body_len = raw_len;
        return 0;
    }
    if (p[7] != CODEC_ZSTD) {
        *why = "unknown codec";
        return DATOM_ECORRUPT;
    }
    dt_buf_reserve(raw, raw_len);
    size_t z = ZSTD_decompress(raw->data, raw_len, p + DT_SEG_HEADER, len - DT_SEG_HEADER);
    if (ZSTD_isError(z) || z != raw_len) {
        *why = "compressed payload is damaged";
        return DATOM_ECORRUPT;
    }
    raw->len = raw_len;
    *body = raw->data;
    *body_len = raw_len;
    return 0;
}

static int decode_entries(dt_seg *s, const uint8_t *p, const uint8_t *end, const char **why)
{
    for (uint32_t i = 0; i < s->n; i++) {
        const dt_datom *prev = s->kind == DT_SEG_LEAF && i ? &s->datoms[i - 1] : NULL;
        int rc = dt_dcode_get(&p, end, prev, &s->datoms[i], &s->arena, why);
        if (rc)
            return rc;
        if (i && dt_datom_cmp((dt_order)s->order, &s->datoms[i - 1], &s->datoms[i]) >= 0) {
            *why = "entries are not in order";
            return DATOM_ECORRUPT;
        }
        if (s->kind == DT_SEG_LEAF) {
            s->total++;
            continue;
        }
        uint64_t count;
        if (end - p < 32) {
            *why = "a child entry runs past the end";
            return DATOM_ECORRUPT;
        }
        memcpy(s->shas[i], p, 32);
        p += 32;
        if (dt_varint_get(&p, end, &count) || count == 0 || count > UINT64_MAX - s->total) {
            *why = "a child's count is bad";
            return DATOM_ECORRUPT;
        }
        s->counts[i] = count;
        s->total += count;
    }
    if (p != end) {
        *why = "bytes after the last entry";
        return DATOM_ECORRUPT;
    }
    return 0;
}

int dt_seg_decode(const void *data, size_t len, const char *what, dt_seg **out)
{
    *out = NULL;
    const uint8_t *p = data;
    if (len < DT_SEG_HEADER || memcmp(p, "DTSG", 4))
        return dt_error(DATOM_ECORRUPT, "segment %s: not a segment (bad magic)", what);
    if (p[4] != DT_SEG_VERSION)
        return dt_error(DATOM_ECORRUPT, "segment %s: format version %u (this datom reads %u)", what,
                        p[4], DT_SEG_VERSION);
    if ((p[5] != DT_SEG_LEAF && p[5] != DT_SEG_BRANCH) || p[6] >= DT_ORDER_COUNT)
        return dt_error(DATOM_ECORRUPT, "segment %s: bad kind or order", what);
    uint32_t n = get_u32(p + 12);
    if (n == 0 || n > DT_SEG_MAX_ENTRIES)
        return dt_error(DATOM_ECORRUPT, "segment %s: bad entry count %u", what, n);
    dt_seg *s = dt_calloc(1, sizeof *s);
    s->refs = 1;
    s->kind = p[5];
    s->order = p[6];
    s->n = n;
    dt_buf raw = DT_BUF_INIT;
    const uint8_t *body;
    size_t body_len;
    const char *why = NULL;
    int rc = payload(p, len, &raw, &body, &body_len, &why);
    /* Every entry takes at least 4 bytes: a count beyond that is a lie. */
    if (rc == 0 && (uint64_t)n * 4 > body_len) {
        why = "entry count exceeds the payload";
        rc = DATOM_ECORRUPT;
    }
    if (rc == 0) {
        s->datoms = dt_malloc((size_t)n * sizeof *s->datoms);
        if (s->kind == DT_SEG_BRANCH) {
            s->shas = dt_malloc((size_t)n * sizeof *s->shas);
            s->counts = dt_malloc((size_t)n * sizeof *s->counts);
        }
        rc = decode_entries(s, body, body + body_len, &why);
    }
    dt_buf_free(&raw);
    if (rc)
        return seg_bad(s, what, why ? why : "damaged");
    s->bytes = sizeof *s + (size_t)n * (sizeof *s->datoms + (s->shas ? 40 : 0)) + s->arena.bytes;
    *out = s;
    return 0;
}
