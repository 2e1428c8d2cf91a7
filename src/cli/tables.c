/*
 * tables.c: the table verbs of the datom command: write, read, history, list,
 * show, lineage, status, summary (sync and validate are in tables_sync.c).
 * Each parses its options, opens the project in the current directory (or a
 * store-only reader with --store URL --project NAME) and calls src/project.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/tables_cli.h"
#include "project/metadata.h"
#include "project/tables.h"

/* ---- shared by the table verbs ---- */

int tcli_open(const tcli_where *w, dt_project **out)
{
    const char *url = w->store_url ? w->store_url : cli.store_url;
    if (w->project) {
        if (!url)
            return dt_error(DATOM_EINVAL, "--project needs --store URL (the store to read from)");
        return dt_project_open_store(out, url, w->project, w->prefix);
    }
    if (w->store_url)
        return dt_error(DATOM_EINVAL, "--store needs --project NAME (the project to read)");
    return dt_project_open_read(out, ".");
}

/* Recognises the options that say where a project is; true when consumed. */
bool tcli_where_opt(int c, tcli_where *w)
{
    switch (c) {
    case TCLI_OPT_STORE: w->store_url = optarg; return true;
    case TCLI_OPT_PROJECT: w->project = optarg; return true;
    case TCLI_OPT_PREFIX: w->prefix = optarg; return true;
    default: return false;
    }
}

void tcli_print_json(const json_t *j)
{
    char *s = dt_json_compact(j);
    puts(s);
    free(s);
}

/* "TABLE@VERSION" into its parts (version NULL when absent); caller frees. */
static void split_at(const char *spec, char **table, char **version)
{
    const char *at = strrchr(spec, '@');
    *table = at ? dt_strndup(spec, (size_t)(at - spec)) : dt_strdup(spec);
    *version = at ? dt_strdup(at + 1) : NULL;
}

const char tcli_where_help[] =
    "  --store URL --project NAME [--prefix P]\n"
    "                 read from a store's mirror alone (no git, read-only access)\n"
    "  --json         machine-readable output\n";

/* ---- write ---- */

static const char write_help[] =
    "usage: datom write TABLE FILE [-m MSG] [--parent TABLE@VERSION ...] [--meta KEY=VALUE ...]\n"
    "                  [--derived] [--types COL=KIND,...] [--delim C] [--na TOKENS] [--force]\n"
    "                  [--int64] [--author 'Name <email>'] [--json]\n"
    "\n"
    "Writes FILE (CSV or Parquet) as a new version of TABLE: hashes its values (data_sha),\n"
    "stores the Parquet bytes, then commits metadata.json, version_history.json and the\n"
    "manifest, pushes when a remote is set, and mirrors the metadata to the store.\n"
    "Writing the same content again changes nothing (action none); new metadata over the\n"
    "same values is metadata_only; new values are full.\n"
    "\n"
    "  -m, --message MSG   commit message (default: Update TABLE)\n"
    "  --parent T@V        a parent version (repeatable): makes the table derived and\n"
    "                      records parents and source_lineage\n"
    "  --meta KEY=VALUE    custom metadata (repeatable; part of the version's identity)\n"
    "  --derived           table_type derived (default: imported, with original_file_sha)\n"
    "  --types C=K,...     force column kinds of CSV input (bool int32 int64 uint64 double\n"
    "                      string date timestamp time)\n"
    "  --delim C           CSV delimiter: , ; | or tab (default: sniffed)\n"
    "  --na A,B            CSV tokens read as missing (default: empty and NA)\n"
    "  --force             parse FILE even when its bytes are unchanged since the last import,\n"
    "                      and hash the stored object of its content: one whose bytes do not\n"
    "                      match their record is stored again\n"
    "  --int64             hash every int64 column as R's integer64 (i64); by default\n"
    "                      one is hashed as R's arrow reads it: as numbers when every\n"
    "                      value fits R's integer, else as integer64\n"
    "  --author SPEC       commit author (default: git configuration)\n"
    "  --json              print the result as JSON\n";

static int parse_delim(const char *s, char *out)
{
    if (!strcmp(s, "tab") || !strcmp(s, "\\t") || !strcmp(s, "\t"))
        *out = '\t';
    else if (strlen(s) == 1)
        *out = s[0];
    else
        return dt_error(DATOM_EINVAL, "--delim '%s': give one character or 'tab'", s);
    return 0;
}

/* "a,b" into a NULL-terminated list in *out (the strings in one allocation). */
static void split_commas(const char *s, dt_strv *out)
{
    const char *p = s;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        dt_strv_push_owned(out, dt_strndup(p, n));
        if (!c)
            break;
        p = c + 1;
    }
}

static int parse_types(const char *s, dt_schema *forced)
{
    dt_strv parts = DT_STRV_INIT;
    split_commas(s, &parts);
    dt_schema_init(forced, parts.n);
    int rc = 0;
    for (size_t i = 0; i < parts.n && rc == 0; i++) {
        char *eq = strchr(parts.v[i], '=');
        dt_kind k;
        if (!eq || eq == parts.v[i]) {
            rc = dt_error(DATOM_EINVAL, "--types '%s': expected COLUMN=KIND", parts.v[i]);
            break;
        }
        *eq = '\0';
        if ((rc = dt_kind_parse(eq + 1, &k)) == 0)
            dt_schema_set(forced, i, parts.v[i], k);
    }
    dt_strv_free(&parts);
    return rc;
}

typedef struct write_args {
    dt_strv parents, meta, na;
    dt_schema forced;
    bool has_forced;
    dt_csv_options csv;
    dt_write_opts o;
    tcli_where where;
} write_args;

static int write_parse(int argc, char **argv, write_args *a)
{
    static const struct option opts[] = {
        {"message", required_argument, NULL, 'm'}, {"parent", required_argument, NULL, 'P'},
        {"meta", required_argument, NULL, 'M'},    {"derived", no_argument, NULL, 'D'},
        {"types", required_argument, NULL, 'T'},   {"delim", required_argument, NULL, 'd'},
        {"na", required_argument, NULL, 'n'},      {"force", no_argument, NULL, 'F'},
        {"int64", no_argument, NULL, 'I'},         {"author", required_argument, NULL, 'A'},
        {"json", no_argument, NULL, 'j'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c, rc = 0;
    optind = 0; /* glibc: a full restart, so options may follow arguments */
    while (rc == 0 && (c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': a->o.message = optarg; break;
        case 'P': dt_strv_push(&a->parents, optarg); break;
        case 'M': dt_strv_push(&a->meta, optarg); break;
        case 'D': a->o.derived = true; break;
        case 'T':
            if (a->has_forced)
                dt_schema_free(&a->forced);
            a->has_forced = true;
            rc = parse_types(optarg, &a->forced);
            break;
        case 'd': rc = parse_delim(optarg, &a->csv.delim); break;
        case 'n': split_commas(optarg, &a->na); break;
        case 'F': a->o.force = true; break;
        case 'I': a->o.int64_as_i64 = true; break;
        case 'A': a->o.author = optarg; break;
        case 'j': cli.json = 1; break;
        default: return cli_bad_option("write", argv, "m:h");
        }
    }
    return rc ? -1 : 0;
}

static void print_write_result(const char *table, const dt_write_result *r)
{
    if (cli.json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:b, s:b}", "name", table, "data_sha",
                              r->data_sha, "metadata_sha", r->metadata_sha, "action", r->action,
                              "commit_sha", r->commit_sha[0] ? r->commit_sha : NULL, "skipped",
                              r->skipped, "repaired", r->repaired);
        tcli_print_json(j);
        json_decref(j);
        return;
    }
    printf("%s: %s%s%s\n", table, r->action, r->skipped ? " (input file unchanged, not parsed)" : "",
           r->repaired ? " (its stored bytes were damaged or missing: stored again)" : "");
    printf("  data_sha      %s\n", r->data_sha);
    printf("  metadata_sha  %s\n", r->metadata_sha);
    if (r->commit_sha[0])
        printf("  commit        %s\n", r->commit_sha);
}

int cli_write(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(write_help, stdout);
        return 0;
    }
    write_args a = {.parents = DT_STRV_INIT, .meta = DT_STRV_INIT, .na = DT_STRV_INIT};
    int rc = write_parse(argc, argv, &a), status = 0;
    if (rc == 2)
        status = 2; /* said by cli_bad_option */
    else if (rc == 0 && argc - optind != 2)
        status = cli_usage_error("write", "expected TABLE FILE");
    else if (rc)
        status = cli_fail(datom_errcode());
    if (status == 0) {
        const char *table = argv[optind], *file = argv[optind + 1];
        a.csv.forced = a.has_forced ? &a.forced : NULL;
        a.csv.na = a.na.n ? (const char **)a.na.v : NULL;
        a.csv.n_na = a.na.n;
        a.o.csv = &a.csv;
        a.o.parents = (const char *const *)a.parents.v;
        a.o.n_parents = a.parents.n;
        a.o.meta = (const char *const *)a.meta.v;
        a.o.n_meta = a.meta.n;
        dt_project *p = NULL;
        dt_write_result r;
        rc = dt_project_open(&p, ".");
        if (rc == 0)
            rc = dt_table_write(p, table, file, &a.o, &r);
        if (rc == 0)
            print_write_result(table, &r);
        else
            status = cli_fail(rc);
        dt_project_free(p);
    }
    dt_strv_free(&a.parents);
    dt_strv_free(&a.meta);
    dt_strv_free(&a.na);
    if (a.has_forced)
        dt_schema_free(&a.forced);
    return status;
}

/* ---- read ---- */

static const char read_help[] =
    "usage: datom read TABLE [--version SHA|PREFIX] [-o FILE.csv|.parquet|.jsonl]\n"
    "                 [--store URL --project NAME [--prefix P]]\n"
    "\n"
    "Reads a version of TABLE (default: the current one; a metadata_sha or a unique prefix\n"
    "of 6 to 64 hex digits). The stored Parquet is checked against its parquet_sha before\n"
    "it is parsed. Without -o, writes CSV to standard output.\n"
    "\n"
    "  --version V    the version to read\n"
    "  -o FILE        write FILE; its extension picks CSV, Parquet (the stored bytes) or\n"
    "                 JSON lines\n";

int cli_read(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("%s%s", read_help, tcli_where_help);
        return 0;
    }
    static const struct option opts[] = {{"version", required_argument, NULL, 'V'},
                                         {"output", required_argument, NULL, 'o'},
                                         TCLI_WHERE_OPTS,
                                         {NULL, 0, NULL, 0}};
    tcli_where w = {0};
    const char *version = NULL, *out = NULL;
    int c;
    optind = 0; /* glibc: a full restart, so options may follow arguments */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (tcli_where_opt(c, &w))
            continue;
        switch (c) {
        case 'V': version = optarg; break;
        case 'o': out = optarg; break;
        case 'j': cli.json = 1; break;
        default: return cli_bad_option("read", argv, "o:h");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("read", "expected TABLE");
    dt_out_format fmt = DT_OUT_CSV;
    if (out && dt_out_format_of(out, &fmt) != 0)
        return cli_fail(datom_errcode());
    dt_project *p = NULL;
    int rc = tcli_open(&w, &p);
    if (rc == 0)
        rc = dt_table_read(p, argv[optind], version, out, fmt);
    dt_project_free(p);
    if (rc)
        return cli_fail(rc);
    if (out && !cli.json)
        dt_log(DT_LOG_INFO, "wrote %s", out);
    return 0;
}

/* ---- show ---- */

int cli_show(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: datom show TABLE[@VERSION] [--store URL --project NAME]\n\n"
               "Prints the metadata.json of a version of TABLE (default: the current one).\n\n%s",
               tcli_where_help);
        return 0;
    }
    static const struct option opts[] = {TCLI_WHERE_OPTS, {NULL, 0, NULL, 0}};
    tcli_where w = {0};
    int c;
    optind = 0; /* glibc: a full restart, so options may follow arguments */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (tcli_where_opt(c, &w))
            continue;
        if (c == 'j') {
            cli.json = 1;
            continue;
        }
        return cli_bad_option("show", argv, "h");
    }
    if (argc - optind != 1)
        return cli_usage_error("show", "expected TABLE[@VERSION]");
    char *table, *version;
    split_at(argv[optind], &table, &version);
    dt_project *p = NULL;
    json_t *meta = NULL;
    int rc = tcli_open(&w, &p);
    if (rc == 0)
        rc = dt_table_version(p, table, version, &meta);
    if (rc == 0) {
        char sha[DATOM_SHA_HEX];
        dt_meta_sha(meta, sha);
        if (cli.json) {
            tcli_print_json(meta);
        } else {
            char *text = dt_json_pretty(meta);
            printf("# %s@%s\n%s", table, sha, text);
            free(text);
        }
    }
    json_decref(meta);
    dt_project_free(p);
    free(table);
    free(version);
    return rc ? cli_fail(rc) : 0;
}

/* ---- lineage ---- */

static void print_tree(const json_t *node, int depth)
{
    const char *type = dt_json_str(node, "table_type"), *src = dt_json_str(node, "source");
    printf("%*s%s@%.12s", depth * 2, "", dt_json_str(node, "table"), dt_json_str(node, "version"));
    if (type)
        printf(" (%s)", type);
    if (src && depth)
        printf(" [%s]", src);
    printf("\n");
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(node, "parents"), i, k)
        print_tree(k, depth + 1);
}

int cli_lineage(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: datom lineage TABLE[@VERSION] [--depth parents|source] [--json]\n\n"
               "Shows where a version came from: with --depth parents (the default), its\n"
               "parents and theirs, as a tree; with --depth source, the raw sources it was\n"
               "derived from (its source_lineage), each pinned by data_sha.\n\n%s",
               tcli_where_help);
        return 0;
    }
    static const struct option opts[] = {{"depth", required_argument, NULL, 'd'}, TCLI_WHERE_OPTS,
                                         {NULL, 0, NULL, 0}};
    tcli_where w = {0};
    const char *depth = "parents";
    int c;
    optind = 0; /* glibc: a full restart, so options may follow arguments */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (tcli_where_opt(c, &w))
            continue;
        if (c == 'd')
            depth = optarg;
        else if (c == 'j')
            cli.json = 1;
        else
            return cli_bad_option("lineage", argv, "h");
    }
    if (argc - optind != 1)
        return cli_usage_error("lineage", "expected TABLE[@VERSION]");
    if (strcmp(depth, "parents") && strcmp(depth, "source"))
        return cli_usage_error("lineage", "--depth is parents or source, not '%s'", depth);
    char *table, *version;
    split_at(argv[optind], &table, &version);
    dt_project *p = NULL;
    json_t *out = NULL;
    int rc = tcli_open(&w, &p);
    if (rc == 0 && !strcmp(depth, "parents")) {
        rc = dt_lineage_parents(p, table, version, &out);
        if (rc == 0 && cli.json)
            tcli_print_json(out);
        else if (rc == 0)
            print_tree(out, 0);
    } else if (rc == 0) {
        json_t *meta = NULL;
        rc = dt_table_version(p, table, version, &meta);
        if (rc == 0) {
            json_t *sl = json_object_get(meta, "source_lineage");
            out = json_is_array(sl) ? json_incref(sl) : json_array();
            if (cli.json) {
                tcli_print_json(out);
            } else {
                size_t i;
                json_t *e;
                json_array_foreach(out, i, e)
                    printf("%s/%s@%.12s\n", dt_json_str(e, "project"), dt_json_str(e, "table"),
                           dt_json_str(e, "version_sha"));
                if (!json_array_size(out))
                    printf("%s: no source lineage recorded\n", table);
            }
        }
        json_decref(meta);
    }
    json_decref(out);
    dt_project_free(p);
    free(table);
    free(version);
    return rc ? cli_fail(rc) : 0;
}
