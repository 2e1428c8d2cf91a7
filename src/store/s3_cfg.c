/*
 * s3_cfg.c: the configuration of an S3 store, from its URL, the environment
 * and the AWS files (docs/architecture.md, "S3: URLs and configuration").
 *
 *   s3://BUCKET[/PREFIX][?endpoint=URL&region=R&style=path|virtual
 *                        &profile=P&timeout=S&stall=S&retries=N&parallel=N]
 *
 * Each setting is taken from the first place that has it: the URL's query;
 * the environment (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION,
 * AWS_DEFAULT_REGION, AWS_PROFILE); the profile's section of ~/.aws/config
 * (region, endpoint_url); the defaults (us-east-1, AWS's endpoint with
 * virtual-hosted addressing; path-style for any other endpoint).
 * Credentials: a profile named in the URL; else AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN); else the profile
 * (AWS_PROFILE or "default") in ~/.aws/credentials; else none (anonymous
 * requests, for public buckets). A credential is never read from a URL: one
 * there is refused, and the message shows the URL with it masked.
 */
#include <stdlib.h>
#include <string.h>

#include "store/s3.h"

#define DEFAULT_REGION "us-east-1"
#define DEFAULT_TIMEOUT_S 300
#define DEFAULT_STALL_S 30
#define DEFAULT_RETRIES 8
#define DEFAULT_PARALLEL 8
#define PART_SIZE (8u << 20)

/* ---- the URL ---- */

static int cfg_error(const char *url, const char *fmt, const char *arg)
{
    char *m = dt_redact(url); /* dt_error would redact it too; the intent is plain here */
    int rc = dt_error(DATOM_EINVAL, "%s: %s%s", m, fmt, arg ? arg : "");
    free(m);
    return rc;
}

static bool bucket_ok(const char *b, size_t n)
{
    if (n < 1 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= 'A' && b[i] <= 'Z') ||
              (b[i] >= '0' && b[i] <= '9') || b[i] == '-' || b[i] == '.' || b[i] == '_'))
            return false;
    return true;
}

typedef struct query {
    char *endpoint, *region, *style, *profile, *timeout, *stall, *retries, *parallel;
} query;

static void query_free(query *q)
{
    char **f[] = {&q->endpoint, &q->region, &q->style, &q->profile,
                  &q->timeout,  &q->stall,  &q->retries, &q->parallel};
    for (size_t i = 0; i < DT_ARRAY_LEN(f); i++)
        free(*f[i]);
}

static int query_parse(const char *url, const char *q, query *out)
{
    static const char *const names[] = {"endpoint", "region", "style",   "profile",
                                        "timeout",  "stall",  "retries", "parallel"};
    char **slots[] = {&out->endpoint, &out->region, &out->style,   &out->profile,
                      &out->timeout,  &out->stall,  &out->retries, &out->parallel};
    for (const char *p = q; *p;) {
        size_t n = strcspn(p, "&"), k = strcspn(p, "=");
        size_t i = 0;
        while (i < DT_ARRAY_LEN(names) && !(k < n && k == strlen(names[i]) && !strncmp(p, names[i], k)))
            i++;
        if (i == DT_ARRAY_LEN(names)) {
            char *name = dt_strndup(p, DT_MIN(k, n));
            int rc = cfg_error(url, "unknown setting in the query: ", name);
            free(name);
            return rc;
        }
        char *v = dt_pct_decode(p + k + 1, n - k - 1);
        if (!v || !*v) {
            free(v);
            return cfg_error(url, "bad value for the setting ", names[i]);
        }
        free(*slots[i]);
        *slots[i] = v;
        p += n + (p[n] == '&');
    }
    return 0;
}

/* ---- the AWS files ---- */

/* KEY in section SECTION of the INI file PATH (NULL if absent). */
static char *ini_get(const char *path, const char *section, const char *key)
{
    dt_buf text = DT_BUF_INIT;
    if (dt_fs_read_all(path, &text, 1u << 20) != 0) {
        datom_errclear();
        return NULL;
    }
    char *out = NULL;
    bool in = false;
    for (char *line = (char *)text.data, *next; line && !out; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line += strspn(line, " \t");
        size_t n = strcspn(line, "\r#;");
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        line[n] = '\0';
        if (line[0] == '[') {
            in = n >= 2 && line[n - 1] == ']' && strlen(section) == n - 2 &&
                 !strncmp(line + 1, section, n - 2);
            continue;
        }
        size_t kl = strcspn(line, " \t=");
        char *eq = strchr(line, '=');
        if (in && eq && kl == strlen(key) && !strncmp(line, key, kl)) {
            eq++;
            eq += strspn(eq, " \t");
            out = dt_strdup(eq);
        }
    }
    dt_buf_free(&text);
    return out;
}

static char *aws_file(const char *env, const char *name)
{
    const char *p = getenv(env);
    if (p && *p)
        return dt_strdup(p);
    const char *home = getenv("HOME");
    return home ? dt_sprintf("%s/.aws/%s", home, name) : NULL;
}

static char *config_get(const char *profile, const char *key)
{
    char *path = aws_file("AWS_CONFIG_FILE", "config");
    if (!path)
        return NULL;
    char *section = strcmp(profile, "default") ? dt_sprintf("profile %s", profile) : dt_strdup("default");
    char *v = ini_get(path, section, key);
    free(section);
    free(path);
    return v;
}

static void credentials_from_profile(s3_cfg *c, const char *profile)
{
    char *path = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    if (!path)
        return;
    char *id = ini_get(path, profile, "aws_access_key_id");
    char *secret = id ? ini_get(path, profile, "aws_secret_access_key") : NULL;
    if (id && secret) {
        c->access_key = id;
        c->secret_key = secret;
        c->token = ini_get(path, profile, "aws_session_token");
    } else {
        free(id);
        free(secret);
    }
    free(path);
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void credentials(s3_cfg *c, const char *url_profile)
{
    if (url_profile) {
        credentials_from_profile(c, url_profile);
        if (c->access_key)
            return;
    }
    if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
        c->access_key = dt_strdup(env("AWS_ACCESS_KEY_ID"));
        c->secret_key = dt_strdup(env("AWS_SECRET_ACCESS_KEY"));
        c->token = env("AWS_SESSION_TOKEN") ? dt_strdup(env("AWS_SESSION_TOKEN")) : NULL;
        return;
    }
    credentials_from_profile(c, env("AWS_PROFILE") ? env("AWS_PROFILE") : "default");
}

/* ---- settings ---- */

static char *first_of(char *a, const char *b, const char *c)
{
    if (a)
        return a;
    return b ? dt_strdup(b) : c ? dt_strdup(c) : NULL;
}

static int endpoint_check(const char *url, char **endpoint)
{
    char *e = *endpoint;
    if (strncmp(e, "http://", 7) && strncmp(e, "https://", 8))
        return cfg_error(url, "the endpoint must start with http:// or https://", NULL);
    const char *host = strstr(e, "://") + 3;
    size_t auth = strcspn(host, "/?#");
    if (memchr(host, '@', auth))
        return cfg_error(url, "credentials do not belong in an endpoint (use AWS_ACCESS_KEY_ID "
                         "and AWS_SECRET_ACCESS_KEY, or a profile)", NULL);
    if (auth == 0 || (host[auth] && strcmp(host + auth, "/")))
        return cfg_error(url, "the endpoint is scheme://host[:port], without a path", NULL);
    e[host - e + auth] = '\0';
    return 0;
}

static int number(const char *url, const char *name, const char *v, long lo, long hi, long *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < lo || n > hi) {
        char *msg = dt_sprintf("%s must be a whole number from %ld to %ld", name, lo, hi);
        int rc = cfg_error(url, msg, NULL);
        free(msg);
        return rc;
    }
    *out = n;
    return 0;
}

static int tuning(s3_cfg *c, const char *url, const query *q)
{
    long t = DEFAULT_TIMEOUT_S, s = DEFAULT_STALL_S, r = DEFAULT_RETRIES, p = DEFAULT_PARALLEL;
    int rc = 0;
    if (q->timeout)
        rc = number(url, "timeout", q->timeout, 1, 86400, &t);
    if (rc == 0 && q->stall)
        rc = number(url, "stall", q->stall, 1, 3600, &s);
    if (rc == 0 && q->retries)
        rc = number(url, "retries", q->retries, 0, 100, &r);
    if (rc == 0 && q->parallel)
        rc = number(url, "parallel", q->parallel, 1, 64, &p);
    c->timeout_ms = t * 1000;
    c->stall_ms = s * 1000;
    c->retries = (int)r;
    c->parallel = (int)p;
    c->part_size = PART_SIZE;
    c->multipart_min = 2 * PART_SIZE;
    return rc;
}

static int settings(s3_cfg *c, const char *url, query *q)
{
    const char *profile = q->profile ? q->profile : env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
    char *cfg_region = q->region || env("AWS_REGION") || env("AWS_DEFAULT_REGION") ? NULL
                                                                                  : config_get(profile, "region");
    c->region = first_of(q->region, env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION"),
                         cfg_region ? cfg_region : DEFAULT_REGION);
    q->region = NULL;
    free(cfg_region);
    char *cfg_endpoint = q->endpoint || env("AWS_ENDPOINT_URL_S3") || env("AWS_ENDPOINT_URL")
                             ? NULL : config_get(profile, "endpoint_url");
    c->endpoint = first_of(q->endpoint, env("AWS_ENDPOINT_URL_S3") ? env("AWS_ENDPOINT_URL_S3")
                                                                   : env("AWS_ENDPOINT_URL"),
                           cfg_endpoint);
    q->endpoint = NULL;
    free(cfg_endpoint);
    bool custom = c->endpoint != NULL;
    if (!c->endpoint)
        c->endpoint = dt_sprintf("https://s3.%s.amazonaws.com", c->region);
    int rc = endpoint_check(url, &c->endpoint);
    if (rc)
        return rc;
    if (q->style && strcmp(q->style, "path") && strcmp(q->style, "virtual"))
        return cfg_error(url, "style must be path or virtual", NULL);
    c->path_style = q->style ? !strcmp(q->style, "path") : custom || strchr(c->bucket, '.');
    credentials(c, q->profile);
    return tuning(c, url, q);
}

void s3_cfg_free(s3_cfg *c)
{
    free(c->bucket);
    free(c->prefix);
    free(c->endpoint);
    free(c->region);
    free(c->access_key);
    if (c->secret_key)
        memset(c->secret_key, 0, strlen(c->secret_key));
    free(c->secret_key);
    if (c->token)
        memset(c->token, 0, strlen(c->token));
    free(c->token);
    memset(c, 0, sizeof *c);
}

/* The prefix of the URL's path: "" or segments ending in '/'. */
static int url_prefix(const char *url, const char *p, size_t n, char **out)
{
    *out = NULL;
    char *raw = dt_pct_decode(p, n);
    if (!raw)
        return cfg_error(url, "bad percent-escape in the prefix", NULL);
    size_t a = strspn(raw, "/"), len = strlen(raw);
    while (len > a && raw[len - 1] == '/')
        len--;
    char *prefix = len > a ? dt_sprintf("%.*s/", (int)(len - a), raw + a) : dt_strdup("");
    free(raw);
    if (*prefix) {
        char *probe = dt_sprintf("%sx", prefix);
        int rc = dt_store_key_check(probe);
        free(probe);
        if (rc) {
            free(prefix);
            return dt_error_wrap("s3 prefix");
        }
    }
    *out = prefix;
    return 0;
}

int s3_cfg_parse(s3_cfg *c, const char *url)
{
    memset(c, 0, sizeof *c);
    const char *rest = url + 5; /* after "s3://" */
    size_t blen = strcspn(rest, "/?#");
    if (memchr(rest, '@', blen))
        return cfg_error(url, "credentials do not belong in a store URL (use AWS_ACCESS_KEY_ID "
                         "and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials)", NULL);
    if (!bucket_ok(rest, blen))
        return cfg_error(url, "expected s3://BUCKET[/PREFIX][?endpoint=...&region=...]: the bucket "
                         "name is missing or has characters a bucket cannot", NULL);
    if (rest[blen] == '#')
        return cfg_error(url, "a store URL has no #fragment", NULL);
    c->bucket = dt_strndup(rest, blen);
    const char *path = rest + blen;
    const char *q = strchr(path, '?');
    int rc = url_prefix(url, path, q ? (size_t)(q - path) : strlen(path), &c->prefix);
    query qs = {0};
    if (rc == 0 && q)
        rc = query_parse(url, q + 1, &qs);
    if (rc == 0)
        rc = settings(c, url, &qs);
    query_free(&qs);
    if (rc)
        s3_cfg_free(c);
    return rc;
}
