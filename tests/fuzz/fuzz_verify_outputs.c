/* fuzz_verify_outputs.c - verify's output check (circuit.json's packing applied
 * to public signals, then output.json's outputs compared) must refuse junk
 * without crashing. Input: circuit.json text, a NUL byte, output.json text. */
#include "pipeline/circuit/circuit.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t first = nul ? (size_t)(nul - data) : size;
    /* Two signals: one with every bit of 252 set, one small. */
    fr_t pub[2];
    uint8_t ones[32];
    memset(ones, 0xff, sizeof ones);
    ones[31] = 0x0f;
    fr_from_bytes_le(&pub[0], ones);
    fr_from_u64(&pub[1], 0x0123456789abcdefULL);
    circuit_outputs o;
    zkml_error err;
    if (circuit_outputs_decode((const char *)data, first, pub, 2, &o, &err) == 0 && nul)
        (void)circuit_outputs_match((const char *)nul + 1, size - first - 1, &o, &err);
    circuit_outputs_free(&o);
    return 0;
}
