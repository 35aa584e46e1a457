/*
 * tensor.c - TensorProto decoding (raw_data little-endian, or the typed
 * float_data/int32_data/int64_data/double_data/uint64_data fields) into an
 * onnx_tensor with float data (and int64 data for integer types), plus the
 * public reader for serialized TensorProto files.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

int onnx_dtype_supported(int64_t dtype)
{
    switch (dtype) {
    case ONNX_DTYPE_FLOAT:
    case ONNX_DTYPE_UINT8:
    case ONNX_DTYPE_INT8:
    case ONNX_DTYPE_UINT16:
    case ONNX_DTYPE_INT16:
    case ONNX_DTYPE_INT32:
    case ONNX_DTYPE_INT64:
    case ONNX_DTYPE_BOOL:
    case ONNX_DTYPE_DOUBLE:
    case ONNX_DTYPE_UINT32:
    case ONNX_DTYPE_UINT64: return 1;
    default: return 0;
    }
}

static int dtype_is_integer(int dtype)
{
    return dtype != ONNX_DTYPE_FLOAT && dtype != ONNX_DTYPE_DOUBLE;
}

static size_t dtype_bytes(int dtype)
{
    switch (dtype) {
    case ONNX_DTYPE_UINT8:
    case ONNX_DTYPE_INT8:
    case ONNX_DTYPE_BOOL: return 1;
    case ONNX_DTYPE_UINT16:
    case ONNX_DTYPE_INT16: return 2;
    case ONNX_DTYPE_FLOAT:
    case ONNX_DTYPE_INT32:
    case ONNX_DTYPE_UINT32: return 4;
    default: return 8;
    }
}

int onnx_shape_size(const int64_t *shape, int rank, size_t *size)
{
    uint64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && n > (UINT64_C(1) << 31) / (uint64_t)shape[i]))
            return -1;
        n *= (uint64_t)shape[i];
    }
    if (n > (UINT64_C(1) << 31))
        return -1;
    *size = (size_t)n;
    return 0;
}

void onnx_tensor_clear(onnx_tensor *t)
{
    free(t->name);
    free(t->data);
    free(t->int_data);
    memset(t, 0, sizeof(*t));
}

/* Reads element i of little-endian raw bytes as double and int64. */
static void raw_element(const uint8_t *p, int dtype, double *d, int64_t *v)
{
    uint64_t u = 0;
    size_t w = dtype_bytes(dtype);
    for (size_t k = 0; k < w; k++)
        u |= (uint64_t)p[k] << (8 * k);
    switch (dtype) {
    case ONNX_DTYPE_FLOAT: {
        uint32_t b = (uint32_t)u;
        float f;
        memcpy(&f, &b, 4);
        *d = f;
        *v = 0;
        return;
    }
    case ONNX_DTYPE_DOUBLE: {
        double f;
        memcpy(&f, &u, 8);
        *d = f;
        *v = 0;
        return;
    }
    case ONNX_DTYPE_INT8: *v = (int8_t)(uint8_t)u; break;
    case ONNX_DTYPE_INT16: *v = (int16_t)(uint16_t)u; break;
    case ONNX_DTYPE_INT32: *v = (int32_t)(uint32_t)u; break;
    case ONNX_DTYPE_INT64: *v = (int64_t)u; break;
    case ONNX_DTYPE_BOOL: *v = u != 0; break;
    default: *v = (int64_t)u; break; /* unsigned; uint64 above 2^63 wraps */
    }
    *d = (double)*v;
}

/* The typed field that holds this dtype's values, per onnx.proto. */
static size_t typed_count(const Onnxmin__TensorProto *p, int dtype)
{
    switch (dtype) {
    case ONNX_DTYPE_FLOAT: return p->n_float_data;
    case ONNX_DTYPE_DOUBLE: return p->n_double_data;
    case ONNX_DTYPE_INT64: return p->n_int64_data;
    case ONNX_DTYPE_UINT32:
    case ONNX_DTYPE_UINT64: return p->n_uint64_data;
    default: return p->n_int32_data;
    }
}

static void typed_element(const Onnxmin__TensorProto *p, int dtype, size_t i, double *d, int64_t *v)
{
    *v = 0;
    switch (dtype) {
    case ONNX_DTYPE_FLOAT: *d = p->float_data[i]; return;
    case ONNX_DTYPE_DOUBLE: *d = p->double_data[i]; return;
    case ONNX_DTYPE_INT64: *v = p->int64_data[i]; break;
    case ONNX_DTYPE_UINT32:
    case ONNX_DTYPE_UINT64: *v = (int64_t)p->uint64_data[i]; break;
    default: *v = p->int32_data[i]; break;
    }
    *d = (double)*v;
}

int onnx_tensor_from_proto(const Onnxmin__TensorProto *p, onnx_tensor *t, const char *what,
                           zkml_error *err)
{
    memset(t, 0, sizeof(*t));
    t->producer = -1;
    const char *name = p->name ? p->name : "";
    if (p->has_data_location && p->data_location == 1)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s '%s' uses external data, which is not supported "
                         "(save the model with all tensors inside the file)",
                         what, name);
    if (!p->has_data_type || !onnx_dtype_supported(p->data_type))
        return zkml_fail(err, ZKML_EINVAL, "%s '%s': element type %d is not supported", what, name,
                         p->has_data_type ? (int)p->data_type : 0);
    if (p->n_dims > ONNX_MAX_RANK)
        return zkml_fail(err, ZKML_EINVAL, "%s '%s': rank %zu is above %d", what, name, p->n_dims,
                         ONNX_MAX_RANK);
    t->dtype = (onnx_dtype)p->data_type;
    t->rank = (int)p->n_dims;
    for (int i = 0; i < t->rank; i++)
        t->shape[i] = p->dims[i];
    if (onnx_shape_size(t->shape, t->rank, &t->size) != 0)
        return zkml_fail(err, ZKML_EINVAL, "%s '%s': invalid or too large shape", what, name);
    int raw = p->has_raw_data;
    size_t have = raw ? p->raw_data.len / dtype_bytes(t->dtype) : typed_count(p, t->dtype);
    if ((raw && p->raw_data.len != t->size * dtype_bytes(t->dtype)) || (!raw && have != t->size))
        return zkml_fail(err, ZKML_EINVAL, "%s '%s': %zu values for a shape of %zu elements", what,
                         name, have, t->size);
    t->name = strdup(name);
    t->data = malloc((t->size ? t->size : 1) * sizeof(float));
    if (dtype_is_integer(t->dtype))
        t->int_data = malloc((t->size ? t->size : 1) * sizeof(int64_t));
    if (!t->name || !t->data || (dtype_is_integer(t->dtype) && !t->int_data)) {
        onnx_tensor_clear(t);
        return zkml_fail(err, ZKML_ENOMEM, "%s '%s': out of memory", what, name);
    }
    for (size_t i = 0; i < t->size; i++) {
        double d;
        int64_t v;
        if (raw)
            raw_element(p->raw_data.data + i * dtype_bytes(t->dtype), t->dtype, &d, &v);
        else
            typed_element(p, t->dtype, i, &d, &v);
        t->data[i] = (float)d;
        if (t->int_data)
            t->int_data[i] = v;
    }
    return 0;
}

int onnx_tensor_read_bytes(const uint8_t *data, size_t len, onnx_tensor **out, zkml_error *err)
{
    *out = NULL;
    Onnxmin__TensorProto *p = onnxmin__tensor_proto__unpack(NULL, len, data);
    if (!p)
        return zkml_fail(err, ZKML_EINVAL, "not a serialized ONNX TensorProto");
    onnx_tensor *t = calloc(1, sizeof(*t));
    int rc = t ? onnx_tensor_from_proto(p, t, "tensor", err)
               : zkml_fail(err, ZKML_ENOMEM, "out of memory");
    onnxmin__tensor_proto__free_unpacked(p, NULL);
    if (rc != 0) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void onnx_tensor_free(onnx_tensor *t)
{
    if (!t)
        return;
    onnx_tensor_clear(t);
    free(t);
}
