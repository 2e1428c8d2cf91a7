/*
 * fuzz_snappy.c: libFuzzer target for the Parquet reader's snappy decoder
 * (src/table/parquet/snappy.c), against libsnappy: on any input both must
 * agree whether it is a valid stream and, when it is, on every byte; and the
 * decoder must never read or write outside its buffers (ASan, with the output
 * allocated at exactly the stated length). Seeds: fuzz/corpus/fuzz_snappy/.
 * Run by scripts/fuzz and, briefly, tests/test_fuzz.sh.
 */
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "table/parquet/snappy.h"

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
    if ((rc == 0) != lib || (lib && len && memcmp(ours, theirs, len) != 0))
        abort();
    free(ours);
    free(theirs);
    return 0;
}
