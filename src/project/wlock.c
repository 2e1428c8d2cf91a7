/*
 * wlock.c: the project's write lock over a store ref (see wlock.h). The ref's
 * value says who holds it: "HOST PID TIME_MS START", START naming the holder
 * process's incarnation (boot id and start time, from /proc), so that a pid
 * the system reused for another process is not taken for the holder.
 *
 * Only a lost race is waited out: any other failure of the store (a full
 * disk, a permission, an i/o error) ends the wait at once with its own
 * message, whether it comes from taking, reading or taking over the lock.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "project/wlock.h"

/* The lock this process failed to release (a full disk refused the
 * tombstone): this process may take it over, being the holder it names. */
static _Thread_local char abandoned_name[DT_KEY_MAX + 1];
static _Thread_local char abandoned_version[DATOM_REF_VERSION_MAX];

/* "BOOTID:STARTTIME" of process PID (0: this one), "" when /proc cannot say. */
static void incarnation(int pid, char *out, size_t n)
{
    out[0] = '\0';
    char path[64], boot[64] = "", stat[1024] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (!fgets(boot, sizeof boot, f))
            boot[0] = '\0';
        fclose(f);
    }
    boot[strcspn(boot, "-\n")] = '\0'; /* its first group is enough */
    snprintf(path, sizeof path, pid ? "/proc/%d/stat" : "/proc/self/stat", pid);
    f = fopen(path, "r");
    if (f) {
        if (!fgets(stat, sizeof stat, f))
            stat[0] = '\0';
        fclose(f);
    }
    /* field 22, counted after the command name's closing ')' (which may hold spaces) */
    const char *p = strrchr(stat, ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    unsigned long long start;
    if (boot[0] && p && sscanf(p + 1, "%llu", &start) == 1)
        snprintf(out, n, "%s:%llu", boot, start);
}

static void holder_text(char *out, size_t n)
{
    char host[256] = "", me[96];
    gethostname(host, sizeof host - 1);
    incarnation(0, me, sizeof me);
    snprintf(out, n, "%s %d %" PRId64 "%s%s", host[0] ? host : "?", (int)getpid(), dt_now_ms(),
             me[0] ? " " : "", me);
}

/* True when the holder described by VALUE is gone. On this host that is
 * exactly "its process no longer exists": a live writer keeps its lock however
 * long it takes (a 1 GiB write outlasts any fixed timeout, and there is no
 * heartbeat to tell a slow holder from a dead one); a process that has the
 * holder's pid but another incarnation is not the holder. On another host the
 * pid says nothing, so only the age can: a lease with renewal and fencing is
 * later work's (docs/formats.md, "The write lock"). */
static bool holder_gone(const char *value)
{
    char host[256] = "", me[256] = "", start[96] = "", now[96];
    int pid = 0;
    int64_t when = 0;
    int n = sscanf(value, "%255s %d %" SCNd64 " %95s", host, &pid, &when, start);
    if (n < 3)
        return true; /* not ours to understand: treat as stale */
    gethostname(me, sizeof me - 1);
    if (strcmp(host, me))
        return dt_now_ms() - when > DT_WLOCK_STALE_MS;
    if (dt_pid_gone(pid))
        return true;
    if (n < 4)
        return false; /* a holder that did not say its incarnation: its pid decides */
    incarnation(pid, now, sizeof now);
    return now[0] && strcmp(now, start) != 0;
}

/* The lock's current value and version; *value_out NULL when there is none. */
static int read_holder(dt_project *p, const char *name, char **value_out,
                       char ver[DATOM_REF_VERSION_MAX])
{
    void *value = NULL;
    size_t len = 0;
    *value_out = NULL;
    int rc = datom_store_ref_get(p->store, name, &value, &len, ver);
    if (rc == 0)
        *value_out = dt_strndup(value, len);
    free(value);
    if (rc == DATOM_ENOTFOUND) { /* released meanwhile: try again */
        datom_errclear();
        rc = 0;
    }
    return rc ? dt_error_wrap("write lock %s: read its holder", name) : 0;
}

/* One attempt to take over the lock from a holder that is gone (or that this
 * process abandoned). 0 with *won telling whether it worked; a failure other
 * than a lost race is returned. */
static int try_takeover(dt_project *p, dt_wlock *l, const char *me, bool *won)
{
    char *holder = NULL;
    char ver[DATOM_REF_VERSION_MAX];
    *won = false;
    int rc = read_holder(p, l->name, &holder, ver);
    bool ours = holder && !strcmp(abandoned_name, l->name) && !strcmp(abandoned_version, ver);
    if (rc == 0 && holder && (ours || holder_gone(holder))) {
        rc = datom_store_ref_cas(p->store, l->name, ver, me, strlen(me), l->version);
        *won = rc == 0;
        if (rc == DATOM_ECONFLICT || rc == DATOM_EEXISTS || rc == DATOM_ENOTFOUND) {
            datom_errclear(); /* someone else was quicker */
            rc = 0;
        } else if (rc) {
            dt_error_wrap("write lock %s: take it over from \"%s\", whose holder is gone",
                          l->name, holder);
        }
    }
    free(holder);
    return rc;
}

int dt_wlock_acquire(dt_project *p, dt_wlock *l, int64_t timeout_ms)
{
    memset(l, 0, sizeof *l);
    l->name = dt_project_key(p, ".locks/write");
    char me[512];
    holder_text(me, sizeof me);
    int64_t deadline = dt_now_ms() + timeout_ms;
    unsigned seed = (unsigned)getpid() ^ (unsigned)dt_monotonic_ns();
    for (;;) {
        int rc = datom_store_ref_cas(p->store, l->name, NULL, me, strlen(me), l->version);
        bool won = rc == 0;
        if (rc == DATOM_EEXISTS || rc == DATOM_ECONFLICT) {
            datom_errclear();
            rc = try_takeover(p, l, me, &won);
        } else if (rc) {
            dt_error_wrap("write lock %s", l->name);
        }
        if (won) {
            l->held = true;
            if (!strcmp(abandoned_name, l->name))
                abandoned_name[0] = '\0';
            return 0;
        }
        if (!rc && dt_now_ms() > deadline)
            rc = dt_error(DATOM_ELOCKED, "project %s: another write holds the lock %s; retry",
                          p->name ? p->name : "?", l->name);
        if (rc) { /* not held: nothing for the caller to release */
            free(l->name);
            l->name = NULL;
            return rc;
        }
        usleep(5000 + rand_r(&seed) % 20000);
    }
}

void dt_wlock_release(dt_project *p, dt_wlock *l)
{
    /* keep the message of a failed write: releasing must not replace it */
    int code = datom_errcode();
    char *msg = dt_strdup(datom_errmsg());
    if (l->held) {
        int rc = datom_store_ref_del(p->store, l->name, l->version);
        if (rc == DATOM_ECONFLICT || rc == DATOM_ENOTFOUND) {
            datom_errclear(); /* taken over meanwhile: not ours to delete */
        } else if (rc) {
            /* e.g. a full disk refused the tombstone: the lock stays, naming
             * this process; the next writer on this host takes it over once
             * this process is gone, and this process itself may at once */
            snprintf(abandoned_name, sizeof abandoned_name, "%s", l->name);
            snprintf(abandoned_version, sizeof abandoned_version, "%s", l->version);
            dt_log(DT_LOG_INFO,
                   "warning: could not release the write lock %s (%s); the next write takes "
                   "it over once this process (%d) has ended",
                   l->name, datom_errmsg(), (int)getpid());
            datom_errclear();
        }
    }
    if (code) /* the store's calls start by clearing the error, success or not */
        dt_error(code, "%s", msg);
    free(msg);
    free(l->name);
    memset(l, 0, sizeof *l);
}

bool dt_wlock_busy(dt_project *p, char **holder)
{
    char *name = dt_project_key(p, ".locks/write");
    char ver[DATOM_REF_VERSION_MAX];
    char *value = NULL;
    bool busy = read_holder(p, name, &value, ver) == 0 && value && !holder_gone(value);
    datom_errclear();
    if (busy && holder)
        *holder = value;
    else
        free(value);
    free(name);
    return busy;
}
