/*
 * tx.h: transactions from operations (tx.c), for the callers inside src/db
 * that have operations rather than EDN text (txdata.c makes them from EDN;
 * tests and bulk loads make them directly).
 */
#ifndef DT_DB_TX_H
#define DT_DB_TX_H

#include "db/internal.h"

/* Fills OPS for a transaction against DB; called again when a commit loses
 * a race (the schema may have changed). */
typedef int (*dt_ops_fn)(dt_db *db, void *ctx, dt_txops *ops);

int dt_conn_transact_ops(dt_conn *c, dt_ops_fn fn, void *ctx, dt_tx_report **out);
int dt_db_with_ops(dt_db *db, dt_ops_fn fn, void *ctx, dt_tx_report **out);
/* DB with datoms D (sorted e a v, all of transaction T) on top, written
 * nowhere. */
int dt_db_with_datoms(dt_db *db, const dt_datom *d, size_t n, int64_t t, dt_db **out);

#endif /* DT_DB_TX_H */
