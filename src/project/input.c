/*
 * input.c: one reader over CSV and Parquet inputs (see input.h), so that
 * write, sync and validate stream any input the same way.
 *
 * Which reader: a name ending in .parquet or .pq says Parquet, whatever the
 * bytes (a truncated or damaged Parquet file is reported as such, never read
 * as CSV); any other name is Parquet when the file opens with the magic
 * PAR1, else CSV.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "project/input.h"

static bool parquet_name(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && !strchr(dot, '/') && (!strcasecmp(dot, ".parquet") || !strcasecmp(dot, ".pq"));
}

static bool is_parquet(const char *path)
{
    if (parquet_name(path))
        return true;
    char magic[4] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    bool yes = read(fd, magic, 4) == 4 && !memcmp(magic, "PAR1", 4);
    close(fd);
    return yes;
}

int dt_input_open(dt_input *in, const char *path, const dt_csv_options *csv)
{
    memset(in, 0, sizeof *in);
    if (!dt_fs_exists(path))
        return dt_error(DATOM_ENOTFOUND, "%s: no such file", path);
    if (dt_fs_is_dir(path))
        return dt_error(DATOM_EINVAL, "%s: is a directory, not a table file", path);
    if (is_parquet(path)) {
        in->format = "parquet";
        return dt_pq_open(&in->pq, path);
    }
    static const dt_csv_options defaults = {0};
    in->format = "csv";
    return dt_csv_open(&in->csv, path, csv ? csv : &defaults);
}

const dt_schema *dt_input_schema(const dt_input *in)
{
    return in->pq ? dt_pq_schema(in->pq) : dt_csv_schema(in->csv);
}

int dt_input_next(dt_input *in, dt_table **out)
{
    return in->pq ? dt_pq_next(in->pq, out) : dt_csv_next(in->csv, out);
}

void dt_input_close(dt_input *in)
{
    if (in->pq)
        dt_pq_close(in->pq);
    if (in->csv)
        dt_csv_close(in->csv);
    memset(in, 0, sizeof *in);
}

char *dt_input_format_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    char *ext = dt_strdup(dot && dot[1] ? dot + 1 : "csv");
    for (char *c = ext; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return ext;
}
