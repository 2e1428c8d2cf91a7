/*
 * test_db_api.c: the public C API of facts (include/datom.h) as a program
 * linking only it would use it: connections, transactions and reports, the
 * time views and filters, index access, pull, the entity view, walking
 * results, and what errors say.
 */
#include "t.h"

static datom_store *st;
static datom_conn *conn;

static void setup(const char *name)
{
    if (!st)
        T_OK(datom_store_open(&st, "mem:"));
    T_OK(datom_db_create(st, name, NULL, &conn));
    T_OK(datom_transact(conn,
                        "[{:db/ident :p/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one"
                        "  :db/unique :db.unique/identity}"
                        " {:db/ident :p/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}"
                        " {:db/ident :p/born :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}"
                        " {:db/ident :p/kid :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]",
                        NULL));
    T_OK(datom_transact(conn,
                        "[{:db/id \"a\" :p/name \"Ann\" :p/age 40 :p/kid [\"b\" \"c\"] :p/born #inst \"1985-03-01\"}"
                        " {:db/id \"b\" :p/name \"Bob\" :p/age 10} {:db/id \"c\" :p/name \"Cy\" :p/age 8}]",
                        NULL));
}

static void teardown(void)
{
    datom_conn_close(conn);
    conn = NULL;
}

static char *printed(datom_value *v, int json)
{
    char *s = datom_value_print(v, json);
    datom_value_free(v);
    return s;
}

#define T_VALUE(call, json, expect)                                                                \
    do {                                                                                           \
        datom_value *t_v;                                                                          \
        T_OK(call);                                                                                \
        char *t_s = printed(t_v, json);                                                            \
        if (strcmp(t_s, expect)) {                                                                 \
            fprintf(stderr, "  got:    %s\n  expect: %s\n", t_s, expect);                          \
            free(t_s);                                                                             \
            T_FAIL("%s", #call);                                                                   \
        }                                                                                          \
        free(t_s);                                                                                 \
    } while (0)

static void test_transact_and_report(void)
{
    setup("report");
    datom_report *r;
    T_OK(datom_transact(conn, "[[:db/add \"d\" :p/name \"Dee\"]]", &r));
    T_EQ_INT(datom_report_tempid(r, "d"), 17592186044420ull);
    T_EQ_INT(datom_report_tempid(r, "nope"), 0);
    T_EQ_INT(datom_db_basis_t(datom_report_db_after(r)), datom_db_basis_t(datom_report_db_before(r)) + 1);
    datom_value *v;
    T_OK(datom_report_value(r, &v));
    T_EQ_INT(datom_value_kind(v), DATOM_MAP);
    const datom_value *data = datom_value_get(v, "tx-data");
    T_EQ_INT(datom_value_count(data), 2);
    const datom_value *first = datom_value_at(data, 1);
    size_t len;
    T_EQ_STR(datom_value_text(datom_value_at(first, 1), &len), "p/name");
    T_EQ_INT(datom_value_int(datom_value_get(datom_value_get(v, ":tempids"), "d")), 0); /* a string key */
    T_EQ_INT(datom_value_count(datom_value_get(v, "tempids")), 1);
    datom_value_free(v);
    datom_report_free(r);
    /* errors: nothing applied, the datom named */
    datom_db *before = datom_conn_db(conn);
    T_ERR(datom_transact(conn, "[[:db/add \"e\" :p/age \"x\"]]", NULL), DATOM_EINVAL, "[:db/add \"e\" :p/age \"x\"]");
    T_ERR(datom_transact(conn, "[[:db/cas [:p/name \"Bob\"] :p/age 1 2]]", NULL), DATOM_ECONFLICT, ":db/cas failed");
    datom_db *after = datom_conn_db(conn);
    T_EQ_INT(datom_db_basis_t(before), datom_db_basis_t(after));
    datom_db_free(before);
    datom_db_free(after);
    /* with: speculative */
    datom_db *db = datom_conn_db(conn);
    T_OK(datom_with(db, "[[:db/add [:p/name \"Bob\"] :p/age 11]]", &r));
    T_VALUE(datom_pull(datom_report_db_after(r), "[:p/age]", "[:p/name \"Bob\"]", &t_v), 0, "{:p/age 11}");
    T_VALUE(datom_pull(db, "[:p/age]", "[:p/name \"Bob\"]", &t_v), 0, "{:p/age 10}");
    datom_report_free(r);
    datom_db_free(db);
    teardown();
}

static int only_ages(const datom_datom *d, void *ctx)
{
    return datom_value_kind(d->v) == DATOM_INT && datom_value_int(d->v) >= *(int *)ctx;
}

static void test_time_and_filter(void)
{
    setup("time");
    datom_db *db = datom_conn_db(conn);
    int64_t t = datom_db_basis_t(db);
    datom_db_free(db);
    T_OK(datom_transact(conn, "[[:db/retractEntity [:p/name \"Cy\"]]]", NULL));
    db = datom_conn_db(conn);
    datom_db *then, *since, *hist;
    T_OK(datom_db_as_of(db, t, &then));
    T_VALUE(datom_pull(then, "[{:p/kid [:p/name]}]", "[:p/name \"Ann\"]", &t_v), 0,
            "{:p/kid [{:p/name \"Bob\"} {:p/name \"Cy\"}]}");
    T_VALUE(datom_pull(db, "[{:p/kid [:p/name]}]", "[:p/name \"Ann\"]", &t_v), 0, "{:p/kid [{:p/name \"Bob\"}]}");
    T_OK(datom_db_as_of(db, (int64_t)(13194139533312ull + (uint64_t)t), &since)); /* a transaction id */
    datom_db_free(since);
    T_OK(datom_db_since(db, t, &since));
    uint64_t n;
    T_OK(datom_count(since, "aevt", "[:p/name]", &n)); /* an estimate: an upper bound */
    T_ASSERT(n >= 3);
    datom_cursor *c;
    datom_datom d;
    T_OK(datom_datoms(since, "aevt", "[:p/name]", &c));
    T_EQ_INT(datom_cursor_next(c, &d), 0); /* nothing asserted since */
    datom_cursor_free(c);
    hist = datom_db_history(db);
    T_OK(datom_datoms(hist, "eavt", "[17592186044419]", &c));
    int rows = 0, retracted = 0;
    while (datom_cursor_next(c, &d) == 1) {
        rows++;
        retracted += !d.added;
    }
    datom_cursor_free(c);
    T_EQ_INT(rows, 4);
    T_EQ_INT(retracted, 2);
    int min = 10;
    datom_db *f = datom_db_filter(db, only_ages, &min);
    T_OK(datom_datoms(f, "aevt", "[:p/age]", &c));
    rows = 0;
    while (datom_cursor_next(c, &d) == 1)
        rows++;
    datom_cursor_free(c);
    T_EQ_INT(rows, 2); /* 40 and 10 */
    datom_db_free(since);
    T_OK(datom_db_as_of_instant(db, 0, &since)); /* the epoch: the bootstrap, nothing of ours */
    T_VALUE(datom_pull(since, "[:p/name]", "17592186044417", &t_v), 0, "nil");
    datom_db_free(since);
    datom_db_free(f);
    datom_db_free(hist);
    datom_db_free(then);
    datom_db_free(db);
    teardown();
}

static void test_index_access(void)
{
    setup("index");
    datom_db *db = datom_conn_db(conn);
    datom_cursor *c;
    datom_datom d;
    T_OK(datom_index_range(db, ":p/age", "9", "40", &c));
    int64_t ages[4];
    int n = 0;
    while (datom_cursor_next(c, &d) == 1 && n < 4)
        ages[n++] = datom_value_int(d.v);
    datom_cursor_free(c);
    T_EQ_INT(n, 1);
    T_EQ_INT(ages[0], 10);
    T_OK(datom_index_range(db, ":p/age", "nil", "nil", &c));
    n = 0;
    while (datom_cursor_next(c, &d) == 1)
        n++;
    datom_cursor_free(c);
    T_EQ_INT(n, 3);
    T_OK(datom_seek_datoms(db, "avet", "[:p/age 10]", &c));
    T_EQ_INT(datom_cursor_next(c, &d), 1);
    T_EQ_INT(datom_value_int(d.v), 10);
    datom_cursor_free(c);
    T_OK(datom_datoms(db, "vaet", "[[:p/name \"Bob\"]]", &c));
    T_EQ_INT(datom_cursor_next(c, &d), 1);
    T_EQ_INT(d.e, 17592186044417ull);
    datom_cursor_free(c);
    T_OK(datom_tx_range(db, 2, -1, &c));
    n = 0;
    while (datom_cursor_next(c, &d) == 1)
        n++;
    datom_cursor_free(c);
    T_EQ_INT(n, 10); /* 3 names, 3 ages, 2 kids, born, txInstant */
    T_ERR(datom_datoms(db, "xyz", "[]", &c), DATOM_EINVAL, "unknown index");
    T_ERR(datom_datoms(db, "avet", "[:p/age \"old\"]", &c), DATOM_EINVAL, "not a :db.type/long");
    T_ERR(datom_datoms(db, "avet", "[:p/nope]", &c), DATOM_EINVAL, "not an attribute");
    T_ERR(datom_datoms(db, "eavt", "[1 2 3 4 5]", &c), DATOM_EINVAL, "at most 4");
    datom_db_free(db);
    teardown();
}

static void test_pull_entity_values(void)
{
    setup("pull");
    datom_db *db = datom_conn_db(conn);
    T_VALUE(datom_pull(db, "[:p/name :p/born]", "[:p/name \"Ann\"]", &t_v), 1,
            "{\":p/name\":\"Ann\",\":p/born\":\"1985-03-01T00:00:00.000Z\"}");
    T_VALUE(datom_pull_many(db, "[:p/name]", "[17592186044418 [:p/name \"Cy\"] [:p/name \"Zed\"]]", &t_v), 0,
            "[{:p/name \"Bob\"} {:p/name \"Cy\"} nil]");
    T_VALUE(datom_entity_get(db, "[:p/name \"Ann\"]", ":p/kid", &t_v), 0, "#{17592186044418 17592186044419}");
    T_VALUE(datom_entity_get(db, "[:p/name \"Bob\"]", ":p/_kid", &t_v), 0, "#{17592186044417}");
    T_VALUE(datom_entity_get(db, "[:p/name \"Bob\"]", ":p/born", &t_v), 0, "nil");
    T_VALUE(datom_entity_touch(db, "[:p/name \"Bob\"]", &t_v), 0, "{:db/id 17592186044418, :p/name \"Bob\", :p/age 10}");
    datom_value *v;
    T_ERR(datom_pull(db, "[:p/name", "1", &v), DATOM_EINVAL, "pull pattern");
    T_ERR(datom_pull(db, "[:p/name]", "[:p/name \"Zed\"]", &v), DATOM_ENOTFOUND, "none");
    T_ERR(datom_entity_get(db, "[:p/age 10]", ":p/name", &v), DATOM_EINVAL, "unique attribute");
    /* walking */
    T_OK(datom_pull(db, "[:p/age :p/born {:p/kid [:p/name]}]", "[:p/name \"Ann\"]", &v));
    T_EQ_INT(datom_value_kind(datom_value_get(v, "p/born")), DATOM_INST);
    T_EQ_INT(datom_value_int(datom_value_get(v, "p/born")), 478483200000);
    T_EQ_INT(datom_value_float(datom_value_get(v, "p/age")), 40);
    const datom_value *kids = datom_value_get(v, "p/kid");
    T_EQ_INT(datom_value_kind(kids), DATOM_VECTOR);
    T_EQ_INT(datom_value_count(kids), 2);
    size_t len;
    T_EQ_STR(datom_value_text(datom_value_val(datom_value_at(kids, 0), 0), &len), "Bob");
    T_EQ_INT(len, 3);
    T_ASSERT(datom_value_at(v, 0) == NULL); /* a map has pairs, not items */
    T_ASSERT(datom_value_get(v, "p/nope") == NULL);
    datom_value_free(v);
    datom_db_free(db);
    teardown();
}

static void test_names_and_reopen(void)
{
    datom_store *fs;
    const char *base = getenv("TEST_TMP") ? getenv("TEST_TMP") : "/tmp";
    char dir[512];
    snprintf(dir, sizeof dir, "%s/db_api_%d", base, (int)getpid());
    T_OK(datom_store_open(&fs, dir));
    datom_conn *c;
    datom_conn_options o = {.ns = "team/datom/"};
    T_OK(datom_db_create(fs, "one", &o, &c));
    T_OK(datom_transact(c, "[{:db/ident :k/v :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]", NULL));
    datom_conn_close(c);
    T_ERR(datom_db_create(fs, "one", &o, &c), DATOM_EEXISTS, "already exists");
    T_ERR(datom_conn_open(fs, "one", NULL, &c), DATOM_ENOTFOUND, "no database one"); /* another namespace */
    T_ERR(datom_db_create(fs, "../x", &o, &c), DATOM_EINVAL, "database name");
    char **names;
    size_t n;
    T_OK(datom_db_names(fs, "team/datom/", &names, &n));
    T_EQ_INT(n, 1);
    T_EQ_STR(names[0], "one");
    datom_strings_free(names, n);
    T_OK(datom_conn_open(fs, "one", &o, &c));
    T_OK(datom_conn_sync(c));
    datom_db *db = datom_conn_db(c);
    T_EQ_INT(datom_db_basis_t(db), 1);
    datom_db_free(db);
    datom_conn_close(c);
    datom_store_free(fs);
}

/* ---- big values through indexing and a cache smaller than a segment ---- */

/* Value I's text (malloc'd, *len bytes): 1 MiB for every 10th, else a few
 * bytes; byte 3 is a NUL. */
static char *big_text(int i, size_t *len)
{
    size_t n = i % 10 == 0 ? (1u << 20) + (size_t)i : 8 + (size_t)i % 7;
    char *p = malloc(n);
    for (size_t j = 0; j < n; j++)
        p[j] = j == 3 ? '\0' : (char)('a' + (j * 7 + (size_t)i) % 26);
    *len = n;
    return p;
}

static void big_check(datom_conn *c, int n_ent, const char *when)
{
    datom_db *db = datom_conn_db(c);
    for (int i = 0; i < n_ent; i++) {
        char ent[64];
        snprintf(ent, sizeof ent, "[:b/k \"k%d\"]", i);
        datom_value *v;
        T_OK(datom_pull(db, "[:b/v :b/n]", ent, &v));
        const datom_value *text = datom_value_get(v, "b/v");
        size_t len = 0, n;
        char *want = big_text(i, &n);
        const char *p = text ? datom_value_text(text, &len) : NULL;
        int same = p && len == n && !memcmp(p, want, n);
        free(want);
        if (!same)
            T_FAIL("%s: the value of k%d came back wrong (%zu bytes, wanted %zu)", when, i, len, n);
        T_EQ_INT(datom_value_int(datom_value_get(v, "b/n")), i);
        datom_value_free(v);
    }
    uint64_t count;
    T_OK(datom_count(db, "aevt", "[:b/v]", &count));
    T_EQ_INT(count, (uint64_t)n_ent);
    datom_cursor *cur;
    datom_datom d;
    T_OK(datom_index_range(db, ":b/n", "10", "20", &cur));
    int in_range = 0;
    while (datom_cursor_next(cur, &d) == 1)
        in_range++;
    datom_cursor_free(cur);
    T_EQ_INT(in_range, 10);
    datom_db_free(db);
}

static void test_big_values_indexed(void)
{
    char *dir = t_tmpdir("db_api_big");
    datom_store *fs;
    T_OK(datom_store_open(&fs, dir));
    datom_conn_options o = {.index_threshold = 64, .cache_bytes = 16 << 10};
    datom_conn *c;
    T_OK(datom_db_create(fs, "big", &o, &c));
    T_OK(datom_transact(c,
                        "[{:db/ident :b/k :db/valueType :db.type/string :db/cardinality :db.cardinality/one"
                        "  :db/unique :db.unique/identity}"
                        " {:db/ident :b/v :db/valueType :db.type/string :db/cardinality :db.cardinality/one}"
                        " {:db/ident :b/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one"
                        "  :db/index true}]",
                        NULL));
    /* 60 entities, 3 per transaction: indexing runs several times, through the big values */
    enum { N = 60 };
    for (int i = 0; i < N; i += 3) {
        size_t cap = 3 * ((1u << 20) + 256) + 2, len = 0;
        char *tx = malloc(cap);
        tx[len++] = '[';
        for (int j = i; j < i + 3; j++) {
            size_t n;
            char *text = big_text(j, &n);
            len += (size_t)snprintf(tx + len, cap - len, "{:b/k \"k%d\" :b/n %d :b/v \"", j, j);
            for (size_t k = 0; k < n; k++)
                len += text[k] ? (size_t)(tx[len] = text[k], 1) : (size_t)snprintf(tx + len, cap - len, "\\u0000");
            len += (size_t)snprintf(tx + len, cap - len, "\"}");
            free(text);
        }
        tx[len++] = ']';
        tx[len] = '\0';
        T_OK(datom_transact(c, tx, NULL));
        free(tx);
    }
    big_check(c, N, "the writer");
    datom_conn_close(c);
    /* a fresh connection reads the trees through the small cache */
    T_OK(datom_conn_open(fs, "big", &o, &c));
    big_check(c, N, "reopened");
    datom_conn_close(c);
    datom_store_free(fs);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    T_EQ_INT(system(cmd), 0);
    free(dir);
}

/* ---- faults in the log's own operations (the fault: wrapper over a local store) ---- */

/* The database F in DIR, reopened without faults: its basis and how many :k/v it holds. */
static void log_fault_check(const char *dir, int64_t basis, uint64_t values, const char *when)
{
    datom_store *plain;
    datom_conn *c;
    T_OK(datom_store_open(&plain, dir));
    T_OK(datom_conn_open(plain, "f", NULL, &c));
    datom_db *db = datom_conn_db(c);
    uint64_t n;
    T_OK(datom_count(db, "aevt", "[:k/v]", &n));
    if (datom_db_basis_t(db) != basis || n != values)
        T_FAIL("%s: basis %lld with %llu values, wanted %lld with %llu", when,
               (long long)datom_db_basis_t(db), (unsigned long long)n, (long long)basis,
               (unsigned long long)values);
    datom_db_free(db);
    datom_conn_close(c);
    datom_store_free(plain);
}

/* A transaction through a store whose Nth call of a log operation fails (SPEC). */
static int log_fault_transact(const char *dir, const char *spec, const char *tx)
{
    char url[600];
    snprintf(url, sizeof url, "fault:%s:%s", spec, dir);
    datom_store *fs;
    datom_conn *c;
    T_OK(datom_store_open(&fs, url));
    int rc = datom_conn_open(fs, "f", NULL, &c);
    if (rc == 0) {
        rc = datom_transact(c, tx, NULL);
        datom_conn_close(c);
    }
    datom_store_free(fs);
    return rc;
}

static void test_log_faults(void)
{
    char *dir = t_tmpdir("db_api_logfault");
    datom_store *plain;
    datom_conn *c;
    T_OK(datom_store_open(&plain, dir));
    T_OK(datom_db_create(plain, "f", NULL, &c));
    T_OK(datom_transact(c, "[{:db/ident :k/v :db/valueType :db.type/long :db/cardinality :db.cardinality/many}]",
                        NULL));
    datom_conn_close(c);
    datom_store_free(plain);
    log_fault_check(dir, 1, 0, "created");

    /* the log cannot be read: the open fails, nothing is written */
    T_ERR(log_fault_transact(dir, "log_read=1", "[[:db/add \"x\" :k/v 1]]"), DATOM_EIO, "injected fault");
    log_fault_check(dir, 1, 0, "a failed read");
    /* the append fails before it reaches the log: an error, nothing applied */
    T_ERR(log_fault_transact(dir, "log_append=1", "[[:db/add \"x\" :k/v 1]]"), DATOM_EIO, "log_append");
    log_fault_check(dir, 1, 0, "a failed append");
    /* the append is applied and its answer lost: an error, yet the transaction is durable */
    T_ERR(log_fault_transact(dir, "log_append=1!", "[[:db/add \"x\" :k/v 2]]"), DATOM_EIO, "answer lost");
    log_fault_check(dir, 2, 1, "an append whose answer was lost");

    /* the same on one connection: the next transaction finds the log longer than it
     * knew, catches up (the lost one's datoms become visible) and commits after it */
    char url[600];
    snprintf(url, sizeof url, "fault:log_append=1!:%s", dir);
    datom_store *fs;
    T_OK(datom_store_open(&fs, url));
    T_OK(datom_conn_open(fs, "f", NULL, &c));
    T_ERR(datom_transact(c, "[[:db/add \"x\" :k/v 3]]", NULL), DATOM_EIO, "answer lost");
    T_OK(datom_transact(c, "[[:db/add \"x\" :k/v 4]]", NULL));
    datom_db *db = datom_conn_db(c);
    T_EQ_INT(datom_db_basis_t(db), 4);
    datom_db_free(db);
    datom_conn_close(c);
    datom_store_free(fs);
    log_fault_check(dir, 4, 3, "a lost answer, then a transaction on the same connection");

    /* a torn tail that cannot be cut: the transaction fails; the next one cuts it */
    char *log = malloc(strlen(dir) + 64);
    sprintf(log, "%s/.datom-internal/logs/datom%%2F.facts%%2Ff%%2Flog", dir);
    FILE *f = fopen(log, "ab");
    T_ASSERT(f != NULL);
    fputs("torn tail", f);
    fclose(f);
    T_ERR(log_fault_transact(dir, "log_truncate=1", "[[:db/add \"x\" :k/v 5]]"), DATOM_EIO, "log_truncate");
    log_fault_check(dir, 4, 3, "a torn tail left in place");
    T_OK(log_fault_transact(dir, "log_truncate=2", "[[:db/add \"x\" :k/v 5]]"));
    log_fault_check(dir, 5, 4, "a torn tail cut");
    free(log);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    T_EQ_INT(system(cmd), 0);
    free(dir);
}

int main(void)
{
    T_RUN(test_transact_and_report);
    T_RUN(test_time_and_filter);
    T_RUN(test_index_access);
    T_RUN(test_pull_entity_values);
    T_RUN(test_names_and_reopen);
    T_RUN(test_big_values_indexed);
    T_RUN(test_log_faults);
    datom_store_free(st);
    return t_done();
}
