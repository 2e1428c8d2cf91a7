/*
 * project.c: the project handle (see project.h): making a project (init),
 * finding and opening one, cloning one, and the store namespace its keys
 * live in. project.yaml itself is read and written by config.c; git by git.c.
 *
 * Init is all or nothing: every option is checked before anything is made,
 * and a failure after that (no git identity, a store that does not open, a
 * push that is refused) removes what init made, so the directory is left as
 * it was found.
 *
 * Where a local store is (docs/formats.md, "The default local store"):
 *  1. init records every local root absolute, as R datom does (R's developer
 *     connection compares storage.data.root verbatim with the absolute root
 *     of the store it is given): the default store as DIR/.datom/store with
 *     DIR made absolute by its text (dt_path_absolute), as R would write it.
 *  2. A relative root (what datom wrote before) is read as relative to the
 *     project root.
 *  3. An absolute root of the form X/.datom/store is a project's default
 *     store. When X is this project, it is used (and made if missing).
 *  4. When X is another directory and this project has a .datom/store of its
 *     own, the project was moved or copied: its own store is used, with a
 *     note that R will want storage.data.root updated. A copy never writes
 *     into the store of the project it was copied from.
 *  5. When this project has no store of its own, X's is used where it is: a
 *     clone on the same machine shares the store of the project it came from.
 *     If that is not there either, the project opens without a store:
 *     commands that need the bytes fail saying why and what to do; commands
 *     that read git alone work. Nothing is created in either place (a store
 *     on an unmounted share must not be replaced by an empty one).
 *  6. Any other absolute root is used as given.
 *
 * How the store is opened (open_mode): the read verbs open it read-only, so
 * reading never writes, and a reader without write access reads; a store
 * that is not there leaves the project without one (the commands that need
 * the bytes say why). Only init makes a store, and write and sync the
 * project's own .datom/store (invariant 3): a missing shared store is an
 * error, never replaced by an empty directory.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "project/config.h"
#include "project/metadata.h"
#include "project/project.h"

#define INIT_MESSAGE "Initialize datom repository"
#define MANIFEST_PATH ".datom/manifest.json"
#define MANIFEST_MAX (256u << 20)

/* What .gitignore must hold: data never enters git (docs/formats.md, ".gitignore"). */
static const char *const ignore_lines[] = {
    "*.csv", "*.tsv", "*.rds", "*.txt", "*.parquet", "*.sas7bdat", ".RData",
    "input_files/", ".datom/store/", ".datom/cache/",
};

/* ---- small helpers ---- */

static char *abs_path(const char *path)
{
    char *real = realpath(path, NULL);
    if (real) {
        char *out = dt_strdup(real);
        free(real);
        return out;
    }
    if (path[0] == '/')
        return dt_strdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return dt_strdup(path);
    return dt_path_join(cwd, path);
}

/* "{prefix}/datom/" or "datom/", slashes of the prefix trimmed. */
static char *make_ns(const char *prefix)
{
    if (!prefix)
        return dt_strdup("datom/");
    size_t a = strspn(prefix, "/"), n = strlen(prefix);
    while (n > a && prefix[n - 1] == '/')
        n--;
    if (n == a)
        return dt_strdup("datom/");
    return dt_sprintf("%.*s/datom/", (int)(n - a), prefix + a);
}

/* A prefix as written to project.yaml: slashes trimmed, NULL when empty. */
static int clean_prefix(const char *prefix, char **out)
{
    *out = NULL;
    if (!prefix)
        return 0;
    size_t a = strspn(prefix, "/"), n = strlen(prefix);
    while (n > a && prefix[n - 1] == '/')
        n--;
    if (n == a)
        return 0;
    char *p = dt_strndup(prefix + a, n - a);
    int rc = dt_prefix_check(p);
    if (rc != 0) {
        free(p);
        return rc;
    }
    *out = p;
    return 0;
}

char *dt_project_key(const dt_project *p, const char *rel) { return dt_sprintf("%s%s", p->ns, rel); }

/* ---- the store of a configuration ---- */

/* ROOT + "/.datom/store", the default local store of the project at ROOT. */
static char *own_store(const char *root) { return dt_path_join(root, DT_DEFAULT_STORE_ROOT); }

/* The project directory of an absolute default-store path ("X/.datom/store"
 * gives X), NULL when PATH is not of that form. */
static char *default_store_owner(const char *path)
{
    static const char tail[] = "/" DT_DEFAULT_STORE_ROOT;
    size_t n = strlen(path), t = sizeof tail - 1;
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n <= t || strncmp(path + n - t, tail, t))
        return NULL;
    return dt_strndup(path, n - t);
}

/* Directory A is directory B (both must exist). */
static bool same_dir(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * Where the local store of the project at ROOT is (invariants 4 to 6 at the
 * top of this file): the recorded root when it is the project's own default
 * store, or any store not of the default form; the project's own .datom/store
 * when the recorded default store is another directory's and this project has
 * one (moved or copied); the recorded one when this project has none (a clone
 * on the same machine shares it); missing when neither is there.
 */
static dt_store_place local_store_place(const char *recorded, const char *root, char **path_out)
{
    if (recorded[0] != '/') {
        *path_out = dt_path_join(root, recorded);
        return DT_STORE_OWN;
    }
    char *owner = default_store_owner(recorded);
    if (!owner) {
        *path_out = dt_strdup(recorded);
        return DT_STORE_NAMED;
    }
    bool ours = same_dir(owner, root);
    free(owner);
    if (ours) {
        *path_out = dt_strdup(recorded);
        return DT_STORE_OWN;
    }
    char *own = own_store(root);
    if (dt_fs_is_dir(own)) {
        *path_out = own;
        return DT_STORE_MOVED;
    }
    free(own);
    *path_out = dt_strdup(recorded);
    return dt_fs_is_dir(recorded) ? DT_STORE_SHARED : DT_STORE_MISSING;
}

int dt_project_need_store(const dt_project *p)
{
    if (p->store)
        return 0;
    if (p->store_error)
        return dt_error(DATOM_ENOTFOUND, "%s", p->store_error);
    return dt_error(DATOM_ENOTFOUND,
                    "project %s: its store %s (storage.data.root in .datom/project.yaml) is not "
                    "on this machine, and the project has no .datom/store of its own: a local "
                    "store stays where its project was made, and git does not carry it. Copy "
                    "that directory to %s/.datom/store (or make an empty one there to keep this "
                    "clone's new versions on this machine), or point storage.data.root at a "
                    "store that holds the project's bytes",
                    p->name, p->config->storage_root, p->root);
}

/* The URL to open for the settings C of the project at ROOT, and where a
 * local store is (DT_STORE_NAMED for S3). */
static char *config_store_url(const dt_project_config *c, const char *root, dt_store_place *place)
{
    *place = DT_STORE_NAMED;
    if (!strcmp(c->storage_type, "local")) {
        char *path;
        *place = local_store_place(c->storage_root, root, &path);
        return path;
    }
    dt_buf b = DT_BUF_INIT;
    dt_buf_printf(&b, "s3://%s", c->storage_root);
    char sep = '?';
    if (c->storage_region) {
        dt_buf_printf(&b, "%cregion=%s", sep, c->storage_region);
        sep = '&';
    }
    if (c->storage_endpoint)
        dt_buf_printf(&b, "%cendpoint=%s", sep, c->storage_endpoint);
    return dt_buf_detach(&b);
}

/* One query parameter of an s3 URL (NULL when absent). */
static char *query_param(const char *query, const char *name)
{
    size_t n = strlen(name);
    for (const char *s = query; s && *s;) {
        const char *end = strchr(s, '&');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len > n && !strncmp(s, name, n) && s[n] == '=')
            return dt_strndup(s + n + 1, len - n - 1);
        s = end ? end + 1 : NULL;
    }
    return NULL;
}

static int parse_s3_url(const char *url, dt_project_config *c)
{
    const char *rest = url + 5;
    size_t blen = strcspn(rest, "/?");
    if (blen == 0)
        return dt_error(DATOM_EINVAL, "store \"%s\": no bucket", url);
    const char *after = rest + blen;
    const char *q = strchr(after, '?');
    c->storage_type = dt_strdup("s3");
    c->storage_root = dt_strndup(rest, blen);
    if (*after == '/' && !c->storage_prefix) {
        char *raw = dt_strndup(after, q ? (size_t)(q - after) : strlen(after));
        int rc = clean_prefix(raw, &c->storage_prefix);
        free(raw);
        if (rc != 0)
            return rc;
    }
    if (q) {
        c->storage_region = query_param(q + 1, "region");
        c->storage_endpoint = query_param(q + 1, "endpoint");
    }
    /* The region as R datom records it: always, us-east-1 when none is set. */
    const char *env_region = getenv("AWS_REGION");
    if (!env_region || !*env_region)
        env_region = getenv("AWS_DEFAULT_REGION");
    if (!c->storage_region)
        c->storage_region = dt_strdup(env_region && *env_region ? env_region : "us-east-1");
    return 0;
}

/* A local root for project.yaml: absolute (invariant 1), or NULL when the
 * path is not UTF-8, which YAML cannot hold. */
static char *yaml_root(const char *path)
{
    char *abs = dt_path_absolute(path);
    if (dt_utf8_valid(abs, strlen(abs)))
        return abs;
    free(abs);
    return NULL;
}

/* Fills the storage settings of a new project in DIR from --store URL.
 * project.yaml is committed: a URL carrying credentials is refused rather
 * than stored. */
static int config_set_store(dt_project_config *c, const char *url, const char *dir)
{
    char *shown = url ? dt_redact(url) : NULL;
    bool secret = shown && strcmp(shown, url);
    free(shown);
    if (secret)
        return dt_error(DATOM_EINVAL, "store \"%s\": credentials do not go in a store URL (it is "
                        "committed in .datom/project.yaml); give them through the environment "
                        "(docs/cli.md, \"Credentials\")", url);
    if (!url) {
        c->storage_type = dt_strdup("local");
        char *own = own_store(dir);
        c->storage_root = yaml_root(own);
        free(own);
        if (!c->storage_root) {
            dt_log(DT_LOG_INFO, "note: the path of %s is not UTF-8, so .datom/project.yaml "
                                "records the store as %s (relative), which R datom refuses "
                                "as a developer",
                   dir, DT_DEFAULT_STORE_ROOT);
            c->storage_root = dt_strdup(DT_DEFAULT_STORE_ROOT);
        }
        return 0;
    }
    if (!strncmp(url, "s3://", 5)) {
        /* Checked whole by the store first: a credential in it is refused unshown. */
        int rc = dt_store_s3_url_check(url);
        return rc ? rc : parse_s3_url(url, c);
    }
    if (!strncmp(url, "mem:", 4))
        return dt_error(DATOM_EINVAL,
                        "store \"%s\": a project's store must outlive the process (give a "
                        "directory, a file:// URL or an s3:// URL)",
                        url);
    char *path = NULL;
    int rc = dt_store_local_path(url, &path);
    if (rc == 1)
        return dt_error(DATOM_EUNSUPPORTED, "store \"%s\": unknown kind of URL", url);
    if (rc != 0)
        return rc;
    c->storage_type = dt_strdup("local");
    c->storage_root = yaml_root(path);
    free(path);
    if (!c->storage_root)
        return dt_error(DATOM_EINVAL, "store \"%s\": not UTF-8 (.datom/project.yaml cannot "
                                      "hold it)", url);
    return 0;
}

/* ---- the handle ---- */

void dt_project_free(dt_project *p)
{
    if (!p)
        return;
    free(p->root);
    free(p->name);
    free(p->description);
    dt_git_free(p->git);
    datom_store_free(p->store);
    free(p->store_url);
    free(p->store_error);
    free(p->ns);
    free(p->remote_url);
    if (p->config) {
        dt_config_free(p->config);
        free(p->config);
    }
    free(p);
}

/* A store found by inference (invariant 5) must hold this project: were the
 * original moved away and another project made in its place, its store is
 * not ours. Its mirrored manifest says whose it is; a store that says another
 * name is dropped (the project opens without one, and says why). */
static void shared_store_check(dt_project *p)
{
    char *key = dt_project_key(p, ".metadata/manifest.json");
    void *data = NULL;
    size_t len = 0;
    json_t *m = NULL;
    if (datom_store_get(p->store, key, 0, UINT64_MAX, &data, &len) == 0 &&
        dt_json_load_buf(key, data, len, &m) == 0) {
        const char *owner = dt_json_str(m, "project_name");
        if (owner && strcmp(owner, p->name)) {
            p->store_error = dt_sprintf("project %s: %s, the store .datom/project.yaml names, "
                                        "holds the project %s: this project's store is not "
                                        "there (the project it was cloned from was moved, and "
                                        "another made in its place). Point storage.data.root "
                                        "at the store that holds this project's bytes",
                                        p->name, p->store_url, owner);
            datom_store_free(p->store);
            p->store = NULL;
            p->store_place = DT_STORE_MISSING;
        }
    }
    datom_errclear();
    json_decref(m);
    free(data);
    free(key);
}

/* Why a project is opened, which decides how its store is (see the top). */
typedef enum open_mode {
    OPEN_READ,  /* the read verbs: the store read-only, never made */
    OPEN_WRITE, /* write, sync: only the project's own .datom/store is made */
    OPEN_INIT,  /* init: the store is made when missing */
} open_mode;

static int open_store(dt_project *p, open_mode mode)
{
    if (p->store_place == DT_STORE_MISSING)
        return 0; /* invariant 5: nothing made; dt_project_need_store says why */
    if (p->store_place == DT_STORE_MOVED)
        dt_log(DT_LOG_INFO,
               "note: project %s was moved or copied (or given a store of its own): "
               ".datom/project.yaml names the store %s, and this project's own %s is used. "
               "R datom compares that setting with the store it is given: set "
               "storage.data.root to %s (and commit) to open the project from R here",
               p->name, p->config->storage_root, p->store_url, p->store_url);
    unsigned flags = mode == OPEN_READ                                              ? DATOM_STORE_READONLY
                     : mode == OPEN_INIT || p->store_place == DT_STORE_OWN ? DATOM_STORE_CREATE
                                                                            : 0;
    int rc = datom_store_open_ext(&p->store, p->store_url, flags);
    if (rc == DATOM_ENOTFOUND && mode == OPEN_READ) {
        /* nothing made: the commands that need the bytes say why */
        p->store_error = dt_sprintf("project %s: %s", p->name, datom_errmsg());
        datom_errclear();
        return 0;
    }
    if (rc != 0)
        return dt_error_wrap("open the store of project %s", p->name ? p->name : "");
    if (p->store_place == DT_STORE_SHARED)
        shared_store_check(p);
    return 0;
}

/* Builds the handle of the project at ROOT from its settings (taking C). */
static int project_make(dt_project **out, const char *root, dt_project_config *c, dt_git *git,
                        open_mode mode)
{
    dt_project *p = dt_calloc(1, sizeof *p);
    p->root = dt_strdup(root);
    p->git = git;
    p->config = dt_malloc(sizeof *p->config);
    *p->config = *c;
    memset(c, 0, sizeof *c);
    c = p->config;
    p->name = dt_strdup(c->project_name);
    p->description = c->project_description ? dt_strdup(c->project_description) : NULL;
    p->store_url = config_store_url(c, root, &p->store_place);
    p->ns = make_ns(c->storage_prefix);
    /* Pushes go where git's origin points; the yaml's URL is what init was
     * given. Either is kept for messages only, its credentials redacted. */
    char *remote = NULL;
    if (git && dt_git_remote_url(git, &remote) != 0)
        datom_errclear();
    if (!remote && c->remote_url)
        remote = dt_strdup(c->remote_url);
    p->remote_url = remote ? dt_redact(remote) : NULL;
    free(remote);
    int rc = open_store(p, mode);
    if (rc != 0) {
        dt_project_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* Opens the project whose root is exactly ROOT. */
static int open_at(dt_project **out, const char *root, open_mode mode)
{
    char *yaml = dt_path_join(root, DT_CONFIG_PATH);
    dt_project_config c;
    int rc = dt_config_read(yaml, &c);
    free(yaml);
    if (rc != 0)
        return rc;
    dt_git *git = NULL;
    if ((rc = dt_git_open(&git, root)) != 0) {
        dt_config_free(&c);
        return dt_error_wrap("project %s", root);
    }
    rc = project_make(out, root, &c, git, mode);
    dt_config_free(&c);
    return rc;
}

int dt_project_find_root(const char *dir, char **root_out)
{
    char *cur = realpath(dir, NULL);
    if (!cur)
        return dt_error_errno(errno, "%s", dir);
    for (;;) {
        char *yaml = dt_path_join(cur, DT_CONFIG_PATH);
        bool found = dt_fs_exists(yaml);
        free(yaml);
        if (found) {
            *root_out = dt_strdup(cur);
            free(cur);
            return 0;
        }
        if (!strcmp(cur, "/"))
            break;
        char *up = dt_path_dirname(cur);
        free(cur);
        cur = up;
    }
    free(cur);
    return dt_error(DATOM_ENOTFOUND,
                    "%s: not in a datom project (no .datom/project.yaml here or above; make "
                    "one with `datom init`)",
                    dir);
}

static int open_found(dt_project **out, const char *dir, open_mode mode)
{
    *out = NULL;
    char *root = NULL;
    int rc = dt_project_find_root(dir, &root);
    if (rc == 0)
        rc = open_at(out, root, mode);
    free(root);
    return rc;
}

int dt_project_open(dt_project **out, const char *dir) { return open_found(out, dir, OPEN_WRITE); }

int dt_project_open_read(dt_project **out, const char *dir)
{
    return open_found(out, dir, OPEN_READ);
}

int dt_project_find_store_url(const char *dir, char **url_out)
{
    *url_out = NULL;
    char *root = NULL;
    int rc = dt_project_find_root(dir, &root);
    if (rc != 0)
        return rc;
    char *yaml = dt_path_join(root, DT_CONFIG_PATH);
    dt_project_config c;
    rc = dt_config_read(yaml, &c);
    if (rc == 0) {
        dt_store_place place;
        *url_out = config_store_url(&c, root, &place);
        if (place == DT_STORE_MISSING) {
            dt_project q = {.root = root, .name = c.project_name, .config = &c};
            rc = dt_project_need_store(&q);
            free(*url_out);
            *url_out = NULL;
        }
        dt_config_free(&c);
    }
    free(yaml);
    free(root);
    return rc;
}

/* The manifest mirrored under namespace NS of store ST; DATOM_ENOTFOUND
 * when there is none. */
static int mirrored_manifest(datom_store *st, const char *ns, json_t **out)
{
    *out = NULL;
    char *key = dt_sprintf("%s.metadata/manifest.json", ns);
    uint64_t size = 0;
    int rc = datom_store_stat(st, key, &size);
    if (rc == 0 && size > MANIFEST_MAX)
        rc = dt_error(DATOM_ECORRUPT, "%s: %llu bytes is too large for a manifest", key,
                      (unsigned long long)size);
    void *data = NULL;
    size_t len = 0;
    if (rc == 0)
        rc = datom_store_get(st, key, 0, UINT64_MAX, &data, &len);
    if (rc == 0)
        rc = dt_json_load_buf(key, data ? data : "", len, out);
    free(data);
    free(key);
    return rc;
}

/* The project_name of the manifest mirrored under NS ("" when it names
 * none); DATOM_ENOTFOUND when there is no manifest there. */
static int mirrored_name(datom_store *st, const char *ns, char **name_out)
{
    json_t *m;
    *name_out = NULL;
    int rc = mirrored_manifest(st, ns, &m);
    if (rc == 0) {
        const char *name = dt_json_str(m, "project_name");
        *name_out = dt_strdup(name ? name : "");
    }
    json_decref(m);
    return rc;
}

/* Finds the namespace of project NAME in the store: "{prefix}/datom/" when
 * PREFIX is given, else "datom/", then "{NAME}/datom/" (the namespace a
 * shared store's projects are usually given). A manifest naming no project
 * (an old writer) is taken on trust. */
static int find_namespace(dt_project *p, const char *name, const char *prefix)
{
    char *tries[2] = {make_ns(prefix), prefix ? NULL : make_ns(name)};
    char *found = NULL, *other = NULL, *other_ns = NULL;
    int rc = 0;
    for (size_t i = 0; i < 2 && tries[i] && !found && rc == 0; i++) {
        char *held = NULL;
        rc = mirrored_name(p->store, tries[i], &held);
        if (rc == DATOM_ENOTFOUND) {
            datom_errclear();
            rc = 0;
        } else if (rc == 0 && (!*held || !strcmp(held, name))) {
            found = tries[i];
            tries[i] = NULL;
        } else if (rc == 0 && !other) {
            other = dt_strdup(held);
            other_ns = dt_strdup(tries[i]);
        }
        free(held);
    }
    if (rc == 0 && !found && other)
        rc = dt_error(DATOM_ENOTFOUND, "store %s holds no project '%s' (%s holds project '%s'%s)",
                      p->store_url, name, other_ns, other,
                      prefix ? "" : "; give --prefix P if the project lives under P/datom/");
    else if (rc == 0 && !found)
        rc = dt_error(DATOM_ENOTFOUND, "store %s holds no project '%s' (no %s.metadata/manifest.json%s)",
                      p->store_url, name, tries[0] ? tries[0] : "",
                      prefix ? "" : " here or under the project's name; give --prefix P if it lives under P/datom/");
    if (rc == 0)
        p->ns = found;
    else
        free(found);
    free(tries[0]);
    free(tries[1]);
    free(other);
    free(other_ns);
    return rc;
}

int dt_project_open_store(dt_project **out, const char *store_url, const char *name,
                          const char *prefix)
{
    *out = NULL;
    char *clean = NULL;
    int rc = clean_prefix(prefix, &clean);
    if (rc != 0)
        return rc;
    if (name && (rc = dt_project_name_check(name)) != 0) {
        free(clean);
        return rc;
    }
    dt_project *p = dt_calloc(1, sizeof *p);
    p->name = name ? dt_strdup(name) : NULL;
    p->store_url = dt_strdup(store_url);
    rc = datom_store_open_ext(&p->store, store_url, DATOM_STORE_READONLY);
    if (rc == 0 && name)
        rc = find_namespace(p, name, clean);
    else if (rc == 0)
        p->ns = make_ns(clean);
    free(clean);
    if (rc != 0) {
        dt_project_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* ---- init ---- */

static char *manifest_text(const char *name)
{
    json_t *m = dt_manifest_new(name, dt_now_ms());
    char *text = dt_json_pretty(m);
    json_decref(m);
    return text;
}

static char *readme_text(const dt_project_config *c)
{
    dt_buf b = DT_BUF_INIT;
    dt_buf_printf(&b, "# %s\n\n", c->project_name);
    if (c->project_description)
        dt_buf_printf(&b, "%s\n\n", c->project_description);
    dt_buf_puts(&b,
                "This is a datom project: tables versioned like code.\n"
                "\n"
                "- Each table's metadata (`{table}/metadata.json`, `{table}/version_history.json`)\n"
                "  lives in this git repository, one commit per version.\n"
                "- The bytes live in the store named in `.datom/project.yaml`, named by their\n"
                "  SHA-256; data files never enter git (see `.gitignore`).\n"
                "- Put raw files to onboard in `input_files/` (ignored by git).\n"
                "\n"
                "See `datom --help`.\n");
    return dt_buf_detach(&b);
}

/* .gitignore: the required lines, appended to an existing file when missing. */
static char *gitignore_text(const dt_buf *old)
{
    dt_buf b = DT_BUF_INIT;
    const char *prev = old ? dt_buf_cstr((dt_buf *)old) : "";
    dt_buf_puts(&b, prev);
    if (b.len && b.data[b.len - 1] != '\n')
        dt_buf_putc(&b, '\n');
    bool header = false;
    for (size_t i = 0; i < DT_ARRAY_LEN(ignore_lines); i++) {
        bool present = false;
        for (const char *s = prev; *s && !present;) {
            size_t len = strcspn(s, "\n");
            present = len == strlen(ignore_lines[i]) && !strncmp(s, ignore_lines[i], len);
            s += len + (s[len] == '\n');
        }
        if (present)
            continue;
        if (!header)
            dt_buf_printf(&b, "%s# datom: data never enters git (its bytes live in the store)\n",
                          b.len ? "\n" : "");
        header = true;
        dt_buf_printf(&b, "%s\n", ignore_lines[i]);
    }
    return dt_buf_detach(&b);
}

/* What init made, so that a failure can take it back. */
typedef struct init_undo {
    char *root;
    bool made_dir, made_readme, made_input;
    dt_buf old_gitignore;
    bool had_gitignore;
} init_undo;

static void undo_init(init_undo *u)
{
    int code = datom_errcode();
    char *msg = dt_strdup(datom_errmsg());
    if (u->made_dir) {
        dt_fs_rmtree(u->root);
    } else {
        const char *made[] = {".git", ".datom", u->made_readme ? "README.md" : NULL,
                              u->made_input ? "input_files" : NULL};
        for (size_t i = 0; i < DT_ARRAY_LEN(made); i++) {
            if (!made[i])
                continue;
            char *p = dt_path_join(u->root, made[i]);
            dt_fs_rmtree(p);
            free(p);
        }
        char *gi = dt_path_join(u->root, ".gitignore");
        if (u->had_gitignore)
            dt_fs_write_atomic(gi, u->old_gitignore.data ? (const void *)u->old_gitignore.data : "",
                               u->old_gitignore.len);
        else
            unlink(gi);
        free(gi);
    }
    dt_error(code, "%s", msg);
    free(msg);
}

static int write_rel(const char *root, const char *rel, const char *text)
{
    char *p = dt_path_join(root, rel);
    int rc = dt_fs_write_atomic(p, text, strlen(text));
    free(p);
    return rc;
}

/* Writes the files of a new project at u->root. */
static int init_files(init_undo *u, const dt_project_config *c)
{
    char *datom_dir = dt_path_join(u->root, ".datom");
    char *input = dt_path_join(u->root, "input_files");
    char *readme = dt_path_join(u->root, "README.md");
    char *gi = dt_path_join(u->root, ".gitignore");
    int rc = dt_fs_mkdirs(datom_dir, 0755);
    if (rc == 0 && !dt_fs_exists(input)) {
        rc = dt_fs_mkdirs(input, 0755);
        u->made_input = rc == 0;
    }
    if (rc == 0 && (u->had_gitignore = dt_fs_exists(gi)))
        rc = dt_fs_read_all(gi, &u->old_gitignore, 1u << 20);
    char *yaml = dt_config_format(c), *manifest = manifest_text(c->project_name);
    char *ignore = gitignore_text(u->had_gitignore ? &u->old_gitignore : NULL);
    if (rc == 0)
        rc = write_rel(u->root, DT_CONFIG_PATH, yaml);
    if (rc == 0)
        rc = write_rel(u->root, MANIFEST_PATH, manifest);
    if (rc == 0)
        rc = write_rel(u->root, ".gitignore", ignore);
    if (rc == 0 && !dt_fs_exists(readme)) {
        char *text = readme_text(c);
        rc = write_rel(u->root, "README.md", text);
        u->made_readme = rc == 0;
        free(text);
    }
    free(yaml);
    free(manifest);
    free(ignore);
    free(gi);
    free(readme);
    free(input);
    free(datom_dir);
    return rc;
}

/* Checks the options and fills the settings of the new project. */
static int init_config(const char *dir, const dt_project_init_opts *o, dt_project_config *c)
{
    dt_config_defaults(c);
    int rc = dt_project_name_check(o->name);
    if (rc == 0 && o->description && strlen(o->description) > 4096)
        rc = dt_error(DATOM_EINVAL, "project description: longer than 4096 bytes");
    if (rc == 0)
        rc = clean_prefix(o->prefix, &c->storage_prefix);
    if (rc == 0)
        rc = config_set_store(c, o->store_url, dir);
    if (rc == 0 && o->author) {
        dt_git_author a;
        rc = dt_git_author_resolve(NULL, o->author, &a);
        dt_git_author_free(&a);
    }
    if (rc != 0)
        return rc;
    char today[16];
    dt_utc_date(dt_now_ms(), today);
    c->project_name = dt_strdup(o->name);
    c->project_description = o->description && *o->description ? dt_strdup(o->description) : NULL;
    c->created_at = dt_strdup(today);
    c->datom_version = dt_strdup(datom_version());
    /* committed in project.yaml: never with the credentials a URL may carry */
    c->remote_url = o->remote_url ? dt_url_strip_userinfo(o->remote_url, NULL, NULL) : NULL;
    return 0;
}

/* Refuses a directory that already holds a project or a git repository. */
static int init_target_check(const char *dir)
{
    if (!dt_fs_exists(dir))
        return 0;
    if (!dt_fs_is_dir(dir))
        return dt_error(DATOM_EEXISTS, "%s: exists and is not a directory", dir);
    const char *taken[] = {DT_CONFIG_PATH, ".datom", ".git"};
    for (size_t i = 0; i < DT_ARRAY_LEN(taken); i++) {
        char *p = dt_path_join(dir, taken[i]);
        bool there = dt_fs_exists(p);
        free(p);
        if (there)
            return dt_error(DATOM_EEXISTS, "%s: already holds %s%s", dir, taken[i],
                            i < 2 ? " (a datom project)" : " (datom init makes its own repository)");
    }
    return 0;
}

/* Refuses a store namespace that another project already holds (two
 * projects in one namespace would overwrite each other's mirror), or that
 * this project's name holds with tables (that project exists: clone it).
 * Checked before anything is made, on the store opened read-only. */
static int init_store_check(const dt_project_config *c, const char *dir)
{
    dt_store_place place;
    char *url = config_store_url(c, dir, &place), *ns = make_ns(c->storage_prefix);
    datom_store *st = NULL;
    json_t *m = NULL;
    int rc = datom_store_open_ext(&st, url, DATOM_STORE_READONLY);
    if (rc == 0)
        rc = mirrored_manifest(st, ns, &m);
    if (rc == DATOM_ENOTFOUND) {
        datom_errclear();
        rc = 0;
    } else if (rc == 0) {
        const char *held = dt_json_str(m, "project_name");
        size_t tables = json_object_size(json_object_get(m, "tables"));
        if (held && strcmp(held, c->project_name))
            rc = dt_error(DATOM_EEXISTS, "store %s already holds project '%s' under %s: give the "
                          "new project its own namespace with --prefix", st->url, held, ns);
        else if (tables)
            rc = dt_error(DATOM_EEXISTS, "store %s already holds project '%s' (%zu tables) under "
                          "%s: clone its git repository instead (datom clone)", st->url,
                          c->project_name, tables, ns);
    }
    json_decref(m);
    datom_store_free(st);
    free(ns);
    free(url);
    return rc;
}

static int init_commit(dt_project *p, const dt_project_init_opts *o)
{
    dt_git_author a;
    int rc = dt_git_author_resolve(p->git, o->author, &a);
    if (rc != 0)
        return rc;
    const char *paths[] = {".gitignore", "README.md", DT_CONFIG_PATH, MANIFEST_PATH};
    char commit[41];
    rc = dt_git_commit(p->git, paths, DT_ARRAY_LEN(paths), INIT_MESSAGE, &a, commit);
    dt_git_author_free(&a);
    if (rc == 0 && o->remote_url) {
        rc = dt_git_remote_set(p->git, o->remote_url);
        if (rc == 0 && (rc = dt_git_push(p->git)) != 0)
            dt_error_wrap("push the new project to %s (an empty repository is needed; to "
                          "work on an existing project, use `datom clone`)",
                          o->remote_url);
    }
    if (rc == 0) {
        /* Readers without git find an empty manifest in the store. */
        char *key = dt_project_key(p, ".metadata/manifest.json");
        char *text = manifest_text(p->name);
        rc = datom_store_put(p->store, key, text, strlen(text));
        free(text);
        free(key);
    }
    return rc;
}

int dt_project_init(dt_project **out, const char *dir, const dt_project_init_opts *o)
{
    *out = NULL;
    dt_project_config c;
    int rc = init_config(dir, o, &c);
    if (rc == 0)
        rc = init_target_check(dir);
    if (rc == 0 && o->store_url) /* the default store is inside DIR: nothing there yet */
        rc = init_store_check(&c, dir);
    if (rc != 0) {
        dt_config_free(&c);
        return rc;
    }
    init_undo u = {NULL, !dt_fs_exists(dir), false, false, DT_BUF_INIT, false};
    dt_git *git = NULL;
    dt_project *p = NULL;
    if ((rc = dt_fs_mkdirs(dir, 0755)) != 0) {
        dt_config_free(&c);
        return rc;
    }
    u.root = abs_path(dir);
    rc = dt_git_init(&git, u.root);
    if (rc == 0)
        rc = init_files(&u, &c);
    if (rc == 0) {
        rc = project_make(&p, u.root, &c, git, OPEN_INIT);
        git = NULL; /* the handle owns it now, even on failure */
    }
    if (rc == 0)
        rc = init_commit(p, o);
    if (rc != 0) {
        dt_project_free(p);
        dt_git_free(git);
        p = NULL;
        undo_init(&u);
    }
    *out = p;
    dt_config_free(&c);
    dt_buf_free(&u.old_gitignore);
    free(u.root);
    return rc;
}

/* ---- clone ---- */

/* "https://host/team/study.git" -> "study". */
static char *clone_dir_default(const char *url)
{
    size_t n = strlen(url);
    while (n && url[n - 1] == '/')
        n--;
    size_t start = n;
    while (start && url[start - 1] != '/' && url[start - 1] != ':')
        start--;
    size_t len = n - start;
    if (len > 4 && !strncmp(url + n - 4, ".git", 4))
        len -= 4;
    return len ? dt_strndup(url + start, len) : dt_strdup("datom-project");
}

/* What a clone of a project on a local default store has of its bytes. */
static void clone_store_note(const dt_project *p)
{
    if (p->store_place == DT_STORE_SHARED)
        dt_log(DT_LOG_INFO,
               "note: %s keeps its bytes in a local store, %s, which git does not carry: this "
               "clone uses it where it is, on this machine; a clone elsewhere would have the "
               "tables' history but not their data. To share a project, give it a store "
               "others can reach (a shared path or S3).",
               p->name, p->store_url);
    else if (p->store_place == DT_STORE_MISSING)
        dt_log(DT_LOG_INFO,
               "warning: %s keeps its bytes in a local store, %s, which git does not carry and "
               "which is not on this machine: this clone has the tables' history but not "
               "their data. To share a project, give it a store others can reach (a shared "
               "path or S3).",
               p->name, p->config->storage_root);
}

int dt_project_clone(dt_project **out, const char *url, const char *dir)
{
    *out = NULL;
    char *bare = dt_url_strip_userinfo(url, NULL, NULL); /* no credentials in a directory name */
    char *target = dir ? dt_strdup(dir) : clone_dir_default(bare);
    free(bare);
    bool existed = dt_fs_exists(target);
    dt_git *git = NULL;
    int rc = dt_git_clone(&git, url, target);
    dt_git_free(git);
    if (rc == 0) {
        char *root = abs_path(target);
        rc = open_at(out, root, OPEN_READ);
        if (rc == DATOM_ENOTFOUND)
            dt_error_wrap("%s is not a datom project", url);
        free(root);
    }
    if (rc != 0 && !existed) {
        int code = datom_errcode();
        char *msg = dt_strdup(datom_errmsg());
        dt_fs_rmtree(target);
        dt_error(code, "%s", msg);
        free(msg);
    }
    if (rc == 0)
        clone_store_note(*out);
    free(target);
    return rc;
}
