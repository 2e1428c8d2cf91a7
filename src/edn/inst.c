/*
 * inst.c: #inst and #uuid. An instant is read as clojure.instant reads
 * RFC 3339 (every field after the year optional, a fraction of any length
 * of which the first nine digits count, Z or an offset, a leap second 60
 * only in minute 59) and kept as UTC seconds and nanoseconds: the offset is
 * applied and forgotten. Only instants within years 0000 to 9999 in UTC are
 * kept, so that every instant prints as text that reads back.
 *
 * A UUID is the canonical 8-4-4-4-12 hex form (either case) and nothing
 * else (Java's UUID.fromString is laxer).
 */
#include <string.h>

#include "edn/edn_internal.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), and back. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* N digits at *P (before E) as a number; false if they are not there. */
static bool digits(const char **p, const char *e, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= e || **p < '0' || **p > '9')
            return false;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return true;
}

/* A field that follows SEP, if SEP is next: 1 read, 0 absent, -1 malformed. */
static int field(const char **p, const char *e, char sep, int *out)
{
    if (*p >= e || **p != sep)
        return 0;
    (*p)++;
    return digits(p, e, 2, out) ? 1 : -1;
}

typedef struct civil {
    int year, month, day, hour, min, sec;
    uint32_t nsec;
    int off_sign, off_h, off_m;
} civil;

/* YYYY(-MM(-DD(THH(:MM(:SS(.f+)?)?)?)?)?)? */
static const char *parse_fields(const char **pp, const char *e, civil *c)
{
    const char *p = *pp;
    if (!digits(&p, e, 4, &c->year))
        return "a four-digit year first";
    int r;
    int *next[] = {&c->month, &c->day, &c->hour, &c->min, &c->sec};
    const char seps[] = {'-', '-', 'T', ':', ':'};
    for (int i = 0; i < 5; i++) {
        if ((r = field(&p, e, seps[i], next[i])) < 0)
            return "two digits after each separator";
        if (r == 0) {
            *pp = p;
            return NULL;
        }
    }
    if (p < e && *p == '.') {
        p++;
        const char *f = p;
        while (p < e && *p >= '0' && *p <= '9') {
            if (p - f < 9)
                c->nsec = c->nsec * 10 + (uint32_t)(*p - '0');
            p++;
        }
        if (p == f)
            return "digits after the '.'";
        for (ptrdiff_t k = p - f; k < 9; k++)
            c->nsec *= 10;
    }
    *pp = p;
    return NULL;
}

static const char *parse_offset(const char *p, const char *e, civil *c)
{
    if (p == e)
        return NULL;
    if (*p == 'Z' && p + 1 == e)
        return NULL;
    if (*p != '+' && *p != '-')
        return "Z or an offset such as +01:00 at the end";
    c->off_sign = *p++ == '-' ? -1 : 1;
    if (!digits(&p, e, 2, &c->off_h) || p >= e || *p++ != ':' || !digits(&p, e, 2, &c->off_m) || p != e)
        return "an offset as +HH:MM";
    return NULL;
}

static const char *validate(const civil *c)
{
    if (c->month < 1 || c->month > 12)
        return "month out of range";
    if (c->day < 1 || (unsigned)c->day > days_in_month(c->year, (unsigned)c->month))
        return "day out of range";
    if (c->hour > 23 || c->min > 59 || c->sec > (c->min == 59 ? 60 : 59))
        return "time out of range";
    if (c->off_h > 23 || c->off_m > 59)
        return "offset out of range";
    return NULL;
}

const char *edn_inst_parse(const char *s, size_t n, int64_t *sec, uint32_t *nsec)
{
    civil c = {.month = 1, .day = 1};
    const char *p = s, *e = s + n;
    const char *why = parse_fields(&p, e, &c);
    if (!why)
        why = parse_offset(p, e, &c);
    if (!why)
        why = validate(&c);
    if (why)
        return why;
    int64_t t = days_from_civil(c.year, (unsigned)c.month, (unsigned)c.day) * 86400 + c.hour * 3600 +
                c.min * 60 + c.sec - (int64_t)c.off_sign * (c.off_h * 3600 + c.off_m * 60);
    if (!edn_inst_in_range(t))
        return "outside years 0000 to 9999 in UTC";
    *sec = t;
    *nsec = c.nsec;
    return NULL;
}

bool edn_inst_in_range(int64_t sec)
{
    static const int64_t lo = -62167219200LL;     /* 0000-01-01T00:00:00Z */
    static const int64_t hi = 253402300799LL;     /* 9999-12-31T23:59:59Z */
    return sec >= lo && sec <= hi;
}

size_t edn_inst_format(int64_t sec, uint32_t nsec, bool zulu, char out[48])
{
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t rem = sec - days * 86400, y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(out, 48, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d, (int)(rem / 3600),
                     (int)(rem / 60 % 60), (int)(rem % 60));
    if (nsec % 1000000 == 0)
        n += snprintf(out + n, 48 - (size_t)n, ".%03u", nsec / 1000000);
    else if (nsec % 1000 == 0)
        n += snprintf(out + n, 48 - (size_t)n, ".%06u", nsec / 1000);
    else
        n += snprintf(out + n, 48 - (size_t)n, ".%09u", nsec);
    n += snprintf(out + n, 48 - (size_t)n, "%s", zulu ? "Z" : "-00:00");
    return (size_t)n;
}

const char *edn_uuid_parse(const char *s, size_t n, uint8_t out[16])
{
    if (n != 36)
        return "a UUID is 36 characters, 8-4-4-4-12 hex digits";
    size_t k = 0;
    for (size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i++] != '-')
                return "hyphens after 8, 12, 16 and 20 hex digits";
            continue;
        }
        int hi = dt_hex_digit(s[i]), lo = dt_hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0)
            return "not a hex digit";
        out[k++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return NULL;
}

void edn_uuid_format(const uint8_t u[16], char out[37])
{
    char hex[33];
    dt_hex_encode(u, 16, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}
