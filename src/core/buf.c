/*
 * buf.c: growable byte buffers, string vectors and byte sinks.
 *
 * A sink is where streamed output goes (a buffer, a file descriptor, a store
 * writer, a hash): producers such as the Parquet writer write to a sink and do
 * not know what is behind it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"

void dt_buf_reserve(dt_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap < (SIZE_MAX / 2) ? cap * 2 : need;
    b->data = dt_realloc(b->data, cap);
    b->cap = cap;
}

void dt_buf_reserve_mapped(dt_buf *b, size_t extra)
{
    dt_buf_reserve(b, extra);
    dt_mem_populate(b->data + b->len, extra);
}

void dt_buf_append(dt_buf *b, const void *p, size_t n)
{
    dt_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void dt_buf_puts(dt_buf *b, const char *s) { dt_buf_append(b, s, strlen(s)); }
void dt_buf_putc(dt_buf *b, char c) { dt_buf_append(b, &c, 1); }

void dt_buf_vprintf(dt_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    dt_buf_reserve(b, (size_t)n);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void dt_buf_printf(dt_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dt_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *dt_buf_cstr(dt_buf *b) { return b->data ? (const char *)b->data : ""; }

char *dt_buf_detach(dt_buf *b)
{
    char *p = b->data ? (char *)b->data : dt_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void dt_buf_clear(dt_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void dt_buf_free(dt_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void dt_strv_push_owned(dt_strv *s, char *str)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = dt_realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = str;
}

void dt_strv_push(dt_strv *s, const char *str) { dt_strv_push_owned(s, dt_strdup(str)); }

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void dt_strv_sort(dt_strv *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, cmp_str);
}

void dt_strv_free(dt_strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

void datom_strings_free(char **strings, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(strings[i]);
    free(strings);
}

static int sink_buf_write(void *ctx, const void *p, size_t n)
{
    dt_buf_append(ctx, p, n);
    return 0;
}

dt_sink dt_sink_buf(dt_buf *b) { return (dt_sink){sink_buf_write, b}; }

static int sink_fd_write(void *ctx, const void *p, size_t n)
{
    int fd = *(int *)ctx;
    if (dt_fs_write_all(fd, p, n) == 0)
        return 0;
    /* the sink knows only a descriptor: standard output is the one a user
     * redirects (> /dev/full), and is named so */
    if (fd == 1)
        return dt_error_errno(errno, "standard output");
    return dt_error_errno(errno, "write to file descriptor %d", fd);
}

dt_sink dt_sink_fd(int *fd) { return (dt_sink){sink_fd_write, fd}; }
