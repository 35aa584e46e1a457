/*
 * cmd_zkey.c - `zkml-registry zkey ...`: phase 2 of a Groth16 ceremony on
 * snarkjs .zkey files, mirroring `snarkjs zkey`:
 *   zkey contribute IN.zkey OUT.zkey [--name TEXT]
 *   zkey beacon IN.zkey OUT.zkey HEX ITERATIONS_EXP [--name TEXT]
 *   zkey verify CIRCUIT.r1cs FILE.ptau FILE.zkey
 *   zkey export-vk FILE.zkey VERIFICATION_KEY.json
 *   zkey export-pk CIRCUIT.r1cs FILE.zkey PROVING.key VERIFICATION_KEY.json
 * Exit codes: 0 success (a valid key), 1 a key that fails verification, 2 an error.
 */
#include "server/commands.h"
#include "pipeline/snark/snark.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: zkml-registry zkey contribute IN.zkey OUT.zkey [--name TEXT]\n"
    "       zkml-registry zkey beacon IN.zkey OUT.zkey HEX ITERATIONS_EXP [--name TEXT]\n"
    "       zkml-registry zkey verify CIRCUIT.r1cs FILE.ptau FILE.zkey\n"
    "       zkml-registry zkey export-vk FILE.zkey VERIFICATION_KEY.json\n"
    "       zkml-registry zkey export-pk CIRCUIT.r1cs FILE.zkey PROVING.key "
    "VERIFICATION_KEY.json\n"
    "\n"
    "Phase 2 of a Groth16 ceremony on snarkjs .zkey files (start one with\n"
    "`zkml-registry groth16 setup CIRCUIT.r1cs --ptau FILE.ptau OUT.zkey`).\n"
    "contribute adds a contribution whose secret comes from getrandom and is wiped;\n"
    "it prints the contribution hash. beacon adds the final contribution from a public\n"
    "random value (HEX, 1..255 bytes) hashed 2^ITERATIONS_EXP times (10..63).\n"
    "verify checks the key against the circuit and the ptau and every contribution,\n"
    "like `snarkjs zkey verify`: exit 0 valid, 1 invalid (the failed check is named).\n"
    "export-vk writes the verification key; export-pk writes our prover's key file\n"
    "(and the verification key), so `groth16 prove` proves from the ceremony's key.\n";

static int fail(const zkml_error *err)
{
    fprintf(stderr, "zkml-registry zkey: %s\n", err->message);
    return 2;
}

/* Drops a trailing "--name TEXT" from argv; returns the name or NULL. */
static const char *take_name(int *argc, char **argv)
{
    if (*argc >= 2 && strcmp(argv[*argc - 2], "--name") == 0) {
        *argc -= 2;
        return argv[*argc + 1];
    }
    return NULL;
}

static int contribute(const char *in, const char *out, const char *name)
{
    zkml_error err = {0};
    uint8_t hash[64];
    if (zkey_contribute_files(in, out, name, hash, &err))
        return fail(&err);
    printf("contribution hash:");
    for (int i = 0; i < 64; i++)
        printf("%s%02x", i % 16 ? "" : "\n  ", hash[i]);
    printf("\n");
    return 0;
}

static int verify(char **argv)
{
    zkml_error err = {0};
    int rc = zkey_verify_files(argv[2], argv[3], argv[4], &err);
    if (rc == ZKML_EREJECTED) {
        printf("INVALID: %s\n", err.message);
        return 1;
    }
    if (rc)
        return fail(&err);
    printf("OK: the key follows from the circuit, the ptau and its contributions\n");
    return 0;
}

int cmd_zkey(int argc, char **argv)
{
    zkml_error err = {0};
    const char *sub = argc > 1 ? argv[1] : "";
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(USAGE, stdout);
        return 0;
    }
    const char *name = take_name(&argc, argv);
    if (strcmp(sub, "contribute") == 0 && argc == 4)
        return contribute(argv[2], argv[3], name);
    if (strcmp(sub, "beacon") == 0 && argc == 6) {
        char *end;
        long exp = strtol(argv[5], &end, 10);
        if (*end || end == argv[5]) {
            fprintf(stderr, "zkml-registry zkey: ITERATIONS_EXP must be a number, got '%s'\n",
                    argv[5]);
            return 2;
        }
        if (zkey_beacon_files(argv[2], argv[3], argv[4], (int)(exp > 64 ? 64 : exp), name, &err))
            return fail(&err);
        return 0;
    }
    /* --name belongs to contributions only */
    if (!name && strcmp(sub, "verify") == 0 && argc == 5)
        return verify(argv);
    if (!name && strcmp(sub, "export-vk") == 0 && argc == 4)
        return zkey_export_vk_files(argv[2], argv[3], &err) ? fail(&err) : 0;
    if (!name && strcmp(sub, "export-pk") == 0 && argc == 6)
        return zkey_export_pk_files(argv[2], argv[3], argv[4], argv[5], &err) ? fail(&err) : 0;
    fputs(USAGE, stderr);
    return 2;
}
