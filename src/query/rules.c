/*
 * rules.c: rules (q.h): reading the % input, lifting or / or-join into
 * rules, the strata, and evaluation: bottom-up, semi-naive, to a
 * fixpoint, driven by demand.
 *
 * Demand. A rule is evaluated for one choice of bound arguments at a time
 * (its adornment: "anc with the second argument bound"), in a table
 * (q_table, made by plan.c). A call passes the values of its bound
 * arguments as seeds; the table computes answers for its seeds only, and
 * its rule bodies start from the seeds (the magic-sets idea: the bodies'
 * own calls pass their bound values on as seeds of other tables). So
 * asking for one person's ancestors walks up from that person and never
 * builds the whole ancestor relation.
 *
 * Strata. Rules calling each other form components (Tarjan's algorithm,
 * which numbers a callee's component before its caller's). A component is
 * evaluated to its fixpoint as one; a call into a lower component
 * completes there before the caller uses the answers. A rule that calls
 * back into its own component through not has no meaning and is refused.
 *
 * The fixpoint of a component, in rounds (run_component):
 *  (1) Each table holds seeds and answers in append-only relations; a
 *      round's deltas are the rows added during the round before.
 *  (2) For each body: its plan from the new seeds, reading every call in
 *      full; and, for each call into the component, a variant plan that
 *      starts from that call's delta and reads the old seeds. Every new
 *      derivation uses a new seed or a new answer, so it is found.
 *  (3) The component is done when a round adds no seed and no answer.
 * Calls inside the component (recursion) add seeds and read what the
 * table holds now; the rounds catch up with what comes later.
 */
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

/* ---- reading rules: [[(name ?a ?b) clause...] ...] ---- */

int q_rule_find(const q_ctx *x, const char *name)
{
    for (int i = 0; i < x->nrules; i++)
        if (!strcmp(x->rules[i].name, name))
            return i;
    return -1;
}

static int add_rule(q_ctx *x, const char *name, uint16_t arity, uint16_t nreq, const dt_edn_value *form)
{
    if (x->nrules == x->caprules) {
        int cap = x->caprules ? x->caprules * 2 : 16;
        q_rule *r = q_alloc(&x->arena, (size_t)cap * sizeof *r);
        if (x->nrules)
            memcpy(r, x->rules, (size_t)x->nrules * sizeof *r);
        x->rules = r;
        x->caprules = cap;
    }
    q_rule *r = &x->rules[x->nrules];
    memset(r, 0, sizeof *r);
    r->name = name;
    r->arity = arity;
    r->nreq = nreq;
    r->form = form;
    r->scc = -1;
    return x->nrules++;
}

static q_rule_def *add_def(q_ctx *x, q_rule *r)
{
    if (r->ndefs == r->capdefs) {
        uint16_t cap = r->capdefs ? (uint16_t)(r->capdefs * 2) : 4;
        q_rule_def *d = q_alloc(&x->arena, cap * sizeof *d);
        if (r->ndefs)
            memcpy(d, r->defs, r->ndefs * sizeof *d);
        r->defs = d;
        r->capdefs = cap;
    }
    q_rule_def *d = &r->defs[r->ndefs++];
    memset(d, 0, sizeof *d);
    return d;
}

/* The head (name ?a ?b) or (name [?a] ?b): its variables into DEF. */
static int parse_head(q_ctx *x, const dt_edn_value *head, q_rule_def *def, uint16_t *nreq)
{
    size_t n = dt_edn_count(head), k = 1;
    *nreq = 0;
    uint16_t vars[256];
    uint16_t nv = 0;
    if (n >= 2 && dt_edn_is(dt_edn_at(head, 1), DT_EDN_VECTOR)) {
        const dt_edn_value *req = dt_edn_at(head, 1);
        for (size_t i = 0; i < dt_edn_count(req) && nv < 255; i++) {
            const dt_edn_value *v = dt_edn_at(req, i);
            if (!q_is_var(v))
                return q_err(v, "a rule's head names variables");
            int rc = q_scope_var(x, def->scope, v->u.s, &vars[nv++]);
            if (rc)
                return rc;
        }
        *nreq = nv;
        k = 2;
    }
    for (size_t i = k; i < n && nv < 255; i++) {
        const dt_edn_value *v = dt_edn_at(head, i);
        if (!q_is_var(v))
            return q_err(head, "a rule's head names variables (constants go in the body)");
        int rc = q_scope_var(x, def->scope, v->u.s, &vars[nv++]);
        if (rc)
            return rc;
    }
    if (nv == 0)
        return q_err(head, "a rule has at least one argument");
    for (uint16_t i = 0; i < nv; i++)
        for (uint16_t j = 0; j < i; j++)
            if (vars[i] == vars[j])
                return q_err(head, "a rule's head names %s twice", def->scope->names[vars[i]]);
    def->nhead = nv;
    def->head = q_alloc(&x->arena, nv * sizeof *def->head);
    memcpy(def->head, vars, nv * sizeof *vars);
    return 0;
}

static int parse_rule(q_ctx *x, q_query *q, const dt_edn_value *form)
{
    if ((!dt_edn_is(form, DT_EDN_VECTOR) && !dt_edn_is(form, DT_EDN_LIST)) || dt_edn_count(form) < 2)
        return q_err(form, "a rule is [(name ?a ?b) clause...] with at least one clause");
    const dt_edn_value *head = dt_edn_at(form, 0);
    if ((!dt_edn_is(head, DT_EDN_LIST) && !dt_edn_is(head, DT_EDN_VECTOR)) || dt_edn_count(head) < 2 ||
        !q_is_plain(dt_edn_at(head, 0)))
        return q_err(form, "a rule starts with its head: (name ?a ?b)");
    const char *name = dt_edn_at(head, 0)->u.s;
    if (q_builtin_find(name) || !strcmp(name, "not") || !strcmp(name, "or") || !strcmp(name, "and") ||
        !strcmp(name, "not-join") || !strcmp(name, "or-join"))
        return q_err(head, "%s is a built-in name and cannot name a rule", name);
    q_rule_def tmp = {0};
    tmp.scope = q_alloc(&x->arena, sizeof *tmp.scope);
    uint16_t nreq;
    int rc = parse_head(x, head, &tmp, &nreq);
    if (rc)
        return rc;
    int ri = q_rule_find(x, name);
    if (ri < 0) {
        ri = add_rule(x, name, tmp.nhead, nreq, form);
    } else if (x->rules[ri].arity != tmp.nhead || x->rules[ri].nreq != nreq) {
        return q_err(head, "rule %s is defined with %u argument%s (%u required) elsewhere", name,
                     x->rules[ri].arity, x->rules[ri].arity == 1 ? "" : "s", x->rules[ri].nreq);
    }
    q_rule_def *def = add_def(x, &x->rules[ri]);
    *def = tmp;
    def->form = form;
    def->where = q_where(x, "rule", head);
    size_t nb = dt_edn_count(form) - 1;
    if (nb > 1000)
        return q_err(form, "more than 1000 clauses");
    def->nbody = (uint16_t)nb;
    def->body = q_alloc(&x->arena, nb * sizeof *def->body);
    for (size_t i = 0; i < nb; i++) {
        rc = q_parse_clause(x, def->scope, q, dt_edn_at(form, i + 1), def->where, &def->body[i]);
        if (rc)
            return rc;
    }
    return 0;
}

int q_rules_parse(q_ctx *x, q_query *q, const dt_edn_value *form)
{
    if (!dt_edn_is(form, DT_EDN_VECTOR) && !dt_edn_is(form, DT_EDN_LIST))
        return q_err(form, "the rules (%%) are a vector of rules [[(name ?a) clause...] ...]");
    for (size_t i = 0; i < dt_edn_count(form); i++) {
        int rc = parse_rule(x, q, dt_edn_at(form, i));
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- preparing: or lifted, calls resolved, components ---- */

static int vars_of(const q_clause *c, uint16_t nscope, uint16_t *out)
{
    uint64_t set[4] = {0};
    (void)nscope;
    q_clause_vars(c, set);
    int n = 0;
    for (int v = 0; v < 256; v++)
        if (set[v / 64] & (UINT64_C(1) << (v % 64)))
            out[n++] = (uint16_t)v;
    return n;
}

/* (or ...) and (or-join [...] ...) become a call of a new rule with a
 * definition per branch, sharing the scope of the clause: the branches'
 * other variables stay theirs (they are not the surrounding ones). */
static int lift_or(q_ctx *x, q_scope *scope, q_clause *c)
{
    uint16_t vars[256];
    uint16_t nvars = 0, nreq = c->nreq;
    if (c->join) {
        nvars = c->nvars;
        memcpy(vars, c->vars, nvars * sizeof *vars);
    } else {
        for (uint16_t b = 0; b < c->nkids; b++) {
            uint16_t bv[256];
            int n = vars_of(&c->kids[b], scope->n, bv);
            if (b == 0) {
                nvars = (uint16_t)n;
                memcpy(vars, bv, (size_t)n * sizeof *bv);
            } else if (n != nvars || memcmp(bv, vars, (size_t)n * sizeof *bv)) {
                return q_err(c->form, "the branches of or use different variables: or-join [?a ...] names the "
                                      "ones shared with the clauses around it");
            }
        }
    }
    char name[32];
    snprintf(name, sizeof name, "or#%d", ++x->nlifted);
    char *stored = q_alloc(&x->arena, strlen(name) + 1);
    strcpy(stored, name);
    int r = add_rule(x, stored, nvars, nreq, c->form);
    x->rules[r].lifted = true;
    const char *where = q_where(x, c->join ? "or-join" : "or", c->form);
    for (uint16_t b = 0; b < c->nkids; b++) {
        q_rule_def *d = add_def(x, &x->rules[r]);
        d->scope = scope;
        d->nhead = nvars;
        d->head = q_alloc(&x->arena, (nvars ? nvars : 1) * sizeof *d->head);
        memcpy(d->head, vars, nvars * sizeof *vars);
        d->nbody = c->kids[b].nkids;
        d->body = c->kids[b].kids;
        d->form = c->kids[b].form;
        d->where = where;
    }
    c->kind = QC_CALL;
    c->rule = r;
    c->nargs = nvars;
    c->args = q_alloc(&x->arena, (nvars ? nvars : 1) * sizeof *c->args);
    for (uint16_t i = 0; i < nvars; i++)
        c->args[i] = (q_term){.kind = QT_VAR, .id = vars[i], .form = c->form};
    c->nkids = 0;
    c->kids = NULL;
    c->vars = NULL;
    c->nvars = c->nreq = 0;
    return 0;
}

static int lift_list(q_ctx *x, q_scope *scope, q_clause *cl, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        q_clause *c = &cl[i];
        int rc = 0;
        if (c->kind == QC_OR)
            rc = lift_or(x, scope, c);
        else if (c->kind == QC_NOT)
            rc = lift_list(x, scope, c->kids, c->nkids);
        if (rc)
            return rc;
    }
    return 0;
}

static int resolve_call(q_ctx *x, q_clause *c)
{
    if (c->rule >= 0)
        return 0;
    const dt_edn_value *name = dt_edn_at(c->form, c->src >= 0 ? 1 : 0);
    int r = q_rule_find(x, name->u.s);
    if (r < 0) {
        if (q_builtin_find(name->u.s))
            return q_err(c->form, "%s is a function: call it as [(%s ...)] or [(%s ...) ?result]", name->u.s,
                         name->u.s, name->u.s);
        if (!x->nrules)
            return q_err(c->form, "no rule named %s: the query has no rules (they come as the %% input)",
                         name->u.s);
        return q_err(c->form, "no rule named %s", name->u.s);
    }
    if (c->nargs != x->rules[r].arity)
        return q_err(c->form, "rule %s takes %u argument%s, not %u", name->u.s, x->rules[r].arity,
                     x->rules[r].arity == 1 ? "" : "s", c->nargs);
    c->rule = r;
    return 0;
}

/* Resolves calls; gives plain not its variables (all it mentions). */
static int resolve_list(q_ctx *x, q_scope *scope, q_clause *cl, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        q_clause *c = &cl[i];
        int rc = 0;
        if (c->kind == QC_CALL) {
            rc = resolve_call(x, c);
        } else if (c->kind == QC_NOT) {
            rc = resolve_list(x, scope, c->kids, c->nkids);
            if (!rc && !c->join) {
                uint16_t vars[256];
                uint16_t nv = 0;
                for (uint16_t k = 0; k < c->nkids; k++) {
                    uint16_t kv[256];
                    int m = vars_of(&c->kids[k], scope->n, kv);
                    for (int j = 0; j < m; j++) {
                        bool have = false;
                        for (uint16_t h = 0; h < nv && !have; h++)
                            have = vars[h] == kv[j];
                        if (!have)
                            vars[nv++] = kv[j];
                    }
                }
                c->vars = q_alloc(&x->arena, (nv ? nv : 1) * sizeof *c->vars);
                memcpy(c->vars, vars, nv * sizeof *vars);
                c->nvars = nv;
            }
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- components (Tarjan, iteratively: rules may be many) ---- */

typedef struct edge {
    int to;
    bool neg;
    const q_clause *c;
} edge;

typedef struct graph {
    edge *e;
    int *first; /* per rule, edges [first[r], first[r + 1]) */
    int n, ne, cap;
} graph;

static void collect(graph *g, const q_clause *cl, uint16_t n, bool neg)
{
    for (uint16_t i = 0; i < n; i++) {
        const q_clause *c = &cl[i];
        if (c->kind == QC_CALL) {
            if (g->ne == g->cap) {
                g->cap = g->cap ? g->cap * 2 : 64;
                g->e = dt_realloc(g->e, (size_t)g->cap * sizeof *g->e);
            }
            g->e[g->ne++] = (edge){.to = c->rule, .neg = neg, .c = c};
        } else if (c->kind == QC_NOT) {
            collect(g, c->kids, c->nkids, true);
        }
    }
}

static int components(q_ctx *x)
{
    int n = x->nrules;
    graph g = {0};
    g.n = n;
    g.first = dt_calloc((size_t)n + 1, sizeof *g.first);
    for (int r = 0; r < n; r++) {
        g.first[r] = g.ne;
        for (uint16_t d = 0; d < x->rules[r].ndefs; d++)
            collect(&g, x->rules[r].defs[d].body, x->rules[r].defs[d].nbody, false);
    }
    g.first[n] = g.ne;
    int *index = dt_malloc((size_t)n * sizeof *index), *low = dt_malloc((size_t)n * sizeof *low);
    int *stack = dt_malloc((size_t)n * sizeof *stack), *cs = dt_malloc((size_t)n * sizeof *cs);
    int *ce = dt_malloc((size_t)n * sizeof *ce);
    bool *on = dt_calloc((size_t)n, sizeof *on);
    for (int i = 0; i < n; i++)
        index[i] = -1;
    int next = 0, sp = 0, nscc = 0;
    for (int root = 0; root < n; root++) {
        if (index[root] >= 0)
            continue;
        int csp = 0;
        cs[csp] = root;
        ce[csp++] = g.first[root];
        index[root] = low[root] = next++;
        stack[sp++] = root;
        on[root] = true;
        while (csp) {
            int v = cs[csp - 1];
            if (ce[csp - 1] < g.first[v + 1]) {
                int w = g.e[ce[csp - 1]++].to;
                if (index[w] < 0) {
                    index[w] = low[w] = next++;
                    stack[sp++] = w;
                    on[w] = true;
                    cs[csp] = w;
                    ce[csp++] = g.first[w];
                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            csp--;
            if (csp && low[v] < low[cs[csp - 1]])
                low[cs[csp - 1]] = low[v];
            if (low[v] == index[v]) {
                int w;
                do {
                    w = stack[--sp];
                    on[w] = false;
                    x->rules[w].scc = nscc;
                } while (w != v);
                nscc++;
            }
        }
    }
    int rc = 0;
    for (int r = 0; r < n && !rc; r++)
        for (int k = g.first[r]; k < g.first[r + 1]; k++) {
            const edge *e = &g.e[k];
            if (x->rules[e->to].scc != x->rules[r].scc)
                continue;
            x->rules[r].recursive = true;
            if (e->neg)
                rc = q_err(e->c->form, "rule %s calls %s through not, and %s depends on %s: negation "
                                       "through recursion has no meaning",
                           x->rules[r].name, x->rules[e->to].name, x->rules[e->to].name, x->rules[r].name);
            if (rc)
                break;
        }
    x->scc_running = q_alloc(&x->arena, (size_t)(nscc ? nscc : 1) * sizeof *x->scc_running);
    free(index);
    free(low);
    free(stack);
    free(cs);
    free(ce);
    free(on);
    free(g.e);
    free(g.first);
    return rc;
}

int q_rules_prepare(q_ctx *x, q_query *q)
{
    int rc = lift_list(x, &q->scope, q->where, q->nwhere);
    for (int r = 0; !rc && r < x->nrules; r++) /* lifting appends rules: they are visited too */
        for (uint16_t d = 0; !rc && d < x->rules[r].ndefs; d++)
            rc = lift_list(x, x->rules[r].defs[d].scope, x->rules[r].defs[d].body, x->rules[r].defs[d].nbody);
    if (!rc)
        rc = resolve_list(x, &q->scope, q->where, q->nwhere);
    for (int r = 0; !rc && r < x->nrules; r++)
        for (uint16_t d = 0; !rc && d < x->rules[r].ndefs; d++)
            rc = resolve_list(x, x->rules[r].defs[d].scope, x->rules[r].defs[d].body, x->rules[r].defs[d].nbody);
    if (!rc)
        rc = components(x);
    return rc;
}

/* ---- the fixpoint ---- */

static int derive(q_ctx *x, q_table *t, const q_plan *p)
{
    q_rel r0, out;
    q_rel_unit(x, &r0);
    int rc = q_run(x, p, &r0, &out);
    if (rc)
        return rc;
    for (size_t i = 0; i < out.n; i++)
        q_rel_add_distinct(x, &t->ans, &t->ans_all, q_rel_row(&out, i));
    q_rel_free(x, &out);
    return q_mem(x, 0);
}

static int run_component(q_ctx *x, int scc)
{
    x->scc_running[scc] = true;
    int rc = 0;
    for (;;) {
        bool work = false;
        for (int i = 0; i < x->ntables; i++) {
            q_table *t = x->tables[i];
            if (x->rules[t->rule].scc != scc)
                continue;
            t->seed_lo = t->seed_hi;
            t->seed_hi = t->seeds.n;
            t->ans_lo = t->ans_hi;
            t->ans_hi = t->ans.n;
            work = work || t->seed_hi > t->seed_lo || t->ans_hi > t->ans_lo;
        }
        if (!work)
            break;
        for (int i = 0; i < x->ntables && !rc; i++) {
            q_table *t = x->tables[i];
            const q_rule *rule = &x->rules[t->rule];
            if (rule->scc != scc)
                continue;
            for (uint16_t d = 0; d < rule->ndefs && !rc; d++) {
                if (t->seed_hi > t->seed_lo)
                    rc = derive(x, t, t->plans[d]);
                for (uint16_t v = 0; !rc && t->vplans && t->vplans[d] && t->vplans[d][v]; v++) {
                    const q_plan *vp = t->vplans[d][v];
                    const q_table *u = vp->steps[0].table;
                    if (t->seed_lo > 0 && u->ans_hi > u->ans_lo)
                        rc = derive(x, t, vp);
                }
            }
        }
        if (rc)
            break;
    }
    x->scc_running[scc] = false;
    return rc;
}

int q_table_demand(q_ctx *x, q_table *t, const q_rel *seeds)
{
    for (size_t i = 0; i < seeds->n; i++)
        q_rel_add_distinct(x, &t->seeds, &t->seeds_all, q_rel_row(seeds, i));
    int rc = q_mem(x, 0);
    if (rc)
        return rc;
    int scc = x->rules[t->rule].scc;
    if (x->scc_running[scc])
        return 0;
    return run_component(x, scc);
}
