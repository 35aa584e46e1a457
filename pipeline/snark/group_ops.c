/* group_ops.c - the group table and digit recoding of group_ops.h. */
#include "pipeline/snark/group_ops.h"

#include "pipeline/snark/g1_ifma.h"
#include "pipeline/snark/g2_ifma.h"

#include <string.h>

static void g1_zero_op(void *r)
{
    memset(r, 0, sizeof(g1_jac));
}
static int g1_inf_op(const void *p)
{
    return ((const g1_affine *)p)->infinity;
}
static void g1_set_inf_op(void *p)
{
    ((g1_affine *)p)->infinity = 1;
}
static void g1_neg_op(void *p)
{
    fp_neg(&((g1_affine *)p)->y, &((g1_affine *)p)->y);
}
static void g1_add_aff_op(void *r, const void *p, int negate)
{
    if (!negate) {
        g1_add_affine(r, r, p);
        return;
    }
    g1_affine q = *(const g1_affine *)p;
    fp_neg(&q.y, &q.y);
    g1_add_affine(r, r, &q);
}
static void g1_add_op(void *r, const void *b)
{
    g1_add(r, r, b);
}
static void g1_dbl_op(void *r)
{
    g1_double(r, r);
}
static void g1_jac_neg_op(void *r)
{
    g1_neg(r, r);
}
static void g1_batch_add_op(void *lhs, const void *rhs, size_t n, void *scratch)
{
    if (fp_ifma_usable())
        g1_ifma_batch_add(lhs, lhs, rhs, n, scratch);
    else
        g1_batch_add_affine(lhs, lhs, rhs, n, scratch);
}
static size_t g1_batch_scratch_op(size_t n)
{
    size_t vectors = g1_ifma_batch_scratch(n), portable = n * sizeof(fp_t);
    return vectors > portable ? vectors : portable;
}
static int g1_to_affine_op(void *out, const void *in, size_t n)
{
    return g1_batch_to_affine(out, in, n);
}

static void g2_zero_op(void *r)
{
    memset(r, 0, sizeof(g2_jac));
}
static int g2_inf_op(const void *p)
{
    return ((const g2_affine *)p)->infinity;
}
static void g2_set_inf_op(void *p)
{
    ((g2_affine *)p)->infinity = 1;
}
static void g2_neg_op(void *p)
{
    fp2_neg(&((g2_affine *)p)->y, &((g2_affine *)p)->y);
}
static void g2_add_aff_op(void *r, const void *p, int negate)
{
    if (!negate) {
        g2_add_affine(r, r, p);
        return;
    }
    g2_affine q = *(const g2_affine *)p;
    fp2_neg(&q.y, &q.y);
    g2_add_affine(r, r, &q);
}
static void g2_add_op(void *r, const void *b)
{
    g2_add(r, r, b);
}
static void g2_dbl_op(void *r)
{
    g2_double(r, r);
}
static void g2_jac_neg_op(void *r)
{
    g2_neg(r, r);
}
static int g2_to_affine_op(void *out, const void *in, size_t n)
{
    return g2_batch_to_affine(out, in, n);
}

static void g2_batch_add_op(void *lhs, const void *rhs, size_t n, void *scratch)
{
    if (fp_ifma_usable())
        g2_ifma_batch_add(lhs, lhs, rhs, n, scratch);
    else
        g2_batch_add_affine(lhs, lhs, rhs, n, scratch);
}
static size_t g2_batch_scratch_op(size_t n)
{
    size_t vectors = g2_ifma_batch_scratch(n), portable = n * sizeof(fp2_t);
    return vectors > portable ? vectors : portable;
}

const group_ops G1_OPS = {.aff_size = sizeof(g1_affine),
                          .jac_size = sizeof(g1_jac),
                          .jac_zero = g1_zero_op,
                          .aff_is_inf = g1_inf_op,
                          .aff_set_inf = g1_set_inf_op,
                          .aff_neg = g1_neg_op,
                          .add_aff = g1_add_aff_op,
                          .add = g1_add_op,
                          .dbl = g1_dbl_op,
                          .jac_neg = g1_jac_neg_op,
                          .batch_add = g1_batch_add_op,
                          .batch_scratch = g1_batch_scratch_op,
                          .batch_to_affine = g1_to_affine_op};
const group_ops G2_OPS = {.aff_size = sizeof(g2_affine),
                          .jac_size = sizeof(g2_jac),
                          .jac_zero = g2_zero_op,
                          .aff_is_inf = g2_inf_op,
                          .aff_set_inf = g2_set_inf_op,
                          .aff_neg = g2_neg_op,
                          .add_aff = g2_add_aff_op,
                          .add = g2_add_op,
                          .dbl = g2_dbl_op,
                          .jac_neg = g2_jac_neg_op,
                          .batch_add = g2_batch_add_op,
                          .batch_scratch = g2_batch_scratch_op,
                          .batch_to_affine = g2_to_affine_op};

/* c bits of the normal-form scalar s starting at bit off (bits past 255 are 0). */
static uint32_t scalar_bits(const uint64_t s[4], uint32_t off, uint32_t c)
{
    uint32_t limb = off / 64, shift = off % 64;
    if (limb >= 4)
        return 0;
    uint64_t v = s[limb] >> shift;
    if (shift + c > 64 && limb + 1 < 4)
        v |= s[limb + 1] << (64 - shift);
    return (uint32_t)(v & ((1ULL << c) - 1));
}

void signed_digits(uint16_t *out, size_t stride, const uint64_t s[4], uint32_t c, uint32_t nwin)
{
    const uint32_t half = 1u << (c - 1);
    uint32_t carry = 0;
    for (uint32_t w = 0; w < nwin; w++) {
        int32_t d = (int32_t)(scalar_bits(s, w * c, c) + carry);
        carry = d > (int32_t)half;
        if (carry)
            d -= (int32_t)(1u << c);
        uint32_t magnitude = (uint32_t)(d > 0 ? d : -d);
        out[(size_t)w * stride] =
            (uint16_t)(d == 0 ? DIGIT_ZERO : (magnitude - 1) << 1 | (uint32_t)(d < 0));
    }
}
