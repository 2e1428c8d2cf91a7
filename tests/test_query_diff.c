/*
 * test_query_diff.c: datom's Datalog against npm datascript 1.8.1 on 1,500
 * random queries over 30 random databases (of 8 to 500 entities) (tests/interop/query_diff.mjs
 * makes them, with Datascript's answers; seed 42). The same datoms go into
 * both (Datascript's init-db, datom's dt_db_init); answers are compared
 * after mapping datom's entity ids to Datascript's numbers. Every query
 * kind must have been compared at least once.
 */
#include <jansson.h>

#include "db/db.h"
#include "query/query.h"
#include "t.h"

static const char *schema =
    "[{:db/ident :s :db/valueType :db.type/string :db/cardinality :db.cardinality/one}"
    " {:db/ident :l :db/valueType :db.type/long :db/cardinality :db.cardinality/one}"
    " {:db/ident :m :db/valueType :db.type/long :db/cardinality :db.cardinality/many}"
    " {:db/ident :d :db/valueType :db.type/double :db/cardinality :db.cardinality/one}"
    " {:db/ident :b :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}"
    " {:db/ident :r :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}"
    " {:db/ident :rs :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}"
    " {:db/ident :u :db/valueType :db.type/string :db/cardinality :db.cardinality/one"
    "  :db/unique :db.unique/identity}"
    " {:db/ident :n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]";

static char dir[512];

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* A db of the generated datoms [e a v] (entity e is user entity number e). */
static dt_db *make_db(dt_conn *c, json_t *datoms, dt_blob ***blobs, size_t *nblobs)
{
    dt_db *base = dt_conn_db(c), *db;
    size_t n = json_array_size(datoms);
    dt_datom *d = calloc(n ? n : 1, sizeof *d);
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(datoms, i);
        const char *a = json_string_value(json_array_get(t, 1));
        json_t *v = json_array_get(t, 2);
        const dt_attr *at = dt_db_attr_by_ident(base, a);
        d[i].e = DT_EID(DT_PART_USER, (uint64_t)json_integer_value(json_array_get(t, 0)));
        d[i].a = at->id;
        switch (at->type) {
        case DT_REF: d[i].v = dt_val_ref(DT_EID(DT_PART_USER, (uint64_t)json_integer_value(v))); break;
        case DT_LONG: d[i].v = dt_val_long(json_integer_value(v)); break;
        case DT_DOUBLE: d[i].v = (dt_val){.type = DT_DOUBLE, .d = json_number_value(v)}; break;
        case DT_BOOL: d[i].v = dt_val_bool(json_is_true(v)); break;
        default: {
            dt_blob *b = dt_blob_new(json_string_value(v), json_string_length(v));
            *blobs = realloc(*blobs, (*nblobs + 1) * sizeof **blobs);
            (*blobs)[(*nblobs)++] = b;
            d[i].v = dt_val_blob(DT_STRING, b);
        }
        }
    }
    if (dt_db_init(base, d, n, &db))
        T_FAIL("dt_db_init: %s", datom_errmsg());
    free(d);
    dt_db_unref(base);
    return db;
}

static json_t *answer(dt_db *db, json_t *c)
{
    const char *query = json_string_value(json_object_get(c, "datom"));
    json_t *inputs = json_object_get(c, "inputs");
    dt_q_text_input in[8] = {{.db = db}};
    size_t n = 1;
    for (size_t i = 0; i < json_array_size(inputs) && n < 8; i++) {
        const char *t = json_string_value(json_array_get(inputs, i));
        in[n++] = (dt_q_text_input){.edn = t, .len = strlen(t)};
    }
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *out;
    dt_q_opts o = {.seed = 42};
    json_t *r = json_object();
    if (dt_q_text(query, strlen(query), in, n, &o, doc, &out, NULL)) {
        json_object_set_new(r, "error", json_string(datom_errmsg()));
    } else {
        dt_buf b = DT_BUF_INIT;
        dt_edn_print_json_buf(out, NULL, &b);
        json_error_t err;
        json_t *v = json_loadb((const char *)b.data, b.len, JSON_DECODE_ANY, &err);
        json_object_set_new(r, "value", v ? v : json_string("(unreadable JSON)"));
        dt_buf_free(&b);
    }
    dt_edn_doc_free(doc);
    return r;
}

static void test_against_datascript(void)
{
    const char *src = getenv("SRC");
    T_ASSERT(src);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "test -d '%s/tests/interop/node_modules/datascript'", src);
    if (sh(cmd))
        T_FAIL("npm datascript is needed (scripts/deps --test)");
    snprintf(cmd, sizeof cmd, "cd '%s/tests/interop' && node query_diff.mjs gen 42 1500 '%s'", src, dir);
    T_EQ_INT(sh(cmd), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/cases.json", dir);
    json_t *all;
    T_OK(dt_json_load_file(path, &all));
    json_t *dbs = json_object_get(all, "dbs"), *cases = json_object_get(all, "cases");
    datom_store *st;
    T_OK(datom_store_open(&st, "mem:diff"));
    size_t ndb = json_array_size(dbs);
    dt_db **db = calloc(ndb, sizeof *db);
    dt_blob **blobs = NULL;
    size_t nblobs = 0;
    dt_conn *c;
    T_OK(dt_conn_create(st, "diff", NULL, &c));
    T_OK(dt_conn_transact(c, schema, strlen(schema), NULL));
    for (size_t i = 0; i < ndb; i++)
        db[i] = make_db(c, json_object_get(json_array_get(dbs, i), "datoms"), &blobs, &nblobs);
    json_t *ours = json_array();
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *cs = json_array_get(cases, i);
        json_array_append_new(ours, answer(db[json_integer_value(json_object_get(cs, "db"))], cs));
    }
    snprintf(path, sizeof path, "%s/datom.json", dir);
    T_EQ_INT(json_dump_file(ours, path, JSON_COMPACT), 0);
    json_decref(ours);
    json_decref(all);
    for (size_t i = 0; i < ndb; i++)
        dt_db_unref(db[i]);
    free(db);
    for (size_t i = 0; i < nblobs; i++)
        free(blobs[i]);
    free(blobs);
    dt_conn_free(c);
    datom_store_free(st);
    snprintf(cmd, sizeof cmd, "cd '%s/tests/interop' && node query_diff.mjs compare '%s'", src, dir);
    T_EQ_INT(sh(cmd), 0);
}

int main(void)
{
    const char *tmp = getenv("TEST_TMP");
    snprintf(dir, sizeof dir, "%s/query_diff.XXXXXX", tmp ? tmp : "/tmp");
    if (tmp)
        mkdir(tmp, 0755);
    if (!mkdtemp(dir)) {
        perror(dir);
        return 1;
    }
    T_RUN(test_against_datascript);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    sh(cmd);
    return t_done();
}
