/*
 * decompress.h: the Parquet page codecs (UNCOMPRESSED, SNAPPY, GZIP, BROTLI,
 * ZSTD, LZ4_RAW and the deprecated LZ4 in its Hadoop framing, an LZ4 frame or
 * a raw block). The caller has bounded the claimed size and allocated dst;
 * output must fill dst exactly.
 */
#ifndef DT_PQ_DECOMPRESS_H
#define DT_PQ_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

const char *dt_pq_codec_name(int codec);
/* 0 on success; -1 with *why (static text) if the codec is unknown, the data
 * is corrupt, or it does not decompress to exactly dst_len bytes. */
int dt_pq_decompress(int codec, const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len,
                     const char **why);

/* Whether src could decompress to dst_len bytes at all, judged before
 * allocating dst: the codec's own size header where it has one, or its
 * largest possible ratio. */
bool dt_pq_decompress_plausible(int codec, const uint8_t *src, size_t src_len, size_t dst_len);

#endif /* DT_PQ_DECOMPRESS_H */
