/*
 * aggregate.c: the aggregates of :find (q.h), each over the bag of its
 * variable's values in one group (the rows are distinct over the :find and
 * :with variables, so :with decides what counts twice):
 *   count, count-distinct, sum, avg, median, variance, stddev, min, max,
 *   distinct, rand, (min n ?x), (max n ?x), (rand n ?x), (sample n ?x).
 * Choices (docs/formats.md): avg, variance and stddev are doubles, the
 * latter two the population forms; median of an even count is the mean of
 * the two middle values (a long when exact); (min n) ascends, (max n)
 * descends; sample draws distinct values, rand with replacement, both from
 * the run's seeded stream.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

static const char *const names[] = {NULL,  "count", "count-distinct", "sum", "avg", "median", "variance",
                                    "stddev", "min", "max", "distinct", "rand", "sample"};

int q_agg_find(const char *name)
{
    for (int i = 1; i < (int)DT_ARRAY_LEN(names); i++)
        if (!strcmp(names[i], name))
            return i;
    return 0;
}

const char *q_agg_name(int agg) { return agg > 0 && agg < (int)DT_ARRAY_LEN(names) ? names[agg] : "?"; }

static int need_numbers(int agg, const dt_val *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!q_is_number(v[i])) {
            dt_buf m = DT_BUF_INIT;
            q_val_print(&m, v[i]);
            int rc = dt_error(DATOM_EINVAL, "%s aggregates numbers, not %s %s", q_agg_name(agg),
                              q_val_type_name(v[i]), dt_buf_cstr(&m));
            dt_buf_free(&m);
            return rc;
        }
    return 0;
}

static bool all_longs(const dt_val *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].type != DT_LONG)
            return false;
    return true;
}

static int sum(const dt_val *v, size_t n, dt_val *out)
{
    if (all_longs(v, n)) {
        int64_t s = 0;
        for (size_t i = 0; i < n; i++)
            if (__builtin_add_overflow(s, v[i].i, &s))
                return dt_error(DATOM_EINVAL, "sum: integer overflow");
        *out = q_vlong(s);
        return 0;
    }
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += q_as_double(v[i]);
    *out = q_vdouble(s);
    return 0;
}

static double mean(const dt_val *v, size_t n)
{
    long double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i].type == DT_LONG ? (long double)v[i].i : (long double)q_as_double(v[i]);
    return (double)(s / (long double)n);
}

static double variance(const dt_val *v, size_t n)
{
    double m = mean(v, n);
    long double s = 0;
    for (size_t i = 0; i < n; i++) {
        long double d = (long double)q_as_double(v[i]) - m;
        s += d * d;
    }
    return (double)(s / (long double)n);
}

/* Sorting values: numbers numerically, others in the results' order. */
static int vcmp(const void *a, const void *b) { return q_val_order(*(const dt_val *)a, *(const dt_val *)b); }
static int vcmp_desc(const void *a, const void *b) { return -vcmp(a, b); }

/* Values of one family, or an error naming two that are not. */
static int comparable(const dt_val *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int c;
        if (q_val_compare(v[0], v[i], &c))
            return DATOM_EINVAL;
    }
    return 0;
}

static int median(dt_val *v, size_t n, dt_val *out)
{
    qsort(v, n, sizeof *v, vcmp);
    if (n % 2) {
        *out = v[n / 2];
        return 0;
    }
    dt_val a = v[n / 2 - 1], b = v[n / 2];
    if (a.type == DT_LONG && b.type == DT_LONG) {
        __int128 s = (__int128)a.i + b.i;
        if (s % 2 == 0) {
            *out = q_vlong((int64_t)(s / 2));
            return 0;
        }
        *out = q_vdouble((double)s / 2.0);
        return 0;
    }
    *out = q_vdouble((q_as_double(a) + q_as_double(b)) / 2.0);
    return 0;
}

static size_t dedupe(dt_val *v, size_t n)
{
    qsort(v, n, sizeof *v, vcmp);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!w || !q_veq(v[w - 1], v[i]))
            v[w++] = v[i];
    return w;
}

static dt_val coll(q_ctx *x, dt_edn_kind kind, const dt_val *v, size_t n)
{
    dt_edn_vec items = DT_EDN_VEC_INIT;
    for (size_t i = 0; i < n; i++)
        dt_edn_vec_push(&items, q_to_edn(x, x->doc, v[i]));
    dt_edn_value *e = q_alloc(&x->arena, sizeof *e);
    if (dt_edn_coll(x->doc, kind, items.v, n, e))
        *e = dt_edn_nil();
    dt_edn_vec_free(&items);
    return (dt_val){.type = DT_Q_EDN, .u = (uintptr_t)e};
}

static size_t draw(q_ctx *x, size_t n) { return (size_t)(((uint64_t)q_rand32(x) * n) >> 32); }

int q_aggregate(q_ctx *x, const q_find *f, dt_val *v, size_t n, dt_val *out)
{
    int agg = f->agg;
    int64_t k = f->n;
    switch (agg) {
    case Q_AGG_COUNT: *out = q_vlong((int64_t)n); return 0;
    case Q_AGG_COUNT_DISTINCT: *out = q_vlong((int64_t)dedupe(v, n)); return 0;
    case Q_AGG_SUM: return need_numbers(agg, v, n) ? DATOM_EINVAL : sum(v, n, out);
    case Q_AGG_AVG:
        if (need_numbers(agg, v, n))
            return DATOM_EINVAL;
        *out = q_vdouble(mean(v, n));
        return 0;
    case Q_AGG_MEDIAN: return need_numbers(agg, v, n) ? DATOM_EINVAL : median(v, n, out);
    case Q_AGG_VARIANCE:
    case Q_AGG_STDDEV:
        if (need_numbers(agg, v, n))
            return DATOM_EINVAL;
        *out = q_vdouble(agg == Q_AGG_VARIANCE ? variance(v, n) : sqrt(variance(v, n)));
        return 0;
    case Q_AGG_MIN:
    case Q_AGG_MAX:
        if (comparable(v, n))
            return DATOM_EINVAL;
        qsort(v, n, sizeof *v, agg == Q_AGG_MIN ? vcmp : vcmp_desc);
        if (k < 0) {
            *out = v[0];
            return 0;
        }
        *out = coll(x, DT_EDN_VECTOR, v, (size_t)k < n ? (size_t)k : n);
        return 0;
    case Q_AGG_DISTINCT: *out = coll(x, DT_EDN_SET, v, dedupe(v, n)); return 0;
    case Q_AGG_RAND:
        if (k < 0) {
            *out = v[draw(x, n)];
            return 0;
        } else {
            dt_val *pick = dt_malloc(((size_t)k ? (size_t)k : 1) * sizeof *pick);
            for (int64_t i = 0; i < k; i++)
                pick[i] = v[draw(x, n)];
            *out = coll(x, DT_EDN_VECTOR, pick, (size_t)k);
            free(pick);
            return 0;
        }
    default: { /* sample: distinct values, a partial Fisher-Yates shuffle */
        size_t m = dedupe(v, n), take = (size_t)k < m ? (size_t)k : m;
        for (size_t i = 0; i < take; i++) {
            size_t j = i + draw(x, m - i);
            dt_val t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        *out = coll(x, DT_EDN_VECTOR, v, take);
        return 0;
    }
    }
}
