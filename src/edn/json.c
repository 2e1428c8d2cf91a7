/*
 * json.c: EDN values as JSON, for scripts (the command's --json), as
 * docs/formats.md ("EDN as JSON") describes: what JSON has stays itself;
 * keywords, symbols, characters, instants, UUIDs, ratios and non-finite
 * floats become strings; lists and sets arrays; maps objects whose names
 * are string keys as they are, keywords as ":ns/name" and other keys as
 * their compact EDN text; a tagged value {"#tag": value}. It is a view for
 * reading, not a way back to EDN.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edn/edn_internal.h"

static void js_value(edn_out *o, const dt_edn_value *v, uint32_t level);

static void newline_indent(edn_out *o, uint32_t level)
{
    if (!o->pretty)
        return;
    dt_buf_putc(o->b, '\n');
    for (size_t i = 0; i < (size_t)level * o->indent; i++)
        dt_buf_putc(o->b, ' ');
}

/* A big decimal as a JSON number: no '+', no leading zeros, a digit after
 * any '.' ("1.M" is EDN, "1." is not JSON). */
static void js_bigdec(dt_buf *b, const char *s, size_t n)
{
    const char *e = s + n;
    if (*s == '+' || *s == '-')
        if (*s++ == '-')
            dt_buf_putc(b, '-');
    const char *d = s;
    while (d < e && *d >= '0' && *d <= '9')
        d++;
    const char *lead = s;
    while (lead + 1 < d && *lead == '0')
        lead++;
    dt_buf_append(b, lead, (size_t)(d - lead));
    if (d < e && *d == '.') {
        const char *f = ++d;
        while (d < e && *d >= '0' && *d <= '9')
            d++;
        if (d > f) {
            dt_buf_putc(b, '.');
            dt_buf_append(b, f, (size_t)(d - f));
        }
    }
    dt_buf_append(b, d, (size_t)(e - d)); /* the exponent, as JSON allows it */
}

/* A value JSON has no type for, as a string of its EDN text (or of TEXT). */
static void js_text(edn_out *o, const char *prefix, const char *text, size_t n)
{
    dt_buf t = DT_BUF_INIT;
    dt_buf_puts(&t, prefix);
    dt_buf_append(&t, text, n);
    edn_put_string(o->b, (const char *)t.data, t.len);
    dt_buf_free(&t);
}

static void js_scalar(edn_out *o, const dt_edn_value *v)
{
    dt_buf *b = o->b;
    char tmp[64];
    size_t n;
    switch (v->kind) {
    case DT_EDN_NIL: dt_buf_puts(b, "null"); break;
    case DT_EDN_BOOL: dt_buf_puts(b, v->u.b ? "true" : "false"); break;
    case DT_EDN_INT: dt_buf_printf(b, "%lld", (long long)v->u.i); break;
    case DT_EDN_BIGINT: dt_buf_append(b, v->u.s, v->len); break;
    case DT_EDN_BIGDEC: js_bigdec(b, v->u.s, v->len); break;
    case DT_EDN_FLOAT:
        n = edn_format_double(v->u.f, tmp);
        if (isfinite(v->u.f))
            dt_buf_append(b, tmp, n);
        else
            edn_put_string(b, tmp, n);
        break;
    case DT_EDN_RATIO:
        n = (size_t)snprintf(tmp, sizeof tmp, "%lld/%lld", (long long)v->u.ratio[0], (long long)v->u.ratio[1]);
        edn_put_string(b, tmp, n);
        break;
    case DT_EDN_CHAR:
        edn_put_string(b, tmp, dt_utf8_encode(v->u.c, tmp));
        break;
    case DT_EDN_STRING:
    case DT_EDN_SYMBOL: edn_put_string(b, v->u.s, v->len); break;
    case DT_EDN_KEYWORD: js_text(o, ":", v->u.s, v->len); break;
    case DT_EDN_INST: edn_put_string(b, tmp, edn_inst_format(v->u.sec, v->len, true, tmp)); break;
    case DT_EDN_UUID:
        edn_uuid_format(v->u.uuid, tmp);
        edn_put_string(b, tmp, 36);
        break;
    default: break;
    }
}

static void js_key(edn_out *o, const dt_edn_value *k)
{
    if (k->kind == DT_EDN_STRING || k->kind == DT_EDN_KEYWORD) {
        js_scalar(o, k);
    } else {
        char *text = dt_edn_to_string(k);
        edn_put_string(o->b, text, strlen(text));
        free(text);
    }
    dt_buf_puts(o->b, o->pretty ? ": " : ":");
}

static void js_coll(edn_out *o, const dt_edn_value *v, uint32_t level)
{
    bool map = v->kind == DT_EDN_MAP;
    dt_buf_putc(o->b, map ? '{' : '[');
    for (size_t i = 0; i < v->len; i++) {
        if (i > 0)
            dt_buf_putc(o->b, ',');
        newline_indent(o, level + 1);
        if (map) {
            js_key(o, dt_edn_key(v, i));
            js_value(o, dt_edn_val(v, i), level + 1);
        } else {
            js_value(o, &v->u.items[i], level + 1);
        }
        edn_out_flush(o, false);
    }
    if (v->len)
        newline_indent(o, level);
    dt_buf_putc(o->b, map ? '}' : ']');
}

static void js_value(edn_out *o, const dt_edn_value *v, uint32_t level)
{
    if (dt_edn_is_coll(v)) {
        js_coll(o, v, level);
    } else if (v->kind == DT_EDN_TAGGED) {
        dt_buf_putc(o->b, '{');
        newline_indent(o, level + 1);
        js_text(o, "#", dt_edn_tag(v)->u.s, dt_edn_tag(v)->len);
        dt_buf_puts(o->b, o->pretty ? ": " : ":");
        js_value(o, dt_edn_tagged_value(v), level + 1);
        newline_indent(o, level);
        dt_buf_putc(o->b, '}');
    } else {
        js_scalar(o, v);
    }
}

static void js_root(edn_out *o, const dt_edn_value *v) { js_value(o, v, 0); }

void dt_edn_print_json_buf(const dt_edn_value *v, const dt_edn_print_options *opt, dt_buf *out)
{
    edn_out o;
    edn_out_init(&o, out, opt);
    dt_buf_reserve(out, 16);
    js_root(&o, v);
}

int dt_edn_print_json(const dt_edn_value *v, const dt_edn_print_options *opt, dt_sink sink)
{
    return edn_print_to_sink(v, opt, sink, js_root);
}
