/*
 * cmd_zkey.c - `zkml-registry zkey ...`: phase 2 of a Groth16 ceremony on
 * snarkjs .zkey files, mirroring `snarkjs zkey`:
 *   zkey contribute IN.zkey OUT.zkey [--name TEXT]
 *   zkey beacon IN.zkey OUT.zkey HEX ITERATIONS_EXP [--name TEXT]
 *   zkey verify CIRCUIT.r1cs FILE.ptau FILE.zkey
 *   zkey export-vk FILE.zkey VERIFICATION_KEY.json
 *   zkey export-pk CIRCUIT.r1cs FILE.zkey PROVING.key VERIFICATION_KEY.json
 *   zkey check-next VERSION_DIR DATA_DIR NEXT.zkey [MEMORY_MB CPU_S]
 * Exit codes: 0 success (a valid key), 1 a key that fails verification, 2 an
 * error, 3 (check-next) out of memory.
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
    "       zkml-registry zkey check-next VERSION_DIR DATA_DIR NEXT.zkey [MEMORY_MB CPU_S]\n"
    "\n"
    "Phase 2 of a Groth16 ceremony on snarkjs .zkey files (start one with\n"
    "`zkml-registry groth16 setup CIRCUIT.r1cs --ptau FILE.ptau OUT.zkey`).\n"
    "contribute adds a contribution whose secret comes from getrandom and is wiped;\n"
    "it prints the contribution hash. beacon adds the final contribution from a public\n"
    "random value (HEX, 1..255 bytes) hashed 2^ITERATIONS_EXP times (10..63).\n"
    "verify checks the key against the circuit and the ptau and every contribution,\n"
    "like `snarkjs zkey verify`: exit 0 valid, 1 invalid (the failed check is named).\n"
    "export-vk writes the verification key; export-pk writes our prover's key file\n"
    "(and the verification key), so `groth16 prove` proves from the ceremony's key.\n"
    "check-next checks a contribution to a version's open ceremony as POST\n"
    ".../ceremony/contributions does (the server runs it as a child): NEXT.zkey must\n"
    "extend the version's latest key by one contribution and verify against its\n"
    "circuit and ptau (DATA_DIR holds a local ptau). MEMORY_MB and CPU_S limit this\n"
    "process (0: none). It prints the hash of the contribution NEXT.zkey extends,\n"
    "or INVALID: and the failed check (exit 1); exit 3 means over MEMORY_MB.\n";

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

/* A whole number >= 0 for a limit, or -1 (reported). */
static long limit_arg(const char *what, const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || end == v || n < 0) {
        fprintf(stderr, "zkml-registry zkey: %s must be a whole number >= 0, got '%s'\n", what, v);
        return -1;
    }
    return n;
}

static int check_next(int argc, char **argv)
{
    zkml_error err = {0};
    char parent[129];
    long memory_mb = argc == 7 ? limit_arg("MEMORY_MB", argv[5]) : 0;
    long cpu_s = argc == 7 ? limit_arg("CPU_S", argv[6]) : 0;
    if (memory_mb < 0 || cpu_s < 0)
        return 2;
    int rc = cmd_limit_self(memory_mb, cpu_s, &err);
    if (!rc)
        rc = snark_ceremony_check_next(argv[2], argv[3], argv[4], parent, &err);
    if (rc == ZKML_EREJECTED || rc == ZKML_EINVAL) {
        printf("INVALID: %s\n", err.message);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "%s\n", err.message);
        return rc == ZKML_ENOMEM ? 3 : 2;
    }
    printf("%s\n", parent);
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
    if (!name && strcmp(sub, "check-next") == 0 && (argc == 5 || argc == 7))
        return check_next(argc, argv);
    if (!name && strcmp(sub, "export-pk") == 0 && argc == 6)
        return zkey_export_pk_files(argv[2], argv[3], argv[4], argv[5], &err) ? fail(&err) : 0;
    fputs(USAGE, stderr);
    return 2;
}
