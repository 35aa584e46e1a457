/*
 * artifacts.c - the one table of a version directory's files. Every folder
 * names an artifact through it, so a file's name, content type, writing step
 * and visibility are written once. The table is also the allow-list of the
 * HTTP side: nothing from a request becomes a path unless it is a name here.
 */
#include "common/common.h"

#include <string.h>

#define JSON "application/json"
#define BINARY "application/octet-stream"
#define TEXT "text/plain; charset=utf-8"

/* Private: the model and what reveals it (weights in the r1cs and circuit.json's
 * constants, and in the ceremony's circuit.zkey), the proving keys, and the
 * private data (CSV, input, witnesses). ceremony.json, the setup's transcript,
 * is public: anyone may check the contributions it lists. */
static const zkml_artifact table[ZKML_A_COUNT] = {
    [ZKML_A_MODEL] = {"model.onnx", BINARY, "upload", ZKML_PRIVATE},
    [ZKML_A_DATA] = {"data.csv", "text/csv; charset=utf-8", "upload", ZKML_PRIVATE},
    [ZKML_A_SETTINGS] = {"settings.json", JSON, "settings", ZKML_PUBLIC},
    [ZKML_A_CALIBRATION] = {"calibration.json", JSON, "calibrate", ZKML_PUBLIC},
    [ZKML_A_R1CS] = {"network.r1cs", BINARY, "compile", ZKML_PRIVATE},
    [ZKML_A_CIRCUIT] = {"circuit.json", JSON, "compile", ZKML_PRIVATE},
    [ZKML_A_ZKEY] = {"circuit.zkey", BINARY, "setup", ZKML_PRIVATE},
    [ZKML_A_CEREMONY] = {"ceremony.json", JSON, "setup", ZKML_PUBLIC},
    [ZKML_A_PROVING_KEY] = {"proving.key", BINARY, "setup", ZKML_PRIVATE},
    [ZKML_A_VK] = {"verification_key.json", JSON, "setup", ZKML_PUBLIC},
    [ZKML_A_INPUT] = {"input.json", JSON, "prove", ZKML_PRIVATE},
    [ZKML_A_WITNESS] = {"witness.wtns", BINARY, "prove", ZKML_PRIVATE},
    [ZKML_A_OUTPUT] = {"output.json", JSON, "prove", ZKML_PUBLIC},
    [ZKML_A_PROOF] = {"proof.json", JSON, "prove", ZKML_PUBLIC},
    [ZKML_A_PUBLIC] = {"public.json", JSON, "prove", ZKML_PUBLIC},
    [ZKML_A_VERIFY] = {"verify.json", JSON, "verify", ZKML_PUBLIC},
    [ZKML_A_VERIFIER_SOL] = {"Verifier.sol", TEXT, "export", ZKML_PUBLIC},
    [ZKML_A_VERIFIER_ABI] = {"Verifier.abi.json", JSON, "export", ZKML_PUBLIC},
    [ZKML_A_CALLDATA] = {"calldata.json", JSON, "export", ZKML_PUBLIC},
    [ZKML_A_EVAL_R1CS] = {"evaluation.r1cs", BINARY, "evaluate", ZKML_PRIVATE},
    [ZKML_A_EVAL_WITNESS] = {"evaluation.wtns", BINARY, "evaluate", ZKML_PRIVATE},
    [ZKML_A_EVALUATION] = {"evaluation.json", JSON, "evaluate", ZKML_PUBLIC},
    [ZKML_A_EVAL_KEY] = {"evaluation.key", BINARY, "evaluate", ZKML_PRIVATE},
    [ZKML_A_EVAL_VK] = {"evaluation.vk.json", JSON, "evaluate", ZKML_PUBLIC},
    [ZKML_A_EVAL_PROOF] = {"evaluation.proof.json", JSON, "evaluate", ZKML_PUBLIC},
    [ZKML_A_EVAL_PUBLIC] = {"evaluation.public.json", JSON, "evaluate", ZKML_PUBLIC},
    [ZKML_A_EVAL_VERIFIER_SOL] = {"EvaluationVerifier.sol", TEXT, "evaluate", ZKML_PUBLIC},
    [ZKML_A_CHAIN] = {"chain.json", JSON, "register", ZKML_PUBLIC},
};

const zkml_artifact *zkml_artifact_get(zkml_artifact_id id)
{
    return id >= 0 && id < ZKML_A_COUNT ? &table[id] : NULL;
}

const char *zkml_artifact_name(zkml_artifact_id id)
{
    return table[id].name;
}

const zkml_artifact *zkml_artifact_find(const char *name)
{
    for (int i = 0; name && i < ZKML_A_COUNT; i++)
        if (!strcmp(name, table[i].name))
            return &table[i];
    return NULL;
}

const char *zkml_visibility_name(zkml_visibility v)
{
    return v == ZKML_PRIVATE ? "private" : "public";
}

int zkml_artifact_path(char *out, size_t outlen, const char *dir, zkml_artifact_id id,
                       zkml_error *err)
{
    return zkml_path_join(out, outlen, dir, table[id].name, err);
}
