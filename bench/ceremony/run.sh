#!/bin/sh
# run.sh - phase-2 setup benchmark: ours vs snarkjs on the same circuits and ptau.
#   bench/ceremony/run.sh [MAX_LOG [SNARKJS_MAX_LOG]]    (defaults 16 and 16)
# Builds the optimised tree in build-bench/ (as bench/groth16 does), makes one
# local phase 1 per size (`ptau new-local`, cached), then for circuits of
# 2^12 .. 2^MAX_LOG constraints (the test-circuit mix) times:
#   setup       `groth16 setup --ptau` vs `snarkjs groth16 setup` (outputs compared
#               byte for byte), with our peak RSS against the .zkey's size;
#   contribute  `zkey contribute` vs `snarkjs zkey contribute`, our peak RSS;
#   prove       our prover on the contributed key (`zkey export-pk`), the yardstick
#               the issue sets (setup within 3x a proof, a contribution within 2x).
# Times are the best of ZKML_BENCH_REPS (2) runs, ours and snarkjs's taking turns.
# Appends the table to bench/RESULTS.md with the commit. Not a test.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAX=${1:-16} SJMAX=${2:-16}
B=$ROOT/build-bench W=$ROOT/build-bench/ceremony
SJ=$ROOT/node_modules/.bin/snarkjs
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZKML_SANITIZE=OFF >/dev/null
cmake --build "$B" -j2 --target zkml-registry groth16_bench_gen >/dev/null
mkdir -p "$W" && cd "$W"
Z="$B/server/zkml-registry"
REPS=${ZKML_BENCH_REPS:-2}
ms() { echo $(( $(date +%s%N) / 1000000 )); }
# timed VAR CMD...: runs CMD once and keeps in VAR the smaller of VAR and its milliseconds
timed() {
    var=$1; shift
    t0=$(ms); "$@" >/dev/null 2>&1; t=$(( $(ms) - t0 ))
    eval "old=\${$var:-}"
    if [ -z "$old" ] || [ $t -lt $old ]; then eval "$var=$t"; fi
}
rss() { /usr/bin/time -f %M -o rss.txt "$@" >/dev/null 2>&1; echo $(( $(cat rss.txt) / 1024 )); }
OUT=results.txt
printf "| constraints | ptau new-local ms | ours setup ms | snarkjs setup ms | ratio | ours contribute ms | snarkjs contribute ms | ours prove ms | setup / prove | contribute / prove | zkey MB | setup RSS MB | contribute RSS MB |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n" > $OUT
k=12
while [ $k -le "$MAX" ]; do
    n=$((1 << k)); c=$((n - 8))
    $B/bench/groth16/groth16_bench_gen $c 1 2 $k c$k.r1cs c$k.wtns >/dev/null
    pt=
    [ -f p$k.ptau ] || timed pt "$Z" ptau new-local $k p$k.ptau
    sj=0; [ $k -le "$SJMAX" ] && sj=1
    ours= sjs= oc= sjc= pr=
    for _ in $(seq "$REPS"); do
        timed ours "$Z" groth16 setup c$k.r1cs --ptau p$k.ptau o$k.zkey
        [ $sj = 0 ] || timed sjs "$SJ" groth16 setup c$k.r1cs p$k.ptau s$k.zkey
        timed oc "$Z" zkey contribute o$k.zkey o$k.1.zkey --name bench
        [ $sj = 0 ] || timed sjc "$SJ" zkey contribute o$k.zkey s$k.1.zkey --name=bench -e=bench
    done
    [ $sj = 0 ] || cmp -s o$k.zkey s$k.zkey || { echo "setup outputs differ at 2^$k"; exit 1; }
    setup_rss=$(rss "$Z" groth16 setup c$k.r1cs --ptau p$k.ptau o$k.zkey)
    contrib_rss=$(rss "$Z" zkey contribute o$k.zkey o$k.1.zkey)
    "$Z" zkey export-pk c$k.r1cs o$k.1.zkey c$k.key c$k.vk.json
    for _ in $(seq "$REPS"); do timed pr "$Z" groth16 prove c$k.key c$k.wtns p.json pub.json; done
    "$Z" groth16 verify c$k.vk.json pub.json p.json >/dev/null || { echo "proof at 2^$k fails"; exit 1; }
    ratio=-; [ $sj = 0 ] || ratio=$(awk "BEGIN{printf \"%.1f\", $sjs/$ours}")
    zmb=$(awk "BEGIN{printf \"%.1f\", $(stat -c %s o$k.zkey)/1048576}")
    echo "| $c | ${pt:-cached} | $ours | ${sjs:--} | $ratio | $oc | ${sjc:--} | $pr | $(awk "BEGIN{printf \"%.1f\", $ours/$pr}") | $(awk "BEGIN{printf \"%.1f\", $oc/$pr}") | $zmb | $setup_rss | $contrib_rss |" | tee -a $OUT
    k=$((k + 2))
done
{
    echo; echo "## phase-2 setup from a ptau ($(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, $(date -u +%F))"
    echo "best of $REPS runs, ours and snarkjs's taking turns; ratio = snarkjs / ours;"
    echo "setup / prove and contribute / prove against our prover on the contributed key"; echo; cat $OUT
} >> "$ROOT/bench/RESULTS.md"
