/*
 * steps.c - the setup, prove and verify pipeline steps over an artifact
 * directory (files named in snark.h); each output is written atomically.
 */
#include "pipeline/snark/snark.h"

#include <limits.h>
#include <stdio.h>

static int join(char out[PATH_MAX], const char *dir, const char *name, zkml_error *err)
{
    return zkml_path_join(out, PATH_MAX, dir, name, err);
}

int snark_setup_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    char r1cs_path[PATH_MAX], pk[PATH_MAX], vk[PATH_MAX];
    (void)opts;
    if (join(r1cs_path, dir, "network.r1cs", err) || join(pk, dir, "proving.key", err) ||
        join(vk, dir, "verification_key.json", err))
        return err->code;
    return groth16_setup_files(r1cs_path, pk, vk, err);
}

int snark_prove_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    char pk[PATH_MAX], wtns[PATH_MAX], proof[PATH_MAX], pub[PATH_MAX];
    if (join(pk, dir, "proving.key", err) || join(wtns, dir, "witness.wtns", err) ||
        join(proof, dir, "proof.json", err) || join(pub, dir, "public.json", err))
        return err->code;
    return groth16_prove_files(pk, wtns, proof, pub, opts ? opts->threads : 0, err);
}

int snark_verify_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    char vk[PATH_MAX], pub[PATH_MAX], proof[PATH_MAX], out[PATH_MAX], json[96];
    (void)opts;
    if (join(vk, dir, "verification_key.json", err) || join(pub, dir, "public.json", err) ||
        join(proof, dir, "proof.json", err) || join(out, dir, "verify.json", err))
        return err->code;
    int64_t t0 = zkml_monotonic_ms();
    int rc = groth16_verify_files(vk, pub, proof, err);
    int64_t ms = zkml_monotonic_ms() - t0;
    if (rc && rc != ZKML_EREJECTED)
        return rc;
    int n = snprintf(json, sizeof json, "{\"valid\": %s, \"ms\": %lld}\n", rc ? "false" : "true",
                     (long long)ms);
    int wrc = zkml_write_file_atomic(out, json, (size_t)n, err);
    return wrc ? wrc : rc;
}
