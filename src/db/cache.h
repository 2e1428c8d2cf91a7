/*
 * cache.h: segments by SHA-256 (cache.c). A get checks the bytes against
 * their SHA before decoding them, and keeps the decoded segment in a
 * memory-bounded LRU; a put writes a segment content-addressed. Segments
 * are immutable, so nothing is ever invalidated.
 *
 * Keys: PREFIX + the 64 hex digits of the SHA (PREFIX ends in '/').
 */
#ifndef DT_DB_CACHE_H
#define DT_DB_CACHE_H

#include "db/segment.h"

typedef struct dt_cache dt_cache;

dt_cache *dt_cache_new(datom_store *st, const char *prefix, size_t max_bytes);
void dt_cache_free(dt_cache *c);
/* The segment named SHA (a new reference, released with dt_seg_unref):
 * from memory, or fetched, verified and decoded. DATOM_ENOTFOUND if the
 * store lacks it, DATOM_ECORRUPT if its bytes do not hash to SHA or do not
 * decode. */
int dt_cache_get(dt_cache *c, const uint8_t sha[32], dt_seg **out);
/* Writes BYTES (an encoded segment) under its SHA, which goes to sha_out. */
int dt_cache_put(dt_cache *c, const void *bytes, size_t len, uint8_t sha_out[32]);

typedef struct dt_cache_stats {
    uint64_t hits, misses, puts, put_bytes;
    size_t bytes; /* decoded segments held */
} dt_cache_stats;
void dt_cache_stats_get(const dt_cache *c, dt_cache_stats *out);

#endif /* DT_DB_CACHE_H */
