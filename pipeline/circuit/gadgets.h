/*
 * gadgets.h - internal: the R1CS builder with witness values, and the
 * gadgets the compiler assembles (range check, rescale, sign, ReLU, max,
 * leaky ReLU, piecewise-linear tables, Poseidon).
 *
 * Every gadget takes its inputs as linear combinations with their integer
 * values and returns new wires; with a witness (cb->with_witness) it also
 * fills each new wire's value, and fails with ZKML_EINTERNAL if a value is
 * outside the range the gadget proves (the evaluator and the circuit would
 * then disagree). Without one, values are placeholders and only the
 * constraints matter. Soundness rests on this: every value a gadget outputs
 * is determined by its inputs through its constraints, and every bit
 * decomposition spans fewer than 62 bits, so with inputs bounded far below
 * r/2 no field wrap-around can hide a wrong value.
 */
#ifndef ZKML_CIRCUIT_GADGETS_H
#define ZKML_CIRCUIT_GADGETS_H

#include "pipeline/snark/snark.h"

#include <stdint.h>

typedef struct cbuild {
    r1cs cs;
    fr_t *w; /* witness values of wires 0 .. cs.n_wires-1 */
    size_t cap_w;
    int with_witness;
    int check_as_built; /* each constraint checked at the witness when made (a
                         * build whose system streams or is dropped) */
    zkml_error *err;
    fr_t pow2[63]; /* 2^i: most coefficients are +-2^i (bits, offsets), a
                    * conversion each would be a third of the compile time */
} cbuild;

/* A linear combination with its integer value. */
typedef struct lcv {
    r1cs_lc lc;
    int64_t v;
} lcv;

int cb_init(cbuild *b, int with_witness, zkml_error *err);
void cb_free(cbuild *b);
/* Allocates the next wire with an integer (or field) value. */
int cb_wire(cbuild *b, int64_t value, uint32_t *wire);
int cb_wire_fr(cbuild *b, const fr_t *value, uint32_t *wire);
/* A*B = C; takes ownership of the three combinations (also on failure). */
int cb_enforce(cbuild *b, r1cs_lc *a, r1cs_lc *bb, r1cs_lc *c);

/* lc += coeff * wire (wire 0 for a constant). */
int lc_add(cbuild *b, r1cs_lc *lc, uint32_t wire, int64_t coeff);
int lc_add_fr(cbuild *b, r1cs_lc *lc, uint32_t wire, const fr_t *coeff);
int lc_copy(cbuild *b, r1cs_lc *dst, const r1cs_lc *src);
/* dst += k * src */
int lc_axpy(cbuild *b, r1cs_lc *dst, int64_t k, const r1cs_lc *src);
/* A combination of one wire with its value. */
int lcv_wire(cbuild *b, lcv *x, uint32_t wire, int64_t value);
void lcv_free(lcv *x);

/* x's combination replaced by a new wire w of x's value, with the
 * constraint w * 1 = x: x's terms then stand once, in C (the cheapest side
 * of a setup: one G1 product a term, where A costs two and B a G2 one),
 * and later constraints name w alone. Sound: the constraint fixes w to x's
 * field value, so a statement about w is that statement about x. For a
 * long x before g_bits, g_quotient or g_requant, whose bit-0 constraint
 * r * (r - 1) = 0 would hold x's terms in both A and B. Costs 1. Consumes
 * x's combination (x is the new wire's afterwards, also on failure: empty). */
int g_own_wire(cbuild *b, lcv *x);
/* The constraint w * 1 = x for an existing wire w: g_own_wire's rule, also
 * for combinations of field values (Poseidon's). Costs 1. Consumes x's terms
 * (x is empty afterwards, also on failure). */
int g_wire_equals(cbuild *b, uint32_t w, r1cs_lc *x);
/* A new wire w of value bit with the constraint w * (w - 1) = 0. Costs 1. */
int g_boolean(cbuild *b, int bit, uint32_t *w);
/* Range check: t in [0, 2^n), n <= 62. bits[] receives the bits, least
 * significant first; for n >= 2 bit 0 has no wire (bits[0] = UINT32_MAX):
 * r = t - sum_{i>=1} 2^i bits[i] is that bit, and the one constraint
 * r * (r - 1) = 0 makes it a boolean and t their sum at once. Sound: r is
 * 0 or 1 and every other bit a boolean, so t = sum 2^i bits[i] (with r for
 * bit 0) is an integer in [0, 2^n), the statement of n booleans and an
 * equality. Costs n constraints (n booleans and the sum's equality, 2, for
 * n = 1, where bits[0] is a wire). Consumes t. */
int g_bits(cbuild *b, lcv *t, int n, uint32_t *bits);
/* The same with a wire for every bit (a table's index, bit 0 included).
 * Costs n + 1. Consumes t. */
int g_bits_wired(cbuild *b, lcv *t, int n, uint32_t *bits);
/* s = (d >= 0) for d in [-2^k, 2^k), k <= 61: the top bit of the k + 1 bit
 * decomposition of d + 2^k. Costs k + 1 (2 for k = 0). Consumes d. */
int g_sign(cbuild *b, lcv *d, int k, uint32_t *s);
/* Rescale by k bits with round half up into a bits-wide signed value:
 *   acc + 2^(k-1) + 2^(k+bits-1) = (y + 2^(bits-1)) * 2^k + rem,
 *   0 <= rem < 2^k, 0 <= y + 2^(bits-1) < 2^bits   (one decomposition,
 *   g_bits), then with relu z = top_bit * y, else y as a wire: the same
 * decomposition gives the remainder, the quotient and its sign. Costs
 * k + bits + 1. Consumes acc. */
int g_requant(cbuild *b, lcv *acc, int k, int bits, int relu, uint32_t *out, int64_t *out_v);
/* Rescale without a range: t = acc + 2^(k-1) (acc itself for k = 0) split as
 *   t = 2^k * y + rem,  0 <= rem < 2^k
 * into a new wire y = floor(t / 2^k), the round half up of acc / 2^k: the
 * remainder bits 1 .. k-1 are booleans and r = t - sum_{i>=1} 2^i rem_i -
 * 2^k y, its bit 0, satisfies r * (r - 1) = 0 (as in g_bits), which is the
 * equality too; for k = 0, acc - y = 0. Costs k (1 for k = 0). Consumes
 * acc. y is NOT range checked here: the caller must bound it, directly or
 * through range-checked differences that lead to a range-checked value, as
 * a MaxPool window does: each g_max proves x - y
 * small and returns one of x, y (y + s * (x - y), s a bit), so once the
 * window's final max is range checked, induction down the chain makes every
 * compared quotient a small integer. Then t = 2^k y + rem holds over the
 * integers (both sides far below r/2) and y is the floor. Without the bound,
 * a wrong rem only makes y = (t - rem) / 2^k a field element far from every
 * small integer, which the range check downstream rejects. */
int g_quotient(cbuild *b, lcv *acc, int k, uint32_t *y, int64_t *yv);
/* z = max(x, 0) for |x| < 2^k. Costs k + 2 (3 for k = 0). */
int g_relu(cbuild *b, uint32_t x, int64_t xv, int k, uint32_t *z);
/* m = max(x, y) for |x - y| < 2^k. Costs k + 2 (3 for k = 0). */
int g_max(cbuild *b, uint32_t x, int64_t xv, uint32_t y, int64_t yv, int k, uint32_t *m,
          int64_t *mv);
/* Leaky ReLU: requant(x * (x >= 0 ? 2^p : alpha), p). Costs sign(k) + 1 + p + bits + 1. */
int g_leaky_relu(cbuild *b, uint32_t x, int64_t xv, int k, int64_t alpha, int p, int bits,
                 uint32_t *out);

/* Clip: y = min(max(x, lo), hi) with lo <= hi. A bound applies when has_*
 * is set; k_lo, k_hi are the sign widths of x - lo and x - hi - 1 (see
 * quant_clip_lo_log2). inside = (x >= lo), above = (x > hi), then
 *   (inside - above) * x = y - hi * above - lo * (1 - inside).
 * Costs (sign(k_lo) if has_lo) + (sign(k_hi) if has_hi) + 1, sign(k) = g_sign's
 * k + 1 (2 for k = 0). */
typedef struct clip_spec {
    int has_lo, has_hi, k_lo, k_hi;
    int64_t lo, hi;
} clip_spec;
int g_clip(cbuild *b, uint32_t x, int64_t xv, const clip_spec *c, uint32_t *out);
/* A wire constrained to 0 (padding of a gather). Costs 1. */
int g_zero(cbuild *b, uint32_t *w);

/* Piecewise-linear table (see quant.h): clamp to [-half, half), split
 * u = c + half into a segment index (seg bits) and an offset (e bits), select
 * the knot and slope with two multiplexer trees, interpolate, requant by e. */
typedef struct pwl_spec {
    int64_t half;
    int seg, e, k, bits;  /* k: |x| < 2^k */
    int clamp;            /* x may lie outside [-half, half) */
    const int64_t *knots; /* 2^seg + 1 */
} pwl_spec;
int g_pwl(cbuild *b, uint32_t x, int64_t xv, const pwl_spec *p, uint32_t *out);

/* A linear combination with its field value (Poseidon works over all of Fr). */
typedef struct lcf {
    r1cs_lc lc;
    fr_t v;
} lcf;
void lcf_free(lcf *x);

/* A new wire w of value v (= a * b, the caller's) with the constraint
 * a * b = w. Costs 1. Copies a and b. */
int g_mul(cbuild *b, const r1cs_lc *a, const r1cs_lc *bb, const fr_t *v, uint32_t *w);

/* circomlib's Poseidon (snark.h): the state [init, in[0], .., in[n-1]]
 * (t = n + 1, n in 1..16) permuted; out is element 0 as a combination of
 * new wires (no wire of its own). Round constants and the MDS matrix are
 * free linear algebra; each S-box y = x^5 gives its input x (the MDS mix
 * of the state plus a round constant: many full-size terms) a wire of its
 * own, then takes three products of that wire:
 *   w * 1 = x,  w * w = x2,  x2 * x2 = x4,  x4 * w = y
 * so every new wire is fixed by its inputs (sound without range checks:
 * the hash is an Fr function, nothing is assumed bounded), and x's terms
 * stand once, in C, where a setup pays one G1 product for each (named by
 * the products, they stood in A once and in B twice: 6 G1 and 2 G2 products
 * a term). An S-box whose input is a constant (element 0 in round 0 when
 * init is one) is computed, not constrained. Costs poseidon_constraints(t,
 * init constant): 4 per S-box, 8t + R_P(t) S-boxes, 4 fewer with a constant
 * init; for t = 2..17 (tests/poseidon prints them): 288 324 352 400 432 476 512 540 560
 * 616 624 676 728 720 768 816. Copies its inputs. */
int g_poseidon(cbuild *b, const lcf *in, int n, const lcf *init, lcf *out);
/* poseidon_commit (snark.h) over n combinations: the chain starts from the
 * constant n, so it costs poseidon_commit_constraints(n). */
int g_poseidon_commit(cbuild *b, const lcf *in, size_t n, lcf *out);

#endif
