/*
 * sha256.c - SHA-256 through OpenSSL's libcrypto. The model hash, the vk hash
 * and the circuit hash are SHA-256 of file bytes; a well-kept library computes
 * them (keccak-256 stays ours in pipeline/evm: OpenSSL 3.0 has no Keccak with
 * Ethereum's padding).
 */
#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

void zkml_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    /* EVP_Digest fails only when the library cannot allocate its context. */
    if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL))
        memset(out, 0, 32);
}

static int digest_fd(int fd, const char *path, EVP_MD_CTX *ctx, zkml_error *err)
{
    uint8_t chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return zkml_fail(err, ZKML_EIO, "%s: read failed: %s", path, strerror(errno));
        if (n == 0)
            return 0;
        if (!EVP_DigestUpdate(ctx, chunk, (size_t)n))
            return zkml_fail(err, ZKML_EINTERNAL, "%s: SHA-256 update failed", path);
    }
}

int zkml_sha256_file(const char *path, uint8_t out[32], zkml_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return zkml_fail(err, errno == ENOENT ? ZKML_ENOTFOUND : ZKML_EIO, "%s: %s", path,
                         strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc;
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
        rc = zkml_fail(err, ZKML_ENOMEM, "%s: cannot start SHA-256", path);
    else if (!(rc = digest_fd(fd, path, ctx, err)) && !EVP_DigestFinal_ex(ctx, out, NULL))
        rc = zkml_fail(err, ZKML_EINTERNAL, "%s: SHA-256 final failed", path);
    EVP_MD_CTX_free(ctx);
    close(fd);
    return rc;
}
