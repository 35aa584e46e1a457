#!/usr/bin/env bash
# run_fixture.sh BIN SNARKJS MODEL CSV [CHECK ARGS...]
# Runs `zkml-registry run` on one fixture, then lets snarkjs judge the result:
# the witness satisfies the circuit, the setup's ceremony key verifies against
# its phase 1, the proof verifies, and a proof for a changed public signal or a
# changed proof point does not. CHECK, a python
# script, then runs in the output directory with CSV and ARGS.
set -euo pipefail
bin=$1 snarkjs=$2 model=$3 csv=$4
shift 4
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

data_dir=${ZKML_DATA_DIR:-$PWD/data}   # where the setup caches its local phase 1
"$bin" run "$model" --data "$csv" --sample 1 --out "$out/a" | tee "$out/run.log"
cd "$out/a"
for f in settings.json calibration.json network.r1cs circuit.json input.json witness.wtns \
         output.json circuit.zkey ceremony.json proving.key verification_key.json proof.json \
         public.json verify.json Verifier.sol Verifier.abi.json calldata.json; do
  [ -s "$f" ] || { echo "FAIL: $f missing or empty"; exit 1; }
done
grep -q '"valid":[[:space:]]*true' verify.json || { echo "FAIL: verify.json does not say valid"; exit 1; }

# The outputs come from the proof: public.json decoded here with circuit.json's
# packing (independently of our decoder) equals verify.json's and output.json's.
/usr/bin/python3 - <<'PY'
import json
p = json.load(open("circuit.json"))["packing"]["outputs"]
pub = [int(x) for x in json.load(open("public.json"))]
r = 21888242871839275222246405745257275088548364400416034343698204186575808495617
mask = (1 << p["bits"]) - 1
per = p["values_per_signal"]
q = [((pub[i // per] >> (p["bits"] * (i % per))) & mask) - p["offset"] for i in range(p["count"])]
want = [str(v % r) for v in q]
got = json.load(open("verify.json"))["outputs"]
shown = json.load(open("output.json"))["outputs"]
assert got == want, ("verify.json outputs", got, want)
assert shown == want, ("output.json outputs", shown, want)
# Tamper: the outputs reversed (or, if that changes nothing, the first one changed).
bad = json.load(open("output.json"))
cut = bad["outputs"][::-1]
first = next((i for i in range(len(cut)) if cut[i] != want[i]), None)
if first is None:
    cut[0] = str((int(cut[0]) + 1) % r)
    first = 0
bad["outputs"] = cut
json.dump(bad, open("output_bad.json", "w"))
open("first_bad", "w").write(str(first))
# calibration.json is public: aggregates only, no sample of the CSV.
cal = json.load(open("calibration.json"))
assert all(r["op"] != "Input" for r in cal.get("ranges", [])), "input range in calibration.json"
PY
mkdir tampered
cp verification_key.json public.json proof.json circuit.json tampered/
cp output_bad.json tampered/output.json
set +e
"$bin" verify --dir tampered 2>tampered.err; rc=$?
set -e
first=$(cat first_bad)
[ $rc -eq 1 ] && grep -q "output.json: outputs\[$first\]" tampered.err ||
  { cat tampered.err; echo "FAIL: verify of a tampered output.json: exit $rc, expected 1 naming outputs[$first]"; exit 1; }
grep -q '"valid":[[:space:]]*false' tampered/verify.json ||
  { echo "FAIL: tampered verify.json does not say invalid"; exit 1; }

# The setup's ceremony: without ZKML_PTAU phase 1 is local, and says so; the key
# verifies against that ptau (ours always, snarkjs's on the small circuits).
if [ -z "${ZKML_PTAU:-}" ]; then
  grep -q "setup .*done: phase 1 made locally" "$out/run.log" ||
    { echo "FAIL: the setup does not say that phase 1 is local"; exit 1; }
  ptau=$data_dir/ptau/$(/usr/bin/python3 -c '
import json; c = json.load(open("ceremony.json")); p = c["phase1"]
assert p["source"] == "local" and p["testing_only"] is True, p
assert [x["name"] for x in c["contributions"]] == ["zkml-registry service"], c
print(p["file"])')
else
  ptau=$ZKML_PTAU
fi
"$bin" zkey verify network.r1cs "$ptau" circuit.zkey ||
  { echo "FAIL: our zkey verify rejects the setup's key"; exit 1; }
# The setup builds the key, contributes and exports it in one pass in memory:
# exporting its circuit.zkey again gives the same keys, byte for byte (the
# proving key's struct padding included: nothing but the points reaches it).
"$bin" zkey export-pk network.r1cs circuit.zkey pk_again.key vk_again.json
cmp -s pk_again.key proving.key && cmp -s vk_again.json verification_key.json ||
  { echo "FAIL: zkey export-pk of circuit.zkey differs from the setup's proving.key or verification_key.json"; exit 1; }
if [ "$(/usr/bin/python3 -c 'import json; print(json.load(open("circuit.json"))["constraints"] < 4096)')" = True ]; then
  "$snarkjs" zkey verify network.r1cs "$ptau" circuit.zkey >zkey.log 2>&1 ||
    { cat zkey.log; echo "FAIL: snarkjs rejects the setup's key"; exit 1; }
fi

"$snarkjs" wtns check network.r1cs witness.wtns >wtns.log 2>&1 ||
  { cat wtns.log; echo "FAIL: snarkjs wtns check rejected our witness"; exit 1; }
"$snarkjs" groth16 verify verification_key.json public.json proof.json >verify.log 2>&1 ||
  { cat verify.log; echo "FAIL: snarkjs rejected our proof"; exit 1; }

# The evaluation proof, where the fixture has labels and one output per class.
if [ -s evaluation.vk.json ]; then
  "$snarkjs" groth16 verify evaluation.vk.json evaluation.public.json evaluation.proof.json \
    >eval.log 2>&1 || { cat eval.log; echo "FAIL: snarkjs rejected the evaluation proof"; exit 1; }
fi

# Tampering: the first public signal plus one, and pi_a replaced by pi_c.
/usr/bin/python3 - <<'PY'
import json
pub = json.load(open("public.json"))
pub[0] = str(int(pub[0]) + 1)
json.dump(pub, open("public_bad.json", "w"))
proof = json.load(open("proof.json"))
proof["pi_a"] = proof["pi_c"]
json.dump(proof, open("proof_bad.json", "w"))
PY
if "$snarkjs" groth16 verify verification_key.json public_bad.json proof.json >/dev/null 2>&1; then
  echo "FAIL: snarkjs accepted a changed public signal"; exit 1
fi
if "$snarkjs" groth16 verify verification_key.json public.json proof_bad.json >/dev/null 2>&1; then
  echo "FAIL: snarkjs accepted a changed proof"; exit 1
fi
# Our own verifier agrees on all three.
"$bin" groth16 verify verification_key.json public.json proof.json
set +e
"$bin" groth16 verify verification_key.json public_bad.json proof.json; rc1=$?
"$bin" groth16 verify verification_key.json public.json proof_bad.json; rc2=$?
set -e
[ $rc1 -eq 1 ] && [ $rc2 -eq 1 ] || { echo "FAIL: our verifier exit codes $rc1 $rc2, expected 1 1"; exit 1; }
if [ $# -gt 0 ]; then
  check=$1
  shift
  /usr/bin/python3 "$check" "$csv" "$@"
fi
echo "e2e $(basename "$model"): proof checked by snarkjs, tampering rejected by both verifiers, outputs decoded from the proof"
