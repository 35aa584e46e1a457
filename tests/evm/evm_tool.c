/*
 * evm_tool.c - exposes pipeline/evm to the chain test and the gas benchmark,
 * which are node scripts talking to anvil:
 *   evm_tool registry-code            ModelRegistry creation code, hex
 *   evm_tool verifier-code VK.json    keyed verifier creation code, hex
 *   evm_tool key-words VK.json        registerVersion's key words, hex, one a line
 *   evm_tool words PROOF.json PUBLIC.json   verifyProof argument words, hex, one a line
 *   evm_tool export DIR               the export step on an artifact directory
 *   evm_tool keccak HEX               Keccak-256 of the bytes, hex
 */
#include "pipeline/evm/evm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_hex(const uint8_t *p, size_t n, const char *end)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    fputs(end, stdout);
}

static int hex_decode(const char *hex, uint8_t **out, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 || !(*out = malloc(n / 2 + 1)))
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            free(*out);
            return -1;
        }
        (*out)[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

static int run(int argc, char **argv, zkml_error *err)
{
    uint8_t *bytes = NULL;
    size_t n = 0;
    int rc;
    if (argc == 2 && !strcmp(argv[1], "registry-code")) {
        rc = evm_registry_creation_code(&bytes, &n, err);
        if (!rc)
            print_hex(bytes, n, "\n");
    } else if (argc == 3 && !strcmp(argv[1], "verifier-code")) {
        rc = evm_verifier_creation_code(argv[2], &bytes, &n, err);
        if (!rc)
            print_hex(bytes, n, "\n");
    } else if (argc == 3 && !strcmp(argv[1], "key-words")) {
        rc = evm_verifier_key_words(argv[2], &bytes, &n, err);
        for (size_t i = 0; !rc && i < n; i++)
            print_hex(bytes + 32 * i, 32, "\n");
    } else if (argc == 4 && !strcmp(argv[1], "words")) {
        rc = evm_proof_words(argv[2], argv[3], &bytes, &n, err);
        for (size_t i = 0; !rc && i < n; i++)
            print_hex(bytes + 32 * i, 32, "\n");
    } else if (argc == 3 && !strcmp(argv[1], "export")) {
        rc = evm_export_step(argv[2], NULL, err);
    } else if (argc == 3 && !strcmp(argv[1], "keccak")) {
        uint8_t hash[32];
        if (hex_decode(argv[2], &bytes, &n))
            return zkml_fail(err, ZKML_EINVAL, "keccak: bad hex");
        evm_keccak256(hash, bytes, n);
        print_hex(hash, 32, "\n");
        rc = 0;
    } else {
        return zkml_fail(
            err, ZKML_EINVAL,
            "usage: evm_tool registry-code | verifier-code VK.json | "
            "key-words VK.json | words PROOF.json PUBLIC.json | export DIR | keccak HEX");
    }
    free(bytes);
    return rc;
}

int main(int argc, char **argv)
{
    zkml_error err = {0};
    if (run(argc, argv, &err)) {
        fprintf(stderr, "evm_tool: %s\n", err.message);
        return 2;
    }
    return 0;
}
