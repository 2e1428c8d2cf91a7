/*
 * writer.c: the deterministic, streaming Parquet writer (docs/formats.md,
 * "Parquet writer"). Batches are cut into slices that never
 * cross a row-group border; each column encodes its slice (wcolumn.c); a row
 * group is flushed to the sink when it reaches row_group_rows or PQW_RG_BYTES
 * of buffered pages, so memory stays bounded however long the input. The
 * footer (Thrift-compact FileMetaData) is written at close; row-group
 * metadata is kept serialized until then.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "table/parquet/thrift_write.h"
#include "table/parquet/writer.h"

struct dt_pq_writer {
    dt_schema schema;
    dt_pq_options opt;
    dt_sink sink;
    uint64_t offset; /* bytes written so far */
    pqw_col *cols;
    pqw_scratch scratch;
    size_t rg_rows;     /* rows in the row group being built */
    uint64_t num_rows;  /* rows in finished row groups */
    dt_buf rowgroups;   /* serialized RowGroup structs */
    size_t nrowgroups;
    bool failed;
};

void dt_pq_options_default(dt_pq_options *o)
{
    *o = (dt_pq_options){.codec = DT_PQ_SNAPPY, .row_group_rows = PQW_RG_ROWS, .dict_max_bytes = PQW_DICT_BYTES};
}

int dt_pq_codec_parse(const char *s, dt_pq_codec *out)
{
    if (!strcmp(s, "snappy"))
        *out = DT_PQ_SNAPPY;
    else if (!strcmp(s, "zstd"))
        *out = DT_PQ_ZSTD;
    else if (!strcmp(s, "none") || !strcmp(s, "uncompressed"))
        *out = DT_PQ_UNCOMPRESSED;
    else
        return dt_error(DATOM_EINVAL, "unknown Parquet codec '%s' (snappy, zstd, none)", s);
    return 0;
}

static int check_field(const dt_field *f)
{
    json_t *name = json_string(f->name); /* NULL when not UTF-8, which Thrift strings must be */
    if (!name)
        return dt_error(DATOM_EINVAL, "parquet: a column name is not valid UTF-8");
    json_decref(name);
    if (f->kind >= DT_KIND_COUNT)
        return dt_error(DATOM_EINVAL, "parquet: column '%s': unknown kind %d", f->name, (int)f->kind);
    if (f->kind == DT_DECIMAL && (f->precision < 1 || f->precision > 18 || f->scale < 0 || f->scale > f->precision))
        return dt_error(DATOM_EINVAL, "parquet: column '%s': decimal(%d, %d) needs 1 <= precision <= 18 and "
                                      "0 <= scale <= precision",
                        f->name, (int)f->precision, (int)f->scale);
    if (f->kind == DT_DECIMAL128 && (f->precision < 1 || f->precision > 38 || f->scale < 0 || f->scale > f->precision))
        return dt_error(DATOM_EINVAL, "parquet: column '%s': decimal128(%d, %d) needs 1 <= precision <= 38 and "
                                      "0 <= scale <= precision",
                        f->name, (int)f->precision, (int)f->scale);
    if (f->kind == DT_DURATION && (unsigned)f->unit > DT_UNIT_NS)
        return dt_error(DATOM_EINVAL, "parquet: column '%s': unknown duration unit", f->name);
    if ((f->kind == DT_TIMESTAMP || f->kind == DT_TIME) && (f->unit < DT_UNIT_MS || f->unit > DT_UNIT_NS))
        return dt_error(DATOM_EINVAL, "parquet: column '%s': a %s is in ms, us or ns (Parquet has no seconds)",
                        f->name, dt_kind_name(f->kind));
    return 0;
}

int dt_pq_writer_open(dt_pq_writer **out, const dt_schema *s, const dt_pq_options *o, dt_sink sink)
{
    *out = NULL;
    if (s->ncol == 0)
        return dt_error(DATOM_EINVAL, "parquet: a file needs at least one column");
    for (size_t i = 0; i < s->ncol; i++) {
        int rc = check_field(&s->fields[i]);
        if (rc)
            return rc;
    }
    dt_pq_writer *w = dt_calloc(1, sizeof *w);
    dt_pq_options_default(&w->opt);
    if (o) {
        w->opt.codec = o->codec;
        if (o->row_group_rows)
            w->opt.row_group_rows = o->row_group_rows;
        if (o->dict_max_bytes)
            w->opt.dict_max_bytes = DT_MIN(o->dict_max_bytes, PQW_DICT_BYTES_MAX);
    }
    dt_schema_copy(&w->schema, s);
    w->sink = sink;
    w->cols = dt_calloc(s->ncol, sizeof *w->cols);
    for (size_t i = 0; i < s->ncol; i++)
        pqw_col_init(&w->cols[i], &w->schema.fields[i]);
    dt_pq_compressor_init(&w->scratch.comp, w->opt.codec);
    int rc = dt_sink_write(sink, "PAR1", 4);
    if (rc) {
        dt_pq_writer_abort(w);
        return dt_error_wrap("parquet: writing the header");
    }
    w->offset = 4;
    *out = w;
    return 0;
}

void dt_pq_writer_abort(dt_pq_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->schema.ncol; i++)
        pqw_col_free(&w->cols[i]);
    free(w->cols);
    dt_schema_free(&w->schema);
    dt_buf_free(&w->scratch.body);
    dt_buf_free(&w->scratch.header);
    free(w->scratch.levels32);
    dt_pq_compressor_free(&w->scratch.comp);
    dt_buf_free(&w->rowgroups);
    free(w);
}

static int flush_row_group(dt_pq_writer *w)
{
    if (!w->rg_rows)
        return 0;
    uint64_t start = w->offset, raw_total = 0, comp_total = 0;
    dt_tw tw;
    dt_tw_init(&tw, &w->rowgroups); /* a RowGroup, as an element of FileMetaData.row_groups */
    dt_tw_list(&tw, 1, DT_TC_STRUCT, w->schema.ncol);
    for (size_t i = 0; i < w->schema.ncol; i++) {
        uint64_t raw, comp;
        int rc = pqw_col_flush(&w->cols[i], &w->scratch, w->sink, &w->offset, w->opt.codec, &tw, &raw, &comp);
        if (rc)
            return dt_error_wrap("parquet: column '%s'", w->schema.fields[i].name);
        raw_total += raw;
        comp_total += comp;
    }
    dt_tw_i64(&tw, 2, (int64_t)raw_total);
    dt_tw_i64(&tw, 3, (int64_t)w->rg_rows);
    dt_tw_i64(&tw, 5, (int64_t)start);
    dt_tw_i64(&tw, 6, (int64_t)comp_total);
    if (w->nrowgroups <= INT16_MAX)
        dt_tw_i16(&tw, 7, (int16_t)w->nrowgroups);
    dt_tw_end_struct(&tw);
    w->nrowgroups++;
    w->num_rows += w->rg_rows;
    w->rg_rows = 0;
    return 0;
}

static size_t buffered_bytes(const dt_pq_writer *w)
{
    size_t n = 0;
    for (size_t i = 0; i < w->schema.ncol; i++)
        n += pqw_col_buffered(&w->cols[i]);
    return n;
}

static int check_batch(const dt_pq_writer *w, const dt_table *t)
{
    if (t->ncol != w->schema.ncol)
        return dt_error(DATOM_EINVAL, "parquet: batch has %zu columns, the file %zu", t->ncol, w->schema.ncol);
    for (size_t i = 0; i < t->ncol; i++) {
        const dt_field *a = &t->cols[i].field, *b = &w->schema.fields[i];
        if (!dt_field_same_type(a, b))
            return dt_error(DATOM_EINVAL, "parquet: batch column '%s' is %s, the file's column '%s' is %s", a->name,
                            dt_kind_name(a->kind), b->name, dt_kind_name(b->kind));
    }
    return 0;
}

/* Slices end at multiples of PQW_SLICE_ROWS within the row group, so the
 * byte bound is checked at the same rows whatever the batch sizes. */
static int write_rows(dt_pq_writer *w, const dt_table *t)
{
    size_t r = 0;
    while (r < t->nrow) {
        size_t edge = DT_MIN((w->rg_rows / PQW_SLICE_ROWS + 1) * PQW_SLICE_ROWS, w->opt.row_group_rows);
        size_t n = DT_MIN(t->nrow - r, edge - w->rg_rows);
        for (size_t i = 0; i < t->ncol; i++) {
            int rc = pqw_col_put(&w->cols[i], &w->scratch, &t->cols[i], r, n, w->opt.dict_max_bytes);
            if (rc)
                return rc;
        }
        w->rg_rows += n;
        r += n;
        if (w->rg_rows == w->opt.row_group_rows ||
            (w->rg_rows % PQW_SLICE_ROWS == 0 && buffered_bytes(w) >= PQW_RG_BYTES)) {
            int rc = flush_row_group(w);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int dt_pq_writer_write(dt_pq_writer *w, const dt_table *batch)
{
    if (w->failed)
        return dt_error(DATOM_EINVAL, "parquet: the writer failed earlier");
    int rc = check_batch(w, batch);
    if (rc)
        return rc;
    rc = write_rows(w, batch);
    if (rc)
        w->failed = true;
    return rc;
}

/* ---- the footer ---- */

/* The datom kinds, as JSON, for what Parquet's types cannot say (duration). */
static char *schema_json(const dt_schema *s)
{
    json_t *cols = json_array();
    for (size_t i = 0; i < s->ncol; i++) {
        const dt_field *f = &s->fields[i];
        json_t *c = json_object();
        json_object_set_new(c, "name", json_string(f->name));
        json_object_set_new(c, "kind", json_string(dt_kind_name(f->kind)));
        if (f->kind == DT_DURATION)
            json_object_set_new(c, "unit", json_string(dt_unit_name(f->unit)));
        json_array_append_new(cols, c);
    }
    json_t *root = json_object();
    json_object_set_new(root, "columns", cols);
    char *text = dt_json_compact(root);
    json_decref(root);
    return text;
}

/* TimeUnit: the member MILLIS (1), MICROS (2) or NANOS (3). */
static void write_unit(dt_tw *tw, dt_time_unit u)
{
    dt_tw_struct(tw, 2);
    dt_tw_empty_struct(tw, u == DT_UNIT_MS ? 1 : u == DT_UNIT_US ? 2 : 3);
    dt_tw_end_struct(tw);
}

/* TIME and TIMESTAMP. The legacy ConvertedType exists only for UTC-adjusted
 * millis and micros (LogicalTypes.md), so only those write it. */
static void write_time_logical(dt_tw *tw, const dt_field *f)
{
    bool ts = f->kind == DT_TIMESTAMP;
    if (f->utc && f->unit != DT_UNIT_NS) /* TIME_MILLIS 7, TIME_MICROS 8, TIMESTAMP_MILLIS 9, _MICROS 10 */
        dt_tw_i32(tw, 6, (ts ? 9 : 7) + (f->unit == DT_UNIT_US));
    dt_tw_struct(tw, 10);
    dt_tw_struct(tw, ts ? 8 : 7); /* TimestampType, TimeType */
    dt_tw_bool(tw, 1, f->utc);
    write_unit(tw, f->unit);
    dt_tw_end_struct(tw);
    dt_tw_end_struct(tw);
}

static void write_decimal_logical(dt_tw *tw, const dt_field *f)
{
    dt_tw_i32(tw, 6, 5); /* DECIMAL */
    dt_tw_i32(tw, 7, f->scale);
    dt_tw_i32(tw, 8, f->precision);
    dt_tw_struct(tw, 10);
    dt_tw_struct(tw, 5); /* DecimalType */
    dt_tw_i32(tw, 1, f->scale);
    dt_tw_i32(tw, 2, f->precision);
    dt_tw_end_struct(tw);
    dt_tw_end_struct(tw);
}

static void write_logical(dt_tw *tw, const dt_field *f)
{
    switch (f->kind) {
    case DT_STRING:
        dt_tw_i32(tw, 6, 0); /* ConvertedType UTF8 */
        dt_tw_struct(tw, 10);
        dt_tw_empty_struct(tw, 1); /* STRING */
        dt_tw_end_struct(tw);
        break;
    case DT_DATE:
        dt_tw_i32(tw, 6, 6); /* DATE */
        dt_tw_struct(tw, 10);
        dt_tw_empty_struct(tw, 6);
        dt_tw_end_struct(tw);
        break;
    case DT_TIMESTAMP:
    case DT_TIME: write_time_logical(tw, f); break;
    case DT_DECIMAL:
    case DT_DECIMAL128: write_decimal_logical(tw, f); break;
    case DT_UINT64:
        dt_tw_i32(tw, 6, 14); /* UINT_64 */
        dt_tw_struct(tw, 10);
        dt_tw_struct(tw, 10); /* IntType */
        dt_tw_byte(tw, 1, 64);
        dt_tw_bool(tw, 2, false);
        dt_tw_end_struct(tw);
        dt_tw_end_struct(tw);
        break;
    case DT_INTERVAL: dt_tw_i32(tw, 6, 21); break; /* INTERVAL: no LogicalType exists */
    default: break;
    }
}

static void write_schema(dt_tw *tw, const dt_pq_writer *w)
{
    dt_tw_list(tw, 2, DT_TC_STRUCT, w->schema.ncol + 1);
    dt_tw_begin_struct(tw);
    dt_tw_string(tw, 4, "schema");
    dt_tw_i32(tw, 5, (int32_t)w->schema.ncol);
    dt_tw_end_struct(tw);
    for (size_t i = 0; i < w->schema.ncol; i++) {
        const dt_field *f = &w->schema.fields[i];
        dt_tw_begin_struct(tw);
        dt_tw_i32(tw, 1, w->cols[i].ptype);
        if (w->cols[i].ptype == PQ_FIXED)
            dt_tw_i32(tw, 2, (int32_t)w->cols[i].pwidth); /* type_length */
        dt_tw_i32(tw, 3, 1); /* OPTIONAL */
        dt_tw_string(tw, 4, f->name);
        write_logical(tw, f);
        dt_tw_end_struct(tw);
    }
}

static void write_footer(dt_pq_writer *w, dt_buf *out)
{
    dt_tw tw;
    dt_tw_init(&tw, out);
    dt_tw_i32(&tw, 1, 1); /* version */
    write_schema(&tw, w);
    dt_tw_i64(&tw, 3, (int64_t)w->num_rows);
    dt_tw_list(&tw, 4, DT_TC_STRUCT, w->nrowgroups);
    dt_buf_append(out, w->rowgroups.data, w->rowgroups.len);
    dt_tw_list(&tw, 5, DT_TC_STRUCT, 1);
    dt_tw_begin_struct(&tw);
    dt_tw_string(&tw, 1, "datom.schema");
    char *js = schema_json(&w->schema);
    dt_tw_string(&tw, 2, js);
    free(js);
    dt_tw_end_struct(&tw);
    dt_tw_string(&tw, 6, DT_PQ_CREATED_BY);
    dt_tw_list(&tw, 7, DT_TC_STRUCT, w->schema.ncol);
    for (size_t i = 0; i < w->schema.ncol; i++) {
        dt_tw_begin_struct(&tw);
        dt_tw_empty_struct(&tw, 1); /* TYPE_ORDER */
        dt_tw_end_struct(&tw);
    }
    dt_tw_end_struct(&tw);
}

int dt_pq_writer_close(dt_pq_writer *w)
{
    if (w->failed) {
        dt_pq_writer_abort(w);
        return dt_error(DATOM_EINVAL, "parquet: the writer failed earlier");
    }
    int rc = flush_row_group(w);
    dt_buf footer = DT_BUF_INIT;
    if (!rc) {
        write_footer(w, &footer);
        if (footer.len > UINT32_MAX)
            rc = dt_error(DATOM_EINVAL, "parquet: footer of %zu bytes is too large", footer.len);
    }
    if (!rc) {
        uint8_t tail[8] = {(uint8_t)footer.len, (uint8_t)(footer.len >> 8), (uint8_t)(footer.len >> 16),
                           (uint8_t)(footer.len >> 24), 'P', 'A', 'R', '1'};
        rc = dt_sink_write(w->sink, footer.data, footer.len);
        if (!rc)
            rc = dt_sink_write(w->sink, tail, 8);
        if (rc)
            rc = dt_error_wrap("parquet: writing the footer");
    }
    dt_buf_free(&footer);
    dt_pq_writer_abort(w);
    return rc;
}
