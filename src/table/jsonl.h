/*
 * jsonl.h: a batch's rows as JSON lines, the way `datom cat --json` prints
 * them: one object per row, keys in column order; bools and numbers as JSON
 * values (integers, uint64 and decimals in full, however many digits), NaN
 * and infinities, which JSON lacks, as the strings "NaN", "Infinity" and
 * "-Infinity" (so they stay apart from null); dates, timestamps, times,
 * intervals, strings and binaries (hex) as strings, missing values as null.
 */
#ifndef DT_JSONL_H
#define DT_JSONL_H

#include "table/table.h"

/* Appends row ROW of T, with its newline, to OUT; TMP is scratch. */
void dt_jsonl_row(const dt_table *t, size_t row, dt_buf *out, dt_buf *tmp);
/* Appends S[0..n) as a JSON string (quotes, escapes) to OUT. */
void dt_json_string_out(const char *s, size_t n, dt_buf *out);

#endif /* DT_JSONL_H */
