/*
 * fuzz_csv.c: libFuzzer target for the CSV reader and writer.
 *
 * Any input must give a clean error or a table, never a crash, leak or hang.
 * When it gives a table, writing that table and reading the text back (with
 * the first schema forced) must give a table that writes the same text
 * again: write(read(x)) is a fixed point, which checks the writer's quoting
 * and number spelling against the reader. Each input is read twice: with the
 * delimiter sniffed and tiny batches, and as ';'-separated with other NA
 * tokens; and each of those again in one-pass mode, which must end with the
 * same text (or fail too). Corpus: fuzz/corpus/fuzz_csv/ (docs/testing.md).
 */
#include <stdlib.h>
#include <string.h>

#include "table/csv.h"

/* Reads all of it and writes it as CSV into out; 0 or the reader's error.
 * In one-pass mode a restart throws the output away and starts again. */
static int read_write(const void *data, size_t size, const dt_csv_options *o, dt_schema *schema,
                      dt_buf *out)
{
    dt_csv_reader *r;
    int rc = dt_csv_open_mem(&r, "fuzz.csv", data, size, o);
    if (rc)
        return rc;
    for (int attempt = 0;; attempt++) {
        dt_schema_free(schema);
        dt_schema_copy(schema, dt_csv_schema(r));
        dt_buf_clear(out);
        dt_csv_writer *w;
        if (dt_csv_writer_open(&w, schema, ',', dt_sink_buf(out)))
            abort();
        dt_table *b;
        while ((rc = dt_csv_next(r, &b)) == 0 && b)
            if (dt_csv_writer_write(w, b))
                abort();
        if (dt_csv_writer_close(w))
            abort();
        if (rc != DT_CSV_RESTART)
            break;
        if (attempt > 0)
            abort(); /* restarts happen at most once */
    }
    dt_csv_close(r);
    return rc;
}

static void check(const uint8_t *data, size_t size, dt_csv_options o)
{
    dt_schema s1 = {0}, s2 = {0}, s3 = {0};
    dt_buf t1 = DT_BUF_INIT, t2 = DT_BUF_INIT, t3 = DT_BUF_INIT;
    int rc = read_write(data, size, &o, &s1, &t1);
    /* one pass, guessing from the first row or two, ends the same way */
    o.one_pass = true;
    o.prefix_rows = 1 + size % 2;
    int rc3 = read_write(data, size, &o, &s3, &t3);
    if ((rc == 0) != (rc3 == 0) ||
        (rc == 0 && (t1.len != t3.len || (t1.len && memcmp(t1.data, t3.data, t1.len)))))
        abort();
    if (rc == 0 && s1.ncol > 0) {
        dt_csv_options again = {.delim = ',', .forced = &s1, .batch_rows = 3};
        if (read_write(t1.data, t1.len, &again, &s2, &t2) != 0)
            abort(); /* what the writer wrote must read back */
        if (t1.len != t2.len || memcmp(t1.data, t2.data, t1.len) != 0)
            abort(); /* and write the same again */
    }
    dt_schema_free(&s1);
    dt_schema_free(&s2);
    dt_schema_free(&s3);
    dt_buf_free(&t1);
    dt_buf_free(&t2);
    dt_buf_free(&t3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *na[] = {"-", "null", ""};
    check(data, size, (dt_csv_options){.batch_rows = 2});
    check(data, size, (dt_csv_options){.delim = ';', .na = na, .n_na = 3});
    return 0;
}
