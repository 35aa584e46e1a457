/* fuzz_snarkjs_json.c - the verification key, proof and public-signal JSON
 * readers on arbitrary text (each input is tried with all three). */
#include "pipeline/snark/snark.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    zkml_error err;
    groth16_vk vk;
    groth16_proof proof;
    fr_t *pub;
    size_t n;
    if (vk_json_parse(&vk, text, size, "fuzz.json", &err) == 0)
        groth16_vk_free(&vk);
    proof_json_parse(&proof, text, size, "fuzz.json", &err);
    if (public_json_parse(&pub, &n, text, size, "fuzz.json", &err) == 0)
        free(pub);
    return 0;
}
