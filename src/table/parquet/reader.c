/*
 * reader.c: the Parquet reader (parquet.h, docs/formats.md "Parquet reader"): reads
 * and checks the footer, decodes FileMetaData (meta.c), maps the flat schema
 * to dt_fields, and yields batches of at most DT_PQ_BATCH_ROWS rows, never
 * crossing a row group, with one column cursor (column.c) per column, each
 * reading its pages with pread (source.c): memory is bounded by a page per
 * column and a batch, whatever the file's size. Errors name the file and,
 * where it applies, the column and row group.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "table/parquet/column.h"
#include "table/parquet/meta.h"
#include "table/parquet/reader.h"

struct dt_pq_reader {
    char *path;
    dt_pq_src src;
    uint64_t data_end; /* where the footer begins: column chunks must end before it */
    dt_pq_meta meta;
    dt_schema schema;
    dt_pq_col *cols;
    size_t rg;         /* the row group being read */
    int64_t rg_left;   /* its rows not yet yielded */
    bool rg_started;
    int failed;        /* the error that stopped reading: later calls repeat it */
    size_t row_bytes;  /* string bytes per row in the last slab, + 1 */
    dt_table *batch;
};

static int corrupt(const dt_pq_reader *r, const char *what)
{
    return dt_error(DATOM_ECORRUPT, "%s: not a valid Parquet file: %s", r->path, what);
}

/* ---- schema mapping ---- */

typedef struct mapping {
    dt_kind kind;
    dt_pq_conv conv;
    dt_time_unit unit;
    bool utc;
    int32_t precision, scale;
} mapping;

static int map_decimal(const dt_pq_schema_el *e, int32_t precision, int32_t scale, mapping *m)
{
    if (precision < 1 || scale < 0 || scale > precision)
        return -1;
    m->precision = precision;
    m->scale = scale;
    if (e->type == PQ_INT32 || e->type == PQ_INT64) {
        m->kind = DT_DECIMAL;
        m->conv = e->type == PQ_INT32 ? CV_WIDEN32 : CV_I64;
        return precision > 18 ? -1 : 0;
    }
    if (e->type != PQ_FIXED && e->type != PQ_BYTE_ARRAY)
        return -1;
    m->kind = precision <= 18 ? DT_DECIMAL : precision <= 38 ? DT_DECIMAL128 : DT_STRING;
    m->conv = precision <= 18 ? CV_DEC_BYTES : precision <= 38 ? CV_DEC128 : CV_DEC_TEXT;
    return 0;
}

/* TIME and TIMESTAMP keep their unit (an absent one is read as micros) and
 * whether they are adjusted to UTC. */
static void set_time(mapping *m, dt_kind kind, const dt_pq_logical *l)
{
    m->kind = kind;
    m->unit = l->unit == PQ_UNIT_MILLIS ? DT_UNIT_MS : l->unit == PQ_UNIT_NANOS ? DT_UNIT_NS : DT_UNIT_US;
    m->utc = l->utc;
}

/* The annotation as a LogicalType, translating a legacy ConvertedType. Its
 * times and timestamps are read as not adjusted to UTC, as arrow and DuckDB
 * read them (LogicalTypes.md would have them UTC-adjusted): the same values
 * whichever way, spelled without a zone. */
static dt_pq_logical effective_logical(const dt_pq_schema_el *e)
{
    if (e->logical.kind != PQ_LT_NONE)
        return e->logical;
    dt_pq_logical l = {0};
    switch (e->converted) {
    case PQ_CT_UTF8: l.kind = PQ_LT_STRING; break;
    case PQ_CT_ENUM: l.kind = PQ_LT_ENUM; break;
    case PQ_CT_JSON: l.kind = PQ_LT_JSON; break;
    case PQ_CT_BSON: l.kind = PQ_LT_BSON; break;
    case PQ_CT_DATE: l.kind = PQ_LT_DATE; break;
    case PQ_CT_DECIMAL:
        l = (dt_pq_logical){.kind = PQ_LT_DECIMAL, .scale = e->scale, .precision = e->precision};
        break;
    case PQ_CT_TIME_MILLIS:
    case PQ_CT_TIME_MICROS:
        l = (dt_pq_logical){.kind = PQ_LT_TIME,
                            .unit = e->converted == PQ_CT_TIME_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS};
        break;
    case PQ_CT_TIMESTAMP_MILLIS:
    case PQ_CT_TIMESTAMP_MICROS:
        l = (dt_pq_logical){.kind = PQ_LT_TIMESTAMP,
                            .unit = e->converted == PQ_CT_TIMESTAMP_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS};
        break;
    case PQ_CT_UINT_8: l = (dt_pq_logical){.kind = PQ_LT_INTEGER, .bit_width = 8}; break;
    case PQ_CT_UINT_16: l = (dt_pq_logical){.kind = PQ_LT_INTEGER, .bit_width = 16}; break;
    case PQ_CT_UINT_32: l = (dt_pq_logical){.kind = PQ_LT_INTEGER, .bit_width = 32}; break;
    case PQ_CT_UINT_64: l = (dt_pq_logical){.kind = PQ_LT_INTEGER, .bit_width = 64}; break;
    case PQ_CT_INT_8:
    case PQ_CT_INT_16:
    case PQ_CT_INT_32:
    case PQ_CT_INT_64: l = (dt_pq_logical){.kind = PQ_LT_INTEGER, .is_signed = true, .bit_width = 64}; break;
    default: break;
    }
    return l;
}

static void set(mapping *m, dt_kind kind, dt_pq_conv conv)
{
    m->kind = kind;
    m->conv = conv;
}

/* Chooses the kind and conversion of a leaf column; -1 if it cannot be read.
 * Values keep their range and precision: UINT64 is uint64, times and
 * timestamps keep their unit, decimals up to 38 digits are numbers. */
static int map_column(const dt_pq_schema_el *e, mapping *m)
{
    dt_pq_logical l = effective_logical(e);
    bool is_unsigned = l.kind == PQ_LT_INTEGER && !l.is_signed;
    *m = (mapping){.unit = DT_UNIT_S};
    if (l.kind == PQ_LT_DECIMAL)
        return map_decimal(e, l.precision, l.scale, m);
    switch (e->type) {
    case PQ_BOOLEAN: set(m, DT_BOOL, CV_BOOL); return 0;
    case PQ_INT32:
        if (l.kind == PQ_LT_DATE) {
            set(m, DT_DATE, CV_I32);
        } else if (l.kind == PQ_LT_TIME) { /* TIME on INT32 is in millis */
            l.unit = PQ_UNIT_MILLIS;
            set_time(m, DT_TIME, &l);
            m->conv = CV_WIDEN32;
        } else if (is_unsigned && l.bit_width == 32) {
            set(m, DT_UINT64, CV_U32);
        } else {
            set(m, DT_INT32, CV_I32);
        }
        return 0;
    case PQ_INT64:
        if (l.kind == PQ_LT_TIMESTAMP || l.kind == PQ_LT_TIME)
            set_time(m, l.kind == PQ_LT_TIMESTAMP ? DT_TIMESTAMP : DT_TIME, &l);
        else
            m->kind = is_unsigned ? DT_UINT64 : DT_INT64;
        m->conv = CV_I64;
        return 0;
    case PQ_INT96: /* nanoseconds with no zone, as arrow and DuckDB read it */
        set(m, DT_TIMESTAMP, CV_INT96);
        m->unit = DT_UNIT_NS;
        return 0;
    case PQ_FLOAT: set(m, DT_DOUBLE, CV_F32); return 0;
    case PQ_DOUBLE: set(m, DT_DOUBLE, CV_F64); return 0;
    case PQ_BYTE_ARRAY:
    case PQ_FIXED:
        if (l.kind == PQ_LT_STRING || l.kind == PQ_LT_ENUM || l.kind == PQ_LT_JSON)
            set(m, DT_STRING, CV_STRING);
        else if (l.kind == PQ_LT_UUID && e->type == PQ_FIXED && e->type_length == 16)
            set(m, DT_STRING, CV_UUID);
        else if (l.kind == PQ_LT_FLOAT16 && e->type == PQ_FIXED && e->type_length == 2)
            set(m, DT_DOUBLE, CV_F16);
        else if (e->converted == PQ_CT_INTERVAL && e->type == PQ_FIXED && e->type_length == 12)
            set(m, DT_INTERVAL, CV_INTERVAL);
        else
            set(m, DT_BINARY, CV_BINARY);
        return 0;
    default: return -1;
    }
}

/* Bytes each column's reads take of its chunk at least: small pages (and a
 * dictionary with its first data page) then come in one read. 1 MiB, less
 * for wide files, so that all columns' read buffers stay near 16 MiB. */
static size_t read_ahead(size_t ncol)
{
    return DT_MAX((size_t)64 << 10, DT_MIN((size_t)1 << 20, ((size_t)16 << 20) / ncol));
}

/* The flat schema: the root's children, each a primitive leaf. */
static int build_schema(dt_pq_reader *r)
{
    const dt_pq_meta *m = &r->meta;
    if (m->nschema < 1)
        return corrupt(r, "empty schema");
    size_t ncol = m->nschema - 1;
    if (m->schema[0].num_children < 0 || (size_t)m->schema[0].num_children > ncol)
        return corrupt(r, "schema root has more children than the schema elements");
    for (size_t i = 1; i < m->nschema; i++) {
        const dt_pq_schema_el *e = &m->schema[i];
        if (e->num_children > 0 || e->type < 0)
            return dt_error(DATOM_EUNSUPPORTED,
                            "%s: column '%s' is nested (a LIST, MAP or struct); only flat schemas are read",
                            r->path, e->name);
        if (e->repetition == PQ_REPEATED)
            return dt_error(DATOM_EUNSUPPORTED,
                            "%s: column '%s' is repeated; only flat schemas are read", r->path, e->name);
    }
    if ((size_t)m->schema[0].num_children != ncol)
        return corrupt(r, "schema root's child count does not match its elements");
    if (ncol == 0) /* rows of nothing: nothing would bound reading them */
        return dt_error(DATOM_EUNSUPPORTED, "%s: the file has no columns", r->path);
    if (ncol > DT_TABLE_MAX_COLUMNS) /* each costs its own buffers: refused before any is made */
        return dt_error(DATOM_EINVAL, "%s: %zu columns, more than %d (the most a table may have; "
                        "docs/formats.md, \"Limits\")", r->path, ncol, DT_TABLE_MAX_COLUMNS);
    dt_schema_init(&r->schema, ncol);
    r->cols = dt_calloc(ncol ? ncol : 1, sizeof *r->cols);
    for (size_t i = 0; i < ncol; i++) {
        const dt_pq_schema_el *e = &m->schema[i + 1];
        mapping mp;
        if (e->type == PQ_FIXED && (e->type_length < 1 || e->type_length > (1 << 20)))
            return dt_error(DATOM_ECORRUPT, "%s: column '%s': bad FIXED_LEN_BYTE_ARRAY length %d",
                            r->path, e->name, e->type_length);
        if (map_column(e, &mp) != 0)
            return dt_error(DATOM_EUNSUPPORTED, "%s: column '%s': unsupported type (physical %d, "
                            "converted %d, logical %d, precision %d, scale %d)",
                            r->path, e->name, e->type, e->converted, e->logical.kind, mp.precision,
                            mp.scale);
        dt_schema_set(&r->schema, i, e->name, mp.kind);
        dt_field *f = &r->schema.fields[i];
        if (mp.kind == DT_TIMESTAMP || mp.kind == DT_TIME) {
            f->unit = mp.unit;
            f->utc = mp.utc;
        }
        if (mp.kind == DT_DECIMAL || mp.kind == DT_DECIMAL128) {
            f->precision = mp.precision;
            f->scale = mp.scale;
        }
        dt_pq_col_init(&r->cols[i], e->type, e->type_length, e->repetition == PQ_OPTIONAL ? 1 : 0,
                       mp.conv, mp.scale);
        r->cols[i].ahead = read_ahead(ncol);
    }
    return 0;
}

/* datom's writer stores durations as plain INT64 and names their kind and
 * unit in the footer's "datom.schema" (docs/formats.md): give them back. The
 * hint is only taken where it agrees with the file; otherwise it is ignored. */
static void apply_datom_schema(dt_pq_reader *r)
{
    json_t *j;
    if (!r->meta.datom_schema ||
        dt_json_load_buf("datom.schema", r->meta.datom_schema, r->meta.datom_schema_len, &j) != 0)
        return;
    json_t *cols = json_object_get(j, "columns");
    if (json_is_array(cols) && json_array_size(cols) == r->schema.ncol) {
        for (size_t i = 0; i < r->schema.ncol; i++) {
            json_t *c = json_array_get(cols, i);
            const char *name = dt_json_str(c, "name"), *kind = dt_json_str(c, "kind");
            const char *unit = dt_json_str(c, "unit");
            dt_field *f = &r->schema.fields[i];
            if (!name || !kind || !unit || strcmp(name, f->name) || strcmp(kind, "duration") ||
                f->kind != DT_INT64)
                continue;
            for (int u = 0; u < 4; u++)
                if (!strcmp(unit, dt_unit_name((dt_time_unit)u))) {
                    f->kind = DT_DURATION;
                    f->unit = (dt_time_unit)u;
                }
        }
    }
    json_decref(j);
}

/* Every row group has one well-placed chunk per column, of the column's type. */
static int check_row_groups(dt_pq_reader *r)
{
    const dt_pq_meta *m = &r->meta;
    int64_t total = 0;
    for (size_t g = 0; g < m->nrg; g++) {
        const dt_pq_row_group *rg = &m->rgs[g];
        if (rg->num_rows < 0 || __builtin_add_overflow(total, rg->num_rows, &total))
            return dt_error(DATOM_ECORRUPT, "%s: row group %zu: bad row count", r->path, g);
        if (rg->ncol != r->schema.ncol)
            return dt_error(DATOM_ECORRUPT, "%s: row group %zu has %zu columns, the schema %zu",
                            r->path, g, rg->ncol, r->schema.ncol);
        for (size_t c = 0; c < rg->ncol; c++) {
            const dt_pq_chunk *ch = &rg->cols[c];
            const char *name = r->schema.fields[c].name;
            if (ch->external)
                return dt_error(DATOM_EUNSUPPORTED, "%s: column '%s', row group %zu: data in "
                                "another file", r->path, name, g);
            if (!ch->has_meta || ch->type != r->cols[c].ptype)
                return dt_error(DATOM_ECORRUPT, "%s: column '%s', row group %zu: chunk metadata "
                                "missing or of another type than the schema", r->path, name, g);
        }
    }
    if (total != m->num_rows)
        return corrupt(r, "row groups' row counts do not add up to the file's");
    return 0;
}

/* A failed read (err from dt_pq_src_read); where: "" or ": column 'x', ...". */
static int read_error(const dt_pq_reader *r, int err, const char *where)
{
    if (err > 0)
        return dt_error_errno(err, "%s%s: read", r->path, where);
    return dt_error(DATOM_EIO, "%s%s: the file ended early (it changed while being read)",
                    r->path, where);
}

/* Bytes [off, off + n) of the file into dst. */
static int read_copy(const dt_pq_reader *r, uint64_t off, size_t n, uint8_t *dst)
{
    dt_pq_rbuf buf = {0};
    const uint8_t *p;
    int err = dt_pq_src_read(&r->src, off, n, &buf, &p);
    if (err == 0)
        memcpy(dst, p, n);
    dt_pq_rbuf_free(&buf);
    return err ? read_error(r, err, "") : 0;
}

/* The magic at both ends, the footer's length, and the footer decoded. */
static int read_footer(dt_pq_reader *r)
{
    uint64_t size = r->src.size;
    uint8_t head[4] = {0}, tail[8] = {0};
    int rc = 0;
    if (size >= 12)
        rc = read_copy(r, 0, 4, head);
    if (rc == 0 && size >= 8)
        rc = read_copy(r, size - 8, 8, tail);
    if (rc != 0)
        return rc;
    if (size < 12 || memcmp(head, "PAR1", 4) || memcmp(tail + 4, "PAR1", 4)) {
        if (size >= 12 && !memcmp(tail + 4, "PARE", 4))
            return dt_error(DATOM_EUNSUPPORTED, "%s: encrypted Parquet files are not supported",
                            r->path);
        return corrupt(r, "no PAR1 magic at its start and end (truncated, or not Parquet)");
    }
    uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                    (uint32_t)tail[3] << 24;
    if (flen > size - 12)
        return corrupt(r, "footer length larger than the file");
    r->data_end = size - 8 - flen;
    dt_pq_rbuf buf = {0};
    const uint8_t *p;
    const char *why;
    int err = dt_pq_src_read(&r->src, r->data_end, flen, &buf, &p);
    if (err != 0)
        rc = read_error(r, err, "");
    else if (dt_pq_meta_decode(p, flen, &r->meta, &why) != 0)
        rc = dt_error(DATOM_ECORRUPT, "%s: not a valid Parquet file: footer metadata: %s",
                      r->path, why);
    dt_pq_rbuf_free(&buf);
    return rc;
}

static int open_source(dt_pq_reader *r)
{
    int rc = read_footer(r);
    if (rc == 0)
        rc = build_schema(r);
    if (rc == 0) {
        apply_datom_schema(r);
        rc = check_row_groups(r);
    }
    if (rc == 0) {
        r->batch = dt_table_new(&r->schema, 1024);
        r->row_bytes = DT_PQ_BATCH_BYTES / 16; /* the first slab: 16 rows */
    }
    return rc;
}

static dt_pq_reader *reader_new(const char *name)
{
    dt_pq_reader *r = dt_calloc(1, sizeof *r);
    r->path = dt_strdup(name);
    r->src.fd = -1;
    return r;
}

int dt_pq_open_mem(dt_pq_reader **out, const char *name, const void *p, size_t n)
{
    *out = NULL;
    dt_pq_reader *r = reader_new(name);
    r->src.mem = p;
    r->src.size = n;
    int rc = open_source(r);
    if (rc != 0) {
        dt_pq_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int dt_pq_open(dt_pq_reader **out, const char *path)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dt_error_errno(errno, "%s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = dt_error_errno(errno, "%s", path);
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return dt_error(DATOM_EINVAL, "%s: not a regular file", path);
    }
    dt_pq_reader *r = reader_new(path);
    r->src.fd = fd; /* closed by dt_pq_close */
    r->src.size = (uint64_t)st.st_size;
    /* a hint: each column chunk is read in order (pages stay in the page
     * cache, not in this process) */
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    int rc = open_source(r);
    if (rc != 0) {
        dt_pq_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

const dt_schema *dt_pq_schema(const dt_pq_reader *r) { return &r->schema; }

uint64_t dt_pq_num_rows(const dt_pq_reader *r) { return (uint64_t)r->meta.num_rows; }

/* Positions every column cursor at its chunk in row group g. */
static int start_row_group(dt_pq_reader *r, size_t g)
{
    const dt_pq_row_group *rg = &r->meta.rgs[g];
    for (size_t c = 0; c < r->schema.ncol; c++) {
        const dt_pq_chunk *ch = &rg->cols[c];
        int64_t start = ch->data_page_offset;
        if (ch->dictionary_page_offset > 0 && ch->dictionary_page_offset < start)
            start = ch->dictionary_page_offset;
        int64_t len = ch->total_compressed_size;
        if (start < 4 || len < 0 || (uint64_t)start > r->data_end ||
            (uint64_t)len > r->data_end - (uint64_t)start)
            return dt_error(DATOM_ECORRUPT, "%s: column '%s', row group %zu: column chunk lies "
                            "outside the file's data", r->path, r->schema.fields[c].name, g);
        dt_pq_col_start(&r->cols[c], &r->src, ch->codec, (uint64_t)start, (uint64_t)(start + len));
    }
    return 0;
}

static int next_batch(dt_pq_reader *r, dt_table **out);

static int column_error(const dt_pq_reader *r, size_t c, const char *why)
{
    const char *name = r->schema.fields[c].name;
    if (r->cols[c].read_err) {
        char where[300];
        snprintf(where, sizeof where, ": column '%.200s', row group %zu", name, r->rg);
        return read_error(r, r->cols[c].read_err, where);
    }
    return dt_error(r->cols[c].unsupported ? DATOM_EUNSUPPORTED : DATOM_ECORRUPT,
                    "%s: column '%s', row group %zu: %s", r->path, name, r->rg, why);
}

/* Bytes of string and binary data in the batch. */
static size_t batch_bytes(const dt_table *t)
{
    size_t n = 0;
    for (size_t c = 0; c < t->ncol; c++)
        n += t->cols[c].data_len;
    return n;
}

/* Rows for the next slab: what the budget left allows at the bytes per row
 * seen last, between 1 and DT_PQ_CHUNK. */
static size_t slab_rows(const dt_pq_reader *r, size_t budget)
{
    size_t rows = budget / r->row_bytes;
    return rows < 1 ? 1 : rows > DT_PQ_CHUNK ? DT_PQ_CHUNK : rows;
}

int dt_pq_next(dt_pq_reader *r, dt_table **out)
{
    *out = NULL;
    if (r->failed)
        return dt_error(r->failed, "%s: reading stopped at an earlier error", r->path);
    int rc = next_batch(r, out);
    if (rc != 0) {
        r->failed = rc;
        *out = NULL;
    }
    return rc;
}

static int next_batch(dt_pq_reader *r, dt_table **out)
{
    while (r->rg_left == 0) {
        if (r->rg_started) {
            for (size_t c = 0; c < r->schema.ncol; c++)
                if (dt_pq_col_has_leftover(&r->cols[c]))
                    return dt_error(DATOM_ECORRUPT, "%s: column '%s', row group %zu: pages hold "
                                    "more values than the row group's rows", r->path,
                                    r->schema.fields[c].name, r->rg);
            r->rg++;
            r->rg_started = false;
        }
        if (r->rg >= r->meta.nrg)
            return 0;
        int rc = start_row_group(r, r->rg);
        if (rc != 0)
            return rc;
        r->rg_started = true;
        r->rg_left = r->meta.rgs[r->rg].num_rows;
    }
    size_t n = (size_t)DT_MIN(r->rg_left, (int64_t)DT_PQ_BATCH_ROWS), done = 0;
    dt_table_clear(r->batch);
    /* Rows go in slabs, every column in step, so a batch can end early once
     * its strings pass DT_PQ_BATCH_BYTES: a dictionary or prefix encoding can
     * repeat a long value on every row. Slabs are sized from the bytes per
     * row seen so far. */
    while (done < n) {
        size_t slab = DT_MIN(n - done, slab_rows(r, DT_PQ_BATCH_BYTES - batch_bytes(r->batch)));
        size_t before = batch_bytes(r->batch);
        for (size_t c = 0; c < r->schema.ncol; c++) {
            const char *why;
            if (dt_pq_col_read(&r->cols[c], &r->batch->cols[c], slab, &why) != 0)
                return column_error(r, c, why);
        }
        done += slab;
        r->row_bytes = (batch_bytes(r->batch) - before) / slab + 1;
        if (batch_bytes(r->batch) >= DT_PQ_BATCH_BYTES)
            break;
    }
    n = done;
    r->batch->nrow = n;
    r->rg_left -= (int64_t)n;
    *out = r->batch;
    return 0;
}

void dt_pq_close(dt_pq_reader *r)
{
    if (!r)
        return;
    if (r->cols)
        for (size_t c = 0; c < r->schema.ncol; c++)
            dt_pq_col_free(&r->cols[c]);
    free(r->cols);
    dt_table_free(r->batch);
    dt_schema_free(&r->schema);
    dt_pq_meta_free(&r->meta);
    if (r->src.fd >= 0)
        close(r->src.fd);
    free(r->path);
    free(r);
}
