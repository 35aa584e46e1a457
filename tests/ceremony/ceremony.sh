#!/bin/sh
# ceremony.sh - Powers of Tau import and phase-2 contributions against snarkjs.
#   ceremony.sh ZKML_REGISTRY GEN SNARKJS WORKDIR
# 1. Phase 1 made by snarkjs here (new, contribute, prepare phase2 at power 8).
#    Our reader refuses: a file too small (naming the power needed), one not
#    prepared for phase 2, a truncated one, another curve, a corrupt point.
#    `ptau info` reports power, contributions, preparation and b2sum's hash.
# 2. `groth16 setup --ptau` writes the same bytes as `snarkjs groth16 setup`,
#    on snarkjs's ptau and on one made by `ptau new-local`.
# 3. Contributions both ways: snarkjs verifies ours, we verify snarkjs's; our
#    beacon is byte-identical to snarkjs's; both accept the final key.
#    A key with a point off the curve in H gets no contribution: the error names
#    the point's byte offset and no file is left.
# 4. Both reject a changed delta (G1 or G2), swapped points in C and in H, a
#    broken transcript hash chain and a key for another circuit.
# 5. Our export-vk equals snarkjs's; our prover proves from the contributed
#    key (export-pk) and snarkjs verifies that proof; snarkjs's proof from the
#    same key passes our verify.
# 6. The pipeline's setup step records phase 1's blake2b (b2sum's), also when
#    it remembers it, and hashes a file rewritten in place again.
set -eu
Z=$1 GEN=$2 SNARKJS=$3 W=$4
TAMPER=$(cd "$(dirname "$0")" && pwd)/tamper.py
PY=/usr/bin/python3
rm -rf "$W" && mkdir -p "$W" && cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
sj() { "$SNARKJS" "$@" >sj.log 2>&1; }
# expects_error MESSAGE_PART COMMAND...: exit 2 with the message on stderr
expects_error() {
    part=$1; shift
    set +e; "$@" >out.log 2>err.log; rc=$?; set -e
    [ $rc -eq 2 ] || fail "exit $rc (not 2) for: $* ($(cat err.log))"
    grep -q "$part" err.log || fail "no '$part' in the error of $*: $(cat err.log)"
}


# ---- 1. phase 1 from snarkjs, and what our reader refuses --------------------
sj powersoftau new bn128 8 pot0.ptau || fail "snarkjs powersoftau new"
sj powersoftau contribute pot0.ptau pot1.ptau --name=first -e="ceremony test entropy" ||
    fail "snarkjs powersoftau contribute"
sj powersoftau prepare phase2 pot1.ptau pot.ptau || fail "snarkjs prepare phase2"
"$GEN" 200 1 2 1 c.r1cs c.wtns >/dev/null          # 200 constraints: a 2^8 domain
"$GEN" 300 1 0 1 big.r1cs big.wtns >/dev/null       # 300: needs 2^9
"$GEN" 150 1 2 1 other.r1cs other.wtns >/dev/null

expects_error "power 9 or more" "$Z" groth16 setup big.r1cs --ptau pot.ptau big.zkey
expects_error "not prepared for phase 2" "$Z" groth16 setup c.r1cs --ptau pot1.ptau x.zkey
head -c 100000 pot.ptau > trunc.ptau
expects_error "truncated" "$Z" groth16 setup c.r1cs --ptau trunc.ptau x.zkey
$PY "$TAMPER" pot.ptau curve.ptau curve
expects_error "another curve" "$Z" groth16 setup c.r1cs --ptau curve.ptau x.zkey
$PY "$TAMPER" pot.ptau point.ptau point
expects_error "section 12" "$Z" groth16 setup c.r1cs --ptau point.ptau x.zkey
[ ! -e x.zkey ] || fail "a refused setup left an output file"
"$Z" ptau info pot.ptau > info.log
grep -q "^power 8 " info.log && grep -q "^contributions 1$" info.log &&
    grep -q "prepared for phase 2: yes" info.log || fail "ptau info: $(cat info.log)"
"$Z" ptau info pot1.ptau | grep -q "prepared for phase 2: no" || fail "ptau info on pot1"
# blake2b of the whole file, as b2sum computes it
[ "$(b2sum pot.ptau | cut -d' ' -f1)" = "$(sed -n 's/^blake2b //p' info.log)" ] ||
    fail "ptau info's blake2b differs from b2sum's"

# ---- 2. the initial key, byte for byte -----------------------------------------
sj groth16 setup c.r1cs pot.ptau sj0.zkey || fail "snarkjs groth16 setup"
"$Z" groth16 setup c.r1cs --ptau pot.ptau z0.zkey
cmp sj0.zkey z0.zkey || fail "our initial zkey differs from snarkjs's"
# a local phase 1 (testing only) is a ptau snarkjs reads: the same initial key
"$Z" ptau new-local 8 local.ptau
"$Z" ptau info local.ptau | grep -q "^contributions 0$" || fail "ptau info on local.ptau"
sj groth16 setup c.r1cs local.ptau sjlocal.zkey || fail "snarkjs setup on our local ptau"
"$Z" groth16 setup c.r1cs --ptau local.ptau local.zkey
cmp sjlocal.zkey local.zkey || fail "the initial keys on our local ptau differ"
"$Z" groth16 setup other.r1cs --ptau pot.ptau other0.zkey
sj groth16 setup other.r1cs pot.ptau sjother0.zkey
cmp sjother0.zkey other0.zkey || fail "our initial zkey of other.r1cs differs from snarkjs's"

# ---- 3. contributions both ways ------------------------------------------------
"$Z" zkey verify c.r1cs pot.ptau z0.zkey >/dev/null || fail "we reject the initial key"
"$Z" zkey contribute z0.zkey z1.zkey --name "zkml first" >contrib.log
grep -q "contribution hash" contrib.log || fail "contribute prints no hash"
sj zkey verify c.r1cs pot.ptau z1.zkey || fail "snarkjs rejects our contribution: $(cat sj.log)"
grep -q "zkml first" sj.log || fail "snarkjs does not show our contribution's name"
sj zkey contribute z1.zkey z2.zkey --name="snarkjs second" -e="more entropy" ||
    fail "snarkjs zkey contribute"
"$Z" zkey verify c.r1cs pot.ptau z2.zkey >/dev/null || fail "we reject snarkjs's contribution"
"$Z" zkey contribute z2.zkey z3.zkey >/dev/null
B=0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
"$Z" zkey beacon z3.zkey zf.zkey $B 10 --name "final beacon"
sj zkey beacon z3.zkey sjf.zkey $B 10 -n="final beacon" || fail "snarkjs zkey beacon"
cmp zf.zkey sjf.zkey || fail "our beacon differs from snarkjs's"
sj zkey verify c.r1cs pot.ptau zf.zkey || fail "snarkjs rejects the final key"
"$Z" zkey verify c.r1cs pot.ptau zf.zkey >/dev/null || fail "we reject the final key"
expects_error "10..63" "$Z" zkey beacon z3.zkey x.zkey $B 9
expects_error "hexadecimal" "$Z" zkey beacon z3.zkey x.zkey 0g 10
# A point off the curve in H, met while the threads multiply: named with its
# byte offset, and nothing left behind (no key, no temporary).
off=$($PY "$TAMPER" z3.zkey badh.zkey point_h)
expects_error "point 3 of section 9 (byte offset $off) is not on the curve" \
    "$Z" zkey contribute badh.zkey x.zkey
[ ! -e x.zkey ] && ! ls x.zkey.tmp.* >/dev/null 2>&1 || fail "a failed contribution left a file"

# ---- 4. tampered keys: both reject ---------------------------------------------
for k in delta1 delta2 swap_c swap_h chain; do
    $PY "$TAMPER" zf.zkey bad.zkey $k
    if sj zkey verify c.r1cs pot.ptau bad.zkey; then fail "snarkjs accepts tampering $k"; fi
    set +e; "$Z" zkey verify c.r1cs pot.ptau bad.zkey >out.log 2>&1; rc=$?; set -e
    [ $rc -eq 1 ] || fail "our verify gives exit $rc (not 1) for tampering $k: $(cat out.log)"
    echo "tampering $k: $(cat out.log)"
done
grep -q "broken hash chain" out.log || fail "the chain tampering is not named"
set +e; "$Z" zkey verify other.r1cs pot.ptau zf.zkey >out.log 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "our verify gives exit $rc for a key of another circuit"
if sj zkey verify other.r1cs pot.ptau zf.zkey; then fail "snarkjs accepts another circuit"; fi

# ---- 5. keys and proofs from the contributed key -------------------------------
"$Z" zkey export-vk zf.zkey vk.json
sj zkey export verificationkey zf.zkey sjvk.json || fail "snarkjs export verificationkey"
cmp vk.json sjvk.json || fail "our export-vk differs from snarkjs's"
"$Z" zkey export-pk c.r1cs zf.zkey proving.key vk2.json
cmp vk.json vk2.json || fail "export-pk wrote another verification key"
"$Z" groth16 prove proving.key c.wtns proof.json public.json
sj groth16 verify vk.json public.json proof.json || fail "snarkjs rejects our proof from the ceremony key"
sj groth16 prove zf.zkey c.wtns sjproof.json sjpublic.json || fail "snarkjs groth16 prove"
"$Z" groth16 verify vk.json sjpublic.json sjproof.json >/dev/null || fail "we reject snarkjs's proof"
expects_error "not for this circuit" "$Z" zkey export-pk other.r1cs zf.zkey x.key x.json

# ---- 6. the pipeline's setup step remembers phase 1's hash ---------------------
# ceremony.json records b2sum's hash of ZKML_PTAU, also when a second setup
# takes it from DATA_DIR/ptau; the file rewritten in place by another phase 1
# of the same size, its modification time put back, is hashed anew (writing
# moved its change time).
sj powersoftau contribute pot0.ptau pot1b.ptau --name=again -e="other entropy" ||
    fail "snarkjs powersoftau contribute (second)"
sj powersoftau prepare phase2 pot1b.ptau potb.ptau || fail "snarkjs prepare phase2 (second)"
[ "$(wc -c <potb.ptau)" -eq "$(wc -c <pot.ptau)" ] || fail "the two phase 1 files differ in size"
mkdir step && cp c.r1cs step/network.r1cs && cp pot.ptau moving.ptau
step_setup() { ZKML_DATA_DIR="$W/data" ZKML_PTAU="$W/moving.ptau" "$Z" setup --dir step >/dev/null; }
phase1_hash() {
    $PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["phase1"]["blake2b"])' \
        step/ceremony.json
}
for round in first remembered; do
    step_setup
    [ "$(phase1_hash)" = "$(b2sum moving.ptau | cut -d' ' -f1)" ] ||
        fail "$round setup: ceremony.json's blake2b is not b2sum's"
done
ls data/ptau/blake2b-* >/dev/null 2>&1 || fail "phase 1's hash was not remembered"
touch -r moving.ptau stamp && cat potb.ptau >moving.ptau && touch -r stamp moving.ptau
step_setup
[ "$(phase1_hash)" = "$(b2sum potb.ptau | cut -d' ' -f1)" ] ||
    fail "a phase 1 rewritten in place (size and modification time kept) kept its old hash"
echo "ceremony: all checks passed"
