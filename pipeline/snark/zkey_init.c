/*
 * zkey_init.c - the initial phase-2 key of a circuit from a prepared Powers
 * of Tau file: what `snarkjs groth16 setup` (zkey_new.js) computes, so the
 * .zkey we write from it is identical to snarkjs's (contracts in zkey.h).
 *
 * With L_k the Lagrange basis of the circuit's domain (n points, taken from
 * the ptau's sections 12..15 at offset n - 1), each wire s gets
 *   A_s  = sum over its A terms c*[L_k(tau)]_1 (plus its extra input row),
 *   B1_s = sum over its B terms c*[L_k(tau)]_1, B2_s likewise in G2,
 *   K_s  = sum c*[beta L_k]_1 (A terms) + c*[alpha L_k]_1 (B) + c*[L_k]_1 (C),
 * where K_s is IC_s for public wires and C_s for the others (gamma = delta = 1
 * before any contribution). H_i is the odd point 2i+1 of the 2n-domain's
 * basis. The circuit hash is blake2b-512 over the header points and every
 * section, H being hashed as [tau^(n+i) - tau^i]_1 as snarkjs does (i < n - 1,
 * or i < n above 2^14 points: see hash_h).
 * Wires are independent: threads take ranges of wires, each reading the
 * ptau points its terms name (most coefficients are small integers: a
 * short double-and-add; a sum's full-size products share their doublings).
 */
#include "pipeline/snark/parallel.h"
#include "pipeline/snark/zkey.h"

#include <stdlib.h>
#include <string.h>

enum { T_A, T_B, T_C };

/* The circuit's terms grouped by wire (a transposed copy of the rows). */
typedef struct by_wire {
    uint64_t *start; /* n_vars + 1 */
    uint32_t *row;
    uint8_t *kind;
    const fr_t **coeff;
} by_wire;

typedef struct init_job {
    const ptau *pt;
    const groth16_pk *pk;
    by_wire bw;
    fr_t one;
    size_t base, count; /* the block of wires in the sums below */
    g1_jac *a, *b1, *k;
    g2_jac *b2;
    int *failed;      /* per task */
    zkml_error *errs; /* per task */
} init_job;

static void by_wire_free(by_wire *bw)
{
    free(bw->start);
    free(bw->row);
    free(bw->kind);
    free(bw->coeff);
}

static void place(by_wire *bw, uint64_t *fill, uint32_t wire, uint32_t row, uint8_t kind,
                  const fr_t *c)
{
    uint64_t at = fill[wire]++;
    bw->row[at] = row;
    bw->kind[at] = kind;
    bw->coeff[at] = c;
}

/* Counting sort of every term (and the extra input rows) by wire. */
static int transpose(by_wire *bw, const groth16_pk *pk, const fr_t *one, zkml_error *err)
{
    uint64_t total = pk->n_public + 1;
    for (int m = 0; m < 3; m++)
        total += pk->m[m].start[pk->n_constraints];
    bw->start = calloc((size_t)pk->n_vars + 1, sizeof *bw->start);
    uint64_t *fill = calloc((size_t)pk->n_vars + 1, sizeof *fill);
    bw->row = malloc(total * sizeof *bw->row);
    bw->kind = malloc(total);
    bw->coeff = malloc(total * sizeof *bw->coeff);
    if (!bw->start || !fill || !bw->row || !bw->kind || !bw->coeff) {
        free(fill);
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for %llu terms",
                         (unsigned long long)total);
    }
    for (int m = 0; m < 3; m++)
        for (uint64_t i = 0; i < pk->m[m].start[pk->n_constraints]; i++)
            bw->start[pk->m[m].wire[i] + 1]++;
    for (uint32_t s = 0; s <= pk->n_public; s++)
        bw->start[s + 1]++;
    for (uint32_t s = 0; s < pk->n_vars; s++)
        bw->start[s + 1] += bw->start[s];
    memcpy(fill, bw->start, (size_t)pk->n_vars * sizeof *fill);
    for (uint32_t k = 0; k < pk->n_constraints; k++)
        for (int m = 0; m < 3; m++)
            for (uint64_t i = pk->m[m].start[k]; i < pk->m[m].start[k + 1]; i++)
                place(bw, fill, pk->m[m].wire[i], k, (uint8_t)m, &pk->m[m].coeff[i]);
    for (uint32_t s = 0; s <= pk->n_public; s++)
        place(bw, fill, s, pk->n_constraints + s, T_A, one);
    free(fill);
    return 0;
}

/* |c| when c, read as an integer in (-r/2, r/2], is below 2^62 (weights, powers of
 * two and bits mostly are): a double-and-add over its few bits replaces a full
 * 256-bit multiplication. Returns 0 for the others. */
static uint64_t small_magnitude(const fr_t *c, int *negative)
{
    int64_t v;
    if (fr_to_i64(&v, c) || v == INT64_MIN)
        return 0;
    *negative = v < 0;
    uint64_t m = (uint64_t)(v < 0 ? -v : v);
    return m >> 62 ? 0 : m;
}

/* A wire's full-size G1 products for one of its sums, multiplied together
 * (g1_mul_sum: one chain of doublings) when G1_SUM_MAX are waiting or the
 * wire is done. */
typedef struct pending {
    g1_jac p[G1_SUM_MAX];
    const fr_t *k[G1_SUM_MAX];
    size_t n;
} pending;

enum { SUM_A, SUM_B1, SUM_K, N_SUMS };

/* The same for the wire's full-size G2 products (g2_mul_sum). */
typedef struct pending2 {
    g2_jac p[G2_SUM_MAX];
    const fr_t *k[G2_SUM_MAX];
    size_t n;
} pending2;

static void pending2_flush(pending2 *q, g2_jac *acc)
{
    if (!q->n)
        return;
    g2_jac t;
    g2_mul_sum(&t, q->p, q->k, q->n);
    g2_add(acc, acc, &t);
    q->n = 0;
}

static void pending_flush(pending *q, g1_jac *acc)
{
    if (!q->n)
        return;
    g1_jac t;
    g1_mul_sum(&t, q->p, q->k, q->n);
    g1_add(acc, acc, &t);
    q->n = 0;
}

#define SMALL_BODY(JAC, TO_JAC, DBL, ADD, NEG)                 \
    JAC t, sum;                                                \
    TO_JAC(&t, p);                                             \
    memset(&sum, 0, sizeof sum);                               \
    for (int bit = 63 - __builtin_clzll(m); bit >= 0; bit--) { \
        DBL(&sum, &sum);                                       \
        if (m >> bit & 1)                                      \
            ADD(&sum, &sum, &t);                               \
    }                                                          \
    if (negative)                                              \
        NEG(&sum, &sum);                                       \
    ADD(acc, acc, &sum)

/* acc += c * p, or c * p queued in q when c is full-size. */
static void g1_acc(g1_jac *acc, pending *q, const g1_affine *p, const fr_t *c)
{
    int negative = 0;
    uint64_t m = small_magnitude(c, &negative);
    if (!m) {
        if (q->n == G1_SUM_MAX)
            pending_flush(q, acc);
        g1_to_jac(&q->p[q->n], p);
        q->k[q->n++] = c;
        return;
    }
    SMALL_BODY(g1_jac, g1_to_jac, g1_double, g1_add, g1_neg);
}

static void g2_acc(g2_jac *acc, pending2 *q, const g2_affine *p, const fr_t *c)
{
    int negative = 0;
    uint64_t m = small_magnitude(c, &negative);
    if (!m) {
        if (q->n == G2_SUM_MAX)
            pending2_flush(q, acc);
        g2_to_jac(&q->p[q->n], p);
        q->k[q->n++] = c;
        return;
    }
    SMALL_BODY(g2_jac, g2_to_jac, g2_double, g2_add, g2_neg);
}

/* The points of one term into the sums of wire base + s. */
static int add_term(init_job *j, size_t s, uint64_t t, pending q[N_SUMS], pending2 *q2,
                    zkml_error *err)
{
    size_t at = ((size_t)1 << j->pk->log_n) - 1 + j->bw.row[t];
    const fr_t *c = j->bw.coeff[t];
    g1_affine p;
    g2_affine p2;
    switch (j->bw.kind[t]) {
    case T_A:
        if (ptau_g1(j->pt, PTAU_TAU_G1, 1, at, &p, err))
            return err->code;
        g1_acc(&j->a[s], &q[SUM_A], &p, c);
        if (ptau_g1(j->pt, PTAU_BETA_G1, 1, at, &p, err))
            return err->code;
        g1_acc(&j->k[s], &q[SUM_K], &p, c);
        return 0;
    case T_B:
        if (ptau_g1(j->pt, PTAU_TAU_G1, 1, at, &p, err) || ptau_g2(j->pt, 1, at, &p2, err))
            return err->code;
        g1_acc(&j->b1[s], &q[SUM_B1], &p, c);
        g2_acc(&j->b2[s], q2, &p2, c);
        if (ptau_g1(j->pt, PTAU_ALPHA_G1, 1, at, &p, err))
            return err->code;
        g1_acc(&j->k[s], &q[SUM_K], &p, c);
        return 0;
    default:
        if (ptau_g1(j->pt, PTAU_TAU_G1, 1, at, &p, err))
            return err->code;
        g1_acc(&j->k[s], &q[SUM_K], &p, c);
        return 0;
    }
}

static void init_task(void *ctx, int task, int n_tasks)
{
    init_job *j = ctx;
    size_t lo, hi;
    pending q[N_SUMS] = {{.n = 0}};
    pending2 q2 = {.n = 0};
    parallel_range(j->count, task, n_tasks, &lo, &hi);
    for (size_t s = lo; s < hi && !j->failed[task]; s++) {
        memset(&j->a[s], 0, sizeof j->a[s]);
        memset(&j->b1[s], 0, sizeof j->b1[s]);
        memset(&j->b2[s], 0, sizeof j->b2[s]);
        memset(&j->k[s], 0, sizeof j->k[s]);
        for (uint64_t t = j->bw.start[j->base + s]; t < j->bw.start[j->base + s + 1]; t++)
            if (add_term(j, s, t, q, &q2, &j->errs[task])) {
                j->failed[task] = 1;
                break;
            }
        pending_flush(&q[SUM_A], &j->a[s]);
        pending_flush(&q[SUM_B1], &j->b1[s]);
        pending_flush(&q[SUM_K], &j->k[s]);
        pending2_flush(&q2, &j->b2[s]);
    }
}

/* One block of wires: the sums, then their affine points into the key (IC
 * and C both into vk->ic, split by the caller). */
static int wire_block(init_job *j, groth16_pk *pk, groth16_vk *vk, int threads, zkml_error *err)
{
    size_t at = j->base, n = j->count;
    parallel_run(threads, init_task, j);
    for (int i = 0; i < threads; i++)
        if (j->failed[i]) {
            *err = j->errs[i];
            return err->code;
        }
    if (g1_batch_to_affine(pk->a_query + at, j->a, n) ||
        g1_batch_to_affine(pk->b1_query + at, j->b1, n) ||
        g2_batch_to_affine(pk->b2_query + at, j->b2, n) || g1_batch_to_affine(vk->ic + at, j->k, n))
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory converting points");
    return 0;
}

/* Runs the per-wire sums WIRE_BLOCK wires at a time (the Jacobian sums of
 * every wire at once took more memory than the key) and converts them into
 * the key's affine points. */
static int wire_points(init_job *j, groth16_pk *pk, groth16_vk *vk, int threads, zkml_error *err)
{
    enum { WIRE_BLOCK = 1 << 16 };
    int t = parallel_threads(threads);
    size_t nv = pk->n_vars, n_pub = (size_t)pk->n_public + 1;
    size_t block = nv < WIRE_BLOCK ? nv : WIRE_BLOCK;
    j->failed = calloc((size_t)t, sizeof *j->failed);
    j->errs = calloc((size_t)t, sizeof *j->errs);
    j->a = malloc(block * sizeof *j->a);
    j->b1 = malloc(block * sizeof *j->b1);
    j->k = malloc(block * sizeof *j->k);
    j->b2 = malloc(block * sizeof *j->b2);
    pk->a_query = malloc(nv * sizeof *pk->a_query);
    pk->b1_query = malloc(nv * sizeof *pk->b1_query);
    pk->b2_query = malloc(nv * sizeof *pk->b2_query);
    vk->ic = malloc(nv * sizeof *vk->ic); /* IC then C: split below */
    pk->c_query = malloc((nv - n_pub ? nv - n_pub : 1) * sizeof *pk->c_query);
    int rc = 0;
    if (!j->failed || !j->errs || !j->a || !j->b1 || !j->k || !j->b2 || !pk->a_query ||
        !pk->b1_query || !pk->b2_query || !vk->ic || !pk->c_query)
        rc = zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for %zu wires", nv);
    for (j->base = 0; !rc && j->base < nv; j->base += block) {
        j->count = nv - j->base < block ? nv - j->base : block;
        rc = wire_block(j, pk, vk, t, err);
    }
    if (!rc) {
        memcpy(pk->c_query, vk->ic + n_pub, (nv - n_pub) * sizeof *pk->c_query);
        g1_affine *ic = realloc(vk->ic, n_pub * sizeof *vk->ic); /* give back C's room */
        vk->ic = ic ? ic : vk->ic;
    }
    free(j->failed);
    free(j->errs);
    free(j->a);
    free(j->b1);
    free(j->k);
    free(j->b2);
    return rc;
}

static int h_points(const ptau *pt, groth16_pk *pk, zkml_error *err)
{
    size_t n = (size_t)1 << pk->log_n;
    pk->h_query = malloc(n * sizeof *pk->h_query);
    if (!pk->h_query)
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for %zu H points", n);
    for (size_t i = 0; i < n; i++)
        if (ptau_g1(pt, PTAU_TAU_G1, 1, 2 * n - 1 + 2 * i + 1, &pk->h_query[i], err))
            return err->code;
    return 0;
}

static void hash_g1s(b2 *h, const g1_affine *p, size_t n)
{
    b2_u32be(h, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        b2_g1(h, &p[i]);
}

/* H as snarkjs hashes it: [tau^(n+i)]_1 - [tau^i]_1, H_BLOCK points at a
 * time (one shared inversion for their affine forms), after the count n - 1.
 * How many points follow that count is snarkjs's quirk, which we must repeat
 * for its circuit hash (and so `snarkjs zkey verify`) to match ours: it hashes
 * in chunks of 2^14 points, each of min(n - 1, 2^14) points, until n - 1 are
 * covered. Up to n = 2^14 that is the n - 1 points counted; above, every chunk
 * is full, so it hashes n points (i < n), one more than the count says. When
 * n is the ptau's full power the extra point's tau^(2n-1) lies past the end
 * of section 2; zkey_hash_h_past_end reproduces what snarkjs makes of the
 * bytes it reads there. */
enum { SNARKJS_H_CHUNK = 1 << 14 };

static int hash_h(b2 *h, const ptau *pt, size_t n, zkml_error *err)
{
    enum { H_BLOCK = 1 << 16 };
    size_t total = n > SNARKJS_H_CHUNK ? n : n - 1, section_end = ((size_t)2 << pt->power) - 1;
    size_t in_section = n + total <= section_end ? total : section_end - n;
    size_t block = in_section < H_BLOCK ? in_section : H_BLOCK;
    g1_affine hi, lo, *aff = malloc((block ? block : 1) * sizeof *aff);
    g1_jac l, *d = malloc((block ? block : 1) * sizeof *d);
    int rc = !aff || !d ? zkml_fail(err, ZKML_ENOMEM, "setup: out of memory hashing H") : 0;
    b2_u32be(h, (uint32_t)(n - 1));
    for (size_t at = 0; !rc && at < in_section; at += block) {
        size_t m = in_section - at < block ? in_section - at : block;
        for (size_t i = 0; !rc && i < m; i++) {
            rc = ptau_g1(pt, PTAU_TAU_G1, 0, n + at + i, &hi, err) ||
                         ptau_g1(pt, PTAU_TAU_G1, 0, at + i, &lo, err)
                     ? err->code
                     : 0;
            g1_to_jac(&d[i], &hi);
            g1_to_jac(&l, &lo);
            g1_neg(&l, &l);
            g1_add(&d[i], &d[i], &l);
        }
        if (!rc && g1_batch_to_affine(aff, d, m))
            rc = zkml_fail(err, ZKML_ENOMEM, "setup: out of memory hashing H");
        for (size_t i = 0; !rc && i < m; i++)
            b2_g1(h, &aff[i]);
    }
    free(aff);
    free(d);
    return rc || total == in_section ? rc : zkey_hash_h_past_end(h, pt, n, err);
}

static int circuit_hash(const ptau *pt, const groth16_pk *pk, const groth16_vk *vk, uint8_t out[64],
                        zkml_error *err)
{
    b2 h;
    size_t n_pub = (size_t)pk->n_public + 1, nv = pk->n_vars;
    if (b2_init(&h, err))
        return err->code;
    b2_g1(&h, &pk->alpha1);
    b2_g1(&h, &pk->beta1);
    b2_g2(&h, &pk->beta2);
    b2_g2(&h, &vk->gamma2);
    b2_g1(&h, &pk->delta1);
    b2_g2(&h, &pk->delta2);
    hash_g1s(&h, vk->ic, n_pub);
    if (hash_h(&h, pt, (size_t)1 << pk->log_n, err)) {
        b2_free(&h);
        return err->code;
    }
    hash_g1s(&h, pk->c_query, nv - n_pub);
    hash_g1s(&h, pk->a_query, nv);
    hash_g1s(&h, pk->b1_query, nv);
    b2_u32be(&h, (uint32_t)nv);
    for (size_t i = 0; i < nv; i++)
        b2_g2(&h, &pk->b2_query[i]);
    b2_final(&h, out);
    return 0;
}

static int header(const ptau *pt, groth16_pk *pk, groth16_vk *vk, zkml_error *err)
{
    if (ptau_check_domain(pt, pk->log_n, err) ||
        ptau_g1(pt, PTAU_ALPHA_G1, 0, 0, &pk->alpha1, err) ||
        ptau_g1(pt, PTAU_BETA_G1, 0, 0, &pk->beta1, err) || ptau_beta_g2(pt, &pk->beta2, err))
        return err->code;
    g1_generator(&pk->delta1);
    g2_generator(&pk->delta2);
    vk->n_public = pk->n_public;
    vk->alpha1 = pk->alpha1;
    vk->beta2 = pk->beta2;
    vk->delta2 = pk->delta2;
    g2_generator(&vk->gamma2);
    return 0;
}

int zkey_init_from_ptau(const ptau *pt, groth16_pk *pk, groth16_vk *vk, uint8_t cs_hash[64],
                        int threads, zkml_error *err)
{
    memset(vk, 0, sizeof *vk);
    init_job job;
    memset(&job, 0, sizeof job);
    job.pt = pt;
    job.pk = pk;
    fr_one(&job.one);
    int rc = header(pt, pk, vk, err);
    if (!rc)
        rc = transpose(&job.bw, pk, &job.one, err);
    if (!rc)
        rc = wire_points(&job, pk, vk, threads, err);
    by_wire_free(&job.bw);
    ptau_release(pt);
    if (!rc)
        rc = h_points(pt, pk, err);
    ptau_release(pt);
    if (!rc)
        rc = circuit_hash(pt, pk, vk, cs_hash, err);
    if (rc) {
        groth16_pk_free(pk);
        groth16_vk_free(vk);
    }
    return rc;
}
