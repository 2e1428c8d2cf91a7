/*
 * printable.c: text on its way to a terminal. A name or a file name may hold
 * bytes that drive the terminal (ESC, CSI, a carriage return that overwrites
 * the line) or are not UTF-8 at all; dt_printable spells every such byte as
 * a C escape, so what the user sees is what the name holds. Every recorded
 * error message and log line passes through it (error.c, log.c).
 *
 * Escaped: C0 controls (\n \r \t as such, others \xNN), DEL, the C1 controls
 * U+0080..U+009F (\u0085...), and bytes of invalid UTF-8 (\xNN). Backslash
 * itself is left alone: paths and messages use it rarely, and doubling it
 * everywhere would garble more than it clarifies.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* The length of the valid UTF-8 character at P (of N bytes), or 0. */
static size_t utf8_char(const unsigned char *p, size_t n)
{
    uint32_t cp;
    return dt_utf8_decode(p, p + n, &cp);
}

bool dt_is_printable(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_char(p + i, n - i);
        if (!len || p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xC2 && p[i + 1] < 0xA0))
            return false;
        i += len;
    }
    return true;
}

void dt_buf_put_printable(dt_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_char(p + i, n - i);
        if (len == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
            if (p[i] == '\n')
                dt_buf_puts(b, "\\n");
            else if (p[i] == '\r')
                dt_buf_puts(b, "\\r");
            else if (p[i] == '\t')
                dt_buf_puts(b, "\\t");
            else
                dt_buf_printf(b, "\\x%02x", p[i]);
        } else if (len == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0) {
            dt_buf_printf(b, "\\u%04x", p[i + 1]);
        } else if (len == 0) {
            dt_buf_printf(b, "\\x%02x", p[i]);
            len = 1;
        } else {
            dt_buf_append(b, p + i, len);
        }
        i += len;
    }
}

char *dt_printable(const char *s)
{
    dt_buf b = DT_BUF_INIT;
    dt_buf_put_printable(&b, s ? s : "");
    return b.data ? dt_buf_detach(&b) : dt_strdup("");
}

char *dt_shown(const char *s, size_t max)
{
    dt_buf b = DT_BUF_INIT;
    size_t n = strlen(s ? s : "");
    if (n <= max) {
        dt_buf_put_printable(&b, s ? s : "");
    } else {
        size_t cut = max;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--; /* not inside a character */
        char *head = dt_strndup(s, cut);
        dt_buf_put_printable(&b, head);
        dt_buf_printf(&b, "... (%zu bytes)", n);
        free(head);
    }
    return b.data ? dt_buf_detach(&b) : dt_strdup("");
}
