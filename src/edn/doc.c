/*
 * doc.c: documents (the arena every EDN value lives in) and the builders
 * of values made by a program.
 *
 * A document is a stack of blocks, each filled from its start by bumping a
 * pointer; each ordinary block is twice the one before (4 KiB up to 8 MiB),
 * so N bytes cost O(log N) mallocs, and an allocation of more than a
 * quarter of that gets a block of its own size (a big collection's items do
 * not make every later block big). Nothing is freed
 * alone: a mark (block, fill) taken before some work can roll the document
 * back to it, which is how the reader drops a #_ discarded value, a value
 * that failed, or one to read again once more input has come.
 *
 * Invariants: (1) every block but the newest is never written again; (2) a
 * mark names a block still in the stack, or NULL for an empty document.
 */
#include <stdlib.h>
#include <string.h>

#include "edn/edn_internal.h"

#define BLOCK_MIN ((size_t)4096)
#define BLOCK_MAX ((size_t)8 << 20)
#define POPULATE_MIN ((size_t)256 << 10)

struct edn_block {
    edn_block *prev;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

struct dt_edn_doc {
    edn_block *cur;
    size_t bytes; /* capacity of all blocks */
    size_t next;  /* the size of the next ordinary block */
};

dt_edn_doc *dt_edn_doc_new(void) { return dt_calloc(1, sizeof(dt_edn_doc)); }

static void free_blocks_above(dt_edn_doc *doc, edn_block *keep)
{
    while (doc->cur != keep) {
        edn_block *prev = doc->cur->prev;
        doc->bytes -= doc->cur->cap;
        free(doc->cur);
        doc->cur = prev;
    }
}

void dt_edn_doc_free(dt_edn_doc *doc)
{
    if (!doc)
        return;
    free_blocks_above(doc, NULL);
    free(doc);
}

void dt_edn_doc_reset(dt_edn_doc *doc)
{
    edn_block *first = doc->cur;
    while (first && first->prev)
        first = first->prev;
    free_blocks_above(doc, first);
    if (first)
        first->used = 0;
    doc->next = first ? first->cap * 2 : 0;
}

size_t dt_edn_doc_bytes(const dt_edn_doc *doc) { return doc->bytes; }

static void *new_block(dt_edn_doc *doc, size_t n)
{
    size_t cap = DT_MAX(doc->next, BLOCK_MIN);
    if (n > cap / 4)
        cap = n;
    else
        doc->next = DT_MIN(cap * 2, BLOCK_MAX);
    edn_block *b = dt_malloc(sizeof(edn_block) + cap);
    if (cap >= POPULATE_MIN)
        dt_mem_populate(b->data, cap); /* it is about to be written */
    b->prev = doc->cur;
    b->cap = cap;
    b->used = n;
    doc->cur = b;
    doc->bytes += cap;
    return b->data;
}

void *edn_alloc(dt_edn_doc *doc, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    edn_block *b = doc->cur;
    if (b && b->cap - b->used >= n) {
        void *p = b->data + b->used;
        b->used += n;
        return p;
    }
    return new_block(doc, n);
}

const char *edn_strdup(dt_edn_doc *doc, const char *s, size_t n)
{
    static char empty[1];
    if (n == 0)
        return empty; /* shared: nothing ever writes through a value's text */
    char *p = edn_alloc(doc, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

edn_mark edn_mark_get(const dt_edn_doc *doc)
{
    return (edn_mark){doc->cur, doc->cur ? doc->cur->used : 0, doc->next};
}

void edn_mark_rollback(dt_edn_doc *doc, edn_mark m)
{
    free_blocks_above(doc, m.block);
    if (doc->cur)
        doc->cur->used = m.used;
    doc->next = m.next; /* a value read again must not get ever bigger blocks */
}

/* ---- collections ---- */

const char *edn_make_coll(dt_edn_doc *doc, dt_edn_kind kind, const dt_edn_value *items, size_t n,
                          dt_edn_value *out, size_t *dup)
{
    size_t entries = kind == DT_EDN_MAP ? n / 2 : n;
    if (entries > UINT32_MAX)
        return "a collection of more than 4294967295 items";
    uint32_t depth = 0;
    for (size_t i = 0; i < n; i++)
        depth = DT_MAX(depth, edn_depth(&items[i]));
    if (depth + 1 > DT_EDN_MAX_DEPTH)
        return "nesting deeper than " DT_EDN_STR(DT_EDN_MAX_DEPTH) " levels";
    bool indexed = (kind == DT_EDN_MAP || kind == DT_EDN_SET) && entries > DT_EDN_SMALL;
    size_t bytes = n * sizeof(dt_edn_value) + (indexed ? edn_index_slots(entries) * 4 : 0);
    dt_edn_value *arr = n ? edn_alloc(doc, bytes) : NULL;
    if (n)
        memcpy(arr, items, n * sizeof(dt_edn_value));
    *out = (dt_edn_value){.kind = (uint8_t)kind,
                          .flags = indexed ? DT_EDN_F_INDEXED : 0,
                          .aux = (uint16_t)(depth + 1),
                          .len = (uint32_t)entries,
                          .u.items = arr};
    if (kind != DT_EDN_MAP && kind != DT_EDN_SET)
        return NULL;
    *dup = indexed ? edn_index_build(out, (uint32_t *)(arr + n)) : edn_find_duplicate_small(out);
    return *dup ? (kind == DT_EDN_MAP ? "duplicate key" : "duplicate element") : NULL;
}

int dt_edn_coll(dt_edn_doc *doc, dt_edn_kind kind, const dt_edn_value *items, size_t n,
                dt_edn_value *out)
{
    if (kind < DT_EDN_LIST || kind > DT_EDN_SET)
        return dt_error(DATOM_EINVAL, "dt_edn_coll: %s is not a collection", dt_edn_kind_name(kind));
    if (kind == DT_EDN_MAP && n % 2)
        return dt_error(DATOM_EINVAL, "a map needs an even number of forms, not %zu", n);
    edn_mark m = edn_mark_get(doc);
    size_t dup = 0;
    dt_edn_value v;
    const char *why = edn_make_coll(doc, kind, items, n, &v, &dup);
    if (why) {
        edn_mark_rollback(doc, m);
        if (!dup)
            return dt_error(DATOM_EINVAL, "%s", why);
        char *text = dt_edn_to_string(kind == DT_EDN_MAP ? &items[2 * (dup - 1)] : &items[dup - 1]);
        dt_error(DATOM_EINVAL, "%s %.100s in %s", why, text, dt_edn_kind_name(kind));
        free(text);
        return DATOM_EINVAL;
    }
    *out = v;
    return 0;
}

int dt_edn_vectors(dt_edn_doc *doc, const dt_edn_value *items, size_t rows, size_t cols, dt_edn_value *out)
{
    if (cols > UINT32_MAX || (cols && rows > SIZE_MAX / sizeof(dt_edn_value) / cols))
        return dt_error(DATOM_EINVAL, "dt_edn_vectors: %zu rows of %zu values is too many", rows, cols);
    dt_edn_value *arr = rows && cols ? edn_alloc(doc, rows * cols * sizeof *arr) : NULL;
    if (arr)
        memcpy(arr, items, rows * cols * sizeof *arr);
    for (size_t r = 0; r < rows; r++) {
        uint32_t depth = 0;
        for (size_t i = 0; i < cols; i++)
            depth = DT_MAX(depth, edn_depth(&arr[r * cols + i]));
        if (depth + 1 > DT_EDN_MAX_DEPTH)
            return dt_error(DATOM_EINVAL, "nesting deeper than " DT_EDN_STR(DT_EDN_MAX_DEPTH) " levels");
        out[r] = (dt_edn_value){.kind = DT_EDN_VECTOR, .aux = (uint16_t)(depth + 1), .len = (uint32_t)cols,
                                .u.items = cols ? arr + r * cols : NULL};
    }
    return 0;
}

void dt_edn_vec_push(dt_edn_vec *vec, dt_edn_value v)
{
    if (vec->n == vec->cap) {
        vec->cap = vec->cap ? vec->cap * 2 : 16;
        vec->v = dt_realloc(vec->v, vec->cap * sizeof(dt_edn_value));
    }
    vec->v[vec->n++] = v;
}

void dt_edn_vec_free(dt_edn_vec *vec)
{
    free(vec->v);
    *vec = (dt_edn_vec)DT_EDN_VEC_INIT;
}

/* ---- scalars and text ---- */

int dt_edn_char(uint32_t cp, dt_edn_value *out)
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return dt_error(DATOM_EINVAL, "U+%04X is not a Unicode scalar value", cp);
    *out = (dt_edn_value){.kind = DT_EDN_CHAR, .u.c = cp};
    return 0;
}

static dt_edn_value text_value(dt_edn_doc *doc, dt_edn_kind kind, const char *s, size_t n)
{
    return (dt_edn_value){.kind = (uint8_t)kind, .len = (uint32_t)n, .u.s = edn_strdup(doc, s, n)};
}

dt_edn_value dt_edn_string(dt_edn_doc *doc, const char *s, size_t n)
{
    if (n > UINT32_MAX) {
        /* as for memory exhaustion (core.h): not an error callers handle */
        fprintf(stderr, "datom: an EDN string of %zu bytes (at most 4 GiB - 1)\n", n);
        abort();
    }
    return text_value(doc, DT_EDN_STRING, s, n);
}

static int named(dt_edn_doc *doc, dt_edn_kind kind, const char *text, size_t n, dt_edn_value *out)
{
    const char *why = edn_symbol_check(text, n, kind == DT_EDN_KEYWORD);
    if (why)
        return dt_error(DATOM_EINVAL, "%s%.*s: %s", kind == DT_EDN_KEYWORD ? ":" : "",
                        (int)DT_MIN(n, 200), text, why);
    *out = text_value(doc, kind, text, n);
    size_t ns = edn_ns_len(text, n);
    out->aux = (uint16_t)(ns < DT_EDN_NS_LONG ? ns : DT_EDN_NS_LONG);
    return 0;
}

int dt_edn_keyword(dt_edn_doc *doc, const char *text, size_t n, dt_edn_value *out)
{
    return named(doc, DT_EDN_KEYWORD, text, n, out);
}

int dt_edn_symbol(dt_edn_doc *doc, const char *text, size_t n, dt_edn_value *out)
{
    return named(doc, DT_EDN_SYMBOL, text, n, out);
}

int dt_edn_bigint(dt_edn_doc *doc, const char *text, size_t n, dt_edn_value *out)
{
    const char *why = edn_bigint_check(text, n);
    if (why)
        return dt_error(DATOM_EINVAL, "%.*sN: %s", (int)DT_MIN(n, 200), text, why);
    if (n == 2 && text[0] == '-' && text[1] == '0')
        n = 1, text++; /* -0N is 0N */
    *out = text_value(doc, DT_EDN_BIGINT, text, n);
    return 0;
}

int dt_edn_bigdec(dt_edn_doc *doc, const char *text, size_t n, dt_edn_value *out)
{
    const char *why = edn_bigdec_check(text, n);
    if (why)
        return dt_error(DATOM_EINVAL, "%.*sM: %s", (int)DT_MIN(n, 200), text, why);
    *out = text_value(doc, DT_EDN_BIGDEC, text, n);
    return 0;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int dt_edn_ratio(dt_edn_doc *doc, int64_t num, int64_t den, dt_edn_value *out)
{
    if (den == 0)
        return dt_error(DATOM_EINVAL, "a ratio with a zero denominator");
    if (num == INT64_MIN || den == INT64_MIN)
        return dt_error(DATOM_EINVAL, "a ratio beyond 64 bits");
    if (den < 0)
        num = -num, den = -den;
    uint64_t g = gcd_u64((uint64_t)(num < 0 ? -num : num), (uint64_t)den);
    num /= (int64_t)g;
    den /= (int64_t)g;
    if (den == 1) {
        *out = dt_edn_int(num);
        return 0;
    }
    int64_t *pair = edn_alloc(doc, 2 * sizeof(int64_t));
    pair[0] = num;
    pair[1] = den;
    *out = (dt_edn_value){.kind = DT_EDN_RATIO, .u.ratio = pair};
    return 0;
}

int dt_edn_inst(int64_t sec, uint32_t nsec, dt_edn_value *out)
{
    if (nsec >= 1000000000u || !edn_inst_in_range(sec))
        return dt_error(DATOM_EINVAL, "an instant outside years 0000 to 9999 (%lld s, %u ns)",
                        (long long)sec, nsec);
    *out = (dt_edn_value){.kind = DT_EDN_INST, .len = nsec, .u.sec = sec};
    return 0;
}

dt_edn_value dt_edn_uuid(dt_edn_doc *doc, const uint8_t bytes[16])
{
    uint8_t *u = edn_alloc(doc, 16);
    memcpy(u, bytes, 16);
    return (dt_edn_value){.kind = DT_EDN_UUID, .u.uuid = u};
}

int dt_edn_tagged(dt_edn_doc *doc, const dt_edn_value *tag, const dt_edn_value *v, dt_edn_value *out)
{
    if (tag->kind != DT_EDN_SYMBOL)
        return dt_error(DATOM_EINVAL, "a tag must be a symbol, not a %s", dt_edn_kind_name(tag->kind));
    uint32_t depth = edn_depth(v) + 1;
    if (depth > DT_EDN_MAX_DEPTH)
        return dt_error(DATOM_EINVAL, "nesting deeper than %d levels", DT_EDN_MAX_DEPTH);
    dt_edn_value *pair = edn_alloc(doc, 2 * sizeof(dt_edn_value));
    pair[0] = *tag;
    pair[1] = *v;
    *out = (dt_edn_value){.kind = DT_EDN_TAGGED, .aux = (uint16_t)depth, .len = 2, .u.items = pair};
    return 0;
}
