/*
 * chain_vectors_test.c - keccak-256, SHA-256, RLP, ABI, key handling and
 * ecrecover checked against published vectors (Keccak team / Ethereum,
 * FIPS 180-2, the Ethereum RLP spec, the Solidity ABI spec, go-ethereum's
 * ecRecover precompile vectors). No chain needed.
 * Usage: chain_vectors_test ecRecover.json
 */
#include "chain_test.h"

#include <sys/stat.h>
#include <unistd.h>

static void test_keccak(void)
{
    uint8_t h[32];
    evm_keccak256(h, "", 0);
    CHECK(hex_equals(h, 32, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"));
    evm_keccak256(h, "abc", 3);
    CHECK(hex_equals(h, 32, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"));
    const char *fox = "The quick brown fox jumps over the lazy dog";
    evm_keccak256(h, fox, strlen(fox));
    CHECK(hex_equals(h, 32, "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"));
    /* Function selectors published in the ERC-20 and Solidity ABI specs. */
    static const struct {
        const char *sig, *hex;
    } selectors[] = {
        {"transfer(address,uint256)", "a9059cbb"},
        {"balanceOf(address)", "70a08231"},
        {"approve(address,uint256)", "095ea7b3"},
        {"baz(uint32,bool)", "cdcd77c0"},
        {"bar(bytes3[2])", "fce353f6"},
        {"sam(bytes,bool,uint256[])", "a5643bf2"},
        {"Error(string)", "08c379a0"},
    };
    for (size_t i = 0; i < sizeof selectors / sizeof selectors[0]; i++) {
        uint8_t sel[4];
        abi_selector(selectors[i].sig, sel);
        if (!hex_equals(sel, 4, selectors[i].hex)) {
            fprintf(stderr, "selector of %s\n", selectors[i].sig);
            failures++;
        }
    }
}

static void test_sha256(const char *tmpdir)
{
    uint8_t h[32];
    zkml_sha256("", 0, h);
    CHECK(hex_equals(h, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    zkml_sha256("abc", 3, h);
    CHECK(hex_equals(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    zkml_sha256(two_blocks, strlen(two_blocks), h);
    CHECK(hex_equals(h, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    /* One million 'a' (FIPS 180-2 appendix B.3), through the file reader. */
    char path[512];
    snprintf(path, sizeof path, "%s/million_a", tmpdir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    for (int i = 0; i < 1000000; i++)
        fputc('a', f);
    fclose(f);
    zkml_error err;
    CHECK_OK(zkml_sha256_file(path, h, &err), &err);
    CHECK(hex_equals(h, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    CHECK(zkml_sha256_file("/nonexistent/model.onnx", h, &err) == ZKML_ENOTFOUND);
}

static int rlp_bytes_is(const char *text, const char *hex)
{
    zkml_buf b = {0};
    rlp_put_bytes(&b, (const uint8_t *)text, strlen(text));
    int ok = !b.oom && hex_equals(b.data, b.len, hex);
    zkml_buf_free(&b);
    return ok;
}

static int rlp_uint_is(uint64_t v, const char *hex)
{
    zkml_buf b = {0};
    rlp_put_uint(&b, v);
    int ok = !b.oom && hex_equals(b.data, b.len, hex);
    zkml_buf_free(&b);
    return ok;
}

static void test_rlp(void)
{
    /* The examples of the Ethereum RLP specification. */
    CHECK(rlp_bytes_is("dog", "83646f67"));
    CHECK(rlp_bytes_is("", "80"));
    CHECK(rlp_uint_is(0, "80"));
    CHECK(rlp_uint_is(15, "0f"));
    CHECK(rlp_uint_is(1024, "820400"));
    const char *lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
    zkml_buf b = {0};
    rlp_put_bytes(&b, (const uint8_t *)lorem, strlen(lorem));
    CHECK(b.len == 58 && b.data[0] == 0xb8 && b.data[1] == 0x38 && !memcmp(b.data + 2, lorem, 56));
    zkml_buf_free(&b);

    zkml_buf items = {0}, list = {0};
    rlp_put_bytes(&items, (const uint8_t *)"cat", 3);
    rlp_put_bytes(&items, (const uint8_t *)"dog", 3);
    rlp_put_list(&list, items.data, items.len);
    CHECK(hex_equals(list.data, list.len, "c88363617483646f67"));
    rlp_item item;
    CHECK(rlp_read(list.data, list.len, &item) == 0 && item.is_list && item.payload_len == 8 &&
          item.total_len == 9);
    rlp_item first;
    CHECK(rlp_read(item.payload, item.payload_len, &first) == 0 && !first.is_list &&
          first.payload_len == 3 && !memcmp(first.payload, "cat", 3));
    zkml_buf_free(&items);
    zkml_buf_free(&list);

    /* [ [], [[]], [ [], [[]] ] ] -> c7 c0 c1c0 c3c0c1c0 */
    zkml_buf empty = {0}, one = {0}, inner = {0}, three = {0}, all = {0}, out = {0};
    rlp_put_list(&empty, NULL, 0);
    rlp_put_list(&one, empty.data, empty.len);
    zkml_buf_put(&inner, empty.data, empty.len);
    zkml_buf_put(&inner, one.data, one.len);
    rlp_put_list(&three, inner.data, inner.len);
    zkml_buf_put(&all, empty.data, empty.len);
    zkml_buf_put(&all, one.data, one.len);
    zkml_buf_put(&all, three.data, three.len);
    rlp_put_list(&out, all.data, all.len);
    CHECK(hex_equals(out.data, out.len, "c7c0c1c0c3c0c1c0"));
    zkml_buf *bufs[] = {&empty, &one, &inner, &three, &all, &out};
    for (size_t i = 0; i < 6; i++)
        zkml_buf_free(bufs[i]);

    /* Non-canonical and truncated encodings are refused. */
    static const uint8_t single_as_string[] = {0x81, 0x05};
    static const uint8_t long_form_short[] = {0xb8, 0x02, 0x61, 0x62};
    static const uint8_t truncated[] = {0x83, 0x64, 0x6f};
    static const uint8_t leading_zero_len[] = {0xb9, 0x00, 0x38};
    CHECK(rlp_read(single_as_string, 2, &item) != 0);
    CHECK(rlp_read(long_form_short, 4, &item) != 0);
    CHECK(rlp_read(truncated, 3, &item) != 0);
    CHECK(rlp_read(leading_zero_len, 3, &item) != 0);
    CHECK(rlp_read(NULL, 0, &item) != 0);
}

static void test_abi(void)
{
    zkml_error err;
    /* The Solidity ABI specification's example: sam("dave", true, [1, 2, 3]). */
    uint8_t one[32], numbers[96];
    abi_word_from_u64(1, one);
    for (int i = 0; i < 3; i++)
        abi_word_from_u64((uint64_t)i + 1, numbers + 32 * i);
    abi_arg args[3] = {{ABI_STRING, (const uint8_t *)"dave", 4},
                       {ABI_WORD, one, 32},
                       {ABI_WORD_ARRAY, numbers, 96}};
    zkml_buf b = {0};
    CHECK_OK(abi_encode_call("sam(bytes,bool,uint256[])", args, 3, &b, &err), &err);
    CHECK(hex_equals(b.data, b.len,
                     "a5643bf2"
                     "0000000000000000000000000000000000000000000000000000000000000060"
                     "0000000000000000000000000000000000000000000000000000000000000001"
                     "00000000000000000000000000000000000000000000000000000000000000a0"
                     "0000000000000000000000000000000000000000000000000000000000000004"
                     "6461766500000000000000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000000000000000000000000000000003"
                     "0000000000000000000000000000000000000000000000000000000000000001"
                     "0000000000000000000000000000000000000000000000000000000000000002"
                     "0000000000000000000000000000000000000000000000000000000000000003"));
    zkml_buf_free(&b);
    /* bar(["abc", "def"]): a fixed array sits inline in the head. */
    uint8_t pair[64] = {0};
    memcpy(pair, "abc", 3);
    memcpy(pair + 32, "def", 3);
    abi_arg fixed = {ABI_FIXED_WORDS, pair, 64};
    CHECK_OK(abi_encode_call("bar(bytes3[2])", &fixed, 1, &b, &err), &err);
    CHECK(hex_equals(b.data, b.len,
                     "fce353f6"
                     "6162630000000000000000000000000000000000000000000000000000000000"
                     "6465660000000000000000000000000000000000000000000000000000000000"));
    zkml_buf_free(&b);

    /* Decoding sam's arguments back, and refusing data that points outside. */
    uint8_t data[9 * 32];
    size_t pos;
    char *text = NULL;
    size_t text_len;
    CHECK(chain_unhex_exact("0000000000000000000000000000000000000000000000000000000000000060"
                            "0000000000000000000000000000000000000000000000000000000000000001"
                            "00000000000000000000000000000000000000000000000000000000000000a0"
                            "0000000000000000000000000000000000000000000000000000000000000004"
                            "6461766500000000000000000000000000000000000000000000000000000000"
                            "0000000000000000000000000000000000000000000000000000000000000003"
                            "0000000000000000000000000000000000000000000000000000000000000001"
                            "0000000000000000000000000000000000000000000000000000000000000002"
                            "0000000000000000000000000000000000000000000000000000000000000003",
                            data, sizeof data) == 0);
    CHECK_OK(abi_read_offset(data, sizeof data, 0, 0, &pos, &err), &err);
    CHECK_OK(abi_read_string(data, sizeof data, pos, &text, &text_len, &err), &err);
    CHECK(text && text_len == 4 && !strcmp(text, "dave"));
    free(text);
    uint64_t v;
    CHECK_OK(abi_read_u64(data, sizeof data, 0, 1, &v, &err), &err);
    CHECK(v == 1);
    CHECK(abi_read_u64(data, sizeof data, 0, 9, &v, &err) == ZKML_EINVAL);
    CHECK(abi_read_string(data, sizeof data, 8 * 32 + 1, &text, NULL, &err) != 0);
    data[3 * 32 + 31] = 0xff; /* the string claims 255 bytes */
    CHECK(abi_read_string(data, sizeof data, pos, &text, NULL, &err) == ZKML_EINVAL);

    /* A revert reason: Error(string) with "Not enough Ether provided." (Solidity docs). */
    uint8_t *revert;
    size_t revert_len;
    CHECK(chain_unhex_alloc("0x08c379a0"
                            "0000000000000000000000000000000000000000000000000000000000000020"
                            "000000000000000000000000000000000000000000000000000000000000001a"
                            "4e6f7420656e6f7567682045746865722070726f76696465642e000000000000",
                            &revert, &revert_len) == 0);
    char reason[128];
    abi_describe_revert(revert, revert_len, reason, sizeof reason);
    CHECK(!strcmp(reason, "Not enough Ether provided."));
    abi_describe_revert(revert, 20, reason, sizeof reason); /* truncated */
    CHECK(strstr(reason, "0x08c379a0") != NULL);
    free(revert);

    /* Quantities and addresses. */
    CHECK(chain_parse_quantity("0x0", &v) == 0 && v == 0);
    CHECK(chain_parse_quantity("0x1a", &v) == 0 && v == 26);
    CHECK(chain_parse_quantity("1a", &v) != 0);
    CHECK(chain_parse_quantity("0x", &v) != 0);
    CHECK(chain_parse_quantity("0x10000000000000000", &v) != 0);
    uint8_t address[20];
    CHECK(chain_parse_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", address) == 0);
    CHECK(chain_parse_address("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266", address) != 0);
    CHECK(chain_parse_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226g", address) != 0);
}

/* abi.encode(int256[]) of [1, -2, 300, -2^40, 2^53 + 1], as ethers 5.8's
 * defaultAbiCoder writes it; then what the decoder refuses, by byte offset. */
static const char VALUES_HEX[] =
    "0x0000000000000000000000000000000000000000000000000000000000000020"
    "0000000000000000000000000000000000000000000000000000000000000005"
    "0000000000000000000000000000000000000000000000000000000000000001"
    "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe"
    "000000000000000000000000000000000000000000000000000000000000012c"
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffff0000000000"
    "0000000000000000000000000000000000000000000000000020000000000001";

static void expect_refused(const char *hex, const char *message)
{
    zkml_error err = {0};
    uint8_t *bytes = NULL;
    int64_t *v = NULL;
    size_t len = 0, n = 0;
    int rc = chain_hex_decode("data", hex, &bytes, &len, &err);
    if (rc == 0)
        rc = chain_abi_decode_values("data", bytes, len, &v, &n, &err);
    CHECK(rc == ZKML_EINVAL && strstr(err.message, message), "'%s' for %.40s, want '%s'",
          err.message, hex, message);
    free(bytes);
    free(v);
}

static void test_abi_values(void)
{
    zkml_error err;
    uint8_t *bytes = NULL;
    size_t len = 0, n = 0;
    int64_t *v = NULL;
    CHECK_OK(chain_hex_decode("data", VALUES_HEX, &bytes, &len, &err), &err);
    CHECK_OK(chain_abi_decode_values("data", bytes, len, &v, &n, &err), &err);
    static const int64_t want[] = {1, -2, 300, -1099511627776, 9007199254740993};
    CHECK(n == 5 && v && !memcmp(v, want, sizeof want));
    zkml_buf b = {0};
    chain_abi_encode_values(want, 5, &b);
    CHECK(b.len == len && bytes && !memcmp(b.data, bytes, len));
    zkml_buf_free(&b);
    free(bytes);
    free(v);
    char bad[sizeof VALUES_HEX];
    memcpy(bad, VALUES_HEX, sizeof bad);
    bad[2 + 2 * 70] = 'g'; /* in byte 70 */
    expect_refused(bad, "data: byte 70 is not two hex digits");
    expect_refused("0x123", "odd number of hex digits (3)");
    expect_refused("0x00", "1 bytes is not abi.encode(int256[])");
    memcpy(bad, VALUES_HEX, sizeof bad);
    bad[2 + 63] = '4'; /* offset 0x24 */
    expect_refused(bad, "byte 0: the offset word must be 32");
    memcpy(bad, VALUES_HEX, sizeof bad);
    bad[2 + 127] = '6'; /* six values claimed, five follow */
    expect_refused(bad, "byte 32: the length word does not match the 5 values");
    memcpy(bad, VALUES_HEX, sizeof bad);
    bad[2 + 2 * (64 + 32 * 2)] = '1'; /* value 2 becomes 2^252 + 300 */
    expect_refused(bad, "byte 128: value 2 is outside the signed 64-bit range");
}

static void test_keys(const char *tmpdir)
{
    zkml_error err;
    chain_key key;
    /* anvil's first two development accounts (public, documented by Foundry). */
    CHECK_OK(chain_key_from_hex(CHAIN_ANVIL_DEV_KEY, &key, &err), &err);
    CHECK(hex_equals(key.address, 20, "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"));
    CHECK_OK(chain_key_from_hex(
                 "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", &key, &err),
             &err);
    CHECK(hex_equals(key.address, 20, "70997970c51812dc3a010c7d01b50e0d17dc79c8"));
    chain_key_wipe(&key);
    static const uint8_t zero[sizeof key] = {0};
    CHECK(!memcmp(&key, zero, sizeof key));

    char path[512];
    CHECK(write_key_file(tmpdir, "good.key", "0x" CHAIN_ANVIL_DEV_KEY "\n", 0600, path,
                         sizeof path) == 0);
    CHECK_OK(chain_key_load(path, &key, &err), &err);
    CHECK(hex_equals(key.address, 20, "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"));
    chain_key_wipe(&key);

    /* Readable by group or others: refused, and the message names the file, not the key. */
    CHECK(write_key_file(tmpdir, "open.key", CHAIN_ANVIL_DEV_KEY, 0644, path, sizeof path) == 0);
    CHECK(chain_key_load(path, &key, &err) == ZKML_EINVAL);
    CHECK(strstr(err.message, "readable by group or others") != NULL);
    CHECK(strstr(err.message, "0644") != NULL);
    CHECK(strstr(err.message, "ac0974") == NULL);
    CHECK(write_key_file(tmpdir, "group.key", CHAIN_ANVIL_DEV_KEY, 0640, path, sizeof path) == 0);
    CHECK(chain_key_load(path, &key, &err) == ZKML_EINVAL);

    /* Malformed keys: the message never echoes the file's content. */
    CHECK(write_key_file(tmpdir, "short.key", "ac0974bec39a17e36ba4a6b4d2", 0600, path,
                         sizeof path) == 0);
    CHECK(chain_key_load(path, &key, &err) == ZKML_EINVAL);
    CHECK(strstr(err.message, "ac0974") == NULL);
    CHECK(write_key_file(tmpdir, "zero.key",
                         "0000000000000000000000000000000000000000000000000000000000000000", 0600,
                         path, sizeof path) == 0);
    CHECK(chain_key_load(path, &key, &err) == ZKML_EINVAL);
    CHECK(chain_key_load("/nonexistent/key", &key, &err) == ZKML_ENOTFOUND);
}

/* go-ethereum's ecrecover vectors: hash || v || r || s -> the padded address or "". */
static void test_ecrecover(const char *vectors_path)
{
    uint8_t *text;
    size_t len;
    zkml_error err;
    CHECK_OK(zkml_read_file(vectors_path, 1 << 20, &text, &len, &err), &err);
    cJSON *all = text ? cJSON_ParseWithLength((const char *)text, len) : NULL;
    free(text);
    CHECK(cJSON_IsArray(all) && cJSON_GetArraySize(all) == 5);
    int checked = 0;
    const cJSON *vector;
    cJSON_ArrayForEach(vector, all)
    {
        const char *name = cJSON_GetObjectItem(vector, "Name")->valuestring;
        const char *input_hex = cJSON_GetObjectItem(vector, "Input")->valuestring;
        const char *expected = cJSON_GetObjectItem(vector, "Expected")->valuestring;
        uint8_t input[128] = {0}, *raw;
        size_t raw_len;
        CHECK(chain_unhex_alloc(input_hex, &raw, &raw_len) == 0);
        memcpy(input, raw, raw_len < 128 ? raw_len : 128); /* short input is zero-padded */
        free(raw);
        /* v is a whole 32-byte word that must be exactly 27 or 28. */
        int v_ok = input[63] == 27 || input[63] == 28;
        for (int i = 32; i < 63; i++)
            v_ok = v_ok && input[i] == 0;
        uint8_t address[20];
        int recovered = v_ok && chain_recover_address(input, input + 64, input + 96, input[63] - 27,
                                                      address) == 0;
        char got[65] = "";
        if (recovered) {
            uint8_t padded[32] = {0};
            memcpy(padded + 12, address, 20);
            chain_hex_plain(padded, 32, got);
        }
        if (strcmp(got, expected)) {
            fprintf(stderr, "ecrecover %s: got '%s', expected '%s'\n", name, got, expected);
            failures++;
        }
        checked++;
    }
    CHECK(checked == 5);
    cJSON_Delete(all);
}

static void test_config(void)
{
    zkml_error err;
    chain_config cfg;
    unsetenv("ZKML_CHAIN");
    unsetenv("ZKML_RPC_URL");
    unsetenv("ZKML_PRIVATE_KEY_FILE");
    unsetenv("ZKML_REGISTRY_ADDRESS");
    CHECK_OK(chain_config_from_env(&cfg, &err), &err);
    CHECK(cfg.mode == CHAIN_NONE);
    setenv("ZKML_CHAIN", "rpc", 1);
    CHECK(chain_config_from_env(&cfg, &err) == ZKML_EINVAL);
    setenv("ZKML_RPC_URL", "http://127.0.0.1:1", 1);
    setenv("ZKML_PRIVATE_KEY_FILE", "/tmp/k", 1);
    setenv("ZKML_REGISTRY_ADDRESS", "0x1234", 1);
    CHECK(chain_config_from_env(&cfg, &err) == ZKML_EINVAL);
    setenv("ZKML_REGISTRY_ADDRESS", "0x5FbDB2315678afecb367f032d93F642f64180aa3", 1);
    CHECK_OK(chain_config_from_env(&cfg, &err), &err);
    CHECK(cfg.mode == CHAIN_RPC && !strcmp(cfg.rpc_url, "http://127.0.0.1:1"));
    setenv("ZKML_CHAIN", "mainnet", 1);
    CHECK(chain_config_from_env(&cfg, &err) == ZKML_EINVAL);
    unsetenv("ZKML_CHAIN");
    /* Mode none: the register step says there is no chain instead of pretending. */
    CHECK_OK(chain_config_from_env(&cfg, &err), &err);
    CHECK(chain_register_step(&cfg, "/tmp", "task", 1, &err) == ZKML_EUNAVAILABLE);
}

/* Nothing listens on a closed port: the error is retryable and names the node only. */
static void test_rpc_down(void)
{
    int port = chain_free_port();
    char url[128];
    snprintf(url, sizeof url, "http://user:secret@127.0.0.1:%d/v3/apikey", port);
    chain_rpc *rpc;
    zkml_error err;
    CHECK_OK(chain_rpc_open(url, 2000, &rpc, &err), &err);
    cJSON *result;
    CHECK(chain_rpc_call(rpc, "eth_chainId", "[]", &result, NULL, &err) == ZKML_ERETRY);
    CHECK(strstr(err.message, "unreachable") != NULL);
    CHECK(strstr(err.message, "apikey") == NULL && strstr(err.message, "secret") == NULL);
    chain_rpc_close(rpc);
    CHECK(chain_rpc_open("file:///etc/passwd", 2000, &rpc, &err) == ZKML_EINVAL);
}

/* JSON-RPC answers: a result, an error with revert data (flat or nested), garbage. */
static void test_rpc_parse(void)
{
    zkml_error err;
    cJSON *result;
    chain_rpc_error e = {0};
    const char *ok = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"0x7a69\"}";
    CHECK_OK(chain_rpc_parse_response(ok, strlen(ok), &result, &e, &err), &err);
    CHECK(cJSON_IsString(result) && !strcmp(result->valuestring, "0x7a69"));
    cJSON_Delete(result);
    const char *null_result = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}";
    CHECK_OK(chain_rpc_parse_response(null_result, strlen(null_result), &result, &e, &err), &err);
    CHECK(cJSON_IsNull(result));
    cJSON_Delete(result);
    const char *flat =
        "{\"id\":1,\"error\":{\"code\":3,\"message\":\"execution reverted\","
        "\"data\":\"0x4e487b710000000000000000000000000000000000000000000000000000000000000011\"}}";
    CHECK(chain_rpc_parse_response(flat, strlen(flat), &result, &e, &err) == ZKML_EREJECTED);
    CHECK(e.has_error && e.code == 3 && e.data_len == 36);
    char reason[64];
    abi_describe_revert(e.data, e.data_len, reason, sizeof reason);
    CHECK(!strcmp(reason, "panic 0x11"));
    chain_rpc_error_clear(&e);
    const char *nested = "{\"id\":1,\"error\":{\"code\":-32000,\"message\":\"nonce too low\","
                         "\"data\":{\"data\":\"0x1234\"}}}";
    CHECK(chain_rpc_parse_response(nested, strlen(nested), &result, &e, &err) == ZKML_EREJECTED);
    CHECK(e.code == -32000 && e.data_len == 2 && !strcmp(e.message, "nonce too low"));
    chain_rpc_error_clear(&e);
    CHECK(chain_rpc_parse_response("<html>", 6, &result, &e, &err) == ZKML_ERETRY);
    CHECK(chain_rpc_parse_response("{}", 2, &result, &e, &err) == ZKML_ERETRY);
    CHECK(chain_rpc_parse_response("[]", 2, &result, &e, &err) == ZKML_ERETRY);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ecRecover.json\n", argv[0]);
        return 2;
    }
    char tmpdir[256];
    test_tmpdir(tmpdir, sizeof tmpdir, "chain");
    test_keccak();
    test_sha256(tmpdir);
    test_rlp();
    test_abi();
    test_abi_values();
    test_keys(tmpdir);
    test_ecrecover(argv[1]);
    test_config();
    test_rpc_down();
    test_rpc_parse();
    test_rm_rf(tmpdir);
    return check_exit("chain vectors");
}
