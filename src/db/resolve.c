/*
 * resolve.c: what a transaction means (internal.h, dt_resolve): from its
 * operations and the db value it starts from, the datoms it adds. Nothing
 * here writes; tx.c commits what this returns.
 *
 * The steps, each Datomic's rule:
 *  1. Tempids are gathered in order of first appearance ("datomic.tx" is the
 *     transaction itself).
 *  2. Lookup refs resolve against the db before; a missing one is an error.
 *  3. Upsert: a tempid asserting a :db.unique/identity value some entity
 *     holds becomes that entity; tempids asserting the same new identity
 *     value become one entity; a tempid resolving to two entities is an error.
 *  4. Other tempids get new ids, in order: the db partition for an entity
 *     that asserts :db/valueType (an attribute), the user partition else.
 *  5. Operations become datoms: retracting an attribute retracts its current
 *     values; :db/retractEntity retracts every datom of the entity and every
 *     reference to it, and the entities of its components, recursively;
 *     :db/cas compares the current value (nil: none) and asserts the new.
 *  6. A cardinality-one assertion retracts the value it replaces; asserting
 *     what holds, or retracting what does not, adds nothing; two values for
 *     one cardinality-one attribute, or asserting and retracting one fact,
 *     is a conflict; a unique value held by another entity is a conflict.
 *  7. Composite tuples follow their attributes; schema changes follow
 *     Datomic's alteration rules; :db/txInstant is added (or checked, when
 *     given) and never goes back in time.
 * Every error names the offending datom (and where its form was read), and
 * nothing of the transaction is kept.
 */
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

typedef struct tslot {
    const char *name; /* NULL: anonymous */
    uint64_t anon;
    uint64_t e;       /* 0: not resolved yet */
    uint32_t parent;  /* union-find */
    bool attr;        /* asserts :db/valueType */
    bool is_new;
} tslot;

typedef struct cand {
    uint64_t e;
    uint32_t a;
    bool added;
    bool derived; /* not written by the user: an implied retraction, the tx instant... */
    dt_val v;
    int32_t op; /* the operation it came from (-1: none) */
} cand;

struct dt_rscratch {
    tslot *slots;
    size_t cap_slots;
    uint32_t *hash;
    size_t hcap;
    cand *c;
    size_t capc;
    uint64_t *fresh;
    size_t cap_fresh;
};

#define KEEP_HASH 256 /* a bigger hash table is freed rather than cleared for the next transaction */

void dt_rscratch_free(dt_rscratch *s)
{
    if (!s)
        return;
    free(s->slots);
    free(s->hash);
    free(s->c);
    free(s->fresh);
    free(s);
}

typedef struct rctx {
    dt_db *db;
    const dt_txops *ops;
    int64_t t, now;
    uint64_t tx;
    dt_txres *out;
    tslot *slots;
    size_t n_slots, cap_slots;
    uint32_t *hash;
    size_t hcap;
    uint64_t next_user, next_db;
    cand *c;
    size_t nc, capc;
    uint64_t *fresh; /* entities made by this transaction, sorted */
    size_t n_fresh, cap_fresh;
} rctx;

/* qsort for the many small arrays of a small transaction: glibc's qsort
 * costs hundreds of instructions before it compares anything. */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 12 || size > 64) {
        qsort(base, n, size, cmp);
        return;
    }
    char *b = base, tmp[64];
    for (size_t i = 1; i < n; i++) {
        if (cmp(b + (i - 1) * size, b + i * size) <= 0)
            continue;
        memcpy(tmp, b + i * size, size);
        size_t j = i;
        for (; j > 0 && cmp(b + (j - 1) * size, tmp) > 0; j--)
            memcpy(b + j * size, b + (j - 1) * size, size);
        memcpy(b + j * size, tmp, size);
    }
}

/* ---- describing datoms for messages ---- */

static void describe_e(dt_db *db, dt_buf *out, uint64_t e)
{
    const char *ident = dt_db_ident(db, e);
    if (ident)
        dt_buf_printf(out, ":%s", ident);
    else
        dt_buf_printf(out, "%llu", (unsigned long long)e);
}

static void describe_v(dt_db *db, dt_buf *out, dt_val v)
{
    if (v.type == DT_REF)
        describe_e(db, out, v.u);
    else
        dt_val_print(out, v);
}

void dt_datom_describe(dt_db *db, dt_buf *out, bool added, uint64_t e, uint32_t a, dt_val v)
{
    dt_buf_puts(out, added ? "[:db/add " : "[:db/retract ");
    describe_e(db, out, e);
    dt_buf_putc(out, ' ');
    describe_e(db, out, a);
    dt_buf_putc(out, ' ');
    describe_v(db, out, v);
    dt_buf_putc(out, ']');
}

static void describe_eref(rctx *x, dt_buf *out, const dt_eref *r)
{
    switch (r->kind) {
    case DT_EREF_ID: describe_e(x->db, out, r->id); break;
    case DT_EREF_TEMPID:
        if (r->tempid) {
            dt_val s = dt_val_blob(DT_STRING, NULL);
            dt_blob *b = dt_blob_new(r->tempid, strlen(r->tempid));
            s.b = b;
            dt_val_print(out, s);
            free(b);
        } else {
            dt_buf_puts(out, "<nested entity>");
        }
        break;
    default:
        dt_buf_putc(out, '[');
        describe_e(x->db, out, r->la);
        dt_buf_putc(out, ' ');
        dt_val_print(out, r->lv);
        dt_buf_putc(out, ']');
    }
}

static const char *const op_names[] = {"db/add", "db/retract", "db/retract", "db/retractEntity", "db/cas"};

static void describe_op(rctx *x, dt_buf *out, const dt_txop *op)
{
    dt_buf_printf(out, "[:%s ", op_names[op->op]);
    describe_eref(x, out, &op->e);
    if (op->op != DT_OP_RETRACT_ENTITY) {
        dt_buf_putc(out, ' ');
        describe_e(x->db, out, op->a);
    }
    if (op->op == DT_OP_CAS) {
        dt_buf_putc(out, ' ');
        if (op->old_nil)
            dt_buf_puts(out, "nil");
        else if (op->old_ref)
            describe_eref(x, out, &op->oldref);
        else
            dt_val_print(out, op->old);
    }
    if (op->op == DT_OP_ADD || op->op == DT_OP_RETRACT || op->op == DT_OP_CAS) {
        dt_buf_putc(out, ' ');
        if (op->v_ref)
            describe_eref(x, out, &op->vref);
        else
            dt_val_print(out, op->v);
    }
    dt_buf_putc(out, ']');
    if (op->line)
        dt_buf_printf(out, " (line %u, column %u)", op->line, op->col);
}

/* An error about operation I: "[:db/add ...] (line L, column C): why". */
static int op_error(rctx *x, size_t i, int code, const char *fmt, ...) DT_PRINTF(4, 5);
static int op_error(rctx *x, size_t i, int code, const char *fmt, ...)
{
    dt_buf b = DT_BUF_INIT;
    describe_op(x, &b, &x->ops->v[i]);
    va_list ap;
    va_start(ap, fmt);
    int rc = dt_error_head(code, &b, fmt, ap);
    va_end(ap);
    return rc;
}

/* An error about a datom (that of candidate C, or a derived one). */
static int datom_error(rctx *x, const cand *c, const char *fmt, ...) DT_PRINTF(3, 4);
static int datom_error(rctx *x, const cand *c, const char *fmt, ...)
{
    dt_buf b = DT_BUF_INIT;
    dt_datom_describe(x->db, &b, c->added, c->e, c->a, c->v);
    if (c->op >= 0 && x->ops->v[c->op].line)
        dt_buf_printf(&b, " (line %u, column %u)", x->ops->v[c->op].line, x->ops->v[c->op].col);
    va_list ap;
    va_start(ap, fmt);
    int rc = dt_error_head(DATOM_EINVAL, &b, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- tempids (1, 3, 4) ---- */

static uint64_t slot_hash(const char *name, uint64_t anon)
{
    uint64_t h = name ? dt_blob_hash(name, strlen(name)) : anon * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static bool slot_is(const tslot *s, const char *name, uint64_t anon)
{
    return name ? s->name && !strcmp(s->name, name) : !s->name && s->anon == anon;
}

static void hash_grow(rctx *x)
{
    free(x->hash);
    x->hcap = x->hcap ? x->hcap * 2 : 64;
    x->hash = dt_malloc(x->hcap * sizeof *x->hash);
    memset(x->hash, 0xff, x->hcap * sizeof *x->hash);
    for (uint32_t i = 0; i < x->n_slots; i++) {
        size_t j = slot_hash(x->slots[i].name, x->slots[i].anon) & (x->hcap - 1);
        while (x->hash[j] != UINT32_MAX)
            j = (j + 1) & (x->hcap - 1);
        x->hash[j] = i;
    }
}

/* The slot of a tempid, added when ADD. */
static uint32_t slot_of(rctx *x, const dt_eref *r, bool add)
{
    if (!x->hcap || (x->n_slots + 1) * 2 > x->hcap) {
        if (!add && !x->hcap)
            return UINT32_MAX;
        hash_grow(x);
    }
    size_t j = slot_hash(r->tempid, r->id) & (x->hcap - 1);
    for (; x->hash[j] != UINT32_MAX; j = (j + 1) & (x->hcap - 1))
        if (slot_is(&x->slots[x->hash[j]], r->tempid, r->id))
            return x->hash[j];
    if (!add)
        return UINT32_MAX;
    if (x->n_slots == x->cap_slots) {
        x->cap_slots = x->cap_slots ? x->cap_slots * 2 : 16;
        x->slots = dt_realloc(x->slots, x->cap_slots * sizeof *x->slots);
    }
    uint32_t i = (uint32_t)x->n_slots++;
    x->slots[i] = (tslot){.name = r->tempid, .anon = r->id, .parent = i};
    if (r->tempid && !strcmp(r->tempid, "datomic.tx"))
        x->slots[i].e = x->tx;
    x->hash[j] = i;
    return i;
}

static uint32_t root_of(rctx *x, uint32_t i)
{
    while (x->slots[i].parent != i)
        i = x->slots[i].parent = x->slots[x->slots[i].parent].parent;
    return i;
}

static void gather(rctx *x)
{
    for (size_t i = 0; i < x->ops->n; i++) {
        const dt_txop *op = &x->ops->v[i];
        if (op->e.kind == DT_EREF_TEMPID) {
            uint32_t s = slot_of(x, &op->e, true);
            if (op->op == DT_OP_ADD && op->a == DT_A_VALUE_TYPE)
                x->slots[s].attr = true;
        }
        if (op->v_ref && op->vref.kind == DT_EREF_TEMPID)
            slot_of(x, &op->vref, true);
        if (op->old_ref && op->oldref.kind == DT_EREF_TEMPID)
            slot_of(x, &op->oldref, true);
    }
}

/* Joins the slots of A and B (upsert unification); an error if they hold
 * two different entities. */
static int unify(rctx *x, size_t op, uint32_t a, uint32_t b)
{
    a = root_of(x, a);
    b = root_of(x, b);
    if (a == b)
        return 0;
    uint64_t ea = x->slots[a].e, eb = x->slots[b].e;
    if (ea && eb && ea != eb)
        return op_error(x, op, DATOM_EINVAL, "conflict: upsert resolves one tempid to two entities (%llu and %llu)",
                        (unsigned long long)ea, (unsigned long long)eb);
    x->slots[b].parent = a;
    if (!ea)
        x->slots[a].e = eb;
    x->slots[a].attr |= x->slots[b].attr;
    return 0;
}

static int bind(rctx *x, size_t op, uint32_t s, uint64_t e)
{
    s = root_of(x, s);
    if (x->slots[s].e && x->slots[s].e != e)
        return op_error(x, op, DATOM_EINVAL, "conflict: upsert resolves one tempid to two entities (%llu and %llu)",
                        (unsigned long long)x->slots[s].e, (unsigned long long)e);
    x->slots[s].e = e;
    return 0;
}

static int lookup_ref(rctx *x, size_t op, const dt_eref *r, uint64_t *e)
{
    const dt_attr *a = dt_db_attr(x->db, r->la);
    if (!a || !a->unique)
        return op_error(x, op, DATOM_EINVAL, "a lookup ref needs a unique attribute (:%s is not)",
                        a ? a->ident : "?");
    int rc = dt_db_lookup(x->db, r->la, r->lv, e);
    if (rc)
        return rc;
    if (!*e) {
        dt_buf b = DT_BUF_INIT;
        describe_eref(x, &b, r);
        rc = op_error(x, op, DATOM_EINVAL, "lookup ref %s names no entity", dt_buf_cstr(&b));
        dt_buf_free(&b);
    }
    return rc;
}

/* The entity of R, if known yet (0: a tempid not resolved yet). */
static int eref_entity(rctx *x, size_t op, const dt_eref *r, uint64_t *e)
{
    switch (r->kind) {
    case DT_EREF_ID: *e = r->id; return 0;
    case DT_EREF_LOOKUP: return lookup_ref(x, op, r, e);
    default: *e = x->slots[root_of(x, slot_of(x, r, false))].e; return 0;
    }
}

/* Identity values asserted by tempids in this transaction, for unification. */
typedef struct ident_claim {
    uint32_t a;
    dt_val v;
    uint32_t slot;
} ident_claim;

static int upsert_op(rctx *x, size_t i, ident_claim **claims, size_t *nclaims, size_t *cap, bool *changed)
{
    const dt_txop *op = &x->ops->v[i];
    const dt_attr *a = dt_db_attr(x->db, op->a);
    if (op->op != DT_OP_ADD || op->e.kind != DT_EREF_TEMPID || !a || a->unique != DT_UNIQUE_IDENTITY)
        return 0;
    dt_val v = op->v;
    if (op->v_ref) {
        uint64_t ve;
        int rc = eref_entity(x, i, &op->vref, &ve);
        if (rc || !ve)
            return rc; /* a tempid value: not resolvable yet */
        v = dt_val_ref(ve);
    }
    uint32_t s = slot_of(x, &op->e, false);
    uint64_t held;
    int rc = dt_db_lookup(x->db, op->a, v, &held);
    if (rc)
        return rc;
    if (held) {
        uint64_t before = x->slots[root_of(x, s)].e;
        if ((rc = bind(x, i, s, held)) == 0 && before != held)
            *changed = true;
        return rc;
    }
    for (size_t k = 0; k < *nclaims; k++)
        if ((*claims)[k].a == op->a && dt_val_eq((*claims)[k].v, v)) {
            if (root_of(x, (*claims)[k].slot) != root_of(x, s))
                *changed = true;
            return unify(x, i, (*claims)[k].slot, s);
        }
    if (*nclaims == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *claims = dt_realloc(*claims, *cap * sizeof **claims);
    }
    (*claims)[(*nclaims)++] = (ident_claim){op->a, v, s};
    return 0;
}

static int upsert(rctx *x)
{
    ident_claim *claims = NULL;
    size_t cap = 0;
    int rc = 0;
    bool changed = true;
    for (int round = 0; rc == 0 && changed && round < 8; round++) {
        changed = false;
        size_t n = 0;
        for (size_t i = 0; rc == 0 && i < x->ops->n; i++)
            rc = upsert_op(x, i, &claims, &n, &cap, &changed);
    }
    free(claims);
    return rc;
}

static void allocate(rctx *x)
{
    for (size_t i = 0; i < x->n_slots; i++) {
        uint32_t r = root_of(x, (uint32_t)i);
        if (x->slots[r].e)
            continue;
        x->slots[r].e = x->slots[r].attr ? DT_EID(DT_PART_DB, x->next_db++) : DT_EID(DT_PART_USER, x->next_user++);
        x->slots[r].is_new = true;
    }
}

/* ---- candidates (5) ---- */

static void push(rctx *x, uint64_t e, uint32_t a, dt_val v, bool added, bool derived, int32_t op)
{
    if (x->nc == x->capc) {
        x->capc = x->capc ? x->capc * 2 : 8;
        x->c = dt_realloc(x->c, x->capc * sizeof *x->c);
    }
    x->c[x->nc++] = (cand){.e = e, .a = a, .v = v, .added = added, .derived = derived, .op = op};
}

static bool is_fresh(const rctx *x, uint64_t e)
{
    size_t lo = 0, hi = x->n_fresh;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x->fresh[mid] == e)
            return true;
        if (x->fresh[mid] < e)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void collect_fresh(rctx *x)
{
    if (x->cap_fresh < x->n_slots + 1) {
        x->cap_fresh = x->n_slots + 1;
        x->fresh = dt_realloc(x->fresh, x->cap_fresh * sizeof *x->fresh);
    }
    x->fresh[x->n_fresh++] = x->tx; /* the transaction is new too */
    for (size_t i = 0; i < x->n_slots; i++)
        if (x->slots[i].is_new)
            x->fresh[x->n_fresh++] = x->slots[i].e;
    sort(x->fresh, x->n_fresh, sizeof *x->fresh, cmp_u64);
}

static int entity_of(rctx *x, size_t i, const dt_eref *r, uint64_t *e)
{
    int rc = eref_entity(x, i, r, e);
    if (rc == 0 && !*e)
        rc = op_error(x, i, DATOM_EINTERNAL, "unresolved tempid");
    return rc;
}

/* An explicit entity id must be one this db could hold. */
static int check_id(rctx *x, size_t i, uint64_t e)
{
    unsigned part = DT_EID_PART(e);
    uint64_t num = DT_EID_NUM(e);
    if (part == DT_PART_USER && num > 0) {
        if (num >= x->next_user)
            x->next_user = num + 1; /* an id given by the caller: later ones go after it */
        return 0;
    }
    if (part == DT_PART_TX && (int64_t)num <= x->t)
        return 0;
    if (part == DT_PART_DB && num < x->next_db)
        return 0;
    return op_error(x, i, DATOM_EINVAL, "%llu is not an entity id of this database",
                    (unsigned long long)e);
}

static int op_value(rctx *x, size_t i, bool ref, const dt_eref *r, dt_val v, dt_val *out)
{
    if (!ref) {
        *out = v;
        return 0;
    }
    uint64_t e;
    int rc = entity_of(x, i, r, &e);
    if (rc == 0 && r->kind == DT_EREF_ID)
        rc = check_id(x, i, e);
    *out = dt_val_ref(e);
    return rc;
}

static int current(rctx *x, uint64_t e, uint32_t a, dt_vals *vals)
{
    vals->n = 0;
    if (is_fresh(x, e))
        return 0;
    return dt_db_values(x->db, e, a, &x->out->arena, vals);
}

static int retract_entity(rctx *x, int32_t op, uint64_t e, uint64_t **seen, size_t *n_seen, size_t *cap);

/* Every current datom of E, and every reference to it; components recursively. */
static int retract_entity_datoms(rctx *x, int32_t op, uint64_t e, uint64_t **seen, size_t *n_seen, size_t *cap)
{
    dt_key k = {.n = 1, .e = e};
    dt_cursor c;
    int rc = dt_cursor_init(&c, x->db, DT_EAVT, &k, &k, 0);
    const dt_datom *d;
    uint64_t *kids = NULL;
    size_t n_kids = 0;
    while (dt_cursor_step(&c, &d, &rc)) {
        push(x, d->e, d->a, dt_arena_val(&x->out->arena, d->v), false, true, op);
        const dt_attr *a = dt_db_attr(x->db, d->a);
        if (a && a->component && d->v.type == DT_REF) {
            kids = dt_realloc(kids, (n_kids + 1) * sizeof *kids);
            kids[n_kids++] = d->v.u;
        }
    }
    dt_cursor_fini(&c);
    if (rc == 0) {
        k = (dt_key){.n = 1, .v = dt_val_ref(e)};
        rc = dt_cursor_init(&c, x->db, DT_VAET, &k, &k, 0);
        while (dt_cursor_step(&c, &d, &rc))
            push(x, d->e, d->a, d->v, false, true, op);
        dt_cursor_fini(&c);
    }
    for (size_t i = 0; rc == 0 && i < n_kids; i++)
        rc = retract_entity(x, op, kids[i], seen, n_seen, cap);
    free(kids);
    return rc < 0 ? rc : 0;
}

static int retract_entity(rctx *x, int32_t op, uint64_t e, uint64_t **seen, size_t *n_seen, size_t *cap)
{
    for (size_t i = 0; i < *n_seen; i++)
        if ((*seen)[i] == e)
            return 0;
    if (*n_seen == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *seen = dt_realloc(*seen, *cap * sizeof **seen);
    }
    (*seen)[(*n_seen)++] = e;
    return retract_entity_datoms(x, op, e, seen, n_seen, cap);
}

static int expand_cas(rctx *x, size_t i, uint64_t e)
{
    const dt_txop *op = &x->ops->v[i];
    const dt_attr *a = dt_db_attr(x->db, op->a);
    if (a->many)
        return op_error(x, i, DATOM_EINVAL, ":db/cas needs a cardinality-one attribute");
    dt_val old = {0}, v;
    int rc = op_value(x, i, op->old_ref, &op->oldref, op->old, &old);
    if (rc || (rc = op_value(x, i, op->v_ref, &op->vref, op->v, &v)))
        return rc;
    dt_vals cur = {0};
    rc = current(x, e, op->a, &cur);
    bool ok = rc == 0 && (op->old_nil ? cur.n == 0 : cur.n == 1 && dt_val_eq(cur.v[0], old));
    if (rc == 0 && !ok) {
        dt_buf b = DT_BUF_INIT;
        if (cur.n)
            describe_v(x->db, &b, cur.v[0]);
        else
            dt_buf_puts(&b, "nil");
        rc = op_error(x, i, DATOM_ECONFLICT, ":db/cas failed: the current value is %s", dt_buf_cstr(&b));
        dt_buf_free(&b);
    }
    dt_vals_free(&cur);
    if (rc == 0)
        push(x, e, op->a, v, true, false, (int32_t)i);
    return rc;
}

static int expand_op(rctx *x, size_t i, uint64_t **seen, size_t *n_seen, size_t *cap)
{
    const dt_txop *op = &x->ops->v[i];
    uint64_t e;
    int rc = entity_of(x, i, &op->e, &e);
    if (rc == 0 && op->e.kind == DT_EREF_ID)
        rc = check_id(x, i, e);
    if (rc)
        return rc;
    if (op->op != DT_OP_RETRACT_ENTITY && !dt_db_attr(x->db, op->a))
        return op_error(x, i, DATOM_EINVAL, "no such attribute");
    dt_val v;
    dt_vals cur = {0};
    switch (op->op) {
    case DT_OP_ADD:
    case DT_OP_RETRACT:
        if ((rc = op_value(x, i, op->v_ref, &op->vref, op->v, &v)) == 0)
            push(x, e, op->a, v, op->op == DT_OP_ADD, false, (int32_t)i);
        return rc;
    case DT_OP_RETRACT_ATTR:
        rc = current(x, e, op->a, &cur);
        for (size_t k = 0; rc == 0 && k < cur.n; k++)
            push(x, e, op->a, cur.v[k], false, true, (int32_t)i);
        dt_vals_free(&cur);
        return rc;
    case DT_OP_RETRACT_ENTITY:
        return is_fresh(x, e) ? 0 : retract_entity(x, (int32_t)i, e, seen, n_seen, cap);
    default: return expand_cas(x, i, e);
    }
}

static int expand(rctx *x)
{
    uint64_t *seen = NULL;
    size_t n_seen = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < x->ops->n; i++)
        rc = expand_op(x, i, &seen, &n_seen, &cap);
    free(seen);
    return rc;
}

/* ---- checks (6) ---- */

static int cmp_cand(const void *p, const void *q)
{
    const cand *a = p, *b = q;
    if (a->e != b->e)
        return a->e < b->e ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    int c = dt_val_cmp(a->v, b->v);
    if (c)
        return c;
    if (a->added != b->added)
        return a->added ? 1 : -1;
    return a->derived - b->derived; /* the user's own first: messages name it */
}

/* Removes exact repeats; asserting and retracting one fact is a conflict
 * unless the retraction was implied (retractEntity, a retracted attribute). */
static int dedupe(rctx *x)
{
    sort(x->c, x->nc, sizeof *x->c, cmp_cand);
    size_t w = 0;
    for (size_t i = 0; i < x->nc; i++) {
        cand *c = &x->c[i];
        if (w && x->c[w - 1].e == c->e && x->c[w - 1].a == c->a && dt_val_eq(x->c[w - 1].v, c->v)) {
            cand *p = &x->c[w - 1];
            if (p->added == c->added)
                continue;
            if (!p->derived && !c->derived)
                return datom_error(x, c, "conflict: the transaction both asserts and retracts it");
            if (p->derived) { /* an implied retraction gives way to the assertion */
                *p = *c;
                continue;
            }
            continue;
        }
        x->c[w++] = *c;
    }
    x->nc = w;
    return 0;
}

/* Cardinality one: one value per (e a); the value replaced is retracted. */
static int card_one(rctx *x)
{
    size_t n = x->nc;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && x->c[j].e == x->c[i].e && x->c[j].a == x->c[i].a)
            j++;
        const dt_attr *a = dt_db_attr(x->db, x->c[i].a);
        cand add = {0};
        bool have = false;
        for (size_t k = i; k < j; k++) {
            if (!x->c[k].added)
                continue;
            if (have && !a->many) {
                dt_buf b = DT_BUF_INIT;
                describe_v(x->db, &b, add.v);
                int rc = datom_error(x, &x->c[k], "conflict: cardinality-one :%s gets a second value (%s) "
                                     "in the same transaction", a->ident, dt_buf_cstr(&b));
                dt_buf_free(&b);
                return rc;
            }
            add = x->c[k];
            have = true;
        }
        if (have && !a->many && !is_fresh(x, add.e)) {
            dt_vals cur = {0};
            int rc = current(x, add.e, add.a, &cur);
            for (size_t k = 0; rc == 0 && k < cur.n; k++) {
                bool retracted = false;
                for (size_t m = i; m < j; m++)
                    retracted |= !x->c[m].added && dt_val_eq(x->c[m].v, cur.v[k]);
                if (!dt_val_eq(cur.v[k], add.v) && !retracted)
                    push(x, add.e, add.a, cur.v[k], false, true, add.op); /* may move x->c */
            }
            dt_vals_free(&cur);
            if (rc)
                return rc;
        }
        i = j;
    }
    return 0;
}

/* Drops assertions of what holds and retractions of what does not. */
static int redundant(rctx *x)
{
    size_t w = 0;
    for (size_t i = 0; i < x->nc; i++) {
        cand *c = &x->c[i];
        /* A derived retraction was read from the current view: it holds. */
        bool holds = c->derived && !c->added;
        if (!holds && !is_fresh(x, c->e)) {
            int rc = dt_db_has(x->db, c->e, c->a, c->v, &holds);
            if (rc)
                return rc;
        }
        if (holds == c->added)
            continue;
        x->c[w++] = *c;
    }
    x->nc = w;
    return 0;
}

static int cmp_av(const void *p, const void *q)
{
    const cand *a = *(const cand *const *)p, *b = *(const cand *const *)q;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    int c = dt_val_cmp(a->v, b->v);
    return c ? c : (a->e < b->e ? -1 : a->e > b->e);
}

static bool retracted_here(const rctx *x, uint64_t e, uint32_t a, dt_val v)
{
    for (size_t i = 0; i < x->nc; i++)
        if (!x->c[i].added && x->c[i].e == e && x->c[i].a == a && dt_val_eq(x->c[i].v, v))
            return true;
    return false;
}

static int unique(rctx *x)
{
    cand **u = dt_malloc((x->nc + 1) * sizeof *u);
    size_t n = 0;
    for (size_t i = 0; i < x->nc; i++) {
        const dt_attr *a = dt_db_attr(x->db, x->c[i].a);
        if (x->c[i].added && a->unique)
            u[n++] = &x->c[i];
    }
    sort(u, n, sizeof *u, cmp_av);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i && u[i - 1]->a == u[i]->a && dt_val_eq(u[i - 1]->v, u[i]->v))
            rc = datom_error(x, u[i], "unique conflict: entity %llu gets the same value in this transaction",
                             (unsigned long long)u[i - 1]->e);
        uint64_t held = 0;
        if (rc == 0)
            rc = dt_db_lookup(x->db, u[i]->a, u[i]->v, &held);
        if (rc == 0 && held && held != u[i]->e && !retracted_here(x, held, u[i]->a, u[i]->v))
            rc = datom_error(x, u[i], "unique conflict: entity %llu already has this value",
                             (unsigned long long)held);
    }
    free(u);
    return rc;
}

/* ---- txInstant (7) ---- */

static int tx_instant(rctx *x)
{
    int64_t given = INT64_MIN;
    for (size_t i = 0; i < x->nc; i++) {
        cand *c = &x->c[i];
        if (c->a != DT_A_TX_INSTANT)
            continue;
        if (!c->added)
            return datom_error(x, c, ":db/txInstant cannot be retracted");
        if (c->e != x->tx)
            return datom_error(x, c, ":db/txInstant can only be set on the transaction being made");
        given = c->v.i;
    }
    int64_t last = x->db->last_instant;
    if (given == INT64_MIN) {
        push(x, x->tx, DT_A_TX_INSTANT, (dt_val){.type = DT_INSTANT, .i = DT_MAX(x->now, last)}, true, true, -1);
        x->out->instant = DT_MAX(x->now, last);
        return 0;
    }
    if (given < last || given > x->now) {
        cand c = {.e = x->tx, .a = DT_A_TX_INSTANT, .added = true, .v = {.type = DT_INSTANT, .i = given}, .op = -1};
        return datom_error(x, &c, ":db/txInstant must lie between the previous transaction's (%lld) and now",
                           (long long)last);
    }
    x->out->instant = given;
    return 0;
}

/* ---- the whole ---- */

static void grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (*cap >= need)
        return;
    *cap = DT_MAX(need, *cap * 2);
    *p = dt_realloc(*p, *cap * size);
}

static int finish(rctx *x)
{
    sort(x->c, x->nc, sizeof *x->c, cmp_cand);
    dt_txres *r = x->out;
    grow((void **)&r->datoms, &r->cap, x->nc + 1, sizeof *r->datoms);
    for (size_t i = 0; i < x->nc; i++) {
        const cand *c = &x->c[i];
        r->datoms[i] = (dt_datom){.e = c->e, .a = c->a, .v = dt_arena_val(&r->arena, c->v),
                                  .tx = x->tx, .added = c->added};
        if (dt_schema_touches(c->e, c->a)) {
            grow((void **)&r->touched, &r->cap_touched, r->n_touched + 1, sizeof *r->touched);
            r->touched[r->n_touched++] = c->e;
        }
    }
    r->n = x->nc;
    for (size_t i = 0; i < x->n_slots; i++) {
        if (!x->slots[i].name)
            continue;
        grow((void **)&r->tempids, &r->cap_tempids, r->n_tempids + 1, sizeof *r->tempids);
        r->tempids[r->n_tempids++] = (dt_tempid){dt_strdup(x->slots[i].name), x->slots[root_of(x, (uint32_t)i)].e};
    }
    r->next_user = x->next_user;
    r->next_db = x->next_db;
    r->t = x->t;
    return 0;
}

/* Borrows SCRATCH's memory for X (a new scratch when there is none). */
static void borrow(rctx *x, dt_rscratch *s)
{
    x->slots = s->slots;
    x->cap_slots = s->cap_slots;
    x->hash = s->hash;
    x->hcap = s->hcap;
    if (x->hcap)
        memset(x->hash, 0xff, x->hcap * sizeof *x->hash);
    x->c = s->c;
    x->capc = s->capc;
    x->fresh = s->fresh;
    x->cap_fresh = s->cap_fresh;
}

static void give_back(rctx *x, dt_rscratch *s)
{
    if (x->hcap > KEEP_HASH) {
        free(x->hash);
        x->hash = NULL;
        x->hcap = 0;
    }
    *s = (dt_rscratch){x->slots, x->cap_slots, x->hash, x->hcap, x->c, x->capc, x->fresh, x->cap_fresh};
}

int dt_resolve(dt_db *db, const dt_txops *ops, int64_t t, int64_t now_ms, dt_rscratch **scratch, dt_txres *out)
{
    rctx x = {.db = db, .ops = ops, .t = t, .now = now_ms, .tx = DT_TX_OF_T(t), .out = out,
              .next_user = db->next_user, .next_db = db->next_db};
    dt_rscratch *mine = NULL, **sp = scratch ? scratch : &mine;
    if (!*sp)
        *sp = dt_calloc(1, sizeof **sp);
    borrow(&x, *sp);
    gather(&x);
    int rc = upsert(&x);
    if (rc == 0) {
        allocate(&x);
        collect_fresh(&x);
        rc = expand(&x);
    }
    if (rc == 0)
        rc = dedupe(&x);
    if (rc == 0)
        rc = card_one(&x);
    if (rc == 0)
        rc = redundant(&x);
    if (rc == 0)
        rc = dedupe(&x);
    if (rc == 0)
        rc = unique(&x);
    if (rc == 0)
        rc = tx_instant(&x);
    if (rc == 0)
        rc = finish(&x);
    if (rc == 0)
        rc = dt_composites(db, out);
    if (rc == 0)
        rc = dt_schema_check(db, out->datoms, out->n, x.fresh, x.n_fresh);
    give_back(&x, *sp);
    dt_rscratch_free(mine);
    if (rc)
        dt_txres_reset(out);
    return rc;
}

void dt_txres_reset(dt_txres *r)
{
    for (size_t i = 0; i < r->n_tempids; i++)
        free(r->tempids[i].name);
    r->n = r->n_tempids = r->n_touched = 0;
    r->t = r->instant = 0;
    dt_arena_reset(&r->arena);
}

void dt_txres_free(dt_txres *r)
{
    dt_txres_reset(r);
    free(r->datoms);
    free(r->tempids);
    free(r->touched);
    dt_arena_free(&r->arena);
    memset(r, 0, sizeof *r);
}

dt_txop *dt_txops_push(dt_txops *ops)
{
    if (ops->n == ops->cap) {
        ops->cap = ops->cap ? ops->cap * 2 : 16;
        ops->v = dt_realloc(ops->v, ops->cap * sizeof *ops->v);
    }
    dt_txop *op = &ops->v[ops->n++];
    memset(op, 0, sizeof *op);
    return op;
}

void dt_txops_reset(dt_txops *ops)
{
    ops->n = 0;
    ops->n_anon = 0;
    dt_arena_reset(&ops->arena);
}

void dt_txops_free(dt_txops *ops)
{
    free(ops->v);
    dt_arena_free(&ops->arena);
    *ops = (dt_txops){0};
}
