/*
 * project.c (cli): the verbs that make and move a project as a whole:
 * init, clone, pull, push. They are thin: the work is in src/project/.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "project/project.h"
#include "project/tables.h"

static const char init_help[] =
    "usage: datom init [DIR] --name NAME [--description TEXT] [--store URL] [--prefix P]\n"
    "                  [--remote URL] [--author \"Name <email>\"] [--json]\n"
    "\n"
    "Makes a new datom project in DIR (default: the current directory; created if\n"
    "missing): a git repository on branch main with .datom/project.yaml,\n"
    ".datom/manifest.json, .gitignore, README.md and input_files/, and its first\n"
    "commit \"Initialize datom repository\". DIR must not hold a git repository yet.\n"
    "\n"
    "Options:\n"
    "  --name NAME         project name: a letter, then letters, digits, '_', '-', '.'\n"
    "                      (at most 100)\n"
    "  --description TEXT  one line saying what the project holds\n"
    "  --store URL         where table bytes live: a directory or file:///path (shared),\n"
    "                      or s3://bucket[/prefix][?region=R&endpoint=URL]; default: the\n"
    "                      local store .datom/store/ (stays on this machine)\n"
    "  --prefix P          namespace of the project in the store: keys live under\n"
    "                      P/datom/ (default: datom/)\n"
    "  --remote URL        git remote \"origin\" (an empty repository); init pushes to it\n"
    "  --author SPEC       \"Name <email>\" for the first commit (default: git config\n"
    "                      user.name and user.email)\n"
    "  --json              print the result as JSON\n"
    "\n"
    "On failure nothing is left behind.\n";

static const char clone_help[] =
    "usage: datom clone URL [DIR] [--json]\n"
    "\n"
    "Clones a datom project's git repository (file://, a path, https:// or ssh) into\n"
    "DIR (default: the last part of URL without .git) and checks it opens. A project\n"
    "whose bytes live in its default local store gets a warning: git does not carry\n"
    "them, so this clone has the history but not the data.\n";

static const char pull_help[] =
    "usage: datom pull [DIR] [--json]\n"
    "\n"
    "Fetches origin and brings the current branch up to it: a fast-forward, or a\n"
    "replay of local commits on top of the remote's when the two sides changed\n"
    "different files (.datom/manifest.json does not count: it is rebuilt from the\n"
    "tables). When another file changed on both sides nothing is changed and the\n"
    "file is named (exit status 5): resolve it with git. Exit status 8: the remote\n"
    "cannot be reached.\n";

static const char push_help[] =
    "usage: datom push [DIR] [--json]\n"
    "\n"
    "Pushes the current branch to origin. When the remote has commits this clone\n"
    "lacks, nothing is pushed (exit status 5): run `datom pull`, then push again.\n"
    "Exit status 8: the remote cannot be reached.\n";

/* Parses the verb's own --json and returns the index of the first operand. */
static int simple_opts(int argc, char **argv, const char *verb, int max_operands,
                       const char **operands)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* glibc: a full restart, so options may follow operands */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j')
            cli.json = 1;
        else
            return -cli_bad_option(verb, argv, "");
    }
    int n = argc - optind;
    if (n > max_operands)
        return -cli_usage_error(verb, "too many arguments");
    for (int i = 0; i < n; i++)
        operands[i] = argv[optind + i];
    return n;
}

static void print_json(json_t *j)
{
    char *s = dt_json_compact(j);
    puts(s);
    free(s);
    json_decref(j);
}

/* p->remote_url is redacted already (project.c); the store URL is not. */
static void print_project(const dt_project *p, const char *what, const char *head)
{
    char *store = dt_redact(p->store_url);
    if (cli.json) {
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(p->name));
        json_object_set_new(j, "root", json_string(p->root));
        json_object_set_new(j, "store", json_string(store));
        json_object_set_new(j, "namespace", json_string(p->ns));
        json_object_set_new(j, "remote", p->remote_url ? json_string(p->remote_url) : json_null());
        json_object_set_new(j, "head", head ? json_string(head) : json_null());
        print_json(j);
    } else {
        printf("%s datom project %s in %s\n", what, p->name, p->root);
        printf("  store: %s (keys under %s)\n", store, p->ns);
        if (p->remote_url)
            printf("  remote: %s\n", p->remote_url);
    }
    free(store);
}

int cli_init(int argc, char **argv)
{
    if (cli_wants_help(argc, argv))
        return fputs(init_help, stdout), 0;
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},   {"description", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, 's'},  {"prefix", required_argument, NULL, 'p'},
        {"remote", required_argument, NULL, 'r'}, {"author", required_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},         {NULL, 0, NULL, 0}};
    dt_project_init_opts o = {.store_url = cli.store_url};
    int c;
    optind = 0; /* glibc: a full restart, so options may follow operands */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n': o.name = optarg; break;
        case 'd': o.description = optarg; break;
        case 's': o.store_url = optarg; break;
        case 'p': o.prefix = optarg; break;
        case 'r': o.remote_url = optarg; break;
        case 'a': o.author = optarg; break;
        case 'j': cli.json = 1; break;
        default: return cli_bad_option("init", argv, "");
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("init", "too many arguments");
    if (!o.name)
        return cli_usage_error("init", "--name is required");
    const char *dir = optind < argc ? argv[optind] : ".";
    dt_project *p;
    int rc = dt_project_init(&p, dir, &o);
    if (rc != 0)
        return cli_fail(rc);
    char head[41];
    rc = dt_git_head(p->git, head);
    print_project(p, "Initialized", rc == 0 ? head : NULL);
    dt_project_free(p);
    return 0;
}

int cli_clone(int argc, char **argv)
{
    if (cli_wants_help(argc, argv))
        return fputs(clone_help, stdout), 0;
    const char *ops[2] = {NULL, NULL};
    int n = simple_opts(argc, argv, "clone", 2, ops);
    if (n < 0)
        return -n;
    if (n < 1)
        return cli_usage_error("clone", "give the URL of the project's git repository");
    dt_project *p;
    int rc = dt_project_clone(&p, ops[0], ops[1]);
    if (rc != 0)
        return cli_fail(rc);
    char head[41];
    rc = dt_git_head(p->git, head);
    print_project(p, "Cloned", rc == 0 ? head : NULL);
    dt_project_free(p);
    return 0;
}

/* Opens the git repository of the project at or above DIR (no store needed). */
static int open_git(const char *dir, dt_git **out)
{
    char *root = NULL;
    int rc = dt_project_find_root(dir, &root);
    if (rc == 0)
        rc = dt_git_open(out, root);
    free(root);
    return rc;
}

/* pull and push: the same shape around one git operation, run under the
 * project's write lock when its store opens (so HEAD never moves under a
 * write of this work tree); a project whose store cannot be opened has no
 * writer, and exchanges with git alone. */
static int exchange(int argc, char **argv, const char *verb, const char *help)
{
    if (cli_wants_help(argc, argv))
        return fputs(help, stdout), 0;
    const char *ops[1] = {NULL};
    int n = simple_opts(argc, argv, verb, 1, ops);
    if (n < 0)
        return -n;
    bool push = !strcmp(verb, "push");
    const char *dir = ops[0] ? ops[0] : ".";
    dt_project *p = NULL;
    dt_git *own = NULL, *g;
    int rc = dt_project_open(&p, dir);
    if (rc != 0) {
        datom_errclear();
        rc = open_git(dir, &own);
    }
    g = p ? p->git : own;
    char before[41] = "", after[41] = "";
    if (rc == 0) {
        dt_git_head(g, before);
        datom_errclear();
        rc = p ? dt_project_exchange(p, push) : push ? dt_git_push(g) : dt_project_pull(g);
    }
    if (rc != 0) {
        dt_git_free(own);
        dt_project_free(p);
        return cli_fail(rc);
    }
    dt_git_head(g, after);
    char *raw = NULL;
    dt_git_remote_url(g, &raw);
    datom_errclear();
    char *url = raw ? dt_redact(raw) : NULL;
    free(raw);
    bool moved = strcmp(before, after) != 0;
    if (cli.json) {
        json_t *j = json_object();
        json_object_set_new(j, "remote", url ? json_string(url) : json_null());
        json_object_set_new(j, "head", *after ? json_string(after) : json_null());
        if (!strcmp(verb, "pull"))
            json_object_set_new(j, "updated", json_boolean(moved));
        print_json(j);
    } else if (!strcmp(verb, "pull")) {
        if (moved)
            printf("Updated from %s: HEAD is %.12s\n", url, after);
        else
            printf("Already up to date with %s\n", url);
    } else {
        printf("Pushed %.12s to %s\n", after, url);
    }
    free(url);
    dt_git_free(own);
    dt_project_free(p);
    return 0;
}

/* The manifest is derived: a replayed local write gets it rebuilt, as a write's own pull does. */
int cli_pull(int argc, char **argv)
{
    return exchange(argc, argv, "pull", pull_help);
}
int cli_push(int argc, char **argv) { return exchange(argc, argv, "push", push_help); }
