#!/bin/sh
# parallel_setup.sh - setups that start together on one data dir share its
# local phase 1: each key verifies against the cached ptau, and each
# ceremony.json names its hash. With a cache that the last maker replaced,
# the first setups' keys were built on a phase 1 that no longer exists.
#   parallel_setup.sh ZKML_REGISTRY GEN WORKDIR
set -eu
Z=$1 GEN=$2 W=$3
N=6
rm -rf "$W" && mkdir -p "$W" && cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
"$GEN" 200 1 2 1 c.r1cs c.wtns >/dev/null
i=0
while [ $i -lt $N ]; do
    mkdir "s$i" && cp c.r1cs "s$i/network.r1cs"
    i=$((i + 1))
done
i=0
while [ $i -lt $N ]; do
    ZKML_DATA_DIR="$W/data" ZKML_THREADS=1 "$Z" setup --dir "s$i" >"s$i.log" 2>&1 &
    i=$((i + 1))
done
wait
ptau=$(ls data/ptau/local_power*.ptau)
[ "$(echo "$ptau" | wc -l)" -eq 1 ] || fail "not one cached phase 1: $ptau"
hash=$(b2sum "$ptau" | cut -d' ' -f1)
i=0
while [ $i -lt $N ]; do
    grep -q "done" "s$i.log" || fail "setup $i: $(cat "s$i.log")"
    "$Z" zkey verify c.r1cs "$ptau" "s$i/circuit.zkey" >verify.log 2>&1 ||
        fail "setup $i's key does not verify against the cached phase 1: $(cat verify.log)"
    grep -q "$hash" "s$i/ceremony.json" || fail "setup $i's ceremony.json names another phase 1"
    i=$((i + 1))
done
ls data/ptau | grep -q tmp && fail "a temporary ptau was left: $(ls data/ptau)"
echo "parallel_setup: $N setups share one phase 1"
