/*
 * estimate.c: sizes for the planner (q.h). The db counts the datoms under
 * a prefix in O(log n) (db.h, dt_db_count); how many distinct entities or
 * values an attribute has is read from its schema when it says (one value
 * per entity for cardinality one, one entity per value for unique) and
 * otherwise estimated from the first thousand datoms of its AEVT or AVET
 * range: N * (distinct in the sample) / (sample size). Estimates are
 * cached per db value and attribute for the run; a wrong one costs speed,
 * never a wrong answer.
 */
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

#define SAMPLE 1024

typedef struct stat_entry {
    const dt_db *db;
    uint32_t a;
    double n, de, dv; /* < 0: not yet known */
} stat_entry;

struct q_stats {
    stat_entry *v;
    size_t n, cap;
    const dt_db *total_db;
    double total;
};

double q_est_count(q_ctx *x, dt_db *db, dt_order order, const dt_key *from, const dt_key *to, int flags)
{
    (void)x;
    return (double)dt_db_count(db, order, from, to, flags);
}

static stat_entry *entry(q_ctx *x, dt_db *db, uint32_t a)
{
    if (!x->stats)
        x->stats = q_alloc(&x->arena, sizeof *x->stats);
    struct q_stats *s = x->stats;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].db == db && s->v[i].a == a)
            return &s->v[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        stat_entry *v = q_alloc(&x->arena, cap * sizeof *v);
        if (s->n)
            memcpy(v, s->v, s->n * sizeof *v);
        s->v = v;
        s->cap = cap;
    }
    stat_entry *e = &s->v[s->n++];
    dt_key k = {.n = 1, .a = a};
    *e = (stat_entry){.db = db, .a = a, .n = q_est_count(x, db, DT_AEVT, &k, &k, 0), .de = -1, .dv = -1};
    return e;
}

double q_est_total(q_ctx *x, dt_db *db)
{
    if (!x->stats)
        x->stats = q_alloc(&x->arena, sizeof *x->stats);
    if (x->stats->total_db != db) {
        x->stats->total_db = db;
        x->stats->total = (double)dt_db_count(db, DT_EAVT, NULL, NULL, 0);
    }
    return x->stats->total;
}

double q_est_attr(q_ctx *x, dt_db *db, uint32_t a) { return entry(x, db, a)->n; }

/* Distinct values of component POS (0: e, 2: v) among the first SAMPLE
 * datoms of A, scaled to all of A's datoms. */
static double sample(dt_db *db, uint32_t a, int pos, double n)
{
    dt_key k = {.n = 1, .a = a};
    dt_cursor *c;
    if (dt_cursor_open(db, pos == 0 ? DT_AEVT : DT_AVET, &k, &k, 0, &c)) {
        datom_errclear();
        return n;
    }
    const dt_datom *d;
    size_t seen = 0, distinct = 0;
    uint64_t last_e = 0;
    dt_val last_v = dt_val_nil();
    while (seen < SAMPLE && dt_cursor_next(c, &d) == 1) {
        bool same = seen > 0 && (pos == 0 ? d->e == last_e : dt_val_eq(d->v, last_v));
        if (!same)
            distinct++;
        /* both orders keep equal components adjacent */
        last_e = d->e;
        dt_val_free(&last_v);
        last_v = dt_val_copy(d->v);
        seen++;
    }
    dt_val_free(&last_v);
    dt_cursor_free(c);
    if (seen == 0)
        return 1;
    if ((double)seen >= n)
        return (double)distinct;
    return n * (double)distinct / (double)seen;
}

double q_est_distinct(q_ctx *x, dt_db *db, uint32_t a, int pos)
{
    stat_entry *e = entry(x, db, a);
    double *slot = pos == 0 ? &e->de : &e->dv;
    if (*slot >= 0)
        return *slot;
    const dt_attr *at = dt_db_attr(db, a);
    if (pos == 0 && at && !at->many)
        *slot = e->n;
    else if (pos == 2 && at && at->unique)
        *slot = e->n;
    else
        *slot = sample(db, a, pos, e->n);
    if (*slot < 1)
        *slot = 1;
    return *slot;
}
