/*
 * parse_where.c: :where clauses (and rule bodies) -> q_clause (q.h):
 *   data patterns   [$src? e a v tx added]  (1 to 5 terms: variables, constants, _)
 *   predicates      [(f args...)]
 *   functions       [(f args...) binding]
 *   rule calls      ($src? rule args...)
 *   negation        (not clauses...), (not-join [vars] clauses...)
 *   disjunction     (or branches...), (or-join [vars] branches...), a branch
 *                   being a clause or (and clauses...)
 * A clause is a list or a vector alike, as in Datomic. Which symbol is a
 * rule is known only once the % input is read: a list or vector whose head
 * is a plain symbol is a rule call, resolved by rules.c.
 */
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

static int parse_term(q_ctx *x, q_scope *scope, q_query *q, const dt_edn_value *v, bool fn_arg, q_term *t)
{
    t->form = v;
    if (q_is_var(v)) {
        t->kind = QT_VAR;
        return q_scope_var(x, scope, v->u.s, &t->id);
    }
    if (q_is_blank(v)) {
        if (fn_arg)
            return q_err(v, "_ is not a function argument");
        t->kind = QT_BLANK;
        return 0;
    }
    if (q_is_src(v)) {
        if (!fn_arg)
            return q_err(v, "a source comes first in a clause");
        t->kind = QT_SRC;
        return q_source(x, q, v, &t->id);
    }
    if (dt_edn_is(v, DT_EDN_SYMBOL) && !fn_arg)
        return q_err(v, "a symbol here is neither a variable (?x) nor _");
    t->kind = QT_CONST;
    return 0;
}

static int parse_terms(q_ctx *x, q_scope *scope, q_query *q, const dt_edn_value *form, size_t from, bool fn_arg,
                       q_clause *c)
{
    size_t n = dt_edn_count(form) - from;
    if (n > 255)
        return q_err(form, "more than 255 terms");
    c->nargs = (uint16_t)n;
    c->args = q_alloc(&x->arena, (n ? n : 1) * sizeof *c->args);
    for (size_t i = 0; i < n; i++) {
        int rc = parse_term(x, scope, q, dt_edn_at(form, from + i), fn_arg, &c->args[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* [(f args...)] and [(f args...) binding] */
static int parse_fn_clause(q_ctx *x, q_scope *scope, q_query *q, const dt_edn_value *form, q_clause *c)
{
    size_t n = dt_edn_count(form);
    const dt_edn_value *call = dt_edn_at(form, 0);
    if (n > 2)
        return q_err(form, "a function clause is [(f args...)] or [(f args...) binding]");
    if (dt_edn_count(call) == 0 || !dt_edn_is(dt_edn_at(call, 0), DT_EDN_SYMBOL))
        return q_err(form, "a function call starts with the function's name");
    const char *name = dt_edn_at(call, 0)->u.s;
    if (!strncmp(name, "clojure.core/", 13))
        name += 13;
    c->fn = q_builtin_find(name);
    if (!c->fn)
        return q_err(form, "unknown function %s (docs/formats.md lists datom's functions)", name);
    int rc = parse_terms(x, scope, q, call, 1, true, c);
    if (rc)
        return rc;
    if (c->nargs < c->fn->min || (c->fn->max >= 0 && c->nargs > c->fn->max)) {
        if (c->fn->min == c->fn->max)
            return q_err(form, "%s takes %d argument%s, not %u", name, c->fn->min, c->fn->min == 1 ? "" : "s",
                         c->nargs);
        return q_err(form, "%s takes %d to %d arguments, not %u", name, c->fn->min, c->fn->max, c->nargs);
    }
    if ((c->fn->flags & QB_F_SRC) && c->args[0].kind != QT_SRC)
        return q_err(form, "%s reads a database: its first argument is a source ($)", name);
    for (uint16_t i = (c->fn->flags & QB_F_SRC) ? 1 : 0; i < c->nargs; i++)
        if (c->args[i].kind == QT_SRC)
            return q_err(form, "%s does not take a source", name);
    if (n == 1) {
        c->kind = QC_PRED;
        return 0;
    }
    c->kind = QC_FN;
    return q_parse_bind(x, scope, dt_edn_at(form, 1), &c->bind);
}

/* [?a ?b] or [[?a] ?b] (the bracketed ones must be bound) */
static int parse_join_vars(q_ctx *x, q_scope *scope, const dt_edn_value *v, bool allow_req, q_clause *c)
{
    if (!dt_edn_is(v, DT_EDN_VECTOR) || dt_edn_count(v) == 0)
        return q_err(v, "the variables of not-join and or-join are a vector [?a ?b]");
    const dt_edn_value *items = v;
    size_t n = dt_edn_count(v), nreq = 0;
    const dt_edn_value *req = NULL;
    if (allow_req && dt_edn_is(dt_edn_at(v, 0), DT_EDN_VECTOR)) {
        req = dt_edn_at(v, 0);
        nreq = dt_edn_count(req);
    }
    size_t total = nreq + n - (req ? 1 : 0);
    if (total > 255)
        return q_err(v, "more than 255 variables");
    c->vars = q_alloc(&x->arena, (total ? total : 1) * sizeof *c->vars);
    c->nreq = (uint16_t)nreq;
    for (size_t i = 0; i < total; i++) {
        const dt_edn_value *s = i < nreq ? dt_edn_at(req, i) : dt_edn_at(items, i - nreq + (req ? 1 : 0));
        if (!q_is_var(s))
            return q_err(s, "not a variable");
        uint16_t id;
        int rc = q_scope_var(x, scope, s->u.s, &id);
        if (rc)
            return rc;
        for (uint16_t j = 0; j < c->nvars; j++)
            if (c->vars[j] == id)
                return q_err(s, "named twice");
        c->vars[c->nvars++] = id;
    }
    return 0;
}

static int parse_kids(q_ctx *x, q_scope *scope, q_query *q, const dt_edn_value *form, size_t from, const char *where,
                      q_clause *c)
{
    size_t n = dt_edn_count(form) - from;
    if (n == 0)
        return q_err(form, "needs at least one clause");
    if (n > 1000)
        return q_err(form, "more than 1000 clauses");
    c->nkids = (uint16_t)n;
    c->kids = q_alloc(&x->arena, n * sizeof *c->kids);
    for (size_t i = 0; i < n; i++) {
        int rc = q_parse_clause(x, scope, q, dt_edn_at(form, from + i), where, &c->kids[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static bool is_sym_head(const dt_edn_value *v, const char *name) { return dt_edn_is_sym(v, name); }

/* A branch of an or: (and clauses...) or one clause, made an AND either way. */
static int parse_branch(q_ctx *x, q_scope *scope, q_query *q, const dt_edn_value *form, const char *where,
                        q_clause *b)
{
    memset(b, 0, sizeof *b);
    b->kind = QC_AND;
    b->form = form;
    b->where = where;
    b->src = -1;
    b->rule = -1;
    b->rel = -1;
    if ((dt_edn_is(form, DT_EDN_LIST) || dt_edn_is(form, DT_EDN_VECTOR)) && dt_edn_count(form) > 0 &&
        is_sym_head(dt_edn_at(form, 0), "and"))
        return parse_kids(x, scope, q, form, 1, where, b);
    b->nkids = 1;
    b->kids = q_alloc(&x->arena, sizeof *b->kids);
    return q_parse_clause(x, scope, q, form, where, b->kids);
}

static int parse_or(q_ctx *x, q_scope *scope, q_query *q, const dt_edn_value *form, size_t k, const char *where,
                    q_clause *c)
{
    c->kind = QC_OR;
    size_t from = k + 1;
    if (c->join) {
        if (dt_edn_count(form) <= from)
            return q_err(form, "or-join needs its variables and at least one branch");
        int rc = parse_join_vars(x, scope, dt_edn_at(form, from), true, c);
        if (rc)
            return rc;
        from++;
    }
    size_t n = dt_edn_count(form) - from;
    if (n == 0)
        return q_err(form, "needs at least one branch");
    if (n > 1000)
        return q_err(form, "more than 1000 branches");
    c->nkids = (uint16_t)n;
    c->kids = q_alloc(&x->arena, n * sizeof *c->kids);
    for (size_t i = 0; i < n; i++) {
        int rc = parse_branch(x, scope, q, dt_edn_at(form, from + i), where, &c->kids[i]);
        if (rc)
            return rc;
    }
    return 0;
}

int q_parse_clause(q_ctx *x, q_scope *scope, q_query *q, const dt_edn_value *form, const char *where,
                   q_clause *c)
{
    memset(c, 0, sizeof *c);
    c->form = form;
    c->where = where;
    c->src = -1;
    c->rule = -1;
    c->rel = -1;
    if ((!dt_edn_is(form, DT_EDN_LIST) && !dt_edn_is(form, DT_EDN_VECTOR)) || dt_edn_count(form) == 0)
        return q_err(form, "a clause is a data pattern [?e :attr ?v], a predicate [(f ?x)], a function "
                           "[(f ?x) ?y], a rule call (rule ?x), or not, not-join, or, or-join");
    const dt_edn_value *first = dt_edn_at(form, 0);
    if (dt_edn_is(first, DT_EDN_LIST))
        return parse_fn_clause(x, scope, q, form, c);
    size_t k = 0;
    if (q_is_src(first)) {
        uint16_t s;
        int rc = q_source(x, q, first, &s);
        if (rc)
            return rc;
        c->src = (int16_t)s;
        k = 1;
        if (dt_edn_count(form) == 1)
            return q_err(form, "a source alone is not a clause");
    }
    const dt_edn_value *head = dt_edn_at(form, k);
    if (is_sym_head(head, "not") || is_sym_head(head, "not-join")) {
        c->kind = QC_NOT;
        c->join = is_sym_head(head, "not-join");
        size_t from = k + 1;
        if (c->join) {
            if (dt_edn_count(form) <= from)
                return q_err(form, "not-join needs its variables and at least one clause");
            int rc = parse_join_vars(x, scope, dt_edn_at(form, from), false, c);
            if (rc)
                return rc;
            from++;
        }
        return parse_kids(x, scope, q, form, from, where, c);
    }
    if (is_sym_head(head, "or") || is_sym_head(head, "or-join")) {
        c->join = is_sym_head(head, "or-join");
        return parse_or(x, scope, q, form, k, where, c);
    }
    if (is_sym_head(head, "and"))
        return q_err(form, "and groups the clauses of one branch of an or");
    if (q_is_plain(head)) {
        c->kind = QC_CALL;
        int rc = parse_terms(x, scope, q, form, k + 1, false, c);
        if (rc)
            return rc;
        if (c->nargs == 0)
            return q_err(form, "a rule call passes at least one argument");
        return 0;
    }
    c->kind = QC_PATTERN;
    size_t n = dt_edn_count(form) - k;
    if (n > 5)
        return q_err(form, "a data pattern has at most 5 terms [e a v tx added]");
    return parse_terms(x, scope, q, form, k, false, c);
}

/* ---- the variables a clause shows to the clauses around it ---- */

static void set_var(uint64_t *set, uint16_t v) { set[v / 64] |= UINT64_C(1) << (v % 64); }

static void bind_vars(const q_bind *b, uint64_t *set)
{
    if (b->kind == QB_VAR)
        set_var(set, b->var);
    for (uint16_t i = 0; i < b->n; i++)
        bind_vars(&b->items[i], set);
}

void q_clause_vars(const q_clause *c, uint64_t *set)
{
    if ((c->kind == QC_NOT || c->kind == QC_OR) && c->vars) {
        for (uint16_t i = 0; i < c->nvars; i++)
            set_var(set, c->vars[i]);
        return;
    }
    for (uint16_t i = 0; i < c->nargs; i++)
        if (c->args[i].kind == QT_VAR)
            set_var(set, c->args[i].id);
    if (c->bind)
        bind_vars(c->bind, set);
    for (uint16_t i = 0; i < c->nkids; i++)
        q_clause_vars(&c->kids[i], set);
}
