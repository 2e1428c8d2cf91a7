/*
 * csv_internal.h: what the CSV reader, writer and inference share inside the
 * table layer: parsers of one field's text as each kind (csv_infer.c), and
 * the kind bits type inference narrows per column.
 */
#ifndef DT_CSV_INTERNAL_H
#define DT_CSV_INTERNAL_H

#include "table/table.h"

/* One bit per kind a CSV value can be inferred as; STRING needs no bit. */
enum {
    DT_CSV_BOOL = 1u << 0,
    DT_CSV_INT = 1u << 1,
    DT_CSV_DOUBLE = 1u << 2,
    DT_CSV_DATE = 1u << 3,
    DT_CSV_TIMESTAMP = 1u << 4,
    DT_CSV_ALL = 0x1f,
};

bool dt_csv_parse_bool(const char *s, size_t n, bool *out);
bool dt_csv_parse_i64(const char *s, size_t n, int64_t *out);
bool dt_csv_parse_double(const char *s, size_t n, double *out);
bool dt_csv_parse_date(const char *s, size_t n, int32_t *out);
/* ISO-8601: a date, then optionally T or space, HH:MM[:SS[.fraction]] and
 * Z or +HH[:MM] / -HH[:MM]; no zone means UTC. *out: UTC microseconds. */
bool dt_csv_parse_timestamp(const char *s, size_t n, int64_t *out);

/* Of the kinds in `want`, the bits of those the text parses as. */
unsigned dt_csv_classify(const char *s, size_t n, unsigned want);
/* The kind inference picks from the bits left after every value. */
dt_kind dt_csv_kind_of(unsigned bits);
/* The bit of a kind CSV can read (0 for string, ~0u for kinds it cannot). */
unsigned dt_csv_kind_bit(dt_kind k);

/* Length of the longest prefix of p[0..n) made of whole, valid UTF-8
 * characters; *bad is set when the scan stopped at an invalid byte rather
 * than at a character cut by the end of the range. */
size_t dt_utf8_prefix(const uint8_t *p, size_t n, bool *bad);

#endif /* DT_CSV_INTERNAL_H */
