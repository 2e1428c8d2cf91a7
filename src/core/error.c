/*
 * error.c: the one error convention of libdatom.
 *
 * A failing function records (code, message) in thread-local storage and returns
 * the code; datom_errmsg() reads it back. Messages are built outer-to-inner by
 * dt_error_wrap(), which prefixes context as a failure travels up the stack.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define ERRMSG_MAX 4096

static _Thread_local int last_code;
static _Thread_local char last_msg[ERRMSG_MAX];

const char *datom_errmsg(void) { return last_msg; }
int datom_errcode(void) { return last_code; }
void datom_errclear(void)
{
    last_code = DATOM_OK;
    last_msg[0] = '\0';
}

const char *datom_version(void) { return DATOM_VERSION_STRING; }

/* TEXT (N bytes) into OUT (CAP bytes), losing its middle when it does not
 * fit: the reason of a message comes last ("write TABLE: FILE:3:7: ragged
 * row") and a long name or path before it must not push it out. */
static void fit(char *out, size_t cap, const char *text, size_t n)
{
    if (n < cap) {
        memcpy(out, text, n + 1);
        return;
    }
    char mark[64];
    size_t head = cap / 3, tail = cap - 1 - head - sizeof mark;
    while (head > 0 && ((unsigned char)text[head] & 0xC0) == 0x80)
        head--; /* never inside a character */
    while (((unsigned char)text[n - tail] & 0xC0) == 0x80)
        tail--;
    int m = snprintf(mark, sizeof mark, " [... %zu bytes ...] ", n - head - tail);
    memmove(out, text, head);
    memcpy(out + head, mark, (size_t)m);
    memmove(out + head + (size_t)m, text + n - tail, tail + 1);
}

static void store_msg(const char *text) { fit(last_msg, sizeof last_msg, text, strlen(text)); }

/* Records MSG with the credentials of any URL in it hidden (redact.c) and
 * control characters escaped (printable.c): no layer, and no libgit2
 * message passed along, can leak a secret or drive the user's terminal. */
static void set_msg(const char *msg)
{
    char *clean = strstr(msg, "://") ? dt_redact(msg) : NULL;
    const char *text = clean ? clean : msg;
    if (dt_is_printable(text)) {
        store_msg(text);
    } else {
        char *shown = dt_printable(text);
        store_msg(shown);
        free(shown);
    }
    free(clean);
}

int dt_error(int code, const char *fmt, ...)
{
    dt_buf b = DT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    dt_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    set_msg(dt_buf_cstr(&b));
    dt_buf_free(&b);
    last_code = code;
    return code;
}

/* Context longer than this is cut in its middle: a wrap naming a huge
 * table or file must leave room for what went wrong. */
#define WRAP_MAX 512

int dt_error_wrap(const char *fmt, ...)
{
    dt_buf b = DT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    dt_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (b.len >= WRAP_MAX) {
        fit((char *)b.data, WRAP_MAX, (const char *)b.data, b.len);
        b.len = strlen((const char *)b.data);
    }
    dt_buf_printf(&b, ": %s", last_msg);
    set_msg(dt_buf_cstr(&b));
    dt_buf_free(&b);
    if (last_code == DATOM_OK)
        last_code = DATOM_EINTERNAL;
    return last_code;
}

int dt_error_errno(int err, const char *fmt, ...)
{
    char what[ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int code = DATOM_EIO;
    if (err == ENOENT)
        code = DATOM_ENOTFOUND;
    else if (err == EEXIST)
        code = DATOM_EEXISTS;
    return dt_error(code, "%s: %s", what, strerror(err));
}

int dt_error_head(int code, dt_buf *head, const char *fmt, va_list ap)
{
    dt_buf_puts(head, ": ");
    dt_buf_vprintf(head, fmt, ap);
    int rc = dt_error(code, "%s", dt_buf_cstr(head));
    dt_buf_free(head);
    return rc;
}

/* Exit statuses of the datom command, one per error code (docs/cli.md). */
static const struct {
    int code, status;
    const char *name;
} exit_table[] = {
    {DATOM_OK, 0, "ok"},
    {DATOM_EINVAL, 2, "invalid input"},
    {DATOM_ENOTFOUND, 3, "not found"},
    {DATOM_EEXISTS, 4, "already exists"},
    {DATOM_ECONFLICT, 5, "conflict"},
    {DATOM_ELOCKED, 5, "locked"},
    {DATOM_EAMBIGUOUS, 6, "ambiguous"},
    {DATOM_ECORRUPT, 7, "corrupt data"},
    {DATOM_EIO, 8, "i/o error"},
    {DATOM_EUNSUPPORTED, 9, "unsupported"},
    {DATOM_EINTERNAL, 10, "internal error"},
    {DATOM_ETIMEOUT, 11, "timed out"},
};

int dt_exit_code(int code)
{
    for (size_t i = 0; i < DT_ARRAY_LEN(exit_table); i++)
        if (exit_table[i].code == code)
            return exit_table[i].status;
    return 1;
}

const char *dt_exit_name(int code)
{
    for (size_t i = 0; i < DT_ARRAY_LEN(exit_table); i++)
        if (exit_table[i].code == code)
            return exit_table[i].name;
    return "error";
}
