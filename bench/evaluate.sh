#!/usr/bin/env bash
# bench/evaluate.sh [BUILD_DIR] - issue 12's evaluation benchmark: the evaluate step
# (accuracy proven over data.csv's rows: the evaluation circuit, its setup, proof and
# verification) on
#   mlp64  (64 -> 32 -> 10 ReLU) over ZKML_BENCH_MLP64_ROWS rows (default 300; goal
#          <= 20 s and <= 4 GB on 2 cores), and
#   mlp784 (784 -> 56 -> 10 ReLU) over ZKML_BENCH_EVAL_ROWS rows (default 100, the
#          fixture's all; goal <= 60 s),
# each with its wall time, peak RSS, constraints in all and per row, and the Poseidon
# cost per permutation (bench/evaluate/poseidon_cost). ZKML_THREADS=2. CPU seconds
# (user + sys) are recorded beside the wall time: on a shared machine they say what
# the step costs when the wall time is mostly waiting for a core. Appends a table with
# the commit to bench/RESULTS.md. Not a test: nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/server/zkml-registry
cost=$build/bench/evaluate/poseidon_cost
[ -x "$bin" ] && [ -x "$cost" ] ||
  { echo "evaluate.sh: no $bin or $cost (build first: make build)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export ZKML_THREADS=2
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "| model | rows | constraints | per row | correct (float) | wall ms | CPU s | peak RSS MB |" > "$dir/table"
echo "|---|---|---|---|---|---|---|---|" >> "$dir/table"
# measure NAME LAYERS CSV ROWS
measure() {
  local run=$dir/$1
  # evaluate needs the model, data.csv and the calibrated settings.json only
  "$bin" settings --dir "$run" --model "tests/fixtures/$1.onnx" --data "tests/fixtures/$3" > /dev/null
  "$bin" calibrate --dir "$run" > /dev/null
  /usr/bin/time -v env ZKML_EVAL_ROWS="$4" "$bin" evaluate --dir "$run" \
    > "$dir/out" 2> "$dir/time"
  local ms rss cpu
  ms=$(grep -o 'done in [0-9]* ms' "$dir/out" | grep -o '[0-9]*')
  rss=$(awk -F: '/Maximum resident/ {print int($2 / 1024)}' "$dir/time")
  cpu=$(awk -F: '/(User|System) time/ {s += $2} END {printf "%.1f", s}' "$dir/time")
  node -e '
const e = require(process.argv[1]);
const [name, ms, cpu, rss] = process.argv.slice(2);
console.log(`| ${name} | ${e.rows} | ${e.constraints} | ${e.constraints_per_row.toFixed(0)} | ` +
            `${e.correct} (${e.float_correct}) | ${ms} | ${cpu} | ${rss} |`);
' "$run/evaluation.json" "$1 $2" "$ms" "$cpu" "$rss" | tee -a "$dir/table"
}
measure mlp64 64-32-10 mlp64_test.csv "${ZKML_BENCH_MLP64_ROWS:-300}"
measure mlp784 784-56-10 mlp784_test.csv "${ZKML_BENCH_EVAL_ROWS:-100}"
{
  echo
  echo "## evaluate ($commit, $(nproc) cores, $(date -u +%F))"
  echo "bench/evaluate.sh: ZKML_THREADS=2; load average at the end:"
  echo "$(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  cat "$dir/table"
  echo
  echo "Poseidon (circomlib, 4 constraints per S-box) per permutation, t = 2..17: $("$cost")."
} | tee -a bench/RESULTS.md
