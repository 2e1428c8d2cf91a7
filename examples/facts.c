/*
 * facts.c: the fact database from C, through include/datom.h alone: make a
 * database, install schema, transact, pull an entity tree, walk the result
 * without reparsing it, read the past with as-of, iterate an index.
 *
 *   example_facts [STORE_URL]        (default mem:, a store in this process)
 */
#include <datom.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "example_facts: %s: %s\n", what, datom_errmsg());
    return 1;
}

static const char *schema =
    "[{:db/ident :person/name  :db/valueType :db.type/string :db/cardinality :db.cardinality/one"
    "  :db/unique :db.unique/identity}"
    " {:db/ident :person/age   :db/valueType :db.type/long   :db/cardinality :db.cardinality/one}"
    " {:db/ident :person/likes :db/valueType :db.type/ref    :db/cardinality :db.cardinality/many}]";

/* Prints a pull result's names and ages by walking it, no text involved. */
static void walk(const datom_value *person, int depth)
{
    size_t len;
    const char *name = datom_value_text(datom_value_get(person, "person/name"), &len);
    const datom_value *age = datom_value_get(person, ":person/age");
    printf("%*s%.*s", depth * 2, "", (int)len, name ? name : "?");
    if (age)
        printf(", %lld", (long long)datom_value_int(age));
    printf("\n");
    const datom_value *likes = datom_value_get(person, "person/likes");
    for (size_t i = 0; i < datom_value_count(likes); i++)
        walk(datom_value_at(likes, i), depth + 1);
}

int main(int argc, char **argv)
{
    datom_store *st;
    datom_conn *conn;
    if (datom_store_open(&st, argc > 1 ? argv[1] : "mem:"))
        return fail("store");
    if (datom_db_create(st, "friends", NULL, &conn))
        return fail("create");
    if (datom_transact(conn, schema, NULL))
        return fail("schema");

    /* Map forms, string tempids, a nested reference; the report tells the ids. */
    datom_report *r;
    if (datom_transact(conn,
                       "[{:db/id \"ann\" :person/name \"Ann\" :person/age 31 :person/likes [\"bob\"]}"
                       " {:db/id \"bob\" :person/name \"Bob\" :person/age 29 :person/likes [\"cy\"]}"
                       " {:db/id \"cy\"  :person/name \"Cy\"}]",
                       &r))
        return fail("transact");
    uint64_t ann = datom_report_tempid(r, "ann");
    int64_t t_first = datom_db_basis_t(datom_report_db_after(r));
    datom_report_free(r);
    printf("Ann is entity %llu, as of t %lld\n", (unsigned long long)ann, (long long)t_first);

    /* Upsert by unique identity: this is Ann again; her age is replaced. */
    if (datom_transact(conn, "[{:person/name \"Ann\" :person/age 32}]", NULL))
        return fail("upsert");

    datom_db *db = datom_conn_db(conn), *then = NULL;
    datom_value *tree;
    if (datom_pull(db, "[:person/name :person/age {:person/likes ...}]", "[:person/name \"Ann\"]", &tree))
        return fail("pull");
    walk(tree, 0);
    char *text = datom_value_print(tree, 0);
    printf("as EDN: %s\n", text);
    free(text);
    datom_value_free(tree);

    /* The past does not change. */
    if (datom_db_as_of(db, t_first, &then) || datom_pull(then, "[:person/age]", "[:person/name \"Ann\"]", &tree))
        return fail("as-of");
    text = datom_value_print(tree, 1);
    printf("as of t %lld, as JSON: %s\n", (long long)t_first, text);
    free(text);
    datom_value_free(tree);

    /* Every age, from the AVET index (all attributes are in it). */
    datom_cursor *c;
    datom_datom d;
    if (datom_datoms(db, "avet", "[:person/age]", &c))
        return fail("datoms");
    int rc;
    while ((rc = datom_cursor_next(c, &d)) == 1)
        printf("entity %llu is %lld\n", (unsigned long long)d.e, (long long)datom_value_int(d.v));
    datom_cursor_free(c);
    if (rc < 0)
        return fail("cursor");

    /* An error names the offending datom, and nothing is applied. */
    if (datom_transact(conn, "[[:db/add \"x\" :person/age \"old\"]]", NULL) != DATOM_OK)
        printf("refused: %s\n", datom_errmsg());

    datom_db_free(then);
    datom_db_free(db);
    datom_conn_close(conn);
    datom_store_free(st);
    return 0;
}
