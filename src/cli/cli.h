/*
 * cli.h: the datom command. main.c parses global options and dispatches to
 * one function per verb; each verb family lives in its own file (store.c,
 * table.c, project.c, ...) and parses its own options with getopt_long.
 *
 * A verb returns the process exit status: 0, or cli_fail() of a DATOM_E*
 * code, which prints "datom: <message>" once and maps the code to the exit
 * statuses documented in `datom --help` and docs/cli.md.
 */
#ifndef DT_CLI_H
#define DT_CLI_H

#include "core/core.h"

typedef struct cli_global {
    const char *store_url; /* --store, or NULL */
    int json;              /* --json */
} cli_global;

extern cli_global cli;

typedef int (*cli_verb_fn)(int argc, char **argv);

/* Prints datom_errmsg() and returns the exit status for code. */
int cli_fail(int code);
/* Prints "datom <verb>: <message>" and a hint to --help; returns exit status 2. */
int cli_usage_error(const char *verb, const char *fmt, ...) DT_PRINTF(2, 3);
/* The global options a verb or subcommand also takes after its name (as
 * `datom store ls --store URL`): getopt_long entries, and cli_global_opt,
 * which applies C when it is one of them (true) for the loops to skip it. */
enum { CLI_OPT_STORE = 900, CLI_OPT_VERBOSE, CLI_OPT_QUIET };
#define CLI_GLOBAL_OPTS                                                                            \
    {"store", required_argument, NULL, CLI_OPT_STORE},                                             \
        {"verbose", no_argument, NULL, CLI_OPT_VERBOSE}, {"quiet", no_argument, NULL, CLI_OPT_QUIET}
bool cli_global_opt(int c);
/* Says what getopt_long refused (an unrecognized option, or one missing its
 * value), given the argv and OPTSTRING it was run with; returns exit status
 * 2. getopt's own messages are off (opterr = 0): this is the only one. */
int cli_bad_option(const char *verb, char **argv, const char *optstring);
/* True when argv holds -h or --help (anywhere before "--"). */
bool cli_wants_help(int argc, char **argv);
/* A verb family's subcommands ("datom store ls"): usage, and the function
 * that runs the subcommand on its own argv (argv[0] its name). */
typedef struct cli_sub {
    const char *name, *usage;
    cli_verb_fn fn;
} cli_sub;
/* Runs the subcommand argv[1] of VERB from SUBS (its --help, or the verb's
 * USAGE without one); an unknown one is exit status 2. */
int cli_subcommand(const char *verb, const char *usage, const cli_sub *subs, size_t n, int argc, char **argv);
/* Opens the store named by --store, else the project's store in the current
 * directory (or a clear error saying how to make one), with the
 * datom_store_open_ext FLAGS of the verb: read-only for those that read,
 * DATOM_STORE_CREATE only for those that may make a store (docs/cli.md). */
int cli_open_store(datom_store **out, unsigned flags);

/* Verb families. */
int cli_store(int argc, char **argv);
int cli_db(int argc, char **argv); /* db.c */
int cli_init(int argc, char **argv);  /* project.c */
int cli_clone(int argc, char **argv); /* project.c */
int cli_pull(int argc, char **argv);  /* project.c */
int cli_push(int argc, char **argv);  /* project.c */
int cli_convert(int argc, char **argv); /* table.c */
int cli_cat(int argc, char **argv);
int cli_schema(int argc, char **argv);
/* Table verbs (tables.c, tables_list.c, tables_sync.c). */
int cli_write(int argc, char **argv);
int cli_read(int argc, char **argv);
int cli_show(int argc, char **argv);
int cli_lineage(int argc, char **argv);
int cli_history(int argc, char **argv);
int cli_list(int argc, char **argv);
int cli_summary(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_sync(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_repair(int argc, char **argv);

#endif /* DT_CLI_H */
