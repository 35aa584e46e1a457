/*
 * zkey.h - internal: snarkjs Groth16 .zkey files and their phase-2 ceremony.
 *
 * Container "zkey" version 1, sections 1..10 (interop notes, section 1).
 * Section 10 holds the ceremony: the circuit hash (blake2b-512 over the
 * initial key, as snarkjs's zkey_new computes it) and the contributions.
 * A contribution multiplies delta by a secret d and sections 8 (C) and 9
 * (H) by 1/d, and records its public key: g1_s, g1_sx = d*g1_s, g2_spx =
 * d*g2_sp where g2_sp is derived from the transcript (blake2b of the
 * circuit hash, the earlier contributions and g1_s, g1_sx), so anyone can
 * check e(g1_s, g2_spx) = e(g1_sx, g2_sp) and delta_before -> delta_after.
 * A beacon contribution draws d from a public value iterated through
 * SHA-256, so that its d is reproducible.
 * Everything here follows snarkjs byte for byte (zkey_new, zkey_utils,
 * zkey_contribute, zkey_beacon, keypair, misc; ffjavascript's ChaCha and
 * fromRng), because snarkjs must accept our files and we theirs.
 */
#ifndef ZKML_SNARK_ZKEY_H
#define ZKML_SNARK_ZKEY_H

#include "pipeline/snark/binfile.h"
#include "pipeline/snark/groth16.h"
#include "pipeline/snark/ptau.h"

#include <limits.h>

/* ---- blake2b-512 (OpenSSL), the hash of every snarkjs transcript ---------- */

typedef struct b2 {
    void *ctx;
} b2;

int b2_init(b2 *h, zkml_error *err);
int b2_copy(b2 *dst, const b2 *src, zkml_error *err);
void b2_update(b2 *h, const void *p, size_t n);
void b2_u32be(b2 *h, uint32_t v);
void b2_g1(b2 *h, const g1_affine *p); /* the uncompressed encoding */
void b2_g2(b2 *h, const g2_affine *p);
void b2_final(b2 *h, uint8_t out[64]); /* and frees */
void b2_free(b2 *h);

/* ---- section 10 --------------------------------------------------------- */

#define ZKEY_NAME_MAX 64

typedef struct zkey_contribution {
    g1_affine delta_after, g1_s, g1_sx;
    g2_affine g2_spx;
    uint8_t transcript[64];
    uint32_t type;                    /* 0 a contribution, 1 a beacon */
    char name[ZKEY_NAME_MAX * 4 + 1]; /* snarkjs keeps 64 UTF-16 units */
    uint8_t iterations_exp;           /* beacon only */
    uint8_t beacon_len, beacon[255];
} zkey_contribution;

typedef struct zkey_mpc {
    uint8_t cs_hash[64];
    uint32_t n;
    zkey_contribution *c;
} zkey_mpc;

int zkey_mpc_parse(zkey_mpc *mpc, const uint8_t *p, size_t len, const char *name, zkml_error *err);
void zkey_mpc_write(bwriter *w, const zkey_mpc *mpc);
/* Appends a copy of c; ZKML_ENOMEM if it cannot grow. */
int zkey_mpc_push(zkey_mpc *mpc, const zkey_contribution *c, zkml_error *err);
void zkey_mpc_free(zkey_mpc *mpc);
/* The hash snarkjs prints for a contribution: blake2b of its public key. */
int zkey_contribution_hash(const zkey_contribution *c, uint8_t out[64], zkml_error *err);
/* The transcript hasher: the circuit hash and contributions 0..upto-1. */
int zkey_mpc_hasher(const zkey_mpc *mpc, uint32_t upto, b2 *h, zkml_error *err);

/* ---- ffjavascript's ChaCha20 generator and the points drawn from it ------ */

typedef struct chacha {
    uint32_t state[16], out[16];
    int idx;
} chacha;

/* The seed is 32 bytes read as eight big-endian words. */
void chacha_init(chacha *c, const uint8_t seed[32]);
void chacha_fr(chacha *c, fr_t *out);
void chacha_g1(chacha *c, g1_affine *out);
/* g2_sp of a contribution: the first 32 bytes of its transcript seed the draw. */
void zkey_hash_to_g2(const uint8_t transcript[64], g2_affine *out);

/* ---- a .zkey in memory ----------------------------------------------------- */

typedef struct zkey_file {
    binfile bf;
    void *map;
    size_t map_len;
    uint32_t n_vars, n_public, log_n;
    g1_affine alpha1, beta1, delta1;
    g2_affine beta2, gamma2, delta2;
    bcur sec[11]; /* sections 1..10 by type */
    zkey_mpc mpc;
} zkey_file;

/* Checks a Groth16 .zkey: protocol, curve, section sizes, header points, the
 * ceremony; parse reads from memory (the fuzz target), open maps a file. */
int zkey_parse(zkey_file *zk, const uint8_t *data, size_t len, const char *name, zkml_error *err);
int zkey_open(zkey_file *zk, const char *path, zkml_error *err);
void zkey_close(zkey_file *zk);
/* The points of section s (G1, or G2 when g2 is set), malloc'ed into *out and
 * checked (range, curve), failing with the point's byte offset. */
int zkey_points(const zkey_file *zk, uint32_t s, int g2, void **out, zkml_error *err);
/* The verification key (reads and checks the IC points). */
int zkey_vk(const zkey_file *zk, groth16_vk *vk, zkml_error *err);

/* One contribution, with a secret from getrandom (wiped), to a key in
 * memory: pk's C and H points times 1/d, delta1 and delta2 (pk's, vk's)
 * times d, the contribution (its name cut as snarkjs cuts it) appended to
 * mpc. What zkey_contribute_files does to the key read from a file, without
 * the file: the pipeline contributes to the key it has just built. */
int zkey_contribute_key(groth16_pk *pk, groth16_vk *vk, zkey_mpc *mpc, const char *name,
                        zkml_error *err);

/* Writes the keys as a .zkey in snarkjs's section order (1, 2, 4, 3, 9, 8, 5,
 * 6, 7, 10); mpc NULL writes an all-zero circuit hash and no contributions. */
int zkey_write(const groth16_pk *pk, const groth16_vk *vk, const zkey_mpc *mpc, const char *path,
               zkml_error *err);
/* zkey_write in two halves, so that the ceremony's section 10 can wait for
 * the circuit hash while the rest is written: start opens w at path and
 * writes sections 1..9 (w is then the caller's: finish or bw_abort it);
 * finish writes section 10 and commits. */
int zkey_write_start(bwriter *w, const groth16_pk *pk, const groth16_vk *vk, const char *path,
                     zkml_error *err);
int zkey_write_finish(bwriter *w, const zkey_mpc *mpc, zkml_error *err);

/* Section 4's records, in snarkjs's order: per constraint its A terms then its
 * B terms, then the extra A row of each public signal; each is u32 matrix,
 * u32 row, u32 signal and the coefficient as c*R^2 mod r. for_each hands them
 * to fn in order and stops (returning -1) when fn returns nonzero. */
#define ZKEY_COEF_BYTES 44
typedef int (*zkey_coef_fn)(void *ctx, uint64_t i, const uint8_t rec[ZKEY_COEF_BYTES]);
void zkey_coef_bytes(uint8_t out[ZKEY_COEF_BYTES], uint32_t matrix, uint32_t row, uint32_t signal,
                     const fr_t *coeff);
uint64_t zkey_coef_count(const groth16_pk *pk);
int zkey_for_each_coef(const groth16_pk *pk, zkey_coef_fn fn, void *ctx);

/* The initial phase-2 key of a circuit from a prepared ptau, as snarkjs's
 * `groth16 setup` computes it (delta = 1). pk comes with the circuit's shape
 * (groth16_pk_shape), so that the caller can free its r1cs first (at 2^20
 * the two copies of the matrices were ~380 MB); on failure pk is freed. */
int zkey_init_from_ptau(const ptau *pt, groth16_pk *pk, groth16_vk *vk, int threads,
                        zkml_error *err);
/* The circuit hash of that initial key (snarkjs's: blake2b-512 over its
 * points, H read again from the ptau). Reads pk and vk only, so it may run
 * beside a thread writing them. */
int zkey_circuit_hash(const ptau *pt, const groth16_pk *pk, const groth16_vk *vk, int threads,
                      uint8_t out[64], zkml_error *err);
/* Hashes what snarkjs hashes for the H point n - 1 of a domain of n = 2^power
 * points, whose [tau^(2n-1)]_1 lies past the ptau's section 2: the 64 bytes
 * after that section, taken as a point in snarkjs's arithmetic
 * (zkey_h_quirk.c). Fails when the file ends there. */
int zkey_hash_h_past_end(b2 *h, const ptau *pt, size_t n, zkml_error *err);

/* ---- the ceremony's transcript (ceremony.c) --------------------------------- */

struct cJSON;
/* Lowercase hex of n bytes into out (2n + 1 chars). */
void ceremony_hex(char *out, const uint8_t *b, size_t n);
/* DATA_DIR/ptau/local_powerNN.ptau: the cached local phase 1 of a power. */
int ceremony_local_ptau_path(const char *data_dir, uint32_t power, char out[PATH_MAX],
                             zkml_error *err);
/* The ptau a transcript's phase1 object names: the local one, or ZKML_PTAU if
 * it still names the same file. */
int ceremony_phase1_path(const char *data_dir, const struct cJSON *p1_json, char out[PATH_MAX],
                         zkml_error *err);
/* ceremony.json for the key at zkey_path: p1_json, its phase1 object (taken over, freed on
 * failure), the circuit hash and every contribution with its hash. */
int ceremony_json_write(const char *zkey_path, struct cJSON *p1_json, const char *out,
                        zkml_error *err);

#endif
