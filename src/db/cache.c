/*
 * cache.c: the segment cache (cache.h): a hash table by SHA and an LRU list,
 * bounded by the decoded bytes it holds.
 *
 * Invariants:
 *  (1) A segment enters the cache only after its bytes hashed to its name
 *      (dt_store_get_ca verifies while streaming) and decoded cleanly.
 *  (2) The cache holds one reference to each segment it lists; eviction
 *      drops that reference, so a segment a cursor still holds stays alive
 *      (and is counted by nobody) until the cursor lets go.
 *  (3) bytes is the sum of the listed segments' sizes, and stays at or
 *      under max_bytes after every get (the segment just read may be the
 *      only one listed).
 */
#include <stdlib.h>
#include <string.h>

#include "db/cache.h"

typedef struct entry {
    uint8_t sha[32];
    dt_seg *seg;
    struct entry *prev, *next; /* LRU: head is the most recent */
    struct entry *chain;       /* hash bucket */
} entry;

struct dt_cache {
    datom_store *st;
    char *prefix;
    size_t max_bytes, bytes;
    entry **buckets;
    size_t n_buckets, n;
    entry *head, *tail;
    dt_cache_stats stats;
};

dt_cache *dt_cache_new(datom_store *st, const char *prefix, size_t max_bytes)
{
    dt_cache *c = dt_calloc(1, sizeof *c);
    c->st = st;
    c->prefix = dt_strdup(prefix);
    c->max_bytes = max_bytes ? max_bytes : (64u << 20);
    c->n_buckets = 256;
    c->buckets = dt_calloc(c->n_buckets, sizeof *c->buckets);
    return c;
}

void dt_cache_free(dt_cache *c)
{
    if (!c)
        return;
    for (entry *e = c->head, *next; e; e = next) {
        next = e->next;
        dt_seg_unref(e->seg);
        free(e);
    }
    free(c->buckets);
    free(c->prefix);
    free(c);
}

static size_t bucket_of(const dt_cache *c, const uint8_t sha[32])
{
    uint64_t h;
    memcpy(&h, sha, 8);
    return (size_t)(h & (c->n_buckets - 1));
}

static void lru_unlink(dt_cache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(dt_cache *c, entry *e)
{
    e->next = c->head;
    e->prev = NULL;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static void evict(dt_cache *c, entry *e)
{
    lru_unlink(c, e);
    entry **pp = &c->buckets[bucket_of(c, e->sha)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    c->bytes -= e->seg->bytes;
    c->n--;
    dt_seg_unref(e->seg);
    free(e);
}

static void grow(dt_cache *c)
{
    size_t nb = c->n_buckets * 2;
    entry **b = dt_calloc(nb, sizeof *b);
    for (size_t i = 0; i < c->n_buckets; i++)
        for (entry *e = c->buckets[i], *next; e; e = next) {
            next = e->chain;
            uint64_t h;
            memcpy(&h, e->sha, 8);
            e->chain = b[h & (nb - 1)];
            b[h & (nb - 1)] = e;
        }
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = nb;
}

static void insert(dt_cache *c, const uint8_t sha[32], dt_seg *seg)
{
    if (c->n >= c->n_buckets)
        grow(c);
    entry *e = dt_calloc(1, sizeof *e);
    memcpy(e->sha, sha, 32);
    e->seg = dt_seg_ref(seg);
    size_t b = bucket_of(c, sha);
    e->chain = c->buckets[b];
    c->buckets[b] = e;
    lru_push(c, e);
    c->n++;
    c->bytes += seg->bytes;
    while (c->bytes > c->max_bytes && c->tail && c->tail != e)
        evict(c, c->tail); /* (3) */
}

static int fetch(dt_cache *c, const uint8_t sha[32], dt_seg **out)
{
    char hex[DATOM_SHA_HEX];
    dt_hex_encode(sha, 32, hex);
    dt_buf b = DT_BUF_INIT;
    int rc = dt_store_get_ca(c->st, c->prefix, hex, dt_sink_buf(&b)); /* (1) */
    if (rc == 0) {
        char *what = dt_sprintf("%s%s", c->prefix, hex);
        rc = dt_seg_decode(b.data, b.len, what, out);
        free(what);
    }
    dt_buf_free(&b);
    return rc;
}

int dt_cache_get(dt_cache *c, const uint8_t sha[32], dt_seg **out)
{
    for (entry *e = c->buckets[bucket_of(c, sha)]; e; e = e->chain)
        if (!memcmp(e->sha, sha, 32)) {
            c->stats.hits++;
            lru_unlink(c, e);
            lru_push(c, e);
            *out = dt_seg_ref(e->seg);
            return 0;
        }
    c->stats.misses++;
    dt_seg *s;
    int rc = fetch(c, sha, &s);
    if (rc)
        return rc;
    insert(c, sha, s);
    *out = s; /* the decode's reference becomes the caller's */
    return 0;
}

int dt_cache_put(dt_cache *c, const void *bytes, size_t len, uint8_t sha_out[32])
{
    dt_store_put *p;
    int rc = dt_store_put_begin(c->st, &p);
    if (rc)
        return rc;
    if ((rc = dt_store_put_write(p, bytes, len))) {
        dt_store_put_abort(p);
        return rc;
    }
    char hex[DATOM_SHA_HEX];
    if ((rc = dt_store_put_finish_ca(p, c->prefix, hex)))
        return rc;
    dt_hex_decode(hex, sha_out, 32);
    c->stats.puts++;
    c->stats.put_bytes += len;
    return 0;
}

void dt_cache_stats_get(const dt_cache *c, dt_cache_stats *out)
{
    *out = c->stats;
    out->bytes = c->bytes;
}
