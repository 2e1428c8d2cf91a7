/*
 * writer.h: internals shared by the Parquet writer's two files: writer.c
 * (row groups, the footer, the public entry points) and wcolumn.c (one
 * column chunk: pages, dictionary, definition levels, statistics).
 *
 * Every bound below is counted in rows or encoded bytes, never in batches, so
 * where pages and row groups end depends only on the sequence of rows: the
 * same rows written in different batch splits give the same file.
 */
#ifndef DT_PQ_WRITER_H
#define DT_PQ_WRITER_H

#include "table/parquet/compress.h"
#include "table/parquet/parquet.h"

#define DT_PQ_CREATED_BY "datom version " DATOM_VERSION_STRING

#define PQW_PAGE_BYTES ((size_t)1 << 20)     /* a data page's values, before compression */
#define PQW_PAGE_ROWS ((size_t)1 << 16)      /* rows in one data page */
#define PQW_SLICE_ROWS ((size_t)1024)        /* the row-group byte bound is checked every so many rows */
#define PQW_RG_ROWS ((size_t)1 << 20)        /* default row_group_rows */
#define PQW_RG_BYTES ((size_t)64 << 20)      /* a row group is flushed past this many buffered bytes */
#define PQW_DICT_BYTES ((size_t)1 << 20)     /* default dict_max_bytes */
#define PQW_DICT_BYTES_MAX ((size_t)1 << 30) /* dict_max_bytes is clamped to this */
#define PQW_STAT_MAX ((size_t)4096)          /* longer string min/max are left out */
#define PQW_DICT_PROBE ((size_t)16384)       /* values after which a mostly-distinct chunk stops its dictionary */

/* Parquet enum values (parquet.thrift). */
enum { PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_DOUBLE = 5, PQ_BYTE_ARRAY = 6, PQ_FIXED = 7 };
enum { PQ_PLAIN = 0, PQ_RLE = 3, PQ_RLE_DICTIONARY = 8 };
enum { PQ_DATA_PAGE = 0, PQ_DICTIONARY_PAGE = 2 };

/* Scratch shared by all columns of a writer. */
typedef struct pqw_scratch {
    dt_buf body;           /* an uncompressed page */
    dt_buf header;         /* a page header */
    uint32_t *levels32;    /* definition levels widened for the hybrid encoder */
    dt_pq_compressor comp;
} pqw_scratch;

/* How a column's values become their physical form (put_fixed). */
typedef enum pqw_xform {
    PQW_AS_IS,    /* the same bytes */
    PQW_NARROW32, /* int64 -> INT32 (times of day in millis) */
    PQW_BE16,     /* 16 bytes little-endian -> big-endian (decimal128) */
} pqw_xform;

/* How min/max statistics order a column's physical values. */
typedef enum pqw_order {
    PQW_SIGNED,   /* integers by value (bool, INT32, INT64), doubles, bytes unsigned */
    PQW_UNSIGNED, /* INT64 as unsigned (uint64) */
    PQW_BE_SIGNED, /* FIXED_LEN_BYTE_ARRAY as a big-endian signed number (decimal128) */
    PQW_NONE,     /* no order: no min/max (interval) */
} pqw_order;

typedef struct pqw_col {
    const dt_field *field;
    int ptype;           /* physical type */
    size_t width;        /* bytes per value in a batch (bool: 1); 0 for strings and binaries */
    size_t pwidth;       /* bytes per buffered (physical) value: width but for NARROW32 */
    pqw_xform xform;
    pqw_order order;
    size_t page_row_cap; /* rows per page */

    /* the data page being filled */
    uint8_t *levels; /* definition level per row: 1 present, 0 missing */
    size_t levels_cap;
    size_t page_rows, page_nulls;
    dt_buf vals;     /* PLAIN values (bool: one byte each, packed at the end) */
    uint32_t *idx;   /* dictionary indices of the page's present values */
    size_t nidx, idx_cap;

    /* the dictionary of this column chunk (strings and binaries) */
    bool dict_on;      /* still dictionary-encoding this chunk */
    dt_buf dict;       /* PLAIN entries: 4-byte length, bytes */
    uint32_t *dict_pos; /* entry -> offset in dict */
    uint64_t *dict_hash;
    size_t ndict, dict_cap;
    size_t dict_seen; /* values dictionary-encoded in this chunk */
    uint32_t *slots; /* open addressing: entry + 1, 0 empty */
    size_t nslots;

    /* the column chunk: data pages, compressed, with their headers */
    dt_buf chunk;
    uint64_t chunk_raw; /* the same, uncompressed */
    uint64_t rows, nulls, nans;
    uint32_t plain_pages, dict_pages; /* data pages by encoding */

    /* statistics of the chunk */
    bool has_mm;
    int64_t imin, imax; /* bool, INT32, INT64 (uint64: as its bits) */
    double dmin, dmax;
    dt_buf smin, smax;  /* BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY */
} pqw_col;

void pqw_col_init(pqw_col *c, const dt_field *f);
void pqw_col_free(pqw_col *c);
/* Appends rows [a, a+n) of batch column SRC (n fits the current row group).
 * Fails on a value the physical type cannot hold (a time of day in millis
 * past INT32), naming the column. */
int pqw_col_put(pqw_col *c, pqw_scratch *s, const dt_column *src, size_t a, size_t n, size_t dict_max);
/* Ends the current page (if any rows). */
int pqw_col_cut_page(pqw_col *c, pqw_scratch *s);
/* Bytes held for the current row group (the byte bound counts these). */
size_t pqw_col_buffered(const pqw_col *c);
/* Writes the finished chunk (dictionary page, data pages) to SINK at file
 * offset *OFFSET and appends its ColumnChunk metadata to META. Resets the
 * chunk for the next row group. *RAW and *COMP get its sizes. */
int pqw_col_flush(pqw_col *c, pqw_scratch *s, dt_sink sink, uint64_t *offset, dt_pq_codec codec,
                  struct dt_tw *meta, uint64_t *raw, uint64_t *comp);

#endif /* DT_PQ_WRITER_H */
