/*
 * ptau.c - the Powers of Tau reader (contracts and layout in ptau.h).
 */
#include "pipeline/snark/ptau.h"
#include "pipeline/snark/lem.h"

#include <string.h>

static int parse_header(ptau *pt, zkml_error *err)
{
    const char *name = pt->bf.name;
    bcur c;
    uint32_t n8;
    const uint8_t *q;
    if (binfile_section(&pt->bf, 1, 1, &c, NULL, err))
        return err->code;
    if (bcur_u32(&c, &n8))
        return zkml_fail(err, ZKML_EINVAL, "%s: the header (section 1) is truncated", name);
    if (n8 != 32 || bcur_bytes(&c, &q, 32) || memcmp(q, BN254_P_LE, 32) != 0)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: the header names another curve (field of %u "
                         "bytes, not BN254's p); only bn128/BN254 files are supported",
                         name, n8);
    if (bcur_u32(&c, &pt->power) || bcur_u32(&c, &pt->ceremony_power) || c.left != 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: the header (section 1) is %s", name,
                         c.left ? "longer than 44 bytes" : "truncated");
    if (pt->power < 1 || pt->power > PTAU_MAX_POWER)
        return zkml_fail(err, ZKML_EINVAL, "%s: power %u in the header; BN254 allows 1..%d", name,
                         pt->power, PTAU_MAX_POWER);
    return 0;
}

/* The section of this type, which must be exactly `size` bytes. */
static int sized_section(ptau *pt, uint32_t type, uint64_t size, const uint8_t **out,
                         zkml_error *err)
{
    bcur c;
    if (binfile_section(&pt->bf, type, 1, &c, NULL, err))
        return err->code;
    if (c.left != size)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: section %u is %zu bytes; power %u needs %llu "
                         "(truncated or corrupt file)",
                         pt->bf.name, type, c.left, pt->power, (unsigned long long)size);
    *out = c.p;
    return 0;
}

static int parse_lagrange(ptau *pt, zkml_error *err)
{
    int found = 0;
    bcur c;
    uint64_t n = (uint64_t)1 << pt->power;
    for (uint32_t s = 12; s <= 15; s++) {
        int f;
        if (binfile_section(&pt->bf, s, 0, &c, &f, err))
            return err->code;
        found += f;
    }
    if (found == 0)
        return 0;
    if (found != 4)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: only %d of the 4 Lagrange sections (12..15) "
                         "are present",
                         pt->bf.name, found);
    pt->prepared = 1;
    return sized_section(pt, 12, (4 * n - 1) * LEM_G1, &pt->lagrange[PTAU_TAU_G1], err) ||
                   sized_section(pt, 13, (2 * n - 1) * LEM_G2, &pt->lagrange[PTAU_TAU_G2], err) ||
                   sized_section(pt, 14, (2 * n - 1) * LEM_G1, &pt->lagrange[PTAU_ALPHA_G1], err) ||
                   sized_section(pt, 15, (2 * n - 1) * LEM_G1, &pt->lagrange[PTAU_BETA_G1], err)
               ? err->code
               : 0;
}

int ptau_parse(ptau *pt, const uint8_t *data, size_t len, const char *name, zkml_error *err)
{
    memset(pt, 0, sizeof *pt);
    if (binfile_open(&pt->bf, data, len, "ptau", name, err))
        return err->code;
    if (pt->bf.version != 1)
        return zkml_fail(err, ZKML_EINVAL, "%s: version %u, only version 1 is known", name,
                         pt->bf.version);
    if (parse_header(pt, err))
        return err->code;
    uint64_t n = (uint64_t)1 << pt->power;
    const uint8_t *contrib;
    bcur c;
    if (sized_section(pt, 2, (2 * n - 1) * LEM_G1, &pt->powers[PTAU_TAU_G1], err) ||
        sized_section(pt, 3, n * LEM_G2, &pt->powers[PTAU_TAU_G2], err) ||
        sized_section(pt, 4, n * LEM_G1, &pt->powers[PTAU_ALPHA_G1], err) ||
        sized_section(pt, 5, n * LEM_G1, &pt->powers[PTAU_BETA_G1], err) ||
        sized_section(pt, 6, LEM_G2, &pt->beta_g2, err) ||
        binfile_section(&pt->bf, 7, 1, &c, NULL, err))
        return err->code;
    contrib = c.p;
    if (c.left < 4)
        return zkml_fail(err, ZKML_EINVAL, "%s: the contributions (section 7) are truncated", name);
    pt->n_contributions = (uint32_t)contrib[0] | (uint32_t)contrib[1] << 8 |
                          (uint32_t)contrib[2] << 16 | (uint32_t)contrib[3] << 24;
    return parse_lagrange(pt, err);
}

int ptau_open(ptau *pt, const char *path, zkml_error *err)
{
    void *map;
    size_t len;
    memset(pt, 0, sizeof *pt);
    if (binfile_map(path, "ptau", &map, &len, err))
        return err->code;
    if (ptau_parse(pt, map, len, path, err)) {
        binfile_unmap(map, len);
        return err->code;
    }
    pt->map = map;
    pt->map_len = len;
    return 0;
}

void ptau_release(const ptau *pt)
{
    binfile_release(pt->map, pt->map_len);
}

void ptau_close(ptau *pt)
{
    binfile_unmap(pt->map, pt->map_len);
    memset(pt, 0, sizeof *pt);
}

int ptau_check_domain(const ptau *pt, uint32_t log_n, zkml_error *err)
{
    if (log_n > pt->power)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: the circuit needs a powers-of-tau file of "
                         "power %u or more (a domain of 2^%u points); this one has power %u",
                         pt->bf.name, log_n, log_n, pt->power);
    if (!pt->prepared)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: not prepared for phase 2 (no Lagrange "
                         "sections 12..15); run `snarkjs powersoftau prepare phase2` or use "
                         "a *_final_*.ptau file",
                         pt->bf.name);
    return 0;
}

static const uint8_t *base_ptr(const ptau *pt, int base, int lagrange, size_t i, size_t *limit)
{
    uint64_t n = (uint64_t)1 << pt->power;
    const uint8_t *p = lagrange ? pt->lagrange[base] : pt->powers[base];
    if (lagrange)
        *limit = base == PTAU_TAU_G1 ? 4 * n - 1 : 2 * n - 1;
    else
        *limit = base == PTAU_TAU_G1 ? 2 * n - 1 : n;
    return p && i < *limit ? p : NULL;
}

static int bad_point(const ptau *pt, int base, int lagrange, size_t i, size_t size,
                     const uint8_t *sec, zkml_error *err)
{
    size_t off = sec ? (size_t)(sec - pt->bf.data) + i * size : 0;
    return zkml_fail(err, ZKML_EINVAL, "%s: point %zu of section %d (byte offset %zu) is %s",
                     pt->bf.name, i, (lagrange ? 12 : 2) + base, off,
                     sec ? "not a valid curve point" : "missing (index out of range)");
}

int ptau_g1(const ptau *pt, int base, int lagrange, size_t i, g1_affine *out, zkml_error *err)
{
    size_t limit;
    const uint8_t *sec = base_ptr(pt, base, lagrange, i, &limit);
    if (!sec || base == PTAU_TAU_G2 || lem_get_g1(out, sec + i * LEM_G1))
        return bad_point(pt, base, lagrange, i, LEM_G1, sec, err);
    return 0;
}

int ptau_g2(const ptau *pt, int lagrange, size_t i, g2_affine *out, zkml_error *err)
{
    size_t limit;
    const uint8_t *sec = base_ptr(pt, PTAU_TAU_G2, lagrange, i, &limit);
    if (!sec || lem_get_g2(out, sec + i * LEM_G2))
        return bad_point(pt, PTAU_TAU_G2, lagrange, i, LEM_G2, sec, err);
    return 0;
}

void ptau_g1_again(const ptau *pt, int base, int lagrange, size_t i, g1_affine *out)
{
    size_t limit;
    lem_read_g1(out, base_ptr(pt, base, lagrange, i, &limit) + i * LEM_G1);
}

void ptau_g2_again(const ptau *pt, int lagrange, size_t i, g2_affine *out)
{
    size_t limit;
    lem_read_g2(out, base_ptr(pt, PTAU_TAU_G2, lagrange, i, &limit) + i * LEM_G2);
}

int ptau_beta_g2(const ptau *pt, g2_affine *out, zkml_error *err)
{
    if (lem_get_g2(out, pt->beta_g2) || !g2_is_in_subgroup(out))
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: betaG2 (section 6, byte offset %zu) is not a "
                         "point of G2",
                         pt->bf.name, (size_t)(pt->beta_g2 - pt->bf.data));
    return 0;
}
