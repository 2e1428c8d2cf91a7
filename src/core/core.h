/*
 * core.h: the ground floor every other layer stands on.
 *
 * Errors: internal functions follow the public convention (0 or a negative
 * DATOM_E* code). dt_error() records a code and a message for the calling
 * thread and returns the code, so a failure is reported in one line:
 *     return dt_error(DATOM_ENOTFOUND, "%s: no such table", name);
 * dt_error_wrap() prefixes context to the message already recorded, so the
 * final message reads outer-to-inner ("write t1: data.csv:3:7: ragged row").
 *
 * Memory: dt_malloc and friends abort the process on exhaustion (as Redis's
 * zmalloc does): allocation failure is not an error path callers handle.
 * Sizes that come from outside data are checked against sane bounds *before*
 * anything is allocated from them.
 */
#ifndef DT_CORE_H
#define DT_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "datom.h"

#define DT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define DT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DT_MIN(a, b) ((a) < (b) ? (a) : (b))
#define DT_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- errors (error.c) ---- */
int dt_error(int code, const char *fmt, ...) DT_PRINTF(2, 3);
int dt_error_wrap(const char *fmt, ...) DT_PRINTF(1, 2); /* returns current code */
int dt_error_errno(int err, const char *fmt, ...) DT_PRINTF(2, 3); /* appends strerror */
struct dt_buf;
/* Records HEAD (what failed: a datom, a form), ": " and the reason; frees HEAD. */
int dt_error_head(int code, struct dt_buf *head, const char *fmt, va_list ap) DT_PRINTF(3, 0);
const char *dt_exit_name(int code);
int dt_exit_code(int code); /* process exit status for a DATOM_E* code */

/* ---- credentials in URLs (redact.c) ---- */
/* TEXT with the credentials of every URL in it hidden (user information and
 * secret-looking query values become ***); never NULL, caller frees. Every
 * recorded error message and log line passes through it. */
char *dt_redact(const char *text);
/* URL without its user information, for what is stored; *user and *pass
 * (may be NULL) get what was removed, percent-decoded (caller frees; NULL
 * when absent). A string that is no scheme://... URL is copied as is. */
char *dt_url_strip_userinfo(const char *url, char **user, char **pass);
/* S[0, n) with %XX escapes decoded (caller frees); NULL when an escape is
 * bad or decodes to NUL. */
char *dt_pct_decode(const char *s, size_t n);

/* ---- text for a terminal (printable.c) ---- */
/* S with control characters (C0, DEL, C1) and invalid UTF-8 spelled as C
 * escapes; caller frees. Every recorded error message and log line passes
 * through it. */
char *dt_printable(const char *s);
bool dt_is_printable(const char *s);
/* S for a message: printable, and when over MAX bytes cut to them with
 * "... (N bytes)", so a long name never crowds out the reason; caller frees. */
char *dt_shown(const char *s, size_t max);

/* ---- memory (mem.c) ---- */
void *dt_malloc(size_t n);
void *dt_calloc(size_t count, size_t size);
void *dt_realloc(void *p, size_t n);
char *dt_strdup(const char *s);
char *dt_strndup(const char *s, size_t n);
char *dt_sprintf(const char *fmt, ...) DT_PRINTF(1, 2);
/* Maps in the pages of [p, p + n) in one system call (2 MiB pages where
 * offered), for megabytes about to be written: a fault per 4 KiB page is
 * dear, very much so on virtual machines. A hint: it cannot fail. */
void dt_mem_populate(void *p, size_t n);

/* ---- growable byte buffer (buf.c) ---- */
typedef struct dt_buf {
    uint8_t *data; /* always NUL-terminated after any append, when non-NULL */
    size_t len;
    size_t cap;
} dt_buf;
#define DT_BUF_INIT {NULL, 0, 0}
void dt_buf_reserve(dt_buf *b, size_t extra);
/* dt_buf_reserve, with the room's pages mapped at once (dt_mem_populate). */
void dt_buf_reserve_mapped(dt_buf *b, size_t extra);
void dt_buf_append(dt_buf *b, const void *p, size_t n);
void dt_buf_puts(dt_buf *b, const char *s);
void dt_buf_putc(dt_buf *b, char c);
void dt_buf_printf(dt_buf *b, const char *fmt, ...) DT_PRINTF(2, 3);
void dt_buf_vprintf(dt_buf *b, const char *fmt, va_list ap) DT_PRINTF(2, 0);
const char *dt_buf_cstr(dt_buf *b); /* "" when empty */
void dt_buf_put_printable(dt_buf *b, const char *s); /* appends dt_printable(s) (printable.c) */
char *dt_buf_detach(dt_buf *b);     /* hands over data (NUL-terminated); b is reset */
void dt_buf_clear(dt_buf *b);       /* len = 0, keeps capacity */
void dt_buf_free(dt_buf *b);

/* ---- string list (buf.c) ---- */
typedef struct dt_strv {
    char **v;
    size_t n, cap;
} dt_strv;
#define DT_STRV_INIT {NULL, 0, 0}
void dt_strv_push(dt_strv *s, const char *str); /* copies */
void dt_strv_push_owned(dt_strv *s, char *str);
void dt_strv_sort(dt_strv *s); /* byte order */
void dt_strv_free(dt_strv *s);

/* ---- string -> number map, for lookups by the thousand (strmap.c) ---- */
typedef struct dt_strmap {
    char **keys; /* cap slots, NULL when empty */
    size_t *vals;
    size_t n, cap;
} dt_strmap;
#define DT_STRMAP_INIT {NULL, NULL, 0, 0}
size_t *dt_strmap_get(const dt_strmap *m, const char *key); /* NULL when absent */
size_t *dt_strmap_put(dt_strmap *m, const char *key, size_t val); /* copies KEY; its value slot */
void dt_strmap_free(dt_strmap *m);

/* ---- byte sinks: where streamed output goes (buf.c) ---- */
typedef struct dt_sink {
    int (*write)(void *ctx, const void *p, size_t n); /* 0 or DATOM_E* */
    void *ctx;
} dt_sink;
dt_sink dt_sink_buf(dt_buf *b);
dt_sink dt_sink_fd(int *fd); /* writes all of it, retrying short writes */
static inline int dt_sink_write(dt_sink s, const void *p, size_t n) { return s.write(s.ctx, p, n); }

/* ---- SHA-256 over OpenSSL (sha256.c) ---- */
#define DT_SHA256_LEN 32
typedef struct dt_sha256 {
    void *ctx; /* EVP_MD_CTX */
} dt_sha256;
void dt_sha256_init(dt_sha256 *h);
void dt_sha256_update(dt_sha256 *h, const void *p, size_t n);
void dt_sha256_final(dt_sha256 *h, uint8_t out[DT_SHA256_LEN]); /* also frees */
void dt_sha256_final_hex(dt_sha256 *h, char out[DATOM_SHA_HEX]);
void dt_sha256_abort(dt_sha256 *h);
void dt_sha256_hex(const void *p, size_t n, char out[DATOM_SHA_HEX]);
int dt_sha256_file(const char *path, char out[DATOM_SHA_HEX], uint64_t *size_out);
/* A sink that hashes and counts the bytes through it, then passes them to
 * NEXT (a sink whose write is NULL: nowhere). The caller finishes or aborts sha. */
typedef struct dt_hash_tee {
    dt_sha256 sha;
    uint64_t size;
    dt_sink next;
} dt_hash_tee;
void dt_hash_tee_init(dt_hash_tee *t, dt_sink next);
dt_sink dt_hash_tee_sink(dt_hash_tee *t);

/* ---- CRC-32C (crc32c.c): start with crc 0; feed pieces by chaining ---- */
uint32_t dt_crc32c(uint32_t crc, const void *p, size_t n);

/* ---- UTF-8 (utf8.c) ---- */
/* One scalar value at P (before END): its length in bytes (1-4), or 0 when
 * P does not start a valid, shortest, non-surrogate sequence (or it is cut
 * short by END). */
size_t dt_utf8_decode(const uint8_t *p, const uint8_t *end, uint32_t *cp);
/* CP (a scalar value) as UTF-8 into OUT: its length, 1 to 4. */
size_t dt_utf8_encode(uint32_t cp, char out[4]);
/* S[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
bool dt_utf8_valid(const char *s, size_t n);

/* ---- hex (hex.c) ---- */
void dt_hex_encode(const uint8_t *p, size_t n, char *out); /* out: 2n+1 */
int dt_hex_decode(const char *hex, uint8_t *out, size_t n); /* exactly 2n digits */
bool dt_is_sha_hex(const char *s);                           /* 64 lowercase hex */
bool dt_is_hex_prefix(const char *s, size_t min, size_t max);
int dt_hex_digit(char c); /* 0..15 for 0-9, a-f, A-F; else -1 */

/* ---- files (fs.c) ---- */
/* Reads FD to its end in reads of up to CAP bytes (an interrupted read is
 * retried) and writes each to SINK; WHAT names FD in messages. 0, the read
 * error, or the sink's first error. */
int dt_fs_copy_fd(int fd, size_t cap, const char *what, dt_sink sink);
/* Reads a whole file; the error names PATH. Refuses files above max_bytes. */
int dt_fs_read_all(const char *path, dt_buf *out, size_t max_bytes);
/* Writes a file atomically and durably: temp name in the same directory,
 * fsync, rename over PATH, fsync of the directory. */
int dt_fs_write_atomic(const char *path, const void *p, size_t n);
/* The pid in NAME when NAME is a temporary name dt_fs_write_atomic gave a
 * file BASE ("BASE.tmp.PID.XXXXXX": left behind by a process killed before
 * its rename), else 0. */
long dt_fs_atomic_tmp_pid(const char *name, const char *base);
/* PID names no process on this host (kill(PID, 0) answers ESRCH). */
bool dt_pid_gone(long pid);
int dt_fs_mkdirs(const char *path, int mode); /* mkdir -p */
int dt_fs_fsync_dir(const char *dir);
int dt_fs_rmtree(const char *path);
bool dt_fs_exists(const char *path);
bool dt_fs_is_dir(const char *path);
char *dt_path_join(const char *a, const char *b);
char *dt_path_dirname(const char *path);
/* PATH made absolute against the working directory and normalised by its
 * text alone (no "." or ".." segments, no doubled or trailing '/'), symbolic
 * links kept: what R's fs::path_abs() gives, so that a path written here
 * compares equal to one R writes for the same argument. */
char *dt_path_absolute(const char *path);
int dt_fs_write_all(int fd, const void *p, size_t n); /* retries short writes and EINTR */
int dt_fs_pwrite_all(int fd, const void *p, size_t n, uint64_t off); /* the same at OFF */

/* ---- JSON over jansson (json.c) ---- */
typedef struct json_t json_t;
/* Parses a file; a syntax error names PATH, line and column. */
int dt_json_load_file(const char *path, json_t **out);
int dt_json_load_buf(const char *what, const void *p, size_t n, json_t **out);
/* Pretty (2-space indent, keys in insertion order, trailing newline). */
char *dt_json_pretty(const json_t *j);
char *dt_json_compact(const json_t *j);
const char *dt_json_str(const json_t *obj, const char *key); /* NULL if absent or not a string */

/* ---- logging (log.c) ---- */
enum { DT_LOG_QUIET = 0, DT_LOG_INFO = 1, DT_LOG_VERBOSE = 2, DT_LOG_DEBUG = 3 };
extern int dt_log_level;
void dt_log(int level, const char *fmt, ...) DT_PRINTF(2, 3); /* to stderr */
#define dt_verbose(...) dt_log(DT_LOG_VERBOSE, __VA_ARGS__)
#define dt_debug(...) dt_log(DT_LOG_DEBUG, __VA_ARGS__)

/* ---- progress for long work: stderr, only when it is a TTY (progress.c) ---- */
typedef struct dt_progress dt_progress;
dt_progress *dt_progress_start(const char *label, uint64_t total); /* total 0: unknown */
bool dt_progress_wanted(void); /* would dt_progress_start draw? (skip work done only for it) */
void dt_progress_update(dt_progress *p, uint64_t done);
void dt_progress_end(dt_progress *p); /* clears the line; NULL is fine */

/* ---- time (time.c) ---- */
int64_t dt_now_ms(void);                 /* wall clock, ms since the epoch */
int64_t dt_monotonic_ns(void);
void dt_utc_iso(int64_t ms, char out[32]); /* "%Y-%m-%dT%H:%M:%SZ" */
void dt_utc_date(int64_t ms, char out[16]); /* "%Y-%m-%d" */

#endif /* DT_CORE_H */
