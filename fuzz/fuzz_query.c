/*
 * fuzz_query.c: libFuzzer target for Datalog (src/query): the parser, the
 * rules' preparation, the planner and evaluation, on a small fixed
 * database. The input is EDN: a query, then its inputs after the db (which
 * is always the first input). Any input must give a clean error (a message)
 * or a result that prints as EDN that reads back equal, never a crash,
 * leak or hang: runs are bounded (64 MiB of intermediate results, a
 * second). --explain runs on the same input too. Run by scripts/fuzz and,
 * briefly, by tests/test_fuzz.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"
#include "db/tx.h"
#include "query/query.h"

#define check(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_query.c:%d: %s\n", __LINE__, #cond);                              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static dt_db *db;

static dt_val str(const char *s) { return dt_val_blob(DT_STRING, dt_blob_new(s, strlen(s))); }

static int fill_schema(dt_db *d, void *ctx, dt_txops *ops)
{
    (void)d;
    dt_blob **blobs = ctx;
    static const struct {
        const char *ident;
        dt_vtype type;
        bool many, unique;
    } attrs[] = {{"name", DT_STRING, false, false}, {"age", DT_LONG, false, false}, {"friend", DT_REF, true, false},
                 {"email", DT_STRING, false, true}, {"score", DT_DOUBLE, false, false}, {"tag", DT_KEYWORD, true, false}};
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++) {
        dt_eref e = {.kind = DT_EREF_TEMPID, .tempid = attrs[i].ident};
        free(blobs[i]); /* a commit may fill twice */
        blobs[i] = dt_blob_new(attrs[i].ident, strlen(attrs[i].ident));
        *dt_txops_push(ops) = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_IDENT, .v = dt_val_blob(DT_KEYWORD, blobs[i])};
        *dt_txops_push(ops) = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_VALUE_TYPE, .v = dt_val_ref(DT_E_TYPE0 + attrs[i].type)};
        *dt_txops_push(ops) = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_CARDINALITY,
                                        .v = dt_val_ref(attrs[i].many ? DT_E_CARD_MANY : DT_E_CARD_ONE)};
        if (attrs[i].unique)
            *dt_txops_push(ops) = (dt_txop){.op = DT_OP_ADD, .e = e, .a = DT_A_UNIQUE, .v = dt_val_ref(DT_E_UNIQUE_IDENTITY)};
    }
    return 0;
}

/* Twelve people, friends in a ring and a chord, some of each attribute. */
static void make_db(void)
{
    datom_store *st;
    dt_conn *c;
    dt_tx_report *r;
    dt_blob *blobs[8] = {0};
    if (datom_store_open(&st, "mem:fuzz_query") || dt_conn_create(st, "f", NULL, &c) ||
        dt_conn_transact_ops(c, fill_schema, blobs, &r))
        abort();
    dt_tx_report_free(r);
    for (int i = 0; i < 8; i++)
        free(blobs[i]);
    dt_db *base = dt_conn_db(c);
    uint32_t a[6];
    const char *names[] = {"name", "age", "friend", "email", "score", "tag"};
    for (int i = 0; i < 6; i++)
        a[i] = dt_db_attr_by_ident(base, names[i])->id;
    dt_datom d[96];
    size_t n = 0;
    static const char *first[] = {"Ivan", "Petr", "Oleg", "Anna"};
    for (uint64_t i = 1; i <= 12; i++) {
        uint64_t e = DT_EID(DT_PART_USER, i);
        char email[16];
        snprintf(email, sizeof email, "p%u@x", (unsigned)i);
        d[n++] = (dt_datom){.e = e, .a = a[0], .v = str(first[i % 4])};
        d[n++] = (dt_datom){.e = e, .a = a[1], .v = dt_val_long((int64_t)(i * 7 % 50))};
        d[n++] = (dt_datom){.e = e, .a = a[2], .v = dt_val_ref(DT_EID(DT_PART_USER, i % 12 + 1))};
        if (i % 3 == 0)
            d[n++] = (dt_datom){.e = e, .a = a[2], .v = dt_val_ref(DT_EID(DT_PART_USER, (i + 5) % 12 + 1))};
        d[n++] = (dt_datom){.e = e, .a = a[3], .v = str(email)};
        if (i % 2)
            d[n++] = (dt_datom){.e = e, .a = a[4], .v = (dt_val){.type = DT_DOUBLE, .d = (double)i / 4}};
        d[n++] = (dt_datom){.e = e, .a = a[5], .v = dt_val_blob(DT_KEYWORD, dt_blob_new(i % 2 ? "odd" : "even", i % 2 ? 3 : 4))};
    }
    if (dt_db_init(base, d, n, &db))
        abort();
    for (size_t i = 0; i < n; i++)
        dt_val_free(&d[i].v);
    dt_db_unref(base);
    dt_conn_free(c);
    /* the store lives as long as the process (the db value needs it) */
}

static void check_result(const dt_edn_value *v)
{
    dt_buf b = DT_BUF_INIT;
    dt_edn_print_buf(v, NULL, &b);
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *back;
    check(dt_edn_read(doc, (const char *)b.data, b.len, NULL, &back, NULL) == 0);
    check(dt_edn_equal(v, back));
    dt_buf_clear(&b);
    dt_edn_print_json_buf(v, NULL, &b);
    dt_buf_free(&b);
    dt_edn_doc_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db)
        make_db();
    dt_edn_doc *in = dt_edn_doc_new();
    const dt_edn_value *items;
    size_t count;
    if (dt_edn_read_all(in, (const char *)data, size, NULL, &items, &count, NULL) || count == 0 || count > 16) {
        dt_edn_doc_free(in);
        return 0;
    }
    dt_q_input inputs[16] = {{.db = db}};
    for (size_t i = 1; i < count; i++)
        inputs[i].edn = &items[i];
    dt_q_opts o = {.seed = 1, .max_bytes = (size_t)64 << 20, .timeout_ms = 1000};
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *out;
    int rc = dt_q(&items[0], inputs, count, &o, doc, &out, NULL);
    if (rc)
        check(datom_errmsg()[0] != '\0');
    else
        check_result(out);
    o.explain = true;
    char *plan = NULL;
    rc = dt_q(&items[0], inputs, count, &o, doc, &out, &plan);
    check(rc ? datom_errmsg()[0] != '\0' : plan != NULL);
    free(plan);
    datom_errclear();
    dt_edn_doc_free(doc);
    dt_edn_doc_free(in);
    return 0;
}
