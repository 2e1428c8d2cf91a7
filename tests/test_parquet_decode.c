/*
 * test_parquet_decode.c: the Parquet reader's own decoders, alone. The snappy
 * decoder (src/table/parquet/snappy.c) against libsnappy's compressor on
 * inputs shaped like pages (runs, short periods, random bytes, sequential
 * integers, text), on hand-built streams of every element kind, and on hostile
 * streams (truncated, overlong, bad offsets, bad preambles, random damage).
 * Output buffers are allocated at exactly the stated length, so ASan sees
 * any write past them.
 */
#include <snappy-c.h>

#include "t.h"
#include "core/core.h"
#include "table/parquet/snappy.h"

/* Compresses with libsnappy; the caller frees the result. */
static uint8_t *compress(const uint8_t *p, size_t n, size_t *out_len)
{
    size_t cap = snappy_max_compressed_length(n);
    uint8_t *c = dt_malloc(cap);
    *out_len = cap;
    T_ASSERT(snappy_compress((const char *)p, n, (char *)c, out_len) == SNAPPY_OK);
    return c;
}

/* Decodes s[0..n) into a buffer of exactly dst_len bytes; the result, or -1. */
static int decode(const uint8_t *s, size_t n, size_t dst_len, uint8_t **out)
{
    uint8_t *d = dt_malloc(dst_len ? dst_len : 1);
    int rc = dt_snappy_decode(s, n, d, dst_len);
    if (out)
        *out = d;
    else
        free(d);
    return rc;
}

static void roundtrip(const uint8_t *p, size_t n)
{
    size_t clen;
    uint8_t *c = compress(p, n, &clen), *d;
    size_t len, used;
    T_OK(dt_snappy_length(c, clen, &len, &used));
    T_EQ_INT(len, n);
    int rc = decode(c, clen, n, &d);
    if (rc != 0 || (n && memcmp(d, p, n)))
        T_FAIL("%zu bytes do not round-trip (rc %d)", n, rc);
    free(c);
    free(d);
}

static uint64_t rng_state = 88172645463325252u;
/* A 64-bit LCG's high bits: repeatable inputs. */
static uint64_t rnd(void)
{
    return (rng_state = rng_state * 6364136223846793005u + 1442695040888963407u) >> 16;
}

/* n bytes of a kind: 0 zeros, 1 a short period, 2 random, 3 int64 counters,
 * 4 words, 5 doubles with few digits, 6 runs and random mixed. */
static void fill(uint8_t *p, size_t n, int kind, size_t param)
{
    static const char *const words[] = {"travel", "food", "user_", "lorem ", "ipsum", "\"q,\"", "x"};
    for (size_t i = 0; i < n;) {
        switch (kind) {
        case 0: p[i++] = 0; break;
        case 1: p[i] = (uint8_t)('a' + i % (param + 1)), i++; break;
        case 2: p[i++] = (uint8_t)rnd(); break;
        case 3: {
            uint64_t v = i / 8 + param;
            p[i] = (uint8_t)(v >> (8 * (i % 8)));
            i++;
            break;
        }
        case 4: {
            const char *w = words[rnd() % DT_ARRAY_LEN(words)];
            for (size_t k = 0; w[k] && i < n; k++)
                p[i++] = (uint8_t)w[k];
            break;
        }
        case 5: {
            double d = (double)(rnd() % 100000) / 100;
            for (size_t k = 0; k < 8 && i < n; k++)
                p[i++] = ((uint8_t *)&d)[k];
            break;
        }
        default: {
            size_t run = rnd() % 200;
            uint8_t b = (uint8_t)rnd();
            for (size_t k = 0; k < run && i < n; k++)
                p[i++] = (rnd() & 3) ? b : (uint8_t)rnd();
            break;
        }
        }
    }
}

/* Everything libsnappy writes decodes to the same bytes, at lengths around
 * its 64 KiB blocks and the decoder's 16- and 80-byte margins. */
static void test_snappy_roundtrip(void)
{
    static const size_t lens[] = {0,  1,   2,   15,   16,   17,    20,    21,    63,     64,
                                  65, 79,  80,  81,   100,  1000,  4095,  65535, 65536,  65537,
                                  70000, 131072, 200003, 1 << 20};
    uint8_t *buf = dt_malloc((size_t)1 << 20);
    for (int kind = 0; kind <= 6; kind++)
        for (size_t l = 0; l < DT_ARRAY_LEN(lens); l++)
            for (size_t param = 0; param < (kind == 1 ? 20 : 2); param++) {
                fill(buf, lens[l], kind, param);
                roundtrip(buf, lens[l]);
            }
    free(buf);
}

/* Streams written by hand: every element kind and length encoding. */
static void test_snappy_elements(void)
{
    /* "abcd" literal, then a 1-byte-offset copy of 6 at offset 4 (overlapping) */
    static const uint8_t s1[] = {10, 0x0c, 'a', 'b', 'c', 'd', 0x09, 0x04};
    uint8_t *d;
    T_OK(decode(s1, sizeof s1, 10, &d));
    T_ASSERT(!memcmp(d, "abcdabcdab", 10));
    free(d);
    /* "xy", then copies with 2- and 4-byte offsets: 3 bytes at 2, 1 byte at 2 */
    static const uint8_t s2[] = {6, 0x04, 'x', 'y', 0x0a, 0x02, 0x00, 0x03, 0x02, 0x00, 0x00, 0x00};
    T_OK(decode(s2, sizeof s2, 6, &d));
    T_ASSERT(!memcmp(d, "xyxyxy", 6));
    free(d);
    /* literals whose length takes 1, 2, 3 and 4 bytes after the tag */
    for (int nb = 1; nb <= 4; nb++) {
        size_t n = nb == 1 ? 200 : nb == 2 ? 300 : nb == 3 ? 70000 : 70001;
        dt_buf s = DT_BUF_INIT;
        uint8_t pre[5];
        size_t pl = 0;
        for (size_t v = n; ; v >>= 7) {
            pre[pl++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
            if (v < 0x80)
                break;
        }
        dt_buf_append(&s, pre, pl);
        dt_buf_putc(&s, (char)((59 + nb) << 2));
        for (int k = 0; k < nb; k++)
            dt_buf_putc(&s, (char)((n - 1) >> (8 * k)));
        for (size_t i = 0; i < n; i++)
            dt_buf_putc(&s, (char)(i * 7));
        T_OK(decode(s.data, s.len, n, &d));
        T_EQ_INT(d[n - 1], (uint8_t)((n - 1) * 7));
        free(d);
        dt_buf_free(&s);
    }
    /* a run of one byte repeated 64 times per copy, far from the end */
    dt_buf s = DT_BUF_INIT;
    dt_buf_putc(&s, (char)0x81), dt_buf_putc(&s, 0x02); /* 257 */
    dt_buf_putc(&s, 0x00), dt_buf_putc(&s, 'z');        /* literal "z" */
    for (int i = 0; i < 4; i++)
        dt_buf_putc(&s, (char)(63 << 2 | 2)), dt_buf_putc(&s, 1), dt_buf_putc(&s, 0);
    T_OK(decode(s.data, s.len, 257, &d));
    for (int i = 0; i < 257; i++)
        T_EQ_INT(d[i], 'z');
    free(d);
    dt_buf_free(&s);
}

static void test_snappy_length(void)
{
    size_t len, used;
    static const uint8_t ok[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    T_OK(dt_snappy_length(ok, 5, &len, &used));
    T_EQ_INT(len, UINT32_MAX);
    T_EQ_INT(used, 5);
    static const uint8_t wide[] = {0xff, 0xff, 0xff, 0xff, 0x10}; /* 33 bits */
    T_EQ_INT(dt_snappy_length(wide, 5, &len, &used), -1);
    static const uint8_t six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    T_EQ_INT(dt_snappy_length(six, 6, &len, &used), -1);
    T_EQ_INT(dt_snappy_length(ok, 3, &len, &used), -1); /* cut short */
    T_EQ_INT(dt_snappy_length(ok, 0, &len, &used), -1);
}

/* Streams that must fail, each with the length it states. */
static void test_snappy_hostile(void)
{
    static const struct {
        const char *what;
        uint8_t s[12];
        size_t n, len;
    } cases[] = {
        {"offset 0", {4, 0x00, 'a', 0x01, 0x00}, 5, 4},
        {"offset before the start", {5, 0x00, 'a', 0x01, 0x02}, 5, 5},
        {"copy past the end", {3, 0x00, 'a', 0x05, 0x01}, 5, 3},
        {"literal past the end", {2, 0x0c, 'a', 'b', 'c', 'd'}, 6, 2},
        {"literal past the input", {9, 0x20, 'a', 'b'}, 4, 9},
        {"literal length bytes cut", {100, 0xf0}, 2, 100},
        {"copy offset bytes cut", {9, 0x00, 'a', 0x02}, 4, 9},
        {"4-byte offset cut", {9, 0x00, 'a', 0x03, 1, 0}, 6, 9},
        {"output short", {4, 0x04, 'a', 'b'}, 4, 4},
        {"trailing bytes", {2, 0x04, 'a', 'b', 0x00}, 5, 2},
        {"length mismatch", {3, 0x08, 'a', 'b', 'c'}, 5, 4},
        {"empty", {0}, 0, 0},
        /* a 4-byte literal length of ff ff ff ff is 2^32 bytes (libsnappy
         * wraps it to 0 and accepts; see literal_length in snappy.c) */
        {"literal of 2^32 bytes", {0x81, 0x00, 0xf0, 0x00, 0x00, 0xfc, 0xff, 0xff, 0xff, 0xff}, 10, 1},
        {"literal of 2^32 bytes, first", {0x00, 0xfc, 0xff, 0xff, 0xff, 0xff}, 6, 0},
    };
    for (size_t k = 0; k < DT_ARRAY_LEN(cases); k++)
        if (decode(cases[k].s, cases[k].n, cases[k].len, NULL) == 0)
            T_FAIL("%s: decoded", cases[k].what);
    /* every proper prefix of a real stream fails; so does any trailing byte */
    uint8_t *p = dt_malloc(100000);
    fill(p, 100000, 6, 0);
    size_t clen;
    uint8_t *c = compress(p, 100000, &clen);
    for (size_t cut = 0; cut < clen; cut += 1 + cut / 50) {
        uint8_t *part = dt_malloc(cut ? cut : 1); /* exactly cut bytes: ASan sees overreads */
        memcpy(part, c, cut);
        if (decode(part, cut, 100000, NULL) == 0)
            T_FAIL("a stream cut to %zu of %zu bytes decoded", cut, clen);
        free(part);
    }
    uint8_t *longer = dt_malloc(clen + 1);
    memcpy(longer, c, clen);
    longer[clen] = 0;
    T_EQ_INT(decode(longer, clen + 1, 100000, NULL), -1);
    free(longer);
    /* random damage: never a crash or a write past the output (ASan) */
    uint8_t *m = dt_malloc(clen);
    for (size_t i = 0; i < 4000; i++) {
        memcpy(m, c, clen);
        for (int k = 0; k < 3; k++)
            m[rnd() % clen] ^= (uint8_t)(1 + rnd() % 255);
        size_t len, used;
        if (dt_snappy_length(m, clen, &len, &used) == 0 && len <= 200000)
            decode(m, clen, len, NULL);
    }
    free(m);
    free(c);
    free(p);
}

int main(void)
{
    T_RUN(test_snappy_roundtrip);
    T_RUN(test_snappy_elements);
    T_RUN(test_snappy_length);
    T_RUN(test_snappy_hostile);
    return t_done();
}
