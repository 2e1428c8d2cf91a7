/*
 * snappy.c: the reader's snappy decoder (src/table/parquet/snappy.c) against
 * libsnappy's snappy_uncompress, on the same pages in one run. It gathers
 * every SNAPPY page of a Parquet file (bench/snappy/run has DuckDB write the
 * file bench/pqread reads), then decodes all of them ROUNDS times with each
 * decoder, alternating rounds so that a busy neighbour slows both alike, and
 * prints the CPU seconds of each, the ratio (> 1: ours is faster) and the
 * peak memory. Each decoder's output is compared with the other's once.
 *
 * Usage: bench_snappy FILE.parquet [ROUNDS]   (ROUNDS default 5)
 */
#include <inttypes.h>
#include <snappy-c.h>
#include <string.h>
#include <sys/resource.h>

#include "../bench.h"
#include "core/core.h"
#include "table/parquet/meta.h"
#include "table/parquet/snappy.h"

typedef struct page {
    const uint8_t *src;
    size_t n, len; /* compressed bytes, and the length they decode to */
} page;

typedef struct pages {
    page *v;
    size_t n, cap, bytes;
} pages;

static void die(const char *what)
{
    fprintf(stderr, "bench_snappy: %s\n", what);
    exit(1);
}

static void add(pages *ps, const uint8_t *src, size_t n, size_t len)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? 2 * ps->cap : 256;
        ps->v = dt_realloc(ps->v, ps->cap * sizeof *ps->v);
    }
    ps->v[ps->n++] = (page){src, n, len};
    ps->bytes += len;
}

/* The snappy pages of one column chunk: its pages follow one another from
 * the dictionary page (or the first data page) for total_compressed_size. */
static void chunk_pages(const uint8_t *f, size_t fn, const dt_pq_chunk *c, pages *ps)
{
    int64_t start = c->dictionary_page_offset >= 0 ? c->dictionary_page_offset : c->data_page_offset;
    if (start < 0 || c->total_compressed_size < 0 || (uint64_t)start > fn ||
        (uint64_t)c->total_compressed_size > fn - (uint64_t)start)
        die("a column chunk outside the file");
    const uint8_t *p = f + start, *end = p + c->total_compressed_size;
    while (p < end) {
        dt_pq_page_header h;
        size_t used;
        const char *why;
        if (dt_pq_page_header_decode(p, (size_t)(end - p), &h, &used, &why) != 0)
            die(why);
        p += used;
        if (h.compressed_size < 0 || h.compressed_size > end - p)
            die("a page past its chunk");
        size_t lev = h.has_v2 ? (size_t)h.def_len + (size_t)h.rep_len : 0;
        bool compressed = !h.has_v2 || h.is_compressed;
        if (compressed && lev <= (size_t)h.compressed_size && lev <= (size_t)h.uncompressed_size)
            add(ps, p + lev, (size_t)h.compressed_size - lev, (size_t)h.uncompressed_size - lev);
        p += h.compressed_size;
    }
}

static pages file_pages(const uint8_t *f, size_t n)
{
    if (n < 12 || memcmp(f + n - 4, "PAR1", 4) != 0)
        die("not a Parquet file");
    uint32_t flen = (uint32_t)f[n - 8] | (uint32_t)f[n - 7] << 8 | (uint32_t)f[n - 6] << 16 |
                    (uint32_t)f[n - 5] << 24;
    if (flen > n - 12)
        die("footer longer than the file");
    dt_pq_meta m;
    const char *why;
    if (dt_pq_meta_decode(f + n - 8 - flen, flen, &m, &why) != 0)
        die(why);
    pages ps = {0};
    for (size_t g = 0; g < m.nrg; g++)
        for (size_t c = 0; c < m.rgs[g].ncol; c++)
            if (m.rgs[g].cols[c].has_meta && m.rgs[g].cols[c].codec == PQ_CODEC_SNAPPY)
                chunk_pages(f, n, &m.rgs[g].cols[c], &ps);
    dt_pq_meta_free(&m);
    return ps;
}

static int decode_ours(const page *pg, uint8_t *dst)
{
    return dt_snappy_decode(pg->src, pg->n, dst, pg->len);
}

static int decode_lib(const page *pg, uint8_t *dst)
{
    size_t got = pg->len;
    return snappy_uncompress((const char *)pg->src, pg->n, (char *)dst, &got) == SNAPPY_OK &&
                   got == pg->len
               ? 0
               : -1;
}

/* Decodes every page once; returns the CPU seconds taken. */
static double round_of(const pages *ps, uint8_t *dst, int (*decode)(const page *, uint8_t *))
{
    double t0 = bench_cpu_seconds();
    for (size_t i = 0; i < ps->n; i++)
        if (decode(&ps->v[i], dst) != 0)
            die("a page does not decode");
    return bench_cpu_seconds() - t0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_snappy FILE.parquet [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    dt_buf file = DT_BUF_INIT;
    if (dt_fs_read_all(argv[1], &file, SIZE_MAX) != 0)
        die(datom_errmsg());
    pages ps = file_pages(file.data, file.len);
    size_t max = 0;
    for (size_t i = 0; i < ps.n; i++)
        max = DT_MAX(max, ps.v[i].len);
    if (ps.n == 0)
        die("no SNAPPY pages");
    uint8_t *a = dt_malloc(max), *b = dt_malloc(max);
    for (size_t i = 0; i < ps.n; i++)
        if (decode_ours(&ps.v[i], a) != 0 || decode_lib(&ps.v[i], b) != 0 ||
            memcmp(a, b, ps.v[i].len) != 0)
            die("the decoders disagree on a page");
    double ours = 0, lib = 0;
    for (int r = 0; r < rounds; r++) {
        ours += round_of(&ps, a, decode_ours);
        lib += round_of(&ps, a, decode_lib);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double mb = (double)ps.bytes * rounds / 1e6;
    printf("pages %zu decoded_mb %.1f rounds %d\n", ps.n, (double)ps.bytes / 1e6, rounds);
    printf("datom_snappy_cpu_seconds %.3f (%.0f MB/s)\n", ours, mb / ours);
    printf("libsnappy_cpu_seconds %.3f (%.0f MB/s)\n", lib, mb / lib);
    printf("cpu_ratio_libsnappy_over_datom %.2f\n", lib / ours);
    printf("max_rss_kb %ld\n", ru.ru_maxrss);
    free(a);
    free(b);
    free(ps.v);
    dt_buf_free(&file);
    return 0;
}
