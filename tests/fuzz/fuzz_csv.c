/*
 * fuzz_csv.c - the CSV split reader on arbitrary bytes; a table that reads
 * must have consistent counts (labels in range of n_classes), and a label
 * column holds either classes or finite regression targets, never both.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "pipeline/quant/quant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    csv_table *t = NULL;
    zkml_error err;
    if (csv_read_bytes((const char *)data, size, "fuzz.csv", &t, &err) != 0)
        return 0;
    if (t->has_label != (t->labels != NULL || t->targets != NULL) || (t->labels && t->targets))
        abort();
    for (size_t r = 0; t->labels && r < t->rows; r++)
        if (t->labels[r] < 0 || t->labels[r] >= t->n_classes)
            abort();
    for (size_t r = 0; t->targets && r < t->rows; r++)
        if (!isfinite(t->targets[r]))
            abort();
    for (size_t i = 0; i < t->features; i++)
        if (!t->feature_names[i])
            abort();
    csv_free(t);
    return 0;
}
