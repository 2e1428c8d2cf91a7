/*
 * thrift_write.c: the Thrift compact-protocol encoder the Parquet writer uses
 * for page headers and the footer (see thrift_write.h). Fields are written in
 * the order the caller gives, so the bytes are a pure function of the calls:
 * that is what makes the writer's output deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "table/parquet/thrift_write.h"

void dt_tw_varint(dt_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    dt_buf_append(b, tmp, n);
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

void dt_tw_init(dt_tw *w, dt_buf *out)
{
    w->out = out;
    w->depth = 0;
    w->last[0] = 0;
}

static void field_header(dt_tw *w, int16_t id, int type)
{
    int16_t delta = (int16_t)(id - w->last[w->depth]);
    if (delta > 0 && delta <= 15) {
        uint8_t b = (uint8_t)((delta << 4) | type);
        dt_buf_append(w->out, &b, 1);
    } else {
        uint8_t b = (uint8_t)type;
        dt_buf_append(w->out, &b, 1);
        dt_tw_varint(w->out, zigzag(id));
    }
    w->last[w->depth] = id;
}

void dt_tw_i32(dt_tw *w, int16_t id, int32_t v)
{
    field_header(w, id, DT_TC_I32);
    dt_tw_varint(w->out, zigzag(v));
}

void dt_tw_i64(dt_tw *w, int16_t id, int64_t v)
{
    field_header(w, id, DT_TC_I64);
    dt_tw_varint(w->out, zigzag(v));
}

void dt_tw_i16(dt_tw *w, int16_t id, int16_t v)
{
    field_header(w, id, DT_TC_I16);
    dt_tw_varint(w->out, zigzag(v));
}

void dt_tw_bool(dt_tw *w, int16_t id, bool v) { field_header(w, id, v ? DT_TC_BOOL_TRUE : DT_TC_BOOL_FALSE); }

void dt_tw_byte(dt_tw *w, int16_t id, int8_t v)
{
    field_header(w, id, DT_TC_BYTE);
    dt_buf_putc(w->out, (char)v);
}

void dt_tw_binary(dt_tw *w, int16_t id, const void *p, size_t n)
{
    field_header(w, id, DT_TC_BINARY);
    dt_tw_elem_binary(w, p, n);
}

void dt_tw_string(dt_tw *w, int16_t id, const char *s) { dt_tw_binary(w, id, s, strlen(s)); }

void dt_tw_begin_struct(dt_tw *w)
{
    if (w->depth + 1 >= DT_TW_MAX_DEPTH)
        abort(); /* a bug in the caller: Parquet metadata nests a few levels */
    w->last[++w->depth] = 0;
}

void dt_tw_struct(dt_tw *w, int16_t id)
{
    field_header(w, id, DT_TC_STRUCT);
    dt_tw_begin_struct(w);
}

void dt_tw_empty_struct(dt_tw *w, int16_t id)
{
    dt_tw_struct(w, id);
    dt_tw_end_struct(w);
}

void dt_tw_end_struct(dt_tw *w)
{
    uint8_t stop = 0;
    dt_buf_append(w->out, &stop, 1);
    if (w->depth > 0)
        w->depth--;
}

void dt_tw_list(dt_tw *w, int16_t id, int elem_type, size_t n)
{
    field_header(w, id, DT_TC_LIST);
    if (n < 15) {
        uint8_t b = (uint8_t)((n << 4) | (size_t)elem_type);
        dt_buf_append(w->out, &b, 1);
    } else {
        uint8_t b = (uint8_t)(0xF0 | elem_type);
        dt_buf_append(w->out, &b, 1);
        dt_tw_varint(w->out, n);
    }
}

void dt_tw_elem_i32(dt_tw *w, int32_t v) { dt_tw_varint(w->out, zigzag(v)); }

void dt_tw_elem_binary(dt_tw *w, const void *p, size_t n)
{
    dt_tw_varint(w->out, n);
    dt_buf_append(w->out, p, n);
}
