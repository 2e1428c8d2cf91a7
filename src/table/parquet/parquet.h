/*
 * parquet.h: the Parquet codec (docs/formats.md, "Parquet writer" and "Parquet
 * reader"): a deterministic streaming
 * writer and a defensive reader, both over dt_table batches.
 */
#ifndef DT_PARQUET_H
#define DT_PARQUET_H

#include "table/table.h"

typedef enum dt_pq_codec { DT_PQ_UNCOMPRESSED, DT_PQ_SNAPPY, DT_PQ_ZSTD } dt_pq_codec;

typedef struct dt_pq_options {
    dt_pq_codec codec;       /* default DT_PQ_SNAPPY */
    size_t row_group_rows;   /* 0: a default that bounds memory */
    size_t dict_max_bytes;   /* 0: a default; past it, PLAIN */
} dt_pq_options;

void dt_pq_options_default(dt_pq_options *o);
int dt_pq_codec_parse(const char *s, dt_pq_codec *out); /* "snappy", "zstd", "none" */

typedef struct dt_pq_writer dt_pq_writer;
int dt_pq_writer_open(dt_pq_writer **out, const dt_schema *s, const dt_pq_options *o, dt_sink sink);
int dt_pq_writer_write(dt_pq_writer *w, const dt_table *batch);
int dt_pq_writer_close(dt_pq_writer *w); /* writes the footer, frees w */
void dt_pq_writer_abort(dt_pq_writer *w);

typedef struct dt_pq_reader dt_pq_reader;
/* Opens and validates the footer; errors name PATH and what is wrong. */
int dt_pq_open(dt_pq_reader **out, const char *path);
const dt_schema *dt_pq_schema(const dt_pq_reader *r);
uint64_t dt_pq_num_rows(const dt_pq_reader *r);
/* Next batch (owned by the reader, valid until the next call), or *out = NULL at the end. */
int dt_pq_next(dt_pq_reader *r, dt_table **out);
void dt_pq_close(dt_pq_reader *r);

#endif /* DT_PARQUET_H */
