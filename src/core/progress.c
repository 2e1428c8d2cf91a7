/*
 * progress.c: a one-line progress indicator for long work.
 *
 * Drawn on stderr only when stderr is a terminal, at most ten times a second,
 * so scripts and logs never see it and the hot loop pays almost nothing.
 */
#include <stdlib.h>
#include <unistd.h>

#include "core.h"

struct dt_progress {
    const char *label;
    uint64_t total;
    int64_t last_draw_ns;
    int drawn;
};

bool dt_progress_wanted(void) { return dt_log_level != DT_LOG_QUIET && isatty(STDERR_FILENO); }

dt_progress *dt_progress_start(const char *label, uint64_t total)
{
    if (!dt_progress_wanted())
        return NULL;
    dt_progress *p = dt_calloc(1, sizeof *p);
    p->label = label;
    p->total = total;
    return p;
}

static void human(uint64_t n, char *out, size_t cap)
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1024 && u + 1 < DT_ARRAY_LEN(unit)) {
        v /= 1024;
        u++;
    }
    snprintf(out, cap, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void dt_progress_update(dt_progress *p, uint64_t done)
{
    if (!p)
        return;
    int64_t now = dt_monotonic_ns();
    if (p->drawn && now - p->last_draw_ns < 100000000)
        return;
    p->last_draw_ns = now;
    p->drawn = 1;
    char a[32], b[32];
    human(done, a, sizeof a);
    if (p->total) {
        human(p->total, b, sizeof b);
        fprintf(stderr, "\r%s: %s / %s (%3.0f%%)\033[K", p->label, a, b,
                100.0 * (double)done / (double)p->total);
    } else {
        fprintf(stderr, "\r%s: %s\033[K", p->label, a);
    }
}

void dt_progress_end(dt_progress *p)
{
    if (!p)
        return;
    if (p->drawn)
        fputs("\r\033[K", stderr);
    free(p);
}
