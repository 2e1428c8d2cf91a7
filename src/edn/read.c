/*
 * read.c: the EDN reader's forms, as Clojure's EdnReader reads them
 * (docs/formats.md, "EDN"): whitespace and comments, tokens (symbols,
 * keywords, nil, true, false, numbers), collections, and the # forms
 * (sets, discard, tags, ##, namespaced maps, metadata). Strings and
 * characters are in literal.c, reader objects in stream.c (reader.h).
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
 * Invariants: (1) line and line_start describe rd.p, and the column cache
 * (cc_off, cc_col) is never before line_start's line nor beyond rd.p;
 * (2) a collection's items are on rd.stk from the depth it was entered at,
 * and the stack is back there when it returns, whatever it returns.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "edn/reader.h"

/* ---- positions and errors ---- */

/* Characters (bytes that do not continue a UTF-8 sequence) in [p, e). */
static uint64_t count_chars(const uint8_t *p, const uint8_t *e)
{
    uint64_t n = (uint64_t)(e - p);
    while (e - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if (w & 0x8080808080808080ull) {
            uint64_t cont = w & ~(w << 1) & 0x8080808080808080ull; /* 10xxxxxx */
            cont = (cont >> 7) * 0x0101010101010101ull >> 56;      /* how many */
            n -= cont;
        }
        p += 8;
    }
    for (; p < e; p++)
        n -= (*p & 0xC0) == 0x80;
    return n;
}

uint32_t edn_rd_col(rd *r, const uint8_t *p)
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

pos edn_rd_pos(rd *r, const uint8_t *p) { return (pos){r->line, edn_rd_col(r, p), abs_off(r, p)}; }

void edn_rd_newline(rd *r, const uint8_t *after)
{
    r->line++;
    r->line_start = abs_off(r, after);
}

int edn_rd_fail(rd *r, pos at, dt_edn_errcode code, const char *fmt, ...)
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

/* Input text for a message: valid UTF-8, control characters and bad bytes
 * as \xNN, at most about 48 bytes, "..." if cut. */
const char *edn_rd_show(char out[64], const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i = 0;
    while (i < n && o < 48) {
        uint32_t cp;
        size_t l = p[i] < 0x80 ? 1 : dt_utf8_decode(p + i, p + n, &cp);
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
int edn_rd_at_end(rd *r, pos at, const char *what)
{
    if (!r->eof)
        return RD_MORE;
    return edn_rd_fail(r, at, DT_EDN_ERR_EOF, "the input ends inside %s", what);
}

int edn_rd_bad_utf8(rd *r, const uint8_t *p)
{
    if (!r->eof && r->end - p < 4)
        return RD_MORE; /* maybe a sequence cut by the buffer */
    return rd_fail(r, p, DT_EDN_ERR_UTF8, "invalid UTF-8 (byte 0x%02x)", *p);
}

static int enter(rd *r, pos at)
{
    if (r->depth >= r->max_depth)
        return edn_rd_fail(r, at, DT_EDN_ERR_DEPTH, "nesting deeper than %u levels", r->max_depth);
    r->depth++;
    return RD_OK;
}

static void push(rd *r, const dt_edn_value *v)
{
    if (r->sn == r->scap) {
        size_t old = r->scap;
        r->scap *= 2;
        if (r->stk == r->stk0) {
            r->stk = dt_malloc(r->scap * sizeof(dt_edn_value));
            memcpy(r->stk, r->stk0, old * sizeof(dt_edn_value));
        } else {
            r->stk = dt_realloc(r->stk, r->scap * sizeof(dt_edn_value));
        }
        if (old >= 8192)
            dt_mem_populate(r->stk + old, (r->scap - old) * sizeof(dt_edn_value));
    }
    r->stk[r->sn++] = *v;
}

static void set_pos(dt_edn_value *v, pos at)
{
    v->line = at.line;
    v->col = at.col;
    v->off = at.off;
}

int edn_rd_next(rd *r, dt_edn_value *out);

/* ---- whitespace ---- */

/* Skips whitespace, commas and comments: r->p stops at the next form, a
 * closing delimiter or the end. RD_MORE when the end may not be the end. */
int edn_rd_skip_ws(rd *r)
{
    const uint8_t *p = r->p, *end = r->end;
    if (r->base == 0 && p == r->start && end - p >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        p += 3; /* a byte order mark some editors write: not part of the text */
        r->line_start = 3;
    }
    while (p < end) {
        uint8_t k = edn_cls[*p];
        if (k == EDN_K_WS) {
            p++;
        } else if (k == EDN_K_NL) {
            edn_rd_newline(r, ++p);
        } else if (*p == ';') {
            const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                r->p = p;
                return r->eof ? (r->p = end, RD_OK) : RD_MORE;
            }
            p = nl;
        } else if (k == EDN_K_HIGH) {
            uint32_t cp;
            size_t l = dt_utf8_decode(p, end, &cp);
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
int edn_rd_token_end(rd *r, const uint8_t *p, bool number, const uint8_t **out)
{
    const uint8_t *end = r->end;
    while (p < end) {
        uint8_t k = edn_cls[*p];
        if (k == EDN_K_SYM || (k == EDN_K_HASH && !number)) {
            p++;
            continue;
        }
        if (k == EDN_K_CTRL)
            return rd_fail(r, p, DT_EDN_ERR_UTF8, "control character 0x%02x outside a string", *p);
        if (k != EDN_K_HIGH)
            break;
        uint32_t cp;
        size_t l = dt_utf8_decode(p, end, &cp);
        if (!l)
            return edn_rd_bad_utf8(r, p);
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
    int rc = edn_rd_token_end(r, tok + 1, true, &e);
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
        return edn_rd_fail(r, at, DT_EDN_ERR_NUMBER, "invalid number %s: %s", edn_rd_show(buf, tok, n), why);
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

/* ---- interned symbols and keywords ----
 * A transaction names a few attributes thousands of times: each distinct
 * token is checked and copied once per top-level value. The table grows to
 * INTERN_SLOTS; a token not placed within INTERN_PROBES slots is simply not
 * interned, so no input makes a lookup cost more than that. */

#define INTERN_SLOTS 4096
#define INTERN_PROBES 8
#define INTERN_LEN 64

static uint64_t token_hash(const uint8_t *p, size_t n)
{
    uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull, w;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

void edn_rd_forget(rd *r)
{
    r->iused = 0;
    if (++r->igen == 0) { /* after 2^32 values: clear for real */
        memset(r->itab, 0, r->islots * sizeof *r->itab);
        r->igen = 1;
    }
}

static intern_slot *intern_probe(rd *r, uint64_t h, const uint8_t *tok, size_t n)
{
    uint32_t mask = r->islots - 1;
    for (uint32_t i = 0; i < INTERN_PROBES; i++) {
        intern_slot *s = &r->itab[(h + i) & mask];
        bool kw = *tok == ':';
        if (s->gen != r->igen ||
            (s->hash == h && s->len == n && s->keyword == kw && !memcmp(s->text, tok + kw, n - kw)))
            return s;
    }
    return NULL;
}

static void intern_grow(rd *r)
{
    intern_slot *old = r->itab;
    uint32_t n = r->islots;
    r->islots = n * 2;
    r->itab = dt_calloc(r->islots, sizeof *r->itab);
    for (uint32_t i = 0; i < n; i++)
        if (old[i].gen == r->igen) {
            for (uint32_t j = 0; j < INTERN_PROBES; j++) {
                intern_slot *s = &r->itab[(old[i].hash + j) & (r->islots - 1)];
                if (s->gen != r->igen) {
                    *s = old[i];
                    break;
                }
            }
        }
    if (old != r->itab0)
        free(old);
}

void edn_rd_init_bufs(rd *r)
{
    r->stk = r->stk0;
    r->scap = RD_STK0;
    r->itab = r->itab0;
    r->islots = RD_ITAB0;
}

void edn_rd_free_bufs(rd *r)
{
    if (r->stk != r->stk0)
        free(r->stk);
    if (r->itab != r->itab0)
        free(r->itab);
}

/* The slot for TOK: its entry, or an empty one to fill (none once the
 * table is full: what is in it is still found), or NULL. */
static intern_slot *intern_find(rd *r, const uint8_t *tok, size_t n, uint64_t *h)
{
    if (n > INTERN_LEN)
        return NULL;
    if (r->iused * 2 >= r->islots && r->islots < INTERN_SLOTS)
        intern_grow(r);
    *h = token_hash(tok, n);
    intern_slot *s = intern_probe(r, *h, tok, n);
    return (s && s->gen != r->igen && r->iused * 2 >= r->islots) ? NULL : s;
}

/* A symbol or keyword token (checked by the caller when not interned). */
static int named_token(rd *r, pos at, const uint8_t *tok, size_t n, dt_edn_value *out)
{
    bool kw = tok[0] == ':';
    dt_edn_kind kind = kw ? DT_EDN_KEYWORD : DT_EDN_SYMBOL;
    uint64_t h = 0;
    intern_slot *s = intern_find(r, tok, n, &h);
    if (s && s->gen == r->igen) {
        *out = (dt_edn_value){.kind = (uint8_t)kind, .aux = s->aux, .len = (uint32_t)(n - kw), .u.s = s->text};
        return RD_OK;
    }
    const char *why = edn_token_rules((const char *)tok, n);
    char buf[64];
    if (why)
        return edn_rd_fail(r, at, DT_EDN_ERR_TOKEN, "invalid token %s: %s", edn_rd_show(buf, tok, n), why);
    if (n > UINT32_MAX)
        return edn_rd_fail(r, at, DT_EDN_ERR_LIMIT, "a symbol of more than 4 GiB");
    *out = named_value(r, kind, (const char *)tok + kw, n - kw);
    if (s) {
        *s = (intern_slot){h, out->u.s, (uint32_t)n, r->igen, out->aux, kw};
        r->iused++;
    }
    return RD_OK;
}

static int read_token(rd *r, pos at, dt_edn_value *out)
{
    const uint8_t *tok = r->p, *e;
    int rc = edn_rd_token_end(r, tok, false, &e);
    if (rc)
        return rc;
    size_t n = (size_t)(e - tok);
    const char *t = (const char *)tok;
    r->p = e;
    if (n == 3 && !memcmp(t, "nil", 3))
        *out = dt_edn_nil();
    else if (n == 4 && !memcmp(t, "true", 4))
        *out = dt_edn_bool(true);
    else if (n == 5 && !memcmp(t, "false", 5))
        *out = dt_edn_bool(false);
    else
        return named_token(r, at, tok, n, out);
    return RD_OK;
}

/* ---- collections ---- */

static const char *coll_name(dt_edn_kind k)
{
    return k == DT_EDN_LIST ? "list" : k == DT_EDN_VECTOR ? "vector" : k == DT_EDN_MAP ? "map" : "set";
}

/* Key K of a #:ns{...} map, qualified: a key without a namespace takes NS,
 * one of namespace "_" loses it. Clojure would build :ns/5 from :5, which
 * no reader reads back: such a key is an error here. */
static int qualify_key(rd *r, dt_edn_value *k, const char *ns, size_t nslen)
{
    if (k->kind != DT_EDN_KEYWORD && k->kind != DT_EDN_SYMBOL)
        return RD_OK;
    size_t kns, kname;
    dt_edn_ns(k, &kns);
    const char *name = dt_edn_name(k, &kname);
    if (kns != 0 && !(kns == 1 && k->u.s[0] == '_'))
        return RD_OK;
    dt_buf text = DT_BUF_INIT;
    if (kns == 0) {
        dt_buf_append(&text, ns, nslen);
        dt_buf_putc(&text, '/');
    }
    dt_buf_append(&text, name, kname);
    bool kw = k->kind == DT_EDN_KEYWORD;
    const char *why = edn_symbol_check((const char *)text.data, text.len, kw);
    int rc = RD_OK;
    if (why)
        rc = edn_rd_fail(r, pos_of(k), DT_EDN_ERR_TOKEN, "in a namespaced map, %s%.*s would be %s%.*s: %s",
                         kw ? ":" : "", (int)DT_MIN(k->len, 60), k->u.s, kw ? ":" : "",
                         (int)DT_MIN(text.len, 60), (const char *)text.data, why);
    if (!why) {
        dt_edn_value q = named_value(r, (dt_edn_kind)k->kind, (const char *)text.data, text.len);
        set_pos(&q, pos_of(k));
        *k = q;
    }
    dt_buf_free(&text);
    return rc;
}

static int finish_coll(rd *r, dt_edn_kind kind, size_t base, pos at, dt_edn_value *out)
{
    size_t n = r->sn - base;
    if (kind == DT_EDN_MAP && n % 2)
        return edn_rd_fail(r, at, DT_EDN_ERR_MAP, "a map needs an even number of forms, this one has %zu", n);
    size_t dup = 0;
    const char *why = edn_make_coll(r->doc, kind, n ? r->stk + base : NULL, n, out, &dup);
    if (!why)
        return RD_OK;
    if (!dup)
        return edn_rd_fail(r, at, DT_EDN_ERR_LIMIT, "%s", why);
    const dt_edn_value *d = &r->stk[base + (kind == DT_EDN_MAP ? 2 * (dup - 1) : dup - 1)];
    char *text = dt_edn_to_string(d);
    edn_rd_fail(r, pos_of(d), DT_EDN_ERR_DUPLICATE, "%s %.100s%s in %s", why, text,
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
        rc = edn_rd_next(r, &v);
        if (rc == RD_NONE) {
            if (r->p >= r->end) {
                rc = r->eof ? edn_rd_fail(r, at, DT_EDN_ERR_EOF, "unterminated %s: the input ends before its %c",
                                       coll_name(kind), close)
                            : RD_MORE;
            } else if (*r->p != close) {
                rc = rd_fail(r, r->p, DT_EDN_ERR_DELIM, "unmatched delimiter %c: the %s at %u:%u needs %c",
                          *r->p, coll_name(kind), at.line, at.col, close);
            } else {
                r->p++;
                rc = RD_OK;
                for (size_t i = base; ns && i < r->sn && !rc; i += 2)
                    rc = qualify_key(r, &r->stk[i], ns->u.s, ns->len);
                if (!rc)
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
    int rc = edn_rd_next(r, out);
    if (rc != RD_NONE)
        return rc;
    if (r->p >= r->end)
        return edn_rd_at_end(r, at, what);
    return rd_fail(r, r->p, DT_EDN_ERR_DELIM, "unmatched delimiter %c: %s needs a form first", *r->p, what);
}

/* A form after a prefix, read, kept in *out only as long as nothing else
 * is read, then dropped from the document (#_ and metadata). */
static int dropped_form(rd *r, pos at, const char *what, dt_edn_value *out)
{
    edn_mark m = edn_mark_get(r->doc);
    int rc = prefixed_form(r, at, what, out);
    edn_mark_rollback(r->doc, m);
    edn_rd_forget(r);
    return rc;
}

static int read_discard(rd *r, pos at)
{
    int rc = enter(r, at);
    if (rc)
        return rc;
    dt_edn_value v;
    rc = dropped_form(r, at, "#_ (discard)", &v);
    r->depth--;
    return rc;
}

/* ^meta form and #^meta form: the metadata is read, checked and dropped. */
static int read_meta(rd *r, pos at, dt_edn_value *out)
{
    int rc = enter(r, at);
    if (rc)
        return rc;
    dt_edn_value meta;
    rc = dropped_form(r, at, "^ (metadata)", &meta);
    if (!rc && meta.kind != DT_EDN_SYMBOL && meta.kind != DT_EDN_KEYWORD && meta.kind != DT_EDN_STRING &&
        meta.kind != DT_EDN_MAP)
        rc = edn_rd_fail(r, pos_of(&meta), DT_EDN_ERR_DISPATCH,
                         "metadata must be a symbol, keyword, string or map");
    if (!rc)
        rc = prefixed_form(r, at, "^ (metadata)", out);
    if (!rc && out->kind != DT_EDN_SYMBOL && !dt_edn_is_coll(out))
        rc = edn_rd_fail(r, pos_of(out), DT_EDN_ERR_DISPATCH,
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
        return edn_rd_fail(r, at, DT_EDN_ERR_DISPATCH, "unknown symbolic value: ## must be followed by Inf, -Inf or NaN");
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
    pos vat = pos_of(v);
    dt_edn_errcode code = inst ? DT_EDN_ERR_INST : DT_EDN_ERR_UUID;
    if (v->kind != DT_EDN_STRING)
        return edn_rd_fail(r, vat, code, "#%s needs a string, not a %s", inst ? "inst" : "uuid",
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
        return edn_rd_fail(r, vat, code, "bad #%s \"%s\": %s", inst ? "inst" : "uuid",
                        edn_rd_show(buf, (const uint8_t *)v->u.s, v->len), why);
    return RD_OK;
}

/* #tag form: TAG a symbol; #inst and #uuid become instants and UUIDs. */
static int read_tagged(rd *r, pos at, dt_edn_value *out)
{
    int rc = enter(r, at);
    if (rc)
        return rc;
    dt_edn_value tag, v;
    pos tat = edn_rd_pos(r, r->p);
    rc = read_token(r, tat, &tag);
    if (!rc && tag.kind != DT_EDN_SYMBOL)
        rc = edn_rd_fail(r, tat, DT_EDN_ERR_DISPATCH, "a reader tag must be a symbol");
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
        return edn_rd_fail(r, at, DT_EDN_ERR_DISPATCH,
                        "a namespaced map must name its namespace (#:: needs a current namespace, which EDN has not)");
    int rc = enter(r, at);
    if (rc)
        return rc;
    dt_edn_value ns;
    rc = prefixed_form(r, at, "#:", &ns);
    size_t nslen = 0;
    if (!rc && (ns.kind != DT_EDN_SYMBOL || dt_edn_ns(&ns, &nslen)))
        rc = edn_rd_fail(r, at, DT_EDN_ERR_DISPATCH, "a namespaced map must specify a valid namespace");
    while (!rc && r->p < r->end && (edn_cls[*r->p] == EDN_K_WS || edn_cls[*r->p] == EDN_K_NL))
        if (*r->p++ == '\n')
            edn_rd_newline(r, r->p);
    if (!rc && r->p >= r->end)
        rc = edn_rd_at_end(r, at, "a namespaced map");
    if (!rc && *r->p != '{')
        rc = rd_fail(r, r->p, DT_EDN_ERR_DISPATCH, "a namespaced map must specify a map");
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
    return *s >= 0x80 && dt_utf8_decode(s, r->end, &cp) && !edn_unicode_space(cp);
}

static int read_dispatch(rd *r, pos at, dt_edn_value *out)
{
    const uint8_t *s = r->p + 1;
    if (s >= r->end)
        return edn_rd_at_end(r, at, "a # form");
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
        return edn_rd_fail(r, at, DT_EDN_ERR_DISPATCH, "unreadable form #<");
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
    size_t l = *s < 0x80 ? 1 : dt_utf8_decode(s, r->end, &cp);
    return edn_rd_fail(r, at, DT_EDN_ERR_DISPATCH, "no dispatch macro for #%s%s", edn_rd_show(buf, s, l ? l : 1),
                    *s == '"' ? " (EDN has no regular expressions)" : "");
}

/* ---- forms ---- */

/* One form, r->p at its first byte (not whitespace, not a closing delimiter). */
static int read_form(rd *r, dt_edn_value *out)
{
    const uint8_t *p = r->p;
    pos at = edn_rd_pos(r, p);
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
        rc = edn_rd_string(r, at, out);
        break;
    case '\\':
        rc = edn_rd_char(r, at, out);
        break;
    case '#':
        rc = read_dispatch(r, at, out);
        break;
    case '^':
        r->p++;
        return read_meta(r, at, out); /* the form keeps its own position */
    default:
        if (edn_cls[*p] == EDN_K_CTRL)
            return edn_rd_fail(r, at, DT_EDN_ERR_UTF8, "control character 0x%02x outside a string", *p);
        if ((*p == '+' || *p == '-') && p + 1 >= r->end && !r->eof)
            return RD_MORE;
        if ((*p >= '0' && *p <= '9') ||
            ((*p == '+' || *p == '-') && p + 1 < r->end && p[1] >= '0' && p[1] <= '9'))
            rc = read_number(r, at, out);
        else if (*p == '@' || *p == '`' || *p == '~')
            return edn_rd_fail(r, at, DT_EDN_ERR_TOKEN, "invalid leading character: %c", *p);
        else
            rc = read_token(r, at, out);
    }
    if (rc == RD_OK)
        set_pos(out, at);
    return rc;
}

/* The next form, past whitespace, comments and #_ discards: RD_OK, or
 * RD_NONE with r->p at a closing delimiter or the end. */
int edn_rd_next(rd *r, dt_edn_value *out)
{
    for (;;) {
        int rc = edn_rd_skip_ws(r);
        if (rc)
            return rc;
        const uint8_t *p = r->p;
        if (p >= r->end || *p == ')' || *p == ']' || *p == '}')
            return RD_NONE;
        if (*p == '#' && p + 1 >= r->end && !r->eof)
            return RD_MORE;
        if (*p == '#' && p + 1 < r->end && p[1] == '_') {
            pos at = edn_rd_pos(r, p);
            r->p += 2;
            if ((rc = read_discard(r, at)))
                return rc;
            continue;
        }
        return read_form(r, out);
    }
}
