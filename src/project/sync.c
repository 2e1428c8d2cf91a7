/*
 * sync.c: onboarding the raw files of input_files/ (a git-ignored folder of
 * the work tree) as imported tables, one table per file, named after the file.
 * A file whose bytes were already imported is recognised by its
 * original_file_sha and skipped before it is parsed; one failing file does
 * not stop the others.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "project/metadata.h"
#include "project/tables.h"

static const char *const supported[] = {"csv", "tsv", "txt", "parquet"};

/* The table name of a file: its name without the extension; NULL when the
 * extension is not one we read. */
static char *table_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return NULL;
    for (size_t i = 0; i < DT_ARRAY_LEN(supported); i++)
        if (!strcasecmp(dot + 1, supported[i]))
            return dt_strndup(name, (size_t)(dot - name));
    return NULL;
}

static int list_inputs(const char *dir, dt_strv *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return dt_error(DATOM_ENOTFOUND, "%s: no input_files folder (put files to onboard there)",
                        dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *full = dt_path_join(dir, e->d_name);
        if (!dt_fs_is_dir(full))
            dt_strv_push(out, e->d_name);
        free(full);
    }
    closedir(d);
    dt_strv_sort(out);
    return 0;
}

/* Refuses a folder where two files map to one table (dup2.csv and dup2.tsv):
 * each run would write one over the other. The error names every file of the
 * first such table; nothing is written. */
static int refuse_clash(const dt_strv *files)
{
    int rc = 0;
    for (size_t i = 0; i < files->n && rc == 0; i++) {
        char *t = table_of(files->v[i]);
        dt_strv same = DT_STRV_INIT;
        for (size_t j = 0; t && j < files->n; j++) {
            char *u = table_of(files->v[j]);
            if (u && !strcmp(t, u))
                dt_strv_push_owned(&same, dt_sprintf("input_files/%s", files->v[j]));
            free(u);
        }
        if (same.n > 1) {
            dt_buf names = DT_BUF_INIT;
            for (size_t k = 0; k < same.n; k++)
                dt_buf_printf(&names, "%s%s", k == 0 ? "" : k + 1 == same.n ? " and " : ", ",
                              same.v[k]);
            rc = dt_error(DATOM_EINVAL,
                          "sync: %s %s map to table '%s': rename or remove all but one "
                          "(nothing was written)",
                          dt_buf_cstr(&names), same.n == 2 ? "both" : "all", t);
            dt_buf_free(&names);
        }
        dt_strv_free(&same);
        free(t);
    }
    return rc;
}

static void classify(const json_t *tables, dt_sync_item *it, const char *path)
{
    json_t *row = json_object_get(tables, it->table);
    if (!row) {
        it->status = "new";
        return;
    }
    char sha[DATOM_SHA_HEX];
    const char *known = dt_json_str(row, "original_file_sha");
    if (known && dt_sha256_file(path, sha, NULL) == 0 && !strcmp(sha, known))
        it->status = "unchanged";
    else
        it->status = "changed";
    datom_errclear();
}

static void fail_item(dt_sync_item *it)
{
    it->failed = true;
    it->error = dt_strdup(datom_errmsg());
    datom_errclear();
}

static void count(dt_sync_report *r, const dt_sync_item *it)
{
    if (it->failed)
        r->n_failed++;
    else if (!strcmp(it->status, "new"))
        r->n_new++;
    else if (!strcmp(it->status, "changed"))
        r->n_changed++;
    else if (!strcmp(it->status, "unchanged"))
        r->n_unchanged++;
    else
        r->n_unsupported++;
}

int dt_project_sync(dt_project *p, bool dry_run, const dt_write_opts *base, dt_sync_report *out)
{
    memset(out, 0, sizeof *out);
    if (!p->git)
        return dt_error(DATOM_EINVAL, "sync needs a project work tree (this is a store-only reader)");
    int rc = dry_run ? 0 : dt_project_need_store(p); /* a dry run reads git alone */
    if (rc != 0)
        return rc;
    char *dir = dt_path_join(p->root, "input_files");
    dt_strv files = DT_STRV_INIT;
    json_t *manifest = NULL;
    rc = list_inputs(dir, &files);
    if (rc == 0)
        rc = refuse_clash(&files);
    if (rc == 0)
        rc = dt_manifest_load(p, &manifest);
    if (rc == 0)
        out->items = dt_calloc(files.n ? files.n : 1, sizeof *out->items);
    for (size_t i = 0; rc == 0 && i < files.n; i++) {
        dt_sync_item *it = &out->items[out->n++];
        it->file = dt_sprintf("input_files/%s", files.v[i]);
        it->table = table_of(files.v[i]);
        char *path = dt_path_join(p->root, it->file);
        if (!it->table) {
            it->status = "unsupported";
        } else if (dt_table_name_check(it->table) != 0) {
            it->status = "new";
            fail_item(it);
        } else {
            classify(json_object_get(manifest, "tables"), it, path);
            if (!dry_run && strcmp(it->status, "unchanged")) {
                dt_write_opts o = base ? *base : (dt_write_opts){0};
                o.sync_status = it->status;
                o.derived = false;
                o.parents = NULL;
                o.n_parents = 0;
                if (dt_table_write(p, it->table, path, &o, &it->result) != 0)
                    fail_item(it);
            }
        }
        count(out, it);
        free(path);
    }
    json_decref(manifest);
    dt_strv_free(&files);
    free(dir);
    return rc;
}

void dt_sync_report_free(dt_sync_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].file);
        free(r->items[i].table);
        free(r->items[i].error);
    }
    free(r->items);
    memset(r, 0, sizeof *r);
}
