#!/bin/sh
# rapidsnark.sh - our Groth16 prover beside iden3's rapidsnark (C++/asm) on the same
# exported .zkey and .wtns, 2 threads each:
#   RAPIDSNARK=/path/to/rapidsnark/prover bench/groth16/rapidsnark.sh [CIRCUIT...]
#   CIRCUIT: LOG for the test-circuit mix of 2^LOG constraints, shaLOG for a SHA-256-like
#   circuit of 2^LOG (bench/groth16/gen_bits.c: a witness of mostly 0/1 values);
#   default 16 18 20 sha16
# rapidsnark is built from its own source beside the project, never inside it (how:
# bench/RESULTS.md, "rapidsnark side by side"). Each circuit is set up by ours and
# exported as a .zkey; the two provers then take turns ZKML_BENCH_REPS (3) times,
# each keeping its best wall time and its largest peak RSS (/usr/bin/time). rapidsnark's
# proof must verify with our verifier on the same public signals, or the script stops.
# Appends the table to bench/RESULTS.md with the commit hash. Not a test.
set -eu
if [ -z "${RAPIDSNARK:-}" ] || [ ! -x "$RAPIDSNARK" ]; then
    echo "rapidsnark.sh: set RAPIDSNARK to rapidsnark's built prover (its build_prover/src/prover)" >&2
    exit 2
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/build-bench W=$ROOT/build-bench/rapidsnark
cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZKML_SANITIZE=OFF >/dev/null
cmake --build "$B" -j2 --target groth16_bench_cli groth16_bench_gen groth16_bench_gen_bits >/dev/null
mkdir -p "$W" && cd "$W"
Z=$B/bench/groth16/groth16_bench_cli
REPS=${ZKML_BENCH_REPS:-3}
export ZKML_THREADS=2 OMP_NUM_THREADS=2
ms() { echo $(( $(date +%s%N) / 1000000 )); }
# timed NAME CMD...: runs CMD once; keeps the smallest wall ms in NAME_ms, the largest RSS in NAME_kb
timed() {
    name=$1; shift
    t0=$(ms); /usr/bin/time -f %M -o rss.txt "$@" >/dev/null; t=$(( $(ms) - t0 ))
    kb=$(tail -n 1 rss.txt)
    eval "old=\${${name}_ms:-}; oldkb=\${${name}_kb:-0}"
    if [ -z "$old" ] || [ "$t" -lt "$old" ]; then eval "${name}_ms=$t"; fi
    if [ "$kb" -gt "$oldkb" ]; then eval "${name}_kb=$kb"; fi
}
OUT=results.txt
printf "| circuit | constraints | ours ms | rapidsnark ms | speed-up | ours peak MiB | rapidsnark peak MiB |\n|---|---:|---:|---:|---:|---:|---:|\n" > $OUT
for arg in ${*:-16 18 20 sha16}; do
    k=${arg#sha}
    c=$(( (1 << k) - 8 ))   # the domain (constraints + public + 1) stays 2^k
    if [ "$k" = "$arg" ]; then
        what="2^$k test mix"
        $B/bench/groth16/groth16_bench_gen $c 1 2 $k c$k.r1cs c$k.wtns >/dev/null
    else
        what="2^$k SHA-256-like" k=s$k
        $B/bench/groth16/groth16_bench_gen_bits $c 1 c$k.r1cs c$k.wtns
    fi
    $Z setup c$k.r1cs c$k.key c$k.vk.json
    $Z export-zkey c$k.key c$k.vk.json c$k.zkey
    ours_ms= ours_kb=0 rs_ms= rs_kb=0
    for _ in $(seq "$REPS"); do
        timed ours $Z prove c$k.key c$k.wtns p.json pub.json
        timed rs "$RAPIDSNARK" c$k.zkey c$k.wtns rp.json rpub.json
    done
    $Z verify c$k.vk.json rpub.json rp.json >/dev/null ||
        { echo "rapidsnark's proof at 2^$k fails our verifier" >&2; exit 1; }
    [ "$(tr -d ' \n' < pub.json)" = "$(tr -d ' \n' < rpub.json)" ] ||
        { echo "public signals differ at 2^$k" >&2; exit 1; }
    echo "| $what | $c | $ours_ms | $rs_ms | $(awk "BEGIN{printf \"%.2f\", $rs_ms/$ours_ms}")x |" \
         "$((ours_kb / 1024)) | $((rs_kb / 1024)) |" | tee -a $OUT
done
{
    echo; echo "## rapidsnark side by side ($(git -C "$ROOT" rev-parse --short HEAD), $(nproc) cores, $(date -u +%F))"
    echo "bench/groth16/rapidsnark.sh: same exported .zkey and .wtns, 2 threads each"
    echo "(ZKML_THREADS, OMP_NUM_THREADS); best wall ms of $REPS runs taken in turns"
    echo "(process start and file reading included), largest peak RSS. Load average at the"
    echo "end: $(cut -d' ' -f1-3 /proc/loadavg)."; echo; cat $OUT
} >> "$ROOT/bench/RESULTS.md"
