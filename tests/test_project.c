/*
 * test_project.c: the project handle: init's files byte for byte, opening
 * from a subdirectory, project.yaml errors with file:line, all-or-nothing
 * init, a clone round trip through a bare remote, and the write lock's
 * take-over rules.
 */
#include "core/core.h"
#include "project/config.h"
#include "project/project.h"
#include "project/wlock.h"
#include "t.h"

#include <inttypes.h>
#include <sys/wait.h>

#define AUTHOR "Test User <test@example.com>"

static char *root;

static char *slurp(const char *dir, const char *rel)
{
    char *p = dt_path_join(dir, rel);
    dt_buf b = DT_BUF_INIT;
    int rc = dt_fs_read_all(p, &b, 1u << 20);
    free(p);
    if (rc != 0) {
        dt_buf_free(&b);
        return NULL;
    }
    return b.data ? dt_buf_detach(&b) : dt_strdup("");
}

static bool exists_in(const char *dir, const char *rel)
{
    char *p = dt_path_join(dir, rel);
    bool e = dt_fs_exists(p);
    free(p);
    return e;
}

static void put(const char *dir, const char *rel, const char *text)
{
    char *p = dt_path_join(dir, rel);
    char *parent = dt_path_dirname(p);
    T_OK(dt_fs_mkdirs(parent, 0755));
    T_OK(dt_fs_write_atomic(p, text, strlen(text)));
    free(parent);
    free(p);
}

static int sh(const char *fmt, ...) DT_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
    dt_buf cmd = DT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    dt_buf_vprintf(&cmd, fmt, ap);
    va_end(ap);
    int rc = system(dt_buf_cstr(&cmd));
    dt_buf_free(&cmd);
    return rc;
}

static char *make_bare(const char *name)
{
    char *dir = dt_path_join(root, name);
    T_EQ_INT(sh("git init -q --bare -b main '%s'", dir), 0);
    return dir;
}

static const char gitignore_expected[] =
    "# datom: data never enters git (its bytes live in the store)\n"
    "*.csv\n*.tsv\n*.rds\n*.txt\n*.parquet\n*.sas7bdat\n.RData\ninput_files/\n"
    ".datom/store/\n.datom/cache/\n";

static void test_init_layout(void)
{
    char *dir = dt_path_join(root, "p1");
    dt_project_init_opts o = {.name = "study_a", .description = "Trial A: raw tables",
                              .author = AUTHOR};
    dt_project *p;
    T_OK(dt_project_init(&p, dir, &o));
    char today[16];
    dt_utc_date(dt_now_ms(), today);
    char *abs = dt_path_absolute(dir);
    char *want = dt_sprintf("project_name: study_a\n"
                            "project_description: \"Trial A: raw tables\"\n"
                            "created_at: \"%s\"\n"
                            "datom_version: \"%s\"\n"
                            "storage:\n"
                            "  data:\n"
                            "    type: local\n"
                            "    root: %s/.datom/store\n"
                            "    prefix: ~\n"
                            "  max_file_size_gb: 1\n"
                            "repos:\n"
                            "  data:\n"
                            "    remote_url: ~\n"
                            "sync:\n"
                            "  continue_on_error: true\n"
                            "  parallel_uploads: 4\n"
                            "renv: false\n",
                            today, datom_version(), abs);
    free(abs);
    char *yaml = slurp(dir, ".datom/project.yaml");
    T_EQ_STR(yaml, want);
    free(yaml);
    free(want);
    char *gi = slurp(dir, ".gitignore");
    T_EQ_STR(gi, gitignore_expected);
    free(gi);

    char *m = slurp(dir, ".datom/manifest.json");
    T_ASSERT(m && !strncmp(m, "{\n  \"project_name\": \"study_a\",\n  \"updated_at\": \"", 47));
    T_ASSERT(strstr(m, "Z\",\n  \"tables\": {},\n  \"summary\": {\n    \"total_tables\": 0,\n"
                       "    \"total_size_bytes\": 0,\n    \"total_versions\": 0\n  }\n}\n"));
    free(m);
    char *readme = slurp(dir, "README.md");
    T_ASSERT(readme && !strncmp(readme, "# study_a\n\nTrial A: raw tables\n", 31));
    free(readme);
    T_ASSERT(exists_in(dir, "input_files"));
    T_ASSERT(exists_in(dir, ".datom/store"));

    /* the handle */
    char *real = realpath(dir, NULL);
    T_EQ_STR(p->root, real);
    char *store = dt_path_join(real, ".datom/store");
    T_EQ_STR(p->store_url, store);
    free(store);
    free(real);
    T_EQ_STR(p->name, "study_a");
    T_EQ_STR(p->description, "Trial A: raw tables");
    T_EQ_STR(p->ns, "datom/");
    T_EQ_INT(p->store_place, DT_STORE_OWN);
    T_ASSERT(p->remote_url == NULL);
    char *key = dt_project_key(p, "t1/.metadata/metadata.json");
    T_EQ_STR(key, "datom/t1/.metadata/metadata.json");
    free(key);
    char head[41];
    T_OK(dt_git_head(p->git, head));
    dt_project_free(p);

    /* git itself: one commit, its message, author, the files in it, a clean tree */
    T_EQ_INT(sh("cd '%s' && test \"$(git log --format='%%an <%%ae>|%%s')\" = "
                "'Test User <test@example.com>|Initialize datom repository'",
                dir),
             0);
    T_EQ_INT(sh("cd '%s' && test \"$(git ls-files | tr '\\n' ' ')\" = "
                "'.datom/manifest.json .datom/project.yaml .gitignore README.md '",
                dir),
             0);
    T_EQ_INT(sh("cd '%s' && test -z \"$(git status --porcelain)\" && "
                "test \"$(git symbolic-ref HEAD)\" = refs/heads/main",
                dir),
             0);

    /* a second init is refused */
    T_ERR(dt_project_init(&p, dir, &o), DATOM_EEXISTS, "datom project");
    free(dir);
}

static void test_open_subdir_and_prefix(void)
{
    char *dir = dt_path_join(root, "p2");
    char *shared = dt_path_join(root, "shared-store");
    dt_project_init_opts o = {.name = "b", .store_url = shared, .prefix = "/team/x/",
                              .author = AUTHOR};
    dt_project *p;
    T_OK(dt_project_init(&p, dir, &o));
    T_EQ_STR(p->ns, "team/x/datom/");
    T_EQ_INT(p->store_place, DT_STORE_NAMED);
    dt_project_free(p);
    char *yaml = slurp(dir, ".datom/project.yaml");
    char *line = dt_sprintf("    type: local\n    root: %s\n    prefix: team/x\n", shared);
    T_ASSERT(strstr(yaml, line));
    T_ASSERT(strstr(yaml, "project_description: ~\n"));
    free(line);
    free(yaml);
    /* readers find the empty manifest in the store */
    T_ASSERT(exists_in(shared, "team/x/datom/.metadata/manifest.json"));

    char *deep = dt_path_join(dir, "t1/sub");
    T_OK(dt_fs_mkdirs(deep, 0755));
    T_OK(dt_project_open(&p, deep));
    char *real = realpath(dir, NULL);
    T_EQ_STR(p->root, real);
    free(real);
    T_EQ_STR(p->store_url, shared);
    char *url;
    T_OK(dt_project_find_store_url(deep, &url));
    T_EQ_STR(url, shared);
    free(url);
    T_EQ_STR(p->name, "b");
    T_EQ_STR(p->ns, "team/x/datom/");
    T_ASSERT(p->config != NULL);
    T_EQ_INT(p->config->parallel_uploads, 4);
    dt_project_free(p);

    T_OK(dt_project_open_store(&p, shared, "b", "team/x"));
    T_ASSERT(p->git == NULL && p->root == NULL);
    T_EQ_STR(p->ns, "team/x/datom/");
    dt_project_free(p);
    T_OK(dt_project_open_store(&p, shared, NULL, NULL));
    T_EQ_STR(p->ns, "datom/");
    dt_project_free(p);

    /* a remote added with git afterwards is the one pushes go to */
    T_EQ_INT(sh("git -C '%s' remote add origin /elsewhere.git", dir), 0);
    T_OK(dt_project_open(&p, dir));
    T_EQ_STR(p->remote_url, "/elsewhere.git");
    dt_project_free(p);

    T_ERR(dt_project_open(&p, root), DATOM_ENOTFOUND, "datom init");
    free(deep);
    free(shared);
    free(dir);
}

static void test_bad_yaml(void)
{
    char *dir = dt_path_join(root, "p3");
    dt_project_init_opts o = {.name = "c", .author = AUTHOR};
    dt_project *p;
    T_OK(dt_project_init(&p, dir, &o));
    dt_project_free(p);
    char *yaml = dt_path_join(dir, ".datom/project.yaml");
    char *where = dt_sprintf("%s:4:11", yaml);
    put(dir, ".datom/project.yaml", "project_name: c\nstorage:\n  data:\n    type: ftp\n");
    T_ERR(dt_project_open(&p, dir), DATOM_EINVAL, where);
    T_ERR(dt_project_open(&p, dir), DATOM_EINVAL, "local or s3");
    free(where);
    where = dt_sprintf("%s:4:1", yaml); /* the unclosed '[' is found at the end */
    put(dir, ".datom/project.yaml", "project_name: c\nrenv: false\nsync: [1, 2\n");
    T_ERR(dt_project_open(&p, dir), DATOM_EINVAL, where);
    free(where);
    where = dt_sprintf("%s:2:26", yaml);
    put(dir, ".datom/project.yaml", "project_name: c\nsync: {parallel_uploads: many}\n");
    T_ERR(dt_project_open(&p, dir), DATOM_EINVAL, where);
    free(where);
    where = dt_sprintf("%s:1:15", yaml);
    put(dir, ".datom/project.yaml", "project_name: 9lives\n");
    T_ERR(dt_project_open(&p, dir), DATOM_EINVAL, where);
    free(where);
    put(dir, ".datom/project.yaml", "renv: false\n");
    T_ERR(dt_project_open(&p, dir), DATOM_EINVAL, "project_name is missing");
    put(dir, ".datom/project.yaml", "");
    T_ERR(dt_project_open(&p, dir), DATOM_EINVAL, "empty");
    /* a minimal file: defaults for the rest */
    put(dir, ".datom/project.yaml", "project_name: c\n");
    T_OK(dt_project_open(&p, dir));
    T_EQ_INT(p->store_place, DT_STORE_OWN); /* relative: to the project root */
    dt_project_free(p);
    free(yaml);
    free(dir);
}

static void test_config_round_trip(void)
{
    dt_project_config c, d;
    dt_config_defaults(&c);
    c.project_name = dt_strdup("rt");
    c.project_description = dt_strdup("line one\nsays \"true\": #1");
    c.created_at = dt_strdup("2026-01-02");
    c.datom_version = dt_strdup("0.1.1");
    c.storage_type = dt_strdup("s3");
    c.storage_root = dt_strdup("bucket-1");
    c.storage_prefix = dt_strdup("a/b");
    c.storage_region = dt_strdup("eu-west-1");
    c.remote_url = dt_strdup("https://example.com/x.git");
    c.max_file_size_gb = 2.5;
    c.renv = true;
    char *text = dt_config_format(&c);
    char *dir = dt_path_join(root, "cfg");
    put(dir, "p.yaml", text);
    char *path = dt_path_join(dir, "p.yaml");
    T_OK(dt_config_read(path, &d));
    T_EQ_STR(d.project_description, c.project_description);
    T_EQ_STR(d.created_at, "2026-01-02");
    T_EQ_STR(d.storage_type, "s3");
    T_EQ_STR(d.storage_root, "bucket-1");
    T_EQ_STR(d.storage_prefix, "a/b");
    T_EQ_STR(d.storage_region, "eu-west-1");
    T_EQ_STR(d.remote_url, "https://example.com/x.git");
    T_ASSERT(d.max_file_size_gb == 2.5 && d.renv && d.continue_on_error);
    char *again = dt_config_format(&d);
    T_EQ_STR(again, text);
    free(again);
    dt_config_free(&d);
    dt_config_free(&c);
    free(text);
    free(path);
    free(dir);
}

static void test_init_refusals(void)
{
    char *dir = dt_path_join(root, "p4");
    dt_project *p;
    dt_project_init_opts o = {.name = "9x", .author = AUTHOR};
    T_ERR(dt_project_init(&p, dir, &o), DATOM_EINVAL, "start with a letter");
    o.name = "a/b";
    T_ERR(dt_project_init(&p, dir, &o), DATOM_EINVAL, "only letters");
    o.name = "a\tb";
    T_ERR(dt_project_init(&p, dir, &o), DATOM_EINVAL, "only letters");
    o.name = "ok";
    o.prefix = "a/../b";
    T_ERR(dt_project_init(&p, dir, &o), DATOM_EINVAL, "\"..\"");
    o.prefix = NULL;
    o.store_url = "mem:";
    T_ERR(dt_project_init(&p, dir, &o), DATOM_EINVAL, "outlive");
    o.store_url = NULL;
    o.author = "nobody";
    T_ERR(dt_project_init(&p, dir, &o), DATOM_EINVAL, "Name <email>");
    T_ASSERT(!dt_fs_exists(dir));
    /* no identity at all: HOME is empty; the directory is left as found */
    o.author = NULL;
    T_OK(dt_fs_mkdirs(dir, 0755));
    put(dir, "keep.me", "x\n");
    put(dir, ".gitignore", "*.log");
    T_ERR(dt_project_init(&p, dir, &o), DATOM_EINVAL, "user.name");
    T_ASSERT(!exists_in(dir, ".git") && !exists_in(dir, ".datom") && !exists_in(dir, "README.md"));
    T_ASSERT(!exists_in(dir, "input_files"));
    char *gi = slurp(dir, ".gitignore");
    T_EQ_STR(gi, "*.log");
    free(gi);
    /* into that directory with an identity: .gitignore extended, data not committed */
    o.author = AUTHOR;
    T_OK(dt_project_init(&p, dir, &o));
    dt_project_free(p);
    gi = slurp(dir, ".gitignore");
    T_ASSERT(!strncmp(gi, "*.log\n\n# datom:", 15));
    free(gi);
    T_EQ_INT(sh("cd '%s' && ! git ls-files | grep -q keep.me", dir), 0);
    free(dir);
}

static void test_clone_round_trip(void)
{
    char *bare = make_bare("proj.git");
    char *dir = dt_path_join(root, "p5"), *copy = dt_path_join(root, "p5-copy");
    char *shared = dt_path_join(root, "store5");
    dt_project_init_opts o = {.name = "shared_one", .store_url = shared, .remote_url = bare,
                              .author = AUTHOR};
    dt_project *p, *q;
    T_OK(dt_project_init(&p, dir, &o));
    T_EQ_STR(p->remote_url, bare);
    char h1[41], h2[41];
    T_OK(dt_git_head(p->git, h1));
    T_OK(dt_project_clone(&q, bare, copy));
    T_OK(dt_git_head(q->git, h2));
    T_EQ_STR(h1, h2);
    T_EQ_STR(q->name, "shared_one");
    T_EQ_STR(q->store_url, shared);
    T_EQ_STR(q->remote_url, bare);
    T_EQ_INT(q->store_place, DT_STORE_NAMED);
    dt_project_free(q);
    dt_project_free(p);

    /* a second project cannot take the namespace the first holds in the store */
    char *other = dt_path_join(root, "p6");
    o.name = "another";
    T_ERR(dt_project_init(&p, other, &o), DATOM_EEXISTS, "shared_one");
    T_ASSERT(!dt_fs_exists(other));
    /* a second init pushing to the same (now full) remote fails and leaves nothing */
    o.prefix = "another";
    T_ERR(dt_project_init(&p, other, &o), DATOM_ECONFLICT, "datom clone");
    T_ASSERT(!dt_fs_exists(other));
    o.prefix = NULL;

    /* an empty repository is not a project; the clone directory goes away */
    char *empty = make_bare("empty.git");
    T_ERR(dt_project_clone(&q, empty, other), DATOM_ENOTFOUND, "not a datom project");
    T_ASSERT(!dt_fs_exists(other));

    /* default local store: a clone on the same machine uses it where it is
     * and makes no store of its own */
    char *bare2 = make_bare("local.git");
    char *d7 = dt_path_join(root, "p7"), *d7c = dt_path_join(root, "p7-copy");
    dt_project_init_opts o2 = {.name = "local_one", .remote_url = bare2, .author = AUTHOR};
    T_OK(dt_project_init(&p, d7, &o2));
    char *store7 = dt_strdup(p->store_url);
    dt_project_free(p);
    T_OK(dt_project_clone(&q, bare2, d7c));
    T_EQ_INT(q->store_place, DT_STORE_SHARED);
    T_EQ_STR(q->store_url, store7);
    T_ASSERT(!exists_in(d7c, ".datom/store"));
    T_OK(dt_project_need_store(q));
    dt_project_free(q);
    free(store7);

    free(bare2);
    free(d7);
    free(d7c);
    free(empty);
    free(other);
    free(shared);
    free(copy);
    free(dir);
    free(bare);
}

/* A moved, a copied and a cloned project on the default local store (the
 * invariants on where a local store is, in project.c). */
static void test_store_moves(void)
{
    char *a = dt_path_join(root, "m1"), *moved = dt_path_join(root, "m1-moved");
    char *copy = dt_path_join(root, "m1-copy"), *clone = dt_path_join(root, "m1-clone");
    dt_project_init_opts o = {.name = "mover", .author = AUTHOR};
    dt_project *p;
    T_OK(dt_project_init(&p, a, &o));
    char *recorded = dt_strdup(p->config->storage_root);
    T_ASSERT(recorded[0] == '/');
    T_OK(datom_store_put(p->store, "datom/marker", "1", 1));
    dt_project_free(p);

    /* moved: the recorded store is gone with it; its own is used, project.yaml untouched */
    T_EQ_INT(sh("mv '%s' '%s'", a, moved), 0);
    T_OK(dt_project_open(&p, moved));
    T_EQ_INT(p->store_place, DT_STORE_MOVED);
    char *own = dt_path_join(p->root, ".datom/store");
    T_EQ_STR(p->store_url, own);
    free(own);
    T_EQ_STR(p->config->storage_root, recorded);
    T_OK(datom_store_stat(p->store, "datom/marker", NULL));
    T_ASSERT(!dt_fs_exists(a));
    dt_project_free(p);

    /* copied beside the original: the copy never writes into the original's store */
    T_EQ_INT(sh("cp -a '%s' '%s' && mv '%s' '%s'", moved, copy, moved, a), 0);
    T_OK(dt_project_open(&p, copy));
    T_EQ_INT(p->store_place, DT_STORE_MOVED);
    T_OK(datom_store_put(p->store, "datom/copy-only", "2", 1));
    dt_project_free(p);
    T_OK(dt_project_open(&p, a));
    T_EQ_INT(p->store_place, DT_STORE_OWN);
    T_EQ_INT(datom_store_stat(p->store, "datom/copy-only", NULL), DATOM_ENOTFOUND);
    dt_project_free(p);

    /* a clone has no store of its own: it shares the original's while that is
     * there; once it is gone, the clone opens without a store, says why when
     * bytes are wanted, and creates nothing, here or there */
    T_EQ_INT(sh("git clone -q '%s' '%s' 2>/dev/null", a, clone), 0);
    T_OK(dt_project_open(&p, clone));
    T_EQ_INT(p->store_place, DT_STORE_SHARED);
    T_OK(datom_store_stat(p->store, "datom/marker", NULL));
    dt_project_free(p);
    T_EQ_INT(sh("mv '%s' '%s'", a, moved), 0);
    T_OK(dt_project_open(&p, clone));
    T_EQ_INT(p->store_place, DT_STORE_MISSING);
    T_ASSERT(p->store == NULL);
    T_ERR(dt_project_need_store(p), DATOM_ENOTFOUND, recorded);
    T_ERR(dt_project_need_store(p), DATOM_ENOTFOUND, "make an empty one there");
    dt_project_free(p);
    char *url = NULL;
    T_ERR(dt_project_find_store_url(clone, &url), DATOM_ENOTFOUND, "git does not carry it");
    T_ASSERT(url == NULL);
    T_ASSERT(!dt_fs_exists(a));
    T_ASSERT(!exists_in(clone, ".datom/store"));

    /* another project made where the original was: its store is not the clone's */
    dt_project_init_opts o2 = {.name = "squatter", .author = AUTHOR};
    T_OK(dt_project_init(&p, a, &o2));
    dt_project_free(p);
    T_OK(dt_project_open(&p, clone));
    T_EQ_INT(p->store_place, DT_STORE_MISSING);
    T_ASSERT(p->store == NULL);
    T_ERR(dt_project_need_store(p), DATOM_ENOTFOUND, "holds the project squatter");
    dt_project_free(p);

    /* and an empty store of its own, made on purpose, is then its store */
    char *mine = dt_path_join(clone, ".datom/store");
    T_OK(dt_fs_mkdirs(mine, 0755));
    T_OK(dt_project_open(&p, clone));
    T_EQ_INT(p->store_place, DT_STORE_MOVED);
    T_OK(dt_project_need_store(p));
    dt_project_free(p);

    free(mine);
    free(recorded);
    free(clone);
    free(copy);
    free(moved);
    free(a);
}

/* A relative path made absolute by its text, as R's fs::path_abs does. */
static void test_path_absolute(void)
{
    static const char *const cases[][2] = {
        {"/a/b", "/a/b"},       {"/a/./b/", "/a/b"},   {"//a//b", "/a/b"}, {"/a/../b", "/b"},
        {"/..", "/"},           {"/", "/"},            {"/a/b/../../..", "/"},
        {"/x/.datom/store", "/x/.datom/store"},        {"/a/.hidden/..b", "/a/.hidden/..b"},
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(cases); i++) {
        char *got = dt_path_absolute(cases[i][0]);
        T_EQ_STR(got, cases[i][1]);
        free(got);
    }
    char *cwd = getcwd(NULL, 0);
    char *got = dt_path_absolute("x/../y/./z");
    char *want = dt_sprintf("%s/y/z", strcmp(cwd, "/") ? cwd : "");
    T_EQ_STR(got, want);
    free(want);
    free(got);
    got = dt_path_absolute(".");
    T_EQ_STR(got, cwd);
    free(got);
    free(cwd);
}

/* Plants a lock held by "HOST PID WHEN_MS", then tries to take it for 50 ms. */
static int lock_against(dt_project *p, const char *host, int pid, int64_t when)
{
    char *key = dt_project_key(p, ".locks/write");
    char *value = dt_sprintf("%s %d %" PRId64, host, pid, when);
    char ver[DATOM_REF_VERSION_MAX];
    T_OK(datom_store_ref_cas(p->store, key, NULL, value, strlen(value), ver));
    dt_wlock l;
    int rc = dt_wlock_acquire(p, &l, 50);
    if (rc == 0) { /* ours now: the ref names this process */
        void *got = NULL;
        size_t len = 0;
        T_OK(datom_store_ref_get(p->store, key, &got, &len, ver));
        char *mine = dt_sprintf(" %d ", (int)getpid());
        char *text = dt_strndup(got, len);
        T_ASSERT(strstr(text, mine) != NULL);
        free(text);
        free(mine);
        free(got);
        dt_wlock_release(p, &l);
        T_ERR(datom_store_ref_get(p->store, key, &got, &len, ver), DATOM_ENOTFOUND, "");
    } else {
        T_ASSERT(strstr(datom_errmsg(), "another write holds the lock") != NULL);
        dt_wlock_release(p, &l);
        T_OK(datom_store_ref_del(p->store, key, ver));
    }
    datom_errclear();
    free(value);
    free(key);
    return rc;
}

/* A pid that certainly belonged to a process that is gone. */
static int dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    T_ASSERT(pid > 0);
    T_EQ_INT(waitpid(pid, NULL, 0), pid);
    return (int)pid;
}

static void test_write_lock_takeover(void)
{
    char *store = dt_path_join(root, "lock-store");
    /* a bare handle on a writable store: the lock needs nothing else */
    dt_project *p = dt_calloc(1, sizeof *p);
    p->name = dt_strdup("locked");
    p->ns = dt_strdup("datom/");
    T_OK(datom_store_open(&p->store, store));
    char host[256] = "";
    T_ASSERT(gethostname(host, sizeof host - 1) == 0 && host[0]);
    int64_t now = dt_now_ms(), old = now - 10 * DT_WLOCK_STALE_MS;
    /* this host, a live holder: never broken, however old its lock
     * (getppid(): alive for the whole test, and not us) */
    T_EQ_INT(lock_against(p, host, (int)getppid(), old), DATOM_ELOCKED);
    T_EQ_INT(lock_against(p, host, (int)getppid(), now), DATOM_ELOCKED);
    /* this host, a dead holder: taken over, however young its lock */
    T_OK(lock_against(p, host, dead_pid(), now));
    T_OK(lock_against(p, host, dead_pid(), old));
    /* another host: the pid means nothing there; only the age counts */
    T_EQ_INT(lock_against(p, "elsewhere.example", dead_pid(), now), DATOM_ELOCKED);
    T_OK(lock_against(p, "elsewhere.example", (int)getppid(), old));
    /* a value this version cannot read: stale */
    char *key = dt_project_key(p, ".locks/write");
    char ver[DATOM_REF_VERSION_MAX];
    T_OK(datom_store_ref_cas(p->store, key, NULL, "garbage", 7, ver));
    dt_wlock l;
    T_OK(dt_wlock_acquire(p, &l, 50));
    dt_wlock_release(p, &l);
    free(key);
    dt_project_free(p);
    free(store);
}

int main(void)
{
    root = t_tmpdir("project");
    char *home = dt_path_join(root, "home");
    dt_fs_mkdirs(home, 0755);
    setenv("HOME", home, 1);
    setenv("XDG_CONFIG_HOME", home, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    T_RUN(test_init_layout);
    T_RUN(test_open_subdir_and_prefix);
    T_RUN(test_bad_yaml);
    T_RUN(test_config_round_trip);
    T_RUN(test_init_refusals);
    T_RUN(test_clone_round_trip);
    T_RUN(test_store_moves);
    T_RUN(test_path_absolute);
    T_RUN(test_write_lock_takeover);
    free(home);
    free(root);
    return t_done();
}
