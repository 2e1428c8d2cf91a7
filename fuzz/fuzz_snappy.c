/*
 * fuzz_snappy.c: libFuzzer target for the Parquet reader's snappy decoder
 * (src/table/parquet/snappy.c), against libsnappy: on any input both must
 * agree whether it is a valid stream and, when it is, on every byte; and the
 * decoder must never read or write outside its buffers (ASan, with the output
 * allocated at exactly the stated length). The one difference allowed is
 * libsnappy's overflow on a literal whose 4-byte length field is ff ff ff ff
 * (see literal_length in snappy.c): ours refuses such a stream, as the format
 * says, where libsnappy reads an empty literal. Seeds and every input a run
 * has found: fuzz/corpus/fuzz_snappy/ (docs/testing.md).
 */
#include <snappy-c.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "table/parquet/snappy.h"

/* Whether libsnappy, walking the stream element by element as it does (the
 * boundaries depend on the input alone), meets a literal whose length field
 * is 4 bytes of ff: (len - 1) = 2^32 - 1, which it wraps to an empty literal. */
static bool has_wrapping_literal(const uint8_t *p, size_t n)
{
    size_t len, i;
    if (dt_snappy_length(p, n, &len, &i) != 0)
        return false;
    while (i < n) {
        uint8_t tag = p[i++];
        if ((tag & 3) != 0) {
            i += (tag & 3) == 1 ? 1 : (tag & 3) == 2 ? 2 : 4;
            continue;
        }
        size_t l = (size_t)(tag >> 2) + 1;
        if (l > 60) {
            size_t nb = l - 60;
            if (n - i < nb)
                return false;
            uint32_t v = 0;
            for (size_t k = 0; k < nb; k++)
                v |= (uint32_t)p[i + k] << (8 * k);
            i += nb;
            if (nb == 4 && v == UINT32_MAX)
                return true;
            l = (size_t)v + 1;
        }
        if (l > n - i)
            return false;
        i += l;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len, used;
    if (dt_snappy_length(data, size, &len, &used) != 0 || len > ((size_t)1 << 20))
        return 0;
    uint8_t *ours = malloc(len ? len : 1), *theirs = malloc(len ? len : 1);
    if (!ours || !theirs)
        abort();
    int rc = dt_snappy_decode(data, size, ours, len);
    size_t got = len;
    int lib = snappy_uncompress((const char *)data, size, (char *)theirs, &got) == SNAPPY_OK &&
              got == len;
    if (rc != 0 && lib && has_wrapping_literal(data, size))
        lib = 0; /* libsnappy's overflow: ours is right to refuse */
    if ((rc == 0) != lib || (lib && len && memcmp(ours, theirs, len) != 0))
        abort();
    free(ours);
    free(theirs);
    return 0;
}
