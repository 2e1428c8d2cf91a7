/*
 * snappy.c: the reader's snappy decoder (see snappy.h). A stream is a varint
 * length, then elements: a literal (tag 00: up to 60 bytes' length in the tag,
 * else 1 to 4 length bytes, then the bytes) or a copy of earlier output (tag
 * 01: length 4..11 and an 11-bit offset; 10: length 1..64 and a 16-bit
 * offset; 11: the same with a 32-bit offset). Every length and offset is
 * checked against what is left of the input and the output before it is used.
 */
#include <string.h>

#include "table/parquet/snappy.h"

/* The decoding loop's helpers must be inlined: a call per element costs as
 * much as the element. */
#define HOT static inline __attribute__((always_inline))

int dt_snappy_length(const uint8_t *src, size_t n, size_t *len, size_t *used)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 5 && i < n; i++) {
        uint8_t b = src[i];
        if (i == 4 && b > 0x0f) /* more than 32 bits, or a sixth byte */
            return -1;
        v |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *len = v;
            *used = i + 1;
            return 0;
        }
    }
    return -1;
}

/* Copies l bytes from off bytes back (off <= what is written, l <= room).
 * Copies overlap their own output when off < l: the bytes repeat. Where 16
 * bytes of room are left past the copy it goes in whole 8- or 16-byte steps
 * and may write beyond l (later elements overwrite that); otherwise exactly. */
HOT void copy_back(uint8_t *op, size_t off, size_t l, size_t room)
{
    const uint8_t *s = op - off;
    if (room < l + 16) {
        for (size_t i = 0; i < l; i++)
            op[i] = s[i];
        return;
    }
    if (off >= 16) {
        memcpy(op, s, 16); /* most copies are short: one move */
        for (size_t i = 16; i < l; i += 16)
            memcpy(op + i, s + i, 16);
    } else if (off >= 8) {
        memcpy(op, s, 8);
        memcpy(op + 8, s + 8, 8);
        for (size_t i = 16; i < l; i += 8)
            memcpy(op + i, s + i, 8);
    } else {
        /* the first 8 bytes one by one, then in steps of a multiple of the
         * period that is at least 8, which repeats the same bytes */
        for (size_t i = 0; i < 8; i++)
            op[i] = s[i];
        size_t period = off * ((8 + off - 1) / off);
        for (size_t i = 8; i < l; i += 8)
            memcpy(op + i, op + i - period, 8);
    }
}

/* A literal's length when it does not fit the tag: 1 to 4 bytes follow,
 * holding len - 1 ("For longer literals, the (len-1) value is stored after
 * the tag byte, little-endian": google/snappy format_description.txt, 2.1).
 * So 4 bytes ff ff ff ff say 2^32 bytes, more than a stream can hold (its
 * preamble caps the output at 2^32 - 1), and the stream is refused: *l is
 * size_t and the sum cannot wrap. libsnappy 1.1.9 adds the 1 in 32-bit
 * arithmetic, gets 0 and accepts an empty literal there; that is its overflow,
 * not the format, and the one difference fuzz/fuzz_snappy.c allows
 * (input gQDwAAD8/////w== in base64, in fuzz/corpus/fuzz_snappy/). */
static int literal_length(const uint8_t **ip, const uint8_t *ip_end, size_t nb, size_t *l)
{
    if ((size_t)(ip_end - *ip) < nb)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < nb; i++)
        v |= (uint32_t)(*ip)[i] << (8 * i);
    *ip += nb;
    *l = (size_t)v + 1;
    return 0;
}

/* A copy's length and offset, from its tag and the 1, 2 or 4 bytes after
 * it (copy_extra says how many). */
HOT size_t copy_extra(uint8_t tag) { return (tag & 3) == 1 ? 1 : (tag & 3) == 2 ? 2 : 4; }

HOT void copy_fields(uint8_t tag, const uint8_t *ip, size_t *l, size_t *off)
{
    if ((tag & 3) == 1) {
        *l = 4 + ((tag >> 2) & 7);
        *off = (size_t)(tag >> 5) << 8 | ip[0];
        return;
    }
    *l = (size_t)(tag >> 2) + 1;
    *off = (size_t)ip[0] | (size_t)ip[1] << 8;
    if ((tag & 3) == 3)
        *off |= (size_t)ip[2] << 16 | (size_t)ip[3] << 24;
}

/* One element (its tag already read), checked against what is left of both
 * buffers: the general step, used near their ends. */
HOT int decode_element(uint8_t tag, const uint8_t **ipp, const uint8_t *ip_end, uint8_t *dst,
                       uint8_t **opp, uint8_t *op_end)
{
    const uint8_t *ip = *ipp;
    uint8_t *op = *opp;
    size_t room = (size_t)(op_end - op), l, off;
    if ((tag & 3) == 0) {
        l = (size_t)(tag >> 2) + 1;
        if (l > 60 && literal_length(&ip, ip_end, l - 60, &l) != 0)
            return -1;
        if (l > (size_t)(ip_end - ip) || l > room)
            return -1;
        memcpy(op, ip, l);
        *ipp = ip + l;
        *opp = op + l;
        return 0;
    }
    if ((size_t)(ip_end - ip) < copy_extra(tag))
        return -1;
    copy_fields(tag, ip, &l, &off);
    if (off == 0 || off > (size_t)(op - dst) || l > room)
        return -1;
    copy_back(op, off, l, room);
    *ipp = ip + copy_extra(tag);
    *opp = op + l;
    return 0;
}

int dt_snappy_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len)
{
    size_t len, used;
    if (dt_snappy_length(src, n, &len, &used) != 0 || len != dst_len)
        return -1;
    const uint8_t *ip = src + used, *ip_end = src + n;
    uint8_t *op = dst, *op_end = dst + dst_len;
    /* Away from the ends (a tag, its extra bytes and a 16-byte literal move
     * fit the input; the longest copy and 16 more the output), short literals
     * and copies need no checks but their offset's. */
    while (ip_end - ip >= 21 && op_end - op >= 80) {
        uint8_t tag = *ip++;
        size_t l, off;
        if ((tag & 3) == 0) {
            l = (size_t)(tag >> 2) + 1;
            if (l > 16) {
                if (decode_element(tag, &ip, ip_end, dst, &op, op_end) != 0)
                    return -1;
                continue;
            }
            memcpy(op, ip, 16);
            op += l;
            ip += l;
            continue;
        }
        copy_fields(tag, ip, &l, &off);
        ip += copy_extra(tag);
        if (off - 1 >= (size_t)(op - dst)) /* 0, or before the start */
            return -1;
        copy_back(op, off, l, 80);
        op += l;
    }
    while (ip < ip_end) {
        uint8_t tag = *ip++;
        if (decode_element(tag, &ip, ip_end, dst, &op, op_end) != 0)
            return -1;
    }
    return op == op_end ? 0 : -1;
}
