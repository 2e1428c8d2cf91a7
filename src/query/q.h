/*
 * q.h: what the files of src/query share (nothing outside src/query
 * includes it; callers use query.h). The layer is Datalog over db values
 * (db/db.h: cursors, counts, the schema) and EDN (edn/edn.h): it never sees
 * a segment, a tree or the novelty.
 *
 * The pipeline, one file each (docs/architecture.md, "Query"):
 *   parse.c, parse_where.c  EDN -> the query's syntax tree (q_query), with
 *                           the EDN form of every clause kept for messages
 *   rules.c                 rules: parsing the % input, lifting or/or-join
 *                           into rules, strata, tables and the semi-naive
 *                           fixpoint with demand (bound arguments are seeds)
 *   plan.c, estimate.c      binding checks, constants resolved against the
 *                           source, join order by estimated sizes, index
 *                           choice, --explain
 *   eval.c, join.c          steps over relations: cursor scans, index
 *                           lookups, hash joins, anti-joins, rule calls
 *   builtins.c, regex.c     the functions and predicates of clauses
 *   aggregate.c, find.c     aggregates, grouping and the shape of the result
 *   value.c, rel.c          query values (interned), relations, hash indexes
 *   query.c                 the whole run: inputs, sources, limits
 *
 * Query values are dt_val (db.h) with two changes:
 *  (1) entity ids are DT_LONG (as in Datomic, where an entity id is a long):
 *      a DT_REF never appears outside a cursor key;
 *  (2) every value that points at bytes (strings, keywords, tuples...) or
 *      at an EDN form (DT_Q_EDN: collections, characters, ratios, tags) is
 *      interned in the run's table (value.c), so two values are equal
 *      exactly when their type and bits are equal, and hashing is cheap.
 * Vectors of scalars are tuples (DT_TUPLE), as a tuple attribute's value
 * and the result of (tuple ...) are, so they compare equal to each other.
 */
#ifndef DT_QUERY_Q_H
#define DT_QUERY_Q_H

#include <stdarg.h>
#include <sys/types.h>

#include "db/db.h"
#include "edn/edn.h"
#include "query/query.h"

/* ---- the run's memory (value.c) -------------------------------------------
 * An arena: allocations live until the run ends. */
typedef struct q_arena {
    struct q_chunk *head;
    size_t bytes;
} q_arena;
void *q_alloc(q_arena *a, size_t n); /* zeroed, 16-aligned */
void q_arena_free(q_arena *a);

/* ---- values (value.c) ----------------------------------------------------- */
enum {
    DT_Q_EDN = DT_VTYPE_COUNT + 1, /* u: (uintptr_t) const dt_edn_value * */
    DT_Q_REGEX,                    /* u: (uintptr_t) struct q_regex * */
    DT_Q_SRC,                      /* u: a source of the query (an argument of get-else...) */
};

typedef struct q_ctx q_ctx;

static inline bool q_veq(dt_val a, dt_val b) { return a.type == b.type && a.u == b.u; }
static inline uint64_t q_vhash(dt_val v)
{
    uint64_t h = (v.u ^ ((uint64_t)v.type << 56)) * UINT64_C(0x9E3779B97F4A7C15);
    return h ^ (h >> 29);
}
static inline const dt_edn_value *q_vedn(dt_val v) { return (const dt_edn_value *)(uintptr_t)v.u; }
static inline dt_val q_vlong(int64_t i) { return (dt_val){.type = DT_LONG, .i = i}; }
static inline dt_val q_vdouble(double d) { return (dt_val){.type = DT_DOUBLE, .d = d}; }
static inline bool q_vtruthy(dt_val v) { return !(v.type == DT_NIL || (v.type == DT_BOOL && !v.i)); }

/* The interned twin of V (a copy of its bytes or form the first time). */
dt_val q_intern(q_ctx *x, dt_val v);
/* The interned twin of V if the run holds one; else V itself with *found
 * false (a value no relation holds cannot match anything in them). */
dt_val q_intern_find_slow(q_ctx *x, dt_val v, bool *found);
static inline dt_val q_intern_find(q_ctx *x, dt_val v, bool *found)
{
    if (v.type <= DT_FLOAT || v.type == DT_INSTANT || v.type == DT_REF) { /* no bytes: itself */
        *found = true;
        return v;
    }
    return q_intern_find_slow(x, v, found);
}
/* A value from a datom's component: refs become longs; bytes interned. */
dt_val q_from_db(q_ctx *x, dt_val v);
/* An interned string of N bytes at S. */
dt_val q_string(q_ctx *x, dt_vtype type, const char *s, size_t n);
/* EDN -> value (interned). Vectors and lists of scalars become tuples,
 * other collections DT_Q_EDN. Never fails. */
dt_val q_from_edn(q_ctx *x, const dt_edn_value *v);
/* value -> EDN (built into DOC). */
dt_edn_value q_to_edn(q_ctx *x, dt_edn_doc *doc, dt_val v);
/* Appends V's EDN text (for messages and --explain). */
void q_val_print(dt_buf *out, dt_val v);
/* A name for V's type in messages: "long", "string", "vector"... */
const char *q_val_type_name(dt_val v);
/* Comparison as Clojure's compare within one family (numbers across their
 * types, strings, keywords, ...): 0 and *cmp, or DATOM_EINVAL with a
 * message naming both values when they cannot be compared. */
int q_val_compare(dt_val a, dt_val b, int *cmp);
/* Total order for sorting results (types first, then values). */
int q_val_order(dt_val a, dt_val b);
/* Numbers: whether V is one, and its value as a double. */
bool q_is_number(dt_val v);
double q_as_double(dt_val v);

/* ---- relations (rel.c) -----------------------------------------------------
 * A relation: rows of ncol values, each column a variable of the scope. */
typedef struct q_rel {
    uint16_t ncol;
    uint16_t *cols; /* variable ids, in the arena */
    dt_val *v;      /* n * ncol values, row after row (heap) */
    size_t n, cap;
} q_rel;

void q_rel_init(q_ctx *x, q_rel *r, const uint16_t *cols, uint16_t ncol);
void q_rel_free(q_ctx *x, q_rel *r);
/* Room for one more row, returned (its values to be filled). */
dt_val *q_rel_push(q_ctx *x, q_rel *r);
static inline dt_val *q_rel_row(const q_rel *r, size_t i) { return r->v + i * r->ncol; }
/* The column of variable VAR, or -1. */
int q_rel_col(const q_rel *r, uint16_t var);
/* The relation of one row with no column (the start of every body). */
void q_rel_unit(q_ctx *x, q_rel *r);
/* Keeps the columns KEEP (variable ids, each a column of R) in that order,
 * dropping rows that become duplicates. */
void q_rel_project(q_ctx *x, q_rel *r, const uint16_t *keep, uint16_t nkeep);
/* Drops duplicate rows. */
void q_rel_distinct(q_ctx *x, q_rel *r);
/* Moves SRC into DST (DST freed first). */
void q_rel_move(q_ctx *x, q_rel *dst, q_rel *src);

/* A hash index of a relation's rows by some of its columns: chains of row
 * numbers (append-only: rows added to the relation are indexed by
 * q_hidx_update). */
typedef struct q_hidx {
    uint16_t nkey;
    uint16_t *key; /* columns of the relation */
    uint32_t *head;
    uint32_t *next; /* per row */
    uint32_t *tag;  /* per row: its hash's high bits, compared before its key */
    size_t mask;    /* head has mask + 1 slots; 0 with head NULL: empty */
    size_t n;       /* rows indexed */
    size_t cap_next;
} q_hidx;
void q_hidx_init(q_hidx *h, const uint16_t *keycols, uint16_t nkey);
void q_hidx_free(q_hidx *h);
/* Indexes the rows of R not yet indexed. */
void q_hidx_update(q_ctx *x, q_hidx *h, const q_rel *r);
uint64_t q_hash_vals(const dt_val *v, uint16_t n);
uint64_t q_hash_cols(const dt_val *row, const uint16_t *cols, uint16_t n);
/* The first row of R whose key equals KEY (nkey values), or UINT32_MAX;
 * q_hidx_next continues from row I. */
uint32_t q_hidx_find(const q_hidx *h, const q_rel *r, const dt_val *key, uint64_t hash);
uint32_t q_hidx_next(const q_hidx *h, const q_rel *r, uint32_t i, const dt_val *key);
/* A set of rows: R's rows kept distinct through an index on every column.
 * Returns whether ROW (ncol values) was added. */
bool q_rel_add_distinct(q_ctx *x, q_rel *r, q_hidx *all, const dt_val *row);

/* ---- the syntax tree (parse.c, parse_where.c) ------------------------------ */
enum { QT_VAR = 1, QT_CONST, QT_BLANK, QT_SRC };

/* A term of a clause: a variable, a constant, _ or a source. */
typedef struct q_term {
    uint8_t kind;
    uint16_t id; /* QT_VAR: the variable; QT_SRC: the source */
    const dt_edn_value *form;
} q_term;

/* A binding form (:in, and what a function's result is bound to). */
enum { QB_VAR = 1, QB_BLANK, QB_TUPLE, QB_COLL };
typedef struct q_bind {
    uint8_t kind;
    uint16_t var;          /* QB_VAR */
    uint16_t n;            /* QB_TUPLE: items; QB_COLL: 1 */
    struct q_bind *items;  /* QB_COLL: the binding of each element */
    const dt_edn_value *form;
} q_bind;

enum {
    QC_PATTERN = 1, /* [src? e a v tx added] */
    QC_PRED,        /* [(f args...)] */
    QC_FN,          /* [(f args...) binding] */
    QC_CALL,        /* (src? rule args...) */
    QC_NOT,         /* (src? not clauses...), (src? not-join [vars] clauses...) */
    QC_OR,          /* (src? or ...), (src? or-join [vars] ...): lifted into rules */
    QC_AND,         /* (and clauses...): a branch of an or */
    QC_REL,         /* internal: a relation of the run joined in (an :in collection) */
};

typedef struct q_builtin q_builtin;
typedef struct q_clause q_clause;
struct q_clause {
    uint8_t kind;
    bool join;      /* not-join / or-join */
    int16_t src;    /* the source; -1: the default ($, or the rule's caller's) */
    uint16_t nargs; /* terms of a pattern, arguments of a function or call */
    q_term *args;
    const q_builtin *fn; /* QC_PRED, QC_FN */
    q_bind *bind;        /* QC_FN */
    int rule;            /* QC_CALL: the rule (q_rules index) */
    uint16_t nkids;      /* QC_NOT, QC_AND: clauses; QC_OR: branches (each QC_AND) */
    q_clause *kids;
    uint16_t nvars, nreq; /* QC_NOT, QC_OR: the variables joined with the
                             surrounding clauses; the first nreq must be bound */
    uint16_t *vars;
    int rel;              /* QC_REL: the relation (q_ctx.rels index) */
    const dt_edn_value *form;
    const char *where;    /* "rule (anc ?a ?b)" or NULL: for messages */
};

/* The names of a scope's variables (the query's, or one rule body's). */
typedef struct q_scope {
    const char **names;
    uint16_t n, cap;
} q_scope;
int q_scope_var(q_ctx *x, q_scope *s, const char *name, uint16_t *out);

/* A find element. */
enum { QF_VAR = 1, QF_PULL, QF_AGG };
typedef struct q_find {
    uint8_t kind;
    uint16_t var;  /* the variable (QF_PULL: the entity; QF_AGG: the aggregated one) */
    int agg;       /* QF_AGG: q_agg_* */
    int64_t n;     /* QF_AGG: the n of (min n ?x), (sample n ?x)...; -1: none */
    int16_t src;   /* QF_PULL: the source */
    const dt_edn_value *pattern; /* QF_PULL: the pattern, or NULL when an input names it */
    int pattern_in;              /* QF_PULL: the :in input naming the pattern, or -1 */
    const dt_edn_value *form;
} q_find;

enum { QFIND_REL = 1, QFIND_COLL, QFIND_TUPLE, QFIND_SCALAR };
enum { QKEYS_NONE = 0, QKEYS_KEYS, QKEYS_STRS, QKEYS_SYMS };

/* An :in input. */
enum { QIN_SRC = 1, QIN_RULES, QIN_BIND, QIN_PATTERN };
typedef struct q_in {
    uint8_t kind;
    uint16_t src;   /* QIN_SRC */
    q_bind *bind;   /* QIN_BIND */
    const char *name; /* QIN_PATTERN: the symbol */
    const dt_edn_value *form;
} q_in;

typedef struct q_query {
    q_scope scope;
    uint8_t find_kind;
    uint16_t nfind;
    q_find *find;
    uint8_t keys_kind;
    const char **keys; /* nfind names */
    uint16_t nwith;
    uint16_t *with;
    uint16_t nin;
    q_in *in;
    bool in_given;     /* :in was written */
    uint16_t nwhere;
    q_clause *where;
    const char **srcs; /* source names ("$", "$x"), nsrc of them */
    uint16_t nsrc;
    const dt_edn_value *form;
} q_query;

/* Parses FORM (a query, vector or map form) into Q. Errors name the clause. */
int q_parse(q_ctx *x, const dt_edn_value *form, q_query *q);
/* Parses one :where clause (also rule bodies); vars in SCOPE. */
int q_parse_clause(q_ctx *x, q_scope *scope, q_query *q, const dt_edn_value *form, const char *where,
                   q_clause *out);
int q_parse_bind(q_ctx *x, q_scope *scope, const dt_edn_value *form, q_bind **out);
/* A source symbol's index in Q ($ is 0), added when new. */
int q_source(q_ctx *x, q_query *q, const dt_edn_value *sym, uint16_t *out);
/* The clause as text for a message: its EDN (cut at 100 characters), with
 * where it was read ("[?e :a ?v] (line 1, column 20)"). */
void q_describe(dt_buf *out, const dt_edn_value *form);
/* "WHAT FORM" in the arena, for q_clause.where ("rule (anc ?a ?b)"). */
const char *q_where(q_ctx *x, const char *what, const dt_edn_value *form);
/* DATOM_EINVAL with "FORM: reason" (FORM described as above). */
int q_err(const dt_edn_value *form, const char *fmt, ...) DT_PRINTF(2, 3);
/* The same with the clause's place first ("in rule anc: ...") when WHERE is set. */
int q_verr(const char *where, const dt_edn_value *form, const char *fmt, va_list ap) DT_PRINTF(3, 0);
/* Variables: ?x. Sources: $, $x. Plain: neither, nor %, nor _. */
bool q_is_var(const dt_edn_value *v);
bool q_is_src(const dt_edn_value *v);
bool q_is_blank(const dt_edn_value *v);
bool q_is_plain(const dt_edn_value *v);
/* Variables a clause mentions (all of them, nested included), added to SET
 * (a bitmap of nvars bits). */
void q_clause_vars(const q_clause *c, uint64_t *set);

/* ---- rules (rules.c) ------------------------------------------------------ */
typedef struct q_rule_def {
    q_scope *scope;  /* its own, or (a lifted or) the scope of the clause it came from */
    uint16_t nhead;
    uint16_t *head;  /* variables of the scope */
    uint16_t nbody;
    q_clause *body;
    const dt_edn_value *form;
    const char *where; /* "rule (name ?a ?b)" */
} q_rule_def;

typedef struct q_rule {
    const char *name;
    uint16_t arity, nreq; /* the first nreq arguments must be bound */
    uint16_t ndefs, capdefs;
    q_rule_def *defs;
    int scc;              /* stratum: rules.c */
    bool recursive;       /* its component has a cycle */
    bool lifted;          /* made from an or / or-join */
    const dt_edn_value *form;
} q_rule;

/* Reads the rules of a % input (a vector of rules). */
int q_rules_parse(q_ctx *x, q_query *q, const dt_edn_value *form);
/* Finds the rule NAME (-1 if none). */
int q_rule_find(const q_ctx *x, const char *name);
/* After every clause is parsed: or / or-join clauses lifted into rules,
 * calls checked (arity, existence), strata found, not checked for
 * recursion through negation. */
int q_rules_prepare(q_ctx *x, q_query *q);

/* ---- plans (plan.c, estimate.c) ---------------------------------------------
 * A plan is a list of steps, each taking the relation R (its columns fixed by
 * the plan) to the next. A step reads R's columns by index; its new values
 * are appended after them (in the order of the positions that bind them),
 * then the columns in keep are kept (dropping rows that become equal). */
enum {
    QS_SCAN = 1, /* a data pattern on a db source */
    QS_JOIN,     /* a relation in memory: an input, a collection source, a rule's table or seeds */
    QS_PRED,
    QS_FN,
    QS_NOT,
};
enum { QM_LOOKUP = 1, QM_HASH, QM_PRODUCT };

/* One position of a data pattern or column of a relation. */
enum { QP_NONE = 0, QP_CONST, QP_BOUND, QP_OUT, QP_SAME };
typedef struct q_ppos {
    uint8_t how;  /* absent or _, a constant, a column of R, a new value, equal to an earlier position */
    bool key;     /* QP_BOUND / QP_CONST of a table join: part of the table's key */
    uint16_t var; /* QP_BOUND, QP_OUT, QP_SAME: the variable */
    uint16_t col; /* QP_BOUND: R's column; QP_SAME: the earlier position */
    dt_val c;     /* QP_CONST: for a scan, as the datom holds it (refs as DT_REF) */
} q_ppos;

typedef struct q_table q_table;
typedef struct q_plan q_plan;

/* Where a table join reads. */
enum { QD_ANS = 0, QD_ANS_DELTA, QD_SEEDS_OLD, QD_SEEDS_DELTA };

typedef struct q_step {
    uint8_t kind, mode;
    const q_clause *c;
    double est;  /* rows after the step */
    double cost;
    /* QS_SCAN */
    int16_t src;
    uint8_t order;   /* dt_order */
    uint8_t nprefix; /* leading components of the cursor's key (LOOKUP: constants and bound) */
    q_ppos pos[5];   /* e a v tx added */
    bool empty;      /* a constant names nothing: no datom matches */
    bool has_lo, has_hi, lo_incl, hi_incl; /* v's range (AVET), from predicates */
    dt_val lo, hi;
    uint32_t attr;   /* a, when constant */
    uint8_t vtype;   /* its value type (DT_NIL when a is not constant) */
    /* QS_JOIN: a relation, its columns mapped by arg */
    q_table *table;  /* a rule's table (answers or seeds), or NULL */
    int rel;         /* else a relation of the run */
    uint8_t delta;   /* QD_*: which rows of the table */
    uint16_t narg;
    q_ppos *arg;
    /* QS_PRED, QS_FN: arguments, each a constant (acol -1) or a column */
    dt_val *av;
    int16_t *acol;
    /* QS_FN: where the result goes: per variable of the binding, its
     * column in R when bound already (a check), or -1 (a new column) */
    int16_t *bcol;
    /* QS_NOT: the plan of the body, run from R's join columns */
    q_plan *sub;
    uint16_t nvars;
    uint16_t *vcol;  /* R's columns of the joined variables */
    /* after the step */
    uint16_t nnew;   /* values appended */
    uint16_t nkeep;
    uint16_t *keep;  /* columns of the row after the step, kept in this order */
    uint16_t ncols;
    uint16_t *cols;  /* variables of the columns kept */
    bool dedupe;     /* keeping fewer columns: drop rows that became equal */
    const char *note; /* for --explain: predicates taken into the scan */
} q_step;

struct q_plan {
    uint16_t nsteps;
    q_step *steps;
    uint16_t nout;
    uint16_t *out; /* variables of the result's columns */
    double est;
    double cost;   /* estimated work: datoms read and rows made */
    const q_scope *scope;
    const char *what; /* "query", "rule (anc ?a ?b) [b f] #2" */
};

/* A rule's table: its answers for one choice of bound arguments (the
 * adornment), for every seed (bound values) asked so far. */
struct q_table {
    int rule;
    uint32_t bound;    /* bit i: argument i is bound */
    int16_t src;       /* the source its unprefixed patterns read */
    int id;
    q_rel seeds;       /* columns: the bound arguments, in order */
    q_hidx seeds_all;
    q_rel ans;         /* columns: every argument */
    q_hidx ans_all;
    q_hidx ans_key;    /* by the bound arguments */
    size_t seed_lo, seed_hi, ans_lo, ans_hi; /* this round's deltas */
    q_plan **plans;    /* per definition: the plan from the seeds */
    q_plan ***vplans;  /* per definition, per call of its component: the plan from that call's delta */
    double est;        /* estimated answers per seed */
    double cost;       /* estimated work per seed */
    bool planning;
    int err;           /* planning failed: the code, and the message */
    char *errmsg;
};

/* Plans Q's :where (after inputs are bound) and every table it reaches. */
int q_plan_query(q_ctx *x, q_query *q, q_plan **out);
/* Marks in SEEN (indexed by table id, x->ntables + 1 entries) the tables plan
 * P reaches: through calls, not, and those tables' plans. */
void q_plan_reach(q_ctx *x, const q_plan *p, bool *seen);
/* The table of RULE with arguments BOUND (a bitmap), planned. */
int q_table_get(q_ctx *x, int rule, uint32_t bound, int16_t src, q_table **out);
/* --explain: the plans as text. */
void q_explain(q_ctx *x, const q_query *q, const q_plan *p, dt_buf *out);

/* Sizes for the planner (estimate.c), from the index counts of the db and
 * samples of a thousand datoms; cached for the run. */
double q_est_total(q_ctx *x, dt_db *db);                     /* datoms */
double q_est_attr(q_ctx *x, dt_db *db, uint32_t a);          /* datoms of attribute A */
double q_est_distinct(q_ctx *x, dt_db *db, uint32_t a, int pos); /* A's distinct e (pos 0) or v (2) */
double q_est_count(q_ctx *x, dt_db *db, dt_order order, const dt_key *from, const dt_key *to, int flags);
/* Narrows FROM and TO (the prefix of ORDER's first N components, both equal
 * to it) to S's range of values when S reads an attribute's AVET range;
 * the flags of dt_cursor_open for the range's end. */
int q_step_range(const q_step *s, uint8_t order, uint8_t n, dt_key *from, dt_key *to);

/* ---- evaluation (eval.c, join.c) ------------------------------------------ */
/* Runs plan P from relation IN (consumed) into OUT (columns P->out). */
int q_run(q_ctx *x, const q_plan *p, q_rel *in, q_rel *out);
int q_step_scan(q_ctx *x, const q_step *s, q_rel *r, q_rel *out);
int q_step_join(q_ctx *x, const q_step *s, q_rel *r, q_rel *out);
/* Asks TABLE for the answers of the seeds in SEEDS (rows of its bound
 * arguments): computed to completion unless its component is running. */
int q_table_demand(q_ctx *x, q_table *t, const q_rel *seeds);

/* ---- functions (builtins.c, regex.c) ----------------------------------------- */
typedef int (*q_fn)(q_ctx *x, const dt_val *args, int n, dt_val *out);
enum {
    QB_F_SRC = 1,     /* first argument is a source (get-else, get-some, missing?) */
    QB_F_GROUND = 2,  /* arguments are constants, nothing need be bound */
    QB_F_RAND = 4,    /* draws from the run's random stream */
};
struct q_builtin {
    const char *name;
    q_fn fn;
    int8_t min, max; /* arguments; max -1: any */
    uint8_t flags;
};
const q_builtin *q_builtin_find(const char *name);
/* For functions reading the db: the source each call reads. */
int q_fn_db(q_ctx *x, const q_step *s, const dt_val *args, int n, dt_val *out);
int q_regex_compile(q_ctx *x, const char *pat, size_t n, dt_val *out);
int q_fn_re_find(q_ctx *x, const dt_val *args, int n, dt_val *out);
int q_fn_re_matches(q_ctx *x, const dt_val *args, int n, dt_val *out);
int q_fn_re_seq(q_ctx *x, const dt_val *args, int n, dt_val *out);
int q_fn_re_pattern(q_ctx *x, const dt_val *args, int n, dt_val *out);
void q_regex_free_all(q_ctx *x);
/* The run's random stream (mulberry32 from the seed of the options). */
uint32_t q_rand32(q_ctx *x);

/* ---- aggregates and results (aggregate.c, find.c) -------------------------- */
enum {
    Q_AGG_COUNT = 1, Q_AGG_COUNT_DISTINCT, Q_AGG_SUM, Q_AGG_AVG, Q_AGG_MEDIAN, Q_AGG_VARIANCE,
    Q_AGG_STDDEV, Q_AGG_MIN, Q_AGG_MAX, Q_AGG_DISTINCT, Q_AGG_RAND, Q_AGG_SAMPLE,
};
int q_agg_find(const char *name);
const char *q_agg_name(int agg);
/* The aggregate of VALS (n of them, a bag) into *out. */
int q_aggregate(q_ctx *x, const q_find *f, dt_val *vals, size_t n, dt_val *out);
/* Parses the pull patterns of Q's :find against their sources (find.c). */
int q_pulls_prepare(q_ctx *x, const q_query *q);
void q_pulls_free(q_ctx *x, const q_query *q);
/* The result of Q from relation R (columns: find and :with variables). */
int q_shape(q_ctx *x, const q_query *q, q_rel *r, dt_edn_doc *doc, dt_edn_value *out);

/* ---- a run ---------------------------------------------------------------- */
typedef struct q_source {
    dt_db *db;     /* a database, or NULL */
    int rel;       /* a collection of tuples: the relation (q_ctx.rels) */
    const char *name;
} q_src;

typedef struct q_intern_tab {
    dt_val *slots;
    size_t mask, n;
} q_intern_tab;

struct q_ctx {
    q_arena arena;
    q_intern_tab intern;
    const dt_q_opts *opts;
    dt_edn_doc *doc;       /* values built during the run (function results) */
    q_src *srcs;
    uint16_t nsrc;
    q_rule *rules;
    int nrules, caprules;
    q_rel *rels;           /* relations of inputs */
    int nrels, caprels;
    dt_val *consts;        /* per query variable: the scalar input bound to it */
    bool *has_const;
    q_table **tables;
    int ntables, captables;
    int running_scc;       /* -1 when no fixpoint runs */
    bool *scc_running;
    uint32_t rng;
    size_t rel_bytes, peak_rel_bytes; /* memory held by relations now, and at most */
    size_t max_rel_bytes;
    bool over;             /* rel_bytes passed max_rel_bytes, or the deadline passed: stop */
    bool timed_out;        /* the deadline passed */
    int64_t deadline_ns;   /* 0: none */
    uint32_t timeout_ms;   /* what it was made from, for the message */
    uint32_t ticks;        /* units of work, for q_stop */
    struct q_regex *regexes;
    struct q_stats *stats; /* estimate.c's cache */
    struct dt_pull **pulls; /* per :find element: its pull pattern, parsed */
    int nlifted;
    q_query *q;
};

/* Accounts for BYTES more (or fewer) held by relations: DATOM_EINVAL when
 * past the limit of the options (naming it), DATOM_ETIMEOUT past the deadline. */
int q_mem(q_ctx *x, ssize_t bytes);
/* Marks x->over when the deadline has passed (eval.c). */
bool q_past_deadline(q_ctx *x);
/* Counts a unit of work (a row made, a datom read): whether the query
 * must stop (then q_mem(x, 0) says why). The clock is read once per 4096
 * units, so the loops that call it pay an increment and a test. */
static inline bool q_stop(q_ctx *x)
{
    if (x->over)
        return true;
    return (++x->ticks & 4095) == 0 && x->deadline_ns && q_past_deadline(x);
}
/* A row of step S's result: R's row ROW (NIN columns) and the step's new
 * values NEWV, kept as the step says. */
void q_emit(q_ctx *x, q_rel *out, const q_step *s, const dt_val *row, uint16_t nin, const dt_val *newv);
/* The relation a step makes (columns as the plan says). */
void q_step_out(q_ctx *x, const q_step *s, q_rel *out);
/* Entity ids from query values (a long, an ident, a lookup ref): 0 and
 * *e, 1 when it names nothing, -1 when it cannot name an entity. */
int q_entity(q_ctx *x, dt_db *db, dt_val v, uint64_t *e);
/* V as attribute AT's values are held (refs as DT_REF...): 0, 1 when it
 * names nothing (an unknown ident), -1 when the types cannot meet. */
int q_fit(q_ctx *x, dt_db *db, const dt_attr *at, dt_val v, dt_val *out);
/* The db of source SRC (-1: $), or NULL when it is a collection. */
dt_db *q_src_db(q_ctx *x, int16_t src);

#endif /* DT_QUERY_Q_H */
