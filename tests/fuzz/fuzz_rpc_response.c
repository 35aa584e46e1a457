/*
 * fuzz_rpc_response.c - JSON-RPC response bodies as a node (or anything on
 * the other end of ZKML_RPC_URL) might send them: results, error objects with
 * revert data, garbage. Parsing must never crash or leak.
 */
#include "registry/chain/chain_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *result = NULL;
    chain_rpc_error rpc_err = {0};
    zkml_error err;
    if (chain_rpc_parse_response((const char *)data, size, &result, &rpc_err, &err) == 0 &&
        cJSON_IsString(result)) {
        uint64_t q;
        uint8_t word[32], *bytes;
        size_t len;
        chain_parse_quantity(result->valuestring, &q);
        chain_parse_quantity256(result->valuestring, word);
        if (chain_unhex_alloc(result->valuestring, &bytes, &len) == 0)
            free(bytes);
    }
    if (rpc_err.data_len) {
        char reason[256];
        abi_describe_revert(rpc_err.data, rpc_err.data_len, reason, sizeof reason);
    }
    chain_rpc_error_clear(&rpc_err);
    cJSON_Delete(result);
    return 0;
}
