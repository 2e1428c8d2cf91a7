/*
 * gen.h: the data sets of bench/query (docs/performance.md, "Query"): the
 * people set (db100k), the upstream wide trees and the long chains (rules
 * and pull), and the synthetic math genealogy, each made from mulberry32
 * streams exactly as tests/interop/bench_query.mjs makes them for
 * Datascript, so both sides hold the same facts.
 *
 * A data set is a list of facts [e attr value]: e a string tempid, an
 * explicit entity number, or nothing (a fresh entity per map); the loader
 * turns them into one transaction.
 */
#ifndef BENCH_QUERY_GEN_H
#define BENCH_QUERY_GEN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct rng {
    uint32_t s;
} rng;

static inline uint32_t mb32(rng *r)
{
    uint32_t z = (r->s += 0x6D2B79F5u);
    z = (z ^ (z >> 15)) * (z | 1u);
    z ^= z + (z ^ (z >> 7)) * (z | 61u);
    return z ^ (z >> 14);
}

static inline uint32_t draw(rng *r, uint32_t n) { return (uint32_t)(((uint64_t)mb32(r) * n) >> 32); }

enum { V_STR = 1, V_LONG, V_KW, V_REF_TEMP, V_REF_ID };

typedef struct fact {
    uint32_t tempid; /* e as the string tempid of this number, or 0 */
    uint64_t id;     /* e as an explicit entity number (when tempid is 0) */
    uint8_t attr;    /* index into the set's attribute names */
    uint8_t vkind;
    int64_t num;     /* V_LONG; V_REF_TEMP: tempid number; V_REF_ID: entity number */
    const char *str; /* V_STR, V_KW (static or owned by the set) */
} fact;

typedef struct facts {
    fact *v;
    size_t n, cap;
    char **owned;
    size_t nowned, capowned;
} facts;

static inline void facts_add(facts *f, fact x)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 1024;
        f->v = realloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = x;
}

static inline const char *facts_own(facts *f, char *s)
{
    if (f->nowned == f->capowned) {
        f->capowned = f->capowned ? f->capowned * 2 : 1024;
        f->owned = realloc(f->owned, f->capowned * sizeof *f->owned);
    }
    return f->owned[f->nowned++] = s;
}

static inline void facts_free(facts *f)
{
    for (size_t i = 0; i < f->nowned; i++)
        free(f->owned[i]);
    free(f->owned);
    free(f->v);
    memset(f, 0, sizeof *f);
}

/* ---- people (bench-facts §1) ---- */

static const char *const P_NAMES[] = {"Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis"};
static const char *const P_LASTS[] = {"Ivanov", "Petrov", "Sidorov", "Kovalev", "Kuznetsov", "Voronoi"};
static const char *const P_ALIASES[] = {"A. C. Q. W.", "A. J. Finn", "A.A. Fair", "Aapeli", "Aaron Wolfe",
                                        "Abigail Van Buren", "Jeanne Phillips", "Abram Tertz", "Abu Nuwas",
                                        "Acton Bell", "Adunis"};
static const char *const P_SEXES[] = {"male", "female"};

/* dl attributes, then the ds extras */
enum { A_NAME, A_LAST, A_SEX, A_AGE, A_SALARY, A_FULL, A_ALIAS, A_ID, A_FOLLOWS, N_PEOPLE_ATTRS };
static const char *const PEOPLE_ATTRS[] = {"name", "last-name", "sex", "age", "salary", "full-name", "alias", "id",
                                           "follows"};

typedef struct person {
    uint32_t tempid, name, last, sex, age, salary, nalias;
    uint8_t alias[10];
} person;

/* One person from R: ds draws aliases too. */
static inline person gen_person(rng *r, bool ds)
{
    person p = {0};
    p.name = draw(r, 8);
    p.last = draw(r, 6);
    if (ds) {
        p.nalias = draw(r, 10);
        for (uint32_t i = 0; i < p.nalias; i++)
            p.alias[i] = (uint8_t)draw(r, 11);
    }
    p.sex = draw(r, 2);
    p.age = draw(r, 100);
    p.salary = draw(r, 100000);
    return p;
}

/* people20k (dl): N persons, shuffled by the same stream. */
static inline person *gen_people(uint32_t seed, size_t n)
{
    rng r = {seed};
    person *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        p[i] = gen_person(&r, false);
        p[i].tempid = (uint32_t)i + 1;
    }
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = draw(&r, (uint32_t)i + 1);
        person t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    return p;
}

static inline void people_facts(const person *p, size_t n, facts *f)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t t = p[i].tempid;
        facts_add(f, (fact){.tempid = t, .attr = A_NAME, .vkind = V_STR, .str = P_NAMES[p[i].name]});
        facts_add(f, (fact){.tempid = t, .attr = A_LAST, .vkind = V_STR, .str = P_LASTS[p[i].last]});
        facts_add(f, (fact){.tempid = t, .attr = A_SEX, .vkind = V_KW, .str = P_SEXES[p[i].sex]});
        facts_add(f, (fact){.tempid = t, .attr = A_AGE, .vkind = V_LONG, .num = p[i].age});
        facts_add(f, (fact){.tempid = t, .attr = A_SALARY, .vkind = V_LONG, .num = p[i].salary});
    }
}

/* ---- trees (bench-facts §2) ---- */

/* wide(depth, width): node n's children n*width+k; every node a ds person
 * (seed+1 stream, preorder), inner nodes with :id and :follows. */
static inline void wide_node(rng *r, facts *f, uint32_t node, int level, int depth, int width)
{
    person p = gen_person(r, true);
    uint32_t t = node;
    facts_add(f, (fact){.tempid = t, .attr = A_NAME, .vkind = V_STR, .str = P_NAMES[p.name]});
    facts_add(f, (fact){.tempid = t, .attr = A_LAST, .vkind = V_STR, .str = P_LASTS[p.last]});
    size_t len = strlen(P_NAMES[p.name]) + strlen(P_LASTS[p.last]) + 2;
    char *full = malloc(len);
    snprintf(full, len, "%s %s", P_NAMES[p.name], P_LASTS[p.last]);
    facts_add(f, (fact){.tempid = t, .attr = A_FULL, .vkind = V_STR, .str = facts_own(f, full)});
    for (uint32_t i = 0; i < p.nalias; i++)
        facts_add(f, (fact){.tempid = t, .attr = A_ALIAS, .vkind = V_STR, .str = P_ALIASES[p.alias[i]]});
    facts_add(f, (fact){.tempid = t, .attr = A_SEX, .vkind = V_KW, .str = P_SEXES[p.sex]});
    facts_add(f, (fact){.tempid = t, .attr = A_AGE, .vkind = V_LONG, .num = p.age});
    facts_add(f, (fact){.tempid = t, .attr = A_SALARY, .vkind = V_LONG, .num = p.salary});
    if (level == depth)
        return;
    facts_add(f, (fact){.tempid = t, .attr = A_ID, .vkind = V_LONG, .num = node});
    for (int k = 0; k < width; k++)
        facts_add(f, (fact){.tempid = t, .attr = A_FOLLOWS, .vkind = V_REF_TEMP, .num = (int64_t)node * width + k});
    for (int k = 0; k < width; k++)
        wide_node(r, f, node * (uint32_t)width + (uint32_t)k, level + 1, depth, width);
}

static inline void gen_wide(uint32_t seed, int depth, int width, facts *f)
{
    rng r = {seed + 1};
    wide_node(&r, f, 1, 0, depth, width);
}

/* long(depth, width): WIDTH chains of DEPTH+1 nodes, explicit numbers from 1. */
static inline void gen_long(int depth, int width, facts *f)
{
    for (int x = 0; x < width; x++)
        for (int y = 0; y < depth; y++) {
            uint64_t from = (uint64_t)x * (uint64_t)(depth + 1) + (uint64_t)y + 1, to = from + 1;
            facts_add(f, (fact){.id = from, .attr = A_NAME, .vkind = V_STR, .str = "Ivan"});
            facts_add(f, (fact){.id = from, .attr = A_FOLLOWS, .vkind = V_REF_ID, .num = (int64_t)to});
            facts_add(f, (fact){.id = to, .attr = A_NAME, .vkind = V_STR, .str = "Ivan"});
        }
}

/* ---- the synthetic math genealogy (bench-facts §6.6) ---- */

enum { M_CID, M_NAME, M_TITLE, M_UNIV, M_COUNTRY, M_YEAR, M_AREA, M_ADVISED, N_MATH_ATTRS };
static const char *const MATH_ATTRS[] = {"dissertation/cid",     "person/name",      "dissertation/title",
                                         "dissertation/univ",    "dissertation/country", "dissertation/year",
                                         "dissertation/area",    "person/advised"};

/* "PREFIX V" in a new string. */
static inline char *fmt(const char *prefix, long long v)
{
    char *s = malloc(48);
    snprintf(s, 48, "%s %lld", prefix, v);
    return s;
}

/* Facts of scale S; *david the renamed person. */
static inline void gen_math(uint32_t seed, double scale, facts *f, uint64_t *david)
{
    long long n = (long long)(256767.0 * scale + 0.5);
    if (n < 100)
        n = 100;
    rng r = {seed + 7};
    int32_t *school = calloc((size_t)n + 1, sizeof *school), *area = calloc((size_t)n + 1, sizeof *area);
    uint32_t **adv = calloc((size_t)n + 1, sizeof *adv);
    uint8_t *nadv = calloc((size_t)n + 1, 1);
    size_t *name_at = malloc(((size_t)n + 1) * sizeof *name_at);
    for (long long i = 1; i <= n; i++) {
        long long g = (i - 1) * 32 / n;
        uint32_t k = 0;
        if (g > 0) {
            uint32_t u = draw(&r, 100);
            k = u < 10 ? 0 : u < 81 ? 1 : u < 98 ? 2 : 3;
        }
        adv[i] = calloc(3, sizeof **adv);
        if (k) {
            long long lo = (g - 1) * n / 32 + 1, m = g * n / 32 + 1 - lo;
            for (uint32_t t = 0; t < k; t++) {
                uint64_t a = draw(&r, (uint32_t)m), b = draw(&r, (uint32_t)m);
                uint32_t j = (uint32_t)(lo + (long long)(a * b / (uint64_t)m));
                bool have = false;
                for (uint32_t q = 0; q < nadv[i]; q++)
                    have = have || adv[i][q] == j;
                if (!have)
                    adv[i][nadv[i]++] = j;
            }
        }
        uint64_t did = 1000000 + (uint64_t)i;
        facts_add(f, (fact){.id = did, .attr = M_CID, .vkind = V_REF_ID, .num = i});
        name_at[i] = f->n;
        facts_add(f, (fact){.id = (uint64_t)i, .attr = M_NAME, .vkind = V_STR, .str = facts_own(f, fmt("Person", i))});
        facts_add(f, (fact){.id = did, .attr = M_TITLE, .vkind = V_STR, .str = facts_own(f, fmt("Thesis", i))});
        school[i] = -1;
        if (draw(&r, 100) < 84) {
            uint32_t first = nadv[i] ? adv[i][0] : 0;
            int32_t u;
            if (first && school[first] >= 0 && draw(&r, 100) < 22) {
                u = school[first];
            } else {
                uint64_t a = draw(&r, 3000), b = draw(&r, 3000);
                u = (int32_t)(a * b / 3000);
            }
            school[i] = u;
            facts_add(f, (fact){.id = did, .attr = M_UNIV, .vkind = V_STR, .str = facts_own(f, fmt("University", u))});
            facts_add(f, (fact){.id = did, .attr = M_COUNTRY, .vkind = V_STR,
                                .str = facts_own(f, fmt("Country", u % 80))});
        }
        facts_add(f, (fact){.id = did, .attr = M_YEAR, .vkind = V_LONG, .num = 1400 + 20 * g + draw(&r, 20)});
        area[i] = -1;
        if (draw(&r, 100) < 45) {
            uint32_t first = nadv[i] ? adv[i][0] : 0;
            int32_t ar;
            if (first && area[first] >= 0 && draw(&r, 100) < 52)
                ar = area[first];
            else
                ar = (int32_t)draw(&r, 64);
            area[i] = ar;
            facts_add(f, (fact){.id = did, .attr = M_AREA, .vkind = V_STR, .str = facts_own(f, fmt("Area", ar))});
        }
        for (uint32_t q = 0; q < nadv[i]; q++)
            facts_add(f, (fact){.id = adv[i][q], .attr = M_ADVISED, .vkind = V_REF_ID, .num = (int64_t)did});
    }
    /* David: in the last generation, the ancestor count closest to 135 */
    uint8_t *seen = calloc((size_t)n + 1, 1);
    uint32_t *stack = malloc(((size_t)n + 1) * sizeof *stack);
    long long best = -1, best_d = 0;
    for (long long i = 1; i <= n; i++) {
        if ((i - 1) * 32 / n != 31)
            continue;
        memset(seen, 0, (size_t)n + 1);
        size_t sp = 0, count = 0;
        stack[sp++] = (uint32_t)i;
        while (sp) {
            uint32_t p = stack[--sp];
            for (uint32_t q = 0; q < nadv[p]; q++)
                if (!seen[adv[p][q]]) {
                    seen[adv[p][q]] = 1;
                    count++;
                    stack[sp++] = adv[p][q];
                }
        }
        long long d = llabs((long long)count - 135);
        if (best < 0 || d < best_d) {
            best = i;
            best_d = d;
        }
    }
    *david = (uint64_t)best;
    f->v[name_at[best]].str = "David Scott Warren";
    for (long long i = 0; i <= n; i++)
        free(adv[i]);
    free(adv);
    free(nadv);
    free(school);
    free(area);
    free(seen);
    free(stack);
    free(name_at);
}

#endif /* BENCH_QUERY_GEN_H */
