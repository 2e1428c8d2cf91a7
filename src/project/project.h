/*
 * project.h: a datom project (docs/formats.md, "Project repository"): a git work
 * tree with .datom/project.yaml, whose table bytes live in a store.
 *
 * project.c owns the handle: creating (init), opening, cloning, the settings
 * of project.yaml, and the store namespace. The table operations (write, read,
 * history, list, lineage, sync, validate) live in their own files and take a
 * dt_project; readers without git use a dt_project opened on a store alone.
 */
#ifndef DT_PROJECT_H
#define DT_PROJECT_H

#include "core/core.h"
#include "project/git.h"
#include "store/store.h"

struct dt_project_config; /* project/config.h */

/* Where a project's local store is (project.c, invariants 3 to 6). */
typedef enum dt_store_place {
    DT_STORE_OWN,     /* the project's own .datom/store (made when missing), or a relative root */
    DT_STORE_MOVED,   /* its own .datom/store, though project.yaml names another project's */
    DT_STORE_SHARED,  /* the default store of the project it was cloned from, on this machine */
    DT_STORE_MISSING, /* another project's default store, not on this machine: no store */
    DT_STORE_NAMED,   /* a store named at init (--store, S3): used as given */
} dt_store_place;

typedef struct dt_project {
    char *root;          /* the work tree; NULL for a store-only reader */
    char *name;          /* project_name */
    char *description;   /* project_description, may be NULL */
    dt_git *git;         /* NULL for a store-only reader */
    datom_store *store;  /* where the bytes live; NULL when DT_STORE_MISSING */
    char *store_url;     /* the store used (local roots resolved: see dt_store_place) */
    char *ns;            /* key prefix of the project in the store: "{prefix}/datom/" or "datom/" */
    char *remote_url;    /* git's origin, else repos.data.remote_url; NULL when none */
    dt_store_place store_place;
    char *store_error;   /* why there is no store, when not the default reason; may be NULL */
    struct dt_project_config *config; /* all of project.yaml; NULL for a store-only reader */
} dt_project;

typedef struct dt_project_init_opts {
    const char *name;        /* required */
    const char *description; /* may be NULL */
    const char *store_url;   /* NULL: the default local store .datom/store */
    const char *prefix;      /* store namespace prefix, may be NULL */
    const char *remote_url;  /* may be NULL */
    const char *author;      /* "Name <email>", NULL: from git config */
} dt_project_init_opts;

/* Makes a new project in DIR (created if missing; must not hold a project or a
 * git repository): project.yaml, manifest.json, .gitignore, README.md,
 * input_files/, the first commit, and with a remote, the first push. All or
 * nothing: on failure DIR is left as it was. Project names: a letter, then
 * letters, digits, '_', '-', '.' (no ".."), at most 100 characters. */
int dt_project_init(dt_project **out, const char *dir, const dt_project_init_opts *o);
/* Opens the project whose root is DIR or the nearest parent holding
 * .datom/project.yaml, to write: its store must exist (the default local
 * store .datom/store/ is made if missing: a fresh clone lacks it). */
int dt_project_open(dt_project **out, const char *dir);
/* The same, to read only: the store is opened read-only (nothing in it is
 * made or changed, so a store the user may not write can be read), a missing
 * store is DATOM_ENOTFOUND naming it, and a missing default local store reads
 * as an empty one. */
int dt_project_open_read(dt_project **out, const char *dir);
/* The root of the project at or above DIR: the nearest directory holding
 * .datom/project.yaml (caller frees); DATOM_ENOTFOUND when there is none. */
int dt_project_find_root(const char *dir, char **root_out);
/* The store URL of the project at or above DIR, read from its project.yaml
 * (relative local roots resolved; caller frees); no git, store not opened.
 * For commands that need only the store (cli_open_store). */
int dt_project_find_store_url(const char *dir, char **url_out);
/* Clones a project's git repository from URL into DIR (NULL: the last part of
 * URL without ".git") and opens it. On a project with a local default store,
 * says (dt_log) whether the clone reaches its bytes. */
int dt_project_clone(dt_project **out, const char *url, const char *dir);
/* Opens a project from its store mirror alone: no git, the store read-only
 * and never made (a missing store is DATOM_ENOTFOUND naming it). NAME (may
 * be NULL: not checked) must be the project the mirror holds: it is looked
 * for under {PREFIX}/datom/ when PREFIX is given, else under datom/, then
 * {NAME}/datom/; a store holding no such project is DATOM_ENOTFOUND naming
 * NAME. */
int dt_project_open_store(dt_project **out, const char *store_url, const char *name,
                          const char *prefix);
void dt_project_free(dt_project *p);
/* 0 when the project has a store; else (DT_STORE_MISSING) DATOM_ENOTFOUND with
 * a message saying where the store should be and what to do. Commands that
 * need the bytes call it first; those that read git alone do not. */
int dt_project_need_store(const dt_project *p);

/* The store key of REL inside the project's namespace (caller frees). */
char *dt_project_key(const dt_project *p, const char *rel);

#endif /* DT_PROJECT_H */
