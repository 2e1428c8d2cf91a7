/*
 * decompress.h: the Parquet page codecs (UNCOMPRESSED, SNAPPY, GZIP, BROTLI,
 * ZSTD, LZ4_RAW and the deprecated LZ4 in its Hadoop framing, an LZ4 frame or
 * a raw block).
 */
#ifndef DT_PQ_DECOMPRESS_H
#define DT_PQ_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

/* The largest page (decompressed) the reader accepts. */
#define DT_PQ_MAX_PAGE ((size_t)1 << 30)

/* Decompresses a page body to exactly len bytes into *buf (*cap bytes,
 * reallocated as needed). Space is reserved up front only where the codec
 * vouches for the length (snappy's header, a zstd frame's size) or its
 * largest ratio bounds it; otherwise it grows with the output produced, so a
 * false claim costs nothing. 0, or -1 with a static reason in *why. */
int dt_pq_decompress(int codec, const uint8_t *src, size_t src_len, size_t len, uint8_t **buf,
                     size_t *cap, const char **why);

#endif /* DT_PQ_DECOMPRESS_H */
