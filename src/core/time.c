/* time.c: clocks and the UTC spellings used in metadata. */
#include <time.h>

#include "core.h"

int64_t dt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dt_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct tm utc_tm(int64_t ms)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    return tm;
}

void dt_utc_iso(int64_t ms, char out[32])
{
    struct tm tm = utc_tm(ms);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void dt_utc_date(int64_t ms, char out[16])
{
    struct tm tm = utc_tm(ms);
    strftime(out, 16, "%Y-%m-%d", &tm);
}
