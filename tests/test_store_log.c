/*
 * test_store_log.c: the stores' optional append-only logs (store.h), on the
 * mem and file backends: conditional appends, reads from an offset,
 * conditional truncation, hostile names, and appends racing from several
 * processes (each wins exactly once per record, none lost), and links, FIFOs
 * and read-only handles on the file backend.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "t.h"

static char *tmp_dir(const char *tag)
{
    const char *base = getenv("TEST_TMP") ? getenv("TEST_TMP") : "/tmp";
    char *d = dt_sprintf("%s/store_log_%s_%d", base, tag, (int)getpid());
    dt_fs_rmtree(d);
    dt_fs_mkdirs(d, 0755);
    return d;
}

static void basics(datom_store *st)
{
    dt_buf b = DT_BUF_INIT;
    uint64_t size = 0;
    T_ERR(dt_store_log_read(st, "db/log", 0, &b, &size), DATOM_ENOTFOUND, "no such log");
    T_ERR(dt_store_log_append(st, "db/log", 5, "x", 1), DATOM_ENOTFOUND, "");
    T_OK(dt_store_log_append(st, "db/log", 0, "hello", 5));
    T_ERR(dt_store_log_append(st, "db/log", 0, "again", 5), DATOM_ECONFLICT, "lost a race");
    T_ERR(dt_store_log_append(st, "db/log", 4, "again", 5), DATOM_ECONFLICT, "");
    T_OK(dt_store_log_append(st, "db/log", 5, " world", 6));
    T_OK(dt_store_log_read(st, "db/log", 0, &b, &size));
    T_EQ_INT(size, 11);
    T_EQ_STR(dt_buf_cstr(&b), "hello world");
    dt_buf_clear(&b);
    T_OK(dt_store_log_read(st, "db/log", 6, &b, &size));
    T_EQ_STR(dt_buf_cstr(&b), "world");
    T_ERR(dt_store_log_read(st, "db/log", 12, &b, &size), DATOM_EINVAL, "past the end");
    T_ERR(dt_store_log_truncate(st, "db/log", 10, 5), DATOM_ECONFLICT, "");
    T_ERR(dt_store_log_truncate(st, "db/log", 11, 12), DATOM_EINVAL, "");
    T_OK(dt_store_log_truncate(st, "db/log", 11, 5));
    dt_buf_clear(&b);
    T_OK(dt_store_log_read(st, "db/log", 0, &b, &size));
    T_EQ_STR(dt_buf_cstr(&b), "hello");
    /* names follow key rules; logs are not objects */
    T_ERR(dt_store_log_append(st, "../x", 0, "x", 1), DATOM_EINVAL, "");
    T_ERR(dt_store_log_append(st, "a\nb", 0, "x", 1), DATOM_EINVAL, "");
    char **keys;
    size_t n;
    T_OK(datom_store_list(st, "", NULL, 0, &keys, &n, NULL));
    T_EQ_INT(n, 0);
    datom_strings_free(keys, n);
    /* a NUL byte and binary content survive */
    T_OK(dt_store_log_append(st, "bin", 0, "a\0b", 3));
    dt_buf_clear(&b);
    T_OK(dt_store_log_read(st, "bin", 0, &b, &size));
    T_EQ_INT(b.len, 3);
    T_EQ_INT(b.data[1], 0);
    dt_buf_free(&b);
}

static void test_mem(void)
{
    datom_store *st;
    T_OK(datom_store_open(&st, "mem:"));
    T_ASSERT(dt_store_has_log(st));
    basics(st);
    datom_store_free(st);
}

static void test_file(void)
{
    char *dir = tmp_dir("basic");
    datom_store *st;
    T_OK(datom_store_open(&st, dir));
    basics(st);
    datom_store_free(st);
    dt_fs_rmtree(dir);
    free(dir);
}

/* The file backend reaches its logs as every path (store/file.h, invariants
 * 1 and 2): reading a missing log makes nothing; a read-only handle refuses
 * appends and truncations; a link (the logs directory or the file) is
 * refused loudly on a read and never written through; a FIFO is refused
 * without waiting for a writer. */
static void test_file_hostile(void)
{
    char *dir = tmp_dir("hostile");
    char *logs = dt_sprintf("%s/.datom-internal/logs", dir);
    char *elsewhere = dt_sprintf("%s.elsewhere", dir);
    char *file = dt_sprintf("%s/db", logs);
    datom_store *st, *ro;
    dt_buf b = DT_BUF_INIT;
    uint64_t size = 0;
    T_OK(datom_store_open_ext(&ro, dir, DATOM_STORE_READONLY));
    T_ERR(dt_store_log_read(ro, "db", 0, &b, &size), DATOM_ENOTFOUND, "no such log");
    T_ASSERT(!dt_fs_exists(logs));
    T_ERR(dt_store_log_append(ro, "db", 0, "x", 1), DATOM_EINVAL, "read-only");
    T_ERR(dt_store_log_truncate(ro, "db", 0, 0), DATOM_EINVAL, "read-only");
    T_ASSERT(!dt_fs_exists(logs));
    T_ERR(ro->ops->log_append(ro, "db", 0, "x", 1), DATOM_EINVAL, "read-only");
    T_ASSERT(!dt_fs_exists(logs));

    T_OK(datom_store_open(&st, dir));
    T_OK(dt_store_log_append(st, "db", 0, "hello", 5));
    T_OK(dt_store_log_read(ro, "db", 0, &b, &size));
    T_EQ_INT(size, 5);
    /* the logs directory swapped for a link to a copy elsewhere */
    T_ASSERT(rename(logs, elsewhere) == 0);
    T_ASSERT(symlink(elsewhere, logs) == 0);
    T_ERR(dt_store_log_read(st, "db", 0, &b, &size), DATOM_ECORRUPT, "symbolic link");
    T_ERR(dt_store_log_append(st, "db", 5, "!", 1), DATOM_EINVAL, "symbolic link");
    T_ERR(dt_store_log_truncate(st, "db", 5, 0), DATOM_EINVAL, "symbolic link");
    /* the file itself a link */
    T_ASSERT(unlink(logs) == 0 && mkdir(logs, 0755) == 0);
    char *target = dt_sprintf("%s/db", elsewhere);
    T_ASSERT(symlink(target, file) == 0);
    T_ERR(dt_store_log_read(st, "db", 0, &b, &size), DATOM_ECORRUPT, "symbolic link");
    T_ERR(dt_store_log_append(st, "db", 5, "!", 1), DATOM_EINVAL, "symbolic link");
    T_ERR(dt_store_log_append(st, "db", 0, "!", 1), DATOM_EINVAL, "symbolic link");
    T_ERR(dt_store_log_truncate(st, "db", 5, 0), DATOM_EINVAL, "symbolic link");
    struct stat sb;
    T_ASSERT(stat(target, &sb) == 0 && sb.st_size == 5); /* never written through */
    /* a FIFO: refused at once (a blocking open would hang here) */
    T_ASSERT(unlink(file) == 0 && mkfifo(file, 0644) == 0);
    T_ERR(dt_store_log_read(st, "db", 0, &b, &size), DATOM_ECORRUPT, "not a regular file");
    T_ERR(dt_store_log_append(st, "db", 0, "!", 1), DATOM_ECORRUPT, "not a regular file");
    datom_store_free(st);
    datom_store_free(ro);
    dt_buf_free(&b);
    dt_fs_rmtree(dir);
    dt_fs_rmtree(elsewhere);
    free(target);
    free(file);
    free(elsewhere);
    free(logs);
    free(dir);
}

/* Appends 8-byte records "pNNNNNN\n" with retries; returns how many races it lost. */
static int child_appends(const char *url, int id, int count)
{
    datom_store *st;
    if (datom_store_open(&st, url))
        return -1;
    int lost = 0;
    for (int i = 0; i < count; i++) {
        char rec[32]; /* 8 bytes used: "pNNNNNN\n" (ID one digit, I below a million) */
        snprintf(rec, sizeof rec, "%d%06d\n", id % 10, i % 1000000);
        for (;;) {
            dt_buf b = DT_BUF_INIT;
            uint64_t size = 0;
            int rc = dt_store_log_read(st, "race", 0, &b, &size);
            dt_buf_free(&b);
            if (rc == DATOM_ENOTFOUND)
                size = 0;
            else if (rc)
                return -1;
            rc = dt_store_log_append(st, "race", size, rec, 8);
            if (rc == 0)
                break;
            if (rc != DATOM_ECONFLICT && rc != DATOM_ENOTFOUND)
                return -1;
            lost++;
        }
    }
    datom_store_free(st);
    return lost;
}

static void test_file_race(void)
{
    char *dir = tmp_dir("race");
    enum { PROCS = 4, EACH = 100 };
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        if (pids[p] == 0)
            _exit(child_appends(dir, p + 1, EACH) < 0 ? 1 : 0);
    }
    for (int p = 0; p < PROCS; p++) {
        int status;
        waitpid(pids[p], &status, 0);
        T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    datom_store *st;
    T_OK(datom_store_open(&st, dir));
    dt_buf b = DT_BUF_INIT;
    uint64_t size;
    T_OK(dt_store_log_read(st, "race", 0, &b, &size));
    T_EQ_INT(size, PROCS * EACH * 8);
    /* each process's records, all present, in its own order */
    int next[PROCS] = {0};
    for (size_t off = 0; off < b.len; off += 8) {
        int id = b.data[off] - '1', i = atoi((char *)b.data + off + 1);
        T_ASSERT(id >= 0 && id < PROCS);
        T_EQ_INT(i, next[id]);
        next[id]++;
    }
    dt_buf_free(&b);
    datom_store_free(st);
    dt_fs_rmtree(dir);
    free(dir);
}

int main(void)
{
    T_RUN(test_mem);
    T_RUN(test_file);
    T_RUN(test_file_race);
    T_RUN(test_file_hostile);
    return t_done();
}
