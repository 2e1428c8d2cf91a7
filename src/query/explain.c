/*
 * explain.c: the plans as text (q.h, q_explain), for `datom db q
 * --explain`: each step with the clause it runs, how (the index and its
 * constant prefix, lookups or a hash join, the relation or rule table it
 * reads) and the rows the planner expects after it; then every rule table
 * the query reaches, its body plans and their semi-naive variants.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

static void put_rows(dt_buf *b, double r)
{
    if (r >= 1e15)
        dt_buf_printf(b, "%.2g", r);
    else
        dt_buf_printf(b, "%.0f", r < 1 && r > 0 ? 1.0 : ceil(r));
}

static void put_vars(dt_buf *b, const q_scope *sc, const uint16_t *v, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++)
        dt_buf_printf(b, "%s%s", i ? " " : "", sc->names[v[i]]);
}

static const char *comp_name[5] = {"e", "a", "v", "tx", "added"};

static void put_scan(q_ctx *x, dt_buf *b, const q_step *s, const q_scope *sc)
{
    dt_db *db = q_src_db(x, s->src);
    static const int comp[DT_ORDER_COUNT][4] = {{0, 1, 2, 3}, {1, 0, 2, 3}, {1, 2, 0, 3}, {2, 1, 0, 3}, {3, 0, 1, 2}};
    const char *how = s->mode == QM_LOOKUP ? "lookups" : s->mode == QM_HASH ? "hash join, scan" : "scan";
    dt_buf_printf(b, "%s %s", how, dt_order_name((dt_order)s->order));
    for (int i = 0; i < s->nprefix; i++) {
        const q_ppos *pp = &s->pos[comp[s->order][i]];
        dt_buf_putc(b, ' ');
        if (pp->how == QP_BOUND) {
            dt_buf_puts(b, sc->names[pp->var]);
        } else if (comp[s->order][i] == 1 && db && dt_db_ident(db, pp->c.u)) {
            dt_buf_printf(b, ":%s", dt_db_ident(db, pp->c.u));
        } else {
            q_val_print(b, pp->c);
        }
    }
    if (s->has_lo || s->has_hi) {
        dt_buf_puts(b, " range ");
        dt_buf_puts(b, s->has_lo ? (s->lo_incl ? "[" : "(") : "(");
        if (s->has_lo)
            q_val_print(b, s->lo);
        else
            dt_buf_puts(b, "..");
        dt_buf_puts(b, ", ");
        if (s->has_hi)
            q_val_print(b, s->hi);
        else
            dt_buf_puts(b, "..");
        dt_buf_puts(b, s->has_hi ? (s->hi_incl ? "]" : ")") : ")");
    }
    bool in_prefix[5] = {0};
    for (int i = 0; i < s->nprefix && s->mode == QM_LOOKUP; i++)
        in_prefix[comp[s->order][i]] = true;
    int nb = 0;
    for (int i = 0; i < 5; i++)
        if (s->pos[i].how == QP_BOUND && !in_prefix[i])
            dt_buf_printf(b, "%s%s=%s", nb++ ? ", " : s->mode == QM_HASH ? ", on " : ", checking ", comp_name[i],
                          sc->names[s->pos[i].var]);
    if (s->note)
        dt_buf_printf(b, "; took %s", s->note);
    if (s->empty)
        dt_buf_puts(b, "; a constant names nothing: no rows");
}

static void put_join(q_ctx *x, dt_buf *b, const q_step *s, const q_scope *sc)
{
    if (s->table) {
        const q_rule *r = &x->rules[s->table->rule];
        const char *what = s->delta == QD_ANS_DELTA ? "delta of" : s->delta == QD_SEEDS_OLD ? "old seeds of"
                         : s->delta == QD_SEEDS_DELTA ? "new seeds of" : "table";
        dt_buf_printf(b, "%s %s #%d", what, r->lifted ? "or" : r->name, s->table->id);
    } else {
        dt_buf_printf(b, "relation of %zu row%s", x->rels[s->rel].n, x->rels[s->rel].n == 1 ? "" : "s");
    }
    int nb = 0;
    for (uint16_t i = 0; i < s->narg; i++)
        if (s->arg[i].how == QP_BOUND)
            dt_buf_printf(b, "%s%s", nb++ ? " " : ", on ", sc->names[s->arg[i].var]);
    if (!nb)
        dt_buf_puts(b, s->mode == QM_PRODUCT ? ", product" : "");
}

static void put_plan(q_ctx *x, dt_buf *b, const q_plan *p, int indent);

static void put_step(q_ctx *x, dt_buf *b, const q_step *s, const q_scope *sc, int indent, int k)
{
    dt_buf_printf(b, "%*s%d. ", indent, "", k + 1);
    q_describe(b, s->c->form);
    dt_buf_printf(b, "\n%*s   ", indent, "");
    switch (s->kind) {
    case QS_SCAN: put_scan(x, b, s, sc); break;
    case QS_JOIN: put_join(x, b, s, sc); break;
    case QS_PRED: dt_buf_puts(b, "filter"); break;
    case QS_FN: dt_buf_puts(b, "bind"); break;
    default: dt_buf_puts(b, "remove rows matching:"); break;
    }
    dt_buf_puts(b, " -> ~");
    put_rows(b, s->est);
    dt_buf_puts(b, " rows");
    if (s->dedupe) {
        dt_buf_puts(b, ", keep ");
        put_vars(b, sc, s->cols, s->ncols);
    }
    dt_buf_putc(b, '\n');
    if (s->kind == QS_NOT)
        put_plan(x, b, s->sub, indent + 6);
}

static void put_plan(q_ctx *x, dt_buf *b, const q_plan *p, int indent)
{
    for (uint16_t i = 0; i < p->nsteps; i++)
        put_step(x, b, &p->steps[i], p->scope, indent, i);
}

static void put_table(q_ctx *x, dt_buf *b, const q_table *t)
{
    const q_rule *r = &x->rules[t->rule];
    dt_buf_printf(b, "\n#%d %s %s, arguments [", t->id, r->lifted ? "or" : "rule", r->name);
    for (uint16_t i = 0; i < r->arity; i++)
        dt_buf_printf(b, "%s%s", i ? " " : "", (t->bound >> i) & 1 ? "bound" : "free");
    dt_buf_printf(b, "]%s, ~", r->recursive ? ", recursive" : "");
    put_rows(b, t->est);
    dt_buf_puts(b, " answers per seed\n");
    for (uint16_t d = 0; d < r->ndefs; d++) {
        dt_buf_printf(b, "  body %u from its seeds:\n", d + 1);
        put_plan(x, b, t->plans[d], 4);
        for (int v = 0; t->vplans && t->vplans[d] && t->vplans[d][v]; v++) {
            dt_buf_printf(b, "  body %u from the delta of ", d + 1);
            q_describe(b, t->vplans[d][v]->steps[0].c->form);
            dt_buf_puts(b, ":\n");
            put_plan(x, b, t->vplans[d][v], 4);
        }
    }
}

void q_explain(q_ctx *x, const q_query *q, const q_plan *p, dt_buf *out)
{
    bool *seen = dt_calloc((size_t)x->ntables + 1, sizeof *seen);
    q_plan_reach(x, p, seen);
    dt_buf_puts(out, "query, ~");
    put_rows(out, p->est);
    dt_buf_puts(out, " rows of ");
    put_vars(out, &q->scope, p->out, p->nout);
    dt_buf_puts(out, ":\n");
    put_plan(x, out, p, 2);
    for (int i = 0; i < x->ntables; i++)
        if (seen[x->tables[i]->id])
            put_table(x, out, x->tables[i]);
    free(seen);
}
