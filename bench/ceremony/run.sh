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
#               the issue sets (setup within 3x a proof, a contribution within 2x);
# then the same for the CIFAR CNN's circuit (bench/models/cifar_cnn.py) and a
# wider one of 2^20 constraints, ours only.
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
# measure LABEL R1CS WTNS POWER SNARKJS STEM: one row of the table for the circuit
# R1CS (its witness WTNS) on the local phase 1 of 2^POWER (pPOWER.ptau, made once),
# snarkjs beside ours when SNARKJS is 1; the keys go to oSTEM.zkey, oSTEM.1.zkey, cSTEM.key.
measure() {
    label=$1 r1=$2 wt=$3 pw=$4 sj=$5 s=$6
    pt=
    [ -f p$pw.ptau ] || timed pt "$Z" ptau new-local $pw p$pw.ptau
    ours= sjs= oc= sjc= pr=
    for _ in $(seq "$REPS"); do
        timed ours "$Z" groth16 setup $r1 --ptau p$pw.ptau o$s.zkey
        [ $sj = 0 ] || timed sjs "$SJ" groth16 setup $r1 p$pw.ptau s$s.zkey
        timed oc "$Z" zkey contribute o$s.zkey o$s.1.zkey --name bench
        [ $sj = 0 ] || timed sjc "$SJ" zkey contribute o$s.zkey s$s.1.zkey --name=bench -e=bench
    done
    [ $sj = 0 ] || cmp -s o$s.zkey s$s.zkey || { echo "setup outputs differ for $label"; exit 1; }
    setup_rss=$(rss "$Z" groth16 setup $r1 --ptau p$pw.ptau o$s.zkey)
    contrib_rss=$(rss "$Z" zkey contribute o$s.zkey o$s.1.zkey)
    "$Z" zkey export-pk $r1 o$s.1.zkey c$s.key c$s.vk.json
    for _ in $(seq "$REPS"); do timed pr "$Z" groth16 prove c$s.key $wt p.json pub.json; done
    "$Z" groth16 verify c$s.vk.json pub.json p.json >/dev/null || { echo "proof for $label fails"; exit 1; }
    ratio=-; [ $sj = 0 ] || ratio=$(awk "BEGIN{printf \"%.1f\", $sjs/$ours}")
    zmb=$(awk "BEGIN{printf \"%.1f\", $(stat -c %s o$s.zkey)/1048576}")
    echo "| $label | ${pt:-cached} | $ours | ${sjs:--} | $ratio | $oc | ${sjc:--} | $pr | $(awk "BEGIN{printf \"%.1f\", $ours/$pr}") | $(awk "BEGIN{printf \"%.1f\", $oc/$pr}") | $zmb | $setup_rss | $contrib_rss |" | tee -a $OUT
}
while [ $k -le "$MAX" ]; do
    c=$(((1 << k) - 8))
    $B/bench/groth16/groth16_bench_gen $c 1 2 $k c$k.r1cs c$k.wtns >/dev/null
    sj=0; [ $k -le "$SJMAX" ] && sj=1
    measure $c c$k.r1cs c$k.wtns $k $sj $k
    k=$((k + 2))
done
# Real models' circuits beside the synthetic mix (whose 30% of rows with random
# full-field coefficients each cost the setup a full scalar multiplication):
# the CIFAR CNN of bench/models/cifar_cnn.py (2^19), and the same with 45
# channels in its first convolution (2^20), each compiled and its first row's
# witness made by the pipeline's steps. ZKML_BENCH_CNN=0 leaves them out.
if [ "${ZKML_BENCH_CNN:-1}" = 1 ]; then
    for c1 in 12 45; do
        d=cnn$c1
        rm -rf $d $d-model
        /usr/bin/python3 "$ROOT/bench/models/cifar_cnn.py" $d-model --rows 10 --conv1 $c1 >/dev/null
        "$Z" settings --dir $d --model $d-model/cifar_cnn.onnx --data $d-model/cifar_cnn.csv >/dev/null
        for step in calibrate compile witness; do "$Z" $step --dir $d >/dev/null; done
        cons=$(grep -o '"constraints":[[:space:]]*[0-9]*' $d/circuit.json | head -n 1 | grep -o '[0-9]*$')
        k=1; while [ $((1 << k)) -lt $((cons + 64)) ]; do k=$((k + 1)); done # public signals: a few
        measure "$cons (CIFAR CNN, conv1 $c1)" $d/network.r1cs $d/witness.wtns $k 0 $d
    done
fi
{
    echo; echo "## phase-2 setup from a ptau ($(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, $(date -u +%F))"
    echo "best of $REPS runs, ours and snarkjs's taking turns; ratio = snarkjs / ours;"
    echo "setup / prove and contribute / prove against our prover on the contributed key"; echo; cat $OUT
} >> "$ROOT/bench/RESULTS.md"
