/*
 * plan_step.c: the planner's look at one clause (plan.h): its constants
 * resolved against the source db (idents and lookup refs to entity ids,
 * values typed by their attribute: a constant of the wrong type is an
 * error here), the index it would read by what is bound, whether by
 * lookups or a scan and a hash join, comparisons pushed into an AVET
 * range, and its estimate: the datoms its constants select (an index
 * count), divided by the distinct values of each position already bound.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/plan.h"

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
            return q_perr(p, c, "the entity position takes an entity id, an ident or a lookup ref [:unique/attr "
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
            return q_perr(p, c, "the attribute position takes an attribute's ident or id");
        if (!at) {
            dt_buf m = DT_BUF_INIT;
            q_val_print(&m, v);
            int rc = q_perr(p, c, "unknown attribute %s", dt_buf_cstr(&m));
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
            rc = q_perr(p, c, ":%s holds %s values: %s is a %s", at->ident, dt_vtype_name(at->type),
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
            return q_perr(p, c, "the transaction position takes a transaction id or a t");
        pp->c = dt_val_ref(v.i < (INT64_C(1) << DT_PART_SHIFT) ? DT_TX_OF_T(v.i) : (uint64_t)v.i);
        return 0;
    default:
        if (v.type != DT_BOOL)
            return q_perr(p, c, "the added position takes true or false");
        pp->c = v;
        (void)form;
        return 0;
    }
}

/* The template of a pattern on a db: constants (and variables bound to
 * constant inputs) resolved; the attribute first, as it types the value. */
int q_plan_template(pctx *p, pcl *pc, dt_db *db)
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
    if (known[0] && known[1]) {
        /* (a e) rather than (e a): lookups of one attribute for many
         * entities stay within its datoms, near one another */
        *order = DT_AEVT;
        *nprefix = (uint8_t)(2 + (known[2] ? 1 + (known[3] ? 1 : 0) : 0));
    } else if (known[0]) {
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

int q_step_range(const q_step *s, uint8_t order, uint8_t n, dt_key *from, dt_key *to)
{
    if (order != DT_AVET || n != 1)
        return 0;
    if (s->has_lo) {
        from->n = 2;
        from->v = s->lo;
    }
    if (s->has_hi) {
        to->n = 2;
        to->v = s->hi;
        return s->hi_incl ? 0 : DT_CUR_TO_EXCLUSIVE;
    }
    return 0;
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
        int flags = q_step_range(s, order, n, &from, &to);
        return q_est_count(p->x, db, DT_AVET, &from, &to, flags);
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
bool q_plan_const(const pctx *p, const q_term *t, dt_val *out)
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
int q_plan_ranges(pctx *p, pcl *pc, q_step *s, dt_db *db, bool take)
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
        bool var_left = a->kind == QT_VAR && a->id == var && q_plan_const(p, b, &k);
        bool var_right = b->kind == QT_VAR && b->id == var && q_plan_const(p, a, &k);
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
            int rc = q_perr(p, o->c, "cannot compare :%s (%s values) with %s %s", at ? at->ident : "?",
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
    int rc = q_plan_ranges(p, pc, s, db, false);
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

int q_plan_consider(pctx *p, pcl *pc, q_step *s, bool *ok)
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
