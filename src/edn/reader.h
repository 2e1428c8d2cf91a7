/*
 * reader.h: the reader's state and the helpers its three files share:
 * read.c (whitespace, tokens, collections, # forms), literal.c (strings and
 * characters) and stream.c (reader objects, refilling from a descriptor,
 * the public read functions). Nothing outside them includes it.
 *
 * Every parse function returns RD_OK, RD_FAIL (the error is in rd.err),
 * RD_MORE (the bytes at hand ended where the input may go on: stream.c
 * reads more and starts the top-level value again) or, for edn_rd_next,
 * RD_NONE (no form before a closing delimiter or the end).
 */
#ifndef DT_EDN_READER_H
#define DT_EDN_READER_H

#include "edn/edn_internal.h"

enum { RD_OK = 0, RD_NONE = 1, RD_FAIL = -1, RD_MORE = -2 };

typedef struct pos {
    uint32_t line, col;
    uint64_t off;
} pos;

/* A symbol or keyword already read in this top-level value: the whole
 * token (':' included) maps to its text in the document, checked once. */
typedef struct intern_slot {
    uint64_t hash;
    const char *text;
    uint32_t len, gen; /* len: of the token; a slot of another generation is empty */
    uint16_t aux;
    bool keyword;
} intern_slot;

#define RD_STK0 16
#define RD_ITAB0 16 /* a power of two */

typedef struct rd {
    const uint8_t *start, *p, *end; /* the bytes at hand */
    uint64_t base;                  /* offset of start in the input */
    bool eof;                       /* end is the end of the input */
    uint32_t line;
    uint64_t line_start; /* offset of the first byte of the current line */
    uint64_t cc_off;     /* column cache: the character at cc_off is column cc_col */
    uint32_t cc_col;
    uint32_t depth, max_depth;
    dt_edn_doc *doc;
    dt_edn_value *stk; /* items of the open collections: stk0 until it outgrows it */
    size_t sn, scap;
    dt_buf tmp; /* a string with escapes, decoded */
    intern_slot *itab; /* open addressing: itab0 until it outgrows it */
    uint32_t islots, iused, igen;
    dt_edn_error err;
    /* what a small value needs, in place (a transaction's tx-data is
     * often one short vector: no allocation then) */
    dt_edn_value stk0[RD_STK0];
    intern_slot itab0[RD_ITAB0];
} rd;

/* Points R's stack and intern table at their places inside R (which must
 * not move after). */
void edn_rd_init_bufs(rd *r);
/* Frees what R's stack and intern table grew into. */
void edn_rd_free_bufs(rd *r);

static inline uint64_t abs_off(const rd *r, const uint8_t *p) { return r->base + (uint64_t)(p - r->start); }
static inline pos pos_of(const dt_edn_value *v) { return (pos){v->line, v->col, v->off}; }

/* Positions: the column of P (at or after the last asked on its line), and
 * a line passed (AFTER: the byte after the '\n'). */
uint32_t edn_rd_col(rd *r, const uint8_t *p);
pos edn_rd_pos(rd *r, const uint8_t *p);
void edn_rd_newline(rd *r, const uint8_t *after);

/* Errors: record one at AT (or at P) and return RD_FAIL. */
int edn_rd_fail(rd *r, pos at, dt_edn_errcode code, const char *fmt, ...) DT_PRINTF(4, 5);
#define rd_fail(r, p, code, ...) edn_rd_fail((r), edn_rd_pos((r), (p)), (code), __VA_ARGS__)
/* The end of the bytes at hand inside WHAT: RD_MORE, or an EOF error at AT. */
int edn_rd_at_end(rd *r, pos at, const char *what);
/* Bad UTF-8 at P (or RD_MORE for a sequence maybe cut by the buffer). */
int edn_rd_bad_utf8(rd *r, const uint8_t *p);
/* Input text fit for a message (valid UTF-8, escapes, cut at ~48 bytes). */
const char *edn_rd_show(char out[64], const uint8_t *p, size_t n);

/* Forgets the interned texts: at each top-level value, and whenever the
 * document is rolled back (they may be in what was dropped). */
void edn_rd_forget(rd *r);

/* The end of the token from P (before whitespace, a delimiter, and '#' too
 * for a NUMBER), checking its bytes. */
int edn_rd_token_end(rd *r, const uint8_t *p, bool number, const uint8_t **out);
/* Skips whitespace, commas and comments. */
int edn_rd_skip_ws(rd *r);
/* The next form past whitespace, comments and #_ discards, or RD_NONE. */
int edn_rd_next(rd *r, dt_edn_value *out);

/* literal.c: a string (r->p at its '"') and a character literal (at '\'). */
int edn_rd_string(rd *r, pos at, dt_edn_value *out);
int edn_rd_char(rd *r, pos at, dt_edn_value *out);

#endif /* DT_EDN_READER_H */
