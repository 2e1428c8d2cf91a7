/*
 * git_undo.c: see git_undo.h. Opens the work tree's repository with libgit2
 * (through its path, so it needs nothing private of git.c) and resets hard.
 */
#include <git2.h>

#include "project/git_undo.h"

int dt_git_reset_hard(dt_git *g, const char *commit)
{
    git_repository *repo = NULL;
    git_object *obj = NULL;
    int rc = git_repository_open(&repo, dt_git_workdir(g));
    if (rc == 0)
        rc = git_revparse_single(&obj, repo, commit);
    if (rc == 0)
        rc = git_reset(repo, obj, GIT_RESET_HARD, NULL);
    if (rc < 0) {
        const git_error *e = git_error_last();
        rc = dt_error(DATOM_EIO, "reset %s to %.12s: %s", dt_git_workdir(g), commit,
                      e && e->message ? e->message : "libgit2 error");
    }
    git_object_free(obj);
    git_repository_free(repo);
    return rc;
}
