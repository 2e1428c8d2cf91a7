/*
 * state.c: where the table operations find a project's documents. A
 * developer project reads what git HEAD holds (uncommitted files are an
 * interrupted write and are ignored); a store-only reader reads the store
 * mirror. Both give the same jansson documents, checked before use.
 */
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "project/histscan.h"
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

/* The raw text of a table document (TABLE NULL: the manifest). */
static int load_raw(dt_project *p, const char *table, const char *file, dt_buf *out, char **what)
{
    if (p->git) {
        *what = table ? dt_table_path(table, file) : dt_sprintf(".datom/%s", file);
        return dt_git_read_file(p->git, NULL, *what, out);
    }
    char *rel = mirror_rel(table, file);
    *what = dt_project_key(p, rel);
    free(rel);
    uint64_t size = 0;
    int rc = datom_store_stat(p->store, *what, &size);
    if (rc == 0 && size > DOC_MAX)
        rc = dt_error(DATOM_ECORRUPT, "%s: %" PRIu64 " bytes is too large for a metadata document",
                      *what, size);
    void *data = NULL;
    size_t len = 0;
    if (rc == 0)
        rc = datom_store_get(p->store, *what, 0, UINT64_MAX, &data, &len);
    if (rc == 0)
        dt_buf_append(out, data, len);
    free(data);
    return rc;
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
    if (meta_out)
        *meta_out = NULL;
    if (history_out)
        *history_out = NULL;
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

int dt_table_name_new_check(dt_project *p, const char *table)
{
    json_t *m = NULL;
    int rc = dt_manifest_load(p, &m);
    json_t *tables = rc == 0 ? json_object_get(m, "tables") : NULL;
    if (rc == 0 && !json_object_get(tables, table)) {
        size_t n = strlen(table);
        const char *k;
        json_t *v;
        if (n && table[n - 1] == ' ')
            rc = dt_error(DATOM_EINVAL, "invalid table name '%s': a new table's name may not end "
                          "in a space (Windows drops it from file names, and listings hide it; "
                          "docs/formats.md, \"Table names\")", table);
        json_object_foreach(tables, k, v) {
            if (rc == 0 && !strcasecmp(k, table))
                rc = dt_error(DATOM_EEXISTS, "table '%s' differs from the table '%s' only in case: "
                              "the two would be one directory on a case-insensitive filesystem "
                              "(macOS, Windows); write '%s' or choose another name",
                              table, k, k);
        }
    }
    json_decref(m);
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

int dt_table_history_scan(dt_project *p, const char *table, bool keep_raw, dt_hist_scan *out)
{
    memset(out, 0, sizeof *out);
    int rc = dt_table_load(p, table, NULL, NULL); /* an unknown table says so */
    if (rc)
        return rc;
    dt_buf raw = DT_BUF_INIT;
    char *what = NULL;
    rc = load_raw(p, table, "version_history.json", &raw, &what);
    if (rc == DATOM_ENOTFOUND) { /* a table written by an old tool: current version only */
        datom_errclear();
        dt_buf_puts(&raw, "[]");
        rc = 0;
    }
    if (rc == 0)
        rc = keep_raw ? dt_hist_scan_doc(&raw, what, out) : dt_hist_scan_take(&raw, what, out);
    dt_buf_free(&raw);
    free(what);
    return rc;
}

static const char *scan_version_of(const void *ctx, size_t i)
{
    return ((const dt_hist_scan *)ctx)->v[i].version;
}

int dt_table_resolve(dt_project *p, const char *table, const char *spec, dt_version_ref *out)
{
    dt_hist_scan hs;
    memset(out, 0, sizeof *out);
    int rc = dt_table_history_scan(p, table, false, &hs);
    size_t i = 0;
    if (rc == 0)
        rc = dt_version_resolve(hs.n, scan_version_of, &hs, table, spec, &i);
    if (rc == 0) {
        snprintf(out->version, sizeof out->version, "%s", hs.v[i].version);
        snprintf(out->data_sha, sizeof out->data_sha, "%s", hs.v[i].data_sha);
        snprintf(out->parquet_sha, sizeof out->parquet_sha, "%s",
                 hs.v[i].parquet_sha ? hs.v[i].parquet_sha : "");
    }
    dt_hist_scan_free(&hs);
    return rc;
}

int dt_table_version(dt_project *p, const char *table, const char *version, json_t **meta_out)
{
    json_t *meta;
    *meta_out = NULL;
    int rc = dt_table_load(p, table, &meta, NULL);
    if (rc || !version) {
        *meta_out = rc ? NULL : meta;
        return rc;
    }
    char cur[DATOM_SHA_HEX];
    dt_meta_sha(meta, cur);
    dt_version_ref ref;
    rc = dt_table_resolve(p, table, version, &ref);
    if (rc == DATOM_ENOTFOUND && dt_is_hex_prefix(version, 6, 64) &&
        !strncmp(cur, version, strlen(version))) {
        /* a current version missing from its history (an old writer) */
        datom_errclear();
        *meta_out = meta;
        return 0;
    }
    if (rc == 0 && !strcmp(cur, ref.version)) {
        *meta_out = meta;
        return 0;
    }
    json_decref(meta);
    if (rc)
        return rc;
    rc = frozen_meta(p, table, ref.version, meta_out);
    if (rc == DATOM_ENOTFOUND) {
        /* no frozen copy (a mirror behind git): what the history knows */
        datom_errclear();
        json_t *m = json_pack("{s:s}", "data_sha", ref.data_sha);
        if (ref.parquet_sha[0])
            json_object_set_new(m, "parquet_sha", json_string(ref.parquet_sha));
        *meta_out = m;
        rc = 0;
    }
    return rc;
}

char *dt_project_tmpdir(dt_project *p)
{
    if (p->root) {
        char *dir = dt_path_join(p->root, ".datom/cache/tmp");
        if (dt_fs_mkdirs(dir, 0755) == 0 && access(dir, W_OK) == 0)
            return dir;
        /* a work tree this user may only read (an auditor's checkout): reading
         * still works, through the system's temporary directory */
        datom_errclear();
        free(dir);
    }
    const char *t = getenv("TMPDIR");
    return dt_strdup(t && *t ? t : "/tmp");
}

void dt_project_tmp_sweep(dt_project *p)
{
    if (!p->root)
        return;
    char *dir = dt_path_join(p->root, ".datom/cache/tmp");
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        /* NAME-PID-...: left by a process that no longer exists */
        const char *dash = strchr(e->d_name, '-');
        int pid = dash ? atoi(dash + 1) : 0;
        if (pid <= 0 || pid == getpid() || !dt_pid_gone(pid))
            continue;
        char *path = dt_path_join(dir, e->d_name);
        unlink(path);
        free(path);
    }
    if (d)
        closedir(d);
    free(dir);
}
