/*
 * compress.c: page compression for the Parquet writer (see compress.h):
 * UNCOMPRESSED, SNAPPY through snappy-c, ZSTD at a fixed level.
 */
#include <snappy-c.h>
#include <zstd.h>

#include "table/parquet/compress.h"

void dt_pq_compressor_init(dt_pq_compressor *c, dt_pq_codec codec)
{
    *c = (dt_pq_compressor){.codec = codec, .zctx = NULL, .out = DT_BUF_INIT};
}

void dt_pq_compressor_free(dt_pq_compressor *c)
{
    if (c->zctx)
        ZSTD_freeCCtx(c->zctx);
    c->zctx = NULL;
    dt_buf_free(&c->out);
}

int dt_pq_codec_thrift(dt_pq_codec codec)
{
    switch (codec) {
    case DT_PQ_SNAPPY: return 1;
    case DT_PQ_ZSTD: return 6;
    default: return 0;
    }
}

static int compress_snappy(dt_pq_compressor *c, const void *p, size_t n)
{
    size_t cap = snappy_max_compressed_length(n);
    dt_buf_reserve(&c->out, cap);
    size_t len = cap;
    if (snappy_compress(p, n, (char *)c->out.data, &len) != SNAPPY_OK)
        return dt_error(DATOM_EINTERNAL, "snappy: compression of a %zu-byte page failed", n);
    c->out.len = len;
    return 0;
}

static int compress_zstd(dt_pq_compressor *c, const void *p, size_t n)
{
    if (!c->zctx) {
        c->zctx = ZSTD_createCCtx();
        if (!c->zctx)
            return dt_error(DATOM_EINTERNAL, "zstd: cannot make a compression context");
    }
    size_t cap = ZSTD_compressBound(n);
    dt_buf_reserve(&c->out, cap);
    size_t len = ZSTD_compressCCtx(c->zctx, c->out.data, cap, p, n, DT_PQ_ZSTD_LEVEL);
    if (ZSTD_isError(len))
        return dt_error(DATOM_EINTERNAL, "zstd: %s", ZSTD_getErrorName(len));
    c->out.len = len;
    return 0;
}

int dt_pq_compress(dt_pq_compressor *c, const void *p, size_t n, const uint8_t **out, size_t *out_len)
{
    int rc = 0;
    c->out.len = 0;
    switch (c->codec) {
    case DT_PQ_SNAPPY: rc = compress_snappy(c, p, n); break;
    case DT_PQ_ZSTD: rc = compress_zstd(c, p, n); break;
    default:
        *out = p;
        *out_len = n;
        return 0;
    }
    if (rc)
        return rc;
    *out = c->out.data;
    *out_len = c->out.len;
    return 0;
}
