/*
 * q_tx.h: test-only: a small EDN tx-data reader for the query tests, until
 * the db layer reads tx-data itself. It knows map forms ({:db/id "t" :attr v},
 * vectors for cardinality many, strings as tempids for refs, keywords as
 * idents) and [:db/add e a v] / [:db/retract e a v]; attributes must exist
 * before the transaction (schema goes in its own transaction).
 */
#ifndef Q_TX_H
#define Q_TX_H

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/tx.h"
#include "edn/edn.h"

typedef struct qtx {
    const dt_edn_value *data;
    dt_edn_doc *doc;
    int err;
} qtx;

/* Blobs the operations point at, freed once the transaction is done. */
static dt_blob **qtx_blobs;
static size_t qtx_nblobs, qtx_capblobs;

static dt_blob *qtx_keep(dt_blob *b)
{
    if (qtx_nblobs == qtx_capblobs) {
        qtx_capblobs = qtx_capblobs ? qtx_capblobs * 2 : 64;
        qtx_blobs = realloc(qtx_blobs, qtx_capblobs * sizeof *qtx_blobs);
    }
    return qtx_blobs[qtx_nblobs++] = b;
}

static dt_val qtx_blob(dt_vtype t, const char *s, size_t n) { return dt_val_blob(t, qtx_keep(dt_blob_new(s, n))); }

static dt_eref qtx_eref(dt_db *db, const dt_edn_value *v)
{
    if (dt_edn_is(v, DT_EDN_STRING))
        return (dt_eref){.kind = DT_EREF_TEMPID, .tempid = v->u.s};
    if (dt_edn_is(v, DT_EDN_INT))
        return (dt_eref){.kind = DT_EREF_ID, .id = (uint64_t)v->u.i};
    if (dt_edn_is(v, DT_EDN_KEYWORD))
        return (dt_eref){.kind = DT_EREF_ID, .id = dt_db_entid(db, v->u.s)};
    if (dt_edn_is(v, DT_EDN_VECTOR) && dt_edn_count(v) == 2) {
        const dt_attr *at = dt_db_attr_by_ident(db, dt_edn_at(v, 0)->u.s);
        dt_eref e = {.kind = DT_EREF_LOOKUP, .la = at ? at->id : 0};
        const dt_edn_value *lv = dt_edn_at(v, 1);
        if (dt_edn_is(lv, DT_EDN_STRING))
            e.lv = qtx_blob(DT_STRING, lv->u.s, lv->len);
        else
            e.lv = dt_val_long(lv->u.i);
        return e;
    }
    return (dt_eref){.kind = DT_EREF_ID};
}

static void qtx_value(dt_db *db, const dt_attr *at, const dt_edn_value *v, dt_txop *op)
{
    switch (at->type) {
    case DT_REF:
        op->v_ref = true;
        op->vref = qtx_eref(db, v);
        break;
    case DT_DOUBLE:
    case DT_FLOAT: op->v = (dt_val){.type = at->type, .d = v->kind == DT_EDN_INT ? (double)v->u.i : v->u.f}; break;
    case DT_BOOL: op->v = dt_val_bool(v->u.b); break;
    case DT_INSTANT: op->v = (dt_val){.type = DT_INSTANT, .i = v->u.sec * 1000 + v->len / 1000000}; break;
    case DT_LONG: op->v = dt_val_long(v->u.i); break;
    case DT_TUPLE: {
        dt_val el[16];
        for (size_t i = 0; i < dt_edn_count(v); i++) {
            const dt_edn_value *e = dt_edn_at(v, i);
            el[i] = e->kind == DT_EDN_INT ? dt_val_long(e->u.i)
                  : e->kind == DT_EDN_NIL ? dt_val_nil()
                  : qtx_blob(e->kind == DT_EDN_KEYWORD ? DT_KEYWORD : DT_STRING, e->u.s, e->len);
        }
        op->v = dt_val_blob(DT_TUPLE, qtx_keep(dt_tuple_new(el, dt_edn_count(v))));
        break;
    }
    default: op->v = qtx_blob(at->type, v->u.s, v->len);
    }
}

static void qtx_add(dt_db *db, dt_txops *ops, int kind, dt_eref e, const dt_edn_value *a, const dt_edn_value *v,
                    int *err)
{
    const dt_attr *at = dt_db_attr_by_ident(db, a->u.s);
    if (!at) {
        *err = dt_error(DATOM_EINVAL, "q_tx: unknown attribute :%s", a->u.s);
        return;
    }
    bool many = dt_edn_is(v, DT_EDN_VECTOR) && (at->many || at->type != DT_TUPLE) && !(at->type == DT_REF && !at->many);
    size_t n = many ? dt_edn_count(v) : 1;
    for (size_t i = 0; i < n; i++) {
        dt_txop *op = dt_txops_push(ops);
        memset(op, 0, sizeof *op);
        op->op = (uint8_t)kind;
        op->e = e;
        op->a = at->id;
        qtx_value(db, at, many ? dt_edn_at(v, i) : v, op);
    }
}

static int qtx_fill(dt_db *db, void *ctx, dt_txops *ops)
{
    qtx *t = ctx;
    int err = 0;
    for (size_t i = 0; i < dt_edn_count(t->data) && !err; i++) {
        const dt_edn_value *f = dt_edn_at(t->data, i);
        if (dt_edn_is(f, DT_EDN_MAP)) {
            const dt_edn_value *id = dt_edn_get_kw(f, "db/id");
            char anon[32];
            dt_eref e;
            if (id) {
                e = qtx_eref(db, id);
            } else {
                snprintf(anon, sizeof anon, "anon%zu", i);
                dt_edn_value s = dt_edn_string(t->doc, anon, strlen(anon));
                e = (dt_eref){.kind = DT_EREF_TEMPID, .tempid = s.u.s};
            }
            for (size_t k = 0; k < dt_edn_count(f) && !err; k++)
                if (!dt_edn_is_kw(dt_edn_key(f, k), "db/id"))
                    qtx_add(db, ops, DT_OP_ADD, e, dt_edn_key(f, k), dt_edn_val(f, k), &err);
        } else {
            const dt_edn_value *op = dt_edn_at(f, 0);
            int kind = dt_edn_is_kw(op, "db/add") ? DT_OP_ADD : DT_OP_RETRACT;
            qtx_add(db, ops, kind, qtx_eref(db, dt_edn_at(f, 1)), dt_edn_at(f, 2), dt_edn_at(f, 3), &err);
        }
    }
    return err;
}

/* Transacts the EDN tx-data TEXT on C. */
static int qtx_transact(dt_conn *c, const char *text, dt_tx_report **rep)
{
    qtx t = {.doc = dt_edn_doc_new()};
    int rc = dt_edn_read(t.doc, text, strlen(text), NULL, &t.data, NULL);
    dt_tx_report *r = NULL;
    if (!rc)
        rc = dt_conn_transact_ops(c, qtx_fill, &t, &r);
    if (rep)
        *rep = r;
    else if (r)
        dt_tx_report_free(r);
    dt_edn_doc_free(t.doc);
    for (size_t i = 0; i < qtx_nblobs; i++)
        free(qtx_blobs[i]);
    free(qtx_blobs);
    qtx_blobs = NULL;
    qtx_nblobs = qtx_capblobs = 0;
    return rc;
}

#endif /* Q_TX_H */
