/*
 * main.c: entry point of the datom command: global options, the verb table,
 * and the help text (which documents the exit statuses).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

cli_global cli;

static int cli_version(int argc, char **argv);

static const struct verb {
    const char *name;
    cli_verb_fn fn;
    const char *summary;
} verbs[] = {
    {"version", cli_version, "print the version of datom"},
    {"init", cli_init, "make a new project (git repository + store)"},
    {"clone", cli_clone, "clone a project's git repository and open it"},
    {"pull", cli_pull, "bring the project up to its git remote"},
    {"push", cli_push, "send the project's commits to its git remote"},
    {"store", cli_store, "put, get and list objects and refs of the store"},
    {"db", cli_db, "the fact database: create, transact, pull, datoms, log, info"},
    {"convert", cli_convert, "convert a table file between CSV and Parquet"},
    {"cat", cli_cat, "print a table file (CSV or Parquet) as CSV or JSON lines"},
    {"schema", cli_schema, "print the column names and kinds of a table file"},
    {"write", cli_write, "write a file as a new version of a table"},
    {"read", cli_read, "read a version of a table (by SHA or prefix)"},
    {"history", cli_history, "list the versions of a table"},
    {"list", cli_list, "list the tables of the project"},
    {"show", cli_show, "print the metadata of a table version"},
    {"lineage", cli_lineage, "show the parents or sources of a table version"},
    {"status", cli_status, "where the project stands (store, remote, mirror)"},
    {"summary", cli_summary, "totals and shapes of the project's tables"},
    {"sync", cli_sync, "onboard the files of input_files/ as tables"},
    {"validate", cli_validate, "check that git and the store agree (--deep: re-hash)"},
    {"repair", cli_repair, "complete what interrupted writes left (push, mirror)"},

};

static const char usage_head[] =
    "usage: datom [--store URL] [--endpoint URL] [--json] [-v|--verbose] [-q|--quiet] VERB [ARGS]\n"
    "\n"
    "datom keeps immutable, versioned data: tables versioned like code, bytes in a\n"
    "content-addressed store. `datom VERB --help` explains each verb.\n"
    "\n"
    "Verbs:\n";

static const char usage_tail[] =
    "\n"
    "Global options:\n"
    "  --store URL    the store: a plain path, file:///path, s3://BUCKET[/PREFIX][?endpoint=\n"
    "                 URL&region=R] or mem: (default: the project's store, by default\n"
    "                 .datom/store/ in the current project)\n"
    "  --endpoint URL the endpoint of an s3:// store whose URL names none (Ceph RGW,\n"
    "                 MinIO...); credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,\n"
    "                 or a profile of ~/.aws/credentials (AWS_PROFILE)\n"
    "  --json         machine-readable output where a verb supports it\n"
    "  -v, --verbose  say more on stderr (twice: debug)\n"
    "  -q, --quiet    say only errors\n"
    "\n"
    "Exit status:\n"
    "  0  success              5  conflict or locked (lost a race; retry)\n"
    "  1  other failure        6  ambiguous (a prefix matches several)\n"
    "  2  invalid input/usage  7  corrupt data (SHA mismatch, damaged file)\n"
    "  3  not found            8  i/o error\n"
    "  4  already exists       9  unsupported   10  internal error\n"
    "                                           11  timed out (db q --timeout)\n";

static void print_usage(FILE *f)
{
    fputs(usage_head, f);
    for (size_t i = 0; i < DT_ARRAY_LEN(verbs); i++)
        fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
    fputs(usage_tail, f);
}

static int cli_version(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        puts("usage: datom version\n\nPrints the version of the datom command and library.");
        return 0;
    }
    if (cli.json)
        printf("{\"version\":\"%s\"}\n", datom_version());
    else
        printf("datom %s\n", datom_version());
    return 0;
}

int cli_fail(int code)
{
    const char *msg = datom_errmsg();
    fprintf(stderr, "datom: %s\n", *msg ? msg : dt_exit_name(code));
    return dt_exit_code(code);
}

int cli_usage_error(const char *verb, const char *fmt, ...)
{
    dt_buf b = DT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    dt_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    char *shown = dt_printable(dt_buf_cstr(&b)); /* it may quote what the user typed */
    fprintf(stderr, "datom%s%s: %s\n(see `datom%s%s --help`)\n", *verb ? " " : "", verb, shown,
            *verb ? " " : "", verb);
    free(shown);
    dt_buf_free(&b);
    return 2;
}

bool cli_global_opt(int c)
{
    switch (c) {
    case CLI_OPT_STORE: cli.store_url = optarg; return true;
    case CLI_OPT_VERBOSE: dt_log_level++; return true;
    case CLI_OPT_QUIET: dt_log_level = DT_LOG_QUIET; return true;
    default: return false;
    }
}

int cli_bad_option(const char *verb, char **argv, const char *optstring)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    bool is_long = !strncmp(arg, "--", 2);
    const char *colon = !is_long && optopt ? strchr(optstring, optopt) : NULL;
    bool missing = is_long ? optopt != 0 : colon && colon[1] == ':';
    char *name = is_long ? dt_strndup(arg, strcspn(arg, "=")) : dt_sprintf("-%c", optopt);
    char *shown = dt_printable(name);
    int rc = missing ? cli_usage_error(verb, "option '%s' needs a value", shown)
                     : cli_usage_error(verb, "unrecognized option '%s'", shown);
    free(shown);
    free(name);
    return rc;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    }
    return false;
}

int cli_subcommand(const char *verb, const char *usage, const cli_sub *subs, size_t n, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], subs[i].name))
            continue;
        if (cli_wants_help(argc - 1, argv + 1)) {
            fputs(subs[i].usage, stdout);
            return 0;
        }
        optind = 0; /* glibc: start over, permuting (main's getopt stopped at the verb) */
        return subs[i].fn(argc - 1, argv + 1);
    }
    char *shown = dt_printable(argv[1]);
    fprintf(stderr, "datom %s: unknown subcommand '%s' (see `datom %s --help`)\n", verb, shown, verb);
    free(shown);
    return 2;
}

/* A verb that succeeded but whose output did not all reach standard output
 * (a full disk, a closed pipe) has failed: a script must not take a
 * truncated listing for a whole one. */
static int output_checked(int status)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return status;
    if (status == 0) {
        fprintf(stderr, "datom: standard output: %s\n", errno ? strerror(errno) : "write error");
        status = dt_exit_code(DATOM_EIO);
    }
    return status;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"store", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"verbose", no_argument, NULL, 'v'},     {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},        {"version", no_argument, NULL, 'V'},
        {"endpoint", required_argument, NULL, 'e'}, {NULL, 0, NULL, 0}};
    int c;
    opterr = 0; /* getopt's own messages lack our prefix: cli_bad_option says it once */
    /* '+': stop at the verb; its options are its own. */
    while ((c = getopt_long(argc, argv, "+vqh", opts, NULL)) != -1) {
        switch (c) {
        case 's': cli.store_url = optarg; break;
        /* Below an endpoint in the URL, above the environment's (docs/architecture.md, "S3"). */
        case 'e': setenv("AWS_ENDPOINT_URL_S3", optarg, 1); break;
        case 'j': cli.json = 1; break;
        case 'v': dt_log_level++; break;
        case 'q': dt_log_level = DT_LOG_QUIET; break;
        case 'h': print_usage(stdout); return output_checked(0);
        case 'V': return output_checked(cli_version(1, argv));
        default: return cli_bad_option("", argv, "+vqh");
        }
    }
    if (optind >= argc) {
        print_usage(stderr);
        return 2;
    }
    const char *name = argv[optind];
    for (size_t i = 0; i < DT_ARRAY_LEN(verbs); i++)
        if (!strcmp(name, verbs[i].name)) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 1; /* each verb runs getopt anew on its own argv */
            return output_checked(verbs[i].fn(sub_argc, sub_argv));
        }
    char *shown = dt_printable(name);
    fprintf(stderr, "datom: unknown verb '%s' (see `datom --help`)\n", shown);
    free(shown);
    return 2;
}
