/*
 * cmd_evm.c - `export-verifier` and `calldata`: the EVM side of a proof from
 * the command line, over snarkjs-compatible JSON files.
 */
#include "server/commands.h"
#include "pipeline/evm/evm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VK_MAX_BYTES = 64 << 20 };

static int is_help(const char *arg)
{
    return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

static int fail(const zkml_error *err)
{
    fprintf(stderr, "zkml-registry: %s\n", err->message);
    return 2;
}

static void export_usage(FILE *f)
{
    fprintf(
        f,
        "usage: zkml-registry export-verifier VERIFICATION_KEY.json [Verifier.sol] [--abi FILE]\n"
        "\n"
        "Writes a Solidity Groth16 verifier for a snarkjs verification_key.json (BN254):\n"
        "verifyProof(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256[N] pubSignals)\n"
        "returns (bool), the ABI of snarkjs's verifier, with b in EIP-197 order. It compiles\n"
        "without warnings under solc 0.8.x. With no Verifier.sol it goes to stdout.\n"
        "  --abi FILE   also write the contract's ABI JSON to FILE\n");
}

int cmd_export_verifier(int argc, char **argv)
{
    const char *positional[2] = {NULL, NULL};
    const char *abi_path = NULL;
    int n_positional = 0;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            export_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--abi") && i + 1 < argc) {
            abi_path = argv[++i];
        } else if (argv[i][0] == '-' || n_positional == 2) {
            export_usage(stderr);
            return 2;
        } else {
            positional[n_positional++] = argv[i];
        }
    }
    if (n_positional == 0) {
        export_usage(stderr);
        return 2;
    }
    zkml_error err = {0};
    uint8_t *vk_json = NULL;
    size_t len = 0, n_public = 0;
    char *sol = NULL, *abi = NULL;
    int rc = zkml_read_file(positional[0], VK_MAX_BYTES, &vk_json, &len, &err);
    if (!rc)
        rc = evm_verifier_source((const char *)vk_json, len, positional[0], &sol, &n_public, &err);
    if (!rc && abi_path) {
        rc = evm_verifier_abi(n_public, &abi, &err);
        if (!rc)
            rc = zkml_write_file_atomic(abi_path, abi, strlen(abi), &err);
    }
    if (!rc && positional[1])
        rc = zkml_write_file_atomic(positional[1], sol, strlen(sol), &err);
    else if (!rc)
        fputs(sol, stdout);
    free(vk_json);
    free(sol);
    free(abi);
    return rc ? fail(&err) : 0;
}

static void calldata_usage(FILE *f)
{
    fprintf(f,
            "usage: zkml-registry calldata PROOF.json PUBLIC.json [--hex]\n"
            "\n"
            "Prints the proof as verifyProof arguments, in the form of snarkjs's\n"
            "`zkey export soliditycalldata`: [a],[[b]],[c],[public signals], b in EIP-197 order.\n"
            "  --hex   print instead the ABI-encoded call: 0x, the selector, the words\n");
}

int cmd_calldata(int argc, char **argv)
{
    const char *positional[2] = {NULL, NULL};
    int n_positional = 0, want_hex = 0;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            calldata_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--hex")) {
            want_hex = 1;
        } else if (argv[i][0] == '-' || n_positional == 2) {
            calldata_usage(stderr);
            return 2;
        } else {
            positional[n_positional++] = argv[i];
        }
    }
    if (n_positional != 2) {
        calldata_usage(stderr);
        return 2;
    }
    zkml_error err = {0};
    char *solidity = NULL, *hex = NULL;
    int rc = evm_calldata(positional[0], positional[1], &solidity, &hex, NULL, &err);
    if (!rc)
        printf("%s\n", want_hex ? hex : solidity);
    free(solidity);
    free(hex);
    return rc ? fail(&err) : 0;
}
