/*
 * csv.h: reading and writing CSV as dt_table batches (specs/parquet.md, "CSV").
 *
 * The reader infers one schema for the whole file first (deterministically,
 * documented in docs/formats.md), unless a column's kind is forced, then
 * yields batches of that schema. Errors name the file, line and column.
 */
#ifndef DT_CSV_H
#define DT_CSV_H

#include "table/table.h"

typedef struct dt_csv_options {
    char delim;              /* 0: sniff among , ; tab | */
    const char **na;         /* missing-value tokens; NULL: {"", "NA"} */
    size_t n_na;
    const dt_schema *forced; /* columns whose kind is forced, by name; may be NULL */
    size_t batch_rows;       /* 0: a default */
} dt_csv_options;

typedef struct dt_csv_reader dt_csv_reader;

int dt_csv_open(dt_csv_reader **out, const char *path, const dt_csv_options *opt);
/* The same over bytes in memory (not copied: they must outlive the reader);
 * NAME is what messages call them. */
int dt_csv_open_mem(dt_csv_reader **out, const char *name, const void *data, size_t len,
                    const dt_csv_options *opt);
const dt_schema *dt_csv_schema(const dt_csv_reader *r);
/* Next batch in *out (owned by the reader, valid until the next call), or
 * *out = NULL at the end. */
int dt_csv_next(dt_csv_reader *r, dt_table **out);
void dt_csv_close(dt_csv_reader *r);

/* The writer: delim 0 is ','. Missing values are empty fields; the empty
 * string and "NA" are quoted so that they read back as strings. */
typedef struct dt_csv_writer dt_csv_writer;
int dt_csv_writer_open(dt_csv_writer **out, const dt_schema *s, char delim, dt_sink sink);
int dt_csv_writer_write(dt_csv_writer *w, const dt_table *batch);
int dt_csv_writer_close(dt_csv_writer *w); /* flushes and frees */

#endif /* DT_CSV_H */
