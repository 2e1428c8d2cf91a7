/*
 * csv_read.c: the CSV reader (csv.h; rules in docs/formats.md, "CSV").
 *
 * The file is mapped, never copied. Opening reads the header, sniffs the
 * delimiter if none is given, then makes one full pass over the records that
 * checks their shape and UTF-8 and narrows each column's possible kinds
 * (csv_infer.c); so every error in the file is found, and the schema fixed,
 * before the first batch is handed out. dt_csv_next then parses bounded
 * batches in a second pass. In one-pass mode (csv.h, DT_CSV_RESTART) the
 * first pass stops after a prefix, and a value past it that does not fit
 * runs the first pass over the whole file and rewinds. Pages already
 * passed are dropped from the mapping (MADV_DONTNEED), so the resident size
 * stays bounded on any file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "table/csv.h"
#include "table/csv_internal.h"

#define DEFAULT_BATCH_ROWS 65536
#define BATCH_MAX_BYTES (32u << 20)  /* a batch ends early past this much input */
#define RELEASE_STEP (16u << 20)     /* drop mapped pages in steps of this */
#define UTF8_STEP (1u << 20)         /* validate this far ahead of the tokenizer */
#define SNIFF_BYTES (64u << 10)
#define SNIFF_RECORDS 20
#define PREFIX_RECORDS 65536         /* one-pass mode guesses kinds from this many */
#define PREFIX_BYTES (16u << 20)     /* ... or this much input */
#define BATCH_MAX_CELLS ((size_t)1 << 22) /* rows x columns of a batch: wide files get short batches */

typedef struct field {
    const char *p;
    size_t n;
    bool quoted;  /* was in quotes: never an NA token */
    bool escaped; /* holds "" pairs still to be undoubled */
} field;

struct dt_csv_reader {
    char *path;             /* for messages */
    const char *map;        /* the whole mapping (or the caller's buffer) */
    size_t map_size;
    bool mapped;            /* map is ours to munmap */
    const char *p, *end;    /* the tokenizer's position and end of data */
    const char *data_start; /* first record after the header */
    size_t data_line;
    size_t line; /* line where the record at p starts, 1-based */
    size_t rec_line;       /* where the record last read starts */
    const char *rec_start;
    char delim;
    uint8_t stop[256]; /* bytes that end an unquoted field */
    uintptr_t blk;     /* the 64 bytes at blk have their stop bytes in blk_mask */
    uint64_t blk_mask;
    dt_schema schema;
    unsigned *forced; /* per column: 0 = inferred, else 1 + the forced kind's bit */
    unsigned *bits;   /* per column: the kinds every value so far parses as */
    bool *seen;       /* per column: a value was seen */
    bool *unsettled;  /* per column: one-pass mode guessed its kind from nothing */
    bool settled;     /* the kinds hold for the whole file */
    char **na;
    size_t *na_len;
    size_t n_na, na_max;
    bool na_empty;
    size_t batch_rows;  /* rows per batch at most (see batch_cap) */
    size_t prefix_rows;
    size_t max_field, max_record, max_cols; /* csv.h, "Limits" */
    dt_table *batch;
    field *fields;
    size_t fields_cap;
    dt_buf scratch;
    const char *released; /* mapping before this is dropped */
    const char *utf8_ok;  /* bytes before this are valid UTF-8 */
};

/* ---- tokenizer ---- */

static void set_delim(dt_csv_reader *r, char d)
{
    r->delim = d;
    memset(r->stop, 0, sizeof r->stop);
    r->stop[(uint8_t)d] = r->stop['\r'] = r->stop['\n'] = 1;
    r->blk = (uintptr_t)-1024; /* no block cached */
}

/* The stop bytes of the 64 bytes at b (all inside the data) as a bit mask. */
static uint64_t block_mask(const dt_csv_reader *r, const char *b)
{
#ifdef __SSE2__
    const __m128i d = _mm_set1_epi8(r->delim), nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * k));
        __m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, d), _mm_cmpeq_epi8(x, nl)),
                                 _mm_cmpeq_epi8(x, cr));
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(e) << (16 * k);
    }
    return m;
#else
    uint64_t m = 0;
    for (int k = 0; k < 64; k++)
        m |= (uint64_t)r->stop[(uint8_t)b[k]] << k;
    return m;
#endif
}

/* The first stop byte (delimiter, CR, LF) at or after p, or end; the scan
 * gives up (returning a position at or past LIM) once it passes LIM, so an
 * endless field costs no more than the limit. Stop bytes are found 64 at a
 * time and the mask kept, so a short field costs one count-trailing-zeros
 * rather than a loop over its bytes. */
static const char *next_stop(dt_csv_reader *r, const char *p, const char *lim)
{
    for (;;) {
        if (p >= lim)
            return p;
        uintptr_t off = (uintptr_t)p - r->blk;
        if (off < 64) {
            uint64_t m = r->blk_mask >> off;
            if (m)
                return p + __builtin_ctzll(m);
            p = (const char *)(r->blk + 64);
            if (p >= r->end)
                return r->end;
        }
        r->blk = (uintptr_t)p;
        if (r->end - p >= 64) {
            r->blk_mask = block_mask(r, p);
        } else {
            r->blk_mask = 0;
            for (int k = 0; k < r->end - p; k++)
                r->blk_mask |= (uint64_t)r->stop[(uint8_t)p[k]] << k;
        }
    }
}

static void push_field(dt_csv_reader *r, size_t i, field f)
{
    if (i >= r->fields_cap) {
        r->fields_cap = r->fields_cap ? r->fields_cap * 2 : 64;
        r->fields = dt_realloc(r->fields, r->fields_cap * sizeof *r->fields);
    }
    r->fields[i] = f;
}

static void count_lines(dt_csv_reader *r, const char *s, const char *e)
{
    for (const char *c = memchr(s, '\n', (size_t)(e - s)); c; c = memchr(c + 1, '\n', (size_t)(e - c - 1)))
        r->line++;
}

/* "256 MiB" or "8 bytes": a limit as messages name it. */
static const char *size_text(size_t n, char out[32])
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(out, 32, "%zu MiB", n >> 20);
    else
        snprintf(out, 32, "%zu bytes", n);
    return out;
}

static int too_long(const dt_csv_reader *r, size_t col)
{
    char lim[32];
    return dt_error(DATOM_EINVAL, "%s:%zu:%zu: a field longer than %s (the most a CSV value may "
                    "hold; docs/formats.md, \"Limits\")", r->path, r->rec_line, col,
                    size_text(r->max_field, lim));
}

/* A quoted field at p (on the opening quote), column COL (1-based); returns
 * the byte after the closing quote, or NULL (error set). Its value ("" pairs
 * counted once) may not pass max_field bytes: the search for the closing
 * quote stops there. */
static const char *quoted_field(dt_csv_reader *r, const char *p, size_t col, field *f)
{
    const char *s = p + 1, *q = s;
    size_t pairs = 0;
    f->quoted = true;
    f->escaped = false;
    for (;;) {
        /* the closing quote may sit just after max_field bytes of value */
        size_t room = r->max_field + pairs + 1;
        const char *lim = (size_t)(r->end - s) > room ? s + room : r->end;
        q = q < lim ? memchr(q, '"', (size_t)(lim - q)) : NULL;
        if (!q && lim < r->end) {
            too_long(r, col);
            return NULL;
        }
        if (!q) {
            dt_error(DATOM_EINVAL, "%s:%zu: quoted field never closed", r->path, r->rec_line);
            return NULL;
        }
        if (q + 1 < r->end && q[1] == '"') {
            f->escaped = true;
            pairs++;
            q += 2;
            continue;
        }
        break;
    }
    count_lines(r, s, q);
    f->p = s;
    f->n = (size_t)(q - s);
    return q + 1;
}

/* Reads one record at r->p into r->fields; at most max_fields fields (more is
 * a ragged row, or past max_cols, too many columns). *blank: the line was
 * empty. Fields and the record are checked against their limits as they
 * are scanned. *nf is set on every path, errors too (0): optimisers cannot
 * tell that dt_error never returns 0. */
static int read_record(dt_csv_reader *r, size_t max_fields, size_t *nf, bool *blank)
{
    const char *p = r->p, *end = r->end;
    size_t i = 0;
    *nf = 0;
    r->rec_line = r->line;
    r->rec_start = p;
    *blank = p < end && (*p == '\n' || *p == '\r');
    for (;;) {
        field f = {p, 0, false, false};
        if (p < end && *p == '"') {
            p = quoted_field(r, p, i + 1, &f);
            if (!p)
                return DATOM_EINVAL;
            if (p < end && !r->stop[(uint8_t)*p])
                return dt_error(DATOM_EINVAL, "%s:%zu:%zu: text after the closing quote", r->path,
                                r->rec_line, i + 1);
        } else {
            const char *lim = (size_t)(end - p) > r->max_field ? p + r->max_field + 1 : end;
            const char *e = next_stop(r, p, lim);
            f.n = (size_t)(DT_MIN(e, end) - p);
            if (f.n > r->max_field)
                return too_long(r, i + 1);
            p = DT_MIN(e, end);
        }
        char lim[32];
        if ((size_t)(p - r->rec_start) > r->max_record)
            return dt_error(DATOM_EINVAL, "%s:%zu:%zu: a record longer than %s (the most a CSV "
                            "record may hold; docs/formats.md, \"Limits\")", r->path,
                            r->rec_line, i + 1, size_text(r->max_record, lim));
        if (i >= max_fields)
            return max_fields == r->max_cols
                       ? dt_error(DATOM_EINVAL, "%s:%zu: more than %zu columns (the most a table "
                                  "may have; docs/formats.md, \"Limits\")", r->path, r->rec_line,
                                  r->max_cols)
                       : dt_error(DATOM_EINVAL, "%s:%zu: ragged row: more than the header's %zu fields",
                                  r->path, r->rec_line, max_fields);
        push_field(r, i++, f);
        if (p == end)
            break;
        char c = *p++;
        if (c == r->delim)
            continue;
        if (c == '\r' && p < end && *p == '\n')
            p++;
        r->line++;
        break;
    }
    r->p = p;
    *nf = i;
    return 0;
}

/* Refuses a NUL byte in any of the NF fields just read (WHAT: "a column
 * name" or "a value"): no R string can hold one, and datom-cv1 ends each
 * string with one, so two different tables could share a data_sha
 * (docs/formats.md, "Table identity"). */
static int refuse_nul(const dt_csv_reader *r, size_t nf, const char *what)
{
    for (size_t i = 0; i < nf; i++)
        if (memchr(r->fields[i].p, '\0', r->fields[i].n))
            return dt_error(DATOM_EINVAL,
                            "%s:%zu:%zu: a NUL byte in %s: refused (no R string can hold one, and "
                            "data_sha ends each string with one)",
                            r->path, r->rec_line, i + 1, what);
    return 0;
}

/* The text of a field, with "" pairs undoubled (into the scratch buffer). */
static const char *field_text(dt_csv_reader *r, const field *f, size_t *n)
{
    if (!f->escaped) {
        *n = f->n;
        return f->p;
    }
    dt_buf_clear(&r->scratch);
    dt_buf_reserve(&r->scratch, f->n);
    char *o = (char *)r->scratch.data;
    for (size_t i = 0; i < f->n; i++) {
        *o++ = f->p[i];
        if (f->p[i] == '"')
            i++;
    }
    *n = (size_t)(o - (char *)r->scratch.data);
    return (const char *)r->scratch.data;
}

static inline bool is_na(const dt_csv_reader *r, const field *f)
{
    if (f->quoted)
        return false;
    if (f->n == 0)
        return r->na_empty;
    if (f->n > r->na_max)
        return false;
    for (size_t i = 0; i < r->n_na; i++)
        if (r->na_len[i] == f->n && !memcmp(r->na[i], f->p, f->n))
            return true;
    return false;
}

/* ---- memory: keep the resident part of the mapping small ---- */

static void release_behind(dt_csv_reader *r, const char *upto)
{
    if (!r->mapped || upto - r->released < (ptrdiff_t)RELEASE_STEP)
        return;
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t from = (uintptr_t)r->released & ~(uintptr_t)(pg - 1);
    uintptr_t to = (uintptr_t)upto & ~(uintptr_t)(pg - 1);
    if (to > from)
        madvise((void *)from, to - from, MADV_DONTNEED);
    r->released = (const char *)to;
}

/* ---- UTF-8, checked a step ahead of the tokenizer in the first pass ---- */

static size_t line_of(const dt_csv_reader *r, const char *pos, size_t *col)
{
    size_t line = 1;
    const char *ls = r->map;
    for (const char *c = r->map; c < pos; c++)
        if (*c == '\n')
            line++, ls = c + 1;
    *col = (size_t)(pos - ls) + 1;
    return line;
}

static int check_utf8(dt_csv_reader *r, const char *upto)
{
    while (r->utf8_ok < upto && r->utf8_ok < r->end) {
        size_t n = DT_MIN((size_t)(r->end - r->utf8_ok), UTF8_STEP);
        bool bad;
        size_t ok = dt_utf8_prefix((const uint8_t *)r->utf8_ok, n, &bad);
        bool at_end = r->utf8_ok + n == r->end;
        if (bad || (ok == 0 && n > 0) || (at_end && ok < n)) {
            size_t col, line = line_of(r, r->utf8_ok + ok, &col);
            return dt_error(DATOM_EINVAL, "%s:%zu: invalid UTF-8 at byte %zu of the line", r->path,
                            line, col);
        }
        r->utf8_ok += ok;
    }
    return 0;
}

/* ---- header ---- */

/* The delimiter among , ; tab | that splits the first records (the header
 * and up to 19 more, within 64 KiB) into the same number of fields, the most
 * fields; failing that, the one that splits the header into the most fields
 * (so a ragged row is reported as such); for a header no candidate splits,
 * one that splits no sampled record (a one-column file); ties to the first. */
static void sniff_delim(dt_csv_reader *r)
{
    static const char cands[] = {',', ';', '\t', '|'};
    const char *start = r->p, *real_end = r->end;
    size_t line = r->line, best_n = 0, head_n = 1;
    char best = 0, by_header = ',', single = 0;
    bool cut = real_end - start > (ptrdiff_t)SNIFF_BYTES;
    r->end = cut ? start + SNIFF_BYTES : real_end;
    for (size_t c = 0; c < sizeof cands; c++) {
        set_delim(r, cands[c]);
        r->p = start;
        size_t want = 0, recs = 0, nf;
        bool blank, ok = true;
        while (r->p < r->end && recs < SNIFF_RECORDS) {
            if (read_record(r, r->max_cols, &nf, &blank)) {
                ok = recs > 0 && cut; /* a record cut by the sample's end */
                break;
            }
            if (cut && r->p == r->end)
                break; /* the last record may be cut short */
            if (blank)
                continue;
            if (recs++ == 0)
                want = nf;
            else if (nf != want)
                ok = false;
        }
        if (ok && want > 1 && want > best_n)
            best_n = want, best = cands[c];
        if (want > head_n)
            head_n = want, by_header = cands[c];
        if (ok && want == 1 && !single)
            single = cands[c];
    }
    if (!best)
        best = head_n > 1 || !single ? by_header : single;
    r->p = start;
    r->end = real_end;
    r->line = line;
    set_delim(r, best); /* also forgets the block cached against the sample's end */
}

/* NAME, or when a column before has it, NAME_2, NAME_3... (the first not
 * taken). TAKEN maps every name given so far to the next suffix worth trying
 * after it (names are never given back, so the search for a base name goes
 * on where it stopped): linear in the number of columns, however many share
 * a name. Takes NAME; returns the name given (caller frees). */
static char *unique_name(dt_strmap *taken, char *name)
{
    size_t *next = dt_strmap_get(taken, name);
    if (!next) {
        dt_strmap_put(taken, name, 2);
        return name;
    }
    for (size_t k = *next;; k++) {
        char *alt = dt_sprintf("%s_%zu", name, k);
        if (!dt_strmap_get(taken, alt)) {
            *dt_strmap_get(taken, name) = k + 1;
            dt_strmap_put(taken, alt, 2);
            free(name);
            return alt;
        }
        free(alt);
    }
}

static int read_header(dt_csv_reader *r)
{
    size_t nf;
    bool blank;
    int rc = read_record(r, r->max_cols, &nf, &blank);
    if (rc == 0)
        rc = refuse_nul(r, nf, "a column name");
    if (rc)
        return rc;
    dt_schema_init(&r->schema, nf);
    dt_strmap taken = DT_STRMAP_INIT;
    for (size_t i = 0; i < nf && rc == 0; i++) {
        size_t n;
        const char *t = field_text(r, &r->fields[i], &n);
        bool bad;
        if (dt_utf8_prefix((const uint8_t *)t, n, &bad) != n)
            rc = dt_error(DATOM_EINVAL, "%s:%zu:%zu: column name is not valid UTF-8", r->path,
                          r->rec_line, i + 1);
        else if (n > DT_CSV_MAX_NAME)
            rc = dt_error(DATOM_EINVAL, "%s:%zu:%zu: a column name longer than 10,000 bytes (the "
                          "most R allows; docs/formats.md, \"Limits\")", r->path, r->rec_line, i + 1);
        if (rc)
            break;
        char *name = n ? dt_strndup(t, n) : dt_sprintf("column_%zu", i + 1);
        name = unique_name(&taken, name);
        dt_schema_set(&r->schema, i, name, DT_STRING);
        free(name);
    }
    dt_strmap_free(&taken);
    return rc;
}

static int apply_forced(dt_csv_reader *r, const dt_schema *forced)
{
    r->forced = dt_calloc(r->schema.ncol ? r->schema.ncol : 1, sizeof *r->forced);
    for (size_t i = 0; forced && i < forced->ncol; i++) {
        const dt_field *f = &forced->fields[i];
        int c = dt_schema_index(&r->schema, f->name);
        if (c < 0)
            return dt_error(DATOM_EINVAL, "%s: no column '%s' to give type %s", r->path, f->name,
                            dt_kind_name(f->kind));
        if (dt_csv_kind_bit(f->kind) == ~0u)
            return dt_error(DATOM_EUNSUPPORTED, "%s: column '%s': CSV cannot be read as %s", r->path,
                            f->name, dt_kind_name(f->kind));
        dt_field *to = &r->schema.fields[c];
        dt_field_set_kind(to, f->kind);
        /* a forced timestamp is in microseconds, or in nanoseconds if asked */
        bool ns = f->kind == DT_TIMESTAMP && f->unit == DT_UNIT_NS;
        if (ns)
            to->unit = DT_UNIT_NS;
        r->forced[c] = 1 + (ns ? DT_CSV_TS_NS : dt_csv_kind_bit(f->kind));
    }
    return 0;
}

/* ---- the first pass: shape, UTF-8, kinds ---- */

static int bad_value(const dt_csv_reader *r, size_t col, const char *t, size_t n)
{
    const dt_field *f = &r->schema.fields[col];
    return dt_error(DATOM_EINVAL, "%s:%zu:%zu: '%.*s' is not a valid %s (column '%s')", r->path, r->rec_line,
                    col + 1, (int)DT_MIN(n, 40), t, dt_kind_name(f->kind), f->name);
}

static bool fits_int32(const char *t, size_t n)
{
    int64_t v;
    return dt_csv_parse_i64(t, n, &v) && v >= INT32_MIN && v <= INT32_MAX;
}

/* Reads the next data record into r->fields; *got false at the end. */
static int next_record(dt_csv_reader *r, bool *got)
{
    size_t ncol = r->schema.ncol, nf;
    bool blank;
    for (;;) {
        if (r->p >= r->end)
            return *got = false, 0;
        int rc = read_record(r, ncol, &nf, &blank);
        if (rc)
            return rc;
        if (blank && ncol > 1)
            continue; /* blank lines: skipped unless they are the one column's nulls */
        if (nf != ncol)
            return dt_error(DATOM_EINVAL, "%s:%zu: ragged row: %zu fields, the header has %zu", r->path,
                            r->rec_line, nf, ncol);
        if ((rc = refuse_nul(r, nf, "a value")) != 0)
            return rc;
        return *got = true, 0;
    }
}

/* Narrows r->bits over the records from r->p: all of them, or (limited)
 * until PREFIX_RECORDS records or PREFIX_BYTES of input; *at_end tells
 * whether the end of the file was reached. Forced columns are checked. */
static int infer(dt_csv_reader *r, bool limited, bool *at_end)
{
    size_t ncol = r->schema.ncol, records = 0;
    const char *from = r->p;
    int rc = 0;
    bool got;
    *at_end = false;
    for (;;) {
        if (limited && (records >= r->prefix_rows || r->p - from >= (ptrdiff_t)PREFIX_BYTES))
            return 0;
        if ((rc = check_utf8(r, r->p + UTF8_STEP)) || (rc = next_record(r, &got)))
            return rc;
        if (!got)
            break;
        records++;
        for (size_t c = 0; c < ncol && !rc; c++) {
            const field *f = &r->fields[c];
            unsigned want = r->bits[c];
            if (!want || is_na(r, f) || (f->quoted && f->n == 0))
                continue;
            unsigned b = dt_csv_classify(f->p, f->n, want);
            if (r->forced[c]) {
                if (!b || (r->schema.fields[c].kind == DT_INT32 && !fits_int32(f->p, f->n)))
                    rc = bad_value(r, c, f->p, f->n);
            } else {
                r->bits[c] &= b;
                r->seen[c] = true;
            }
        }
        if (rc)
            return rc;
        release_behind(r, r->p);
    }
    *at_end = true;
    return check_utf8(r, r->end);
}

/* Kinds from what inference saw; with `settled` false, a column that had no
 * value yet is marked unsettled (any value in it will restart a one-pass read). */
static void set_kinds(dt_csv_reader *r, bool settled)
{
    for (size_t c = 0; c < r->schema.ncol; c++) {
        if (r->forced[c])
            continue;
        dt_csv_set_kind(&r->schema.fields[c], r->seen[c] ? r->bits[c] : 0);
        r->unsettled[c] = !settled && !r->seen[c];
    }
    r->settled = settled;
}

/* The rows a batch can reach: batch_rows, unless the data cannot hold that
 * many. A record of N fields takes at least N bytes (N - 1 delimiters and a
 * line end, which the last may lack), and a batch ends once it passes
 * BATCH_MAX_BYTES of input, so a batch holds at most min(data, that)/N + 1
 * rows. Batches reserve their rows up front: without this bound a short, wide
 * file (a header of 20,000 names, one row) reserved 65,536 rows of every
 * column, half a gigabyte. */
static size_t batch_cap(const dt_csv_reader *r)
{
    size_t ncol = r->schema.ncol ? r->schema.ncol : 1;
    size_t bytes = DT_MIN((size_t)(r->end - r->data_start), (size_t)BATCH_MAX_BYTES);
    return DT_MIN(r->batch_rows, bytes / ncol + 1);
}

/* Back to the first data row, with a fresh batch of the (new) schema. */
static void rewind_data(dt_csv_reader *r)
{
    r->p = r->data_start;
    r->line = r->data_line;
    r->released = r->map;
    dt_table_free(r->batch);
    r->batch_rows = batch_cap(r);
    r->batch = dt_table_new(&r->schema, r->batch_rows);
}

/* One-pass mode, at a value that does not fit its column's guessed kind:
 * infer the whole file again, then rewind. Not from this record on: the rows
 * before it fitted the old kind, not necessarily the new one (-5 fits int32,
 * and a later 2^63 makes the rest uint64), so the kinds are what two-pass
 * reading would give. */
static int misfit(dt_csv_reader *r)
{
    r->p = r->data_start;
    r->line = r->data_line;
    bool at_end;
    int rc = infer(r, false, &at_end);
    if (rc)
        return rc;
    set_kinds(r, true);
    rewind_data(r);
    dt_verbose("%s: a value past the first rows changed the inferred types; reading again", r->path);
    return DT_CSV_RESTART;
}

/* ---- opening ---- */

static void copy_na(dt_csv_reader *r, const dt_csv_options *o)
{
    static const char *const defaults[] = {"", "NA"};
    const char *const *na = o && o->na ? o->na : defaults;
    size_t n = o && o->na ? o->n_na : DT_ARRAY_LEN(defaults);
    r->na = dt_calloc(n ? n : 1, sizeof *r->na);
    r->na_len = dt_calloc(n ? n : 1, sizeof *r->na_len);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(na[i]);
        if (!len) {
            r->na_empty = true;
            continue;
        }
        r->na_len[r->n_na] = len;
        r->na[r->n_na++] = dt_strdup(na[i]);
        r->na_max = DT_MAX(r->na_max, len);
    }
}

static int start(dt_csv_reader *r, const dt_csv_options *o)
{
    const char *p = r->map;
    r->end = r->map + r->map_size;
    if (r->map_size >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    r->p = r->utf8_ok = p;
    r->released = r->map;
    r->line = 1;
    copy_na(r, o);
    r->prefix_rows = o && o->prefix_rows ? o->prefix_rows : PREFIX_RECORDS;
    r->batch_rows = o && o->batch_rows ? DT_MIN(o->batch_rows, (size_t)1 << 20) : DEFAULT_BATCH_ROWS;
    r->max_field = o && o->max_field ? DT_MIN(o->max_field, DT_CSV_MAX_FIELD) : DT_CSV_MAX_FIELD;
    r->max_record = o && o->max_record ? DT_MIN(o->max_record, DT_CSV_MAX_RECORD) : DT_CSV_MAX_RECORD;
    r->max_cols = o && o->max_columns ? DT_MIN(o->max_columns, (size_t)DT_CSV_MAX_COLUMNS)
                                      : DT_CSV_MAX_COLUMNS;
    if (r->p == r->end)
        return dt_error(DATOM_EINVAL, "%s: empty file: no header row", r->path);
    if (o && o->delim) {
        if (o->delim == '"' || o->delim == '\r' || o->delim == '\n')
            return dt_error(DATOM_EINVAL, "%s: a quote or line break cannot be the delimiter", r->path);
        set_delim(r, o->delim);
    } else {
        sniff_delim(r);
    }
    int rc = read_header(r);
    if (!rc)
        rc = apply_forced(r, o ? o->forced : NULL);
    if (rc)
        return rc;
    r->data_start = r->p;
    r->data_line = r->line;
    size_t ncol = r->schema.ncol ? r->schema.ncol : 1;
    /* a batch's columns are reserved whole: wide files get fewer rows */
    r->batch_rows = DT_MIN(r->batch_rows, DT_MAX(BATCH_MAX_CELLS / ncol, (size_t)16));
    r->bits = dt_malloc(ncol * sizeof *r->bits);
    r->seen = dt_calloc(ncol, sizeof *r->seen);
    r->unsettled = dt_calloc(ncol, sizeof *r->unsettled);
    for (size_t c = 0; c < r->schema.ncol; c++)
        r->bits[c] = r->forced[c] ? r->forced[c] - 1 : DT_CSV_ALL;
    bool at_end;
    if ((rc = infer(r, o && o->one_pass, &at_end)))
        return rc;
    set_kinds(r, at_end);
    rewind_data(r);
    return 0;
}

static dt_csv_reader *reader_new(const char *path)
{
    dt_csv_reader *r = dt_calloc(1, sizeof *r);
    r->path = dt_strdup(path);
    return r;
}

int dt_csv_open_mem(dt_csv_reader **out, const char *name, const void *data, size_t len,
                    const dt_csv_options *opt)
{
    *out = NULL;
    dt_csv_reader *r = reader_new(name);
    r->map = data ? data : "";
    r->map_size = len;
    int rc = start(r, opt);
    if (rc) {
        dt_csv_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int dt_csv_open(dt_csv_reader **out, const char *path, const dt_csv_options *opt)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dt_error_errno(errno, "%s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return dt_error_errno(e, "%s", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return dt_error(DATOM_EINVAL, "%s: not a regular file", path);
    }
    dt_csv_reader *r = reader_new(path);
    r->map = "";
    if (st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int rc = dt_error_errno(errno, "%s: mmap", path);
            close(fd);
            dt_csv_close(r);
            return rc;
        }
        madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
        r->map = m;
        r->map_size = (size_t)st.st_size;
        r->mapped = true;
    }
    close(fd);
    int rc = start(r, opt);
    if (rc) {
        dt_csv_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

const dt_schema *dt_csv_schema(const dt_csv_reader *r) { return &r->schema; }
uint64_t dt_csv_offset(const dt_csv_reader *r) { return (uint64_t)(r->p - r->map); }
uint64_t dt_csv_size(const dt_csv_reader *r) { return r->map_size; }

/* ---- the second pass: batches ---- */

/* Appending into a batch whose columns hold batch_rows rows (dt_table_new
 * reserved them, and a batch never has more), without a call per value. */
static inline size_t slot(dt_column *c)
{
    size_t i = c->len++;
    if (c->valid)
        c->valid[i >> 3] |= (uint8_t)(1u << (i & 7));
    return i;
}

static void put_bytes(dt_column *c, const char *s, size_t n)
{
    size_t i = slot(c);
    if (c->data_len + n + 1 > c->data_cap) {
        size_t cap = c->data_cap ? c->data_cap : 256;
        while (cap < c->data_len + n + 1)
            cap *= 2;
        c->data = dt_realloc(c->data, cap);
        c->data_cap = cap;
    }
    memcpy(c->data + c->data_len, s, n);
    c->data_len += n;
    c->offsets[i + 1] = (int64_t)c->data_len;
}

static int append_value(dt_csv_reader *r, size_t c, const field *f)
{
    dt_column *col = &r->batch->cols[c];
    dt_kind k = col->field.kind;
    if (is_na(r, f) || (f->quoted && f->n == 0 && k != DT_STRING)) {
        dt_col_append_null(col);
        return 0;
    }
    if (!r->settled && r->unsettled[c])
        return misfit(r);
    size_t n;
    const char *t = field_text(r, f, &n);
    bool ok = true;
    switch (k) {
    case DT_STRING: put_bytes(col, t, n); break;
    case DT_BOOL: {
        bool v;
        if ((ok = dt_csv_parse_bool(t, n, &v)))
            DT_COL(col, uint8_t)[slot(col)] = v;
        break;
    }
    case DT_INT32:
    case DT_INT64: {
        int64_t v;
        ok = dt_csv_parse_i64(t, n, &v) && (k == DT_INT64 || (v >= INT32_MIN && v <= INT32_MAX));
        if (ok && k == DT_INT64)
            DT_COL(col, int64_t)[slot(col)] = v;
        else if (ok)
            DT_COL(col, int32_t)[slot(col)] = (int32_t)v;
        break;
    }
    case DT_DOUBLE: {
        double v;
        if ((ok = dt_csv_parse_double(t, n, &v)))
            DT_COL(col, double)[slot(col)] = v;
        break;
    }
    case DT_DATE: {
        int32_t v;
        if ((ok = dt_csv_parse_date(t, n, &v)))
            DT_COL(col, int32_t)[slot(col)] = v;
        break;
    }
    case DT_UINT64: {
        uint64_t v;
        if ((ok = dt_csv_parse_u64(t, n, &v)))
            DT_COL(col, uint64_t)[slot(col)] = v;
        break;
    }
    case DT_TIMESTAMP: {
        /* microseconds drop what is past them only in a forced column: an
         * inferred one would be in nanoseconds had it seen such a value */
        int64_t v;
        int sub;
        if ((ok = dt_csv_parse_timestamp(t, n, &v, &sub))) {
            if (col->field.unit == DT_UNIT_NS)
                ok = dt_csv_timestamp_ns(v, sub, &v);
            else
                ok = !sub || r->forced[c];
        }
        if (ok)
            DT_COL(col, int64_t)[slot(col)] = v;
        break;
    }
    case DT_TIME: {
        int64_t v;
        if ((ok = dt_csv_parse_time(t, n, &v)))
            DT_COL(col, int64_t)[slot(col)] = v;
        break;
    }
    default: ok = false; break;
    }
    if (ok)
        return 0;
    return r->settled || r->forced[c] ? bad_value(r, c, t, n) : misfit(r);
}

int dt_csv_next(dt_csv_reader *r, dt_table **out)
{
    *out = NULL;
    dt_table_clear(r->batch);
    const char *batch_start = r->p;
    bool got = true;
    while (r->batch->nrow < r->batch_rows && r->p - batch_start < (ptrdiff_t)BATCH_MAX_BYTES) {
        int rc = r->settled ? 0 : check_utf8(r, r->p + UTF8_STEP);
        if (!rc)
            rc = next_record(r, &got);
        if (rc)
            return rc;
        if (!got)
            break;
        for (size_t c = 0; c < r->schema.ncol; c++)
            if ((rc = append_value(r, c, &r->fields[c])))
                return rc;
        r->batch->nrow++;
    }
    release_behind(r, r->p);
    if (r->batch->nrow > 0)
        *out = r->batch;
    return 0;
}

void dt_csv_close(dt_csv_reader *r)
{
    if (!r)
        return;
    if (r->mapped)
        munmap((void *)r->map, r->map_size);
    for (size_t i = 0; i < r->n_na; i++)
        free(r->na[i]);
    free(r->na);
    free(r->na_len);
    free(r->forced);
    free(r->bits);
    free(r->seen);
    free(r->unsettled);
    free(r->fields);
    dt_buf_free(&r->scratch);
    dt_table_free(r->batch);
    dt_schema_free(&r->schema);
    free(r->path);
    free(r);
}
