/*
 * conn.c: connections (db.h, "stores, connections and db values"): making,
 * listing and opening databases, reading the log past what a connection has
 * seen, and indexing (merging novelty into the durable trees, then moving
 * the root). The commit itself is tx.c's.
 *
 * Where a database lives (docs/formats.md, "Where facts live"):
 *   NS .facts/NAME/db.json     a marker, for listing (written first)
 *   NS .facts/NAME/root        the root ref (log.h, dt_root), moved by CAS
 *   NS .facts/NAME/log         the append-only log (stores that have logs)
 *   NS .facts/NAME/log/SHA     transaction objects (stores without)
 *   NS .facts/NAME/seg/SHA     segments
 * NS is "datom/" or "{prefix}/datom/": the project's namespace. A table name
 * starts with a letter, so ".facts" can never be one.
 *
 * Opening reads the root, then every log record past root.log_offset (or
 * every object from the root's head back to its indexed t): a fresh process
 * holds only novelty in memory and reads segments lazily through the cache.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

#define DEFAULT_THRESHOLD 1000000u
#define NAME_MAX_LEN 100

int dt_db_name_check(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    bool ok = n > 0 && n <= NAME_MAX_LEN &&
              ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'));
    for (size_t i = 1; ok && i < n; i++) {
        char ch = name[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '_' || ch == '-' || ch == '.';
    }
    if (ok)
        return 0;
    dt_buf b = DT_BUF_INIT;
    if (name) {
        dt_blob *bl = dt_blob_new(name, strlen(name));
        dt_val_print(&b, dt_val_blob(DT_STRING, bl));
        free(bl);
    }
    int rc = dt_error(DATOM_EINVAL, "database name %s: a letter, then letters, digits, '_', '-' or '.' "
                      "(at most %d)", name ? dt_buf_cstr(&b) : "(none)", NAME_MAX_LEN);
    dt_buf_free(&b);
    return rc;
}

static const char *ns_of(const dt_conn_opts *o) { return o && o->ns && *o->ns ? o->ns : "datom/"; }

static dt_env *env_new(datom_store *st, const char *name, const dt_conn_opts *o)
{
    dt_env *e = dt_calloc(1, sizeof *e);
    e->refs = 1;
    e->st = st;
    e->name = dt_strdup(name);
    e->prefix = dt_sprintf("%s.facts/%s/", ns_of(o), name);
    e->seg_prefix = dt_sprintf("%sseg/", e->prefix);
    e->log_name = dt_sprintf("%slog", e->prefix);
    e->root_name = dt_sprintf("%sroot", e->prefix);
    e->cache = dt_cache_new(st, e->seg_prefix, o ? o->cache_bytes : 0);
    return e;
}

/* ---- the current value ---- */

/* A value of the connection's state with SCHEMA at basis T. */
static dt_db *state_db(dt_conn *c, int64_t t, dt_schema *schema)
{
    dt_db *db = dt_db_new(c->env, c->root.trees, c->root.indexed_t, c->nov, t, schema);
    db->basis_t = DT_MAX(t, c->root.indexed_t);
    db->as_of_t = db->basis_t;
    return db;
}

static void set_db(dt_conn *c, dt_db *db, uint64_t next_user, uint64_t next_db, int64_t instant)
{
    db->next_user = next_user;
    db->next_db = next_db;
    db->last_instant = instant;
    dt_db_unref(c->db);
    c->db = db;
}

/* Applies one transaction's datoms and moves the current value to T. */
static int advance(dt_conn *c, const dt_datom *d, size_t n, int64_t t, uint64_t next_user, uint64_t next_db,
                   int64_t instant, const uint64_t *touched, size_t n_touched)
{
    dt_nov_apply(c->nov, d, n);
    dt_schema *schema = dt_schema_ref(c->db->schema);
    if (n_touched) {
        dt_db *tmp = state_db(c, t, schema);
        dt_schema *next;
        int rc = dt_schema_update(schema, tmp, touched, n_touched, &next);
        dt_db_unref(tmp);
        dt_schema_unref(schema);
        if (rc)
            return rc;
        schema = next;
    }
    set_db(c, state_db(c, t, schema), DT_MAX(next_user, c->db->next_user), DT_MAX(next_db, c->db->next_db),
           DT_MAX(instant, c->db->last_instant));
    dt_schema_unref(schema);
    return 0;
}

int dt_conn_advance(dt_conn *c, const dt_txres *r)
{
    return advance(c, r->datoms, r->n, r->t, r->next_user, r->next_db, r->instant, r->touched, r->n_touched);
}

/* A record read from the log (another connection's transaction, or one of
 * this connection's own from before it opened). */
static int apply_record(void *ctx, const dt_txrec *r)
{
    dt_conn *c = ctx;
    if (r->t <= c->db->basis_t)
        return 0; /* in the trees already */
    if (r->t != c->db->basis_t + 1)
        return dt_error(DATOM_ECORRUPT, "%s: the log skips from t %lld to t %lld", c->env->name,
                        (long long)c->db->basis_t, (long long)r->t);
    uint64_t *touched = NULL;
    size_t nt = 0;
    for (size_t i = 0; i < r->n; i++)
        if (dt_schema_touches(r->datoms[i].e, r->datoms[i].a)) {
            touched = dt_realloc(touched, (nt + 1) * sizeof *touched);
            touched[nt++] = r->datoms[i].e;
        }
    int rc = advance(c, r->datoms, r->n, r->t, r->next_user, r->next_db, r->instant, touched, nt);
    free(touched);
    return rc;
}

/* ---- reading the log ---- */

/* Append: the records past log_size. */
static int catch_up_append(dt_conn *c)
{
    dt_buf b = DT_BUF_INIT;
    uint64_t size = 0;
    int rc = dt_store_log_read(c->env->st, c->env->log_name, c->log_size, &b, &size);
    if (rc == DATOM_ENOTFOUND && c->log_size == 0) {
        datom_errclear();
        dt_buf_free(&b);
        return 0; /* no transaction yet */
    }
    size_t skip = 0;
    if (rc == 0 && c->log_size == 0 && b.len) {
        if (b.len < DT_LOG_HEADER) {
            c->torn = size; /* a head cut short: a first append that died */
            dt_buf_free(&b);
            return 0;
        }
        rc = dt_log_check_header(b.data, b.len, c->env->log_name);
        skip = DT_LOG_HEADER;
    }
    if (rc == 0) {
        dt_arena arena = {0};
        size_t end = 0;
        rc = dt_log_scan(b.data + skip, b.len - skip, c->env->log_name, &arena, apply_record, c, &end);
        dt_arena_free(&arena);
        c->log_size += skip + end;
        c->torn = c->log_size < size ? size : 0;
    }
    dt_buf_free(&b);
    return rc;
}

/* Objects: a transaction object's record (verified by its SHA). */
static int fetch_object(dt_conn *c, const uint8_t sha[32], dt_buf *out, uint8_t prev[32])
{
    char hex[DATOM_SHA_HEX];
    dt_hex_encode(sha, 32, hex);
    char *prefix = dt_sprintf("%s/", c->env->log_name);
    int rc = dt_store_get_ca(c->env->st, prefix, hex, dt_sink_buf(out));
    free(prefix);
    if (rc == 0 && (out->len < DT_LOG_OBJ_HEADER || memcmp(out->data, "DTLO", 4) || out->data[4] != DT_LOG_VERSION))
        rc = dt_error(DATOM_ECORRUPT, "%s/%s: not a transaction object of this version", c->env->log_name, hex);
    if (rc == 0)
        memcpy(prev, out->data + 8, 32);
    return rc;
}

/* Objects: from HEAD (at t HEAD_T) back to what C holds, then forward. */
static int catch_up_objects(dt_conn *c, const uint8_t head[32], int64_t head_t)
{
    int64_t have = c->db->basis_t;
    if (head_t <= have)
        return 0;
    size_t n = (size_t)(head_t - have);
    dt_buf *objs = dt_calloc(n, sizeof *objs);
    uint8_t sha[32];
    memcpy(sha, head, 32);
    int rc = 0;
    for (size_t i = n; rc == 0 && i-- > 0;)
        rc = fetch_object(c, sha, &objs[i], sha);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        dt_arena arena = {0};
        size_t end = 0;
        rc = dt_log_scan(objs[i].data + DT_LOG_OBJ_HEADER, objs[i].len - DT_LOG_OBJ_HEADER, c->env->log_name,
                         &arena, apply_record, c, &end);
        if (rc == 0 && end != objs[i].len - DT_LOG_OBJ_HEADER)
            rc = dt_error(DATOM_ECORRUPT, "%s: a damaged transaction object", c->env->log_name);
        dt_arena_free(&arena);
    }
    for (size_t i = 0; i < n; i++)
        dt_buf_free(&objs[i]);
    free(objs);
    return rc;
}

/* ---- the root ---- */

static int read_root(dt_env *env, dt_root *r, char version[DATOM_REF_VERSION_MAX])
{
    dt_buf b = DT_BUF_INIT;
    dt_ref_info info = {0};
    int rc = dt_store_ref_get_info(env->st, env->root_name, &b, &info);
    if (rc == DATOM_ENOTFOUND)
        rc = dt_error(DATOM_ENOTFOUND, "no database %s in %s", env->name, dt_store_url(env->st));
    if (rc == 0)
        rc = dt_root_decode(b.data, b.len, env->root_name, r);
    if (rc == 0)
        memcpy(version, info.version, DATOM_REF_VERSION_MAX);
    dt_buf_free(&b);
    return rc;
}

/* Takes root R (newer trees): the novelty keeps only what the trees lack. */
static void adopt_root(dt_conn *c, const dt_root *r, const char *version)
{
    dt_root old = c->root;
    c->root = *r;
    memcpy(c->root_version, version, DATOM_REF_VERSION_MAX);
    if (!r->objects) {
        c->root.log_offset = r->log_offset;
        if (c->log_size < r->log_offset)
            c->log_size = r->log_offset; /* what lies before is in the trees */
    } else {
        /* keep our head if it is newer (a root moved by indexing only) */
        if (old.head_t > r->head_t) {
            memcpy(c->root.head, old.head, 32);
            c->root.head_t = old.head_t;
        }
    }
    if (r->indexed_t <= old.indexed_t)
        return;
    dt_nov *next = dt_nov_rebase(c->nov, r->indexed_t);
    dt_nov_unref(c->nov);
    c->nov = next;
    int64_t t = DT_MAX(c->db->basis_t, r->indexed_t);
    uint64_t nu = DT_MAX(c->db->next_user, r->next_user), nd = DT_MAX(c->db->next_db, r->next_db);
    int64_t li = DT_MAX(c->db->last_instant, r->last_instant);
    set_db(c, state_db(c, t, c->db->schema), nu, nd, li);
}

int dt_conn_catch_up(dt_conn *c)
{
    if (!c->root.objects)
        return catch_up_append(c);
    dt_root r;
    char version[DATOM_REF_VERSION_MAX];
    int rc = read_root(c->env, &r, version);
    if (rc || !strcmp(version, c->root_version))
        return rc;
    adopt_root(c, &r, version);
    return catch_up_objects(c, r.head, r.head_t);
}

int dt_conn_sync(dt_conn *c) { return dt_conn_catch_up(c); }

/* ---- opening ---- */

static void conn_free_parts(dt_conn *c)
{
    dt_txops_free(&c->ops);
    dt_txres_free(&c->res);
    dt_rscratch_free(c->rs);
    dt_buf_free(&c->rec);
    if (c->doc)
        c->doc_free(c->doc);
    dt_db_unref(c->db);
    dt_nov_unref(c->nov);
    dt_env_unref(c->env);
    free(c);
}

void dt_conn_free(dt_conn *c)
{
    if (c)
        conn_free_parts(c);
}

static int open_state(dt_conn *c)
{
    c->nov = dt_nov_new();
    dt_schema *boot = dt_schema_bootstrap();
    int64_t t = c->root.indexed_t;
    if (t < 0) {
        size_t n;
        const dt_datom *d = dt_bootstrap_datoms(&n);
        dt_nov_apply(c->nov, d, n);
        t = 0;
    }
    c->db = state_db(c, t, boot);
    c->db->next_user = c->root.next_user;
    c->db->next_db = c->root.next_db;
    c->db->last_instant = c->root.last_instant;
    dt_schema_unref(boot);
    int rc = 0;
    if (c->root.indexed_t >= 0) {
        /* The schema of the trees (and of anything replayed, via advance). */
        dt_schema *s;
        if ((rc = dt_schema_load(c->db, &s)) == 0) {
            dt_schema_unref(c->db->schema);
            c->db->schema = s;
        }
    }
    if (rc)
        return rc;
    if (c->root.objects)
        return catch_up_objects(c, c->root.head, c->root.head_t);
    c->log_size = c->root.log_offset;
    return catch_up_append(c);
}

int dt_conn_open(datom_store *st, const char *name, const dt_conn_opts *opts, dt_conn **out)
{
    *out = NULL;
    int rc = dt_db_name_check(name);
    if (rc)
        return rc;
    dt_conn *c = dt_calloc(1, sizeof *c);
    c->env = env_new(st, name, opts);
    if (opts)
        c->opts = *opts;
    if (!c->opts.index_threshold)
        c->opts.index_threshold = DEFAULT_THRESHOLD;
    if ((rc = read_root(c->env, &c->root, c->root_version)) == 0)
        rc = open_state(c);
    if (rc) {
        conn_free_parts(c);
        return dt_error_wrap("open database %s", name);
    }
    *out = c;
    return 0;
}

int dt_conn_create(datom_store *st, const char *name, const dt_conn_opts *opts, dt_conn **out)
{
    *out = NULL;
    int rc = dt_db_name_check(name);
    if (rc)
        return rc;
    dt_env *env = env_new(st, name, opts);
    /* The marker first: a crash before the root leaves a name that does
     * not open and that a second create completes. */
    char when[32];
    dt_utc_iso(dt_now_ms(), when);
    json_t *j = json_pack("{s:i,s:s,s:s}", "format", DT_ROOT_FORMAT, "name", name, "created", when);
    char *text = dt_json_compact(j);
    json_decref(j);
    char *marker = dt_sprintf("%sdb.json", env->prefix);
    rc = datom_store_put(st, marker, text, strlen(text));
    free(marker);
    free(text);
    dt_root r = {.indexed_t = -1, .next_user = 1, .next_db = DT_FIRST_USER_DB, .head_t = -1,
                 .objects = !dt_store_has_log(st) || (opts && opts->no_append)};
    dt_buf b = DT_BUF_INIT;
    dt_root_encode(&r, &b);
    if (rc == 0)
        rc = dt_store_ref_cas_info(st, env->root_name, NULL, b.data, b.len, NULL);
    if (rc == DATOM_EEXISTS)
        rc = dt_error(DATOM_EEXISTS, "database %s already exists in %s", name, dt_store_url(st));
    dt_buf_free(&b);
    dt_env_unref(env);
    return rc ? rc : dt_conn_open(st, name, opts, out);
}

int dt_db_list(datom_store *st, const char *ns, dt_strv *names)
{
    char *prefix = dt_sprintf("%s.facts/", ns && *ns ? ns : "datom/");
    size_t plen = strlen(prefix);
    char *after = NULL;
    int rc = 0;
    for (;;) {
        char **keys;
        size_t n;
        if ((rc = datom_store_list(st, prefix, after, 1, &keys, &n, NULL)) || n == 0)
            break;
        const char *rest = keys[0] + plen, *slash = strchr(rest, '/');
        size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
        char *name = dt_strndup(rest, len);
        char *marker = dt_sprintf("%s%s/db.json", prefix, name);
        if (datom_store_stat(st, marker, NULL) == 0)
            dt_strv_push(names, name);
        else
            datom_errclear();
        free(marker);
        free(after);
        /* Past every key under NAME/: '0' follows '/'. */
        after = dt_sprintf("%s%s0", prefix, name);
        free(name);
        datom_strings_free(keys, n);
    }
    free(after);
    free(prefix);
    return rc;
}

/* ---- indexing ---- */

/* The novelty's datoms of ORDER with indexed_t < t <= T. */
static dt_datom *gather(dt_conn *c, dt_order order, int64_t t, size_t *n_out)
{
    size_t n = 0, cap = 1024;
    dt_datom *d = dt_malloc(cap * sizeof *d);
    dt_nov_cur cur;
    dt_nov_cur_init(&cur, c->nov, order, NULL);
    uint32_t pos;
    while (dt_nov_cur_next(&cur, &pos)) {
        const dt_ndatom *nd = dt_nov_at(c->nov, pos);
        if (DT_ND_T(nd) <= c->root.indexed_t || DT_ND_T(nd) > t)
            continue;
        if (n == cap) {
            cap *= 2;
            d = dt_realloc(d, cap * sizeof *d);
        }
        dt_nov_get(c->nov, pos, &d[n++]);
    }
    *n_out = n;
    return d;
}

static int build_trees(dt_conn *c, int64_t t, dt_root *nr)
{
    int rc = 0;
    for (int o = 0; rc == 0 && o < DT_ORDER_COUNT; o++) {
        size_t n;
        dt_datom *d = gather(c, (dt_order)o, t, &n);
        rc = dt_tree_merge(c->env->cache, (dt_order)o, &c->root.trees[o], d, n, &nr->trees[o]);
        free(d);
    }
    return rc;
}

int dt_conn_root_cas(dt_conn *c, const dt_root *nr, char version[DATOM_REF_VERSION_MAX])
{
    dt_buf b = DT_BUF_INIT;
    dt_root_encode(nr, &b);
    dt_ref_info info = {0};
    int rc = dt_store_ref_cas_info(c->env->st, c->env->root_name, c->root_version, b.data, b.len, &info);
    dt_buf_free(&b);
    if (rc == 0)
        memcpy(version, info.version, DATOM_REF_VERSION_MAX);
    return rc;
}

int dt_conn_index(dt_conn *c)
{
    int64_t t = c->db->basis_t;
    if (t <= c->root.indexed_t)
        return 0;
    dt_root nr = c->root;
    int rc = build_trees(c, t, &nr);
    if (rc)
        return dt_error_wrap("index %s", c->env->name);
    nr.indexed_t = t;
    nr.next_user = c->db->next_user;
    nr.next_db = c->db->next_db;
    nr.last_instant = c->db->last_instant;
    if (!nr.objects)
        nr.log_offset = c->log_size;
    char version[DATOM_REF_VERSION_MAX];
    if ((rc = dt_conn_root_cas(c, &nr, version)) == 0) {
        adopt_root(c, &nr, version);
        c->stats.indexings++;
        return 0;
    }
    if (rc != DATOM_ECONFLICT)
        return rc;
    /* Someone moved the root: take theirs (the segments written here are
     * unreferenced, for gc); the next indexing starts from it. */
    datom_errclear();
    dt_root r;
    if ((rc = read_root(c->env, &r, version)) == 0) {
        adopt_root(c, &r, version);
        rc = dt_conn_catch_up(c);
    }
    return rc;
}

void dt_conn_maybe_index(dt_conn *c)
{
    if (dt_nov_count(c->nov) < c->opts.index_threshold)
        return;
    if (dt_conn_index(c)) {
        dt_log(DT_LOG_INFO, "datom: indexing %s failed (it will be tried again): %s", c->env->name,
               datom_errmsg());
        datom_errclear();
    }
}

/* ---- values and stats ---- */

dt_db *dt_conn_db(dt_conn *c) { return dt_db_ref(c->db); }

void dt_conn_stats_get(dt_conn *c, dt_conn_stats *out)
{
    *out = c->stats;
    dt_cache_stats cs;
    dt_cache_stats_get(c->env->cache, &cs);
    out->puts += cs.puts;
    out->novelty_datoms = dt_nov_count(c->nov);
    out->novelty_bytes = dt_nov_bytes(c->nov);
    out->cache_bytes = cs.bytes;
    out->cache_hits = cs.hits;
    out->cache_misses = cs.misses;
}
