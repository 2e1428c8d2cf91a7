/*
 * mirror.c: the store mirror of a project's documents (specs/datom-format.md
 * section 5), what readers without git use. Everything is copied from git
 * HEAD, in an order that keeps every mirrored state readable: per table the
 * frozen {metadata_sha}.json first, then the history, then metadata.json; the
 * manifest last. Which tables to copy is told by comparing the mirrored
 * manifest with HEAD's: a table committed by a write whose push or mirror did
 * not happen (a crash, a failed push) is caught up by the next write.
 */
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "project/metadata.h"
#include "project/tables.h"

void dt_crash_point(const char *step)
{
    const char *at = getenv("DATOM_TEST_CRASH_AT");
    if (at && !strcmp(at, step))
        kill(getpid(), SIGKILL);
}

int dt_mirror_put(dt_project *p, const char *rel, const json_t *doc)
{
    char *text = dt_json_pretty(doc);
    char *key = dt_project_key(p, rel);
    int rc = datom_store_put(p->store, key, text, strlen(text));
    free(key);
    free(text);
    return rc;
}

/* A mirrored document, NULL (and 0) when the mirror does not have it. */
static int mirror_doc(dt_project *p, const char *rel, json_t **out)
{
    *out = NULL;
    char *key = dt_project_key(p, rel);
    void *data = NULL;
    size_t len = 0;
    int rc = datom_store_get(p->store, key, 0, UINT64_MAX, &data, &len);
    if (rc == 0)
        rc = dt_json_load_buf(key, data, len, out);
    if (rc == DATOM_ENOTFOUND || rc == DATOM_EINVAL) { /* missing or damaged: rewrite it */
        datom_errclear();
        rc = 0;
    }
    free(data);
    free(key);
    return rc;
}

static int mirror_table_docs(dt_project *p, const char *table)
{
    json_t *meta = NULL, *hist = NULL;
    int rc = dt_table_load(p, table, &meta, &hist);
    if (rc == 0) {
        char sha[DATOM_SHA_HEX];
        dt_meta_sha(meta, sha);
        char *frozen = dt_sprintf("%s/.metadata/%s.json", table, sha);
        char *hrel = dt_sprintf("%s/.metadata/version_history.json", table);
        char *mrel = dt_sprintf("%s/.metadata/metadata.json", table);
        rc = dt_mirror_put(p, frozen, meta);
        dt_crash_point("mirror-frozen");
        if (rc == 0)
            rc = dt_mirror_put(p, hrel, hist);
        dt_crash_point("mirror-history");
        if (rc == 0)
            rc = dt_mirror_put(p, mrel, meta);
        dt_crash_point("mirror-metadata");
        free(frozen);
        free(hrel);
        free(mrel);
    }
    json_decref(meta);
    json_decref(hist);
    return rc;
}

/* Tables whose row in HEAD's manifest differs from the mirrored one. */
static void lagging(const json_t *head, const json_t *mirrored, dt_strv *out)
{
    json_t *mt = mirrored ? json_object_get(mirrored, "tables") : NULL;
    const char *k;
    json_t *row;
    json_object_foreach(json_object_get(head, "tables"), k, row) {
        const char *want = dt_json_str(row, "current_version");
        const char *have = dt_json_str(json_object_get(mt, k), "current_version");
        if (!want || !have || strcmp(want, have))
            dt_strv_push(out, k);
    }
}

int dt_table_mirror(dt_project *p, const char *table)
{
    json_t *head = NULL, *mirrored = NULL;
    dt_strv names = DT_STRV_INIT;
    int rc = dt_project_need_store(p);
    if (rc == 0)
        rc = dt_manifest_load(p, &head);
    if (rc == 0)
        rc = mirror_doc(p, ".metadata/manifest.json", &mirrored);
    if (rc == 0) {
        if (table)
            dt_strv_push(&names, table);
        lagging(head, mirrored, &names);
    }
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = !strcmp(names.v[i], names.v[j]);
        if (!dup && (rc = mirror_table_docs(p, names.v[i])) != 0)
            dt_error_wrap("mirror %s to the store", names.v[i]);
    }
    if (rc == 0 && (rc = dt_mirror_put(p, ".metadata/manifest.json", head)) != 0)
        dt_error_wrap("mirror the manifest to the store");
    dt_strv_free(&names);
    json_decref(head);
    json_decref(mirrored);
    return rc;
}

bool dt_table_mirror_current(dt_project *p, const char *table, const char *metadata_sha)
{
    if (!p->store)
        return false;
    char *frozen = dt_sprintf("%s/.metadata/%s.json", table, metadata_sha);
    char *fkey = dt_project_key(p, frozen);
    char *cur = dt_sprintf("%s/.metadata/metadata.json", table);
    json_t *m = NULL;
    char sha[DATOM_SHA_HEX] = "";
    bool ok = datom_store_stat(p->store, fkey, NULL) == 0 && mirror_doc(p, cur, &m) == 0 && m;
    if (ok)
        dt_meta_sha(m, sha);
    datom_errclear();
    json_decref(m);
    free(frozen);
    free(fkey);
    free(cur);
    return ok && !strcmp(sha, metadata_sha);
}

bool dt_mirror_needed(dt_project *p, const char *table, const char *metadata_sha)
{
    if (!dt_table_mirror_current(p, table, metadata_sha))
        return true;
    json_t *head = NULL, *mirrored = NULL;
    bool needed = dt_manifest_load(p, &head) != 0 || mirror_doc(p, ".metadata/manifest.json", &mirrored) != 0 ||
                  !mirrored || !json_equal(head, mirrored);
    datom_errclear();
    json_decref(head);
    json_decref(mirrored);
    return needed;
}
