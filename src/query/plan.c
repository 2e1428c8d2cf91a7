/*
 * plan.c: from clauses to steps (q.h): which clause runs when, on which
 * index, by lookups or by a hash join. Planning reads counts and samples
 * of the db (estimate.c), never its datoms, and every error a query can
 * have is found here, before anything runs: a predicate or not whose
 * variables nothing binds, a rule called without its required arguments,
 * an unknown attribute, a constant of the wrong type.
 *
 * The order is greedy, by estimated rows (the written order does not
 * matter):
 *  (1) predicates and not go as soon as their variables are bound (they
 *      only remove rows), then functions whose arguments are bound;
 *  (2) otherwise the data pattern, relation or rule call that leaves the
 *      fewest rows: a pattern's rows are the datoms its constants select
 *      (an index count), divided by the distinct values of each position
 *      bound by earlier steps; comparisons of a pattern's value with a
 *      constant are taken into its scan as an AVET range;
 *  (3) a pattern sharing variables with earlier steps runs by index
 *      lookups (one cursor per distinct key) when that reads less than a
 *      scan of what its constants select plus a hash join.
 * After each step, the columns no later clause and no result needs are
 * dropped, and the rows that become equal with them.
 *
 * Rule bodies are planned per table (a rule with some arguments bound,
 * rules.c): from the seeds, and once more from each recursive call's
 * delta (the semi-naive variants), each call keeping the table the main
 * plan chose for it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "query/plan.h"

dt_db *q_src_db(q_ctx *x, int16_t src)
{
    if (src < 0)
        src = 0;
    return src < x->nsrc ? x->srcs[src].db : NULL;
}

int q_perr(const pctx *p, const q_clause *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = q_verr(c && c->where ? c->where : p->where, c ? c->form : NULL, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- taking a step ---- */

static void pending_vars(const pctx *p, vset *need)
{
    *need = p->out;
    for (int i = 0; i < p->ncl; i++)
        if (!p->cl[i].done) {
            uint64_t set[4] = {0};
            q_clause_vars(p->cl[i].c, set);
            for (int w = 0; w < 4; w++)
                need->w[w] |= set[w];
        }
}

static uint16_t *arena_u16(q_ctx *x, const uint16_t *v, uint16_t n)
{
    uint16_t *out = q_alloc(&x->arena, (n ? n : 1) * sizeof *out);
    if (n)
        memcpy(out, v, n * sizeof *v);
    return out;
}

static void add_col(pctx *p, uint16_t var)
{
    p->cols[p->ncols++] = var;
    vs_add(&p->bound, var);
}

/* Arguments of a predicate or function: constants, or columns. */
static void fn_args(pctx *p, q_step *s)
{
    const q_clause *c = s->c;
    s->av = q_alloc(&p->x->arena, (c->nargs ? c->nargs : 1) * sizeof *s->av);
    s->acol = q_alloc(&p->x->arena, (c->nargs ? c->nargs : 1) * sizeof *s->acol);
    for (uint16_t i = 0; i < c->nargs; i++) {
        const q_term *t = &c->args[i];
        s->acol[i] = -1;
        if (t->kind == QT_SRC)
            s->av[i] = (dt_val){.type = DT_Q_SRC, .u = t->id};
        else if (!q_plan_const(p, t, &s->av[i]))
            s->acol[i] = (int16_t)col_of(p, t->id);
    }
}

/* The binding of a function's result: per variable, its column (an
 * existing one to compare with, or a new one). */
static void fn_bind(pctx *p, const q_bind *b, int16_t *bcol, int *k)
{
    if (b->kind == QB_VAR) {
        int col = col_of(p, b->var);
        if (col < 0) {
            col = p->ncols;
            add_col(p, b->var);
        }
        bcol[(*k)++] = (int16_t)col;
        return;
    }
    if (b->kind == QB_BLANK) {
        bcol[(*k)++] = -1;
        return;
    }
    for (uint16_t i = 0; i < b->n; i++)
        fn_bind(p, &b->items[i], bcol, k);
}

static int count_bind(const q_bind *b)
{
    if (b->kind == QB_VAR || b->kind == QB_BLANK)
        return 1;
    int n = 0;
    for (uint16_t i = 0; i < b->n; i++)
        n += count_bind(&b->items[i]);
    return n;
}

static int plan_body(pctx *p, const uint16_t *out, uint16_t nout, const char *what, q_plan **plan);
static int init_pcl(pctx *p, pcl *pc, const q_clause *c);

static int take(pctx *p, pcl *pc, q_step *s)
{
    q_ctx *x = p->x;
    pc->done = true;
    uint16_t before = p->ncols;
    int rc = 0;
    switch (s->kind) {
    case QS_SCAN:
        rc = q_plan_ranges(p, pc, s, q_src_db(x, pc->src), true);
        for (int i = 0; i < 5; i++)
            if (s->pos[i].how == QP_OUT)
                add_col(p, s->pos[i].var);
        break;
    case QS_JOIN:
        for (uint16_t i = 0; i < s->narg; i++)
            if (s->arg[i].how == QP_OUT)
                add_col(p, s->arg[i].var);
        break;
    case QS_PRED: fn_args(p, s); break;
    case QS_FN: {
        fn_args(p, s);
        int k = 0;
        s->bcol = q_alloc(&x->arena, (size_t)count_bind(s->c->bind) * sizeof *s->bcol);
        fn_bind(p, s->c->bind, s->bcol, &k);
        break;
    }
    case QS_NOT: {
        const q_clause *c = s->c;
        s->nvars = c->nvars;
        s->vcol = q_alloc(&x->arena, (c->nvars ? c->nvars : 1) * sizeof *s->vcol);
        pctx sub = {.x = x, .scope = p->scope, .dsrc = c->src >= 0 ? c->src : p->dsrc, .self = p->self,
                    .where = c->where ? c->where : p->where};
        for (uint16_t i = 0; i < c->nvars; i++) {
            s->vcol[i] = (uint16_t)col_of(p, c->vars[i]);
            sub.cols[sub.ncols++] = c->vars[i];
            vs_add(&sub.bound, c->vars[i]);
            vs_add(&sub.out, c->vars[i]);
            if (vs_has(&p->constok, c->vars[i]))
                vs_add(&sub.constok, c->vars[i]);
        }
        sub.rows = 1;
        sub.ncl = c->nkids;
        sub.cl = q_alloc(&x->arena, (c->nkids ? c->nkids : 1) * sizeof *sub.cl);
        rc = 0;
        for (uint16_t i = 0; i < c->nkids && !rc; i++)
            rc = init_pcl(&sub, &sub.cl[i], &c->kids[i]);
        if (!rc)
            rc = plan_body(&sub, c->vars, c->nvars, "not", &s->sub);
        break;
    }
    default: break;
    }
    if (rc)
        return rc;
    s->nnew = (uint16_t)(p->ncols - before);
    p->rows = s->est < 1e-3 ? 1e-3 : s->est;
    vset need;
    pending_vars(p, &need);
    uint16_t keep[256], kvars[256], nk = 0;
    for (uint16_t i = 0; i < p->ncols; i++)
        if (vs_has(&need, p->cols[i])) {
            keep[nk] = i;
            kvars[nk++] = p->cols[i];
        }
    s->dedupe = nk < p->ncols;
    /* a scan hiding e, a or v (_) makes equal rows of distinct datoms */
    for (int i = 0; i < 3 && s->kind == QS_SCAN; i++)
        s->dedupe = s->dedupe || s->pos[i].how == QP_NONE;
    s->nkeep = nk;
    s->keep = arena_u16(x, keep, nk);
    s->ncols = nk;
    s->cols = arena_u16(x, kvars, nk);
    memcpy(p->cols, kvars, nk * sizeof *kvars);
    p->ncols = nk;
    if (p->nsteps == p->capsteps) {
        p->capsteps = p->capsteps ? p->capsteps * 2 : 8;
        q_step *steps = q_alloc(&x->arena, (size_t)p->capsteps * sizeof *steps);
        if (p->nsteps)
            memcpy(steps, p->steps, (size_t)p->nsteps * sizeof *steps);
        p->steps = steps;
    }
    p->steps[p->nsteps++] = *s;
    return 0;
}

/* ---- a body ---- */

static int init_pcl(pctx *p, pcl *pc, const q_clause *c)
{
    q_ctx *x = p->x;
    memset(pc, 0, sizeof *pc);
    pc->c = c;
    pc->src = c->src >= 0 ? c->src : p->dsrc;
    switch (c->kind) {
    case QC_PATTERN: {
        if (pc->src >= x->nsrc || (!x->srcs[pc->src].db && x->srcs[pc->src].rel < 0))
            return q_perr(p, c, "source %s has no input", x->q->srcs[pc->src]);
        dt_db *db = x->srcs[pc->src].db;
        if (!db) {
            pc->kind = PK_RELPAT;
            return 0;
        }
        pc->kind = PK_SCAN;
        return q_plan_template(p, pc, db);
    }
    case QC_REL: pc->kind = PK_REL; return 0;
    case QC_CALL: pc->kind = PK_CALL; return 0;
    case QC_PRED: pc->kind = PK_PRED; break;
    case QC_FN: pc->kind = PK_FN; break;
    case QC_NOT: pc->kind = PK_NOT; break;
    default: return q_perr(p, c, "this clause cannot stand here");
    }
    for (uint16_t i = 0; i < c->nargs; i++) /* functions reading a db: their source must be one */
        if (c->args[i].kind == QT_SRC && (c->args[i].id >= x->nsrc || !x->srcs[c->args[i].id].db))
            return q_perr(p, c, "source %s is not a database given in :in", x->q->srcs[c->args[i].id]);
    if (c->kind == QC_NOT && c->src >= 0 && (c->src >= x->nsrc || !x->srcs[c->src].db))
        return q_perr(p, c, "source %s is not a database given in :in", x->q->srcs[c->src]);
    return 0;
}

static void name_unbound(const pctx *p, const uint16_t *vars, uint16_t n, dt_buf *m)
{
    int k = 0;
    for (uint16_t i = 0; i < n; i++)
        if (!known(p, vars[i]))
            dt_buf_printf(m, "%s%s", k++ ? ", " : "", p->scope->names[vars[i]]);
}

/* Why no clause can go next: the first waiting clause, and what it lacks. */
static int stuck(const pctx *p, const char *deferred)
{
    if (deferred)
        return dt_error(DATOM_EINVAL, "%s", deferred);
    for (int i = 0; i < p->ncl; i++) {
        const pcl *pc = &p->cl[i];
        if (pc->done)
            continue;
        const q_clause *c = pc->c;
        uint16_t vars[256], n = 0;
        dt_buf m = DT_BUF_INIT;
        int rc;
        if (pc->kind == PK_NOT) {
            name_unbound(p, c->vars, c->nvars, &m);
            rc = q_perr(p, c, "%s %s not bound by the clauses around it (%s)", dt_buf_cstr(&m),
                      strchr(dt_buf_cstr(&m), ',') ? "are" : "is",
                      c->join ? "not-join needs the variables it names bound"
                              : "not unifies every variable it mentions with the clauses around it; "
                                "not-join [?x] names the ones it shares");
        } else if (pc->kind == PK_CALL) {
            const q_rule *r = &p->x->rules[c->rule];
            for (uint16_t k = 0; k < c->nargs && k < r->nreq; k++)
                if (c->args[k].kind == QT_VAR)
                    vars[n++] = c->args[k].id;
            name_unbound(p, vars, n, &m);
            if (r->lifted)
                rc = q_perr(p, c, "or-join needs %s bound (its [[?a] ...] variables)", dt_buf_cstr(&m));
            else
                rc = q_perr(p, c, "rule %s needs its first %u argument%s bound: %s is not", r->name, r->nreq,
                          r->nreq == 1 ? "" : "s", dt_buf_cstr(&m));
        } else {
            for (uint16_t k = 0; k < c->nargs; k++)
                if (c->args[k].kind == QT_VAR)
                    vars[n++] = c->args[k].id;
            name_unbound(p, vars, n, &m);
            rc = q_perr(p, c, "%s %s not bound by any other clause (a %s needs its arguments bound)",
                      dt_buf_cstr(&m), strchr(dt_buf_cstr(&m), ',') ? "are" : "is",
                      pc->kind == PK_PRED ? "predicate" : "function");
        }
        dt_buf_free(&m);
        return rc;
    }
    return dt_error(DATOM_EINTERNAL, "planner: no clause can go next");
}

static bool better(const q_step *a, const q_step *b)
{
    if (a->est != b->est)
        return a->est < b->est;
    return a->cost < b->cost;
}

static int plan_body(pctx *p, const uint16_t *out, uint16_t nout, const char *what, q_plan **plan)
{
    int rc = 0;
    for (;;) {
        int pick = -1, pass;
        q_step best, s;
        bool ok;
        /* forced first, then filters, then functions, then the cheapest join */
        for (pass = 0; pass < 4 && pick < 0 && !rc; pass++)
            for (int i = 0; i < p->ncl && !rc; i++) {
                pcl *pc = &p->cl[i];
                if (pc->done)
                    continue;
                bool filter = pc->kind == PK_PRED || pc->kind == PK_NOT;
                if ((pass == 0 && !pc->first) || (pass == 1 && !filter) || (pass == 2 && pc->kind != PK_FN) ||
                    (pass == 3 && (filter || pc->kind == PK_FN || pc->first)))
                    continue;
                rc = q_plan_consider(p, pc, &s, &ok);
                if (rc || !ok)
                    continue;
                if (pick < 0 || (pass == 3 && better(&s, &best))) {
                    pick = i;
                    best = s;
                    if (pass < 3)
                        break;
                }
            }
        if (rc)
            break;
        if (pick < 0) {
            for (int i = 0; i < p->ncl; i++)
                if (!p->cl[i].done) {
                    rc = stuck(p, p->deferred);
                    break;
                }
            break;
        }
        rc = take(p, &p->cl[pick], &best);
        if (rc)
            break;
    }
    if (rc)
        return rc;
    for (uint16_t i = 0; i < nout; i++)
        if (!known(p, out[i]))
            return q_perr(p, NULL, "%s is not bound by %s", p->scope->names[out[i]],
                        p->self ? "the rule's body when the rule is called without it"
                                : !strcmp(what, "not") ? "the body of not" : "any clause or input");
    q_plan *pl = q_alloc(&p->x->arena, sizeof *pl);
    pl->nsteps = (uint16_t)p->nsteps;
    pl->steps = p->steps;
    pl->nout = nout;
    pl->out = arena_u16(p->x, out, nout);
    pl->est = p->rows;
    for (int i = 0; i < p->nsteps; i++)
        pl->cost += p->steps[i].cost;
    pl->scope = p->scope;
    pl->what = what;
    *plan = pl;
    return 0;
}

/* ---- tables ---- */

/* The seeds as a clause of the body: the head's bound variables. */
static q_clause *seed_clause(q_ctx *x, const q_rule_def *d, uint32_t bound)
{
    q_clause *c = q_alloc(&x->arena, sizeof *c);
    c->kind = QC_REL;
    c->src = -1;
    c->rule = -1;
    c->rel = -1;
    c->form = d->form;
    c->where = d->where;
    c->args = q_alloc(&x->arena, (d->nhead ? d->nhead : 1) * sizeof *c->args);
    for (uint16_t i = 0; i < d->nhead; i++)
        if ((bound >> i) & 1)
            c->args[c->nargs++] = (q_term){.kind = QT_VAR, .id = d->head[i], .form = d->form};
    return c;
}

static int plan_def(q_ctx *x, q_table *t, const q_rule_def *d, const q_clause *seeds, const q_plan *main,
                    const q_clause *delta, q_plan **out)
{
    pctx p = {.x = x, .scope = d->scope, .dsrc = t->src, .self = t, .where = d->where, .rows = 1,
              .seeds_from = main ? QD_SEEDS_OLD : QD_SEEDS_DELTA};
    p.ncl = d->nbody + 1;
    p.cl = q_alloc(&x->arena, (size_t)p.ncl * sizeof *p.cl);
    int rc = init_pcl(&p, &p.cl[0], seeds);
    p.cl[0].kind = PK_SEEDS;
    p.cl[0].first = !main;
    for (uint16_t i = 0; i < d->nbody && !rc; i++) {
        pcl *pc = &p.cl[i + 1];
        rc = init_pcl(&p, pc, &d->body[i]);
        if (rc || !main || pc->kind != PK_CALL)
            continue;
        for (uint16_t k = 0; k < main->nsteps; k++)
            if (main->steps[k].c == pc->c)
                pc->forced = main->steps[k].table;
        pc->first = pc->c == delta;
    }
    for (uint16_t i = 0; i < d->nhead; i++)
        vs_add(&p.out, d->head[i]);
    const q_rule *r = &x->rules[t->rule];
    char buf[160];
    snprintf(buf, sizeof buf, "%s %s", r->lifted ? "or" : "rule", r->name);
    const char *what = q_where(x, buf, d->form);
    return rc ? rc : plan_body(&p, d->head, d->nhead, what, out);
}

static int plan_table(q_ctx *x, q_table *t)
{
    const q_rule *r = &x->rules[t->rule];
    t->plans = q_alloc(&x->arena, r->ndefs * sizeof *t->plans);
    t->est = t->cost = 0;
    int rc = 0;
    for (uint16_t d = 0; d < r->ndefs && !rc; d++) {
        const q_clause *seeds = seed_clause(x, &r->defs[d], t->bound);
        rc = plan_def(x, t, &r->defs[d], seeds, NULL, NULL, &t->plans[d]);
        if (!rc) {
            t->est += t->plans[d]->est;
            t->cost += t->plans[d]->cost;
        }
    }
    if (rc || !r->recursive)
        return rc;
    /* the semi-naive variants: one per call into the component */
    t->vplans = q_alloc(&x->arena, r->ndefs * sizeof *t->vplans);
    for (uint16_t d = 0; d < r->ndefs && !rc; d++) {
        const q_plan *main = t->plans[d];
        int nv = 0;
        t->vplans[d] = q_alloc(&x->arena, ((size_t)main->nsteps + 1) * sizeof **t->vplans);
        for (uint16_t k = 0; k < main->nsteps && !rc; k++) {
            const q_step *s = &main->steps[k];
            if (s->kind != QS_JOIN || !s->table || s->c->kind != QC_CALL || x->rules[s->table->rule].scc != r->scc)
                continue;
            const q_clause *seeds = seed_clause(x, &r->defs[d], t->bound);
            rc = plan_def(x, t, &r->defs[d], seeds, main, s->c, &t->vplans[d][nv++]);
        }
    }
    return rc;
}

int q_table_get(q_ctx *x, int rule, uint32_t bound, int16_t src, q_table **out)
{
    if (src < 0)
        src = 0;
    for (int i = 0; i < x->ntables; i++) {
        q_table *t = x->tables[i];
        if (t->rule == rule && t->bound == bound && t->src == src) {
            *out = t;
            return t->err ? dt_error(t->err, "%s", t->errmsg) : 0;
        }
    }
    const q_rule *r = &x->rules[rule];
    *out = NULL;
    if (r->arity > 32)
        return q_err(r->form, "a rule takes at most 32 arguments");
    if (x->ntables == x->captables) {
        x->captables = x->captables ? x->captables * 2 : 16;
        q_table **v = q_alloc(&x->arena, (size_t)x->captables * sizeof *v);
        if (x->ntables)
            memcpy(v, x->tables, (size_t)x->ntables * sizeof *v);
        x->tables = v;
    }
    q_table *t = q_alloc(&x->arena, sizeof *t);
    x->tables[x->ntables++] = t;
    t->rule = rule;
    t->bound = bound;
    t->src = src;
    t->id = x->ntables;
    uint16_t all[32], keys[32], nk = 0;
    for (uint16_t i = 0; i < r->arity; i++) {
        all[i] = i;
        if ((bound >> i) & 1)
            keys[nk++] = i;
    }
    q_rel_init(x, &t->seeds, all, nk);
    q_rel_init(x, &t->ans, all, r->arity);
    q_hidx_init(&t->seeds_all, all, nk);
    q_hidx_init(&t->ans_all, all, r->arity);
    q_hidx_init(&t->ans_key, keys, nk);
    t->planning = true;
    int rc = plan_table(x, t);
    t->planning = false;
    *out = t;
    if (rc) {
        t->err = rc;
        const char *m = datom_errmsg();
        t->errmsg = q_alloc(&x->arena, strlen(m) + 1);
        strcpy(t->errmsg, m);
    }
    return rc;
}

/* ---- the query ---- */

void q_plan_reach(q_ctx *x, const q_plan *p, bool *seen)
{
    for (uint16_t i = 0; i < p->nsteps; i++) {
        const q_step *s = &p->steps[i];
        if (s->kind == QS_NOT)
            q_plan_reach(x, s->sub, seen);
        const q_table *t = s->table;
        if (!t || seen[t->id])
            continue;
        seen[t->id] = true;
        const q_rule *r = &x->rules[t->rule];
        for (uint16_t d = 0; d < r->ndefs && !t->err; d++) {
            q_plan_reach(x, t->plans[d], seen);
            for (int v = 0; t->vplans && t->vplans[d] && t->vplans[d][v]; v++)
                q_plan_reach(x, t->vplans[d][v], seen);
        }
    }
}

/* A rule's table is planned when a clause first calls it; a recursive call
 * met while it is still being planned is taken on trust. If that table then
 * fails, a plan made meanwhile can still reach it (through the table that
 * trusted it): the query cannot run, and says why. */
static int check_reached(q_ctx *x, const q_plan *p)
{
    bool *seen = dt_calloc((size_t)x->ntables + 1, sizeof *seen);
    q_plan_reach(x, p, seen);
    const q_table *bad = NULL;
    for (int i = 0; i < x->ntables && !bad; i++)
        if (seen[x->tables[i]->id] && x->tables[i]->err)
            bad = x->tables[i];
    free(seen);
    return bad ? dt_error(bad->err, "%s", bad->errmsg) : 0;
}

int q_plan_query(q_ctx *x, q_query *q, q_plan **out)
{
    pctx p = {.x = x, .scope = &q->scope, .dsrc = 0, .rows = 1};
    for (uint16_t v = 0; v < q->scope.n; v++)
        if (x->has_const[v]) {
            p.cols[p.ncols++] = v;
            vs_add(&p.bound, v);
            vs_add(&p.constok, v);
        }
    uint16_t outv[512], nout = 0;
    for (uint16_t i = 0; i < q->nfind; i++)
        outv[nout++] = q->find[i].var;
    for (uint16_t i = 0; i < q->nwith; i++)
        outv[nout++] = q->with[i];
    /* each variable once */
    uint16_t uniq[512], nu = 0;
    for (uint16_t i = 0; i < nout; i++) {
        bool have = false;
        for (uint16_t j = 0; j < nu && !have; j++)
            have = uniq[j] == outv[i];
        if (!have) {
            uniq[nu++] = outv[i];
            vs_add(&p.out, outv[i]);
        }
    }
    p.ncl = q->nwhere;
    p.cl = q_alloc(&x->arena, (q->nwhere ? q->nwhere : 1) * sizeof *p.cl);
    int rc = 0;
    for (uint16_t i = 0; i < q->nwhere && !rc; i++)
        rc = init_pcl(&p, &p.cl[i], &q->where[i]);
    if (!rc)
        rc = plan_body(&p, uniq, nu, "query", out);
    return rc ? rc : check_reached(x, *out);
}
