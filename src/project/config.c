/*
 * config.c: .datom/project.yaml (see config.h) and the name rules of projects
 * and store prefixes.
 *
 * Reading walks libyaml's document tree; every complaint names the file, line
 * and column of the node at fault. Unknown keys are ignored so that a file
 * written by a newer datom (or by the R package) still opens. Writing is by
 * hand: the shape is fixed, and strings are quoted whenever a YAML reader
 * could take them for something else (a number, a date, a boolean, null).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "project/config.h"

#define CONFIG_MAX_BYTES (1u << 20)
#define PROJECT_NAME_MAX 128 /* as R datom */
#define PREFIX_MAX 256

/* ---- names ---- */

int dt_project_name_check(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return dt_error(DATOM_EINVAL, "project name is empty (give one with --name)");
    if (n > PROJECT_NAME_MAX)
        return dt_error(DATOM_EINVAL, "project name \"%.40s...\": longer than %d characters",
                        name, PROJECT_NAME_MAX);
    if (!isalpha((unsigned char)name[0]))
        return dt_error(DATOM_EINVAL, "project name \"%s\": must start with a letter", name);
    /* R datom 0.1.1 takes letters, digits, '_', '-', space, '(' and ')' (and
     * opens any name); '.' is ours. A project named by either opens in both. */
    for (const char *s = name; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_-. ()", *s))
            return dt_error(DATOM_EINVAL,
                            "project name \"%s\": only letters, digits, spaces and '_' '-' "
                            "'.' '(' ')' are allowed",
                            name);
    if (name[n - 1] == '.' || strstr(name, ".."))
        return dt_error(DATOM_EINVAL, "project name \"%s\": no '..' and no trailing '.'", name);
    return 0;
}

int dt_prefix_check(const char *prefix)
{
    size_t n = strlen(prefix);
    if (n > PREFIX_MAX)
        return dt_error(DATOM_EINVAL, "prefix \"%.40s...\": longer than %d characters", prefix,
                        PREFIX_MAX);
    const char *seg = prefix;
    for (const char *s = prefix;; s++) {
        if (*s == '/' || *s == '\0') {
            size_t len = (size_t)(s - seg);
            if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
                return dt_error(DATOM_EINVAL, "prefix \"%s\": no \".\" or \"..\" segment", prefix);
            if (!*s)
                break;
            seg = s + 1;
        } else if (!isalnum((unsigned char)*s) && !strchr("_-.", *s)) {
            return dt_error(DATOM_EINVAL,
                            "prefix \"%s\": only letters, digits, '_', '-', '.' and '/' are "
                            "allowed",
                            prefix);
        }
    }
    return 0;
}

/* ---- defaults and freeing ---- */

void dt_config_defaults(dt_project_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_file_size_gb = 1;
    c->continue_on_error = true;
    c->parallel_uploads = 4;
    c->renv = false;
}

void dt_config_free(dt_project_config *c)
{
    if (!c)
        return;
    char **strs[] = {&c->project_name,   &c->project_description, &c->created_at,
                     &c->datom_version,  &c->storage_type,        &c->storage_root,
                     &c->storage_prefix, &c->storage_region,      &c->storage_endpoint,
                     &c->remote_url};
    for (size_t i = 0; i < DT_ARRAY_LEN(strs); i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
}

/* ---- writing ---- */

static bool looks_special(const char *s)
{
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off",
                                        "null", "y", "n", "~"};
    for (size_t i = 0; i < DT_ARRAY_LEN(words); i++)
        if (!strcasecmp(s, words[i]))
            return true;
    return false;
}

/* Plain when no YAML reader could mistake it; else double-quoted. */
static bool plain_ok(const char *s)
{
    if (!*s || looks_special(s) || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == '/' ||
                                     s[0] == '.'))
        return false;
    size_t n = strlen(s);
    if (s[n - 1] == ' ' || s[n - 1] == ':')
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f || strchr("\"'#&*!|>%@`{}[],\\", c))
            return false;
        if (c == ':' && (p[1] == ' ' || p[1] == '/'))
            return false;
    }
    return true;
}

static void put_scalar(dt_buf *b, const char *s)
{
    if (!s) {
        dt_buf_puts(b, "~");
        return;
    }
    if (plain_ok(s)) {
        dt_buf_puts(b, s);
        return;
    }
    dt_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': dt_buf_puts(b, "\\\""); break;
        case '\\': dt_buf_puts(b, "\\\\"); break;
        case '\n': dt_buf_puts(b, "\\n"); break;
        case '\t': dt_buf_puts(b, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                dt_buf_printf(b, "\\x%02x", *p);
            else
                dt_buf_putc(b, (char)*p);
        }
    }
    dt_buf_putc(b, '"');
}

static void put_kv(dt_buf *b, int indent, const char *key, const char *value)
{
    dt_buf_printf(b, "%*s%s: ", indent, "", key);
    put_scalar(b, value);
    dt_buf_putc(b, '\n');
}

char *dt_config_format(const dt_project_config *c)
{
    dt_buf b = DT_BUF_INIT;
    bool s3 = c->storage_type && !strcmp(c->storage_type, "s3");
    put_kv(&b, 0, "project_name", c->project_name);
    put_kv(&b, 0, "project_description", c->project_description);
    put_kv(&b, 0, "created_at", c->created_at);
    put_kv(&b, 0, "datom_version", c->datom_version);
    dt_buf_puts(&b, "storage:\n  data:\n");
    put_kv(&b, 4, "type", c->storage_type);
    put_kv(&b, 4, "root", c->storage_root);
    put_kv(&b, 4, "prefix", c->storage_prefix);
    if (s3) {
        put_kv(&b, 4, "region", c->storage_region);
        if (c->storage_endpoint)
            put_kv(&b, 4, "endpoint", c->storage_endpoint);
    }
    dt_buf_printf(&b, "  max_file_size_gb: %.15g\n", c->max_file_size_gb);
    dt_buf_puts(&b, "repos:\n  data:\n");
    put_kv(&b, 4, "remote_url", c->remote_url);
    dt_buf_printf(&b, "sync:\n  continue_on_error: %s\n  parallel_uploads: %lld\n",
                  c->continue_on_error ? "true" : "false", (long long)c->parallel_uploads);
    dt_buf_printf(&b, "renv: %s\n", c->renv ? "true" : "false");
    return dt_buf_detach(&b);
}

/* ---- reading ---- */

typedef struct reader {
    const char *path;
    yaml_document_t *doc;
} reader;

static int node_error(const reader *r, const yaml_node_t *n, const char *fmt, ...) DT_PRINTF(3, 4);
static int node_error(const reader *r, const yaml_node_t *n, const char *fmt, ...)
{
    dt_buf msg = DT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    dt_buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    size_t line = n ? n->start_mark.line + 1 : 1, col = n ? n->start_mark.column + 1 : 1;
    int rc = dt_error(DATOM_EINVAL, "%s:%zu:%zu: %s", r->path, line, col, dt_buf_cstr(&msg));
    dt_buf_free(&msg);
    return rc;
}

static yaml_node_t *map_get(const reader *r, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(r->doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
            return yaml_document_get_node(r->doc, p->value);
    }
    return NULL;
}

static bool is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *)n->data.scalar.value;
    return !*v || !strcmp(v, "~") || !strcasecmp(v, "null");
}

/* A mapping under KEY, or NULL when absent or null; an error for anything else. */
static int get_map(const reader *r, yaml_node_t *map, const char *key, yaml_node_t **out)
{
    yaml_node_t *n = map_get(r, map, key);
    *out = NULL;
    if (!n || is_null(n))
        return 0;
    if (n->type != YAML_MAPPING_NODE)
        return node_error(r, n, "%s: expected a mapping", key);
    *out = n;
    return 0;
}

/* A string (NULL when absent or null). */
static int get_str(const reader *r, yaml_node_t *map, const char *key, char **out)
{
    yaml_node_t *n = map_get(r, map, key);
    if (!n || is_null(n))
        return 0;
    if (n->type != YAML_SCALAR_NODE)
        return node_error(r, n, "%s: expected a string", key);
    free(*out);
    *out = dt_strndup((const char *)n->data.scalar.value, n->data.scalar.length);
    if (strlen(*out) != n->data.scalar.length)
        return node_error(r, n, "%s: holds a NUL byte", key);
    return 0;
}

static int get_bool(const reader *r, yaml_node_t *map, const char *key, bool *out)
{
    yaml_node_t *n = map_get(r, map, key);
    if (!n || is_null(n))
        return 0;
    const char *v = n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "";
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
        *out = true;
    else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
        *out = false;
    else
        return node_error(r, n, "%s: expected true or false", key);
    return 0;
}

static int get_num(const reader *r, yaml_node_t *map, const char *key, double *out)
{
    yaml_node_t *n = map_get(r, map, key);
    if (!n || is_null(n))
        return 0;
    const char *v = n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "";
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(d) || d < 0)
        return node_error(r, n, "%s: expected a number (0 or more)", key);
    *out = d;
    return 0;
}

static int get_int(const reader *r, yaml_node_t *map, const char *key, int64_t *out)
{
    yaml_node_t *n = map_get(r, map, key);
    if (!n || is_null(n))
        return 0;
    const char *v = n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "";
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < 1 || x > 1024)
        return node_error(r, n, "%s: expected a whole number from 1 to 1024", key);
    *out = x;
    return 0;
}

static int read_storage(const reader *r, yaml_node_t *root, dt_project_config *c)
{
    yaml_node_t *storage, *data;
    int rc = get_map(r, root, "storage", &storage);
    if (rc == 0)
        rc = get_map(r, storage, "data", &data);
    if (rc == 0)
        rc = get_str(r, data, "type", &c->storage_type);
    if (rc == 0)
        rc = get_str(r, data, "root", &c->storage_root);
    if (rc == 0)
        rc = get_str(r, data, "prefix", &c->storage_prefix);
    if (rc == 0)
        rc = get_str(r, data, "region", &c->storage_region);
    if (rc == 0)
        rc = get_str(r, data, "endpoint", &c->storage_endpoint);
    if (rc == 0)
        rc = get_num(r, storage, "max_file_size_gb", &c->max_file_size_gb);
    if (rc != 0)
        return rc;
    yaml_node_t *at = data ? data : storage ? storage : root;
    if (!c->storage_type)
        c->storage_type = dt_strdup("local");
    if (strcmp(c->storage_type, "local") && strcmp(c->storage_type, "s3"))
        return node_error(r, map_get(r, data, "type"), "storage.data.type \"%s\": expected "
                                                        "local or s3",
                          c->storage_type);
    if (!c->storage_root) {
        if (!strcmp(c->storage_type, "s3"))
            return node_error(r, at, "%s: storage.data.root (the bucket) is missing", "s3");
        c->storage_root = dt_strdup(DT_DEFAULT_STORE_ROOT);
    }
    if (c->storage_prefix && dt_prefix_check(c->storage_prefix) != 0)
        return node_error(r, map_get(r, data, "prefix"), "%s", datom_errmsg());
    return 0;
}

static int read_root(const reader *r, yaml_node_t *root, dt_project_config *c)
{
    if (root->type != YAML_MAPPING_NODE)
        return node_error(r, root, "%s: expected a mapping of settings", "project.yaml");
    yaml_node_t *repos, *rdata, *sync;
    int rc = get_str(r, root, "project_name", &c->project_name);
    if (rc == 0)
        rc = get_str(r, root, "project_description", &c->project_description);
    if (rc == 0)
        rc = get_str(r, root, "created_at", &c->created_at);
    if (rc == 0)
        rc = get_str(r, root, "datom_version", &c->datom_version);
    if (rc == 0)
        rc = read_storage(r, root, c);
    if (rc == 0)
        rc = get_map(r, root, "repos", &repos);
    if (rc == 0)
        rc = get_map(r, repos, "data", &rdata);
    if (rc == 0)
        rc = get_str(r, rdata, "remote_url", &c->remote_url);
    if (rc == 0)
        rc = get_map(r, root, "sync", &sync);
    if (rc == 0)
        rc = get_bool(r, sync, "continue_on_error", &c->continue_on_error);
    if (rc == 0)
        rc = get_int(r, sync, "parallel_uploads", &c->parallel_uploads);
    if (rc == 0)
        rc = get_bool(r, root, "renv", &c->renv);
    if (rc != 0)
        return rc;
    if (!c->project_name)
        return node_error(r, root, "%s: project_name is missing", "project.yaml");
    if (dt_project_name_check(c->project_name) != 0)
        return node_error(r, map_get(r, root, "project_name"), "%s", datom_errmsg());
    return 0;
}

int dt_config_read(const char *path, dt_project_config *out)
{
    dt_config_defaults(out);
    dt_buf text = DT_BUF_INIT;
    int rc = dt_fs_read_all(path, &text, CONFIG_MAX_BYTES);
    if (rc != 0) {
        dt_buf_free(&text);
        return rc;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, text.data ? text.data : (const unsigned char *)"",
                                 text.len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = dt_error(DATOM_EINVAL, "%s:%zu:%zu: invalid YAML: %s%s%s", path,
                      parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                      parser.problem ? parser.problem : "syntax error",
                      parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        dt_buf_free(&text);
        return rc;
    }
    reader r = {path, &doc};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root)
        rc = dt_error(DATOM_EINVAL, "%s:1:1: empty file (expected project settings)", path);
    else
        rc = read_root(&r, root, out);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    dt_buf_free(&text);
    if (rc != 0)
        dt_config_free(out);
    return rc;
}
