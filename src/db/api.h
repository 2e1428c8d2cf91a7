/*
 * api.h: for the public API functions of the layers above db (the query
 * layer's datom_q): the public handles are db's (a datom_db is a dt_db), and
 * a datom_value is made here from a document and a value in it.
 */
#ifndef DT_DB_API_H
#define DT_DB_API_H

#include "db/db.h"
#include "edn/edn.h"

static inline dt_db *dt_api_db(datom_db *d) { return (dt_db *)d; }
/* A value handed to the caller, owning DOC (freed with datom_value_free). */
datom_value *dt_api_value(dt_edn_doc *doc, dt_edn_value v);

#endif /* DT_DB_API_H */
