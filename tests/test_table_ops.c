/* test_tables.c: writing, reading, history, lineage and validation of table
 * versions on a real project (git work tree + local store), through the
 * library (src/project/write.c, read.c, state.c, lineage.c, validate.c). */
#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

#include "project/metadata.h"
#include "project/tables.h"
#include "table/csv.h"
#include "table/parquet/parquet.h"
#include "t.h"

#define AUTHOR "Test Writer <test@example.org>"

static char *root;

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

static char *in_root(const char *rel) { return dt_path_join(root, rel); }

static const char *v1_csv = "id,site,sex,age,arm,enrolled\n"
                            "S001,Boston,F,34,A,2026-01-05\n"
                            "S002,Lyon,M,51,B,2026-01-09\n"
                            "S003,Osaka,F,,A,2026-02-01\n";
static const char *v2_csv = "id,site,sex,age,arm,enrolled\n"
                            "S001,Boston,F,34,A,2026-01-05\n"
                            "S002,Lyon,M,52,B,2026-01-09\n"
                            "S003,Osaka,F,,A,2026-02-01\n"
                            "S004,Lima,M,29,B,2026-03-11\n";

static dt_project *open_project(void)
{
    dt_project *p = NULL;
    if (dt_project_open(&p, root) != 0) {
        fprintf(stderr, "open: %s\n", datom_errmsg());
        abort();
    }
    return p;
}

static void write_csv(dt_project *p, const char *table, const char *text, const dt_write_opts *o,
                      dt_write_result *r)
{
    char *path = in_root("input.csv");
    put_file(path, text);
    dt_write_opts def = {.author = AUTHOR};
    if (!o)
        o = &def;
    int rc = dt_table_write(p, table, path, o, r);
    free(path);
    if (rc)
        T_FAIL("write %s: %s", table, datom_errmsg());
}

static void setup(void)
{
    root = t_tmpdir("tables");
    char *dir = dt_path_join(root, "proj");
    free(root);
    root = dir;
    dt_project_init_opts io = {.name = "trial", .author = AUTHOR};
    dt_project *p = NULL;
    if (dt_project_init(&p, root, &io) != 0) {
        fprintf(stderr, "init: %s\n", datom_errmsg());
        abort();
    }
    dt_project_free(p);
}

static char v1[DATOM_SHA_HEX], v2[DATOM_SHA_HEX];

static void test_write_classify(void)
{
    dt_project *p = open_project();
    dt_write_result r;
    write_csv(p, "subjects", v1_csv, NULL, &r);
    T_EQ_STR(r.action, "full");
    T_ASSERT(r.commit_sha[0]);
    memcpy(v1, r.metadata_sha, sizeof v1);
    /* the same bytes again: skipped before parsing */
    write_csv(p, "subjects", v1_csv, NULL, &r);
    T_EQ_STR(r.action, "none");
    T_ASSERT(r.skipped);
    T_EQ_STR(r.metadata_sha, v1);
    /* forced to parse: still no change */
    dt_write_opts o = {.author = AUTHOR, .force = true};
    write_csv(p, "subjects", v1_csv, &o, &r);
    T_EQ_STR(r.action, "none");
    T_ASSERT(!r.skipped);
    T_EQ_STR(r.commit_sha, "");
    /* new values */
    write_csv(p, "subjects", v2_csv, NULL, &r);
    T_EQ_STR(r.action, "full");
    memcpy(v2, r.metadata_sha, sizeof v2);
    /* new custom metadata over the same values */
    const char *meta[] = {"study=TRIAL-1"};
    dt_write_opts om = {.author = AUTHOR, .meta = meta, .n_meta = 1};
    write_csv(p, "subjects", v2_csv, &om, &r);
    T_EQ_STR(r.action, "metadata_only");
    char v2m[DATOM_SHA_HEX];
    memcpy(v2m, r.metadata_sha, sizeof v2m);
    /* back to the first content: the first object is reused */
    write_csv(p, "subjects", v1_csv, NULL, &r);
    T_EQ_STR(r.action, "full");
    T_EQ_STR(r.metadata_sha, v1); /* same identity as the first version */
    json_t *meta_doc = NULL, *hist = NULL;
    T_OK(dt_table_load(p, "subjects", &meta_doc, &hist));
    T_EQ_INT(json_array_size(hist), 3); /* v1 appears once */
    /* a version is recorded once: the revert does not add an entry */
    T_EQ_STR(dt_json_str(json_array_get(hist, 0), "version"), v2m);
    T_EQ_STR(dt_json_str(json_array_get(hist, 2), "version"), v1);
    T_EQ_STR(dt_json_str(meta_doc, "table_type"), "imported");
    T_ASSERT(dt_json_str(meta_doc, "original_file_sha") != NULL);
    T_EQ_INT(dt_meta_u64(meta_doc, "nrow"), 3);
    T_EQ_INT(dt_meta_u64(meta_doc, "ncol"), 6);
    json_t *sl = json_object_get(meta_doc, "source_lineage");
    T_EQ_INT(json_array_size(sl), 1);
    T_EQ_STR(dt_json_str(json_array_get(sl, 0), "version_sha"), dt_json_str(meta_doc, "data_sha"));
    json_decref(meta_doc);
    json_decref(hist);
    dt_project_free(p);
}

static void test_read_by_prefix(void)
{
    dt_project *p = open_project();
    char prefix[9];
    snprintf(prefix, sizeof prefix, "%.8s", v2);
    char *out = in_root("out.csv");
    T_OK(dt_table_read(p, "subjects", prefix, out, DT_OUT_CSV));
    dt_buf b = DT_BUF_INIT;
    T_OK(dt_fs_read_all(out, &b, 1 << 20));
    T_ASSERT(strstr(dt_buf_cstr(&b), "S004") != NULL);
    T_ASSERT(strstr(dt_buf_cstr(&b), "Lima") != NULL);
    dt_buf_free(&b);
    char *pq = in_root("out.parquet");
    T_OK(dt_table_read(p, "subjects", v1, pq, DT_OUT_PARQUET));
    char *jl = in_root("out.jsonl");
    T_OK(dt_table_read(p, "subjects", NULL, jl, DT_OUT_JSONL));
    T_OK(dt_fs_read_all(jl, &b, 1 << 20));
    T_ASSERT(strstr(dt_buf_cstr(&b), "\"id\":\"S001\"") != NULL);
    T_ASSERT(strstr(dt_buf_cstr(&b), "null") != NULL); /* S003's missing age */
    dt_buf_free(&b);
    free(out);
    free(pq);
    free(jl);
    dt_project_free(p);
}

static void test_bad_input(void)
{
    dt_project *p = open_project();
    dt_write_result r;
    char *path = in_root("input.csv");
    put_file(path, v1_csv);
    dt_write_opts o = {.author = AUTHOR};
    T_ERR(dt_table_write(p, "1bad", path, &o, &r), DATOM_EINVAL, "must start with a letter");
    T_ERR(dt_table_write(p, "input_files", path, &o, &r), DATOM_EINVAL, "reserved");
    char *out = in_root("x.csv");
    T_ERR(dt_table_read(p, "nosuch", NULL, out, DT_OUT_CSV), DATOM_ENOTFOUND, "no table 'nosuch'");
    T_ERR(dt_table_read(p, "subjects", "ffffff", out, DT_OUT_CSV), DATOM_ENOTFOUND, "no version ffffff");
    T_ERR(dt_table_read(p, "subjects", "zz", out, DT_OUT_CSV), DATOM_EINVAL, "6 to 64");
    T_ASSERT(!dt_fs_exists(out));
    /* a ragged CSV: an error naming the line, nothing written */
    char head[41], after[41];
    T_OK(dt_git_head(p->git, head));
    put_file(path, "a,b\n1,2\n3\n");
    T_ASSERT(dt_table_write(p, "ragged", path, &o, &r) != 0);
    T_ASSERT(strstr(datom_errmsg(), ":3") != NULL);
    T_OK(dt_git_head(p->git, after));
    T_EQ_STR(head, after);
    free(out);
    free(path);
    dt_project_free(p);
}

/* A Parquet input whose strings hold NUL (DuckDB and arrow write such
 * files) is refused, naming the file, the row and the column; nothing moves. */
static void test_nul_in_parquet(void)
{
    dt_project *p = open_project();
    dt_schema s;
    dt_schema_init(&s, 2);
    dt_schema_set(&s, 0, "id", DT_INT64);
    dt_schema_set(&s, 1, "who", DT_STRING);
    dt_table *t = dt_table_new(&s, 2);
    dt_col_append_i64(&t->cols[0], 1);
    dt_col_append_bytes(&t->cols[1], "x", 1);
    dt_table_end_row(t);
    dt_col_append_i64(&t->cols[0], 2);
    dt_col_append_bytes(&t->cols[1], "y\0z", 3);
    dt_table_end_row(t);
    char *path = in_root("nul.parquet");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    T_ASSERT(fd >= 0);
    dt_pq_writer *w;
    dt_pq_options po;
    dt_pq_options_default(&po);
    T_OK(dt_pq_writer_open(&w, &s, &po, dt_sink_fd(&fd)));
    T_OK(dt_pq_writer_write(w, t));
    T_OK(dt_pq_writer_close(w));
    close(fd);
    char head[41], after[41];
    T_OK(dt_git_head(p->git, head));
    dt_write_result r;
    dt_write_opts o = {.author = AUTHOR};
    T_ERR(dt_table_write(p, "nul", path, &o, &r), DATOM_EINVAL,
          "nul.parquet: row 2, column 2 ('who'): a NUL byte in a string");
    T_OK(dt_git_head(p->git, after));
    T_EQ_STR(head, after);
    dt_table_free(t);
    dt_schema_free(&s);
    free(path);
    dt_project_free(p);
}

static void test_corrupt_object(void)
{
    dt_project *p = open_project();
    dt_write_result r;
    write_csv(p, "fragile", "x,y\n1,a\n2,b\n", NULL, &r);
    json_t *meta = NULL;
    T_OK(dt_table_load(p, "fragile", &meta, NULL));
    char *rel = dt_sprintf("fragile/%s.parquet", dt_json_str(meta, "data_sha"));
    char *key = dt_project_key(p, rel);
    T_OK(datom_store_put(p->store, key, "PAR1 not parquet PAR1", 21));
    char *out = in_root("fragile.csv");
    T_ERR(dt_table_read(p, "fragile", NULL, out, DT_OUT_CSV), DATOM_ECORRUPT, "not parsed");
    T_ASSERT(!dt_fs_exists(out));
    dt_validate_report vr;
    T_OK(dt_project_validate(p, true, &vr));
    T_ASSERT(vr.problems.n >= 1);
    bool named = false;
    for (size_t i = 0; i < vr.problems.n; i++)
        named |= strstr(vr.problems.v[i], "fragile") != NULL;
    T_ASSERT(named);
    dt_validate_report_free(&vr);
    free(out);
    free(rel);
    free(key);
    json_decref(meta);
    dt_project_free(p);
}

static void test_lineage(void)
{
    dt_project *p = open_project();
    dt_write_result r;
    char spec[100];
    snprintf(spec, sizeof spec, "subjects@%.10s", v2);
    const char *parents[] = {spec};
    dt_write_opts o = {.author = AUTHOR, .parents = parents, .n_parents = 1};
    write_csv(p, "adults", "id,age\nS001,34\nS002,52\n", &o, &r);
    T_EQ_STR(r.action, "full");
    json_t *meta = NULL;
    T_OK(dt_table_load(p, "adults", &meta, NULL));
    T_EQ_STR(dt_json_str(meta, "table_type"), "derived");
    json_t *par = json_array_get(json_object_get(meta, "parents"), 0);
    T_EQ_STR(dt_json_str(par, "version"), v2);
    T_EQ_STR(dt_json_str(par, "source"), "trial");
    T_EQ_STR(dt_json_str(par, "table"), "subjects");
    T_EQ_INT(json_array_size(json_object_get(meta, "source_lineage")), 1);
    T_ASSERT(json_object_get(meta, "original_file_sha") == NULL);
    json_t *tree = NULL;
    T_OK(dt_lineage_parents(p, "adults", NULL, &tree));
    json_t *kid = json_array_get(json_object_get(tree, "parents"), 0);
    T_EQ_STR(dt_json_str(kid, "version"), v2);
    json_decref(tree);
    json_decref(meta);
    dt_project_free(p);
}

static void test_store_only_reader(void)
{
    dt_project *p = open_project();
    char *url = dt_strdup(p->store_url);
    dt_project_free(p);
    dt_project *r = NULL;
    T_OK(dt_project_open_store(&r, url, "trial", NULL));
    T_ASSERT(r->git == NULL);
    json_t *hist = NULL;
    T_OK(dt_table_load(r, "subjects", NULL, &hist));
    T_EQ_INT(json_array_size(hist), 3);
    char *out = in_root("ro.csv");
    T_OK(dt_table_read(r, "subjects", v2, out, DT_OUT_CSV));
    dt_write_result wr;
    T_ERR(dt_table_write(r, "subjects", out, NULL, &wr), DATOM_EINVAL, "store-only");
    json_decref(hist);
    free(out);
    free(url);
    dt_project_free(r);
}

static void test_validate_clean(void)
{
    dt_project *p = open_project();
    dt_validate_report vr;
    T_OK(dt_project_validate(p, true, &vr));
    for (size_t i = 0; i < vr.problems.n; i++)
        if (!strstr(vr.problems.v[i], "fragile"))
            T_FAIL("unexpected problem: %s", vr.problems.v[i]);
    T_ASSERT(vr.tables >= 3);
    dt_validate_report_free(&vr);
    dt_project_free(p);
}

/* The manifest rebuilt from the tables' documents equals the committed one
 * (apart from when it was updated). */
static void test_manifest_rebuild(void)
{
    dt_project *p = open_project();
    json_t *committed = NULL, *rebuilt = NULL;
    T_OK(dt_manifest_load(p, &committed));
    /* an untracked copy of a table's documents is no table */
    char *copy = in_root("copy_of_subjects"), *meta = in_root("subjects/metadata.json");
    char *copied = in_root("copy_of_subjects/metadata.json");
    dt_buf text = DT_BUF_INIT;
    T_OK(dt_fs_mkdirs(copy, 0755));
    T_OK(dt_fs_read_all(meta, &text, 1 << 20));
    T_OK(dt_fs_write_atomic(copied, text.data, text.len));
    dt_buf_free(&text);
    T_OK(dt_manifest_rebuild(p->git, p->root, p->name, committed, &rebuilt));
    json_t *a = json_object_get(committed, "tables"), *b = json_object_get(rebuilt, "tables");
    T_EQ_INT(json_object_size(a), json_object_size(b));
    const char *k;
    json_t *row;
    json_object_foreach(a, k, row) {
        json_t *other = json_object_get(b, k);
        T_ASSERT(other != NULL);
        json_object_del(row, "last_updated");
        json_object_del(other, "last_updated");
        if (!json_equal(row, other)) {
            char *x = dt_json_compact(row), *y = dt_json_compact(other);
            fprintf(stderr, "  %s: %s vs %s\n", k, x, y);
            free(x);
            free(y);
            T_FAIL("rows of %s differ", k);
        }
    }
    T_ASSERT(json_equal(json_object_get(committed, "summary"), json_object_get(rebuilt, "summary")));
    /* as a regen callback: a conflicted manifest is rewritten whole */
    char *path = in_root(".datom/manifest.json");
    put_file(path, "<<<<<<< ours\n{}\n=======\n");
    T_OK(dt_manifest_regen(p->git, p->root));
    json_t *again = NULL;
    T_OK(dt_json_load_file(path, &again));
    T_EQ_INT(json_object_size(json_object_get(again, "tables")), json_object_size(a));
    json_decref(again);
    T_OK(dt_fs_rmtree(copy));
    free(copy);
    free(meta);
    free(copied);
    free(path);
    json_decref(committed);
    json_decref(rebuilt);
    dt_project_free(p);
}

int main(void)
{
    setup();
    T_RUN(test_write_classify);
    T_RUN(test_read_by_prefix);
    T_RUN(test_bad_input);
    T_RUN(test_nul_in_parquet);
    T_RUN(test_corrupt_object);
    T_RUN(test_lineage);
    T_RUN(test_store_only_reader);
    T_RUN(test_validate_clean);
    T_RUN(test_manifest_rebuild);
    free(root);
    return t_done();
}
