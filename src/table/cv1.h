/*
 * cv1.h: data_sha, the content hash "datom-cv1" of a table (docs/formats.md,
 * "data_sha"), computed as batches stream past, so a table of any size is hashed
 * in bounded memory while it is being converted to Parquet.
 *
 * Column kinds of the table model map to cv1 tags:
 *   bool, int32, int64, double, decimal -> num   (int64 -> i64 when asked)
 *   string -> chr; date -> date; timestamp -> time (seconds, us / 1e6)
 *   duration -> drtn (amount in seconds, unit "secs"); binary -> refused.
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

typedef struct dt_cv1_options {
    bool int64_as_i64;  /* hash int64 columns as `i64` (R's integer64), not `num` */
    const char *tmpdir; /* where chr values spill; NULL: $TMPDIR, else /tmp */
    size_t spool_mem;   /* in-memory budget for chr values; 0: 64 MiB */
} dt_cv1_options;

typedef struct dt_cv1 dt_cv1;

/* The cv1 tag of a field ("num", "chr", ...), NULL when it cannot be hashed. */
const char *dt_cv1_tag(const dt_field *f, bool int64_as_i64);

/* Starts hashing a table of schema S (o may be NULL). A schema with no column,
 * or with columns that cannot be hashed, is DATOM_EINVAL naming every
 * offending column. */
int dt_cv1_begin(dt_cv1 **out, const dt_schema *s, const dt_cv1_options *o);
/* Feeds one batch of the schema. */
int dt_cv1_add(dt_cv1 *h, const dt_table *batch);
/* Ends: writes data_sha. Zero rows is DATOM_EINVAL. */
int dt_cv1_finish(dt_cv1 *h, char data_sha[DATOM_SHA_HEX]);
/* After finish: the hex hash of column i (for metadata.json column_hashes). */
const char *dt_cv1_column_sha(const dt_cv1 *h, size_t i);
uint64_t dt_cv1_nrow(const dt_cv1 *h);
void dt_cv1_free(dt_cv1 *h);

/* One batch that is the whole table. */
int dt_cv1_table(const dt_table *t, const dt_cv1_options *o, char data_sha[DATOM_SHA_HEX]);

#endif /* DT_CV1_H */
