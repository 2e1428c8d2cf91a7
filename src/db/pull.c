/*
 * pull.c: pull patterns (pull.h), Datomic's grammar:
 *
 *   pattern    = [spec ...]
 *   spec       = attr | * | :db/id | [attr option ...] | (limit attr n) | (default attr v) | {key sub ...}
 *   attr       = :ns/name | :ns/_name (reverse)
 *   option     = :as any | :limit n-or-nil | :default any
 *   key        = attr | [attr option ...];  sub = pattern | n (recursion depth) | ... (unbounded)
 *
 * Results: a map per entity, keys as written (or :as), cardinality-many and
 * reverse values as vectors (at most :limit, 1000 by default), references
 * as {:db/id e} unless a sub-pattern says more; component entities pulled
 * whole when no sub-pattern is given; the reverse of a component is its one
 * owner. Recursion follows the pattern around it, to its depth; an entity
 * met again on the way down is {:db/id e}. Missing attributes are left out
 * (or given their :default); a result with nothing in it is nil.
 */
#include <stdlib.h>
#include <string.h>

#include "db/pull.h"

#define DEFAULT_LIMIT 1000
#define MAX_DEPTH 256

enum { SPEC_ATTR, SPEC_WILD, SPEC_ID };

typedef struct pspec {
    uint8_t kind;
    bool reverse;
    uint32_t a;
    dt_edn_value key;
    int64_t limit; /* -1: none */
    const dt_edn_value *dflt;
    dt_pull *sub;
    int recurse; /* 0: no; -1: unbounded; n: depth */
} pspec;

struct dt_pull {
    pspec *v;
    size_t n;
};

void dt_pull_free(dt_pull *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        dt_pull_free(p->v[i].sub);
    free(p->v);
    free(p);
}

/* ---- parsing ---- */

static int pat_error(const dt_edn_value *at, const char *fmt, ...) DT_PRINTF(2, 3);
static int pat_error(const dt_edn_value *at, const char *fmt, ...)
{
    dt_buf b = DT_BUF_INIT;
    char *text = dt_edn_to_string(at);
    if (at->line)
        dt_buf_printf(&b, "pull pattern %u:%u: %s", at->line, at->col, text);
    else
        dt_buf_printf(&b, "pull pattern: %s", text);
    free(text);
    va_list ap;
    va_start(ap, fmt);
    int rc = dt_error_head(DATOM_EINVAL, &b, fmt, ap);
    va_end(ap);
    return rc;
}

static pspec *push_spec(dt_pull *p)
{
    p->v = dt_realloc(p->v, (p->n + 1) * sizeof *p->v);
    pspec *s = &p->v[p->n++];
    memset(s, 0, sizeof *s);
    s->limit = DEFAULT_LIMIT;
    return s;
}

/* An attribute name into S (:db/id included). */
static int parse_name(dt_db *db, const dt_edn_value *v, pspec *s)
{
    if (v->kind != DT_EDN_KEYWORD)
        return pat_error(v, "an attribute is a keyword");
    s->key = *v;
    if (dt_edn_is_kw(v, "db/id")) {
        s->kind = SPEC_ID;
        return 0;
    }
    const dt_attr *a = dt_attr_of_kw(db, v, &s->reverse);
    if (!a)
        return pat_error(v, "no such attribute");
    if (s->reverse && a->type != DT_REF)
        return pat_error(v, "a reverse attribute needs a reference attribute");
    s->kind = SPEC_ATTR;
    s->a = a->id;
    return 0;
}

/* Option NAME ("as", "limit", "default") with value V; EXPR for messages. */
static int parse_option(const dt_edn_value *expr, const char *name, const dt_edn_value *v, pspec *s)
{
    if (!strcmp(name, "as"))
        s->key = *v;
    else if (!strcmp(name, "limit")) {
        if (v->kind == DT_EDN_NIL)
            s->limit = -1;
        else if (v->kind == DT_EDN_INT && v->u.i > 0)
            s->limit = v->u.i;
        else
            return pat_error(expr, ":limit is a positive number or nil");
    } else if (!strcmp(name, "default"))
        s->dflt = v;
    else
        return pat_error(expr, "unknown option (known: :as, :limit, :default)");
    return 0;
}

/* [attr option value ...], (limit attr n), (default attr value). */
static int parse_expr(dt_db *db, const dt_edn_value *v, pspec *s)
{
    size_t n = dt_edn_count(v);
    if (v->kind == DT_EDN_LIST && n == 3 && dt_edn_at(v, 0)->kind == DT_EDN_SYMBOL) {
        const dt_edn_value *f = dt_edn_at(v, 0);
        bool lim = dt_edn_is_sym(f, "limit");
        if (!lim && !dt_edn_is_sym(f, "default"))
            return pat_error(v, "unknown function (known: limit, default)");
        int rc = parse_name(db, dt_edn_at(v, 1), s);
        return rc ? rc : parse_option(v, lim ? "limit" : "default", dt_edn_at(v, 2), s);
    }
    if (n < 1 || n % 2 != 1)
        return pat_error(v, "expected [attr option value ...]");
    int rc = parse_name(db, dt_edn_at(v, 0), s);
    for (size_t i = 1; rc == 0 && i < n; i += 2) {
        const dt_edn_value *k = dt_edn_at(v, i);
        if (k->kind != DT_EDN_KEYWORD)
            return pat_error(v, "an option is a keyword (:as, :limit, :default)");
        rc = parse_option(v, k->u.s, dt_edn_at(v, i + 1), s);
    }
    return rc;
}

static int parse_pattern(dt_db *db, const dt_edn_value *pattern, int depth, dt_pull **out);

static int parse_map(dt_db *db, const dt_edn_value *m, dt_pull *p, int depth)
{
    for (size_t i = 0; i < dt_edn_count(m); i++) {
        const dt_edn_value *k = dt_edn_key(m, i), *v = dt_edn_val(m, i);
        pspec *s = push_spec(p);
        int rc = k->kind == DT_EDN_KEYWORD ? parse_name(db, k, s) : parse_expr(db, k, s);
        if (rc)
            return rc;
        if (s->kind != SPEC_ATTR || !dt_db_attr(db, s->a) || dt_db_attr(db, s->a)->type != DT_REF)
            return pat_error(k, "a nested pattern needs a reference attribute");
        if (v->kind == DT_EDN_INT && v->u.i > 0)
            s->recurse = v->u.i > MAX_DEPTH ? MAX_DEPTH : (int)v->u.i;
        else if (dt_edn_is_sym(v, "..."))
            s->recurse = -1;
        else if ((rc = parse_pattern(db, v, depth + 1, &s->sub)))
            return rc;
    }
    return 0;
}

static int parse_pattern(dt_db *db, const dt_edn_value *pattern, int depth, dt_pull **out)
{
    *out = NULL;
    if (pattern->kind != DT_EDN_VECTOR && pattern->kind != DT_EDN_LIST)
        return pat_error(pattern, "a pattern is a vector");
    if (depth > MAX_DEPTH)
        return pat_error(pattern, "nested too deep");
    dt_pull *p = dt_calloc(1, sizeof *p);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < dt_edn_count(pattern); i++) {
        const dt_edn_value *v = dt_edn_at(pattern, i);
        if (dt_edn_is_sym(v, "*") || (v->kind == DT_EDN_STRING && !strcmp(v->u.s, "*")))
            push_spec(p)->kind = SPEC_WILD;
        else if (v->kind == DT_EDN_KEYWORD)
            rc = parse_name(db, v, push_spec(p));
        else if (v->kind == DT_EDN_VECTOR || v->kind == DT_EDN_LIST)
            rc = parse_expr(db, v, push_spec(p));
        else if (v->kind == DT_EDN_MAP)
            rc = parse_map(db, v, p, depth);
        else
            rc = pat_error(v, "not a pattern element");
    }
    if (rc) {
        dt_pull_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int dt_pull_parse(dt_db *db, const dt_edn_value *pattern, dt_pull **out)
{
    return parse_pattern(db, pattern, 0, out);
}

/* ---- running ----
 * One cursor per depth of the entity path, sought from lookup to lookup
 * (an entity's attributes lie together in EAVT, so a seek mostly stays in
 * one leaf); a pull nested under a value uses the next depth's. Values and
 * map entries are gathered on one stack (x->st): each level pushes above
 * what is being built below it and pops back to where it began. */

typedef struct budget {
    const pspec *spec;
    int left;
} budget;

typedef struct pctx {
    dt_db *db;
    dt_edn_doc *doc;
    uint64_t path[MAX_DEPTH + 1]; /* entities being pulled, outermost first */
    int depth;
    budget budgets[MAX_DEPTH];
    int n_budgets;
    dt_pull *star; /* [*], for components */
    dt_edn_value idk; /* :db/id */
    dt_edn_vec st;
    dt_cursor *cur[MAX_DEPTH + 1]; /* by depth, opened when first needed */
} pctx;

static int run(pctx *x, const dt_pull *p, uint64_t e, dt_edn_value *out);

/* This depth's cursor, on ORDER's datoms under K. */
static int cursor(pctx *x, dt_order order, const dt_key *k, dt_cursor **out)
{
    dt_cursor **c = &x->cur[x->depth];
    *out = *c;
    if (*c)
        return dt_cursor_seek(*c, order, k, k, 0);
    int rc = dt_cursor_open(x->db, order, k, k, 0, c);
    *out = *c;
    return rc;
}

static dt_edn_value id_map(pctx *x, uint64_t e)
{
    dt_edn_value kv[2] = {x->idk, dt_edn_int((int64_t)e)}, m;
    dt_edn_coll(x->doc, DT_EDN_MAP, kv, 2, &m);
    return m;
}

static bool on_path(const pctx *x, uint64_t e)
{
    for (int i = 0; i < x->depth; i++)
        if (x->path[i] == e)
            return true;
    return false;
}

/* The remaining depth of recursive spec S (its own when first met). */
static budget *budget_of(pctx *x, const pspec *s)
{
    for (int i = x->n_budgets - 1; i >= 0; i--)
        if (x->budgets[i].spec == s)
            return &x->budgets[i];
    return NULL;
}

/* Target T of a reference, as S says: a sub-pattern, recursion (PARENT), a
 * whole component, or its id. *keep false: leave it out. */
static int ref_value(pctx *x, const pspec *s, const dt_pull *parent, bool component, uint64_t t, dt_edn_value *out,
                     bool *keep)
{
    *keep = true;
    if (s->recurse) {
        budget *b = budget_of(x, s);
        int left = b ? b->left : s->recurse;
        if (left == 0 || x->n_budgets == MAX_DEPTH) {
            *keep = false;
            return 0;
        }
        if (on_path(x, t)) {
            *out = id_map(x, t);
            return 0;
        }
        x->budgets[x->n_budgets++] = (budget){s, left < 0 ? -1 : left - 1};
        int rc = run(x, parent, t, out);
        x->n_budgets--;
        if (rc == 0 && out->kind == DT_EDN_NIL)
            *out = id_map(x, t);
        return rc;
    }
    /* A sub-pattern is finite: no cycle check; a component pulled whole is
     * not (components may form a cycle), nor is recursion (above). */
    const dt_pull *sub = s->sub ? s->sub : component ? x->star : NULL;
    if (!sub || (!s->sub && on_path(x, t))) {
        *out = id_map(x, t);
        return 0;
    }
    int rc = run(x, sub, t, out);
    if (rc == 0 && out->kind == DT_EDN_NIL)
        *out = id_map(x, t);
    return rc;
}

/* The values of S on E (forward or reverse), pushed on the stack; how many. */
static int collect(pctx *x, const pspec *s, uint64_t e, const dt_pull *parent, size_t *n)
{
    *n = 0;
    const dt_attr *a = dt_db_attr(x->db, s->a);
    dt_key k = s->reverse ? (dt_key){.n = 2, .v = dt_val_ref(e), .a = s->a} : (dt_key){.n = 2, .e = e, .a = s->a};
    dt_cursor *c;
    int rc = cursor(x, s->reverse ? DT_VAET : DT_EAVT, &k, &c);
    const dt_datom *d;
    while ((s->limit < 0 || (int64_t)*n < s->limit) && dt_cursor_step(c, &d, &rc)) {
        dt_edn_value v;
        bool keep = true;
        if (s->reverse)
            rc = ref_value(x, s, parent, false, d->e, &v, &keep);
        else if (a->type == DT_REF)
            rc = ref_value(x, s, parent, a->component, d->v.u, &v, &keep);
        else
            v = dt_val_to_edn(x->doc, d->v);
        if (rc == 0 && keep) {
            dt_edn_vec_push(&x->st, v);
            ++*n;
        }
    }
    return rc;
}

/* S's entry of E's map, pushed as a key and a value (none when absent and
 * without a default). */
static int attr_entry(pctx *x, const pspec *s, uint64_t e, const dt_pull *parent)
{
    if (s->kind == SPEC_ID) {
        dt_edn_vec_push(&x->st, s->key);
        dt_edn_vec_push(&x->st, dt_edn_int((int64_t)e));
        return 0;
    }
    const dt_attr *a = dt_db_attr(x->db, s->a);
    size_t base = x->st.n, n;
    int rc = collect(x, s, e, parent, &n);
    bool single = s->reverse ? a->component : !a->many;
    dt_edn_value v;
    if (rc == 0 && n == 0 && s->dflt) {
        dt_edn_vec_push(&x->st, s->key);
        dt_edn_vec_push(&x->st, *s->dflt);
        return 0;
    }
    if (rc == 0 && n) {
        if (single)
            v = x->st.v[base];
        else
            rc = dt_edn_coll(x->doc, DT_EDN_VECTOR, x->st.v + base, n, &v);
    }
    x->st.n = base;
    if (rc == 0 && n) {
        dt_edn_vec_push(&x->st, s->key);
        dt_edn_vec_push(&x->st, v);
    }
    return rc;
}

/* Whether the entries from BASE up name K. */
static bool has_key(const pctx *x, size_t base, const dt_edn_value *k)
{
    for (size_t i = base; i < x->st.n; i += 2)
        if (dt_edn_equal(&x->st.v[i], k))
            return true;
    return false;
}

/* Every attribute of E not named by P's explicit specs (entries from BASE up). */
static int wildcard(pctx *x, const dt_pull *p, uint64_t e, size_t base)
{
    if (!has_key(x, base, &x->idk)) {
        dt_edn_vec_push(&x->st, x->idk);
        dt_edn_vec_push(&x->st, dt_edn_int((int64_t)e));
    }
    dt_key k = {.n = 1, .e = e};
    dt_cursor *c;
    int rc = cursor(x, DT_EAVT, &k, &c);
    const dt_datom *d;
    uint32_t last = 0, attrs_small[32], *attrs = attrs_small;
    size_t n = 0, cap = DT_ARRAY_LEN(attrs_small);
    while (dt_cursor_step(c, &d, &rc)) {
        if (d->a == last)
            continue;
        last = d->a;
        bool named = false;
        for (size_t i = 0; i < p->n; i++)
            named |= p->v[i].kind == SPEC_ATTR && !p->v[i].reverse && p->v[i].a == d->a;
        if (named)
            continue;
        if (n == cap) { /* pulled after this cursor is done (attr_entry seeks it) */
            cap *= 2;
            attrs = attrs == attrs_small ? memcpy(dt_malloc(cap * sizeof *attrs), attrs_small, sizeof attrs_small)
                                         : dt_realloc(attrs, cap * sizeof *attrs);
        }
        attrs[n++] = d->a;
    }
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        const dt_attr *a = dt_db_attr(x->db, attrs[i]);
        if (!a)
            continue;
        pspec s = {.kind = SPEC_ATTR, .a = a->id, .key = dt_kw(x->doc, a->ident), .limit = -1};
        rc = attr_entry(x, &s, e, p);
    }
    if (attrs != attrs_small)
        free(attrs);
    return rc < 0 ? rc : 0;
}

static int run(pctx *x, const dt_pull *p, uint64_t e, dt_edn_value *out)
{
    *out = dt_edn_nil();
    if (x->depth >= MAX_DEPTH)
        return dt_error(DATOM_EINVAL, "pull: nested deeper than %d entities", MAX_DEPTH);
    x->path[x->depth++] = e;
    size_t base = x->st.n;
    int rc = 0;
    bool wild = false;
    for (size_t i = 0; rc == 0 && i < p->n; i++) {
        if (p->v[i].kind == SPEC_WILD)
            wild = true;
        else if (!has_key(x, base, &p->v[i].key))
            rc = attr_entry(x, &p->v[i], e, p);
    }
    if (rc == 0 && wild)
        rc = wildcard(x, p, e, base);
    x->depth--;
    if (rc == 0 && x->st.n > base)
        rc = dt_edn_coll(x->doc, DT_EDN_MAP, x->st.v + base, x->st.n - base, out);
    x->st.n = base;
    return rc;
}

int dt_pull_run(dt_db *db, const dt_pull *p, uint64_t e, dt_edn_doc *doc, dt_edn_value *out)
{
    pctx *x = dt_calloc(1, sizeof *x);
    x->db = db;
    x->doc = doc;
    x->star = dt_calloc(1, sizeof *x->star);
    push_spec(x->star)->kind = SPEC_WILD;
    x->idk = dt_kw(doc, "db/id");
    x->st = (dt_edn_vec)DT_EDN_VEC_INIT;
    int rc = run(x, p, e, out);
    for (int i = 0; i <= MAX_DEPTH; i++)
        dt_cursor_free(x->cur[i]);
    dt_edn_vec_free(&x->st);
    dt_pull_free(x->star);
    free(x);
    return rc;
}
