/* log.c: messages for people, on stderr, filtered by --verbose / --quiet. */
#include "core.h"

int dt_log_level = DT_LOG_INFO;

void dt_log(int level, const char *fmt, ...)
{
    if (level > dt_log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("datom: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
