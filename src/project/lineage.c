/*
 * lineage.c: parents and source lineage (docs/formats.md, "Lineage").
 * A parent is pinned by its metadata_sha and carries its data_sha; the
 * source lineage of a derived table is the union of its parents' source
 * lineages; walking lineage follows `parents` only.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "project/metadata.h"
#include "project/tables.h"

#define LINEAGE_MAX_DEPTH 64

static int split_spec(const char *spec, char **table, char **version)
{
    const char *at = strrchr(spec, '@');
    if (!at || at == spec || !at[1])
        return dt_error(DATOM_EINVAL, "parent '%s': expected TABLE@VERSION", spec);
    *table = dt_strndup(spec, (size_t)(at - spec));
    *version = dt_strdup(at + 1);
    return 0;
}

int dt_parent_resolve(dt_project *p, const char *spec, json_t **entry_out, json_t **lineage_out)
{
    char *table = NULL, *version = NULL;
    json_t *meta = NULL;
    *entry_out = *lineage_out = NULL;
    dt_version_ref ref;
    int rc = split_spec(spec, &table, &version);
    if (rc == 0)
        rc = dt_table_resolve(p, table, version, &ref);
    if (rc == 0)
        rc = dt_table_version(p, table, ref.version, &meta);
    if (rc == 0) {
        *entry_out = json_pack("{s:s, s:s, s:s, s:s}", "source", p->name, "table", table, "version",
                               ref.version, "data_sha", ref.data_sha);
        json_t *sl = json_object_get(meta, "source_lineage");
        *lineage_out = json_is_array(sl) ? json_incref(sl) : NULL;
    }
    json_decref(meta);
    free(table);
    free(version);
    return rc ? dt_error_wrap("parent %s", spec) : 0;
}

static char *lineage_key(const json_t *e)
{
    const char *p = dt_json_str(e, "project"), *t = dt_json_str(e, "table"),
               *v = dt_json_str(e, "version_sha");
    return dt_sprintf("%s\t%s\t%s", p ? p : "", t ? t : "", v ? v : "");
}

json_t *dt_lineage_union(json_t *const *lineages, size_t n)
{
    json_t *out = json_array();
    dt_strv seen = DT_STRV_INIT;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        json_t *e;
        json_array_foreach(lineages[i], j, e) {
            char *k = lineage_key(e);
            bool dup = false;
            for (size_t s = 0; s < seen.n && !dup; s++)
                dup = !strcmp(seen.v[s], k);
            if (dup) {
                free(k);
                continue;
            }
            dt_strv_push_owned(&seen, k);
            json_array_append(out, e);
        }
    }
    dt_strv_free(&seen);
    return out;
}

/* {table, version, data_sha, table_type, parents: [...]} for one version,
 * its parents walked while they are in this project. */
static int walk(dt_project *p, const char *table, const char *version, int depth, json_t **out)
{
    json_t *meta = NULL;
    int rc = dt_table_version(p, table, version, &meta);
    if (rc)
        return rc;
    char sha[DATOM_SHA_HEX];
    dt_meta_sha(meta, sha);
    json_t *node = json_pack("{s:s, s:s, s:s?, s:s?}", "table", table, "version",
                             version ? version : sha, "data_sha", dt_json_str(meta, "data_sha"),
                             "table_type", dt_json_str(meta, "table_type"));
    json_t *kids = json_array();
    json_t *parents = json_object_get(meta, "parents");
    size_t i;
    json_t *par;
    json_array_foreach(parents, i, par) {
        const char *src = dt_json_str(par, "source"), *t = dt_json_str(par, "table"),
                   *v = dt_json_str(par, "version");
        json_t *child = NULL;
        if (t && v && (!src || !strcmp(src, p->name)) && depth < LINEAGE_MAX_DEPTH) {
            rc = walk(p, t, v, depth + 1, &child);
            if (rc == DATOM_ENOTFOUND) { /* a parent removed since: show what is recorded */
                datom_errclear();
                rc = 0;
                child = NULL;
            }
        }
        if (rc)
            break;
        if (!child)
            child = json_deep_copy(par);
        else if (src)
            json_object_set_new(child, "source", json_string(src));
        json_array_append_new(kids, child);
    }
    json_object_set_new(node, "parents", kids);
    json_decref(meta);
    if (rc) {
        json_decref(node);
        return rc;
    }
    *out = node;
    return 0;
}

int dt_lineage_parents(dt_project *p, const char *table, const char *version, json_t **out)
{
    *out = NULL;
    char *full = NULL;
    if (version) {
        dt_version_ref ref;
        int rc = dt_table_resolve(p, table, version, &ref);
        if (rc)
            return rc;
        full = dt_strdup(ref.version);
    }
    int rc = walk(p, table, full, 0, out);
    free(full);
    return rc;
}
