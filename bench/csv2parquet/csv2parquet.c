/*
 * csv2parquet.c: CSV -> Parquet through datom's CSV reader and Parquet
 * writer, timed (wall and CPU). bench/csv2parquet/run compares it with DuckDB
 * doing the same on one thread.
 *
 * Usage: bench_csv2parquet IN.csv OUT.parquet [snappy|zstd|none]
 */
#include <unistd.h>

#include "table/csv.h"
#include "table/parquet/parquet.h"
#include "../bench.h"

static int convert(const char *in, int fd, const dt_pq_options *o, uint64_t *rows)
{
    dt_csv_reader *r;
    int rc = dt_csv_open(&r, in, NULL);
    if (rc)
        return rc;
    dt_pq_writer *w;
    rc = dt_pq_writer_open(&w, dt_csv_schema(r), o, dt_sink_fd(&fd));
    if (rc) {
        dt_csv_close(r);
        return rc;
    }
    for (;;) {
        dt_table *b;
        rc = dt_csv_next(r, &b);
        if (rc || !b)
            break;
        *rows += b->nrow;
        rc = dt_pq_writer_write(w, b);
        if (rc)
            break;
    }
    dt_csv_close(r);
    if (rc) {
        dt_pq_writer_abort(w);
        return rc;
    }
    return dt_pq_writer_close(w);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_csv2parquet IN.csv OUT.parquet [snappy|zstd|none]\n");
        return 2;
    }
    dt_pq_options o = bench_pq_options(argc > 3 ? argv[3] : NULL);
    int fd = bench_open_out(argv[2]);
    uint64_t rows = 0;
    int64_t t0 = dt_monotonic_ns();
    double c0 = bench_cpu_seconds();
    int rc = convert(argv[1], fd, &o, &rows);
    double c1 = bench_cpu_seconds();
    int64_t t1 = dt_monotonic_ns();
    close(fd);
    if (rc) {
        fprintf(stderr, "%s\n", datom_errmsg());
        return 1;
    }
    printf("datom_seconds %.3f\ndatom_cpu_seconds %.3f\nrows %llu\n", (double)(t1 - t0) / 1e9, c1 - c0,
           (unsigned long long)rows);
    return 0;
}
