/*
 * alter.c: schema changes and composite tuples, the two parts of a
 * transaction's meaning that look at the schema as a whole (internal.h).
 *
 * Schema (Datomic's rules, docs/architecture.md "Schema"):
 *  - A new attribute is a new entity with :db/ident, :db/valueType and
 *    :db/cardinality; :db/isComponent only on references; a tuple type has
 *    exactly one of :db/tupleAttrs (2 to 8 cardinality-one attributes),
 *    :db/tupleTypes (2 to 8 scalar types) or :db/tupleType (one).
 *  - Of an existing attribute, :db/valueType, :db/tupleAttrs,
 *    :db/tupleType(s) never change; :db/ident may be renamed but not removed;
 *    :db/cardinality may go from one to many, and from many to one when no
 *    entity holds two values; :db/unique may be dropped, switched, or added
 *    when the current values are unique; :db/index, :db/noHistory and
 *    :db/doc change freely.
 * Composite tuples: an attribute with :db/tupleAttrs holds, on every entity
 * with at least one of its attributes, the tuple of their current values
 * (nil for a missing one); datom maintains it and refuses it in tx-data.
 */
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/* The schema facts of one entity, before and after. */
typedef struct props {
    const char *ident;
    uint64_t type, card, unique, tuple_type;
    bool component, has_tuple_attrs, has_tuple_types;
    dt_val tuple_attrs, tuple_types;
} props;

static void set_prop(props *p, uint32_t a, dt_val v, bool added)
{
    switch (a) {
    case DT_A_IDENT: p->ident = added ? v.b->data : NULL; break;
    case DT_A_VALUE_TYPE: p->type = added ? v.u : 0; break;
    case DT_A_CARDINALITY: p->card = added ? v.u : 0; break;
    case DT_A_UNIQUE: p->unique = added ? v.u : 0; break;
    case DT_A_IS_COMPONENT: p->component = added && v.i; break;
    case DT_A_TUPLE_ATTRS: p->has_tuple_attrs = added; p->tuple_attrs = v; break;
    case DT_A_TUPLE_TYPES: p->has_tuple_types = added; p->tuple_types = v; break;
    case DT_A_TUPLE_TYPE: p->tuple_type = added ? v.u : 0; break;
    default: break;
    }
}

static int read_props(dt_db *db, uint64_t e, props *p)
{
    memset(p, 0, sizeof *p);
    dt_key k = {.n = 1, .e = e};
    dt_cursor c;
    int rc = dt_cursor_init(&c, db, DT_EAVT, &k, &k, 0);
    const dt_datom *d;
    while (dt_cursor_step(&c, &d, &rc))
        if (d->a != DT_A_IDENT && d->a != DT_A_TUPLE_ATTRS && d->a != DT_A_TUPLE_TYPES)
            set_prop(p, d->a, d->v, true); /* (values of those three borrowed from the cursor: not kept) */
    dt_cursor_fini(&c);
    return rc < 0 ? rc : 0;
}

static int schema_error(dt_db *db, const dt_datom *d, const char *fmt, ...) DT_PRINTF(3, 4);
static int schema_error(dt_db *db, const dt_datom *d, const char *fmt, ...)
{
    dt_buf b = DT_BUF_INIT;
    dt_datom_describe(db, &b, d->added, d->e, d->a, d->v);
    va_list ap;
    va_start(ap, fmt);
    int rc = dt_error_head(DATOM_EINVAL, &b, fmt, ap);
    va_end(ap);
    return rc;
}

static bool is_type(uint64_t e) { return e > DT_E_TYPE0 && e < DT_E_TYPE0 + DT_VTYPE_COUNT; }

/* The transaction's datoms, for attributes it installs itself. */
typedef struct txview {
    const dt_datom *d;
    size_t n;
} txview;

/* Is IDENT an attribute installed by this transaction, cardinality one and
 * not a tuple (what a composite tuple may be made of)? */
static bool new_scalar_attr(const txview *tx, const char *ident)
{
    for (size_t i = 0; i < tx->n; i++) {
        const dt_datom *x = &tx->d[i];
        if (!x->added || x->a != DT_A_IDENT || strcmp(x->v.b->data, ident))
            continue;
        bool one = false, scalar = false;
        for (size_t j = 0; j < tx->n; j++) {
            const dt_datom *y = &tx->d[j];
            if (y->e != x->e || !y->added)
                continue;
            one |= y->a == DT_A_CARDINALITY && y->v.u == DT_E_CARD_ONE;
            scalar |= y->a == DT_A_VALUE_TYPE && y->v.u != DT_E_TYPE0 + DT_TUPLE;
        }
        return one && scalar;
    }
    return false;
}

/* Tuple element lists: 2 to 8 of attributes (composite) or scalar types. */
static int check_tuple_list(dt_db *db, const txview *tx, const dt_datom *d, dt_val list, bool attrs)
{
    size_t n = list.type == DT_TUPLE ? dt_tuple_count(list.b) : 0;
    if (n < 2 || n > 8)
        return schema_error(db, d, "a tuple has 2 to 8 elements");
    for (size_t i = 0; i < n; i++) {
        dt_val k = dt_tuple_get(list.b, i);
        if (k.type != DT_KEYWORD)
            return schema_error(db, d, "tuple elements are keywords");
        if (attrs) {
            const dt_attr *a = dt_db_attr_by_ident(db, k.b->data);
            if (a ? a->many || a->type == DT_TUPLE : !new_scalar_attr(tx, k.b->data))
                return schema_error(db, d, ":%s: a composite tuple is made of existing cardinality-one, non-tuple attributes",
                                    k.b->data);
        } else {
            dt_vtype t;
            if (strncmp(k.b->data, "db.type/", 8) || dt_vtype_parse(k.b->data, &t) || t == DT_TUPLE)
                return schema_error(db, d, ":%s: not a scalar :db.type/", k.b->data);
        }
    }
    return 0;
}

static int check_new_attr(dt_db *db, const txview *tx, const dt_datom *d, uint64_t e, const props *p, bool fresh)
{
    if (DT_EID_PART(e) != DT_PART_DB || !fresh)
        return schema_error(db, d, "an attribute is installed on a new entity (a tempid), not on an existing one");
    if (!p->ident)
        return schema_error(db, d, "a new attribute needs :db/ident");
    if (!is_type(p->type))
        return schema_error(db, d, "a new attribute needs a :db/valueType");
    if (p->card != DT_E_CARD_ONE && p->card != DT_E_CARD_MANY)
        return schema_error(db, d, "a new attribute needs :db/cardinality (:db.cardinality/one or many)");
    if (p->unique && p->unique != DT_E_UNIQUE_VALUE && p->unique != DT_E_UNIQUE_IDENTITY)
        return schema_error(db, d, ":db/unique is :db.unique/value or :db.unique/identity");
    if (p->component && p->type != DT_E_TYPE0 + DT_REF)
        return schema_error(db, d, ":db/isComponent needs :db.type/ref");
    int tuples = p->has_tuple_attrs + p->has_tuple_types + (p->tuple_type != 0);
    bool tuple = p->type == DT_E_TYPE0 + DT_TUPLE;
    if (tuple != (tuples == 1))
        return schema_error(db, d, tuple ? "a tuple attribute needs one of :db/tupleAttrs, :db/tupleTypes, :db/tupleType"
                                         : ":db/tupleAttrs, :db/tupleTypes and :db/tupleType need :db.type/tuple");
    if (p->has_tuple_attrs)
        return check_tuple_list(db, tx, d, p->tuple_attrs, true);
    if (p->has_tuple_types)
        return check_tuple_list(db, tx, d, p->tuple_types, false);
    if (p->tuple_type && (!is_type(p->tuple_type) || p->tuple_type == DT_E_TYPE0 + DT_TUPLE))
        return schema_error(db, d, ":db/tupleType is a scalar :db.type/");
    return 0;
}

/* Does any entity hold two values of A? Are two entities holding one value of A? */
static int scan_dupes(dt_db *db, dt_order order, uint32_t a, bool *found)
{
    dt_key k = {.n = 1, .a = a};
    dt_cursor c;
    int rc = dt_cursor_init(&c, db, order, &k, &k, 0);
    const dt_datom *d;
    uint64_t last_e = 0;
    dt_val last_v = {0};
    bool first = true;
    *found = false;
    while (!*found && dt_cursor_step(&c, &d, &rc)) {
        if (!first)
            *found = order == DT_AEVT ? d->e == last_e : dt_val_eq(d->v, last_v);
        dt_val_free(&last_v);
        last_e = d->e;
        last_v = dt_val_copy(d->v);
        first = false;
    }
    dt_val_free(&last_v);
    dt_cursor_fini(&c);
    return rc < 0 ? rc : 0;
}

static int check_alter(dt_db *db, const dt_datom *d, size_t n, const dt_attr *before, const props *p)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t a = d[i].a;
        if (a == DT_A_VALUE_TYPE || a == DT_A_TUPLE_ATTRS || a == DT_A_TUPLE_TYPE || a == DT_A_TUPLE_TYPES)
            return schema_error(db, &d[i], "the %s of an attribute cannot change", dt_db_ident(db, a));
    }
    if (!p->ident)
        return schema_error(db, &d[0], "an attribute's :db/ident can be renamed but not removed");
    if (p->card != DT_E_CARD_ONE && p->card != DT_E_CARD_MANY)
        return schema_error(db, &d[0], "an attribute keeps a :db/cardinality");
    if (p->component && before->type != DT_REF)
        return schema_error(db, &d[0], ":db/isComponent needs :db.type/ref");
    bool dup;
    int rc;
    if (before->many && p->card == DT_E_CARD_ONE) {
        if ((rc = scan_dupes(db, DT_AEVT, before->id, &dup)))
            return rc;
        if (dup)
            return schema_error(db, &d[0], "cannot make :%s cardinality-one: an entity holds several values",
                                before->ident);
    }
    if (!before->unique && p->unique) {
        if ((rc = scan_dupes(db, DT_AVET, before->id, &dup)))
            return rc;
        if (dup)
            return schema_error(db, &d[0], "cannot make :%s unique: two entities hold one value", before->ident);
    }
    return 0;
}

static bool bsearch_u64(const uint64_t *v, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] == x)
            return true;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The datoms d[0..n) of one entity E. */
static int check_entity(dt_db *db, const txview *tx, uint64_t e, const dt_datom *d, size_t n, bool fresh)
{
    bool schema = false;
    for (size_t i = 0; i < n; i++)
        schema |= dt_schema_is_attr_prop(d[i].a) || d[i].a == DT_A_IDENT;
    if (!schema)
        return 0;
    props p;
    int rc = fresh ? (memset(&p, 0, sizeof p), 0) : read_props(db, e, &p);
    if (rc)
        return rc;
    const dt_attr *before = DT_EID_PART(e) == DT_PART_DB && e < UINT32_MAX ? dt_db_attr(db, (uint32_t)e) : NULL;
    if (before) {
        p.ident = before->ident;
        p.has_tuple_attrs = before->n_tuple_attrs > 0;
    }
    for (size_t i = 0; i < n; i++)
        if (!d[i].added)
            set_prop(&p, d[i].a, d[i].v, false);
    for (size_t i = 0; i < n; i++)
        if (d[i].added)
            set_prop(&p, d[i].a, d[i].v, true);
    if (before)
        return check_alter(db, d, n, before, &p);
    if (p.type)
        return check_new_attr(db, tx, d, e, &p, fresh);
    for (size_t i = 0; i < n; i++)
        if (d[i].added && dt_schema_is_attr_prop(d[i].a))
            return schema_error(db, &d[i], "not an attribute: an attribute needs :db/valueType");
    return 0;
}

int dt_schema_check(dt_db *db, const dt_datom *d, size_t n, const uint64_t *fresh, size_t n_fresh)
{
    int rc = 0;
    txview tx = {d, n};
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t j = i;
        while (j < n && d[j].e == d[i].e)
            j++;
        rc = check_entity(db, &tx, d[i].e, d + i, j - i, bsearch_u64(fresh, n_fresh, d[i].e));
        i = j;
    }
    return rc;
}

/* ---- composite tuples ---- */

static void txres_push(dt_txres *r, uint64_t e, uint32_t a, dt_val v, bool added, uint64_t tx)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->datoms = dt_realloc(r->datoms, r->cap * sizeof *r->datoms);
    }
    r->datoms[r->n++] = (dt_datom){.e = e, .a = a, .v = v, .tx = tx, .added = added};
}

/* The value of E's A after the transaction (nil: none). */
static int after_value(dt_db *db, dt_txres *r, size_t from, size_t to, uint64_t e, uint32_t a, dt_val *out)
{
    *out = dt_val_nil();
    bool touched = false;
    for (size_t i = from; i < to; i++)
        if (r->datoms[i].a == a) {
            touched = true;
            if (r->datoms[i].added)
                *out = r->datoms[i].v;
        }
    if (touched)
        return 0;
    dt_vals cur = {0};
    int rc = dt_db_values(db, e, a, &r->arena, &cur);
    if (rc == 0 && cur.n)
        *out = cur.v[0];
    dt_vals_free(&cur);
    return rc;
}

static bool has_attr(const dt_attr *t, uint32_t a)
{
    for (size_t i = 0; i < t->n_tuple_attrs; i++)
        if (t->tuple_attrs[i] == a)
            return true;
    return false;
}

/* The composite T of the entity whose datoms are r->datoms[from..to). */
static int composite(dt_db *db, dt_txres *r, size_t from, size_t to, const dt_attr *t)
{
    bool touched = false;
    uint64_t e = r->datoms[from].e, tx = r->datoms[from].tx;
    for (size_t i = from; i < to; i++)
        touched |= has_attr(t, r->datoms[i].a);
    if (!touched)
        return 0;
    dt_val vals[8];
    bool any = false;
    for (size_t i = 0; i < t->n_tuple_attrs && i < 8; i++) {
        int rc = after_value(db, r, from, to, e, t->tuple_attrs[i], &vals[i]);
        if (rc)
            return rc;
        any |= vals[i].type != DT_NIL;
    }
    dt_vals cur = {0};
    int rc = dt_db_values(db, e, t->id, &r->arena, &cur);
    dt_val now = {0};
    if (any) {
        dt_blob *b = dt_tuple_new(vals, t->n_tuple_attrs);
        now = dt_arena_val(&r->arena, dt_val_blob(DT_TUPLE, b));
        free(b);
    }
    bool same = cur.n && any && dt_val_eq(cur.v[0], now);
    if (rc == 0 && cur.n && !same)
        txres_push(r, e, t->id, cur.v[0], false, tx);
    if (rc == 0 && any && !same)
        txres_push(r, e, t->id, now, true, tx);
    dt_vals_free(&cur);
    return rc;
}

static int cmp_datom_eav(const void *p, const void *q)
{
    return dt_datom_cmp(DT_EAVT, p, q);
}

int dt_composites(dt_db *db, dt_txres *r)
{
    if (!dt_schema_has_composites(db->schema))
        return 0;
    const dt_attr *const *attrs;
    size_t n_attrs = dt_schema_attrs(db->schema, &attrs);
    bool any = false;
    for (size_t i = 0; i < n_attrs; i++)
        any |= attrs[i]->n_tuple_attrs > 0;
    if (!any)
        return 0;
    for (size_t i = 0; i < r->n; i++) {
        const dt_attr *a = dt_db_attr(db, r->datoms[i].a);
        if (a && a->n_tuple_attrs)
            return schema_error(db, &r->datoms[i], "a composite tuple is kept by the database from :%s's attributes; "
                                "assert those instead", a->ident);
    }
    size_t n = r->n;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t j = i;
        while (j < n && r->datoms[j].e == r->datoms[i].e)
            j++;
        for (size_t k = 0; rc == 0 && k < n_attrs; k++)
            if (attrs[k]->n_tuple_attrs)
                rc = composite(db, r, i, j, attrs[k]);
        i = j;
    }
    if (r->n != n) {
        qsort(r->datoms, r->n, sizeof *r->datoms, cmp_datom_eav);
        size_t w = 0; /* a retraction retractEntity made already */
        for (size_t i = 0; i < r->n; i++)
            if (!w || dt_datom_cmp(DT_EAVT, &r->datoms[w - 1], &r->datoms[i]))
                r->datoms[w++] = r->datoms[i];
        r->n = w;
    }
    return rc;
}
