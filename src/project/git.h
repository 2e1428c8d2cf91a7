/*
 * git.h: the project's git repository, through libgit2. The project layer
 * never calls libgit2 directly: it asks this file to commit a set of files,
 * read a file at a commit, walk history, and exchange with a remote.
 *
 * Authors come from the git configuration (user.name / user.email, as git
 * itself resolves them) or are given explicitly; never guessed silently: a
 * missing identity is an error that says how to set it.
 */
#ifndef DT_GIT_H
#define DT_GIT_H

#include "core/core.h"

typedef struct dt_git dt_git;

typedef struct dt_git_author {
    char *name;
    char *email;
} dt_git_author;

/* Creates a repository at DIR (a fresh directory or an empty one). */
int dt_git_init(dt_git **out, const char *dir);
/* Opens the repository whose work tree is DIR. */
int dt_git_open(dt_git **out, const char *dir);
/* Clones URL into DIR. */
int dt_git_clone(dt_git **out, const char *url, const char *dir);
void dt_git_free(dt_git *g);
const char *dt_git_workdir(const dt_git *g);

/* The author: `spec` "Name <email>" when given, else the git configuration. */
int dt_git_author_resolve(dt_git *g, const char *spec, dt_git_author *out);
void dt_git_author_free(dt_git_author *a);

/* Commits HEAD's tree with PATHS (relative to the work tree; files written
 * already, or removed) as the work tree has them, on the current branch with
 * MESSAGE; nothing else of the index or the work tree goes in. HEAD moves only
 * if no other commit was made since it was read (else DATOM_ECONFLICT); the
 * index entries of PATHS then follow. Writes the new commit's hex id to
 * commit_out. An empty change is DATOM_EINVAL "nothing to commit". */
int dt_git_commit(dt_git *g, const char *const *paths, size_t n_paths, const char *message,
                  const dt_git_author *author, char commit_out[41]);
/* HEAD's commit id; DATOM_ENOTFOUND on an unborn branch. */
int dt_git_head(dt_git *g, char commit_out[41]);

/* The remote "origin": set its URL; NULL when there is none. */
int dt_git_remote_set(dt_git *g, const char *url);
int dt_git_remote_url(dt_git *g, char **url_out); /* *url_out NULL when none */
/* Fetches origin and brings the current branch up to it: fast-forward, or a
 * rebase of local commits that touch other files; a real conflict (the same
 * file changed on both sides) is DATOM_ECONFLICT naming the file. */
int dt_git_pull(dt_git *g);
/* Files derived from the others (the manifest, which every write changes):
 * dt_git_pull_derived does not count them as conflicts; after replaying a
 * local commit that changed one of them, it calls REGEN to rewrite them in
 * the work tree from the files around them (the conflicting text is there and
 * must be ignored), stages them and commits them with the replayed change. */
typedef int (*dt_git_regen_fn)(void *ctx, const char *workdir);
typedef struct dt_git_derived {
    const char *const *paths; /* relative to the work tree */
    size_t n;
    dt_git_regen_fn regen; /* 0, or a DATOM_E* code that aborts the pull */
    void *ctx;
} dt_git_derived;
int dt_git_pull_derived(dt_git *g, const dt_git_derived *d); /* d NULL: dt_git_pull */
/* Pushes the current branch to origin; a non-fast-forward is DATOM_ECONFLICT. */
int dt_git_push(dt_git *g);

/* How many commits of HEAD origin's branch lacks, as this clone last saw it
 * (the remote-tracking branch; no network): commits made here and not pushed
 * yet. 0 without a remote (a commit is then published by being made). */
int dt_git_unpushed(dt_git *g, size_t *n);

/* Moves the current branch, the index and the tracked files of the work tree
 * to COMMIT (any revision; untracked and ignored files are left alone): how a
 * writer that lost a push race drops its local commit before pulling. */
int dt_git_reset_hard(dt_git *g, const char *commit);

/* The tracked paths whose work-tree file or index entry differs from HEAD
 * (as `git status` sees them; untracked files are not looked for), appended
 * to OUT. */
int dt_git_changed(dt_git *g, dt_strv *out);
/* Whether PATH has an entry in the index (as it is on disk now): a file git
 * tracks, or one a replay in progress has staged. */
bool dt_git_tracked(dt_git *g, const char *path);
/* Sets the index entries of PATHS to HEAD's (`git reset -- PATHS`); the work
 * tree is not touched. */
int dt_git_index_reset(dt_git *g, const char *const *paths, size_t n);

/* Reads PATH as of COMMIT (NULL: HEAD) into out. */
int dt_git_read_file(dt_git *g, const char *commit, const char *path, dt_buf *out);

/* One commit, as dt_git_log shows it (strings borrowed for the callback's duration). */
typedef struct dt_git_commit_info {
    char id[41];
    const char *author_name;
    const char *author_email;
    int64_t time; /* author time, seconds since the epoch */
    const char *message;
} dt_git_commit_info;
/* Returns 0 to go on; anything else stops the walk and is returned by dt_git_log. */
typedef int (*dt_git_log_fn)(void *ctx, const dt_git_commit_info *c);
/* Calls FN for the commits reachable from HEAD that changed PATH (NULL: every
 * commit), newest first. An unborn branch has none. */
int dt_git_log(dt_git *g, const char *path, dt_git_log_fn fn, void *ctx);

/* Calls FN for each path that each commit reachable from HEAD added or
 * changed against its first parent (a diff of trees: its cost does not grow
 * with the number of files a commit leaves alone), newest commit first; a
 * non-zero return stops the walk and is returned. */
typedef int (*dt_git_change_fn)(void *ctx, const dt_git_commit_info *c, const char *path);
int dt_git_log_changes(dt_git *g, dt_git_change_fn fn, void *ctx);

#endif /* DT_GIT_H */
