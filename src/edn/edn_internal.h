/*
 * edn_internal.h: what the files of src/edn share and nothing outside needs:
 * the document's arena, UTF-8, the token rules (which text is a symbol or a
 * keyword), numbers (parsing, decimal forms, shortest float text), instants
 * and UUIDs, and the hash index of big maps and sets.
 *
 * Leaf helpers here report failure with a static reason (a string) rather
 * than the thread's error: the reader turns a reason into a positioned
 * dt_edn_error, a builder into dt_error().
 */
#ifndef DT_EDN_INTERNAL_H
#define DT_EDN_INTERNAL_H

#include "edn/edn.h"

#define DT_EDN_STR_(x) #x
#define DT_EDN_STR(x) DT_EDN_STR_(x)

/* ---- arena (doc.c) ---- */
typedef struct edn_block edn_block;
typedef struct edn_mark {
    edn_block *block;
    size_t used;
    size_t next; /* the size the next block would have had */
} edn_mark;
void *edn_alloc(dt_edn_doc *doc, size_t n); /* 8-byte aligned; never NULL */
const char *edn_strdup(dt_edn_doc *doc, const char *s, size_t n); /* NUL-terminated copy */
edn_mark edn_mark_get(const dt_edn_doc *doc);
void edn_mark_rollback(dt_edn_doc *doc, edn_mark m); /* frees what was allocated since */

/* ---- Unicode (token.c; UTF-8 itself is core's) ---- */
/* Java's Character.isWhitespace for non-ASCII code points. */
bool edn_unicode_space(uint32_t cp);

/* ---- tokens (token.c) ---- */
/* Byte classes: what a byte can be outside strings. */
enum {
    EDN_K_SYM,  /* a constituent of symbols, keywords and numbers */
    EDN_K_WS,   /* whitespace: space, tab, CR, VT, FF, ',', 0x1c-0x1f */
    EDN_K_NL,   /* '\n', counted as a line */
    EDN_K_TERM, /* ends a token and starts something: " ; ^ ( ) [ ] { } \ */
    EDN_K_HASH, /* '#': ends a number, not a symbol */
    EDN_K_CTRL, /* other control characters: refused outside strings */
    EDN_K_HIGH, /* 0x80-0xff: UTF-8 (maybe whitespace) */
};
extern const uint8_t edn_cls[256];
/* Whether token TOK (':' first for a keyword) is a symbol or keyword by
 * Clojure's symbolPat and the checks after it: NULL, or why not. Its bytes
 * are assumed checked (the reader scanned them). */
const char *edn_token_rules(const char *tok, size_t n);
/* Whether TEXT is a symbol (keyword: the text after ':') as Clojure's EDN
 * reader reads one: NULL if so, else why not. */
const char *edn_symbol_check(const char *text, size_t n, bool keyword);
/* Bytes of the namespace of symbol or keyword text: 0 when none. */
size_t edn_ns_len(const char *text, size_t n);

/* ---- numbers (number.c) ---- */
/* Parses a number token (as Clojure's matchNumber) into *out (text copied
 * into DOC when kept as text): NULL, or why not. */
const char *edn_number(dt_edn_doc *doc, const char *tok, size_t n, dt_edn_value *out);
/* A number as sign, digits and exponent: value = sign * 0.DIGITS * 10^exp,
 * digits without leading or trailing zeros (none for zero). */
typedef struct edn_dec {
    int sign; /* -1, 0, 1 */
    int64_t exp;
    size_t ndig;
    const char *dig;
    char *own; /* when dig was made rather than borrowed: freed by edn_dec_free */
} edn_dec;
/* The decimal form of an INT, BIGINT, BIGDEC or finite FLOAT. */
void edn_dec_of(const dt_edn_value *v, edn_dec *d);
void edn_dec_free(edn_dec *d);
int edn_dec_cmp(const edn_dec *a, const edn_dec *b);
/* Whether BIGINT text fits int64 (then *i is its value). */
bool edn_bigint_small(const dt_edn_value *v, int64_t *i);
/* Writes the shortest text that reads back as D, with ".0" when it would
 * look integral, into OUT (32 bytes): its length. NaN and infinities as
 * EDN writes them (##NaN ##Inf ##-Inf) unless JSON, where the caller
 * handles them. */
size_t edn_format_double(double d, char out[32]);
/* strtod in the C locale, whatever the process's locale. */
double edn_strtod(const char *s, char **end);
/* Checks a decimal literal as the reader reads it before M: NULL or why not. */
const char *edn_bigdec_check(const char *text, size_t n);
/* Checks a decimal integer literal (optional '-', digits, no leading zero). */
const char *edn_bigint_check(const char *text, size_t n);

/* ---- instants and UUIDs (inst.c) ---- */
/* Parses RFC 3339 as Clojure's #inst reader does: NULL or why not. */
const char *edn_inst_parse(const char *s, size_t n, int64_t *sec, uint32_t *nsec);
/* "YYYY-MM-DDTHH:MM:SS.fff" + (zulu ? "Z" : "-00:00"): its length. */
size_t edn_inst_format(int64_t sec, uint32_t nsec, bool zulu, char out[48]);
bool edn_inst_in_range(int64_t sec);
const char *edn_uuid_parse(const char *s, size_t n, uint8_t out[16]);
void edn_uuid_format(const uint8_t u[16], char out[37]);

/* ---- hash index of big maps and sets (value.c) ---- */
/* Slots of the index of a collection of N entries (a power of two). */
size_t edn_index_slots(size_t n);
/* Builds the index of map or set V (N entries, items already in place) at
 * SLOTS, an array of edn_index_slots(N) uint32_t right after the items. 0,
 * or the number (1-based) of the first entry equal to an earlier one. */
size_t edn_index_build(const dt_edn_value *v, uint32_t *slots);
/* Without an index: the first repeated entry (1-based) or 0. */
size_t edn_find_duplicate_small(const dt_edn_value *v);
/* Items (values) of a collection's array: 2 per map pair. */
static inline size_t edn_item_values(const dt_edn_value *v)
{
    return v->kind == DT_EDN_MAP ? 2 * (size_t)v->len : (size_t)v->len;
}

/* The depth of V as an item: a collection's or tagged value's own, else 0. */
static inline uint32_t edn_depth(const dt_edn_value *v)
{
    return (dt_edn_is_coll(v) || v->kind == DT_EDN_TAGGED) ? v->aux : 0;
}

/* Lays out a collection of KIND over N item values already gathered at
 * ITEMS (a map: N = 2 * pairs) in DOC: copies them, adds the index of a big
 * map or set, sets depth. NULL, or why not (a duplicate: *dup is its
 * 1-based entry number). */
const char *edn_make_coll(dt_edn_doc *doc, dt_edn_kind kind, const dt_edn_value *items, size_t n,
                          dt_edn_value *out, size_t *dup);

/* ---- output (print.c; json.c prints through it too) ---- */
typedef struct edn_out {
    dt_buf *b;
    dt_sink sink;
    bool to_sink;   /* drain b into sink as it fills */
    bool measuring; /* printing only to see whether something fits */
    bool pretty;
    int err;        /* the sink's first error */
    uint32_t width, indent;
    size_t limit;    /* measuring: stop once b->len passes it */
    size_t flushed;  /* bytes already given to the sink */
    int64_t line_at; /* b->len where the current line starts (negative after a flush) */
} edn_out;
void edn_out_init(edn_out *o, dt_buf *b, const dt_edn_print_options *opt);
/* Drains the buffer into the sink once it holds enough (or FORCE). */
void edn_out_flush(edn_out *o, bool force);
/* Prints V with PUT into a buffer that drains into SINK: the sink's error. */
typedef void (*edn_put_fn)(edn_out *o, const dt_edn_value *v);
int edn_print_to_sink(const dt_edn_value *v, const dt_edn_print_options *opt, dt_sink sink, edn_put_fn put);
/* A string literal, as EDN and JSON both write one (invalid UTF-8 as U+FFFD). */
void edn_put_string(dt_buf *b, const char *s, size_t n);

#endif /* DT_EDN_INTERNAL_H */
