/*
 * zkey_verify.c - checks a phase-2 .zkey against its circuit and ptau
 * (contract in snark.h), the checks of snarkjs's `zkey verify`:
 *  - each contribution's transcript is the blake2b of the chain so far and
 *    its g1_s, g1_sx; its public key has one ratio d in G1 and G2
 *    (g2_sp drawn from the transcript); delta moved by that same d; a
 *    beacon's key is the one its beacon value gives;
 *  - the header is the initial key's (recomputed here from the ptau and the
 *    circuit) but for delta, which is the last contribution's, in G1 and G2;
 *  - the circuit hash and sections 3..7 equal the initial key's;
 *  - sections 8 and 9 are the initial ones divided by delta: one pairing
 *    check over a random linear combination of each.
 * A failed check answers ZKML_EREJECTED naming it.
 */
#include "pipeline/snark/lem.h"
#include "pipeline/snark/msm.h"
#include "pipeline/snark/zkey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* e(a, d) = e(b, c): b/a in G1 is the ratio d/c in G2. */
static int same_ratio(const g1_affine *a, const g1_affine *b, const g2_affine *c,
                      const g2_affine *d)
{
    if (a->infinity || b->infinity || c->infinity || d->infinity)
        return 0;
    g1_affine p[2] = {*a, *b};
    g2_affine q[2] = {*d, *c};
    g1_jac j;
    g1_to_jac(&j, &p[1]);
    g1_neg(&j, &j);
    g1_to_affine(&p[1], &j);
    return bn254_pairing_check(p, q, 2);
}

static int g1_same(const g1_affine *a, const g1_affine *b)
{
    g1_jac x, y;
    g1_to_jac(&x, a);
    g1_to_jac(&y, b);
    return g1_eq(&x, &y);
}

static int g2_same(const g2_affine *a, const g2_affine *b)
{
    g2_jac x, y;
    g2_to_jac(&x, a);
    g2_to_jac(&y, b);
    return g2_eq(&x, &y);
}

static int check_beacon(const zkey_contribution *c)
{
    chacha rng;
    uint8_t h[32];
    fr_t d;
    g1_affine s;
    g1_jac j;
    if (c->iterations_exp < 10 || c->iterations_exp > 63 || c->beacon_len == 0)
        return 0;
    zkml_sha256(c->beacon, c->beacon_len, h);
    for (uint64_t i = 1; i < (uint64_t)1 << c->iterations_exp; i++)
        zkml_sha256(h, 32, h);
    chacha_init(&rng, h);
    chacha_fr(&rng, &d);
    chacha_g1(&rng, &s);
    g1_to_jac(&j, &s);
    g1_mul(&j, &j, &d);
    g1_affine sx;
    g1_to_affine(&sx, &j);
    return g1_same(&s, &c->g1_s) && g1_same(&sx, &c->g1_sx);
}

static int check_chain(const zkey_mpc *mpc, g1_affine *delta, zkml_error *err)
{
    g1_generator(delta);
    for (uint32_t i = 0; i < mpc->n; i++) {
        const zkey_contribution *c = &mpc->c[i];
        b2 h;
        uint8_t t[64];
        g2_affine sp;
        if (zkey_mpc_hasher(mpc, i, &h, err))
            return err->code;
        b2_g1(&h, &c->g1_s);
        b2_g1(&h, &c->g1_sx);
        b2_final(&h, t);
        if (memcmp(t, c->transcript, 64) != 0)
            return zkml_fail(err, ZKML_EREJECTED,
                             "contribution #%u: its transcript hash "
                             "does not follow from the earlier ones (broken hash chain)",
                             i + 1);
        zkey_hash_to_g2(c->transcript, &sp);
        if (!same_ratio(&c->g1_s, &c->g1_sx, &sp, &c->g2_spx))
            return zkml_fail(err, ZKML_EREJECTED,
                             "contribution #%u: its public key has "
                             "different ratios in G1 and G2",
                             i + 1);
        if (!same_ratio(delta, &c->delta_after, &sp, &c->g2_spx))
            return zkml_fail(err, ZKML_EREJECTED,
                             "contribution #%u: delta after it does "
                             "not follow from delta before and its public key",
                             i + 1);
        if (c->type == 1 && !check_beacon(c))
            return zkml_fail(err, ZKML_EREJECTED,
                             "contribution #%u: its key is not the one "
                             "its beacon gives",
                             i + 1);
        *delta = c->delta_after;
    }
    return 0;
}

static int check_header(const zkey_file *zk, const zkey_file *init, const g1_affine *delta,
                        zkml_error *err)
{
    g1_affine g1;
    g2_affine g2;
    g1_generator(&g1);
    g2_generator(&g2);
    if (zk->n_vars != init->n_vars || zk->n_public != init->n_public || zk->log_n != init->log_n)
        return zkml_fail(err, ZKML_EREJECTED,
                         "the key is for another circuit (nVars, "
                         "nPublic or the domain size differ)");
    if (!g1_same(&zk->alpha1, &init->alpha1) || !g1_same(&zk->beta1, &init->beta1) ||
        !g2_same(&zk->beta2, &init->beta2) || !g2_same(&zk->gamma2, &init->gamma2))
        return zkml_fail(err, ZKML_EREJECTED,
                         "alpha, beta or gamma of the key differ "
                         "from the ptau's");
    if (!g1_same(&zk->delta1, delta))
        return zkml_fail(err, ZKML_EREJECTED,
                         "delta (G1) is not the last "
                         "contribution's delta");
    if (!same_ratio(&g1, delta, &g2, &zk->delta2))
        return zkml_fail(err, ZKML_EREJECTED,
                         "delta (G2) does not match delta in "
                         "G1");
    if (memcmp(zk->mpc.cs_hash, init->mpc.cs_hash, 64) != 0)
        return zkml_fail(err, ZKML_EREJECTED,
                         "the circuit hash differs: the key is "
                         "not for this circuit and ptau");
    static const char *names[8] = {0,
                                   0,
                                   0,
                                   "IC (section 3)",
                                   "the coefficients (section 4)",
                                   "A (section 5)",
                                   "B1 (section 6)",
                                   "B2 (section 7)"};
    for (uint32_t s = 3; s <= 7; s++)
        if (zk->sec[s].left != init->sec[s].left ||
            memcmp(zk->sec[s].p, init->sec[s].p, zk->sec[s].left) != 0)
            return zkml_fail(err, ZKML_EREJECTED,
                             "%s differs from the initial "
                             "key's",
                             names[s]);
    return 0;
}

/* sum r_i P_i over a section, with the same random r for both keys. */
static int combine(const zkey_file *zk, uint32_t s, const fr_t *r, g1_affine *out, zkml_error *err)
{
    size_t n = zk->sec[s].left / LEM_G1;
    g1_affine *p;
    int rc = zkey_points(zk, s, 0, (void **)&p, err);
    if (rc) { /* a point off the curve: the key fails the check */
        free(p);
        if (rc == ZKML_EINVAL)
            err->code = rc = ZKML_EREJECTED;
        return rc;
    }
    g1_jac acc;
    rc = msm_g1(&acc, p, r, n, 0, err);
    free(p);
    if (!rc)
        g1_to_affine(out, &acc);
    return rc;
}

static int check_scaled(const zkey_file *zk, const zkey_file *init, zkml_error *err)
{
    static const char *names[2] = {"C (section 8)", "H (section 9)"};
    size_t n = init->sec[9].left / LEM_G1;
    if (init->sec[8].left / LEM_G1 > n)
        n = init->sec[8].left / LEM_G1;
    fr_t *r = malloc((n ? n : 1) * sizeof *r);
    if (!r)
        return zkml_fail(err, ZKML_ENOMEM, "verify: out of memory");
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++)
        rc = fr_random(&r[i], err);
    for (uint32_t s = 8; !rc && s <= 9; s++) {
        g1_affine a, b;
        if (init->sec[s].left == 0)
            continue;
        rc = combine(init, s, r, &a, err);
        if (!rc)
            rc = combine(zk, s, r, &b, err);
        if (!rc && !same_ratio(&a, &b, &zk->delta2, &init->delta2))
            rc = zkml_fail(err, ZKML_EREJECTED,
                           "%s is not the initial key's "
                           "divided by delta",
                           names[s - 8]);
    }
    free(r);
    return rc;
}

/* The initial key of the circuit from the ptau, written to a temporary file. */
static int initial_key(const char *r1cs_path, const char *ptau_path, zkey_file *init,
                       zkml_error *err)
{
    const char *dir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/zkml-init-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return zkml_fail(err, ZKML_EIO, "verify: cannot create a temporary file in %s",
                         dir && *dir ? dir : "/tmp");
    close(fd);
    int rc = groth16_setup_ptau_files(r1cs_path, ptau_path, tmp, err);
    if (!rc)
        rc = zkey_open(init, tmp, err);
    unlink(tmp);
    return rc;
}

int zkey_verify_files(const char *r1cs_path, const char *ptau_path, const char *zkey_path,
                      zkml_error *err)
{
    zkey_file zk, init;
    g1_affine delta;
    if (zkey_open(&zk, zkey_path, err))
        return err->code;
    int rc = check_chain(&zk.mpc, &delta, err);
    if (!rc && !(rc = initial_key(r1cs_path, ptau_path, &init, err))) {
        rc = check_header(&zk, &init, &delta, err);
        if (!rc)
            rc = check_scaled(&zk, &init, err);
        zkey_close(&init);
    }
    zkey_close(&zk);
    return rc;
}
