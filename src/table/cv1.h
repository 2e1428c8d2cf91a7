/*
 * cv1.h: data_sha, the content hash "datom-cv1" of a table (docs/formats.md,
 * "data_sha"), computed as batches stream past, so a table of any size is
 * hashed in bounded memory while it is being converted to Parquet.
 *
 * A column is hashed as the R package datom 0.1.1 hashes what R's arrow
 * package gives for it (integer, double, integer64, Date, POSIXct, hms,
 * character), whenever that holds the column's values exactly: so R and datom
 * agree on data_sha for every table R can hold. Where R's value would lose
 * information (uint64 past 2^53, decimals and times past 2^52 units, such as
 * nanosecond timestamps of today, int64 holding R's NA pattern), two different
 * tables would share R's hash: datom then hashes the exact values under a tag
 * of its own (an "x..." tag R never writes). Which one a column gets depends on
 * all its values, so both are computed while it streams and one is kept.
 *
 *   bool, int32, double -> num; date -> date; string -> chr
 *   int64 -> num while every value fits R's integer, else i64 (R's integer64)
 *   uint64 -> num up to 2^53, else xu64
 *   decimal, decimal128 -> num while |unscaled| < 2^52, else xdec64(S) / xdec128(S)
 *   timestamp -> time (seconds) while |value| < 2^52 units, else xtime(UNIT)
 *   time, duration -> drtn (seconds, "secs") while |value| < 2^52, else xdrtn(UNIT)
 *   binary, interval -> refused
 *
 * Memory: numeric columns feed their SHA-256 as batches arrive. A chr column
 * hashes all its missing-flags before any value, so its flags are hashed as
 * they arrive and its values are spooled: in memory up to a budget shared by
 * the chr columns (default 64 MiB), beyond that in an unlinked temporary file
 * per column, read back once at the end. Memory stays bounded; the extra cost
 * for huge string columns is one sequential write and read of their bytes.
 */
#ifndef DT_CV1_H
#define DT_CV1_H

#include "table/table.h"

#define DT_CV1_ALGO "datom-cv1"

/* How int64 columns are hashed. */
typedef enum dt_cv1_int64 {
    DT_CV1_INT64_AUTO, /* as R's arrow reads them: num if every value fits R's integer, else i64 */
    DT_CV1_INT64_I64,  /* always i64 (R's integer64: arrow.int64_downcast = FALSE, `datom write --int64`) */
    DT_CV1_INT64_NUM,  /* always num (with `legacy`: how datom 0.1.0 hashed them by default) */
} dt_cv1_int64;

typedef struct dt_cv1_options {
    dt_cv1_int64 int64;
    /* R's encodings for every value, never an exact x-tag: how datom 0.1.0
     * hashed, for recomputing the data_sha of versions it wrote */
    bool legacy;
    const char *tmpdir; /* where chr values spill; NULL: $TMPDIR, else /tmp */
    size_t spool_mem;   /* in-memory budget for chr values; 0: 64 MiB */
} dt_cv1_options;

typedef struct dt_cv1 dt_cv1;

/* R's cv1 tag of a field ("num", "chr", ...), the one it gets when R's value
 * is exact; NULL when it cannot be hashed. */
const char *dt_cv1_tag(const dt_field *f, dt_cv1_int64 int64);

/* Starts hashing a table of schema S (o may be NULL). A schema with no column,
 * or with columns that cannot be hashed, is DATOM_EINVAL naming every
 * offending column. */
int dt_cv1_begin(dt_cv1 **out, const dt_schema *s, const dt_cv1_options *o);
/* Feeds one batch of the schema. */
int dt_cv1_add(dt_cv1 *h, const dt_table *batch);
/* Ends: writes data_sha. Zero rows is DATOM_EINVAL. */
int dt_cv1_finish(dt_cv1 *h, char data_sha[DATOM_SHA_HEX]);
/* After finish: the hex hash of column i (for metadata.json column_hashes),
 * and the tag it was hashed under. */
const char *dt_cv1_column_sha(const dt_cv1 *h, size_t i);
const char *dt_cv1_column_tag(const dt_cv1 *h, size_t i);
uint64_t dt_cv1_nrow(const dt_cv1 *h);
void dt_cv1_free(dt_cv1 *h);

/* One batch that is the whole table. */
int dt_cv1_table(const dt_table *t, const dt_cv1_options *o, char data_sha[DATOM_SHA_HEX]);

#endif /* DT_CV1_H */
