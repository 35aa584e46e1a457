/* fuzz_snarkjs_json.c - the verification key, proof and public-signal JSON
 * readers on arbitrary text (each input is tried with all three). */
#include "pipeline/snark/groth16.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    zkml_error err;
    groth16_vk vk;
    groth16_proof proof;
    fr_t *pub;
    size_t n;
    if (vk_json_parse(&vk, text, "fuzz.json", &err) == 0)
        groth16_vk_free(&vk);
    proof_json_parse(&proof, text, "fuzz.json", &err);
    if (public_json_parse(&pub, &n, text, "fuzz.json", &err) == 0)
        free(pub);
    free(text);
    return 0;
}
