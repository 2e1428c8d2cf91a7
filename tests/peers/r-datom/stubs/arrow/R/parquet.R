# arrow (test stand-in): the two functions R datom calls, write_parquet() and
# read_parquet(), done by the datom command under test (env DATOM): a data
# frame goes to Parquet as a CSV spelled exactly (doubles with 17 significant
# digits, every string quoted so that "" and "NA" stay strings, a missing value
# as an empty unquoted field, timestamps in whole microseconds) and `datom
# convert --types`; Parquet comes back through `datom schema --json` and
# `datom convert` to CSV, parsed here field by field (a quoted field is a
# string, an unquoted empty one is missing).
#
# The R types that come back are those real arrow gives by default: int32 as
# integer, int64 as integer when every value fits (arrow.int64_downcast) and
# else bit64::integer64, uint32/uint64 and decimals as double, date as Date,
# timestamp (any unit) as POSIXct in UTC, time of day as hms, string as
# character, bool as logical.
# Column types arrow would keep that CSV cannot carry (difftime, binary) are
# refused with an error naming the column.

.datom_bin <- function() {
  bin <- Sys.getenv("DATOM", "")
  if (!nzchar(bin)) bin <- unname(Sys.which("datom"))
  if (!nzchar(bin)) stop("arrow stand-in: set DATOM to the datom command")
  bin
}

.datom_run <- function(args) {
  out <- suppressWarnings(system2(.datom_bin(), shQuote(args), stdout = TRUE, stderr = TRUE))
  status <- attr(out, "status")
  if (!is.null(status) && status != 0) {
    stop("arrow stand-in: datom ", paste(args, collapse = " "), " failed (", status, "): ",
         paste(out, collapse = "\n"), call. = FALSE)
  }
  out
}

.kind_of <- function(x, name) {
  if (inherits(x, "integer64")) return("int64")
  if (is.factor(x)) return("string")
  if (inherits(x, "Date")) return("date")
  if (inherits(x, "POSIXct")) return("timestamp")
  if (is.object(x) || !is.atomic(x)) {
    stop(sprintf("arrow stand-in: column '%s': class %s is not supported", name,
                 paste(class(x), collapse = "/")), call. = FALSE)
  }
  if (is.logical(x)) return("bool")
  if (is.integer(x)) return("int32")
  if (is.double(x)) return("double")
  if (is.character(x)) return("string")
  stop(sprintf("arrow stand-in: column '%s': type %s is not supported", name, typeof(x)),
       call. = FALSE)
}

.quote <- function(s) paste0('"', gsub('"', '""', enc2utf8(s), fixed = TRUE), '"')

# Whole microseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.ffffffZ".
.format_ts <- function(x) {
  us <- round(unclass(x) * 1e6)
  sec <- floor(us / 1e6)
  frac <- us - sec * 1e6
  day <- format(as.POSIXct(sec, origin = "1970-01-01", tz = "UTC"), "%Y-%m-%dT%H:%M:%S", tz = "UTC")
  paste0(day, sprintf(".%06.0fZ", frac))
}

.format_column <- function(x, kind) {
  missing <- is.na(x)
  out <- switch(kind,
    bool = ifelse(x, "true", "false"),
    int32 = as.character(x),
    int64 = as.character(x),
    double = {
      missing <- missing & !is.nan(x)
      sprintf("%.17g", x)
    },
    string = .quote(as.character(x)),
    date = format(x, "%Y-%m-%d"),
    timestamp = .format_ts(x))
  out[missing] <- ""
  out
}

write_parquet <- function(x, sink, ...) {
  if (!is.data.frame(x)) stop("arrow stand-in: write_parquet() takes a data frame", call. = FALSE)
  names <- names(x)
  bad <- grepl("[,=\n]", names)
  if (any(bad)) {
    stop("arrow stand-in: column names with ',' '=' or a line break are not supported: ",
         paste(names[bad], collapse = " "), call. = FALSE)
  }
  kinds <- vapply(seq_along(x), function(i) .kind_of(x[[i]], names[i]), "")
  cells <- lapply(seq_along(x), function(i) .format_column(x[[i]], kinds[i]))
  lines <- c(paste(.quote(names), collapse = ","),
             if (nrow(x) > 0) do.call(paste, c(cells, sep = ",")))
  csv <- tempfile(fileext = ".csv")
  on.exit(unlink(csv), add = TRUE)
  con <- file(csv, "wb")
  writeBin(charToRaw(paste0(paste(enc2utf8(lines), collapse = "\n"), "\n")), con)
  close(con)
  types <- paste0(names, "=", kinds, collapse = ",")
  .datom_run(c("convert", "--types", types, csv, as.character(sink)))
  invisible(x)
}

# Fields of the CSV datom writes: a record per line, fields split at commas
# outside quotes (a quote toggles "inside"; a doubled quote toggles twice).
.parse_csv <- function(path) {
  raw <- readBin(path, "raw", file.info(path)$size)
  text <- rawToChar(raw)
  Encoding(text) <- "UTF-8"
  chars <- strsplit(text, "")[[1]]
  n <- length(chars)
  if (n == 0) return(list())
  inside <- cumsum(chars == '"') %% 2 == 1
  cut <- which((chars == "," | chars == "\n") & !inside)
  if (chars[n] != "\n") cut <- c(cut, n + 1L)
  starts <- c(1L, cut[-length(cut)] + 1L)
  fields <- substring(text, starts, cut - 1L)
  ends_record <- c(chars, "\n")[cut] == "\n"
  record <- cumsum(c(0L, ends_record[-length(ends_record)])) + 1L
  quoted <- startsWith(fields, '"')
  value <- fields
  value[quoted] <- gsub('""', '"', substr(fields[quoted], 2L, nchar(fields[quoted]) - 1L), fixed = TRUE)
  value[!quoted & fields == ""] <- NA_character_
  split(value, record)
}

# "YYYY-MM-DDTHH:MM:SS[.fraction][Z]" as arrow gives it: one correctly rounded
# division of the exact count of microseconds (of nanoseconds, counted in
# bit64, when a fraction is finer).
.parse_ts <- function(v) {
  secs <- as.numeric(as.POSIXct(substr(v, 1, 19), format = "%Y-%m-%dT%H:%M:%S", tz = "UTC"))
  frac <- ifelse(grepl("\\.", v), sub("^[^.]*\\.([0-9]*)Z?$", "\\1", v), "")
  if (any(nchar(frac) > 6, na.rm = TRUE)) {
    ns <- bit64::as.integer64(secs) * 1000000000L +
      bit64::as.integer64(substr(paste0(frac, "000000000"), 1, 9))
    x <- suppressWarnings(as.double(ns)) / 1e9
  } else {
    x <- (secs * 1e6 + as.numeric(substr(paste0(frac, "000000"), 1, 6))) / 1e6
  }
  structure(x, class = c("POSIXct", "POSIXt"), tzone = "UTC")
}

# "HH:MM:SS[.fraction]" as an hms (difftime in seconds), as arrow gives a time of day.
.parse_time <- function(v) {
  parts <- strsplit(ifelse(is.na(v), "0:0:0", v), ":", fixed = TRUE)
  secs <- vapply(parts, function(p) as.numeric(p[1]) * 3600 + as.numeric(p[2]) * 60 +
                   as.numeric(p[3]), 0)
  secs[is.na(v)] <- NA_real_
  structure(secs, units = "secs", class = c("hms", "difftime"))
}

.as_int64 <- function(v) {
  d <- as.numeric(v)
  if (all(is.na(d) | abs(d) <= .Machine$integer.max)) return(as.integer(v))
  if (requireNamespace("bit64", quietly = TRUE)) return(bit64::as.integer64(v))
  d
}

# Missing values as R's NA_real_ constant, as arrow makes them: R datom 0.1.1
# hashes a double's bits, and an NA that went through arithmetic has other bits.
.na_exact <- function(x) {
  u <- unclass(x)
  if (is.double(u)) {
    u[is.na(u) & !is.nan(u)] <- NA_real_
    attributes(u) <- attributes(x)
  } else {
    u <- x
  }
  u
}

.convert <- function(v, kind, name) {
  .na_exact(.convert_kind(v, kind, name))
}

.convert_kind <- function(v, kind, name) {
  switch(kind,
    bool = v == "true",
    int32 = as.integer(v),
    int64 = .as_int64(v),
    uint64 = as.numeric(v),
    double = as.numeric(v),
    decimal = as.numeric(v),
    decimal128 = as.numeric(v),
    time = .parse_time(v),
    string = v,
    date = as.Date(v),
    timestamp = .parse_ts(v),
    stop(sprintf("arrow stand-in: column '%s': kind %s is not supported", name, kind),
         call. = FALSE))
}

read_parquet <- function(file, col_select = NULL, as_data_frame = TRUE, ...) {
  file <- as.character(file)
  schema <- jsonlite::fromJSON(paste(.datom_run(c("schema", "--json", file)), collapse = "\n"),
                               simplifyVector = FALSE)
  csv <- tempfile(fileext = ".csv")
  on.exit(unlink(csv), add = TRUE)
  .datom_run(c("convert", file, csv))
  records <- .parse_csv(csv)
  cols <- schema$columns
  body <- records[-1]
  out <- lapply(seq_along(cols), function(i) {
    v <- vapply(body, function(r) r[[i]], "", USE.NAMES = FALSE)
    .convert(v, cols[[i]]$kind, cols[[i]]$name)
  })
  names(out) <- vapply(cols, function(c) c$name, "")
  df <- as.data.frame(out, stringsAsFactors = FALSE, optional = TRUE)
  names(df) <- names(out)
  if (!is.null(col_select)) df <- df[, col_select, drop = FALSE]
  df
}
