/*
 * zkey_contribute.c - one phase-2 contribution to a .zkey, random or from a
 * beacon (contracts in snark.h and zkey.h), as snarkjs's zkey_contribute and
 * zkey_beacon do it: delta times d, sections 8 (C) and 9 (H) times 1/d,
 * every other section copied, and the contribution's public key appended to
 * section 10; or the same on a key in memory (the pipeline's setup, which
 * has just built it). The secret d and 1/d are wiped before returning.
 */
#include "pipeline/snark/lem.h"
#include "pipeline/snark/parallel.h"
#include "pipeline/snark/profile.h"
#include "pipeline/snark/zkey.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK 65536
#define HEADER_PREFIX (4 + 32 + 4 + 32 + 12 + 2 * LEM_G1 + 2 * LEM_G2) /* up to delta1 */

static void copy_section(bwriter *w, const zkey_file *zk, uint32_t s)
{
    bw_u32(w, s);
    bw_u64(w, zk->sec[s].left);
    bw_bytes(w, zk->sec[s].p, zk->sec[s].left);
}

typedef struct scale_job {
    g1_affine *p;
    size_t n;
    const fr_t *k;
    zkml_error *errs; /* per task: out of memory */
    int *failed;      /* per task */
} scale_job;

/* A task's share of the points, multiplied in lockstep. */
static void scale_task(void *ctx, int task, int n_tasks)
{
    scale_job *j = ctx;
    size_t lo, hi;
    parallel_range(j->n, task, n_tasks, &lo, &hi);
    if (g1_mul_same(j->p + lo, j->p + lo, hi - lo, j->k, &j->errs[task]))
        j->failed[task] = 1;
}

/* p[0..n) times k, the threads splitting them (a key in memory). */
static int scale_points(g1_affine *p, size_t n, const fr_t *k, zkml_error *err)
{
    int threads = parallel_threads(0);
    zkml_error *errs = calloc((size_t)threads, sizeof *errs);
    int *failed = calloc((size_t)threads, sizeof *failed);
    int rc = !errs || !failed ? zkml_fail(err, ZKML_ENOMEM, "contribute: out of memory") : 0;
    if (!rc) {
        scale_job j = {p, n, k, errs, failed};
        parallel_run(threads, scale_task, &j);
    }
    for (int t = 0; !rc && t < threads; t++)
        if (failed[t]) {
            *err = errs[t];
            rc = err->code;
        }
    free(errs);
    free(failed);
    return rc;
}

/* What went wrong in one task of the bulk, if anything. */
typedef struct bulk_outcome {
    int io;     /* the errno of a failed write */
    size_t bad; /* 1 + the index of a point off the curve in section bad_s */
    uint32_t bad_s;
    int failed; /* err holds the failure (out of memory) */
    zkml_error err;
} bulk_outcome;

/* The bulk of a contributed key, written by threads at once into stretches
 * reserved in the output: the last task copies sections 3..7 (IC, the
 * coefficients, A, B1, B2: unchanged) while the others multiply sections 8
 * (C) and 9 (H) by 1/d, each its share of both, CHUNK points at a time, and
 * write their own points. Why: copying those 440 MB of a 2^20 circuit's key
 * into new pages of the page cache took one core 0.8-1.8 s of a 7.4 s
 * contribution while the other waited. */
typedef struct bulk_job {
    const zkey_file *zk;
    const bwriter *w;
    uint64_t at[10]; /* where the contents of section s go in the output */
    const fr_t *k;
    int scalers;        /* tasks 0 .. scalers - 1 multiply, task scalers copies */
    bulk_outcome *outs; /* one a task */
} bulk_job;

/* Point i's encoding ends where point i + 1 begins, or before. */
_Static_assert(sizeof(g1_affine) >= LEM_G1, "points are encoded over themselves");

/* Points [lo, hi) of section s: decoded, multiplied, encoded over themselves
 * in buf (CHUNK points), written. */
static int scale_range(const bulk_job *j, bulk_outcome *o, uint32_t s, size_t lo, size_t hi,
                       g1_affine *buf)
{
    const uint8_t *in = j->zk->sec[s].p;
    for (size_t at = lo; at < hi; at += CHUNK) {
        size_t m = hi - at < CHUNK ? hi - at : CHUNK;
        for (size_t i = 0; i < m; i++)
            if (lem_get_g1(&buf[i], in + (at + i) * LEM_G1)) {
                o->bad = at + i + 1;
                o->bad_s = s;
                return 1;
            }
        if (g1_mul_same(buf, buf, m, j->k, &o->err))
            return o->failed = 1;
        uint8_t *out = (uint8_t *)buf, b[LEM_G1];
        for (size_t i = 0; i < m; i++) {
            lem_put_g1(b, &buf[i]);
            memcpy(out + i * LEM_G1, b, LEM_G1);
        }
        if ((o->io = bw_fill(j->w, j->at[s] + at * LEM_G1, out, m * LEM_G1)))
            return 1;
    }
    return 0;
}

static void bulk_task(void *ctx, int task, int n_tasks)
{
    (void)n_tasks;
    const bulk_job *j = ctx;
    bulk_outcome *o = &j->outs[task];
    if (task == j->scalers) {
        for (uint32_t s = 3; s <= 7 && !o->io; s++)
            o->io = bw_fill(j->w, j->at[s], j->zk->sec[s].p, j->zk->sec[s].left);
        return;
    }
    g1_affine *buf = malloc(CHUNK * sizeof *buf);
    if (!buf) {
        o->failed = 1;
        zkml_fail(&o->err, ZKML_ENOMEM, "contribute: out of memory");
        return;
    }
    for (uint32_t s = 8; s <= 9; s++) {
        size_t lo, hi;
        parallel_range(j->zk->sec[s].left / LEM_G1, task, j->scalers, &lo, &hi);
        if (scale_range(j, o, s, lo, hi, buf))
            break;
    }
    free(buf);
}

/* The first failure among the bulk's tasks, as err. */
static int bulk_failure(const bulk_job *j, zkml_error *err)
{
    for (int t = 0; t <= j->scalers; t++) {
        const bulk_outcome *o = &j->outs[t];
        if (o->bad) {
            const uint8_t *b = j->zk->sec[o->bad_s].p + (o->bad - 1) * LEM_G1;
            return zkml_fail(err, ZKML_EINVAL,
                             "%s: point %zu of section %u (byte offset %zu) is not on the curve",
                             j->zk->bf.name, o->bad - 1, o->bad_s, (size_t)(b - j->zk->bf.data));
        }
        if (o->failed) {
            *err = o->err;
            return err->code;
        }
        if (o->io)
            return zkml_fail(err, ZKML_EIO, "writing %s: %s", j->w->path, strerror(o->io));
    }
    return 0;
}

/* Sections 3..9 of the contributed key into the stretches reserved at j->at. */
static int write_bulk(bulk_job *j, zkml_error *err)
{
    if (!(j->outs = calloc((size_t)j->scalers + 1, sizeof *j->outs)))
        return zkml_fail(err, ZKML_ENOMEM, "contribute: out of memory");
    parallel_run(j->scalers + 1, bulk_task, j);
    int rc = bulk_failure(j, err);
    free(j->outs);
    return rc;
}

static int write_contributed(const zkey_file *zk, const char *out, const zkey_mpc *mpc,
                             const g1_affine *delta1, const g2_affine *delta2, const fr_t *inv,
                             zkml_error *err)
{
    bwriter w;
    uint8_t b[LEM_G2];
    if (bw_open(&w, out, err))
        return err->code;
    bw_header(&w, "zkey", 1, 10);
    copy_section(&w, zk, 1);
    bw_u32(&w, 2);
    bw_u64(&w, zk->sec[2].left);
    bw_bytes(&w, zk->sec[2].p, HEADER_PREFIX);
    lem_put_g1(b, delta1);
    bw_bytes(&w, b, LEM_G1);
    lem_put_g2(b, delta2);
    bw_bytes(&w, b, LEM_G2);
    bulk_job j = {.zk = zk, .w = &w, .k = inv, .scalers = parallel_threads(0)};
    for (uint32_t s = 3; s <= 9; s++) {
        bw_u32(&w, s);
        bw_u64(&w, zk->sec[s].left);
        j.at[s] = bw_reserve(&w, zk->sec[s].left);
    }
    zkey_mpc_write(&w, mpc);
    profile_phase("contribute", "header");
    if (write_bulk(&j, err)) {
        bw_abort(&w);
        return err->code;
    }
    profile_phase("contribute", "sections 3-9 (C and H times 1/d)");
    int rc = bw_commit(&w, err);
    profile_phase("contribute", "fsync");
    return rc;
}

/* Contribution d (public point g1_s) to a key whose ceremony is mpc and
 * whose delta is delta1, delta2: c's points and transcript (c->delta_after
 * the new delta1), the new delta2 and 1/d, for the C and H points. */
static int contribution_of(const zkey_mpc *mpc, const g1_affine *delta1, const g2_affine *delta2,
                           const fr_t *d, const g1_affine *g1_s, zkey_contribution *c,
                           g2_affine *delta2_after, fr_t *inv, zkml_error *err)
{
    b2 h;
    g1_jac j1;
    g2_jac j2;
    g2_affine g2_sp;
    if (zkey_mpc_hasher(mpc, mpc->n, &h, err))
        return err->code;
    c->g1_s = *g1_s;
    g1_to_jac(&j1, g1_s);
    g1_mul(&j1, &j1, d);
    g1_to_affine(&c->g1_sx, &j1);
    b2_g1(&h, &c->g1_s);
    b2_g1(&h, &c->g1_sx);
    b2_final(&h, c->transcript);
    zkey_hash_to_g2(c->transcript, &g2_sp);
    g2_to_jac(&j2, &g2_sp);
    g2_mul(&j2, &j2, d);
    g2_to_affine(&c->g2_spx, &j2);
    g1_to_jac(&j1, delta1);
    g1_mul(&j1, &j1, d);
    g1_to_affine(&c->delta_after, &j1);
    g2_to_jac(&j2, delta2);
    g2_mul(&j2, &j2, d);
    g2_to_affine(delta2_after, &j2);
    fr_inv(inv, d);
    zkml_wipe_stack(); /* g1_mul's, g2_mul's and fr_inv's copies of d */
    return 0;
}

/* Applies secret d with public point g1_s; c carries type, name and beacon. */
static int contribute(zkey_file *zk, const char *out, const fr_t *d, const g1_affine *g1_s,
                      zkey_contribution *c, zkml_error *err)
{
    g2_affine delta2;
    fr_t inv;
    int rc = contribution_of(&zk->mpc, &zk->delta1, &zk->delta2, d, g1_s, c, &delta2, &inv, err);
    if (!rc)
        rc = zkey_mpc_push(&zk->mpc, c, err);
    if (!rc)
        rc = write_contributed(zk, out, &zk->mpc, &c->delta_after, &delta2, &inv, err);
    zkml_wipe(&inv, sizeof inv);
    return rc;
}

/* The name as snarkjs stores it: at most 64 characters (here: bytes, cut at a
 * UTF-8 boundary). */
static void set_name(zkey_contribution *c, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n > ZKEY_NAME_MAX) {
        n = ZKEY_NAME_MAX;
        while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(c->name, name ? name : "", n);
    c->name[n] = 0;
}

/* A random secret d, and the public point [s]_1 of another random s. */
static int draw_secret(fr_t *d, g1_affine *g1_s, zkml_error *err)
{
    fr_t s;
    g1_jac j;
    int rc = fr_random(d, err);
    if (!rc)
        rc = fr_random(&s, err);
    if (!rc) {
        g1_generator(g1_s);
        g1_to_jac(&j, g1_s);
        g1_mul(&j, &j, &s);
        g1_to_affine(g1_s, &j);
    }
    zkml_wipe(&s, sizeof s);
    zkml_wipe_stack(); /* fr_random's and g1_mul's copies of s and d */
    return rc;
}

int zkey_contribute_files(const char *in_path, const char *out_path, const char *name,
                          uint8_t hash_out[64], zkml_error *err)
{
    zkey_file zk;
    zkey_contribution c;
    fr_t d;
    g1_affine g1_s;
    memset(&c, 0, sizeof c);
    set_name(&c, name);
    profile_phase("contribute", NULL);
    if (zkey_open(&zk, in_path, err))
        return err->code;
    profile_phase("contribute", "open key");
    int rc = draw_secret(&d, &g1_s, err);
    if (!rc)
        rc = contribute(&zk, out_path, &d, &g1_s, &c, err);
    zkml_wipe(&d, sizeof d);
    zkey_close(&zk);
    if (!rc && hash_out)
        rc = zkey_contribution_hash(&c, hash_out, err);
    return rc;
}

int zkey_contribute_key(groth16_pk *pk, groth16_vk *vk, zkey_mpc *mpc, const char *name,
                        zkml_error *err)
{
    zkey_contribution c;
    fr_t d, inv;
    g1_affine g1_s;
    g2_affine delta2;
    memset(&c, 0, sizeof c);
    set_name(&c, name);
    fr_zero(&inv);
    int rc = draw_secret(&d, &g1_s, err);
    if (!rc)
        rc = contribution_of(mpc, &pk->delta1, &pk->delta2, &d, &g1_s, &c, &delta2, &inv, err);
    zkml_wipe(&d, sizeof d);
    size_t n_priv = pk->n_vars - pk->n_public - 1;
    if (!rc && !(rc = scale_points(pk->c_query, n_priv, &inv, err)) &&
        !(rc = scale_points(pk->h_query, (size_t)1 << pk->log_n, &inv, err)) &&
        !(rc = zkey_mpc_push(mpc, &c, err))) {
        pk->delta1 = c.delta_after;
        pk->delta2 = vk->delta2 = delta2;
    }
    zkml_wipe(&inv, sizeof inv);
    return rc;
}

static int parse_hex(const char *hex, uint8_t *out, uint8_t *len, zkml_error *err)
{
    size_t n = strlen(hex);
    if (n == 0 || n % 2 || n / 2 > 255)
        return zkml_fail(err, ZKML_EINVAL,
                         "the beacon must be 1 to 255 bytes of hexadecimal "
                         "(an even number of digits), got %zu digits",
                         n);
    for (size_t i = 0; i < n; i++) {
        char ch = hex[i];
        int v = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (v < 0)
            return zkml_fail(err, ZKML_EINVAL,
                             "the beacon has a non-hexadecimal character "
                             "at position %zu",
                             i + 1);
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
    }
    *len = (uint8_t)(n / 2);
    return 0;
}

/* The beacon's generator: SHA-256 iterated 2^exp times over the beacon. */
static void beacon_rng(chacha *rng, const uint8_t *beacon, size_t len, int exp)
{
    uint8_t h[32];
    uint64_t rounds = (uint64_t)1 << exp;
    zkml_sha256(beacon, len, h);
    for (uint64_t i = 1; i < rounds; i++)
        zkml_sha256(h, 32, h);
    chacha_init(rng, h);
}

int zkey_beacon_files(const char *in_path, const char *out_path, const char *beacon_hex,
                      int iterations_exp, const char *name, zkml_error *err)
{
    zkey_file zk;
    zkey_contribution c;
    chacha rng;
    fr_t d;
    g1_affine g1_s;
    memset(&c, 0, sizeof c);
    set_name(&c, name);
    c.type = 1;
    if (parse_hex(beacon_hex, c.beacon, &c.beacon_len, err))
        return err->code;
    if (iterations_exp < 10 || iterations_exp > 63)
        return zkml_fail(err, ZKML_EINVAL,
                         "the beacon's iteration exponent must be 10..63 "
                         "(snarkjs's range), got %d",
                         iterations_exp);
    c.iterations_exp = (uint8_t)iterations_exp;
    if (zkey_open(&zk, in_path, err))
        return err->code;
    beacon_rng(&rng, c.beacon, c.beacon_len, iterations_exp);
    chacha_fr(&rng, &d);
    chacha_g1(&rng, &g1_s);
    int rc = contribute(&zk, out_path, &d, &g1_s, &c, err);
    zkey_close(&zk);
    return rc;
}
