/*
 * csv.c - reads a CSV validation split into a csv_table (see quant.h):
 * features as floats, an optional label column as class indices or as a
 * regression target.
 *
 * Two passes over the bytes: the first reads the header (finding a column
 * named as a label), counts the rows, checks that every row has the
 * header's width and classifies the label candidate's values (strings,
 * class indices, other numbers); the second converts the values. Every
 * error names the file, the line and (for a value) the column.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pipeline/quant/quant.h"

#define CSV_FIELD_MAX 1024
#define CSV_MAX_COLUMNS 100000
#define CSV_MAX_CLASS 1e6

/* Header names (any case) that make a column the label wherever it stands.
 * The first CLASS_ONLY_NAMES always hold classes; "target" and "y" may also
 * hold a regression target, which a "label" column with a 2.5 in it must
 * not silently become. */
static const char *const LABEL_NAMES[] = {"label", "class", "target", "y"};
#define CLASS_ONLY_NAMES 2

typedef struct cursor {
    const char *p, *end;
    size_t line; /* line of the next character */
    const char *name;
} cursor;

/* Reads one field into buf (unquoted, trimmed). *last is set when it ends its
 * record. Returns 0, or fails on an over-long field or a bad quote. */
static int next_field(cursor *c, char *buf, int *last, zkml_error *err)
{
    size_t n = 0;
    int quoted = 0;
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
    if (c->p < c->end && *c->p == '"') {
        quoted = 1;
        c->p++;
        for (;;) {
            if (c->p >= c->end)
                return zkml_fail(err, ZKML_EINVAL, "%s line %zu: unterminated quoted field",
                                 c->name, c->line);
            char ch = *c->p++;
            if (ch == '"') {
                if (c->p < c->end && *c->p == '"')
                    c->p++;
                else
                    break;
            } else if (ch == '\n') {
                c->line++;
            }
            if (n + 1 >= CSV_FIELD_MAX)
                return zkml_fail(err, ZKML_EINVAL, "%s line %zu: field longer than %d bytes",
                                 c->name, c->line, CSV_FIELD_MAX - 1);
            buf[n++] = ch;
        }
    }
    while (c->p < c->end && *c->p != ',' && *c->p != '\n') {
        char ch = *c->p++;
        if (quoted && ch != ' ' && ch != '\t' && ch != '\r')
            return zkml_fail(err, ZKML_EINVAL, "%s line %zu: text after a closing quote", c->name,
                             c->line);
        if (quoted)
            continue;
        if (ch == '\0')
            return zkml_fail(err, ZKML_EINVAL, "%s line %zu: NUL byte", c->name, c->line);
        if (n + 1 >= CSV_FIELD_MAX)
            return zkml_fail(err, ZKML_EINVAL, "%s line %zu: field longer than %d bytes", c->name,
                             c->line, CSV_FIELD_MAX - 1);
        buf[n++] = ch;
    }
    if (!quoted)
        while (n > 0 && isspace((unsigned char)buf[n - 1]))
            n--;
    buf[n] = 0;
    *last = 1;
    if (c->p < c->end && *c->p == ',') {
        *last = 0;
        c->p++;
    } else if (c->p < c->end) {
        c->p++; /* the newline */
        c->line++;
    }
    return 0;
}

/* Skips blank lines; returns 0 at the end of the data. */
static int at_record(cursor *c)
{
    for (;;) {
        const char *q = c->p;
        while (q < c->end && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q >= c->end)
            return 0;
        if (*q != '\n')
            return 1;
        c->p = q + 1;
        c->line++;
    }
}

/* A finite number that also fits a float (features are floats). */
static int parse_number(const char *s, double *v)
{
    if (!*s)
        return -1;
    char *end;
    double d = strtod(s, &end);
    if (*end || !isfinite(d) || fabs(d) > 3.0e38)
        return -1;
    *v = d;
    return 0;
}

static int is_class_index(double v)
{
    return v >= 0 && v <= CSV_MAX_CLASS && v == floor(v);
}

typedef struct shape_scan {
    size_t cols, rows;
    size_t label_col;   /* cols when none */
    int named;          /* the label column has one of LABEL_NAMES */
    int may_regress;    /* ... one that allows a regression target */
    int label_numeric;  /* every value of the label candidate is a number */
    int label_fraction; /* one of its values is a number but no class index */
    int regression;     /* the label is a regression target */
} shape_scan;

/* The column that one of LABEL_NAMES names, wherever it stands; two such
 * columns are ambiguous and refused, naming both. */
static int find_named_label(const cursor *c, size_t line, const csv_table *t, shape_scan *s,
                            zkml_error *err)
{
    s->label_col = s->cols;
    for (size_t i = 0; i < s->cols; i++)
        for (size_t k = 0; k < sizeof LABEL_NAMES / sizeof LABEL_NAMES[0]; k++) {
            if (strcasecmp(t->feature_names[i], LABEL_NAMES[k]) != 0)
                continue;
            if (s->named)
                return zkml_fail(err, ZKML_EINVAL,
                                 "%s line %zu: columns %zu '%.40s' and %zu "
                                 "'%.40s' both name the label (label, class, target or y, any "
                                 "case); rename one",
                                 c->name, line, s->label_col + 1, t->feature_names[s->label_col],
                                 i + 1, t->feature_names[i]);
            s->label_col = i;
            s->named = 1;
            s->may_regress = k >= CLASS_ONLY_NAMES;
        }
    return 0;
}

static int read_header(cursor *c, csv_table *t, shape_scan *s, zkml_error *err)
{
    char buf[CSV_FIELD_MAX];
    int last = 0, numeric = 1;
    size_t cap = 0; /* slots in t->feature_names, its NULL included */
    size_t *cols = &s->cols;
    *cols = 0;
    if (!at_record(c))
        return zkml_fail(err, ZKML_EINVAL, "%s: the file is empty", c->name);
    size_t line = c->line;
    while (!last) {
        if (next_field(c, buf, &last, err) != 0)
            return err->code;
        if (!buf[0])
            return zkml_fail(err, ZKML_EINVAL, "%s line %zu: column %zu has no name", c->name, line,
                             *cols + 1);
        double v;
        numeric &= parse_number(buf, &v) == 0;
        if (*cols == CSV_MAX_COLUMNS)
            return zkml_fail(err, ZKML_EINVAL, "%s line %zu: more than %d columns", c->name, line,
                             CSV_MAX_COLUMNS);
        if (zkml_array_grow((void **)&t->feature_names, &cap, *cols + 2, sizeof(char *)))
            return zkml_fail(err, ZKML_ENOMEM, "out of memory");
        t->feature_names[*cols + 1] = NULL; /* kept NULL-terminated for csv_free */
        if (!(t->feature_names[*cols] = strdup(buf)))
            return zkml_fail(err, ZKML_ENOMEM, "out of memory");
        (*cols)++;
    }
    if (numeric)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s line %zu: no header row (every field is a "
                         "number)",
                         c->name, line);
    return find_named_label(c, line, t, s, err);
}

/* Pass 1: row count, widths, and what the label candidate holds: the named
 * column, else the last. */
static int scan_rows(cursor c, shape_scan *s, zkml_error *err)
{
    char buf[CSV_FIELD_MAX];
    size_t candidate = s->named ? s->label_col : s->cols - 1;
    s->label_numeric = 1;
    s->rows = 0;
    while (at_record(&c)) {
        size_t line = c.line, n = 0;
        int last = 0;
        while (!last) {
            if (next_field(&c, buf, &last, err) != 0)
                return err->code;
            double v;
            if (n++ != candidate)
                continue;
            /* A blank decides nothing: fill_rows refuses it in either role. */
            int numeric = parse_number(buf, &v) == 0;
            s->label_numeric &= numeric || !buf[0];
            s->label_fraction |= numeric && !is_class_index(v);
        }
        if (n != s->cols)
            return zkml_fail(err, ZKML_EINVAL, "%s line %zu: %zu fields, expected %zu", c.name,
                             line, n, s->cols);
        s->rows++;
    }
    if (s->rows == 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: no data rows after the header", c.name);
    if (!s->named && !s->label_numeric)
        s->label_col = s->cols - 1;
    /* A float makes a target column a regression target even beside a value
     * that is no number (that one then fails with its line, rather than the
     * floats silently becoming class names). */
    s->regression = s->may_regress && s->label_fraction;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* String labels: sorted unique names, then each row's index among them. */
static int map_string_labels(csv_table *t, char **row_labels, zkml_error *err)
{
    char **sorted = malloc(t->rows * sizeof(char *));
    if (!sorted)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory");
    memcpy(sorted, row_labels, t->rows * sizeof(char *));
    qsort(sorted, t->rows, sizeof(char *), cmp_names);
    size_t u = 0;
    for (size_t i = 0; i < t->rows; i++)
        if (u == 0 || strcmp(sorted[u - 1], sorted[i]) != 0)
            sorted[u++] = sorted[i];
    t->class_names = calloc(u, sizeof(char *));
    int rc = t->class_names ? 0 : zkml_fail(err, ZKML_ENOMEM, "out of memory");
    for (size_t i = 0; i < u && rc == 0; i++)
        if (!(t->class_names[i] = strdup(sorted[i])))
            rc = zkml_fail(err, ZKML_ENOMEM, "out of memory");
    t->n_classes = (int)u;
    for (size_t r = 0; r < t->rows && rc == 0; r++) {
        char **hit = bsearch(&row_labels[r], sorted, u, sizeof(char *), cmp_names);
        t->labels[r] = (int)(hit - sorted);
    }
    free(sorted);
    return rc;
}

/* Row r's label: a string kept for map_string_labels, a regression
 * target, or a class index (a named class column holding another number
 * fails here, at its line). */
static int store_label(const cursor *c, size_t line, const shape_scan *s, csv_table *t, size_t r,
                       const char *buf, char **row_labels, zkml_error *err)
{
    double v = -1;
    int numeric = parse_number(buf, &v) == 0;
    if (!buf[0])
        return zkml_fail(err, ZKML_EINVAL, "%s line %zu, column '%s': the label is empty", c->name,
                         line, t->label_name);
    if (row_labels)
        return (row_labels[r] = strdup(buf)) ? 0 : zkml_fail(err, ZKML_ENOMEM, "out of memory");
    if (s->regression && !numeric)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s line %zu, column '%s': '%.40s' is not a number "
                         "(the column holds regression targets)",
                         c->name, line, t->label_name, buf);
    if (s->regression) {
        t->targets[r] = v;
        return 0;
    }
    if (!is_class_index(v))
        return zkml_fail(err, ZKML_EINVAL,
                         "%s line %zu, column '%s': label '%.40s' is not a "
                         "class index (a non-negative integer); a float regression target "
                         "goes in a column named target or y",
                         c->name, line, t->label_name, buf);
    t->labels[r] = (int)v;
    if ((int)v + 1 > t->n_classes)
        t->n_classes = (int)v + 1;
    return 0;
}

/* Pass 2: converts every value. */
static int fill_rows(cursor c, const shape_scan *s, csv_table *t, zkml_error *err)
{
    char buf[CSV_FIELD_MAX];
    char **row_labels = NULL;
    int rc = 0;
    if (t->has_label && !s->label_numeric && !s->regression &&
        !(row_labels = calloc(t->rows, sizeof(char *))))
        return zkml_fail(err, ZKML_ENOMEM, "out of memory");
    for (size_t r = 0; r < t->rows && rc == 0; r++) {
        at_record(&c);
        size_t line = c.line, f = 0;
        int last = 0;
        t->lines[r] = line;
        for (size_t col = 0; !last && rc == 0; col++) {
            if ((rc = next_field(&c, buf, &last, err)) != 0)
                break;
            double v;
            if (col == s->label_col)
                rc = store_label(&c, line, s, t, r, buf, row_labels, err);
            else if (parse_number(buf, &v) != 0)
                rc = zkml_fail(err, ZKML_EINVAL,
                               "%s line %zu, column '%s': '%.40s' is not a "
                               "number",
                               c.name, line, t->feature_names[f], buf);
            else
                t->x[r * t->features + f++] = (float)v;
        }
    }
    if (rc == 0 && row_labels)
        rc = map_string_labels(t, row_labels, err);
    for (size_t r = 0; row_labels && r < t->rows; r++)
        free(row_labels[r]);
    free(row_labels);
    return rc;
}

/* Moves the label column's name out of feature_names. */
static void take_label_name(csv_table *t, size_t label_col, size_t cols)
{
    t->label_name = t->feature_names[label_col];
    memmove(&t->feature_names[label_col], &t->feature_names[label_col + 1],
            (cols - label_col) * sizeof(char *)); /* with the NULL terminator */
}

static int read_table(cursor *c, csv_table *t, zkml_error *err)
{
    shape_scan s = {0};
    int rc = read_header(c, t, &s, err);
    if (rc == 0)
        rc = scan_rows(*c, &s, err);
    if (rc != 0)
        return rc;
    t->rows = s.rows;
    t->has_label = s.label_col < s.cols;
    t->features = s.cols - (size_t)t->has_label;
    if (t->has_label)
        take_label_name(t, s.label_col, s.cols);
    if (t->features == 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: no feature columns", c->name);
    if (t->rows > SIZE_MAX / sizeof(float) / t->features)
        return zkml_fail(err, ZKML_EINVAL, "%s: too many values", c->name);
    t->x = malloc(t->rows * t->features * sizeof(float));
    t->lines = malloc(t->rows * sizeof(size_t));
    if (s.regression)
        t->targets = malloc(t->rows * sizeof(double));
    else if (t->has_label)
        t->labels = calloc(t->rows, sizeof(int));
    if (!t->x || !t->lines || (t->has_label && !t->labels && !t->targets))
        return zkml_fail(err, ZKML_ENOMEM, "out of memory");
    return fill_rows(*c, &s, t, err);
}

int csv_read_bytes(const char *data, size_t len, const char *name, csv_table **out, zkml_error *err)
{
    zkml_error local;
    if (!err)
        err = &local;
    *out = NULL;
    cursor c = {.p = data, .end = data + len, .line = 1, .name = name ? name : "CSV"};
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        c.p += 3; /* UTF-8 byte order mark */
    csv_table *t = calloc(1, sizeof(*t));
    if (!t)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory");
    int rc = read_table(&c, t, err);
    if (rc != 0) {
        csv_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int csv_read_file(const char *path, csv_table **out, zkml_error *err)
{
    uint8_t *data;
    size_t len;
    *out = NULL;
    int rc = zkml_read_file(path, CSV_MAX_FILE_BYTES, &data, &len, err);
    if (rc != 0)
        return rc;
    rc = csv_read_bytes((const char *)data, len, path, out, err);
    free(data);
    return rc;
}

void csv_free(csv_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->feature_names && t->feature_names[i]; i++)
        free(t->feature_names[i]);
    free(t->feature_names);
    free(t->label_name);
    for (int i = 0; t->class_names && i < t->n_classes; i++)
        free(t->class_names[i]);
    free(t->class_names);
    free(t->x);
    free(t->labels);
    free(t->targets);
    free(t->lines);
    free(t);
}
