/*
 * db.c: `datom db ...`, the fact database from the command line (docs/cli.md,
 * "datom db"): create, list, transact, pull, datoms, log, info (q is
 * db_query.c's, through db_cli.h). EDN in, EDN
 * out (--json: JSON, keywords as ":ns/name" strings). The store is --store
 * (with --prefix for its namespace) or the project's, under the project's
 * namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/db_cli.h"
#include "db/pull.h"
#include "project/config.h"
#include "project/project.h"

static const char db_usage[] =
    "usage: datom [--store URL] db SUBCOMMAND [ARGS]\n"
    "\n"
    "The fact database: Datomic's model (datoms, transactions, time, pull) in the\n"
    "project's store, or the one named by --store.\n"
    "\n"
    "Subcommands:\n"
    "  create NAME                      make a database\n"
    "  list                             the databases of the store\n"
    "  transact NAME [-f FILE | - | TX] transact tx-data (one EDN vector); prints the report\n"
    "  pull NAME PATTERN ENTITY         pull a pattern from an entity (id, ident or lookup ref)\n"
    "  q NAME QUERY [INPUT...]          a Datalog query (--rules FILE, --explain)\n"
    "  datoms NAME INDEX [COMPONENT...] datoms of an index (eavt aevt avet vaet) under a prefix\n"
    "  log NAME [--from T] [--to T]     the transactions, t order\n"
    "  info NAME                        basis, counts, attributes, where it lives\n"
    "\n"
    "Reading subcommands take --as-of T, --since T (a t, a transaction id, or an\n"
    "instant: 2026-01-31 or 2026-01-31T12:00:00Z) and (datoms) --history. --json\n"
    "prints JSON. `datom db SUBCOMMAND --help` explains each.\n";

/* ---- shared ---- */

static int parse_opts(const char *verb, int argc, char **argv, dbopts *o, const char *allowed)
{
    static const struct option opts[] = {
        {"as-of", required_argument, NULL, 'a'}, {"since", required_argument, NULL, 's'},
        {"history", no_argument, NULL, 'H'},     {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},    {"json", no_argument, NULL, 'j'},
        {"file", required_argument, NULL, 'f'},  {"prefix", required_argument, NULL, 'p'},
        {"limit", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->json = cli.json;
    o->limit = -1;
    int c;
    while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
        if (c == '?' || (c != 'j' && c != 'p' && !strchr(allowed, c)))
            return cli_usage_error(verb, "unknown option for this subcommand");
        switch (c) {
        case 'a': o->as_of = optarg; break;
        case 's': o->since = optarg; break;
        case 'H': o->history = true; break;
        case 'F': o->from = optarg; break;
        case 'T': o->to = optarg; break;
        case 'j': o->json = true; break;
        case 'f': o->file = optarg; break;
        case 'p': o->prefix = optarg; break;
        case 'l': o->limit = strtol(optarg, NULL, 10); break;
        default: break;
        }
    }
    return 0;
}

/* The namespace: --prefix, else the project's (when its store is used). */
static char *namespace_of(const dbopts *o)
{
    const char *prefix = o->prefix;
    dt_project_config cfg = {0};
    char *root = NULL;
    bool have_cfg = false;
    if (!prefix && !cli.store_url && dt_project_find_root(".", &root) == 0) {
        char *yaml = dt_path_join(root, DT_CONFIG_PATH);
        have_cfg = dt_config_read(yaml, &cfg) == 0;
        free(yaml);
        if (have_cfg)
            prefix = cfg.storage_prefix;
    }
    datom_errclear();
    char *ns = prefix && *prefix ? dt_sprintf("%s/datom/", prefix) : dt_strdup("datom/");
    if (have_cfg)
        dt_config_free(&cfg);
    free(root);
    return ns;
}

/* FLAGS: DATOM_STORE_READONLY for the verbs that only read (a read-only
 * role can run them, and they change nothing), 0 for transact. */
static int open_conn(const char *name, const dbopts *o, unsigned flags, datom_store **st, dt_conn **c)
{
    *c = NULL;
    int rc = cli_open_store(st, flags);
    if (rc)
        return rc;
    char *ns = namespace_of(o);
    dt_conn_opts co = {.ns = ns};
    rc = dt_conn_open(*st, name, &co, c);
    free(ns);
    return rc;
}

/* T: a t, a transaction id, or an instant (an ISO date and time, or #inst "..."). */
static int parse_time(const char *text, dt_time *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (!errno && *text && !*end) {
        *out = (dt_time){DT_EID_PART((uint64_t)n) == DT_PART_TX ? DT_TIME_TX : DT_TIME_T, n};
        return 0;
    }
    char *edn = text[0] == '#' ? dt_strdup(text) : dt_sprintf("#inst \"%s\"", text);
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *v;
    int rc = dt_edn_read(doc, edn, strlen(edn), NULL, &v, NULL);
    if (rc == 0 && v->kind == DT_EDN_INST)
        *out = (dt_time){DT_TIME_INSTANT, v->u.sec * 1000 + (int64_t)v->len / 1000000};
    else
        rc = dt_error(DATOM_EINVAL, "%s: not a t, a transaction id or an instant", text);
    dt_edn_doc_free(doc);
    free(edn);
    return rc;
}

/* The db value the reading options ask for. */
static int view(dt_conn *c, const dbopts *o, dt_db **out)
{
    dt_db *db = dt_conn_db(c), *next;
    dt_time t;
    int rc = 0;
    if (o->as_of && (rc = parse_time(o->as_of, &t)) == 0 && (rc = dt_db_as_of(db, t, &next)) == 0) {
        dt_db_unref(db);
        db = next;
    }
    if (rc == 0 && o->since && (rc = parse_time(o->since, &t)) == 0 && (rc = dt_db_since(db, t, &next)) == 0) {
        dt_db_unref(db);
        db = next;
    }
    if (rc == 0 && o->history) {
        next = dt_db_history(db);
        dt_db_unref(db);
        db = next;
    }
    if (rc) {
        dt_db_unref(db);
        return rc;
    }
    *out = db;
    return 0;
}

static void print_value(const dt_edn_value *v, bool json)
{
    dt_buf b = DT_BUF_INIT;
    dt_edn_print_options po = {.pretty = !json && isatty(STDOUT_FILENO)};
    if (json)
        dt_edn_print_json_buf(v, NULL, &b);
    else
        dt_edn_print_buf(v, &po, &b);
    fwrite(b.data ? (char *)b.data : "", 1, b.len, stdout);
    fputc('\n', stdout);
    dt_buf_free(&b);
}

static int finish(datom_store *st, dt_conn *c, dt_db *db, int rc)
{
    dt_db_unref(db);
    dt_conn_free(c);
    datom_store_free(st);
    return rc ? cli_fail(rc) : 0;
}

/* ---- create, list ---- */

static int cmd_create(int argc, char **argv)
{
    dbopts o;
    int rc = parse_opts("db create", argc, argv, &o, "");
    if (rc)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error("db create", "expected one NAME");
    datom_store *st;
    if ((rc = cli_open_store(&st, DATOM_STORE_CREATE)))
        return cli_fail(rc);
    char *ns = namespace_of(&o);
    dt_conn_opts co = {.ns = ns};
    dt_conn *c = NULL;
    rc = dt_conn_create(st, argv[optind], &co, &c);
    free(ns);
    if (rc == 0) {
        if (o.json)
            printf("{\"name\":\"%s\",\"basis_t\":%lld}\n", argv[optind], (long long)dt_db_basis_t(c->db));
        else
            printf("%s\n", argv[optind]);
    }
    return finish(st, c, NULL, rc);
}

static int cmd_list(int argc, char **argv)
{
    dbopts o;
    int rc = parse_opts("db list", argc, argv, &o, "");
    if (rc)
        return rc;
    if (optind != argc)
        return cli_usage_error("db list", "no arguments expected");
    datom_store *st;
    if ((rc = cli_open_store(&st, DATOM_STORE_READONLY)))
        return cli_fail(rc);
    char *ns = namespace_of(&o);
    dt_strv names = DT_STRV_INIT;
    rc = dt_db_list(st, ns, &names);
    free(ns);
    if (rc == 0 && o.json) {
        dt_edn_doc *doc = dt_edn_doc_new();
        dt_edn_vec v = DT_EDN_VEC_INIT;
        for (size_t i = 0; i < names.n; i++)
            dt_edn_vec_push(&v, dt_edn_string(doc, names.v[i], strlen(names.v[i])));
        dt_edn_value arr;
        dt_edn_coll(doc, DT_EDN_VECTOR, v.v, v.n, &arr);
        print_value(&arr, true);
        dt_edn_vec_free(&v);
        dt_edn_doc_free(doc);
    } else if (rc == 0) {
        for (size_t i = 0; i < names.n; i++)
            printf("%s\n", names.v[i]);
    }
    dt_strv_free(&names);
    return finish(st, NULL, NULL, rc);
}

/* ---- transact ---- */

static int read_input(const char *file, const char *inline_tx, dt_buf *out)
{
    if (inline_tx) {
        dt_buf_puts(out, inline_tx);
        return 0;
    }
    if (!file || !strcmp(file, "-")) {
        int fd = STDIN_FILENO;
        return dt_fs_copy_fd(fd, 1 << 16, "standard input", dt_sink_buf(out));
    }
    return dt_fs_read_all(file, out, (size_t)1 << 30);
}

static int cmd_transact(int argc, char **argv)
{
    dbopts o;
    int rc = parse_opts("db transact", argc, argv, &o, "f");
    if (rc)
        return rc;
    int left = argc - optind;
    if (left < 1 || left > 2 || (left == 2 && o.file))
        return cli_usage_error("db transact", "expected NAME and tx-data (-f FILE, - for standard input, or inline)");
    const char *inline_tx = left == 2 && strcmp(argv[optind + 1], "-") ? argv[optind + 1] : NULL;
    dt_buf tx = DT_BUF_INIT;
    if ((rc = read_input(o.file, inline_tx, &tx))) {
        dt_buf_free(&tx);
        return cli_fail(rc);
    }
    datom_store *st = NULL;
    dt_conn *c = NULL;
    dt_tx_report *r = NULL;
    if ((rc = open_conn(argv[optind], &o, 0, &st, &c)) == 0)
        rc = dt_conn_transact(c, dt_buf_cstr(&tx), tx.len, &r);
    if (rc == 0) {
        dt_edn_doc *doc = dt_edn_doc_new();
        dt_edn_value v;
        if ((rc = dt_report_edn(r, doc, &v)) == 0)
            print_value(&v, o.json);
        dt_edn_doc_free(doc);
    }
    dt_tx_report_free(r);
    dt_buf_free(&tx);
    return finish(st, c, NULL, rc);
}

/* ---- pull ---- */

static int cmd_pull(int argc, char **argv)
{
    dbopts o;
    int rc = parse_opts("db pull", argc, argv, &o, "as");
    if (rc)
        return rc;
    if (argc - optind != 3)
        return cli_usage_error("db pull", "expected NAME PATTERN ENTITY");
    datom_store *st = NULL;
    dt_conn *c = NULL;
    dt_db *db = NULL;
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *pat, *ent;
    dt_pull *p = NULL;
    uint64_t e = 0;
    dt_edn_value out = dt_edn_nil();
    if ((rc = open_conn(argv[optind], &o, DATOM_STORE_READONLY, &st, &c)) == 0)
        rc = view(c, &o, &db);
    if (rc == 0 && dt_edn_read(doc, argv[optind + 1], strlen(argv[optind + 1]), NULL, &pat, NULL))
        rc = dt_error_wrap("pull pattern");
    if (rc == 0 && dt_edn_read(doc, argv[optind + 2], strlen(argv[optind + 2]), NULL, &ent, NULL))
        rc = dt_error_wrap("entity");
    if (rc == 0)
        rc = dt_pull_parse(db, pat, &p);
    if (rc == 0)
        rc = dt_entity_resolve(db, ent, &e);
    if (rc == 0 && e)
        rc = dt_pull_run(db, p, e, doc, &out);
    if (rc == 0)
        print_value(&out, o.json);
    dt_pull_free(p);
    dt_edn_doc_free(doc);
    return finish(st, c, db, rc);
}

/* ---- datoms and log ---- */

/* The key of the COMPONENT arguments (each EDN). */
static int datoms_key(dt_db *db, dt_order order, char **args, int n, dt_edn_doc *doc, dt_arena *arena, dt_key *k)
{
    dt_edn_vec items = DT_EDN_VEC_INIT;
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        const dt_edn_value *x;
        if (dt_edn_read(doc, args[i], strlen(args[i]), NULL, &x, NULL))
            rc = dt_error_wrap("component %d", i + 1);
        else
            dt_edn_vec_push(&items, *x);
    }
    if (rc == 0)
        rc = dt_key_from_edn(db, order, items.v, items.n, arena, k);
    dt_edn_vec_free(&items);
    return rc;
}

static int print_cursor(dt_db *db, dt_cursor *cur, bool json, long limit)
{
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_datom *d;
    int rc = 0;
    long n = 0;
    while ((limit < 0 || n < limit) && (rc = dt_cursor_next(cur, &d)) == 1) {
        dt_edn_doc_reset(doc);
        dt_edn_value v = dt_datom_edn(doc, db, d);
        print_value(&v, json);
        n++;
    }
    dt_edn_doc_free(doc);
    return rc < 0 ? rc : 0;
}

static int cmd_datoms(int argc, char **argv)
{
    dbopts o;
    int rc = parse_opts("db datoms", argc, argv, &o, "asHl");
    if (rc)
        return rc;
    if (argc - optind < 2)
        return cli_usage_error("db datoms", "expected NAME INDEX [COMPONENT...]");
    dt_order order;
    if (dt_order_parse(argv[optind + 1], &order) || order == DT_LOG)
        return cli_usage_error("db datoms", "INDEX is eavt, aevt, avet or vaet");
    datom_store *st = NULL;
    dt_conn *c = NULL;
    dt_db *db = NULL;
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_arena arena = {0};
    dt_key k;
    dt_cursor *cur = NULL;
    if ((rc = open_conn(argv[optind], &o, DATOM_STORE_READONLY, &st, &c)) == 0)
        rc = view(c, &o, &db);
    if (rc == 0)
        rc = datoms_key(db, order, argv + optind + 2, argc - optind - 2, doc, &arena, &k);
    if (rc == 0)
        rc = dt_cursor_open(db, order, &k, &k, 0, &cur);
    if (rc == 0)
        rc = print_cursor(db, cur, o.json, o.limit);
    dt_cursor_free(cur);
    dt_arena_free(&arena);
    dt_edn_doc_free(doc);
    return finish(st, c, db, rc);
}

/* One transaction of the log: {:t T :tx TX :data [[e a v tx added] ...]}. */
static void print_tx(dt_edn_doc *doc, dt_db *db, int64_t t, dt_edn_vec *data, bool json)
{
    dt_edn_value d, m;
    dt_edn_coll(doc, DT_EDN_VECTOR, data->v, data->n, &d);
    dt_edn_value kv[6] = {dt_kw(doc, "t"), dt_edn_int(t), dt_kw(doc, "tx"), dt_edn_int((int64_t)DT_TX_OF_T(t)),
                          dt_kw(doc, "data"), d};
    dt_edn_coll(doc, DT_EDN_MAP, kv, 6, &m);
    print_value(&m, json);
}

static int cmd_log(int argc, char **argv)
{
    dbopts o;
    int rc = parse_opts("db log", argc, argv, &o, "FTa");
    if (rc)
        return rc;
    if (argc - optind != 1)
        return cli_usage_error("db log", "expected NAME");
    datom_store *st = NULL;
    dt_conn *c = NULL;
    dt_db *db = NULL;
    dt_cursor *cur = NULL;
    dt_time from = {DT_TIME_T, 0}, to = {DT_TIME_T, -1};
    int64_t tf = 0, tt = -1;
    if ((rc = open_conn(argv[optind], &o, DATOM_STORE_READONLY, &st, &c)) == 0)
        rc = view(c, &o, &db);
    if (rc == 0 && o.from && (rc = parse_time(o.from, &from)) == 0)
        rc = dt_db_resolve_time(db, from, &tf);
    if (rc == 0 && o.to && (rc = parse_time(o.to, &to)) == 0 && (rc = dt_db_resolve_time(db, to, &tt)) == 0)
        tt++; /* --to is inclusive */
    if (rc == 0)
        rc = dt_db_tx_range(db, tf, tt, &cur);
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_edn_vec data = DT_EDN_VEC_INIT;
    const dt_datom *d;
    int64_t t = -1;
    while (dt_cursor_step(cur, &d, &rc)) {
        if (DT_T_OF_TX(d->tx) != t && data.n) {
            print_tx(doc, db, t, &data, o.json);
            data.n = 0;
            dt_edn_doc_reset(doc);
        }
        t = DT_T_OF_TX(d->tx);
        dt_edn_vec_push(&data, dt_datom_edn(doc, db, d));
    }
    if (rc == 0 && data.n)
        print_tx(doc, db, t, &data, o.json);
    rc = rc < 0 ? rc : 0;
    dt_edn_vec_free(&data);
    dt_edn_doc_free(doc);
    dt_cursor_free(cur);
    return finish(st, c, db, rc);
}

/* ---- info ---- */

static int cmd_info(int argc, char **argv)
{
    dbopts o;
    int rc = parse_opts("db info", argc, argv, &o, "");
    if (rc)
        return rc;
    if (argc - optind != 1)
        return cli_usage_error("db info", "expected NAME");
    datom_store *st = NULL;
    dt_conn *c = NULL;
    if ((rc = open_conn(argv[optind], &o, DATOM_STORE_READONLY, &st, &c)))
        return finish(st, c, NULL, rc);
    dt_db *db = dt_conn_db(c);
    dt_conn_stats s;
    dt_conn_stats_get(c, &s);
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_edn_vec m = DT_EDN_VEC_INIT, counts = DT_EDN_VEC_INIT, attrs = DT_EDN_VEC_INIT;
    for (int i = DT_EAVT; i <= DT_VAET; i++) {
        dt_edn_vec_push(&counts, dt_kw(doc, dt_order_name((dt_order)i)));
        dt_edn_vec_push(&counts, dt_edn_int((int64_t)dt_db_count(db, (dt_order)i, NULL, NULL, 0)));
    }
    const dt_attr *const *list;
    size_t n = dt_schema_attrs(db->schema, &list);
    for (size_t i = 0; i < n; i++)
        if (list[i]->id >= DT_FIRST_USER_DB)
            dt_edn_vec_push(&attrs, dt_kw(doc, list[i]->ident));
    dt_edn_value cm, am, out;
    dt_edn_coll(doc, DT_EDN_MAP, counts.v, counts.n, &cm);
    dt_edn_coll(doc, DT_EDN_VECTOR, attrs.v, attrs.n, &am);
    const char *commit = c->root.objects ? "objects" : "append";
    dt_edn_value items[] = {
        dt_kw(doc, "name"), dt_edn_string(doc, c->env->name, strlen(c->env->name)),
        dt_kw(doc, "store"), dt_edn_string(doc, dt_store_url(st), strlen(dt_store_url(st))),
        dt_kw(doc, "prefix"), dt_edn_string(doc, c->env->prefix, strlen(c->env->prefix)),
        dt_kw(doc, "basis-t"), dt_edn_int(dt_db_basis_t(db)),
        dt_kw(doc, "indexed-t"), dt_edn_int(db->indexed_t),
        dt_kw(doc, "commit"), dt_kw(doc, commit),
        dt_kw(doc, "datoms"), cm,
        dt_kw(doc, "novelty-datoms"), dt_edn_int((int64_t)s.novelty_datoms),
        dt_kw(doc, "attributes"), am};
    for (size_t i = 0; i < DT_ARRAY_LEN(items); i++)
        dt_edn_vec_push(&m, items[i]);
    if ((rc = dt_edn_coll(doc, DT_EDN_MAP, m.v, m.n, &out)) == 0)
        print_value(&out, o.json);
    dt_edn_vec_free(&m);
    dt_edn_vec_free(&counts);
    dt_edn_vec_free(&attrs);
    dt_edn_doc_free(doc);
    return finish(st, c, db, rc);
}

/* ---- for db_query.c ---- */

int cli_db_open(const char *name, const dbopts *o, datom_store **st, dt_conn **c)
{
    return open_conn(name, o, DATOM_STORE_READONLY, st, c);
}

int cli_db_view(dt_conn *c, const dbopts *o, dt_db **out) { return view(c, o, out); }
void cli_db_print(const dt_edn_value *v, bool json) { print_value(v, json); }
int cli_db_finish(datom_store *st, dt_conn *c, dt_db *db, int rc) { return finish(st, c, db, rc); }

/* ---- dispatch ---- */

static const char create_usage[] =
    "usage: datom [--store URL] db create [--prefix P] [--json] NAME\n\n"
    "Makes database NAME (a letter, then letters, digits, '_', '-', '.'). Exit 4 if it exists.\n";
static const char list_usage[] =
    "usage: datom [--store URL] db list [--prefix P] [--json]\n\nThe databases of the store, one per line.\n";
static const char transact_usage[] =
    "usage: datom [--store URL] db transact [--json] NAME [-f FILE | - | TX]\n\n"
    "Transacts one EDN vector of tx-data (list forms [:db/add e a v] ..., map forms\n"
    "{:db/id e ...}), from FILE, standard input (-) or the argument, durably, and\n"
    "prints the report: {:db-before T :db-after T :tx-data [...] :tempids {...}}.\n"
    "All of it applies or none: an error names the offending datom (exit 2), a\n"
    "failed :db/cas exits 5.\n";
static const char pull_usage[] =
    "usage: datom [--store URL] db pull [--as-of T] [--since T] [--json] NAME PATTERN ENTITY\n\n"
    "Pulls PATTERN ([:person/name {:person/friend [*]}], Datomic's grammar) from\n"
    "ENTITY (an id, an ident :x/y, or a lookup ref [:person/email \"a@b\"]); nil\n"
    "when nothing matches.\n";
static const char datoms_usage[] =
    "usage: datom [--store URL] db datoms [--as-of T] [--since T] [--history] [--limit N] [--json]\n"
    "                                     NAME INDEX [COMPONENT...]\n\n"
    "Prints the datoms of INDEX (eavt, aevt, avet, vaet) whose leading components\n"
    "are the COMPONENTs (each EDN: 17592186045418, :person/name, '\"Ivan\"'), one\n"
    "[e a v tx added] per line.\n";
static const char log_usage[] =
    "usage: datom [--store URL] db log [--from T] [--to T] [--json] NAME\n\n"
    "Prints the transactions from --from to --to (inclusive), one\n"
    "{:t T :tx TX :data [[e a v tx added] ...]} per line.\n";
static const char info_usage[] =
    "usage: datom [--store URL] db info [--json] NAME\n\n"
    "Prints the database's basis t, indexed t, datom counts per index, attributes,\n"
    "and where it lives.\n";

static const cli_sub subs[] = {
    {"create", create_usage, cmd_create},       {"list", list_usage, cmd_list},
    {"transact", transact_usage, cmd_transact}, {"pull", pull_usage, cmd_pull},
    {"datoms", datoms_usage, cmd_datoms},       {"log", log_usage, cmd_log},
    {"info", info_usage, cmd_info},             {"q", cli_db_q_usage, cli_db_q},
};

int cli_db(int argc, char **argv)
{
    return cli_subcommand("db", db_usage, subs, DT_ARRAY_LEN(subs), argc, argv);
}
