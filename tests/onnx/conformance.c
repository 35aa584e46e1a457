/*
 * conformance.c - the float evaluator against the ONNX node tests shipped in
 * Debian's libonnx-testdata (an independent oracle: expected outputs computed
 * by the ONNX reference implementation / PyTorch).
 *
 * Usage: onnx_conformance DATA_DIR   (DATA_DIR holds node/ and pytorch-converted/)
 * For every op we support, runs each data/node/test_<op>* case and every
 * data/pytorch-converted and data/pytorch-operator case, compares each output at 1e-4 (absolute, plus
 * 1e-4 relative), prints how many cases ran and were skipped per op with the
 * reasons. A case the loader refuses (an op, type or attribute outside our
 * list) is skipped. Exit 1 if any case that ran mismatches, or an op in the
 * list ran no case; 77 (ctest skip) if the data is not installed.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/onnx/onnx.h"

#define MAX_IO 16

typedef struct op_cases {
    const char *op;
    const char *prefixes[4];
    int ran, skipped, failed;
} op_cases;

/* Longest prefixes first where one op's prefix starts another's. */
static op_cases table[] = {
    {"Pad", {"test_constant_pad", "test_edge_pad", "test_reflect_pad", "test_pad"}, 0, 0, 0},
    {"Gemm", {"test_gemm"}, 0, 0, 0},
    {"MatMul", {"test_matmul_"}, 0, 0, 0},
    {"Add", {"test_add"}, 0, 0, 0},
    {"Sub", {"test_sub"}, 0, 0, 0},
    {"Mul", {"test_mul"}, 0, 0, 0},
    {"Div", {"test_div"}, 0, 0, 0},
    {"Relu", {"test_relu"}, 0, 0, 0},
    {"LeakyRelu", {"test_leakyrelu"}, 0, 0, 0},
    {"PRelu", {"test_prelu"}, 0, 0, 0},
    {"Sigmoid", {"test_sigmoid"}, 0, 0, 0},
    {"Tanh", {"test_tanh"}, 0, 0, 0},
    {"Softmax", {"test_softmax"}, 0, 0, 0},
    {"Clip", {"test_clip"}, 0, 0, 0},
    {"Conv", {"test_conv_", "test_basic_conv"}, 0, 0, 0},
    {"MaxPool", {"test_maxpool"}, 0, 0, 0},
    {"AveragePool", {"test_averagepool"}, 0, 0, 0},
    {"GlobalAveragePool", {"test_globalaveragepool"}, 0, 0, 0},
    {"BatchNormalization", {"test_batchnorm"}, 0, 0, 0},
    {"Flatten", {"test_flatten"}, 0, 0, 0},
    {"Reshape", {"test_reshape"}, 0, 0, 0},
    {"Transpose", {"test_transpose"}, 0, 0, 0},
    {"Concat", {"test_concat"}, 0, 0, 0},
    {"Squeeze", {"test_squeeze"}, 0, 0, 0},
    {"Unsqueeze", {"test_unsqueeze"}, 0, 0, 0},
    {"Identity", {"test_identity"}, 0, 0, 0},
    {"Cast", {"test_cast_"}, 0, 0, 0},
    {"Constant", {"test_constant"}, 0, 0, 0},
    {"Dropout", {"test_dropout"}, 0, 0, 0},
    {"ReduceMean", {"test_reduce_mean"}, 0, 0, 0},
    {"ReduceSum", {"test_reduce_sum_"}, 0, 0, 0},
};
#define N_OPS (sizeof(table) / sizeof(table[0]))

/* Whole-model suites, each case run in full. */
static op_cases suites[] = {
    {"pytorch-converted", {NULL}, 0, 0, 0},
    {"pytorch-operator", {NULL}, 0, 0, 0},
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of dir starting with prefix (NULL-terminated array). */
static char **list_dir(const char *dir, const char *prefix, int *count)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    int n = 0;
    size_t cap = 0;
    *count = 0;
    if (!d)
        return NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (zkml_array_grow((void **)&names, &cap, (size_t)n + 1, sizeof(char *)))
            break;
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    if (names)
        qsort(names, (size_t)n, sizeof(char *), cmp_str);
    *count = n;
    return names;
}

static void free_list(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int read_tensor(const char *path, onnx_tensor **t, zkml_error *err)
{
    uint8_t *data;
    size_t len;
    int rc = zkml_read_file(path, 0, &data, &len, err);
    if (rc != 0)
        return rc;
    rc = onnx_tensor_read_bytes(data, len, t, err);
    free(data);
    return rc;
}

/* Reads input_K.pb / output_K.pb for K = 0.. until one is missing. */
static int read_set(const char *set_dir, const char *kind, onnx_tensor **ts, int *n,
                    zkml_error *err)
{
    *n = 0;
    for (int k = 0; k < MAX_IO; k++) {
        char path[1200];
        snprintf(path, sizeof(path), "%s/%s_%d.pb", set_dir, kind, k);
        if (!zkml_file_exists(path))
            break;
        int rc = read_tensor(path, &ts[k], err);
        if (rc != 0)
            return rc;
        (*n)++;
    }
    return 0;
}

static int close_enough(float got, float want)
{
    if (isnan(want))
        return isnan(got);
    if (isinf(want))
        return got == want;
    return fabs((double)got - want) <= 1e-4 + 1e-4 * fabs((double)want);
}

enum { CASE_PASS, CASE_SKIP, CASE_FAIL };

/* Runs one test_data_set directory; *why explains a skip or failure. */
static int run_set(const uint8_t *model_bytes, size_t model_len, const char *set_dir, int *ops_seen,
                   char *why, size_t why_len)
{
    onnx_tensor *ins[MAX_IO] = {0}, *outs[MAX_IO] = {0};
    const onnx_tensor *bind[MAX_IO];
    int n_in = 0, n_out = 0, n_bind = 0, result = CASE_SKIP;
    onnx_model *m = NULL;
    float **values = NULL;
    zkml_error err = {0};
    if (read_set(set_dir, "input", ins, &n_in, &err) ||
        read_set(set_dir, "output", outs, &n_out, &err)) {
        snprintf(why, why_len, "test data: %s", err.message);
        goto done;
    }
    /* Integer inputs carry shapes, axes and pads, and scalars after the first
     * input are Clip bounds and Pad values: the loader takes those as
     * constants, so they are bound. */
    for (int k = 0; k < n_in; k++)
        if ((ins[k]->dtype != ONNX_DTYPE_FLOAT && ins[k]->dtype != ONNX_DTYPE_DOUBLE) ||
            (k > 0 && ins[k]->rank == 0))
            bind[n_bind++] = ins[k];
    onnx_load_options opts = {.bind = bind, .n_bind = n_bind, .min_opset = 1};
    if (onnx_load_bytes_opts(model_bytes, model_len, &opts, &m, &err) != 0) {
        snprintf(why, why_len, "%s", err.message);
        goto done;
    }
    const float *feed[MAX_IO];
    for (int k = 0; k < m->n_inputs; k++) {
        feed[k] = NULL;
        for (int j = 0; j < n_in; j++)
            if (strcmp(ins[j]->name, m->tensors[m->inputs[k]].name) == 0 &&
                ins[j]->size == m->tensors[m->inputs[k]].size)
                feed[k] = ins[j]->data;
        if (!feed[k] && k < n_in && ins[k]->size == m->tensors[m->inputs[k]].size)
            feed[k] = ins[k]->data; /* unnamed test tensors go by position */
        if (!feed[k]) {
            snprintf(why, why_len, "no test value fits input '%s'", m->tensors[m->inputs[k]].name);
            goto done;
        }
    }
    if (m->n_outputs != n_out) {
        snprintf(why, why_len, "%d outputs, test data has %d", m->n_outputs, n_out);
        result = CASE_FAIL;
        goto done;
    }
    if (onnx_eval_all(m, feed, &values, &err) != 0) {
        snprintf(why, why_len, "eval: %s", err.message);
        result = CASE_FAIL;
        goto done;
    }
    result = CASE_PASS;
    for (int k = 0; k < n_out && result == CASE_PASS; k++) {
        const onnx_tensor *t = &m->tensors[m->outputs[k]];
        if (t->size != outs[k]->size) {
            snprintf(why, why_len, "output %d has %zu values, expected %zu", k, t->size,
                     outs[k]->size);
            result = CASE_FAIL;
        }
        for (size_t i = 0; i < t->size && result == CASE_PASS; i++) {
            float got = values[m->outputs[k]][i], want = outs[k]->data[i];
            if (!close_enough(got, want)) {
                snprintf(why, why_len, "output %d[%zu] = %.7g, expected %.7g", k, i, got, want);
                result = CASE_FAIL;
            }
        }
    }
    for (int i = 0; result == CASE_PASS && i < m->n_nodes; i++)
        ops_seen[m->nodes[i].op] = 1;
done:
    onnx_values_free(m, values);
    onnx_free(m);
    for (int k = 0; k < MAX_IO; k++) {
        onnx_tensor_free(ins[k]);
        onnx_tensor_free(outs[k]);
    }
    return result;
}

/* Runs every data set of one case directory and tallies it under oc. */
static void run_case(const char *case_dir, const char *case_name, op_cases *oc, int *op_counts)
{
    int ops_seen[ONNX_OP_COUNT] = {0};
    char path[1100], why[600] = "";
    snprintf(path, sizeof(path), "%s/model.onnx", case_dir);
    uint8_t *bytes;
    size_t len;
    zkml_error err;
    if (zkml_read_file(path, 0, &bytes, &len, &err) != 0) {
        printf("  skip %s: %s\n", case_name, err.message);
        oc->skipped++;
        return;
    }
    int n_sets, result = CASE_SKIP;
    char **sets = list_dir(case_dir, "test_data_set_", &n_sets);
    for (int s = 0; s < n_sets; s++) {
        char set_dir[1200];
        snprintf(set_dir, sizeof(set_dir), "%s/%s", case_dir, sets[s]);
        result = run_set(bytes, len, set_dir, ops_seen, why, sizeof(why));
        if (result != CASE_PASS)
            break;
    }
    if (n_sets == 0)
        snprintf(why, sizeof(why), "no test_data_set");
    free_list(sets, n_sets);
    free(bytes);
    if (result == CASE_PASS) {
        oc->ran++;
        for (int i = 0; op_counts && i < ONNX_OP_COUNT; i++)
            op_counts[i] += ops_seen[i];
    } else if (result == CASE_SKIP) {
        oc->skipped++;
        printf("  skip %s: %s\n", case_name, why);
    } else {
        oc->ran++;
        oc->failed++;
        printf("  FAIL %s: %s\n", case_name, why);
    }
}

static op_cases *op_for_case(const char *name)
{
    for (size_t i = 0; i < N_OPS; i++)
        for (int p = 0; p < 4 && table[i].prefixes[p]; p++)
            if (strncmp(name, table[i].prefixes[p], strlen(table[i].prefixes[p])) == 0)
                return &table[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    char dir[1024];
    int suite_ops[ONNX_OP_COUNT] = {0};
    snprintf(dir, sizeof(dir), "%s/node", argv[1]);
    int n_cases;
    char **cases = list_dir(dir, "test_", &n_cases);
    if (!cases) {
        printf("libonnx-testdata not found at %s: skipped\n", argv[1]);
        return 77;
    }
    for (int i = 0; i < n_cases; i++) {
        op_cases *oc = op_for_case(cases[i]);
        if (!oc)
            continue;
        char case_dir[1400];
        snprintf(case_dir, sizeof(case_dir), "%s/%s", dir, cases[i]);
        run_case(case_dir, cases[i], oc, NULL);
    }
    free_list(cases, n_cases);
    for (size_t k = 0; k < N_SUITES; k++) {
        snprintf(dir, sizeof(dir), "%s/%s", argv[1], suites[k].op);
        cases = list_dir(dir, "test_", &n_cases);
        for (int i = 0; i < n_cases; i++) {
            char case_dir[1400];
            snprintf(case_dir, sizeof(case_dir), "%s/%s", dir, cases[i]);
            run_case(case_dir, cases[i], &suites[k], suite_ops);
        }
        free_list(cases, n_cases);
    }

    int bad = 0;
    printf("\n%-20s %5s %7s %6s\n", "op", "ran", "skipped", "failed");
    for (size_t i = 0; i < N_OPS; i++) {
        op_cases *oc = &table[i];
        printf("%-20s %5d %7d %6d%s\n", oc->op, oc->ran, oc->skipped, oc->failed,
               oc->ran == 0 ? "  <- no case ran" : "");
        bad |= oc->failed > 0 || oc->ran == 0;
    }
    for (size_t k = 0; k < N_SUITES; k++) {
        printf("%-20s %5d %7d %6d\n", suites[k].op, suites[k].ran, suites[k].skipped,
               suites[k].failed);
        bad |= suites[k].failed > 0;
    }
    printf("pytorch cases that passed, per op they contain:");
    for (int i = 0; i < ONNX_OP_COUNT; i++)
        if (suite_ops[i])
            printf(" %s %d", onnx_op_name((onnx_op)i), suite_ops[i]);
    printf("\n");
    return bad ? 1 : 0;
}
