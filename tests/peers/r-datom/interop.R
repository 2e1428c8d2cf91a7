# interop.R: the R side of tests/test_r_interop.sh, run with the R package
# datom 0.1.1 (and the arrow stand-in, which reaches Parquet through DATOM):
#   Rscript interop.R write BASE            R makes a project and writes versions
#   Rscript interop.R open BASE DIR STORE REMOTE NAME
#                                  R opens a project datom made, as a developer
#                                  and as a reader
#   Rscript interop.R append BASE DIR STORE REMOTE NAME
#                                  R writes versions into it
# Each step prints "ok WHAT", "FAIL WHAT: DETAIL" and "value KEY VALUE" lines
# for the shell test, and stops at the first error (which the shell reports).
suppressPackageStartupMessages(library(datom))
options(warn = 1, cli.num_colors = 1)

args <- commandArgs(trailingOnly = TRUE)
step <- args[1]
base <- args[2]

check <- function(what, cond, detail = "") {
  if (isTRUE(cond)) cat("ok", what, "\n") else cat("FAIL ", what, ": ", detail, "\n", sep = "")
}
value <- function(key, v) cat("value", key, v, "\n")
same_frame <- function(what, got, want) {
  check(what, identical(got, want),
        paste(capture.output(print(all.equal(got, want)), str(got)), collapse = " | "))
}
quiet <- function(expr) suppressMessages(expr)

# The tables, one per version. Missing values are made without arithmetic:
# R datom 0.1.1 hashes a double's bits as they are, and arithmetic on x86-64
# quiets NA_real_ (...f0 7f becomes ...f8 7f), which changes R's data_sha
# though R still sees NA (docs/formats.md, "R datom 0.1.1").
v1 <- data.frame(
  i = c(1L, NA, -3L, 2147483647L, 0L),
  d = c(1.5, NA, NaN, -Inf, 1 / 3),
  s = c("h\u00e9llo \u65e5\u672c", NA, "", "NA", "with, comma"),
  b = c(TRUE, NA, FALSE, TRUE, FALSE),
  day = as.Date(c("2024-01-31", NA, "1970-01-01", "1969-12-31", "2000-02-29")),
  at = .POSIXct(c(1700000000.25, NA, 0, -1.5, 951782400), tz = "UTC"),
  stringsAsFactors = FALSE)
v2 <- rbind(v1, data.frame(
  i = c(7L, -2147483647L), d = c(1e300, -0.1), s = c("say \"hi\"", "two\nlines"),
  b = c(NA, TRUE), day = as.Date(c("9999-12-31", "1900-03-01")),
  at = .POSIXct(c(4102444800.5, -2208988800), tz = "UTC"), stringsAsFactors = FALSE))
one <- data.frame(x = c("a", NA, "", "z"), stringsAsFactors = FALSE)
appended <- data.frame(
  i = c(10L, NA), d = c(2.25, NaN), s = c("\u00fcber", ""), b = c(FALSE, NA),
  day = as.Date(c("2026-12-06", NA)), at = .POSIXct(c(NA, 1.000001), tz = "UTC"),
  stringsAsFactors = FALSE)

store_for <- function(root, remote = NULL, pat = "x") {
  datom_store(data = datom_store_local(root), github_pat = pat, data_repo_url = remote,
              validate = FALSE)
}
show_write <- function(key, r) {
  value(paste0(key, ".data_sha"), r$data_sha)
  value(paste0(key, ".metadata_sha"), r$metadata_sha)
  value(paste0(key, ".action"), r$action)
}

if (step == "write") {
  remote <- file.path(base, "rremote.git")
  dir.create(remote)
  git2r::init(remote, bare = TRUE)
  store <- store_for(file.path(base, "rstore"), remote)
  quiet(datom_init_repo(file.path(base, "rproj"), "R study (1)", store))
  conn <- quiet(datom_get_conn(file.path(base, "rproj"), store))
  show_write("v1", quiet(datom_write(conn, v1, "mixed", message = "first")))
  show_write("v2", quiet(datom_write(conn, v2, "mixed", message = "more rows")))
  show_write("v3", quiet(datom_write(conn, v2, "mixed", metadata = list(note = "second look"),
                                     message = "same values, new metadata")))
  show_write("one", quiet(datom_write(conn, one, "one_col")))
  extra <- data.frame(f = factor(c("b", "a", NA)),
                      n = bit64::as.integer64(c("9007199254740993", NA, "-5")),
                      x = c(0.1, 2.5, NA))
  show_write("extra", quiet(datom_write(conn, extra, "extra table (2)",
             metadata = list(n = 3, ratio = 0.123456, flag = TRUE, tags = c("a", "b")))))
  parent <- datom_parent(conn, "one_col", datom_history(conn, "one_col")$version[1])
  show_write("child", quiet(datom_write(conn, v1, "child", parents = list(parent))))
  same_frame("R reads its own v1", quiet(datom_read(conn, "mixed",
             version = datom_history(conn, "mixed")$version[3])), v1)
} else if (step %in% c("open", "append")) {
  dir <- args[3]
  root <- args[4]
  remote <- args[5]
  name <- args[6]
  dev <- quiet(datom_get_conn(dir, store_for(root, remote)))
  check("developer connection on a datom project", dev$role == "developer", dev$role)
  check("the project's name", identical(dev$project_name, name), dev$project_name)
  if (step == "open") {
    reader <- quiet(datom_get_conn(store = datom_store(data = datom_store_local(root)),
                                   project_name = name))
    check("reader connection", reader$role == "reader", reader$role)
    for (who in c("developer", "reader")) {
      conn <- if (who == "developer") dev else reader
      listed <- datom_list(conn, short_hash = FALSE)
      check(paste(who, "lists both tables"), identical(sort(listed$name), c("mixed", "one_col")),
            paste(listed$name, collapse = " "))
      hist <- datom_history(conn, "mixed")
      value(paste0(who, ".history"), paste(hist$version, collapse = ","))
      value(paste0(who, ".current"), listed$current_version[listed$name == "mixed"])
      same_frame(paste(who, "reads mixed (current)"), quiet(datom_read(conn, "mixed")), v2)
      same_frame(paste(who, "reads mixed by its first version"),
                 quiet(datom_read(conn, "mixed", version = hist$version[nrow(hist)])), v1)
      same_frame(paste(who, "reads one_col"), quiet(datom_read(conn, "one_col")), one)
      back <- quiet(datom_read(conn, "mixed"))
      value(paste0(who, ".rehash"), datom:::.datom_canonical_hash(back)$data_sha)
      meta <- datom:::.datom_storage_read_json(conn, "mixed/.metadata/metadata.json")
      value(paste0(who, ".metadata_sha"), datom:::.datom_compute_metadata_sha(meta))
    }
    v <- quiet(datom_validate(dev))
    check("R validates the datom project", v$valid,
          paste(capture.output(print(v$tables), print(v$repo_files)), collapse = " | "))
  } else {
    show_write("append", quiet(datom_write(dev, appended, "mixed", message = "from R")))
    show_write("from_r", quiet(datom_write(dev, v1, "from_r")))
    v <- quiet(datom_validate(dev))
    check("R validates after its writes", v$valid,
          paste(capture.output(print(v$tables)), collapse = " | "))
  }
} else {
  stop("unknown step ", step)
}
