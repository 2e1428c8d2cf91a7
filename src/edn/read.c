/*
 * read.c: the EDN reader, as Clojure's EdnReader reads (docs/formats.md,
 * "EDN").
 *
 * A recursive descent over a byte buffer. Items of the collections being
 * read wait on one shared stack (rd.stk) and are copied into the document
 * as one array when their collection closes, so a collection costs one
 * allocation and its items sit together. Recursion is bounded by max_depth
 * (collections, tags, #_, ^ and ## all count), never by the input.
 *
 * Positions: the reader counts lines as it passes '\n' (in whitespace,
 * strings and character literals) and finds a column by counting the
 * characters (non-continuation bytes) since the last column it found on
 * the same line, so columns cost O(1) amortised per byte.
 *
 * Streaming: a reader over a file descriptor holds only the bytes of the
 * top-level value being read. When a value runs past the bytes at hand, the
 * parse returns RD_MORE up to dt_edn_reader_next, which rolls the document
 * back, reads at least as many bytes again as it holds, and reads the value
 * anew from its start: O(n) in all, as the buffer doubles.
 *
 * Invariants: (1) between calls, rd.p is at a top-level boundary and the
 * item stack is empty; (2) a failed or restarted value leaves nothing in
 * the document (rolled back to the mark taken before it); (3) line and
 * line_start describe rd.p, and the column cache (cc_off, cc_col) is never
 * before line_start's line nor beyond rd.p.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edn/edn_internal.h"

enum { RD_OK = 0, RD_NONE = 1, RD_FAIL = -1, RD_MORE = -2 };

#define DEFAULT_MAX_VALUE ((uint64_t)1 << 30)
#define READ_CHUNK ((size_t)64 << 10)

typedef struct pos {
    uint32_t line, col;
    uint64_t off;
} pos;

typedef struct rd {
    const uint8_t *start, *p, *end; /* the bytes at hand */
    uint64_t base;                  /* offset of start in the input */
    bool eof;                       /* end is the end of the input */
    uint32_t line;
    uint64_t line_start;
    uint64_t cc_off; /* column cache: the character at cc_off is column cc_col */
    uint32_t cc_col;
    uint32_t depth, max_depth;
    dt_edn_doc *doc;
    dt_edn_value *stk; /* items of the open collections */
    size_t sn, scap;
    dt_buf tmp; /* a string with escapes, decoded */
    dt_edn_error err;
} rd;

/* ---- positions and errors ---- */

static inline uint64_t abs_off(const rd *r, const uint8_t *p) { return r->base + (uint64_t)(p - r->start); }

/* Characters (bytes that do not continue a UTF-8 sequence) in [p, e). */
static uint64_t count_chars(const uint8_t *p, const uint8_t *e)
{
    uint64_t n = 0;
    while (e - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t cont = w & ~(w << 1) & 0x8080808080808080ull; /* 10xxxxxx */
        n += 8 - (uint64_t)__builtin_popcountll(cont);
        p += 8;
    }
    for (; p < e; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

static uint32_t col_at(rd *r, const uint8_t *p)
{
    uint64_t a = abs_off(r, p);
    if (r->cc_off < r->line_start || r->cc_off > a) {
        r->cc_off = r->line_start;
        r->cc_col = 1;
    }
    uint64_t n = count_chars(r->start + (r->cc_off - r->base), p);
    r->cc_col = (uint32_t)DT_MIN((uint64_t)UINT32_MAX, r->cc_col + n);
    r->cc_off = a;
    return r->cc_col;
}

static pos pos_at(rd *r, const uint8_t *p) { return (pos){r->line, col_at(r, p), abs_off(r, p)}; }

static void newline_at(rd *r, const uint8_t *after)
{
    r->line++;
    r->line_start = abs_off(r, after);
}

DT_PRINTF(4, 5)
static int fail_pos(rd *r, pos at, dt_edn_errcode code, const char *fmt, ...)
{
    r->err.code = code;
    r->err.line = at.line;
    r->err.col = at.col;
    r->err.off = at.off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err.msg, sizeof r->err.msg, fmt, ap);
    va_end(ap);
    return RD_FAIL;
}

#define fail(r, p, code, ...) fail_pos((r), pos_at((r), (p)), (code), __VA_ARGS__)

/* Input text for a message: valid UTF-8, control characters and bad bytes
 * as \xNN, at most about 48 bytes, "..." if cut. */
static const char *show(char out[64], const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i = 0;
    while (i < n && o < 48) {
        uint32_t cp;
        size_t l = p[i] < 0x80 ? 1 : edn_utf8_decode(p + i, p + n, &cp);
        if (l > 1 || (l == 1 && p[i] >= 0x20 && p[i] != 0x7f)) {
            memcpy(out + o, p + i, l);
            o += l, i += l;
        } else {
            out[o++] = '\\', out[o++] = 'x', out[o++] = hex[p[i] >> 4], out[o++] = hex[p[i] & 15];
            i++;
        }
    }
    memcpy(out + o, i < n ? "..." : "", i < n ? 4 : 1);
    return out;
}

/* The end of the bytes at hand inside something that needs more. */
static int at_end(rd *r, pos at, const char *what)
{
    if (!r->eof)
        return RD_MORE;
    return fail_pos(r, at, DT_EDN_ERR_EOF, "the input ends inside %s", what);
}

static int bad_utf8(rd *r, const uint8_t *p)
{
    if (!r->eof && r->end - p < 4)
        return RD_MORE; /* maybe a sequence cut by the buffer */
    return fail(r, p, DT_EDN_ERR_UTF8, "invalid UTF-8 (byte 0x%02x)", *p);
}

static int enter(rd *r, pos at)
{
    if (r->depth >= r->max_depth)
        return fail_pos(r, at, DT_EDN_ERR_DEPTH, "nesting deeper than %u levels", r->max_depth);
    r->depth++;
    return RD_OK;
}

static void push(rd *r, const dt_edn_value *v)
{
    if (r->sn == r->scap) {
        r->scap = r->scap ? r->scap * 2 : 256;
        r->stk = dt_realloc(r->stk, r->scap * sizeof(dt_edn_value));
    }
    r->stk[r->sn++] = *v;
}

static void set_pos(dt_edn_value *v, pos at)
{
    v->line = at.line;
    v->col = at.col;
    v->off = at.off;
}

static int read_next(rd *r, dt_edn_value *out);

/* ---- whitespace ---- */

/* Skips whitespace, commas and comments: r->p stops at the next form, a
 * closing delimiter or the end. RD_MORE when the end may not be the end. */
static int skip_ws(rd *r)
{
    const uint8_t *p = r->p, *end = r->end;
    while (p < end) {
        uint8_t k = edn_cls[*p];
        if (k == EDN_K_WS) {
            p++;
        } else if (k == EDN_K_NL) {
            newline_at(r, ++p);
        } else if (*p == ';') {
            const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                r->p = p;
                return r->eof ? (r->p = end, RD_OK) : RD_MORE;
            }
            p = nl;
        } else if (k == EDN_K_HIGH) {
            uint32_t cp;
            size_t l = edn_utf8_decode(p, end, &cp);
            if (!l || !edn_unicode_space(cp)) {
                r->p = p;
                return (!l && !r->eof && end - p < 4) ? RD_MORE : RD_OK;
            }
            p += l;
        } else {
            break;
        }
    }
    r->p = p;
    return (p == end && !r->eof) ? RD_MORE : RD_OK;
}

/* ---- tokens: symbols, keywords, nil, true, false, numbers ---- */

/* The end of the token starting at P: before whitespace, a delimiter (and
 * '#' too when NUMBER) or the end. RD_OK with *out set, or an error. */
static int token_end(rd *r, const uint8_t *p, bool number, const uint8_t **out)
{
    const uint8_t *end = r->end;
    while (p < end) {
        uint8_t k = edn_cls[*p];
        if (k == EDN_K_SYM || (k == EDN_K_HASH && !number)) {
            p++;
            continue;
        }
        if (k == EDN_K_CTRL)
            return fail(r, p, DT_EDN_ERR_UTF8, "control character 0x%02x outside a string", *p);
        if (k != EDN_K_HIGH)
            break;
        uint32_t cp;
        size_t l = edn_utf8_decode(p, end, &cp);
        if (!l)
            return bad_utf8(r, p);
        if (edn_unicode_space(cp))
            break;
        p += l;
    }
    if (p == end && !r->eof)
        return RD_MORE;
    *out = p;
    return RD_OK;
}

static int read_number(rd *r, pos at, dt_edn_value *out)
{
    const uint8_t *tok = r->p, *e;
    int rc = token_end(r, tok + 1, true, &e);
    if (rc)
        return rc;
    size_t n = (size_t)(e - tok);
    /* the common case, a small decimal integer, without the general parser */
    size_t i = (*tok == '-' || *tok == '+');
    if (n - i <= 18 && (tok[i] != '0' || n - i == 1)) {
        int64_t v = 0;
        size_t j = i;
        while (j < n && tok[j] >= '0' && tok[j] <= '9')
            v = v * 10 + (tok[j++] - '0');
        if (j == n) {
            *out = dt_edn_int(*tok == '-' ? -v : v);
            r->p = e;
            return RD_OK;
        }
    }
    const char *why = edn_number(r->doc, (const char *)tok, n, out);
    if (why) {
        char buf[64];
        return fail_pos(r, at, DT_EDN_ERR_NUMBER, "invalid number %s: %s", show(buf, tok, n), why);
    }
    r->p = e;
    return RD_OK;
}

static dt_edn_value named_value(rd *r, dt_edn_kind kind, const char *text, size_t n)
{
    dt_edn_value v = {.kind = (uint8_t)kind, .len = (uint32_t)n, .u.s = edn_strdup(r->doc, text, n)};
    size_t ns = edn_ns_len(text, n);
    v.aux = (uint16_t)(ns < DT_EDN_NS_LONG ? ns : DT_EDN_NS_LONG);
    return v;
}

static int read_token(rd *r, pos at, dt_edn_value *out)
{
    const uint8_t *tok = r->p, *e;
    int rc = token_end(r, tok, false, &e);
    if (rc)
        return rc;
    size_t n = (size_t)(e - tok);
    const char *t = (const char *)tok;
    r->p = e;
    if (n == 3 && !memcmp(t, "nil", 3)) {
        *out = dt_edn_nil();
    } else if (n == 4 && !memcmp(t, "true", 4)) {
        *out = dt_edn_bool(true);
    } else if (n == 5 && !memcmp(t, "false", 5)) {
        *out = dt_edn_bool(false);
    } else {
        const char *why = edn_token_rules(t, n);
        char buf[64];
        if (why)
            return fail_pos(r, at, DT_EDN_ERR_TOKEN, "invalid token %s: %s", show(buf, tok, n), why);
        if (n > UINT32_MAX)
            return fail_pos(r, at, DT_EDN_ERR_LIMIT, "a symbol of more than 4 GiB");
        *out = t[0] == ':' ? named_value(r, DT_EDN_KEYWORD, t + 1, n - 1)
                           : named_value(r, DT_EDN_SYMBOL, t, n);
    }
    return RD_OK;
}

/* ---- strings ---- */

/* Skips bytes that need nothing: all but '"', '\\', '\n' and non-ASCII. */
static const uint8_t *plain_run(const uint8_t *s, const uint8_t *end)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - s >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\'), nl = w ^ (ones * '\n');
        uint64_t hit = ((q - ones) & ~q) | ((b - ones) & ~b) | ((nl - ones) & ~nl) | w;
        if (hit & highs)
            break;
        s += 8;
    }
    while (s < end && *s != '"' && *s != '\\' && *s != '\n' && *s < 0x80)
        s++;
    return s;
}

static bool is_macro(uint8_t c) { return edn_cls[c] == EDN_K_TERM || c == '#'; }
static bool stops_digits(uint8_t c) { return edn_cls[c] == EDN_K_WS || edn_cls[c] == EDN_K_NL || is_macro(c); }

static int hex_value(uint8_t c) { return dt_hex_digit((char)c); }

/* \uXXXX in a string, S after the 'u': exactly four hex digits, which may
 * stop early only at whitespace or a macro character (an error then). */
static int string_u4(rd *r, pos at, const uint8_t **sp, uint32_t *cp)
{
    const uint8_t *s = *sp, *end = r->end;
    if (s >= end)
        return at_end(r, at, "a string");
    if (hex_value(*s) < 0)
        return fail(r, s, DT_EDN_ERR_STRING, "invalid unicode escape: \\u%c", *s);
    uint32_t v = 0;
    int i = 0;
    for (; i < 4; i++, s++) {
        if (s >= end)
            return at_end(r, at, "a string");
        if (stops_digits(*s))
            break;
        int d = hex_value(*s);
        if (d < 0)
            return fail(r, s, DT_EDN_ERR_STRING, "invalid digit in \\u escape: %c", *s);
        v = v * 16 + (uint32_t)d;
    }
    if (i != 4)
        return fail(r, s, DT_EDN_ERR_STRING, "invalid character length: %d, should be: 4", i);
    *sp = s;
    *cp = v;
    return RD_OK;
}

/* \NNN in a string, S at the first digit: 1 to 3 octal digits (as \u,
 * stopping early at whitespace or a macro character), at most 0377. */
static int string_octal(rd *r, pos at, const uint8_t **sp, uint32_t *cp)
{
    const uint8_t *s = *sp, *end = r->end;
    uint32_t v = 0;
    for (int i = 0; i < 3; i++, s++) {
        if (s >= end)
            return at_end(r, at, "a string");
        if (i > 0 && stops_digits(*s))
            break;
        if (*s < '0' || *s > '7')
            return fail(r, s, DT_EDN_ERR_STRING, "invalid digit in octal escape: %c", *s);
        v = v * 8 + (uint32_t)(*s - '0');
    }
    if (v > 0377)
        return fail(r, *sp - 1, DT_EDN_ERR_STRING, "octal escape sequence must be in range [0, 377]");
    *sp = s;
    *cp = v;
    return RD_OK;
}

/* A \u escape that is half of a surrogate pair takes the other half too. */
static int string_unicode(rd *r, pos at, const uint8_t **sp, uint32_t *cp)
{
    const uint8_t *esc = *sp - 2;
    int rc = string_u4(r, at, sp, cp);
    if (rc || *cp < 0xD800 || *cp > 0xDFFF)
        return rc;
    const uint8_t *s = *sp;
    if (*cp <= 0xDBFF) {
        if (r->end - s < 2 && !r->eof)
            return RD_MORE;
        if (r->end - s >= 2 && s[0] == '\\' && s[1] == 'u') {
            uint32_t lo;
            s += 2;
            rc = string_u4(r, at, &s, &lo);
            if (rc)
                return rc;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
                *sp = s;
                return RD_OK;
            }
        }
    }
    return fail(r, esc, DT_EDN_ERR_STRING,
                "unpaired surrogate \\u%04X (UTF-8 has no place for half a pair)", *cp);
}

/* One escape, S at the backslash: its code point in *cp, *sp past it. */
static int string_escape(rd *r, pos at, const uint8_t **sp, uint32_t *cp)
{
    const uint8_t *s = *sp + 1;
    if (s >= r->end)
        return at_end(r, at, "a string");
    static const char from[] = "trn\\\"bf", to[] = "\t\r\n\\\"\b\f";
    const char *hit = *s ? strchr(from, *s) : NULL;
    if (hit) {
        *cp = (uint8_t)to[hit - from];
        *sp = s + 1;
        return RD_OK;
    }
    if (*s == 'u') {
        *sp = s + 1;
        return string_unicode(r, at, sp, cp);
    }
    if (*s >= '0' && *s <= '9') {
        *sp = s;
        return string_octal(r, at, sp, cp);
    }
    uint32_t c = *s;
    size_t l = c < 0x80 ? 1 : edn_utf8_decode(s, r->end, &c);
    if (!l)
        return bad_utf8(r, s);
    char buf[64];
    return fail(r, *sp, DT_EDN_ERR_STRING, "unsupported escape character: \\%s", show(buf, s, l));
}

static int string_done(rd *r, pos at, const char *text, size_t n, dt_edn_value *out)
{
    if (n > UINT32_MAX)
        return fail_pos(r, at, DT_EDN_ERR_LIMIT, "a string of more than 4 GiB");
    *out = (dt_edn_value){.kind = DT_EDN_STRING, .len = (uint32_t)n, .u.s = edn_strdup(r->doc, text, n)};
    return RD_OK;
}

/* Walks a string's bytes from S: counts lines, checks UTF-8, decodes
 * escapes into r->tmp once ESCAPED. Stops at the closing quote. */
static int read_string(rd *r, pos at, dt_edn_value *out)
{
    const uint8_t *q = r->p + 1, *s = q, *end = r->end;
    bool escaped = false;
    for (;;) {
        const uint8_t *run = s;
        s = plain_run(s, end);
        if (escaped)
            dt_buf_append(&r->tmp, run, (size_t)(s - run));
        if (s >= end)
            return at_end(r, at, "a string");
        const uint8_t *c = s;
        if (*s == '"')
            break;
        if (*s == '\n') {
            newline_at(r, ++s);
        } else if (*s >= 0x80) {
            uint32_t cp;
            size_t l = edn_utf8_decode(s, end, &cp);
            if (!l)
                return bad_utf8(r, s);
            s += l;
        } else {
            if (!escaped) {
                dt_buf_clear(&r->tmp);
                dt_buf_append(&r->tmp, q, (size_t)(s - q));
                escaped = true;
            }
            uint32_t cp;
            int rc = string_escape(r, at, &s, &cp);
            if (rc)
                return rc;
            char u[4];
            dt_buf_append(&r->tmp, u, edn_utf8_encode(cp, u));
            continue;
        }
        if (escaped)
            dt_buf_append(&r->tmp, c, (size_t)(s - c));
    }
    r->p = s + 1;
    if (escaped)
        return string_done(r, at, (const char *)r->tmp.data, r->tmp.len, out);
    return string_done(r, at, (const char *)q, (size_t)(s - q), out);
}

/* ---- characters ---- */

static const struct {
    const char *name;
    uint32_t c;
} char_names[] = {{"newline", '\n'}, {"space", ' '},     {"tab", '\t'},
                  {"backspace", '\b'}, {"formfeed", '\f'}, {"return", '\r'}};

/* The text of a character literal after its backslash (as Clojure's
 * CharacterReader): one character, a name, uXXXX or oNNN. */
static int char_token(rd *r, pos at, const uint8_t *t, size_t n, uint32_t *cp)
{
    char buf[64];
    for (size_t i = 0; i < DT_ARRAY_LEN(char_names); i++)
        if (strlen(char_names[i].name) == n && !memcmp(t, char_names[i].name, n)) {
            *cp = char_names[i].c;
            return RD_OK;
        }
    uint32_t v = 0;
    if (t[0] == 'u') {
        for (size_t i = 1; i < n && n == 5; i++) {
            int d = hex_value(t[i]);
            if (d < 0)
                return fail_pos(r, at, DT_EDN_ERR_CHAR, "invalid digit in \\%s", show(buf, t, n));
            v = v * 16 + (uint32_t)d;
        }
        if (n != 5)
            return fail_pos(r, at, DT_EDN_ERR_CHAR, "invalid unicode character: \\%s", show(buf, t, n));
        if (v >= 0xD800 && v <= 0xDFFF)
            return fail_pos(r, at, DT_EDN_ERR_CHAR, "invalid character constant: \\%s (a surrogate)",
                            show(buf, t, n));
    } else if (t[0] == 'o') {
        if (n > 4)
            return fail_pos(r, at, DT_EDN_ERR_CHAR, "invalid octal escape sequence length: %zu", n - 1);
        for (size_t i = 1; i < n; i++) {
            if (t[i] < '0' || t[i] > '7')
                return fail_pos(r, at, DT_EDN_ERR_CHAR, "invalid digit in \\%s", show(buf, t, n));
            v = v * 8 + (uint32_t)(t[i] - '0');
        }
        if (v > 0377)
            return fail_pos(r, at, DT_EDN_ERR_CHAR, "octal escape sequence must be in range [0, 377]");
    } else {
        return fail_pos(r, at, DT_EDN_ERR_CHAR, "unsupported character: \\%s", show(buf, t, n));
    }
    *cp = v;
    return RD_OK;
}

static int read_char(rd *r, pos at, dt_edn_value *out)
{
    const uint8_t *t = r->p + 1, *end = r->end;
    if (t >= end)
        return at_end(r, at, "a character literal");
    uint32_t cp = *t;
    size_t l = cp < 0x80 ? 1 : edn_utf8_decode(t, end, &cp);
    if (!l)
        return bad_utf8(r, t);
    if (cp == '\n')
        newline_at(r, t + 1);
    const uint8_t *e;
    int rc = token_end(r, t + l, false, &e);
    if (rc)
        return rc;
    size_t n = (size_t)(e - t);
    if (n > l && (rc = char_token(r, at, t, n, &cp)))
        return rc;
    *out = (dt_edn_value){.kind = DT_EDN_CHAR, .u.c = cp};
    r->p = e;
    return RD_OK;
}

/* ---- collections ---- */

static const char *coll_name(dt_edn_kind k)
{
    return k == DT_EDN_LIST ? "list" : k == DT_EDN_VECTOR ? "vector" : k == DT_EDN_MAP ? "map" : "set";
}

/* #:ns{...}: keys without a namespace take NS; keys of namespace "_" lose it. */
static void qualify_keys(rd *r, size_t base, const char *ns, size_t nslen)
{
    for (size_t i = base; i < r->sn; i += 2) {
        dt_edn_value *k = &r->stk[i];
        if (k->kind != DT_EDN_KEYWORD && k->kind != DT_EDN_SYMBOL)
            continue;
        size_t kns, kname;
        dt_edn_ns(k, &kns);
        const char *name = dt_edn_name(k, &kname);
        pos at = {k->line, k->col, k->off};
        dt_edn_value q;
        if (kns == 0) {
            char *text = dt_malloc(nslen + 1 + kname);
            memcpy(text, ns, nslen);
            text[nslen] = '/';
            memcpy(text + nslen + 1, name, kname);
            q = named_value(r, (dt_edn_kind)k->kind, text, nslen + 1 + kname);
            free(text);
        } else if (kns == 1 && k->u.s[0] == '_') {
            q = named_value(r, (dt_edn_kind)k->kind, name, kname);
        } else {
            continue;
        }
        set_pos(&q, at);
        *k = q;
    }
}

static int finish_coll(rd *r, dt_edn_kind kind, size_t base, pos at, dt_edn_value *out)
{
    size_t n = r->sn - base;
    if (kind == DT_EDN_MAP && n % 2)
        return fail_pos(r, at, DT_EDN_ERR_MAP, "a map needs an even number of forms, this one has %zu", n);
    size_t dup = 0;
    const char *why = edn_make_coll(r->doc, kind, r->stk + base, n, out, &dup);
    if (!why)
        return RD_OK;
    if (!dup)
        return fail_pos(r, at, DT_EDN_ERR_LIMIT, "%s", why);
    const dt_edn_value *d = &r->stk[base + (kind == DT_EDN_MAP ? 2 * (dup - 1) : dup - 1)];
    char *text = dt_edn_to_string(d);
    fail_pos(r, (pos){d->line, d->col, d->off}, DT_EDN_ERR_DUPLICATE, "%s %.100s%s in %s", why, text,
             strlen(text) > 100 ? "..." : "", coll_name(kind));
    free(text);
    return RD_FAIL;
}

/* Reads items up to CLOSE (r->p past the opening delimiter). */
static int read_coll(rd *r, dt_edn_kind kind, char close, pos at, const dt_edn_value *ns,
                     dt_edn_value *out)
{
    int rc = enter(r, at);
    if (rc)
        return rc;
    size_t base = r->sn;
    for (;;) {
        dt_edn_value v;
        rc = read_next(r, &v);
        if (rc == RD_NONE) {
            if (r->p >= r->end) {
                rc = r->eof ? fail_pos(r, at, DT_EDN_ERR_EOF, "unterminated %s: the input ends before its %c",
                                       coll_name(kind), close)
                            : RD_MORE;
            } else if (*r->p != close) {
                rc = fail(r, r->p, DT_EDN_ERR_DELIM, "unmatched delimiter %c: the %s at %u:%u needs %c",
                          *r->p, coll_name(kind), at.line, at.col, close);
            } else {
                r->p++;
                if (ns)
                    qualify_keys(r, base, dt_edn_name(ns, &(size_t){0}), ns->len);
                rc = finish_coll(r, kind, base, at, out);
            }
            break;
        }
        if (rc)
            break;
        push(r, &v);
    }
    r->sn = base;
    r->depth--;
    return rc;
}

/* ---- dispatch: # forms, metadata, discard ---- */

/* The form after a prefix (#_, ^, ##, a tag) that needs one. */
static int prefixed_form(rd *r, pos at, const char *what, dt_edn_value *out)
{
    int rc = read_next(r, out);
    if (rc != RD_NONE)
        return rc;
    if (r->p >= r->end)
        return at_end(r, at, what);
    return fail(r, r->p, DT_EDN_ERR_DELIM, "unmatched delimiter %c: %s needs a form first", *r->p, what);
}

static int read_discard(rd *r, pos at)
{
    int rc = enter(r, at);
    if (rc)
        return rc;
    edn_mark m = edn_mark_get(r->doc);
    dt_edn_value v;
    rc = prefixed_form(r, at, "#_ (discard)", &v);
    edn_mark_rollback(r->doc, m);
    r->depth--;
    return rc;
}

/* ^meta form and #^meta form: the metadata is read, checked and dropped. */
static int read_meta(rd *r, pos at, dt_edn_value *out)
{
    int rc = enter(r, at);
    if (rc)
        return rc;
    edn_mark m = edn_mark_get(r->doc);
    dt_edn_value meta;
    rc = prefixed_form(r, at, "^ (metadata)", &meta);
    edn_mark_rollback(r->doc, m);
    if (!rc && meta.kind != DT_EDN_SYMBOL && meta.kind != DT_EDN_KEYWORD && meta.kind != DT_EDN_STRING &&
        meta.kind != DT_EDN_MAP)
        rc = fail_pos(r, (pos){meta.line, meta.col, meta.off}, DT_EDN_ERR_DISPATCH,
                      "metadata must be a symbol, keyword, string or map");
    if (!rc)
        rc = prefixed_form(r, at, "^ (metadata)", out);
    if (!rc && out->kind != DT_EDN_SYMBOL && !dt_edn_is_coll(out))
        rc = fail_pos(r, (pos){out->line, out->col, out->off}, DT_EDN_ERR_DISPATCH,
                      "metadata can only be applied to symbols and collections, not a %s",
                      dt_edn_kind_name((dt_edn_kind)out->kind));
    r->depth--;
    return rc;
}

/* ##Inf ##-Inf ##NaN */
static int read_symbolic(rd *r, pos at, dt_edn_value *out)
{
    int rc = enter(r, at);
    if (rc)
        return rc;
    dt_edn_value s;
    rc = prefixed_form(r, at, "##", &s);
    r->depth--;
    if (rc)
        return rc;
    if (dt_edn_is_sym(&s, "Inf"))
        *out = dt_edn_float(INFINITY);
    else if (dt_edn_is_sym(&s, "-Inf"))
        *out = dt_edn_float(-INFINITY);
    else if (dt_edn_is_sym(&s, "NaN"))
        *out = dt_edn_float(NAN);
    else
        return fail_pos(r, at, DT_EDN_ERR_DISPATCH, "unknown symbolic value: ## must be followed by Inf, -Inf or NaN");
    return RD_OK;
}

static int tag_value(rd *r, pos at, const dt_edn_value *tag, const dt_edn_value *v, dt_edn_value *out)
{
    bool inst = dt_edn_is_sym(tag, "inst"), uuid = dt_edn_is_sym(tag, "uuid");
    if (!inst && !uuid) {
        dt_edn_value *pair = edn_alloc(r->doc, 2 * sizeof(dt_edn_value));
        pair[0] = *tag;
        pair[1] = *v;
        *out = (dt_edn_value){.kind = DT_EDN_TAGGED, .aux = (uint16_t)(edn_depth(v) + 1), .len = 2, .u.items = pair};
        return RD_OK;
    }
    pos vat = {v->line, v->col, v->off};
    dt_edn_errcode code = inst ? DT_EDN_ERR_INST : DT_EDN_ERR_UUID;
    if (v->kind != DT_EDN_STRING)
        return fail_pos(r, vat, code, "#%s needs a string, not a %s", inst ? "inst" : "uuid",
                        dt_edn_kind_name((dt_edn_kind)v->kind));
    char buf[64];
    const char *why;
    if (inst) {
        int64_t sec;
        uint32_t nsec;
        why = edn_inst_parse(v->u.s, v->len, &sec, &nsec);
        *out = (dt_edn_value){.kind = DT_EDN_INST, .len = nsec, .u.sec = sec};
    } else {
        uint8_t *u = edn_alloc(r->doc, 16);
        why = edn_uuid_parse(v->u.s, v->len, u);
        *out = (dt_edn_value){.kind = DT_EDN_UUID, .u.uuid = u};
    }
    if (why)
        return fail_pos(r, vat, code, "bad #%s \"%s\": %s", inst ? "inst" : "uuid",
                        show(buf, (const uint8_t *)v->u.s, v->len), why);
    return RD_OK;
}

/* #tag form: TAG a symbol; #inst and #uuid become instants and UUIDs. */
static int read_tagged(rd *r, pos at, dt_edn_value *out)
{
    int rc = enter(r, at);
    if (rc)
        return rc;
    dt_edn_value tag, v;
    pos tat = pos_at(r, r->p);
    rc = read_token(r, tat, &tag);
    if (!rc && tag.kind != DT_EDN_SYMBOL)
        rc = fail_pos(r, tat, DT_EDN_ERR_DISPATCH, "a reader tag must be a symbol");
    if (!rc) {
        set_pos(&tag, tat);
        rc = prefixed_form(r, at, "a tag", &v);
    }
    if (!rc)
        rc = tag_value(r, at, &tag, &v, out);
    r->depth--;
    return rc;
}

/* #:ns{...} (Clojure 1.9's namespaced map). */
static int read_nsmap(rd *r, pos at, dt_edn_value *out)
{
    const uint8_t *s = r->p;
    if (s < r->end && (*s == ':' || edn_cls[*s] == EDN_K_WS || edn_cls[*s] == EDN_K_NL))
        return fail_pos(r, at, DT_EDN_ERR_DISPATCH,
                        "a namespaced map must name its namespace (#:: needs a current namespace, which EDN has not)");
    int rc = enter(r, at);
    if (rc)
        return rc;
    dt_edn_value ns;
    rc = prefixed_form(r, at, "#:", &ns);
    size_t nslen = 0;
    if (!rc && (ns.kind != DT_EDN_SYMBOL || dt_edn_ns(&ns, &nslen)))
        rc = fail_pos(r, at, DT_EDN_ERR_DISPATCH, "a namespaced map must specify a valid namespace");
    while (!rc && r->p < r->end && (edn_cls[*r->p] == EDN_K_WS || edn_cls[*r->p] == EDN_K_NL))
        if (*r->p++ == '\n')
            newline_at(r, r->p);
    if (!rc && r->p >= r->end)
        rc = at_end(r, at, "a namespaced map");
    if (!rc && *r->p != '{')
        rc = fail(r, r->p, DT_EDN_ERR_DISPATCH, "a namespaced map must specify a map");
    r->depth--;
    if (rc)
        return rc;
    r->p++;
    return read_coll(r, DT_EDN_MAP, '}', at, &ns, out);
}

static bool tag_start(rd *r, const uint8_t *s)
{
    if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
        return true;
    uint32_t cp;
    return *s >= 0x80 && edn_utf8_decode(s, r->end, &cp) && !edn_unicode_space(cp);
}

static int read_dispatch(rd *r, pos at, dt_edn_value *out)
{
    const uint8_t *s = r->p + 1;
    if (s >= r->end)
        return at_end(r, at, "a # form");
    r->p = s + 1;
    switch (*s) {
    case '{':
        return read_coll(r, DT_EDN_SET, '}', at, NULL, out);
    case '#':
        return read_symbolic(r, at, out);
    case ':':
        return read_nsmap(r, at, out);
    case '^':
        return read_meta(r, at, out);
    case '<':
        return fail_pos(r, at, DT_EDN_ERR_DISPATCH, "unreadable form #<");
    default:
        break;
    }
    if (tag_start(r, s)) {
        r->p = s;
        return read_tagged(r, at, out);
    }
    if (*s >= 0x80 && !r->eof && r->end - s < 4)
        return RD_MORE;
    char buf[64];
    uint32_t cp;
    size_t l = *s < 0x80 ? 1 : edn_utf8_decode(s, r->end, &cp);
    return fail_pos(r, at, DT_EDN_ERR_DISPATCH, "no dispatch macro for #%s%s", show(buf, s, l ? l : 1),
                    *s == '"' ? " (EDN has no regular expressions)" : "");
}

/* ---- forms ---- */

/* One form, r->p at its first byte (not whitespace, not a closing delimiter). */
static int read_form(rd *r, dt_edn_value *out)
{
    const uint8_t *p = r->p;
    pos at = pos_at(r, p);
    int rc;
    switch (*p) {
    case '(':
        r->p++;
        rc = read_coll(r, DT_EDN_LIST, ')', at, NULL, out);
        break;
    case '[':
        r->p++;
        rc = read_coll(r, DT_EDN_VECTOR, ']', at, NULL, out);
        break;
    case '{':
        r->p++;
        rc = read_coll(r, DT_EDN_MAP, '}', at, NULL, out);
        break;
    case '"':
        rc = read_string(r, at, out);
        break;
    case '\\':
        rc = read_char(r, at, out);
        break;
    case '#':
        rc = read_dispatch(r, at, out);
        break;
    case '^':
        r->p++;
        return read_meta(r, at, out); /* the form keeps its own position */
    default:
        if (edn_cls[*p] == EDN_K_CTRL)
            return fail_pos(r, at, DT_EDN_ERR_UTF8, "control character 0x%02x outside a string", *p);
        if ((*p == '+' || *p == '-') && p + 1 >= r->end && !r->eof)
            return RD_MORE;
        if ((*p >= '0' && *p <= '9') ||
            ((*p == '+' || *p == '-') && p + 1 < r->end && p[1] >= '0' && p[1] <= '9'))
            rc = read_number(r, at, out);
        else if (*p == '@' || *p == '`' || *p == '~')
            return fail_pos(r, at, DT_EDN_ERR_TOKEN, "invalid leading character: %c", *p);
        else
            rc = read_token(r, at, out);
    }
    if (rc == RD_OK)
        set_pos(out, at);
    return rc;
}

/* The next form, past whitespace, comments and #_ discards: RD_OK, or
 * RD_NONE with r->p at a closing delimiter or the end. */
static int read_next(rd *r, dt_edn_value *out)
{
    for (;;) {
        int rc = skip_ws(r);
        if (rc)
            return rc;
        const uint8_t *p = r->p;
        if (p >= r->end || *p == ')' || *p == ']' || *p == '}')
            return RD_NONE;
        if (*p == '#' && p + 1 >= r->end && !r->eof)
            return RD_MORE;
        if (*p == '#' && p + 1 < r->end && p[1] == '_') {
            pos at = pos_at(r, p);
            r->p += 2;
            if ((rc = read_discard(r, at)))
                return rc;
            continue;
        }
        return read_form(r, out);
    }
}

/* ---- the reader: streams of top-level values ---- */

struct dt_edn_reader {
    rd r;
    int fd; /* -1: memory */
    char *what;
    uint8_t *buf; /* descriptor: the bytes at hand, from buf */
    size_t cap;
    uint64_t max_value;
    int failed; /* the DATOM_E* code of a reported error, or 0 */
};

static void rd_init(rd *r, const dt_edn_options *o)
{
    memset(r, 0, sizeof *r);
    r->line = 1;
    r->cc_col = 1;
    uint32_t d = o ? o->max_depth : 0;
    r->max_depth = (d == 0 || d > DT_EDN_MAX_DEPTH) ? DT_EDN_MAX_DEPTH : d;
}

dt_edn_reader *dt_edn_reader_new_mem(const char *src, size_t n, const dt_edn_options *o)
{
    dt_edn_reader *R = dt_calloc(1, sizeof *R);
    rd_init(&R->r, o);
    R->fd = -1;
    R->r.start = R->r.p = (const uint8_t *)(src ? src : "");
    R->r.end = R->r.start + n;
    R->r.eof = true;
    return R;
}

dt_edn_reader *dt_edn_reader_new_fd(int fd, const char *what, const dt_edn_options *o)
{
    dt_edn_reader *R = dt_calloc(1, sizeof *R);
    rd_init(&R->r, o);
    R->fd = fd;
    R->what = what ? dt_strdup(what) : NULL;
    R->max_value = (o && o->max_value_bytes) ? o->max_value_bytes : DEFAULT_MAX_VALUE;
    R->r.start = R->r.p = R->r.end = (const uint8_t *)"";
    return R;
}

void dt_edn_reader_free(dt_edn_reader *R)
{
    if (!R)
        return;
    free(R->r.stk);
    dt_buf_free(&R->r.tmp);
    free(R->buf);
    free(R->what);
    free(R);
}

const dt_edn_error *dt_edn_reader_error(const dt_edn_reader *R) { return &R->r.err; }

/* Records the error in the thread's message: "[WHAT:]LINE:COL: reason". */
static int report(dt_edn_reader *R)
{
    const dt_edn_error *e = &R->r.err;
    int code = e->code == DT_EDN_ERR_IO ? DATOM_EIO : DATOM_EINVAL;
    R->failed = code;
    if (e->line == 0) /* not at a place in the text */
        return dt_error(code, "%s%s%s", R->what ? R->what : "", R->what ? ": " : "", e->msg);
    return dt_error(code, "%s%s%u:%u: %s", R->what ? R->what : "", R->what ? ":" : "", e->line, e->col,
                    e->msg);
}

/* Keeps the bytes from r->p (the start of the value to read again), and
 * reads at least as many more: the value at hand may have grown twice over
 * when it runs out again. */
static int refill(dt_edn_reader *R)
{
    rd *r = &R->r;
    col_at(r, r->p); /* the column cache must not point at bytes about to go */
    size_t keep = (size_t)(r->end - r->p), drop = (size_t)(r->p - r->start);
    if (keep >= R->max_value)
        return fail(r, r->p, DT_EDN_ERR_LIMIT, "a top-level value of more than %llu bytes",
                    (unsigned long long)R->max_value);
    if (keep)
        memmove(R->buf, R->buf + drop, keep);
    r->base += drop;
    /* at least double what is kept (O(n) rereading in all), yet never wait
     * for more than one byte beyond it at the start of a value (pipes) */
    size_t need = keep + DT_MAX(keep, (size_t)1), want = DT_MAX(READ_CHUNK, 2 * keep);
    if (R->cap < want) {
        R->cap = want;
        R->buf = dt_realloc(R->buf, R->cap);
    }
    size_t len = keep;
    while (len < need) {
        ssize_t got = read(R->fd, R->buf + len, R->cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            r->err = (dt_edn_error){.code = DT_EDN_ERR_IO};
            snprintf(r->err.msg, sizeof r->err.msg, "read: %s", strerror(errno));
            return RD_FAIL;
        }
        if (got == 0) {
            r->eof = true;
            break;
        }
        len += (size_t)got;
    }
    r->start = r->p = R->buf;
    r->end = R->buf + len;
    return RD_OK;
}

typedef struct rd_state {
    size_t p;
    uint32_t line, cc_col;
    uint64_t line_start, cc_off;
} rd_state;

static rd_state save(const rd *r)
{
    return (rd_state){(size_t)(r->p - r->start), r->line, r->cc_col, r->line_start, r->cc_off};
}

static void restore(rd *r, rd_state s)
{
    r->p = r->start + s.p;
    r->line = s.line;
    r->cc_col = s.cc_col;
    r->line_start = s.line_start;
    r->cc_off = s.cc_off;
    r->sn = 0;
    r->depth = 0;
}

/* The next top-level value into *v: RD_OK, RD_NONE at the end, RD_FAIL. */
static int next_value(dt_edn_reader *R, dt_edn_doc *doc, dt_edn_value *v)
{
    rd *r = &R->r;
    r->doc = doc;
    for (;;) {
        int rc = skip_ws(r); /* whitespace before a value is never kept for a retry */
        rd_state st = save(r);
        edn_mark m = edn_mark_get(doc);
        if (rc == RD_OK)
            rc = read_next(r, v);
        if (rc == RD_MORE && R->fd >= 0) {
            edn_mark_rollback(doc, m);
            restore(r, st);
            if (refill(R) == RD_FAIL)
                return RD_FAIL;
            continue;
        }
        if (rc == RD_NONE && r->p < r->end)
            rc = fail(r, r->p, DT_EDN_ERR_DELIM, "unmatched delimiter %c", *r->p);
        if (rc == RD_FAIL)
            edn_mark_rollback(doc, m);
        return rc;
    }
}

int dt_edn_reader_next(dt_edn_reader *R, dt_edn_doc *doc, const dt_edn_value **out)
{
    *out = NULL;
    if (R->failed)
        return report(R);
    dt_edn_value v;
    int rc = next_value(R, doc, &v);
    if (rc == RD_FAIL)
        return report(R);
    if (rc == RD_OK) {
        dt_edn_value *pv = edn_alloc(doc, sizeof v);
        *pv = v;
        *out = pv;
    }
    return 0;
}

static int give_error(dt_edn_reader *R, dt_edn_error *err)
{
    int rc = report(R);
    if (err)
        *err = R->r.err;
    dt_edn_reader_free(R);
    return rc;
}

int dt_edn_read(dt_edn_doc *doc, const char *src, size_t n, const dt_edn_options *o,
                const dt_edn_value **out, dt_edn_error *err)
{
    *out = NULL;
    dt_edn_reader *R = dt_edn_reader_new_mem(src, n, o);
    edn_mark m = edn_mark_get(doc);
    dt_edn_value v, more;
    int rc = next_value(R, doc, &v);
    if (rc == RD_NONE)
        rc = fail(&R->r, R->r.p, DT_EDN_ERR_EOF, "no value: the input is empty");
    if (rc == RD_OK) {
        rc = next_value(R, doc, &more);
        if (rc == RD_OK)
            rc = fail_pos(&R->r, (pos){more.line, more.col, more.off}, DT_EDN_ERR_TRAILING,
                          "more after the value (one was expected)");
        else if (rc == RD_NONE)
            rc = RD_OK;
    }
    if (rc) {
        edn_mark_rollback(doc, m);
        return give_error(R, err);
    }
    dt_edn_value *pv = edn_alloc(doc, sizeof v);
    *pv = v;
    *out = pv;
    dt_edn_reader_free(R);
    return 0;
}

/* Every value of R into an array in DOC. */
static int read_rest(dt_edn_reader *R, dt_edn_doc *doc, const dt_edn_value **items, size_t *count,
                     dt_edn_error *err)
{
    *items = NULL;
    *count = 0;
    edn_mark m = edn_mark_get(doc);
    dt_edn_vec vec = DT_EDN_VEC_INIT;
    dt_edn_value v;
    int rc;
    while ((rc = next_value(R, doc, &v)) == RD_OK)
        dt_edn_vec_push(&vec, v);
    if (rc == RD_FAIL) {
        dt_edn_vec_free(&vec);
        edn_mark_rollback(doc, m);
        return give_error(R, err);
    }
    if (vec.n) {
        dt_edn_value *arr = edn_alloc(doc, vec.n * sizeof(dt_edn_value));
        memcpy(arr, vec.v, vec.n * sizeof(dt_edn_value));
        *items = arr;
        *count = vec.n;
    }
    dt_edn_vec_free(&vec);
    dt_edn_reader_free(R);
    return 0;
}

int dt_edn_read_all(dt_edn_doc *doc, const char *src, size_t n, const dt_edn_options *o,
                    const dt_edn_value **items, size_t *count, dt_edn_error *err)
{
    return read_rest(dt_edn_reader_new_mem(src, n, o), doc, items, count, err);
}

int dt_edn_read_file(dt_edn_doc *doc, const char *path, const dt_edn_options *o,
                     const dt_edn_value **items, size_t *count, dt_edn_error *err)
{
    *items = NULL;
    *count = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (err) {
            *err = (dt_edn_error){.code = DT_EDN_ERR_IO};
            snprintf(err->msg, sizeof err->msg, "%s", strerror(e));
        }
        return dt_error_errno(e, "%s", path);
    }
    int rc = read_rest(dt_edn_reader_new_fd(fd, path, o), doc, items, count, err);
    close(fd);
    return rc;
}

const char *dt_edn_errcode_name(dt_edn_errcode code)
{
    static const char *names[] = {"ok",  "eof",       "delimiter", "token",    "number", "string",
                                  "char", "utf8",     "map",       "duplicate", "dispatch", "inst",
                                  "uuid", "depth",    "limit",     "trailing",  "io"};
    return (unsigned)code < DT_ARRAY_LEN(names) ? names[code] : "unknown";
}
