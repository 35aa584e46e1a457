/*
 * csv_test.c - the CSV split reader: label rules (named, string last column,
 * none), quoting, CRLF, BOM, blank lines, and every error with its line and
 * column. With a fixtures directory argument, also reads the committed
 * iris_test.csv and checks its 45 rows, 3 classes of 15.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/quant/quant.h"

static int failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                        \
        }                                                                      \
    } while (0)

static csv_table *read_ok(const char *text)
{
    csv_table *t = NULL;
    zkml_error err = {0};
    int rc = csv_read_bytes(text, strlen(text), "t.csv", &t, &err);
    if (rc != 0)
        fprintf(stderr, "unexpected error: %s\n", err.message);
    CHECK(rc == 0 && t);
    return t;
}

/* Expects a failure whose message contains want. */
static void read_fails(const char *text, size_t len, const char *want)
{
    csv_table *t = NULL;
    zkml_error err = {0};
    int rc = csv_read_bytes(text, len, "t.csv", &t, &err);
    CHECK(rc == ZKML_EINVAL && !t);
    if (!strstr(err.message, want)) {
        fprintf(stderr, "message '%s' lacks '%s'\n", err.message, want);
        failures++;
    }
    csv_free(t);
}

static void test_string_label_last(void)
{
    csv_table *t = read_ok("a,b,species\n1,2,virginica\n3,4.5,setosa\n\n5,-6e-1,versicolor\n"
                           "7,8,setosa\n");
    if (!t)
        return;
    CHECK(t->rows == 4 && t->features == 2 && t->has_label);
    CHECK(strcmp(t->label_name, "species") == 0);
    CHECK(strcmp(t->feature_names[0], "a") == 0 && strcmp(t->feature_names[1], "b") == 0);
    CHECK(t->feature_names[2] == NULL);
    CHECK(t->n_classes == 3 && strcmp(t->class_names[0], "setosa") == 0 &&
          strcmp(t->class_names[2], "virginica") == 0);
    CHECK(t->labels[0] == 2 && t->labels[1] == 0 && t->labels[2] == 1 && t->labels[3] == 0);
    CHECK(t->x[3] == 4.5f && t->x[5] == -0.6f);
    csv_free(t);
}

static void test_named_label(void)
{
    csv_table *t = read_ok("label,x1,x2\r\n1,0.5,0.25\r\n0,1,2\r\n3,\"4\",5\r\n");
    if (!t)
        return;
    CHECK(t->rows == 3 && t->features == 2 && t->has_label && !t->class_names);
    CHECK(t->labels[0] == 1 && t->labels[1] == 0 && t->labels[2] == 3 && t->n_classes == 4);
    CHECK(t->x[0] == 0.5f && t->x[1] == 0.25f && t->x[4] == 4.0f && t->x[5] == 5.0f);
    csv_free(t);
}

static void test_no_label(void)
{
    csv_table *t = read_ok("\xEF\xBB\xBF" "f1,f2,f3\n1,2,3\n4,5,6");
    if (!t)
        return;
    CHECK(t->rows == 2 && t->features == 3 && !t->has_label && !t->labels && !t->label_name);
    CHECK(t->x[5] == 6.0f);
    csv_free(t);
}

static void test_quoted(void)
{
    csv_table *t = read_ok("\"x, y\",name\n1,\"a \"\"b\"\"\"\n2,\"multi\nline\"\n");
    if (!t)
        return;
    CHECK(t->rows == 2 && t->features == 1 && strcmp(t->feature_names[0], "x, y") == 0);
    CHECK(strcmp(t->class_names[0], "a \"b\"") == 0 && t->labels[1] == 1);
    csv_free(t);
}

static void test_errors(void)
{
    read_fails("", 0, "empty");
    read_fails(" \n\n", 3, "empty");
    read_fails("1,2,3\n4,5,6\n", 12, "line 1: no header");
    read_fails("a,b\n", 4, "no data rows");
    read_fails("a,b,c\n1,2,3\n1,2\n", 16, "line 3: 2 fields, expected 3");
    read_fails("a,b,c\n1,2,3\n\n1,2,3,4\n", 21, "line 4: 4 fields, expected 3");
    read_fails("a,b,c\n1,x,3\n", 12, "line 2, column 'b': 'x' is not a number");
    read_fails("a,b,label\n1,2,3\n1,nan,0\n", 24, "line 3, column 'b'");
    read_fails("a,label\n1,2.5\n", 14, "line 2, column 'label'");
    read_fails("a,label\n1,-1\n", 13, "not a class index");
    read_fails("a,,c\n1,2,3\n", 11, "line 1: column 2 has no name");
    read_fails("a,b\n1,\"2\n", 9, "unterminated");
    read_fails("a,b\n1,\"2\"x\n", 11, "line 2: text after a closing quote");
    read_fails("label\n1\n", 8, "no feature columns");
    read_fails("a,b\n1,2\0\n", 9, "NUL");
}

static void test_fixture(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/iris_test.csv", dir);
    csv_table *t = NULL;
    zkml_error err = {0};
    if (csv_read_file(path, &t, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        failures++;
        return;
    }
    int count[3] = {0};
    CHECK(t->rows == 45 && t->features == 4 && t->n_classes == 3);
    for (size_t r = 0; r < t->rows; r++)
        if (t->labels[r] >= 0 && t->labels[r] < 3)
            count[t->labels[r]]++;
    CHECK(count[0] == 15 && count[1] == 15 && count[2] == 15);
    CHECK(strcmp(t->class_names[0], "setosa") == 0);
    csv_free(t);
    zkml_error e2 = {0};
    CHECK(csv_read_file("/nonexistent/x.csv", &t, &e2) != 0 && strstr(e2.message, "x.csv"));
}

int main(int argc, char **argv)
{
    test_string_label_last();
    test_named_label();
    test_no_label();
    test_quoted();
    test_errors();
    if (argc > 1)
        test_fixture(argv[1]);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("csv: all checks passed\n");
    return failures ? 1 : 0;
}
