#!/usr/bin/env bash
# make_eval_fixtures.sh BIN - regenerates tests/evm/eval_fixtures/ with our pipeline.
#
# Evaluation proofs for the registry's tests (evaluation_test.js and
# tests/chain/chain_register_test.c): iris_linear and iris_mlp, each run on
# two datasets of seven iris_test.csv rows chosen so that the models rank
# differently (d1: rows 0 1 15 16 21 30 31, where the linear model misses
# row 21 and the MLP none; d2: rows 2 3 17 18 38 32 33, where only the MLP
# misses row 38), and reg_sigmoid on reg_test.csv (a regression, 20 rows)
# beside reg_weaker, the same model with one weight of its last layer scaled
# by 0.6: the same dataset commitment, a larger sum of squared errors.
# Each fixture keeps evaluation.{json,vk.json,proof.json,public.json} and
# circuit_sha256 (SHA-256 of its network.r1cs, the circuit hash a version
# registers); iris_linear_d1 also keeps the inference proof and the files
# the register step hashes (model.onnx, network.r1cs, settings.json), so a
# whole version can be registered with its evaluation.
# With param_visibility hashed (the evaluation's last signal is the
# parameter commitment, the inference proof's last): iris_linear_hashed_d1
# (a whole version, as iris_linear_d1), iris_mlp_hashed_d1 and
# reg_sigmoid_hashed (each with its inference proof and key).
# Usage: tests/evm/make_eval_fixtures.sh build/zkml-registry
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../fixtures
out=$here/eval_fixtures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pick() { # pick NAME ROW... : iris_test.csv's header and the given data rows
  local name=$1
  shift
  { head -1 "$fixtures/iris_test.csv"
    for r in "$@"; do sed -n "$((r + 2))p" "$fixtures/iris_test.csv"; done; } >"$work/$name.csv"
}
pick d1 0 1 15 16 21 30 31
pick d2 2 3 17 18 38 32 33

run() { # run NAME MODEL.onnx CSV [ARGS...]
  local name=$1 model=$2 csv=$3
  shift 3
  ZKML_DATA_DIR=$work/data "$bin" run "$model" --data "$csv" --out "$work/$name" "$@" >/dev/null
  mkdir -p "$out/$name"
  for f in evaluation.json evaluation.vk.json evaluation.proof.json evaluation.public.json; do
    cp "$work/$name/$f" "$out/$name/"
  done
  sha256sum "$work/$name/network.r1cs" | cut -d' ' -f1 >"$out/$name/circuit_sha256"
}
run iris_linear_d1 "$fixtures/iris_linear.onnx" "$work/d1.csv"
run iris_mlp_d1 "$fixtures/iris_mlp.onnx" "$work/d1.csv"
run iris_linear_d2 "$fixtures/iris_linear.onnx" "$work/d2.csv"
run iris_mlp_d2 "$fixtures/iris_mlp.onnx" "$work/d2.csv"
ZKML_EVAL_ROWS=20 run reg_sigmoid "$fixtures/reg_sigmoid.onnx" "$fixtures/reg_test.csv" --rmse-threshold 0.1
# The 8 -> 1 layer's weights are the 32-byte raw_data at byte 388 (tag and
# length first); its third weight times 0.6.
/usr/bin/python3 - "$fixtures/reg_sigmoid.onnx" "$work/reg_weaker.onnx" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
assert data[388:390] == b"\x4a\x20", "reg_sigmoid.onnx: the last layer's weights moved"
at = 390 + 2 * 4
data[at:at + 4] = struct.pack("<f", struct.unpack("<f", data[at:at + 4])[0] * 0.6)
open(sys.argv[2], "wb").write(data)
PY
ZKML_EVAL_ROWS=20 run reg_weaker "$work/reg_weaker.onnx" "$fixtures/reg_test.csv" --rmse-threshold 0.1
run iris_linear_hashed_d1 "$fixtures/iris_linear.onnx" "$work/d1.csv" --param-visibility hashed
run iris_mlp_hashed_d1 "$fixtures/iris_mlp.onnx" "$work/d1.csv" --param-visibility hashed
ZKML_EVAL_ROWS=20 run reg_sigmoid_hashed "$fixtures/reg_sigmoid.onnx" "$fixtures/reg_test.csv" \
  --rmse-threshold 0.1 --param-visibility hashed
keep() { # keep NAME: its inference proof and key, and with "whole" what the register step hashes
  local files="verification_key.json proof.json public.json"
  [ "${2:-}" = whole ] && files="$files model.onnx network.r1cs settings.json"
  for f in $files; do cp "$work/$1/$f" "$out/$1/"; done
}
keep iris_linear_d1 whole
keep iris_linear_hashed_d1 whole
keep iris_mlp_hashed_d1
keep reg_sigmoid_hashed
for d in "$out"/*/; do
  echo "$(basename "$d"): $(tr -d '\n ' <"$d/evaluation.public.json")"
done
