/*
 * test_parquet_hostile.c: Parquet files built byte by byte (INT96 timestamps,
 * legacy ConvertedType-only columns, nested and repeated columns, huge claimed
 * sizes) and damaged real files (truncated, bytes flipped, wrong magic). Every
 * damaged file must open and read to the end or fail with an error naming the
 * file: never crash, hang or allocate what the file claims.
 */
#include <inttypes.h>

#include "t.h"
#include "core/core.h"
#include "table/parquet/parquet.h"
#include "table/parquet/reader.h"

/* ---- a tiny Thrift compact writer for building files ---- */

typedef struct tw {
    dt_buf b;
    int16_t last[16];
    int depth;
} tw;

static void tw_byte(tw *w, uint8_t v) { dt_buf_append(&w->b, &v, 1); }

static void tw_varint(tw *w, uint64_t v)
{
    while (v >= 0x80) {
        tw_byte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    tw_byte(w, (uint8_t)v);
}

static uint64_t zz(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

static void tw_field(tw *w, int id, int type)
{
    int delta = id - w->last[w->depth];
    if (delta > 0 && delta <= 15) {
        tw_byte(w, (uint8_t)(delta << 4 | type));
    } else {
        tw_byte(w, (uint8_t)type);
        tw_varint(w, zz(id));
    }
    w->last[w->depth] = (int16_t)id;
}

static void tw_i32(tw *w, int id, int64_t v)
{
    tw_field(w, id, 5);
    tw_varint(w, zz(v));
}

static void tw_i64(tw *w, int id, int64_t v)
{
    tw_field(w, id, 6);
    tw_varint(w, zz(v));
}

static void tw_str(tw *w, int id, const char *s)
{
    tw_field(w, id, 8);
    tw_varint(w, strlen(s));
    dt_buf_puts(&w->b, s);
}

static void tw_push(tw *w)
{
    w->last[++w->depth] = 0;
}

static void tw_struct(tw *w, int id) /* a struct-typed field; close with tw_end */
{
    tw_field(w, id, 12);
    tw_push(w);
}

static void tw_end(tw *w)
{
    tw_byte(w, 0);
    w->depth--;
}

static void tw_list(tw *w, int id, int elem_type, size_t n)
{
    tw_field(w, id, 9);
    if (n < 15) {
        tw_byte(w, (uint8_t)(n << 4 | (size_t)elem_type));
    } else {
        tw_byte(w, (uint8_t)(0xf0 | elem_type));
        tw_varint(w, n);
    }
}

/* ---- building files ---- */

static int def_level_encoding = 3; /* RLE; 4: the deprecated BIT_PACKED */

typedef struct col_spec {
    const char *name;
    int type, repetition, converted, type_length; /* converted -1: none */
    int num_children;                              /* > 0: a group */
    const uint8_t *page;                           /* v1 page body (uncompressed) */
    size_t page_len;
    int num_values;
    int64_t claimed_uncompressed;                  /* 0: page_len */
    int codec;
    const uint8_t *dict;                           /* a PLAIN dictionary page body, or NULL */
    size_t dict_len;
    int dict_n;                                    /* its values; the data page is then RLE_DICTIONARY */
    size_t header_pad;                             /* bytes of an unknown field in the page header */
    int scale, precision;                          /* DECIMAL (converted 5) */
} col_spec;

static void schema_el(tw *w, const col_spec *c)
{
    tw_push(w);
    if (c->num_children == 0)
        tw_i32(w, 1, c->type);
    if (c->type_length)
        tw_i32(w, 2, c->type_length);
    tw_i32(w, 3, c->repetition);
    tw_str(w, 4, c->name);
    if (c->num_children)
        tw_i32(w, 5, c->num_children);
    if (c->converted >= 0)
        tw_i32(w, 6, c->converted);
    if (c->precision) {
        tw_i32(w, 7, c->scale);
        tw_i32(w, 8, c->precision);
    }
    tw_end(w);
}

/* A file of one row group; cols with a page are the leaves. */
static void build(dt_buf *file, const col_spec *cols, size_t ncol, int root_children, int64_t rows)
{
    int64_t offsets[16] = {0}, sizes[16] = {0};
    dt_buf_puts(file, "PAR1");
    size_t nleaf = 0;
    for (size_t i = 0; i < ncol; i++) {
        if (!cols[i].page)
            continue;
        offsets[nleaf] = (int64_t)file->len;
        if (cols[i].dict) {
            tw d = {0};
            tw_push(&d);
            tw_i32(&d, 1, 2); /* DICTIONARY_PAGE */
            tw_i32(&d, 2, (int64_t)cols[i].dict_len);
            tw_i32(&d, 3, (int64_t)cols[i].dict_len);
            tw_struct(&d, 7);
            tw_i32(&d, 1, cols[i].dict_n);
            tw_i32(&d, 2, 0); /* PLAIN */
            tw_end(&d);
            tw_end(&d);
            dt_buf_append(file, d.b.data, d.b.len);
            dt_buf_append(file, cols[i].dict, cols[i].dict_len);
            dt_buf_free(&d.b);
        }
        tw h = {0};
        tw_push(&h);
        tw_i32(&h, 1, 0); /* DATA_PAGE */
        tw_i32(&h, 2, cols[i].claimed_uncompressed ? cols[i].claimed_uncompressed : (int64_t)cols[i].page_len);
        tw_i32(&h, 3, (int64_t)cols[i].page_len);
        tw_struct(&h, 5);
        tw_i32(&h, 1, cols[i].num_values);
        tw_i32(&h, 2, cols[i].dict ? 8 : 0); /* RLE_DICTIONARY or PLAIN */
        tw_i32(&h, 3, def_level_encoding);
        tw_i32(&h, 4, 3);
        tw_end(&h);
        if (cols[i].header_pad) { /* field 15, binary: skipped by readers */
            tw_field(&h, 15, 8);
            tw_varint(&h, cols[i].header_pad);
            for (size_t k = 0; k < cols[i].header_pad; k++)
                tw_byte(&h, (uint8_t)k);
        }
        tw_end(&h);
        dt_buf_append(file, h.b.data, h.b.len);
        dt_buf_append(file, cols[i].page, cols[i].page_len);
        sizes[nleaf] = (int64_t)file->len - offsets[nleaf];
        nleaf++;
        dt_buf_free(&h.b);
    }
    tw m = {0};
    tw_push(&m);
    tw_i32(&m, 1, 1);
    tw_list(&m, 2, 12, ncol + 1);
    col_spec root = {.name = "schema", .num_children = root_children, .repetition = 0, .converted = -1};
    schema_el(&m, &root);
    for (size_t i = 0; i < ncol; i++)
        schema_el(&m, &cols[i]);
    tw_i64(&m, 3, rows);
    tw_list(&m, 4, 12, 1);
    tw_push(&m);
    tw_list(&m, 1, 12, nleaf);
    for (size_t i = 0, l = 0; i < ncol; i++) {
        if (!cols[i].page)
            continue;
        tw_push(&m); /* ColumnChunk */
        tw_i64(&m, 2, offsets[l]);
        tw_struct(&m, 3); /* ColumnMetaData */
        tw_i32(&m, 1, cols[i].type);
        tw_list(&m, 2, 5, 1);
        tw_varint(&m, zz(0));
        tw_list(&m, 3, 8, 1);
        tw_varint(&m, strlen(cols[i].name));
        dt_buf_puts(&m.b, cols[i].name);
        tw_i32(&m, 4, cols[i].codec);
        tw_i64(&m, 5, cols[i].num_values);
        tw_i64(&m, 6, sizes[l]);
        tw_i64(&m, 7, sizes[l]);
        tw_i64(&m, 9, offsets[l]);
        tw_end(&m);
        tw_end(&m);
        l++;
    }
    tw_i64(&m, 2, 0);
    tw_i64(&m, 3, rows);
    tw_end(&m);
    tw_str(&m, 6, "datom test builder");
    tw_end(&m);
    dt_buf_append(file, m.b.data, m.b.len);
    uint32_t flen = (uint32_t)m.b.len;
    uint8_t le[4] = {(uint8_t)flen, (uint8_t)(flen >> 8), (uint8_t)(flen >> 16), (uint8_t)(flen >> 24)};
    dt_buf_append(file, le, 4);
    dt_buf_puts(file, "PAR1");
    dt_buf_free(&m.b);
}

static void put_le(dt_buf *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        dt_buf_putc(b, (char)(v >> (8 * i)));
}

/* Definition levels for 4 rows, the last one null (RLE hybrid, one bit-packed group). */
static void levels_3_of_4(dt_buf *b)
{
    put_le(b, 2, 4);
    dt_buf_putc(b, 0x03);
    dt_buf_putc(b, 0x07);
}

/* An INT32 page of 4 rows: 1, 2, 3 and a null. */
static void page_1_2_3(dt_buf *b)
{
    levels_3_of_4(b);
    put_le(b, 1, 4);
    put_le(b, 2, 4);
    put_le(b, 3, 4);
}

/* A file of one OPTIONAL int32 column "x" holding page_1_2_3, claiming ROWS rows. */
static void file_1_2_3(dt_buf *f, int64_t rows)
{
    dt_buf page = DT_BUF_INIT;
    page_1_2_3(&page);
    col_spec c[] = {{"x", 1, 1, -1, 0, 0, page.data, page.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0}};
    build(f, c, 1, 1, rows);
    dt_buf_free(&page);
}

static char *write_tmp(const char *name, const dt_buf *b)
{
    static char *dir;
    if (!dir)
        dir = t_tmpdir("parquet_hostile");
    char *p = dt_path_join(dir, name);
    T_OK(dt_fs_write_atomic(p, b->data, b->len));
    return p;
}

/* Reads every batch; returns 0 or the error code. */
static int read_all(dt_pq_reader *r, size_t *rows)
{
    dt_table *t;
    *rows = 0;
    for (;;) {
        int rc = dt_pq_next(r, &t);
        if (rc != 0)
            return rc;
        if (!t)
            return 0;
        *rows += t->nrow;
    }
}

/* INT96 timestamps and legacy annotations, in a file built by hand. */
static void test_int96_and_legacy(void)
{
    dt_buf p96 = DT_BUF_INIT, pms = DT_BUF_INIT, pu32 = DT_BUF_INIT, putf = DT_BUF_INIT;
    /* INT96: nanoseconds of the day, then the Julian day */
    static const struct { int64_t nanos; int32_t jd; } v96[] = {
        {0, 2440588}, {45296789012345LL, 2451545}, {86399999999999LL, 2440587}};
    levels_3_of_4(&p96);
    for (int i = 0; i < 3; i++) {
        put_le(&p96, (uint64_t)v96[i].nanos, 8);
        put_le(&p96, (uint32_t)v96[i].jd, 4);
    }
    levels_3_of_4(&pms);
    put_le(&pms, (uint64_t)INT64_C(-1), 8);
    put_le(&pms, 1700000000123ULL, 8);
    put_le(&pms, 0, 8);
    levels_3_of_4(&pu32);
    put_le(&pu32, 4294967295u, 4);
    put_le(&pu32, 2147483648u, 4);
    put_le(&pu32, 7, 4);
    levels_3_of_4(&putf);
    for (int i = 0; i < 3; i++) {
        put_le(&putf, 3, 4);
        dt_buf_puts(&putf, i == 0 ? "abc" : i == 1 ? "d\xc3\xa9" : "xyz");
    }
    col_spec cols[] = {
        {"ts96", 3, 1, -1, 0, 0, p96.data, p96.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0},
        {"ts_ms", 2, 1, 9 /* TIMESTAMP_MILLIS */, 0, 0, pms.data, pms.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0},
        {"u32", 1, 1, 13 /* UINT_32 */, 0, 0, pu32.data, pu32.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0},
        {"s", 6, 1, 0 /* UTF8 */, 0, 0, putf.data, putf.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0},
    };
    dt_buf f = DT_BUF_INIT;
    build(&f, cols, 4, 4, 4);
    char *path = write_tmp("int96.parquet", &f);
    dt_pq_reader *r;
    T_OK(dt_pq_open(&r, path));
    const dt_schema *s = dt_pq_schema(r);
    T_EQ_INT(s->ncol, 4);
    T_EQ_INT(s->fields[0].kind, DT_TIMESTAMP);
    T_EQ_INT(s->fields[0].unit, DT_UNIT_NS); /* INT96 keeps its nanoseconds, with no zone */
    T_ASSERT(!s->fields[0].utc);
    T_EQ_INT(s->fields[1].kind, DT_TIMESTAMP);
    T_EQ_INT(s->fields[1].unit, DT_UNIT_MS); /* a legacy TIMESTAMP_MILLIS: no zone, as peers read it */
    T_ASSERT(!s->fields[1].utc);
    T_EQ_INT(s->fields[2].kind, DT_UINT64);
    T_EQ_INT(s->fields[3].kind, DT_STRING);
    dt_table *t;
    T_OK(dt_pq_next(r, &t));
    T_ASSERT(t && t->nrow == 4);
    int64_t *ts = DT_COL(&t->cols[0], int64_t);
    T_EQ_INT(ts[0], 0);
    T_EQ_INT(ts[1], 946730096789012345LL); /* 2000-01-01T12:34:56.789012345 */
    T_EQ_INT(ts[2], -1);                   /* 1969-12-31T23:59:59.999999999 */
    T_ASSERT(!dt_col_is_valid(&t->cols[0], 3));
    dt_buf b = DT_BUF_INIT;
    dt_value_format(&t->cols[0], 1, &b);
    T_EQ_STR(dt_buf_cstr(&b), "2000-01-01T12:34:56.789012345");
    dt_buf_clear(&b);
    dt_value_format(&t->cols[0], 2, &b);
    T_EQ_STR(dt_buf_cstr(&b), "1969-12-31T23:59:59.999999999");
    dt_buf_free(&b);
    T_EQ_INT(DT_COL(&t->cols[1], int64_t)[0], -1);
    T_EQ_INT(DT_COL(&t->cols[1], int64_t)[1], 1700000000123LL);
    T_ASSERT(DT_COL(&t->cols[2], uint64_t)[0] == 4294967295u);
    T_ASSERT(DT_COL(&t->cols[2], uint64_t)[1] == 2147483648u);
    size_t n;
    const char *str = dt_col_str(&t->cols[3], 1, &n);
    T_EQ_INT(n, 3);
    T_ASSERT(!memcmp(str, "d\xc3\xa9", 3));
    T_OK(dt_pq_next(r, &t));
    T_ASSERT(t == NULL);
    dt_pq_close(r);
    free(path);
    dt_buf_free(&f);
    dt_buf_free(&p96);
    dt_buf_free(&pms);
    dt_buf_free(&pu32);
    dt_buf_free(&putf);
}

/* UINT64 holds its full range; an INT96 timestamp past the nanosecond range
 * is an error naming the column, not a wrapped value. */
static void test_uint64_and_int96_range(void)
{
    dt_buf page = DT_BUF_INIT, p96 = DT_BUF_INIT;
    levels_3_of_4(&page);
    put_le(&page, 5, 8);
    put_le(&page, UINT64_MAX, 8);
    put_le(&page, (uint64_t)1 << 63, 8);
    levels_3_of_4(&p96);
    static const int32_t days[] = {2440588, 1721426 /* 0001-01-01 */, 2440589};
    for (int i = 0; i < 3; i++) {
        put_le(&p96, 0, 8);
        put_le(&p96, (uint32_t)days[i], 4);
    }
    col_spec c[] = {{"big", 2, 1, 14 /* UINT_64 */, 0, 0, page.data, page.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0},
                    {"old", 3, 1, -1, 0, 0, p96.data, p96.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0}};
    dt_buf f = DT_BUF_INIT;
    build(&f, c, 1, 1, 4);
    dt_pq_reader *r;
    T_OK(dt_pq_open_mem(&r, "u64.parquet", f.data, f.len));
    T_EQ_INT(dt_pq_schema(r)->fields[0].kind, DT_UINT64);
    dt_table *t;
    T_OK(dt_pq_next(r, &t));
    T_ASSERT(DT_COL(&t->cols[0], uint64_t)[1] == UINT64_MAX);
    T_ASSERT(DT_COL(&t->cols[0], uint64_t)[2] == (uint64_t)1 << 63);
    dt_buf b = DT_BUF_INIT;
    dt_value_format(&t->cols[0], 1, &b);
    T_EQ_STR(dt_buf_cstr(&b), "18446744073709551615");
    dt_buf_free(&b);
    dt_pq_close(r);
    dt_buf_free(&f);
    build(&f, c, 2, 2, 4);
    T_OK(dt_pq_open_mem(&r, "int96.parquet", f.data, f.len));
    size_t rows;
    T_ERR(read_all(r, &rows), DATOM_EUNSUPPORTED, "int96.parquet: column 'old', row group 0: INT96 timestamp beyond");
    dt_pq_close(r);
    dt_buf_free(&f);
    dt_buf_free(&page);
    dt_buf_free(&p96);
}

/* Decimals of 19 to 38 digits in FIXED_LEN_BYTE_ARRAY of any width: narrow
 * ones sign-extended, wide ones only when the extra bytes are sign extension
 * (else the file is damaged: a value no DECIMAL(38) holds); intervals only
 * in 12 bytes (else bytes). */
static void test_decimal128_widths(void)
{
    dt_buf p3 = DT_BUF_INIT, p17 = DT_BUF_INIT, piv = DT_BUF_INIT, p11 = DT_BUF_INIT;
    levels_3_of_4(&p3);
    dt_buf_append(&p3, "\x7f\xff\xff\x80\x00\x00\xff\xff\xff", 9);
    levels_3_of_4(&p17);
    static const uint8_t pos[17] = {0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t neg[17], one[17] = {0};
    memset(neg, 0xff, sizeof neg);
    neg[16] = 0xfe; /* -2 */
    one[16] = 1;
    dt_buf_append(&p17, pos, 17);
    dt_buf_append(&p17, neg, 17);
    dt_buf_append(&p17, one, 17);
    levels_3_of_4(&piv);
    levels_3_of_4(&p11);
    for (int i = 0; i < 3; i++) {
        put_le(&piv, 14, 4), put_le(&piv, 3, 4), put_le(&piv, 14706789, 4);
        dt_buf_append(&p11, "elevenbytes", 11);
    }
    col_spec c[] = {
        {"d3", 7, 1, 5, 3, 0, p3.data, p3.len, 4, 0, 0, NULL, 0, 0, 0, 0, 20},
        {"d17", 7, 1, 5, 17, 0, p17.data, p17.len, 4, 0, 0, NULL, 0, 0, 0, 2, 38},
        {"iv", 7, 1, 21 /* INTERVAL */, 12, 0, piv.data, piv.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0},
        {"iv11", 7, 1, 21, 11, 0, p11.data, p11.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0},
    };
    dt_buf f = DT_BUF_INIT;
    build(&f, c, 4, 4, 4);
    dt_pq_reader *r;
    T_OK(dt_pq_open_mem(&r, "dec.parquet", f.data, f.len));
    const dt_schema *s = dt_pq_schema(r);
    T_EQ_INT(s->fields[0].kind, DT_DECIMAL128);
    T_EQ_INT(s->fields[1].kind, DT_DECIMAL128);
    T_EQ_INT(s->fields[2].kind, DT_INTERVAL);
    T_EQ_INT(s->fields[3].kind, DT_BINARY);
    dt_table *t;
    T_OK(dt_pq_next(r, &t));
    static const char *const want[][3] = {{"8388607", "-8388608", "-1"},
                                          {"1701411834604692317316873037158841057.27", "-0.02", "0.01"},
                                          {"1 year 2 months 3 days 04:05:06.789", NULL, NULL}};
    dt_buf b = DT_BUF_INIT;
    for (size_t col = 0; col < 3; col++)
        for (size_t row = 0; row < 3 && want[col][row]; row++) {
            dt_buf_clear(&b);
            dt_value_format(&t->cols[col], row, &b);
            T_EQ_STR(dt_buf_cstr(&b), want[col][row]);
        }
    dt_buf_free(&b);
    dt_pq_close(r);
    /* a 17-byte value whose first byte is not sign extension */
    one[0] = 1;
    p17.len -= 17;
    dt_buf_append(&p17, one, 17);
    c[1].page = p17.data;
    dt_buf_clear(&f);
    build(&f, c, 4, 4, 4);
    T_OK(dt_pq_open_mem(&r, "dec.parquet", f.data, f.len));
    size_t rows;
    T_ERR(read_all(r, &rows), DATOM_ECORRUPT, "dec.parquet: column 'd17', row group 0: decimal value does not fit 38 digits");
    dt_pq_close(r);
    dt_buf_free(&f);
    dt_buf_free(&p3);
    dt_buf_free(&p17);
    dt_buf_free(&piv);
    dt_buf_free(&p11);
}

/* One 256 KiB dictionary value on 2,000 rows (a few bytes of RLE): batches
 * end once their strings pass DT_PQ_BATCH_BYTES, so memory stays bounded. */
static void test_dictionary_amplification(void)
{
    size_t big = (size_t)256 << 10;
    dt_buf dict = DT_BUF_INIT, page = DT_BUF_INIT;
    put_le(&dict, big, 4);
    for (size_t i = 0; i < big; i++)
        dt_buf_putc(&dict, (char)('a' + i % 26));
    int rows = 2000;
    dt_buf_putc(&page, 1); /* index bit width */
    unsigned h = (unsigned)rows << 1; /* an RLE run of `rows` zeros: varint header, value */
    dt_buf_putc(&page, (char)((h & 0x7f) | 0x80));
    dt_buf_putc(&page, (char)(((h >> 7) & 0x7f) | 0x80));
    dt_buf_putc(&page, (char)(h >> 14));
    dt_buf_putc(&page, 0);
    col_spec c[] = {{"s", 6, 0, 0 /* UTF8 */, 0, 0, page.data, page.len, rows, 0, 0, dict.data, dict.len, 1, 0, 0, 0}};
    dt_buf f = DT_BUF_INIT;
    build(&f, c, 1, 1, rows);
    dt_pq_reader *r;
    T_OK(dt_pq_open_mem(&r, "amp.parquet", f.data, f.len));
    dt_table *t;
    size_t total = 0, batches = 0;
    while (dt_pq_next(r, &t) == 0 && t) {
        T_ASSERT(t->cols[0].data_len <= (size_t)96 << 20);
        size_t n;
        const char *s = dt_col_str(&t->cols[0], t->nrow - 1, &n);
        T_EQ_INT(n, big);
        T_ASSERT(s[big - 1] == (char)('a' + (big - 1) % 26));
        total += t->nrow;
        batches++;
    }
    T_EQ_INT(total, rows);
    T_ASSERT(batches >= 7);
    dt_pq_close(r);
    dt_buf_free(&f);
    dt_buf_free(&dict);
    dt_buf_free(&page);
}

/* The deprecated BIT_PACKED definition levels: MSB first, no length prefix. */
static void test_bit_packed_levels(void)
{
    dt_buf page = DT_BUF_INIT;
    dt_buf_putc(&page, (char)0xb0); /* levels 1,0,1,1 */
    put_le(&page, 10, 4);
    put_le(&page, 30, 4);
    put_le(&page, 40, 4);
    col_spec c[] = {{"x", 1, 1, -1, 0, 0, page.data, page.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0}};
    dt_buf f = DT_BUF_INIT;
    def_level_encoding = 4;
    build(&f, c, 1, 1, 4);
    def_level_encoding = 3;
    dt_pq_reader *r;
    T_OK(dt_pq_open_mem(&r, "bp.parquet", f.data, f.len));
    dt_table *t;
    T_OK(dt_pq_next(r, &t));
    T_ASSERT(t && t->nrow == 4);
    T_EQ_INT(DT_COL(&t->cols[0], int32_t)[0], 10);
    T_ASSERT(!dt_col_is_valid(&t->cols[0], 1));
    T_EQ_INT(DT_COL(&t->cols[0], int32_t)[2], 30);
    T_EQ_INT(DT_COL(&t->cols[0], int32_t)[3], 40);
    dt_pq_close(r);
    dt_buf_free(&f);
    dt_buf_free(&page);
}

/* Footers that nest structs without end, or claim lists longer than themselves. */
static void test_hostile_footers(void)
{
    static const struct {
        const char *name, *why;
        uint8_t fill; /* repeated after the first byte */
        uint8_t first;
    } cases[] = {
        {"deep.parquet", "nested too deeply", 0xfc, 0xfc}, /* field 15 (unknown): a struct, again and again */
        {"list.parquet", "list longer than the data", 0x00, 0x29}, /* field 2: list, header next */
    };
    for (size_t k = 0; k < DT_ARRAY_LEN(cases); k++) {
        dt_buf f = DT_BUF_INIT, m = DT_BUF_INIT;
        dt_buf_putc(&m, (char)cases[k].first);
        if (k == 1) { /* a list of 2^30 structs in a 12-byte footer */
            dt_buf_putc(&m, (char)0xfc);
            const uint8_t n[] = {0x80, 0x80, 0x80, 0x80, 0x04};
            dt_buf_append(&m, n, sizeof n);
        } else {
            for (int i = 0; i < 200; i++)
                dt_buf_putc(&m, (char)cases[k].fill);
        }
        for (int i = 0; i < 4; i++)
            dt_buf_putc(&m, 0);
        dt_buf_puts(&f, "PAR1");
        dt_buf_append(&f, m.data, m.len);
        put_le(&f, m.len, 4);
        dt_buf_puts(&f, "PAR1");
        dt_pq_reader *r;
        T_ERR(dt_pq_open_mem(&r, cases[k].name, f.data, f.len), DATOM_ECORRUPT, cases[k].why);
        T_ASSERT(strstr(datom_errmsg(), cases[k].name) != NULL);
        dt_buf_free(&f);
        dt_buf_free(&m);
    }
}

/* A group column and a repeated column are refused, by name. */
static void test_nested_rejected(void)
{
    dt_buf page = DT_BUF_INIT;
    page_1_2_3(&page);
    col_spec grp[] = {
        {"plain", 1, 1, -1, 0, 0, page.data, page.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0},
        {"st", 0, 1, -1, 0, 1, NULL, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0},
        {"inner", 1, 1, -1, 0, 0, page.data, page.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0},
    };
    dt_buf f = DT_BUF_INIT;
    build(&f, grp, 3, 2, 4);
    char *path = write_tmp("struct.parquet", &f);
    dt_pq_reader *r;
    T_ERR(dt_pq_open(&r, path), DATOM_EUNSUPPORTED, "column 'st' is nested");
    free(path);
    dt_buf_clear(&f);
    col_spec rep[] = {{"rep", 1, 2, -1, 0, 0, page.data, page.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0}};
    build(&f, rep, 1, 1, 4);
    path = write_tmp("repeated.parquet", &f);
    T_ERR(dt_pq_open(&r, path), DATOM_EUNSUPPORTED, "column 'rep' is repeated");
    free(path);
    dt_buf_free(&f);
    dt_buf_free(&page);
}

/* A file of N int32 columns and one row, by our own writer. */
static char *wide_file(size_t n)
{
    dt_schema sc;
    dt_schema_init(&sc, n);
    for (size_t c = 0; c < n; c++) {
        char name[24]; /* "c" and any size_t */
        snprintf(name, sizeof name, "c%zu", c);
        dt_schema_set(&sc, c, name, DT_INT32);
    }
    dt_table *t = dt_table_new(&sc, 1);
    for (size_t c = 0; c < n; c++)
        dt_col_append_i32(&t->cols[c], (int32_t)c);
    dt_table_end_row(t);
    dt_buf f = DT_BUF_INIT;
    dt_pq_writer *w;
    T_OK(dt_pq_writer_open(&w, &sc, NULL, dt_sink_buf(&f)));
    T_OK(dt_pq_writer_write(w, t));
    T_OK(dt_pq_writer_close(w));
    char *path = write_tmp(n > DT_TABLE_MAX_COLUMNS ? "too-wide.parquet" : "widest.parquet", &f);
    dt_buf_free(&f);
    dt_table_free(t);
    dt_schema_free(&sc);
    return path;
}

/* More columns than a table may have: refused at open, before the buffers
 * each would cost (a 100,000-column footer of a few MB took gigabytes). */
static void test_too_many_columns(void)
{
    char *path = wide_file(DT_TABLE_MAX_COLUMNS);
    dt_pq_reader *r;
    size_t rows;
    T_OK(dt_pq_open(&r, path));
    T_OK(read_all(r, &rows));
    T_EQ_INT(rows, 1);
    dt_pq_close(r);
    free(path);
    path = wide_file(DT_TABLE_MAX_COLUMNS + 1);
    T_ERR(dt_pq_open(&r, path), DATOM_EINVAL, "32768 columns, more than 32767");
    free(path);
}

/* A page that claims 2 GiB (snappy, so the claim can be checked) or more than
 * the limit: an error, and no such allocation (ASan would report one). */
static void test_huge_claims(void)
{
    dt_buf page = DT_BUF_INIT;
    page_1_2_3(&page);
    const int codecs[] = {1 /* SNAPPY */, 2 /* GZIP */, 4 /* BROTLI */, 6 /* ZSTD */, 7 /* LZ4_RAW */, 0};
    for (size_t k = 0; k < DT_ARRAY_LEN(codecs); k++) {
        col_spec c[] = {{"x", 1, 1, -1, 0, 0, page.data, page.len, 4, INT32_MAX, codecs[k], NULL, 0, 0, 0, 0, 0}};
        dt_buf f = DT_BUF_INIT;
        build(&f, c, 1, 1, 4);
        char *path = write_tmp("huge.parquet", &f);
        dt_pq_reader *r;
        T_OK(dt_pq_open(&r, path));
        size_t rows;
        T_ERR(read_all(r, &rows), DATOM_ECORRUPT, path);
        dt_pq_close(r);
        free(path);
        dt_buf_free(&f);
    }
    /* a claimed row count far beyond the pages: an error once the pages run out */
    col_spec c[] = {{"x", 1, 1, -1, 0, 0, page.data, page.len, 4, 0, 0, NULL, 0, 0, 0, 0, 0}};
    dt_buf f = DT_BUF_INIT;
    build(&f, c, 1, 1, INT64_C(1) << 40);
    char *path = write_tmp("many_rows.parquet", &f);
    dt_pq_reader *r;
    T_OK(dt_pq_open(&r, path));
    size_t rows;
    T_ERR(read_all(r, &rows), DATOM_ECORRUPT, "column chunk ends");
    dt_pq_close(r);
    free(path);
    dt_buf_free(&f);
    dt_buf_free(&page);
}

/* Page headers longer than the reader's first read of a page (64 KiB) are
 * read again in a wider window; files and memory read the same. */
static void test_long_page_headers(void)
{
    dt_buf page = DT_BUF_INIT;
    page_1_2_3(&page);
    col_spec c[] = {
        {"x", 1, 1, -1, 0, 0, page.data, page.len, 4, 0, 0, NULL, 0, 0, (size_t)200 << 10, 0, 0},
        {"y", 1, 1, -1, 0, 0, page.data, page.len, 4, 0, 0, NULL, 0, 0, (size_t)64 << 10, 0, 0},
    };
    dt_buf f = DT_BUF_INIT;
    build(&f, c, 2, 2, 4);
    char *path = write_tmp("long_header.parquet", &f);
    dt_pq_reader *r;
    T_OK(dt_pq_open(&r, path));
    dt_table *t;
    T_OK(dt_pq_next(r, &t));
    T_ASSERT(t && t->nrow == 4);
    for (int k = 0; k < 2; k++) {
        T_EQ_INT(DT_COL(&t->cols[k], int32_t)[2], 3);
        T_ASSERT(!dt_col_is_valid(&t->cols[k], 3));
    }
    dt_pq_close(r);
    free(path);
    dt_buf_free(&f);
    dt_buf_free(&page);
}

/* A file cut short after it was opened: the read that runs out is an I/O
 * error naming the file and the column, not a crash or corrupt data. */
static void test_file_shrinks(void)
{
    dt_buf f = DT_BUF_INIT;
    file_1_2_3(&f, 4);
    char *path = write_tmp("shrinks.parquet", &f);
    dt_pq_reader *r;
    T_OK(dt_pq_open(&r, path));
    T_ASSERT(truncate(path, 6) == 0);
    size_t rows;
    T_ERR(read_all(r, &rows), DATOM_EIO, "column 'x', row group 0: the file ended early");
    T_ASSERT(strstr(datom_errmsg(), path) != NULL);
    dt_pq_close(r);
    free(path);
    dt_buf_free(&f);
}

static void test_bad_magic_and_footer(void)
{
    dt_buf f = DT_BUF_INIT;
    file_1_2_3(&f, 4);
    dt_pq_reader *r;
    T_OK(dt_pq_open_mem(&r, "good.parquet", f.data, f.len));
    dt_pq_close(r);
    f.data[0] = 'X';
    T_ERR(dt_pq_open_mem(&r, "m.parquet", f.data, f.len), DATOM_ECORRUPT, "m.parquet: not a valid Parquet file: no PAR1");
    f.data[0] = 'P';
    f.data[f.len - 5] = 0x7f; /* footer length: about 2 GiB */
    T_ERR(dt_pq_open_mem(&r, "f.parquet", f.data, f.len), DATOM_ECORRUPT, "footer length larger than the file");
    T_ERR(dt_pq_open_mem(&r, "e.parquet", f.data, 0), DATOM_ECORRUPT, "e.parquet");
    T_ERR(dt_pq_open_mem(&r, "e.parquet", "PAR1PAR1", 8), DATOM_ECORRUPT, "e.parquet");
    dt_buf_clear(&f);
    build(&f, NULL, 0, 0, INT64_C(1) << 60); /* no columns, many rows */
    T_ERR(dt_pq_open_mem(&r, "nocols.parquet", f.data, f.len), DATOM_EUNSUPPORTED, "no columns");
    dt_buf_free(&f);
}

/* Opens and reads the mutant; 0 when it read cleanly, else the error, which
 * must name it. */
static int try_mutant(const uint8_t *p, size_t n)
{
    dt_pq_reader *r;
    int rc = dt_pq_open_mem(&r, "mutant.parquet", p, n);
    if (rc == 0) {
        size_t rows;
        rc = read_all(r, &rows);
        dt_pq_close(r);
    }
    if (rc != 0 && !strstr(datom_errmsg(), "mutant.parquet"))
        T_FAIL("error does not name the file: %s", datom_errmsg());
    return rc;
}

/* The same mutant read from a file (pread, page by page) fails the same way. */
static void check_mutant_file(const uint8_t *p, size_t n, int rc_mem)
{
    dt_buf b = {.data = (uint8_t *)p, .len = n};
    char *path = write_tmp("mutant.parquet", &b);
    dt_pq_reader *r;
    int rc = dt_pq_open(&r, path);
    if (rc == 0) {
        size_t rows;
        rc = read_all(r, &rows);
        dt_pq_close(r);
    }
    free(path);
    if (rc != rc_mem)
        T_FAIL("a mutant fails with %d from a file, %d from memory: %s", rc, rc_mem, datom_errmsg());
}

/* Small files from every peer, truncated at many lengths and with bytes
 * flipped at many offsets. */
static void test_damaged_files(void)
{
    const char *src = getenv("SRC");
    T_ASSERT(src != NULL);
    char *dir = t_tmpdir("parquet_small");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "node '%s/tests/interop/pq_small_gen.mjs' '%s'", src, dir);
    if (system(cmd) != 0)
        T_FAIL("'%s' failed (node and tests/interop/node_modules are needed: scripts/deps --test)", cmd);
    static const char *const files[] = {
        "duckdb_V1_snappy.parquet", "duckdb_V2_zstd.parquet", "duckdb_V2_gzip.parquet",
        "arrow_v2_lz4_raw.parquet", "arrow_v1_brotli.parquet", "arrow_v1_lz4.parquet",
        "hyparquet.parquet"};
    for (size_t f = 0; f < DT_ARRAY_LEN(files); f++) {
        char *path = dt_path_join(dir, files[f]);
        dt_buf b = DT_BUF_INIT;
        T_OK(dt_fs_read_all(path, &b, 1 << 20));
        free(path);
        if (try_mutant(b.data, b.len) != 0)
            T_FAIL("%s does not read: %s", files[f], datom_errmsg());
        size_t n = b.len, errors = 0, tries = 0;
        uint8_t *m = dt_malloc(n);
        for (size_t len = 0; len < n; len += 1 + n / 100, tries++) {
            memcpy(m, b.data, len); /* a copy of just len bytes: ASan sees overreads */
            int rc = try_mutant(m, len);
            errors += rc != 0;
            if (tries % 10 == 0)
                check_mutant_file(m, len, rc);
        }
        T_EQ_INT(errors, tries); /* every truncation loses the footer */
        for (size_t i = 0; i < n; i += 1 + n / 400) {
            static const uint8_t flips[] = {0xff, 0x01};
            for (size_t k = 0; k < sizeof flips; k++) {
                memcpy(m, b.data, n);
                m[i] ^= flips[k];
                int rc = try_mutant(m, n);
                if ((i + k) % 8 == 0)
                    check_mutant_file(m, n, rc);
            }
        }
        free(m);
        dt_buf_free(&b);
    }
    free(dir);
}

int main(void)
{
    T_RUN(test_int96_and_legacy);
    T_RUN(test_nested_rejected);
    T_RUN(test_uint64_and_int96_range);
    T_RUN(test_decimal128_widths);
    T_RUN(test_bit_packed_levels);
    T_RUN(test_hostile_footers);
    T_RUN(test_dictionary_amplification);
    T_RUN(test_huge_claims);
    T_RUN(test_too_many_columns);
    T_RUN(test_bad_magic_and_footer);
    T_RUN(test_long_page_headers);
    T_RUN(test_file_shrinks);
    T_RUN(test_damaged_files);
    return t_done();
}
