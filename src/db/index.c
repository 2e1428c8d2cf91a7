/*
 * index.c: the durable index trees (index.h).
 *
 * Invariants of a tree:
 *  (1) Every datom of a leaf, and every key of a branch, is strictly greater
 *      than the one before it in the tree's order (the decoder checks this
 *      within a segment; the merge keeps it across segments).
 *  (2) A branch's key i is the first datom under child i, and its count i
 *      the number of datoms under child i.
 *  (3) All leaves are at one depth: trees grow only at the root.
 *  (4) A segment is never rewritten: a merge writes new segments for the
 *      paths it changes and refers to every other one by its SHA.
 * Nothing is ever removed from a tree (a retraction is a datom), so nodes
 * never underflow and never merge.
 */
#include <stdlib.h>
#include <string.h>

#include "db/index.h"
#include "db/novelty.h"

static bool tree_empty(const dt_tree *t) { return !t || t->count == 0; }

static int wrong_tree(dt_order order, const char *why)
{
    return dt_error(DATOM_ECORRUPT, "index %s: %s", dt_order_name(order), why);
}

/* ---- cursors ---- */

static int fetch(dt_tree_cur *c, const uint8_t sha[32], int depth, dt_seg **out)
{
    if (depth >= DT_TREE_MAX_DEPTH)
        return wrong_tree(c->order, "deeper than any tree datom writes");
    int rc = dt_cache_get(c->cache, sha, out);
    if (rc == 0 && (*out)->order != c->order) {
        dt_seg_unref(*out);
        return wrong_tree(c->order, "a segment of another index");
    }
    return rc;
}

/* The number of entries of S before KEY (all of them <= when INCLUSIVE). */
static uint32_t lower(const dt_seg *s, dt_order order, const dt_key *key, bool inclusive)
{
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = dt_datom_key_cmp(order, &s->datoms[mid], key);
        if (c < 0 || (inclusive && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Releases the path below depth D. */
static void drop_below(dt_tree_cur *c, int d)
{
    for (int k = d; k < c->depth; k++) {
        dt_seg_unref(c->seg[k]);
        c->seg[k] = NULL;
    }
    if (c->depth > d)
        c->depth = d;
}

int dt_tree_cur_init(dt_tree_cur *c, dt_cache *cache, dt_order order, const dt_tree *tree, const dt_key *from)
{
    *c = (dt_tree_cur){.cache = cache, .order = order, .tree = tree};
    return dt_tree_cur_seek(c, from);
}

int dt_tree_cur_seek(dt_tree_cur *c, const dt_key *from)
{
    c->done = false;
    if (tree_empty(c->tree)) {
        c->done = true;
        return 0;
    }
    static const dt_key none = {0};
    if (!from)
        from = &none;
    const uint8_t *sha = c->tree->sha;
    for (int d = 0;; d++) {
        /* A segment of the old path is kept when the new path goes through
         * the same child of the same parent (the root always). */
        if (d >= c->depth) {
            dt_seg *s;
            int rc = fetch(c, sha, d, &s);
            if (rc) {
                drop_below(c, 0);
                c->done = true;
                return rc;
            }
            c->seg[d] = s;
            c->depth = d + 1;
        }
        dt_seg *s = c->seg[d];
        uint32_t i = lower(s, c->order, from, false);
        if (s->kind == DT_SEG_LEAF) {
            c->idx[d] = (int)i - 1; /* next() advances first */
            drop_below(c, d + 1);
            return 0;
        }
        /* The last child whose first datom is before FROM (or the first). */
        i = i ? i - 1 : 0;
        if (c->idx[d] != (int)i)
            drop_below(c, d + 1);
        c->idx[d] = (int)i;
        sha = s->shas[i];
    }
}

/* Moves to the next leaf entry; 1, 0 at the end, or an error. */
static int advance(dt_tree_cur *c)
{
    int d = c->depth - 1;
    if (++c->idx[d] < (int)c->seg[d]->n)
        return 1;
    while (--d >= 0) {
        if (++c->idx[d] >= (int)c->seg[d]->n)
            continue;
        /* Down the left edge of the next child. */
        for (int k = d + 1; k < c->depth; k++) {
            dt_seg_unref(c->seg[k]);
            c->seg[k] = NULL;
        }
        const uint8_t *sha = c->seg[d]->shas[c->idx[d]];
        for (int k = d + 1;; k++) {
            dt_seg *s;
            int rc = fetch(c, sha, k, &s);
            if (rc) {
                c->depth = k;
                return rc;
            }
            c->seg[k] = s;
            c->idx[k] = 0;
            if (s->kind == DT_SEG_LEAF) {
                c->depth = k + 1;
                return 1;
            }
            sha = s->shas[0];
        }
    }
    return 0;
}

int dt_tree_cur_next(dt_tree_cur *c, const dt_datom **out)
{
    if (c->done)
        return 0;
    int rc = advance(c);
    if (rc <= 0) {
        c->done = true;
        return rc;
    }
    *out = &c->seg[c->depth - 1]->datoms[c->idx[c->depth - 1]];
    return 1;
}

void dt_tree_cur_fini(dt_tree_cur *c) { drop_below(c, 0); }

/* ---- counts ---- */

/* Datoms of TREE before KEY (or at-or-before when INCLUSIVE). */
static uint64_t rank(dt_cache *cache, dt_order order, const dt_tree *tree, const dt_key *key,
                     bool inclusive)
{
    uint64_t r = 0;
    uint8_t sha[32];
    memcpy(sha, tree->sha, 32);
    for (int depth = 0; depth < DT_TREE_MAX_DEPTH; depth++) {
        dt_seg *s;
        if (dt_cache_get(cache, sha, &s)) {
            datom_errclear();
            return r;
        }
        uint32_t i = lower(s, order, key, inclusive);
        if (s->kind == DT_SEG_LEAF) {
            dt_seg_unref(s);
            return r + i;
        }
        if (i == 0) {
            dt_seg_unref(s);
            return r;
        }
        for (uint32_t k = 0; k + 1 < i; k++)
            r += s->counts[k];
        memcpy(sha, s->shas[i - 1], 32);
        dt_seg_unref(s);
    }
    return r;
}

uint64_t dt_tree_count(dt_cache *cache, dt_order order, const dt_tree *tree, const dt_key *from,
                       const dt_key *to, int flags)
{
    if (tree_empty(tree))
        return 0;
    uint64_t lo = from && from->n ? rank(cache, order, tree, from, false) : 0;
    uint64_t hi = to && to->n ? rank(cache, order, tree, to, !(flags & DT_CUR_TO_EXCLUSIVE)) : tree->count;
    return hi > lo ? hi - lo : 0;
}

/* ---- merge ---- */

typedef struct entry {
    dt_datom key;
    uint8_t sha[32];
    uint64_t count;
} entry;

typedef struct elist {
    entry *v;
    size_t n, cap;
} elist;

typedef struct merger {
    dt_cache *cache;
    dt_order order;
    dt_arena keys; /* the keys of new entries outlive the segments they came from */
    dt_buf buf;
} merger;

static void elist_push(merger *m, elist *l, const dt_datom *key, const uint8_t sha[32], uint64_t count)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = dt_realloc(l->v, l->cap * sizeof *l->v);
    }
    entry *e = &l->v[l->n++];
    e->key = *key;
    e->key.v = dt_arena_val(&m->keys, key->v);
    memcpy(e->sha, sha, 32);
    e->count = count;
}

/* How many pieces N entries make, at most MAX and about TARGET each. */
static size_t pieces(size_t n, size_t max, size_t target)
{
    return n <= max ? 1 : (n + target - 1) / target;
}

static int put_leaves(merger *m, const dt_datom *d, size_t n, elist *out)
{
    size_t k = pieces(n, DT_TREE_LEAF_MAX, DT_TREE_LEAF_TARGET);
    for (size_t i = 0, at = 0; i < k; i++) {
        size_t len = n / k + (i < n % k);
        uint8_t sha[32];
        dt_buf_clear(&m->buf);
        dt_seg_encode_leaf(&m->buf, m->order, d + at, (uint32_t)len);
        int rc = dt_cache_put(m->cache, m->buf.data, m->buf.len, sha);
        if (rc)
            return rc;
        elist_push(m, out, &d[at], sha, len);
        at += len;
    }
    return 0;
}

static int put_branches(merger *m, const entry *e, size_t n, elist *out)
{
    size_t k = pieces(n, DT_TREE_BRANCH_MAX, DT_TREE_BRANCH_TARGET);
    dt_datom *keys = dt_malloc(DT_TREE_BRANCH_MAX * sizeof *keys);
    uint8_t(*shas)[32] = dt_malloc(DT_TREE_BRANCH_MAX * 32);
    uint64_t *counts = dt_malloc(DT_TREE_BRANCH_MAX * sizeof *counts);
    int rc = 0;
    for (size_t i = 0, at = 0; rc == 0 && i < k; i++) {
        size_t len = n / k + (i < n % k);
        uint64_t total = 0;
        for (size_t j = 0; j < len; j++) {
            keys[j] = e[at + j].key;
            memcpy(shas[j], e[at + j].sha, 32);
            counts[j] = e[at + j].count;
            total += counts[j];
        }
        uint8_t sha[32];
        dt_buf_clear(&m->buf);
        dt_seg_encode_branch(&m->buf, m->order, keys, (const uint8_t(*)[32])shas, counts, (uint32_t)len);
        rc = dt_cache_put(m->cache, m->buf.data, m->buf.len, sha);
        if (rc == 0)
            elist_push(m, out, &keys[0], sha, total);
        at += len;
    }
    free(keys);
    free(shas);
    free(counts);
    return rc;
}

/* The first i of D[0..n) with D[i] >= KEY (a full datom). */
static size_t split_at(dt_order order, const dt_datom *d, size_t n, const dt_datom *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dt_datom_cmp(order, &d[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int merge_leaf(merger *m, const dt_seg *s, const dt_datom *add, size_t n, elist *out)
{
    dt_datom *all = dt_malloc((s->n + n) * sizeof *all);
    size_t i = 0, j = 0, k = 0;
    while (i < s->n || j < n) {
        if (j == n || (i < s->n && dt_datom_cmp(m->order, &s->datoms[i], &add[j]) < 0))
            all[k++] = s->datoms[i++];
        else
            all[k++] = add[j++];
    }
    int rc = put_leaves(m, all, k, out);
    free(all);
    return rc;
}

static int merge_node(merger *m, const uint8_t sha[32], const dt_datom *add, size_t n, int depth,
                      elist *out)
{
    if (depth >= DT_TREE_MAX_DEPTH)
        return wrong_tree(m->order, "deeper than any tree datom writes");
    dt_seg *s;
    int rc = dt_cache_get(m->cache, sha, &s);
    if (rc)
        return rc;
    if (s->order != m->order) {
        dt_seg_unref(s);
        return wrong_tree(m->order, "a segment of another index");
    }
    if (s->kind == DT_SEG_LEAF) {
        rc = merge_leaf(m, s, add, n, out);
        dt_seg_unref(s);
        return rc;
    }
    elist kids = {0};
    size_t at = 0;
    for (uint32_t i = 0; rc == 0 && i < s->n; i++) {
        size_t end = i + 1 < s->n ? at + split_at(m->order, add + at, n - at, &s->datoms[i + 1]) : n;
        if (end == at)
            elist_push(m, &kids, &s->datoms[i], s->shas[i], s->counts[i]); /* (4) */
        else
            rc = merge_node(m, s->shas[i], add + at, end - at, depth + 1, &kids);
        at = end;
    }
    dt_seg_unref(s);
    if (rc == 0)
        rc = put_branches(m, kids.v, kids.n, out);
    free(kids.v);
    return rc;
}

int dt_tree_merge(dt_cache *cache, dt_order order, const dt_tree *old, const dt_datom *add, size_t n,
                  dt_tree *out)
{
    if (n == 0) {
        *out = old ? *old : (dt_tree){{0}, 0};
        return 0;
    }
    merger m = {.cache = cache, .order = order};
    elist level = {0};
    int rc = tree_empty(old) ? put_leaves(&m, add, n, &level) : merge_node(&m, old->sha, add, n, 0, &level);
    while (rc == 0 && level.n > 1) { /* (3): grow at the root */
        elist up = {0};
        rc = put_branches(&m, level.v, level.n, &up);
        free(level.v);
        level = up;
    }
    if (rc == 0) {
        memcpy(out->sha, level.v[0].sha, 32);
        out->count = level.v[0].count;
    }
    free(level.v);
    dt_arena_free(&m.keys);
    dt_buf_free(&m.buf);
    return rc;
}
