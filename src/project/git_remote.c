/*
 * git_remote.c: the git layer's remote side (see git.h): clone, the remote
 * "origin", fetch, pull and push.
 *
 * Pull is deliberately strict: metadata files are JSON whose meaning a
 * textual merge cannot judge, so when the remote moved, local commits are
 * replayed (rebased) only if no file was changed on both sides; otherwise the
 * pull stops before touching anything and names the file (DATOM_ECONFLICT).
 * Files derived from the others (the manifest) can be exempted: they are
 * rebuilt by the caller while the local commits are replayed.
 */
#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "project/git_internal.h"

/* ---- transport callbacks ---- */

/* The payload of a push's callbacks; credentials first (git_cred.c reads it). */
struct push_state {
    dt_git_cred_state cred;
    char *rejected; /* "ref: reason" of the first refused ref */
};

static int push_ref_cb(const char *refname, const char *status, void *payload)
{
    struct push_state *ps = payload;
    if (status && !ps->rejected)
        ps->rejected = dt_sprintf("%s: %s", refname, status);
    return 0;
}

static void set_fetch_callbacks(git_remote_callbacks *cb, dt_git_cred_state *cred)
{
    cb->credentials = dt_git_credentials_cb;
    cb->payload = cred;
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

/* A local remote that is not there: said plainly (libgit2 calls a missing
 * path an "unsupported URL protocol"). An unreachable remote is an i/o
 * failure for fetch and push; clone says "not found" of the URL it was given. */
static int local_remote_check(const char *verb, const char *url)
{
    const char *local = local_path(url);
    if (local && !dt_fs_is_dir(local))
        return dt_error(DATOM_EIO, "%s %s: no such repository (%s is not a directory)", verb,
                        url, local);
    return 0;
}

static int clone_into(dt_git **out, const char *url, const char *dir, const dt_git_cred *given)
{
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
    dt_git_startup();
    dt_git_cred_state cred = {.given = given};
    git_clone_options o;
    git_clone_options_init(&o, GIT_CLONE_OPTIONS_VERSION);
    o.checkout_opts.checkout_strategy = GIT_CHECKOUT_SAFE;
    set_fetch_callbacks(&o.fetch_opts.callbacks, &cred);
    git_repository *repo;
    int rc = git_clone(&repo, url, dir, &o);
    if (rc < 0) {
        char *what = dt_sprintf("clone %s", url);
        rc = dt_git_fail(dt_git_code(rc), what);
        free(what);
        git_libgit2_shutdown();
        return rc;
    }
    /* An empty remote gives an unborn HEAD on whatever default libgit2 chose:
     * datom's projects live on "main". */
    if (git_repository_head_unborn(repo) == 1)
        git_repository_set_head(repo, "refs/heads/" DT_GIT_DEFAULT_BRANCH);
    *out = dt_git_wrap(repo);
    return 0;
}

int dt_git_clone(dt_git **out, const char *url_given, const char *dir)
{
    *out = NULL;
    /* Credentials in the URL serve this clone only: origin is written without them. */
    dt_git_cred given = {NULL, NULL};
    char *url = dt_url_strip_userinfo(url_given, &given.user, &given.pass);
    int rc = clone_into(out, url, dir, &given);
    free(url);
    if (rc == 0)
        (*out)->given = given;
    else
        dt_git_cred_clear(&given);
    return rc;
}

/* ---- the remote ---- */

static int remote_set(dt_git *g, const char *url)
{
    git_remote *r = NULL;
    int rc = git_remote_lookup(&r, g->repo, DT_GIT_REMOTE);
    git_remote_free(r);
    if (rc < 0 && rc != GIT_ENOTFOUND)
        return dt_git_fail(dt_git_code(rc), "read remote origin");
    if (!url)
        return rc == GIT_ENOTFOUND ? 0
                                   : dt_git_check(git_remote_delete(g->repo, DT_GIT_REMOTE), "remove origin");
    if (rc == GIT_ENOTFOUND) {
        git_error_clear();
        rc = git_remote_create(&r, g->repo, DT_GIT_REMOTE, url);
        git_remote_free(r);
    } else {
        rc = git_remote_set_url(g->repo, DT_GIT_REMOTE, url);
    }
    return dt_git_check(rc, "set remote origin");
}

int dt_git_remote_set(dt_git *g, const char *url_given)
{
    /* Credentials in the URL serve this process only: origin is written without them. */
    char *url = NULL;
    if (url_given) {
        dt_git_cred_clear(&g->given);
        url = dt_url_strip_userinfo(url_given, &g->given.user, &g->given.pass);
    }
    int rc = remote_set(g, url);
    free(url);
    return rc;
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
        return dt_git_fail(dt_git_code(rc), "read remote origin");
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
    return dt_git_check(rc, "read remote origin");
}

/* The current branch's short name ("main"), from HEAD even when unborn. */
static int current_branch(dt_git *g, char **out)
{
    git_reference *head = NULL;
    int rc = git_reference_lookup(&head, g->repo, "HEAD");
    if (rc < 0)
        return dt_git_fail(dt_git_code(rc), "read HEAD");
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
    if ((rc = local_remote_check("fetch", git_remote_url(r))) != 0) {
        git_remote_free(r);
        return rc;
    }
    dt_git_cred_state cred = {.given = &g->given};
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    set_fetch_callbacks(&fo.callbacks, &cred);
    rc = git_remote_fetch(r, NULL, &fo, "datom pull: fetch");
    if (rc < 0) {
        char *what = dt_sprintf("fetch %s", git_remote_url(r));
        rc = dt_git_fail(dt_git_code(rc), what);
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
    int rc = dt_git_check(git_object_lookup(&obj, g->repo, target, GIT_OBJECT_COMMIT), "read commit");
    if (rc == 0) {
        git_checkout_options co;
    git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
        co.checkout_strategy = GIT_CHECKOUT_SAFE;
        rc = git_checkout_tree(g->repo, obj, &co);
        if (rc < 0)
            rc = dt_git_fail(dt_git_code(rc), "pull: check out the remote's files");
    }
    if (rc == 0) {
        int lr = git_reference_lookup(&ref, g->repo, refname);
        if (lr == 0)
            lr = git_reference_set_target(&moved, ref, target, "datom pull: fast-forward");
        else if (lr == GIT_ENOTFOUND)
            lr = git_reference_create(&moved, g->repo, refname, target, 0, "datom pull");
        rc = dt_git_check(lr, "pull: move the branch");
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
    int rc = dt_git_check(git_commit_lookup(&a, g->repo, from), "read commit");
    if (rc == 0)
        rc = dt_git_check(git_commit_lookup(&b, g->repo, to), "read commit");
    if (rc == 0)
        rc = dt_git_check(git_commit_tree(&ta, a), "read tree");
    if (rc == 0)
        rc = dt_git_check(git_commit_tree(&tb, b), "read tree");
    if (rc == 0)
        rc = dt_git_check(git_diff_tree_to_tree(&diff, g->repo, ta, tb, NULL), "diff");
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
    if ((rc = dt_git_check(git_repository_index(&idx, g->repo), "open index")) != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < d->n; i++) {
        git_index_conflict_remove(idx, d->paths[i]);
        git_error_clear();
        rc = dt_git_stage(g, idx, d->paths[i]);
    }
    if (rc == 0)
        rc = dt_git_check(git_index_write(idx), "write index");
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
    int rc = dt_git_check(git_commit_lookup(&orig, g->repo, &op->id), "pull: read local commit");
    bool regen = false;
    for (size_t i = 0; rc == 0 && d && i < d->n && !regen; i++)
        regen = dt_git_touches(orig, d->paths[i]);
    if (rc == 0 && regen)
        rc = regen_derived(g, d);
    if (rc == 0) {
        const git_signature *c = git_commit_committer(orig);
        rc = dt_git_check(git_signature_now(&committer, c->name, c->email), "pull: committer");
    }
    if (rc == 0 && !*finisher)
        rc = dt_git_check(git_signature_dup(finisher, committer), "pull: committer");
    git_oid id;
    if (rc == 0) {
        int cr = git_rebase_commit(&id, rb, NULL, committer, NULL, NULL);
        if (cr < 0 && cr != GIT_EAPPLIED)
            rc = dt_git_fail(dt_git_code(cr), "pull: replay a local commit");
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
    int rc = dt_git_check(git_annotated_commit_lookup(&up, g->repo, upstream), "pull: read upstream");
    if (rc != 0)
        return rc;
    git_rebase_options ro;
    git_rebase_options_init(&ro, GIT_REBASE_OPTIONS_VERSION);
    ro.checkout_options.checkout_strategy = GIT_CHECKOUT_SAFE;
    rc = git_rebase_init(&rb, g->repo, NULL, up, NULL, &ro);
    if (rc < 0) {
        rc = dt_git_fail(dt_git_code(rc), "pull: rebase local commits");
        goto out;
    }
    int step;
    while ((step = git_rebase_next(&op, rb)) == 0)
        if ((rc = replay_one(g, rb, op, d, &finisher)) != 0)
            break;
    if (rc == 0 && step != GIT_ITEROVER)
        rc = dt_git_fail(dt_git_code(step), "pull: rebase");
    if (rc == 0)
        rc = dt_git_check(git_rebase_finish(rb, finisher), "pull: finish rebase");
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
    if ((rc = dt_git_check(ur, "pull: read the remote branch")) != 0)
        goto out;
    int hr = git_reference_name_to_id(&local, g->repo, "HEAD");
    if (hr == GIT_ENOTFOUND || hr == GIT_EUNBORNBRANCH) {
        git_error_clear();
        rc = fast_forward(g, branch, &up);
        goto out;
    }
    if ((rc = dt_git_check(hr, "pull: read HEAD")) != 0)
        goto out;
    if (git_oid_equal(&local, &up))
        goto out;
    int br = git_merge_base(&base, g->repo, &local, &up);
    if (br == GIT_ENOTFOUND) {
        rc = dt_error(DATOM_ECONFLICT, "pull: %s and origin/%s share no history", branch, branch);
        goto out;
    }
    if ((rc = dt_git_check(br, "pull: find the merge base")) != 0)
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

int dt_git_unpushed(dt_git *g, size_t *n)
{
    *n = 0;
    git_remote *r = NULL;
    if (git_remote_lookup(&r, g->repo, DT_GIT_REMOTE) < 0) {
        git_error_clear();
        return 0; /* no remote: every commit is published by being made */
    }
    git_remote_free(r);
    char *branch = NULL, *tracking = NULL;
    git_oid head, theirs, id;
    git_revwalk *walk = NULL;
    int rc = current_branch(g, &branch);
    if (rc != 0 || git_reference_name_to_id(&head, g->repo, "HEAD") < 0)
        goto out; /* no branch (an error), or nothing committed yet */
    tracking = dt_sprintf("refs/remotes/" DT_GIT_REMOTE "/%s", branch);
    rc = dt_git_check(git_revwalk_new(&walk, g->repo), "walk commits");
    if (rc == 0)
        rc = dt_git_check(git_revwalk_push(walk, &head), "walk commits");
    if (rc == 0 && git_reference_name_to_id(&theirs, g->repo, tracking) == 0)
        rc = dt_git_check(git_revwalk_hide(walk, &theirs), "walk commits");
    while (rc == 0 && git_revwalk_next(&id, walk) == 0)
        (*n)++;
out:
    git_error_clear();
    git_revwalk_free(walk);
    free(tracking);
    free(branch);
    return rc;
}

/* Sends the objects of HEAD that REMOTE lacks (those not reachable from
 * THEIRS, when set) into a pack of REMOTE, as libgit2's local transport does. */
static int send_pack(dt_git *g, git_repository *remote, const git_oid *head, const git_oid *theirs)
{
    git_packbuilder *pb = NULL;
    git_revwalk *walk = NULL;
    int rc = dt_git_check(git_packbuilder_new(&pb, g->repo), "pack objects");
    if (rc == 0)
        rc = dt_git_check(git_revwalk_new(&walk, g->repo), "walk commits");
    if (rc == 0)
        rc = dt_git_check(git_revwalk_push(walk, head), "walk commits");
    if (rc == 0 && theirs)
        rc = dt_git_check(git_revwalk_hide(walk, theirs), "walk commits");
    if (rc == 0)
        rc = dt_git_check(git_packbuilder_insert_walk(pb, walk), "pack objects");
    if (rc == 0 && git_packbuilder_object_count(pb) > 0) {
        char *dir = dt_path_join(git_repository_path(remote), "objects/pack");
        rc = dt_git_check(git_packbuilder_write(pb, dir, 0, NULL, NULL), "write the pack");
        free(dir);
    }
    git_revwalk_free(walk);
    git_packbuilder_free(pb);
    return rc;
}

/* A push to a repository on this machine, by compare-and-swap: libgit2's
 * local transport sets the remote branch without checking that it still is
 * what it was when the push began, so two clones pushing at once could both
 * "succeed" and one commit would be lost. Here the branch moves only from the
 * tip that HEAD descends from (libgit2 compares under the ref's lock file, as
 * git's receive-pack does for a network push); anything else is a lost race,
 * DATOM_ECONFLICT, and the caller pulls and retries. */
static int push_local(dt_git *g, const char *path, const char *branch)
{
    git_repository *remote = NULL;
    git_reference *moved = NULL;
    char *refname = dt_sprintf("refs/heads/%s", branch);
    char *tracking = dt_sprintf("refs/remotes/" DT_GIT_REMOTE "/%s", branch);
    git_oid head, theirs;
    int rc = dt_git_check(git_reference_name_to_id(&head, g->repo, "HEAD"), "read HEAD");
    if (rc == 0 && git_repository_open_ext(&remote, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
        rc = dt_git_fail(DATOM_EIO, "open the remote");
    if (rc == 0 && !git_repository_is_bare(remote))
        rc = dt_error(DATOM_EINVAL, "not a bare repository (a push needs one)");
    if (rc != 0)
        goto out;
    int tr = git_reference_name_to_id(&theirs, remote, refname);
    bool has = tr == 0;
    if (tr < 0 && tr != GIT_ENOTFOUND) {
        rc = dt_git_fail(dt_git_code(tr), "read the remote branch");
        goto out;
    }
    git_error_clear();
    if (has && !git_oid_equal(&head, &theirs) &&
        git_graph_descendant_of(g->repo, &head, &theirs) != 1) {
        git_error_clear();
        rc = dt_error(DATOM_ECONFLICT, "the remote has commits this clone does not; pull, then "
                                       "push again");
        goto out;
    }
    if (!has || !git_oid_equal(&head, &theirs)) {
        if ((rc = send_pack(g, remote, &head, has ? &theirs : NULL)) != 0)
            goto out;
        int cr = has ? git_reference_create_matching(&moved, remote, refname, &head, 1, &theirs,
                                                     "push")
                     : git_reference_create(&moved, remote, refname, &head, 0, "push");
        if (cr == GIT_EMODIFIED || cr == GIT_EEXISTS || cr == GIT_ELOCKED) {
            git_error_clear();
            rc = dt_error(DATOM_ECONFLICT, "another push moved the remote branch meanwhile; pull, "
                                           "then push again");
            goto out;
        }
        if ((rc = dt_git_check(cr, "move the remote branch")) != 0)
            goto out;
    }
    git_reference_free(moved);
    moved = NULL;
    rc = dt_git_check(git_reference_create(&moved, g->repo, tracking, &head, 1, "push"),
                      "update the remote-tracking branch");
out:
    git_reference_free(moved);
    git_repository_free(remote);
    free(refname);
    free(tracking);
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
    /* pushes go to the push URL when one is set apart from the fetch URL */
    const char *url = git_remote_pushurl(r) ? git_remote_pushurl(r) : git_remote_url(r);
    if ((rc = local_remote_check("push to", url)) != 0)
        goto out;
    if (local_path(url)) {
        if ((rc = push_local(g, local_path(url), branch)) != 0)
            dt_error_wrap("push to %s", url);
        goto out;
    }
    char *spec = dt_sprintf("refs/heads/%s:refs/heads/%s", branch, branch);
    git_strarray specs = {&spec, 1};
    struct push_state ps = {{.given = &g->given}, NULL};
    git_push_options po;
    git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
    po.callbacks.credentials = dt_git_credentials_cb;
    po.callbacks.push_update_reference = push_ref_cb;
    po.callbacks.payload = &ps; /* its first member is the credentials' state */
    int pr = git_remote_push(r, &specs, &po);
    free(spec);
    if (pr == GIT_ENONFASTFORWARD || (pr == 0 && ps.rejected))
        rc = dt_error(DATOM_ECONFLICT,
                      "push to %s: the remote has commits this clone does not (%s); pull, "
                      "then push again",
                      url, ps.rejected ? ps.rejected : "non-fast-forward");
    else if (pr < 0) {
        char *what = dt_sprintf("push to %s", url);
        rc = dt_git_fail(dt_git_code(pr), what);
        free(what);
    }
    free(ps.rejected);
out:
    git_remote_free(r);
    free(branch);
    return rc;
}
