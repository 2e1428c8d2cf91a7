/*
 * histscan.h: a fast, read-only reading of version_history.json for the
 * commands that only show it (history, version lookup). A general JSON
 * parser builds a tree of every value; a table with 10,000 versions has a
 * 5 MB history that jansson takes ~100 ms to build and free. This scanner
 * makes one pass, keeps only the fields shown, and remembers where each entry's
 * text is, so `history --json` can print entries as stored.
 *
 * It accepts exactly JSON (RFC 8259); anything else is an error naming the
 * document and byte offset.
 */
#ifndef DT_HISTSCAN_H
#define DT_HISTSCAN_H

#include "core/core.h"

typedef struct dt_hist_entry {
    /* NUL-terminated, unescaped; NULL when absent or not a string */
    const char *version, *data_sha, *timestamp, *author_name, *author_email, *message,
        *parquet_sha, *original_file_sha;
    size_t start, end; /* the entry's object text: raw.data[start, end) */
} dt_hist_entry;

typedef struct dt_hist_scan {
    dt_hist_entry *v;
    size_t n;
    dt_buf raw;  /* the document as read (empty after dt_hist_scan_take) */
    dt_buf work; /* a copy whose strings are unescaped in place */
} dt_hist_scan;

/* Scans DOC (taken over: *doc is reset) read from WHAT. Checks that every
 * entry has a 64-hex version and data_sha. */
int dt_hist_scan_doc(dt_buf *doc, const char *what, dt_hist_scan *out);
/* The same without keeping the document as read (out->raw stays empty):
 * DOC itself is scanned in place, which spares a copy of megabytes when
 * nobody prints the entries' stored text. */
int dt_hist_scan_take(dt_buf *doc, const char *what, dt_hist_scan *out);
void dt_hist_scan_free(dt_hist_scan *s);

#endif /* DT_HISTSCAN_H */
