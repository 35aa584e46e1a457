/*
 * wtns.c - iden3 .wtns files, version 2: section 1 holds the field (n8 = 32
 * and the prime r) and the count, section 2 the values, 32 bytes little-endian
 * in normal form. In memory the values are Fr elements (Montgomery form).
 */
#include "pipeline/snark/binfile.h"
#include "pipeline/snark/hugemem.h"
#include "pipeline/snark/r1cs_internal.h"

#include <stdlib.h>
#include <string.h>

int wtns_write(const fr_t *w, size_t n, const char *path, zkml_error *err)
{
    if (n > UINT32_MAX)
        return zkml_fail(err, ZKML_EINVAL, "%s: %zu witness values do not fit a .wtns file", path,
                         n);
    bwriter bw;
    uint8_t b[32];
    if (bw_open(&bw, path, err))
        return err ? err->code : ZKML_EIO;
    bw_header(&bw, "wtns", 2, 2);
    bw_u32(&bw, 1);
    bw_u64(&bw, 4 + 32 + 4);
    bw_u32(&bw, 32);
    bw_bytes(&bw, BN254_R_LE, 32);
    bw_u32(&bw, (uint32_t)n);
    bw_u32(&bw, 2);
    bw_u64(&bw, 32 * (uint64_t)n);
    for (size_t i = 0; i < n; i++) {
        fr_to_bytes_le(b, &w[i]);
        bw_bytes(&bw, b, 32);
    }
    return bw_commit(&bw, err);
}

int wtns_parse(fr_t **w, size_t *n, const uint8_t *data, size_t len, const char *name,
               zkml_error *err)
{
    binfile bf;
    bcur c;
    uint32_t n8, count;
    const uint8_t *prime, *v;
    *w = NULL;
    *n = 0;
    if (binfile_open(&bf, data, len, "wtns", name, err))
        return err ? err->code : ZKML_EINVAL;
    if (bf.version != 2)
        return zkml_fail(err, ZKML_EINVAL, "%s: .wtns version %u, only 2 is supported", name,
                         bf.version);
    if (binfile_section(&bf, 1, 1, &c, NULL, err))
        return err ? err->code : ZKML_EINVAL;
    if (bcur_u32(&c, &n8) || n8 != 32 || bcur_bytes(&c, &prime, 32))
        return zkml_fail(err, ZKML_EINVAL, "%s: field size is not 32 bytes (not BN254)", name);
    if (memcmp(prime, BN254_R_LE, 32) != 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: the prime is not the BN254 (bn128) scalar field",
                         name);
    if (bcur_u32(&c, &count))
        return zkml_fail(err, ZKML_EINVAL, "%s: header section truncated", name);
    if (binfile_section(&bf, 2, 1, &c, NULL, err))
        return err ? err->code : ZKML_EINVAL;
    if (c.left != 32 * (uint64_t)count)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: the values section has %zu bytes, %u values "
                         "need %llu",
                         name, c.left, count, 32ULL * count);
    fr_t *out = huge_malloc((count ? count : 1) * sizeof *out);
    if (!out)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for %u values", name, count);
    for (uint32_t i = 0; i < count; i++) {
        bcur_bytes(&c, &v, 32);
        if (fr_from_bytes_le(&out[i], v)) {
            free(out);
            return zkml_fail(err, ZKML_EINVAL, "%s: witness value %u is >= r", name, i);
        }
    }
    *w = out;
    *n = count;
    return 0;
}

/* The file is mapped, not copied: a 2^20 witness is 32 MiB, and copying it
 * into fresh 4 KiB pages cost more than converting its values. */
int wtns_read(fr_t **w, size_t *n, const char *path, zkml_error *err)
{
    void *map;
    size_t len;
    *w = NULL;
    *n = 0;
    if (binfile_map(path, "wtns", &map, &len, err))
        return err ? err->code : ZKML_EIO;
    int rc = wtns_parse(w, n, map, len, path, err);
    binfile_unmap(map, len);
    return rc;
}
