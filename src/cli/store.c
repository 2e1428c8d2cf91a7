/*
 * store.c: `datom store ...`, direct access to the object store under a
 * project (or any store named with --store): put and get objects, list keys,
 * read and set refs. Meant for people inspecting a store and for scripts and
 * tests; the table and project verbs use the store through the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

#define LIST_PAGE 1000

static const char store_usage[] =
    "usage: datom [--store URL] store SUBCOMMAND [ARGS]\n"
    "\n"
    "Works on the object store directly: the project's local store (.datom/store/)\n"
    "or the one named by --store.\n"
    "\n"
    "Subcommands:\n"
    "  put FILE|-            store a file by content; prints its SHA-256\n"
    "  get SHA|KEY           print an object (verified when named by SHA), or -o FILE\n"
    "  ls [PREFIX]           list keys in byte order\n"
    "  rm KEY...             delete objects\n"
    "  cat-ref NAME          print a ref's value (--json: with its version)\n"
    "  set-ref NAME VALUE    set a ref by compare-and-swap; prints the new version\n"
    "  del-ref NAME          delete a ref by compare-and-swap\n"
    "\n"
    "`datom store SUBCOMMAND --help` explains each.\n";


/* Prints J on one line and frees it. */
static void print_json(json_t *j)
{
    char *text = dt_json_compact(j);
    fputs(text, stdout);
    fputc('\n', stdout);
    free(text);
    json_decref(j);
}

/* Frees the store (may be NULL) and returns the exit status of RC. */
static int finish(datom_store *st, int rc)
{
    datom_store_free(st);
    return rc ? cli_fail(rc) : 0;
}

/* ---- put ---- */

static const char put_usage[] =
    "usage: datom store put [--key KEY | --prefix PREFIX] [--json] FILE|-\n"
    "       datom store put [--prefix PREFIX] FILE FILE...\n"
    "\n"
    "Stores FILE (or standard input for -) and prints the SHA-256 of its bytes.\n"
    "By default the object is content-addressed: its key is PREFIX (default none)\n"
    "followed by the SHA, and storing the same bytes again changes nothing.\n"
    "Several files are stored together (on S3, many requests in flight at once)\n"
    "and their SHA-256s printed one a line, in the order given.\n"
    "\n"
    "  --key KEY        store under KEY instead (replacing what was there)\n"
    "  --prefix PREFIX  key prefix for the content address, ending in '/'\n"
    "  --json           print {\"key\": ..., \"sha\": ..., \"size\": ...}\n";

/* Content-addressed puts of several files, together. */
static int put_many(char **files, size_t n, const char *prefix)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(files[i], "-"))
            return cli_usage_error("store put", "standard input (-) cannot be one of several files");
    datom_store *st;
    int rc = cli_open_store(&st, DATOM_STORE_CREATE);
    if (rc)
        return cli_fail(rc);
    char (*shas)[DATOM_SHA_HEX] = dt_calloc(n, sizeof *shas);
    rc = dt_store_put_files_ca(st, prefix, files, n, shas);
    for (size_t i = 0; rc == 0 && i < n; i++)
        printf("%s\n", shas[i]);
    free(shas);
    return finish(st, rc);
}

static int cmd_put(int argc, char **argv)
{
    static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                          {"prefix", required_argument, NULL, 'p'},
                                          {"json", no_argument, NULL, 'j'},
                                          CLI_GLOBAL_OPTS,
                                          {NULL, 0, NULL, 0}};
    const char *key = NULL, *prefix = "";
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (cli_global_opt(c))
            continue;
        if (c == 'k')
            key = optarg;
        else if (c == 'p')
            prefix = optarg;
        else if (c == 'j')
            cli.json = 1;
        else
            return cli_bad_option("store put", argv, "");
    }
    if (key && *prefix)
        return cli_usage_error("store put", "give --key or --prefix, not both");
    if (optind < argc - 1 && !key && !cli.json)
        return put_many(argv + optind, (size_t)(argc - optind), prefix);
    if (optind != argc - 1)
        return cli_usage_error("store put", "expected one FILE (or - for standard input), or "
                               "several FILEs without --key and --json");
    const char *file = argv[optind];
    bool is_stdin = !strcmp(file, "-");
    int fd = is_stdin ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cli_fail(dt_error_errno(errno, "%s", file));
    datom_store *st;
    int rc = cli_open_store(&st, DATOM_STORE_CREATE);
    if (rc) {
        if (!is_stdin)
            close(fd);
        return cli_fail(rc);
    }
    char sha[DATOM_SHA_HEX] = "";
    rc = dt_store_put_fd(st, fd, is_stdin ? "standard input" : file, key, prefix, sha);
    if (!is_stdin)
        close(fd);
    char *stored = key ? dt_strdup(key) : dt_sprintf("%s%s", prefix, sha);
    uint64_t size = 0;
    if (rc == 0)
        rc = datom_store_stat(st, stored, &size);
    if (rc == 0 && cli.json) {
        print_json(json_pack("{s:o,s:s,s:I}", "key", json_string_nocheck(stored), "sha", sha,
                             "size", (json_int_t)size));
    } else if (rc == 0) {
        printf("%s\n", sha);
    }
    free(stored);
    return finish(st, rc);
}

/* ---- get ---- */

static const char get_usage[] =
    "usage: datom store get [--prefix PREFIX] [-o FILE] SHA|KEY\n"
    "\n"
    "Writes an object to standard output, or to FILE (atomically: FILE appears\n"
    "whole or not at all). An object named by its SHA-256 (64 hex digits, under\n"
    "PREFIX) is verified: if its bytes do not hash to its name, nothing is written\n"
    "and the exit status is 7. Any other argument is read as a key, unverified.\n"
    "\n"
    "  -o, --output FILE   write to FILE instead of standard output\n"
    "  --prefix PREFIX     the key prefix of a content-addressed object (ending in '/')\n";

/* A verified object to standard output: through an unlinked temporary file,
 * so that nothing reaches the output unless the whole object checks out. */
static int get_ca_stdout(datom_store *st, const char *prefix, const char *sha)
{
    const char *dir = getenv("TMPDIR");
    char *tmp = dt_sprintf("%s/datom-get.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkostemp(tmp, O_CLOEXEC);
    int rc = fd < 0 ? dt_error_errno(errno, "%s", tmp) : 0;
    if (fd >= 0)
        unlink(tmp);
    free(tmp);
    if (rc == 0)
        rc = dt_store_get_ca(st, prefix, sha, dt_sink_fd(&fd));
    if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0)
        rc = dt_error_errno(errno, "temporary copy of %s", sha);
    int out = STDOUT_FILENO;
    if (rc == 0)
        rc = dt_fs_copy_fd(fd, 1u << 20, "temporary copy", dt_sink_fd(&out));
    if (fd >= 0)
        close(fd);
    return rc;
}

static int cmd_get(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                          {"prefix", required_argument, NULL, 'p'},
                                          CLI_GLOBAL_OPTS,
                                          {NULL, 0, NULL, 0}};
    const char *output = NULL, *prefix = "";
    int c;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (cli_global_opt(c))
            continue;
        if (c == 'o')
            output = optarg;
        else if (c == 'p')
            prefix = optarg;
        else
            return cli_bad_option("store get", argv, "o:");
    }
    if (optind != argc - 1)
        return cli_usage_error("store get", "expected one SHA or KEY");
    const char *name = argv[optind];
    datom_store *st;
    int rc = cli_open_store(&st, DATOM_STORE_READONLY);
    if (rc)
        return cli_fail(rc);
    bool by_sha = dt_is_sha_hex(name);
    if (by_sha && output)
        rc = datom_store_get_file_ca(st, prefix, name, output);
    else if (by_sha)
        rc = get_ca_stdout(st, prefix, name);
    else if (output)
        rc = datom_store_get_file(st, name, output);
    else {
        int out = STDOUT_FILENO;
        rc = dt_store_get_sink(st, name, 0, UINT64_MAX, dt_sink_fd(&out));
    }
    return finish(st, rc);
}

/* ---- ls ---- */

static const char ls_usage[] =
    "usage: datom store ls [--start-after KEY] [--limit N] [--json] [PREFIX]\n"
    "\n"
    "Lists the keys that start with PREFIX (default: all), one a line, in byte\n"
    "order. Store internals are never listed.\n"
    "\n"
    "  --start-after KEY  begin after KEY (for paging)\n"
    "  --limit N          at most N keys\n"
    "  --json             a JSON array of {\"key\": ..., \"size\": ...}\n";

static int cmd_ls(int argc, char **argv)
{
    static const struct option opts[] = {{"start-after", required_argument, NULL, 's'},
                                          {"limit", required_argument, NULL, 'l'},
                                          {"json", no_argument, NULL, 'j'},
                                          CLI_GLOBAL_OPTS,
                                          {NULL, 0, NULL, 0}};
    const char *start = NULL;
    size_t limit = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (cli_global_opt(c))
            continue;
        char *end;
        if (c == 's')
            start = optarg;
        else if (c == 'l') {
            errno = 0;
            unsigned long long n = strtoull(optarg, &end, 10);
            if (*end || errno || n == 0 || optarg[0] == '-')
                return cli_usage_error("store ls", "--limit wants a positive number, not '%s'", optarg);
            limit = (size_t)n;
        } else if (c == 'j')
            cli.json = 1;
        else
            return cli_bad_option("store ls", argv, "");
    }
    if (optind < argc - 1)
        return cli_usage_error("store ls", "expected at most one PREFIX");
    const char *prefix = optind < argc ? argv[optind] : "";
    datom_store *st;
    int rc = cli_open_store(&st, DATOM_STORE_READONLY);
    if (rc)
        return cli_fail(rc);
    json_t *arr = cli.json ? json_array() : NULL;
    char *after = start ? dt_strdup(start) : NULL;
    size_t shown = 0;
    for (int more = 1; rc == 0 && more && (!limit || shown < limit);) {
        size_t page = limit ? DT_MIN((size_t)LIST_PAGE, limit - shown) : LIST_PAGE;
        char **keys;
        size_t n;
        if ((rc = datom_store_list(st, prefix, after, page, &keys, &n, &more)))
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (!arr) {
                printf("%s\n", keys[i]);
                continue;
            }
            uint64_t size = 0;
            rc = datom_store_stat(st, keys[i], &size);
            if (rc == DATOM_ENOTFOUND) {
                rc = 0; /* deleted since it was listed: leave it out */
                continue;
            }
            if (rc == 0)
                json_array_append_new(arr, json_pack("{s:o,s:I}", "key",
                                                     json_string_nocheck(keys[i]), "size",
                                                     (json_int_t)size));
        }
        shown += n;
        free(after);
        after = n ? dt_strdup(keys[n - 1]) : NULL;
        datom_strings_free(keys, n);
        if (!n)
            break;
    }
    free(after);
    if (rc == 0 && arr)
        print_json(arr);
    else if (arr)
        json_decref(arr);
    return finish(st, rc);
}

/* ---- rm ---- */

static const char rm_usage[] =
    "usage: datom store rm KEY...\n"
    "\n"
    "Deletes objects (exit 3 if one does not exist; those before it are gone).\n"
    "Content-addressed objects may be shared by several tables or projects, and\n"
    "nothing here checks whether one is still referenced: `datom validate` finds\n"
    "versions whose bytes are missing.\n";

static int cmd_rm(int argc, char **argv)
{
    static const struct option opts[] = {CLI_GLOBAL_OPTS, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (!cli_global_opt(c))
            return cli_bad_option("store rm", argv, "");
    }
    if (optind >= argc)
        return cli_usage_error("store rm", "expected KEY...");
    datom_store *st;
    int rc = cli_open_store(&st, 0);
    for (int i = optind; rc == 0 && i < argc; i++)
        rc = datom_store_del(st, argv[i]);
    return finish(st, rc);
}

/* ---- refs ---- */

static const char cat_ref_usage[] =
    "usage: datom store cat-ref [--json] NAME\n"
    "\n"
    "Prints the value of the ref NAME. With --json: {\"name\", \"value\", \"version\",\n"
    "\"mtime_ms\"}, where version is the token set-ref and del-ref --expect want and\n"
    "mtime_ms the time of its last change by the store's clock.\n";

static int cmd_cat_ref(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, CLI_GLOBAL_OPTS,
                                          {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (cli_global_opt(c))
            continue;
        if (c == 'j')
            cli.json = 1;
        else
            return cli_bad_option("store cat-ref", argv, "");
    }
    if (optind != argc - 1)
        return cli_usage_error("store cat-ref", "expected one ref NAME");
    const char *name = argv[optind];
    datom_store *st;
    int rc = cli_open_store(&st, DATOM_STORE_READONLY);
    if (rc)
        return cli_fail(rc);
    dt_buf value = DT_BUF_INIT;
    dt_ref_info info = {0};
    rc = dt_store_ref_get_info(st, name, &value, &info);
    if (rc == 0 && cli.json) {
        print_json(json_pack("{s:o,s:o,s:s,s:I}", "name", json_string_nocheck(name), "value",
                             json_stringn_nocheck((const char *)dt_buf_cstr(&value), value.len),
                             "version", info.version, "mtime_ms", (json_int_t)info.mtime_ms));
    } else if (rc == 0) {
        fwrite(value.data ? value.data : (uint8_t *)"", 1, value.len, stdout);
        if (value.len && value.data[value.len - 1] != '\n' && isatty(STDOUT_FILENO))
            fputc('\n', stdout);
    }
    dt_buf_free(&value);
    return finish(st, rc);
}

static const char set_ref_usage[] =
    "usage: datom store set-ref (--create | --expect VERSION) [--json] NAME VALUE\n"
    "\n"
    "Sets the ref NAME to VALUE (- reads it from standard input) by compare-and-\n"
    "swap and prints the new version. --create succeeds only if NAME does not\n"
    "exist (exit 4 if it does); --expect only if its version is still VERSION\n"
    "(exit 5 if someone changed it: read it again and retry).\n";

static const char del_ref_usage[] =
    "usage: datom store del-ref --expect VERSION NAME\n"
    "\n"
    "Deletes the ref NAME if its version is still VERSION (exit 5 if not).\n";

/* Parses --create / --expect; *expected is NULL for create-only. */
static int ref_opts(int argc, char **argv, const char *verb, bool allow_create, const char **expected)
{
    static const struct option opts[] = {{"create", no_argument, NULL, 'c'},
                                          {"expect", required_argument, NULL, 'e'},
                                          {"json", no_argument, NULL, 'j'},
                                          CLI_GLOBAL_OPTS,
                                          {NULL, 0, NULL, 0}};
    bool create = false;
    *expected = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (cli_global_opt(c))
            continue;
        if (c == 'c' && allow_create)
            create = true;
        else if (c == 'e')
            *expected = optarg;
        else if (c == 'j')
            cli.json = 1;
        else
            return cli_bad_option(verb, argv, "");
    }
    if (create == (*expected != NULL) && allow_create)
        return cli_usage_error(verb, "give exactly one of --create and --expect VERSION");
    if (!allow_create && !*expected)
        return cli_usage_error(verb, "--expect VERSION is required");
    return -1;
}

static int cmd_set_ref(int argc, char **argv)
{
    const char *expected;
    int status = ref_opts(argc, argv, "store set-ref", true, &expected);
    if (status >= 0)
        return status;
    if (optind != argc - 2)
        return cli_usage_error("store set-ref", "expected NAME and VALUE");
    const char *name = argv[optind], *arg = argv[optind + 1];
    dt_buf value = DT_BUF_INIT;
    int rc = 0;
    if (!strcmp(arg, "-"))
        rc = dt_fs_read_all("/dev/stdin", &value, 1u << 20);
    else
        dt_buf_puts(&value, arg);
    datom_store *st = NULL;
    if (rc == 0)
        rc = cli_open_store(&st, DATOM_STORE_CREATE);
    dt_ref_info info = {0};
    if (rc == 0)
        rc = dt_store_ref_cas_info(st, name, expected, value.data, value.len, &info);
    if (rc == 0 && cli.json)
        print_json(json_pack("{s:o,s:s,s:I}", "name", json_string_nocheck(name), "version",
                             info.version, "mtime_ms", (json_int_t)info.mtime_ms));
    else if (rc == 0)
        printf("%s\n", info.version);
    dt_buf_free(&value);
    return finish(st, rc);
}

static int cmd_del_ref(int argc, char **argv)
{
    const char *expected;
    int status = ref_opts(argc, argv, "store del-ref", false, &expected);
    if (status >= 0)
        return status;
    if (optind != argc - 1)
        return cli_usage_error("store del-ref", "expected one ref NAME");
    datom_store *st;
    int rc = cli_open_store(&st, 0);
    if (rc == 0)
        rc = datom_store_ref_del(st, argv[optind], expected);
    return finish(st, rc);
}

/* ---- dispatch ---- */

static const cli_sub subs[] = {
    {"put", put_usage, cmd_put},         {"get", get_usage, cmd_get},
    {"ls", ls_usage, cmd_ls},            {"rm", rm_usage, cmd_rm},
    {"cat-ref", cat_ref_usage, cmd_cat_ref}, {"set-ref", set_ref_usage, cmd_set_ref},
    {"del-ref", del_ref_usage, cmd_del_ref},
};

int cli_store(int argc, char **argv)
{
    return cli_subcommand("store", store_usage, subs, DT_ARRAY_LEN(subs), argc, argv);
}
