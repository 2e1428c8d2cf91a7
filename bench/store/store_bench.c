/*
 * store_bench.c: timed store operations for bench/store/run, which sets them
 * beside cp, cat and sha256sum of the same files.
 *
 *   bench_store_bench gen-small DIR N        N small files (64 B to 8 KiB) in DIR
 *   bench_store_bench gen-big FILE MIB       one file of MIB MiB (incompressible)
 *   bench_store_bench put-many URL DIR       content-addressed put of every file in DIR
 *   bench_store_bench get-many URL OUTDIR    verified get of every object to OUTDIR
 *   bench_store_bench put-one URL FILE       content-addressed put of FILE
 *   bench_store_bench get-one URL SHA OUT    verified get of SHA to OUT
 *
 * Each timed mode prints one line: "MODE seconds=S objects=N maxrss_kb=K".
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/core.h"
#include "../bench.h"

static void die(const char *what)
{
    fprintf(stderr, "store_bench: %s: %s\n", what, datom_errmsg());
    exit(1);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void) { return bench_xorshift(&rng_state); }

static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = rng();
        memcpy(p + i, &r, DT_MIN((size_t)8, n - i));
    }
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "store_bench: cannot write %s\n", path);
        exit(1);
    }
}

static void gen_small(const char *dir, long n)
{
    if (dt_fs_mkdirs(dir, 0755))
        die(dir);
    uint8_t buf[8192];
    for (long i = 0; i < n; i++) {
        size_t len = 64 + (size_t)(rng() % (sizeof buf - 64));
        fill(buf, len);
        char *path = dt_sprintf("%s/f%06ld", dir, i);
        write_file(path, buf, len);
        free(path);
    }
}

static void gen_big(const char *path, long mib)
{
    FILE *f = fopen(path, "wb");
    uint8_t *buf = dt_malloc(1u << 20);
    for (long i = 0; f && i < mib; i++) {
        fill(buf, 1u << 20);
        if (fwrite(buf, 1, 1u << 20, f) != 1u << 20)
            break;
    }
    free(buf);
    if (!f || fclose(f) != 0) {
        fprintf(stderr, "store_bench: cannot write %s\n", path);
        exit(1);
    }
}

static void report(const char *mode, int64_t t0, long objects)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s seconds=%.3f objects=%ld maxrss_kb=%ld\n", mode,
           (double)(dt_monotonic_ns() - t0) / 1e9, objects, ru.ru_maxrss);
}

static void put_many(datom_store *st, const char *dir)
{
    dt_strv names = DT_STRV_INIT;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "store_bench: cannot open %s\n", dir);
        exit(1);
    }
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            dt_strv_push(&names, e->d_name);
    closedir(d);
    dt_strv_sort(&names);
    int64_t t0 = dt_monotonic_ns();
    for (size_t i = 0; i < names.n; i++) {
        char *path = dt_path_join(dir, names.v[i]);
        char sha[DATOM_SHA_HEX];
        if (datom_store_put_file_ca(st, "", path, sha))
            die(path);
        free(path);
    }
    report("put-many", t0, (long)names.n);
    dt_strv_free(&names);
}

static void get_many(datom_store *st, const char *outdir)
{
    if (dt_fs_mkdirs(outdir, 0755))
        die(outdir);
    int64_t t0 = dt_monotonic_ns();
    long n = 0;
    char *after = NULL;
    for (int more = 1; more;) {
        char **keys;
        size_t k;
        if (datom_store_list(st, "", after, 1000, &keys, &k, &more))
            die("list");
        for (size_t i = 0; i < k; i++) {
            char *out = dt_path_join(outdir, keys[i]);
            if (datom_store_get_file_ca(st, "", keys[i], out))
                die(keys[i]);
            free(out);
            n++;
        }
        free(after);
        after = k ? dt_strdup(keys[k - 1]) : NULL;
        datom_strings_free(keys, k);
    }
    free(after);
    report("get-many", t0, n);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "gen-small")) {
        gen_small(argv[2], atol(argv[3]));
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "gen-big")) {
        gen_big(argv[2], atol(argv[3]));
        return 0;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: see the comment at the top of bench/store/store_bench.c\n");
        return 2;
    }
    datom_store *st;
    if (datom_store_open(&st, argv[2]))
        die(argv[2]);
    const char *mode = argv[1];
    if (!strcmp(mode, "put-many")) {
        put_many(st, argv[3]);
    } else if (!strcmp(mode, "get-many")) {
        get_many(st, argv[3]);
    } else if (!strcmp(mode, "put-one")) {
        int64_t t0 = dt_monotonic_ns();
        char sha[DATOM_SHA_HEX];
        if (datom_store_put_file_ca(st, "", argv[3], sha))
            die(argv[3]);
        report("put-one", t0, 1);
    } else if (!strcmp(mode, "get-one") && argc == 5) {
        int64_t t0 = dt_monotonic_ns();
        if (datom_store_get_file_ca(st, "", argv[3], argv[4]))
            die(argv[3]);
        report("get-one", t0, 1);
    } else {
        fprintf(stderr, "store_bench: unknown mode %s\n", mode);
        return 2;
    }
    datom_store_free(st);
    return 0;
}
