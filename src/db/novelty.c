/*
 * novelty.c: the in-memory index (novelty.h): a datom array in chunks, an
 * intern table for string-like values, and one B+tree of datom positions per
 * order (EAVT, AEVT, AVET, VAET; the log order is the array itself).
 *
 * Invariants:
 *  (1) Chunks never move once allocated and datoms are never removed, so a
 *      position names one datom for the life of the novelty.
 *  (2) Equal interned bytes are one blob: two values of one novelty are
 *      equal exactly when their bits are.
 *  (3) In every inner node, first[i] is a copy of the smallest datom under
 *      kid[i] (so that a descent compares against the node, not against the
 *      datom array: the datoms a search would touch are scattered, and each
 *      touch a cache miss), and count is the number of positions under it.
 *  (4) version changes on every insertion; cursors compare it to know when
 *      their saved path may be stale.
 *
 * Splits: a node that overflows because of an insertion at its end keeps
 * its entries and starts a new right sibling with the one new entry, so
 * ascending insertions (new entities, the log's t) fill nodes completely;
 * other splits halve.
 */
#include <stdlib.h>
#include <string.h>

#include "db/novelty.h"

#define CHUNK_SHIFT DT_NOV_CHUNK_SHIFT
#define CHUNK_SIZE (1u << CHUNK_SHIFT)
#define LEAF_MAX 32
#define INNER_MAX 64
#define ARENA_CHUNK (64u << 10)
#define BIG_BLOB 4096
#define N_TREES 4
#define HOT static inline __attribute__((always_inline))

typedef struct dt_nov_node {
    uint32_t count;
    uint16_t n;
    uint8_t leaf;
} bhdr;

typedef struct bleaf {
    bhdr h;
    uint32_t pos[LEAF_MAX];
} bleaf;

typedef struct binner {
    bhdr h;
    dt_ndatom first[INNER_MAX];
    bhdr *kid[INNER_MAX];
} binner;

/* A path from a root to a leaf: the node and the index taken at each
 * depth (at the leaf: the entry's). */
typedef struct dt_nov_path {
    int depth; /* 0: none */
    bhdr *node[DT_NOV_MAX_DEPTH];
    int idx[DT_NOV_MAX_DEPTH];
} dt_nov_path;

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    _Alignas(8) char data[];
} arena_chunk;

struct dt_nov {
    dt_nov_hot hot; /* chunks, version, atype (novelty.h's inline readers) */
    int refs;
    uint32_t n_chunks, cap_chunks, n;
    bhdr *root[N_TREES];
    dt_nov_path path[N_TREES]; /* each tree's last insertion (tree_insert) */
    /* intern table: open addressing */
    const dt_blob **slots;
    uint32_t n_slots, n_interned;
    arena_chunk *arena;
    size_t arena_bytes, node_bytes;
};

/* ---- life ---- */

dt_nov *dt_nov_new(void)
{
    dt_nov *n = dt_calloc(1, sizeof *n);
    n->refs = 1;
    return n;
}

dt_nov *dt_nov_ref(dt_nov *n)
{
    n->refs++;
    return n;
}

static void free_tree(bhdr *h)
{
    if (!h)
        return;
    if (!h->leaf) {
        binner *in = (binner *)h;
        for (int i = 0; i < h->n; i++)
            free_tree(in->kid[i]);
    }
    free(h);
}

void dt_nov_unref(dt_nov *n)
{
    if (!n || --n->refs > 0)
        return;
    for (uint32_t i = 0; i < n->n_chunks; i++)
        free(n->hot.chunks[i]);
    free(n->hot.chunks);
    for (int o = 0; o < N_TREES; o++)
        free_tree(n->root[o]);
    for (arena_chunk *c = n->arena, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(n->slots);
    free(n->hot.atype);
    free(n);
}

/* ---- attribute types ---- */

void dt_nov_set_atype(dt_nov *n, uint32_t a, dt_vtype type)
{
    if (a >= n->hot.n_atype) {
        uint32_t cap = DT_MAX(a + 1, n->hot.n_atype * 2);
        n->hot.atype = dt_realloc(n->hot.atype, cap);
        memset(n->hot.atype + n->hot.n_atype, DT_NIL, cap - n->hot.n_atype);
        n->hot.n_atype = cap;
    }
    n->hot.atype[a] = (uint8_t)type;
}


/* ---- interning ---- */

static void *arena_alloc(dt_nov *n, size_t size)
{
    size = (size + 7) & ~(size_t)7;
    if (size > BIG_BLOB || !n->arena || n->arena->used + size > n->arena->cap) {
        size_t cap = size > BIG_BLOB ? size : ARENA_CHUNK;
        arena_chunk *c = dt_malloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        n->arena_bytes += sizeof *c + cap;
        if (size > BIG_BLOB && n->arena) {
            /* A big blob gets its own chunk, kept behind the current one. */
            c->next = n->arena->next;
            n->arena->next = c;
        } else {
            c->next = n->arena;
            n->arena = c;
        }
        c->used = size;
        return c->data;
    }
    void *p = n->arena->data + n->arena->used;
    n->arena->used += size;
    return p;
}

static void intern_grow(dt_nov *n)
{
    uint32_t cap = n->n_slots ? n->n_slots * 2 : 1024;
    const dt_blob **slots = dt_calloc(cap, sizeof *slots);
    for (uint32_t i = 0; i < n->n_slots; i++) {
        const dt_blob *b = n->slots[i];
        if (!b)
            continue;
        uint32_t j = b->hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = b;
    }
    free(n->slots);
    n->slots = slots;
    n->n_slots = cap;
}

static const dt_blob *intern(dt_nov *n, const dt_blob *b)
{
    if (n->n_interned * 2 >= n->n_slots)
        intern_grow(n);
    uint32_t mask = n->n_slots - 1, j = b->hash & mask;
    for (const dt_blob *s; (s = n->slots[j]); j = (j + 1) & mask)
        if (s == b || (s->hash == b->hash && s->len == b->len && !memcmp(s->data, b->data, b->len)))
            return s;
    dt_blob *c = arena_alloc(n, sizeof *c + b->len + 1);
    c->len = b->len;
    c->hash = b->hash;
    memcpy(c->data, b->data, b->len + 1u);
    n->slots[j] = c;
    n->n_interned++;
    return c;
}

dt_val dt_nov_interned(const dt_nov *n, dt_val v)
{
    if (!dt_vtype_is_blob(v.type) || !n->n_slots)
        return v;
    const dt_blob *b = v.b;
    uint32_t mask = n->n_slots - 1;
    for (uint32_t j = b->hash & mask; n->slots[j]; j = (j + 1) & mask) {
        const dt_blob *s = n->slots[j];
        if (s == b || (s->hash == b->hash && s->len == b->len && !memcmp(s->data, b->data, b->len))) {
            v.b = s;
            break;
        }
    }
    return v;
}

dt_val dt_nov_intern(dt_nov *n, dt_val v)
{
    if (dt_vtype_is_blob(v.type))
        v.b = intern(n, v.b);
    return v;
}

/* ---- datoms ---- */

uint32_t dt_nov_count(const dt_nov *n) { return n->n; }

static inline const dt_ndatom *at(const dt_nov *n, uint32_t i) { return dt_nov_at(n, i); }

int64_t dt_nov_max_t(const dt_nov *n) { return n->n ? DT_ND_T(at(n, n->n - 1)) : -1; }

size_t dt_nov_bytes(const dt_nov *n)
{
    return sizeof *n + (size_t)n->n_chunks * (CHUNK_SIZE * sizeof(dt_ndatom) + sizeof(void *)) +
           n->node_bytes + n->arena_bytes + (size_t)n->n_slots * sizeof(void *) + n->hot.n_atype;
}

/* ---- comparisons ---- */

static inline int u64_cmp(uint64_t x, uint64_t y) { return x < y ? -1 : x > y; }

/* Values of one type (the bits of two values of one novelty). */
static inline int bits_cmp(dt_vtype t, uint64_t x, uint64_t y)
{
    if (x == y)
        return 0; /* (2): equal bits are equal values */
    switch (t) {
    case DT_LONG:
    case DT_INSTANT:
    case DT_BOOL: return (int64_t)x < (int64_t)y ? -1 : 1;
    case DT_REF: return x < y ? -1 : 1;
    default: return dt_val_cmp((dt_val){.type = (uint8_t)t, .u = x}, (dt_val){.type = (uint8_t)t, .u = y});
    }
}

/* Two datoms of N in each order; ties (impossible for distinct datoms) by tx.
 * One function per order, chosen once per search (nd_cmps). */
typedef int (*nd_cmp_fn)(const dt_nov *n, const dt_ndatom *x, const dt_ndatom *y);

HOT int v_cmp(const dt_nov *n, const dt_ndatom *x, const dt_ndatom *y)
{
    return x->v == y->v ? 0 : bits_cmp(dt_nov_atype(n, x->a), x->v, y->v);
}

#define CMP_FIELD(f)                                                                               \
    if (x->f != y->f)                                                                              \
    return x->f < y->f ? -1 : 1

HOT int cmp_eavt(const dt_nov *n, const dt_ndatom *x, const dt_ndatom *y)
{
    CMP_FIELD(e);
    CMP_FIELD(a);
    int c = v_cmp(n, x, y);
    if (c)
        return c;
    return u64_cmp(x->tx, y->tx);
}

HOT int cmp_aevt(const dt_nov *n, const dt_ndatom *x, const dt_ndatom *y)
{
    CMP_FIELD(a);
    CMP_FIELD(e);
    int c = v_cmp(n, x, y);
    if (c)
        return c;
    return u64_cmp(x->tx, y->tx);
}

HOT int cmp_avet(const dt_nov *n, const dt_ndatom *x, const dt_ndatom *y)
{
    CMP_FIELD(a);
    int c = v_cmp(n, x, y);
    if (c)
        return c;
    CMP_FIELD(e);
    return u64_cmp(x->tx, y->tx);
}

HOT int cmp_vaet(const dt_nov *n, const dt_ndatom *x, const dt_ndatom *y)
{
    CMP_FIELD(v);
    CMP_FIELD(a);
    CMP_FIELD(e);
    return u64_cmp(x->tx, y->tx);
}

static int cmp_log(const dt_nov *n, const dt_ndatom *x, const dt_ndatom *y)
{
    if ((x->tx >> 1) != (y->tx >> 1))
        return (x->tx >> 1) < (y->tx >> 1) ? -1 : 1;
    CMP_FIELD(e);
    CMP_FIELD(a);
    int c = v_cmp(n, x, y);
    if (c)
        return c;
    return u64_cmp(x->tx, y->tx);
}

static const nd_cmp_fn nd_cmps[DT_ORDER_COUNT] = {cmp_eavt, cmp_aevt, cmp_avet, cmp_vaet, cmp_log};

/* Datom D's value against value KV (types first, as dt_val_cmp). */
static inline int key_v_cmp(const dt_nov *n, const dt_ndatom *d, dt_val kv)
{
    unsigned t = dt_nov_atype(n, d->a);
    if (t != kv.type)
        return t < kv.type ? -1 : 1;
    if (d->v == kv.u)
        return 0; /* the same bits (or the same interned blob) */
    return bits_cmp((dt_vtype)t, d->v, kv.u);
}

/* Datom D of N against KEY's first key->n components, one function per
 * order: the descents' inner loop (the generic cmp_components costs a
 * value built and a switch per component). */
typedef int (*nd_key_fn)(const dt_nov *n, const dt_ndatom *d, const dt_key *k);

#define KEY_FIELD(i, x, y)                                                                         \
    if (k->n <= (i))                                                                               \
        return 0;                                                                                  \
    if ((x) != (y))                                                                                \
    return (x) < (y) ? -1 : 1
#define KEY_V(i)                                                                                   \
    if (k->n <= (i))                                                                               \
        return 0;                                                                                  \
    if ((c = key_v_cmp(n, d, k->v)))                                                               \
    return c
#define ND_TXID(d) DT_TX_OF_T(DT_ND_T(d))

static int key_eavt(const dt_nov *n, const dt_ndatom *d, const dt_key *k)
{
    int c;
    KEY_FIELD(0, d->e, k->e);
    KEY_FIELD(1, d->a, k->a);
    KEY_V(2);
    KEY_FIELD(3, ND_TXID(d), k->tx);
    return 0;
}

static int key_aevt(const dt_nov *n, const dt_ndatom *d, const dt_key *k)
{
    int c;
    KEY_FIELD(0, d->a, k->a);
    KEY_FIELD(1, d->e, k->e);
    KEY_V(2);
    KEY_FIELD(3, ND_TXID(d), k->tx);
    return 0;
}

static int key_avet(const dt_nov *n, const dt_ndatom *d, const dt_key *k)
{
    int c;
    KEY_FIELD(0, d->a, k->a);
    KEY_V(1);
    KEY_FIELD(2, d->e, k->e);
    KEY_FIELD(3, ND_TXID(d), k->tx);
    return 0;
}

static int key_vaet(const dt_nov *n, const dt_ndatom *d, const dt_key *k)
{
    int c;
    KEY_V(0);
    KEY_FIELD(1, d->a, k->a);
    KEY_FIELD(2, d->e, k->e);
    KEY_FIELD(3, ND_TXID(d), k->tx);
    return 0;
}

static int key_log(const dt_nov *n, const dt_ndatom *d, const dt_key *k)
{
    int c;
    KEY_FIELD(0, ND_TXID(d), k->tx);
    KEY_FIELD(1, d->e, k->e);
    KEY_FIELD(2, d->a, k->a);
    KEY_V(3);
    return 0;
}

static const nd_key_fn nd_keys[DT_ORDER_COUNT] = {key_eavt, key_aevt, key_avet, key_vaet, key_log};

int dt_nov_key_cmp(const dt_nov *n, dt_order order, const dt_ndatom *d, const dt_key *key)
{
    return nd_keys[order](n, d, key);
}

/* dt_val_cmp, with the common scalar types inline. */
static inline int val_cmp(dt_val x, dt_val y)
{
    if (x.type == y.type) {
        switch (x.type) {
        case DT_LONG:
        case DT_INSTANT:
        case DT_BOOL: return x.i < y.i ? -1 : x.i > y.i;
        case DT_REF: return x.u < y.u ? -1 : x.u > y.u;
        default: break;
        }
    }
    return dt_val_cmp(x, y);
}

#define DKEY_V(i)                                                                                  \
    if (k->n <= (i))                                                                               \
        return 0;                                                                                  \
    if ((c = val_cmp(d->v, k->v)))                                                                 \
    return c

static int dkey_eavt(const dt_datom *d, const dt_key *k)
{
    int c;
    KEY_FIELD(0, d->e, k->e);
    KEY_FIELD(1, d->a, k->a);
    DKEY_V(2);
    KEY_FIELD(3, d->tx, k->tx);
    return 0;
}

static int dkey_aevt(const dt_datom *d, const dt_key *k)
{
    int c;
    KEY_FIELD(0, d->a, k->a);
    KEY_FIELD(1, d->e, k->e);
    DKEY_V(2);
    KEY_FIELD(3, d->tx, k->tx);
    return 0;
}

static int dkey_avet(const dt_datom *d, const dt_key *k)
{
    int c;
    KEY_FIELD(0, d->a, k->a);
    DKEY_V(1);
    KEY_FIELD(2, d->e, k->e);
    KEY_FIELD(3, d->tx, k->tx);
    return 0;
}

static int dkey_vaet(const dt_datom *d, const dt_key *k)
{
    int c;
    DKEY_V(0);
    KEY_FIELD(1, d->a, k->a);
    KEY_FIELD(2, d->e, k->e);
    KEY_FIELD(3, d->tx, k->tx);
    return 0;
}

static int dkey_log(const dt_datom *d, const dt_key *k)
{
    int c;
    KEY_FIELD(0, d->tx, k->tx);
    KEY_FIELD(1, d->e, k->e);
    KEY_FIELD(2, d->a, k->a);
    DKEY_V(3);
    return 0;
}

int dt_datom_key_cmp(dt_order order, const dt_datom *d, const dt_key *key)
{
    switch (order) {
    case DT_EAVT: return dkey_eavt(d, key);
    case DT_AEVT: return dkey_aevt(d, key);
    case DT_AVET: return dkey_avet(d, key);
    case DT_VAET: return dkey_vaet(d, key);
    default: return dkey_log(d, key);
    }
}

int dt_datom_cmp(dt_order order, const dt_datom *x, const dt_datom *y)
{
    dt_key k = {.n = 4, .e = y->e, .a = y->a, .v = y->v, .tx = y->tx};
    int c = dt_datom_key_cmp(order, x, &k);
    return c ? c : (int)x->added - (int)y->added;
}

/* ---- B+tree insertion ---- */

/* Two datoms of N in ORDER, inline: the insertions' searches call this
 * with a constant ORDER, so each order's search has its comparison in
 * its loop (not a call through nd_cmps per step). */
HOT int ocmp(const dt_nov *n, dt_order order, const dt_ndatom *x, const dt_ndatom *y)
{
    switch (order) {
    case DT_EAVT: return cmp_eavt(n, x, y);
    case DT_AEVT: return cmp_aevt(n, x, y);
    case DT_AVET: return cmp_avet(n, x, y);
    default: return cmp_vaet(n, x, y);
    }
}

static void *node_new(dt_nov *n, bool leaf)
{
    size_t size = leaf ? sizeof(bleaf) : sizeof(binner);
    bhdr *h = dt_malloc(size);
    h->count = 0;
    h->n = 0;
    h->leaf = leaf;
    n->node_bytes += size;
    return h;
}

/* Asks for the datoms the first three steps of a binary search over a leaf
 * may read, before it reads them: the misses then overlap instead of
 * following one another. */
static inline void prefetch_leaf(const dt_nov *n, const bleaf *l)
{
    unsigned h = l->h.n;
    if (h < 8)
        return;
    for (unsigned k = 1; k < 8; k++)
        __builtin_prefetch(at(n, l->pos[(h * k) >> 3]));
}

/* The first index i of LEAF with D before pos[i] (upper bound). */
HOT int leaf_slot(const dt_nov *n, dt_order o, const dt_ndatom *d, const bleaf *l)
{
    int lo = 0, hi = l->h.n;
    if (hi && ocmp(n, o, d, at(n, l->pos[hi - 1])) > 0)
        return hi; /* the common case: appending */
    prefetch_leaf(n, l);
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (ocmp(n, o, d, at(n, l->pos[mid])) < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The child of IN that D goes to: the last i with first[i] <= D (or 0).
 * (Appending needs no shortcut here: place() keeps the last path.) */
HOT int inner_slot(const dt_nov *n, dt_order o, const dt_ndatom *d, const binner *in)
{
    int lo = 1, hi = in->h.n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (ocmp(n, o, d, &in->first[mid]) < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo - 1;
}

/* Whether P (the path of the last insertion) is where a descent from the
 * root would take D: the first of the lowest node entered at an index
 * above 0 is below D, and the first after the lowest node entered below
 * its last index is above D ((3): a node's first is its subtree's least). */
HOT bool path_holds(const dt_nov *n, dt_order o, const dt_ndatom *d, const dt_nov_path *p)
{
    bool lo = false, hi = false;
    for (int k = p->depth - 2; k >= 0 && !(lo && hi); k--) {
        const binner *in = (const binner *)p->node[k];
        int i = p->idx[k];
        if (!lo && i > 0) {
            if (ocmp(n, o, d, &in->first[i]) < 0)
                return false;
            lo = true;
        }
        if (!hi && i + 1 < in->h.n) {
            if (ocmp(n, o, d, &in->first[i + 1]) >= 0)
                return false;
            hi = true;
        }
    }
    return true;
}

/* Fills P with the path to the leaf D goes to, and D's index there: from
 * P itself when it still holds (insertions near the last one: a new
 * entity's datoms, one entity's retractions), else from the root. */
HOT void place(const dt_nov *n, dt_order o, const dt_ndatom *d, dt_nov_path *p)
{
    if (p->depth == 0 || !path_holds(n, o, d, p)) {
        int k = 0;
        bhdr *h = n->root[o];
        for (; !h->leaf; k++) {
            p->node[k] = h;
            p->idx[k] = inner_slot(n, o, d, (const binner *)h);
            h = ((const binner *)h)->kid[p->idx[k]];
        }
        p->node[k] = h;
        p->depth = k + 1;
    }
    p->idx[p->depth - 1] = leaf_slot(n, o, d, (const bleaf *)p->node[p->depth - 1]);
}

static void place_eavt(const dt_nov *n, const dt_ndatom *d, dt_nov_path *p) { place(n, DT_EAVT, d, p); }
static void place_aevt(const dt_nov *n, const dt_ndatom *d, dt_nov_path *p) { place(n, DT_AEVT, d, p); }
static void place_avet(const dt_nov *n, const dt_ndatom *d, dt_nov_path *p) { place(n, DT_AVET, d, p); }
static void place_vaet(const dt_nov *n, const dt_ndatom *d, dt_nov_path *p) { place(n, DT_VAET, d, p); }

static dt_ndatom node_first(const dt_nov *n, const bhdr *h)
{
    return h->leaf ? *at(n, ((const bleaf *)h)->pos[0]) : ((const binner *)h)->first[0];
}

static uint32_t sum_counts(const binner *in)
{
    uint32_t c = 0;
    for (int i = 0; i < in->h.n; i++)
        c += in->kid[i]->count;
    return c;
}

/* Splits full leaf L for POS at index I: the new right sibling. A leaf that
 * overflows at its end keeps its entries (ascending insertions fill). */
static bhdr *split_leaf(dt_nov *n, bleaf *l, int i, uint32_t pos)
{
    bleaf *r = node_new(n, true);
    int keep = i == LEAF_MAX ? LEAF_MAX : LEAF_MAX / 2;
    r->h.n = (uint16_t)(LEAF_MAX - keep);
    memcpy(r->pos, l->pos + keep, (size_t)r->h.n * sizeof *r->pos);
    l->h.n = (uint16_t)keep;
    bleaf *into = i <= keep && i != LEAF_MAX ? l : r;
    int j = into == l ? i : i - keep;
    memmove(into->pos + j + 1, into->pos + j, (size_t)(into->h.n - j) * sizeof *into->pos);
    into->pos[j] = pos;
    into->h.n++;
    l->h.count = l->h.n;
    r->h.count = r->h.n;
    return &r->h;
}

/* Puts child KID (whose least datom is FIRST) at index AT of IN; a new
 * right sibling when IN was full (then split like a leaf). */
static bhdr *inner_put(dt_nov *n, binner *in, int at, const dt_ndatom *first, bhdr *kid)
{
    binner *into = in, *r = NULL;
    int j = at;
    if (in->h.n == INNER_MAX) {
        r = node_new(n, false);
        int keep = at == INNER_MAX ? INNER_MAX : INNER_MAX / 2;
        r->h.n = (uint16_t)(INNER_MAX - keep);
        memcpy(r->first, in->first + keep, (size_t)r->h.n * sizeof *r->first);
        memcpy(r->kid, in->kid + keep, (size_t)r->h.n * sizeof *r->kid);
        in->h.n = (uint16_t)keep;
        if (!(at <= keep && at != INNER_MAX)) {
            into = r;
            j = at - keep;
        }
    }
    memmove(into->first + j + 1, into->first + j, (size_t)(into->h.n - j) * sizeof *into->first);
    memmove(into->kid + j + 1, into->kid + j, (size_t)(into->h.n - j) * sizeof *into->kid);
    into->first[j] = *first;
    into->kid[j] = kid;
    into->h.n++;
    if (!r)
        return NULL;
    in->h.count = sum_counts(in);
    r->h.count = sum_counts(r);
    return &r->h;
}

/* Inserts POS into ORDER's tree along the path place() found (every node
 * on it counts one more; a new least datom becomes its ancestors' first
 * (3)), splitting upwards as needed. */
static void tree_insert(dt_nov *n, dt_order order, uint32_t pos)
{
    int o = (int)order;
    dt_nov_path *p = &n->path[o];
    const dt_ndatom *d = at(n, pos);
    if (!n->root[o]) {
        bleaf *l = node_new(n, true);
        l->pos[0] = pos;
        l->h.n = 1;
        l->h.count = 1;
        n->root[o] = &l->h;
        p->depth = 0;
        return;
    }
    static void (*const places[N_TREES])(const dt_nov *, const dt_ndatom *, dt_nov_path *) = {
        place_eavt, place_aevt, place_avet, place_vaet};
    places[o](n, d, p);
    int leaf = p->depth - 1, i = p->idx[leaf];
    for (int k = 0; k <= leaf; k++)
        p->node[k]->count++;
    if (i == 0)
        for (int k = leaf - 1; k >= 0; k--) {
            ((binner *)p->node[k])->first[p->idx[k]] = *d;
            if (p->idx[k] != 0)
                break;
        }
    bleaf *l = (bleaf *)p->node[leaf];
    if (l->h.n < LEAF_MAX) {
        memmove(l->pos + i + 1, l->pos + i, (size_t)(l->h.n - i) * sizeof *l->pos);
        l->pos[i] = pos;
        l->h.n++;
        return;
    }
    p->depth = 0; /* the path changes shape: the next insertion descends */
    bhdr *split = split_leaf(n, l, i, pos);
    for (int k = leaf - 1; split && k >= 0; k--) {
        dt_ndatom first = node_first(n, split);
        split = inner_put(n, (binner *)p->node[k], p->idx[k] + 1, &first, split);
    }
    if (split) {
        binner *root = node_new(n, false);
        root->kid[0] = n->root[o];
        root->kid[1] = split;
        root->first[0] = node_first(n, root->kid[0]);
        root->first[1] = node_first(n, split);
        root->h.n = 2;
        root->h.count = root->kid[0]->count + split->count;
        n->root[o] = &root->h;
    }
}

void dt_nov_add(dt_nov *n, const dt_datom *d)
{
    if (n->n == n->n_chunks * CHUNK_SIZE) {
        if (n->n_chunks == n->cap_chunks) {
            n->cap_chunks = n->cap_chunks ? n->cap_chunks * 2 : 8;
            n->hot.chunks = dt_realloc(n->hot.chunks, n->cap_chunks * sizeof *n->hot.chunks);
        }
        n->hot.chunks[n->n_chunks++] = dt_malloc(CHUNK_SIZE * sizeof(dt_ndatom));
    }
    if (dt_nov_atype(n, d->a) == DT_NIL)
        dt_nov_set_atype(n, d->a, (dt_vtype)d->v.type);
    uint32_t pos = n->n++;
    dt_ndatom *nd = &n->hot.chunks[pos >> CHUNK_SHIFT][pos & (CHUNK_SIZE - 1)];
    nd->e = d->e;
    nd->a = d->a;
    nd->tx = DT_ND_TX(DT_T_OF_TX(d->tx), d->added);
    nd->v = dt_nov_intern(n, d->v).u;
    n->hot.version++;
    tree_insert(n, DT_EAVT, pos);
    tree_insert(n, DT_AEVT, pos);
    tree_insert(n, DT_AVET, pos);
    if (d->v.type == DT_REF)
        tree_insert(n, DT_VAET, pos);
}

/* The first position whose t is above T (the array is in t order). */
static uint32_t first_after_t(const dt_nov *n, int64_t t)
{
    uint32_t lo = 0, hi = n->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (DT_ND_T(at(n, mid)) <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

dt_nov *dt_nov_rebase(const dt_nov *n, int64_t t)
{
    dt_nov *r = dt_nov_new();
    if (n->hot.n_atype) {
        r->hot.atype = dt_malloc(n->hot.n_atype);
        memcpy(r->hot.atype, n->hot.atype, n->hot.n_atype);
        r->hot.n_atype = n->hot.n_atype;
    }
    for (uint32_t i = first_after_t(n, t); i < n->n; i++) {
        dt_datom d;
        dt_nov_get(n, i, &d);
        dt_nov_add(r, &d);
    }
    return r;
}

/* ---- cursors ---- */

/* Positions in the order's array: the log order walks the array itself. */
static bool is_array_order(dt_order o) { return o == DT_LOG; }

/* Whether a datom comes before what B names: a key's prefix (or, with AT,
 * the prefix too), or the datom at a position (or that datom too). */
typedef struct before {
    const dt_nov *n;
    nd_key_fn key;      /* by key */
    const dt_key *k;
    bool at;
    bool ints;          /* by key, whose first k->n <= 2 components are e and a */
    bool e_first;       /*   e then a (EAVT), or a then e (AEVT) */
    uint64_t k0, k1;
    nd_cmp_fn cmp;      /* by position */
    const dt_ndatom *pd;
} before;

static inline bool is_before(const before *b, const dt_ndatom *d)
{
    int c;
    if (b->ints) { /* the common lookups, without a call */
        uint64_t x0 = b->e_first ? d->e : d->a, x1 = b->e_first ? d->a : d->e;
        c = x0 != b->k0 ? (x0 < b->k0 ? -1 : 1) : b->k->n < 2 || x1 == b->k1 ? 0 : x1 < b->k1 ? -1 : 1;
    } else if (b->k) {
        c = b->key(b->n, d, b->k);
    } else {
        return b->cmp(b->n, d, b->pd) <= 0;
    }
    return c < 0 || (b->at && c == 0);
}

static before before_key(const dt_nov *n, dt_order order, const dt_key *k, bool at)
{
    before b = {.n = n, .key = nd_keys[order], .k = k, .at = at};
    if (k && k->n >= 1 && k->n <= 2 && (order == DT_EAVT || order == DT_AEVT)) {
        b.ints = true;
        b.e_first = order == DT_EAVT;
        b.k0 = b.e_first ? k->e : k->a;
        b.k1 = b.e_first ? k->a : k->e;
    }
    return b;
}

/* The first index of leaf L in [LO, HI) whose entry is not before B (all
 * before LO are, none from HI on is). */
static int leaf_search(const dt_nov *n, const bleaf *l, const before *b, int lo, int hi)
{
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (is_before(b, at(n, l->pos[mid])))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int leaf_lower(const dt_nov *n, const bleaf *l, const before *b) { return leaf_search(n, l, b, 0, l->h.n); }

/* leaf_lower, searching out from HINT (the target is often near the last
 * one: lookups in sorted order), in steps that double. */
static int leaf_lower_near(const dt_nov *n, const bleaf *l, const before *b, int hint)
{
    int len = l->h.n;
    if (hint < 0)
        hint = 0;
    if (hint >= len)
        hint = len - 1;
    if (is_before(b, at(n, l->pos[hint]))) { /* after HINT */
        int lo = hint + 1, step = 1;
        while (lo + step - 1 < len && is_before(b, at(n, l->pos[lo + step - 1]))) {
            lo += step;
            step *= 2;
        }
        return leaf_search(n, l, b, lo, DT_MIN(lo + step - 1, len));
    }
    int hi = hint, step = 1; /* at or before HINT */
    while (hi - step >= 0 && !is_before(b, at(n, l->pos[hi - step]))) {
        hi -= step;
        step *= 2;
    }
    return leaf_search(n, l, b, DT_MAX(hi - step + 1, 0), hi);
}

/* The child of inner node IN holding the first entry not before B: the
 * last i with first[i] before B (or 0), searched in [LO, HI). */
static int inner_search(const binner *in, const before *b, int lo, int hi)
{
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (is_before(b, &in->first[mid]))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

static int inner_lower(const binner *in, const before *b) { return inner_search(in, b, 1, in->h.n); }

/* inner_lower, searching out from child HINT in doubling steps. */
static int inner_lower_near(const binner *in, const before *b, int hint)
{
    int len = in->h.n;
    if (hint < 1)
        hint = 1;
    if (hint >= len)
        return inner_lower(in, b);
    if (is_before(b, &in->first[hint])) {
        int lo = hint + 1, step = 1;
        while (lo + step - 1 < len && is_before(b, &in->first[lo + step - 1])) {
            lo += step;
            step *= 2;
        }
        return inner_search(in, b, lo, DT_MIN(lo + step - 1, len));
    }
    int hi = hint, step = 1;
    while (hi - step >= 1 && !is_before(b, &in->first[hi - step])) {
        hi -= step;
        step *= 2;
    }
    return inner_search(in, b, DT_MAX(hi - step + 1, 1), hi);
}

/* The leaf the path ends in, for dt_nov_cur_next's inline step. */
static void set_leaf(dt_nov_cur *c, const bhdr *h)
{
    c->leaf = h ? ((const bleaf *)h)->pos : NULL;
    c->leaf_n = h ? h->n : 0;
}

/* Descends from H (at depth D of the path) to the first entry not before B;
 * NEAR: H is on the current path, whose index there is a hint. */
static void cur_descend_from(dt_nov_cur *c, bhdr *h, int d, const before *b, bool near)
{
    for (;; near = false) {
        c->node[d] = h;
        if (h->leaf) {
            const bleaf *l = (const bleaf *)h;
            /* next() advances first */
            c->idx[d] = (near ? leaf_lower_near(c->n, l, b, c->idx[d] + 1) : leaf_lower(c->n, l, b)) - 1;
            c->depth = d + 1;
            set_leaf(c, h);
            return;
        }
        const binner *in = (const binner *)h;
        c->idx[d] = near ? inner_lower_near(in, b, c->idx[d]) : inner_lower(in, b);
        h = in->kid[c->idx[d]];
        d++;
    }
}

static void cur_descend(dt_nov_cur *c, const before *b)
{
    c->depth = 0;
    bhdr *h = c->n->root[c->order];
    set_leaf(c, NULL);
    if (!h) {
        c->done = true;
        return;
    }
    cur_descend_from(c, h, 0, b, false);
}

void dt_nov_cur_init(dt_nov_cur *c, dt_nov *n, dt_order order, const dt_key *from)
{
    c->n = n;
    c->order = order;
    c->depth = 0;
    set_leaf(c, NULL);
    dt_nov_cur_seek(c, from);
}

/* The lowest node of C's path under which the first entry not before B
 * lies: its first entry is before B and its last entry (a leaf's) or last
 * child's first entry (an inner node's) is not. -1: none (the descent
 * starts at the root). */
static int finger(const dt_nov_cur *c, const before *b)
{
    if (c->depth == 0 || c->version != c->n->hot.version)
        return -1;
    for (int d = c->depth - 1; d >= 0; d--) {
        const bhdr *h = c->node[d];
        const dt_ndatom *lo, *hi;
        if (h->leaf) {
            lo = at(c->n, ((const bleaf *)h)->pos[0]);
            hi = at(c->n, ((const bleaf *)h)->pos[h->n - 1]);
        } else {
            lo = &((const binner *)h)->first[0];
            hi = &((const binner *)h)->first[h->n - 1];
        }
        if (is_before(b, lo) && !is_before(b, hi))
            return d;
    }
    return -1;
}

void dt_nov_cur_seek(dt_nov_cur *c, const dt_key *from)
{
    c->from = from ? *from : (dt_key){0};
    c->started = c->done = false;
    if (is_array_order(c->order)) {
        c->version = c->n->hot.version;
        c->idx[0] = c->from.n ? (int)first_after_t(c->n, DT_T_OF_TX(c->from.tx) - 1) - 1 : -1;
        return;
    }
    before b = before_key(c->n, c->order, &c->from, false);
    int d = c->from.n ? finger(c, &b) : -1;
    if (d >= 0) {
        cur_descend_from(c, c->node[d], d, &b, true);
        return;
    }
    c->version = c->n->hot.version;
    cur_descend(c, &b);
}

/* Advances the saved path by one entry; false at the end. */
static bool path_next(dt_nov_cur *c)
{
    int d = c->depth - 1;
    const bleaf *l = (const bleaf *)c->node[d];
    if (++c->idx[d] < l->h.n)
        return true;
    /* Up to the first ancestor with a next child, then down its left edge. */
    while (--d >= 0) {
        const binner *in = (const binner *)c->node[d];
        if (++c->idx[d] < in->h.n) {
            bhdr *h = in->kid[c->idx[d]];
            for (d++; !h->leaf; d++) {
                c->node[d] = h;
                c->idx[d] = 0;
                h = ((binner *)h)->kid[0];
            }
            c->node[d] = h;
            c->idx[d] = 0;
            set_leaf(c, h);
            return true;
        }
    }
    return false;
}

const dt_ndatom *dt_nov_cur_next_slow(dt_nov_cur *c, uint32_t *pos)
{
    if (c->done)
        return NULL;
    if (is_array_order(c->order)) {
        if ((uint32_t)(c->idx[0] + 1) >= c->n->n) {
            c->done = true;
            return NULL;
        }
        *pos = (uint32_t)++c->idx[0];
        return at(c->n, *pos);
    }
    if (c->version != c->n->hot.version) {
        /* Insertions since: find the place after the last datom again (4). */
        c->version = c->n->hot.version;
        before b = c->started ? (before){.n = c->n, .cmp = nd_cmps[c->order], .pd = at(c->n, c->last)}
                              : before_key(c->n, c->order, &c->from, false);
        cur_descend(c, &b);
        if (c->done)
            return NULL;
    }
    if (c->depth == 0 || !path_next(c)) {
        c->done = true;
        return NULL;
    }
    const bleaf *l = (const bleaf *)c->node[c->depth - 1];
    *pos = c->last = l->pos[c->idx[c->depth - 1]];
    c->started = true;
    return at(c->n, *pos);
}

/* ---- counts ---- */

/* The number of positions of ORDER's tree before B. */
static uint64_t rank(const dt_nov *n, dt_order order, const before *b)
{
    uint64_t r = 0;
    const bhdr *h = n->root[order];
    while (h && !h->leaf) {
        const binner *in = (const binner *)h;
        int i = 1;
        while (i < in->h.n && is_before(b, &in->first[i])) {
            r += in->kid[i - 1]->count;
            i++;
        }
        h = in->kid[i - 1];
    }
    if (h)
        r += (uint64_t)leaf_lower(n, (const bleaf *)h, b);
    return r;
}

uint64_t dt_nov_count_range(dt_nov *n, dt_order order, const dt_key *from, const dt_key *to, int flags)
{
    if (is_array_order(order)) {
        uint64_t lo = from && from->n ? first_after_t(n, DT_T_OF_TX(from->tx) - 1) : 0;
        uint64_t hi = n->n;
        if (to && to->n)
            hi = first_after_t(n, DT_T_OF_TX(to->tx) - ((flags & DT_CUR_TO_EXCLUSIVE) ? 1 : 0));
        return hi > lo ? hi - lo : 0;
    }
    before bf = before_key(n, order, from, false), bt = before_key(n, order, to, !(flags & DT_CUR_TO_EXCLUSIVE));
    uint64_t lo = from && from->n ? rank(n, order, &bf) : 0;
    uint64_t hi = n->root[order] ? n->root[order]->count : 0;
    if (to && to->n)
        hi = rank(n, order, &bt);
    return hi > lo ? hi - lo : 0;
}
