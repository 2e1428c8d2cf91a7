/*
 * tables_cli.h: what the table verbs (tables.c, tables_list.c,
 * tables_sync.c) share: where the project is, and JSON output.
 */
#ifndef DT_TABLES_CLI_H
#define DT_TABLES_CLI_H

#include "project/project.h"

enum { TCLI_OPT_STORE = 1000, TCLI_OPT_PROJECT, TCLI_OPT_PREFIX };

/* The project of the current directory, or a store-only reader. */
typedef struct tcli_where {
    const char *store_url; /* --store after the verb (else the global one) */
    const char *project;   /* --project: read the store mirror alone */
    const char *prefix;    /* --prefix of the project's namespace */
} tcli_where;

/* getopt_long entries of those options, --json and --help. */
#define TCLI_WHERE_OPTS                                                                            \
    {"store", required_argument, NULL, TCLI_OPT_STORE},                                            \
        {"project", required_argument, NULL, TCLI_OPT_PROJECT},                                    \
        {"prefix", required_argument, NULL, TCLI_OPT_PREFIX}, {"json", no_argument, NULL, 'j'},     \
        {"help", no_argument, NULL, 'h'}
extern const char tcli_where_help[];

int tcli_open(const tcli_where *w, dt_project **out);
bool tcli_where_opt(int c, tcli_where *w);
void tcli_print_json(const json_t *j);

#endif /* DT_TABLES_CLI_H */
