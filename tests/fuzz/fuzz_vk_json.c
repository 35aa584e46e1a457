/* fuzz_vk_json.c - verification_key.json parsing and Verifier.sol generation
 * (pipeline/evm) on arbitrary bytes: any input gives a source or an error,
 * never a crash, a leak or a read past the buffer. */
#include "pipeline/evm/evm.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sol = NULL, *abi = NULL;
    size_t n_public = 0;
    zkml_error err = {0};
    if (evm_verifier_source((const char *)data, size, "fuzz", &sol, &n_public, &err) == 0)
        evm_verifier_abi(n_public, &abi, &err);
    free(sol);
    free(abi);
    return 0;
}
