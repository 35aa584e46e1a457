/*
 * csv_test.c - the CSV split reader: label rules (a column named label,
 * class, target or y in any case wherever it stands, else a string last
 * column, else none; a float target as regression), quoting, CRLF, BOM,
 * blank lines, and every error with its line and column. With a fixtures
 * directory argument, also reads the committed iris_test.csv (45 rows, 3
 * classes of 15) and checks that quant_dataset_load refuses a regression
 * target for a model with three outputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/quant/quant.h"
#include "tests/check.h"
#include "tests/test_util.h"

static csv_table *read_ok(const char *text)
{
    csv_table *t = NULL;
    zkml_error err = {0};
    int rc = csv_read_bytes(text, strlen(text), "t.csv", &t, &err);
    CHECK(rc == 0 && t, "unexpected error reading '%s': %s", text, err.message);
    return rc == 0 ? t : NULL;
}

/* Expects a failure whose message contains want (len: the text may hold a NUL). */
static void read_fails_n(const char *text, size_t len, const char *want)
{
    csv_table *t = NULL;
    zkml_error err = {0};
    int rc = csv_read_bytes(text, len, "t.csv", &t, &err);
    CHECK(rc == ZKML_EINVAL && !t, "'%s' read without an error", text);
    CHECK(strstr(err.message, want), "message '%s' lacks '%s'", err.message, want);
    csv_free(t);
}

static void read_fails(const char *text, const char *want)
{
    read_fails_n(text, strlen(text), want);
}

static void test_string_label_last(void)
{
    csv_table *t = read_ok("a,b,species\n1,2,virginica\n3,4.5,setosa\n\n5,-6e-1,versicolor\n"
                           "7,8,setosa\n");
    if (!t)
        return;
    CHECK(t->rows == 4 && t->features == 2 && t->has_label, "species: shape");
    CHECK(strcmp(t->label_name, "species") == 0, "label column '%s'", t->label_name);
    CHECK(strcmp(t->feature_names[0], "a") == 0 && strcmp(t->feature_names[1], "b") == 0,
          "species: feature names");
    CHECK(t->feature_names[2] == NULL, "feature names not NULL-terminated");
    CHECK(t->n_classes == 3 && strcmp(t->class_names[0], "setosa") == 0 &&
              strcmp(t->class_names[2], "virginica") == 0,
          "species: class names");
    CHECK(t->labels[0] == 2 && t->labels[1] == 0 && t->labels[2] == 1 && t->labels[3] == 0,
          "species: class indices");
    CHECK(t->x[3] == 4.5f && t->x[5] == -0.6f, "species: features");
    csv_free(t);
}

static void test_named_label(void)
{
    csv_table *t = read_ok("label,x1,x2\r\n1,0.5,0.25\r\n0,1,2\r\n3,\"4\",5\r\n");
    if (!t)
        return;
    CHECK(t->rows == 3 && t->features == 2 && t->has_label && !t->class_names, "label: shape");
    CHECK(t->labels[0] == 1 && t->labels[1] == 0 && t->labels[2] == 3 && t->n_classes == 4,
          "label: class indices");
    CHECK(t->x[0] == 0.5f && t->x[1] == 0.25f && t->x[4] == 4.0f && t->x[5] == 5.0f,
          "label: features");
    csv_free(t);
}

static void test_no_label(void)
{
    csv_table *t = read_ok("\xEF\xBB\xBF"
                           "f1,f2,f3\n1,2,3\n4,5,6");
    if (!t)
        return;
    CHECK(t->rows == 2 && t->features == 3 && !t->has_label && !t->labels && !t->label_name,
          "no label: shape");
    CHECK(t->x[5] == 6.0f, "no label: features");
    csv_free(t);
}

static void test_quoted(void)
{
    csv_table *t = read_ok("\"x, y\",name\n1,\"a \"\"b\"\"\"\n2,\"multi\nline\"\n");
    if (!t)
        return;
    CHECK(t->rows == 2 && t->features == 1 && strcmp(t->feature_names[0], "x, y") == 0,
          "quoted: header");
    CHECK(strcmp(t->class_names[0], "a \"b\"") == 0 && t->labels[1] == 1, "quoted: labels");
    csv_free(t);
}

static void test_errors(void)
{
    read_fails("", "empty");
    read_fails(" \n\n", "empty");
    read_fails("1,2,3\n4,5,6\n", "line 1: no header");
    read_fails("a,b\n", "no data rows");
    read_fails("a,b,c\n1,2,3\n1,2\n", "line 3: 2 fields, expected 3");
    read_fails("a,b,c\n1,2,3\n\n1,2,3,4\n", "line 4: 4 fields, expected 3");
    read_fails("a,b,c\n1,x,3\n", "line 2, column 'b': 'x' is not a number");
    read_fails("a,b,label\n1,2,3\n1,nan,0\n", "line 3, column 'b'");
    read_fails("a,label\n1,2.5\n", "line 2, column 'label'");
    read_fails("a,label\n1,-1\n", "not a class index");
    read_fails("a,,c\n1,2,3\n", "line 1: column 2 has no name");
    read_fails("a,b\n1,\"2\n", "unterminated");
    read_fails("a,b\n1,\"2\"x\n", "line 2: text after a closing quote");
    read_fails("label\n1\n", "no feature columns");
    read_fails_n("a,b\n1,2\0\n", 9, "NUL");
}

static void test_fixture(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/iris_test.csv", dir);
    csv_table *t = NULL;
    zkml_error err = {0};
    if (csv_read_file(path, &t, &err) != 0) {
        CHECK(0, "%s", err.message);
        return;
    }
    int count[3] = {0};
    CHECK(t->rows == 45 && t->features == 4 && t->n_classes == 3, "iris: shape");
    for (size_t r = 0; r < t->rows; r++)
        if (t->labels[r] >= 0 && t->labels[r] < 3)
            count[t->labels[r]]++;
    CHECK(count[0] == 15 && count[1] == 15 && count[2] == 15, "iris: %d/%d/%d per class", count[0],
          count[1], count[2]);
    CHECK(strcmp(t->class_names[0], "setosa") == 0, "iris: class 0 '%s'", t->class_names[0]);
    csv_free(t);
    zkml_error e2 = {0};
    CHECK(csv_read_file("/nonexistent/x.csv", &t, &e2) != 0 && strstr(e2.message, "x.csv"),
          "a missing file: '%s'", e2.message);
}

/* Three columns, the label named `name` at `pos`, the features a and b in
 * order around it; classes 2, 0, 1. */
static void test_named_at(const char *name, int pos)
{
    const char *cols[3] = {"a", "b", NULL};
    const char *vals[3][3] = {{"0.5", "1.5", "2"}, {"-1", "3", "0"}, {"4", "5e-1", "1"}};
    char text[512], *p = text;
    const char *hdr[3];
    for (int i = 0, f = 0; i < 3; i++)
        hdr[i] = i == pos ? name : cols[f++];
    p += sprintf(p, "%s,%s,%s\n", hdr[0], hdr[1], hdr[2]);
    for (int r = 0; r < 3; r++) {
        const char *row[3];
        for (int i = 0, f = 0; i < 3; i++)
            row[i] = i == pos ? vals[r][2] : vals[r][f++];
        p += sprintf(p, "%s,%s,%s\n", row[0], row[1], row[2]);
    }
    csv_table *t = read_ok(text);
    if (!t)
        return;
    CHECK(t->has_label && t->labels && !t->targets && t->features == 2,
          "%s at %d: label %d, features %zu", name, pos, t->has_label, t->features);
    if (!t->labels || t->features != 2) {
        csv_free(t);
        return;
    }
    CHECK(strcmp(t->label_name, name) == 0, "%s at %d: label column '%s'", name, pos,
          t->label_name);
    CHECK(strcmp(t->feature_names[0], "a") == 0 && strcmp(t->feature_names[1], "b") == 0,
          "%s at %d: features '%s', '%s'", name, pos, t->feature_names[0], t->feature_names[1]);
    CHECK(t->labels[0] == 2 && t->labels[1] == 0 && t->labels[2] == 1 && t->n_classes == 3,
          "%s at %d: wrong classes", name, pos);
    CHECK(t->x[0] == 0.5f && t->x[1] == 1.5f && t->x[2] == -1.0f && t->x[5] == 0.5f,
          "%s at %d: wrong features", name, pos);
    csv_free(t);
}

static void test_names_and_places(void)
{
    const char *names[] = {"LaBeL", "Class", "tARGET", "Y", "label", "y"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (int pos = 0; pos < 3; pos++)
            test_named_at(names[i], pos);
}

static void test_regression_target(void)
{
    csv_table *t = read_ok("x0,x1,Target,x2\n0.5,1,0.71539,3\n1,2,-15,4\n2,3,1e-3,5\n");
    if (!t)
        return;
    CHECK(t->has_label && t->targets && !t->labels && t->features == 3 && t->n_classes == 0,
          "float target not read as a regression target");
    if (!t->targets || t->features != 3) {
        csv_free(t);
        return;
    }
    CHECK(t->targets[0] == 0.71539 && t->targets[1] == -15 && t->targets[2] == 1e-3,
          "targets differ from strtod's doubles");
    CHECK(strcmp(t->feature_names[2], "x2") == 0 && t->x[2] == 3.0f && t->x[5] == 4.0f,
          "features around the target misread");
    csv_free(t);
    /* Negative integers cannot be classes: a "y" column holding them is a target. */
    t = read_ok("y,a\n-1,0\n2,1\n");
    CHECK(t && t->targets && t->targets[0] == -1, "negative integer y is not a target");
    csv_free(t);
    /* Integers are classes even in a "target" column; strings are class names. */
    t = read_ok("a,target\n1,0\n2,3\n");
    CHECK(t && t->labels && !t->targets && t->n_classes == 4, "integer target not classes");
    csv_free(t);
    t = read_ok("target,a\nlow,1\nhigh,2\n");
    CHECK(t && t->class_names && t->labels && t->labels[0] == 1, "string target not class names");
    csv_free(t);
}

static void test_not_label_names(void)
{
    /* Only the exact names count: these are features, and with every column
     * numeric there is no label (the rule before named columns). */
    csv_table *t = read_ok("labels,my_target,yy,class_id\n1,2.5,3,4\n");
    CHECK(t && !t->has_label && t->features == 4, "a near-miss name was taken as the label");
    csv_free(t);
}

static void test_label_errors(void)
{
    read_fails("label,a,Target\n1,2,3\n", "t.csv line 1: columns 1 'label' and 3 'Target' "
                                          "both name the label");
    read_fails("a,Y,b,CLASS\n1,2,3,4\n", "line 1: columns 2 'Y' and 4 'CLASS'");
    read_fails("a,Class,b\n1,2,3\n4,1.5,6\n", "t.csv line 3, column 'Class': label '1.5' is "
                                              "not a class index");
    read_fails("Label,a\n0,1\n\n-2,1\n", "line 4, column 'Label': label '-2'");
    /* A float target with a blank or a word in it: an error at that line, not
     * class names. */
    read_fails("x,target,z\n1,0.5,2\n1,,2\n", "line 3, column 'target': the label is empty");
    read_fails("x,y\n1,0.5\n2,1\n3,n/a\n", "line 4, column 'y': 'n/a' is not a number "
                                           "(the column holds regression targets)");
    read_fails("a,species\n1,setosa\n2,\"\"\n", "line 3, column 'species': the label is empty");
    /* A blank in an unnamed numeric last column is a missing feature. */
    read_fails("a,b\n1,2\n3,\n", "line 3, column 'b': '' is not a number");
}

/* A regression target needs a model with one output: iris_linear has three. */
static void test_dataset_width(const char *fixtures)
{
    char dir[256], path[4096];
    onnx_model *g = NULL;
    zkml_error err = {0};
    snprintf(path, sizeof path, "%s/iris_linear.onnx", fixtures);
    test_tmpdir(dir, sizeof dir, "label");
    if (onnx_load_file(path, &g, &err) != 0) {
        CHECK(0, "setup: %s", err.message);
        return;
    }
    snprintf(path, sizeof path, "%s/data.csv", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (f) {
        fputs("a,b,target,c,d\n1,2,0.5,3,4\n", f);
        fclose(f);
    }
    quant_dataset d;
    int rc = quant_dataset_load(dir, g, 0, &d, &err);
    CHECK(rc == ZKML_EINVAL && strstr(err.message, "column 'target' is a regression target") &&
              strstr(err.message, "has 3 values"),
          "rc %d, message '%s'", rc, err.message);
    if (rc == 0)
        quant_dataset_free(&d);
    onnx_free(g);
    test_rm_rf(dir);
}

int main(int argc, char **argv)
{
    test_string_label_last();
    test_named_label();
    test_no_label();
    test_quoted();
    test_errors();
    test_names_and_places();
    test_regression_target();
    test_not_label_names();
    test_label_errors();
    if (argc > 1) {
        test_fixture(argv[1]);
        test_dataset_width(argv[1]);
    }
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("csv: all checks passed\n");
    return failures ? 1 : 0;
}
