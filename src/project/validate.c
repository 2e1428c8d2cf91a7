/*
 * validate.c: does what git says agree with what the store holds? For every
 * table: the manifest row matches the current metadata, the history holds
 * the current version, every version's Parquet object exists, and the store
 * mirror has the current documents and a frozen copy of every version that
 * hashes to it. What an interrupted publication leaves (a mirror behind git,
 * commits not pushed, uncommitted documents; repair.c) is told apart from
 * damage: the next write or `datom repair` completes it. With --deep every object is downloaded, its SHA-256 checked
 * against parquet_sha, and its data_sha recomputed from the parsed values
 * (the R package only checks that files exist).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "project/metadata.h"
#include "project/tables.h"
#include "project/wlock.h"
#include "table/cv1.h"
#include "table/parquet/parquet.h"

#define PROBLEM(r, ...) dt_strv_push_owned(&(r)->problems, dt_sprintf(__VA_ARGS__))
#define LAGGING(r, ...) dt_strv_push_owned(&(r)->lagging, dt_sprintf(__VA_ARGS__))

static int recompute_data_sha(const char *path, const dt_cv1_options *o, char out[DATOM_SHA_HEX])
{
    dt_pq_reader *r;
    int rc = dt_pq_open(&r, path);
    if (rc)
        return rc;
    dt_cv1 *h = NULL;
    rc = dt_cv1_begin(&h, dt_pq_schema(r), o);
    while (rc == 0) {
        dt_table *b = NULL;
        if ((rc = dt_pq_next(r, &b)) != 0 || !b)
            break;
        rc = dt_cv1_add(h, b);
    }
    if (rc == 0)
        rc = dt_cv1_finish(h, out);
    dt_cv1_free(h);
    dt_pq_close(r);
    return rc;
}

/* Whether the object's values hash to data_sha by one of the ways a version
 * may have been written: today's default, `--int64`, or datom 0.1.0's (every
 * value under R's encoding; int64 as numbers, or as i64 with --int64). The
 * first is computed in any case: its failure to parse is reported. */
static int matches_data_sha(const char *path, const char *data_sha, char got[DATOM_SHA_HEX])
{
    static const dt_cv1_options ways[] = {
        {.int64 = DT_CV1_INT64_AUTO},
        {.int64 = DT_CV1_INT64_I64},
        {.int64 = DT_CV1_INT64_NUM, .legacy = true},
        {.int64 = DT_CV1_INT64_I64, .legacy = true},
    };
    int rc = recompute_data_sha(path, &ways[0], got);
    for (size_t i = 1; rc == 0 && strcmp(got, data_sha) && i < DT_ARRAY_LEN(ways); i++) {
        char other[DATOM_SHA_HEX];
        if (recompute_data_sha(path, &ways[i], other) == 0 && !strcmp(other, data_sha))
            memcpy(got, other, sizeof other);
    }
    return rc;
}

/* Downloads one object, checks its bytes and recomputes its data_sha. */
static void deep_check(dt_project *p, const char *table, const char *data_sha,
                       const char *parquet_sha, dt_validate_report *rep)
{
    char *dir = dt_project_tmpdir(p);
    char *tmp = dt_sprintf("%s/validate-%d.parquet", dir, (int)getpid());
    char *rel = dt_sprintf("%s/%s.parquet", table, data_sha);
    char *key = dt_project_key(p, rel);
    char got[DATOM_SHA_HEX];
    if (datom_store_get_file(p->store, key, tmp) != 0) {
        PROBLEM(rep, "%s: %s: cannot read: %s", table, key, datom_errmsg());
    } else if (dt_sha256_file(tmp, got, NULL) != 0) {
        PROBLEM(rep, "%s: %s: %s", table, key, datom_errmsg());
    } else if (parquet_sha && strcmp(got, parquet_sha)) {
        PROBLEM(rep, "%s: %s has SHA-256 %s, its versions record parquet_sha %s", table, key, got,
                parquet_sha);
    } else if (matches_data_sha(tmp, data_sha, got) != 0) {
        PROBLEM(rep, "%s: %s does not parse: %s", table, key, datom_errmsg());
    } else if (strcmp(got, data_sha)) {
        PROBLEM(rep, "%s: %s: its values hash to data_sha %s, not %s", table, key, got, data_sha);
    }
    datom_errclear();
    unlink(tmp);
    free(tmp);
    free(dir);
    free(rel);
    free(key);
}

/* A version without a good frozen copy in the mirror: with git, a missing one
 * is a publication cut short (repair recovers it from git history), a
 * damaged one is damage (which repair rewrites the same way). */
static void check_frozen(dt_project *p, const char *table, const char *version,
                         dt_validate_report *rep)
{
    if (dt_mirror_frozen_ok(p, table, version))
        return;
    char *rel = dt_sprintf("%s/.metadata/%s.json", table, version);
    char *key = dt_project_key(p, rel);
    bool missing = datom_store_stat(p->store, key, NULL) == DATOM_ENOTFOUND;
    datom_errclear();
    if (p->git && missing)
        LAGGING(rep, "%s@%.12s: no frozen copy in the store mirror yet", table, version);
    else if (p->git)
        PROBLEM(rep, "%s@%.12s: its frozen copy %s does not hash to it (`datom repair` rewrites it "
                     "from git)",
                table, version, key);
    else
        PROBLEM(rep, "%s@%.12s: no frozen metadata in the store that hashes to it", table, version);
    free(rel);
    free(key);
}

static void check_row(const char *table, const json_t *row, const json_t *meta, const char *cur,
                      size_t nversions, dt_validate_report *rep)
{
    if (!row) {
        PROBLEM(rep, "%s: missing from manifest.json", table);
        return;
    }
    const char *v = dt_json_str(row, "current_version"), *d = dt_json_str(row, "current_data_sha");
    if (!v || strcmp(v, cur))
        PROBLEM(rep, "%s: manifest says version %.12s, metadata.json is %.12s", table,
                v ? v : "(none)", cur);
    if (!d || strcmp(d, dt_json_str(meta, "data_sha")))
        PROBLEM(rep, "%s: manifest data_sha differs from metadata.json", table);
    if (dt_meta_u64(row, "version_count") != nversions)
        PROBLEM(rep, "%s: manifest counts %llu versions, the history has %zu", table,
                (unsigned long long)dt_meta_u64(row, "version_count"), nversions);
}

static int check_table(dt_project *p, const char *table, const json_t *row, bool deep,
                       dt_validate_report *rep)
{
    json_t *meta = NULL, *hist = NULL;
    int rc = dt_table_load(p, table, &meta, &hist);
    if (rc) {
        PROBLEM(rep, "%s: %s", table, datom_errmsg());
        datom_errclear();
        return 0;
    }
    rep->tables++;
    char cur[DATOM_SHA_HEX];
    dt_meta_sha(meta, cur);
    check_row(table, row, meta, cur, json_array_size(hist), rep);
    const json_t *found = NULL;
    if (dt_history_resolve(hist, table, cur, &found) != 0)
        PROBLEM(rep, "%s: the current version %.12s is not in its history", table, cur);
    datom_errclear();

    if (!dt_table_mirror_current(p, table, cur) && p->git)
        LAGGING(rep, "%s: the store mirror does not show the current version %.12s yet", table, cur);
    else if (!dt_table_mirror_current(p, table, cur))
        PROBLEM(rep, "%s: the store mirror does not show the current version %.12s", table, cur);
    dt_strv seen = DT_STRV_INIT;
    size_t i;
    json_t *e;
    json_array_foreach(hist, i, e) {
        const char *version = dt_json_str(e, "version"), *data_sha = dt_json_str(e, "data_sha");
        rep->versions++;
        check_frozen(p, table, version, rep);
        bool dup = false;
        for (size_t s = 0; s < seen.n && !dup; s++)
            dup = !strcmp(seen.v[s], data_sha);
        if (dup)
            continue;
        dt_strv_push(&seen, data_sha);
        rep->objects++;
        char *rel = dt_sprintf("%s/%s.parquet", table, data_sha);
        char *key = dt_project_key(p, rel);
        if (datom_store_stat(p->store, key, NULL) != 0)
            PROBLEM(rep, "%s@%.12s: its bytes %s are missing from the store (a write of its file "
                         "stores them again)",
                    table, version, key);
        else if (deep)
            deep_check(p, table, data_sha, dt_history_parquet_sha(hist, data_sha), rep);
        datom_errclear();
        free(rel);
        free(key);
    }
    dt_strv_free(&seen);
    json_decref(meta);
    json_decref(hist);
    return 0;
}

/* What git says is published and the mirror does not show yet, project-wide. */
static int check_publication(dt_project *p, const json_t *manifest, dt_validate_report *rep)
{
    size_t ahead = 0;
    dt_strv docs = DT_STRV_INIT;
    int rc = dt_git_unpushed(p->git, &ahead);
    if (rc == 0 && ahead)
        LAGGING(rep, "%zu commit%s not pushed to origin (a write's push failed or was cut short)",
                ahead, ahead == 1 ? "" : "s");
    if (rc == 0)
        rc = dt_leftover_docs(p, &docs);
    for (size_t i = 0; rc == 0 && i < docs.n; i++)
        LAGGING(rep, "%s: left uncommitted by an interrupted write (to be discarded)", docs.v[i]);
    dt_strv_free(&docs);
    char *key = dt_project_key(p, ".metadata/manifest.json");
    void *data = NULL;
    size_t len = 0;
    json_t *mirrored = NULL;
    if (rc == 0 && (datom_store_get(p->store, key, 0, UINT64_MAX, &data, &len) != 0 ||
                    dt_json_load_buf(key, data, len, &mirrored) != 0 ||
                    !json_equal(mirrored, manifest)))
        LAGGING(rep, "the store mirror's manifest is behind git");
    datom_errclear();
    json_decref(mirrored);
    free(data);
    free(key);
    return rc;
}

int dt_project_validate(dt_project *p, bool deep, dt_validate_report *out)
{
    memset(out, 0, sizeof *out);
    json_t *manifest = NULL;
    int rc = dt_project_need_store(p);
    if (rc == 0)
        rc = dt_manifest_load(p, &manifest);
    if (rc == 0 && p->git)
        rc = check_publication(p, manifest, out);
    if (rc) {
        json_decref(manifest);
        return rc;
    }
    dt_strv names = DT_STRV_INIT;
    const char *k;
    json_t *v;
    json_t *tables = json_object_get(manifest, "tables");
    json_object_foreach(tables, k, v)
        dt_strv_push(&names, k);
    dt_strv_sort(&names);
    for (size_t i = 0; rc == 0 && i < names.n; i++)
        rc = check_table(p, names.v[i], json_object_get(tables, names.v[i]), deep, out);
    dt_strv_free(&names);
    json_decref(manifest);
    json_t *lost = NULL;
    if (rc == 0 && deep && p->git && (rc = dt_lost_versions(p, &lost, NULL)) == 0) {
        const char *t;
        json_t *found;
        json_object_foreach(lost, t, found) {
            size_t n = json_array_size(found);
            PROBLEM(out, "%s: %zu version%s committed by earlier writes %s missing from its "
                         "history (lost by an earlier datom; `datom repair` puts them back)",
                    t, n, n == 1 ? "" : "s", n == 1 ? "is" : "are");
        }
    }
    json_decref(lost);
    /* a live writer's work in progress looks like lag: the report says so */
    if (rc == 0 && out->lagging.n && p->git)
        dt_wlock_busy(p, &out->busy);
    return rc;
}

void dt_validate_report_free(dt_validate_report *r)
{
    dt_strv_free(&r->problems);
    dt_strv_free(&r->lagging);
    free(r->busy);
    r->busy = NULL;
}
