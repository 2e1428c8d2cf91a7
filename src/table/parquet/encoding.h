/*
 * encoding.h: Parquet's value and level encodings (apache/parquet-format
 * Encodings.md), as streaming decoders: each yields the next n values on
 * request, so a page of any claimed length decodes in bounded memory.
 *
 * Values come out in their physical form: fixed-width types as packed
 * little-endian bytes of `width` each (BOOLEAN as one byte 0/1, INT96 as 12
 * bytes), BYTE_ARRAY as slices into the page (or into the decoder's arena for
 * DELTA_BYTE_ARRAY, valid until the next call). All reads are bounds-checked;
 * a failure returns -1 with a static reason in *why.
 */
#ifndef DT_PQ_ENCODING_H
#define DT_PQ_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* The most values one *_get call may ask for. */
#define DT_PQ_CHUNK 1024

typedef struct dt_pq_slice {
    const uint8_t *p;
    size_t len;
} dt_pq_slice;

/* Bytes per value of a fixed-width physical type (type_length for
 * FIXED_LEN_BYTE_ARRAY, 1 for BOOLEAN); 0 for BYTE_ARRAY. */
size_t dt_pq_value_width(int ptype, int width);

/* The RLE / bit-packed hybrid (levels, dictionary indices, RLE booleans), or,
 * with msb set, the deprecated BIT_PACKED level encoding. */
typedef struct dt_pq_rle {
    const uint8_t *p, *end;
    int bw;
    bool msb;
    uint64_t rle_left;
    uint32_t rle_value;
    const uint8_t *bp; /* bit-packed run data */
    size_t bp_bytes;   /* bytes of it present */
    uint64_t bp_left, bp_pos;
} dt_pq_rle;

void dt_pq_rle_init(dt_pq_rle *d, const uint8_t *p, size_t n, int bw, bool msb);
int dt_pq_rle_get(dt_pq_rle *d, uint32_t *out, size_t n, const char **why);
/* The same for bit width 1 (a flat column's definition levels, RLE booleans):
 * values as bytes 0 or 1, and in *ones how many are 1. */
int dt_pq_rle_get_flags(dt_pq_rle *d, uint8_t *out, size_t n, size_t *ones, const char **why);

/* DELTA_BINARY_PACKED, decoded in 64-bit wrapping arithmetic. */
typedef struct dt_pq_delta {
    const uint8_t *p, *end;
    uint64_t block_size, miniblocks, per_mini, total, done;
    uint64_t last, min_delta;
    const uint8_t *widths; /* this block's miniblock bit widths */
    uint64_t mini;         /* current miniblock (== miniblocks: need a block) */
    const uint8_t *mdata;  /* its data */
    uint64_t mpos;         /* values taken from it */
} dt_pq_delta;

int dt_pq_delta_init(dt_pq_delta *d, const uint8_t *p, size_t n, const char **why);
int dt_pq_delta_get(dt_pq_delta *d, int64_t *out, size_t n, const char **why);
/* Where the stream that starts at p ends (DELTA_BINARY_PACKED carries no length). */
int dt_pq_delta_skip(const uint8_t *p, size_t n, const uint8_t **end, const char **why);

/* A decoded dictionary: values in physical form as above. */
typedef struct dt_pq_dict {
    size_t n;
    uint8_t *fixed;      /* n * width bytes */
    dt_pq_slice *slices; /* BYTE_ARRAY: into the dictionary page buffer */
    const uint8_t *end;  /* BYTE_ARRAY: the end of that buffer */
} dt_pq_dict;

/* A page's value decoder. ptype is the physical type (meta.h), width the bytes
 * per fixed-width value (type_length for FIXED_LEN_BYTE_ARRAY). */
typedef struct dt_pq_vdec {
    int encoding, ptype, width;
    const uint8_t *p, *end;
    uint64_t bit;            /* PLAIN BOOLEAN */
    dt_pq_rle rle;           /* dictionary indices, RLE BOOLEAN */
    dt_pq_delta d1, d2;      /* values, lengths, prefix lengths */
    const uint8_t *data;     /* DELTA_LENGTH/DELTA_BYTE_ARRAY bytes */
    size_t bss_n, bss_pos;   /* BYTE_STREAM_SPLIT */
    const dt_pq_dict *dict;
    dt_buf prev, arena;      /* DELTA_BYTE_ARRAY */
    /* after a get into slices: the end of the buffer they point into (bytes
     * up to it may be read past a value's end), NULL if unknown */
    const uint8_t *slices_end;
    /* scratch of DT_PQ_CHUNK entries, allocated when an encoding first needs it */
    uint32_t *idx;
    int64_t *ints, *ints2;
    dt_pq_slice *tmp, *fixed_tmp;
} dt_pq_vdec;

int dt_pq_vdec_init(dt_pq_vdec *v, int encoding, int ptype, int width, const uint8_t *p, size_t n,
                    const dt_pq_dict *dict, const char **why);
/* The next n (<= DT_PQ_CHUNK) values, into fixed (n * width bytes) or slices. */
int dt_pq_vdec_get(dt_pq_vdec *v, size_t n, uint8_t *fixed, dt_pq_slice *slices, const char **why);
void dt_pq_vdec_free(dt_pq_vdec *v);

/* Decodes a PLAIN dictionary page of n values; slices point into p. */
int dt_pq_dict_decode(dt_pq_dict *d, int ptype, int width, const uint8_t *p, size_t len, size_t n,
                      const char **why);
void dt_pq_dict_free(dt_pq_dict *d);

#endif /* DT_PQ_ENCODING_H */
