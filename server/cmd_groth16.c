/*
 * cmd_groth16.c - `zkml-registry groth16 setup|prove|verify`, mirroring snarkjs:
 *   groth16 setup CIRCUIT.r1cs PROVING.key VERIFICATION_KEY.json
 *   groth16 setup CIRCUIT.r1cs --ptau FILE.ptau OUT.zkey
 *   groth16 prove PROVING.key WITNESS.wtns PROOF.json PUBLIC.json
 *   groth16 verify VERIFICATION_KEY.json PUBLIC.json PROOF.json
 *   groth16 export-zkey PROVING.key VERIFICATION_KEY.json CIRCUIT.zkey
 * Exit codes: 0 success (a valid proof), 1 an invalid proof, 2 an error.
 */
#include "server/commands.h"
#include "pipeline/snark/snark.h"

#include <stdio.h>
#include <string.h>

static const char USAGE[] =
    "usage: zkml-registry groth16 setup CIRCUIT.r1cs PROVING.key VERIFICATION_KEY.json\n"
    "       zkml-registry groth16 setup CIRCUIT.r1cs --ptau FILE.ptau OUT.zkey\n"
    "       zkml-registry groth16 prove PROVING.key WITNESS.wtns PROOF.json PUBLIC.json\n"
    "       zkml-registry groth16 verify VERIFICATION_KEY.json PUBLIC.json PROOF.json\n"
    "       zkml-registry groth16 export-zkey PROVING.key VERIFICATION_KEY.json CIRCUIT.zkey\n"
    "\n"
    "Groth16 over BN254 with snarkjs-compatible files (.r1cs, .wtns, verification_key.json,\n"
    "proof.json, public.json). setup draws its toxic waste from getrandom and wipes it;\n"
    "with --ptau it writes instead the initial phase-2 key from a prepared Powers of Tau\n"
    "file, identical to `snarkjs groth16 setup` (continue with `zkml-registry zkey`);\n"
    "prove uses ZKML_THREADS threads (default: all cores). verify exits 0 for a valid\n"
    "proof, 1 for an invalid one, 2 on an error.\n"
    "export-zkey writes the keys of our setup (both from the same run) as a snarkjs\n"
    "Groth16 .zkey, for `snarkjs groth16 prove` and `snarkjs zkey export verificationkey`;\n"
    "its contribution section is empty (no ceremony), so `snarkjs zkey verify` does not apply.\n";

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

static int fail(const zkml_error *err)
{
    fprintf(stderr, "zkml-registry groth16: %s\n", err->message);
    return 2;
}

int cmd_groth16(int argc, char **argv)
{
    zkml_error err = {0};
    const char *sub = argc > 1 ? argv[1] : "";
    if (wants_help(argc, argv)) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(sub, "setup") == 0 && argc == 6 && strcmp(argv[3], "--ptau") == 0) {
        if (groth16_setup_ptau_files(argv[2], argv[4], argv[5], &err))
            return fail(&err);
        return 0;
    }
    if (strcmp(sub, "setup") == 0 && argc == 5) {
        if (groth16_setup_files(argv[2], argv[3], argv[4], &err))
            return fail(&err);
        return 0;
    }
    if (strcmp(sub, "prove") == 0 && argc == 6) {
        if (groth16_prove_files(argv[2], argv[3], argv[4], argv[5], 0, &err))
            return fail(&err);
        return 0;
    }
    if (strcmp(sub, "export-zkey") == 0 && argc == 5) {
        if (groth16_export_zkey_files(argv[2], argv[3], argv[4], &err))
            return fail(&err);
        return 0;
    }
    if (strcmp(sub, "verify") == 0 && argc == 5) {
        int rc = groth16_verify_files(argv[2], argv[3], argv[4], &err);
        if (rc == ZKML_EREJECTED) {
            printf("INVALID: %s\n", err.message);
            return 1;
        }
        if (rc)
            return fail(&err);
        printf("OK: the proof is valid\n");
        return 0;
    }
    fputs(USAGE, stderr);
    return 2;
}
