/*
 * fixed.c - the fixed-point primitives every other file builds on: quantizing
 * reals, the rounding shift of requant, and the piecewise-linear activations.
 * The circuit compiler proves exactly these operations, so any change here is
 * a change of the proven semantics.
 */
#include "pipeline/quant/quant.h"

#include <math.h>

/* round(v * 2^scale), half away from zero (llround's rule). Calibration
 * quantizes millions of weights per candidate, so this avoids the libm calls:
 * a product with an exact power of two rounds as ldexp does, and x - trunc(x)
 * is exact, so the half test is too. */
int quant_quantize(double v, int scale, int64_t *out)
{
    double x = scale >= 0 && scale < 63 ? v * (double)((uint64_t)1 << scale) : ldexp(v, scale);
    if (!isfinite(x) || fabs(x) >= 0x1p62)
        return -1;
    int64_t i = (int64_t)x; /* toward zero */
    double frac = x - (double)i;
    *out = i + (frac >= 0.5) - (frac <= -0.5);
    return 0;
}

double quant_dequantize(int64_t q, int scale)
{
    return ldexp((double)q, -scale);
}

int64_t quant_round_shift(int64_t acc, int k)
{
    if (k <= 0)
        return acc;
    /* Arithmetic shift of a negative number is implementation-defined in C;
     * floor division keeps it portable. */
    int64_t t = acc + ((int64_t)1 << (k - 1));
    int64_t d = (int64_t)1 << k;
    int64_t q = t / d;
    if ((t % d) != 0 && t < 0)
        q -= 1;
    return q;
}

int quant_pwl_range_log2(quant_pwl_fn fn)
{
    return fn == QUANT_PWL_SIGMOID ? 3 : 2;
}

double quant_pwl_exact(quant_pwl_fn fn, double x)
{
    if (fn == QUANT_PWL_SIGMOID)
        return 1.0 / (1.0 + exp(-x));
    return tanh(x);
}
