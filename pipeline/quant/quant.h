/*
 * quant.h - public face of pipeline/quant: CSV splits, settings, calibration,
 * and the fixed-point evaluator.
 *
 * Fixed point: a real v at scale s is the
 * integer round(v * 2^s) (half away from zero); in the field a negative q is
 * r - |q|. Three scales: inputs (input_scale), constants (param_scale) and
 * activations (activation_scale, also the scale of the outputs).
 *
 * The quantized model ("qmodel") is the ONNX graph lowered to five kinds of
 * layer over integer tensors:
 *   - affine:  out[j] = sum_i c_ij * in[i] + bias_j with integer constants.
 *              Gemm, MatMul, Conv, Add, Sub, Mul/Div by a constant,
 *              BatchNormalization, AveragePool and friends all become this.
 *              The result is an "accumulator" at the sum of the scales.
 *   - requant: accumulator at scale S -> activation at scale activation_scale
 *              with k = S - activation_scale:
 *                  y = floor((acc + 2^(k-1)) / 2^k)      (k > 0; y = acc if k = 0)
 *              i.e. round half up, toward +infinity. y must lie in
 *              [-2^(b-1), 2^(b-1)) for b = the accumulator's ONNX tensor's
 *              width in bits.tensors, else activation_bits, or evaluation
 *              fails naming the node. Optionally fused with ReLU (max(y, 0)).
 *   - relu, leaky relu (and PRelu: one slope per element), maxpool: exact on
 *              activations.
 *   - requant-maxpool: a requant (with or without ReLU) whose only consumer
 *              is a MaxPool, fused: out[j] = max over window j of the
 *              requant's values (ReLU after the max: both are monotone, so
 *              the values are those of the two layers). Every y in a window
 *              must lie in [-2^(b-1), 2^(b-1)); elements no window covers
 *              are not computed. The circuit compares the rescaled values
 *              without range checking each one (pipeline/circuit/gadgets.h).
 *   - clip:    min(max(x, lo), hi) with lo, hi round(min * 2^s), round(max * 2^s)
 *              at the input's scale s (round half away from zero); a side the
 *              input's range cannot reach is dropped.
 *   - pwl:     Sigmoid / Tanh as linear interpolation between 2^n+1 knots
 *              (quant_pwl_table) over [-L, L), saturating outside.
 *   - gather:  out[j] = src_j[idx_j], or 0: Transpose, Concat, Pad of
 *              activations of one scale, re-indexing wires at no cost.
 * Flatten, Reshape, Cast, Identity, Dropout, Squeeze, Unsqueeze only rename
 * tensors. Transpose, Concat and Pad (constant, reflect, edge) of anything
 * else (accumulators, constants, mixed scales) are affine layers that copy
 * rows. BatchNormalization right after a Conv or Gemm whose only consumer it
 * is is folded into that layer's float weights before quantization (exact
 * and free); elsewhere it is a per-channel affine layer. AveragePool,
 * GlobalAveragePool, ReduceMean and ReduceSum are affine: a sum of the
 * window with coefficient 1, and for a mean of n elements the coefficient
 * c = round(2^e / n) at scale e, where e = log2(n) (c = 1, exact) when every
 * window has the same power-of-two n, else e = param_scale + ceil(log2(n_max))
 * (relative error of the divisor at most 2^-(param_scale+1)); the requant
 * that consumes the sum does the rounding.
 * A Softmax that is the last node is applied outside the circuit to
 * the proven logits (it preserves the argmax); anywhere else it is refused.
 * Every activation ("materialized") tensor is range checked to its bit width,
 * so the circuit (pipeline/circuit) can bound every accumulator.
 */
#ifndef ZKML_QUANT_H
#define ZKML_QUANT_H

#include "common/common.h"
#include "pipeline/onnx/onnx.h"

#include <stdint.h>

/* ---- fixed-point arithmetic ----------------------------------------------- */

/* round(v * 2^scale), half away from zero; fails (returns -1) if it does not
 * fit in 62 bits or v is not finite. */
int quant_quantize(double v, int scale, int64_t *out);
double quant_dequantize(int64_t q, int scale);
/* floor((acc + 2^(k-1)) / 2^k) for k > 0, acc for k = 0 (round half up). */
int64_t quant_round_shift(int64_t acc, int k);

/* Piecewise-linear activations. */
typedef enum quant_pwl_fn { QUANT_PWL_SIGMOID, QUANT_PWL_TANH } quant_pwl_fn;
#define QUANT_PWL_SEGMENTS_LOG2 5
/* log2 of the half-range L: sigmoid on [-8, 8), tanh on [-4, 4). */
int quant_pwl_range_log2(quant_pwl_fn fn);
double quant_pwl_exact(quant_pwl_fn fn, double x);

/* ---- settings --------------------------------------------------------------- */

/* What the proof reveals of the inputs, the outputs and the weights
 * (docs/COMMITMENTS.md defines each commitment): public values are public
 * signals, packed; hashed ones are private wires whose Poseidon commitment is
 * one public signal; private ones are not shown at all; fixed weights are
 * constants of the circuit. */
typedef enum quant_visibility {
    QUANT_VIS_PRIVATE,
    QUANT_VIS_PUBLIC,
    QUANT_VIS_HASHED,
    QUANT_VIS_FIXED,
} quant_visibility;

/* The width of the activations materialized from one ONNX tensor. */
#define QUANT_MAX_TENSOR_BITS 64
typedef struct quant_tensor_bits {
    char tensor[64]; /* the ONNX tensor's name */
    int bits;
} quant_tensor_bits;

typedef struct quant_settings {
    int input_scale;                    /* exponent s: inputs are round(x * 2^s) */
    int param_scale;                    /* weights, biases (at the sum scale), constants */
    int activation_scale;               /* every activation and the outputs */
    int input_bits;                     /* range of an input integer (see input_signed) */
    int input_signed;                   /* 1: [-2^(b-1), 2^(b-1)); 0: [0, 2^b) */
    int activation_bits;                /* activations in [-2^(b-1), 2^(b-1)) */
    /* Per ONNX tensor (settings.json "bits.tensors", set by calibration from
     * each tensor's float range): the width b of the activation a requant
     * makes from it; a tensor not listed takes activation_bits. */
    int n_tensor_bits;
    quant_tensor_bits tensor_bits[QUANT_MAX_TENSOR_BITS];
    quant_visibility input_visibility;  /* public | hashed (default) | private */
    quant_visibility output_visibility; /* public (default) | hashed */
    quant_visibility param_visibility;  /* fixed (default) | hashed */
    double rmse_threshold;              /* the upload's bound on a regression's RMSE; 0: none */
} quant_settings;

/* The words of settings.json, the upload form and the CLI (EZKL's). */
const char *quant_visibility_name(quant_visibility v);
/* Parses the word for field ("input_visibility", "output_visibility" or
 * "param_visibility"); the message names the field and the words it takes. */
int quant_visibility_parse(const char *field, const char *word, quant_visibility *out,
                           zkml_error *err);

/* rmse_threshold's text (the upload's field, the check command's flag): a
 * positive finite number; the message names the field. */
int quant_rmse_threshold_parse(const char *text, double *out, zkml_error *err);

/* Limits checked by quant_settings_validate. */
#define QUANT_MAX_SCALE 40
#define QUANT_MAX_BITS 60

void quant_settings_default(quant_settings *s);
/* The width for activations materialized from ONNX tensor `name` (NULL:
 * none): its entry in tensor_bits, else activation_bits. */
int quant_settings_bits_for(const quant_settings *s, const char *name);
int quant_settings_validate(const quant_settings *s, zkml_error *err);
/* Parses settings.json text (only the fields above are read; the per-node
 * table and the estimate are informative). Messages name the field. */
int quant_settings_parse(const char *json, size_t len, quant_settings *s, zkml_error *err);
int quant_settings_read(const char *path, quant_settings *s, zkml_error *err);
/* Writes s as settings.json without a model (no per-node table): what the
 * upload stages so that the settings step starts from its visibility. */
int quant_settings_write(const char *path, const quant_settings *s, zkml_error *err);

/* ---- the quantized model -------------------------------------------------- */

typedef enum quant_tensor_kind { QUANT_ACTIVATION, QUANT_ACCUMULATOR } quant_tensor_kind;

typedef struct quant_tensor {
    quant_tensor_kind kind;
    uint32_t size;
    int scale;
    /* Activation: its integers lie in [lo, hi] (checked when computed).
     * Accumulator: |value| <= bound, the worst case over all activations in
     * range (a double, so a bound beyond 2^63 is still visible). */
    int64_t lo, hi;
    double bound;
    int bits;           /* activation: the range-check width */
    int onnx_tensor;    /* the ONNX tensor it holds, -1 if internal */
    uint32_t def_layer; /* the layer that computes it (UINT32_MAX: the input) */
} quant_tensor;

typedef enum quant_layer_kind {
    QUANT_LAYER_AFFINE,
    QUANT_LAYER_REQUANT,
    QUANT_LAYER_RELU,
    QUANT_LAYER_LEAKY_RELU,
    QUANT_LAYER_MAXPOOL,
    QUANT_LAYER_REQUANT_MAXPOOL,
    QUANT_LAYER_PWL,
    QUANT_LAYER_CLIP,
    QUANT_LAYER_GATHER,
} quant_layer_kind;

/* Gather: term_src of an element that is the constant 0 (padding). */
#define QUANT_GATHER_ZERO UINT32_MAX

typedef struct quant_layer {
    quant_layer_kind kind;
    int node;         /* the ONNX node that gave rise to it */
    uint32_t in, out; /* tensor ids (affine: in is the first source) */
    /* affine: row j has terms row_start[j] .. row_start[j+1]-1 */
    uint32_t *row_start;
    uint32_t *term_src; /* source tensor id of each term */
    uint32_t *term_idx; /* element index in that tensor */
    int64_t *term_coeff;
    int64_t *bias;
    /* requant: shift (accumulator scale - activation scale), fused ReLU */
    int shift;
    int relu;
    /* leaky relu / PRelu: alphas[j] at param_scale for element j;
     * out = requant(x * (x >= 0 ? 2^p : alpha)) */
    int64_t *alphas;
    /* clip: the bounds that apply (has_lo / has_hi), at the input's scale */
    int64_t clip_lo, clip_hi;
    int has_lo, has_hi;
    /* gather: element j is tensor term_src[j]'s element term_idx[j] (0 when
     * term_src[j] is QUANT_GATHER_ZERO) */
    /* maxpool: window j covers in[win_idx[win_start[j] .. win_start[j+1]-1]]
     * (requant-maxpool: elements of the accumulator; n_covered of them are
     * in some window) */
    uint32_t *win_start, *win_idx;
    uint32_t n_covered;
    /* affine, param_visibility hashed: the index in quant_model.params of
     * term k's coefficient and of row j's bias (QUANT_NO_PARAM: a constant);
     * NULL when the layer has no parameters. term_coeff and bias still hold
     * the values, so the evaluator is the same for both visibilities. */
    uint32_t *term_param, *bias_param;
    /* pwl */
    quant_pwl_fn fn;
    int64_t *knots;   /* 2^QUANT_PWL_SEGMENTS_LOG2 + 1 knots at the out scale */
    int pwl_shift;    /* e: width of a segment is 2^e integer steps */
    int64_t pwl_half; /* L as an integer at the input scale: 2^(m + s) */
} quant_layer;

#define QUANT_NO_PARAM UINT32_MAX

/* param_visibility hashed: one parameter tensor, the weights or the bias of
 * a Gemm, MatMul or Conv node, as the circuit uses them (docs/COMMITMENTS.md
 * says which values, in which order). */
typedef struct quant_param_tensor {
    int node;              /* the Gemm, MatMul or Conv node */
    int onnx_tensor;       /* its initializer; -1 for a bias that only a folded
                            * BatchNormalization gives */
    int is_bias;           /* 0: the weights (B of Gemm/MatMul, W of Conv) */
    uint32_t first, count; /* quant_model.params[first .. first + count - 1] */
    int scale;             /* the values are round(v * 2^scale) */
    int bits;              /* every value lies in [-2^(bits-1), 2^(bits-1)) */
} quant_param_tensor;

typedef struct quant_model {
    const onnx_model *graph; /* borrowed */
    quant_settings settings;
    quant_tensor *tensors;
    uint32_t n_tensors;
    size_t cap_tensors;
    quant_layer *layers;
    uint32_t n_layers;
    size_t cap_layers;
    uint32_t input;      /* activation tensor of the graph input */
    uint32_t output;     /* activation tensor of the proven output */
    int softmax_outside; /* the graph's last node is a Softmax applied after */
    int output_onnx;     /* ONNX tensor of the graph output */
    /* param_visibility hashed: every parameter, tensor after tensor */
    int64_t *params;
    uint32_t n_params;
    size_t cap_params;
    quant_param_tensor *ptensors;
    uint32_t n_ptensors;
    size_t cap_ptensors;
} quant_model;

/* Lowers a loaded graph under settings. Fails naming the node and op for an
 * op or a form that is not supported, and for a worst-case accumulator that
 * could wrap around the field (or overflow the 63-bit evaluator). */
int quant_model_build(const onnx_model *graph, const quant_settings *s, quant_model *m,
                      zkml_error *err);
void quant_model_free(quant_model *m);
/* Constraints the circuit compiler will emit (pipeline/circuit tests check
 * that it matches exactly). */
uint64_t quant_model_constraints(const quant_model *m);

/* Smallest K with |x| < 2^K, and with |x - y| < 2^K, for x, y in t's range
 * (the widths of the sign decompositions of ReLU and Max). */
int quant_tensor_abs_log2(const quant_tensor *t);
int quant_tensor_diff_log2(const quant_tensor *t);
/* Whether a pwl layer's input can leave [-pwl_half, pwl_half) (then it is clamped). */
int quant_pwl_needs_clamp(const quant_layer *l, const quant_tensor *in);
/* Smallest K with -2^K <= a and b < 2^K (the width of a sign of d in [a, b]). */
int quant_span_log2(int64_t a, int64_t b);
/* Widths of a clip layer's two signs: x - lo and x - hi - 1 over x's range. */
int quant_clip_lo_log2(const quant_layer *l, const quant_tensor *in);
int quant_clip_hi_log2(const quant_layer *l, const quant_tensor *in);
/* Whether a gather layer has padding (its circuit then has one zero wire). */
int quant_gather_has_zero(const quant_layer *l, uint32_t size);
/* A requant (or requant-maxpool) layer whose affine input has a row of
 * more than QUANT_WIRED_ROW_TERMS terms gives each row its own wire first
 * (one constraint each, g_own_wire in pipeline/circuit/gadgets.h): its decomposition's r * (r - 1) = 0 then
 * names that wire, not the whole row in both A and B (gadgets.h). For a
 * CNN's 75- and 300-term rows that halves the system's terms, the r1cs
 * file and the setup's per-term work for about 4% more constraints; short
 * rows (dense layers of small models) stay as they were. */
#define QUANT_WIRED_ROW_TERMS 32
int quant_rows_wired(const quant_model *m, const quant_layer *r);

/* param_visibility hashed: the constraints of the parameters' range checks
 * (one boolean per bit) and of their commitment (the chain over every tensor's
 * packed values, and one equality); the products of the linear layers are
 * counted with the layers (quant_model_constraints). */
uint64_t quant_param_constraints(const quant_model *m);
/* Whether m's proofs show a parameter commitment (param_visibility hashed;
 * the commitment of no parameters, 0, for a model without linear layers). */
int quant_params_hashed(const quant_model *m);
/* The cost of node's parameters: range checks and products (one per term). */
void quant_param_node_cost(const quant_model *m, int node, uint64_t *range, uint64_t *products);
/* Packed elements of parameter tensor p, and of all of them. */
uint32_t quant_param_elements(const quant_param_tensor *p);
uint32_t quant_param_total_elements(const quant_model *m);

/* Public values are packed several to a field element: value i of a group
 * occupies bits [b*i, b*(i+1)) as (q - lo), b = the tensor's bit width, at
 * most QUANT_PACK_BITS bits per element (so a packed value is below r). */
#define QUANT_PACK_BITS 252
uint32_t quant_values_per_signal(int bits);
uint32_t quant_packed_signals(uint32_t count, int bits);
/* Constraints that show tensor t with visibility v: one equality per packed
 * public signal, or the Poseidon commitment of its packed values
 * (docs/COMMITMENTS.md) and one equality, or none when private. */
uint64_t quant_visibility_constraints(quant_visibility v, const quant_tensor *t);

/* ---- the fixed-point evaluator ---------------------------------------------- */

/* values[t] holds tensors[t].size integers for every tensor t. */
typedef struct quant_values {
    int64_t **values;
    uint32_t n;
} quant_values;

/* Quantizes one float input vector (range-checked, messages name the feature). */
int quant_input(const quant_model *m, const float *input, int64_t *q, zkml_error *err);
/* Runs the model on quantized inputs; fails naming the node if an activation
 * leaves its range. */
int quant_eval(const quant_model *m, const int64_t *q_input, quant_values *v, zkml_error *err);
void quant_values_free(quant_values *v);
/* Dequantized outputs (softmax applied if softmax_outside); out has
 * tensors[output].size entries. */
void quant_output_floats(const quant_model *m, const quant_values *v, double *out);

/* ---- CSV splits (csv.c) ------------------------------------------------------
 * A header row, then one row per sample. Feature columns are numbers. The
 * label is the column named "label", "class", "target" or "y" (any case)
 * wherever it stands (two such columns are an error naming both), else the
 * last column when one of its values is not a number; with every column
 * numeric and none so named there is no label. A label with a value that
 * is not a number holds classes: string labels map to their index in the
 * sorted (strcmp) unique labels, as zkMLTrack did. A numeric label holds
 * class indices when every value is a non-negative integer; otherwise a
 * "target" or "y" column is a regression target (floats, `targets`) and a
 * "label" or "class" column is an error at the first value that is not a
 * class index. Blank lines are skipped; fields may be quoted.
 * Errors name the file, the line and the column: empty file, no header
 * (a header of numbers), ragged rows, non-numeric features, no data rows.
 */
#define CSV_MAX_FILE_BYTES (256u << 20)

typedef struct csv_table {
    size_t rows;
    size_t features;
    float *x;             /* rows * features, row-major */
    char **feature_names; /* features entries, then NULL */
    int has_label;        /* a label column: classes (labels) or a target (targets) */
    char *label_name;     /* NULL without a label column */
    int *labels;          /* rows entries (class index), NULL without class labels */
    double *targets;      /* rows entries (regression target), NULL without */
    int n_classes;        /* string labels: unique count; numeric: max + 1 */
    char **class_names;   /* n_classes sorted names for string labels, else NULL */
    size_t *lines;        /* rows entries: each row's line in the file (messages) */
} csv_table;

int csv_read_file(const char *path, csv_table **out, zkml_error *err);
/* name is used in messages ("data.csv line 7: ..."). */
int csv_read_bytes(const char *data, size_t len, const char *name, csv_table **out,
                   zkml_error *err);
void csv_free(csv_table *t);

/* ---- the samples of an artifact directory (dataset.c) -----------------------
 * data.csv's rows when the directory has one (its width must match the
 * model's input size), else a documented fallback: `fallback_rows` pseudo-
 * random vectors uniform in [-1, 1] from a fixed seed (calibration), or one
 * all-zeros vector when fallback_rows is 0 (witness). `source` says which. */
typedef struct quant_dataset {
    size_t rows, features;
    const float *x;    /* rows * features */
    const int *labels; /* NULL without class labels */
    int n_classes;
    const double *targets;   /* regression targets, NULL without (the model then has
                                * exactly one output) */
    const char *target_name; /* the target's column, NULL without */
    const char *source;      /* "data.csv", or the fallback's description */
    csv_table *csv;          /* owned */
    float *generated;        /* owned */
} quant_dataset;

int quant_dataset_load(const char *dir, const onnx_model *g, size_t fallback_rows, quant_dataset *d,
                       zkml_error *err);
void quant_dataset_free(quant_dataset *d);
/* Index of the largest value (the first of equals); -1 for n = 0. */
int quant_argmax(const double *v, size_t n);
/* The class a model's output vector predicts: the argmax of several outputs;
 * for one output, 1 if it is >= 0.5 after a Sigmoid (>= 0 otherwise), else 0. */
int quant_predicted_class(const quant_model *m, const double *out);

/* ---- steps ---------------------------------------------------------------- */

/* settings:  model.onnx -> settings.json */
int quant_settings_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);
/* calibrate: model.onnx, settings.json, data.csv -> calibration.json, settings.json */
int quant_calibrate_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);

#endif
