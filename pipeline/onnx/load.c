/*
 * load.c - ONNX ModelProto (parsed by protobuf-c) -> onnx_model.
 *
 * Checks the opset (7..21, default domain), refuses training graphs, sparse
 * initializers and external data, decodes initializers, reads graph input
 * shapes (a dynamic dim 0 becomes 1), then adds nodes in topological order:
 * Constant nodes become constant tensors, every other node is looked up in
 * the op table, normalized and shape-inferred (shape.c), and folded into a
 * constant when all its inputs are constants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

typedef struct builder {
    onnx_model *m;
    size_t cap_tensors, cap_nodes;
    onnx_names names; /* tensor name -> id */
    float **scratch;  /* per-tensor value slots for constant folding */
    size_t cap_scratch;
    zkml_error *err;
} builder;

static int find(const builder *b, const char *name)
{
    return onnx_names_get(&b->names, name);
}

/* Moves t (its name included) into the model; returns its id or a negative
 * error (t is cleared either way). */
static int add_constant(builder *b, onnx_tensor *t)
{
    int rc = 0;
    if (t->name[0] && find(b, t->name) >= 0)
        rc = zkml_fail(b->err, ZKML_EINVAL, "tensor '%s' is defined twice", t->name);
    else if (zkml_array_grow((void **)&b->m->tensors, &b->cap_tensors, (size_t)b->m->n_tensors + 1,
                             sizeof(onnx_tensor)) != 0)
        rc = zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    if (rc != 0) {
        onnx_tensor_clear(t);
        return rc;
    }
    if (t->size > ONNX_MAX_VALUES - b->m->n_values) {
        onnx_tensor_clear(t);
        return zkml_fail(b->err, ZKML_EINVAL, "the model has more than %u values", ONNX_MAX_VALUES);
    }
    b->m->n_values += t->size;
    int id = b->m->n_tensors++;
    b->m->tensors[id] = *t;
    memset(t, 0, sizeof(*t));
    if (b->m->tensors[id].name[0] && onnx_names_put(&b->names, b->m->tensors[id].name, id) != 0)
        return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    return id;
}

/* Adds a value-less tensor named name (copied); returns its id or an error. */
static int add_tensor(builder *b, const char *name)
{
    onnx_tensor t = {.producer = -1, .name = strdup(name)};
    if (!t.name)
        return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    return add_constant(b, &t);
}

static int read_opset(const Onnxmin__ModelProto *mp, int64_t min_opset, int64_t *opset,
                      zkml_error *err)
{
    *opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const char *d = mp->opset_import[i]->domain;
        if (!d || !d[0] || strcmp(d, "ai.onnx") == 0)
            *opset = mp->opset_import[i]->version;
    }
    if (*opset < 0)
        return zkml_fail(err, ZKML_EINVAL, "not an ONNX model: no opset for the default domain");
    if (*opset < min_opset || *opset > 21)
        return zkml_fail(err, ZKML_EINVAL, "opset %lld is not supported (%lld to 21 are)",
                         (long long)*opset, (long long)min_opset);
    return 0;
}

static const onnx_tensor *find_bound(const onnx_tensor *const *bind, int n_bind, const char *name)
{
    for (int i = 0; i < n_bind; i++)
        if (bind[i] && bind[i]->name && strcmp(bind[i]->name, name) == 0)
            return bind[i];
    return NULL;
}

static int copy_tensor_value(onnx_tensor *dst, const onnx_tensor *src)
{
    dst->dtype = src->dtype;
    dst->rank = src->rank;
    memcpy(dst->shape, src->shape, sizeof(dst->shape));
    dst->size = src->size;
    dst->data = malloc((src->size ? src->size : 1) * sizeof(float));
    if (!dst->data)
        return -1;
    if (src->size)
        memcpy(dst->data, src->data, src->size * sizeof(float));
    if (src->int_data) {
        dst->int_data = malloc((src->size ? src->size : 1) * sizeof(int64_t));
        if (!dst->int_data)
            return -1;
        if (src->size)
            memcpy(dst->int_data, src->int_data, src->size * sizeof(int64_t));
    }
    return 0;
}

static int input_shape(const Onnxmin__ValueInfoProto *vi, onnx_tensor *t, zkml_error *err)
{
    const Onnxmin__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNXMIN__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return zkml_fail(err, ZKML_EINVAL, "graph input '%s' is not a tensor", t->name);
    const Onnxmin__TypeProto__Tensor *tt = tp->tensor_type;
    if (!tt->has_elem_type || !onnx_dtype_supported(tt->elem_type))
        return zkml_fail(err, ZKML_EINVAL, "graph input '%s': element type %d is not supported",
                         t->name, tt->has_elem_type ? (int)tt->elem_type : 0);
    if (!tt->shape)
        return zkml_fail(err, ZKML_EINVAL, "graph input '%s' has no shape", t->name);
    if (tt->shape->n_dim > ONNX_MAX_RANK)
        return zkml_fail(err, ZKML_EINVAL, "graph input '%s': rank %zu is above %d", t->name,
                         tt->shape->n_dim, ONNX_MAX_RANK);
    t->dtype = (onnx_dtype)tt->elem_type;
    t->rank = (int)tt->shape->n_dim;
    for (int i = 0; i < t->rank; i++) {
        const Onnxmin__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        if (d->value_case == ONNXMIN__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
            d->dim_value >= 0) {
            t->shape[i] = d->dim_value;
        } else if (i == 0) {
            t->shape[i] = 1; /* dynamic batch: one sample at a time */
        } else {
            return zkml_fail(err, ZKML_EINVAL,
                             "graph input '%s': dimension %d is dynamic; only the batch "
                             "dimension (0) may be",
                             t->name, i);
        }
    }
    if (onnx_shape_size(t->shape, t->rank, &t->size) != 0)
        return zkml_fail(err, ZKML_EINVAL, "graph input '%s': shape too large", t->name);
    return 0;
}

static int add_graph_inputs(builder *b, const Onnxmin__GraphProto *g,
                            const onnx_tensor *const *bind, int n_bind)
{
    onnx_model *m = b->m;
    m->inputs = malloc((g->n_input ? g->n_input : 1) * sizeof(int));
    if (!m->inputs)
        return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n_input; i++) {
        const char *name = g->input[i]->name ? g->input[i]->name : "";
        if (find(b, name) >= 0)
            continue; /* an initializer listed as an input (IR < 4): a constant */
        int id = add_tensor(b, name);
        if (id < 0)
            return id;
        onnx_tensor *t = &m->tensors[id];
        int rc = input_shape(g->input[i], t, b->err);
        if (rc != 0)
            return rc;
        if (t->size > ONNX_MAX_VALUES - m->n_values)
            return zkml_fail(b->err, ZKML_EINVAL, "graph input '%s' is too large", name);
        m->n_values += t->size;
        const onnx_tensor *bound = find_bound(bind, n_bind, name);
        if (!bound) {
            m->inputs[m->n_inputs++] = id;
            continue;
        }
        if (bound->size != t->size)
            return zkml_fail(b->err, ZKML_EINVAL,
                             "graph input '%s': bound value has %zu "
                             "elements, the input %zu",
                             name, bound->size, t->size);
        onnx_dtype declared = t->dtype;
        if (copy_tensor_value(t, bound) != 0)
            return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
        t->dtype = declared;
    }
    return 0;
}

static int copy_attr(const Onnxmin__AttributeProto *ap, onnx_attr *a)
{
    a->name = strdup(ap->name ? ap->name : "");
    if (!a->name)
        return -1;
    a->type = (onnx_attr_type)ap->type;
    switch (ap->type) {
    case ONNX_ATTR_FLOAT: a->f = ap->f; return 0;
    case ONNX_ATTR_INT: a->i = ap->i; return 0;
    case ONNX_ATTR_STRING:
        a->s = malloc(ap->s.len + 1);
        if (!a->s)
            return -1;
        if (ap->s.len)
            memcpy(a->s, ap->s.data, ap->s.len);
        a->s[ap->s.len] = 0;
        return 0;
    case ONNX_ATTR_FLOATS:
        a->n = ap->n_floats;
        a->floats = malloc((a->n ? a->n : 1) * sizeof(float));
        if (!a->floats)
            return -1;
        if (a->n)
            memcpy(a->floats, ap->floats, a->n * sizeof(float));
        return 0;
    case ONNX_ATTR_INTS:
        a->n = ap->n_ints;
        a->ints = malloc((a->n ? a->n : 1) * sizeof(int64_t));
        if (!a->ints)
            return -1;
        if (a->n)
            memcpy(a->ints, ap->ints, a->n * sizeof(int64_t));
        return 0;
    default: return -2;
    }
}

/* The value of a Constant node, from whichever attribute carries it. */
static int constant_value(const Onnxmin__NodeProto *np, const char *node_name, int64_t opset,
                          onnx_tensor *t, zkml_error *err)
{
    memset(t, 0, sizeof(*t));
    if (np->n_attribute != 1)
        return zkml_fail(err, ZKML_EINVAL,
                         "node '%s' (Constant, opset %lld): expected one "
                         "value attribute",
                         node_name, (long long)opset);
    const Onnxmin__AttributeProto *a = np->attribute[0];
    const char *an = a->name ? a->name : "";
    int64_t one = 1;
    if (strcmp(an, "value") == 0 && a->t) {
        int rc = onnx_tensor_from_proto(a->t, t, "Constant", err);
        if (rc != 0)
            return zkml_error_prefix(err, "node '%s'", node_name);
    } else if (strcmp(an, "value_float") == 0 || strcmp(an, "value_floats") == 0) {
        int list = an[11] == 's';
        size_t n = list ? a->n_floats : 1;
        t->dtype = ONNX_DTYPE_FLOAT;
        t->rank = list;
        t->shape[0] = (int64_t)n;
        t->size = n;
        t->data = malloc((n ? n : 1) * sizeof(float));
        if (!t->data)
            return zkml_fail(err, ZKML_ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++)
            t->data[i] = list ? a->floats[i] : a->f;
    } else if (strcmp(an, "value_int") == 0 || strcmp(an, "value_ints") == 0) {
        int list = an[9] == 's';
        size_t n = list ? a->n_ints : 1;
        const int64_t *src = list ? a->ints : &one;
        t->dtype = ONNX_DTYPE_INT64;
        t->rank = list;
        t->shape[0] = (int64_t)n;
        t->size = n;
        t->data = malloc((n ? n : 1) * sizeof(float));
        t->int_data = malloc((n ? n : 1) * sizeof(int64_t));
        if (!t->data || !t->int_data) {
            onnx_tensor_clear(t);
            return zkml_fail(err, ZKML_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            t->int_data[i] = list ? src[i] : a->i;
            t->data[i] = (float)t->int_data[i];
        }
    } else {
        return zkml_fail(err, ZKML_EINVAL,
                         "node '%s' (Constant, opset %lld): attribute '%s' "
                         "is not supported",
                         node_name, (long long)opset, an);
    }
    free(t->name);
    t->name = NULL;
    t->producer = -1;
    return 0;
}

static void node_clear(onnx_node *n)
{
    free(n->name);
    free(n->inputs);
    free(n->outputs);
    for (int i = 0; i < n->n_attrs; i++)
        onnx_attr_clear(&n->attrs[i]);
    free(n->attrs);
    memset(n, 0, sizeof(*n));
}

/* Computes a node whose inputs are all constants now, and turns its outputs
 * into constants (the node disappears from the graph). */
static int fold_last_node(builder *b)
{
    onnx_model *m = b->m;
    onnx_node *n = &m->nodes[m->n_nodes - 1];
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && !m->tensors[n->inputs[i]].data)
            return 0;
    size_t old_cap = b->cap_scratch;
    if (old_cap < (size_t)m->n_tensors) {
        if (zkml_array_grow((void **)&b->scratch, &b->cap_scratch, (size_t)m->n_tensors,
                            sizeof(float *)) != 0)
            return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
        memset(b->scratch + old_cap, 0, (b->cap_scratch - old_cap) * sizeof(float *));
    }
    float **values = b->scratch; /* all NULL between folds */
    int rc = 0;
    for (int i = 0; i < n->n_inputs && rc == 0; i++)
        if (n->inputs[i] >= 0)
            values[n->inputs[i]] = m->tensors[n->inputs[i]].data;
    for (int o = 0; o < n->n_outputs && rc == 0; o++) {
        const onnx_tensor *t = &m->tensors[n->outputs[o]];
        values[n->outputs[o]] = malloc((t->size ? t->size : 1) * sizeof(float));
        if (!values[n->outputs[o]])
            rc = zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc = onnx_eval_node(m, n, values, b->err);
    for (int o = 0; o < n->n_outputs; o++) {
        onnx_tensor *t = &m->tensors[n->outputs[o]];
        t->data = values[n->outputs[o]];
        t->producer = -1;
        if (rc == 0 && t->dtype != ONNX_DTYPE_FLOAT && t->dtype != ONNX_DTYPE_DOUBLE) {
            t->int_data = malloc((t->size ? t->size : 1) * sizeof(int64_t));
            if (!t->int_data)
                rc = zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
            for (size_t k = 0; rc == 0 && k < t->size; k++)
                t->int_data[k] = onnx_float_to_i64(t->data[k]);
        }
    }
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0)
            values[n->inputs[i]] = NULL;
    for (int o = 0; o < n->n_outputs; o++)
        values[n->outputs[o]] = NULL;
    if (rc == 0) {
        node_clear(n);
        m->n_nodes--;
    }
    return rc;
}

static int add_node(builder *b, const Onnxmin__NodeProto *np, int index)
{
    onnx_model *m = b->m;
    const char *op_type = np->op_type ? np->op_type : "";
    char fallback_name[96];
    snprintf(fallback_name, sizeof(fallback_name), "%.60s#%d", op_type, index);
    const char *name = np->name && np->name[0] ? np->name : fallback_name;
    if (np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx") != 0)
        return zkml_fail(b->err, ZKML_EINVAL,
                         "node '%s' (%s, opset %lld): domain '%s' is not "
                         "supported",
                         name, op_type, (long long)m->opset, np->domain);
    if (strcmp(op_type, "Constant") == 0) {
        onnx_tensor t;
        int rc = constant_value(np, name, m->opset, &t, b->err);
        if (rc != 0)
            return rc;
        t.name = strdup(np->n_output ? np->output[0] : "");
        if (!t.name) {
            onnx_tensor_clear(&t);
            return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
        }
        rc = add_constant(b, &t);
        return rc < 0 ? rc : 0;
    }
    onnx_op op;
    if (onnx_op_lookup(op_type, &op) != 0)
        return zkml_fail(b->err, ZKML_EINVAL,
                         "node '%s' (%s, opset %lld): operator is not "
                         "supported",
                         name, op_type, (long long)m->opset);
    if (zkml_array_grow((void **)&m->nodes, &b->cap_nodes, (size_t)m->n_nodes + 1,
                        sizeof(onnx_node)) != 0)
        return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    onnx_node *n = &m->nodes[m->n_nodes++];
    memset(n, 0, sizeof(*n));
    n->op = op;
    n->op_type = onnx_op_name(op);
    n->name = strdup(name);
    n->inputs = malloc((np->n_input ? np->n_input : 1) * sizeof(int));
    n->outputs = malloc((np->n_output ? np->n_output : 1) * sizeof(int));
    n->attrs = calloc(np->n_attribute ? np->n_attribute : 1, sizeof(onnx_attr));
    if (!n->name || !n->inputs || !n->outputs || !n->attrs)
        return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    for (size_t i = 0; i < np->n_attribute; i++) {
        int rc = copy_attr(np->attribute[i], &n->attrs[n->n_attrs]);
        if (rc == -2 || np->attribute[i]->ref_attr_name) {
            onnx_attr_clear(&n->attrs[n->n_attrs]);
            return onnx_node_failf(b->err, m, n,
                                   "attribute '%s' has a type that is not "
                                   "supported",
                                   np->attribute[i]->name);
        }
        n->n_attrs++;
        if (rc != 0)
            return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < np->n_input; i++)
        n->inputs[n->n_inputs++] = np->input[i][0] ? find(b, np->input[i]) : -1;
    for (size_t i = 0; i < np->n_output; i++) {
        int id = np->output[i][0] ? add_tensor(b, np->output[i]) : -1;
        if (np->output[i][0] && id < 0)
            return id;
        if (id >= 0)
            m->tensors[id].producer = m->n_nodes - 1;
        n->outputs[n->n_outputs++] = id;
    }
    if (n->n_outputs == 0 || n->outputs[0] < 0)
        return onnx_node_failf(b->err, m, n, "no output");
    /* Before opset 7, broadcast=1 aligned trailing dims as numpy does unless an
     * `axis` attribute moved B elsewhere; PRelu broadcast by channel. */
    int legacy_axis =
        onnx_attr_int(n, "broadcast", 0) != 0 && onnx_find_attr(n, "axis") && op != ONNX_OP_GEMM;
    if (m->opset < 7 && (legacy_axis || op == ONNX_OP_PRELU || onnx_attr_int(n, "spatial", 1) == 0))
        return onnx_node_failf(b->err, m, n,
                               "legacy (opset < 7) broadcasting or spatial "
                               "semantics are not supported");
    int rc = onnx_infer_node(m, n, b->err);
    if (rc != 0)
        return rc;
    return fold_last_node(b);
}

/* Orders the nodes so each comes after the producers of its inputs: an
 * iterative depth-first search in file order (a sorted graph keeps its
 * order), linear in nodes and edges. Fails on a cycle. */
static int sort_nodes(builder *b, const Onnxmin__GraphProto *g, size_t *order)
{
    size_t n = g->n_node, done = 0;
    onnx_names producer = {0};
    unsigned char *state = calloc(n ? n : 1, 1); /* 0 new, 1 open, 2 emitted */
    size_t *stack = malloc((n ? n : 1) * sizeof(size_t));
    size_t *next_in = calloc(n ? n : 1, sizeof(size_t));
    int rc = state && stack && next_in ? 0 : zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++)
        for (size_t k = 0; k < g->node[i]->n_output && rc == 0; k++)
            if (g->node[i]->output[k][0] && onnx_names_get(&producer, g->node[i]->output[k]) < 0 &&
                onnx_names_put(&producer, g->node[i]->output[k], (int)i) != 0)
                rc = zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    for (size_t root = 0; root < n && rc == 0; root++) {
        if (state[root])
            continue;
        size_t depth = 0;
        stack[depth++] = root;
        state[root] = 1;
        while (depth > 0 && rc == 0) {
            size_t i = stack[depth - 1];
            const Onnxmin__NodeProto *np = g->node[i];
            if (next_in[i] == np->n_input) {
                state[i] = 2;
                order[done++] = i;
                depth--;
                continue;
            }
            const char *in = np->input[next_in[i]++];
            int p = in[0] && find(b, in) < 0 ? onnx_names_get(&producer, in) : -1;
            if (p < 0 || state[p] == 2)
                continue;
            if (state[p] == 1)
                rc = zkml_fail(b->err, ZKML_EINVAL,
                               "node '%s' (%s): the graph has a cycle "
                               "through input '%s'",
                               np->name ? np->name : "", np->op_type ? np->op_type : "", in);
            else {
                state[p] = 1;
                stack[depth++] = (size_t)p;
            }
        }
    }
    onnx_names_free(&producer);
    free(state);
    free(stack);
    free(next_in);
    return rc;
}

static int add_nodes(builder *b, const Onnxmin__GraphProto *g)
{
    size_t *order = malloc((g->n_node ? g->n_node : 1) * sizeof(size_t));
    if (!order)
        return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    int rc = sort_nodes(b, g, order);
    for (size_t k = 0; k < g->n_node && rc == 0; k++) {
        const Onnxmin__NodeProto *np = g->node[order[k]];
        for (size_t i = 0; i < np->n_input && rc == 0; i++)
            if (np->input[i][0] && find(b, np->input[i]) < 0)
                rc = zkml_fail(b->err, ZKML_EINVAL,
                               "node '%s' (%s): input '%s' is not "
                               "produced by any node, initializer or input",
                               np->name ? np->name : "", np->op_type ? np->op_type : "",
                               np->input[i]);
        if (rc == 0)
            rc = add_node(b, np, (int)order[k]);
    }
    free(order);
    return rc;
}

static int add_graph_outputs(builder *b, const Onnxmin__GraphProto *g)
{
    onnx_model *m = b->m;
    if (g->n_output == 0)
        return zkml_fail(b->err, ZKML_EINVAL, "the graph has no outputs");
    m->outputs = malloc(g->n_output * sizeof(int));
    if (!m->outputs)
        return zkml_fail(b->err, ZKML_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n_output; i++) {
        const char *name = g->output[i]->name ? g->output[i]->name : "";
        int id = find(b, name);
        if (id < 0)
            return zkml_fail(b->err, ZKML_EINVAL,
                             "graph output '%s' is not computed by the "
                             "graph",
                             name);
        m->outputs[m->n_outputs++] = id;
    }
    return 0;
}

static int build_model(builder *b, const Onnxmin__ModelProto *mp, const onnx_load_options *o)
{
    const onnx_tensor *const *bind = o ? o->bind : NULL;
    int n_bind = o ? o->n_bind : 0;
    int64_t min_opset = o && o->min_opset > 0 ? o->min_opset : 7;
    onnx_model *m = b->m;
    const Onnxmin__GraphProto *g = mp->graph;
    if (!g)
        return zkml_fail(b->err, ZKML_EINVAL, "not an ONNX model: no graph");
    int rc = read_opset(mp, min_opset, &m->opset, b->err);
    if (rc != 0)
        return rc;
    m->ir_version = mp->ir_version;
    if (mp->n_training_info > 0)
        return zkml_fail(b->err, ZKML_EINVAL,
                         "training graphs are not supported (export the "
                         "model for inference)");
    if (g->n_sparse_initializer > 0)
        return zkml_fail(b->err, ZKML_EINVAL, "sparse initializers are not supported");
    for (size_t i = 0; i < g->n_initializer; i++) {
        onnx_tensor t;
        rc = onnx_tensor_from_proto(g->initializer[i], &t, "initializer", b->err);
        if (rc != 0)
            return rc;
        rc = add_constant(b, &t);
        if (rc < 0)
            return rc;
    }
    if ((rc = add_graph_inputs(b, g, bind, n_bind)) != 0)
        return rc;
    if ((rc = add_nodes(b, g)) != 0)
        return rc;
    return add_graph_outputs(b, g);
}

int onnx_load_bytes_opts(const uint8_t *data, size_t len, const onnx_load_options *opts,
                         onnx_model **out, zkml_error *err)
{
    zkml_error local;
    if (!err)
        err = &local; /* shape inference reads err->code */
    *out = NULL;
    Onnxmin__ModelProto *mp = onnxmin__model_proto__unpack(NULL, len, data);
    if (!mp)
        return zkml_fail(err, ZKML_EINVAL, "not an ONNX model: the protobuf does not parse");
    builder b = {.err = err};
    b.m = calloc(1, sizeof(onnx_model));
    int rc = b.m ? build_model(&b, mp, opts) : zkml_fail(err, ZKML_ENOMEM, "out of memory");
    onnxmin__model_proto__free_unpacked(mp, NULL);
    onnx_names_free(&b.names);
    free(b.scratch);
    if (rc != 0) {
        onnx_free(b.m);
        return rc;
    }
    *out = b.m;
    return 0;
}

int onnx_load_bytes(const uint8_t *data, size_t len, onnx_model **out, zkml_error *err)
{
    return onnx_load_bytes_opts(data, len, NULL, out, err);
}

int onnx_load_file(const char *path, onnx_model **out, zkml_error *err)
{
    uint8_t *data;
    size_t len;
    *out = NULL;
    int rc = zkml_read_file(path, ONNX_MAX_FILE_BYTES, &data, &len, err);
    if (rc != 0)
        return rc;
    rc = onnx_load_bytes(data, len, out, err);
    free(data);
    if (rc != 0)
        zkml_error_prefix(err, "%s", path);
    return rc;
}

void onnx_free(onnx_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_tensors; i++)
        onnx_tensor_clear(&m->tensors[i]);
    for (int i = 0; i < m->n_nodes; i++)
        node_clear(&m->nodes[i]);
    free(m->tensors);
    free(m->nodes);
    free(m->inputs);
    free(m->outputs);
    free(m);
}
