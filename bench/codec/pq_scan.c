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

static double fold(const dt_column *c, size_t nrow)
{
    double acc = 0;
    for (size_t i = 0; i < nrow; i++) {
        if (!dt_col_is_valid(c, i))
            continue;
        switch (c->field.kind) {
        case DT_BOOL: acc += DT_COL(c, uint8_t)[i]; break;
        case DT_INT32:
        case DT_DATE: acc += DT_COL(c, int32_t)[i]; break;
        case DT_DOUBLE: acc += DT_COL(c, double)[i]; break;
        case DT_STRING:
        case DT_BINARY: acc += (double)(c->offsets[i + 1] - c->offsets[i]); break;
        default: acc += (double)DT_COL(c, int64_t)[i]; break;
        }
    }
    return acc;
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
