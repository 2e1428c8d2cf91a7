/*
 * fuzz_segment.c: libFuzzer target for the segment decoder (src/db/segment.c):
 * any bytes either decode or fail with DATOM_ECORRUPT, never read or write
 * outside their buffers (ASan) or leak; a segment that decodes re-encodes to
 * one that decodes to the same entries (a fixed point). Seeds:
 * fuzz/corpus/fuzz_segment/. Run by scripts/fuzz and, briefly,
 * tests/test_fuzz.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "db/novelty.h"
#include "db/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const dt_seg *a, const dt_seg *b)
{
    if (a->kind != b->kind || a->order != b->order || a->n != b->n || a->total != b->total)
        return false;
    for (uint32_t i = 0; i < a->n; i++) {
        const dt_datom *x = &a->datoms[i], *y = &b->datoms[i];
        if (dt_datom_cmp((dt_order)a->order, x, y) || x->added != y->added)
            return false;
        if (a->kind == DT_SEG_BRANCH && (memcmp(a->shas[i], b->shas[i], 32) || a->counts[i] != b->counts[i]))
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_seg *s;
    if (dt_seg_decode(data, size, "fuzz", &s)) {
        if (datom_errcode() != DATOM_ECORRUPT)
            abort();
        datom_errclear();
        return 0;
    }
    dt_buf b = DT_BUF_INIT;
    if (s->kind == DT_SEG_LEAF)
        dt_seg_encode_leaf(&b, (dt_order)s->order, s->datoms, s->n);
    else
        dt_seg_encode_branch(&b, (dt_order)s->order, s->datoms, (const uint8_t(*)[32])s->shas, s->counts, s->n);
    dt_seg *again;
    if (dt_seg_decode(b.data, b.len, "again", &again) || !same(s, again))
        abort();
    dt_seg_unref(again);
    dt_seg_unref(s);
    dt_buf_free(&b);
    return 0;
}
