/*
 * source.c: reading the Parquet reader's bytes (see source.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/core.h"
#include "table/parquet/source.h"

static int read_fully(int fd, uint64_t off, size_t n, uint8_t *dst)
{
    while (n > 0) {
        ssize_t got = pread(fd, dst, n, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return errno;
        if (got == 0)
            return -1;
        dst += got, off += (uint64_t)got, n -= (size_t)got;
    }
    return 0;
}

int dt_pq_src_read(const dt_pq_src *s, uint64_t off, size_t n, dt_pq_rbuf *buf,
                   const uint8_t **out)
{
    if (s->fd < 0) {
        *out = s->mem + off;
        return 0;
    }
    if (!buf->data || buf->cap < n) {
        free(buf->data);
        buf->cap = n + n / 4 + 16; /* the next page is often a little larger */
        buf->data = dt_malloc(buf->cap);
    }
    *out = buf->data;
    return read_fully(s->fd, off, n, buf->data);
}

void dt_pq_rbuf_free(dt_pq_rbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->cap = 0;
}
