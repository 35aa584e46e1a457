/* fuzz_r1cs.c - the .r1cs reader on arbitrary bytes: an error or a circuit, never a crash. */
#include "pipeline/snark/r1cs_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    r1cs cs;
    zkml_error err;
    if (r1cs_parse(&cs, data, size, "fuzz.r1cs", &err) == 0)
        r1cs_free(&cs);
    return 0;
}
