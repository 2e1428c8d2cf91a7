/*
 * bench/edn/edn.c: the EDN reader's speed on a transaction of N entities,
 * against jansson parsing the same data as JSON.
 *
 *   bench_edn gen KIND N OUT.edn OUT.json   writes the data (KIND people or mixed)
 *   bench_edn parse IN.edn IN.json [REPEAT] reads both REPEAT times (default 5)
 *
 * people: the people set of the facts benchmarks (docs/performance.md; the
 * mulberry32 generator, seed 42), N persons as a vector of entity maps with
 * string tempids, five attributes each. mixed: entity maps with every kind
 * a transaction carries (strings with escapes and non-ASCII, floats,
 * instants, UUIDs, refs as lookup vectors, sets of keywords). JSON holds the
 * same values (keywords and instants as strings, sets as arrays).
 *
 * parse prints CPU seconds (the best of REPEAT), MB/s and values/s of each,
 * the ratio, printing speed, and the document's memory per input byte.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../bench.h"
#include "edn/edn.h"

static uint32_t mulberry32(uint32_t *s)
{
    uint32_t z = (*s += 0x6D2B79F5u);
    z = (z ^ (z >> 15)) * (z | 1u);
    z ^= z + (z ^ (z >> 7)) * (z | 61u);
    return z ^ (z >> 14);
}

static uint32_t draw(uint32_t *s, uint32_t n) { return (uint32_t)(((uint64_t)mulberry32(s) * n) >> 32); }

typedef struct person {
    uint32_t id, name, last, sex, age, salary;
} person;

static const char *names[] = {"Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis"};
static const char *lasts[] = {"Ivanov", "Petrov", "Sidorov", "Kovalev", "Kuznetsov", "Voronoi"};
static const char *sexes[] = {"male", "female"};

static void gen_people(size_t n, FILE *edn, FILE *json)
{
    uint32_t s = 42;
    person *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        p[i].id = (uint32_t)i + 1;
        p[i].name = draw(&s, 8);
        p[i].last = draw(&s, 6);
        p[i].sex = draw(&s, 2);
        p[i].age = draw(&s, 100);
        p[i].salary = draw(&s, 100000);
    }
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = draw(&s, (uint32_t)i + 1);
        person t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    fputs("[", edn);
    fputs("[", json);
    for (size_t i = 0; i < n; i++) {
        fprintf(edn, "%s{:db/id \"%u\", :name \"%s\", :last-name \"%s\", :sex :%s, :age %u, :salary %u}\n",
                i ? " " : "", p[i].id, names[p[i].name], lasts[p[i].last], sexes[p[i].sex], p[i].age, p[i].salary);
        fprintf(json, "%s{\"db/id\":\"%u\",\"name\":\"%s\",\"last-name\":\"%s\",\"sex\":\"%s\",\"age\":%u,\"salary\":%u}\n",
                i ? "," : "", p[i].id, names[p[i].name], lasts[p[i].last], sexes[p[i].sex], p[i].age, p[i].salary);
    }
    fputs("]\n", edn);
    fputs("]\n", json);
    free(p);
}

static void gen_mixed(size_t n, FILE *edn, FILE *json)
{
    uint32_t s = 7;
    fputs("[", edn);
    fputs("[", json);
    for (size_t i = 0; i < n; i++) {
        uint32_t a = mulberry32(&s), b = mulberry32(&s), c = mulberry32(&s);
        double score = (double)a / 4294967296.0 * 1000.0;
        int64_t ms = 946684800000LL + (int64_t)(b % 700000000u) * 1000 + c % 1000;
        char when[48];
        dt_utc_iso(ms, when);
        when[19] = '\0';
        fprintf(edn,
                "%s{:db/id \"e%zu\" :item/title \"Item \\\"%zu\\\" caf\\u00e9 — ok\" :item/score %.6f "
                ":item/at #inst \"%s.%03dZ\" :item/key #uuid \"%08x-%04x-4%03x-8%03x-%08x%04x\" "
                ":item/owner [:person/email \"u%u@example.org\"] :item/tags #{:tag/a :tag/b%u} :item/n %u}\n",
                i ? " " : "", i, i, score, when, (int)(ms % 1000), a, b & 0xffff, c & 0xfff, (a >> 4) & 0xfff, b,
                c & 0xffff, a % 1000, b % 7, c);
        fprintf(json,
                "%s{\"db/id\":\"e%zu\",\"item/title\":\"Item \\\"%zu\\\" caf\\u00e9 — ok\",\"item/score\":%.6f,"
                "\"item/at\":\"%s.%03dZ\",\"item/key\":\"%08x-%04x-4%03x-8%03x-%08x%04x\","
                "\"item/owner\":[\"person/email\",\"u%u@example.org\"],\"item/tags\":[\"tag/a\",\"tag/b%u\"],\"item/n\":%u}\n",
                i ? "," : "", i, i, score, when, (int)(ms % 1000), a, b & 0xffff, c & 0xfff, (a >> 4) & 0xfff, b,
                c & 0xffff, a % 1000, b % 7, c);
    }
    fputs("]\n", edn);
    fputs("]\n", json);
}

static size_t count_values(const dt_edn_value *v)
{
    size_t n = 1;
    if (dt_edn_is_coll(v)) {
        size_t items = v->kind == DT_EDN_MAP ? 2 * (size_t)v->len : v->len;
        for (size_t i = 0; i < items; i++)
            n += count_values(&v->u.items[i]);
    } else if (v->kind == DT_EDN_TAGGED) {
        n += count_values(dt_edn_tagged_value(v));
    }
    return n;
}

static void parse(const char *edn_path, const char *json_path, int repeat)
{
    dt_buf edn = DT_BUF_INIT, js = DT_BUF_INIT;
    if (dt_fs_read_all(edn_path, &edn, (size_t)1 << 34) || dt_fs_read_all(json_path, &js, (size_t)1 << 34)) {
        fprintf(stderr, "%s\n", datom_errmsg());
        exit(1);
    }
    double best_edn = 1e9, best_json = 1e9, best_print = 1e9;
    size_t values = 0, doc_bytes = 0, printed = 0;
    for (int r = 0; r < repeat; r++) {
        dt_edn_doc *doc = dt_edn_doc_new();
        const dt_edn_value *v;
        double t0 = bench_cpu_seconds();
        if (dt_edn_read(doc, (const char *)edn.data, edn.len, NULL, &v, NULL)) {
            fprintf(stderr, "%s: %s\n", edn_path, datom_errmsg());
            exit(1);
        }
        double t1 = bench_cpu_seconds();
        best_edn = DT_MIN(best_edn, t1 - t0);
        values = count_values(v);
        doc_bytes = dt_edn_doc_bytes(doc);
        dt_buf out = DT_BUF_INIT;
        dt_buf_reserve(&out, edn.len * 2);
        t0 = bench_cpu_seconds();
        dt_edn_print_buf(v, NULL, &out);
        best_print = DT_MIN(best_print, bench_cpu_seconds() - t0);
        printed = out.len;
        dt_buf_free(&out);
        dt_edn_doc_free(doc);

        json_error_t e;
        t0 = bench_cpu_seconds();
        json_t *j = json_loadb((const char *)js.data, js.len, 0, &e);
        t1 = bench_cpu_seconds();
        if (!j) {
            fprintf(stderr, "%s: %s\n", json_path, e.text);
            exit(1);
        }
        best_json = DT_MIN(best_json, t1 - t0);
        json_decref(j);
    }
    double mb = (double)edn.len / 1e6, jmb = (double)js.len / 1e6;
    printf("edn_bytes %zu json_bytes %zu values %zu\n", edn.len, js.len, values);
    printf("datom_edn_cpu_seconds %.4f datom_edn_mb_per_s %.1f datom_edn_values_per_s %.0f\n", best_edn,
           mb / best_edn, (double)values / best_edn);
    printf("jansson_json_cpu_seconds %.4f jansson_json_mb_per_s %.1f\n", best_json, jmb / best_json);
    printf("ratio_jansson_over_datom %.2f (time for the same data)\n", best_json / best_edn);
    printf("datom_edn_print_cpu_seconds %.4f datom_edn_print_mb_per_s %.1f\n", best_print,
           (double)printed / 1e6 / best_print);
    printf("datom_edn_doc_bytes %zu (%.1f per input byte)\n", doc_bytes, (double)doc_bytes / (double)edn.len);
    dt_buf_free(&edn);
    dt_buf_free(&js);
}

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[1], "gen")) {
        FILE *edn = fopen(argv[4], "w"), *json = fopen(argv[5], "w");
        if (!edn || !json) {
            perror("open");
            return 1;
        }
        size_t n = (size_t)atol(argv[3]);
        if (!strcmp(argv[2], "people"))
            gen_people(n, edn, json);
        else
            gen_mixed(n, edn, json);
        fclose(edn);
        fclose(json);
        return 0;
    }
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "parse")) {
        parse(argv[2], argv[3], argc == 5 ? atoi(argv[4]) : 5);
        return 0;
    }
    fprintf(stderr, "usage: bench_edn gen people|mixed N OUT.edn OUT.json\n"
                    "       bench_edn parse IN.edn IN.json [REPEAT]\n");
    return 2;
}
