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

/* A username and password (either may be NULL), wiped when cleared. */
typedef struct dt_git_cred {
    char *user, *pass;
} dt_git_cred;
void dt_git_cred_clear(dt_git_cred *c);

struct dt_git {
    git_repository *repo;
    char *workdir;    /* no trailing slash */
    dt_git_cred given; /* taken out of a URL given to this process; never stored */
};

/* What dt_git_credentials_cb has offered so far in one exchange with a
 * remote (git_cred.c): each source once. */
typedef struct dt_git_cred_state {
    const dt_git_cred *given; /* may be NULL */
    bool tried_given, tried_env, tried_helper, tried_agent, tried_default;
    int offered; /* username-password pairs offered so far */
    dt_git_cred helper;
} dt_git_cred_state;
/* libgit2's credentials callback; PAYLOAD is a dt_git_cred_state. */
int dt_git_credentials_cb(git_credential **out, const char *url, const char *user,
                          unsigned int allowed, void *payload);

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
