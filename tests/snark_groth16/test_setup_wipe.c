/*
 * test_setup_wipe.c - the setup's toxic waste does not survive in memory.
 *
 * Tau alone lets anyone forge a proof of any output, so after groth16_setup
 * neither tau nor any value that gives it back cheaply may be left in freed
 * memory: tau, tau - x and 1/(tau - x) for every point x of the setup's two
 * domains (the n-th roots of unity and the odd 2n-th ones), the running
 * products of the (tau - x) that a batch inversion keeps, and tau^n, tau^2n;
 * each in Montgomery and in canonical form.
 *
 * The test is linked with -Wl,--wrap=getrandom,--wrap=free (CMakeLists.txt):
 *   - getrandom serves a fixed stream, so the test knows tau. The fixed seed
 *     lives only in this test binary; the CLI and the service link the real
 *     getrandom.
 *   - every free() from our libraries first scans the block it releases.
 * At the end the dead part of the stack below the caller's frame is scanned too.
 *
 * Then the same for a phase-2 contribution to that key in memory (the
 * pipeline's setup, zkey_contribute_key): its secret d, 1/d and the secret s
 * behind its public point [s]_1 must not survive either.
 */
#include "pipeline/snark/field.h"
#include "pipeline/snark/groth16.h"
#include "pipeline/snark/ntt.h"
#include "pipeline/snark/zkey.h"
#include "tests/check.h"
#include "tests/snark_groth16/test_circuit.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* ---- the fixed stream behind getrandom ------------------------------------- */

static uint64_t stream_state;

static uint8_t stream_byte(void)
{
    stream_state = stream_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint8_t)(stream_state >> 56);
}

ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags);
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned flags)
{
    (void)flags;
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = stream_byte();
    return (ssize_t)len;
}

/* The next value fr_random draws from the stream: 32 bytes, the top two bits
 * cleared, rejected when >= r or zero. Setup draws tau, then alpha. */
static void draw(fr_t *out)
{
    uint8_t b[32];
    do {
        for (int i = 0; i < 32; i++)
            b[i] = stream_byte();
        b[31] &= 0x3f;
    } while (fr_from_bytes_le(out, b) != 0 || fr_is_zero(out));
}

/* ---- the values that must not survive --------------------------------------- */

static uint8_t (*patterns)[32];
static size_t n_patterns;

static void add_value(const fr_t *v)
{
    memcpy(patterns[n_patterns++], v->v, 32); /* Montgomery limbs */
    uint64_t raw[4];
    mont_to_raw(raw, v->v, &FR_MODULUS);
    memcpy(patterns[n_patterns++], raw, 32); /* canonical limbs */
}

static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

/* For one domain (points start * step^j, j < n): tau - x, its inverse, and the
 * running products in both directions. */
static void add_domain(const fr_t *tau, const fr_t *start, const fr_t *step, size_t n)
{
    fr_t x = *start, d, fwd, inv;
    fr_one(&fwd);
    fr_t *diff = malloc(n * sizeof *diff);
    for (size_t j = 0; j < n; j++) {
        fr_sub(&d, tau, &x);
        diff[j] = d;
        add_value(&d);
        fr_inv(&inv, &d);
        add_value(&inv);
        fr_mul(&fwd, &fwd, &d);
        add_value(&fwd);
        fr_mul(&x, &x, step);
    }
    fr_inv(&inv, &fwd);
    add_value(&inv);
    fr_one(&fwd);
    for (size_t j = n; j-- > 0;) {
        fr_mul(&fwd, &fwd, &diff[j]);
        add_value(&fwd);
    }
    free(diff);
}

static void build_patterns(const fr_t *tau, uint32_t log_n)
{
    size_t n = (size_t)1 << log_n;
    patterns = malloc((16 * n + 16) * sizeof *patterns); /* 2 forms x (3 + 2 x (4n + 1)) */
    fr_t w, w2, one, p;
    fr_one(&one);
    add_value(tau);
    fr_pow_u64(&p, tau, n);
    add_value(&p);
    fr_pow_u64(&p, tau, 2 * n);
    add_value(&p);
    fr_root_of_unity(&w, log_n);
    add_domain(tau, &one, &w, n); /* x_j = w_n^j */
    fr_root_of_unity(&w2, log_n + 1);
    add_domain(tau, &w2, &w, n); /* x_j = w_2n^(2j+1) */
    qsort(patterns, n_patterns, 32, cmp32);
}

/* ---- scanning ----------------------------------------------------------------- */

static int scanning;
static size_t hits_heap, blocks_scanned;

__attribute__((no_sanitize_address)) static size_t scan(const uint8_t *p, size_t len)
{
    size_t hits = 0;
    for (size_t at = 0; at + 32 <= len; at += 8) {
        uint8_t window[32];
        for (int i = 0; i < 32; i++) /* byte by byte: ASan must not intercept */
            window[i] = p[at + i];
        if (bsearch(window, patterns, n_patterns, 32, cmp32))
            hits++;
    }
    return hits;
}

void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p)
{
    if (p && scanning) {
        size_t h = scan(p, malloc_usable_size(p));
        if (h && hits_heap == 0)
            fprintf(stderr, "a freed block of %zu bytes holds %zu secret values\n",
                    malloc_usable_size(p), h);
        hits_heap += h;
        blocks_scanned++;
    }
    __real_free(p);
}

/* The main thread's stack below this frame (minus a margin for the frame
 * itself): what callees that returned left there. */
__attribute__((noinline, no_sanitize_address)) static size_t dead_stack(uint8_t **lo_out)
{
    uint8_t here;
    uintptr_t lo = 0, hi = 0, me = (uintptr_t)&here;
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "[stack]"))
            sscanf(line, "%lx-%lx", &lo, &hi);
    if (f)
        fclose(f);
    *lo_out = (uint8_t *)lo;
    return lo && me > lo + 4096 && me <= hi ? me - 4096 - lo : 0;
}

/* The extent clear_dead_stack cleared: the scan covers the same bytes, since
 * its own frames may end higher, above bytes the test's arithmetic left. */
static size_t cleared_len;

__attribute__((noinline, no_sanitize_address)) static size_t scan_dead_stack(void)
{
    uint8_t *lo;
    size_t len = dead_stack(&lo);
    return scan(lo, len < cleared_len ? len : cleared_len);
}

/* Clears the dead stack, so that what the scan finds later was left by the
 * setup, not by this test's own arithmetic on tau. */
__attribute__((noinline, no_sanitize_address)) static void clear_dead_stack(void)
{
    uint8_t *lo;
    size_t len = dead_stack(&lo);
    for (size_t i = 0; i < len; i++)
        ((volatile uint8_t *)lo)[i] = 0;
    cleared_len = len;
}

__attribute__((noinline)) static int run_setup(const r1cs *cs, groth16_pk *pk, groth16_vk *vk,
                                               zkml_error *err)
{
    return groth16_setup(cs, pk, vk, 1, err);
}

/* The contribution's frames lie below this one's 8 KiB, past the margin that
 * the dead-stack scan leaves for its own frames. */
__attribute__((noinline)) static int run_contribution(groth16_pk *pk, groth16_vk *vk,
                                                      zkey_mpc *mpc, zkml_error *err)
{
    volatile uint8_t depth[8192];
    depth[0] = 0;
    int rc = zkey_contribute_key(pk, vk, mpc, "wipe test", err);
    return rc + depth[0];
}

/* The contribution draws d, then s; its new delta1 is d times the old one. */
static void check_contribution(groth16_pk *pk, groth16_vk *vk, uint64_t seed)
{
    fr_t d, s, inv;
    stream_state = seed;
    draw(&d);
    draw(&s);
    fr_inv(&inv, &d);
    n_patterns = 0;
    add_value(&d);
    add_value(&s);
    add_value(&inv);
    qsort(patterns, n_patterns, 32, cmp32);
    g1_jac want;
    g1_to_jac(&want, &pk->delta1);
    g1_mul(&want, &want, &d);
    zkey_mpc mpc;
    memset(&mpc, 0, sizeof mpc);
    zkml_error err = {0};
    hits_heap = blocks_scanned = 0;
    stream_state = seed;
    clear_dead_stack();
    scanning = 1;
    int rc = run_contribution(pk, vk, &mpc, &err);
    scanning = 0;
    size_t stack_hits = scan_dead_stack();
    CHECK(rc == 0 && mpc.n == 1, "contribution: %s", err.message);
    g1_jac got;
    g1_to_jac(&got, &pk->delta1);
    CHECK(g1_eq(&got, &want), "the contribution did not draw from the test's fixed stream");
    CHECK(hits_heap == 0, "%zu contribution secrets in freed heap blocks", hits_heap);
    CHECK(stack_hits == 0, "%zu contribution secrets in the dead stack", stack_hits);
    printf("contribution in memory: %zu values watched, %zu freed blocks scanned, heap hits "
           "%zu, stack hits %zu\n",
           n_patterns, blocks_scanned, hits_heap, stack_hits);
    zkey_mpc_free(&mpc);
}

int main(void)
{
    const uint64_t seed = 0x7a6b6d6c2d746175ULL; /* test-only: see the header */
    r1cs cs;
    fr_t *w;
    zkml_error err = {0};
    CHECK(test_circuit_build(&cs, &w, 300, 2, 1, 11, &err) == 0, "circuit: %s", err.message);
    free(w);
    uint32_t log_n;
    CHECK(groth16_domain_log(cs.n_constraints, cs.n_pub_out + cs.n_pub_in, &log_n, &err) == 0,
          "domain: %s", err.message);
    fr_t tau, alpha;
    stream_state = seed;
    draw(&tau);
    draw(&alpha);
    build_patterns(&tau, log_n);

    /* The scanner finds tau in a freed block (so the checks below can fail). */
    fr_t *canary = malloc(4 * sizeof *canary);
    memset(canary, 0, 4 * sizeof *canary);
    canary[2] = tau;
    scanning = 1;
    __wrap_free(canary); /* by name: a store before a plain free() may be elided */
    scanning = 0;
    CHECK(hits_heap == 1, "the scanner found %zu copies of tau in the canary", hits_heap);
    hits_heap = blocks_scanned = 0;

    groth16_pk pk;
    groth16_vk vk;
    stream_state = seed;
    clear_dead_stack();
    scanning = 1;
    int rc = run_setup(&cs, &pk, &vk, &err);
    scanning = 0;
    size_t stack_hits = scan_dead_stack();
    CHECK(rc == 0, "setup: %s", err.message);

    /* The setup drew from the fixed stream: its [alpha]G1 is ours. */
    g1_affine g, a1;
    g1_jac t;
    g1_generator(&g);
    g1_to_jac(&t, &g);
    g1_mul(&t, &t, &alpha);
    g1_to_affine(&a1, &t);
    CHECK(!memcmp(&a1.x, &pk.alpha1.x, sizeof a1.x) && !memcmp(&a1.y, &pk.alpha1.y, sizeof a1.y),
          "the setup did not draw from the test's fixed stream");
    CHECK(blocks_scanned > 10, "only %zu freed blocks were scanned", blocks_scanned);
    CHECK(hits_heap == 0, "%zu secret values in freed heap blocks", hits_heap);
    CHECK(stack_hits == 0, "%zu secret values in the dead stack", stack_hits);
    printf("setup over 2^%u points: %zu values watched, %zu freed blocks scanned, "
           "heap hits %zu, stack hits %zu\n",
           log_n, n_patterns, blocks_scanned, hits_heap, stack_hits);
    check_contribution(&pk, &vk, seed ^ 0x636f6e7472696275ULL);
    groth16_pk_free(&pk);
    groth16_vk_free(&vk);
    r1cs_free(&cs);
    free(patterns);
    return failures != 0;
}
