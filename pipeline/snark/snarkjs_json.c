/*
 * snarkjs_json.c - verification_key.json, proof.json and public.json in
 * snarkjs's formats.
 *
 * Writing reproduces snarkjs's bytes: JSON.stringify(value, null, 1) layout
 * (one space per level), numbers as decimal strings, affine points as
 * [x, y, "1"], infinity as ["0", "1", "0"], G2 as [[x.c0, x.c1], [y.c0, y.c1],
 * ["1", "0"]], and vk_alphabeta_12 = e(alpha, beta)^m with the extra exponent
 * m = 2u(6u^2+3u+1) that snarkjs's final exponentiation leaves in.
 * Reading (cJSON) checks every number (< p for coordinates, < r for signals),
 * every point (on the curve; G2 also in the subgroup) and the shapes.
 */
#include "pipeline/snark/groth16.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_BYTES (64u << 20)

/* ---- writer ------------------------------------------------------------------ */

typedef struct jw {
    zkml_buf out;
    int depth, first[8], after_key;
} jw;

static void jw_str(jw *w, const char *s)
{
    zkml_buf_puts(&w->out, s);
}

/* Separator and indentation before a value or key inside a container. */
static void jw_prefix(jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth == 0)
        return;
    if (!w->first[w->depth])
        jw_str(w, ",");
    w->first[w->depth] = 0;
    jw_str(w, "\n");
    for (int i = 0; i < w->depth; i++)
        jw_str(w, " ");
}

static void jw_open(jw *w, const char *bracket)
{
    jw_prefix(w);
    jw_str(w, bracket);
    w->depth++;
    w->first[w->depth] = 1;
}

static void jw_close(jw *w, const char *bracket)
{
    int empty = w->first[w->depth];
    w->depth--;
    if (!empty) {
        jw_str(w, "\n");
        for (int i = 0; i < w->depth; i++)
            jw_str(w, " ");
    }
    jw_str(w, bracket);
}

static void jw_key(jw *w, const char *key)
{
    jw_prefix(w);
    jw_str(w, "\"");
    jw_str(w, key);
    jw_str(w, "\": ");
    w->after_key = 1;
}

static void jw_quoted(jw *w, const char *s)
{
    jw_prefix(w);
    jw_str(w, "\"");
    jw_str(w, s);
    jw_str(w, "\"");
}

static void jw_fp(jw *w, const fp_t *a)
{
    char d[80];
    fp_to_dec(d, a);
    jw_quoted(w, d);
}

static void jw_fp2(jw *w, const fp2_t *a)
{
    jw_open(w, "[");
    jw_fp(w, &a->c0);
    jw_fp(w, &a->c1);
    jw_close(w, "]");
}

static void jw_g1(jw *w, const g1_affine *p)
{
    jw_open(w, "[");
    if (p->infinity) {
        jw_quoted(w, "0");
        jw_quoted(w, "1");
        jw_quoted(w, "0");
    } else {
        jw_fp(w, &p->x);
        jw_fp(w, &p->y);
        jw_quoted(w, "1");
    }
    jw_close(w, "]");
}

static void jw_g2(jw *w, const g2_affine *p)
{
    fp2_t zero, one;
    fp2_zero(&zero);
    fp2_one(&one);
    jw_open(w, "[");
    jw_fp2(w, p->infinity ? &zero : &p->x);
    jw_fp2(w, p->infinity ? &one : &p->y);
    jw_fp2(w, p->infinity ? &zero : &one);
    jw_close(w, "]");
}

static int jw_commit(jw *w, const char *path, zkml_error *err)
{
    int rc = w->out.oom ? zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", path)
                        : zkml_write_file_atomic(path, w->out.data, w->out.len, err);
    zkml_buf_free(&w->out);
    return rc;
}

static void jw_fp6(jw *w, const fp6_t *a)
{
    jw_open(w, "[");
    jw_fp2(w, &a->c0);
    jw_fp2(w, &a->c1);
    jw_fp2(w, &a->c2);
    jw_close(w, "]");
}

int vk_json_write(const groth16_vk *vk, const char *path, zkml_error *err)
{
    /* m = 2u(6u^2+3u+1), the exponent snarkjs's pairing carries. */
    static const uint64_t m[3] = {0x2e5d4e223ddedaf4ULL, 0x1ea96b02d9d9e38dULL,
                                  0x3bec47df15e307c8ULL};
    fp12_t ab;
    char num[16];
    bn254_pairing(&ab, &vk->alpha1, &vk->beta2);
    fp12_pow(&ab, &ab, m, 3);
    jw w = {0};
    jw_open(&w, "{");
    jw_key(&w, "protocol");
    jw_quoted(&w, "groth16");
    jw_key(&w, "curve");
    jw_quoted(&w, "bn128");
    jw_key(&w, "nPublic");
    jw_prefix(&w);
    snprintf(num, sizeof num, "%u", vk->n_public);
    jw_str(&w, num);
    jw_key(&w, "vk_alpha_1");
    jw_g1(&w, &vk->alpha1);
    jw_key(&w, "vk_beta_2");
    jw_g2(&w, &vk->beta2);
    jw_key(&w, "vk_gamma_2");
    jw_g2(&w, &vk->gamma2);
    jw_key(&w, "vk_delta_2");
    jw_g2(&w, &vk->delta2);
    jw_key(&w, "vk_alphabeta_12");
    jw_open(&w, "[");
    jw_fp6(&w, &ab.c0);
    jw_fp6(&w, &ab.c1);
    jw_close(&w, "]");
    jw_key(&w, "IC");
    jw_open(&w, "[");
    for (uint32_t i = 0; i <= vk->n_public; i++)
        jw_g1(&w, &vk->ic[i]);
    jw_close(&w, "]");
    jw_close(&w, "}");
    return jw_commit(&w, path, err);
}

static void proof_json_build(jw *w, const groth16_proof *proof)
{
    jw_open(w, "{");
    jw_key(w, "pi_a");
    jw_g1(w, &proof->a);
    jw_key(w, "pi_b");
    jw_g2(w, &proof->b);
    jw_key(w, "pi_c");
    jw_g1(w, &proof->c);
    jw_key(w, "protocol");
    jw_quoted(w, "groth16");
    jw_key(w, "curve");
    jw_quoted(w, "bn128");
    jw_close(w, "}");
}

static void public_json_build(jw *w, const fr_t *pub, size_t n)
{
    char d[80];
    jw_open(w, "[");
    for (size_t i = 0; i < n; i++) {
        fr_to_dec(d, &pub[i]);
        jw_quoted(w, d);
    }
    jw_close(w, "]");
}

int proof_json_write(const groth16_proof *proof, const char *path, zkml_error *err)
{
    jw w = {0};
    proof_json_build(&w, proof);
    return jw_commit(&w, path, err);
}

int public_json_write(const fr_t *pub, size_t n, const char *path, zkml_error *err)
{
    jw w = {0};
    public_json_build(&w, pub, n);
    return jw_commit(&w, path, err);
}

int proof_json_text(const groth16_proof *proof, char **json, zkml_error *err)
{
    jw w = {0};
    proof_json_build(&w, proof);
    return zkml_buf_detach(&w.out, json, err);
}

int public_json_text(const fr_t *pub, size_t n, char **json, zkml_error *err)
{
    jw w = {0};
    public_json_build(&w, pub, n);
    return zkml_buf_detach(&w.out, json, err);
}

/* ---- reader ------------------------------------------------------------------ */

static int bad(zkml_error *err, const char *name, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(zkml_error *err, const char *name, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return zkml_fail(err, ZKML_EINVAL, "%s: %s: %s", name, field, msg);
}

static int array_of(const cJSON *j, int n)
{
    return cJSON_IsArray(j) && cJSON_GetArraySize(j) == n;
}

/* Element i of the array j, a decimal below p; messages name it field[i]. */
static int read_fp_at(fp_t *out, const cJSON *j, int i, const char *name, const char *field,
                      zkml_error *err)
{
    char sub[112]; /* room for read_fp2_at's field[i] and another [i] */
    snprintf(sub, sizeof sub, "%s[%d]", field, i);
    const cJSON *item = cJSON_GetArrayItem(j, i);
    if (!cJSON_IsString(item))
        return bad(err, name, sub, "expected a decimal string");
    if (fp_from_dec(out, item->valuestring))
        return bad(err, name, sub, "'%.80s' is not a number below the field modulus p",
                   item->valuestring);
    return 0;
}

/* Element i of the array j, an Fp2 element [c0, c1]. */
static int read_fp2_at(fp2_t *out, const cJSON *j, int i, const char *name, const char *field,
                       zkml_error *err)
{
    char sub[96];
    snprintf(sub, sizeof sub, "%s[%d]", field, i);
    const cJSON *item = cJSON_GetArrayItem(j, i);
    if (!array_of(item, 2))
        return bad(err, name, sub, "expected [c0, c1]");
    int rc = read_fp_at(&out->c0, item, 0, name, sub, err);
    return rc ? rc : read_fp_at(&out->c1, item, 1, name, sub, err);
}

static int read_g1(g1_affine *p, const cJSON *j, const char *name, const char *field,
                   zkml_error *err)
{
    fp_t z, one;
    if (!array_of(j, 3))
        return bad(err, name, field, "expected a G1 point [x, y, z]");
    int rc = read_fp_at(&p->x, j, 0, name, field, err);
    if (!rc)
        rc = read_fp_at(&p->y, j, 1, name, field, err);
    if (!rc)
        rc = read_fp_at(&z, j, 2, name, field, err);
    if (rc)
        return rc;
    fp_one(&one);
    p->infinity = fp_is_zero(&z);
    if (!p->infinity && !fp_eq(&z, &one))
        return bad(err, name, field, "the point is not affine (z is neither 0 nor 1)");
    if (p->infinity) {
        fp_zero(&p->x);
        fp_zero(&p->y);
    } else if (!g1_is_on_curve(p)) {
        return bad(err, name, field, "the point is not on the BN254 curve");
    }
    return 0;
}

static int read_g2(g2_affine *p, const cJSON *j, const char *name, const char *field,
                   zkml_error *err)
{
    fp2_t z, one;
    if (!array_of(j, 3))
        return bad(err, name, field, "expected a G2 point [[x0, x1], [y0, y1], [z0, z1]]");
    int rc = read_fp2_at(&p->x, j, 0, name, field, err);
    if (!rc)
        rc = read_fp2_at(&p->y, j, 1, name, field, err);
    if (!rc)
        rc = read_fp2_at(&z, j, 2, name, field, err);
    if (rc)
        return rc;
    fp2_one(&one);
    p->infinity = fp2_is_zero(&z);
    if (!p->infinity && !fp2_eq(&z, &one))
        return bad(err, name, field, "the point is not affine (z is neither 0 nor 1)");
    if (p->infinity) {
        fp2_zero(&p->x);
        fp2_zero(&p->y);
    } else if (!g2_is_on_curve(p)) {
        return bad(err, name, field, "the point is not on the BN254 twist curve");
    } else if (!g2_is_in_subgroup(p)) {
        return bad(err, name, field, "the point is not in the order-r subgroup of G2");
    }
    return 0;
}

static cJSON *parse_object(const char *text, size_t len, const char *name, zkml_error *err)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        zkml_fail(err, ZKML_EINVAL, "%s: not valid JSON", name);
        return NULL;
    }
    return root;
}

static int check_tag(const cJSON *root, const char *key, const char *want, const char *name,
                     zkml_error *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    if (j && !(cJSON_IsString(j) && strcmp(j->valuestring, want) == 0))
        return bad(err, name, key, "expected \"%s\"", want);
    return 0;
}

/* The fields of a parsed verification key object; vk->ic is the caller's to free. */
static int read_vk_fields(groth16_vk *vk, const cJSON *root, const char *name, zkml_error *err)
{
    const cJSON *ic = cJSON_GetObjectItemCaseSensitive(root, "IC");
    const cJSON *np = cJSON_GetObjectItemCaseSensitive(root, "nPublic");
    if (!cJSON_IsObject(root))
        return zkml_fail(err, ZKML_EINVAL, "%s: expected a JSON object", name);
    int rc = check_tag(root, "protocol", "groth16", name, err);
    if (!rc)
        rc = check_tag(root, "curve", "bn128", name, err);
    if (rc)
        return rc;
    if (!cJSON_IsArray(ic) || cJSON_GetArraySize(ic) < 1 || cJSON_GetArraySize(ic) > (1 << 20))
        return bad(err, name, "IC", "expected an array of 1 to 2^20 G1 points");
    vk->n_public = (uint32_t)cJSON_GetArraySize(ic) - 1;
    if (np && !(cJSON_IsNumber(np) && np->valuedouble == (double)vk->n_public))
        return bad(err, name, "nPublic", "does not match the %u points of IC minus one",
                   vk->n_public + 1);
    vk->ic = calloc(vk->n_public + 1, sizeof *vk->ic);
    if (!vk->ic)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", name);
    static const char *const g2_names[3] = {"vk_beta_2", "vk_gamma_2", "vk_delta_2"};
    g2_affine *g2[3] = {&vk->beta2, &vk->gamma2, &vk->delta2};
    rc = read_g1(&vk->alpha1, cJSON_GetObjectItemCaseSensitive(root, "vk_alpha_1"), name,
                 "vk_alpha_1", err);
    for (int i = 0; i < 3 && !rc; i++)
        rc = read_g2(g2[i], cJSON_GetObjectItemCaseSensitive(root, g2_names[i]), name, g2_names[i],
                     err);
    for (uint32_t i = 0; i <= vk->n_public && !rc; i++) {
        char field[32];
        snprintf(field, sizeof field, "IC[%u]", i);
        rc = read_g1(&vk->ic[i], cJSON_GetArrayItem(ic, (int)i), name, field, err);
    }
    return rc;
}

int vk_json_parse(groth16_vk *vk, const char *text, size_t len, const char *name, zkml_error *err)
{
    memset(vk, 0, sizeof *vk);
    cJSON *root = parse_object(text, len, name, err);
    if (!root)
        return ZKML_EINVAL;
    int rc = read_vk_fields(vk, root, name, err);
    cJSON_Delete(root);
    if (rc)
        groth16_vk_free(vk);
    return rc;
}

int proof_json_parse(groth16_proof *proof, const char *text, size_t len, const char *name,
                     zkml_error *err)
{
    memset(proof, 0, sizeof *proof);
    cJSON *root = parse_object(text, len, name, err);
    if (!root)
        return ZKML_EINVAL;
    int rc =
        cJSON_IsObject(root) ? 0 : zkml_fail(err, ZKML_EINVAL, "%s: expected a JSON object", name);
    if (!rc)
        rc = check_tag(root, "protocol", "groth16", name, err);
    if (!rc)
        rc = check_tag(root, "curve", "bn128", name, err);
    if (!rc)
        rc = read_g1(&proof->a, cJSON_GetObjectItemCaseSensitive(root, "pi_a"), name, "pi_a", err);
    if (!rc)
        rc = read_g2(&proof->b, cJSON_GetObjectItemCaseSensitive(root, "pi_b"), name, "pi_b", err);
    if (!rc)
        rc = read_g1(&proof->c, cJSON_GetObjectItemCaseSensitive(root, "pi_c"), name, "pi_c", err);
    cJSON_Delete(root);
    return rc;
}

int public_json_parse(fr_t **pub, size_t *n, const char *text, size_t len, const char *name,
                      zkml_error *err)
{
    *pub = NULL;
    *n = 0;
    cJSON *root = parse_object(text, len, name, err);
    if (!root)
        return ZKML_EINVAL;
    int rc = 0;
    int count = cJSON_IsArray(root) ? cJSON_GetArraySize(root) : -1;
    fr_t *out = count >= 0 ? calloc((size_t)count + 1, sizeof *out) : NULL;
    if (count < 0)
        rc = zkml_fail(err, ZKML_EINVAL, "%s: expected an array of decimal strings", name);
    else if (!out)
        rc = zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", name);
    int i = 0;
    for (const cJSON *j = rc ? NULL : root->child; j && !rc; j = j->next, i++)
        if (!cJSON_IsString(j) || fr_from_dec(&out[i], j->valuestring))
            rc = zkml_fail(err, ZKML_EINVAL,
                           "%s: [%d]: not a decimal number below the "
                           "scalar field modulus r",
                           name, i);
    cJSON_Delete(root);
    if (rc) {
        free(out);
        return rc;
    }
    *pub = out;
    *n = (size_t)count;
    return 0;
}

/* ---- files ------------------------------------------------------------------- */

int vk_json_read(groth16_vk *vk, const char *path, zkml_error *err)
{
    uint8_t *text;
    size_t len;
    memset(vk, 0, sizeof *vk);
    int rc = zkml_read_file(path, JSON_MAX_BYTES, &text, &len, err);
    if (rc)
        return rc;
    rc = vk_json_parse(vk, (const char *)text, len, path, err);
    free(text);
    return rc;
}

int proof_json_read(groth16_proof *proof, const char *path, zkml_error *err)
{
    uint8_t *text;
    size_t len;
    memset(proof, 0, sizeof *proof);
    int rc = zkml_read_file(path, JSON_MAX_BYTES, &text, &len, err);
    if (rc)
        return rc;
    rc = proof_json_parse(proof, (const char *)text, len, path, err);
    free(text);
    return rc;
}

int public_json_read(fr_t **pub, size_t *n, const char *path, zkml_error *err)
{
    uint8_t *text;
    size_t len;
    *pub = NULL;
    *n = 0;
    int rc = zkml_read_file(path, JSON_MAX_BYTES, &text, &len, err);
    if (rc)
        return rc;
    rc = public_json_parse(pub, n, (const char *)text, len, path, err);
    free(text);
    return rc;
}
