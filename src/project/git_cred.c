/*
 * git_cred.c: credentials for git remotes, which datom never writes down.
 *
 * A URL given to init --remote or clone may carry them (https://alice:TOKEN@
 * host/repo.git): they are taken out of the URL before it is stored (git's
 * origin, project.yaml) and kept in the handle's memory for that command
 * only. Later commands get them, when the server asks, from:
 *   1. those in-memory credentials (this process only);
 *   2. the environment: DATOM_GIT_PASSWORD (a password or token) and
 *      DATOM_GIT_USERNAME (default: the user named in the remote's URL, else
 *      x-access-token, which token-based hosts accept);
 *   3. git's credential helpers, through `git credential fill` (credential
 *      stores, caches, the desktop keyring: whatever `git config
 *      credential.helper` names), when git is installed; it may prompt on a
 *      terminal, never without one;
 *   4. for ssh remotes, the ssh agent; for servers that negotiate, the
 *      system's default credentials.
 * Each source is offered once: a refused credential moves on to the next,
 * and after the last the server's refusal is the error (libgit2 reports it
 * without the credentials; its message is redacted anyway by error.c).
 * A remote whose URL in git's own configuration carries credentials (set by
 * the user with git) is used as it is: libgit2 sends them itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "project/git_internal.h"

extern char **environ;

#define HELPER_OUT_MAX 65536

static void secret_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void dt_git_cred_clear(dt_git_cred *c)
{
    secret_free(c->user);
    secret_free(c->pass);
    c->user = c->pass = NULL;
}

/* ---- git credential fill ---- */

/* "protocol=https\nhost=h\npath=p\n[username=u\n]\n" for URL. */
static char *helper_request(const char *url, const char *user)
{
    const char *sep = strstr(url, "://");
    if (!sep)
        return NULL;
    const char *host = sep + 3, *at = strchr(host, '@'), *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        host = at + 1; /* libgit2 gives the URL as configured */
    size_t hlen = strcspn(host, "/?#");
    const char *path = host[hlen] == '/' ? host + hlen + 1 : "";
    dt_buf b = DT_BUF_INIT;
    dt_buf_printf(&b, "protocol=%.*s\nhost=%.*s\n", (int)(sep - url), url, (int)hlen, host);
    if (*path)
        dt_buf_printf(&b, "path=%.*s\n", (int)strcspn(path, "?#\n"), path);
    if (user && *user && !strchr(user, '\n'))
        dt_buf_printf(&b, "username=%s\n", user);
    dt_buf_putc(&b, '\n');
    return dt_buf_detach(&b);
}

/* Runs `git credential fill` with REQUEST on its input; its output in OUT. */
static int run_helper(const char *request, dt_buf *out)
{
    int in[2], res[2];
    if (pipe2(in, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(res, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, res[1], 1);
    /* git's complaints ("could not read Username") are not ours to show */
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    /* no terminal, no prompt: a script must not hang on one */
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    char **env = dt_calloc(nenv + 2, sizeof *env);
    memcpy(env, environ, nenv * sizeof *env);
    if (!(isatty(STDIN_FILENO) && isatty(STDERR_FILENO)))
        env[nenv] = "GIT_TERMINAL_PROMPT=0";
    char *argv[] = {"git", "credential", "fill", NULL};
    pid_t pid;
    int err = posix_spawnp(&pid, "git", &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    close(in[0]);
    close(res[1]);
    if (err == 0) {
        void (*old)(int) = signal(SIGPIPE, SIG_IGN);
        dt_fs_write_all(in[1], request, strlen(request));
        signal(SIGPIPE, old);
    }
    close(in[1]);
    char buf[4096];
    for (ssize_t n; err == 0 && (n = read(res[0], buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || out->len + (size_t)n > HELPER_OUT_MAX)
            break;
        dt_buf_append(out, buf, (size_t)n);
    }
    close(res[0]);
    int status = 0;
    if (err == 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    return err == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The value of "NAME=" in helper output TEXT (caller frees), or NULL. */
static char *helper_field(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, name, n) && l[n] == '=')
            return dt_strndup(l + n + 1, strcspn(l + n + 1, "\n"));
    return NULL;
}

static bool from_helper(const char *url, const char *user, dt_git_cred *out)
{
    char *req = helper_request(url, user);
    if (!req)
        return false;
    dt_buf res = DT_BUF_INIT;
    bool ok = run_helper(req, &res) == 0;
    if (ok) {
        out->user = helper_field(dt_buf_cstr(&res), "username");
        out->pass = helper_field(dt_buf_cstr(&res), "password");
        ok = out->pass != NULL;
    }
    if (res.data)
        explicit_bzero(res.data, res.len);
    dt_buf_free(&res);
    free(req);
    if (!ok)
        dt_git_cred_clear(out);
    return ok;
}

/* ---- the callback ---- */

static int userpass(git_credential **out, const char *user, const char *pass)
{
    return git_credential_userpass_plaintext_new(out, user, pass ? pass : "");
}

/* The next source of a username and password not offered yet. */
static int next_userpass(git_credential **out, const char *url, const char *url_user,
                         dt_git_cred_state *s)
{
    /* a URL's user alone may be a token (https://TOKEN@host): offered with
     * an empty password, as hosts that take tokens expect */
    if (!s->tried_given && (s->tried_given = true) && s->given && (s->given->user || s->given->pass))
        return userpass(out, s->given->user ? s->given->user : "", s->given->pass);
    const char *env_pass = getenv("DATOM_GIT_PASSWORD");
    if (!s->tried_env && (s->tried_env = true) && env_pass && *env_pass) {
        const char *u = getenv("DATOM_GIT_USERNAME");
        return userpass(out, u && *u ? u : url_user && *url_user ? url_user : "x-access-token",
                        env_pass);
    }
    if (!s->tried_helper && (s->tried_helper = true) && from_helper(url, url_user, &s->helper)) {
        int rc = userpass(out, s->helper.user ? s->helper.user : url_user ? url_user : "",
                          s->helper.pass);
        dt_git_cred_clear(&s->helper);
        return rc;
    }
    return GIT_PASSTHROUGH;
}

int dt_git_credentials_cb(git_credential **out, const char *url, const char *user,
                          unsigned int allowed, void *payload)
{
    dt_git_cred_state *s = payload;
    if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
        int rc = next_userpass(out, url, user, s);
        if (rc != GIT_PASSTHROUGH) {
            s->offered++;
            return rc;
        }
        if (!(allowed & ~(unsigned)GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
            /* nothing else the server would take: say so, and how to give some */
            git_error_set_str(GIT_ERROR_NET,
                              s->offered ? "authentication failed: the server refused the "
                                           "credentials offered"
                                         : "authentication required, and no credentials were "
                                           "found: set DATOM_GIT_PASSWORD or a git credential "
                                           "helper (docs/cli.md, \"Credentials\")");
            return GIT_EAUTH;
        }
    }
    if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !s->tried_agent) {
        s->tried_agent = true;
        return git_credential_ssh_key_from_agent(out, user ? user : "git");
    }
    if ((allowed & GIT_CREDENTIAL_DEFAULT) && !s->tried_default) {
        s->tried_default = true;
        return git_credential_default_new(out);
    }
    return GIT_PASSTHROUGH;
}
