/*
 * schema.c: attributes and idents as data (schema.h).
 *
 * Invariants:
 *  (1) A dt_schema never changes after it is made; a transaction touching
 *      schema derives a new one (dt_schema_update) from the db after it.
 *  (2) An entity is an attribute exactly when it has :db/ident and
 *      :db/valueType; the dt_attr is a function of its current datoms.
 *  (3) An ident that was renamed keeps naming its entity (Datomic's rule)
 *      until another entity takes it; dt_schema_ident gives the current one.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h" /* stack cursors */

typedef struct name_ent {
    char *name; /* NULL: empty slot */
    uint64_t e;
    bool current;
} name_ent;

typedef struct id_ent {
    uint64_t e; /* UINT64_MAX: empty slot */
    const char *name;
} id_ent;

struct dt_schema {
    int refs;
    dt_attr **attr; /* by id; NULL where none */
    uint32_t n_attr;
    name_ent *names;
    size_t n_names, cap_names;
    id_ent *ids;
    size_t n_ids, cap_ids;
    const dt_attr **list; /* the attributes in id order */
    size_t n_list;
    bool composites; /* some attribute has :db/tupleAttrs */
};

/* ---- hash maps ---- */

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

static name_ent *name_slot(const dt_schema *s, const char *name)
{
    if (!s->cap_names)
        return NULL;
    size_t mask = s->cap_names - 1, i = dt_blob_hash(name, strlen(name)) & mask;
    while (s->names[i].name && strcmp(s->names[i].name, name))
        i = (i + 1) & mask;
    return &s->names[i];
}

static id_ent *id_slot(const dt_schema *s, uint64_t e)
{
    if (!s->cap_ids)
        return NULL;
    size_t mask = s->cap_ids - 1, i = mix(e) & mask;
    while (s->ids[i].e != UINT64_MAX && s->ids[i].e != e)
        i = (i + 1) & mask;
    return &s->ids[i];
}

static void rehash(dt_schema *s, size_t names_cap, size_t ids_cap)
{
    name_ent *old_n = s->names;
    id_ent *old_i = s->ids;
    size_t on = s->cap_names, oi = s->cap_ids;
    s->cap_names = names_cap;
    s->names = dt_calloc(names_cap, sizeof *s->names);
    s->cap_ids = ids_cap;
    s->ids = dt_malloc(ids_cap * sizeof *s->ids);
    for (size_t i = 0; i < ids_cap; i++)
        s->ids[i].e = UINT64_MAX;
    for (size_t i = 0; i < on; i++)
        if (old_n[i].name)
            *name_slot(s, old_n[i].name) = old_n[i];
    for (size_t i = 0; i < oi; i++)
        if (old_i[i].e != UINT64_MAX)
            *id_slot(s, old_i[i].e) = old_i[i];
    free(old_n);
    free(old_i);
}

static void room(dt_schema *s)
{
    if ((s->n_names + 1) * 2 > s->cap_names || (s->n_ids + 1) * 2 > s->cap_ids)
        rehash(s, DT_MAX(s->cap_names * 2, (size_t)64), DT_MAX(s->cap_ids * 2, (size_t)64));
}

/* E's current ident becomes NAME (NULL: none); its former one stays an alias (3). */
static void set_ident(dt_schema *s, uint64_t e, const char *name)
{
    room(s);
    id_ent *ie = id_slot(s, e);
    if (ie->e == e) {
        name_ent *old = name_slot(s, ie->name);
        old->current = false;
        if (!name) {
            ie->e = UINT64_MAX; /* linear probing: reinsert the cluster after it */
            s->n_ids--;
            rehash(s, s->cap_names, s->cap_ids);
        }
    }
    if (!name)
        return;
    name_ent *ne = name_slot(s, name);
    if (!ne->name) {
        ne->name = dt_strdup(name);
        s->n_names++;
    } else if (ne->current && ne->e != e) {
        /* taken from another entity: that one loses its current ident */
        id_ent *other = id_slot(s, ne->e);
        if (other->e == ne->e) {
            other->e = UINT64_MAX;
            s->n_ids--;
            rehash(s, s->cap_names, s->cap_ids);
            ne = name_slot(s, name);
        }
    }
    ne->e = e;
    ne->current = true;
    ie = id_slot(s, e);
    if (ie->e != e)
        s->n_ids++;
    ie->e = e;
    ie->name = ne->name;
}

/* ---- life ---- */

static dt_schema *schema_new(void)
{
    dt_schema *s = dt_calloc(1, sizeof *s);
    s->refs = 1;
    return s;
}

dt_schema *dt_schema_ref(dt_schema *s)
{
    s->refs++;
    return s;
}

static void attr_free(dt_attr *a)
{
    if (!a)
        return;
    free((void *)a->tuple_attrs);
    free((void *)a->tuple_types);
    free(a);
}

void dt_schema_unref(dt_schema *s)
{
    if (!s || --s->refs > 0)
        return;
    for (uint32_t i = 0; i < s->n_attr; i++)
        attr_free(s->attr[i]);
    free(s->attr);
    for (size_t i = 0; i < s->cap_names; i++)
        free(s->names[i].name);
    free(s->names);
    free(s->ids);
    free(s->list);
    free(s);
}

static dt_schema *schema_clone(const dt_schema *o)
{
    dt_schema *s = schema_new();
    s->cap_names = o->cap_names;
    s->n_names = o->n_names;
    s->names = dt_calloc(o->cap_names ? o->cap_names : 1, sizeof *s->names);
    for (size_t i = 0; i < o->cap_names; i++)
        if (o->names[i].name) {
            s->names[i] = o->names[i];
            s->names[i].name = dt_strdup(o->names[i].name);
        }
    s->cap_ids = o->cap_ids;
    s->n_ids = o->n_ids;
    s->ids = dt_malloc((o->cap_ids ? o->cap_ids : 1) * sizeof *s->ids);
    for (size_t i = 0; i < o->cap_ids; i++) {
        s->ids[i] = o->ids[i];
        if (o->ids[i].e != UINT64_MAX)
            s->ids[i].name = name_slot(s, o->ids[i].name)->name;
    }
    s->n_attr = o->n_attr;
    s->attr = dt_calloc(o->n_attr ? o->n_attr : 1, sizeof *s->attr);
    for (uint32_t i = 0; i < o->n_attr; i++) {
        const dt_attr *a = o->attr[i];
        if (!a)
            continue;
        dt_attr *c = dt_malloc(sizeof *c);
        *c = *a;
        c->ident = dt_schema_ident(s, a->id);
        if (a->n_tuple_attrs) {
            c->tuple_attrs = dt_malloc(a->n_tuple_attrs * sizeof *a->tuple_attrs);
            memcpy((void *)c->tuple_attrs, a->tuple_attrs, a->n_tuple_attrs * sizeof *a->tuple_attrs);
        }
        if (a->n_tuple_types) {
            c->tuple_types = dt_malloc(a->n_tuple_types);
            memcpy((void *)c->tuple_types, a->tuple_types, a->n_tuple_types);
        }
        s->attr[i] = c;
    }
    return s;
}

/* ---- lookups ---- */

const dt_attr *dt_schema_attr(const dt_schema *s, uint32_t a) { return a < s->n_attr ? s->attr[a] : NULL; }

uint64_t dt_schema_entid(const dt_schema *s, const char *ident)
{
    name_ent *ne = name_slot(s, ident);
    return ne && ne->name ? ne->e : 0;
}

const char *dt_schema_ident(const dt_schema *s, uint64_t e)
{
    id_ent *ie = id_slot(s, e);
    return ie && ie->e == e ? ie->name : NULL;
}

const dt_attr *dt_schema_attr_by_ident(const dt_schema *s, const char *ident)
{
    uint64_t e = dt_schema_entid(s, ident);
    return e && DT_EID_PART(e) == DT_PART_DB && e < UINT32_MAX ? dt_schema_attr(s, (uint32_t)e) : NULL;
}

static int cmp_attr_id(const void *a, const void *b)
{
    uint32_t x = (*(const dt_attr *const *)a)->id, y = (*(const dt_attr *const *)b)->id;
    return x < y ? -1 : x > y;
}

static void build_list(dt_schema *s)
{
    free(s->list);
    s->list = dt_malloc((s->n_attr + 1) * sizeof *s->list);
    s->n_list = 0;
    s->composites = false;
    for (uint32_t i = 0; i < s->n_attr; i++)
        if (s->attr[i]) {
            s->list[s->n_list++] = s->attr[i];
            s->composites |= s->attr[i]->n_tuple_attrs > 0;
        }
    qsort(s->list, s->n_list, sizeof *s->list, cmp_attr_id);
}

bool dt_schema_has_composites(const dt_schema *s) { return s->composites; }

size_t dt_schema_attrs(const dt_schema *s, const dt_attr *const **out)
{
    *out = s->list;
    return s->n_list;
}

bool dt_schema_is_attr_prop(uint32_t a) { return a >= DT_A_VALUE_TYPE && a <= DT_A_TUPLE_TYPES && a != DT_A_DOC && a != DT_A_TX_INSTANT; }

/* ---- attributes from datoms ---- */

/* The current datoms of one entity, as dt_schema needs them. */
typedef struct entity_facts {
    const char *ident;
    uint64_t value_type, cardinality, unique, tuple_type;
    bool component, index, no_history, has_type;
    dt_val tuple_attrs, tuple_types; /* DT_NIL when absent */
} entity_facts;

static void fact(entity_facts *f, const dt_datom *d)
{
    switch (d->a) {
    case DT_A_IDENT: f->ident = d->v.b->data; break;
    case DT_A_VALUE_TYPE: f->value_type = d->v.u; f->has_type = true; break;
    case DT_A_CARDINALITY: f->cardinality = d->v.u; break;
    case DT_A_UNIQUE: f->unique = d->v.u; break;
    case DT_A_IS_COMPONENT: f->component = d->v.i != 0; break;
    case DT_A_INDEX: f->index = d->v.i != 0; break;
    case DT_A_NO_HISTORY: f->no_history = d->v.i != 0; break;
    case DT_A_TUPLE_ATTRS: f->tuple_attrs = d->v; break;
    case DT_A_TUPLE_TYPE: f->tuple_type = d->v.u; break;
    case DT_A_TUPLE_TYPES: f->tuple_types = d->v; break;
    default: break;
    }
}

static bool type_of(uint64_t e, dt_vtype *t)
{
    if (e <= DT_E_TYPE0 || e >= DT_E_TYPE0 + DT_VTYPE_COUNT)
        return false;
    *t = (dt_vtype)(e - DT_E_TYPE0);
    return true;
}

/* Tuple element types from a tuple of :db.type/X keywords. */
static void tuple_types_of(const dt_blob *t, dt_attr *a)
{
    size_t n = dt_tuple_count(t);
    uint8_t *types = dt_malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        dt_val k = dt_tuple_get(t, i);
        dt_vtype vt = DT_NIL;
        if (k.type == DT_KEYWORD && dt_vtype_parse(k.b->data, &vt))
            datom_errclear();
        types[i] = (uint8_t)vt;
    }
    a->tuple_types = types;
    a->n_tuple_types = n;
}

static void composite_of(const dt_schema *s, const dt_blob *t, dt_attr *a)
{
    size_t n = dt_tuple_count(t);
    uint32_t *ids = dt_malloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        dt_val k = dt_tuple_get(t, i);
        uint64_t e = k.type == DT_KEYWORD ? dt_schema_entid(s, k.b->data) : 0;
        ids[i] = e < UINT32_MAX ? (uint32_t)e : 0;
    }
    a->tuple_attrs = ids;
    a->n_tuple_attrs = n;
}

/* Records entity E's facts in S: its ident, and its attribute if it is one (2). */
static void apply_entity(dt_schema *s, uint64_t e, const entity_facts *f)
{
    set_ident(s, e, f->ident);
    if (DT_EID_PART(e) != DT_PART_DB || e >= UINT32_MAX)
        return;
    uint32_t id = (uint32_t)e;
    if (id < s->n_attr) {
        attr_free(s->attr[id]);
        s->attr[id] = NULL;
    }
    dt_vtype vt;
    if (!f->ident || !f->has_type || !type_of(f->value_type, &vt))
        return;
    if (id >= s->n_attr) {
        uint32_t cap = DT_MAX(id + 1, s->n_attr * 2);
        s->attr = dt_realloc(s->attr, cap * sizeof *s->attr);
        memset(s->attr + s->n_attr, 0, (cap - s->n_attr) * sizeof *s->attr);
        s->n_attr = cap;
    }
    dt_attr *a = dt_calloc(1, sizeof *a);
    a->id = id;
    a->ident = dt_schema_ident(s, e);
    a->type = vt;
    a->many = f->cardinality == DT_E_CARD_MANY;
    a->unique = f->unique == DT_E_UNIQUE_IDENTITY ? DT_UNIQUE_IDENTITY
                : f->unique == DT_E_UNIQUE_VALUE  ? DT_UNIQUE_VALUE
                                                  : 0;
    a->index = f->index;
    a->component = f->component;
    a->no_history = f->no_history;
    dt_vtype et;
    if (f->tuple_attrs.type == DT_TUPLE)
        composite_of(s, f->tuple_attrs.b, a);
    else if (f->tuple_types.type == DT_TUPLE)
        tuple_types_of(f->tuple_types.b, a);
    else if (f->tuple_type && type_of(f->tuple_type, &et)) {
        uint8_t *t = dt_malloc(1);
        t[0] = (uint8_t)et;
        a->tuple_types = t;
        a->n_tuple_types = 1;
        a->tuple_homogeneous = true;
    }
    s->attr[id] = a;
}

/* Reads E's current datoms from DB and applies them. */
static int load_entity(dt_schema *s, dt_db *db, uint64_t e)
{
    dt_key k = {.n = 1, .e = e};
    dt_cursor c;
    int rc = dt_cursor_init(&c, db, DT_EAVT, &k, &k, 0);
    entity_facts f = {0};
    dt_arena arena = {0}; /* the cursor's values last only until it moves */
    const dt_datom *d;
    while (dt_cursor_step(&c, &d, &rc)) {
        dt_datom copy = *d;
        copy.v = dt_arena_val(&arena, d->v);
        fact(&f, &copy);
    }
    if (rc == 0)
        apply_entity(s, e, &f);
    dt_cursor_fini(&c);
    dt_arena_free(&arena);
    return rc;
}

int dt_schema_load(dt_db *db, dt_schema **out)
{
    dt_schema *s = schema_new();
    int rc = 0;
    /* Former idents first (from history), current ones over them (3). */
    dt_db *hist = dt_db_history(db);
    dt_key k = {.n = 1, .a = DT_A_IDENT};
    dt_cursor c;
    const dt_datom *d;
    rc = dt_cursor_init(&c, hist, DT_AVET, &k, &k, 0);
    while (dt_cursor_step(&c, &d, &rc))
        if (d->v.type == DT_KEYWORD && !dt_schema_entid(s, d->v.b->data)) {
            set_ident(s, d->e, d->v.b->data);
            set_ident(s, d->e, NULL);
        }
    dt_cursor_fini(&c);
    dt_db_unref(hist);
    /* Every entity with an ident, then every db-partition entity twice (tuple
     * attributes name attributes that may come after them). */
    uint64_t *es = NULL;
    size_t n = 0, cap = 0;
    if (rc == 0) {
        rc = dt_cursor_init(&c, db, DT_AVET, &k, &k, 0);
        while (dt_cursor_step(&c, &d, &rc)) {
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                es = dt_realloc(es, cap * sizeof *es);
            }
            es[n++] = d->e;
        }
        dt_cursor_fini(&c);
    }
    for (int pass = 0; pass < 2 && rc == 0; pass++)
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = load_entity(s, db, es[i]);
    free(es);
    if (rc) {
        dt_schema_unref(s);
        return rc;
    }
    build_list(s);
    *out = s;
    return 0;
}

int dt_schema_update(const dt_schema *old, dt_db *after, const uint64_t *touched, size_t n,
                     dt_schema **out)
{
    dt_schema *s = schema_clone(old);
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++)
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = load_entity(s, after, touched[i]);
    if (rc) {
        dt_schema_unref(s);
        return rc;
    }
    build_list(s);
    *out = s;
    return 0;
}

/* ---- bootstrap ---- */

typedef struct builtin {
    uint32_t id;
    const char *ident;
    dt_vtype type;
    uint32_t extra_a; /* a further property: unique, index or tupleType */
    uint64_t extra_v;
} builtin;

static const builtin builtins[] = {
    {DT_A_IDENT, "db/ident", DT_KEYWORD, DT_A_UNIQUE, DT_E_UNIQUE_IDENTITY},
    {DT_A_VALUE_TYPE, "db/valueType", DT_REF, 0, 0},
    {DT_A_CARDINALITY, "db/cardinality", DT_REF, 0, 0},
    {DT_A_UNIQUE, "db/unique", DT_REF, 0, 0},
    {DT_A_IS_COMPONENT, "db/isComponent", DT_BOOL, 0, 0},
    {DT_A_INDEX, "db/index", DT_BOOL, 0, 0},
    {DT_A_NO_HISTORY, "db/noHistory", DT_BOOL, 0, 0},
    {DT_A_DOC, "db/doc", DT_STRING, 0, 0},
    {DT_A_TX_INSTANT, "db/txInstant", DT_INSTANT, DT_A_INDEX, 1},
    {DT_A_TUPLE_ATTRS, "db/tupleAttrs", DT_TUPLE, DT_A_TUPLE_TYPE, DT_E_TYPE0 + DT_KEYWORD},
    {DT_A_TUPLE_TYPE, "db/tupleType", DT_REF, 0, 0},
    {DT_A_TUPLE_TYPES, "db/tupleTypes", DT_TUPLE, DT_A_TUPLE_TYPE, DT_E_TYPE0 + DT_KEYWORD},
};

static const struct {
    uint64_t e;
    const char *ident;
} enums[] = {
    {0, "db.part/db"},
    {DT_PART_TX, "db.part/tx"},
    {DT_PART_USER, "db.part/user"},
    {DT_E_CARD_ONE, "db.cardinality/one"},
    {DT_E_CARD_MANY, "db.cardinality/many"},
    {DT_E_UNIQUE_VALUE, "db.unique/value"},
    {DT_E_UNIQUE_IDENTITY, "db.unique/identity"},
};

static pthread_once_t boot_once = PTHREAD_ONCE_INIT;
static dt_datom *boot;
static size_t n_boot;
static dt_schema *boot_schema;

static dt_val kw(const char *s) { return dt_val_blob(DT_KEYWORD, dt_blob_new(s, strlen(s))); }

static void add(uint64_t e, uint32_t a, dt_val v)
{
    boot[n_boot++] = (dt_datom){.e = e, .a = a, .v = v, .tx = DT_TX_OF_T(0), .added = true};
}

static int cmp_eav(const void *x, const void *y)
{
    const dt_datom *a = x, *b = y;
    if (a->e != b->e)
        return a->e < b->e ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return dt_val_cmp(a->v, b->v);
}

static void boot_init(void)
{
    boot = dt_calloc(256, sizeof *boot);
    for (size_t i = 0; i < DT_ARRAY_LEN(enums); i++)
        add(enums[i].e, DT_A_IDENT, kw(enums[i].ident));
    for (int t = DT_BOOL; t < DT_VTYPE_COUNT; t++) {
        char *name = dt_sprintf("db.type/%s", dt_vtype_name((dt_vtype)t));
        add(DT_E_TYPE0 + (uint64_t)t, DT_A_IDENT, kw(name));
        free(name);
    }
    for (size_t i = 0; i < DT_ARRAY_LEN(builtins); i++) {
        const builtin *b = &builtins[i];
        add(b->id, DT_A_IDENT, kw(b->ident));
        add(b->id, DT_A_VALUE_TYPE, dt_val_ref(DT_E_TYPE0 + b->type));
        add(b->id, DT_A_CARDINALITY, dt_val_ref(DT_E_CARD_ONE));
        if (b->extra_a == DT_A_INDEX)
            add(b->id, b->extra_a, dt_val_bool(1));
        else if (b->extra_a)
            add(b->id, b->extra_a, dt_val_ref(b->extra_v));
    }
    add(DT_TX_OF_T(0), DT_A_TX_INSTANT, (dt_val){.type = DT_INSTANT, .i = 0});
    qsort(boot, n_boot, sizeof *boot, cmp_eav);
    /* The schema of those datoms, built as a transaction's update would. */
    boot_schema = schema_new();
    for (size_t i = 0; i < n_boot;) {
        entity_facts f = {0};
        size_t j = i;
        for (; j < n_boot && boot[j].e == boot[i].e; j++)
            fact(&f, &boot[j]);
        apply_entity(boot_schema, boot[i].e, &f);
        i = j;
    }
    build_list(boot_schema);
}

const dt_datom *dt_bootstrap_datoms(size_t *n)
{
    pthread_once(&boot_once, boot_init);
    *n = n_boot;
    return boot;
}

dt_schema *dt_schema_bootstrap(void)
{
    pthread_once(&boot_once, boot_init);
    dt_schema *s = schema_clone(boot_schema); /* a private copy: reference counts are not atomic */
    build_list(s);
    return s;
}
