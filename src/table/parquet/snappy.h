/*
 * snappy.h: the reader's own snappy decoder (the raw format of
 * google/snappy's format_description.txt, as Parquet's SNAPPY pages hold it).
 * The writer compresses with libsnappy (compress.c); decoding is done here
 * because it is a third of a scan and the decoder can be tuned for pages: it
 * copies in fixed 16-byte steps away from the end of the output and exactly
 * near it, so it needs no slack in any buffer and never reads or writes
 * outside the ones it was given.
 */
#ifndef DT_PQ_SNAPPY_H
#define DT_PQ_SNAPPY_H

#include <stddef.h>
#include <stdint.h>

/* The uncompressed length a snappy stream states in its preamble (a varint
 * of at most 32 bits); -1 if the preamble is damaged. *used gets its bytes. */
int dt_snappy_length(const uint8_t *src, size_t n, size_t *len, size_t *used);

/* Decodes the stream src[0..n) into dst, which must be exactly the length the
 * preamble states (dst_len). 0 if the stream is valid and fills dst exactly,
 * -1 otherwise (truncated, overlong, an offset before the start, a copy past
 * the end, trailing bytes). */
int dt_snappy_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len);

#endif /* DT_PQ_SNAPPY_H */
