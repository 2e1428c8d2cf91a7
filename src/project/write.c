/*
 * write.c: writing a version of a table (docs/formats.md, "Writing a version";
 * its steps are numbered as there).
 *
 * The order is what makes a crash harmless (bytes first, then what points at
 * them, then what publishes them): the Parquet bytes reach the store first,
 * then the documents are written and committed (the commit is the publication
 * for git readers), then pushed, and the store mirror is updated last, frozen
 * copy first and manifest last. A crash at any point leaves readers on the
 * old or the new version, and every version they can see points at bytes that
 * exist. Documents left uncommitted by a crash are discarded by the next write
 * (they are never read: readers use HEAD).
 *
 * DATOM_TEST_CRASH_AT=<step> kills the process with SIGKILL at that step, for
 * the crash tests (tests/test_tables.sh); the steps are listed in crash_steps.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "project/input.h"
#include "project/metadata.h"
#include "project/tables.h"
#include "project/wlock.h"
#include "table/cv1.h"
#include "table/parquet/parquet.h"

#define PUSH_RETRIES 20

/* ---- the new Parquet file: written to a temporary file, hashed on the way ---- */

typedef struct converted {
    char data_sha[DATOM_SHA_HEX];
    char parquet_sha[DATOM_SHA_HEX];
    uint64_t size;
    uint64_t nrow;
    dt_schema schema;
    char **column_hashes;
    char *tmp_path; /* the Parquet file; removed by converted_free */
    const char *format;
    bool uploaded; /* this write stored it under its data_sha */
} converted;

static void converted_free(converted *c)
{
    if (c->tmp_path) {
        unlink(c->tmp_path);
        free(c->tmp_path);
    }
    for (size_t i = 0; c->column_hashes && i < c->schema.ncol; i++)
        free(c->column_hashes[i]);
    free(c->column_hashes);
    dt_schema_free(&c->schema);
    memset(c, 0, sizeof *c);
}

/* Streams FILE once: every batch goes to the cv1 hash and the Parquet writer. */
static int stream_batches(const char *file, dt_input *in, dt_cv1 *cv, dt_pq_writer *pw)
{
    for (;;) {
        dt_table *b = NULL;
        int rc = dt_input_next(in, &b);
        if (rc || !b)
            return rc;
        if ((rc = dt_cv1_add(cv, b)) != 0)
            return dt_error_wrap("%s", file); /* a value the hash refuses: where */
        if ((rc = dt_pq_writer_write(pw, b)) != 0)
            return rc;
    }
}

static int convert(dt_project *p, const char *file, const dt_write_opts *o, converted *c)
{
    dt_input in;
    dt_cv1 *cv = NULL;
    dt_pq_writer *pw = NULL;
    int fd = -1;
    dt_hash_tee tee = {0}; /* the Parquet bytes on their way to fd */
    memset(c, 0, sizeof *c);
    int rc = dt_input_open(&in, file, o->csv);
    if (rc)
        return rc;
    c->format = in.format;
    dt_schema_copy(&c->schema, dt_input_schema(&in));
    dt_cv1_options co = {.int64 = o->int64_as_i64 ? DT_CV1_INT64_I64 : DT_CV1_INT64_AUTO};
    char *tmpdir = dt_project_tmpdir(p);
    co.tmpdir = tmpdir;
    if ((rc = dt_cv1_begin(&cv, &c->schema, &co)) != 0)
        goto out;
    c->tmp_path = dt_sprintf("%s/write-%d-XXXXXX.parquet", tmpdir, (int)getpid());
    fd = mkstemps(c->tmp_path, 8);
    if (fd < 0) {
        free(c->tmp_path);
        c->tmp_path = NULL;
        rc = dt_error_errno(errno, "temporary file in %s", tmpdir);
        goto out;
    }
    dt_hash_tee_init(&tee, dt_sink_fd(&fd));
    dt_pq_options po;
    dt_pq_options_default(&po);
    if ((rc = dt_pq_writer_open(&pw, &c->schema, &po, dt_hash_tee_sink(&tee))) != 0)
        goto out;
    rc = stream_batches(file, &in, cv, pw);
    if (rc == 0) {
        rc = dt_pq_writer_close(pw);
        pw = NULL;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = dt_error_errno(errno, "%s", c->tmp_path);
    if (rc == 0)
        rc = dt_cv1_finish(cv, c->data_sha);
    if (rc == 0) {
        dt_sha256_final_hex(&tee.sha, c->parquet_sha);
        c->size = tee.size;
        c->nrow = dt_cv1_nrow(cv);
        c->column_hashes = dt_calloc(c->schema.ncol, sizeof *c->column_hashes);
        for (size_t i = 0; i < c->schema.ncol; i++)
            c->column_hashes[i] = dt_strdup(dt_cv1_column_sha(cv, i));
    }
out:
    if (pw)
        dt_pq_writer_abort(pw);
    if (tee.sha.ctx)
        dt_sha256_abort(&tee.sha);
    if (fd >= 0)
        close(fd);
    dt_cv1_free(cv);
    dt_input_close(&in);
    free(tmpdir);
    if (rc)
        converted_free(c);
    return rc;
}

/* ---- options into documents ---- */

static int custom_from(const dt_write_opts *o, json_t **out)
{
    *out = NULL;
    if (!o->n_meta)
        return 0;
    json_t *c = json_object();
    for (size_t i = 0; i < o->n_meta; i++) {
        const char *eq = strchr(o->meta[i], '=');
        if (!eq || eq == o->meta[i]) {
            json_decref(c);
            return dt_error(DATOM_EINVAL, "--meta '%s': expected key=value", o->meta[i]);
        }
        char *key = dt_strndup(o->meta[i], (size_t)(eq - o->meta[i]));
        json_object_set_new(c, key, json_string(eq + 1));
        free(key);
    }
    *out = c;
    return 0;
}

typedef struct lineage_in {
    json_t *parents;        /* NULL: none */
    json_t *source_lineage; /* NULL: none */
} lineage_in;

static int parents_from(dt_project *p, const dt_write_opts *o, lineage_in *l)
{
    l->parents = l->source_lineage = NULL;
    if (!o->n_parents)
        return 0;
    json_t **lins = dt_calloc(o->n_parents, sizeof *lins);
    l->parents = json_array();
    int rc = 0;
    for (size_t i = 0; i < o->n_parents && rc == 0; i++) {
        json_t *entry;
        rc = dt_parent_resolve(p, o->parents[i], &entry, &lins[i]);
        if (rc == 0)
            json_array_append_new(l->parents, entry);
    }
    if (rc == 0)
        l->source_lineage = dt_lineage_union(lins, o->n_parents);
    for (size_t i = 0; i < o->n_parents; i++)
        json_decref(lins[i]);
    free(lins);
    return rc;
}

/* An imported table's source lineage is itself, pinned by its content. */
static json_t *self_lineage(dt_project *p, const char *table, const char *data_sha)
{
    return json_pack("[{s:s, s:s, s:s}]", "project", p->name, "table", table, "version_sha",
                     data_sha);
}

/* ---- the steps ---- */

typedef struct wctx {
    dt_project *p;
    const char *table;
    const dt_write_opts *o;
    dt_git_author author;
    json_t *cur_meta, *cur_hist; /* NULL for a new table */
    char cur_sha[DATOM_SHA_HEX];
    json_t *custom;
    lineage_in lin;
    const char *table_type;
    char file_sha[DATOM_SHA_HEX]; /* "" for a derived table */
    char *format;
} wctx;

static void wctx_free(wctx *w)
{
    dt_git_author_free(&w->author);
    json_decref(w->cur_meta);
    json_decref(w->cur_hist);
    json_decref(w->custom);
    json_decref(w->lin.parents);
    json_decref(w->lin.source_lineage);
    free(w->format);
}

static void table_docs(const char *table, char *paths[3])
{
    paths[0] = dt_table_path(table, "metadata.json");
    paths[1] = dt_table_path(table, "version_history.json");
    paths[2] = dt_strdup(DT_MANIFEST_PATH);
}

static void free_paths(char *paths[3])
{
    for (int i = 0; i < 3; i++)
        free(paths[i]);
}

static int load_current(wctx *w)
{
    int rc = dt_table_load(w->p, w->table, &w->cur_meta, &w->cur_hist);
    if (rc == DATOM_ENOTFOUND) {
        datom_errclear();
        w->cur_meta = NULL;
        w->cur_hist = json_array();
        w->cur_sha[0] = '\0';
        return 0;
    }
    if (rc == 0)
        dt_meta_sha(w->cur_meta, w->cur_sha);
    return rc;
}

/* The identity fields this write sets, applied over a copy of BASE. */
static void apply_identity(const wctx *w, json_t *m, const char *data_sha)
{
    json_object_set_new(m, "table_type", json_string(w->table_type));
    json_object_del(m, "original_file_sha");
    json_object_del(m, "parents");
    json_object_del(m, "source_lineage");
    json_object_del(m, "custom");
    if (w->file_sha[0])
        json_object_set_new(m, "original_file_sha", json_string(w->file_sha));
    if (w->lin.parents)
        json_object_set(m, "parents", w->lin.parents);
    if (w->lin.source_lineage)
        json_object_set(m, "source_lineage", w->lin.source_lineage);
    else if (!strcmp(w->table_type, "imported"))
        json_object_set_new(m, "source_lineage", self_lineage(w->p, w->table, data_sha));
    if (w->custom)
        json_object_set(m, "custom", w->custom);
}

/* Step 5 ahead of time, outside the lock: stores the new Parquet object when
 * no object of its data_sha exists yet (an existing one is never replaced). */
static int upload_if_missing(wctx *w, converted *c)
{
    char *rel = dt_sprintf("%s/%s.parquet", w->table, c->data_sha);
    char *key = dt_project_key(w->p, rel);
    int rc = datom_store_stat(w->p->store, key, NULL);
    if (rc == DATOM_ENOTFOUND) {
        datom_errclear();
        rc = datom_store_put_file(w->p->store, key, c->tmp_path);
        c->uploaded = rc == 0;
    }
    free(rel);
    free(key);
    return rc ? dt_error_wrap("upload %s", w->table) : 0;
}

/* Step 1: an unchanged input file whose version would be the current one. */
static bool unchanged_input(const wctx *w)
{
    if (!w->cur_meta || !w->file_sha[0] || w->o->force)
        return false;
    const char *cur_file = dt_json_str(w->cur_meta, "original_file_sha");
    if (!cur_file || strcmp(cur_file, w->file_sha))
        return false;
    json_t *m = json_deep_copy(w->cur_meta);
    apply_identity(w, m, dt_json_str(w->cur_meta, "data_sha"));
    char sha[DATOM_SHA_HEX];
    dt_meta_sha(m, sha);
    json_decref(m);
    return !strcmp(sha, w->cur_sha);
}

/* Whether the current version's stored object has the size it recorded (a
 * stat): an unchanged input is skipped only then, so that any write of the
 * same file restores a truncated object. */
static bool current_object_sized(const wctx *w)
{
    uint64_t want = dt_meta_u64(w->cur_meta, "size_bytes"), got = 0;
    char *rel = dt_sprintf("%s/%s.parquet", w->table, dt_json_str(w->cur_meta, "data_sha"));
    char *key = dt_project_key(w->p, rel);
    bool ok = datom_store_stat(w->p->store, key, &got) == 0 && (!want || got == want);
    datom_errclear();
    free(rel);
    free(key);
    return ok;
}

static json_t *build_meta(const wctx *w, const converted *c, const char *parquet_sha,
                          uint64_t size)
{
    dt_meta_in in = {.data_sha = c->data_sha,
                     .parquet_sha = parquet_sha,
                     .table_type = w->table_type,
                     .nrow = c->nrow,
                     .schema = &c->schema,
                     .column_hashes = (const char *const *)c->column_hashes,
                     .created_ms = dt_now_ms(),
                     .original_file_sha = w->file_sha[0] ? w->file_sha : NULL,
                     .parents = w->lin.parents,
                     .source_lineage = w->lin.source_lineage,
                     .has_size = true,
                     .size_bytes = size,
                     .custom = w->custom};
    json_t *self = NULL;
    if (!in.source_lineage && !strcmp(w->table_type, "imported"))
        in.source_lineage = self = self_lineage(w->p, w->table, c->data_sha);
    json_t *m = dt_meta_build(&in);
    json_decref(self);
    return m;
}

/* ---- a stored object whose bytes are not what was recorded ---- */

/* Whether the object KEY (STORED bytes long) holds what was recorded: WANT_SIZE
 * bytes (0: unknown) and, with DEEP, bytes hashing to WANT_SHA. The size is a
 * stat the write makes anyway (a truncated or extended object costs nothing to
 * catch); the hash reads the whole object, so only --force pays for it. */
static bool object_intact(dt_project *p, const char *key, uint64_t stored, const char *want_sha,
                          uint64_t want_size, bool deep)
{
    if (want_size && stored != want_size)
        return false;
    if (!deep || !want_sha)
        return true;
    dt_hash_tee t;
    dt_hash_tee_init(&t, (dt_sink){NULL, NULL});
    int rc = dt_store_get_sink(p->store, key, 0, UINT64_MAX, dt_hash_tee_sink(&t));
    char got[DATOM_SHA_HEX];
    dt_sha256_final_hex(&t.sha, got);
    datom_errclear();
    return rc == 0 && !strcmp(got, want_sha);
}

/* Whether a version records the content of C (the current one, or one in
 * the history); *pin its recorded parquet_sha (NULL: none, an old table),
 * *size its size when the records say it (else 0). */
static bool recorded(const wctx *w, const converted *c, const char **pin, uint64_t *size)
{
    *pin = NULL;
    *size = 0;
    const char *cur_data = w->cur_meta ? dt_json_str(w->cur_meta, "data_sha") : NULL;
    if (cur_data && !strcmp(cur_data, c->data_sha)) {
        *size = dt_meta_u64(w->cur_meta, "size_bytes");
        const char *p = dt_json_str(w->cur_meta, "parquet_sha");
        *pin = p && *p ? p : NULL;
        return true;
    }
    *pin = dt_history_parquet_sha(w->cur_hist, c->data_sha);
    if (*pin && !strcmp(*pin, c->parquet_sha))
        *size = c->size; /* the same bytes as this write's */
    size_t i;
    json_t *e;
    json_array_foreach(w->cur_hist, i, e) {
        const char *d = dt_json_str(e, "data_sha");
        if (d && !strcmp(d, c->data_sha))
            return true;
    }
    return false;
}

/* Every version of DATA_SHA in the history now pins the restored bytes. */
static void repin_history(json_t *hist, const char *data_sha, const char *parquet_sha)
{
    size_t i;
    json_t *e;
    json_array_foreach(hist, i, e) {
        const char *d = dt_json_str(e, "data_sha"), *pin = dt_json_str(e, "parquet_sha");
        if (d && !strcmp(d, data_sha) && pin && strcmp(pin, parquet_sha))
            json_object_set_new(e, "parquet_sha", json_string(parquet_sha));
    }
}

/* The frozen copies of the versions of DATA_SHA other than CURRENT pin the
 * restored bytes too (parquet_sha is not an identity field: each copy still
 * hashes to its name). */
static int repin_frozen(wctx *w, const char *current, const char *data_sha, const char *parquet_sha)
{
    size_t i;
    json_t *e;
    int rc = 0;
    json_array_foreach(w->cur_hist, i, e) {
        const char *d = dt_json_str(e, "data_sha"), *v = dt_json_str(e, "version");
        if (rc || !d || !v || strcmp(d, data_sha) || !strcmp(v, current))
            continue; /* the current version's is the mirror's to write */
        json_t *m = NULL;
        if (dt_table_version(w->p, w->table, v, &m) == 0 && dt_json_str(m, "table_type") &&
            strcmp(dt_json_str(m, "parquet_sha") ? dt_json_str(m, "parquet_sha") : "", parquet_sha)) {
            char *rel = dt_sprintf("%s/.metadata/%s.json", w->table, v);
            json_object_set_new(m, "parquet_sha", json_string(parquet_sha));
            rc = dt_mirror_put(w->p, rel, m);
            free(rel);
        }
        datom_errclear();
        json_decref(m);
    }
    return rc;
}

/* Steps 4-5: which Parquet object the version points at. A new one is
 * uploaded; a stored one is checked (its size always, its bytes with
 * --force) and, when damaged or missing, replaced by this write's bytes
 * (r->repaired; *repin when those differ from the recorded ones, written by
 * another release or tool). Writes the parquet_sha to record ("" for an old
 * table without one) and the object's size. */
static int place_bytes(wctx *w, const converted *c, char parquet_sha[DATOM_SHA_HEX], uint64_t *size,
                       dt_write_result *r, bool *repin)
{
    char *rel = dt_sprintf("%s/%s.parquet", w->table, c->data_sha);
    char *key = dt_project_key(w->p, rel);
    free(rel);
    *repin = false;
    const char *known;
    uint64_t want_size, stored = 0;
    bool was = recorded(w, c, &known, &want_size);
    bool exists = datom_store_stat(w->p->store, key, &stored) == 0;
    datom_errclear();
    int rc = 0;
    bool ours = c->uploaded && stored == c->size; /* uploaded before the lock: it was missing */
    if (exists && known && !(ours && strcmp(known, c->parquet_sha)) &&
        object_intact(w->p, key, stored, known, want_size, w->o->force)) {
        /* reverting, or the same content: the recorded object stays untouched
         * (unless this write's upload just restored it: it was missing) */
        snprintf(parquet_sha, DATOM_SHA_HEX, "%s", known);
        *size = stored;
        r->repaired = ours;
    } else if (exists && !known && was && want_size) {
        /* the current content of an old table, recorded without a pin:
         * nothing to check it against */
        parquet_sha[0] = '\0';
        *size = stored;
    } else if (exists && !known && ours) {
        memcpy(parquet_sha, c->parquet_sha, DATOM_SHA_HEX); /* uploaded before the lock */
        *size = c->size;
    } else if (exists && !known) {
        /* an object nobody recorded (a write that crashed before its commit, or
         * another writer's upload of the same content): record what is stored,
         * so the pin matches the bytes readers get */
        dt_hash_tee t;
        dt_hash_tee_init(&t, (dt_sink){NULL, NULL});
        rc = dt_store_get_sink(w->p->store, key, 0, UINT64_MAX, dt_hash_tee_sink(&t));
        dt_sha256_final_hex(&t.sha, parquet_sha);
        *size = t.size;
    } else {
        rc = datom_store_put_file(w->p->store, key, c->tmp_path);
        memcpy(parquet_sha, c->parquet_sha, DATOM_SHA_HEX);
        *size = c->size;
        r->repaired = was; /* recorded, so damaged or lost */
        *repin = known && strcmp(known, c->parquet_sha);
        if (rc == 0 && r->repaired)
            dt_log(DT_LOG_INFO, "%s: the stored bytes of %.12s %s; stored them again", w->table,
                   c->data_sha, exists ? "did not match their record" : "were missing");
    }
    free(key);
    return rc ? dt_error_wrap("upload %s", w->table) : 0;
}

static int save_docs(wctx *w, json_t *meta, const char *metadata_sha, const char *parquet_sha,
                     uint64_t size, size_t *versions)
{
    dt_project *p = w->p;
    char *paths[3];
    table_docs(w->table, paths);
    char *dir = dt_path_join(p->root, w->table);
    int rc = dt_fs_mkdirs(dir, 0755);
    free(dir);
    char *full = NULL;
    if (rc == 0) {
        full = dt_path_join(p->root, paths[0]);
        rc = dt_json_save(full, meta);
        free(full);
    }
    dt_crash_point("metadata-written");
    char *msg = w->o->message ? dt_strdup(w->o->message)
                : w->o->sync_status ? dt_sprintf("Sync %s (%s)", w->table, w->o->sync_status)
                                    : dt_sprintf("Update %s", w->table);
    dt_hist_in h = {.version = metadata_sha,
                    .data_sha = dt_json_str(meta, "data_sha"),
                    .timestamp = dt_json_str(meta, "created_at"),
                    .author_name = w->author.name,
                    .author_email = w->author.email,
                    .message = msg,
                    .parquet_sha = parquet_sha[0] ? parquet_sha : NULL,
                    .original_file_sha = w->file_sha[0] ? w->file_sha : NULL};
    json_t *entry = dt_history_entry(&h);
    dt_history_add(w->cur_hist, entry);
    json_decref(entry);
    *versions = json_array_size(w->cur_hist);
    if (rc == 0) {
        full = dt_path_join(p->root, paths[1]);
        rc = dt_json_save(full, w->cur_hist);
        free(full);
    }
    dt_crash_point("history-written");
    json_t *manifest = NULL;
    if (rc == 0)
        rc = dt_manifest_load(p, &manifest);
    if (rc == 0) {
        dt_manifest_row row = {.version = metadata_sha,
                               .data_sha = dt_json_str(meta, "data_sha"),
                               .size_bytes = size,
                               .version_count = *versions,
                               .original_file_sha = w->file_sha[0] ? w->file_sha : NULL,
                               .original_format = w->file_sha[0] ? w->format : NULL};
        dt_manifest_set(manifest, w->table, &row, dt_now_ms());
        full = dt_path_join(p->root, paths[2]);
        rc = dt_json_save(full, manifest);
        free(full);
    }
    json_decref(manifest);
    dt_crash_point("manifest-written");
    free(msg);
    free_paths(paths);
    return rc;
}

static int commit_docs(wctx *w, const char *message, char commit_sha[41])
{
    char *paths[3];
    table_docs(w->table, paths);
    int rc = dt_git_commit(w->p->git, (const char *const *)paths, 3, message, &w->author, commit_sha);
    free_paths(paths);
    return rc;
}

/* The frozen copy of the version this write replaces, when a crash (after its
 * commit, before its mirror) left it out: every version stays readable from
 * the store alone. */
static int heal_frozen(wctx *w)
{
    if (!w->cur_meta)
        return 0;
    char *rel = dt_sprintf("%s/.metadata/%s.json", w->table, w->cur_sha);
    char *key = dt_project_key(w->p, rel);
    int rc = datom_store_stat(w->p->store, key, NULL);
    if (rc == DATOM_ENOTFOUND) {
        datom_errclear();
        rc = dt_mirror_put(w->p, rel, w->cur_meta);
    }
    free(rel);
    free(key);
    return rc;
}

/* Classifies against the current version and, unless nothing changed,
 * places the bytes and commits the documents (steps 3 to 6 before the push). */
static int publish(wctx *w, converted *c, dt_write_result *r)
{
    json_t *meta = build_meta(w, c, c->parquet_sha, c->size);
    dt_meta_sha(meta, r->metadata_sha);
    memcpy(r->data_sha, c->data_sha, DATOM_SHA_HEX);
    r->commit_sha[0] = '\0';
    bool same = w->cur_meta && !strcmp(r->metadata_sha, w->cur_sha);
    const char *cur_data = w->cur_meta ? dt_json_str(w->cur_meta, "data_sha") : NULL;
    r->action = same ? "none" : cur_data && !strcmp(cur_data, c->data_sha) ? "metadata_only" : "full";
    char parquet_sha[DATOM_SHA_HEX];
    uint64_t size = c->size;
    bool repin;
    int rc = place_bytes(w, c, parquet_sha, &size, r, &repin);
    if (rc || (same && !repin))
        goto out;
    dt_crash_point("uploaded");
    if (repin)
        repin_history(w->cur_hist, c->data_sha, parquet_sha);
    /* the final document: the recorded object's parquet_sha and size */
    json_decref(meta);
    meta = build_meta(w, c, parquet_sha[0] ? parquet_sha : NULL, size);
    size_t versions;
    if ((rc = dt_leftover_mark(w->p, w->table)) != 0 ||
        (rc = save_docs(w, meta, r->metadata_sha, parquet_sha, size, &versions)) != 0)
        goto out;
    char *repair = same ? dt_sprintf("Repair %s: stored bytes of %.12s restored", w->table,
                                     c->data_sha)
                        : NULL;
    rc = commit_docs(w, repair ? repair : dt_json_str(json_array_get(w->cur_hist, 0), "commit_message"),
                     r->commit_sha);
    free(repair);
    if (rc == 0)
        dt_leftover_unmark(w->p, w->table);
    dt_crash_point("committed");
out:
    json_decref(meta);
    return rc;
}

/* A push lost to another writer: drop our commit, take theirs, and start the
 * classification again on top of it (the converted file is kept). */
static int rebase_write(wctx *w, const char *base)
{
    dt_project *p = w->p;
    int rc = dt_git_reset_hard(p->git, base);
    if (rc == 0)
        rc = dt_project_pull(p->git);
    json_decref(w->cur_meta);
    json_decref(w->cur_hist);
    w->cur_meta = w->cur_hist = NULL;
    if (rc == 0)
        rc = load_current(w);
    return rc;
}

/* Steps 3 to 7, with the push retried on a non-fast-forward. */
static int finish_write(wctx *w, converted *c, dt_write_result *r)
{
    dt_project *p = w->p;
    for (int attempt = 0;; attempt++) {
        char base[41] = "";
        int rc = dt_git_head(p->git, base);
        if (rc == 0)
            rc = publish(w, c, r);
        if (rc || !r->commit_sha[0])
            return rc;
        if (p->remote_url) {
            rc = dt_git_push(p->git);
            if (rc == DATOM_ECONFLICT && attempt < PUSH_RETRIES) {
                datom_errclear();
                /* a little random wait, so that two writers do not collide again */
                if (attempt == 0)
                    srand((unsigned)getpid() ^ (unsigned)dt_monotonic_ns());
                usleep((useconds_t)(10000 + (unsigned)rand() % 40000) * (useconds_t)(attempt + 1));
                if ((rc = rebase_write(w, base)) != 0)
                    return rc;
                continue;
            }
            if (rc)
                return rc;
        }
        dt_crash_point("pushed");
        rc = dt_table_mirror(p, w->table);
        if (rc == 0 && r->repaired) /* the restored bytes are this write's own */
            rc = repin_frozen(w, r->metadata_sha, c->data_sha, c->parquet_sha);
        dt_crash_point("mirrored");
        return rc;
    }
}

static int prepare(wctx *w, const char *file)
{
    dt_project *p = w->p;
    int rc = dt_table_name_check(w->table);
    if (rc == 0)
        rc = dt_git_author_resolve(p->git, w->o->author, &w->author);
    /* the committed state as it is here: a first look, taken again under the
     * lock (a pull moves HEAD and the work tree, so it happens only there) */
    if (rc == 0)
        rc = dt_table_name_new_check(p, w->table);
    if (rc == 0)
        rc = load_current(w);
    if (rc == 0)
        rc = custom_from(w->o, &w->custom);
    if (rc == 0)
        rc = parents_from(p, w->o, &w->lin);
    if (rc)
        return rc;
    w->table_type = w->o->derived || w->o->n_parents ? "derived" : "imported";
    w->format = dt_input_format_name(file);
    if (!strcmp(w->table_type, "imported")) {
        if (!dt_fs_exists(file))
            return dt_error(DATOM_ENOTFOUND, "%s: no such file", file);
        rc = dt_sha256_file(file, w->file_sha, NULL);
    }
    return rc;
}

/* Inside the lock: no leftovers (they would stop a pull's replay), then the
 * latest committed state. */
static int refresh(wctx *w)
{
    int rc = dt_discard_leftovers(w->p, false, NULL);
    if (rc == 0 && w->p->remote_url)
        rc = dt_project_pull(w->p->git);
    json_decref(w->cur_meta);
    json_decref(w->cur_hist);
    w->cur_meta = w->cur_hist = NULL;
    return rc ? rc : load_current(w);
}

/* Pushes the commits a write killed before its push left behind (under the
 * lock, after its pull: the remote has everything else). */
static int push_pending(dt_project *p)
{
    size_t ahead = 0;
    int rc = p->remote_url ? dt_git_unpushed(p->git, &ahead) : 0;
    return rc == 0 && ahead ? dt_git_push(p->git) : rc;
}

/* Converts (unless the input is unchanged), then publishes under the lock. If
 * someone else changed the table while an unchanged input was being skipped,
 * goes round once more, converting this time. */
static int write_locked(wctx *w, const char *file, converted *c, dt_write_result *r)
{
    int rc = 0;
    for (int round = 0; rc == 0 && round < 2; round++) {
        bool skip = unchanged_input(w) && current_object_sized(w);
        if (!skip && !c->tmp_path) {
            rc = convert(w->p, file, w->o, c);
            dt_crash_point("converted");
            if (rc == 0)
                rc = upload_if_missing(w, c);
            if (rc)
                break;
        }
        dt_wlock lock;
        if ((rc = dt_wlock_acquire(w->p, &lock, DT_WLOCK_WAIT_MS)) != 0)
            break;
        rc = refresh(w);
        if (rc == 0)
            rc = heal_frozen(w);
        if (rc == 0 && skip && !(unchanged_input(w) && current_object_sized(w))) {
            dt_wlock_release(w->p, &lock);
            continue;
        }
        if (rc == 0 && skip) {
            r->skipped = true;
            r->action = "none";
            memcpy(r->metadata_sha, w->cur_sha, DATOM_SHA_HEX);
            snprintf(r->data_sha, DATOM_SHA_HEX, "%s", dt_json_str(w->cur_meta, "data_sha"));
        } else if (rc == 0) {
            rc = finish_write(w, c, r);
        }
        /* a no-op still completes a publication a crash cut short: the push
         * (of any table's commit), then this table's mirror */
        if (rc == 0 && !strcmp(r->action, "none"))
            rc = push_pending(w->p);
        if (rc == 0 && !strcmp(r->action, "none") && w->cur_meta &&
            dt_mirror_needed(w->p, w->table, w->cur_sha))
            rc = dt_table_mirror(w->p, w->table);
        dt_wlock_release(w->p, &lock);
        break;
    }
    return rc;
}

int dt_table_write(dt_project *p, const char *table, const char *file, const dt_write_opts *o,
                   dt_write_result *r)
{
    static const dt_write_opts defaults = {0};
    memset(r, 0, sizeof *r);
    r->action = "none";
    if (!p->git)
        return dt_error(DATOM_EINVAL, "write %s: needs a project work tree (this is a store-only "
                                      "reader)",
                        table);
    if (dt_project_need_store(p) != 0)
        return dt_error_wrap("write %s", table);
    wctx w = {.p = p, .table = table, .o = o ? o : &defaults};
    converted c = {0};
    dt_project_tmp_sweep(p);
    int rc = prepare(&w, file);
    if (rc == 0)
        rc = write_locked(&w, file, &c, r);
    converted_free(&c);
    wctx_free(&w);
    return rc ? dt_error_wrap("write %s", table) : 0;
}
