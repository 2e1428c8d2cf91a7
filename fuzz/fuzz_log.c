/*
 * fuzz_log.c: libFuzzer target for the fact database's log reader and root
 * parser (src/db/log.c): any bytes scan to a prefix of good records (each
 * passed to the callback whole, never beyond the input) or fail with
 * DATOM_ECORRUPT; every good record re-encodes to one that reads back the
 * same; and the
 * same input read as a root ref parses or is refused, never crashes. Seeds:
 * fuzz/corpus/fuzz_log/.
 */
#include <stdlib.h>
#include <string.h>

#include "db/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int compare(void *ctx, const dt_txrec *r)
{
    const dt_txrec *first = ctx;
    if (r->t != first->t || r->n != first->n || r->next_user != first->next_user || r->instant != first->instant)
        abort();
    for (size_t i = 0; i < r->n; i++)
        if (r->datoms[i].e != first->datoms[i].e || r->datoms[i].a != first->datoms[i].a ||
            r->datoms[i].added != first->datoms[i].added || !dt_val_eq(r->datoms[i].v, first->datoms[i].v))
            abort();
    return 0;
}

static int check(void *ctx, const dt_txrec *r)
{
    (*(size_t *)ctx)++;
    dt_buf b = DT_BUF_INIT;
    dt_log_put(&b, r);
    dt_arena arena = {0};
    size_t end = 0;
    if (dt_log_scan(b.data, b.len, "again", &arena, compare, (void *)r, &end) || end != b.len)
        abort();
    dt_arena_free(&arena);
    dt_buf_free(&b);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_arena arena = {0};
    size_t end = 0;
    size_t records = 0;
    int rc = dt_log_scan(data, size, "fuzz", &arena, check, &records, &end);
    if ((rc && datom_errcode() != DATOM_ECORRUPT) || end > size || (end && !records))
        abort();
    datom_errclear();
    dt_arena_free(&arena);
    dt_root r;
    if (dt_root_decode(data, size, "fuzz-root", &r) == 0) {
        dt_buf b = DT_BUF_INIT;
        dt_root_encode(&r, &b);
        dt_root r2;
        if (dt_root_decode(b.data, b.len, "again", &r2) || memcmp(&r, &r2, sizeof r))
            abort();
        dt_buf_free(&b);
    }
    datom_errclear();
    return 0;
}
