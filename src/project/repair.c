/*
 * repair.c: finishing what an interrupted write left behind. A write that is
 * killed, or that fails half way, leaves one of these, and nothing else:
 *   (1) documents written but not committed (the work tree differs from
 *       HEAD): invisible to readers, discarded (put back as HEAD has them);
 *   (2) a commit not pushed (the push failed, or a kill came first): pushed;
 *   (3) a commit whose store mirror lags (a kill between the commit and the
 *       mirror's last put): mirrored, frozen copies first, manifest last.
 * (1) happens at the start of every write, under the write lock; (2) and (3)
 * at the end of every write and of `datom repair`.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "project/metadata.h"
#include "project/tables.h"
#include "project/wlock.h"

/* Puts the work-tree copy of REL back as HEAD has it, or removes it when
 * HEAD has none. */
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
            char *dir = dt_path_dirname(path);
            rc = dt_fs_mkdirs(dir, 0755);
            free(dir);
            if (rc == 0)
                rc = dt_fs_write_atomic(path, b.data ? (const void *)b.data : "", b.len);
        }
        dt_buf_free(&now);
    }
    free(path);
    dt_buf_free(&b);
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

int dt_discard_leftovers(dt_project *p, const char *table)
{
    dt_strv changed = DT_STRV_INIT, docs = DT_STRV_INIT;
    json_t *manifest = NULL;
    int rc = dt_git_changed(p->git, &changed);
    if (rc == 0)
        rc = dt_manifest_load(p, &manifest);
    json_t *tables = manifest ? json_object_get(manifest, "tables") : NULL;
    for (size_t i = 0; rc == 0 && i < changed.n; i++)
        if (is_doc(tables, changed.v[i]))
            push_unique(&docs, dt_strdup(changed.v[i]));
    /* a first write's documents are untracked: git status does not list them */
    if (rc == 0 && table && !json_object_get(tables, table)) {
        push_unique(&docs, dt_table_path(table, "metadata.json"));
        push_unique(&docs, dt_table_path(table, "version_history.json"));
    }
    for (size_t i = 0; rc == 0 && i < docs.n; i++)
        rc = restore_doc(p, docs.v[i]);
    if (rc == 0)
        rc = dt_git_index_reset(p->git, (const char *const *)docs.v, docs.n);
    if (rc == 0 && docs.n)
        dt_verbose("discarded what an interrupted write left in %zu document%s", docs.n,
                   docs.n == 1 ? "" : "s");
    json_decref(manifest);
    dt_strv_free(&changed);
    dt_strv_free(&docs);
    return rc ? dt_error_wrap("discard an interrupted write's documents") : 0;
}

int dt_project_exchange(dt_project *p, bool push)
{
    dt_wlock lock;
    int rc = dt_wlock_acquire(p, &lock, DT_WLOCK_WAIT_MS);
    if (rc)
        return rc;
    rc = dt_discard_leftovers(p, NULL);
    if (rc == 0)
        rc = push ? dt_git_push(p->git) : dt_project_pull(p->git);
    dt_wlock_release(p, &lock);
    return rc;
}
