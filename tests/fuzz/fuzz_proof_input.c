/*
 * fuzz_proof_input.c - the parsers of a proof of a new input (circuit.h):
 * the request body {"input_data": [[...]], "output_data": [[...]]} against a
 * fixed input (4 values, scale 4, 7 bits) and, when the first byte is odd,
 * circuit.json's packing (circuit_input_spec_parse). An accepted body must
 * give a canonical JSON that parses back to the same values.
 */
#include "pipeline/circuit/circuit.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    zkml_error err;
    circuit_input_spec spec = {4, 3, 4, 0, 127, QUANT_VIS_HASHED};
    if (size > 0 && (data[0] & 1)) {
        circuit_input_spec parsed;
        if (circuit_input_spec_parse((const char *)data + 1, size - 1, &parsed, &err) == 0 &&
            (parsed.count < 1 || parsed.hi < parsed.lo))
            abort();
        return 0;
    }
    circuit_input_data d;
    if (circuit_input_parse((const char *)data, size, &spec, &d, &err) != 0)
        return 0;
    char *json = NULL;
    if (circuit_input_canonical_json(d.input, d.n_input, &json, &err) == 0) {
        cJSON *back = cJSON_Parse(json);
        const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(back, "input_data"), 0);
        if (cJSON_GetArraySize(row) != (int)d.n_input)
            abort();
        size_t i = 0;
        for (const cJSON *v = row ? row->child : NULL; v; v = v->next, i++)
            if ((float)v->valuedouble != (float)d.input[i])
                abort();
        cJSON_Delete(back);
    }
    free(json);
    circuit_input_data_free(&d);
    return 0;
}
