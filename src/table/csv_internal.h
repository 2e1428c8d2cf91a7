/*
 * csv_internal.h: what the CSV reader, writer and inference share inside the
 * table layer: parsers of one field's text as each kind (csv_infer.c), and
 * the kind bits type inference narrows per column.
 */
#ifndef DT_CSV_INTERNAL_H
#define DT_CSV_INTERNAL_H

#include "table/table.h"

/* One bit per kind a CSV value can be read as; STRING needs no bit. */
enum {
    DT_CSV_BOOL = 1u << 0,
    DT_CSV_INT = 1u << 1,       /* int64 */
    DT_CSV_DOUBLE = 1u << 2,
    DT_CSV_DATE = 1u << 3,
    DT_CSV_TIMESTAMP = 1u << 4, /* a timestamp held exactly in microseconds */
    DT_CSV_UINT = 1u << 5,      /* uint64 */
    DT_CSV_TS_NS = 1u << 6,     /* a timestamp held exactly in nanoseconds (years 1677 to 2262) */
    DT_CSV_TS_ANY = 1u << 7,    /* a timestamp (a forced column: digits past microseconds dropped) */
    DT_CSV_TIME = 1u << 8,      /* a time of day (forced only) */
    DT_CSV_ALL = 0x7f,          /* what inference starts from */
};

bool dt_csv_parse_bool(const char *s, size_t n, bool *out);
bool dt_csv_parse_i64(const char *s, size_t n, int64_t *out);
bool dt_csv_parse_u64(const char *s, size_t n, uint64_t *out);
bool dt_csv_parse_double(const char *s, size_t n, double *out);
bool dt_csv_parse_date(const char *s, size_t n, int32_t *out);
/* ISO-8601: a date, then optionally T or space, HH:MM[:SS[.fraction]] and
 * Z or +HH[:MM] / -HH[:MM]; no zone means UTC. *us: UTC microseconds;
 * *sub_us: the nanoseconds past them (digits past nanoseconds are dropped). */
bool dt_csv_parse_timestamp(const char *s, size_t n, int64_t *us, int *sub_us);
/* The same in nanoseconds, if they hold it. */
bool dt_csv_timestamp_ns(int64_t us, int sub_us, int64_t *ns);
/* HH:MM[:SS[.fraction]] (hours to 23, or 24:00:00), an optional Z, +00 or
 * +00:00 (a UTC time is read as the same time of day); *us:
 * microseconds since midnight (digits past microseconds are dropped). */
bool dt_csv_parse_time(const char *s, size_t n, int64_t *us);

/* Of the kinds in `want`, the bits of those the text parses as. */
unsigned dt_csv_classify(const char *s, size_t n, unsigned want);
/* Gives f the kind inference picks from the bits left after every value
 * (with its unit: a timestamp in nanoseconds when microseconds do not hold
 * every value). */
void dt_csv_set_kind(dt_field *f, unsigned bits);
/* The bits to check a column forced to kind k with (0 for string, ~0u for
 * kinds CSV cannot read). */
unsigned dt_csv_kind_bit(dt_kind k);

/* Length of the longest prefix of p[0..n) made of whole, valid UTF-8
 * characters; *bad is set when the scan stopped at an invalid byte rather
 * than at a character cut by the end of the range. */
size_t dt_utf8_prefix(const uint8_t *p, size_t n, bool *bad);

#endif /* DT_CSV_INTERNAL_H */
