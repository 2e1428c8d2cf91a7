/*
 * source.h: where the Parquet reader's bytes come from. A file is read with
 * pread into buffers its readers own and reuse, page by page, so what stays
 * resident is the pages being decoded, never the file (a mapping would keep
 * every page it touched). Bytes already in memory (dt_pq_open_mem) are used
 * in place.
 */
#ifndef DT_PQ_SOURCE_H
#define DT_PQ_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dt_pq_src {
    int fd;             /* -1: the bytes are mem */
    const uint8_t *mem;
    uint64_t size;
} dt_pq_src;

/* A reusable read buffer. */
typedef struct dt_pq_rbuf {
    uint8_t *data;
    size_t cap;
} dt_pq_rbuf;

/* Bytes [off, off + n) of the source, which the caller has checked lie
 * inside it: in place from memory, else read into buf (grown as needed; its
 * earlier contents are gone). 0, an errno value, or -1 if the file ended
 * before off + n (it changed since it was opened). */
int dt_pq_src_read(const dt_pq_src *s, uint64_t off, size_t n, dt_pq_rbuf *buf,
                   const uint8_t **out);
void dt_pq_rbuf_free(dt_pq_rbuf *b);

#endif /* DT_PQ_SOURCE_H */
