/*
 * pqwrite.c: the Parquet writer's speed, alone. Builds an in-memory table
 * (ROWS rows of int64, double, date, timestamp, bool, a low-cardinality
 * string, a high-cardinality string, a decimal; some nulls), then times
 * writing it to OUT.parquet in batches of 64Ki rows. bench/pqwrite/run has
 * DuckDB write the same rows (from memory, one thread) and prints the ratio.
 *
 * Usage: bench_pqwrite OUT.parquet [ROWS] [snappy|zstd|none]
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table/parquet/parquet.h"
#include "../bench.h"

#define BATCH ((size_t)65536)

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void) { return bench_xorshift(&rng); }

static const char *const cities[] = {"Amsterdam", "Berlin", "Cairo", "Delhi", "Espoo", "Fes", "Graz", "Hanoi"};

static dt_table *make_batch(const dt_schema *s, size_t first, size_t n)
{
    dt_table *t = dt_table_new(s, n);
    char buf[64];
    for (size_t r = first; r < first + n; r++) {
        uint64_t x = rnd();
        dt_col_append_i64(&t->cols[0], (int64_t)r);
        if (x % 17 == 0)
            dt_col_append_null(&t->cols[1]);
        else
            dt_col_append_f64(&t->cols[1], (double)(x % 1000000) / 100.0);
        dt_col_append_i32(&t->cols[2], 18000 + (int32_t)(x % 3000));
        dt_col_append_i64(&t->cols[3], 1600000000000000 + (int64_t)(r * 1000003));
        dt_col_append_bool(&t->cols[4], (x >> 20) & 1);
        const char *c = cities[(x >> 24) % 8];
        dt_col_append_bytes(&t->cols[5], c, strlen(c));
        int len = snprintf(buf, sizeof buf, "user-%016" PRIx64, x);
        dt_col_append_bytes(&t->cols[6], buf, (size_t)len);
        dt_col_append_i64(&t->cols[7], (int64_t)(x % 100000000));
        dt_table_end_row(t);
    }
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_pqwrite OUT.parquet [ROWS] [snappy|zstd|none]\n");
        return 2;
    }
    size_t rows = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000;
    dt_pq_options o = bench_pq_options(argc > 3 ? argv[3] : NULL);
    dt_schema s;
    dt_schema_init(&s, 8);
    static const char *const names[] = {"id", "amount", "day", "ts", "flag", "city", "user", "price"};
    static const dt_kind kinds[] = {DT_INT64, DT_DOUBLE, DT_DATE, DT_TIMESTAMP, DT_BOOL, DT_STRING, DT_STRING, DT_DECIMAL};
    for (size_t i = 0; i < 8; i++)
        dt_schema_set(&s, i, names[i], kinds[i]);
    s.fields[7].precision = 12;
    s.fields[7].scale = 2;

    size_t nb = (rows + BATCH - 1) / BATCH;
    dt_table **batches = calloc(nb ? nb : 1, sizeof *batches);
    for (size_t b = 0; b < nb; b++)
        batches[b] = make_batch(&s, b * BATCH, rows - b * BATCH < BATCH ? rows - b * BATCH : BATCH);

    int fd = bench_open_out(argv[1]);
    int64_t t0 = dt_monotonic_ns();
    double c0 = bench_cpu_seconds();
    dt_pq_writer *w;
    int rc = dt_pq_writer_open(&w, &s, &o, dt_sink_fd(&fd));
    for (size_t b = 0; b < nb && !rc; b++)
        rc = dt_pq_writer_write(w, batches[b]);
    rc = rc ? (dt_pq_writer_abort(w), rc) : dt_pq_writer_close(w);
    int64_t t1 = dt_monotonic_ns();
    double c1 = bench_cpu_seconds();
    close(fd);
    if (rc) {
        fprintf(stderr, "%s\n", datom_errmsg());
        return 1;
    }
    printf("datom_write_seconds %.3f\ndatom_write_cpu_seconds %.3f\nrows %zu\n", (double)(t1 - t0) / 1e9, c1 - c0,
           rows);
    for (size_t b = 0; b < nb; b++)
        dt_table_free(batches[b]);
    free(batches);
    dt_schema_free(&s);
    return 0;
}
