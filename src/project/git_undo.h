/*
 * git_undo.h: moving the current branch back to an earlier commit, for the
 * push retry of a write (a rejected push is undone locally, the remote pulled,
 * and the version re-applied on top). It belongs in git.c; it lives here
 * until the git layer grows it (git.h is owned by that layer).
 */
#ifndef DT_GIT_UNDO_H
#define DT_GIT_UNDO_H

#include "project/git.h"

/* Resets the branch, index and tracked files of G's work tree to COMMIT
 * (untracked and ignored files are left alone). */
int dt_git_reset_hard(dt_git *g, const char *commit);

#endif /* DT_GIT_UNDO_H */
