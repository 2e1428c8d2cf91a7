/*
 * common.c: what several verb families of the datom command share: finding
 * and opening the store a command works on (--store, else the store of the
 * project around the current directory).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "project/project.h"

/* The nearest directory, from the current one upward, that holds .datom/;
 * NULL if none. */
static char *find_project_root(void)
{
    char *dir = getcwd(NULL, 0);
    if (!dir)
        return NULL;
    for (;;) {
        char *meta = dt_path_join(dir, ".datom");
        bool found = dt_fs_is_dir(meta);
        free(meta);
        if (found)
            return dir;
        char *up = dt_path_dirname(dir);
        bool top = !strcmp(up, dir);
        free(dir);
        dir = up;
        if (top) {
            free(dir);
            return NULL;
        }
    }
}

int cli_open_store(datom_store **out, unsigned flags)
{
    *out = NULL;
    if (cli.store_url)
        return datom_store_open_ext(out, cli.store_url, flags);
    /* A project: the store its project.yaml names (by default .datom/store). */
    char *url = NULL, *project = NULL;
    if (dt_project_find_root(".", &project) == 0) {
        free(project);
        int rc = dt_project_find_store_url(".", &url);
        if (rc == 0)
            rc = datom_store_open_ext(out, url, flags);
        free(url);
        return rc;
    }
    datom_errclear();
    /* A bare .datom/ (no project.yaml): its local store. */
    char *root = find_project_root();
    if (!root)
        return dt_error(DATOM_ENOTFOUND,
                        "no store: not inside a datom project (no .datom/ here or in a parent "
                        "directory); run `datom init` to make one here, or name a store with "
                        "--store URL (a path, file:///path or mem:)");
    char *path = dt_sprintf("%s/.datom/store", root);
    int rc = datom_store_open_ext(out, path, flags);
    free(path);
    free(root);
    return rc;
}
