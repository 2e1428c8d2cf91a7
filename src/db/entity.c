/*
 * entity.c: the entity view (pull.h): an entity named by id, ident or
 * lookup ref; its attributes one at a time, forward or reverse (:ns/_name),
 * so a caller navigates references without a pattern; or all at once.
 * References come back as entity ids, cardinality many as sets.
 */
#include <stdlib.h>
#include <string.h>

#include "db/pull.h"

static int bad_entity(const dt_edn_value *v, const char *why)
{
    char *text = dt_edn_to_string(v);
    int rc = dt_error(DATOM_EINVAL, "%s: %s", text, why);
    free(text);
    return rc;
}

int dt_entity_resolve(dt_db *db, const dt_edn_value *v, uint64_t *e)
{
    *e = 0;
    if (v->kind == DT_EDN_INT) {
        if (v->u.i <= 0)
            return bad_entity(v, "not an entity id");
        *e = (uint64_t)v->u.i;
        return 0;
    }
    if (v->kind == DT_EDN_KEYWORD) {
        *e = dt_db_entid(db, v->u.s);
        return 0;
    }
    if ((v->kind != DT_EDN_VECTOR && v->kind != DT_EDN_LIST) || dt_edn_count(v) != 2 ||
        dt_edn_at(v, 0)->kind != DT_EDN_KEYWORD)
        return bad_entity(v, "an entity is an id, an ident or a lookup ref [attribute value]");
    const dt_attr *a = dt_db_attr_by_ident(db, dt_edn_at(v, 0)->u.s);
    if (!a || !a->unique)
        return bad_entity(v, "a lookup ref names a unique attribute");
    dt_arena arena = {0};
    dt_val val;
    const char *why;
    int rc;
    const dt_edn_value *x = dt_edn_at(v, 1);
    if (a->type == DT_REF) {
        uint64_t ref;
        rc = dt_entity_resolve(db, x, &ref);
        val = dt_val_ref(ref);
    } else {
        rc = dt_lookup_val_from_edn(db, x, a, &arena, &val, &why) ? bad_entity(v, why) : 0;
    }
    if (rc == 0)
        rc = dt_db_lookup(db, a->id, val, e);
    dt_arena_free(&arena);
    return rc;
}

/* Attribute ATTR (a keyword) as an attribute and a direction. */
static int attr_of(dt_db *db, const dt_edn_value *attr, const dt_attr **a, bool *reverse)
{
    *reverse = false;
    if (attr->kind != DT_EDN_KEYWORD)
        return bad_entity(attr, "an attribute is a keyword");
    *a = dt_attr_of_kw(db, attr, reverse);
    if (!*a || (*reverse && (*a)->type != DT_REF))
        return bad_entity(attr, "no such attribute");
    return 0;
}

/* Every value of A on E (or every entity referring to E by A) as EDN. */
static int values(dt_db *db, uint64_t e, const dt_attr *a, bool reverse, dt_edn_doc *doc, dt_edn_vec *out)
{
    dt_key k = reverse ? (dt_key){.n = 2, .v = dt_val_ref(e), .a = a->id} : (dt_key){.n = 2, .e = e, .a = a->id};
    dt_cursor c;
    int rc = dt_cursor_init(&c, db, reverse ? DT_VAET : DT_EAVT, &k, &k, 0);
    const dt_datom *d;
    while (dt_cursor_step(&c, &d, &rc))
        dt_edn_vec_push(out, reverse ? dt_edn_int((int64_t)d->e) : dt_val_to_edn(doc, d->v));
    dt_cursor_fini(&c);
    return rc < 0 ? rc : 0;
}

static int as_value(dt_edn_doc *doc, dt_edn_vec *vals, bool set, dt_edn_value *out)
{
    if (!vals->n) {
        *out = dt_edn_nil();
        return 0;
    }
    if (!set) {
        *out = vals->v[0];
        return 0;
    }
    return dt_edn_coll(doc, DT_EDN_SET, vals->v, vals->n, out);
}

int dt_entity_get(dt_db *db, uint64_t e, const dt_edn_value *attr, dt_edn_doc *doc, dt_edn_value *out)
{
    *out = dt_edn_nil();
    const dt_attr *a = NULL;
    bool rev;
    int rc = attr_of(db, attr, &a, &rev);
    dt_edn_vec vals = DT_EDN_VEC_INIT;
    if (rc == 0)
        rc = values(db, e, a, rev, doc, &vals);
    if (rc == 0)
        rc = as_value(doc, &vals, rev || a->many, out);
    dt_edn_vec_free(&vals);
    return rc;
}

int dt_entity_touch(dt_db *db, uint64_t e, dt_edn_doc *doc, dt_edn_value *out)
{
    dt_edn_vec items = DT_EDN_VEC_INIT;
    dt_edn_vec_push(&items, dt_kw(doc, "db/id"));
    dt_edn_vec_push(&items, dt_edn_int((int64_t)e));
    dt_key k = {.n = 1, .e = e};
    dt_cursor c;
    int rc = dt_cursor_init(&c, db, DT_EAVT, &k, &k, 0);
    const dt_datom *d;
    uint32_t last = 0;
    dt_edn_vec vals = DT_EDN_VEC_INIT;
    bool many = false;
    while (rc == 0) {
        int more = dt_cursor_next(&c, &d);
        if (more < 0)
            rc = more;
        if (rc == 0 && last && (more == 0 || d->a != last)) {
            dt_edn_value v;
            const dt_attr *a = dt_db_attr(db, last);
            if ((rc = as_value(doc, &vals, many, &v)) == 0 && a) {
                dt_edn_vec_push(&items, dt_kw(doc, a->ident));
                dt_edn_vec_push(&items, v);
            }
            vals.n = 0;
        }
        if (rc || more == 0)
            break;
        const dt_attr *a = dt_db_attr(db, d->a);
        last = d->a;
        many = a && a->many;
        dt_edn_vec_push(&vals, dt_val_to_edn(doc, d->v));
    }
    dt_cursor_fini(&c);
    dt_edn_vec_free(&vals);
    if (rc == 0)
        rc = dt_edn_coll(doc, DT_EDN_MAP, items.v, items.n, out);
    dt_edn_vec_free(&items);
    return rc;
}
