/*
 * novelty.h: the in-memory index of the datoms not yet in the durable trees
 * (novelty.c). One datom array in transaction order, strings interned, and
 * for each covering order a B+tree of 32-bit positions into that array: the
 * four orders cost 24 bytes per datom plus about 5 per order, not four
 * copies (docs/architecture.md, "Novelty").
 *
 * A novelty only grows: datoms are appended with increasing t and never
 * removed, so a db value whose basis is t reads the same novelty as later
 * values and ignores datoms above t. Indexing replaces a connection's
 * novelty by a new one holding only what the trees do not (dt_nov_rebase);
 * values still reading the old one keep it alive by reference.
 *
 * Cursors survive insertions: an insertion bumps the version, and a cursor
 * that sees a new version finds its place again by key (as SQLite's btree
 * cursors save their position), so a caller may transact while it iterates.
 */
#ifndef DT_DB_NOVELTY_H
#define DT_DB_NOVELTY_H

#include "db/db.h"

/* A datom in memory: the value's type is its attribute's (dt_nov_atype);
 * v holds the scalar bits or a pointer to an interned dt_blob. */
typedef struct dt_ndatom {
    uint64_t e;
    uint64_t v;
    uint32_t a;
    uint32_t tx; /* t << 1 | added */
} dt_ndatom;

#define DT_ND_T(d) ((int64_t)((d)->tx >> 1))
#define DT_ND_ADDED(d) ((d)->tx & 1u)
#define DT_ND_TX(t, added) ((uint32_t)(((uint32_t)(t) << 1) | ((added) ? 1u : 0u)))

typedef struct dt_nov dt_nov;

/* What the inline readers below use: a novelty (novelty.c) begins with it. */
#define DT_NOV_CHUNK_SHIFT 12 /* datoms per chunk: 4096 */
typedef struct dt_nov_hot {
    dt_ndatom **chunks;
    uint64_t version; /* changes on every insertion (cursors compare it) */
    uint8_t *atype;   /* per attribute id: its dt_vtype (DT_NIL: none yet) */
    uint32_t n_atype;
} dt_nov_hot;

dt_nov *dt_nov_new(void);
dt_nov *dt_nov_ref(dt_nov *n);
void dt_nov_unref(dt_nov *n);

/* Declares the value type of attribute A (before any datom of A). */
void dt_nov_set_atype(dt_nov *n, uint32_t a, dt_vtype type);
static inline dt_vtype dt_nov_atype(const dt_nov *n, uint32_t a)
{
    const dt_nov_hot *h = (const dt_nov_hot *)n;
    return a < h->n_atype ? (dt_vtype)h->atype[a] : DT_NIL;
}
/* Interns V's bytes when string-like: the returned value points into N. */
dt_val dt_nov_intern(dt_nov *n, dt_val v);
/* V with its bytes replaced by N's interned copy when N holds one (V as it
 * is otherwise): a key made so compares equal to N's datoms by their bits. */
dt_val dt_nov_interned(const dt_nov *n, dt_val v);

/* Appends datom D (interning its value) and inserts it in every order
 * (VAET only for DT_REF values). t must not decrease, and the datoms of one
 * t come in e a v order (the log order is the array's). The first datom of
 * an attribute sets its type. */
void dt_nov_add(dt_nov *n, const dt_datom *d);
/* The datom at position I. */
static inline const dt_ndatom *dt_nov_at(const dt_nov *n, uint32_t i)
{
    const dt_nov_hot *h = (const dt_nov_hot *)n;
    return &h->chunks[i >> DT_NOV_CHUNK_SHIFT][i & ((1u << DT_NOV_CHUNK_SHIFT) - 1)];
}
/* D (a datom of N) as a dt_datom (values borrowed from N). */
static inline void dt_nov_datom(const dt_nov *n, const dt_ndatom *d, dt_datom *out)
{
    out->e = d->e;
    out->a = d->a;
    out->v = (dt_val){.type = (uint8_t)dt_nov_atype(n, d->a), .u = d->v};
    out->tx = DT_TX_OF_T(DT_ND_T(d));
    out->added = DT_ND_ADDED(d);
}
/* The datom at position I, as a dt_datom. */
static inline void dt_nov_get(const dt_nov *n, uint32_t i, dt_datom *out) { dt_nov_datom(n, dt_nov_at(n, i), out); }
uint32_t dt_nov_count(const dt_nov *n);
int64_t dt_nov_max_t(const dt_nov *n); /* -1 when empty */
size_t dt_nov_bytes(const dt_nov *n);
/* A new novelty with the datoms of N whose t is above T (indexing moved the
 * rest to the trees), with N's attribute types. */
dt_nov *dt_nov_rebase(const dt_nov *n, int64_t t);

/* ---- cursors over one order ----
 * A cursor lives where its caller puts it (nothing allocated) and reads N,
 * which must outlive it. It is positioned at the first datom >= FROM's
 * first n components (NULL or n = 0: the start) and gives the datoms of
 * ORDER and their positions; dt_nov_cur_next returns NULL at the end. FROM is kept by value,
 * its value's bytes borrowed: they must live as long as the cursor (or
 * until the next seek). The fields are private to novelty.c. */
#define DT_NOV_MAX_DEPTH 12
struct dt_nov_node;
typedef struct dt_nov_cur {
    dt_nov *n;
    dt_order order;
    uint64_t version;
    int depth;
    struct dt_nov_node *node[DT_NOV_MAX_DEPTH];
    int idx[DT_NOV_MAX_DEPTH];
    bool started, done;
    uint32_t last; /* the position last returned */
    dt_key from;
    const uint32_t *leaf; /* the positions of the path's leaf (NULL: none), leaf_n of them */
    int leaf_n;
} dt_nov_cur;
void dt_nov_cur_init(dt_nov_cur *c, dt_nov *n, dt_order order, const dt_key *from);
/* Moves C to the first datom >= FROM (as init), from the lowest node of
 * its current path that holds that datom: a lookup near the last one
 * (lookups in sorted order) reads a leaf or two, not a path from the root. */
void dt_nov_cur_seek(dt_nov_cur *c, const dt_key *from);
const dt_ndatom *dt_nov_cur_next_slow(dt_nov_cur *c, uint32_t *pos);
/* The next datom (and its position), or NULL: within a leaf, and with no
 * insertion since the last call, a step costs no call. */
static inline const dt_ndatom *dt_nov_cur_next(dt_nov_cur *c, uint32_t *pos)
{
    if (c->leaf && !c->done && c->version == ((const dt_nov_hot *)c->n)->version) {
        int i = c->idx[c->depth - 1] + 1;
        if (i < c->leaf_n) {
            c->idx[c->depth - 1] = i;
            *pos = c->last = c->leaf[i];
            c->started = true;
            return dt_nov_at(c->n, *pos);
        }
    }
    return dt_nov_cur_next_slow(c, pos);
}

/* Datoms from FROM (inclusive) to TO (n = 0: the end; inclusive unless
 * DT_CUR_TO_EXCLUSIVE), as dt_cursor_open counts them; O(log n). */
uint64_t dt_nov_count_range(dt_nov *n, dt_order order, const dt_key *from, const dt_key *to, int flags);

/* Compares datom D (in N) with KEY's first key->n components in ORDER. */
int dt_nov_key_cmp(const dt_nov *n, dt_order order, const dt_ndatom *d, const dt_key *key);
/* Compares two dt_datoms in ORDER (all components, then added). */
int dt_datom_cmp(dt_order order, const dt_datom *x, const dt_datom *y);
/* Compares dt_datom D with KEY's first key->n components in ORDER. */
int dt_datom_key_cmp(dt_order order, const dt_datom *d, const dt_key *key);

#endif /* DT_DB_NOVELTY_H */
