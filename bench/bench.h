/*
 * bench.h: what the benchmark programs share (each is one .c file under
 * bench/<name>/, so this is header-only): a deterministic pseudo-random
 * generator, CPU time, the output file, and, for programs that include the
 * Parquet header first, the codec argument.
 */
#ifndef DT_BENCH_H
#define DT_BENCH_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* xorshift64: the same inputs on every run, so runs compare. */
static inline uint64_t bench_xorshift(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* CPU seconds of this process: the machine may be shared, wall time is noisy. */
static inline double bench_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Opens PATH for writing (made or truncated); exits with a message on failure. */
static inline int bench_open_out(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    return fd;
}

#ifdef DT_PARQUET_H
/* Parquet options with the codec named by ARG (NULL: the default); exits 2
 * with the library's message on a bad name. */
static inline dt_pq_options bench_pq_options(const char *arg)
{
    dt_pq_options o;
    dt_pq_options_default(&o);
    if (arg && dt_pq_codec_parse(arg, &o.codec)) {
        fprintf(stderr, "%s\n", datom_errmsg());
        exit(2);
    }
    return o;
}
#endif

#endif /* DT_BENCH_H */
