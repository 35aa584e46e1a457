#!/usr/bin/env bash
# bench/evaluate.sh [BUILD_DIR] - the evaluate step (accuracy proven over
# data.csv's rows: the evaluation circuit, its setup, proof and verification)
# on mlp784 (784 -> 56 -> 10 ReLU) over ZKML_BENCH_EVAL_ROWS rows (default
# 100, the fixture's all), with its wall time, peak RSS, constraints per row
# and the Poseidon cost per permutation. Appends a table with the commit to
# bench/RESULTS.md. Not a test: nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/server/zkml-registry
rows=${ZKML_BENCH_EVAL_ROWS:-100}
[ -x "$bin" ] || { echo "evaluate.sh: no $bin (build first: make build)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# evaluate needs the model, data.csv and the calibrated settings.json only
"$bin" settings --dir "$dir/run" --model tests/fixtures/mlp784.onnx \
  --data tests/fixtures/mlp784_test.csv > /dev/null
"$bin" calibrate --dir "$dir/run" > /dev/null
/usr/bin/time -v env ZKML_EVAL_ROWS="$rows" "$bin" evaluate --dir "$dir/run" \
  > "$dir/out" 2> "$dir/time"
ms=$(grep -o 'done in [0-9]* ms' "$dir/out" | grep -o '[0-9]*')
rss=$(awk -F: '/Maximum resident/ {print int($2 / 1024)}' "$dir/time")
node -e '
const e = require(process.argv[1]);
const [ms, rss, cores, commit] = process.argv.slice(2);
console.log(`\n## evaluate (${commit}, ${cores} cores, ${new Date().toISOString().slice(0, 10)})\n`);
console.log("| model | rows | constraints | per row | correct (float) | wall ms | peak RSS MB |");
console.log("|---|---|---|---|---|---|---|");
console.log(`| mlp784 784-56-10 | ${e.rows} | ${e.constraints} | ${e.constraints_per_row.toFixed(0)} | ` +
            `${e.correct} (${e.float_correct}) | ${ms} | ${rss} |`);
console.log("\nPoseidon (circomlib, 3 constraints per S-box) per permutation, t = 2..17: " +
            "216 243 264 300 324 357 384 405 420 462 468 507 546 540 576 612.");
 ' "$dir/run/evaluation.json" "$ms" "$rss" "$(nproc)" \
  "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" | tee -a bench/RESULTS.md
