/*
 * test_csv.c: the CSV reader and writer (src/table/csv_*.c): tokenizing real
 * exports, type inference, forced types, errors with file:line:column, and
 * round trips of every kind through the writer.
 */
#include <math.h>

#include "t.h"
#include "table/csv.h"
#include "table/csv_internal.h"
#include "table/jsonl.h"

#define dt_csv_parse_double_for_test dt_csv_parse_double

/* Reads TEXT whole (one batch is enough: tests stay under the batch size). */
static int read_text(const char *text, const dt_csv_options *o, dt_table **out)
{
    dt_csv_reader *r;
    *out = NULL;
    int rc = dt_csv_open_mem(&r, "t.csv", text, strlen(text), o);
    if (rc)
        return rc;
    dt_table *b;
    if ((rc = dt_csv_next(r, &b)) == 0) {
        dt_schema s;
        dt_schema_copy(&s, dt_csv_schema(r));
        dt_table *copy = dt_table_new(&s, 16);
        dt_schema_free(&s);
        for (size_t i = 0; b && i < b->nrow; i++) {
            for (size_t c = 0; c < b->ncol; c++)
                dt_col_append_value(&copy->cols[c], &b->cols[c], i);
            dt_table_end_row(copy);
        }
        dt_table *more;
        if (b && (rc = dt_csv_next(r, &more)) == 0 && more)
            rc = dt_error(DATOM_EINTERNAL, "test: more than one batch");
        if (rc)
            dt_table_free(copy);
        else
            *out = copy;
    }
    dt_csv_close(r);
    return rc;
}

static const char *kind_of(const dt_table *t, size_t c) { return dt_kind_name(t->cols[c].field.kind); }

/* The value at (row, col) as the writer spells it, "<null>" when missing. */
static const char *cell(const dt_table *t, size_t row, size_t col)
{
    static dt_buf b;
    dt_buf_clear(&b);
    if (!dt_col_is_valid(&t->cols[col], row))
        return "<null>";
    dt_value_format(&t->cols[col], row, &b);
    return dt_buf_cstr(&b);
}

static void test_inference(void)
{
    dt_table *t;
    T_OK(read_text("b,i,d,day,ts,s\n"
                   "true,1,1.5,2024-02-29,2024-01-01T00:00:00Z,x\n"
                   "FALSE,-20,2,1970-01-01,2024-01-01 12:30:00.25+02:00,\n"
                   "NA,,NaN,,2024-01-01,y z\n",
                   NULL, &t));
    T_EQ_INT(t->nrow, 3);
    T_EQ_STR(kind_of(t, 0), "bool");
    T_EQ_STR(kind_of(t, 1), "int64");
    T_EQ_STR(kind_of(t, 2), "double");
    T_EQ_STR(kind_of(t, 3), "date");
    T_EQ_STR(kind_of(t, 4), "timestamp");
    T_EQ_STR(kind_of(t, 5), "string");
    T_EQ_STR(cell(t, 1, 0), "false");
    T_EQ_STR(cell(t, 2, 0), "<null>");
    T_EQ_STR(cell(t, 1, 1), "-20");
    T_EQ_STR(cell(t, 2, 1), "<null>");
    T_EQ_STR(cell(t, 1, 2), "2");
    T_EQ_STR(cell(t, 2, 2), "NaN");
    T_EQ_STR(cell(t, 0, 3), "2024-02-29");
    T_EQ_STR(cell(t, 1, 4), "2024-01-01T10:30:00.25Z");
    T_EQ_STR(cell(t, 2, 4), "2024-01-01T00:00:00Z");
    T_EQ_STR(cell(t, 1, 5), "<null>");
    T_EQ_STR(cell(t, 2, 5), "y z");
    dt_table_free(t);
}

static void test_inference_edges(void)
{
    dt_table *t;
    /* int past int64 -> uint64; int then word -> string; all missing -> string;
     * dates with a timestamp -> timestamp; 1/0 are ints, not bools; bool and
     * int -> string; 2023-02-29 is no date. */
    T_OK(read_text("big,mixed,none,when,flag,bi,bad\n"
                   "1,1,NA,2024-01-01,1,true,2023-02-28\n"
                   "9223372036854775808,x,,2024-01-01T05:00:00-01:30,0,1,2023-02-29\n",
                   NULL, &t));
    T_EQ_STR(kind_of(t, 0), "uint64");
    T_EQ_STR(cell(t, 1, 0), "9223372036854775808");
    T_EQ_STR(kind_of(t, 1), "string");
    T_EQ_STR(cell(t, 0, 1), "1");
    T_EQ_STR(kind_of(t, 2), "string");
    T_EQ_STR(cell(t, 0, 2), "<null>");
    T_EQ_STR(kind_of(t, 3), "timestamp");
    T_EQ_STR(cell(t, 0, 3), "2024-01-01T00:00:00Z");
    T_EQ_STR(cell(t, 1, 3), "2024-01-01T06:30:00Z");
    T_EQ_STR(kind_of(t, 4), "int64");
    T_EQ_STR(kind_of(t, 5), "string");
    T_EQ_STR(kind_of(t, 6), "string");
    dt_table_free(t);

    /* the largest and smallest int64 stay ints; " 1" (spaces kept) is a string */
    T_OK(read_text("a,b\n9223372036854775807, 1\n-9223372036854775808,2\n", NULL, &t));
    T_EQ_STR(kind_of(t, 0), "int64");
    T_EQ_STR(cell(t, 1, 0), "-9223372036854775808");
    T_EQ_STR(kind_of(t, 1), "string");
    T_EQ_STR(cell(t, 0, 1), " 1");
    dt_table_free(t);

    /* a value only late in the file widens the column (the whole file decides) */
    dt_buf big = DT_BUF_INIT;
    dt_buf_puts(&big, "n\n");
    for (int i = 0; i < 5000; i++)
        dt_buf_printf(&big, "%d\n", i);
    dt_buf_puts(&big, "2.5\n");
    T_OK(read_text(dt_buf_cstr(&big), &(dt_csv_options){.batch_rows = 10000}, &t));
    T_EQ_STR(kind_of(t, 0), "double");
    T_EQ_INT(t->nrow, 5001);
    T_EQ_STR(cell(t, 5000, 0), "2.5");
    dt_table_free(t);
    dt_buf_free(&big);
}

static void test_quoting(void)
{
    dt_table *t;
    T_OK(read_text("a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",\"\"\r\n\"NA\",NA\r\n", NULL, &t));
    T_EQ_INT(t->nrow, 3);
    T_EQ_STR(cell(t, 0, 0), "x,y");
    T_EQ_STR(cell(t, 0, 1), "say \"hi\"");
    T_EQ_STR(cell(t, 1, 0), "two\nlines");
    T_EQ_STR(cell(t, 1, 1), ""); /* quoted empty: the empty string */
    T_ASSERT(dt_col_is_valid(&t->cols[1], 1));
    T_EQ_STR(cell(t, 2, 0), "NA"); /* quoted NA: the string */
    T_EQ_STR(cell(t, 2, 1), "<null>");
    dt_table_free(t);

    /* no newline at the end; a quoted number is still a number; "" in an int column is missing */
    T_OK(read_text("a,b\n\"1\",2\n\"\",3", NULL, &t));
    T_EQ_STR(kind_of(t, 0), "int64");
    T_EQ_STR(cell(t, 1, 0), "<null>");
    T_EQ_STR(cell(t, 1, 1), "3");
    dt_table_free(t);
}

static void test_bom_and_delims(void)
{
    dt_table *t;
    T_OK(read_text("\xEF\xBB\xBFid,name\n1,a\n", NULL, &t));
    T_EQ_STR(t->cols[0].field.name, "id");
    dt_table_free(t);

    const char *texts[] = {"a;b;c\n1;2,5;x\n3;4;y\n", "a\tb\tc\n1\t2,5\tx\n3\t4\ty\n",
                           "a|b|c\n1|2,5|x\n3|4|y\n"};
    const char delims[] = {';', '\t', '|'};
    for (size_t i = 0; i < 3; i++) {
        T_OK(read_text(texts[i], NULL, &t)); /* sniffed */
        T_EQ_INT(t->ncol, 3);
        T_EQ_STR(cell(t, 0, 1), "2,5");
        T_EQ_STR(kind_of(t, 0), "int64");
        dt_table_free(t);
        T_OK(read_text(texts[i], &(dt_csv_options){.delim = delims[i]}, &t)); /* given */
        T_EQ_INT(t->ncol, 3);
        dt_table_free(t);
    }
    /* a comma inside quotes does not fool the sniffer */
    T_OK(read_text("a;b\n\"x,y\";1\n\"p,q\";2\n", NULL, &t));
    T_EQ_INT(t->ncol, 2);
    dt_table_free(t);
    /* a one-column file whose values hold commas: no delimiter splits it evenly */
    T_OK(read_text("name\nSmith, John\nDoe, Jane\nPlain\n", NULL, &t));
    T_EQ_INT(t->ncol, 1);
    T_EQ_STR(cell(t, 0, 0), "Smith, John");
    dt_table_free(t);
    /* one column */
    T_OK(read_text("only\n1\n\n3\n", NULL, &t));
    T_EQ_INT(t->ncol, 1);
    T_EQ_INT(t->nrow, 3);
    T_EQ_STR(cell(t, 1, 0), "<null>"); /* a blank line is the one column's missing value */
    dt_table_free(t);
    /* with several columns blank lines are skipped */
    T_OK(read_text("a,b\n1,2\n\n3,4\n\n", NULL, &t));
    T_EQ_INT(t->nrow, 2);
    dt_table_free(t);
}

static void test_header(void)
{
    dt_table *t;
    T_OK(read_text("a,,a,a_2,\nx,y,z,w,v\n", NULL, &t));
    T_EQ_STR(t->cols[0].field.name, "a");
    T_EQ_STR(t->cols[1].field.name, "column_2");
    T_EQ_STR(t->cols[2].field.name, "a_2");
    T_EQ_STR(t->cols[3].field.name, "a_2_2");
    T_EQ_STR(t->cols[4].field.name, "column_5");
    dt_table_free(t);

    T_OK(read_text("a,b\n", NULL, &t)); /* header only */
    T_EQ_INT(t->nrow, 0);
    T_EQ_INT(t->ncol, 2);
    T_EQ_STR(kind_of(t, 0), "string");
    dt_table_free(t);

    T_ERR(read_text("", NULL, &t), DATOM_EINVAL, "t.csv: empty file");
    dt_buf wide = DT_BUF_INIT;
    for (int i = 0; i <= DT_CSV_MAX_COLUMNS; i++)
        dt_buf_puts(&wide, "a;");
    T_ERR(read_text(dt_buf_cstr(&wide), &(dt_csv_options){.delim = ';'}, &t), DATOM_EINVAL,
          "t.csv:1: more than 32767 columns");
    dt_buf_free(&wide);
    T_ERR(read_text("\xEF\xBB\xBF", NULL, &t), DATOM_EINVAL, "empty file");
}

/* The limits (docs/formats.md, "Limits"), here lowered through the options:
 * each is checked while reading, and its error names file, line, column and
 * the limit. */
static void test_limits(void)
{
    dt_table *t;
    dt_csv_options o = {.max_field = 8, .max_record = 20, .max_columns = 4};
    T_OK(read_text("a,b\n12345678,\"1234\"\"567\"\n", &o, &t));
    T_EQ_STR(cell(t, 0, 1), "1234\"567");
    dt_table_free(t);
    T_ERR(read_text("a,b\n1,123456789\n", &o, &t), DATOM_EINVAL,
          "t.csv:2:2: a field longer than 8 bytes");
    T_ERR(read_text("a,b\n1,\"123456\n789\"\n", &o, &t), DATOM_EINVAL,
          "t.csv:2:2: a field longer than 8 bytes");
    /* an unclosed quote far longer than the limit stops at the limit */
    T_ERR(read_text("a,b\n1,\"12345678901234567890\n", &o, &t), DATOM_EINVAL,
          "t.csv:2:2: a field longer than 8 bytes");
    T_ERR(read_text("a,b,c\n12345678,12345678,12345678\n", &o, &t), DATOM_EINVAL,
          "t.csv:2:3: a record longer than 20 bytes");
    T_ERR(read_text("a,b,c,d,e\n1,2,3,4,5\n", &o, &t), DATOM_EINVAL,
          "t.csv:1: more than 4 columns");
    T_ERR(read_text("a,123456789\n1,2\n", &o, &t), DATOM_EINVAL, "t.csv:1:2: a field longer");
    /* column names: at most 10,000 bytes, as R has them */
    dt_buf name = DT_BUF_INIT;
    dt_buf_puts(&name, "a,");
    for (int i = 0; i <= 10000; i++)
        dt_buf_putc(&name, 'n');
    dt_buf_puts(&name, "\n1,2\n");
    T_ERR(read_text(dt_buf_cstr(&name), NULL, &t), DATOM_EINVAL,
          "t.csv:1:2: a column name longer than 10,000 bytes");
    dt_buf_free(&name);
    /* the defaults are the documented ones */
    T_EQ_INT(DT_CSV_MAX_FIELD, 256u << 20);
    T_EQ_INT(DT_CSV_MAX_RECORD, 512u << 20);
    T_EQ_INT(DT_CSV_MAX_COLUMNS, 32767);
}

/* Many columns cost time linear in their number: 32,767 columns, all named
 * alike (the renaming of duplicates was cubic), read in well under a second
 * of work (no timing asserted: the test would hang before the fix). */
static void test_wide(void)
{
    dt_buf text = DT_BUF_INIT;
    for (int i = 0; i < DT_CSV_MAX_COLUMNS; i++)
        dt_buf_puts(&text, i ? ",a" : "a");
    dt_buf_putc(&text, '\n');
    for (int i = 0; i < DT_CSV_MAX_COLUMNS; i++)
        dt_buf_printf(&text, i ? ",%d" : "%d", i);
    dt_buf_putc(&text, '\n');
    dt_table *t;
    T_OK(read_text(dt_buf_cstr(&text), NULL, &t));
    T_EQ_INT(t->ncol, DT_CSV_MAX_COLUMNS);
    T_EQ_STR(t->cols[1].field.name, "a_2");
    T_EQ_STR(t->cols[DT_CSV_MAX_COLUMNS - 1].field.name, "a_32767");
    T_EQ_STR(cell(t, 0, DT_CSV_MAX_COLUMNS - 1), "32766");
    dt_table_free(t);
    dt_buf_free(&text);
}

static void test_errors(void)
{
    dt_table *t;
    T_ERR(read_text("a,b\n1,2\n3\n", NULL, &t), DATOM_EINVAL, "t.csv:3: ragged row: 1 fields");
    T_ERR(read_text("a,b\n1,2\n3,4,5\n", NULL, &t), DATOM_EINVAL, "t.csv:3: ragged row");
    /* the sniffer goes by the header when no delimiter splits every row evenly */
    T_ERR(read_text("a;b\n1;2\n3\n", NULL, &t), DATOM_EINVAL, "t.csv:3: ragged row: 1 fields, the header has 2");
    /* lines count the line breaks inside quotes */
    T_ERR(read_text("a,b\n\"x\ny\",2\n3\n", NULL, &t), DATOM_EINVAL, "t.csv:4: ragged row");
    T_ERR(read_text("a,b\n\"open,2\n", NULL, &t), DATOM_EINVAL, "t.csv:2: quoted field never closed");
    T_ERR(read_text("a,b\n1,\"x\"y\n", NULL, &t), DATOM_EINVAL, "t.csv:2:2: text after the closing quote");
    T_ERR(read_text("a,b\n1,ok\n2,\xff\n", NULL, &t), DATOM_EINVAL, "t.csv:3: invalid UTF-8 at byte 3");
    T_ERR(read_text("a,b\n1,\xc3\n", NULL, &t), DATOM_EINVAL, "invalid UTF-8");
    T_ERR(read_text("\xc0\xaf\n1\n", NULL, &t), DATOM_EINVAL, "t.csv:1:1: column name is not valid UTF-8");
    T_ERR(read_text("a\n1\n", &(dt_csv_options){.delim = '"'}, &t), DATOM_EINVAL, "delimiter");
    /* valid multi-byte text is fine */
    T_OK(read_text("name\nZoë 🙂\n", NULL, &t));
    T_EQ_STR(cell(t, 0, 0), "Zoë 🙂");
    dt_table_free(t);
}

/* The error of reading N bytes at TEXT whole (opening and every batch). */
static int read_bytes(const char *text, size_t n, const dt_csv_options *o)
{
    dt_csv_reader *r = NULL;
    int rc = dt_csv_open_mem(&r, "n.csv", text, n, o);
    dt_table *b = NULL;
    while (rc == 0 && (rc = dt_csv_next(r, &b)) == 0 && b)
        ;
    if (r)
        dt_csv_close(r);
    return rc;
}

/* A NUL byte is refused wherever it is, naming line and field (issue 8 item
 * 2): names and values, quoted or not, two-pass and one-pass reads. */
static void test_nul(void)
{
    static const char v1[] = "a,b\n1,x\0y\n";
    static const char v2[] = "a,b\n1,ok\n2,\"q\0\"\n";
    static const char name[] = "a,b\0c\n1,2\n";
    T_ERR(read_bytes(v1, sizeof v1 - 1, NULL), DATOM_EINVAL, "n.csv:2:2: a NUL byte in a value");
    T_ERR(read_bytes(v2, sizeof v2 - 1, NULL), DATOM_EINVAL, "n.csv:3:2: a NUL byte in a value");
    T_ERR(read_bytes(name, sizeof name - 1, NULL), DATOM_EINVAL, "n.csv:1:2: a NUL byte in a column name");
    dt_csv_options o = {.one_pass = true, .prefix_rows = 1, .batch_rows = 1};
    T_ERR(read_bytes(v2, sizeof v2 - 1, &o), DATOM_EINVAL, "n.csv:3:2: a NUL byte in a value");
}

static void test_forced(void)
{
    dt_schema f;
    dt_schema_init(&f, 3);
    dt_schema_set(&f, 0, "zip", DT_STRING);
    dt_schema_set(&f, 1, "n", DT_DOUBLE);
    dt_schema_set(&f, 2, "small", DT_INT32);
    dt_csv_options o = {.forced = &f};
    dt_table *t;
    T_OK(read_text("zip,n,small,other\n01234,1,7,a\n99999,NA,-8,b\n", &o, &t));
    T_EQ_STR(kind_of(t, 0), "string");
    T_EQ_STR(cell(t, 0, 0), "01234");
    T_EQ_STR(kind_of(t, 1), "double");
    T_EQ_STR(cell(t, 1, 1), "<null>");
    T_EQ_STR(kind_of(t, 2), "int32");
    T_EQ_STR(cell(t, 1, 2), "-8");
    dt_table_free(t);

    T_ERR(read_text("zip,n,small\n1,2,3\n1,x2,3\n", &o, &t), DATOM_EINVAL,
          "t.csv:3:2: 'x2' is not a valid double (column 'n')");
    T_ERR(read_text("zip,n,small\n1,2,3\n1,2,3000000000\n", &o, &t), DATOM_EINVAL,
          "t.csv:3:3: '3000000000' is not a valid int32 (column 'small')");
    T_ERR(read_text("zip,small\n1,2\n", &o, &t), DATOM_EINVAL, "no column 'n'");
    dt_schema_free(&f);

    dt_schema_init(&f, 1);
    dt_schema_set(&f, 0, "d", DT_DATE);
    o.forced = &f;
    T_ERR(read_text("d\n2024-01-01\n2024-13-01\n", &o, &t), DATOM_EINVAL, "t.csv:3:1: '2024-13-01' is not a valid date");
    dt_schema_set(&f, 0, "d", DT_BINARY);
    T_ERR(read_text("d\nab\n", &o, &t), DATOM_EUNSUPPORTED, "cannot be read as binary");
    dt_schema_free(&f);
}

static void test_na_tokens(void)
{
    const char *na[] = {"-", "null"};
    dt_csv_options o = {.na = na, .n_na = 2};
    dt_table *t;
    T_OK(read_text("a,b\n1,null\n-,\n", &o, &t));
    T_EQ_STR(kind_of(t, 0), "int64");
    T_EQ_STR(cell(t, 1, 0), "<null>");
    T_EQ_STR(kind_of(t, 1), "string"); /* "" is no longer missing: an empty string */
    T_EQ_STR(cell(t, 0, 1), "<null>");
    T_EQ_STR(cell(t, 1, 1), "");
    dt_table_free(t);
}

static void test_batches(void)
{
    dt_buf text = DT_BUF_INIT;
    dt_buf_puts(&text, "i,s\n");
    for (int i = 0; i < 10; i++)
        dt_buf_printf(&text, "%d,\"v\n%d\"\n", i, i);
    dt_csv_reader *r;
    T_OK(dt_csv_open_mem(&r, "b.csv", text.data, text.len, &(dt_csv_options){.batch_rows = 3}));
    size_t rows = 0, batches = 0;
    dt_table *b;
    for (;;) {
        T_OK(dt_csv_next(r, &b));
        if (!b)
            break;
        T_ASSERT(b->nrow <= 3);
        T_EQ_INT(DT_COL(&b->cols[0], int64_t)[0], (int64_t)rows);
        rows += b->nrow;
        batches++;
    }
    T_EQ_INT(rows, 10);
    T_EQ_INT(batches, 4);
    dt_csv_close(r);
    dt_buf_free(&text);
}

/* A short, wide file reserves rows for what it can hold, not a full batch of
 * every column (a fuzz run found 66 MB reserved for 181 bytes); every row
 * still arrives, also when a fuller file needs the whole batch. */
static void test_wide_short(void)
{
    dt_buf text = DT_BUF_INIT;
    for (int c = 0; c < 5000; c++)
        dt_buf_printf(&text, "%sc%d", c ? "," : "", c);
    dt_buf_putc(&text, '\n');
    for (int row = 0; row < 3; row++)
        for (int c = 0; c < 5000; c++)
            dt_buf_printf(&text, "%d%c", row, c == 4999 ? '\n' : ',');
    dt_csv_reader *r;
    T_OK(dt_csv_open_mem(&r, "wide.csv", text.data, text.len, NULL));
    dt_table *b;
    T_OK(dt_csv_next(r, &b));
    T_ASSERT(b != NULL);
    T_EQ_INT(b->ncol, 5000);
    T_EQ_INT(b->nrow, 3);
    T_EQ_INT(DT_COL(&b->cols[4999], int64_t)[2], 2);
    for (size_t c = 0; c < b->ncol; c++)
        T_ASSERT(b->cols[c].cap <= 16);
    T_OK(dt_csv_next(r, &b));
    T_ASSERT(b == NULL);
    dt_csv_close(r);
    /* rows of one byte each: the bound is exact, and all 1,000 rows fit */
    dt_buf_clear(&text);
    dt_buf_puts(&text, "x\n");
    for (int row = 0; row < 1000; row++)
        dt_buf_puts(&text, row % 2 ? "1\n" : "\n");
    T_OK(dt_csv_open_mem(&r, "tall.csv", text.data, text.len, NULL));
    T_OK(dt_csv_next(r, &b));
    T_EQ_INT(b->nrow, 1000);
    T_ASSERT(!dt_col_is_valid(&b->cols[0], 998) && dt_col_is_valid(&b->cols[0], 999));
    dt_csv_close(r);
    dt_buf_free(&text);
}

/* Writes T with DELIM, reads it back with T's own schema forced, compares. */
static void roundtrip(const dt_table *t, char delim, const char *expect_text)
{
    dt_schema s;
    dt_table_schema(t, &s);
    dt_buf out = DT_BUF_INIT;
    dt_csv_writer *w;
    T_OK(dt_csv_writer_open(&w, &s, delim, dt_sink_buf(&out)));
    T_OK(dt_csv_writer_write(w, t));
    T_OK(dt_csv_writer_close(w));
    if (expect_text)
        T_EQ_STR(dt_buf_cstr(&out), expect_text);
    dt_csv_options o = {.forced = &s, .delim = delim};
    dt_table *back;
    T_OK(read_text(dt_buf_cstr(&out), &o, &back));
    char msg[256];
    if (!dt_table_equal(t, back, msg, sizeof msg))
        T_FAIL("round trip with '%c': %s\n%s", delim, msg, dt_buf_cstr(&out));
    dt_table_free(back);
    dt_schema_free(&s);
    dt_buf_free(&out);
}

static dt_table *every_kind(void)
{
    dt_schema s;
    dt_schema_init(&s, 7);
    dt_schema_set(&s, 0, "b", DT_BOOL);
    dt_schema_set(&s, 1, "i", DT_INT64);
    dt_schema_set(&s, 2, "d", DT_DOUBLE);
    dt_schema_set(&s, 3, "s", DT_STRING);
    dt_schema_set(&s, 4, "day", DT_DATE);
    dt_schema_set(&s, 5, "ts", DT_TIMESTAMP);
    dt_schema_set(&s, 6, "i32", DT_INT32);
    dt_table *t = dt_table_new(&s, 4);
    dt_schema_free(&s);
    static const double dbl[] = {0.1, -0.0, 1e-7, 1e300, 0.30000000000000004, 123.456, NAN, INFINITY,
                                 -INFINITY, 5e-324, 1.7976931348623157e308, 2.5, 100, 1e15, 1e22,
                                 -123456789.125};
    static const char *str[] = {"", "NA", "a,b", "q\"q", "line\nbreak", "cr\rx", " pad ", "x;y|z\tw",
                                "\"", "plain", "NaN", "1", "Zoë", "na", "", ","};
    static const int64_t i64[] = {0, 1, -1, INT64_MAX, INT64_MIN, 42, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const int64_t ts[] = {0, -1, 1, 1700000000123456, -86400000000, 253402300799999999, 5, 6,
                                 7, 8, 9, 10, 11, 12, 13, 14};
    for (size_t r = 0; r < 16; r++) {
        dt_col_append_bool(&t->cols[0], r & 1);
        dt_col_append_i64(&t->cols[1], i64[r]);
        dt_col_append_f64(&t->cols[2], dbl[r]);
        dt_col_append_bytes(&t->cols[3], str[r], strlen(str[r]));
        dt_col_append_i32(&t->cols[4], (int32_t)(r * 1000) - 8000);
        dt_col_append_i64(&t->cols[5], ts[r]);
        dt_col_append_i32(&t->cols[6], r == 0 ? INT32_MIN : (int32_t)r);
        dt_table_end_row(t);
    }
    for (size_t c = 0; c < 7; c++) /* a row of nothing but missing values */
        dt_col_append_null(&t->cols[c]);
    dt_table_end_row(t);
    return t;
}

static void test_roundtrip(void)
{
    dt_table *t = every_kind();
    const char delims[] = {',', ';', '\t', '|'};
    for (size_t i = 0; i < sizeof delims; i++)
        roundtrip(t, delims[i], NULL);
    dt_table_free(t);

    /* one column: missing is a blank line, the empty string is "" */
    dt_schema s;
    dt_schema_init(&s, 1);
    dt_schema_set(&s, 0, "s", DT_STRING);
    t = dt_table_new(&s, 4);
    dt_col_append_null(&t->cols[0]);
    dt_table_end_row(t);
    dt_col_append_bytes(&t->cols[0], "", 0);
    dt_table_end_row(t);
    dt_col_append_bytes(&t->cols[0], "NA", 2);
    dt_table_end_row(t);
    dt_col_append_null(&t->cols[0]);
    dt_table_end_row(t);
    roundtrip(t, ',', "s\n\n\"\"\n\"NA\"\n\n");
    dt_table_free(t);

    /* empty table: header only */
    t = dt_table_new(&s, 1);
    roundtrip(t, ',', "s\n");
    dt_table_free(t);
    /* a first column name opening with U+FEFF is quoted, or it would read as a BOM */
    dt_schema_set(&s, 0, "\xEF\xBB\xBFs", DT_STRING);
    t = dt_table_new(&s, 1);
    roundtrip(t, ',', "\"\xEF\xBB\xBFs\"\n");
    dt_table_free(t);
    dt_schema_free(&s);
}

static void test_writer_spelling(void)
{
    dt_table *t = every_kind();
    dt_schema s;
    dt_table_schema(t, &s);
    dt_buf out = DT_BUF_INIT;
    dt_csv_writer *w;
    T_OK(dt_csv_writer_open(&w, &s, ',', dt_sink_buf(&out)));
    T_OK(dt_csv_writer_write(w, t));
    T_OK(dt_csv_writer_close(w));
    const char *txt = dt_buf_cstr(&out);
    T_ASSERT(strstr(txt, "b,i,d,s,day,ts,i32\n") == txt);
    T_ASSERT(strstr(txt, "\nfalse,0,0.1,\"\",1948-02-06,1970-01-01T00:00:00Z,-2147483648\n"));
    T_ASSERT(strstr(txt, "\ntrue,1,-0,\"NA\",1950-11-02,1969-12-31T23:59:59.999999Z,1\n"));
    T_ASSERT(strstr(txt, ",1e-07,\"a,b\","));
    T_ASSERT(strstr(txt, ",1e+300,\"q\"\"q\","));
    T_ASSERT(strstr(txt, ",0.30000000000000004,\"line\nbreak\","));
    T_ASSERT(strstr(txt, ",123.456,\"cr\rx\",1961-10-15,9999-12-31T23:59:59.999999Z,"));
    T_ASSERT(strstr(txt, ",NaN, pad ,"));
    T_ASSERT(strstr(txt, ",Inf,x;y|z\tw,"));
    T_ASSERT(strstr(txt, ",-Inf,\"\"\"\",1970-01-01,"));
    T_ASSERT(strstr(txt, ",5e-324,plain,"));
    T_ASSERT(strstr(txt, ",1.7976931348623157e+308,NaN,"));
    T_ASSERT(strstr(txt, ",2023-11-14T22:13:20.123456Z,"));
    T_ASSERT(strstr(txt, ",1970-01-01T00:00:00.00001Z,"));
    T_ASSERT(strstr(txt, ",100,Zoë,"));
    T_ASSERT(strstr(txt, ",-123456789.125,\",\","));
    T_ASSERT(strstr(txt, "\n,,,,,,\n"));
    dt_schema_free(&s);

    /* and read back without forcing: the kinds come back too */
    dt_table *back;
    T_OK(read_text(txt, NULL, &back));
    T_EQ_STR(kind_of(back, 0), "bool");
    T_EQ_STR(kind_of(back, 1), "int64");
    T_EQ_STR(kind_of(back, 2), "double");
    T_EQ_STR(kind_of(back, 3), "string");
    T_EQ_STR(kind_of(back, 4), "date");
    T_EQ_STR(kind_of(back, 5), "timestamp");
    dt_table_free(back);
    dt_table_free(t);
    dt_buf_free(&out);
}

/* Doubles are spelled in the fewest significant digits that read back exactly. */
static void test_double_spelling(void)
{
    dt_schema s;
    dt_schema_init(&s, 1);
    dt_schema_set(&s, 0, "d", DT_DOUBLE);
    dt_table *t = dt_table_new(&s, 1);
    dt_schema_free(&s);
    dt_col_append_f64(&t->cols[0], 0);
    dt_table_end_row(t);
    uint64_t x = 88172645463325252ull;
    dt_buf b = DT_BUF_INIT;
    for (int i = 0; i < 40000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        if (i & 1) { /* any bit pattern */
            memcpy(&v, &x, 8);
            if (!isfinite(v))
                continue;
        } else { /* decimal-looking: n / 10^k */
            static const double p10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
            v = (double)(int64_t)(x >> 20) / p10[x % 9];
        }
        DT_COL(&t->cols[0], double)[0] = v;
        dt_buf_clear(&b);
        dt_value_format(&t->cols[0], 0, &b);
        double back;
        T_ASSERT(dt_csv_parse_double_for_test(dt_buf_cstr(&b), b.len, &back));
        if (back != v && !(back == 0 && v == 0))
            T_FAIL("%.17g spelled %s reads back as %.17g", v, dt_buf_cstr(&b), back);
        int prec = 1;
        char ref[40];
        for (; prec < 17; prec++) {
            snprintf(ref, sizeof ref, "%.*g", prec, v);
            if (strtod(ref, NULL) == v)
                break;
        }
        size_t digits = 0; /* significant digits in the spelling */
        const char *p = dt_buf_cstr(&b);
        while (*p == '-' || *p == '0' || *p == '.')
            p++;
        for (size_t zeros = 0; *p && *p != 'e'; p++) { /* trailing zeros do not count */
            if (*p == '0')
                zeros++;
            else if (*p != '.')
                digits += 1 + zeros, zeros = 0;
        }
        if (digits > (size_t)prec)
            T_FAIL("%.17g spelled %s: %zu digits, %d would do", v, dt_buf_cstr(&b), digits, prec);
    }
    dt_buf_free(&b);
    dt_table_free(t);
}

static void test_files(void)
{
    char *dir = t_tmpdir("csv");
    char *path = dt_path_join(dir, "x.csv");
    const char *text = "a,b\n1,2\n";
    T_OK(dt_fs_write_atomic(path, text, strlen(text)));
    dt_csv_reader *r;
    T_OK(dt_csv_open(&r, path, NULL));
    dt_table *b;
    T_OK(dt_csv_next(r, &b));
    T_EQ_INT(b->nrow, 1);
    dt_csv_close(r);

    char *bad = dt_path_join(dir, "bad.csv");
    T_OK(dt_fs_write_atomic(bad, "a,b\n1,2\n3\n", 10));
    T_ERR(dt_csv_open(&r, bad, NULL), DATOM_EINVAL, "bad.csv:3: ragged row");
    char *empty = dt_path_join(dir, "empty.csv");
    T_OK(dt_fs_write_atomic(empty, "", 0));
    T_ERR(dt_csv_open(&r, empty, NULL), DATOM_EINVAL, "empty.csv: empty file");
    char *none = dt_path_join(dir, "none.csv");
    T_ERR(dt_csv_open(&r, none, NULL), DATOM_ENOTFOUND, "none.csv");
    T_ERR(dt_csv_open(&r, dir, NULL), DATOM_EINVAL, "not a regular file");
    free(none);
    free(empty);
    free(bad);
    free(path);
    dt_fs_rmtree(dir);
    free(dir);
}

/* Reads TEXT in one-pass mode guessing from `prefix` rows; counts restarts
 * and rows after the last one, and returns the final schema's kinds joined. */
static int read_one_pass(const char *text, size_t prefix, int *restarts, size_t *rows, char *kinds,
                         size_t cap)
{
    dt_csv_reader *r;
    dt_csv_options o = {.one_pass = true, .prefix_rows = prefix, .batch_rows = 4};
    int rc = dt_csv_open_mem(&r, "p.csv", text, strlen(text), &o);
    if (rc)
        return rc;
    *restarts = 0;
    *rows = 0;
    dt_table *b;
    for (;;) {
        rc = dt_csv_next(r, &b);
        if (rc == DT_CSV_RESTART) {
            (*restarts)++;
            *rows = 0;
            continue;
        }
        if (rc || !b)
            break;
        *rows += b->nrow;
    }
    kinds[0] = '\0';
    const dt_schema *s = dt_csv_schema(r);
    for (size_t c = 0; c < s->ncol; c++)
        snprintf(kinds + strlen(kinds), cap - strlen(kinds), "%s%s", c ? "," : "",
                 dt_kind_name(s->fields[c].kind));
    dt_csv_close(r);
    return rc;
}

static void test_one_pass(void)
{
    int restarts;
    size_t rows;
    char kinds[128];
    const char *fits = "a,b,c\n1,x,\n2,y,\n3,z,\n4,w,\n5,v,\n";
    T_OK(read_one_pass(fits, 2, &restarts, &rows, kinds, sizeof kinds));
    T_EQ_INT(restarts, 0);
    T_EQ_INT(rows, 5);
    T_EQ_STR(kinds, "int64,string,string");
    /* a late double widens a to double; a late value in c settles c */
    const char *late = "a,b,c\n1,x,\n2,y,\n3,z,\n4,w,2024-01-01\n5.5,v,\n6,u,2024-01-02T00:00:00Z\n";
    T_OK(read_one_pass(late, 2, &restarts, &rows, kinds, sizeof kinds));
    T_EQ_INT(restarts, 1);
    T_EQ_INT(rows, 6);
    T_EQ_STR(kinds, "double,string,timestamp");
    /* the same schema as two passes give */
    dt_table *t;
    T_OK(read_text(late, NULL, &t));
    T_EQ_STR(kind_of(t, 0), "double");
    T_EQ_STR(kind_of(t, 2), "timestamp");
    dt_table_free(t);
    /* the rows before the misfit count too: -5 fitted int64, not the uint64
     * that the rows from 2^64-1 on would give (fuzz_csv found this) */
    const char *neg = "a\n1\n-5\n18446744073709551615\n7\n";
    T_OK(read_one_pass(neg, 1, &restarts, &rows, kinds, sizeof kinds));
    T_EQ_INT(restarts, 1);
    T_EQ_INT(rows, 4);
    T_EQ_STR(kinds, "double");
    T_OK(read_text(neg, NULL, &t));
    T_EQ_STR(kind_of(t, 0), "double");
    dt_table_free(t);
    /* errors past the prefix come from dt_csv_next */
    T_ERR(read_one_pass("a,b\n1,2\n3,4\n5\n", 1, &restarts, &rows, kinds, sizeof kinds), DATOM_EINVAL,
          "p.csv:4: ragged row");
    T_ERR(read_one_pass("a,b\n1,2\n3,4\n5,\xff\n", 1, &restarts, &rows, kinds, sizeof kinds),
          DATOM_EINVAL, "p.csv:4: invalid UTF-8");
    /* and also after a restart */
    T_ERR(read_one_pass("a,b\n1,2\n3,x\n5\n", 1, &restarts, &rows, kinds, sizeof kinds), DATOM_EINVAL,
          "p.csv:4: ragged row");
}

/* ---- the kinds added for lossless Parquet ---- */

/* Writes T as CSV and as JSON lines. */
static void spell(const dt_table *t, dt_buf *csv, dt_buf *json)
{
    dt_schema s;
    dt_table_schema(t, &s);
    dt_csv_writer *w;
    T_OK(dt_csv_writer_open(&w, &s, ',', dt_sink_buf(csv)));
    T_OK(dt_csv_writer_write(w, t));
    T_OK(dt_csv_writer_close(w));
    dt_buf tmp = DT_BUF_INIT;
    for (size_t r = 0; r < t->nrow; r++)
        dt_jsonl_row(t, r, json, &tmp);
    dt_buf_free(&tmp);
    dt_schema_free(&s);
}

static void add_col(dt_schema *s, size_t i, const char *name, dt_kind k, dt_time_unit unit, bool utc)
{
    dt_schema_set(s, i, name, k);
    s->fields[i].unit = unit;
    s->fields[i].utc = utc;
}

static void put16(dt_column *c, uint64_t lo, uint64_t hi)
{
    uint8_t v[16];
    for (int i = 0; i < 8; i++)
        v[i] = (uint8_t)(lo >> (8 * i)), v[8 + i] = (uint8_t)(hi >> (8 * i));
    dt_col_append_fixed(c, v, NULL, 1);
}

static void put_iv(dt_column *c, uint32_t months, uint32_t days, uint32_t ms)
{
    uint32_t v[3] = {months, days, ms};
    dt_col_append_fixed(c, v, NULL, 1);
}

/* CSV spells every value of the new kinds so that DuckDB reads it back
 * (times of day as DuckDB and arrow do, nanoseconds kept, a Z only on
 * instants); JSON spells the same values, numbers as numbers in full, NaN
 * and infinities as strings apart from null. */
static void test_new_kind_spelling(void)
{
    dt_schema s;
    dt_schema_init(&s, 9);
    add_col(&s, 0, "u", DT_UINT64, 0, 0);
    add_col(&s, 1, "ts_ms", DT_TIMESTAMP, DT_UNIT_MS, false);
    add_col(&s, 2, "ts_ns", DT_TIMESTAMP, DT_UNIT_NS, true);
    add_col(&s, 3, "t_us", DT_TIME, DT_UNIT_US, false);
    add_col(&s, 4, "t_ns", DT_TIME, DT_UNIT_NS, false);
    add_col(&s, 5, "t_ms", DT_TIME, DT_UNIT_MS, true);
    add_col(&s, 6, "d", DT_DECIMAL128, 0, 0);
    s.fields[6].precision = 38;
    s.fields[6].scale = 10;
    add_col(&s, 7, "iv", DT_INTERVAL, 0, 0);
    add_col(&s, 8, "x", DT_DOUBLE, 0, 0);
    dt_table *t = dt_table_new(&s, 4);
    dt_column *c = t->cols;
    /* row 0 */
    dt_col_append_u64(&c[0], UINT64_MAX);
    dt_col_append_i64(&c[1], -1);
    dt_col_append_i64(&c[2], 1577836800123456789);
    dt_col_append_i64(&c[3], 35076358352);
    dt_col_append_i64(&c[4], 86399999999999);
    dt_col_append_i64(&c[5], 500);
    put16(&c[6], 0x098a223fffffffffULL, 0x4b3b4ca85a86c47aULL); /* 10^38 - 1 */
    put_iv(&c[7], 14, 3, 14706789);
    dt_col_append_f64(&c[8], NAN);
    dt_table_end_row(t);
    /* row 1 */
    dt_col_append_u64(&c[0], 0);
    dt_col_append_i64(&c[1], 1700000000000);
    dt_col_append_i64(&c[2], -1);
    dt_col_append_i64(&c[3], 86400000000);
    dt_col_append_i64(&c[4], 1);
    dt_col_append_i64(&c[5], 0);
    put16(&c[6], UINT64_MAX, UINT64_MAX); /* -1: -0.0000000001 */
    put_iv(&c[7], 0, 0, 0);
    dt_col_append_f64(&c[8], -INFINITY);
    dt_table_end_row(t);
    /* row 2: the ends of the ranges; row 3: missing */
    dt_col_append_u64(&c[0], (uint64_t)1 << 63);
    dt_col_append_i64(&c[1], INT64_MIN);
    dt_col_append_i64(&c[2], INT64_MAX);
    dt_col_append_i64(&c[3], 0);
    dt_col_append_i64(&c[4], 0);
    dt_col_append_i64(&c[5], 86399999);
    put16(&c[6], 0, (uint64_t)1 << 63); /* INT128_MIN, wider than 38 digits */
    put_iv(&c[7], 1, 0, UINT32_MAX);
    dt_col_append_f64(&c[8], INFINITY);
    dt_table_end_row(t);
    for (size_t i = 0; i < t->ncol; i++)
        dt_col_append_null(&c[i]);
    dt_table_end_row(t);
    dt_buf csv = DT_BUF_INIT, json = DT_BUF_INIT;
    spell(t, &csv, &json);
    T_EQ_STR(dt_buf_cstr(&csv),
             "u,ts_ms,ts_ns,t_us,t_ns,t_ms,d,iv,x\n"
             "18446744073709551615,1969-12-31T23:59:59.999,2020-01-01T00:00:00.123456789Z,09:44:36.358352,"
             "23:59:59.999999999,00:00:00.5+00,9999999999999999999999999999.9999999999,"
             "1 year 2 months 3 days 04:05:06.789,NaN\n"
             "0,2023-11-14T22:13:20,1969-12-31T23:59:59.999999999Z,24:00:00,00:00:00.000000001,00:00:00+00,"
             "-0.0000000001,00:00:00,-Inf\n"
             "9223372036854775808,-292275055-05-16T16:47:04.192,2262-04-11T23:47:16.854775807Z,00:00:00,"
             "00:00:00,23:59:59.999+00,-17014118346046923173168730371.5884105728,1 month 1193:02:47.295,Inf\n"
             ",,,,,,,,\n");
    T_EQ_STR(dt_buf_cstr(&json),
             "{\"u\":18446744073709551615,\"ts_ms\":\"1969-12-31T23:59:59.999\",\"ts_ns\":\"2020-01-01T00:00:00.123456789Z\","
             "\"t_us\":\"09:44:36.358352\",\"t_ns\":\"23:59:59.999999999\",\"t_ms\":\"00:00:00.5+00\","
             "\"d\":9999999999999999999999999999.9999999999,\"iv\":\"1 year 2 months 3 days 04:05:06.789\",\"x\":\"NaN\"}\n"
             "{\"u\":0,\"ts_ms\":\"2023-11-14T22:13:20\",\"ts_ns\":\"1969-12-31T23:59:59.999999999Z\",\"t_us\":\"24:00:00\","
             "\"t_ns\":\"00:00:00.000000001\",\"t_ms\":\"00:00:00+00\",\"d\":-0.0000000001,\"iv\":\"00:00:00\","
             "\"x\":\"-Infinity\"}\n"
             "{\"u\":9223372036854775808,\"ts_ms\":\"-292275055-05-16T16:47:04.192\",\"ts_ns\":\"2262-04-11T23:47:16.854775807Z\","
             "\"t_us\":\"00:00:00\",\"t_ns\":\"00:00:00\",\"t_ms\":\"23:59:59.999+00\","
             "\"d\":-17014118346046923173168730371.5884105728,\"iv\":\"1 month 1193:02:47.295\",\"x\":\"Infinity\"}\n"
             "{\"u\":null,\"ts_ms\":null,\"ts_ns\":null,\"t_us\":null,\"t_ns\":null,\"t_ms\":null,\"d\":null,"
             "\"iv\":null,\"x\":null}\n");
    dt_buf_free(&csv);
    dt_buf_free(&json);
    dt_table_free(t);
    dt_schema_free(&s);
}

/* Inference: ints past int64 are uint64, ints mixed with negatives past
 * int64 are double; timestamps with digits past microseconds are in
 * nanoseconds (when every value is in their range), else a string; a
 * timestamp column keeps microseconds otherwise. */
static void test_new_kind_inference(void)
{
    dt_table *t;
    T_OK(read_text("u,mixed,ns,far,us,t\n"
                   "18446744073709551615,18446744073709551615,2024-01-01T00:00:00.123456789Z,1500-01-01,2024-01-01T00:00:00.5Z,09:44:36\n"
                   "0,-1,2024-01-01,2024-01-01T00:00:00.000000001,2024-01-01 00:00:00.123456000,10:00\n",
                   NULL, &t));
    T_EQ_STR(kind_of(t, 0), "uint64");
    T_EQ_STR(cell(t, 0, 0), "18446744073709551615");
    T_EQ_STR(kind_of(t, 1), "double");
    dt_buf d = DT_BUF_INIT;
    dt_field_describe(&t->cols[2].field, &d);
    T_EQ_STR(dt_buf_cstr(&d), "timestamp(ns, UTC)");
    T_EQ_STR(cell(t, 0, 2), "2024-01-01T00:00:00.123456789Z");
    T_EQ_STR(cell(t, 1, 2), "2024-01-01T00:00:00Z");
    T_EQ_STR(kind_of(t, 3), "string"); /* year 1500 needs microseconds, the other nanoseconds */
    dt_buf_clear(&d);
    dt_field_describe(&t->cols[4].field, &d);
    T_EQ_STR(dt_buf_cstr(&d), "timestamp(us, UTC)"); /* zeros past microseconds need no more */
    T_EQ_STR(kind_of(t, 5), "string"); /* times of day are not inferred */
    dt_buf_free(&d);
    dt_table_free(t);

    /* one pass: a later value with nanoseconds restarts in nanoseconds */
    int restarts;
    size_t rows;
    char kinds[128];
    T_OK(read_one_pass("ts\n2024-01-01T00:00:00Z\n2024-01-02T00:00:00Z\n2024-01-03T00:00:00.000000007Z\n", 1,
                       &restarts, &rows, kinds, sizeof kinds));
    T_EQ_INT(restarts, 1);
    T_EQ_INT(rows, 3);
}

/* Forcing uint64 and time; a time of day is HH:MM[:SS[.f]] to 24:00:00. */
static void test_forced_new_kinds(void)
{
    dt_schema f;
    dt_schema_init(&f, 2);
    dt_schema_set(&f, 0, "u", DT_UINT64);
    dt_schema_set(&f, 1, "t", DT_TIME);
    dt_csv_options o = {.forced = &f};
    dt_table *t;
    T_OK(read_text("u,t\n1,09:44:36.358352\n18446744073709551615,24:00:00\n7,23:59\n8,12:00:00.5+00\n9,\n", &o, &t));
    T_EQ_STR(kind_of(t, 0), "uint64");
    T_EQ_STR(cell(t, 1, 0), "18446744073709551615");
    T_EQ_STR(kind_of(t, 1), "time");
    T_EQ_STR(cell(t, 0, 1), "09:44:36.358352");
    T_EQ_STR(cell(t, 1, 1), "24:00:00");
    T_EQ_STR(cell(t, 2, 1), "23:59:00");
    T_EQ_STR(cell(t, 3, 1), "12:00:00.5");
    T_EQ_STR(cell(t, 4, 1), "<null>");
    dt_table_free(t);
    T_ERR(read_text("u,t\n1,24:00:01\n", &o, &t), DATOM_EINVAL, "t.csv:2:2: '24:00:01' is not a valid time (column 't')");
    T_ERR(read_text("u,t\n-1,10:00\n", &o, &t), DATOM_EINVAL, "t.csv:2:1: '-1' is not a valid uint64 (column 'u')");
    T_ERR(read_text("u,t\n18446744073709551616,10:00\n", &o, &t), DATOM_EINVAL, "is not a valid uint64");
    dt_schema_free(&f);

    /* a forced timestamp is in microseconds (digits past them dropped), or in
     * nanoseconds when the forced field says so (the fuzzer's fixed point) */
    dt_schema_init(&f, 1);
    dt_schema_set(&f, 0, "ts", DT_TIMESTAMP);
    o.forced = &f;
    T_OK(read_text("ts\n2024-01-01 00:00:00.1234567890\n", &o, &t));
    T_EQ_STR(cell(t, 0, 0), "2024-01-01T00:00:00.123456Z");
    dt_table_free(t);
    f.fields[0].unit = DT_UNIT_NS;
    T_OK(read_text("ts\n2024-01-01 00:00:00.1234567890\n", &o, &t));
    T_EQ_STR(cell(t, 0, 0), "2024-01-01T00:00:00.123456789Z");
    dt_table_free(t);
    T_ERR(read_text("ts\n1500-01-01\n", &o, &t), DATOM_EINVAL, "t.csv:2:1: '1500-01-01' is not a valid timestamp");
    dt_schema_free(&f);
}

int main(void)
{
    T_RUN(test_inference);
    T_RUN(test_inference_edges);
    T_RUN(test_quoting);
    T_RUN(test_bom_and_delims);
    T_RUN(test_header);
    T_RUN(test_errors);
    T_RUN(test_limits);
    T_RUN(test_wide);
    T_RUN(test_nul);
    T_RUN(test_forced);
    T_RUN(test_na_tokens);
    T_RUN(test_batches);
    T_RUN(test_wide_short);
    T_RUN(test_roundtrip);
    T_RUN(test_writer_spelling);
    T_RUN(test_double_spelling);
    T_RUN(test_files);
    T_RUN(test_one_pass);
    T_RUN(test_new_kind_spelling);
    T_RUN(test_new_kind_inference);
    T_RUN(test_forced_new_kinds);
    return t_done();
}
