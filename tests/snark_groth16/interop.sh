#!/bin/sh
# interop.sh - Groth16 interoperability with snarkjs (the independent oracle).
#   interop.sh ZKML_REGISTRY GEN SNARKJS WORKDIR
# 1. snarkjs reads our .r1cs/.wtns (r1cs info, wtns check) and rejects a bad witness.
# 2. Our setup + prove: snarkjs and we accept; every tampered element is rejected by both.
# 3. snarkjs's own setup (its ptau, fixed entropy) and prove on our circuit: we accept
#    its proof and reject tampered ones.
# 4. Our JSON is laid out byte for byte as snarkjs writes it.
# 5. Our keys exported as a .zkey: snarkjs proves with it (we and snarkjs accept the
#    proof), `snarkjs zkey export verificationkey` gives our vk byte for byte, and a
#    vk from another setup is refused.
set -eu
Z=$1 GEN=$2 SNARKJS=$3 W=$4
PY=/usr/bin/python3
rm -rf "$W" && mkdir -p "$W" && cd "$W"
fail() { echo "FAIL: $*"; exit 1; }
sj() { "$SNARKJS" "$@" >sj.log 2>&1; }

# Replaces one element of a JSON file: tamper.py IN OUT KIND
cat > tamper.py <<'PYEOF'
import json, sys
src, dst, kind = sys.argv[1:4]
d = json.load(open(src))
r = 21888242871839275222246405745257275088548364400416034343698204186575808495617
if kind == "swap_ac":   d["pi_a"], d["pi_c"] = d["pi_c"], d["pi_a"]
elif kind == "neg_a":   d["pi_a"][1] = str(21888242871839275222246405745257275088696311157297823662689037894645226208583 - int(d["pi_a"][1]))
elif kind == "b_conj":  d["pi_b"] = [d["pi_b"][0], [str((21888242871839275222246405745257275088696311157297823662689037894645226208583 - int(v)) % 21888242871839275222246405745257275088696311157297823662689037894645226208583) for v in d["pi_b"][1]], d["pi_b"][2]]
elif kind == "c_is_a":  d["pi_c"] = d["pi_a"]
elif kind.startswith("pub"): i = int(kind[3:]); d[i] = str((int(d[i]) + 1) % r)
json.dump(d, open(dst, "w"), indent=1)
PYEOF
# Checks that a JSON file is exactly JSON.stringify(x, null, 1) (python's indent=1 is the same).
layout_ok() { $PY -c "import json,sys; t=open(sys.argv[1]).read(); sys.exit(t != json.dumps(json.loads(t), indent=1))" "$1"; }

check_proof() { # VK PUB PROOF [quick]: both accept, then both reject each tampering
    vk=$1 pub=$2 proof=$3 quick=${4:-}
    sj groth16 verify "$vk" "$pub" "$proof" || fail "snarkjs rejects $proof"
    "$Z" groth16 verify "$vk" "$pub" "$proof" >/dev/null || fail "we reject $proof"
    npub=$($PY -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$pub")
    kinds="swap_ac neg_a b_conj c_is_a"
    i=0; while [ $i -lt "$npub" ]; do kinds="$kinds pub$i"; i=$((i + 1)); done
    [ -z "$quick" ] || kinds="b_conj pub$((npub - 1))"
    for k in $kinds; do
        case $k in pub*) $PY tamper.py "$pub" bad_pub.json $k; tp=bad_pub.json; tf=$proof ;;
                    *) $PY tamper.py "$proof" bad_proof.json $k; tp=$pub; tf=bad_proof.json ;; esac
        if sj groth16 verify "$vk" "$tp" "$tf"; then fail "snarkjs accepts tampering $k"; fi
        set +e; "$Z" groth16 verify "$vk" "$tp" "$tf" >/dev/null 2>&1; rc=$?; set -e
        [ $rc -eq 1 ] || fail "our verify gives exit $rc (not 1) for tampering $k"
    done
}

for spec in "300 2 3 1" "2000 1 0 2" "1200 0 5 3"; do
    set -- $spec
    name=c$1
    "$GEN" $1 $2 $3 $4 $name.r1cs $name.wtns >/dev/null
    sj r1cs info $name.r1cs || fail "snarkjs r1cs info $name"
    grep -q "# of Constraints: $1" sj.log || fail "snarkjs counts other constraints in $name"
    sj wtns check $name.r1cs $name.wtns || fail "snarkjs wtns check rejects $name"
    # a modified witness: bump the last value's lowest byte
    cp $name.wtns bad.wtns
    $PY -c "import sys; b=bytearray(open('bad.wtns','rb').read()); b[-32]^=1; open('bad.wtns','wb').write(b)"
    if sj wtns check $name.r1cs bad.wtns; then fail "snarkjs accepts a bad witness"; fi
    "$Z" groth16 setup $name.r1cs $name.key $name.vk.json
    if "$Z" groth16 prove $name.key bad.wtns p.json pub.json 2>err.txt; then
        fail "we prove a bad witness"; fi
    grep -q "constraint" err.txt || fail "the refusal does not name a constraint: $(cat err.txt)"
    "$Z" groth16 prove $name.key $name.wtns $name.proof.json $name.public.json
    for f in $name.vk.json $name.proof.json $name.public.json; do
        layout_ok $f || fail "$f is not laid out as snarkjs writes it"; done
    [ $1 = 300 ] && check_proof $name.vk.json $name.public.json $name.proof.json ||
        check_proof $name.vk.json $name.public.json $name.proof.json quick
    echo "ok: our proof of $name ($2 outputs, $3 public inputs)"
    "$Z" groth16 export-zkey $name.key $name.vk.json $name.zkey
    sj zkey export verificationkey $name.zkey $name.zvk.json || fail "snarkjs reads no vk from $name.zkey"
    cmp -s $name.zvk.json $name.vk.json || fail "the vk in $name.zkey differs from ours"
    sj groth16 prove $name.zkey $name.wtns $name.zproof.json $name.zpublic.json ||
        fail "snarkjs cannot prove with $name.zkey: $(cat sj.log)"
    cmp -s $name.zpublic.json $name.public.json || fail "snarkjs's public.json from $name.zkey differs"
    check_proof $name.vk.json $name.zpublic.json $name.zproof.json quick
    echo "ok: snarkjs proves $name with our keys as a .zkey"
done
"$Z" groth16 setup c300.r1cs other.key other.vk.json
if "$Z" groth16 export-zkey c300.key other.vk.json mixed.zkey 2>err.txt; then
    fail "export-zkey accepts a vk from another setup"; fi
grep -q "does not belong" err.txt || fail "the mismatch refusal says: $(cat err.txt)"

# snarkjs's own ceremony and prover on our 300-constraint circuit.
E=-e=zkml-registry-fixed-test-entropy
sj powersoftau new bn128 10 pot0.ptau || fail "ptau new"
sj powersoftau contribute pot0.ptau pot1.ptau --name=t $E || fail "ptau contribute"
sj powersoftau prepare phase2 pot1.ptau pot.ptau || fail "prepare phase2"
sj groth16 setup c300.r1cs pot.ptau k0.zkey || fail "groth16 setup"
sj zkey contribute k0.zkey k1.zkey --name=t $E || fail "zkey contribute"
sj zkey export verificationkey k1.zkey sj.vk.json || fail "export vk"
sj groth16 prove k1.zkey c300.wtns sj.proof.json sj.public.json || fail "snarkjs prove"
cmp -s sj.public.json c300.public.json || fail "our public.json differs from snarkjs's"
for f in sj.vk.json sj.proof.json sj.public.json; do
    layout_ok $f || fail "snarkjs's $f has another layout than we assume"; done
check_proof sj.vk.json sj.public.json sj.proof.json
# our proof must not verify against snarkjs's key
set +e; "$Z" groth16 verify sj.vk.json c300.public.json c300.proof.json >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 1 ] || fail "our proof against snarkjs's key gives exit $rc"
echo "ok: snarkjs's proof accepted, tampered ones rejected"
echo PASS
