/*
 * log.c: log records and the root ref's value as bytes and back (log.h).
 *
 * A record's payload: a kind byte (1: a transaction), varints t, next_user,
 * next_db, the instant (zigzag), the datom count, then the datoms in the
 * segment coding (segment.h), each relative to the one before. The frame: a
 * little-endian u32 payload length and a u32 CRC-32C of the payload.
 *
 * The root ref is JSON (readable with `datom store cat-ref`), SHAs in hex.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "db/log.h"

#define KIND_TX 1

static uint64_t zz(int64_t x) { return ((uint64_t)x << 1) ^ (uint64_t)(x >> 63); }
static int64_t unzz(uint64_t x) { return (int64_t)(x >> 1) ^ -(int64_t)(x & 1); }

static void put_u32(uint8_t *p, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(x >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void dt_log_put_header(dt_buf *out)
{
    static const uint8_t h[DT_LOG_HEADER] = {'D', 'T', 'L', 'G', DT_LOG_VERSION, 0, 0, 0};
    dt_buf_append(out, h, sizeof h);
}

int dt_log_check_header(const uint8_t *p, size_t len, const char *what)
{
    if (len < DT_LOG_HEADER || memcmp(p, "DTLG", 4))
        return dt_error(DATOM_ECORRUPT, "%s: not a datom log", what);
    if (p[4] != DT_LOG_VERSION)
        return dt_error(DATOM_ECORRUPT, "%s: log format version %u (this datom reads %u)", what, p[4],
                        DT_LOG_VERSION);
    return 0;
}

void dt_log_put(dt_buf *out, const dt_txrec *r)
{
    size_t frame = out->len;
    dt_buf_reserve(out, DT_LOG_FRAME + 1 + 5 * 10);
    uint8_t *p = out->data + frame;
    memset(p, 0, DT_LOG_FRAME);
    p += DT_LOG_FRAME;
    *p++ = KIND_TX;
    p = dt_varint_raw(p, (uint64_t)r->t);
    p = dt_varint_raw(p, r->next_user);
    p = dt_varint_raw(p, r->next_db);
    p = dt_varint_raw(p, zz(r->instant));
    p = dt_varint_raw(p, r->n);
    out->len = (size_t)(p - out->data);
    for (size_t i = 0; i < r->n; i++)
        dt_dcode_put(out, &r->datoms[i], i ? &r->datoms[i - 1] : NULL);
    size_t len = out->len - frame - DT_LOG_FRAME;
    put_u32(out->data + frame, (uint32_t)len);
    put_u32(out->data + frame + 4, dt_crc32c(0, out->data + frame + DT_LOG_FRAME, len));
}

/* One payload whose CRC held; its datoms go to a growing array. */
static int parse_payload(const uint8_t *p, const uint8_t *end, dt_arena *arena, dt_txrec *r,
                         dt_datom **datoms, size_t *cap, const char **why)
{
    uint64_t t, nu, nd, inst, n;
    if (p >= end || *p++ != KIND_TX) {
        *why = "unknown record kind";
        return DATOM_ECORRUPT;
    }
    if (dt_varint_get(&p, end, &t) || dt_varint_get(&p, end, &nu) || dt_varint_get(&p, end, &nd) ||
        dt_varint_get(&p, end, &inst) || dt_varint_get(&p, end, &n) || t > (uint64_t)DT_T_MAX ||
        n > (uint64_t)(end - p)) {
        *why = "a record's head is bad";
        return DATOM_ECORRUPT;
    }
    if (n > *cap) {
        *cap = n;
        *datoms = dt_realloc(*datoms, n * sizeof **datoms);
    }
    for (size_t i = 0; i < n; i++) {
        int rc = dt_dcode_get(&p, end, i ? &(*datoms)[i - 1] : NULL, &(*datoms)[i], arena, why);
        if (rc)
            return rc;
        if ((*datoms)[i].tx != DT_TX_OF_T(t)) {
            *why = "a datom of another transaction";
            return DATOM_ECORRUPT;
        }
    }
    if (p != end) {
        *why = "bytes after a record's datoms";
        return DATOM_ECORRUPT;
    }
    *r = (dt_txrec){.t = (int64_t)t, .next_user = nu, .next_db = nd, .instant = unzz(inst),
                    .datoms = *datoms, .n = (size_t)n};
    return 0;
}

/* Can the bad bytes P[0..len) at the end of a log be an append that a crash
 * cut short? Yes when the record they start claims to reach the end (or
 * past it), or when they are all zero (a file extended before its data
 * reached the disk). Anything else, a bad record with more after it, is
 * damage: the log must not be cut there, or later transactions would go. */
static bool torn_tail(const uint8_t *p, size_t len)
{
    uint32_t n = get_u32(p);
    if (n > 0 && (uint64_t)n + DT_LOG_FRAME >= len)
        return true;
    for (size_t i = 0; i < len; i++)
        if (p[i])
            return false;
    return true;
}

int dt_log_scan(const uint8_t *p, size_t len, const char *what, dt_arena *arena, dt_log_fn fn,
                void *ctx, size_t *valid_end)
{
    size_t off = 0, cap = 0;
    dt_datom *datoms = NULL;
    int64_t last_t = -1;
    int rc = 0;
    while (rc == 0 && len - off >= DT_LOG_FRAME) {
        uint32_t n = get_u32(p + off), crc = get_u32(p + off + 4);
        if (n == 0 || n > DT_LOG_MAX_RECORD || n > len - off - DT_LOG_FRAME ||
            dt_crc32c(0, p + off + DT_LOG_FRAME, n) != crc) {
            if (torn_tail(p + off, len - off))
                break; /* the log ends here */
            rc = dt_error(DATOM_ECORRUPT, "%s: record at byte %zu is damaged and records follow it", what, off);
            break;
        }
        const uint8_t *body = p + off + DT_LOG_FRAME;
        dt_txrec r;
        const char *why = NULL;
        rc = parse_payload(body, body + n, arena, &r, &datoms, &cap, &why);
        if (rc == 0 && r.t <= last_t) {
            why = "records out of t order";
            rc = DATOM_ECORRUPT;
        }
        if (rc) {
            rc = dt_error(DATOM_ECORRUPT, "%s: record at byte %zu: %s", what, off, why);
            break;
        }
        last_t = r.t;
        if ((rc = fn(ctx, &r)))
            break;
        off += DT_LOG_FRAME + n;
    }
    free(datoms);
    *valid_end = off;
    return rc;
}

/* ---- the root ref ---- */

static json_t *tree_json(const dt_tree *t)
{
    char hex[DATOM_SHA_HEX] = "";
    if (t->count)
        dt_hex_encode(t->sha, 32, hex);
    return json_pack("{s:s,s:I}", "root", hex, "datoms", (json_int_t)t->count);
}

void dt_root_encode(const dt_root *r, dt_buf *out)
{
    json_t *trees = json_object();
    for (int o = 0; o < DT_ORDER_COUNT; o++)
        json_object_set_new(trees, dt_order_name((dt_order)o), tree_json(&r->trees[o]));
    json_t *log;
    if (r->objects) {
        char hex[DATOM_SHA_HEX] = "";
        if (r->head_t >= 0)
            dt_hex_encode(r->head, 32, hex);
        log = json_pack("{s:s,s:s,s:I}", "kind", "objects", "head", hex, "head_t", (json_int_t)r->head_t);
    } else {
        log = json_pack("{s:s,s:I}", "kind", "append", "offset", (json_int_t)r->log_offset);
    }
    json_t *j = json_pack("{s:i,s:I,s:I,s:I,s:I,s:o,s:o}", "format", DT_ROOT_FORMAT, "indexed_t",
                          (json_int_t)r->indexed_t, "next_user", (json_int_t)r->next_user, "next_db",
                          (json_int_t)r->next_db, "last_instant", (json_int_t)r->last_instant, "log", log,
                          "trees", trees);
    char *text = dt_json_compact(j);
    dt_buf_puts(out, text);
    free(text);
    json_decref(j);
}

static int sha_field(const char *hex, uint8_t out[32], bool *present)
{
    *present = hex && *hex;
    if (!*present)
        return 0;
    return dt_is_sha_hex(hex) ? dt_hex_decode(hex, out, 32) : -1;
}

static int root_bad(const char *what, const char *why)
{
    return dt_error(DATOM_ECORRUPT, "%s: damaged root (%s)", what, why);
}

static int decode_trees(json_t *trees, const char *what, dt_root *out)
{
    for (int o = 0; o < DT_ORDER_COUNT; o++) {
        json_t *t = json_object_get(trees, dt_order_name((dt_order)o));
        json_int_t count = 0;
        const char *hex = NULL;
        bool present;
        if (!t || json_unpack(t, "{s:s,s:I}", "root", &hex, "datoms", &count) || count < 0 ||
            sha_field(hex, out->trees[o].sha, &present) || present != (count > 0))
            return root_bad(what, dt_order_name((dt_order)o));
        out->trees[o].count = (uint64_t)count;
    }
    return 0;
}

int dt_root_decode(const void *p, size_t len, const char *what, dt_root *out)
{
    memset(out, 0, sizeof *out);
    json_t *j;
    if (dt_json_load_buf(what, p, len, &j))
        return dt_error(DATOM_ECORRUPT, "%s: damaged root (not JSON)", what);
    json_int_t format = 0, it = 0, nu = 0, nd = 0, li = 0, off = 0, ht = -1;
    json_t *log = NULL, *trees = NULL;
    const char *kind = NULL, *head = NULL;
    int rc = 0;
    if (json_unpack(j, "{s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "format", &format, "indexed_t", &it, "next_user", &nu,
                    "next_db", &nd, "last_instant", &li, "log", &log, "trees", &trees))
        rc = root_bad(what, "fields");
    else if (format != DT_ROOT_FORMAT)
        rc = dt_error(DATOM_ECORRUPT, "%s: root format %lld (this datom reads %d)", what,
                      (long long)format, DT_ROOT_FORMAT);
    else if (it < -1 || it > DT_T_MAX || nu < 0 || nd < 0 || json_unpack(log, "{s:s}", "kind", &kind))
        rc = root_bad(what, "values");
    if (rc == 0 && !strcmp(kind, "append")) {
        if (json_unpack(log, "{s:I}", "offset", &off) || off < 0)
            rc = root_bad(what, "log offset");
    } else if (rc == 0 && !strcmp(kind, "objects")) {
        bool present;
        out->objects = true;
        if (json_unpack(log, "{s:s,s:I}", "head", &head, "head_t", &ht) || ht < -1 || ht > DT_T_MAX ||
            sha_field(head, out->head, &present) || present != (ht >= 0))
            rc = root_bad(what, "log head");
    } else if (rc == 0) {
        rc = root_bad(what, "log kind");
    }
    if (rc == 0)
        rc = decode_trees(trees, what, out);
    if (rc == 0) {
        out->indexed_t = it;
        out->next_user = (uint64_t)nu;
        out->next_db = (uint64_t)nd;
        out->last_instant = li;
        out->log_offset = (uint64_t)off;
        out->head_t = ht;
    }
    json_decref(j);
    return rc;
}
