/*
 * edn.h: EDN values, their reader and their printers (EDN and JSON).
 *
 * EDN is the text of the fact database: transactions, queries, pull patterns
 * and their results (docs/formats.md, "EDN", says what is read and printed).
 * This layer knows EDN and nothing of facts: db/ and query/ build on it.
 *
 * The value model. A value is a 32-byte dt_edn_value: its kind, a payload
 * and where it was read (line, column, byte offset). Values live in a
 * document (dt_edn_doc), an arena that owns every value read or built into
 * it and frees them all at once; a value never points outside its document
 * (or the documents of the values it was built from: see "Building").
 *
 *  (1) Collections hold their items as one contiguous array: a list, vector or
 *      set its N items; a map its N pairs as 2N values, key then value, in
 *      source order; a tagged value two values, the tag (a symbol) and the
 *      value. A map or set of more than DT_EDN_SMALL entries also has a hash
 *      index after its items (flag DT_EDN_F_INDEXED), so lookups are O(1).
 *  (2) Text (strings, symbols, keywords, big numbers) is copied into the
 *      document, NUL-terminated, its length in bytes in len (a string may
 *      hold NUL bytes itself: len is authoritative). Strings, symbols and
 *      keywords that were read are valid UTF-8. Equal symbols and keywords
 *      of one top-level value read may share one text: never write to it.
 *  (3) A map has no two equal keys and a set no two equal elements (reading
 *      or building one is an error naming the second).
 *  (4) Values nest at most DT_EDN_MAX_DEPTH levels (a collection's aux holds
 *      its depth), so every walk below (equal, compare, hash, print) is
 *      bounded and recursion never overflows the stack.
 *  (5) Values are immutable once made: several threads may read a document
 *      at once; one thread at a time may read or build into it.
 * These hold for values read or made by the builders below; a value put
 * together by hand must keep them too (use the builders).
 *
 * Semantics follow Clojure where it defines them (docs/formats.md):
 * dt_edn_equal is Clojure's = (1 = 1N, 1 != 1.0, 1.0M = 1.00M, a list equals
 * a vector of equal items, maps and sets ignore order), except that ##NaN
 * equals itself; dt_edn_compare is a total order consistent with it (0 iff
 * equal) that agrees with Clojure's compare wherever that is defined;
 * dt_edn_hash agrees with equality.
 *
 * Errors: readers return 0 or DATOM_EINVAL (DATOM_EIO, DATOM_ENOTFOUND for
 * files) with the thread's message "LINE:COL: reason" (files:
 * "PATH:LINE:COL: reason"), and fill a dt_edn_error, the same as data, when
 * the caller passes one. Lines and columns are 1-based; a column counts
 * characters (code points), not bytes.
 */
#ifndef DT_EDN_H
#define DT_EDN_H

#include "core/core.h"

/* Deepest nesting of collections (and tagged values) that is read or built. */
#define DT_EDN_MAX_DEPTH 512
/* Maps and sets of more entries than this carry a hash index. */
#define DT_EDN_SMALL 8

typedef enum dt_edn_kind {
    DT_EDN_NIL,
    DT_EDN_BOOL,    /* u.b */
    DT_EDN_INT,     /* u.i: a signed 64-bit integer */
    DT_EDN_BIGINT,  /* u.s: canonical decimal digits, '-' first if negative ("12" for 12N) */
    DT_EDN_RATIO,   /* u.ratio: {numerator, denominator}, reduced, denominator > 1 */
    DT_EDN_FLOAT,   /* u.f: a double */
    DT_EDN_BIGDEC,  /* u.s: the literal exactly as written, without its M ("1.50" for 1.50M) */
    DT_EDN_CHAR,    /* u.c: a Unicode scalar value (never a surrogate) */
    DT_EDN_STRING,  /* u.s, len */
    DT_EDN_SYMBOL,  /* u.s: "ns/name" or "name"; aux: bytes of the namespace */
    DT_EDN_KEYWORD, /* u.s: as a symbol, without the ':' */
    DT_EDN_LIST,    /* u.items, len items */
    DT_EDN_VECTOR,  /* u.items, len items */
    DT_EDN_MAP,     /* u.items, len pairs (2 * len values) */
    DT_EDN_SET,     /* u.items, len items */
    DT_EDN_INST,    /* u.sec: seconds since 1970-01-01T00:00:00Z; len: nanoseconds */
    DT_EDN_UUID,    /* u.uuid: 16 bytes */
    DT_EDN_TAGGED,  /* u.items: [tag symbol, value]; len 2 */
} dt_edn_kind;
#define DT_EDN_KIND_COUNT (DT_EDN_TAGGED + 1)

/* flags */
#define DT_EDN_F_INDEXED 0x01 /* a map or set with a hash index after its items */

/* aux of a symbol or keyword whose namespace is too long to say in 16 bits:
 * dt_edn_ns() finds it. */
#define DT_EDN_NS_LONG 0xFFFF

typedef struct dt_edn_value dt_edn_value;
struct dt_edn_value {
    uint8_t kind;  /* dt_edn_kind */
    uint8_t flags; /* DT_EDN_F_* */
    uint16_t aux;  /* symbol, keyword: namespace bytes (0: none); collection, tagged: depth */
    uint32_t len;  /* text bytes; items; map pairs; inst nanoseconds */
    uint32_t line; /* where the value starts (its first character); 0 when built */
    uint32_t col;
    uint64_t off; /* byte offset from the start of the input */
    union {
        bool b;
        int64_t i;
        double f;
        uint32_t c;
        const char *s;
        const dt_edn_value *items;
        int64_t sec;
        const uint8_t *uuid;
        const int64_t *ratio;
    } u;
};

/* ---- documents (doc.c) ---- */

typedef struct dt_edn_doc dt_edn_doc;
dt_edn_doc *dt_edn_doc_new(void);
void dt_edn_doc_free(dt_edn_doc *doc); /* every value in it; NULL is fine */
/* Frees every value in DOC but keeps its first block for reuse (a loop over
 * many top-level values need not grow). */
void dt_edn_doc_reset(dt_edn_doc *doc);
size_t dt_edn_doc_bytes(const dt_edn_doc *doc); /* memory held */

/* ---- reading (read.c) ---- */

typedef enum dt_edn_errcode {
    DT_EDN_OK = 0,
    DT_EDN_ERR_EOF,        /* the input ended inside a value */
    DT_EDN_ERR_DELIM,      /* a closing ) ] } that closes nothing, or the wrong one */
    DT_EDN_ERR_TOKEN,      /* not a valid symbol, keyword, nil, true or false */
    DT_EDN_ERR_NUMBER,     /* a malformed number (or a ratio over 64 bits, a zero denominator) */
    DT_EDN_ERR_STRING,     /* a bad escape in a string */
    DT_EDN_ERR_CHAR,       /* a bad character literal */
    DT_EDN_ERR_UTF8,       /* invalid UTF-8, or a control character outside a string */
    DT_EDN_ERR_MAP,        /* a map with an odd number of forms */
    DT_EDN_ERR_DUPLICATE,  /* a repeated map key or set element */
    DT_EDN_ERR_DISPATCH,   /* an unknown # form, ## value, bad tag or metadata */
    DT_EDN_ERR_INST,       /* a bad #inst */
    DT_EDN_ERR_UUID,       /* a bad #uuid */
    DT_EDN_ERR_DEPTH,      /* nesting deeper than the limit */
    DT_EDN_ERR_LIMIT,      /* beyond a size limit (docs/formats.md, "EDN limits") */
    DT_EDN_ERR_TRAILING,   /* dt_edn_read: something after the one value */
    DT_EDN_ERR_IO,         /* a file or descriptor could not be read */
} dt_edn_errcode;

/* An error as data: what, where (of the offending character or token), why. */
typedef struct dt_edn_error {
    dt_edn_errcode code;
    uint32_t line, col; /* 1-based; col in characters */
    uint64_t off;       /* byte offset */
    char msg[192];      /* the reason, without the position: "unmatched delimiter: )" */
} dt_edn_error;

typedef struct dt_edn_options {
    uint32_t max_depth;       /* 0 or more than DT_EDN_MAX_DEPTH: DT_EDN_MAX_DEPTH */
    uint64_t max_value_bytes; /* descriptors and files: the largest top-level value's
                                 text held at once; 0: 1 GiB */
    uint32_t read_size;       /* descriptors: bytes asked of each read(2); 0: 64 KiB
                                 (tests use a few, to make values span reads) */
} dt_edn_options;

const char *dt_edn_errcode_name(dt_edn_errcode code); /* "eof", "delimiter", ... */

/* Reads exactly one value from SRC[0, N) into DOC: whitespace, commas,
 * comments and #_ discards may surround it; anything else after it is
 * DT_EDN_ERR_TRAILING, nothing at all is DT_EDN_ERR_EOF. O may be NULL,
 * ERR may be NULL. On error nothing stays allocated in DOC. */
int dt_edn_read(dt_edn_doc *doc, const char *src, size_t n, const dt_edn_options *o,
                const dt_edn_value **out, dt_edn_error *err);

/* Reads every top-level value of SRC[0, N) (or of the file PATH) into DOC:
 * *items is an array of *count values in DOC (NULL and 0 when there are
 * none). File errors name PATH. */
int dt_edn_read_all(dt_edn_doc *doc, const char *src, size_t n, const dt_edn_options *o,
                    const dt_edn_value **items, size_t *count, dt_edn_error *err);
int dt_edn_read_file(dt_edn_doc *doc, const char *path, const dt_edn_options *o,
                     const dt_edn_value **items, size_t *count, dt_edn_error *err);

/* A stream of top-level values from a buffer or a file descriptor, one at a
 * time: memory is bounded by the largest value, not the input. The reader
 * borrows SRC (or FD, which it never closes) until it is freed. */
typedef struct dt_edn_reader dt_edn_reader;
dt_edn_reader *dt_edn_reader_new_mem(const char *src, size_t n, const dt_edn_options *o);
/* WHAT names the descriptor in messages ("tx.edn", "stdin"; NULL: none). */
dt_edn_reader *dt_edn_reader_new_fd(int fd, const char *what, const dt_edn_options *o);
/* 0 with *out the next value, read into DOC (which may change between
 * calls), or NULL at the end of the input; or an error, after which every
 * call returns it again. */
int dt_edn_reader_next(dt_edn_reader *r, dt_edn_doc *doc, const dt_edn_value **out);
const dt_edn_error *dt_edn_reader_error(const dt_edn_reader *r); /* the last error */
void dt_edn_reader_free(dt_edn_reader *r);

/* ---- walking (inline) and comparing (value.c) ---- */

static inline bool dt_edn_is(const dt_edn_value *v, dt_edn_kind k) { return v && v->kind == k; }
static inline bool dt_edn_is_coll(const dt_edn_value *v)
{
    return v->kind >= DT_EDN_LIST && v->kind <= DT_EDN_SET;
}
/* Items of a list, vector or set; pairs of a map; 0 for anything else. */
static inline size_t dt_edn_count(const dt_edn_value *v) { return dt_edn_is_coll(v) ? v->len : 0; }
/* Item I of a list, vector or set (I < count). */
static inline const dt_edn_value *dt_edn_at(const dt_edn_value *v, size_t i) { return &v->u.items[i]; }
/* Key and value of a map's pair I (I < count), in source order. */
static inline const dt_edn_value *dt_edn_key(const dt_edn_value *m, size_t i) { return &m->u.items[2 * i]; }
static inline const dt_edn_value *dt_edn_val(const dt_edn_value *m, size_t i) { return &m->u.items[2 * i + 1]; }
/* The tag symbol and the value of a tagged value. */
static inline const dt_edn_value *dt_edn_tag(const dt_edn_value *t) { return &t->u.items[0]; }
static inline const dt_edn_value *dt_edn_tagged_value(const dt_edn_value *t) { return &t->u.items[1]; }

/* Namespace and name of a symbol or keyword, not NUL-terminated: the
 * namespace is NULL (length 0) when there is none. The text splits at its
 * first '/' (":a/b/c" is namespace "a", name "b/c"), except "/" alone. */
const char *dt_edn_ns(const dt_edn_value *v, size_t *len);
const char *dt_edn_name(const dt_edn_value *v, size_t *len);
/* Whether V is the keyword with text KW ("db/id", "find"; no ':'). */
bool dt_edn_is_kw(const dt_edn_value *v, const char *kw);
bool dt_edn_is_sym(const dt_edn_value *v, const char *sym);

/* The value of KEY in map M, or NULL (also when M is not a map). */
const dt_edn_value *dt_edn_get(const dt_edn_value *m, const dt_edn_value *key);
/* The value of keyword KW ("person/name", no ':') in map M, or NULL. */
const dt_edn_value *dt_edn_get_kw(const dt_edn_value *m, const char *kw);
/* Whether set S holds V (false when S is not a set). */
bool dt_edn_contains(const dt_edn_value *s, const dt_edn_value *v);

bool dt_edn_equal(const dt_edn_value *a, const dt_edn_value *b);
/* <0, 0, >0. Across kinds: nil < booleans < numbers < characters < strings <
 * symbols < keywords < instants < UUIDs < lists and vectors < maps < sets <
 * tagged values. Numbers of all kinds compare by value (a tie between
 * unequal kinds, 1 and 1.0, goes integer < ratio < float < bigdec), ##NaN
 * above every number; text byte by byte (code point order); symbols and
 * keywords without a namespace first, then by namespace, then name;
 * sequences by length, then item by item; maps and sets by size, then as
 * their sorted entries. Allocates only for maps, sets and big numbers of
 * unlike kinds (a BIGDEC against a float), and cannot fail. */
int dt_edn_compare(const dt_edn_value *a, const dt_edn_value *b);
/* Agrees with dt_edn_equal. Keyed per process (SipHash), so an attacker
 * cannot choose colliding keys: never store it. */
uint64_t dt_edn_hash(const dt_edn_value *v);

const char *dt_edn_kind_name(dt_edn_kind k); /* "nil", "keyword", ... */

/* ---- building (doc.c): values made by a program (query results, pull) ----
 * Scalars need no document; text is copied into DOC; collections copy their
 * items (shallowly: items that are themselves collections keep pointing into
 * their own documents, which must outlive the new value). Built values have
 * no position (line 0). Functions returning int give 0 or DATOM_EINVAL with
 * a message (and *out untouched). */

static inline dt_edn_value dt_edn_nil(void) { return (dt_edn_value){.kind = DT_EDN_NIL}; }
static inline dt_edn_value dt_edn_bool(bool b) { return (dt_edn_value){.kind = DT_EDN_BOOL, .u.b = b}; }
static inline dt_edn_value dt_edn_int(int64_t i) { return (dt_edn_value){.kind = DT_EDN_INT, .u.i = i}; }
static inline dt_edn_value dt_edn_float(double f) { return (dt_edn_value){.kind = DT_EDN_FLOAT, .u.f = f}; }
int dt_edn_char(uint32_t cp, dt_edn_value *out); /* a scalar value: no surrogate, <= 0x10FFFF */
/* Bytes as given (the printers write invalid UTF-8 as U+FFFD); N < 4 GiB
 * (more aborts, as running out of memory does). */
dt_edn_value dt_edn_string(dt_edn_doc *doc, const char *s, size_t n);
/* TEXT as the reader reads it after ':' (keyword) or alone (symbol):
 * "ns/name" or "name", checked. */
int dt_edn_keyword(dt_edn_doc *doc, const char *text, size_t n, dt_edn_value *out);
int dt_edn_symbol(dt_edn_doc *doc, const char *text, size_t n, dt_edn_value *out);
/* A decimal integer literal ("-12", no N) as a BIGINT; a decimal literal as
 * the reader reads it before M ("1.50", "-2e10") as a BIGDEC. */
int dt_edn_bigint(dt_edn_doc *doc, const char *text, size_t n, dt_edn_value *out);
int dt_edn_bigdec(dt_edn_doc *doc, const char *text, size_t n, dt_edn_value *out);
/* NUM/DEN reduced: an INT when DEN divides NUM; DEN != 0. */
int dt_edn_ratio(dt_edn_doc *doc, int64_t num, int64_t den, dt_edn_value *out);
/* An instant within years 0000 to 9999 (UTC), NSEC < 1e9. */
int dt_edn_inst(int64_t sec, uint32_t nsec, dt_edn_value *out);
dt_edn_value dt_edn_uuid(dt_edn_doc *doc, const uint8_t bytes[16]);
/* TAG must be a symbol. */
int dt_edn_tagged(dt_edn_doc *doc, const dt_edn_value *tag, const dt_edn_value *v, dt_edn_value *out);
/* A list, vector or set of the N ITEMS, or a map of the N / 2 pairs
 * (ITEMS: key, value, key, value...; N even). Refuses a repeated map key or
 * set element (DT_EDN_ERR_DUPLICATE) and nesting deeper than the limit. */
int dt_edn_coll(dt_edn_doc *doc, dt_edn_kind kind, const dt_edn_value *items, size_t n,
                dt_edn_value *out);

/* ROWS vectors of COLS values each, the rows of ITEMS (ROWS * COLS values,
 * row after row), into OUT[0, ROWS): a table's rows built at once (one
 * allocation, none of dt_edn_coll's checks a vector does not need). */
int dt_edn_vectors(dt_edn_doc *doc, const dt_edn_value *items, size_t rows, size_t cols, dt_edn_value *out);

/* A growable array of values on the heap, to gather a collection's items. */
typedef struct dt_edn_vec {
    dt_edn_value *v;
    size_t n, cap;
} dt_edn_vec;
#define DT_EDN_VEC_INIT {NULL, 0, 0}
void dt_edn_vec_push(dt_edn_vec *vec, dt_edn_value v);
void dt_edn_vec_free(dt_edn_vec *vec);

/* ---- printing (print.c, json.c) ---- */

typedef struct dt_edn_print_options {
    bool pretty;     /* EDN: a collection whose compact text does not fit in
                        the rest of the line gets one item (a map: one pair)
                        per line, aligned under the first; JSON: one item per
                        line, indented */
    uint32_t width;  /* EDN: the line width; 0: 80 */
    uint32_t indent; /* JSON: spaces per level; 0: 2 */
} dt_edn_print_options;

/* EDN text that dt_edn_read reads back as an equal value: the compact form
 * is Clojure's (maps as {k v, k v}; floats in their shortest exact form,
 * 1.0 not 1; ##NaN ##Inf ##-Inf; #inst "...-00:00" with 3, 6 or 9 digits of
 * fraction). O may be NULL. Appending to a buffer cannot fail; a sink's
 * error is returned. */
void dt_edn_print_buf(const dt_edn_value *v, const dt_edn_print_options *o, dt_buf *out);
int dt_edn_print(const dt_edn_value *v, const dt_edn_print_options *o, dt_sink sink);
char *dt_edn_to_string(const dt_edn_value *v); /* compact; the caller frees */

/* JSON for scripts (docs/formats.md, "EDN as JSON"): keywords as ":ns/name"
 * strings, symbols as their text, sets and lists as arrays, instants and
 * UUIDs as strings, maps as objects whose names are string keys as they
 * are, keywords as ":k" and any other key as its compact EDN text. Not
 * reversible. */
void dt_edn_print_json_buf(const dt_edn_value *v, const dt_edn_print_options *o, dt_buf *out);
int dt_edn_print_json(const dt_edn_value *v, const dt_edn_print_options *o, dt_sink sink);

#endif /* DT_EDN_H */
