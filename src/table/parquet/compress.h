/*
 * compress.h: page compression for the Parquet writer. One compressor per
 * writer keeps its scratch (and zstd's context) between pages, so compressing
 * a page allocates nothing in the steady state.
 *
 * ZSTD is written at a fixed level (DT_PQ_ZSTD_LEVEL) so output is the same on
 * every run; SNAPPY has no level.
 */
#ifndef DT_PQ_COMPRESS_H
#define DT_PQ_COMPRESS_H

#include "table/parquet/parquet.h"

#define DT_PQ_ZSTD_LEVEL 3

typedef struct dt_pq_compressor {
    dt_pq_codec codec;
    void *zctx; /* ZSTD_CCtx, made on first use */
    dt_buf out;
} dt_pq_compressor;

void dt_pq_compressor_init(dt_pq_compressor *c, dt_pq_codec codec);
void dt_pq_compressor_free(dt_pq_compressor *c);
/* Compresses P[0..N); *OUT points at the result (P itself for UNCOMPRESSED,
 * else the compressor's buffer, valid until the next call). */
int dt_pq_compress(dt_pq_compressor *c, const void *p, size_t n, const uint8_t **out, size_t *out_len);
/* Parquet's CompressionCodec number for CODEC. */
int dt_pq_codec_thrift(dt_pq_codec codec);

#endif /* DT_PQ_COMPRESS_H */
