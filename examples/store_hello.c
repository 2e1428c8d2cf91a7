/* store_hello.c: the smallest program on libdatom: store bytes by content, read them back. */
#include <datom.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    datom_store *st;
    if (datom_store_open(&st, "mem:") != DATOM_OK) {
        fprintf(stderr, "open: %s\n", datom_errmsg());
        return 1;
    }
    const char *text = "hello, immutable world\n";
    void *back = NULL;
    size_t len = 0;
    int rc = datom_store_put(st, "greetings/hello.txt", text, strlen(text));
    if (rc == DATOM_OK)
        rc = datom_store_get(st, "greetings/hello.txt", 0, UINT64_MAX, &back, &len);
    if (rc != DATOM_OK)
        fprintf(stderr, "datom: %s\n", datom_errmsg());
    else
        fwrite(back, 1, len, stdout);
    free(back);
    datom_store_free(st);
    return rc == DATOM_OK ? 0 : 1;
}
