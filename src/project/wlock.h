/*
 * wlock.h: the project's write lock, a ref in the store (compare-and-swap),
 * held while a write publishes: pull, classify, commit, push, mirror. Writers
 * of one project share its store, so the lock serialises them even where the
 * git remote cannot (a push to a local bare repository is check-then-set);
 * converting and hashing the input happen before, without the lock.
 *
 * A lock whose holder is gone is taken over: on the same host when, and only
 * when, its process no longer exists (or the pid is another incarnation: a
 * reused pid; a live writer is never timed out); from another host, when it
 * is older than a minute (DT_WLOCK_STALE_MS); by the process that held it, if
 * its release failed (a full disk refused the tombstone). No heartbeat or
 * fencing: leases are later work (docs/formats.md, "The write lock").
 *
 * Only a lost race is waited for: any other failure of the store ends
 * dt_wlock_acquire at once with that failure.
 */
#ifndef DT_WLOCK_H
#define DT_WLOCK_H

#include "project/project.h"

/* How long a writer waits for the lock before giving up (DATOM_ELOCKED). */
#define DT_WLOCK_WAIT_MS 300000

/* Age after which a lock held from another host is taken over. */
#define DT_WLOCK_STALE_MS 60000

typedef struct dt_wlock {
    char *name;
    char version[DATOM_REF_VERSION_MAX];
    bool held;
} dt_wlock;

/* Waits up to TIMEOUT_MS for the lock (DATOM_ELOCKED after that). On failure
 * nothing is held or allocated (dt_wlock_release is then a no-op). */
int dt_wlock_acquire(dt_project *p, dt_wlock *l, int64_t timeout_ms);
void dt_wlock_release(dt_project *p, dt_wlock *l); /* also frees; safe on an unheld lock */
/* Whether a live writer holds the lock now (a read: nothing is taken);
 * *holder (may be NULL; caller frees) gets its value "HOST PID TIME_MS ...". */
bool dt_wlock_busy(dt_project *p, char **holder);

#endif /* DT_WLOCK_H */
