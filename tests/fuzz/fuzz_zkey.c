/* fuzz_zkey.c - the Groth16 .zkey reader (header, section sizes, the ceremony) on arbitrary bytes. */
#include "pipeline/snark/zkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zkey_file zk;
    groth16_vk vk;
    zkml_error err;
    if (zkey_parse(&zk, data, size, "fuzz.zkey", &err))
        return 0;
    if (zkey_vk(&zk, &vk, &err) == 0)
        groth16_vk_free(&vk);
    zkey_close(&zk);
    return 0;
}
