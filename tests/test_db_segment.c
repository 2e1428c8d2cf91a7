/*
 * test_db_segment.c: values (order, equality, printing, tuples) and the
 * segment codec (round trips of every type, hostile bytes).
 */
#include <math.h>

#include "db/db.h"
#include "db/novelty.h"
#include "db/segment.h"
#include "t.h"

static dt_blob *blobs[64];
static int n_blobs;

static dt_val str(dt_vtype t, const char *s)
{
    dt_blob *b = dt_blob_new(s, strlen(s));
    blobs[n_blobs++] = b;
    return dt_val_blob(t, b);
}

static void free_blobs(void)
{
    while (n_blobs)
        free(blobs[--n_blobs]);
}

static void test_value_order(void)
{
    /* across types: by type */
    T_ASSERT(dt_val_cmp(dt_val_bool(1), dt_val_long(-5)) < 0);
    T_ASSERT(dt_val_cmp(dt_val_long(5), str(DT_STRING, "a")) < 0);
    /* longs, refs */
    T_ASSERT(dt_val_cmp(dt_val_long(-2), dt_val_long(1)) < 0);
    T_ASSERT(dt_val_cmp(dt_val_ref(UINT64_MAX), dt_val_ref(1)) > 0);
    /* doubles: -0 < +0 < inf < NaN, NaN == NaN */
    dt_val nz = {.type = DT_DOUBLE, .d = -0.0}, pz = {.type = DT_DOUBLE, .d = 0.0};
    dt_val inf = {.type = DT_DOUBLE, .d = INFINITY}, nan1 = {.type = DT_DOUBLE, .d = NAN};
    T_ASSERT(dt_val_cmp(nz, pz) < 0);
    T_ASSERT(dt_val_cmp(inf, nan1) < 0);
    T_EQ_INT(dt_val_cmp(nan1, nan1), 0);
    /* strings by unsigned bytes, prefix first */
    T_ASSERT(dt_val_cmp(str(DT_STRING, "ab"), str(DT_STRING, "abc")) < 0);
    T_ASSERT(dt_val_cmp(str(DT_STRING, "\xc3\xa9"), str(DT_STRING, "z")) > 0);
    T_ASSERT(dt_val_eq(str(DT_STRING, "x"), str(DT_STRING, "x")));
    T_ASSERT(!dt_val_eq(str(DT_STRING, "x"), str(DT_KEYWORD, "x")));
    /* decimals numerically */
    T_ASSERT(dt_val_cmp(str(DT_BIGINT, "-10"), str(DT_BIGINT, "-9")) < 0);
    T_ASSERT(dt_val_cmp(str(DT_BIGINT, "9"), str(DT_BIGINT, "10")) < 0);
    T_ASSERT(dt_val_cmp(str(DT_BIGDEC, "1.05"), str(DT_BIGDEC, "1.5")) < 0);
    T_ASSERT(dt_val_cmp(str(DT_BIGDEC, "-1.5"), str(DT_BIGDEC, "-1.05")) < 0);
    T_ASSERT(dt_val_cmp(str(DT_BIGDEC, "2"), str(DT_BIGDEC, "1.99")) > 0);
    free_blobs();
}

static void test_tuples(void)
{
    dt_val a[3] = {dt_val_long(1), str(DT_STRING, "hello"), dt_val_nil()};
    dt_blob *t = dt_tuple_new(a, 3);
    T_EQ_INT(dt_tuple_count(t), 3);
    T_ASSERT(dt_val_eq(dt_tuple_get(t, 0), a[0]));
    T_ASSERT(dt_val_eq(dt_tuple_get(t, 1), a[1]));
    T_EQ_INT(dt_tuple_get(t, 2).type, DT_NIL);
    dt_val b[2] = {dt_val_long(1), str(DT_STRING, "hello")};
    dt_blob *u = dt_tuple_new(b, 2);
    dt_val tv = dt_val_blob(DT_TUPLE, t), uv = dt_val_blob(DT_TUPLE, u);
    T_ASSERT(dt_val_cmp(uv, tv) < 0); /* a prefix sorts first */
    dt_buf out = DT_BUF_INIT;
    dt_val_print(&out, tv);
    T_EQ_STR(dt_buf_cstr(&out), "[1 \"hello\" nil]");
    T_EQ_INT(dt_val_hash(tv) == dt_val_hash(tv), 1);
    dt_val c = dt_val_copy(tv);
    T_ASSERT(dt_val_eq(c, tv));
    dt_val_free(&c);
    dt_buf_free(&out);
    free(t);
    free(u);
    free_blobs();
}

static void test_print(void)
{
    dt_buf out = DT_BUF_INIT;
    dt_val inst = {.type = DT_INSTANT, .i = 1700000000123};
    dt_val_print(&out, inst);
    T_EQ_STR(dt_buf_cstr(&out), "#inst \"2023-11-14T22:13:20.123-00:00\"");
    dt_buf_clear(&out);
    dt_val neg = {.type = DT_INSTANT, .i = -1};
    dt_val_print(&out, neg);
    T_EQ_STR(dt_buf_cstr(&out), "#inst \"1969-12-31T23:59:59.999-00:00\"");
    dt_buf_clear(&out);
    dt_val_print(&out, str(DT_STRING, "a\"b\\\n\x01"));
    T_EQ_STR(dt_buf_cstr(&out), "\"a\\\"b\\\\\\n\\u0001\"");
    dt_buf_clear(&out);
    dt_val_print(&out, str(DT_KEYWORD, "person/name"));
    T_EQ_STR(dt_buf_cstr(&out), ":person/name");
    dt_buf_clear(&out);
    dt_val d = {.type = DT_DOUBLE, .d = 0.1};
    dt_val_print(&out, d);
    T_EQ_STR(dt_buf_cstr(&out), "0.1");
    dt_buf_clear(&out);
    d.d = 3;
    dt_val_print(&out, d);
    T_EQ_STR(dt_buf_cstr(&out), "3.0");
    dt_buf_clear(&out);
    uint8_t u[16] = {0x55, 0x0e, 0x84, 0x00, 0xe2, 0x9b, 0x41, 0xd4, 0xa7, 0x16, 0x44, 0x66, 0x55, 0x44, 0x00, 0x00};
    dt_blob *ub = dt_blob_new(u, 16);
    dt_val_print(&out, dt_val_blob(DT_UUID, ub));
    T_EQ_STR(dt_buf_cstr(&out), "#uuid \"550e8400-e29b-41d4-a716-446655440000\"");
    free(ub);
    dt_buf_free(&out);
    free_blobs();
}

/* One datom of every type, sorted in EAVT. */
static size_t sample(dt_datom *d)
{
    dt_val tup[2] = {dt_val_long(7), str(DT_STRING, "t")};
    dt_blob *tb = dt_tuple_new(tup, 2);
    blobs[n_blobs++] = tb;
    dt_val vals[] = {dt_val_bool(1),
                     dt_val_long(-123456789012),
                     {.type = DT_DOUBLE, .d = -2.5},
                     {.type = DT_FLOAT, .d = 1.5},
                     str(DT_BIGINT, "-123456789012345678901234567890"),
                     str(DT_BIGDEC, "3.14159"),
                     {.type = DT_INSTANT, .i = -5},
                     str(DT_UUID, "0123456789abcdef"),
                     str(DT_STRING, "h\xc3\xa9llo\n"),
                     str(DT_KEYWORD, "a/b"),
                     str(DT_SYMBOL, "sym"),
                     str(DT_URI, "https://x.org/"),
                     str(DT_BYTES, "\x01\x02"),
                     dt_val_ref(DT_EID(DT_PART_USER, 99)),
                     dt_val_blob(DT_TUPLE, tb)};
    size_t n = DT_ARRAY_LEN(vals);
    for (size_t i = 0; i < n; i++)
        d[i] = (dt_datom){.e = DT_EID(DT_PART_USER, 1 + i), .a = (uint32_t)(10 + i), .v = vals[i],
                          .tx = DT_TX_OF_T(1000 - (int64_t)i), .added = i % 3 != 0};
    return n;
}

static void test_leaf_roundtrip(void)
{
    dt_datom d[20];
    size_t n = sample(d);
    dt_buf b = DT_BUF_INIT;
    dt_seg_encode_leaf(&b, DT_EAVT, d, (uint32_t)n);
    dt_seg *s;
    T_OK(dt_seg_decode(b.data, b.len, "x", &s));
    T_EQ_INT(s->kind, DT_SEG_LEAF);
    T_EQ_INT(s->n, n);
    T_EQ_INT(s->total, n);
    for (size_t i = 0; i < n; i++) {
        T_EQ_INT(s->datoms[i].e, d[i].e);
        T_EQ_INT(s->datoms[i].a, d[i].a);
        T_EQ_INT(s->datoms[i].tx, d[i].tx);
        T_EQ_INT(s->datoms[i].added, d[i].added);
        T_ASSERT(dt_val_eq(s->datoms[i].v, d[i].v));
    }
    dt_seg_unref(s);
    dt_buf_free(&b);
    free_blobs();
}

static void test_branch_roundtrip(void)
{
    dt_datom d[20];
    size_t n = sample(d);
    uint8_t shas[20][32];
    uint64_t counts[20];
    for (size_t i = 0; i < n; i++) {
        memset(shas[i], (int)i, 32);
        counts[i] = 1000 + i;
    }
    dt_buf b = DT_BUF_INIT;
    dt_seg_encode_branch(&b, DT_EAVT, d, (const uint8_t(*)[32])shas, counts, (uint32_t)n);
    dt_seg *s;
    T_OK(dt_seg_decode(b.data, b.len, "x", &s));
    T_EQ_INT(s->kind, DT_SEG_BRANCH);
    T_EQ_INT(s->n, n);
    for (size_t i = 0; i < n; i++) {
        T_EQ_INT(s->counts[i], counts[i]);
        T_EQ_INT(memcmp(s->shas[i], shas[i], 32), 0);
    }
    T_EQ_INT(s->total, 1000 * n + n * (n - 1) / 2);
    dt_seg_unref(s);
    dt_buf_free(&b);
    free_blobs();
}

static void test_hostile(void)
{
    dt_datom d[20];
    size_t n = sample(d);
    dt_buf b = DT_BUF_INIT;
    dt_seg_encode_leaf(&b, DT_EAVT, d, (uint32_t)n);
    dt_seg *s;
    T_ERR(dt_seg_decode(b.data, 3, "short", &s), DATOM_ECORRUPT, "segment short: not a segment");
    /* every truncation fails cleanly */
    for (size_t len = 0; len < b.len; len++)
        T_ASSERT(dt_seg_decode(b.data, len, "cut", &s) == DATOM_ECORRUPT);
    /* every single-byte flip either fails or decodes (never crashes) */
    for (size_t i = 0; i < b.len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            b.data[i] ^= (uint8_t)(1 << bit);
            if (dt_seg_decode(b.data, b.len, "flip", &s) == 0)
                dt_seg_unref(s);
            b.data[i] ^= (uint8_t)(1 << bit);
        }
    }
    /* a future version is refused by name */
    b.data[4] = 9;
    T_ERR(dt_seg_decode(b.data, b.len, "v9", &s), DATOM_ECORRUPT, "format version 9");
    b.data[4] = DT_SEG_VERSION;
    /* unsorted entries */
    dt_datom swap = d[0];
    d[0] = d[1];
    d[1] = swap;
    dt_buf_clear(&b);
    dt_seg_encode_leaf(&b, DT_EAVT, d, (uint32_t)n);
    T_ERR(dt_seg_decode(b.data, b.len, "u", &s), DATOM_ECORRUPT, "not in order");
    /* a count that lies */
    dt_buf_clear(&b);
    dt_seg_encode_leaf(&b, DT_EAVT, d + 2, 1);
    b.data[12] = 0xff;
    b.data[13] = 0xff;
    T_ERR(dt_seg_decode(b.data, b.len, "c", &s), DATOM_ECORRUPT, "");
    dt_buf_free(&b);
    free_blobs();
}

int main(void)
{
    T_RUN(test_value_order);
    T_RUN(test_tuples);
    T_RUN(test_print);
    T_RUN(test_leaf_roundtrip);
    T_RUN(test_branch_roundtrip);
    T_RUN(test_hostile);
    return t_done();
}
