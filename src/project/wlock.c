/*
 * wlock.c: the project's write lock over a store ref (see wlock.h). The ref's
 * value says who holds it: "host pid time_ms".
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "project/wlock.h"


static void holder_text(char *out, size_t n)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    snprintf(out, n, "%s %d %" PRId64, host[0] ? host : "?", (int)getpid(), dt_now_ms());
}

/* True when the holder described by VALUE is gone. On this host that is
 * exactly "its process no longer exists": a live writer keeps its lock however
 * long it takes (a 1 GiB write outlasts any fixed timeout, and there is no
 * heartbeat to tell a slow holder from a dead one). On another host the pid
 * says nothing, so only the age can: a lease with renewal and fencing is the
 * later work's (docs/formats.md, "The write lock"). */
static bool holder_gone(const char *value)
{
    char host[256] = "", me[256] = "";
    int pid = 0;
    int64_t when = 0;
    if (sscanf(value, "%255s %d %" SCNd64, host, &pid, &when) != 3)
        return true; /* not ours to understand: treat as stale */
    gethostname(me, sizeof me - 1);
    if (!strcmp(host, me))
        return pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH);
    return dt_now_ms() - when > DT_WLOCK_STALE_MS;
}

int dt_wlock_acquire(dt_project *p, dt_wlock *l, int64_t timeout_ms)
{
    memset(l, 0, sizeof *l);
    l->name = dt_project_key(p, ".locks/write");
    char me[320];
    holder_text(me, sizeof me);
    int64_t deadline = dt_now_ms() + timeout_ms;
    unsigned seed = (unsigned)getpid() ^ (unsigned)dt_monotonic_ns();
    for (;;) {
        int rc = datom_store_ref_cas(p->store, l->name, NULL, me, strlen(me), l->version);
        if (rc == 0) {
            l->held = true;
            return 0;
        }
        if (rc != DATOM_EEXISTS && rc != DATOM_ECONFLICT)
            return dt_error_wrap("write lock %s", l->name);
        datom_errclear();
        void *value = NULL;
        size_t len = 0;
        char ver[DATOM_REF_VERSION_MAX];
        if (datom_store_ref_get(p->store, l->name, &value, &len, ver) == 0) {
            char *text = dt_strndup(value, len);
            if (holder_gone(text) &&
                datom_store_ref_cas(p->store, l->name, ver, me, strlen(me), l->version) == 0) {
                free(text);
                free(value);
                l->held = true;
                return 0;
            }
            free(text);
        }
        free(value);
        datom_errclear();
        if (dt_now_ms() > deadline)
            return dt_error(DATOM_ELOCKED, "project %s: another write holds the lock %s; retry",
                            p->name ? p->name : "?", l->name);
        usleep(5000 + rand_r(&seed) % 20000);
    }
}

void dt_wlock_release(dt_project *p, dt_wlock *l)
{
    /* keep the message of a failed write: releasing must not replace it */
    int code = datom_errcode();
    char *msg = dt_strdup(datom_errmsg());
    /* failing to delete means it was taken over meanwhile: not ours to delete */
    if (l->held && datom_store_ref_del(p->store, l->name, l->version) != 0)
        datom_errclear();
    if (code) /* the store's calls start by clearing the error, success or not */
        dt_error(code, "%s", msg);
    free(msg);
    free(l->name);
    memset(l, 0, sizeof *l);
}
