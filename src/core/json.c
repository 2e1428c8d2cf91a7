/*
 * json.c: JSON over jansson, with errors that name the file, line and column.
 *
 * Output keeps keys in insertion order (JSON_PRESERVE_ORDER): metadata files
 * have a documented field order, and reviewers read their diffs in git.
 */
#include <jansson.h>
#include <stdlib.h>

#include "core.h"

#define JSON_MAX_FILE (256u << 20)

int dt_json_load_buf(const char *what, const void *p, size_t n, json_t **out)
{
    json_error_t err;
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (!j)
        return dt_error(DATOM_EINVAL, "%s:%d:%d: invalid JSON: %s", what, err.line, err.column,
                        err.text);
    *out = j;
    return 0;
}

int dt_json_load_file(const char *path, json_t **out)
{
    dt_buf b = DT_BUF_INIT;
    int rc = dt_fs_read_all(path, &b, JSON_MAX_FILE);
    if (rc == 0)
        rc = dt_json_load_buf(path, b.data ? (const void *)b.data : "", b.len, out);
    dt_buf_free(&b);
    return rc;
}

static char *dump(const json_t *j, size_t flags, int newline)
{
    char *s = json_dumps(j, flags | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (!s) {
        fprintf(stderr, "datom: out of memory encoding JSON\n");
        abort();
    }
    if (!newline)
        return s;
    char *t = dt_sprintf("%s\n", s);
    free(s);
    return t;
}

char *dt_json_pretty(const json_t *j) { return dump(j, JSON_INDENT(2), 1); }
char *dt_json_compact(const json_t *j) { return dump(j, JSON_COMPACT, 0); }

const char *dt_json_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}
