/*
 * db.h: the fact database, as the layers above it see it (the Datalog of
 * src/query, the command, the HTTP server, benchmarks and differential
 * drivers). Nothing here exposes a segment, a tree or the log: callers get
 * values, datoms, cursors, counts and db values.
 *
 * The model (docs/architecture.md, "Facts"):
 *  - A datom is [e a v tx added]. e is an entity id, a an attribute's entity
 *    id, v a typed value, tx the id of the transaction that asserted
 *    (added = true) or retracted it.
 *  - A connection (dt_conn) is one process's handle on one database in a
 *    store; it transacts and hands out db values.
 *  - A db value (dt_db) is immutable: whatever is transacted later, reading
 *    it gives the same answer. Views (as-of, since, history, with, filter)
 *    are db values too. Values are reference counted (dt_db_ref/unref).
 *  - Cursors walk one of the covering orders of a db value in sorted order,
 *    already filtered by the value's view (a current view shows only datoms
 *    asserted and not retracted as of its basis).
 *
 * Threads: a connection and every value and cursor made from it share
 * memory without locks; use them from one thread at a time (two connections
 * on one database, in one process or several, are independent).
 *
 * Borrowing: a dt_val of a string-like type points at bytes owned by the db
 * value (or by the cursor's current segment for a cursor): they stay valid
 * while the db value lives, and for a cursor's datom until the cursor moves.
 * dt_val_copy makes an owned copy.
 *
 * Errors follow core.h: 0 or a negative DATOM_E* with dt_error's message.
 */
#ifndef DT_DB_H
#define DT_DB_H

#include "core/core.h"
#include "store/store.h"

/* ---- entity ids ----------------------------------------------------------
 * A 64-bit id: a partition in bits 42..62 and a number below (as Datomic):
 *   part 0 (db)   the built-in schema and every installed attribute;
 *   part 3 (tx)   transactions: the tx of basis t is DT_TX_PART | t;
 *   part 4 (user) every other entity, numbered from 1 in creation order.
 * An attribute's id is below 2^32. A t is below 2^31. */
#define DT_PART_SHIFT 42
#define DT_PART_DB 0u
#define DT_PART_TX 3u
#define DT_PART_USER 4u
#define DT_EID(part, n) (((uint64_t)(part) << DT_PART_SHIFT) | (uint64_t)(n))
#define DT_EID_PART(e) ((unsigned)((e) >> DT_PART_SHIFT))
#define DT_EID_NUM(e) ((e) & ((UINT64_C(1) << DT_PART_SHIFT) - 1))
#define DT_TX_OF_T(t) DT_EID(DT_PART_TX, (t))
#define DT_T_OF_TX(tx) ((int64_t)DT_EID_NUM(tx))
#define DT_T_MAX INT64_C(0x7fffffff)

/* ---- values ----------------------------------------------------------------
 * Types in their order across types (values of one attribute always have
 * one type; only tuple elements mix, and nil sorts first there). */
typedef enum dt_vtype {
    DT_NIL = 0,   /* only inside tuples, and as "no value" in a key */
    DT_BOOL,      /* i: 0 or 1 */
    DT_LONG,      /* i */
    DT_DOUBLE,    /* d */
    DT_FLOAT,     /* d (rounded to float) */
    DT_BIGINT,    /* b: canonical decimal text ("-12") */
    DT_BIGDEC,    /* b: canonical decimal text ("1.50") */
    DT_INSTANT,   /* i: milliseconds since the epoch, UTC */
    DT_UUID,      /* b: 16 bytes */
    DT_STRING,    /* b: UTF-8 */
    DT_KEYWORD,   /* b: "ns/name" or "name", without the colon */
    DT_SYMBOL,    /* b: "ns/name" or "name" */
    DT_URI,       /* b: text */
    DT_BYTES,     /* b: bytes */
    DT_REF,       /* u: an entity id */
    DT_TUPLE,     /* b: encoded elements (dt_tuple_*) */
    DT_VTYPE_COUNT
} dt_vtype;

/* Bytes of a string-like value: len bytes at data, then a NUL (not counted).
 * hash is a function of the bytes only (dt_blob_hash). */
typedef struct dt_blob {
    uint32_t len;
    uint32_t hash;
    char data[];
} dt_blob;

typedef struct dt_val {
    uint8_t type; /* dt_vtype */
    union {
        int64_t i;
        double d;
        uint64_t u;
        const dt_blob *b;
    };
} dt_val;

static inline dt_val dt_val_long(int64_t x) { return (dt_val){.type = DT_LONG, .i = x}; }
static inline dt_val dt_val_ref(uint64_t e) { return (dt_val){.type = DT_REF, .u = e}; }
static inline dt_val dt_val_bool(int x) { return (dt_val){.type = DT_BOOL, .i = !!x}; }
static inline dt_val dt_val_nil(void) { return (dt_val){.type = DT_NIL}; }
/* A value of TYPE (string-like) pointing at BLOB (not copied). */
static inline dt_val dt_val_blob(dt_vtype type, const dt_blob *b) { return (dt_val){.type = (uint8_t)type, .b = b}; }
/* Whether values of type T are bytes (v.b); false for any T past the dt_vtype range. */
static inline bool dt_vtype_is_blob(unsigned t)
{
    enum { BLOBS = 1u << DT_BIGINT | 1u << DT_BIGDEC | 1u << DT_UUID | 1u << DT_STRING | 1u << DT_KEYWORD |
                   1u << DT_SYMBOL | 1u << DT_URI | 1u << DT_BYTES | 1u << DT_TUPLE };
    return t < 32 && (BLOBS >> t & 1u);
}
const char *dt_vtype_name(dt_vtype t); /* "long", "string", ... (the :db.type/ name) */
int dt_vtype_parse(const char *name, dt_vtype *out); /* "long" or "db.type/long" */

uint32_t dt_blob_hash(const void *p, size_t n);
/* A new blob holding a copy of P (freed with free()). */
dt_blob *dt_blob_new(const void *p, size_t n);
/* Total order: by type first, then by value (numbers numerically, doubles
 * with -0 < +0 and NaN last, strings and bytes by unsigned bytes, tuples
 * element by element). Returns <0, 0, >0. */
int dt_val_cmp(dt_val a, dt_val b);
bool dt_val_eq(dt_val a, dt_val b);
uint64_t dt_val_hash(dt_val v);
/* An owned copy (string-like bytes duplicated); dt_val_free releases it. */
dt_val dt_val_copy(dt_val v);
void dt_val_free(dt_val *v);
/* Appends the EDN text of V (keywords with their colon, instants as #inst,
 * uuids as #uuid, refs as numbers). */
void dt_val_print(dt_buf *out, dt_val v);

/* Tuples: a DT_TUPLE blob holds its elements; these read them. */
size_t dt_tuple_count(const dt_blob *t);
/* Element I of T (borrowing T's bytes). */
dt_val dt_tuple_get(const dt_blob *t, size_t i);
/* A new tuple blob from N values (freed with free()). */
dt_blob *dt_tuple_new(const dt_val *vals, size_t n);

/* ---- arenas: where copies of values' bytes live, freed at once ---------- */
typedef struct dt_arena {
    struct dt_arena_chunk *head;
    size_t bytes;
} dt_arena;
void *dt_arena_alloc(dt_arena *a, size_t n); /* 8-aligned */
void dt_arena_free(dt_arena *a);
/* Empties A but keeps its newest chunk for the next use. */
void dt_arena_reset(dt_arena *a);
/* V with its bytes (if string-like) copied into A. */
dt_val dt_arena_val(dt_arena *a, dt_val v);

/* ---- datoms and orders --------------------------------------------------- */
typedef struct dt_datom {
    uint64_t e;
    uint64_t tx; /* the transaction's entity id (DT_TX_OF_T(t)) */
    uint32_t a;
    bool added;
    dt_val v;
} dt_datom;

/* The covering indexes. AVET covers every attribute (as Datomic Cloud does),
 * so :db/index costs nothing and may be added or dropped freely; VAET covers
 * reference attributes only. DT_LOG is the log: transactions in t order, and
 * within one by e, a, v. */
typedef enum dt_order { DT_EAVT = 0, DT_AEVT, DT_AVET, DT_VAET, DT_LOG, DT_ORDER_COUNT } dt_order;
const char *dt_order_name(dt_order o); /* "eavt", ... */
int dt_order_parse(const char *name, dt_order *out);

/* A key: the first n components of a datom in ORDER's component order
 * (EAVT: e a v tx; AEVT: a e v tx; AVET: a v e tx; VAET: v a e tx; LOG:
 * tx e a v). Components past n are ignored. */
typedef struct dt_key {
    int n;
    uint64_t e;
    uint32_t a;
    dt_val v;
    uint64_t tx;
} dt_key;

/* ---- stores, connections and db values ------------------------------------ */
typedef struct dt_conn dt_conn;
typedef struct dt_db dt_db;

typedef struct dt_conn_opts {
    /* Namespace in the store: "datom/" (default when NULL) or "{prefix}/datom/";
     * a database lives under NS + ".facts/" + NAME + "/" (docs/formats.md). */
    const char *ns;
    size_t cache_bytes;       /* decoded segments kept in memory; 0: 64 MiB */
    uint64_t index_threshold; /* novelty datoms that trigger indexing; 0: default */
    bool no_append;           /* use the portable commit even where the store appends */
} dt_conn_opts;

/* Database names: a letter, then letters, digits, '_', '-', '.'; at most 100 bytes. */
int dt_db_name_check(const char *name);
/* Creates database NAME (DATOM_EEXISTS if it exists) and opens it. */
int dt_conn_create(datom_store *st, const char *name, const dt_conn_opts *opts, dt_conn **out);
/* Opens database NAME (DATOM_ENOTFOUND if there is none). */
int dt_conn_open(datom_store *st, const char *name, const dt_conn_opts *opts, dt_conn **out);
void dt_conn_free(dt_conn *c);
/* The names of the databases in the store, sorted. */
int dt_db_list(datom_store *st, const char *ns, dt_strv *names);
/* Reads what other connections committed since this one last looked. */
int dt_conn_sync(dt_conn *c);
/* The current db value (a new reference). */
dt_db *dt_conn_db(dt_conn *c);
/* Merges novelty into the durable trees now (normally automatic). */
int dt_conn_index(dt_conn *c);

typedef struct dt_conn_stats {
    uint64_t puts;           /* segment and log objects written */
    uint64_t commits;        /* transactions committed by this connection */
    uint64_t retries;        /* commits retried after losing a race */
    uint64_t indexings;      /* indexing jobs finished */
    uint64_t novelty_datoms; /* datoms in memory above the durable trees */
    uint64_t novelty_bytes;  /* memory held by them (datoms, orders, strings) */
    uint64_t cache_bytes;    /* decoded segments held by the cache */
    uint64_t cache_hits, cache_misses;
} dt_conn_stats;
void dt_conn_stats_get(dt_conn *c, dt_conn_stats *out);

dt_db *dt_db_ref(dt_db *db);
void dt_db_unref(dt_db *db);

/* ---- transactions ----------------------------------------------------------
 * A transaction is EDN tx-data (a vector of list and map forms), applied all
 * at once against the db as of its start, or not at all. The report: the
 * values before and after, the datoms added (tx-data, the tx's own datoms
 * included) and the tempids. */
typedef struct dt_tempid {
    char *name; /* the string tempid ("datomic.tx" for the transaction) */
    uint64_t e;
} dt_tempid;

typedef struct dt_tx_report {
    dt_db *db_before, *db_after;
    dt_datom *datoms; /* tx-data, in e a v order; values owned by db_after */
    size_t n_datoms;
    dt_tempid *tempids;
    size_t n_tempids;
    int64_t t;   /* basis t of db_after */
    uint64_t tx; /* the transaction's id */
    void *own;   /* private: what the datoms' values live in */
} dt_tx_report;

int dt_conn_transact(dt_conn *c, const char *edn, size_t len, dt_tx_report **out);
/* The speculative twin: applies tx-data to DB without writing anything. */
int dt_db_with(dt_db *db, const char *edn, size_t len, dt_tx_report **out);
void dt_tx_report_free(dt_tx_report *r);
/* The entity a tempid resolved to (0 if the report has no such tempid). */
uint64_t dt_tx_report_tempid(const dt_tx_report *r, const char *name);

/* ---- db values: basis and views ------------------------------------------ */
int64_t dt_db_basis_t(const dt_db *db);
/* The t a view is as of (the basis when not as-of) and since (-1: none). */
int64_t dt_db_as_of_t(const dt_db *db);
int64_t dt_db_since_t(const dt_db *db);
bool dt_db_is_history(const dt_db *db);
/* A point in time given as a t, a transaction id or an instant. */
typedef struct dt_time {
    enum { DT_TIME_T, DT_TIME_TX, DT_TIME_INSTANT } kind;
    int64_t v; /* t, tx id, or milliseconds since the epoch */
} dt_time;
/* The t of POINT in DB: itself for a t, the tx's t, or for an instant the
 * last transaction at or before it (0 if none). */
int dt_db_resolve_time(dt_db *db, dt_time point, int64_t *t_out);
int dt_db_as_of(dt_db *db, dt_time point, dt_db **out);
int dt_db_since(dt_db *db, dt_time point, dt_db **out);
dt_db *dt_db_history(dt_db *db);
/* A view showing only datoms for which PRED returns true; PRED sees the
 * unfiltered db and must not keep the datom. CTX must outlive the view. */
typedef bool (*dt_datom_pred)(dt_db *unfiltered, const dt_datom *d, void *ctx);
dt_db *dt_db_filter(dt_db *db, dt_datom_pred pred, void *ctx);
/* The same, CTX freed with FREE_CTX when the last view using it goes. */
dt_db *dt_db_filter_owned(dt_db *db, dt_datom_pred pred, void *ctx, void (*free_ctx)(void *ctx));

/* ---- index access ---------------------------------------------------------
 * A cursor walks ORDER from FROM (inclusive; NULL or n = 0: the start) to TO
 * (NULL or n = 0: the end). The comparison with FROM and TO looks at their
 * first n components only: with FROM = TO = a prefix the cursor gives the
 * datoms under that prefix (datoms); with TO NULL, everything from FROM on
 * (seek-datoms). DT_CUR_TO_EXCLUSIVE stops before datoms equal to TO's
 * components (index-range's end). */
enum { DT_CUR_TO_EXCLUSIVE = 1 };
typedef struct dt_cursor dt_cursor;
int dt_cursor_open(dt_db *db, dt_order order, const dt_key *from, const dt_key *to, int flags,
                   dt_cursor **out);
/* Moves C to another range of its db value, in any order, as
 * dt_cursor_open would open it, keeping its memory (and, for a range near
 * the last one, its place in the index: a loop of lookups seeks one cursor
 * rather than opening one per lookup). On an error C gives nothing until
 * it is sought again. */
int dt_cursor_seek(dt_cursor *c, dt_order order, const dt_key *from, const dt_key *to, int flags);
/* The next datom: 1 and *out set (borrowed until the next call), 0 at the
 * end, or a negative DATOM_E* (a segment that cannot be read). */
int dt_cursor_next(dt_cursor *c, const dt_datom **out);
void dt_cursor_free(dt_cursor *c);
/* For loops over a cursor that may not have opened:
 *     int rc = dt_cursor_open(db, order, &k, &k, 0, &c);
 *     while (dt_cursor_step(c, &d, &rc)) ...
 * true with the next datom; false at the end (*rc stays 0), on an error
 * (now in *rc), or at once when *rc already holds one (C untouched). */
bool dt_cursor_step(dt_cursor *c, const dt_datom **out, int *rc);

/* The first datom of ORDER under PREFIX (its first n components) in DB's
 * view, without a cursor to free: 1 and *OUT, 0 when there is none, or a
 * negative DATOM_E*. A string-like value's bytes stay valid while DB and
 * ARENA live (copied into ARENA when they must be); with ARENA NULL they
 * are not returned (out->v.b is NULL), for callers that want e, a or tx. */
int dt_db_first(dt_db *db, dt_order order, const dt_key *prefix, dt_datom *out, dt_arena *arena);

/* An estimate of the datoms between FROM and TO (as dt_cursor_open), for a
 * planner: exact for a db with no retraction and no view; otherwise an upper
 * bound (retracted datoms and history counted). Costs O(log n). */
uint64_t dt_db_count(dt_db *db, dt_order order, const dt_key *from, const dt_key *to, int flags);

/* ---- schema and idents ----------------------------------------------------- */
typedef struct dt_attr {
    uint32_t id;
    const char *ident; /* "ns/name" without the colon */
    dt_vtype type;
    bool many;         /* :db.cardinality/many */
    uint8_t unique;    /* 0, DT_UNIQUE_VALUE or DT_UNIQUE_IDENTITY */
    bool index, component, no_history;
    /* tuples: composite (:db/tupleAttrs) or typed elements */
    const uint32_t *tuple_attrs;
    size_t n_tuple_attrs;
    const uint8_t *tuple_types; /* dt_vtype per element; one for homogeneous */
    size_t n_tuple_types;
    bool tuple_homogeneous;
} dt_attr;
enum { DT_UNIQUE_VALUE = 1, DT_UNIQUE_IDENTITY = 2 };

/* The attribute with id A or ident IDENT in DB's schema (NULL if none);
 * borrowed from DB. */
const dt_attr *dt_db_attr(dt_db *db, uint32_t a);
const dt_attr *dt_db_attr_by_ident(dt_db *db, const char *ident);
/* The entity named by the keyword IDENT ("ns/name", no colon); 0 if none. */
uint64_t dt_db_entid(dt_db *db, const char *ident);
/* The ident of entity E ("ns/name"), or NULL; borrowed from DB. */
const char *dt_db_ident(dt_db *db, uint64_t e);
/* The entity holding V for the unique attribute A (a lookup ref), or 0. */
int dt_db_lookup(dt_db *db, uint32_t a, dt_val v, uint64_t *e_out);

/* ---- the log ------------------------------------------------------------- */
/* The transactions with START <= t < END (END -1: to the basis), as one
 * cursor in DT_LOG order (each transaction's datoms, retractions included). */
int dt_db_tx_range(dt_db *db, int64_t start, int64_t end, dt_cursor **out);

/* ---- bulk load ------------------------------------------------------------
 * DB with DATOMS (any order; e, a and v used) asserted by one new
 * transaction without transaction logic (Datascript's init-db): no tempids,
 * no uniqueness or cardinality checks, duplicates dropped. Nothing is
 * written. For loading prepared data and for benchmarks. */
int dt_db_init(dt_db *db, const dt_datom *datoms, size_t n, dt_db **out);

#endif /* DT_DB_H */
