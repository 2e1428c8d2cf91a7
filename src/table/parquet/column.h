/*
 * column.h: one column of the Parquet reader: how its physical values map to
 * a dt_kind (the conversion chosen from the schema) and a cursor that walks a
 * column chunk's pages, decoding levels and values into dt_column rows.
 * reader.c owns the file and drives one cursor per column per row group.
 */
#ifndef DT_PQ_COLUMN_H
#define DT_PQ_COLUMN_H

#include "table/parquet/encoding.h"
#include "table/parquet/meta.h"
#include "table/parquet/source.h"
#include "table/table.h"

/* How a physical value becomes a column value. */
typedef enum dt_pq_conv {
    CV_BOOL,      /* BOOLEAN -> bool (copied) */
    CV_I32,       /* INT32 -> int32, date (copied) */
    CV_I64,       /* INT64 -> int64, uint64, timestamp, time, decimal (copied) */
    CV_U32,       /* INT32 (unsigned) -> uint64 */
    CV_WIDEN32,   /* INT32 -> time (ms), decimal */
    CV_F32, CV_F64, CV_F16,
    CV_INT96,     /* INT96 -> timestamp (ns) */
    CV_DEC_BYTES, /* big-endian FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY -> decimal */
    CV_DEC128,    /* the same -> decimal128 */
    CV_DEC_TEXT,  /* the same, wider than 38 digits -> its text, a string */
    CV_STRING, CV_BINARY, CV_UUID,
    CV_INTERVAL   /* FIXED_LEN_BYTE_ARRAY(12) -> interval (copied) */
} dt_pq_conv;

typedef struct dt_pq_col {
    /* from the schema */
    int ptype, width, max_def;
    dt_pq_conv conv;
    int scale;         /* CV_DEC_TEXT */
    size_t chunk;      /* values decoded at a time (fewer for wide values) */
    bool copy;         /* values keep their bytes: decoded straight into the column */
    /* the chunk being read */
    int codec;
    const dt_pq_src *src;
    uint64_t pos, end;   /* the file offsets of the chunk's next page and its end */
    dt_pq_rbuf raw;      /* bytes read from the chunk: the page's header and body, */
    uint64_t raw_at;     /* and maybe more, from this offset */
    size_t raw_len;      /* for this many bytes */
    size_t ahead;        /* bytes of the chunk a read takes at least (set by the reader) */
    bool have_dict;
    dt_pq_dict dict;
    uint8_t *dict_buf;
    uint8_t *page_buf;
    size_t page_cap;
    int64_t page_left;
    bool has_levels;
    dt_pq_rle def;
    dt_pq_vdec *vdec;
    uint8_t *fixed;
    dt_pq_slice *slices;
    uint8_t *present;  /* per row of a chunk: 1 if it has a value */
    dt_buf text;      /* scratch for values spelt out */
    bool unsupported; /* the last failure was a valid value datom cannot hold */
    int read_err;     /* the last failure was a read: its dt_pq_src_read code */
} dt_pq_col;

/* scale: digits after the point of decimals spelt as text (CV_DEC_TEXT). */
void dt_pq_col_init(dt_pq_col *c, int ptype, int width, int max_def, dt_pq_conv conv, int scale);
void dt_pq_col_free(dt_pq_col *c);
/* Points the cursor at a column chunk: bytes [start, end) of src, which the
 * caller has checked lie inside it. */
void dt_pq_col_start(dt_pq_col *c, const dt_pq_src *src, int codec, uint64_t start, uint64_t end);
/* Appends the next n rows to out; -1 with a static reason in *why. */
int dt_pq_col_read(dt_pq_col *c, dt_column *out, size_t n, const char **why);
/* Whether the chunk's pages hold values beyond the rows read. */
bool dt_pq_col_has_leftover(const dt_pq_col *c);

#endif /* DT_PQ_COLUMN_H */
