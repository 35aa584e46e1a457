/* cli.c - the groth16 operations linked against zkml_snark alone, so the
 * benchmark does not depend on the rest of the tree building:
 *   groth16_bench_cli setup|prove|verify|export-zkey FILES...  (as `zkml-registry groth16`)
 *   groth16_bench_cli verify-time VK PUBLIC PROOF: prints the mean ms of 20 verifications
 *   in this process (files read each time), failing unless the proof is valid. */
#include "pipeline/snark/snark.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    zkml_error err = {0};
    int rc = ZKML_EINVAL;
    if (argc == 5 && strcmp(argv[1], "setup") == 0)
        rc = groth16_setup_files(argv[2], argv[3], argv[4], &err);
    else if (argc == 6 && strcmp(argv[1], "prove") == 0)
        rc = groth16_prove_files(argv[2], argv[3], argv[4], argv[5], 0, &err);
    else if (argc == 5 && strcmp(argv[1], "verify-time") == 0) {
        int64_t t0 = zkml_monotonic_ms();
        rc = 0;
        for (int i = 0; i < 20 && rc == 0; i++)
            rc = groth16_verify_files(argv[2], argv[3], argv[4], &err);
        if (rc == 0)
            printf("%.2f\n", (double)(zkml_monotonic_ms() - t0) / 20.0);
    } else if (argc == 5 && strcmp(argv[1], "export-zkey") == 0)
        rc = groth16_export_zkey_files(argv[2], argv[3], argv[4], &err);
    else if (argc == 5 && strcmp(argv[1], "verify") == 0)
        rc = groth16_verify_files(argv[2], argv[3], argv[4], &err);
    else
        snprintf(err.message, sizeof err.message,
                 "usage: setup|prove|verify|verify-time|export-zkey FILES...");
    if (rc)
        fprintf(stderr, "%s\n", err.message);
    return rc == 0 ? 0 : rc == ZKML_EREJECTED ? 1 : 2;
}
