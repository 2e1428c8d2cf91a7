/*
 * fuzz_parquet.c: libFuzzer target for the Parquet reader.
 *
 * Any input must give a clean error naming the file or a stream of batches,
 * never a crash, leak or hang. Each batch read is also written with datom's
 * writer and read back, and must come back equal: a check of the writer
 * against the reader on whatever shapes the fuzzer finds. Reading stops after
 * a bounded number of rows (a tiny file may rightly claim billions of nulls).
 * Seeds: fuzz/corpus/fuzz_parquet/ (small files from DuckDB, arrow-rs and
 * hyparquet-writer, and every input a run has found; docs/testing.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table/parquet/parquet.h"
#include "table/parquet/reader.h"

#define MAX_ROWS 200000

/* Writes the batch as a Parquet file and reads it back: it must be equal. */
static void round_trip(const dt_table *t)
{
    dt_schema s;
    dt_table_schema(t, &s);
    dt_pq_options o;
    dt_pq_options_default(&o);
    o.row_group_rows = DT_PQ_BATCH_ROWS;
    dt_buf out = DT_BUF_INIT;
    dt_pq_writer *w;
    if (dt_pq_writer_open(&w, &s, &o, dt_sink_buf(&out)) != 0) {
        dt_schema_free(&s);
        return; /* a schema the writer refuses */
    }
    if (dt_pq_writer_write(w, t) != 0) {
        dt_pq_writer_abort(w);
        dt_schema_free(&s);
        dt_buf_free(&out);
        return; /* values the writer refuses */
    }
    if (dt_pq_writer_close(w) != 0)
        abort();
    dt_pq_reader *r;
    dt_table *back;
    if (dt_pq_open_mem(&r, "roundtrip.parquet", out.data, out.len) != 0 || dt_pq_next(r, &back) != 0)
        abort(); /* what the writer wrote must read */
    char msg[256] = "";
    if (t->nrow == 0 ? back != NULL : !back || !dt_table_equal(t, back, msg, sizeof msg)) {
        fprintf(stderr, "round trip differs: %s\n", msg);
        abort();
    }
    dt_pq_close(r);
    dt_schema_free(&s);
    dt_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_pq_reader *r;
    if (dt_pq_open_mem(&r, "fuzz.parquet", data, size) != 0) {
        if (!strstr(datom_errmsg(), "fuzz.parquet"))
            abort();
        return 0;
    }
    size_t rows = 0;
    dt_table *t;
    int rc;
    while (rows < MAX_ROWS && (rc = dt_pq_next(r, &t)) == 0 && t) {
        rows += t->nrow;
        round_trip(t);
    }
    if (rc != 0 && !strstr(datom_errmsg(), "fuzz.parquet"))
        abort();
    dt_pq_close(r);
    return 0;
}
