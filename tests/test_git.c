/*
 * test_git.c: the git layer against real repositories and bare remotes in
 * temporary directories: commit and read back, identity, two clones racing
 * to push, rebase of disjoint changes, conflicts on the same file, and reads
 * that give the committed bytes only.
 */
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core.h"
#include "project/git.h"
#include "t.h"

static char *root;
static const dt_git_author alice = {"Alice", "alice@example.com"};
static const dt_git_author bob = {"Bob", "bob@example.com"};

static char *path_in(const char *dir, const char *rel) { return dt_path_join(dir, rel); }

static void write_file(const char *dir, const char *rel, const char *text)
{
    char *p = path_in(dir, rel);
    char *parent = dt_path_dirname(p);
    T_OK(dt_fs_mkdirs(parent, 0755));
    T_OK(dt_fs_write_atomic(p, text, strlen(text)));
    free(parent);
    free(p);
}

static char *read_at(dt_git *g, const char *commit, const char *rel)
{
    dt_buf b = DT_BUF_INIT;
    int rc = dt_git_read_file(g, commit, rel, &b);
    if (rc != 0) {
        dt_buf_free(&b);
        return NULL;
    }
    return dt_buf_detach(&b);
}

/* A bare repository on "main", as `git init --bare -b main` makes. */
static char *make_bare(const char *name)
{
    char *dir = path_in(root, name);
    git_libgit2_init();
    git_repository_init_options o;
    git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    o.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_BARE;
    o.initial_head = "main";
    git_repository *r;
    T_EQ_INT(git_repository_init_ext(&r, dir, &o), 0);
    git_repository_free(r);
    git_libgit2_shutdown();
    return dir;
}

static int commit1(dt_git *g, const char *rel, const char *text, const dt_git_author *a,
                   char id[41])
{
    write_file(dt_git_workdir(g), rel, text);
    const char *paths[] = {rel};
    return dt_git_commit(g, paths, 1, "test commit", a, id);
}

static void test_commit_read_back(void)
{
    char *dir = path_in(root, "w1");
    dt_git *g;
    T_OK(dt_git_init(&g, dir));
    char id[41], id2[41];
    T_ERR(dt_git_head(g, id), DATOM_ENOTFOUND, "no commit");
    T_ERR(dt_git_commit(g, NULL, 0, "empty", &alice, id), DATOM_EINVAL, "nothing to commit");
    write_file(dir, "a.txt", "one\n");
    write_file(dir, "sub/b.json", "{}\n");
    const char *paths[] = {"a.txt", "sub/b.json"};
    T_OK(dt_git_commit(g, paths, 2, "first", &alice, id));
    T_OK(dt_git_head(g, id2));
    T_EQ_STR(id, id2);
    char *s = read_at(g, NULL, "sub/b.json");
    T_EQ_STR(s, "{}\n");
    free(s);
    /* the same content again is nothing to commit */
    T_ERR(dt_git_commit(g, paths, 2, "again", &alice, id2), DATOM_EINVAL, "nothing to commit");
    /* change one, remove the other */
    write_file(dir, "a.txt", "two\n");
    char *b = path_in(dir, "sub/b.json");
    T_EQ_INT(unlink(b), 0);
    free(b);
    T_OK(dt_git_commit(g, paths, 2, "second", &bob, id2));
    s = read_at(g, id, "a.txt");
    T_EQ_STR(s, "one\n");
    free(s);
    s = read_at(g, id2, "a.txt");
    T_EQ_STR(s, "two\n");
    free(s);
    dt_buf buf = DT_BUF_INIT;
    T_ERR(dt_git_read_file(g, id2, "sub/b.json", &buf), DATOM_ENOTFOUND, "sub/b.json");
    /* reset hard to the first commit and back: files, index and branch follow */
    write_file(dir, "untracked.csv", "kept\n");
    T_OK(dt_git_reset_hard(g, id));
    char *back = path_in(dir, "a.txt"), *ub = path_in(dir, "sub/b.json");
    T_OK(dt_fs_read_all(back, &buf, 100));
    T_EQ_STR(dt_buf_cstr(&buf), "one\n");
    dt_buf_clear(&buf);
    T_ASSERT(dt_fs_exists(ub));
    char *untracked = path_in(dir, "untracked.csv");
    T_ASSERT(dt_fs_exists(untracked));
    free(untracked);
    char now[41];
    T_OK(dt_git_head(g, now));
    T_EQ_STR(now, id);
    T_OK(dt_git_reset_hard(g, id2));
    T_ASSERT(!dt_fs_exists(ub));
    free(ub);
    free(back);
    T_ERR(dt_git_reset_hard(g, "nosuchrev"), DATOM_ENOTFOUND, "nosuchrev");
    T_ERR(dt_git_read_file(g, "0123456789abcdef0123456789abcdef01234567", "a.txt", &buf),
          DATOM_ENOTFOUND, "no such commit");
    dt_buf_free(&buf);
    dt_git_free(g);

    /* reopen; the branch is main; git itself agrees about the author */
    T_OK(dt_git_open(&g, dir));
    s = read_at(g, "main", "a.txt");
    T_EQ_STR(s, "two\n");
    free(s);
    dt_git_free(g);
    T_ERR(dt_git_init(&g, dir), DATOM_EEXISTS, "already");
    char *cmd = dt_sprintf("cd '%s' && test \"$(git log -1 --format='%%an <%%ae>|%%s')\" = "
                           "'Bob <bob@example.com>|second'",
                           dir);
    T_EQ_INT(system(cmd), 0);
    free(cmd);
    free(dir);
}

static int collect(void *ctx, const dt_git_commit_info *c)
{
    dt_buf *b = ctx;
    dt_buf_printf(b, "%s|%s|%s;", c->author_name, c->message, strlen(c->id) == 40 ? "id" : "?");
    return 0;
}

static int stop_at_first(void *ctx, const dt_git_commit_info *c)
{
    (void)c;
    ++*(int *)ctx;
    return 42;
}

/* Two handles on one work tree, as two datom processes have: a commit made
 * through one is never undone by a commit through the other, whose view of
 * the index is older; a change staged by hand is not swept into a commit of
 * other paths; dt_git_changed and dt_git_index_reset see and undo leftovers. */
static void test_stale_handles(void)
{
    char *dir = path_in(root, "stale");
    dt_git *g1, *g2;
    char id[41];
    T_OK(dt_git_init(&g1, dir));
    T_OK(commit1(g1, "a.json", "a1\n", &alice, id));
    T_OK(dt_git_open(&g2, dir));
    char *s = read_at(g1, NULL, "a.json"); /* g1 loads the index now */
    free(s);
    T_OK(commit1(g2, "b.json", "b1\n", &bob, id));
    T_OK(commit1(g1, "a.json", "a2\n", &alice, id));
    s = read_at(g2, NULL, "b.json");
    T_EQ_STR(s, "b1\n");
    free(s);
    s = read_at(g2, NULL, "a.json");
    T_EQ_STR(s, "a2\n");
    free(s);
    dt_strv changed = DT_STRV_INIT;
    T_OK(dt_git_changed(g2, &changed));
    T_EQ_INT(changed.n, 0);
    /* a hand-staged file stays out of a commit of other paths */
    write_file(dir, "c.txt", "mine\n");
    char *cmd = dt_sprintf("git -C '%s' add c.txt", dir);
    T_EQ_INT(system(cmd), 0);
    free(cmd);
    T_OK(commit1(g2, "b.json", "b2\n", &bob, id));
    dt_buf b = DT_BUF_INIT;
    T_ERR(dt_git_read_file(g1, NULL, "c.txt", &b), DATOM_ENOTFOUND, "c.txt");
    /* leftovers: an edited file and a staged one are listed; the index follows HEAD again */
    write_file(dir, "a.json", "half written\n");
    T_OK(dt_git_changed(g1, &changed));
    T_EQ_INT(changed.n, 2);
    T_EQ_STR(changed.v[0], "a.json");
    T_EQ_STR(changed.v[1], "c.txt");
    const char *reset[] = {"c.txt"};
    T_OK(dt_git_index_reset(g1, reset, 1));
    dt_strv_free(&changed);
    T_OK(dt_git_changed(g1, &changed));
    T_EQ_INT(changed.n, 1);
    T_EQ_STR(changed.v[0], "a.json");
    dt_strv_free(&changed);
    dt_buf_free(&b);
    dt_git_free(g1);
    dt_git_free(g2);
    free(dir);
}

static void test_log(void)
{
    char *dir = path_in(root, "wlog");
    dt_git *g;
    T_OK(dt_git_init(&g, dir));
    dt_buf b = DT_BUF_INIT;
    T_OK(dt_git_log(g, NULL, collect, &b)); /* unborn: nothing */
    T_EQ_INT(b.len, 0);
    char id[41];
    T_OK(commit1(g, "a.json", "1", &alice, id));
    T_OK(commit1(g, "b.json", "1", &bob, id));
    T_OK(commit1(g, "a.json", "2", &bob, id));
    char *a = path_in(dir, "a.json");
    unlink(a);
    free(a);
    const char *paths[] = {"a.json"};
    T_OK(dt_git_commit(g, paths, 1, "drop a", &alice, id));
    T_OK(dt_git_log(g, "a.json", collect, &b));
    T_EQ_STR(dt_buf_cstr(&b), "Alice|drop a|id;Bob|test commit|id;Alice|test commit|id;");
    dt_buf_clear(&b);
    T_OK(dt_git_log(g, "b.json", collect, &b));
    T_EQ_STR(dt_buf_cstr(&b), "Bob|test commit|id;");
    dt_buf_clear(&b);
    T_OK(dt_git_log(g, NULL, collect, &b));
    T_ASSERT(strstr(dt_buf_cstr(&b), "Alice|drop a|id;Bob|test commit|id;Bob|") ==
             dt_buf_cstr(&b));
    int calls = 0;
    T_EQ_INT(dt_git_log(g, NULL, stop_at_first, &calls), 42);
    T_EQ_INT(calls, 1);
    dt_buf_free(&b);
    dt_git_free(g);
    free(dir);
}

static void test_author(void)
{
    char *dir = path_in(root, "w2");
    dt_git *g;
    T_OK(dt_git_init(&g, dir));
    dt_git_author a;
    T_OK(dt_git_author_resolve(g, "  Carol Q <carol@example.org> ", &a));
    T_EQ_STR(a.name, "Carol Q");
    T_EQ_STR(a.email, "carol@example.org");
    dt_git_author_free(&a);
    T_ERR(dt_git_author_resolve(g, "Carol", &a), DATOM_EINVAL, "Name <email>");
    T_ERR(dt_git_author_resolve(g, "<x@y>", &a), DATOM_EINVAL, "Name <email>");
    /* HOME is an empty temp dir: no identity anywhere */
    T_ERR(dt_git_author_resolve(g, NULL, &a), DATOM_EINVAL, "git config");
    T_ERR(dt_git_commit(g, NULL, 0, "x", NULL, NULL), DATOM_EINVAL, "--author");
    /* the repository's own configuration */
    char *cmd = dt_sprintf("cd '%s' && git config user.name 'Repo User' && "
                           "git config user.email repo@example.com",
                           dir);
    T_EQ_INT(system(cmd), 0);
    free(cmd);
    dt_git_free(g);
    T_OK(dt_git_open(&g, dir));
    T_OK(dt_git_author_resolve(g, NULL, &a));
    T_EQ_STR(a.name, "Repo User");
    T_EQ_STR(a.email, "repo@example.com");
    dt_git_author_free(&a);
    dt_git_free(g);
    free(dir);
}

static void test_remote_race_rebase(void)
{
    char *bare = make_bare("r1.git");
    char *url = dt_sprintf("file://%s", bare);
    char *d1 = path_in(root, "c1"), *d2 = path_in(root, "c2");
    dt_git *g1, *g2;
    char id[41];

    /* clone of an empty bare repository: unborn main */
    T_OK(dt_git_clone(&g1, url, d1));
    T_ERR(dt_git_head(g1, id), DATOM_ENOTFOUND, "no commit");
    char *u;
    T_OK(dt_git_remote_url(g1, &u));
    T_EQ_STR(u, url);
    free(u);
    T_OK(dt_git_pull(g1)); /* nothing there yet */
    T_OK(commit1(g1, "README.md", "hello\n", &alice, id));
    T_OK(dt_git_push(g1));

    /* a plain path works as a URL too */
    T_OK(dt_git_clone(&g2, bare, d2));
    char *s = read_at(g2, NULL, "README.md");
    T_EQ_STR(s, "hello\n");
    free(s);

    /* both write different files; the second pusher loses, pulls, wins */
    T_OK(commit1(g1, "t1/metadata.json", "{\"a\":1}\n", &alice, id));
    T_OK(commit1(g2, "t2/metadata.json", "{\"b\":2}\n", &bob, id));
    T_OK(dt_git_push(g1));
    T_ERR(dt_git_push(g2), DATOM_ECONFLICT, "pull");
    T_OK(dt_git_pull(g2));
    s = read_at(g2, NULL, "t1/metadata.json");
    T_EQ_STR(s, "{\"a\":1}\n");
    free(s);
    s = read_at(g2, NULL, "t2/metadata.json");
    T_EQ_STR(s, "{\"b\":2}\n");
    free(s);
    char *f = path_in(d2, "t1/metadata.json");
    T_ASSERT(dt_fs_exists(f)); /* checked out too */
    free(f);
    T_OK(dt_git_push(g2));

    /* the first clone fast-forwards */
    T_OK(dt_git_pull(g1));
    s = read_at(g1, NULL, "t2/metadata.json");
    T_EQ_STR(s, "{\"b\":2}\n");
    free(s);
    char h1[41], h2[41];
    T_OK(dt_git_head(g1, h1));
    T_OK(dt_git_head(g2, h2));
    T_EQ_STR(h1, h2);
    /* git itself sees a linear history of four commits */
    char *cmd = dt_sprintf("cd '%s' && test \"$(git rev-list --count HEAD)\" = 4 && "
                           "test \"$(git rev-list --merges --count HEAD)\" = 0 && "
                           "git status --porcelain | grep -q . && exit 1; exit 0",
                           d1);
    T_EQ_INT(system(cmd), 0);
    free(cmd);

    /* the same file on both sides: a conflict naming it, and nothing changed */
    T_OK(commit1(g1, "t1/metadata.json", "{\"a\":2}\n", &alice, id));
    T_OK(commit1(g2, "t1/metadata.json", "{\"a\":3}\n", &bob, h2));
    T_OK(dt_git_push(g1));
    T_ERR(dt_git_push(g2), DATOM_ECONFLICT, "");
    T_ERR(dt_git_pull(g2), DATOM_ECONFLICT, "t1/metadata.json");
    T_OK(dt_git_head(g2, h1));
    T_EQ_STR(h1, h2);
    s = read_at(g2, NULL, "t1/metadata.json");
    T_EQ_STR(s, "{\"a\":3}\n");
    free(s);

    dt_git_free(g1);
    dt_git_free(g2);
    free(d1);
    free(d2);
    free(url);
    free(bare);
}

/* The test's derived file: manifest.json lists the directories holding a
 * metadata.json, one a line, sorted; it never reads the old manifest. */
static int regen_manifest(void *ctx, const char *workdir)
{
    ++*(int *)ctx;
    dt_buf m = DT_BUF_INIT;
    const char *names[] = {"t1", "t2", "t3"};
    for (size_t i = 0; i < DT_ARRAY_LEN(names); i++) {
        char *rel = dt_sprintf("%s/metadata.json", names[i]);
        char *p = path_in(workdir, rel);
        if (dt_fs_exists(p))
            dt_buf_printf(&m, "%s\n", names[i]);
        free(p);
        free(rel);
    }
    char *mp = path_in(workdir, "manifest.json");
    int rc = dt_fs_write_atomic(mp, m.data, m.len);
    free(mp);
    dt_buf_free(&m);
    return rc;
}

static int regen_fails(void *ctx, const char *workdir)
{
    return dt_error(DATOM_EIO, "disk on fire");
}

static int commit2(dt_git *g, const char *table, const char *manifest, const dt_git_author *a)
{
    char *rel = dt_sprintf("%s/metadata.json", table);
    write_file(dt_git_workdir(g), rel, "{}\n");
    write_file(dt_git_workdir(g), "manifest.json", manifest);
    const char *paths[] = {rel, "manifest.json"};
    char id[41];
    int rc = dt_git_commit(g, paths, 2, table, a, id);
    free(rel);
    return rc;
}

static void test_pull_derived(void)
{
    char *bare = make_bare("r4.git");
    char *d1 = path_in(root, "e1"), *d2 = path_in(root, "e2");
    dt_git *g1, *g2;
    T_OK(dt_git_clone(&g1, bare, d1));
    T_OK(commit2(g1, "t1", "t1\n", &alice));
    T_OK(dt_git_push(g1));
    T_OK(dt_git_clone(&g2, bare, d2));
    /* two writers, two tables, one manifest */
    T_OK(commit2(g1, "t2", "t1\nt2\n", &alice));
    T_OK(commit2(g2, "t3", "t1\nt3\n", &bob));
    T_OK(dt_git_push(g1));
    T_ERR(dt_git_push(g2), DATOM_ECONFLICT, "pull");
    T_ERR(dt_git_pull(g2), DATOM_ECONFLICT, "manifest.json");
    const char *derived[] = {"manifest.json"};
    /* a failing rebuild aborts the pull and leaves the clone as it was */
    char before[41], after[41];
    T_OK(dt_git_head(g2, before));
    dt_git_derived broken = {derived, 1, regen_fails, NULL};
    T_ERR(dt_git_pull_derived(g2, &broken), DATOM_EIO, "rebuild derived files: disk on fire");
    T_OK(dt_git_head(g2, after));
    T_EQ_STR(before, after);
    char *clean = dt_sprintf("cd '%s' && test -z \"$(git status --porcelain)\" && "
                             "test ! -e .git/rebase-merge && test ! -e t2",
                             d2);
    T_EQ_INT(system(clean), 0);
    free(clean);
    int calls = 0;
    dt_git_derived d = {derived, 1, regen_manifest, &calls};
    T_OK(dt_git_pull_derived(g2, &d));
    T_EQ_INT(calls, 1);
    char *s = read_at(g2, NULL, "manifest.json");
    T_EQ_STR(s, "t1\nt2\nt3\n");
    free(s);
    s = read_at(g2, NULL, "t2/metadata.json");
    T_EQ_STR(s, "{}\n");
    free(s);
    char *cmd = dt_sprintf("cd '%s' && test -z \"$(git status --porcelain)\" && "
                           "test \"$(git log -1 --format='%%an|%%s')\" = 'Bob|t3' && "
                           "test \"$(git rev-list --count HEAD)\" = 3",
                           d2);
    T_EQ_INT(system(cmd), 0);
    free(cmd);
    T_OK(dt_git_push(g2));
    /* a real conflict still is one, derived files or not */
    T_OK(dt_git_pull(g1));
    T_OK(commit2(g1, "t3", "x\n", &alice));
    T_OK(commit2(g2, "t3", "y\n", &bob));
    write_file(d2, "t3/metadata.json", "{\"b\":1}\n");
    const char *p3[] = {"t3/metadata.json"};
    char id[41];
    T_OK(dt_git_commit(g2, p3, 1, "t3 again", &bob, id));
    write_file(d1, "t3/metadata.json", "{\"a\":1}\n");
    T_OK(dt_git_commit(g1, p3, 1, "t3 again", &alice, id));
    T_OK(dt_git_push(g1));
    T_ERR(dt_git_pull_derived(g2, &d), DATOM_ECONFLICT, "t3/metadata.json");
    dt_git_free(g1);
    dt_git_free(g2);
    free(d1);
    free(d2);
    free(bare);
}

static void test_remote_set(void)
{
    char *dir = path_in(root, "w3");
    dt_git *g;
    T_OK(dt_git_init(&g, dir));
    char *u;
    T_OK(dt_git_remote_url(g, &u));
    T_ASSERT(u == NULL);
    T_ERR(dt_git_push(g), DATOM_ENOTFOUND, "");
    char id[41];
    T_OK(commit1(g, "x", "1\n", &alice, id));
    T_ERR(dt_git_push(g), DATOM_ENOTFOUND, "origin");
    T_ERR(dt_git_pull(g), DATOM_ENOTFOUND, "origin");
    char *bare = make_bare("r3.git");
    T_OK(dt_git_remote_set(g, "/nowhere"));
    T_OK(dt_git_remote_set(g, bare));
    T_OK(dt_git_remote_url(g, &u));
    T_EQ_STR(u, bare);
    free(u);
    T_OK(dt_git_push(g));
    T_OK(dt_git_pull(g));
    T_OK(dt_git_remote_set(g, NULL));
    T_OK(dt_git_remote_url(g, &u));
    T_ASSERT(u == NULL);
    dt_git_free(g);
    T_ERR(dt_git_open(&g, root), DATOM_ENOTFOUND, "not a git repository");
    free(bare);
    free(dir);
}

/* dt_git_read_file gives the committed bytes whatever the work tree holds: its
 * copy is used only when it hashes to the committed blob, and an object whose
 * bytes do not hash to its id is refused. GOOD and OTHER have the same length;
 * in repository NAME. */
static void read_committed_case(const char *name, const char *good, const char *other)
{
    char *dir = path_in(root, name);
    dt_git *g;
    T_OK(dt_git_init(&g, dir));
    char id[41];
    T_OK(commit1(g, "d/a.json", good, &alice, id));
    char *s = read_at(g, NULL, "d/a.json"); /* the work tree's copy is the committed one */
    T_EQ_STR(s, good);
    free(s);
    /* once the index is younger than the copy (dated an hour ahead here), its
     * stat data vouch for the copy without hashing; an edit that keeps the
     * size and puts the mtime back still moves the ctime, and is not used */
    char *ipath = path_in(dir, ".git/index"), *apath = path_in(dir, "d/a.json");
    struct timespec later[2] = {{time(NULL) + 3600, 0}, {time(NULL) + 3600, 0}};
    T_EQ_INT(utimensat(AT_FDCWD, ipath, later, 0), 0);
    s = read_at(g, NULL, "d/a.json");
    T_EQ_STR(s, good);
    free(s);
    struct stat st;
    T_EQ_INT(stat(apath, &st), 0);
    FILE *f = fopen(apath, "r+"); /* in place: the same inode */
    T_ASSERT(f && fputs(other, f) >= 0 && fclose(f) == 0);
    struct timespec back[2] = {st.st_atim, st.st_mtim};
    T_EQ_INT(utimensat(AT_FDCWD, apath, back, 0), 0);
    s = read_at(g, NULL, "d/a.json");
    T_EQ_STR(s, good);
    free(s);
    free(ipath);
    free(apath);
    write_file(dir, "d/a.json", other); /* an interrupted edit, same size */
    s = read_at(g, NULL, "d/a.json");
    T_EQ_STR(s, good);
    free(s);
    write_file(dir, "d/a.json", "shorter\n");
    s = read_at(g, NULL, "d/a.json");
    T_EQ_STR(s, good);
    free(s);
    char *path = path_in(dir, "d/a.json");
    T_EQ_INT(unlink(path), 0);
    T_EQ_INT(mkfifo(path, 0644), 0); /* must not block */
    s = read_at(g, NULL, "d/a.json");
    T_EQ_STR(s, good);
    free(s);
    T_EQ_INT(unlink(path), 0);
    /* the object file of d/a.json replaced by that of OTHER (a valid zlib
     * stream of the same size, so only the id check can tell) */
    write_file(dir, "other.txt", other);
    char *cmd = dt_sprintf("cd '%s' && x=$(git hash-object -w other.txt) && "
                           "a=$(git rev-parse HEAD:d/a.json) && f=.git/objects/${a%%${a#??}}/${a#??} && "
                           "chmod u+w \"$f\" && cp .git/objects/${x%%${x#??}}/${x#??} \"$f\"",
                           dir);
    T_EQ_INT(system(cmd), 0);
    dt_buf b = DT_BUF_INIT;
    T_ERR(dt_git_read_file(g, NULL, "d/a.json", &b), DATOM_ECORRUPT, "does not hash to its id");
    T_ASSERT(b.len == 0);
    /* its work-tree copy, were it the bytes committed, is still good */
    write_file(dir, "d/a.json", good);
    T_OK(dt_git_read_file(g, NULL, "d/a.json", &b));
    T_EQ_STR((char *)b.data, good);
    dt_buf_free(&b);
    free(cmd);
    free(path);
    dt_git_free(g);
    free(dir);
}

static void test_read_committed_bytes(void)
{
    read_committed_case("w4", "committed\n", "COMMITTED\n");
    /* above 1 MiB the id is checked with OpenSSL's SHA-1, below with libgit2's */
    size_t n = (3u << 20) / 2;
    char *good = dt_malloc(n + 1), *other = dt_malloc(n + 1);
    memset(good, 'g', n);
    memcpy(other, good, n);
    other[n / 2] = 'o';
    good[n - 1] = other[n - 1] = '\n';
    good[n] = other[n] = '\0';
    read_committed_case("w5", good, other);
    free(good);
    free(other);
}

int main(void)
{
    root = t_tmpdir("git");
    char *home = dt_path_join(root, "home");
    T_OK(dt_fs_mkdirs(home, 0755));
    setenv("HOME", home, 1);
    setenv("XDG_CONFIG_HOME", home, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    unsetenv("GIT_AUTHOR_NAME");
    unsetenv("GIT_AUTHOR_EMAIL");
    unsetenv("GIT_COMMITTER_NAME");
    unsetenv("GIT_COMMITTER_EMAIL");
    T_RUN(test_commit_read_back);
    T_RUN(test_stale_handles);
    T_RUN(test_author);
    T_RUN(test_log);
    T_RUN(test_remote_race_rebase);
    T_RUN(test_pull_derived);
    T_RUN(test_remote_set);
    T_RUN(test_read_committed_bytes);
    free(home);
    free(root);
    return t_done();
}
