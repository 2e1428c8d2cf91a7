/*
 * git_internal.h: what git.c (the local side) and git_remote.c (the remote
 * side) of the git layer share. Nothing outside the git layer includes it.
 */
#ifndef DT_GIT_INTERNAL_H
#define DT_GIT_INTERNAL_H

#include <git2.h>

#include "project/git.h"

#define DT_GIT_DEFAULT_BRANCH "main"
#define DT_GIT_REMOTE "origin"

struct dt_git {
    git_repository *repo;
    char *workdir; /* no trailing slash */
};

/* git_libgit2_init, with datom's settings (every opener calls it; the
 * matching git_libgit2_shutdown is the opener's). */
void dt_git_startup(void);
/* Records the last libgit2 error as CODE, prefixed by WHAT; returns CODE. */
int dt_git_fail(int code, const char *what);
/* The DATOM_E* code of a libgit2 return code. */
int dt_git_code(int rc);
/* 0 when RC is not an error, else dt_git_fail of its code. */
int dt_git_check(int rc, const char *what);
/* A handle over an open repository (takes it). */
dt_git *dt_git_wrap(git_repository *repo);
/* Stages PATH: present in the work tree, added (a directory: all of it);
 * missing, removed from the index. */
int dt_git_stage(dt_git *g, git_index *idx, const char *path);
/* Whether commit C changed PATH against its first parent. */
bool dt_git_touches(const git_commit *c, const char *path);

#endif /* DT_GIT_INTERNAL_H */
