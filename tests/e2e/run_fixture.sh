#!/usr/bin/env bash
# run_fixture.sh BIN SNARKJS MODEL CSV [CHECK ARGS...]
# Runs `zkml-registry run` on one fixture, then lets snarkjs judge the result:
# the witness satisfies the circuit, the proof verifies, and a proof for a
# changed public signal or a changed proof point does not. CHECK, a python
# script, then runs in the output directory with CSV and ARGS.
set -euo pipefail
bin=$1 snarkjs=$2 model=$3 csv=$4
shift 4
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$bin" run "$model" --data "$csv" --sample 1 --out "$out/a"
cd "$out/a"
for f in settings.json calibration.json network.r1cs circuit.json input.json witness.wtns \
         output.json proving.key verification_key.json proof.json public.json verify.json \
         Verifier.sol Verifier.abi.json calldata.json; do
  [ -s "$f" ] || { echo "FAIL: $f missing or empty"; exit 1; }
done
grep -q '"valid": *true' verify.json || { echo "FAIL: verify.json does not say valid"; exit 1; }

"$snarkjs" wtns check network.r1cs witness.wtns >wtns.log 2>&1 ||
  { cat wtns.log; echo "FAIL: snarkjs wtns check rejected our witness"; exit 1; }
"$snarkjs" groth16 verify verification_key.json public.json proof.json >verify.log 2>&1 ||
  { cat verify.log; echo "FAIL: snarkjs rejected our proof"; exit 1; }

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
echo "e2e $(basename "$model"): proof checked by snarkjs, tampering rejected by both verifiers"
