/*
 * datom.h: the whole public API of libdatom.
 *
 * Conventions (as in libgit2):
 *  - Every name starts with datom_. Handles are opaque structs, made by a
 *    datom_<noun>_open/new function and released by the matching _free/_close.
 *  - Functions that can fail return int: 0 (DATOM_OK) on success, a negative
 *    DATOM_E* code on failure. The message of the last failure on this thread is
 *    datom_errmsg(); it names the object, file, line or clause concerned.
 *  - Ownership: a pointer returned through an out-parameter is owned by the caller
 *    and freed with the function named beside it; a const char * returned
 *    directly is borrowed and stays valid as long as the handle that returned it.
 *  - Thread safety: handles are not shared between threads without a lock of the
 *    caller's; distinct handles may be used from distinct threads.
 */
#ifndef DATOM_H
#define DATOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* DATOM_EXTERN marks every function of this API: the library is built with
 * hidden visibility (-fvisibility=hidden), so these, and nothing else, are what
 * libdatom.so exports (tests/test_exports.sh checks the list against this file). */
#if defined(__GNUC__) || defined(__clang__)
#define DATOM_EXTERN extern __attribute__((visibility("default")))
#else
#define DATOM_EXTERN extern
#endif

/* ---- errors ------------------------------------------------------------ */

enum {
    DATOM_OK = 0,
    DATOM_EINVAL = -1,       /* bad argument or malformed input */
    DATOM_ENOTFOUND = -2,    /* no such object, ref, table or version */
    DATOM_EEXISTS = -3,      /* create-only target already exists */
    DATOM_ECONFLICT = -4,    /* compare-and-swap lost: someone else moved it */
    DATOM_EIO = -5,          /* operating system or network failure */
    DATOM_ECORRUPT = -6,     /* stored bytes do not match their SHA, or a damaged file */
    DATOM_EUNSUPPORTED = -7, /* valid but not supported (yet) */
    DATOM_EAMBIGUOUS = -8,   /* a prefix that matches several things */
    DATOM_ELOCKED = -9,      /* held by another writer */
    DATOM_EINTERNAL = -10,   /* a bug: please report */
    DATOM_ETIMEOUT = -11     /* stopped at its deadline (a query's timeout) */
};

/* The message of the last failure on the calling thread ("" if none). */
DATOM_EXTERN const char *datom_errmsg(void);
/* The code of the last failure on the calling thread (DATOM_OK if none). */
DATOM_EXTERN int datom_errcode(void);
/* Forget the last failure. */
DATOM_EXTERN void datom_errclear(void);

/* The library version, "MAJOR.MINOR.PATCH". */
DATOM_EXTERN const char *datom_version(void);

/* ---- stores -------------------------------------------------------------
 * A store holds immutable objects named by keys, and a few mutable refs changed
 * only by compare-and-swap. See docs/architecture.md for its guarantees.
 * URLs: "mem:" (in-process; "mem:NAME" shares one store by name within the
 * process), "file:///path" or a plain path (filesystem), "s3://..." (later).
 */
typedef struct datom_store datom_store;

#define DATOM_SHA_HEX 65        /* 64 lowercase hex digits and a NUL */
#define DATOM_REF_VERSION_MAX 80 /* room for a ref version token and its NUL */

/* How a store is opened (datom_store_open_ext's FLAGS, or-ed):
 *  DATOM_STORE_CREATE    make the store when it does not exist yet; without
 *                        it, a store that does not exist is DATOM_ENOTFOUND
 *  DATOM_STORE_READONLY  change nothing: puts, deletes and ref changes fail
 *                        with DATOM_EINVAL, and opening and reading write
 *                        nothing at all (not even the store's own internals),
 *                        so a store the caller may not write can be read */
enum { DATOM_STORE_CREATE = 1u << 0, DATOM_STORE_READONLY = 1u << 1 };
DATOM_EXTERN int datom_store_open_ext(datom_store **out, const char *url, unsigned flags);
/* datom_store_open_ext(out, url, DATOM_STORE_CREATE). */
DATOM_EXTERN int datom_store_open(datom_store **out, const char *url);
DATOM_EXTERN void datom_store_free(datom_store *st);

/* Objects. Keys are relative paths: '/'-separated, no "." or ".." segment, no
 * leading '/', no NUL or control bytes, at most 1024 bytes. */
DATOM_EXTERN int datom_store_put(datom_store *st, const char *key, const void *data, size_t len);
/* Streams a file into the store under KEY. */
DATOM_EXTERN int datom_store_put_file(datom_store *st, const char *key, const char *path);
/* Content-addressed: streams a file, names it PREFIX + its SHA-256 hex (PREFIX
 * may be "" or end in '/'), writes the hex to sha_out. Storing the same bytes
 * twice is a no-op. */
DATOM_EXTERN int datom_store_put_file_ca(datom_store *st, const char *prefix, const char *path,
                                         char sha_out[DATOM_SHA_HEX]);
/* Reads [off, off+len) of KEY (len UINT64_MAX: to the end) into a new buffer,
 * freed with free(). */
DATOM_EXTERN int datom_store_get(datom_store *st, const char *key, uint64_t off, uint64_t len,
                                 void **data_out, size_t *len_out);
/* Reads KEY into the file PATH (written atomically). */
DATOM_EXTERN int datom_store_get_file(datom_store *st, const char *key, const char *path);
/* Reads a content-addressed object (PREFIX + SHA) and verifies its SHA-256;
 * a mismatch is DATOM_ECORRUPT and nothing is written. */
DATOM_EXTERN int datom_store_get_file_ca(datom_store *st, const char *prefix, const char *sha,
                                         const char *path);
/* 0 if KEY exists (its size in *size_out if not NULL), DATOM_ENOTFOUND if not. */
DATOM_EXTERN int datom_store_stat(datom_store *st, const char *key, uint64_t *size_out);
DATOM_EXTERN int datom_store_del(datom_store *st, const char *key);
/* Lists keys starting with PREFIX, in byte order, after START_AFTER (NULL: from
 * the first), at most LIMIT of them (0: no limit). keys_out is an array of *n_out strings,
 * freed with datom_strings_free; *more_out is 1 when more keys follow. */
DATOM_EXTERN int datom_store_list(datom_store *st, const char *prefix, const char *start_after,
                                  size_t limit, char ***keys_out, size_t *n_out, int *more_out);
DATOM_EXTERN void datom_strings_free(char **strings, size_t n);

/* Refs: small mutable values with versions. ref_get gives the value (freed
 * with free()) and its version token. ref_cas replaces the value only if the
 * current version is EXPECTED (NULL: only if the ref does not exist), writes
 * the new version to new_version (may be NULL), and returns DATOM_ECONFLICT
 * (or DATOM_EEXISTS for create-only) when it lost. */
DATOM_EXTERN int datom_store_ref_get(datom_store *st, const char *name, void **value_out,
                                     size_t *len_out, char version_out[DATOM_REF_VERSION_MAX]);
DATOM_EXTERN int datom_store_ref_cas(datom_store *st, const char *name, const char *expected,
                                     const void *value, size_t len,
                                     char new_version[DATOM_REF_VERSION_MAX]);
/* Deletes a ref if its version is still EXPECTED. */
DATOM_EXTERN int datom_store_ref_del(datom_store *st, const char *name, const char *expected);


/* ---- facts: the fact database -------------------------------------------
 * An embedded database in Datomic's model (docs/architecture.md, "Facts"):
 * datoms [e a v tx added], transactions of EDN tx-data, immutable db values
 * with time views, index access, entity and pull. Databases live in a store
 * under a namespace ("datom/" or "{prefix}/datom/"; NULL: "datom/").
 *
 * A connection (datom_conn) transacts into one database and hands out db
 * values (datom_db). A value never changes; views (as-of, since, history,
 * filter, with) are values too. Values and results outlive their connection
 * but not the store. A connection and what it hands out are used from one
 * thread at a time. Results are EDN values (datom_value), walked with the
 * accessors below or printed as EDN or JSON.
 */
typedef struct datom_conn datom_conn;
typedef struct datom_db datom_db;
typedef struct datom_report datom_report;
typedef struct datom_cursor datom_cursor;
typedef struct datom_value datom_value;

/* Options for datom_db_create and datom_conn_open (NULL, or zero or NULL fields: defaults). */
typedef struct datom_conn_options {
    const char *ns;           /* the store namespace: "datom/" (default) or "{prefix}/datom/" */
    size_t cache_bytes;       /* decoded segments kept in memory; 0: 64 MiB */
    uint64_t index_threshold; /* datoms in memory before indexing into the store; 0: 1,000,000 */
    int portable;             /* create: commit with objects and a ref even where the store can append */
} datom_conn_options;

/* Creates database NAME (DATOM_EEXISTS if it exists) and connects to it. */
DATOM_EXTERN int datom_db_create(datom_store *st, const char *name, const datom_conn_options *opts, datom_conn **out);
/* Connects to database NAME (DATOM_ENOTFOUND if there is none). */
DATOM_EXTERN int datom_conn_open(datom_store *st, const char *name, const datom_conn_options *opts, datom_conn **out);
DATOM_EXTERN void datom_conn_close(datom_conn *c);
/* The databases of the store under NS (NULL: "datom/"), sorted; freed with datom_strings_free. */
DATOM_EXTERN int datom_db_names(datom_store *st, const char *ns, char ***names_out, size_t *n_out);
/* Reads what other connections (other processes) committed since. */
DATOM_EXTERN int datom_conn_sync(datom_conn *c);
/* The connection's current db value. */
DATOM_EXTERN datom_db *datom_conn_db(datom_conn *c);
DATOM_EXTERN void datom_db_free(datom_db *db);

/* Transacts TX_EDN (a vector of list and map forms) durably; *out (may be
 * NULL) gets the report. All of it applies or none; errors name the
 * offending datom. */
DATOM_EXTERN int datom_transact(datom_conn *c, const char *tx_edn, datom_report **out);
/* The same against DB, written nowhere (speculative). */
DATOM_EXTERN int datom_with(datom_db *db, const char *tx_edn, datom_report **out);
/* Borrowed from the report: the values before and after. */
DATOM_EXTERN datom_db *datom_report_db_before(const datom_report *r);
DATOM_EXTERN datom_db *datom_report_db_after(const datom_report *r);
/* The entity a string tempid resolved to (0 if none). */
DATOM_EXTERN uint64_t datom_report_tempid(const datom_report *r, const char *tempid);
/* The report as data: {:db-before t :db-after t :tx-data [[e a v tx added] ...] :tempids {...}}. */
DATOM_EXTERN int datom_report_value(const datom_report *r, datom_value **out);
DATOM_EXTERN void datom_report_free(datom_report *r);

/* ---- time ---- */
DATOM_EXTERN int64_t datom_db_basis_t(const datom_db *db);
/* As of, and since, a t or a transaction id (a t below 2^42 is a t). */
DATOM_EXTERN int datom_db_as_of(datom_db *db, int64_t t_or_tx, datom_db **out);
DATOM_EXTERN int datom_db_since(datom_db *db, int64_t t_or_tx, datom_db **out);
/* As of, and since, an instant (milliseconds since the epoch). */
DATOM_EXTERN int datom_db_as_of_instant(datom_db *db, int64_t ms, datom_db **out);
DATOM_EXTERN int datom_db_since_instant(datom_db *db, int64_t ms, datom_db **out);
/* Every assertion and retraction (datom_datom.added tells which). */
DATOM_EXTERN datom_db *datom_db_history(datom_db *db);
/* Only the datoms PRED accepts (CTX must outlive the view). */
typedef struct datom_datom {
    uint64_t e, a, tx;
    int added;
    const datom_value *v; /* valid until the cursor moves */
} datom_datom;
typedef int (*datom_filter_fn)(const datom_datom *d, void *ctx);
DATOM_EXTERN datom_db *datom_db_filter(datom_db *db, datom_filter_fn pred, void *ctx);

/* ---- index access ----
 * INDEX is "eavt", "aevt", "avet" or "vaet"; COMPONENTS an EDN vector of the
 * leading components ("[]", "[17592186045418 :person/name]", "[:person/age 30]";
 * entities by id, ident or lookup ref). datoms: those under the prefix;
 * seek: from it to the end; index_range: ATTR's AVET datoms from START to
 * END (EDN values, "nil" for open; END excluded). */
DATOM_EXTERN int datom_datoms(datom_db *db, const char *index, const char *components, datom_cursor **out);
DATOM_EXTERN int datom_seek_datoms(datom_db *db, const char *index, const char *components, datom_cursor **out);
DATOM_EXTERN int datom_index_range(datom_db *db, const char *attr, const char *start, const char *end, datom_cursor **out);
/* The log: the transactions with START <= t < END (END -1: all), t order. */
DATOM_EXTERN int datom_tx_range(datom_db *db, int64_t start, int64_t end, datom_cursor **out);
/* 1 and *out, 0 at the end, or a negative code. */
DATOM_EXTERN int datom_cursor_next(datom_cursor *c, datom_datom *out);
DATOM_EXTERN void datom_cursor_free(datom_cursor *c);
/* An estimate of the datoms under COMPONENTS (exact without retractions). */
DATOM_EXTERN int datom_count(datom_db *db, const char *index, const char *components, uint64_t *out);

/* ---- entity and pull ----
 * ENTITY is EDN: an id, an ident (":status/active") or a lookup ref
 * ("[:person/email \"a@b.c\"]"). */
DATOM_EXTERN int datom_pull(datom_db *db, const char *pattern, const char *entity, datom_value **out);
/* ENTITIES: an EDN vector of entities; the result a vector of results. */
DATOM_EXTERN int datom_pull_many(datom_db *db, const char *pattern, const char *entities, datom_value **out);
/* The entity view: ATTR (":ns/name", or ":ns/_name" for the entities that
 * refer to it) of ENTITY: a value, an id, or a set; nil when absent. */
DATOM_EXTERN int datom_entity_get(datom_db *db, const char *entity, const char *attr, datom_value **out);
/* Every attribute of ENTITY, as a map. */
DATOM_EXTERN int datom_entity_touch(datom_db *db, const char *entity, datom_value **out);

/* ---- Datalog ----
 * A query is EDN text: [:find ... :in ... :where ...] or the map form
 * (docs/formats.md, "Datalog"). Its inputs come in the order of :in, each a
 * db value (a source: $, $name; any view: as-of, since, history) or EDN
 * text (a scalar, a tuple, a collection, a relation, a collection of tuples
 * as a source, the rules for %, a pull pattern); without :in the one input
 * is the db for $. The result is an EDN value: a set of tuples, a vector,
 * one tuple or one value, as :find says (maps with :keys); walk it with
 * datom_value_* or print it as EDN or JSON. The query is checked and
 * planned before a datom is read: an unbound variable, an unknown function
 * or rule, a wrong arity, a comparison across types fail there, naming the
 * clause. */
typedef struct datom_input {
    datom_db *db;     /* a source, or NULL */
    const char *edn;  /* else the input's EDN text */
} datom_input;

typedef struct datom_q_options {
    uint32_t seed;       /* rand and sample: the random stream's seed (0: a new one per run) */
    uint32_t timeout_ms; /* 0: none; past it the query stops with DATOM_ETIMEOUT */
    size_t max_bytes;    /* memory of intermediate results; 0: 4 GiB */
} datom_q_options;

/* OPTS may be NULL. */
DATOM_EXTERN int datom_q(const char *query, const datom_input *inputs, size_t n_inputs, const datom_q_options *opts,
            datom_value **out);
/* The plan datom_q would follow, as text (freed with free()); nothing runs. */
DATOM_EXTERN int datom_q_explain(const char *query, const datom_input *inputs, size_t n_inputs, char **out);

/* ---- values: results as EDN, walked without reparsing ---- */
typedef enum datom_kind {
    DATOM_NIL, DATOM_BOOL, DATOM_INT, DATOM_BIGINT, DATOM_RATIO, DATOM_FLOAT, DATOM_BIGDEC,
    DATOM_CHAR, DATOM_STRING, DATOM_SYMBOL, DATOM_KEYWORD, DATOM_LIST, DATOM_VECTOR, DATOM_MAP,
    DATOM_SET, DATOM_INST, DATOM_UUID, DATOM_TAGGED
} datom_kind;
DATOM_EXTERN datom_kind datom_value_kind(const datom_value *v);
DATOM_EXTERN int datom_value_bool(const datom_value *v);
DATOM_EXTERN int64_t datom_value_int(const datom_value *v);   /* INT; INST: milliseconds since the epoch */
DATOM_EXTERN double datom_value_float(const datom_value *v);
/* STRING, SYMBOL, KEYWORD (no ':'), BIGINT and BIGDEC digits: the text and its length. */
DATOM_EXTERN const char *datom_value_text(const datom_value *v, size_t *len);
/* Items of LIST, VECTOR, SET; pairs of a MAP. */
DATOM_EXTERN size_t datom_value_count(const datom_value *v);
DATOM_EXTERN const datom_value *datom_value_at(const datom_value *v, size_t i);
DATOM_EXTERN const datom_value *datom_value_key(const datom_value *map, size_t i);
DATOM_EXTERN const datom_value *datom_value_val(const datom_value *map, size_t i);
/* The value of keyword KW ("person/name" or ":person/name") in a map, or NULL. */
DATOM_EXTERN const datom_value *datom_value_get(const datom_value *map, const char *kw);
/* EDN text (JSON when JSON is non-zero), freed with free(). */
DATOM_EXTERN char *datom_value_print(const datom_value *v, int json);
/* Frees a value the API returned (not the ones walked to inside it). */
DATOM_EXTERN void datom_value_free(datom_value *v);

#ifdef __cplusplus
}
#endif
#endif /* DATOM_H */
