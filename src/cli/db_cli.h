/*
 * db_cli.h: what db.c (datom db create, transact, pull, datoms, log, info)
 * shares with db_query.c (datom db q): the reading options, opening a
 * database of the store, the db value they ask for, printing a value.
 */
#ifndef DT_CLI_DB_CLI_H
#define DT_CLI_DB_CLI_H

#include "cli/cli.h"
#include "db/db.h"
#include "edn/edn.h"

typedef struct dbopts {
    const char *as_of, *since, *from, *to, *file, *prefix;
    bool history, json;
    long limit;
} dbopts;

/* Connects to database NAME of the store (--store, or the project's), in
 * the namespace --prefix or the project's. */
int cli_db_open(const char *name, const dbopts *o, datom_store **st, dt_conn **c);
/* The connection's db value as --as-of, --since and --history ask. */
int cli_db_view(dt_conn *c, const dbopts *o, dt_db **out);
/* V as EDN (pretty on a terminal) or JSON, and a newline. */
void cli_db_print(const dt_edn_value *v, bool json);
/* Frees what is not NULL; the exit status of RC. */
int cli_db_finish(datom_store *st, dt_conn *c, dt_db *db, int rc);

/* datom db q (db_query.c) */
extern const char cli_db_q_usage[];
int cli_db_q(int argc, char **argv);

#endif /* DT_CLI_DB_CLI_H */
