/*
 * edn_db.h: the fact database's values as EDN and back (ednval.c), and
 * tx-data read from EDN (txdata.c). The one place where src/db meets the
 * EDN layer's value model.
 */
#ifndef DT_DB_EDN_DB_H
#define DT_DB_EDN_DB_H

#include "db/internal.h"
#include "edn/edn.h"

/* V as a value of TYPE (the attribute's; ATTR for a tuple's element types),
 * string-like bytes in ARENA. Widening is allowed (an integer for a double,
 * a float, a bigint or a bigdec); anything else of another type is an error
 * with a static reason in *why. */
int dt_val_from_edn(const dt_edn_value *v, dt_vtype type, const dt_attr *attr, dt_arena *arena,
                    dt_val *out, const char **why);
/* The same for a value that looks something up (a lookup ref, an index
 * key): a composite tuple is allowed there, typed by its attributes. */
int dt_lookup_val_from_edn(dt_db *db, const dt_edn_value *v, const dt_attr *attr, dt_arena *arena,
                           dt_val *out, const char **why);
/* V as EDN, built in DOC (references as integers). */
dt_edn_value dt_val_to_edn(dt_edn_doc *doc, dt_val v);
/* ":ns/name" keyword from "ns/name". */
dt_edn_value dt_kw(dt_edn_doc *doc, const char *ident);

/* The attribute keyword KW (DT_EDN_KEYWORD) names: an attribute by its ident,
 * or with *reverse set the attribute whose reverse it spells (":ns/_name" for
 * :ns/name, ":_name" for :name), which the caller checks is a reference;
 * NULL when it names none. */
const dt_attr *dt_attr_of_kw(dt_db *db, const dt_edn_value *kw, bool *reverse);

/* [e a v tx added] with the attribute as its ident. */
dt_edn_value dt_datom_edn(dt_edn_doc *doc, dt_db *db, const dt_datom *d);
/* The key of ORDER's leading components ITEMS[0..n) (entities by id, ident
 * or lookup ref; attributes by ident; values typed by the attribute before
 * them; transactions by t or id); string-like values in ARENA. */
int dt_key_from_edn(dt_db *db, dt_order order, const dt_edn_value *items, size_t n, dt_arena *arena, dt_key *k);
/* A transaction report: {:db-before T :db-after T :tx-data [...] :tempids {...}}. */
int dt_report_edn(const dt_tx_report *r, dt_edn_doc *doc, dt_edn_value *out);

/* Reads tx-data (a vector of list and map forms) against DB into OPS:
 * attributes and idents resolved, values typed, maps expanded. Errors name
 * the form's line and column and what is wrong. Strings of OPS point into
 * TX's document, and values into ops->arena. */
int dt_txdata_read(dt_db *db, const dt_edn_value *tx, dt_txops *ops);

/* Transacts tx-data already read (dt_conn_transact without the reading). */
int dt_conn_transact_edn(dt_conn *c, const dt_edn_value *tx, dt_tx_report **out);

#endif /* DT_DB_EDN_DB_H */
