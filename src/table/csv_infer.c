/*
 * csv_infer.c: the text of one CSV field as each kind the CSV reader knows
 * (bool, int64, uint64, double, date, timestamp, time), the kind-bit lattice
 * type inference narrows, and UTF-8 validation. The rules are in docs/formats.md ("CSV").
 *
 * These run once per field on the hot path, so they are hand-written loops
 * over (pointer, length) with no allocation and no locale.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "table/csv_internal.h"

static inline bool is_digit(char c) { return (unsigned char)(c - '0') < 10; }

bool dt_csv_parse_bool(const char *s, size_t n, bool *out)
{
    if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "TRUE", 4)))
        return *out = true, true;
    if (n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "FALSE", 5)))
        return *out = false, true;
    return false;
}

/* [+-]digits as a sign and a magnitude; false past 2^64 - 1. */
static bool parse_int(const char *s, size_t n, bool *neg, uint64_t *mag)
{
    size_t i = 0;
    *neg = false;
    if (n && (s[0] == '-' || s[0] == '+'))
        *neg = s[i++] == '-';
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *mag = v;
    return true;
}

static bool int_fits_i64(bool neg, uint64_t mag)
{
    return neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX;
}

bool dt_csv_parse_i64(const char *s, size_t n, int64_t *out)
{
    bool neg;
    uint64_t v;
    if (!parse_int(s, n, &neg, &v) || !int_fits_i64(neg, v))
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

bool dt_csv_parse_u64(const char *s, size_t n, uint64_t *out)
{
    bool neg;
    return parse_int(s, n, &neg, out) && !neg;
}

static bool parse_special(const char *s, size_t n, double *out)
{
    static const char *const inf[] = {"Inf", "inf", "Infinity", "infinity", "INF"};
    if ((n == 3 && (!memcmp(s, "NaN", 3) || !memcmp(s, "nan", 3) || !memcmp(s, "NAN", 3))))
        return *out = NAN, true;
    double sign = 1;
    if (n && (s[0] == '-' || s[0] == '+')) {
        sign = s[0] == '-' ? -1 : 1;
        s++, n--;
    }
    for (size_t i = 0; i < DT_ARRAY_LEN(inf); i++)
        if (n == strlen(inf[i]) && !memcmp(s, inf[i], n))
            return *out = sign * INFINITY, true;
    return false;
}

static double slow_strtod(const char *s, size_t n)
{
    char small[64];
    char *buf = n < sizeof small ? small : dt_malloc(n + 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    double v = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    return v;
}

/* Decimal syntax: [+-] digits [. digits] [e [+-] digits], with digits on at
 * least one side of the point. Values with at most 19 significant digits and
 * a small exponent are converted exactly by one IEEE multiply or divide
 * (Clinger's fast path); the rest go through strtod, which rounds correctly. */
bool dt_csv_parse_double(const char *s, size_t n, double *out)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '-' || s[0] == '+'))
        neg = s[i++] == '-';
    uint64_t m = 0;
    int nd = 0, exp10 = 0, digits = 0;
    bool exact = true;
    for (; i < n && is_digit(s[i]); i++, digits++) {
        if (nd < 19) {
            m = m * 10 + (unsigned)(s[i] - '0');
            nd += m != 0;
        } else {
            exact = false;
        }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && is_digit(s[i]); i++, digits++) {
            if (nd < 19) {
                m = m * 10 + (unsigned)(s[i] - '0');
                nd += m != 0;
                exp10--;
            } else {
                exact = false;
            }
        }
    }
    if (digits == 0)
        return parse_special(s, n, out);
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        if (i == n)
            return false;
        int e = 0;
        for (; i < n && is_digit(s[i]); i++)
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        exp10 += eneg ? -e : e;
    }
    if (i != n)
        return false;
    if (exact && m <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)m;
        v = exp10 < 0 ? v / p10[-exp10] : v * p10[exp10];
        *out = neg ? -v : v;
        return true;
    }
    *out = slow_strtod(s, n);
    return true;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits2(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/* YYYY-MM-DD at s (at least 10 bytes), as days. The digit checks are
 * branch-free: this runs twice for every date and timestamp in a file. */
static bool date_at(const char *s, int64_t *days)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned y0 = u[0] - '0', y1 = u[1] - '0', y2 = u[2] - '0', y3 = u[3] - '0';
    unsigned m0 = u[5] - '0', m1 = u[6] - '0', d0 = u[8] - '0', d1 = u[9] - '0';
    if ((u[4] != '-') | (u[7] != '-') | (y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (m0 > 9) |
        (m1 > 9) | (d0 > 9) | (d1 > 9))
        return false;
    unsigned y = y0 * 1000 + y1 * 100 + y2 * 10 + y3, m = m0 * 10 + m1, d = d0 * 10 + d1;
    static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m - 1 > 11 || d - 1 >= mdays[m - 1])
        return false;
    if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

bool dt_csv_parse_date(const char *s, size_t n, int32_t *out)
{
    int64_t days;
    if (n != 10 || !date_at(s, &days))
        return false;
    *out = (int32_t)days;
    return true;
}

/* HH:MM at s, range-checked; returns minutes. */
static bool hh_mm(const char *s, size_t n, int max_h, int *minutes)
{
    if (n < 5 || !all_digits(s, 2) || s[2] != ':' || !all_digits(s + 3, 2))
        return false;
    int h = digits2(s), m = digits2(s + 3);
    if (h > max_h || m > 59)
        return false;
    *minutes = h * 60 + m;
    return true;
}

/* The zone suffix: Z, +HH, +HHMM or +HH:MM (or -); *offset_min east of UTC. */
static bool parse_zone(const char *s, size_t n, int *offset_min)
{
    *offset_min = 0;
    if (n == 0)
        return true;
    if (n == 1 && (s[0] == 'Z' || s[0] == 'z'))
        return true;
    if (s[0] != '+' && s[0] != '-')
        return false;
    int sign = s[0] == '-' ? -1 : 1, h, m = 0;
    s++, n--;
    if (n != 2 && n != 4 && n != 5)
        return false;
    if (!all_digits(s, 2))
        return false;
    h = digits2(s);
    if (n == 4) {
        if (!all_digits(s + 2, 2))
            return false;
        m = digits2(s + 2);
    } else if (n == 5) {
        if (s[2] != ':' || !all_digits(s + 3, 2))
            return false;
        m = digits2(s + 3);
    }
    if (h > 23 || m > 59)
        return false;
    *offset_min = sign * (h * 60 + m);
    return true;
}

#define MIN_US (-62167219200000000LL)     /* 0000-01-01T00:00:00Z */
#define MAX_US (253402300799999999LL)     /* 9999-12-31T23:59:59.999999Z */

/* .fraction at s[*i]: microseconds, and the nanoseconds past them (digits
 * past nanoseconds are dropped); false if no digit follows the point. */
static bool parse_fraction(const char *s, size_t n, size_t *i, int64_t *us, int *sub_us)
{
    static const int32_t scale[] = {1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1};
    size_t start = ++*i;
    int64_t frac = 0;
    for (; *i < n && is_digit(s[*i]); ++*i)
        if (*i - start < 9)
            frac = frac * 10 + (s[*i] - '0');
    if (*i == start)
        return false;
    frac *= scale[DT_MIN(*i - start, 9)];
    *us = frac / 1000;
    *sub_us = (int)(frac % 1000);
    return true;
}

bool dt_csv_parse_timestamp(const char *s, size_t n, int64_t *out, int *sub_us)
{
    int64_t days;
    *sub_us = 0;
    if (n < 10 || !date_at(s, &days))
        return false;
    int64_t us = days * 86400000000LL;
    if (n == 10)
        return *out = us, true;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return false;
    size_t i = 11;
    int minutes, sec = 0;
    if (!hh_mm(s + i, n - i, 23, &minutes))
        return false;
    i += 5;
    int64_t frac = 0;
    if (i < n && s[i] == ':') {
        if (n - i < 3 || !all_digits(s + i + 1, 2))
            return false;
        sec = digits2(s + i + 1);
        if (sec > 60) /* 60: a leap second, read as the next minute's first */
            return false;
        i += 3;
        if (i < n && (s[i] == '.' || s[i] == ',') && !parse_fraction(s, n, &i, &frac, sub_us))
            return false;
    }
    int offset;
    if (!parse_zone(s + i, n - i, &offset))
        return false;
    us += ((int64_t)(minutes - offset) * 60 + sec) * 1000000 + frac;
    /* an offset may carry a time past year 9999 or before year 0: not ISO any more */
    if (us < MIN_US || us > MAX_US)
        return false;
    *out = us;
    return true;
}

bool dt_csv_timestamp_ns(int64_t us, int sub_us, int64_t *ns)
{
    return !__builtin_mul_overflow(us, 1000, ns) && !__builtin_add_overflow(*ns, sub_us, ns);
}

bool dt_csv_parse_time(const char *s, size_t n, int64_t *out)
{
    int minutes, sec = 0, sub;
    int64_t frac = 0;
    if (n && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
        n--;
    else if (n > 3 && !memcmp(s + n - 3, "+00", 3))
        n -= 3;
    else if (n > 6 && !memcmp(s + n - 6, "+00:00", 6))
        n -= 6;
    if (!hh_mm(s, n, 24, &minutes))
        return false;
    size_t i = 5;
    if (i < n && s[i] == ':') {
        if (n - i < 3 || !all_digits(s + i + 1, 2) || (sec = digits2(s + i + 1)) > 59)
            return false;
        i += 3;
        if (i < n && s[i] == '.' && !parse_fraction(s, n, &i, &frac, &sub))
            return false;
    }
    if (i != n)
        return false;
    *out = ((int64_t)minutes * 60 + sec) * 1000000 + frac;
    return *out <= 86400000000LL; /* 24:00:00 and no later */
}

/* The bits of [+-]digits: int64 and uint64 as they fit, and double. */
static unsigned int_bits(const char *s, size_t n, unsigned want)
{
    bool neg;
    uint64_t mag;
    if (!parse_int(s, n, &neg, &mag))
        return 0;
    unsigned got = ((want & DT_CSV_INT) && int_fits_i64(neg, mag) ? DT_CSV_INT : 0) |
                   ((want & DT_CSV_UINT) && !neg ? DT_CSV_UINT : 0);
    return got ? got | DT_CSV_DOUBLE : 0;
}

/* The bits of a date or timestamp: any timestamp; held exactly in
 * microseconds; in nanoseconds. Every date is also a timestamp. */
static unsigned time_bits(const char *s, size_t n, unsigned want)
{
    int32_t day;
    int64_t us = 0, ns;
    int sub = 0;
    unsigned got = 0;
    if ((want & DT_CSV_DATE) && dt_csv_parse_date(s, n, &day)) {
        got = DT_CSV_DATE | DT_CSV_TS_ANY | DT_CSV_TIMESTAMP;
        us = (int64_t)day * 86400000000LL, sub = 0;
    } else if ((want & (DT_CSV_TIMESTAMP | DT_CSV_TS_NS | DT_CSV_TS_ANY)) && dt_csv_parse_timestamp(s, n, &us, &sub)) {
        got = DT_CSV_TS_ANY | (sub ? 0 : DT_CSV_TIMESTAMP);
    }
    if (got) {
        if (dt_csv_timestamp_ns(us, sub, &ns))
            got |= DT_CSV_TS_NS;
    }
    return got;
}

unsigned dt_csv_classify(const char *s, size_t n, unsigned want)
{
    if (n == 0)
        return 0;
    if (want & DT_CSV_BOOL) {
        bool b;
        if (dt_csv_parse_bool(s, n, &b))
            return DT_CSV_BOOL;
    }
    if (want & (DT_CSV_INT | DT_CSV_UINT | DT_CSV_DOUBLE)) {
        unsigned got = want & (DT_CSV_INT | DT_CSV_UINT) ? int_bits(s, n, want) & want : 0;
        if (got)
            return got;
        double d;
        if ((want & DT_CSV_DOUBLE) && dt_csv_parse_double(s, n, &d))
            return DT_CSV_DOUBLE;
    }
    if ((want & DT_CSV_TIME)) {
        int64_t t;
        if (dt_csv_parse_time(s, n, &t))
            return DT_CSV_TIME;
    }
    if ((want & (DT_CSV_DATE | DT_CSV_TIMESTAMP | DT_CSV_TS_NS | DT_CSV_TS_ANY)) && n >= 10 && is_digit(s[0]))
        return time_bits(s, n, want) & want;
    return 0;
}

void dt_csv_set_kind(dt_field *f, unsigned bits)
{
    dt_kind k = bits & DT_CSV_BOOL ? DT_BOOL
              : bits & DT_CSV_INT ? DT_INT64
              : bits & DT_CSV_UINT ? DT_UINT64
              : bits & DT_CSV_DOUBLE ? DT_DOUBLE
              : bits & DT_CSV_DATE ? DT_DATE
              : bits & (DT_CSV_TIMESTAMP | DT_CSV_TS_NS) ? DT_TIMESTAMP
                                                          : DT_STRING;
    dt_field_set_kind(f, k);
    if (k == DT_TIMESTAMP && !(bits & DT_CSV_TIMESTAMP))
        f->unit = DT_UNIT_NS;
}

unsigned dt_csv_kind_bit(dt_kind k)
{
    switch (k) {
    case DT_BOOL: return DT_CSV_BOOL;
    case DT_INT32:
    case DT_INT64: return DT_CSV_INT;
    case DT_UINT64: return DT_CSV_UINT;
    case DT_DOUBLE: return DT_CSV_DOUBLE;
    case DT_DATE: return DT_CSV_DATE;
    case DT_TIMESTAMP: return DT_CSV_TS_ANY;
    case DT_TIME: return DT_CSV_TIME;
    case DT_STRING: return 0;
    default: return ~0u;
    }
}

size_t dt_utf8_prefix(const uint8_t *p, size_t n, bool *bad)
{
    size_t i = 0;
    *bad = false;
    while (i < n) {
        /* ASCII runs, eight bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t min;
        if (c >= 0xc2 && c <= 0xdf)
            len = 2, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            len = 3, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            len = 4, min = 0x10000;
        else
            return *bad = true, i;
        if (i + len > n) {
            /* cut by the end of the range: fine if what is there is valid so far */
            for (size_t k = i + 1; k < n; k++)
                if ((p[k] & 0xc0) != 0x80)
                    return *bad = true, i;
            return i;
        }
        uint32_t cp = c & (0xff >> (len + 1));
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return *bad = true, i;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return *bad = true, i;
        i += len;
    }
    return i;
}
