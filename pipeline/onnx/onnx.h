/*
 * onnx.h - public face of pipeline/onnx: loading ONNX models (protobuf-c),
 * the graph with inferred shapes, and the float reference evaluator.
 */
#ifndef ZKML_ONNX_H
#define ZKML_ONNX_H

#include "common/common.h"

#endif
