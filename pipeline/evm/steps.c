/*
 * steps.c - the export pipeline step: verification_key.json, proof.json,
 * public.json -> Verifier.sol, Verifier.abi.json, calldata.json.
 */
#include "pipeline/evm/evm.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

enum { VK_MAX_BYTES = 64 << 20 };

static int write_text(const char *dir, zkml_artifact_id id, const char *text, zkml_error *err)
{
    char path[4096];
    int rc = zkml_artifact_path(path, sizeof path, dir, id, err);
    if (!rc)
        rc = zkml_write_file_atomic(path, text, strlen(text), err);
    return rc;
}

static int export_verifier(const char *dir, size_t *n_public, zkml_error *err)
{
    char path[4096];
    int rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_VK, err);
    uint8_t *vk_json = NULL;
    size_t len = 0;
    if (!rc)
        rc = zkml_read_file(path, VK_MAX_BYTES, &vk_json, &len, err);
    char *sol = NULL, *abi = NULL;
    if (!rc)
        rc = evm_verifier_source((const char *)vk_json, len, path, &sol, n_public, err);
    if (!rc)
        rc = evm_verifier_abi(*n_public, &abi, err);
    if (!rc)
        rc = write_text(dir, ZKML_A_VERIFIER_SOL, sol, err);
    if (!rc)
        rc = write_text(dir, ZKML_A_VERIFIER_ABI, abi, err);
    free(vk_json);
    free(sol);
    free(abi);
    return rc;
}

static int export_calldata(const char *dir, size_t n_public, zkml_error *err)
{
    char proof_path[4096], public_path[4096];
    int rc = zkml_artifact_path(proof_path, sizeof proof_path, dir, ZKML_A_PROOF, err);
    if (!rc)
        rc = zkml_artifact_path(public_path, sizeof public_path, dir, ZKML_A_PUBLIC, err);
    char *solidity = NULL, *hex = NULL;
    size_t proof_signals = 0;
    if (!rc)
        rc = evm_calldata(proof_path, public_path, &solidity, &hex, &proof_signals, err);
    if (rc)
        return rc;
    /* The verifier's ABI fixes the number of signals; a mismatch would only
     * surface as a revert on-chain. */
    if (proof_signals != n_public)
        rc = zkml_fail(err, ZKML_EINVAL, "%s: %zu public signals, but the verification key has %zu",
                       public_path, proof_signals, n_public);
    cJSON *doc = rc ? NULL : cJSON_CreateObject();
    char *text = NULL;
    if (!rc && (!doc || !cJSON_AddStringToObject(doc, "solidity", solidity) ||
                !cJSON_AddStringToObject(doc, "hex", hex) || !(text = cJSON_Print(doc))))
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory writing calldata.json");
    if (!rc)
        rc = write_text(dir, ZKML_A_CALLDATA, text, err);
    cJSON_free(text);
    cJSON_Delete(doc);
    free(solidity);
    free(hex);
    return rc;
}

int evm_export_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)opts;
    size_t n_public = 0;
    int rc = export_verifier(dir, &n_public, err);
    if (!rc)
        rc = export_calldata(dir, n_public, err);
    return rc ? zkml_error_prefix(err, "export") : 0;
}
