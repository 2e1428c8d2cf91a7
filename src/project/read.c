/*
 * read.c: reading a version of a table (docs/formats.md, "Reading a version"):
 * resolve the version, download its Parquet object, check parquet_sha before
 * a single byte is parsed, then write it out as CSV, JSON lines or the
 * verified Parquet bytes themselves. Output files appear whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "project/metadata.h"
#include "project/tables.h"
#include "table/jsonl.h"
#include "table/parquet/parquet.h"

int dt_out_format_of(const char *path, dt_out_format *out)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strcasecmp(dot, ".csv"))
        *out = DT_OUT_CSV;
    else if (dot && !strcasecmp(dot, ".parquet"))
        *out = DT_OUT_PARQUET;
    else if (dot && (!strcasecmp(dot, ".jsonl") || !strcasecmp(dot, ".ndjson")))
        *out = DT_OUT_JSONL;
    else
        return dt_error(DATOM_EINVAL, "%s: unknown output format (use .csv, .parquet or .jsonl)",
                        path);
    return 0;
}

int dt_table_fetch(dt_project *p, const char *table, const char *version, const char *path,
                   json_t **meta_out)
{
    json_t *meta = NULL;
    int rc = dt_project_need_store(p);
    if (rc == 0)
        rc = dt_table_version(p, table, version, &meta);
    if (rc)
        return rc;
    const char *data_sha = dt_json_str(meta, "data_sha");
    const char *want = dt_json_str(meta, "parquet_sha");
    char *rel = dt_sprintf("%s/%s.parquet", table, data_sha);
    char *key = dt_project_key(p, rel);
    rc = datom_store_get_file(p->store, key, path);
    if (rc == DATOM_ENOTFOUND)
        rc = dt_error(DATOM_ENOTFOUND, "%s@%.12s: its bytes are missing from the store (%s)", table,
                      data_sha, key);
    char got[DATOM_SHA_HEX];
    if (rc == 0 && want && *want) {
        rc = dt_sha256_file(path, got, NULL);
        if (rc == 0 && strcmp(got, want)) {
            unlink(path);
            rc = dt_error(DATOM_ECORRUPT,
                          "stored Parquet of %s is corrupt: %s has SHA-256 %s, its version "
                          "records %s; not parsed",
                          table, key, got, want);
        }
    }
    if (rc == 0 && meta_out)
        *meta_out = json_incref(meta);
    json_decref(meta);
    free(rel);
    free(key);
    return rc;
}

/* JSON lines, spelled as `datom cat --json` spells them (table/jsonl.h). */
static int write_jsonl(const dt_table *b, dt_sink sink)
{
    dt_buf line = DT_BUF_INIT, tmp = DT_BUF_INIT;
    int rc = 0;
    for (size_t r = 0; r < b->nrow && rc == 0; r++) {
        dt_buf_clear(&line);
        dt_jsonl_row(b, r, &line, &tmp);
        rc = dt_sink_write(sink, line.data, line.len);
    }
    dt_buf_free(&line);
    dt_buf_free(&tmp);
    return rc;
}

/* Converts the verified Parquet file SRC to FORMAT on SINK. */
static int convert_out(const char *src, dt_out_format format, dt_sink sink)
{
    dt_pq_reader *r;
    int rc = dt_pq_open(&r, src);
    if (rc)
        return rc;
    dt_csv_writer *cw = NULL;
    if (format == DT_OUT_CSV)
        rc = dt_csv_writer_open(&cw, dt_pq_schema(r), ',', sink);
    while (rc == 0) {
        dt_table *b = NULL;
        if ((rc = dt_pq_next(r, &b)) != 0 || !b)
            break;
        rc = format == DT_OUT_CSV ? dt_csv_writer_write(cw, b) : write_jsonl(b, sink);
    }
    if (cw) {
        int crc = dt_csv_writer_close(cw);
        if (rc == 0)
            rc = crc;
    }
    dt_pq_close(r);
    return rc;
}

static int copy_to_sink(const char *src, dt_sink sink)
{
    int fd = open(src, O_RDONLY);
    if (fd < 0)
        return dt_error_errno(errno, "%s", src);
    int rc = dt_fs_copy_fd(fd, 1 << 20, src, sink);
    close(fd);
    return rc;
}

/* The output: a temporary file renamed over OUT_PATH at the end, or stdout. */
static int emit(const char *src, const char *out_path, dt_out_format format)
{
    int fd = STDOUT_FILENO;
    char *tmp = NULL;
    if (out_path) {
        tmp = dt_sprintf("%s.tmp-XXXXXX", out_path);
        fd = mkstemp(tmp);
        if (fd < 0) {
            int err = errno;
            free(tmp);
            return dt_error_errno(err, "%s", out_path);
        }
    }
    dt_sink sink = dt_sink_fd(&fd);
    int rc = format == DT_OUT_PARQUET ? copy_to_sink(src, sink) : convert_out(src, format, sink);
    if (out_path) {
        if (rc == 0 && fsync(fd) != 0)
            rc = dt_error_errno(errno, "%s", out_path);
        close(fd);
        if (rc == 0 && rename(tmp, out_path) != 0)
            rc = dt_error_errno(errno, "%s", out_path);
        if (rc)
            unlink(tmp);
        free(tmp);
    }
    return rc;
}

int dt_table_read(dt_project *p, const char *table, const char *version, const char *out_path,
                  dt_out_format format)
{
    if (format == DT_OUT_PARQUET && !out_path)
        return dt_error(DATOM_EINVAL, "read %s: Parquet output needs -o FILE.parquet", table);
    char *dir = dt_project_tmpdir(p);
    char *tmp = dt_sprintf("%s/read-%d-XXXXXX.parquet", dir, (int)getpid());
    int fd = mkstemps(tmp, 8);
    int rc = 0;
    if (fd < 0)
        rc = dt_error_errno(errno, "temporary file in %s", dir);
    else
        close(fd);
    if (rc == 0)
        rc = dt_table_fetch(p, table, version, tmp, NULL);
    if (rc == 0)
        rc = emit(tmp, out_path, format);
    if (fd >= 0)
        unlink(tmp);
    free(tmp);
    free(dir);
    return rc;
}
