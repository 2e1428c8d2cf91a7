/*
 * people.h: the people data set of the DataScript benchmarks, generated
 * exactly as docs/performance.md ("Facts") describes (Datalevin-fork
 * generator, mulberry32 with seed 42, shuffled by the same stream), so the C
 * side and the JavaScript side (people.js) transact the same persons.
 * Header-only: bench/facts/ programs include it.
 */
#ifndef DT_BENCH_PEOPLE_H
#define DT_BENCH_PEOPLE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct person {
    int id; /* the tempid number: "19727" */
    const char *name, *last, *sex;
    int age, salary;
} person;

static const char *const people_names[8] = {"Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis"};
static const char *const people_lasts[6] = {"Ivanov", "Petrov", "Sidorov", "Kovalev", "Kuznetsov", "Voronoi"};
static const char *const people_sexes[2] = {"male", "female"};

static inline uint32_t mulberry32(uint32_t *state)
{
    uint32_t z = (*state += 0x6D2B79F5u);
    z = (z ^ (z >> 15)) * (z | 1u);
    z ^= z + (z ^ (z >> 7)) * (z | 61u);
    return z ^ (z >> 14);
}

static inline uint32_t rnd_int(uint32_t *state, uint32_t n) { return (uint32_t)(((uint64_t)mulberry32(state) * n) >> 32); }

/* N persons from SEED, shuffled (Fisher-Yates, the same stream). */
static inline person *people_make(int n, uint32_t seed)
{
    person *p = malloc((size_t)n * sizeof *p);
    uint32_t s = seed;
    for (int i = 0; i < n; i++) {
        p[i].id = i + 1;
        p[i].name = people_names[rnd_int(&s, 8)];
        p[i].last = people_lasts[rnd_int(&s, 6)];
        p[i].sex = people_sexes[rnd_int(&s, 2)];
        p[i].age = (int)rnd_int(&s, 100);
        p[i].salary = (int)rnd_int(&s, 100000);
    }
    for (int i = n - 1; i >= 1; i--) {
        int j = (int)rnd_int(&s, (uint32_t)i + 1);
        person t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    return p;
}

/* The test vectors of the benchmark's specification: exits if they fail. */
static inline void people_check(const person *p, int n)
{
    uint32_t s = 42;
    uint32_t first[5] = {2581720956u, 1925393290u, 3661312704u, 2876485805u, 750819978u};
    for (int i = 0; i < 5; i++)
        if (mulberry32(&s) != first[i]) {
            fprintf(stderr, "people: mulberry32 differs from its test vector\n");
            exit(1);
        }
    if (n == 20000 && (p[0].id != 19727 || strcmp(p[0].name, "Dmitry") || strcmp(p[0].last, "Kuznetsov") ||
                       strcmp(p[0].sex, "female") || p[0].age != 54 || p[0].salary != 25929 || p[19999].id != 9805)) {
        fprintf(stderr, "people: people20k differs from its test vector\n");
        exit(1);
    }
}

/* The retract-5 order: eids 1..N shuffled with seed + 2. */
static inline int *people_retract_order(int n, uint32_t seed)
{
    int *e = malloc((size_t)n * sizeof *e);
    uint32_t s = seed + 2;
    for (int i = 0; i < n; i++)
        e[i] = i + 1;
    for (int i = n - 1; i >= 1; i--) {
        int j = (int)rnd_int(&s, (uint32_t)i + 1);
        int t = e[i];
        e[i] = e[j];
        e[j] = t;
    }
    return e;
}

#endif /* DT_BENCH_PEOPLE_H */
