/*
 * cursor.c: the cursors of db.h: one order of a db value, its sources (the
 * durable tree, the shared novelty, a speculative overlay) merged in sorted
 * order, then filtered by the value's view.
 *
 * Views, for the datoms of one (e a v) (adjacent in every order but the log,
 * oldest first):
 *  - current as of T: the newest datom with t <= T decides; shown if it is
 *    an assertion (and, under since S, if its t > S);
 *  - history: every datom with t <= T (and t > S under since);
 *  - filter: what the above shows, if the predicate agrees.
 * The log order shows every datom with t <= T (transactions are not grouped).
 *
 * Sources never share a datom: the tree holds t <= indexed_t, the novelty is
 * read above indexed_t and up to nov_t, the overlay holds t > nov_t.
 */
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

typedef struct source {
    int kind; /* 0 tree, 1 novelty, 2 overlay */
    dt_tree_cur *tc;
    dt_nov_cur *nc;
    dt_nov *nov;
    const dt_datom *head; /* NULL: exhausted */
    dt_datom nd;          /* the head, for novelty sources */
} source;

struct dt_cursor {
    dt_db *db;
    dt_order order;
    dt_key from, to;
    int flags;
    source src[3];
    int n_src;
    bool done;
    dt_datom out;
    dt_buf val;  /* the bytes of out.v when string-like */
    dt_datom group;
    dt_buf gval; /* the bytes of group.v */
};

/* ---- sources ---- */

static int src_next(dt_cursor *c, source *s)
{
    if (s->kind == 0) {
        int rc = dt_tree_cur_next(s->tc, &s->head);
        if (rc <= 0)
            s->head = NULL;
        return rc < 0 ? rc : 0;
    }
    uint32_t pos;
    while (dt_nov_cur_next(s->nc, &pos)) {
        const dt_ndatom *nd = dt_nov_at(s->nov, pos);
        int64_t t = DT_ND_T(nd);
        if (s->kind == 1 && (t <= c->db->indexed_t || t > c->db->nov_t))
            continue;
        dt_nov_get(s->nov, pos, &s->nd);
        s->head = &s->nd;
        return 0;
    }
    s->head = NULL;
    return 0;
}

static void add_source(dt_cursor *c, int kind, dt_nov *nov)
{
    source *s = &c->src[c->n_src++];
    s->kind = kind;
    s->nov = nov;
    if (nov)
        s->nc = dt_nov_cur_open(nov, c->order, c->from.n ? &c->from : NULL);
}

static dt_key key_copy(const dt_key *k)
{
    if (!k)
        return (dt_key){0};
    dt_key c = *k;
    c.v = dt_val_copy(k->v);
    return c;
}

int dt_cursor_open(dt_db *db, dt_order order, const dt_key *from, const dt_key *to, int flags,
                   dt_cursor **out)
{
    *out = NULL;
    if (order >= DT_ORDER_COUNT)
        return dt_error(DATOM_EINVAL, "no such index");
    dt_cursor *c = dt_calloc(1, sizeof *c);
    c->db = dt_db_ref(db);
    c->order = order;
    c->from = key_copy(from);
    c->to = key_copy(to);
    c->flags = flags;
    int rc = 0;
    if (db->trees[order].count) {
        source *s = &c->src[c->n_src++];
        s->kind = 0;
        rc = dt_tree_cur_open(db->env->cache, order, &db->trees[order], c->from.n ? &c->from : NULL, &s->tc);
    }
    if (db->nov)
        add_source(c, 1, db->nov);
    if (db->overlay)
        add_source(c, 2, db->overlay);
    for (int i = 0; rc == 0 && i < c->n_src; i++)
        rc = src_next(c, &c->src[i]);
    if (rc) {
        dt_cursor_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void dt_cursor_free(dt_cursor *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_src; i++) {
        dt_tree_cur_free(c->src[i].tc);
        dt_nov_cur_free(c->src[i].nc);
    }
    dt_val_free(&c->from.v);
    dt_val_free(&c->to.v);
    dt_buf_free(&c->val);
    dt_buf_free(&c->gval);
    dt_db_unref(c->db);
    free(c);
}

/* ---- merging ---- */

/* The source whose head comes first, or NULL. */
static source *min_source(dt_cursor *c)
{
    source *best = NULL;
    for (int i = 0; i < c->n_src; i++) {
        source *s = &c->src[i];
        if (s->head && (!best || dt_datom_cmp(c->order, s->head, best->head) < 0))
            best = s;
    }
    return best;
}

static bool past_end(const dt_cursor *c, const dt_datom *d)
{
    if (!c->to.n)
        return false;
    int cmp = dt_datom_key_cmp(c->order, d, &c->to);
    return cmp > 0 || (cmp == 0 && (c->flags & DT_CUR_TO_EXCLUSIVE));
}

/* Copies D into TO, its value's bytes into BUF (the source may drop them
 * when it moves). */
static void copy_into(dt_datom *to, dt_buf *buf, const dt_datom *d)
{
    *to = *d;
    if (dt_vtype_is_blob(d->v.type)) {
        size_t size = sizeof(dt_blob) + d->v.b->len + 1;
        dt_buf_clear(buf);
        dt_buf_reserve(buf, size + 8);
        /* dt_buf data is malloc'd: aligned for the blob header */
        memcpy(buf->data, d->v.b, size);
        to->v.b = (const dt_blob *)buf->data;
    }
}

static void keep(dt_cursor *c, const dt_datom *d) { copy_into(&c->out, &c->val, d); }

static bool same_eav(const dt_datom *x, const dt_datom *y)
{
    return x->e == y->e && x->a == y->a && dt_val_eq(x->v, y->v);
}

static bool passes(dt_cursor *c, const dt_datom *d)
{
    for (const dt_filter *f = c->db->filter; f; f = f->next)
        if (!f->pred(c->db->unfiltered, d, f->ctx))
            return false;
    return true;
}

/* History and log orders: every datom in the time window. */
static int next_each(dt_cursor *c, const dt_datom **out)
{
    const dt_db *db = c->db;
    for (;;) {
        source *s = min_source(c);
        if (!s || past_end(c, s->head))
            return 0;
        int64_t t = DT_T_OF_TX(s->head->tx);
        bool show = t <= db->as_of_t && t > db->since_t;
        if (show)
            keep(c, s->head);
        int rc = src_next(c, s);
        if (rc)
            return rc;
        if (show && passes(c, &c->out)) {
            *out = &c->out;
            return 1;
        }
    }
}

/* Current views: the newest datom of each (e a v) in the window decides. */
static int next_current(dt_cursor *c, const dt_datom **out)
{
    const dt_db *db = c->db;
    for (;;) {
        source *s = min_source(c);
        if (!s || past_end(c, s->head))
            return 0;
        bool have = false;
        copy_into(&c->group, &c->gval, s->head); /* the group's (e a v) */
        do {
            if (DT_T_OF_TX(s->head->tx) <= db->as_of_t) {
                keep(c, s->head);
                have = true;
            }
            int rc = src_next(c, s);
            if (rc)
                return rc;
            s = min_source(c);
        } while (s && same_eav(s->head, &c->group));
        if (have && c->out.added && DT_T_OF_TX(c->out.tx) > db->since_t && passes(c, &c->out)) {
            *out = &c->out;
            return 1;
        }
    }
}

int dt_cursor_next(dt_cursor *c, const dt_datom **out)
{
    if (c->done)
        return 0;
    int rc = c->db->history || c->order == DT_LOG ? next_each(c, out) : next_current(c, out);
    if (rc <= 0)
        c->done = true;
    return rc;
}

bool dt_cursor_step(dt_cursor *c, const dt_datom **out, int *rc)
{
    if (*rc)
        return false;
    int more = dt_cursor_next(c, out);
    if (more < 0)
        *rc = more;
    return more == 1;
}

/* ---- counts ---- */

uint64_t dt_db_count(dt_db *db, dt_order order, const dt_key *from, const dt_key *to, int flags)
{
    if (order >= DT_ORDER_COUNT)
        return 0;
    uint64_t n = dt_tree_count(db->env->cache, order, &db->trees[order], from, to, flags);
    if (db->nov)
        n += dt_nov_count_range(db->nov, order, from, to, flags);
    if (db->overlay)
        n += dt_nov_count_range(db->overlay, order, from, to, flags);
    return n;
}
