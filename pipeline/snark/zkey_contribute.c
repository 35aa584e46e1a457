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
    const uint8_t *in; /* the points as a .zkey stores them; NULL: out holds them */
    g1_affine *out;
    size_t n;
    const fr_t *k;
    int bad;          /* a point off the curve */
    zkml_error *errs; /* per task: out of memory */
    int *failed;      /* per task */
} scale_job;

/* A task's share of the points: decoded (when in is set), then multiplied in
 * lockstep. */
static void scale_task(void *ctx, int task, int n_tasks)
{
    scale_job *j = ctx;
    size_t lo, hi;
    parallel_range(j->n, task, n_tasks, &lo, &hi);
    for (size_t i = lo; j->in && i < hi; i++)
        if (lem_get_g1(&j->out[i], j->in + i * LEM_G1)) {
            j->bad = 1;
            return;
        }
    if (g1_mul_same(j->out + lo, j->out + lo, hi - lo, j->k, &j->errs[task]))
        j->failed[task] = 1;
}

/* out[0..n) = k times the points: in's (as a .zkey stores them, decoded and
 * checked), or out's own when in is NULL; the threads split them. */
static int scale_points(g1_affine *out, const uint8_t *in, size_t n, const fr_t *k, zkml_error *err)
{
    int threads = parallel_threads(0);
    zkml_error *errs = calloc((size_t)threads, sizeof *errs);
    int *failed = calloc((size_t)threads, sizeof *failed);
    int rc = !errs || !failed ? zkml_fail(err, ZKML_ENOMEM, "contribute: out of memory") : 0;
    if (!rc) {
        scale_job j = {in, out, n, k, 0, errs, failed};
        parallel_run(threads, scale_task, &j);
        if (j.bad)
            rc = zkml_fail(err, ZKML_EINVAL, "a point is not on the curve");
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

/* Section s with every point multiplied by k, CHUNK points at a time. */
static int scale_section(bwriter *w, const zkey_file *zk, uint32_t s, const fr_t *k,
                         zkml_error *err)
{
    size_t n = zk->sec[s].left / LEM_G1;
    g1_affine *aff = malloc(CHUNK * sizeof *aff);
    int rc = !aff ? zkml_fail(err, ZKML_ENOMEM, "contribute: out of memory") : 0;
    bw_u32(w, s);
    bw_u64(w, zk->sec[s].left);
    for (size_t at = 0; !rc && at < n; at += CHUNK) {
        size_t m = n - at < CHUNK ? n - at : CHUNK;
        if (scale_points(aff, zk->sec[s].p + at * LEM_G1, m, k, err))
            rc = zkml_error_prefix(err, "%s: section %u", zk->bf.name, s);
        for (size_t i = 0; !rc && i < m; i++) {
            uint8_t b[LEM_G1];
            lem_put_g1(b, &aff[i]);
            bw_bytes(w, b, sizeof b);
        }
    }
    free(aff);
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
    for (uint32_t s = 3; s <= 7; s++)
        copy_section(&w, zk, s);
    if (scale_section(&w, zk, 8, inv, err) || scale_section(&w, zk, 9, inv, err)) {
        bw_abort(&w);
        return err->code;
    }
    zkey_mpc_write(&w, mpc);
    return bw_commit(&w, err);
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
    if (zkey_open(&zk, in_path, err))
        return err->code;
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
    if (!rc && !(rc = scale_points(pk->c_query, NULL, n_priv, &inv, err)) &&
        !(rc = scale_points(pk->h_query, NULL, (size_t)1 << pk->log_n, &inv, err)) &&
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
