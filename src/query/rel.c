/*
 * rel.c: relations (rows of interned values, a column per variable) and
 * hash indexes over them (q.h).
 *
 * A hash index is a table of chain heads and a per-row "next" array: rows
 * with equal keys share a chain, newest first, so building is one pass and
 * an index follows a relation that only grows (rule tables, seeds) by
 * indexing the rows added since (q_hidx_update), doubling its heads when
 * the chains get long.
 *
 * Memory held by relations is counted (q_mem): a query whose intermediate
 * results pass the run's limit stops with an error naming the limit,
 * instead of exhausting the machine.
 */
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

#define NONE UINT32_MAX

void q_rel_init(q_ctx *x, q_rel *r, const uint16_t *cols, uint16_t ncol)
{
    memset(r, 0, sizeof *r);
    r->ncol = ncol;
    r->cols = q_alloc(&x->arena, (ncol ? ncol : 1) * sizeof *r->cols);
    if (ncol && cols)
        memcpy(r->cols, cols, ncol * sizeof *cols);
}

void q_rel_free(q_ctx *x, q_rel *r)
{
    if (r->v)
        q_mem(x, -(ssize_t)(r->cap * (r->ncol ? r->ncol : 1) * sizeof(dt_val)));
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

dt_val *q_rel_push(q_ctx *x, q_rel *r)
{
    size_t w = r->ncol ? r->ncol : 1; /* a row of no column still takes a slot */
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        q_mem(x, (ssize_t)((cap - r->cap) * w * sizeof(dt_val)));
        r->v = dt_realloc(r->v, cap * w * sizeof(dt_val));
        r->cap = cap;
    }
    return r->v + r->n++ * w;
}

int q_rel_col(const q_rel *r, uint16_t var)
{
    for (int i = 0; i < r->ncol; i++)
        if (r->cols[i] == var)
            return i;
    return -1;
}

void q_rel_unit(q_ctx *x, q_rel *r)
{
    q_rel_init(x, r, NULL, 0);
    q_rel_push(x, r);
}

void q_rel_move(q_ctx *x, q_rel *dst, q_rel *src)
{
    q_rel_free(x, dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
    src->cols = dst->cols;
}

/* ---- hashing ---- */

uint64_t q_hash_vals(const dt_val *v, uint16_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint16_t i = 0; i < n; i++)
        h = (h ^ q_vhash(v[i])) * UINT64_C(0x100000001b3);
    return h ^ (h >> 31);
}

uint64_t q_hash_cols(const dt_val *row, const uint16_t *cols, uint16_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint16_t i = 0; i < n; i++)
        h = (h ^ q_vhash(row[cols[i]])) * UINT64_C(0x100000001b3);
    return h ^ (h >> 31);
}

static bool key_eq(const dt_val *row, const uint16_t *cols, uint16_t n, const dt_val *key)
{
    for (uint16_t i = 0; i < n; i++)
        if (!q_veq(row[cols[i]], key[i]))
            return false;
    return true;
}

/* ---- indexes ---- */

void q_hidx_init(q_hidx *h, const uint16_t *keycols, uint16_t nkey)
{
    memset(h, 0, sizeof *h);
    h->nkey = nkey;
    h->key = dt_malloc((nkey ? nkey : 1) * sizeof *h->key);
    if (nkey)
        memcpy(h->key, keycols, nkey * sizeof *keycols);
}

void q_hidx_free(q_hidx *h)
{
    free(h->key);
    free(h->head);
    free(h->next);
    free(h->tag);
    memset(h, 0, sizeof *h);
}

static void link_row(q_hidx *h, const q_rel *r, size_t i)
{
    uint64_t hash = q_hash_cols(q_rel_row(r, i), h->key, h->nkey);
    size_t slot = hash & h->mask;
    h->next[i] = h->head[slot];
    h->tag[i] = (uint32_t)(hash >> 32);
    h->head[slot] = (uint32_t)i;
}

void q_hidx_update(q_ctx *x, q_hidx *h, const q_rel *r)
{
    (void)x;
    if (h->n == r->n)
        return;
    if (r->n > h->cap_next) {
        size_t cap = h->cap_next ? h->cap_next : 16;
        while (cap < r->n)
            cap *= 2;
        h->next = dt_realloc(h->next, cap * sizeof *h->next);
        h->tag = dt_realloc(h->tag, cap * sizeof *h->tag);
        h->cap_next = cap;
    }
    if (!h->head || r->n > h->mask + 1) {
        size_t slots = 16;
        while (slots < r->n * 2)
            slots *= 2;
        free(h->head);
        h->head = dt_malloc(slots * sizeof *h->head);
        memset(h->head, 0xff, slots * sizeof *h->head);
        h->mask = slots - 1;
        h->n = 0;
    }
    for (size_t i = h->n; i < r->n; i++)
        link_row(h, r, i);
    h->n = r->n;
}

uint32_t q_hidx_find(const q_hidx *h, const q_rel *r, const dt_val *key, uint64_t hash)
{
    if (!h->head)
        return NONE;
    uint32_t tag = (uint32_t)(hash >> 32);
    uint32_t i = h->head[hash & h->mask];
    while (i != NONE && (h->tag[i] != tag || !key_eq(q_rel_row(r, i), h->key, h->nkey, key)))
        i = h->next[i];
    return i;
}

uint32_t q_hidx_next(const q_hidx *h, const q_rel *r, uint32_t i, const dt_val *key)
{
    uint32_t tag = h->tag[i];
    i = h->next[i];
    while (i != NONE && (h->tag[i] != tag || !key_eq(q_rel_row(r, i), h->key, h->nkey, key)))
        i = h->next[i];
    return i;
}

bool q_rel_add_distinct(q_ctx *x, q_rel *r, q_hidx *all, const dt_val *row)
{
    q_hidx_update(x, all, r);
    uint64_t hash = q_hash_vals(row, r->ncol);
    if (q_hidx_find(all, r, row, hash) != NONE)
        return false;
    dt_val *dst = q_rel_push(x, r);
    memcpy(dst, row, r->ncol * sizeof *row);
    q_hidx_update(x, all, r);
    return true;
}

/* ---- projection ---- */

void q_rel_distinct(q_ctx *x, q_rel *r)
{
    if (r->n < 2)
        return;
    uint16_t all[256];
    for (uint16_t i = 0; i < r->ncol; i++)
        all[i] = i;
    if (r->ncol == 0) {
        r->n = 1;
        return;
    }
    q_hidx h;
    q_hidx_init(&h, all, r->ncol);
    size_t slots = 16;
    while (slots < r->n * 2)
        slots *= 2;
    h.head = dt_malloc(slots * sizeof *h.head);
    memset(h.head, 0xff, slots * sizeof *h.head);
    h.mask = slots - 1;
    h.next = dt_malloc(r->n * sizeof *h.next);
    h.tag = dt_malloc(r->n * sizeof *h.tag);
    h.cap_next = r->n;
    size_t w = 0;
    for (size_t i = 0; i < r->n && !q_stop(x); i++) { /* stopped: the query fails (q_mem) */
        dt_val *row = q_rel_row(r, i);
        uint64_t hash = q_hash_vals(row, r->ncol);
        h.n = w;
        if (q_hidx_find(&h, r, row, hash) != NONE)
            continue;
        if (w != i)
            memcpy(q_rel_row(r, w), row, r->ncol * sizeof *row);
        h.next[w] = h.head[hash & h.mask];
        h.tag[w] = (uint32_t)(hash >> 32);
        h.head[hash & h.mask] = (uint32_t)w;
        w++;
    }
    r->n = w;
    q_hidx_free(&h);
}

void q_rel_project(q_ctx *x, q_rel *r, const uint16_t *keep, uint16_t nkeep)
{
    int map[256];
    bool same = nkeep == r->ncol;
    for (uint16_t i = 0; i < nkeep; i++) {
        map[i] = q_rel_col(r, keep[i]);
        same = same && map[i] == i;
    }
    if (same)
        return;
    size_t wold = r->ncol ? r->ncol : 1, wnew = nkeep ? nkeep : 1;
    for (size_t i = 0; i < r->n; i++) {
        dt_val tmp[256];
        const dt_val *row = r->v + i * wold;
        for (uint16_t k = 0; k < nkeep; k++)
            tmp[k] = row[map[k]];
        memcpy(r->v + i * wnew, tmp, nkeep * sizeof *tmp);
    }
    /* the buffer now holds fewer values per row: count it by the new width */
    q_mem(x, -(ssize_t)(r->cap * wold * sizeof(dt_val)));
    r->cap = r->cap * wold / wnew;
    q_mem(x, (ssize_t)(r->cap * wnew * sizeof(dt_val)));
    r->ncol = nkeep;
    r->cols = q_alloc(&x->arena, wnew * sizeof *r->cols);
    memcpy(r->cols, keep, nkeep * sizeof *keep);
    if (nkeep < 1 && r->n)
        r->n = 1;
    else
        q_rel_distinct(x, r);
}

void q_emit(q_ctx *x, q_rel *out, const q_step *s, const dt_val *row, uint16_t nin, const dt_val *newv)
{
    (void)q_stop(x); /* a row is a unit of work: the loops around stop on x->over */
    dt_val *dst = q_rel_push(x, out);
    for (uint16_t k = 0; k < s->nkeep; k++) {
        uint16_t c = s->keep[k];
        dst[k] = c < nin ? row[c] : newv[c - nin];
    }
}
