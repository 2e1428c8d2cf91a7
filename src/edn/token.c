/*
 * token.c: the lexical rules of EDN as Clojure's EDN reader applies them:
 * byte classes, UTF-8, Java's notion of whitespace, and which text is a
 * symbol or a keyword (its symbolPat, with the checks that follow it).
 *
 * The reader and the builders share these, so a keyword built by a program
 * is one the reader would read back from its printed text.
 */
#include <string.h>

#include "edn/edn_internal.h"

#define S EDN_K_SYM
#define W EDN_K_WS
#define N EDN_K_NL
#define T EDN_K_TERM
#define H EDN_K_HASH
#define C EDN_K_CTRL
#define U EDN_K_HIGH
const uint8_t edn_cls[256] = {
    C, C, C, C, C, C, C, C, C, W, N, W, W, W, C, C, /* 00 */
    C, C, C, C, C, C, C, C, C, C, C, C, W, W, W, W, /* 10 */
    W, S, T, H, S, S, S, S, T, T, S, S, W, S, S, S, /* 20 */
    S, S, S, S, S, S, S, S, S, S, S, T, S, S, S, S, /* 30 */
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, /* 40 */
    S, S, S, S, S, S, S, S, S, S, S, T, T, T, T, S, /* 50 */
    S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, S, /* 60 */
    S, S, S, S, S, S, S, S, S, S, S, T, S, T, S, C, /* 70 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 80 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* 90 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* a0 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* b0 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* c0 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* d0 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* e0 */
    U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U, /* f0 */
};
#undef S
#undef W
#undef N
#undef T
#undef H
#undef C
#undef U

/* Space separators but the no-break ones (U+00A0, U+2007, U+202F), and the
 * line and paragraph separators: Character.isWhitespace beyond ASCII. */
bool edn_unicode_space(uint32_t cp)
{
    return cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A && cp != 0x2007) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x205F || cp == 0x3000;
}

/* ---- symbols and keywords ---- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A token, seen as its text T with an optional ':' before it (a keyword's
 * text as built, or a whole token as read with colon false). */
typedef struct vtok {
    const char *t;
    size_t n; /* of t */
    bool colon;
} vtok;
static size_t vlen(const vtok *v) { return v->n + v->colon; }
static char vat(const vtok *v, size_t i) { return v->colon ? (i ? v->t[i - 1] : ':') : v->t[i]; }

/* Matches V from FROM against ([\D&&[^/]].*\/)?(/|[\D&&[^/]][^/]*): the
 * name (group 2) is "/" or has no '/', so the split is forced. Sets the
 * length of group 1 (the namespace with its '/'; 0 when absent). */
static bool sym_pattern(const vtok *v, size_t from, size_t *g1)
{
    size_t n = vlen(v);
    if (from >= n)
        return false;
    size_t last = SIZE_MAX;
    for (size_t i = n; i-- > from;)
        if (vat(v, i) == '/') {
            last = i;
            break;
        }
    *g1 = 0;
    if (last == SIZE_MAX)
        return !is_digit(vat(v, from));
    if (n - from == 1)
        return true; /* "/" */
    size_t g1len = last - from + 1;
    if (last == n - 1) { /* ends with '/': the name is "/" */
        g1len = n - 1 - from;
        if (g1len < 2 || vat(v, from + g1len - 1) != '/')
            return false;
    } else if (is_digit(vat(v, last + 1))) {
        return false;
    }
    if (vat(v, from) == '/' || is_digit(vat(v, from)))
        return false;
    *g1 = g1len;
    return true;
}

/* symbolPat's [:]? is greedy: the ':' is taken first when the rest matches. */
static const char *sym_rules(const vtok *v)
{
    size_t n = vlen(v), g1 = 0, from = 0;
    if (vat(v, 0) == ':' && sym_pattern(v, 1, &g1))
        from = 1;
    else if (!sym_pattern(v, 0, &g1))
        return "not a symbol or keyword";
    if (g1 >= 2 && vat(v, from + g1 - 2) == ':')
        return "a namespace may not end with ':'";
    if (vat(v, n - 1) == ':')
        return "a name may not end with ':'";
    if (n >= 2 && vat(v, 0) == ':' && vat(v, 1) == ':')
        return "'::' keywords need a current namespace, which EDN has not";
    for (size_t i = 1; i + 1 < n; i++)
        if (vat(v, i) == ':' && vat(v, i + 1) == ':')
            return "'::' inside a symbol or keyword";
    for (size_t i = 0; i < n; i++) {
        char c = vat(v, i);
        if (c == '@' || c == '`' || c == '~')
            return i ? "'@', '`' and '~' cannot be part of a symbol or keyword"
                     : "'@', '`' and '~' cannot start a symbol or keyword";
    }
    return NULL;
}

const char *edn_token_rules(const char *tok, size_t n)
{
    vtok v = {tok, n, false};
    return n ? sym_rules(&v) : "empty";
}

/* The bytes of a token: no whitespace, delimiters or control characters,
 * valid UTF-8. */
static const char *token_bytes(const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    while (p < end) {
        uint8_t k = edn_cls[*p];
        if (k == EDN_K_SYM || k == EDN_K_HASH) {
            p++;
            continue;
        }
        if (k != EDN_K_HIGH)
            return "whitespace, a delimiter or a control character in a symbol or keyword";
        uint32_t cp;
        size_t l = dt_utf8_decode(p, end, &cp);
        if (!l)
            return "invalid UTF-8";
        if (edn_unicode_space(cp))
            return "whitespace in a symbol or keyword";
        p += l;
    }
    return NULL;
}

const char *edn_symbol_check(const char *text, size_t n, bool keyword)
{
    if (n == 0)
        return "empty";
    const char *why = token_bytes((const uint8_t *)text, n);
    if (why)
        return why;
    if (!keyword) {
        if ((n == 3 && !memcmp(text, "nil", 3)) || (n == 4 && !memcmp(text, "true", 4)) ||
            (n == 5 && !memcmp(text, "false", 5)))
            return "reads as nil, true or false";
        if (text[0] == ':' || text[0] == '#')
            return "a symbol cannot start with ':' or '#'";
        if ((text[0] == '+' || text[0] == '-') && n > 1 && is_digit(text[1]))
            return "reads as a number";
    }
    vtok v = {text, n, keyword};
    return sym_rules(&v);
}

size_t edn_ns_len(const char *text, size_t n)
{
    if (n <= 1)
        return 0;
    const char *slash = memchr(text, '/', n);
    return slash ? (size_t)(slash - text) : 0;
}

const char *dt_edn_ns(const dt_edn_value *v, size_t *len)
{
    size_t ns = v->aux == DT_EDN_NS_LONG ? edn_ns_len(v->u.s, v->len) : v->aux;
    *len = ns;
    return ns ? v->u.s : NULL;
}

const char *dt_edn_name(const dt_edn_value *v, size_t *len)
{
    size_t ns = v->aux == DT_EDN_NS_LONG ? edn_ns_len(v->u.s, v->len) : v->aux;
    size_t skip = ns ? ns + 1 : 0;
    *len = v->len - skip;
    return v->u.s + skip;
}
