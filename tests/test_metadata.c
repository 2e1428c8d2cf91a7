/* test_metadata.c: metadata.json, metadata_sha (jsonlite canonical JSON),
 * version history and manifest documents (src/project/metadata.c, jsonlite.c). */
#include <jansson.h>

#include "project/histscan.h"
#include "project/jsonlite.h"
#include "project/metadata.h"
#include "t.h"

static char *canon_of(const char *json_text)
{
    json_t *j = json_loads(json_text, JSON_DECODE_ANY, NULL);
    if (!j)
        return strdup("(bad json)");
    dt_buf b = DT_BUF_INIT;
    dt_jsonlite_write(j, &b);
    json_decref(j);
    return dt_buf_detach(&b);
}

#define T_CANON(in, want)                                                                          \
    do {                                                                                           \
        char *t_s = canon_of(in);                                                                  \
        int t_bad = strcmp(t_s, want);                                                             \
        if (t_bad)                                                                                 \
            fprintf(stderr, "  got %s\n", t_s);                                                    \
        free(t_s);                                                                                 \
        T_ASSERT(!t_bad);                                                                          \
    } while (0)

static void test_spec_check_value(void)
{
    /* keys out of order and volatile fields present: both must not matter */
    json_t *m = json_pack("{s:s, s:i, s:s, s:s, s:i, s:s, s:s, s:s, s:I, s:[{s:s}]}", "table_type",
                          "imported", "nrow", 100, "name", "mytable", "hash_algo", "datom-cv1",
                          "ncol", 5, "data_sha", "abc123", "created_at", "2026-01-01T00:00:00Z",
                          "parquet_sha", "ff", "size_bytes", (json_int_t)5000000000LL,
                          "column_hashes", "name", "x");
    dt_buf b = DT_BUF_INIT;
    dt_meta_canonical(m, &b);
    T_EQ_STR(dt_buf_cstr(&b), "{\"data_sha\":\"abc123\",\"hash_algo\":\"datom-cv1\",\"name\":"
                              "\"mytable\",\"ncol\":5,\"nrow\":100,\"table_type\":\"imported\"}");
    char sha[DATOM_SHA_HEX];
    dt_meta_sha(m, sha);
    T_EQ_STR(sha, "59f1f1d936c5d65472733a924493ce2362255d442ebea6d41f7c3c9e7069d326");
    dt_buf_free(&b);
    json_decref(m);
}

static void test_numbers(void)
{
    T_CANON("100", "100");
    T_CANON("100.0", "100");
    T_CANON("3.14159265", "3.1416");
    T_CANON("0.5", "0.5");
    T_CANON("-1.25", "-1.25");
    T_CANON("2.00004", "2");
    T_CANON("123456.789", "123456.789");
    T_CANON("3000000000", "3000000000");
    T_CANON("-2147483648", "-2147483648");
    T_CANON("1e10", "10000000000");
    T_CANON("1e15", "1000000000000000");
    T_CANON("1e17", "1e+17");
    T_CANON("0.000001", "1e-06");
    T_CANON("0", "0");
    T_CANON("0.99999", "1");
}

static void test_strings_and_unboxing(void)
{
    T_CANON("\"a/b\"", "\"a/b\"");
    T_CANON("\"</script>\"", "\"<\\/script>\"");
    T_CANON("\"tab\\tq\\\"bs\\\\\"", "\"tab\\tq\\\"bs\\\\\"");
    T_CANON("\"\\u0001\\u001f\"", "\"\\u0001\\u001f\"");
    T_CANON("\"\xc3\xa9\"", "\"\xc3\xa9\"");
    T_CANON("[\"x\"]", "\"x\"");
    T_CANON("[\"x\",\"y\"]", "[\"x\",\"y\"]");
    T_CANON("[]", "[]");
    T_CANON("{}", "{}");
    T_CANON("[{\"a\":[1]}]", "[{\"a\":1}]");
    T_CANON("{\"b\":true,\"a\":null}", "{\"b\":true,\"a\":null}");
}

static void test_build_field_order_and_unbox(void)
{
    dt_schema s;
    dt_schema_init(&s, 1);
    dt_schema_set(&s, 0, "x", DT_STRING);
    const char *hashes[] = {"15ceda31e3f254bd4b7d1afa2150150dff971bb0c5943bb6fd3d90d4a9bd8c7c"};
    json_t *custom = json_pack("{s:s}", "source", "lab/2026");
    dt_meta_in in = {.data_sha = hashes[0], .parquet_sha = hashes[0], .table_type = "derived",
                     .nrow = 4, .schema = &s, .column_hashes = hashes, .created_ms = 0,
                     .has_size = true, .size_bytes = 5000000000ULL, .custom = custom};
    json_t *m = dt_meta_build(&in);
    const char *order[] = {"data_sha", "hash_algo", "parquet_sha", "table_type", "nrow", "ncol",
                           "colnames", "column_hashes", "created_at", "datom_version",
                           "size_bytes", "custom"};
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) {
        T_ASSERT(i < DT_ARRAY_LEN(order));
        T_EQ_STR(k, order[i]);
        i++;
    }
    T_EQ_INT(i, DT_ARRAY_LEN(order));
    T_ASSERT(json_is_string(json_object_get(m, "colnames")));
    T_EQ_STR(dt_json_str(m, "created_at"), "1970-01-01T00:00:00Z");
    T_EQ_INT(dt_meta_u64(m, "size_bytes"), 5000000000ULL);
    dt_buf b = DT_BUF_INIT;
    dt_meta_canonical(m, &b);
    T_EQ_STR(dt_buf_cstr(&b),
             "{\"colnames\":\"x\",\"custom\":{\"source\":\"lab/2026\"},\"data_sha\":"
             "\"15ceda31e3f254bd4b7d1afa2150150dff971bb0c5943bb6fd3d90d4a9bd8c7c\",\"hash_algo\":"
             "\"datom-cv1\",\"ncol\":1,\"nrow\":4,\"table_type\":\"derived\"}");
    /* a round trip through the pretty file text keeps the identity */
    char *text = dt_json_pretty(m);
    T_ASSERT(strstr(text, "\n  \"data_sha\": ") != NULL);
    json_t *back = json_loads(text, 0, NULL);
    char s1[DATOM_SHA_HEX], s2[DATOM_SHA_HEX];
    dt_meta_sha(m, s1);
    dt_meta_sha(back, s2);
    T_EQ_STR(s1, s2);
    /* colnames spelled as a one-element array hash the same */
    json_object_set_new(back, "colnames", json_pack("[s]", "x"));
    dt_meta_sha(back, s2);
    T_EQ_STR(s1, s2);
    dt_strv names = DT_STRV_INIT;
    dt_meta_colnames(back, &names);
    T_EQ_INT(names.n, 1);
    T_EQ_STR(names.v[0], "x");
    T_OK(dt_meta_check(back, "metadata.json"));
    json_object_set_new(back, "parquet_sha", json_object()); /* R's spelling of NULL */
    T_OK(dt_meta_check(back, "metadata.json"));
    json_object_set_new(back, "parquet_sha", json_string("nothex"));
    T_ERR(dt_meta_check(back, "m.json"), DATOM_ECORRUPT, "\"parquet_sha\"");
    json_object_set_new(back, "data_sha", json_string("nothex"));
    T_ERR(dt_meta_check(back, "t/metadata.json"), DATOM_ECORRUPT, "t/metadata.json: \"data_sha\"");
    dt_strv_free(&names);
    free(text);
    json_decref(back);
    dt_buf_free(&b);
    json_decref(m);
    json_decref(custom);
    dt_schema_free(&s);
}

static json_t *entry(const char *version)
{
    dt_hist_in h = {.version = version,
                    .data_sha = "1111111111111111111111111111111111111111111111111111111111111111",
                    .timestamp = "2026-01-01T00:00:00Z", .author_name = "A", .author_email = "a@x",
                    .message = "Update t"};
    return dt_history_entry(&h);
}

static void test_history(void)
{
    json_t *h = json_array();
    const char *v1 = "abcdef0000000000000000000000000000000000000000000000000000000001";
    const char *v2 = "abcdef0000000000000000000000000000000000000000000000000000000002";
    const char *v3 = "1234560000000000000000000000000000000000000000000000000000000003";
    json_t *e;
    T_ASSERT(dt_history_add(h, e = entry(v1)));
    json_decref(e);
    T_ASSERT(dt_history_add(h, e = entry(v2)));
    json_decref(e);
    T_ASSERT(!dt_history_add(h, e = entry(v1))); /* a version appears once */
    json_decref(e);
    T_ASSERT(dt_history_add(h, e = entry(v3)));
    json_decref(e);
    T_EQ_INT(json_array_size(h), 3);
    T_EQ_STR(dt_json_str(json_array_get(h, 0), "version"), v3); /* newest first */
    T_OK(dt_history_check(h, "t/version_history.json"));
    const json_t *got;
    T_OK(dt_history_resolve(h, "t", "123456", &got));
    T_EQ_STR(dt_json_str(got, "version"), v3);
    T_OK(dt_history_resolve(h, "t", v1, &got));
    T_EQ_STR(dt_json_str(got, "version"), v1);
    T_ERR(dt_history_resolve(h, "t", "abcdef", &got), DATOM_EAMBIGUOUS, "matches 2 versions");
    T_ERR(dt_history_resolve(h, "t", "fedcba", &got), DATOM_ENOTFOUND, "has no version fedcba");
    T_ERR(dt_history_resolve(h, "t", "abc", &got), DATOM_EINVAL, "6 to 64");
    T_ERR(dt_history_resolve(h, "t", "ABCDEF", &got), DATOM_EINVAL, "lowercase hex");
    json_decref(h);
}

static void test_names(void)
{
    T_OK(dt_table_name_check("dm"));
    T_OK(dt_table_name_check("Lab results (v2)-x_y"));
    T_ERR(dt_table_name_check("1abc"), DATOM_EINVAL, "start with a letter");
    T_ERR(dt_table_name_check("a/b"), DATOM_EINVAL, "character 2");
    T_ERR(dt_table_name_check("Input_Files"), DATOM_EINVAL, "reserved");
    T_ERR(dt_table_name_check(""), DATOM_EINVAL, "empty");
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    T_ERR(dt_table_name_check(longname), DATOM_EINVAL, "longer than 128");
}

static void test_manifest_sizes(void)
{
    json_t *m = dt_manifest_new("p", 0);
    dt_manifest_row r = {.version = "v1", .data_sha = "d1", .size_bytes = 3000000000ULL,
                         .version_count = 2};
    dt_manifest_set(m, "a", &r, 1000);
    r.size_bytes = 4000000000ULL;
    r.version_count = 1;
    r.original_file_sha = "f";
    r.original_format = "csv";
    dt_manifest_set(m, "b", &r, 2000);
    json_t *sum = json_object_get(m, "summary");
    T_EQ_INT(dt_meta_u64(sum, "total_tables"), 2);
    T_EQ_INT(dt_meta_u64(sum, "total_size_bytes"), 7000000000ULL);
    T_EQ_INT(dt_meta_u64(sum, "total_versions"), 3);
    T_EQ_STR(dt_json_str(json_object_get(json_object_get(m, "tables"), "b"), "original_format"), "csv");
    json_decref(m);
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_histscan(void)
{
    const char *text =
        "[\n  {\"version\": \"" SHA_A "\", \"data_sha\": \"" SHA_B "\",\n"
        "   \"extra\": [1, -2.5e3, true, null, {\"x\": [\"y\"]}],\n"
        "   \"author\": {\"name\": \"Ana \\u00e9 \\ud83d\\ude00\", \"email\": \"a@x\"},\n"
        "   \"commit_message\": \"line\\nnext \\\"q\\\" \\/\"},\n"
        "  {\"author\": \"Old Tool\", \"data_sha\": \"" SHA_A "\", \"version\": \"" SHA_B "\","
        " \"parquet_sha\": \"" SHA_A "\"}\n]\n";
    dt_buf doc = DT_BUF_INIT;
    dt_buf_puts(&doc, text);
    dt_hist_scan h;
    T_OK(dt_hist_scan_doc(&doc, "h.json", &h));
    T_EQ_INT(h.n, 2);
    T_EQ_STR(h.v[0].version, SHA_A);
    T_EQ_STR(h.v[0].author_name, "Ana \xc3\xa9 \xf0\x9f\x98\x80");
    T_EQ_STR(h.v[0].author_email, "a@x");
    T_EQ_STR(h.v[0].message, "line\nnext \"q\" /");
    T_ASSERT(h.v[0].parquet_sha == NULL);
    T_EQ_STR(h.v[1].author_name, "Old Tool");
    T_EQ_STR(h.v[1].parquet_sha, SHA_A);
    /* the raw slice of an entry is that entry's JSON */
    json_t *e = json_loadb((const char *)h.raw.data + h.v[1].start, h.v[1].end - h.v[1].start, 0, NULL);
    T_ASSERT(e != NULL);
    T_EQ_STR(dt_json_str(e, "version"), SHA_B);
    json_decref(e);
    dt_hist_scan_free(&h);

    const char *bad[] = {"{}", "[{\"version\": \"x\"}]", "[1]", "[{\"a\": \"unterminated}]",
                         "[] trailing", "[{\"version\": \"" SHA_A "\", \"data_sha\": \"" SHA_B "\",}]"};
    for (size_t i = 0; i < DT_ARRAY_LEN(bad); i++) {
        dt_buf_puts(&doc, bad[i]);
        T_ERR(dt_hist_scan_doc(&doc, "h.json", &h), DATOM_ECORRUPT, "h.json");
    }
    dt_buf_puts(&doc, "[]");
    T_OK(dt_hist_scan_doc(&doc, "h.json", &h));
    T_EQ_INT(h.n, 0);
    dt_hist_scan_free(&h);
}

int main(void)
{
    T_RUN(test_histscan);
    T_RUN(test_spec_check_value);
    T_RUN(test_numbers);
    T_RUN(test_strings_and_unboxing);
    T_RUN(test_build_field_order_and_unbox);
    T_RUN(test_history);
    T_RUN(test_names);
    T_RUN(test_manifest_sizes);
    return t_done();
}
