/*
 * query.h: Datalog over db values, as the layers above (the C API, the
 * command, the server) see it. A query and its inputs are EDN; the result
 * is an EDN value (docs/formats.md, "Datalog"; docs/architecture.md,
 * "Query").
 *
 * A run parses the query, binds the inputs to the :in names, checks every
 * clause and plans the joins before reading a datom: a query that cannot
 * run fails with a message naming the clause and why, and nothing is read.
 *
 * Errors follow core.h: 0 or DATOM_EINVAL (a bad query or input, a type
 * error in a clause), DATOM_EUNSUPPORTED (valid Datomic that datom does not
 * do), or what reading the db returned.
 */
#ifndef DT_QUERY_H
#define DT_QUERY_H

#include "db/db.h"
#include "edn/edn.h"

/* An input: a db value (a source), or an EDN value (a scalar, a tuple, a
 * collection, a relation, a collection of tuples as a source, rules, a
 * pull pattern). */
typedef struct dt_q_input {
    dt_db *db;
    const dt_edn_value *edn;
} dt_q_input;

typedef struct dt_q_opts {
    bool explain;         /* plan only: *explain gets the plan, nothing runs */
    uint32_t seed;        /* rand and sample: the stream's seed (0: one per run) */
    size_t max_bytes;     /* memory of intermediate relations; 0: 4 GiB */
    uint32_t timeout_ms;  /* 0: none */
} dt_q_opts;

/* Runs QUERY (EDN: the vector or map form) on INPUTS (in the order of :in;
 * without :in, the one db for $). The result is built into DOC (which owns
 * it). With opts->explain, nothing runs and *explain (freed with free())
 * gets the plan instead. */
int dt_q(const dt_edn_value *query, const dt_q_input *inputs, size_t n_inputs, const dt_q_opts *opts,
         dt_edn_doc *doc, const dt_edn_value **out, char **explain);

/* The same from text: QUERY and the EDN inputs read first (errors name
 * which input). INPUTS whose db is set are sources. */
typedef struct dt_q_text_input {
    dt_db *db;
    const char *edn;
    size_t len;
} dt_q_text_input;
int dt_q_text(const char *query, size_t len, const dt_q_text_input *inputs, size_t n_inputs,
              const dt_q_opts *opts, dt_edn_doc *doc, const dt_edn_value **out, char **explain);

/* The kinds of QUERY's :in inputs, in order, as a caller that fills them
 * needs to know (the command: the db for the first source, --rules for %):
 * DT_Q_IN_SRC ($, $name), DT_Q_IN_RULES (%), DT_Q_IN_VALUE (anything else).
 * Without :in: one source. At most MAX are written; *n gets the count. */
enum { DT_Q_IN_SRC = 1, DT_Q_IN_RULES, DT_Q_IN_VALUE };
void dt_q_in_kinds(const dt_edn_value *query, uint8_t *kinds, size_t max, size_t *n);

#endif /* DT_QUERY_H */
