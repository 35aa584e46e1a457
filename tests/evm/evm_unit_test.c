/*
 * evm_unit_test.c - pipeline/evm without a chain: Keccak-256 on published
 * vectors, calldata against the text snarkjs printed for the same proof
 * (fixtures/nN/snarkjs_soliditycalldata.txt), and the errors bad JSON gets.
 * Usage: evm_unit_test FIXTURES_DIR
 */
#include "pipeline/evm/evm.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/test_util.h"

static void hex_of(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_keccak(void)
{
    static const struct {
        const char *in, *want;
    } vectors[] = {
        {"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"},
        {"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"},
        {"The quick brown fox jumps over the lazy dog",
         "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"},
        /* ERC-20's transfer selector, the best-known keccak prefix */
        {"transfer(address,uint256)", "a9059cbb"},
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        uint8_t h[32];
        char hex[65];
        evm_keccak256(h, vectors[i].in, strlen(vectors[i].in));
        hex_of(hex, h, 32);
        CHECK(!strncmp(hex, vectors[i].want, strlen(vectors[i].want)), "keccak(\"%s\") = %s",
              vectors[i].in, hex);
    }
}

static char *read_text(const char *path)
{
    uint8_t *data;
    size_t len;
    zkml_error err = {0};
    if (zkml_read_file(path, 0, &data, &len, &err))
        return NULL;
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        data[--len] = '\0';
    return (char *)data;
}

static void test_fixture_calldata(const char *fixtures, int n)
{
    char dir[1024], proof[1100], pub[1100], snarkjs[1100];
    snprintf(dir, sizeof dir, "%s/n%d", fixtures, n);
    snprintf(proof, sizeof proof, "%s/proof.json", dir);
    snprintf(pub, sizeof pub, "%s/public.json", dir);
    snprintf(snarkjs, sizeof snarkjs, "%s/snarkjs_soliditycalldata.txt", dir);
    char *want = read_text(snarkjs), *solidity = NULL, *hex = NULL;
    size_t n_public = 0;
    zkml_error err = {0};
    int rc = evm_calldata(proof, pub, &solidity, &hex, &n_public, &err);
    CHECK(rc == 0, "calldata n%d: %s", n, err.message);
    CHECK(want && solidity && !strcmp(solidity, want),
          "n%d: soliditycalldata differs from snarkjs:\n%s\n%s", n, solidity ? solidity : "(null)",
          want ? want : "(no fixture)");
    CHECK(n_public == (size_t)n, "n%d: %zu public signals", n, n_public);

    uint8_t *words = NULL;
    size_t n_words = 0;
    rc = evm_proof_words(proof, pub, &words, &n_words, &err);
    CHECK(rc == 0 && n_words == 8 + (size_t)n, "words n%d: %s", n, err.message);
    if (rc == 0 && hex && strlen(hex) == 10 + 64 * n_words) {
        char *words_hex = malloc(64 * n_words + 1);
        CHECK(words_hex != NULL, "out of memory");
        if (words_hex) {
            hex_of(words_hex, words, 32 * n_words);
            CHECK(!strcmp(hex + 10, words_hex), "n%d: hex call and words differ", n);
            free(words_hex);
        }
    } else {
        CHECK(0, "n%d: hex call has the wrong length", n);
    }
    free(words);
    free(want);
    free(solidity);
    free(hex);
}

static int write_file(const char *path, const char *text)
{
    zkml_error err = {0};
    return zkml_write_file_atomic(path, text, strlen(text), &err);
}

/* public.json values at and around the field order r. */
static void test_public_signal_range(const char *fixtures, const char *tmp)
{
    static const struct {
        const char *json;
        int ok;
    } cases[] = {
        {"[\"21888242871839275222246405745257275088548364400416034343698204186575808495616\"]", 1},
        {"[\"21888242871839275222246405745257275088548364400416034343698204186575808495617\"]", 0},
        {"[\"115792089237316195423570985008687907853269984665640564039457584007913129639936\"]", 0},
        {"[\"0\"]", 1},
        {"[\"-1\"]", 0},
        {"[\"1e3\"]", 0},
        {"[\"\"]", 0},
        {"[12]", 0},
        {"[]", 0},
        {"{}", 0},
        {"[\"1\"", 0},
    };
    char proof[1100], pub[1100];
    snprintf(proof, sizeof proof, "%s/n1/proof.json", fixtures);
    snprintf(pub, sizeof pub, "%s/public.json", tmp);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(write_file(pub, cases[i].json) == 0, "cannot write %s", pub);
        char *solidity = NULL, *hex = NULL;
        zkml_error err = {0};
        int rc = evm_calldata(proof, pub, &solidity, &hex, NULL, &err);
        CHECK((rc == 0) == cases[i].ok, "public.json %s: rc %d (%s)", cases[i].json, rc,
              err.message);
        CHECK(rc == 0 || (strstr(err.message, "public.json") && rc == ZKML_EINVAL),
              "error should name public.json: %s", err.message);
        free(solidity);
        free(hex);
    }
}

/* Edits one field of a real verification key and expects a refusal naming it. */
static void test_bad_vkeys(const char *fixtures)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/n2/verification_key.json", fixtures);
    char *text = read_text(path);
    CHECK(text != NULL, "cannot read %s", path);
    if (!text)
        return;
    static const struct {
        const char *field, *value, *expect;
    } edits[] = {
        {"protocol", "\"plonk\"", "protocol"},
        {"curve", "\"bls12381\"", "curve"},
        {"nPublic", "3", "nPublic"},
        {"IC", "[[\"1\",\"2\",\"1\"]]", "IC"},
        {"IC", "7", "IC"},
        {"vk_alpha_1", "[\"1\",\"2\",\"5\"]", "vk_alpha_1"},
        {"vk_alpha_1",
         "[\"1\",\"21888242871839275222246405745257275088696311157297823662689037894645226208583\","
         "\"1\"]",
         "vk_alpha_1[1]"},
        {"vk_beta_2", "[[\"1\",\"2\"],[\"3\",\"4\"]]", "vk_beta_2"},
        {"vk_gamma_2", "[[\"1\",\"2\"],[\"3\",\"x\"],[\"1\",\"0\"]]", "vk_gamma_2[1][1]"},
        {"vk_delta_2", "[[\"1\",\"2\"],[\"3\",\"4\"],[\"1\",\"1\"]]", "vk_delta_2"},
        {"vk_alpha_1", "[\"1\",\"3\",\"1\"]", "vk_alpha_1: the point is not on the BN254 curve"},
        {"vk_beta_2", "[[\"1\",\"2\"],[\"3\",\"4\"],[\"1\",\"0\"]]",
         "vk_beta_2: the point is not on"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        cJSON *root = cJSON_Parse(text);
        cJSON *value = cJSON_Parse(edits[i].value);
        CHECK(root && value, "cJSON");
        if (!root || !value)
            continue;
        cJSON_ReplaceItemInObjectCaseSensitive(root, edits[i].field, value);
        char *edited = cJSON_PrintUnformatted(root);
        char *sol = NULL;
        zkml_error err = {0};
        int rc =
            edited ? evm_verifier_source(edited, strlen(edited), "vk.json", &sol, NULL, &err) : -1;
        CHECK(rc == ZKML_EINVAL && strstr(err.message, edits[i].expect) &&
                  strstr(err.message, "vk.json"),
              "edit %s=%s: rc %d, message \"%s\"", edits[i].field, edits[i].value, rc, err.message);
        free(sol);
        cJSON_free(edited);
        cJSON_Delete(root);
    }
    char *sol = NULL;
    zkml_error err = {0};
    CHECK(evm_verifier_source("{", 1, "vk.json", &sol, NULL, &err) == ZKML_EINVAL, "bad JSON");
    size_t n_public = 0;
    CHECK(evm_verifier_source(text, strlen(text), "vk.json", &sol, &n_public, &err) == 0 &&
              n_public == 2 && strstr(sol, "uint256[2] calldata pubSignals"),
          "n2 source: %s", err.message);
    free(sol);
    free(text);
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
    char from[1100], to[1100];
    snprintf(from, sizeof from, "%s/%s", from_dir, name);
    snprintf(to, sizeof to, "%s/%s", to_dir, name);
    char *text = read_text(from);
    CHECK(text && write_file(to, text) == 0, "copy %s", name);
    free(text);
}

static void test_export_step(const char *fixtures, const char *tmp)
{
    char src[1100], path[1200];
    snprintf(src, sizeof src, "%s/n4", fixtures);
    copy_file(src, tmp, "verification_key.json");
    copy_file(src, tmp, "proof.json");
    copy_file(src, tmp, "public.json");
    zkml_error err = {0};
    CHECK(evm_export_step(tmp, NULL, &err) == 0, "export: %s", err.message);
    snprintf(path, sizeof path, "%s/calldata.json", tmp);
    char *text = read_text(path);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    cJSON *sol = cJSON_GetObjectItemCaseSensitive(doc, "solidity");
    cJSON *hex = cJSON_GetObjectItemCaseSensitive(doc, "hex");
    snprintf(path, sizeof path, "%s/snarkjs_soliditycalldata.txt", src);
    char *want = read_text(path);
    CHECK(cJSON_IsString(sol) && want && !strcmp(sol->valuestring, want), "calldata.json solidity");
    CHECK(cJSON_IsString(hex) && strlen(hex->valuestring) == 10 + 64 * 12 &&
              !strncmp(hex->valuestring, "0x", 2),
          "calldata.json hex");
    cJSON_Delete(doc);
    free(text);
    free(want);
    static const char *const outputs[] = {"Verifier.sol", "Verifier.abi.json"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, outputs[i]);
        CHECK(zkml_file_exists(path), "export wrote no %s", outputs[i]);
    }
    /* A public.json that does not match the key is refused. */
    snprintf(path, sizeof path, "%s/public.json", tmp);
    write_file(path, "[\"1\",\"2\"]");
    CHECK(evm_export_step(tmp, NULL, &err) == ZKML_EINVAL &&
              strstr(err.message, "2 public signals"),
          "mismatched public.json: %s", err.message);
    /* A missing key names the file. */
    snprintf(path, sizeof path, "%s/verification_key.json", tmp);
    unlink(path);
    CHECK(evm_export_step(tmp, NULL, &err) != 0 && strstr(err.message, "verification_key.json"),
          "missing key: %s", err.message);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: evm_unit_test FIXTURES_DIR\n");
        return 2;
    }
    char tmp[256];
    test_tmpdir(tmp, sizeof tmp, "evm-unit");
    test_keccak();
    static const int sizes[] = {1, 2, 4, 8};
    for (int i = 0; i < 4; i++)
        test_fixture_calldata(argv[1], sizes[i]);
    test_public_signal_range(argv[1], tmp);
    test_bad_vkeys(argv[1]);
    test_export_step(argv[1], tmp);
    static const char *const leftovers[] = {"public.json", "proof.json", "calldata.json",
                                            "Verifier.sol", "Verifier.abi.json"};
    char path[1100];
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, leftovers[i]);
        unlink(path);
    }
    rmdir(tmp);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("evm_unit: all checks passed\n");
    return 0;
}
