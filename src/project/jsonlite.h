/*
 * jsonlite.h: compact JSON spelled exactly as R's jsonlite::toJSON(x,
 * auto_unbox = TRUE) spells the same value after jsonlite::read_json(...,
 * simplifyVector = TRUE): the canonical text that metadata_sha hashes
 * (docs/formats.md, "metadata_sha").
 *
 * The rules (checked against jsonlite's sources, see docs/formats.md):
 *  - no whitespace; object keys in the order given;
 *  - an array of one scalar is written as the scalar (auto_unbox);
 *  - strings escape \" \\ \n \r \t \b \f, other bytes below 0x20 as \u00xx,
 *    and '/' only after '<'; everything else (UTF-8) verbatim;
 *  - integers within R's int range as digits; other numbers with jsonlite's
 *    digits = 4, which means at most 4 *decimal places* (not significant
 *    digits: that needs I(4)), trailing zeros dropped, so whole numbers have
 *    no decimal point; numbers at or above 2^31-1 or at or below 1e-5 in
 *    magnitude use printf "%.Ng" with N = ceil(min(17, max(1, log10|x|) + 4));
 *  - true, false, null as such.
 */
#ifndef DT_JSONLITE_H
#define DT_JSONLITE_H

#include "core/core.h"

/* Appends the jsonlite spelling of V to OUT. */
void dt_jsonlite_write(const json_t *v, dt_buf *out);
/* Appends the jsonlite spelling of one double (finite) to OUT. */
void dt_jsonlite_double(double v, dt_buf *out);

#endif /* DT_JSONLITE_H */
