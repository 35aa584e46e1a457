/*
 * evm_vectors.c - runs go-ethereum's published precompile vectors
 * (bn256Add.json, bn256ScalarMul.json, bn256Pairing.json) through
 * bn254_ecadd/bn254_ecmul/bn254_ecpairing and compares the output byte for byte.
 * Usage: snark_math_evm_vectors <testvectors dir>
 */
#include "pipeline/snark/snark.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*precompile_fn)(uint8_t *out, const uint8_t *in, size_t len);

static int hex_decode(uint8_t *out, size_t cap, size_t *len, const char *hex)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

/* Returns the number of failures, or -1 if the file is unusable. */
static int run_file(const char *dir, const char *name, precompile_fn fn, size_t out_len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = read_text(path);
    if (!text) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsArray(root) || cJSON_GetArraySize(root) == 0) {
        fprintf(stderr, "%s: not a non-empty JSON array\n", path);
        cJSON_Delete(root);
        return -1;
    }
    int failures = 0, count = 0;
    static uint8_t input[1 << 16];
    cJSON *v;
    cJSON_ArrayForEach(v, root)
    {
        const char *in_hex = cJSON_GetStringValue(cJSON_GetObjectItem(v, "Input"));
        const char *want_hex = cJSON_GetStringValue(cJSON_GetObjectItem(v, "Expected"));
        const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(v, "Name"));
        uint8_t want[64], got[64];
        size_t in_len, want_len;
        if (!in_hex || !want_hex || hex_decode(input, sizeof input, &in_len, in_hex) ||
            hex_decode(want, sizeof want, &want_len, want_hex) || want_len != out_len) {
            fprintf(stderr, "%s: malformed vector %s\n", name, label ? label : "?");
            failures++;
            continue;
        }
        count++;
        if (fn(got, input, in_len) != 0) {
            fprintf(stderr, "%s %s: call failed, expected success\n", name, label);
            failures++;
        } else if (memcmp(got, want, out_len) != 0) {
            fprintf(stderr, "%s %s: output differs\n", name, label);
            failures++;
        }
    }
    printf("%s: %d vectors, %d failures\n", name, count, failures);
    cJSON_Delete(root);
    return failures;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TESTVECTORS_DIR\n", argv[0]);
        return 2;
    }
    int a = run_file(argv[1], "bn256Add.json", bn254_ecadd, 64);
    int m = run_file(argv[1], "bn256ScalarMul.json", bn254_ecmul, 64);
    int p = run_file(argv[1], "bn256Pairing.json", bn254_ecpairing, 32);
    return (a == 0 && m == 0 && p == 0) ? 0 : 1;
}
