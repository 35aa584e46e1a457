/*
 * zkey_read.c - reads a snarkjs Groth16 .zkey (contracts in zkey.h): maps the
 * file, checks protocol, curve, counts and every section's size, and reads
 * the header points and the ceremony; query points are read where used.
 * Also turns a .zkey and its circuit into our proving key and its
 * verification key, so that our prover proves from a ceremony's key.
 */
#include "pipeline/snark/field.h"
#include "pipeline/snark/lem.h"
#include "pipeline/snark/zkey.h"

#include <stdlib.h>
#include <string.h>

static int header_points(zkey_file *zk, bcur *c, zkml_error *err)
{
    const uint8_t *b;
    int bad = bcur_bytes(c, &b, LEM_G1) || lem_get_g1(&zk->alpha1, b) ||
              bcur_bytes(c, &b, LEM_G1) || lem_get_g1(&zk->beta1, b) || bcur_bytes(c, &b, LEM_G2) ||
              lem_get_g2(&zk->beta2, b) || bcur_bytes(c, &b, LEM_G2) ||
              lem_get_g2(&zk->gamma2, b) || bcur_bytes(c, &b, LEM_G1) ||
              lem_get_g1(&zk->delta1, b) || bcur_bytes(c, &b, LEM_G2) ||
              lem_get_g2(&zk->delta2, b) || c->left != 0;
    if (bad || !g2_is_in_subgroup(&zk->beta2) || !g2_is_in_subgroup(&zk->gamma2) ||
        !g2_is_in_subgroup(&zk->delta2) || zk->delta1.infinity || zk->delta2.infinity)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: the header (section 2) holds a point that is "
                         "not on its curve, or has the wrong size",
                         zk->bf.name);
    return 0;
}

static int parse_header(zkey_file *zk, zkml_error *err)
{
    bcur c;
    uint32_t protocol, n8q, n8r, domain;
    const uint8_t *q, *r;
    if (binfile_section(&zk->bf, 1, 1, &c, NULL, err))
        return err->code;
    if (bcur_u32(&c, &protocol) || protocol != 1)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: not a Groth16 key (protocol field in section "
                         "1)",
                         zk->bf.name);
    if (binfile_section(&zk->bf, 2, 1, &c, NULL, err))
        return err->code;
    if (bcur_u32(&c, &n8q) || n8q != 32 || bcur_bytes(&c, &q, 32) || memcmp(q, BN254_P_LE, 32) ||
        bcur_u32(&c, &n8r) || n8r != 32 || bcur_bytes(&c, &r, 32) || memcmp(r, BN254_R_LE, 32))
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: the key is for another curve (section 2); "
                         "only BN254 is supported",
                         zk->bf.name);
    if (bcur_u32(&c, &zk->n_vars) || bcur_u32(&c, &zk->n_public) || bcur_u32(&c, &domain))
        return zkml_fail(err, ZKML_EINVAL, "%s: section 2 is truncated", zk->bf.name);
    for (zk->log_n = 0; zk->log_n < 28 && (1u << zk->log_n) < domain; zk->log_n++)
        ;
    if (domain != (1u << zk->log_n) || zk->log_n > 27 || zk->n_vars < zk->n_public + 1 ||
        zk->n_public == UINT32_MAX)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: inconsistent counts in section 2 (nVars %u, "
                         "nPublic %u, domain size %u)",
                         zk->bf.name, zk->n_vars, zk->n_public, domain);
    return header_points(zk, &c, err);
}

static int check_sizes(zkey_file *zk, zkml_error *err)
{
    uint64_t n_priv = zk->n_vars - zk->n_public - 1, want[11] = {0};
    want[3] = ((uint64_t)zk->n_public + 1) * LEM_G1;
    want[5] = want[6] = (uint64_t)zk->n_vars * LEM_G1;
    want[7] = (uint64_t)zk->n_vars * LEM_G2;
    want[8] = n_priv * LEM_G1;
    want[9] = ((uint64_t)1 << zk->log_n) * LEM_G1;
    for (uint32_t s = 1; s <= 10; s++) {
        if (binfile_section(&zk->bf, s, 1, &zk->sec[s], NULL, err))
            return err->code;
        if (want[s] && zk->sec[s].left != want[s])
            return zkml_fail(err, ZKML_EINVAL,
                             "%s: section %u is %zu bytes, the header "
                             "implies %llu (truncated or corrupt)",
                             zk->bf.name, s, zk->sec[s].left, (unsigned long long)want[s]);
    }
    bcur c = zk->sec[4];
    uint32_t n_coefs;
    if (bcur_u32(&c, &n_coefs) || c.left != (uint64_t)n_coefs * ZKEY_COEF_BYTES)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: section 4 does not hold the %u coefficients "
                         "it announces",
                         zk->bf.name, n_coefs);
    return 0;
}

int zkey_parse(zkey_file *zk, const uint8_t *data, size_t len, const char *name, zkml_error *err)
{
    memset(zk, 0, sizeof *zk);
    if (binfile_open(&zk->bf, data, len, "zkey", name, err) || parse_header(zk, err) ||
        check_sizes(zk, err) ||
        zkey_mpc_parse(&zk->mpc, zk->sec[10].p, zk->sec[10].left, name, err)) {
        zkey_mpc_free(&zk->mpc);
        return err->code;
    }
    return 0;
}

int zkey_open(zkey_file *zk, const char *path, zkml_error *err)
{
    void *map;
    size_t len;
    memset(zk, 0, sizeof *zk);
    if (binfile_map(path, "zkey", &map, &len, err))
        return err->code;
    if (zkey_parse(zk, map, len, path, err)) {
        binfile_unmap(map, len);
        return err->code;
    }
    zk->map = map;
    zk->map_len = len;
    return 0;
}

void zkey_close(zkey_file *zk)
{
    zkey_mpc_free(&zk->mpc);
    binfile_unmap(zk->map, zk->map_len);
    memset(zk, 0, sizeof *zk);
}

int zkey_points(const zkey_file *zk, uint32_t s, int g2, void **out, zkml_error *err)
{
    size_t size = g2 ? LEM_G2 : LEM_G1, n = zk->sec[s].left / size;
    void *p = malloc(n ? n * (g2 ? sizeof(g2_affine) : sizeof(g1_affine)) : 1);
    g1_affine *p1 = p;
    g2_affine *p2 = p;
    *out = p;
    if (!p)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory for section %u", s);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *b = zk->sec[s].p + i * size;
        if (g2 ? lem_get_g2(p2 + i, b) : lem_get_g1(p1 + i, b))
            return zkml_fail(err, ZKML_EINVAL,
                             "%s: point %zu of section %u (byte offset %zu) "
                             "is not on the curve",
                             zk->bf.name, i, s, (size_t)(b - zk->bf.data));
    }
    return 0;
}

int zkey_vk(const zkey_file *zk, groth16_vk *vk, zkml_error *err)
{
    memset(vk, 0, sizeof *vk);
    vk->n_public = zk->n_public;
    vk->alpha1 = zk->alpha1;
    vk->beta2 = zk->beta2;
    vk->gamma2 = zk->gamma2;
    vk->delta2 = zk->delta2;
    if (zkey_points(zk, 3, 0, (void **)&vk->ic, err)) {
        groth16_vk_free(vk);
        return err->code;
    }
    return 0;
}
