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
    dt_cv1_options o = {.int64 = DT_CV1_INT64_I64};
    T_OK(dt_cv1_table(t, &o, hex));
    T_EQ_STR(hex, "b311dcd6bf2deecffe2870928fe03321f18027021073e27088503bc1d74149ea");
    /* by default as R's arrow reads it: 2^62 does not fit R's integer, so i64 */
    T_OK(dt_cv1_table(t, NULL, hex));
    T_EQ_STR(hex, "b311dcd6bf2deecffe2870928fe03321f18027021073e27088503bc1d74149ea");
    o = (dt_cv1_options){.int64 = DT_CV1_INT64_NUM, .legacy = true}; /* datom 0.1.0's default */
    T_OK(dt_cv1_table(t, &o, hex));
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

/* Issue 8 item 2: "x\0y","z" and "x","y\0z" are different tables that the
 * NUL-terminated string encoding would hash alike; a NUL is refused, naming
 * the row and the column, so no such pair can share a data_sha. */
static void test_nul_refused(void)
{
    dt_table *a = one_col("who", DT_STRING), *b = one_col("who", DT_STRING);
    dt_col_append_bytes(&a->cols[0], "x\0y", 3);
    dt_table_end_row(a);
    add_str(a, "z");
    add_str(b, "x");
    dt_col_append_bytes(&b->cols[0], "y\0z", 3);
    dt_table_end_row(b);
    char ha[DATOM_SHA_HEX], hb[DATOM_SHA_HEX];
    T_ERR(dt_cv1_table(a, NULL, ha), DATOM_EINVAL, "row 1, column 1 ('who'): a NUL byte");
    T_ERR(dt_cv1_table(b, NULL, hb), DATOM_EINVAL, "row 2, column 1 ('who')");
    /* a row number counts from the first batch, not from this one */
    dt_cv1 *h;
    dt_schema s;
    dt_table_schema(a, &s);
    T_OK(dt_cv1_begin(&h, &s, NULL));
    dt_table *first = one_col("who", DT_STRING);
    add_str(first, "fine");
    T_OK(dt_cv1_add(h, first));
    T_ERR(dt_cv1_add(h, b), DATOM_EINVAL, "row 3, column 1");
    dt_cv1_free(h);
    dt_schema_free(&s);
    dt_table_free(first);
    dt_table_free(a);
    dt_table_free(b);
}

/* ---- how R's arrow reads each kind, and the exact fallbacks ---- */

/* data_sha of a one-column table from the column's parts, computed here by
 * hand (docs/formats.md, "data_sha"): the independent reference. */
static void ref_sha(const char *tag, const char *name, const void *payload, size_t n, const void *trailer,
                    size_t nrow, char out[DATOM_SHA_HEX])
{
    dt_sha256 c;
    char col[DATOM_SHA_HEX];
    dt_sha256_init(&c);
    dt_sha256_update(&c, tag, strlen(tag));
    dt_sha256_update(&c, name, strlen(name) + 1);
    dt_sha256_update(&c, payload, n);
    if (trailer)
        dt_sha256_update(&c, trailer, DT_SHA256_LEN);
    dt_sha256_final_hex(&c, col);
    dt_sha256 t;
    dt_sha256_init(&t);
    dt_sha256_update(&t, "datom-cv1", 9);
    double nr = (double)nrow, nc = 1;
    dt_sha256_update(&t, &nr, 8);
    dt_sha256_update(&t, &nc, 8);
    dt_sha256_update(&t, col, 64);
    dt_sha256_final_hex(&t, out);
}

/* The SHA-256 of the missing flags (one byte per row) that ends an exact payload. */
static void flags_digest(const uint8_t *flags, size_t n, uint8_t out[DT_SHA256_LEN])
{
    dt_sha256 s;
    dt_sha256_init(&s);
    dt_sha256_update(&s, flags, n);
    dt_sha256_final(&s, out);
}

/* One column of N int64-wide values (missing where miss[i]) of KIND. */
static dt_table *col64(dt_kind kind, dt_time_unit unit, const int64_t *v, const bool *miss, size_t n)
{
    dt_table *t = one_col("x", kind);
    t->cols[0].field.unit = unit;
    for (size_t i = 0; i < n; i++) {
        if (miss && miss[i])
            dt_col_append_null(&t->cols[0]);
        else
            dt_col_append_i64(&t->cols[0], v[i]);
        dt_table_end_row(t);
    }
    return t;
}

static void sha_of(const dt_table *t, const dt_cv1_options *o, char out[DATOM_SHA_HEX]) { T_OK(dt_cv1_table(t, o, out)); }

/* Two one-row columns whose values R would round to one double hash apart,
 * the first as TAG's exact payload: its value's 8 bytes and the digest of
 * one present flag. Frees both. */
static void expect_apart(dt_table *t, dt_table *u, const char *tag, const void *value)
{
    char a[DATOM_SHA_HEX], b[DATOM_SHA_HEX], want[DATOM_SHA_HEX];
    sha_of(t, NULL, a);
    sha_of(u, NULL, b);
    T_ASSERT(strcmp(a, b) != 0);
    uint8_t zero = 0, dg[DT_SHA256_LEN];
    flags_digest(&zero, 1, dg);
    ref_sha(tag, "x", value, 8, dg, 1, want);
    T_EQ_STR(a, want);
    dt_table_free(t);
    dt_table_free(u);
}

/* int64 as R's arrow reads it: integer (num) when every value fits R's
 * integer, else integer64 (i64); INT64_MIN, R's NA for integer64, is kept
 * apart from a missing value by the flags' digest. */
static void test_int64_as_arrow_reads_it(void)
{
    char a[DATOM_SHA_HEX], b[DATOM_SHA_HEX], want[DATOM_SHA_HEX];
    static const int64_t small[] = {1, -2147483648LL, 2147483647};
    dt_table *t = col64(DT_INT64, 0, small, NULL, 3);
    sha_of(t, NULL, a);
    double d[] = {1, -2147483648.0, 2147483647};
    ref_sha("num", "x", d, sizeof d, NULL, 3, want);
    T_EQ_STR(a, want);
    dt_cv1_options i64 = {.int64 = DT_CV1_INT64_I64};
    sha_of(t, &i64, b); /* --int64: integer64 whatever the values */
    ref_sha("i64", "x", small, sizeof small, NULL, 3, want);
    T_EQ_STR(b, want);
    dt_table_free(t);

    static const int64_t big[] = {1, 2147483648LL, 0};
    static const bool miss[] = {false, false, true};
    t = col64(DT_INT64, 0, big, miss, 3);
    sha_of(t, NULL, a);
    int64_t r_big[] = {1, 2147483648LL, INT64_MIN}; /* R's NA for integer64 */
    ref_sha("i64", "x", r_big, sizeof r_big, NULL, 3, want);
    T_EQ_STR(a, want);
    dt_table_free(t);

    /* INT64_MIN as a value: not the missing value R would make of it */
    static const int64_t min[] = {1, 2147483648LL, INT64_MIN};
    t = col64(DT_INT64, 0, min, NULL, 3);
    sha_of(t, NULL, b);
    T_ASSERT(strcmp(a, b) != 0);
    uint8_t zeros[3] = {0}, dg[DT_SHA256_LEN];
    flags_digest(zeros, 3, dg);
    ref_sha("i64", "x", min, sizeof min, dg, 3, want);
    T_EQ_STR(b, want);
    dt_table_free(t);
}

/* uint64: R's double while it is exact (to 2^53), else xu64: the values'
 * bytes and the flags' digest, so 2^53 + 1 and 2^53 + 2 stay apart. */
static void test_uint64(void)
{
    char a[DATOM_SHA_HEX], b[DATOM_SHA_HEX], want[DATOM_SHA_HEX];
    dt_table *t = one_col("x", DT_UINT64);
    dt_col_append_u64(&t->cols[0], (uint64_t)1 << 53);
    dt_table_end_row(t);
    dt_col_append_null(&t->cols[0]);
    dt_table_end_row(t);
    sha_of(t, NULL, a);
    uint64_t num[] = {0x4340000000000000ULL, 0x7FF00000000007A2ULL}; /* 2^53, NA */
    ref_sha("num", "x", num, sizeof num, NULL, 2, want);
    T_EQ_STR(a, want);
    dt_table_free(t);

    uint64_t v1[] = {((uint64_t)1 << 53) + 1, UINT64_MAX}, v2[] = {((uint64_t)1 << 53) + 2, UINT64_MAX};
    for (int k = 0; k < 2; k++) {
        t = one_col("x", DT_UINT64);
        for (int i = 0; i < 2; i++) {
            dt_col_append_u64(&t->cols[0], (k ? v2 : v1)[i]);
            dt_table_end_row(t);
        }
        sha_of(t, NULL, k ? b : a);
        dt_table_free(t);
    }
    T_ASSERT(strcmp(a, b) != 0); /* R's doubles would be equal */
    uint8_t zeros[2] = {0}, dg[DT_SHA256_LEN];
    flags_digest(zeros, 2, dg);
    ref_sha("xu64", "x", v1, sizeof v1, dg, 2, want);
    T_EQ_STR(a, want);
}

/* Timestamps: R's POSIXct seconds, the same for the same instant in ms and
 * us; nanoseconds of today are past R's precision: xtime(ns), so that two
 * timestamps a nanosecond apart differ. */
static void test_timestamps(void)
{
    char a[DATOM_SHA_HEX], b[DATOM_SHA_HEX], want[DATOM_SHA_HEX];
    static const int64_t ms[] = {1700000000123, -1}, us[] = {1700000000123000, -1000};
    dt_table *t = col64(DT_TIMESTAMP, DT_UNIT_MS, ms, NULL, 2), *u = col64(DT_TIMESTAMP, DT_UNIT_US, us, NULL, 2);
    sha_of(t, NULL, a);
    sha_of(u, NULL, b);
    T_EQ_STR(a, b);
    double secs[] = {1700000000123.0 / 1000, -1.0 / 1000};
    ref_sha("time", "x", secs, sizeof secs, NULL, 2, want);
    T_EQ_STR(a, want);
    dt_table_free(t);
    dt_table_free(u);

    static const int64_t n1[] = {1700000000123456789}, n2[] = {1700000000123456790};
    t = col64(DT_TIMESTAMP, DT_UNIT_NS, n1, NULL, 1);
    u = col64(DT_TIMESTAMP, DT_UNIT_NS, n2, NULL, 1);
    dt_cv1_options legacy = {.legacy = true}; /* R's hash: the two collide */
    sha_of(t, &legacy, a);
    sha_of(u, &legacy, b);
    T_EQ_STR(a, b);
    expect_apart(t, u, "xtime(ns)", n1);
}

/* Times of day: R's hms (drtn, seconds, "secs"), like a duration. */
static void test_times(void)
{
    char a[DATOM_SHA_HEX], b[DATOM_SHA_HEX], want[DATOM_SHA_HEX];
    static const int64_t us[] = {35076358352, 0};
    static const bool miss[] = {false, true};
    dt_table *t = col64(DT_TIME, DT_UNIT_US, us, miss, 2), *d = col64(DT_DURATION, DT_UNIT_US, us, miss, 2);
    sha_of(t, NULL, a);
    sha_of(d, NULL, b);
    T_EQ_STR(a, b);
    uint8_t payload[16 + 5];
    double s0 = 35076358352.0 / 1e6;
    uint64_t na = 0x7FF00000000007A2ULL;
    memcpy(payload, &s0, 8);
    memcpy(payload + 8, &na, 8);
    memcpy(payload + 16, "\0secs", 5);
    ref_sha("drtn", "x", payload, sizeof payload, NULL, 2, want);
    T_EQ_STR(a, want);
    dt_table_free(t);
    dt_table_free(d);
}

/* Decimals: R's double while |unscaled| < 2^52 (any two values stay apart),
 * else xdec: 4503599627.370497 and .370498 would be one double to R. */
static void test_decimals(void)
{
    char a[DATOM_SHA_HEX], b[DATOM_SHA_HEX], want[DATOM_SHA_HEX];
    static const int64_t v1[] = {4503599627370497}, v2[] = {4503599627370498}, small[] = {12345};
    dt_table *t = col64(DT_DECIMAL, 0, v1, NULL, 1), *u = col64(DT_DECIMAL, 0, v2, NULL, 1);
    t->cols[0].field.precision = u->cols[0].field.precision = 18;
    t->cols[0].field.scale = u->cols[0].field.scale = 6;
    expect_apart(t, u, "xdec64(6)", v1);
    /* decimal128 of a small value: R's double, as decimal */
    t = col64(DT_DECIMAL, 0, small, NULL, 1);
    t->cols[0].field.precision = 9;
    t->cols[0].field.scale = 2;
    u = one_col("x", DT_DECIMAL128);
    u->cols[0].field.precision = 30;
    u->cols[0].field.scale = 2;
    uint8_t v128[16] = {0x39, 0x30}; /* 12345 */
    dt_col_append_fixed(&u->cols[0], v128, NULL, 1);
    dt_table_end_row(u);
    sha_of(t, NULL, a);
    sha_of(u, NULL, b);
    T_EQ_STR(a, b);
    double d = 123.45;
    ref_sha("num", "x", &d, 8, NULL, 1, want);
    T_EQ_STR(a, want);
    dt_table_free(t);
    dt_table_free(u);
}

/* The choice between R's encoding and the exact one waits for the last
 * batch: a value that only a later batch holds decides, as in one batch. */
static void test_choice_across_batches(void)
{
    static const int64_t v[] = {5, -7, 1LL << 40, 3, 9};
    static const bool miss[] = {false, true, false, false, true};
    char whole[DATOM_SHA_HEX], parts[DATOM_SHA_HEX];
    for (int kind = 0; kind < 2; kind++) {
        dt_kind k = kind ? DT_TIMESTAMP : DT_INT64;
        dt_table *t = col64(k, DT_UNIT_NS, v, miss, 5);
        sha_of(t, NULL, whole);
        dt_schema s;
        dt_table_schema(t, &s);
        dt_cv1 *h;
        T_OK(dt_cv1_begin(&h, &s, NULL));
        for (size_t a = 0; a < 5; a += 2) {
            dt_table *b = dt_table_new(&s, 2);
            for (size_t r = a; r < a + 2 && r < 5; r++) {
                dt_col_append_value(&b->cols[0], &t->cols[0], r);
                dt_table_end_row(b);
            }
            T_OK(dt_cv1_add(h, b));
            dt_table_free(b);
        }
        T_OK(dt_cv1_finish(h, parts));
        T_EQ_STR(dt_cv1_column_tag(h, 0), kind ? "time" : "i64");
        T_EQ_STR(parts, whole);
        dt_cv1_free(h);
        dt_schema_free(&s);
        dt_table_free(t);
    }
}

static void test_interval_refused(void)
{
    dt_table *t = one_col("iv", DT_INTERVAL);
    uint8_t v[12] = {1};
    dt_col_append_fixed(&t->cols[0], v, NULL, 1);
    dt_table_end_row(t);
    char hex[DATOM_SHA_HEX];
    T_ERR(dt_cv1_table(t, NULL, hex), DATOM_EINVAL, "'iv' (interval)");
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
    T_RUN(test_nul_refused);
    T_RUN(test_int64_as_arrow_reads_it);
    T_RUN(test_uint64);
    T_RUN(test_timestamps);
    T_RUN(test_times);
    T_RUN(test_decimals);
    T_RUN(test_choice_across_batches);
    T_RUN(test_interval_refused);
    return t_done();
}
