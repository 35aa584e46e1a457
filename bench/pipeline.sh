#!/bin/sh
# pipeline.sh - every fixture model (tests/fixtures) and issue 15's CIFAR-style CNN
# (bench/models/cifar_cnn.py, 10 CSV rows) through `zkml-registry run`, with each
# step's wall time and peak resident memory (run prints both: VmHWM reset per step).
#   bench/pipeline.sh [MODEL...]      (default: every fixture below, then cnn)
# Optimised build (no sanitizers) in build-bench/. On 2 cores: ZKML_THREADS=2, and
# under `taskset -c 0,1` where the machine has more. The phase-1 ptau made locally is
# cached in build-bench/pipeline/data (ZKML_DATA_DIR); a run that had to make one for
# a new power is run again, so setup is timed with the cached ptau, as a service
# that has run before has it. The evaluate step proves accuracy over ZKML_EVAL_ROWS
# rows (default 1 here: bench/evaluate.sh measures large row counts). Appends the
# table to bench/RESULTS.md with the commit hash. Not a test: nothing is asserted.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build-bench W=$ROOT/build-bench/pipeline
F=$ROOT/tests/fixtures
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZKML_SANITIZE=OFF >/dev/null
cmake --build "$B" -j2 --target zkml-registry >/dev/null
Z=$B/server/zkml-registry
mkdir -p "$W/data"
export ZKML_DATA_DIR="$W/data" ZKML_THREADS=2 ZKML_EVAL_ROWS="${ZKML_EVAL_ROWS:-1}"
PIN=
[ "$(nproc)" -gt 2 ] && command -v taskset >/dev/null && PIN="taskset -c 0,1"
STEPS="settings calibrate compile setup prove verify export evaluate"

# model_files NAME: sets ONNX and CSV (CSV empty: the model has no split)
model_files() {
    case $1 in
    cnn)
        gen=$ROOT/bench/models/cifar_cnn.py
        if [ ! -f "$gen" ]; then
            echo "pipeline.sh: cnn skipped: $gen is not in this tree" >&2
            return 1
        fi
        /usr/bin/python3 "$gen" "$W/cnn-model" --rows 10 >/dev/null
        ONNX=$W/cnn-model/cifar_cnn.onnx CSV=$W/cnn-model/cifar_cnn.csv ;;
    iris_linear | iris_mlp) ONNX=$F/$1.onnx CSV=$F/iris_test.csv ;;
    mlp25_sigmoid) ONNX=$F/$1.onnx CSV=$F/mlp25_test.csv ;;
    digits_cnn) ONNX=$F/$1.onnx CSV=$F/digits_test.csv ;;
    mlp784) ONNX=$F/$1.onnx CSV=$F/mlp784_test.csv ;;
    mlp64) ONNX=$F/$1.onnx CSV=$F/mlp64_test.csv ;;
    ops_bn_cnn | ops_misc) ONNX=$F/$1.onnx CSV=$F/ops_digits_test.csv ;;
    reg_sigmoid) ONNX=$F/$1.onnx CSV=$F/reg_test.csv ;;
    ops_tiny) ONNX=$F/$1.onnx CSV= ;;
    *) echo "pipeline.sh: unknown model $1" >&2; return 1 ;;
    esac
}

# run_model NAME: runs it into $W/NAME (again if it made a new ptau); output in $W/NAME.out
run_model() {
    for _ in 1 2; do
        before=$(ls "$W/data/ptau"/local_power*.ptau 2>/dev/null | wc -l)
        rm -rf "${W:?}/$1"
        $PIN "$Z" run "$ONNX" ${CSV:+--data "$CSV"} --out "$W/$1" > "$W/$1.out" 2>&1 ||
            { echo "pipeline.sh: $1 failed:" >&2; cat "$W/$1.out" >&2; return 1; }
        [ "$(ls "$W/data/ptau"/local_power*.ptau | wc -l)" -eq "$before" ] && return 0
    done
}

OUT=$W/results.txt
{
    printf "| model | constraints |"
    for s in $STEPS; do printf " %s |" "$s"; done
    printf " total without evaluate | peak MiB |\n|---|---:|"
    for s in $STEPS; do printf -- "---:|"; done
    printf -- "---:|---:|\n"
} > "$OUT"
for m in ${*:-iris_linear iris_mlp mlp25_sigmoid digits_cnn mlp784 mlp64 ops_bn_cnn ops_misc reg_sigmoid ops_tiny cnn}; do
    model_files "$m" || continue
    run_model "$m" || continue
    cons=$(grep -o '"constraints":[[:space:]]*[0-9]*' "$W/$m/circuit.json" | head -n 1 | grep -o '[0-9]*$')
    # each step's line: NAME MS ms MIB MiB done|skipped[: note]
    awk -v m="$m" -v c="$cons" -v steps="$STEPS" '
        { ms[$1] = $2; mib[$1] = $4; st[$1] = $6 }
        END {
            n = split(steps, s, " "); line = "| " m " | " c " |"; tot = 0; peak = 0
            for (i = 1; i <= n; i++) {
                cell = ms[s[i]] " ms, " mib[s[i]] " MiB"
                if (st[s[i]] ~ /^skipped/) cell = "skipped"
                line = line " " cell " |"
                if (s[i] != "evaluate") tot += ms[s[i]]
                if (mib[s[i]] + 0 > peak) peak = mib[s[i]] + 0
            }
            print line " " tot " ms | " peak " |"
        }' "$W/$m.out" | tee -a "$OUT"
done
{
    echo
    echo "## pipeline (\`zkml-registry run\`, $(git -C "$ROOT" rev-parse --short HEAD), $(date -u +%F))"
    echo "bench/pipeline.sh: 2 cores (ZKML_THREADS=2${PIN:+, $PIN}), phase-1 ptau cached,"
    echo "ZKML_EVAL_ROWS=$ZKML_EVAL_ROWS; each cell the step's wall time and its peak RSS"
    echo "(the process's, reset before the step). Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    cat "$OUT"
} >> "$ROOT/bench/RESULTS.md"
