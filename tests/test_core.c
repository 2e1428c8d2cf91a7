/* test_core.c: errors, buffers, SHA-256, hex, files and JSON of src/core. */
#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

#include "core/core.h"
#include "t.h"

static void test_sha256_nist(void)
{
    char hex[DATOM_SHA_HEX];
    dt_sha256_hex("abc", 3, hex);
    T_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    dt_sha256_hex("", 0, hex);
    T_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha256_streaming_matches_oneshot(void)
{
    char one[DATOM_SHA_HEX], two[DATOM_SHA_HEX];
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    dt_sha256_hex(msg, strlen(msg), one);
    dt_sha256 h;
    dt_sha256_init(&h);
    for (const char *p = msg; *p; p++)
        dt_sha256_update(&h, p, 1);
    dt_sha256_final_hex(&h, two);
    T_EQ_STR(one, two);
    T_EQ_STR(one, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_file(void)
{
    char *dir = t_tmpdir("core_sha");
    char *path = dt_path_join(dir, "f");
    T_OK(dt_fs_write_atomic(path, "abc", 3));
    char hex[DATOM_SHA_HEX];
    uint64_t size = 0;
    T_OK(dt_sha256_file(path, hex, &size));
    T_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    T_EQ_INT(size, 3);
    char *missing = dt_path_join(dir, "missing");
    T_ERR(dt_sha256_file(missing, hex, NULL), DATOM_ENOTFOUND, "missing");
    free(missing);
    free(path);
    dt_fs_rmtree(dir);
    free(dir);
}

static void test_hex(void)
{
    uint8_t b[3] = {0x00, 0xab, 0xff}, back[3];
    char hex[7];
    dt_hex_encode(b, 3, hex);
    T_EQ_STR(hex, "00abff");
    T_OK(dt_hex_decode("00ABff", back, 3));
    T_ASSERT(memcmp(b, back, 3) == 0);
    T_ERR(dt_hex_decode("0g", back, 1), DATOM_EINVAL, "not hex");
    T_ERR(dt_hex_decode("00", back, 3), DATOM_EINVAL, "expected 6");
    T_ASSERT(dt_is_sha_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    T_ASSERT(!dt_is_sha_hex("BA7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    T_ASSERT(dt_is_hex_prefix("abc123", 6, 64));
    T_ASSERT(!dt_is_hex_prefix("abc12", 6, 64));
}

static void test_buf_and_strv(void)
{
    dt_buf b = DT_BUF_INIT;
    T_EQ_STR(dt_buf_cstr(&b), "");
    for (int i = 0; i < 1000; i++)
        dt_buf_printf(&b, "%d,", i);
    T_ASSERT(strncmp(dt_buf_cstr(&b), "0,1,2,", 6) == 0);
    T_EQ_INT(b.len, strlen((char *)b.data));
    dt_buf_free(&b);
    dt_strv s = DT_STRV_INIT;
    dt_strv_push(&s, "b");
    dt_strv_push(&s, "a");
    dt_strv_push(&s, "B");
    dt_strv_sort(&s);
    T_EQ_STR(s.v[0], "B");
    T_EQ_STR(s.v[1], "a");
    dt_strv_free(&s);
}

static void test_errors_wrap_and_exit_codes(void)
{
    dt_error(DATOM_ENOTFOUND, "table %s", "t1");
    dt_error_wrap("read");
    T_EQ_STR(datom_errmsg(), "read: table t1");
    T_EQ_INT(datom_errcode(), DATOM_ENOTFOUND);
    T_EQ_INT(dt_exit_code(DATOM_ENOTFOUND), 3);
    T_EQ_INT(dt_exit_code(DATOM_EINVAL), 2);
    datom_errclear();
    T_EQ_STR(datom_errmsg(), "");
}

static void test_json_errors_name_line_and_column(void)
{
    char *dir = t_tmpdir("core_json");
    char *path = dt_path_join(dir, "bad.json");
    const char *text = "{\n  \"a\": 1,\n  \"b\": ]\n}\n";
    T_OK(dt_fs_write_atomic(path, text, strlen(text)));
    json_t *j = NULL;
    T_ERR(dt_json_load_file(path, &j), DATOM_EINVAL, "bad.json:3:");
    const char *good = "{\"z\":1,\"a\":[1,2]}";
    T_OK(dt_fs_write_atomic(path, good, strlen(good)));
    T_OK(dt_json_load_file(path, &j));
    char *pretty = dt_json_pretty(j);
    T_EQ_STR(pretty, "{\n  \"z\": 1,\n  \"a\": [\n    1,\n    2\n  ]\n}\n");
    free(pretty);
    json_decref(j);
    free(path);
    dt_fs_rmtree(dir);
    free(dir);
}

static void test_atomic_write_replaces(void)
{
    char *dir = t_tmpdir("core_atomic");
    char *path = dt_path_join(dir, "sub/dir/f");
    char *sub = dt_path_dirname(path);
    T_OK(dt_fs_mkdirs(sub, 0755));
    T_OK(dt_fs_write_atomic(path, "one", 3));
    T_OK(dt_fs_write_atomic(path, "two!", 4));
    dt_buf b = DT_BUF_INIT;
    T_OK(dt_fs_read_all(path, &b, 100));
    T_EQ_STR(dt_buf_cstr(&b), "two!");
    dt_buf_free(&b);
    T_ERR(dt_fs_read_all(path, &b, 2), DATOM_EINVAL, "larger than");
    dt_buf_free(&b);
    free(sub);
    free(path);
    dt_fs_rmtree(dir);
    free(dir);
}

/* A sink that fails once it has taken LIMIT bytes. */
typedef struct capped {
    dt_buf b;
    size_t limit;
} capped;

static int capped_write(void *ctx, const void *p, size_t n)
{
    capped *c = ctx;
    if (c->b.len + n > c->limit)
        return dt_error(DATOM_EIO, "sink full");
    dt_buf_append(&c->b, p, n);
    return 0;
}

static void test_copy_fd_and_hash_tee(void)
{
    char *dir = t_tmpdir("core_copy");
    char *path = dt_path_join(dir, "f");
    T_OK(dt_fs_write_atomic(path, "0123456789abcdef", 16));
    /* Small reads: every byte arrives once, in order, through the tee. */
    int fd = open(path, O_RDONLY);
    T_ASSERT(fd >= 0);
    dt_buf got = DT_BUF_INIT;
    dt_hash_tee t;
    dt_hash_tee_init(&t, dt_sink_buf(&got));
    T_OK(dt_fs_copy_fd(fd, 3, path, dt_hash_tee_sink(&t)));
    close(fd);
    T_EQ_STR(dt_buf_cstr(&got), "0123456789abcdef");
    T_EQ_INT(t.size, 16);
    char hex[DATOM_SHA_HEX], want[DATOM_SHA_HEX];
    dt_sha256_final_hex(&t.sha, hex);
    dt_sha256_hex("0123456789abcdef", 16, want);
    T_EQ_STR(hex, want);
    dt_buf_free(&got);
    /* The sink's error stops the copy and comes back. */
    fd = open(path, O_RDONLY);
    T_ASSERT(fd >= 0);
    capped c = {DT_BUF_INIT, 7};
    T_ERR(dt_fs_copy_fd(fd, 4, path, (dt_sink){capped_write, &c}), DATOM_EIO, "sink full");
    T_EQ_INT(c.b.len, 4);
    close(fd);
    dt_buf_free(&c.b);
    /* A read error names what was read. */
    T_ERR(dt_fs_copy_fd(-1, 4, "nothing", dt_sink_buf(&got)), DATOM_EIO, "read nothing");
    dt_fs_rmtree(dir);
    free(path);
    free(dir);
}

/* TEXT redacted must equal WANT. */
static void redacts(const char *text, const char *want)
{
    char *got = dt_redact(text);
    T_EQ_STR(got, want);
    free(got);
}

static void test_redact(void)
{
    redacts("https://alice:TOKEN@host/repo.git", "https://***@host/repo.git");
    redacts("https://TOKEN@github.com/o/r", "https://***@github.com/o/r");
    redacts("push to 'https://a:b@h/x' failed; fetch http://c:d@e:8080/y too",
            "push to 'https://***@h/x' failed; fetch http://***@e:8080/y too");
    redacts("https://alice:p@ss@host/r", "https://***@host/r");
    /* a raw '/' in the password (AWS secret keys have them) */
    redacts("s3://AKIA:wJalr/K7MD/ENG@bucket/prefix", "s3://***@bucket/prefix");
    redacts("s3://b/p?region=eu&endpoint=http://u:SECRET@minio:9000&secret_key=SECRET&x=1",
            "s3://b/p?region=eu&endpoint=http://***@minio:9000&secret_key=***&x=1");
    redacts("https://h/x?X-Amz-Signature=abc&token=t#frag", "https://h/x?X-Amz-Signature=***&token=***#frag");
    redacts("https://[::1]:8080/repo.git", "https://[::1]:8080/repo.git");
    redacts("https://host/~user/repo", "https://host/~user/repo");
    redacts("no url here: a@b and x:y", "no url here: a@b and x:y");
    redacts("://a:b@c", "://a:b@c");
    redacts("", "");
    char *user, *pass;
    char *bare = dt_url_strip_userinfo("https://al%40ice:p%2Fw@host/r.git", &user, &pass);
    T_EQ_STR(bare, "https://host/r.git");
    T_EQ_STR(user, "al@ice");
    T_EQ_STR(pass, "p/w");
    free(bare);
    free(user);
    free(pass);
    bare = dt_url_strip_userinfo("git@github.com:o/r.git", &user, &pass);
    T_EQ_STR(bare, "git@github.com:o/r.git");
    T_ASSERT(!user && !pass);
    free(bare);
    /* every recorded message is redacted and printable */
    dt_error(DATOM_EIO, "clone https://alice:TOKEN@host/x: \x1b[31mred\x1b[0m\n");
    T_EQ_STR(datom_errmsg(), "clone https://***@host/x: \\x1b[31mred\\x1b[0m\\n");
    dt_error(DATOM_EINVAL, "name \xc2\x9b" "2J and bad \xff byte");
    T_EQ_STR(datom_errmsg(), "name \\u009b2J and bad \\xff byte");
    datom_errclear();
    char *shown = dt_shown("abcdefgh", 4);
    T_EQ_STR(shown, "abcd... (8 bytes)");
    free(shown);
    shown = dt_shown("\xc3\xa9\xc3\xa9", 3); /* never inside a character */
    T_EQ_STR(shown, "\xc3\xa9... (4 bytes)");
    free(shown);
}

/* Well-formed UTF-8 only: what YAML and JSON can hold. */
static void test_utf8_valid(void)
{
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"", true}, {"plain ascii", true}, {"h\xc3\xa9llo \xe6\x97\xa5", true},
        {"\xf0\x9f\x98\x80", true}, {"\xf4\x8f\xbf\xbf", true},
        {"\xff", false}, {"bad\xc3", false}, {"\xc0\xaf", false},       /* overlong '/' */
        {"\xe0\x80\xaf", false}, {"\xed\xa0\x80", false},             /* overlong, surrogate */
        {"\xf4\x90\x80\x80", false}, {"\xf5\x80\x80\x80", false},   /* above U+10FFFF */
        {"\xe6\x97", false}, {"\x80", false}, {"\xc3\x28", false},
    };
    for (size_t i = 0; i < DT_ARRAY_LEN(cases); i++)
        if (dt_utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
            T_FAIL("case %zu: expected %s", i, cases[i].ok ? "valid" : "invalid");
}

int main(void)
{
    T_RUN(test_sha256_nist);
    T_RUN(test_sha256_streaming_matches_oneshot);
    T_RUN(test_sha256_file);
    T_RUN(test_hex);
    T_RUN(test_buf_and_strv);
    T_RUN(test_errors_wrap_and_exit_codes);
    T_RUN(test_json_errors_name_line_and_column);
    T_RUN(test_atomic_write_replaces);
    T_RUN(test_copy_fd_and_hash_tee);
    T_RUN(test_redact);
    T_RUN(test_utf8_valid);
    return t_done();
}
