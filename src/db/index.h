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

/* A cursor on a tree, where its caller puts it: the path of segments
 * (referenced) from the root to the current leaf. Fields private to index.c. */
typedef struct dt_tree_cur {
    dt_cache *cache;
    dt_order order;
    const dt_tree *tree;
    int depth;
    dt_seg *seg[DT_TREE_MAX_DEPTH];
    int idx[DT_TREE_MAX_DEPTH];
    bool done;
} dt_tree_cur;
/* Starts C on TREE (which must outlive it) at the first datom >= FROM's
 * first n components (NULL: the start). On an error C holds nothing. */
int dt_tree_cur_init(dt_tree_cur *c, dt_cache *cache, dt_order order, const dt_tree *tree, const dt_key *from);
/* Moves C to the first datom >= FROM, keeping the segments of its path
 * that the new one shares (no cache lookup for them). */
int dt_tree_cur_seek(dt_tree_cur *c, const dt_key *from);
/* 1 and the datom (borrowed until the next call), 0 at the end, or an error. */
int dt_tree_cur_next(dt_tree_cur *c, const dt_datom **out);
/* Releases the segments C holds. */
void dt_tree_cur_fini(dt_tree_cur *c);

/* Datoms of TREE from FROM to TO (as dt_cursor_open); reads O(depth)
 * segments. On a read error, the estimate from the branches read so far. */
uint64_t dt_tree_count(dt_cache *c, dt_order order, const dt_tree *tree, const dt_key *from,
                       const dt_key *to, int flags);

/* A new tree: OLD with the N datoms ADD (sorted in ORDER, none already in
 * OLD) merged in. Writes only the segments on the paths ADD touches. */
int dt_tree_merge(dt_cache *c, dt_order order, const dt_tree *old, const dt_datom *add, size_t n,
                  dt_tree *out);

#endif /* DT_DB_INDEX_H */
