/*
 * provingkey.c - our proving-key file: everything the prover needs, laid
 * out so that loading maps the file and uses its arrays in place (no
 * parsing, no point decompression, no copy).
 *
 * Layout (little-endian, this build's struct layout, which the header pins):
 *   "ZKMLGPK\0", u32 version, u32 sizeof(g1_affine), u32 sizeof(g2_affine),
 *   u32 0, u64 body length, u64 checksum of the body, then the body:
 *   u32 n_vars, n_public, n_constraints, log_n;
 *   u64 n_coeffs, fr_t coeffs[n_coeffs] (Montgomery; the distinct
 *     coefficients, coeffs[0] = 1: coeff_table in groth16.h);
 *   per matrix A, B, C: u64 n_terms, u64 start[n_constraints + 1],
 *     u32 wire[n_terms], u32 coeff_at[n_terms] (each padded to 8 bytes);
 *   alpha1, beta1, delta1, beta2, delta2, a_query[n_vars], b1_query[n_vars],
 *   b2_query[n_vars], c_query[n_vars - n_public - 1], h_query[2^log_n].
 * The checksum (a four-lane 64-bit multiply-xor hash over 8-byte words) catches
 * corruption and truncation; loading also checks every count, wire index,
 * coefficient index, coefficient (< r, the first 1) and coordinate (< p).
 * The points themselves were computed by our setup and are not re-checked
 * against the curve (that would cost more than the proof); the checksum
 * vouches for them. A version 2 key (each term's coefficient in place) is
 * still read: read_matrix_v2 makes its table.
 */
#include "pipeline/snark/binfile.h"
#include "pipeline/snark/groth16.h"
#include "pipeline/snark/field.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PK_MAGIC "ZKMLGPK"
#define PK_VERSION 3u       /* 2: the four-lane checksum; 3: the coefficients' table */
#define PK_VERSION_TERMS 2u /* still read: each term's coefficient in place (read_matrix_v2) */
#define PK_HEADER_BYTES 40
#define PK_HASH_SEED 0x5A4B4D4C474B3031ULL
#define PK_HASH_CHUNK ((size_t)16 << 20) /* hashed, then dropped (a multiple of 8) */

/* Four independent multiply-xor lanes, word i going to lane i mod 4, so a
 * core runs them side by side (one lane is a chain of ~6 cycles per word:
 * 38 ms for a 2^18 key, against 10 ms for four). */
typedef struct pk_hash {
    uint64_t lane[4];
    uint64_t words;
} pk_hash;

static void hash_init(pk_hash *hs)
{
    for (int l = 0; l < 4; l++)
        hs->lane[l] = PK_HASH_SEED + (uint64_t)l;
    hs->words = 0;
}

static inline uint64_t hash_step(uint64_t h, const uint8_t *b)
{
    uint64_t w;
    memcpy(&w, b, 8);
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

/* Hashes the whole 8-byte words of p[0..n). */
static void hash_words(pk_hash *hs, const void *p, size_t n)
{
    const uint8_t *b = p;
    size_t i = 0, words = n / 8;
    for (; i < words && hs->words % 4; i++, hs->words++)
        hs->lane[hs->words % 4] = hash_step(hs->lane[hs->words % 4], b + 8 * i);
    uint64_t h0 = hs->lane[0], h1 = hs->lane[1], h2 = hs->lane[2], h3 = hs->lane[3];
    for (; i + 4 <= words; i += 4) {
        h0 = hash_step(h0, b + 8 * i);
        h1 = hash_step(h1, b + 8 * i + 8);
        h2 = hash_step(h2, b + 8 * i + 16);
        h3 = hash_step(h3, b + 8 * i + 24);
        hs->words += 4;
    }
    hs->lane[0] = h0, hs->lane[1] = h1, hs->lane[2] = h2, hs->lane[3] = h3;
    for (; i < words; i++, hs->words++)
        hs->lane[hs->words % 4] = hash_step(hs->lane[hs->words % 4], b + 8 * i);
}

static uint64_t hash_final(const pk_hash *hs)
{
    uint8_t words[40];
    pk_hash fold = {{PK_HASH_SEED, 0, 0, 0}, 0};
    memcpy(words, hs->lane, 32);
    memcpy(words + 32, &hs->words, 8);
    for (int k = 0; k < 5; k++)
        fold.lane[0] = hash_step(fold.lane[0], words + 8 * k);
    return fold.lane[0];
}

typedef struct pk_io {
    bwriter w;
    pk_hash hash;
    uint64_t bytes;
} pk_io;

/* Every chunk is a multiple of 8 bytes, so the hash sees whole words. */
static void put(pk_io *io, const void *p, size_t n)
{
    static const uint8_t zeros[8];
    if (n == 0)
        return;
    bw_bytes(&io->w, p, n);
    hash_words(&io->hash, p, n);
    size_t pad = (8 - n % 8) % 8;
    if (pad) {
        uint8_t tail[8] = {0};
        memcpy(tail, (const uint8_t *)p + n - n % 8, n % 8);
        bw_bytes(&io->w, zeros, pad);
        hash_words(&io->hash, tail, 8);
    }
    io->bytes += n + pad;
}

/* n points of size bytes as the reader maps them (whole structs), each with
 * the padding after its first `used` bytes zeroed: padding holds whatever
 * the last copy left there (bytes of the contribution's stack frames, say),
 * which must not reach a file, and a key's bytes depend on its points only. */
static void put_points(pk_io *io, const void *p, size_t n, size_t size, size_t used)
{
    uint8_t buf[1 << 16];
    size_t per = sizeof buf / size;
    for (size_t at = 0; at < n; at += per) {
        size_t k = n - at < per ? n - at : per;
        memcpy(buf, (const uint8_t *)p + at * size, k * size);
        for (size_t i = 0; i < k; i++)
            memset(buf + i * size + used, 0, size - used);
        put(io, buf, k * size);
    }
}

#define G1_USED (offsetof(g1_affine, infinity) + sizeof(int))
#define G2_USED (offsetof(g2_affine, infinity) + sizeof(int))

static void put_u32s(pk_io *io, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    uint32_t v[4] = {a, b, c, d};
    put(io, v, sizeof v);
}

/* The header, written first with body 0 and checksum 0, then patched. */
static void header_bytes(uint8_t h[PK_HEADER_BYTES], uint64_t body, uint64_t checksum)
{
    static const uint8_t magic[8] = PK_MAGIC;
    uint32_t v[4] = {PK_VERSION, (uint32_t)sizeof(g1_affine), (uint32_t)sizeof(g2_affine), 0};
    memset(h, 0, PK_HEADER_BYTES);
    memcpy(h, magic, 8);
    memcpy(h + 8, v, 16);
    memcpy(h + 24, &body, 8);
    memcpy(h + 32, &checksum, 8);
}

int pk_write(const groth16_pk *pk, const char *path, zkml_error *err)
{
    pk_io io = {.bytes = 0};
    uint8_t h[PK_HEADER_BYTES];
    if (bw_open(&io.w, path, err))
        return err->code;
    hash_init(&io.hash);
    header_bytes(h, 0, 0);
    bw_bytes(&io.w, h, sizeof h);
    put_u32s(&io, pk->n_vars, pk->n_public, pk->n_constraints, pk->log_n);
    uint64_t n_coeffs = pk->coeffs.n;
    put(&io, &n_coeffs, 8);
    put(&io, pk->coeffs.v, n_coeffs * sizeof(fr_t));
    for (int m = 0; m < 3; m++) {
        uint64_t nt = pk->m[m].start[pk->n_constraints];
        put(&io, &nt, 8);
        put(&io, pk->m[m].start, ((size_t)pk->n_constraints + 1) * 8);
        put(&io, pk->m[m].wire, nt * 4);
        put(&io, pk->m[m].coeff_at, nt * 4);
    }
    put_points(&io, &pk->alpha1, 1, sizeof(g1_affine), G1_USED);
    put_points(&io, &pk->beta1, 1, sizeof(g1_affine), G1_USED);
    put_points(&io, &pk->delta1, 1, sizeof(g1_affine), G1_USED);
    put_points(&io, &pk->beta2, 1, sizeof(g2_affine), G2_USED);
    put_points(&io, &pk->delta2, 1, sizeof(g2_affine), G2_USED);
    put_points(&io, pk->a_query, pk->n_vars, sizeof(g1_affine), G1_USED);
    put_points(&io, pk->b1_query, pk->n_vars, sizeof(g1_affine), G1_USED);
    put_points(&io, pk->b2_query, pk->n_vars, sizeof(g2_affine), G2_USED);
    put_points(&io, pk->c_query, pk->n_vars - pk->n_public - 1, sizeof(g1_affine), G1_USED);
    put_points(&io, pk->h_query, (size_t)1 << pk->log_n, sizeof(g1_affine), G1_USED);
    header_bytes(h, io.bytes, hash_final(&io.hash));
    bw_patch(&io.w, 0, h, sizeof h);
    return bw_commit(&io.w, err);
}

/* ---- reading ------------------------------------------------------------------
 * The file is mapped copy-on-write and the arrays point into the mapping:
 * no copy, no fresh pages to zero, and the prover may still write to them.
 * pk_write replaces a key by renaming a new file over it, so a mapped key
 * never changes (or shrinks, which would fault) under a running prover.
 * The body is 8-byte aligned (a 40-byte header, every chunk padded to 8) at a
 * page-aligned base, so every array is suitably aligned in place. */

typedef struct pk_reader {
    const uint8_t *body;
    uint64_t len, pos;
    const char *path;
    uint32_t version;
    coeff_dict dict; /* version 2: the table being built from the terms */
} pk_reader;

/* The next n bytes (and their padding), or NULL when the body is too short. */
static void *take(pk_reader *rd, size_t n)
{
    uint64_t padded = (uint64_t)n + (8 - n % 8) % 8;
    if (padded > rd->len - rd->pos)
        return NULL;
    void *p = (void *)(rd->body + rd->pos);
    rd->pos += padded;
    return p;
}

static int fp_ok(const fp_t *a)
{
    return !limbs_geq(a->v, FP_MODULUS.m);
}

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

/* An array of the key checked, then dropped until the prover reads it. */
static int g1_section_ok(const groth16_pk *pk, const g1_affine *p, size_t n)
{
    int ok = g1_points_ok(p, n);
    groth16_pk_release(pk, p, n * sizeof *p);
    return ok;
}

static int g2_section_ok(const groth16_pk *pk, const g2_affine *p, size_t n)
{
    int ok = g2_points_ok(p, n);
    groth16_pk_release(pk, p, n * sizeof *p);
    return ok;
}

/* The coefficients' table: each below r, the first 1. */
static int read_coeffs(pk_reader *rd, groth16_pk *pk, zkml_error *err)
{
    const uint64_t *n = take(rd, 8);
    if (!n || *n == 0 || *n > (rd->len - rd->pos) / sizeof(fr_t) || *n > UINT32_MAX)
        return zkml_fail(err, ZKML_EINVAL, "%s: bad coefficient count (corrupt file)", rd->path);
    pk->coeffs.n = (uint32_t)*n;
    pk->coeffs.v = take(rd, pk->coeffs.n * sizeof(fr_t));
    fr_t one;
    fr_one(&one);
    if (!fr_eq(&pk->coeffs.v[0], &one))
        return zkml_fail(err, ZKML_EINVAL, "%s: the first coefficient is not 1", rd->path);
    for (uint32_t i = 0; i < pk->coeffs.n; i++)
        if (limbs_geq(pk->coeffs.v[i].v, FR_MODULUS.m))
            return zkml_fail(err, ZKML_EINVAL, "%s: coefficient %u out of range", rd->path, i);
    return 0;
}

/* Matrix m's row offsets, wires and coefficient indices checked, then
 * dropped until the prover reads them. */
static int check_rows(const pk_reader *rd, groth16_pk *pk, int m, uint64_t nt, zkml_error *err)
{
    pk_matrix *pm = &pk->m[m];
    size_t rows = (size_t)pk->n_constraints + 1;
    if (pm->start[0] != 0 || pm->start[rows - 1] != nt)
        return zkml_fail(err, ZKML_EINVAL, "%s: matrix %d: bad row offsets", rd->path, m);
    for (size_t k = 1; k < rows; k++)
        if (pm->start[k] < pm->start[k - 1])
            return zkml_fail(err, ZKML_EINVAL, "%s: matrix %d: bad row offsets", rd->path, m);
    for (uint64_t i = 0; i < nt; i++)
        if (pm->wire[i] >= pk->n_vars || pm->coeff_at[i] >= pk->coeffs.n)
            return zkml_fail(err, ZKML_EINVAL, "%s: matrix %d: term %llu out of range", rd->path, m,
                             (unsigned long long)i);
    groth16_pk_release(pk, pm->start, rows * 8);
    groth16_pk_release(pk, pm->wire, nt * 4);
    groth16_pk_release(pk, pm->coeff_at, nt * 4);
    return 0;
}

/* Matrix m's term count, row offsets and wires; n_bytes, the size of a term's
 * coefficient (4, an index; 32 in version 2, the value), bounds the count. */
static int take_rows(pk_reader *rd, groth16_pk *pk, int m, size_t n_bytes, uint64_t *nt,
                     zkml_error *err)
{
    pk_matrix *pm = &pk->m[m];
    const uint64_t *nt_p = take(rd, 8);
    if (!nt_p || *nt_p > (rd->len - rd->pos) / (4 + n_bytes))
        return zkml_fail(err, ZKML_EINVAL, "%s: matrix %d: bad term count (corrupt file)", rd->path,
                         m);
    *nt = *nt_p;
    pm->start = take(rd, ((size_t)pk->n_constraints + 1) * 8);
    pm->wire = take(rd, *nt * 4);
    if (!pm->start || !pm->wire)
        return zkml_fail(err, ZKML_EINVAL, "%s: truncated", rd->path);
    return 0;
}

static int read_matrix(pk_reader *rd, groth16_pk *pk, int m, zkml_error *err)
{
    uint64_t nt;
    if (take_rows(rd, pk, m, 4, &nt, err))
        return err->code;
    if (!(pk->m[m].coeff_at = take(rd, nt * 4)))
        return zkml_fail(err, ZKML_EINVAL, "%s: truncated", rd->path);
    return check_rows(rd, pk, m, nt, err);
}

/* Version 2's matrix m: each term's coefficient in place, checked and
 * turned into an index of the table built in rd->dict (coeff_at malloc'ed).
 * So a key written before the table keeps proving without a new setup,
 * whose new delta would not match a verifier already deployed. */
static int read_matrix_v2(pk_reader *rd, groth16_pk *pk, int m, zkml_error *err)
{
    pk_matrix *pm = &pk->m[m];
    uint64_t nt;
    const fr_t *coeff;
    if (take_rows(rd, pk, m, sizeof(fr_t), &nt, err))
        return err->code;
    if (!(coeff = take(rd, nt * sizeof(fr_t))))
        return zkml_fail(err, ZKML_EINVAL, "%s: truncated", rd->path);
    if (!(pm->coeff_at = malloc((nt ? nt : 1) * sizeof *pm->coeff_at)))
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", rd->path);
    for (uint64_t i = 0; i < nt; i++) {
        if (limbs_geq(coeff[i].v, FR_MODULUS.m))
            return zkml_fail(err, ZKML_EINVAL, "%s: matrix %d: term %llu out of range", rd->path, m,
                             (unsigned long long)i);
        if (coeff_dict_add(&rd->dict, &coeff[i], &pm->coeff_at[i]))
            return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", rd->path);
    }
    groth16_pk_release(pk, coeff, nt * sizeof(fr_t));
    pk->coeffs = rd->dict.t; /* check_rows bounds the indices by the table so far */
    return check_rows(rd, pk, m, nt, err);
}

/* The matrices, with the coefficients' table before them (version 3) or
 * made from their terms (version 2). */
static int read_matrices(pk_reader *rd, groth16_pk *pk, zkml_error *err)
{
    if (rd->version == PK_VERSION_TERMS) {
        int rc = coeff_dict_init(&rd->dict)
                     ? zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", rd->path)
                     : 0;
        for (int m = 0; !rc && m < 3; m++)
            rc = read_matrix_v2(rd, pk, m, err);
        coeff_dict_finish(&rd->dict, &pk->coeffs);
        return rc;
    }
    if (read_coeffs(rd, pk, err))
        return err->code;
    for (int m = 0; m < 3; m++)
        if (read_matrix(rd, pk, m, err))
            return err->code;
    return 0;
}

static int take_point(pk_reader *rd, void *out, size_t size)
{
    const void *p = take(rd, size);
    if (p)
        memcpy(out, p, size);
    return p ? 0 : -1;
}

static int read_points(pk_reader *rd, groth16_pk *pk, zkml_error *err)
{
    size_t nv = pk->n_vars, nc = nv - pk->n_public - 1, nh = (size_t)1 << pk->log_n;
    if (take_point(rd, &pk->alpha1, sizeof(g1_affine)) ||
        take_point(rd, &pk->beta1, sizeof(g1_affine)) ||
        take_point(rd, &pk->delta1, sizeof(g1_affine)) ||
        take_point(rd, &pk->beta2, sizeof(g2_affine)) ||
        take_point(rd, &pk->delta2, sizeof(g2_affine)) ||
        !(pk->a_query = take(rd, nv * sizeof(g1_affine))) ||
        !(pk->b1_query = take(rd, nv * sizeof(g1_affine))) ||
        !(pk->b2_query = take(rd, nv * sizeof(g2_affine))) ||
        !(pk->c_query = take(rd, nc * sizeof(g1_affine))) ||
        !(pk->h_query = take(rd, nh * sizeof(g1_affine))))
        return zkml_fail(err, ZKML_EINVAL, "%s: truncated", rd->path);
    if (!g1_points_ok(&pk->alpha1, 1) || !g1_points_ok(&pk->beta1, 1) ||
        !g1_points_ok(&pk->delta1, 1) || !g2_points_ok(&pk->beta2, 1) ||
        !g2_points_ok(&pk->delta2, 1) || !g1_section_ok(pk, pk->a_query, nv) ||
        !g1_section_ok(pk, pk->b1_query, nv) || !g2_section_ok(pk, pk->b2_query, nv) ||
        !g1_section_ok(pk, pk->c_query, nc) || !g1_section_ok(pk, pk->h_query, nh))
        return zkml_fail(err, ZKML_EINVAL, "%s: a point coordinate is out of range", rd->path);
    return 0;
}

static int read_body(pk_reader *rd, groth16_pk *pk, zkml_error *err)
{
    const uint32_t *v = take(rd, 16);
    if (!v)
        return zkml_fail(err, ZKML_EINVAL, "%s: truncated", rd->path);
    pk->n_vars = v[0];
    pk->n_public = v[1];
    pk->n_constraints = v[2];
    pk->log_n = v[3];
    uint32_t want_log;
    if (pk->n_vars < (uint64_t)pk->n_public + 1 ||
        groth16_domain_log(pk->n_constraints, pk->n_public, &want_log, err) ||
        want_log != pk->log_n)
        return zkml_fail(err, ZKML_EINVAL, "%s: inconsistent sizes in the header", rd->path);
    /* The sizes must add up to the body length before anything is indexed. */
    uint64_t nv = pk->n_vars,
             need = 16 + (rd->version == PK_VERSION ? 8 + sizeof(fr_t) : 0) +
                    3 * (8 + 8 * ((uint64_t)pk->n_constraints + 1)) +
                    (3 * sizeof(g1_affine) + 2 * sizeof(g2_affine)) +
                    nv * (2 * sizeof(g1_affine) + sizeof(g2_affine)) +
                    (nv - pk->n_public - 1 + ((uint64_t)1 << pk->log_n)) * sizeof(g1_affine);
    if (need > rd->len)
        return zkml_fail(err, ZKML_EINVAL, "%s: the body is %llu bytes, its sizes need %llu",
                         rd->path, (unsigned long long)rd->len, (unsigned long long)need);
    if (read_matrices(rd, pk, err))
        return err->code;
    return read_points(rd, pk, err);
}

/* Maps the file and checks its header; the body follows at PK_HEADER_BYTES. */
static int map_key(groth16_pk *pk, const char *path, uint64_t *body, uint64_t *checksum,
                   uint32_t *version, zkml_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return zkml_fail(err, errno == ENOENT ? ZKML_ENOTFOUND : ZKML_EIO, "%s: %s", path,
                         strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = zkml_fail(err, ZKML_EIO, "%s: %s", path, strerror(errno));
    else if (st.st_size < PK_HEADER_BYTES)
        rc = zkml_fail(err, ZKML_EINVAL, "%s: not a zkml-registry proving key (too short)", path);
    if (rc) {
        close(fd);
        return rc;
    }
    /* Not populated: the file is read ahead into the page cache (WILLNEED)
     * and this process maps a part only while it reads it (pk_read drops
     * each part once checked, the prover once used: groth16_pk_release), so
     * the key never needs to be resident whole. Made writable after mapping:
     * a page would be copied only when somebody writes to it. */
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map != MAP_FAILED && mprotect(map, (size_t)st.st_size, PROT_READ | PROT_WRITE) != 0) {
        e = errno;
        munmap(map, (size_t)st.st_size);
        map = MAP_FAILED;
    }
    if (map == MAP_FAILED)
        return zkml_fail(err, e == ENOMEM ? ZKML_ENOMEM : ZKML_EIO, "%s: cannot map: %s", path,
                         strerror(e));
    pk->mapping = map;
    pk->mapping_len = (size_t)st.st_size;
    madvise(map, pk->mapping_len, MADV_WILLNEED); /* advice: a failure costs time only */
    const uint8_t *h = map;
    uint32_t v[4];
    memcpy(v, h + 8, 16);
    memcpy(body, h + 24, 8);
    memcpy(checksum, h + 32, 8);
    if (memcmp(h, PK_MAGIC, 8) != 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: not a zkml-registry proving key (wrong magic)",
                         path);
    *version = v[0];
    if ((v[0] != PK_VERSION && v[0] != PK_VERSION_TERMS) || v[1] != sizeof(g1_affine) ||
        v[2] != sizeof(g2_affine))
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: proving key version %u is not supported by this "
                         "build (expected %u); run setup again",
                         path, v[0], PK_VERSION);
    if (*body != (uint64_t)st.st_size - PK_HEADER_BYTES)
        return zkml_fail(err, ZKML_EINVAL, "%s: length does not match its header (corrupt file)",
                         path);
    return 0;
}

int pk_read(groth16_pk *pk, const char *path, zkml_error *err)
{
    memset(pk, 0, sizeof *pk);
    uint64_t body = 0, checksum = 0;
    uint32_t version = 0;
    int rc = map_key(pk, path, &body, &checksum, &version, err);
    if (!rc) {
        pk_hash hash;
        hash_init(&hash);
        const uint8_t *b = (const uint8_t *)pk->mapping + PK_HEADER_BYTES;
        for (uint64_t off = 0; off < body; off += PK_HASH_CHUNK) {
            size_t n = body - off < PK_HASH_CHUNK ? (size_t)(body - off) : PK_HASH_CHUNK;
            hash_words(&hash, b + off, n);
            groth16_pk_release(pk, b + off, n);
        }
        if (hash_final(&hash) != checksum)
            rc = zkml_fail(err, ZKML_EINVAL, "%s: checksum mismatch (corrupt file)", path);
    }
    if (!rc) {
        pk_reader rd = {.body = (const uint8_t *)pk->mapping + PK_HEADER_BYTES,
                        .len = body,
                        .path = path,
                        .version = version};
        rc = read_body(&rd, pk, err);
        if (!rc && rd.pos != body)
            rc = zkml_fail(err, ZKML_EINVAL,
                           "%s: length does not match its header (corrupt "
                           "file)",
                           path);
    }
    if (rc)
        groth16_pk_free(pk);
    return rc;
}

void groth16_pk_release(const groth16_pk *pk, const void *p, size_t len)
{
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t map = (uintptr_t)pk->mapping, lo = (uintptr_t)p, hi = lo + len;
    if (!pk->mapping || page <= 0 || lo < map || hi > map + pk->mapping_len)
        return;
    lo = (lo + (uintptr_t)page - 1) & ~((uintptr_t)page - 1); /* pages shared with a */
    hi &= ~((uintptr_t)page - 1);                             /* neighbour are kept */
    if (lo < hi)
        madvise((void *)lo, hi - lo, MADV_DONTNEED); /* advice: a failure costs memory only */
}

/* Whether p lies in pk's mapping (else it was malloc'ed). */
static int in_mapping(const groth16_pk *pk, const void *p)
{
    const uint8_t *map = pk->mapping;
    return map && (const uint8_t *)p >= map && (const uint8_t *)p < map + pk->mapping_len;
}

void groth16_pk_free(groth16_pk *pk)
{
    if (pk->mapping) { /* a version 2 key's table and indices were made at loading */
        for (int i = 0; i < 3; i++)
            if (!in_mapping(pk, pk->m[i].coeff_at))
                free(pk->m[i].coeff_at);
        if (!in_mapping(pk, pk->coeffs.v))
            free(pk->coeffs.v);
        munmap(pk->mapping, pk->mapping_len);
    } else {
        for (int i = 0; i < 3; i++) {
            free(pk->m[i].start);
            free(pk->m[i].wire);
            free(pk->m[i].coeff_at);
        }
        free(pk->coeffs.v);
        free(pk->a_query);
        free(pk->b1_query);
        free(pk->b2_query);
        free(pk->c_query);
        free(pk->h_query);
    }
    memset(pk, 0, sizeof *pk);
}

int groth16_pk_open(const char *path, groth16_pk **out, zkml_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", path);
    int rc = pk_read(*out, path, err);
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

void groth16_pk_close(groth16_pk *pk)
{
    if (!pk)
        return;
    groth16_pk_free(pk);
    free(pk);
}
