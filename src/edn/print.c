/*
 * print.c: values as EDN text that reads back as an equal value.
 *
 * Compact output is Clojure's pr: {k v, k v}, #{...}, strings with \" \\
 * \n \t \r \b \f and \uXXXX for other control characters, floats in their
 * shortest exact form. Pretty output keeps a collection on one line when
 * its compact text fits in the width left, else puts one item (a map: one
 * pair) per line, aligned under the first. Whether it fits is measured by
 * printing it compactly with a budget, abandoned once the budget is spent,
 * so pretty printing costs O(width) more per collection, not O(size).
 *
 * Output goes to a buffer, which a sink drains every FLUSH_AT bytes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edn/edn_internal.h"

#define FLUSH_AT ((size_t)64 << 10)

void edn_out_flush(edn_out *o, bool force)
{
    if (!o->to_sink || o->measuring || o->err || (!force && o->b->len < FLUSH_AT))
        return;
    o->err = dt_sink_write(o->sink, o->b->data, o->b->len);
    o->flushed += o->b->len;
    o->line_at -= (int64_t)o->b->len;
    dt_buf_clear(o->b);
}

static size_t column(const edn_out *o) { return (size_t)((int64_t)o->b->len - o->line_at); }

/* ---- text ---- */

/* Bytes that a string prints as they are: printable ASCII but " and \. */
static bool plain(uint8_t c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

void edn_put_string(dt_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s, *end = p + n, *run = p;
    dt_buf_reserve(b, n + 2);
    dt_buf_putc(b, '"');
    while (p < end) {
        uint32_t cp;
        size_t l;
        if (plain(*p)) {
            p++;
            continue;
        }
        if (*p >= 0x80 && (l = dt_utf8_decode(p, end, &cp))) {
            p += l;
            continue;
        }
        dt_buf_append(b, run, (size_t)(p - run));
        const char *esc = NULL;
        switch (*p) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\t': esc = "\\t"; break;
        case '\r': esc = "\\r"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default: break;
        }
        if (esc) {
            dt_buf_puts(b, esc);
        } else if (*p < 0x80) {
            char u[7] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0};
            dt_buf_puts(b, u);
        } else {
            dt_buf_puts(b, "\xEF\xBF\xBD"); /* not UTF-8: U+FFFD */
        }
        run = ++p;
    }
    dt_buf_append(b, run, (size_t)(p - run));
    dt_buf_putc(b, '"');
}

static void put_int(dt_buf *b, int64_t i)
{
    char tmp[24], *e = tmp + sizeof tmp, *p = e;
    uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (i < 0)
        *--p = '-';
    dt_buf_append(b, p, (size_t)(e - p));
}

static const struct {
    uint32_t c;
    const char *name;
} char_names[] = {{'\n', "newline"}, {' ', "space"},     {'\t', "tab"},
                  {'\b', "backspace"}, {'\f', "formfeed"}, {'\r', "return"}};

/* A character literal: named, \uXXXX for what would not survive (controls,
 * whitespace, no-break spaces), else itself. */
static void put_char(dt_buf *b, uint32_t c)
{
    for (size_t i = 0; i < DT_ARRAY_LEN(char_names); i++)
        if (char_names[i].c == c) {
            dt_buf_printf(b, "\\%s", char_names[i].name);
            return;
        }
    bool odd = c < 0x21 || c == 0x7f || (c >= 0x80 && c <= 0xA0) || edn_unicode_space(c) ||
               c == 0x2007 || c == 0x202F || c == 0xFEFF;
    if (odd && c <= 0xFFFF) {
        dt_buf_printf(b, "\\u%04x", c);
        return;
    }
    char u[5] = {'\\'};
    dt_buf_append(b, u, 1 + dt_utf8_encode(c, u + 1));
}

static void put_scalar(edn_out *o, const dt_edn_value *v)
{
    dt_buf *b = o->b;
    char tmp[64];
    switch (v->kind) {
    case DT_EDN_NIL: dt_buf_append(b, "nil", 3); break;
    case DT_EDN_BOOL: dt_buf_puts(b, v->u.b ? "true" : "false"); break;
    case DT_EDN_INT: put_int(b, v->u.i); break;
    case DT_EDN_BIGINT: dt_buf_append(b, v->u.s, v->len); dt_buf_putc(b, 'N'); break;
    case DT_EDN_BIGDEC: dt_buf_append(b, v->u.s, v->len); dt_buf_putc(b, 'M'); break;
    case DT_EDN_RATIO: dt_buf_printf(b, "%lld/%lld", (long long)v->u.ratio[0], (long long)v->u.ratio[1]); break;
    case DT_EDN_FLOAT: dt_buf_append(b, tmp, edn_format_double(v->u.f, tmp)); break;
    case DT_EDN_CHAR: put_char(b, v->u.c); break;
    case DT_EDN_STRING: edn_put_string(b, v->u.s, v->len); break;
    case DT_EDN_KEYWORD: dt_buf_putc(b, ':'); /* fall through */
    case DT_EDN_SYMBOL: dt_buf_append(b, v->u.s, v->len); break;
    case DT_EDN_INST:
        dt_buf_puts(b, "#inst \"");
        dt_buf_append(b, tmp, edn_inst_format(v->u.sec, v->len, false, tmp));
        dt_buf_putc(b, '"');
        break;
    case DT_EDN_UUID:
        edn_uuid_format(v->u.uuid, tmp);
        dt_buf_printf(b, "#uuid \"%s\"", tmp);
        break;
    default: break;
    }
}

/* ---- collections ---- */

static void put_value(edn_out *o, const dt_edn_value *v);

static const char *opener(dt_edn_kind k)
{
    return k == DT_EDN_LIST ? "(" : k == DT_EDN_VECTOR ? "[" : k == DT_EDN_MAP ? "{" : "#{";
}

/* Whether V's compact text fits in the rest of the line. */
static bool fits(edn_out *o, const dt_edn_value *v)
{
    size_t width = o->width, col = column(o);
    if (col >= width)
        return false;
    size_t start = o->b->len, budget = width - col;
    bool was = o->measuring, pretty = o->pretty;
    size_t limit = o->limit;
    o->measuring = true, o->pretty = false, o->limit = start + budget;
    put_value(o, v);
    bool ok = o->b->len - start <= budget;
    o->b->len = start;
    o->b->data[start] = '\0';
    o->measuring = was, o->pretty = pretty, o->limit = limit;
    return ok;
}

static void newline_to(edn_out *o, size_t col)
{
    dt_buf_putc(o->b, '\n');
    o->line_at = (int64_t)o->b->len;
    for (size_t i = 0; i < col; i++)
        dt_buf_putc(o->b, ' ');
}

static void put_coll(edn_out *o, const dt_edn_value *v)
{
    bool broken = o->pretty && v->len > 1 && !fits(o, v);
    dt_buf_puts(o->b, opener((dt_edn_kind)v->kind));
    size_t col = column(o);
    bool map = v->kind == DT_EDN_MAP;
    for (size_t i = 0; i < v->len; i++) {
        if (o->b->len > o->limit)
            return; /* measuring, and already too wide */
        if (i > 0) {
            if (broken)
                newline_to(o, col);
            else
                dt_buf_puts(o->b, map ? ", " : " ");
        }
        if (map) {
            put_value(o, dt_edn_key(v, i));
            dt_buf_putc(o->b, ' ');
            put_value(o, dt_edn_val(v, i));
        } else {
            put_value(o, &v->u.items[i]);
        }
        edn_out_flush(o, false);
    }
    dt_buf_putc(o->b, map ? '}' : v->kind == DT_EDN_LIST ? ')' : v->kind == DT_EDN_VECTOR ? ']' : '}');
}

static void put_value(edn_out *o, const dt_edn_value *v)
{
    if (dt_edn_is_coll(v)) {
        put_coll(o, v);
    } else if (v->kind == DT_EDN_TAGGED) {
        dt_buf_putc(o->b, '#');
        dt_buf_append(o->b, dt_edn_tag(v)->u.s, dt_edn_tag(v)->len);
        dt_buf_putc(o->b, ' ');
        put_value(o, dt_edn_tagged_value(v));
    } else {
        put_scalar(o, v);
    }
}

void edn_out_init(edn_out *o, dt_buf *b, const dt_edn_print_options *opt)
{
    memset(o, 0, sizeof *o);
    o->b = b;
    o->pretty = opt && opt->pretty;
    o->width = (opt && opt->width) ? opt->width : 80;
    o->indent = (opt && opt->indent) ? opt->indent : 2;
    o->limit = SIZE_MAX;
    o->line_at = (int64_t)b->len;
}

void dt_edn_print_buf(const dt_edn_value *v, const dt_edn_print_options *opt, dt_buf *out)
{
    edn_out o;
    edn_out_init(&o, out, opt);
    dt_buf_reserve(out, 16);
    put_value(&o, v);
}

int edn_print_to_sink(const dt_edn_value *v, const dt_edn_print_options *opt, dt_sink sink, edn_put_fn put)
{
    dt_buf b = DT_BUF_INIT;
    edn_out o;
    edn_out_init(&o, &b, opt);
    o.sink = sink;
    o.to_sink = true;
    dt_buf_reserve(&b, 16);
    put(&o, v);
    edn_out_flush(&o, true);
    dt_buf_free(&b);
    return o.err;
}

int dt_edn_print(const dt_edn_value *v, const dt_edn_print_options *opt, dt_sink sink)
{
    return edn_print_to_sink(v, opt, sink, put_value);
}

char *dt_edn_to_string(const dt_edn_value *v)
{
    dt_buf b = DT_BUF_INIT;
    dt_edn_print_buf(v, NULL, &b);
    return dt_buf_detach(&b);
}
