/*
 * datom.h: the whole public API of libdatom.
 *
 * Conventions (as in libgit2):
 *  - Every name starts with datom_. Handles are opaque structs, made by a
 *    datom_<noun>_open/new function and released by the matching _free/_close.
 *  - Functions that can fail return int: 0 (DATOM_OK) on success, a negative
 *    DATOM_E* code on failure. The message of the last failure on this thread is
 *    datom_errmsg(); it names the object, file, line or clause concerned.
 *  - Ownership: a pointer returned through an out-parameter is owned by the caller
 *    and freed with the function named beside it; a const char * returned
 *    directly is borrowed and stays valid as long as the handle that returned it.
 *  - Thread safety: handles are not shared between threads without a lock of the
 *    caller's; distinct handles may be used from distinct threads.
 */
#ifndef DATOM_H
#define DATOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------ */

enum {
    DATOM_OK = 0,
    DATOM_EINVAL = -1,       /* bad argument or malformed input */
    DATOM_ENOTFOUND = -2,    /* no such object, ref, table or version */
    DATOM_EEXISTS = -3,      /* create-only target already exists */
    DATOM_ECONFLICT = -4,    /* compare-and-swap lost: someone else moved it */
    DATOM_EIO = -5,          /* operating system or network failure */
    DATOM_ECORRUPT = -6,     /* stored bytes do not match their SHA, or a damaged file */
    DATOM_EUNSUPPORTED = -7, /* valid but not supported (yet) */
    DATOM_EAMBIGUOUS = -8,   /* a prefix that matches several things */
    DATOM_ELOCKED = -9,      /* held by another writer */
    DATOM_EINTERNAL = -10    /* a bug: please report */
};

/* The message of the last failure on the calling thread ("" if none). */
const char *datom_errmsg(void);
/* The code of the last failure on the calling thread (DATOM_OK if none). */
int datom_errcode(void);
/* Forget the last failure. */
void datom_errclear(void);

/* The library version, "MAJOR.MINOR.PATCH". */
const char *datom_version(void);

/* ---- stores -------------------------------------------------------------
 * A store holds immutable objects named by keys, and a few mutable refs changed
 * only by compare-and-swap. See docs/architecture.md for its guarantees.
 * URLs: "mem:" (in-process; "mem:NAME" shares one store by name within the
 * process), "file:///path" or a plain path (filesystem), "s3://..." (later).
 */
typedef struct datom_store datom_store;

#define DATOM_SHA_HEX 65        /* 64 lowercase hex digits and a NUL */
#define DATOM_REF_VERSION_MAX 80 /* room for a ref version token and its NUL */

/* How a store is opened (datom_store_open_ext's FLAGS, or-ed):
 *  DATOM_STORE_CREATE    make the store when it does not exist yet; without
 *                        it, a store that does not exist is DATOM_ENOTFOUND
 *  DATOM_STORE_READONLY  change nothing: puts, deletes and ref changes fail
 *                        with DATOM_EINVAL, and opening and reading write
 *                        nothing at all (not even the store's own internals),
 *                        so a store the caller may not write can be read */
enum { DATOM_STORE_CREATE = 1u << 0, DATOM_STORE_READONLY = 1u << 1 };
int datom_store_open_ext(datom_store **out, const char *url, unsigned flags);
/* datom_store_open_ext(out, url, DATOM_STORE_CREATE). */
int datom_store_open(datom_store **out, const char *url);
void datom_store_free(datom_store *st);

/* Objects. Keys are relative paths: '/'-separated, no "." or ".." segment, no
 * leading '/', no NUL or control bytes, at most 1024 bytes. */
int datom_store_put(datom_store *st, const char *key, const void *data, size_t len);
/* Streams a file into the store under KEY. */
int datom_store_put_file(datom_store *st, const char *key, const char *path);
/* Content-addressed: streams a file, names it PREFIX + its SHA-256 hex (PREFIX
 * may be "" or end in '/'), writes the hex to sha_out. Storing the same bytes
 * twice is a no-op. */
int datom_store_put_file_ca(datom_store *st, const char *prefix, const char *path,
                            char sha_out[DATOM_SHA_HEX]);
/* Reads [off, off+len) of KEY (len UINT64_MAX: to the end) into a new buffer,
 * freed with free(). */
int datom_store_get(datom_store *st, const char *key, uint64_t off, uint64_t len,
                    void **data_out, size_t *len_out);
/* Reads KEY into the file PATH (written atomically). */
int datom_store_get_file(datom_store *st, const char *key, const char *path);
/* Reads a content-addressed object (PREFIX + SHA) and verifies its SHA-256;
 * a mismatch is DATOM_ECORRUPT and nothing is written. */
int datom_store_get_file_ca(datom_store *st, const char *prefix, const char *sha,
                            const char *path);
/* 0 if KEY exists (its size in *size_out if not NULL), DATOM_ENOTFOUND if not. */
int datom_store_stat(datom_store *st, const char *key, uint64_t *size_out);
int datom_store_del(datom_store *st, const char *key);
/* Lists keys starting with PREFIX, in byte order, after START_AFTER (NULL: from
 * the first), at most LIMIT of them (0: no limit). keys_out is an array of *n_out strings,
 * freed with datom_strings_free; *more_out is 1 when more keys follow. */
int datom_store_list(datom_store *st, const char *prefix, const char *start_after,
                     size_t limit, char ***keys_out, size_t *n_out, int *more_out);
void datom_strings_free(char **strings, size_t n);

/* Refs: small mutable values with versions. ref_get gives the value (freed
 * with free()) and its version token. ref_cas replaces the value only if the
 * current version is EXPECTED (NULL: only if the ref does not exist), writes
 * the new version to new_version (may be NULL), and returns DATOM_ECONFLICT
 * (or DATOM_EEXISTS for create-only) when it lost. */
int datom_store_ref_get(datom_store *st, const char *name, void **value_out, size_t *len_out,
                        char version_out[DATOM_REF_VERSION_MAX]);
int datom_store_ref_cas(datom_store *st, const char *name, const char *expected,
                        const void *value, size_t len, char new_version[DATOM_REF_VERSION_MAX]);
/* Deletes a ref if its version is still EXPECTED. */
int datom_store_ref_del(datom_store *st, const char *name, const char *expected);

#ifdef __cplusplus
}
#endif
#endif /* DATOM_H */
