/*
 * meta.c: decoding Parquet's Thrift metadata (FileMetaData, PageHeader) into
 * the structs of meta.h. Field ids follow apache/parquet-format's
 * parquet.thrift; unknown fields are skipped so newer writers still read.
 * Every list is bounded by the bytes that remain (thrift_read.c), so nothing
 * is allocated from a claimed count alone.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "table/parquet/meta.h"
#include "table/parquet/thrift_read.h"

/* The member id of a union whose members are all empty structs (TimeUnit, and
 * the annotation-only members of LogicalType). */
static int read_union_tag(dt_tc_reader *r)
{
    int tag = 0;
    if (!dt_tc_struct_enter(r))
        return 0;
    int16_t last = 0, id;
    int t;
    while (dt_tc_field(r, &last, &id, &t)) {
        if (t == DT_TC_STRUCT && !tag)
            tag = id;
        dt_tc_skip(r, t);
    }
    dt_tc_struct_leave(r);
    return tag;
}

static void read_decimal_type(dt_tc_reader *r, dt_pq_logical *lt)
{
    if (!dt_tc_struct_enter(r))
        return;
    int16_t last = 0, id;
    int t;
    while (dt_tc_field(r, &last, &id, &t)) {
        if (id == 1)
            lt->scale = dt_tc_i32(r, t);
        else if (id == 2)
            lt->precision = dt_tc_i32(r, t);
        else
            dt_tc_skip(r, t);
    }
    dt_tc_struct_leave(r);
}

/* TimeType and TimestampType: isAdjustedToUTC (1), unit (2). */
static void read_time_type(dt_tc_reader *r, dt_pq_logical *lt)
{
    if (!dt_tc_struct_enter(r))
        return;
    int16_t last = 0, id;
    int t;
    while (dt_tc_field(r, &last, &id, &t)) {
        if (id == 1)
            lt->utc = dt_tc_bool(r, t);
        else if (id == 2 && t == DT_TC_STRUCT)
            lt->unit = read_union_tag(r);
        else
            dt_tc_skip(r, t);
    }
    dt_tc_struct_leave(r);
}

static void read_int_type(dt_tc_reader *r, dt_pq_logical *lt)
{
    if (!dt_tc_struct_enter(r))
        return;
    int16_t last = 0, id;
    int t;
    while (dt_tc_field(r, &last, &id, &t)) {
        if (id == 1)
            lt->bit_width = (int)dt_tc_int(r, t);
        else if (id == 2)
            lt->is_signed = dt_tc_bool(r, t);
        else
            dt_tc_skip(r, t);
    }
    dt_tc_struct_leave(r);
}

static void read_logical(dt_tc_reader *r, dt_pq_logical *lt)
{
    if (!dt_tc_struct_enter(r))
        return;
    int16_t last = 0, id;
    int t;
    while (dt_tc_field(r, &last, &id, &t)) {
        if (t != DT_TC_STRUCT || lt->kind) {
            dt_tc_skip(r, t);
            continue;
        }
        lt->kind = id;
        switch (id) {
        case PQ_LT_DECIMAL: read_decimal_type(r, lt); break;
        case PQ_LT_TIME:
        case PQ_LT_TIMESTAMP: read_time_type(r, lt); break;
        case PQ_LT_INTEGER: read_int_type(r, lt); break;
        default: dt_tc_skip(r, t); break;
        }
    }
    dt_tc_struct_leave(r);
}

static void read_schema_el(dt_tc_reader *r, dt_pq_schema_el *e)
{
    *e = (dt_pq_schema_el){.type = -1, .repetition = -1, .converted = -1};
    if (!dt_tc_struct_enter(r))
        return;
    int16_t last = 0, id;
    int t;
    while (dt_tc_field(r, &last, &id, &t)) {
        switch (id) {
        case 1: e->type = dt_tc_i32(r, t); break;
        case 2: e->type_length = dt_tc_i32(r, t); break;
        case 3: e->repetition = dt_tc_i32(r, t); break;
        case 4:
            free(e->name);
            e->name = dt_tc_string(r, t);
            break;
        case 5: e->num_children = dt_tc_i32(r, t); break;
        case 6: e->converted = dt_tc_i32(r, t); break;
        case 7: e->scale = dt_tc_i32(r, t); break;
        case 8: e->precision = dt_tc_i32(r, t); break;
        case 10:
            if (t == DT_TC_STRUCT)
                read_logical(r, &e->logical);
            else
                dt_tc_skip(r, t);
            break;
        default: dt_tc_skip(r, t); break;
        }
    }
    dt_tc_struct_leave(r);
    if (!r->err && !e->name)
        dt_tc_fail(r, "schema element without a name");
}

static void read_column_meta(dt_tc_reader *r, dt_pq_chunk *c)
{
    if (!dt_tc_struct_enter(r))
        return;
    c->has_meta = true;
    int16_t last = 0, id;
    int t;
    while (dt_tc_field(r, &last, &id, &t)) {
        switch (id) {
        case 1: c->type = dt_tc_i32(r, t); break;
        case 4: c->codec = dt_tc_i32(r, t); break;
        case 5: c->num_values = dt_tc_int(r, t); break;
        case 7: c->total_compressed_size = dt_tc_int(r, t); break;
        case 9: c->data_page_offset = dt_tc_int(r, t); break;
        case 11: c->dictionary_page_offset = dt_tc_int(r, t); break;
        default: dt_tc_skip(r, t); break;
        }
    }
    dt_tc_struct_leave(r);
}

static void read_column_chunk(dt_tc_reader *r, dt_pq_chunk *c)
{
    *c = (dt_pq_chunk){.type = -1, .codec = -1, .dictionary_page_offset = -1};
    if (!dt_tc_struct_enter(r))
        return;
    int16_t last = 0, id;
    int t;
    while (dt_tc_field(r, &last, &id, &t)) {
        if (id == 1) {
            size_t n;
            if (dt_tc_binary(r, t, &n) && n)
                c->external = true;
        } else if (id == 3 && t == DT_TC_STRUCT) {
            read_column_meta(r, c);
        } else {
            dt_tc_skip(r, t);
        }
    }
    dt_tc_struct_leave(r);
}

static void read_row_group(dt_tc_reader *r, dt_pq_row_group *g)
{
    if (!dt_tc_struct_enter(r))
        return;
    int16_t last = 0, id;
    int t;
    while (dt_tc_field(r, &last, &id, &t)) {
        if (id == 1 && !g->cols) {
            int et;
            size_t n;
            if (!dt_tc_list(r, t, &et, &n))
                break;
            if (et != DT_TC_STRUCT) {
                dt_tc_fail(r, "row group columns are not structs");
                break;
            }
            g->cols = dt_calloc(n ? n : 1, sizeof *g->cols);
            g->ncol = n;
            for (size_t i = 0; i < n && !r->err; i++)
                read_column_chunk(r, &g->cols[i]);
        } else if (id == 3) {
            g->num_rows = dt_tc_int(r, t);
        } else {
            dt_tc_skip(r, t);
        }
    }
    dt_tc_struct_leave(r);
}

static void read_schema_list(dt_tc_reader *r, int t, dt_pq_meta *m)
{
    int et;
    size_t n;
    if (m->schema) {
        dt_tc_skip(r, t);
        return;
    }
    if (!dt_tc_list(r, t, &et, &n))
        return;
    if (et != DT_TC_STRUCT)
        return (void)dt_tc_fail(r, "schema elements are not structs");
    m->schema = dt_calloc(n ? n : 1, sizeof *m->schema);
    for (size_t i = 0; i < n && !r->err; i++) {
        read_schema_el(r, &m->schema[i]);
        m->nschema = i + 1;
    }
}

static void read_row_groups(dt_tc_reader *r, int t, dt_pq_meta *m)
{
    int et;
    size_t n;
    if (m->rgs) {
        dt_tc_skip(r, t);
        return;
    }
    if (!dt_tc_list(r, t, &et, &n))
        return;
    if (et != DT_TC_STRUCT)
        return (void)dt_tc_fail(r, "row groups are not structs");
    m->rgs = dt_calloc(n ? n : 1, sizeof *m->rgs);
    m->nrg = n;
    for (size_t i = 0; i < n && !r->err; i++)
        read_row_group(r, &m->rgs[i]);
}

/* key_value_metadata: only datom's own key is kept. */
static void read_key_values(dt_tc_reader *r, int t, dt_pq_meta *m)
{
    int et;
    size_t n;
    if (!dt_tc_list(r, t, &et, &n))
        return;
    if (et != DT_TC_STRUCT) {
        dt_tc_fail(r, "key-value metadata entries are not structs");
        return;
    }
    for (size_t i = 0; i < n && !r->err; i++) {
        if (!dt_tc_struct_enter(r))
            return;
        int16_t last = 0, id;
        int ft;
        size_t klen = 0, vlen = 0;
        const uint8_t *key = NULL, *val = NULL;
        while (dt_tc_field(r, &last, &id, &ft)) {
            if (id == 1)
                key = dt_tc_binary(r, ft, &klen);
            else if (id == 2)
                val = dt_tc_binary(r, ft, &vlen);
            else
                dt_tc_skip(r, ft);
        }
        dt_tc_struct_leave(r);
        if (key && val && !m->datom_schema && klen == strlen(DT_PQ_DATOM_SCHEMA_KEY) &&
            !memcmp(key, DT_PQ_DATOM_SCHEMA_KEY, klen)) {
            m->datom_schema = dt_strndup((const char *)val, vlen);
            m->datom_schema_len = vlen;
        }
    }
}

int dt_pq_meta_decode(const uint8_t *p, size_t n, dt_pq_meta *m, const char **why)
{
    memset(m, 0, sizeof *m);
    dt_tc_reader r;
    dt_tc_init(&r, p, n);
    bool seen_version = false, seen_rows = false;
    if (dt_tc_struct_enter(&r)) {
        int16_t last = 0, id;
        int t;
        while (dt_tc_field(&r, &last, &id, &t)) {
            switch (id) {
            case 1: m->version = dt_tc_i32(&r, t), seen_version = true; break;
            case 2: read_schema_list(&r, t, m); break;
            case 3: m->num_rows = dt_tc_int(&r, t), seen_rows = true; break;
            case 4: read_row_groups(&r, t, m); break;
            case 5: read_key_values(&r, t, m); break;
            case 6:
                if (!m->created_by)
                    m->created_by = dt_tc_string(&r, t);
                else
                    dt_tc_skip(&r, t);
                break;
            default: dt_tc_skip(&r, t); break;
            }
        }
        dt_tc_struct_leave(&r);
    }
    if (!r.err && (!seen_version || !seen_rows || !m->schema || !m->rgs))
        dt_tc_fail(&r, "FileMetaData lacks a required field");
    if (r.err) {
        *why = r.err;
        dt_pq_meta_free(m);
        return -1;
    }
    return 0;
}

void dt_pq_meta_free(dt_pq_meta *m)
{
    for (size_t i = 0; i < m->nschema; i++)
        free(m->schema[i].name);
    free(m->schema);
    for (size_t i = 0; i < m->nrg; i++)
        free(m->rgs[i].cols);
    free(m->rgs);
    free(m->created_by);
    free(m->datom_schema);
    memset(m, 0, sizeof *m);
}

/* DataPageHeader, DictionaryPageHeader and DataPageHeaderV2. */
static void read_data_header(dt_tc_reader *r, dt_pq_page_header *h, int kind)
{
    if (!dt_tc_struct_enter(r))
        return;
    int16_t last = 0, id;
    int t;
    while (dt_tc_field(r, &last, &id, &t)) {
        if (id == 1) {
            h->num_values = dt_tc_i32(r, t);
        } else if (kind != PQ_PAGE_DATA_V2 && id == 2) {
            h->encoding = dt_tc_i32(r, t);
        } else if (kind == PQ_PAGE_DATA && id == 3) {
            h->def_encoding = dt_tc_i32(r, t);
        } else if (kind == PQ_PAGE_DATA && id == 4) {
            h->rep_encoding = dt_tc_i32(r, t);
        } else if (kind == PQ_PAGE_DATA_V2) {
            switch (id) {
            case 2: h->num_nulls = dt_tc_i32(r, t); break;
            case 3: h->num_rows = dt_tc_i32(r, t); break;
            case 4: h->encoding = dt_tc_i32(r, t); break;
            case 5: h->def_len = dt_tc_i32(r, t); break;
            case 6: h->rep_len = dt_tc_i32(r, t); break;
            case 7: h->is_compressed = dt_tc_bool(r, t); break;
            default: dt_tc_skip(r, t); break;
            }
        } else {
            dt_tc_skip(r, t);
        }
    }
    dt_tc_struct_leave(r);
}

int dt_pq_page_header_decode(const uint8_t *p, size_t n, dt_pq_page_header *h, size_t *used,
                             const char **why)
{
    *h = (dt_pq_page_header){.type = -1, .encoding = -1, .def_encoding = -1, .rep_encoding = -1,
                             .uncompressed_size = -1, .compressed_size = -1, .is_compressed = true};
    dt_tc_reader r;
    dt_tc_init(&r, p, n);
    if (dt_tc_struct_enter(&r)) {
        int16_t last = 0, id;
        int t;
        while (dt_tc_field(&r, &last, &id, &t)) {
            switch (id) {
            case 1: h->type = dt_tc_i32(&r, t); break;
            case 2: h->uncompressed_size = dt_tc_i32(&r, t); break;
            case 3: h->compressed_size = dt_tc_i32(&r, t); break;
            case 5:
            case 7:
            case 8: {
                int kind = id == 5 ? PQ_PAGE_DATA : id == 7 ? PQ_PAGE_DICTIONARY : PQ_PAGE_DATA_V2;
                if (t != DT_TC_STRUCT || h->has_data || h->has_dict || h->has_v2) {
                    dt_tc_skip(&r, t);
                    break;
                }
                h->has_data = kind == PQ_PAGE_DATA;
                h->has_dict = kind == PQ_PAGE_DICTIONARY;
                h->has_v2 = kind == PQ_PAGE_DATA_V2;
                read_data_header(&r, h, kind);
                break;
            }
            default: dt_tc_skip(&r, t); break;
            }
        }
        dt_tc_struct_leave(&r);
    }
    if (!r.err && (h->type < 0 || h->uncompressed_size < 0 || h->compressed_size < 0))
        dt_tc_fail(&r, "page header lacks a type or size (or it is negative)");
    if (r.err) {
        *why = r.err;
        return -1;
    }
    *used = dt_tc_consumed(&r, p);
    return 0;
}
