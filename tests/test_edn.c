/*
 * test_edn.c: the EDN layer (src/edn): every form and escape, every error
 * with its position, round trips, the semantics of equality, order and
 * hash, depth and size limits, hostile and huge input, builders, the
 * printers (compact, pretty, JSON), files and descriptors.
 */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <sys/wait.h>

#include "edn/edn.h"
#include "t.h"

static dt_edn_doc *doc;

static char *repeat(const char *unit, size_t times, const char *tail);

static void fresh(void)
{
    dt_edn_doc_free(doc);
    doc = dt_edn_doc_new();
}

/* Reads exactly one value of S or fails the test. */
static const dt_edn_value *rd(const char *s)
{
    const dt_edn_value *v;
    dt_edn_error e;
    if (dt_edn_read(doc, s, strlen(s), NULL, &v, &e))
        T_FAIL("read %s: %s", s, datom_errmsg());
    return v;
}

static char *pr(const dt_edn_value *v)
{
    static char *last;
    free(last);
    return last = dt_edn_to_string(v);
}

static char *js(const dt_edn_value *v, bool pretty)
{
    static dt_buf b;
    dt_buf_clear(&b);
    dt_edn_print_options o = {.pretty = pretty};
    dt_edn_print_json_buf(v, &o, &b);
    return (char *)dt_buf_cstr(&b);
}

/* IN reads as a value that prints as OUT, and OUT reads back equal. */
static void rt(const char *in, const char *out)
{
    const dt_edn_value *v = rd(in);
    char *p = pr(v);
    if (strcmp(p, out))
        T_FAIL("%s printed as %s, expected %s", in, p, out);
    const dt_edn_value *back = rd(p);
    if (!dt_edn_equal(v, back) || dt_edn_compare(v, back) || dt_edn_hash(v) != dt_edn_hash(back))
        T_FAIL("%s: printed %s reads back unequal", in, p);
}

/* IN fails with CODE at LINE:COL, the message holding TEXT. */
static void err(const char *in, size_t n, dt_edn_errcode code, uint32_t line, uint32_t col, const char *text)
{
    const dt_edn_value *v;
    dt_edn_error e;
    size_t before = dt_edn_doc_bytes(doc);
    int rc = dt_edn_read(doc, in, n, NULL, &v, &e);
    if (rc != DATOM_EINVAL)
        T_FAIL("%.60s: expected an error, got %d", in, rc);
    if (e.code != code || e.line != line || e.col != col || !strstr(e.msg, text))
        T_FAIL("%.60s: got %s at %u:%u \"%s\", expected %s at %u:%u \"%s\"", in, dt_edn_errcode_name(e.code),
               e.line, e.col, e.msg, dt_edn_errcode_name(code), line, col, text);
    char want[300];
    snprintf(want, sizeof want, "%u:%u: %s", e.line, e.col, e.msg);
    T_EQ_STR(datom_errmsg(), want);
    T_ASSERT(v == NULL);
    T_EQ_INT(dt_edn_doc_bytes(doc), before); /* nothing stays allocated */
}
#define ERR(in, code, line, col, text) err((in), strlen(in), (code), (line), (col), (text))

/* ---- scalars ---- */

static void test_nil_booleans_integers(void)
{
    fresh();
    T_EQ_INT(rd("nil")->kind, DT_EDN_NIL);
    T_ASSERT(rd("true")->u.b && !rd("false")->u.b);
    T_EQ_INT(rd("42")->u.i, 42);
    T_EQ_INT(rd("-0")->u.i, 0);
    T_EQ_INT(rd("+7")->u.i, 7);
    T_EQ_INT(rd("9223372036854775807")->u.i, INT64_MAX);
    T_EQ_INT(rd("-9223372036854775808")->u.i, INT64_MIN);
    T_EQ_INT(rd("0x7f")->u.i, 127);
    T_EQ_INT(rd("0XFF")->u.i, 255);
    T_EQ_INT(rd("017")->u.i, 15);
    T_EQ_INT(rd("-017")->u.i, -15);
    T_EQ_INT(rd("2r1010")->u.i, 10);
    T_EQ_INT(rd("36rZz")->u.i, 36 * 35 + 35);
    T_EQ_INT(rd("-16r10")->u.i, -16);
    rt("0", "0");
    rt("-9223372036854775808", "-9223372036854775808");
    /* big integers: kept as canonical decimal text, N kept */
    const dt_edn_value *b = rd("9223372036854775808");
    T_EQ_INT(b->kind, DT_EDN_BIGINT);
    T_EQ_STR(b->u.s, "9223372036854775808");
    rt("9223372036854775808", "9223372036854775808N");
    rt("-9223372036854775809", "-9223372036854775809N");
    rt("12N", "12N");
    rt("-0N", "0N");
    rt("0N", "0N");
    rt("0x10N", "16N");
    rt("0xFFFFFFFFFFFFFFFFFFFFFFFF", "79228162514264337593543950335N");
    rt("-0777777777777777777777777", "-4722366482869645213695N"); /* -(8^24 - 1) */
    rt("36rZZZZZZZZZZZZZZZZZZZZZZZZZ", "808281277464764060643139600456536293375N"); /* 36^25 - 1 */
    rt("123456789012345678901234567890123456789", "123456789012345678901234567890123456789N");
    /* long radix literals (the conversion's limb count was once too small) */
    char *z200 = repeat("Z", 200, "");
    char *lit = dt_sprintf("36r%s", z200);
    rt(lit, "182179771682187282513946871240893712673389715281747606674596975493339599720905327003028267800766283867331479599455916367452421574456059646801054954062150177042349998869907885947439947961712484067309738073652485056311556920850878594283008099992731076250733948404739350551934565743979678824151197232629947748581375N");
    free(lit);
    free(z200);
}

static void test_floats(void)
{
    fresh();
    T_ASSERT(rd("1.5")->u.f == 1.5);
    T_ASSERT(rd("-1.5e-7")->u.f == -1.5e-7);
    T_ASSERT(rd("1.")->u.f == 1.0);
    T_ASSERT(rd("1.e2")->u.f == 100.0);
    T_ASSERT(rd("1E2")->u.f == 100.0);
    T_ASSERT(rd("01.5")->u.f == 1.5); /* not an integer form, so a float, as in Clojure */
    rt("1.0", "1.0");
    rt("100", "100");
    rt("100.0", "100.0");
    rt("0.1", "0.1");
    rt("-0.0", "-0.0");
    rt("1e16", "1.0e16");
    rt("1e15", "1000000000000000.0");
    rt("123456.789", "123456.789");
    rt("0.00001", "0.00001");
    rt("0.000001", "1.0e-6");
    rt("1.7976931348623157e308", "1.7976931348623157e308");
    rt("5e-324", "5.0e-324"); /* subnormal: the shortest, not Java's 4.9E-324 */
    rt("2.2250738585072014e-308", "2.2250738585072014e-308");
    rt("1e-310", "1.0e-310");
    rt("0.30000000000000004", "0.30000000000000004");
    rt("1e400", "##Inf"); /* past the range: infinity, as Java's parseDouble */
    rt("##Inf", "##Inf");
    rt("##-Inf", "##-Inf");
    rt("## NaN", "##NaN");
    T_ASSERT(isnan(rd("##NaN")->u.f));
    /* big decimals: the literal exactly */
    const dt_edn_value *m = rd("1.50M");
    T_EQ_INT(m->kind, DT_EDN_BIGDEC);
    T_EQ_STR(m->u.s, "1.50");
    rt("1.50M", "1.50M");
    rt("+1.e-3M", "+1.e-3M");
    rt("7M", "7M");
    /* ratios: reduced; integral ones are integers */
    const dt_edn_value *r = rd("6/4");
    T_EQ_INT(r->kind, DT_EDN_RATIO);
    T_EQ_INT(r->u.ratio[0], 3);
    T_EQ_INT(r->u.ratio[1], 2);
    rt("-6/4", "-3/2");
    rt("4/2", "2");
    rt("0/5", "0");
    rt("007/3", "7/3");
}

/* Random doubles (a fixed seed) print in their shortest exact form. */
static void test_float_shortest(void)
{
    fresh();
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double d;
        uint64_t bits = x;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d))
            continue;
        dt_edn_value v = dt_edn_float(d);
        char *p = pr(&v);
        const dt_edn_value *back = rd(p);
        if (back->kind != DT_EDN_FLOAT || memcmp(&back->u.f, &d, sizeof d))
            T_FAIL("%a printed as %s reads back as %a", d, p, back->u.f);
        /* shortest: no 16-digit form reads back when a 15-digit one is printed */
        size_t digits = 0;
        for (const char *c = p; *c && *c != 'e'; c++)
            digits += (*c >= '0' && *c <= '9');
        T_ASSERT(digits <= 17 + 6); /* plain forms have up to 5 leading zeros and ".0" */
        if (i % 1000 == 0)
            fresh();
    }
    /* doubles that need 17 digits */
    rt("0.1234567890123456", "0.1234567890123456");
    rt("9007199254740993", "9007199254740993");
    rt("9007199254740993.0", "9007199254740992.0");
}

static void test_characters(void)
{
    fresh();
    struct {
        const char *in, *out;
        uint32_t c;
    } cases[] = {
        {"\\a", "\\a", 'a'},           {"\\newline", "\\newline", '\n'}, {"\\space", "\\space", ' '},
        {"\\tab", "\\tab", '\t'},       {"\\return", "\\return", '\r'},    {"\\backspace", "\\backspace", '\b'},
        {"\\formfeed", "\\formfeed", '\f'}, {"\\u00e9", "\\é", 0xE9},      {"\\u0041", "\\A", 'A'},
        {"\\o101", "\\A", 'A'},         {"\\o7", "\\u0007", 7},           {"\\o377", "\\ÿ", 0xFF},
        {"\\u", "\\u", 'u'},            {"\\o", "\\o", 'o'},              {"\\(", "\\(", '('},
        {"\\,", "\\,", ','},            {"\\\\", "\\\\", '\\'},           {"\\\"", "\\\"", '"'},
        {"\\é", "\\é", 0xE9},           {"\\😀", "\\😀", 0x1F600},        {"\\u00a0", "\\u00a0", 0xA0},
        {"\\u3000", "\\u3000", 0x3000}, {"\\u0000", "\\u0000", 0},        {"\\#", "\\#", '#'},
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(cases); i++) {
        const dt_edn_value *v = rd(cases[i].in);
        if (v->kind != DT_EDN_CHAR || v->u.c != cases[i].c)
            T_FAIL("%s: kind %d, U+%04X", cases[i].in, v->kind, v->u.c);
        rt(cases[i].in, cases[i].out);
    }
    /* a raw newline after the backslash is the newline character */
    T_EQ_INT(rd("\\\n")->u.c, '\n');
    /* a character ends at a delimiter */
    const dt_edn_value *v = rd("[\\a\\b(\\c)]");
    T_EQ_INT(dt_edn_count(v), 3);
    T_EQ_INT(dt_edn_at(v, 1)->u.c, 'b');
}

static void test_strings(void)
{
    fresh();
    const dt_edn_value *s = rd("\"a\\tb\\rc\\nd\\\\e\\\"f\\bg\\fh\"");
    T_EQ_INT(s->kind, DT_EDN_STRING);
    T_EQ_STR(s->u.s, "a\tb\rc\nd\\e\"f\bg\fh");
    T_EQ_STR(rd("\"\\u00e9\\u20AC\"")->u.s, "é€");
    T_EQ_STR(rd("\"\\uD83D\\uDE00\"")->u.s, "😀"); /* a surrogate pair: one character */
    s = rd("\"\\101\\0 \\12\"");
    T_EQ_INT(s->len, 4);
    T_ASSERT(!memcmp(s->u.s, "A\0 \n", 4));
    T_EQ_STR(rd("\"\\377\"")->u.s, "ÿ");
    T_EQ_STR(rd("\"\\1\\2\"")->u.s, "\x01\x02"); /* an escape ends one at a backslash too */
    T_EQ_STR(rd("\"multi\nline\"")->u.s, "multi\nline");
    T_EQ_STR(rd("\"raw é and 😀\"")->u.s, "raw é and 😀");
    T_EQ_INT(rd("\"\"")->len, 0);
    s = rd("\"a\\u0000b\"");
    T_EQ_INT(s->len, 3);
    rt("\"a\\u0000b\"", "\"a\\u0000b\"");
    rt("\"tab\\there\"", "\"tab\\there\"");
    rt("\"\\u0001\\u007f\\u001F\"", "\"\\u0001\\u007f\\u001f\"");
    rt("\"\\b\\f\\r\\n\\\\\\\"\"", "\"\\b\\f\\r\\n\\\\\\\"\"");
    rt("\"é\\u2028\"", "\"é\u2028\"");
    /* a long string with escapes throughout */
    dt_buf big = DT_BUF_INIT;
    dt_buf_putc(&big, '"');
    for (int i = 0; i < 100000; i++)
        dt_buf_puts(&big, "ab\\n\\u00e9");
    dt_buf_putc(&big, '"');
    s = rd(dt_buf_cstr(&big));
    T_EQ_INT(s->len, 100000 * 5);
    dt_buf_free(&big);
}

static void test_symbols_keywords(void)
{
    fresh();
    struct {
        const char *in;
        dt_edn_kind kind;
        const char *ns, *name;
    } cases[] = {
        {"sym", DT_EDN_SYMBOL, NULL, "sym"},
        {"ns/sym", DT_EDN_SYMBOL, "ns", "sym"},
        {"a/b/c", DT_EDN_SYMBOL, "a", "b/c"},
        {"/", DT_EDN_SYMBOL, NULL, "/"},
        {"clojure.core//", DT_EDN_SYMBOL, "clojure.core", "/"},
        {".foo", DT_EDN_SYMBOL, NULL, ".foo"},
        {"->", DT_EDN_SYMBOL, NULL, "->"},
        {"+", DT_EDN_SYMBOL, NULL, "+"},
        {"-", DT_EDN_SYMBOL, NULL, "-"},
        {"-a", DT_EDN_SYMBOL, NULL, "-a"},
        {"a'b", DT_EDN_SYMBOL, NULL, "a'b"},
        {"a#b", DT_EDN_SYMBOL, NULL, "a#b"},
        {"?e", DT_EDN_SYMBOL, NULL, "?e"},
        {"$", DT_EDN_SYMBOL, NULL, "$"},
        {"%", DT_EDN_SYMBOL, NULL, "%"},
        {"_", DT_EDN_SYMBOL, NULL, "_"},
        {"名前", DT_EDN_SYMBOL, NULL, "名前"},
        {"a\u00a0b", DT_EDN_SYMBOL, NULL, "a\u00a0b"}, /* no-break space is not whitespace */
        {":kw", DT_EDN_KEYWORD, NULL, "kw"},
        {":db/id", DT_EDN_KEYWORD, "db", "id"},
        {":a.b/c-d?", DT_EDN_KEYWORD, "a.b", "c-d?"},
        {":/", DT_EDN_KEYWORD, NULL, "/"},
        {":1", DT_EDN_KEYWORD, NULL, "1"},
        {":a:b", DT_EDN_KEYWORD, NULL, "a:b"},
        {":nil", DT_EDN_KEYWORD, NULL, "nil"},
        {":person/_friend", DT_EDN_KEYWORD, "person", "_friend"},
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(cases); i++) {
        const dt_edn_value *v = rd(cases[i].in);
        size_t nl, ml;
        const char *ns = dt_edn_ns(v, &nl), *name = dt_edn_name(v, &ml);
        if (v->kind != cases[i].kind || (!ns) != (!cases[i].ns) ||
            (ns && (nl != strlen(cases[i].ns) || memcmp(ns, cases[i].ns, nl))) || ml != strlen(cases[i].name) ||
            memcmp(name, cases[i].name, ml))
            T_FAIL("%s: kind %d ns %.*s name %.*s", cases[i].in, v->kind, (int)nl, ns ? ns : "", (int)ml, name);
        rt(cases[i].in, cases[i].in);
    }
    T_ASSERT(dt_edn_is_kw(rd(":db/id"), "db/id"));
    T_ASSERT(!dt_edn_is_kw(rd("db/id"), "db/id"));
    T_ASSERT(dt_edn_is_sym(rd("?e"), "?e"));
    /* a namespace too long for aux is still found */
    dt_buf b = DT_BUF_INIT;
    dt_buf_putc(&b, ':');
    for (int i = 0; i < 70000; i++)
        dt_buf_putc(&b, 'n');
    dt_buf_puts(&b, "/x");
    const dt_edn_value *v = rd(dt_buf_cstr(&b));
    size_t nl, ml;
    T_ASSERT(dt_edn_ns(v, &nl) && nl == 70000);
    T_ASSERT(!memcmp(dt_edn_name(v, &ml), "x", 1) && ml == 1);
    dt_buf_free(&b);
}

/* ---- collections and positions ---- */

static void test_collections(void)
{
    fresh();
    const dt_edn_value *v = rd("[1 (2 3) {:a 1, :b [2]} #{4 5} () [] {} #{}]");
    T_EQ_INT(v->kind, DT_EDN_VECTOR);
    T_EQ_INT(dt_edn_count(v), 8);
    T_EQ_INT(dt_edn_at(v, 1)->kind, DT_EDN_LIST);
    const dt_edn_value *m = dt_edn_at(v, 2);
    T_EQ_INT(m->kind, DT_EDN_MAP);
    T_EQ_INT(dt_edn_count(m), 2);
    T_ASSERT(dt_edn_is_kw(dt_edn_key(m, 0), "a") && dt_edn_val(m, 0)->u.i == 1); /* source order */
    T_ASSERT(dt_edn_is_kw(dt_edn_key(m, 1), "b"));
    T_EQ_INT(dt_edn_get_kw(m, "a")->u.i, 1);
    T_ASSERT(dt_edn_get_kw(m, "c") == NULL);
    T_ASSERT(dt_edn_get_kw(v, "a") == NULL); /* not a map */
    T_ASSERT(dt_edn_contains(dt_edn_at(v, 3), rd("5")));
    T_ASSERT(!dt_edn_contains(dt_edn_at(v, 3), rd("6")));
    T_ASSERT(!dt_edn_contains(dt_edn_at(v, 3), rd("5.0")));
    T_EQ_INT(dt_edn_count(dt_edn_at(v, 7)), 0);
    T_EQ_INT(dt_edn_count(rd("1")), 0);
    rt("[1 (2 3) {:a 1, :b [2]} #{4 5} () [] {} #{}]", "[1 (2 3) {:a 1, :b [2]} #{4 5} () [] {} #{}]");
    rt("{,:a,1,,:b,2,}", "{:a 1, :b 2}");
    /* a big map and set: indexed lookups */
    dt_buf b = DT_BUF_INIT;
    dt_buf_puts(&b, "{");
    for (int i = 0; i < 1000; i++)
        dt_buf_printf(&b, ":k%d %d \"s%d\" [%d] ", i, i, i, i);
    dt_buf_puts(&b, "}");
    m = rd(dt_buf_cstr(&b));
    T_ASSERT(m->flags & DT_EDN_F_INDEXED);
    T_EQ_INT(dt_edn_count(m), 2000);
    T_EQ_INT(dt_edn_get_kw(m, "k777")->u.i, 777);
    T_EQ_INT(dt_edn_at(dt_edn_get(m, rd("\"s5\"")), 0)->u.i, 5);
    T_ASSERT(dt_edn_get(m, rd("\"s1000\"")) == NULL);
    T_ASSERT(!(rd("{:a 1}")->flags & DT_EDN_F_INDEXED));
    dt_buf_free(&b);
    /* a map key may be any value; equal keys are found across kinds */
    m = rd("{[1 2] :v, nil :n, 1N :big, 2.0 :f}");
    T_ASSERT(dt_edn_is_kw(dt_edn_get(m, rd("(1 2)")), "v"));
    T_ASSERT(dt_edn_is_kw(dt_edn_get(m, rd("nil")), "n"));
    T_ASSERT(dt_edn_is_kw(dt_edn_get(m, rd("1")), "big"));
    T_ASSERT(dt_edn_get(m, rd("2")) == NULL);
}

static void test_positions(void)
{
    fresh();
    const char *src = "; a comment\n[1 \"two\nlines\" é :k\r\n  {:a [x]}]";
    const dt_edn_value *v = rd(src);
    T_EQ_INT(v->line, 2);
    T_EQ_INT(v->col, 1);
    T_EQ_INT(v->off, 12);
    const dt_edn_value *s = dt_edn_at(v, 1), *e = dt_edn_at(v, 2), *k = dt_edn_at(v, 3), *m = dt_edn_at(v, 4);
    T_EQ_INT(s->line, 2);
    T_EQ_INT(s->col, 4);
    T_EQ_INT(e->line, 3); /* after the string's newline */
    T_EQ_INT(e->col, 8);
    T_EQ_INT(k->line, 3);
    T_EQ_INT(k->col, 10); /* é is one column, two bytes */
    T_EQ_INT(k->off, 12 + 18);
    T_EQ_INT(m->line, 4);
    T_EQ_INT(m->col, 3);
    const dt_edn_value *x = dt_edn_at(dt_edn_val(m, 0), 0);
    T_EQ_INT(x->line, 4);
    T_EQ_INT(x->col, 8);
    /* a tagged value is where its # is; metadata's form where the form is */
    v = rd("[#inst \"2020\" ^:m [1]]");
    T_EQ_INT(dt_edn_at(v, 0)->col, 2);
    T_EQ_INT(dt_edn_at(v, 1)->col, 19);
    /* columns on a long line of multi-byte characters */
    dt_buf b = DT_BUF_INIT;
    dt_buf_putc(&b, '[');
    for (int i = 0; i < 50000; i++)
        dt_buf_puts(&b, "\"é😀\" ");
    dt_buf_puts(&b, ":end]");
    v = rd(dt_buf_cstr(&b));
    T_EQ_INT(dt_edn_at(v, 50000)->col, 2 + 50000 * 5);
    dt_buf_free(&b);
}

/* ---- tags, dispatch, metadata, discard ---- */

static void test_inst(void)
{
    fresh();
    struct {
        const char *in, *out;
        int64_t sec;
        uint32_t nsec;
    } cases[] = {
        {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000-00:00", 0, 0},
        {"1985-04-12T23:20:50.52Z", "1985-04-12T23:20:50.520-00:00", 482196050, 520000000},
        {"2020-01-01T10:00:00.123456+01:00", "2020-01-01T09:00:00.123456-00:00", 1577869200, 123456000},
        {"2020-01-01T00:00:00.123456789-05:30", "2020-01-01T05:30:00.123456789-00:00", 1577856600, 123456789},
        {"2020-01-01T00:00:00.1234567891234Z", "2020-01-01T00:00:00.123456789-00:00", 1577836800, 123456789},
        {"2020", "2020-01-01T00:00:00.000-00:00", 1577836800, 0},
        {"2020-02", "2020-02-01T00:00:00.000-00:00", 1580515200, 0},
        {"2020-02-29", "2020-02-29T00:00:00.000-00:00", 1582934400, 0},
        {"2020-02-29T13", "2020-02-29T13:00:00.000-00:00", 1582981200, 0},
        {"2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000-00:00", 1483228800, 0}, /* a leap second */
        {"1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999-00:00", -1, 999000000},
        {"0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000-00:00", -62167219200LL, 0},
        {"9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999-00:00", 253402300799LL, 999999999},
        {"2000-01-01T00:00:00-00:00", "2000-01-01T00:00:00.000-00:00", 946684800, 0},
        {"2000Z", "2000-01-01T00:00:00.000-00:00", 946684800, 0},
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(cases); i++) {
        char in[128], out[128];
        snprintf(in, sizeof in, "#inst \"%s\"", cases[i].in);
        snprintf(out, sizeof out, "#inst \"%s\"", cases[i].out);
        const dt_edn_value *v = rd(in);
        if (v->kind != DT_EDN_INST || v->u.sec != cases[i].sec || v->len != cases[i].nsec)
            T_FAIL("%s: %lld s %u ns", in, (long long)v->u.sec, v->len);
        rt(in, out);
    }
    T_EQ_STR(js(rd("#inst \"2020-01-01T10:00:00+01:00\""), false), "\"2020-01-01T09:00:00.000Z\"");
    /* the same instant in two offsets is one value */
    T_ASSERT(dt_edn_equal(rd("#inst \"2020-01-01T10:00:00+01:00\""), rd("#inst \"2020-01-01T09:00Z\"")));
    ERR("#inst \"2021-02-29\"", DT_EDN_ERR_INST, 1, 7, "day out of range");
    ERR("#inst \"2020-13\"", DT_EDN_ERR_INST, 1, 7, "month out of range");
    ERR("#inst \"2020-01-01T24:00\"", DT_EDN_ERR_INST, 1, 7, "time out of range");
    ERR("#inst \"2020-01-01T23:58:60Z\"", DT_EDN_ERR_INST, 1, 7, "time out of range");
    ERR("#inst \"2020-01-01T00:00+24:00\"", DT_EDN_ERR_INST, 1, 7, "offset out of range");
    ERR("#inst \"2020-01-01 00:00\"", DT_EDN_ERR_INST, 1, 7, "Z or an offset");
    ERR("#inst \"20\"", DT_EDN_ERR_INST, 1, 7, "four-digit year");
    ERR("#inst \"2020-1-01\"", DT_EDN_ERR_INST, 1, 7, "two digits");
    ERR("#inst \"2020-01-01T00:00:00.Z\"", DT_EDN_ERR_INST, 1, 7, "digits after");
    ERR("#inst \"2020-01-01t00:00Z\"", DT_EDN_ERR_INST, 1, 7, "Z or an offset");
    ERR("#inst \"0000-01-01T00:00:00+00:01\"", DT_EDN_ERR_INST, 1, 7, "outside years 0000 to 9999");
    ERR("#inst 2020", DT_EDN_ERR_INST, 1, 7, "needs a string");
}

static void test_uuid_tags(void)
{
    fresh();
    const dt_edn_value *u = rd("#uuid \"550E8400-e29b-41d4-A716-446655440000\"");
    T_EQ_INT(u->kind, DT_EDN_UUID);
    T_EQ_INT(u->u.uuid[0], 0x55);
    T_EQ_INT(u->u.uuid[15], 0x00);
    rt("#uuid \"550E8400-e29b-41d4-A716-446655440000\"", "#uuid \"550e8400-e29b-41d4-a716-446655440000\"");
    ERR("#uuid \"550e8400e29b41d4a716446655440000\"", DT_EDN_ERR_UUID, 1, 7, "36 characters");
    ERR("#uuid \"550e8400-e29b-41d4-a716-44665544000g\"", DT_EDN_ERR_UUID, 1, 7, "hex digit");
    ERR("#uuid \"550e8400_e29b-41d4-a716-446655440000\"", DT_EDN_ERR_UUID, 1, 7, "hyphens");
    /* other tags: kept, tag and value */
    const dt_edn_value *t = rd("#my/tag [1 2]");
    T_EQ_INT(t->kind, DT_EDN_TAGGED);
    T_ASSERT(dt_edn_is_sym(dt_edn_tag(t), "my/tag"));
    T_EQ_INT(dt_edn_tagged_value(t)->kind, DT_EDN_VECTOR);
    rt("#my/tag [1 2]", "#my/tag [1 2]");
    rt("#foo #bar{:a 1}", "#foo #bar {:a 1}");
    rt("#é 1", "#é 1");
    T_ASSERT(!dt_edn_equal(rd("#a 1"), rd("#b 1")));
    T_ASSERT(!dt_edn_equal(rd("#a 1"), rd("1")));
    /* namespaced maps (Clojure 1.9) */
    rt("#:person{:name \"Ann\" :_/id 7 :other/x 1 sym 2 \"s\" 3}",
       "{:person/name \"Ann\", :id 7, :other/x 1, person/sym 2, \"s\" 3}");
    rt("#:p {:a 1}", "{:p/a 1}");
    ERR("#:p{:a 1 :p/a 2}", DT_EDN_ERR_DUPLICATE, 1, 10, "duplicate key :p/a");
    ERR("#:p{:5 1}", DT_EDN_ERR_TOKEN, 1, 5, "in a namespaced map, :5 would be :p/5"); /* Clojure builds it, unreadable */
    ERR("#:p{_/nil 1}", DT_EDN_ERR_TOKEN, 1, 5, "_/nil would be nil: reads as nil");
    rt("#:p{:_/x 1 _/y 2}", "{:x 1, y 2}");
    ERR("#::{:a 1}", DT_EDN_ERR_DISPATCH, 1, 1, "must name its namespace");
    ERR("#:a/b{:a 1}", DT_EDN_ERR_DISPATCH, 1, 1, "valid namespace");
    ERR("#:a [1]", DT_EDN_ERR_DISPATCH, 1, 5, "must specify a map");
    /* discard and metadata */
    rt("[1 #_2 3 #_ #_ 4 5 6]", "[1 3 6]");
    rt("#_ x #_ y z", "z");
    rt("^:private sym", "sym");
    rt("^{:a 1} [1]", "[1]");
    rt("#^String (x)", "(x)");
    rt("^\"tag\" ^:k {:a 1}", "{:a 1}");
    ERR("^1 [1]", DT_EDN_ERR_DISPATCH, 1, 2, "metadata must be");
    ERR("^:k 1", DT_EDN_ERR_DISPATCH, 1, 5, "metadata can only be applied");
    ERR("[1 #_]", DT_EDN_ERR_DELIM, 1, 6, "#_ (discard) needs a form");
    ERR("#_", DT_EDN_ERR_EOF, 1, 1, "inside #_ (discard)");
    ERR("#_ 1", DT_EDN_ERR_EOF, 1, 5, "no value");
}

/* ---- errors ---- */

static void test_errors(void)
{
    fresh();
    ERR("", DT_EDN_ERR_EOF, 1, 1, "the input is empty");
    ERR("  ; only a comment\n ", DT_EDN_ERR_EOF, 2, 2, "the input is empty");
    ERR("[1 2", DT_EDN_ERR_EOF, 1, 1, "unterminated vector: the input ends before its ]");
    ERR("\n  (a {:b", DT_EDN_ERR_EOF, 2, 6, "unterminated map");
    ERR("#{1", DT_EDN_ERR_EOF, 1, 1, "unterminated set");
    ERR("\"abc", DT_EDN_ERR_EOF, 1, 1, "the input ends inside a string");
    ERR("\"abc\\", DT_EDN_ERR_EOF, 1, 1, "inside a string");
    ERR("\\", DT_EDN_ERR_EOF, 1, 1, "character literal");
    ERR("#", DT_EDN_ERR_EOF, 1, 1, "a # form");
    ERR("#foo", DT_EDN_ERR_EOF, 1, 1, "inside a tag");
    ERR("##", DT_EDN_ERR_EOF, 1, 1, "inside ##");
    ERR("[1 2)", DT_EDN_ERR_DELIM, 1, 5, "unmatched delimiter ): the vector at 1:1 needs ]");
    ERR(")", DT_EDN_ERR_DELIM, 1, 1, "unmatched delimiter )");
    ERR("1 }", DT_EDN_ERR_DELIM, 1, 3, "unmatched delimiter }");
    ERR("{:a 1 :b}", DT_EDN_ERR_MAP, 1, 1, "even number of forms, this one has 3");
    ERR("{:a 1 :a 2}", DT_EDN_ERR_DUPLICATE, 1, 7, "duplicate key :a in map");
    ERR("[{:x 1}\n {:a 1 :b 2 :a 3}]", DT_EDN_ERR_DUPLICATE, 2, 13, "duplicate key :a");
    ERR("#{1 2 1N}", DT_EDN_ERR_DUPLICATE, 1, 7, "duplicate element 1N in set");
    ERR("#{[1] (1)}", DT_EDN_ERR_DUPLICATE, 1, 7, "duplicate element (1)");
    ERR("{{:a 1 :b 2} 1 {:b 2 :a 1} 2}", DT_EDN_ERR_DUPLICATE, 1, 16, "duplicate key");
    ERR("1 2", DT_EDN_ERR_TRAILING, 1, 3, "more after the value");
    ERR("1 #_ 2 3", DT_EDN_ERR_TRAILING, 1, 8, "more after");
    ERR("::a", DT_EDN_ERR_TOKEN, 1, 1, "need a current namespace");
    ERR(":a::b", DT_EDN_ERR_TOKEN, 1, 1, "'::' inside");
    ERR(":a/", DT_EDN_ERR_TOKEN, 1, 1, "invalid token :a/");
    ERR("a/", DT_EDN_ERR_TOKEN, 1, 1, "invalid token a/");
    ERR(":", DT_EDN_ERR_TOKEN, 1, 1, "invalid token :");
    ERR("a:", DT_EDN_ERR_TOKEN, 1, 1, "name may not end with ':'");
    ERR("a:/b", DT_EDN_ERR_TOKEN, 1, 1, "namespace may not end with ':'");
    ERR(":a/1", DT_EDN_ERR_TOKEN, 1, 1, "invalid token");
    ERR("/a", DT_EDN_ERR_TOKEN, 1, 1, "invalid token");
    ERR("@x", DT_EDN_ERR_TOKEN, 1, 1, "invalid leading character: @");
    ERR("a~b", DT_EDN_ERR_TOKEN, 1, 1, "cannot be part of");
    ERR("1a", DT_EDN_ERR_NUMBER, 1, 1, "invalid number 1a");
    ERR("[1 08]", DT_EDN_ERR_NUMBER, 1, 4, "octal number, which has no 8 or 9");
    ERR("0x", DT_EDN_ERR_NUMBER, 1, 1, "invalid number");
    ERR("0xG", DT_EDN_ERR_NUMBER, 1, 1, "invalid number");
    ERR("1.5.3", DT_EDN_ERR_NUMBER, 1, 1, "invalid number");
    ERR("1e", DT_EDN_ERR_NUMBER, 1, 1, "invalid number");
    ERR("1/0", DT_EDN_ERR_NUMBER, 1, 1, "divide by zero");
    ERR("1/-2", DT_EDN_ERR_NUMBER, 1, 1, "invalid number");
    ERR("99999999999999999999/1", DT_EDN_ERR_NUMBER, 1, 1, "ratio beyond 64 bits");
    ERR("37r1", DT_EDN_ERR_NUMBER, 1, 1, "radix out of range");
    ERR("1r1", DT_EDN_ERR_NUMBER, 1, 1, "radix out of range");
    ERR("2r102", DT_EDN_ERR_NUMBER, 1, 1, "a digit beyond the radix");
    ERR("2r101N", DT_EDN_ERR_NUMBER, 1, 1, "a digit beyond the radix"); /* N is a digit there, as in Clojure */
    ERR("1e1000000000M", DT_EDN_ERR_NUMBER, 1, 1, "exponent beyond");
    ERR("1#{}", DT_EDN_ERR_TRAILING, 1, 2, "more after"); /* '#' ends a number */
    ERR("\"\\q\"", DT_EDN_ERR_STRING, 1, 2, "unsupported escape character: \\q");
    ERR("\"\\é\"", DT_EDN_ERR_STRING, 1, 2, "unsupported escape character: \\é");
    ERR("\"\\u12\"", DT_EDN_ERR_STRING, 1, 6, "invalid character length: 2, should be: 4");
    ERR("\"\\u12x4\"", DT_EDN_ERR_STRING, 1, 6, "invalid digit in \\u escape: x");
    ERR("\"\\ux\"", DT_EDN_ERR_STRING, 1, 4, "invalid unicode escape: \\ux");
    ERR("\"\\uD800\"", DT_EDN_ERR_STRING, 1, 2, "unpaired surrogate \\uD800");
    ERR("\"\\uDC00\\uD800\"", DT_EDN_ERR_STRING, 1, 2, "unpaired surrogate \\uDC00");
    ERR("\"\\uD800\\u0041\"", DT_EDN_ERR_STRING, 1, 2, "unpaired surrogate");
    ERR("\"\\400\"", DT_EDN_ERR_STRING, 1, 2, "range [0, 377]");
    ERR("\"\\8\"", DT_EDN_ERR_STRING, 1, 3, "invalid digit in octal escape: 8");
    ERR("\"\\1a\"", DT_EDN_ERR_STRING, 1, 4, "invalid digit in octal escape: a");
    ERR("\\ab", DT_EDN_ERR_CHAR, 1, 1, "unsupported character: \\ab");
    ERR("\\u00", DT_EDN_ERR_CHAR, 1, 1, "invalid unicode character: \\u00");
    ERR("\\u00g0", DT_EDN_ERR_CHAR, 1, 1, "invalid digit");
    ERR("\\uDFFF", DT_EDN_ERR_CHAR, 1, 1, "a surrogate");
    ERR("\\o400", DT_EDN_ERR_CHAR, 1, 1, "range [0, 377]");
    ERR("\\o1234", DT_EDN_ERR_CHAR, 1, 1, "octal escape sequence length: 4");
    ERR("\\o8", DT_EDN_ERR_CHAR, 1, 1, "invalid digit");
    ERR("#<foo>", DT_EDN_ERR_DISPATCH, 1, 1, "unreadable form");
    ERR("#\"re\"", DT_EDN_ERR_DISPATCH, 1, 1, "no regular expressions");
    ERR("#!shebang", DT_EDN_ERR_DISPATCH, 1, 1, "no dispatch macro for #!");
    ERR("# x", DT_EDN_ERR_DISPATCH, 1, 1, "no dispatch macro");
    ERR("##Foo", DT_EDN_ERR_DISPATCH, 1, 1, "must be followed by Inf, -Inf or NaN");
    ERR("##1", DT_EDN_ERR_DISPATCH, 1, 1, "must be followed by");
    ERR("#nil 1", DT_EDN_ERR_DISPATCH, 1, 2, "tag must be a symbol");
    ERR("[1\x01]", DT_EDN_ERR_UTF8, 1, 3, "control character 0x01 outside a string");
    ERR("a\x7f", DT_EDN_ERR_UTF8, 1, 2, "control character 0x7f");
    /* the thread's message names the place; a caller prefixes the file */
    const dt_edn_value *v;
    T_ERR(dt_edn_read(doc, "\n\n   [1 2", 9, NULL, &v, NULL), DATOM_EINVAL, "3:4: unterminated vector");
    T_EQ_STR(dt_edn_errcode_name(DT_EDN_ERR_DUPLICATE), "duplicate");
}

static void test_utf8(void)
{
    fresh();
    struct {
        const char *in;
        size_t n;
        uint32_t col;
    } bad[] = {
        {"\"a\xff\"", 4, 3},               /* not a lead byte */
        {"\"a\x80\"", 4, 3},               /* a stray continuation */
        {"\"\xc0\xaf\"", 4, 2},            /* overlong '/' */
        {"\"\xe0\x80\xaf\"", 5, 2},        /* overlong, 3 bytes */
        {"\"\xed\xa0\x80\"", 5, 2},        /* a surrogate, encoded */
        {"\"\xf4\x90\x80\x80\"", 6, 2},    /* past U+10FFFF */
        {"\"ab\xe2\x82\"", 6, 4},          /* cut short */
        {"[:k\xc3]", 5, 4},                /* in a keyword */
        {"sym\xff", 4, 4},                 /* in a symbol */
        {"\xff", 1, 1},                    /* alone */
        {"\\\xff", 2, 2},                  /* as a character */
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(bad); i++)
        err(bad[i].in, bad[i].n, DT_EDN_ERR_UTF8, 1, bad[i].col, "invalid UTF-8");
    /* a byte order mark at the very start is skipped (columns count after it) */
    const dt_edn_value *b = rd("\xEF\xBB\xBF[1 :a]");
    T_EQ_INT(b->col, 1);
    T_EQ_INT(dt_edn_at(b, 1)->col, 4);
    T_EQ_INT(dt_edn_at(b, 1)->off, 6);
    err("1 \xEF\xBB\xBF", 5, DT_EDN_ERR_TRAILING, 1, 3, "more after"); /* elsewhere, a symbol */
    /* comments are skipped unread */
    const dt_edn_value *v;
    T_OK(dt_edn_read(doc, "; \xff\xfe\n1", 6, NULL, &v, NULL));
    T_EQ_INT(v->u.i, 1);
    /* Unicode whitespace (Java's) separates; U+00A0 does not */
    v = rd("[1\u20032\u30003\u2028:a]");
    T_EQ_INT(dt_edn_count(v), 4);
    T_EQ_INT(dt_edn_at(v, 3)->col, 8);
    T_EQ_INT(dt_edn_count(rd("[a\u00a0b]")), 1);
    /* a NUL outside a string is refused; inside one it is kept */
    err("[1\0]", 4, DT_EDN_ERR_UTF8, 1, 3, "control character 0x00");
    T_OK(dt_edn_read(doc, "\"a\0b\"", 5, NULL, &v, NULL));
    T_EQ_INT(v->len, 3);
    /* strings built by a program with bad bytes print as U+FFFD */
    dt_edn_value s = dt_edn_string(doc, "a\xff\xc3", 3);
    T_EQ_STR(pr(&s), "\"a\xEF\xBF\xBD\xEF\xBF\xBD\"");
    T_EQ_STR(js(&s, false), "\"a\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

/* ---- semantics ---- */

static void test_equality(void)
{
    fresh();
    const char *equal[][2] = {
        {"1", "1N"},
        {"-5", "-5N"},
        {"1.0M", "1.00M"},
        {"0M", "-0.0M"},
        {"1E2M", "100M"},
        {"0.0", "-0.0"},
        {"##NaN", "##NaN"},
        {"[1 2]", "(1 2)"},
        {"{:a 1 :b 2}", "{:b 2 :a 1}"},
        {"#{1 2 3}", "#{3 1 2}"},
        {"{[1] #{:a :b}}", "{(1N) #{:b :a}}"},
        {"#inst \"2020-01-01T01:00+01:00\"", "#inst \"2020-01-01T00:00Z\""},
        {"#uuid \"550E8400-e29b-41d4-A716-446655440000\"", "#uuid \"550e8400-e29b-41d4-a716-446655440000\""},
        {"2/4", "1/2"},
        {"#t [1]", "#t (1)"},
        {"\\a", "\\u0061"},
        {"\"é\"", "\"\\u00e9\""},
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(equal); i++) {
        const dt_edn_value *a = rd(equal[i][0]), *b = rd(equal[i][1]);
        if (!dt_edn_equal(a, b) || !dt_edn_equal(b, a) || dt_edn_compare(a, b) || dt_edn_hash(a) != dt_edn_hash(b))
            T_FAIL("%s and %s should be equal (and hash alike)", equal[i][0], equal[i][1]);
    }
    const char *unequal[][2] = {
        {"1", "1.0"},     {"1", "1M"},         {"1.0", "1.0M"},    {"1/2", "0.5"},     {"\"a\"", ":a"},
        {":a", "a"},      {"\"a\"", "\\a"},    {"nil", "false"},   {"[1]", "#{1}"},    {"{:a 1}", "#{:a 1}"},
        {"{:a 1}", "{:a 1 :b 2}"}, {"[1 2]", "[2 1]"}, {"#a 1", "#a 2"}, {":a/b", ":b/a"}, {"a/b", ":a/b"},
        {"1.5M", "1.50001M"},
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(unequal); i++) {
        const dt_edn_value *a = rd(unequal[i][0]), *b = rd(unequal[i][1]);
        if (dt_edn_equal(a, b) || dt_edn_equal(b, a) || !dt_edn_compare(a, b))
            T_FAIL("%s and %s should differ", unequal[i][0], unequal[i][1]);
    }
    /* big maps and sets, built in another order, are equal */
    dt_buf x = DT_BUF_INIT, y = DT_BUF_INIT;
    dt_buf_puts(&x, "{");
    dt_buf_puts(&y, "{");
    for (int i = 0; i < 100; i++) {
        dt_buf_printf(&x, "%d [%d] ", i, i);
        dt_buf_printf(&y, "%d [%d] ", 99 - i, 99 - i);
    }
    dt_buf_puts(&x, "}");
    dt_buf_puts(&y, "}");
    const dt_edn_value *a = rd(dt_buf_cstr(&x)), *b = rd(dt_buf_cstr(&y));
    T_ASSERT(dt_edn_equal(a, b) && dt_edn_hash(a) == dt_edn_hash(b) && dt_edn_compare(a, b) == 0);
    dt_buf_free(&x);
    dt_buf_free(&y);
}

/* Each line is strictly below the next. */
static void test_order(void)
{
    fresh();
    const char *sorted[] = {
        "nil", "false", "true",
        "##-Inf", "-9223372036854775809N", "-9223372036854775808", "-3/2", "-1.5M", "-1.4", "-1", "-1.0",
        "0", "0.0", "0M", "1/3", "0.5", "1", "1.0", "1.0M", "9007199254740992", "9007199254740993",
        "9007199254740994.0", "9223372036854775807", "9223372036854775808N", "1.0e19", "##Inf", "##NaN",
        "\\A", "\\a", "\\é",
        "\"\"", "\"A\"", "\"a\"", "\"ab\"", "\"b\"", "\"é\"",
        "a", "z", "a/a", "a/b", "b/a",
        ":a", ":z", ":a/a", ":b/a",
        "#inst \"1969-12-31T23:59:59.999Z\"", "#inst \"1970-01-01\"", "#inst \"1970-01-01T00:00:00.000000001Z\"",
        "#uuid \"00000000-0000-0000-0000-000000000001\"", "#uuid \"80000000-0000-0000-0000-000000000000\"",
        "()", "[0]", "(1)", "[1 1]", "[1 2]", "[2 0]", "[1 1 1]",
        "{}", "{:a 1}", "{:a 2}", "{:b 0}", "{:a 1 :b 1}",
        "#{}", "#{0}", "#{1}", "#{0 2}",
        "#a 1", "#a 2", "#b 0",
    };
    size_t n = DT_ARRAY_LEN(sorted);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            const dt_edn_value *a = rd(sorted[i]), *b = rd(sorted[j]);
            int c = dt_edn_compare(a, b);
            int want = i < j ? -1 : i > j;
            if ((c > 0) - (c < 0) != want)
                T_FAIL("compare(%s, %s) = %d, expected %d", sorted[i], sorted[j], c, want);
        }
    /* exact across kinds: a double is its exact binary value */
    T_ASSERT(dt_edn_compare(rd("0.1M"), rd("0.1")) < 0);
    T_ASSERT(dt_edn_compare(rd("9007199254740993"), rd("9007199254740992.0")) > 0);
    T_ASSERT(dt_edn_compare(rd("9223372036854775807"), rd("9223372036854775808.0")) < 0);
    T_ASSERT(dt_edn_compare(rd("-9223372036854775808"), rd("-9223372036854775808.0")) < 0); /* equal value: integer first */
    T_ASSERT(dt_edn_compare(rd("100000000000000000000N"), rd("1.0e20")) < 0);
    T_ASSERT(dt_edn_compare(rd("100000000000000000001N"), rd("1.0e20")) > 0);
}

static void test_hash(void)
{
    fresh();
    /* agreement with equality across every kind, and spread */
    const char *vals[] = {"nil", "true", "1", "1N", "1.0", "1.0M", "1/2", "\\a", "\"a\"", "a", ":a",
                          "()", "[]", "{}", "#{}", "#inst \"2020\"", "#uuid \"00000000-0000-0000-0000-000000000000\"",
                          "#a 1", "[1]", "{1 1}", "#{1}", "-0.0", "0.0"};
    uint64_t h[DT_ARRAY_LEN(vals)];
    for (size_t i = 0; i < DT_ARRAY_LEN(vals); i++)
        h[i] = dt_edn_hash(rd(vals[i]));
    T_ASSERT(h[2] == h[3]);                           /* 1 = 1N */
    T_ASSERT(h[11] == h[12]);                         /* () = [] */
    T_ASSERT(h[21] == h[22]);                         /* -0.0 = 0.0 */
    size_t distinct = 0;
    for (size_t i = 0; i < DT_ARRAY_LEN(vals); i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= h[j] == h[i];
        distinct += !seen;
    }
    T_EQ_INT(distinct, DT_ARRAY_LEN(vals) - 3);
}

/* ---- limits ---- */

static char *repeat(const char *unit, size_t times, const char *tail)
{
    dt_buf b = DT_BUF_INIT;
    for (size_t i = 0; i < times; i++)
        dt_buf_puts(&b, unit);
    dt_buf_puts(&b, tail);
    return dt_buf_detach(&b);
}

static void test_depth(void)
{
    fresh();
    char *ok = repeat("[", 512, ""), *deep = repeat("[", 513, "");
    char *okc = repeat("]", 512, ""), *okt = dt_sprintf("%s%s", ok, okc);
    const dt_edn_value *v = rd(okt);
    T_EQ_INT(v->aux, 512);
    char *deept = dt_sprintf("%s%s]", deep, okc);
    ERR(deept, DT_EDN_ERR_DEPTH, 1, 513, "nesting deeper than 512 levels");
    /* a million opening brackets: an error at level 513, no stack overflow */
    char *million = repeat("[", 1000000, "");
    ERR(million, DT_EDN_ERR_DEPTH, 1, 513, "nesting deeper");
    char *maps = repeat("{:a ", 1000000, "");
    ERR(maps, DT_EDN_ERR_DEPTH, 1, 1 + 4 * 512, "nesting deeper");
    char *discards = repeat("#_", 1000000, "1");
    ERR(discards, DT_EDN_ERR_DEPTH, 1, 1025, "nesting deeper");
    char *tags = repeat("#a ", 1000000, "1");
    ERR(tags, DT_EDN_ERR_DEPTH, 1, 1537, "nesting deeper");
    char *metas = repeat("^:m ", 1000000, "[]");
    ERR(metas, DT_EDN_ERR_DEPTH, 1, 2049, "nesting deeper");
    /* a lower limit by option */
    dt_edn_options o = {.max_depth = 3};
    dt_edn_error e;
    T_OK(dt_edn_read(doc, "[[[1]]]", 7, &o, &v, &e));
    T_ERR(dt_edn_read(doc, "[[[[1]]]]", 9, &o, &v, &e), DATOM_EINVAL, "1:4: nesting deeper than 3 levels");
    /* builders keep the limit too */
    dt_edn_value x = *rd(okt), y;
    T_ERR(dt_edn_coll(doc, DT_EDN_VECTOR, &x, 1, &y), DATOM_EINVAL, "nesting deeper than 512");
    T_ERR(dt_edn_tagged(doc, rd("t"), &x, &y), DATOM_EINVAL, "nesting deeper than 512");
    free(ok), free(deep), free(okc), free(okt), free(deept), free(million), free(maps), free(discards);
    free(tags), free(metas);
}

/* Memory stays within a small multiple of the input, whatever its shape
 * (docs/formats.md: 32 times, plus the last block's slack). */
static void test_memory_bound(void)
{
    const char *units[] = {"[]", "1 ", "\"\"", "\\a", "{} ", ":a ", "#{}", "#_[]", "#a 1 ", "^:a []"};
    for (size_t i = 0; i < DT_ARRAY_LEN(units); i++) {
        fresh();
        char *body = repeat(units[i], 200000, "");
        char *src = dt_sprintf("[%s]", body);
        const dt_edn_value *v;
        T_OK(dt_edn_read(doc, src, strlen(src), NULL, &v, NULL));
        size_t in = strlen(src), held = dt_edn_doc_bytes(doc);
        if (held > 32 * in + ((size_t)8 << 20))
            T_FAIL("%s x 200000: %zu bytes held for %zu of input", units[i], held, in);
        free(body);
        free(src);
    }
}

static void test_huge(void)
{
    fresh();
    /* 100,000 entity maps, one per line, and a duplicate key in the last */
    dt_buf b = DT_BUF_INIT;
    dt_buf_puts(&b, "[");
    for (int i = 0; i < 100000; i++)
        dt_buf_printf(&b, "{:db/id \"p%d\" :person/name \"Person %d\" :person/age %d :person/tags #{:a :b}}\n", i, i,
                      i % 100);
    dt_buf_puts(&b, "]");
    const dt_edn_value *v = rd(dt_buf_cstr(&b));
    T_EQ_INT(dt_edn_count(v), 100000);
    T_EQ_INT(dt_edn_get_kw(dt_edn_at(v, 99999), "person/age")->u.i, 99);
    T_EQ_INT(dt_edn_at(v, 99999)->line, 100000);
    b.len -= 3; /* "}\n]" */
    dt_buf_puts(&b, " :person/age 1}]");
    dt_edn_error e;
    T_ERR(dt_edn_read(doc, (const char *)b.data, b.len, NULL, &v, &e), DATOM_EINVAL, "100000:");
    T_EQ_INT(e.code, DT_EDN_ERR_DUPLICATE);
    dt_buf_free(&b);
    /* a map of 200,000 keys */
    dt_buf_puts(&b, "{");
    for (int i = 0; i < 200000; i++)
        dt_buf_printf(&b, "\"k%d\" %d ", i, i);
    dt_buf_puts(&b, "\"k123\" 0}");
    T_ERR(dt_edn_read(doc, (const char *)b.data, b.len, NULL, &v, &e), DATOM_EINVAL, "duplicate key \"k123\"");
    dt_buf_free(&b);
}

/* ---- building ---- */

static void test_builders(void)
{
    fresh();
    dt_edn_value items[4], m, k, s, out;
    T_OK(dt_edn_keyword(doc, "person/name", 11, &k));
    T_ASSERT(dt_edn_equal(&k, rd(":person/name")));
    size_t nl;
    T_ASSERT(dt_edn_ns(&k, &nl) && nl == 6);
    T_ERR(dt_edn_keyword(doc, ":x", 2, &out), DATOM_EINVAL, "need a current namespace");
    T_ERR(dt_edn_keyword(doc, "a b", 3, &out), DATOM_EINVAL, "whitespace");
    T_ERR(dt_edn_keyword(doc, "", 0, &out), DATOM_EINVAL, "empty");
    T_ERR(dt_edn_symbol(doc, "nil", 3, &out), DATOM_EINVAL, "reads as nil");
    T_ERR(dt_edn_symbol(doc, "-1", 2, &out), DATOM_EINVAL, "reads as a number");
    T_ERR(dt_edn_symbol(doc, ":a", 2, &out), DATOM_EINVAL, "cannot start with ':'");
    T_OK(dt_edn_symbol(doc, "?e", 2, &s));
    items[0] = k;
    items[1] = dt_edn_string(doc, "Ann", 3);
    items[2] = s;
    items[3] = dt_edn_float(2.5);
    T_OK(dt_edn_coll(doc, DT_EDN_MAP, items, 4, &m));
    T_EQ_STR(pr(&m), "{:person/name \"Ann\", ?e 2.5}");
    T_ASSERT(dt_edn_equal(&m, rd("{?e 2.5 :person/name \"Ann\"}")));
    T_EQ_INT(m.line, 0);
    items[2] = k;
    T_ERR(dt_edn_coll(doc, DT_EDN_MAP, items, 4, &out), DATOM_EINVAL, "duplicate key :person/name in map");
    T_ERR(dt_edn_coll(doc, DT_EDN_MAP, items, 3, &out), DATOM_EINVAL, "even number");
    T_ERR(dt_edn_coll(doc, DT_EDN_INT, items, 3, &out), DATOM_EINVAL, "not a collection");
    items[0] = dt_edn_int(1);
    items[1] = dt_edn_float(1.0);
    T_OK(dt_edn_coll(doc, DT_EDN_SET, items, 2, &out)); /* 1 and 1.0 differ */
    /* a vector gathered in a dt_edn_vec, nested */
    dt_edn_vec vec = DT_EDN_VEC_INIT;
    for (int i = 0; i < 100; i++)
        dt_edn_vec_push(&vec, dt_edn_int(i));
    dt_edn_vec_push(&vec, m);
    T_OK(dt_edn_coll(doc, DT_EDN_VECTOR, vec.v, vec.n, &out));
    dt_edn_vec_free(&vec);
    T_EQ_INT(dt_edn_count(&out), 101);
    T_EQ_INT(out.aux, 2);
    T_ASSERT(dt_edn_equal(rd(pr(&out)), &out));
    /* scalars */
    T_OK(dt_edn_char(0x1F600, &out));
    T_EQ_STR(pr(&out), "\\😀");
    T_ERR(dt_edn_char(0xD800, &out), DATOM_EINVAL, "not a Unicode scalar value");
    T_ERR(dt_edn_char(0x110000, &out), DATOM_EINVAL, "not a Unicode scalar value");
    T_OK(dt_edn_bigint(doc, "-123456789012345678901234567890", 31, &out));
    T_EQ_STR(pr(&out), "-123456789012345678901234567890N");
    T_ERR(dt_edn_bigint(doc, "012", 3, &out), DATOM_EINVAL, "leading zero");
    T_ERR(dt_edn_bigint(doc, "1.5", 3, &out), DATOM_EINVAL, "not a decimal integer");
    T_OK(dt_edn_bigdec(doc, "3.14159", 7, &out));
    T_EQ_STR(pr(&out), "3.14159M");
    T_ERR(dt_edn_bigdec(doc, "3.1.4", 5, &out), DATOM_EINVAL, "not a decimal number");
    T_OK(dt_edn_ratio(doc, 10, -4, &out));
    T_EQ_STR(pr(&out), "-5/2");
    T_OK(dt_edn_ratio(doc, 10, 5, &out));
    T_EQ_INT(out.kind, DT_EDN_INT);
    T_ERR(dt_edn_ratio(doc, 1, 0, &out), DATOM_EINVAL, "zero denominator");
    T_OK(dt_edn_inst(1577836800, 5, &out));
    T_EQ_STR(pr(&out), "#inst \"2020-01-01T00:00:00.000000005-00:00\"");
    T_ERR(dt_edn_inst(253402300800LL, 0, &out), DATOM_EINVAL, "outside years 0000 to 9999");
    T_ERR(dt_edn_inst(0, 1000000000u, &out), DATOM_EINVAL, "outside");
    uint8_t u[16] = {0xde, 0xad, 0xbe, 0xef};
    out = dt_edn_uuid(doc, u);
    T_EQ_STR(pr(&out), "#uuid \"deadbeef-0000-0000-0000-000000000000\"");
    T_OK(dt_edn_tagged(doc, &s, &m, &out));
    T_EQ_STR(pr(&out), "#?e {:person/name \"Ann\", ?e 2.5}");
    T_ERR(dt_edn_tagged(doc, &k, &m, &out), DATOM_EINVAL, "a tag must be a symbol");
}

/* ---- printing ---- */

static void test_pretty(void)
{
    fresh();
    const dt_edn_value *v = rd("[{:db/id \"alice\" :person/name \"Alice\" :person/friends #{\"bob\" \"carol\"}} "
                               "{:db/id \"bob\"} [1 2 3] (a b)]");
    dt_buf b = DT_BUF_INIT;
    dt_edn_print_options o = {.pretty = true, .width = 40};
    dt_edn_print_buf(v, &o, &b);
    T_EQ_STR(dt_buf_cstr(&b), "[{:db/id \"alice\"\n"
                              "  :person/name \"Alice\"\n"
                              "  :person/friends #{\"bob\" \"carol\"}}\n"
                              " {:db/id \"bob\"}\n"
                              " [1 2 3]\n"
                              " (a b)]");
    T_ASSERT(dt_edn_equal(rd(dt_buf_cstr(&b)), v));
    dt_buf_clear(&b);
    o.width = 200; /* fits: one line, as compact */
    dt_edn_print_buf(v, &o, &b);
    T_EQ_STR(dt_buf_cstr(&b), pr(v));
    dt_buf_free(&b);
}

static void test_json(void)
{
    fresh();
    struct {
        const char *edn, *json;
    } cases[] = {
        {"nil", "null"},
        {"[true false]", "[true,false]"},
        {"-42", "-42"},
        {"123456789012345678901234567890N", "123456789012345678901234567890"},
        {"1.5", "1.5"},
        {"1e16", "1.0e16"},
        {"[##NaN ##Inf ##-Inf]", "[\"##NaN\",\"##Inf\",\"##-Inf\"]"},
        {"[+007.50M 1.M -0.5e3M 2M]", "[7.50,1,-0.5e3,2]"},
        {"1/3", "\"1/3\""},
        {"\\é", "\"é\""},
        {"\"a\\\"b\\\\c\\n\\u0001\"", "\"a\\\"b\\\\c\\n\\u0001\""},
        {"sym/bol", "\"sym/bol\""},
        {":db/id", "\":db/id\""},
        {"(1 #{2})", "[1,[2]]"},
        {"{:a 1 \"s\" 2 3 4 [5] 6 nil 7 :b/c {x 8}}", "{\":a\":1,\"s\":2,\"3\":4,\"[5]\":6,\"nil\":7,\":b/c\":{\"x\":8}}"},
        {"#inst \"2020-01-01T10:00:00.5+01:00\"", "\"2020-01-01T09:00:00.500Z\""},
        {"#uuid \"550e8400-e29b-41d4-a716-446655440000\"", "\"550e8400-e29b-41d4-a716-446655440000\""},
        {"#my/tag [1]", "{\"#my/tag\":[1]}"},
        {"{}", "{}"},
        {"[]", "[]"},
        {"{\"a\\u0000b\" 1}", "{\"a\\u0000b\":1}"},
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(cases); i++)
        T_EQ_STR(js(rd(cases[i].edn), false), cases[i].json);
    T_EQ_STR(js(rd("{:a [1 2] :b {}}"), true), "{\n  \":a\": [\n    1,\n    2\n  ],\n  \":b\": {}\n}");
}

/* A sink that fails: printing says so. */
static int failing_write(void *ctx, const void *p, size_t n)
{
    (void)ctx, (void)p, (void)n;
    return dt_error(DATOM_EIO, "disk full");
}

static void test_print_sinks(void)
{
    fresh();
    dt_buf big = DT_BUF_INIT;
    dt_buf_puts(&big, "[");
    for (int i = 0; i < 50000; i++)
        dt_buf_printf(&big, "{:i %d :s \"%d\"} ", i, i);
    dt_buf_puts(&big, "]");
    const dt_edn_value *v = rd(dt_buf_cstr(&big));
    dt_buf out = DT_BUF_INIT;
    T_OK(dt_edn_print(v, NULL, dt_sink_buf(&out)));
    T_ASSERT(dt_edn_equal(rd(dt_buf_cstr(&out)), v));
    char *s = dt_edn_to_string(v);
    T_EQ_STR(dt_buf_cstr(&out), s);
    free(s);
    dt_buf_clear(&out);
    T_OK(dt_edn_print_json(v, NULL, dt_sink_buf(&out)));
    T_ASSERT(out.len > 50000 * 10);
    dt_sink bad = {failing_write, NULL};
    T_ERR(dt_edn_print(v, NULL, bad), DATOM_EIO, "disk full");
    T_ERR(dt_edn_print_json(v, NULL, bad), DATOM_EIO, "disk full");
    dt_buf_free(&out);
    dt_buf_free(&big);
}

/* ---- files and descriptors ---- */

static void test_files(void)
{
    fresh();
    char *dir = t_tmpdir("test_edn");
    char *path = dt_path_join(dir, "tx.edn");
    const char *text = ";; two transactions\n[{:a 1}]\n[{:b 2}]\n";
    T_OK(dt_fs_write_atomic(path, text, strlen(text)));
    const dt_edn_value *items;
    size_t n;
    T_OK(dt_edn_read_file(doc, path, NULL, &items, &n, NULL));
    T_EQ_INT(n, 2);
    T_EQ_INT(items[1].line, 3);
    const char *bad = "[{:a 1}]\n[{:b 2 :b 3}]\n";
    T_OK(dt_fs_write_atomic(path, bad, strlen(bad)));
    dt_edn_error e;
    char want[600];
    snprintf(want, sizeof want, "%s:2:8: duplicate key :b in map", path);
    T_ERR(dt_edn_read_file(doc, path, NULL, &items, &n, &e), DATOM_EINVAL, want);
    T_EQ_INT(n, 0);
    T_EQ_INT(e.line, 2);
    char *missing = dt_path_join(dir, "missing.edn");
    T_ERR(dt_edn_read_file(doc, missing, NULL, &items, &n, &e), DATOM_ENOTFOUND, "missing.edn");
    T_EQ_INT(e.code, DT_EDN_ERR_IO);
    T_ERR(dt_edn_read_file(doc, dir, NULL, &items, &n, &e), DATOM_EIO, "read: Is a directory");
    /* read_all from memory: empty input is no values */
    T_OK(dt_edn_read_all(doc, " ; nothing\n", 11, NULL, &items, &n, NULL));
    T_EQ_INT(n, 0);
    T_ASSERT(items == NULL);
    free(missing);
    free(path);
    free(dir);
}

/* A pipe, fed by a child in small writes, read in reads of 3 bytes: values
 * span reads and are read again from their start. */
static void test_descriptor_stream(void)
{
    fresh();
    int p[2];
    T_ASSERT(pipe(p) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        for (int i = 0; i < 2000; i++) {
            char line[128];
            int n = snprintf(line, sizeof line, "{:n %d :s \"é%d\" :v [%d.5 \\a]} ; c\n", i, i, i);
            if (write(p[1], line, (size_t)n) != n)
                _exit(1);
        }
        _exit(0);
    }
    close(p[1]);
    dt_edn_options o = {.read_size = 3};
    dt_edn_reader *r = dt_edn_reader_new_fd(p[0], "pipe", &o);
    const dt_edn_value *v;
    int count = 0;
    while (dt_edn_reader_next(r, doc, &v) == 0 && v) {
        T_EQ_INT(dt_edn_get_kw(v, "n")->u.i, count);
        T_EQ_INT(v->line, (uint32_t)count + 1);
        T_EQ_INT(v->col, 1);
        if (++count % 100 == 0)
            dt_edn_doc_reset(doc); /* values already seen are dropped; memory stays flat */
    }
    T_EQ_INT(count, 2000);
    if (dt_edn_doc_bytes(doc) > 8192)
        T_FAIL("%zu bytes held after a reset", dt_edn_doc_bytes(doc));
    dt_edn_reader_free(r);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    /* errors from a descriptor name it and stay */
    int q[2];
    T_ASSERT(pipe(q) == 0);
    T_ASSERT(write(q[1], "1 [2 3\n 4)", 10) == 10);
    close(q[1]);
    r = dt_edn_reader_new_fd(q[0], "stdin", &o);
    T_OK(dt_edn_reader_next(r, doc, &v));
    T_EQ_INT(v->u.i, 1);
    T_ERR(dt_edn_reader_next(r, doc, &v), DATOM_EINVAL, "stdin:2:3: unmatched delimiter )");
    T_ERR(dt_edn_reader_next(r, doc, &v), DATOM_EINVAL, "stdin:2:3: unmatched delimiter )");
    T_EQ_INT(dt_edn_reader_error(r)->code, DT_EDN_ERR_DELIM);
    dt_edn_reader_free(r);
    close(q[0]);
    /* a top-level value bigger than max_value_bytes */
    T_ASSERT(pipe(q) == 0);
    char *big = repeat("1 ", 1000, "");
    T_ASSERT(write(q[1], "[", 1) == 1 && write(q[1], big, strlen(big)) == (ssize_t)strlen(big));
    close(q[1]);
    o.max_value_bytes = 1000;
    r = dt_edn_reader_new_fd(q[0], "big", &o);
    T_ERR(dt_edn_reader_next(r, doc, &v), DATOM_EINVAL, "big:1:1: a top-level value of more than 1000 bytes");
    dt_edn_reader_free(r);
    close(q[0]);
    free(big);
}

int main(void)
{
    T_RUN(test_nil_booleans_integers);
    T_RUN(test_floats);
    T_RUN(test_float_shortest);
    T_RUN(test_characters);
    T_RUN(test_strings);
    T_RUN(test_symbols_keywords);
    T_RUN(test_collections);
    T_RUN(test_positions);
    T_RUN(test_inst);
    T_RUN(test_uuid_tags);
    T_RUN(test_errors);
    T_RUN(test_utf8);
    T_RUN(test_equality);
    T_RUN(test_order);
    T_RUN(test_hash);
    T_RUN(test_depth);
    T_RUN(test_memory_bound);
    T_RUN(test_huge);
    T_RUN(test_builders);
    T_RUN(test_pretty);
    T_RUN(test_json);
    T_RUN(test_print_sinks);
    T_RUN(test_files);
    T_RUN(test_descriptor_stream);
    dt_edn_doc_free(doc);
    free(pr(&(dt_edn_value){0}));
    return t_done();
}
