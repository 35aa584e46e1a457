/*
 * chain_internal.h - the pieces of the EVM client inside registry/chain/ (bytes
 * are built in common's zkml_buf): hex, keccak-256, RLP, the ABI subset the registry needs, EIP-1559
 * transactions, JSON-RPC, and anvil process control. chain.h is the public
 * face; tests and fuzz targets include this header to
 * check each piece against published vectors and a real anvil.
 */
#ifndef ZKML_REGISTRY_CHAIN_INTERNAL_H
#define ZKML_REGISTRY_CHAIN_INTERNAL_H

#include "pipeline/evm/evm.h"
#include "registry/chain/chain.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct cJSON cJSON;

/* ---- hex (abi.c) ---------------------------------------------------------- */

/* Lowercase hex without the 0x prefix (needs 2 * len + 1 bytes). */
void chain_hex_plain(const uint8_t *data, size_t len, char *out);
/* Parses hex with an optional 0x into exactly len bytes; -1 on bad input. */
int chain_unhex_exact(const char *hex, uint8_t *out, size_t len);
/* Parses hex data of any even length; *out is malloc'ed (NULL when empty). */
int chain_unhex_alloc(const char *hex, uint8_t **out, size_t *len);
/* An Ethereum quantity ("0x1a") into a uint64; -1 if malformed or too big. */
int chain_parse_quantity(const char *hex, uint64_t *value);
/* A quantity of up to 256 bits into a 32-byte big-endian word. */
int chain_parse_quantity256(const char *hex, uint8_t word[32]);
/* Parses "0x" + 40 hex into 20 bytes; -1 if malformed. */
int chain_parse_address(const char *text, uint8_t address[20]);

/* ---- RLP (rlp.c) -------------------------------------------------------- */

void rlp_put_bytes(zkml_buf *b, const uint8_t *data, size_t len);
/* An integer as RLP: big-endian without leading zeros (0 is the empty string). */
void rlp_put_uint(zkml_buf *b, uint64_t value);
void rlp_put_word(zkml_buf *b, const uint8_t word[32]);
/* Appends the list header for payload_len bytes, then the payload. */
void rlp_put_list(zkml_buf *b, const uint8_t *payload, size_t payload_len);

typedef struct rlp_item {
    int is_list;
    const uint8_t *payload;
    size_t payload_len;
    size_t total_len; /* header + payload */
} rlp_item;

/* Reads the item at the start of data (canonical encodings only); -1 if malformed. */
int rlp_read(const uint8_t *data, size_t len, rlp_item *item);

/* ---- ABI (abi.c) ---------------------------------------------------------
 * Only what ModelRegistry needs: one-word static values, inline fixed arrays
 * of words, strings, and dynamic arrays of words. */
enum abi_kind {
    ABI_WORD,        /* uint256, bytes32, address: data is 32 bytes */
    ABI_FIXED_WORDS, /* uint256[2], uint256[2][2]: len bytes, a multiple of 32, inline */
    ABI_STRING,      /* string or bytes: len bytes */
    ABI_WORD_ARRAY,  /* uint256[]: len bytes, a multiple of 32 */
};

typedef struct abi_arg {
    enum abi_kind kind;
    const uint8_t *data;
    size_t len;
} abi_arg;

/* The 4-byte selector of a signature such as "transfer(address,uint256)". */
void abi_selector(const char *signature, uint8_t out[4]);
/* Selector followed by the head/tail encoding of args. */
int abi_encode_call(const char *signature, const abi_arg *args, size_t n, zkml_buf *out,
                    zkml_error *err);
void abi_word_from_u64(uint64_t value, uint8_t word[32]);
void abi_word_from_address(const uint8_t address[20], uint8_t word[32]);

/* Bounds-checked readers of return data. Word i counts from byte base. */
int abi_read_word(const uint8_t *data, size_t len, size_t base, size_t i, uint8_t word[32],
                  zkml_error *err);
int abi_read_u64(const uint8_t *data, size_t len, size_t base, size_t i, uint64_t *value,
                 zkml_error *err);
/* Word i holds an offset relative to base; *pos = base + offset, checked. */
int abi_read_offset(const uint8_t *data, size_t len, size_t base, size_t i, size_t *pos,
                    zkml_error *err);
/* A string at pos (length word, then bytes); *text is malloc'ed and NUL-terminated. */
int abi_read_string(const uint8_t *data, size_t len, size_t pos, char **text, size_t *text_len,
                    zkml_error *err);

/* ModelRegistry's Version struct, decoded from the eight words at pos. */
typedef struct chain_version {
    uint8_t model_hash[32], circuit_hash[32], settings_hash[32];
    uint8_t vk_hash[32];      /* keccak-256 of the key words, computed on chain */
    uint8_t signals_hash[32]; /* keccak-256 of the public signals */
    uint8_t verifier[20];
    uint64_t timestamp;
    uint8_t registrant[20];
} chain_version;

int abi_decode_version(const uint8_t *data, size_t len, size_t pos, chain_version *v,
                       zkml_error *err);

/* ModelRegistry's Evaluation struct (kind 0: none), decoded from the nine
 * words at pos. */
typedef struct chain_evaluation {
    uint8_t dataset_commitment[32];
    uint8_t vk_hash[32]; /* keccak-256 of the evaluation key's words */
    uint8_t verifier[20];
    uint64_t timestamp, rows, value, threshold;
    uint64_t kind; /* 1 classification (value: correct count), 2 regression (value: SSE) */
    uint64_t within_threshold;
} chain_evaluation;

int abi_decode_evaluation(const uint8_t *data, size_t len, size_t pos, chain_evaluation *e,
                          zkml_error *err);
/* A revert payload as text: Error(string)'s message, Panic(uint256)'s code, or the
 * selector of a custom error. Writes into out (never fails). */
void abi_describe_revert(const uint8_t *data, size_t len, char *out, size_t outlen);

/* ---- keys and transactions (tx.c) ---------------------------------------- */

typedef struct chain_key {
    uint8_t secret[32];
    uint8_t address[20];
} chain_key;

/* Loads a hex secret key (optional 0x, surrounding whitespace ok) from a file
 * that only its owner may read. The key never appears in an error message. */
int chain_key_load(const char *path, chain_key *key, zkml_error *err);
int chain_key_from_hex(const char *hex, chain_key *key, zkml_error *err);
void chain_key_wipe(chain_key *key);
/* Address = last 20 bytes of keccak-256 of the 64-byte uncompressed public key. */
void chain_address_from_pubkey64(const uint8_t pub[64], uint8_t address[20]);
/* Recovers the signer of hash from (r, s, recid in 0..1); -1 if it does not recover. */
int chain_recover_address(const uint8_t hash[32], const uint8_t r[32], const uint8_t s[32],
                          int recid, uint8_t address[20]);

typedef struct chain_tx {
    uint64_t chain_id, nonce, gas_limit;
    uint8_t max_priority_fee[32], max_fee[32]; /* wei, big-endian words */
    int has_to;                                /* 0: contract creation */
    uint8_t to[20];
    const uint8_t *data;
    size_t data_len;
} chain_tx;

/* Signs tx as an EIP-1559 (type 0x02) transaction: *raw is the 0x02 || rlp(...)
 * bytes for eth_sendRawTransaction, hash its keccak (the transaction hash). */
int chain_tx_sign(const chain_tx *tx, const chain_key *key, zkml_buf *raw, uint8_t hash[32],
                  zkml_error *err);

/* ---- JSON-RPC (rpc.c) ----------------------------------------------------- */

typedef struct chain_rpc chain_rpc;

int chain_rpc_open(const char *url, int timeout_ms, chain_rpc **rpc, zkml_error *err);
void chain_rpc_close(chain_rpc *rpc);
/* The URL with any path, query and credentials left out, for messages. */
const char *chain_rpc_where(const chain_rpc *rpc);

/* When a call fails with a JSON-RPC error (not a transport error), its code,
 * message and revert data land here. */
typedef struct chain_rpc_error {
    int has_error;
    long code;
    char message[256];
    uint8_t *data; /* malloc'ed revert bytes, or NULL */
    size_t data_len;
} chain_rpc_error;

void chain_rpc_error_clear(chain_rpc_error *e);
/* Calls method with params (a JSON array text). On success *result is the
 * detached "result" value (free with cJSON_Delete). A transport failure is
 * ZKML_ERETRY; a JSON-RPC error is ZKML_EREJECTED with rpc_err filled when given. */
int chain_rpc_call(chain_rpc *rpc, const char *method, const char *params, cJSON **result,
                   chain_rpc_error *rpc_err, zkml_error *err);
/* Parses one JSON-RPC response body (used by chain_rpc_call; fuzzed). */
int chain_rpc_parse_response(const char *body, size_t len, cJSON **result, chain_rpc_error *rpc_err,
                             zkml_error *err);

/* ---- the transaction client (chain.c) ------------------------------------- */

typedef struct chain_client {
    chain_rpc *rpc;
    chain_key key;
    int has_key;
    uint64_t chain_id;
    int nonce_known;
    uint64_t next_nonce;
    int receipt_timeout_ms;
} chain_client;

typedef struct chain_receipt {
    int status; /* 1 success, 0 reverted */
    uint64_t block, gas_used;
    int has_contract;
    uint8_t contract[20];
} chain_receipt;

/* Connects (and loads the key when need_key is set). */
int chain_client_open(const chain_config *cfg, int need_key, chain_client *c, zkml_error *err);
void chain_client_close(chain_client *c);
/* eth_call to `to` with calldata; *out is malloc'ed return data. */
int chain_eth_call(chain_client *c, const uint8_t to[20], const uint8_t *calldata, size_t len,
                   uint8_t **out, size_t *out_len, zkml_error *err);
/* Fills nonce, fees and gas, signs and sends. The hash is known before the
 * send (on_signed, when given, runs first so callers can record it). Recovers
 * from a nonce another sender took. A call that would revert fails here with
 * ZKML_EREJECTED and the revert reason. */
int chain_send(chain_client *c, int has_to, const uint8_t to[20], const uint8_t *data, size_t len,
               int (*on_signed)(void *ctx, const uint8_t hash[32], uint64_t nonce, zkml_error *err),
               void *ctx, uint8_t hash[32], zkml_error *err);
/* Waits for the receipt: 0 and *found = 1 when mined; *found = 0 when the node
 * no longer knows the transaction (dropped); ZKML_ERETRY on timeout. */
int chain_wait_receipt(chain_client *c, const uint8_t hash[32], chain_receipt *r, int *found,
                       zkml_error *err);
/* Whether an address holds code. */
int chain_has_code(chain_client *c, const uint8_t address[20], int *has, zkml_error *err);

/* ---- ModelRegistry calls and their JSON (chain.c), shared with register.c -- */

/* Lookups list at most this many versions or registrations. */
enum { CHAIN_MAX_LISTED_VERSIONS = 10000 };

/* cfg's registry address as bytes; a message saying how to set it if unset. */
int chain_registry_address(const chain_config *cfg, uint8_t address[20], zkml_error *err);
/* Fails, naming the address and chain, unless reg holds code. */
int chain_check_registry_code(chain_client *c, const uint8_t reg[20], zkml_error *err);
/* A view of ModelRegistry taking a task id and answering one number
 * (versionCount(string)). */
int chain_call_task_u64(chain_client *c, const uint8_t reg[20], const char *signature,
                        const char *task_id, uint64_t *value, zkml_error *err);
/* Calls signature with args on the registry (eth_call); *out is malloc'ed. */
int chain_registry_call(chain_client *c, const uint8_t reg[20], const char *signature,
                        const abi_arg *args, size_t n, uint8_t **out, size_t *out_len,
                        zkml_error *err);
/* getVersion(task_id, version). */
int chain_call_get_version(chain_client *c, const uint8_t reg[20], const char *task_id,
                           uint64_t version, chain_version *v, zkml_error *err);
/* Adds name: hex of data (with 0x when prefixed) to o. */
void chain_json_hex(cJSON *o, const char *name, const uint8_t *data, size_t len, int prefixed);
/* Adds a version's eight fields, as the lookups and chain.json show them. */
void chain_json_version(cJSON *o, const chain_version *v);

/* ---- a version's evaluation (evaluation.c), for register.c ----------------- */

/* What recordEvaluation carries, from the evaluate step's files. */
typedef struct chain_eval_inputs {
    int present;      /* 0: no evaluation proof; skipped says why */
    int hashed;       /* 1: the signals end with the parameter commitment */
    char skipped[160];
    uint8_t *key;     /* evaluation.vk.json as key words */
    size_t n_key;
    uint8_t *proof;   /* a, b, c and the public signals, as words */
    size_t n_proof;
    uint8_t vk_hash[32]; /* keccak-256 of the key words, as the registry computes it */
} chain_eval_inputs;

/* Loads dir's evaluation.vk.json, evaluation.proof.json and
 * evaluation.public.json; with no evaluation.proof.json, present = 0. */
int chain_eval_load(const char *dir, chain_eval_inputs *in, zkml_error *err);
void chain_eval_free(chain_eval_inputs *in);
/* With hashed parameters, ZKML_EINVAL unless the evaluation's last signal
 * (the parameter commitment) is the last of version_signals, the public
 * signals of the version's inference proof (words): checked before anything
 * is sent, as the registry checks it. */
int chain_eval_check_params(const chain_eval_inputs *in, const uint8_t *version_signals,
                            size_t n_version_signals, zkml_error *err);
/* recordEvaluation(task_id, version, key, a, b, c, signals) as calldata; with
 * hashed parameters recordHashedEvaluation(..., version_signals). */
int chain_eval_calldata(const chain_eval_inputs *in, const char *task_id, uint64_t version,
                        const uint8_t *version_signals, size_t n_version_signals,
                        zkml_buf *calldata, zkml_error *err);
/* Whether e is the evaluation in holds (same key and public signals). */
int chain_eval_matches(const chain_eval_inputs *in, const chain_evaluation *e);
/* getEvaluation(task_id, version). */
int chain_call_get_evaluation(chain_client *c, const uint8_t reg[20], const char *task_id,
                              uint64_t version, chain_evaluation *e, zkml_error *err);
/* bestVersion(task_id, commitment): the version (0: none) and, when e is not
 * NULL, its evaluation (kind 0 for none). */
int chain_call_best_version(chain_client *c, const uint8_t reg[20], const char *task_id,
                            const uint8_t commitment[32], uint64_t *version, chain_evaluation *e,
                            zkml_error *err);
/* Adds dataset_commitment in decimal, as evaluation.json writes it. */
void chain_json_commitment(cJSON *o, const uint8_t commitment[32]);
/* Adds an evaluation's fields (the commitment in decimal, as evaluation.json). */
void chain_json_evaluation(cJSON *o, const chain_evaluation *e);

/* ---- anvil processes (anvil.c) -------------------------------------------- */

typedef struct chain_anvil_opts {
    const char *state_path; /* --state file (loaded and dumped), or NULL */
    const char *log_path;   /* anvil's stdout/stderr, or NULL for /dev/null */
    int port;               /* 0: pick a free loopback port */
} chain_anvil_opts;

/* Starts anvil and waits until it answers eth_chainId. */
int chain_anvil_spawn(const chain_anvil_opts *opts, chain_anvil *anvil, zkml_error *err);
/* A free TCP port on 127.0.0.1, or -1. */
int chain_free_port(void);

/* anvil's first development account (its well-known, public test key). */
#define CHAIN_ANVIL_DEV_KEY "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

#endif
