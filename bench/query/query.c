/*
 * bench/query/query.c: datom's side of bench/query (docs/performance.md,
 * "Query"): the queries, rules and pulls of the DataScript benchmarks and
 * the math genealogy, end to end (the query's text read, planned, run, the
 * result built as EDN), by the quick protocol: 200 ms of warm-up, then 5
 * samples of at least 300 ms; the median and the fastest sample.
 *
 *   bench_query people             q1 ... qpred2 on db100k
 *   bench_query rules              rules-wide-*, rules-long-*
 *   bench_query pull               pull-one, pull-many, pull-wildcard on wide(4,5)
 *   bench_query math [SCALE]       genealogy Q1-Q3 (protocol), Q4 (one run)
 *   bench_query sqlite [SCALE]     the same four on SQLite (recursive CTE)
 *
 * Each prints "bench NAME MEDIAN_MS MIN_MS ROWS" lines and the process's
 * peak memory ("max_rss_kb N"); bench/query/run joins them with
 * Datascript's.
 */
#include <sqlite3.h>
#include <sys/resource.h>
#include <time.h>

#include "db/internal.h"
#include "db/pull.h"
#include "db/tx.h"
#include "gen.h"
#include "query/query.h"

/* CPU time, not wall time: the machine is shared (tests/interop's harness
 * measures Datascript the same way, with process.cpuUsage). */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "bench_query: %s: %s\n", what, datom_errmsg());
    exit(1);
}

/* ---- loading facts ---- */

typedef struct load {
    const facts *f;
    const char *const *attrs;
    uint32_t *ids; /* attribute ids */
    char **tempids;
    size_t ntemp;
} load;

typedef struct attr_def {
    const char *ident;
    dt_vtype type;
    bool many, unique;
} attr_def;

typedef struct schema_ctx {
    const attr_def *defs;
    size_t n;
    dt_blob **blobs;
} schema_ctx;

static int fill_schema(dt_db *db, void *ctx, dt_txops *ops)
{
    (void)db;
    schema_ctx *s = ctx;
    for (size_t i = 0; i < s->n; i++) {
        dt_eref e = {.kind = DT_EREF_TEMPID, .tempid = s->defs[i].ident};
        s->blobs[i] = dt_blob_new(s->defs[i].ident, strlen(s->defs[i].ident));
        *dt_txops_push(ops) = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_IDENT, .v = dt_val_blob(DT_KEYWORD, s->blobs[i])};
        *dt_txops_push(ops) = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_VALUE_TYPE, .v = dt_val_ref(DT_E_TYPE0 + s->defs[i].type)};
        *dt_txops_push(ops) = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_CARDINALITY,
                                        .v = dt_val_ref(s->defs[i].many ? DT_E_CARD_MANY : DT_E_CARD_ONE)};
        if (s->defs[i].unique)
            *dt_txops_push(ops) = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_UNIQUE, .v = dt_val_ref(DT_E_UNIQUE_IDENTITY)};
    }
    return 0;
}

static dt_eref eref(load *l, uint32_t tempid, uint64_t id)
{
    if (tempid) {
        if (tempid >= l->ntemp) {
            size_t n = l->ntemp ? l->ntemp : 1024;
            while (n <= tempid)
                n *= 2;
            l->tempids = realloc(l->tempids, n * sizeof *l->tempids);
            memset(l->tempids + l->ntemp, 0, (n - l->ntemp) * sizeof *l->tempids);
            l->ntemp = n;
        }
        if (!l->tempids[tempid]) {
            l->tempids[tempid] = malloc(12);
            snprintf(l->tempids[tempid], 12, "%u", tempid);
        }
        return (dt_eref){.kind = DT_EREF_TEMPID, .tempid = l->tempids[tempid]};
    }
    return (dt_eref){.kind = DT_EREF_ID, .id = DT_EID(DT_PART_USER, id)};
}

typedef struct blobs {
    dt_blob **v;
    size_t n, cap;
} blobs;

static dt_blob *intern_blob(blobs *b, const char *s)
{
    /* the facts share static strings: a blob per distinct pointer would do,
     * one per fact is simpler and the load is not timed */
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->v = realloc(b->v, b->cap * sizeof *b->v);
    }
    return b->v[b->n++] = dt_blob_new(s, strlen(s));
}

typedef struct data_ctx {
    load *l;
    blobs b;
} data_ctx;

static int fill_data(dt_db *db, void *ctx, dt_txops *ops)
{
    (void)db;
    data_ctx *d = ctx;
    load *l = d->l;
    for (size_t i = 0; i < l->f->n; i++) {
        const fact *f = &l->f->v[i];
        dt_txop op = {.op = DT_OP_ADD, .e = eref(l, f->tempid, f->id), .a = l->ids[f->attr]};
        switch (f->vkind) {
        case V_STR: op.v = dt_val_blob(DT_STRING, intern_blob(&d->b, f->str)); break;
        case V_KW: op.v = dt_val_blob(DT_KEYWORD, intern_blob(&d->b, f->str)); break;
        case V_LONG: op.v = dt_val_long(f->num); break;
        case V_REF_TEMP:
            op.v_ref = true;
            op.vref = eref(l, (uint32_t)f->num, 0);
            break;
        default:
            op.v_ref = true;
            op.vref = eref(l, 0, (uint64_t)f->num);
        }
        *dt_txops_push(ops) = op;
    }
    return 0;
}

/* A database of DEFS (attributes) and the facts F (one transaction). */
static dt_db *load_db(const char *name, const attr_def *defs, size_t ndefs, const facts *f)
{
    datom_store *st;
    char url[64];
    snprintf(url, sizeof url, "mem:bench-%s", name);
    if (datom_store_open(&st, url))
        die("store");
    dt_conn *c;
    dt_conn_opts o = {.index_threshold = UINT64_MAX};
    if (dt_conn_create(st, name, &o, &c))
        die("create");
    schema_ctx sc = {defs, ndefs, calloc(ndefs, sizeof(dt_blob *))};
    dt_tx_report *r;
    if (dt_conn_transact_ops(c, fill_schema, &sc, &r))
        die("schema");
    dt_tx_report_free(r);
    for (size_t i = 0; i < ndefs; i++)
        free(sc.blobs[i]);
    free(sc.blobs);
    load l = {.f = f};
    l.ids = calloc(ndefs, sizeof *l.ids);
    dt_db *db = dt_conn_db(c);
    for (size_t i = 0; i < ndefs; i++)
        l.ids[i] = dt_db_attr_by_ident(db, defs[i].ident)->id;
    dt_db_unref(db);
    data_ctx d = {.l = &l};
    double t0 = now_ms();
    if (dt_conn_transact_ops(c, fill_data, &d, &r))
        die("load");
    dt_tx_report_free(r);
    fprintf(stderr, "loaded %s: %zu facts in %.0f ms\n", name, f->n, now_ms() - t0);
    for (size_t i = 0; i < d.b.n; i++)
        free(d.b.v[i]);
    free(d.b.v);
    for (size_t i = 0; i < l.ntemp; i++)
        free(l.tempids[i]);
    free(l.tempids);
    free(l.ids);
    db = dt_conn_db(c);
    dt_conn_free(c); /* the value outlives its connection (not its store, which lives on) */
    return db;
}

/* ---- timing ---- */

typedef size_t (*bench_fn)(void *ctx);

static void measure(const char *name, bench_fn fn, void *ctx)
{
    const char *reps = getenv("BENCH_REPS"); /* a fixed count instead (for callgrind) */
    if (reps) {
        size_t rows = 0;
        for (int i = atoi(reps); i > 0; i--)
            rows = fn(ctx);
        printf("bench %s - - %zu\n", name, rows);
        return;
    }
    double t0 = now_ms();
    size_t rows = 0;
    do
        rows = fn(ctx);
    while (now_ms() - t0 < 200);
    double s[5];
    for (int k = 0; k < 5; k++) {
        int count = 0;
        t0 = now_ms();
        do {
            fn(ctx);
            count++;
        } while (now_ms() - t0 < 300);
        s[k] = (now_ms() - t0) / count;
    }
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (s[j] < s[i]) {
                double t = s[i];
                s[i] = s[j];
                s[j] = t;
            }
    printf("bench %s %.4f %.4f %zu\n", name, s[2], s[0], rows);
    fflush(stdout);
}

static void once(const char *name, bench_fn fn, void *ctx)
{
    double t0 = now_ms();
    size_t rows = fn(ctx);
    double t = now_ms() - t0;
    printf("bench %s %.4f %.4f %zu\n", name, t, t, rows);
    fflush(stdout);
}

typedef struct qctx {
    dt_db *db;
    const char *query;
    const char *input; /* an EDN input after the db, or NULL */
    const char *input2;
} qctx;

static size_t result_rows(const dt_edn_value *v)
{
    if (dt_edn_is_coll(v))
        return dt_edn_count(v);
    return v->kind != DT_EDN_NIL;
}

/* Q's inputs: the db, then its EDN inputs; how many. */
static size_t inputs(const qctx *q, dt_q_text_input in[3])
{
    size_t n = 0;
    in[n++] = (dt_q_text_input){.db = q->db};
    if (q->input)
        in[n++] = (dt_q_text_input){.edn = q->input, .len = strlen(q->input)};
    if (q->input2)
        in[n++] = (dt_q_text_input){.edn = q->input2, .len = strlen(q->input2)};
    return n;
}

static size_t run_query(void *p)
{
    qctx *q = p;
    dt_q_text_input in[3];
    size_t n = inputs(q, in);
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *out;
    dt_q_opts o = {.seed = 42};
    if (dt_q_text(q->query, strlen(q->query), in, n, &o, doc, &out, NULL))
        die(q->query);
    size_t rows = result_rows(out);
    dt_edn_doc_free(doc);
    return rows;
}

static void explain(qctx *q)
{
    if (!getenv("BENCH_EXPLAIN"))
        return;
    dt_q_text_input in[3];
    size_t n = inputs(q, in);
    dt_q_opts o = {.explain = true};
    char *plan = NULL;
    if (dt_q_text(q->query, strlen(q->query), in, n, &o, NULL, NULL, &plan))
        die(q->query);
    fprintf(stderr, "%s\n%s\n", q->query, plan);
    free(plan);
}

/* ---- the benchmarks ---- */

static const attr_def PEOPLE_DL[] = {{"name", DT_STRING, false, false},  {"last-name", DT_STRING, false, false},
                                     {"sex", DT_KEYWORD, false, false},  {"age", DT_LONG, false, false},
                                     {"salary", DT_LONG, false, false},  {"full-name", DT_STRING, false, false},
                                     {"alias", DT_STRING, true, false},  {"id", DT_LONG, false, true},
                                     {"follows", DT_REF, true, false}};

static void bench_people(void)
{
    facts f = {0};
    person *p = gen_people(42, 20000);
    people_facts(p, 20000, &f);
    free(p);
    dt_db *db = load_db("people", PEOPLE_DL, DT_ARRAY_LEN(PEOPLE_DL), &f);
    facts_free(&f);
    static const struct {
        const char *name, *query, *input;
    } qs[] = {
        {"q1", "[:find ?e :where [?e :name \"Ivan\"]]", NULL},
        {"q2", "[:find ?e ?a :where [?e :name \"Ivan\"] [?e :age ?a]]", NULL},
        {"q2-switch", "[:find ?e ?a :where [?e :age ?a] [?e :name \"Ivan\"]]", NULL},
        {"q3", "[:find ?e ?a :where [?e :name \"Ivan\"] [?e :age ?a] [?e :sex :male]]", NULL},
        {"q4", "[:find ?e ?l ?a :where [?e :name \"Ivan\"] [?e :last-name ?l] [?e :age ?a] [?e :sex :male]]", NULL},
        {"q5", "[:find ?e1 ?l ?a :where [?e :name \"Ivan\"] [?e :age ?a] [?e1 :age ?a] [?e1 :last-name ?l]]", NULL},
        {"qpred1", "[:find ?e ?s :where [?e :salary ?s] [(> ?s 50000)]]", NULL},
        {"qpred2", "[:find ?e ?s :in $ ?min_s :where [?e :salary ?s] [(> ?s ?min_s)]]", "50000"},
    };
    const char *only = getenv("BENCH_ONLY");
    for (size_t i = 0; i < DT_ARRAY_LEN(qs); i++) {
        if (only && strcmp(only, qs[i].name))
            continue;
        qctx q = {.db = db, .query = qs[i].query, .input = qs[i].input};
        explain(&q);
        measure(qs[i].name, run_query, &q);
    }
    dt_db_unref(db);
}

static const char *FOLLOWS_RULES = "[[(follows ?x ?y) [?x :follows ?y]] [(follows ?x ?y) [?x :follows ?t] (follows ?t ?y)]]";

static void bench_rules(void)
{
    static const struct {
        const char *name;
        bool wide;
        int depth, width;
    } sets[] = {{"rules-wide-3x3", true, 3, 3},   {"rules-wide-5x3", true, 5, 3},  {"rules-wide-7x3", true, 7, 3},
                {"rules-wide-4x6", true, 4, 6},   {"rules-long-10x3", false, 10, 3}, {"rules-long-30x3", false, 30, 3},
                {"rules-long-30x5", false, 30, 5}};
    for (size_t i = 0; i < DT_ARRAY_LEN(sets); i++) {
        facts f = {0};
        if (sets[i].wide)
            gen_wide(42, sets[i].depth, sets[i].width, &f);
        else
            gen_long(sets[i].depth, sets[i].width, &f);
        dt_db *db = load_db(sets[i].name, PEOPLE_DL, DT_ARRAY_LEN(PEOPLE_DL), &f);
        facts_free(&f);
        qctx q = {.db = db, .query = "[:find ?e ?e2 :in $ % :where (follows ?e ?e2)]", .input = FOLLOWS_RULES};
        explain(&q);
        measure(sets[i].name, run_query, &q);
        dt_db_unref(db);
    }
}

/* Pull: the pattern's text read, parsed against the db and run from the
 * tree's root, every call (as Datascript's pull reads its pattern string). */
typedef struct pctx {
    dt_db *db;
    const char *pattern;
    uint64_t root;
} pctx;

static size_t tree_nodes(const dt_edn_value *m)
{
    size_t n = 1;
    const dt_edn_value *f = dt_edn_get_kw(m, "follows");
    for (size_t i = 0; f && i < dt_edn_count(f); i++)
        n += tree_nodes(dt_edn_at(f, i));
    return n;
}

static size_t run_pull(void *p)
{
    pctx *q = p;
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *pat;
    dt_pull *pl;
    dt_edn_value out;
    if (dt_edn_read(doc, q->pattern, strlen(q->pattern), NULL, &pat, NULL) || dt_pull_parse(q->db, pat, &pl))
        die(q->pattern);
    if (dt_pull_run(q->db, pl, q->root, doc, &out))
        die(q->pattern);
    size_t n = tree_nodes(&out);
    dt_pull_free(pl);
    dt_edn_doc_free(doc);
    return n;
}

static void bench_pull(void)
{
    facts f = {0};
    gen_wide(42, 4, 5, &f);
    dt_db *db = load_db("pull", PEOPLE_DL, DT_ARRAY_LEN(PEOPLE_DL), &f);
    facts_free(&f);
    pctx q = {.db = db};
    if (dt_db_lookup(db, dt_db_attr_by_ident(db, "id")->id, dt_val_long(1), &q.root) || !q.root)
        die("the tree's root");
    static const struct {
        const char *name, *pattern;
    } ps[] = {{"pull-one", "[:name {:follows ...}]"},
              {"pull-many", "[:db/id :last-name :alias :sex :age :salary {:follows ...}]"},
              {"pull-wildcard", "[* {:follows ...}]"}};
    const char *only = getenv("BENCH_ONLY");
    for (size_t i = 0; i < DT_ARRAY_LEN(ps); i++) {
        if (only && strcmp(only, ps[i].name))
            continue;
        q.pattern = ps[i].pattern;
        measure(ps[i].name, run_pull, &q);
    }
    dt_db_unref(db);
}

static const attr_def MATH[] = {{"dissertation/cid", DT_REF, false, false},    {"person/name", DT_STRING, false, false},
                                {"dissertation/title", DT_STRING, false, false}, {"dissertation/univ", DT_STRING, false, false},
                                {"dissertation/country", DT_STRING, false, false}, {"dissertation/year", DT_LONG, false, false},
                                {"dissertation/area", DT_STRING, false, false}, {"person/advised", DT_REF, true, false}};

static const char *MATH_RULES_BASE = "[(author ?d ?c) [?d :dissertation/cid ?c]]"
                                     " [(adv ?x ?y) [?x :person/advised ?d] (author ?d ?y)]";

static const struct {
    const char *name, *query, *extra;
} MATH_QS[] = {
    {"math-Q1",
     "[:find [?n ...] :in $ % :where [?d :person/name \"David Scott Warren\"] (adv ?x ?d) (adv ?y ?x) [?y :person/name ?n]]",
     ""},
    {"math-Q2", "[:find [?n ...] :in $ % :where (adv ?x ?y) (univ ?x ?u) (univ ?y ?u) [?y :person/name ?n]]",
     " [(univ ?c ?u) [?d :dissertation/cid ?c] [?d :dissertation/univ ?u]]"},
    {"math-Q3",
     "[:find [?n ...] :in $ % :where (adv ?x ?y) (area ?x ?a1) (area ?y ?a2) [(!= ?a1 ?a2)] [?y :person/name ?n]]",
     " [(area ?c ?a) [?d :dissertation/cid ?c] [?d :dissertation/area ?a]]"},
    {"math-Q4", "[:find [?n ...] :in $ % :where [?x :person/name \"David Scott Warren\"] (anc ?y ?x) [?y :person/name ?n]]",
     " [(anc ?x ?y) (adv ?x ?y)] [(anc ?x ?y) (adv ?x ?z) (anc ?z ?y)]"},
};

static void bench_math(double scale)
{
    facts f = {0};
    uint64_t david;
    gen_math(42, scale, &f, &david);
    fprintf(stderr, "math: %zu datoms, David = %llu\n", f.n, (unsigned long long)david);
    dt_db *db = load_db("math", MATH, DT_ARRAY_LEN(MATH), &f);
    facts_free(&f);
    for (size_t i = 0; i < DT_ARRAY_LEN(MATH_QS); i++) {
        char rules[1024];
        snprintf(rules, sizeof rules, "[%s%s]", MATH_RULES_BASE, MATH_QS[i].extra);
        qctx q = {.db = db, .query = MATH_QS[i].query, .input = rules};
        explain(&q);
        if (i == 3)
            once(MATH_QS[i].name, run_query, &q);
        else
            measure(MATH_QS[i].name, run_query, &q);
    }
    dt_db_unref(db);
}

/* ---- SQLite: the genealogy as tables, the queries as (recursive) SQL ---- */

static void sql_exec(sqlite3 *s, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(s, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s: %s\n", sql, err);
        exit(1);
    }
}

typedef struct sqctx {
    sqlite3 *db;
    sqlite3_stmt *stmt;
} sqctx;

static size_t run_sql(void *p)
{
    sqctx *q = p;
    size_t rows = 0;
    while (sqlite3_step(q->stmt) == SQLITE_ROW)
        rows++;
    sqlite3_reset(q->stmt);
    return rows;
}

static void bench_sqlite(double scale)
{
    facts f = {0};
    uint64_t david;
    gen_math(42, scale, &f, &david);
    sqlite3 *s;
    sqlite3_open(":memory:", &s);
    sql_exec(s, "CREATE TABLE cid(did INTEGER, person INTEGER); CREATE TABLE name(person INTEGER, name TEXT);"
                "CREATE TABLE univ(did INTEGER, univ TEXT); CREATE TABLE area(did INTEGER, area TEXT);"
                "CREATE TABLE advised(advisor INTEGER, did INTEGER); BEGIN");
    static const char *ins[N_MATH_ATTRS] = {"INSERT INTO cid VALUES(?,?)", "INSERT INTO name VALUES(?,?)", NULL,
                                            "INSERT INTO univ VALUES(?,?)", NULL, NULL,
                                            "INSERT INTO area VALUES(?,?)", "INSERT INTO advised VALUES(?,?)"};
    sqlite3_stmt *st[N_MATH_ATTRS] = {0};
    for (int a = 0; a < N_MATH_ATTRS; a++)
        if (ins[a])
            sqlite3_prepare_v2(s, ins[a], -1, &st[a], NULL);
    for (size_t i = 0; i < f.n; i++) {
        const fact *x = &f.v[i];
        if (!st[x->attr])
            continue;
        sqlite3_bind_int64(st[x->attr], 1, (sqlite3_int64)x->id);
        if (x->vkind == V_STR)
            sqlite3_bind_text(st[x->attr], 2, x->str, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st[x->attr], 2, x->num);
        sqlite3_step(st[x->attr]);
        sqlite3_reset(st[x->attr]);
    }
    for (int a = 0; a < N_MATH_ATTRS; a++)
        sqlite3_finalize(st[a]);
    sql_exec(s, "COMMIT; CREATE INDEX cid_did ON cid(did); CREATE INDEX cid_person ON cid(person);"
                "CREATE INDEX name_person ON name(person); CREATE INDEX name_name ON name(name);"
                "CREATE INDEX univ_did ON univ(did); CREATE INDEX area_did ON area(did);"
                "CREATE INDEX adv_did ON advised(did); CREATE INDEX adv_advisor ON advised(advisor); ANALYZE");
    facts_free(&f);
    /* adv(x, y): x advised y, as a view */
    sql_exec(s, "CREATE VIEW adv AS SELECT a.advisor AS x, c.person AS y FROM advised a JOIN cid c ON c.did = a.did;"
                "CREATE VIEW puniv AS SELECT c.person AS p, u.univ AS u FROM cid c JOIN univ u ON u.did = c.did;"
                "CREATE VIEW parea AS SELECT c.person AS p, a.area AS a FROM cid c JOIN area a ON a.did = c.did");
    static const char *sql[4] = {
        "SELECT DISTINCT n.name FROM name d JOIN adv a1 ON a1.y = d.person JOIN adv a2 ON a2.y = a1.x "
        "JOIN name n ON n.person = a2.x WHERE d.name = 'David Scott Warren'",
        "SELECT DISTINCT n.name FROM adv a JOIN puniv ux ON ux.p = a.x JOIN puniv uy ON uy.p = a.y AND uy.u = ux.u "
        "JOIN name n ON n.person = a.y",
        "SELECT DISTINCT n.name FROM adv a JOIN parea ax ON ax.p = a.x JOIN parea ay ON ay.p = a.y AND ay.a <> ax.a "
        "JOIN name n ON n.person = a.y",
        "WITH RECURSIVE anc(p) AS (SELECT a.x FROM adv a JOIN name d ON d.person = a.y "
        "WHERE d.name = 'David Scott Warren' UNION SELECT a.x FROM adv a JOIN anc ON a.y = anc.p) "
        "SELECT DISTINCT n.name FROM anc JOIN name n ON n.person = anc.p"};
    for (int i = 0; i < 4; i++) {
        sqctx q = {.db = s};
        if (sqlite3_prepare_v2(s, sql[i], -1, &q.stmt, NULL) != SQLITE_OK) {
            fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(s));
            exit(1);
        }
        char name[32];
        snprintf(name, sizeof name, "math-Q%d", i + 1);
        if (i == 3)
            once(name, run_sql, &q);
        else
            measure(name, run_sql, &q);
        sqlite3_finalize(q.stmt);
    }
    sqlite3_close(s);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_query people|rules|pull|math [SCALE]|sqlite [SCALE]\n");
        return 2;
    }
    double scale = argc > 2 ? atof(argv[2]) : 1.0;
    if (!strcmp(argv[1], "people"))
        bench_people();
    else if (!strcmp(argv[1], "rules"))
        bench_rules();
    else if (!strcmp(argv[1], "pull"))
        bench_pull();
    else if (!strcmp(argv[1], "math"))
        bench_math(scale);
    else if (!strcmp(argv[1], "sqlite"))
        bench_sqlite(scale);
    else
        return 2;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("max_rss_kb %ld\n", ru.ru_maxrss);
    return 0;
}
