/*
 * eval_window.c - float Conv, MaxPool and AveragePool over 1-D and 2-D inputs
 * (a 1-D input is run as 2-D with height 1), using the normalized attributes
 * (explicit kernel_shape, strides, dilations, pads) set at load.
 */
#include <math.h>
#include <stdlib.h>

#include "eval_internal.h"

typedef struct window {
    size_t N, C, H, W, OC, OH, OW;
    int64_t kh, kw, sh, sw, dh, dw, ph, pw, ph_end, pw_end;
} window;

static void window_from(const onnx_model *m, const onnx_node *n, window *g)
{
    const onnx_tensor *x = &m->tensors[n->inputs[0]], *y = &m->tensors[n->outputs[0]];
    size_t nk;
    const int64_t *k = onnx_attr_ints(n, "kernel_shape", &nk);
    const int64_t *s = onnx_attr_ints(n, "strides", &nk);
    const int64_t *d = onnx_attr_ints(n, "dilations", &nk);
    const int64_t *p = onnx_attr_ints(n, "pads", &nk);
    int two = x->rank == 4;
    int sp = two ? 2 : 1;
    g->N = (size_t)x->shape[0];
    g->C = (size_t)x->shape[1];
    g->OC = (size_t)y->shape[1];
    g->H = two ? (size_t)x->shape[2] : 1;
    g->W = (size_t)x->shape[x->rank - 1];
    g->OH = two ? (size_t)y->shape[2] : 1;
    g->OW = (size_t)y->shape[y->rank - 1];
    g->kh = two ? k[0] : 1;
    g->sh = two ? s[0] : 1;
    g->dh = two ? d[0] : 1;
    g->ph = two ? p[0] : 0;
    g->ph_end = two ? p[sp] : 0;
    g->kw = k[sp - 1];
    g->sw = s[sp - 1];
    g->dw = d[sp - 1];
    g->pw = p[sp - 1];
    g->pw_end = p[2 * sp - 1];
}

int onnx_eval_conv(const onnx_model *m, const onnx_node *n, float **v, zkml_error *err)
{
    (void)err;
    window g;
    window_from(m, n, &g);
    size_t group = (size_t)onnx_attr_int(n, "group", 1);
    size_t cg = g.C / group, og = g.OC / group;
    const float *x = v[n->inputs[0]], *w = v[n->inputs[1]];
    const float *b = n->n_inputs > 2 && n->inputs[2] >= 0 ? v[n->inputs[2]] : NULL;
    float *y = v[n->outputs[0]];
    for (size_t bn = 0; bn < g.N; bn++)
        for (size_t oc = 0; oc < g.OC; oc++) {
            size_t c0 = (oc / og) * cg;
            for (size_t oh = 0; oh < g.OH; oh++)
                for (size_t ow = 0; ow < g.OW; ow++) {
                    double acc = b ? b[oc] : 0;
                    for (size_t c = 0; c < cg; c++)
                        for (int64_t i = 0; i < g.kh; i++) {
                            int64_t ih = (int64_t)oh * g.sh - g.ph + i * g.dh;
                            if (ih < 0 || ih >= (int64_t)g.H)
                                continue;
                            for (int64_t j = 0; j < g.kw; j++) {
                                int64_t iw = (int64_t)ow * g.sw - g.pw + j * g.dw;
                                if (iw < 0 || iw >= (int64_t)g.W)
                                    continue;
                                float xv =
                                    x[((bn * g.C + c0 + c) * g.H + (size_t)ih) * g.W + (size_t)iw];
                                float wv =
                                    w[((oc * cg + c) * (size_t)g.kh + (size_t)i) * (size_t)g.kw +
                                      (size_t)j];
                                acc += (double)xv * wv;
                            }
                        }
                    y[((bn * g.OC + oc) * g.OH + oh) * g.OW + ow] = (float)acc;
                }
        }
    return 0;
}

int onnx_eval_pool(const onnx_model *m, const onnx_node *n, float **v, zkml_error *err)
{
    (void)err;
    window g;
    window_from(m, n, &g);
    int is_max = n->op == ONNX_OP_MAX_POOL;
    int include_pad = onnx_attr_int(n, "count_include_pad", 0) != 0;
    const float *x = v[n->inputs[0]];
    float *y = v[n->outputs[0]];
    for (size_t nc = 0; nc < g.N * g.C; nc++)
        for (size_t oh = 0; oh < g.OH; oh++)
            for (size_t ow = 0; ow < g.OW; ow++) {
                double acc = is_max ? -INFINITY : 0;
                size_t count = 0;
                for (int64_t i = 0; i < g.kh; i++) {
                    int64_t ih = (int64_t)oh * g.sh - g.ph + i * g.dh;
                    int h_in_pad = ih >= -g.ph && ih < (int64_t)g.H + g.ph_end;
                    for (int64_t j = 0; j < g.kw; j++) {
                        int64_t iw = (int64_t)ow * g.sw - g.pw + j * g.dw;
                        int inside = ih >= 0 && ih < (int64_t)g.H && iw >= 0 && iw < (int64_t)g.W;
                        if (include_pad && h_in_pad && iw >= -g.pw && iw < (int64_t)g.W + g.pw_end)
                            count++;
                        if (!inside)
                            continue;
                        float xv = x[(nc * g.H + (size_t)ih) * g.W + (size_t)iw];
                        if (is_max)
                            acc = xv > acc ? xv : acc;
                        else
                            acc += xv;
                        if (!include_pad)
                            count++;
                    }
                }
                y[(nc * g.OH + oh) * g.OW + ow] =
                    (float)(is_max ? acc : (count ? acc / (double)count : 0));
            }
    return 0;
}
