/*
 * sha256.c: SHA-256 through OpenSSL's EVP interface, streaming.
 *
 * Every name in datom (objects, data_sha, metadata_sha) is a SHA-256, so this
 * is on the hot path of every write: the digest is fetched once and reused,
 * and files are hashed in large reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include "core.h"

static EVP_MD *sha256_md(void)
{
    static EVP_MD *md;
    static _Atomic int ready;
    if (!ready) {
        EVP_MD *m = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (!m) {
            fprintf(stderr, "datom: OpenSSL has no SHA256\n");
            abort();
        }
        md = m; /* a benign race: every thread fetches the same digest */
        ready = 1;
    }
    return md;
}

void dt_sha256_init(dt_sha256 *h)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex2(ctx, sha256_md(), NULL) != 1) {
        fprintf(stderr, "datom: OpenSSL SHA256 init failed\n");
        abort();
    }
    h->ctx = ctx;
}

void dt_sha256_update(dt_sha256 *h, const void *p, size_t n)
{
    if (n)
        EVP_DigestUpdate(h->ctx, p, n);
}

void dt_sha256_final(dt_sha256 *h, uint8_t out[DT_SHA256_LEN])
{
    unsigned int len = 0;
    EVP_DigestFinal_ex(h->ctx, out, &len);
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void dt_sha256_final_hex(dt_sha256 *h, char out[DATOM_SHA_HEX])
{
    uint8_t d[DT_SHA256_LEN];
    dt_sha256_final(h, d);
    dt_hex_encode(d, sizeof d, out);
}

void dt_sha256_abort(dt_sha256 *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void dt_sha256_hex(const void *p, size_t n, char out[DATOM_SHA_HEX])
{
    dt_sha256 h;
    dt_sha256_init(&h);
    dt_sha256_update(&h, p, n);
    dt_sha256_final_hex(&h, out);
}

void dt_hash_tee_init(dt_hash_tee *t, dt_sink next)
{
    dt_sha256_init(&t->sha);
    t->size = 0;
    t->next = next;
}

static int hash_tee_write(void *ctx, const void *p, size_t n)
{
    dt_hash_tee *t = ctx;
    dt_sha256_update(&t->sha, p, n);
    t->size += n;
    return t->next.write ? dt_sink_write(t->next, p, n) : 0;
}

dt_sink dt_hash_tee_sink(dt_hash_tee *t) { return (dt_sink){hash_tee_write, t}; }

int dt_sha256_file(const char *path, char out[DATOM_SHA_HEX], uint64_t *size_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dt_error_errno(errno, "%s", path);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    dt_hash_tee t;
    dt_hash_tee_init(&t, (dt_sink){NULL, NULL});
    int rc = dt_fs_copy_fd(fd, 1u << 20, path, dt_hash_tee_sink(&t));
    close(fd);
    if (rc) {
        dt_sha256_abort(&t.sha);
        return rc;
    }
    dt_sha256_final_hex(&t.sha, out);
    if (size_out)
        *size_out = t.size;
    return 0;
}
