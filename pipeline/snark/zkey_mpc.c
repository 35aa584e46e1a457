/*
 * zkey_mpc.c - the ceremony record of a .zkey (section 10) and the blake2b
 * transcripts over it (contracts in zkey.h).
 *
 * A contribution is stored as deltaAfter, g1_s, g1_sx (G1, LEM), g2_spx (G2,
 * LEM), the 64-byte transcript, u32 type, then u32 length and a parameter
 * list sorted by tag: 1 name (u8 length, UTF-8), 2 iterations exponent (u8),
 * 3 beacon hash (u8 length, bytes). The last two appear for beacons only.
 */
#include "pipeline/snark/lem.h"
#include "pipeline/snark/zkey.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

int b2_init(b2 *h, zkml_error *err)
{
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || !EVP_DigestInit_ex(h->ctx, EVP_blake2b512(), NULL)) {
        b2_free(h);
        return zkml_fail(err, ZKML_ENOMEM, "blake2b: cannot create a hash context");
    }
    return 0;
}

int b2_copy(b2 *dst, const b2 *src, zkml_error *err)
{
    dst->ctx = EVP_MD_CTX_new();
    if (!dst->ctx || !EVP_MD_CTX_copy_ex(dst->ctx, src->ctx)) {
        b2_free(dst);
        return zkml_fail(err, ZKML_ENOMEM, "blake2b: cannot copy a hash context");
    }
    return 0;
}

void b2_update(b2 *h, const void *p, size_t n)
{
    EVP_DigestUpdate(h->ctx, p, n);
}

void b2_u32be(b2 *h, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    b2_update(h, b, 4);
}

void b2_g1(b2 *h, const g1_affine *p)
{
    uint8_t b[LEM_G1];
    unc_put_g1(b, p);
    b2_update(h, b, sizeof b);
}

void b2_g2(b2 *h, const g2_affine *p)
{
    uint8_t b[LEM_G2];
    unc_put_g2(b, p);
    b2_update(h, b, sizeof b);
}

void b2_final(b2 *h, uint8_t out[64])
{
    unsigned int n = 64;
    if (!EVP_DigestFinal_ex(h->ctx, out, &n))
        memset(out, 0, 64);
    b2_free(h);
}

void b2_free(b2 *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

/* ---- section 10 ------------------------------------------------------------- */

static int get_g1(bcur *c, g1_affine *p)
{
    const uint8_t *b;
    return bcur_bytes(c, &b, LEM_G1) || lem_get_g1(p, b) ? -1 : 0;
}

static int get_g2(bcur *c, g2_affine *p)
{
    const uint8_t *b;
    return bcur_bytes(c, &b, LEM_G2) || lem_get_g2(p, b) || !g2_is_in_subgroup(p) ? -1 : 0;
}

/* The parameter list, tags strictly increasing as snarkjs requires. */
static int parse_params(zkey_contribution *z, bcur *c)
{
    unsigned last = 0;
    const uint8_t *b;
    while (c->left) {
        uint8_t tag, len = 0;
        if (bcur_bytes(c, &b, 1) || b[0] <= last)
            return -1;
        tag = b[0];
        last = tag;
        if (tag > 3 || bcur_bytes(c, &b, 1))
            return -1;
        if (tag == 2) {
            z->iterations_exp = b[0];
            continue;
        }
        len = b[0];
        if (bcur_bytes(c, &b, len))
            return -1;
        if (tag == 1) {
            memcpy(z->name, b, len);
            z->name[len] = 0;
        } else {
            memcpy(z->beacon, b, len);
            z->beacon_len = len;
        }
    }
    return 0;
}

static int parse_one(zkey_contribution *z, bcur *c)
{
    const uint8_t *t;
    uint32_t plen;
    memset(z, 0, sizeof *z);
    if (get_g1(c, &z->delta_after) || get_g1(c, &z->g1_s) || get_g1(c, &z->g1_sx) ||
        get_g2(c, &z->g2_spx) || bcur_bytes(c, &t, 64) || bcur_u32(c, &z->type) || z->type > 1 ||
        bcur_u32(c, &plen) || plen > c->left)
        return -1;
    memcpy(z->transcript, t, 64);
    bcur params = {c->p, plen};
    c->p += plen;
    c->left -= plen;
    return parse_params(z, &params);
}

int zkey_mpc_parse(zkey_mpc *mpc, const uint8_t *p, size_t len, const char *name, zkml_error *err)
{
    memset(mpc, 0, sizeof *mpc);
    bcur c = {p, len};
    const uint8_t *h;
    uint32_t n;
    if (bcur_bytes(&c, &h, 64) || bcur_u32(&c, &n))
        return zkml_fail(err, ZKML_EINVAL, "%s: the contributions (section 10) are truncated",
                         name);
    memcpy(mpc->cs_hash, h, 64);
    if (n > c.left / (3 * LEM_G1 + LEM_G2 + 72))
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: section 10 claims %u contributions, more "
                         "than it can hold",
                         name, n);
    mpc->c = calloc(n ? n : 1, sizeof *mpc->c);
    if (!mpc->c)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for %u contributions", name, n);
    for (mpc->n = 0; mpc->n < n; mpc->n++)
        if (parse_one(&mpc->c[mpc->n], &c)) {
            zkey_mpc_free(mpc);
            return zkml_fail(err, ZKML_EINVAL,
                             "%s: contribution %u in section 10 is "
                             "malformed (a point off its curve, or bad parameters)",
                             name, mpc->n + 1);
        }
    if (c.left) {
        zkey_mpc_free(mpc);
        return zkml_fail(err, ZKML_EINVAL, "%s: %zu stray bytes after the contributions", name,
                         c.left);
    }
    return 0;
}

static size_t params_of(const zkey_contribution *z, uint8_t out[600])
{
    size_t n = 0, len = strlen(z->name);
    if (len) {
        out[n++] = 1;
        out[n++] = (uint8_t)len;
        memcpy(out + n, z->name, len);
        n += len;
    }
    if (z->type == 1) {
        out[n++] = 2;
        out[n++] = z->iterations_exp;
        out[n++] = 3;
        out[n++] = z->beacon_len;
        memcpy(out + n, z->beacon, z->beacon_len);
        n += z->beacon_len;
    }
    return n;
}

void zkey_mpc_write(bwriter *w, const zkey_mpc *mpc)
{
    uint8_t params[600], pt[LEM_G2];
    uint64_t size = 68;
    for (uint32_t i = 0; i < mpc->n; i++)
        size += 3 * LEM_G1 + LEM_G2 + 64 + 8 + params_of(&mpc->c[i], params);
    bw_u32(w, 10);
    bw_u64(w, size);
    bw_bytes(w, mpc->cs_hash, 64);
    bw_u32(w, mpc->n);
    for (uint32_t i = 0; i < mpc->n; i++) {
        const zkey_contribution *z = &mpc->c[i];
        lem_put_g1(pt, &z->delta_after);
        bw_bytes(w, pt, LEM_G1);
        lem_put_g1(pt, &z->g1_s);
        bw_bytes(w, pt, LEM_G1);
        lem_put_g1(pt, &z->g1_sx);
        bw_bytes(w, pt, LEM_G1);
        lem_put_g2(pt, &z->g2_spx);
        bw_bytes(w, pt, LEM_G2);
        bw_bytes(w, z->transcript, 64);
        bw_u32(w, z->type);
        size_t np = params_of(z, params);
        bw_u32(w, (uint32_t)np);
        bw_bytes(w, params, np);
    }
}

int zkey_mpc_push(zkey_mpc *mpc, const zkey_contribution *c, zkml_error *err)
{
    zkey_contribution *grown = realloc(mpc->c, (mpc->n + 1) * sizeof *grown);
    if (!grown)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory for a contribution");
    mpc->c = grown;
    mpc->c[mpc->n++] = *c;
    return 0;
}

void zkey_mpc_free(zkey_mpc *mpc)
{
    free(mpc->c);
    memset(mpc, 0, sizeof *mpc);
}

static void hash_pub_key(b2 *h, const zkey_contribution *c)
{
    b2_g1(h, &c->delta_after);
    b2_g1(h, &c->g1_s);
    b2_g1(h, &c->g1_sx);
    b2_g2(h, &c->g2_spx);
    b2_update(h, c->transcript, 64);
}

int zkey_contribution_hash(const zkey_contribution *c, uint8_t out[64], zkml_error *err)
{
    b2 h;
    if (b2_init(&h, err))
        return err->code;
    hash_pub_key(&h, c);
    b2_final(&h, out);
    return 0;
}

int zkey_mpc_hasher(const zkey_mpc *mpc, uint32_t upto, b2 *h, zkml_error *err)
{
    if (b2_init(h, err))
        return err->code;
    b2_update(h, mpc->cs_hash, 64);
    for (uint32_t i = 0; i < upto && i < mpc->n; i++)
        hash_pub_key(h, &mpc->c[i]);
    return 0;
}
