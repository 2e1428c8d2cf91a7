/*
 * gen_csv.c: the input of the codec benchmark (bench/codec/run): a CSV of N
 * rows (default 10 million, about 1 GiB) with ints, doubles, dates,
 * timestamps, a bool, low- and high-cardinality strings, a free-text column
 * that sometimes needs quotes, and about 5% missing values in most columns.
 * Deterministic (a fixed xorshift seed): usage: bench_gen_csv OUT.csv [ROWS]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "../bench.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void) { return bench_xorshift(&rng); }

static unsigned below(unsigned n) { return (unsigned)((next() >> 11) % n); }
static int missing(void) { return below(100) < 5; }

int main(int argc, char **argv)
{
    static const char *const cats[] = {"books", "music", "garden", "toys", "food", "tools",
                                       "sports", "health", "beauty", "auto", "baby", "office",
                                       "pets", "shoes", "games", "outdoor", "kitchen", "travel",
                                       "movies", "phones"};
    static const char *const words[] = {"fast", "blue", "order", "late", "gift", "return", "ok",
                                        "box", "damaged", "great", "again", "size"};
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT.csv [ROWS]\n", argv[0]);
        return 2;
    }
    long long rows = argc > 2 ? atoll(argv[2]) : 10000000;
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    fputs("id,qty,price,score,day,ts,category,user,note,flag\n", f);
    for (long long i = 0; i < rows; i++) {
        fprintf(f, "%lld,", i + 1);
        if (!missing())
            fprintf(f, "%u", below(1000));
        fputc(',', f);
        if (!missing())
            fprintf(f, "%u.%02u", below(100000), below(100));
        fputc(',', f);
        if (!missing())
            fprintf(f, "0.%06u", below(1000000));
        fputc(',', f);
        if (!missing())
            fprintf(f, "%04u-%02u-%02u", 2000 + below(30), 1 + below(12), 1 + below(28));
        fputc(',', f);
        if (!missing())
            fprintf(f, "2024-%02u-%02uT%02u:%02u:%02u.%06uZ", 1 + below(12), 1 + below(28),
                    below(24), below(60), below(60), below(1000000));
        fputc(',', f);
        if (!missing())
            fputs(cats[below(20)], f);
        fputc(',', f);
        fprintf(f, "user_%07u,", below(5000000));
        if (!missing()) {
            unsigned k = below(100);
            if (k < 3)
                fprintf(f, "\"%s, %s\"", words[below(12)], words[below(12)]);
            else if (k < 4)
                fprintf(f, "\"said \"\"%s\"\"\"", words[below(12)]);
            else
                fprintf(f, "%s %s", words[below(12)], words[below(12)]);
        }
        fputc(',', f);
        if (!missing())
            fputs(below(2) ? "true" : "false", f);
        fputc('\n', f);
    }
    if (fclose(f)) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
