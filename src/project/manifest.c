/*
 * manifest.c: rebuilding .datom/manifest.json from the tables' own documents,
 * for a pull that replays a local write on top of someone else's (every write
 * changes the manifest, so its text always conflicts; its content does not:
 * it is a summary of {table}/metadata.json and version_history.json).
 * Matches dt_git_regen_fn (git.h); dt_project_pull is the pull every
 * caller makes with it (a write, `datom pull`).
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "project/config.h"
#include "project/metadata.h"
#include "project/tables.h"

/* The row of one table directory, or NULL when it holds no table (with G:
 * none that git tracks or a replay has staged; an untracked copy of a
 * table's documents, or a first write's leftovers, is not a table). */
static json_t *table_row(dt_git *g, const char *workdir, const char *name, const json_t *old_tables)
{
    char *dir = dt_path_join(workdir, name);
    char *mpath = dt_path_join(dir, "metadata.json"), *hpath = dt_path_join(dir, "version_history.json");
    char *mrel = dt_table_path(name, "metadata.json");
    json_t *meta = NULL, *hist = NULL, *row = NULL;
    if (dt_table_name_check(name) == 0 && dt_fs_exists(mpath) && (!g || dt_git_tracked(g, mrel)) &&
        dt_json_load_file(mpath, &meta) == 0 && dt_meta_check(meta, mpath) == 0) {
        if (dt_json_load_optional(hpath, &hist) != 0 || !json_is_array(hist)) {
            json_decref(hist);
            hist = json_array();
        }
        char sha[DATOM_SHA_HEX];
        dt_meta_sha(meta, sha);
        const char *when = dt_json_str(meta, "created_at");
        row = json_pack("{s:s, s:s, s:s, s:I, s:I}", "current_version", sha, "current_data_sha",
                        dt_json_str(meta, "data_sha"), "last_updated", when ? when : "",
                        "size_bytes", (json_int_t)dt_meta_u64(meta, "size_bytes"), "version_count",
                        (json_int_t)DT_MAX(json_array_size(hist), (size_t)1));
        const char *ofs = dt_json_str(meta, "original_file_sha");
        if (ofs)
            json_object_set_new(row, "original_file_sha", json_string(ofs));
        /* the format is not in metadata.json: keep what the manifest said */
        const char *fmt = dt_json_str(json_object_get(old_tables, name), "original_format");
        if (ofs && fmt)
            json_object_set_new(row, "original_format", json_string(fmt));
    }
    datom_errclear();
    json_decref(meta);
    json_decref(hist);
    free(dir);
    free(mpath);
    free(hpath);
    free(mrel);
    return row;
}

int dt_manifest_rebuild(dt_git *g, const char *workdir, const char *project_name,
                        const json_t *old, json_t **out)
{
    DIR *d = opendir(workdir);
    if (!d)
        return dt_error_errno(errno, "%s", workdir);
    dt_strv names = DT_STRV_INIT;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            dt_strv_push(&names, e->d_name);
    closedir(d);
    dt_strv_sort(&names);
    json_t *m = dt_manifest_new(project_name, dt_now_ms());
    json_t *old_tables = old ? json_object_get(old, "tables") : NULL;
    json_t *tables = json_object_get(m, "tables");
    for (size_t i = 0; i < names.n; i++) {
        json_t *row = table_row(g, workdir, names.v[i], old_tables);
        if (row)
            json_object_set_new(tables, names.v[i], row);
    }
    dt_strv_free(&names);
    dt_manifest_summarise(m);
    *out = m;
    return 0;
}

/* The project's name, from the project.yaml of the work tree being rebuilt
 * (not a pull's concern to know it otherwise: `datom pull` opens no store). */
static char *workdir_project_name(const char *workdir)
{
    char *yaml = dt_path_join(workdir, DT_CONFIG_PATH);
    dt_project_config c;
    char *name = NULL;
    if (dt_config_read(yaml, &c) == 0) {
        name = dt_strdup(c.project_name); /* dt_config_read vouches for it */
        dt_config_free(&c);
    }
    free(yaml);
    return name;
}

int dt_manifest_regen(void *ctx, const char *workdir)
{
    dt_git *g = ctx;
    char *name = workdir_project_name(workdir);
    if (!name)
        return dt_error_wrap("rebuild the manifest of %s", workdir);
    char *path = dt_path_join(workdir, ".datom/manifest.json");
    json_t *old = NULL, *m = NULL;
    if (dt_json_load_optional(path, &old) != 0) { /* conflict markers: no old rows */
        datom_errclear();
        old = NULL;
    }
    int rc = dt_manifest_rebuild(g, workdir, name, old, &m);
    if (rc == 0)
        rc = dt_json_save(path, m);
    json_decref(old);
    json_decref(m);
    free(path);
    free(name);
    return rc;
}

int dt_project_pull(dt_git *g)
{
    static const char *const derived[] = {".datom/manifest.json"};
    dt_git_derived d = {derived, 1, dt_manifest_regen, g};
    return dt_git_pull_derived(g, &d);
}
