/*
 * chain.h - public face of registry/chain/: the EVM client. It signs EIP-1559
 * transactions with the service's key (libsecp256k1), talks JSON-RPC (libcurl),
 * encodes the ABI subset the registry contract needs, runs the embedded anvil
 * chain, deploys the ModelRegistry contract and registers versions on it.
 * chain_internal.h holds the pieces (RLP, ABI, transactions, RPC) for tests.
 */
#ifndef ZKML_REGISTRY_CHAIN_H
#define ZKML_REGISTRY_CHAIN_H

#include "common/common.h"

#include <stdint.h>
#include <sys/types.h>

/*
 * Configuration (README "The chain"): ZKML_CHAIN = none | anvil | rpc;
 * ZKML_RPC_URL, ZKML_PRIVATE_KEY_FILE (hex key, optional 0x, mode 0600 or
 * stricter: a file readable by group or others is refused), ZKML_REGISTRY_ADDRESS.
 * The key is read only while signing and wiped afterwards; it never appears in
 * a log, an error message or an artifact.
 */
typedef enum chain_mode { CHAIN_NONE = 0, CHAIN_ANVIL, CHAIN_RPC } chain_mode;

typedef struct chain_config {
    chain_mode mode;
    char rpc_url[512];
    char key_file[1024];
    char registry_address[43]; /* "0x" + 40 hex, or "" when not deployed yet */
    int rpc_timeout_ms;        /* one HTTP request; 0 means 10 s */
    int receipt_timeout_ms;    /* waiting for a transaction to be mined; 0 means 120 s */
} chain_config;

/* Fills cfg from the environment (unset ZKML_CHAIN means none); checks that
 * mode rpc has a URL and a key file, and that an address is well-formed. */
int chain_config_from_env(chain_config *cfg, zkml_error *err);
const char *chain_mode_name(chain_mode mode);

/* The model, circuit and settings hashes are SHA-256 (common.h, zkml_sha256);
 * the vk and signals hashes keccak-256 (evm_keccak256 from pipeline/evm/evm.h),
 * as the registry computes them on chain. */

/* Embedded chain (anvil.c). The binary is $ZKML_ANVIL_BIN if set, else
 * node_modules/.bin/anvil found by walking up from the executable's folder
 * (the build tree sits inside the checkout), else `anvil` on PATH.
 *
 * chain_anvil_start(data_dir, anvil, cfg) starts anvil on a free 127.0.0.1
 * port with its state in <data_dir>/chain/anvil-state.json (loaded at start,
 * saved every few seconds and at stop, so registrations survive restarts),
 * writes anvil's public development key to <data_dir>/chain/dev.key (0600),
 * deploys ModelRegistry once (its address kept in <data_dir>/chain/registry.json
 * and reused while code is there), and fills cfg (mode anvil, rpc_url,
 * key_file, registry_address). Call it from the process that serves; anvil
 * gets SIGTERM if that thread's process dies. chain_anvil_stop stops it
 * (SIGTERM, so anvil saves its state; SIGKILL after 10 s) and is safe to call
 * twice or on a zeroed struct. */
typedef struct chain_anvil {
    pid_t pid;   /* 0 when not running */
    pid_t owner; /* the process that started it: only it stops it (not forked workers) */
    int port;
} chain_anvil;

int chain_anvil_start(const char *data_dir, chain_anvil *anvil, chain_config *cfg, zkml_error *err);
void chain_anvil_stop(chain_anvil *anvil);

/* Deploys ModelRegistry with cfg's key; writes "0x..." into address. */
int chain_deploy_registry(const chain_config *cfg, char address[43], zkml_error *err);

/* register step: in dir, reads model.onnx, network.r1cs, settings.json (their
 * SHA-256 are the model, circuit and settings hashes), verification_key.json
 * (its key words go in the transaction), proof.json and public.json, and calls
 * registerVersion: the registry deploys the verifier from the key itself,
 * computes the vk hash (keccak-256 of the key words) and verifies the proof
 * (contracts/README.md). Waits for the receipt and writes chain.json
 * atomically: {task_id, version, onchain_version, chain_id, registry_address,
 * model_hash, circuit_hash, settings_hash, vk_hash, signals_hash,
 * verifier_address, registrant, timestamp (as the chain records them), vk_json_sha256,
 * public_signals, register_tx, block, gas_used}.
 * Resumable and idempotent: the transaction hash goes to chain.pending.json
 * before it is sent, and a version of the task with the same hashes, key and
 * signals counts as done, so a retry never registers twice; a chain.json
 * already there is left as it is.
 * Errors: ZKML_ERETRY when the RPC is unreachable or a transaction is not mined
 * in time (run it again later); ZKML_EREJECTED when the registry reverts (a
 * proof that does not verify, a task owned by another account) with the
 * reason; ZKML_EUNAVAILABLE when cfg->mode is CHAIN_NONE. */
int chain_register_step(const chain_config *cfg, const char *dir, const char *task_id, int version,
                        zkml_error *err);

/* GET /models/{task}/versions/onchain, from eth_call: {task_id, registry_address,
 * chain_id, owner, count, versions: [{version, model_hash, circuit_hash,
 * settings_hash, vk_hash, signals_hash, verifier, registrant, timestamp}]}
 * (hashes as plain hex, addresses 0x-hex). *json is malloc'ed. An unknown task
 * gives count 0 and no versions. */
int chain_versions_onchain_json(const chain_config *cfg, const char *task_id, char **json,
                                zkml_error *err);
/* GET /models/by-hash/{sha256}/onchain: every registration of a model hash, by
 * any account, oldest first: {model_hash, registry_address, chain_id, count,
 * registrations: [{task_id, version, and the fields of a version above}]}.
 * ZKML_EINVAL unless model_hash_hex is 64 hex digits. */
int chain_registrations_json(const chain_config *cfg, const char *model_hash_hex, char **json,
                             zkml_error *err);
/* bestVersion(task_id, c) for each dataset commitment c (decimal, as
 * evaluation.json writes it, or 0x and 64 hex digits), by eth_call:
 * {registry_address, chain_id, task_id, best: [{version, dataset_commitment,
 * and when version is not 0 its evaluation: metric, rows, correct | sse,
 * threshold, within_threshold, vk_hash, verifier, timestamp}]}, in the
 * order given; version 0 when no version is evaluated on c. For
 * `zkml-registry chain best-version` and the leaderboard's onchain_best.
 * ZKML_EINVAL for a malformed commitment or task id; ZKML_EUNAVAILABLE
 * without a chain; the client's errors when the node or registry is not
 * there. */
int chain_best_versions_json(const chain_config *cfg, const char *task_id,
                             const char *const *commitments, size_t n, char **json,
                             zkml_error *err);
/* ---- values over the ABI (abi_values.c, abi.c) ----------------------------
 * A chain request's input and a chain destination's outputs are
 * abi.encode(int256[]): the offset word 0x20, the count, then each value as a
 * sign-extended 32-byte word (README "Infernet container"). */

/* "0x" + lowercase hex of len bytes into out (needs 2 * len + 3 bytes). */
void chain_hex(const uint8_t *data, size_t len, char *out);
/* Hex text (optional 0x) into bytes (*out malloc'ed); what names the field in
 * messages, which give the byte offset of a bad digit pair. */
int chain_hex_decode(const char *what, const char *hex, uint8_t **out, size_t *len,
                     zkml_error *err);
/* abi.encode(int256[]) exactly (no other offset, no trailing bytes), every
 * value within int64; errors name the byte offset. *values is malloc'ed. */
int chain_abi_decode_values(const char *what, const uint8_t *data, size_t len, int64_t **values,
                            size_t *n, zkml_error *err);
void chain_abi_encode_values(const int64_t *values, size_t n, zkml_buf *out);
/* abi.encode(uint256[]) of n 32-byte big-endian words. */
void chain_abi_encode_words(const uint8_t *words, size_t n, zkml_buf *out);

/* A proof's words (a 2, b 4, c 2, the signals: evm_proof_words) as
 * abi.encode(uint256[2], uint256[2][2], uint256[2], uint256[]), Infernet's
 * `proof` bytes, and back (exactly that encoding, at least one signal). */
void chain_abi_encode_proof(const uint8_t *words, size_t n_words, zkml_buf *out);
int chain_abi_decode_proof(const char *what, const uint8_t *data, size_t len, uint8_t **words,
                           size_t *n_words, zkml_error *err);

/* ---- ModelRegistry.attest (attest.c) ---------------------------------------
 * attest(taskId, version, a, b, c, pubSignals, count, bits, offset) checks a
 * proof with the registered version's verifier and returns its outputs as
 * int256[] (contracts/README.md). */
typedef struct chain_output_packing {
    uint32_t count, bits; /* settings.json packing.output */
    uint64_t offset;
    int hashed; /* output_visibility hashed: the proof shows only a commitment */
} chain_output_packing;

/* "attest(string,uint256,...)", the function's signature. */
extern const char chain_attest_signature[];
/* packing.output and output_visibility of a version's settings.json. */
int chain_output_packing_read(const char *settings_path, chain_output_packing *p, zkml_error *err);
/* The call's bytes for the on-chain version number and the proof's words
 * (evm_proof_words: a, b, c, then the public signals). */
int chain_attest_calldata(const char *task_id, uint64_t version, const uint8_t *proof_words,
                          size_t n_words, const chain_output_packing *p, zkml_buf *out,
                          zkml_error *err);

/* {mode, rpc_url, chain_id, block, account, balance_wei, registry_address,
 * registry_has_code} for `zkml-registry chain status` (no key needed when none
 * is configured). */
int chain_status_json(const chain_config *cfg, char **json, zkml_error *err);

#endif
