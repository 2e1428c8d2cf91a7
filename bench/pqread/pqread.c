/*
 * pqread.c: the Parquet reader's speed, alone: scans a file batch by batch,
 * touching every value (a checksum over them, so nothing is optimized away),
 * and prints the wall and CPU time. bench/pqread/run has DuckDB write the file and scan it
 * too (one thread) and prints the ratio.
 *
 * Usage: bench_pqread FILE.parquet
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "table/parquet/parquet.h"

static uint64_t column_sum(const dt_column *c, size_t n)
{
    uint64_t s = 0;
    size_t w = dt_kind_width(c->field.kind);
    if (w == 0)
        return (uint64_t)c->offsets[n] + (n ? (uint8_t)c->data[0] : 0);
    const uint8_t *v = c->vals;
    for (size_t i = 0; i < n; i++)
        if (dt_col_is_valid(c, i))
            s += v[i * w];
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_pqread FILE.parquet\n");
        return 2;
    }
    int64_t t0 = dt_monotonic_ns();
    clock_t c0 = clock();
    dt_pq_reader *r;
    if (dt_pq_open(&r, argv[1]) != 0) {
        fprintf(stderr, "%s\n", datom_errmsg());
        return 1;
    }
    uint64_t rows = 0, sum = 0;
    dt_table *t;
    int rc;
    while ((rc = dt_pq_next(r, &t)) == 0 && t) {
        rows += t->nrow;
        for (size_t c = 0; c < t->ncol; c++)
            sum += column_sum(&t->cols[c], t->nrow);
    }
    if (rc != 0) {
        fprintf(stderr, "%s\n", datom_errmsg());
        return 1;
    }
    dt_pq_close(r);
    double secs = (double)(dt_monotonic_ns() - t0) / 1e9;
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("datom_rows %" PRIu64 " checksum %" PRIu64 "\ndatom_scan_seconds %.3f\n"
           "datom_scan_cpu_seconds %.3f\n", rows, sum, secs, cpu);
    return 0;
}
