/*
 * names.c - a string -> int hash index (open addressing, FNV-1a) so loading
 * stays linear in the size of the graph: tensor names while building, and
 * node outputs while sorting. Keys are borrowed, not copied.
 */
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void onnx_names_free(onnx_names *ix)
{
    free(ix->keys);
    free(ix->values);
    memset(ix, 0, sizeof(*ix));
}

int onnx_names_get(const onnx_names *ix, const char *key)
{
    if (!ix->cap)
        return -1;
    for (size_t i = hash_name(key) & (ix->cap - 1);; i = (i + 1) & (ix->cap - 1)) {
        if (!ix->keys[i])
            return -1;
        if (strcmp(ix->keys[i], key) == 0)
            return ix->values[i];
    }
}

static void insert_slot(const char **keys, int *values, size_t cap, const char *key, int value)
{
    size_t i = hash_name(key) & (cap - 1);
    while (keys[i])
        i = (i + 1) & (cap - 1);
    keys[i] = key;
    values[i] = value;
}

int onnx_names_put(onnx_names *ix, const char *key, int value)
{
    if (2 * (ix->count + 1) > ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 64;
        const char **keys = calloc(cap, sizeof(*keys));
        int *values = calloc(cap, sizeof(*values));
        if (!keys || !values) {
            free(keys);
            free(values);
            return -1;
        }
        for (size_t i = 0; i < ix->cap; i++)
            if (ix->keys[i])
                insert_slot(keys, values, cap, ix->keys[i], ix->values[i]);
        free(ix->keys);
        free(ix->values);
        ix->keys = keys;
        ix->values = values;
        ix->cap = cap;
    }
    insert_slot(ix->keys, ix->values, ix->cap, key, value);
    ix->count++;
    return 0;
}
