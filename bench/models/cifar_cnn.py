#!/usr/bin/python3
"""cifar_cnn.py - writes the benchmark CNN of issue 15 and a CSV split for it,
generated at bench time (a few MB, so not committed).

    /usr/bin/python3 bench/models/cifar_cnn.py OUT_DIR [--rows N] [--conv1 C]

writes OUT_DIR/cifar_cnn.onnx and OUT_DIR/cifar_cnn.csv (N rows, default 10).
--conv1 sets the first convolution's channels (default 12, the model below;
45 gives 289,244 parameters and a circuit of ~1.01M constraints, 2^20).
Debian's python3-onnx and python3-numpy (scripts/bootstrap.sh installs them).

The model is LeNet-style at CIFAR-10's shape, 259,511 parameters:
input [batch,3,32,32]; Conv 5x5 3->12, Relu, MaxPool 2; Conv 5x5 12->33,
Relu, MaxPool 2; Flatten (825); Gemm 825->247, Relu; Gemm 247->173, Relu;
Gemm 173->10. No CIFAR download is possible here, so the weights are He-normal
from a fixed seed and the images are smooth random pictures in [0, 1]
(a few random plane waves per channel plus noise, 3 decimals); the last
layer centres the logits over 64 other pictures and scales them to a trained
classifier's spread (standard deviation 4; random weights give ~0.2); the `label`
column is the float model's own argmax, so float accuracy is 1 by
construction and the label accuracy of the quantized model is its argmax
agreement with float. Deterministic: same files for the same arguments.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
SEED = 15
LOGIT_STD = 4.0


def f32(a):
    return np.asarray(a, dtype=np.float32)


def he(rng, shape, fan_in):
    return f32(rng.standard_normal(shape) * np.sqrt(2.0 / fan_in))


def params(rng, c1):
    p = {}
    p["c1_w"], p["c1_b"] = he(rng, (c1, 3, 5, 5), 75), f32(rng.uniform(-0.05, 0.05, c1))
    p["c2_w"], p["c2_b"] = he(rng, (33, c1, 5, 5), 25 * c1), f32(rng.uniform(-0.05, 0.05, 33))
    # Gemm with transB=0: B is [in, out]
    for name, n_in, n_out in (("d1", 825, 247), ("d2", 247, 173), ("d3", 173, 10)):
        p[name + "_w"] = he(rng, (n_in, n_out), n_in)
        p[name + "_b"] = f32(rng.uniform(-0.05, 0.05, n_out))
    return p


def images(rng, rows):
    """Smooth pictures: per channel, three random plane waves plus noise."""
    yy, xx = np.mgrid[0:32, 0:32] / 32.0
    out = np.zeros((rows, 3, 32, 32))
    for r in range(rows):
        for c in range(3):
            img = np.full((32, 32), rng.uniform(0.3, 0.7))
            for _ in range(3):
                fx, fy = rng.uniform(-3, 3, 2)
                img += 0.2 * np.sin(2 * np.pi * (fx * xx + fy * yy) + rng.uniform(0, 2 * np.pi))
            out[r, c] = img + rng.normal(0, 0.03, (32, 32))
    return f32(np.round(np.clip(out, 0, 1), 3))


def conv(x, w, b):
    """Valid 5x5 convolution, float64: x [n,c,h,w], w [o,c,5,5]."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = h - kh + 1, wd - kw + 1
    cols = np.empty((n, c, kh, kw, oh, ow))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i:i + oh, j:j + ow]
    return np.einsum("ncklhw,ockl->nohw", cols, w) + b[None, :, None, None]


def pool2(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def forward(p, x):
    relu = lambda v: np.maximum(v, 0)
    x = x.astype(np.float64)
    h = pool2(relu(conv(x, p["c1_w"].astype(np.float64), p["c1_b"])))
    h = pool2(relu(conv(h, p["c2_w"].astype(np.float64), p["c2_b"])))
    h = h.reshape(len(x), -1)
    h = relu(h @ p["d1_w"] + p["d1_b"])
    h = relu(h @ p["d2_w"] + p["d2_b"])
    return h @ p["d3_w"] + p["d3_b"]


def model(p):
    node = helper.make_node
    nodes = [
        node("Conv", ["input", "c1_w", "c1_b"], ["c1"], name="conv1", kernel_shape=[5, 5]),
        node("Relu", ["c1"], ["r1"], name="relu1"),
        node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        node("Conv", ["p1", "c2_w", "c2_b"], ["c2"], name="conv2", kernel_shape=[5, 5]),
        node("Relu", ["c2"], ["r2"], name="relu2"),
        node("MaxPool", ["r2"], ["p2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
        node("Flatten", ["p2"], ["flat"], name="flatten", axis=1),
        node("Gemm", ["flat", "d1_w", "d1_b"], ["d1"], name="dense1"),
        node("Relu", ["d1"], ["r3"], name="relu3"),
        node("Gemm", ["r3", "d2_w", "d2_b"], ["d2"], name="dense2"),
        node("Relu", ["d2"], ["r4"], name="relu4"),
        node("Gemm", ["r4", "d3_w", "d3_b"], ["output"], name="dense3"),
    ]
    inits = [numpy_helper.from_array(v, k) for k, v in p.items()]
    graph = helper.make_graph(
        nodes, "cifar_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 10])],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="zkml-registry bench/models/cifar_cnn.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def main():
    ap = argparse.ArgumentParser(description="writes cifar_cnn.onnx and cifar_cnn.csv")
    ap.add_argument("out_dir")
    ap.add_argument("--rows", type=int, default=10)
    ap.add_argument("--conv1", type=int, default=12,
                    help="channels of the first convolution (default 12; 45 gives a circuit "
                         "of ~2^20 constraints)")
    a = ap.parse_args()
    if a.rows < 1:
        ap.error("--rows must be at least 1")
    if a.conv1 < 1:
        ap.error("--conv1 must be at least 1")
    rng = np.random.RandomState(SEED)
    p = params(rng, a.conv1)
    # Centre the logits on 64 other pictures, so that the classes are mixed
    # (random weights otherwise favour one class for every input).
    # Then scale them to a trained classifier's spread (a standard deviation
    # of LOGIT_STD over those pictures; random weights give about 0.2).
    logits = forward(p, images(rng, 64))
    p["d3_b"] = f32(p["d3_b"] - logits.mean(axis=0))
    k = LOGIT_STD / (logits - logits.mean(axis=0)).std()
    p["d3_w"], p["d3_b"] = f32(p["d3_w"] * k), f32(p["d3_b"] * k)
    x = images(rng, a.rows)
    labels = forward(p, x).argmax(axis=1)
    os.makedirs(a.out_dir, exist_ok=True)
    onnx.save(model(p), os.path.join(a.out_dir, "cifar_cnn.onnx"))
    header = ["px%d" % i for i in range(3 * 32 * 32)] + ["label"]
    with open(os.path.join(a.out_dir, "cifar_cnn.csv"), "w") as f:
        f.write(",".join(header) + "\n")
        for row, lab in zip(x.reshape(a.rows, -1), labels):
            f.write(",".join("%g" % v for v in row) + ",%d\n" % lab)
    print("cifar_cnn: %d parameters, %d rows, labels %s" %
          (sum(v.size for v in p.values()), a.rows, " ".join(map(str, labels))))


if __name__ == "__main__":
    main()
