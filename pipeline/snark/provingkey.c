/*
 * provingkey.c - our proving-key file: everything the prover needs, laid
 * out so that loading is a sequence of reads straight into the arrays the
 * prover uses (no parsing, no point decompression).
 *
 * Layout (little-endian, this build's struct layout, which the header pins):
 *   "ZKMLGPK\0", u32 version, u32 sizeof(g1_affine), u32 sizeof(g2_affine),
 *   u32 0, u64 body length, u64 checksum of the body, then the body:
 *   u32 n_vars, n_public, n_constraints, log_n;
 *   per matrix A, B, C: u64 n_terms, u64 start[n_constraints + 1],
 *     u32 wire[n_terms] (padded to 8 bytes), fr_t coeff[n_terms] (Montgomery);
 *   alpha1, beta1, delta1, beta2, delta2, a_query[n_vars], b1_query[n_vars],
 *   b2_query[n_vars], c_query[n_vars - n_public - 1], h_query[2^log_n].
 * The checksum (a 64-bit multiply-xor hash over 8-byte words) catches
 * corruption and truncation; loading also checks every count, wire index,
 * coefficient (< r) and coordinate (< p). The points themselves were computed
 * by our setup and are not re-checked against the curve (that would cost more
 * than the proof); the checksum vouches for them.
 */
#include "pipeline/snark/groth16.h"
#include "pipeline/snark/field.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PK_MAGIC "ZKMLGPK"
#define PK_VERSION 1u
#define PK_HEADER_BYTES 40

typedef struct pk_hash { uint64_t h; } pk_hash;

static void hash_words(pk_hash *hs, const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = hs->h;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    hs->h = h;
}

typedef struct pk_io {
    FILE *f;
    pk_hash hash;
    uint64_t bytes;
    const char *path;
    int failed;
} pk_io;

/* Every chunk is a multiple of 8 bytes, so the hash sees whole words. */
static void put(pk_io *io, const void *p, size_t n)
{
    static const uint8_t zeros[8];
    if (io->failed || n == 0)
        return;
    if (fwrite(p, 1, n, io->f) != n)
        io->failed = 1;
    hash_words(&io->hash, p, n);
    size_t pad = (8 - n % 8) % 8;
    if (pad) {
        uint8_t tail[8] = {0};
        memcpy(tail, (const uint8_t *)p + n - n % 8, n % 8);
        if (fwrite(zeros, 1, pad, io->f) != pad)
            io->failed = 1;
        hash_words(&io->hash, tail, 8);
    }
    io->bytes += n + pad;
}

static int get(pk_io *io, void *p, size_t n)
{
    if (io->failed || n == 0)
        return io->failed ? -1 : 0;
    size_t pad = (8 - n % 8) % 8;
    uint8_t tail[8] = {0};
    if (fread(p, 1, n, io->f) != n || (pad && fread(tail + n % 8, 1, pad, io->f) != pad)) {
        io->failed = 1;
        return -1;
    }
    hash_words(&io->hash, p, n);
    if (pad) {
        memcpy(tail, (const uint8_t *)p + n - n % 8, n % 8);
        hash_words(&io->hash, tail, 8);
    }
    io->bytes += n + pad;
    return 0;
}

static void put_u32s(pk_io *io, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    uint32_t v[4] = { a, b, c, d };
    put(io, v, sizeof v);
}

static void put_header(FILE *f, uint64_t body, uint64_t checksum)
{
    uint8_t h[PK_HEADER_BYTES] = PK_MAGIC;
    uint32_t v[4] = { PK_VERSION, (uint32_t)sizeof(g1_affine), (uint32_t)sizeof(g2_affine), 0 };
    memcpy(h + 8, v, 16);
    memcpy(h + 24, &body, 8);
    memcpy(h + 32, &checksum, 8);
    fseek(f, 0, SEEK_SET);
    fwrite(h, 1, sizeof h, f);
}

int pk_write(const groth16_pk *pk, const char *path, zkml_error *err)
{
    char tmp[4200];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return zkml_fail(err, ZKML_EINVAL, "path too long: %s", path);
    pk_io io = { fopen(tmp, "wb"), { 0x5A4B4D4C474B3031ULL }, 0, path, 0 };
    if (!io.f)
        return zkml_fail(err, ZKML_EIO, "%s: %s", tmp, strerror(errno));
    setvbuf(io.f, NULL, _IOFBF, 1 << 20);
    put_header(io.f, 0, 0);
    put_u32s(&io, pk->n_vars, pk->n_public, pk->n_constraints, pk->log_n);
    for (int m = 0; m < 3; m++) {
        uint64_t nt = pk->m[m].start[pk->n_constraints];
        put(&io, &nt, 8);
        put(&io, pk->m[m].start, ((size_t)pk->n_constraints + 1) * 8);
        put(&io, pk->m[m].wire, nt * 4);
        put(&io, pk->m[m].coeff, nt * sizeof(fr_t));
    }
    put(&io, &pk->alpha1, sizeof(g1_affine));
    put(&io, &pk->beta1, sizeof(g1_affine));
    put(&io, &pk->delta1, sizeof(g1_affine));
    put(&io, &pk->beta2, sizeof(g2_affine));
    put(&io, &pk->delta2, sizeof(g2_affine));
    put(&io, pk->a_query, (size_t)pk->n_vars * sizeof(g1_affine));
    put(&io, pk->b1_query, (size_t)pk->n_vars * sizeof(g1_affine));
    put(&io, pk->b2_query, (size_t)pk->n_vars * sizeof(g2_affine));
    put(&io, pk->c_query, (size_t)(pk->n_vars - pk->n_public - 1) * sizeof(g1_affine));
    put(&io, pk->h_query, ((size_t)1 << pk->log_n) * sizeof(g1_affine));
    if (!io.failed) {
        put_header(io.f, io.bytes, io.hash.h);
        if (fflush(io.f) != 0 || fsync(fileno(io.f)) != 0)
            io.failed = 1;
    }
    if (fclose(io.f) != 0)
        io.failed = 1;
    if (io.failed || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return zkml_fail(err, ZKML_EIO, "writing %s: %s", path, strerror(e ? e : EIO));
    }
    return 0;
}

/* ---- reading ------------------------------------------------------------------ */

static int fp_ok(const fp_t *a) { return !limbs_geq(a->v, FP_MODULUS.m); }

static int g1_points_ok(const g1_affine *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i].infinity != 0 && p[i].infinity != 1) || !fp_ok(&p[i].x) || !fp_ok(&p[i].y))
            return 0;
    return 1;
}

static int g2_points_ok(const g2_affine *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i].infinity != 0 && p[i].infinity != 1) || !fp_ok(&p[i].x.c0) ||
            !fp_ok(&p[i].x.c1) || !fp_ok(&p[i].y.c0) || !fp_ok(&p[i].y.c1))
            return 0;
    return 1;
}

static int read_matrix(pk_io *io, groth16_pk *pk, int m, uint64_t remaining, zkml_error *err)
{
    pk_matrix *pm = &pk->m[m];
    uint64_t nt;
    size_t rows = (size_t)pk->n_constraints + 1;
    if (get(io, &nt, 8) || nt > remaining / 36)
        return zkml_fail(err, ZKML_EINVAL, "%s: matrix %d: bad term count (corrupt file)",
                         io->path, m);
    pm->start = malloc(rows * 8);
    pm->wire = malloc(nt ? nt * 4 : 1);
    pm->coeff = malloc(nt ? nt * sizeof(fr_t) : 1);
    if (!pm->start || !pm->wire || !pm->coeff)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", io->path);
    if (get(io, pm->start, rows * 8) || get(io, pm->wire, nt * 4) ||
        get(io, pm->coeff, nt * sizeof(fr_t)))
        return zkml_fail(err, ZKML_EINVAL, "%s: truncated", io->path);
    if (pm->start[0] != 0 || pm->start[rows - 1] != nt)
        return zkml_fail(err, ZKML_EINVAL, "%s: matrix %d: bad row offsets", io->path, m);
    for (size_t k = 1; k < rows; k++)
        if (pm->start[k] < pm->start[k - 1])
            return zkml_fail(err, ZKML_EINVAL, "%s: matrix %d: bad row offsets", io->path, m);
    for (uint64_t i = 0; i < nt; i++)
        if (pm->wire[i] >= pk->n_vars || limbs_geq(pm->coeff[i].v, FR_MODULUS.m))
            return zkml_fail(err, ZKML_EINVAL, "%s: matrix %d: term %llu out of range",
                             io->path, m, (unsigned long long)i);
    return 0;
}

static int read_points(pk_io *io, groth16_pk *pk, zkml_error *err)
{
    size_t nv = pk->n_vars, nc = nv - pk->n_public - 1, nh = (size_t)1 << pk->log_n;
    pk->a_query = malloc(nv * sizeof(g1_affine));
    pk->b1_query = malloc(nv * sizeof(g1_affine));
    pk->b2_query = malloc(nv * sizeof(g2_affine));
    pk->c_query = malloc((nc ? nc : 1) * sizeof(g1_affine));
    pk->h_query = malloc(nh * sizeof(g1_affine));
    if (!pk->a_query || !pk->b1_query || !pk->b2_query || !pk->c_query || !pk->h_query)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for the key", io->path);
    if (get(io, &pk->alpha1, sizeof(g1_affine)) || get(io, &pk->beta1, sizeof(g1_affine)) ||
        get(io, &pk->delta1, sizeof(g1_affine)) || get(io, &pk->beta2, sizeof(g2_affine)) ||
        get(io, &pk->delta2, sizeof(g2_affine)) ||
        get(io, pk->a_query, nv * sizeof(g1_affine)) ||
        get(io, pk->b1_query, nv * sizeof(g1_affine)) ||
        get(io, pk->b2_query, nv * sizeof(g2_affine)) ||
        get(io, pk->c_query, nc * sizeof(g1_affine)) ||
        get(io, pk->h_query, nh * sizeof(g1_affine)))
        return zkml_fail(err, ZKML_EINVAL, "%s: truncated", io->path);
    if (!g1_points_ok(&pk->alpha1, 1) || !g1_points_ok(&pk->beta1, 1) ||
        !g1_points_ok(&pk->delta1, 1) || !g2_points_ok(&pk->beta2, 1) ||
        !g2_points_ok(&pk->delta2, 1) || !g1_points_ok(pk->a_query, nv) ||
        !g1_points_ok(pk->b1_query, nv) || !g2_points_ok(pk->b2_query, nv) ||
        !g1_points_ok(pk->c_query, nc) || !g1_points_ok(pk->h_query, nh))
        return zkml_fail(err, ZKML_EINVAL, "%s: a point coordinate is out of range", io->path);
    return 0;
}

static int read_body(pk_io *io, groth16_pk *pk, uint64_t body, zkml_error *err)
{
    uint32_t v[4];
    if (get(io, v, sizeof v))
        return zkml_fail(err, ZKML_EINVAL, "%s: truncated", io->path);
    pk->n_vars = v[0];
    pk->n_public = v[1];
    pk->n_constraints = v[2];
    pk->log_n = v[3];
    uint32_t want_log;
    if (pk->n_vars < (uint64_t)pk->n_public + 1 ||
        groth16_domain_log(pk->n_constraints, pk->n_public, &want_log, err) ||
        want_log != pk->log_n)
        return zkml_fail(err, ZKML_EINVAL, "%s: inconsistent sizes in the header", io->path);
    /* The sizes must add up to the body length before anything big is allocated. */
    uint64_t nv = pk->n_vars, need = 16 + 3 * (8 + 8 * ((uint64_t)pk->n_constraints + 1)) +
        (3 * sizeof(g1_affine) + 2 * sizeof(g2_affine)) +
        nv * (2 * sizeof(g1_affine) + sizeof(g2_affine)) +
        (nv - pk->n_public - 1 + ((uint64_t)1 << pk->log_n)) * sizeof(g1_affine);
    if (need > body)
        return zkml_fail(err, ZKML_EINVAL, "%s: the body is %llu bytes, its sizes need %llu",
                         io->path, (unsigned long long)body, (unsigned long long)need);
    for (int m = 0; m < 3; m++)
        if (read_matrix(io, pk, m, body - need, err))
            return err->code;
    return read_points(io, pk, err);
}

int pk_read(groth16_pk *pk, const char *path, zkml_error *err)
{
    memset(pk, 0, sizeof *pk);
    uint8_t h[PK_HEADER_BYTES];
    pk_io io = { fopen(path, "rb"), { 0x5A4B4D4C474B3031ULL }, 0, path, 0 };
    if (!io.f)
        return zkml_fail(err, errno == ENOENT ? ZKML_ENOTFOUND : ZKML_EIO, "%s: %s", path,
                         strerror(errno));
    setvbuf(io.f, NULL, _IOFBF, 1 << 20);
    int rc;
    uint32_t v[4];
    uint64_t body, checksum;
    if (fread(h, 1, sizeof h, io.f) != sizeof h || memcmp(h, PK_MAGIC, 8) != 0) {
        rc = zkml_fail(err, ZKML_EINVAL, "%s: not a zkml-registry proving key (wrong magic)",
                       path);
        goto done;
    }
    memcpy(v, h + 8, 16);
    memcpy(&body, h + 24, 8);
    memcpy(&checksum, h + 32, 8);
    if (v[0] != PK_VERSION || v[1] != sizeof(g1_affine) || v[2] != sizeof(g2_affine)) {
        rc = zkml_fail(err, ZKML_EINVAL, "%s: proving key version %u is not supported by this "
                       "build (expected %u); run setup again", path, v[0], PK_VERSION);
        goto done;
    }
    rc = read_body(&io, pk, body, err);
    if (!rc && (io.bytes != body || fgetc(io.f) != EOF))
        rc = zkml_fail(err, ZKML_EINVAL, "%s: length does not match its header (corrupt file)",
                       path);
    if (!rc && io.hash.h != checksum)
        rc = zkml_fail(err, ZKML_EINVAL, "%s: checksum mismatch (corrupt file)", path);
done:
    fclose(io.f);
    if (rc)
        groth16_pk_free(pk);
    return rc;
}
