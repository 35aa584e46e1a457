/*
 * snarkjs_json.c - reads snarkjs's verification_key.json, proof.json and
 * public.json into EVM words. Every value is checked: decimal strings below
 * the right field order, affine points (z = 1) or points at infinity (z = 0,
 * encoded as zero words as EIP-196/197 expect), and counts that agree.
 * Messages name the file and the field ("proof.json: pi_b[1][0]: ...").
 */
#include "pipeline/evm/evm.h"
#include "pipeline/evm/evm_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    JSON_MAX_BYTES = 64 << 20,
    MAX_PUBLIC_SIGNALS = 1 << 20,
};

/* A field element: a decimal string below q (a point coordinate) or r (a
 * public signal). */
typedef struct field_bound {
    const uint8_t *order;
    const char *name;
} field_bound;

static const field_bound base_field = {evm_field_q, "base field order q"};
static const field_bound scalar_field = {evm_field_r, "scalar field order r"};

static int parse_dec(evm_word out, const cJSON *item, const field_bound *field_of,
                     const char *origin, const char *field, zkml_error *err)
{
    if (!cJSON_IsString(item))
        return zkml_fail(err, ZKML_EINVAL, "%s: %s: expected a decimal string", origin, field);
    if (evm_word_from_dec(out, item->valuestring, field_of->order) != 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: %s: \"%.80s\" is not a decimal number below the %s",
                         origin, field, item->valuestring, field_of->name);
    return 0;
}

static const cJSON *array_of(const cJSON *item, int n, const char *origin, const char *field,
                             zkml_error *err)
{
    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != n) {
        zkml_fail(err, ZKML_EINVAL, "%s: %s: expected an array of %d elements", origin, field, n);
        return NULL;
    }
    return item;
}

/* 1 for "1", 0 for "0" (infinity), -1 for anything else. */
static int projective_z(const cJSON *z)
{
    if (!cJSON_IsString(z))
        return -1;
    if (strcmp(z->valuestring, "1") == 0)
        return 1;
    if (strcmp(z->valuestring, "0") == 0)
        return 0;
    return -1;
}

/* A G1 point [x, y, z] -> 2 words. */
static int parse_g1(evm_word out[2], const cJSON *item, const char *origin, const char *field,
                    zkml_error *err)
{
    if (!array_of(item, 3, origin, field, err))
        return err->code;
    int z = projective_z(cJSON_GetArrayItem(item, 2));
    if (z < 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: %s: z must be \"1\" (affine) or \"0\" (infinity)",
                         origin, field);
    if (z == 0) {
        memset(out, 0, 2 * sizeof(evm_word));
        return 0;
    }
    char name[96];
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "%s[%d]", field, i);
        int rc = parse_dec(out[i], cJSON_GetArrayItem(item, i), &base_field, origin, name, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* A G2 point [[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]] -> 4 words in
 * EIP-197 order: x.c1, x.c0, y.c1, y.c0. */
static int parse_g2(evm_word out[4], const cJSON *item, const char *origin, const char *field,
                    zkml_error *err)
{
    if (!array_of(item, 3, origin, field, err))
        return err->code;
    char name[96];
    snprintf(name, sizeof name, "%s[2]", field);
    const cJSON *z = array_of(cJSON_GetArrayItem(item, 2), 2, origin, name, err);
    if (!z)
        return err->code;
    int z0 = projective_z(cJSON_GetArrayItem(z, 0)), z1 = projective_z(cJSON_GetArrayItem(z, 1));
    if (z0 < 0 || z1 != 0)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: %s: z must be [\"1\",\"0\"] (affine) or [\"0\",\"0\"] (infinity)",
                         origin, field);
    if (z0 == 0) {
        memset(out, 0, 4 * sizeof(evm_word));
        return 0;
    }
    for (int coord = 0; coord < 2; coord++) {
        snprintf(name, sizeof name, "%s[%d]", field, coord);
        const cJSON *pair = array_of(cJSON_GetArrayItem(item, coord), 2, origin, name, err);
        if (!pair)
            return err->code;
        for (int c = 0; c < 2; c++) {
            snprintf(name, sizeof name, "%s[%d][%d]", field, coord, c);
            int rc = parse_dec(out[2 * coord + (1 - c)], cJSON_GetArrayItem(pair, c), &base_field,
                               origin, name, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int parse_text(cJSON **root, const char *text, size_t len, const char *origin,
                      zkml_error *err)
{
    *root = cJSON_ParseWithLength(text, len);
    if (!*root)
        return zkml_fail(err, ZKML_EINVAL, "%s: not valid JSON", origin);
    return 0;
}

static int load_json(cJSON **root, const char *path, zkml_error *err)
{
    uint8_t *data;
    size_t len;
    int rc = zkml_read_file(path, JSON_MAX_BYTES, &data, &len, err);
    if (rc)
        return rc;
    rc = parse_text(root, (const char *)data, len, path, err);
    free(data);
    return rc;
}

static int check_tag(const cJSON *root, const char *key, const char *want, const char *origin,
                     zkml_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v)
        return 0;   /* optional: snarkjs writes them, other tools may not */
    if (!cJSON_IsString(v) || strcmp(v->valuestring, want) != 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: %s must be \"%s\"", origin, key, want);
    return 0;
}

static int parse_vkey_root(evm_vkey *vk, const cJSON *root, const char *origin, zkml_error *err)
{
    if (!cJSON_IsObject(root))
        return zkml_fail(err, ZKML_EINVAL, "%s: expected a JSON object", origin);
    int rc = check_tag(root, "protocol", "groth16", origin, err);
    if (!rc)
        rc = check_tag(root, "curve", "bn128", origin, err);
    if (rc)
        return rc;
    const cJSON *ic = cJSON_GetObjectItemCaseSensitive(root, "IC");
    if (!cJSON_IsArray(ic) || cJSON_GetArraySize(ic) < 2)
        return zkml_fail(err, ZKML_EINVAL, "%s: IC: expected an array of at least 2 points "
                         "(a verifier needs at least one public signal)", origin);
    size_t n_public = (size_t)cJSON_GetArraySize(ic) - 1;
    if (n_public > MAX_PUBLIC_SIGNALS)
        return zkml_fail(err, ZKML_EINVAL, "%s: IC: %zu public signals is more than %d",
                         origin, n_public, MAX_PUBLIC_SIGNALS);
    const cJSON *np = cJSON_GetObjectItemCaseSensitive(root, "nPublic");
    if (np && (!cJSON_IsNumber(np) || np->valuedouble != (double)n_public))
        return zkml_fail(err, ZKML_EINVAL, "%s: nPublic does not match IC, which has %zu points",
                         origin, n_public + 1);

    vk->n_public = n_public;
    vk->n_words = EVM_VK_FIXED_WORDS + 2 * (n_public + 1);
    vk->words = calloc(vk->n_words, sizeof(evm_word));
    if (!vk->words)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for %zu public signals", origin,
                         n_public);
    static const char *const g2_names[3] = {"vk_beta_2", "vk_gamma_2", "vk_delta_2"};
    rc = parse_g1(vk->words, cJSON_GetObjectItemCaseSensitive(root, "vk_alpha_1"), origin,
                  "vk_alpha_1", err);
    for (int i = 0; i < 3 && !rc; i++)
        rc = parse_g2(vk->words + 2 + 4 * i, cJSON_GetObjectItemCaseSensitive(root, g2_names[i]),
                      origin, g2_names[i], err);
    char name[48];
    for (size_t i = 0; i <= n_public && !rc; i++) {
        snprintf(name, sizeof name, "IC[%zu]", i);
        rc = parse_g1(vk->words + EVM_VK_FIXED_WORDS + 2 * i, cJSON_GetArrayItem(ic, (int)i),
                      origin, name, err);
    }
    return rc;
}

int evm_vkey_parse(evm_vkey *vk, const char *text, size_t len, const char *origin,
                   zkml_error *err)
{
    memset(vk, 0, sizeof *vk);
    cJSON *root;
    int rc = parse_text(&root, text, len, origin, err);
    if (rc)
        return rc;
    rc = parse_vkey_root(vk, root, origin, err);
    cJSON_Delete(root);
    if (rc)
        evm_vkey_free(vk);
    return rc;
}

int evm_vkey_load(evm_vkey *vk, const char *path, zkml_error *err)
{
    memset(vk, 0, sizeof *vk);
    cJSON *root;
    int rc = load_json(&root, path, err);
    if (rc)
        return rc;
    rc = parse_vkey_root(vk, root, path, err);
    cJSON_Delete(root);
    if (rc)
        evm_vkey_free(vk);
    return rc;
}

void evm_vkey_free(evm_vkey *vk)
{
    free(vk->words);
    memset(vk, 0, sizeof *vk);
}

static int parse_proof_root(evm_proof *proof, const cJSON *root, const char *origin,
                            zkml_error *err)
{
    if (!cJSON_IsObject(root))
        return zkml_fail(err, ZKML_EINVAL, "%s: expected a JSON object", origin);
    int rc = check_tag(root, "protocol", "groth16", origin, err);
    if (!rc)
        rc = check_tag(root, "curve", "bn128", origin, err);
    if (!rc)
        rc = parse_g1(proof->abc, cJSON_GetObjectItemCaseSensitive(root, "pi_a"), origin, "pi_a",
                      err);
    if (!rc)
        rc = parse_g2(proof->abc + 2, cJSON_GetObjectItemCaseSensitive(root, "pi_b"), origin,
                      "pi_b", err);
    if (!rc)
        rc = parse_g1(proof->abc + 6, cJSON_GetObjectItemCaseSensitive(root, "pi_c"), origin,
                      "pi_c", err);
    return rc;
}

static int parse_public_root(evm_proof *proof, const cJSON *root, const char *origin,
                             zkml_error *err)
{
    int n = cJSON_IsArray(root) ? cJSON_GetArraySize(root) : -1;
    if (n < 1 || n > MAX_PUBLIC_SIGNALS)
        return zkml_fail(err, ZKML_EINVAL, "%s: expected an array of 1 to %d decimal strings",
                         origin, MAX_PUBLIC_SIGNALS);
    proof->pub = calloc((size_t)n, sizeof(evm_word));
    if (!proof->pub)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for %d public signals", origin, n);
    proof->n_public = (size_t)n;
    char name[32];
    int i = 0;
    for (const cJSON *item = root->child; item; item = item->next, i++) {
        snprintf(name, sizeof name, "[%d]", i);
        int rc = parse_dec(proof->pub[i], item, &scalar_field, origin, name, err);
        if (rc)
            return rc;
    }
    return 0;
}

int evm_proof_load(evm_proof *proof, const char *proof_path, const char *public_path,
                   zkml_error *err)
{
    memset(proof, 0, sizeof *proof);
    cJSON *root;
    int rc = load_json(&root, proof_path, err);
    if (rc)
        return rc;
    rc = parse_proof_root(proof, root, proof_path, err);
    cJSON_Delete(root);
    if (!rc)
        rc = load_json(&root, public_path, err);
    if (!rc) {
        rc = parse_public_root(proof, root, public_path, err);
        cJSON_Delete(root);
    }
    if (rc)
        evm_proof_free(proof);
    return rc;
}

void evm_proof_free(evm_proof *proof)
{
    free(proof->pub);
    memset(proof, 0, sizeof *proof);
}
