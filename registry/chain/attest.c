/*
 * attest.c - calldata of ModelRegistry.attest: a proof of a new input checked
 * by a registered version's own verifier on chain, answering the outputs it
 * proves (contracts/README.md). The packing it decodes them with is the
 * version's settings.json packing.output, read here, so that what a caller
 * sends is what the proof's circuit packed.
 */
#include "registry/chain/chain_internal.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

enum { SETTINGS_MAX_BYTES = 16 << 20 };

const char chain_attest_signature[] = "attest(string,uint256,uint256[2],uint256[2][2],uint256[2],"
                                       "uint256[],uint256,uint256,uint256)";

/* A whole number in [lo, hi] at packing.output.<key>. */
static int packing_number(const cJSON *o, const char *key, double lo, double hi, double *out,
                          zkml_error *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it) || it->valuedouble != (double)(int64_t)it->valuedouble ||
        it->valuedouble < lo || it->valuedouble > hi)
        return zkml_fail(err, ZKML_EINVAL,
                         "settings.json: packing.output.%s: expected a whole number in [%.0f, %.0f]",
                         key, lo, hi);
    *out = it->valuedouble;
    return 0;
}

static int parse_packing(const cJSON *root, chain_output_packing *p, zkml_error *err)
{
    const cJSON *vis = cJSON_GetObjectItemCaseSensitive(root, "output_visibility");
    p->hashed = cJSON_IsString(vis) && !strcmp(vis->valuestring, "hashed");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "packing"), "output");
    double count = 0, bits = 0, offset = 0;
    int rc;
    if ((rc = packing_number(o, "count", 1, UINT32_MAX, &count, err)) ||
        (rc = packing_number(o, "bits", 1, 64, &bits, err)) ||
        (rc = packing_number(o, "offset", 0, 9007199254740992.0, &offset, err)))
        return rc;
    p->count = (uint32_t)count;
    p->bits = (uint32_t)bits;
    p->offset = (uint64_t)offset;
    return 0;
}

int chain_output_packing_read(const char *settings_path, chain_output_packing *p, zkml_error *err)
{
    memset(p, 0, sizeof *p);
    uint8_t *text;
    size_t len;
    int rc = zkml_read_file(settings_path, SETTINGS_MAX_BYTES, &text, &len, err);
    if (rc)
        return rc;
    cJSON *root = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    rc = root ? parse_packing(root, p, err)
              : zkml_fail(err, ZKML_EINVAL, "settings.json: not valid JSON");
    cJSON_Delete(root);
    return rc;
}

int chain_attest_calldata(const char *task_id, uint64_t version, const uint8_t *proof_words,
                          size_t n_words, const chain_output_packing *p, zkml_buf *out,
                          zkml_error *err)
{
    if (n_words < 9)
        return zkml_fail(err, ZKML_EINVAL, "attest: a proof has 8 words and a public signal");
    uint8_t words[4][32];
    abi_word_from_u64(version, words[0]);
    abi_word_from_u64(p->count, words[1]);
    abi_word_from_u64(p->bits, words[2]);
    abi_word_from_u64(p->offset, words[3]);
    const abi_arg args[] = {
        {ABI_STRING, (const uint8_t *)task_id, strlen(task_id)},
        {ABI_WORD, words[0], 32},
        {ABI_FIXED_WORDS, proof_words, 64},
        {ABI_FIXED_WORDS, proof_words + 64, 128},
        {ABI_FIXED_WORDS, proof_words + 192, 64},
        {ABI_WORD_ARRAY, proof_words + 256, 32 * (n_words - 8)},
        {ABI_WORD, words[1], 32},
        {ABI_WORD, words[2], 32},
        {ABI_WORD, words[3], 32},
    };
    return abi_encode_call(chain_attest_signature, args, sizeof args / sizeof args[0], out, err);
}
