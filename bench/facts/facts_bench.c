/*
 * facts_bench.c: the write benchmarks of the fact database (bench/facts/run
 * sets them beside npm datascript 1.8.1 running the same work): init, add-1,
 * add-5, add-all, retract-5 on the people data set, and durable single-datom
 * transactions beside SQLite in WAL mode with synchronous=FULL.
 *
 *   bench_facts_bench [--store DIR] [--runs N] [BENCH...]     (default: all but durable)
 *   bench_facts_bench durable DIR COUNT                        datom and SQLite, COUNT each
 *
 * Protocol (docs/performance.md, "Facts"): tx-data is built before timing,
 * as EDN text (the library's normal input form; parsing is timed); each
 * bench runs once untimed, then RUNS times; the median and the minimum are
 * printed, one line per bench: "NAME median_ms=M min_ms=m datoms=D
 * bytes_per_datom=B maxrss_kb=K". Without --store every run uses a fresh
 * in-memory store (mem:); with it, a fresh database in DIR (durable).
 */
#include <sqlite3.h>
#include <sys/resource.h>
#include <time.h>

#include "db/edn_db.h"
#include "db/tx.h"
#include "../bench.h"
#include "people.h"

static int N_PEOPLE = 20000; /* --people N: fewer, for profiling */

static const char schema[] =
    "[{:db/ident :name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/index true}"
    " {:db/ident :last-name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}"
    " {:db/ident :sex :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}"
    " {:db/ident :age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}"
    " {:db/ident :salary :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/index true}"
    " {:db/ident :follows :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]";

static person *people;
static const char *store_dir;
static bool from_values; /* --values: tx-data read before timing, given as EDN values */
static int runs = 5;
static int n_db;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the process (user + system): steadier than wall time on a
 * shared machine; both are reported. */
static double cpu_ms(void) { return bench_cpu_seconds() * 1e3; }

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "facts_bench: %s: %s\n", what, datom_errmsg());
    exit(1);
}

/* ---- tx-data, built before timing ---- */

typedef struct txlist {
    char **v;
    size_t n;
    dt_edn_doc *doc;            /* --values: the tx-data read, untimed */
    const dt_edn_value **vals;
} txlist;

static void person_map(dt_buf *b, const person *p)
{
    dt_buf_printf(b, "{:db/id \"%d\" :name \"%s\" :last-name \"%s\" :sex :%s :age %d :salary %d}", p->id, p->name,
                  p->last, p->sex, p->age, p->salary);
}

static txlist add1_txs(void)
{
    txlist l = {.v = malloc(5 * N_PEOPLE * sizeof(char *))};
    for (int i = 0; i < N_PEOPLE; i++) {
        const person *p = &people[i];
        l.v[l.n++] = dt_sprintf("[[:db/add \"%d\" :name \"%s\"]]", p->id, p->name);
        l.v[l.n++] = dt_sprintf("[[:db/add \"%d\" :last-name \"%s\"]]", p->id, p->last);
        l.v[l.n++] = dt_sprintf("[[:db/add \"%d\" :sex :%s]]", p->id, p->sex);
        l.v[l.n++] = dt_sprintf("[[:db/add \"%d\" :age %d]]", p->id, p->age);
        l.v[l.n++] = dt_sprintf("[[:db/add \"%d\" :salary %d]]", p->id, p->salary);
    }
    return l;
}

static txlist add5_txs(void)
{
    txlist l = {.v = malloc(N_PEOPLE * sizeof(char *))};
    for (int i = 0; i < N_PEOPLE; i++) {
        dt_buf b = DT_BUF_INIT;
        dt_buf_putc(&b, '[');
        person_map(&b, &people[i]);
        dt_buf_putc(&b, ']');
        l.v[l.n++] = dt_buf_detach(&b);
    }
    return l;
}

static txlist addall_txs(void)
{
    dt_buf b = DT_BUF_INIT;
    dt_buf_putc(&b, '[');
    for (int i = 0; i < N_PEOPLE; i++)
        person_map(&b, &people[i]);
    dt_buf_putc(&b, ']');
    txlist l = {.v = malloc(sizeof(char *)), .n = 1};
    l.v[0] = dt_buf_detach(&b);
    return l;
}

static void txlist_free(txlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    dt_edn_doc_free(l->doc);
    free(l->vals);
}

/* ---- a fresh database ---- */

typedef struct fresh {
    datom_store *st;
    dt_conn *c;
} fresh;

static fresh fresh_db(void)
{
    fresh f;
    char name[32];
    snprintf(name, sizeof name, "bench%d", ++n_db);
    if (datom_store_open(&f.st, store_dir ? store_dir : "mem:"))
        die("store");
    dt_conn_opts o = {.index_threshold = UINT64_MAX};
    if (dt_conn_create(f.st, name, &o, &f.c))
        die("create");
    dt_tx_report *r;
    if (dt_conn_transact(f.c, schema, strlen(schema), &r))
        die("schema");
    dt_tx_report_free(r);
    return f;
}

static void fresh_free(fresh *f)
{
    dt_conn_free(f->c);
    datom_store_free(f->st);
}

/* Transacts every tx-data of L; the reports are not asked for (Datascript's
 * db-with, which the JavaScript side times, makes none either). With
 * --values the text is read into EDN values first, untimed (as the
 * JavaScript side builds its arrays before timing). */
static void transact_all(dt_conn *c, txlist *l)
{
    if (from_values && !l->doc) {
        l->doc = dt_edn_doc_new();
        l->vals = malloc(l->n * sizeof *l->vals);
        for (size_t i = 0; i < l->n; i++)
            if (dt_edn_read(l->doc, l->v[i], strlen(l->v[i]), NULL, &l->vals[i], NULL))
                die("read tx-data");
    }
    for (size_t i = 0; i < l->n; i++)
        if (from_values ? dt_conn_transact_edn(c, l->vals[i], NULL) : dt_conn_transact(c, l->v[i], strlen(l->v[i]), NULL))
            die("transact");
}

/* ---- runs ---- */

typedef struct result {
    double ms[16], cpu[16];
    int n;
    uint64_t datoms;
    double bytes_per_datom;
} result;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, result *r)
{
    qsort(r->ms, (size_t)r->n, sizeof *r->ms, cmp_double);
    qsort(r->cpu, (size_t)r->n, sizeof *r->cpu, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s median_ms=%.1f min_ms=%.1f cpu_median_ms=%.1f cpu_min_ms=%.1f datoms=%llu bytes_per_datom=%.1f "
           "maxrss_kb=%ld\n", name, r->ms[r->n / 2], r->ms[0], r->cpu[r->n / 2], r->cpu[0],
           (unsigned long long)r->datoms, r->bytes_per_datom, ru.ru_maxrss);
    fflush(stdout);
}

static void stats_of(dt_conn *c, result *r)
{
    dt_conn_stats s;
    dt_conn_stats_get(c, &s);
    r->datoms = s.novelty_datoms;
    r->bytes_per_datom = s.novelty_datoms ? (double)s.novelty_bytes / (double)s.novelty_datoms : 0;
}

static void bench_txs(const char *name, txlist (*make)(void))
{
    txlist l = make(); /* (with --values, the untimed first run reads them) */
    result r = {0};
    for (int i = -1; i < runs; i++) {
        fresh f = fresh_db();
        double t0 = now_ms(), c0 = cpu_ms();
        transact_all(f.c, &l);
        double t1 = now_ms(), c1 = cpu_ms();
        if (i >= 0) {
            r.cpu[r.n] = c1 - c0;
            r.ms[r.n++] = t1 - t0;
        }
        stats_of(f.c, &r);
        fresh_free(&f);
    }
    report(name, &r);
    txlist_free(&l);
}

static void bench_init(void)
{
    /* the datom list, unsorted, built before timing: e = the tempid's number */
    fresh f = fresh_db();
    dt_db *db = dt_conn_db(f.c);
    uint32_t a[5];
    const char *attrs[5] = {"name", "last-name", "sex", "age", "salary"};
    for (int i = 0; i < 5; i++)
        a[i] = (uint32_t)dt_db_entid(db, attrs[i]);
    dt_datom *d = malloc(5 * N_PEOPLE * sizeof *d);
    dt_blob *blobs[16];
    int nb = 0;
    const char *texts[16] = {"Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis",
                             "Ivanov", "Petrov", "Sidorov", "Kovalev", "Kuznetsov", "Voronoi", "male", "female"};
    for (; nb < 16; nb++)
        blobs[nb] = dt_blob_new(texts[nb], strlen(texts[nb]));
    size_t n = 0;
    for (int i = 0; i < N_PEOPLE; i++) {
        const person *p = &people[i];
        uint64_t e = DT_EID(DT_PART_USER, (uint64_t)p->id);
        const char *vals[3] = {p->name, p->last, p->sex};
        for (int k = 0; k < 3; k++)
            for (int b = 0; b < 16; b++)
                if (!strcmp(texts[b], vals[k]))
                    d[n++] = (dt_datom){.e = e, .a = a[k], .v = dt_val_blob(k == 2 ? DT_KEYWORD : DT_STRING, blobs[b])};
        d[n++] = (dt_datom){.e = e, .a = a[3], .v = dt_val_long(p->age)};
        d[n++] = (dt_datom){.e = e, .a = a[4], .v = dt_val_long(p->salary)};
    }
    result r = {0};
    for (int i = -1; i < runs; i++) {
        dt_db *out;
        double t0 = now_ms(), c0 = cpu_ms();
        if (dt_db_init(db, d, n, &out))
            die("init");
        double t1 = now_ms(), c1 = cpu_ms();
        if (i >= 0) {
            r.cpu[r.n] = c1 - c0;
            r.ms[r.n++] = t1 - t0;
        }
        r.datoms = dt_db_count(out, DT_EAVT, NULL, NULL, 0);
        dt_db_unref(out);
    }
    report("init", &r);
    for (int b = 0; b < nb; b++)
        free(blobs[b]);
    free(d);
    dt_db_unref(db);
    fresh_free(&f);
}

static void bench_retract5(void)
{
    txlist all = addall_txs();
    /* add-all gives the person at shuffled position p the user entity p + 1 */
    int *order = people_retract_order(N_PEOPLE, 42);
    txlist l = {.v = malloc(N_PEOPLE * sizeof(char *))};
    for (int k = 0; k < N_PEOPLE; k++)
        l.v[l.n++] = dt_sprintf("[[:db/retractEntity %llu]]", (unsigned long long)DT_EID(DT_PART_USER, order[k]));
    result r = {0};
    for (int i = -1; i < runs; i++) {
        fresh f = fresh_db();
        transact_all(f.c, &all); /* db100k, untimed */
        double t0 = now_ms(), c0 = cpu_ms();
        transact_all(f.c, &l);
        double t1 = now_ms(), c1 = cpu_ms();
        if (i >= 0) {
            r.cpu[r.n] = c1 - c0;
            r.ms[r.n++] = t1 - t0;
        }
        dt_key k = {.n = 1, .a = (uint32_t)dt_db_entid(f.c->db, "name")};
        dt_cursor *c;
        const dt_datom *d;
        if (dt_cursor_open(f.c->db, DT_AEVT, &k, &k, 0, &c) || dt_cursor_next(c, &d) != 0)
            die("retract-5: a person is left");
        dt_cursor_free(c);
        stats_of(f.c, &r);
        fresh_free(&f);
    }
    report("retract-5", &r);
    txlist_free(&l);
    txlist_free(&all);
    free(order);
}

/* ---- durable: datom and SQLite, one fsync'd single-datom transaction each ---- */

static double durable_datom(const char *dir, int count)
{
    datom_store *st;
    dt_conn *c;
    if (datom_store_open(&st, dir) || dt_conn_create(st, "durable", NULL, &c))
        die("durable");
    dt_tx_report *r;
    if (dt_conn_transact(c, schema, strlen(schema), &r))
        die("schema");
    dt_tx_report_free(r);
    double t0 = now_ms();
    for (int i = 0; i < count; i++) {
        char tx[96];
        const person *p = &people[i % N_PEOPLE];
        int len = snprintf(tx, sizeof tx, "[[:db/add \"%d\" :name \"%s\"]]", p->id, p->name);
        if (dt_conn_transact(c, tx, (size_t)len, &r))
            die("durable transact");
        dt_tx_report_free(r);
    }
    double ms = now_ms() - t0;
    dt_conn_free(c);
    datom_store_free(st);
    return ms;
}

static double durable_sqlite(const char *dir, int count)
{
    char *path = dt_sprintf("%s/sqlite.db", dir);
    sqlite3 *db;
    sqlite3_stmt *ins;
    if (sqlite3_open(path, &db) ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         "CREATE TABLE datoms(e INTEGER, a INTEGER, v TEXT, tx INTEGER)", NULL, NULL, NULL) ||
        sqlite3_prepare_v2(db, "INSERT INTO datoms VALUES (?, ?, ?, ?)", -1, &ins, NULL)) {
        fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    double t0 = now_ms();
    for (int i = 0; i < count; i++) {
        const person *p = &people[i % N_PEOPLE];
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        sqlite3_bind_int64(ins, 1, p->id);
        sqlite3_bind_int64(ins, 2, 100);
        sqlite3_bind_text(ins, 3, p->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, i);
        if (sqlite3_step(ins) != SQLITE_DONE || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) {
            fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        sqlite3_reset(ins);
    }
    double ms = now_ms() - t0;
    sqlite3_finalize(ins);
    sqlite3_close(db);
    free(path);
    return ms;
}

static int durable(const char *dir, int count)
{
    double d = durable_datom(dir, count), s = durable_sqlite(dir, count);
    printf("durable count=%d datom_ms=%.1f datom_tx_per_s=%.0f sqlite_ms=%.1f sqlite_tx_per_s=%.0f ratio=%.2f\n", count,
           d, count / d * 1e3, s, count / s * 1e3, s / d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "durable")) {
        people = people_make(N_PEOPLE, 42);
        return durable(argv[2], atoi(argv[3]));
    }
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--store") && i + 1 < argc)
            store_dir = argv[++i];
        else if (!strcmp(argv[i], "--values"))
            from_values = true;
        else if (!strcmp(argv[i], "--people") && i + 1 < argc)
            N_PEOPLE = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 1;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            int r = atoi(argv[++i]); /* (DT_MIN and DT_MAX are macros) */
            runs = DT_MAX(1, DT_MIN(15, r));
        }
        else {
            fprintf(stderr, "usage: bench_facts_bench [--store DIR] [--runs N] [init add-1 add-5 add-all retract-5]\n");
            return 2;
        }
    }
    people = people_make(N_PEOPLE, 42);
    people_check(people, N_PEOPLE);
    bool all = i == argc;
    for (int k = all ? 0 : i; all ? k < 5 : k < argc; k++) {
        static const char *const names[] = {"init", "add-1", "add-5", "add-all", "retract-5"};
        const char *b = all ? names[k] : argv[k];
        if (!strcmp(b, "init"))
            bench_init();
        else if (!strcmp(b, "add-1"))
            bench_txs("add-1", add1_txs);
        else if (!strcmp(b, "add-5"))
            bench_txs("add-5", add5_txs);
        else if (!strcmp(b, "add-all"))
            bench_txs("add-all", addall_txs);
        else if (!strcmp(b, "retract-5"))
            bench_retract5();
        else {
            fprintf(stderr, "facts_bench: unknown bench %s\n", b);
            return 2;
        }
    }
    free(people);
    return 0;
}
