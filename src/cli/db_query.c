/*
 * db_query.c: `datom db q NAME QUERY [INPUT...]` (docs/cli.md, "datom db q"):
 * a Datalog query on database NAME. The inputs follow the query's :in: the
 * first source ($) is NAME as of --as-of / --since / --history; % is the
 * rules of --rules FILE when given; every other input is an INPUT argument,
 * in order, as EDN. An INPUT for another source may name a database with
 * the tag #db: #db "other", or #db {:name "other" :as-of T :since T
 * :history true} (the name defaults to NAME), so a query can join a db with
 * its own past. --explain prints the plan instead of running it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/db_cli.h"
#include "query/query.h"

const char cli_db_q_usage[] =
    "usage: datom [--store URL] db q [--as-of T] [--since T] [--history] [--rules FILE]\n"
    "                                [--timeout SECONDS] [--explain] [--json]\n"
    "                                NAME QUERY [INPUT...]\n\n"
    "Runs the Datalog QUERY ([:find ... :in ... :where ...], or the map form) on\n"
    "database NAME and prints the result as EDN (--json: JSON). The inputs follow\n"
    ":in: its first source ($) is NAME (as of --as-of/--since, or its history);\n"
    "% is the rules of --rules FILE when given; each other input is an INPUT\n"
    "argument, EDN, in order. Another source may be a collection of tuples, or a\n"
    "database: #db \"name\" or #db {:name \"name\" :as-of T :since T :history true}.\n"
    "--explain prints the plan (join order, indexes, estimates) and runs nothing.\n"
    "--timeout SECONDS (a decimal, e.g. 0.5) stops a query that runs longer: it\n"
    "exits 11 and prints nothing on standard output.\n"
    "A query that cannot run (an unbound variable, an unknown function or rule, a\n"
    "comparison across types...) exits 2 naming the clause.\n";

#define MAX_INPUTS 64

typedef struct qargs {
    dbopts o;
    const char *rules;
    bool explain;
    uint32_t timeout_ms; /* 0: none */
} qargs;

/* --timeout SECONDS: a positive decimal, to the millisecond (at least 1 ms),
 * at most 30 days. */
static int parse_timeout(const char *text, uint32_t *ms)
{
    char *end;
    errno = 0;
    double sec = strtod(text, &end);
    if (end == text || *end || errno || !(sec > 0) || sec > 30.0 * 86400)
        return cli_usage_error("db q", "--timeout takes a number of seconds above 0 (at most 30 days)");
    double m = sec * 1000;
    *ms = m < 1 ? 1 : (uint32_t)(m + 0.5);
    return 0;
}

static int parse_args(int argc, char **argv, qargs *a)
{
    static const struct option opts[] = {
        {"as-of", required_argument, NULL, 'a'}, {"since", required_argument, NULL, 's'},
        {"history", no_argument, NULL, 'H'},     {"json", no_argument, NULL, 'j'},
        {"prefix", required_argument, NULL, 'p'}, {"rules", required_argument, NULL, 'r'},
        {"explain", no_argument, NULL, 'x'},     {"timeout", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->o.json = cli.json;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a': a->o.as_of = optarg; break;
        case 's': a->o.since = optarg; break;
        case 'H': a->o.history = true; break;
        case 'j': a->o.json = true; break;
        case 'p': a->o.prefix = optarg; break;
        case 'r': a->rules = optarg; break;
        case 'x': a->explain = true; break;
        case 't': {
            int rc = parse_timeout(optarg, &a->timeout_ms);
            if (rc)
                return rc;
            break;
        }
        default: return cli_usage_error("db q", "unknown option");
        }
    }
    if (argc - optind < 2)
        return cli_usage_error("db q", "expected NAME QUERY [INPUT...]");
    return 0;
}

/* Databases opened for #db inputs (NAME itself is dbs[0]). */
typedef struct opened {
    datom_store *st[MAX_INPUTS];
    dt_conn *c[MAX_INPUTS];
    dt_db *db[MAX_INPUTS];
    int n;
} opened;

static void close_all(opened *op)
{
    for (int i = op->n - 1; i >= 0; i--) {
        dt_db_unref(op->db[i]);
        dt_conn_free(op->c[i]);
        datom_store_free(op->st[i]);
    }
}

static int open_db(const char *name, const dbopts *o, opened *op, dt_db **out)
{
    if (op->n == MAX_INPUTS)
        return dt_error(DATOM_EINVAL, "too many databases");
    int i = op->n;
    int rc = cli_db_open(name, o, &op->st[i], &op->c[i]);
    if (rc == 0)
        rc = cli_db_view(op->c[i], o, &op->db[i]);
    if (rc) {
        dt_conn_free(op->c[i]);
        datom_store_free(op->st[i]);
        return rc;
    }
    op->n++;
    *out = op->db[i];
    return 0;
}

/* The text of a string or symbol value, or of a number (a t), for the
 * options of #db. */
static const char *opt_text(const dt_edn_value *v, char *buf, size_t n)
{
    if (!v)
        return NULL;
    if (dt_edn_is(v, DT_EDN_INT)) {
        snprintf(buf, n, "%lld", (long long)v->u.i);
        return buf;
    }
    return dt_edn_is(v, DT_EDN_STRING) || dt_edn_is(v, DT_EDN_SYMBOL) ? v->u.s : NULL;
}

/* #db "name" or #db {:name ... :as-of ... :since ... :history ...}. */
static int db_input(const char *name, const dbopts *base, const dt_edn_value *v, opened *op, dt_db **out)
{
    const dt_edn_value *val = dt_edn_tagged_value(v);
    dbopts o = {.prefix = base->prefix};
    char nbuf[32], asof[32], since[32];
    if (dt_edn_is(val, DT_EDN_MAP)) {
        const char *n = opt_text(dt_edn_get_kw(val, "name"), nbuf, sizeof nbuf);
        if (n)
            name = n;
        o.as_of = opt_text(dt_edn_get_kw(val, "as-of"), asof, sizeof asof);
        o.since = opt_text(dt_edn_get_kw(val, "since"), since, sizeof since);
        const dt_edn_value *h = dt_edn_get_kw(val, "history");
        o.history = h && dt_edn_is(h, DT_EDN_BOOL) && h->u.b;
    } else if (dt_edn_is(val, DT_EDN_STRING) || dt_edn_is(val, DT_EDN_SYMBOL)) {
        name = val->u.s;
    } else {
        return dt_error(DATOM_EINVAL, "#db takes a name or a map {:name :as-of :since :history}");
    }
    return open_db(name, &o, op, out);
}

static bool is_db_tag(const dt_edn_value *v) { return dt_edn_is(v, DT_EDN_TAGGED) && dt_edn_is_sym(dt_edn_tag(v), "db"); }

int cli_db_q(int argc, char **argv)
{
    qargs a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    const char *name = argv[optind], *query = argv[optind + 1];
    char **args = argv + optind + 2;
    int nargs = argc - optind - 2;
    opened op = {0};
    dt_edn_doc *doc = dt_edn_doc_new(), *in_doc = dt_edn_doc_new();
    dt_buf rules = DT_BUF_INIT;
    dt_q_input inputs[MAX_INPUTS];
    uint8_t kinds[MAX_INPUTS];
    size_t nin = 0, n = 0;
    int next_arg = 0;
    const dt_edn_value *qv = NULL, *out = NULL;
    char *plan = NULL;
    bool have_db = false;
    if (dt_edn_read(in_doc, query, strlen(query), NULL, &qv, NULL))
        rc = dt_error_wrap("query");
    if (!rc) {
        dt_q_in_kinds(qv, kinds, MAX_INPUTS, &nin);
        if (nin > MAX_INPUTS)
            rc = dt_error(DATOM_EINVAL, "query: more than %d inputs", MAX_INPUTS);
    }
    for (size_t i = 0; !rc && i < nin; i++, n++) {
        memset(&inputs[n], 0, sizeof inputs[n]);
        if (kinds[i] == DT_Q_IN_SRC && !have_db) {
            rc = open_db(name, &a.o, &op, &inputs[n].db);
            have_db = true;
            continue;
        }
        if (kinds[i] == DT_Q_IN_RULES && a.rules) {
            if (!(rc = dt_fs_read_all(a.rules, &rules, (size_t)64 << 20)) &&
                dt_edn_read(in_doc, (const char *)rules.data, rules.len, NULL, &inputs[n].edn, NULL))
                rc = dt_error_wrap("%s", a.rules);
            continue;
        }
        if (next_arg == nargs) {
            rc = dt_error(DATOM_EINVAL, "query: its :in takes %zu inputs; INPUT %zu is missing", nin, i + 1);
            break;
        }
        const char *t = args[next_arg++];
        if (dt_edn_read(in_doc, t, strlen(t), NULL, &inputs[n].edn, NULL)) {
            rc = dt_error_wrap("INPUT %d", next_arg);
        } else if (is_db_tag(inputs[n].edn)) {
            if (kinds[i] != DT_Q_IN_SRC)
                rc = dt_error(DATOM_EINVAL, "INPUT %d: #db goes to a source ($name) of :in", next_arg);
            else
                rc = db_input(name, &a.o, inputs[n].edn, &op, &inputs[n].db);
            inputs[n].edn = NULL;
        }
    }
    if (!rc && next_arg < nargs)
        rc = dt_error(DATOM_EINVAL, "query: its :in takes %zu inputs; %d INPUT arguments are left over", nin,
                      nargs - next_arg);
    dt_q_opts qo = {.explain = a.explain, .timeout_ms = a.timeout_ms};
    if (!rc)
        rc = dt_q(qv, inputs, n, &qo, doc, &out, a.explain ? &plan : NULL);
    if (!rc && a.explain)
        fputs(plan, stdout);
    else if (!rc)
        cli_db_print(out, a.o.json);
    free(plan);
    dt_buf_free(&rules);
    dt_edn_doc_free(doc);
    dt_edn_doc_free(in_doc);
    close_all(&op);
    return rc ? cli_fail(rc) : 0;
}
