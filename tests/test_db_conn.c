/*
 * test_db_conn.c: connections from operations (no EDN): create, transact,
 * read back, reopen from the log, index, reopen from the trees, the
 * portable commit, and the O(log n) puts of indexing one datom into a
 * database of 1,000,000.
 */
#include "db/internal.h"
#include "db/tx.h"
#include "t.h"

/* ---- building operations ---- */

typedef struct opbuf {
    dt_txop ops[64];
    size_t n;
    dt_blob *blobs[64];
    size_t nb;
} opbuf;

static dt_val s(opbuf *b, dt_vtype t, const char *text)
{
    dt_blob *bl = dt_blob_new(text, strlen(text));
    b->blobs[b->nb++] = bl;
    return dt_val_blob(t, bl);
}

static dt_eref tmp(const char *name) { return (dt_eref){.kind = DT_EREF_TEMPID, .tempid = name}; }
static dt_eref eid(uint64_t e) { return (dt_eref){.kind = DT_EREF_ID, .id = e}; }

static void add(opbuf *b, dt_eref e, uint32_t a, dt_val v)
{
    b->ops[b->n++] = (dt_txop){.op = DT_OP_ADD, .e = e, .a = a, .v = v};
}

static void add_ref(opbuf *b, dt_eref e, uint32_t a, dt_eref v)
{
    b->ops[b->n++] = (dt_txop){.op = DT_OP_ADD, .e = e, .a = a, .v_ref = true, .vref = v};
}

static int fill(dt_db *db, void *ctx, dt_txops *ops)
{
    opbuf *b = ctx;
    for (size_t i = 0; i < b->n; i++)
        *dt_txops_push(ops) = b->ops[i];
    return 0;
}

static void opbuf_free(opbuf *b)
{
    for (size_t i = 0; i < b->nb; i++)
        free(b->blobs[i]);
    b->n = b->nb = 0;
}

/* Installs :person/name (string, unique identity), :person/age (long),
 * :person/friend (ref many); returns their ids. */
static void install(dt_conn *c, uint32_t ids[3])
{
    opbuf b = {0};
    const char *names[] = {"person/name", "person/age", "person/friend"};
    dt_vtype types[] = {DT_STRING, DT_LONG, DT_REF};
    for (int i = 0; i < 3; i++) {
        dt_eref e = tmp(names[i]);
        add(&b, e, DT_A_IDENT, s(&b, DT_KEYWORD, names[i]));
        add(&b, e, DT_A_VALUE_TYPE, dt_val_ref(DT_E_TYPE0 + types[i]));
        add(&b, e, DT_A_CARDINALITY, dt_val_ref(i == 2 ? DT_E_CARD_MANY : DT_E_CARD_ONE));
    }
    add(&b, tmp("person/name"), DT_A_UNIQUE, dt_val_ref(DT_E_UNIQUE_IDENTITY));
    dt_tx_report *r;
    T_OK(dt_conn_transact_ops(c, fill, &b, &r));
    for (int i = 0; i < 3; i++) {
        uint64_t e = dt_tx_report_tempid(r, names[i]);
        T_EQ_INT(DT_EID_PART(e), DT_PART_DB);
        ids[i] = (uint32_t)e;
    }
    dt_tx_report_free(r);
    opbuf_free(&b);
    dt_db *db = dt_conn_db(c);
    const dt_attr *a = dt_db_attr_by_ident(db, "person/name");
    T_ASSERT(a && a->type == DT_STRING && a->unique == DT_UNIQUE_IDENTITY && !a->many);
    dt_db_unref(db);
}

static size_t count(dt_db *db, dt_order o, const dt_key *k)
{
    dt_cursor *c;
    T_OK(dt_cursor_open(db, o, k, k, 0, &c));
    const dt_datom *d;
    size_t n = 0;
    int rc;
    while ((rc = dt_cursor_next(c, &d)) == 1)
        n++;
    T_EQ_INT(rc, 0);
    dt_cursor_free(c);
    return n;
}

static void test_basics(void)
{
    datom_store *st;
    T_OK(datom_store_open(&st, "mem:basics"));
    dt_conn *c;
    T_OK(dt_conn_create(st, "people", NULL, &c));
    T_ERR(dt_conn_create(st, "people", NULL, &(dt_conn *){NULL}), DATOM_EEXISTS, "already exists");
    uint32_t id[3];
    install(c, id);
    opbuf b = {0};
    add(&b, tmp("ivan"), id[0], s(&b, DT_STRING, "Ivan"));
    add(&b, tmp("ivan"), id[1], dt_val_long(30));
    add(&b, tmp("petr"), id[0], s(&b, DT_STRING, "Petr"));
    add_ref(&b, tmp("ivan"), id[2], tmp("petr"));
    dt_tx_report *r;
    T_OK(dt_conn_transact_ops(c, fill, &b, &r));
    uint64_t ivan = dt_tx_report_tempid(r, "ivan"), petr = dt_tx_report_tempid(r, "petr");
    T_EQ_INT(ivan, DT_EID(DT_PART_USER, 1));
    T_EQ_INT(petr, DT_EID(DT_PART_USER, 2));
    T_EQ_INT(r->n_datoms, 5); /* 4 + txInstant */
    int64_t t = r->t;
    dt_tx_report_free(r);
    opbuf_free(&b);
    /* upsert: "x" with name Ivan is Ivan; age replaced (cardinality one) */
    add(&b, tmp("x"), id[0], s(&b, DT_STRING, "Ivan"));
    add(&b, tmp("x"), id[1], dt_val_long(31));
    T_OK(dt_conn_transact_ops(c, fill, &b, &r));
    T_EQ_INT(dt_tx_report_tempid(r, "x"), ivan);
    T_EQ_INT(r->n_datoms, 3); /* retract 30, add 31, txInstant */
    dt_tx_report_free(r);
    opbuf_free(&b);
    dt_db *db = dt_conn_db(c);
    dt_key k = {.n = 1, .e = ivan};
    T_EQ_INT(count(db, DT_EAVT, &k), 3);
    dt_key k2 = {.n = 2, .e = ivan, .a = id[1]};
    dt_cursor *cur;
    const dt_datom *d;
    T_OK(dt_cursor_open(db, DT_EAVT, &k2, &k2, 0, &cur));
    T_EQ_INT(dt_cursor_next(cur, &d), 1);
    T_EQ_INT(d->v.i, 31);
    dt_cursor_free(cur);
    /* as of the first transaction: 30 */
    dt_db *old;
    T_OK(dt_db_as_of(db, (dt_time){DT_TIME_T, t}, &old));
    T_OK(dt_cursor_open(old, DT_EAVT, &k2, &k2, 0, &cur));
    T_EQ_INT(dt_cursor_next(cur, &d), 1);
    T_EQ_INT(d->v.i, 30);
    dt_cursor_free(cur);
    dt_db_unref(old);
    /* history: 30 added, 30 retracted, 31 added */
    dt_db *h = dt_db_history(db);
    T_EQ_INT(count(h, DT_EAVT, &k2), 3);
    dt_db_unref(h);
    /* VAET: petr is referred to by ivan */
    dt_key kv = {.n = 1, .v = dt_val_ref(petr)};
    T_EQ_INT(count(db, DT_VAET, &kv), 1);
    dt_db_unref(db);
    /* reopen: the log replays */
    dt_conn_free(c);
    T_OK(dt_conn_open(st, "people", NULL, &c));
    db = dt_conn_db(c);
    T_EQ_INT(count(db, DT_EAVT, &k), 3);
    T_ASSERT(dt_db_attr_by_ident(db, "person/friend") != NULL);
    dt_db_unref(db);
    /* index, then reopen from the trees */
    T_OK(dt_conn_index(c));
    dt_conn_free(c);
    T_OK(dt_conn_open(st, "people", NULL, &c));
    db = dt_conn_db(c);
    T_EQ_INT(count(db, DT_EAVT, &k), 3);
    T_EQ_INT(dt_db_basis_t(db), t + 1);
    T_ASSERT(dt_db_attr_by_ident(db, "person/friend") != NULL);
    dt_db_unref(db);
    dt_strv names = DT_STRV_INIT;
    T_OK(dt_db_list(st, NULL, &names));
    T_EQ_INT(names.n, 1);
    T_EQ_STR(names.v[0], "people");
    dt_strv_free(&names);
    dt_conn_free(c);
    datom_store_free(st);
}

static void test_portable(void)
{
    datom_store *st;
    T_OK(datom_store_open(&st, "mem:portable"));
    dt_conn_opts o = {.no_append = true};
    dt_conn *c, *c2;
    T_OK(dt_conn_create(st, "p", &o, &c));
    uint32_t id[3];
    install(c, id);
    T_OK(dt_conn_open(st, "p", NULL, &c2));
    opbuf b = {0};
    add(&b, tmp("a"), id[0], s(&b, DT_STRING, "A"));
    dt_tx_report *r;
    T_OK(dt_conn_transact_ops(c, fill, &b, &r));
    dt_tx_report_free(r);
    opbuf_free(&b);
    /* c2 is behind: its commit loses, catches up, and upserts onto A */
    add(&b, tmp("b"), id[0], s(&b, DT_STRING, "A"));
    add(&b, tmp("b"), id[1], dt_val_long(5));
    T_OK(dt_conn_transact_ops(c2, fill, &b, &r));
    T_EQ_INT(dt_tx_report_tempid(r, "b"), DT_EID(DT_PART_USER, 1));
    dt_tx_report_free(r);
    opbuf_free(&b);
    dt_conn_stats stats;
    dt_conn_stats_get(c2, &stats);
    T_EQ_INT(stats.retries, 1);
    T_OK(dt_conn_sync(c));
    dt_db *db = dt_conn_db(c);
    dt_key k = {.n = 1, .e = DT_EID(DT_PART_USER, 1)};
    T_EQ_INT(count(db, DT_EAVT, &k), 2);
    dt_db_unref(db);
    dt_conn_free(c);
    dt_conn_free(c2);
    datom_store_free(st);
}

/* Indexing one datom into a database of 1,000,000 writes O(log n) segments. */
static int fill_many(dt_db *db, void *ctx, dt_txops *ops)
{
    uint32_t a = *(uint32_t *)ctx;
    for (uint64_t i = 0; i < 1000000; i++) {
        dt_txop *op = dt_txops_push(ops);
        op->op = DT_OP_ADD;
        op->e = (dt_eref){.kind = DT_EREF_TEMPID, .id = i};
        op->a = a;
        op->v = dt_val_long((int64_t)i);
    }
    ops->n_anon = 1000000;
    return 0;
}

static void test_index_one(void)
{
    datom_store *st;
    T_OK(datom_store_open(&st, "mem:big"));
    dt_conn_opts o = {.index_threshold = UINT64_MAX};
    dt_conn *c;
    T_OK(dt_conn_create(st, "big", &o, &c));
    uint32_t id[3];
    install(c, id);
    dt_tx_report *r;
    T_OK(dt_conn_transact_ops(c, fill_many, &id[1], &r));
    dt_tx_report_free(r);
    T_OK(dt_conn_index(c));
    dt_conn_stats s0, s1;
    dt_conn_stats_get(c, &s0);
    opbuf b = {0};
    add(&b, eid(DT_EID(DT_PART_USER, 500000)), id[1], dt_val_long(-1));
    T_OK(dt_conn_transact_ops(c, fill, &b, &r));
    dt_tx_report_free(r);
    T_OK(dt_conn_index(c));
    dt_conn_stats_get(c, &s1);
    uint64_t puts = s1.puts - s0.puts;
    fprintf(stderr, "  indexing one transaction into 1,000,000 datoms wrote %llu segments\n",
            (unsigned long long)puts);
    /* per tree a leaf or two and the path above; five trees */
    T_ASSERT(puts <= 5 * 4);
    dt_conn_free(c);
    /* a fresh connection reads it lazily */
    T_OK(dt_conn_open(st, "big", NULL, &c));
    dt_db *db = dt_conn_db(c);
    dt_key k = {.n = 2, .e = DT_EID(DT_PART_USER, 500000), .a = id[1]};
    dt_cursor *cur;
    const dt_datom *d;
    T_OK(dt_cursor_open(db, DT_EAVT, &k, &k, 0, &cur));
    T_EQ_INT(dt_cursor_next(cur, &d), 1);
    T_EQ_INT(d->v.i, -1);
    T_EQ_INT(dt_cursor_next(cur, &d), 0);
    dt_cursor_free(cur);
    dt_conn_stats_get(c, &s1);
    T_ASSERT(s1.cache_misses < 20);
    dt_key ka = {.n = 1, .a = id[1]};
    T_EQ_INT(dt_db_count(db, DT_AEVT, &ka, &ka, 0), 1000002); /* an upper bound: the retraction counts */
    dt_db_unref(db);
    dt_conn_free(c);
    opbuf_free(&b);
    datom_store_free(st);
}

int main(void)
{
    T_RUN(test_basics);
    T_RUN(test_portable);
    T_RUN(test_index_one);
    return t_done();
}
