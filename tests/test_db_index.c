/*
 * test_db_index.c: the in-memory novelty (B+trees over the datom array,
 * interning, cursors that survive insertions, counts) and the durable trees
 * (merge, cursors, counts, the O(log n) rewrite), each checked against a
 * sorted reference with a fixed seed.
 */
#include "db/cache.h"
#include "db/index.h"
#include "db/novelty.h"
#include "t.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(uint64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
}

static const char *const words[] = {"Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis"};
static dt_blob *word_blobs[8];

/* Attributes: 10 long, 11 string, 12 ref. */
static dt_datom random_datom(int64_t t)
{
    dt_datom d = {.e = DT_EID(DT_PART_USER, 1 + rnd(500)), .a = (uint32_t)(10 + rnd(3)),
                  .tx = DT_TX_OF_T(t), .added = rnd(4) != 0};
    if (d.a == 10)
        d.v = dt_val_long((int64_t)rnd(100) - 50);
    else if (d.a == 11)
        d.v = dt_val_blob(DT_STRING, word_blobs[rnd(8)]);
    else
        d.v = dt_val_ref(DT_EID(DT_PART_USER, 1 + rnd(500)));
    return d;
}

static dt_order sort_order;
static int cmp_sort(const void *a, const void *b) { return dt_datom_cmp(sort_order, a, b); }

static void setup_words(void)
{
    for (int i = 0; i < 8; i++)
        if (!word_blobs[i])
            word_blobs[i] = dt_blob_new(words[i], strlen(words[i]));
}

static dt_nov *new_nov(void)
{
    dt_nov *n = dt_nov_new();
    dt_nov_set_atype(n, 10, DT_LONG);
    dt_nov_set_atype(n, 11, DT_STRING);
    dt_nov_set_atype(n, 12, DT_REF);
    return n;
}

static bool same(const dt_datom *x, const dt_datom *y)
{
    return x->e == y->e && x->a == y->a && x->tx == y->tx && x->added == y->added && dt_val_eq(x->v, y->v);
}

/* Datoms one per t, none equal (unique t). */
static size_t fill(dt_nov *n, dt_datom *ref, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        ref[i] = random_datom((int64_t)i + 1);
        dt_nov_add(n, &ref[i]);
    }
    return count;
}

static void check_order(dt_nov *n, dt_datom *ref, size_t count, dt_order o)
{
    dt_datom *sorted = dt_malloc(count * sizeof *sorted);
    size_t m = 0;
    for (size_t i = 0; i < count; i++)
        if (o != DT_VAET || ref[i].v.type == DT_REF)
            sorted[m++] = ref[i];
    sort_order = o;
    qsort(sorted, m, sizeof *sorted, cmp_sort);
    dt_nov_cur cur, *c = &cur;
    dt_nov_cur_init(c, n, o, NULL);
    uint32_t pos;
    size_t k = 0;
    while (dt_nov_cur_next(c, &pos)) {
        dt_datom d;
        dt_nov_get(n, pos, &d);
        T_ASSERT(k < m);
        T_ASSERT(same(&d, &sorted[k]));
        k++;
    }
    T_EQ_INT(k, m);
    /* seeks and counts on random prefixes: one cursor sought again each
     * time (from its leaf when the key falls in it, else from the root),
     * then walked a few datoms on, across leaves */
    for (int trial = 0; trial < 200; trial++) {
        size_t i = rnd(m);
        dt_key key = {.n = 1 + (int)rnd(3), .e = sorted[i].e, .a = sorted[i].a, .v = sorted[i].v,
                      .tx = sorted[i].tx};
        size_t first = 0;
        while (first < m && dt_datom_key_cmp(o, &sorted[first], &key) < 0)
            first++;
        size_t last = first;
        while (last < m && dt_datom_key_cmp(o, &sorted[last], &key) == 0)
            last++;
        T_EQ_INT(dt_nov_count_range(n, o, &key, &key, 0), last - first);
        T_EQ_INT(dt_nov_count_range(n, o, &key, NULL, 0), m - first);
        T_EQ_INT(dt_nov_count_range(n, o, NULL, &key, DT_CUR_TO_EXCLUSIVE), first);
        dt_key near = key; /* a key next to the last: the leaf's own search */
        if (trial % 2 && first + 3 < m)
            near = (dt_key){.n = 4, .e = sorted[first + 3].e, .a = sorted[first + 3].a, .v = sorted[first + 3].v,
                            .tx = sorted[first + 3].tx};
        dt_nov_cur_seek(c, &key);
        for (size_t j = first; j < first + 40 && j < m; j++) {
            T_ASSERT(dt_nov_cur_next(c, &pos));
            dt_datom d;
            dt_nov_get(n, pos, &d);
            T_ASSERT(same(&d, &sorted[j]));
        }
        if (trial % 2 && first + 3 < m) {
            dt_nov_cur_seek(c, &near);
            T_ASSERT(dt_nov_cur_next(c, &pos));
            dt_datom d;
            dt_nov_get(n, pos, &d);
            T_ASSERT(same(&d, &sorted[first + 3]));
        }
    }
    /* past the end, and back from there */
    dt_key end = {.n = 1, .e = UINT64_MAX, .a = UINT32_MAX, .v = {.type = DT_TUPLE + 1}};
    dt_nov_cur_seek(c, &end);
    T_ASSERT(!dt_nov_cur_next(c, &pos));
    dt_nov_cur_seek(c, NULL);
    T_ASSERT(dt_nov_cur_next(c, &pos));
    dt_datom d0;
    dt_nov_get(n, pos, &d0);
    T_ASSERT(same(&d0, &sorted[0]));
    free(sorted);
}

static void test_novelty_orders(void)
{
    setup_words();
    dt_nov *n = new_nov();
    size_t count = 20000;
    dt_datom *ref = dt_malloc(count * sizeof *ref);
    fill(n, ref, count);
    T_EQ_INT(dt_nov_count(n), count);
    for (int o = DT_EAVT; o <= DT_VAET; o++)
        check_order(n, ref, count, (dt_order)o);
    /* interning: 8 distinct strings, one blob each */
    dt_val a = dt_nov_intern(n, dt_val_blob(DT_STRING, word_blobs[0]));
    dt_val b = dt_nov_intern(n, dt_val_blob(DT_STRING, word_blobs[0]));
    T_ASSERT(a.b == b.b && a.b != word_blobs[0]);
    /* the log order is t order */
    dt_key from = {.n = 1, .tx = DT_TX_OF_T(101)};
    dt_nov_cur c;
    dt_nov_cur_init(&c, n, DT_LOG, &from);
    uint32_t pos;
    T_ASSERT(dt_nov_cur_next(&c, &pos));
    T_EQ_INT(DT_ND_T(dt_nov_at(n, pos)), 101);
    free(ref);
    dt_nov_unref(n);
}

static void test_cursor_survives_inserts(void)
{
    setup_words();
    dt_nov *n = new_nov();
    /* evens first; then walk while inserting odds */
    for (int i = 0; i < 4000; i += 2) {
        dt_datom d = {.e = DT_EID(DT_PART_USER, (uint64_t)i), .a = 10, .v = dt_val_long(i), .tx = DT_TX_OF_T(1), .added = true};
        dt_nov_add(n, &d);
    }
    dt_nov_cur cur, *c = &cur;
    dt_nov_cur_init(c, n, DT_EAVT, NULL);
    uint32_t pos;
    uint64_t prev = 0;
    int seen = 0, next_odd = 1;
    while (dt_nov_cur_next(c, &pos)) {
        const dt_ndatom *d = dt_nov_at(n, pos);
        T_ASSERT(seen == 0 || d->e > prev);
        prev = d->e;
        seen++;
        if (next_odd < 4000) {
            dt_datom o = {.e = DT_EID(DT_PART_USER, (uint64_t)next_odd), .a = 10, .v = dt_val_long(next_odd), .tx = DT_TX_OF_T(2), .added = true};
            dt_nov_add(n, &o);
            next_odd += 2;
        }
    }
    /* every even, and the odds inserted ahead of the cursor */
    T_ASSERT(seen > 2000 && seen <= 4000);
    /* rebase keeps only t > 1 */
    dt_nov *r = dt_nov_rebase(n, 1);
    T_EQ_INT(dt_nov_count(r), 2000);
    T_EQ_INT(dt_nov_atype(r, 11), DT_STRING);
    dt_nov_unref(r);
    dt_nov_unref(n);
}

static size_t tree_size(dt_cache *cache, dt_order o, const dt_tree *t, dt_datom *check, size_t m)
{
    dt_tree_cur cur, *c = &cur;
    T_OK(dt_tree_cur_init(c, cache, o, t, NULL));
    const dt_datom *d;
    size_t k = 0;
    int rc;
    while ((rc = dt_tree_cur_next(c, &d)) == 1) {
        if (check) {
            T_ASSERT(k < m);
            T_ASSERT(same(d, &check[k]));
        }
        k++;
    }
    T_EQ_INT(rc, 0);
    dt_tree_cur_fini(c);
    return k;
}

static void test_tree_merge(void)
{
    setup_words();
    datom_store *st;
    T_OK(datom_store_open(&st, "mem:"));
    dt_cache *cache = dt_cache_new(st, "seg/", 1 << 20); /* small: evictions happen */
    size_t total = 30000;
    dt_datom *all = dt_malloc(total * sizeof *all);
    for (size_t i = 0; i < total; i++)
        all[i] = random_datom((int64_t)i + 1);
    for (int o = DT_EAVT; o <= DT_LOG; o++) {
        if (o == DT_VAET)
            continue;
        sort_order = (dt_order)o;
        dt_tree t = {{0}, 0};
        /* three batches, each merged into the tree so far */
        size_t batches[] = {0, 12000, 12001, total};
        for (int b = 0; b < 3; b++) {
            size_t len = batches[b + 1] - batches[b];
            dt_datom *add = dt_malloc(len * sizeof *add);
            memcpy(add, all + batches[b], len * sizeof *add);
            qsort(add, len, sizeof *add, cmp_sort);
            dt_tree next;
            T_OK(dt_tree_merge(cache, (dt_order)o, &t, add, len, &next));
            t = next;
            free(add);
        }
        dt_datom *sorted = dt_malloc(total * sizeof *sorted);
        memcpy(sorted, all, total * sizeof *sorted);
        qsort(sorted, total, sizeof *sorted, cmp_sort);
        T_EQ_INT(t.count, total);
        T_EQ_INT(tree_size(cache, (dt_order)o, &t, sorted, total), total);
        /* one cursor sought to each key in turn: the segments its old and
         * new paths share are kept, the rest fetched (evictions included) */
        dt_tree_cur sc;
        T_OK(dt_tree_cur_init(&sc, cache, (dt_order)o, &t, NULL));
        for (int trial = 0; trial < 100; trial++) {
            size_t i = rnd(total);
            dt_key key = {.n = 1 + (int)rnd(2), .e = sorted[i].e, .a = sorted[i].a, .v = sorted[i].v,
                          .tx = sorted[i].tx};
            size_t first = 0;
            while (first < total && dt_datom_key_cmp((dt_order)o, &sorted[first], &key) < 0)
                first++;
            size_t last = first;
            while (last < total && dt_datom_key_cmp((dt_order)o, &sorted[last], &key) == 0)
                last++;
            T_EQ_INT(dt_tree_count(cache, (dt_order)o, &t, &key, &key, 0), last - first);
            T_OK(dt_tree_cur_seek(&sc, &key));
            const dt_datom *d;
            for (size_t j = first; j < first + 3000 && j < total; j += 1) {
                T_EQ_INT(dt_tree_cur_next(&sc, &d), 1);
                T_ASSERT(same(d, &sorted[j]));
            }
            dt_tree_cur c;
            T_OK(dt_tree_cur_init(&c, cache, (dt_order)o, &t, &key));
            T_EQ_INT(dt_tree_cur_next(&c, &d), 1);
            T_ASSERT(same(d, &sorted[first]));
            dt_tree_cur_fini(&c);
        }
        dt_tree_cur_fini(&sc);
        free(sorted);
    }
    free(all);
    dt_cache_free(cache);
    datom_store_free(st);
}

/* Adding one datom to a tree of 1,000,000 writes one segment per level. */
static void test_tree_log_n_puts(void)
{
    datom_store *st;
    T_OK(datom_store_open(&st, "mem:"));
    dt_cache *cache = dt_cache_new(st, "seg/", 8 << 20);
    size_t total = 1000000;
    dt_datom *d = dt_malloc(total * sizeof *d);
    for (size_t i = 0; i < total; i++)
        d[i] = (dt_datom){.e = DT_EID(DT_PART_USER, 2 * i + 2), .a = 10, .v = dt_val_long((int64_t)i),
                          .tx = DT_TX_OF_T(1), .added = true};
    dt_tree t;
    T_OK(dt_tree_merge(cache, DT_EAVT, NULL, d, total, &t));
    dt_cache_stats s0, s1;
    dt_cache_stats_get(cache, &s0);
    dt_datom one = {.e = DT_EID(DT_PART_USER, 999999), .a = 10, .v = dt_val_long(5), .tx = DT_TX_OF_T(2), .added = true};
    dt_tree t2;
    T_OK(dt_tree_merge(cache, DT_EAVT, &t, &one, 1, &t2));
    dt_cache_stats_get(cache, &s1);
    fprintf(stderr, "  1,000,000 datoms in %llu segments; adding one wrote %llu\n",
            (unsigned long long)s0.puts, (unsigned long long)(s1.puts - s0.puts));
    T_EQ_INT(t2.count, total + 1);
    T_ASSERT(s1.puts - s0.puts <= 3); /* depth 2: a leaf (maybe split in two) and the root */
    T_EQ_INT(tree_size(cache, DT_EAVT, &t2, NULL, 0), total + 1);
    free(d);
    dt_cache_free(cache);
    datom_store_free(st);
}

static void test_tree_corrupt(void)
{
    datom_store *st;
    T_OK(datom_store_open(&st, "mem:"));
    dt_cache *cache = dt_cache_new(st, "seg/", 1 << 20);
    dt_datom d[3];
    for (int i = 0; i < 3; i++)
        d[i] = (dt_datom){.e = DT_EID(DT_PART_USER, i + 1), .a = 10, .v = dt_val_long(i), .tx = DT_TX_OF_T(1), .added = true};
    dt_tree t;
    T_OK(dt_tree_merge(cache, DT_EAVT, NULL, d, 3, &t));
    /* overwrite the object with other bytes: the SHA check catches it */
    char hex[DATOM_SHA_HEX], *key;
    dt_hex_encode(t.sha, 32, hex);
    key = dt_sprintf("seg/%s", hex);
    T_OK(datom_store_put(st, key, "garbage", 7));
    dt_cache *fresh = dt_cache_new(st, "seg/", 1 << 20);
    dt_tree_cur c;
    T_ERR(dt_tree_cur_init(&c, fresh, DT_EAVT, &t, NULL), DATOM_ECORRUPT, "corrupt");
    dt_tree_cur_fini(&c);
    /* a missing segment */
    T_OK(datom_store_del(st, key));
    T_ERR(dt_tree_cur_init(&c, fresh, DT_EAVT, &t, NULL), DATOM_ENOTFOUND, "");
    dt_tree_cur_fini(&c);
    /* the wrong order */
    T_OK(dt_tree_cur_init(&c, cache, DT_AEVT, &t, NULL) == 0 ? -1 : 0);
    dt_tree_cur_fini(&c);
    free(key);
    dt_cache_free(fresh);
    dt_cache_free(cache);
    datom_store_free(st);
}

int main(void)
{
    T_RUN(test_novelty_orders);
    T_RUN(test_cursor_survives_inserts);
    T_RUN(test_tree_merge);
    T_RUN(test_tree_log_n_puts);
    T_RUN(test_tree_corrupt);
    for (int i = 0; i < 8; i++)
        free(word_blobs[i]);
    return t_done();
}
