/*
 * input.h: an input table file, CSV or Parquet (told apart by the Parquet
 * magic "PAR1", not by the name), read as batches of one schema.
 */
#ifndef DT_INPUT_H
#define DT_INPUT_H

#include "table/csv.h"
#include "table/parquet/parquet.h"

typedef struct dt_input {
    dt_csv_reader *csv;
    dt_pq_reader *pq;
    const char *format; /* "csv" or "parquet" */
} dt_input;

int dt_input_open(dt_input *in, const char *path, const dt_csv_options *csv);
const dt_schema *dt_input_schema(const dt_input *in);
int dt_input_next(dt_input *in, dt_table **out); /* *out NULL at the end */
void dt_input_close(dt_input *in);
/* The original_format of a file: its lowercase extension ("csv", "tsv", "parquet", ...). */
char *dt_input_format_name(const char *path);

#endif /* DT_INPUT_H */
