#!/bin/sh
# big_domain.sh - the initial key of a circuit whose domain is above 2^14
# points, against snarkjs:
#   big_domain.sh ZKML_REGISTRY GEN SNARKJS WORKDIR PTAU_POWER
# 16400 constraints make a domain of 2^15. Above 2^14 points snarkjs's circuit
# hash takes one more H point than the count it hashes first (zkey_init.c's
# hash_h says why); we must too, or `snarkjs zkey verify` refuses our keys and
# ours refuses snarkjs's. With PTAU_POWER 16 that point lies inside the ptau's
# tauG1 section; with 15 (the domain is the file's full power) it lies past
# the section's end, where snarkjs reads the next section's first bytes
# (zkey_h_quirk.c). Checks: the same initial key, byte for byte; our `zkey
# verify` accepts snarkjs's key; at power 16 `snarkjs zkey verify` accepts ours
# (at 15 it would check the same bytes again, at the cost of a second setup).
set -eu
Z=$1 GEN=$2 SNARKJS=$3 W=$4 POWER=$5
rm -rf "$W" && mkdir -p "$W" && cd "$W"
fail() { echo "FAIL: $*"; exit 1; }

"$GEN" 16400 1 2 1 c.r1cs c.wtns >/dev/null
"$Z" ptau new-local "$POWER" p.ptau >/dev/null
"$SNARKJS" groth16 setup c.r1cs p.ptau sj.zkey >sj.log 2>&1 || fail "snarkjs groth16 setup: $(tail -3 sj.log)"
"$Z" groth16 setup c.r1cs --ptau p.ptau z.zkey
cmp sj.zkey z.zkey || fail "our initial zkey differs from snarkjs's (ptau power $POWER)"
"$Z" zkey verify c.r1cs p.ptau sj.zkey >v.log 2>&1 || fail "we reject snarkjs's key: $(cat v.log)"
checked="our verify accepts snarkjs's key"
if [ "$POWER" -gt 15 ]; then
    "$SNARKJS" zkey verify c.r1cs p.ptau z.zkey >sjv.log 2>&1 &&
        grep -q "ZKey Ok" sjv.log || fail "snarkjs rejects our key: $(tail -3 sjv.log)"
    checked="verified both ways"
fi
echo "2^15 domain, ptau power $POWER: initial keys identical, $checked"
