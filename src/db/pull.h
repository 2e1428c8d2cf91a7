/*
 * pull.h: pull patterns (pull.c) and the entity view (entity.c), on db.h's
 * values; results are EDN values built into a caller's document.
 *
 * A pattern is parsed once against a db (attributes resolved) and may be
 * run on many entities (pull-many, and the query's pull find spec).
 */
#ifndef DT_DB_PULL_H
#define DT_DB_PULL_H

#include "db/edn_db.h"

typedef struct dt_pull dt_pull;

/* Parses PATTERN (EDN, which must outlive the parsed pattern). Errors name
 * the part of the pattern that is wrong. */
int dt_pull_parse(dt_db *db, const dt_edn_value *pattern, dt_pull **out);
void dt_pull_free(dt_pull *p);
/* The pattern applied to entity E: a map, or nil when nothing matched. */
int dt_pull_run(dt_db *db, const dt_pull *p, uint64_t e, dt_edn_doc *doc, dt_edn_value *out);

/* An entity named by an EDN value: an id, an ident keyword or a lookup ref
 * [attr value]; 0 in *e when a lookup ref or ident names nothing. */
int dt_entity_resolve(dt_db *db, const dt_edn_value *v, uint64_t *e);

/* The entity view: the value of attribute ATTR (a keyword; ":ns/_name" for
 * the reverse) of entity E: a scalar, an entity id for a reference, a set
 * for cardinality many and for reverse references; nil when absent. */
int dt_entity_get(dt_db *db, uint64_t e, const dt_edn_value *attr, dt_edn_doc *doc, dt_edn_value *out);
/* Every attribute of E as a map (references as ids), :db/id included. */
int dt_entity_touch(dt_db *db, uint64_t e, dt_edn_doc *doc, dt_edn_value *out);

#endif /* DT_DB_PULL_H */
