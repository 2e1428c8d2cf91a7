/*
 * tables_sync.c: the verbs that work over a whole project: sync (onboard
 * input_files/) and validate (do git and the store agree?).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/tables_cli.h"
#include "project/tables.h"

static const char sync_help[] =
    "usage: datom sync [--dry-run] [--json]\n"
    "\n"
    "Onboards the files of input_files/ (CSV, TSV, TXT or Parquet): each becomes the\n"
    "imported table named after the file (without its extension). Each file is new,\n"
    "changed, unchanged (same bytes as the last import: skipped before parsing) or\n"
    "unsupported. A file that fails is reported and the others proceed; the exit\n"
    "status is non-zero when any failed.\n"
    "\n"
    "  --dry-run      say what would happen, change nothing\n"
    "  --json         the report as JSON\n";

static json_t *sync_json(const dt_sync_report *r)
{
    json_t *items = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const dt_sync_item *it = &r->items[i];
        json_t *o = json_pack("{s:s, s:s?, s:s, s:b}", "file", it->file, "table", it->table,
                              "status", it->status, "failed", it->failed);
        if (it->error)
            json_object_set_new(o, "error", json_string(it->error));
        if (it->result.action && !it->failed) {
            json_object_set_new(o, "action", json_string(it->result.action));
            if (it->result.metadata_sha[0])
                json_object_set_new(o, "metadata_sha", json_string(it->result.metadata_sha));
        }
        json_array_append_new(items, o);
    }
    return json_pack("{s:o, s:{s:I, s:I, s:I, s:I, s:I}}", "files", items, "summary", "new",
                     (json_int_t)r->n_new, "changed", (json_int_t)r->n_changed, "unchanged",
                     (json_int_t)r->n_unchanged, "unsupported", (json_int_t)r->n_unsupported,
                     "failed", (json_int_t)r->n_failed);
}

int cli_sync(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(sync_help, stdout);
        return 0;
    }
    static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    bool dry = false;
    int c;
    optind = 0; /* glibc: a full restart, so options may follow arguments */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n')
            dry = true;
        else if (c == 'j')
            cli.json = 1;
        else
            return cli_bad_option("sync", argv, "");
    }
    if (optind != argc)
        return cli_usage_error("sync", "takes no arguments");
    dt_project *p = NULL;
    dt_sync_report r;
    memset(&r, 0, sizeof r);
    int rc = dt_project_open(&p, ".");
    if (rc == 0)
        rc = dt_project_sync(p, dry, NULL, &r);
    if (rc == 0 && cli.json) {
        json_t *j = sync_json(&r);
        tcli_print_json(j);
        json_decref(j);
    } else if (rc == 0) {
        for (size_t i = 0; i < r.n; i++) {
            const dt_sync_item *it = &r.items[i];
            char *file = dt_printable(it->file), *table = it->table ? dt_printable(it->table) : NULL;
            printf("%-10s %s", it->failed ? "FAILED" : it->status, file); /* names as found on disk */
            if (table)
                printf(" -> %s", table);
            free(file);
            free(table);
            if (it->failed)
                printf(": %s", it->error);
            else if (!dry && it->result.action && strcmp(it->status, "unchanged") &&
                     strcmp(it->status, "unsupported"))
                printf(" (%s %.12s)", it->result.action, it->result.metadata_sha);
            printf("\n");
        }
        printf("%s%zu new, %zu changed, %zu unchanged, %zu unsupported, %zu failed\n",
               dry ? "dry run: " : "", r.n_new, r.n_changed, r.n_unchanged, r.n_unsupported,
               r.n_failed);
    }
    size_t failed = r.n_failed;
    dt_sync_report_free(&r);
    dt_project_free(p);
    if (rc)
        return cli_fail(rc);
    return failed ? 1 : 0;
}

int cli_validate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: datom validate [--deep] [--json] [--store URL --project NAME]\n\n"
               "Checks that git, the manifest and the store agree: every version's Parquet\n"
               "object exists, the store mirror shows the current versions and holds a frozen\n"
               "copy of every version. With --deep, every object is downloaded, its SHA-256\n"
               "checked against parquet_sha and its data_sha recomputed from its values.\n"
               "Exit status 7 when a problem is found.\n\n%s",
               tcli_where_help);
        return 0;
    }
    static const struct option opts[] = {{"deep", no_argument, NULL, 'D'}, TCLI_WHERE_OPTS,
                                         {NULL, 0, NULL, 0}};
    tcli_where w = {0};
    bool deep = false;
    int c;
    optind = 0; /* glibc: a full restart, so options may follow arguments */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (tcli_where_opt(c, &w))
            continue;
        if (c == 'D')
            deep = true;
        else if (c == 'j')
            cli.json = 1;
        else
            return cli_bad_option("validate", argv, "h");
    }
    if (optind != argc)
        return cli_usage_error("validate", "takes no arguments");
    dt_project *p = NULL;
    dt_validate_report r;
    memset(&r, 0, sizeof r);
    int rc = tcli_open(&w, &p);
    if (rc == 0)
        rc = dt_project_validate(p, deep, &r);
    if (rc == 0 && cli.json) {
        json_t *probs = json_array();
        for (size_t i = 0; i < r.problems.n; i++)
            json_array_append_new(probs, json_string(r.problems.v[i]));
        json_t *j = json_pack("{s:b, s:b, s:I, s:I, s:I, s:o}", "ok", r.problems.n == 0, "deep",
                              deep, "tables", (json_int_t)r.tables, "versions",
                              (json_int_t)r.versions, "objects", (json_int_t)r.objects,
                              "problems", probs);
        tcli_print_json(j);
        json_decref(j);
    } else if (rc == 0) {
        for (size_t i = 0; i < r.problems.n; i++)
            printf("problem: %s\n", r.problems.v[i]);
        printf("%s: %zu tables, %zu versions, %zu objects checked%s, %zu problems\n",
               r.problems.n ? "INVALID" : "ok", r.tables, r.versions, r.objects,
               deep ? " (deep)" : "", r.problems.n);
    }
    size_t problems = r.problems.n;
    dt_validate_report_free(&r);
    dt_project_free(p);
    if (rc)
        return cli_fail(rc);
    return problems ? dt_exit_code(DATOM_ECORRUPT) : 0;
}
