/*
 * ntt.h - internal: radix-2 number-theoretic transforms over Fr.
 *
 * The domain of size n = 2^k is the powers of w_n = w_28^(2^(28-k)) where
 * w_28 = 5^((r-1)/2^28), the root snarkjs, libff, arkworks and gnark use.
 * ntt_forward turns coefficients into the evaluations at w_n^i (natural
 * order), ntt_inverse does the reverse. Both are multithreaded.
 */
#ifndef ZKML_SNARK_NTT_H
#define ZKML_SNARK_NTT_H

#include "pipeline/snark/snark.h"

#define NTT_MAX_LOG 28

typedef struct ntt_domain {
    uint32_t log_n;
    size_t n;
    fr_t *roots; /* per stage: w_2h^j at h + j (h = 1, 2, .. n/2; j < h), 16 times
                  * that from h = 16 on when vector (ntt_ifma.c's scale) */
    fr_t n_inv;
    int vector; /* stages of 16 pairs a block and more run ntt_ifma_pairs */
} ntt_domain;

/* The primitive 2^log_n-th root of unity (log_n <= 28). */
void fr_root_of_unity(fr_t *w, uint32_t log_n);
int ntt_domain_init(ntt_domain *d, uint32_t log_n, zkml_error *err);
void ntt_domain_free(ntt_domain *d);
void ntt_forward(const ntt_domain *d, fr_t *a, int threads);
void ntt_inverse(const ntt_domain *d, fr_t *a, int threads);
/* a[j] *= g^j for j < n (moves evaluations to the coset g*domain). */
void ntt_scale_powers(fr_t *a, size_t n, const fr_t *g, int threads);
/* The table ntt_to_coset uses for the coset g*domain (*factors is malloc'ed). */
int ntt_coset_factors(fr_t **factors, const ntt_domain *d, const fr_t *g, int threads,
                      zkml_error *err);
/* a: the evaluations of a polynomial of degree < n on the domain, in natural
 * order; afterwards its evaluations at g * w_n^i (natural order), g being
 * the coset of factors. Same result as ntt_inverse, ntt_scale_powers(g),
 * ntt_forward, with two transforms and one scaling pass only. */
void ntt_to_coset(const ntt_domain *d, fr_t *a, const fr_t *factors, int threads);

/* Pairs lo..hi-1 (multiples of 16) of a block whose halves are x and y, with
 * AVX-512 IFMA sixteen at a time (ntt_ifma.c): decimation in time (x + w^j y,
 * x - w^j y), tw[j] = 16 w^j, or in frequency (x + y, (y - x) w^(half-j)),
 * tw[half - j] = 16 w^(half-j) (pair 0: x - y). Only for a domain whose
 * vector is set. */
void ntt_ifma_pairs(fr_t *x, fr_t *y, const fr_t *tw, size_t half, size_t lo, size_t hi, int dif);
/* The stages of 1, 2, 4 and 8 pairs a block on a[0..len) (len a multiple of
 * 32), all four per 32 values (ntt_ifma.c): DIT from 1 up, DIF from 8 down,
 * the same as pairs() would give. roots: the domain's (unscaled below 16). */
void ntt_ifma_small_stages(fr_t *a, size_t len, const fr_t *roots, int dif);

#endif
