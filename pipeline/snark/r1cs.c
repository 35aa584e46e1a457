/*
 * r1cs.c - the R1CS builder and the iden3 .r1cs reader and writer.
 *
 * A constraint is A*B - C = 0 over Fr, each side a linear combination of
 * wires; wire 0 is the constant one, then outputs, public inputs, private
 * inputs and internal wires (iden3 order). Coefficients are kept in Montgomery
 * form in memory and written in normal form. The reader accepts any
 * snarkjs/circom file (sections in any order, unknown sections ignored) and
 * refuses what Groth16 cannot use (another prime, custom gates) or what is
 * inconsistent (wires out of range, coefficients >= r, truncation).
 */
#include "pipeline/snark/binfile.h"
#include "pipeline/snark/hugemem.h"
#include "pipeline/snark/r1cs_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum {
    R1CS_SEC_HEADER = 1,
    R1CS_SEC_CONSTRAINTS = 2,
    R1CS_SEC_LABELS = 3,
    R1CS_SEC_GATES = 4,
    R1CS_SEC_GATE_USES = 5
};

void r1cs_init(r1cs *cs)
{
    memset(cs, 0, sizeof *cs);
    cs->n_wires = 1;
}

void r1cs_lc_free(r1cs_lc *lc)
{
    free(lc->terms);
    memset(lc, 0, sizeof *lc);
}

/* A block of the pool: terms[0 .. used) are handed out, newest block first. */
struct r1cs_pool {
    r1cs_pool *prev;
    size_t used, cap;
    r1cs_term terms[];
};

/* Blocks double from 64 KiB (a small circuit stays small: the evaluate
 * step sizes its rows by memory) to 32 MiB; from 2 MiB, a huge page
 * (x86-64, arm64 with 4 KiB pages), they are aligned to huge pages. */
enum { POOL_FIRST = 64u << 10, POOL_HUGE = 2u << 20, POOL_LAST = 32u << 20 };

/* n consecutive terms of cs's pool, or NULL when out of memory. */
static r1cs_term *pool_take(r1cs *cs, size_t n)
{
    r1cs_pool *p = cs->pool;
    if (!p || p->cap - p->used < n) {
        size_t bytes = p ? 2 * (sizeof *p + p->cap * sizeof *p->terms) : POOL_FIRST;
        bytes = bytes > POOL_LAST ? POOL_LAST : bytes;
        if (bytes < sizeof *p + n * sizeof *p->terms)
            bytes = sizeof *p + n * sizeof *p->terms;
        bytes = (bytes + POOL_FIRST - 1) / POOL_FIRST * POOL_FIRST;
        void *mem;
        if (posix_memalign(&mem, bytes >= POOL_HUGE ? POOL_HUGE : 64, bytes))
            return NULL;
#ifdef MADV_HUGEPAGE
        if (bytes >= POOL_HUGE) /* advice: a failure costs page faults only */
            madvise(mem, bytes, MADV_HUGEPAGE);
#endif
        p = mem;
        p->prev = cs->pool;
        p->used = 0;
        p->cap = (bytes - sizeof *p) / sizeof *p->terms;
        cs->pool = p;
    }
    p->used += n;
    return p->terms + p->used - n;
}

static void stream_abort(r1cs *cs);

void r1cs_free(r1cs *cs)
{
    stream_abort(cs);
    /* the pool owns the terms of every combination with cap 0; a streamed
     * system has counts only */
    for (uint32_t i = 0; cs->constraints && i < cs->n_constraints; i++) {
        r1cs_constraint *k = &cs->constraints[i];
        if (k->a.cap)
            r1cs_lc_free(&k->a);
        if (k->b.cap)
            r1cs_lc_free(&k->b);
        if (k->c.cap)
            r1cs_lc_free(&k->c);
    }
    while (cs->pool) {
        r1cs_pool *prev = cs->pool->prev;
        free(cs->pool);
        cs->pool = prev;
    }
    free(cs->constraints);
    r1cs_init(cs);
}

int r1cs_lc_reserve(r1cs_lc *lc, uint32_t need, zkml_error *err)
{
    if (need <= lc->cap)
        return 0;
    if (need > UINT32_MAX / 2)
        return zkml_fail(err, ZKML_ENOMEM, "linear combination too long");
    r1cs_term *t = realloc(lc->terms, (size_t)need * sizeof *t);
    if (!t)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory growing a linear combination");
    lc->terms = t;
    lc->cap = need;
    return 0;
}

/* Room for one more term, doubling (amortised growth of a combination built
 * term by term). */
static int lc_grow(r1cs_lc *lc, zkml_error *err)
{
    if (lc->n < lc->cap)
        return 0;
    /* n + 1 <= 2^31, so the grown capacity (at most 2 * (n + 1)) fits in 32 bits. */
    if (lc->n >= UINT32_MAX / 2)
        return zkml_fail(err, ZKML_ENOMEM, "linear combination too long");
    size_t cap = lc->cap;
    if (zkml_array_grow((void **)&lc->terms, &cap, (size_t)lc->n + 1, sizeof *lc->terms))
        return zkml_fail(err, ZKML_ENOMEM, "out of memory growing a linear combination");
    lc->cap = (uint32_t)cap;
    return 0;
}

/* Index of the first term whose wire is >= wire. */
static uint32_t lc_lower_bound(const r1cs_lc *lc, uint32_t wire)
{
    uint32_t lo = 0, hi = lc->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (lc->terms[mid].wire < wire)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int r1cs_lc_add_term(r1cs_lc *lc, uint32_t wire, const fr_t *coeff, zkml_error *err)
{
    uint32_t at = lc->n && lc->terms[lc->n - 1].wire < wire ? lc->n : lc_lower_bound(lc, wire);
    if (at < lc->n && lc->terms[at].wire == wire) {
        fr_add(&lc->terms[at].coeff, &lc->terms[at].coeff, coeff);
        if (fr_is_zero(&lc->terms[at].coeff)) {
            memmove(&lc->terms[at], &lc->terms[at + 1], (lc->n - at - 1) * sizeof *lc->terms);
            lc->n--;
        }
        return 0;
    }
    if (fr_is_zero(coeff))
        return 0;
    if (lc_grow(lc, err))
        return err ? err->code : ZKML_ENOMEM;
    memmove(&lc->terms[at + 1], &lc->terms[at], (lc->n - at) * sizeof *lc->terms);
    lc->terms[at].wire = wire;
    lc->terms[at].coeff = *coeff;
    lc->n++;
    return 0;
}

int r1cs_lc_axpy(r1cs_lc *dst, const fr_t *k, const r1cs_lc *src, zkml_error *err)
{
    if (src->n == 0)
        return 0;
    if ((uint64_t)dst->n + src->n > UINT32_MAX / 2)
        return zkml_fail(err, ZKML_ENOMEM, "linear combination too long");
    uint32_t cap = dst->n + src->n, i = 0, j = 0, n = 0;
    r1cs_term *out = malloc((size_t)cap * sizeof *out);
    if (!out)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory growing a linear combination");
    while (j < src->n) {
        if (i < dst->n && dst->terms[i].wire < src->terms[j].wire) {
            out[n++] = dst->terms[i++];
            continue;
        }
        uint32_t wire = src->terms[j].wire;
        fr_t t;
        fr_mul(&t, k, &src->terms[j++].coeff);
        if (i < dst->n && dst->terms[i].wire == wire)
            fr_add(&t, &t, &dst->terms[i++].coeff);
        if (!fr_is_zero(&t)) {
            out[n].wire = wire;
            out[n++].coeff = t;
        }
    }
    while (i < dst->n)
        out[n++] = dst->terms[i++];
    free(dst->terms);
    dst->terms = out;
    dst->n = n;
    dst->cap = cap;
    return 0;
}

/* lc's terms copied to dst (in the pool), its buffer freed: a pool combination. */
static void move_to_pool(r1cs_lc *dst, r1cs_lc *lc, r1cs_term *at)
{
    if (lc->n)
        memcpy(at, lc->terms, lc->n * sizeof *at);
    dst->terms = lc->n ? at : NULL;
    dst->n = lc->n;
    dst->cap = 0;
    r1cs_lc_free(lc);
}

static int stream_constraint(r1cs *cs, r1cs_lc *a, r1cs_lc *b, r1cs_lc *c, zkml_error *err);

int r1cs_add_constraint(r1cs *cs, r1cs_lc *a, r1cs_lc *b, r1cs_lc *c, zkml_error *err)
{
    if (cs->stream)
        return stream_constraint(cs, a, b, c, err);
    r1cs_term *at = NULL;
    if (cs->n_constraints == cs->cap_constraints) {
        /* The count is 32-bit: stop below 2^31 so the doubled capacity still fits. */
        size_t cap = cs->cap_constraints;
        if (cs->n_constraints >= UINT32_MAX / 2 ||
            zkml_array_grow((void **)&cs->constraints, &cap, (size_t)cs->n_constraints + 1,
                            sizeof *cs->constraints))
            goto oom;
        cs->cap_constraints = (uint32_t)cap;
    }
    if (!(at = pool_take(cs, (size_t)a->n + b->n + c->n)))
        goto oom;
    r1cs_constraint *k = &cs->constraints[cs->n_constraints++];
    move_to_pool(&k->a, a, at);
    move_to_pool(&k->b, b, at + k->a.n);
    move_to_pool(&k->c, c, at + k->a.n + k->b.n);
    return 0;
oom:
    r1cs_lc_free(a);
    r1cs_lc_free(b);
    r1cs_lc_free(c);
    return zkml_fail(err, ZKML_ENOMEM, "out of memory adding constraint %u", cs->n_constraints);
}

void r1cs_lc_eval(fr_t *out, const r1cs_lc *lc, const fr_t *w)
{
    fr_t acc, t;
    fr_zero(&acc);
    for (uint32_t i = 0; i < lc->n; i++) {
        fr_mul(&t, &lc->terms[i].coeff, &w[lc->terms[i].wire]);
        fr_add(&acc, &acc, &t);
    }
    *out = acc;
}

int r1cs_check_witness(const r1cs *cs, const fr_t *w, size_t n, zkml_error *err)
{
    fr_t one, a, b, c;
    fr_one(&one);
    if (!cs->constraints && cs->n_constraints)
        return zkml_fail(err, ZKML_EINVAL,
                         "the system's constraints are not in memory "
                         "(streamed to a file, or its header read alone)");
    if (n != cs->n_wires)
        return zkml_fail(err, ZKML_EREJECTED, "witness has %zu values, the circuit has %u wires", n,
                         cs->n_wires);
    if (!fr_eq(&w[0], &one))
        return zkml_fail(err, ZKML_EREJECTED, "witness value 0 (the constant one) is not 1");
    for (uint32_t i = 0; i < cs->n_constraints; i++) {
        const r1cs_constraint *k = &cs->constraints[i];
        r1cs_lc_eval(&a, &k->a, w);
        r1cs_lc_eval(&b, &k->b, w);
        r1cs_lc_eval(&c, &k->c, w);
        fr_mul(&a, &a, &b);
        if (!fr_eq(&a, &c))
            return zkml_fail(err, ZKML_EREJECTED,
                             "witness does not satisfy constraint %u (0-based) of %u: A*B != C", i,
                             cs->n_constraints);
    }
    return 0;
}

/* ---- writing ---------------------------------------------------------------- */

static int check_wires(const r1cs *cs, const r1cs_lc *lc, uint32_t k, zkml_error *err)
{
    for (uint32_t i = 0; i < lc->n; i++)
        if (lc->terms[i].wire >= cs->n_wires)
            return zkml_fail(err, ZKML_EINVAL,
                             "constraint %u uses wire %u but the circuit "
                             "has %u wires",
                             k, lc->terms[i].wire, cs->n_wires);
    return 0;
}

/* Normal forms of recently written coefficients, direct-mapped by their
 * Montgomery limbs: a system's coefficients repeat (+-2^i of bit sums, a
 * layer's few hundred distinct weights), and the conversion out of
 * Montgomery form was a tenth of a CNN's compile. */
enum { COEFF_CACHE_LOG2 = 10, COEFF_CACHE = 1 << COEFF_CACHE_LOG2 };
typedef struct coeff_cache {
    fr_t key[COEFF_CACHE];
    uint8_t bytes[COEFF_CACHE][32];
} coeff_cache;

/* cc starts zeroed: an empty slot holds 0 and its normal form, also right. */
static void coeff_le(coeff_cache *cc, uint8_t out[32], const fr_t *c)
{
    uint64_t h = (c->v[0] ^ c->v[1] ^ c->v[2] ^ c->v[3]) * 0x9E3779B97F4A7C15u;
    size_t slot = (size_t)(h >> (64 - COEFF_CACHE_LOG2));
    if (!fr_eq(&cc->key[slot], c)) {
        cc->key[slot] = *c;
        fr_to_bytes_le(cc->bytes[slot], c);
    }
    memcpy(out, cc->bytes[slot], 32);
}

/* Terms go out 64 at a time: one fwrite per term and field cost more than
 * building the whole system (a CNN's file is tens of MB). */
static void write_lc(bwriter *w, coeff_cache *cc, const r1cs_lc *lc)
{
    uint8_t b[64 * 36];
    bw_u32(w, lc->n);
    for (uint32_t i = 0; i < lc->n;) {
        size_t used = 0;
        for (; i < lc->n && used < sizeof b; i++, used += 36) {
            uint32_t v = lc->terms[i].wire;
            uint8_t *p = b + used;
            p[0] = (uint8_t)v;
            p[1] = (uint8_t)(v >> 8);
            p[2] = (uint8_t)(v >> 16);
            p[3] = (uint8_t)(v >> 24);
            coeff_le(cc, p + 4, &lc->terms[i].coeff);
        }
        bw_bytes(w, b, used);
    }
}

/* Little-endian v in n bytes at p; returns p + n. */
static uint8_t *put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        *p++ = (uint8_t)(v >> 8 * i);
    return p;
}

enum { HEAD_BYTES = 12 + 12 + 64 + 12 };

/* The file's bytes before the first constraint: the container header, the
 * header section, and the constraints section's type and size (body). */
static void head_bytes(uint8_t h[HEAD_BYTES], const r1cs *cs, uint64_t body)
{
    memcpy(h, "r1cs", 4);
    uint8_t *p = put_le(h + 4, 1, 4); /* version */
    p = put_le(p, 3, 4);              /* sections */
    p = put_le(p, R1CS_SEC_HEADER, 4);
    p = put_le(p, 64, 8);
    p = put_le(p, 32, 4);
    memcpy(p, BN254_R_LE, 32);
    p = put_le(p + 32, cs->n_wires, 4);
    p = put_le(p, cs->n_pub_out, 4);
    p = put_le(p, cs->n_pub_in, 4);
    p = put_le(p, cs->n_prv_in, 4);
    p = put_le(p, cs->n_wires, 8); /* labels: one per wire */
    p = put_le(p, cs->n_constraints, 4);
    p = put_le(p, R1CS_SEC_CONSTRAINTS, 4);
    put_le(p, body, 8);
}

static int check_counts(const r1cs *cs, const char *path, zkml_error *err)
{
    if (cs->n_wires < 1 + (uint64_t)cs->n_pub_out + cs->n_pub_in + cs->n_prv_in)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: %u wires cannot hold %u outputs, %u public and "
                         "%u private inputs",
                         path, cs->n_wires, cs->n_pub_out, cs->n_pub_in, cs->n_prv_in);
    return 0;
}

/* The bytes of one constraint's three combinations. */
static uint64_t constraint_bytes(const r1cs_lc *a, const r1cs_lc *b, const r1cs_lc *c)
{
    return 12 + 36 * ((uint64_t)a->n + b->n + c->n);
}

static void write_labels(bwriter *w, const r1cs *cs)
{
    bw_u32(w, R1CS_SEC_LABELS);
    bw_u64(w, 8 * (uint64_t)cs->n_wires);
    for (uint32_t i = 0; i < cs->n_wires; i++)
        bw_u64(w, i);
}

int r1cs_write(const r1cs *cs, const char *path, zkml_error *err)
{
    uint64_t body = 0;
    if (!cs->constraints && cs->n_constraints)
        return zkml_fail(err, ZKML_EINVAL, "%s: the system's constraints are not in memory", path);
    if (check_counts(cs, path, err))
        return err->code;
    for (uint32_t k = 0; k < cs->n_constraints; k++) {
        const r1cs_constraint *c = &cs->constraints[k];
        if (check_wires(cs, &c->a, k, err) || check_wires(cs, &c->b, k, err) ||
            check_wires(cs, &c->c, k, err))
            return zkml_error_prefix(err, "%s", path);
        body += constraint_bytes(&c->a, &c->b, &c->c);
    }
    bwriter w;
    coeff_cache *cc = calloc(1, sizeof *cc);
    if (!cc)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", path);
    if (bw_open(&w, path, err)) {
        free(cc);
        return err ? err->code : ZKML_EIO;
    }
    uint8_t h[HEAD_BYTES];
    head_bytes(h, cs, body);
    bw_bytes(&w, h, sizeof h);
    for (uint32_t k = 0; k < cs->n_constraints; k++) {
        write_lc(&w, cc, &cs->constraints[k].a);
        write_lc(&w, cc, &cs->constraints[k].b);
        write_lc(&w, cc, &cs->constraints[k].c);
    }
    free(cc);
    write_labels(&w, cs);
    return bw_commit(&w, err);
}

/* ---- streaming -------------------------------------------------------------- */

struct r1cs_stream {
    int to_file; /* else the constraints are dropped */
    bwriter w;
    coeff_cache cc;
    uint64_t body; /* the constraints' bytes so far */
    char path[];
};

int r1cs_stream_to(r1cs *cs, const char *path, zkml_error *err)
{
    const char *name = path ? path : "(constraints dropped)";
    if (cs->stream || cs->n_constraints)
        return zkml_fail(err, ZKML_EINVAL, "%s: a system streams from its first constraint", name);
    size_t len = strlen(name);
    r1cs_stream *s = calloc(1, sizeof *s + len + 1);
    if (!s)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", name);
    memcpy(s->path, name, len + 1);
    s->to_file = path != NULL;
    if (s->to_file && bw_open(&s->w, s->path, err)) {
        free(s);
        return err->code;
    }
    uint8_t h[HEAD_BYTES];
    head_bytes(h, cs, 0); /* the counts are patched in by r1cs_stream_commit */
    if (s->to_file)
        bw_bytes(&s->w, h, sizeof h);
    cs->stream = s;
    return 0;
}

static void stream_abort(r1cs *cs)
{
    if (!cs->stream)
        return;
    if (cs->stream->to_file)
        bw_abort(&cs->stream->w);
    free(cs->stream);
    cs->stream = NULL;
}

/* A write that failed stops the build at once (a full disk would otherwise
 * be reported after the whole compile). */
static int stream_constraint(r1cs *cs, r1cs_lc *a, r1cs_lc *b, r1cs_lc *c, zkml_error *err)
{
    r1cs_stream *s = cs->stream;
    uint32_t k = cs->n_constraints;
    int rc = 0;
    if (k >= UINT32_MAX / 2)
        rc = zkml_fail(err, ZKML_ENOMEM, "%s: more than %u constraints", s->path, k);
    else if (s->w.failed)
        rc = zkml_fail(err, ZKML_EIO, "writing %s: %s", s->path, strerror(s->w.failed));
    else if (check_wires(cs, a, k, err) || check_wires(cs, b, k, err) || check_wires(cs, c, k, err))
        rc = zkml_error_prefix(err, "%s", s->path);
    if (!rc && s->to_file) {
        write_lc(&s->w, &s->cc, a);
        write_lc(&s->w, &s->cc, b);
        write_lc(&s->w, &s->cc, c);
        s->body += constraint_bytes(a, b, c);
    }
    if (!rc)
        cs->n_constraints++;
    r1cs_lc_free(a);
    r1cs_lc_free(b);
    r1cs_lc_free(c);
    return rc;
}

int r1cs_stream_commit(r1cs *cs, zkml_error *err)
{
    r1cs_stream *s = cs->stream;
    if (!s)
        return zkml_fail(err, ZKML_EINVAL, "r1cs_stream_commit: the system is not streaming");
    int to_file = s->to_file;
    if (!to_file || check_counts(cs, s->path, err)) {
        stream_abort(cs);
        return to_file ? err->code : 0;
    }
    uint8_t h[HEAD_BYTES];
    write_labels(&s->w, cs);
    head_bytes(h, cs, s->body);
    bw_patch(&s->w, 0, h, sizeof h);
    int rc = bw_commit(&s->w, err);
    free(s);
    cs->stream = NULL;
    return rc;
}

/* ---- reading ---------------------------------------------------------------- */

/* Montgomery forms of recently read coefficients, direct-mapped by their
 * bytes (coeff_cache's converse): converting each of a CIFAR CNN's 3.9M
 * coefficients (a byte loop and a Montgomery product) was four fifths of
 * reading its 142 MB circuit. memo starts zeroed: an empty slot holds the
 * bytes of 0 and its Montgomery form, also right. Reading into rows, a slot
 * also keeps the value's index in dict (once has_at is set), so that most
 * terms skip the table's own lookup. */
typedef struct read_memo {
    uint8_t bytes[COEFF_CACHE][32];
    fr_t value[COEFF_CACHE];
    uint32_t at[COEFF_CACHE];
    uint8_t has_at[COEFF_CACHE];
    coeff_dict *dict; /* NULL: values only (r1cs_parse) */
} read_memo;

/* out = the coefficient whose little-endian bytes are v, and with a dict
 * *at its index there; -1 if v >= r, -2 when out of memory. */
static int read_coeff(read_memo *memo, fr_t *out, uint32_t *at, const uint8_t v[32])
{
    uint64_t w[4];
    memcpy(w, v, 32);
    size_t slot =
        (size_t)((w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9E3779B97F4A7C15u >> (64 - COEFF_CACHE_LOG2));
    if (memcmp(memo->bytes[slot], v, 32) != 0) {
        fr_t f;
        if (fr_from_bytes_le(&f, v))
            return -1;
        memcpy(memo->bytes[slot], v, 32);
        memo->value[slot] = f;
        memo->has_at[slot] = 0;
    }
    *out = memo->value[slot];
    if (memo->dict && !memo->has_at[slot]) {
        if (coeff_dict_add(memo->dict, out, &memo->at[slot]))
            return -2;
        memo->has_at[slot] = 1;
    }
    if (at)
        *at = memo->at[slot];
    return 0;
}

/* A combination's term count, checked against what the section has left. */
static int read_count(bcur *c, uint32_t *n, uint32_t k, char side, const char *name,
                      zkml_error *err)
{
    if (bcur_u32(c, n))
        return zkml_fail(err, ZKML_EINVAL, "%s: constraint %u: truncated before %c", name, k, side);
    if (*n > c->left / 36)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: constraint %u: %c has %u terms, more than the "
                         "section holds (truncated file)",
                         name, k, side, *n);
    return 0;
}

/* One term (read_count made sure it is there): its wire below n_wires, its
 * coefficient below r (and its index, at not NULL: see read_memo). */
static int read_term(bcur *c, read_memo *memo, uint32_t n_wires, uint32_t *wire, fr_t *coeff,
                     uint32_t *at, uint32_t k, char side, const char *name, zkml_error *err)
{
    int rc;
    const uint8_t *v;
    bcur_u32(c, wire);
    bcur_bytes(c, &v, 32);
    if (*wire >= n_wires)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: constraint %u: %c uses wire %u but there "
                         "are %u wires",
                         name, k, side, *wire, n_wires);
    if ((rc = read_coeff(memo, coeff, at, v)) == -1)
        return zkml_fail(err, ZKML_EINVAL, "%s: constraint %u: %c has a coefficient >= r", name, k,
                         side);
    if (rc)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for the coefficients", name);
    return 0;
}

static int read_lc(r1cs_lc *lc, bcur *c, r1cs *cs, read_memo *memo, uint32_t k, char side,
                   const char *name, zkml_error *err)
{
    uint32_t n;
    if (read_count(c, &n, k, side, name, err))
        return err ? err->code : ZKML_EINVAL;
    memset(lc, 0, sizeof *lc); /* cap 0: a pool combination */
    if (n == 0)
        return 0;
    lc->terms = pool_take(cs, n);
    if (!lc->terms)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory at constraint %u", name, k);
    for (uint32_t i = 0; i < n; i++) {
        r1cs_term *t = &lc->terms[i];
        if (read_term(c, memo, cs->n_wires, &t->wire, &t->coeff, NULL, k, side, name, err))
            return err ? err->code : ZKML_EINVAL;
        lc->n = i + 1;
    }
    return 0;
}

static int parse_header(r1cs *cs, const binfile *bf, uint32_t *n_constraints, zkml_error *err)
{
    bcur c;
    uint32_t fs;
    const uint8_t *prime;
    uint64_t n_labels;
    if (binfile_section(bf, R1CS_SEC_HEADER, 1, &c, NULL, err))
        return err ? err->code : ZKML_EINVAL;
    if (bcur_u32(&c, &fs) || fs != 32 || bcur_bytes(&c, &prime, 32))
        return zkml_fail(err, ZKML_EINVAL, "%s: field size is not 32 bytes (not BN254)", bf->name);
    if (memcmp(prime, BN254_R_LE, 32) != 0)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: the prime is not the BN254 (bn128) scalar "
                         "field",
                         bf->name);
    if (bcur_u32(&c, &cs->n_wires) || bcur_u32(&c, &cs->n_pub_out) || bcur_u32(&c, &cs->n_pub_in) ||
        bcur_u32(&c, &cs->n_prv_in) || bcur_u64(&c, &n_labels) || bcur_u32(&c, n_constraints))
        return zkml_fail(err, ZKML_EINVAL, "%s: header section truncated", bf->name);
    if (cs->n_wires < 1 + (uint64_t)cs->n_pub_out + cs->n_pub_in + cs->n_prv_in)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: %u wires cannot hold %u outputs, %u public and "
                         "%u private inputs",
                         bf->name, cs->n_wires, cs->n_pub_out, cs->n_pub_in, cs->n_prv_in);
    return 0;
}

/* The checks before the constraints (format, version, no custom gates, the
 * header's counts into cs); c then holds the constraints section, which has
 * room for n_constraints of them at least. */
static int open_system(r1cs *cs, const uint8_t *data, size_t len, const char *name, bcur *c,
                       uint32_t *n_constraints, zkml_error *err)
{
    binfile bf;
    int found;
    if (binfile_open(&bf, data, len, "r1cs", name, err))
        return err ? err->code : ZKML_EINVAL;
    if (bf.version != 1)
        return zkml_fail(err, ZKML_EINVAL, "%s: .r1cs version %u, only 1 is supported", name,
                         bf.version);
    if (binfile_section(&bf, R1CS_SEC_GATES, 0, c, &found, err))
        return err ? err->code : ZKML_EINVAL;
    if (found)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: uses custom gates (PLONK), which Groth16 "
                         "cannot prove",
                         name);
    if (parse_header(cs, &bf, n_constraints, err) ||
        binfile_section(&bf, R1CS_SEC_CONSTRAINTS, 1, c, NULL, err))
        return err ? err->code : ZKML_EINVAL;
    if (*n_constraints > c->left / 12)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: %u constraints do not fit in the constraints section "
                         "(truncated file)",
                         name, *n_constraints);
    return 0;
}

static int no_stray_bytes(const bcur *c, const char *name, zkml_error *err)
{
    if (c->left != 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: %zu stray bytes after the last constraint", name,
                         c->left);
    return 0;
}

int r1cs_parse(r1cs *cs, const uint8_t *data, size_t len, const char *name, zkml_error *err)
{
    bcur c;
    uint32_t n_constraints;
    read_memo *memo = NULL;
    r1cs_init(cs);
    if (open_system(cs, data, len, name, &c, &n_constraints, err))
        goto fail;
    cs->constraints = calloc(n_constraints ? n_constraints : 1, sizeof *cs->constraints);
    memo = calloc(1, sizeof *memo);
    if (!cs->constraints || !memo) {
        zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for %u constraints", name, n_constraints);
        goto fail;
    }
    cs->cap_constraints = n_constraints;
    for (uint32_t k = 0; k < n_constraints; k++) {
        r1cs_constraint *con = &cs->constraints[k];
        cs->n_constraints = k + 1;
        if (read_lc(&con->a, &c, cs, memo, k, 'A', name, err) ||
            read_lc(&con->b, &c, cs, memo, k, 'B', name, err) ||
            read_lc(&con->c, &c, cs, memo, k, 'C', name, err))
            goto fail;
    }
    if (no_stray_bytes(&c, name, err))
        goto fail;
    free(memo);
    return 0;
fail:
    free(memo);
    r1cs_free(cs);
    return err ? err->code : ZKML_EINVAL;
}

/* Pass 1 of r1cs_read_rows: each matrix's term count, the section checked
 * for truncation on the way (c is a copy: the terms are read in pass 2). */
static int count_terms(bcur c, uint32_t n_constraints, uint64_t total[3], const char *name,
                       zkml_error *err)
{
    total[0] = total[1] = total[2] = 0;
    for (uint32_t k = 0; k < n_constraints; k++)
        for (int m = 0; m < 3; m++) {
            uint32_t n;
            const uint8_t *skip;
            if (read_count(&c, &n, k, "ABC"[m], name, err))
                return err ? err->code : ZKML_EINVAL;
            bcur_bytes(&c, &skip, (size_t)n * 36);
            total[m] += n;
        }
    return no_stray_bytes(&c, name, err);
}

static int alloc_rows(pk_matrix rows[3], uint32_t n_constraints, const uint64_t total[3])
{
    for (int m = 0; m < 3; m++) {
        rows[m].start = huge_malloc(((size_t)n_constraints + 1) * sizeof *rows[m].start);
        rows[m].wire = huge_malloc((total[m] ? total[m] : 1) * sizeof *rows[m].wire);
        rows[m].coeff_at = huge_malloc((total[m] ? total[m] : 1) * sizeof *rows[m].coeff_at);
        if (!rows[m].start || !rows[m].wire || !rows[m].coeff_at)
            return -1;
    }
    return 0;
}

/* Pass 2: the terms into the rows, each coefficient's index from memo's dict. */
static int fill_rows(bcur *c, const r1cs *cs, uint32_t n_constraints, pk_matrix rows[3],
                     read_memo *memo, const char *name, zkml_error *err)
{
    uint64_t at[3] = {0, 0, 0};
    for (uint32_t k = 0; k < n_constraints; k++)
        for (int m = 0; m < 3; m++) {
            uint32_t n;
            fr_t coeff;
            rows[m].start[k] = at[m];
            read_count(c, &n, k, "ABC"[m], name, err); /* checked by count_terms */
            for (uint32_t i = 0; i < n; i++, at[m]++)
                if (read_term(c, memo, cs->n_wires, &rows[m].wire[at[m]], &coeff,
                              &rows[m].coeff_at[at[m]], k, "ABC"[m], name, err))
                    return err ? err->code : ZKML_EINVAL;
        }
    for (int m = 0; m < 3; m++)
        rows[m].start[n_constraints] = at[m];
    return 0;
}

/* Frees the rows and the table (after a failure). */
static void free_rows(pk_matrix rows[3], coeff_dict *dict)
{
    for (int m = 0; m < 3; m++) {
        free(rows[m].start);
        free(rows[m].wire);
        free(rows[m].coeff_at);
        memset(&rows[m], 0, sizeof rows[m]);
    }
    coeff_dict_free(dict);
}

int r1cs_to_rows(const r1cs *cs, pk_matrix rows[3], coeff_table *coeffs, zkml_error *err)
{
    uint64_t total[3] = {0, 0, 0}, at[3] = {0, 0, 0};
    coeff_dict dict;
    memset(rows, 0, 3 * sizeof *rows);
    for (uint32_t k = 0; k < cs->n_constraints; k++) {
        total[0] += cs->constraints[k].a.n;
        total[1] += cs->constraints[k].b.n;
        total[2] += cs->constraints[k].c.n;
    }
    int rc = coeff_dict_init(&dict) || alloc_rows(rows, cs->n_constraints, total);
    for (uint32_t k = 0; !rc && k < cs->n_constraints; k++)
        for (int m = 0; !rc && m < 3; m++) {
            const r1cs_constraint *con = &cs->constraints[k];
            const r1cs_lc *lc = m == 0 ? &con->a : m == 1 ? &con->b : &con->c;
            rows[m].start[k] = at[m];
            for (uint32_t t = 0; !rc && t < lc->n; t++, at[m]++) {
                rows[m].wire[at[m]] = lc->terms[t].wire;
                rc = coeff_dict_add(&dict, &lc->terms[t].coeff, &rows[m].coeff_at[at[m]]);
            }
        }
    if (rc) {
        free_rows(rows, &dict);
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for the matrices");
    }
    for (int m = 0; m < 3; m++)
        rows[m].start[cs->n_constraints] = at[m];
    coeff_dict_finish(&dict, coeffs);
    return 0;
}

int r1cs_parse_rows(r1cs *cs, pk_matrix rows[3], coeff_table *coeffs, const uint8_t *data,
                    size_t len, const char *name, zkml_error *err)
{
    bcur c;
    uint32_t n_constraints;
    uint64_t total[3];
    read_memo *memo = NULL;
    coeff_dict dict;
    r1cs_init(cs);
    memset(rows, 0, 3 * sizeof *rows);
    memset(coeffs, 0, sizeof *coeffs);
    memset(&dict, 0, sizeof dict);
    int rc = open_system(cs, data, len, name, &c, &n_constraints, err);
    if (!rc)
        rc = count_terms(c, n_constraints, total, name, err);
    if (!rc && (!(memo = calloc(1, sizeof *memo)) || coeff_dict_init(&dict) ||
                alloc_rows(rows, n_constraints, total)))
        rc = zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for the matrices", name);
    if (!rc) {
        memo->dict = &dict;
        rc = fill_rows(&c, cs, n_constraints, rows, memo, name, err);
    }
    cs->n_constraints = rc ? 0 : n_constraints;
    if (rc)
        free_rows(rows, &dict);
    else
        coeff_dict_finish(&dict, coeffs);
    free(memo);
    return rc;
}

int r1cs_read_rows(r1cs *cs, pk_matrix rows[3], coeff_table *coeffs, const char *path,
                   zkml_error *err)
{
    void *map;
    size_t len;
    r1cs_init(cs);
    memset(rows, 0, 3 * sizeof *rows);
    memset(coeffs, 0, sizeof *coeffs);
    if (binfile_map(path, "r1cs", &map, &len, err))
        return err ? err->code : ZKML_EIO;
    int rc = r1cs_parse_rows(cs, rows, coeffs, map, len, path, err);
    binfile_unmap(map, len);
    return rc;
}

int r1cs_read_header(r1cs *cs, const char *path, zkml_error *err)
{
    void *map;
    size_t len;
    binfile bf;
    r1cs_init(cs);
    if (binfile_map(path, "r1cs", &map, &len, err))
        return err ? err->code : ZKML_EIO;
    int rc = binfile_open(&bf, map, len, "r1cs", path, err);
    if (!rc)
        rc = parse_header(cs, &bf, &cs->n_constraints, err);
    binfile_unmap(map, len);
    return rc;
}

/* The file is mapped, not read: read() copied it into fresh memory, whose
 * page faults were most of the read (CIFAR CNN, 142 MB: 0.43 of 0.85 s). */
int r1cs_read(r1cs *cs, const char *path, zkml_error *err)
{
    void *map;
    size_t len;
    r1cs_init(cs);
    if (binfile_map(path, "r1cs", &map, &len, err))
        return err ? err->code : ZKML_EIO;
    int rc = r1cs_parse(cs, map, len, path, err);
    binfile_unmap(map, len);
    return rc;
}
