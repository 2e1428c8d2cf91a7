/*
 * test_store_fault.c: the store interface's machinery for backends: the ops
 * version and required operations checked on registration, dispatch by URL
 * scheme, and the fault: wrapper, including a store scenario run with a fault
 * at every call of every operation, on the mem and file backends (the table
 * tests and test_s3_tables.sh use DATOM_TEST_STORE_FAULT the same way).
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "store/store.h"
#include "t.h"

static char *scratch;

/* ---- registration ---- */

static int open_nothing(datom_store **out, const char *url, unsigned flags)
{
    (void)flags;
    *out = NULL;
    return dt_error(DATOM_EIO, "%s: opened by the test backend", url);
}

static void test_register(void)
{
    dt_store_ops future = dt_store_mem_ops;
    future.version = DT_STORE_OPS_VERSION + 1;
    dt_store_backend be = {"future:", &future, open_nothing};
    T_ERR(dt_store_register(&be), DATOM_EINVAL, "version");
    dt_store_ops partial = dt_store_mem_ops;
    partial.ref_cas = NULL;
    be = (dt_store_backend){"partial:", &partial, open_nothing};
    T_ERR(dt_store_register(&be), DATOM_EINVAL, "required");
    dt_store_ops no_put = dt_store_mem_ops;
    no_put.writer_open = NULL; /* half a writer, and no put_known */
    be = (dt_store_backend){"noput:", &no_put, open_nothing};
    T_ERR(dt_store_register(&be), DATOM_EINVAL, "required");
    dt_store_ops half_log = dt_store_mem_ops;
    half_log.log_truncate = NULL; /* logs are all three operations or none */
    be = (dt_store_backend){"halflog:", &half_log, open_nothing};
    T_ERR(dt_store_register(&be), DATOM_EINVAL, "logs need");
    dt_store_ops no_log = dt_store_mem_ops;
    no_log.log_read = NULL, no_log.log_append = NULL, no_log.log_truncate = NULL;
    be = (dt_store_backend){"nolog:", &no_log, open_nothing};
    T_OK(dt_store_register(&be));
    be = (dt_store_backend){"mem:", &dt_store_mem_ops, open_nothing};
    T_ERR(dt_store_register(&be), DATOM_EEXISTS, "mem:");
    be = (dt_store_backend){"testbe:", &dt_store_mem_ops, open_nothing};
    T_OK(dt_store_register(&be));
    datom_store *st;
    T_ERR(datom_store_open(&st, "testbe:x"), DATOM_EIO, "opened by the test backend");
    T_ERR(datom_store_open(&st, "nosuch://x"), DATOM_EUNSUPPORTED, "testbe:");
}

/* ---- the wrapper ---- */

static void test_spec_errors(void)
{
    datom_store *st;
    T_ERR(datom_store_open(&st, "fault:put=1"), DATOM_EINVAL, "fault:OP=N");
    T_ERR(datom_store_open(&st, "fault:bogus=1:mem:"), DATOM_EINVAL, "bogus");
    T_ERR(datom_store_open(&st, "fault:put=0:mem:"), DATOM_EINVAL, "from 1");
    T_ERR(datom_store_open(&st, "fault:put=2x:mem:"), DATOM_EINVAL, "put=2x");
    T_ERR(datom_store_open(&st, "fault:put=1:gopher://x"), DATOM_EUNSUPPORTED, "scheme");
}

static void test_nth_call(void)
{
    datom_store *st, *plain;
    T_OK(datom_store_open(&st, "fault:put=2,get=1:mem:nth"));
    T_OK(datom_store_open(&plain, "mem:nth"));
    T_OK(datom_store_put(st, "a", "1", 1));
    T_ERR(datom_store_put(st, "b", "2", 1), DATOM_EIO, "injected fault (call 2)");
    T_ERR(datom_store_stat(plain, "b", NULL), DATOM_ENOTFOUND, "b"); /* nothing happened */
    T_OK(datom_store_put(st, "c", "3", 1));
    void *data;
    size_t len;
    T_ERR(datom_store_get(st, "a", 0, UINT64_MAX, &data, &len), DATOM_EIO, "get a");
    T_OK(datom_store_get(st, "a", 0, UINT64_MAX, &data, &len));
    free(data);
    datom_store_free(st);
    /* N+: that call and every later one. */
    T_OK(datom_store_open(&st, "fault:list=2+:mem:nth"));
    char **keys;
    size_t n;
    int more;
    T_OK(datom_store_list(st, "", NULL, 0, &keys, &n, &more));
    datom_strings_free(keys, n);
    for (int i = 0; i < 3; i++)
        T_ERR(datom_store_list(st, "", NULL, 0, &keys, &n, &more), DATOM_EIO, "injected");
    datom_store_free(st);
    datom_store_free(plain);
}

static void test_lost_answers(void)
{
    datom_store *st, *plain;
    T_OK(datom_store_open(&st, "fault:put=1!,ref_cas=1!:mem:lost"));
    T_OK(datom_store_open(&plain, "mem:lost"));
    T_ERR(datom_store_put(st, "k", "v", 1), DATOM_EIO, "applied but its answer lost");
    T_OK(datom_store_stat(plain, "k", NULL)); /* it happened */
    T_ERR(datom_store_ref_cas(st, "r", NULL, "x", 1, NULL), DATOM_EIO, "answer lost");
    /* A caller that retries blindly learns it already won as "exists". */
    T_ERR(datom_store_ref_cas(st, "r", NULL, "x", 1, NULL), DATOM_EEXISTS, "r");
    datom_store_free(st);
    datom_store_free(plain);
}

static void test_env_wraps(void)
{
    setenv(DT_STORE_FAULT_ENV, "stat=1", 1);
    datom_store *st;
    T_OK(datom_store_open(&st, "mem:env"));
    unsetenv(DT_STORE_FAULT_ENV);
    T_EQ_STR(st->ops->name, "fault");
    T_ERR(datom_store_stat(st, "x", NULL), DATOM_EIO, "injected");
    T_ERR(datom_store_stat(st, "x", NULL), DATOM_ENOTFOUND, "x");
    datom_store_free(st);
    setenv(DT_STORE_FAULT_ENV, "nonsense", 1);
    T_ERR(datom_store_open(&st, "mem:env"), DATOM_EINVAL, DT_STORE_FAULT_ENV);
    unsetenv(DT_STORE_FAULT_ENV);
}

/* ---- a scenario under a fault at every call ---- */

static const char *const ops[] = {"get", "stat", "exists", "del", "list", "put", "ref_get", "ref_cas", "ref_del"};

/* Each step succeeds or fails with the injected error; nothing else. */
static bool step_ok(int rc)
{
    if (rc == 0)
        return true;
    if (rc == DATOM_EIO && strstr(datom_errmsg(), "injected fault"))
        return true;
    fprintf(stderr, "    unexpected: %d %s\n", rc, datom_errmsg());
    return false;
}

static bool scenario(datom_store *st, const char *file)
{
    char sha[DATOM_SHA_HEX], v[DATOM_REF_VERSION_MAX] = "", v2[DATOM_REF_VERSION_MAX];
    int rc = datom_store_put_file_ca(st, "ca/", file, sha);
    bool ok = step_ok(rc);
    if (rc == 0) { /* a verified get into a file: get_fd's bytes in order, hashed */
        char *got = dt_sprintf("%s.got", file);
        ok &= step_ok(datom_store_get_file_ca(st, "ca/", sha, got));
        unlink(got);
        free(got);
    }
    ok &= step_ok(datom_store_put(st, "plain/one", "one", 3));
    ok &= step_ok(datom_store_put(st, "plain/two", "two", 3));
    void *data;
    size_t len;
    rc = datom_store_get(st, "plain/one", 0, UINT64_MAX, &data, &len);
    if (rc == 0)
        free(data);
    ok &= rc == DATOM_ENOTFOUND || step_ok(rc);
    char **keys;
    size_t n;
    int more;
    if ((rc = datom_store_list(st, "", NULL, 2, &keys, &n, &more)) == 0)
        datom_strings_free(keys, n);
    ok &= step_ok(rc);
    rc = datom_store_ref_cas(st, "root", NULL, "a", 1, v);
    ok &= step_ok(rc);
    if (rc == 0) {
        rc = datom_store_ref_cas(st, "root", v, "b", 1, v2);
        ok &= step_ok(rc);
        if (rc == 0)
            ok &= step_ok(datom_store_ref_del(st, "root", v2));
    }
    rc = datom_store_del(st, "plain/two");
    ok &= rc == DATOM_ENOTFOUND || step_ok(rc);
    return ok;
}

/* After the scenario: every object is whole, the ref is one of the values. */
static void invariants(datom_store *st, const char *what)
{
    char **keys;
    size_t n;
    int more;
    T_OK(datom_store_list(st, "", NULL, 0, &keys, &n, &more));
    for (size_t i = 0; i < n; i++) {
        void *data;
        size_t len;
        T_OK(datom_store_get(st, keys[i], 0, UINT64_MAX, &data, &len));
        bool whole = (!strcmp(keys[i], "plain/one") && len == 3 && !memcmp(data, "one", 3)) ||
                     (!strcmp(keys[i], "plain/two") && len == 3 && !memcmp(data, "two", 3)) ||
                     (!strncmp(keys[i], "ca/", 3) && len == 17);
        free(data);
        if (!whole)
            T_FAIL("%s: %s is not what was put", what, keys[i]);
    }
    datom_strings_free(keys, n);
    void *v;
    size_t len;
    int rc = datom_store_ref_get(st, "root", &v, &len, NULL);
    if (rc == 0) {
        bool known = len == 1 && (*(char *)v == 'a' || *(char *)v == 'b');
        free(v);
        T_ASSERT(known);
    } else {
        T_EQ_INT(rc, DATOM_ENOTFOUND);
    }
}

/* The inner store of one run: mem (private by name) or a file store. */
static void inner_url(char *out, size_t cap, bool file, const char *op, int nth, int lost)
{
    if (file)
        snprintf(out, cap, "%s/st-%s-%d-%d", scratch, op, nth, lost);
    else
        snprintf(out, cap, "mem:%s-%d-%d", op, nth, lost);
}

static void faults_everywhere(bool file_backend)
{
    char *file = dt_sprintf("%s/ca.txt", scratch);
    T_OK(dt_fs_write_atomic(file, "content-addressed", 17));
    int runs = 0;
    for (size_t o = 0; o < DT_ARRAY_LEN(ops); o++) {
        for (int nth = 1; nth <= 4; nth++) {
            for (int lost = 0; lost < 2; lost++) {
                char inner[512], url[700];
                inner_url(inner, sizeof inner, file_backend, ops[o], nth, lost);
                snprintf(url, sizeof url, "fault:%s=%d%s:%s", ops[o], nth, lost ? "!" : "", inner);
                datom_store *st, *plain; /* plain keeps a mem: store alive */
                T_OK(datom_store_open(&plain, inner));
                T_OK(datom_store_open(&st, url));
                if (!scenario(st, file))
                    T_FAIL("%s: a step failed otherwise than by the fault", url);
                datom_store_free(st);
                invariants(plain, url);
                datom_store_free(plain);
                runs++;
            }
        }
    }
    T_EQ_INT(runs, (int)DT_ARRAY_LEN(ops) * 8);
    free(file);
}

static void test_faults_mem(void) { faults_everywhere(false); }
static void test_faults_file(void) { faults_everywhere(true); }

int main(void)
{
    scratch = t_tmpdir("store_fault");
    T_RUN(test_register);
    T_RUN(test_spec_errors);
    T_RUN(test_nth_call);
    T_RUN(test_lost_answers);
    T_RUN(test_env_wraps);
    T_RUN(test_faults_mem);
    T_RUN(test_faults_file);
    if (t_failed == 0)
        dt_fs_rmtree(scratch);
    free(scratch);
    return t_done();
}
