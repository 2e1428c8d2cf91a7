/*
 * s3_xml.c: the few XML documents an S3 server answers with, read by a small
 * scanner that knows just enough XML for them: ListObjectsV2 pages, error
 * bodies (<Error><Code>...), InitiateMultipartUpload (<UploadId>) and
 * CompleteMultipartUpload results (which may be an <Error> under a 200).
 *
 * The input is outside data: every read is bounded by LEN (no NUL needed),
 * entities are decoded strictly (&amp; &lt; &gt; &quot; &apos; and numeric
 * references to valid, non-NUL code points; anything else is an error), and
 * nothing is allocated from a size the document states. fuzz/fuzz_s3_xml.c
 * drives it.
 */
#include <stdlib.h>
#include <string.h>

#include "store/s3.h"

#define NAME_MAX_LEN 64

typedef struct scan {
    const char *p, *end;
} scan;

/* Appends code point CP as UTF-8; false for one no document may hold. */
static bool put_utf8(dt_buf *b, unsigned long cp)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return false;
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    dt_buf_append(b, u, n);
    return true;
}

/* Decodes one entity at P (after '&') up to ';'; the position after it, or NULL. */
static const char *entity(const char *p, const char *end, dt_buf *b)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    const char *semi = memchr(p, ';', (size_t)DT_MIN(end - p, 12));
    if (!semi)
        return NULL;
    size_t n = (size_t)(semi - p);
    for (size_t i = 0; i < DT_ARRAY_LEN(named); i++)
        if (n == strlen(named[i].name) && !memcmp(p, named[i].name, n)) {
            dt_buf_putc(b, named[i].c);
            return semi + 1;
        }
    if (n < 2 || p[0] != '#')
        return NULL;
    bool hex = p[1] == 'x';
    unsigned long cp = 0;
    const char *d = p + 1 + hex;
    if (d == semi)
        return NULL;
    for (; d < semi; d++) {
        int v = hex ? dt_hex_digit(*d) : (*d >= '0' && *d <= '9' ? *d - '0' : -1);
        if (v < 0 || cp > 0x10FFFF)
            return NULL;
        cp = cp * (hex ? 16 : 10) + (unsigned long)v;
    }
    return put_utf8(b, cp) ? semi + 1 : NULL;
}

/* The decoded text of [p, end) into B; false on a bad entity or a '<'. */
static bool text(const char *p, const char *end, dt_buf *b)
{
    dt_buf_clear(b);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if (memchr(p, '<', (size_t)(stop - p)) || memchr(p, '\0', (size_t)(stop - p)))
            return false;
        dt_buf_append(b, p, (size_t)(stop - p));
        if (!amp)
            break;
        if (!(p = entity(amp + 1, end, b)))
            return false;
    }
    dt_buf_putc(b, '\0'); /* so an empty text is "" */
    b->len--;
    return true;
}

/* The next tag: its name (NUL-terminated in NAME), whether it closes, and
 * whether it is empty (<a/>); *text_from is where the text after it starts.
 * 0 at the end, 1 for a tag, -1 on malformed input. */
static int next_tag(scan *s, char name[NAME_MAX_LEN], bool *closing, bool *empty)
{
    for (;;) {
        const char *lt = memchr(s->p, '<', (size_t)(s->end - s->p));
        if (!lt)
            return 0;
        const char *gt = memchr(lt, '>', (size_t)(s->end - lt));
        if (!gt)
            return -1;
        s->p = gt + 1;
        const char *n = lt + 1;
        if (n < gt && (*n == '?' || *n == '!'))
            continue; /* a declaration or comment (no '>' inside, as S3 writes them) */
        *closing = n < gt && *n == '/';
        n += *closing;
        *empty = gt > n && gt[-1] == '/';
        size_t len = strcspn(n, " \t\r\n/>");
        if (n + len > gt)
            len = (size_t)(gt - n);
        if (len == 0 || len >= NAME_MAX_LEN)
            return -1;
        memcpy(name, n, len);
        name[len] = '\0';
        return 1;
    }
}

/* The text up to the next '<' after the current tag, decoded. */
static bool tag_text(scan *s, dt_buf *b)
{
    const char *lt = memchr(s->p, '<', (size_t)(s->end - s->p));
    if (!lt)
        return false;
    bool ok = text(s->p, lt, b);
    s->p = lt;
    return ok;
}

char *s3_xml_text(const char *xml, size_t len, const char *name)
{
    scan s = {xml, xml + len};
    char tag[NAME_MAX_LEN];
    bool closing, empty;
    int k;
    while ((k = next_tag(&s, tag, &closing, &empty)) == 1) {
        if (closing || strcmp(tag, name))
            continue;
        if (empty)
            return dt_strdup("");
        dt_buf b = DT_BUF_INIT;
        if (tag_text(&s, &b))
            return b.data ? dt_buf_detach(&b) : dt_strdup("");
        dt_buf_free(&b);
        return NULL;
    }
    return NULL;
}

void s3_listing_free(s3_listing *l)
{
    dt_strv_free(&l->keys);
    free(l->next_token);
    memset(l, 0, sizeof *l);
}

static int listing_error(s3_listing *l, const char *why)
{
    s3_listing_free(l);
    return dt_error(DATOM_EIO, "S3 listing: malformed answer (%s)", why);
}

/* One element of a page: a key inside <Contents>, or a field of the page. */
static int listing_field(scan *s, const char *tag, bool in_contents, s3_listing *l, dt_buf *b)
{
    bool want = (in_contents && !strcmp(tag, "Key")) || (!in_contents && (!strcmp(tag, "IsTruncated") ||
                                                                        !strcmp(tag, "NextContinuationToken")));
    if (!want)
        return 0;
    if (!tag_text(s, b))
        return -1;
    const char *v = dt_buf_cstr(b);
    if (!strcmp(tag, "Key"))
        dt_strv_push(&l->keys, v);
    else if (!strcmp(tag, "IsTruncated"))
        l->truncated = !strcmp(v, "true");
    else if (!l->next_token)
        l->next_token = dt_strdup(v);
    return 0;
}

int s3_xml_listing(const char *xml, size_t len, s3_listing *out)
{
    memset(out, 0, sizeof *out);
    scan s = {xml, xml + len};
    char tag[NAME_MAX_LEN];
    bool closing, empty, in_contents = false, root = false;
    dt_buf b = DT_BUF_INIT;
    int k;
    while ((k = next_tag(&s, tag, &closing, &empty)) == 1) {
        if (!strcmp(tag, "ListBucketResult"))
            root = true;
        if (!strcmp(tag, "Contents")) {
            in_contents = !closing && !empty;
            continue;
        }
        if (!closing && !empty && listing_field(&s, tag, in_contents, out, &b) != 0) {
            dt_buf_free(&b);
            return listing_error(out, "bad text in an element");
        }
    }
    dt_buf_free(&b);
    if (k < 0)
        return listing_error(out, "a tag is not closed");
    if (!root)
        return listing_error(out, "no ListBucketResult");
    if (out->truncated && (!out->next_token || !*out->next_token))
        return listing_error(out, "truncated without a continuation token");
    return 0;
}
