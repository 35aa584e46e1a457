/* steps.c - the export pipeline step. */
#include "pipeline/evm/evm.h"

int evm_export_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)dir; (void)opts;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "step export is not available in this build");
}

int evm_registry_creation_code(uint8_t **code, size_t *len, zkml_error *err)
{
    *code = NULL;
    *len = 0;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "the ModelRegistry bytecode is not available in this build");
}

int evm_verifier_creation_code(const char *vk_json_path, uint8_t **code, size_t *len,
                               zkml_error *err)
{
    (void)vk_json_path;
    *code = NULL;
    *len = 0;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "verifier deployment is not available in this build");
}

int evm_proof_words(const char *proof_json_path, const char *public_json_path,
                    uint8_t **words, size_t *n_words, zkml_error *err)
{
    (void)proof_json_path; (void)public_json_path;
    *words = NULL;
    *n_words = 0;
    return zkml_fail(err, ZKML_EUNAVAILABLE, "proof encoding is not available in this build");
}
