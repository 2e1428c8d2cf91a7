/*
 * test_store_file.c: what is particular to the filesystem backend, below the
 * API the conformance suite uses: the on-disk layout (objects at ROOT/<key>,
 * as the R package's local store has them), leftovers of killed writers,
 * pruning of old ref versions, and opening odd paths.
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "core/core.h"
#include "t.h"

static char *scratch;

static void put_file(const char *path, const char *text);

static char *path_of(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_layout(void)
{
    char *root = path_of(scratch, "layout");
    datom_store *st;
    T_OK(datom_store_open(&st, root));
    const char *key = "datom/customers/9e445c303ccc22f4069fb431199ea8d8f497ddf4c6eab52f15c1eacc797b047c.parquet";
    T_OK(datom_store_put(st, key, "PAR1", 4));
    char *p = path_of(root, key);
    struct stat sb;
    T_ASSERT(stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 4);
    free(p);
    /* A file put there by someone else (the R package) is an object. */
    p = path_of(root, "datom/orders");
    T_ASSERT(mkdir(p, 0755) == 0);
    free(p);
    p = path_of(root, "datom/orders/x.json");
    FILE *f = fopen(p, "w");
    T_ASSERT(f && fputs("{}", f) >= 0 && fclose(f) == 0);
    free(p);
    char **keys;
    size_t n;
    int more;
    T_OK(datom_store_list(st, "datom/", NULL, 0, &keys, &n, &more));
    T_EQ_INT(n, 2);
    T_EQ_STR(keys[0], key);
    T_EQ_STR(keys[1], "datom/orders/x.json");
    datom_strings_free(keys, n);
    /* Deleting the last object under a directory removes the emptied directories. */
    T_OK(datom_store_del(st, "datom/orders/x.json"));
    p = path_of(root, "datom/orders");
    T_ASSERT(access(p, F_OK) != 0);
    free(p);
    /* A key and a prefix cannot share a name here. */
    T_ERR(datom_store_put(st, "datom", "x", 1), DATOM_EEXISTS, "prefix");
    T_ERR(datom_store_put(st, "datom/customers/9e445c303ccc22f4069fb431199ea8d8f497ddf4c6eab52f15c1eacc797b047c.parquet/x", "x", 1),
          DATOM_EEXISTS, "parent");
    char seg[300];
    memset(seg, 's', sizeof seg - 1);
    seg[sizeof seg - 1] = '\0';
    T_ERR(datom_store_put(st, seg, "x", 1), DATOM_EINVAL, "255");
    T_ERR(datom_store_stat(st, seg, NULL), DATOM_ENOTFOUND, "");
    /* Temporary files are left in the internal directory only, never listed. */
    p = path_of(root, ".datom-internal/tmp");
    T_EQ_INT(count_files(p), 0);
    char *junk = path_of(p, "put.1.abcdef");
    f = fopen(junk, "w");
    T_ASSERT(f && fclose(f) == 0);
    T_OK(datom_store_list(st, "", NULL, 0, &keys, &n, &more));
    T_EQ_INT(n, 1);
    datom_strings_free(keys, n);
    /* ... and swept when a day old, by the next writer (opening and reading
     * change nothing). */
    struct timeval old[2] = {{time(NULL) - 2 * 86400, 0}, {time(NULL) - 2 * 86400, 0}};
    T_ASSERT(utimes(junk, old) == 0);
    datom_store *again;
    T_OK(datom_store_open(&again, root));
    T_OK(datom_store_stat(again, "after-nothing", NULL) == DATOM_ENOTFOUND ? 0 : -1);
    T_ASSERT(access(junk, F_OK) == 0);
    T_OK(datom_store_put(again, "swept", "x", 1));
    T_ASSERT(access(junk, F_OK) != 0);
    datom_store_free(again);
    free(junk);
    free(p);
    /* Someone removed the internals: a put makes them again. */
    p = path_of(root, ".datom-internal");
    T_OK(dt_fs_rmtree(p));
    free(p);
    T_OK(datom_store_put(st, "after", "x", 1));
    datom_store_free(st);
    free(root);
}

/* Sets the mtime of every version file of REF under ROOT to AGE seconds ago. */
static void age_versions(const char *root, const char *ref, int age)
{
    char *dir = dt_sprintf("%s/.datom-internal/refs/%s", root, ref);
    DIR *d = opendir(dir);
    T_ASSERT(d != NULL);
    struct timeval tv[2] = {{time(NULL) - age, 0}, {time(NULL) - age, 0}};
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char *p = path_of(dir, e->d_name);
        utimes(p, tv);
        free(p);
    }
    closedir(d);
    free(dir);
}

static void test_ref_pruning(void)
{
    char *root = path_of(scratch, "prune");
    datom_store *st;
    T_OK(datom_store_open(&st, root));
    char v[DATOM_REF_VERSION_MAX], first[DATOM_REF_VERSION_MAX];
    T_OK(datom_store_ref_cas(st, "roots/db", NULL, "0", 1, v));
    memcpy(first, v, sizeof v);
    for (int i = 1; i < 40; i++) {
        char val[16];
        int len = snprintf(val, sizeof val, "%d", i);
        T_OK(datom_store_ref_cas(st, "roots/db", v, val, (size_t)len, v));
    }
    char *dir = dt_sprintf("%s/.datom-internal/refs/roots%%2Fdb", root);
    T_EQ_INT(count_files(dir), 40); /* young versions are kept */
    age_versions(root, "roots%2Fdb", 60);
    for (int i = 40; i < 50; i++) {
        char val[16];
        int len = snprintf(val, sizeof val, "%d", i);
        T_OK(datom_store_ref_cas(st, "roots/db", v, val, (size_t)len, v));
    }
    /* Pruned at version 48 (every 16th): versions 1 to 16, 32 or more below it and old. */
    T_EQ_INT(count_files(dir), 50 - 16); /* versions 1..50 were made */
    void *data;
    size_t len;
    char cur[DATOM_REF_VERSION_MAX];
    T_OK(datom_store_ref_get(st, "roots/db", &data, &len, cur));
    T_ASSERT(len == 2 && !memcmp(data, "49", 2));
    free(data);
    T_EQ_STR(cur, v);
    /* A writer far behind, from a pruned version, loses. */
    T_ERR(datom_store_ref_cas(st, "roots/db", first, "stale", 5, NULL), DATOM_ECONFLICT, "");
    T_ERR(datom_store_ref_del(st, "roots/db", first), DATOM_ECONFLICT, "");
    T_OK(datom_store_ref_get(st, "roots/db", &data, &len, cur));
    T_ASSERT(len == 2 && !memcmp(data, "49", 2));
    free(data);
    /* A damaged version file is reported, not taken for a value. */
    char *vf = dt_sprintf("%s/%020d", dir, atoi(v) + 1);
    FILE *f = fopen(vf, "w");
    T_ASSERT(f && fputs("?garbage", f) >= 0 && fclose(f) == 0);
    T_ERR(datom_store_ref_get(st, "roots/db", &data, &len, cur), DATOM_ECORRUPT, "damaged");
    free(vf);
    free(dir);
    datom_store_free(st);
    free(root);
}

/* Opening without DATOM_STORE_CREATE finds a store or fails; a read-only
 * open and its reads make nothing, not even the store's internals, and every
 * change through it is refused. */
static void test_open_flags(void)
{
    datom_store *st;
    char *root = path_of(scratch, "flags");
    T_ERR(datom_store_open_ext(&st, root, 0), DATOM_ENOTFOUND, root);
    T_ERR(datom_store_open_ext(&st, root, DATOM_STORE_READONLY), DATOM_ENOTFOUND, root);
    T_ERR(datom_store_open_ext(&st, root, DATOM_STORE_READONLY | DATOM_STORE_CREATE),
          DATOM_ENOTFOUND, root);
    T_ASSERT(access(root, F_OK) != 0);
    T_ERR(datom_store_open_ext(&st, "mem:nobody-made-it", 0), DATOM_ENOTFOUND, "mem:nobody");
    T_ERR(datom_store_open_ext(&st, root, 1u << 7), DATOM_EINVAL, "flags");
    /* a store holding only datom/, as the R package makes it */
    char *sub = path_of(root, "datom");
    T_OK(dt_fs_mkdirs(sub, 0755));
    char *obj = path_of(sub, "x.json");
    put_file(obj, "{}");
    T_OK(datom_store_open_ext(&st, root, DATOM_STORE_READONLY));
    void *data;
    size_t len;
    T_OK(datom_store_get(st, "datom/x.json", 0, UINT64_MAX, &data, &len));
    free(data);
    char **keys;
    size_t n;
    int more;
    T_OK(datom_store_list(st, "", NULL, 0, &keys, &n, &more));
    T_EQ_INT(n, 1);
    datom_strings_free(keys, n);
    T_ERR(datom_store_ref_get(st, "r", &data, &len, NULL), DATOM_ENOTFOUND, "no such ref");
    T_ERR(datom_store_put(st, "datom/y", "y", 1), DATOM_EINVAL, "read-only");
    T_ERR(datom_store_del(st, "datom/x.json"), DATOM_EINVAL, "read-only");
    T_ERR(datom_store_ref_cas(st, "r", NULL, "v", 1, NULL), DATOM_EINVAL, "read-only");
    T_ERR(datom_store_ref_del(st, "r", "1"), DATOM_EINVAL, "read-only");
    datom_store_free(st);
    T_EQ_INT(count_files(root), 1); /* datom/ alone: no .datom-internal */
    char *internal = path_of(root, ".datom-internal");
    T_ASSERT(access(internal, F_OK) != 0);
    /* a writable open makes its internals at the first write only */
    T_OK(datom_store_open_ext(&st, root, 0));
    T_OK(datom_store_get(st, "datom/x.json", 0, UINT64_MAX, &data, &len));
    free(data);
    T_ASSERT(access(internal, F_OK) != 0);
    T_OK(datom_store_put(st, "datom/y", "y", 1));
    T_ASSERT(access(internal, F_OK) == 0);
    datom_store_free(st);
    free(internal);
    free(obj);
    free(sub);
    free(root);
}

static void test_open(void)
{
    datom_store *st;
    char *file = path_of(scratch, "plainfile");
    FILE *f = fopen(file, "w");
    T_ASSERT(f && fclose(f) == 0);
    T_ERR(datom_store_open(&st, file), DATOM_EINVAL, "not a directory");
    T_ASSERT(st == NULL);
    free(file);
    T_ERR(datom_store_open(&st, "file://relative/path"), DATOM_EINVAL, "file:///path");
    /* s3:// URLs are checked before any request: credentials in one are
     * refused without being shown. */
    T_ERR(datom_store_open(&st, "s3://"), DATOM_EINVAL, "bucket");
    T_ERR(datom_store_open(&st, "s3://AKID:s3cr3t@bucket/x"), DATOM_EINVAL, "credentials");
    T_ASSERT(strstr(datom_errmsg(), "s3cr3t") == NULL);
    T_ERR(datom_store_open(&st, "s3://b?endpoint=http://AKID:s3cr3t@h:1"), DATOM_EINVAL, "credentials");
    T_ASSERT(strstr(datom_errmsg(), "s3cr3t") == NULL);
    T_ERR(datom_store_open(&st, "s3://b?bogus=1"), DATOM_EINVAL, "bogus");
    T_ERR(datom_store_open(&st, "s3://b?endpoint=ftp://h"), DATOM_EINVAL, "http");
    T_ERR(datom_store_open(&st, "s3://b?retries=x"), DATOM_EINVAL, "retries");
    T_ERR(datom_store_open(&st, "s3://b/../x?endpoint=http://h:1"), DATOM_EINVAL, "..");
    T_ERR(datom_store_open(&st, "s3:/b"), DATOM_EUNSUPPORTED, "scheme");
    T_ERR(datom_store_open(&st, "gopher://x"), DATOM_EUNSUPPORTED, "scheme");
    T_ERR(datom_store_open(&st, ""), DATOM_EINVAL, "empty");
    /* Trailing slashes and file:/// name the same store. */
    char *root = path_of(scratch, "same");
    char *url = dt_sprintf("file://%s/", root);
    datom_store *a, *b;
    T_OK(datom_store_open(&a, root));
    T_OK(datom_store_open(&b, url));
    T_OK(datom_store_put(a, "k", "v", 1));
    T_OK(datom_store_stat(b, "k", NULL));
    datom_store_free(a);
    datom_store_free(b);
    free(url);
    free(root);
}

/* Writes TEXT to PATH (test setup outside the store). */
static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    T_ASSERT(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

static bool has_text(const char *path, const char *text)
{
    dt_buf b = DT_BUF_INIT;
    bool ok = dt_fs_read_all(path, &b, 1 << 20) == 0 && !strcmp(dt_buf_cstr(&b), text);
    dt_buf_free(&b);
    datom_errclear();
    return ok;
}

/* A link inside the store, to a directory or a file outside it, is never
 * followed: no get, stat, put, rm or listing reaches outside the root. */
static void test_symlinks_stay_inside(void)
{
    char *root = path_of(scratch, "links");
    char *out = path_of(scratch, "outside");
    T_ASSERT(mkdir(out, 0755) == 0);
    char *secret = path_of(out, "secret.txt");
    put_file(secret, "outside");
    datom_store *st;
    T_OK(datom_store_open(&st, root));
    T_OK(datom_store_put(st, "datom/t/real.txt", "inside", 6));
    char *dlink = path_of(root, "datom/out"), *flink = path_of(root, "datom/t/leak.txt");
    T_ASSERT(symlink(out, dlink) == 0 && symlink(secret, flink) == 0);
    void *data = NULL;
    size_t len;
    T_ERR(datom_store_get(st, "datom/out/secret.txt", 0, UINT64_MAX, &data, &len), DATOM_ENOTFOUND,
          "link");
    T_ERR(datom_store_get(st, "datom/t/leak.txt", 0, UINT64_MAX, &data, &len), DATOM_ENOTFOUND,
          "link");
    T_ERR(datom_store_stat(st, "datom/out/secret.txt", NULL), DATOM_ENOTFOUND, "");
    T_ERR(datom_store_stat(st, "datom/t/leak.txt", NULL), DATOM_ENOTFOUND, "");
    char *got = path_of(scratch, "got.txt");
    T_ERR(datom_store_get_file(st, "datom/t/leak.txt", got), DATOM_ENOTFOUND, "");
    T_ASSERT(access(got, F_OK) != 0);
    /* Writes and deletes through the directory link are refused. */
    T_ERR(datom_store_put(st, "datom/out/new.txt", "x", 1), DATOM_EINVAL, "symbolic link");
    char *made = path_of(out, "new.txt");
    T_ASSERT(access(made, F_OK) != 0);
    T_ERR(datom_store_del(st, "datom/out/secret.txt"), DATOM_ENOTFOUND, "");
    T_ERR(datom_store_del(st, "datom/t/leak.txt"), DATOM_ENOTFOUND, "");
    T_ASSERT(has_text(secret, "outside"));
    /* Listing shows neither link. */
    char **keys;
    size_t n;
    int more;
    T_OK(datom_store_list(st, "", NULL, 0, &keys, &n, &more));
    T_EQ_INT(n, 1);
    T_EQ_STR(keys[0], "datom/t/real.txt");
    datom_strings_free(keys, n);
    /* A put under the link's own key replaces the link, not its target. */
    T_OK(datom_store_put(st, "datom/t/leak.txt", "object", 6));
    T_ASSERT(has_text(secret, "outside"));
    T_OK(datom_store_get(st, "datom/t/leak.txt", 0, UINT64_MAX, &data, &len));
    T_ASSERT(len == 6 && !memcmp(data, "object", 6));
    free(data);
    /* The internal directory as a link: puts and refs refuse to write through it. */
    char *internal = path_of(root, ".datom-internal");
    T_OK(dt_fs_rmtree(internal));
    T_ASSERT(symlink(out, internal) == 0);
    T_ERR(datom_store_put(st, "datom/t/more.txt", "x", 1), DATOM_EINVAL, "symbolic link");
    T_ERR(datom_store_ref_cas(st, "r", NULL, "v", 1, NULL), DATOM_EINVAL, "symbolic link");
    T_EQ_INT(count_files(out), 1);
    datom_store_free(st);
    free(internal);
    free(made);
    free(got);
    free(dlink);
    free(flink);
    free(secret);
    free(out);
    free(root);
}

/* A directory of the store swapped for a link to the outside while gets,
 * puts and deletes run through it: none of them ever reaches the outside. */
typedef struct swapper {
    const char *dir, *aside, *target;
    volatile int stop;
} swapper;

static void *swap_loop(void *arg)
{
    swapper *s = arg;
    while (!s->stop) {
        sched_yield(); /* let the operations in between swaps */
        if (rename(s->dir, s->aside) == 0) {
            if (symlink(s->target, s->dir) == 0)
                unlink(s->dir);
            rename(s->aside, s->dir);
        }
    }
    return NULL;
}

static void test_symlink_race(void)
{
    char *root = path_of(scratch, "linkrace");
    char *out = path_of(scratch, "outside-race");
    T_ASSERT(mkdir(out, 0755) == 0);
    char *bait = path_of(out, "f");
    put_file(bait, "outside");
    datom_store *st;
    T_OK(datom_store_open(&st, root));
    T_OK(datom_store_put(st, "d/keep", "k", 1));
    char *dir = path_of(root, "d"), *aside = path_of(root, "d.aside");
    swapper s = {dir, aside, out, 0};
    pthread_t th;
    T_ASSERT(pthread_create(&th, NULL, swap_loop, &s) == 0);
    int leaks = 0;
    for (int i = 0; i < 1500; i++) {
        void *data = NULL;
        size_t len = 0;
        if (datom_store_get(st, "d/f", 0, UINT64_MAX, &data, &len) == 0 && len == 7 &&
            !memcmp(data, "outside", 7))
            leaks++;
        free(data);
        datom_store_put(st, "d/new", "x", 1);
        datom_store_del(st, "d/f");
        datom_store_del(st, "d/new");
    }
    s.stop = 1;
    pthread_join(th, NULL);
    datom_errclear();
    T_EQ_INT(leaks, 0);
    T_ASSERT(has_text(bait, "outside"));
    T_EQ_INT(count_files(out), 1);
    datom_store_free(st);
    free(dir);
    free(aside);
    free(bait);
    free(out);
    free(root);
}

int main(void)
{
    scratch = t_tmpdir("store_file");
    T_RUN(test_layout);
    T_RUN(test_ref_pruning);
    T_RUN(test_open);
    T_RUN(test_open_flags);
    T_RUN(test_symlinks_stay_inside);
    T_RUN(test_symlink_race);
    if (t_failed == 0)
        dt_fs_rmtree(scratch);
    free(scratch);
    return t_done();
}
