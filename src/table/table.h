/*
 * table.h: the typed, columnar in-memory table that every codec reads into and
 * writes from, and that data_sha (cv1) is computed over.
 *
 * A dt_table is one *batch*: a run of rows of a schema. Large inputs stream as
 * a sequence of batches of one schema, so no codec ever holds a whole file.
 *
 * Values live in flat arrays per column (as in Arrow): fixed-width kinds in
 * `vals`, strings and binaries as `offsets` (nrow+1 int64) into `data`.
 * Missing values are a validity bitmap (bit i set = row i present, LSB first),
 * separate from NaN; `valid == NULL` means no value is missing. The slot of a
 * missing value holds zero (or an empty string), never garbage.
 */
#ifndef DT_TABLE_H
#define DT_TABLE_H

#include "core/core.h"

typedef enum dt_kind {
    DT_BOOL,       /* uint8_t 0/1 per row */
    DT_INT32,      /* int32_t */
    DT_INT64,      /* int64_t */
    DT_DOUBLE,     /* double */
    DT_STRING,     /* UTF-8, offsets + data */
    DT_DATE,       /* int32_t days since 1970-01-01 */
    DT_TIMESTAMP,  /* int64_t `unit`s (ms, us, ns) since the epoch; `utc` as below */
    DT_DURATION,   /* int64_t amounts of `unit` (s, ms, us, ns) */
    DT_DECIMAL,    /* int64_t unscaled value; precision <= 18, `scale` digits */
    DT_BINARY,     /* bytes, offsets + data */
    DT_UINT64,     /* uint64_t */
    DT_TIME,       /* int64_t `unit`s (ms, us, ns) since midnight; `utc` as below */
    DT_DECIMAL128, /* 16 bytes: little-endian two's complement unscaled value; precision 19..38 */
    DT_INTERVAL,   /* 12 bytes: months, days, milliseconds, each uint32_t little-endian (Parquet's INTERVAL) */
    DT_KIND_COUNT
} dt_kind;

typedef enum dt_time_unit { DT_UNIT_S, DT_UNIT_MS, DT_UNIT_US, DT_UNIT_NS } dt_time_unit;

/* A column's type and name: what a schema is made of. */
typedef struct dt_field {
    char *name;
    dt_kind kind;
    dt_time_unit unit; /* DT_TIMESTAMP, DT_TIME (ms, us, ns); DT_DURATION (any) */
    bool utc;          /* DT_TIMESTAMP: an instant (Parquet's isAdjustedToUTC), else a
                        * local date-time with no zone; DT_TIME: a UTC time of day */
    int32_t precision; /* DT_DECIMAL, DT_DECIMAL128 */
    int32_t scale;     /* DT_DECIMAL, DT_DECIMAL128 */
} dt_field;

typedef struct dt_schema {
    size_t ncol;
    dt_field *fields;
} dt_schema;

typedef struct dt_column {
    dt_field field;
    uint8_t *valid;    /* NULL: no value missing */
    size_t null_count;
    void *vals;        /* fixed-width kinds: nrow elements */
    int64_t *offsets;  /* DT_STRING / DT_BINARY: nrow + 1 */
    char *data;        /* DT_STRING / DT_BINARY bytes */
    size_t data_len, data_cap;
    size_t len;        /* rows held (equals the table's nrow between rows) */
    size_t cap;        /* rows allocated */
} dt_column;

typedef struct dt_table {
    size_t nrow;
    size_t ncol;
    dt_column *cols;
} dt_table;

const char *dt_kind_name(dt_kind k);           /* "int64", "string", ... */
int dt_kind_parse(const char *s, dt_kind *out); /* the inverse; error names s */
size_t dt_kind_width(dt_kind k);               /* bytes per value; 0 for var-width */
/* Sets f's kind with that kind's default attributes: timestamps in
 * microseconds, UTC; times of day in microseconds, not UTC; durations in
 * seconds. */
void dt_field_set_kind(dt_field *f, dt_kind k);
/* The kind with its attributes, as `datom schema` shows it: "int64",
 * "timestamp(ns)", "timestamp(us, UTC)", "time(us)", "decimal(12,3)"... */
void dt_field_describe(const dt_field *f, dt_buf *out);
/* Same kind and, where the kind has them, the same attributes. */
bool dt_field_same_type(const dt_field *a, const dt_field *b);
const char *dt_unit_name(dt_time_unit u); /* "s", "ms", "us", "ns" */
/* The divisor that turns f's unit into seconds: 1, 1e3, 1e6 or 1e9. */
int64_t dt_unit_per_second(dt_time_unit u);

/* Schemas. */
void dt_schema_init(dt_schema *s, size_t ncol);
void dt_schema_set(dt_schema *s, size_t i, const char *name, dt_kind kind);
void dt_schema_copy(dt_schema *dst, const dt_schema *src);
void dt_schema_free(dt_schema *s);
int dt_schema_index(const dt_schema *s, const char *name); /* -1 if absent */

/* Tables (batches). dt_table_new makes an empty batch of the schema with room
 * for `cap_rows` rows; appends grow it. */
dt_table *dt_table_new(const dt_schema *s, size_t cap_rows);
void dt_table_free(dt_table *t);
void dt_table_clear(dt_table *t); /* nrow = 0, keeps schema and capacity */
void dt_table_schema(const dt_table *t, dt_schema *out); /* a copy */

/* Appending one value to column c. Columns are filled one row at a time, all
 * columns to the same length, then dt_table_end_row() (or set nrow directly
 * after filling columns wholesale). */
void dt_col_append_null(dt_column *c);
void dt_col_append_bool(dt_column *c, bool v);
void dt_col_append_i32(dt_column *c, int32_t v);   /* DT_INT32, DT_DATE */
void dt_col_append_i64(dt_column *c, int64_t v);   /* DT_INT64, DT_TIMESTAMP, DT_DURATION, DT_DECIMAL, DT_TIME */
void dt_col_append_u64(dt_column *c, uint64_t v);  /* DT_UINT64 */
void dt_col_append_f64(dt_column *c, double v);
void dt_col_append_bytes(dt_column *c, const void *p, size_t n); /* DT_STRING, DT_BINARY */
/* Appends row `row` of src (a column of the same kind), missing or not. */
void dt_col_append_value(dt_column *dst, const dt_column *src, size_t row);
/* Appends n values of a fixed-width kind at once: vals packed, dt_kind_width
 * bytes each; present[i] == 0 marks row i missing (its slot must hold zero);
 * present NULL: none missing. */
void dt_col_append_fixed(dt_column *c, const void *vals, const uint8_t *present, size_t n);

/* Bulk appends, for decoders that write a column's arrays directly: make room
 * with dt_col_reserve (rows in all) and, for strings, dt_col_reserve_data (n
 * more bytes, plus DT_COL_SLACK so short values can be moved in fixed steps);
 * write vals, or offsets[len + 1 ..] and data (and data_len), for the new
 * rows; then dt_col_mark_present counts them in. */
/* The most columns a table may have (docs/formats.md, "Limits"): the CSV
 * and Parquet readers refuse more, before anything is allocated per column. */
#define DT_TABLE_MAX_COLUMNS 32767

#define DT_COL_SLACK 16
void dt_col_reserve(dt_column *c, size_t rows);
void dt_col_reserve_data(dt_column *c, size_t n);
/* Ends a bulk append of n rows at c->len: present[i] == 0 marks row len + i
 * missing (its slot must hold zero, or an empty string); present NULL: none
 * missing. */
void dt_col_mark_present(dt_column *c, const uint8_t *present, size_t n);
void dt_table_end_row(dt_table *t);     /* nrow++ (checks every column has nrow+1 values) */

static inline bool dt_col_is_valid(const dt_column *c, size_t i)
{
    return !c->valid || (c->valid[i >> 3] >> (i & 7)) & 1;
}
static inline const char *dt_col_str(const dt_column *c, size_t i, size_t *len)
{
    *len = (size_t)(c->offsets[i + 1] - c->offsets[i]);
    return c->data + c->offsets[i];
}
#define DT_COL(c, type) ((type *)(c)->vals)

/* Value equality of two batches (same schema, same values, NaN == NaN, nulls
 * equal): for tests. On a difference, describes it in msg. */
bool dt_table_equal(const dt_table *a, const dt_table *b, char *msg, size_t msg_cap);

/* Formatting one value as text (spell.c), the way CSV output and `datom cat` spell it
 * (docs/formats.md, "CSV"): shortest round-trip doubles, NaN/Inf/-Inf, ISO
 * dates and timestamps (a Z on instants only), times of day, ISO-8601
 * intervals. Appends to out; a missing value appends nothing. */
void dt_value_format(const dt_column *c, size_t row, dt_buf *out);
/* The same for a present value of a fixed-width kind, written at out (room
 * for DT_VALUE_MAX bytes, not NUL-terminated); returns its length. */
#define DT_VALUE_MAX 64
size_t dt_value_spell(const dt_column *c, size_t row, char *out);

#endif /* DT_TABLE_H */
