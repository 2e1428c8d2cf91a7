/*
 * csv_write.c: the CSV writer (csv.h; rules in docs/formats.md, "CSV").
 *
 * A header line, then one line per row, LF line ends. Values are spelled by
 * dt_value_format (table.c), the same spelling `datom cat` uses. A missing
 * value is an empty field; a field is quoted only when it must be: it holds
 * the delimiter, a quote or a line break, or it is a string that would
 * otherwise read back as missing (the empty string and "NA"). Output is
 * gathered in a buffer and handed to the sink in large writes.
 */
#include <stdlib.h>
#include <string.h>

#include "table/csv.h"

#define FLUSH_AT (1u << 20)

struct dt_csv_writer {
    dt_schema schema;
    char delim;
    dt_sink sink;
    dt_buf out;
    dt_buf val;
    uint8_t special[256]; /* bytes that force quoting */
    bool check_spelled;   /* the delimiter could occur in a spelled number or date */
};

static int flush(dt_csv_writer *w)
{
    if (!w->out.len)
        return 0;
    int rc = dt_sink_write(w->sink, w->out.data, w->out.len);
    dt_buf_clear(&w->out);
    return rc;
}

static bool needs_quotes(const dt_csv_writer *w, const char *s, size_t n, bool is_text)
{
    if (is_text && (n == 0 || (n == 2 && s[0] == 'N' && s[1] == 'A')))
        return true;
    for (size_t i = 0; i < n; i++)
        if (w->special[(uint8_t)s[i]])
            return true;
    return false;
}

static void put_field(dt_csv_writer *w, const char *s, size_t n, bool is_text, bool force)
{
    if (!force && !needs_quotes(w, s, n, is_text)) {
        dt_buf_reserve(&w->out, n);
        if (n)
            memcpy(w->out.data + w->out.len, s, n);
        w->out.len += n;
        return;
    }
    dt_buf_reserve(&w->out, 2 * n + 2);
    char *o = (char *)w->out.data + w->out.len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        *o++ = s[i];
        if (s[i] == '"')
            *o++ = '"';
    }
    *o++ = '"';
    w->out.len = (size_t)(o - (char *)w->out.data);
}

int dt_csv_writer_open(dt_csv_writer **out, const dt_schema *s, char delim, dt_sink sink)
{
    *out = NULL;
    if (!delim)
        delim = ',';
    if (delim == '"' || delim == '\r' || delim == '\n')
        return dt_error(DATOM_EINVAL, "a quote or line break cannot be the CSV delimiter");
    dt_csv_writer *w = dt_calloc(1, sizeof *w);
    dt_schema_copy(&w->schema, s);
    w->delim = delim;
    w->sink = sink;
    w->special[(uint8_t)delim] = w->special['"'] = w->special['\r'] = w->special['\n'] = 1;
    w->check_spelled = !strchr(",;\t|", delim);
    for (size_t c = 0; c < s->ncol; c++) {
        if (c)
            dt_buf_putc(&w->out, delim);
        const char *name = s->fields[c].name;
        /* a first name opening with U+FEFF would read back as a byte order mark */
        put_field(w, name, strlen(name), true, c == 0 && !strncmp(name, "\xEF\xBB\xBF", 3));
    }
    if (s->ncol)
        dt_buf_putc(&w->out, '\n');
    *out = w;
    return 0;
}

static void put_value(dt_csv_writer *w, const dt_column *col, size_t row)
{
    if (!dt_col_is_valid(col, row))
        return;
    size_t n;
    switch (col->field.kind) {
    case DT_STRING: {
        const char *s = dt_col_str(col, row, &n);
        put_field(w, s, n, true, false);
        return;
    }
    case DT_BINARY: /* as text: the empty value is "", not a missing one */
        dt_buf_clear(&w->val);
        dt_value_format(col, row, &w->val);
        put_field(w, (const char *)w->val.data, w->val.len, true, false);
        return;
    default: {
        /* spelled straight into the output; only an unusual delimiter can need quotes */
        dt_buf_reserve(&w->out, DT_VALUE_MAX);
        char *at = (char *)w->out.data + w->out.len;
        n = dt_value_spell(col, row, at);
        if (w->check_spelled && needs_quotes(w, at, n, false)) {
            dt_buf_clear(&w->val);
            dt_buf_append(&w->val, at, n);
            put_field(w, (const char *)w->val.data, n, false, true);
        } else {
            w->out.len += n;
        }
    }
    }
}

int dt_csv_writer_write(dt_csv_writer *w, const dt_table *t)
{
    if (t->ncol != w->schema.ncol)
        return dt_error(DATOM_EINVAL, "CSV writer: batch has %zu columns, the schema %zu", t->ncol,
                        w->schema.ncol);
    for (size_t r = 0; r < t->nrow; r++) {
        for (size_t c = 0; c < t->ncol; c++) {
            if (c) {
                dt_buf_reserve(&w->out, 1);
                w->out.data[w->out.len++] = (uint8_t)w->delim;
            }
            put_value(w, &t->cols[c], r);
        }
        dt_buf_reserve(&w->out, 1);
        w->out.data[w->out.len++] = '\n';
        if (w->out.len >= FLUSH_AT) {
            int rc = flush(w);
            if (rc)
                return rc;
        }
    }
    return 0;
}

int dt_csv_writer_close(dt_csv_writer *w)
{
    if (!w)
        return 0;
    int rc = flush(w);
    dt_buf_free(&w->out);
    dt_buf_free(&w->val);
    dt_schema_free(&w->schema);
    free(w);
    return rc;
}
