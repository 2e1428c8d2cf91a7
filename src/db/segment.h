/*
 * segment.h: segments, the immutable units of the durable trees, as bytes
 * and back (segment.c). Pure: no store, no cache, no schema; every decoder
 * input is treated as hostile (fuzz/fuzz_segment.c).
 *
 * A leaf holds datoms sorted in its order; a branch holds, per child, the
 * child's first datom (its key), the child's SHA-256 and the number of
 * datoms under it. Byte layout: docs/formats.md, "Segments".
 *
 * The datom coding (dt_dcode_*) is shared with the log's records.
 */
#ifndef DT_DB_SEGMENT_H
#define DT_DB_SEGMENT_H

#include "db/db.h"

#define DT_SEG_VERSION 1
#define DT_SEG_HEADER 16
#define DT_SEG_MAX_ENTRIES (1u << 20)
#define DT_SEG_MAX_RAW (64u << 20)

enum { DT_SEG_LEAF = 1, DT_SEG_BRANCH = 2 };

/* ---- the datom coding ---- */
/* Appends D; PREV (may be NULL) is the datom before it, whose e and t the
 * coding of D's is relative to. */
void dt_dcode_put(dt_buf *out, const dt_datom *d, const dt_datom *prev);
/* Reads one datom at *P (< END), relative to PREV (may be NULL); values'
 * bytes go to ARENA. 0, or DATOM_ECORRUPT with a static reason in *why. */
int dt_dcode_get(const uint8_t **p, const uint8_t *end, const dt_datom *prev, dt_datom *d,
                 dt_arena *arena, const char **why);
void dt_varint_put(dt_buf *out, uint64_t x);
/* X as a varint at P, which has room for 10 bytes; returns the byte after it. */
static inline uint8_t *dt_varint_raw(uint8_t *p, uint64_t x)
{
    while (x >= 0x80) {
        *p++ = (uint8_t)(x | 0x80);
        x >>= 7;
    }
    *p++ = (uint8_t)x;
    return p;
}
int dt_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *x);

/* ---- segments ---- */
typedef struct dt_seg {
    uint8_t kind, order;
    uint32_t n;
    dt_datom *datoms;     /* leaf: the datoms; branch: each child's first datom */
    uint8_t (*shas)[32];  /* branch: each child's SHA-256 */
    uint64_t *counts;     /* branch: datoms under each child */
    uint64_t total;       /* leaf: n; branch: the sum of counts */
    dt_arena arena;
    size_t bytes;         /* memory held, for the cache's accounting */
    int refs;             /* the cache's and each cursor's */
} dt_seg;

/* Encodes a leaf of N datoms sorted in ORDER. */
void dt_seg_encode_leaf(dt_buf *out, dt_order order, const dt_datom *datoms, uint32_t n);
/* Encodes a branch of N children. */
void dt_seg_encode_branch(dt_buf *out, dt_order order, const dt_datom *keys,
                          const uint8_t (*shas)[32], const uint64_t *counts, uint32_t n);
/* Decodes P[0..len) into a new segment; checks everything, sortedness
 * included. DATOM_ECORRUPT (message: WHAT and the reason) on bad bytes. */
int dt_seg_decode(const void *p, size_t len, const char *what, dt_seg **out);
/* Segments are reference counted (decode gives the first reference). */
dt_seg *dt_seg_ref(dt_seg *s);
void dt_seg_unref(dt_seg *s);

#endif /* DT_DB_SEGMENT_H */
