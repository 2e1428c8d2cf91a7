/*
 * fuzz_edn.c: libFuzzer target for the EDN reader and printers.
 *
 * Any input must give a clean error or values, never a crash, leak or hang.
 * The input is read twice: from memory, and through a descriptor in reads
 * of 1 to 8 bytes (so values span reads and are read again from their
 * start); both must give equal values, or the same error at the same
 * place. Each value read must print (compactly, and pretty at a width
 * taken from the input) as text that reads back as an equal value with the
 * same hash, and whose printing is the same text again (a fixed point); its
 * JSON must be valid JSON (jansson parses it, big numbers aside). Pairs of
 * values must be ordered consistently with equality (compare(a, b) = 0 iff
 * equal, antisymmetric, transitive on triples). Corpus: fuzz/corpus/fuzz_edn/
 * (docs/testing.md).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "edn/edn.h"

#define check(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_edn.c:%d: %s\n", __LINE__, #cond);                                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_json(const dt_edn_value *v, const dt_edn_print_options *o)
{
    dt_buf j = DT_BUF_INIT;
    dt_edn_print_json_buf(v, o, &j);
    json_error_t e;
    json_t *parsed = json_loadb((const char *)j.data, j.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    /* jansson refuses integers past 64 bits, reals past a double and NUL in
     * object names: valid JSON all the same */
    check(parsed || strstr(e.text, "too big") || strstr(e.text, "overflow") || strstr(e.text, "NUL byte"));
    json_decref(parsed);
    dt_buf_free(&j);
}

/* print(v) reads back equal, and print(read(print(v))) == print(v). */
static void check_round_trip(const dt_edn_value *v, const dt_edn_print_options *o)
{
    dt_buf t1 = DT_BUF_INIT, t2 = DT_BUF_INIT;
    dt_edn_print_buf(v, o, &t1);
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *back;
    if (dt_edn_read(doc, (const char *)t1.data, t1.len, NULL, &back, NULL)) {
        fprintf(stderr, "printed text does not read: %s\n%s\n", datom_errmsg(), t1.data);
        abort();
    }
    check(dt_edn_equal(v, back) && dt_edn_equal(back, v));
    check(dt_edn_compare(v, back) == 0);
    check(dt_edn_hash(v) == dt_edn_hash(back));
    dt_edn_print_buf(back, o, &t2);
    check(t1.len == t2.len && !memcmp(t1.data, t2.data, t1.len));
    dt_edn_doc_free(doc);
    dt_buf_free(&t1);
    dt_buf_free(&t2);
}

static int sgn(int c) { return (c > 0) - (c < 0); }

static void check_order(const dt_edn_value *v, size_t n)
{
    n = n < 6 ? n : 6;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int c = dt_edn_compare(&v[i], &v[j]);
            check(sgn(c) == -sgn(dt_edn_compare(&v[j], &v[i])));
            check((c == 0) == dt_edn_equal(&v[i], &v[j]));
            if (c == 0)
                check(dt_edn_hash(&v[i]) == dt_edn_hash(&v[j]));
            for (size_t k = 0; k < n; k++)
                if (c <= 0 && dt_edn_compare(&v[j], &v[k]) <= 0)
                    check(dt_edn_compare(&v[i], &v[k]) <= 0);
        }
}

/* Every value of R into VALS; the reader's return code. */
static int read_values(dt_edn_reader *r, dt_edn_doc *doc, dt_edn_vec *vals)
{
    const dt_edn_value *v;
    int rc;
    while ((rc = dt_edn_reader_next(r, doc, &v)) == 0 && v)
        dt_edn_vec_push(vals, *v);
    return rc;
}

/* The same input through a descriptor, in tiny reads: the same values at
 * the same places, then the same end or the same error. */
static void check_stream(const uint8_t *data, size_t size, const dt_edn_vec *vals, int rc,
                         const dt_edn_error *err)
{
    int fd = memfd_create("fuzz_edn", MFD_CLOEXEC);
    check(fd >= 0 && (size == 0 || write(fd, data, size) == (ssize_t)size));
    lseek(fd, 0, SEEK_SET);
    dt_edn_options o = {.read_size = 1 + (size ? data[0] % 8 : 0)};
    dt_edn_reader *r = dt_edn_reader_new_fd(fd, NULL, &o);
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_edn_vec got = DT_EDN_VEC_INIT;
    int rc2 = read_values(r, doc, &got);
    check((rc2 != 0) == (rc != 0) && got.n == vals->n);
    for (size_t i = 0; i < got.n; i++) {
        const dt_edn_value *a = &got.v[i], *b = &vals->v[i];
        check(dt_edn_equal(a, b) && a->line == b->line && a->col == b->col && a->off == b->off);
    }
    const dt_edn_error *e2 = dt_edn_reader_error(r);
    if (rc)
        check(e2->code == err->code && e2->line == err->line && e2->col == err->col && e2->off == err->off);
    dt_edn_vec_free(&got);
    dt_edn_reader_free(r);
    dt_edn_doc_free(doc);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_edn_doc *doc = dt_edn_doc_new();
    dt_edn_reader *r = dt_edn_reader_new_mem((const char *)data, size, NULL);
    dt_edn_vec vals = DT_EDN_VEC_INIT;
    int rc = read_values(r, doc, &vals);
    check_stream(data, size, &vals, rc, dt_edn_reader_error(r));
    /* all at once: the same outcome */
    const dt_edn_value *items;
    size_t n;
    dt_edn_error err;
    int rc_all = dt_edn_read_all(doc, (const char *)data, size, NULL, &items, &n, &err);
    check((rc_all != 0) == (rc != 0) && (rc || n == vals.n));
    if (rc)
        check(err.code == dt_edn_reader_error(r)->code && err.off == dt_edn_reader_error(r)->off);
    dt_edn_print_options pretty = {.pretty = true, .width = size ? 4 + data[size - 1] % 60 : 20};
    for (size_t i = 0; i < vals.n; i++) {
        check_round_trip(&vals.v[i], NULL);
        check_round_trip(&vals.v[i], &pretty);
        check_json(&vals.v[i], NULL);
        check_json(&vals.v[i], &pretty);
    }
    check_order(vals.v, vals.n);
    dt_edn_value all; /* the values built into one vector print and read back too */
    if (dt_edn_coll(doc, DT_EDN_VECTOR, vals.v, vals.n, &all) == 0)
        check_round_trip(&all, NULL);
    dt_edn_vec_free(&vals);
    dt_edn_reader_free(r);
    dt_edn_doc_free(doc);
    return 0;
}
