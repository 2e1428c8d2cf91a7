/*
 * test_db_tx.c: the meaning of transactions, schema, time, index access,
 * entity and pull, through EDN as users write it (on the mem store): each
 * rule of Datomic's that docs/architecture.md names, and each error of the
 * spec's list with the datom it names.
 */
#include "db/pull.h"
#include "db/tx.h"
#include "t.h"

static datom_store *st;
static dt_conn *conn;
static int n_db;

static void fresh(void)
{
    if (conn)
        dt_conn_free(conn);
    if (!st)
        T_OK(datom_store_open(&st, "mem:"));
    char name[32];
    snprintf(name, sizeof name, "t%d", ++n_db);
    T_OK(dt_conn_create(st, name, NULL, &conn));
}

static dt_tx_report *tx(const char *edn)
{
    dt_tx_report *r;
    int rc = dt_conn_transact(conn, edn, strlen(edn), &r);
    if (rc)
        T_FAIL("transact %s: %s", edn, datom_errmsg());
    return r;
}

static void tx0(const char *edn) { dt_tx_report_free(tx(edn)); }

#define TX_ERR(edn, code, text) T_ERR(dt_conn_transact(conn, edn, strlen(edn), &(dt_tx_report *){NULL}), code, text)

static const char *schema =
    "[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one"
    "  :db/unique :db.unique/identity}"
    " {:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one"
    "  :db/unique :db.unique/value}"
    " {:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}"
    " {:db/ident :person/alias :db/valueType :db.type/string :db/cardinality :db.cardinality/many}"
    " {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}"
    " {:db/ident :person/address :db/valueType :db.type/ref :db/cardinality :db.cardinality/one"
    "  :db/isComponent true}"
    " {:db/ident :address/city :db/valueType :db.type/string :db/cardinality :db.cardinality/one}"
    " {:db/ident :address/zip :db/valueType :db.type/string :db/cardinality :db.cardinality/one}"
    " {:db/ident :person/status :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}"
    " {:db/ident :counter/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]";

/* EDN text of a pull. */
static char *pull(dt_db *db, const char *pattern, const char *entity)
{
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *p, *e;
    dt_pull *pp;
    uint64_t eid;
    dt_edn_value out = dt_edn_nil();
    T_OK(dt_edn_read(doc, pattern, strlen(pattern), NULL, &p, NULL));
    T_OK(dt_edn_read(doc, entity, strlen(entity), NULL, &e, NULL));
    T_OK(dt_pull_parse(db, p, &pp));
    T_OK(dt_entity_resolve(db, e, &eid));
    if (eid)
        T_OK(dt_pull_run(db, pp, eid, doc, &out));
    char *s = dt_edn_to_string(&out);
    dt_pull_free(pp);
    dt_edn_doc_free(doc);
    return s;
}

#define T_PULL(db, pattern, entity, expect)                                                        \
    do {                                                                                           \
        char *t_s = pull(db, pattern, entity);                                                     \
        if (strcmp(t_s, expect)) {                                                                 \
            fprintf(stderr, "  got:    %s\n  expect: %s\n", t_s, expect);                          \
            free(t_s);                                                                             \
            T_FAIL("pull %s %s", pattern, entity);                                                 \
        }                                                                                          \
        free(t_s);                                                                                 \
    } while (0)

/* The datoms under a prefix as "[e a v tx added]..." with e and tx relative. */
static size_t count(dt_db *db, dt_order o, const char *comps)
{
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *v;
    T_OK(dt_edn_read(doc, comps, strlen(comps), NULL, &v, NULL));
    dt_arena arena = {0};
    dt_key k;
    T_OK(dt_key_from_edn(db, o, dt_edn_count(v) ? dt_edn_at(v, 0) : NULL, dt_edn_count(v), &arena, &k));
    dt_cursor *c;
    T_OK(dt_cursor_open(db, o, &k, &k, 0, &c));
    const dt_datom *d;
    size_t n = 0;
    while (dt_cursor_next(c, &d) == 1)
        n++;
    dt_cursor_free(c);
    dt_arena_free(&arena);
    dt_edn_doc_free(doc);
    return n;
}

#define U(n) (17592186044416ull + (n)) /* the n-th user entity */

/* ---- schema ---- */

static void test_schema_install(void)
{
    fresh();
    tx0(schema);
    dt_db *db = dt_conn_db(conn);
    const dt_attr *a = dt_db_attr_by_ident(db, "person/name");
    T_ASSERT(a && a->type == DT_STRING && a->unique == DT_UNIQUE_IDENTITY && a->id >= 100);
    a = dt_db_attr_by_ident(db, "person/address");
    T_ASSERT(a && a->component && a->type == DT_REF);
    dt_db_unref(db);
    tx0("[{:db/ident :status/active} {:db/ident :status/gone}]");
    db = dt_conn_db(conn);
    T_EQ_INT(dt_db_entid(db, "status/active"), U(1)); /* an enum: a user entity */
    /* schema is data: pull it */
    T_PULL(db, "[:db/ident :db/cardinality]", ":person/alias",
           "{:db/ident :person/alias, :db/cardinality {:db/id 51}}");
    dt_db_unref(db);
    /* errors */
    TX_ERR("[{:db/ident :x/y :db/valueType :db.type/long}]", DATOM_EINVAL, "needs :db/cardinality");
    TX_ERR("[{:db/ident :x/y :db/cardinality :db.cardinality/one :db/valueType :db.type/nope}]",
           DATOM_EINVAL, "no entity has this ident");
    TX_ERR("[{:db/ident :x/y :db/valueType :db.type/long :db/cardinality :db.cardinality/one :db/isComponent true}]",
           DATOM_EINVAL, ":db/isComponent needs :db.type/ref");
    TX_ERR("[{:db/ident :x/z :db/cardinality :db.cardinality/one}]", DATOM_EINVAL, "not an attribute");
    /* an attribute is used after it is installed, not in the same transaction */
    TX_ERR("[{:db/ident :x/w :db/valueType :db.type/long :db/cardinality :db.cardinality/one} {:x/w 1}]",
           DATOM_EINVAL, "no such attribute");
}

static void test_schema_alter(void)
{
    fresh();
    tx0(schema);
    tx0("[{:person/name \"A\" :person/age 1 :person/alias [\"x\" \"y\"]} {:person/name \"B\" :person/age 1}]");
    /* never: valueType */
    TX_ERR("[{:db/id :person/age :db/valueType :db.type/string}]", DATOM_EINVAL, "cannot change");
    /* one -> many: fine; many -> one with two values: refused */
    tx0("[{:db/id :person/age :db/cardinality :db.cardinality/many}]");
    TX_ERR("[{:db/id :person/alias :db/cardinality :db.cardinality/one}]", DATOM_EINVAL, "holds several values");
    /* unique on duplicate values: refused; on unique ones: fine; then dropped */
    TX_ERR("[{:db/id :person/age :db/unique :db.unique/value}]", DATOM_EINVAL, "two entities hold one value");
    tx0("[[:db/retract [:person/name \"B\"] :person/age 1] [:db/add [:person/name \"B\"] :person/age 2]]");
    tx0("[{:db/id :person/age :db/unique :db.unique/value}]");
    TX_ERR("[{:person/name \"C\" :person/age 2}]", DATOM_EINVAL, "unique conflict");
    tx0("[[:db/retract :person/age :db/unique :db.unique/value]]");
    tx0("[{:person/name \"C\" :person/age 2}]");
    /* rename: both idents name it */
    tx0("[{:db/id :person/alias :db/ident :person/aka}]");
    dt_db *db = dt_conn_db(conn);
    T_EQ_INT(dt_db_entid(db, "person/alias"), dt_db_entid(db, "person/aka"));
    T_EQ_STR(dt_db_ident(db, dt_db_entid(db, "person/alias")), "person/aka");
    T_EQ_INT(count(db, DT_AEVT, "[:person/aka]"), 2);
    dt_db_unref(db);
    /* index, noHistory, doc: free */
    tx0("[{:db/id :person/age :db/index true :db/noHistory true :db/doc \"years\"}]");
    TX_ERR("[[:db/retract :person/name :db/ident :person/name]]", DATOM_EINVAL, "renamed but not removed");
}

/* ---- transactions ---- */

static void test_forms_and_tempids(void)
{
    fresh();
    tx0(schema);
    dt_tx_report *r = tx("[[:db/add \"ivan\" :person/name \"Ivan\"]"
                         " {:db/id \"petr\" :person/name \"Petr\" :person/friend [\"ivan\"] :person/alias #{\"P\" \"Pe\"}}"
                         " {:person/name \"Anon\" :person/address {:address/city \"Oslo\"}}]");
    uint64_t ivan = dt_tx_report_tempid(r, "ivan"), petr = dt_tx_report_tempid(r, "petr");
    T_EQ_INT(ivan, U(1)); /* order of first appearance */
    T_EQ_INT(petr, U(2));
    T_ASSERT(dt_tx_report_tempid(r, "datomic.tx") == 0); /* only tempids the transaction named */
    /* name x3, friend, alias x2, anon's address (a nested component), city, txInstant */
    T_EQ_INT(r->n_datoms, 9);
    T_EQ_INT(dt_db_basis_t(r->db_after), dt_db_basis_t(r->db_before) + 1);
    dt_db *db = r->db_after;
    T_PULL(db, "[:person/name {:person/friend [:person/name]} :person/alias]", "[:person/name \"Petr\"]",
           "{:person/name \"Petr\", :person/friend [{:person/name \"Ivan\"}], :person/alias [\"P\" \"Pe\"]}");
    T_PULL(db, "[*]", "[:person/name \"Anon\"]",
           "{:db/id 17592186044419, :person/name \"Anon\", :person/address {:db/id 17592186044420, :address/city \"Oslo\"}}");
    dt_tx_report_free(r);
    /* negative ints are tempids too; #db/id as well */
    r = tx("[[:db/add -1 :person/name \"Neg\"] {:db/id #db/id [:db.part/user -2] :person/name \"Hash\"}]");
    T_EQ_INT(dt_tx_report_tempid(r, "-1"), U(5));
    dt_tx_report_free(r);
    /* a string tempid lives for one transaction */
    r = tx("[[:db/add \"ivan\" :person/age 3]]");
    T_EQ_INT(dt_tx_report_tempid(r, "ivan"), U(7));
    dt_tx_report_free(r);
}

static void test_upsert(void)
{
    fresh();
    tx0(schema);
    tx0("[{:person/name \"Ivan\" :person/age 30}]");
    /* identity: the tempid becomes the entity holding the value */
    dt_tx_report *r = tx("[{:db/id \"x\" :person/name \"Ivan\" :person/age 31}]");
    T_EQ_INT(dt_tx_report_tempid(r, "x"), U(1));
    T_EQ_INT(r->n_datoms, 3); /* retract 30, add 31, txInstant: the name is redundant */
    dt_tx_report_free(r);
    /* two tempids with one new identity value: one entity */
    r = tx("[[:db/add \"a\" :person/name \"New\"] [:db/add \"b\" :person/name \"New\"] [:db/add \"b\" :person/age 5]]");
    T_EQ_INT(dt_tx_report_tempid(r, "a"), dt_tx_report_tempid(r, "b"));
    dt_tx_report_free(r);
    /* a tempid resolving to two entities */
    TX_ERR("[{:db/id \"z\" :person/name \"Ivan\"} {:db/id \"z\" :person/name \"New\"}]", DATOM_EINVAL,
           "resolves one tempid to two entities");
    /* unique value: a conflict, not an upsert */
    tx0("[{:person/name \"E1\" :person/email \"e@x\"}]");
    TX_ERR("[{:person/name \"E2\" :person/email \"e@x\"}]", DATOM_EINVAL, "unique conflict: entity");
    /* nested map with a unique attribute upserts */
    tx0("[{:person/name \"Ivan\" :person/friend [{:person/name \"E1\"}]}]");
    dt_db *db = dt_conn_db(conn);
    T_PULL(db, "[{:person/friend [:person/email]}]", "[:person/name \"Ivan\"]",
           "{:person/friend [{:person/email \"e@x\"}]}");
    dt_db_unref(db);
}

static void test_lookup_refs_and_idents(void)
{
    fresh();
    tx0(schema);
    tx0("[{:db/ident :status/active}]");
    tx0("[{:person/name \"Ivan\" :person/status :status/active}]");
    tx0("[[:db/add [:person/name \"Ivan\"] :person/age 40] {:db/id [:person/name \"Ivan\"] :person/friend [:person/name \"Ivan\"]}]");
    TX_ERR("[[:db/add [:person/name \"Nobody\"] :person/age 1]]", DATOM_EINVAL, "names no entity");
    TX_ERR("[[:db/add [:person/age 40] :person/age 1]]", DATOM_EINVAL, "unique attribute");
    TX_ERR("[[:db/add \"x\" :person/status :status/unknown]]", DATOM_EINVAL, "no entity has this ident");
    dt_db *db = dt_conn_db(conn);
    T_PULL(db, "[:person/age {:person/status [:db/ident]} {:person/friend [:person/name]}]", "[:person/name \"Ivan\"]",
           "{:person/age 40, :person/status {:db/ident :status/active}, :person/friend [{:person/name \"Ivan\"}]}");
    dt_db_unref(db);
}

static void test_cardinality_and_redundancy(void)
{
    fresh();
    tx0(schema);
    tx0("[{:db/id \"i\" :person/name \"Ivan\" :person/age 1}]");
    dt_tx_report *r = tx("[[:db/add [:person/name \"Ivan\"] :person/age 1]]");
    T_EQ_INT(r->n_datoms, 1); /* only the txInstant: asserting what holds adds nothing */
    dt_tx_report_free(r);
    r = tx("[[:db/retract [:person/name \"Ivan\"] :person/age 99]]");
    T_EQ_INT(r->n_datoms, 1); /* retracting what does not hold adds nothing */
    dt_tx_report_free(r);
    TX_ERR("[[:db/add [:person/name \"Ivan\"] :person/age 2] [:db/add [:person/name \"Ivan\"] :person/age 3]]",
           DATOM_EINVAL, "gets a second value");
    TX_ERR("[[:db/add [:person/name \"Ivan\"] :person/age 2] [:db/retract [:person/name \"Ivan\"] :person/age 2]]",
           DATOM_EINVAL, "both asserts and retracts");
    /* cardinality many accumulates; retract one value; [:db/retract e a] retracts all */
    tx0("[{:db/id [:person/name \"Ivan\"] :person/alias [\"a\" \"b\" \"c\"]}]");
    tx0("[[:db/retract [:person/name \"Ivan\"] :person/alias \"b\"]]");
    dt_db *db = dt_conn_db(conn);
    T_PULL(db, "[:person/alias]", "[:person/name \"Ivan\"]", "{:person/alias [\"a\" \"c\"]}");
    dt_db_unref(db);
    tx0("[[:db/retract [:person/name \"Ivan\"] :person/alias]]");
    db = dt_conn_db(conn);
    T_PULL(db, "[:person/alias]", "[:person/name \"Ivan\"]", "nil");
    dt_db_unref(db);
}

static void test_types(void)
{
    fresh();
    tx0("[{:db/ident :t/d :db/valueType :db.type/double :db/cardinality :db.cardinality/one}"
        " {:db/ident :t/i :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}"
        " {:db/ident :t/u :db/valueType :db.type/uuid :db/cardinality :db.cardinality/one}"
        " {:db/ident :t/b :db/valueType :db.type/bigdec :db/cardinality :db.cardinality/one}"
        " {:db/ident :t/n :db/valueType :db.type/bigint :db/cardinality :db.cardinality/one}"
        " {:db/ident :t/k :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}"
        " {:db/ident :t/s :db/valueType :db.type/symbol :db/cardinality :db.cardinality/one}"
        " {:db/ident :t/y :db/valueType :db.type/bytes :db/cardinality :db.cardinality/one}"
        " {:db/ident :t/tup :db/valueType :db.type/tuple :db/tupleTypes [:db.type/long :db.type/string]"
        "  :db/cardinality :db.cardinality/one}"
        " {:db/ident :t/l :db/valueType :db.type/long :db/cardinality :db.cardinality/one}"
        " {:db/ident :t/bool :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}]");
    tx0("[{:db/id \"x\" :t/d 1 :t/i #inst \"2024-02-29T12:00:00.5Z\" :t/u #uuid \"550e8400-e29b-41d4-a716-446655440000\""
        "  :t/b 1.50M :t/n 12345678901234567890N :t/k :a/b :t/s sym :t/y #datom/bytes \"AAEC\" :t/tup [1 \"x\"]"
        "  :t/l 9007199254740993 :t/bool false}]");
    dt_db *db = dt_conn_db(conn);
    T_PULL(db, "[:t/d :t/i :t/u :t/b :t/n :t/k :t/s :t/y :t/tup :t/l :t/bool]", "17592186044417",
           "{:t/d 1.0, :t/i #inst \"2024-02-29T12:00:00.500-00:00\", :t/u #uuid \"550e8400-e29b-41d4-a716-446655440000\","
           " :t/b 1.5M, :t/n 12345678901234567890N, :t/k :a/b, :t/s sym, :t/y #datom/bytes \"AAEC\", :t/tup [1 \"x\"],"
           " :t/l 9007199254740993, :t/bool false}");
    dt_db_unref(db);
    TX_ERR("[[:db/add \"y\" :t/l \"seven\"]]", DATOM_EINVAL, "not a :db.type/long");
    TX_ERR("[[:db/add \"y\" :t/l 1.5]]", DATOM_EINVAL, "not a :db.type/long");
    TX_ERR("[[:db/add \"y\" :t/tup [1 2]]]", DATOM_EINVAL, "not a :db.type/string");
    TX_ERR("[[:db/add \"y\" :t/tup [1]]]", DATOM_EINVAL, "length");
    TX_ERR("[[:db/add \"y\" :t/l nil]]", DATOM_EINVAL, "nil is not a value");
    TX_ERR("[[:db/add \"y\" :t/nope 1]]", DATOM_EINVAL, "no such attribute");
    TX_ERR("[[:db/frob \"y\" :t/l 1]]", DATOM_EINVAL, "unknown operation :db/frob");
    TX_ERR("[[:db/add \"y\" :t/l]]", DATOM_EINVAL, "expected 4 elements");
    TX_ERR("[[:db/add \"y\" :t/l 1", DATOM_EINVAL, "tx-data");
    TX_ERR("{:t/l 1}", DATOM_EINVAL, "a vector of forms");
}

static void test_retract_entity_and_cas(void)
{
    fresh();
    tx0(schema);
    tx0("[{:person/name \"Ivan\" :person/address {:address/city \"Oslo\" :address/zip \"0150\"}}]");
    /* a lookup ref resolves against the db before the transaction */
    TX_ERR("[{:person/name \"X\"} {:person/name \"Y\" :person/friend [[:person/name \"X\"]]}]", DATOM_EINVAL,
           "names no entity");
    tx0("[{:person/name \"Petr\" :person/friend [[:person/name \"Ivan\"]]}]");
    dt_db *db = dt_conn_db(conn);
    uint64_t ivan = dt_db_entid(db, "x"); /* none: 0 */
    T_EQ_INT(ivan, 0);
    T_EQ_INT(count(db, DT_AEVT, "[:address/city]"), 1);
    dt_db_unref(db);
    /* retractEntity: Ivan's datoms, the component (cascade), Petr's ref to him */
    dt_tx_report *r = tx("[[:db/retractEntity [:person/name \"Ivan\"]]]");
    T_EQ_INT(r->n_datoms, 6); /* name, address ref, city, zip, Petr's friend ref, txInstant */
    db = r->db_after;
    T_EQ_INT(count(db, DT_AEVT, "[:address/city]"), 0);
    T_EQ_INT(count(db, DT_AEVT, "[:person/friend]"), 0);
    T_PULL(db, "[*]", "[:person/name \"Petr\"]", "{:db/id 17592186044419, :person/name \"Petr\"}");
    dt_tx_report_free(r);
    /* cas */
    tx0("[{:db/id \"c\" :person/name \"C\"}]");
    tx0("[[:db/cas [:person/name \"C\"] :person/age nil 1]]");
    tx0("[[:db/cas [:person/name \"C\"] :person/age 1 2]]");
    TX_ERR("[[:db/cas [:person/name \"C\"] :person/age 1 3]]", DATOM_ECONFLICT, ":db/cas failed: the current value is 2");
    TX_ERR("[[:db.fn/cas [:person/name \"C\"] :person/age nil 3]]", DATOM_ECONFLICT, "current value is 2");
    TX_ERR("[[:db/cas [:person/name \"C\"] :person/alias \"a\" \"b\"]]", DATOM_EINVAL, "cardinality-one");
}

static void test_tx_metadata(void)
{
    fresh();
    tx0(schema);
    tx0("[{:db/ident :tx/who :db/valueType :db.type/string :db/cardinality :db.cardinality/one}]");
    dt_tx_report *r = tx("[{:person/name \"Ivan\"} {:db/id \"datomic.tx\" :tx/who \"alice\"}]");
    T_EQ_INT(dt_tx_report_tempid(r, "datomic.tx"), r->tx);
    char id[32];
    snprintf(id, sizeof id, "%llu", (unsigned long long)r->tx);
    T_PULL(r->db_after, "[:tx/who]", id, "{:tx/who \"alice\"}");
    dt_tx_report_free(r);
    /* an explicit txInstant: not before the last one, not in the future */
    TX_ERR("[[:db/add \"datomic.tx\" :db/txInstant #inst \"2000-01-01\"]]", DATOM_EINVAL, "between the previous");
    TX_ERR("[[:db/add \"datomic.tx\" :db/txInstant #inst \"2999-01-01\"]]", DATOM_EINVAL, "between the previous");
    TX_ERR("[[:db/add [:person/name \"Ivan\"] :db/txInstant #inst \"2020-01-01\"]]", DATOM_EINVAL,
           "only be set on the transaction being made");
    /* an empty transaction still makes one */
    r = tx("[]");
    T_EQ_INT(r->n_datoms, 1);
    dt_tx_report_free(r);
}

static void test_nested_maps(void)
{
    fresh();
    tx0(schema);
    /* not a component and nothing unique: refused, as Datomic does */
    TX_ERR("[{:person/name \"A\" :person/friend {:person/age 3}}]", DATOM_EINVAL,
           "needs a component attribute, a unique attribute or a :db/id");
    /* reverse refs in map form */
    tx0("[{:person/name \"Kid\" :person/_friend [{:person/name \"Mom\"} {:person/name \"Dad\"}]}]");
    dt_db *db = dt_conn_db(conn);
    T_PULL(db, "[:person/name {:person/_friend [:person/name]}]", "[:person/name \"Kid\"]",
           "{:person/name \"Kid\", :person/_friend [{:person/name \"Mom\"} {:person/name \"Dad\"}]}");
    dt_db_unref(db);
}

/* Where Datascript, the differential oracle (test_tx_diff.c), departs from
 * Datomic in transactions and pull (docs/architecture.md, "Testing against
 * Datascript"); the ones the other tests cover are named there. */
static void test_datascript_departures(void)
{
    fresh();
    tx0(schema);
    tx0("[{:db/ident :pal :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}"
        " {:db/ident :parts :db/valueType :db.type/ref :db/cardinality :db.cardinality/many"
        "  :db/isComponent true}]");
    /* retracting a component attribute retracts the references only: the
     * components stay (Datascript retracts them as :db/retractEntity would) */
    tx0("[{:person/name \"Car\" :parts [{:address/city \"wheel\"} {:address/city \"door\"}]}]");
    tx0("[[:db/retract [:person/name \"Car\"] :parts]]");
    dt_db *db = dt_conn_db(conn);
    T_EQ_INT(count(db, DT_AEVT, "[:parts]"), 0);
    T_EQ_INT(count(db, DT_AEVT, "[:address/city]"), 2);
    dt_db_unref(db);
    /* a reverse attribute without a namespace (:_pal for :pal), in maps and pull */
    tx0("[{:person/name \"Hub\" :_pal [{:person/name \"S1\"} {:person/name \"S2\"}]}]");
    db = dt_conn_db(conn);
    T_PULL(db, "[{:_pal [:person/name]}]", "[:person/name \"Hub\"]",
           "{:_pal [{:person/name \"S1\"} {:person/name \"S2\"}]}");
    /* a reference whose sub-pattern matches nothing is {:db/id e}, as a
     * reference without one (Datascript leaves the attribute out) */
    T_PULL(db, "[{:pal [:person/age]}]", "[:person/name \"S1\"]", "{:pal {:db/id 17592186044420}}");
    dt_db_unref(db);
    /* the entities of nested maps get ids in the written order, whatever the
     * size of the map (a ClojureScript map of more than 8 keys is a hash map,
     * whose order Datascript follows) */
    dt_tx_report *r = tx("[{:db/id \"big\" :person/name \"Big\" :person/email \"big@x\" :person/age 3"
                         " :person/alias [\"b\"] :person/status :db.part/user :person/friend [[:person/name \"Hub\"]]"
                         " :person/address {:address/city \"first\"} :pal [:person/name \"S2\"]"
                         " :parts [{:address/city \"second\"} {:address/city \"third\"}]}]");
    uint64_t big = dt_tx_report_tempid(r, "big");
    T_EQ_INT(big, U(7));
    T_PULL(r->db_after, "[{:person/address [:db/id]} {:parts [:db/id :address/city]}]", "[:person/name \"Big\"]",
           "{:person/address {:db/id 17592186044424}, :parts [{:db/id 17592186044425, :address/city \"second\"}"
           " {:db/id 17592186044426, :address/city \"third\"}]}");
    dt_tx_report_free(r);
}

/* ---- time ---- */

static void test_time(void)
{
    fresh();
    tx0(schema);
    dt_tx_report *r1 = tx("[{:db/id \"i\" :person/name \"Ivan\" :person/age 1}]");
    int64_t t1 = r1->t;
    uint64_t tx1 = r1->tx;
    dt_tx_report *r2 = tx("[[:db/add [:person/name \"Ivan\"] :person/age 2]]");
    dt_tx_report *r3 = tx("[[:db/retract [:person/name \"Ivan\"] :person/age 2]]");
    dt_db *now = dt_conn_db(conn), *v;
    T_PULL(now, "[:person/age]", "[:person/name \"Ivan\"]", "nil");
    T_OK(dt_db_as_of(now, (dt_time){DT_TIME_T, t1}, &v));
    T_PULL(v, "[:person/age]", "[:person/name \"Ivan\"]", "{:person/age 1}");
    T_EQ_INT(dt_db_basis_t(v), dt_db_basis_t(now)); /* basis stays; the view moves */
    dt_db_unref(v);
    T_OK(dt_db_as_of(now, (dt_time){DT_TIME_TX, (int64_t)r2->tx}, &v));
    T_PULL(v, "[:person/age]", "[:person/name \"Ivan\"]", "{:person/age 2}");
    dt_db_unref(v);
    /* as of an instant: the instant of the first transaction */
    dt_vals vals = {0};
    dt_arena arena = {0};
    T_OK(dt_db_values(now, tx1, DT_A_TX_INSTANT, &arena, &vals));
    T_EQ_INT(vals.n, 1);
    T_OK(dt_db_as_of(now, (dt_time){DT_TIME_INSTANT, vals.v[0].i}, &v));
    T_ASSERT(dt_db_as_of_t(v) >= t1);
    dt_db_unref(v);
    dt_vals_free(&vals);
    dt_arena_free(&arena);
    /* since t1: only what came after */
    T_OK(dt_db_since(now, (dt_time){DT_TIME_T, t1}, &v));
    T_EQ_INT(count(v, DT_AEVT, "[:person/name]"), 0);
    dt_db_unref(v);
    /* history: age 1 added, 1 retracted, 2 added, 2 retracted */
    v = dt_db_history(now);
    T_EQ_INT(count(v, DT_AEVT, "[:person/age]"), 4);
    dt_db_unref(v);
    /* with: speculative, nothing written */
    dt_tx_report *w;
    const char *wtx = "[[:db/add [:person/name \"Ivan\"] :person/age 9]]";
    T_OK(dt_db_with(now, wtx, strlen(wtx), &w));
    T_PULL(w->db_after, "[:person/age]", "[:person/name \"Ivan\"]", "{:person/age 9}");
    dt_tx_report_free(w);
    dt_db *after = dt_conn_db(conn);
    T_EQ_INT(dt_db_basis_t(after), dt_db_basis_t(now));
    T_PULL(after, "[:person/age]", "[:person/name \"Ivan\"]", "nil");
    dt_db_unref(after);
    /* the log */
    dt_cursor *c;
    T_OK(dt_db_tx_range(now, t1, r3->t, &c));
    const dt_datom *d;
    int n = 0;
    while (dt_cursor_next(c, &d) == 1)
        n++;
    dt_cursor_free(c);
    T_EQ_INT(n, 3 + 3); /* t1: name, age 1, instant; t2: age 1 retracted, 2 added, instant */
    dt_db_unref(now);
    dt_tx_report_free(r1);
    dt_tx_report_free(r2);
    dt_tx_report_free(r3);
}

static bool only_ivan(dt_db *unfiltered, const dt_datom *d, void *ctx)
{
    return d->e == *(uint64_t *)ctx;
}

static void test_filter_and_counts(void)
{
    fresh();
    tx0(schema);
    tx0("[{:person/name \"Ivan\" :person/age 3} {:person/name \"Petr\" :person/age 4}]");
    dt_db *db = dt_conn_db(conn);
    uint64_t ivan = U(1);
    dt_db *f = dt_db_filter(db, only_ivan, &ivan);
    T_EQ_INT(count(f, DT_AEVT, "[:person/name]"), 1);
    T_PULL(f, "[:person/name]", "17592186044418", "nil");
    dt_key k = {.n = 1, .a = dt_db_attr_by_ident(db, "person/age")->id};
    T_EQ_INT(dt_db_count(db, DT_AVET, &k, &k, 0), 2);
    dt_db_unref(f);
    dt_db_unref(db);
}

/* ---- pull ---- */

static void test_pull_grammar(void)
{
    fresh();
    tx0(schema);
    tx0("[{:db/id \"a\" :person/name \"A\" :person/friend [\"b\"]}"
        " {:db/id \"b\" :person/name \"B\" :person/friend [\"c\"]}"
        " {:db/id \"c\" :person/name \"C\" :person/friend [\"a\"] :person/alias [\"c1\" \"c2\" \"c3\"]}]");
    dt_db *db = dt_conn_db(conn);
    /* :as, :limit, :default, legacy forms */
    T_PULL(db, "[[:person/name :as \"n\"] [:person/alias :limit 2] [:person/age :default 0]]",
           "[:person/name \"C\"]", "{\"n\" \"C\", :person/alias [\"c1\" \"c2\"], :person/age 0}");
    T_PULL(db, "[(limit :person/alias 1) (default :person/email \"none\")]", "[:person/name \"C\"]",
           "{:person/alias [\"c1\"], :person/email \"none\"}");
    /* recursion: bounded, and unbounded stopping at the cycle */
    T_PULL(db, "[:person/name {:person/friend 1}]", "[:person/name \"A\"]",
           "{:person/name \"A\", :person/friend [{:person/name \"B\"}]}");
    T_PULL(db, "[:person/name {:person/friend ...}]", "[:person/name \"A\"]",
           "{:person/name \"A\", :person/friend [{:person/name \"B\", :person/friend [{:person/name \"C\","
           " :person/friend [{:db/id 17592186044417}]}]}]}");
    /* reverse */
    T_PULL(db, "[{:person/_friend [:person/name]}]", "[:person/name \"A\"]",
           "{:person/_friend [{:person/name \"C\"}]}");
    /* :db/id and wildcard with an override */
    T_PULL(db, "[* {:person/friend [:person/name]}]", "[:person/name \"B\"]",
           "{:person/friend [{:person/name \"C\"}], :db/id 17592186044418, :person/name \"B\"}");
    dt_db_unref(db);
    /* errors name the part */
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *p;
    dt_pull *pp;
    db = dt_conn_db(conn);
    T_OK(dt_edn_read(doc, "[:person/nope]", 14, NULL, &p, NULL));
    T_ERR(dt_pull_parse(db, p, &pp), DATOM_EINVAL, ":person/nope: no such attribute");
    T_OK(dt_edn_read(doc, "[{:person/name [:x]}]", 21, NULL, &p, NULL));
    T_ERR(dt_pull_parse(db, p, &pp), DATOM_EINVAL, "reference attribute");
    T_OK(dt_edn_read(doc, "[[:person/alias :limit -1]]", 27, NULL, &p, NULL));
    T_ERR(dt_pull_parse(db, p, &pp), DATOM_EINVAL, ":limit");
    dt_edn_doc_free(doc);
    dt_db_unref(db);
}

static void test_entity(void)
{
    fresh();
    tx0(schema);
    tx0("[{:person/name \"Ivan\" :person/alias [\"a\" \"b\"] :person/friend [{:person/name \"P\"}]}]");
    dt_db *db = dt_conn_db(conn);
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *a;
    dt_edn_value out;
    T_OK(dt_edn_read(doc, ":person/alias", 13, NULL, &a, NULL));
    T_OK(dt_entity_get(db, U(1), a, doc, &out));
    char *s = dt_edn_to_string(&out);
    T_EQ_STR(s, "#{\"a\" \"b\"}");
    free(s);
    T_OK(dt_edn_read(doc, ":person/_friend", 15, NULL, &a, NULL));
    T_OK(dt_entity_get(db, U(2), a, doc, &out));
    s = dt_edn_to_string(&out);
    T_EQ_STR(s, "#{17592186044417}");
    free(s);
    T_OK(dt_entity_touch(db, U(2), doc, &out));
    s = dt_edn_to_string(&out);
    T_EQ_STR(s, "{:db/id 17592186044418, :person/name \"P\"}");
    free(s);
    dt_edn_doc_free(doc);
    dt_db_unref(db);
}

static void test_composite(void)
{
    fresh();
    tx0("[{:db/ident :r/a :db/valueType :db.type/long :db/cardinality :db.cardinality/one}"
        " {:db/ident :r/b :db/valueType :db.type/string :db/cardinality :db.cardinality/one}"
        " {:db/ident :r/ab :db/valueType :db.type/tuple :db/tupleAttrs [:r/a :r/b]"
        "  :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}]");
    tx0("[{:db/id \"x\" :r/a 1 :r/b \"one\"}]");
    dt_db *db = dt_conn_db(conn);
    T_PULL(db, "[:r/ab]", "17592186044417", "{:r/ab [1 \"one\"]}");
    dt_db_unref(db);
    tx0("[[:db/add 17592186044417 :r/b \"uno\"]]");
    db = dt_conn_db(conn);
    T_PULL(db, "[:r/ab]", "[:r/ab [1 \"uno\"]]", "{:r/ab [1 \"uno\"]}");
    dt_db_unref(db);
    TX_ERR("[[:db/add \"y\" :r/ab [2 \"two\"]]]", DATOM_EINVAL, "kept by the database");
}

int main(void)
{
    T_RUN(test_schema_install);
    T_RUN(test_schema_alter);
    T_RUN(test_forms_and_tempids);
    T_RUN(test_upsert);
    T_RUN(test_lookup_refs_and_idents);
    T_RUN(test_cardinality_and_redundancy);
    T_RUN(test_types);
    T_RUN(test_retract_entity_and_cas);
    T_RUN(test_tx_metadata);
    T_RUN(test_nested_maps);
    T_RUN(test_datascript_departures);
    T_RUN(test_time);
    T_RUN(test_filter_and_counts);
    T_RUN(test_pull_grammar);
    T_RUN(test_entity);
    T_RUN(test_composite);
    dt_conn_free(conn);
    datom_store_free(st);
    return t_done();
}
