/*
 * internal.h: what the files of src/db share behind db.h: the shape of a db
 * value and of a connection, and the functions that pass them between
 * db.c (values and views), cursor.c (merged, view-filtered cursors), conn.c
 * (opening, the log, indexing), tx.c (the commit) and resolve.c (a
 * transaction's meaning). Nothing outside src/db includes it.
 */
#ifndef DT_DB_INTERNAL_H
#define DT_DB_INTERNAL_H

#include "db/cache.h"
#include "db/index.h"
#include "db/log.h"
#include "db/novelty.h"
#include "db/schema.h"
#include "db/segment.h"

/* What a db value needs to read segments; shared by a connection and every
 * value made from it, so values outlive their connection (not the store). */
typedef struct dt_env {
    int refs;
    datom_store *st;
    dt_cache *cache;
    char *name;
    char *prefix;     /* NS ".facts/" NAME "/" */
    char *seg_prefix; /* prefix "seg/" */
    char *log_name;   /* prefix "log" */
    char *root_name;  /* prefix "root" */
} dt_env;

dt_env *dt_env_ref(dt_env *e);
void dt_env_unref(dt_env *e);

struct dt_db {
    int refs;
    dt_env *env;
    dt_tree trees[DT_ORDER_COUNT];
    int64_t indexed_t; /* the trees hold t <= indexed_t */
    dt_nov *nov;       /* shared novelty: datoms with indexed_t < t <= nov_t count */
    int64_t nov_t;
    dt_nov *overlay;   /* speculative datoms of `with` (all count), or NULL */
    dt_schema *schema;
    int64_t basis_t;
    uint64_t next_user, next_db; /* as of the basis */
    int64_t last_instant;
    /* the view */
    int64_t as_of_t; /* datoms with t <= as_of_t; equals basis_t when not as-of */
    int64_t since_t; /* -1: none */
    bool history;
    struct dt_filter *filter; /* predicates, newest first (NULL: none) */
    dt_db *unfiltered;        /* what they see: this value without filters */
};

/* ---- cursors (cursor.c) ----
 * The shape of db.h's cursor, so that src/db may keep one on the stack
 * (dt_cursor_init): a lookup then allocates nothing. Fields are private to
 * cursor.c. */
typedef struct dt_cursor_src {
    int kind; /* 0 tree, 1 novelty, 2 overlay */
    union {
        dt_tree_cur tc;
        dt_nov_cur nc;
    };
    const dt_datom *head;   /* NULL: exhausted */
    dt_datom nd;            /* the head, for novelty sources */
    const dt_ndatom *nhead; /* novelty sources: the head as stored, and its position */
    uint32_t npos;
    dt_key nfrom, nto;      /* novelty sources: the cursor's keys, values interned in it */
} dt_cursor_src;

struct dt_cursor {
    dt_db *db;
    dt_order order;
    dt_key from, to;
    int flags;
    bool own_keys;             /* the keys' value bytes copied into from_bytes, to_bytes */
    dt_buf from_bytes, to_bytes;
    dt_cursor_src src[3];
    int n_src;
    bool done;
    bool one_nov;              /* one source, a novelty: the merge is skipped (next_nov) */
    bool out_copied;           /* out.v's bytes are in val (a segment's), not the db's */
    dt_datom out;
    dt_buf val;  /* the bytes of out.v when copied */
    dt_datom group;
    dt_buf gval; /* the bytes of group.v when copied */
};

/* Starts C (caller's memory) as dt_cursor_open would, borrowing FROM and TO
 * (they must outlive C); dt_cursor_fini releases what it holds, also after
 * an error. */
int dt_cursor_init(dt_cursor *c, dt_db *db, dt_order order, const dt_key *from, const dt_key *to, int flags);
void dt_cursor_fini(dt_cursor *c);

/* A filter's predicate, shared by the views derived from it. */
typedef struct dt_filter {
    int refs;
    dt_datom_pred pred;
    void *ctx;
    void (*free_ctx)(void *ctx);
    struct dt_filter *next; /* the filter of the value it was made from */
} dt_filter;

typedef struct dt_txres dt_txres;

/* A new db value with no view, holding references to what it is given. */
dt_db *dt_db_new(dt_env *env, const dt_tree trees[DT_ORDER_COUNT], int64_t indexed_t, dt_nov *nov,
                 int64_t nov_t, dt_schema *schema);
/* A shallow copy of DB (same sources and view), for deriving a view. */
dt_db *dt_db_clone(const dt_db *db);
/* The db value as of its basis, views removed (what transactions resolve against). */
dt_db *dt_db_unviewed(dt_db *db);

/* The current values of E's attribute A in DB (its view), appended to VALS
 * (string-like bytes copied into ARENA). */
typedef struct dt_vals {
    dt_val *v;
    size_t n, cap;
} dt_vals;
int dt_db_values(dt_db *db, uint64_t e, uint32_t a, dt_arena *arena, dt_vals *vals);
/* Is [E A V] current in DB? */
int dt_db_has(dt_db *db, uint64_t e, uint32_t a, dt_val v, bool *out);
void dt_vals_free(dt_vals *v);

/* Applies a transaction's datoms (sorted e a v, all of one t) to NOV. */
void dt_nov_apply(dt_nov *nov, const dt_datom *d, size_t n);

/* ---- transactions (resolve.c) ----
 * The operations of tx-data once read (txdata.c): list forms as they are,
 * map forms expanded to one op per attribute value, nested maps and maps
 * without :db/id given anonymous tempids; attributes resolved to ids and
 * values typed by their attribute (a reference value stays an entity
 * reference until resolve.c resolves it). */
enum { DT_OP_ADD, DT_OP_RETRACT, DT_OP_RETRACT_ATTR, DT_OP_RETRACT_ENTITY, DT_OP_CAS };
enum { DT_EREF_ID = 1, DT_EREF_TEMPID, DT_EREF_LOOKUP };

typedef struct dt_eref {
    uint8_t kind;
    uint64_t id;        /* ID: the entity; TEMPID without a name: its anonymous number */
    const char *tempid; /* TEMPID: the name (borrowed), or NULL for an anonymous one */
    uint32_t la;        /* LOOKUP: the unique attribute */
    dt_val lv;          /*         and the value */
} dt_eref;

typedef struct dt_txop {
    uint8_t op;
    bool v_ref, old_ref; /* the value (old value) is an entity reference */
    bool old_nil;        /* :db/cas expecting no value */
    bool nested;         /* made from a nested map (for messages) */
    dt_eref e;
    uint32_t a;
    dt_val v, old;
    dt_eref vref, oldref;
    uint32_t line, col; /* where the form was read (0: unknown) */
} dt_txop;

typedef struct dt_txops {
    dt_txop *v;
    size_t n, cap;
    uint64_t n_anon; /* anonymous tempids handed out */
    dt_arena arena;  /* the bytes of the ops' values */
} dt_txops;
dt_txop *dt_txops_push(dt_txops *ops);
void dt_txops_free(dt_txops *ops);
void dt_txops_reset(dt_txops *ops); /* empty, memory kept */

/* The resolved transaction: datoms to add, tempids, counters after it. */
struct dt_txres {
    dt_datom *datoms; /* sorted e a v; values owned by arena */
    size_t n, cap;
    dt_tempid *tempids;
    size_t n_tempids, cap_tempids;
    uint64_t next_user, next_db;
    int64_t t, instant;
    dt_arena arena;
    uint64_t *touched; /* schema entities changed */
    size_t n_touched, cap_touched;
};
void dt_txres_free(dt_txres *r);
void dt_txres_reset(dt_txres *r); /* empty, memory kept */

/* What dt_resolve works in, kept between transactions by a connection. */
typedef struct dt_rscratch dt_rscratch;
void dt_rscratch_free(dt_rscratch *s);
/* Resolves OPS against DB (unviewed) as transaction T at wall-clock NOW_MS:
 * tempids, lookup refs, upserts, retractEntity, cas, cardinality, uniqueness,
 * composite tuples, schema rules, :db/txInstant. Nothing is written; on
 * error nothing is kept and the message names the offending datom. OUT is
 * zeroed or reset; SCRATCH (may be NULL: a private one) lends its memory. */
int dt_resolve(dt_db *db, const dt_txops *ops, int64_t t, int64_t now_ms, dt_rscratch **scratch, dt_txres *out);
/* alter.c: Datomic's rules for schema changes, checked on a transaction's
 * datoms D against the db before it (FRESH: the entities it makes, sorted). */
int dt_schema_check(dt_db *db, const dt_datom *d, size_t n, const uint64_t *fresh, size_t n_fresh);
/* alter.c: the datoms that keep composite tuples in step with the
 * attributes they are made of, added to the transaction's (kept sorted). */
int dt_composites(dt_db *db, dt_txres *r);
/* Appends the EDN text of [op e a v] with idents as DB names them. */
void dt_datom_describe(dt_db *db, dt_buf *out, bool added, uint64_t e, uint32_t a, dt_val v);

/* ---- connections (conn.c) ---- */
struct dt_conn {
    dt_env *env;
    dt_conn_opts opts;
    dt_root root; /* as last read or written */
    char root_version[DATOM_REF_VERSION_MAX];
    dt_nov *nov;
    dt_db *db;         /* the current value */
    uint64_t log_size; /* append: where the good records end (what this connection has read) */
    uint64_t torn;     /* append: the log's size when bytes past log_size failed their check (0: none) */
    dt_conn_stats stats;
    /* memory a transaction works in, kept for the next (tx.c, txdata.c) */
    dt_txops ops;
    dt_txres res;
    dt_rscratch *rs;
    dt_buf rec;
    void *doc;                   /* txdata.c's EDN document, reused */
    void (*doc_free)(void *doc); /* and how to free it */
};
/* Makes DB's successor after transaction R (its datoms applied to the
 * novelty, the schema updated) the connection's current value. */
int dt_conn_advance(dt_conn *c, const dt_txres *r);
/* Reads the log past what C has seen and applies it (objects: the root too). */
int dt_conn_catch_up(dt_conn *c);
/* Moves the root ref from the connection's version to NR (DATOM_ECONFLICT
 * when another process moved it first); the new version in VERSION. */
int dt_conn_root_cas(dt_conn *c, const dt_root *nr, char version[DATOM_REF_VERSION_MAX]);
/* Indexes when the novelty has passed the threshold (errors are logged, not
 * returned: the transaction that triggered it is durable already). */
void dt_conn_maybe_index(dt_conn *c);

#endif /* DT_DB_INTERNAL_H */
