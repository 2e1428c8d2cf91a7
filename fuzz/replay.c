/*
 * replay.c: a main() for a libFuzzer target without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on every file named, or in a directory named
 * (in name order), and exits 0 if none crashed. Each fuzz/fuzz_*.c is linked
 * with it in the test build (fuzz/CMakeLists.txt) and replays its regression
 * corpus, fuzz/corpus/<target>/, as the ctest test fuzz_replay_<target>: with
 * whatever compiler, build type and sanitizers that build has, where the
 * libFuzzer build (scripts/fuzz) has only clang's. A directory that holds no
 * input is an error: every target keeps a seed corpus.
 *
 * When an input fails (abort, a signal, or a sanitizer's report), the file is
 * named on stderr, so the ctest log says which one.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* Present when a sanitizer's runtime is linked in: called before it exits. */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static const char *current; /* the input being run */

static void name_current(void)
{
    if (current) {
        static const char what[] = "\nreplay: failed on ";
        (void)!write(2, what, sizeof what - 1);
        (void)!write(2, current, strlen(current));
        (void)!write(2, "\n", 1);
    }
}

static void on_signal(int sig)
{
    name_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void run_file(const char *path)
{
    dt_buf b = DT_BUF_INIT;
    if (dt_fs_read_all(path, &b, (size_t)1 << 30) != 0) {
        fprintf(stderr, "replay: %s\n", datom_errmsg());
        exit(2);
    }
    current = path;
    /* an exact-size copy, so that ASan sees a read one byte past the input */
    uint8_t *p = malloc(b.len ? b.len : 1);
    if (!p)
        abort();
    if (b.len)
        memcpy(p, b.data, b.len);
    LLVMFuzzerTestOneInput(p, b.len);
    free(p);
    current = NULL;
    dt_buf_free(&b);
}

/* Runs every regular file of DIR, in name order; returns how many. */
static size_t run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        exit(2);
    }
    dt_strv names = DT_STRV_INIT;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            dt_strv_push_owned(&names, dt_sprintf("%s/%s", dir, e->d_name));
    closedir(d);
    dt_strv_sort(&names);
    size_t ran = 0;
    for (size_t i = 0; i < names.n; i++) {
        struct stat st;
        if (stat(names.v[i], &st) == 0 && S_ISREG(st.st_mode)) {
            run_file(names.v[i]);
            ran++;
        }
    }
    dt_strv_free(&names);
    return ran;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(name_current);
    signal(SIGABRT, on_signal);
    signal(SIGSEGV, on_signal);
    signal(SIGBUS, on_signal);
    signal(SIGFPE, on_signal);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 2;
        }
        if (!S_ISDIR(st.st_mode)) {
            run_file(argv[i]);
            continue;
        }
        size_t ran = run_dir(argv[i]);
        if (ran == 0) {
            fprintf(stderr, "replay: %s holds no input (every target keeps a seed corpus)\n",
                    argv[i]);
            return 1;
        }
        printf("%s: %zu inputs, no failure\n", argv[i], ran);
    }
    return 0;
}
