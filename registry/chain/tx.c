/*
 * tx.c - signing keys and EIP-1559 transactions. A key is loaded from a file
 * that only its owner can read, checked, and kept only as long as the caller
 * keeps the chain_key (chain_key_wipe overwrites it). Signatures come from
 * libsecp256k1's recoverable ECDSA (RFC 6979 nonces, low s); the signing
 * hash is keccak(0x02 || rlp([chainId, nonce, maxPriorityFeePerGas,
 * maxFeePerGas, gasLimit, to, value, data, accessList])) as EIP-1559 defines.
 */
#include "registry/chain/chain_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* A context for one operation, randomized against side channels when signing. */
static secp256k1_context *context_new(int for_signing)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (ctx && for_signing) {
        uint8_t seed[32];
        if (getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed &&
            !secp256k1_context_randomize(ctx, seed)) {
            secp256k1_context_destroy(ctx);
            ctx = NULL;
        }
        zkml_wipe(seed, sizeof seed);
    }
    return ctx;
}

void chain_address_from_pubkey64(const uint8_t pub[64], uint8_t address[20])
{
    uint8_t hash[32];
    evm_keccak256(hash, pub, 64);
    memcpy(address, hash + 12, 20);
}

static int address_of_pubkey(const secp256k1_context *ctx, const secp256k1_pubkey *pub,
                             uint8_t address[20])
{
    uint8_t serialized[65];
    size_t len = sizeof serialized;
    if (!secp256k1_ec_pubkey_serialize(ctx, serialized, &len, pub, SECP256K1_EC_UNCOMPRESSED) ||
        len != 65)
        return -1;
    chain_address_from_pubkey64(serialized + 1, address);
    return 0;
}

int chain_key_from_hex(const char *hex, chain_key *key, zkml_error *err)
{
    memset(key, 0, sizeof *key);
    secp256k1_context *ctx = context_new(0);
    if (!ctx)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory creating a secp256k1 context");
    secp256k1_pubkey pub;
    int rc = 0;
    if (chain_unhex_exact(hex, key->secret, 32) != 0)
        rc = zkml_fail(err, ZKML_EINVAL, "the private key is not 64 hex digits");
    else if (!secp256k1_ec_seckey_verify(ctx, key->secret))
        rc = zkml_fail(err, ZKML_EINVAL, "the private key is not a valid secp256k1 key");
    else if (!secp256k1_ec_pubkey_create(ctx, &pub, key->secret) ||
             address_of_pubkey(ctx, &pub, key->address) != 0)
        rc = zkml_fail(err, ZKML_EINTERNAL, "deriving the public key failed");
    secp256k1_context_destroy(ctx);
    if (rc)
        chain_key_wipe(key);
    return rc;
}

int chain_key_load(const char *path, chain_key *key, zkml_error *err)
{
    memset(key, 0, sizeof *key);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return zkml_fail(err, errno == ENOENT ? ZKML_ENOTFOUND : ZKML_EIO,
                         "private key file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return zkml_fail(err, ZKML_EINVAL, "private key file %s: not a regular file", path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return zkml_fail(err, ZKML_EINVAL,
                         "private key file %s is readable by group or others (mode %04o); "
                         "refusing to use it: run chmod 600 %s",
                         path, (unsigned)(st.st_mode & 07777), path);
    }
    char text[256];
    ssize_t n;
    do
        n = read(fd, text, sizeof text - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return zkml_fail(err, ZKML_EIO, "private key file %s: read failed", path);
    text[n] = '\0';
    char *start = text;
    while (isspace((unsigned char)*start))
        start++;
    size_t end = strlen(start);
    while (end > 0 && isspace((unsigned char)start[end - 1]))
        start[--end] = '\0';
    int rc = chain_key_from_hex(start, key, err);
    zkml_wipe(text, sizeof text);
    if (rc)
        return zkml_error_prefix(err, "private key file %s", path);
    return 0;
}

void chain_key_wipe(chain_key *key)
{
    zkml_wipe(key, sizeof *key);
}

int chain_recover_address(const uint8_t hash[32], const uint8_t r[32], const uint8_t s[32],
                          int recid, uint8_t address[20])
{
    secp256k1_context *ctx = context_new(0);
    if (!ctx)
        return -1;
    uint8_t compact[64];
    memcpy(compact, r, 32);
    memcpy(compact + 32, s, 32);
    secp256k1_ecdsa_recoverable_signature sig;
    secp256k1_pubkey pub;
    int rc = -1;
    if (recid >= 0 && recid <= 1 &&
        secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, compact, recid) &&
        secp256k1_ecdsa_recover(ctx, &pub, &sig, hash) &&
        address_of_pubkey(ctx, &pub, address) == 0)
        rc = 0;
    secp256k1_context_destroy(ctx);
    return rc;
}

/* The nine unsigned fields; the signed form appends yParity, r, s. */
static void tx_put_fields(zkml_buf *b, const chain_tx *tx)
{
    static const uint8_t zero_value[32];
    rlp_put_uint(b, tx->chain_id);
    rlp_put_uint(b, tx->nonce);
    rlp_put_word(b, tx->max_priority_fee);
    rlp_put_word(b, tx->max_fee);
    rlp_put_uint(b, tx->gas_limit);
    rlp_put_bytes(b, tx->to, tx->has_to ? 20 : 0);
    rlp_put_word(b, zero_value);
    rlp_put_bytes(b, tx->data, tx->data_len);
    rlp_put_list(b, NULL, 0); /* empty access list */
}

static int tx_envelope(zkml_buf *out, const zkml_buf *fields)
{
    zkml_buf_put_byte(out, 0x02);
    rlp_put_list(out, fields->data, fields->len);
    return out->oom ? -1 : 0;
}

int chain_tx_sign(const chain_tx *tx, const chain_key *key, zkml_buf *raw, uint8_t hash[32],
                  zkml_error *err)
{
    zkml_buf fields = {0}, unsigned_tx = {0};
    secp256k1_context *ctx = NULL;
    int rc = 0;
    tx_put_fields(&fields, tx);
    if (fields.oom || tx_envelope(&unsigned_tx, &fields) != 0) {
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory encoding a transaction");
        goto done;
    }
    uint8_t signing_hash[32];
    evm_keccak256(signing_hash, unsigned_tx.data, unsigned_tx.len);
    ctx = context_new(1);
    if (!ctx) {
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory creating a secp256k1 context");
        goto done;
    }
    secp256k1_ecdsa_recoverable_signature sig;
    uint8_t compact[64];
    int recid = 0;
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &sig, signing_hash, key->secret, NULL, NULL) ||
        !secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, compact, &recid, &sig)) {
        rc = zkml_fail(err, ZKML_EINTERNAL, "signing the transaction failed");
        goto done;
    }
    rlp_put_uint(&fields, (uint64_t)recid);
    rlp_put_word(&fields, compact);
    rlp_put_word(&fields, compact + 32);
    raw->len = 0;
    if (fields.oom || tx_envelope(raw, &fields) != 0) {
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory encoding a transaction");
        goto done;
    }
    evm_keccak256(hash, raw->data, raw->len);
done:
    if (ctx)
        secp256k1_context_destroy(ctx);
    zkml_buf_free(&fields);
    zkml_buf_free(&unsigned_tx);
    return rc;
}
