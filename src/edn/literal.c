/*
 * literal.c: string and character literals as Clojure's EdnReader reads
 * them: the escapes \t \r \n \\ \" \b \f, \uXXXX (a surrogate pair
 * makes one character; half a pair is refused, UTF-8 having no place for
 * it) and \NNN octal up to \377; characters as one character, a name
 * (newline space tab backspace formfeed return), uXXXX or oNNN.
 *
 * A string without escapes is copied once, straight from the input; one
 * with escapes is decoded into rd.tmp first. Raw bytes are checked as
 * UTF-8 on the way, and newlines in strings counted.
 */
#include <string.h>

#include "edn/reader.h"

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
        return edn_rd_at_end(r, at, "a string");
    if (hex_value(*s) < 0)
        return rd_fail(r, s, DT_EDN_ERR_STRING, "invalid unicode escape: \\u%c", *s);
    uint32_t v = 0;
    int i = 0;
    for (; i < 4; i++, s++) {
        if (s >= end)
            return edn_rd_at_end(r, at, "a string");
        if (stops_digits(*s))
            break;
        int d = hex_value(*s);
        if (d < 0)
            return rd_fail(r, s, DT_EDN_ERR_STRING, "invalid digit in \\u escape: %c", *s);
        v = v * 16 + (uint32_t)d;
    }
    if (i != 4)
        return rd_fail(r, s, DT_EDN_ERR_STRING, "invalid character length: %d, should be: 4", i);
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
            return edn_rd_at_end(r, at, "a string");
        if (i > 0 && stops_digits(*s))
            break;
        if (*s < '0' || *s > '7')
            return rd_fail(r, s, DT_EDN_ERR_STRING, "invalid digit in octal escape: %c", *s);
        v = v * 8 + (uint32_t)(*s - '0');
    }
    if (v > 0377)
        return rd_fail(r, *sp - 1, DT_EDN_ERR_STRING, "octal escape sequence must be in range [0, 377]");
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
    return rd_fail(r, esc, DT_EDN_ERR_STRING,
                "unpaired surrogate \\u%04X (UTF-8 has no place for half a pair)", *cp);
}

/* One escape, S at the backslash: its code point in *cp, *sp past it. */
static int string_escape(rd *r, pos at, const uint8_t **sp, uint32_t *cp)
{
    const uint8_t *s = *sp + 1;
    if (s >= r->end)
        return edn_rd_at_end(r, at, "a string");
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
    size_t l = c < 0x80 ? 1 : dt_utf8_decode(s, r->end, &c);
    if (!l)
        return edn_rd_bad_utf8(r, s);
    char buf[64];
    return rd_fail(r, *sp, DT_EDN_ERR_STRING, "unsupported escape character: \\%s", edn_rd_show(buf, s, l));
}

static int string_done(rd *r, pos at, const char *text, size_t n, dt_edn_value *out)
{
    if (n > UINT32_MAX)
        return edn_rd_fail(r, at, DT_EDN_ERR_LIMIT, "a string of more than 4 GiB");
    *out = (dt_edn_value){.kind = DT_EDN_STRING, .len = (uint32_t)n, .u.s = edn_strdup(r->doc, text, n)};
    return RD_OK;
}

/* Walks a string's bytes from S: counts lines, checks UTF-8, decodes
 * escapes into r->tmp once ESCAPED. Stops at the closing quote. */
int edn_rd_string(rd *r, pos at, dt_edn_value *out)
{
    const uint8_t *q = r->p + 1, *s = q, *end = r->end;
    bool escaped = false;
    for (;;) {
        const uint8_t *run = s;
        s = plain_run(s, end);
        if (escaped)
            dt_buf_append(&r->tmp, run, (size_t)(s - run));
        if (s >= end)
            return edn_rd_at_end(r, at, "a string");
        const uint8_t *c = s;
        if (*s == '"')
            break;
        if (*s == '\n') {
            edn_rd_newline(r, ++s);
        } else if (*s >= 0x80) {
            uint32_t cp;
            size_t l = dt_utf8_decode(s, end, &cp);
            if (!l)
                return edn_rd_bad_utf8(r, s);
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
            dt_buf_append(&r->tmp, u, dt_utf8_encode(cp, u));
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
                return edn_rd_fail(r, at, DT_EDN_ERR_CHAR, "invalid digit in \\%s", edn_rd_show(buf, t, n));
            v = v * 16 + (uint32_t)d;
        }
        if (n != 5)
            return edn_rd_fail(r, at, DT_EDN_ERR_CHAR, "invalid unicode character: \\%s", edn_rd_show(buf, t, n));
        if (v >= 0xD800 && v <= 0xDFFF)
            return edn_rd_fail(r, at, DT_EDN_ERR_CHAR, "invalid character constant: \\%s (a surrogate)",
                            edn_rd_show(buf, t, n));
    } else if (t[0] == 'o') {
        if (n > 4)
            return edn_rd_fail(r, at, DT_EDN_ERR_CHAR, "invalid octal escape sequence length: %zu", n - 1);
        for (size_t i = 1; i < n; i++) {
            if (t[i] < '0' || t[i] > '7')
                return edn_rd_fail(r, at, DT_EDN_ERR_CHAR, "invalid digit in \\%s", edn_rd_show(buf, t, n));
            v = v * 8 + (uint32_t)(t[i] - '0');
        }
        if (v > 0377)
            return edn_rd_fail(r, at, DT_EDN_ERR_CHAR, "octal escape sequence must be in range [0, 377]");
    } else {
        return edn_rd_fail(r, at, DT_EDN_ERR_CHAR, "unsupported character: \\%s", edn_rd_show(buf, t, n));
    }
    *cp = v;
    return RD_OK;
}

int edn_rd_char(rd *r, pos at, dt_edn_value *out)
{
    const uint8_t *t = r->p + 1, *end = r->end;
    if (t >= end)
        return edn_rd_at_end(r, at, "a character literal");
    uint32_t cp = *t;
    size_t l = cp < 0x80 ? 1 : dt_utf8_decode(t, end, &cp);
    if (!l)
        return edn_rd_bad_utf8(r, t);
    if (cp == '\n')
        edn_rd_newline(r, t + 1);
    const uint8_t *e;
    int rc = edn_rd_token_end(r, t + l, false, &e);
    if (rc)
        return rc;
    size_t n = (size_t)(e - t);
    if (n > l && (rc = char_token(r, at, t, n, &cp)))
        return rc;
    *out = (dt_edn_value){.kind = DT_EDN_CHAR, .u.c = cp};
    r->p = e;
    return RD_OK;
}
