/*
 * write.c: writing a version of a table (specs/datom-format.md section 6).
 *
 * The order is what makes a crash harmless (DESIGN principle 7): the Parquet
 * bytes reach the store first, then the documents are written and committed
 * (the commit is the publication for git readers), then pushed, and the store
 * mirror is updated last, frozen copy first and manifest last. A crash at any
 * point leaves readers on the old or the new version, and every version they
 * can see points at bytes that exist. Documents left uncommitted by a crash
 * are discarded by the next write (they are never read: readers use HEAD).
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
static int stream_batches(dt_input *in, dt_cv1 *cv, dt_pq_writer *pw)
{
    for (;;) {
        dt_table *b = NULL;
        int rc = dt_input_next(in, &b);
        if (rc || !b)
            return rc;
        if ((rc = dt_cv1_add(cv, b)) != 0 || (rc = dt_pq_writer_write(pw, b)) != 0)
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
    rc = stream_batches(&in, cv, pw);
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

/* Puts the work-tree copy of a committed document back as HEAD has it (or
 * removes it): the leftovers of an interrupted write. */
static int restore_doc(dt_project *p, const char *rel)
{
    dt_buf b = DT_BUF_INIT;
    char *path = dt_path_join(p->root, rel);
    int rc = dt_git_read_file(p->git, NULL, rel, &b);
    if (rc == DATOM_ENOTFOUND) {
        datom_errclear();
        rc = 0;
        if (dt_fs_exists(path) && unlink(path) != 0)
            rc = dt_error_errno(errno, "%s", path);
    } else if (rc == 0) {
        dt_buf now = DT_BUF_INIT;
        if (dt_fs_read_all(path, &now, 1u << 30) != 0 || now.len != b.len ||
            memcmp(now.data, b.data, b.len) != 0) {
            datom_errclear();
            rc = dt_fs_write_atomic(path, b.data ? (const void *)b.data : "", b.len);
        }
        dt_buf_free(&now);
    }
    free(path);
    dt_buf_free(&b);
    return rc;
}

static int table_docs(const char *table, char *paths[3])
{
    paths[0] = dt_table_path(table, "metadata.json");
    paths[1] = dt_table_path(table, "version_history.json");
    paths[2] = dt_strdup(".datom/manifest.json");
    return 0;
}

static void free_paths(char *paths[3])
{
    for (int i = 0; i < 3; i++)
        free(paths[i]);
}

static int discard_interrupted(dt_project *p, const char *table)
{
    char *paths[3];
    table_docs(table, paths);
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = restore_doc(p, paths[i]);
    free_paths(paths);
    return rc;
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

/* Steps 4-5: which Parquet object the version points at, uploading it if new.
 * Writes the parquet_sha to record (may become "" for an old table without
 * one) and the object's size. */
static int place_bytes(wctx *w, const converted *c, const char *action, char parquet_sha[DATOM_SHA_HEX],
                       uint64_t *size)
{
    char *rel = dt_sprintf("%s/%s.parquet", w->table, c->data_sha);
    char *key = dt_project_key(w->p, rel);
    free(rel);
    int rc = 0;
    const char *known = NULL;
    if (!strcmp(action, "metadata_only"))
        known = dt_json_str(w->cur_meta, "parquet_sha");
    else
        known = dt_history_parquet_sha(w->cur_hist, c->data_sha);
    bool exists = datom_store_stat(w->p->store, key, size) == 0;
    datom_errclear();
    if (exists && (known || !strcmp(action, "metadata_only"))) {
        /* reverting, or the same content: the recorded object stays untouched */
        snprintf(parquet_sha, DATOM_SHA_HEX, "%s", known ? known : "");
    } else if (exists && c->uploaded) {
        memcpy(parquet_sha, c->parquet_sha, DATOM_SHA_HEX);
    } else if (exists) {
        /* an object nobody recorded (a write that crashed before its commit):
         * record what is stored, so the pin matches the bytes readers get */
        char *tmpdir = dt_project_tmpdir(w->p);
        char *tmp = dt_sprintf("%s/check-%d.parquet", tmpdir, (int)getpid());
        rc = datom_store_get_file(w->p->store, key, tmp);
        if (rc == 0)
            rc = dt_sha256_file(tmp, parquet_sha, size);
        unlink(tmp);
        free(tmp);
        free(tmpdir);
    } else {
        rc = datom_store_put_file(w->p->store, key, c->tmp_path);
        if (rc == 0) {
            memcpy(parquet_sha, c->parquet_sha, DATOM_SHA_HEX);
            *size = c->size;
        }
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
    int rc = 0;
    if (w->cur_meta && !strcmp(r->metadata_sha, w->cur_sha)) {
        r->action = "none";
        goto out;
    }
    const char *cur_data = w->cur_meta ? dt_json_str(w->cur_meta, "data_sha") : NULL;
    r->action = cur_data && !strcmp(cur_data, c->data_sha) ? "metadata_only" : "full";
    char parquet_sha[DATOM_SHA_HEX];
    uint64_t size = c->size;
    if ((rc = place_bytes(w, c, r->action, parquet_sha, &size)) != 0)
        goto out;
    dt_crash_point("uploaded");
    /* the final document: the recorded object's parquet_sha and size */
    json_decref(meta);
    meta = build_meta(w, c, parquet_sha[0] ? parquet_sha : NULL, size);
    size_t versions;
    if ((rc = save_docs(w, meta, r->metadata_sha, parquet_sha, size, &versions)) != 0)
        goto out;
    const char *msg = dt_json_str(json_array_get(w->cur_hist, 0), "commit_message");
    rc = commit_docs(w, msg, r->commit_sha);
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
        if (rc || !strcmp(r->action, "none"))
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
    if (rc == 0 && p->remote_url)
        rc = dt_project_pull(p->git);
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

/* Inside the lock: the latest committed state, and no leftovers. */
static int refresh(wctx *w)
{
    int rc = w->p->remote_url ? dt_project_pull(w->p->git) : 0;
    if (rc == 0)
        rc = discard_interrupted(w->p, w->table);
    json_decref(w->cur_meta);
    json_decref(w->cur_hist);
    w->cur_meta = w->cur_hist = NULL;
    return rc ? rc : load_current(w);
}

#define LOCK_TIMEOUT_MS 300000

/* Converts (unless the input is unchanged), then publishes under the lock. If
 * someone else changed the table while an unchanged input was being skipped,
 * goes round once more, converting this time. */
static int write_locked(wctx *w, const char *file, converted *c, dt_write_result *r)
{
    int rc = 0;
    for (int round = 0; rc == 0 && round < 2; round++) {
        bool skip = unchanged_input(w);
        if (!skip && !c->tmp_path) {
            rc = convert(w->p, file, w->o, c);
            dt_crash_point("converted");
            if (rc == 0)
                rc = upload_if_missing(w, c);
            if (rc)
                break;
        }
        dt_wlock lock;
        if ((rc = dt_wlock_acquire(w->p, &lock, LOCK_TIMEOUT_MS)) != 0)
            break;
        rc = refresh(w);
        if (rc == 0)
            rc = heal_frozen(w);
        if (rc == 0 && skip && !unchanged_input(w)) {
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
        /* a no-op still heals a mirror that a crash left behind */
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
