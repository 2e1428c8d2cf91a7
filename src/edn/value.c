/*
 * value.c: what values mean: equality (Clojure's =), a total order
 * consistent with it, a hash that agrees with it, and lookups in maps and
 * sets through the hash index that big ones carry.
 *
 * Numbers fall in categories as in Clojure (integer: INT and BIGINT; ratio;
 * float; decimal: BIGDEC): numbers of one category are equal when their
 * values are, of different categories never (1 != 1.0, 1.0 != 1.0M). The
 * order compares numbers by value across categories and breaks a tie
 * between unequal ones by category, so compare == 0 exactly when equal.
 * Exactness: integers, decimals and doubles compare exactly (a double is
 * taken at its exact binary value); a ratio against a non-integer compares
 * through long double (docs/formats.md).
 *
 * The hash is SipHash-1-3 under a key drawn once per process, so the
 * index of a map read from hostile input cannot be flooded with chosen
 * collisions. The index: open addressing over a power-of-two array of
 * uint32 slots (entry number + 1; 0 is empty), at least twice the entries.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "edn/edn_internal.h"

/* ---- SipHash-1-3 ---- */

static uint64_t sip_key[2];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_init(void)
{
    if (getrandom(sip_key, sizeof sip_key, 0) != (ssize_t)sizeof sip_key) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sip_key[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
        sip_key[1] = (uint64_t)ts.tv_sec * 0xC2B2AE3D27D4EB4Full ^ (uint64_t)(uintptr_t)&ts;
    }
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);                                  \
        v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                                                     \
        v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                                                     \
        v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);                                  \
    } while (0)

/* SipHash-1-3 of P[0, N) with TWEAK folded into the key (one hash family
 * per kind, so equal bytes of different kinds rarely collide). */
static uint64_t siphash(uint64_t tweak, const void *p, size_t n)
{
    pthread_once(&sip_once, sip_init);
    uint64_t k0 = sip_key[0] ^ tweak, k1 = sip_key[1];
    uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
    uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
    const uint8_t *in = p, *end = in + (n & ~(size_t)7);
    for (; in < end; in += 8) {
        uint64_t m;
        memcpy(&m, in, 8);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)n << 56;
    switch (n & 7) {
    case 7: b |= (uint64_t)in[6] << 48; /* fall through */
    case 6: b |= (uint64_t)in[5] << 40; /* fall through */
    case 5: b |= (uint64_t)in[4] << 32; /* fall through */
    case 4: b |= (uint64_t)in[3] << 24; /* fall through */
    case 3: b |= (uint64_t)in[2] << 16; /* fall through */
    case 2: b |= (uint64_t)in[1] << 8;  /* fall through */
    case 1: b |= (uint64_t)in[0]; break;
    default: break;
    }
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t hash_u64(uint64_t tweak, uint64_t x) { return siphash(tweak, &x, sizeof x); }

/* Combining hashes that are already keyed needs only good mixing. */
static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

/* ---- numbers ---- */

enum { CAT_INTEGER, CAT_RATIO, CAT_FLOAT, CAT_DECIMAL, CAT_NONE };

static int category(const dt_edn_value *v)
{
    switch (v->kind) {
    case DT_EDN_INT:
    case DT_EDN_BIGINT:
        return CAT_INTEGER;
    case DT_EDN_RATIO:
        return CAT_RATIO;
    case DT_EDN_FLOAT:
        return CAT_FLOAT;
    case DT_EDN_BIGDEC:
        return CAT_DECIMAL;
    default:
        return CAT_NONE;
    }
}

static int sign3(long double a, long double b) { return a < b ? -1 : a > b; }

/* An INT against a double, exactly. */
static int cmp_int_double(int64_t i, double d)
{
    double di = (double)i;
    if (di != d)
        return di < d ? -1 : 1; /* rounding is monotone, so this is i's side */
    if (d >= 9223372036854775808.0)
        return -1; /* d is 2^63, beyond every int64 */
    int64_t k = (int64_t)d;
    return i < k ? -1 : i > k;
}

static long double approx(const dt_edn_value *v)
{
    switch (v->kind) {
    case DT_EDN_INT:
        return (long double)v->u.i;
    case DT_EDN_RATIO:
        return (long double)v->u.ratio[0] / (long double)v->u.ratio[1];
    case DT_EDN_FLOAT:
        return (long double)v->u.f;
    default:
        return strtold(v->u.s, NULL); /* BIGINT, BIGDEC: digits only, no locale matters */
    }
}

static int64_t as_int(const dt_edn_value *v, bool *ok)
{
    int64_t i = 0;
    *ok = v->kind == DT_EDN_INT ? (i = v->u.i, true) : v->kind == DT_EDN_BIGINT && edn_bigint_small(v, &i);
    return i;
}

/* Numbers by value, before any tie-break by category. */
static int cmp_num_value(const dt_edn_value *a, const dt_edn_value *b)
{
    bool fa = a->kind == DT_EDN_FLOAT, fb = b->kind == DT_EDN_FLOAT;
    if ((fa && isnan(a->u.f)) || (fb && isnan(b->u.f)))
        return (fa && isnan(a->u.f)) - (fb && isnan(b->u.f)); /* NaN above all numbers */
    if (fa && fb)
        return a->u.f < b->u.f ? -1 : a->u.f > b->u.f; /* -0.0 == 0.0 */
    if ((fa && isinf(a->u.f)) || (fb && isinf(b->u.f)))
        return fa && isinf(a->u.f) ? (a->u.f > 0 ? 1 : -1) : (b->u.f > 0 ? -1 : 1);
    bool ia, ib;
    int64_t xa = as_int(a, &ia), xb = as_int(b, &ib);
    if (ia && ib)
        return xa < xb ? -1 : xa > xb;
    if (ia && fb)
        return cmp_int_double(xa, b->u.f);
    if (fa && ib)
        return -cmp_int_double(xb, a->u.f);
    if (a->kind == DT_EDN_RATIO || b->kind == DT_EDN_RATIO) {
        if ((a->kind == DT_EDN_RATIO || ia) && (b->kind == DT_EDN_RATIO || ib)) {
            __int128 na = ia ? xa : a->u.ratio[0], da = ia ? 1 : a->u.ratio[1];
            __int128 nb = ib ? xb : b->u.ratio[0], db = ib ? 1 : b->u.ratio[1];
            __int128 l = na * db, r = nb * da; /* 64 x 64 bits: no overflow */
            return l < r ? -1 : l > r;
        }
        return sign3(approx(a), approx(b));
    }
    edn_dec da, db;
    edn_dec_of(a, &da);
    edn_dec_of(b, &db);
    int c = edn_dec_cmp(&da, &db);
    edn_dec_free(&da);
    edn_dec_free(&db);
    return c;
}

static int cmp_num(const dt_edn_value *a, const dt_edn_value *b)
{
    int c = cmp_num_value(a, b);
    if (c)
        return c;
    int ca = category(a), cb = category(b);
    return ca < cb ? -1 : ca > cb;
}

static uint64_t hash_num(const dt_edn_value *v)
{
    bool small;
    int64_t i = as_int(v, &small);
    if (small)
        return hash_u64(DT_EDN_INT, (uint64_t)i);
    switch (v->kind) {
    case DT_EDN_BIGINT:
        return siphash(DT_EDN_INT, v->u.s, v->len);
    case DT_EDN_RATIO:
        return siphash(DT_EDN_RATIO, v->u.ratio, 2 * sizeof(int64_t));
    case DT_EDN_FLOAT: {
        double f = v->u.f == 0 ? 0.0 : isnan(v->u.f) ? NAN : v->u.f;
        uint64_t bits;
        memcpy(&bits, &f, sizeof bits);
        return hash_u64(DT_EDN_FLOAT, bits);
    }
    default: { /* BIGDEC: its decimal form, so 1.0M and 1.00M agree */
        edn_dec d;
        edn_dec_of(v, &d);
        uint64_t h = siphash(DT_EDN_BIGDEC, d.dig, d.ndig) ^ mix((uint64_t)d.exp * 2 + (uint64_t)(d.sign + 1));
        edn_dec_free(&d);
        return h;
    }
    }
}

/* ---- equality ---- */

/* Interned symbols and keywords often share their text: no need to look. */
static bool text_eq(const dt_edn_value *a, const dt_edn_value *b)
{
    return a->len == b->len && (a->u.s == b->u.s || !memcmp(a->u.s, b->u.s, a->len));
}

static bool is_seq(const dt_edn_value *v) { return v->kind == DT_EDN_LIST || v->kind == DT_EDN_VECTOR; }

static bool coll_equal(const dt_edn_value *a, const dt_edn_value *b)
{
    if (a->len != b->len)
        return false;
    if (is_seq(a)) {
        for (size_t i = 0; i < a->len; i++)
            if (!dt_edn_equal(&a->u.items[i], &b->u.items[i]))
                return false;
        return true;
    }
    if (a->kind == DT_EDN_SET) {
        for (size_t i = 0; i < a->len; i++)
            if (!dt_edn_contains(b, &a->u.items[i]))
                return false;
        return true;
    }
    for (size_t i = 0; i < a->len; i++) { /* map */
        const dt_edn_value *vb = dt_edn_get(b, dt_edn_key(a, i));
        if (!vb || !dt_edn_equal(dt_edn_val(a, i), vb))
            return false;
    }
    return true;
}

bool dt_edn_equal(const dt_edn_value *a, const dt_edn_value *b)
{
    if (a->kind != b->kind) {
        if (category(a) == CAT_INTEGER && category(b) == CAT_INTEGER)
            return cmp_num_value(a, b) == 0;
        return is_seq(a) && is_seq(b) && coll_equal(a, b);
    }
    switch (a->kind) {
    case DT_EDN_NIL:
        return true;
    case DT_EDN_BOOL:
        return a->u.b == b->u.b;
    case DT_EDN_INT:
        return a->u.i == b->u.i;
    case DT_EDN_FLOAT:
        return a->u.f == b->u.f || (isnan(a->u.f) && isnan(b->u.f));
    case DT_EDN_BIGINT:
    case DT_EDN_STRING:
    case DT_EDN_SYMBOL:
    case DT_EDN_KEYWORD:
        return text_eq(a, b); /* big integers are canonical text */
    case DT_EDN_RATIO:
        return a->u.ratio[0] == b->u.ratio[0] && a->u.ratio[1] == b->u.ratio[1];
    case DT_EDN_BIGDEC:
        return text_eq(a, b) || cmp_num_value(a, b) == 0;
    case DT_EDN_CHAR:
        return a->u.c == b->u.c;
    case DT_EDN_INST:
        return a->u.sec == b->u.sec && a->len == b->len;
    case DT_EDN_UUID:
        return !memcmp(a->u.uuid, b->u.uuid, 16);
    case DT_EDN_TAGGED:
        return text_eq(dt_edn_tag(a), dt_edn_tag(b)) && dt_edn_equal(dt_edn_tagged_value(a), dt_edn_tagged_value(b));
    default:
        return coll_equal(a, b);
    }
}

/* ---- hash ---- */

#define SHORT_INTS 8
#define SHORT_INTS_TWEAK 0x5e9 /* a family of its own (kinds' tweaks are small) */

uint64_t dt_edn_hash(const dt_edn_value *v)
{
    switch (v->kind) {
    case DT_EDN_NIL:
        return hash_u64(DT_EDN_NIL, 0);
    case DT_EDN_BOOL:
        return hash_u64(DT_EDN_BOOL, v->u.b);
    case DT_EDN_CHAR:
        return hash_u64(DT_EDN_CHAR, v->u.c);
    case DT_EDN_STRING:
    case DT_EDN_SYMBOL:
    case DT_EDN_KEYWORD:
        return siphash(v->kind, v->u.s, v->len);
    case DT_EDN_INST:
        return hash_u64(DT_EDN_INST, (uint64_t)v->u.sec * 1000000007u + v->len);
    case DT_EDN_UUID:
        return siphash(DT_EDN_UUID, v->u.uuid, 16);
    case DT_EDN_TAGGED:
        return mix(dt_edn_hash(dt_edn_tag(v)) * 31 + dt_edn_hash(dt_edn_tagged_value(v)));
    case DT_EDN_LIST:
    case DT_EDN_VECTOR: {
        /* A short sequence of integers (query results' rows, mostly) in one
         * pass over its length and values. Sequences equal to one are of
         * integers too (only integers equal integers), with the same values. */
        uint64_t w[1 + SHORT_INTS];
        bool small = v->len <= SHORT_INTS;
        w[0] = v->len;
        for (size_t i = 0; small && i < v->len; i++)
            w[i + 1] = (uint64_t)as_int(&v->u.items[i], &small);
        if (small)
            return siphash(SHORT_INTS_TWEAK, w, (v->len + 1) * sizeof *w);
        uint64_t h = hash_u64(DT_EDN_VECTOR, v->len);
        for (size_t i = 0; i < v->len; i++)
            h = mix(h * 31 + dt_edn_hash(&v->u.items[i]));
        return h;
    }
    case DT_EDN_MAP: { /* order-free: a sum of the pairs' hashes */
        uint64_t h = 0;
        for (size_t i = 0; i < v->len; i++)
            h += mix(dt_edn_hash(dt_edn_key(v, i)) ^ ROTL(dt_edn_hash(dt_edn_val(v, i)), 29));
        return mix(h ^ hash_u64(DT_EDN_MAP, v->len));
    }
    case DT_EDN_SET: {
        uint64_t h = 0;
        for (size_t i = 0; i < v->len; i++)
            h += mix(dt_edn_hash(&v->u.items[i]));
        return mix(h ^ hash_u64(DT_EDN_SET, v->len));
    }
    default:
        return hash_num(v);
    }
}

/* ---- order ---- */

static int rank(const dt_edn_value *v)
{
    static const int ranks[DT_EDN_KIND_COUNT] = {
        [DT_EDN_NIL] = 0,     [DT_EDN_BOOL] = 1,    [DT_EDN_INT] = 2,    [DT_EDN_BIGINT] = 2,
        [DT_EDN_RATIO] = 2,   [DT_EDN_FLOAT] = 2,   [DT_EDN_BIGDEC] = 2, [DT_EDN_CHAR] = 3,
        [DT_EDN_STRING] = 4,  [DT_EDN_SYMBOL] = 5,  [DT_EDN_KEYWORD] = 6, [DT_EDN_INST] = 7,
        [DT_EDN_UUID] = 8,    [DT_EDN_LIST] = 9,    [DT_EDN_VECTOR] = 9, [DT_EDN_MAP] = 10,
        [DT_EDN_SET] = 11,    [DT_EDN_TAGGED] = 12,
    };
    return ranks[v->kind];
}

static int cmp_bytes(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, DT_MIN(na, nb));
    if (c)
        return c < 0 ? -1 : 1;
    return na < nb ? -1 : na > nb;
}

/* Symbols and keywords as Clojure's Symbol.compareTo: no namespace first. */
static int cmp_named(const dt_edn_value *a, const dt_edn_value *b)
{
    size_t nsa, nsb, na, nb;
    const char *sa = dt_edn_ns(a, &nsa), *sb = dt_edn_ns(b, &nsb);
    if (!sa != !sb)
        return sa ? 1 : -1;
    int c = sa ? cmp_bytes(sa, nsa, sb, nsb) : 0;
    if (c)
        return c;
    const char *ma = dt_edn_name(a, &na), *mb = dt_edn_name(b, &nb);
    return cmp_bytes(ma, na, mb, nb);
}

static int cmp_ptr(const void *x, const void *y)
{
    return dt_edn_compare(*(const dt_edn_value *const *)x, *(const dt_edn_value *const *)y);
}

/* Maps and sets: as their entries sorted (a map's by key, then value). */
static int cmp_unordered(const dt_edn_value *a, const dt_edn_value *b)
{
    size_t n = a->len, step = a->kind == DT_EDN_MAP ? 2 : 1;
    const dt_edn_value **ea = dt_malloc(2 * n * sizeof *ea), **eb = ea + n;
    for (size_t i = 0; i < n; i++) {
        ea[i] = &a->u.items[i * step];
        eb[i] = &b->u.items[i * step];
    }
    qsort(ea, n, sizeof *ea, cmp_ptr); /* keys are distinct: no ties */
    qsort(eb, n, sizeof *eb, cmp_ptr);
    int c = 0;
    for (size_t i = 0; i < n && !c; i++)
        c = dt_edn_compare(ea[i], eb[i]);
    for (size_t i = 0; i < n && !c && step == 2; i++)
        c = dt_edn_compare(ea[i] + 1, eb[i] + 1);
    free(ea);
    return c;
}

static int cmp_coll(const dt_edn_value *a, const dt_edn_value *b)
{
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    if (!is_seq(a))
        return cmp_unordered(a, b);
    for (size_t i = 0; i < a->len; i++) {
        int c = dt_edn_compare(&a->u.items[i], &b->u.items[i]);
        if (c)
            return c;
    }
    return 0;
}

int dt_edn_compare(const dt_edn_value *a, const dt_edn_value *b)
{
    int ra = rank(a), rb = rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    switch (a->kind) {
    case DT_EDN_NIL:
        return 0;
    case DT_EDN_BOOL:
        return (int)a->u.b - (int)b->u.b;
    case DT_EDN_CHAR:
        return a->u.c < b->u.c ? -1 : a->u.c > b->u.c;
    case DT_EDN_STRING:
        return cmp_bytes(a->u.s, a->len, b->u.s, b->len);
    case DT_EDN_SYMBOL:
    case DT_EDN_KEYWORD:
        return cmp_named(a, b);
    case DT_EDN_INST:
        if (a->u.sec != b->u.sec)
            return a->u.sec < b->u.sec ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    case DT_EDN_UUID: {
        int c = memcmp(a->u.uuid, b->u.uuid, 16);
        return c < 0 ? -1 : c > 0;
    }
    case DT_EDN_TAGGED: {
        int c = cmp_named(dt_edn_tag(a), dt_edn_tag(b));
        return c ? c : dt_edn_compare(dt_edn_tagged_value(a), dt_edn_tagged_value(b));
    }
    case DT_EDN_LIST:
    case DT_EDN_VECTOR:
    case DT_EDN_MAP:
    case DT_EDN_SET:
        return cmp_coll(a, b);
    default:
        return cmp_num(a, b);
    }
}

/* ---- the index of big maps and sets ---- */

size_t edn_index_slots(size_t n)
{
    size_t s = 16;
    while (s < 2 * n)
        s *= 2;
    return s;
}

static const dt_edn_value *entry(const dt_edn_value *v, size_t i)
{
    return &v->u.items[v->kind == DT_EDN_MAP ? 2 * i : i];
}

static const uint32_t *index_of(const dt_edn_value *v)
{
    return (const uint32_t *)(v->u.items + edn_item_values(v));
}

size_t edn_index_build(const dt_edn_value *v, uint32_t *slots)
{
    size_t mask = edn_index_slots(v->len) - 1;
    memset(slots, 0, (mask + 1) * sizeof *slots);
    for (size_t i = 0; i < v->len; i++) {
        const dt_edn_value *k = entry(v, i);
        size_t s = dt_edn_hash(k) & mask;
        for (; slots[s]; s = (s + 1) & mask)
            if (dt_edn_equal(entry(v, slots[s] - 1), k))
                return i + 1;
        slots[s] = (uint32_t)(i + 1);
    }
    return 0;
}

size_t edn_find_duplicate_small(const dt_edn_value *v)
{
    for (size_t i = 1; i < v->len; i++)
        for (size_t j = 0; j < i; j++)
            if (dt_edn_equal(entry(v, i), entry(v, j)))
                return i + 1;
    return 0;
}

/* The entry of V (map or set) equal to K, or NULL. */
static const dt_edn_value *find(const dt_edn_value *v, const dt_edn_value *k)
{
    if (!(v->flags & DT_EDN_F_INDEXED)) {
        for (size_t i = 0; i < v->len; i++)
            if (dt_edn_equal(entry(v, i), k))
                return entry(v, i);
        return NULL;
    }
    const uint32_t *slots = index_of(v);
    size_t mask = edn_index_slots(v->len) - 1;
    for (size_t s = dt_edn_hash(k) & mask; slots[s]; s = (s + 1) & mask)
        if (dt_edn_equal(entry(v, slots[s] - 1), k))
            return entry(v, slots[s] - 1);
    return NULL;
}

const dt_edn_value *dt_edn_get(const dt_edn_value *m, const dt_edn_value *key)
{
    if (!m || m->kind != DT_EDN_MAP)
        return NULL;
    const dt_edn_value *k = find(m, key);
    return k ? k + 1 : NULL;
}

const dt_edn_value *dt_edn_get_kw(const dt_edn_value *m, const char *kw)
{
    if (!m || m->kind != DT_EDN_MAP)
        return NULL;
    size_t n = strlen(kw);
    if (!(m->flags & DT_EDN_F_INDEXED)) { /* the common case: a scan without hashing */
        for (size_t i = 0; i < m->len; i++) {
            const dt_edn_value *k = dt_edn_key(m, i);
            if (k->kind == DT_EDN_KEYWORD && k->len == n && !memcmp(k->u.s, kw, n))
                return k + 1;
        }
        return NULL;
    }
    dt_edn_value key = {.kind = DT_EDN_KEYWORD, .len = (uint32_t)n, .u.s = kw};
    return dt_edn_get(m, &key);
}

bool dt_edn_contains(const dt_edn_value *s, const dt_edn_value *v)
{
    return s && s->kind == DT_EDN_SET && find(s, v);
}

static bool named_is(const dt_edn_value *v, dt_edn_kind kind, const char *text)
{
    size_t n = strlen(text);
    return v && v->kind == kind && v->len == n && !memcmp(v->u.s, text, n);
}

bool dt_edn_is_kw(const dt_edn_value *v, const char *kw) { return named_is(v, DT_EDN_KEYWORD, kw); }
bool dt_edn_is_sym(const dt_edn_value *v, const char *sym) { return named_is(v, DT_EDN_SYMBOL, sym); }

const char *dt_edn_kind_name(dt_edn_kind k)
{
    static const char *names[DT_EDN_KIND_COUNT] = {
        "nil",     "boolean", "integer", "big integer", "ratio", "float",  "big decimal",
        "character", "string", "symbol", "keyword",     "list",  "vector", "map",
        "set",     "instant", "uuid",    "tagged value"};
    return (unsigned)k < DT_EDN_KIND_COUNT ? names[k] : "unknown";
}
