/*
 * meta.h: Parquet's metadata as the reader needs it (apache/parquet-format
 * parquet.thrift): FileMetaData with its SchemaElements, RowGroups and
 * ColumnChunks, and PageHeaders. Decoded from Thrift compact bytes by meta.c;
 * fields the reader does not use are skipped. Absent optional enums are -1.
 */
#ifndef DT_PQ_META_H
#define DT_PQ_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Physical types (Type). */
enum { PQ_BOOLEAN, PQ_INT32, PQ_INT64, PQ_INT96, PQ_FLOAT, PQ_DOUBLE, PQ_BYTE_ARRAY, PQ_FIXED };
/* FieldRepetitionType. */
enum { PQ_REQUIRED, PQ_OPTIONAL, PQ_REPEATED };
/* ConvertedType (legacy annotations). */
enum {
    PQ_CT_UTF8, PQ_CT_MAP, PQ_CT_MAP_KEY_VALUE, PQ_CT_LIST, PQ_CT_ENUM, PQ_CT_DECIMAL, PQ_CT_DATE,
    PQ_CT_TIME_MILLIS, PQ_CT_TIME_MICROS, PQ_CT_TIMESTAMP_MILLIS, PQ_CT_TIMESTAMP_MICROS,
    PQ_CT_UINT_8, PQ_CT_UINT_16, PQ_CT_UINT_32, PQ_CT_UINT_64, PQ_CT_INT_8, PQ_CT_INT_16,
    PQ_CT_INT_32, PQ_CT_INT_64, PQ_CT_JSON, PQ_CT_BSON, PQ_CT_INTERVAL
};
/* LogicalType union members (their field ids). */
enum {
    PQ_LT_NONE = 0, PQ_LT_STRING = 1, PQ_LT_MAP = 2, PQ_LT_LIST = 3, PQ_LT_ENUM = 4,
    PQ_LT_DECIMAL = 5, PQ_LT_DATE = 6, PQ_LT_TIME = 7, PQ_LT_TIMESTAMP = 8, PQ_LT_INTEGER = 10,
    PQ_LT_UNKNOWN = 11, PQ_LT_JSON = 12, PQ_LT_BSON = 13, PQ_LT_UUID = 14, PQ_LT_FLOAT16 = 15,
    PQ_LT_VARIANT = 16, PQ_LT_GEOMETRY = 17, PQ_LT_GEOGRAPHY = 18
};
/* TimeUnit union members. */
enum { PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };
/* Encoding. */
enum {
    PQ_ENC_PLAIN = 0, PQ_ENC_PLAIN_DICTIONARY = 2, PQ_ENC_RLE = 3, PQ_ENC_BIT_PACKED = 4,
    PQ_ENC_DELTA_BINARY_PACKED = 5, PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6, PQ_ENC_DELTA_BYTE_ARRAY = 7,
    PQ_ENC_RLE_DICTIONARY = 8, PQ_ENC_BYTE_STREAM_SPLIT = 9
};
/* CompressionCodec. */
enum {
    PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_LZO, PQ_CODEC_BROTLI,
    PQ_CODEC_LZ4, PQ_CODEC_ZSTD, PQ_CODEC_LZ4_RAW
};
/* PageType. */
enum { PQ_PAGE_DATA = 0, PQ_PAGE_INDEX = 1, PQ_PAGE_DICTIONARY = 2, PQ_PAGE_DATA_V2 = 3 };

typedef struct dt_pq_logical {
    int kind;               /* PQ_LT_*, PQ_LT_NONE when absent */
    int32_t scale, precision; /* DECIMAL */
    bool utc;               /* TIME, TIMESTAMP: isAdjustedToUTC */
    int unit;               /* TIME, TIMESTAMP: PQ_UNIT_* */
    int bit_width;          /* INTEGER */
    bool is_signed;         /* INTEGER */
} dt_pq_logical;

typedef struct dt_pq_schema_el {
    int type;               /* PQ_BOOLEAN.., -1 for groups */
    int32_t type_length;
    int repetition;         /* -1 if absent */
    char *name;
    int32_t num_children;
    int converted;          /* PQ_CT_*, -1 if absent */
    int32_t scale, precision;
    dt_pq_logical logical;
} dt_pq_schema_el;

typedef struct dt_pq_chunk {
    bool has_meta;          /* ColumnMetaData present (required to read) */
    bool external;          /* file_path set: data lives in another file */
    int type;
    int codec;
    int64_t num_values;
    int64_t total_compressed_size;
    int64_t data_page_offset;
    int64_t dictionary_page_offset; /* -1 if absent */
} dt_pq_chunk;

typedef struct dt_pq_row_group {
    int64_t num_rows;
    size_t ncol;
    dt_pq_chunk *cols;
} dt_pq_row_group;

typedef struct dt_pq_meta {
    int32_t version;
    int64_t num_rows;
    size_t nschema;
    dt_pq_schema_el *schema;
    size_t nrg;
    dt_pq_row_group *rgs;
    char *created_by;
    char *datom_schema;     /* key_value_metadata "datom.schema", if present */
    size_t datom_schema_len;
} dt_pq_meta;

/* The key under which datom's writer records its own kinds (docs/formats.md). */
#define DT_PQ_DATOM_SCHEMA_KEY "datom.schema"

typedef struct dt_pq_page_header {
    int type;
    int32_t uncompressed_size, compressed_size;
    bool has_data, has_dict, has_v2;
    /* DATA_PAGE, DICTIONARY_PAGE and DATA_PAGE_V2 share these */
    int32_t num_values;
    int encoding;
    /* DATA_PAGE */
    int def_encoding, rep_encoding;
    /* DATA_PAGE_V2 */
    int32_t num_nulls, num_rows;
    int32_t def_len, rep_len;
    bool is_compressed;
} dt_pq_page_header;

/* Decode FileMetaData from the footer bytes. On failure returns -1 and *why
 * says what is wrong (a static string); *m is left freed. */
int dt_pq_meta_decode(const uint8_t *p, size_t n, dt_pq_meta *m, const char **why);
void dt_pq_meta_free(dt_pq_meta *m);

/* Decode one PageHeader from p (at most n bytes); *used gets its length. */
int dt_pq_page_header_decode(const uint8_t *p, size_t n, dt_pq_page_header *h, size_t *used,
                             const char **why);

#endif /* DT_PQ_META_H */
