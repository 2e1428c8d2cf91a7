/*
 * git.c: the project's git repository over libgit2 (see git.h).
 *
 * Everything the project layer asks of git goes through here: make, open and
 * clone repositories, commit named files, read a file at a commit, and trade
 * with the remote "origin". libgit2 errors become DATOM_E* codes whose
 * messages say what was being done.
 *
 * Pull is deliberately strict: metadata files are JSON whose meaning a
 * textual merge cannot judge, so when the remote moved, local commits are
 * replayed (rebased) only if no file was changed on both sides; otherwise the
 * pull stops before touching anything and names the file (DATOM_ECONFLICT).
 */
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "project/git.h"

#define DT_GIT_DEFAULT_BRANCH "main"
#define DT_GIT_REMOTE "origin"

struct dt_git {
    git_repository *repo;
    char *workdir; /* no trailing slash */
};

/* Records the last libgit2 error as CODE, prefixed by WHAT. */
static int git_fail(int code, const char *what)
{
    const git_error *e = git_error_last();
    return dt_error(code, "%s: %s", what, e && e->message ? e->message : "git error");
}

/* Maps a libgit2 return code to ours. */
static int git_code(int rc)
{
    switch (rc) {
    case GIT_ENOTFOUND: return DATOM_ENOTFOUND;
    case GIT_EEXISTS: return DATOM_EEXISTS;
    case GIT_ENONFASTFORWARD:
    case GIT_ECONFLICT:
    case GIT_EMERGECONFLICT:
    case GIT_EUNMERGED: return DATOM_ECONFLICT;
    case GIT_ELOCKED: return DATOM_ELOCKED;
    case GIT_EAMBIGUOUS: return DATOM_EAMBIGUOUS;
    case GIT_EINVALIDSPEC:
    case GIT_EINVALID: return DATOM_EINVAL;
    default: return DATOM_EIO;
    }
}

static int check(int rc, const char *what)
{
    return rc < 0 ? git_fail(git_code(rc), what) : 0;
}

static dt_git *wrap(git_repository *repo)
{
    dt_git *g = dt_calloc(1, sizeof *g);
    g->repo = repo;
    const char *wd = git_repository_workdir(repo);
    g->workdir = dt_strdup(wd ? wd : git_repository_path(repo));
    size_t n = strlen(g->workdir);
    if (n > 1 && g->workdir[n - 1] == '/')
        g->workdir[n - 1] = '\0';
    return g;
}

int dt_git_init(dt_git **out, const char *dir)
{
    *out = NULL;
    char *dotgit = dt_path_join(dir, ".git");
    bool exists = dt_fs_exists(dotgit);
    free(dotgit);
    if (exists)
        return dt_error(DATOM_EEXISTS, "%s: already a git repository", dir);
    git_libgit2_init();
    git_repository_init_options o;
    git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    o.flags = GIT_REPOSITORY_INIT_MKPATH;
    o.initial_head = DT_GIT_DEFAULT_BRANCH;
    git_repository *repo;
    int rc = git_repository_init_ext(&repo, dir, &o);
    if (rc < 0) {
        rc = git_fail(git_code(rc), dir);
        git_libgit2_shutdown();
        return rc;
    }
    *out = wrap(repo);
    return 0;
}

int dt_git_open(dt_git **out, const char *dir)
{
    *out = NULL;
    git_libgit2_init();
    git_repository *repo;
    int rc = git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (rc < 0) {
        rc = rc == GIT_ENOTFOUND ? dt_error(DATOM_ENOTFOUND, "%s: not a git repository", dir)
                                 : git_fail(git_code(rc), dir);
        git_libgit2_shutdown();
        return rc;
    }
    *out = wrap(repo);
    return 0;
}

void dt_git_free(dt_git *g)
{
    if (!g)
        return;
    git_repository_free(g->repo);
    free(g->workdir);
    free(g);
    git_libgit2_shutdown();
}

const char *dt_git_workdir(const dt_git *g) { return g->workdir; }

/* ---- transport callbacks ---- */

/* Credentials for ssh remotes: the ssh agent, tried once (libgit2 asks again on failure). */
static int credentials_cb(git_credential **out, const char *url, const char *user,
                          unsigned int allowed, void *payload)
{
    int *tries = payload;
    if ((*tries)++ > 0)
        return GIT_PASSTHROUGH;
    if (allowed & GIT_CREDENTIAL_SSH_KEY)
        return git_credential_ssh_key_from_agent(out, user ? user : "git");
    if (allowed & GIT_CREDENTIAL_DEFAULT)
        return git_credential_default_new(out);
    return GIT_PASSTHROUGH;
}

struct push_state {
    int tries;
    char *rejected; /* "ref: reason" of the first refused ref */
};

static int push_ref_cb(const char *refname, const char *status, void *payload)
{
    struct push_state *ps = payload;
    if (status && !ps->rejected)
        ps->rejected = dt_sprintf("%s: %s", refname, status);
    return 0;
}

static void set_fetch_callbacks(git_remote_callbacks *cb, int *tries)
{
    cb->credentials = credentials_cb;
    cb->payload = tries;
}

/* The directory a local URL names (a plain path or file://), or NULL for a network URL. */
static const char *local_path(const char *url)
{
    if (!strncmp(url, "file://", 7))
        return url + 7;
    if (strstr(url, "://"))
        return NULL;
    const char *colon = strchr(url, ':'), *slash = strchr(url, '/');
    if (colon && (!slash || colon < slash)) /* scp-like host:path */
        return NULL;
    return url;
}

int dt_git_clone(dt_git **out, const char *url, const char *dir)
{
    *out = NULL;
    const char *local = local_path(url);
    if (local && !dt_fs_is_dir(local))
        return dt_error(DATOM_ENOTFOUND, "clone %s: no such repository", url);
    if (dt_fs_exists(dir)) {
        char *dotgit = dt_path_join(dir, ".git");
        bool exists = dt_fs_exists(dotgit);
        free(dotgit);
        if (exists)
            return dt_error(DATOM_EEXISTS, "%s: already a git repository", dir);
    }
    git_libgit2_init();
    int tries = 0;
    git_clone_options o;
    git_clone_options_init(&o, GIT_CLONE_OPTIONS_VERSION);
    o.checkout_opts.checkout_strategy = GIT_CHECKOUT_SAFE;
    set_fetch_callbacks(&o.fetch_opts.callbacks, &tries);
    git_repository *repo;
    int rc = git_clone(&repo, url, dir, &o);
    if (rc < 0) {
        char *what = dt_sprintf("clone %s", url);
        rc = git_fail(git_code(rc), what);
        free(what);
        git_libgit2_shutdown();
        return rc;
    }
    /* An empty remote gives an unborn HEAD on whatever default libgit2 chose:
     * datom's projects live on "main". */
    if (git_repository_head_unborn(repo) == 1)
        git_repository_set_head(repo, "refs/heads/" DT_GIT_DEFAULT_BRANCH);
    *out = wrap(repo);
    return 0;
}

/* ---- identity ---- */

void dt_git_author_free(dt_git_author *a)
{
    if (!a)
        return;
    free(a->name);
    free(a->email);
    a->name = a->email = NULL;
}

static char *trim_dup(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return dt_strndup(s, n);
}

static int author_parse(const char *spec, dt_git_author *out)
{
    const char *lt = strchr(spec, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    size_t tail = gt ? strspn(gt + 1, " \t") : 0;
    if (!lt || !gt || gt[1 + tail] != '\0' || strchr(lt + 1, '<'))
        return dt_error(DATOM_EINVAL, "author \"%s\": expected \"Name <email>\"", spec);
    char *name = trim_dup(spec, (size_t)(lt - spec));
    char *email = trim_dup(lt + 1, (size_t)(gt - lt - 1));
    if (!*name || !*email || !strchr(email, '@')) {
        free(name);
        free(email);
        return dt_error(DATOM_EINVAL, "author \"%s\": expected \"Name <email>\"", spec);
    }
    out->name = name;
    out->email = email;
    return 0;
}

/* user.NAME from the repository's configuration (repo, then global, then system). */
static char *config_get(git_config *cfg, const char *key)
{
    git_buf b = GIT_BUF_INIT;
    if (git_config_get_string_buf(&b, cfg, key) < 0 || !b.ptr || !*b.ptr) {
        git_buf_dispose(&b);
        git_error_clear();
        return NULL;
    }
    char *s = dt_strdup(b.ptr);
    git_buf_dispose(&b);
    return s;
}

int dt_git_author_resolve(dt_git *g, const char *spec, dt_git_author *out)
{
    out->name = out->email = NULL;
    if (spec)
        return author_parse(spec, out);
    git_config *cfg = NULL;
    if (git_repository_config_snapshot(&cfg, g->repo) < 0)
        return git_fail(DATOM_EIO, "read git configuration");
    out->name = config_get(cfg, "user.name");
    out->email = config_get(cfg, "user.email");
    git_config_free(cfg);
    if (out->name && out->email)
        return 0;
    dt_git_author_free(out);
    return dt_error(DATOM_EINVAL,
                    "no author: git's user.name and user.email are not set; set them with "
                    "`git config --global user.name \"Your Name\"` and "
                    "`git config --global user.email you@example.com`, or give "
                    "--author \"Name <email>\"");
}

/* ---- commits ---- */

int dt_git_head(dt_git *g, char commit_out[41])
{
    git_oid oid;
    int rc = git_reference_name_to_id(&oid, g->repo, "HEAD");
    if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH)
        return dt_error(DATOM_ENOTFOUND, "%s: no commit yet", g->workdir);
    if (rc < 0)
        return git_fail(git_code(rc), "read HEAD");
    git_oid_tostr(commit_out, 41, &oid);
    return 0;
}

/* Stages one path: a file or directory present in the work tree is added, a
 * missing one removed from the index. */
static int stage_path(dt_git *g, git_index *idx, const char *path)
{
    char *full = dt_path_join(g->workdir, path);
    struct stat st;
    bool present = lstat(full, &st) == 0;
    free(full);
    int rc;
    if (present && S_ISDIR(st.st_mode)) {
        char *spec = (char *)path;
        git_strarray ps = {&spec, 1};
        rc = git_index_add_all(idx, &ps, GIT_INDEX_ADD_DEFAULT, NULL, NULL);
        if (rc == 0)
            rc = git_index_update_all(idx, &ps, NULL, NULL);
    } else if (present) {
        rc = git_index_add_bypath(idx, path);
    } else {
        rc = git_index_remove_bypath(idx, path);
    }
    if (rc < 0) {
        char *what = dt_sprintf("stage %s", path);
        rc = git_fail(git_code(rc), what);
        free(what);
    }
    return rc;
}

/* The tree of HEAD's commit, NULL on an unborn branch. */
static int head_commit(dt_git *g, git_commit **out)
{
    *out = NULL;
    git_oid oid;
    int rc = git_reference_name_to_id(&oid, g->repo, "HEAD");
    if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
        git_error_clear();
        return 0;
    }
    if (rc < 0)
        return git_fail(git_code(rc), "read HEAD");
    return check(git_commit_lookup(out, g->repo, &oid), "read HEAD commit");
}

static int make_signature(const dt_git_author *a, git_signature **out)
{
    if (git_signature_now(out, a->name, a->email) < 0)
        return git_fail(DATOM_EINVAL, "author");
    return 0;
}

int dt_git_commit(dt_git *g, const char *const *paths, size_t n_paths, const char *message,
                  const dt_git_author *author, char commit_out[41])
{
    dt_git_author own = {NULL, NULL};
    git_index *idx = NULL;
    git_commit *parent = NULL;
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    int rc = 0;
    if (!author) {
        if ((rc = dt_git_author_resolve(g, NULL, &own)) != 0)
            return rc;
        author = &own;
    }
    if ((rc = make_signature(author, &sig)) != 0)
        goto out;
    if ((rc = check(git_repository_index(&idx, g->repo), "open index")) != 0)
        goto out;
    for (size_t i = 0; i < n_paths && rc == 0; i++)
        rc = stage_path(g, idx, paths[i]);
    if (rc != 0)
        goto out;
    git_oid tree_oid, oid;
    if ((rc = check(git_index_write(idx), "write index")) != 0 ||
        (rc = check(git_index_write_tree(&tree_oid, idx), "write tree")) != 0 ||
        (rc = head_commit(g, &parent)) != 0)
        goto out;
    bool same = parent ? git_oid_equal(&tree_oid, git_commit_tree_id(parent))
                       : git_index_entrycount(idx) == 0;
    if (same) {
        rc = dt_error(DATOM_EINVAL, "%s: nothing to commit", g->workdir);
        goto out;
    }
    if ((rc = check(git_tree_lookup(&tree, g->repo, &tree_oid), "read tree")) != 0)
        goto out;
    const git_commit *parents[1] = {parent};
    rc = check(git_commit_create(&oid, g->repo, "HEAD", sig, sig, NULL, message, tree,
                                 parent ? 1 : 0, parents),
               "commit");
    if (rc == 0 && commit_out)
        git_oid_tostr(commit_out, 41, &oid);
out:
    if (rc != 0 && idx)
        git_index_read(idx, 1); /* drop a half-staged change kept in memory */
    git_tree_free(tree);
    git_commit_free(parent);
    git_index_free(idx);
    git_signature_free(sig);
    dt_git_author_free(&own);
    return rc;
}

int dt_git_reset_hard(dt_git *g, const char *commit)
{
    git_object *obj = NULL;
    int rc = git_revparse_single(&obj, g->repo, commit);
    if (rc < 0) {
        rc = rc == GIT_ENOTFOUND ? dt_error(DATOM_ENOTFOUND, "%s: no such commit", commit)
                                 : git_fail(git_code(rc), commit);
    } else {
        char *what = dt_sprintf("reset %s to %.12s", g->workdir, commit);
        rc = check(git_reset(g->repo, obj, GIT_RESET_HARD, NULL), what);
        free(what);
    }
    git_object_free(obj);
    return rc;
}

int dt_git_read_file(dt_git *g, const char *commit, const char *path, dt_buf *out)
{
    git_object *obj = NULL;
    git_commit *c = NULL;
    git_tree *tree = NULL;
    git_tree_entry *ent = NULL;
    git_blob *blob = NULL;
    const char *spec = commit ? commit : "HEAD";
    int rc = git_revparse_single(&obj, g->repo, spec);
    if (rc < 0) {
        rc = rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH
                 ? dt_error(DATOM_ENOTFOUND, "%s: no such commit", spec)
                 : git_fail(git_code(rc), spec);
        goto out;
    }
    if (git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0) {
        rc = dt_error(DATOM_EINVAL, "%s: not a commit", spec);
        goto out;
    }
    if ((rc = check(git_commit_tree(&tree, c), "read tree")) != 0)
        goto out;
    if (git_tree_entry_bypath(&ent, tree, path) < 0 ||
        git_tree_entry_type(ent) != GIT_OBJECT_BLOB) {
        rc = dt_error(DATOM_ENOTFOUND, "%s: not in commit %s", path, spec);
        goto out;
    }
    if ((rc = check(git_blob_lookup(&blob, g->repo, git_tree_entry_id(ent)), path)) != 0)
        goto out;
    dt_buf_append(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
out:
    git_error_clear();
    git_blob_free(blob);
    git_tree_entry_free(ent);
    git_tree_free(tree);
    git_commit_free(c);
    git_object_free(obj);
    return rc;
}

/* ---- what a commit changed ---- */

/* The id of PATH in COMMIT's tree; false when absent. */
static bool path_id(const git_commit *c, const char *path, git_oid *out)
{
    git_tree *tree = NULL;
    git_tree_entry *e = NULL;
    bool found = git_commit_tree(&tree, c) == 0 && git_tree_entry_bypath(&e, tree, path) == 0;
    if (found)
        git_oid_cpy(out, git_tree_entry_id(e));
    git_tree_entry_free(e);
    git_tree_free(tree);
    git_error_clear();
    return found;
}

/* Whether C changed PATH against its first parent. */
static bool touches(const git_commit *c, const char *path)
{
    git_oid mine, theirs;
    bool here = path_id(c, path, &mine);
    git_commit *parent = NULL;
    if (git_commit_parentcount(c) == 0 || git_commit_parent(&parent, c, 0) != 0) {
        git_error_clear();
        return here;
    }
    bool there = path_id(parent, path, &theirs);
    git_commit_free(parent);
    return here != there || (here && !git_oid_equal(&mine, &theirs));
}

/* ---- the remote ---- */

int dt_git_remote_set(dt_git *g, const char *url)
{
    git_remote *r = NULL;
    int rc = git_remote_lookup(&r, g->repo, DT_GIT_REMOTE);
    git_remote_free(r);
    if (rc < 0 && rc != GIT_ENOTFOUND)
        return git_fail(git_code(rc), "read remote origin");
    if (!url)
        return rc == GIT_ENOTFOUND ? 0
                                   : check(git_remote_delete(g->repo, DT_GIT_REMOTE), "remove origin");
    if (rc == GIT_ENOTFOUND) {
        git_error_clear();
        rc = git_remote_create(&r, g->repo, DT_GIT_REMOTE, url);
        git_remote_free(r);
    } else {
        rc = git_remote_set_url(g->repo, DT_GIT_REMOTE, url);
    }
    return check(rc, "set remote origin");
}

int dt_git_remote_url(dt_git *g, char **url_out)
{
    *url_out = NULL;
    git_remote *r = NULL;
    int rc = git_remote_lookup(&r, g->repo, DT_GIT_REMOTE);
    if (rc == GIT_ENOTFOUND) {
        git_error_clear();
        return 0;
    }
    if (rc < 0)
        return git_fail(git_code(rc), "read remote origin");
    const char *url = git_remote_url(r);
    *url_out = url ? dt_strdup(url) : NULL;
    git_remote_free(r);
    return 0;
}

static int origin(dt_git *g, git_remote **out)
{
    int rc = git_remote_lookup(out, g->repo, DT_GIT_REMOTE);
    if (rc == GIT_ENOTFOUND)
        return dt_error(DATOM_ENOTFOUND, "%s: no remote \"origin\" (set one with --remote)",
                        g->workdir);
    return check(rc, "read remote origin");
}

/* The current branch's short name ("main"), from HEAD even when unborn. */
static int current_branch(dt_git *g, char **out)
{
    git_reference *head = NULL;
    int rc = git_reference_lookup(&head, g->repo, "HEAD");
    if (rc < 0)
        return git_fail(git_code(rc), "read HEAD");
    const char *target = git_reference_symbolic_target(head);
    if (!target || strncmp(target, "refs/heads/", 11)) {
        git_reference_free(head);
        return dt_error(DATOM_EINVAL, "%s: HEAD is not on a branch", g->workdir);
    }
    *out = dt_strdup(target + 11);
    git_reference_free(head);
    return 0;
}

static int fetch(dt_git *g)
{
    git_remote *r = NULL;
    int rc = origin(g, &r);
    if (rc != 0)
        return rc;
    int tries = 0;
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    set_fetch_callbacks(&fo.callbacks, &tries);
    rc = git_remote_fetch(r, NULL, &fo, "datom pull: fetch");
    if (rc < 0) {
        char *what = dt_sprintf("fetch %s", git_remote_url(r));
        rc = git_fail(git_code(rc), what);
        free(what);
    }
    git_remote_free(r);
    return rc;
}

/* Moves the branch to TARGET (checking out its tree): a fast-forward, or the
 * first checkout of a branch that was unborn. */
static int fast_forward(dt_git *g, const char *branch, const git_oid *target)
{
    git_object *obj = NULL;
    git_reference *ref = NULL, *moved = NULL;
    char *refname = dt_sprintf("refs/heads/%s", branch);
    int rc = check(git_object_lookup(&obj, g->repo, target, GIT_OBJECT_COMMIT), "read commit");
    if (rc == 0) {
        git_checkout_options co;
    git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
        co.checkout_strategy = GIT_CHECKOUT_SAFE;
        rc = git_checkout_tree(g->repo, obj, &co);
        if (rc < 0)
            rc = git_fail(git_code(rc), "pull: check out the remote's files");
    }
    if (rc == 0) {
        int lr = git_reference_lookup(&ref, g->repo, refname);
        if (lr == 0)
            lr = git_reference_set_target(&moved, ref, target, "datom pull: fast-forward");
        else if (lr == GIT_ENOTFOUND)
            lr = git_reference_create(&moved, g->repo, refname, target, 0, "datom pull");
        rc = check(lr, "pull: move the branch");
    }
    git_reference_free(moved);
    git_reference_free(ref);
    git_object_free(obj);
    free(refname);
    return rc;
}

/* The paths changed between two commits' trees, sorted. */
static int changed_paths(dt_git *g, const git_oid *from, const git_oid *to, dt_strv *out)
{
    git_commit *a = NULL, *b = NULL;
    git_tree *ta = NULL, *tb = NULL;
    git_diff *diff = NULL;
    int rc = check(git_commit_lookup(&a, g->repo, from), "read commit");
    if (rc == 0)
        rc = check(git_commit_lookup(&b, g->repo, to), "read commit");
    if (rc == 0)
        rc = check(git_commit_tree(&ta, a), "read tree");
    if (rc == 0)
        rc = check(git_commit_tree(&tb, b), "read tree");
    if (rc == 0)
        rc = check(git_diff_tree_to_tree(&diff, g->repo, ta, tb, NULL), "diff");
    for (size_t i = 0; rc == 0 && i < git_diff_num_deltas(diff); i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        dt_strv_push(out, d->new_file.path ? d->new_file.path : d->old_file.path);
        if (d->old_file.path && d->new_file.path && strcmp(d->old_file.path, d->new_file.path))
            dt_strv_push(out, d->old_file.path);
    }
    dt_strv_sort(out);
    git_diff_free(diff);
    git_tree_free(ta);
    git_tree_free(tb);
    git_commit_free(a);
    git_commit_free(b);
    return rc;
}

static bool sorted_has(const dt_strv *s, const char *x)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->v[mid], x);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static bool is_derived(const dt_git_derived *d, const char *path)
{
    for (size_t i = 0; d && i < d->n; i++)
        if (!strcmp(d->paths[i], path))
            return true;
    return false;
}

/* Refuses (DATOM_ECONFLICT) when a file changed both locally and upstream since
 * BASE; derived files do not count (they are rebuilt). */
static int check_disjoint(dt_git *g, const git_oid *base, const git_oid *local,
                          const git_oid *upstream, const dt_git_derived *d)
{
    dt_strv mine = DT_STRV_INIT, theirs = DT_STRV_INIT;
    dt_buf both = DT_BUF_INIT;
    int rc = changed_paths(g, base, local, &mine);
    if (rc == 0)
        rc = changed_paths(g, base, upstream, &theirs);
    for (size_t i = 0; rc == 0 && i < mine.n; i++)
        if (sorted_has(&theirs, mine.v[i]) && !is_derived(d, mine.v[i]))
            dt_buf_printf(&both, "%s%s", both.len ? ", " : "", mine.v[i]);
    if (rc == 0 && both.len)
        rc = dt_error(DATOM_ECONFLICT,
                      "pull: %s changed both here and on the remote; nothing was changed "
                      "locally (resolve with git, then retry)",
                      dt_buf_cstr(&both));
    dt_buf_free(&both);
    dt_strv_free(&mine);
    dt_strv_free(&theirs);
    return rc;
}

/* The first conflicted path in the index that is not derived (caller frees), or NULL. */
static char *first_conflict(git_repository *repo, const dt_git_derived *d)
{
    git_index *idx = NULL;
    git_index_conflict_iterator *it = NULL;
    const git_index_entry *anc, *ours, *theirs;
    char *path = NULL;
    if (git_repository_index(&idx, repo) == 0 && git_index_has_conflicts(idx) &&
        git_index_conflict_iterator_new(&it, idx) == 0) {
        while (!path && git_index_conflict_next(&anc, &ours, &theirs, it) == 0) {
            const git_index_entry *e = ours ? ours : theirs ? theirs : anc;
            if (!is_derived(d, e->path))
                path = dt_strdup(e->path);
        }
    }
    git_index_conflict_iterator_free(it);
    git_index_free(idx);
    return path;
}

/* Rebuilds the derived files in the work tree and stages them (which also
 * settles any conflict git saw in them). */
static int regen_derived(dt_git *g, const dt_git_derived *d)
{
    int rc = d->regen(d->ctx, g->workdir);
    if (rc != 0)
        return dt_error_wrap("pull: rebuild derived files");
    git_index *idx = NULL;
    if ((rc = check(git_repository_index(&idx, g->repo), "open index")) != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < d->n; i++) {
        git_index_conflict_remove(idx, d->paths[i]);
        git_error_clear();
        rc = stage_path(g, idx, d->paths[i]);
    }
    if (rc == 0)
        rc = check(git_index_write(idx), "write index");
    git_index_free(idx);
    return rc;
}

/* Commits one replayed operation. The replayed commit keeps its author; its
 * committer is the original one, at the time of the replay. */
static int replay_one(dt_git *g, git_rebase *rb, const git_rebase_operation *op,
                      const dt_git_derived *d, git_signature **finisher)
{
    char *path = first_conflict(g->repo, d);
    if (path) {
        int rc = dt_error(DATOM_ECONFLICT, "pull: %s changed both here and on the remote", path);
        free(path);
        return rc;
    }
    git_commit *orig = NULL;
    git_signature *committer = NULL;
    int rc = check(git_commit_lookup(&orig, g->repo, &op->id), "pull: read local commit");
    bool regen = false;
    for (size_t i = 0; rc == 0 && d && i < d->n && !regen; i++)
        regen = touches(orig, d->paths[i]);
    if (rc == 0 && regen)
        rc = regen_derived(g, d);
    if (rc == 0) {
        const git_signature *c = git_commit_committer(orig);
        rc = check(git_signature_now(&committer, c->name, c->email), "pull: committer");
    }
    if (rc == 0 && !*finisher)
        rc = check(git_signature_dup(finisher, committer), "pull: committer");
    git_oid id;
    if (rc == 0) {
        int cr = git_rebase_commit(&id, rb, NULL, committer, NULL, NULL);
        if (cr < 0 && cr != GIT_EAPPLIED)
            rc = git_fail(git_code(cr), "pull: replay a local commit");
        git_error_clear();
    }
    git_signature_free(committer);
    git_commit_free(orig);
    return rc;
}

/* Replays the local commits on top of UPSTREAM; aborts cleanly on any trouble. */
static int rebase_onto(dt_git *g, const git_oid *upstream, const dt_git_derived *d)
{
    git_annotated_commit *up = NULL;
    git_rebase *rb = NULL;
    git_rebase_operation *op;
    git_signature *finisher = NULL;
    int rc = check(git_annotated_commit_lookup(&up, g->repo, upstream), "pull: read upstream");
    if (rc != 0)
        return rc;
    git_rebase_options ro;
    git_rebase_options_init(&ro, GIT_REBASE_OPTIONS_VERSION);
    ro.checkout_options.checkout_strategy = GIT_CHECKOUT_SAFE;
    rc = git_rebase_init(&rb, g->repo, NULL, up, NULL, &ro);
    if (rc < 0) {
        rc = git_fail(git_code(rc), "pull: rebase local commits");
        goto out;
    }
    int step;
    while ((step = git_rebase_next(&op, rb)) == 0)
        if ((rc = replay_one(g, rb, op, d, &finisher)) != 0)
            break;
    if (rc == 0 && step != GIT_ITEROVER)
        rc = git_fail(git_code(step), "pull: rebase");
    if (rc == 0)
        rc = check(git_rebase_finish(rb, finisher), "pull: finish rebase");
    else
        git_rebase_abort(rb);
out:
    git_signature_free(finisher);
    git_rebase_free(rb);
    git_annotated_commit_free(up);
    return rc;
}

int dt_git_pull(dt_git *g) { return dt_git_pull_derived(g, NULL); }

int dt_git_pull_derived(dt_git *g, const dt_git_derived *d)
{
    char *branch = NULL;
    int rc = current_branch(g, &branch);
    if (rc == 0)
        rc = fetch(g);
    if (rc != 0)
        goto out;
    char *upref = dt_sprintf("refs/remotes/" DT_GIT_REMOTE "/%s", branch);
    git_oid up, local, base;
    int ur = git_reference_name_to_id(&up, g->repo, upref);
    free(upref);
    if (ur == GIT_ENOTFOUND) { /* the remote has no such branch yet: nothing to take */
        git_error_clear();
        goto out;
    }
    if ((rc = check(ur, "pull: read the remote branch")) != 0)
        goto out;
    int hr = git_reference_name_to_id(&local, g->repo, "HEAD");
    if (hr == GIT_ENOTFOUND || hr == GIT_EUNBORNBRANCH) {
        git_error_clear();
        rc = fast_forward(g, branch, &up);
        goto out;
    }
    if ((rc = check(hr, "pull: read HEAD")) != 0)
        goto out;
    if (git_oid_equal(&local, &up))
        goto out;
    int br = git_merge_base(&base, g->repo, &local, &up);
    if (br == GIT_ENOTFOUND) {
        rc = dt_error(DATOM_ECONFLICT, "pull: %s and origin/%s share no history", branch, branch);
        goto out;
    }
    if ((rc = check(br, "pull: find the merge base")) != 0)
        goto out;
    if (git_oid_equal(&base, &up)) /* only local commits: nothing to take */
        goto out;
    if (git_oid_equal(&base, &local))
        rc = fast_forward(g, branch, &up);
    else if ((rc = check_disjoint(g, &base, &local, &up, d)) == 0)
        rc = rebase_onto(g, &up, d);
out:
    free(branch);
    return rc;
}

int dt_git_push(dt_git *g)
{
    char *branch = NULL;
    git_remote *r = NULL;
    char head[41];
    int rc = dt_git_head(g, head);
    if (rc != 0)
        return dt_error_wrap("push");
    if ((rc = current_branch(g, &branch)) != 0 || (rc = origin(g, &r)) != 0)
        goto out;
    char *spec = dt_sprintf("refs/heads/%s:refs/heads/%s", branch, branch);
    git_strarray specs = {&spec, 1};
    struct push_state ps = {0, NULL};
    git_push_options po;
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    po.callbacks.credentials = credentials_cb;
    po.callbacks.push_update_reference = push_ref_cb;
    po.callbacks.payload = &ps;
    /* credentials_cb counts tries through the payload's first int */
    int pr = git_remote_push(r, &specs, &po);
    free(spec);
    if (pr == GIT_ENONFASTFORWARD || (pr == 0 && ps.rejected))
        rc = dt_error(DATOM_ECONFLICT,
                      "push to %s: the remote has commits this clone does not (%s); pull, "
                      "then push again",
                      git_remote_url(r), ps.rejected ? ps.rejected : "non-fast-forward");
    else if (pr < 0) {
        char *what = dt_sprintf("push to %s", git_remote_url(r));
        rc = git_fail(git_code(pr), what);
        free(what);
    }
    free(ps.rejected);
out:
    git_remote_free(r);
    free(branch);
    return rc;
}

/* ---- history ---- */

int dt_git_log(dt_git *g, const char *path, dt_git_log_fn fn, void *ctx)
{
    git_commit *head = NULL;
    int rc = head_commit(g, &head);
    if (rc != 0 || !head)
        return rc;
    git_revwalk *walk = NULL;
    rc = check(git_revwalk_new(&walk, g->repo), "walk history");
    if (rc == 0) {
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
        rc = check(git_revwalk_push(walk, git_commit_id(head)), "walk history");
    }
    git_oid oid;
    while (rc == 0 && git_revwalk_next(&oid, walk) == 0) {
        git_commit *c = NULL;
        if ((rc = check(git_commit_lookup(&c, g->repo, &oid), "read commit")) != 0)
            break;
        if (!path || touches(c, path)) {
            const git_signature *a = git_commit_author(c);
            dt_git_commit_info info = {.author_name = a->name, .author_email = a->email,
                                       .time = (int64_t)a->when.time,
                                       .message = git_commit_message(c)};
            git_oid_tostr(info.id, sizeof info.id, &oid);
            rc = fn(ctx, &info);
        }
        git_commit_free(c);
    }
    git_error_clear();
    git_revwalk_free(walk);
    git_commit_free(head);
    return rc;
}
