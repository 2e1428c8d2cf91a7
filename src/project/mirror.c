/*
 * mirror.c: the store mirror of a project's documents (docs/formats.md, "The
 * store mirror"), what readers without git use. Everything is copied from git
 * HEAD, in an order that keeps every mirrored state readable: per table the
 * frozen copies first ({metadata_sha}.json: the current version's, and those
 * of versions whose own write a crash cut short, recovered from git
 * history), then the history, then metadata.json; the manifest last. Which
 * tables to copy is told by comparing the mirrored manifest with HEAD's: a
 * table committed by a write whose push or mirror did not happen (a crash, a
 * failed push) is caught up by the next write; `datom repair` compares every
 * table's documents (dt_mirror_all).
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
    at = getenv("DATOM_TEST_STOP_AT");
    if (at && !strcmp(at, step))
        kill(getpid(), SIGSTOP);
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

/* ---- frozen copies a crash left out ---- */

typedef struct find_version {
    dt_project *p;
    const char *path; /* {table}/metadata.json */
    const char *version;
    json_t *found;
} find_version;

static int find_cb(void *ctx, const dt_git_commit_info *c)
{
    find_version *f = ctx;
    dt_buf b = DT_BUF_INIT;
    json_t *m = NULL;
    char sha[DATOM_SHA_HEX] = "";
    if (dt_git_read_file(f->p->git, c->id, f->path, &b) == 0 &&
        dt_json_load_buf(f->path, b.data ? (const void *)b.data : "", b.len, &m) == 0)
        dt_meta_sha(m, sha);
    datom_errclear();
    dt_buf_free(&b);
    if (!strcmp(sha, f->version)) {
        f->found = m;
        return 1; /* stops the walk */
    }
    json_decref(m);
    return 0;
}

int dt_mirror_recover_frozen(dt_project *p, const char *table, const char *version)
{
    find_version f = {p, NULL, version, NULL};
    char *path = dt_table_path(table, "metadata.json");
    f.path = path;
    int rc = p->git ? dt_git_log(p->git, path, find_cb, &f) : 0;
    if (rc == 1)
        rc = 0;
    if (rc == 0 && !f.found)
        rc = dt_error(DATOM_ENOTFOUND, "%s@%.12s: no commit of %s holds this version", table,
                      version, path);
    if (rc == 0) {
        char *rel = dt_sprintf("%s/.metadata/%s.json", table, version);
        rc = dt_mirror_put(p, rel, f.found);
        free(rel);
    }
    json_decref(f.found);
    free(path);
    return rc;
}

bool dt_mirror_frozen_ok(dt_project *p, const char *table, const char *version)
{
    char *rel = dt_sprintf("%s/.metadata/%s.json", table, version);
    json_t *m = NULL;
    char sha[DATOM_SHA_HEX] = "";
    if (mirror_doc(p, rel, &m) == 0 && m)
        dt_meta_sha(m, sha);
    datom_errclear();
    json_decref(m);
    free(rel);
    return !strcmp(sha, version);
}

/* The versions of HIST that the mirrored history lacks (all of them when it
 * has none) got their frozen copies only if their writes mirrored: the
 * missing ones are recovered from git. CURRENT is about to be written. */
static int heal_new_versions(dt_project *p, const char *table, const json_t *hist,
                             const char *current)
{
    char *hrel = dt_sprintf("%s/.metadata/version_history.json", table);
    json_t *mirrored = NULL;
    int rc = mirror_doc(p, hrel, &mirrored);
    size_t i;
    json_t *e;
    json_array_foreach(hist, i, e) {
        const char *v = dt_json_str(e, "version");
        if (rc || !v || !strcmp(v, current) || (mirrored && dt_history_has(mirrored, v)) ||
            dt_mirror_frozen_ok(p, table, v))
            continue;
        rc = dt_mirror_recover_frozen(p, table, v);
        if (rc == DATOM_ENOTFOUND) { /* not in this clone's history: validate says so */
            datom_errclear();
            rc = 0;
        }
    }
    json_decref(mirrored);
    free(hrel);
    return rc;
}

static int mirror_table_docs(dt_project *p, const char *table)
{
    json_t *meta = NULL, *hist = NULL;
    int rc = dt_table_load(p, table, &meta, &hist);
    char cur[DATOM_SHA_HEX] = "";
    if (rc == 0) {
        dt_meta_sha(meta, cur);
        rc = heal_new_versions(p, table, hist, cur);
    }
    if (rc == 0) {
        char *frozen = dt_sprintf("%s/.metadata/%s.json", table, cur);
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

/* Whether the mirror's documents of TABLE are HEAD's: metadata.json hashing to
 * CUR and the same history. */
static bool table_mirrored(dt_project *p, const char *table, const char *cur, const json_t *hist)
{
    char *mrel = dt_sprintf("%s/.metadata/metadata.json", table);
    char *hrel = dt_sprintf("%s/.metadata/version_history.json", table);
    json_t *m = NULL, *h = NULL;
    char sha[DATOM_SHA_HEX] = "";
    if (mirror_doc(p, mrel, &m) == 0 && m)
        dt_meta_sha(m, sha);
    bool same = !strcmp(sha, cur) && mirror_doc(p, hrel, &h) == 0 && h && json_equal(h, hist);
    datom_errclear();
    json_decref(m);
    json_decref(h);
    free(mrel);
    free(hrel);
    return same;
}

int dt_mirror_all(dt_project *p, dt_strv *done)
{
    json_t *head = NULL, *mirrored = NULL;
    int rc = dt_manifest_load(p, &head);
    const char *k;
    json_t *row;
    json_object_foreach(head ? json_object_get(head, "tables") : NULL, k, row) {
        json_t *meta = NULL, *hist = NULL;
        char cur[DATOM_SHA_HEX] = "";
        if (rc == 0)
            rc = dt_table_load(p, k, &meta, &hist);
        if (rc == 0)
            dt_meta_sha(meta, cur);
        if (rc == 0 && !(dt_mirror_frozen_ok(p, k, cur) && table_mirrored(p, k, cur, hist))) {
            if ((rc = mirror_table_docs(p, k)) == 0)
                dt_strv_push_owned(done, dt_sprintf("%s: the store mirror brought up to git "
                                                    "(version %.12s)",
                                                    k, cur));
        }
        json_decref(meta);
        json_decref(hist);
    }
    if (rc == 0)
        rc = mirror_doc(p, ".metadata/manifest.json", &mirrored);
    if (rc == 0 && !(mirrored && json_equal(mirrored, head)) &&
        (rc = dt_mirror_put(p, ".metadata/manifest.json", head)) == 0)
        dt_strv_push(done, "the store mirror's manifest brought up to git");
    json_decref(head);
    json_decref(mirrored);
    return rc ? dt_error_wrap("mirror to the store") : 0;
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
