/*
 * query.c: a whole run (query.h, dt_q): parse, bind the inputs to :in,
 * prepare the rules, plan (every error is found by then), run, shape the
 * result. The run's memory (arena, intern table, relations, tables,
 * compiled regexes) is freed at the end, the result living in the
 * caller's document.
 */
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

#define DEFAULT_MAX_BYTES ((size_t)4 << 30)

/* ---- inputs ---- */

static int add_rel(q_ctx *x, const uint16_t *cols, uint16_t ncol)
{
    if (x->nrels == x->caprels) {
        int cap = x->caprels ? x->caprels * 2 : 8;
        q_rel *r = q_alloc(&x->arena, (size_t)cap * sizeof *r);
        if (x->nrels)
            memcpy(r, x->rels, (size_t)x->nrels * sizeof *r);
        x->rels = r;
        x->caprels = cap;
    }
    q_rel_init(x, &x->rels[x->nrels], cols, ncol);
    return x->nrels++;
}

static bool is_seq(const dt_edn_value *v)
{
    return dt_edn_is(v, DT_EDN_VECTOR) || dt_edn_is(v, DT_EDN_LIST) || dt_edn_is(v, DT_EDN_SET);
}

/* A collection of tuples as a source: a relation of their elements. */
static int bind_source_rel(q_ctx *x, const q_in *in, const dt_edn_value *v)
{
    if (!is_seq(v))
        return q_err(in->form, "takes a database or a collection of tuples");
    size_t n = dt_edn_count(v), width = n ? dt_edn_count(dt_edn_at(v, 0)) : 0;
    if (width > 255)
        return q_err(in->form, "tuples of more than 255 elements");
    uint16_t cols[256];
    for (uint16_t i = 0; i < width; i++)
        cols[i] = i;
    int ri = add_rel(x, cols, (uint16_t)width);
    for (size_t i = 0; i < n; i++) {
        const dt_edn_value *t = dt_edn_at(v, i);
        if (!is_seq(t) || dt_edn_count(t) != width)
            return q_err(in->form, "the collection's tuples differ in length (the first has %zu elements)", width);
        dt_val *row = q_rel_push(x, &x->rels[ri]);
        for (size_t k = 0; k < width; k++)
            row[k] = q_from_edn(x, dt_edn_at(t, k));
    }
    q_rel_distinct(x, &x->rels[ri]);
    x->srcs[in->src].rel = ri;
    return 0;
}

static int bind_scalar(q_ctx *x, const q_bind *b, const dt_edn_value *v)
{
    if (b->kind == QB_BLANK)
        return 0;
    x->consts[b->var] = q_from_edn(x, v);
    x->has_const[b->var] = true;
    return 0;
}

static int bind_tuple(q_ctx *x, const q_bind *b, const dt_edn_value *v)
{
    if (!dt_edn_is(v, DT_EDN_VECTOR) && !dt_edn_is(v, DT_EDN_LIST))
        return q_err(b->form, "binds a tuple: its input is a vector, not a %s", dt_edn_kind_name((dt_edn_kind)v->kind));
    if (dt_edn_count(v) < b->n)
        return q_err(b->form, "binds %u values: its input has %u", b->n, v->len);
    for (uint16_t i = 0; i < b->n; i++) {
        const q_bind *it = &b->items[i];
        if (it->kind != QB_VAR && it->kind != QB_BLANK)
            return q_err(it->form, "a tuple binding holds variables and _");
        int rc = bind_scalar(x, it, dt_edn_at(v, i));
        if (rc)
            return rc;
    }
    return 0;
}

/* A collection or relation binding: a relation joined in like a clause. */
static int bind_coll(q_ctx *x, q_query *q, const q_bind *b, const dt_edn_value *v, q_clause *c)
{
    if (!is_seq(v))
        return q_err(b->form, "binds a collection: its input is a vector, list or set, not a %s",
                     dt_edn_kind_name((dt_edn_kind)v->kind));
    const q_bind *item = &b->items[0];
    const q_bind *one = item;
    uint16_t width = item->kind == QB_TUPLE ? item->n : 1;
    const q_bind *slots = item->kind == QB_TUPLE ? item->items : one;
    uint16_t cols[256], pos[256], ncol = 0;
    for (uint16_t i = 0; i < width; i++) {
        if (slots[i].kind != QB_VAR && slots[i].kind != QB_BLANK)
            return q_err(slots[i].form, "a relation binding holds variables and _");
        if (slots[i].kind == QB_VAR) {
            pos[ncol] = i;
            cols[ncol++] = slots[i].var;
        }
    }
    int ri = add_rel(x, cols, ncol);
    for (size_t k = 0; k < dt_edn_count(v); k++) {
        const dt_edn_value *e = dt_edn_at(v, k);
        if (item->kind == QB_TUPLE && ((!dt_edn_is(e, DT_EDN_VECTOR) && !dt_edn_is(e, DT_EDN_LIST)) ||
                                       dt_edn_count(e) < width))
            return q_err(e, "is not a tuple of %u values (the binding %s)", width, "[[...]]");
        dt_val *row = q_rel_push(x, &x->rels[ri]);
        for (uint16_t i = 0; i < ncol; i++)
            row[i] = q_from_edn(x, item->kind == QB_TUPLE ? dt_edn_at(e, pos[i]) : e);
    }
    q_rel_distinct(x, &x->rels[ri]);
    memset(c, 0, sizeof *c);
    c->kind = QC_REL;
    c->src = -1;
    c->rule = -1;
    c->rel = ri;
    c->form = b->form;
    c->nargs = ncol;
    c->args = q_alloc(&x->arena, (ncol ? ncol : 1) * sizeof *c->args);
    for (uint16_t i = 0; i < ncol; i++)
        c->args[i] = (q_term){.kind = QT_VAR, .id = cols[i], .form = b->form};
    (void)q;
    return 0;
}

static int bind_inputs(q_ctx *x, q_query *q, const dt_q_input *inputs, size_t n)
{
    static const dt_edn_value dollar = {.kind = DT_EDN_SYMBOL, .len = 1, .u.s = "$"};
    q_in dflt = {.kind = QIN_SRC, .src = 0, .form = &dollar};
    const q_in *in = q->in_given ? q->in : &dflt;
    size_t nin = q->in_given ? q->nin : 1;
    if (n != nin)
        return q_err(q->in_given ? q->form : NULL, "the query takes %zu input%s (%s), %zu given", nin,
                     nin == 1 ? "" : "s", q->in_given ? "its :in" : "the db, for $", n);
    x->nsrc = q->nsrc;
    x->srcs = q_alloc(&x->arena, q->nsrc * sizeof *x->srcs);
    for (uint16_t i = 0; i < q->nsrc; i++) {
        x->srcs[i].rel = -1;
        x->srcs[i].name = q->srcs[i];
    }
    x->consts = q_alloc(&x->arena, (q->scope.n ? q->scope.n : 1) * sizeof *x->consts);
    x->has_const = q_alloc(&x->arena, (q->scope.n ? q->scope.n : 1) * sizeof *x->has_const);
    q_clause extra[256];
    uint16_t nextra = 0;
    int rc = 0;
    for (size_t i = 0; i < nin && !rc; i++) {
        const q_in *it = &in[i];
        const dt_q_input *v = &inputs[i];
        if (it->kind == QIN_SRC) {
            if (v->db)
                x->srcs[it->src].db = v->db;
            else
                rc = bind_source_rel(x, it, v->edn);
            continue;
        }
        if (v->db) {
            rc = q_err(it->form, "takes a value, not a database");
            break;
        }
        if (it->kind == QIN_RULES) {
            rc = q_rules_parse(x, q, v->edn);
        } else if (it->kind == QIN_PATTERN) {
            for (uint16_t f = 0; f < q->nfind; f++)
                if (q->find[f].kind == QF_PULL && q_is_plain(q->find[f].pattern) &&
                    !strcmp(q->find[f].pattern->u.s, it->name))
                    q->find[f].pattern = v->edn;
        } else if (it->bind->kind == QB_VAR || it->bind->kind == QB_BLANK) {
            rc = bind_scalar(x, it->bind, v->edn);
        } else if (it->bind->kind == QB_TUPLE) {
            rc = bind_tuple(x, it->bind, v->edn);
        } else if (nextra < 256) {
            rc = bind_coll(x, q, it->bind, v->edn, &extra[nextra++]);
        } else {
            rc = q_err(it->form, "too many collection inputs");
        }
    }
    if (rc || !nextra)
        return rc;
    q_clause *w = q_alloc(&x->arena, ((size_t)q->nwhere + nextra) * sizeof *w);
    if (q->nwhere)
        memcpy(w, q->where, q->nwhere * sizeof *w);
    memcpy(w + q->nwhere, extra, nextra * sizeof *extra);
    q->where = w;
    q->nwhere = (uint16_t)(q->nwhere + nextra);
    return 0;
}

static int check_pulls(const q_query *q)
{
    for (uint16_t f = 0; f < q->nfind; f++)
        if (q->find[f].kind == QF_PULL && q_is_plain(q->find[f].pattern))
            return q_err(q->find[f].form, "no :in input names the pattern %s", q->find[f].pattern->u.s);
    return 0;
}

/* ---- the run ---- */

static void ctx_free(q_ctx *x)
{
    if (x->q)
        q_pulls_free(x, x->q);
    for (int i = 0; i < x->ntables; i++) {
        q_table *t = x->tables[i];
        q_rel_free(x, &t->seeds);
        q_rel_free(x, &t->ans);
        q_hidx_free(&t->seeds_all);
        q_hidx_free(&t->ans_all);
        q_hidx_free(&t->ans_key);
    }
    for (int i = 0; i < x->nrels; i++)
        q_rel_free(x, &x->rels[i]);
    q_regex_free_all(x);
    free(x->intern.slots);
    dt_edn_doc_free(x->doc);
    q_arena_free(&x->arena);
}

/* The first row: the values of scalar inputs, one column each. */
static void first_row(q_ctx *x, const q_query *q, q_rel *r)
{
    uint16_t cols[256], n = 0;
    for (uint16_t v = 0; v < q->scope.n; v++)
        if (x->has_const[v])
            cols[n++] = v;
    q_rel_init(x, r, cols, n);
    dt_val *row = q_rel_push(x, r);
    for (uint16_t i = 0; i < n; i++)
        row[i] = x->consts[cols[i]];
}

static int run(q_ctx *x, const dt_edn_value *query, const dt_q_input *inputs, size_t n, dt_edn_doc *doc,
               const dt_edn_value **out, char **explain)
{
    q_query *q = q_alloc(&x->arena, sizeof *q);
    x->q = q;
    int rc = q_parse(x, query, q);
    if (!rc)
        rc = bind_inputs(x, q, inputs, n);
    if (!rc)
        rc = check_pulls(q);
    if (!rc)
        rc = q_pulls_prepare(x, q);
    if (!rc)
        rc = q_rules_prepare(x, q);
    q_plan *plan = NULL;
    if (!rc)
        rc = q_plan_query(x, q, &plan);
    if (rc)
        return rc;
    if (explain) {
        dt_buf b = DT_BUF_INIT;
        q_explain(x, q, plan, &b);
        *explain = dt_buf_detach(&b);
        return 0;
    }
    q_rel r0, res;
    first_row(x, q, &r0);
    rc = q_run(x, plan, &r0, &res);
    if (rc)
        return rc;
    dt_edn_value value;
    rc = q_shape(x, q, &res, doc, &value);
    q_rel_free(x, &res);
    if (rc)
        return rc;
    /* the value's own storage in DOC: a vector of one holds it */
    dt_edn_value box;
    rc = dt_edn_coll(doc, DT_EDN_VECTOR, &value, 1, &box);
    if (!rc)
        *out = dt_edn_at(&box, 0);
    return rc;
}

int dt_q(const dt_edn_value *query, const dt_q_input *inputs, size_t n_inputs, const dt_q_opts *opts,
         dt_edn_doc *doc, const dt_edn_value **out, char **explain)
{
    static const dt_q_opts none = {0};
    if (!opts)
        opts = &none;
    if (out)
        *out = NULL;
    if (explain)
        *explain = NULL;
    q_ctx x = {0};
    x.opts = opts;
    x.doc = dt_edn_doc_new();
    x.rng = opts->seed ? opts->seed : (uint32_t)dt_monotonic_ns();
    x.max_rel_bytes = opts->max_bytes ? opts->max_bytes : DEFAULT_MAX_BYTES;
    if (opts->timeout_ms)
        x.deadline_ns = dt_monotonic_ns() + (int64_t)opts->timeout_ms * 1000000;
    x.timeout_ms = opts->timeout_ms;
    int rc = run(&x, query, inputs, n_inputs, doc, out, opts->explain ? explain : NULL);
    ctx_free(&x);
    return rc;
}

int dt_q_text(const char *query, size_t len, const dt_q_text_input *inputs, size_t n_inputs, const dt_q_opts *opts,
              dt_edn_doc *doc, const dt_edn_value **out, char **explain)
{
    dt_edn_doc *in_doc = dt_edn_doc_new();
    const dt_edn_value *qv;
    int rc = dt_edn_read(in_doc, query, len, NULL, &qv, NULL);
    if (rc) {
        rc = dt_error_wrap("query");
        dt_edn_doc_free(in_doc);
        return rc;
    }
    dt_q_input *in = dt_calloc(n_inputs ? n_inputs : 1, sizeof *in);
    for (size_t i = 0; i < n_inputs && !rc; i++) {
        in[i].db = inputs[i].db;
        if (!inputs[i].db && (rc = dt_edn_read(in_doc, inputs[i].edn, inputs[i].len, NULL, &in[i].edn, NULL)))
            rc = dt_error_wrap("input %zu", i + 1);
    }
    if (!rc)
        rc = dt_q(qv, in, n_inputs, opts, doc, out, explain);
    free(in);
    dt_edn_doc_free(in_doc);
    return rc;
}

/* ---- the shape of :in, for callers ---- */

static uint8_t in_kind(const dt_edn_value *v)
{
    if (q_is_src(v))
        return DT_Q_IN_SRC;
    return dt_edn_is_sym(v, "%") ? DT_Q_IN_RULES : DT_Q_IN_VALUE;
}

void dt_q_in_kinds(const dt_edn_value *query, uint8_t *kinds, size_t max, size_t *n)
{
    const dt_edn_value *in = NULL;
    size_t from = 0, to = 0;
    if (dt_edn_is(query, DT_EDN_MAP)) {
        in = dt_edn_get_kw(query, "in");
        to = in ? dt_edn_count(in) : 0;
    } else {
        for (size_t i = 0; i < dt_edn_count(query); i++)
            if (dt_edn_is_kw(dt_edn_at(query, i), "in")) {
                in = query;
                from = to = i + 1;
                while (to < dt_edn_count(query) && !dt_edn_is(dt_edn_at(query, to), DT_EDN_KEYWORD))
                    to++;
            }
    }
    *n = 0;
    if (!in) {
        if (max)
            kinds[0] = DT_Q_IN_SRC;
        *n = 1;
        return;
    }
    for (size_t i = from; i < to; i++, (*n)++)
        if (*n < max)
            kinds[*n] = in_kind(dt_edn_at(in, i));
}
