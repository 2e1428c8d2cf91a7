/*
 * strmap.c: a map from strings to numbers, by open addressing (linear
 * probing, FNV-1a hashes, at most half full): for the few places that look
 * names up by the thousand, where a loop over a list would make the work
 * grow with the square of the count (a CSV header of 30,000 columns).
 * Keys are copied; nothing is ever removed.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211u;
    return h;
}

/* The slot of KEY, or of the empty one where it would go. */
static size_t find(const dt_strmap *m, const char *key)
{
    size_t mask = m->cap - 1, i = (size_t)hash(key) & mask;
    while (m->keys[i] && strcmp(m->keys[i], key))
        i = (i + 1) & mask;
    return i;
}

static void grow(dt_strmap *m)
{
    dt_strmap bigger = {dt_calloc(m->cap ? m->cap * 2 : 64, sizeof(char *)), NULL, 0,
                        m->cap ? m->cap * 2 : 64};
    bigger.vals = dt_calloc(bigger.cap, sizeof(size_t));
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = find(&bigger, m->keys[i]);
        bigger.keys[j] = m->keys[i];
        bigger.vals[j] = m->vals[i];
    }
    bigger.n = m->n;
    free(m->keys);
    free(m->vals);
    *m = bigger;
}

size_t *dt_strmap_get(const dt_strmap *m, const char *key)
{
    if (!m->cap)
        return NULL;
    size_t i = find(m, key);
    return m->keys[i] ? &m->vals[i] : NULL;
}

size_t *dt_strmap_put(dt_strmap *m, const char *key, size_t val)
{
    if (2 * (m->n + 1) > m->cap)
        grow(m);
    size_t i = find(m, key);
    if (!m->keys[i]) {
        m->keys[i] = dt_strdup(key);
        m->n++;
    }
    m->vals[i] = val;
    return &m->vals[i];
}

void dt_strmap_free(dt_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}
