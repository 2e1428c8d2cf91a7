/*
 * regex.c: re-pattern, re-find, re-matches and re-seq (q.h) over PCRE2
 * (Debian's libpcre2-8), whose syntax is close to Java's. Patterns are
 * compiled once per run (a pattern given as a string is compiled on first
 * use and kept), UTF-8 mode, JIT when the machine has it.
 *
 * Results as Clojure's: no match is nil; a match is the matched string,
 * or, when the pattern has groups, a vector of the match and each group
 * (nil for a group that did not take part).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

struct q_regex {
    struct q_regex *next;
    pcre2_code *code;
    pcre2_match_data *md;
    uint32_t groups;
    dt_val source; /* the pattern's text (interned) */
};

void q_regex_free_all(q_ctx *x)
{
    for (struct q_regex *r = x->regexes, *next; r; r = next) {
        next = r->next;
        pcre2_match_data_free(r->md);
        pcre2_code_free(r->code);
        free(r);
    }
    x->regexes = NULL;
}

int q_regex_compile(q_ctx *x, const char *pat, size_t n, dt_val *out)
{
    dt_val src = q_string(x, DT_STRING, pat, n);
    for (struct q_regex *r = x->regexes; r; r = r->next)
        if (q_veq(r->source, src)) {
            *out = (dt_val){.type = DT_Q_REGEX, .u = (uintptr_t)r};
            return 0;
        }
    int err;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pat, n, PCRE2_UTF | PCRE2_NO_UTF_CHECK, &err, &off, NULL);
    if (!code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(err, msg, sizeof msg);
        return dt_error(DATOM_EINVAL, "bad regular expression at offset %zu: %s", (size_t)off, (const char *)msg);
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* when it cannot, matching is interpreted */
    struct q_regex *r = dt_calloc(1, sizeof *r);
    r->code = code;
    r->md = pcre2_match_data_create_from_pattern(code, NULL);
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &r->groups);
    r->source = src;
    r->next = x->regexes;
    x->regexes = r;
    *out = (dt_val){.type = DT_Q_REGEX, .u = (uintptr_t)r};
    return 0;
}

int q_fn_re_pattern(q_ctx *x, const dt_val *a, int n, dt_val *out)
{
    (void)n;
    if (a[0].type == DT_Q_REGEX) {
        *out = a[0];
        return 0;
    }
    if (a[0].type != DT_STRING)
        return dt_error(DATOM_EINVAL, "re-pattern takes a string, not %s", q_val_type_name(a[0]));
    return q_regex_compile(x, a[0].b->data, a[0].b->len, out);
}

/* The regex and the string of (re-xxx re s). */
static int args(q_ctx *x, const char *fn, const dt_val *a, struct q_regex **re, const dt_blob **s)
{
    dt_val r = a[0];
    if (r.type == DT_STRING && q_regex_compile(x, r.b->data, r.b->len, &r))
        return DATOM_EINVAL;
    if (r.type != DT_Q_REGEX)
        return dt_error(DATOM_EINVAL, "%s takes a pattern (re-pattern) or a string first, not %s", fn,
                        q_val_type_name(a[0]));
    if (a[1].type != DT_STRING)
        return dt_error(DATOM_EINVAL, "%s takes a string second, not %s", fn, q_val_type_name(a[1]));
    *re = (struct q_regex *)(uintptr_t)r.u;
    *s = a[1].b;
    return 0;
}

/* The match just made: the string, or [match group...]. */
static dt_val result(q_ctx *x, const struct q_regex *re, const dt_blob *s)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
    if (re->groups == 0)
        return q_string(x, DT_STRING, s->data + ov[0], ov[1] - ov[0]);
    dt_edn_vec items = DT_EDN_VEC_INIT;
    for (uint32_t g = 0; g <= re->groups; g++) {
        if (ov[2 * g] == PCRE2_UNSET)
            dt_edn_vec_push(&items, dt_edn_nil());
        else
            dt_edn_vec_push(&items, dt_edn_string(x->doc, s->data + ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
    }
    dt_edn_value *v = q_alloc(&x->arena, sizeof *v);
    dt_edn_coll(x->doc, DT_EDN_VECTOR, items.v, items.n, v);
    dt_edn_vec_free(&items);
    return q_from_edn(x, v);
}

static int match(const struct q_regex *re, const dt_blob *s, size_t from, uint32_t opts, int *rc)
{
    *rc = pcre2_match(re->code, (PCRE2_SPTR)s->data, s->len, from, opts | PCRE2_NO_UTF_CHECK, re->md, NULL);
    if (*rc >= 0)
        return 1;
    if (*rc == PCRE2_ERROR_NOMATCH)
        return 0;
    PCRE2_UCHAR msg[160];
    pcre2_get_error_message(*rc, msg, sizeof msg);
    return dt_error(DATOM_EINVAL, "regular expression: %s", (const char *)msg);
}

static int find_or_match(q_ctx *x, const char *fn, uint32_t opts, const dt_val *a, dt_val *out)
{
    struct q_regex *re = NULL;
    const dt_blob *s = NULL;
    if (args(x, fn, a, &re, &s))
        return DATOM_EINVAL;
    int rc, m = match(re, s, 0, opts, &rc);
    if (m < 0)
        return m;
    *out = m ? result(x, re, s) : dt_val_nil();
    return 0;
}

int q_fn_re_find(q_ctx *x, const dt_val *a, int n, dt_val *out)
{
    (void)n;
    return find_or_match(x, "re-find", 0, a, out);
}

int q_fn_re_matches(q_ctx *x, const dt_val *a, int n, dt_val *out)
{
    (void)n;
    return find_or_match(x, "re-matches", PCRE2_ANCHORED | PCRE2_ENDANCHORED, a, out);
}

#define SEQ_MAX 1000000

int q_fn_re_seq(q_ctx *x, const dt_val *a, int n, dt_val *out)
{
    (void)n;
    struct q_regex *re = NULL;
    const dt_blob *s = NULL;
    if (args(x, "re-seq", a, &re, &s))
        return DATOM_EINVAL;
    dt_edn_vec items = DT_EDN_VEC_INIT;
    size_t from = 0;
    int rc = 0;
    while (from <= s->len && items.n < SEQ_MAX) {
        int m = match(re, s, from, 0, &rc);
        if (m <= 0) {
            rc = m;
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
        dt_val v = result(x, re, s);
        dt_edn_vec_push(&items, q_to_edn(x, x->doc, v));
        if (ov[1] > ov[0]) {
            from = ov[1];
        } else { /* an empty match: step over one character */
            from = ov[1] + 1;
            while (from < s->len && ((unsigned char)s->data[from] & 0xC0) == 0x80)
                from++;
        }
    }
    if (rc < 0) {
        dt_edn_vec_free(&items);
        return rc;
    }
    if (items.n == 0) { /* Clojure: nil when nothing matches */
        *out = dt_val_nil();
        dt_edn_vec_free(&items);
        return 0;
    }
    dt_edn_value *v = q_alloc(&x->arena, sizeof *v);
    dt_edn_coll(x->doc, DT_EDN_LIST, items.v, items.n, v);
    dt_edn_vec_free(&items);
    *out = q_from_edn(x, v);
    return 0;
}
