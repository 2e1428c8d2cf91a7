/*
 * test_store_conformance.c: one suite that every store backend passes unchanged.
 *
 * Each case takes a fresh store URL from the backend under test (mem:NAME, a
 * file store in a scratch directory, and when DATOM_TEST_STORE_URL is set,
 * stores under that URL: a directory on an NFS mount, or later s3://...) and uses only the public API, except where a
 * case needs to reach under the API (corrupting bytes on disk), which is
 * guarded by the backend's on-disk root.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "core/core.h"
#include "store/store.h"
#include "t.h"

typedef struct backend {
    const char *name;
    bool processes; /* refs race between processes (else between threads) */
    bool on_disk;   /* objects are files at ROOT/<key> */
    const char *base; /* else: fresh stores are BASE/<test>-<pid>-<n> (any URL) */
} backend;

static const backend *be;
static char *scratch;
static char url[4096];
static char root[4096];
static int serial;

/* A fresh, empty store of the current backend, in url (and root when on disk). */
static void fresh(const char *what)
{
    serial++;
    if (be->base) {
        /* BASE/<what>-<pid>-<n>, before BASE's query when it has one (s3://b/p?endpoint=...). */
        root[0] = '\0';
        const char *q = strchr(be->base, '?');
        int blen = q ? (int)(q - be->base) : (int)strlen(be->base);
        snprintf(url, sizeof url, "%.*s/%s-%d-%d%s", blen, be->base, what, (int)getpid(), serial,
                 q ? q : "");
    } else if (be->on_disk) {
        snprintf(root, sizeof root, "%s/%s-%d", scratch, what, serial);
        snprintf(url, sizeof url, serial % 2 ? "%s" : "file://%s", root);
    } else {
        root[0] = '\0';
        snprintf(url, sizeof url, "mem:conf-%s-%d", what, serial);
    }
}

static datom_store *open_fresh(const char *what)
{
    fresh(what);
    datom_store *st;
    if (datom_store_open(&st, url) != 0) {
        fprintf(stderr, "open %s: %s\n", url, datom_errmsg());
        abort();
    }
    return st;
}

static char *scratch_file(const char *name, const void *data, size_t len)
{
    size_t n = strlen(scratch) + strlen(name) + 32;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s.%d", scratch, name, serial);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        abort();
    return p;
}

static void get_eq(datom_store *st, const char *key, const char *want)
{
    void *data;
    size_t len;
    T_OK(datom_store_get(st, key, 0, UINT64_MAX, &data, &len));
    int same = len == strlen(want) && !memcmp(data, want, len);
    free(data);
    T_ASSERT(same);
}

/* ---- objects ---- */

static void test_put_get_stat_del(void)
{
    datom_store *st = open_fresh("basic");
    T_OK(datom_store_put(st, "a/b/c.txt", "hello", 5));
    get_eq(st, "a/b/c.txt", "hello");
    uint64_t size = 0;
    T_OK(datom_store_stat(st, "a/b/c.txt", &size));
    T_EQ_INT(size, 5);
    T_OK(datom_store_stat(st, "a/b/c.txt", NULL));
    T_ERR(datom_store_stat(st, "a/b", &size), DATOM_ENOTFOUND, "a/b");
    T_ERR(datom_store_stat(st, "nope", &size), DATOM_ENOTFOUND, "nope");
    void *data = (void *)1;
    size_t len = 1;
    T_ERR(datom_store_get(st, "nope", 0, UINT64_MAX, &data, &len), DATOM_ENOTFOUND, "no such object");
    T_ASSERT(data == NULL);
    /* Empty objects exist and read back empty. */
    T_OK(datom_store_put(st, "empty", "", 0));
    T_OK(datom_store_stat(st, "empty", &size));
    T_EQ_INT(size, 0);
    get_eq(st, "empty", "");
    /* An explicit key may be put again (the new bytes replace the old). */
    T_OK(datom_store_put(st, "a/b/c.txt", "world!", 6));
    get_eq(st, "a/b/c.txt", "world!");
    T_OK(datom_store_del(st, "a/b/c.txt"));
    T_ERR(datom_store_stat(st, "a/b/c.txt", &size), DATOM_ENOTFOUND, "");
    T_ERR(datom_store_del(st, "a/b/c.txt"), DATOM_ENOTFOUND, "a/b/c.txt");
    /* Deleting the last key under a prefix leaves the store able to reuse it. */
    T_OK(datom_store_put(st, "a/b/d", "x", 1));
    get_eq(st, "a/b/d", "x");
    /* Files round-trip, atomically. */
    char *src = scratch_file("src", "file bytes", 10);
    T_OK(datom_store_put_file(st, "f/one", src));
    char *dst = malloc(strlen(src) + 8);
    sprintf(dst, "%s.out", src);
    T_OK(datom_store_get_file(st, "f/one", dst));
    char buf[32] = {0};
    FILE *f = fopen(dst, "rb");
    T_ASSERT(f && fread(buf, 1, sizeof buf, f) == 10);
    fclose(f);
    T_EQ_STR(buf, "file bytes");
    T_ERR(datom_store_get_file(st, "f/none", dst), DATOM_ENOTFOUND, "f/none");
    T_ERR(datom_store_put_file(st, "f/two", "/nonexistent/file"), DATOM_ENOTFOUND, "/nonexistent/file");
    T_ERR(datom_store_stat(st, "f/two", NULL), DATOM_ENOTFOUND, "");
    free(src);
    free(dst);
    datom_store_free(st);
}

static void test_shared_by_url(void)
{
    datom_store *a = open_fresh("shared"), *b;
    T_OK(datom_store_open(&b, url));
    T_OK(datom_store_put(a, "k", "v", 1));
    get_eq(b, "k", "v");
    datom_store_free(a);
    datom_store_free(b);
}

/* Open flags, on every backend: a store that does not exist is not made
 * without DATOM_STORE_CREATE (DATOM_ENOTFOUND; on S3, where a fresh prefix of
 * a bucket is a store as soon as it is named, an empty one; its missing
 * bucket is tested in tests/test_s3_store.sh), and a read-only handle reads what a writer
 * put but changes nothing (puts, deletes and ref changes are refused). */
static void test_open_flags(void)
{
    datom_store *st, *ro;
    fresh("flags");
    int rc = datom_store_open_ext(&st, url, 0);
    if (rc == 0) { /* a fresh prefix of an S3 bucket: an empty store */
        char **keys;
        size_t n;
        int more;
        T_OK(datom_store_list(st, "", NULL, 0, &keys, &n, &more));
        T_EQ_INT(n, 0);
        datom_strings_free(keys, n);
        datom_store_free(st);
    } else {
        T_EQ_INT(rc, DATOM_ENOTFOUND);
        T_ERR(datom_store_open_ext(&st, url, DATOM_STORE_READONLY), DATOM_ENOTFOUND, "");
    }
    T_OK(datom_store_open_ext(&st, url, DATOM_STORE_CREATE));
    T_OK(datom_store_put(st, "k", "v", 1));
    char ver[DATOM_REF_VERSION_MAX];
    T_OK(datom_store_ref_cas(st, "r", NULL, "1", 1, ver));
    T_OK(datom_store_open_ext(&ro, url, DATOM_STORE_READONLY));
    get_eq(ro, "k", "v");
    void *data;
    size_t len;
    T_OK(datom_store_ref_get(ro, "r", &data, &len, NULL));
    free(data);
    T_ERR(datom_store_put(ro, "k2", "v", 1), DATOM_EINVAL, "read-only");
    T_ERR(datom_store_del(ro, "k"), DATOM_EINVAL, "read-only");
    T_ERR(datom_store_ref_cas(ro, "r", ver, "2", 1, NULL), DATOM_EINVAL, "read-only");
    T_ERR(datom_store_ref_del(ro, "r", ver), DATOM_EINVAL, "read-only");
    get_eq(st, "k", "v");
    datom_store_free(ro);
    datom_store_free(st);
}

static void test_ranges(void)
{
    datom_store *st = open_fresh("ranges");
    T_OK(datom_store_put(st, "r", "0123456789", 10));
    void *data;
    size_t len;
    T_OK(datom_store_get(st, "r", 2, 3, &data, &len));
    T_EQ_INT(len, 3);
    T_ASSERT(!memcmp(data, "234", 3));
    free(data);
    T_OK(datom_store_get(st, "r", 7, 100, &data, &len)); /* past the end: up to the end */
    T_EQ_INT(len, 3);
    T_ASSERT(!memcmp(data, "789", 3));
    free(data);
    T_OK(datom_store_get(st, "r", 10, UINT64_MAX, &data, &len)); /* at the end: empty */
    T_EQ_INT(len, 0);
    free(data);
    T_OK(datom_store_get(st, "r", 4, 0, &data, &len));
    T_EQ_INT(len, 0);
    free(data);
    T_ERR(datom_store_get(st, "r", 11, 1, &data, &len), DATOM_EINVAL, "past the end");
    datom_store_free(st);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lists PREFIX page by page and checks it equals WANT (sorted). */
/* How many keys start with PREFIX (one unbounded listing). */
static size_t list_count(datom_store *st, const char *prefix)
{
    char **keys;
    size_t n = 0;
    int more;
    T_OK(datom_store_list(st, prefix, NULL, 0, &keys, &n, &more));
    datom_strings_free(keys, n);
    return n;
}

static void list_all_eq(datom_store *st, const char *prefix, size_t page, char **want, size_t nwant)
{
    size_t got = 0;
    char last[1100] = "";
    for (int more = 1; more;) {
        char **keys;
        size_t n;
        T_OK(datom_store_list(st, prefix, got ? last : NULL, page, &keys, &n, &more));
        T_ASSERT(n <= page);
        T_ASSERT(more == 0 || n == page);
        for (size_t i = 0; i < n; i++) {
            if (got >= nwant || strcmp(keys[i], want[got])) {
                T_FAIL("list %s: key %zu is %s, expected %s", prefix, got, keys[i],
                       got < nwant ? want[got] : "(end)");
            }
            got++;
        }
        if (n)
            snprintf(last, sizeof last, "%s", keys[n - 1]);
        datom_strings_free(keys, n);
    }
    T_EQ_INT(got, nwant);
}

static void test_listing(void)
{
    datom_store *st = open_fresh("list");
    enum { N = 1500 };
    char **all = malloc(N * sizeof *all);
    for (int i = 0; i < N; i++) {
        all[i] = malloc(64);
        /* Nested, flat and tricky neighbours ('-' and '.' sort before '/'). */
        if (i % 10 == 0)
            snprintf(all[i], 64, "d-%05d", i);
        else if (i % 10 == 1)
            snprintf(all[i], 64, "d.%05d", i);
        else
            snprintf(all[i], 64, "d/%d/k%05d", i % 7, i);
        T_OK(datom_store_put(st, all[i], "x", 1));
    }
    qsort(all, N, sizeof *all, cmp_str);
    list_all_eq(st, "", 173, all, N);
    list_all_eq(st, "", 5000, all, N);
    /* Prefixes: a directory, a partial segment, a whole key, nothing. */
    const char *prefixes[] = {"d/3/", "d/3/k00", "d-", "d", "d/", "zzz", "d/3/k00003"};
    for (size_t p = 0; p < DT_ARRAY_LEN(prefixes); p++) {
        size_t n = 0;
        char **want = malloc(N * sizeof *want);
        for (int i = 0; i < N; i++)
            if (!strncmp(all[i], prefixes[p], strlen(prefixes[p])))
                want[n++] = all[i];
        list_all_eq(st, prefixes[p], 50, want, n);
        free(want);
    }
    /* start_after a key that does not exist, and limit 1. */
    char **keys;
    size_t n;
    int more;
    T_OK(datom_store_list(st, "d/", "d/3/k", 1, &keys, &n, &more));
    T_EQ_INT(n, 1);
    T_EQ_INT(more, 1);
    T_ASSERT(!strncmp(keys[0], "d/3/k", 5));
    datom_strings_free(keys, n);
    T_OK(datom_store_list(st, "", all[N - 1], 10, &keys, &n, &more));
    T_EQ_INT(n, 0);
    T_EQ_INT(more, 0);
    datom_strings_free(keys, n);
    for (int i = 0; i < N; i++)
        free(all[i]);
    free(all);
    datom_store_free(st);
}

/* ---- content addressing ---- */

static bool file_is(const char *path, const void *want, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char *buf = malloc(len + 1);
    size_t got = fread(buf, 1, len + 1, f);
    fclose(f);
    bool same = got == len && !memcmp(buf, want, len);
    free(buf);
    return same;
}

static void test_content_addressed(void)
{
    datom_store *st = open_fresh("ca");
    const char *text = "some table bytes\n";
    char *src = scratch_file("ca", text, strlen(text));
    char sha[DATOM_SHA_HEX], sha2[DATOM_SHA_HEX];
    T_OK(datom_store_put_file_ca(st, "datom/t1/", src, sha));
    /* sha256sum of "some table bytes\n" */
    T_EQ_STR(sha, "9e445c303ccc22f4069fb431199ea8d8f497ddf4c6eab52f15c1eacc797b047c");
    char key[200];
    snprintf(key, sizeof key, "datom/t1/%s", sha);
    uint64_t size;
    T_OK(datom_store_stat(st, key, &size));
    T_EQ_INT(size, strlen(text));
    T_OK(datom_store_put_file_ca(st, "datom/t1/", src, sha2)); /* again: a no-op */
    T_EQ_STR(sha2, sha);
    T_OK(datom_store_put_file_ca(st, "", src, sha2)); /* no prefix */
    T_OK(datom_store_stat(st, sha2, NULL));
    T_ERR(datom_store_put_file_ca(st, "datom/t1", src, sha2), DATOM_EINVAL, "end in '/'");
    T_ERR(datom_store_put_file_ca(st, "../", src, sha2), DATOM_EINVAL, "..");

    char dst[4200];
    snprintf(dst, sizeof dst, "%s.got", src);
    T_OK(datom_store_get_file_ca(st, "datom/t1/", sha, dst));
    T_ASSERT(file_is(dst, text, strlen(text)));
    unlink(dst);
    T_ERR(datom_store_get_file_ca(st, "datom/t1/", "abc", dst), DATOM_EINVAL, "not a SHA-256");
    T_ERR(datom_store_get_file_ca(st, "datom/t2/", sha, dst), DATOM_ENOTFOUND, "");
    T_ASSERT(access(dst, F_OK) != 0);

    /* Corrupt it (same size, other bytes): the read fails and writes nothing,
     * neither a new file nor over an old one. */
    T_OK(datom_store_put(st, key, "SOME TABLE BYTES\n", strlen(text)));
    T_ERR(datom_store_get_file_ca(st, "datom/t1/", sha, dst), DATOM_ECORRUPT, sha);
    T_ASSERT(access(dst, F_OK) != 0);
    FILE *old = fopen(dst, "wb");
    T_ASSERT(old && fputs("old", old) >= 0 && fclose(old) == 0);
    T_ERR(datom_store_get_file_ca(st, "datom/t1/", sha, dst), DATOM_ECORRUPT, sha);
    T_ASSERT(file_is(dst, "old", 3));
    T_ERR(datom_store_get_file(st, "datom/none", dst), DATOM_ENOTFOUND, "");
    T_ASSERT(file_is(dst, "old", 3));
    unlink(dst);
    /* A put of the right bytes under a damaged name of another size repairs it. */
    T_OK(datom_store_put(st, key, "short", 5));
    T_OK(datom_store_put_file_ca(st, "datom/t1/", src, sha2));
    T_OK(datom_store_get_file_ca(st, "datom/t1/", sha, dst));
    T_ASSERT(file_is(dst, text, strlen(text)));
    unlink(dst);

    if (be->on_disk) {
        /* Damage the file under the store's back: same result. */
        char path[8400];
        snprintf(path, sizeof path, "%s/%s", root, key);
        FILE *f = fopen(path, "r+b");
        T_ASSERT(f != NULL);
        fputc('X', f);
        fclose(f);
        T_ERR(datom_store_get_file_ca(st, "datom/t1/", sha, dst), DATOM_ECORRUPT, "corrupt");
        T_ASSERT(access(dst, F_OK) != 0);
    }
    free(src);
    datom_store_free(st);
}

static void ref_eq(datom_store *st, const char *name, const char *want, char *version);

/* The streaming interface the table layer writes Parquet through. */
static void test_streaming(void)
{
    datom_store *st = open_fresh("stream");
    dt_store_put *p;
    T_OK(dt_store_put_begin(st, &p));
    dt_sink sink = dt_store_put_sink(p);
    for (int i = 0; i < 1000; i++)
        T_OK(dt_sink_write(sink, "0123456789", 10));
    char sha[DATOM_SHA_HEX];
    T_OK(dt_store_put_finish_ca(p, "s/", sha));
    char key[100];
    snprintf(key, sizeof key, "s/%s", sha);
    uint64_t size;
    T_OK(datom_store_stat(st, key, &size));
    T_EQ_INT(size, 10000);
    dt_buf b = DT_BUF_INIT;
    T_OK(dt_store_get_ca(st, "s/", sha, dt_sink_buf(&b)));
    T_EQ_INT(b.len, 10000);
    T_ASSERT(!memcmp(b.data + 9990, "0123456789", 10));
    dt_buf_free(&b);
    T_OK(dt_store_get_sink(st, key, 9995, 100, dt_sink_buf(&b)));
    T_EQ_INT(b.len, 5);
    dt_buf_free(&b);
    /* Aborted or badly named: nothing becomes visible. */
    T_OK(dt_store_put_begin(st, &p));
    T_OK(dt_store_put_write(p, "half", 4));
    dt_store_put_abort(p);
    T_OK(dt_store_put_begin(st, &p));
    T_OK(dt_store_put_write(p, "x", 1));
    T_ERR(dt_store_put_finish(p, "bad//key"), DATOM_EINVAL, "bad//key");
    T_EQ_INT(list_count(st, ""), 1);
    /* A directory is not a file to put. */
    T_ERR(datom_store_put_file_ca(st, "", scratch, sha), DATOM_EINVAL, "directory");
    datom_store_free(st);
}

/* ---- hostile keys ---- */

static void test_hostile_keys(void)
{
    datom_store *st = open_fresh("hostile");
    char longkey[1100];
    memset(longkey, 'a', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    const struct {
        const char *key, *text;
    } bad[] = {
        {"", "empty"},
        {"..", "\"..\""},
        {"a/../b", "a/../b"},
        {"./a", "\".\""},
        {"/abs", "starts with '/'"},
        {"a//b", "empty segment"},
        {"a/", "empty segment"},
        {"a\nb", "a\\x0ab"},
        {"a\tb", "control"},
        {"a\x7f", "\\x7f"},
        {"a\\b", "backslash"},
        {longkey, "longer than 1024"},
        {".datom-internal/refs/x", "reserved"},
        {".datom-internal", "reserved"},
    };
    void *data;
    size_t len;
    uint64_t size;
    char *src = scratch_file("hostile", "x", 1);
    for (size_t i = 0; i < DT_ARRAY_LEN(bad); i++) {
        const char *k = bad[i].key;
        T_ERR(datom_store_put(st, k, "x", 1), DATOM_EINVAL, bad[i].text);
        T_ERR(datom_store_put_file(st, k, src), DATOM_EINVAL, bad[i].text);
        T_ERR(datom_store_get(st, k, 0, UINT64_MAX, &data, &len), DATOM_EINVAL, bad[i].text);
        T_ERR(datom_store_stat(st, k, &size), DATOM_EINVAL, bad[i].text);
        T_ERR(datom_store_del(st, k), DATOM_EINVAL, bad[i].text);
        T_ERR(datom_store_ref_cas(st, k, NULL, "v", 1, NULL), DATOM_EINVAL, bad[i].text);
        T_ERR(datom_store_ref_get(st, k, &data, &len, NULL), DATOM_EINVAL, bad[i].text);
    }
    /* Nothing leaked out of the store, nothing is listed. */
    char **keys;
    size_t n;
    int more;
    T_EQ_INT(list_count(st, ""), 0);
    /* Odd but valid keys are fine. */
    const char *odd[] = {"a b", "ünï/cødé", "a..b", ".hidden", "x/.datom-internal", "%2F"};
    for (size_t i = 0; i < DT_ARRAY_LEN(odd); i++) {
        T_OK(datom_store_put(st, odd[i], "ok", 2));
        get_eq(st, odd[i], "ok");
    }
    memset(longkey, 'b', 1024);
    longkey[1024] = '\0';
    for (int i = 200; i < 1024; i += 201)
        longkey[i] = '/'; /* segments under NAME_MAX */
    /* A store under a prefix (S3's, whose keys are at most 1024 bytes with
     * it) refuses what does not fit, saying so; a shorter one then fits. */
    char objkey[1100];
    memcpy(objkey, longkey, sizeof objkey);
    int rc = datom_store_put(st, objkey, "ok", 2);
    if (rc == DATOM_EINVAL && be->base && strstr(datom_errmsg(), "1024 bytes S3 allows")) {
        objkey[900] = '\0';
        rc = datom_store_put(st, objkey, "ok", 2);
    }
    T_OK(rc);
    get_eq(st, objkey, "ok");
    /* Long ref names too, and two that share a long head stay apart. */
    char v[DATOM_REF_VERSION_MAX];
    T_OK(datom_store_ref_cas(st, longkey, NULL, "long", 4, v));
    longkey[1023] = 'c';
    T_OK(datom_store_ref_cas(st, longkey, NULL, "other", 5, v));
    ref_eq(st, longkey, "other", v);
    longkey[1023] = 'b';
    ref_eq(st, longkey, "long", v);
    /* A prefix cannot climb out of the store. */
    const char *bad_prefixes[] = {"../", "a/../", "./", "/", "a//"};
    for (size_t i = 0; i < DT_ARRAY_LEN(bad_prefixes); i++)
        T_ERR(datom_store_list(st, bad_prefixes[i], NULL, 0, &keys, &n, &more), DATOM_EINVAL,
              "list prefix");
    /* The store's internals never show, even when asked for by prefix. */
    T_EQ_INT(list_count(st, ".datom-internal/"), 0);
    T_EQ_INT(list_count(st, ".datom"), 0);
    free(src);
    datom_store_free(st);
}

/* ---- refs ---- */

static void ref_eq(datom_store *st, const char *name, const char *want, char *version)
{
    void *v;
    size_t len;
    T_OK(datom_store_ref_get(st, name, &v, &len, version));
    int same = len == strlen(want) && !memcmp(v, want, len);
    free(v);
    T_ASSERT(same);
}

static void test_refs(void)
{
    datom_store *st = open_fresh("refs");
    char v1[DATOM_REF_VERSION_MAX], v2[DATOM_REF_VERSION_MAX], v3[DATOM_REF_VERSION_MAX];
    char cur[DATOM_REF_VERSION_MAX];
    void *data;
    size_t len;
    const char *name = "locks/tables/t%1";
    T_ERR(datom_store_ref_get(st, name, &data, &len, cur), DATOM_ENOTFOUND, name);
    T_ERR(datom_store_ref_del(st, name, "1"), DATOM_ENOTFOUND, "");
    T_OK(datom_store_ref_cas(st, name, NULL, "one", 3, v1)); /* create-only */
    T_ERR(datom_store_ref_cas(st, name, NULL, "two", 3, v2), DATOM_EEXISTS, name);
    ref_eq(st, name, "one", cur);
    T_EQ_STR(cur, v1);
    T_OK(datom_store_ref_cas(st, name, v1, "two", 3, v2)); /* CAS wins */
    T_ASSERT(strcmp(v1, v2) != 0);
    T_ERR(datom_store_ref_cas(st, name, v1, "three", 5, v3), DATOM_ECONFLICT, name); /* stale */
    T_ERR(datom_store_ref_cas(st, name, "999999", "three", 5, v3), DATOM_ECONFLICT, "");
    T_ERR(datom_store_ref_cas(st, name, "not-a-version", "x", 1, v3), DATOM_ECONFLICT, "");
    ref_eq(st, name, "two", cur);
    T_EQ_STR(cur, v2);
    /* Empty and binary values. */
    T_OK(datom_store_ref_cas(st, name, v2, "", 0, v3));
    ref_eq(st, name, "", cur);
    T_OK(datom_store_ref_cas(st, name, v3, "a\0b", 3, v2));
    T_OK(datom_store_ref_get(st, name, &data, &len, cur));
    T_EQ_INT(len, 3);
    T_ASSERT(!memcmp(data, "a\0b", 3));
    free(data);
    /* Delete: only from the current version. */
    T_ERR(datom_store_ref_del(st, name, v1), DATOM_ECONFLICT, "");
    T_OK(datom_store_ref_del(st, name, v2));
    T_ERR(datom_store_ref_get(st, name, &data, &len, cur), DATOM_ENOTFOUND, "");
    T_ERR(datom_store_ref_cas(st, name, v2, "x", 1, v3), DATOM_ECONFLICT, "");
    /* Created again: a version never seen before (no ABA). */
    T_OK(datom_store_ref_cas(st, name, NULL, "again", 5, v3));
    T_ASSERT(strcmp(v3, v1) && strcmp(v3, v2));
    ref_eq(st, name, "again", cur);
    /* Names are independent of each other and of objects. */
    T_OK(datom_store_ref_cas(st, "locks/tables", NULL, "parent", 6, v1));
    T_OK(datom_store_ref_cas(st, "locks/tables/t%1/x", NULL, "child", 5, v1));
    ref_eq(st, "locks/tables", "parent", cur);
    ref_eq(st, name, "again", cur);
    T_ERR(datom_store_stat(st, name, NULL), DATOM_ENOTFOUND, "");
    T_EQ_INT(list_count(st, ""), 0);
    datom_store_free(st);
}

/* ---- refs under concurrency ---- */

/* Thousands of rounds: 2,000 compare-and-swap increments and 1,000 create-only races.
 * A store behind a URL (an S3 gateway) gets half: there each round is a network round
 * trip of milliseconds between a racer's read and its write, so the 4 racers contend on
 * nearly every round (where a local store's window is microseconds wide), and the
 * gateway, on the same machine, is the bottleneck (~20,000 requests took 30 to 50 s). */
enum { RACERS = 4, COUNT_TO = 2000, CREATE_ROUNDS = 1000 };
static int count_to, n_rounds; /* of the backend under test: COUNT_TO, CREATE_ROUNDS or half */

/* Increments the counter ref until it reaches count_to; returns wins. */
static int count_up(datom_store *st)
{
    int wins = 0;
    for (;;) {
        void *v;
        size_t len;
        char ver[DATOM_REF_VERSION_MAX], nv[DATOM_REF_VERSION_MAX];
        if (datom_store_ref_get(st, "counter", &v, &len, ver) != 0)
            return -1;
        char num[32] = {0};
        memcpy(num, v, len < 31 ? len : 31);
        free(v);
        long n = atol(num);
        if (n >= count_to)
            return wins;
        char next[32];
        int nl = snprintf(next, sizeof next, "%ld", n + 1);
        int rc = datom_store_ref_cas(st, "counter", ver, next, (size_t)nl, nv);
        if (rc == 0)
            wins++;
        else if (rc != DATOM_ECONFLICT)
            return -1;
    }
}

/* Every racer tries to create round/R for each R; records the rounds it won. */
static int create_rounds(datom_store *st, unsigned char *won)
{
    for (int r = 0; r < n_rounds; r++) {
        char name[32];
        snprintf(name, sizeof name, "round/%d", r);
        int rc = datom_store_ref_cas(st, name, NULL, "mine", 4, NULL);
        if (rc == 0)
            won[r] = 1;
        else if (rc != DATOM_EEXISTS)
            return -1;
    }
    return 0;
}

typedef struct racer {
    int wins;
    unsigned char won[CREATE_ROUNDS];
} racer;

static void race(racer *out)
{
    datom_store *st;
    memset(out, 0, sizeof *out);
    if (datom_store_open(&st, url) != 0) {
        out->wins = -1;
        return;
    }
    if (create_rounds(st, out->won) != 0)
        out->wins = -1;
    else
        out->wins = count_up(st);
    datom_store_free(st);
}

static void *race_thread(void *arg)
{
    race(arg);
    return NULL;
}

static void test_ref_races(void)
{
    datom_store *st = open_fresh("race");
    T_OK(datom_store_ref_cas(st, "counter", NULL, "0", 1, NULL));
    racer r[RACERS];
    if (be->processes) {
        /* Each child writes its result into a pipe. */
        int fds[RACERS][2];
        pid_t pids[RACERS];
        for (int i = 0; i < RACERS; i++) {
            T_ASSERT(pipe(fds[i]) == 0);
            pids[i] = fork();
            T_ASSERT(pids[i] >= 0);
            if (pids[i] == 0) {
                racer mine;
                race(&mine);
                ssize_t w = write(fds[i][1], &mine, sizeof mine);
                _exit(w == (ssize_t)sizeof mine ? 0 : 1);
            }
            close(fds[i][1]);
        }
        for (int i = 0; i < RACERS; i++) {
            int status;
            T_ASSERT(read(fds[i][0], &r[i], sizeof r[i]) == (ssize_t)sizeof r[i]);
            close(fds[i][0]);
            T_ASSERT(waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
                     WEXITSTATUS(status) == 0);
        }
    } else {
        pthread_t th[RACERS];
        for (int i = 0; i < RACERS; i++)
            T_ASSERT(pthread_create(&th[i], NULL, race_thread, &r[i]) == 0);
        for (int i = 0; i < RACERS; i++)
            pthread_join(th[i], NULL);
    }
    int total = 0;
    for (int i = 0; i < RACERS; i++) {
        T_ASSERT(r[i].wins >= 0);
        total += r[i].wins;
    }
    /* No lost update: the wins add up to exactly the final count. */
    T_EQ_INT(total, count_to);
    void *v;
    size_t len;
    T_OK(datom_store_ref_get(st, "counter", &v, &len, NULL));
    char num[32] = {0};
    memcpy(num, v, len < 31 ? len : 31);
    free(v);
    T_EQ_INT(atol(num), count_to);
    /* Exactly one creator won each round. */
    for (int k = 0; k < n_rounds; k++) {
        int winners = 0;
        for (int i = 0; i < RACERS; i++)
            winners += r[i].won[k];
        if (winners != 1)
            T_FAIL("round %d had %d winners", k, winners);
    }
    datom_store_free(st);
}

/* Puts and deletes racing in the same directories (a delete removes emptied
 * directories while a put is about to rename into one), and everyone putting
 * the same content-addressed bytes: every operation succeeds. */
enum { CHURN = 150 };

static int churn(int who)
{
    datom_store *st;
    if (datom_store_open(&st, url) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < CHURN && rc == 0; i++) {
        char key[64];
        snprintf(key, sizeof key, "churn/d%d/k%d-%d", i % 3, who, i);
        rc = datom_store_put(st, key, "x", 1);
        if (rc == 0)
            rc = datom_store_del(st, key);
        if (rc == 0) {
            char sha[DATOM_SHA_HEX];
            dt_store_put *p;
            rc = dt_store_put_begin(st, &p);
            if (rc == 0 && (rc = dt_store_put_write(p, "shared bytes", 12)) != 0)
                dt_store_put_abort(p);
            else if (rc == 0)
                rc = dt_store_put_finish_ca(p, "churn/ca/", sha);
        }
    }
    if (rc)
        fprintf(stderr, "churn %d: %s\n", who, datom_errmsg());
    datom_store_free(st);
    return rc;
}

typedef struct churner {
    int who, rc;
} churner;

static void *churn_thread(void *arg)
{
    churner *c = arg;
    c->rc = churn(c->who);
    return NULL;
}

static void test_object_races(void)
{
    datom_store *st = open_fresh("churn");
    if (be->processes) {
        pid_t pids[RACERS];
        for (int i = 0; i < RACERS; i++) {
            pids[i] = fork();
            T_ASSERT(pids[i] >= 0);
            if (pids[i] == 0)
                _exit(churn(i) ? 1 : 0);
        }
        for (int i = 0; i < RACERS; i++) {
            int status;
            T_ASSERT(waitpid(pids[i], &status, 0) == pids[i]);
            T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
    } else {
        pthread_t th[RACERS];
        churner c[RACERS];
        for (int i = 0; i < RACERS; i++) {
            c[i] = (churner){i, 0};
            T_ASSERT(pthread_create(&th[i], NULL, churn_thread, &c[i]) == 0);
        }
        for (int i = 0; i < RACERS; i++) {
            pthread_join(th[i], NULL);
            T_EQ_INT(c[i].rc, 0);
        }
    }
    char **keys;
    size_t n;
    int more;
    T_OK(datom_store_list(st, "churn/", NULL, 0, &keys, &n, &more));
    T_EQ_INT(n, 1); /* only the shared content-addressed object is left */
    T_ASSERT(!strncmp(keys[0], "churn/ca/", 9));
    datom_strings_free(keys, n);
    datom_store_free(st);
}

/* ---- crashes ---- */

/* A child puts a big object and is killed at many points: afterwards the object
 * is absent or whole and verified, and leftovers never show in listings. */
enum { KILLS = 20 };

static void test_kill_mid_put(void)
{
    if (!be->processes)
        return; /* an in-process store dies with its process */
    datom_store *st = open_fresh("kill");
    size_t big = 16u << 20;
    uint8_t *bytes = malloc(big);
    for (size_t i = 0; i < big; i++)
        bytes[i] = (uint8_t)(i * 2654435761u >> 13);
    char *src = scratch_file("big", bytes, big);
    free(bytes);
    char sha[DATOM_SHA_HEX];
    T_ASSERT(dt_sha256_file(src, sha, NULL) == 0);
    /* Time one whole put (both objects) to spread the kills over it and past it. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char got[DATOM_SHA_HEX];
    T_OK(datom_store_put_file_ca(st, "big/", src, got));
    T_OK(datom_store_put_file(st, "plain/big", src));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long span_ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
    char key[100];
    snprintf(key, sizeof key, "big/%s", sha);
    T_OK(datom_store_del(st, key));
    T_OK(datom_store_del(st, "plain/big"));
    int complete = 0;
    for (int round = 0; round < KILLS; round++) {
        pid_t pid = fork();
        T_ASSERT(pid >= 0);
        if (pid == 0) {
            datom_store *cst;
            if (datom_store_open(&cst, url) != 0)
                _exit(1);
            int rc = datom_store_put_file_ca(cst, "big/", src, got);
            rc = rc ? rc : datom_store_put_file(cst, "plain/big", src);
            datom_store_free(cst);
            _exit(rc ? 1 : 0);
        }
        long ns = span_ns * 5 / 4 * round / (KILLS - 1); /* 0 .. 1.25 times a whole put */
        struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);

        char **keys;
        size_t n;
        int more;
        T_OK(datom_store_list(st, "", NULL, 0, &keys, &n, &more));
        for (size_t i = 0; i < n; i++) {
            uint64_t size;
            T_OK(datom_store_stat(st, keys[i], &size));
            if (size != big)
                T_FAIL("round %d: %s is visible with %llu of %zu bytes", round, keys[i],
                       (unsigned long long)size, big);
            if (strcmp(keys[i], "plain/big") && strncmp(keys[i], "big/", 4))
                T_FAIL("round %d: unexpected key %s", round, keys[i]);
        }
        datom_strings_free(keys, n);
        char dst[4200];
        snprintf(dst, sizeof dst, "%s.got", src);
        if (datom_store_stat(st, key, NULL) == 0) {
            T_OK(datom_store_get_file_ca(st, "big/", sha, dst));
            unlink(dst);
            complete++;
            T_OK(datom_store_del(st, key)); /* so the next round writes it again */
        }
        datom_store_del(st, "plain/big");
    }
    /* How many finished depends on timing; both outcomes are checked. */
    fprintf(stderr, "  %d of %d puts completed before the kill\n", complete, KILLS);
    free(src);
    datom_store_free(st);
}

/* ---- driver ---- */

static backend backends[] = {
    {"mem", false, false, NULL},
    {"file", true, true, NULL},
    /* DATOM_TEST_STORE_URL: one more store to pass the suite (a directory on an
     * NFS mount; an s3:// bucket/prefix when that backend exists). */
    {"$DATOM_TEST_STORE_URL", true, false, NULL},
};

int main(void)
{
    scratch = t_tmpdir("store_conformance");
    backends[2].base = getenv("DATOM_TEST_STORE_URL");
    /* DATOM_TEST_URL_ONLY=1: that store alone (the S3 tests run it on a gateway). */
    const char *only = getenv("DATOM_TEST_URL_ONLY");
    for (size_t i = only && *only == '1' ? 2 : 0; i < DT_ARRAY_LEN(backends); i++) {
        be = &backends[i];
        if (i == 2 && (!be->base || !*be->base))
            break;
        count_to = be->base ? COUNT_TO / 2 : COUNT_TO;
        n_rounds = be->base ? CREATE_ROUNDS / 2 : CREATE_ROUNDS;
        fprintf(stderr, "== backend %s\n", be->name);
        T_RUN(test_put_get_stat_del);
        T_RUN(test_shared_by_url);
        T_RUN(test_open_flags);
        T_RUN(test_ranges);
        T_RUN(test_listing);
        T_RUN(test_content_addressed);
        T_RUN(test_streaming);
        T_RUN(test_hostile_keys);
        T_RUN(test_refs);
        T_RUN(test_ref_races);
        T_RUN(test_object_races);
        T_RUN(test_kill_mid_put);
    }
    if (t_failed == 0)
        dt_fs_rmtree(scratch);
    free(scratch);
    return t_done();
}
