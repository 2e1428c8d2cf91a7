/*
 * value.c: the values of a query run (q.h): the arena they live in, the
 * intern table that makes equal values bit-identical, and conversions
 * between EDN, datoms and query values; comparison as Clojure's compare.
 *
 * Invariants:
 *  (1) A value in a relation, a table or a seed is interned: its bytes (or
 *      its EDN form) belong to the run's arena, and no other interned value
 *      of the same type has equal bytes (equal form).
 *  (2) No interned value is a DT_REF: entity ids are DT_LONG, inside tuples
 *      too (q_from_db rebuilds a tuple holding refs).
 *  (3) A DT_Q_EDN value is never a vector or list of scalars (that is a
 *      DT_TUPLE), never nil, a boolean, a number a dt_val holds, a string,
 *      a keyword, a symbol, an instant or a UUID.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

/* ---- the arena ---- */

typedef struct q_chunk {
    struct q_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} q_chunk;

#define CHUNK_MIN ((size_t)16 << 10)

void *q_alloc(q_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    q_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = a->bytes / 2 > CHUNK_MIN ? a->bytes / 2 : CHUNK_MIN;
        if (cap > ((size_t)8 << 20))
            cap = (size_t)8 << 20;
        if (cap < n)
            cap = n;
        c = dt_malloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        if (a->head && n > CHUNK_MIN) { /* a big one: keep filling the current chunk */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
        a->bytes += cap;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

void q_arena_free(q_arena *a)
{
    for (q_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->bytes = 0;
}

/* ---- interning ---- */

static bool is_edn(dt_val v) { return v.type == DT_Q_EDN; }
static bool is_blob(dt_val v) { return v.type < DT_VTYPE_COUNT && dt_vtype_is_blob((dt_vtype)v.type); }

static uint64_t content_hash(dt_val v)
{
    uint64_t h = is_edn(v) ? dt_edn_hash(q_vedn(v)) : dt_blob_hash(v.b->data, v.b->len);
    return (h ^ v.type) * UINT64_C(0x9E3779B97F4A7C15);
}

static bool content_eq(dt_val a, dt_val b)
{
    if (a.type != b.type)
        return false;
    if (is_edn(a))
        return dt_edn_equal(q_vedn(a), q_vedn(b));
    return a.b->len == b.b->len && !memcmp(a.b->data, b.b->data, a.b->len);
}

static void intern_grow(q_intern_tab *t)
{
    size_t cap = t->mask ? (t->mask + 1) * 2 : 256;
    dt_val *slots = dt_calloc(cap, sizeof *slots);
    for (size_t i = 0; t->slots && i <= t->mask; i++) {
        dt_val v = t->slots[i];
        if (v.type == DT_NIL)
            continue;
        size_t j = content_hash(v) & (cap - 1);
        while (slots[j].type != DT_NIL)
            j = (j + 1) & (cap - 1);
        slots[j] = v;
    }
    free(t->slots);
    t->slots = slots;
    t->mask = cap - 1;
}

/* The slot holding V's twin, or the empty slot where it would go. */
static dt_val *intern_slot(q_intern_tab *t, dt_val v)
{
    size_t j = content_hash(v) & t->mask;
    while (t->slots[j].type != DT_NIL && !content_eq(t->slots[j], v))
        j = (j + 1) & t->mask;
    return &t->slots[j];
}

static dt_val copy_blob(q_ctx *x, dt_val v)
{
    dt_blob *b = q_alloc(&x->arena, sizeof(dt_blob) + v.b->len + 1);
    b->len = v.b->len;
    b->hash = v.b->hash;
    memcpy(b->data, v.b->data, v.b->len);
    b->data[b->len] = 0;
    v.b = b;
    return v;
}

dt_val q_intern(q_ctx *x, dt_val v)
{
    if (!is_blob(v) && !is_edn(v))
        return v;
    q_intern_tab *t = &x->intern;
    if (!t->slots || (t->n + 1) * 2 > t->mask + 1)
        intern_grow(t);
    dt_val *slot = intern_slot(t, v);
    if (slot->type == DT_NIL) {
        *slot = is_blob(v) ? copy_blob(x, v) : v; /* an EDN form already lives in the run */
        t->n++;
    }
    return *slot;
}

dt_val q_intern_find_slow(q_ctx *x, dt_val v, bool *found)
{
    *found = true;
    if (!is_blob(v) && !is_edn(v))
        return v;
    if (!x->intern.slots) {
        *found = false;
        return v;
    }
    dt_val *slot = intern_slot(&x->intern, v);
    if (slot->type == DT_NIL) {
        *found = false;
        return v;
    }
    return *slot;
}

dt_val q_string(q_ctx *x, dt_vtype type, const char *s, size_t n)
{
    _Alignas(dt_blob) char small[sizeof(dt_blob) + 64];
    dt_blob *b = n < 64 ? (dt_blob *)small : dt_malloc(sizeof(dt_blob) + n + 1);
    b->len = (uint32_t)n;
    b->hash = dt_blob_hash(s, n);
    memcpy(b->data, s, n);
    b->data[n] = 0;
    dt_val v = q_intern(x, dt_val_blob(type, b));
    if (b != (dt_blob *)small)
        free(b);
    return v;
}

/* A tuple of VALS, interned (refs inside become longs). */
static dt_val make_tuple(q_ctx *x, dt_val *vals, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (vals[i].type == DT_REF)
            vals[i].type = DT_LONG;
    dt_blob *b = dt_tuple_new(vals, n);
    dt_val v = q_intern(x, dt_val_blob(DT_TUPLE, b));
    free(b);
    return v;
}

dt_val q_from_db(q_ctx *x, dt_val v)
{
    if (v.type == DT_REF)
        return q_vlong((int64_t)v.u);
    if (v.type == DT_TUPLE) {
        size_t n = dt_tuple_count(v.b);
        bool refs = false;
        for (size_t i = 0; i < n && !refs; i++)
            refs = dt_tuple_get(v.b, i).type == DT_REF;
        if (refs) {
            dt_val vals[256];
            for (size_t i = 0; i < n; i++)
                vals[i] = dt_tuple_get(v.b, i);
            return make_tuple(x, vals, n);
        }
    }
    return q_intern(x, v);
}

/* ---- EDN <-> values ---- */

/* A bigdec's text without trailing zeros after its point ("1.50" ->
 * "1.5", "2.0" -> "2"), as the db stores it. */
static dt_val bigdec(q_ctx *x, const char *s, size_t n)
{
    if (memchr(s, '.', n) && !memchr(s, 'e', n) && !memchr(s, 'E', n)) {
        while (n > 1 && s[n - 1] == '0')
            n--;
        if (s[n - 1] == '.')
            n--;
    }
    return q_string(x, DT_BIGDEC, s, n);
}

static dt_val edn_form(q_ctx *x, const dt_edn_value *v)
{
    return q_intern(x, (dt_val){.type = DT_Q_EDN, .u = (uintptr_t)v});
}

dt_val q_from_edn(q_ctx *x, const dt_edn_value *v)
{
    switch ((dt_edn_kind)v->kind) {
    case DT_EDN_NIL: return dt_val_nil();
    case DT_EDN_BOOL: return dt_val_bool(v->u.b);
    case DT_EDN_INT: return q_vlong(v->u.i);
    case DT_EDN_FLOAT: return q_vdouble(v->u.f);
    case DT_EDN_BIGINT: return q_string(x, DT_BIGINT, v->u.s, v->len);
    case DT_EDN_BIGDEC: return bigdec(x, v->u.s, v->len);
    case DT_EDN_STRING: return q_string(x, DT_STRING, v->u.s, v->len);
    case DT_EDN_SYMBOL: return q_string(x, DT_SYMBOL, v->u.s, v->len);
    case DT_EDN_KEYWORD: return q_string(x, DT_KEYWORD, v->u.s, v->len);
    case DT_EDN_INST:
        return (dt_val){.type = DT_INSTANT, .i = v->u.sec * 1000 + (int64_t)(v->len / 1000000)};
    case DT_EDN_UUID: return q_string(x, DT_UUID, (const char *)v->u.uuid, 16);
    case DT_EDN_LIST:
    case DT_EDN_VECTOR: {
        size_t n = dt_edn_count(v);
        if (n == 0 || n > 255)
            return edn_form(x, v);
        dt_val vals[255];
        for (size_t i = 0; i < n; i++) {
            vals[i] = q_from_edn(x, dt_edn_at(v, i));
            if (vals[i].type >= DT_VTYPE_COUNT)
                return edn_form(x, v);
        }
        return make_tuple(x, vals, n);
    }
    default: return edn_form(x, v);
    }
}

/* A deep copy of V into DOC (a value from the query or an input must not
 * point into documents freed when the run ends). */
static dt_edn_value edn_copy(dt_edn_doc *doc, const dt_edn_value *v)
{
    dt_edn_value out = *v;
    switch ((dt_edn_kind)v->kind) {
    case DT_EDN_BIGINT:
    case DT_EDN_BIGDEC:
    case DT_EDN_STRING: {
        dt_edn_value s = dt_edn_string(doc, v->u.s, v->len);
        out.u.s = s.u.s;
        break;
    }
    case DT_EDN_SYMBOL:
    case DT_EDN_KEYWORD: {
        dt_edn_value s = dt_edn_string(doc, v->u.s, v->len);
        out.u.s = s.u.s;
        break;
    }
    case DT_EDN_UUID: return dt_edn_uuid(doc, v->u.uuid);
    case DT_EDN_RATIO: dt_edn_ratio(doc, v->u.ratio[0], v->u.ratio[1], &out); break;
    case DT_EDN_LIST:
    case DT_EDN_VECTOR:
    case DT_EDN_MAP:
    case DT_EDN_SET:
    case DT_EDN_TAGGED: {
        size_t n = v->kind == DT_EDN_MAP ? 2 * (size_t)v->len : v->kind == DT_EDN_TAGGED ? 2 : v->len;
        dt_edn_vec items = DT_EDN_VEC_INIT;
        for (size_t i = 0; i < n; i++)
            dt_edn_vec_push(&items, edn_copy(doc, &v->u.items[i]));
        if (v->kind == DT_EDN_TAGGED)
            dt_edn_tagged(doc, &items.v[0], &items.v[1], &out);
        else
            dt_edn_coll(doc, (dt_edn_kind)v->kind, items.v, n, &out);
        dt_edn_vec_free(&items);
        break;
    }
    default: break;
    }
    out.line = out.col = 0;
    out.off = 0;
    return out;
}

dt_edn_value q_to_edn(q_ctx *x, dt_edn_doc *doc, dt_val v)
{
    dt_edn_value out = dt_edn_nil();
    switch (v.type) {
    case DT_NIL: break;
    case DT_BOOL: out = dt_edn_bool(v.i); break;
    case DT_LONG: out = dt_edn_int(v.i); break;
    case DT_REF: out = dt_edn_int((int64_t)v.u); break;
    case DT_DOUBLE:
    case DT_FLOAT: out = dt_edn_float(v.d); break;
    case DT_BIGINT: dt_edn_bigint(doc, v.b->data, v.b->len, &out); break;
    case DT_BIGDEC: dt_edn_bigdec(doc, v.b->data, v.b->len, &out); break;
    case DT_INSTANT: {
        int64_t sec = v.i >= 0 ? v.i / 1000 : -((-v.i + 999) / 1000);
        if (dt_edn_inst(sec, (uint32_t)(v.i - sec * 1000) * 1000000u, &out))
            out = dt_edn_int(v.i);
        break;
    }
    case DT_UUID: out = dt_edn_uuid(doc, (const uint8_t *)v.b->data); break;
    case DT_STRING:
    case DT_URI:
    case DT_BYTES: out = dt_edn_string(doc, v.b->data, v.b->len); break;
    case DT_KEYWORD:
        if (dt_edn_keyword(doc, v.b->data, v.b->len, &out))
            out = dt_edn_string(doc, v.b->data, v.b->len);
        break;
    case DT_SYMBOL:
        if (dt_edn_symbol(doc, v.b->data, v.b->len, &out))
            out = dt_edn_string(doc, v.b->data, v.b->len);
        break;
    case DT_TUPLE: {
        size_t n = dt_tuple_count(v.b);
        dt_edn_vec items = DT_EDN_VEC_INIT;
        for (size_t i = 0; i < n; i++)
            dt_edn_vec_push(&items, q_to_edn(x, doc, dt_tuple_get(v.b, i)));
        dt_edn_coll(doc, DT_EDN_VECTOR, items.v, n, &out);
        dt_edn_vec_free(&items);
        break;
    }
    case DT_Q_EDN: out = edn_copy(doc, q_vedn(v)); break;
    case DT_Q_REGEX: out = dt_edn_string(doc, "#regex", 6); break;
    default: break;
    }
    return out;
}

void q_val_print(dt_buf *out, dt_val v)
{
    if (v.type == DT_Q_EDN) {
        dt_edn_print_buf(q_vedn(v), NULL, out);
        return;
    }
    if (v.type == DT_Q_REGEX) {
        dt_buf_puts(out, "#<regex>");
        return;
    }
    dt_val_print(out, v);
}

const char *q_val_type_name(dt_val v)
{
    if (v.type == DT_Q_REGEX)
        return "regex";
    if (v.type == DT_Q_EDN)
        return dt_edn_kind_name((dt_edn_kind)q_vedn(v)->kind);
    if (v.type == DT_TUPLE)
        return "tuple";
    if (v.type == DT_NIL)
        return "nil";
    return dt_vtype_name((dt_vtype)v.type);
}

/* ---- comparison ---- */

bool q_is_number(dt_val v)
{
    switch (v.type) {
    case DT_LONG:
    case DT_DOUBLE:
    case DT_FLOAT:
    case DT_BIGINT:
    case DT_BIGDEC: return true;
    case DT_Q_EDN: return q_vedn(v)->kind == DT_EDN_RATIO;
    default: return false;
    }
}

double q_as_double(dt_val v)
{
    switch (v.type) {
    case DT_LONG: return (double)v.i;
    case DT_DOUBLE:
    case DT_FLOAT: return v.d;
    case DT_BIGINT:
    case DT_BIGDEC: return strtod(v.b->data, NULL);
    case DT_Q_EDN: {
        const dt_edn_value *e = q_vedn(v);
        if (e->kind == DT_EDN_RATIO)
            return (double)e->u.ratio[0] / (double)e->u.ratio[1];
        return NAN;
    }
    default: return NAN;
    }
}

static int num_cmp(dt_val a, dt_val b)
{
    if (a.type == DT_LONG && b.type == DT_LONG)
        return a.i < b.i ? -1 : a.i > b.i;
    if (a.type == DT_LONG && (b.type == DT_DOUBLE || b.type == DT_FLOAT)) {
        long double x = (long double)a.i, y = b.d;
        return x < y ? -1 : x > y;
    }
    if (b.type == DT_LONG && (a.type == DT_DOUBLE || a.type == DT_FLOAT)) {
        long double x = a.d, y = (long double)b.i;
        return x < y ? -1 : x > y;
    }
    long double x = a.type == DT_LONG ? (long double)a.i : (long double)q_as_double(a);
    long double y = b.type == DT_LONG ? (long double)b.i : (long double)q_as_double(b);
    if (a.type == DT_BIGINT || a.type == DT_BIGDEC)
        x = strtold(a.b->data, NULL);
    if (b.type == DT_BIGINT || b.type == DT_BIGDEC)
        y = strtold(b.b->data, NULL);
    return x < y ? -1 : x > y;
}

static int bytes_cmp(const dt_blob *a, const dt_blob *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->data, b->data, n);
    if (c)
        return c < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* Keywords and symbols as Clojure orders them: no namespace first, then by
 * namespace, then by name. */
static int named_cmp(const dt_blob *a, const dt_blob *b)
{
    const char *sa = strchr(a->data, '/'), *sb = strchr(b->data, '/');
    if (a->len == 1)
        sa = NULL;
    if (b->len == 1)
        sb = NULL;
    if (!sa != !sb)
        return sa ? 1 : -1;
    if (sa) {
        size_t na = (size_t)(sa - a->data), nb = (size_t)(sb - b->data);
        int c = memcmp(a->data, b->data, na < nb ? na : nb);
        if (c || na != nb)
            return c ? (c < 0 ? -1 : 1) : (na < nb ? -1 : 1);
    }
    return bytes_cmp(a, b);
}

enum { F_NUM = 1, F_BOOL, F_STR, F_KW, F_SYM, F_INST, F_UUID, F_URI, F_TUPLE, F_NIL, F_OTHER };

static int family(dt_val v)
{
    if (q_is_number(v))
        return F_NUM;
    switch (v.type) {
    case DT_NIL: return F_NIL;
    case DT_BOOL: return F_BOOL;
    case DT_STRING: return F_STR;
    case DT_KEYWORD: return F_KW;
    case DT_SYMBOL: return F_SYM;
    case DT_INSTANT: return F_INST;
    case DT_UUID: return F_UUID;
    case DT_URI: return F_URI;
    case DT_TUPLE: return F_TUPLE;
    default: return F_OTHER;
    }
}

static int same_family_cmp(dt_val a, dt_val b, int f)
{
    switch (f) {
    case F_NUM: return num_cmp(a, b);
    case F_BOOL:
    case F_INST: return a.i < b.i ? -1 : a.i > b.i;
    case F_KW:
    case F_SYM: return named_cmp(a.b, b.b);
    case F_TUPLE: {
        size_t na = dt_tuple_count(a.b), nb = dt_tuple_count(b.b);
        if (na != nb)
            return na < nb ? -1 : 1;
        for (size_t i = 0; i < na; i++) {
            int c = q_val_order(dt_tuple_get(a.b, i), dt_tuple_get(b.b, i));
            if (c)
                return c;
        }
        return 0;
    }
    case F_NIL: return 0;
    case F_OTHER:
        if (a.type == DT_Q_EDN && b.type == DT_Q_EDN)
            return dt_edn_compare(q_vedn(a), q_vedn(b));
        return a.type < b.type ? -1 : a.type > b.type ? 1 : (a.u < b.u ? -1 : a.u > b.u);
    default: return bytes_cmp(a.b, b.b);
    }
}

int q_val_compare(dt_val a, dt_val b, int *cmp)
{
    int fa = family(a), fb = family(b);
    if (fa != fb || fa == F_NIL || fa == F_OTHER) {
        dt_buf m = DT_BUF_INIT;
        dt_buf_printf(&m, "cannot compare %s ", q_val_type_name(a));
        q_val_print(&m, a);
        dt_buf_printf(&m, " with %s ", q_val_type_name(b));
        q_val_print(&m, b);
        int rc = dt_error(DATOM_EINVAL, "%s", dt_buf_cstr(&m));
        dt_buf_free(&m);
        return rc;
    }
    *cmp = same_family_cmp(a, b, fa);
    return 0;
}

int q_val_order(dt_val a, dt_val b)
{
    if (a.type == DT_REF)
        a.type = DT_LONG;
    if (b.type == DT_REF)
        b.type = DT_LONG;
    int fa = family(a), fb = family(b);
    if (fa != fb)
        return fa < fb ? -1 : 1;
    return same_family_cmp(a, b, fa);
}
