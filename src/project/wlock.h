/*
 * wlock.h: the project's write lock, a ref in the store (compare-and-swap),
 * held while a write publishes: pull, classify, commit, push, mirror. Writers
 * of one project share its store, so the lock serialises them even where the
 * git remote cannot (a push to a local bare repository is check-then-set);
 * converting and hashing the input happen before, without the lock.
 *
 * A lock whose holder is gone is taken over: on the same host when, and only
 * when, its process no longer exists (a live writer is never timed out);
 * from another host, when it is older than a minute (DT_WLOCK_STALE_MS). No
 * heartbeat or fencing: leases are later work (docs/formats.md, "The write lock").
 */
#ifndef DT_WLOCK_H
#define DT_WLOCK_H

#include "project/project.h"

/* Age after which a lock held from another host is taken over. */
#define DT_WLOCK_STALE_MS 60000

typedef struct dt_wlock {
    char *name;
    char version[DATOM_REF_VERSION_MAX];
    bool held;
} dt_wlock;

/* Waits up to TIMEOUT_MS for the lock (DATOM_ELOCKED after that). */
int dt_wlock_acquire(dt_project *p, dt_wlock *l, int64_t timeout_ms);
void dt_wlock_release(dt_project *p, dt_wlock *l); /* also frees; safe on an unheld lock */

#endif /* DT_WLOCK_H */
