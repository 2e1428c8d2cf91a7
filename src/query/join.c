/*
 * join.c: the steps that bring in rows (q.h): data patterns over a db's
 * cursors (QS_SCAN) and relations in memory (QS_JOIN: inputs, collection
 * sources, rule tables and their seeds).
 *
 * A scan runs in one of three modes the plan chose:
 *  - PRODUCT: nothing shared with R: one cursor over what the constants
 *    select, its matches paired with every row of R;
 *  - HASH: R hashed on the shared variables, one cursor over what the
 *    constants select, each datom probing the hash;
 *  - LOOKUP: one cursor per distinct value of the shared variables, its
 *    prefix made of them and the constants.
 * A table join first asks the table for the answers of R's bound values
 * (rules.c), then probes the table's index on its bound arguments.
 *
 * Values from the db are compared raw (bytes) until they are kept: only
 * values that go into a row are interned (value.c).
 */
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

#define NONE UINT32_MAX

void q_step_out(q_ctx *x, const q_step *s, q_rel *out) { q_rel_init(x, out, s->cols, s->ncols); }

/* ---- datom components ---- */

/* Component I of D as a query value, not interned (refs and ids as longs). */
static dt_val raw(const dt_datom *d, int i)
{
    switch (i) {
    case 0: return q_vlong((int64_t)d->e);
    case 1: return q_vlong((int64_t)d->a);
    case 2: return d->v.type == DT_REF ? q_vlong((int64_t)d->v.u) : d->v;
    case 3: return q_vlong((int64_t)d->tx);
    default: return dt_val_bool(d->added);
    }
}

static bool raw_eq(dt_val a, dt_val b)
{
    if (a.type != b.type)
        return false;
    if (a.type < DT_VTYPE_COUNT && dt_vtype_is_blob((dt_vtype)a.type))
        return a.b == b.b || (a.b->len == b.b->len && !memcmp(a.b->data, b.b->data, a.b->len));
    return a.u == b.u;
}

/* The kept value of component I of D. */
static dt_val keep_val(q_ctx *x, const dt_datom *d, int i) { return i == 2 ? q_from_db(x, d->v) : raw(d, i); }

/* ---- known values of a pattern's positions (per distinct key) ---- */

typedef struct kvals {
    bool have[5];
    dt_val v[5]; /* as the datom holds them (v typed by the attribute, refs as DT_REF) */
    bool none;   /* a value that can match nothing */
} kvals;

/* Query value V at position I as the datom would hold it; false when no
 * datom can hold it. A is the attribute (0: unknown). */
static bool db_form(q_ctx *x, dt_db *db, int i, dt_val v, uint32_t a, dt_val *out)
{
    switch (i) {
    case 0: {
        uint64_t e;
        if (q_entity(x, db, v, &e))
            return false;
        *out = dt_val_ref(e);
        return true;
    }
    case 1:
        if (v.type == DT_KEYWORD) {
            const dt_attr *at = dt_db_attr_by_ident(db, v.b->data);
            if (!at)
                return false;
            *out = dt_val_ref(at->id);
            return true;
        }
        if (v.type != DT_LONG || v.i <= 0 || v.i >= INT64_C(1) << 32)
            return false;
        *out = dt_val_ref((uint64_t)v.i);
        return true;
    case 2: {
        const dt_attr *at = a ? dt_db_attr(db, a) : NULL;
        if (!at) {
            *out = v;
            return true;
        }
        return q_fit(x, db, at, v, out) == 0;
    }
    case 3:
        if (v.type != DT_LONG || v.i < 0)
            return false;
        *out = dt_val_ref(v.i < (INT64_C(1) << DT_PART_SHIFT) ? DT_TX_OF_T(v.i) : (uint64_t)v.i);
        return true;
    default:
        if (v.type != DT_BOOL)
            return false;
        *out = v;
        return true;
    }
}

/* Constants of S, and the bound positions from ROW. */
static void known_vals(q_ctx *x, dt_db *db, const q_step *s, const dt_val *row, kvals *k)
{
    memset(k, 0, sizeof *k);
    k->none = s->empty;
    uint32_t a = s->pos[1].how == QP_CONST ? (uint32_t)s->pos[1].c.u : 0;
    if (s->pos[1].how == QP_BOUND && row) {
        dt_val av;
        if (db_form(x, db, 1, row[s->pos[1].col], 0, &av))
            a = (uint32_t)av.u;
    }
    for (int i = 0; i < 5; i++) {
        const q_ppos *pp = &s->pos[i];
        if (pp->how == QP_CONST) {
            k->have[i] = true;
            k->v[i] = pp->c;
        } else if (pp->how == QP_BOUND && row) {
            k->have[i] = true;
            if (!db_form(x, db, i, row[pp->col], a, &k->v[i]))
                k->none = true;
        }
    }
}

static const int key_comp[DT_ORDER_COUNT][4] = {{0, 1, 2, 3}, {1, 0, 2, 3}, {1, 2, 0, 3}, {2, 1, 0, 3}, {3, 0, 1, 2}};

static void make_key(const kvals *k, uint8_t order, uint8_t n, dt_key *key)
{
    memset(key, 0, sizeof *key);
    key->n = n;
    for (int i = 0; i < n; i++) {
        int pos = key_comp[order][i];
        switch (pos) {
        case 0: key->e = k->v[0].u; break;
        case 1: key->a = (uint32_t)k->v[1].u; break;
        case 2: key->v = k->v[2]; break;
        default: key->tx = k->v[3].u; break;
        }
    }
}

/* What a scan checks of each datom, worked out once per step: the known
 * positions its cursor's prefix does not already fix, the repeated
 * variables, the range; and which positions give new values. */
typedef struct matcher {
    uint8_t ncheck, check[5];
    uint8_t nout, out[5];
    uint8_t nsame, same[5];
    bool range;
} matcher;

static void matcher_init(const q_step *s, bool lookup, matcher *m)
{
    memset(m, 0, sizeof *m);
    bool in_prefix[5] = {0};
    for (int i = 0; i < s->nprefix; i++)
        in_prefix[key_comp[s->order][i]] = true;
    for (int i = 0; i < 5; i++) {
        uint8_t how = s->pos[i].how;
        bool known = how == QP_CONST || (how == QP_BOUND && lookup);
        if (known && !in_prefix[i])
            m->check[m->ncheck++] = (uint8_t)i;
        else if (how == QP_OUT)
            m->out[m->nout++] = (uint8_t)i;
        else if (how == QP_SAME)
            m->same[m->nsame++] = (uint8_t)i;
    }
    m->range = s->has_lo || s->has_hi;
}

static bool check_pos(const kvals *k, const dt_datom *d, int i)
{
    switch (i) {
    case 0: return d->e == k->v[0].u;
    case 1: return d->a == (uint32_t)k->v[1].u;
    case 2: return k->v[2].type == d->v.type ? raw_eq(d->v, k->v[2]) : raw_eq(raw(d, 2), k->v[2]);
    case 3: return d->tx == k->v[3].u;
    default: return d->added == (bool)k->v[4].i;
    }
}

static bool in_range(const q_step *s, const dt_datom *d)
{
    if (s->has_lo) {
        int c = dt_val_cmp(d->v, s->lo);
        if (c < 0 || (c == 0 && !s->lo_incl))
            return false;
    }
    if (s->has_hi) {
        int c = dt_val_cmp(d->v, s->hi);
        if (c > 0 || (c == 0 && !s->hi_incl))
            return false;
    }
    return true;
}

/* Whether datom D fits what is known of S (K), its range and its repeated
 * variables; the new values into NEWV when KEEP. */
static bool match(q_ctx *x, const q_step *s, const matcher *m, const kvals *k, const dt_datom *d, dt_val *newv,
                  bool keep)
{
    for (int j = 0; j < m->ncheck; j++)
        if (!check_pos(k, d, m->check[j]))
            return false;
    if (m->range && !in_range(s, d))
        return false;
    for (int j = 0; j < m->nsame; j++) {
        int i = m->same[j];
        if (!raw_eq(raw(d, i), raw(d, s->pos[i].col)))
            return false;
    }
    if (keep)
        for (int j = 0; j < m->nout; j++)
            newv[j] = keep_val(x, d, m->out[j]);
    return true;
}

/* A cursor on what K selects of S's order and prefix: *C opened, or (not
 * NULL) sought there. */
static int open_cursor(dt_db *db, const q_step *s, const kvals *k, uint8_t order, uint8_t n, dt_cursor **c)
{
    dt_key from, to;
    make_key(k, order, n, &from);
    to = from;
    int flags = q_step_range(s, order, n, &from, &to);
    if (*c)
        return dt_cursor_seek(*c, (dt_order)order, n ? &from : NULL, n ? &to : NULL, flags);
    return dt_cursor_open(db, (dt_order)order, n ? &from : NULL, n ? &to : NULL, flags, c);
}

/* ---- scans ---- */

/* Every match of the constants, as rows of new values. */
static int scan_all(q_ctx *x, dt_db *db, const q_step *s, q_rel *out)
{
    kvals k;
    known_vals(x, db, s, NULL, &k);
    if (k.none)
        return 0;
    matcher m;
    matcher_init(s, false, &m);
    dt_cursor *c = NULL;
    int rc = open_cursor(db, s, &k, s->order, s->nprefix, &c);
    const dt_datom *d;
    dt_val newv[5];
    while (!rc && (rc = dt_cursor_next(c, &d)) == 1) {
        if (match(x, s, &m, &k, d, newv, true)) {
            dt_val *dst = q_rel_push(x, out);
            memcpy(dst, newv, s->nnew * sizeof *newv);
        }
        rc = q_stop(x) ? q_mem(x, 0) : 0;
    }
    dt_cursor_free(c);
    return rc < 0 ? rc : 0;
}

static int scan_product(q_ctx *x, dt_db *db, const q_step *s, const q_rel *r, q_rel *out)
{
    q_rel m;
    q_rel_init(x, &m, NULL, s->nnew);
    int rc = scan_all(x, db, s, &m);
    for (size_t j = 0; !rc && j < m.n; j++)
        for (size_t i = 0; !rc && i < r->n; i++) {
            q_emit(x, out, s, q_rel_row(r, i), r->ncol, q_rel_row(&m, j));
            rc = q_stop(x) ? q_mem(x, 0) : 0;
        }
    q_rel_free(x, &m);
    return rc ? rc : q_mem(x, 0);
}

/* Bound positions of S: their columns in R, as a hash key. */
static uint16_t bound_cols(const q_step *s, uint16_t *cols, int *pos)
{
    uint16_t n = 0;
    for (int i = 0; i < 5; i++)
        if (s->pos[i].how == QP_BOUND) {
            pos[n] = i;
            cols[n++] = s->pos[i].col;
        }
    return n;
}

/* A hash index of R on the columns S binds (COLS, their datom positions in
 * POS); the number of those columns. */
static uint16_t bound_index(q_ctx *x, const q_step *s, const q_rel *r, uint16_t cols[5], int pos[5],
                            q_hidx *h)
{
    uint16_t nb = bound_cols(s, cols, pos);
    q_hidx_init(h, cols, nb);
    q_hidx_update(x, h, r);
    return nb;
}

static int scan_hash(q_ctx *x, dt_db *db, const q_step *s, const q_rel *r, q_rel *out)
{
    uint16_t cols[5];
    int pos[5];
    q_hidx h;
    uint16_t nb = bound_index(x, s, r, cols, pos, &h);
    kvals k;
    known_vals(x, db, s, NULL, &k);
    matcher m;
    matcher_init(s, false, &m);
    int rc = 0;
    dt_cursor *c = NULL;
    if (!k.none)
        rc = open_cursor(db, s, &k, s->order, s->nprefix, &c);
    const dt_datom *d;
    dt_val newv[5], key[5];
    while (c && !rc && (rc = dt_cursor_next(c, &d)) == 1) {
        if ((rc = q_stop(x) ? q_mem(x, 0) : 0))
            break;
        if (!match(x, s, &m, &k, d, NULL, false))
            continue;
        bool found = true;
        for (uint16_t j = 0; j < nb && found; j++)
            key[j] = q_intern_find(x, raw(d, pos[j]), &found);
        if (!found)
            continue;
        uint32_t i = q_hidx_find(&h, r, key, q_hash_vals(key, nb));
        if (i == NONE)
            continue;
        for (int j = 0; j < m.nout; j++)
            newv[j] = keep_val(x, d, m.out[j]);
        for (; i != NONE && !x->over; i = q_hidx_next(&h, r, i, key))
            q_emit(x, out, s, q_rel_row(r, i), r->ncol, newv);
    }
    dt_cursor_free(c);
    q_hidx_free(&h);
    return rc < 0 ? rc : q_mem(x, 0);
}

static int scan_lookup(q_ctx *x, dt_db *db, const q_step *s, const q_rel *r, q_rel *out)
{
    uint16_t cols[5];
    int pos[5];
    q_hidx h;
    uint16_t nb = bound_index(x, s, r, cols, pos, &h);
    int rc = 0;
    q_rel m;
    q_rel_init(x, &m, NULL, s->nnew);
    matcher mt;
    matcher_init(s, true, &mt);
    dt_cursor *c = NULL; /* one cursor, sought from key to key */
    for (size_t i = 0; i < r->n && !rc; i++) {
        const dt_val *row = q_rel_row(r, i);
        dt_val key[5];
        for (uint16_t j = 0; j < nb; j++)
            key[j] = row[cols[j]];
        uint32_t first = q_hidx_find(&h, r, key, q_hash_vals(key, nb));
        if (first != i)
            continue; /* a key is looked up once, at its newest row (its chain's head) */
        kvals k;
        known_vals(x, db, s, row, &k);
        if (k.none)
            continue;
        rc = open_cursor(db, s, &k, s->order, s->nprefix, &c);
        const dt_datom *d;
        m.n = 0;
        dt_val newv[5];
        while (!rc && (rc = dt_cursor_next(c, &d)) == 1) {
            rc = q_stop(x) ? q_mem(x, 0) : 0;
            if (!rc && match(x, s, &mt, &k, d, newv, true))
                memcpy(q_rel_push(x, &m), newv, s->nnew * sizeof *newv);
        }
        if (rc < 0)
            break;
        rc = 0;
        for (size_t a = 0; a < m.n && !x->over; a++)
            for (uint32_t j = first; j != NONE && !x->over; j = q_hidx_next(&h, r, j, key))
                q_emit(x, out, s, q_rel_row(r, j), r->ncol, q_rel_row(&m, a));
        rc = q_stop(x) ? q_mem(x, 0) : 0;
    }
    dt_cursor_free(c);
    q_rel_free(x, &m);
    q_hidx_free(&h);
    return rc < 0 ? rc : q_mem(x, 0);
}

int q_step_scan(q_ctx *x, const q_step *s, q_rel *r, q_rel *out)
{
    dt_db *db = q_src_db(x, s->src);
    q_step_out(x, s, out);
    if (s->empty)
        return 0;
    switch (s->mode) {
    case QM_LOOKUP: return scan_lookup(x, db, s, r, out);
    case QM_HASH: return scan_hash(x, db, s, r, out);
    default: return scan_product(x, db, s, r, out);
    }
}

/* ---- relations in memory ---- */

/* The rows a join reads, [lo, hi) of *src. */
static const q_rel *join_source(q_ctx *x, const q_step *s, size_t *lo, size_t *hi)
{
    const q_rel *src;
    *lo = 0;
    if (!s->table) {
        src = &x->rels[s->rel];
        *hi = src->n;
        return src;
    }
    const q_table *t = s->table;
    switch (s->delta) {
    case QD_ANS_DELTA: *lo = t->ans_lo; *hi = t->ans_hi; return &t->ans;
    case QD_SEEDS_OLD: *hi = t->seed_lo; return &t->seeds;
    case QD_SEEDS_DELTA: *lo = t->seed_lo; *hi = t->seed_hi; return &t->seeds;
    default: *hi = t->ans.n; return &t->ans;
    }
}

/* Whether source row SR fits the constants, R's row (non-key bound
 * columns) and the repeated variables; its new values into NEWV. */
static bool row_fits(const q_step *s, const dt_val *sr, const dt_val *row, dt_val *newv)
{
    int n = 0;
    for (uint16_t i = 0; i < s->narg; i++) {
        const q_ppos *a = &s->arg[i];
        switch (a->how) {
        case QP_CONST:
            if (!q_veq(sr[i], a->c))
                return false;
            break;
        case QP_BOUND:
            if (row && !q_veq(sr[i], row[a->col]))
                return false;
            break;
        case QP_SAME:
            if (!q_veq(sr[i], sr[a->col]))
                return false;
            break;
        case QP_OUT:
            if (newv)
                newv[n++] = sr[i];
            break;
        default: break;
        }
    }
    return true;
}

/* Asks the table for R's seeds (the values of its bound arguments). */
static int demand(q_ctx *x, const q_step *s, const q_rel *r)
{
    q_table *t = s->table;
    uint16_t nk = t->seeds.ncol;
    q_rel seeds;
    q_hidx all;
    q_rel_init(x, &seeds, t->seeds.cols, nk);
    q_hidx_init(&all, t->seeds.cols, nk);
    dt_val key[256];
    for (size_t i = 0; i < r->n; i++) {
        const dt_val *row = q_rel_row(r, i);
        uint16_t k = 0;
        for (uint16_t a = 0; a < s->narg; a++)
            if (s->arg[a].key)
                key[k++] = s->arg[a].how == QP_CONST ? s->arg[a].c : row[s->arg[a].col];
        q_rel_add_distinct(x, &seeds, &all, key);
    }
    q_hidx_free(&all);
    int rc = q_table_demand(x, t, &seeds);
    q_rel_free(x, &seeds);
    return rc;
}

int q_step_join(q_ctx *x, const q_step *s, q_rel *r, q_rel *out)
{
    q_step_out(x, s, out);
    if (s->empty)
        return 0;
    int rc = 0;
    bool keyed = false;
    for (uint16_t a = 0; a < s->narg; a++)
        keyed = keyed || s->arg[a].key;
    if (s->table && s->delta == QD_ANS && (rc = demand(x, s, r))) /* a call: its seeds first */
        return rc;
    size_t lo, hi;
    const q_rel *src = join_source(x, s, &lo, &hi);
    dt_val newv[256], key[256];
    if (keyed && s->delta == QD_ANS) {
        q_table *t = s->table;
        q_hidx_update(x, &t->ans_key, &t->ans);
        for (size_t i = 0; i < r->n && !q_stop(x); i++) {
            const dt_val *row = q_rel_row(r, i);
            uint16_t k = 0;
            for (uint16_t a = 0; a < s->narg; a++)
                if (s->arg[a].key)
                    key[k++] = s->arg[a].how == QP_CONST ? s->arg[a].c : row[s->arg[a].col];
            for (uint32_t j = q_hidx_find(&t->ans_key, src, key, q_hash_vals(key, k)); j != NONE && !x->over;
                 j = q_hidx_next(&t->ans_key, src, j, key))
                if (row_fits(s, q_rel_row(src, j), row, newv))
                    q_emit(x, out, s, row, r->ncol, newv);
        }
        return q_mem(x, 0);
    }
    /* hash R on the bound columns, probe with each source row */
    uint16_t cols[256], nb = 0;
    int apos[256];
    for (uint16_t a = 0; a < s->narg; a++)
        if (s->arg[a].how == QP_BOUND) {
            apos[nb] = a;
            cols[nb++] = s->arg[a].col;
        }
    q_hidx h;
    q_hidx_init(&h, cols, nb);
    q_hidx_update(x, &h, r);
    for (size_t j = lo; j < hi && !(rc = q_stop(x) ? q_mem(x, 0) : 0); j++) {
        const dt_val *sr = q_rel_row(src, j);
        if (!row_fits(s, sr, NULL, newv))
            continue;
        for (uint16_t b = 0; b < nb; b++)
            key[b] = sr[apos[b]];
        for (uint32_t i = q_hidx_find(&h, r, key, q_hash_vals(key, nb)); i != NONE && !x->over;
             i = q_hidx_next(&h, r, i, key))
            q_emit(x, out, s, q_rel_row(r, i), r->ncol, newv);
    }
    q_hidx_free(&h);
    return rc ? rc : q_mem(x, 0);
}
