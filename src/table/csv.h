/*
 * csv.h: reading and writing CSV as dt_table batches (docs/formats.md, "CSV").
 *
 * The reader infers one schema for the whole file first (deterministically,
 * documented in docs/formats.md), unless a column's kind is forced, then
 * yields batches of that schema. Errors name the file, line and column.
 */
#ifndef DT_CSV_H
#define DT_CSV_H

#include "table/table.h"

/* Limits, checked while reading (docs/formats.md, "Limits"): each error
 * names the file, line and column and the limit. They bound the memory a
 * hostile or broken file can take: a field or a record is held whole at
 * most once, and the work per column is constant. */
#define DT_CSV_MAX_FIELD ((size_t)256 << 20)  /* bytes of one value */
#define DT_CSV_MAX_RECORD ((size_t)512 << 20) /* bytes of one record, delimiters and quotes included */
#define DT_CSV_MAX_COLUMNS DT_TABLE_MAX_COLUMNS /* columns of a file */
#define DT_CSV_MAX_NAME 10000                 /* bytes of a column name (R's limit on names) */

typedef struct dt_csv_options {
    char delim;              /* 0: sniff among , ; tab | */
    const char **na;         /* missing-value tokens; NULL: {"", "NA"} */
    size_t n_na;
    const dt_schema *forced; /* columns whose kind is forced, by name; may be NULL */
    size_t batch_rows;       /* 0: a default */
    bool one_pass;           /* guess kinds from the first rows; see DT_CSV_RESTART */
    size_t prefix_rows;      /* one_pass: how many first rows (0: 65,536) */
    /* Lower limits (0: the DT_CSV_MAX_* above; never higher): for tests. */
    size_t max_field, max_record, max_columns;
} dt_csv_options;

/* With one_pass, opening infers kinds from the first prefix_rows records (or
 * 16 MiB) only, and the file is read once instead of twice. If a later value
 * does not fit (or a column empty so far gets a value), dt_csv_next infers
 * the rest of the file, rewinds and returns DT_CSV_RESTART (positive): the
 * schema has changed, the batches handed out so far are void, and the next
 * call starts again at the first row. That happens at most once, and the
 * final schema is the one the default two passes give. Errors that two
 * passes find at opening (ragged rows, bad UTF-8, bad forced values) may come
 * from dt_csv_next instead. For callers that can start their output again
 * (`datom convert` writes a temporary file). */
#define DT_CSV_RESTART 1

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
/* Bytes of the file read so far (of the second pass), and its size: for progress. */
uint64_t dt_csv_offset(const dt_csv_reader *r);
uint64_t dt_csv_size(const dt_csv_reader *r);

/* The writer: delim 0 is ','. Missing values are empty fields; the empty
 * string and "NA" are quoted so that they read back as strings. */
typedef struct dt_csv_writer dt_csv_writer;
int dt_csv_writer_open(dt_csv_writer **out, const dt_schema *s, char delim, dt_sink sink);
int dt_csv_writer_write(dt_csv_writer *w, const dt_table *batch);
int dt_csv_writer_close(dt_csv_writer *w); /* flushes and frees */

#endif /* DT_CSV_H */
