/*
 * state.c: where the table operations find a project's documents. A
 * developer project reads what git HEAD holds (uncommitted files are an
 * interrupted write and are ignored); a store-only reader reads the store
 * mirror. Both give the same jansson documents, checked before use.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "project/metadata.h"
#include "project/tables.h"

#define DOC_MAX (256u << 20)

char *dt_table_path(const char *table, const char *file) { return dt_sprintf("%s/%s", table, file); }

/* The store key (inside the namespace) mirroring a work-tree document. */
static char *mirror_rel(const char *table, const char *file)
{
    return table ? dt_sprintf("%s/.metadata/%s", table, file) : dt_sprintf(".metadata/%s", file);
}

static int parse_doc(const char *what, dt_buf *b, json_t **out)
{
    return dt_json_load_buf(what, b->data ? (const void *)b->data : "", b->len, out);
}

static int git_doc(dt_project *p, const char *path, json_t **out)
{
    dt_buf b = DT_BUF_INIT;
    int rc = dt_git_read_file(p->git, NULL, path, &b);
    if (rc == 0)
        rc = parse_doc(path, &b, out);
    dt_buf_free(&b);
    return rc;
}

static int store_doc(dt_project *p, const char *rel, json_t **out)
{
    char *key = dt_project_key(p, rel);
    uint64_t size = 0;
    int rc = datom_store_stat(p->store, key, &size);
    if (rc == 0 && size > DOC_MAX)
        rc = dt_error(DATOM_ECORRUPT, "%s: %" PRIu64 " bytes is too large for a metadata document",
                      key, size);
    void *data = NULL;
    size_t len = 0;
    if (rc == 0)
        rc = datom_store_get(p->store, key, 0, UINT64_MAX, &data, &len);
    if (rc == 0)
        rc = dt_json_load_buf(key, data ? data : "", len, out);
    free(data);
    free(key);
    return rc;
}

/* A table document (TABLE NULL: the manifest) from HEAD or the mirror. */
static int load_doc(dt_project *p, const char *table, const char *file, json_t **out)
{
    *out = NULL;
    if (p->git) {
        char *path = table ? dt_table_path(table, file) : dt_sprintf(".datom/%s", file);
        int rc = git_doc(p, path, out);
        free(path);
        return rc;
    }
    char *rel = mirror_rel(table, file);
    int rc = store_doc(p, rel, out);
    free(rel);
    return rc;
}

int dt_table_load(dt_project *p, const char *table, json_t **meta_out, json_t **history_out)
{
    json_t *meta = NULL, *hist = NULL;
    int rc = dt_table_name_check(table);
    if (rc)
        return rc;
    rc = load_doc(p, table, "metadata.json", &meta);
    if (rc == DATOM_ENOTFOUND)
        return dt_error(DATOM_ENOTFOUND, "no table '%s' in project '%s' (see `datom list`)", table,
                        p->name ? p->name : "?");
    if (rc == 0)
        rc = dt_meta_check(meta, table);
    if (rc == 0 && history_out) {
        rc = load_doc(p, table, "version_history.json", &hist);
        if (rc == DATOM_ENOTFOUND) {
            hist = json_array(); /* a table written by an old tool: current version only */
            rc = 0;
        }
        if (rc == 0)
            rc = dt_history_check(hist, table);
    }
    if (rc) {
        json_decref(meta);
        json_decref(hist);
        return rc;
    }
    if (meta_out)
        *meta_out = meta;
    else
        json_decref(meta);
    if (history_out)
        *history_out = hist;
    return 0;
}

int dt_manifest_load(dt_project *p, json_t **out)
{
    int rc = load_doc(p, NULL, "manifest.json", out);
    if (rc == DATOM_ENOTFOUND) {
        *out = dt_manifest_new(p->name ? p->name : "", dt_now_ms());
        return 0;
    }
    if (rc == 0 && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return dt_error(DATOM_ECORRUPT, "manifest.json of project '%s' is not a JSON object",
                        p->name ? p->name : "?");
    }
    return rc;
}

/* The frozen metadata of VERSION from the store mirror, checked to hash to it. */
static int frozen_meta(dt_project *p, const char *table, const char *version, json_t **out)
{
    char *file = dt_sprintf("%s.json", version);
    char *rel = mirror_rel(table, file);
    int rc = store_doc(p, rel, out);
    free(file);
    free(rel);
    if (rc)
        return rc;
    char sha[DATOM_SHA_HEX];
    dt_meta_sha(*out, sha);
    if (strcmp(sha, version) || dt_meta_check(*out, table)) {
        json_decref(*out);
        *out = NULL;
        return dt_error(DATOM_ECORRUPT,
                        "frozen metadata of %s@%.12s in the store does not hash to its version",
                        table, version);
    }
    return 0;
}

int dt_table_version(dt_project *p, const char *table, const char *version, json_t **meta_out)
{
    json_t *meta, *hist;
    *meta_out = NULL;
    int rc = dt_table_load(p, table, &meta, &hist);
    if (rc)
        return rc;
    if (!version) {
        *meta_out = meta;
        json_decref(hist);
        return 0;
    }
    const json_t *entry;
    rc = dt_history_resolve(hist, table, version, &entry);
    if (rc == DATOM_ENOTFOUND && json_array_size(hist) == 0) {
        /* no history recorded: the current version is the only one known */
        char cur[DATOM_SHA_HEX];
        dt_meta_sha(meta, cur);
        if (!strncmp(cur, version, strlen(version))) {
            *meta_out = meta;
            json_decref(hist);
            return 0;
        }
    }
    if (rc == 0) {
        char cur[DATOM_SHA_HEX];
        const char *full = dt_json_str(entry, "version");
        dt_meta_sha(meta, cur);
        if (!strcmp(cur, full)) {
            *meta_out = json_incref(meta);
        } else {
            rc = frozen_meta(p, table, full, meta_out);
            if (rc == DATOM_ENOTFOUND) {
                /* no frozen copy (a mirror behind git): what the history knows */
                json_t *m = json_object();
                json_object_set(m, "data_sha", json_object_get(entry, "data_sha"));
                if (json_object_get(entry, "parquet_sha"))
                    json_object_set(m, "parquet_sha", json_object_get(entry, "parquet_sha"));
                *meta_out = m;
                rc = 0;
            }
        }
    }
    json_decref(meta);
    json_decref(hist);
    return rc;
}

char *dt_project_tmpdir(dt_project *p)
{
    char *dir;
    if (p->root) {
        dir = dt_path_join(p->root, ".datom/cache/tmp");
    } else {
        const char *t = getenv("TMPDIR");
        dir = dt_strdup(t && *t ? t : "/tmp");
    }
    dt_fs_mkdirs(dir, 0755);
    return dir;
}
