/*
 * repair.c: finishing what an interrupted write left behind. A write that is
 * killed, or that fails half way, leaves some of these, and nothing else
 * (write.c's order sees to it):
 *   (1) documents written but not committed (the work tree differs from
 *       HEAD): invisible to readers; discarded, put back as HEAD has them;
 *   (2) commits not pushed (the push failed, or a kill came first): pushed;
 *   (3) a store mirror behind HEAD (a kill between the commit and the
 *       mirror's last put, or a push that failed): mirrored, frozen copies
 *       first (recovered from git history when a version's write never
 *       made one), the manifest last.
 * (1) is done by every command that moves the work tree (write, sync, pull,
 * push), under the write lock, before anything else, for the tables a write
 * marked before it wrote their documents (.datom/cache/writing/{table},
 * removed once committed: finding them costs a readdir, not a walk of the
 * work tree); `datom repair` also asks git status, for anything else; (2) and (3) by the end
 * of every write and of push and pull, from which the next command that
 * writes completes an interrupted publication; `datom repair` does all of
 * them at once, and rebuilds a manifest that disagrees with the tables'
 * documents. Every step is idempotent and keeps the crash-safe order, so a
 * repair that is itself killed is finished by the next one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "project/metadata.h"
#include "project/tables.h"
#include "project/wlock.h"

/* ---- (1) uncommitted documents ---- */

/* Moves the work tree's REL into ASIDE (.datom/cache/leftovers/..., which
 * git ignores): what is discarded is never destroyed. ASIDE NULL: REL is
 * this process's own, and is removed. */
static int set_aside(dt_project *p, const char *rel, const char *aside)
{
    char *from = dt_path_join(p->root, rel);
    if (!aside) {
        int rc = unlink(from) != 0 && errno != ENOENT ? dt_error_errno(errno, "%s", from) : 0;
        free(from);
        return rc;
    }
    char *to = dt_path_join(aside, rel);
    char *dir = dt_path_dirname(to);
    int rc = dt_fs_mkdirs(dir, 0755);
    if (rc == 0 && rename(from, to) != 0 && errno != ENOENT)
        rc = dt_error_errno(errno, "%s", from);
    free(from);
    free(to);
    free(dir);
    return rc;
}

/* Puts the work-tree copy of REL back as HEAD has it, or removes it when
 * HEAD has none; a copy that differs is first set aside in ASIDE. *changed
 * (may be NULL): there was something to put back. */
static int restore_doc(dt_project *p, const char *rel, const char *aside, bool *changed)
{
    dt_buf b = DT_BUF_INIT, now = DT_BUF_INIT;
    char *path = dt_path_join(p->root, rel);
    int rc = dt_git_read_file(p->git, NULL, rel, &b);
    bool in_head = rc == 0;
    if (rc == DATOM_ENOTFOUND) {
        datom_errclear();
        rc = 0;
    }
    bool there = dt_fs_exists(path);
    bool same = in_head && there && dt_fs_read_all(path, &now, 1u << 30) == 0 && now.len == b.len &&
                memcmp(now.data, b.data, b.len) == 0;
    datom_errclear();
    if (changed)
        *changed = (there || in_head) && !same;
    if (rc == 0 && there && !same)
        rc = set_aside(p, rel, aside);
    if (rc == 0 && in_head && !same) {
        char *dir = dt_path_dirname(path);
        rc = dt_fs_mkdirs(dir, 0755);
        free(dir);
        if (rc == 0)
            rc = dt_fs_write_atomic(path, b.data ? (const void *)b.data : "", b.len);
    }
    free(path);
    dt_buf_free(&b);
    dt_buf_free(&now);
    return rc;
}

/* Whether REL is one of datom's documents: the manifest, or the
 * metadata.json or version_history.json of a table of TABLES. */
static bool is_doc(const json_t *tables, const char *rel)
{
    if (!strcmp(rel, DT_MANIFEST_PATH))
        return true;
    const char *slash = strchr(rel, '/');
    if (!slash || strchr(slash + 1, '/') ||
        (strcmp(slash + 1, "metadata.json") && strcmp(slash + 1, "version_history.json")))
        return false;
    char *table = dt_strndup(rel, (size_t)(slash - rel));
    bool yes = json_object_get(tables, table) != NULL;
    free(table);
    return yes;
}

static void push_unique(dt_strv *v, char *s)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->v[i], s)) {
            free(s);
            return;
        }
    dt_strv_push_owned(v, s);
}

/* An untracked document of TABLE, a table HEAD does not have, that a write
 * of this project made and never committed: it parses as a table's metadata
 * (or history), and the store holds the bytes it names under TABLE (a write
 * stores them before it writes a document). Anything else (the user's own
 * files, a copy of another table's documents) is left alone. */
static bool untracked_doc(dt_project *p, const char *table, const char *rel, bool history)
{
    char *path = dt_path_join(p->root, rel);
    json_t *doc = NULL;
    bool yes = dt_fs_exists(path) && dt_json_load_file(path, &doc) == 0 &&
               (history ? dt_history_check(doc, rel) : dt_meta_check(doc, rel)) == 0;
    const char *data_sha = yes ? dt_json_str(history ? json_array_get(doc, 0) : doc, "data_sha") : NULL;
    char *key = NULL;
    if (data_sha) {
        char *obj = dt_sprintf("%s/%s.parquet", table, data_sha);
        key = dt_project_key(p, obj);
        free(obj);
    }
    yes = key && datom_store_stat(p->store, key, NULL) == 0;
    datom_errclear();
    json_decref(doc);
    free(key);
    free(path);
    return yes;
}

/* Adds to DOCS the untracked documents of first writes that were never
 * committed: a readdir of the work tree's top, and for each directory that
 * is not a table, a stat or two (a store stat for documents it finds). */
static void untracked_leftovers(dt_project *p, const json_t *tables, dt_strv *docs)
{
    DIR *d = opendir(p->root);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || json_object_get(tables, e->d_name) ||
            dt_table_name_check(e->d_name) != 0) {
            datom_errclear();
            continue;
        }
        char *m = dt_table_path(e->d_name, "metadata.json");
        char *h = dt_table_path(e->d_name, "version_history.json");
        if (dt_git_tracked(p->git, m)) { /* git's: a changed one is listed by status */
            free(m);
            free(h);
            continue;
        }
        if (untracked_doc(p, e->d_name, m, false))
            push_unique(docs, m), m = NULL;
        if (untracked_doc(p, e->d_name, h, true))
            push_unique(docs, h), h = NULL;
        free(m);
        free(h);
    }
    if (d)
        closedir(d);
}

/* Adds to DOCS the temporary copies of documents (dt_fs_write_atomic's
 * DOC.tmp.PID.XXXXXX) that processes killed before their rename left in the
 * work tree's DIR: never read, but git would list them as untracked. */
static void stale_temps(dt_project *p, const char *dir, dt_strv *docs)
{
    static const char *const names[] = {"metadata.json", "version_history.json", "manifest.json"};
    char *path = dt_path_join(p->root, dir);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            long pid = dt_fs_atomic_tmp_pid(e->d_name, names[i]);
            if (pid && pid != getpid() && dt_pid_gone(pid))
                push_unique(docs, dt_path_join(dir, e->d_name));
        }
    }
    if (d)
        closedir(d);
    free(path);
}

/* The directories that may hold such copies: the manifest's, those of the
 * documents in DOCS, and every table's of TABLES (may be NULL). */
static void stale_temps_all(dt_project *p, const json_t *tables, dt_strv *docs)
{
    dt_strv dirs = DT_STRV_INIT;
    push_unique(&dirs, dt_strdup(".datom"));
    for (size_t i = 0; i < docs->n; i++)
        push_unique(&dirs, dt_path_dirname(docs->v[i]));
    const char *k;
    json_t *row;
    json_object_foreach((json_t *)tables, k, row)
        push_unique(&dirs, dt_strdup(k));
    for (size_t i = 0; i < dirs.n; i++)
        stale_temps(p, dirs.v[i], docs);
    dt_strv_free(&dirs);
}

int dt_leftover_docs(dt_project *p, dt_strv *docs)
{
    dt_strv changed = DT_STRV_INIT;
    json_t *manifest = NULL;
    int rc = dt_git_changed(p->git, &changed);
    if (rc == 0)
        rc = dt_manifest_load(p, &manifest);
    json_t *tables = manifest ? json_object_get(manifest, "tables") : NULL;
    for (size_t i = 0; rc == 0 && i < changed.n; i++)
        if (is_doc(tables, changed.v[i]))
            push_unique(docs, dt_strdup(changed.v[i]));
    if (rc == 0)
        untracked_leftovers(p, tables, docs);
    if (rc == 0)
        stale_temps_all(p, tables, docs);
    json_decref(manifest);
    dt_strv_free(&changed);
    return rc;
}

/* ---- marks: the tables whose documents a write in progress may leave ---- */

static char *mark_path(const dt_project *p, const char *table)
{
    return dt_sprintf("%s/" DT_WRITING_DIR "/%s", p->root, table);
}

int dt_leftover_mark(dt_project *p, const char *table)
{
    char *dir = dt_path_join(p->root, DT_WRITING_DIR), *path = mark_path(p, table);
    int rc = dt_fs_mkdirs(dir, 0755);
    int fd = rc == 0 ? open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (rc == 0 && fd < 0)
        rc = dt_error_errno(errno, "%s", path);
    if (fd >= 0)
        close(fd);
    free(dir);
    free(path);
    return rc;
}

void dt_leftover_unmark(dt_project *p, const char *table)
{
    char *path = mark_path(p, table);
    unlink(path);
    free(path);
}

/* The documents of the tables marked by writes that did not finish (their
 * names to MARKS): a readdir of a directory that is empty but after a crash. */
static void marked_docs(dt_project *p, dt_strv *docs, dt_strv *marks)
{
    char *dir = dt_path_join(p->root, DT_WRITING_DIR);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        dt_strv_push(marks, e->d_name);
        if (dt_table_name_check(e->d_name) != 0) {
            datom_errclear();
            continue;
        }
        push_unique(docs, dt_table_path(e->d_name, "metadata.json"));
        push_unique(docs, dt_table_path(e->d_name, "version_history.json"));
        push_unique(docs, dt_strdup(DT_MANIFEST_PATH));
    }
    if (d)
        closedir(d);
    free(dir);
}

int dt_discard_leftovers(dt_project *p, bool full, dt_strv *discarded)
{
    dt_strv docs = DT_STRV_INIT, marks = DT_STRV_INIT, put_back = DT_STRV_INIT;
    int rc = full ? dt_leftover_docs(p, &docs) : 0;
    marked_docs(p, &docs, &marks);
    if (rc == 0 && !full) /* dt_leftover_docs found them all */
        stale_temps_all(p, NULL, &docs);
    char *aside = docs.n ? dt_sprintf("%s/" DT_LEFTOVERS_DIR "/%lld-%d", p->root,
                                      (long long)dt_now_ms(), (int)getpid())
                         : NULL;
    for (size_t i = 0; rc == 0 && i < docs.n; i++) {
        bool changed = false;
        if ((rc = restore_doc(p, docs.v[i], aside, &changed)) == 0 && changed)
            dt_strv_push(&put_back, docs.v[i]);
    }
    if (rc == 0)
        rc = dt_git_index_reset(p->git, (const char *const *)docs.v, docs.n);
    if (rc == 0 && put_back.n)
        dt_log(DT_LOG_INFO, "note: an interrupted write left %zu uncommitted document%s: put "
                            "back as committed; the uncommitted copies are in %s",
               put_back.n, put_back.n == 1 ? "" : "s", aside);
    for (size_t i = 0; rc == 0 && i < marks.n; i++)
        dt_leftover_unmark(p, marks.v[i]);
    for (size_t i = 0; rc == 0 && discarded && i < put_back.n; i++)
        dt_strv_push(discarded, put_back.v[i]);
    free(aside);
    dt_strv_free(&docs);
    dt_strv_free(&marks);
    dt_strv_free(&put_back);
    return rc ? dt_error_wrap("discard an interrupted write's documents") : 0;
}

/* ---- (2) and (3): publishing what is committed ---- */

int dt_project_exchange(dt_project *p, bool push)
{
    if (!p->store) /* a clone without its store: no write can run here either */
        return push ? dt_git_push(p->git) : dt_project_pull(p->git);
    dt_wlock lock;
    int rc = dt_wlock_acquire(p, &lock, DT_WLOCK_WAIT_MS);
    if (rc)
        return rc;
    rc = dt_discard_leftovers(p, false, NULL);
    if (rc == 0)
        rc = push ? dt_git_push(p->git) : dt_project_pull(p->git);
    /* what was committed and pushed, here or by a clone whose mirror was cut
     * short, reaches the mirror; a pull's replayed local commits wait for a push */
    size_t ahead = 0;
    if (rc == 0 && (rc = dt_git_unpushed(p->git, &ahead)) == 0 && !ahead)
        rc = dt_table_mirror(p, NULL);
    dt_wlock_release(p, &lock);
    return rc;
}

/* ---- datom repair ---- */

typedef struct repair_ctx {
    dt_project *p;
    const char *author_spec; /* "Name <email>", NULL: git's configuration */
    dt_git_author author;    /* resolved when a commit is first needed */
    dt_strv *done;
} repair_ctx;

/* Writes DOC to REL in the work tree and commits it with MESSAGE. The author
 * is resolved first (a missing identity fails before anything is written); a
 * failed commit puts REL back as HEAD has it: a failed repair changes nothing. */
static int commit_doc(repair_ctx *r, const char *rel, const json_t *doc, const char *message)
{
    int rc = r->author.name ? 0 : dt_git_author_resolve(r->p->git, r->author_spec, &r->author);
    if (rc)
        return rc;
    char *full = dt_path_join(r->p->root, rel);
    const char *paths[] = {rel};
    char commit[41];
    rc = dt_json_save(full, doc);
    if (rc == 0)
        rc = dt_git_commit(r->p->git, paths, 1, message, &r->author, commit);
    if (rc) {
        int code = datom_errcode();
        char *msg = dt_strdup(datom_errmsg());
        restore_doc(r->p, rel, NULL, NULL);
        dt_error(code, "%s", msg);
        free(msg);
    }
    free(full);
    return rc;
}

/* Versions an earlier datom dropped from a history: a write that committed
 * from a stale index put back another writer's older version_history.json
 * (issue 8). Every version ever written had its metadata.json committed by
 * its own write, so the commits that changed a {table}/metadata.json name
 * them all; one whose metadata_sha the table's history lacks was lost, and
 * its entry is rebuilt from that metadata.json and that commit (author,
 * message). One walk of the history serves every table. */
typedef struct lost_scan {
    dt_project *p;
    json_t *hists; /* table -> HEAD's history */
    json_t *found; /* table -> rebuilt entries */
    json_t *after; /* table -> per found entry, the version written next (or null) */
    json_t *newer; /* table -> the version the walk (newest first) saw last */
} lost_scan;


/* The entry the write of META made, in commit C. */
static json_t *entry_of(const json_t *meta, const char *version, const dt_git_commit_info *c)
{
    char *msg = dt_strdup(c->message ? c->message : "");
    msg[strcspn(msg, "\n")] = '\0';
    const char *pin = dt_json_str(meta, "parquet_sha"), *when = dt_json_str(meta, "created_at");
    dt_hist_in h = {.version = version,
                    .data_sha = dt_json_str(meta, "data_sha"),
                    .timestamp = when ? when : "",
                    .author_name = c->author_name,
                    .author_email = c->author_email,
                    .message = msg,
                    .parquet_sha = pin && *pin ? pin : NULL,
                    .original_file_sha = dt_json_str(meta, "original_file_sha")};
    json_t *e = dt_history_entry(&h);
    free(msg);
    return e;
}

static int lost_cb(void *ctx, const dt_git_commit_info *c, const char *path)
{
    lost_scan *l = ctx;
    const char *slash = strchr(path, '/');
    if (!slash || strcmp(slash + 1, "metadata.json"))
        return 0;
    char *table = dt_strndup(path, (size_t)(slash - path));
    const json_t *hist = json_object_get(l->hists, table);
    json_t *found = json_object_get(l->found, table);
    dt_buf b = DT_BUF_INIT;
    json_t *m = NULL;
    char sha[DATOM_SHA_HEX] = "";
    if (hist && dt_git_read_file(l->p->git, c->id, path, &b) == 0 &&
        dt_json_load_buf(path, b.data ? (const void *)b.data : "", b.len, &m) == 0 &&
        dt_meta_check(m, path) == 0)
        dt_meta_sha(m, sha);
    datom_errclear();
    if (sha[0] && !dt_history_has(hist, sha) && !(found && dt_history_has(found, sha))) {
        if (!found) {
            json_object_set_new(l->found, table, found = json_array());
            json_object_set_new(l->after, table, json_array());
        }
        json_array_append_new(found, entry_of(m, sha, c));
        json_t *next = json_object_get(l->newer, table);
        json_array_append(json_object_get(l->after, table), next ? next : json_null());
    }
    if (sha[0])
        json_object_set_new(l->newer, table, json_string(sha));
    json_decref(m);
    dt_buf_free(&b);
    free(table);
    return 0;
}

int dt_lost_versions(dt_project *p, json_t **found, json_t **after)
{
    json_t *manifest = NULL;
    lost_scan l = {p, json_object(), json_object(), json_object(), json_object()};
    int rc = dt_manifest_load(p, &manifest);
    const char *k;
    json_t *row;
    json_object_foreach(manifest ? json_object_get(manifest, "tables") : NULL, k, row) {
        json_t *hist = NULL;
        if (dt_table_load(p, k, NULL, &hist) == 0)
            json_object_set_new(l.hists, k, hist);
        datom_errclear(); /* a table that does not load is validate's to report */
    }
    if (rc == 0)
        rc = dt_git_log_changes(p->git, lost_cb, &l);
    json_decref(manifest);
    json_decref(l.hists);
    json_decref(l.newer);
    if (rc == 0 && after)
        *after = json_incref(l.after);
    json_decref(l.after);
    if (rc) {
        json_decref(l.found);
        return rc;
    }
    *found = l.found;
    return 0;
}

/* Puts ENTRY into HIST (newest first) just below the version written after
 * it, NEXT, when the history has it: the order the writes were made in, which
 * timestamps (to the second) cannot tell apart. Otherwise before the first
 * entry older than ENTRY. */
static void insert_lost(json_t *hist, json_t *entry, const char *next)
{
    const char *t = dt_json_str(entry, "timestamp");
    size_t i, n = json_array_size(hist);
    for (i = 0; next && i < n; i++) {
        const char *v = dt_json_str(json_array_get(hist, i), "version");
        if (v && !strcmp(v, next)) {
            json_array_insert(hist, i + 1, entry);
            return;
        }
    }
    for (i = 0; i < n; i++) {
        const char *u = dt_json_str(json_array_get(hist, i), "timestamp");
        if (u && t && strcmp(u, t) < 0)
            break;
    }
    json_array_insert(hist, i, entry);
}

static int recover_lost(repair_ctx *r, const char *table, const json_t *found, const json_t *after)
{
    json_t *hist = NULL;
    int rc = dt_table_load(r->p, table, NULL, &hist);
    size_t n = json_array_size(found);
    if (rc == 0 && n) {
        size_t i;
        json_t *e;
        /* newest first: a lost version's successor, lost too, is back already */
        json_array_foreach(found, i, e)
            insert_lost(hist, e, json_string_value(json_array_get(after, i)));
        char *hrel = dt_table_path(table, "version_history.json");
        char *msg = dt_sprintf("Repair %s: %zu version%s lost by an earlier datom put back in "
                               "its history",
                               table, n, n == 1 ? "" : "s");
        if ((rc = commit_doc(r, hrel, hist, msg)) == 0)
            dt_strv_push_owned(r->done, dt_sprintf("%s: %zu version%s missing from its history "
                                                   "(lost by an earlier datom) put back",
                                                   table, n, n == 1 ? "" : "s"));
        free(msg);
        free(hrel);
    }
    json_decref(hist);
    return rc;
}

/* The manifest rebuilt from the tables' documents, when HEAD's disagrees
 * with them (a write of an older version of datom that lost a race): written
 * and committed. */
static int repair_manifest(repair_ctx *r)
{
    dt_project *p = r->p;
    json_t *head = NULL, *rebuilt = NULL;
    int rc = dt_manifest_load(p, &head);
    if (rc == 0)
        rc = dt_manifest_rebuild(p->git, p->root, p->name, head, &rebuilt);
    json_t *a = head ? json_object_get(head, "tables") : NULL;
    json_t *b = rebuilt ? json_object_get(rebuilt, "tables") : NULL;
    bool differ = rc == 0 && json_object_size(a) != json_object_size(b);
    const char *k;
    json_t *row;
    json_object_foreach(b, k, row) {
        json_t *old = json_object_get(a, k);
        static const char *const fields[] = {"current_version", "current_data_sha", "version_count",
                                             "size_bytes"};
        for (size_t i = 0; old && i < DT_ARRAY_LEN(fields); i++)
            differ |= !json_equal(json_object_get(old, fields[i]), json_object_get(row, fields[i]));
        differ |= !old;
    }
    if (rc == 0 && differ &&
        (rc = commit_doc(r, DT_MANIFEST_PATH, rebuilt,
                         "Repair the manifest: rebuilt from the tables")) == 0)
        dt_strv_push(r->done, "rebuilt the manifest from the tables' documents (committed)");
    json_decref(head);
    json_decref(rebuilt);
    return rc;
}

/* Every version's frozen copy: a missing or damaged one is recovered from git. */
static int repair_frozen(dt_project *p, const char *table, dt_strv *done)
{
    json_t *hist = NULL;
    int rc = dt_table_load(p, table, NULL, &hist);
    size_t i;
    json_t *e;
    json_array_foreach(hist, i, e) {
        const char *v = dt_json_str(e, "version");
        if (rc || !v || dt_mirror_frozen_ok(p, table, v))
            continue;
        rc = dt_mirror_recover_frozen(p, table, v);
        if (rc == 0)
            dt_strv_push_owned(done, dt_sprintf("%s@%.12s: frozen copy put in the store mirror",
                                                table, v));
        else if (rc == DATOM_ENOTFOUND) { /* validate reports it */
            datom_errclear();
            rc = 0;
        }
    }
    json_decref(hist);
    return rc;
}

static int repair_locked(repair_ctx *r)
{
    dt_project *p = r->p;
    dt_strv *done = r->done;
    dt_strv discarded = DT_STRV_INIT;
    size_t ahead = 0;
    int rc = dt_discard_leftovers(p, true, &discarded);
    for (size_t i = 0; i < discarded.n; i++)
        dt_strv_push_owned(done, dt_sprintf("%s: an interrupted write's uncommitted change "
                                            "discarded",
                                            discarded.v[i]));
    dt_strv_free(&discarded);
    if (rc == 0 && p->remote_url)
        rc = dt_project_pull(p->git);
    json_t *lost = NULL, *after = NULL, *manifest = NULL;
    const char *k;
    json_t *row;
    if (rc == 0)
        rc = dt_lost_versions(p, &lost, &after);
    json_object_foreach(lost, k, row) {
        if (rc == 0)
            rc = recover_lost(r, k, row, json_object_get(after, k));
    }
    json_decref(lost);
    json_decref(after);
    if (rc == 0)
        rc = repair_manifest(r);
    if (rc == 0)
        rc = dt_git_unpushed(p->git, &ahead);
    if (rc == 0 && ahead && (rc = dt_git_push(p->git)) == 0)
        dt_strv_push_owned(done, dt_sprintf("pushed %zu commit%s to origin", ahead,
                                            ahead == 1 ? "" : "s"));
    if (rc == 0)
        rc = dt_manifest_load(p, &manifest);
    json_object_foreach(manifest ? json_object_get(manifest, "tables") : NULL, k, row) {
        if (rc == 0)
            rc = repair_frozen(p, k, done);
    }
    json_decref(manifest);
    if (rc == 0)
        rc = dt_mirror_all(p, done);
    return rc;
}

int dt_project_repair(dt_project *p, bool deep, const char *author, dt_strv *done,
                      dt_validate_report *after)
{
    memset(after, 0, sizeof *after);
    if (!p->git)
        return dt_error(DATOM_EINVAL, "repair needs the project's work tree: it completes "
                                      "publications from git (this is a store-only reader)");
    if (dt_project_need_store(p) != 0)
        return dt_error_wrap("repair");
    /* a look first, without the lock: a sound project is left alone, so a
     * repair on a store this user cannot write succeeds when nothing is wrong */
    json_t *lost = NULL;
    int rc = dt_project_validate(p, deep, after);
    if (rc == 0 && !deep) /* validate --deep looked for lost versions already */
        rc = dt_lost_versions(p, &lost, NULL);
    bool clean = rc == 0 && !after->lagging.n && !after->problems.n && !json_object_size(lost);
    json_decref(lost);
    if (rc || clean)
        return rc;
    dt_validate_report_free(after);
    dt_wlock lock;
    if ((rc = dt_wlock_acquire(p, &lock, DT_WLOCK_WAIT_MS)) != 0)
        return dt_error_wrap("repair");
    repair_ctx r = {p, author, {NULL, NULL}, done};
    rc = repair_locked(&r);
    if (rc == 0)
        rc = dt_project_validate(p, deep, after);
    dt_wlock_release(p, &lock);
    dt_git_author_free(&r.author);
    return rc ? dt_error_wrap("repair") : 0;
}
