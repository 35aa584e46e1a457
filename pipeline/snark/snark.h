/*
 * snark.h - the public face of pipeline/snark: BN254 arithmetic, R1CS, Groth16.
 *
 * Other folders include only this header. Inside snark/, each mathematical
 * layer has its own file and internal header (field, tower, curve, pairing,
 * msm, ntt, r1cs, groth16, json), each stating its contract.
 *
 * Representation: field elements are 4 x 64-bit little-endian limbs in
 * Montgomery form (x * 2^256 mod m). Conversions to and from bytes and
 * decimal strings use the normal (non-Montgomery) value. All functions allow
 * their output to alias their inputs.
 */
#ifndef ZKML_SNARK_H
#define ZKML_SNARK_H

#include "common/common.h"

#include <stddef.h>
#include <stdint.h>

/* ---- fields: Fp (base field, modulus p) and Fr (scalar field, modulus r) ---- */

typedef struct {
    uint64_t v[4];
} fp_t;
typedef struct {
    uint64_t v[4];
} fr_t;

void fr_zero(fr_t *r);
void fr_one(fr_t *r);
void fr_from_u64(fr_t *r, uint64_t a);
void fr_from_i64(fr_t *r, int64_t a); /* negatives become r - |a| */
int fr_is_zero(const fr_t *a);
int fr_eq(const fr_t *a, const fr_t *b);
void fr_add(fr_t *r, const fr_t *a, const fr_t *b);
void fr_sub(fr_t *r, const fr_t *a, const fr_t *b);
void fr_neg(fr_t *r, const fr_t *a);
void fr_mul(fr_t *r, const fr_t *a, const fr_t *b);
void fr_sqr(fr_t *r, const fr_t *a);
void fr_inv(fr_t *r, const fr_t *a); /* inv(0) = 0 */
void fr_pow_u64(fr_t *r, const fr_t *a, uint64_t e);
/* Inverts n elements in place with one inversion (zeros stay zero). */
int fr_batch_inv(fr_t *a, size_t n);
/* 32 bytes little-endian, normal form; from_bytes fails (returns -1) if >= r. */
int fr_from_bytes_le(fr_t *r, const uint8_t in[32]);
void fr_to_bytes_le(uint8_t out[32], const fr_t *a);
/* Decimal strings as snarkjs writes them; from_dec fails on junk or >= r. */
int fr_from_dec(fr_t *r, const char *s);
void fr_to_dec(char out[80], const fr_t *a);
/* If a, read as an integer in (-r/2, r/2], fits in int64, stores it and returns 0. */
int fr_to_i64(int64_t *out, const fr_t *a);

void fp_zero(fp_t *r);
void fp_one(fp_t *r);
void fp_from_u64(fp_t *r, uint64_t a);
int fp_is_zero(const fp_t *a);
int fp_eq(const fp_t *a, const fp_t *b);
void fp_add(fp_t *r, const fp_t *a, const fp_t *b);
void fp_sub(fp_t *r, const fp_t *a, const fp_t *b);
void fp_neg(fp_t *r, const fp_t *a);
void fp_mul(fp_t *r, const fp_t *a, const fp_t *b);
void fp_sqr(fp_t *r, const fp_t *a);
void fp_inv(fp_t *r, const fp_t *a);
int fp_from_bytes_be(fp_t *r, const uint8_t in[32]); /* EVM encoding; -1 if >= p */
void fp_to_bytes_be(uint8_t out[32], const fp_t *a);
int fp_from_bytes_le(fp_t *r, const uint8_t in[32]);
void fp_to_bytes_le(uint8_t out[32], const fp_t *a);
int fp_from_dec(fp_t *r, const char *s);
void fp_to_dec(char out[80], const fp_t *a);

/* ---- extension fields ---------------------------------------------------- */

typedef struct {
    fp_t c0, c1;
} fp2_t; /* c0 + c1*u, u^2 = -1 */
typedef struct {
    fp2_t c0, c1, c2;
} fp6_t; /* over v, v^3 = 9 + u */
typedef struct {
    fp6_t c0, c1;
} fp12_t; /* over w, w^2 = v */

void fp2_zero(fp2_t *r);
void fp2_one(fp2_t *r);
int fp2_is_zero(const fp2_t *a);
int fp2_eq(const fp2_t *a, const fp2_t *b);
void fp2_add(fp2_t *r, const fp2_t *a, const fp2_t *b);
void fp2_sub(fp2_t *r, const fp2_t *a, const fp2_t *b);
void fp2_neg(fp2_t *r, const fp2_t *a);
void fp2_mul(fp2_t *r, const fp2_t *a, const fp2_t *b);
void fp2_sqr(fp2_t *r, const fp2_t *a);
void fp2_inv(fp2_t *r, const fp2_t *a); /* inv(0) = 0 */

void fp12_one(fp12_t *r);
int fp12_is_one(const fp12_t *a);
int fp12_eq(const fp12_t *a, const fp12_t *b);
void fp12_mul(fp12_t *r, const fp12_t *a, const fp12_t *b);
void fp12_sqr(fp12_t *r, const fp12_t *a);
void fp12_inv(fp12_t *r, const fp12_t *a);
/* a^e for an exponent of n little-endian 64-bit limbs. */
void fp12_pow(fp12_t *r, const fp12_t *a, const uint64_t *e, size_t n);

/* ---- groups -------------------------------------------------------------- */

typedef struct {
    fp_t x, y;
    int infinity;
} g1_affine;
typedef struct {
    fp_t x, y, z;
} g1_jac; /* z = 0 is infinity */
typedef struct {
    fp2_t x, y;
    int infinity;
} g2_affine;
typedef struct {
    fp2_t x, y, z;
} g2_jac;

void g1_generator(g1_affine *r);
void g2_generator(g2_affine *r);
int g1_is_on_curve(const g1_affine *p); /* infinity counts as on the curve */
int g2_is_on_curve(const g2_affine *p);
int g2_is_in_subgroup(const g2_affine *p); /* G1 has cofactor 1 */
void g1_to_jac(g1_jac *r, const g1_affine *p);
void g1_to_affine(g1_affine *r, const g1_jac *p);
void g1_add(g1_jac *r, const g1_jac *a, const g1_jac *b); /* all edge cases */
void g1_add_affine(g1_jac *r, const g1_jac *a, const g1_affine *b);
void g1_double(g1_jac *r, const g1_jac *a);
void g1_neg(g1_jac *r, const g1_jac *a);
/* k * a by the GLV endomorphism (glv.c): about half the doublings of g1_mul_be. */
void g1_mul(g1_jac *r, const g1_jac *a, const fr_t *k);
/* r = sum of k[i] p[i] for n <= G1_SUM_MAX products sharing one chain of
 * doublings (glv.c): for a few products, where a multi-scalar method's
 * buckets would not pay. */
#define G1_SUM_MAX 8
void g1_mul_sum(g1_jac *r, const g1_jac *p, const fr_t *const *k, size_t n);
/* out[i] = k p[i] for n affine points and one scalar (glv.c; a contribution's
 * 1/delta on every C and H point): the points follow the scalar's one digit
 * schedule in lockstep, batches of them doubling and adding in affine
 * coordinates with one shared inversion per step, about 1.4x fewer products
 * than g1_mul on each; on a CPU with AVX-512 IFMA sixteen points share
 * each vector of field products (glv_ifma.c), byte-identical results, ~4x less
 * CPU time (ZKML_IFMA=0 keeps the portable path). out may be p. Fails only
 * when out of memory. */
int g1_mul_same(g1_affine *out, const g1_affine *p, size_t n, const fr_t *k, zkml_error *err);
/* Multiplies by a raw 256-bit big-endian scalar, not reduced (EVM ecMul). */
void g1_mul_be(g1_jac *r, const g1_jac *a, const uint8_t k[32]);
int g1_eq(const g1_jac *a, const g1_jac *b);
void g2_to_jac(g2_jac *r, const g2_affine *p);
void g2_to_affine(g2_affine *r, const g2_jac *p);
void g2_add(g2_jac *r, const g2_jac *a, const g2_jac *b);
void g2_double(g2_jac *r, const g2_jac *a);
void g2_neg(g2_jac *r, const g2_jac *a);
void g2_mul(g2_jac *r, const g2_jac *a, const fr_t *k);
/* g2_mul: a plain 4-bit-window ladder (curve.c), the reference of the tests.
 * g2_mul_sum: r = sum of k[i] p[i] for n <= G2_SUM_MAX products split by GLV
 * and sharing one chain of 127 doublings (glv.c, as g1_mul_sum). */
#define G2_SUM_MAX 8
void g2_mul_sum(g2_jac *r, const g2_jac *p, const fr_t *const *k, size_t n);
int g2_eq(const g2_jac *a, const g2_jac *b);
void g2_add_affine(g2_jac *r, const g2_jac *a, const g2_affine *b);
/* Converts n points with one shared inversion; -1 only if out of memory. */
int g1_batch_to_affine(g1_affine *out, const g1_jac *in, size_t n);
int g2_batch_to_affine(g2_affine *out, const g2_jac *in, size_t n);
/* r[i] = a[i] + b[i] for n independent pairs of affine points, sharing one
 * field inversion: about 6 multiplications per sum against 11 for
 * g1_add_affine, the core of a batch-affine MSM (batches of a few hundred or
 * more amortise the inversion). Every case is handled: infinity on either
 * side, a[i] == b[i] (doubling), a[i] == -b[i]. r[i] may alias a[i] or b[i].
 * scratch is n field elements of the caller's, so the call never allocates. */
void g1_batch_add_affine(g1_affine *r, const g1_affine *a, const g1_affine *b, size_t n,
                         fp_t *scratch);
/* p[i] = 2 p[i] for n affine points sharing one field inversion (7
 * multiplications per point); infinity stays infinity. scratch: n elements. */
void g1_batch_double_affine(g1_affine *p, size_t n, fp_t *scratch);
/* The same in G2; scratch is n elements of Fp2. */
void g2_batch_add_affine(g2_affine *r, const g2_affine *a, const g2_affine *b, size_t n,
                         fp2_t *scratch);

/* EVM encodings (EIP-196/197): 64-byte G1, 128-byte G2 (x_im, x_re, y_im, y_re).
 * Decoding checks field range, the curve and (G2) the subgroup: -1 if invalid. */
int g1_from_evm(g1_affine *r, const uint8_t in[64]);
void g1_to_evm(uint8_t out[64], const g1_affine *p);
int g2_from_evm(g2_affine *r, const uint8_t in[128]);
void g2_to_evm(uint8_t out[128], const g2_affine *p);

/* ---- pairing --------------------------------------------------------------- */

/* Optimal ate pairing, reduced. */
void bn254_pairing(fp12_t *r, const g1_affine *p, const g2_affine *q);
/* 1 if prod e(p[i], q[i]) == 1 (one shared final exponentiation), else 0. */
int bn254_pairing_check(const g1_affine *p, const g2_affine *q, size_t n);

/* ---- the EVM precompiles 0x06-0x08 over raw bytes (tests against anvil, geth vectors) */
/* Each returns 0 and fills out, or -1 when the EVM call would fail. */
int bn254_ecadd(uint8_t out[64], const uint8_t *in, size_t len);
int bn254_ecmul(uint8_t out[64], const uint8_t *in, size_t len);
int bn254_ecpairing(uint8_t out[32], const uint8_t *in, size_t len);

/* ---- Poseidon (poseidon.c) ------------------------------------------------
 * circomlib's Poseidon over Fr: S-box x^5, 8 full rounds and
 * poseidon_partial_rounds(t) partial rounds for a state of t = 2..17
 * elements. The round constants and the MDS matrix are generated here the
 * way circomlib's were (the Poseidon paper's Grain LFSR, reference script
 * generate_parameters_grain.sage), once per width, on first use. */

#define POSEIDON_MIN_T 2
#define POSEIDON_MAX_T 17
#define POSEIDON_FULL_ROUNDS 8
#define POSEIDON_MAX_ROUNDS (POSEIDON_FULL_ROUNDS + 70)

typedef struct poseidon_params {
    int t, rounds_p;
    fr_t c[POSEIDON_MAX_ROUNDS * POSEIDON_MAX_T]; /* round r adds c[r*t + i] to element i */
    fr_t m[POSEIDON_MAX_T][POSEIDON_MAX_T];       /* new[i] = sum_j m[i][j] * old[j] */
} poseidon_params;

int poseidon_partial_rounds(int t); /* 0 outside 2..17 */
/* The parameters of width t, or NULL outside 2..17 (or out of memory). */
const poseidon_params *poseidon_params_get(int t);
/* circomlibjs's poseidon(in, init): the state [init, in[0], .., in[n-1]]
 * (t = n + 1) permuted, its element 0. n in 1..16, else ZKML_EINVAL. */
int poseidon_hash(fr_t *out, const fr_t *in, size_t n, const fr_t *init, zkml_error *err);
/* The commitment of docs/COMMITMENTS.md: h = n, then h = poseidon(chunk, h)
 * for each chunk of POSEIDON_CHUNK elements in order (the last may be
 * shorter); n = 0 gives 0. */
#define POSEIDON_CHUNK 16
int poseidon_commit(fr_t *out, const fr_t *in, size_t n, zkml_error *err);
/* R1CS constraints of one permutation of width t whose inputs are all
 * unknown (4 per S-box), less 4 when element 0 starts as a constant; and of
 * poseidon_commit over n elements as pipeline/circuit builds it. */
uint64_t poseidon_constraints(int t, int init_constant);
uint64_t poseidon_commit_constraints(size_t n);

/* ---- R1CS (iden3 .r1cs semantics: A*B - C = 0; wire 0 is the constant one) --- */

typedef struct r1cs_term {
    uint32_t wire;
    fr_t coeff;
} r1cs_term;
typedef struct r1cs_lc {
    r1cs_term *terms;
    uint32_t n, cap;
} r1cs_lc;
typedef struct r1cs_constraint {
    r1cs_lc a, b, c;
} r1cs_constraint;

typedef struct r1cs_pool r1cs_pool;
typedef struct r1cs_stream r1cs_stream;
typedef struct r1cs {
    uint32_t n_wires; /* including wire 0 */
    uint32_t n_pub_out, n_pub_in, n_prv_in;
    r1cs_constraint *constraints;
    uint32_t n_constraints, cap_constraints;
    r1cs_pool *pool;     /* the constraints' terms (r1cs_add_constraint, r1cs_read) */
    r1cs_stream *stream; /* r1cs_stream_to: constraints go to a file, not to memory */
} r1cs;

void r1cs_init(r1cs *cs);
void r1cs_free(r1cs *cs);
/* Appends a constraint; takes ownership of the terms of a, b and c (also on
 * failure). The builder keeps terms sorted by wire and merges duplicates.
 * The terms move into cs's pool: large blocks on huge pages where the
 * system has them, each combination exactly sized, freed at once with cs
 * (a CNN's system is millions of short combinations: one malloc each left
 * a sixth of its memory unused and cost a page fault every few). A
 * constraint's combinations are read-only afterwards (cap 0: the pool's). */
int r1cs_add_constraint(r1cs *cs, r1cs_lc *a, r1cs_lc *b, r1cs_lc *c, zkml_error *err);
int r1cs_lc_add_term(r1cs_lc *lc, uint32_t wire, const fr_t *coeff, zkml_error *err);
/* Room for exactly need terms (no less than the capacity it has), for a
 * combination whose length is known: growing one term at a time
 * reallocates and leaves up to half the capacity unused (a CNN's system
 * holds millions of terms). */
int r1cs_lc_reserve(r1cs_lc *lc, uint32_t need, zkml_error *err);
/* dst += k * src in one merge of the two sorted combinations: the result
 * of adding src's terms one by one (merged, zeros dropped) without a
 * search and a move per term (a Poseidon round mixes 17 combinations of
 * dozens of terms into each of 17). */
int r1cs_lc_axpy(r1cs_lc *dst, const fr_t *k, const r1cs_lc *src, zkml_error *err);
void r1cs_lc_free(r1cs_lc *lc);
int r1cs_write(const r1cs *cs, const char *path, zkml_error *err);
/* From here on (cs has no constraint yet), each constraint added is written
 * to the .r1cs file at path and not kept: cs->constraints stays NULL, only
 * the counts grow. r1cs_stream_commit then writes the counts known at the
 * end and puts the file in place (the bytes r1cs_write would have written
 * for the same system); r1cs_free before it removes the partial file. Why:
 * a compile only writes its system out, and holding a CNN's 150 MB of terms
 * in memory first cost as much in page faults as building them. A wire
 * beyond cs->n_wires when its constraint is added is refused then. With
 * path NULL the constraints are counted and dropped (a witness's build). */
int r1cs_stream_to(r1cs *cs, const char *path, zkml_error *err);
int r1cs_stream_commit(r1cs *cs, zkml_error *err);
int r1cs_read(r1cs *cs, const char *path, zkml_error *err);
/* The header alone (the counts; cs->n_constraints the constraints the file
 * declares, cs->constraints NULL), checked as r1cs_read checks it, without
 * reading the constraints: a large circuit's file is mapped, not read. */
int r1cs_read_header(r1cs *cs, const char *path, zkml_error *err);
/* 0 if the witness satisfies every constraint; otherwise ZKML_EREJECTED naming
 * the first failing constraint. */
int r1cs_check_witness(const r1cs *cs, const fr_t *w, size_t n, zkml_error *err);

/* .wtns files (version 2). *w is malloc'ed. */
int wtns_write(const fr_t *w, size_t n, const char *path, zkml_error *err);
int wtns_read(fr_t **w, size_t *n, const char *path, zkml_error *err);

/* ---- Groth16 over files ----------------------------------------------------
 * setup: toxic waste from getrandom, wiped after use. proving key: our own
 * format (versioned header, checksum). JSON files are snarkjs's formats.
 * verify returns 0 for a valid proof, ZKML_EREJECTED for an invalid one, and
 * another negative code with a message for an error. */
int groth16_setup_files(const char *r1cs_path, const char *pk_path, const char *vk_json_path,
                        zkml_error *err);
int groth16_prove_files(const char *pk_path, const char *wtns_path, const char *proof_json_path,
                        const char *public_json_path, int threads, zkml_error *err);
int groth16_verify_files(const char *vk_json_path, const char *public_json_path,
                         const char *proof_json_path, zkml_error *err);
/* A proof given as EVM words (a 2, b 4 in EIP-197 order, c 2, then the
 * public signals: verifyProof's arguments) checked under verification_key.json.
 * 0 valid; ZKML_EREJECTED where the EVM verifiers answer false too (a
 * coordinate or signal out of range, a point off the curve or outside G2's
 * subgroup, another signal count, a failed pairing), with the reason; another
 * code for an unreadable key. */
int groth16_verify_evm_words(const char *vk_json_path, const uint8_t *words, size_t n_words,
                             zkml_error *err);
/* Our proving key and its verification_key.json as a snarkjs Groth16 .zkey. */
int groth16_export_zkey_files(const char *pk_path, const char *vk_json_path, const char *zkey_path,
                              zkml_error *err);

/* ---- snarkjs JSON: verification_key.json, proof.json, public.json ----------
 * The one reader of these files (pipeline/evm uses it too). It checks every
 * number (< p for coordinates, < r for signals), every point (on the curve; G2
 * also in the order-r subgroup) and the shapes; messages name the file and the
 * field ("proof.json: pi_b[1][0]: ..."). Points at infinity have infinity set
 * and zero coordinates. */
typedef struct groth16_vk {
    uint32_t n_public;
    g1_affine alpha1;
    g2_affine beta2, gamma2, delta2;
    g1_affine *ic; /* n_public + 1 points */
} groth16_vk;

typedef struct groth16_proof {
    g1_affine a, c;
    g2_affine b;
} groth16_proof;

void groth16_vk_free(groth16_vk *vk);
int vk_json_read(groth16_vk *vk, const char *path, zkml_error *err);
int proof_json_read(groth16_proof *proof, const char *path, zkml_error *err);
/* *pub is malloc'ed (n may be 0). */
int public_json_read(fr_t **pub, size_t *n, const char *path, zkml_error *err);
/* The same readers over len bytes of text held in memory; name is for messages. */
int vk_json_parse(groth16_vk *vk, const char *text, size_t len, const char *name, zkml_error *err);
int proof_json_parse(groth16_proof *proof, const char *text, size_t len, const char *name,
                     zkml_error *err);
int public_json_parse(fr_t **pub, size_t *n, const char *text, size_t len, const char *name,
                      zkml_error *err);

/* ---- Groth16 in memory: a key loaded once for many proofs ------------------
 * (a worker keeps a version's key while it proves new inputs). */
typedef struct groth16_pk groth16_pk;
/* Maps our proving-key file (copy-on-write) after checking its checksum. */
int groth16_pk_open(const char *path, groth16_pk **out, zkml_error *err);
void groth16_pk_close(groth16_pk *pk);
/* Proves; refuses a witness that does not satisfy the circuit, naming the
 * first failing constraint. */
int groth16_prove(const groth16_pk *pk, const fr_t *w, size_t n, groth16_proof *proof, int threads,
                  zkml_error *err);
/* 0 if valid, ZKML_EREJECTED if not. */
int groth16_verify(const groth16_vk *vk, const fr_t *pub, size_t n_pub, const groth16_proof *proof,
                   zkml_error *err);
/* snarkjs's proof.json and public.json as text (*json malloc'ed). */
int proof_json_text(const groth16_proof *proof, char **json, zkml_error *err);
int public_json_text(const fr_t *pub, size_t n, char **json, zkml_error *err);
int proof_json_write(const groth16_proof *proof, const char *path, zkml_error *err);
int public_json_write(const fr_t *pub, size_t n, const char *path, zkml_error *err);

/* ---- phase 2 of a Groth16 ceremony, in snarkjs's .ptau/.zkey formats ------
 * setup_ptau: the initial .zkey of a circuit from a prepared Powers of Tau
 * file, identical to `snarkjs groth16 setup`. contribute: one contribution
 * (secret from getrandom, wiped); hash_out (may be NULL) gets its hash.
 * beacon: a contribution whose secret comes from a public value (hex, 1..255
 * bytes) hashed 2^iterations_exp times (10..63) with SHA-256. verify: 0 if
 * the key is the circuit's initial key from that ptau followed by a valid
 * chain of contributions, ZKML_EREJECTED naming the failed check otherwise.
 * export_pk: our proving key (the prover's format) and the verification
 * key of a .zkey whose circuit is r1cs_path. setup_contribute: setup_ptau,
 * contribute and export_pk in one pass in memory (the pipeline's setup: the
 * initial key is never written, the files are read once). */
int groth16_setup_ptau_files(const char *r1cs_path, const char *ptau_path, const char *zkey_path,
                             zkml_error *err);
int zkey_contribute_files(const char *in_path, const char *out_path, const char *name,
                          uint8_t hash_out[64], zkml_error *err);
int zkey_beacon_files(const char *in_path, const char *out_path, const char *beacon_hex,
                      int iterations_exp, const char *name, zkml_error *err);
int zkey_verify_files(const char *r1cs_path, const char *ptau_path, const char *zkey_path,
                      zkml_error *err);
int zkey_export_vk_files(const char *zkey_path, const char *vk_json_path, zkml_error *err);
/* A .ptau file checked and described (ceremony.c); blake2b is hex. new_local
 * makes a prepared phase 1 of 2^power points here, for testing only. */
typedef struct snark_ptau_info {
    uint32_t power, contributions;
    int prepared;
    char blake2b[129];
} snark_ptau_info;
int snark_ptau_describe(const char *path, snark_ptau_info *info, zkml_error *err);
int snark_ptau_new_local(const char *path, uint32_t power, zkml_error *err);
int zkey_export_pk_files(const char *r1cs_path, const char *zkey_path, const char *pk_path,
                         const char *vk_json_path, zkml_error *err);
int groth16_setup_contribute_files(const char *r1cs_path, const char *ptau_path, const char *name,
                                   const char *zkey_path, const char *pk_path,
                                   const char *vk_json_path, zkml_error *err);

/* An open ceremony over HTTP (ceremony_open.c), on a version dir after its
 * setup (network.r1cs, circuit.zkey: the latest key, ceremony.json); data_dir
 * resolves a local phase 1 as the setup did.
 * latest_hash: the hex hash of circuit.zkey's last contribution.
 * check_next: 0 if next_zkey (e.g. from `snarkjs zkey contribute` on the
 *   latest key) is for the ceremony's circuit, keeps the latest key's
 *   contributions and adds exactly one ordinary one (no beacon), and passes
 *   zkey_verify_files against network.r1cs and the ceremony's ptau;
 *   parent_hash gets the hash of the latest contribution it extends. A failed
 *   check is ZKML_EREJECTED naming it; a file that is no .zkey, ZKML_EINVAL.
 * adopt: next_zkey (renamed, so on the same file system) becomes circuit.zkey
 *   and ceremony.json lists its contributions.
 * finalize: a beacon (hex, iterations_exp as zkey_beacon_files) applied to
 *   circuit.zkey, proving.key and verification_key.json exported from the
 *   result as the setup does, ceremony.json rewritten with the beacon.
 * The caller serializes adopt and finalize with the check of which key is
 * the latest (the server holds a lock). */
int snark_ceremony_latest_hash(const char *dir, char hash[129], zkml_error *err);
int snark_ceremony_check_next(const char *dir, const char *data_dir, const char *next_zkey,
                              char parent_hash[129], zkml_error *err);
int snark_ceremony_adopt(const char *dir, const char *next_zkey, zkml_error *err);
int snark_ceremony_finalize(const char *dir, const char *beacon_hex, int iterations_exp,
                            zkml_error *err);

/* Pipeline steps over an artifact directory (see common.h):
 * setup:  network.r1cs -> circuit.zkey (phase 2 on the ptau ZKML_PTAU names, or
 *         on a local phase 1 made once per power and cached as
 *         DATA_DIR/ptau/local_powerNN.ptau, for testing only; one contribution
 *         of the service), ceremony.json (the transcript), proving.key and
 *         verification_key.json from circuit.zkey. With a local phase 1 the step
 *         succeeds with a message saying so (err->message, code 0).
 *         snark_setup_step uses $ZKML_DATA_DIR or ./data as DATA_DIR.
 * prove:  proving.key, witness.wtns -> proof.json, public.json
 * (verify, which also checks the outputs, is pipeline/circuit's) */
int snark_ceremony_setup(const char *dir, const char *data_dir, const zkml_step_opts *opts,
                         zkml_error *err);
int snark_setup_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);
int snark_prove_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);

#endif
