/*
 * parse.c: a query's EDN -> its syntax tree (q.h, q_query): the vector and
 * map forms, :find (relation, collection, tuple, scalar; variables, pull,
 * aggregates), :keys / :strs / :syms, :with, :in (sources, rules, binding
 * forms, pattern names). :where clauses are parse_where.c's.
 *
 * Nothing here looks at a database or an input: what a name means (a rule,
 * an attribute) is settled later, when the inputs are bound. Every error
 * names the form it is about, with the line and column it was read at.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

#define MAX_VARS 250

/* ---- messages ---- */

/* FORM's compact EDN, cut at a character boundary to at most MAX bytes. */
static void append_form(dt_buf *out, const dt_edn_value *form, size_t max)
{
    char *text = dt_edn_to_string(form);
    size_t n = strlen(text);
    if (n > max) {
        size_t k = max - 3;
        while (k > 0 && ((unsigned char)text[k] & 0xC0) == 0x80)
            k--;
        dt_buf_append(out, text, k);
        dt_buf_puts(out, "...");
    } else {
        dt_buf_append(out, text, n);
    }
    free(text);
}

void q_describe(dt_buf *out, const dt_edn_value *form)
{
    append_form(out, form, 100);
    if (form->line)
        dt_buf_printf(out, " (line %u, column %u)", form->line, form->col);
}

const char *q_where(q_ctx *x, const char *what, const dt_edn_value *form)
{
    dt_buf b = DT_BUF_INIT;
    dt_buf_printf(&b, "%s ", what);
    append_form(&b, form, 80);
    char *out = q_alloc(&x->arena, b.len + 1);
    memcpy(out, b.data, b.len + 1);
    dt_buf_free(&b);
    return out;
}

int q_verr(const char *where, const dt_edn_value *form, const char *fmt, va_list ap)
{
    dt_buf m = DT_BUF_INIT;
    if (where)
        dt_buf_printf(&m, "in %s: ", where);
    if (form) {
        q_describe(&m, form);
        dt_buf_puts(&m, ": ");
    }
    dt_buf_vprintf(&m, fmt, ap);
    int rc = dt_error(DATOM_EINVAL, "%s", dt_buf_cstr(&m));
    dt_buf_free(&m);
    return rc;
}

int q_err(const dt_edn_value *form, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = q_verr(NULL, form, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- symbols ---- */

bool q_is_var(const dt_edn_value *v) { return dt_edn_is(v, DT_EDN_SYMBOL) && v->u.s[0] == '?' && v->len > 1; }
bool q_is_src(const dt_edn_value *v) { return dt_edn_is(v, DT_EDN_SYMBOL) && v->u.s[0] == '$'; }
bool q_is_blank(const dt_edn_value *v) { return dt_edn_is_sym(v, "_"); }
bool q_is_plain(const dt_edn_value *v)
{
    return dt_edn_is(v, DT_EDN_SYMBOL) && !strchr("?$%", v->u.s[0]) && !q_is_blank(v);
}

int q_scope_var(q_ctx *x, q_scope *s, const char *name, uint16_t *out)
{
    for (uint16_t i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], name)) {
            *out = i;
            return 0;
        }
    if (s->n >= MAX_VARS)
        return dt_error(DATOM_EINVAL, "too many variables (more than %d in one query or rule)", MAX_VARS);
    if (s->n == s->cap) {
        uint16_t cap = s->cap ? (uint16_t)(s->cap * 2) : 16;
        const char **names = q_alloc(&x->arena, cap * sizeof *names);
        if (s->n)
            memcpy(names, s->names, s->n * sizeof *names);
        s->names = names;
        s->cap = cap;
    }
    s->names[s->n] = name;
    *out = s->n++;
    return 0;
}

int q_source(q_ctx *x, q_query *q, const dt_edn_value *sym, uint16_t *out)
{
    for (uint16_t i = 0; i < q->nsrc; i++)
        if (!strcmp(q->srcs[i], sym->u.s)) {
            *out = i;
            return 0;
        }
    if (q->nsrc >= 64)
        return q_err(sym, "too many sources (64 at most)");
    const char **srcs = q_alloc(&x->arena, (q->nsrc + 1u) * sizeof *srcs);
    if (q->nsrc)
        memcpy(srcs, q->srcs, q->nsrc * sizeof *srcs);
    srcs[q->nsrc] = sym->u.s;
    q->srcs = srcs;
    *out = q->nsrc++;
    return 0;
}

/* ---- binding forms: ?x, _, [?a ?b], [?x ...], [[?a ?b]] ---- */

static bool is_ellipsis(const dt_edn_value *v) { return dt_edn_is_sym(v, "..."); }

int q_parse_bind(q_ctx *x, q_scope *scope, const dt_edn_value *form, q_bind **out)
{
    q_bind *b = q_alloc(&x->arena, sizeof *b);
    b->form = form;
    *out = b;
    if (q_is_var(form)) {
        b->kind = QB_VAR;
        return q_scope_var(x, scope, form->u.s, &b->var);
    }
    if (q_is_blank(form)) {
        b->kind = QB_BLANK;
        return 0;
    }
    if (!dt_edn_is(form, DT_EDN_VECTOR) || dt_edn_count(form) == 0)
        return q_err(form, "a binding is a variable, _, [?a ?b], [?x ...] or [[?a ?b]]");
    size_t n = dt_edn_count(form);
    if (n == 2 && is_ellipsis(dt_edn_at(form, 1))) {
        b->kind = QB_COLL;
        b->n = 1;
        return q_parse_bind(x, scope, dt_edn_at(form, 0), &b->items);
    }
    if (n == 1 && dt_edn_is(dt_edn_at(form, 0), DT_EDN_VECTOR)) { /* [[?a ?b]]: a relation */
        b->kind = QB_COLL;
        b->n = 1;
        return q_parse_bind(x, scope, dt_edn_at(form, 0), &b->items);
    }
    if (n > 255)
        return q_err(form, "a tuple binding of more than 255 elements");
    b->kind = QB_TUPLE;
    b->n = (uint16_t)n;
    b->items = q_alloc(&x->arena, n * sizeof *b->items);
    for (size_t i = 0; i < n; i++) {
        const dt_edn_value *it = dt_edn_at(form, i);
        if (is_ellipsis(it))
            return q_err(form, "... ends a collection binding [?x ...] and comes second");
        q_bind *sub;
        int rc = q_parse_bind(x, scope, it, &sub);
        if (rc)
            return rc;
        b->items[i] = *sub;
    }
    return 0;
}

/* ---- :find ---- */

static int parse_pull(q_ctx *x, q_query *q, const dt_edn_value *form, q_find *f)
{
    size_t n = dt_edn_count(form), i = 1;
    f->kind = QF_PULL;
    f->src = -1;
    f->pattern_in = -1;
    if (n == 4 && q_is_src(dt_edn_at(form, 1))) {
        uint16_t s;
        int rc = q_source(x, q, dt_edn_at(form, 1), &s);
        if (rc)
            return rc;
        f->src = (int16_t)s;
        i = 2;
    }
    if (n != i + 2 || !q_is_var(dt_edn_at(form, i)))
        return q_err(form, "pull in :find is (pull ?e pattern) or (pull $src ?e pattern)");
    int rc = q_scope_var(x, &q->scope, dt_edn_at(form, i)->u.s, &f->var);
    if (rc)
        return rc;
    const dt_edn_value *pat = dt_edn_at(form, i + 1);
    if (q_is_plain(pat))
        f->pattern = pat; /* an input names it: resolved when inputs are bound */
    else if (dt_edn_is(pat, DT_EDN_VECTOR))
        f->pattern = pat;
    else
        return q_err(form, "a pull pattern is a vector or the name of an input");
    return 0;
}

static int parse_agg(q_ctx *x, q_query *q, const dt_edn_value *form, q_find *f)
{
    size_t n = dt_edn_count(form);
    const dt_edn_value *head = dt_edn_at(form, 0);
    f->kind = QF_AGG;
    f->n = -1;
    if (!dt_edn_is(head, DT_EDN_SYMBOL) || !(f->agg = q_agg_find(head->u.s)))
        return q_err(form, "unknown aggregate %s (datom has count, count-distinct, sum, avg, median, "
                           "variance, stddev, min, max, distinct, rand, sample)",
                     dt_edn_is(head, DT_EDN_SYMBOL) ? head->u.s : "");
    bool takes_n = f->agg == Q_AGG_MIN || f->agg == Q_AGG_MAX || f->agg == Q_AGG_RAND || f->agg == Q_AGG_SAMPLE;
    const dt_edn_value *var = dt_edn_at(form, n - 1);
    if (n == 3 && takes_n) {
        const dt_edn_value *nv = dt_edn_at(form, 1);
        if (!dt_edn_is(nv, DT_EDN_INT) || nv->u.i < 0)
            return q_err(form, "the n of (%s n ?x) is a whole number of 0 or more", head->u.s);
        f->n = nv->u.i;
    } else if (n != 2 || f->agg == Q_AGG_SAMPLE) {
        return q_err(form, f->agg == Q_AGG_SAMPLE ? "sample takes (sample n ?x)"
                                                 : takes_n ? "%s takes (%s ?x) or (%s n ?x)"
                                                           : "%s takes one variable: (%s ?x)",
                     head->u.s, head->u.s, head->u.s);
    }
    if (!q_is_var(var))
        return q_err(form, "an aggregate's argument is a variable");
    return q_scope_var(x, &q->scope, var->u.s, &f->var);
}

static int parse_find_elem(q_ctx *x, q_query *q, const dt_edn_value *form, q_find *f)
{
    f->form = form;
    if (q_is_var(form)) {
        f->kind = QF_VAR;
        return q_scope_var(x, &q->scope, form->u.s, &f->var);
    }
    if (dt_edn_is(form, DT_EDN_LIST) && dt_edn_count(form) >= 2) {
        if (dt_edn_is_sym(dt_edn_at(form, 0), "pull"))
            return parse_pull(x, q, form, f);
        return parse_agg(x, q, form, f);
    }
    return q_err(form, "a :find element is a variable, (pull ?e pattern) or an aggregate like (count ?x)");
}

static int parse_find(q_ctx *x, q_query *q, const dt_edn_value *const *items, size_t n,
                      const dt_edn_value *section)
{
    if (n == 0)
        return q_err(section, ":find needs at least one element");
    const dt_edn_value *elems[256];
    size_t ne = 0;
    q->find_kind = QFIND_REL;
    if (n == 2 && dt_edn_is_sym(items[1], ".")) {
        q->find_kind = QFIND_SCALAR;
        elems[ne++] = items[0];
    } else if (n == 1 && dt_edn_is(items[0], DT_EDN_VECTOR)) {
        const dt_edn_value *v = items[0];
        size_t k = dt_edn_count(v);
        if (k == 0)
            return q_err(v, ":find [] is empty");
        if (k > 255)
            return q_err(v, "more than 255 :find elements");
        q->find_kind = k == 2 && is_ellipsis(dt_edn_at(v, 1)) ? QFIND_COLL : QFIND_TUPLE;
        for (size_t i = 0; i < (q->find_kind == QFIND_COLL ? 1 : k); i++)
            elems[ne++] = dt_edn_at(v, i);
    } else {
        if (n > 255)
            return q_err(section, "more than 255 :find elements");
        for (size_t i = 0; i < n; i++) {
            if (dt_edn_is(items[i], DT_EDN_VECTOR) || dt_edn_is_sym(items[i], ".") || is_ellipsis(items[i]))
                return q_err(items[i], "in :find, [?x ...], [?a ?b] and ?x . stand alone");
            elems[ne++] = items[i];
        }
    }
    q->nfind = (uint16_t)ne;
    q->find = q_alloc(&x->arena, ne * sizeof *q->find);
    for (size_t i = 0; i < ne; i++) {
        int rc = parse_find_elem(x, q, elems[i], &q->find[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- :keys, :with, :in ---- */

static int parse_keys(q_ctx *x, q_query *q, uint8_t kind, const dt_edn_value *const *items, size_t n,
                      const dt_edn_value *section)
{
    if (q->keys_kind)
        return q_err(section, "only one of :keys, :strs and :syms");
    q->keys_kind = kind;
    q->keys = q_alloc(&x->arena, (n ? n : 1) * sizeof *q->keys);
    for (size_t i = 0; i < n; i++) {
        const dt_edn_value *k = items[i];
        if (!dt_edn_is(k, DT_EDN_SYMBOL) && !dt_edn_is(k, DT_EDN_KEYWORD) && !dt_edn_is(k, DT_EDN_STRING))
            return q_err(k, "the names of :%s are symbols", section->u.s);
        q->keys[i] = k->u.s;
    }
    if (n != q->nfind)
        return q_err(section, "%zu names for %u :find elements", n, q->nfind);
    return 0;
}

static int parse_with(q_ctx *x, q_query *q, const dt_edn_value *const *items, size_t n)
{
    q->nwith = (uint16_t)n;
    q->with = q_alloc(&x->arena, (n ? n : 1) * sizeof *q->with);
    for (size_t i = 0; i < n; i++) {
        if (!q_is_var(items[i]))
            return q_err(items[i], ":with takes variables");
        int rc = q_scope_var(x, &q->scope, items[i]->u.s, &q->with[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_in(q_ctx *x, q_query *q, const dt_edn_value *const *items, size_t n)
{
    q->in_given = true;
    q->nin = (uint16_t)n;
    q->in = q_alloc(&x->arena, (n ? n : 1) * sizeof *q->in);
    for (size_t i = 0; i < n; i++) {
        const dt_edn_value *f = items[i];
        q_in *in = &q->in[i];
        in->form = f;
        int rc = 0;
        if (q_is_src(f)) {
            in->kind = QIN_SRC;
            rc = q_source(x, q, f, &in->src);
        } else if (dt_edn_is_sym(f, "%")) {
            in->kind = QIN_RULES;
        } else if (q_is_plain(f)) {
            in->kind = QIN_PATTERN;
            in->name = f->u.s;
        } else {
            in->kind = QIN_BIND;
            rc = q_parse_bind(x, &q->scope, f, &in->bind);
        }
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (dt_edn_equal(q->in[j].form, f) && !dt_edn_is(f, DT_EDN_VECTOR) && !q_is_blank(f))
                return q_err(f, "named twice in :in");
    }
    return 0;
}

static int parse_where(q_ctx *x, q_query *q, const dt_edn_value *const *items, size_t n)
{
    q->nwhere = (uint16_t)n;
    q->where = q_alloc(&x->arena, (n ? n : 1) * sizeof *q->where);
    for (size_t i = 0; i < n; i++) {
        int rc = q_parse_clause(x, &q->scope, q, items[i], NULL, &q->where[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- sections ---- */

enum { S_FIND = 1, S_KEYS, S_STRS, S_SYMS, S_WITH, S_IN, S_WHERE };
static const char *const section_names[] = {NULL, "find", "keys", "strs", "syms", "with", "in", "where"};

static int section_of(const dt_edn_value *k)
{
    for (int s = S_FIND; s <= S_WHERE; s++)
        if (dt_edn_is_kw(k, section_names[s]))
            return s;
    return 0;
}

static int parse_section(q_ctx *x, q_query *q, int s, const dt_edn_value *kw, const dt_edn_value *const *items,
                         size_t n)
{
    switch (s) {
    case S_FIND: return parse_find(x, q, items, n, kw);
    case S_KEYS: return parse_keys(x, q, QKEYS_KEYS, items, n, kw);
    case S_STRS: return parse_keys(x, q, QKEYS_STRS, items, n, kw);
    case S_SYMS: return parse_keys(x, q, QKEYS_SYMS, items, n, kw);
    case S_WITH: return parse_with(x, q, items, n);
    case S_IN: return parse_in(x, q, items, n);
    default: return parse_where(x, q, items, n);
    }
}

/* Sections are parsed in this order whatever their written order, so that
 * :keys can count the :find elements. */
static const int parse_order[] = {S_FIND, S_KEYS, S_STRS, S_SYMS, S_WITH, S_IN, S_WHERE};

static int parse_sections(q_ctx *x, q_query *q, const dt_edn_value *const *kws, const dt_edn_value *const *const *items,
                          const size_t *counts, size_t nsec)
{
    int seen = 0;
    for (size_t i = 0; i < nsec; i++) {
        int s = section_of(kws[i]);
        if (!s)
            return q_err(kws[i], "unknown query section (expected :find, :keys, :strs, :syms, :with, :in or :where)");
        if (seen & (1 << s))
            return q_err(kws[i], "this section appears twice");
        seen |= 1 << s;
    }
    if (!(seen & (1 << S_FIND)))
        return q_err(q->form, "a query needs :find");
    for (size_t k = 0; k < DT_ARRAY_LEN(parse_order); k++)
        for (size_t i = 0; i < nsec; i++)
            if (section_of(kws[i]) == parse_order[k]) {
                int rc = parse_section(x, q, parse_order[k], kws[i], items[i], counts[i]);
                if (rc)
                    return rc;
            }
    if (q->keys_kind && q->find_kind != QFIND_REL && q->find_kind != QFIND_TUPLE)
        return q_err(q->form, ":keys, :strs and :syms go with a relation or tuple :find");
    return 0;
}

static int parse_vector_form(q_ctx *x, q_query *q, const dt_edn_value *form)
{
    size_t n = dt_edn_count(form);
    const dt_edn_value *kws[8];
    const dt_edn_value *const *items[8];
    size_t counts[8], nsec = 0;
    /* item pointers: one array of the form's items, sliced per section */
    const dt_edn_value **all = q_alloc(&x->arena, (n ? n : 1) * sizeof *all);
    for (size_t i = 0; i < n; i++)
        all[i] = dt_edn_at(form, i);
    for (size_t i = 0; i < n; i++) {
        const dt_edn_value *v = all[i];
        if (dt_edn_is(v, DT_EDN_KEYWORD)) {
            if (nsec == 8)
                return q_err(v, "too many query sections");
            kws[nsec] = v;
            items[nsec] = all + i + 1;
            counts[nsec] = 0;
            nsec++;
        } else if (nsec == 0) {
            return q_err(v, "a query starts with :find");
        } else {
            counts[nsec - 1]++;
        }
    }
    return parse_sections(x, q, kws, items, counts, nsec);
}

static int parse_map_form(q_ctx *x, q_query *q, const dt_edn_value *form)
{
    size_t n = dt_edn_count(form);
    if (n > 8)
        return q_err(form, "too many query sections");
    const dt_edn_value *kws[8];
    const dt_edn_value *const *items[8];
    size_t counts[8];
    for (size_t i = 0; i < n; i++) {
        const dt_edn_value *k = dt_edn_key(form, i), *v = dt_edn_val(form, i);
        if (!dt_edn_is(k, DT_EDN_KEYWORD))
            return q_err(k, "the keys of a query map are keywords (:find, :in, :where...)");
        if (!dt_edn_is(v, DT_EDN_VECTOR) && !dt_edn_is(v, DT_EDN_LIST))
            return q_err(v, "the value of :%s is a vector", k->u.s);
        const dt_edn_value **arr = q_alloc(&x->arena, (dt_edn_count(v) ? dt_edn_count(v) : 1) * sizeof *arr);
        for (size_t j = 0; j < dt_edn_count(v); j++)
            arr[j] = dt_edn_at(v, j);
        kws[i] = k;
        items[i] = arr;
        counts[i] = dt_edn_count(v);
    }
    return parse_sections(x, q, kws, items, counts, n);
}

int q_parse(q_ctx *x, const dt_edn_value *form, q_query *q)
{
    memset(q, 0, sizeof *q);
    q->form = form;
    /* $ is source 0 whether or not the query names it */
    static const dt_edn_value dollar = {.kind = DT_EDN_SYMBOL, .len = 1, .u.s = "$"};
    uint16_t s0;
    q_source(x, q, &dollar, &s0);
    if (dt_edn_is(form, DT_EDN_MAP))
        return parse_map_form(x, q, form);
    if (dt_edn_is(form, DT_EDN_VECTOR) || dt_edn_is(form, DT_EDN_LIST))
        return parse_vector_form(x, q, form);
    return q_err(form, "a query is a vector [:find ... :where ...] or a map {:find [...] :where [...]}");
}
