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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

typedef dt_cursor_src source;

/* ---- sources ---- */

/* A novelty source's next datom in the db's window (indexed_t < t <= nov_t
 * for the shared novelty; all of an overlay) into s->nhead. */
static inline void nov_advance(dt_cursor *c, source *s)
{
    const dt_ndatom *nd;
    while ((nd = dt_nov_cur_next(&s->nc, &s->npos))) {
        int64_t t = DT_ND_T(nd);
        if (s->kind == 2 || (t > c->db->indexed_t && t <= c->db->nov_t))
            break;
    }
    s->nhead = nd;
}

static int src_next(dt_cursor *c, source *s)
{
    if (s->kind == 0) {
        int rc = dt_tree_cur_next(&s->tc, &s->head);
        if (rc <= 0)
            s->head = NULL;
        return rc < 0 ? rc : 0;
    }
    nov_advance(c, s);
    s->head = NULL;
    if (s->nhead) {
        dt_nov_datom(s->nc.n, s->nhead, &s->nd);
        s->head = &s->nd;
    }
    return 0;
}

static void release_sources(dt_cursor *c)
{
    for (int i = 0; i < c->n_src; i++)
        if (c->src[i].kind == 0)
            dt_tree_cur_fini(&c->src[i].tc);
    c->n_src = 0;
}

/* C's keys for novelty source S: a blob value replaced by the novelty's own
 * copy, so that the comparisons of next_nov see equal values as equal bits. */
static void nov_keys(dt_cursor *c, source *s)
{
    s->nfrom = c->from;
    s->nto = c->to;
    dt_nov *n = s->nc.n;
    if (dt_vtype_is_blob(c->from.v.type))
        s->nfrom.v = dt_nov_interned(n, c->from.v);
    if (c->to.v.type == c->from.v.type && c->to.v.b == c->from.v.b)
        s->nto.v = s->nfrom.v;
    else if (dt_vtype_is_blob(c->to.v.type))
        s->nto.v = dt_nov_interned(n, c->to.v);
}

/* Positions the sources of C's db and order at c->from, and reads their
 * first datoms. */
static int start(dt_cursor *c)
{
    dt_db *db = c->db;
    const dt_key *from = c->from.n ? &c->from : NULL;
    int rc = 0;
    c->done = false;
    if (c->n_src == 0) { /* new, or the order changed */
        if (db->trees[c->order].count) {
            source *s = &c->src[c->n_src++];
            s->kind = 0;
            rc = dt_tree_cur_init(&s->tc, db->env->cache, c->order, &db->trees[c->order], from);
        }
        dt_nov *novs[2] = {db->nov, db->overlay};
        for (int k = 0; k < 2; k++)
            if (novs[k]) {
                source *s = &c->src[c->n_src++];
                s->kind = 1 + k;
                s->nc.n = novs[k];
                nov_keys(c, s);
                dt_nov_cur_init(&s->nc, novs[k], c->order, from ? &s->nfrom : NULL);
            }
    } else {
        for (int i = 0; rc == 0 && i < c->n_src; i++) {
            source *s = &c->src[i];
            if (s->kind == 0) {
                rc = dt_tree_cur_seek(&s->tc, from);
                continue;
            }
            nov_keys(c, s);
            dt_nov_cur_seek(&s->nc, from ? &s->nfrom : NULL);
        }
    }
    c->one_nov = c->n_src == 1 && c->src[0].kind != 0;
    for (int i = 0; rc == 0 && i < c->n_src; i++)
        if (c->one_nov)
            nov_advance(c, &c->src[i]);
        else
            rc = src_next(c, &c->src[i]);
    if (rc)
        c->done = true;
    return rc;
}

/* K into DST; with C's own keys, its value's bytes into BYTES (SAME: the
 * key already copied into *SAME, whose bytes it shares). */
static void set_key(dt_cursor *c, dt_key *dst, dt_buf *bytes, const dt_key *k, const dt_key *same)
{
    if (!k) {
        *dst = (dt_key){0};
        return;
    }
    *dst = *k;
    if (!c->own_keys || !dt_vtype_is_blob(k->v.type))
        return;
    if (same) {
        dst->v = same->v;
        return;
    }
    size_t size = sizeof(dt_blob) + k->v.b->len + 1;
    dt_buf_clear(bytes);
    dt_buf_reserve(bytes, size + 8);
    memcpy(bytes->data, k->v.b, size); /* dt_buf data is malloc'd: aligned for the header */
    dst->v.b = (const dt_blob *)bytes->data;
}

static void set_keys(dt_cursor *c, const dt_key *from, const dt_key *to, int flags)
{
    set_key(c, &c->from, &c->from_bytes, from, NULL);
    bool same = from && to && (to == from || !memcmp(to, from, sizeof *to));
    set_key(c, &c->to, &c->to_bytes, to, same ? &c->from : NULL);
    c->flags = flags;
}

/* Starts C; OWN: copy the keys' bytes (a heap cursor outlives its caller's keys). */
static int cur_init(dt_cursor *c, dt_db *db, dt_order order, const dt_key *from, const dt_key *to, int flags,
                    bool own)
{
    memset(c, 0, offsetof(dt_cursor, src));
    c->n_src = 0;
    c->done = true;
    c->val = c->gval = (dt_buf)DT_BUF_INIT;
    if (order >= DT_ORDER_COUNT)
        return dt_error(DATOM_EINVAL, "no such index");
    c->db = dt_db_ref(db);
    c->order = order;
    c->own_keys = own;
    set_keys(c, from, to, flags);
    return start(c);
}

int dt_cursor_init(dt_cursor *c, dt_db *db, dt_order order, const dt_key *from, const dt_key *to, int flags)
{
    return cur_init(c, db, order, from, to, flags, false);
}

void dt_cursor_fini(dt_cursor *c)
{
    release_sources(c);
    dt_buf_free(&c->from_bytes);
    dt_buf_free(&c->to_bytes);
    dt_buf_free(&c->val);
    dt_buf_free(&c->gval);
    dt_db_unref(c->db);
    c->db = NULL;
}

int dt_cursor_open(dt_db *db, dt_order order, const dt_key *from, const dt_key *to, int flags,
                   dt_cursor **out)
{
    dt_cursor *c = dt_malloc(sizeof *c);
    int rc = cur_init(c, db, order, from, to, flags, true);
    if (rc) {
        dt_cursor_free(c);
        c = NULL;
    }
    *out = c;
    return rc;
}

int dt_cursor_seek(dt_cursor *c, dt_order order, const dt_key *from, const dt_key *to, int flags)
{
    if (order >= DT_ORDER_COUNT) {
        c->done = true;
        return dt_error(DATOM_EINVAL, "no such index");
    }
    if (order != c->order) {
        release_sources(c);
        c->order = order;
    }
    set_keys(c, from, to, flags);
    return start(c);
}

void dt_cursor_free(dt_cursor *c)
{
    if (!c)
        return;
    dt_cursor_fini(c);
    free(c);
}

/* ---- merging ---- */

/* The source whose head comes first, or NULL. */
static source *min_source(dt_cursor *c)
{
    if (c->n_src == 1)
        return c->src[0].head ? &c->src[0] : NULL;
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

/* D (the head of S) into TO. A novelty's bytes live as long as the db
 * value; a segment's only while the source stays on it, so they are copied
 * into BUF. Returns whether they were. */
static bool copy_into(dt_datom *to, dt_buf *buf, const source *s, const dt_datom *d)
{
    *to = *d;
    if (s->kind != 0 || !dt_vtype_is_blob(d->v.type))
        return false;
    size_t size = sizeof(dt_blob) + d->v.b->len + 1;
    dt_buf_clear(buf);
    dt_buf_reserve(buf, size + 8);
    /* dt_buf data is malloc'd: aligned for the blob header */
    memcpy(buf->data, d->v.b, size);
    to->v.b = (const dt_blob *)buf->data;
    return true;
}

static void keep(dt_cursor *c, const source *s) { c->out_copied = copy_into(&c->out, &c->val, s, s->head); }

static bool same_eav(const dt_datom *x, const dt_datom *y)
{
    return x->e == y->e && x->a == y->a &&
           ((x->v.type == y->v.type && x->v.u == y->v.u) || dt_val_eq(x->v, y->v));
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
            keep(c, s);
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
        copy_into(&c->group, &c->gval, s, s->head); /* the group's (e a v) */
        do {
            if (DT_T_OF_TX(s->head->tx) <= db->as_of_t) {
                keep(c, s);
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

/* Both kinds of view over one novelty, on its datoms as stored: equal
 * values have equal bits there (novelty.c, (2)), so a group of one (e a v)
 * is found without building a value, and nothing is copied. */
static int next_nov(dt_cursor *c, const dt_datom **out)
{
    source *s = &c->src[0];
    const dt_db *db = c->db;
    dt_nov *n = s->nc.n;
    bool each = db->history || c->order == DT_LOG;
    for (;;) {
        const dt_ndatom *h = s->nhead, *best = NULL;
        if (!h)
            return 0;
        if (s->nto.n) {
            int cmp = dt_nov_key_cmp(n, c->order, h, &s->nto);
            if (cmp > 0 || (cmp == 0 && (c->flags & DT_CUR_TO_EXCLUSIVE)))
                return 0;
        }
        const dt_ndatom g = *h;
        do {
            if (DT_ND_T(h) <= db->as_of_t)
                best = h;
            nov_advance(c, s);
            h = s->nhead;
        } while (!each && h && h->e == g.e && h->a == g.a && h->v == g.v);
        if (best && (each || DT_ND_ADDED(best)) && DT_ND_T(best) > db->since_t) {
            dt_nov_datom(n, best, &c->out);
            c->out_copied = false;
            if (passes(c, &c->out)) {
                *out = &c->out;
                return 1;
            }
        }
    }
}

int dt_cursor_next(dt_cursor *c, const dt_datom **out)
{
    if (c->done)
        return 0;
    int rc = c->one_nov                            ? next_nov(c, out)
             : c->db->history || c->order == DT_LOG ? next_each(c, out)
                                                    : next_current(c, out);
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

/* ---- first datoms ---- */

int dt_db_first(dt_db *db, dt_order order, const dt_key *prefix, dt_datom *out, dt_arena *arena)
{
    dt_cursor c;
    const dt_datom *d;
    int rc = dt_cursor_init(&c, db, order, prefix, prefix, 0);
    if (rc == 0 && (rc = dt_cursor_next(&c, &d)) == 1) {
        *out = *d;
        if (dt_vtype_is_blob(d->v.type) && (!arena || c.out_copied))
            out->v = arena ? dt_arena_val(arena, d->v) : (dt_val){.type = d->v.type, .b = NULL};
    }
    dt_cursor_fini(&c);
    return rc;
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
