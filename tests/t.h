/*
 * t.h: the test harness. A test file defines functions and lists them in main
 * with T_RUN; assertions report file:line and the values involved, and a
 * failed assertion ends that test (not the file). The closing line is
 * "N passed, N failed" and the exit status is non-zero on any failure.
 *
 *     static void test_roundtrip(void) { T_EQ_INT(f(2), 4); }
 *     int main(void) { T_RUN(test_roundtrip); return t_done(); }
 */
#ifndef T_H
#define T_H

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datom.h"

static int t_passed, t_failed;
static jmp_buf t_jump;

#define T_FAIL(...)                                                                                \
    do {                                                                                           \
        fprintf(stderr, "  FAIL %s:%d: ", __FILE__, __LINE__);                                     \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, "\n");                                                                     \
        longjmp(t_jump, 1);                                                                        \
    } while (0)

#define T_ASSERT(cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            T_FAIL("%s", #cond);                                                                   \
    } while (0)

#define T_EQ_INT(a, b)                                                                             \
    do {                                                                                           \
        long long t_a = (long long)(a), t_b = (long long)(b);                                      \
        if (t_a != t_b)                                                                            \
            T_FAIL("%s == %s: %lld != %lld", #a, #b, t_a, t_b);                                    \
    } while (0)

#define T_EQ_STR(a, b)                                                                             \
    do {                                                                                           \
        const char *t_a = (a), *t_b = (b);                                                         \
        if (!t_a || !t_b || strcmp(t_a, t_b))                                                      \
            T_FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b, t_a ? t_a : "(null)",                     \
                   t_b ? t_b : "(null)");                                                          \
    } while (0)

/* Asserts a call returns 0, printing datom_errmsg() if not. */
#define T_OK(call)                                                                                 \
    do {                                                                                           \
        int t_rc = (call);                                                                         \
        if (t_rc != 0)                                                                             \
            T_FAIL("%s returned %d: %s", #call, t_rc, datom_errmsg());                             \
    } while (0)

/* Asserts a call fails with CODE and its message contains TEXT (may be ""). */
#define T_ERR(call, code, text)                                                                    \
    do {                                                                                           \
        int t_rc = (call);                                                                         \
        if (t_rc != (code))                                                                        \
            T_FAIL("%s returned %d, expected %d (%s)", #call, t_rc, (code), datom_errmsg());       \
        if (!strstr(datom_errmsg(), (text)))                                                       \
            T_FAIL("%s: message \"%s\" lacks \"%s\"", #call, datom_errmsg(), (text));              \
    } while (0)

#define T_RUN(fn)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "- %s\n", #fn);                                                            \
        if (setjmp(t_jump) == 0) {                                                                 \
            fn();                                                                                  \
            t_passed++;                                                                            \
        } else {                                                                                   \
            t_failed++;                                                                            \
        }                                                                                          \
    } while (0)

static inline int t_done(void)
{
    printf("%d passed, %d failed\n", t_passed, t_failed);
    return t_failed ? 1 : 0;
}

/* A fresh empty directory for this test under $TEST_TMP (or /tmp); the caller frees it. */
static inline char *t_tmpdir(const char *name)
{
    const char *base = getenv("TEST_TMP");
    if (!base)
        base = "/tmp";
    mkdir(base, 0755);
    size_t n = strlen(base) + strlen(name) + 32;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s.%d", base, name, (int)getpid());
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0)
        abort();
    mkdir(p, 0755);
    return p;
}

#endif /* T_H */
