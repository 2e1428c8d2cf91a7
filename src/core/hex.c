/* hex.c: lowercase hex, the spelling of every SHA in datom. */
#include <string.h>

#include "core.h"

void dt_hex_encode(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int dt_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int dt_hex_decode(const char *hex, uint8_t *out, size_t n)
{
    if (strlen(hex) != 2 * n)
        return dt_error(DATOM_EINVAL, "'%s': expected %zu hex digits", hex, 2 * n);
    for (size_t i = 0; i < n; i++) {
        int hi = dt_hex_digit(hex[2 * i]), lo = dt_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return dt_error(DATOM_EINVAL, "'%s': not hex", hex);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

bool dt_is_hex_prefix(const char *s, size_t min, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n >= min && n <= max;
}

bool dt_is_sha_hex(const char *s) { return dt_is_hex_prefix(s, 64, 64); }
