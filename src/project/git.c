/*
 * git.c: the project's git repository over libgit2 (see git.h), local side:
 * make and open repositories, identities, commits of named files, reading a
 * file at a commit, reset, history. The remote side (clone, fetch, pull,
 * push) is git_remote.c; git_internal.h is what the two share. libgit2 errors
 * become DATOM_E* codes whose messages say what was being done.
 */
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "project/git_internal.h"

/* Records the last libgit2 error as CODE, prefixed by WHAT. */
int dt_git_fail(int code, const char *what)
{
    const git_error *e = git_error_last();
    return dt_error(code, "%s: %s", what, e && e->message ? e->message : "git error");
}

/* Maps a libgit2 return code to ours. */
int dt_git_code(int rc)
{
    switch (rc) {
    case GIT_ENOTFOUND: return DATOM_ENOTFOUND;
    case GIT_EEXISTS: return DATOM_EEXISTS;
    case GIT_ENONFASTFORWARD:
    case GIT_EMODIFIED:
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

void dt_git_startup(void)
{
    git_libgit2_init();
    /* libgit2 re-hashes every object it reads, with collision-detecting
     * SHA-1: the dearest part of reading a long history (a 5 MB
     * version_history.json). git itself never re-hashes on read, and zlib's
     * adler32 still catches a damaged object; the documents datom reads are
     * checked against their ids by dt_git_read_file, with OpenSSL's SHA-1. */
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

int dt_git_check(int rc, const char *what)
{
    return rc < 0 ? dt_git_fail(dt_git_code(rc), what) : 0;
}

dt_git *dt_git_wrap(git_repository *repo)
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
    dt_git_startup();
    git_repository_init_options o;
    git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    o.flags = GIT_REPOSITORY_INIT_MKPATH;
    o.initial_head = DT_GIT_DEFAULT_BRANCH;
    git_repository *repo;
    int rc = git_repository_init_ext(&repo, dir, &o);
    if (rc < 0) {
        rc = dt_git_fail(dt_git_code(rc), dir);
        git_libgit2_shutdown();
        return rc;
    }
    *out = dt_git_wrap(repo);
    return 0;
}

/* Why libgit2 would not open DIR when its .git is another user's: git
 * (and libgit2, which says only "not found" in some versions) refuses a
 * repository another user owns unless told to trust it, so that a planted
 * repository's settings never act for the reader. Reading another user's
 * project is a role datom serves, so say how; 0 when that is not the cause. */
static int foreign_owner(const char *dir)
{
    char *dotgit = dt_path_join(dir, ".git");
    struct stat sb;
    bool foreign = stat(dotgit, &sb) == 0 && sb.st_uid != geteuid();
    free(dotgit);
    if (!foreign)
        return 0;
    return dt_error(DATOM_EINVAL, "%s: its git repository belongs to another user (uid %ld), "
                    "which git opens only when told to trust it: git config --global --add "
                    "safe.directory '%s' (or read from the store alone: --store URL --project "
                    "NAME)", dir, (long)sb.st_uid, dir);
}

int dt_git_open(dt_git **out, const char *dir)
{
    *out = NULL;
    dt_git_startup();
    git_repository *repo;
    int rc = git_repository_open_ext(&repo, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (rc < 0) {
        int why = rc == GIT_ENOTFOUND || rc == GIT_EOWNER ? foreign_owner(dir) : 0;
        rc = why                ? why
             : rc == GIT_ENOTFOUND ? dt_error(DATOM_ENOTFOUND, "%s: not a git repository", dir)
                                 : dt_git_fail(dt_git_code(rc), dir);
        git_libgit2_shutdown();
        return rc;
    }
    *out = dt_git_wrap(repo);
    return 0;
}

void dt_git_free(dt_git *g)
{
    if (!g)
        return;
    git_repository_free(g->repo);
    free(g->workdir);
    dt_git_cred_clear(&g->given);
    free(g);
    git_libgit2_shutdown();
}

const char *dt_git_workdir(const dt_git *g) { return g->workdir; }

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
        return dt_git_fail(DATOM_EIO, "read git configuration");
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
        return dt_git_fail(dt_git_code(rc), "read HEAD");
    git_oid_tostr(commit_out, 41, &oid);
    return 0;
}

/* Stages one path: a file or directory present in the work tree is added, a
 * missing one removed from the index. */
int dt_git_stage(dt_git *g, git_index *idx, const char *path)
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
        rc = dt_git_fail(dt_git_code(rc), what);
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
        return dt_git_fail(dt_git_code(rc), "read HEAD");
    return dt_git_check(git_commit_lookup(out, g->repo, &oid), "read HEAD commit");
}

static int make_signature(const dt_git_author *a, git_signature **out)
{
    if (git_signature_now(out, a->name, a->email) < 0)
        return dt_git_fail(DATOM_EINVAL, "author");
    return 0;
}

/* The tree of PARENT, or an empty tree for the first commit. */
static int base_tree(dt_git *g, const git_commit *parent, git_tree **out)
{
    if (parent)
        return dt_git_check(git_commit_tree(out, parent), "read HEAD tree");
    git_treebuilder *tb = NULL;
    git_oid empty;
    int rc = dt_git_check(git_treebuilder_new(&tb, g->repo, NULL), "empty tree");
    if (rc == 0)
        rc = dt_git_check(git_treebuilder_write(&empty, tb), "empty tree");
    if (rc == 0)
        rc = dt_git_check(git_tree_lookup(out, g->repo, &empty), "empty tree");
    git_treebuilder_free(tb);
    return rc;
}

static int cmp_update(const void *a, const void *b)
{
    return strcmp(((const git_tree_update *)a)->path, ((const git_tree_update *)b)->path);
}

/* The updates that make BASE hold the work tree's PATHS: a regular file
 * becomes a blob (git's filters applied, as `git add` does), a missing one is
 * removed if BASE has it. Writes how many to *n_out. */
static int path_updates(dt_git *g, git_tree *base, const char *const *paths, size_t n,
                        git_tree_update *ups, size_t *n_out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char *full = dt_path_join(g->workdir, paths[i]);
        struct stat st;
        bool present = lstat(full, &st) == 0;
        free(full);
        git_tree_entry *e = NULL;
        bool in_base = git_tree_entry_bypath(&e, base, paths[i]) == 0;
        git_tree_entry_free(e);
        git_error_clear();
        if (present && !S_ISREG(st.st_mode))
            return dt_error(DATOM_EINVAL, "commit %s: not a regular file", paths[i]);
        if (!present && !in_base)
            continue;
        ups[k] = (git_tree_update){.action = present ? GIT_TREE_UPDATE_UPSERT : GIT_TREE_UPDATE_REMOVE,
                                   .filemode = GIT_FILEMODE_BLOB,
                                   .path = paths[i]};
        if (present && git_blob_create_from_workdir(&ups[k].id, g->repo, paths[i]) < 0) {
            char *what = dt_sprintf("commit %s", paths[i]);
            int rc = dt_git_fail(DATOM_EIO, what);
            free(what);
            return rc;
        }
        k++;
    }
    qsort(ups, k, sizeof *ups, cmp_update);
    *n_out = k;
    return 0;
}

static void entry_time(git_index_time *t, const struct timespec *ts)
{
    t->seconds = (int32_t)ts->tv_sec;
    t->nanoseconds = (uint32_t)ts->tv_nsec;
}

/* Brings the on-disk index's entries of the committed paths to the commit,
 * with the files' stat data (so `git status` and index_vouches trust them).
 * The index is read again first: another process may have written it since
 * this handle last looked. */
static int index_follow(dt_git *g, const git_tree_update *ups, size_t n)
{
    git_index *idx = NULL;
    int rc = dt_git_check(git_repository_index(&idx, g->repo), "open index");
    if (rc == 0)
        rc = dt_git_check(git_index_read(idx, 1), "read index");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (ups[i].action == GIT_TREE_UPDATE_REMOVE) {
            git_index_remove(idx, ups[i].path, 0);
            git_error_clear();
            continue;
        }
        char *full = dt_path_join(g->workdir, ups[i].path);
        struct stat st;
        if (lstat(full, &st) != 0) {
            rc = dt_error_errno(errno, "%s", full);
        } else {
            git_index_entry e;
            memset(&e, 0, sizeof e);
            entry_time(&e.ctime, &st.st_ctim);
            entry_time(&e.mtime, &st.st_mtim);
            e.dev = (uint32_t)st.st_dev;
            e.ino = (uint32_t)st.st_ino;
            e.mode = GIT_FILEMODE_BLOB;
            e.uid = (uint32_t)st.st_uid;
            e.gid = (uint32_t)st.st_gid;
            e.file_size = (uint32_t)st.st_size;
            e.id = ups[i].id;
            e.path = ups[i].path;
            rc = dt_git_check(git_index_add(idx, &e), "update index");
        }
        free(full);
    }
    if (rc == 0)
        rc = dt_git_check(git_index_write(idx), "write index");
    git_index_free(idx);
    return rc;
}

int dt_git_commit(dt_git *g, const char *const *paths, size_t n_paths, const char *message,
                  const dt_git_author *author, char commit_out[41])
{
    dt_git_author own = {NULL, NULL};
    git_commit *parent = NULL;
    git_tree *base = NULL, *tree = NULL;
    git_signature *sig = NULL;
    git_tree_update *ups = dt_calloc(n_paths ? n_paths : 1, sizeof *ups);
    size_t n_ups = 0;
    int rc = 0;
    if (!author) {
        if ((rc = dt_git_author_resolve(g, NULL, &own)) != 0)
            goto out;
        author = &own;
    }
    git_oid tree_oid, oid;
    if ((rc = make_signature(author, &sig)) != 0 || (rc = head_commit(g, &parent)) != 0 ||
        (rc = base_tree(g, parent, &base)) != 0 ||
        (rc = path_updates(g, base, paths, n_paths, ups, &n_ups)) != 0 ||
        (rc = dt_git_check(git_tree_create_updated(&tree_oid, g->repo, base, n_ups, ups),
                           "write tree")) != 0)
        goto out;
    if (git_oid_equal(&tree_oid, git_tree_id(base))) {
        rc = dt_error(DATOM_EINVAL, "%s: nothing to commit", g->workdir);
        goto out;
    }
    if ((rc = dt_git_check(git_tree_lookup(&tree, g->repo, &tree_oid), "read tree")) != 0)
        goto out;
    /* HEAD moves only if it is still PARENT (libgit2 checks the tip under
     * the ref's lock file): a commit never drops one made meanwhile. */
    const git_commit *parents[1] = {parent};
    rc = git_commit_create(&oid, g->repo, "HEAD", sig, sig, NULL, message, tree, parent ? 1 : 0,
                           parents);
    rc = dt_git_check(rc, rc == GIT_EMODIFIED ? "commit: HEAD moved meanwhile" : "commit");
    if (rc != 0)
        goto out;
    if (commit_out)
        git_oid_tostr(commit_out, 41, &oid);
    /* The commit stands; an index left behind only makes `git status` show
     * the paths as changed until the next write (or `datom repair`) syncs it. */
    if (index_follow(g, ups, n_ups) != 0) {
        dt_log(DT_LOG_INFO, "warning: committed, but git's index was not updated: %s",
               datom_errmsg());
        datom_errclear();
    }
out:
    free(ups);
    git_tree_free(tree);
    git_tree_free(base);
    git_commit_free(parent);
    git_signature_free(sig);
    dt_git_author_free(&own);
    return rc;
}

int dt_git_changed(dt_git *g, dt_strv *out)
{
    git_status_options so;
    git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
    so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    so.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES; /* tracked files only: no untracked scan */
    git_status_list *list = NULL;
    int rc = dt_git_check(git_status_list_new(&list, g->repo, &so), "git status");
    size_t n = rc == 0 ? git_status_list_entrycount(list) : 0;
    for (size_t i = 0; i < n; i++) {
        const git_status_entry *e = git_status_byindex(list, i);
        const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
        if (e->status == GIT_STATUS_CURRENT || !d)
            continue;
        const char *path = d->old_file.path ? d->old_file.path : d->new_file.path;
        if (path && (!out->n || strcmp(out->v[out->n - 1], path)))
            dt_strv_push(out, path);
    }
    git_status_list_free(list);
    return rc;
}

bool dt_git_tracked(dt_git *g, const char *path)
{
    git_index *idx = NULL;
    bool yes = git_repository_index(&idx, g->repo) == 0 && git_index_read(idx, 0) == 0 &&
               git_index_get_bypath(idx, path, 0) != NULL;
    git_index_free(idx);
    git_error_clear();
    return yes;
}

int dt_git_index_reset(dt_git *g, const char *const *paths, size_t n)
{
    if (!n)
        return 0;
    git_object *head = NULL;
    int rc = dt_git_check(git_revparse_single(&head, g->repo, "HEAD"), "read HEAD");
    git_strarray ps = {(char **)paths, n};
    if (rc == 0)
        rc = dt_git_check(git_reset_default(g->repo, head, &ps), "reset index entries to HEAD");
    git_object_free(head);
    return rc;
}

int dt_git_reset_hard(dt_git *g, const char *commit)
{
    git_object *obj = NULL;
    int rc = git_revparse_single(&obj, g->repo, commit);
    if (rc < 0) {
        rc = rc == GIT_ENOTFOUND ? dt_error(DATOM_ENOTFOUND, "%s: no such commit", commit)
                                 : dt_git_fail(dt_git_code(rc), commit);
    } else {
        char *what = dt_sprintf("reset %s to %.12s", g->workdir, commit);
        rc = dt_git_check(git_reset(g->repo, obj, GIT_RESET_HARD, NULL), what);
        free(what);
    }
    git_object_free(obj);
    return rc;
}

/* Whether the N bytes at P are the blob ID (git's object id: SHA-1 over
 * "blob N\0" and the bytes). Small documents are hashed by libgit2 (its
 * collision-detecting SHA-1 is slow, but OpenSSL's first use costs ~1.5 ms
 * of start-up), big ones by OpenSSL. */
static bool bytes_are_blob(const void *p, size_t n, const git_oid *id)
{
    if (n < ((size_t)1 << 20)) {
        git_oid got;
        return git_odb_hash(&got, p, n, GIT_OBJECT_BLOB) == 0 && git_oid_equal(&got, id);
    }
    char head[32];
    int hn = snprintf(head, sizeof head, "blob %zu", n);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
              EVP_DigestUpdate(ctx, head, (size_t)hn + 1) && EVP_DigestUpdate(ctx, p, n) &&
              EVP_DigestFinal_ex(ctx, md, &md_len) && md_len == GIT_OID_RAWSZ &&
              !memcmp(md, id->id, GIT_OID_RAWSZ);
    EVP_MD_CTX_free(ctx);
    return ok;
}

static bool same_time(const git_index_time *t, const struct timespec *ts)
{
    return t->seconds == (int32_t)ts->tv_sec && t->nanoseconds == (uint32_t)ts->tv_nsec;
}

/* Whether the index vouches that the work tree's file PATH (stat ST) holds
 * the blob ID, as `git status` decides it: the index entry is ID and the
 * file's size, inode, mtime and ctime are those staged, and the file was last
 * changed before the index was written (a change within the index's own
 * timestamp could leave the stat data equal: such an entry is hashed).
 * Spares hashing a long history (5 MB: ~10 ms of SHA-1 on the test VM). */
static bool index_vouches(dt_git *g, const char *path, const git_oid *id, const struct stat *st)
{
    git_index *idx = NULL;
    struct stat ist;
    char *ipath = dt_path_join(git_repository_path(g->repo), "index");
    /* the index as it is on disk now: another process may have written it */
    bool ok = stat(ipath, &ist) == 0 && git_repository_index(&idx, g->repo) == 0 &&
              git_index_read(idx, 0) == 0;
    free(ipath);
    const git_index_entry *e = ok ? git_index_get_bypath(idx, path, 0) : NULL;
    ok = e && git_oid_equal(&e->id, id) && e->file_size == (uint32_t)st->st_size &&
         e->ino == (uint32_t)st->st_ino && same_time(&e->mtime, &st->st_mtim) &&
         same_time(&e->ctime, &st->st_ctim) &&
         (st->st_mtim.tv_sec < ist.st_mtim.tv_sec ||
          (st->st_mtim.tv_sec == ist.st_mtim.tv_sec && st->st_mtim.tv_nsec < ist.st_mtim.tv_nsec));
    git_index_free(idx);
    git_error_clear();
    return ok;
}

/* Appends the work tree's copy of PATH to OUT when its bytes are exactly the
 * blob ID: what a checkout or a commit left there, read without inflating
 * the object (a long history's 5 MB takes ~15 ms to inflate, ~3 to 10 ms to
 * hash), and without hashing it when the index vouches for it.
 * Anything else (an interrupted write's edit, a missing file): false, OUT
 * as it was. */
static bool read_workdir_copy(dt_git *g, const char *path, const git_oid *id, dt_buf *out)
{
    git_odb *odb = NULL;
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    int hr = git_repository_odb(&odb, g->repo);
    if (hr == 0)
        hr = git_odb_read_header(&size, &type, odb, id);
    git_odb_free(odb);
    git_error_clear();
    if (hr != 0 || type != GIT_OBJECT_BLOB || !git_repository_workdir(g->repo))
        return false;
    char *full = dt_path_join(g->workdir, path);
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block us */
    free(full);
    if (fd < 0)
        return false;
    struct stat st;
    size_t start = out->len, got = 0;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
    if (ok)
        dt_buf_reserve_mapped(out, size);
    while (ok && got < size) {
        ssize_t n = read(fd, out->data + start + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        got += ok ? (size_t)n : 0;
    }
    close(fd);
    ok = ok && (index_vouches(g, path, id, &st) || bytes_are_blob(out->data + start, size, id));
    if (out->data) {
        out->len = ok ? start + size : start;
        out->data[out->len] = '\0';
    }
    return ok;
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
                 : dt_git_fail(dt_git_code(rc), spec);
        goto out;
    }
    if (git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0) {
        rc = dt_error(DATOM_EINVAL, "%s: not a commit", spec);
        goto out;
    }
    if ((rc = dt_git_check(git_commit_tree(&tree, c), "read tree")) != 0)
        goto out;
    if (git_tree_entry_bypath(&ent, tree, path) < 0 ||
        git_tree_entry_type(ent) != GIT_OBJECT_BLOB) {
        rc = dt_error(DATOM_ENOTFOUND, "%s: not in commit %s", path, spec);
        goto out;
    }
    if (read_workdir_copy(g, path, git_tree_entry_id(ent), out))
        goto out;
    if ((rc = dt_git_check(git_blob_lookup(&blob, g->repo, git_tree_entry_id(ent)), path)) != 0)
        goto out;
    if (!bytes_are_blob(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
                        git_tree_entry_id(ent))) {
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, git_tree_entry_id(ent));
        rc = dt_error(DATOM_ECORRUPT, "%s at %s: git object %s does not hash to its id", path,
                      spec, hex);
        goto out;
    }
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
bool dt_git_touches(const git_commit *c, const char *path)
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

/* ---- history ---- */

/* Calls VISIT for each commit reachable from HEAD, newest first, with its
 * info, until it returns non-zero (returned). */
typedef int (*visit_fn)(dt_git *g, git_commit *c, const dt_git_commit_info *info, void *ctx);
static int walk_from_head(dt_git *g, visit_fn visit, void *ctx)
{
    git_commit *head = NULL;
    int rc = head_commit(g, &head);
    if (rc != 0 || !head)
        return rc;
    git_revwalk *walk = NULL;
    rc = dt_git_check(git_revwalk_new(&walk, g->repo), "walk history");
    if (rc == 0) {
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
        rc = dt_git_check(git_revwalk_push(walk, git_commit_id(head)), "walk history");
    }
    git_oid oid;
    while (rc == 0 && git_revwalk_next(&oid, walk) == 0) {
        git_commit *c = NULL;
        if ((rc = dt_git_check(git_commit_lookup(&c, g->repo, &oid), "read commit")) != 0)
            break;
        const git_signature *a = git_commit_author(c);
        dt_git_commit_info info = {.author_name = a->name, .author_email = a->email,
                                   .time = (int64_t)a->when.time, .message = git_commit_message(c)};
        git_oid_tostr(info.id, sizeof info.id, &oid);
        rc = visit(g, c, &info, ctx);
        git_commit_free(c);
    }
    git_error_clear();
    git_revwalk_free(walk);
    git_commit_free(head);
    return rc;
}

typedef struct log_ctx {
    const char *path;
    dt_git_log_fn fn;
    void *ctx;
} log_ctx;

static int log_visit(dt_git *g, git_commit *c, const dt_git_commit_info *info, void *ctx)
{
    (void)g;
    const log_ctx *l = ctx;
    return !l->path || dt_git_touches(c, l->path) ? l->fn(l->ctx, info) : 0;
}

int dt_git_log(dt_git *g, const char *path, dt_git_log_fn fn, void *ctx)
{
    log_ctx l = {path, fn, ctx};
    return walk_from_head(g, log_visit, &l);
}

/* The paths commit C added or changed against its first parent (every path
 * of a root commit): the change function for each, until it returns non-zero. */
typedef struct changes_ctx {
    dt_git_change_fn fn;
    void *ctx;
} changes_ctx;

static int commit_changes(dt_git *g, git_commit *c, const dt_git_commit_info *info, void *ctx)
{
    const changes_ctx *ch = ctx;
    git_commit *parent = NULL;
    git_tree *a = NULL, *b = NULL;
    git_diff *diff = NULL;
    int rc = git_commit_parentcount(c) ? dt_git_check(git_commit_parent(&parent, c, 0), "read commit")
                                       : 0;
    if (rc == 0 && parent)
        rc = dt_git_check(git_commit_tree(&a, parent), "read tree");
    if (rc == 0)
        rc = dt_git_check(git_commit_tree(&b, c), "read tree");
    if (rc == 0)
        rc = dt_git_check(git_diff_tree_to_tree(&diff, g->repo, a, b, NULL), "diff");
    for (size_t i = 0; rc == 0 && i < git_diff_num_deltas(diff); i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        if (d->status != GIT_DELTA_DELETED && d->new_file.path)
            rc = ch->fn(ch->ctx, info, d->new_file.path);
    }
    git_diff_free(diff);
    git_tree_free(a);
    git_tree_free(b);
    git_commit_free(parent);
    return rc;
}

int dt_git_log_changes(dt_git *g, dt_git_change_fn fn, void *ctx)
{
    changes_ctx ch = {fn, ctx};
    return walk_from_head(g, commit_changes, &ch);
}
