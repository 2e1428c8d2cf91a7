/*
 * tables_sync.c: the verbs that work over a whole project: sync (onboard
 * input_files/), validate (do git and the store agree?) and repair (complete
 * what interrupted writes left).
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
    "status is non-zero when any failed. Two files that map to one table (a.csv,\n"
    "a.tsv) are an error naming both (exit 2), before anything is written.\n"
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

static const char validate_help[] =
    "usage: datom validate [--deep] [--repair [--author SPEC]] [--json]\n"
    "                      [--store URL --project NAME]\n"
    "\n"
    "Checks that git, the manifest and the store agree: every version's Parquet\n"
    "object exists, the store mirror shows the current versions and holds a frozen\n"
    "copy of every version. With --deep, every object is downloaded, its SHA-256\n"
    "checked against parquet_sha and its data_sha recomputed from its values.\n"
    "\n"
    "What an interrupted publication leaves (a write killed between its commit and\n"
    "its mirror, a push that failed: a mirror behind git, commits not pushed,\n"
    "uncommitted documents) is listed as 'lagging', apart from damage ('problem');\n"
    "`datom repair` (or the next write) completes it.\n"
    "\n"
    "  --deep         re-hash every object and recompute every data_sha\n"
    "  --repair       run `datom repair` first, then validate\n"
    "  --author SPEC  with --repair: \"Name <email>\" of its commits (default: git config)\n"
    "\n"
    "Exit status: 0 valid; 1 only lagging (run `datom repair`); 7 a problem.\n\n%s";

static const char repair_help[] =
    "usage: datom repair [--deep] [--author SPEC] [--json]\n"
    "\n"
    "Completes what interrupted writes left, under the project's write lock: discards\n"
    "their uncommitted documents, pushes commits not pushed, puts back versions an\n"
    "earlier datom dropped from a history and rebuilds a manifest that disagrees with\n"
    "the tables (commits), puts missing or damaged frozen copies back into the store\n"
    "mirror from git history, and brings the mirror up to git. Then it validates, as\n"
    "`datom validate` does. A project with nothing to repair is left untouched (its\n"
    "store is not even locked). Missing or damaged Parquet objects are reported, not\n"
    "rebuilt: `datom write TABLE FILE --force` with the original file stores them\n"
    "again.\n"
    "\n"
    "  --deep         validate with --deep (re-hash every object) before and after\n"
    "  --author SPEC  \"Name <email>\" of the repair's commits (default: git config)\n"
    "  --json         {\"repaired\": [...], then the fields of validate --json}\n"
    "\n"
    "Exit status: 0 valid afterwards; 7 a problem remains; 8 the store cannot be\n"
    "written; 2 a store-only reader, or a commit is needed and no author is known.\n";

/* Prints a validation (and what a repair did first); returns the exit status. */
static int print_validation(const dt_validate_report *r, bool deep, const dt_strv *repaired)
{
    const char *status = r->problems.n ? "invalid" : r->lagging.n ? "incomplete" : "ok";
    if (cli.json) {
        json_t *probs = json_array(), *lag = json_array();
        for (size_t i = 0; i < r->problems.n; i++)
            json_array_append_new(probs, json_string(r->problems.v[i]));
        for (size_t i = 0; i < r->lagging.n; i++)
            json_array_append_new(lag, json_string(r->lagging.v[i]));
        json_t *j = json_pack("{s:b, s:s, s:b, s:I, s:I, s:I, s:o, s:o}", "ok",
                              r->problems.n == 0 && r->lagging.n == 0, "status", status, "deep",
                              deep, "tables", (json_int_t)r->tables, "versions",
                              (json_int_t)r->versions, "objects", (json_int_t)r->objects,
                              "lagging", lag, "problems", probs);
        if (r->lagging.n)
            json_object_set_new(j, "repair", json_string("datom repair"));
        if (r->busy)
            json_object_set_new(j, "write_in_progress", json_string(r->busy));
        if (repaired) {
            json_t *done = json_array();
            for (size_t i = 0; i < repaired->n; i++)
                json_array_append_new(done, json_string(repaired->v[i]));
            json_object_set_new(j, "repaired", done);
        }
        tcli_print_json(j);
        json_decref(j);
    } else {
        for (size_t i = 0; repaired && i < repaired->n; i++)
            printf("repaired: %s\n", repaired->v[i]);
        if (repaired && !repaired->n)
            printf("repaired: nothing (nothing needed it)\n");
        for (size_t i = 0; i < r->lagging.n; i++)
            printf("lagging: %s\n", r->lagging.v[i]);
        for (size_t i = 0; i < r->problems.n; i++)
            printf("problem: %s\n", r->problems.v[i]);
        if (r->busy)
            printf("note: a write is in progress (the lock is held: %s): what lags may be "
                   "its work\n",
                   r->busy);
        printf("%s: %zu tables, %zu versions, %zu objects checked%s, %zu lagging, %zu problems%s\n",
               r->problems.n ? "INVALID" : r->lagging.n ? "INCOMPLETE" : "ok", r->tables,
               r->versions, r->objects, deep ? " (deep)" : "", r->lagging.n, r->problems.n,
               r->lagging.n ? " (`datom repair` completes the publication)" : "");
    }
    return r->problems.n ? dt_exit_code(DATOM_ECORRUPT) : r->lagging.n ? 1 : 0;
}

/* validate, and repair (which is validate --repair). */
static int validate_verb(int argc, char **argv, bool repair)
{
    static const struct option opts[] = {{"deep", no_argument, NULL, 'D'},
                                         {"repair", no_argument, NULL, 'R'},
                                         {"author", required_argument, NULL, 'a'}, TCLI_WHERE_OPTS,
                                         {NULL, 0, NULL, 0}};
    const char *verb = repair ? "repair" : "validate";
    tcli_where w = {0};
    bool deep = false;
    const char *author = NULL;
    int c;
    optind = 0; /* glibc: a full restart, so options may follow arguments */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (tcli_where_opt(c, &w))
            continue;
        if (c == 'D')
            deep = true;
        else if (c == 'R')
            repair = true;
        else if (c == 'a')
            author = optarg;
        else if (c == 'j')
            cli.json = 1;
        else
            return cli_bad_option(verb, argv, "h");
    }
    if (optind != argc)
        return cli_usage_error(verb, "takes no arguments");
    dt_project *p = NULL;
    dt_validate_report r;
    dt_strv done = DT_STRV_INIT;
    memset(&r, 0, sizeof r);
    /* repair writes: the work tree's project opened for writing (its store
     * writable, never made); validate reads (the store read-only) */
    int rc = repair && !w.project && !w.store_url ? dt_project_open(&p, ".") : tcli_open(&w, &p);
    if (rc == 0 && repair)
        rc = dt_project_repair(p, deep, author, &done, &r);
    else if (rc == 0)
        rc = dt_project_validate(p, deep, &r);
    int status = rc ? cli_fail(rc) : print_validation(&r, deep, repair ? &done : NULL);
    dt_strv_free(&done);
    dt_validate_report_free(&r);
    dt_project_free(p);
    return status;
}

int cli_validate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf(validate_help, tcli_where_help);
        return 0;
    }
    return validate_verb(argc, argv, false);
}

int cli_repair(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(repair_help, stdout);
        return 0;
    }
    return validate_verb(argc, argv, true);
}
