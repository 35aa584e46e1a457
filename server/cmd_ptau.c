/*
 * cmd_ptau.c - `zkml-registry ptau ...`: phase-1 (Powers of Tau) files.
 *   ptau info FILE.ptau          what the file is: power, contributions,
 *                                prepared for phase 2, blake2b-512 of the file
 *   ptau new-local POWER OUT.ptau  a phase 1 made here, for testing only
 * Exit codes: 0 success, 2 an error (the file refused, with what and where).
 */
#include "server/commands.h"
#include "pipeline/snark/snark.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: zkml-registry ptau info FILE.ptau\n"
    "       zkml-registry ptau new-local POWER OUT.ptau\n"
    "\n"
    "info checks a snarkjs .ptau file (curve, power, section sizes) and prints its power,\n"
    "its contribution count, whether it is prepared for phase 2 and its blake2b-512 (the\n"
    "hash snarkjs's README lists for the Hermez files). new-local makes a prepared phase 1\n"
    "of 2^POWER points here from getrandom (wiped): for testing only, since its maker\n"
    "could forge proofs; the pipeline makes the same when ZKML_PTAU is not set.\n";

static int fail(const zkml_error *err)
{
    fprintf(stderr, "zkml-registry ptau: %s\n", err->message);
    return 2;
}

int cmd_ptau(int argc, char **argv)
{
    zkml_error err = {0};
    const char *sub = argc > 1 ? argv[1] : "";
    if (argc > 1 && (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (strcmp(sub, "info") == 0 && argc == 3) {
        snark_ptau_info info;
        if (snark_ptau_describe(argv[2], &info, &err))
            return fail(&err);
        printf("power %u (circuits up to 2^%u constraints with their public signals)\n"
               "contributions %u\nprepared for phase 2: %s\nblake2b %s\n",
               info.power, info.power, info.contributions, info.prepared ? "yes" : "no",
               info.blake2b);
        return 0;
    }
    if (strcmp(sub, "new-local") == 0 && argc == 4) {
        char *end;
        long power = strtol(argv[2], &end, 10);
        if (*end || end == argv[2] || power < 1 || power > 27) {
            fprintf(stderr, "zkml-registry ptau: POWER must be 1..27, got '%s'\n", argv[2]);
            return 2;
        }
        return snark_ptau_new_local(argv[3], (uint32_t)power, &err) ? fail(&err) : 0;
    }
    fputs(USAGE, stderr);
    return 2;
}
