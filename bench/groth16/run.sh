#!/bin/sh
# run.sh - Groth16 prover benchmark: ours vs snarkjs on the same circuits and witnesses.
#   bench/groth16/run.sh [MAX_LOG [SNARKJS_MAX_LOG]]    (defaults 20 and 20)
# Builds an optimised (-O2, no sanitizers) tree in build-bench/, generates circuits of 2^12 .. 2^MAX_LOG
# constraints (the test-circuit mix: ~70% bit decompositions, products, linear
# combinations), proves each with ours and, up to 2^SNARKJS_MAX_LOG, with
# `snarkjs groth16 prove` on our keys exported as a .zkey (`export-zkey`: the same
# key for both provers, and no powers-of-tau ceremony to prepare).
# Each prover's time is its best of ZKML_BENCH_REPS (3) runs, ours and snarkjs's
# taking turns: this shared machine's neighbours add up to +-30% to single runs.
# Our setup is timed too (best of ZKML_BENCH_REPS, a fresh key each time: the
# last one is proved with), against the goal setup <= 2x prove.
# Prints constraints, times, ratio, our peak RSS, verify time and MSM times;
# appends the table to bench/RESULTS.md with the commit hash. Not a test.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAX=${1:-20} SJMAX=${2:-20}
B=$ROOT/build-bench W=$ROOT/build-bench/groth16
SJ=$ROOT/node_modules/.bin/snarkjs
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZKML_SANITIZE=OFF >/dev/null
cmake --build "$B" -j2 --target groth16_bench_cli groth16_bench_gen groth16_bench_msm >/dev/null
mkdir -p "$W" && cd "$W"
Z="$B/bench/groth16/groth16_bench_cli"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
REPS=${ZKML_BENCH_REPS:-3}
# timed VAR CMD...: runs CMD once and keeps in VAR the smaller of VAR and its milliseconds
timed() {
    var=$1; shift
    t0=$(ms); "$@" >/dev/null; t=$(( $(ms) - t0 ))
    eval "old=\${$var:-}"
    if [ -z "$old" ] || [ $t -lt $old ]; then eval "$var=$t"; fi
}
OUT=results.txt
printf "| constraints | ours setup ms | ours prove ms | setup / prove | snarkjs prove ms | ratio | our peak RSS MB | verify ms |\n|---|---|---|---|---|---|---|---|\n" > $OUT
k=12
while [ $k -le "$MAX" ]; do
    n=$((1 << k)); c=$((n - 8))      # the domain (constraints + public + 1) stays 2^k
    $B/bench/groth16/groth16_bench_gen $c 1 2 $k new.r1cs c$k.wtns >/dev/null
    mv new.r1cs c$k.r1cs
    setup=
    for _ in $(seq "$REPS"); do timed setup $Z setup c$k.r1cs c$k.key c$k.vk.json; done
    /usr/bin/time -f %M -o rss.txt $Z prove c$k.key c$k.wtns p.json pub.json
    rss=$(( $(cat rss.txt) / 1024 ))
    v=$($Z verify-time c$k.vk.json pub.json p.json)
    sj=0; [ $k -le "$SJMAX" ] && sj=1
    [ $sj = 0 ] || [ c$k.ours.zkey -nt c$k.key ] || $Z export-zkey c$k.key c$k.vk.json c$k.ours.zkey
    # the two provers take turns, so that a slow spell of the machine hits both
    ours= sjt=
    for _ in $(seq "$REPS"); do
        timed ours $Z prove c$k.key c$k.wtns p.json pub.json
        [ $sj = 0 ] || timed sjt $SJ groth16 prove c$k.ours.zkey c$k.wtns sp.json spub.json
    done
    ratio=-
    if [ $sj = 1 ]; then
        cmp -s pub.json spub.json || { echo "public signals differ at 2^$k"; exit 1; }
        $Z verify c$k.vk.json spub.json sp.json >/dev/null || { echo "snarkjs's proof at 2^$k fails"; exit 1; }
        ratio=$(awk "BEGIN{printf \"%.1f\", $sjt/$ours}")
    fi
    sp=$(awk "BEGIN{printf \"%.2f\", $setup/$ours}")
    echo "| $c | $setup | $ours | $sp | ${sjt:--} | $ratio | $rss | $v |" | tee -a $OUT
    k=$((k + 2))
done
for m in 16 18 20; do
    [ $m -le "$MAX" ] && echo "MSM G1 2^$m: $($B/bench/groth16/groth16_bench_msm $m)" | tee -a $OUT
done
{
    echo; echo "## groth16 prove ($(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, $(date -u +%F))"
    echo "setup and prove ms: best of $REPS runs (process wall time, key written), the two"
    echo "provers taking turns; verify ms: in-process,"
    echo "mean of 20 (reading the three JSON files included)"; echo; cat $OUT
} >> "$ROOT/bench/RESULTS.md"
