/*
 * fuzz_infernet_input.c - an InfernetInput's fields (infernet_input_parse,
 * server/infernet_input.c) on arbitrary JSON. An accepted input must have
 * source 0 with hex text as data or source 1 with an object; a refused one
 * must say why.
 */
#include "server/server.h"

#include <cJSON.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *body = cJSON_ParseWithLength((const char *)data, size);
    infernet_input in;
    zkml_error err = {0};
    if (infernet_input_parse(body, &in, &err) == 0) {
        if (!(in.source == 0 && cJSON_IsString(in.data)) &&
            !(in.source == 1 && cJSON_IsObject(in.data)))
            abort();
    } else if (!err.message[0]) {
        abort();
    }
    cJSON_Delete(body);
    return 0;
}
