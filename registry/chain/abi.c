/*
 * abi.c - hex text and the Solidity ABI subset ModelRegistry needs: call
 * encoding (head/tail layout of words, fixed arrays, strings and uint256[])
 * and bounds-checked decoding of return data, which comes from the network
 * and is never trusted.
 */
#include "registry/chain/chain_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

void chain_hex_plain(const uint8_t *data, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_digits[data[i] >> 4];
        out[2 * i + 1] = hex_digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

void chain_hex(const uint8_t *data, size_t len, char *out)
{
    out[0] = '0';
    out[1] = 'x';
    chain_hex_plain(data, len, out + 2);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static const char *skip_0x(const char *hex)
{
    return (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) ? hex + 2 : hex;
}

int chain_unhex_exact(const char *hex, uint8_t *out, size_t len)
{
    hex = skip_0x(hex);
    if (strlen(hex) != 2 * len)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int chain_unhex_alloc(const char *hex, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    hex = skip_0x(hex);
    size_t n = strlen(hex);
    if (n % 2)
        return -1;
    if (n == 0)
        return 0;
    uint8_t *bytes = malloc(n / 2);
    if (!bytes)
        return -1;
    if (chain_unhex_exact(hex, bytes, n / 2) != 0) {
        free(bytes);
        return -1;
    }
    *out = bytes;
    *len = n / 2;
    return 0;
}

int chain_hex_decode(const char *what, const char *hex, uint8_t **out, size_t *len,
                     zkml_error *err)
{
    *out = NULL;
    *len = 0;
    hex = skip_0x(hex);
    size_t n = strlen(hex);
    if (n % 2)
        return zkml_fail(err, ZKML_EINVAL, "%s: odd number of hex digits (%zu)", what, n);
    uint8_t *bytes = malloc(n / 2 + 1);
    if (!bytes)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", what);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(bytes);
            return zkml_fail(err, ZKML_EINVAL, "%s: byte %zu is not two hex digits", what, i);
        }
        bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = bytes;
    *len = n / 2;
    return 0;
}

int chain_parse_quantity256(const char *hex, uint8_t word[32])
{
    if (hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X'))
        return -1;
    hex += 2;
    size_t n = strlen(hex);
    if (n == 0 || n > 64)
        return -1;
    memset(word, 0, 32);
    for (size_t i = 0; i < n; i++) {
        int v = hex_value(hex[n - 1 - i]);
        if (v < 0)
            return -1;
        word[31 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
    }
    return 0;
}

int chain_parse_quantity(const char *hex, uint64_t *value)
{
    uint8_t word[32];
    if (chain_parse_quantity256(hex, word) != 0)
        return -1;
    for (int i = 0; i < 24; i++)
        if (word[i])
            return -1;
    uint64_t v = 0;
    for (int i = 24; i < 32; i++)
        v = (v << 8) | word[i];
    *value = v;
    return 0;
}

int chain_parse_address(const char *text, uint8_t address[20])
{
    if (text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
        return -1;
    return chain_unhex_exact(text, address, 20);
}

/* ---- encoding ------------------------------------------------------------- */

void abi_selector(const char *signature, uint8_t out[4])
{
    uint8_t hash[32];
    evm_keccak256(hash, signature, strlen(signature));
    memcpy(out, hash, 4);
}

void abi_word_from_u64(uint64_t value, uint8_t word[32])
{
    memset(word, 0, 32);
    for (int i = 0; i < 8; i++)
        word[31 - i] = (uint8_t)(value >> (8 * i));
}

void abi_word_from_address(const uint8_t address[20], uint8_t word[32])
{
    memset(word, 0, 12);
    memcpy(word + 12, address, 20);
}

static size_t abi_head_size(const abi_arg *a)
{
    return a->kind == ABI_FIXED_WORDS ? a->len : 32;
}

static void abi_put_tail(zkml_buf *out, const abi_arg *a)
{
    uint8_t word[32];
    size_t count = a->kind == ABI_STRING ? a->len : a->len / 32;
    abi_word_from_u64(count, word);
    zkml_buf_put(out, word, 32);
    zkml_buf_put(out, a->data, a->len);
    static const uint8_t zeros[32];
    if (a->len % 32)
        zkml_buf_put(out, zeros, 32 - a->len % 32);
}

static size_t abi_tail_size(const abi_arg *a)
{
    return 32 + (a->len + 31) / 32 * 32;
}

int abi_encode_call(const char *signature, const abi_arg *args, size_t n, zkml_buf *out,
                    zkml_error *err)
{
    size_t head = 0;
    for (size_t i = 0; i < n; i++) {
        const abi_arg *a = &args[i];
        if ((a->kind == ABI_WORD && a->len != 32) ||
            ((a->kind == ABI_FIXED_WORDS || a->kind == ABI_WORD_ARRAY) && a->len % 32))
            return zkml_fail(err, ZKML_EINTERNAL, "%s: argument %zu has %zu bytes", signature,
                             i + 1, a->len);
        head += abi_head_size(a);
    }
    uint8_t selector[4];
    abi_selector(signature, selector);
    zkml_buf_put(out, selector, 4);
    size_t tail_offset = head;
    uint8_t word[32];
    for (size_t i = 0; i < n; i++) {
        const abi_arg *a = &args[i];
        if (a->kind == ABI_WORD || a->kind == ABI_FIXED_WORDS) {
            zkml_buf_put(out, a->data, a->len);
        } else {
            abi_word_from_u64(tail_offset, word);
            zkml_buf_put(out, word, 32);
            tail_offset += abi_tail_size(a);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (args[i].kind == ABI_STRING || args[i].kind == ABI_WORD_ARRAY)
            abi_put_tail(out, &args[i]);
    if (out->oom)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory encoding the call", signature);
    return 0;
}

/* ---- decoding ------------------------------------------------------------- */

int abi_read_word(const uint8_t *data, size_t len, size_t base, size_t i, uint8_t word[32],
                  zkml_error *err)
{
    if (base > len || i >= (len - base) / 32)
        return zkml_fail(err, ZKML_EINVAL,
                         "ABI return data: word %zu at byte %zu is past the end (%zu bytes)", i,
                         base, len);
    memcpy(word, data + base + 32 * i, 32);
    return 0;
}

int abi_read_u64(const uint8_t *data, size_t len, size_t base, size_t i, uint64_t *value,
                 zkml_error *err)
{
    uint8_t word[32];
    int rc = abi_read_word(data, len, base, i, word, err);
    if (rc)
        return rc;
    for (int k = 0; k < 24; k++)
        if (word[k])
            return zkml_fail(err, ZKML_EINVAL,
                             "ABI return data: word %zu at byte %zu does not fit 64 bits", i, base);
    uint64_t v = 0;
    for (int k = 24; k < 32; k++)
        v = (v << 8) | word[k];
    *value = v;
    return 0;
}

int abi_read_offset(const uint8_t *data, size_t len, size_t base, size_t i, size_t *pos,
                    zkml_error *err)
{
    uint64_t offset = 0;
    int rc = abi_read_u64(data, len, base, i, &offset, err);
    if (rc)
        return rc;
    if (offset > len - base)
        return zkml_fail(err, ZKML_EINVAL, "ABI return data: offset %llu is past the end",
                         (unsigned long long)offset);
    *pos = base + (size_t)offset;
    return 0;
}

int abi_read_string(const uint8_t *data, size_t len, size_t pos, char **text, size_t *text_len,
                    zkml_error *err)
{
    *text = NULL;
    uint64_t n;
    int rc = abi_read_u64(data, len, pos, 0, &n, err);
    if (rc)
        return rc;
    if (n > len - pos - 32)
        return zkml_fail(err, ZKML_EINVAL,
                         "ABI return data: a string of %llu bytes at byte %zu is past the end",
                         (unsigned long long)n, pos);
    char *s = malloc((size_t)n + 1);
    if (!s)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory decoding a string");
    memcpy(s, data + pos + 32, (size_t)n);
    s[n] = '\0';
    *text = s;
    if (text_len)
        *text_len = (size_t)n;
    return 0;
}

static int abi_read_address(const uint8_t *data, size_t len, size_t base, size_t i,
                            uint8_t address[20], zkml_error *err)
{
    uint8_t word[32];
    int rc = abi_read_word(data, len, base, i, word, err);
    if (rc)
        return rc;
    for (int k = 0; k < 12; k++)
        if (word[k])
            return zkml_fail(err, ZKML_EINVAL, "ABI return data: word %zu is not an address", i);
    memcpy(address, word + 12, 20);
    return 0;
}

/* Version {bytes32 modelHash, circuitHash, settingsHash, vkHash, signalsHash;
 * address verifier; uint64 timestamp; address registrant}: all static, so the
 * tuple is its eight words in place at pos. */
int abi_decode_version(const uint8_t *data, size_t len, size_t pos, chain_version *v,
                       zkml_error *err)
{
    memset(v, 0, sizeof *v);
    int rc;
    if ((rc = abi_read_word(data, len, pos, 0, v->model_hash, err)) ||
        (rc = abi_read_word(data, len, pos, 1, v->circuit_hash, err)) ||
        (rc = abi_read_word(data, len, pos, 2, v->settings_hash, err)) ||
        (rc = abi_read_word(data, len, pos, 3, v->vk_hash, err)) ||
        (rc = abi_read_word(data, len, pos, 4, v->signals_hash, err)) ||
        (rc = abi_read_address(data, len, pos, 5, v->verifier, err)) ||
        (rc = abi_read_u64(data, len, pos, 6, &v->timestamp, err)) ||
        (rc = abi_read_address(data, len, pos, 7, v->registrant, err)))
        return rc;
    return 0;
}

int abi_decode_evaluation(const uint8_t *data, size_t len, size_t pos, chain_evaluation *e,
                          zkml_error *err)
{
    memset(e, 0, sizeof *e);
    int rc;
    if ((rc = abi_read_word(data, len, pos, 0, e->dataset_commitment, err)) ||
        (rc = abi_read_word(data, len, pos, 1, e->vk_hash, err)) ||
        (rc = abi_read_address(data, len, pos, 2, e->verifier, err)) ||
        (rc = abi_read_u64(data, len, pos, 3, &e->timestamp, err)) ||
        (rc = abi_read_u64(data, len, pos, 4, &e->rows, err)) ||
        (rc = abi_read_u64(data, len, pos, 5, &e->value, err)) ||
        (rc = abi_read_u64(data, len, pos, 6, &e->threshold, err)) ||
        (rc = abi_read_u64(data, len, pos, 7, &e->kind, err)) ||
        (rc = abi_read_u64(data, len, pos, 8, &e->within_threshold, err)))
        return rc;
    return 0;
}

/* Keeps printable ASCII of a revert message so it cannot break a log line. */
static void copy_printable(char *out, size_t outlen, const char *s)
{
    size_t j = 0;
    for (size_t i = 0; s[i] && j + 1 < outlen; i++)
        out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[j] = '\0';
}

/* ModelRegistry's custom errors, decoded by name so a revert reads as a sentence. */
static const char *const known_errors[] = {
    "InvalidTaskId(string)",
    "ZeroModelHash()",
    "NoPublicSignals()",
    "KeyLengthMismatch(uint256,uint256)",
    "NotTaskOwner(string,address,address)",
    "ProofRejected(string,bytes32)",
    "UnknownTask(string)",
    "UnknownVersion(string,uint256)",
    "UnknownRegistration(bytes32,uint256)",
    "ZeroNewOwner()",
    "EvaluationExists(string,uint256)",
    "EvaluationLayout(uint256)",
    "EvaluationOfAnotherCircuit(string,uint256,uint256)",
    "EvaluationOutOfRange(uint256)",
    "EvaluationOfOtherParameters(string,uint256,uint256)",
    "NotTheVersionSignals(string,uint256)",
    "BadOutputPacking(uint256,uint256,uint256,uint256)",
    "OutputsNotPacked(uint256)",
    /* the verifier deployer's, passed on by registerVersion */
    "MalformedVerificationKey(uint256)",
    "KeyWordNotInField(uint256)",
    "DegenerateVerificationKey()",
};

/* Appends argument i of type `type` (string, address, bytes32, uint256) as text. */
static int describe_argument(const uint8_t *args, size_t len, size_t i, const char *type,
                             size_t type_len, char *out, size_t outlen)
{
    uint8_t word[32];
    if (abi_read_word(args, len, 0, i, word, NULL))
        return -1;
    if (type_len == 6 && !memcmp(type, "string", 6)) {
        size_t pos = 0; /* set by abi_read_offset; -O2 cannot see it */
        char *text;
        if (abi_read_offset(args, len, 0, i, &pos, NULL) ||
            abi_read_string(args, len, pos, &text, NULL, NULL))
            return -1;
        char printable[128];
        copy_printable(printable, sizeof printable, text);
        free(text);
        snprintf(out, outlen, "\"%s\"", printable);
    } else if (type_len == 7 && !memcmp(type, "address", 7)) {
        chain_hex(word + 12, 20, out);
    } else {
        chain_hex(word, 32, out);
    }
    return 0;
}

static int describe_known_error(const uint8_t *data, size_t len, char *out, size_t outlen)
{
    for (size_t k = 0; k < sizeof known_errors / sizeof known_errors[0]; k++) {
        const char *sig = known_errors[k];
        uint8_t selector[4];
        abi_selector(sig, selector);
        if (memcmp(data, selector, 4))
            continue;
        const char *open = strchr(sig, '(');
        size_t used = (size_t)snprintf(out, outlen, "%.*s(", (int)(open - sig), sig);
        const char *type = open + 1;
        for (size_t i = 0; *type != ')'; i++) {
            size_t type_len = strcspn(type, ",)");
            char arg[160];
            if (describe_argument(data + 4, len - 4, i, type, type_len, arg, sizeof arg))
                return -1;
            if (used < outlen)
                used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", arg);
            type += type_len + (type[type_len] == ',');
        }
        if (used < outlen)
            snprintf(out + used, outlen - used, ")");
        return 0;
    }
    return -1;
}

void abi_describe_revert(const uint8_t *data, size_t len, char *out, size_t outlen)
{
    static const uint8_t error_string[4] = {0x08, 0xc3, 0x79, 0xa0}; /* Error(string) */
    static const uint8_t panic_code[4] = {0x4e, 0x48, 0x7b, 0x71};   /* Panic(uint256) */
    if (len == 0) {
        snprintf(out, outlen, "no reason given");
        return;
    }
    if (len >= 4 && !memcmp(data, error_string, 4)) {
        size_t pos = 0; /* set on success; GCC -O3 cannot see it (maybe-uninitialized) */
        char *text;
        if (abi_read_offset(data + 4, len - 4, 0, 0, &pos, NULL) == 0 &&
            abi_read_string(data + 4, len - 4, pos, &text, NULL, NULL) == 0) {
            copy_printable(out, outlen, text);
            free(text);
            return;
        }
    }
    uint64_t code;
    if (len >= 4 && !memcmp(data, panic_code, 4) &&
        abi_read_u64(data + 4, len - 4, 0, 0, &code, NULL) == 0) {
        snprintf(out, outlen, "panic 0x%02llx", (unsigned long long)code);
        return;
    }
    if (len >= 4 && describe_known_error(data, len, out, outlen) == 0)
        return;
    char sel[11];
    chain_hex(data, len < 4 ? len : 4, sel);
    snprintf(out, outlen, "custom error %s (%zu bytes of data)", sel, len);
}
