/*
 * fault.c: the fault-injecting store ("fault:SPEC:URL"), a wrapper that passes
 * every call to the store at URL and fails the ones SPEC names, so the
 * conformance suite and the table tests run under faults on any backend (as
 * SQLite's test VFS does under its pager).
 *
 * SPEC is a comma-separated list of rules OP=N, each failing the Nth call
 * (counting from 1) of operation OP on this handle:
 *   OP=N     fail call N, before it reaches the store (nothing happened);
 *   OP=N+    fail call N and every later one (a store that went away);
 *   OP=N!    let call N reach the store, then report it failed (the answer
 *            was lost: what a timeout after a server applied a write looks
 *            like to its client).
 * OP is one of get, stat, exists, del, list, put, ref_get, ref_cas, ref_del,
 * log_read, log_append, log_truncate, or any (every call counts). A failure is DATOM_EIO with a message that says
 * "injected fault", the operation and the call's number.
 *
 * The wrapper takes puts with their key and size known (put_known); store.c
 * spools streamed puts for it, and passes the put on to the inner store by
 * whichever interface that one has. It has logs when the inner store has
 * them (its ops are a copy with the log operations dropped otherwise), so a
 * fact database on fault:SPEC:file://... commits by appends as it would on
 * the file store, and a fault can strike the append itself. Counters are atomic: handles may be used
 * from several threads, as the conformance suite does.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

enum fault_op {
    F_GET, F_STAT, F_EXISTS, F_DEL, F_LIST, F_PUT, F_REF_GET, F_REF_CAS, F_REF_DEL,
    F_LOG_READ, F_LOG_APPEND, F_LOG_TRUNCATE, F_ANY, F_OPS
};

static const char *const op_names[F_OPS] = {"get",     "stat",    "exists",   "del",        "list",
                                            "put",     "ref_get", "ref_cas",  "ref_del",    "log_read",
                                            "log_append", "log_truncate", "any"};

enum fault_kind { K_ONCE, K_FROM, K_LOST };

#define RULES_MAX 16

typedef struct rule {
    enum fault_op op;
    uint64_t n;
    enum fault_kind kind;
} rule;

typedef struct fault_store {
    datom_store head;
    dt_store_ops ops; /* dt_store_fault_ops, less the logs when INNER has none */
    datom_store *inner;
    rule rules[RULES_MAX];
    size_t nrules;
    atomic_uint_fast64_t calls[F_OPS];
} fault_store;

/* ---- the spec ---- */

static bool op_named(const char *name, size_t len, enum fault_op *op)
{
    for (int i = 0; i < F_OPS; i++)
        if (len == strlen(op_names[i]) && !strncmp(name, op_names[i], len)) {
            *op = (enum fault_op)i;
            return true;
        }
    return false;
}

static int parse_rule(const char *text, size_t len, rule *r)
{
    const char *eq = memchr(text, '=', len);
    if (!eq || !op_named(text, (size_t)(eq - text), &r->op))
        return dt_error(DATOM_EINVAL, "fault rule \"%.*s\": expected OP=N with OP one of get, stat, "
                        "exists, del, list, put, ref_get, ref_cas, ref_del, log_read, log_append, "
                        "log_truncate, any", (int)len, text);
    const char *p = eq + 1, *end = text + len;
    uint64_t n = 0;
    for (; p < end && *p >= '0' && *p <= '9' && n < UINT64_MAX / 10; p++)
        n = n * 10 + (uint64_t)(*p - '0');
    r->n = n;
    r->kind = K_ONCE;
    if (p < end && (*p == '+' || *p == '!'))
        r->kind = *p++ == '+' ? K_FROM : K_LOST;
    if (n == 0 || p != end || p == eq + 1)
        return dt_error(DATOM_EINVAL, "fault rule \"%.*s\": N must be a call number from 1, "
                        "optionally followed by + (and every later call) or ! (applied, answer lost)",
                        (int)len, text);
    return 0;
}

static int parse_spec(fault_store *fs, const char *spec, size_t len)
{
    for (const char *p = spec, *end = spec + len; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);
        if (fs->nrules == RULES_MAX)
            return dt_error(DATOM_EINVAL, "fault spec: more than %d rules", RULES_MAX);
        int rc = parse_rule(p, n, &fs->rules[fs->nrules++]);
        if (rc)
            return rc;
        p += n + (comma ? 1 : 0);
    }
    if (fs->nrules == 0)
        return dt_error(DATOM_EINVAL, "fault spec: no rule (expected OP=N[,OP=N...])");
    return 0;
}

/* ---- the calls ---- */

/* Counts a call of OP; the rule it trips (K_ONCE, K_FROM or K_LOST), or -1. */
static int trip(fault_store *fs, enum fault_op op, uint64_t *number)
{
    uint64_t n = atomic_fetch_add(&fs->calls[op], 1) + 1;
    uint64_t any = atomic_fetch_add(&fs->calls[F_ANY], 1) + 1;
    for (size_t i = 0; i < fs->nrules; i++) {
        const rule *r = &fs->rules[i];
        uint64_t k = r->op == F_ANY ? any : r->op == op ? n : 0;
        if (k && (k == r->n || (r->kind == K_FROM && k > r->n))) {
            *number = k;
            return (int)r->kind;
        }
    }
    return -1;
}

static int injected(fault_store *fs, enum fault_op op, uint64_t number, const char *what, bool applied)
{
    return dt_error(DATOM_EIO, "%s: %s %s: injected fault (call %llu%s)", fs->head.url,
                    op_names[op], what, (unsigned long long)number,
                    applied ? ", applied but its answer lost" : "");
}

/* Runs CALL unless OP's counter trips a rule; a lost answer runs it first. */
#define FAULT_CALL(fs, op, what, call)                                                             \
    do {                                                                                           \
        uint64_t f_n = 0;                                                                          \
        int f_kind = trip((fs), (op), &f_n);                                                       \
        if (f_kind == K_ONCE || f_kind == K_FROM)                                                  \
            return injected((fs), (op), f_n, (what), false);                                       \
        int f_rc = (call);                                                                         \
        if (f_rc == 0 && f_kind == K_LOST)                                                         \
            return injected((fs), (op), f_n, (what), true);                                        \
        return f_rc;                                                                               \
    } while (0)

#define FS(st) ((fault_store *)(st))

static int fault_get(datom_store *st, const char *key, uint64_t off, uint64_t len, dt_sink sink)
{
    FAULT_CALL(FS(st), F_GET, key, FS(st)->inner->ops->get(FS(st)->inner, key, off, len, sink));
}

static int fault_get_fd(datom_store *st, const char *key, int fd, dt_sink ordered, uint64_t *size_out)
{
    FAULT_CALL(FS(st), F_GET, key, dt_store_do_get_fd(FS(st)->inner, key, fd, ordered, size_out));
}

static int fault_stat(datom_store *st, const char *key, uint64_t *size_out)
{
    FAULT_CALL(FS(st), F_STAT, key, FS(st)->inner->ops->stat(FS(st)->inner, key, size_out));
}

static int fault_exists(datom_store *st, const char *key, uint64_t *size_out)
{
    FAULT_CALL(FS(st), F_EXISTS, key, dt_store_do_exists(FS(st)->inner, key, size_out));
}

static int fault_del(datom_store *st, const char *key)
{
    FAULT_CALL(FS(st), F_DEL, key, FS(st)->inner->ops->del(FS(st)->inner, key));
}

static int fault_list(datom_store *st, const char *prefix, const char *start_after, size_t limit,
                      dt_strv *keys, int *more)
{
    FAULT_CALL(FS(st), F_LIST, prefix,
               FS(st)->inner->ops->list(FS(st)->inner, prefix, start_after, limit, keys, more));
}

static int fault_put_known(datom_store *st, const char *key, const dt_store_src *src)
{
    FAULT_CALL(FS(st), F_PUT, key, dt_store_do_put_known(FS(st)->inner, key, src));
}

static int fault_put_batch(datom_store *st, size_t n, char *const *keys, const dt_store_src *srcs,
                           bool skip_present)
{
    /* One call of "put" per object, as the same puts made one by one would count. */
    for (size_t i = 0; i < n; i++) {
        if (skip_present) {
            uint64_t size;
            int rc = fault_exists(st, keys[i], &size);
            if (rc == 0 && size == srcs[i].size)
                continue;
            if (rc != DATOM_ENOTFOUND && rc != 0)
                return rc;
            datom_errclear();
        }
        int rc = fault_put_known(st, keys[i], &srcs[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int fault_ref_get(datom_store *st, const char *name, dt_buf *value, dt_ref_info *info)
{
    FAULT_CALL(FS(st), F_REF_GET, name, FS(st)->inner->ops->ref_get(FS(st)->inner, name, value, info));
}

static int fault_ref_cas(datom_store *st, const char *name, const char *expected, const void *value,
                         size_t len, dt_ref_info *info_out)
{
    FAULT_CALL(FS(st), F_REF_CAS, name,
               FS(st)->inner->ops->ref_cas(FS(st)->inner, name, expected, value, len, info_out));
}

static int fault_ref_del(datom_store *st, const char *name, const char *expected)
{
    FAULT_CALL(FS(st), F_REF_DEL, name, FS(st)->inner->ops->ref_del(FS(st)->inner, name, expected));
}

static int fault_log_read(datom_store *st, const char *name, uint64_t off, dt_buf *out, uint64_t *size_out)
{
    FAULT_CALL(FS(st), F_LOG_READ, name, dt_store_log_read(FS(st)->inner, name, off, out, size_out));
}

static int fault_log_append(datom_store *st, const char *name, uint64_t expected, const void *p, size_t n)
{
    FAULT_CALL(FS(st), F_LOG_APPEND, name, dt_store_log_append(FS(st)->inner, name, expected, p, n));
}

static int fault_log_truncate(datom_store *st, const char *name, uint64_t expected, uint64_t size)
{
    FAULT_CALL(FS(st), F_LOG_TRUNCATE, name,
               dt_store_log_truncate(FS(st)->inner, name, expected, size));
}

static void fault_free(datom_store *st)
{
    datom_store_free(FS(st)->inner);
    free(st);
}

const dt_store_ops dt_store_fault_ops = {
    DT_STORE_OPS_INIT,
    .name = "fault",
    .free = fault_free,
    .get = fault_get,
    .get_fd = fault_get_fd,
    .stat = fault_stat,
    .exists = fault_exists,
    .del = fault_del,
    .list = fault_list,
    .put_known = fault_put_known,
    .put_batch = fault_put_batch,
    .ref_get = fault_ref_get,
    .ref_cas = fault_ref_cas,
    .ref_del = fault_ref_del,
    .log_read = fault_log_read,
    .log_append = fault_log_append,
    .log_truncate = fault_log_truncate,
};

/* ---- open ---- */

static int fault_make(datom_store **out, datom_store *inner, const char *spec, size_t len,
                      const char *url)
{
    fault_store *fs = dt_calloc(1, sizeof *fs);
    fs->ops = dt_store_fault_ops;
    if (!dt_store_has_log(inner))
        fs->ops.log_read = NULL, fs->ops.log_append = NULL, fs->ops.log_truncate = NULL;
    fs->head.ops = &fs->ops;
    fs->inner = inner;
    for (int i = 0; i < F_OPS; i++)
        atomic_init(&fs->calls[i], 0);
    int rc = parse_spec(fs, spec, len);
    if (rc) {
        free(fs);
        return rc;
    }
    fs->head.url = dt_strdup(url);
    *out = &fs->head;
    return 0;
}

int dt_store_fault_open(datom_store **out, const char *url, unsigned flags)
{
    *out = NULL;
    const char *spec = url + 6; /* after "fault:" */
    const char *colon = strchr(spec, ':');
    if (!colon)
        return dt_error(DATOM_EINVAL, "%s: expected fault:OP=N[,OP=N...]:URL", url);
    datom_store *inner;
    int rc = datom_store_open_ext(&inner, colon + 1, flags);
    if (rc)
        return dt_error_wrap("%s", url);
    if ((rc = fault_make(out, inner, spec, (size_t)(colon - spec), url)) != 0) {
        datom_store_free(inner);
        return dt_error_wrap("%s", url);
    }
    return 0;
}

int dt_store_fault_wrap(datom_store **st, const char *spec)
{
    datom_store *wrapped;
    char *url = dt_sprintf("fault:%s:%s", spec, (*st)->url);
    int rc = fault_make(&wrapped, *st, spec, strlen(spec), url);
    free(url);
    if (rc) {
        datom_store_free(*st);
        *st = NULL;
        return dt_error_wrap(DT_STORE_FAULT_ENV);
    }
    *st = wrapped;
    return 0;
}
