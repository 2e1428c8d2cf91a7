/*
 * test_tx_diff.c: datom's transactions and pull against npm datascript 1.8.1
 * on one random stream of 1,500 transactions (tests/interop/tx_diff.mjs makes
 * it, with Datascript's outcomes; seed 42): every transaction's outcome,
 * tempids and tx-data, and at six checkpoints the whole datom set (EAVT) and
 * 40 pulls, are compared. datom runs the stream on the file store with a
 * small indexing threshold, so reads merge the durable trees with novelty
 * many times over; a fresh connection then reads the same datoms back.
 */
#include <jansson.h>

#include "db/pull.h"
#include "t.h"

static char *dir;

/* V printed as JSON and read back by jansson (EDN's JSON form: keywords as
 * ":ns/name" strings). */
static json_t *as_json(const dt_edn_value *v)
{
    dt_buf b = DT_BUF_INIT;
    dt_edn_print_json_buf(v, NULL, &b);
    json_error_t err;
    json_t *j = json_loadb((const char *)b.data, b.len, JSON_DECODE_ANY, &err);
    dt_buf_free(&b);
    if (!j)
        T_FAIL("datom's JSON does not read back: %s", err.text);
    return j;
}

static json_t *report(dt_conn *c, const char *edn)
{
    dt_tx_report *r;
    if (dt_conn_transact(c, edn, strlen(edn), &r))
        return json_pack("{ss}", "error", datom_errmsg());
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_edn_value v;
    T_OK(dt_report_edn(r, doc, &v));
    json_t *j = as_json(&v);
    dt_edn_doc_free(doc);
    dt_tx_report_free(r);
    return j;
}

/* The datoms of the stream's attributes ATTRS (names), as [e a v tx]. */
static json_t *eavt(dt_db *db, json_t *attrs)
{
    json_t *out = json_array();
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_cursor *cur = NULL;
    const dt_datom *d;
    int rc = dt_cursor_open(db, DT_EAVT, NULL, NULL, 0, &cur);
    while (dt_cursor_step(cur, &d, &rc)) {
        const char *ident = dt_db_ident(db, d->a);
        size_t i;
        json_t *a;
        json_array_foreach(attrs, i, a) {
            if (ident && !strcmp(ident, json_string_value(a))) {
                dt_edn_value v = dt_datom_edn(doc, db, d);
                json_t *row = as_json(&v);
                json_array_remove(row, 4); /* added? (always true here) */
                json_array_append_new(out, row);
                break;
            }
        }
    }
    dt_cursor_free(cur);
    dt_edn_doc_free(doc);
    T_OK(rc);
    return out;
}

static json_t *pull(dt_db *db, const char *pattern, uint64_t e)
{
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *p;
    dt_edn_value v;
    dt_pull *pl;
    json_t *j;
    if (dt_edn_read(doc, pattern, strlen(pattern), NULL, &p, NULL) || dt_pull_parse(db, p, &pl)) {
        j = json_pack("{ss}", "error", datom_errmsg());
    } else {
        if (dt_pull_run(db, pl, e, doc, &v))
            j = json_pack("{ss}", "error", datom_errmsg());
        else
            j = as_json(&v);
        dt_pull_free(pl);
    }
    dt_edn_doc_free(doc);
    return j;
}

static json_t *checkpoint(dt_conn *c, json_t *attrs, json_t *pulls)
{
    dt_db *db = dt_conn_db(c);
    json_t *ps = json_array(), *p;
    size_t i;
    json_array_foreach(pulls, i, p) {
        uint64_t e = DT_EID(DT_PART_USER, (uint64_t)json_integer_value(json_object_get(p, "e")));
        json_array_append_new(ps, pull(db, json_string_value(json_object_get(p, "pattern")), e));
    }
    json_t *r = json_pack("{soso}", "eavt", eavt(db, attrs), "pulls", ps);
    dt_db_unref(db);
    return r;
}

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_against_datascript(void)
{
    const char *src = getenv("SRC");
    T_ASSERT(src);
    char cmd[2048], path[1024];
    snprintf(cmd, sizeof cmd, "test -d '%s/tests/interop/node_modules/datascript'", src);
    if (sh(cmd))
        T_FAIL("npm datascript is needed (scripts/deps --test)");
    snprintf(cmd, sizeof cmd, "cd '%s/tests/interop' && node tx_diff.mjs gen 42 1500 '%s'", src, dir);
    T_EQ_INT(sh(cmd), 0);
    snprintf(path, sizeof path, "%s/stream.json", dir);
    json_t *stream;
    T_OK(dt_json_load_file(path, &stream));
    json_t *attrs = json_object_get(stream, "attrs"), *txs = json_object_get(stream, "txs");
    json_t *cps = json_object_get(stream, "checkpoints");
    const char *schema = json_string_value(json_object_get(stream, "schema"));

    snprintf(path, sizeof path, "%s/store", dir);
    datom_store *st;
    T_OK(datom_store_open(&st, path));
    dt_conn *c;
    dt_conn_opts o = {.index_threshold = 1000};
    T_OK(dt_conn_create(st, "stream", &o, &c));
    T_OK(dt_conn_transact(c, schema, strlen(schema), NULL));
    json_t *reports = json_array(), *results = json_array();
    size_t next = 0;
    for (size_t k = 0; k < json_array_size(txs); k++) {
        const char *edn = json_string_value(json_object_get(json_array_get(txs, k), "edn"));
        json_array_append_new(reports, report(c, edn));
        json_t *cp = json_array_get(cps, next);
        if (cp && (size_t)json_integer_value(json_object_get(cp, "after")) == k) {
            json_array_append_new(results, checkpoint(c, attrs, json_object_get(cp, "pulls")));
            next++;
        }
    }
    T_EQ_INT(next, json_array_size(cps));
    dt_conn_stats s;
    dt_conn_stats_get(c, &s);
    T_ASSERT(s.indexings >= 5); /* the threshold was passed, again and again */
    dt_conn_free(c);

    /* A fresh connection reads the same datoms (durable trees and log) back. */
    T_OK(dt_conn_open(st, "stream", NULL, &c));
    json_t *none = json_array(), *again = checkpoint(c, attrs, none);
    json_decref(none);
    T_ASSERT(json_equal(json_object_get(again, "eavt"), json_object_get(json_array_get(results, next - 1), "eavt")));
    json_decref(again);
    dt_conn_free(c);
    datom_store_free(st);

    json_t *ours = json_pack("{soso}", "reports", reports, "results", results);
    snprintf(path, sizeof path, "%s/datom.json", dir);
    T_EQ_INT(json_dump_file(ours, path, JSON_COMPACT), 0);
    json_decref(ours);
    json_decref(stream);
    snprintf(cmd, sizeof cmd, "cd '%s/tests/interop' && node tx_diff.mjs compare '%s'", src, dir);
    T_EQ_INT(sh(cmd), 0);
}

int main(void)
{
    dir = t_tmpdir("tx_diff");
    T_RUN(test_against_datascript);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (t_failed == 0)
        sh(cmd);
    free(dir);
    return t_done();
}
