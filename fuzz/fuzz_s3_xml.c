/*
 * fuzz_s3_xml.c: libFuzzer target for the S3 backend's XML reader
 * (src/store/s3_xml.c), which reads what an S3 server answers: on any input
 * the listing parser and the element lookups must stay inside the input and
 * leak nothing (ASan), a listing that parses must hold keys without NUL and a
 * continuation token whenever it says it is truncated, and an element's text
 * must be shorter than the input (entities only shrink). Seeds:
 * fuzz/corpus/fuzz_s3_xml/ (docs/testing.md).
 */
#include <stdlib.h>
#include <string.h>

#include "store/s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    s3_listing l;
    if (s3_xml_listing(xml, size, &l) == 0) {
        if (l.truncated && (!l.next_token || !*l.next_token))
            abort();
        for (size_t i = 0; i < l.keys.n; i++)
            if (strlen(l.keys.v[i]) >= size + 1)
                abort();
        s3_listing_free(&l);
    }
    datom_errclear();
    static const char *const names[] = {"Code", "UploadId", "Key", "Message"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *t = s3_xml_text(xml, size, names[i]);
        if (t && strlen(t) > size)
            abort();
        free(t);
    }
    return 0;
}
