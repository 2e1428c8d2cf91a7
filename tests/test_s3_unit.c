/*
 * test_s3_unit.c: the parts of the S3 backend that need no server: the XML
 * reader (listings, errors, entities, hostile documents), percent-encoding,
 * and the configuration's precedence (URL query, environment, ~/.aws files,
 * defaults), credentials included, and that no message shows a secret.
 * Everything with a server is in test_s3_store.sh and test_s3_tables.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "store/s3.h"
#include "t.h"

static char *home;

/* ---- XML ---- */

static int listing(const char *xml, s3_listing *l) { return s3_xml_listing(xml, strlen(xml), l); }

static void test_listing(void)
{
    s3_listing l;
    T_OK(listing("<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>true</IsTruncated>"
                 "<Contents><Key>a &amp; b</Key><ETag>&quot;x&quot;</ETag></Contents>"
                 "<Contents><Key>&#252;n&#x69;&lt;&gt;&apos;</Key></Contents>"
                 "<NextContinuationToken>tok/+=</NextContinuationToken></ListBucketResult>", &l));
    T_EQ_INT(l.keys.n, 2);
    T_EQ_STR(l.keys.v[0], "a & b");
    T_EQ_STR(l.keys.v[1], "\xc3\xbcni<>'");
    T_ASSERT(l.truncated);
    T_EQ_STR(l.next_token, "tok/+=");
    s3_listing_free(&l);
    T_OK(listing("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>", &l));
    T_EQ_INT(l.keys.n, 0);
    s3_listing_free(&l);
    /* Hostile or broken answers: an error, never a wrong listing. */
    const char *bad[] = {
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", /* no token */
        "<ListBucketResult><Contents><Key>a&#0;b</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&#xD800;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a&amp</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>never closed",
        "<ListBucketResult",
        "<Error><Code>AccessDenied</Code></Error>",
        "",
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(bad); i++)
        T_ERR(listing(bad[i], &l), DATOM_EIO, "malformed");
    /* A NUL inside the answer is refused too. */
    const char nul[] = "<ListBucketResult><Contents><Key>a\0b</Key></Contents></ListBucketResult>";
    T_ERR(s3_xml_listing(nul, sizeof nul - 1, &l), DATOM_EIO, "malformed");
}

static void test_text(void)
{
    const char *err = "<Error><Code>SlowDown</Code><Message>x &lt; y</Message><Empty/></Error>";
    char *t = s3_xml_text(err, strlen(err), "Code");
    T_EQ_STR(t, "SlowDown");
    free(t);
    t = s3_xml_text(err, strlen(err), "Message");
    T_EQ_STR(t, "x < y");
    free(t);
    t = s3_xml_text(err, strlen(err), "Empty");
    T_EQ_STR(t, "");
    free(t);
    T_ASSERT(s3_xml_text(err, strlen(err), "UploadId") == NULL);
    T_ASSERT(s3_xml_text(err, 10, "Code") == NULL); /* cut short: bounded by the length */
}

static void test_encode(void)
{
    dt_buf b = DT_BUF_INIT;
    s3_uri_encode(&b, "a b/c+d%e~f_g.h-i\xc3\xbc?#&=*", true);
    T_EQ_STR(dt_buf_cstr(&b), "a%20b/c%2Bd%25e~f_g.h-i%C3%BC%3F%23%26%3D%2A");
    dt_buf_clear(&b);
    s3_uri_encode(&b, "a/b", false);
    T_EQ_STR(dt_buf_cstr(&b), "a%2Fb");
    dt_buf_free(&b);
}

/* ---- configuration ---- */

static void clear_env(void)
{
    const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                          "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
                          "AWS_ENDPOINT_URL_S3", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"};
    for (size_t i = 0; i < DT_ARRAY_LEN(vars); i++)
        unsetenv(vars[i]);
    setenv("HOME", home, 1);
}

static void write_file(const char *rel, const char *text)
{
    char *p = dt_path_join(home, rel);
    char *dir = dt_path_dirname(p);
    T_OK(dt_fs_mkdirs(dir, 0700));
    T_OK(dt_fs_write_atomic(p, text, strlen(text)));
    free(dir);
    free(p);
}

static void test_precedence(void)
{
    clear_env();
    s3_cfg c;
    T_OK(s3_cfg_parse(&c, "s3://bucket"));
    T_EQ_STR(c.region, "us-east-1");
    T_EQ_STR(c.endpoint, "https://s3.us-east-1.amazonaws.com");
    T_ASSERT(!c.path_style && c.access_key == NULL && !strcmp(c.prefix, ""));
    s3_cfg_free(&c);
    /* The files, for the default profile and a named one. */
    write_file(".aws/config", "[default]\nregion = eu-west-3\n[profile lab]\nregion=lab-1\n"
                              "endpoint_url = http://rgw.lab:7480/\n");
    write_file(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = "
                                   "FILESECRET\n[lab]\naws_access_key_id=LABKEY\n"
                                   "aws_secret_access_key=LABSECRET ; a comment\naws_session_token=T\n");
    T_OK(s3_cfg_parse(&c, "s3://bucket/a/b/"));
    T_EQ_STR(c.region, "eu-west-3");
    T_EQ_STR(c.access_key, "FILEKEY");
    T_EQ_STR(c.secret_key, "FILESECRET");
    T_EQ_STR(c.prefix, "a/b/");
    s3_cfg_free(&c);
    setenv("AWS_PROFILE", "lab", 1);
    T_OK(s3_cfg_parse(&c, "s3://bucket"));
    T_EQ_STR(c.region, "lab-1");
    T_EQ_STR(c.endpoint, "http://rgw.lab:7480");
    T_ASSERT(c.path_style); /* a custom endpoint */
    T_EQ_STR(c.access_key, "LABKEY");
    T_EQ_STR(c.secret_key, "LABSECRET");
    T_EQ_STR(c.token, "T");
    s3_cfg_free(&c);
    /* The environment over the files; keys in the environment over a profile. */
    setenv("AWS_REGION", "env-region", 1);
    setenv("AWS_ENDPOINT_URL", "http://env:1", 1);
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
    T_OK(s3_cfg_parse(&c, "s3://bucket"));
    T_EQ_STR(c.region, "env-region");
    T_EQ_STR(c.endpoint, "http://env:1");
    T_EQ_STR(c.access_key, "ENVKEY");
    T_ASSERT(c.token == NULL);
    s3_cfg_free(&c);
    /* The URL over everything; a profile named in it over the environment's keys. */
    T_OK(s3_cfg_parse(&c, "s3://bucket?region=url-1&endpoint=http%3A%2F%2Furl%3A2&style=virtual"
                          "&profile=default&timeout=5&stall=2&retries=0&parallel=3"));
    T_EQ_STR(c.region, "url-1");
    T_EQ_STR(c.endpoint, "http://url:2");
    T_ASSERT(!c.path_style);
    T_EQ_STR(c.access_key, "FILEKEY");
    T_EQ_INT(c.timeout_ms, 5000);
    T_EQ_INT(c.stall_ms, 2000);
    T_EQ_INT(c.retries, 0);
    T_EQ_INT(c.parallel, 3);
    s3_cfg_free(&c);
    clear_env();
}

static void test_bad_urls(void)
{
    clear_env();
    s3_cfg c;
    const struct {
        const char *url, *text;
    } bad[] = {
        {"s3://", "bucket"},
        {"s3://bu ck", "bucket"},
        {"s3://b#frag", "fragment"},
        {"s3://b?nope=1", "nope"},
        {"s3://b?region=", "region"},
        {"s3://b?endpoint=http://h:1/path", "without a path"},
        {"s3://b?endpoint=h:1", "http"},
        {"s3://b?style=sideways", "style"},
        {"s3://b?timeout=0", "timeout"},
        {"s3://b?parallel=1000", "parallel"},
        {"s3://b/%zz", "percent"},
        {"s3://b/a//..//c?endpoint=http://h", ".."},
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(bad); i++)
        T_ERR(s3_cfg_parse(&c, bad[i].url), DATOM_EINVAL, bad[i].text);
    /* Credentials in a URL: refused, and not shown. */
    T_ERR(s3_cfg_parse(&c, "s3://KEY:TOPSECRET@b/p"), DATOM_EINVAL, "***");
    T_ASSERT(!strstr(datom_errmsg(), "TOPSECRET"));
    T_ERR(s3_cfg_parse(&c, "s3://b?endpoint=http://KEY:TOPSECRET@h:1&region=x"), DATOM_EINVAL, "***@h:1");
    T_ASSERT(!strstr(datom_errmsg(), "TOPSECRET"));
}

int main(void)
{
    home = t_tmpdir("s3_unit");
    T_RUN(test_listing);
    T_RUN(test_text);
    T_RUN(test_encode);
    T_RUN(test_precedence);
    T_RUN(test_bad_urls);
    if (t_failed == 0)
        dt_fs_rmtree(home);
    free(home);
    return t_done();
}
