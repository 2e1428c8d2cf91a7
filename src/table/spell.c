/*
 * spell.c: values as text, the way CSV output, `datom cat` and JSON lines
 * spell them (rules in docs/formats.md, "CSV", "Writing"): shortest
 * round-trip doubles, decimals with every digit of their scale, ISO-8601
 * dates and timestamps (a Z on instants only), times of day and intervals
 * as DuckDB spells them. These run once per value written as text, so they
 * write into a caller's buffer with no allocation and no locale.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "table/table.h"

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

/* Decimal digits of v ending at end; returns where they start. */
static char *digits_u64(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* The spellers below write at o (room for DT_VALUE_MAX bytes) and return the end. */
static char *put_i64(char *o, int64_t v)
{
    char buf[24], *end = buf + sizeof buf;
    char *s = digits_u64(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--s = '-';
    memcpy(o, s, (size_t)(end - s));
    return o + (end - s);
}

static char *put2(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
    return o + 2;
}

/* YYYY-MM-DD (years outside 0..9999 as printf spells them). */
static char *put_date(char *o, int64_t days)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y >= 0 && y <= 9999) {
        o = put2(o, (unsigned)(y / 100));
        o = put2(o, (unsigned)(y % 100));
    } else {
        o += snprintf(o, 24, "%04" PRId64, y);
    }
    *o++ = '-';
    o = put2(o, m);
    *o++ = '-';
    return put2(o, d);
}

/* v units (per to the second) as whole seconds, floored, and the rest. */
static inline void split_units(int64_t v, int64_t per, int64_t *secs, int64_t *rest)
{
    *secs = v / per;
    *rest = v % per;
    if (*rest < 0) {
        *rest += per;
        (*secs)--;
    }
}

/* ".fff" for rest (0 <= rest < per) with as many digits as per has zeros,
 * trailing zeros dropped; nothing for 0. */
static char *put_fraction(char *o, int64_t rest, int64_t per)
{
    if (!rest)
        return o;
    *o++ = '.';
    for (int64_t div = per / 10; rest; div /= 10) {
        *o++ = (char)('0' + rest / div);
        rest %= div;
    }
    return o;
}

/* HH:MM:SS of secs (hours may pass 23: a time of day of 24:00:00, or a
 * hostile file's value, is spelled as it is). */
static char *put_clock(char *o, uint64_t secs)
{
    uint64_t h = secs / 3600;
    if (h < 100)
        o = put2(o, (unsigned)h);
    else
        o = put_i64(o, (int64_t)h);
    *o++ = ':';
    o = put2(o, (unsigned)(secs / 60 % 60));
    *o++ = ':';
    return put2(o, (unsigned)(secs % 60));
}

/* ISO-8601, the fraction only as long as it needs; a Z for an instant. */
static inline char *put_timestamp_per(char *o, int64_t v, int64_t per, bool utc)
{
    int64_t secs, rest, days, sod;
    split_units(v, per, &secs, &rest);
    split_units(secs, 86400, &days, &sod);
    o = put_date(o, days);
    *o++ = 'T';
    o = put_clock(o, (uint64_t)sod);
    o = put_fraction(o, rest, per);
    if (utc)
        *o++ = 'Z';
    return o;
}

/* One copy per unit, so that each divides by a constant (this runs once per
 * timestamp written as text). */
static char *put_timestamp(char *o, int64_t v, const dt_field *f)
{
    switch (f->unit) {
    case DT_UNIT_MS: return put_timestamp_per(o, v, 1000, f->utc);
    case DT_UNIT_NS: return put_timestamp_per(o, v, 1000000000, f->utc);
    default: return put_timestamp_per(o, v, 1000000, f->utc);
    }
}

/* A time of day as DuckDB and arrow spell it: HH:MM:SS[.fraction], and
 * +00 for a UTC time as DuckDB spells (and parses) its TIMETZ; negative
 * values, which no writer makes, with a sign. */
static char *put_time(char *o, int64_t v, const dt_field *f)
{
    uint64_t per = (uint64_t)dt_unit_per_second(f->unit);
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        *o++ = '-';
    o = put_clock(o, mag / per);
    o = put_fraction(o, (int64_t)(mag % per), (int64_t)per);
    if (f->utc)
        memcpy(o, "+00", 3), o += 3;
    return o;
}

static uint32_t ld_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* "N unit(s)", after a space when something is before it (o > start). */
static char *put_count(char *o, const char *start, uint32_t n, const char *unit)
{
    if (o > start)
        *o++ = ' ';
    o = put_i64(o, n);
    size_t len = strlen(unit);
    *o++ = ' ';
    memcpy(o, unit, len);
    o += len;
    if (n != 1)
        *o++ = 's';
    return o;
}

/* An interval as DuckDB spells (and parses) it: "1 year 2 months 3 days
 * 04:05:06.789"; parts that are zero left out, "00:00:00" for none. */
static char *put_interval(char *o, const uint8_t *p)
{
    uint32_t months = ld_u32le(p), days = ld_u32le(p + 4), ms = ld_u32le(p + 8);
    char *start = o;
    if (months / 12)
        o = put_count(o, start, months / 12, "year");
    if (months % 12)
        o = put_count(o, start, months % 12, "month");
    if (days)
        o = put_count(o, start, days, "day");
    if (ms || o == start) {
        if (o > start)
            *o++ = ' ';
        o = put_clock(o, ms / 1000);
        o = put_fraction(o, ms % 1000, 1000);
    }
    return o;
}

/* Fast path of put_double: a value that is exactly n / 10^p (as IEEE
 * division rounds it) for an integer n < 2^53 and p <= 15, tried with p
 * rising, so the first found is the shortest; written in fixed notation. */
static char *put_double_fixed(char *o, double v)
{
    static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    double a = fabs(v);
    if (!(a >= 1e-5 && a < 1e15))
        return NULL;
    for (int p = 0; p <= 15; p++) {
        double m = a * p10[p];
        if (m >= 9007199254740992.0)
            return NULL;
        double n = nearbyint(m);
        /* a = n / 10^p puts m within a few ulps of n: skip the division otherwise */
        if (fabs(m - n) > m * 0x1p-50 || n / p10[p] != a)
            continue;
        char buf[48], *end = buf + sizeof buf, *s = digits_u64(end, (uint64_t)n);
        while (end - s <= p) /* leading zeros of a fraction */
            *--s = '0';
        if (v < 0)
            *o++ = '-';
        size_t whole = (size_t)(end - s - p);
        memcpy(o, s, whole);
        o += whole;
        if (p > 0) {
            *o++ = '.';
            memcpy(o, end - p, (size_t)p);
            o += p;
        }
        return o;
    }
    return NULL;
}

/* The shortest decimal spelling that reads back as the same double. */
static char *put_double(char *o, double v)
{
    if (isnan(v))
        return memcpy(o, "NaN", 3), o + 3;
    if (isinf(v))
        return v > 0 ? (memcpy(o, "Inf", 3), o + 3) : (memcpy(o, "-Inf", 4), o + 4);
    if (v == 0)
        return signbit(v) ? (memcpy(o, "-0", 2), o + 2) : (*o = '0', o + 1);
    char *e = put_double_fixed(o, v);
    if (e)
        return e;
    char s[40];
    int prec;
    snprintf(s, sizeof s, "%.15g", v);
    if (strtod(s, NULL) == v) {
        for (prec = 1; prec < 15; prec++) {
            snprintf(s, sizeof s, "%.*g", prec, v);
            if (strtod(s, NULL) == v)
                break;
        }
        if (prec == 15)
            snprintf(s, sizeof s, "%.15g", v);
    } else {
        snprintf(s, sizeof s, "%.16g", v);
        if (strtod(s, NULL) != v)
            snprintf(s, sizeof s, "%.17g", v);
    }
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

/* A sign and the decimal digits of an unscaled value, with the point put
 * `scale` digits from the right (0.05, not .05). */
static char *put_scaled(char *o, bool neg, const char *digits, int n, int32_t scale)
{
    if (neg)
        *o++ = '-';
    if (scale <= 0 || scale > 38) {
        memcpy(o, digits, (size_t)n);
        return o + n;
    }
    if (n <= scale) {
        *o++ = '0';
        *o++ = '.';
        for (int i = n; i < scale; i++)
            *o++ = '0';
        memcpy(o, digits, (size_t)n);
        return o + n;
    }
    memcpy(o, digits, (size_t)(n - scale));
    o += n - scale;
    *o++ = '.';
    memcpy(o, digits + n - scale, (size_t)scale);
    return o + scale;
}

static char *put_decimal(char *o, int64_t unscaled, int32_t scale)
{
    char buf[24], *end = buf + sizeof buf;
    char *d = digits_u64(end, unscaled < 0 ? (uint64_t)0 - (uint64_t)unscaled : (uint64_t)unscaled);
    return put_scaled(o, unscaled < 0, d, (int)(end - d), scale);
}

/* A 128-bit little-endian two's complement unscaled value: its magnitude in
 * four 32-bit limbs, divided by 10^9 until nothing is left. */
static char *put_decimal128(char *o, const uint8_t *p, int32_t scale)
{
    bool neg = p[15] & 0x80;
    uint32_t limb[4]; /* most significant first */
    uint64_t carry = neg;
    for (int i = 0; i < 4; i++) {
        uint32_t w = ld_u32le(p + 4 * i);
        uint64_t x = neg ? (uint64_t)(uint32_t)~w + carry : w;
        carry = x >> 32;
        limb[3 - i] = (uint32_t)x;
    }
    char buf[48], *end = buf + sizeof buf, *d = end;
    bool zero;
    do {
        uint64_t rem = 0;
        zero = true;
        for (int i = 0; i < 4; i++) {
            uint64_t cur = rem << 32 | limb[i];
            limb[i] = (uint32_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
            zero &= limb[i] == 0;
        }
        for (int k = 0; k < 9 && (!zero || rem); k++, rem /= 10)
            *--d = (char)('0' + rem % 10);
    } while (!zero);
    if (d == end)
        *--d = '0';
    return put_scaled(o, neg, d, (int)(end - d), scale);
}

size_t dt_value_spell(const dt_column *c, size_t row, char *out)
{
    char *o = out;
    switch (c->field.kind) {
    case DT_BOOL:
        if (DT_COL(c, uint8_t)[row])
            memcpy(o, "true", 4), o += 4;
        else
            memcpy(o, "false", 5), o += 5;
        break;
    case DT_INT32: o = put_i64(o, DT_COL(c, int32_t)[row]); break;
    case DT_INT64:
    case DT_DURATION: o = put_i64(o, DT_COL(c, int64_t)[row]); break;
    case DT_UINT64: {
        char buf[24], *end = buf + sizeof buf, *d = digits_u64(end, DT_COL(c, uint64_t)[row]);
        memcpy(o, d, (size_t)(end - d));
        o += end - d;
        break;
    }
    case DT_DOUBLE: o = put_double(o, DT_COL(c, double)[row]); break;
    case DT_DATE: o = put_date(o, DT_COL(c, int32_t)[row]); break;
    case DT_TIMESTAMP: o = put_timestamp(o, DT_COL(c, int64_t)[row], &c->field); break;
    case DT_TIME: o = put_time(o, DT_COL(c, int64_t)[row], &c->field); break;
    case DT_DECIMAL: o = put_decimal(o, DT_COL(c, int64_t)[row], c->field.scale); break;
    case DT_DECIMAL128: o = put_decimal128(o, (const uint8_t *)c->vals + 16 * row, c->field.scale); break;
    case DT_INTERVAL: o = put_interval(o, (const uint8_t *)c->vals + 12 * row); break;
    default: break;
    }
    return (size_t)(o - out);
}

void dt_value_format(const dt_column *c, size_t row, dt_buf *out)
{
    if (!dt_col_is_valid(c, row))
        return;
    switch (c->field.kind) {
    case DT_STRING: {
        size_t n;
        const char *s = dt_col_str(c, row, &n);
        dt_buf_append(out, s, n);
        break;
    }
    case DT_BINARY: {
        size_t n;
        const uint8_t *s = (const uint8_t *)dt_col_str(c, row, &n);
        dt_buf_reserve(out, 2 * n);
        dt_hex_encode(s, n, (char *)out->data + out->len);
        out->len += 2 * n;
        break;
    }
    default:
        dt_buf_reserve(out, DT_VALUE_MAX);
        out->len += dt_value_spell(c, row, (char *)out->data + out->len);
        out->data[out->len] = '\0';
        break;
    }
}
