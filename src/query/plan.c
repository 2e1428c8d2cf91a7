/*
 * plan.c: from clauses to steps (q.h): which clause runs when, on which
 * index, by lookups or by a hash join. Planning reads counts and samples
 * of the db (estimate.c), never its datoms, and every error a query can
 * have is found here, before anything runs: a predicate or not whose
 * variables nothing binds, a rule called without its required arguments,
 * an unknown attribute, a constant of the wrong type.
 *
 * The order is greedy, by estimated rows (the written order does not
 * matter):
 *  (1) predicates and not go as soon as their variables are bound (they
 *      only remove rows), then functions whose arguments are bound;
 *  (2) otherwise the data pattern, relation or rule call that leaves the
 *      fewest rows: a pattern's rows are the datoms its constants select
 *      (an index count), divided by the distinct values of each position
 *      bound by earlier steps; comparisons of a pattern's value with a
 *      constant are taken into its scan as an AVET range;
 *  (3) a pattern sharing variables with earlier steps runs by index
 *      lookups (one cursor per distinct key) when that reads less than a
 *      scan of what its constants select plus a hash join.
 * After each step, the columns no later clause and no result needs are
 * dropped, and the rows that become equal with them.
 *
 * Rule bodies are planned per table (a rule with some arguments bound,
 * rules.c): from the seeds, and once more from each recursive call's
 * delta (the semi-naive variants), each call keeping the table the main
 * plan chose for it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/q.h"

#define SEEK_COST 16.0 /* opening a cursor, in datoms read */
#define MAX_ROWS 1e18

/* ---- variable sets ---- */

typedef struct vset {
    uint64_t w[4];
} vset;

static bool vs_has(const vset *s, uint16_t v) { return v < 256 && (s->w[v / 64] >> (v % 64)) & 1; }
static void vs_add(vset *s, uint16_t v)
{
    if (v < 256)
        s->w[v / 64] |= UINT64_C(1) << (v % 64);
}

/* ---- planning state ---- */

enum { PK_SCAN = 1, PK_RELPAT, PK_REL, PK_SEEDS, PK_CALL, PK_PRED, PK_FN, PK_NOT };

typedef struct pcl {
    const q_clause *c;
    uint8_t kind;
    bool done;
    bool first;      /* placed first: the seeds of a main plan, the delta call of a variant */
    q_table *forced; /* a call whose table is given (variants) */
    int16_t src;     /* the source it reads */
    q_step tmpl;     /* PK_SCAN: constants resolved */
} pcl;

typedef struct pctx {
    q_ctx *x;
    const q_scope *scope;
    pcl *cl;
    int ncl;
    vset bound, constok, out;
    uint16_t cols[256];
    uint16_t ncols;
    double rows;
    int16_t dsrc;
    q_table *self;
    uint8_t seeds_from;
    q_step *steps;
    int nsteps, capsteps;
    const char *where;
    const char *deferred; /* why a call could not be planned (reported if nothing else can go) */
} pctx;

static int perr(const pctx *p, const q_clause *c, const char *fmt, ...) DT_PRINTF(3, 4);
static int perr(const pctx *p, const q_clause *c, const char *fmt, ...)
{
    dt_buf m = DT_BUF_INIT;
    const char *where = c && c->where ? c->where : p->where;
    if (where)
        dt_buf_printf(&m, "in %s: ", where);
    if (c) {
        q_describe(&m, c->form);
        dt_buf_puts(&m, ": ");
    }
    va_list ap;
    va_start(ap, fmt);
    dt_buf_vprintf(&m, fmt, ap);
    va_end(ap);
    int rc = dt_error(DATOM_EINVAL, "%s", dt_buf_cstr(&m));
    dt_buf_free(&m);
    return rc;
}

dt_db *q_src_db(q_ctx *x, int16_t src)
{
    if (src < 0)
        src = 0;
    return src < x->nsrc ? x->srcs[src].db : NULL;
}

static int col_of(const pctx *p, uint16_t var)
{
    for (int i = 0; i < p->ncols; i++)
        if (p->cols[i] == var)
            return i;
    return -1;
}

static bool known(const pctx *p, uint16_t v) { return vs_has(&p->bound, v) || vs_has(&p->constok, v); }

/* ---- constants against a db ---- */

/* Refs inside V (a tuple of attribute AT) as the db holds them. */
static dt_val tuple_refs(q_ctx *x, const dt_attr *at, dt_db *db, dt_val v)
{
    size_t n = dt_tuple_count(v.b);
    dt_val vals[256];
    bool change = false;
    for (size_t i = 0; i < n; i++) {
        vals[i] = dt_tuple_get(v.b, i);
        uint8_t t = DT_NIL;
        if (at->n_tuple_attrs > i) {
            const dt_attr *el = dt_db_attr(db, at->tuple_attrs[i]);
            t = el ? el->type : DT_NIL;
        } else if (at->n_tuple_types) {
            t = at->tuple_homogeneous ? at->tuple_types[0] : i < at->n_tuple_types ? at->tuple_types[i] : DT_NIL;
        }
        if (t == DT_REF && vals[i].type == DT_LONG) {
            vals[i] = dt_val_ref((uint64_t)vals[i].i);
            change = true;
        }
    }
    if (!change)
        return v;
    dt_blob *b = dt_tuple_new(vals, n);
    dt_blob *copy = q_alloc(&x->arena, sizeof *copy + b->len + 1);
    memcpy(copy, b, sizeof *copy + b->len + 1);
    free(b);
    return dt_val_blob(DT_TUPLE, copy);
}

int q_entity(q_ctx *x, dt_db *db, dt_val v, uint64_t *e)
{
    *e = 0;
    if (v.type == DT_LONG) {
        if (v.i <= 0)
            return 1;
        *e = (uint64_t)v.i;
        return 0;
    }
    if (v.type == DT_KEYWORD) {
        *e = dt_db_entid(db, v.b->data);
        return *e ? 0 : 1;
    }
    if (v.type == DT_TUPLE && dt_tuple_count(v.b) == 2 && dt_tuple_get(v.b, 0).type == DT_KEYWORD) {
        const dt_attr *at = dt_db_attr_by_ident(db, dt_tuple_get(v.b, 0).b->data);
        if (!at || !at->unique)
            return -1;
        dt_val lv;
        if (q_fit(x, db, at, dt_tuple_get(v.b, 1), &lv))
            return 1;
        if (dt_db_lookup(db, at->id, lv, e)) {
            datom_errclear();
            return 1;
        }
        return *e ? 0 : 1;
    }
    return -1;
}

int q_fit(q_ctx *x, dt_db *db, const dt_attr *at, dt_val v, dt_val *out)
{
    *out = v;
    switch (at->type) {
    case DT_REF: {
        uint64_t e;
        int rc = q_entity(x, db, v, &e);
        if (rc)
            return rc;
        *out = dt_val_ref(e);
        return 0;
    }
    case DT_DOUBLE:
    case DT_FLOAT:
        if (v.type == DT_LONG)
            *out = (dt_val){.type = at->type, .d = (double)v.i};
        else if (v.type == DT_DOUBLE || v.type == DT_FLOAT)
            *out = (dt_val){.type = at->type, .d = at->type == DT_FLOAT ? (double)(float)v.d : v.d};
        else
            return -1;
        return 0;
    case DT_URI:
        if (v.type == DT_STRING || v.type == DT_URI) {
            out->type = DT_URI;
            return 0;
        }
        return -1;
    case DT_TUPLE:
        if (v.type != DT_TUPLE)
            return -1;
        *out = tuple_refs(x, at, db, v);
        return 0;
    case DT_BIGINT:
    case DT_BIGDEC:
        if (v.type == DT_LONG) {
            char buf[32];
            int n = snprintf(buf, sizeof buf, "%lld", (long long)v.i);
            *out = q_string(x, at->type, buf, (size_t)n);
            return 0;
        }
        return v.type == at->type ? 0 : -1;
    default: return v.type == at->type ? 0 : -1;
    }
}

/* Resolves the constant of position I of a pattern on DB into S->pos[I].c. */
static int resolve_const(pctx *p, const q_clause *c, dt_db *db, q_step *s, int i, dt_val v,
                         const dt_edn_value *form)
{
    q_ctx *x = p->x;
    q_ppos *pp = &s->pos[i];
    pp->how = QP_CONST;
    switch (i) {
    case 0: {
        uint64_t e;
        int rc = q_entity(x, db, v, &e);
        if (rc < 0)
            return perr(p, c, "the entity position takes an entity id, an ident or a lookup ref [:unique/attr "
                              "value], not %s",
                        q_val_type_name(v));
        if (rc > 0)
            s->empty = true;
        pp->c = dt_val_ref(e);
        return 0;
    }
    case 1: {
        const dt_attr *at = NULL;
        if (v.type == DT_KEYWORD)
            at = dt_db_attr_by_ident(db, v.b->data);
        else if (v.type == DT_LONG && v.i > 0 && v.i < INT64_C(1) << 32)
            at = dt_db_attr(db, (uint32_t)v.i);
        else
            return perr(p, c, "the attribute position takes an attribute's ident or id");
        if (!at) {
            dt_buf m = DT_BUF_INIT;
            q_val_print(&m, v);
            int rc = perr(p, c, "unknown attribute %s", dt_buf_cstr(&m));
            dt_buf_free(&m);
            return rc;
        }
        pp->c = dt_val_ref(at->id);
        s->attr = at->id;
        s->vtype = at->type;
        return 0;
    }
    case 2: {
        if (!s->vtype) { /* attribute unknown: the value as written */
            pp->c = v;
            return 0;
        }
        const dt_attr *at = dt_db_attr(db, s->attr);
        int rc = q_fit(x, db, at, v, &pp->c);
        if (rc < 0) {
            dt_buf m = DT_BUF_INIT;
            q_val_print(&m, v);
            rc = perr(p, c, ":%s holds %s values: %s is a %s", at->ident, dt_vtype_name(at->type),
                      dt_buf_cstr(&m), q_val_type_name(v));
            dt_buf_free(&m);
            return rc;
        }
        if (rc > 0)
            s->empty = true;
        return 0;
    }
    case 3:
        if (v.type != DT_LONG || v.i < 0)
            return perr(p, c, "the transaction position takes a transaction id or a t");
        pp->c = dt_val_ref(v.i < (INT64_C(1) << DT_PART_SHIFT) ? DT_TX_OF_T(v.i) : (uint64_t)v.i);
        return 0;
    default:
        if (v.type != DT_BOOL)
            return perr(p, c, "the added position takes true or false");
        pp->c = v;
        (void)form;
        return 0;
    }
}

/* The template of a pattern on a db: constants (and variables bound to
 * constant inputs) resolved; the attribute first, as it types the value. */
static int scan_template(pctx *p, pcl *pc, dt_db *db)
{
    const q_clause *c = pc->c;
    q_step *s = &pc->tmpl;
    memset(s, 0, sizeof *s);
    s->kind = QS_SCAN;
    s->c = c;
    s->src = pc->src;
    static const int order[5] = {1, 0, 2, 3, 4};
    for (int k = 0; k < 5; k++) {
        int i = order[k];
        if (i >= c->nargs)
            continue;
        const q_term *t = &c->args[i];
        dt_val v;
        if (t->kind == QT_CONST)
            v = q_from_edn(p->x, t->form);
        else if (t->kind == QT_VAR && vs_has(&p->constok, t->id))
            v = p->x->consts[t->id];
        else
            continue;
        int rc = resolve_const(p, c, db, s, i, v, t->form);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the steps a clause would make now ---- */

/* The index for the positions in KNOWN (e a v tx), and how many lead. */
static void choose_index(const bool known[4], bool range, uint8_t *order, uint8_t *nprefix)
{
    if (known[0]) {
        *order = DT_EAVT;
        *nprefix = (uint8_t)(1 + (known[1] ? 1 + (known[2] ? 1 + (known[3] ? 1 : 0) : 0) : 0));
    } else if (known[1] && known[2]) {
        *order = DT_AVET;
        *nprefix = 2;
    } else if (known[1]) {
        *order = range ? DT_AVET : DT_AEVT;
        *nprefix = 1;
    } else {
        *order = DT_EAVT;
        *nprefix = 0;
    }
}

/* A key from the constants of S in ORDER's first N components. */
static void const_key(const q_step *s, uint8_t order, uint8_t n, dt_key *k)
{
    memset(k, 0, sizeof *k);
    k->n = n;
    static const int comp[DT_ORDER_COUNT][4] = {{0, 1, 2, 3}, {1, 0, 2, 3}, {1, 2, 0, 3}, {2, 1, 0, 3}, {3, 0, 1, 2}};
    for (int i = 0; i < n; i++) {
        int pos = comp[order][i];
        dt_val c = s->pos[pos].c;
        switch (pos) {
        case 0: k->e = c.u; break;
        case 1: k->a = (uint32_t)c.u; break;
        case 2: k->v = c; break;
        default: k->tx = c.u; break;
        }
    }
}

/* Datoms the constants of S select (its range included). */
static double count_consts(pctx *p, const q_step *s, dt_db *db)
{
    if (s->empty)
        return 0;
    bool kn[4];
    for (int i = 0; i < 4; i++)
        kn[i] = s->pos[i].how == QP_CONST;
    uint8_t order, n;
    bool range = s->has_lo || s->has_hi;
    choose_index(kn, range, &order, &n);
    dt_key k;
    const_key(s, order, n, &k);
    if (order == DT_AVET && n == 1 && range) {
        dt_key from = k, to = k;
        if (s->has_lo) {
            from.n = 2;
            from.v = s->lo;
        }
        if (s->has_hi) {
            to.n = 2;
            to.v = s->hi;
        }
        return q_est_count(p->x, db, DT_AVET, &from, &to, s->has_hi && !s->hi_incl ? DT_CUR_TO_EXCLUSIVE : 0);
    }
    if (n == 0)
        return q_est_total(p->x, db);
    return q_est_count(p->x, db, (dt_order)order, &k, &k, 0);
}

static bool is_cmp(const q_clause *c, int *op)
{
    static const char *const ops[] = {"<", "<=", ">", ">="};
    if (c->kind != QC_PRED || c->nargs != 2)
        return false;
    for (int i = 0; i < 4; i++)
        if (!strcmp(c->fn->name, ops[i])) {
            *op = i;
            return true;
        }
    return false;
}

/* The constant value of term T in this context, if it has one. */
static bool term_const(const pctx *p, const q_term *t, dt_val *out)
{
    if (t->kind == QT_CONST) {
        *out = q_from_edn(p->x, t->form);
        return true;
    }
    if (t->kind == QT_VAR && vs_has(&p->constok, t->id)) {
        *out = p->x->consts[t->id];
        return true;
    }
    return false;
}

/* Comparisons of the pattern's value variable with constants, pushed into
 * an AVET range (when the constant has the attribute's type). A
 * comparison across types is an error here, before anything runs. */
static int push_ranges(pctx *p, pcl *pc, q_step *s, dt_db *db, bool take)
{
    if (!s->vtype || s->pos[2].how != QP_OUT || s->vtype == DT_REF || s->vtype == DT_TUPLE)
        return 0;
    uint16_t var = s->pos[2].var;
    for (int i = 0; i < p->ncl; i++) {
        pcl *o = &p->cl[i];
        int op;
        if (o->done || !is_cmp(o->c, &op))
            continue;
        const q_term *a = &o->c->args[0], *b = &o->c->args[1];
        dt_val k;
        bool var_left = a->kind == QT_VAR && a->id == var && term_const(p, b, &k);
        bool var_right = b->kind == QT_VAR && b->id == var && term_const(p, a, &k);
        if (!var_left && !var_right)
            continue;
        dt_val probe = {.type = s->vtype};
        if (dt_vtype_is_blob((dt_vtype)s->vtype)) {
            static const dt_blob empty = {0};
            probe.b = &empty;
        }
        int cmp;
        if (s->vtype != DT_BYTES && q_val_compare(probe, k, &cmp)) {
            datom_errclear();
            const dt_attr *at = dt_db_attr(db, s->attr);
            dt_buf m = DT_BUF_INIT;
            q_val_print(&m, k);
            int rc = perr(p, o->c, "cannot compare :%s (%s values) with %s %s", at ? at->ident : "?",
                          dt_vtype_name((dt_vtype)s->vtype), q_val_type_name(k), dt_buf_cstr(&m));
            dt_buf_free(&m);
            return rc;
        }
        dt_val kv;
        const dt_attr *at = dt_db_attr(db, s->attr);
        if (!at || q_fit(p->x, db, at, k, &kv) || kv.type != k.type)
            continue; /* a long against doubles: the predicate filters */
        /* var OP k, or k OP var turned around */
        bool lower = var_left ? (op >= 2) : (op < 2);
        bool incl = op == 1 || op == 3;
        if (lower) {
            if (!s->has_lo || dt_val_cmp(kv, s->lo) > 0 || (!dt_val_cmp(kv, s->lo) && !incl)) {
                s->lo = kv;
                s->lo_incl = incl;
            }
            s->has_lo = true;
        } else {
            if (!s->has_hi || dt_val_cmp(kv, s->hi) < 0 || (!dt_val_cmp(kv, s->hi) && !incl)) {
                s->hi = kv;
                s->hi_incl = incl;
            }
            s->has_hi = true;
        }
        if (take) {
            o->done = true;
            char *text = dt_edn_to_string(o->c->form);
            size_t len = (s->note ? strlen(s->note) + 1 : 0) + strlen(text) + 1;
            char *note = q_alloc(&p->x->arena, len);
            snprintf(note, len, "%s%s%s", s->note ? s->note : "", s->note ? " " : "", text);
            s->note = note;
            free(text);
        }
    }
    (void)pc;
    return 0;
}

static double clamp_rows(double r) { return r > MAX_ROWS ? MAX_ROWS : r < 0 ? 0 : r; }

/* Positions of a pattern or columns of a relation from their terms:
 * constant, bound, new or repeated. */
static void map_terms(const pctx *p, const q_term *terms, uint16_t n, q_ppos *pos, bool keep_consts)
{
    for (uint16_t i = 0; i < n; i++) {
        const q_term *t = &terms[i];
        q_ppos *pp = &pos[i];
        if (t->kind == QT_CONST) {
            if (!keep_consts) {
                pp->how = QP_CONST;
                pp->c = q_from_edn(p->x, t->form);
            }
            continue;
        }
        if (t->kind != QT_VAR) {
            pp->how = QP_NONE;
            continue;
        }
        pp->var = t->id;
        if (vs_has(&p->constok, t->id)) {
            if (!keep_consts) {
                pp->how = QP_CONST;
                pp->c = p->x->consts[t->id];
            }
        } else if (vs_has(&p->bound, t->id)) {
            pp->how = QP_BOUND;
            pp->col = (uint16_t)col_of(p, t->id);
        } else {
            pp->how = QP_OUT;
            for (uint16_t j = 0; j < i; j++)
                if (pos[j].how == QP_OUT && pos[j].var == t->id) {
                    pp->how = QP_SAME;
                    pp->col = j;
                    break;
                }
        }
    }
}

static int consider_scan(pctx *p, pcl *pc, q_step *s)
{
    dt_db *db = q_src_db(p->x, pc->src);
    *s = pc->tmpl;
    const q_clause *c = pc->c;
    map_terms(p, c->args, c->nargs, s->pos, true);
    int rc = push_ranges(p, pc, s, db, false);
    if (rc)
        return rc;
    double nc = count_consts(p, s, db);
    double fan = nc;
    bool has_bound = false;
    for (int i = 0; i < 4; i++) {
        if (s->pos[i].how != QP_BOUND)
            continue;
        has_bound = true;
        double d = 1;
        if (i == 0)
            d = s->vtype ? q_est_distinct(p->x, db, s->attr, 0) : q_est_total(p->x, db) / 8;
        else if (i == 2)
            d = s->vtype ? q_est_distinct(p->x, db, s->attr, 2) : q_est_total(p->x, db) / 4;
        else if (i == 1)
            d = 32;
        else
            d = (double)(dt_db_basis_t(db) + 1);
        fan /= d < 1 ? 1 : d;
    }
    bool kl[4];
    for (int i = 0; i < 4; i++)
        kl[i] = s->pos[i].how == QP_CONST || s->pos[i].how == QP_BOUND;
    bool range = s->has_lo || s->has_hi;
    if (!has_bound) {
        s->mode = QM_PRODUCT;
        s->est = clamp_rows(p->rows * nc);
        s->cost = nc + s->est;
        bool kc[4];
        for (int i = 0; i < 4; i++)
            kc[i] = s->pos[i].how == QP_CONST;
        choose_index(kc, range, &s->order, &s->nprefix);
        return 0;
    }
    uint8_t lorder, lprefix;
    choose_index(kl, range, &lorder, &lprefix);
    /* a lookup reads what its prefix selects; positions past it filter */
    int inprefix = 0;
    for (int i = 0; i < 4; i++)
        inprefix += kl[i];
    double per = fan * (inprefix > lprefix ? 8 : 1);
    double lookup = p->rows * (SEEK_COST + per);
    double hash = nc + p->rows;
    s->est = clamp_rows(p->rows * fan);
    if (lookup <= hash) {
        s->mode = QM_LOOKUP;
        s->order = lorder;
        s->nprefix = lprefix;
        s->cost = lookup;
    } else {
        s->mode = QM_HASH;
        bool kc[4];
        for (int i = 0; i < 4; i++)
            kc[i] = s->pos[i].how == QP_CONST;
        choose_index(kc, range, &s->order, &s->nprefix);
        s->cost = hash;
    }
    return 0;
}

/* A relation join: an input, a collection source, seeds or a table. */
static void join_estimate(pctx *p, q_step *s, double m)
{
    int nb = 0;
    for (uint16_t i = 0; i < s->narg; i++)
        nb += s->arg[i].how == QP_BOUND;
    if (nb == 0) {
        s->mode = QM_PRODUCT;
        s->est = clamp_rows(p->rows * m);
    } else {
        s->mode = QM_HASH;
        s->est = clamp_rows(p->rows * fmax(1e-3, pow(m, (double)(s->narg - nb) / (double)s->narg)));
    }
    s->cost = m + p->rows + s->est;
}

static q_ppos *new_args(pctx *p, uint16_t n) { return q_alloc(&p->x->arena, (n ? n : 1) * sizeof(q_ppos)); }

static int consider_join(pctx *p, pcl *pc, q_step *s, bool *ok)
{
    q_ctx *x = p->x;
    const q_clause *c = pc->c;
    memset(s, 0, sizeof *s);
    s->kind = QS_JOIN;
    s->c = c;
    s->rel = -1;
    s->src = pc->src;
    double m = 1;
    if (pc->kind == PK_RELPAT || pc->kind == PK_REL) {
        s->rel = pc->kind == PK_REL ? c->rel : x->srcs[pc->src].rel;
        const q_rel *r = &x->rels[s->rel];
        s->narg = r->ncol;
        s->arg = new_args(p, s->narg);
        if (c->nargs > r->ncol && r->n) {
            s->est = 0;
            s->mode = QM_PRODUCT;
            s->empty = true;
        }
        map_terms(p, c->args, (uint16_t)(c->nargs < r->ncol ? c->nargs : r->ncol), s->arg, false);
        m = (double)r->n;
    } else if (pc->kind == PK_SEEDS) {
        q_table *t = p->self;
        const q_rule_def *d = NULL;
        (void)d;
        s->table = t;
        s->delta = p->seeds_from;
        s->narg = t->seeds.ncol;
        s->arg = new_args(p, s->narg);
        map_terms(p, c->args, c->nargs, s->arg, false);
        m = p->seeds_from == QD_SEEDS_DELTA ? 1 : 10;
    } else { /* a call */
        const q_rule *rule = &x->rules[c->rule];
        s->narg = c->nargs;
        s->arg = new_args(p, s->narg);
        map_terms(p, c->args, c->nargs, s->arg, false);
        uint32_t bits = 0;
        for (uint16_t i = 0; i < c->nargs; i++)
            if (s->arg[i].how == QP_CONST || s->arg[i].how == QP_BOUND)
                bits |= UINT32_C(1) << i;
        for (uint16_t i = 0; i < rule->nreq; i++)
            if (!(bits & (UINT32_C(1) << i)) && !pc->first) {
                *ok = false;
                return 0;
            }
        q_table *t = pc->forced;
        if (pc->first) {
            s->delta = QD_ANS_DELTA;
        } else if (t) {
            if ((t->bound & bits) != t->bound) {
                *ok = false;
                return 0;
            }
        } else {
            int rc = q_table_get(x, c->rule, bits, c->src >= 0 ? c->src : p->dsrc, &t);
            if (rc) { /* this adornment cannot run: another order may */
                if (!p->deferred && t)
                    p->deferred = t->errmsg;
                *ok = false;
                datom_errclear();
                return 0;
            }
        }
        m = t->planning ? (t->bound ? 10 : 1e4) : t->est;
        /* many seeds: computing the whole table once and hash-joining it may
         * cost less than answering each seed (not for recursive rules,
         * whose whole relation can be vastly bigger than what is asked) */
        if (bits && !pc->forced && !pc->first && !rule->recursive && !rule->nreq && !t->planning) {
            q_table *full;
            double demand = p->rows * (t->cost + 1);
            if (!q_table_get(x, c->rule, 0, c->src >= 0 ? c->src : p->dsrc, &full) &&
                full->cost + full->est + p->rows < demand)
                t = full;
            datom_errclear();
        }
        s->table = t;
        for (uint16_t i = 0; i < c->nargs; i++)
            s->arg[i].key = !pc->first && (t->bound >> i) & 1;
        if (pc->first) {
            m = 10;
        }
    }
    join_estimate(p, s, m);
    if (pc->kind == PK_CALL && s->mode == QM_HASH) { /* a table answers per seed */
        s->est = clamp_rows(p->rows * m);
        s->cost = p->rows + s->est;
    }
    *ok = true;
    return 0;
}

static bool args_known(const pctx *p, const q_clause *c)
{
    for (uint16_t i = 0; i < c->nargs; i++)
        if (c->args[i].kind == QT_VAR && !known(p, c->args[i].id))
            return false;
    return true;
}

static bool vars_known(const pctx *p, const uint16_t *vars, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++)
        if (!known(p, vars[i]))
            return false;
    return true;
}

static int consider(pctx *p, pcl *pc, q_step *s, bool *ok)
{
    *ok = true;
    switch (pc->kind) {
    case PK_SCAN: return consider_scan(p, pc, s);
    case PK_PRED:
    case PK_FN:
        *ok = args_known(p, pc->c);
        memset(s, 0, sizeof *s);
        s->kind = pc->kind == PK_PRED ? QS_PRED : QS_FN;
        s->c = pc->c;
        s->est = p->rows * (pc->kind == PK_PRED ? 0.5 : pc->c->bind->kind == QB_COLL ? 5 : 1);
        s->cost = p->rows;
        return 0;
    case PK_NOT:
        *ok = vars_known(p, pc->c->vars, pc->c->nvars);
        memset(s, 0, sizeof *s);
        s->kind = QS_NOT;
        s->c = pc->c;
        s->est = p->rows * 0.5;
        s->cost = p->rows;
        return 0;
    default: return consider_join(p, pc, s, ok);
    }
}

/* ---- taking a step ---- */

static void pending_vars(const pctx *p, vset *need)
{
    *need = p->out;
    for (int i = 0; i < p->ncl; i++)
        if (!p->cl[i].done) {
            uint64_t set[4] = {0};
            q_clause_vars(p->cl[i].c, set);
            for (int w = 0; w < 4; w++)
                need->w[w] |= set[w];
        }
}

static uint16_t *arena_u16(q_ctx *x, const uint16_t *v, uint16_t n)
{
    uint16_t *out = q_alloc(&x->arena, (n ? n : 1) * sizeof *out);
    if (n)
        memcpy(out, v, n * sizeof *v);
    return out;
}

static void add_col(pctx *p, uint16_t var)
{
    p->cols[p->ncols++] = var;
    vs_add(&p->bound, var);
}

/* Arguments of a predicate or function: constants, or columns. */
static void fn_args(pctx *p, q_step *s)
{
    const q_clause *c = s->c;
    s->av = q_alloc(&p->x->arena, (c->nargs ? c->nargs : 1) * sizeof *s->av);
    s->acol = q_alloc(&p->x->arena, (c->nargs ? c->nargs : 1) * sizeof *s->acol);
    for (uint16_t i = 0; i < c->nargs; i++) {
        const q_term *t = &c->args[i];
        s->acol[i] = -1;
        if (t->kind == QT_SRC)
            s->av[i] = (dt_val){.type = DT_Q_SRC, .u = t->id};
        else if (!term_const(p, t, &s->av[i]))
            s->acol[i] = (int16_t)col_of(p, t->id);
    }
}

/* The binding of a function's result: per variable, its column (an
 * existing one to compare with, or a new one). */
static void fn_bind(pctx *p, const q_bind *b, int16_t *bcol, int *k)
{
    if (b->kind == QB_VAR) {
        int col = col_of(p, b->var);
        if (col < 0) {
            col = p->ncols;
            add_col(p, b->var);
        }
        bcol[(*k)++] = (int16_t)col;
        return;
    }
    if (b->kind == QB_BLANK) {
        bcol[(*k)++] = -1;
        return;
    }
    for (uint16_t i = 0; i < b->n; i++)
        fn_bind(p, &b->items[i], bcol, k);
}

static int count_bind(const q_bind *b)
{
    if (b->kind == QB_VAR || b->kind == QB_BLANK)
        return 1;
    int n = 0;
    for (uint16_t i = 0; i < b->n; i++)
        n += count_bind(&b->items[i]);
    return n;
}

static int plan_body(pctx *p, const uint16_t *out, uint16_t nout, const char *what, q_plan **plan);
static int init_pcl(pctx *p, pcl *pc, const q_clause *c);

static int take(pctx *p, pcl *pc, q_step *s)
{
    q_ctx *x = p->x;
    pc->done = true;
    uint16_t before = p->ncols;
    int rc = 0;
    switch (s->kind) {
    case QS_SCAN:
        rc = push_ranges(p, pc, s, q_src_db(x, pc->src), true);
        for (int i = 0; i < 5; i++)
            if (s->pos[i].how == QP_OUT)
                add_col(p, s->pos[i].var);
        break;
    case QS_JOIN:
        for (uint16_t i = 0; i < s->narg; i++)
            if (s->arg[i].how == QP_OUT)
                add_col(p, s->arg[i].var);
        break;
    case QS_PRED: fn_args(p, s); break;
    case QS_FN: {
        fn_args(p, s);
        int k = 0;
        s->bcol = q_alloc(&x->arena, (size_t)count_bind(s->c->bind) * sizeof *s->bcol);
        fn_bind(p, s->c->bind, s->bcol, &k);
        break;
    }
    case QS_NOT: {
        const q_clause *c = s->c;
        s->nvars = c->nvars;
        s->vcol = q_alloc(&x->arena, (c->nvars ? c->nvars : 1) * sizeof *s->vcol);
        pctx sub = {.x = x, .scope = p->scope, .dsrc = c->src >= 0 ? c->src : p->dsrc, .self = p->self,
                    .where = c->where ? c->where : p->where};
        for (uint16_t i = 0; i < c->nvars; i++) {
            s->vcol[i] = (uint16_t)col_of(p, c->vars[i]);
            sub.cols[sub.ncols++] = c->vars[i];
            vs_add(&sub.bound, c->vars[i]);
            vs_add(&sub.out, c->vars[i]);
            if (vs_has(&p->constok, c->vars[i]))
                vs_add(&sub.constok, c->vars[i]);
        }
        sub.rows = 1;
        sub.ncl = c->nkids;
        sub.cl = q_alloc(&x->arena, (c->nkids ? c->nkids : 1) * sizeof *sub.cl);
        rc = 0;
        for (uint16_t i = 0; i < c->nkids && !rc; i++)
            rc = init_pcl(&sub, &sub.cl[i], &c->kids[i]);
        if (!rc)
            rc = plan_body(&sub, c->vars, c->nvars, "not", &s->sub);
        break;
    }
    default: break;
    }
    if (rc)
        return rc;
    s->nnew = (uint16_t)(p->ncols - before);
    p->rows = s->est < 1e-3 ? 1e-3 : s->est;
    vset need;
    pending_vars(p, &need);
    uint16_t keep[256], kvars[256], nk = 0;
    for (uint16_t i = 0; i < p->ncols; i++)
        if (vs_has(&need, p->cols[i])) {
            keep[nk] = i;
            kvars[nk++] = p->cols[i];
        }
    s->dedupe = nk < p->ncols;
    /* a scan hiding e, a or v (_) makes equal rows of distinct datoms */
    for (int i = 0; i < 3 && s->kind == QS_SCAN; i++)
        s->dedupe = s->dedupe || s->pos[i].how == QP_NONE;
    s->nkeep = nk;
    s->keep = arena_u16(x, keep, nk);
    s->ncols = nk;
    s->cols = arena_u16(x, kvars, nk);
    memcpy(p->cols, kvars, nk * sizeof *kvars);
    p->ncols = nk;
    if (p->nsteps == p->capsteps) {
        p->capsteps = p->capsteps ? p->capsteps * 2 : 8;
        q_step *steps = q_alloc(&x->arena, (size_t)p->capsteps * sizeof *steps);
        if (p->nsteps)
            memcpy(steps, p->steps, (size_t)p->nsteps * sizeof *steps);
        p->steps = steps;
    }
    p->steps[p->nsteps++] = *s;
    return 0;
}

/* ---- a body ---- */

static int init_pcl(pctx *p, pcl *pc, const q_clause *c)
{
    q_ctx *x = p->x;
    memset(pc, 0, sizeof *pc);
    pc->c = c;
    pc->src = c->src >= 0 ? c->src : p->dsrc;
    switch (c->kind) {
    case QC_PATTERN: {
        if (pc->src >= x->nsrc || (!x->srcs[pc->src].db && x->srcs[pc->src].rel < 0))
            return perr(p, c, "source %s has no input", x->q->srcs[pc->src]);
        dt_db *db = x->srcs[pc->src].db;
        if (!db) {
            pc->kind = PK_RELPAT;
            return 0;
        }
        pc->kind = PK_SCAN;
        return scan_template(p, pc, db);
    }
    case QC_REL: pc->kind = PK_REL; return 0;
    case QC_CALL: pc->kind = PK_CALL; return 0;
    case QC_PRED: pc->kind = PK_PRED; break;
    case QC_FN: pc->kind = PK_FN; break;
    case QC_NOT: pc->kind = PK_NOT; break;
    default: return perr(p, c, "this clause cannot stand here");
    }
    for (uint16_t i = 0; i < c->nargs; i++) /* functions reading a db: their source must be one */
        if (c->args[i].kind == QT_SRC && (c->args[i].id >= x->nsrc || !x->srcs[c->args[i].id].db))
            return perr(p, c, "source %s is not a database given in :in", x->q->srcs[c->args[i].id]);
    if (c->kind == QC_NOT && c->src >= 0 && (c->src >= x->nsrc || !x->srcs[c->src].db))
        return perr(p, c, "source %s is not a database given in :in", x->q->srcs[c->src]);
    return 0;
}

static void name_unbound(const pctx *p, const uint16_t *vars, uint16_t n, dt_buf *m)
{
    int k = 0;
    for (uint16_t i = 0; i < n; i++)
        if (!known(p, vars[i]))
            dt_buf_printf(m, "%s%s", k++ ? ", " : "", p->scope->names[vars[i]]);
}

/* Why no clause can go next: the first waiting clause, and what it lacks. */
static int stuck(const pctx *p, const char *deferred)
{
    if (deferred)
        return dt_error(DATOM_EINVAL, "%s", deferred);
    for (int i = 0; i < p->ncl; i++) {
        const pcl *pc = &p->cl[i];
        if (pc->done)
            continue;
        const q_clause *c = pc->c;
        uint16_t vars[256], n = 0;
        dt_buf m = DT_BUF_INIT;
        int rc;
        if (pc->kind == PK_NOT) {
            name_unbound(p, c->vars, c->nvars, &m);
            rc = perr(p, c, "%s %s not bound by the clauses around it (%s)", dt_buf_cstr(&m),
                      strchr(dt_buf_cstr(&m), ',') ? "are" : "is",
                      c->join ? "not-join needs the variables it names bound"
                              : "not unifies every variable it mentions with the clauses around it; "
                                "not-join [?x] names the ones it shares");
        } else if (pc->kind == PK_CALL) {
            const q_rule *r = &p->x->rules[c->rule];
            for (uint16_t k = 0; k < c->nargs && k < r->nreq; k++)
                if (c->args[k].kind == QT_VAR)
                    vars[n++] = c->args[k].id;
            name_unbound(p, vars, n, &m);
            if (r->lifted)
                rc = perr(p, c, "or-join needs %s bound (its [[?a] ...] variables)", dt_buf_cstr(&m));
            else
                rc = perr(p, c, "rule %s needs its first %u argument%s bound: %s is not", r->name, r->nreq,
                          r->nreq == 1 ? "" : "s", dt_buf_cstr(&m));
        } else {
            for (uint16_t k = 0; k < c->nargs; k++)
                if (c->args[k].kind == QT_VAR)
                    vars[n++] = c->args[k].id;
            name_unbound(p, vars, n, &m);
            rc = perr(p, c, "%s %s not bound by any other clause (a %s needs its arguments bound)",
                      dt_buf_cstr(&m), strchr(dt_buf_cstr(&m), ',') ? "are" : "is",
                      pc->kind == PK_PRED ? "predicate" : "function");
        }
        dt_buf_free(&m);
        return rc;
    }
    return dt_error(DATOM_EINTERNAL, "planner: no clause can go next");
}

static bool better(const q_step *a, const q_step *b)
{
    if (a->est != b->est)
        return a->est < b->est;
    return a->cost < b->cost;
}

static int plan_body(pctx *p, const uint16_t *out, uint16_t nout, const char *what, q_plan **plan)
{
    int rc = 0;
    for (;;) {
        int pick = -1, pass;
        q_step best, s;
        bool ok;
        /* forced first, then filters, then functions, then the cheapest join */
        for (pass = 0; pass < 4 && pick < 0 && !rc; pass++)
            for (int i = 0; i < p->ncl && !rc; i++) {
                pcl *pc = &p->cl[i];
                if (pc->done)
                    continue;
                bool filter = pc->kind == PK_PRED || pc->kind == PK_NOT;
                if ((pass == 0 && !pc->first) || (pass == 1 && !filter) || (pass == 2 && pc->kind != PK_FN) ||
                    (pass == 3 && (filter || pc->kind == PK_FN || pc->first)))
                    continue;
                rc = consider(p, pc, &s, &ok);
                if (rc || !ok)
                    continue;
                if (pick < 0 || (pass == 3 && better(&s, &best))) {
                    pick = i;
                    best = s;
                    if (pass < 3)
                        break;
                }
            }
        if (rc)
            break;
        if (pick < 0) {
            for (int i = 0; i < p->ncl; i++)
                if (!p->cl[i].done) {
                    rc = stuck(p, p->deferred);
                    break;
                }
            break;
        }
        rc = take(p, &p->cl[pick], &best);
        if (rc)
            break;
    }
    if (rc)
        return rc;
    for (uint16_t i = 0; i < nout; i++)
        if (!known(p, out[i]))
            return perr(p, NULL, "%s is not bound by %s", p->scope->names[out[i]],
                        p->self ? "the rule's body when the rule is called without it"
                                : !strcmp(what, "not") ? "the body of not" : "any clause or input");
    q_plan *pl = q_alloc(&p->x->arena, sizeof *pl);
    pl->nsteps = (uint16_t)p->nsteps;
    pl->steps = p->steps;
    pl->nout = nout;
    pl->out = arena_u16(p->x, out, nout);
    pl->est = p->rows;
    for (int i = 0; i < p->nsteps; i++)
        pl->cost += p->steps[i].cost;
    pl->scope = p->scope;
    pl->what = what;
    *plan = pl;
    return 0;
}

/* ---- tables ---- */

/* The seeds as a clause of the body: the head's bound variables. */
static q_clause *seed_clause(q_ctx *x, const q_rule_def *d, uint32_t bound)
{
    q_clause *c = q_alloc(&x->arena, sizeof *c);
    c->kind = QC_REL;
    c->src = -1;
    c->rule = -1;
    c->rel = -1;
    c->form = d->form;
    c->where = d->where;
    c->args = q_alloc(&x->arena, (d->nhead ? d->nhead : 1) * sizeof *c->args);
    for (uint16_t i = 0; i < d->nhead; i++)
        if ((bound >> i) & 1)
            c->args[c->nargs++] = (q_term){.kind = QT_VAR, .id = d->head[i], .form = d->form};
    return c;
}

static int plan_def(q_ctx *x, q_table *t, const q_rule_def *d, const q_clause *seeds, const q_plan *main,
                    const q_clause *delta, q_plan **out)
{
    pctx p = {.x = x, .scope = d->scope, .dsrc = t->src, .self = t, .where = d->where, .rows = 1,
              .seeds_from = main ? QD_SEEDS_OLD : QD_SEEDS_DELTA};
    p.ncl = d->nbody + 1;
    p.cl = q_alloc(&x->arena, (size_t)p.ncl * sizeof *p.cl);
    int rc = init_pcl(&p, &p.cl[0], seeds);
    p.cl[0].kind = PK_SEEDS;
    p.cl[0].first = !main;
    for (uint16_t i = 0; i < d->nbody && !rc; i++) {
        pcl *pc = &p.cl[i + 1];
        rc = init_pcl(&p, pc, &d->body[i]);
        if (rc || !main || pc->kind != PK_CALL)
            continue;
        for (uint16_t k = 0; k < main->nsteps; k++)
            if (main->steps[k].c == pc->c)
                pc->forced = main->steps[k].table;
        pc->first = pc->c == delta;
    }
    for (uint16_t i = 0; i < d->nhead; i++)
        vs_add(&p.out, d->head[i]);
    const q_rule *r = &x->rules[t->rule];
    char buf[160];
    snprintf(buf, sizeof buf, "%s %s", r->lifted ? "or" : "rule", r->name);
    const char *what = q_where(x, buf, d->form);
    return rc ? rc : plan_body(&p, d->head, d->nhead, what, out);
}

static int plan_table(q_ctx *x, q_table *t)
{
    const q_rule *r = &x->rules[t->rule];
    t->plans = q_alloc(&x->arena, r->ndefs * sizeof *t->plans);
    t->est = t->cost = 0;
    int rc = 0;
    for (uint16_t d = 0; d < r->ndefs && !rc; d++) {
        const q_clause *seeds = seed_clause(x, &r->defs[d], t->bound);
        rc = plan_def(x, t, &r->defs[d], seeds, NULL, NULL, &t->plans[d]);
        if (!rc) {
            t->est += t->plans[d]->est;
            t->cost += t->plans[d]->cost;
        }
    }
    if (rc || !r->recursive)
        return rc;
    /* the semi-naive variants: one per call into the component */
    t->vplans = q_alloc(&x->arena, r->ndefs * sizeof *t->vplans);
    for (uint16_t d = 0; d < r->ndefs && !rc; d++) {
        const q_plan *main = t->plans[d];
        int nv = 0;
        t->vplans[d] = q_alloc(&x->arena, ((size_t)main->nsteps + 1) * sizeof **t->vplans);
        for (uint16_t k = 0; k < main->nsteps && !rc; k++) {
            const q_step *s = &main->steps[k];
            if (s->kind != QS_JOIN || !s->table || s->c->kind != QC_CALL || x->rules[s->table->rule].scc != r->scc)
                continue;
            const q_clause *seeds = seed_clause(x, &r->defs[d], t->bound);
            rc = plan_def(x, t, &r->defs[d], seeds, main, s->c, &t->vplans[d][nv++]);
        }
    }
    return rc;
}

int q_table_get(q_ctx *x, int rule, uint32_t bound, int16_t src, q_table **out)
{
    if (src < 0)
        src = 0;
    for (int i = 0; i < x->ntables; i++) {
        q_table *t = x->tables[i];
        if (t->rule == rule && t->bound == bound && t->src == src) {
            *out = t;
            return t->err ? dt_error(t->err, "%s", t->errmsg) : 0;
        }
    }
    const q_rule *r = &x->rules[rule];
    *out = NULL;
    if (r->arity > 32)
        return q_err(r->form, "a rule takes at most 32 arguments");
    if (x->ntables == x->captables) {
        x->captables = x->captables ? x->captables * 2 : 16;
        q_table **v = q_alloc(&x->arena, (size_t)x->captables * sizeof *v);
        if (x->ntables)
            memcpy(v, x->tables, (size_t)x->ntables * sizeof *v);
        x->tables = v;
    }
    q_table *t = q_alloc(&x->arena, sizeof *t);
    x->tables[x->ntables++] = t;
    t->rule = rule;
    t->bound = bound;
    t->src = src;
    t->id = x->ntables;
    uint16_t all[32], keys[32], nk = 0;
    for (uint16_t i = 0; i < r->arity; i++) {
        all[i] = i;
        if ((bound >> i) & 1)
            keys[nk++] = i;
    }
    q_rel_init(x, &t->seeds, all, nk);
    q_rel_init(x, &t->ans, all, r->arity);
    q_hidx_init(&t->seeds_all, all, nk);
    q_hidx_init(&t->ans_all, all, r->arity);
    q_hidx_init(&t->ans_key, keys, nk);
    t->planning = true;
    int rc = plan_table(x, t);
    t->planning = false;
    *out = t;
    if (rc) {
        t->err = rc;
        const char *m = datom_errmsg();
        t->errmsg = q_alloc(&x->arena, strlen(m) + 1);
        strcpy(t->errmsg, m);
    }
    return rc;
}

/* ---- the query ---- */

int q_plan_query(q_ctx *x, q_query *q, q_plan **out)
{
    pctx p = {.x = x, .scope = &q->scope, .dsrc = 0, .rows = 1};
    for (uint16_t v = 0; v < q->scope.n; v++)
        if (x->has_const[v]) {
            p.cols[p.ncols++] = v;
            vs_add(&p.bound, v);
            vs_add(&p.constok, v);
        }
    uint16_t outv[512], nout = 0;
    for (uint16_t i = 0; i < q->nfind; i++)
        outv[nout++] = q->find[i].var;
    for (uint16_t i = 0; i < q->nwith; i++)
        outv[nout++] = q->with[i];
    /* each variable once */
    uint16_t uniq[512], nu = 0;
    for (uint16_t i = 0; i < nout; i++) {
        bool have = false;
        for (uint16_t j = 0; j < nu && !have; j++)
            have = uniq[j] == outv[i];
        if (!have) {
            uniq[nu++] = outv[i];
            vs_add(&p.out, outv[i]);
        }
    }
    p.ncl = q->nwhere;
    p.cl = q_alloc(&x->arena, (q->nwhere ? q->nwhere : 1) * sizeof *p.cl);
    int rc = 0;
    for (uint16_t i = 0; i < q->nwhere && !rc; i++)
        rc = init_pcl(&p, &p.cl[i], &q->where[i]);
    if (rc)
        return rc;
    return plan_body(&p, uniq, nu, "query", out);
}
