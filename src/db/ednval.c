/*
 * ednval.c: datom values as EDN and back (edn_db.h).
 *
 * From EDN a value must be of its attribute's type, with widening only:
 * integers for doubles, floats, bigints and bigdecs. Decimals are kept in a
 * canonical text (no exponent, no leading or trailing zeros: 1.50M is 1.5M),
 * so equal numbers are equal bytes. Bytes and URIs have no EDN literal:
 * #datom/bytes "base64" and #datom/uri "text" (or a plain string for a URI).
 */
#include <stdlib.h>
#include <string.h>

#include "db/edn_db.h"
#include "db/pull.h"

#define DECIMAL_MAX_DIGITS 4096

static dt_val blob_val(dt_arena *a, dt_vtype type, const void *p, size_t n)
{
    dt_blob *b = dt_arena_alloc(a, sizeof *b + n + 1);
    b->len = (uint32_t)n;
    if (n)
        memcpy(b->data, p, n);
    b->data[n] = '\0';
    b->hash = dt_blob_hash(b->data, n);
    return dt_val_blob(type, b);
}

/* ---- decimals ---- */

/* TEXT (an EDN integer or decimal literal without its N or M: sign, digits,
 * maybe a point, maybe an exponent) in canonical form into OUT; false if it
 * is not such a number, is too long, or (a bigint) has a fraction. */
static bool canonical_decimal(const char *text, bool fraction_ok, dt_buf *out)
{
    const char *p = text;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    dt_buf d = DT_BUF_INIT; /* every digit, the point taken out */
    long before = -1;       /* digits before the point */
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.' && before < 0)
            before = (long)d.len;
        else if (*p >= '0' && *p <= '9')
            dt_buf_putc(&d, *p);
        else
            break;
    }
    long exp = 0;
    bool ok = !*p || *p == 'e' || *p == 'E';
    if (ok && *p) {
        char *end;
        exp = strtol(p + 1, &end, 10);
        ok = end != p + 1 && !*end;
    }
    long n = (long)d.len, q = (before < 0 ? n : before) + exp; /* the point's place in d */
    ok = ok && n > 0 && n <= DECIMAL_MAX_DIGITS && q >= -DECIMAL_MAX_DIGITS && q <= DECIMAL_MAX_DIGITS;
    dt_buf ip = DT_BUF_INIT, fp = DT_BUF_INIT;
    const char *digits = dt_buf_cstr(&d);
    for (long i = 0; ok && i < q; i++)
        dt_buf_putc(&ip, i < n ? digits[i] : '0');
    for (long i = q; ok && i < 0; i++)
        dt_buf_putc(&fp, '0');
    for (long i = DT_MAX(q, 0); ok && i < n; i++)
        dt_buf_putc(&fp, digits[i]);
    const char *is = dt_buf_cstr(&ip), *fs = dt_buf_cstr(&fp);
    size_t istart = 0, flen = fp.len;
    while (istart < ip.len && is[istart] == '0')
        istart++;
    while (flen && fs[flen - 1] == '0')
        flen--;
    if (ok && !fraction_ok && flen)
        ok = false;
    if (ok) {
        if (neg && (istart < ip.len || flen))
            dt_buf_putc(out, '-');
        if (istart == ip.len)
            dt_buf_putc(out, '0');
        else
            dt_buf_append(out, is + istart, ip.len - istart);
        if (flen) {
            dt_buf_putc(out, '.');
            dt_buf_append(out, fs, flen);
        }
    }
    dt_buf_free(&d);
    dt_buf_free(&ip);
    dt_buf_free(&fp);
    return ok;
}

static bool decimal_val(const char *text, bool fraction_ok, dt_arena *a, dt_vtype type, dt_val *out)
{
    dt_buf b = DT_BUF_INIT;
    bool ok = canonical_decimal(text, fraction_ok, &b);
    if (ok)
        *out = blob_val(a, type, b.data, b.len);
    dt_buf_free(&b);
    return ok;
}

/* ---- bytes ---- */

static int b64(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static bool base64_val(const char *s, size_t n, dt_arena *a, dt_val *out)
{
    while (n && s[n - 1] == '=')
        n--;
    dt_buf b = DT_BUF_INIT;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int x = b64(s[i]);
        if (x < 0) {
            dt_buf_free(&b);
            return false;
        }
        acc = acc << 6 | (uint32_t)x;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dt_buf_putc(&b, (char)(acc >> bits));
        }
    }
    *out = blob_val(a, DT_BYTES, b.data, b.len);
    dt_buf_free(&b);
    return true;
}

/* ---- from EDN ---- */

static bool tagged(const dt_edn_value *v, const char *tag)
{
    return v->kind == DT_EDN_TAGGED && dt_edn_is_sym(dt_edn_tag(v), tag) &&
           dt_edn_tagged_value(v)->kind == DT_EDN_STRING;
}

static int tuple_from_edn(const dt_edn_value *v, const dt_attr *attr, dt_arena *a, dt_val *out, const char **why)
{
    if (v->kind != DT_EDN_VECTOR && v->kind != DT_EDN_LIST) {
        *why = "a tuple is a vector";
        return DATOM_EINVAL;
    }
    size_t n = dt_edn_count(v);
    if (!attr || (attr->n_tuple_types == 0 && attr->n_tuple_attrs == 0)) {
        *why = "not a tuple attribute";
        return DATOM_EINVAL;
    }
    if (attr->n_tuple_attrs) {
        *why = "a composite tuple is kept by the database";
        return DATOM_EINVAL;
    }
    bool homo = attr->tuple_homogeneous;
    if (n < (homo ? 1u : 2u) || n > 8 || (!homo && n != attr->n_tuple_types)) {
        *why = homo ? "a tuple has 1 to 8 elements" : "the tuple's length differs from :db/tupleTypes";
        return DATOM_EINVAL;
    }
    dt_val elems[8];
    for (size_t i = 0; i < n; i++) {
        const dt_edn_value *e = dt_edn_at(v, i);
        dt_vtype t = (dt_vtype)attr->tuple_types[homo ? 0 : i];
        if (e->kind == DT_EDN_NIL)
            elems[i] = dt_val_nil();
        else if (dt_val_from_edn(e, t, NULL, a, &elems[i], why))
            return DATOM_EINVAL;
    }
    dt_blob *t = dt_tuple_new(elems, n);
    *out = dt_arena_val(a, dt_val_blob(DT_TUPLE, t));
    free(t);
    return 0;
}

int dt_val_from_edn(const dt_edn_value *v, dt_vtype type, const dt_attr *attr, dt_arena *a, dt_val *out,
                    const char **why)
{
    *out = (dt_val){.type = (uint8_t)type};
    int k = v->kind;
    bool ok = false;
    switch (type) {
    case DT_BOOL: ok = k == DT_EDN_BOOL; out->i = ok && v->u.b; break;
    case DT_LONG: ok = k == DT_EDN_INT; out->i = ok ? v->u.i : 0; break;
    case DT_DOUBLE:
    case DT_FLOAT:
        ok = k == DT_EDN_FLOAT || k == DT_EDN_INT;
        out->d = k == DT_EDN_FLOAT ? v->u.f : ok ? (double)v->u.i : 0;
        if (type == DT_FLOAT)
            out->d = (float)out->d;
        break;
    case DT_BIGINT:
    case DT_BIGDEC: {
        char tmp[32];
        const char *text = k == DT_EDN_INT ? (snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i), tmp)
                           : (k == DT_EDN_BIGINT || (type == DT_BIGDEC && k == DT_EDN_BIGDEC)) ? v->u.s
                                                                                                 : NULL;
        ok = text && decimal_val(text, type == DT_BIGDEC, a, type, out);
        break;
    }
    case DT_INSTANT:
        ok = k == DT_EDN_INST;
        out->i = ok ? v->u.sec * 1000 + (int64_t)v->len / 1000000 : 0;
        break;
    case DT_UUID:
        ok = k == DT_EDN_UUID;
        if (ok)
            *out = blob_val(a, DT_UUID, v->u.uuid, 16);
        break;
    case DT_STRING:
    case DT_KEYWORD:
    case DT_SYMBOL:
        ok = k == (type == DT_STRING ? DT_EDN_STRING : type == DT_KEYWORD ? DT_EDN_KEYWORD : DT_EDN_SYMBOL);
        if (ok)
            *out = blob_val(a, type, v->u.s, v->len);
        break;
    case DT_URI:
        if (tagged(v, "datom/uri"))
            v = dt_edn_tagged_value(v);
        ok = v->kind == DT_EDN_STRING;
        if (ok)
            *out = blob_val(a, DT_URI, v->u.s, v->len);
        break;
    case DT_BYTES:
        ok = tagged(v, "datom/bytes") && base64_val(dt_edn_tagged_value(v)->u.s, dt_edn_tagged_value(v)->len, a, out);
        break;
    case DT_TUPLE: return tuple_from_edn(v, attr, a, out, why);
    default: break;
    }
    if (!ok) {
        static char msg[DT_VTYPE_COUNT][48];
        snprintf(msg[type], sizeof msg[type], "not a :db.type/%s", dt_vtype_name(type));
        *why = msg[type];
        return DATOM_EINVAL;
    }
    return 0;
}

/* A composite tuple from EDN (for lookups and index access; never asserted):
 * each element typed by its attribute. */
static int composite_from_edn(dt_db *db, const dt_edn_value *v, const dt_attr *attr, dt_arena *a, dt_val *out,
                              const char **why)
{
    size_t n = dt_edn_count(v);
    if ((v->kind != DT_EDN_VECTOR && v->kind != DT_EDN_LIST) || n != attr->n_tuple_attrs || n > 8) {
        *why = "a composite tuple is a vector of its attributes' values";
        return DATOM_EINVAL;
    }
    dt_val elems[8];
    for (size_t i = 0; i < n; i++) {
        const dt_attr *c = dt_db_attr(db, attr->tuple_attrs[i]);
        const dt_edn_value *e = dt_edn_at(v, i);
        if (e->kind == DT_EDN_NIL)
            elems[i] = dt_val_nil();
        else if (!c || (c->type == DT_REF ? (e->kind != DT_EDN_INT ? (*why = "a reference is an entity id", 1) : 0)
                                          : dt_val_from_edn(e, c->type, c, a, &elems[i], why)))
            return DATOM_EINVAL;
        if (c && c->type == DT_REF && e->kind == DT_EDN_INT)
            elems[i] = dt_val_ref((uint64_t)e->u.i);
    }
    dt_blob *t = dt_tuple_new(elems, n);
    *out = dt_arena_val(a, dt_val_blob(DT_TUPLE, t));
    free(t);
    return 0;
}

int dt_lookup_val_from_edn(dt_db *db, const dt_edn_value *v, const dt_attr *attr, dt_arena *a, dt_val *out,
                           const char **why)
{
    if (attr->type == DT_TUPLE && attr->n_tuple_attrs)
        return composite_from_edn(db, v, attr, a, out, why);
    return dt_val_from_edn(v, attr->type, attr, a, out, why);
}

/* ---- to EDN ---- */

dt_edn_value dt_kw(dt_edn_doc *doc, const char *ident)
{
    dt_edn_value v;
    if (dt_edn_keyword(doc, ident, strlen(ident), &v))
        v = dt_edn_string(doc, ident, strlen(ident)); /* an ident the reader would not take */
    return v;
}

const dt_attr *dt_attr_of_kw(dt_db *db, const dt_edn_value *kw, bool *reverse)
{
    *reverse = false;
    const dt_attr *a = dt_db_attr_by_ident(db, kw->u.s);
    size_t nsl, nl;
    const char *ns = dt_edn_ns(kw, &nsl), *name = dt_edn_name(kw, &nl);
    if (a || nl < 2 || name[0] != '_')
        return a;
    char *fwd = ns ? dt_sprintf("%.*s/%.*s", (int)nsl, ns, (int)nl - 1, name + 1) : dt_sprintf("%.*s", (int)nl - 1, name + 1);
    a = dt_db_attr_by_ident(db, fwd);
    free(fwd);
    *reverse = a != NULL;
    return a;
}

static dt_edn_value base64_edn(dt_edn_doc *doc, const dt_blob *b)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    dt_buf s = DT_BUF_INIT;
    const uint8_t *p = (const uint8_t *)b->data;
    for (uint32_t i = 0; i < b->len; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (i + 1 < b->len ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < b->len ? p[i + 2] : 0);
        dt_buf_putc(&s, tbl[w >> 18]);
        dt_buf_putc(&s, tbl[(w >> 12) & 63]);
        dt_buf_putc(&s, i + 1 < b->len ? tbl[(w >> 6) & 63] : '=');
        dt_buf_putc(&s, i + 2 < b->len ? tbl[w & 63] : '=');
    }
    dt_edn_value str = dt_edn_string(doc, s.data ? (char *)s.data : "", s.len), tag, out;
    dt_buf_free(&s);
    dt_edn_symbol(doc, "datom/bytes", 11, &tag);
    dt_edn_tagged(doc, &tag, &str, &out);
    return out;
}

dt_edn_value dt_val_to_edn(dt_edn_doc *doc, dt_val v)
{
    dt_edn_value out = dt_edn_nil();
    switch (v.type) {
    case DT_BOOL: return dt_edn_bool(v.i != 0);
    case DT_LONG: return dt_edn_int(v.i);
    case DT_REF: return dt_edn_int((int64_t)v.u);
    case DT_DOUBLE:
    case DT_FLOAT: return dt_edn_float(v.d);
    case DT_BIGINT: dt_edn_bigint(doc, v.b->data, v.b->len, &out); return out;
    case DT_BIGDEC: dt_edn_bigdec(doc, v.b->data, v.b->len, &out); return out;
    case DT_INSTANT: {
        int64_t sec = v.i >= 0 ? v.i / 1000 : -((-v.i + 999) / 1000);
        if (dt_edn_inst(sec, (uint32_t)(v.i - sec * 1000) * 1000000u, &out))
            out = dt_edn_int(v.i); /* beyond year 9999: the milliseconds */
        return out;
    }
    case DT_UUID: return dt_edn_uuid(doc, (const uint8_t *)v.b->data);
    case DT_STRING: return dt_edn_string(doc, v.b->data, v.b->len);
    case DT_KEYWORD: return dt_kw(doc, v.b->data);
    case DT_SYMBOL:
        if (dt_edn_symbol(doc, v.b->data, v.b->len, &out))
            out = dt_edn_string(doc, v.b->data, v.b->len);
        return out;
    case DT_URI: {
        dt_edn_value s = dt_edn_string(doc, v.b->data, v.b->len), tag;
        dt_edn_symbol(doc, "datom/uri", 9, &tag);
        dt_edn_tagged(doc, &tag, &s, &out);
        return out;
    }
    case DT_BYTES: return base64_edn(doc, v.b);
    case DT_TUPLE: {
        size_t n = dt_tuple_count(v.b);
        dt_edn_value items[8];
        for (size_t i = 0; i < n && i < 8; i++)
            items[i] = dt_val_to_edn(doc, dt_tuple_get(v.b, i));
        dt_edn_coll(doc, DT_EDN_VECTOR, items, DT_MIN(n, (size_t)8), &out);
        return out;
    }
    default: return out;
    }
}

/* ---- datoms, keys and reports ---- */

dt_edn_value dt_datom_edn(dt_edn_doc *doc, dt_db *db, const dt_datom *d)
{
    const char *ident = dt_db_ident(db, d->a);
    dt_edn_value items[5] = {dt_edn_int((int64_t)d->e), ident ? dt_kw(doc, ident) : dt_edn_int(d->a),
                             dt_val_to_edn(doc, d->v), dt_edn_int((int64_t)d->tx), dt_edn_bool(d->added)}, v;
    dt_edn_coll(doc, DT_EDN_VECTOR, items, 5, &v);
    return v;
}

static int key_error(const dt_edn_value *x, const char *why)
{
    char *text = dt_edn_to_string(x);
    int rc = dt_error(DATOM_EINVAL, "component %s: %s", text, why);
    free(text);
    return rc;
}

/* One component of a key: an entity, an attribute, a value or a transaction. */
static int key_component(dt_db *db, dt_order order, char comp, const dt_edn_value *x, dt_arena *arena, dt_key *k)
{
    uint64_t e;
    const dt_attr *a;
    const char *why;
    int rc;
    switch (comp) {
    case 'e':
        if ((rc = dt_entity_resolve(db, x, &e)))
            return rc;
        k->e = e;
        return 0;
    case 'a':
        a = x->kind == DT_EDN_KEYWORD ? dt_db_attr_by_ident(db, x->u.s) : NULL;
        if (!a)
            return key_error(x, "not an attribute");
        k->a = a->id;
        return 0;
    case 'v':
        a = dt_db_attr(db, k->a);
        if (order == DT_VAET || (a && a->type == DT_REF)) {
            if ((rc = dt_entity_resolve(db, x, &e)))
                return rc;
            k->v = dt_val_ref(e);
            return 0;
        }
        if (!a)
            return key_error(x, "a value needs its attribute before it");
        return dt_lookup_val_from_edn(db, x, a, arena, &k->v, &why) ? key_error(x, why) : 0;
    default:
        if (x->kind != DT_EDN_INT || x->u.i < 0)
            return key_error(x, "a transaction is a t or a transaction id");
        k->tx = DT_EID_PART((uint64_t)x->u.i) == DT_PART_TX ? (uint64_t)x->u.i : DT_TX_OF_T(x->u.i);
        return 0;
    }
}

int dt_key_from_edn(dt_db *db, dt_order order, const dt_edn_value *items, size_t n, dt_arena *arena, dt_key *k)
{
    static const char comps[DT_ORDER_COUNT][4] = {
        {'e', 'a', 'v', 't'}, {'a', 'e', 'v', 't'}, {'a', 'v', 'e', 't'}, {'v', 'a', 'e', 't'}, {'t', 'e', 'a', 'v'}};
    if (n > 4)
        return dt_error(DATOM_EINVAL, "at most 4 components (%s)", dt_order_name(order));
    *k = (dt_key){.n = (int)n};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = key_component(db, order, comps[order][i], &items[i], arena, k);
    return rc;
}

int dt_report_edn(const dt_tx_report *r, dt_edn_doc *doc, dt_edn_value *out)
{
    dt_edn_vec data = DT_EDN_VEC_INIT, temps = DT_EDN_VEC_INIT;
    for (size_t i = 0; i < r->n_datoms; i++)
        dt_edn_vec_push(&data, dt_datom_edn(doc, r->db_after, &r->datoms[i]));
    for (size_t i = 0; i < r->n_tempids; i++) {
        dt_edn_vec_push(&temps, dt_edn_string(doc, r->tempids[i].name, strlen(r->tempids[i].name)));
        dt_edn_vec_push(&temps, dt_edn_int((int64_t)r->tempids[i].e));
    }
    dt_edn_value txdata = {0}, tempids = {0};
    int rc = dt_edn_coll(doc, DT_EDN_VECTOR, data.v, data.n, &txdata);
    if (rc == 0)
        rc = dt_edn_coll(doc, DT_EDN_MAP, temps.v, temps.n, &tempids);
    dt_edn_value top[8] = {dt_kw(doc, "db-before"), dt_edn_int(dt_db_basis_t(r->db_before)),
                           dt_kw(doc, "db-after"),  dt_edn_int(dt_db_basis_t(r->db_after)),
                           dt_kw(doc, "tx-data"),   txdata,
                           dt_kw(doc, "tempids"),   tempids};
    if (rc == 0)
        rc = dt_edn_coll(doc, DT_EDN_MAP, top, 8, out);
    dt_edn_vec_free(&data);
    dt_edn_vec_free(&temps);
    return rc;
}
