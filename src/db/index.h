/*
 * index.h: the durable index trees (index.c): persistent B+trees of
 * segments, one per order, seen through a cursor (seek, next, datom) and a
 * count; and the merge that indexing uses to make a new tree from an old one
 * and sorted new datoms, rewriting only the segments the new datoms touch.
 *
 * A tree is named by its root segment's SHA and the number of datoms in it
 * (count 0: the empty tree, no segment).
 */
#ifndef DT_DB_INDEX_H
#define DT_DB_INDEX_H

#include "db/cache.h"

#define DT_TREE_LEAF_MAX 4096
#define DT_TREE_LEAF_TARGET 2048
#define DT_TREE_BRANCH_MAX 1024
#define DT_TREE_BRANCH_TARGET 512
#define DT_TREE_MAX_DEPTH 16

typedef struct dt_tree {
    uint8_t sha[32];
    uint64_t count;
} dt_tree;

typedef struct dt_tree_cur dt_tree_cur;
/* A cursor on TREE at the first datom >= FROM's first n components. */
int dt_tree_cur_open(dt_cache *c, dt_order order, const dt_tree *tree, const dt_key *from,
                     dt_tree_cur **out);
/* 1 and the datom (borrowed until the next call), 0 at the end, or an error. */
int dt_tree_cur_next(dt_tree_cur *cur, const dt_datom **out);
void dt_tree_cur_free(dt_tree_cur *cur);

/* Datoms of TREE from FROM to TO (as dt_cursor_open); reads O(depth)
 * segments. On a read error, the estimate from the branches read so far. */
uint64_t dt_tree_count(dt_cache *c, dt_order order, const dt_tree *tree, const dt_key *from,
                       const dt_key *to, int flags);

/* A new tree: OLD with the N datoms ADD (sorted in ORDER, none already in
 * OLD) merged in. Writes only the segments on the paths ADD touches. */
int dt_tree_merge(dt_cache *c, dt_order order, const dt_tree *old, const dt_datom *add, size_t n,
                  dt_tree *out);

#endif /* DT_DB_INDEX_H */
