/*
 * thrift_read.c: the Thrift compact protocol decoder behind meta.c (see
 * thrift_read.h). Varints are at most 10 bytes, zigzag for signed ints; lists
 * carry their size in the header nibble or a following varint.
 */
#include <string.h>

#include "core/core.h"
#include "table/parquet/thrift_read.h"

void dt_tc_init(dt_tc_reader *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
    r->depth = 0;
    r->err = NULL;
}

size_t dt_tc_consumed(const dt_tc_reader *r, const void *start)
{
    return (size_t)(r->p - (const uint8_t *)start);
}

bool dt_tc_fail(dt_tc_reader *r, const char *why)
{
    if (!r->err)
        r->err = why;
    r->p = r->end;
    return false;
}

static uint64_t read_varint(dt_tc_reader *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->err)
            return 0;
        if (r->p >= r->end)
            return dt_tc_fail(r, "truncated varint"), 0;
        uint8_t b = *r->p++;
        if (shift == 63 && (b & 0x7e))
            return dt_tc_fail(r, "varint too long"), 0;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    return dt_tc_fail(r, "varint too long"), 0;
}

static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static uint8_t read_byte(dt_tc_reader *r)
{
    if (r->err)
        return 0;
    if (r->p >= r->end)
        return dt_tc_fail(r, "truncated"), 0;
    return *r->p++;
}

bool dt_tc_struct_enter(dt_tc_reader *r)
{
    if (r->err)
        return false;
    if (++r->depth > DT_TC_MAX_DEPTH)
        return dt_tc_fail(r, "structs nested too deeply");
    return true;
}

void dt_tc_struct_leave(dt_tc_reader *r)
{
    if (r->depth > 0)
        r->depth--;
}

bool dt_tc_field(dt_tc_reader *r, int16_t *last, int16_t *id, int *type)
{
    uint8_t b = read_byte(r);
    if (r->err || b == DT_TC_STOP)
        return false;
    *type = b & 0x0f;
    int delta = b >> 4;
    if (delta) {
        *id = (int16_t)(*last + delta);
    } else {
        int64_t v = unzigzag(read_varint(r));
        if (v < INT16_MIN || v > INT16_MAX)
            return dt_tc_fail(r, "field id out of range");
        *id = (int16_t)v;
    }
    if (*type > DT_TC_STRUCT)
        return dt_tc_fail(r, "unknown field type");
    *last = *id;
    return !r->err;
}

int64_t dt_tc_int(dt_tc_reader *r, int type)
{
    switch (type) {
    case DT_TC_BYTE: return (int8_t)read_byte(r);
    case DT_TC_I16:
    case DT_TC_I32:
    case DT_TC_I64: {
        int64_t v = unzigzag(read_varint(r));
        if ((type == DT_TC_I16 && (v < INT16_MIN || v > INT16_MAX)) ||
            (type == DT_TC_I32 && (v < INT32_MIN || v > INT32_MAX)))
            return dt_tc_fail(r, "integer out of range"), 0;
        return v;
    }
    default: return dt_tc_fail(r, "field has the wrong type"), 0;
    }
}

int32_t dt_tc_i32(dt_tc_reader *r, int type)
{
    int64_t v = dt_tc_int(r, type);
    if (v < INT32_MIN || v > INT32_MAX)
        return dt_tc_fail(r, "integer out of range"), 0;
    return (int32_t)v;
}

bool dt_tc_bool(dt_tc_reader *r, int type)
{
    if (type == DT_TC_TRUE)
        return true;
    if (type != DT_TC_FALSE)
        dt_tc_fail(r, "field has the wrong type");
    return false;
}

const uint8_t *dt_tc_binary(dt_tc_reader *r, int type, size_t *len)
{
    *len = 0;
    if (type != DT_TC_BINARY)
        return dt_tc_fail(r, "field has the wrong type"), NULL;
    uint64_t n = read_varint(r);
    if (r->err)
        return NULL;
    if (n > (uint64_t)(r->end - r->p))
        return dt_tc_fail(r, "string longer than the data"), NULL;
    const uint8_t *s = r->p;
    r->p += n;
    *len = (size_t)n;
    return s;
}

char *dt_tc_string(dt_tc_reader *r, int type)
{
    size_t n;
    const uint8_t *s = dt_tc_binary(r, type, &n);
    if (!s)
        return NULL;
    if (memchr(s, 0, n))
        return dt_tc_fail(r, "string holds a NUL byte"), NULL;
    return dt_strndup((const char *)s, n);
}

bool dt_tc_list(dt_tc_reader *r, int type, int *elem_type, size_t *count)
{
    *count = 0;
    if (type != DT_TC_LIST && type != DT_TC_SET)
        return dt_tc_fail(r, "field has the wrong type");
    uint8_t b = read_byte(r);
    uint64_t n = b >> 4;
    if (n == 15)
        n = read_varint(r);
    *elem_type = b & 0x0f;
    if (r->err)
        return false;
    /* Every element takes at least one byte, except bools written in the
     * header-less form; either way the list cannot hold more than the bytes left. */
    if (n > (uint64_t)(r->end - r->p))
        return dt_tc_fail(r, "list longer than the data");
    if (*elem_type == DT_TC_STOP || *elem_type > DT_TC_STRUCT)
        return dt_tc_fail(r, "unknown list element type");
    *count = (size_t)n;
    return true;
}

void dt_tc_skip(dt_tc_reader *r, int type)
{
    if (r->err)
        return;
    switch (type) {
    case DT_TC_TRUE:
    case DT_TC_FALSE: break;
    case DT_TC_BYTE: read_byte(r); break;
    case DT_TC_I16:
    case DT_TC_I32:
    case DT_TC_I64: read_varint(r); break;
    case DT_TC_DOUBLE:
        if (r->end - r->p < 8)
            dt_tc_fail(r, "truncated");
        else
            r->p += 8;
        break;
    case DT_TC_BINARY: {
        size_t n;
        dt_tc_binary(r, type, &n);
        break;
    }
    case DT_TC_LIST:
    case DT_TC_SET: {
        int et;
        size_t n;
        if (!dt_tc_list(r, type, &et, &n) || !dt_tc_struct_enter(r))
            break;
        for (size_t i = 0; i < n && !r->err; i++)
            dt_tc_skip(r, et == DT_TC_TRUE || et == DT_TC_FALSE ? DT_TC_BYTE : et);
        dt_tc_struct_leave(r);
        break;
    }
    case DT_TC_MAP: {
        uint64_t n = read_varint(r);
        if (n == 0 || r->err)
            break;
        uint8_t kv = read_byte(r);
        if (n > (uint64_t)(r->end - r->p))
            return (void)dt_tc_fail(r, "map longer than the data");
        int kt = kv >> 4, vt = kv & 0x0f;
        if (kt == DT_TC_TRUE || kt == DT_TC_FALSE)
            kt = DT_TC_BYTE;
        if (vt == DT_TC_TRUE || vt == DT_TC_FALSE)
            vt = DT_TC_BYTE;
        if (kt == DT_TC_STOP || vt == DT_TC_STOP || kt > DT_TC_STRUCT || vt > DT_TC_STRUCT)
            return (void)dt_tc_fail(r, "unknown map element type");
        if (!dt_tc_struct_enter(r))
            break;
        for (uint64_t i = 0; i < n && !r->err; i++) {
            dt_tc_skip(r, kt);
            dt_tc_skip(r, vt);
        }
        dt_tc_struct_leave(r);
        break;
    }
    case DT_TC_STRUCT: {
        if (!dt_tc_struct_enter(r))
            break;
        int16_t last = 0, id;
        int ft;
        while (dt_tc_field(r, &last, &id, &ft))
            dt_tc_skip(r, ft);
        dt_tc_struct_leave(r);
        break;
    }
    default: dt_tc_fail(r, "unknown field type"); break;
    }
}
