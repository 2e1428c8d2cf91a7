/*
 * number.c: EDN numbers: reading a number token as Clojure's matchNumber
 * does (integers in decimal, hex 0x, octal 0, radix NrDDD, N for big
 * integers; floats, M for big decimals; ratios), the exact decimal form
 * every number but a ratio has (for comparing across kinds), and the
 * shortest text of a double that reads back as that double.
 *
 * Big integers are kept as canonical decimal text: a literal in another
 * radix is converted once, here (at most DIGITS_MAX digits, so the
 * quadratic conversion stays bounded). Big decimals are kept exactly as
 * written; their value is taken apart only to compare and hash them.
 * Parsing and printing doubles never depend on the process's locale.
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "edn/edn_internal.h"

#define DIGITS_MAX 4096         /* of a big integer literal in a radix other than 10 */
#define EXP_MAX 999999999       /* of a big decimal's exponent (Java's BigDecimal: 32 bits) */

/* ---- the C locale ---- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

double edn_strtod(const char *s, char **end)
{
    pthread_once(&c_locale_once, c_locale_init);
    if (c_locale)
        return strtod_l(s, end, c_locale);
    return strtod(s, end); /* no C locale object: the process's, C unless someone set one */
}

/* ---- reading ---- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

static bool all_digits(const char *s, const char *e, int radix)
{
    if (s >= e)
        return false;
    for (; s < e; s++)
        if (digit_value(*s) >= radix)
            return false;
    return true;
}

/* Digits [S, E) in RADIX as decimal text (a '-' first when NEG), in DOC. */
static const char *radix_to_decimal(dt_edn_doc *doc, const char *s, const char *e, int radix, bool neg,
                                    dt_edn_value *out)
{
    size_t n = (size_t)(e - s);
    if (n > DIGITS_MAX)
        return "a big integer of more than " DT_EDN_STR(DIGITS_MAX) " digits in a radix other than 10";
    /* little-endian limbs of 10^9 */
    /* a digit of radix 36 is 5.17 bits, a limb 29.9: n / 5 + 2 limbs suffice */
    uint32_t *limb = dt_malloc((n / 5 + 2) * sizeof(uint32_t));
    size_t nl = 1;
    limb[0] = 0;
    for (; s < e; s++) {
        uint64_t carry = (uint64_t)digit_value(*s);
        for (size_t i = 0; i < nl; i++) {
            uint64_t t = (uint64_t)limb[i] * (uint64_t)radix + carry;
            limb[i] = (uint32_t)(t % 1000000000u);
            carry = t / 1000000000u;
        }
        if (carry)
            limb[nl++] = (uint32_t)carry;
    }
    dt_buf b = DT_BUF_INIT;
    dt_buf_printf(&b, "%s%u", neg ? "-" : "", limb[nl - 1]);
    for (size_t i = nl - 1; i-- > 0;)
        dt_buf_printf(&b, "%09u", limb[i]);
    free(limb);
    bool zero = b.len == (size_t)(1 + neg) && b.data[neg] == '0';
    const char *text = (const char *)b.data + (zero && neg);
    size_t len = b.len - (zero && neg);
    *out = (dt_edn_value){.kind = DT_EDN_BIGINT, .len = (uint32_t)len, .u.s = edn_strdup(doc, text, len)};
    dt_buf_free(&b);
    return NULL;
}

/* An integer of digits [S, E) in RADIX (a valid form): an INT when it fits
 * and BIG is false, else a BIGINT. */
static const char *integer(dt_edn_doc *doc, const char *s, const char *e, int radix, bool neg, bool big,
                           dt_edn_value *out)
{
    uint64_t v = 0;
    bool over = false;
    for (const char *p = s; p < e && !over; p++) {
        uint64_t d = (uint64_t)digit_value(*p);
        over = v > (UINT64_MAX - d) / (uint64_t)radix;
        v = v * (uint64_t)radix + d;
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (!over && v <= limit && !big) {
        *out = dt_edn_int(neg ? (int64_t)(0 - v) : (int64_t)v);
        return NULL;
    }
    if (!over) {
        char buf[24];
        int len = snprintf(buf, sizeof buf, "%s%llu", (neg && v) ? "-" : "", (unsigned long long)v);
        *out = (dt_edn_value){.kind = DT_EDN_BIGINT, .len = (uint32_t)len, .u.s = edn_strdup(doc, buf, (size_t)len)};
        return NULL;
    }
    if (radix == 10) { /* no leading zeros in this form: the digits are canonical */
        size_t len = (size_t)(e - s) + neg;
        char *t = edn_alloc(doc, len + 1);
        t[0] = '-';
        memcpy(t + neg, s, (size_t)(e - s));
        t[len] = '\0';
        *out = (dt_edn_value){.kind = DT_EDN_BIGINT, .len = (uint32_t)len, .u.s = t};
        return NULL;
    }
    return radix_to_decimal(doc, s, e, radix, neg, out);
}

/* Clojure's intPat, past the sign: 1 if S..E is one of its forms (then
 * *out is set or *why says why not), 0 if it is not an integer form. */
static int integer_form(dt_edn_doc *doc, const char *s, const char *e, bool neg, dt_edn_value *out,
                        const char **why)
{
    bool big = e > s && e[-1] == 'N';
    const char *de = big ? e - 1 : e;
    if (de - s == 1 && *s == '0') {
        *why = integer(doc, s, de, 10, false, big, out);
        return 1;
    }
    if (de - s >= 3 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && all_digits(s + 2, de, 16)) {
        *why = integer(doc, s + 2, de, 16, neg, big, out);
        return 1;
    }
    if (s[0] == '0' && all_digits(s + 1, de, 8)) {
        *why = integer(doc, s + 1, de, 8, neg, big, out);
        return 1;
    }
    if (s[0] == '0' && all_digits(s + 1, de, 10)) {
        *why = "a leading 0 makes an octal number, which has no 8 or 9";
        return 1;
    }
    if (s[0] >= '1' && s[0] <= '9' && all_digits(s, de, 10)) {
        *why = integer(doc, s, de, 10, neg, big, out);
        return 1;
    }
    /* ([1-9][0-9]?)[rR]([0-9A-Za-z]+): greedy, so a final N is a digit here */
    size_t rl = (e - s >= 2 && (s[1] == 'r' || s[1] == 'R')) ? 1
              : (e - s >= 3 && is_digit(s[1]) && (s[2] == 'r' || s[2] == 'R')) ? 2 : 0;
    if (rl && s[0] >= '1' && s[0] <= '9' && all_digits(s + rl + 1, e, 36)) {
        int radix = rl == 1 ? s[0] - '0' : (s[0] - '0') * 10 + (s[1] - '0');
        if (radix < 2 || radix > 36)
            *why = "radix out of range (2 to 36)";
        else if (!all_digits(s + rl + 1, e, radix))
            *why = "a digit beyond the radix";
        else
            *why = integer(doc, s + rl + 1, e, radix, neg, false, out);
        return 1;
    }
    return 0;
}

/* [0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)? from S: its end, or NULL. Sets
 * *exp_over when the exponent's magnitude passes EXP_MAX. */
static const char *float_body(const char *s, const char *e, bool *exp_over)
{
    const char *p = s;
    while (p < e && is_digit(*p))
        p++;
    if (p == s)
        return NULL;
    if (p < e && *p == '.')
        for (p++; p < e && is_digit(*p); p++)
            ;
    *exp_over = false;
    if (p < e && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        if (q < e && (*q == '+' || *q == '-'))
            q++;
        const char *ds = q;
        uint64_t v = 0;
        for (; q < e && is_digit(*q); q++)
            if ((v = v * 10 + (uint64_t)(*q - '0')) > EXP_MAX)
                *exp_over = true, v = EXP_MAX + 1;
        if (q == ds)
            return NULL;
        p = q;
    }
    return p;
}

const char *edn_bigdec_check(const char *text, size_t n)
{
    const char *s = text, *e = text + n;
    if (s < e && (*s == '+' || *s == '-'))
        s++;
    bool over;
    if (float_body(s, e, &over) != e)
        return "not a decimal number";
    return over ? "an exponent beyond " DT_EDN_STR(EXP_MAX) : NULL;
}

const char *edn_bigint_check(const char *text, size_t n)
{
    const char *s = text, *e = text + n;
    if (s < e && *s == '-')
        s++;
    if (!all_digits(s, e, 10))
        return "not a decimal integer";
    if (*s == '0' && e - s > 1)
        return "a leading zero";
    return n > UINT32_MAX ? "too long" : NULL;
}

/* A float form (BODY_END at its end or at a final M): a double or a BIGDEC. */
static const char *floating(dt_edn_doc *doc, const char *tok, size_t n, const char *body_end,
                            bool exp_over, dt_edn_value *out)
{
    if (body_end < tok + n) { /* M */
        if (exp_over)
            return "an exponent beyond " DT_EDN_STR(EXP_MAX);
        *out = (dt_edn_value){.kind = DT_EDN_BIGDEC, .len = (uint32_t)(n - 1), .u.s = edn_strdup(doc, tok, n - 1)};
        return NULL;
    }
    char small[64], *buf = n < sizeof small ? small : dt_malloc(n + 1);
    memcpy(buf, tok, n);
    buf[n] = '\0';
    *out = dt_edn_float(edn_strtod(buf, NULL)); /* past the range: +-infinity or 0, as Java */
    if (buf != small)
        free(buf);
    return NULL;
}

static const char *ratio(dt_edn_doc *doc, const char *s, const char *e, bool neg, dt_edn_value *out)
{
    const char *slash = memchr(s, '/', (size_t)(e - s));
    if (!slash || !all_digits(s, slash, 10) || !all_digits(slash + 1, e, 10))
        return "not a number";
    uint64_t v[2] = {0, 0};
    const char *from[2] = {s, slash + 1}, *to[2] = {slash, e};
    for (int k = 0; k < 2; k++)
        for (const char *p = from[k]; p < to[k]; p++) {
            uint64_t d = (uint64_t)(*p - '0');
            if (v[k] > ((uint64_t)INT64_MAX - d) / 10)
                return "a ratio beyond 64 bits (datom keeps ratios of 64-bit integers)";
            v[k] = v[k] * 10 + d;
        }
    if (v[1] == 0)
        return "divide by zero";
    if (dt_edn_ratio(doc, neg ? -(int64_t)v[0] : (int64_t)v[0], (int64_t)v[1], out))
        return "not a ratio";
    return NULL;
}

const char *edn_number(dt_edn_doc *doc, const char *tok, size_t n, dt_edn_value *out)
{
    if (n > UINT32_MAX)
        return "a number of more than 4 GiB";
    const char *s = tok, *e = tok + n;
    bool neg = false;
    if (s < e && (*s == '+' || *s == '-'))
        neg = *s++ == '-';
    if (s >= e || !is_digit(*s))
        return "not a number";
    const char *why = NULL;
    if (integer_form(doc, s, e, neg, out, &why))
        return why;
    bool exp_over;
    const char *body = float_body(s, e, &exp_over);
    if (body && (body == e || (body + 1 == e && *body == 'M')))
        return floating(doc, tok, n, body, exp_over, out);
    return ratio(doc, s, e, neg, out);
}

/* ---- exact decimal forms ---- */

/* Sets D from DIGITS (any leading or trailing zeros) whose point is after
 * POINT of them: value = sign * 0.DIGITS * 10^POINT. */
static void dec_set(edn_dec *d, int sign, const char *digits, size_t n, int64_t point)
{
    while (n && *digits == '0')
        digits++, n--, point--;
    while (n && digits[n - 1] == '0')
        n--;
    d->sign = n ? sign : 0;
    d->dig = digits;
    d->ndig = n;
    d->exp = n ? point : 0;
}

static void dec_of_u64(edn_dec *d, int sign, uint64_t u)
{
    d->own = dt_malloc(24);
    int n = snprintf(d->own, 24, "%llu", (unsigned long long)u);
    dec_set(d, sign, d->own, (size_t)n, n);
}

/* %.766e of a double is exact (glibc prints every digit of the binary value). */
static void dec_of_double(edn_dec *d, double f)
{
    char tmp[800];
    snprintf(tmp, sizeof tmp, "%.766e", fabs(f));
    d->own = dt_malloc(sizeof tmp);
    size_t n = 0;
    const char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (is_digit(*p))
            d->own[n++] = *p; /* skips the decimal point, however the locale spells it */
    dec_set(d, f < 0 ? -1 : 1, d->own, n, strtol(p + 1, NULL, 10) + 1);
}

static void dec_of_bigdec(edn_dec *d, const char *s, size_t n)
{
    const char *e = s + n;
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    d->own = dt_malloc(n + 1);
    size_t k = 0, intlen = 0;
    for (; s < e && is_digit(*s); s++)
        d->own[k++] = *s;
    intlen = k;
    if (s < e && *s == '.')
        for (s++; s < e && is_digit(*s); s++)
            d->own[k++] = *s;
    int64_t ex = 0;
    if (s < e && (*s == 'e' || *s == 'E'))
        ex = strtoll(s + 1, NULL, 10); /* bounded by EXP_MAX when read or built */
    dec_set(d, sign, d->own, k, (int64_t)intlen + ex);
}

void edn_dec_of(const dt_edn_value *v, edn_dec *d)
{
    memset(d, 0, sizeof *d);
    switch (v->kind) {
    case DT_EDN_INT:
        dec_of_u64(d, v->u.i < 0 ? -1 : 1, v->u.i < 0 ? 0 - (uint64_t)v->u.i : (uint64_t)v->u.i);
        break;
    case DT_EDN_BIGINT: {
        bool neg = v->u.s[0] == '-';
        dec_set(d, neg ? -1 : 1, v->u.s + neg, v->len - neg, (int64_t)(v->len - neg));
        break;
    }
    case DT_EDN_BIGDEC:
        dec_of_bigdec(d, v->u.s, v->len);
        break;
    case DT_EDN_FLOAT:
        if (v->u.f != 0 && isfinite(v->u.f))
            dec_of_double(d, v->u.f);
        break;
    default:
        break;
    }
}

void edn_dec_free(edn_dec *d)
{
    free(d->own);
    d->own = NULL;
}

int edn_dec_cmp(const edn_dec *a, const edn_dec *b)
{
    if (a->sign != b->sign)
        return a->sign < b->sign ? -1 : 1;
    if (a->sign == 0)
        return 0;
    int m;
    if (a->exp != b->exp) {
        m = a->exp < b->exp ? -1 : 1;
    } else {
        size_t n = DT_MIN(a->ndig, b->ndig);
        m = memcmp(a->dig, b->dig, n);
        if (m == 0)
            m = a->ndig == b->ndig ? 0 : a->ndig < b->ndig ? -1 : 1;
        m = m < 0 ? -1 : m > 0;
    }
    return a->sign > 0 ? m : -m;
}

bool edn_bigint_small(const dt_edn_value *v, int64_t *i)
{
    const char *s = v->u.s;
    bool neg = *s == '-';
    size_t n = v->len - neg;
    if (n > 19)
        return false;
    uint64_t u = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t d = (uint64_t)(s[neg + k] - '0');
        if (u > (UINT64_MAX - d) / 10)
            return false;
        u = u * 10 + d;
    }
    if (u > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX))
        return false;
    *i = neg ? (int64_t)(0 - u) : (int64_t)u;
    return true;
}

/* ---- printing doubles ---- */

/* Lays out sign, significant DIGITS (N >= 1, none trailing zero) and the
 * exponent E of the first (d.ddd x 10^E), as Clojure would read it back:
 * plain for 1e-5 <= |d| < 1e16, else d.ddde-7; always a '.' and a digit
 * after it. */
static size_t layout(bool neg, const char *dig, size_t n, int e, char out[32])
{
    size_t o = 0;
    if (neg)
        out[o++] = '-';
    if (e >= -5 && e < 16) {
        if (e < 0) {
            out[o++] = '0', out[o++] = '.';
            for (int i = -1; i > e; i--)
                out[o++] = '0';
            memcpy(out + o, dig, n);
            o += n;
        } else {
            for (int i = 0; i <= e; i++)
                out[o++] = (size_t)i < n ? dig[i] : '0';
            out[o++] = '.';
            if (n > (size_t)e + 1) {
                memcpy(out + o, dig + e + 1, n - (size_t)e - 1);
                o += n - (size_t)e - 1;
            } else {
                out[o++] = '0';
            }
        }
    } else {
        out[o++] = dig[0];
        out[o++] = '.';
        if (n > 1) {
            memcpy(out + o, dig + 1, n - 1);
            o += n - 1;
        } else {
            out[o++] = '0';
        }
        o += (size_t)snprintf(out + o, 32 - o, "e%d", e);
    }
    out[o] = '\0';
    return o;
}

size_t edn_format_double(double d, char out[32])
{
    if (isnan(d))
        return (size_t)snprintf(out, 32, "##NaN");
    if (isinf(d))
        return (size_t)snprintf(out, 32, d > 0 ? "##Inf" : "##-Inf");
    if (d == 0)
        return (size_t)snprintf(out, 32, signbit(d) ? "-0.0" : "0.0");
    /* the fewest significant digits that read back exactly: 15 to 17 for a
     * normal double (when 15 or fewer do, rounding to 15 gives them, padded
     * with zeros: the interval that reads back is narrower than half a unit
     * of the 15th digit); from 1 for a subnormal, whose interval is wider */
    for (int prec = fabs(d) < DBL_MIN ? 1 : 15;; prec++) {
        char tmp[48], dig[24];
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, fabs(d));
        size_t n = 0;
        const char *p = tmp;
        for (; *p && *p != 'e'; p++)
            if (is_digit(*p))
                dig[n++] = *p;
        while (n > 1 && dig[n - 1] == '0')
            n--;
        size_t len = layout(d < 0, dig, n, atoi(p + 1), out);
        if (prec == 17 || edn_strtod(out, NULL) == d)
            return len;
    }
}
