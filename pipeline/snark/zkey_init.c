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
 * Wires are independent: threads take a block's wires a chunk at a time as
 * they finish (init_task), each reading the ptau points its terms name. Most
 * coefficients are small integers (weights, bits, powers of two): a sum's
 * small products go through msm_small together (their buckets filled in a
 * list shared by all the thread's small sums of a kind), but for a power of two,
 * which takes one doubling from the previous bit's product of the same point
 * (pow2_chain); its full-size ones through g1_mul_sum / g2_mul_sum, sharing
 * their doublings, or with AVX-512 IFMA g1_ifma_sum_many. Each product,
 * affine or made so in a batch, goes to its thread's list for that kind of
 * sum (affine_sums, msm.h), where a sum's points are added in pairs, the
 * pairs of all the sums in batches sharing one inversion: every key point
 * comes out affine, with no Jacobian accumulator a sum.
 */
#include "pipeline/snark/g1_ifma.h"
#include "pipeline/snark/hugemem.h"
#include "pipeline/snark/lem.h"
#include "pipeline/snark/msm.h"
#include "pipeline/snark/parallel.h"
#include "pipeline/snark/profile.h"
#include "pipeline/snark/zkey.h"

#include <stdlib.h>
#include <string.h>

enum { T_A, T_B, T_C };

/* The circuit's terms grouped by wire (a transposed copy of the rows), each
 * with its coefficient's code: a small one (small_magnitude) as m << 2 |
 * negative << 1, any other as its index in pk->coeffs << 1 | 1. The extra A
 * row of a public signal has the coefficient 1. Coded once per distinct
 * coefficient (a circuit has few: 1, -1, powers of two, a layer's weights),
 * as small_magnitude is a Montgomery reduction. */
typedef struct by_wire {
    uint64_t *start; /* n_vars + 1 */
    uint32_t *row;
    uint8_t *kind;
    uint64_t *code;
} by_wire;

/* |c| when c, read as an integer in (-r/2, r/2], is below 2^62 (weights, powers of
 * two and bits mostly are): such products go through msm_small. Returns 0 for
 * the others. */
static uint64_t small_magnitude(const fr_t *c, int *negative)
{
    int64_t v;
    if (fr_to_i64(&v, c) || v == INT64_MIN)
        return 0;
    *negative = v < 0;
    uint64_t m = (uint64_t)(v < 0 ? -v : v);
    return m >> 62 ? 0 : m;
}

/* The code of each of the table's coefficients (malloc'ed; NULL when out of memory). */
static uint64_t *coeff_codes(const coeff_table *t)
{
    uint64_t *code = malloc((t->n ? t->n : 1) * sizeof *code);
    for (uint32_t i = 0; code && i < t->n; i++) {
        int neg = 0;
        uint64_t m = small_magnitude(&t->v[i], &neg);
        code[i] = m ? m << 2 | (uint64_t)neg << 1 : (uint64_t)i << 1 | 1;
    }
    return code;
}

typedef struct init_job {
    const ptau *pt;
    groth16_pk *pk; /* the matrices read, the queries written */
    groth16_vk *vk; /* its IC written (key_point) */
    by_wire bw;
    size_t base, count;              /* the block of wires in the sums below */
    size_t next;                     /* the block's next chunk of wires, taken atomically */
    int *failed;                     /* per task */
    zkml_error *errs;                /* per task */
    struct wire_sums *sums;          /* per task, kept from block to block */
    uint64_t *checked[PTAU_N_BASES]; /* a bit per point of the domain's basis */
} init_job;

static void by_wire_free(by_wire *bw)
{
    free(bw->start);
    free(bw->row);
    free(bw->kind);
    free(bw->code);
}

static void place(by_wire *bw, uint64_t *fill, uint32_t wire, uint32_t row, uint8_t kind,
                  uint64_t code)
{
    uint64_t i = fill[wire]++;
    bw->row[i] = row;
    bw->kind[i] = kind;
    bw->code[i] = code;
}

/* Counting sort of every term (and the extra input rows) by wire. */
static int transpose(by_wire *bw, const groth16_pk *pk, zkml_error *err)
{
    uint64_t total = pk->n_public + 1;
    for (int m = 0; m < 3; m++)
        total += pk->m[m].start[pk->n_constraints];
    bw->start = calloc((size_t)pk->n_vars + 1, sizeof *bw->start);
    uint64_t *fill = calloc((size_t)pk->n_vars + 1, sizeof *fill);
    bw->row = huge_malloc(total * sizeof *bw->row);
    bw->kind = huge_malloc(total);
    bw->code = huge_malloc(total * sizeof *bw->code);
    uint64_t *codes = coeff_codes(&pk->coeffs);
    if (!bw->start || !fill || !bw->row || !bw->kind || !bw->code || !codes) {
        free(fill);
        free(codes);
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
                place(bw, fill, pk->m[m].wire[i], k, (uint8_t)m, codes[pk->m[m].coeff_at[i]]);
    for (uint32_t s = 0; s <= pk->n_public; s++)
        place(bw, fill, s, pk->n_constraints + s, T_A, 1 << 2);
    free(fill);
    free(codes);
    return 0;
}

enum { SUM_A, SUM_B1, SUM_K, SUM_B2, N_SUMS };

/* Without IFMA, a wire's full-size G1 products for one of its sums,
 * multiplied together (g1_mul_sum: one chain of doublings) when G1_SUM_MAX
 * are waiting or the wire is done. */
typedef struct pending {
    g1_jac p[G1_SUM_MAX];
    const fr_t *k[G1_SUM_MAX];
    size_t n;
} pending;

/* The same for the wire's full-size G2 products (g2_mul_sum). */
typedef struct pending2 {
    g2_jac p[G2_SUM_MAX];
    const fr_t *k[G2_SUM_MAX];
    size_t n;
} pending2;

/* A sum's small products other than +-1 (those are added at once): points
 * (negated for a negative coefficient) and magnitudes, summed by msm_small
 * SMALL_CHUNK at a time, so that a wire with many terms (the constant one has
 * one in most rows) shares its buckets among them. */
enum { SMALL_CHUNK = 1024 };

typedef struct small_queue {
    uint8_t *p;
    uint64_t *m;
    size_t n;
} small_queue;

/* A small sum whose points wait in msm_small's buckets (a list of every
 * small sum of the thread's kind of sum, so that the additions into the
 * buckets are batched across wires): its window shape, and its slot in the
 * sum's list, where its fold goes. Its buckets are sums index *
 * MSM_SMALL_KEYS + key of the bucket list. */
typedef struct small_sum {
    size_t slot;
    uint32_t c, nwin;
} small_sum;

typedef struct small_sums {
    affine_sums buckets;
    small_sum *sum;
    size_t n, cap;
} small_sums;

/* Small sums a bucket list holds at most: their indices times MSM_SMALL_KEYS
 * stay below 2^32. */
enum { SMALL_SUMS_MAX = 1 << 16 };

/* With AVX-512 IFMA, a thread's full-size G1 products for one kind of sum
 * (A, B1 or K), wire after wire, each with the sum it goes to: so a sum's
 * products are consecutive. When a queue holds MANY_CHUNK or the thread's
 * wires are done, the products of all three are multiplied, a sum's in runs
 * of up to G1_IFMA_TERMS that share their doublings (g1_ifma_sum_many, one
 * call per run length); every doubling and addition is a vector one. Each
 * step of a call pays one inversion, so a call needs thousands of sums:
 * with queues of 4096, a 2^18 setup spent 18% of its time inverting. */
enum { MANY_CHUNK = 1 << 14, MANY_STAGE = SUM_B2 * MANY_CHUNK };

typedef struct many_queue {
    g1_affine *p;
    const fr_t **k;
    uint32_t *wire; /* the sum each product goes to */
    size_t *slot;   /* its slot in the sum's list (affine_sums_slot) */
    size_t n;
} many_queue;

/* A thread's workspace for the runs of one length, gathered from its three
 * queues. */
typedef struct many_stage {
    g1_ifma_many *work;
    g1_affine *p, *out;
    const fr_t **k;
    affine_sums **list; /* a run's list and slot */
    size_t *slot;
} many_stage;

/* A bit decomposition's terms name one row with the coefficients 2, 4, ..
 * 2^(b-1), wire after wire, and msm_small paid i doublings for each 2^i P.
 * A thread keeps, for each sum and each ptau base it reads, the doublings
 * of the last point that had a power of two: the next bit's 2^i P is then
 * one doubling further and one addition. By base too, because K reads three
 * (beta for A terms, alpha for B terms, tau for C terms): with one chain a
 * sum, a CIFAR CNN's bits, which stand in A and in B with the same 2^i, sent
 * K's chain back to its start at every wire (i doublings instead of one).
 * key: the point's base and index, plus one (0: no point yet); p: 2^j P for
 * j < len, CHAIN_LEN Jacobian points of the sum's group. */
enum { CHAIN_LEN = 62 }; /* small_magnitude's magnitudes are below 2^62 */

typedef struct pow2_chain {
    uint64_t key;
    int len;
    uint8_t *p;
} pow2_chain;

/* One thread's queues, reused wire after wire, and its lists of points, one
 * a kind of sum, that become the key's points at the end of each block
 * (affine_sums: a sum's points added in pairs, in batches across the
 * sums). */
typedef struct wire_sums {
    affine_sums list[N_SUMS];
    pending full[SUM_B2];
    pending2 full2;
    small_queue small[N_SUMS];
    small_sums waiting[N_SUMS];
    pow2_chain chain[N_SUMS][PTAU_N_BASES];
    many_queue many[SUM_B2];
    many_stage stage; /* work NULL: without IFMA, full[] instead */
    uint32_t *order;  /* MSM_SMALL_ORDER(SMALL_CHUNK) words for msm_small_buckets */
    uint8_t *table;   /* MSM_SMALL_KEYS G2-sized affine points: one small sum's buckets */
    uint8_t *scratch; /* 2 G2 Jacobian points, msm_small_fold's */
} wire_sums;

static const group_ops *sum_group(int sum)
{
    return sum == SUM_B2 ? &G2_OPS : &G1_OPS;
}

static void wire_sums_free(wire_sums *w)
{
    for (int i = 0; i < N_SUMS; i++) {
        affine_sums_free(&w->list[i]);
        affine_sums_free(&w->waiting[i].buckets);
        free(w->waiting[i].sum);
        free(w->small[i].p);
        free(w->small[i].m);
        for (int b = 0; b < PTAU_N_BASES; b++)
            free(w->chain[i][b].p);
    }
    for (int i = 0; i < SUM_B2; i++) {
        free(w->many[i].p);
        free(w->many[i].k);
        free(w->many[i].wire);
        free(w->many[i].slot);
    }
    g1_ifma_many_free(w->stage.work);
    free(w->order);
    free(w->table);
    free(w->stage.p);
    free(w->stage.out);
    free(w->stage.k);
    free(w->stage.list);
    free(w->stage.slot);
    free(w->scratch);
}

static int wire_sums_init(wire_sums *w)
{
    memset(w, 0, sizeof *w);
    w->scratch = malloc(2 * sizeof(g2_jac));
    w->order = malloc(MSM_SMALL_ORDER(SMALL_CHUNK) * sizeof *w->order);
    w->table = malloc(MSM_SMALL_KEYS * sizeof(g2_affine));
    int ok = w->scratch && w->order && w->table;
    for (int i = 0; i < N_SUMS; i++) {
        ok = affine_sums_init(&w->list[i], sum_group(i)) == 0 && ok;
        ok = affine_sums_init(&w->waiting[i].buckets, sum_group(i)) == 0 && ok;
    }

    if (fp_ifma_usable()) {
        for (int i = 0; i < SUM_B2; i++) {
            many_queue *q = &w->many[i];
            q->p = malloc(MANY_CHUNK * sizeof *q->p);
            q->k = malloc(MANY_CHUNK * sizeof *q->k);
            q->wire = malloc(MANY_CHUNK * sizeof *q->wire);
            q->slot = malloc(MANY_CHUNK * sizeof *q->slot);
            ok = ok && q->p && q->k && q->wire && q->slot;
        }
        many_stage *st = &w->stage;
        st->work = g1_ifma_many_new();
        st->p = malloc(MANY_STAGE * sizeof *st->p);
        st->out = malloc(MANY_STAGE * sizeof *st->out);
        st->k = malloc(MANY_STAGE * sizeof *st->k);
        st->list = malloc(MANY_STAGE * sizeof *st->list);
        st->slot = malloc(MANY_STAGE * sizeof *st->slot);
        ok = ok && st->work && st->p && st->out && st->k && st->list && st->slot;
    }
    for (int i = 0; i < N_SUMS; i++) {
        w->small[i].p = malloc(SMALL_CHUNK * sum_group(i)->aff_size);
        w->small[i].m = malloc(SMALL_CHUNK * sizeof *w->small[i].m);
        ok = ok && w->small[i].p && w->small[i].m;
        for (int b = 0; b < PTAU_N_BASES; b++)
            ok = ok && (w->chain[i][b].p = malloc(CHAIN_LEN * sum_group(i)->jac_size)) != NULL;
    }
    if (!ok)
        wire_sums_free(w);
    return ok ? 0 : -1;
}

/* The sum's queued small products (of wire s) into msm_small's buckets,
 * with a slot in the sum's list for their fold (fold_small). */
static int small_flush(wire_sums *w, int sum, uint32_t s)
{
    small_queue *q = &w->small[sum];
    small_sums *ws = &w->waiting[sum];
    uint32_t c, nwin;
    size_t n = q->n, slot = affine_sums_count(&w->list[sum]);
    q->n = 0;
    msm_small_width(q->m, n, &c, &nwin);
    if (!nwin)
        return 0;
    if (zkml_array_grow((void **)&ws->sum, &ws->cap, ws->n + 1, sizeof *ws->sum) ||
        !affine_sums_slot(&w->list[sum], s))
        return -1;
    ws->sum[ws->n] = (small_sum){slot, c, nwin};
    return msm_small_buckets(&ws->buckets, (uint32_t)ws->n++ * MSM_SMALL_KEYS, q->p, q->m, n, c,
                             nwin, w->order);
}

/* A bucket list's sums, folded small sum by small sum (affine_sums_reduce's
 * out): the buckets of one small sum come together, in order. */
typedef struct small_fold {
    wire_sums *w;
    int sum;
    uint32_t at; /* the small sum whose buckets are in w->table; UINT32_MAX: none */
    int failed;
} small_fold;

/* The small sum in the table folded into its slot, and the table cleared. */
static void fold_small(small_fold *f)
{
    if (f->at == UINT32_MAX)
        return;
    const group_ops *g = sum_group(f->sum);
    const small_sum *ss = &f->w->waiting[f->sum].sum[f->at];
    g2_jac t; /* either group's Jacobian point: G2's is the larger */
    msm_small_fold(g, &t, f->w->table, ss->c, ss->nwin, f->w->scratch);
    if (affine_sums_put_jac(&f->w->list[f->sum], ss->slot, &t))
        f->failed = 1;
    msm_small_clear(g, f->w->table, (size_t)ss->nwin << ss->c);
    f->at = UINT32_MAX;
}

static void put_bucket(void *ctx, uint32_t id, const void *point)
{
    small_fold *f = ctx;
    const group_ops *g = sum_group(f->sum);
    if (id / MSM_SMALL_KEYS != f->at) {
        fold_small(f);
        f->at = id / MSM_SMALL_KEYS;
    }
    memcpy(f->w->table + (id % MSM_SMALL_KEYS) * g->aff_size, point, g->aff_size);
}

/* Every waiting small sum of kind `sum` into its slot: 0, or -1 when out of
 * memory. A small sum none of whose buckets came (they cancelled) leaves its
 * slot at infinity, its sum. */
static int fold_waiting(wire_sums *w, int sum)
{
    small_fold f = {w, sum, UINT32_MAX, 0};
    if (!w->waiting[sum].n)
        return 0;
    msm_small_clear(sum_group(sum), w->table, MSM_SMALL_KEYS); /* the table is both groups' */
    if (affine_sums_reduce(&w->waiting[sum].buckets, put_bucket, &f, 0))
        return -1;
    fold_small(&f);
    w->waiting[sum].n = 0;
    return f.failed ? -1 : 0;
}

/* 2^i p (p named by key) from the sum's chain, begun again for a new point. */
static const uint8_t *chain_point(wire_sums *w, int sum, uint64_t key, const void *p, int i)
{
    const group_ops *g = sum_group(sum);
    pow2_chain *c = &w->chain[sum][(key - 1) >> 40];
    size_t js = g->jac_size;
    if (c->key != key) {
        c->key = key;
        g->jac_zero(c->p);
        g->add_aff(c->p, p, 0);
        c->len = 1;
    }
    for (; c->len <= i; c->len++) {
        memcpy(c->p + (size_t)c->len * js, c->p + (size_t)(c->len - 1) * js, js);
        g->dbl(c->p + (size_t)c->len * js);
    }
    return c->p + (size_t)i * js;
}

/* (negative ? -m : m) p into sum `sum` of wire s, for a small magnitude m, p
 * named by key: 0, or -1 when out of memory. */
static int small_push(wire_sums *w, int sum, uint32_t s, const void *p, uint64_t key, uint64_t m,
                      int negative)
{
    const group_ops *g = sum_group(sum);
    small_queue *q = &w->small[sum];
    if (m == 1)
        return affine_sums_add(&w->list[sum], s, p, negative);
    if (!(m & (m - 1))) {
        g2_jac t; /* either group's, as in fold_small */
        memcpy(&t, chain_point(w, sum, key, p, __builtin_ctzll(m)), g->jac_size);
        if (negative)
            g->jac_neg(&t);
        return affine_sums_add_jac(&w->list[sum], s, &t);
    }
    if (q->n == SMALL_CHUNK && small_flush(w, sum, s))
        return -1;
    uint8_t *slot = q->p + q->n * g->aff_size;
    memcpy(slot, p, g->aff_size);
    if (negative)
        g->aff_neg(slot);
    q->m[q->n++] = m;
    return 0;
}

static int pending2_flush(pending2 *q, affine_sums *list, uint32_t s)
{
    if (!q->n)
        return 0;
    g2_jac t;
    g2_mul_sum(&t, q->p, q->k, q->n);
    q->n = 0;
    return affine_sums_add_jac(list, s, &t);
}

static int pending_flush(pending *q, affine_sums *list, uint32_t s)
{
    if (!q->n)
        return 0;
    g1_jac t;
    g1_mul_sum(&t, q->p, q->k, q->n);
    q->n = 0;
    return affine_sums_add_jac(list, s, &t);
}

/* The queue's runs of t products of one sum (a sum's products cut into runs
 * of G1_IFMA_TERMS, the last one shorter) into st after its first `runs`,
 * each with the slot of its first product (the others' slots stay empty);
 * returns the new count. */
static size_t gather_runs(many_queue *q, affine_sums *list, many_stage *st, size_t t, size_t runs)
{
    for (size_t i = 0, end; i < q->n; i = end) {
        for (end = i; end < q->n && q->wire[end] == q->wire[i]; end++)
            ;
        for (size_t c = i; c < end; c += G1_IFMA_TERMS) {
            size_t len = end - c < G1_IFMA_TERMS ? end - c : G1_IFMA_TERMS;
            if (len != t)
                continue;
            memcpy(st->p + runs * t, q->p + c, t * sizeof *st->p);
            memcpy(st->k + runs * t, q->k + c, t * sizeof *st->k);
            st->list[runs] = list;
            st->slot[runs++] = q->slot[c];
        }
    }
    return runs;
}

/* Every queued product into its slot. */
static void many_flush(wire_sums *w)
{
    many_stage *st = &w->stage;
    for (size_t t = 1; t <= G1_IFMA_TERMS; t++) {
        size_t runs = 0;
        for (int i = 0; i < SUM_B2; i++)
            runs = gather_runs(&w->many[i], &w->list[i], st, t, runs);
        g1_ifma_sum_many(st->work, st->out, st->p, st->k, t, runs);
        for (size_t r = 0; r < runs; r++)
            memcpy(affine_sums_at(st->list[r], st->slot[r]), &st->out[r], sizeof st->out[r]);
    }
    for (int i = 0; i < SUM_B2; i++)
        w->many[i].n = 0;
}

/* A term's coefficient, from its code: a small one as m and negative, any
 * other as c (m 0). */
typedef struct coeff {
    const fr_t *c;
    uint64_t m;
    int negative;
} coeff;

static uint64_t chain_key(int base, size_t at)
{
    return ((uint64_t)base << 40 | at) + 1;
}

/* k * p into sum `sum` of wire s, p being point `at` of ptau base `base`:
 * 0, or -1 when out of memory. */
static int g1_acc(wire_sums *w, int sum, uint32_t s, const g1_affine *p, int base, size_t at,
                  const coeff *k)
{
    affine_sums *list = &w->list[sum];
    if (k->m)
        return small_push(w, sum, s, p, chain_key(base, at), k->m, k->negative);
    many_queue *mq = &w->many[sum];
    if (w->stage.work) {
        if (mq->n == MANY_CHUNK)
            many_flush(w);
        size_t slot = affine_sums_count(list);
        if (!affine_sums_slot(list, s))
            return -1;
        mq->p[mq->n] = *p;
        mq->k[mq->n] = k->c;
        mq->wire[mq->n] = s;
        mq->slot[mq->n++] = slot;
        return 0;
    }
    pending *q = &w->full[sum];
    if (q->n == G1_SUM_MAX && pending_flush(q, list, s))
        return -1;
    g1_to_jac(&q->p[q->n], p);
    q->k[q->n++] = k->c;
    return 0;
}

static int g2_acc(wire_sums *w, uint32_t s, const g2_affine *p, size_t at, const coeff *k)
{
    if (k->m)
        return small_push(w, SUM_B2, s, p, chain_key(PTAU_TAU_G2, at), k->m, k->negative);
    pending2 *q = &w->full2;
    if (q->n == G2_SUM_MAX && pending2_flush(q, &w->list[SUM_B2], s))
        return -1;
    g2_to_jac(&q->p[q->n], p);
    q->k[q->n++] = k->c;
    return 0;
}

/* Point `at` of a Lagrange basis is checked (range, curve) the first time a
 * thread reads it: a point is read by every term of its row, about five
 * times, and the checks were a tenth of the CIFAR CNN's initial key. Two
 * threads may both check a point; a bit set means it passed. */
static uint64_t *checked_word(init_job *j, int base, size_t at, uint64_t *bit)
{
    size_t i = at - (((size_t)1 << j->pk->log_n) - 1);
    *bit = (uint64_t)1 << (i % 64);
    return &j->checked[base][i / 64];
}

static int read_g1(init_job *j, int base, size_t at, g1_affine *p, zkml_error *err)
{
    uint64_t bit, *word = checked_word(j, base, at, &bit);
    if (__atomic_load_n(word, __ATOMIC_RELAXED) & bit) {
        ptau_g1_again(j->pt, base, 1, at, p);
        return 0;
    }
    if (ptau_g1(j->pt, base, 1, at, p, err))
        return err->code;
    __atomic_fetch_or(word, bit, __ATOMIC_RELAXED); /* once a point and thread at most */
    return 0;
}

static int read_g2(init_job *j, size_t at, g2_affine *p, zkml_error *err)
{
    uint64_t bit, *word = checked_word(j, PTAU_TAU_G2, at, &bit);
    if (__atomic_load_n(word, __ATOMIC_RELAXED) & bit) {
        ptau_g2_again(j->pt, 1, at, p);
        return 0;
    }
    if (ptau_g2(j->pt, 1, at, p, err))
        return err->code;
    __atomic_fetch_or(word, bit, __ATOMIC_RELAXED); /* once a point and thread at most */
    return 0;
}

static int out_of_memory(zkml_error *err)
{
    return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for the wires' sums");
}

/* The points of one term into the sums of wire base + s. */
static int add_term(init_job *j, uint32_t s, uint64_t t, wire_sums *w, zkml_error *err)
{
    size_t at = ((size_t)1 << j->pk->log_n) - 1 + j->bw.row[t];
    uint64_t code = j->bw.code[t];
    coeff c = {NULL, 0, 0};
    if (code & 1) {
        c.c = &j->pk->coeffs.v[code >> 1];
    } else {
        c.m = code >> 2;
        c.negative = code >> 1 & 1;
    }
    g1_affine p;
    g2_affine p2;
    switch (j->bw.kind[t]) {
    case T_A:
        if (read_g1(j, PTAU_TAU_G1, at, &p, err))
            return err->code;
        if (g1_acc(w, SUM_A, s, &p, PTAU_TAU_G1, at, &c))
            return out_of_memory(err);
        if (read_g1(j, PTAU_BETA_G1, at, &p, err))
            return err->code;
        return g1_acc(w, SUM_K, s, &p, PTAU_BETA_G1, at, &c) ? out_of_memory(err) : 0;
    case T_B:
        if (read_g1(j, PTAU_TAU_G1, at, &p, err) || read_g2(j, at, &p2, err))
            return err->code;
        if (g1_acc(w, SUM_B1, s, &p, PTAU_TAU_G1, at, &c) || g2_acc(w, s, &p2, at, &c))
            return out_of_memory(err);
        if (read_g1(j, PTAU_ALPHA_G1, at, &p, err))
            return err->code;
        return g1_acc(w, SUM_K, s, &p, PTAU_ALPHA_G1, at, &c) ? out_of_memory(err) : 0;
    default:
        if (read_g1(j, PTAU_TAU_G1, at, &p, err))
            return err->code;
        return g1_acc(w, SUM_K, s, &p, PTAU_TAU_G1, at, &c) ? out_of_memory(err) : 0;
    }
}

/* The key's points of wire `wire`: A, B1, B2 and K (IC for the public wires,
 * the first n_public + 1; C for the others). */
static void *key_point(init_job *j, int sum, size_t wire)
{
    size_t n_pub = (size_t)j->pk->n_public + 1;
    switch (sum) {
    case SUM_A: return &j->pk->a_query[wire];
    case SUM_B1: return &j->pk->b1_query[wire];
    case SUM_B2: return &j->pk->b2_query[wire];
    default: return wire < n_pub ? &j->vk->ic[wire] : &j->pk->c_query[wire - n_pub];
    }
}

/* A list's sums into the key (affine_sums_reduce's out). */
typedef struct key_sums {
    init_job *j;
    int sum;
} key_sums;

static void put_sum(void *ctx, uint32_t s, const void *point)
{
    key_sums *ks = ctx;
    memcpy(key_point(ks->j, ks->sum, ks->j->base + s), point, sum_group(ks->sum)->aff_size);
}

/* The thread's lists added up into the key's points, all but the current
 * wire's sums when keep_last; the products in the IFMA queues and the folds
 * of the small sums into their slots first. */
static int flush_lists(init_job *j, wire_sums *w, int keep_last)
{
    if (w->stage.work)
        many_flush(w);
    for (int sum = 0; sum < N_SUMS; sum++) {
        key_sums ks = {j, sum};
        if (fold_waiting(w, sum) || affine_sums_reduce(&w->list[sum], put_sum, &ks, keep_last))
            return -1;
    }
    return 0;
}

/* Flushes the lists when one is full (the constant wire alone may bring
 * hundreds of thousands of points): what the thread holds stays small. */
static int keep_lists_short(init_job *j, wire_sums *w)
{
    for (int sum = 0; sum < N_SUMS; sum++)
        if (affine_sums_full(&w->list[sum]) || affine_sums_full(&w->waiting[sum].buckets) ||
            w->waiting[sum].n >= SMALL_SUMS_MAX)
            return flush_lists(j, w, 1);
    return 0;
}

/* Wire base + s's terms into the thread's lists; its key points are set to
 * infinity, for the sums without a term. */
static int wire_sum(init_job *j, uint32_t s, wire_sums *w, zkml_error *err)
{
    for (int sum = 0; sum < N_SUMS; sum++) {
        void *p = key_point(j, sum, j->base + s);
        memset(p, 0, sum_group(sum)->aff_size);
        sum_group(sum)->aff_set_inf(p);
    }
    for (uint64_t t = j->bw.start[j->base + s]; t < j->bw.start[j->base + s + 1]; t++) {
        if (add_term(j, s, t, w, err))
            return err->code;
        if (keep_lists_short(j, w))
            return out_of_memory(err);
    }
    for (int sum = 0; sum < N_SUMS; sum++)
        if (small_flush(w, sum, s))
            return out_of_memory(err);
    for (int sum = 0; sum < SUM_B2; sum++)
        if (pending_flush(&w->full[sum], &w->list[sum], s))
            return out_of_memory(err);
    return pending2_flush(&w->full2, &w->list[SUM_B2], s) ? out_of_memory(err) : 0;
}

/* Threads take the block's wires WIRE_CHUNK at a time, as they finish: a
 * wire may have one term or hundreds of thousands (the constant one), and
 * terms cost from an addition (coefficient +-1) to a full-size product, so
 * equal shares of wires or of terms left one thread waiting on the other
 * (2^18: 3.45 against 3.02 s). Each thread then adds up the sums of the
 * wires it took. */
enum { WIRE_CHUNK = 256 };

static void init_task(void *ctx, int task, int n_tasks)
{
    (void)n_tasks;
    init_job *j = ctx;
    wire_sums *w = &j->sums[task];
    for (;;) {
        size_t lo = __atomic_fetch_add(&j->next, WIRE_CHUNK, __ATOMIC_RELAXED);
        if (lo >= j->count || j->failed[task])
            break;
        size_t hi = j->count - lo < WIRE_CHUNK ? j->count : lo + WIRE_CHUNK;
        for (size_t s = lo; s < hi; s++)
            if (wire_sum(j, (uint32_t)s, w, &j->errs[task])) {
                j->failed[task] = 1;
                break;
            }
    }
    if (!j->failed[task] && flush_lists(j, w, 0)) {
        out_of_memory(&j->errs[task]);
        j->failed[task] = 1;
    }
}

static int first_failure(const init_job *j, int threads, zkml_error *err)
{
    for (int i = 0; i < threads; i++)
        if (j->failed[i]) {
            *err = j->errs[i];
            return err->code;
        }
    return 0;
}

/* One wire_sums a thread, for every block (each holds a ~34 MB workspace
 * with IFMA: made per block, its pages were faulted in again 64 times in a
 * 2^20 setup). */
static int sums_init(init_job *j, int threads)
{
    j->sums = calloc((size_t)threads, sizeof *j->sums);
    for (int i = 0; j->sums && i < threads; i++)
        if (wire_sums_init(&j->sums[i])) {
            while (i-- > 0)
                wire_sums_free(&j->sums[i]);
            free(j->sums);
            j->sums = NULL;
        }
    return j->sums ? 0 : -1;
}

static void sums_free(init_job *j, int threads)
{
    for (int i = 0; j->sums && i < threads; i++)
        wire_sums_free(&j->sums[i]);
    free(j->sums);
    j->sums = NULL;
}

/* Runs the per-wire sums WIRE_BLOCK wires at a time (the lists of a block's
 * points, kept by the threads until they are added up, take memory in
 * proportion) into the key's affine points. After each block the ptau's
 * pages are given back, and the next block faults most of them in again
 * (its terms name rows all over the domain): with 2^14 wires a block, those
 * faults were a fifth of a 2^20 setup's samples; 2^15 halves them for 16 MB
 * of sums (2^20: 21.3-21.9 -> 17.6-18.3 s), 2^16 was no faster. */
static int wire_points(init_job *j, int threads, zkml_error *err)
{
    groth16_pk *pk = j->pk;
    groth16_vk *vk = j->vk;
    enum { WIRE_BLOCK = 1 << 15 };
    int t = parallel_threads(threads);
    size_t nv = pk->n_vars, n_pub = (size_t)pk->n_public + 1;
    size_t block = nv < WIRE_BLOCK ? nv : WIRE_BLOCK;
    j->failed = calloc((size_t)t, sizeof *j->failed);
    j->errs = calloc((size_t)t, sizeof *j->errs);
    size_t words = (((size_t)1 << pk->log_n) + 63) / 64;
    int checked = 1;
    for (int b = 0; b < PTAU_N_BASES; b++)
        checked = checked && (j->checked[b] = calloc(words, sizeof(uint64_t))) != NULL;
    pk->a_query = huge_malloc(nv * sizeof *pk->a_query);
    pk->b1_query = huge_malloc(nv * sizeof *pk->b1_query);
    pk->b2_query = huge_malloc(nv * sizeof *pk->b2_query);
    vk->ic = malloc(n_pub * sizeof *vk->ic);
    pk->c_query = huge_malloc((nv - n_pub ? nv - n_pub : 1) * sizeof *pk->c_query);
    int rc = 0;
    if (!j->failed || !j->errs || !pk->a_query || !pk->b1_query || !pk->b2_query || !vk->ic ||
        !pk->c_query || !checked || sums_init(j, t))
        rc = zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for %zu wires", nv);
    for (j->base = 0; !rc && j->base < nv; j->base += block) {
        j->count = nv - j->base < block ? nv - j->base : block;
        j->next = 0;
        parallel_run(t, init_task, j);
        rc = first_failure(j, t, err);
        ptau_release(j->pt); /* the next block's wires name mostly other rows */
    }
    sums_free(j, t);
    free(j->failed);
    free(j->errs);
    for (int b = 0; b < PTAU_N_BASES; b++)
        free(j->checked[b]);
    return rc;
}

static int h_points(const ptau *pt, groth16_pk *pk, zkml_error *err)
{
    size_t n = (size_t)1 << pk->log_n;
    pk->h_query = huge_malloc(n * sizeof *pk->h_query);
    if (!pk->h_query)
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for %zu H points", n);
    for (size_t i = 0; i < n; i++)
        if (ptau_g1(pt, PTAU_TAU_G1, 1, 2 * n - 1 + 2 * i + 1, &pk->h_query[i], err))
            return err->code;
    return 0;
}

/* The circuit hash's points are encoded (unc_put_g1/g2) by the threads,
 * HASH_CHUNK at a time, and hashed in order by the calling thread: the
 * conversions out of Montgomery form, and H's subtractions, were most of a
 * circuit hash on one thread (2.2 s of a 2^20 setup). */
enum { HASH_CHUNK = 1 << 15 };

typedef struct hash_job {
    const void *points; /* G1 or G2 affine, or NULL for H's points */
    int g2;
    const ptau *pt; /* H: [tau^(n + i)]_1 - [tau^i]_1 from section 2 */
    size_t n;
    size_t at, m; /* the chunk: points at .. at + m */
    uint8_t *buf;
    int *failed;      /* per task */
    zkml_error *errs; /* per task */
} hash_job;

/* H's points at + lo .. at + hi into out: each [tau^(n + k)]_1 and
 * -[tau^k]_1 added as affine pairs sharing one inversion (G1_OPS.batch_add,
 * sixteen pairs per vector value with IFMA), not in Jacobian coordinates and
 * normalised after: a sum then costs ~6 products instead of ~16 + 6. */
static int encode_h(const hash_job *j, size_t lo, size_t hi, uint8_t *out, zkml_error *err)
{
    size_t m = hi - lo ? hi - lo : 1;
    g1_affine *top = malloc(m * sizeof *top), *low = malloc(m * sizeof *low);
    void *scratch = malloc(G1_OPS.batch_scratch(m));
    int rc = !top || !low || !scratch
                 ? zkml_fail(err, ZKML_ENOMEM, "setup: out of memory hashing H")
                 : 0;
    for (size_t i = 0; !rc && i < hi - lo; i++) {
        size_t k = j->at + lo + i;
        if (ptau_g1(j->pt, PTAU_TAU_G1, 0, j->n + k, &top[i], err) ||
            ptau_g1(j->pt, PTAU_TAU_G1, 0, k, &low[i], err))
            rc = err->code;
        else
            G1_OPS.aff_neg(&low[i]);
    }
    if (!rc) {
        G1_OPS.batch_add(top, low, hi - lo, scratch);
        for (size_t i = 0; i < hi - lo; i++)
            unc_put_g1(out + i * LEM_G1, &top[i]);
    }
    free(top);
    free(low);
    free(scratch);
    return rc;
}

static void encode_task(void *ctx, int task, int n_tasks)
{
    hash_job *j = ctx;
    size_t lo, hi, size = j->g2 ? LEM_G2 : LEM_G1;
    parallel_range(j->m, task, n_tasks, &lo, &hi);
    uint8_t *out = j->buf + lo * size;
    if (!j->points) {
        j->failed[task] = encode_h(j, lo, hi, out, &j->errs[task]) != 0;
        return;
    }
    for (size_t i = lo; i < hi; i++, out += size)
        if (j->g2)
            unc_put_g2(out, (const g2_affine *)j->points + j->at + i);
        else
            unc_put_g1(out, (const g1_affine *)j->points + j->at + i);
}

/* Points 0 .. n of j's source into h. */
static int hash_points(b2 *h, hash_job *j, size_t n, int threads, zkml_error *err)
{
    size_t size = j->g2 ? LEM_G2 : LEM_G1;
    for (j->at = 0; j->at < n; j->at += j->m) {
        j->m = n - j->at < HASH_CHUNK ? n - j->at : HASH_CHUNK;
        parallel_run(threads, encode_task, j);
        for (int i = 0; i < threads; i++)
            if (j->failed[i]) {
                *err = j->errs[i];
                return err->code;
            }
        b2_update(h, j->buf, j->m * size);
    }
    return 0;
}

/* The count n, then n points (G2 if g2) from p. */
static int hash_section(b2 *h, hash_job *j, const void *p, int g2, size_t n, int threads,
                        zkml_error *err)
{
    j->points = p;
    j->g2 = g2;
    b2_u32be(h, (uint32_t)n);
    return hash_points(h, j, n, threads, err);
}

/* H as snarkjs hashes it: [tau^(n+i)]_1 - [tau^i]_1 after the count n - 1.
 * How many points follow that count is snarkjs's quirk, which we must repeat
 * for its circuit hash (and so `snarkjs zkey verify`) to match ours: it hashes
 * in chunks of 2^14 points, each of min(n - 1, 2^14) points, until n - 1 are
 * covered. Up to n = 2^14 that is the n - 1 points counted; above, every chunk
 * is full, so it hashes n points (i < n), one more than the count says. When
 * n is the ptau's full power the extra point's tau^(2n-1) lies past the end
 * of section 2; zkey_hash_h_past_end reproduces what snarkjs makes of the
 * bytes it reads there. */
enum { SNARKJS_H_CHUNK = 1 << 14 };

static int hash_h(b2 *h, hash_job *j, size_t n, int threads, zkml_error *err)
{
    size_t total = n > SNARKJS_H_CHUNK ? n : n - 1, section_end = ((size_t)2 << j->pt->power) - 1;
    size_t in_section = n + total <= section_end ? total : section_end - n;
    j->points = NULL;
    j->g2 = 0;
    j->n = n;
    b2_u32be(h, (uint32_t)(n - 1));
    if (hash_points(h, j, in_section, threads, err))
        return err->code;
    return total == in_section ? 0 : zkey_hash_h_past_end(h, j->pt, n, err);
}

static int hash_key(b2 *h, hash_job *j, const groth16_pk *pk, const groth16_vk *vk, int threads,
                    zkml_error *err)
{
    size_t n_pub = (size_t)pk->n_public + 1, nv = pk->n_vars;
    b2_g1(h, &pk->alpha1);
    b2_g1(h, &pk->beta1);
    b2_g2(h, &pk->beta2);
    b2_g2(h, &vk->gamma2);
    b2_g1(h, &pk->delta1);
    b2_g2(h, &pk->delta2);
    if (hash_section(h, j, vk->ic, 0, n_pub, threads, err) ||
        hash_h(h, j, (size_t)1 << pk->log_n, threads, err) ||
        hash_section(h, j, pk->c_query, 0, nv - n_pub, threads, err) ||
        hash_section(h, j, pk->a_query, 0, nv, threads, err) ||
        hash_section(h, j, pk->b1_query, 0, nv, threads, err) ||
        hash_section(h, j, pk->b2_query, 1, nv, threads, err))
        return err->code;
    return 0;
}

int zkey_circuit_hash(const ptau *pt, const groth16_pk *pk, const groth16_vk *vk, int threads,
                      uint8_t out[64], zkml_error *err)
{
    int t = parallel_threads(threads);
    b2 h;
    hash_job j = {.pt = pt};
    j.buf = malloc((size_t)HASH_CHUNK * LEM_G2);
    j.failed = calloc((size_t)t, sizeof *j.failed);
    j.errs = calloc((size_t)t, sizeof *j.errs);
    int rc = !j.buf || !j.failed || !j.errs
                 ? zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for the circuit hash")
                 : b2_init(&h, err);
    if (!rc) {
        rc = hash_key(&h, &j, pk, vk, t, err);
        if (rc)
            b2_free(&h);
        else
            b2_final(&h, out);
    }
    free(j.buf);
    free(j.failed);
    free(j.errs);
    return rc;
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

int zkey_init_from_ptau(const ptau *pt, groth16_pk *pk, groth16_vk *vk, int threads,
                        zkml_error *err)
{
    memset(vk, 0, sizeof *vk);
    init_job job;
    memset(&job, 0, sizeof job);
    job.pt = pt;
    job.pk = pk;
    int rc = header(pt, pk, vk, err);
    if (!rc)
        rc = transpose(&job.bw, pk, err);
    profile_phase("setup", "transpose");
    job.vk = vk;
    if (!rc)
        rc = wire_points(&job, threads, err);
    by_wire_free(&job.bw);
    ptau_release(pt);
    profile_phase("setup", "wire sums");
    if (!rc)
        rc = h_points(pt, pk, err);
    ptau_release(pt);
    profile_phase("setup", "H points");
    if (rc) {
        groth16_pk_free(pk);
        groth16_vk_free(vk);
    }
    return rc;
}
