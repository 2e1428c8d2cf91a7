/*
 * metadata.c: building, hashing and checking the JSON documents of a table
 * (metadata.json, version_history.json, manifest.json); see metadata.h.
 * Field orders and the set of fields metadata_sha ignores are those of the R
 * package datom 0.1.1 (docs/formats.md, "Table documents" and "metadata_sha").
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "project/jsonlite.h"
#include "project/metadata.h"

/* Fields that are not part of a version's identity. */
static const char *const volatile_fields[] = {"created_at", "datom_version", "parquet_sha",
                                              "column_hashes", "size_bytes"};

static const char *const reserved_names[] = {".metadata", ".datom", "input_files", "datom",
                                             ".git",      ".gitignore", "renv"};

static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ' ' || c == '(' || c == ')' || c == '-';
}

int dt_table_name_check(const char *name)
{
    size_t n = strlen(name);
    if (n == 0)
        return dt_error(DATOM_EINVAL, "invalid table name: empty");
    if (n > DT_TABLE_NAME_MAX)
        return dt_error(DATOM_EINVAL, "invalid table name '%.40s...': longer than %d characters",
                        name, DT_TABLE_NAME_MAX);
    for (size_t i = 0; i < DT_ARRAY_LEN(reserved_names); i++)
        if (!strcasecmp(name, reserved_names[i]))
            return dt_error(DATOM_EINVAL, "invalid table name '%s': reserved", name);
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
        return dt_error(DATOM_EINVAL, "invalid table name '%s': must start with a letter", name);
    for (size_t i = 0; i < n; i++)
        if (!name_char_ok(name[i]))
            return dt_error(DATOM_EINVAL,
                            "invalid table name '%s': character %zu is not a letter, digit, '_', "
                            "' ', '(', ')' or '-'",
                            name, i + 1);
    return 0;
}

/* A string vector, unboxed when it has one element (jsonlite auto_unbox). */
static json_t *str_vector(const char *const *v, size_t n)
{
    if (n == 1)
        return json_string(v[0]);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *dt_meta_build(const dt_meta_in *in)
{
    const dt_schema *s = in->schema;
    json_t *m = json_object();
    json_object_set_new(m, "data_sha", json_string(in->data_sha));
    json_object_set_new(m, "hash_algo", json_string("datom-cv1"));
    if (in->parquet_sha)
        json_object_set_new(m, "parquet_sha", json_string(in->parquet_sha));
    json_object_set_new(m, "table_type", json_string(in->table_type));
    json_object_set_new(m, "nrow", json_integer((json_int_t)in->nrow));
    json_object_set_new(m, "ncol", json_integer((json_int_t)s->ncol));
    const char **names = dt_calloc(s->ncol ? s->ncol : 1, sizeof *names);
    for (size_t i = 0; i < s->ncol; i++)
        names[i] = s->fields[i].name;
    json_object_set_new(m, "colnames", str_vector(names, s->ncol));
    free(names);
    if (in->column_hashes) {
        json_t *a = json_array();
        for (size_t i = 0; i < s->ncol; i++)
            json_array_append_new(a, json_pack("{s:s, s:s}", "name", s->fields[i].name, "sha",
                                               in->column_hashes[i]));
        json_object_set_new(m, "column_hashes", a);
    }
    char when[32];
    dt_utc_iso(in->created_ms, when);
    json_object_set_new(m, "created_at", json_string(when));
    json_object_set_new(m, "datom_version", json_string(datom_version()));
    if (in->original_file_sha)
        json_object_set_new(m, "original_file_sha", json_string(in->original_file_sha));
    if (in->parents)
        json_object_set_new(m, "parents", json_deep_copy(in->parents));
    if (in->source_lineage)
        json_object_set_new(m, "source_lineage", json_deep_copy(in->source_lineage));
    if (in->has_size)
        json_object_set_new(m, "size_bytes", json_integer((json_int_t)in->size_bytes));
    if (in->custom)
        json_object_set_new(m, "custom", json_deep_copy(in->custom));
    return m;
}

static bool is_volatile(const char *key)
{
    for (size_t i = 0; i < DT_ARRAY_LEN(volatile_fields); i++)
        if (!strcmp(key, volatile_fields[i]))
            return true;
    return false;
}

void dt_meta_canonical(const json_t *meta, dt_buf *out)
{
    dt_strv keys = DT_STRV_INIT;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)meta, key, val) {
        /* an explicit null is how some writers spell "absent" */
        if (!is_volatile(key) && !json_is_null(val))
            dt_strv_push(&keys, key);
    }
    dt_strv_sort(&keys);
    dt_buf_putc(out, '{');
    for (size_t i = 0; i < keys.n; i++) {
        json_t *one = json_object();
        json_object_set(one, keys.v[i], json_object_get(meta, keys.v[i]));
        dt_buf t = DT_BUF_INIT;
        dt_jsonlite_write(one, &t);
        /* strip the braces of the one-key object: "key":value */
        if (i)
            dt_buf_putc(out, ',');
        dt_buf_append(out, t.data + 1, t.len - 2);
        dt_buf_free(&t);
        json_decref(one);
    }
    dt_buf_putc(out, '}');
    dt_strv_free(&keys);
}

void dt_meta_sha(const json_t *meta, char out[DATOM_SHA_HEX])
{
    dt_buf b = DT_BUF_INIT;
    dt_meta_canonical(meta, &b);
    dt_sha256_hex(b.data, b.len, out);
    dt_buf_free(&b);
}

static int check_sha_field(const json_t *obj, const char *key, bool required, const char *what)
{
    json_t *v = json_object_get(obj, key);
    /* absent, null, "" or {} (how R's write_json spells a NULL) all mean "not recorded" */
    if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)) ||
        (json_is_object(v) && json_object_size(v) == 0)) {
        if (required)
            return dt_error(DATOM_ECORRUPT, "%s: missing \"%s\"", what, key);
        return 0;
    }
    if (!json_is_string(v) || !dt_is_sha_hex(json_string_value(v)))
        return dt_error(DATOM_ECORRUPT, "%s: \"%s\" is not a 64-digit lowercase hex SHA-256", what,
                        key);
    return 0;
}

int dt_meta_check(const json_t *meta, const char *what)
{
    if (!json_is_object(meta))
        return dt_error(DATOM_ECORRUPT, "%s: metadata is not a JSON object", what);
    int rc = check_sha_field(meta, "data_sha", true, what);
    if (rc == 0)
        rc = check_sha_field(meta, "parquet_sha", false, what);
    return rc;
}

void dt_meta_colnames(const json_t *meta, dt_strv *out)
{
    json_t *c = json_object_get(meta, "colnames");
    if (json_is_string(c)) {
        dt_strv_push(out, json_string_value(c));
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(c, i, v)
        if (json_is_string(v))
            dt_strv_push(out, json_string_value(v));
}

static uint64_t u64_of(const json_t *v)
{
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        return (uint64_t)json_integer_value(v);
    if (json_is_real(v) && json_real_value(v) >= 0)
        return (uint64_t)json_real_value(v);
    if (json_is_array(v) && json_array_size(v) == 1)
        return u64_of(json_array_get(v, 0));
    return 0;
}

uint64_t dt_meta_u64(const json_t *meta, const char *key) { return u64_of(json_object_get(meta, key)); }

json_t *dt_history_entry(const dt_hist_in *in)
{
    json_t *e = json_object();
    json_object_set_new(e, "version", json_string(in->version));
    json_object_set_new(e, "data_sha", json_string(in->data_sha));
    json_object_set_new(e, "timestamp", json_string(in->timestamp));
    json_object_set_new(e, "author", json_pack("{s:s, s:s}", "name", in->author_name, "email",
                                               in->author_email));
    json_object_set_new(e, "commit_message", json_string(in->message));
    if (in->parquet_sha)
        json_object_set_new(e, "parquet_sha", json_string(in->parquet_sha));
    if (in->original_file_sha)
        json_object_set_new(e, "original_file_sha", json_string(in->original_file_sha));
    return e;
}

bool dt_history_has(const json_t *history, const char *version)
{
    size_t i;
    json_t *e;
    json_array_foreach(history, i, e) {
        const char *v = dt_json_str(e, "version");
        if (v && version && !strcmp(v, version))
            return true;
    }
    return false;
}

bool dt_history_add(json_t *history, json_t *entry)
{
    if (dt_history_has(history, dt_json_str(entry, "version")))
        return false;
    json_array_insert(history, 0, entry);
    return true;
}

int dt_history_check(const json_t *history, const char *what)
{
    if (!json_is_array(history))
        return dt_error(DATOM_ECORRUPT, "%s: version history is not a JSON array", what);
    size_t i;
    json_t *e;
    json_array_foreach(history, i, e) {
        if (!json_is_object(e))
            return dt_error(DATOM_ECORRUPT, "%s: entry %zu is not an object", what, i + 1);
        char where[512];
        snprintf(where, sizeof where, "%s: entry %zu", what, i + 1);
        int rc = check_sha_field(e, "version", true, where);
        if (rc == 0)
            rc = check_sha_field(e, "data_sha", true, where);
        if (rc)
            return rc;
    }
    return 0;
}

int dt_version_resolve(size_t n, const char *(*version_of)(const void *ctx, size_t i),
                       const void *ctx, const char *table, const char *spec, size_t *index_out)
{
    if (!dt_is_hex_prefix(spec, 6, 64))
        return dt_error(DATOM_EINVAL,
                        "invalid version '%s' for table '%s': give a metadata_sha or a prefix of "
                        "6 to 64 lowercase hex digits",
                        spec, table);
    size_t len = strlen(spec), hits = 0;
    dt_buf list = DT_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const char *v = version_of(ctx, i);
        if (v && !strncmp(v, spec, len)) {
            if (hits < 5)
                dt_buf_printf(&list, "%s%.12s", hits ? ", " : "", v);
            if (!hits)
                *index_out = i;
            hits++;
        }
    }
    int rc = 0;
    if (hits == 0)
        rc = dt_error(DATOM_ENOTFOUND, "table '%s' has no version %s (see `datom history %s`)",
                      table, spec, table);
    else if (hits > 1)
        rc = dt_error(DATOM_EAMBIGUOUS,
                      "version prefix %s of table '%s' is ambiguous: it matches %zu versions (%s%s); "
                      "give more digits",
                      spec, table, hits, dt_buf_cstr(&list), hits > 5 ? ", ..." : "");
    dt_buf_free(&list);
    return rc;
}

static const char *json_version_of(const void *ctx, size_t i)
{
    return dt_json_str(json_array_get((const json_t *)ctx, i), "version");
}

int dt_history_resolve(const json_t *history, const char *table, const char *spec,
                       const json_t **entry_out)
{
    size_t i = 0;
    *entry_out = NULL;
    int rc = dt_version_resolve(json_array_size(history), json_version_of, history, table, spec, &i);
    if (rc == 0)
        *entry_out = json_array_get(history, i);
    return rc;
}

const char *dt_history_parquet_sha(const json_t *history, const char *data_sha)
{
    size_t i;
    json_t *e;
    json_array_foreach(history, i, e) {
        const char *d = dt_json_str(e, "data_sha"), *p = dt_json_str(e, "parquet_sha");
        if (d && p && *p && !strcmp(d, data_sha))
            return p;
    }
    return NULL;
}

json_t *dt_manifest_new(const char *project_name, int64_t now_ms)
{
    char when[32];
    dt_utc_iso(now_ms, when);
    return json_pack("{s:s, s:s, s:{}, s:{s:i, s:i, s:i}}", "project_name", project_name,
                     "updated_at", when, "tables", "summary", "total_tables", 0,
                     "total_size_bytes", 0, "total_versions", 0);
}

void dt_manifest_summarise(json_t *m)
{
    json_t *tables = json_object_get(m, "tables");
    uint64_t size = 0, versions = 0;
    const char *k;
    json_t *t;
    json_object_foreach(tables, k, t) {
        size += dt_meta_u64(t, "size_bytes");
        versions += dt_meta_u64(t, "version_count");
    }
    json_object_set_new(m, "summary",
                        json_pack("{s:I, s:I, s:I}", "total_tables",
                                  (json_int_t)json_object_size(tables), "total_size_bytes",
                                  (json_int_t)size, "total_versions", (json_int_t)versions));
}

void dt_manifest_set(json_t *manifest, const char *name, const dt_manifest_row *row, int64_t now_ms)
{
    char when[32];
    dt_utc_iso(now_ms, when);
    json_t *tables = json_object_get(manifest, "tables");
    if (!json_is_object(tables)) {
        tables = json_object();
        json_object_set_new(manifest, "tables", tables);
    }
    json_t *t = json_pack("{s:s, s:s, s:s, s:I, s:I}", "current_version", row->version,
                          "current_data_sha", row->data_sha, "last_updated", when, "size_bytes",
                          (json_int_t)row->size_bytes, "version_count",
                          (json_int_t)row->version_count);
    if (row->original_file_sha)
        json_object_set_new(t, "original_file_sha", json_string(row->original_file_sha));
    if (row->original_format)
        json_object_set_new(t, "original_format", json_string(row->original_format));
    json_object_set_new(tables, name, t);
    json_object_set_new(manifest, "updated_at", json_string(when));
    dt_manifest_summarise(manifest);
}

int dt_json_load_optional(const char *path, json_t **out)
{
    *out = NULL;
    if (!dt_fs_exists(path))
        return 0;
    return dt_json_load_file(path, out);
}

int dt_json_save(const char *path, const json_t *doc)
{
    char *text = dt_json_pretty(doc);
    int rc = dt_fs_write_atomic(path, text, strlen(text));
    free(text);
    return rc;
}
