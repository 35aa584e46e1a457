/*
 * fuzz_finalize_body.c - the body of POST .../ceremony/finalize on arbitrary
 * bytes. Besides not crashing: an accepted body gives an iteration exponent
 * in the range the server runs (10..24) and a terminated beacon string, and a
 * refused one a message.
 */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char beacon[512];
    int iterations = -1;
    zkml_error err = {0};
    int rc = ceremony_parse_finalize((const char *)data, size, beacon, &iterations, &err);
    if (rc == 0 && (iterations < 10 || iterations > 24 || memchr(beacon, 0, sizeof beacon) == NULL))
        abort();
    if (rc != 0 && (rc != ZKML_EINVAL || !err.message[0]))
        abort();
    return 0;
}
