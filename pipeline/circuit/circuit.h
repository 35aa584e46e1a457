/*
 * circuit.h - public face of pipeline/circuit: compiling a quantized graph to
 * R1CS, the gadgets, and witness generation.
 *
 * Wire layout (iden3): 0 = one, then the public outputs, then the public
 * inputs (and, with param_visibility hashed, the parameters' commitment),
 * then the private inputs (the input integers, unless inputs are
 * public), then internal wires. By the settings' visibility, the outputs and
 * the inputs are each shown as packed values (public), as one Poseidon
 * commitment of those packed values (hashed), or not at all (private inputs).
 * Values are packed QUANT_PACK_BITS bits to a field element: value i of a
 * group sits at bits [b*i, b*(i+1)) as q - lo (see circuit.json "packing";
 * docs/COMMITMENTS.md defines the commitment).
 *
 * Gadgets (gadgets.h): every input is range checked by bit decomposition;
 * requant (rescale with round half up) decomposes acc + offsets into
 * remainder and result bits at once; ReLU, Max/MaxPool and LeakyReLU use a
 * sign bit from a decomposition; a requant whose only reader is a MaxPool
 * is fused with it: each window element costs only its remainder bits, the
 * maxes compare the unranged quotients, and one range check (or the ReLU's
 * sign) per window bounds them all; Clip uses a sign bit per bound and one
 * product; Sigmoid/Tanh are piecewise-linear tables (32 segments, two
 * multiplexer trees). Fixed weights are constants, so linear layers (and
 * BatchNormalization, pools and reductions) are free linear combinations;
 * hashed weights are range-checked wires under one Poseidon commitment, and
 * each weight term costs one product;
 * Transpose/Concat/Pad reuse wires (padding shares one wire fixed to 0).
 */
#ifndef ZKML_CIRCUIT_H
#define ZKML_CIRCUIT_H

#include "common/common.h"
#include "pipeline/quant/quant.h"
#include "pipeline/snark/snark.h"

#define CIRCUIT_MAX_OPS 40

typedef struct circuit_op_count {
    const char *op; /* ONNX op type, "Input", "PublicPacking" or "PoseidonCommitment" */
    uint64_t constraints;
} circuit_op_count;

typedef struct circuit {
    r1cs cs;
    fr_t *witness; /* cs.n_wires values, or NULL when built without */
    uint32_t out_signals, in_signals;
    uint32_t param_signals; /* 1 with hashed parameters (their commitment, last), else 0 */
    circuit_op_count ops[CIRCUIT_MAX_OPS];
    int n_ops;
} circuit;

/* Builds the R1CS of m; with values (from quant_eval) also the witness,
 * whose tensor values are the evaluator's (checked gadget by gadget). */
int circuit_build(const quant_model *m, const quant_values *values, circuit *c, zkml_error *err);
/* The witness alone: each constraint is checked at the witness as it is
 * made, then dropped (c->cs keeps the counts). For a proof, whose prover
 * needs the witness only: keeping a CNN's system in memory to check it
 * afterwards (r1cs_check_witness) was half of making its witness. A
 * constraint that does not hold is ZKML_EINTERNAL naming it: every gadget
 * sets its wires' values before it constrains them. */
int circuit_build_witness(const quant_model *m, const quant_values *values, circuit *c,
                          zkml_error *err);
/* The same system without a witness, written to the .r1cs file at r1cs_path
 * as it is built (r1cs_stream_to): c->cs keeps the counts only. The file is
 * r1cs_write's for circuit_build's system, and is left in place only when
 * the whole build succeeded. */
int circuit_build_file(const quant_model *m, const char *r1cs_path, circuit *c, zkml_error *err);
void circuit_free(circuit *c);

/* Where a build's system goes: kept in c->cs, streamed to an .r1cs file, or
 * counted only; the last two check each constraint at the witness as it is
 * made (circuit_build_witness), c->cs keeping the counts. */
typedef enum circuit_system { CIRCUIT_IN_MEMORY, CIRCUIT_TO_FILE, CIRCUIT_COUNTED } circuit_system;

/* What the evaluation circuit proves over its rows (eval_circuit.c). */
typedef struct circuit_eval_spec {
    const quant_values *rows; /* n >= 1 rows' evaluator values */
    const int64_t *labels;    /* each row's class index, or (regression) its target at the
                                * output's scale, within the output's signed bit width */
    size_t n;
    int regression;    /* 0: classification (one output per class); 1: one output */
    int64_t threshold; /* regression: rmse_threshold at the output's scale (0: none) */
    fr_t circuit_hash; /* SHA-256 of network.r1cs mod r: which model this evaluates */
    circuit_system system;
    const char *r1cs_path; /* CIRCUIT_TO_FILE's */
} circuit_eval_spec;
/* predicted[r] receives row r's class (classification) or output integer
 * (regression) as the circuit computes it. Public signals: the dataset
 * commitment (docs/COMMITMENTS.md), the circuit hash, n, then how many rows' class is their
 * label, or the sum of squared errors, the threshold and whether
 * SSE <= n * threshold^2; last, with hashed parameters, their commitment
 * (the same value as the inference proof's). */
int circuit_build_eval(const quant_model *m, const circuit_eval_spec *s, circuit *c,
                       int64_t *predicted, zkml_error *err);
/* The width of the regression's comparison (over 61 the circuit refuses). */
int circuit_eval_compare_bits(const quant_model *m, size_t n, int64_t threshold);

/* compile: model.onnx, settings.json -> network.r1cs, circuit.json */
int circuit_compile_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);
/* witness: model.onnx, settings.json, data.csv (row opts->sample)
 *          -> input.json, witness.wtns, output.json */
int circuit_witness_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);
/* verify: verification_key.json, public.json, proof.json, circuit.json,
 *         output.json -> verify.json {valid, ms, error?, outputs, values,
 *         dequantized, predicted_class, scale}. ZKML_EREJECTED when the proof
 *         does not verify or its outputs (public.json decoded with circuit.json
 *         "packing.outputs") differ from output.json's, naming the first. */
int circuit_verify_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);

/* The outputs a proof's public signals carry (verify.c; over text so they can
 * be fuzzed). */
typedef struct circuit_outputs {
    uint32_t n;
    int64_t *values; /* the proven integers q (value = q / 2^scale) */
    int scale;
} circuit_outputs;
/* circuit.json text's "packing.outputs" applied to the n_pub signals pub:
 * value i is bits [bits*j, bits*(j+1)) of signal i / per (j = i % per), minus
 * offset. ZKML_EINVAL for a bad packing, ZKML_EREJECTED for too few signals. */
int circuit_outputs_decode(const char *circuit_json, size_t len, const fr_t *pub, size_t n_pub,
                           circuit_outputs *out, zkml_error *err);
/* 0 when output.json text's "outputs" are exactly o's values; else
 * ZKML_EREJECTED naming the first that differs (ZKML_EINVAL for junk). */
int circuit_outputs_match(const char *output_json, size_t len, const circuit_outputs *o,
                          zkml_error *err);
void circuit_outputs_free(circuit_outputs *o);

/* ---- new inputs (input.c, prover.c) -----------------------------------------
 * A registered version proves inputs sent later (POST .../proofs) with its own
 * key: no setup. Inputs come as EZKL does, {"input_data": [[x0, x1, ...]]}:
 * one row of the input tensor's values, flattened row-major. */

/* What the circuit takes, from circuit.json text's "packing.inputs". A value x
 * is proven as q = round(x * 2^scale) of the float32 nearest x, which the
 * circuit range-checks to [lo, hi] (that is, bits wide from -offset). */
typedef struct circuit_input_spec {
    uint32_t count;
    uint32_t outputs; /* packing.outputs.count: the length output_data must have */
    int scale;
    int64_t lo, hi;
    quant_visibility visibility;
} circuit_input_spec;
int circuit_input_spec_parse(const char *circuit_json, size_t len, circuit_input_spec *s,
                             zkml_error *err);
/* ZKML_EINVAL naming the expected shape (a count other than s->count) or the
 * index of the first value that is not finite or that the circuit cannot take
 * (with the range); field names the JSON field in messages ("input_data"). */
int circuit_input_check(const circuit_input_spec *s, const double *x, size_t n, const char *field,
                        zkml_error *err);
/* ZKML_EINVAL unless y (n values: expected outputs) has the model's output
 * count of finite numbers. */
int circuit_expected_check(const circuit_input_spec *s, const double *y, size_t n, zkml_error *err);
/* A request's body, {"input_data": [[...]], "output_data": [[...]]} (the
 * second optional; EZKL's WitnessInputData), checked against s: ZKML_EINVAL
 * naming the byte of a JSON error, the expected shape, or the index of a
 * value that is not a number, not finite or outside the input's range. */
typedef struct circuit_input_data {
    double *input, *expected; /* expected NULL without output_data */
    size_t n_input, n_expected;
} circuit_input_data;
int circuit_input_parse(const char *text, size_t len, const circuit_input_spec *s,
                        circuit_input_data *d, zkml_error *err);
void circuit_input_data_free(circuit_input_data *d);
/* The canonical JSON of an input, whose bytes its IPFS CID names:
 * {"input_data":[[v0,v1,...]]} without spaces, each v the float32 proven,
 * written "%.*g" with the fewest digits (1..9) that read back (strtof) to that
 * float32, and -0 as 0. *json is malloc'ed. */
int circuit_input_canonical_json(const double *x, size_t n, char **json, zkml_error *err);

/* A version's model, settings, circuit.json, proving and verification keys,
 * loaded once to prove many inputs (a worker keeps it between proofs). */
typedef struct circuit_prover circuit_prover;
int circuit_prover_open(const char *version_dir, circuit_prover **out, zkml_error *err);
void circuit_prover_close(circuit_prover *p);
const circuit_input_spec *circuit_prover_input(const circuit_prover *p);
/* circuit.json's text (for the public signals' names). */
const char *circuit_prover_circuit_json(const circuit_prover *p, size_t *len);

typedef struct circuit_new_proof {
    groth16_proof proof;
    fr_t *pub; /* the public signals, n_pub of them */
    size_t n_pub;
    circuit_outputs outputs; /* decoded from pub when public; when hashed, the
                              * witness's (the proof holds their commitment) */
} circuit_new_proof;
/* Witness, proof and its verification for x (n = the input's count, each
 * checked as circuit_input_check does). */
int circuit_prover_prove(const circuit_prover *p, const float *x, size_t n, int threads,
                         circuit_new_proof *out, zkml_error *err);
void circuit_new_proof_free(circuit_new_proof *np);

/* evaluate: model.onnx, settings.json, data.csv (its first ZKML_EVAL_ROWS
 * rows, default 256) -> evaluation.r1cs, evaluation.wtns, evaluation.json.
 * Returns 1 with the reason in err when there is nothing to evaluate (no
 * data.csv, no label column, a single-output model). */
#define CIRCUIT_EVAL_ROWS_DEFAULT 256
int circuit_eval_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);

#endif
