/* test_cv1.c: data_sha "datom-cv1" (src/table/cv1.c) against the published check
 * values and an independent reference implementation (values computed with a
 * short Python script following docs/formats.md, "data_sha"). */
#include <math.h>

#include "table/cv1.h"
#include "t.h"

static dt_table *one_col(const char *name, dt_kind kind)
{
    dt_schema s;
    dt_schema_init(&s, 1);
    dt_schema_set(&s, 0, name, kind);
    dt_table *t = dt_table_new(&s, 4);
    dt_schema_free(&s);
    return t;
}

static void add_str(dt_table *t, const char *v)
{
    if (v)
        dt_col_append_bytes(&t->cols[0], v, strlen(v));
    else
        dt_col_append_null(&t->cols[0]);
    dt_table_end_row(t);
}

static void test_nist(void)
{
    char hex[DATOM_SHA_HEX];
    dt_sha256_hex("abc", 3, hex);
    T_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_check_value_chr(void)
{
    dt_table *t = one_col("x", DT_STRING);
    add_str(t, "a");
    add_str(t, NULL);
    add_str(t, "");
    add_str(t, "z");
    char hex[DATOM_SHA_HEX];
    T_OK(dt_cv1_table(t, NULL, hex));
    T_EQ_STR(hex, "15ceda31e3f254bd4b7d1afa2150150dff971bb0c5943bb6fd3d90d4a9bd8c7c");
    dt_table_free(t);
}

static void test_check_value_date(void)
{
    dt_table *t = one_col("x", DT_DATE);
    dt_col_append_i32(&t->cols[0], 20454); /* 2026-01-01 */
    dt_table_end_row(t);
    dt_col_append_null(&t->cols[0]);
    dt_table_end_row(t);
    dt_col_append_i32(&t->cols[0], 20818); /* 2026-12-31 */
    dt_table_end_row(t);
    char hex[DATOM_SHA_HEX];
    T_OK(dt_cv1_table(t, NULL, hex));
    T_EQ_STR(hex, "2ce0b61a4f6474d237c3256d3e612117dfcc53e5cc67971e25ddabfe4d80c72f");
    dt_table_free(t);
}

/* id int32 [1,2,NA]; v double [NaN,-0,1.5]; s ["é",NA,"b"]; t timestamp
 * [1.5 s, NA, 1 us]; d duration ms [60000, NA, 500]; big int64 [2^62, NA, -1] */
static dt_table *mixed(void)
{
    dt_schema s;
    dt_schema_init(&s, 6);
    dt_schema_set(&s, 0, "id", DT_INT32);
    dt_schema_set(&s, 1, "v", DT_DOUBLE);
    dt_schema_set(&s, 2, "s", DT_STRING);
    dt_schema_set(&s, 3, "t", DT_TIMESTAMP);
    dt_schema_set(&s, 4, "d", DT_DURATION);
    s.fields[4].unit = DT_UNIT_MS;
    dt_schema_set(&s, 5, "big", DT_INT64);
    dt_table *t = dt_table_new(&s, 4);
    dt_schema_free(&s);
    dt_column *c = t->cols;
    dt_col_append_i32(&c[0], 1);
    dt_col_append_f64(&c[1], NAN);
    dt_col_append_bytes(&c[2], "\xc3\xa9", 2);
    dt_col_append_i64(&c[3], 1500000);
    dt_col_append_i64(&c[4], 60000);
    dt_col_append_i64(&c[5], 1LL << 62);
    dt_table_end_row(t);
    dt_col_append_i32(&c[0], 2);
    dt_col_append_f64(&c[1], -0.0);
    dt_col_append_null(&c[2]);
    dt_col_append_null(&c[3]);
    dt_col_append_null(&c[4]);
    dt_col_append_null(&c[5]);
    dt_table_end_row(t);
    dt_col_append_null(&c[0]);
    dt_col_append_f64(&c[1], 1.5);
    dt_col_append_bytes(&c[2], "b", 1);
    dt_col_append_i64(&c[3], 1);
    dt_col_append_i64(&c[4], 500);
    dt_col_append_i64(&c[5], -1);
    dt_table_end_row(t);
    return t;
}

static void test_reference_mixed(void)
{
    dt_table *t = mixed();
    char hex[DATOM_SHA_HEX];
    dt_cv1_options o = {.int64_as_i64 = true};
    T_OK(dt_cv1_table(t, &o, hex));
    T_EQ_STR(hex, "b311dcd6bf2deecffe2870928fe03321f18027021073e27088503bc1d74149ea");
    T_OK(dt_cv1_table(t, NULL, hex));
    T_EQ_STR(hex, "77596f2d6e9cf9610f85b1aff56c304d128beb496bef9273750bc79b0ecdec94");
    dt_table_free(t);
}

/* Any split into batches, and spilling string values to disk, hash the same. */
static void test_streaming_and_spill(void)
{
    dt_schema s;
    dt_schema_init(&s, 2);
    dt_schema_set(&s, 0, "n", DT_INT64);
    dt_schema_set(&s, 1, "s", DT_STRING);
    dt_table *whole = dt_table_new(&s, 16);
    char v[32];
    for (int i = 0; i < 5000; i++) {
        dt_col_append_i64(&whole->cols[0], i * 7);
        if (i % 13 == 0) {
            dt_col_append_null(&whole->cols[1]);
        } else {
            int n = snprintf(v, sizeof v, "value-%d", i);
            dt_col_append_bytes(&whole->cols[1], v, (size_t)n);
        }
        dt_table_end_row(whole);
    }
    char one[DATOM_SHA_HEX], two[DATOM_SHA_HEX];
    T_OK(dt_cv1_table(whole, NULL, one));

    dt_cv1_options o = {.spool_mem = 100}; /* forces the temporary file */
    dt_cv1 *h;
    T_OK(dt_cv1_begin(&h, &s, &o));
    dt_table *b = dt_table_new(&s, 16);
    for (size_t r = 0; r < whole->nrow; r++) {
        dt_col_append_i64(&b->cols[0], DT_COL(&whole->cols[0], int64_t)[r]);
        if (dt_col_is_valid(&whole->cols[1], r)) {
            size_t n;
            const char *p = dt_col_str(&whole->cols[1], r, &n);
            dt_col_append_bytes(&b->cols[1], p, n);
        } else {
            dt_col_append_null(&b->cols[1]);
        }
        dt_table_end_row(b);
        if (b->nrow == 777 || r + 1 == whole->nrow) {
            T_OK(dt_cv1_add(h, b));
            dt_table_clear(b);
        }
    }
    T_OK(dt_cv1_finish(h, two));
    T_EQ_STR(one, two);
    T_EQ_INT(dt_cv1_nrow(h), 5000);
    T_ASSERT(dt_cv1_column_sha(h, 1) != NULL);
    T_EQ_INT(strlen(dt_cv1_column_sha(h, 1)), 64);
    dt_cv1_free(h);
    dt_table_free(b);
    dt_table_free(whole);
    dt_schema_free(&s);
}

static void test_num_kinds_agree(void)
{
    /* TRUE, 1L and 1.0 are the same number to cv1 */
    const dt_kind kinds[] = {DT_BOOL, DT_INT32, DT_INT64, DT_DOUBLE};
    char first[DATOM_SHA_HEX] = "";
    for (size_t k = 0; k < DT_ARRAY_LEN(kinds); k++) {
        dt_table *t = one_col("x", kinds[k]);
        dt_column *c = &t->cols[0];
        switch (kinds[k]) {
        case DT_BOOL: dt_col_append_bool(c, true); break;
        case DT_INT32: dt_col_append_i32(c, 1); break;
        case DT_INT64: dt_col_append_i64(c, 1); break;
        default: dt_col_append_f64(c, 1.0); break;
        }
        dt_table_end_row(t);
        dt_col_append_null(c);
        dt_table_end_row(t);
        char hex[DATOM_SHA_HEX];
        T_OK(dt_cv1_table(t, NULL, hex));
        if (k == 0)
            memcpy(first, hex, sizeof hex);
        T_EQ_STR(hex, first);
        dt_table_free(t);
    }
}

static void test_decimal_is_num(void)
{
    dt_table *a = one_col("x", DT_DECIMAL), *b = one_col("x", DT_DOUBLE);
    a->cols[0].field.scale = 2;
    a->cols[0].field.precision = 9;
    dt_col_append_i64(&a->cols[0], 12345);
    dt_table_end_row(a);
    dt_col_append_f64(&b->cols[0], 123.45);
    dt_table_end_row(b);
    char x[DATOM_SHA_HEX], y[DATOM_SHA_HEX];
    T_OK(dt_cv1_table(a, NULL, x));
    T_OK(dt_cv1_table(b, NULL, y));
    T_EQ_STR(x, y);
    dt_table_free(a);
    dt_table_free(b);
}

static void test_na_nan_empty_differ(void)
{
    char h1[DATOM_SHA_HEX], h2[DATOM_SHA_HEX];
    dt_table *a = one_col("x", DT_DOUBLE), *b = one_col("x", DT_DOUBLE);
    dt_col_append_null(&a->cols[0]);
    dt_table_end_row(a);
    dt_col_append_f64(&b->cols[0], NAN);
    dt_table_end_row(b);
    T_OK(dt_cv1_table(a, NULL, h1));
    T_OK(dt_cv1_table(b, NULL, h2));
    T_ASSERT(strcmp(h1, h2) != 0);
    dt_table_free(a);
    dt_table_free(b);
    a = one_col("x", DT_STRING);
    b = one_col("x", DT_STRING);
    add_str(a, NULL);
    add_str(b, "");
    T_OK(dt_cv1_table(a, NULL, h1));
    T_OK(dt_cv1_table(b, NULL, h2));
    T_ASSERT(strcmp(h1, h2) != 0);
    dt_table_free(a);
    dt_table_free(b);
}

static void test_refusals(void)
{
    dt_schema s;
    dt_schema_init(&s, 3);
    dt_schema_set(&s, 0, "blob", DT_BINARY);
    dt_schema_set(&s, 1, "ok", DT_STRING);
    dt_schema_set(&s, 2, "raw", DT_BINARY);
    dt_cv1 *h;
    T_ERR(dt_cv1_begin(&h, &s, NULL), DATOM_EINVAL, "2 columns are not hashable: 'blob' (binary), 'raw'");
    dt_schema_free(&s);
    dt_schema_init(&s, 0);
    T_ERR(dt_cv1_begin(&h, &s, NULL), DATOM_EINVAL, "no column");
    dt_schema_free(&s);
    dt_table *t = one_col("x", DT_STRING);
    char hex[DATOM_SHA_HEX];
    T_ERR(dt_cv1_table(t, NULL, hex), DATOM_EINVAL, "no row");
    dt_table_free(t);
}

int main(void)
{
    T_RUN(test_nist);
    T_RUN(test_check_value_chr);
    T_RUN(test_check_value_date);
    T_RUN(test_reference_mixed);
    T_RUN(test_streaming_and_spill);
    T_RUN(test_num_kinds_agree);
    T_RUN(test_decimal_is_num);
    T_RUN(test_na_nan_empty_differ);
    T_RUN(test_refusals);
    return t_done();
}
