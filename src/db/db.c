/*
 * db.c: db values (db.h, "db values" and "schema and idents"): what a value
 * holds, the views derived from it (as-of, since, history, filter), and the
 * lookups transactions and readers make on it.
 *
 * A value is a handful of references (the durable trees by SHA, the shared
 * novelty up to its basis, a speculative overlay, the schema of its basis)
 * and the numbers of its view; making one copies nothing else. Per Datomic,
 * a view keeps the schema of the value it came from (time travel does not
 * take the schema back).
 */
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/* ---- the shared environment ---- */

dt_env *dt_env_ref(dt_env *e)
{
    e->refs++;
    return e;
}

void dt_env_unref(dt_env *e)
{
    if (!e || --e->refs > 0)
        return;
    dt_cache_free(e->cache);
    free(e->name);
    free(e->prefix);
    free(e->seg_prefix);
    free(e->log_name);
    free(e->root_name);
    free(e);
}

/* ---- filters ---- */

static dt_filter *filter_ref(dt_filter *f)
{
    if (f)
        f->refs++;
    return f;
}

static void filter_unref(dt_filter *f)
{
    while (f && --f->refs == 0) {
        dt_filter *next = f->next;
        if (f->free_ctx)
            f->free_ctx(f->ctx);
        free(f);
        f = next;
    }
}

/* ---- values ---- */

dt_db *dt_db_new(dt_env *env, const dt_tree trees[DT_ORDER_COUNT], int64_t indexed_t, dt_nov *nov,
                 int64_t nov_t, dt_schema *schema)
{
    dt_db *db = dt_malloc(sizeof *db); /* (one per transaction: no zeroing beyond the fields) */
    *db = (dt_db){.refs = 1, .env = dt_env_ref(env)};
    memcpy(db->trees, trees, sizeof db->trees);
    db->indexed_t = indexed_t;
    db->nov = nov ? dt_nov_ref(nov) : NULL;
    db->nov_t = nov_t;
    db->schema = dt_schema_ref(schema);
    db->basis_t = DT_MAX(indexed_t, nov_t);
    db->as_of_t = db->basis_t;
    db->since_t = -1;
    return db;
}

dt_db *dt_db_clone(const dt_db *db)
{
    dt_db *c = dt_malloc(sizeof *c);
    *c = *db;
    c->refs = 1;
    dt_env_ref(c->env);
    if (c->nov)
        dt_nov_ref(c->nov);
    if (c->overlay)
        dt_nov_ref(c->overlay);
    dt_schema_ref(c->schema);
    filter_ref(c->filter);
    if (c->unfiltered)
        dt_db_ref(c->unfiltered);
    return c;
}

dt_db *dt_db_ref(dt_db *db)
{
    db->refs++;
    return db;
}

void dt_db_unref(dt_db *db)
{
    if (!db || --db->refs > 0)
        return;
    dt_nov_unref(db->nov);
    dt_nov_unref(db->overlay);
    dt_schema_unref(db->schema);
    filter_unref(db->filter);
    dt_db_unref(db->unfiltered);
    dt_env_unref(db->env);
    free(db);
}

dt_db *dt_db_unviewed(dt_db *db)
{
    if (db->as_of_t == db->basis_t && db->since_t < 0 && !db->history && !db->filter)
        return dt_db_ref(db);
    dt_db *c = dt_db_clone(db);
    c->as_of_t = c->basis_t;
    c->since_t = -1;
    c->history = false;
    filter_unref(c->filter);
    c->filter = NULL;
    dt_db_unref(c->unfiltered);
    c->unfiltered = NULL;
    return c;
}

int64_t dt_db_basis_t(const dt_db *db) { return db->basis_t; }
int64_t dt_db_as_of_t(const dt_db *db) { return db->as_of_t; }
int64_t dt_db_since_t(const dt_db *db) { return db->since_t; }
bool dt_db_is_history(const dt_db *db) { return db->history; }

/* ---- time ---- */

int dt_db_resolve_time(dt_db *db, dt_time point, int64_t *t_out)
{
    switch (point.kind) {
    case DT_TIME_T:
        if (point.v < 0)
            return dt_error(DATOM_EINVAL, "t %lld: not a t (t counts from 0)", (long long)point.v);
        *t_out = point.v;
        return 0;
    case DT_TIME_TX:
        if (DT_EID_PART((uint64_t)point.v) != DT_PART_TX)
            return dt_error(DATOM_EINVAL, "%lld: not a transaction id", (long long)point.v);
        *t_out = DT_T_OF_TX((uint64_t)point.v);
        return 0;
    default: {
        /* Transactions have increasing instants and one :db/txInstant each,
         * and every t from 0 to the basis is one: the number of instants up
         * to POINT, less one, is the last t at or before it. */
        dt_db *u = dt_db_unviewed(db);
        dt_key from = {.n = 1, .a = DT_A_TX_INSTANT};
        dt_key to = {.n = 2, .a = DT_A_TX_INSTANT, .v = {.type = DT_INSTANT, .i = point.v}};
        uint64_t n = dt_db_count(u, DT_AVET, &from, &to, 0);
        dt_db_unref(u);
        *t_out = n ? (int64_t)n - 1 : -1;
        return 0;
    }
    }
}

/* T as a time, for views: T above the basis is the basis. */
static int view_time(dt_db *db, dt_time point, int64_t *t)
{
    int rc = dt_db_resolve_time(db, point, t);
    if (rc == 0 && *t > db->basis_t)
        *t = db->basis_t;
    return rc;
}

int dt_db_as_of(dt_db *db, dt_time point, dt_db **out)
{
    int64_t t = 0; /* set by view_time on success (gcc Release cannot tell) */
    int rc = view_time(db, point, &t);
    if (rc)
        return rc;
    dt_db *c = dt_db_clone(db);
    c->as_of_t = DT_MIN(t, db->as_of_t);
    *out = c;
    return 0;
}

int dt_db_since(dt_db *db, dt_time point, dt_db **out)
{
    int64_t t = 0; /* set by view_time on success (gcc Release cannot tell) */
    int rc = view_time(db, point, &t);
    if (rc)
        return rc;
    dt_db *c = dt_db_clone(db);
    c->since_t = DT_MAX(t, db->since_t);
    *out = c;
    return 0;
}

dt_db *dt_db_history(dt_db *db)
{
    dt_db *c = dt_db_clone(db);
    c->history = true;
    return c;
}

dt_db *dt_db_filter_owned(dt_db *db, dt_datom_pred pred, void *ctx, void (*free_ctx)(void *ctx))
{
    dt_db *c = dt_db_clone(db);
    dt_filter *f = dt_calloc(1, sizeof *f);
    *f = (dt_filter){.refs = 1, .pred = pred, .ctx = ctx, .free_ctx = free_ctx, .next = c->filter};
    c->filter = f; /* takes over the clone's reference to the older filters: they compose */
    if (!c->unfiltered) {
        c->unfiltered = dt_db_clone(db);
        filter_unref(c->unfiltered->filter);
        c->unfiltered->filter = NULL;
    }
    return c;
}

dt_db *dt_db_filter(dt_db *db, dt_datom_pred pred, void *ctx) { return dt_db_filter_owned(db, pred, ctx, NULL); }

/* ---- schema and lookups ---- */

const dt_attr *dt_db_attr(dt_db *db, uint32_t a) { return dt_schema_attr(db->schema, a); }
const dt_attr *dt_db_attr_by_ident(dt_db *db, const char *ident) { return dt_schema_attr_by_ident(db->schema, ident); }
uint64_t dt_db_entid(dt_db *db, const char *ident) { return dt_schema_entid(db->schema, ident); }
const char *dt_db_ident(dt_db *db, uint64_t e) { return dt_schema_ident(db->schema, e); }

void dt_vals_free(dt_vals *v)
{
    free(v->v);
    *v = (dt_vals){0};
}

int dt_db_values(dt_db *db, uint64_t e, uint32_t a, dt_arena *arena, dt_vals *vals)
{
    dt_key k = {.n = 2, .e = e, .a = a};
    dt_cursor c;
    const dt_datom *d;
    int rc = dt_cursor_init(&c, db, DT_EAVT, &k, &k, 0);
    while (dt_cursor_step(&c, &d, &rc)) {
        if (vals->n == vals->cap) {
            vals->cap = vals->cap ? vals->cap * 2 : 4;
            vals->v = dt_realloc(vals->v, vals->cap * sizeof *vals->v);
        }
        vals->v[vals->n++] = dt_arena_val(arena, d->v); /* the cursor's copy dies with it */
    }
    dt_cursor_fini(&c);
    return rc;
}

int dt_db_has(dt_db *db, uint64_t e, uint32_t a, dt_val v, bool *out)
{
    dt_key k = {.n = 3, .e = e, .a = a, .v = v};
    dt_datom d;
    int rc = dt_db_first(db, DT_EAVT, &k, &d, NULL);
    *out = rc == 1;
    return rc < 0 ? rc : 0;
}

int dt_db_lookup(dt_db *db, uint32_t a, dt_val v, uint64_t *e_out)
{
    dt_key k = {.n = 2, .a = a, .v = v};
    dt_datom d;
    int rc = dt_db_first(db, DT_AVET, &k, &d, NULL);
    *e_out = rc == 1 ? d.e : 0;
    return rc < 0 ? rc : 0;
}

int dt_db_tx_range(dt_db *db, int64_t start, int64_t end, dt_cursor **out)
{
    dt_key from = {.n = 1, .tx = DT_TX_OF_T(start < 0 ? 0 : start)};
    dt_key to = {.n = 1, .tx = DT_TX_OF_T(end)};
    return dt_cursor_open(db, DT_LOG, &from, end < 0 ? NULL : &to, DT_CUR_TO_EXCLUSIVE, out);
}

void dt_nov_apply(dt_nov *nov, const dt_datom *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dt_nov_add(nov, &d[i]);
}
