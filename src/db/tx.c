/*
 * tx.c: a transaction's life: resolve (resolve.c) against the connection's
 * current value, make it durable (a log record, or a log object and the
 * root), then apply it in memory and report it; and `with`, the same
 * without the durable step.
 *
 * Invariants:
 *  (1) A transaction is durable before anything of it is applied in memory
 *      or reported: its record was appended (the file backend returns after
 *      fdatasync), or (portable commit) its object was put and then the root
 *      naming it moved by CAS. A transaction that fails changes nothing.
 *  (2) The log holds transactions in t order without gaps. A transaction is
 *      resolved against the value of basis t - 1 and committed only where
 *      that value ends (append at the size read; CAS from the version read),
 *      so two writers never commit one t, and a loser learns it lost.
 *  (3) A loser catches up (applies the records it missed) and resolves its
 *      tx-data again against the new value: nothing is lost or duplicated,
 *      and :db/cas compares against what is really current.
 *  (4) A torn tail (a killed append) is never followed: readers stop at the
 *      first record that fails its CRC, and a writer cuts the tail (under
 *      the log's lock, only if the log has not changed since) before it
 *      appends.
 *  (5) The root moves only by CAS and only forward: its indexed_t never
 *      decreases, and its trees hold exactly the datoms with t <= indexed_t.
 *      Segments and log objects are written before the root that names them:
 *      a crash leaves the old root and unreferenced objects.
 *
 * A transaction:
 *
 *   PARSED --[dt_resolve: t = basis + 1]--> RESOLVED --[commit]--> DURABLE
 *     ^                                        |  |                   |
 *     |                   [ECONFLICT: lost]    |  | [other error]     | [dt_conn_advance]
 *     +--[dt_conn_catch_up]-- STALE <----------+  +--> FAILED         v
 *                                                                  APPLIED --[dt_conn_maybe_index]--> (INDEXED)
 *
 *   commit, append:   dt_store_log_append(log, expected = log_size, record)
 *   commit, portable: put NS/log/SHA (record + previous SHA), then
 *                     dt_store_ref_cas(root, version read, root with the new head)
 *
 * The root ref:
 *
 *   ABSENT --[dt_conn_create: CAS from nothing]--> CREATED --[dt_conn_index: CAS]--> INDEXED
 *   INDEXED --[dt_conn_index: CAS, later trees]--> INDEXED
 *   (portable) CREATED | INDEXED --[each commit: CAS, new head]--> same state, newer head
 *   A lost CAS re-reads the root and adopts it (dt_conn_catch_up).
 */
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/tx.h"

#define MAX_RETRIES 10000

/* ---- commit ---- */

static void encode(dt_conn *c, const dt_txres *r, dt_buf *out)
{
    dt_txrec rec = {.t = r->t, .next_user = r->next_user, .next_db = r->next_db, .instant = r->instant,
                    .datoms = r->datoms, .n = r->n};
    if (c->root.objects) {
        uint8_t head[DT_LOG_OBJ_HEADER] = {'D', 'T', 'L', 'O', DT_LOG_VERSION};
        if (c->root.head_t >= 0)
            memcpy(head + 8, c->root.head, 32);
        dt_buf_append(out, head, sizeof head);
    } else if (c->log_size == 0) {
        dt_log_put_header(out);
    }
    dt_log_put(out, &rec);
}

/* A torn tail seen past log_size: cut it (4). Losing that race is fine. */
static int cut_tail(dt_conn *c)
{
    int rc = dt_store_log_truncate(c->env->st, c->env->log_name, c->torn, c->log_size);
    if (rc == DATOM_ECONFLICT || rc == DATOM_ENOTFOUND) {
        datom_errclear();
        rc = 0;
    }
    if (rc == 0)
        dt_log(DT_LOG_VERBOSE, "%s: cut a torn log tail (%llu bytes)", c->env->name,
               (unsigned long long)(c->torn - c->log_size));
    c->torn = 0;
    return rc;
}

static int commit_append(dt_conn *c, const dt_buf *rec)
{
    if (c->torn) {
        int rc = cut_tail(c);
        if (rc)
            return rc;
    }
    /* The backend's append itself: dt_store_log_append would check the
     * name on every transaction; it was checked when the log was read at open. */
    datom_store *st = c->env->st;
    int rc = st->ops->log_append(st, c->env->log_name, c->log_size, rec->data, rec->len);
    if (rc == DATOM_ENOTFOUND)
        rc = dt_error(DATOM_ECONFLICT, "%s: the log is not where it was", c->env->name);
    if (rc == 0)
        c->log_size += rec->len;
    return rc;
}

static int commit_objects(dt_conn *c, const dt_buf *rec, int64_t t)
{
    char *prefix = dt_sprintf("%s/", c->env->log_name);
    dt_store_put *p;
    char hex[DATOM_SHA_HEX];
    int rc = dt_store_put_begin(c->env->st, &p);
    if (rc == 0 && (rc = dt_store_put_write(p, rec->data, rec->len)))
        dt_store_put_abort(p);
    else if (rc == 0)
        rc = dt_store_put_finish_ca(p, prefix, hex);
    free(prefix);
    if (rc)
        return rc;
    c->stats.puts++;
    dt_root nr = c->root;
    dt_hex_decode(hex, nr.head, 32);
    nr.head_t = t;
    dt_buf b = DT_BUF_INIT;
    dt_root_encode(&nr, &b);
    dt_ref_info info = {0};
    rc = dt_store_ref_cas_info(c->env->st, c->env->root_name, c->root_version, b.data, b.len, &info);
    dt_buf_free(&b);
    if (rc == 0) {
        c->root = nr;
        memcpy(c->root_version, info.version, DATOM_REF_VERSION_MAX);
    }
    return rc;
}

static int commit(dt_conn *c, const dt_txres *r)
{
    dt_buf_clear(&c->rec);
    encode(c, r, &c->rec);
    return c->root.objects ? commit_objects(c, &c->rec, r->t) : commit_append(c, &c->rec);
}

/* ---- reports ---- */

/* A report of R, which it takes over (R is left empty). */
static dt_tx_report *report(dt_db *before, dt_db *after, dt_txres *r)
{
    dt_tx_report *rep = dt_calloc(1, sizeof *rep);
    dt_txres *own = dt_malloc(sizeof *own);
    *own = *r;
    memset(r, 0, sizeof *r);
    rep->db_before = dt_db_ref(before);
    rep->db_after = dt_db_ref(after);
    rep->datoms = own->datoms;
    rep->n_datoms = own->n;
    rep->tempids = own->tempids;
    rep->n_tempids = own->n_tempids;
    rep->t = own->t;
    rep->tx = DT_TX_OF_T(own->t);
    rep->own = own;
    return rep;
}

void dt_tx_report_free(dt_tx_report *r)
{
    if (!r)
        return;
    dt_db_unref(r->db_before);
    dt_db_unref(r->db_after);
    dt_txres_free(r->own);
    free(r->own);
    free(r);
}

uint64_t dt_tx_report_tempid(const dt_tx_report *r, const char *name)
{
    for (size_t i = 0; i < r->n_tempids; i++)
        if (!strcmp(r->tempids[i].name, name))
            return r->tempids[i].e;
    return 0;
}

/* ---- transact ---- */

int dt_conn_transact_ops(dt_conn *c, dt_ops_fn fn, void *ctx, dt_tx_report **out)
{
    if (out)
        *out = NULL;
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
        dt_db *before = c->db; /* the connection's reference keeps it until advance */
        dt_txops_reset(&c->ops);
        dt_txres_reset(&c->res);
        int rc = fn(before, ctx, &c->ops);
        if (rc == 0)
            rc = dt_resolve(before, &c->ops, before->basis_t + 1, dt_now_ms(), &c->rs, &c->res);
        if (rc)
            return rc; /* the transaction itself is wrong: no retry */
        if ((rc = commit(c, &c->res)) == 0) {
            c->stats.commits++;
            dt_db_ref(before);
            rc = dt_conn_advance(c, &c->res); /* (1): durable, now applied */
            if (rc == 0 && out)
                *out = report(before, c->db, &c->res);
            dt_db_unref(before);
            if (rc == 0)
                dt_conn_maybe_index(c);
            return rc;
        }
        if (rc != DATOM_ECONFLICT)
            return rc;
        /* (3): lost the race: catch up and resolve again */
        datom_errclear();
        c->stats.retries++;
        if ((rc = dt_conn_catch_up(c)))
            return rc;
    }
    return dt_error(DATOM_ECONFLICT, "%s: gave up after %d lost races", c->env->name, MAX_RETRIES);
}

/* ---- with ---- */

int dt_db_with_ops(dt_db *db, dt_ops_fn fn, void *ctx, dt_tx_report **out)
{
    *out = NULL;
    dt_db *before = dt_db_unviewed(db);
    dt_txops ops = {0};
    dt_txres res = {0};
    int rc = fn(before, ctx, &ops);
    if (rc == 0)
        rc = dt_resolve(before, &ops, before->basis_t + 1, dt_now_ms(), NULL, &res);
    dt_txops_free(&ops);
    dt_db *after = NULL;
    if (rc == 0)
        rc = dt_db_with_datoms(before, res.datoms, res.n, res.t, &after);
    if (rc == 0) {
        after->next_user = DT_MAX(res.next_user, before->next_user);
        after->next_db = DT_MAX(res.next_db, before->next_db);
        after->last_instant = DT_MAX(res.instant, before->last_instant);
        *out = report(before, after, &res);
        dt_db_unref(after);
    }
    if (rc && after)
        dt_db_unref(after);
    dt_txres_free(&res);
    dt_db_unref(before);
    return rc;
}

int dt_db_with_datoms(dt_db *db, const dt_datom *d, size_t n, int64_t t, dt_db **out)
{
    dt_db *after = dt_db_clone(db);
    dt_nov *overlay = db->overlay ? dt_nov_rebase(db->overlay, -1) : dt_nov_new();
    dt_nov_unref(after->overlay);
    after->overlay = overlay;
    dt_nov_apply(overlay, d, n);
    after->basis_t = after->as_of_t = t;
    uint64_t *touched = NULL;
    size_t nt = 0;
    for (size_t i = 0; i < n; i++)
        if (dt_schema_touches(d[i].e, d[i].a)) {
            touched = dt_realloc(touched, (nt + 1) * sizeof *touched);
            touched[nt++] = d[i].e;
        }
    int rc = 0;
    if (nt) {
        dt_schema *s;
        if ((rc = dt_schema_update(after->schema, after, touched, nt, &s)) == 0) {
            dt_schema_unref(after->schema);
            after->schema = s;
        }
    }
    free(touched);
    if (rc) {
        dt_db_unref(after);
        return rc;
    }
    *out = after;
    return 0;
}

/* ---- bulk load ---- */

static int cmp_eav(const void *p, const void *q) { return dt_datom_cmp(DT_EAVT, p, q); }

int dt_db_init(dt_db *db, const dt_datom *datoms, size_t n, dt_db **out)
{
    dt_db *base = dt_db_unviewed(db);
    int64_t t = base->basis_t + 1;
    dt_datom *d = dt_malloc((n + 1) * sizeof *d);
    uint64_t next_user = base->next_user;
    for (size_t i = 0; i < n; i++) {
        d[i] = datoms[i];
        d[i].tx = DT_TX_OF_T(t);
        d[i].added = true;
        if (DT_EID_PART(d[i].e) == DT_PART_USER && DT_EID_NUM(d[i].e) >= next_user)
            next_user = DT_EID_NUM(d[i].e) + 1;
    }
    qsort(d, n, sizeof *d, cmp_eav);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!w || dt_datom_cmp(DT_EAVT, &d[w - 1], &d[i]))
            d[w++] = d[i];
    int rc = dt_db_with_datoms(base, d, w, t, out);
    if (rc == 0)
        (*out)->next_user = next_user;
    free(d);
    dt_db_unref(base);
    return rc;
}
