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
    fr_t *roots; /* per stage: w_2h^j at h + j (h = 1, 2, .. n/2; j < h) */
    fr_t n_inv;
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

#endif
