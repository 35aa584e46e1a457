/*
 * label_test.c - the CSV reader's label column: each of the names label,
 * class, target and y in mixed case, first, in the middle and last; a float
 * target (regression) against integer classes and strings; two label
 * columns; a class label that is not an integer; and, with the fixtures
 * directory as argument, quant_dataset_load refusing a regression target
 * for a model with three outputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/quant/quant.h"
#include "tests/check.h"

static csv_table *read_ok(const char *text)
{
    csv_table *t = NULL;
    zkml_error err = {0};
    int rc = csv_read_bytes(text, strlen(text), "t.csv", &t, &err);
    CHECK(rc == 0 && t, "unexpected error reading '%s': %s", text, err.message);
    return rc == 0 ? t : NULL;
}

static void read_fails(const char *text, const char *want)
{
    csv_table *t = NULL;
    zkml_error err = {0};
    int rc = csv_read_bytes(text, strlen(text), "t.csv", &t, &err);
    CHECK(rc == ZKML_EINVAL && !t, "'%s' read without an error", text);
    CHECK(strstr(err.message, want), "message '%s' lacks '%s'", err.message, want);
    csv_free(t);
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
    CHECK(t->labels[0] == 2 && t->labels[1] == 0 && t->labels[2] == 1 &&
          t->n_classes == 3, "%s at %d: wrong classes", name, pos);
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
    CHECK(t->targets[0] == 0.71539 && t->targets[1] == -15 &&
          t->targets[2] == 1e-3, "targets differ from strtod's doubles");
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

static void test_errors(void)
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
    char dir[] = "/tmp/zkml_label_XXXXXX", path[4096];
    onnx_model *g = NULL;
    zkml_error err = {0};
    snprintf(path, sizeof path, "%s/iris_linear.onnx", fixtures);
    if (!mkdtemp(dir) || onnx_load_file(path, &g, &err) != 0) {
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
          strstr(err.message, "has 3 values"), "rc %d, message '%s'", rc, err.message);
    if (rc == 0)
        quant_dataset_free(&d);
    onnx_free(g);
    unlink(path);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    test_names_and_places();
    test_regression_target();
    test_not_label_names();
    test_errors();
    if (argc > 1)
        test_dataset_width(argv[1]);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("csv labels: all checks passed\n");
    return failures ? 1 : 0;
}
