/*
 * tables_list.c: the verbs that show what a project holds: history, list,
 * status and summary. They read the manifest and version histories only
 * (never table bytes), so they stay fast on long histories.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/tables_cli.h"
#include "project/histscan.h"
#include "project/metadata.h"
#include "project/tables.h"

/* Parses the common options; the positional arguments start at optind. */
static int parse_common(int argc, char **argv, const char *verb, tcli_where *w, long *n,
                        bool *versions)
{
    static const struct option opts[] = {{"n", required_argument, NULL, 'n'},
                                         {"limit", required_argument, NULL, 'n'},
                                         {"versions", no_argument, NULL, 'V'},
                                         TCLI_WHERE_OPTS,
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* glibc: a full restart, so options may follow arguments */
    while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
        if (tcli_where_opt(c, w))
            continue;
        switch (c) {
        case 'n': {
            char *end;
            *n = strtol(optarg, &end, 10);
            if (end == optarg || *end || *n < 0)
                return cli_usage_error(verb, "-n wants a count, not '%s'", optarg);
            break;
        }
        case 'V':
            if (!versions)
                return cli_usage_error(verb, "unrecognized option '--versions'");
            *versions = true;
            break;
        case 'j': cli.json = 1; break;
        default: return cli_bad_option(verb, argv, "n:h");
        }
    }
    return 0;
}

/* Prints S on one line: at most MAX characters (UTF-8 code points; 0: no
 * limit), stopping at its first line break (" ..." then marks the rest),
 * control characters as spaces (a message must not drive the terminal), then
 * spaces up to PAD characters. */
static void put_cell(const char *s, size_t max, size_t pad)
{
    size_t chars = 0;
    for (; *s && (!max || chars < max); s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n' || c == '\r') {
            fputs(" ...", stdout);
            chars += 4;
            break;
        }
        putchar(c < 0x20 || c == 0x7f ? ' ' : c);
        while ((s[1] & 0xC0) == 0x80) /* the rest of this code point */
            putchar(*++s);
        chars++;
    }
    for (; chars < pad; chars++)
        putchar(' ');
}

static void print_entry(const dt_hist_entry *e)
{
    printf("%.12s  %.12s  %s  ", e->version, e->data_sha, e->timestamp ? e->timestamp : "-");
    put_cell(e->author_name ? e->author_name : "-", 16, 16);
    fputs("  ", stdout);
    put_cell(e->message ? e->message : "", 0, 0);
    putchar('\n');
}

/* Entries [0, n) as a JSON array of their stored text (no tree built). */
static void print_raw_entries(const dt_hist_scan *h, size_t n, FILE *f)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        fwrite(h->raw.data + h->v[i].start, 1, h->v[i].end - h->v[i].start, f);
    }
    fputs("]\n", f);
}

int cli_history(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: datom history TABLE [-n N] [--json] [--store URL --project NAME]\n\n"
               "Lists the versions of TABLE, newest first: version (metadata_sha), data_sha,\n"
               "time, author and message.\n\n  -n N           only the N newest\n%s",
               tcli_where_help);
        return 0;
    }
    tcli_where w = {0};
    long n = -1;
    int st = parse_common(argc, argv, "history", &w, &n, NULL);
    if (st)
        return st;
    if (argc - optind != 1)
        return cli_usage_error("history", "expected TABLE");
    dt_project *p = NULL;
    dt_hist_scan h;
    memset(&h, 0, sizeof h);
    int rc = tcli_open(&w, &p);
    if (rc == 0)
        rc = dt_table_history_scan(p, argv[optind], cli.json, &h);
    if (rc == 0) {
        size_t count = h.n;
        if (n >= 0 && (size_t)n < count)
            count = (size_t)n;
        if (cli.json) {
            print_raw_entries(&h, count, stdout);
        } else {
            printf("VERSION       DATA_SHA      TIMESTAMP             AUTHOR            MESSAGE\n");
            for (size_t i = 0; i < count; i++)
                print_entry(&h.v[i]);
        }
    }
    dt_hist_scan_free(&h);
    dt_project_free(p);
    return rc ? cli_fail(rc) : 0;
}

/* The table names of a manifest, sorted, matching PATTERN (NULL: all). */
static void manifest_names(const json_t *manifest, const char *pattern, dt_strv *out)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(manifest, "tables"), k, v) {
        if (!pattern || fnmatch(pattern, k, 0) == 0)
            dt_strv_push(out, k);
    }
    dt_strv_sort(out);
}

static int list_versions(dt_project *p, const char *table, json_t *row)
{
    dt_hist_scan h;
    int rc = dt_table_history_scan(p, table, row != NULL, &h);
    if (rc)
        return rc;
    if (row) {
        /* --json: the entries as stored (a small tree per table is fine here) */
        json_t *arr = NULL;
        dt_buf b = DT_BUF_INIT;
        dt_buf_putc(&b, '[');
        for (size_t i = 0; i < h.n; i++) {
            if (i)
                dt_buf_putc(&b, ',');
            dt_buf_append(&b, h.raw.data + h.v[i].start, h.v[i].end - h.v[i].start);
        }
        dt_buf_putc(&b, ']');
        rc = dt_json_load_buf(table, b.data, b.len, &arr);
        if (rc == 0)
            json_object_set_new(row, "versions", arr);
        dt_buf_free(&b);
    } else {
        for (size_t i = 0; i < h.n; i++) {
            printf("    ");
            print_entry(&h.v[i]);
        }
    }
    dt_hist_scan_free(&h);
    return rc;
}

int cli_list(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: datom list [PATTERN] [--versions] [--json] [--store URL --project NAME]\n\n"
               "Lists the tables of the project (those whose name matches the shell PATTERN):\n"
               "current version, number of versions, size of the current Parquet object and\n"
               "last update. --versions also lists every version of each table.\n\n%s",
               tcli_where_help);
        return 0;
    }
    tcli_where w = {0};
    long n = -1;
    bool versions = false;
    int st = parse_common(argc, argv, "list", &w, &n, &versions);
    if (st)
        return st;
    if (argc - optind > 1)
        return cli_usage_error("list", "expected at most one PATTERN");
    const char *pattern = argc - optind == 1 ? argv[optind] : NULL;
    dt_project *p = NULL;
    json_t *manifest = NULL, *out = json_array();
    dt_strv names = DT_STRV_INIT;
    int rc = tcli_open(&w, &p);
    if (rc == 0)
        rc = dt_manifest_load(p, &manifest);
    if (rc == 0)
        manifest_names(manifest, pattern, &names);
    if (rc == 0 && !cli.json)
        printf("%-24s  %-12s  %8s  %14s  %s\n", "TABLE", "VERSION", "VERSIONS", "SIZE_BYTES",
               "LAST_UPDATED");
    json_t *tables = manifest ? json_object_get(manifest, "tables") : NULL;
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        json_t *t = json_object_get(tables, names.v[i]);
        if (cli.json) {
            json_t *row = json_deep_copy(t);
            json_object_set_new(row, "name", json_string(names.v[i]));
            if (versions)
                rc = list_versions(p, names.v[i], row);
            json_array_append_new(out, row);
            continue;
        }
        printf("%-24s  %-12.12s  %8" PRIu64 "  %14" PRIu64 "  %s\n", names.v[i],
               dt_json_str(t, "current_version") ? dt_json_str(t, "current_version") : "-",
               dt_meta_u64(t, "version_count"), dt_meta_u64(t, "size_bytes"),
               dt_json_str(t, "last_updated") ? dt_json_str(t, "last_updated") : "-");
        if (versions)
            rc = list_versions(p, names.v[i], NULL);
    }
    if (rc == 0 && cli.json)
        tcli_print_json(out);
    json_decref(out);
    json_decref(manifest);
    dt_strv_free(&names);
    dt_project_free(p);
    return rc ? cli_fail(rc) : 0;
}

int cli_summary(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: datom summary [--json] [--store URL --project NAME]\n\n"
               "Totals of the project (tables, versions, bytes of current versions) and one\n"
               "line per table with its shape.\n\n%s",
               tcli_where_help);
        return 0;
    }
    tcli_where w = {0};
    long n = -1;
    int st = parse_common(argc, argv, "summary", &w, &n, NULL);
    if (st)
        return st;
    dt_project *p = NULL;
    json_t *manifest = NULL;
    dt_strv names = DT_STRV_INIT;
    int rc = tcli_open(&w, &p);
    if (rc == 0)
        rc = dt_manifest_load(p, &manifest);
    if (rc == 0)
        manifest_names(manifest, NULL, &names);
    json_t *sum = manifest ? json_object_get(manifest, "summary") : NULL;
    json_t *rows = json_array();
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        json_t *meta = NULL;
        rc = dt_table_load(p, names.v[i], &meta, NULL);
        if (rc)
            break;
        json_t *t = json_object_get(json_object_get(manifest, "tables"), names.v[i]);
        json_array_append_new(
            rows, json_pack("{s:s, s:I, s:I, s:s?, s:I, s:I}", "name", names.v[i], "nrow",
                            (json_int_t)dt_meta_u64(meta, "nrow"), "ncol",
                            (json_int_t)dt_meta_u64(meta, "ncol"), "table_type",
                            dt_json_str(meta, "table_type"), "versions",
                            (json_int_t)dt_meta_u64(t, "version_count"), "size_bytes",
                            (json_int_t)dt_meta_u64(t, "size_bytes")));
        json_decref(meta);
    }
    if (rc == 0 && cli.json) {
        json_t *out = json_pack("{s:s?, s:O?, s:O}", "project", p->name, "summary", sum, "tables",
                                rows);
        tcli_print_json(out);
        json_decref(out);
    } else if (rc == 0) {
        printf("project %s: %" PRIu64 " tables, %" PRIu64 " versions, %" PRIu64 " bytes\n",
               p->name, dt_meta_u64(sum, "total_tables"), dt_meta_u64(sum, "total_versions"),
               dt_meta_u64(sum, "total_size_bytes"));
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r)
            printf("  %-24s  %10" PRIu64 " rows  %4" PRIu64 " cols  %-8s  %4" PRIu64
                   " versions  %12" PRIu64 " bytes\n",
                   dt_json_str(r, "name"), dt_meta_u64(r, "nrow"), dt_meta_u64(r, "ncol"),
                   dt_json_str(r, "table_type") ? dt_json_str(r, "table_type") : "-",
                   dt_meta_u64(r, "versions"), dt_meta_u64(r, "size_bytes"));
    }
    json_decref(rows);
    json_decref(manifest);
    dt_strv_free(&names);
    dt_project_free(p);
    return rc ? cli_fail(rc) : 0;
}

int cli_status(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: datom status [--json]\n\n"
               "Where the project stands: its store and remote, HEAD, and for each table\n"
               "whether the store mirror shows the committed version (a crash or an offline\n"
               "push can leave it behind; the next write of that table, or `datom validate`,\n"
               "says so).\n");
        return 0;
    }
    tcli_where w = {0};
    long n = -1;
    int st = parse_common(argc, argv, "status", &w, &n, NULL);
    if (st)
        return st;
    dt_project *p = NULL;
    json_t *manifest = NULL, *behind = json_array();
    dt_strv names = DT_STRV_INIT;
    char head[41] = "";
    int rc = dt_project_open_read(&p, ".");
    if (rc == 0)
        rc = dt_git_head(p->git, head);
    if (rc == 0)
        rc = dt_manifest_load(p, &manifest);
    if (rc == 0)
        manifest_names(manifest, NULL, &names);
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        json_t *meta = NULL;
        if ((rc = dt_table_load(p, names.v[i], &meta, NULL)) != 0)
            break;
        char sha[DATOM_SHA_HEX];
        dt_meta_sha(meta, sha);
        if (!dt_table_mirror_current(p, names.v[i], sha))
            json_array_append_new(behind, json_string(names.v[i]));
        json_decref(meta);
    }
    char *store = p ? dt_redact(p->store_url) : NULL; /* remote_url is redacted already */
    if (rc == 0 && cli.json) {
        json_t *out = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:I, s:O}", "project", p->name, "root",
                                p->root, "store", store, "remote", p->remote_url, "head",
                                head, "tables", (json_int_t)names.n, "mirror_behind", behind);
        tcli_print_json(out);
        json_decref(out);
    } else if (rc == 0) {
        printf("project  %s\nroot     %s\nstore    %s (%s)\nremote   %s\nhead     %s\n"
               "tables   %zu\n",
               p->name, p->root, store, p->ns, p->remote_url ? p->remote_url : "none", head,
               names.n);
        if (json_array_size(behind)) {
            printf("mirror   behind git for:");
            size_t i;
            json_t *b;
            json_array_foreach(behind, i, b)
                printf(" %s", json_string_value(b));
            printf(" (`datom repair`, or the next write, brings it up to date)\n");
        } else {
            printf("mirror   up to date\n");
        }
    }
    free(store);
    json_decref(behind);
    json_decref(manifest);
    dt_strv_free(&names);
    dt_project_free(p);
    return rc ? cli_fail(rc) : 0;
}
