/*
 * txdata.c: tx-data from EDN (edn_db.h, dt_txdata_read), and the EDN entry
 * points of db.h (dt_conn_transact, dt_db_with).
 *
 * Forms (docs/architecture.md, "Transactions"):
 *   [:db/add e a v]  [:db/retract e a v]  [:db/retract e a]
 *   [:db/retractEntity e]  [:db/cas e a old new]  (also :db.fn/retractEntity, :db.fn/cas)
 *   {:db/id e, attr value, ...}: one assertion per value; a collection is
 *   several values of a cardinality-many attribute; :ns/_attr asserts the
 *   reverse reference; a map as a reference value is a nested entity (its
 *   attribute must be a component, or the map must hold a unique attribute
 *   or a :db/id, as Datomic requires); no :db/id: a new entity.
 * An entity is a tempid string, an entity id (a negative number is a
 * tempid, as Datascript has it), an ident keyword, a lookup ref [attr value],
 * or #db/id[partition n?]. Errors name the form's line and column.
 */
#include <stdlib.h>
#include <string.h>

#include "db/edn_db.h"
#include "db/tx.h"

typedef struct rd {
    dt_db *db;
    dt_txops *ops;
} rd;

static int form_error(const dt_edn_value *at, const char *fmt, ...) DT_PRINTF(2, 3);
static int form_error(const dt_edn_value *at, const char *fmt, ...)
{
    dt_buf b = DT_BUF_INIT;
    if (at && at->line)
        dt_buf_printf(&b, "tx-data %u:%u: ", at->line, at->col);
    else
        dt_buf_puts(&b, "tx-data: ");
    if (at) {
        char *text = dt_edn_to_string(at);
        if (strlen(text) > 80)
            memcpy(text + 77, "...", 4);
        dt_buf_printf(&b, "%s: ", text);
        free(text);
    }
    va_list ap;
    va_start(ap, fmt);
    dt_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    int rc = dt_error(DATOM_EINVAL, "%s", dt_buf_cstr(&b));
    dt_buf_free(&b);
    return rc;
}

static dt_txop *new_op(rd *r, int kind, const dt_edn_value *at)
{
    dt_txop *op = dt_txops_push(r->ops);
    op->op = (uint8_t)kind;
    op->line = at->line;
    op->col = at->col;
    return op;
}

static const char *arena_str(rd *r, const char *s, size_t n)
{
    char *p = dt_arena_alloc(&r->ops->arena, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- attributes ---- */

/* An attribute keyword (":ns/_name": the reverse of :ns/name, a reference). */
static int read_attr(rd *r, const dt_edn_value *v, const dt_attr **out, bool *reverse)
{
    *reverse = false;
    if (v->kind == DT_EDN_INT && v->u.i > 0 && v->u.i < UINT32_MAX) {
        *out = dt_db_attr(r->db, (uint32_t)v->u.i);
        return *out ? 0 : form_error(v, "no such attribute");
    }
    if (v->kind != DT_EDN_KEYWORD)
        return form_error(v, "an attribute is a keyword");
    *out = dt_attr_of_kw(r->db, v, reverse);
    if (!*out)
        return form_error(v, "no such attribute");
    if (*reverse && (*out)->type != DT_REF)
        return form_error(v, "a reverse attribute needs a reference attribute");
    return 0;
}

/* ---- entities ---- */

static int read_value(rd *r, const dt_attr *a, const dt_edn_value *form, const dt_edn_value *v, dt_txop *op, bool old);

static int read_lookup(rd *r, const dt_edn_value *v, dt_eref *out)
{
    const dt_attr *a;
    bool rev;
    int rc = read_attr(r, dt_edn_at(v, 0), &a, &rev);
    if (rc)
        return rc;
    if (rev || !a->unique)
        return form_error(v, "a lookup ref names a unique attribute (:%s is not)", a->ident);
    dt_txop tmp = {0};
    const char *why;
    if (a->type == DT_TUPLE) {
        if (dt_lookup_val_from_edn(r->db, dt_edn_at(v, 1), a, &r->ops->arena, &tmp.v, &why))
            return form_error(v, "%s", why);
    } else if ((rc = read_value(r, a, NULL, dt_edn_at(v, 1), &tmp, false))) {
        return rc;
    }
    if (tmp.v_ref && tmp.vref.kind != DT_EREF_ID)
        return form_error(v, "a lookup ref's value is an entity id or ident here");
    *out = (dt_eref){.kind = DT_EREF_LOOKUP, .la = a->id, .lv = tmp.v_ref ? dt_val_ref(tmp.vref.id) : tmp.v};
    return 0;
}

static int read_eref(rd *r, const dt_edn_value *v, dt_eref *out)
{
    switch (v->kind) {
    case DT_EDN_STRING: *out = (dt_eref){.kind = DT_EREF_TEMPID, .tempid = arena_str(r, v->u.s, v->len)}; return 0;
    case DT_EDN_INT:
        if (v->u.i > 0) {
            *out = (dt_eref){.kind = DT_EREF_ID, .id = (uint64_t)v->u.i};
            return 0;
        }
        if (v->u.i < 0) {
            char tmp[32];
            int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i);
            *out = (dt_eref){.kind = DT_EREF_TEMPID, .tempid = arena_str(r, tmp, (size_t)n)};
            return 0;
        }
        return form_error(v, "0 is not an entity id");
    case DT_EDN_KEYWORD: {
        uint64_t e = dt_db_entid(r->db, v->u.s);
        if (!e)
            return form_error(v, "no entity has this ident");
        *out = (dt_eref){.kind = DT_EREF_ID, .id = e};
        return 0;
    }
    case DT_EDN_VECTOR:
    case DT_EDN_LIST:
        if (dt_edn_count(v) == 2)
            return read_lookup(r, v, out);
        break;
    case DT_EDN_TAGGED:
        if (dt_edn_is_sym(dt_edn_tag(v), "db/id")) {
            char *text = dt_edn_to_string(dt_edn_tagged_value(v));
            *out = (dt_eref){.kind = DT_EREF_TEMPID, .tempid = arena_str(r, text, strlen(text))};
            free(text);
            return 0;
        }
        break;
    default: break;
    }
    return form_error(v, "not an entity (a tempid string, an entity id, an ident or a lookup ref)");
}

/* The value V of attribute A into OP's value (or its old value for :db/cas);
 * FORM (the list form, or NULL in a map) is what a message names. */
static int read_value(rd *r, const dt_attr *a, const dt_edn_value *form, const dt_edn_value *v, dt_txop *op, bool old)
{
    if (v->kind == DT_EDN_NIL)
        return form_error(form ? form : v, "nil is not a value");
    if (a->type == DT_REF) {
        dt_eref *e = old ? &op->oldref : &op->vref;
        if (old)
            op->old_ref = true;
        else
            op->v_ref = true;
        return read_eref(r, v, e);
    }
    const char *why;
    if (!dt_val_from_edn(v, a->type, a, &r->ops->arena, old ? &op->old : &op->v, &why))
        return 0;
    char *text = dt_edn_to_string(v);
    int rc = form ? form_error(form, "the value %s: %s (the type of :%s)", text, why, a->ident)
                  : form_error(v, "%s (the type of :%s)", why, a->ident);
    free(text);
    return rc;
}

/* ---- list forms ---- */

static int read_list(rd *r, const dt_edn_value *f)
{
    size_t n = dt_edn_count(f);
    const dt_edn_value *head = n ? dt_edn_at(f, 0) : NULL;
    int kind;
    size_t want;
    if (dt_edn_is_kw(head, "db/add"))
        kind = DT_OP_ADD, want = 4;
    else if (dt_edn_is_kw(head, "db/retract"))
        kind = n == 3 ? DT_OP_RETRACT_ATTR : DT_OP_RETRACT, want = n == 3 ? 3 : 4;
    else if (dt_edn_is_kw(head, "db/retractEntity") || dt_edn_is_kw(head, "db.fn/retractEntity"))
        kind = DT_OP_RETRACT_ENTITY, want = 2;
    else if (dt_edn_is_kw(head, "db/cas") || dt_edn_is_kw(head, "db.fn/cas"))
        kind = DT_OP_CAS, want = 5;
    else if (head && head->kind == DT_EDN_KEYWORD)
        return form_error(f, "unknown operation :%s (known: :db/add, :db/retract, :db/retractEntity, :db/cas)",
                          head->u.s);
    else
        return form_error(f, "a list form starts with an operation keyword");
    if (n != want)
        return form_error(f, "expected %zu elements", want);
    dt_txop *op = new_op(r, kind, f);
    size_t idx = (size_t)(op - r->ops->v);
    int rc = read_eref(r, dt_edn_at(f, 1), &op->e);
    if (rc || kind == DT_OP_RETRACT_ENTITY)
        return rc;
    const dt_attr *a;
    bool rev;
    if ((rc = read_attr(r, dt_edn_at(f, 2), &a, &rev)))
        return rc;
    if (rev)
        return form_error(dt_edn_at(f, 2), "a reverse attribute belongs in a map form");
    op = &r->ops->v[idx];
    op->a = a->id;
    if (kind == DT_OP_RETRACT_ATTR)
        return 0;
    if (kind == DT_OP_CAS) {
        if (dt_edn_at(f, 3)->kind == DT_EDN_NIL)
            op->old_nil = true;
        else if ((rc = read_value(r, a, f, dt_edn_at(f, 3), op, true)))
            return rc;
        return read_value(r, a, f, dt_edn_at(f, 4), op, false);
    }
    return read_value(r, a, f, dt_edn_at(f, 3), op, false);
}

/* ---- map forms ---- */

static int read_map(rd *r, const dt_edn_value *m, dt_eref *self);

/* Does nested map M name itself (a :db/id) or hold a unique attribute? */
static bool identifies(rd *r, const dt_edn_value *m)
{
    for (size_t i = 0; i < dt_edn_count(m); i++) {
        const dt_edn_value *k = dt_edn_key(m, i);
        if (dt_edn_is_kw(k, "db/id"))
            return true;
        const dt_attr *a = k->kind == DT_EDN_KEYWORD ? dt_db_attr_by_ident(r->db, k->u.s) : NULL;
        if (a && a->unique)
            return true;
    }
    return false;
}

static int assert_one(rd *r, const dt_eref *self, const dt_attr *a, bool rev, const dt_edn_value *v)
{
    dt_eref child;
    if (v->kind == DT_EDN_MAP) {
        if (a->type != DT_REF)
            return form_error(v, "a map is a value only of a reference attribute");
        if (!rev && !a->component && !identifies(r, v))
            return form_error(v, "a nested map under :%s needs a component attribute, a unique attribute or a :db/id",
                              a->ident);
        int rc = read_map(r, v, &child);
        if (rc)
            return rc;
    }
    dt_txop *op = new_op(r, DT_OP_ADD, v);
    op->a = a->id;
    if (rev) {
        op->v_ref = true;
        op->vref = *self;
        return v->kind == DT_EDN_MAP ? (op->e = child, 0) : read_eref(r, v, &op->e);
    }
    op->e = *self;
    if (v->kind == DT_EDN_MAP) {
        op->v_ref = true;
        op->vref = child;
        return 0;
    }
    return read_value(r, a, NULL, v, op, false);
}

static bool is_coll(const dt_edn_value *v)
{
    return v->kind == DT_EDN_VECTOR || v->kind == DT_EDN_LIST || v->kind == DT_EDN_SET;
}

/* Several values: a collection for a cardinality-many attribute (or a
 * reverse one), except a single tuple (a vector of non-collections). */
static bool several(const dt_attr *a, bool rev, const dt_edn_value *v)
{
    if (!is_coll(v) || (!a->many && !rev))
        return false;
    if (a->type == DT_TUPLE)
        return dt_edn_count(v) > 0 && is_coll(dt_edn_at(v, 0));
    if (a->type == DT_REF && !rev && dt_edn_count(v) == 2 && dt_edn_at(v, 0)->kind == DT_EDN_KEYWORD &&
        !is_coll(dt_edn_at(v, 1)) && dt_edn_at(v, 1)->kind != DT_EDN_MAP) {
        /* [:attr value]: a lookup ref when :attr is a unique attribute */
        return false;
    }
    return true;
}

static int read_map(rd *r, const dt_edn_value *m, dt_eref *self)
{
    const dt_edn_value *id = dt_edn_get_kw(m, "db/id");
    int rc = 0;
    if (id)
        rc = read_eref(r, id, self);
    else
        *self = (dt_eref){.kind = DT_EREF_TEMPID, .id = ++r->ops->n_anon};
    for (size_t i = 0; rc == 0 && i < dt_edn_count(m); i++) {
        const dt_edn_value *k = dt_edn_key(m, i), *v = dt_edn_val(m, i);
        if (dt_edn_is_kw(k, "db/id") || dt_edn_is_kw(k, "db.install/_attribute"))
            continue; /* the latter: Datomic's old way of installing, implied here */
        const dt_attr *a;
        bool rev;
        if ((rc = read_attr(r, k, &a, &rev)))
            break;
        if (several(a, rev, v))
            for (size_t j = 0; rc == 0 && j < dt_edn_count(v); j++)
                rc = assert_one(r, self, a, rev, dt_edn_at(v, j));
        else
            rc = assert_one(r, self, a, rev, v);
    }
    return rc;
}

int dt_txdata_read(dt_db *db, const dt_edn_value *tx, dt_txops *ops)
{
    if (tx->kind != DT_EDN_VECTOR && tx->kind != DT_EDN_LIST)
        return form_error(tx, "tx-data is a vector of forms");
    rd r = {db, ops};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < dt_edn_count(tx); i++) {
        const dt_edn_value *f = dt_edn_at(tx, i);
        if (f->kind == DT_EDN_MAP) {
            dt_eref self;
            rc = read_map(&r, f, &self);
        } else if (f->kind == DT_EDN_VECTOR || f->kind == DT_EDN_LIST) {
            rc = read_list(&r, f);
        } else {
            rc = form_error(f, "a form is a list [:db/add ...] or a map {...}");
        }
    }
    return rc;
}

/* ---- the EDN entry points of db.h ---- */

static int read_tx(const char *edn, size_t len, dt_edn_doc **doc, const dt_edn_value **tx)
{
    *doc = dt_edn_doc_new();
    int rc = dt_edn_read(*doc, edn, len, NULL, tx, NULL);
    if (rc) {
        dt_edn_doc_free(*doc);
        *doc = NULL;
        return dt_error_wrap("tx-data");
    }
    return 0;
}

static int ops_from_edn(dt_db *db, void *ctx, dt_txops *ops) { return dt_txdata_read(db, ctx, ops); }

int dt_conn_transact_edn(dt_conn *c, const dt_edn_value *tx, dt_tx_report **out)
{
    if (out)
        *out = NULL;
    return dt_conn_transact_ops(c, ops_from_edn, (void *)tx, out);
}

static void doc_free(void *doc) { dt_edn_doc_free(doc); }

int dt_conn_transact(dt_conn *c, const char *edn, size_t len, dt_tx_report **out)
{
    if (out)
        *out = NULL;
    if (!c->doc) {
        c->doc = dt_edn_doc_new();
        c->doc_free = doc_free;
    }
    dt_edn_doc_reset(c->doc); /* one document per connection: its first block is kept */
    const dt_edn_value *tx;
    if (dt_edn_read(c->doc, edn, len, NULL, &tx, NULL))
        return dt_error_wrap("tx-data");
    return dt_conn_transact_ops(c, ops_from_edn, (void *)tx, out);
}

int dt_db_with(dt_db *db, const char *edn, size_t len, dt_tx_report **out)
{
    *out = NULL;
    dt_edn_doc *doc;
    const dt_edn_value *tx;
    int rc = read_tx(edn, len, &doc, &tx);
    if (rc == 0)
        rc = dt_db_with_ops(db, ops_from_edn, (void *)tx, out);
    dt_edn_doc_free(doc);
    return rc;
}
