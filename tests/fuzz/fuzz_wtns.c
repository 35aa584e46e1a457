/* fuzz_wtns.c - the .wtns reader on arbitrary bytes. */
#include "pipeline/snark/r1cs_internal.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fr_t *w;
    size_t n;
    zkml_error err;
    if (wtns_parse(&w, &n, data, size, "fuzz.wtns", &err) == 0)
        free(w);
    return 0;
}
