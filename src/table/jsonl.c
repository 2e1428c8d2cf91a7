/*
 * jsonl.c: rows of a batch as JSON lines (jsonl.h), built by hand into a
 * buffer: this runs once per value of a table, so no JSON library objects.
 */
#include <math.h>
#include <string.h>

#include "table/jsonl.h"

void dt_json_string_out(const char *s, size_t n, dt_buf *out)
{
    dt_buf_reserve(out, n + 2);
    out->data[out->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            dt_buf_reserve(out, 1);
            out->data[out->len++] = ch;
        } else if (ch == '"' || ch == '\\' || ch == '\n') {
            dt_buf_reserve(out, 2);
            out->data[out->len++] = '\\';
            out->data[out->len++] = ch == '\n' ? 'n' : ch;
        } else { /* other control bytes as \u00XX, as `datom read --format jsonl` spells them */
            dt_buf_printf(out, "\\u%04x", ch);
        }
    }
    dt_buf_reserve(out, 1);
    out->data[out->len++] = '"';
    out->data[out->len] = '\0';
}

static void value_out(const dt_column *c, size_t row, dt_buf *out, dt_buf *tmp)
{
    if (!dt_col_is_valid(c, row)) {
        dt_buf_append(out, "null", 4);
        return;
    }
    switch (c->field.kind) {
    case DT_STRING: {
        size_t n;
        const char *s = dt_col_str(c, row, &n);
        dt_json_string_out(s, n, out);
        return;
    }
    case DT_DOUBLE: {
        /* JSON has no NaN or infinity: strings, so that they stay apart from null */
        double d = DT_COL(c, double)[row];
        if (isnan(d)) {
            dt_buf_append(out, "\"NaN\"", 5);
            return;
        }
        if (isinf(d)) {
            dt_buf_append(out, d > 0 ? "\"Infinity\"" : "\"-Infinity\"", d > 0 ? 10 : 11);
            return;
        }
        break;
    }
    default: break;
    }
    dt_buf_clear(tmp);
    dt_value_format(c, row, tmp);
    switch (c->field.kind) {
    case DT_BOOL:
    case DT_INT32:
    case DT_INT64:
    case DT_UINT64:
    case DT_DOUBLE:
    case DT_DURATION:
    case DT_DECIMAL:
    case DT_DECIMAL128: dt_buf_append(out, tmp->data, tmp->len); break;
    default: dt_json_string_out((const char *)tmp->data, tmp->len, out); break;
    }
}

void dt_jsonl_row(const dt_table *t, size_t row, dt_buf *out, dt_buf *tmp)
{
    dt_buf_putc(out, '{');
    for (size_t c = 0; c < t->ncol; c++) {
        if (c)
            dt_buf_putc(out, ',');
        dt_json_string_out(t->cols[c].field.name, strlen(t->cols[c].field.name), out);
        dt_buf_putc(out, ':');
        value_out(&t->cols[c], row, out, tmp);
    }
    dt_buf_append(out, "}\n", 2);
}
