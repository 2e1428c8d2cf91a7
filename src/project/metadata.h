/*
 * metadata.h: the JSON documents of a table (docs/formats.md, "Table documents"
 * and "metadata_sha"): metadata.json and its metadata_sha, version_history.json entries,
 * the project's manifest.json, and table-name rules. Documents are jansson
 * values with keys in the documented order; files are written with
 * dt_json_pretty (2-space indent).
 *
 * One-element vectors are written as scalars, as R's jsonlite does with
 * auto_unbox (a one-column table has "colnames": "x"), so that R reading our
 * files computes the same metadata_sha; readers here accept both spellings.
 */
#ifndef DT_METADATA_H
#define DT_METADATA_H

#include "core/core.h"
#include "table/table.h"

#define DT_TABLE_NAME_MAX 128

/* Table names: a letter, then letters, digits, '_', ' ', '(', ')', '-'; at
 * most 128 bytes; not a reserved name. The error names the table. */
int dt_table_name_check(const char *name);

typedef struct dt_meta_in {
    const char *data_sha;
    const char *parquet_sha;        /* NULL: absent */
    const char *table_type;         /* "imported" | "derived" */
    uint64_t nrow;
    const dt_schema *schema;        /* colnames */
    const char *const *column_hashes; /* schema->ncol hex strings, or NULL */
    int64_t created_ms;
    const char *original_file_sha;  /* NULL: absent */
    const json_t *parents;          /* array of {source, table, version, data_sha}; NULL: absent */
    const json_t *source_lineage;   /* array of {project, table, version_sha}; NULL: absent */
    bool has_size;
    uint64_t size_bytes;
    const json_t *custom;           /* object; NULL: absent */
} dt_meta_in;

/* A new metadata.json document (new reference), fields in the documented order. */
json_t *dt_meta_build(const dt_meta_in *in);
/* The canonical text metadata_sha hashes: identity fields, sorted, jsonlite style. */
void dt_meta_canonical(const json_t *meta, dt_buf *out);
void dt_meta_sha(const json_t *meta, char out[DATOM_SHA_HEX]);
/* Checks a metadata document read from WHAT (a path or key): an object with
 * a 64-hex data_sha; a parquet_sha, when present, 64-hex. */
int dt_meta_check(const json_t *meta, const char *what);
/* The column names, whether spelled as an array or (one column) a string. */
void dt_meta_colnames(const json_t *meta, dt_strv *out);
/* nrow/ncol as numbers (0 when absent). */
uint64_t dt_meta_u64(const json_t *meta, const char *key);

/* version_history.json */
typedef struct dt_hist_in {
    const char *version;     /* metadata_sha */
    const char *data_sha;
    const char *timestamp;   /* the metadata's created_at */
    const char *author_name;
    const char *author_email;
    const char *message;
    const char *parquet_sha;       /* NULL: absent */
    const char *original_file_sha; /* NULL: absent */
} dt_hist_in;
json_t *dt_history_entry(const dt_hist_in *in);
/* Whether HISTORY records VERSION. */
bool dt_history_has(const json_t *history, const char *version);
/* Puts ENTRY (a reference is taken) first in HISTORY unless its version is
 * already recorded; returns true when added. */
bool dt_history_add(json_t *history, json_t *entry);
/* Checks a history document read from WHAT: an array of objects, each with a
 * 64-hex version and data_sha. */
int dt_history_check(const json_t *history, const char *what);
/* The entry of HISTORY whose version is SPEC or starts with it (6 to 64
 * lowercase hex). Errors: a malformed spec (DATOM_EINVAL), no match
 * (DATOM_ENOTFOUND), several (DATOM_EAMBIGUOUS, listing them). */
int dt_history_resolve(const json_t *history, const char *table, const char *spec,
                       const json_t **entry_out);
/* The same resolution over any list of N versions (VERSION_OF gives the i-th);
 * the index of the match in *index_out. */
int dt_version_resolve(size_t n, const char *(*version_of)(const void *ctx, size_t i),
                       const void *ctx, const char *table, const char *spec, size_t *index_out);
/* The most recent recorded parquet_sha for DATA_SHA, or NULL. */
const char *dt_history_parquet_sha(const json_t *history, const char *data_sha);

/* manifest.json */
json_t *dt_manifest_new(const char *project_name, int64_t now_ms);
typedef struct dt_manifest_row {
    const char *version;
    const char *data_sha;
    uint64_t size_bytes;
    size_t version_count;
    const char *original_file_sha; /* NULL: absent */
    const char *original_format;   /* NULL: absent */
} dt_manifest_row;
/* Sets table NAME's row, updated_at and the summary. */
void dt_manifest_set(json_t *manifest, const char *name, const dt_manifest_row *row, int64_t now_ms);
/* Recomputes the summary from the table rows. */
void dt_manifest_summarise(json_t *manifest);

/* Reads a JSON file of the work tree, NULL in *out when it does not exist. */
int dt_json_load_optional(const char *path, json_t **out);
/* Writes a document pretty-printed and atomically. */
int dt_json_save(const char *path, const json_t *doc);

#endif /* DT_METADATA_H */
