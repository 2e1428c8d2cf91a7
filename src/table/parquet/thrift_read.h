/*
 * thrift_read.h: a small decoder for the Thrift *compact protocol*, the
 * encoding of Parquet's metadata (FileMetaData, PageHeader). No runtime and no
 * generated code: meta.c walks each struct with these primitives.
 *
 * Errors are sticky: the first failure records a short reason in `err`, every
 * later read returns zero values and field iteration stops, so a struct walker
 * checks `err` once at the end. Input is never trusted: each length and count
 * is checked against the bytes that remain, and nesting depth is bounded.
 */
#ifndef DT_PQ_THRIFT_READ_H
#define DT_PQ_THRIFT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    DT_TC_STOP = 0,
    DT_TC_TRUE = 1,
    DT_TC_FALSE = 2,
    DT_TC_BYTE = 3,
    DT_TC_I16 = 4,
    DT_TC_I32 = 5,
    DT_TC_I64 = 6,
    DT_TC_DOUBLE = 7,
    DT_TC_BINARY = 8,
    DT_TC_LIST = 9,
    DT_TC_SET = 10,
    DT_TC_MAP = 11,
    DT_TC_STRUCT = 12,
};

#define DT_TC_MAX_DEPTH 32

typedef struct dt_tc_reader {
    const uint8_t *p, *end;
    int depth;
    const char *err; /* first failure, NULL while all is well */
} dt_tc_reader;

void dt_tc_init(dt_tc_reader *r, const void *p, size_t n);
size_t dt_tc_consumed(const dt_tc_reader *r, const void *start);
/* Sets err (if not set yet); returns false, so `return dt_tc_fail(...)` reads well. */
bool dt_tc_fail(dt_tc_reader *r, const char *why);

/* Struct walking. Call dt_tc_struct_enter before a struct's fields and
 * dt_tc_struct_leave after its STOP. dt_tc_field reads the next field header:
 * returns false at STOP (or on error), else sets *id and *type; `last` is the
 * walker's previous field id (start at 0). */
bool dt_tc_struct_enter(dt_tc_reader *r);
void dt_tc_struct_leave(dt_tc_reader *r);
bool dt_tc_field(dt_tc_reader *r, int16_t *last, int16_t *id, int *type);

/* Values. A field's value must be read with the reader of its type (checked:
 * a mismatch is an error, because the struct would be misread). */
int64_t dt_tc_int(dt_tc_reader *r, int type);           /* BYTE, I16, I32, I64 */
int32_t dt_tc_i32(dt_tc_reader *r, int type);           /* also checks the range */
bool dt_tc_bool(dt_tc_reader *r, int type);             /* field bools: type is the value */
const uint8_t *dt_tc_binary(dt_tc_reader *r, int type, size_t *len);
char *dt_tc_string(dt_tc_reader *r, int type);          /* malloc'd copy; NULL on error */
/* List header: element type and count; the count is bounded by remaining bytes. */
bool dt_tc_list(dt_tc_reader *r, int type, int *elem_type, size_t *count);
void dt_tc_skip(dt_tc_reader *r, int type);

#endif /* DT_PQ_THRIFT_READ_H */
