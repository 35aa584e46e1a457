/*
 * poseidon_tool.c - the native Poseidon and the gadget on the lines of
 * stdin, for poseidon_oracle.js to compare with circomlibjs. A line is
 *   hash INIT X1 .. Xn      (n in 1..16)   or   commit X1 .. Xn   (n >= 0)
 * in decimal; the answer is one JSON line {"native", "gadget", "constraints",
 * "expected_constraints"}. The tool checks itself that the gadget's witness
 * satisfies its constraints, that its output equals the native hash, and for
 * n <= 2 that changing any wire the gadget made by +1 or -1 breaks a
 * constraint; it exits 1 on any failure.
 */
#include "pipeline/circuit/gadgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"

#define MAX_VALUES 4096

static void mutate_all(const r1cs *cs, fr_t *w, uint32_t first)
{
    zkml_error err;
    fr_t one, saved;
    fr_one(&one);
    for (uint32_t i = first; i < cs->n_wires; i++) {
        saved = w[i];
        fr_add(&w[i], &saved, &one);
        CHECK(r1cs_check_witness(cs, w, cs->n_wires, &err) != 0, "wire %u + 1 passes", i);
        fr_sub(&w[i], &saved, &one);
        CHECK(r1cs_check_witness(cs, w, cs->n_wires, &err) != 0, "wire %u - 1 passes", i);
        w[i] = saved;
    }
}

/* The gadget over x[0..n-1] as wires 1..n (and init as wire n + 1 unless commit). */
static void gadget(int commit, const fr_t *init, const fr_t *x, size_t n, fr_t *out,
                   uint32_t *constraints)
{
    cbuild b;
    zkml_error err;
    lcf *in = calloc(n + 1, sizeof *in), h, li = {0};
    CHECK(in && cb_init(&b, 1, &err) == 0, "init");
    for (size_t i = 0; i < n; i++) {
        uint32_t w;
        in[i].v = x[i];
        CHECK(cb_wire_fr(&b, &x[i], &w) == 0 && lc_add(&b, &in[i].lc, w, 1) == 0, "input");
    }
    uint32_t w, first;
    if (!commit) {
        li.v = *init;
        CHECK(cb_wire_fr(&b, init, &w) == 0 && lc_add(&b, &li.lc, w, 1) == 0, "init wire");
    }
    first = b.cs.n_wires;
    int rc = commit ? g_poseidon_commit(&b, in, n, &h) : g_poseidon(&b, in, (int)n, &li, &h);
    CHECK(rc == 0, "gadget: %s", err.message);
    if (rc == 0) {
        CHECK(r1cs_check_witness(&b.cs, b.w, b.cs.n_wires, &err) == 0, "witness: %s", err.message);
        *out = h.v;
        *constraints = b.cs.n_constraints;
        if (n <= 2)
            mutate_all(&b.cs, b.w, first);
        lcf_free(&h);
    }
    for (size_t i = 0; i < n; i++)
        lcf_free(&in[i]);
    lcf_free(&li);
    free(in);
    cb_free(&b);
}

static void answer(int commit, const fr_t *init, const fr_t *x, size_t n)
{
    zkml_error err;
    fr_t native, got;
    uint32_t constraints = 0;
    int rc =
        commit ? poseidon_commit(&native, x, n, &err) : poseidon_hash(&native, x, n, init, &err);
    CHECK(rc == 0, "native: %s", err.message);
    gadget(commit, init, x, n, &got, &constraints);
    CHECK(fr_eq(&native, &got), "gadget and native differ (n = %zu)", n);
    uint64_t want = commit ? poseidon_commit_constraints(n) : poseidon_constraints((int)n + 1, 0);
    CHECK(constraints == want, "n = %zu: %u constraints, the formula says %llu", n, constraints,
          (unsigned long long)want);
    char a[80], c[80];
    fr_to_dec(a, &native);
    fr_to_dec(c, &got);
    printf("{\"native\": \"%s\", \"gadget\": \"%s\", \"constraints\": %u, "
           "\"expected_constraints\": %llu}\n",
           a, c, constraints, (unsigned long long)want);
    fflush(stdout);
}

int main(void)
{
    static fr_t x[MAX_VALUES];
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        char *save = NULL, *tok = strtok_r(line, " \n", &save);
        if (!tok)
            continue;
        int commit = strcmp(tok, "commit") == 0;
        fr_t init;
        fr_zero(&init);
        CHECK(commit || strcmp(tok, "hash") == 0, "unknown command %s", tok);
        if (!commit && (tok = strtok_r(NULL, " \n", &save)))
            CHECK(fr_from_dec(&init, tok) == 0, "bad init %s", tok);
        size_t n = 0;
        while ((tok = strtok_r(NULL, " \n", &save)) && n < MAX_VALUES)
            CHECK(fr_from_dec(&x[n++], tok) == 0, "bad value %s", tok);
        answer(commit, &init, x, n);
    }
    free(line);
    return failures != 0;
}
