/*
 * tables.h: the table operations of a project (docs/formats.md, "Table
 * documents"): write a version, read any version, history, listing, lineage,
 * onboarding of input files, validation.
 *
 * Where state comes from: a developer project (p->git set) reads the
 * committed state (git HEAD, never uncommitted files, so an interrupted write
 * is invisible); a store-only reader (p->git NULL) reads the store mirror.
 * Bytes always come from the store, checked against parquet_sha before they
 * are parsed.
 */
#ifndef DT_TABLES_H
#define DT_TABLES_H

#include "project/project.h"
#include "table/csv.h"

/* The manifest's place in the work tree. */
#define DT_MANIFEST_PATH ".datom/manifest.json"

/* ---- state.c: the committed (or mirrored) documents ---- */

/* The current metadata and history of TABLE. An unknown table is
 * DATOM_ENOTFOUND naming it. Either out may be NULL. */
int dt_table_load(dt_project *p, const char *table, json_t **meta_out, json_t **history_out);
/* A name a write may give a NEW table (an existing one is always fine, as
 * R made it): not ending in a space, and not equal, ignoring case, to a
 * table the project has: DATOM_EINVAL or DATOM_EEXISTS naming both. */
int dt_table_name_new_check(dt_project *p, const char *table);
/* The manifest (an empty one when the project has none yet). */
int dt_manifest_load(dt_project *p, json_t **out);
/* The metadata of one version of TABLE (VERSION NULL: the current one; else a
 * metadata_sha or a prefix of 6+ hex digits). */
int dt_table_version(dt_project *p, const char *table, const char *version, json_t **meta_out);
/* One version of a table, as its history records it. */
typedef struct dt_version_ref {
    char version[DATOM_SHA_HEX];
    char data_sha[DATOM_SHA_HEX];
    char parquet_sha[DATOM_SHA_HEX]; /* "" when not recorded */
} dt_version_ref;
/* Resolves SPEC (a metadata_sha or a prefix of 6+ hex digits) in TABLE's history. */
int dt_table_resolve(dt_project *p, const char *table, const char *spec, dt_version_ref *out);
/* The history of TABLE scanned without building a JSON tree (histscan.h);
 * KEEP_RAW: keep the document's text too (to print entries as stored). */
struct dt_hist_scan;
int dt_table_history_scan(dt_project *p, const char *table, bool keep_raw,
                          struct dt_hist_scan *out);
/* A scratch directory for temporary files (caller frees). */
char *dt_project_tmpdir(dt_project *p);
/* Removes temporary files left in .datom/cache/tmp by processes that died. */
void dt_project_tmp_sweep(dt_project *p);
/* Work-tree relative paths of a table's documents (caller frees). */
char *dt_table_path(const char *table, const char *file);

/* ---- write.c ---- */
typedef struct dt_write_opts {
    const char *message;            /* NULL: "Update {table}" */
    const char *const *parents;     /* "TABLE@VERSION" */
    size_t n_parents;
    const char *const *meta;        /* "key=value" into custom */
    size_t n_meta;
    bool derived;                   /* table_type "derived" (implied by parents) */
    bool force;                     /* parse even when the input file is unchanged */
    bool int64_as_i64;              /* hash int64 columns as i64 (R integer64) */
    const dt_csv_options *csv;      /* NULL: defaults */
    const char *author;             /* "Name <email>"; NULL: git configuration */
    const char *sync_status;        /* set by sync: message "Sync {table} ({status})" */
} dt_write_opts;

typedef struct dt_write_result {
    char data_sha[DATOM_SHA_HEX];
    char metadata_sha[DATOM_SHA_HEX];
    char commit_sha[41];            /* "" when nothing was committed */
    const char *action;             /* "none", "metadata_only" or "full" */
    bool skipped;                   /* an unchanged input file: not even parsed */
    bool repaired;                  /* the stored object of this content was damaged or
                                     * missing, and this write stored it again */
} dt_write_result;

/* Writes FILE (CSV or Parquet) as a new version of TABLE (docs/formats.md,
 * "Writing a version"). */
int dt_table_write(dt_project *p, const char *table, const char *file, const dt_write_opts *o,
                   dt_write_result *r);
/* ---- mirror.c ---- */
/* Copies to the store mirror, from HEAD, the documents of TABLE (may be NULL)
 * and of every table whose mirror lags (told by the mirrored manifest), then
 * the manifest: frozen copy, history, metadata, manifest last (idempotent;
 * heals what a crash or a failed push left behind). */
int dt_table_mirror(dt_project *p, const char *table);
/* True when the store mirror shows METADATA_SHA as TABLE's current version. */
bool dt_table_mirror_current(dt_project *p, const char *table, const char *metadata_sha);
/* True when TABLE's mirror, or the mirrored manifest, differs from HEAD. */
bool dt_mirror_needed(dt_project *p, const char *table, const char *metadata_sha);
/* Puts into the store mirror the frozen copy of TABLE@VERSION, found in git
 * history (the metadata.json of a commit that hashes to VERSION): a write
 * whose mirror a crash cut short left it out. DATOM_ENOTFOUND when no commit
 * has it. */
int dt_mirror_recover_frozen(dt_project *p, const char *table, const char *version);
/* True when the mirror has a frozen copy of TABLE@VERSION that hashes to it. */
bool dt_mirror_frozen_ok(dt_project *p, const char *table, const char *version);
/* Brings every table's mirrored documents, then the mirrored manifest, up
 * to HEAD where they differ (`datom repair`; a write mirrors only the tables
 * the mirrored manifest shows lagging). DONE gets one line per table. */
int dt_mirror_all(dt_project *p, dt_strv *done);
/* Puts one document (pretty JSON) under REL in the project's namespace. */
int dt_mirror_put(dt_project *p, const char *rel, const json_t *doc);
/* DATOM_TEST_CRASH_AT=STEP: SIGKILL at that step (the crash tests);
 * DATOM_TEST_STOP_AT=STEP: SIGSTOP there (a test acts, then sends SIGCONT). */
void dt_crash_point(const char *step);

/* ---- repair.c: what an interrupted write leaves, and `datom repair` ---- */
/* The documents an interrupted write left in the work tree, appended to DOCS:
 * every table's metadata.json and version_history.json, and the manifest,
 * that differ from HEAD (edited or staged), and those of a first write that
 * was never committed (untracked, in a directory HEAD has no table of). */
int dt_leftover_docs(dt_project *p, dt_strv *docs);
/* Where discarded copies go, under the work tree (git ignores .datom/cache). */
#define DT_LEFTOVERS_DIR ".datom/cache/leftovers"
/* Where a write marks the table whose documents it is about to write. */
#define DT_WRITING_DIR ".datom/cache/writing"
/* Marks TABLE before its documents are written, unmarks it once committed: a
 * mark that stays names a write that did not finish. */
int dt_leftover_mark(dt_project *p, const char *table);
void dt_leftover_unmark(dt_project *p, const char *table);
/* Puts the documents interrupted writes left back as HEAD has them (index
 * entries too): those of the marked tables and the manifest, and with FULL
 * every leftover dt_leftover_docs finds (a walk of the work tree: repair).
 * Each uncommitted copy is moved first to DT_LEFTOVERS_DIR/{ms}-{pid}/
 * (nothing is destroyed; a user's copy of another project's table, say, is
 * not touched); DISCARDED (may be NULL) gets the paths put back. Run under the
 * write lock, before a pull (a replay refuses a dirty work tree). */
int dt_discard_leftovers(dt_project *p, bool full, dt_strv *discarded);
/* `datom pull` (PUSH false) or `datom push` of a project: under the write
 * lock, so that HEAD never moves under a write of the same work tree, after
 * discarding an interrupted write's leftovers (which would stop a replay);
 * then, when nothing is left unpushed, the store mirror is brought up to HEAD
 * (what a crash or a failed push left behind). */
int dt_project_exchange(dt_project *p, bool push);
/* The versions an earlier datom dropped from the tables' histories (a write
 * committing from a stale index put back an older history): one walk of git
 * history reads every committed TABLE/metadata.json, and each version its
 * table's history lacks is given back as the entry its write made (from that
 * metadata.json, and that commit's author and message). *found: an object,
 * table -> array of entries, newest first; empty when nothing was lost.
 * *after (when AFTER is not NULL): table -> array parallel to the entries, the
 * version written next after each (from the same walk), or null. */
int dt_lost_versions(dt_project *p, json_t **found, json_t **after);
/* `datom repair`: when validation finds anything (a look taken without the
 * lock: a sound project is left alone), under the write lock: discards
 * leftovers, pulls, puts back the versions an earlier datom dropped from a
 * history and rebuilds a manifest that disagrees with the tables (commits by
 * AUTHOR, "Name <email>", NULL: git's configuration), pushes what is not
 * pushed, recovers every missing or damaged frozen copy from git history and
 * brings the mirror up to HEAD. DONE gets one line per thing repaired.
 * Objects whose bytes are missing or damaged cannot be rebuilt here
 * (validate names them; a write of their file with --force stores them
 * again). DEEP: the look re-hashes every object. */
struct dt_validate_report;
int dt_project_repair(dt_project *p, bool deep, const char *author, dt_strv *done,
                      struct dt_validate_report *after);
/* AFTER: the validation that ends the repair, made before the lock is let go
 * (so that a write which follows cannot show its work in progress as lag). */

/* ---- read.c ---- */
typedef enum dt_out_format { DT_OUT_CSV, DT_OUT_PARQUET, DT_OUT_JSONL } dt_out_format;
/* Downloads the Parquet object of TABLE at VERSION (NULL: current) into
 * PATH, verified against its parquet_sha. meta_out (may be NULL) gets the
 * version's metadata. */
int dt_table_fetch(dt_project *p, const char *table, const char *version, const char *path,
                   json_t **meta_out);
/* Reads TABLE at VERSION to OUT_PATH (NULL: stdout) in FORMAT. */
int dt_table_read(dt_project *p, const char *table, const char *version, const char *out_path,
                  dt_out_format format);
/* The format named by a file name's extension (.csv .parquet .jsonl). */
int dt_out_format_of(const char *path, dt_out_format *out);

/* ---- lineage.c ---- */
/* Resolves "TABLE@VERSION" of this project into a parents entry and its
 * source_lineage (borrowed into *lineage_out, NULL when none). */
int dt_parent_resolve(dt_project *p, const char *spec, json_t **entry_out, json_t **lineage_out);
/* The union of source_lineage arrays, duplicates (project, table,
 * version_sha) dropped, first seen kept. */
json_t *dt_lineage_union(json_t *const *lineages, size_t n);
/* The parents tree of TABLE at VERSION (NULL: current), as nested JSON
 * {table, version, data_sha, table_type, parents: [...]}; parents in other
 * projects are shown as recorded, not followed. */
int dt_lineage_parents(dt_project *p, const char *table, const char *version, json_t **out);

/* ---- manifest.c ---- */
/* The manifest of the work tree WORKDIR rebuilt from its tables' documents
 * (OLD, may be NULL: where to keep original_format from); with G, only the
 * tables whose metadata.json is in G's index (tracked, or staged by a replay). */
int dt_manifest_rebuild(dt_git *g, const char *workdir, const char *project_name,
                        const json_t *old, json_t **out);
/* Rewrites WORKDIR/.datom/manifest.json so, the project's name from
 * WORKDIR's project.yaml (a dt_git_regen_fn; CTX: the dt_git of WORKDIR, or
 * NULL). */
int dt_manifest_regen(void *ctx, const char *workdir);
/* dt_git_pull with the manifest as a derived file: a replayed local write's
 * manifest is rebuilt, not merged (what a write and `datom pull` do). */
int dt_project_pull(dt_git *g);

/* ---- sync.c: onboarding input_files/ ---- */
typedef struct dt_sync_item {
    char *file;         /* relative to the project root */
    char *table;        /* NULL when the file is unsupported */
    const char *status; /* "new", "changed", "unchanged", "unsupported" */
    bool failed;
    char *error;        /* the failure's message, when failed */
    dt_write_result result;
} dt_sync_item;

typedef struct dt_sync_report {
    dt_sync_item *items;
    size_t n;
    size_t n_new, n_changed, n_unchanged, n_unsupported, n_failed;
} dt_sync_report;

/* Writes every new or changed file of input_files/ as the table named by its
 * file name (without extension); unchanged files (same original_file_sha) are
 * skipped before parsing; a failure is recorded and the others proceed.
 * With DRY_RUN only classifies. BASE supplies reading options (may be NULL). */
int dt_project_sync(dt_project *p, bool dry_run, const dt_write_opts *base, dt_sync_report *out);
void dt_sync_report_free(dt_sync_report *r);

/* ---- validate.c ---- */
typedef struct dt_validate_report {
    dt_strv problems; /* damage, one line each: "table: what is wrong" */
    dt_strv lagging;  /* an interrupted publication (a mirror behind git, commits
                       * not pushed, uncommitted leftovers): `datom repair`, or
                       * the next write, completes it */
    size_t tables, versions, objects;
    char *busy; /* with lagging: the live writer holding the lock ("HOST PID ..."),
                 * whose work in progress may be what lags; else NULL */
} dt_validate_report;

/* Checks that git (or the mirror, for a store-only reader), the manifest and
 * the store agree; with DEEP, re-hashes every stored object and recomputes
 * every version's data_sha from its Parquet. What an interrupted publication
 * left (with git only: the mirror alone cannot tell) is listed apart from
 * damage (the call itself fails only when it cannot look). */
int dt_project_validate(dt_project *p, bool deep, dt_validate_report *out);
void dt_validate_report_free(dt_validate_report *r);

#endif /* DT_TABLES_H */
