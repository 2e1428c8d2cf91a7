/*
 * reader.h: internal entry points of the Parquet reader beyond parquet.h.
 */
#ifndef DT_PQ_READER_H
#define DT_PQ_READER_H

#include "table/parquet/parquet.h"

/* Like dt_pq_open, over bytes in memory (not copied: they must outlive the
 * reader). NAME is what errors call the file. For tests and fuzzing. */
int dt_pq_open_mem(dt_pq_reader **out, const char *name, const void *p, size_t n);

/* Rows per batch that dt_pq_next yields at most (a row group is cut into such
 * batches). */
#define DT_PQ_BATCH_ROWS 65536
/* A batch also ends (at a slab boundary) once its string and binary values
 * reach this many bytes. */
#define DT_PQ_BATCH_BYTES ((size_t)64 << 20)

#endif /* DT_PQ_READER_H */
