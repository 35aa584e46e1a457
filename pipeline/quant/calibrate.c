/*
 * calibrate.c - the calibrate step: float model over every sample (ranges of
 * every node), a search over scales under a target, the fixed-point
 * evaluator on every sample for the chosen settings, calibration.json, and
 * settings.json updated with the choice.
 *
 * Search: input, param and activation scales from small grids; for each,
 * the input bit width is the smallest that holds every sample's inputs
 * (unsigned when no input is negative), and each computed tensor's width
 * (bits.tensors) holds its own largest float value with one bit of
 * headroom (activation_bits, for anything else, the largest of any). A
 * candidate is acceptable when every sample evaluates in range, the
 * predicted class agrees with float on at least 99% of them (not asked of
 * a regression model: data.csv has a float target), and the max absolute
 * output error is at most 2% of max(1, largest |float output|). Target
 * "resources" takes the acceptable candidate with the fewest constraints;
 * "accuracy" evaluates all and takes the one with the smallest max absolute
 * error. With none acceptable, the one with the best agreement, then the
 * smallest error.
 *
 * Speed (issue 15: a 260k-parameter CNN had 64 candidates built twice): the
 * float model runs once and every candidate is compared with its outputs;
 * candidates are built, counted and evaluated once each, on worker threads
 * (two models in memory per thread). For "resources", a candidate dearer than
 * an acceptable one already found is counted but not evaluated, and an
 * evaluation stops at the first sample that makes the candidate unacceptable
 * (its report then covers the samples it evaluated); candidates dearer than
 * the chosen one are reported unevaluated whichever thread got to them, so
 * the report does not depend on timing. The choice is the one the sequential
 * cheapest-first search makes. Only when no candidate is acceptable are all
 * evaluated again on every sample, for the fallback's comparison.
 *
 * The report measures both models against data.csv's label column: label
 * accuracy for classes, or MSE, MAE and RMSE against a regression target.
 */
#include "pipeline/quant/quant_json.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int INPUT_SCALES[] = {2, 4, 6, 8};
static const int PARAM_SCALES[] = {4, 6, 8, 10};
static const int ACTIVATION_SCALES[] = {4, 6, 8, 10};
#define N_CANDIDATES 64
#define FALLBACK_ROWS 32
/* Each search thread holds two built models (~30 MB each for issue 15's CNN). */
#define MAX_SEARCH_THREADS 8

typedef struct float_run {
    size_t rows, n_out;
    double *out;     /* rows * n_out */
    double *lo, *hi; /* per ONNX tensor, over all rows */
    double in_min, in_max, act_max, out_max;
} float_run;

/* Sums of the errors of predictions against regression targets. */
typedef struct target_error {
    double sq, abs;
    size_t n;
} target_error;

typedef struct candidate {
    quant_settings s;
    int built, evaluated, acceptable;
    uint64_t constraints;
    char error[600];
    size_t failed_rows, rows_done; /* rows_done < rows: stopped early, unacceptable */
    double agreement, max_err, mean_err;
    double acc_fixed;
    target_error fixed_err; /* regression: fixed point against the targets */
} candidate;

static void target_error_add(target_error *e, double predicted, double target)
{
    double d = predicted - target;
    e->sq += d * d;
    e->abs += fabs(d);
    e->n++;
}

/* {samples, mse, mae, rmse}; the means are null over no samples. */
static cJSON *target_error_json(const target_error *e)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    double n = e->n ? (double)e->n : 1, mse = e->sq / n;
    const char *names[] = {"mse", "mae", "rmse"};
    double values[] = {mse, e->abs / n, sqrt(mse)};
    cJSON_AddNumberToObject(j, "samples", (double)e->n);
    for (int i = 0; i < 3; i++)
        if (e->n)
            cJSON_AddNumberToObject(j, names[i], values[i]);
        else
            cJSON_AddNullToObject(j, names[i]);
    return j;
}

static void float_run_free(float_run *f)
{
    free(f->out);
    free(f->lo);
    free(f->hi);
}

static int run_float(const onnx_model *g, const quant_dataset *d, float_run *f, zkml_error *err)
{
    memset(f, 0, sizeof *f);
    int out_id = g->outputs[0];
    f->rows = d->rows;
    f->n_out = g->tensors[out_id].size;
    f->out = calloc(d->rows * f->n_out + 1, sizeof *f->out);
    f->lo = malloc((size_t)g->n_tensors * sizeof *f->lo);
    f->hi = malloc((size_t)g->n_tensors * sizeof *f->hi);
    if (!f->out || !f->lo || !f->hi) {
        float_run_free(f);
        return zkml_fail(err, ZKML_ENOMEM, "calibrate: out of memory");
    }
    for (int t = 0; t < g->n_tensors; t++) {
        f->lo[t] = INFINITY;
        f->hi[t] = -INFINITY;
    }
    f->in_min = INFINITY;
    f->in_max = -INFINITY;
    for (size_t r = 0; r < d->rows; r++) {
        const float *x = d->x + r * d->features;
        float **vals;
        int rc = onnx_eval_all(g, &x, &vals, err);
        if (rc) {
            float_run_free(f);
            return zkml_error_prefix(err, "float model on sample %zu", r);
        }
        for (int t = 0; t < g->n_tensors; t++) {
            const onnx_tensor *ot = &g->tensors[t];
            if (ot->data)
                continue;
            for (size_t i = 0; i < ot->size; i++) {
                double v = vals[t][i];
                if (v < f->lo[t])
                    f->lo[t] = v;
                if (v > f->hi[t])
                    f->hi[t] = v;
                if (ot->producer >= 0 && fabs(v) > f->act_max)
                    f->act_max = fabs(v);
            }
        }
        for (size_t i = 0; i < d->features; i++) {
            if (x[i] < f->in_min)
                f->in_min = x[i];
            if (x[i] > f->in_max)
                f->in_max = x[i];
        }
        for (size_t i = 0; i < f->n_out; i++) {
            f->out[r * f->n_out + i] = vals[out_id][i];
            f->out_max = fmax(f->out_max, fabs(vals[out_id][i]));
        }
        onnx_values_free(g, vals);
    }
    return 0;
}

static int bit_length(double x)
{
    return x < 1 ? 0 : (int)floor(log2(x)) + 1;
}

/* The width that holds |v| <= a at scale sa with one bit of headroom. */
static int activation_width(double a, int sa)
{
    return 1 + bit_length(ceil(ldexp(a, sa) + 1)) + 1;
}

/* bits.tensors: each computed tensor's own width (the first
 * QUANT_MAX_TENSOR_BITS whose names fit; the rest take activation_bits). */
static void tensor_widths(const onnx_model *g, const float_run *f, quant_settings *s)
{
    s->n_tensor_bits = 0;
    for (int t = 0; t < g->n_tensors && s->n_tensor_bits < QUANT_MAX_TENSOR_BITS; t++) {
        quant_tensor_bits *tb = &s->tensor_bits[s->n_tensor_bits];
        const onnx_tensor *ot = &g->tensors[t];
        if (ot->data || ot->producer < 0 || !(f->lo[t] <= f->hi[t]) ||
            strlen(ot->name) >= sizeof tb->tensor)
            continue;
        int w = activation_width(fmax(fabs(f->lo[t]), fabs(f->hi[t])), s->activation_scale);
        snprintf(tb->tensor, sizeof tb->tensor, "%s", ot->name);
        tb->bits = w < 2 ? 2 : w;
        s->n_tensor_bits++;
    }
}

static void candidate_settings(const onnx_model *g, const float_run *f, const quant_settings *base,
                               int si, int sp, int sa, quant_settings *s)
{
    *s = *base;
    s->input_scale = si;
    s->param_scale = sp;
    s->activation_scale = sa;
    s->input_signed = f->in_min < 0;
    double in_abs = fmax(fabs(f->in_min), fabs(f->in_max));
    int in_bits = bit_length(ceil(ldexp(in_abs, si) + 0.5)) + (s->input_signed ? 1 : 0);
    s->input_bits = in_bits < 1 ? 1 : in_bits;
    int act_bits = activation_width(f->act_max, sa);
    s->activation_bits = act_bits < sa + 2 ? sa + 2 : act_bits;
    tensor_widths(g, f, s);
}

/* Whether c, after rows_done samples with agree agreements, can no longer be
 * acceptable (the conditions of the acceptable test in evaluate). */
static int hopeless(const candidate *c, const quant_dataset *d, const float_run *f, size_t agree)
{
    size_t misses = c->rows_done - agree;
    return c->failed_rows > 0 || c->max_err > 0.02 * fmax(1.0, f->out_max) ||
           (!d->targets && (double)(d->rows - misses) / (double)d->rows < 0.99);
}

/* Runs the fixed-point model over the samples; fills the candidate's scores
 * (over the samples run) and, when per_out is given, the per-output errors
 * (2 * n_out). With stop_early, stops at the first sample after which the
 * candidate cannot be acceptable. */
static int evaluate(const quant_model *m, const quant_dataset *d, const float_run *f, candidate *c,
                    double *per_out, int stop_early, zkml_error *err)
{
    size_t n_out = f->n_out, agree = 0, right = 0, counted = 0;
    double *out = malloc((n_out + 1) * sizeof *out);
    int64_t *q = malloc((d->features + 1) * sizeof *q);
    if (!out || !q) {
        free(out);
        free(q);
        return zkml_fail(err, ZKML_ENOMEM, "calibrate: out of memory");
    }
    double sum_err = 0;
    c->max_err = 0;
    c->failed_rows = 0;
    c->rows_done = 0;
    memset(&c->fixed_err, 0, sizeof c->fixed_err);
    for (size_t r = 0; r < d->rows && !(stop_early && r && hopeless(c, d, f, agree)); r++) {
        quant_values v = {0};
        zkml_error row_err;
        c->rows_done++;
        if (quant_input(m, d->x + r * d->features, q, &row_err) || quant_eval(m, q, &v, &row_err)) {
            if (c->failed_rows++ == 0)
                snprintf(c->error, sizeof c->error, "sample %zu: %s", r, row_err.message);
            continue;
        }
        quant_output_floats(m, &v, out);
        quant_values_free(&v);
        const double *fo = f->out + r * n_out;
        for (size_t i = 0; i < n_out; i++) {
            double e = fabs(out[i] - fo[i]);
            sum_err += e;
            if (e > c->max_err)
                c->max_err = e;
            if (per_out) {
                per_out[2 * i] = fmax(per_out[2 * i], e);
                per_out[2 * i + 1] += e / (double)d->rows;
            }
        }
        if (d->targets) {
            target_error_add(&c->fixed_err, out[0], d->targets[r]);
            continue;
        }
        int pq = quant_predicted_class(m, out), pf = quant_predicted_class(m, fo);
        agree += pq == pf;
        if (d->labels) {
            right += pq == d->labels[r];
            counted++;
        }
    }
    size_t rows = c->rows_done;
    c->evaluated = 1;
    c->agreement = rows ? (double)agree / (double)rows : 0;
    c->mean_err = rows && n_out ? sum_err / (double)(rows * n_out) : 0;
    c->acc_fixed = counted ? (double)right / (double)counted : -1;
    c->acceptable = rows == d->rows && c->failed_rows == 0 &&
                    (d->targets || c->agreement >= 0.99) &&
                    c->max_err <= 0.02 * fmax(1.0, f->out_max);
    free(out);
    free(q);
    return 0;
}

static int cmp_cost(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->built != y->built)
        return y->built - x->built;
    return x->constraints < y->constraints ? -1 : x->constraints > y->constraints;
}

static int better(const candidate *a, const candidate *b)
{
    if (!b)
        return 1;
    if (a->acceptable != b->acceptable)
        return a->acceptable;
    if (a->agreement != b->agreement && !a->acceptable)
        return a->agreement > b->agreement;
    if (a->max_err != b->max_err)
        return a->max_err < b->max_err;
    return a->constraints < b->constraints;
}

/* What the search threads share. Candidates are claimed in grid order. */
typedef struct search_ctx {
    const onnx_model *g;
    const quant_dataset *d;
    const float_run *f;
    candidate *cands;
    int n;
    int full; /* evaluate every built candidate on every sample */
    atomic_int next;
    atomic_uint_fast64_t best_cost; /* constraints of the cheapest acceptable so far */
} search_ctx;

typedef struct search_worker {
    search_ctx *s;
    int rc;
    zkml_error err;
    /* The last model built, freed only after the next one is: its freed
     * memory then lies below the new model's in the heap and is reused by the
     * one after, where freeing first gave it back to the system and every
     * build faulted its ~30 MB in afresh (a third of the CNN's calibrate
     * time, against twice the memory per thread). */
    quant_model prev;
} search_worker;

/* Builds, counts and (unless dearer than an acceptable one) evaluates one candidate. */
static int search_one(search_ctx *s, candidate *c, quant_model *prev, zkml_error *err)
{
    quant_model m;
    zkml_error e;
    int built = quant_model_build(s->g, &c->s, &m, &e) == 0;
    quant_model_free(prev);
    if (!built && e.code == ZKML_ENOMEM) { /* the memory limit, not the settings */
        *err = e;
        return zkml_error_prefix(err, "calibrate: building candidate %d-%d-%d", c->s.input_scale,
                                 c->s.param_scale, c->s.activation_scale);
    }
    if (!built) {
        snprintf(c->error, sizeof c->error, "%s", e.message);
        return 0;
    }
    c->built = 1;
    c->constraints = quant_model_constraints(&m);
    int rc = 0;
    if (s->full || c->constraints <= atomic_load(&s->best_cost)) {
        rc = evaluate(&m, s->d, s->f, c, NULL, !s->full, err);
        uint_fast64_t best = atomic_load(&s->best_cost);
        while (!rc && c->acceptable && c->constraints < best &&
               !atomic_compare_exchange_weak(&s->best_cost, &best, c->constraints))
            ;
    }
    *prev = m;
    return rc;
}

static void *search_thread(void *arg)
{
    search_worker *w = arg;
    int i;
    while (!w->rc && (i = atomic_fetch_add(&w->s->next, 1)) < w->s->n)
        w->rc = search_one(w->s, &w->s->cands[i], &w->prev, &w->err);
    quant_model_free(&w->prev);
    return NULL;
}

/* One pass over every candidate on n_threads threads (the caller's among them). */
static int search_pass(search_ctx *s, int n_threads, zkml_error *err)
{
    search_worker w[MAX_SEARCH_THREADS];
    pthread_t tid[MAX_SEARCH_THREADS];
    int started[MAX_SEARCH_THREADS] = {0};
    atomic_init(&s->next, 0);
    atomic_init(&s->best_cost, UINT64_MAX);
    for (int t = 0; t < n_threads; t++) {
        w[t] = (search_worker){s, 0, {0}, {0}};
        if (t > 0)
            started[t] = pthread_create(&tid[t], NULL, search_thread, &w[t]) == 0;
    }
    search_thread(&w[0]); /* a thread that could not start leaves its share to this one */
    int rc = 0;
    for (int t = 0; t < n_threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        if (w[t].rc && !rc) {
            rc = w[t].rc;
            *err = w[t].err;
        }
    }
    return rc;
}

/* The sequential search's choice over the candidates sorted by cost: the first
 * acceptable for "resources", else the best by better(). */
static int choose(const candidate *cands, int n, int accuracy)
{
    int chosen = -1;
    for (int i = 0; i < n && cands[i].built; i++) {
        if (!cands[i].evaluated)
            continue;
        if (better(&cands[i], chosen < 0 ? NULL : &cands[chosen]))
            chosen = i;
        if (!accuracy && cands[i].acceptable)
            break;
    }
    return chosen;
}

static int search(const onnx_model *g, const quant_dataset *d, const float_run *f,
                  const quant_settings *base, int accuracy, int threads, candidate *cands,
                  int *n_cands, int *chosen, zkml_error *err)
{
    int n = 0;
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 4; j++)
            for (size_t k = 0; k < 4; k++) {
                candidate *c = &cands[n++];
                memset(c, 0, sizeof *c);
                candidate_settings(g, f, base, INPUT_SCALES[i], PARAM_SCALES[j], ACTIVATION_SCALES[k],
                                   &c->s);
            }
    *n_cands = n;
    search_ctx s = {.g = g, .d = d, .f = f, .cands = cands, .n = n, .full = accuracy};
    int n_threads = threads > 0 ? threads : zkml_default_threads();
    n_threads = n_threads < 1 ? 1 : n_threads > MAX_SEARCH_THREADS ? MAX_SEARCH_THREADS : n_threads;
    int rc = search_pass(&s, n_threads, err);
    if (rc)
        return rc;
    qsort(cands, (size_t)n, sizeof *cands, cmp_cost);
    *chosen = choose(cands, n, accuracy);
    if (*chosen >= 0 && !accuracy && !cands[*chosen].acceptable) {
        s.full = 1; /* the fallback compares every candidate over every sample */
        if ((rc = search_pass(&s, n_threads, err)))
            return rc;
        *chosen = choose(cands, n, accuracy);
    }
    if (*chosen < 0)
        return zkml_fail(err, ZKML_EINVAL, "calibrate: no candidate settings compile: %s",
                         cands[0].error);
    for (int i = *chosen + 1; !accuracy && i < n; i++)
        cands[i].evaluated = 0; /* as the cheapest-first search leaves them */
    return 0;
}

static cJSON *candidate_json(const candidate *c, int regression)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    cJSON_AddNumberToObject(j, "input_scale", c->s.input_scale);
    cJSON_AddNumberToObject(j, "param_scale", c->s.param_scale);
    cJSON_AddNumberToObject(j, "activation_scale", c->s.activation_scale);
    cJSON_AddNumberToObject(j, "input_bits", c->s.input_bits);
    cJSON_AddNumberToObject(j, "activation_bits", c->s.activation_bits);
    if (c->built)
        cJSON_AddNumberToObject(j, "constraints", (double)c->constraints);
    else
        cJSON_AddNullToObject(j, "constraints");
    cJSON_AddBoolToObject(j, "evaluated", c->evaluated);
    if (c->evaluated) {
        if (!regression)
            cJSON_AddNumberToObject(j, "argmax_agreement", c->agreement);
        cJSON_AddNumberToObject(j, "max_abs_error", c->max_err);
        cJSON_AddNumberToObject(j, "failed_samples", (double)c->failed_rows);
        cJSON_AddNumberToObject(j, "samples_evaluated", (double)c->rows_done);
        cJSON_AddBoolToObject(j, "acceptable", c->acceptable);
    }
    if (c->error[0])
        cJSON_AddStringToObject(j, "error", c->error);
    return j;
}

/* Worst error of the tables against the exact function, sampled finely. */
static double pwl_table_error(const quant_model *m, quant_pwl_fn fn, int *used)
{
    double worst = 0;
    *used = 0;
    for (uint32_t i = 0; i < m->n_layers; i++) {
        const quant_layer *l = &m->layers[i];
        if (l->kind != QUANT_LAYER_PWL || l->fn != fn)
            continue;
        *used = 1;
        int s = m->tensors[l->in].scale;
        for (int64_t x = -4 * l->pwl_half; x <= 4 * l->pwl_half; x += l->pwl_half / 256 + 1) {
            int64_t c = x < -l->pwl_half ? -l->pwl_half : x > l->pwl_half - 1 ? l->pwl_half - 1 : x;
            int64_t u = c + l->pwl_half, idx = u >> l->pwl_shift;
            int64_t fr = u - (idx << l->pwl_shift);
            int64_t acc = l->knots[idx] * ((int64_t)1 << l->pwl_shift) +
                          (l->knots[idx + 1] - l->knots[idx]) * fr;
            double got =
                quant_dequantize(quant_round_shift(acc, l->pwl_shift), m->tensors[l->out].scale);
            worst = fmax(worst, fabs(got - quant_pwl_exact(fn, quant_dequantize(x, s))));
        }
    }
    return worst;
}

/* What the report measures against the data's label column: the label
 * accuracy of both models for classes, their MSE, MAE and RMSE against a
 * regression target (the model has one output), or, without labels, only
 * the agreement of their predicted classes. */
static void task_json(cJSON *root, const quant_model *m, const quant_dataset *d, const float_run *f,
                      const candidate *c)
{
    if (d->targets) {
        target_error fe = {0};
        for (size_t r = 0; r < d->rows; r++)
            target_error_add(&fe, f->out[r], d->targets[r]);
        cJSON_AddStringToObject(root, "task", "regression");
        cJSON_AddStringToObject(root, "metric", "mse");
        cJSON *reg = cJSON_AddObjectToObject(root, "regression");
        if (reg) {
            cJSON_AddStringToObject(reg, "target_column", d->target_name);
            cJSON_AddItemToObject(reg, "float", target_error_json(&fe));
            cJSON_AddItemToObject(reg, "fixed_point", target_error_json(&c->fixed_err));
        }
        return;
    }
    cJSON_AddStringToObject(root, "task", d->labels ? "classification" : "unlabelled");
    cJSON_AddStringToObject(root, "metric", d->labels ? "accuracy" : "argmax_agreement");
    cJSON_AddNumberToObject(root, "argmax_agreement", c->agreement);
    cJSON *acc = cJSON_AddObjectToObject(root, "accuracy");
    if (acc && d->labels) {
        size_t right = 0;
        for (size_t r = 0; r < d->rows; r++)
            right += quant_predicted_class(m, f->out + r * f->n_out) == d->labels[r];
        cJSON_AddNumberToObject(acc, "float", (double)right / (double)d->rows);
        cJSON_AddNumberToObject(acc, "fixed_point", c->acc_fixed);
    } else if (acc) {
        cJSON_AddNullToObject(acc, "float");
        cJSON_AddNullToObject(acc, "fixed_point");
    }
}

static cJSON *report(const onnx_model *g, const quant_model *m, const quant_dataset *d,
                     const float_run *f, const candidate *cands, int n_cands, int chosen,
                     const double *per_out, const char *target)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    const candidate *c = &cands[chosen];
    cJSON_AddStringToObject(root, "target", target);
    cJSON *data = cJSON_AddObjectToObject(root, "data");
    if (data) {
        cJSON_AddStringToObject(data, "source", d->source);
        cJSON_AddNumberToObject(data, "samples", (double)d->rows);
        cJSON_AddBoolToObject(data, "labels", d->labels != NULL);
    }
    cJSON_AddItemToObject(root, "settings", quant_settings_json(&c->s, m, 1));
    cJSON_AddNumberToObject(root, "constraints", (double)c->constraints);
    cJSON_AddNumberToObject(root, "max_abs_error", c->max_err);
    cJSON_AddNumberToObject(root, "float_output_max_abs", f->out_max);
    cJSON_AddNumberToObject(root, "mean_abs_error", c->mean_err);
    cJSON_AddNumberToObject(root, "failed_samples", (double)c->failed_rows);
    cJSON *po = cJSON_AddArrayToObject(root, "per_output");
    for (size_t i = 0; po && i < f->n_out; i++) {
        cJSON *o = cJSON_CreateObject();
        if (o && cJSON_AddItemToArray(po, o)) {
            cJSON_AddNumberToObject(o, "max_abs_error", per_out[2 * i]);
            cJSON_AddNumberToObject(o, "mean_abs_error", per_out[2 * i + 1]);
        }
    }
    task_json(root, m, d, f, c);
    cJSON *nl = cJSON_AddObjectToObject(root, "nonlinear");
    if (nl) {
        int used;
        double e = pwl_table_error(m, QUANT_PWL_SIGMOID, &used);
        if (used)
            cJSON_AddNumberToObject(nl, "sigmoid_table_max_abs_error", e);
        e = pwl_table_error(m, QUANT_PWL_TANH, &used);
        if (used)
            cJSON_AddNumberToObject(nl, "tanh_table_max_abs_error", e);
        cJSON_AddStringToObject(nl, "method",
                                "Sigmoid on [-8, 8) and Tanh on [-4, 4): linear interpolation "
                                "between 33 knots, saturating outside; Softmax as the last node "
                                "is applied outside the circuit to the proven logits");
        cJSON_AddBoolToObject(nl, "softmax_outside_circuit", m->softmax_outside);
    }
    /* calibration.json is public (common.h's table): it holds aggregates, never
     * a sample, so the model input's range (the CSV's own extremes) is left out. */
    cJSON *ranges = cJSON_AddArrayToObject(root, "ranges");
    for (int t = 0; ranges && t < g->n_tensors; t++) {
        const onnx_tensor *ot = &g->tensors[t];
        if (ot->data || ot->producer < 0 || !isfinite(f->lo[t]))
            continue;
        cJSON *o = cJSON_CreateObject();
        if (o && cJSON_AddItemToArray(ranges, o)) {
            cJSON_AddStringToObject(o, "tensor", ot->name);
            cJSON_AddStringToObject(o, "op", g->nodes[ot->producer].op_type);
            cJSON_AddNumberToObject(o, "min", f->lo[t]);
            cJSON_AddNumberToObject(o, "max", f->hi[t]);
        }
    }
    cJSON *cl = cJSON_AddArrayToObject(root, "candidates");
    for (int i = 0; cl && i < n_cands; i++)
        cJSON_AddItemToArray(cl, candidate_json(&cands[i], d->targets != NULL));
    return root;
}

static int calibrate(const char *dir, const onnx_model *g, const char *target, int threads,
                     const quant_settings *base, zkml_error *err)
{
    quant_dataset d;
    float_run f;
    candidate *cands = calloc(N_CANDIDATES, sizeof *cands);
    if (!cands)
        return zkml_fail(err, ZKML_ENOMEM, "calibrate: out of memory");
    int rc = quant_dataset_load(dir, g, FALLBACK_ROWS, &d, err);
    if (rc) {
        free(cands);
        return rc;
    }
    if ((rc = run_float(g, &d, &f, err))) {
        quant_dataset_free(&d);
        free(cands);
        return rc;
    }
    int n = 0, chosen = -1;
    quant_model m = {0};
    double *per_out = calloc(2 * f.n_out + 1, sizeof *per_out);
    cJSON *rep = NULL, *set = NULL;
    char path[4096];
    if (!per_out)
        rc = zkml_fail(err, ZKML_ENOMEM, "calibrate: out of memory");
    if (!rc)
        rc = search(g, &d, &f, base, strcmp(target, "accuracy") == 0, threads, cands, &n, &chosen,
                    err);
    if (!rc)
        rc = quant_model_build(g, &cands[chosen].s, &m, err);
    if (!rc)
        rc = evaluate(&m, &d, &f, &cands[chosen], per_out, 0, err);
    if (!rc) {
        rep = report(g, &m, &d, &f, cands, n, chosen, per_out, target);
        set = quant_settings_json(&cands[chosen].s, &m, 1);
        if (!rep || !set)
            rc = zkml_fail(err, ZKML_ENOMEM, "calibrate: out of memory writing the report");
    }
    if (!rc && !(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_CALIBRATION, err)))
        rc = quant_json_write(path, rep, err);
    if (!rc && !(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_SETTINGS, err)))
        rc = quant_json_write(path, set, err);
    cJSON_Delete(rep);
    cJSON_Delete(set);
    quant_model_free(&m);
    free(per_out);
    float_run_free(&f);
    quant_dataset_free(&d);
    free(cands);
    return rc;
}

int quant_calibrate_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    const char *target = opts && opts->target ? opts->target : "resources";
    if (strcmp(target, "resources") != 0 && strcmp(target, "accuracy") != 0)
        return zkml_fail(err, ZKML_EINVAL,
                         "calibrate: target \"%s\", expected \"resources\" or \"accuracy\"",
                         target);
    char path[4096];
    onnx_model *g;
    quant_settings base;
    int rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_MODEL, err);
    if (rc || (rc = onnx_load_file(path, &g, err)))
        return rc;
    quant_settings_default(&base);
    if (!(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_SETTINGS, err)) &&
        zkml_file_exists(path))
        rc = quant_settings_read(path, &base, err); /* keeps the visibility chosen there */
    if (!rc)
        rc = calibrate(dir, g, target, opts ? opts->threads : 0, &base, err);
    onnx_free(g);
    return rc;
}
