/* fuzz_r1cs.c - the .r1cs readers on arbitrary bytes: an error or a circuit, never a
 * crash, and the two readers agree: r1cs_parse (into a system) accepts exactly what
 * r1cs_parse_rows (into a key's compressed rows) accepts, with the same counts and the
 * same terms, row by row (each coefficient through the rows' table). */
#include "pipeline/snark/r1cs_internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void free_rows(pk_matrix rows[3], coeff_table *coeffs)
{
    for (int m = 0; m < 3; m++) {
        free(rows[m].start);
        free(rows[m].wire);
        free(rows[m].coeff_at);
    }
    free(coeffs->v);
}

/* The system's combination m of constraint k against row k of matrix m. */
static int same_row(const r1cs_lc *lc, const pk_matrix *rows, const coeff_table *coeffs, uint32_t k)
{
    uint64_t lo = rows->start[k];
    if (rows->start[k + 1] - lo != lc->n)
        return 0;
    for (uint32_t i = 0; i < lc->n; i++)
        if (rows->wire[lo + i] != lc->terms[i].wire || rows->coeff_at[lo + i] >= coeffs->n ||
            memcmp(&coeffs->v[rows->coeff_at[lo + i]], &lc->terms[i].coeff, sizeof(fr_t)) != 0)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    r1cs cs, counts;
    pk_matrix rows[3];
    coeff_table coeffs;
    zkml_error err;
    int a = r1cs_parse(&cs, data, size, "fuzz.r1cs", &err);
    int b = r1cs_parse_rows(&counts, rows, &coeffs, data, size, "fuzz.r1cs", &err);
    if ((a == 0) != (b == 0))
        abort();
    if (a == 0) {
        if (counts.n_wires != cs.n_wires || counts.n_constraints != cs.n_constraints)
            abort();
        for (uint32_t k = 0; k < cs.n_constraints; k++)
            if (!same_row(&cs.constraints[k].a, &rows[0], &coeffs, k) ||
                !same_row(&cs.constraints[k].b, &rows[1], &coeffs, k) ||
                !same_row(&cs.constraints[k].c, &rows[2], &coeffs, k))
                abort();
        r1cs_free(&cs);
        free_rows(rows, &coeffs);
    }
    return 0;
}
