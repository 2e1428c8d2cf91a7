/*
 * schema.h: the schema as data (schema.c). Attributes are entities of the db
 * partition; a dt_schema is the attributes and idents of one basis, derived
 * from datoms, immutable and reference counted (a transaction that touches
 * schema makes a new one). The built-in schema is asserted by the bootstrap
 * transaction (t 0) of every database.
 */
#ifndef DT_DB_SCHEMA_H
#define DT_DB_SCHEMA_H

#include "db/db.h"

/* The built-in entities (db partition). */
enum {
    DT_A_IDENT = 10,
    DT_A_VALUE_TYPE,
    DT_A_CARDINALITY,
    DT_A_UNIQUE,
    DT_A_IS_COMPONENT,
    DT_A_INDEX,
    DT_A_NO_HISTORY,
    DT_A_DOC,
    DT_A_TX_INSTANT,
    DT_A_TUPLE_ATTRS,
    DT_A_TUPLE_TYPE,
    DT_A_TUPLE_TYPES,
    DT_A_LAST_BUILTIN = DT_A_TUPLE_TYPES,
    DT_E_TYPE0 = 30,           /* :db.type/X is DT_E_TYPE0 + its dt_vtype */
    DT_E_CARD_ONE = 50,
    DT_E_CARD_MANY,
    DT_E_UNIQUE_VALUE,
    DT_E_UNIQUE_IDENTITY,
    DT_FIRST_USER_DB = 100     /* the first id given to an installed attribute */
};

typedef struct dt_schema dt_schema;

dt_schema *dt_schema_ref(dt_schema *s);
void dt_schema_unref(dt_schema *s);

/* The datoms of the bootstrap transaction (t 0), sorted e a v; static. */
const dt_datom *dt_bootstrap_datoms(size_t *n);
/* The schema those datoms make. */
dt_schema *dt_schema_bootstrap(void);

const dt_attr *dt_schema_attr(const dt_schema *s, uint32_t a);
const dt_attr *dt_schema_attr_by_ident(const dt_schema *s, const char *ident);
/* The entity an ident names (current or former ident), 0 if none. */
uint64_t dt_schema_entid(const dt_schema *s, const char *ident);
/* The current ident of E, or NULL. */
const char *dt_schema_ident(const dt_schema *s, uint64_t e);
/* Every attribute, in id order (for listings and pull *). */
size_t dt_schema_attrs(const dt_schema *s, const dt_attr *const **out);
/* Whether any attribute is a composite tuple (most schemas have none). */
bool dt_schema_has_composites(const dt_schema *s);

/* The schema of DB's datoms (its current view; former idents from its history). */
int dt_schema_load(dt_db *db, dt_schema **out);
/* OLD updated for the entities TOUCHED (changed by a transaction), read from AFTER. */
int dt_schema_update(const dt_schema *old, dt_db *after, const uint64_t *touched, size_t n,
                     dt_schema **out);

/* Does a datom with attribute A on entity E change the schema? */
static inline bool dt_schema_touches(uint64_t e, uint32_t a)
{
    return DT_EID_PART(e) == DT_PART_DB || a == DT_A_IDENT;
}

/* The attribute properties a transaction may set, and which of them a later
 * transaction may change (Datomic's rules): docs/architecture.md, "Schema". */
bool dt_schema_is_attr_prop(uint32_t a);

#endif /* DT_DB_SCHEMA_H */
