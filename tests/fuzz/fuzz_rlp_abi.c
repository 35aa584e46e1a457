/*
 * fuzz_rlp_abi.c - the decoders of untrusted chain data: RLP items (walked
 * recursively), ABI return data (a Version or Evaluation tuple, registrationAt's answer,
 * revert payloads). The first input byte picks the decoder; none may crash,
 * leak or read out of bounds, and RLP items must stay inside their parent.
 */
#include "registry/chain/chain_internal.h"

#include <stdlib.h>

static void walk_rlp(const uint8_t *data, size_t len, int depth)
{
    while (len > 0 && depth < 64) {
        rlp_item item;
        if (rlp_read(data, len, &item) != 0)
            return;
        if (item.total_len > len || item.payload < data ||
            item.payload + item.payload_len > data + len)
            abort();
        if (item.is_list)
            walk_rlp(item.payload, item.payload_len, depth + 1);
        data += item.total_len;
        len -= item.total_len;
    }
}

static void decode_abi(const uint8_t *data, size_t len)
{
    zkml_error err;
    size_t pos;
    chain_version v;
    /* getVersion's answer: the static tuple in place; latestVersion's:
     * (uint256, Version), the tuple after the number. */
    abi_decode_version(data, len, 0, &v, &err);
    abi_decode_version(data, len, 32, &v, &err);
    /* getEvaluation's answer, and bestVersion's (uint256, Evaluation). */
    chain_evaluation e;
    abi_decode_evaluation(data, len, 0, &e, &err);
    abi_decode_evaluation(data, len, 32, &e, &err);
    /* registrationAt's answer: (string, uint256). */
    char *task = NULL;
    if (abi_read_offset(data, len, 0, 0, &pos, &err) == 0)
        abi_read_string(data, len, pos, &task, NULL, &err);
    free(task);
    char reason[256];
    abi_describe_revert(data, len, reason, sizeof reason);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        walk_rlp(data + 1, size - 1, 0);
    else
        decode_abi(data + 1, size - 1);
    return 0;
}
