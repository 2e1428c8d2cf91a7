/*
 * mem.c: the in-process store backend ("mem:" and "mem:NAME").
 *
 * Objects and refs live in sorted arrays behind one mutex, so handles on the
 * same store may be used from several threads. "mem:" is a fresh private
 * store; "mem:NAME" is shared by every handle opened with that name in this
 * process, and lives until its last handle is freed.
 *
 * Ref versions come from a counter per store that never goes back, so a ref
 * deleted and created again never reuses a version (no ABA).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

typedef struct entry {
    char *key;
    uint8_t *data;
    size_t len, cap;  /* cap: logs only */
    uint64_t version; /* refs only */
    int64_t mtime_ms; /* refs only */
} entry;

typedef struct table {
    entry *v;
    size_t n, cap;
} table;

typedef struct shared {
    char *name; /* NULL for a private "mem:" store */
    int handles;
    pthread_mutex_t lock;
    table objects, refs, logs;
    uint64_t ref_clock;
    struct shared *next;
} shared;

typedef struct mem_store {
    datom_store head;
    shared *sh;
} mem_store;

struct dt_store_writer {
    mem_store *st;
    dt_buf buf;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static shared *registry;

/* ---- sorted tables ---- */

/* Index of KEY, or of where it would go (and *found = false). */
static size_t table_find(const table *t, const char *key, bool *found)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->v[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* The entry for KEY, inserted empty if new. */
static entry *table_upsert(table *t, const char *key)
{
    bool found;
    size_t i = table_find(t, key, &found);
    if (found)
        return &t->v[i];
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->v = dt_realloc(t->v, t->cap * sizeof *t->v);
    }
    memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof *t->v);
    t->n++;
    t->v[i] = (entry){.key = dt_strdup(key)};
    return &t->v[i];
}

static void table_remove(table *t, size_t i)
{
    free(t->v[i].key);
    free(t->v[i].data);
    memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
    t->n--;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].key);
        free(t->v[i].data);
    }
    free(t->v);
}

static void entry_set(entry *e, const void *p, size_t n)
{
    free(e->data);
    e->data = dt_malloc(n ? n : 1);
    memcpy(e->data, p, n);
    e->len = n;
}

/* ---- handles ---- */

static shared *shared_new(const char *name)
{
    shared *sh = dt_calloc(1, sizeof *sh);
    sh->name = name ? dt_strdup(name) : NULL;
    pthread_mutex_init(&sh->lock, NULL);
    return sh;
}

static void shared_free(shared *sh)
{
    table_free(&sh->objects);
    table_free(&sh->refs);
    table_free(&sh->logs);
    pthread_mutex_destroy(&sh->lock);
    free(sh->name);
    free(sh);
}

static void mem_free(datom_store *st)
{
    mem_store *m = (mem_store *)st;
    shared *sh = m->sh;
    pthread_mutex_lock(&registry_lock);
    if (--sh->handles == 0) {
        for (shared **p = &registry; *p; p = &(*p)->next)
            if (*p == sh) {
                *p = sh->next;
                break;
            }
        shared_free(sh);
    }
    pthread_mutex_unlock(&registry_lock);
    free(m);
}

/* ---- objects ---- */

static int mem_writer_open(datom_store *st, dt_store_writer **out)
{
    dt_store_writer *w = dt_calloc(1, sizeof *w);
    w->st = (mem_store *)st;
    *out = w;
    return 0;
}

static int mem_writer_write(dt_store_writer *w, const void *p, size_t n)
{
    dt_buf_append(&w->buf, p, n);
    return 0;
}

static void mem_writer_abort(dt_store_writer *w)
{
    dt_buf_free(&w->buf);
    free(w);
}

static int mem_writer_commit(dt_store_writer *w, const char *key)
{
    shared *sh = w->st->sh;
    pthread_mutex_lock(&sh->lock);
    entry *e = table_upsert(&sh->objects, key);
    free(e->data);
    e->len = w->buf.len;
    e->data = w->buf.data ? w->buf.data : dt_calloc(1, 1); /* hand over, no copy */
    w->buf = (dt_buf)DT_BUF_INIT;
    pthread_mutex_unlock(&sh->lock);
    mem_writer_abort(w);
    return 0;
}

static int not_found(datom_store *st, const char *what, const char *key)
{
    return dt_error(DATOM_ENOTFOUND, "%s: %s: no such %s", st->url, key, what);
}

static int mem_get(datom_store *st, const char *key, uint64_t off, uint64_t len, dt_sink sink)
{
    shared *sh = ((mem_store *)st)->sh;
    pthread_mutex_lock(&sh->lock);
    bool found;
    size_t i = table_find(&sh->objects, key, &found);
    int rc;
    if (!found) {
        rc = not_found(st, "object", key);
    } else if (off > sh->objects.v[i].len) {
        rc = dt_error(DATOM_EINVAL, "%s: %s: offset %llu is past the end (%zu bytes)", st->url,
                      key, (unsigned long long)off, sh->objects.v[i].len);
    } else {
        /* Sinks only append to buffers or files: holding the lock is fine. */
        entry *e = &sh->objects.v[i];
        uint64_t n = DT_MIN(len, e->len - off);
        rc = dt_sink_write(sink, e->data + off, (size_t)n);
    }
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

static int mem_stat(datom_store *st, const char *key, uint64_t *size_out)
{
    shared *sh = ((mem_store *)st)->sh;
    pthread_mutex_lock(&sh->lock);
    bool found;
    size_t i = table_find(&sh->objects, key, &found);
    if (found)
        *size_out = sh->objects.v[i].len;
    pthread_mutex_unlock(&sh->lock);
    return found ? 0 : not_found(st, "object", key);
}

static int mem_del(datom_store *st, const char *key)
{
    shared *sh = ((mem_store *)st)->sh;
    pthread_mutex_lock(&sh->lock);
    bool found;
    size_t i = table_find(&sh->objects, key, &found);
    if (found)
        table_remove(&sh->objects, i);
    pthread_mutex_unlock(&sh->lock);
    return found ? 0 : not_found(st, "object", key);
}

static int mem_list(datom_store *st, const char *prefix, const char *start_after, size_t limit,
                    dt_strv *keys, int *more)
{
    shared *sh = ((mem_store *)st)->sh;
    size_t plen = strlen(prefix);
    pthread_mutex_lock(&sh->lock);
    bool found;
    const char *from = start_after && strcmp(start_after, prefix) >= 0 ? start_after : prefix;
    size_t i = table_find(&sh->objects, from, &found);
    if (found && from == start_after)
        i++;
    for (; i < sh->objects.n; i++) {
        const char *k = sh->objects.v[i].key;
        if (strncmp(k, prefix, plen))
            break;
        if (keys->n == limit) {
            *more = 1;
            break;
        }
        dt_strv_push(keys, k);
    }
    pthread_mutex_unlock(&sh->lock);
    return 0;
}

/* ---- refs ---- */

static void ref_info(const entry *e, dt_ref_info *info)
{
    snprintf(info->version, sizeof info->version, "%llu", (unsigned long long)e->version);
    info->mtime_ms = e->mtime_ms;
}

static int mem_ref_get(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info)
{
    shared *sh = ((mem_store *)st)->sh;
    pthread_mutex_lock(&sh->lock);
    bool found;
    size_t i = table_find(&sh->refs, name, &found);
    if (found) {
        dt_buf_append(value, sh->refs.v[i].data, sh->refs.v[i].len);
        ref_info(&sh->refs.v[i], info);
    }
    pthread_mutex_unlock(&sh->lock);
    return found ? 0 : not_found(st, "ref", name);
}

/* Under the lock: 0 if the ref's current version is EXPECTED (NULL: absent). */
static int ref_check(datom_store *st, shared *sh, const char *name, const char *expected,
                     size_t *index, bool *found)
{
    *index = table_find(&sh->refs, name, found);
    if (!expected)
        return *found ? dt_error(DATOM_EEXISTS, "%s: ref %s already exists", st->url, name) : 0;
    if (!*found)
        return dt_error(DATOM_ECONFLICT, "%s: ref %s: expected version %s, but it was deleted",
                        st->url, name, expected);
    char now[DATOM_REF_VERSION_MAX];
    snprintf(now, sizeof now, "%llu", (unsigned long long)sh->refs.v[*index].version);
    if (strcmp(now, expected))
        return dt_error(DATOM_ECONFLICT, "%s: ref %s: expected version %s, found %s", st->url,
                        name, expected, now);
    return 0;
}

static int mem_ref_cas(datom_store *st, const char *name, const char *expected, const void *value,
                       size_t len, dt_ref_info *info_out)
{
    shared *sh = ((mem_store *)st)->sh;
    pthread_mutex_lock(&sh->lock);
    size_t i;
    bool found;
    int rc = ref_check(st, sh, name, expected, &i, &found);
    if (rc == 0) {
        entry *e = table_upsert(&sh->refs, name);
        entry_set(e, value, len);
        e->version = ++sh->ref_clock;
        e->mtime_ms = dt_now_ms();
        ref_info(e, info_out);
    }
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

static int mem_ref_del(datom_store *st, const char *name, const char *expected)
{
    shared *sh = ((mem_store *)st)->sh;
    pthread_mutex_lock(&sh->lock);
    size_t i;
    bool found;
    int rc = ref_check(st, sh, name, expected, &i, &found);
    if (rc == 0)
        table_remove(&sh->refs, i);
    else if (!found)
        rc = not_found(st, "ref", name);
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

/* ---- logs ---- */

static int mem_log_read(datom_store *st, const char *name, uint64_t off, dt_buf *out, uint64_t *size_out)
{
    shared *sh = ((mem_store *)st)->sh;
    pthread_mutex_lock(&sh->lock);
    bool found;
    size_t i = table_find(&sh->logs, name, &found);
    int rc = 0;
    if (!found)
        rc = not_found(st, "log", name);
    else if (off > sh->logs.v[i].len)
        rc = dt_error(DATOM_EINVAL, "%s: log %s: offset %llu is past the end", st->url, name,
                      (unsigned long long)off);
    else {
        dt_buf_append(out, sh->logs.v[i].data + off, sh->logs.v[i].len - (size_t)off);
        *size_out = sh->logs.v[i].len;
    }
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

static int log_conflict(datom_store *st, const char *name, uint64_t expected, uint64_t size)
{
    return dt_error(DATOM_ECONFLICT, "%s: log %s: expected %llu bytes, found %llu (lost a race)",
                    st->url, name, (unsigned long long)expected, (unsigned long long)size);
}

static int mem_log_append(datom_store *st, const char *name, uint64_t expected, const void *p, size_t n)
{
    shared *sh = ((mem_store *)st)->sh;
    pthread_mutex_lock(&sh->lock);
    bool found;
    size_t i = table_find(&sh->logs, name, &found);
    uint64_t size = found ? sh->logs.v[i].len : 0;
    int rc = 0;
    if (size != expected || (!found && expected))
        rc = found ? log_conflict(st, name, expected, size) : not_found(st, "log", name);
    else {
        entry *e = found ? &sh->logs.v[i] : table_upsert(&sh->logs, name);
        if (e->len + n > e->cap) {
            e->cap = DT_MAX(e->len + n, e->cap * 2 + 256);
            e->data = dt_realloc(e->data, e->cap);
        }
        memcpy(e->data + e->len, p, n);
        e->len += n;
    }
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

static int mem_log_truncate(datom_store *st, const char *name, uint64_t expected, uint64_t size)
{
    shared *sh = ((mem_store *)st)->sh;
    pthread_mutex_lock(&sh->lock);
    bool found;
    size_t i = table_find(&sh->logs, name, &found);
    int rc = 0;
    if (!found)
        rc = not_found(st, "log", name);
    else if (sh->logs.v[i].len != expected)
        rc = log_conflict(st, name, expected, sh->logs.v[i].len);
    else
        sh->logs.v[i].len = (size_t)size;
    pthread_mutex_unlock(&sh->lock);
    return rc;
}

const dt_store_ops dt_store_mem_ops = {
    DT_STORE_OPS_INIT,
    .name = "mem",
    .free = mem_free,
    .writer_open = mem_writer_open,
    .writer_write = mem_writer_write,
    .writer_commit = mem_writer_commit,
    .writer_abort = mem_writer_abort,
    .get = mem_get,
    .stat = mem_stat,
    .del = mem_del,
    .list = mem_list,
    .ref_get = mem_ref_get,
    .ref_cas = mem_ref_cas,
    .ref_del = mem_ref_del,
    .log_read = mem_log_read,
    .log_append = mem_log_append,
    .log_truncate = mem_log_truncate,
};

int dt_store_mem_open(datom_store **out, const char *url, unsigned flags)
{
    const char *name = url + 4; /* after "mem:" */
    shared *sh = NULL;
    *out = NULL;
    pthread_mutex_lock(&registry_lock);
    if (*name) {
        for (sh = registry; sh && strcmp(sh->name, name); sh = sh->next)
            ;
        if (!sh && !(flags & DATOM_STORE_CREATE)) {
            pthread_mutex_unlock(&registry_lock);
            return dt_error(DATOM_ENOTFOUND, "store %s: no such in-process store (it lives "
                            "while a handle holds it)", url);
        }
        if (!sh) {
            sh = shared_new(name);
            sh->next = registry;
            registry = sh;
        }
    } else {
        sh = shared_new(NULL);
    }
    sh->handles++;
    pthread_mutex_unlock(&registry_lock);
    mem_store *m = dt_calloc(1, sizeof *m);
    m->head.ops = &dt_store_mem_ops;
    m->head.url = dt_strdup(url);
    m->sh = sh;
    *out = &m->head;
    return 0;
}
