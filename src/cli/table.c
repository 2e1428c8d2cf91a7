/*
 * table.c: the verbs that work on table files outside any project:
 * `datom convert` (CSV <-> Parquet), `datom cat` (a table as CSV or JSON
 * lines) and `datom schema` (column names and kinds). They stream batches
 * from a reader to a writer, so memory stays bounded on any file size.
 * A file's format is told by its extension (.csv/.tsv/.txt, .parquet/.pq)
 * or, when reading, by Parquet's magic bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "project/input.h"
#include "table/jsonl.h"

/* ---- options shared by the three verbs ---- */

typedef struct table_opts {
    dt_csv_options csv;
    dt_schema forced;
    dt_strv na;
    bool na_given;
    char out_delim;
    dt_pq_codec codec;
    long long limit; /* cat: rows to print, -1 for all */
} table_opts;

enum { OPT_TYPES = 1000, OPT_DELIM, OPT_OUT_DELIM, OPT_NA, OPT_CODEC, OPT_LIMIT, OPT_JSON };

static const struct option table_long_opts[] = {
    {"types", required_argument, NULL, OPT_TYPES}, {"delim", required_argument, NULL, OPT_DELIM},
    {"na", required_argument, NULL, OPT_NA},       {"codec", required_argument, NULL, OPT_CODEC},
    {"limit", required_argument, NULL, OPT_LIMIT}, {"json", no_argument, NULL, OPT_JSON},
    {"out-delim", required_argument, NULL, OPT_OUT_DELIM},
    {NULL, 0, NULL, 0}};

static int parse_delim(const char *s, char *out)
{
    if (!strcmp(s, "tab") || !strcmp(s, "\\t"))
        return *out = '\t', 0;
    if (strlen(s) != 1 || *s == '"' || *s == '\n' || *s == '\r')
        return dt_error(DATOM_EINVAL, "--delim '%s': one character (or 'tab'), not a quote or line break", s);
    *out = *s;
    return 0;
}

/* "name=kind,name=kind" into the forced schema (a name may hold '='; the last one splits). */
static int parse_types(const char *spec, dt_schema *forced)
{
    dt_strv items = DT_STRV_INIT;
    char *copy = dt_strdup(spec), *save = NULL;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save))
        dt_strv_push(&items, it);
    free(copy);
    size_t base = forced->ncol;
    dt_field *fields = dt_realloc(forced->fields, (base + items.n + 1) * sizeof *fields);
    forced->fields = fields;
    int rc = 0;
    for (size_t i = 0; i < items.n && !rc; i++) {
        char *eq = strrchr(items.v[i], '=');
        dt_kind k;
        if (!eq || eq == items.v[i]) {
            rc = dt_error(DATOM_EINVAL, "--types: '%s' is not NAME=TYPE", items.v[i]);
            break;
        }
        *eq = '\0';
        if ((rc = dt_kind_parse(eq + 1, &k)))
            break;
        fields[forced->ncol] = (dt_field){.name = dt_strdup(items.v[i]), .kind = k};
        forced->ncol++;
    }
    dt_strv_free(&items);
    return rc;
}

static void opts_init(table_opts *o)
{
    memset(o, 0, sizeof *o);
    dt_schema_init(&o->forced, 0);
    o->codec = DT_PQ_SNAPPY;
    o->limit = -1;
}

static void opts_free(table_opts *o)
{
    dt_schema_free(&o->forced);
    dt_strv_free(&o->na);
}

/* Parses the options every table verb takes; returns 0, or the exit status of a usage error. */
static int opts_parse(const char *verb, int argc, char **argv, table_opts *o)
{
    int c;
    optind = 0; /* glibc: a full restart, so options may follow arguments */
    while ((c = getopt_long(argc, argv, "", table_long_opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case OPT_TYPES: rc = parse_types(optarg, &o->forced); break;
        case OPT_DELIM: rc = parse_delim(optarg, &o->csv.delim); break;
        case OPT_OUT_DELIM: rc = parse_delim(optarg, &o->out_delim); break;
        case OPT_NA:
            dt_strv_push(&o->na, optarg);
            o->na_given = true;
            break;
        case OPT_CODEC: rc = dt_pq_codec_parse(optarg, &o->codec); break;
        case OPT_LIMIT: {
            char *end;
            o->limit = strtoll(optarg, &end, 10);
            if (*end || o->limit < 0)
                return cli_usage_error(verb, "--limit '%s': a count of rows", optarg);
            break;
        }
        case OPT_JSON: cli.json = 1; break;
        default: return cli_bad_option(verb, argv, "");
        }
        if (rc)
            return cli_usage_error(verb, "%s", datom_errmsg());
    }
    if (o->forced.ncol)
        o->csv.forced = &o->forced;
    if (o->na_given) {
        o->csv.na = (const char **)o->na.v;
        o->csv.n_na = o->na.n;
    }
    return 0;
}

/* ---- the verbs' common entry ---- */

/* A verb over table files: its usage, its operands (IN and OUT, or FILE) and
 * what it does with them. */
typedef struct table_verb {
    const char *name, *usage, *operands;
    int nargs;
    int (*run)(char **args, table_opts *o);
} table_verb;

static int table_verb_main(const table_verb *v, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(v->usage, stdout);
        return 0;
    }
    table_opts o;
    opts_init(&o);
    int st = opts_parse(v->name, argc, argv, &o);
    if (!st && optind != argc - v->nargs)
        st = cli_usage_error(v->name, "expected %s", v->operands);
    if (!st) {
        int rc = v->run(argv + optind, &o);
        st = rc ? cli_fail(rc) : 0;
    }
    opts_free(&o);
    return st;
}

/* ---- formats ---- */

typedef enum fmt { FMT_UNKNOWN, FMT_CSV, FMT_PARQUET } fmt;

static bool has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && !strcasecmp(path + n - e, ext);
}

static fmt fmt_of_name(const char *path)
{
    if (has_ext(path, ".parquet") || has_ext(path, ".pq"))
        return FMT_PARQUET;
    if (has_ext(path, ".csv") || has_ext(path, ".tsv") || has_ext(path, ".txt") || has_ext(path, ".psv"))
        return FMT_CSV;
    return FMT_UNKNOWN;
}

/* Opens an input (CSV or Parquet, by its magic bytes) with the CSV options;
 * --types and --na make no sense for Parquet, and there --delim is the
 * output's. */
static int source_open(dt_input *in, const char *path, table_opts *o)
{
    if (!o->csv.delim && has_ext(path, ".tsv"))
        o->csv.delim = '\t'; /* sniffing might take a comma in the text for it */
    int rc = dt_input_open(in, path, &o->csv);
    if (rc || !in->pq)
        return rc;
    if (o->forced.ncol || o->na_given)
        return dt_error(DATOM_EINVAL, "%s: --types and --na apply to CSV input; this is Parquet", path);
    if (!o->out_delim)
        o->out_delim = o->csv.delim;
    return 0;
}

/* ---- convert ---- */

static const char convert_usage[] =
    "usage: datom convert [OPTIONS] IN OUT\n"
    "\n"
    "Converts a table between CSV and Parquet (either way, or CSV to CSV and\n"
    "Parquet to Parquet), streaming: memory stays bounded on any size. Formats\n"
    "go by extension: .csv .tsv .txt .psv are CSV, .parquet .pq are Parquet (an\n"
    "input that opens with Parquet's magic bytes is Parquet whatever its name).\n"
    "OUT is written whole or not at all (a temporary file renamed into place);\n"
    "OUT - writes CSV to standard output.\n"
    "\n"
    "CSV input: the delimiter is sniffed among , ; tab | and column types are\n"
    "inferred from the whole file (docs/formats.md, \"CSV\").\n"
    "\n"
    "Options:\n"
    "  --codec snappy|zstd|none   Parquet compression (default snappy)\n"
    "  --types COL=TYPE,...       force column types of CSV input (bool, int32,\n"
    "                             int64, uint64, double, string, date, timestamp,\n"
    "                             time)\n"
    "  --delim C                  the delimiter of CSV input (default: sniffed), or\n"
    "                             of CSV output when the input is Parquet\n"
    "  --out-delim C              the delimiter of CSV output (default ',', tab\n"
    "                             for .tsv, | for .psv)\n"
    "  --na TOKEN                 a missing-value token of CSV input; repeatable;\n"
    "                             replaces the default tokens (empty and NA)\n";

typedef struct target {
    dt_csv_writer *csv;
    dt_pq_writer *pq;
    int fd;
    char *tmp; /* renamed to the final path on success */
} target;

static int target_open(target *t, const char *path, const dt_schema *s, const table_opts *o)
{
    memset(t, 0, sizeof *t);
    fmt f = strcmp(path, "-") ? fmt_of_name(path) : FMT_CSV;
    if (f == FMT_UNKNOWN)
        return dt_error(DATOM_EINVAL, "%s: cannot tell the format by the name (.csv or .parquet)", path);
    if (!strcmp(path, "-")) {
        t->fd = STDOUT_FILENO;
    } else {
        t->tmp = dt_sprintf("%s.tmp-%ld", path, (long)getpid());
        t->fd = open(t->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (t->fd < 0) {
            int rc = dt_error_errno(errno, "%s", t->tmp);
            free(t->tmp);
            t->tmp = NULL;
            return rc;
        }
    }
    if (f == FMT_CSV) {
        char delim = o->out_delim           ? o->out_delim
                     : has_ext(path, ".tsv") ? '\t'
                     : has_ext(path, ".psv") ? '|'
                                             : ',';
        return dt_csv_writer_open(&t->csv, s, delim, dt_sink_fd(&t->fd));
    }
    dt_pq_options po;
    dt_pq_options_default(&po);
    po.codec = o->codec;
    return dt_pq_writer_open(&t->pq, s, &po, dt_sink_fd(&t->fd));
}

static int target_write(target *t, const dt_table *b)
{
    return t->csv ? dt_csv_writer_write(t->csv, b) : dt_pq_writer_write(t->pq, b);
}

/* Finishes (ok) or abandons the output; the temporary file becomes PATH only on success. */
static int target_close(target *t, const char *path, bool ok)
{
    int rc = 0;
    if (t->csv)
        rc = dt_csv_writer_close(t->csv);
    else if (t->pq && ok)
        rc = dt_pq_writer_close(t->pq);
    else if (t->pq)
        dt_pq_writer_abort(t->pq);
    if (t->tmp) {
        if (ok && !rc && fsync(t->fd) < 0)
            rc = dt_error_errno(errno, "%s", path);
        if (close(t->fd) < 0 && ok && !rc)
            rc = dt_error_errno(errno, "%s", path);
        if (ok && !rc && rename(t->tmp, path) < 0)
            rc = dt_error_errno(errno, "%s", path);
        if (!ok || rc)
            unlink(t->tmp);
        free(t->tmp);
    }
    return rc;
}

static int convert(const char *in, const char *out, table_opts *o)
{
    dt_input src;
    /* a file can be started again (see DT_CSV_RESTART); standard output cannot */
    o->csv.one_pass = strcmp(out, "-") != 0;
    int rc = source_open(&src, in, o);
    if (rc) {
        dt_input_close(&src);
        return rc;
    }
    dt_progress *prog = src.csv ? dt_progress_start(in, dt_csv_size(src.csv)) : NULL;
    for (;;) {
        target dst;
        rc = target_open(&dst, out, dt_input_schema(&src), o);
        dt_table *b;
        while (!rc && (rc = dt_input_next(&src, &b)) == 0 && b) {
            rc = target_write(&dst, b);
            if (prog)
                dt_progress_update(prog, dt_csv_offset(src.csv));
        }
        if (rc == DT_CSV_RESTART) {
            target_close(&dst, out, false);
            continue;
        }
        int rc2 = target_close(&dst, out, rc == 0);
        dt_progress_end(prog);
        dt_input_close(&src);
        return rc ? rc : rc2;
    }
}

static int convert_run(char **args, table_opts *o) { return convert(args[0], args[1], o); }

int cli_convert(int argc, char **argv)
{
    static const table_verb v = {"convert", convert_usage, "IN and OUT", 2, convert_run};
    return table_verb_main(&v, argc, argv);
}

/* ---- cat ---- */

static const char cat_usage[] =
    "usage: datom cat [OPTIONS] FILE\n"
    "\n"
    "Prints a table file (CSV or Parquet) as CSV on standard output, or with\n"
    "--json as JSON lines: one object per row, keys in column order; numbers\n"
    "as numbers (NaN and infinities, which JSON lacks, as the strings \"NaN\",\n"
    "\"Infinity\" and \"-Infinity\"), dates, timestamps, times and intervals as\n"
    "ISO-8601 strings, missing values as null.\n"
    "\n"
    "Options:\n"
    "  --json          JSON lines instead of CSV\n"
    "  --limit N       at most N rows\n"
    "  --delim C       the delimiter of CSV input (or of the output for Parquet)\n"
    "  --out-delim C   the delimiter of the CSV output (default ',')\n"
    "  --types COL=TYPE,...  --na TOKEN   as for `datom convert` (CSV input)\n";

static int write_json_rows(const dt_table *t, size_t nrow, dt_buf *out, int *fd, dt_buf *tmp)
{
    for (size_t r = 0; r < nrow; r++) {
        dt_jsonl_row(t, r, out, tmp);
        if (out->len >= (1u << 20)) {
            int rc = dt_fs_write_all(*fd, out->data, out->len);
            dt_buf_clear(out);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* A batch cut to its first n rows (a view: shares the columns' arrays). */
static dt_table prefix_view(const dt_table *t, size_t n)
{
    dt_table v = *t;
    v.nrow = n;
    return v;
}

static int cat(const char *path, table_opts *o)
{
    dt_input src;
    int rc = source_open(&src, path, o);
    if (rc) {
        dt_input_close(&src);
        return rc;
    }
    int fd = STDOUT_FILENO;
    dt_csv_writer *w = NULL;
    dt_buf out = DT_BUF_INIT, tmp = DT_BUF_INIT;
    if (!cli.json)
        rc = dt_csv_writer_open(&w, dt_input_schema(&src), o->out_delim, dt_sink_fd(&fd));
    long long left = o->limit;
    dt_table *b;
    while (!rc && left != 0 && (rc = dt_input_next(&src, &b)) == 0 && b) {
        size_t n = left < 0 || (unsigned long long)left > b->nrow ? b->nrow : (size_t)left;
        dt_table view = prefix_view(b, n);
        rc = cli.json ? write_json_rows(b, n, &out, &fd, &tmp) : dt_csv_writer_write(w, &view);
        if (left > 0)
            left -= (long long)n;
    }
    if (out.len && !rc)
        rc = dt_fs_write_all(fd, out.data, out.len);
    int rc2 = dt_csv_writer_close(w);
    dt_buf_free(&out);
    dt_buf_free(&tmp);
    dt_input_close(&src);
    return rc ? rc : rc2;
}

static int cat_run(char **args, table_opts *o) { return cat(args[0], o); }

int cli_cat(int argc, char **argv)
{
    static const table_verb v = {"cat", cat_usage, "one FILE", 1, cat_run};
    return table_verb_main(&v, argc, argv);
}

/* ---- schema ---- */

static const char schema_usage[] =
    "usage: datom schema [OPTIONS] FILE\n"
    "\n"
    "Prints the columns of a table file (CSV or Parquet): one line per column,\n"
    "its name and kind separated by a tab (with the kind's unit or precision:\n"
    "timestamp(ns), timestamp(us, UTC), decimal(12,3), ...); for CSV the kinds are\n"
    "those inference gives (which reads the whole file). With --json:\n"
    "{\"columns\": [{\"name\": ..., \"kind\": ..., and \"unit\", \"utc\", \"precision\",\n"
    "\"scale\" where the kind has them}, ...]}, plus \"rows\" for Parquet.\n"
    "\n"
    "Options:\n"
    "  --json                 JSON output\n"
    "  --delim C  --types COL=TYPE,...  --na TOKEN   as for `datom convert`\n";

/* {"name", "kind"} and the kind's attributes: unit and utc (timestamps,
 * times, durations), precision and scale (decimals). */
static json_t *field_json(const dt_field *f)
{
    json_t *col = json_object();
    json_object_set_new(col, "name", json_string_nocheck(f->name));
    json_object_set_new(col, "kind", json_string(dt_kind_name(f->kind)));
    if (f->kind == DT_TIMESTAMP || f->kind == DT_TIME || f->kind == DT_DURATION)
        json_object_set_new(col, "unit", json_string(dt_unit_name(f->unit)));
    if (f->kind == DT_TIMESTAMP || f->kind == DT_TIME)
        json_object_set_new(col, "utc", json_boolean(f->utc));
    if (f->kind == DT_DECIMAL || f->kind == DT_DECIMAL128) {
        json_object_set_new(col, "precision", json_integer(f->precision));
        json_object_set_new(col, "scale", json_integer(f->scale));
    }
    return col;
}

static int schema(const char *path, table_opts *o)
{
    dt_input src;
    int rc = source_open(&src, path, o);
    if (rc) {
        dt_input_close(&src);
        return rc;
    }
    const dt_schema *s = dt_input_schema(&src);
    if (cli.json) {
        json_t *cols = json_array();
        for (size_t i = 0; i < s->ncol; i++)
            json_array_append_new(cols, field_json(&s->fields[i]));
        json_t *j = json_pack("{s:o}", "columns", cols);
        if (src.pq)
            json_object_set_new(j, "rows", json_integer((json_int_t)dt_pq_num_rows(src.pq)));
        char *text = dt_json_compact(j);
        puts(text);
        free(text);
        json_decref(j);
    } else {
        dt_buf d = DT_BUF_INIT;
        for (size_t i = 0; i < s->ncol; i++) {
            dt_buf_clear(&d);
            dt_field_describe(&s->fields[i], &d);
            char *name = dt_printable(s->fields[i].name); /* a header may hold anything */
            printf("%s\t%s\n", name, dt_buf_cstr(&d));
            free(name);
        }
        dt_buf_free(&d);
    }
    dt_input_close(&src);
    return fflush(stdout) ? dt_error_errno(errno, "standard output") : 0;
}

static int schema_run(char **args, table_opts *o) { return schema(args[0], o); }

int cli_schema(int argc, char **argv)
{
    static const table_verb v = {"schema", schema_usage, "one FILE", 1, schema_run};
    return table_verb_main(&v, argc, argv);
}
