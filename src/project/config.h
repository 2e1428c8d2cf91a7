/*
 * config.h: .datom/project.yaml, the settings of a datom project
 * (docs/formats.md, ".datom/project.yaml"), read with libyaml and written by
 * hand in the documented key order so that its diff in git reads well.
 */
#ifndef DT_PROJECT_CONFIG_H
#define DT_PROJECT_CONFIG_H

#include "core/core.h"

#define DT_CONFIG_PATH ".datom/project.yaml"
#define DT_DEFAULT_STORE_ROOT ".datom/store"

typedef struct dt_project_config {
    char *project_name;
    char *project_description; /* NULL: none */
    char *created_at;          /* YYYY-MM-DD */
    char *datom_version;
    char *storage_type;     /* "local" or "s3" */
    char *storage_root;     /* local: a directory (relative: to the project root); s3: the bucket */
    char *storage_prefix;   /* NULL: none */
    char *storage_region;   /* s3 only, may be NULL */
    char *storage_endpoint; /* s3 only, may be NULL (an extension: S3-compatible servers) */
    double max_file_size_gb;
    char *remote_url; /* repos.data.remote_url, NULL: none */
    bool continue_on_error;
    int64_t parallel_uploads;
    bool renv;
} dt_project_config;

/* Defaults of a new project (strings NULL, numbers set). */
void dt_config_defaults(dt_project_config *c);
/* Reads PATH; errors name PATH:LINE:COLUMN. */
int dt_config_read(const char *path, dt_project_config *out);
/* The YAML text of C (caller frees). */
char *dt_config_format(const dt_project_config *c);
void dt_config_free(dt_project_config *c);

/* Name rules (the error names the thing). */
int dt_project_name_check(const char *name);
int dt_prefix_check(const char *prefix);

#endif /* DT_PROJECT_CONFIG_H */
