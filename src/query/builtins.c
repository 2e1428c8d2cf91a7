/*
 * builtins.c: the functions and predicates of :where clauses (q.h,
 * q_builtin_find): Clojure's semantics where Datomic takes them from
 * Clojure, with the choices of docs/formats.md ("Datalog"):
 *  - numbers: long arithmetic that overflows is an error (as Clojure's +,
 *    -, * throw); a long and a double give a double; / of two longs is a
 *    long when exact, else a double; quot, rem and mod follow Clojure's
 *    signs; a division by a zero long is an error;
 *  - < <= > >= and compare order values of one family (numbers across
 *    their types, strings, keywords...); across families they are an error
 *    naming both values, not false;
 *  - strings are UTF-8 and count and subs count code points.
 * Every value returned is interned (value.c).
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

static int ferr(const char *fmt, ...) DT_PRINTF(1, 2);
static int ferr(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dt_buf m = DT_BUF_INIT;
    dt_buf_vprintf(&m, fmt, ap);
    va_end(ap);
    int rc = dt_error(DATOM_EINVAL, "%s", dt_buf_cstr(&m));
    dt_buf_free(&m);
    return rc;
}

/* "string \"a\"" for messages. */
static int type_err(const char *fn, const char *want, dt_val v)
{
    dt_buf m = DT_BUF_INIT;
    q_val_print(&m, v);
    int rc = ferr("%s takes %s, not %s %s", fn, want, q_val_type_name(v), dt_buf_cstr(&m));
    dt_buf_free(&m);
    return rc;
}

/* An EDN value built by a function, kept for the run (DT_Q_EDN points at it). */
static dt_val keep_edn(q_ctx *x, dt_edn_value v)
{
    dt_edn_value *p = q_alloc(&x->arena, sizeof *p);
    *p = v;
    return q_from_edn(x, p);
}

/* A collection of VALS (N) of KIND. */
static dt_val make_coll(q_ctx *x, dt_edn_kind kind, const dt_val *vals, size_t n)
{
    dt_edn_vec items = DT_EDN_VEC_INIT;
    for (size_t i = 0; i < n; i++)
        dt_edn_vec_push(&items, q_to_edn(x, x->doc, vals[i]));
    dt_edn_value out;
    if (dt_edn_coll(x->doc, kind, items.v, n, &out))
        out = dt_edn_nil();
    dt_edn_vec_free(&items);
    return out.kind == DT_EDN_NIL ? dt_val_nil() : keep_edn(x, out);
}

static dt_val boolv(bool b) { return dt_val_bool(b); }

/* ---- numbers ---- */

typedef struct num {
    bool dbl;
    int64_t i;
    double d;
} num;

static int to_num(const char *fn, dt_val v, num *o)
{
    *o = (num){0};
    if (v.type == DT_LONG) {
        *o = (num){.i = v.i};
        return 0;
    }
    if (q_is_number(v)) {
        *o = (num){.dbl = true, .d = q_as_double(v)};
        return 0;
    }
    return type_err(fn, "numbers", v);
}

static dt_val from_num(num n) { return n.dbl ? q_vdouble(n.d) : q_vlong(n.i); }
static double dval(num n) { return n.dbl ? n.d : (double)n.i; }

enum { OP_ADD, OP_SUB, OP_MUL };

static int arith2(const char *fn, int op, num a, num b, num *o)
{
    if (a.dbl || b.dbl) {
        double x = dval(a), y = dval(b);
        *o = (num){.dbl = true, .d = op == OP_ADD ? x + y : op == OP_SUB ? x - y : x * y};
        return 0;
    }
    bool ovf = op == OP_ADD ? __builtin_add_overflow(a.i, b.i, &o->i)
             : op == OP_SUB ? __builtin_sub_overflow(a.i, b.i, &o->i)
                            : __builtin_mul_overflow(a.i, b.i, &o->i);
    o->dbl = false;
    return ovf ? ferr("%s: integer overflow", fn) : 0;
}

static int fold(const char *fn, int op, int64_t unit, const dt_val *a, int n, dt_val *out)
{
    num acc = {.i = unit}, v;
    int start = 0;
    if (op == OP_SUB && n == 1) {
        acc.i = 0;
    } else if (n > 0 && op == OP_SUB) {
        if (to_num(fn, a[0], &acc))
            return DATOM_EINVAL;
        start = 1;
    }
    for (int i = start; i < n; i++) {
        if (to_num(fn, a[i], &v) || arith2(fn, op, acc, v, &acc))
            return DATOM_EINVAL;
    }
    *out = from_num(acc);
    return 0;
}

static int f_add(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x; return fold("+", OP_ADD, 0, a, n, o); }
static int f_sub(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x; return fold("-", OP_SUB, 0, a, n, o); }
static int f_mul(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x; return fold("*", OP_MUL, 1, a, n, o); }

static int div2(num a, num b, num *o)
{
    if (!a.dbl && !b.dbl) {
        if (b.i == 0)
            return ferr("/: divide by zero");
        if (b.i == -1 && a.i == INT64_MIN)
            return ferr("/: integer overflow");
        if (a.i % b.i == 0) {
            *o = (num){.i = a.i / b.i};
            return 0;
        }
    }
    *o = (num){.dbl = true, .d = dval(a) / dval(b)};
    return 0;
}

static int f_div(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x;
    num acc, v;
    if (to_num("/", a[0], &acc))
        return DATOM_EINVAL;
    if (n == 1) {
        v = acc;
        acc = (num){.i = 1};
        if (div2(acc, v, &acc))
            return DATOM_EINVAL;
    }
    for (int i = 1; i < n; i++)
        if (to_num("/", a[i], &v) || div2(acc, v, &acc))
            return DATOM_EINVAL;
    *o = from_num(acc);
    return 0;
}

/* quot, rem, mod: 0, 1, 2 */
static int intdiv(const char *fn, int kind, const dt_val *a, dt_val *o)
{
    num p, q;
    if (to_num(fn, a[0], &p) || to_num(fn, a[1], &q))
        return DATOM_EINVAL;
    if (!p.dbl && !q.dbl) {
        if (q.i == 0)
            return ferr("%s: divide by zero", fn);
        if (q.i == -1) {
            *o = q_vlong(kind == 0 ? (p.i == INT64_MIN ? p.i : -p.i) : 0);
            return kind == 0 && p.i == INT64_MIN ? ferr("%s: integer overflow", fn) : 0;
        }
        int64_t r = p.i % q.i;
        if (kind == 0)
            *o = q_vlong(p.i / q.i);
        else if (kind == 1)
            *o = q_vlong(r);
        else
            *o = q_vlong(r != 0 && ((r < 0) != (q.i < 0)) ? r + q.i : r);
        return 0;
    }
    double x = dval(p), y = dval(q);
    if (y == 0)
        return ferr("%s: divide by zero", fn);
    double t = trunc(x / y), r = x - t * y;
    if (kind == 0)
        *o = q_vdouble(t);
    else if (kind == 1)
        *o = q_vdouble(r);
    else
        *o = q_vdouble(r != 0 && ((r < 0) != (y < 0)) ? r + y : r);
    return 0;
}

static int f_quot(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; return intdiv("quot", 0, a, o); }
static int f_rem(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; return intdiv("rem", 1, a, o); }
static int f_mod(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; return intdiv("mod", 2, a, o); }

static int step1(const char *fn, const dt_val *a, int64_t d, dt_val *o)
{
    num v;
    if (to_num(fn, a[0], &v))
        return DATOM_EINVAL;
    return arith2(fn, OP_ADD, v, (num){.i = d}, &v) ? DATOM_EINVAL : (*o = from_num(v), 0);
}

static int f_inc(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; return step1("inc", a, 1, o); }
static int f_dec(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; return step1("dec", a, -1, o); }

static int extreme(const char *fn, int sign, const dt_val *a, int n, dt_val *o)
{
    num v;
    *o = a[0];
    for (int i = 0; i < n; i++) {
        if (to_num(fn, a[i], &v))
            return DATOM_EINVAL;
        int c;
        if (i && !q_val_compare(a[i], *o, &c) && c * sign > 0)
            *o = a[i];
    }
    return 0;
}

static int f_max(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x; return extreme("max", 1, a, n, o); }
static int f_min(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x; return extreme("min", -1, a, n, o); }

static int sign_test(const char *fn, const dt_val *a, int want, dt_val *o)
{
    num v;
    if (to_num(fn, a[0], &v))
        return DATOM_EINVAL;
    double d = dval(v);
    int s = v.dbl ? (d > 0) - (d < 0) : (v.i > 0) - (v.i < 0);
    *o = boolv(s == want);
    return 0;
}

static int f_zero(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; return sign_test("zero?", a, 0, o); }
static int f_pos(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; return sign_test("pos?", a, 1, o); }
static int f_neg(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; return sign_test("neg?", a, -1, o); }

static int parity(const char *fn, const dt_val *a, int want, dt_val *o)
{
    if (a[0].type != DT_LONG)
        return type_err(fn, "an integer", a[0]);
    *o = boolv((a[0].i & 1) == want);
    return 0;
}

static int f_even(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; return parity("even?", a, 0, o); }
static int f_odd(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; return parity("odd?", a, 1, o); }

/* ---- comparison ---- */

static int f_eq(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x;
    bool eq = true;
    for (int i = 1; i < n && eq; i++)
        eq = q_veq(a[0], a[i]);
    *o = boolv(eq);
    return 0;
}

static int f_neq(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    f_eq(x, a, n, o);
    *o = boolv(!o->i);
    return 0;
}

static int f_numeq(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x;
    bool eq = true;
    for (int i = 0; i < n; i++) {
        num v;
        if (to_num("==", a[i], &v))
            return DATOM_EINVAL;
        int c;
        if (i && (q_val_compare(a[0], a[i], &c) || c != 0))
            eq = false;
    }
    *o = boolv(eq);
    return 0;
}

/* < <= > >=: 0 1 2 3 */
static int chain(int op, const dt_val *a, int n, dt_val *o)
{
    bool ok = true;
    for (int i = 1; i < n; i++) {
        int c;
        if (q_val_compare(a[i - 1], a[i], &c))
            return DATOM_EINVAL;
        ok = ok && (op == 0 ? c < 0 : op == 1 ? c <= 0 : op == 2 ? c > 0 : c >= 0);
    }
    *o = boolv(ok);
    return 0;
}

static int f_lt(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x; return chain(0, a, n, o); }
static int f_le(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x; return chain(1, a, n, o); }
static int f_gt(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x; return chain(2, a, n, o); }
static int f_ge(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x; return chain(3, a, n, o); }

static int f_compare(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x, (void)n;
    int c;
    if (a[0].type == DT_NIL || a[1].type == DT_NIL) /* nil sorts first, as in Clojure */
        c = (a[0].type != DT_NIL) - (a[1].type != DT_NIL);
    else if (q_val_compare(a[0], a[1], &c))
        return DATOM_EINVAL;
    *o = q_vlong(c < 0 ? -1 : c > 0);
    return 0;
}

static int f_differ(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x;
    bool differ = false;
    int h = n / 2;
    for (int i = 0; i < h && !differ; i++)
        differ = !q_veq(a[i], a[h + i]);
    *o = boolv(differ || (n & 1));
    return 0;
}

/* ---- logic ---- */

static int f_true(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; *o = boolv(a[0].type == DT_BOOL && a[0].i); return 0; }
static int f_false(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; *o = boolv(a[0].type == DT_BOOL && !a[0].i); return 0; }
static int f_nil(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; *o = boolv(a[0].type == DT_NIL); return 0; }
static int f_some(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; *o = boolv(a[0].type != DT_NIL); return 0; }
static int f_not(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; *o = boolv(!q_vtruthy(a[0])); return 0; }
static int f_identity(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)x, (void)n; *o = a[0]; return 0; }

static int f_and(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x;
    *o = boolv(true);
    for (int i = 0; i < n; i++) {
        *o = a[i];
        if (!q_vtruthy(a[i]))
            break;
    }
    return 0;
}

static int f_or(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x;
    *o = dt_val_nil();
    for (int i = 0; i < n; i++) {
        *o = a[i];
        if (q_vtruthy(a[i]))
            break;
    }
    return 0;
}

/* ---- strings ---- */

static size_t utf8_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Byte offset of code point CP in S (N bytes); N when CP is the count. */
static size_t utf8_offset(const char *s, size_t n, size_t cp)
{
    size_t i = 0;
    for (; i < n && cp; i++)
        if (i + 1 == n || ((unsigned char)s[i + 1] & 0xC0) != 0x80)
            cp--;
    return i;
}

static void uuid_text(dt_buf *b, const dt_blob *u)
{
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            dt_buf_putc(b, '-');
        dt_buf_printf(b, "%02x", (unsigned char)u->data[i]);
    }
}

/* What Clojure's str makes of V (no quotes; nil is empty). */
static void str_of(dt_buf *b, dt_val v)
{
    switch (v.type) {
    case DT_NIL: break;
    case DT_STRING:
    case DT_URI: dt_buf_append(b, v.b->data, v.b->len); break;
    case DT_UUID: uuid_text(b, v.b); break;
    case DT_Q_EDN: {
        const dt_edn_value *e = q_vedn(v);
        if (e->kind == DT_EDN_CHAR) {
            char u[5];
            uint32_t c = e->u.c;
            int n = c < 0x80 ? (u[0] = (char)c, 1)
                  : c < 0x800 ? (u[0] = (char)(0xC0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3F)), 2)
                  : c < 0x10000 ? (u[0] = (char)(0xE0 | c >> 12), u[1] = (char)(0x80 | ((c >> 6) & 0x3F)),
                                   u[2] = (char)(0x80 | (c & 0x3F)), 3)
                                : (u[0] = (char)(0xF0 | c >> 18), u[1] = (char)(0x80 | ((c >> 12) & 0x3F)),
                                   u[2] = (char)(0x80 | ((c >> 6) & 0x3F)), u[3] = (char)(0x80 | (c & 0x3F)), 4);
            dt_buf_append(b, u, (size_t)n);
            break;
        }
        dt_edn_print_buf(e, NULL, b);
        break;
    }
    default: q_val_print(b, v);
    }
}

static int f_str(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    dt_buf b = DT_BUF_INIT;
    for (int i = 0; i < n; i++)
        str_of(&b, a[i]);
    *o = q_string(x, DT_STRING, b.data ? (const char *)b.data : "", b.len);
    dt_buf_free(&b);
    return 0;
}

/* pr-str (readable, 0), print-str (as str, 1), prn-str (2), println-str (3) */
static int printed(q_ctx *x, int kind, const dt_val *a, int n, dt_val *o)
{
    dt_buf b = DT_BUF_INIT;
    for (int i = 0; i < n; i++) {
        if (i)
            dt_buf_putc(&b, ' ');
        if (kind == 1 || kind == 3)
            str_of(&b, a[i]);
        else
            q_val_print(&b, a[i]);
    }
    if (kind >= 2)
        dt_buf_putc(&b, '\n');
    *o = q_string(x, DT_STRING, b.data ? (const char *)b.data : "", b.len);
    dt_buf_free(&b);
    return 0;
}

static int f_pr_str(q_ctx *x, const dt_val *a, int n, dt_val *o) { return printed(x, 0, a, n, o); }
static int f_print_str(q_ctx *x, const dt_val *a, int n, dt_val *o) { return printed(x, 1, a, n, o); }
static int f_prn_str(q_ctx *x, const dt_val *a, int n, dt_val *o) { return printed(x, 2, a, n, o); }
static int f_println_str(q_ctx *x, const dt_val *a, int n, dt_val *o) { return printed(x, 3, a, n, o); }

static int f_subs(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    if (a[0].type != DT_STRING)
        return type_err("subs", "a string", a[0]);
    for (int i = 1; i < n; i++)
        if (a[i].type != DT_LONG)
            return type_err("subs", "whole numbers for its bounds", a[i]);
    size_t len = utf8_count(a[0].b->data, a[0].b->len);
    int64_t from = a[1].i, to = n > 2 ? a[2].i : (int64_t)len;
    if (from < 0 || to < from || (uint64_t)to > len)
        return ferr("subs: range %lld..%lld is outside a string of %zu characters", (long long)from, (long long)to,
                    len);
    size_t bf = utf8_offset(a[0].b->data, a[0].b->len, (size_t)from);
    size_t bt = utf8_offset(a[0].b->data, a[0].b->len, (size_t)to);
    *o = q_string(x, DT_STRING, a[0].b->data + bf, bt - bf);
    return 0;
}

static int need_str(const char *fn, const dt_val *a, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i].type != DT_STRING)
            return type_err(fn, "strings", a[i]);
    return 0;
}

static bool blank_str(const dt_blob *b)
{
    for (uint32_t i = 0; i < b->len; i++)
        if (!strchr(" \t\n\r\f\v", b->data[i]))
            return false;
    return true;
}

static int f_blank(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x, (void)n;
    if (a[0].type == DT_NIL) {
        *o = boolv(true);
        return 0;
    }
    if (need_str("clojure.string/blank?", a, 1))
        return DATOM_EINVAL;
    *o = boolv(blank_str(a[0].b));
    return 0;
}

static int f_includes(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x;
    if (need_str("clojure.string/includes?", a, n))
        return DATOM_EINVAL;
    *o = boolv(a[1].b->len == 0 || memmem(a[0].b->data, a[0].b->len, a[1].b->data, a[1].b->len));
    return 0;
}

static int f_starts(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x;
    if (need_str("clojure.string/starts-with?", a, n))
        return DATOM_EINVAL;
    *o = boolv(a[1].b->len <= a[0].b->len && !memcmp(a[0].b->data, a[1].b->data, a[1].b->len));
    return 0;
}

static int f_ends(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x;
    if (need_str("clojure.string/ends-with?", a, n))
        return DATOM_EINVAL;
    *o = boolv(a[1].b->len <= a[0].b->len &&
               !memcmp(a[0].b->data + a[0].b->len - a[1].b->len, a[1].b->data, a[1].b->len));
    return 0;
}

static int case_map(q_ctx *x, const char *fn, bool upper, const dt_val *a, dt_val *o)
{
    if (need_str(fn, a, 1))
        return DATOM_EINVAL;
    char *s = dt_strndup(a[0].b->data, a[0].b->len);
    for (uint32_t i = 0; i < a[0].b->len; i++) /* ASCII letters only */
        if (upper ? (s[i] >= 'a' && s[i] <= 'z') : (s[i] >= 'A' && s[i] <= 'Z'))
            s[i] = (char)(s[i] ^ 0x20);
    *o = q_string(x, DT_STRING, s, a[0].b->len);
    free(s);
    return 0;
}

static int f_lower(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)n; return case_map(x, "clojure.string/lower-case", false, a, o); }
static int f_upper(q_ctx *x, const dt_val *a, int n, dt_val *o) { (void)n; return case_map(x, "clojure.string/upper-case", true, a, o); }

/* ---- keywords and symbols ---- */

static int f_keyword(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    if (n == 1) {
        if (a[0].type == DT_KEYWORD || a[0].type == DT_NIL) {
            *o = a[0];
            return 0;
        }
        if (a[0].type != DT_STRING && a[0].type != DT_SYMBOL)
            return type_err("keyword", "a string", a[0]);
        *o = q_string(x, DT_KEYWORD, a[0].b->data, a[0].b->len);
        return 0;
    }
    if ((a[0].type != DT_STRING && a[0].type != DT_NIL) || a[1].type != DT_STRING)
        return type_err("keyword", "strings", a[0].type == DT_STRING ? a[1] : a[0]);
    dt_buf b = DT_BUF_INIT;
    if (a[0].type == DT_STRING) {
        dt_buf_append(&b, a[0].b->data, a[0].b->len);
        dt_buf_putc(&b, '/');
    }
    dt_buf_append(&b, a[1].b->data, a[1].b->len);
    *o = q_string(x, DT_KEYWORD, (const char *)b.data, b.len);
    dt_buf_free(&b);
    return 0;
}

static const char *ns_split(const dt_blob *b)
{
    const char *slash = b->len > 1 ? strchr(b->data, '/') : NULL;
    return slash;
}

static int f_name(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)n;
    if (a[0].type == DT_STRING) {
        *o = a[0];
        return 0;
    }
    if (a[0].type != DT_KEYWORD && a[0].type != DT_SYMBOL)
        return type_err("name", "a keyword, symbol or string", a[0]);
    const char *slash = ns_split(a[0].b);
    const char *s = slash ? slash + 1 : a[0].b->data;
    *o = q_string(x, DT_STRING, s, a[0].b->len - (size_t)(s - a[0].b->data));
    return 0;
}

static int f_namespace(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)n;
    if (a[0].type != DT_KEYWORD && a[0].type != DT_SYMBOL)
        return type_err("namespace", "a keyword or symbol", a[0]);
    const char *slash = ns_split(a[0].b);
    *o = slash ? q_string(x, DT_STRING, a[0].b->data, (size_t)(slash - a[0].b->data)) : dt_val_nil();
    return 0;
}

/* ---- collections ---- */

static bool coll_items(dt_val v, size_t *n, bool *edn)
{
    *edn = v.type == DT_Q_EDN;
    if (v.type == DT_TUPLE) {
        *n = dt_tuple_count(v.b);
        return true;
    }
    if (v.type == DT_Q_EDN && dt_edn_is_coll(q_vedn(v))) {
        *n = q_vedn(v)->len;
        return true;
    }
    return false;
}

static dt_val item(q_ctx *x, dt_val v, size_t i)
{
    return v.type == DT_TUPLE ? q_from_db(x, dt_tuple_get(v.b, i)) : q_from_edn(x, dt_edn_at(q_vedn(v), i));
}

static int f_count(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x, (void)n;
    size_t c;
    bool edn;
    if (a[0].type == DT_NIL)
        c = 0;
    else if (a[0].type == DT_STRING)
        c = utf8_count(a[0].b->data, a[0].b->len);
    else if (!coll_items(a[0], &c, &edn))
        return type_err("count", "a string or a collection", a[0]);
    *o = q_vlong((int64_t)c);
    return 0;
}

static int f_empty(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    dt_val c = dt_val_nil();
    if (f_count(x, a, n, &c))
        return ferr("empty? takes a string or a collection");
    *o = boolv(c.i == 0);
    return 0;
}

static int f_not_empty(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    dt_val c = dt_val_nil();
    if (f_count(x, a, n, &c))
        return ferr("not-empty takes a string or a collection");
    *o = c.i ? a[0] : dt_val_nil();
    return 0;
}

static int f_vector(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    *o = make_coll(x, DT_EDN_VECTOR, a, (size_t)n);
    return 0;
}

static int f_list(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    *o = make_coll(x, DT_EDN_LIST, a, (size_t)n);
    return 0;
}

/* Distinct values of A (interned: equal ones are the same bits). */
static size_t distinct(dt_val *a, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t j = 0; j < w && !dup; j++)
            dup = q_veq(a[j], a[i]);
        if (!dup)
            a[w++] = a[i];
    }
    return w;
}

static int f_set(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)n;
    size_t c;
    bool edn;
    if (a[0].type == DT_NIL) {
        *o = make_coll(x, DT_EDN_SET, NULL, 0);
        return 0;
    }
    if (!coll_items(a[0], &c, &edn) || (edn && q_vedn(a[0])->kind == DT_EDN_MAP))
        return type_err("set", "a collection", a[0]);
    dt_val *items = dt_malloc((c ? c : 1) * sizeof *items);
    for (size_t i = 0; i < c; i++)
        items[i] = item(x, a[0], i);
    c = distinct(items, c);
    *o = make_coll(x, DT_EDN_SET, items, c);
    free(items);
    return 0;
}

static int f_hash_map(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    if (n % 2)
        return ferr("hash-map takes keys and values in pairs");
    /* a later key wins, as in Clojure */
    dt_val *kv = dt_malloc(((size_t)n ? (size_t)n : 1) * sizeof *kv);
    size_t w = 0;
    for (int i = 0; i < n; i += 2) {
        size_t j = 0;
        while (j < w && !q_veq(kv[j], a[i]))
            j += 2;
        if (j == w)
            w += 2;
        kv[j] = a[i];
        kv[j + 1] = a[i + 1];
    }
    *o = make_coll(x, DT_EDN_MAP, kv, w);
    free(kv);
    return 0;
}

static int f_contains(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)n;
    size_t c;
    bool edn;
    if (a[0].type == DT_NIL) {
        *o = boolv(false);
        return 0;
    }
    if (!coll_items(a[0], &c, &edn))
        return type_err("contains?", "a collection", a[0]);
    int kind = edn ? q_vedn(a[0])->kind : DT_EDN_VECTOR;
    if (kind == DT_EDN_VECTOR) { /* Clojure: an index */
        *o = boolv(a[1].type == DT_LONG && a[1].i >= 0 && (size_t)a[1].i < c);
        return 0;
    }
    if (kind == DT_EDN_LIST)
        return ferr("contains? does not take a list");
    for (size_t i = 0; i < c; i++) {
        dt_val k = kind == DT_EDN_MAP ? q_from_edn(x, dt_edn_key(q_vedn(a[0]), i)) : item(x, a[0], i);
        if (q_veq(k, a[1])) {
            *o = boolv(true);
            return 0;
        }
    }
    *o = boolv(false);
    return 0;
}

static int f_get(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    size_t c;
    bool edn;
    *o = n > 2 ? a[2] : dt_val_nil();
    if (a[0].type == DT_NIL || !coll_items(a[0], &c, &edn))
        return 0;
    int kind = edn ? q_vedn(a[0])->kind : DT_EDN_VECTOR;
    if (kind == DT_EDN_VECTOR) {
        if (a[1].type == DT_LONG && a[1].i >= 0 && (size_t)a[1].i < c)
            *o = item(x, a[0], (size_t)a[1].i);
        return 0;
    }
    for (size_t i = 0; i < c; i++) {
        if (kind == DT_EDN_MAP) {
            if (q_veq(q_from_edn(x, dt_edn_key(q_vedn(a[0]), i)), a[1])) {
                *o = q_from_edn(x, dt_edn_val(q_vedn(a[0]), i));
                return 0;
            }
        } else if (kind == DT_EDN_SET && q_veq(item(x, a[0], i), a[1])) {
            *o = a[1];
            return 0;
        }
    }
    return 0;
}

#define RANGE_MAX 10000000

static int f_range(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    for (int i = 0; i < n; i++)
        if (a[i].type != DT_LONG)
            return type_err("range", "whole numbers", a[i]);
    int64_t from = n > 1 ? a[0].i : 0, to = n > 1 ? a[1].i : a[0].i, step = n > 2 ? a[2].i : 1;
    if (step == 0)
        return ferr("range: a step of 0 never ends");
    double count = ceil(((double)to - (double)from) / (double)step);
    if (count > RANGE_MAX)
        return ferr("range: more than %d numbers", RANGE_MAX);
    size_t m = count > 0 ? (size_t)count : 0;
    dt_val *v = dt_malloc((m ? m : 1) * sizeof *v);
    for (size_t i = 0; i < m; i++)
        v[i] = q_vlong(from + (int64_t)i * step);
    *o = make_coll(x, DT_EDN_LIST, v, m);
    free(v);
    return 0;
}

static int f_tuple(q_ctx *x, const dt_val *a, int n, dt_val *o) { return f_vector(x, a, n, o); }

static int f_untuple(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)x, (void)n;
    size_t c;
    bool edn;
    if (!coll_items(a[0], &c, &edn) || (edn && q_vedn(a[0])->kind == DT_EDN_MAP))
        return type_err("untuple", "a tuple", a[0]);
    *o = a[0];
    return 0;
}

/* ---- random draws ---- */

static int f_rand(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    double u = q_rand32(x) / 4294967296.0;
    if (n == 0) {
        *o = q_vdouble(u);
        return 0;
    }
    num v;
    if (to_num("rand", a[0], &v))
        return DATOM_EINVAL;
    *o = q_vdouble(u * dval(v));
    return 0;
}

static int f_rand_int(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)n;
    if (a[0].type != DT_LONG || a[0].i <= 0)
        return type_err("rand-int", "a whole number above 0", a[0]);
    uint64_t r = ((uint64_t)q_rand32(x) << 32) | q_rand32(x);
    *o = q_vlong((int64_t)(r % (uint64_t)a[0].i));
    return 0;
}

/* ---- reading the db: get-else, get-some, missing? ---- */

static int attr_arg(const char *fn, dt_db *db, dt_val v, const dt_attr **at)
{
    *at = NULL;
    if (v.type == DT_KEYWORD)
        *at = dt_db_attr_by_ident(db, v.b->data);
    else if (v.type == DT_LONG && v.i > 0 && v.i < INT64_C(1) << 32)
        *at = dt_db_attr(db, (uint32_t)v.i);
    else
        return type_err(fn, "an attribute (its ident or id)", v);
    if (!*at) {
        dt_buf m = DT_BUF_INIT;
        q_val_print(&m, v);
        int rc = ferr("%s: unknown attribute %s", fn, dt_buf_cstr(&m));
        dt_buf_free(&m);
        return rc;
    }
    return 0;
}

/* The first value of E's attribute A in DB, or nil. */
static int first_value(q_ctx *x, dt_db *db, uint64_t e, uint32_t a, dt_val *o)
{
    dt_key k = {.n = 2, .e = e, .a = a};
    dt_datom d;
    dt_arena arena = {0}; /* holds the value's bytes only when a segment's */
    int rc = dt_db_first(db, DT_EAVT, &k, &d, &arena);
    *o = rc == 1 ? q_from_db(x, d.v) : dt_val_nil();
    dt_arena_free(&arena);
    return rc < 0 ? rc : 0;
}

static int entity_arg(q_ctx *x, const char *fn, dt_db *db, dt_val v, uint64_t *e)
{
    int rc = q_entity(x, db, v, e);
    if (rc < 0)
        return type_err(fn, "an entity (an id, an ident or a lookup ref)", v);
    return 0;
}

static int f_get_else(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)n;
    dt_db *db = q_src_db(x, (int16_t)a[0].u);
    const dt_attr *at;
    uint64_t e;
    if (attr_arg("get-else", db, a[2], &at) || entity_arg(x, "get-else", db, a[1], &e))
        return DATOM_EINVAL;
    if (at->many)
        return ferr("get-else takes a cardinality-one attribute; :%s is cardinality many", at->ident);
    if (a[3].type == DT_NIL)
        return ferr("get-else: a nil default is not allowed");
    *o = a[3];
    if (!e)
        return 0;
    dt_val v;
    int rc = first_value(x, db, e, at->id, &v);
    if (!rc && v.type != DT_NIL)
        *o = v;
    return rc;
}

static int f_get_some(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    dt_db *db = q_src_db(x, (int16_t)a[0].u);
    uint64_t e;
    *o = dt_val_nil();
    if (entity_arg(x, "get-some", db, a[1], &e))
        return DATOM_EINVAL;
    for (int i = 2; i < n; i++) {
        const dt_attr *at;
        if (attr_arg("get-some", db, a[i], &at))
            return DATOM_EINVAL;
        if (at->many)
            return ferr("get-some takes cardinality-one attributes; :%s is cardinality many", at->ident);
        if (!e)
            continue;
        dt_val v;
        int rc = first_value(x, db, e, at->id, &v);
        if (rc)
            return rc;
        if (v.type != DT_NIL) {
            dt_val pair[2] = {q_vlong(at->id), v};
            *o = make_coll(x, DT_EDN_VECTOR, pair, 2);
            return 0;
        }
    }
    return 0;
}

static int f_missing(q_ctx *x, const dt_val *a, int n, dt_val *o)
{
    (void)n;
    dt_db *db = q_src_db(x, (int16_t)a[0].u);
    const dt_attr *at;
    uint64_t e;
    if (attr_arg("missing?", db, a[2], &at) || entity_arg(x, "missing?", db, a[1], &e))
        return DATOM_EINVAL;
    dt_val v = dt_val_nil();
    int rc = e ? first_value(x, db, e, at->id, &v) : 0;
    *o = boolv(v.type == DT_NIL);
    return rc;
}

/* ---- the table ---- */

static const q_builtin builtins[] = {
    {"=", f_eq, 1, -1, 0},
    {"==", f_numeq, 1, -1, 0},
    {"not=", f_neq, 1, -1, 0},
    {"!=", f_neq, 1, -1, 0},
    {"<", f_lt, 1, -1, 0},
    {"<=", f_le, 1, -1, 0},
    {">", f_gt, 1, -1, 0},
    {">=", f_ge, 1, -1, 0},
    {"+", f_add, 0, -1, 0},
    {"-", f_sub, 1, -1, 0},
    {"*", f_mul, 0, -1, 0},
    {"/", f_div, 1, -1, 0},
    {"quot", f_quot, 2, 2, 0},
    {"rem", f_rem, 2, 2, 0},
    {"mod", f_mod, 2, 2, 0},
    {"inc", f_inc, 1, 1, 0},
    {"dec", f_dec, 1, 1, 0},
    {"max", f_max, 1, -1, 0},
    {"min", f_min, 1, -1, 0},
    {"zero?", f_zero, 1, 1, 0},
    {"pos?", f_pos, 1, 1, 0},
    {"neg?", f_neg, 1, 1, 0},
    {"even?", f_even, 1, 1, 0},
    {"odd?", f_odd, 1, 1, 0},
    {"compare", f_compare, 2, 2, 0},
    {"rand", f_rand, 0, 1, QB_F_RAND},
    {"rand-int", f_rand_int, 1, 1, QB_F_RAND},
    {"true?", f_true, 1, 1, 0},
    {"false?", f_false, 1, 1, 0},
    {"nil?", f_nil, 1, 1, 0},
    {"some?", f_some, 1, 1, 0},
    {"not", f_not, 1, 1, 0},
    {"and", f_and, 0, -1, 0},
    {"or", f_or, 0, -1, 0},
    {"identical?", f_eq, 2, 2, 0},
    {"identity", f_identity, 1, 1, 0},
    {"keyword", f_keyword, 1, 2, 0},
    {"name", f_name, 1, 1, 0},
    {"namespace", f_namespace, 1, 1, 0},
    {"vector", f_vector, 0, -1, 0},
    {"list", f_list, 0, -1, 0},
    {"set", f_set, 1, 1, 0},
    {"hash-map", f_hash_map, 0, -1, 0},
    {"array-map", f_hash_map, 0, -1, 0},
    {"count", f_count, 1, 1, 0},
    {"range", f_range, 1, 3, 0},
    {"not-empty", f_not_empty, 1, 1, 0},
    {"empty?", f_empty, 1, 1, 0},
    {"contains?", f_contains, 2, 2, 0},
    {"get", f_get, 2, 3, 0},
    {"str", f_str, 0, -1, 0},
    {"pr-str", f_pr_str, 0, -1, 0},
    {"print-str", f_print_str, 0, -1, 0},
    {"prn-str", f_prn_str, 0, -1, 0},
    {"println-str", f_println_str, 0, -1, 0},
    {"subs", f_subs, 2, 3, 0},
    {"re-find", q_fn_re_find, 2, 2, 0},
    {"re-matches", q_fn_re_matches, 2, 2, 0},
    {"re-seq", q_fn_re_seq, 2, 2, 0},
    {"re-pattern", q_fn_re_pattern, 1, 1, 0},
    {"-differ?", f_differ, 0, -1, 0},
    {"get-else", f_get_else, 4, 4, QB_F_SRC},
    {"get-some", f_get_some, 3, -1, QB_F_SRC},
    {"missing?", f_missing, 3, 3, QB_F_SRC},
    {"ground", f_identity, 1, 1, QB_F_GROUND},
    {"tuple", f_tuple, 1, -1, 0},
    {"untuple", f_untuple, 1, 1, 0},
    {"clojure.string/blank?", f_blank, 1, 1, 0},
    {"clojure.string/includes?", f_includes, 2, 2, 0},
    {"clojure.string/starts-with?", f_starts, 2, 2, 0},
    {"clojure.string/ends-with?", f_ends, 2, 2, 0},
    {"clojure.string/lower-case", f_lower, 1, 1, 0},
    {"clojure.string/upper-case", f_upper, 1, 1, 0},
};

const q_builtin *q_builtin_find(const char *name)
{
    for (size_t i = 0; i < DT_ARRAY_LEN(builtins); i++)
        if (!strcmp(builtins[i].name, name))
            return &builtins[i];
    return NULL;
}

uint32_t q_rand32(q_ctx *x)
{
    uint32_t z = (x->rng += 0x6D2B79F5u);
    z = (z ^ (z >> 15)) * (z | 1u);
    z ^= z + (z ^ (z >> 7)) * (z | 61u);
    return z ^ (z >> 14);
}
