/*
 * api.c: the fact database's public C API (include/datom.h, "facts"): thin
 * wrappers of db.h, pull.h and the EDN layer. The public handles are the
 * internal ones under another name (datom_conn is a dt_conn, datom_db a
 * dt_db, datom_report a dt_tx_report), except cursors and values, which
 * carry the EDN document their results are built in.
 */
#include <stdlib.h>
#include <string.h>

#include "db/api.h"
#include "db/pull.h"
#include "db/tx.h"

static dt_conn *C(datom_conn *c) { return (dt_conn *)c; }
static dt_db *D(datom_db *d) { return (dt_db *)d; }
static datom_db *P(dt_db *d) { return (datom_db *)d; }

/* A value returned to the caller: the root of its own document. */
struct datom_value {
    dt_edn_value v; /* first: a root is also a plain value for the accessors */
    dt_edn_doc *doc;
};

static datom_value *root(dt_edn_doc *doc, dt_edn_value v)
{
    datom_value *r = dt_malloc(sizeof *r);
    r->v = v;
    r->doc = doc;
    return r;
}

datom_value *dt_api_value(dt_edn_doc *doc, dt_edn_value v) { return root(doc, v); }

static const dt_edn_value *V(const datom_value *v) { return (const dt_edn_value *)v; }

void datom_value_free(datom_value *v)
{
    if (!v)
        return;
    dt_edn_doc_free(v->doc);
    free(v);
}

/* ---- connections ---- */

static dt_conn_opts conn_opts(const datom_conn_options *o)
{
    dt_conn_opts r = {0};
    if (o)
        r = (dt_conn_opts){.ns = o->ns, .cache_bytes = o->cache_bytes, .index_threshold = o->index_threshold,
                           .no_append = o->portable != 0};
    return r;
}

int datom_db_create(datom_store *st, const char *name, const datom_conn_options *opts, datom_conn **out)
{
    dt_conn_opts o = conn_opts(opts);
    return dt_conn_create(st, name, &o, (dt_conn **)out);
}

int datom_conn_open(datom_store *st, const char *name, const datom_conn_options *opts, datom_conn **out)
{
    dt_conn_opts o = conn_opts(opts);
    return dt_conn_open(st, name, &o, (dt_conn **)out);
}

void datom_conn_close(datom_conn *c) { dt_conn_free(C(c)); }
int datom_conn_sync(datom_conn *c) { return dt_conn_sync(C(c)); }
datom_db *datom_conn_db(datom_conn *c) { return P(dt_conn_db(C(c))); }
void datom_db_free(datom_db *db) { dt_db_unref(D(db)); }

int datom_db_names(datom_store *st, const char *ns, char ***names_out, size_t *n_out)
{
    dt_strv v = DT_STRV_INIT;
    int rc = dt_db_list(st, ns, &v);
    if (rc) {
        dt_strv_free(&v);
        return rc;
    }
    dt_strv_sort(&v);
    *names_out = v.v;
    *n_out = v.n;
    return 0;
}

/* ---- transactions ---- */

int datom_transact(datom_conn *c, const char *tx_edn, datom_report **out)
{
    dt_tx_report *r;
    int rc = dt_conn_transact(C(c), tx_edn, strlen(tx_edn), &r);
    if (rc == 0 && out)
        *out = (datom_report *)r;
    else if (rc == 0)
        dt_tx_report_free(r);
    return rc;
}

int datom_with(datom_db *db, const char *tx_edn, datom_report **out)
{
    dt_tx_report *r;
    int rc = dt_db_with(D(db), tx_edn, strlen(tx_edn), &r);
    if (rc == 0 && out)
        *out = (datom_report *)r;
    else if (rc == 0)
        dt_tx_report_free(r);
    return rc;
}

datom_db *datom_report_db_before(const datom_report *r) { return P(((const dt_tx_report *)r)->db_before); }
datom_db *datom_report_db_after(const datom_report *r) { return P(((const dt_tx_report *)r)->db_after); }
uint64_t datom_report_tempid(const datom_report *r, const char *tempid)
{
    return dt_tx_report_tempid((const dt_tx_report *)r, tempid);
}
void datom_report_free(datom_report *r) { dt_tx_report_free((dt_tx_report *)r); }

int datom_report_value(const datom_report *r, datom_value **out)
{
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_edn_value v;
    int rc = dt_report_edn((const dt_tx_report *)r, doc, &v);
    if (rc) {
        dt_edn_doc_free(doc);
        return rc;
    }
    *out = root(doc, v);
    return 0;
}

/* ---- time ---- */

int64_t datom_db_basis_t(const datom_db *db) { return dt_db_basis_t((const dt_db *)db); }

static dt_time point(int64_t t_or_tx)
{
    return (dt_time){DT_EID_PART((uint64_t)t_or_tx) == DT_PART_TX ? DT_TIME_TX : DT_TIME_T, t_or_tx};
}

int datom_db_as_of(datom_db *db, int64_t t, datom_db **out) { return dt_db_as_of(D(db), point(t), (dt_db **)out); }
int datom_db_since(datom_db *db, int64_t t, datom_db **out) { return dt_db_since(D(db), point(t), (dt_db **)out); }
int datom_db_as_of_instant(datom_db *db, int64_t ms, datom_db **out)
{
    return dt_db_as_of(D(db), (dt_time){DT_TIME_INSTANT, ms}, (dt_db **)out);
}
int datom_db_since_instant(datom_db *db, int64_t ms, datom_db **out)
{
    return dt_db_since(D(db), (dt_time){DT_TIME_INSTANT, ms}, (dt_db **)out);
}
datom_db *datom_db_history(datom_db *db) { return P(dt_db_history(D(db))); }

typedef struct filter_ctx {
    datom_filter_fn fn;
    void *ctx;
    dt_edn_doc *doc;
} filter_ctx;

static bool filter_adapter(dt_db *unfiltered, const dt_datom *d, void *ctx)
{
    filter_ctx *f = ctx;
    dt_edn_doc_reset(f->doc);
    dt_edn_value v = dt_val_to_edn(f->doc, d->v);
    datom_datom pd = {.e = d->e, .a = d->a, .tx = d->tx, .added = d->added, .v = (const datom_value *)&v};
    return f->fn(&pd, f->ctx) != 0;
}

static void filter_free(void *ctx)
{
    filter_ctx *f = ctx;
    dt_edn_doc_free(f->doc);
    free(f);
}

datom_db *datom_db_filter(datom_db *db, datom_filter_fn pred, void *ctx)
{
    filter_ctx *f = dt_malloc(sizeof *f);
    *f = (filter_ctx){pred, ctx, dt_edn_doc_new()};
    return P(dt_db_filter_owned(D(db), filter_adapter, f, filter_free));
}

/* ---- index access ---- */

struct datom_cursor {
    dt_cursor *c;
    dt_db *db;
    dt_edn_doc *doc;
    dt_edn_value v;
};

/* The leading components of ORDER from the EDN vector TEXT into K. */
static int components(dt_db *db, dt_order order, const char *text, dt_key *k, dt_edn_doc *doc, dt_arena *arena)
{
    const dt_edn_value *v;
    if (dt_edn_read(doc, text ? text : "[]", text ? strlen(text) : 2, NULL, &v, NULL))
        return dt_error_wrap("components");
    if (v->kind != DT_EDN_VECTOR && v->kind != DT_EDN_LIST)
        return dt_error(DATOM_EINVAL, "components: a vector of the index's leading components");
    return dt_key_from_edn(db, order, dt_edn_count(v) ? dt_edn_at(v, 0) : NULL, dt_edn_count(v), arena, k);
}

static int open_cursor(datom_db *db, const char *index, const char *comps, bool prefix, datom_cursor **out)
{
    *out = NULL;
    dt_order order;
    int rc = dt_order_parse(index ? index : "", &order);
    if (rc || order == DT_LOG)
        return rc ? rc : dt_error(DATOM_EINVAL, "index: use datom_tx_range for the log");
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_arena arena = {0};
    dt_key k;
    if ((rc = components(D(db), order, comps, &k, doc, &arena)) == 0) {
        datom_cursor *c = dt_calloc(1, sizeof *c);
        c->db = dt_db_ref(D(db));
        c->doc = dt_edn_doc_new();
        rc = dt_cursor_open(D(db), order, &k, prefix ? &k : NULL, 0, &c->c);
        if (rc)
            datom_cursor_free(c);
        else
            *out = c;
    }
    dt_arena_free(&arena);
    dt_edn_doc_free(doc);
    return rc;
}

int datom_datoms(datom_db *db, const char *index, const char *comps, datom_cursor **out)
{
    return open_cursor(db, index, comps, true, out);
}

int datom_seek_datoms(datom_db *db, const char *index, const char *comps, datom_cursor **out)
{
    return open_cursor(db, index, comps, false, out);
}

int datom_index_range(datom_db *db, const char *attr, const char *start, const char *end, datom_cursor **out)
{
    *out = NULL;
    const dt_attr *a = attr ? dt_db_attr_by_ident(D(db), attr[0] == ':' ? attr + 1 : attr) : NULL;
    if (!a)
        return dt_error(DATOM_EINVAL, "index-range: %s is not an attribute", attr ? attr : "(none)");
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_arena arena = {0};
    dt_key from = {.n = 1, .a = a->id}, to = {.n = 1, .a = a->id};
    const char *bounds[2] = {start, end};
    dt_key *keys[2] = {&from, &to};
    int rc = 0;
    for (int i = 0; rc == 0 && i < 2; i++) {
        const dt_edn_value *v;
        const char *why;
        if (!bounds[i] || !strcmp(bounds[i], "nil"))
            continue;
        if ((rc = dt_edn_read(doc, bounds[i], strlen(bounds[i]), NULL, &v, NULL)))
            rc = dt_error_wrap("index-range");
        else if (v->kind != DT_EDN_NIL && dt_val_from_edn(v, a->type, a, &arena, &keys[i]->v, &why))
            rc = dt_error(DATOM_EINVAL, "index-range: %s: %s", bounds[i], why);
        else if (v->kind != DT_EDN_NIL)
            keys[i]->n = 2;
    }
    if (rc == 0) {
        datom_cursor *c = dt_calloc(1, sizeof *c);
        c->db = dt_db_ref(D(db));
        c->doc = dt_edn_doc_new();
        rc = dt_cursor_open(D(db), DT_AVET, &from, &to, to.n == 2 ? DT_CUR_TO_EXCLUSIVE : 0, &c->c);
        if (rc)
            datom_cursor_free(c);
        else
            *out = c;
    }
    dt_arena_free(&arena);
    dt_edn_doc_free(doc);
    return rc;
}

int datom_tx_range(datom_db *db, int64_t start, int64_t end, datom_cursor **out)
{
    datom_cursor *c = dt_calloc(1, sizeof *c);
    c->db = dt_db_ref(D(db));
    c->doc = dt_edn_doc_new();
    int rc = dt_db_tx_range(D(db), start, end, &c->c);
    if (rc) {
        datom_cursor_free(c);
        c = NULL;
    }
    *out = c;
    return rc;
}

int datom_cursor_next(datom_cursor *c, datom_datom *out)
{
    const dt_datom *d;
    int rc = dt_cursor_next(c->c, &d);
    if (rc != 1)
        return rc;
    dt_edn_doc_reset(c->doc);
    c->v = dt_val_to_edn(c->doc, d->v);
    *out = (datom_datom){.e = d->e, .a = d->a, .tx = d->tx, .added = d->added, .v = (const datom_value *)&c->v};
    return 1;
}

void datom_cursor_free(datom_cursor *c)
{
    if (!c)
        return;
    dt_cursor_free(c->c);
    dt_db_unref(c->db);
    dt_edn_doc_free(c->doc);
    free(c);
}

int datom_count(datom_db *db, const char *index, const char *comps, uint64_t *out)
{
    dt_order order;
    int rc = dt_order_parse(index ? index : "", &order);
    if (rc)
        return rc;
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_arena arena = {0};
    dt_key k;
    if ((rc = components(D(db), order, comps, &k, doc, &arena)) == 0)
        *out = dt_db_count(D(db), order, &k, &k, 0);
    dt_arena_free(&arena);
    dt_edn_doc_free(doc);
    return rc;
}

/* ---- entity and pull ---- */

/* Reads TEXT as one EDN value into DOC. */
static int read_one(dt_edn_doc *doc, const char *what, const char *text, const dt_edn_value **v)
{
    int rc = dt_edn_read(doc, text ? text : "", text ? strlen(text) : 0, NULL, v, NULL);
    return rc ? dt_error_wrap("%s", what) : 0;
}

static int entity_of(dt_db *db, dt_edn_doc *doc, const char *text, uint64_t *e)
{
    const dt_edn_value *v;
    int rc = read_one(doc, "entity", text, &v);
    if (rc == 0)
        rc = dt_entity_resolve(db, v, e);
    if (rc == 0 && !*e)
        rc = dt_error(DATOM_ENOTFOUND, "entity %s: none", text);
    return rc;
}

static int finish(dt_edn_doc *doc, int rc, dt_edn_value v, datom_value **out)
{
    if (rc) {
        dt_edn_doc_free(doc);
        *out = NULL;
        return rc;
    }
    *out = root(doc, v);
    return 0;
}

int datom_pull(datom_db *db, const char *pattern, const char *entity, datom_value **out)
{
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *pat;
    dt_pull *p = NULL;
    uint64_t e = 0;
    dt_edn_value v = dt_edn_nil();
    int rc = read_one(doc, "pull pattern", pattern, &pat);
    if (rc == 0)
        rc = dt_pull_parse(D(db), pat, &p);
    if (rc == 0)
        rc = entity_of(D(db), doc, entity, &e);
    if (rc == 0)
        rc = dt_pull_run(D(db), p, e, doc, &v);
    dt_pull_free(p);
    return finish(doc, rc, v, out);
}

int datom_pull_many(datom_db *db, const char *pattern, const char *entities, datom_value **out)
{
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *pat, *es = NULL;
    dt_pull *p = NULL;
    dt_edn_vec results = DT_EDN_VEC_INIT;
    dt_edn_value v = dt_edn_nil();
    int rc = read_one(doc, "pull pattern", pattern, &pat);
    if (rc == 0)
        rc = dt_pull_parse(D(db), pat, &p);
    if (rc == 0 && (rc = read_one(doc, "entities", entities, &es)) == 0 && es->kind != DT_EDN_VECTOR &&
        es->kind != DT_EDN_LIST)
        rc = dt_error(DATOM_EINVAL, "entities: a vector");
    for (size_t i = 0; rc == 0 && i < dt_edn_count(es); i++) {
        uint64_t e;
        dt_edn_value r = dt_edn_nil();
        if ((rc = dt_entity_resolve(D(db), dt_edn_at(es, i), &e)) == 0 && e)
            rc = dt_pull_run(D(db), p, e, doc, &r);
        dt_edn_vec_push(&results, r);
    }
    if (rc == 0)
        rc = dt_edn_coll(doc, DT_EDN_VECTOR, results.v, results.n, &v);
    dt_edn_vec_free(&results);
    dt_pull_free(p);
    return finish(doc, rc, v, out);
}

int datom_entity_get(datom_db *db, const char *entity, const char *attr, datom_value **out)
{
    dt_edn_doc *doc = dt_edn_doc_new();
    uint64_t e;
    const dt_edn_value *a;
    dt_edn_value v = dt_edn_nil();
    int rc = entity_of(D(db), doc, entity, &e);
    if (rc == 0)
        rc = read_one(doc, "attribute", attr, &a);
    if (rc == 0)
        rc = dt_entity_get(D(db), e, a, doc, &v);
    return finish(doc, rc, v, out);
}

int datom_entity_touch(datom_db *db, const char *entity, datom_value **out)
{
    dt_edn_doc *doc = dt_edn_doc_new();
    uint64_t e;
    dt_edn_value v = dt_edn_nil();
    int rc = entity_of(D(db), doc, entity, &e);
    if (rc == 0)
        rc = dt_entity_touch(D(db), e, doc, &v);
    return finish(doc, rc, v, out);
}

/* ---- values ---- */

datom_kind datom_value_kind(const datom_value *v)
{
    static const datom_kind kinds[DT_EDN_KIND_COUNT] = {
        [DT_EDN_NIL] = DATOM_NIL,       [DT_EDN_BOOL] = DATOM_BOOL,       [DT_EDN_INT] = DATOM_INT,
        [DT_EDN_BIGINT] = DATOM_BIGINT, [DT_EDN_RATIO] = DATOM_RATIO,     [DT_EDN_FLOAT] = DATOM_FLOAT,
        [DT_EDN_BIGDEC] = DATOM_BIGDEC, [DT_EDN_CHAR] = DATOM_CHAR,       [DT_EDN_STRING] = DATOM_STRING,
        [DT_EDN_SYMBOL] = DATOM_SYMBOL, [DT_EDN_KEYWORD] = DATOM_KEYWORD, [DT_EDN_LIST] = DATOM_LIST,
        [DT_EDN_VECTOR] = DATOM_VECTOR, [DT_EDN_MAP] = DATOM_MAP,         [DT_EDN_SET] = DATOM_SET,
        [DT_EDN_INST] = DATOM_INST,     [DT_EDN_UUID] = DATOM_UUID,       [DT_EDN_TAGGED] = DATOM_TAGGED};
    return v && V(v)->kind < DT_EDN_KIND_COUNT ? kinds[V(v)->kind] : DATOM_NIL;
}

int datom_value_bool(const datom_value *v) { return v && V(v)->kind == DT_EDN_BOOL && V(v)->u.b; }

int64_t datom_value_int(const datom_value *v)
{
    if (!v)
        return 0;
    if (V(v)->kind == DT_EDN_INT)
        return V(v)->u.i;
    if (V(v)->kind == DT_EDN_INST)
        return V(v)->u.sec * 1000 + (int64_t)(V(v)->len / 1000000);
    return 0;
}

double datom_value_float(const datom_value *v)
{
    return !v ? 0 : V(v)->kind == DT_EDN_FLOAT ? V(v)->u.f : V(v)->kind == DT_EDN_INT ? (double)V(v)->u.i : 0;
}

const char *datom_value_text(const datom_value *v, size_t *len)
{
    int k = v ? V(v)->kind : DT_EDN_NIL;
    bool text = k == DT_EDN_STRING || k == DT_EDN_SYMBOL || k == DT_EDN_KEYWORD || k == DT_EDN_BIGINT ||
                k == DT_EDN_BIGDEC;
    if (len)
        *len = text ? (k == DT_EDN_BIGINT || k == DT_EDN_BIGDEC ? strlen(V(v)->u.s) : V(v)->len) : 0;
    return text ? V(v)->u.s : NULL;
}

size_t datom_value_count(const datom_value *v) { return v ? dt_edn_count(V(v)) : 0; }

const datom_value *datom_value_at(const datom_value *v, size_t i)
{
    return v && V(v)->kind != DT_EDN_MAP && i < dt_edn_count(V(v)) ? (const datom_value *)dt_edn_at(V(v), i) : NULL;
}

const datom_value *datom_value_key(const datom_value *m, size_t i)
{
    return m && V(m)->kind == DT_EDN_MAP && i < dt_edn_count(V(m)) ? (const datom_value *)dt_edn_key(V(m), i) : NULL;
}

const datom_value *datom_value_val(const datom_value *m, size_t i)
{
    return m && V(m)->kind == DT_EDN_MAP && i < dt_edn_count(V(m)) ? (const datom_value *)dt_edn_val(V(m), i) : NULL;
}

const datom_value *datom_value_get(const datom_value *m, const char *kw)
{
    if (!m || !kw)
        return NULL;
    return (const datom_value *)dt_edn_get_kw(V(m), kw[0] == ':' ? kw + 1 : kw);
}

char *datom_value_print(const datom_value *v, int json)
{
    dt_buf b = DT_BUF_INIT;
    dt_edn_value nil = dt_edn_nil();
    const dt_edn_value *x = v ? V(v) : &nil;
    if (json)
        dt_edn_print_json_buf(x, NULL, &b);
    else
        dt_edn_print_buf(x, NULL, &b);
    return b.data ? dt_buf_detach(&b) : dt_strdup(json ? "null" : "nil");
}
