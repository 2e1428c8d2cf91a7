/*
 * redact.c: credentials in URLs are never shown and never stored.
 *
 * A URL may carry a secret in two places: its user information
 * (https://alice:TOKEN@host/..., where a token alone may stand as the user)
 * and query parameters (?token=..., X-Amz-Signature=...). dt_redact hides
 * both in any text: error messages pass through it when they are recorded
 * (error.c) and log lines when they are printed (log.c), so a URL echoed by
 * any layer, or by libgit2 inside one of its messages, reaches the user
 * redacted; output that shows a URL (status, --json) calls it too.
 * dt_url_strip_userinfo removes the user information from a URL that is
 * about to be stored (project.yaml, git's configuration).
 *
 * A password is meant to be percent-encoded, but real ones hold '/' (AWS
 * secret keys do): when the authority holds a ':' and an '@' follows later
 * in the same word, everything up to that '@' is taken as user information.
 * That can hide a little too much of an odd URL (a port, then an '@' in the
 * path), never too little.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

#define HIDDEN "***"

static bool word_end(char c)
{
    return c == '\0' || isspace((unsigned char)c) || c == '"' || c == '\'' || c == '`' ||
           c == '<' || c == '>';
}

/* Does a URL scheme ([A-Za-z][A-Za-z0-9+.-]*) end just before TEXT + AT? */
static bool scheme_before(const char *text, size_t at)
{
    size_t i = at;
    while (i > 0 && (isalnum((unsigned char)text[i - 1]) || text[i - 1] == '+' ||
                     text[i - 1] == '.' || text[i - 1] == '-'))
        i--;
    while (i < at && !isalpha((unsigned char)text[i]))
        i++; /* a scheme starts with a letter */
    return i < at;
}

/* The length of the user information at S (just after "://"), '@' excluded,
 * or 0 when there is none. */
static size_t userinfo_len(const char *s)
{
    size_t auth = 0, at = 0;
    bool colon = false;
    for (; !word_end(s[auth]) && !strchr("/?#", s[auth]); auth++) {
        if (s[auth] == '@')
            at = auth + 1; /* the last '@' of the authority */
        colon |= s[auth] == ':';
    }
    if (at)
        return at - 1;
    if (!colon)
        return 0;
    /* user:pass with a raw '/' in pass: the '@' comes after the first '/' */
    for (size_t i = auth; !word_end(s[i]) && !strchr("?#", s[i]); i++)
        if (s[i] == '@')
            at = i + 1;
    return at ? at - 1 : 0;
}

static bool secret_param(const char *name, size_t n)
{
    static const char *const words[] = {"secret", "token", "pass", "sig", "key", "credential",
                                        "auth", "pwd"};
    for (size_t w = 0; w < DT_ARRAY_LEN(words); w++) {
        size_t k = strlen(words[w]);
        for (size_t i = 0; i + k <= n; i++)
            if (!strncasecmp(name + i, words[w], k))
                return true;
    }
    return false;
}

/* Appends the query at Q ("?a=b&c=d", up to the end of the word) to OUT with
 * secret-looking values hidden; returns the length consumed. */
static size_t redact_query(const char *q, dt_buf *out)
{
    size_t i = 0;
    while (!word_end(q[i]) && q[i] != '#') {
        dt_buf_putc(out, q[i++]); /* '?' or '&' */
        size_t name = i;
        while (!word_end(q[i]) && !strchr("=&#", q[i]))
            i++;
        dt_buf_append(out, q + name, i - name);
        if (q[i] != '=')
            continue;
        dt_buf_putc(out, q[i++]);
        size_t val = i;
        while (!word_end(q[i]) && !strchr("&#", q[i]))
            i++;
        if (secret_param(q + name, val - 1 - name) && i > val) {
            dt_buf_puts(out, HIDDEN);
        } else { /* a value may be a URL itself (endpoint=https://u:p@host) */
            char *v = dt_strndup(q + val, i - val), *r = dt_redact(v);
            dt_buf_puts(out, r);
            free(r);
            free(v);
        }
    }
    return i;
}

char *dt_redact(const char *text)
{
    dt_buf out = DT_BUF_INIT;
    if (!text)
        return dt_strdup("");
    size_t i = 0, n = strlen(text);
    while (i < n) {
        const char *sep = strstr(text + i, "://");
        if (!sep) {
            dt_buf_append(&out, text + i, n - i);
            break;
        }
        size_t at = (size_t)(sep - text);
        dt_buf_append(&out, text + i, at + 3 - i);
        i = at + 3;
        if (!scheme_before(text, at))
            continue;
        size_t ui = userinfo_len(text + i);
        if (ui) {
            dt_buf_puts(&out, HIDDEN);
            i += ui;
        }
        /* the rest of this URL: its query, if any, with secrets hidden */
        while (!word_end(text[i]) && text[i] != '?' && strncmp(text + i, "://", 3))
            dt_buf_putc(&out, text[i++]);
        if (text[i] == '?')
            i += redact_query(text + i, &out);
    }
    return out.data ? dt_buf_detach(&out) : dt_strdup("");
}

char *dt_pct_decode(const char *s, size_t n)
{
    dt_buf b = DT_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            dt_buf_putc(&b, s[i]);
            continue;
        }
        int hi = i + 2 < n ? dt_hex_digit(s[i + 1]) : -1;
        int lo = i + 2 < n ? dt_hex_digit(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi | lo) == 0) {
            dt_buf_free(&b);
            return NULL;
        }
        dt_buf_putc(&b, (char)(hi * 16 + lo));
        i += 2;
    }
    return b.data ? dt_buf_detach(&b) : dt_strdup("");
}

/* S[0, n) decoded, or as it is when it holds a bad escape (caller frees). */
static char *pct_decode_lenient(const char *s, size_t n)
{
    char *d = dt_pct_decode(s, n);
    return d ? d : dt_strndup(s, n);
}

char *dt_url_strip_userinfo(const char *url, char **user, char **pass)
{
    if (user)
        *user = NULL;
    if (pass)
        *pass = NULL;
    const char *sep = strstr(url, "://");
    if (!sep || !scheme_before(url, (size_t)(sep - url)))
        return dt_strdup(url);
    const char *ui = sep + 3;
    size_t n = userinfo_len(ui);
    if (!n)
        return dt_strdup(url);
    const char *colon = memchr(ui, ':', n);
    size_t ulen = colon ? (size_t)(colon - ui) : n;
    if (user)
        *user = pct_decode_lenient(ui, ulen);
    if (pass && colon)
        *pass = pct_decode_lenient(colon + 1, n - ulen - 1);
    return dt_sprintf("%.*s%s", (int)(ui - url), url, ui + n + 1);
}
