/*
 * thrift_write.h: a Thrift compact-protocol encoder, just enough for Parquet
 * metadata (page headers and FileMetaData). No runtime, no IDL: the writer
 * calls these with the field ids of parquet.thrift.
 *
 * Structs nest: dt_tw_begin_struct() after a field header (or as a list
 * element) opens one, dt_tw_end_struct() writes its stop byte. Field ids within
 * a struct must be written in increasing order (the delta encoding needs it).
 */
#ifndef DT_PQ_THRIFT_WRITE_H
#define DT_PQ_THRIFT_WRITE_H

#include "core/core.h"

/* Compact protocol type codes. */
enum {
    DT_TC_BOOL_TRUE = 1,
    DT_TC_BOOL_FALSE = 2,
    DT_TC_BYTE = 3,
    DT_TC_I16 = 4,
    DT_TC_I32 = 5,
    DT_TC_I64 = 6,
    DT_TC_DOUBLE = 7,
    DT_TC_BINARY = 8,
    DT_TC_LIST = 9,
    DT_TC_STRUCT = 12,
};

#define DT_TW_MAX_DEPTH 16

typedef struct dt_tw {
    dt_buf *out;
    int depth;
    int16_t last[DT_TW_MAX_DEPTH]; /* last field id written, per open struct */
} dt_tw;

/* Starts encoding into OUT (appends); the outermost struct is open. */
void dt_tw_init(dt_tw *w, dt_buf *out);

void dt_tw_i32(dt_tw *w, int16_t id, int32_t v);
void dt_tw_i64(dt_tw *w, int16_t id, int64_t v);
void dt_tw_i16(dt_tw *w, int16_t id, int16_t v);
void dt_tw_bool(dt_tw *w, int16_t id, bool v);
void dt_tw_byte(dt_tw *w, int16_t id, int8_t v); /* an i8, written as its one byte */
void dt_tw_binary(dt_tw *w, int16_t id, const void *p, size_t n);
void dt_tw_string(dt_tw *w, int16_t id, const char *s);
/* A struct-valued field: header, then the struct is open until dt_tw_end_struct. */
void dt_tw_struct(dt_tw *w, int16_t id);
/* An empty struct-valued field (e.g. a union member such as StringType). */
void dt_tw_empty_struct(dt_tw *w, int16_t id);
/* A list field header; the n elements follow (dt_tw_elem_* or dt_tw_begin_struct). */
void dt_tw_list(dt_tw *w, int16_t id, int elem_type, size_t n);

/* List elements. */
void dt_tw_elem_i32(dt_tw *w, int32_t v);
void dt_tw_elem_binary(dt_tw *w, const void *p, size_t n);
void dt_tw_begin_struct(dt_tw *w); /* a struct element of a list */

/* Closes the innermost open struct (the outermost too: its stop byte). */
void dt_tw_end_struct(dt_tw *w);

/* Raw compact-protocol varint helpers (also used for list lengths). */
void dt_tw_varint(dt_buf *b, uint64_t v);

#endif /* DT_PQ_THRIFT_WRITE_H */
