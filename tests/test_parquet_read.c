/*
 * test_parquet_read.c: the Parquet reader against files written by real
 * peers. tests/interop/pq_*_gen.mjs (run here with node) write Parquet files
 * and, beside them, what each must read as (see the scripts for the spelling);
 * every value datom reads is compared with that. Also: hand-built INT96
 * timestamps, and hostile files (truncated, flipped, huge claims) that must
 * fail cleanly.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>

#include "t.h"
#include "core/core.h"
#include "table/parquet/parquet.h"
#include "table/parquet/reader.h"

static char *gen_dir;

/* Runs a generator script into dir; node and the peers must be present. */
static void run_gen(const char *script, const char *dir)
{
    const char *src = getenv("SRC");
    T_ASSERT(src != NULL);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "test -d '%s/tests/interop/node_modules/@duckdb' || "
             "{ echo 'tests/interop/node_modules missing: run scripts/deps --test' >&2; exit 1; }",
             src);
    if (system(cmd) != 0)
        T_FAIL("node_modules of tests/interop are missing (scripts/deps --test installs them)");
    snprintf(cmd, sizeof cmd, "node '%s/tests/interop/%s' '%s'", src, script, dir);
    if (system(cmd) != 0)
        T_FAIL("'%s' failed (is node installed?)", cmd);
}

/* A value spelt as the generators spell expectations: times and timestamps
 * as the integer in their unit, uint64 in full, the rest as datom spells it. */
static void value_text(const dt_column *c, size_t row, dt_buf *b)
{
    switch (c->field.kind) {
    case DT_DATE:
    case DT_INT32: dt_buf_printf(b, "%" PRId32, DT_COL(c, int32_t)[row]); break;
    case DT_INT64:
    case DT_TIMESTAMP:
    case DT_TIME: dt_buf_printf(b, "%" PRId64, DT_COL(c, int64_t)[row]); break;
    case DT_UINT64: dt_buf_printf(b, "%" PRIu64, DT_COL(c, uint64_t)[row]); break;
    default: dt_value_format(c, row, b); break;
    }
}

static bool double_matches(double got, const char *want)
{
    double w = strtod(want, NULL);
    if (isnan(w) || isnan(got))
        return isnan(w) && isnan(got);
    return w == got && signbit(w) == signbit(got);
}

/* Compares everything the reader yields for FILE with the expectation. */
static void check_file(const char *path, json_t *expect)
{
    json_t *cols = json_object_get(expect, "columns"), *rows = json_object_get(expect, "rows");
    dt_pq_reader *r;
    T_OK(dt_pq_open(&r, path));
    const dt_schema *s = dt_pq_schema(r);
    if (s->ncol != json_array_size(cols)) {
        dt_pq_close(r);
        T_FAIL("%s: %zu columns, expected %zu", path, s->ncol, json_array_size(cols));
    }
    char msg[512] = "";
    for (size_t c = 0; c < s->ncol && !*msg; c++) {
        const char *name = json_string_value(json_array_get(json_array_get(cols, c), 0));
        const char *kind = json_string_value(json_array_get(json_array_get(cols, c), 1));
        dt_buf d = DT_BUF_INIT;
        dt_field_describe(&s->fields[c], &d);
        if (strcmp(name, s->fields[c].name) || strcmp(kind, dt_buf_cstr(&d)))
            snprintf(msg, sizeof msg, "column %zu is %s %s, expected %s %s", c, s->fields[c].name,
                     dt_buf_cstr(&d), name, kind);
        dt_buf_free(&d);
    }
    size_t row = 0;
    dt_table *t;
    dt_buf b = DT_BUF_INIT;
    while (!*msg) {
        if (dt_pq_next(r, &t) != 0) {
            snprintf(msg, sizeof msg, "read failed: %s", datom_errmsg());
            break;
        }
        if (!t)
            break;
        for (size_t i = 0; i < t->nrow && !*msg; i++, row++) {
            json_t *jr = json_array_get(rows, row);
            if (!jr) {
                snprintf(msg, sizeof msg, "more rows than the expected %zu", json_array_size(rows));
                break;
            }
            for (size_t c = 0; c < t->ncol && !*msg; c++) {
                const dt_column *col = &t->cols[c];
                const char *want = json_string_value(json_array_get(jr, c));
                bool valid = dt_col_is_valid(col, i);
                dt_buf_clear(&b);
                if (valid)
                    value_text(col, i, &b);
                bool ok = !want ? !valid
                          : !valid ? false
                          : col->field.kind == DT_DOUBLE ? double_matches(DT_COL(col, double)[i], want)
                                                        : strcmp(dt_buf_cstr(&b), want) == 0;
                if (!ok)
                    snprintf(msg, sizeof msg, "row %zu column %s: read '%s'%s, expected '%s'", row,
                             col->field.name, dt_buf_cstr(&b), valid ? "" : " (null)",
                             want ? want : "(null)");
            }
        }
    }
    if (!*msg && row != json_array_size(rows))
        snprintf(msg, sizeof msg, "read %zu rows, expected %zu", row, json_array_size(rows));
    if (!*msg && dt_pq_num_rows(r) != row)
        snprintf(msg, sizeof msg, "num_rows %" PRIu64 ", read %zu", dt_pq_num_rows(r), row);
    dt_buf_free(&b);
    dt_pq_close(r);
    if (*msg)
        T_FAIL("%s: %s", path, msg);
}

/* Every file a generator listed in its manifest. */
static void check_manifest(const char *dir)
{
    char *mpath = dt_path_join(dir, "manifest.json");
    json_t *m;
    T_OK(dt_json_load_file(mpath, &m));
    free(mpath);
    size_t i;
    json_t *e;
    int failed = 0;
    json_array_foreach(m, i, e) {
        char *fp = dt_path_join(dir, json_string_value(json_object_get(e, "file")));
        char *ep = dt_path_join(dir, json_string_value(json_object_get(e, "expect")));
        json_t *x;
        T_OK(dt_json_load_file(ep, &x));
        fprintf(stderr, "  %s\n", json_string_value(json_object_get(e, "file")));
        int saved_failed = t_failed;
        jmp_buf outer;
        memcpy(outer, t_jump, sizeof outer);
        if (setjmp(t_jump) == 0)
            check_file(fp, x);
        else
            failed++;
        memcpy(t_jump, outer, sizeof outer);
        t_failed = saved_failed;
        json_decref(x);
        free(fp);
        free(ep);
    }
    json_decref(m);
    if (failed)
        T_FAIL("%d of the files read wrong", failed);
}

static void check_peer(const char *name, const char *script)
{
    char *dir = dt_path_join(gen_dir, name);
    run_gen(script, dir);
    check_manifest(dir);
    free(dir);
}

static void test_duckdb(void) { check_peer("duckdb", "pq_duckdb_gen.mjs"); }
static void test_arrow(void) { check_peer("arrow", "pq_arrow_gen.mjs"); }
static void test_hyparquet(void) { check_peer("hyparquet", "pq_hyparquet_gen.mjs"); }

/* datom's own writer: every kind comes back, durations with their unit. */
static void test_own_writer(void)
{
    static const dt_kind kinds[] = {DT_BOOL, DT_INT32, DT_INT64, DT_DOUBLE, DT_STRING, DT_DATE,
                                    DT_TIMESTAMP, DT_DURATION, DT_DECIMAL, DT_BINARY};
    dt_schema s;
    dt_schema_init(&s, DT_ARRAY_LEN(kinds));
    for (size_t i = 0; i < DT_ARRAY_LEN(kinds); i++) {
        char name[16];
        snprintf(name, sizeof name, "c%zu", i);
        dt_schema_set(&s, i, name, kinds[i]);
    }
    s.fields[7].unit = DT_UNIT_MS;
    s.fields[8].precision = 12;
    s.fields[8].scale = 3;
    dt_table *t = dt_table_new(&s, 0);
    for (int r = 0; r < 3000; r++) {
        for (size_t c = 0; c < t->ncol; c++) {
            dt_column *col = &t->cols[c];
            if ((r + (int)c) % 11 == 0) {
                dt_col_append_null(col);
                continue;
            }
            char txt[32];
            snprintf(txt, sizeof txt, "v%d", r % 50);
            switch (kinds[c]) {
            case DT_BOOL: dt_col_append_bool(col, r % 3 == 0); break;
            case DT_INT32:
            case DT_DATE: dt_col_append_i32(col, r * 7 - 9000); break;
            case DT_DOUBLE: dt_col_append_f64(col, r / 3.0); break;
            case DT_STRING:
            case DT_BINARY: dt_col_append_bytes(col, txt, strlen(txt)); break;
            default: dt_col_append_i64(col, (int64_t)r * 1000003 - 7); break;
            }
        }
        dt_table_end_row(t);
    }
    dt_buf out = DT_BUF_INIT;
    dt_pq_options o;
    dt_pq_options_default(&o);
    o.row_group_rows = 1000;
    dt_pq_writer *w;
    T_OK(dt_pq_writer_open(&w, &s, &o, dt_sink_buf(&out)));
    T_OK(dt_pq_writer_write(w, t));
    T_OK(dt_pq_writer_close(w));
    dt_pq_reader *r;
    T_OK(dt_pq_open_mem(&r, "own.parquet", out.data, out.len));
    const dt_schema *rs = dt_pq_schema(r);
    T_EQ_INT(rs->fields[7].kind, DT_DURATION);
    T_EQ_INT(rs->fields[7].unit, DT_UNIT_MS);
    T_EQ_INT(rs->fields[8].precision, 12);
    T_EQ_INT(rs->fields[8].scale, 3);
    dt_table *all = dt_table_new(rs, 0), *b;
    while (dt_pq_next(r, &b) == 0 && b) {
        T_EQ_INT(b->nrow, 1000); /* a batch per row group */
        for (size_t i = 0; i < b->nrow; i++) {
            for (size_t c = 0; c < b->ncol; c++) {
                const dt_column *x = &b->cols[c];
                dt_column *y = &all->cols[c];
                if (!dt_col_is_valid(x, i))
                    dt_col_append_null(y);
                else if (kinds[c] == DT_STRING || kinds[c] == DT_BINARY) {
                    size_t n;
                    const char *p = dt_col_str(x, i, &n);
                    dt_col_append_bytes(y, p, n);
                } else if (kinds[c] == DT_BOOL)
                    dt_col_append_bool(y, DT_COL(x, uint8_t)[i]);
                else if (dt_kind_width(kinds[c]) == 4)
                    dt_col_append_i32(y, DT_COL(x, int32_t)[i]);
                else if (kinds[c] == DT_DOUBLE)
                    dt_col_append_f64(y, DT_COL(x, double)[i]);
                else
                    dt_col_append_i64(y, DT_COL(x, int64_t)[i]);
            }
            dt_table_end_row(all);
        }
    }
    char msg[256];
    bool eq = dt_table_equal(t, all, msg, sizeof msg);
    dt_table_free(all);
    dt_pq_close(r);
    dt_table_free(t);
    dt_schema_free(&s);
    dt_buf_free(&out);
    if (!eq)
        T_FAIL("read back differs: %s", msg);
}

static void test_missing_file(void)
{
    dt_pq_reader *r;
    T_ERR(dt_pq_open(&r, "/nonexistent/x.parquet"), DATOM_ENOTFOUND, "/nonexistent/x.parquet");
}

int main(void)
{
    gen_dir = t_tmpdir("parquet_read");
    T_RUN(test_missing_file);
    T_RUN(test_own_writer);
    T_RUN(test_duckdb);
    T_RUN(test_arrow);
    T_RUN(test_hyparquet);
    free(gen_dir);
    return t_done();
}
