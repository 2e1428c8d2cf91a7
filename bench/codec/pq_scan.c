/*
 * pq_scan.c: the "full scan" of the codec benchmark (bench/codec/run):
 * decodes every column of a Parquet file batch by batch and folds each into
 * a small aggregate (sum of numbers, count of values, bytes of strings), the
 * work DuckDB does for a SELECT of aggregates over all columns.
 * usage: bench_pq_scan FILE.parquet   (prints the row count and a checksum)
 */
#include <inttypes.h>
#include <stdio.h>

#include "table/parquet/parquet.h"

/* Adds EXPR (of row i) over the valid rows: one loop per kind, so the kind is
 * not asked again on every row, none for validity if nothing is missing, and
 * four partial sums, so the additions do not wait on each other (as a
 * vectorised aggregate would not). */
#define FOLD(EXPR)                                                                                 \
    do {                                                                                           \
        if (!c->valid) {                                                                           \
            for (size_t i = 0; i < nrow; i++)                                                      \
                acc[i & 3] += (double)(EXPR);                                                      \
        } else {                                                                                   \
            for (size_t i = 0; i < nrow; i++)                                                      \
                acc[i & 3] += dt_col_is_valid(c, i) ? (double)(EXPR) : 0.0;                        \
        }                                                                                          \
    } while (0)

static double fold(const dt_column *c, size_t nrow)
{
    double acc[4] = {0};
    switch (c->field.kind) {
    case DT_BOOL: FOLD(DT_COL(c, uint8_t)[i]); break;
    case DT_INT32:
    case DT_DATE: FOLD(DT_COL(c, int32_t)[i]); break;
    case DT_DOUBLE: FOLD(DT_COL(c, double)[i]); break;
    case DT_STRING:
    case DT_BINARY: FOLD(c->offsets[i + 1] - c->offsets[i]); break;
    default: FOLD(DT_COL(c, int64_t)[i]); break;
    }
    return acc[0] + acc[1] + acc[2] + acc[3];
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.parquet\n", argv[0]);
        return 2;
    }
    dt_pq_reader *r;
    if (dt_pq_open(&r, argv[1])) {
        fprintf(stderr, "%s\n", datom_errmsg());
        return 1;
    }
    uint64_t rows = 0;
    double sum = 0;
    dt_table *b;
    int rc;
    while ((rc = dt_pq_next(r, &b)) == 0 && b) {
        rows += b->nrow;
        for (size_t c = 0; c < b->ncol; c++)
            sum += fold(&b->cols[c], b->nrow);
    }
    if (rc)
        fprintf(stderr, "%s\n", datom_errmsg());
    printf("%" PRIu64 " rows, checksum %.6g\n", rows, sum);
    dt_pq_close(r);
    return rc ? 1 : 0;
}
