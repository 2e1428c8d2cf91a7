/*
 * jsonlite.c: the canonical JSON text of metadata_sha, spelled as R's
 * jsonlite::toJSON(auto_unbox = TRUE) spells it (rules in jsonlite.h). The
 * number formatting follows the behaviour of jsonlite's num_to_char with
 * digits = 4, including its rounding of halfway cases, so that a metadata
 * document read back from JSON hashes the same here and in R.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "project/jsonlite.h"

static void write_string(const char *s, size_t n, dt_buf *out)
{
    dt_buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': dt_buf_puts(out, "\\\""); break;
        case '\\': dt_buf_puts(out, "\\\\"); break;
        case '\n': dt_buf_puts(out, "\\n"); break;
        case '\r': dt_buf_puts(out, "\\r"); break;
        case '\t': dt_buf_puts(out, "\\t"); break;
        case '\b': dt_buf_puts(out, "\\b"); break;
        case '\f': dt_buf_puts(out, "\\f"); break;
        case '/':
            dt_buf_puts(out, i > 0 && s[i - 1] == '<' ? "\\/" : "/");
            break;
        default:
            if (c < 0x20)
                dt_buf_printf(out, "\\u%04x", c);
            else
                dt_buf_putc(out, (char)c);
        }
    }
    dt_buf_putc(out, '"');
}

/* Fixed notation with at most PREC decimals and no trailing zeros, for
 * 1e-5 < |v| < 2^31-1, rounding as jsonlite does: up above one half, and on
 * exactly one half when the last digit kept is odd or zero. */
static void write_fixed(double v, int prec, dt_buf *out)
{
    static const double pow10[] = {1, 10, 100, 1000, 10000, 100000, 1e6, 1e7, 1e8, 1e9};
    bool neg = v < 0;
    if (neg)
        v = -v;
    int whole = (int)v;
    double scaled = (v - whole) * pow10[prec];
    uint32_t frac = (uint32_t)scaled;
    double diff = scaled - frac;
    if (diff > 0.5) {
        frac++;
        if (frac >= pow10[prec]) {
            frac = 0;
            whole++;
        }
    } else if (diff == 0.5 && (frac == 0 || (frac & 1))) {
        frac++;
    }
    dt_buf_printf(out, "%s%d", neg ? "-" : "", whole);
    if (frac) {
        int width = prec;
        while (frac % 10 == 0) {
            frac /= 10;
            width--;
        }
        dt_buf_printf(out, ".%0*u", width, frac);
    }
}

void dt_jsonlite_double(double v, dt_buf *out)
{
    const int digits = 4;
    if (fabs(v) < 2147483647.0 && fabs(v) > 1e-5) {
        write_fixed(v, digits, out);
        return;
    }
    double sig = ceil(fmin(17, fmax(1, log10(fabs(v))) + digits));
    dt_buf_printf(out, "%.*g", (int)sig, v);
}

static bool is_scalar(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v) || json_is_null(v);
}

void dt_jsonlite_write(const json_t *v, dt_buf *out)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        bool first = true;
        dt_buf_putc(out, '{');
        json_object_foreach((json_t *)v, key, val) {
            if (!first)
                dt_buf_putc(out, ',');
            first = false;
            write_string(key, strlen(key), out);
            dt_buf_putc(out, ':');
            dt_jsonlite_write(val, out);
        }
        dt_buf_putc(out, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (n == 1 && is_scalar(json_array_get(v, 0))) {
            dt_jsonlite_write(json_array_get(v, 0), out); /* auto_unbox */
            break;
        }
        dt_buf_putc(out, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                dt_buf_putc(out, ',');
            dt_jsonlite_write(json_array_get(v, i), out);
        }
        dt_buf_putc(out, ']');
        break;
    }
    case JSON_STRING: write_string(json_string_value(v), json_string_length(v), out); break;
    case JSON_INTEGER: {
        json_int_t i = json_integer_value(v);
        /* jsonlite reads integers beyond R's int range as doubles */
        if (i > -2147483647LL - 1 && i <= 2147483647LL)
            dt_buf_printf(out, "%lld", (long long)i);
        else
            dt_jsonlite_double((double)i, out);
        break;
    }
    case JSON_REAL: dt_jsonlite_double(json_real_value(v), out); break;
    case JSON_TRUE: dt_buf_puts(out, "true"); break;
    case JSON_FALSE: dt_buf_puts(out, "false"); break;
    default: dt_buf_puts(out, "null"); break;
    }
}
