/*
 * test_circuit_gadgets.c - each gadget on edge values: its output equals the
 * fixed-point semantics computed here independently (floor division, max,
 * clamp-and-interpolate), the witness satisfies the constraints, and
 * changing any non-input wire by +1 or -1 makes some constraint fail
 * (r1cs_check_witness): nothing is under-constrained. The same mutation
 * check runs over whole compiled fixtures (iris_mlp, ops_tiny for the
 * re-indexing, clip, PRelu, pooling and BatchNormalization layers, and
 * pool_tiny for requants fused with overlapping MaxPool windows), with
 * hashed inputs and outputs, and over a two-row evaluation circuit.
 */
#include "pipeline/circuit/circuit.h"
#include "pipeline/circuit/gadgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"

/* Every wire from `first` on, changed by +1 and by -1, must break a constraint. */
static void mutate_all(const char *what, const r1cs *cs, fr_t *w, uint32_t first)
{
    zkml_error err;
    CHECK(r1cs_check_witness(cs, w, cs->n_wires, &err) == 0, "%s: valid witness rejected: %s", what,
          err.message);
    fr_t one, saved;
    fr_one(&one);
    for (uint32_t i = first; i < cs->n_wires; i++) {
        saved = w[i];
        fr_add(&w[i], &saved, &one);
        CHECK(r1cs_check_witness(cs, w, cs->n_wires, &err) != 0,
              "%s: wire %u + 1 still satisfies every constraint", what, i);
        fr_sub(&w[i], &saved, &one);
        CHECK(r1cs_check_witness(cs, w, cs->n_wires, &err) != 0,
              "%s: wire %u - 1 still satisfies every constraint", what, i);
        w[i] = saved;
    }
}

static int64_t wire_value(const cbuild *b, uint32_t w)
{
    int64_t v = 0;
    CHECK(fr_to_i64(&v, &b->w[w]) == 0, "wire %u is not a small integer", w);
    return v;
}

static int64_t floor_div(int64_t a, int64_t d)
{
    int64_t q = a / d;
    return (a % d != 0 && a < 0) ? q - 1 : q;
}

/* own: the accumulator gets its own wire first (g_own_wire, as a long row does). */
static void test_requant(int64_t x, int64_t y, int k, int bits, int relu, int own)
{
    cbuild b;
    zkml_error err;
    uint32_t wx = 0, wy = 0, out;
    int64_t ov;
    lcv acc;
    CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, x, &wx) == 0 && cb_wire(&b, y, &wy) == 0,
          "init");
    memset(&acc, 0, sizeof acc);
    lc_add(&b, &acc.lc, wx, 3);
    lc_add(&b, &acc.lc, wy, -5);
    lc_add(&b, &acc.lc, 0, 7);
    acc.v = 3 * x - 5 * y + 7;
    int64_t want = k ? floor_div(acc.v + ((int64_t)1 << (k - 1)), (int64_t)1 << k) : acc.v;
    if (relu && want < 0)
        want = 0;
    int rc = own ? g_own_wire(&b, &acc) : 0;
    if (rc == 0)
        rc = g_requant(&b, &acc, k, bits, relu, &out, &ov);
    CHECK(rc == 0, "requant(%lld): %s", (long long)(3 * x - 5 * y + 7), err.message);
    if (rc == 0) {
        CHECK(ov == want && wire_value(&b, out) == want, "requant: got %lld want %lld",
              (long long)ov, (long long)want);
        CHECK(b.cs.n_constraints == (uint32_t)(own + k + bits + 1), "requant cost %u",
              b.cs.n_constraints);
        mutate_all("requant", &b.cs, b.w, 3);
    }
    cb_free(&b);
}

static void test_relu(int64_t x, int k)
{
    cbuild b;
    zkml_error err;
    uint32_t wx = 0, z;
    CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, x, &wx) == 0, "init");
    CHECK(g_relu(&b, wx, x, k, &z) == 0, "relu: %s", err.message);
    CHECK(wire_value(&b, z) == (x > 0 ? x : 0), "relu(%lld)", (long long)x);
    mutate_all("relu", &b.cs, b.w, 2);
    cb_free(&b);
}

static void test_max(int64_t x, int64_t y, int k)
{
    cbuild b;
    zkml_error err;
    uint32_t wx = 0, wy = 0, m;
    int64_t mv;
    CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, x, &wx) == 0 && cb_wire(&b, y, &wy) == 0,
          "init");
    CHECK(g_max(&b, wx, x, wy, y, k, &m, &mv) == 0, "max: %s", err.message);
    CHECK(wire_value(&b, m) == (x > y ? x : y) && mv == (x > y ? x : y), "max(%lld, %lld)",
          (long long)x, (long long)y);
    mutate_all("max", &b.cs, b.w, 3);
    cb_free(&b);
}

/* A MaxPool window as compile.c builds it over a fused requant: the quotient
 * of each acc = 3x + 1 (not range checked), a chain of maxes over bits-wide
 * signed values, then the ReLU or the range check of the max. */
static void test_pool_window(const int64_t *x, uint32_t n, int k, int bits, int relu)
{
    cbuild b;
    zkml_error err;
    uint32_t in[8], q[8], m, out, bw[64];
    int64_t qv[8], mv = 0, want = 0;
    CHECK(cb_init(&b, 1, &err) == 0, "init");
    for (uint32_t i = 0; i < n; i++)
        CHECK(cb_wire(&b, x[i], &in[i]) == 0, "input wire");
    for (uint32_t i = 0; i < n; i++) {
        lcv acc;
        lcv_wire(&b, &acc, in[i], 3 * x[i] + 1);
        lc_add(&b, &acc.lc, in[i], 2);
        lc_add(&b, &acc.lc, 0, 1);
        int64_t f = floor_div(3 * x[i] + 1 + (k ? (int64_t)1 << (k - 1) : 0), (int64_t)1 << k);
        CHECK(g_quotient(&b, &acc, k, &q[i], &qv[i]) == 0 && qv[i] == f &&
                  wire_value(&b, q[i]) == f,
              "quotient of %lld by 2^%d: %lld, want %lld", (long long)(3 * x[i] + 1), k,
              (long long)qv[i], (long long)f);
        want = i == 0 || f > want ? f : want;
    }
    m = q[0];
    mv = qv[0];
    for (uint32_t i = 1; i < n; i++)
        CHECK(g_max(&b, m, mv, q[i], qv[i], bits, &m, &mv) == 0, "max: %s", err.message);
    lcv t;
    lcv_wire(&b, &t, m, mv + ((int64_t)1 << (bits - 1)));
    lc_add(&b, &t.lc, 0, (int64_t)1 << (bits - 1));
    if (relu) {
        lcv_free(&t);
        CHECK(g_relu(&b, m, mv, bits - 1, &out) == 0, "relu: %s", err.message);
        want = want < 0 ? 0 : want;
    } else {
        CHECK(g_bits(&b, &t, bits, bw) == 0, "range: %s", err.message);
        out = m;
    }
    CHECK(wire_value(&b, out) == want, "window max %lld, want %lld", (long long)wire_value(&b, out),
          (long long)want);
    /* what pipeline/quant/model.c charges a requant-maxpool window */
    uint32_t cost = n * (uint32_t)(k ? k : 1) + (n - 1) * (uint32_t)(bits + 2) +
                    (uint32_t)(relu ? bits + 1 : bits);
    CHECK(b.cs.n_constraints == cost, "window cost %u, want %u", b.cs.n_constraints, cost);
    mutate_all("pool window", &b.cs, b.w, n + 1);
    cb_free(&b);
}

/* Attacks on an unranged quotient followed by the range check of its value
 * (a one-element window): wire 1 is x, 2 .. k the remainder bits 1 .. k-1
 * (bit 0 is implied), k+1 the quotient y, then the bits of y + 2^(bits-1).
 * Each forged witness must be rejected: a wrong integer y by the implied
 * remainder bit's booleanity (its constraint is the quotient's equality
 * too), and a y that is not an integer (remainder 0, the equality kept) by
 * the downstream range check. */
static void test_quotient_attacks(void)
{
    const int k = 4, bits = 8;
    const int64_t x = 37; /* acc = 37 + 8 = 45 = 2 * 16 + 13 */
    cbuild b;
    zkml_error err;
    uint32_t wx = 0, y, bw[8];
    int64_t yv;
    lcv acc, t;
    CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, x, &wx) == 0, "init");
    lcv_wire(&b, &acc, wx, x);
    CHECK(g_quotient(&b, &acc, k, &y, &yv) == 0 && y == (uint32_t)k + 1 && yv == 2, "quotient");
    lcv_wire(&b, &t, y, yv + (1 << (bits - 1)));
    lc_add(&b, &t.lc, 0, 1 << (bits - 1));
    CHECK(g_bits(&b, &t, bits, bw) == 0, "range");
    CHECK(r1cs_check_witness(&b.cs, b.w, b.cs.n_wires, &err) == 0, "honest witness: %s",
          err.message);
    fr_t *w = malloc(b.cs.n_wires * sizeof *w), c;
    /* y - 1, the range bits recomputed for y - 1: the implied remainder bit
     * 0 becomes 1 + 2^k, and only its booleanity stands in the way */
    memcpy(w, b.w, b.cs.n_wires * sizeof *w);
    fr_from_i64(&w[y], yv - 1);
    for (int i = 1; i < bits; i++)
        fr_from_i64(&w[bw[i]], ((yv - 1 + (1 << (bits - 1))) >> i) & 1);
    CHECK(r1cs_check_witness(&b.cs, w, b.cs.n_wires, &err) != 0,
          "a remainder of 2^k + 1 passed the quotient");
    /* remainder 0 and y = 45 / 16 in the field: the quotient's equality
     * holds, only the range check of y rejects it */
    memcpy(w, b.w, b.cs.n_wires * sizeof *w);
    for (int i = 1; i < k; i++)
        fr_from_i64(&w[1 + i], 0);
    fr_from_u64(&c, 1u << k);
    fr_inv(&c, &c);
    fr_from_i64(&w[y], x + (1 << (k - 1)));
    fr_mul(&w[y], &w[y], &c);
    CHECK(r1cs_check_witness(&b.cs, w, b.cs.n_wires, &err) != 0,
          "a quotient that is not an integer passed the range check");
    free(w);
    cb_free(&b);
}

static void test_leaky(int64_t x, int64_t alpha, int p)
{
    cbuild b;
    zkml_error err;
    uint32_t wx = 0, out;
    CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, x, &wx) == 0, "init");
    CHECK(g_leaky_relu(&b, wx, x, 12, alpha, p, 14, &out) == 0, "leaky: %s", err.message);
    int64_t acc = x >= 0 ? x * ((int64_t)1 << p) : x * alpha;
    int64_t want = floor_div(acc + ((int64_t)1 << (p - 1)), (int64_t)1 << p);
    CHECK(wire_value(&b, out) == want, "leaky(%lld) = %lld, want %lld", (long long)x,
          (long long)wire_value(&b, out), (long long)want);
    mutate_all("leaky relu", &b.cs, b.w, 2);
    cb_free(&b);
}

static void test_pwl(int64_t x, int clamp)
{
    /* a table of 2^3 segments over [-4, 4) at scale 2 (half = 16), e = 1 */
    static const int64_t knots[9] = {-40, -30, -18, -7, 0, 7, 18, 30, 40};
    pwl_spec p = {16, 3, 2, 7, 10, clamp, knots};
    cbuild b;
    zkml_error err;
    uint32_t wx = 0, out;
    CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, x, &wx) == 0, "init");
    CHECK(g_pwl(&b, wx, x, &p, &out) == 0, "pwl(%lld): %s", (long long)x, err.message);
    int64_t c = x < -16 ? -16 : x > 15 ? 15 : x, u = c + 16, idx = u / 4, f = u % 4;
    int64_t acc = knots[idx] * 4 + (knots[idx + 1] - knots[idx]) * f;
    int64_t want = floor_div(acc + 2, 4);
    CHECK(wire_value(&b, out) == want, "pwl(%lld) = %lld, want %lld", (long long)x,
          (long long)wire_value(&b, out), (long long)want);
    mutate_all("pwl", &b.cs, b.w, 2);
    cb_free(&b);
}

/* Clip to [lo, hi] (either side optional) for x in [-600, 600]. */
static void test_clip(int64_t x, int has_lo, int64_t lo, int has_hi, int64_t hi)
{
    clip_spec c = {has_lo,
                   has_hi,
                   quant_span_log2(-600 - lo, 600 - lo),
                   quant_span_log2(-600 - hi - 1, 600 - hi - 1),
                   lo,
                   hi};
    cbuild b;
    zkml_error err;
    uint32_t wx = 0, out;
    CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, x, &wx) == 0, "init");
    CHECK(g_clip(&b, wx, x, &c, &out) == 0, "clip(%lld): %s", (long long)x, err.message);
    int64_t want = has_lo && x < lo ? lo : has_hi && x > hi ? hi : x;
    CHECK(wire_value(&b, out) == want, "clip(%lld) to [%lld, %lld] = %lld, want %lld", (long long)x,
          (long long)lo, (long long)hi, (long long)wire_value(&b, out), (long long)want);
    uint32_t cost = (uint32_t)((has_lo ? (c.k_lo ? c.k_lo + 1 : 2) : 0) +
                               (has_hi ? (c.k_hi ? c.k_hi + 1 : 2) : 0) + 1);
    CHECK(b.cs.n_constraints == cost, "clip cost %u, want %u", b.cs.n_constraints, cost);
    mutate_all("clip", &b.cs, b.w, 2);
    cb_free(&b);
}

static void test_zero(void)
{
    cbuild b;
    zkml_error err;
    uint32_t z = 0;
    CHECK(cb_init(&b, 1, &err) == 0 && g_zero(&b, &z) == 0, "zero wire");
    CHECK(wire_value(&b, z) == 0 && b.cs.n_constraints == 1, "zero wire value and cost");
    mutate_all("zero", &b.cs, b.w, 1);
    cb_free(&b);
}

/* The narrowest decompositions: one bit (a wire and the sum's equality,
 * 2 constraints) and two (bit 0 implied, 2 constraints), and the sign of a
 * value in [-1, 1) (k = 0, one bit); each value in range passes with every
 * wire determined, the first value out of range is refused. */
static void test_bits_narrow(void)
{
    for (int n = 1; n <= 2; n++)
        for (int64_t v = 0; v <= (1 << n); v++) {
            cbuild b;
            zkml_error err;
            uint32_t wx = 0, bits[2];
            lcv t;
            CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, v, &wx) == 0, "init");
            lcv_wire(&b, &t, wx, v);
            int rc = g_bits(&b, &t, n, bits);
            if (v == (1 << n))
                CHECK(rc == ZKML_EINTERNAL, "%lld accepted in %d bits", (long long)v, n);
            else {
                CHECK(rc == 0 && b.cs.n_constraints == 2, "%lld in %d bits: rc %d, cost %u",
                      (long long)v, n, rc, b.cs.n_constraints);
                mutate_all("narrow bits", &b.cs, b.w, 2);
            }
            cb_free(&b);
        }
    for (int64_t d = -1; d <= 0; d++) {
        cbuild b;
        zkml_error err;
        uint32_t wd = 0, s;
        lcv t;
        CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, d, &wd) == 0, "init");
        lcv_wire(&b, &t, wd, d);
        CHECK(g_sign(&b, &t, 0, &s) == 0 && wire_value(&b, s) == (d >= 0), "sign of %lld",
              (long long)d);
        mutate_all("sign of one bit", &b.cs, b.w, 2);
        cb_free(&b);
    }
}

static void test_bits_range(void)
{
    cbuild b;
    zkml_error err;
    uint32_t wx = 0, bits[8];
    lcv t;
    CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, 200, &wx) == 0, "init");
    lcv_wire(&b, &t, wx, 200);
    CHECK(g_bits(&b, &t, 8, bits) == 0, "bits of 200");
    mutate_all("bits", &b.cs, b.w, 2);
    lcv_wire(&b, &t, wx, 256);
    CHECK(g_bits(&b, &t, 8, bits) == ZKML_EINTERNAL, "256 accepted in 8 bits");
    cb_free(&b);
}

/* Small scales and widths, so that the mutation checks stay quick. */
static void small_settings(quant_settings *s, int input_signed)
{
    quant_settings_default(s);
    s->input_scale = 4;
    s->activation_scale = 4;
    s->param_scale = 6;
    s->input_bits = 8;
    s->input_signed = input_signed;
    s->activation_bits = 12;
}

/* poseidon_commit over tensor t's values packed as docs/COMMITMENTS.md says,
 * computed here from the evaluator's integers. */
static void expected_commitment(const quant_model *m, const quant_values *v, uint32_t t, fr_t *h)
{
    const quant_tensor *qt = &m->tensors[t];
    uint32_t per = QUANT_PACK_BITS / qt->bits, n = (qt->size + per - 1) / per;
    fr_t packed[64], d, pow;
    zkml_error err;
    for (uint32_t k = 0; k < n && k < 64; k++) {
        fr_zero(&packed[k]);
        fr_one(&pow);
        for (uint32_t i = k * per; i < qt->size && i < (k + 1) * per; i++) {
            fr_from_i64(&d, v->values[t][i] - qt->lo);
            fr_mul(&d, &d, &pow);
            fr_add(&packed[k], &packed[k], &d);
            fr_from_u64(&d, (uint64_t)1 << qt->bits);
            fr_mul(&pow, &pow, &d);
        }
    }
    CHECK(n <= 64 && poseidon_commit(h, packed, n, &err) == 0, "commit");
}

/* Hashed outputs and inputs: signal 1 is the outputs' commitment, 2 the inputs'. */
static void check_commitments(const quant_model *m, const quant_values *v, const fr_t *w)
{
    fr_t h;
    expected_commitment(m, v, m->output, &h);
    CHECK(fr_eq(&h, &w[1]), "output commitment differs");
    expected_commitment(m, v, m->input, &h);
    CHECK(fr_eq(&h, &w[2]), "input commitment differs");
}

static uint8_t *file_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *d = NULL;
    long n = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (d = malloc((size_t)n + 1)) &&
        fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    if (f)
        fclose(f);
    *len = d ? (size_t)n : 0;
    return d;
}

/* The other two builds of c's model agree with circuit_build's: the
 * witness-only build makes the same witness and keeps no constraint, the
 * build into a file writes r1cs_write's bytes of c's system. */
static void check_other_builds(const char *name, const quant_model *m, const quant_values *v,
                               const circuit *c)
{
    circuit w;
    zkml_error err;
    CHECK(circuit_build_witness(m, v, &w, &err) == 0, "%s witness only: %s", name, err.message);
    CHECK(w.cs.n_wires == c->cs.n_wires && w.cs.n_constraints == c->cs.n_constraints &&
              !w.cs.constraints &&
              memcmp(w.witness, c->witness, c->cs.n_wires * sizeof *c->witness) == 0,
          "%s: the witness-only build differs", name);
    circuit_free(&w);
    CHECK(r1cs_write(&c->cs, "gadgets_built.r1cs", &err) == 0, "write: %s", err.message);
    CHECK(circuit_build_file(m, "gadgets_streamed.r1cs", &w, &err) == 0, "%s to a file: %s", name,
          err.message);
    size_t n1, n2;
    uint8_t *a = file_bytes("gadgets_built.r1cs", &n1),
            *b = file_bytes("gadgets_streamed.r1cs", &n2);
    CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0, "%s: the streamed .r1cs differs", name);
    free(a);
    free(b);
    circuit_free(&w);
    remove("gadgets_built.r1cs");
    remove("gadgets_streamed.r1cs");
}

/* A witness-only build refuses a constraint that does not hold, naming it
 * (3 * 4 = 13 as constraint 1, after one that holds). */
static void test_check_as_built_refuses(void)
{
    cbuild b;
    zkml_error err;
    uint32_t x = 0, y = 0, z = 0, good = 0;
    r1cs_lc a = {0}, bb = {0}, c = {0};
    CHECK(cb_init(&b, 1, &err) == 0 && cb_wire(&b, 3, &x) == 0 && cb_wire(&b, 4, &y) == 0 &&
              cb_wire(&b, 13, &z) == 0 && cb_wire(&b, 12, &good) == 0,
          "init");
    b.check_as_built = 1;
    CHECK(r1cs_stream_to(&b.cs, NULL, &err) == 0, "drop: %s", err.message);
    CHECK(lc_add(&b, &a, x, 1) == 0 && lc_add(&b, &bb, y, 1) == 0 && lc_add(&b, &c, good, 1) == 0 &&
              cb_enforce(&b, &a, &bb, &c) == 0,
          "3 * 4 = 12 refused: %s", err.message);
    CHECK(lc_add(&b, &a, x, 1) == 0 && lc_add(&b, &bb, y, 1) == 0 && lc_add(&b, &c, z, 1) == 0 &&
              cb_enforce(&b, &a, &bb, &c) == ZKML_EINTERNAL &&
              strstr(err.message, "constraint 1 (0-based) does not hold"),
          "3 * 4 = 13: '%s'", err.message);
    CHECK(b.cs.n_constraints == 1 && !b.cs.constraints, "counts: %u", b.cs.n_constraints);
    cb_free(&b);
}

/* A whole compiled model with small settings on one input, inputs and
 * outputs shown as vis (public: packed; hashed: one Poseidon commitment).
 * iris_mlp: Gemm, Relu; ops_tiny: Pad, PRelu, Clip, Transpose, Concat,
 * GlobalAveragePool, ReduceSum, BatchNormalization. */
static void test_model_mutation(const char *name, const float *x, int input_signed,
                                quant_visibility vis)
{
    onnx_model *g;
    zkml_error err;
    quant_settings s;
    quant_model m;
    quant_values v;
    circuit c;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.onnx", ZKML_FIXTURES, name);
    if (onnx_load_file(path, &g, &err) != 0) {
        CHECK(0, "load %s: %s", name, err.message);
        return;
    }
    small_settings(&s, input_signed);
    s.input_visibility = s.output_visibility = vis;
    int64_t q[16];
    int rc = quant_model_build(g, &s, &m, &err);
    CHECK(rc == 0, "build: %s", err.message);
    if (!rc) {
        CHECK(quant_input(&m, x, q, &err) == 0 && quant_eval(&m, q, &v, &err) == 0, "eval: %s",
              err.message);
        CHECK(circuit_build(&m, &v, &c, &err) == 0, "circuit: %s", err.message);
        CHECK(c.cs.n_constraints == quant_model_constraints(&m), "estimate %llu vs %u",
              (unsigned long long)quant_model_constraints(&m), c.cs.n_constraints);
        CHECK(c.cs.n_pub_out == 1 && c.cs.n_pub_in == 1, "packed public signals");
        if (vis == QUANT_VIS_HASHED)
            check_commitments(&m, &v, c.witness);
        check_other_builds(name, &m, &v, &c);
        /* the public input is an input too, but it is checked: mutate it as well */
        mutate_all(name, &c.cs, c.witness, 1);
        printf("%s (%s): %u constraints, %u wires each changed by +1 and -1\n", name,
               quant_visibility_name(vis), c.cs.n_constraints, c.cs.n_wires - 1);
        circuit_free(&c);
        quant_values_free(&v);
        quant_model_free(&m);
    }
    onnx_free(g);
}

/* A fixture lowered under small_settings with parameters params; 0, or -1 (reported). */
static int load_small(const char *file, int input_signed, quant_visibility params, onnx_model **g,
                      quant_model *m)
{
    zkml_error err;
    quant_settings s;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", ZKML_FIXTURES, file);
    if (onnx_load_file(path, g, &err) != 0) {
        CHECK(0, "load %s: %s", file, err.message);
        return -1;
    }
    small_settings(&s, input_signed);
    s.param_visibility = params;
    if (quant_model_build(*g, &s, m, &err) != 0) {
        CHECK(0, "build %s: %s", file, err.message);
        onnx_free(*g);
        return -1;
    }
    return 0;
}

/* pool_tiny lowers both of its Conv -> (Relu ->) MaxPool chains to
 * requant-maxpool layers (so its mutation test covers the fused gadget). */
static void test_pool_fused(void)
{
    onnx_model *g;
    quant_model m;
    if (load_small("pool_tiny.onnx", 1, QUANT_VIS_FIXED, &g, &m))
        return;
    int fused = 0, relu = 0;
    for (uint32_t i = 0; i < m.n_layers; i++)
        if (m.layers[i].kind == QUANT_LAYER_REQUANT_MAXPOOL) {
            fused++;
            relu += m.layers[i].relu;
        }
    CHECK(fused == 2 && relu == 1, "pool_tiny: %d fused layers, %d with ReLU", fused, relu);
    quant_model_free(&m);
    onnx_free(g);
}

/* The evaluation circuit of spec streamed to a file is r1cs_write's of c's
 * system with c's witness, and counted only it has c's counts. */
static void check_eval_builds(const quant_model *m, circuit_eval_spec spec, const circuit *c)
{
    circuit w;
    zkml_error err;
    int64_t predicted[2];
    spec.system = CIRCUIT_TO_FILE;
    spec.r1cs_path = "eval_streamed.r1cs";
    CHECK(r1cs_write(&c->cs, "eval_built.r1cs", &err) == 0, "write: %s", err.message);
    CHECK(circuit_build_eval(m, &spec, &w, predicted, &err) == 0, "to a file: %s", err.message);
    CHECK(w.cs.n_wires == c->cs.n_wires && !w.cs.constraints &&
              memcmp(w.witness, c->witness, c->cs.n_wires * sizeof *c->witness) == 0,
          "the streamed evaluation's witness differs");
    circuit_free(&w);
    size_t n1, n2;
    uint8_t *a = file_bytes("eval_built.r1cs", &n1), *b = file_bytes("eval_streamed.r1cs", &n2);
    CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0, "the streamed evaluation .r1cs differs");
    free(a);
    free(b);
    remove("eval_built.r1cs");
    remove("eval_streamed.r1cs");
    spec.system = CIRCUIT_COUNTED;
    CHECK(circuit_build_eval(m, &spec, &w, predicted, &err) == 0 &&
              w.cs.n_constraints == c->cs.n_constraints && !w.cs.constraints,
          "counted: %u constraints", w.cs.n_constraints);
    circuit_free(&w);
}

/* The evaluation circuit on two iris rows, one labelled right and one
 * wrong: the count, and every wire changed breaks a constraint (the argmax,
 * the label comparison and the commitment leave nothing free). */
static void test_eval_mutation(void)
{
    onnx_model *g;
    zkml_error err;
    quant_model m;
    const float x[2][4] = {{5.1f, 3.5f, 1.4f, 0.2f}, {6.7f, 3.0f, 5.2f, 2.3f}};
    quant_values v[2] = {{0}};
    int64_t q[4], predicted[2] = {-1, -1}, labels[2];
    circuit c;
    if (load_small("iris_mlp.onnx", 0, QUANT_VIS_FIXED, &g, &m) == 0) {
        for (int r = 0; r < 2; r++)
            CHECK(quant_input(&m, x[r], q, &err) == 0 && quant_eval(&m, q, &v[r], &err) == 0,
                  "eval: %s", err.message);
        double f[8];
        quant_output_floats(&m, &v[0], f);
        labels[0] = quant_predicted_class(&m, f);
        quant_output_floats(&m, &v[1], f);
        labels[1] = (quant_predicted_class(&m, f) + 1) % 3;
        circuit_eval_spec spec = {v, labels, 2, 0, 0, {{0}}, CIRCUIT_IN_MEMORY, NULL};
        fr_from_u64(&spec.circuit_hash, 0xc1c1);
        int rc = circuit_build_eval(&m, &spec, &c, predicted, &err);
        CHECK(rc == 0, "evaluation circuit: %s", err.message);
        if (rc == 0) {
            int64_t count = -1, rows = -1, hash = -1;
            CHECK(fr_to_i64(&hash, &c.witness[2]) == 0 && hash == 0xc1c1, "circuit hash signal");
            CHECK(fr_to_i64(&rows, &c.witness[3]) == 0 && rows == 2, "rows signal");
            CHECK(fr_to_i64(&count, &c.witness[4]) == 0 && count == 1, "correct count %lld",
                  (long long)count);
            CHECK(predicted[0] == labels[0] && predicted[1] != labels[1], "predicted classes");
            mutate_all("evaluation", &c.cs, c.witness, 1);
            check_eval_builds(&m, spec, &c);
            printf("evaluation of 2 rows: %u constraints, %u wires each changed by +1 and -1\n",
                   c.cs.n_constraints, c.cs.n_wires - 1);
            circuit_free(&c);
        }
        for (int r = 0; r < 2; r++)
            quant_values_free(&v[r]);
        quant_model_free(&m);
        onnx_free(g);
    }
}

/* A regression's sum of squared errors over two rows of reg_sigmoid with
 * thresholds on either side of its RMSE: SSE as computed here, the boolean
 * right both ways, and no wire free (the boolean flipped alone, or any other
 * wire moved, breaks a constraint), so the boolean cannot lie. */
static void test_eval_regression(void)
{
    onnx_model *g;
    zkml_error err;
    quant_model m;
    const float x[2][4] = {{0.5f, -0.25f, 0.75f, 0.1f}, {-0.6f, 0.3f, -0.2f, 0.9f}};
    quant_values v[2] = {{0}};
    int64_t q[4], predicted[2], targets[2] = {3, 14}, sse = 0;
    if (load_small("reg_sigmoid.onnx", 1, QUANT_VIS_FIXED, &g, &m) != 0)
        return;
    for (int r = 0; r < 2; r++) {
        CHECK_OK(quant_input(&m, x[r], q, &err), &err);
        CHECK_OK(quant_eval(&m, q, &v[r], &err), &err);
        int64_t o = v[r].values[m.output][0];
        sse += (o - targets[r]) * (o - targets[r]);
    }
    /* Threshold t is met when 2 * t^2 >= SSE: the smallest such t and one less. */
    int64_t t = 0;
    while (2 * t * t < sse)
        t++;
    CHECK(sse > 0 && t > 0, "the targets miss the outputs (SSE %lld)", (long long)sse);
    for (int met = 1; met >= 0; met--) {
        circuit c;
        circuit_eval_spec spec = {v,     targets,           2,   1, met ? t : t - 1,
                                  {{0}}, CIRCUIT_IN_MEMORY, NULL};
        int rc = circuit_build_eval(&m, &spec, &c, predicted, &err);
        CHECK(rc == 0, "regression circuit: %s", err.message);
        if (rc)
            continue;
        int64_t got[5] = {0};
        for (int i = 3; i <= 6; i++)
            CHECK(fr_to_i64(&got[i - 2], &c.witness[i]) == 0, "signal %d", i);
        CHECK(got[1] == 2 && got[2] == sse && got[3] == spec.threshold && got[4] == met,
              "signals rows %lld sse %lld (want %lld) threshold %lld within %lld (want %d)",
              (long long)got[1], (long long)got[2], (long long)sse, (long long)got[3],
              (long long)got[4], met);
        fr_t saved = c.witness[6], one;
        fr_one(&one);
        fr_sub(&c.witness[6], &one, &saved); /* the boolean flipped */
        CHECK(r1cs_check_witness(&c.cs, c.witness, c.cs.n_wires, &err) != 0,
              "the within-threshold bit flipped to %d still satisfies the circuit", !met);
        c.witness[6] = saved;
        mutate_all("regression", &c.cs, c.witness, 1);
        printf("regression of 2 rows, SSE %lld, threshold %lld: within %d, %u constraints, "
               "%u wires each changed\n",
               (long long)sse, (long long)spec.threshold, met, c.cs.n_constraints,
               c.cs.n_wires - 1);
        circuit_free(&c);
    }
    /* A threshold whose square leaves the 61-bit comparison is refused. */
    circuit c;
    circuit_eval_spec huge = {v, targets, 2, 1, INT64_C(1) << 31, {{0}}, CIRCUIT_IN_MEMORY, NULL};
    CHECK(circuit_build_eval(&m, &huge, &c, predicted, &err) == ZKML_EINVAL &&
              strstr(err.message, "bits (at most 61)"),
          "huge threshold: %s", err.message);
    for (int r = 0; r < 2; r++)
        quant_values_free(&v[r]);
    quant_model_free(&m);
    onnx_free(g);
}

/* The parameter commitment computed here, natively: each tensor's values
 * packed with offset 2^(bits-1), all elements chained (docs/COMMITMENTS.md). */
static void param_commitment(const quant_model *m, fr_t *h)
{
    fr_t *e = calloc(quant_param_total_elements(m) + 1, sizeof *e), d, pow, step;
    uint32_t at = 0;
    zkml_error err;
    for (uint32_t t = 0; e && t < m->n_ptensors; t++) {
        const quant_param_tensor *p = &m->ptensors[t];
        uint32_t per = QUANT_PACK_BITS / p->bits;
        fr_from_u64(&step, (uint64_t)1 << p->bits);
        for (uint32_t i = 0; i < p->count; i++) {
            if (i % per == 0) {
                fr_zero(&e[at + i / per]);
                fr_one(&pow);
            }
            fr_from_i64(&d, m->params[p->first + i] + ((int64_t)1 << (p->bits - 1)));
            fr_mul(&d, &d, &pow);
            fr_add(&e[at + i / per], &e[at + i / per], &d);
            fr_mul(&pow, &pow, &step);
        }
        at += quant_param_elements(p);
    }
    CHECK(e && poseidon_commit(h, e, at, &err) == 0, "parameter commitment");
    free(e);
}

/* param_visibility hashed on iris_mlp: the estimate is the circuit, the last
 * public signal is the parameter commitment computed natively, every wire
 * moved (a weight's too) breaks a constraint, the evaluation circuit shows
 * the same commitment last, and a weight changed in the graph gives another
 * commitment, which the rebuilt circuit shows. */
static void test_hashed_params(void)
{
    onnx_model *g;
    quant_model m;
    quant_values v;
    circuit c;
    zkml_error err;
    fr_t h, h2;
    const float x[4] = {5.1f, 3.5f, 1.4f, 0.2f};
    int64_t q[4], label = 0, predicted = -1;
    if (load_small("iris_mlp.onnx", 0, QUANT_VIS_HASHED, &g, &m) != 0)
        return;
    CHECK_OK(quant_input(&m, x, q, &err), &err);
    CHECK_OK(quant_eval(&m, q, &v, &err), &err);
    CHECK_OK(circuit_build(&m, &v, &c, &err), &err);
    CHECK(c.cs.n_constraints == quant_model_constraints(&m), "hashed estimate %llu vs %u",
          (unsigned long long)quant_model_constraints(&m), c.cs.n_constraints);
    param_commitment(&m, &h);
    uint32_t last = c.cs.n_pub_out + c.cs.n_pub_in;
    CHECK(c.param_signals == 1 && fr_eq(&h, &c.witness[last]), "the last signal is not the "
                                                               "parameter commitment");
    mutate_all("hashed parameters", &c.cs, c.witness, 1);
    printf("iris_mlp with hashed parameters: %u constraints (%u parameters), every wire moved "
           "breaks one\n",
           c.cs.n_constraints, m.n_params);
    circuit_free(&c);
    circuit_eval_spec spec = {&v, &label, 1, 0, 0, {{0}}, CIRCUIT_IN_MEMORY, NULL};
    CHECK_OK(circuit_build_eval(&m, &spec, &c, &predicted, &err), &err);
    CHECK(fr_eq(&h, &c.witness[c.cs.n_pub_out]), "the evaluation shows another commitment");
    circuit_free(&c);
    quant_values_free(&v);
    g->tensors[m.ptensors[0].onnx_tensor].data[0] += 0.5f;
    quant_model_free(&m);
    quant_settings s;
    small_settings(&s, 0);
    s.param_visibility = QUANT_VIS_HASHED;
    CHECK_OK(quant_model_build(g, &s, &m, &err), &err);
    param_commitment(&m, &h2);
    CHECK(!fr_eq(&h, &h2), "a changed weight kept the commitment");
    CHECK_OK(circuit_build(&m, NULL, &c, &err), &err);
    circuit_free(&c);
    quant_model_free(&m);
    onnx_free(g);
}

/* Hashed parameters of a Conv (a kernel shared by every position) and of a
 * Conv with a folded BatchNormalization: the estimate is the circuit. */
static void test_hashed_estimate(const char *file)
{
    onnx_model *g;
    quant_model m;
    circuit c;
    zkml_error err;
    if (load_small(file, 0, QUANT_VIS_HASHED, &g, &m) != 0)
        return;
    CHECK_OK(circuit_build(&m, NULL, &c, &err), &err);
    CHECK(c.cs.n_constraints == quant_model_constraints(&m), "%s hashed: estimate %llu vs %u", file,
          (unsigned long long)quant_model_constraints(&m), c.cs.n_constraints);
    printf("%s with hashed parameters: %u constraints\n", file, c.cs.n_constraints);
    circuit_free(&c);
    quant_model_free(&m);
    onnx_free(g);
}

/* A MatMul followed by an Add of a bias lowers with fixed parameters; with
 * hashed ones the Add is refused, naming it and saying why. */
static void test_hashed_refusal(void)
{
    onnx_model *g;
    quant_model m;
    quant_settings s;
    zkml_error err;
    char path[512];
    snprintf(path, sizeof path, "%s/matmul_add.onnx", ZKML_FIXTURES);
    if (onnx_load_file(path, &g, &err) != 0) {
        CHECK(0, "load matmul_add.onnx: %s", err.message);
        return;
    }
    small_settings(&s, 1);
    CHECK_OK(quant_model_build(g, &s, &m, &err), &err);
    quant_model_free(&m);
    s.param_visibility = QUANT_VIS_HASHED;
    CHECK(quant_model_build(g, &s, &m, &err) == ZKML_EINVAL &&
              strstr(err.message, "'add_bias' (Add)") &&
              strstr(err.message, "param_visibility hashed"),
          "MatMul + Add with hashed parameters: %s", err.message);
    onnx_free(g);
}

int main(void)
{
    test_bits_range();
    test_bits_narrow();
    int64_t xs[] = {-300, -1, 0, 1, 255, 511};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j += 2) {
            test_requant(xs[i], xs[j], 4, 12, 0, 0);
            test_requant(xs[i], xs[j], 4, 12, 1, 0);
            test_requant(xs[i], xs[j], 4, 12, 0, 1);
            test_requant(xs[i], xs[j], 4, 12, 1, 1);
        }
    test_requant(-3, 2, 0, 14, 0, 0); /* k = 0: a plain range check */
    test_requant(-3, 2, 0, 14, 0, 1);
    test_requant(2, 3, 1, 6, 1, 0);
    for (size_t i = 0; i < 6; i++) {
        test_relu(xs[i], 10);
        test_max(xs[i], 0, 11);
        test_max(xs[i], xs[i], 11);
        test_max(xs[i], -xs[i], 11);
        test_leaky(xs[i], 3, 5);
    }
    for (int64_t x = -40; x <= 40; x += 3)
        test_pwl(x, 1);
    for (int64_t x = -16; x < 16; x += 5)
        test_pwl(x, 0);
    for (int64_t x = -40; x <= 40; x += 5) {
        test_clip(x, 1, -7, 1, 20);
        test_clip(x, 1, 3, 1, 3);
        test_clip(x, 1, -12, 0, 0);
        test_clip(x, 0, 0, 1, 9);
    }
    test_clip(-600, 1, 0, 1, 96);
    test_clip(600, 1, 0, 1, 96);
    test_zero();
    for (size_t i = 0; i + 4 <= 6; i++) {
        test_pool_window(xs + i, 4, 4, 12, 1);
        test_pool_window(xs + i, 3, 3, 12, 0);
    }
    test_pool_window(xs, 1, 0, 12, 0);
    test_pool_window(xs + 4, 2, 2, 11, 1);
    test_pool_window(xs + 1, 3, 1, 12, 1); /* k = 1: no remainder wire at all */
    test_quotient_attacks();
    test_check_as_built_refuses();
    const float iris[4] = {5.1f, 3.5f, 1.4f, 0.2f};
    const float tiny[6] = {-1.0f, -0.25f, 0.5f, 1.5f, -0.75f, 0.0625f};
    test_model_mutation("iris_mlp", iris, 0, QUANT_VIS_PUBLIC);
    test_model_mutation("ops_tiny", tiny, 1, QUANT_VIS_PUBLIC);
    test_model_mutation("iris_mlp", iris, 0, QUANT_VIS_HASHED);
    const float pool[9] = {-1.0f, 0.5f, 0.25f, 0.75f, -0.5f, 1.0f, 0.125f, -0.25f, 0.0f};
    test_pool_fused();
    test_model_mutation("pool_tiny", pool, 1, QUANT_VIS_PUBLIC);
    test_eval_mutation();
    test_eval_regression();
    test_hashed_params();
    test_hashed_estimate("digits_cnn.onnx");
    test_hashed_estimate("ops_bn_cnn.onnx");
    test_hashed_refusal();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    else
        printf("all gadget checks passed\n");
    return failures ? 1 : 0;
}
