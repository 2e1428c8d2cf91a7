/* log.c: messages for people, on stderr, filtered by --verbose / --quiet;
 * the credentials of any URL in them hidden (redact.c) and control
 * characters escaped (printable.c), at every level. */
#include <stdlib.h>

#include "core.h"

int dt_log_level = DT_LOG_INFO;

void dt_log(int level, const char *fmt, ...)
{
    if (level > dt_log_level)
        return;
    dt_buf b = DT_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    dt_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    char *clean = dt_redact(dt_buf_cstr(&b)), *shown = dt_printable(clean);
    fprintf(stderr, "datom: %s\n", shown);
    free(shown);
    free(clean);
    dt_buf_free(&b);
}
