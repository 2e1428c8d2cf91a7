/*
 * eval.c: running a plan (q.h, q_run): each step takes the relation R to
 * the next; this file has the steps that do not read a source (predicates,
 * function bindings, not) and the memory and time limits. join.c has the
 * scans and joins.
 *
 * Function results: nil (or a binding that does not fit the result) drops
 * the row, as in Datomic; a function's error (a comparison across types,
 * a division by zero) stops the query with the clause named.
 */
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

#define NONE UINT32_MAX

int q_mem(q_ctx *x, ssize_t bytes)
{
    x->rel_bytes = (size_t)((ssize_t)x->rel_bytes + bytes);
    if (x->rel_bytes > x->peak_rel_bytes)
        x->peak_rel_bytes = x->rel_bytes;
    if (x->rel_bytes > x->max_rel_bytes)
        x->over = true;
    if (bytes)
        return 0;
    if (!x->over && x->deadline_ns)
        q_past_deadline(x);
    if (x->timed_out)
        return dt_error(DATOM_ETIMEOUT, "query: stopped at its timeout (%lld ms)", (long long)x->timeout_ms);
    if (x->over)
        return dt_error(DATOM_EINVAL, "query: intermediate results passed the memory limit (%zu MiB); narrow the "
                                      "query, or raise the limit",
                        x->max_rel_bytes >> 20);
    return 0;
}

bool q_past_deadline(q_ctx *x)
{
    if (dt_monotonic_ns() <= x->deadline_ns)
        return false;
    x->timed_out = x->over = true;
    return true;
}

static int clause_error(const q_clause *c)
{
    dt_buf m = DT_BUF_INIT;
    if (c->where)
        dt_buf_printf(&m, "in %s: ", c->where);
    q_describe(&m, c->form);
    int rc = dt_error_wrap("%s", dt_buf_cstr(&m));
    dt_buf_free(&m);
    return rc;
}

static void step_args(const q_step *s, const dt_val *row, dt_val *args)
{
    for (uint16_t i = 0; i < s->c->nargs; i++)
        args[i] = s->acol[i] >= 0 ? row[s->acol[i]] : s->av[i];
}

/* ---- predicates ---- */

static int pred_step(q_ctx *x, const q_step *s, const q_rel *r, q_rel *out)
{
    dt_val args[256];
    for (size_t i = 0; i < r->n; i++) {
        if (q_stop(x))
            return q_mem(x, 0);
        const dt_val *row = q_rel_row(r, i);
        step_args(s, row, args);
        dt_val res;
        if (s->c->fn->fn(x, args, s->c->nargs, &res))
            return clause_error(s->c);
        if (q_vtruthy(res))
            q_emit(x, out, s, row, r->ncol, NULL);
    }
    return 0;
}

/* ---- function bindings ---- */

/* Items of a collection value: a tuple, a list, vector or set. */
static bool seq_count(dt_val v, size_t *n)
{
    if (v.type == DT_TUPLE) {
        *n = dt_tuple_count(v.b);
        return true;
    }
    if (v.type == DT_Q_EDN) {
        const dt_edn_value *e = q_vedn(v);
        if (e->kind == DT_EDN_LIST || e->kind == DT_EDN_VECTOR || e->kind == DT_EDN_SET) {
            *n = e->len;
            return true;
        }
    }
    return false;
}

static dt_val seq_at(q_ctx *x, dt_val v, size_t i)
{
    if (v.type == DT_TUPLE)
        return q_from_db(x, dt_tuple_get(v.b, i));
    return q_from_edn(x, dt_edn_at(q_vedn(v), i));
}

typedef struct binder {
    q_ctx *x;
    const q_step *s;
    const dt_val *row;
    uint16_t nin;
    dt_val newv[256];
    bool set[256];
} binder;

/* Binds V to the variable of binding slot K: false when it contradicts. */
static bool put(binder *b, int k, dt_val v)
{
    int col = b->s->bcol[k];
    if (col < 0)
        return true;
    if (col < b->nin)
        return q_veq(b->row[col], v);
    int j = col - b->nin;
    if (b->set[j])
        return q_veq(b->newv[j], v);
    b->newv[j] = v;
    b->set[j] = true;
    return true;
}

/* A tuple binding [?a ?b] of V from slot K on. */
static bool put_tuple(binder *b, const q_bind *t, dt_val v, int k)
{
    size_t n;
    if (!seq_count(v, &n) || n < t->n)
        return false;
    for (uint16_t i = 0; i < t->n; i++)
        if (!put(b, k + i, seq_at(b->x, v, i)))
            return false;
    return true;
}

static int fn_step(q_ctx *x, const q_step *s, const q_rel *r, q_rel *out)
{
    const q_bind *bind = s->c->bind;
    dt_val args[256];
    binder b = {.x = x, .s = s, .nin = r->ncol};
    for (size_t i = 0; i < r->n; i++) {
        if (q_stop(x))
            return q_mem(x, 0);
        const dt_val *row = q_rel_row(r, i);
        b.row = row;
        step_args(s, row, args);
        dt_val res;
        if (s->c->fn->fn(x, args, s->c->nargs, &res))
            return clause_error(s->c);
        if (res.type == DT_NIL)
            continue;
        memset(b.set, 0, s->nnew * sizeof *b.set);
        switch (bind->kind) {
        case QB_VAR:
        case QB_BLANK:
            if (put(&b, 0, res))
                q_emit(x, out, s, row, r->ncol, b.newv);
            break;
        case QB_TUPLE:
            if (put_tuple(&b, bind, res, 0))
                q_emit(x, out, s, row, r->ncol, b.newv);
            break;
        default: { /* a collection: a row per item */
            size_t n;
            if (!seq_count(res, &n)) {
                if (res.type == DT_Q_EDN && q_vedn(res)->kind == DT_EDN_MAP) {
                    dt_error(DATOM_EINVAL, "a map cannot be bound to a collection [?x ...]");
                    return clause_error(s->c);
                }
                continue;
            }
            const q_bind *item = &bind->items[0];
            for (size_t k = 0; k < n; k++) {
                memset(b.set, 0, s->nnew * sizeof *b.set);
                dt_val v = seq_at(x, res, k);
                bool ok = item->kind == QB_TUPLE ? put_tuple(&b, item, v, 0) : put(&b, 0, v);
                if (ok)
                    q_emit(x, out, s, row, r->ncol, b.newv);
            }
        }
        }
        if (x->over && q_mem(x, 0))
            return DATOM_EINVAL;
    }
    return 0;
}

/* ---- not ---- */

static int not_step(q_ctx *x, const q_step *s, const q_rel *r, q_rel *out)
{
    /* the body from R's distinct values of the joined variables */
    q_rel k;
    q_rel_init(x, &k, s->sub->out, s->nvars);
    for (size_t i = 0; i < r->n; i++) {
        const dt_val *row = q_rel_row(r, i);
        dt_val *dst = q_rel_push(x, &k);
        for (uint16_t j = 0; j < s->nvars; j++)
            dst[j] = row[s->vcol[j]];
    }
    q_rel_distinct(x, &k);
    q_rel found;
    int rc = q_run(x, s->sub, &k, &found);
    if (rc)
        return rc;
    uint16_t all[256];
    for (uint16_t j = 0; j < s->nvars; j++)
        all[j] = j;
    q_hidx h;
    q_hidx_init(&h, all, s->nvars);
    q_hidx_update(x, &h, &found);
    dt_val key[256];
    for (size_t i = 0; i < r->n; i++) {
        const dt_val *row = q_rel_row(r, i);
        for (uint16_t j = 0; j < s->nvars; j++)
            key[j] = row[s->vcol[j]];
        if (q_hidx_find(&h, &found, key, q_hash_vals(key, s->nvars)) == NONE)
            q_emit(x, out, s, row, r->ncol, NULL);
    }
    q_hidx_free(&h);
    q_rel_free(x, &found);
    return 0;
}

/* ---- a plan ---- */

int q_run(q_ctx *x, const q_plan *p, q_rel *in, q_rel *out)
{
    q_rel r = *in;
    memset(in, 0, sizeof *in);
    int rc = 0;
    for (uint16_t i = 0; i < p->nsteps && !rc; i++) {
        const q_step *s = &p->steps[i];
        q_rel next;
        if (r.n == 0) { /* nothing can come of it */
            q_step_out(x, s, &next);
        } else {
            switch (s->kind) {
            case QS_SCAN: rc = q_step_scan(x, s, &r, &next); break;
            case QS_JOIN: rc = q_step_join(x, s, &r, &next); break;
            default:
                q_step_out(x, s, &next);
                rc = s->kind == QS_PRED ? pred_step(x, s, &r, &next)
                   : s->kind == QS_FN   ? fn_step(x, s, &r, &next)
                                        : not_step(x, s, &r, &next);
            }
        }
        q_rel_free(x, &r);
        r = next;
        if (rc)
            break;
        if (s->dedupe)
            q_rel_distinct(x, &r);
        rc = q_mem(x, 0);
    }
    if (rc) {
        q_rel_free(x, &r);
        return rc;
    }
    q_rel_project(x, &r, p->out, p->nout);
    q_rel_distinct(x, &r); /* a relation is a set (a step may make equal rows) */
    if ((rc = q_mem(x, 0))) {
        q_rel_free(x, &r);
        return rc;
    }
    *out = r;
    return 0;
}
