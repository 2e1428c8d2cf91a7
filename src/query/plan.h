/*
 * plan.h: what plan.c (the order of a body's clauses, tables, the query)
 * and plan_step.c (constants resolved against a db, and the step each
 * clause would make now, with its estimate) share. Private to the
 * planner.
 */
#ifndef DT_QUERY_PLAN_H
#define DT_QUERY_PLAN_H

#include "query/q.h"

#define SEEK_COST 6.0 /* opening a cursor, in datoms read */
#define MAX_ROWS 1e18

/* ---- variable sets ---- */

typedef struct vset {
    uint64_t w[4];
} vset;

static inline bool vs_has(const vset *s, uint16_t v) { return v < 256 && (s->w[v / 64] >> (v % 64)) & 1; }
static inline void vs_add(vset *s, uint16_t v)
{
    if (v < 256)
        s->w[v / 64] |= UINT64_C(1) << (v % 64);
}

/* ---- planning state ---- */

enum { PK_SCAN = 1, PK_RELPAT, PK_REL, PK_SEEDS, PK_CALL, PK_PRED, PK_FN, PK_NOT };

/* A clause as the planner holds it. */
typedef struct pcl {
    const q_clause *c;
    uint8_t kind;
    bool done;
    bool first;      /* placed first: the seeds of a main plan, the delta call of a variant */
    q_table *forced; /* a call whose table is given (variants) */
    int16_t src;     /* the source it reads */
    q_step tmpl;     /* PK_SCAN: constants resolved */
} pcl;

/* A body being planned: its clauses, what is bound, R's columns now. */
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

/* DATOM_EINVAL naming the rule or clause the body belongs to, then C. */
int q_perr(const pctx *p, const q_clause *c, const char *fmt, ...) DT_PRINTF(3, 4);

static inline int col_of(const pctx *p, uint16_t var)
{
    for (int i = 0; i < p->ncols; i++)
        if (p->cols[i] == var)
            return i;
    return -1;
}

static inline bool known(const pctx *p, uint16_t v) { return vs_has(&p->bound, v) || vs_has(&p->constok, v); }

/* ---- plan_step.c ---- */
/* Resolves a pattern's constants (and variables bound to constant inputs)
 * against DB into pc->tmpl: the attribute first, as it types the value. */
int q_plan_template(pctx *p, pcl *pc, dt_db *db);
/* The constant value of term T in this context, if it has one. */
bool q_plan_const(const pctx *p, const q_term *t, dt_val *out);
/* Comparisons of a scan's value with constants, pushed into its range
 * (TAKE: the predicates are marked done). */
int q_plan_ranges(pctx *p, pcl *pc, q_step *s, dt_db *db, bool take);
/* The step clause PC would make now, with its estimate, into S: *ok
 * false when it cannot go yet. */
int q_plan_consider(pctx *p, pcl *pc, q_step *s, bool *ok);

#endif /* DT_QUERY_PLAN_H */
