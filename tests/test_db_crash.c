/*
 * test_db_crash.c: one writer, many readers, and crashes, on the file store:
 *  - 4 processes each run 200 :db/cas increments of one counter: it ends at
 *    exactly 800 and the log holds 800 increments in t order;
 *  - the same with the portable commit (objects and the root ref);
 *  - a writer killed with SIGKILL at 200+ instants (fixed seed) while it
 *    transacts and indexes: the database always opens, at a basis at or
 *    after the last transaction it acknowledged, and every transaction is
 *    there whole or not at all.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "db/internal.h"
#include "db/tx.h"
#include "t.h"

static char *tmp_dir(const char *tag)
{
    const char *base = getenv("TEST_TMP") ? getenv("TEST_TMP") : "/tmp";
    dt_fs_mkdirs(base, 0755);
    char *d = dt_sprintf("%s/db_crash_%s_%d", base, tag, (int)getpid());
    dt_fs_rmtree(d);
    dt_fs_mkdirs(d, 0755);
    return d;
}

/* ---- operations ---- */

typedef struct ops_ctx {
    dt_txop ops[300];
    size_t n;
} ops_ctx;

static int fill(dt_db *db, void *ctx, dt_txops *ops)
{
    ops_ctx *o = ctx;
    for (size_t i = 0; i < o->n; i++)
        *dt_txops_push(ops) = o->ops[i];
    return 0;
}

static dt_blob *kw_blob[3];
static const char *kw_text[3] = {"counter/n", "item/k", "item/part"};

/* Installs :counter/n (long), :item/k (long), :item/part (long, many) and
 * the counter entity; returns the counter's id. */
static uint64_t setup(dt_conn *c, uint32_t attrs[3])
{
    ops_ctx o = {0};
    for (int i = 0; i < 3; i++) {
        if (!kw_blob[i])
            kw_blob[i] = dt_blob_new(kw_text[i], strlen(kw_text[i]));
        dt_eref e = {.kind = DT_EREF_TEMPID, .tempid = kw_text[i]};
        o.ops[o.n++] = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_IDENT, .v = dt_val_blob(DT_KEYWORD, kw_blob[i])};
        o.ops[o.n++] = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_VALUE_TYPE, .v = dt_val_ref(DT_E_TYPE0 + DT_LONG)};
        o.ops[o.n++] = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_CARDINALITY,
                                 .v = dt_val_ref(i == 2 ? DT_E_CARD_MANY : DT_E_CARD_ONE)};
    }
    dt_tx_report *r;
    T_OK(dt_conn_transact_ops(c, fill, &o, &r));
    for (int i = 0; i < 3; i++)
        attrs[i] = (uint32_t)dt_tx_report_tempid(r, kw_text[i]);
    dt_tx_report_free(r);
    o.n = 0;
    o.ops[o.n++] = (dt_txop){.op = DT_OP_ADD, .e = {.kind = DT_EREF_TEMPID, .tempid = "c"}, .a = attrs[0], .v = dt_val_long(0)};
    T_OK(dt_conn_transact_ops(c, fill, &o, &r));
    uint64_t counter = dt_tx_report_tempid(r, "c");
    dt_tx_report_free(r);
    return counter;
}

static uint32_t attr_of(dt_db *db, int i) { return (uint32_t)dt_db_entid(db, kw_text[i]); }

static int64_t counter_value(dt_db *db, uint64_t e)
{
    dt_key k = {.n = 2, .e = e, .a = attr_of(db, 0)};
    dt_cursor *c;
    const dt_datom *d;
    int64_t v = -1;
    if (dt_cursor_open(db, DT_EAVT, &k, &k, 0, &c) == 0) {
        if (dt_cursor_next(c, &d) == 1)
            v = d->v.i;
        dt_cursor_free(c);
    }
    return v;
}

/* ---- 4 processes, 200 :db/cas each ---- */

static int incrementer(const char *dir, uint64_t counter, int times)
{
    datom_store *st;
    dt_conn *c;
    if (datom_store_open(&st, dir) || dt_conn_open(st, "counter", NULL, &c))
        return 1;
    for (int i = 0; i < times;) {
        dt_db *db = dt_conn_db(c);
        int64_t v = counter_value(db, counter);
        uint32_t a = attr_of(db, 0);
        dt_db_unref(db);
        ops_ctx o = {.n = 1};
        o.ops[0] = (dt_txop){.op = DT_OP_CAS, .e = {.kind = DT_EREF_ID, .id = counter}, .a = a,
                             .old = dt_val_long(v), .v = dt_val_long(v + 1)};
        dt_tx_report *r;
        int rc = dt_conn_transact_ops(c, fill, &o, &r);
        if (rc == 0) {
            dt_tx_report_free(r);
            i++;
        } else if (rc == DATOM_ECONFLICT) {
            datom_errclear(); /* the cas saw another's increment: look again */
            if (dt_conn_sync(c))
                return 1;
        } else {
            fprintf(stderr, "incrementer: %s\n", datom_errmsg());
            return 1;
        }
    }
    dt_conn_free(c);
    datom_store_free(st);
    return 0;
}

static void counter_run(bool portable)
{
    char *dir = tmp_dir(portable ? "cas_portable" : "cas");
    datom_store *st;
    T_OK(datom_store_open(&st, dir));
    dt_conn_opts o = {.no_append = portable, .index_threshold = 300};
    dt_conn *c;
    T_OK(dt_conn_create(st, "counter", &o, &c));
    uint32_t attrs[3];
    uint64_t counter = setup(c, attrs);
    int64_t t0 = dt_db_basis_t(c->db);
    enum { PROCS = 4, EACH = 200 };
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++)
        if ((pids[p] = fork()) == 0)
            _exit(incrementer(dir, counter, EACH));
    for (int p = 0; p < PROCS; p++) {
        int status;
        waitpid(pids[p], &status, 0);
        T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    T_OK(dt_conn_sync(c));
    dt_db *db = dt_conn_db(c);
    T_EQ_INT(counter_value(db, counter), PROCS * EACH);
    T_EQ_INT(dt_db_basis_t(db), t0 + PROCS * EACH);
    /* the log: 800 transactions in t order, each moving the counter by one */
    dt_cursor *cur;
    T_OK(dt_db_tx_range(db, t0 + 1, -1, &cur));
    const dt_datom *d;
    int64_t last_t = t0, txs = 0, expect = 1;
    int rc;
    while ((rc = dt_cursor_next(cur, &d)) == 1) {
        int64_t t = DT_T_OF_TX(d->tx);
        T_ASSERT(t >= last_t);
        if (t != last_t)
            txs++;
        last_t = t;
        if (d->a == attrs[0] && d->added) {
            T_EQ_INT(d->v.i, expect);
            expect++;
        }
    }
    T_EQ_INT(rc, 0);
    dt_cursor_free(cur);
    T_EQ_INT(txs, PROCS * EACH);
    T_EQ_INT(expect, PROCS * EACH + 1);
    dt_db_unref(db);
    dt_conn_free(c);
    /* a fresh process sees the same */
    T_OK(dt_conn_open(st, "counter", NULL, &c));
    db = dt_conn_db(c);
    T_EQ_INT(counter_value(db, counter), PROCS * EACH);
    dt_db_unref(db);
    dt_conn_free(c);
    datom_store_free(st);
    dt_fs_rmtree(dir);
    free(dir);
}

static void test_counter_append(void) { counter_run(false); }
static void test_counter_portable(void) { counter_run(true); }

/* ---- kill -9 ---- */

/* The writer: transactions of an item entity with k = its number and 20
 * parts, forever; after each it writes the acknowledged number to FD. */
static int writer(const char *dir, int fd)
{
    datom_store *st;
    dt_conn *c;
    dt_conn_opts opts = {.index_threshold = 200};
    if (datom_store_open(&st, dir) || dt_conn_open(st, "crash", &opts, &c)) {
        fprintf(stderr, "writer: %s\n", datom_errmsg());
        return 1;
    }
    for (;;) {
        dt_db *db = dt_conn_db(c);
        int64_t k = dt_db_basis_t(db);
        uint32_t ak = attr_of(db, 1), ap = attr_of(db, 2);
        dt_db_unref(db);
        ops_ctx o = {0};
        dt_eref e = {.kind = DT_EREF_TEMPID, .tempid = "i"};
        o.ops[o.n++] = (dt_txop){.op = DT_OP_ADD, .e = e, .a = ak, .v = dt_val_long(k)};
        for (int p = 0; p < 20; p++)
            o.ops[o.n++] = (dt_txop){.op = DT_OP_ADD, .e = e, .a = ap, .v = dt_val_long(k * 100 + p)};
        dt_tx_report *r;
        if (dt_conn_transact_ops(c, fill, &o, &r)) {
            fprintf(stderr, "writer: %s\n", datom_errmsg());
            return 1;
        }
        int64_t acked = r->t;
        dt_tx_report_free(r);
        if (write(fd, &acked, sizeof acked) != sizeof acked)
            return 1;
    }
}

/* Every item is whole: k and 20 parts; returns the number of items. */
static int64_t check_items(dt_db *db)
{
    uint32_t ak = attr_of(db, 1), ap = attr_of(db, 2);
    dt_key k = {.n = 1, .a = ak};
    dt_cursor *c;
    T_OK(dt_cursor_open(db, DT_AEVT, &k, &k, 0, &c));
    const dt_datom *d;
    int64_t items = 0;
    int rc;
    while ((rc = dt_cursor_next(c, &d)) == 1) {
        dt_key kp = {.n = 2, .e = d->e, .a = ap};
        int64_t kval = d->v.i;
        dt_cursor *pc;
        T_OK(dt_cursor_open(db, DT_EAVT, &kp, &kp, 0, &pc));
        const dt_datom *p;
        int parts = 0;
        while (dt_cursor_next(pc, &p) == 1) {
            T_EQ_INT(p->v.i, kval * 100 + parts);
            parts++;
        }
        dt_cursor_free(pc);
        T_EQ_INT(parts, 20);
        items++;
    }
    T_EQ_INT(rc, 0);
    dt_cursor_free(c);
    return items;
}

static void test_kill9(void)
{
    char *dir = tmp_dir("kill");
    datom_store *st;
    T_OK(datom_store_open(&st, dir));
    dt_conn *c;
    T_OK(dt_conn_create(st, "crash", NULL, &c));
    uint32_t attrs[3];
    setup(c, attrs);
    int64_t t0 = dt_db_basis_t(c->db);
    dt_conn_free(c);
    uint64_t seed = 42;
    int64_t acked = t0;
    int kills = getenv("DATOM_TEST_KILLS") ? atoi(getenv("DATOM_TEST_KILLS")) : 200;
    for (int k = 0; k < kills; k++) {
        int fds[2];
        T_ASSERT(pipe(fds) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            _exit(writer(dir, fds[1]));
        }
        close(fds[1]);
        /* a fixed-seed delay: 0 to 40 ms */
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        struct timespec ts = {0, (long)((seed >> 33) % 40000000)};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        int64_t t;
        while (read(fds[0], &t, sizeof t) == sizeof t)
            acked = t;
        close(fds[0]);
        T_ASSERT(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
        /* it opens, holds every acknowledged transaction, and each whole */
        T_OK(dt_conn_open(st, "crash", NULL, &c));
        dt_db *db = dt_conn_db(c);
        int64_t basis = dt_db_basis_t(db);
        T_ASSERT(basis >= acked);
        T_EQ_INT(check_items(db), basis - t0);
        dt_db_unref(db);
        dt_conn_free(c);
    }
    fprintf(stderr, "  %d kills; the last basis t %lld\n", kills, (long long)acked);
    T_ASSERT(acked > t0); /* the writer got somewhere */
    datom_store_free(st);
    dt_fs_rmtree(dir);
    free(dir);
}

/* ---- torn tails and damage, by hand ---- */

static void append_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "ab");
    T_ASSERT(f && fwrite(p, 1, n, f) == n);
    fclose(f);
}

static int64_t open_basis(datom_store *st, int *rc)
{
    dt_conn *c;
    *rc = dt_conn_open(st, "torn", NULL, &c);
    if (*rc)
        return -1;
    int64_t t = dt_db_basis_t(c->db);
    dt_conn_free(c);
    return t;
}

static void add_item(datom_store *st, int64_t k)
{
    dt_conn *c;
    T_OK(dt_conn_open(st, "torn", NULL, &c));
    ops_ctx o = {.n = 1};
    o.ops[0] = (dt_txop){.op = DT_OP_ADD, .e = {.kind = DT_EREF_TEMPID, .tempid = "i"}, .a = attr_of(c->db, 1),
                         .v = dt_val_long(k)};
    dt_tx_report *r;
    T_OK(dt_conn_transact_ops(c, fill, &o, &r));
    dt_tx_report_free(r);
    dt_conn_free(c);
}

static void test_torn_tail(void)
{
    char *dir = tmp_dir("torn");
    datom_store *st;
    T_OK(datom_store_open(&st, dir));
    dt_conn *c;
    T_OK(dt_conn_create(st, "torn", NULL, &c));
    uint32_t attrs[3];
    setup(c, attrs);
    dt_conn_free(c);
    add_item(st, 1);
    int rc;
    int64_t t = open_basis(st, &rc);
    char *log = dt_sprintf("%s/.datom-internal/logs/datom%%2F.facts%%2Ftorn%%2Flog", dir);
    T_ASSERT(dt_fs_exists(log));
    /* a record cut short: it opens at the old basis, and the next writer cuts it */
    uint8_t cut[20] = {100, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9};
    append_file(log, cut, sizeof cut);
    T_EQ_INT(open_basis(st, &rc), t);
    T_EQ_INT(rc, 0);
    add_item(st, 2);
    T_EQ_INT(open_basis(st, &rc), t + 1);
    /* zeros past the end (a size that reached the disk before the data) */
    uint8_t zeros[4096] = {0};
    append_file(log, zeros, sizeof zeros);
    T_EQ_INT(open_basis(st, &rc), t + 1);
    add_item(st, 3);
    T_EQ_INT(open_basis(st, &rc), t + 2);
    /* a damaged record with records after it: refused, never cut */
    dt_buf b = DT_BUF_INIT;
    T_OK(dt_fs_read_all(log, &b, 1 << 20));
    size_t size = b.len;
    b.data[size / 2] ^= 0x40;
    T_OK(dt_fs_write_atomic(log, b.data, b.len));
    T_EQ_INT(open_basis(st, &rc), -1);
    T_ERR(rc, DATOM_ECORRUPT, "damaged and records follow it");
    b.data[size / 2] ^= 0x40; /* repaired: all there again */
    T_OK(dt_fs_write_atomic(log, b.data, b.len));
    T_EQ_INT(open_basis(st, &rc), t + 2);
    dt_buf_free(&b);
    free(log);
    datom_store_free(st);
    dt_fs_rmtree(dir);
    free(dir);
}

int main(void)
{
    T_RUN(test_torn_tail);
    T_RUN(test_counter_append);
    T_RUN(test_counter_portable);
    T_RUN(test_kill9);
    for (int i = 0; i < 3; i++)
        free(kw_blob[i]);
    return t_done();
}
