/*
 * histscan.c: one pass over a version_history.json (see histscan.h). A small
 * recursive-descent JSON reader: values it does not keep are validated and
 * skipped; strings it keeps are unescaped in place in a private copy of the
 * document and NUL-terminated there (an unescaped string is never longer than
 * its JSON spelling, and its closing quote leaves room for the NUL).
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "project/histscan.h"

#define MAX_DEPTH 64

typedef struct scanner {
    char *p;    /* the working copy */
    size_t len; /* its length */
    size_t i;   /* the cursor */
    const char *what;
    int rc;
} scanner;

static int fail(scanner *s, const char *why)
{
    if (!s->rc)
        s->rc = dt_error(DATOM_ECORRUPT, "%s: invalid JSON at byte %zu: %s", s->what, s->i, why);
    return s->rc;
}

static void skip_ws(scanner *s)
{
    while (s->i < s->len && (s->p[s->i] == ' ' || s->p[s->i] == '\n' || s->p[s->i] == '\r' ||
                             s->p[s->i] == '\t'))
        s->i++;
}

static bool eat(scanner *s, char c)
{
    skip_ws(s);
    if (s->i < s->len && s->p[s->i] == c) {
        s->i++;
        return true;
    }
    return false;
}

static bool read_u4(scanner *s, size_t at, unsigned *out)
{
    if (at + 4 > s->len)
        return false;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = dt_hex_digit(s->p[at + (size_t)k]);
        if (h < 0)
            return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

/* Bytes that a JSON string holds as they are: not '"', '\\' or a control. */
static const unsigned char plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* The end of the run of plain bytes from I: 16 at a time where SSE2 is
 * (a history is mostly 64-digit SHAs), then by the table. */
static size_t plain_run(const unsigned char *p, size_t i, size_t n)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                  control = _mm_set1_epi8(0x1f);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                    _mm_cmpeq_epi8(_mm_min_epu8(v, control), v)); /* v <= 0x1f */
        int mask = _mm_movemask_epi8(stop);
        if (mask)
            return i + (size_t)__builtin_ctz((unsigned)mask);
    }
#endif
    while (i < n && plain[p[i]])
        i++;
    return i;
}

/* A string at the cursor (after skip_ws), unescaped in place; its start in
 * *out (NUL-terminated) when KEEP. */
static int string(scanner *s, bool keep, const char **out)
{
    if (!eat(s, '"'))
        return fail(s, "expected a string");
    char *start = s->p + s->i;
    /* the common case: no escape, nothing to move (the hottest loop of
     * `datom history`) */
    s->i = plain_run((const unsigned char *)s->p, s->i, s->len);
    size_t w = s->i; /* write position */
    for (;;) {
        if (s->i >= s->len)
            return fail(s, "unterminated string");
        unsigned char c = (unsigned char)s->p[s->i];
        if (c == '"') {
            s->i++;
            break;
        }
        if (c < 0x20)
            return fail(s, "control character in a string");
        if (c != '\\') {
            s->p[w++] = (char)c;
            s->i++;
            continue;
        }
        if (s->i + 1 >= s->len)
            return fail(s, "unterminated escape");
        char e = s->p[s->i + 1];
        s->i += 2;
        switch (e) {
        case '"': s->p[w++] = '"'; break;
        case '\\': s->p[w++] = '\\'; break;
        case '/': s->p[w++] = '/'; break;
        case 'b': s->p[w++] = '\b'; break;
        case 'f': s->p[w++] = '\f'; break;
        case 'n': s->p[w++] = '\n'; break;
        case 'r': s->p[w++] = '\r'; break;
        case 't': s->p[w++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (!read_u4(s, s->i, &cp))
                return fail(s, "bad \\u escape");
            s->i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && s->i + 6 <= s->len && s->p[s->i] == '\\' &&
                s->p[s->i + 1] == 'u' && read_u4(s, s->i + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s->i += 6;
            }
            w += dt_utf8_encode(cp, s->p + w); /* 6 or 12 bytes of escape hold 1 to 4 bytes */
            break;
        }
        default: return fail(s, "bad escape");
        }
    }
    /* the closing quote at s->i - 1 >= w: room for the NUL */
    s->p[w] = '\0';
    if (keep)
        *out = start;
    return 0;
}

static int value(scanner *s, int depth);

static int number_or_literal(scanner *s)
{
    skip_ws(s);
    static const char *const lits[] = {"true", "false", "null"};
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(lits[k]);
        if (s->i + n <= s->len && !memcmp(s->p + s->i, lits[k], n)) {
            s->i += n;
            return 0;
        }
    }
    size_t b = s->i;
    if (s->i < s->len && s->p[s->i] == '-')
        s->i++;
    while (s->i < s->len && strchr("0123456789.eE+-", s->p[s->i]))
        s->i++;
    if (s->i == b || (s->p[b] == '-' && s->i == b + 1))
        return fail(s, "expected a value");
    return 0;
}

static int container(scanner *s, int depth, bool object)
{
    if (depth > MAX_DEPTH)
        return fail(s, "nested too deeply");
    char close = object ? '}' : ']';
    if (eat(s, close))
        return 0;
    do {
        if (object) {
            const char *k;
            if (string(s, false, &k) || !eat(s, ':'))
                return fail(s, "expected a key and ':'");
        }
        if (value(s, depth + 1))
            return s->rc;
    } while (eat(s, ','));
    return eat(s, close) ? 0 : fail(s, object ? "expected ',' or '}'" : "expected ',' or ']'");
}

static int value(scanner *s, int depth)
{
    skip_ws(s);
    if (s->i >= s->len)
        return fail(s, "unexpected end");
    char c = s->p[s->i];
    if (c == '"') {
        const char *ignored;
        return string(s, false, &ignored);
    }
    if (c == '{' || c == '[') {
        s->i++;
        return container(s, depth, c == '{');
    }
    return number_or_literal(s);
}

/* A string value to keep, or any other value skipped (field then NULL). */
static int keep_string(scanner *s, const char **field)
{
    skip_ws(s);
    if (s->i < s->len && s->p[s->i] == '"')
        return string(s, true, field);
    *field = NULL;
    return value(s, 2);
}

static int author(scanner *s, dt_hist_entry *e)
{
    skip_ws(s);
    if (s->i < s->len && s->p[s->i] == '"')
        return string(s, true, &e->author_name); /* an old writer's "Name" string */
    if (!eat(s, '{'))
        return value(s, 2);
    if (eat(s, '}'))
        return 0;
    do {
        const char *k;
        if (string(s, true, &k) || !eat(s, ':'))
            return fail(s, "expected a key and ':'");
        if (!strcmp(k, "name"))
            keep_string(s, &e->author_name);
        else if (!strcmp(k, "email"))
            keep_string(s, &e->author_email);
        else
            value(s, 3);
        if (s->rc)
            return s->rc;
    } while (eat(s, ','));
    return eat(s, '}') ? 0 : fail(s, "expected ',' or '}'");
}

static int entry(scanner *s, dt_hist_entry *e)
{
    static const struct {
        const char *key;
        size_t off;
    } fields[] = {
        {"version", offsetof(dt_hist_entry, version)},
        {"data_sha", offsetof(dt_hist_entry, data_sha)},
        {"timestamp", offsetof(dt_hist_entry, timestamp)},
        {"commit_message", offsetof(dt_hist_entry, message)},
        {"parquet_sha", offsetof(dt_hist_entry, parquet_sha)},
        {"original_file_sha", offsetof(dt_hist_entry, original_file_sha)},
    };
    memset(e, 0, sizeof *e);
    skip_ws(s);
    e->start = s->i;
    if (!eat(s, '{'))
        return fail(s, "a history entry is not an object");
    if (!eat(s, '}')) {
        do {
            const char *k;
            if (string(s, true, &k) || !eat(s, ':'))
                return fail(s, "expected a key and ':'");
            bool done = false;
            for (size_t f = 0; f < DT_ARRAY_LEN(fields) && !done; f++)
                if (k[0] == fields[f].key[0] && !strcmp(k, fields[f].key)) {
                    keep_string(s, (const char **)((char *)e + fields[f].off));
                    done = true;
                }
            if (!done && !strcmp(k, "author"))
                author(s, e);
            else if (!done)
                value(s, 2);
            if (s->rc)
                return s->rc;
        } while (eat(s, ','));
        if (!eat(s, '}'))
            return fail(s, "expected ',' or '}'");
    }
    e->end = s->i;
    return 0;
}

static bool entry_ok(const dt_hist_entry *e)
{
    return e->version && dt_is_sha_hex(e->version) && e->data_sha && dt_is_sha_hex(e->data_sha);
}

/* The error for entry I (counted from 1), which is not entry_ok. */
static int entry_error(const dt_hist_entry *e, size_t i, const char *what)
{
    const char *field = !e->version || !dt_is_sha_hex(e->version) ? "version" : "data_sha";
    return dt_error(DATOM_ECORRUPT, "%s: entry %zu: \"%s\" is not a 64-digit SHA-256", what, i,
                    field);
}

/* Scans out->work in place. */
static int scan(dt_hist_scan *out, const char *what)
{
    scanner s = {(char *)out->work.data, out->work.len, 0, what, 0};
    size_t cap = 0, bad = 0;
    if (!eat(&s, '['))
        fail(&s, "version history is not a JSON array");
    else if (!eat(&s, ']')) {
        /* room for as many entries as a history written by datom can hold
         * (each is over 400 bytes), taken in one call rather than a page
         * fault at a time; a denser document grows it below */
        dt_buf room = DT_BUF_INIT;
        cap = s.len / 400 + 64;
        dt_buf_reserve_mapped(&room, cap * sizeof *out->v);
        out->v = (dt_hist_entry *)(void *)room.data;
        do {
            if (out->n == cap) {
                cap *= 2;
                out->v = dt_realloc(out->v, cap * sizeof *out->v);
            }
            if (entry(&s, &out->v[out->n]))
                break;
            /* checked now, while its text is still in the cache; reported
             * after the scan, whose own errors come first */
            if (!bad && !entry_ok(&out->v[out->n]))
                bad = out->n + 1;
            out->n++;
        } while (eat(&s, ','));
        if (!s.rc && !eat(&s, ']'))
            fail(&s, "expected ',' or ']'");
    }
    skip_ws(&s);
    if (!s.rc && s.i != s.len)
        fail(&s, "text after the array");
    int rc = s.rc ? s.rc : bad ? entry_error(&out->v[bad - 1], bad, what) : 0;
    if (rc)
        dt_hist_scan_free(out);
    return rc;
}

int dt_hist_scan_doc(dt_buf *doc, const char *what, dt_hist_scan *out)
{
    memset(out, 0, sizeof *out);
    out->raw = *doc;
    *doc = (dt_buf)DT_BUF_INIT;
    dt_buf_reserve_mapped(&out->work, out->raw.len);
    dt_buf_append(&out->work, out->raw.data ? out->raw.data : (uint8_t *)"", out->raw.len);
    return scan(out, what);
}

int dt_hist_scan_take(dt_buf *doc, const char *what, dt_hist_scan *out)
{
    memset(out, 0, sizeof *out);
    out->work = *doc;
    *doc = (dt_buf)DT_BUF_INIT;
    if (!out->work.data)
        dt_buf_puts(&out->work, "");
    return scan(out, what);
}

void dt_hist_scan_free(dt_hist_scan *s)
{
    free(s->v);
    dt_buf_free(&s->raw);
    dt_buf_free(&s->work);
    memset(s, 0, sizeof *s);
}
