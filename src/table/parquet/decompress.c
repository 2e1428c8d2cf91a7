/*
 * decompress.c: page decompression for the reader (see decompress.h), over
 * the reader's own snappy decoder (snappy.c), zlib, libzstd, liblz4 and
 * libbrotlidec. Output never goes past
 * the size the page header claims, and space for it is only reserved as far
 * as the compressed data can vouch for.
 */
#include <brotli/decode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "core/core.h"
#include "table/parquet/decompress.h"
#include "table/parquet/meta.h"
#include "table/parquet/snappy.h"

/* GZIP pages are gzip members (zlib headers are accepted too); concatenated
 * members are read one after another. */
static int gzip_page(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return -1;
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
    z.next_out = dst;
    z.avail_out = (uInt)dst_len;
    int rc = Z_OK;
    for (;;) {
        rc = inflate(&z, Z_FINISH);
        if (rc == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0) {
            if (inflateReset(&z) != Z_OK)
                break;
            continue;
        }
        break;
    }
    size_t out = dst_len - z.avail_out;
    inflateEnd(&z);
    return (rc == Z_STREAM_END || rc == Z_BUF_ERROR) && out == dst_len ? 0 : -1;
}

static int zstd_page(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    size_t out = ZSTD_decompress(dst, dst_len, src, n);
    return !ZSTD_isError(out) && out == dst_len ? 0 : -1;
}


static int lz4_raw_page(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    if (n > INT32_MAX || dst_len > INT32_MAX)
        return -1;
    int out = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
    return out >= 0 && (size_t)out == dst_len ? 0 : -1;
}

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop's framing: blocks of [uncompressed len BE32][compressed len BE32][raw LZ4]. */
static int lz4_hadoop_page(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    size_t in = 0, out = 0;
    while (in < n) {
        if (n - in < 8)
            return -1;
        uint32_t ulen = load_be32(src + in), clen = load_be32(src + in + 4);
        in += 8;
        if (clen > n - in || ulen > dst_len - out)
            return -1;
        if (lz4_raw_page(src + in, clen, dst + out, ulen) != 0)
            return -1;
        in += clen;
        out += ulen;
    }
    return out == dst_len ? 0 : -1;
}

static int lz4_frame_page(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    LZ4F_dctx *ctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
        return -1;
    size_t in = 0, out = 0, rc = 1;
    while (in < n && rc != 0) {
        size_t src_size = n - in, dst_size = dst_len - out;
        rc = LZ4F_decompress(ctx, dst + out, &dst_size, src + in, &src_size, NULL);
        if (LZ4F_isError(rc) || (src_size == 0 && dst_size == 0))
            break;
        in += src_size;
        out += dst_size;
    }
    LZ4F_freeDecompressionContext(ctx);
    return !LZ4F_isError(rc) && rc == 0 && in == n && out == dst_len ? 0 : -1;
}

/* Makes room for n bytes in *buf, with some to spare: pages of a column
 * differ a little in size, and a buffer made anew for each would be faulted
 * in anew each time. */
static void reserve(uint8_t **buf, size_t *cap, size_t n)
{
    if (*cap >= n + 1)
        return;
    free(*buf);
    *cap = n + 1 + n / 8;
    *buf = dt_malloc(*cap);
}

static void grow(uint8_t **buf, size_t *cap, size_t used, size_t limit)
{
    size_t n = *cap * 2 < limit + 1 ? *cap * 2 : limit + 1;
    *buf = dt_realloc(*buf, n);
    *cap = n;
    (void)used;
}

/* Codecs whose streams state no size: output space grows with the output
 * actually produced, up to the claimed length (+1 to notice overruns). */
static int brotli_page(const uint8_t *src, size_t n, size_t len, uint8_t **buf, size_t *cap)
{
    BrotliDecoderState *st = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!st)
        return -1;
    reserve(buf, cap, DT_MIN(len, 4 * n + 4096));
    size_t avail_in = n, used = 0;
    const uint8_t *in = src;
    BrotliDecoderResult rc;
    for (;;) {
        size_t avail_out = *cap - used;
        uint8_t *out = *buf + used;
        rc = BrotliDecoderDecompressStream(st, &avail_in, &in, &avail_out, &out, NULL);
        used = (size_t)(out - *buf);
        if (rc != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT || used > len || *cap > len)
            break;
        grow(buf, cap, used, len);
    }
    BrotliDecoderDestroyInstance(st);
    return rc == BROTLI_DECODER_RESULT_SUCCESS && avail_in == 0 && used == len ? 0 : -1;
}

static int zstd_stream_page(const uint8_t *src, size_t n, size_t len, uint8_t **buf, size_t *cap)
{
    ZSTD_DCtx *z = ZSTD_createDCtx();
    if (!z)
        return -1;
    reserve(buf, cap, DT_MIN(len, 4 * n + 4096));
    ZSTD_inBuffer in = {src, n, 0};
    size_t rc = 1;
    ZSTD_outBuffer out = {*buf, *cap, 0};
    while (in.pos < in.size || rc != 0) {
        out.dst = *buf;
        out.size = *cap;
        size_t before_in = in.pos, before_out = out.pos;
        rc = ZSTD_decompressStream(z, &out, &in);
        if (ZSTD_isError(rc) || out.pos > len)
            break;
        if (out.pos == out.size) {
            if (*cap > len)
                break;
            grow(buf, cap, out.pos, len);
        } else if (in.pos == before_in && out.pos == before_out) {
            break; /* no progress: truncated input */
        }
    }
    ZSTD_freeDCtx(z);
    return !ZSTD_isError(rc) && rc == 0 && in.pos == in.size && out.pos == len ? 0 : -1;
}

/* The sum of the sizes the frames state: ZSTD_CONTENTSIZE_UNKNOWN if one does
 * not, ZSTD_CONTENTSIZE_ERROR if the frames are damaged. */
static unsigned long long zstd_total_size(const uint8_t *src, size_t n)
{
    unsigned long long total = 0;
    while (n > 0) {
        unsigned long long len = ZSTD_getFrameContentSize(src, n);
        size_t flen = ZSTD_findFrameCompressedSize(src, n);
        if (len == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(flen) || flen == 0 || flen > n)
            return ZSTD_CONTENTSIZE_ERROR;
        if (len == ZSTD_CONTENTSIZE_UNKNOWN)
            return len;
        if (len > (unsigned long long)DT_PQ_MAX_PAGE - total)
            return ZSTD_CONTENTSIZE_ERROR;
        total += len;
        src += flen;
        n -= flen;
    }
    return total;
}

static bool plausible(int codec, const uint8_t *src, size_t src_len, size_t dst_len)
{
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED: return src_len == dst_len;
    case PQ_CODEC_SNAPPY: {
        size_t len, used;
        return dt_snappy_length(src, src_len, &len, &used) == 0 && len == dst_len;
    }
    case PQ_CODEC_ZSTD: return zstd_total_size(src, src_len) == dst_len;
    case PQ_CODEC_GZIP: return dst_len / 1032 <= src_len;
    case PQ_CODEC_LZ4:
    case PQ_CODEC_LZ4_RAW: return dst_len / 255 <= src_len + 16;
    case PQ_CODEC_BROTLI: return true;
    default: return false;
    }
}

int dt_pq_decompress(int codec, const uint8_t *src, size_t src_len, size_t len, uint8_t **buf,
                     size_t *cap, const char **why)
{
    int rc;
    *why = "page's stated size does not match its compressed data";
    if (codec == PQ_CODEC_BROTLI) {
        rc = brotli_page(src, src_len, len, buf, cap);
    } else if (codec == PQ_CODEC_ZSTD &&
               zstd_total_size(src, src_len) == ZSTD_CONTENTSIZE_UNKNOWN) {
        rc = zstd_stream_page(src, src_len, len, buf, cap);
    } else {
        if (!plausible(codec, src, src_len, len)) {
            if (codec < 0 || codec > PQ_CODEC_LZ4_RAW || codec == PQ_CODEC_LZO)
                *why = "unsupported compression codec";
            return -1;
        }
        reserve(buf, cap, len);
        uint8_t *dst = *buf;
        switch (codec) {
        case PQ_CODEC_UNCOMPRESSED:
            if (len)
                memcpy(dst, src, len);
            rc = 0;
            break;
        case PQ_CODEC_SNAPPY: rc = dt_snappy_decode(src, src_len, dst, len); break;
        case PQ_CODEC_GZIP: rc = gzip_page(src, src_len, dst, len); break;
        case PQ_CODEC_ZSTD: rc = zstd_page(src, src_len, dst, len); break;
        case PQ_CODEC_LZ4_RAW: rc = lz4_raw_page(src, src_len, dst, len); break;
        case PQ_CODEC_LZ4:
            rc = lz4_hadoop_page(src, src_len, dst, len);
            if (rc != 0)
                rc = lz4_frame_page(src, src_len, dst, len);
            if (rc != 0)
                rc = lz4_raw_page(src, src_len, dst, len);
            break;
        default: rc = -1; break;
        }
    }
    if (rc != 0)
        *why = "page does not decompress to its stated size";
    return rc;
}

