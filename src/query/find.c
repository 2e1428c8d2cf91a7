/*
 * find.c: the result's shape (q.h, q_shape) from the relation of the
 * :find and :with variables:
 *   :find ?a ?b         a set of vectors (with :keys/:strs/:syms, of maps)
 *   :find [?a ...]      a vector of the distinct values
 *   :find [?a ?b]       one vector (or nil)
 *   :find ?a .          one value (or nil)
 * Aggregates group the rows by the other :find elements; (pull ?e pat)
 * becomes the entity's pull.
 */
#include <stdlib.h>
#include <string.h>

#include "db/pull.h"
#include "query/q.h"

#define NONE UINT32_MAX

/* A set of VALS (n EDN values); values that print the same are one. */
static int make_set(dt_edn_doc *doc, dt_edn_vec *vals, dt_edn_value *out)
{
    if (!dt_edn_coll(doc, DT_EDN_SET, vals->v, vals->n, out))
        return 0;
    /* two query values equal as EDN (a string and a URI): keep one */
    datom_errclear();
    size_t w = 0;
    for (size_t i = 0; i < vals->n; i++) {
        bool dup = false;
        for (size_t j = 0; j < w && !dup; j++)
            dup = dt_edn_equal(&vals->v[j], &vals->v[i]);
        if (!dup)
            vals->v[w++] = vals->v[i];
    }
    vals->n = w;
    return dt_edn_coll(doc, DT_EDN_SET, vals->v, vals->n, out);
}

static dt_edn_value key_name(dt_edn_doc *doc, uint8_t kind, const char *name)
{
    dt_edn_value k;
    size_t n = strlen(name);
    if (kind == QKEYS_STRS || (kind == QKEYS_KEYS && dt_edn_keyword(doc, name, n, &k)) ||
        (kind == QKEYS_SYMS && dt_edn_symbol(doc, name, n, &k)))
        k = dt_edn_string(doc, name, n);
    return k;
}

/* One result row: the find elements' values (VALS, n of them) as a
 * vector, or a map under :keys. */
static int row_value(const q_query *q, dt_edn_doc *doc, const dt_edn_value *vals, dt_edn_value *out)
{
    if (!q->keys_kind)
        return dt_edn_coll(doc, DT_EDN_VECTOR, vals, q->nfind, out);
    dt_edn_vec kv = DT_EDN_VEC_INIT;
    for (uint16_t i = 0; i < q->nfind; i++) {
        dt_edn_vec_push(&kv, key_name(doc, q->keys_kind, q->keys[i]));
        dt_edn_vec_push(&kv, vals[i]);
    }
    int rc = dt_edn_coll(doc, DT_EDN_MAP, kv.v, kv.n, out);
    dt_edn_vec_free(&kv);
    return rc;
}

/* ---- pull ---- */

int q_pulls_prepare(q_ctx *x, const q_query *q)
{
    x->pulls = q_alloc(&x->arena, (q->nfind ? q->nfind : 1) * sizeof *x->pulls);
    for (uint16_t i = 0; i < q->nfind; i++) {
        const q_find *f = &q->find[i];
        if (f->kind != QF_PULL)
            continue;
        dt_db *db = q_src_db(x, f->src);
        if (!db)
            return q_err(f->form, "pull reads a database: %s is not one", x->q->srcs[f->src < 0 ? 0 : f->src]);
        if (dt_pull_parse(db, f->pattern, &x->pulls[i])) {
            dt_buf m = DT_BUF_INIT;
            q_describe(&m, f->form);
            int rc = dt_error_wrap("%s", dt_buf_cstr(&m));
            dt_buf_free(&m);
            return rc;
        }
    }
    return 0;
}

void q_pulls_free(q_ctx *x, const q_query *q)
{
    for (uint16_t i = 0; x->pulls && i < q->nfind; i++)
        dt_pull_free(x->pulls[i]);
}

static int pull_value(q_ctx *x, int i, dt_val e, dt_edn_doc *doc, dt_edn_value *out)
{
    const q_find *f = &x->q->find[i];
    if (e.type != DT_LONG || e.i <= 0) {
        *out = dt_edn_nil();
        return 0;
    }
    int rc = dt_pull_run(q_src_db(x, f->src), x->pulls[i], (uint64_t)e.i, doc, out);
    if (rc) {
        dt_buf m = DT_BUF_INIT;
        q_describe(&m, f->form);
        rc = dt_error_wrap("%s", dt_buf_cstr(&m));
        dt_buf_free(&m);
    }
    return rc;
}

/* The value of find element I in ROW (R's columns COL). */
static int elem_value(q_ctx *x, const q_query *q, int i, const dt_val *row, const int *col, dt_edn_doc *doc,
                      dt_edn_value *out)
{
    const q_find *f = &q->find[i];
    if (f->kind == QF_PULL)
        return pull_value(x, i, row[col[i]], doc, out);
    *out = q_to_edn(x, doc, row[col[i]]);
    return 0;
}

/* ---- aggregates ---- */

typedef struct groups {
    q_rel keys;      /* distinct group keys */
    uint32_t *gid;   /* per row of R: its group */
    size_t *start;   /* per group: where its rows begin in order */
    uint32_t *order; /* rows of R by group */
} groups;

static void group_rows(q_ctx *x, const q_query *q, const q_rel *r, const int *col, groups *g)
{
    uint16_t kc[256], nk = 0;
    for (uint16_t i = 0; i < q->nfind; i++)
        if (q->find[i].kind != QF_AGG)
            kc[nk++] = (uint16_t)col[i];
    uint16_t all[256];
    for (uint16_t i = 0; i < nk; i++)
        all[i] = i;
    q_rel_init(x, &g->keys, all, nk);
    q_hidx h;
    q_hidx_init(&h, all, nk);
    g->gid = dt_malloc((r->n ? r->n : 1) * sizeof *g->gid);
    dt_val key[256];
    for (size_t i = 0; i < r->n; i++) {
        const dt_val *row = q_rel_row(r, i);
        for (uint16_t k = 0; k < nk; k++)
            key[k] = row[kc[k]];
        q_hidx_update(x, &h, &g->keys);
        uint32_t found = q_hidx_find(&h, &g->keys, key, q_hash_vals(key, nk));
        if (found == NONE) {
            found = (uint32_t)g->keys.n;
            memcpy(q_rel_push(x, &g->keys), key, nk * sizeof *key);
        }
        g->gid[i] = found;
    }
    q_hidx_free(&h);
    size_t ng = g->keys.n;
    g->start = dt_calloc(ng + 1, sizeof *g->start);
    for (size_t i = 0; i < r->n; i++)
        g->start[g->gid[i] + 1]++;
    for (size_t k = 0; k < ng; k++)
        g->start[k + 1] += g->start[k];
    size_t *fill = dt_malloc((ng ? ng : 1) * sizeof *fill);
    memcpy(fill, g->start, (ng ? ng : 1) * sizeof *fill);
    g->order = dt_malloc((r->n ? r->n : 1) * sizeof *g->order);
    for (size_t i = 0; i < r->n; i++)
        g->order[fill[g->gid[i]]++] = (uint32_t)i;
    free(fill);
}

static void groups_free(q_ctx *x, groups *g)
{
    q_rel_free(x, &g->keys);
    free(g->gid);
    free(g->start);
    free(g->order);
}

/* R grouped, aggregated: a relation of the find elements (aggregates as
 * values), one row per group. */
static int aggregate(q_ctx *x, const q_query *q, const q_rel *r, const int *col, q_rel *out)
{
    groups g;
    group_rows(x, q, r, col, &g);
    uint16_t cols[256];
    for (uint16_t i = 0; i < q->nfind; i++)
        cols[i] = i;
    q_rel_init(x, out, cols, q->nfind);
    dt_val *bag = dt_malloc((r->n ? r->n : 1) * sizeof *bag);
    int rc = 0;
    for (size_t k = 0; k < g.keys.n && !rc; k++) {
        dt_val *dst = q_rel_push(x, out);
        const dt_val *first = q_rel_row(r, g.order[g.start[k]]);
        for (uint16_t i = 0; i < q->nfind && !rc; i++) {
            const q_find *f = &q->find[i];
            if (f->kind != QF_AGG) {
                dst[i] = first[col[i]];
                continue;
            }
            size_t n = 0;
            for (size_t j = g.start[k]; j < g.start[k + 1]; j++)
                bag[n++] = q_rel_row(r, g.order[j])[col[i]];
            rc = q_aggregate(x, f, bag, n, &dst[i]);
            if (rc) {
                dt_buf m = DT_BUF_INIT;
                q_describe(&m, f->form);
                rc = dt_error_wrap("%s", dt_buf_cstr(&m));
                dt_buf_free(&m);
            }
        }
    }
    free(bag);
    groups_free(x, &g);
    return rc;
}

/* ---- the shape ---- */

/* The rows of ROWS as vectors of the find elements' values, into ITEMS. */
static int shape_vectors(q_ctx *x, const q_query *q, const q_rel *rows, const int *col, dt_edn_doc *doc,
                         dt_edn_vec *items)
{
    size_t n = rows->n, w = q->nfind;
    dt_edn_value *vals = dt_malloc((n && w ? n * w : 1) * sizeof *vals);
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++)
        for (uint16_t i = 0; i < w && !rc; i++)
            rc = elem_value(x, q, i, q_rel_row(rows, k), col, doc, &vals[k * w + i]);
    items->v = dt_malloc((n ? n : 1) * sizeof *items->v);
    items->cap = n ? n : 1;
    if (!rc && !(rc = dt_edn_vectors(doc, vals, n, w, items->v)))
        items->n = n;
    free(vals);
    return rc;
}

int q_shape(q_ctx *x, const q_query *q, q_rel *r, dt_edn_doc *doc, dt_edn_value *out)
{
    int col[256];
    bool aggs = false;
    for (uint16_t i = 0; i < q->nfind; i++) {
        col[i] = q_rel_col(r, q->find[i].var);
        aggs = aggs || q->find[i].kind == QF_AGG;
    }
    q_rel agg = {0};
    const q_rel *rows = r;
    if (aggs) {
        int rc = aggregate(x, q, r, col, &agg);
        if (rc) {
            q_rel_free(x, &agg);
            return rc;
        }
        rows = &agg;
        for (uint16_t i = 0; i < q->nfind; i++)
            col[i] = i;
    } else if (q->nwith) { /* :with matters to aggregates only */
        uint16_t keep[256];
        for (uint16_t i = 0; i < q->nfind; i++)
            keep[i] = q->find[i].var;
        q_rel_project(x, r, keep, q->nfind);
        for (uint16_t i = 0; i < q->nfind; i++)
            col[i] = q_rel_col(r, q->find[i].var);
    }
    int rc = 0;
    dt_edn_value vals[256];
    size_t n = rows->n;
    switch (q->find_kind) {
    case QFIND_SCALAR:
        *out = dt_edn_nil();
        if (n)
            rc = elem_value(x, q, 0, q_rel_row(rows, 0), col, doc, out);
        break;
    case QFIND_TUPLE:
        *out = dt_edn_nil();
        if (!n)
            break;
        for (uint16_t i = 0; i < q->nfind && !rc; i++)
            rc = elem_value(x, q, i, q_rel_row(rows, 0), col, doc, &vals[i]);
        if (!rc)
            rc = row_value(q, doc, vals, out);
        break;
    case QFIND_COLL: {
        dt_edn_vec items = DT_EDN_VEC_INIT;
        for (size_t k = 0; k < n && !rc; k++) {
            dt_edn_value v;
            rc = elem_value(x, q, 0, q_rel_row(rows, k), col, doc, &v);
            dt_edn_vec_push(&items, v);
        }
        if (!rc)
            rc = dt_edn_coll(doc, DT_EDN_VECTOR, items.v, items.n, out);
        dt_edn_vec_free(&items);
        break;
    }
    default: {
        dt_edn_vec items = DT_EDN_VEC_INIT;
        if (!q->keys_kind) /* the rows' values, then the rows as vectors at once */
            rc = shape_vectors(x, q, rows, col, doc, &items);
        for (size_t k = 0; q->keys_kind && k < n && !rc; k++) {
            for (uint16_t i = 0; i < q->nfind && !rc; i++)
                rc = elem_value(x, q, i, q_rel_row(rows, k), col, doc, &vals[i]);
            dt_edn_value row;
            if (!rc && !(rc = row_value(q, doc, vals, &row)))
                dt_edn_vec_push(&items, row);
        }
        if (!rc)
            rc = make_set(doc, &items, out);
        dt_edn_vec_free(&items);
    }
    }
    q_rel_free(x, &agg);
    return rc;
}
