/*
 * log.h: the durable log's records and the root ref's value, as bytes and
 * back (log.c). Pure, like segment.h: where they are stored and when is
 * tx.c's business. Byte layouts: docs/formats.md, "The log" and "The root".
 *
 * A record is one transaction: its t, the entity counters after it, and its
 * datoms (sorted e, a, v), framed with a length and a CRC-32C so that a
 * torn tail (a crash in the middle of an append) is found and ignored.
 */
#ifndef DT_DB_LOG_H
#define DT_DB_LOG_H

#include "db/index.h"

#define DT_LOG_VERSION 1
#define DT_LOG_HEADER 8          /* "DTLG", version, 3 zero bytes: the head of a log */
#define DT_LOG_OBJ_HEADER 40     /* "DTLO", version, 3 zero bytes, the previous object's SHA */
#define DT_LOG_FRAME 8           /* u32 payload length, u32 CRC-32C of the payload */
#define DT_LOG_MAX_RECORD (256u << 20)
#define DT_ROOT_FORMAT 1

typedef struct dt_txrec {
    int64_t t;
    uint64_t next_user, next_db; /* the next entity numbers after this transaction */
    int64_t instant;             /* its :db/txInstant */
    const dt_datom *datoms;
    size_t n;
} dt_txrec;

/* Appends R framed (length, CRC, payload). */
void dt_log_put(dt_buf *out, const dt_txrec *r);
void dt_log_put_header(dt_buf *out);
/* Reads the framed records of P[0..len) in order, calling FN for each (its
 * datoms' values live in ARENA until it is freed or reset). Stops at a torn
 * tail (a last record that is incomplete or fails its CRC, or zeros to the
 * end): *valid_end is where the good records end. Records must have
 * increasing t. Returns FN's first non-zero result, or DATOM_ECORRUPT for
 * damage (a bad record with bytes after it, or one whose CRC holds but
 * whose content is bad), or 0. */
typedef int (*dt_log_fn)(void *ctx, const dt_txrec *r);
int dt_log_scan(const uint8_t *p, size_t len, const char *what, dt_arena *arena, dt_log_fn fn,
                void *ctx, size_t *valid_end);
/* Checks the head of a log (P has at least DT_LOG_HEADER bytes). */
int dt_log_check_header(const uint8_t *p, size_t len, const char *what);

/* The root ref: what is durable in the trees, and where the log goes on. */
typedef struct dt_root {
    int64_t indexed_t; /* the trees hold every datom with t <= indexed_t; -1: none */
    dt_tree trees[DT_ORDER_COUNT];
    uint64_t next_user, next_db; /* as of indexed_t */
    int64_t last_instant;
    bool objects;        /* the portable commit: each transaction an object, the root its head */
    uint64_t log_offset; /* append: the first byte after the indexed records */
    uint8_t head[32];    /* objects: the newest transaction's object (when head_t >= 0) */
    int64_t head_t;      /* objects: its t (-1: none yet) */
} dt_root;

void dt_root_encode(const dt_root *r, dt_buf *out);
/* Parses a root ref's value; WHAT names it in messages. */
int dt_root_decode(const void *p, size_t len, const char *what, dt_root *out);

#endif /* DT_DB_LOG_H */
