/*
 * mem.c: allocation that never returns NULL.
 *
 * Running out of memory aborts with a message, as in Redis: callers keep their
 * error paths for real errors (bad input, I/O), and sizes taken from outside
 * data are bounded before they reach these functions.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"

static void oom(size_t n)
{
    fprintf(stderr, "datom: out of memory allocating %zu bytes\n", n);
    abort();
}

void *dt_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *dt_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *dt_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *dt_strdup(const char *s) { return dt_strndup(s, strlen(s)); }

char *dt_strndup(const char *s, size_t n)
{
    char *p = dt_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *dt_sprintf(const char *fmt, ...)
{
    dt_buf b = DT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    dt_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return dt_buf_detach(&b);
}

void dt_mem_populate(void *p, size_t n)
{
    /* whole pages of the range only; MADV_POPULATE_WRITE is Linux 5.14+, and
     * where it is missing the pages simply fault in as they are written */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t to = ((uintptr_t)p + n) & ~(page - 1);
#ifdef MADV_POPULATE_WRITE
#ifdef MADV_HUGEPAGE
    /* 2 MiB pages where the kernel has them: a few faults instead of one per
     * 4 KiB (each dear under virtualisation) */
    if (to - from >= ((uintptr_t)2 << 20))
        madvise((void *)from, to - from, MADV_HUGEPAGE);
#endif
    if (to > from)
        madvise((void *)from, to - from, MADV_POPULATE_WRITE);
#else
    (void)from, (void)to;
#endif
}
