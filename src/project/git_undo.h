/*
 * git_undo.h: dt_git_reset_hard now lives in the git layer (git.h); this
 * header stays so that its users need no change.
 */
#ifndef DT_GIT_UNDO_H
#define DT_GIT_UNDO_H

#include "project/git.h"

#endif /* DT_GIT_UNDO_H */
