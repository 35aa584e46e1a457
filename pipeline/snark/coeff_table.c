/*
 * coeff_table.c - the key's table of distinct coefficients (groth16.h):
 * coeff_dict gives each coefficient read its index, adding the new ones.
 * Linear probing over a power-of-two array of slots kept under half full.
 * The hash is keyed by a seed per table (the clock's nanoseconds and the
 * table's address, not getrandom: a setup's secrets come from that stream,
 * and tests replay it): an uploaded model chooses its weights, hence the
 * circuit's coefficients, and with a fixed hash could make them collide and
 * the probing quadratic. The table's order (first use) does not depend on
 * the seed.
 */
#include "pipeline/snark/groth16.h"
#include "pipeline/snark/field.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint32_t slot_of(const coeff_dict *d, const fr_t *c)
{
    uint64_t h = (c->v[0] ^ d->seed) * 0x9E3779B97F4A7C15u;
    h = (h ^ h >> 29 ^ c->v[1]) * 0xD6E8FEB86659FD93u;
    h = (h ^ h >> 31 ^ c->v[2]) * 0x9E3779B97F4A7C15u;
    h = (h ^ h >> 29 ^ c->v[3]) * 0xD6E8FEB86659FD93u;
    return (uint32_t)(h >> 32) & d->mask;
}

static void put_slot(coeff_dict *d, uint32_t index)
{
    uint32_t s = slot_of(d, &d->t.v[index]);
    while (d->slot[s])
        s = (s + 1) & d->mask;
    d->slot[s] = index + 1;
}

/* Twice the slots, every entry placed again. */
static int grow_slots(coeff_dict *d)
{
    uint32_t n = (d->mask + 1) * 2;
    uint32_t *slot = n ? calloc(n, sizeof *slot) : NULL;
    if (!slot)
        return -1;
    free(d->slot);
    d->slot = slot;
    d->mask = n - 1;
    for (uint32_t i = 0; i < d->t.n; i++)
        put_slot(d, i);
    return 0;
}

int coeff_dict_init(coeff_dict *d)
{
    memset(d, 0, sizeof *d);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    d->seed =
        (uint64_t)(uintptr_t)d ^ (uint64_t)now.tv_nsec * 0x9E3779B97F4A7C15u ^ (uint64_t)now.tv_sec;
    d->cap = 256;
    d->mask = 511;
    d->t.v = malloc(d->cap * sizeof *d->t.v);
    d->slot = calloc(d->mask + 1, sizeof *d->slot);
    if (!d->t.v || !d->slot) {
        coeff_dict_free(d);
        return -1;
    }
    fr_one(&d->t.v[0]);
    d->t.n = 1;
    put_slot(d, 0);
    return 0;
}

int coeff_dict_add(coeff_dict *d, const fr_t *c, uint32_t *at)
{
    uint32_t s = slot_of(d, c);
    for (; d->slot[s]; s = (s + 1) & d->mask)
        if (!memcmp(&d->t.v[d->slot[s] - 1], c, sizeof *c)) {
            *at = d->slot[s] - 1;
            return 0;
        }
    if (d->t.n == UINT32_MAX - 1)
        return -1;
    if (d->t.n == d->cap) {
        uint32_t cap = d->cap > UINT32_MAX / 2 ? UINT32_MAX - 1 : d->cap * 2;
        fr_t *v = realloc(d->t.v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        d->t.v = v;
        d->cap = cap;
    }
    *at = d->t.n;
    d->t.v[d->t.n++] = *c;
    d->slot[s] = *at + 1;
    if ((uint64_t)d->t.n * 2 > d->mask && grow_slots(d))
        return -1;
    return 0;
}

void coeff_dict_finish(coeff_dict *d, coeff_table *out)
{
    *out = d->t;
    d->t.v = NULL;
    coeff_dict_free(d);
}

void coeff_dict_free(coeff_dict *d)
{
    free(d->t.v);
    free(d->slot);
    memset(d, 0, sizeof *d);
}
