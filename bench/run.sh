#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR] - every benchmark, each against its peer in the same
# run, each appending its table with the commit to bench/RESULTS.md:
#   snark_math  BN254 field, group and pairing operations
#   compile     settings/calibrate/compile/witness per fixture and issue 15's CNN
#               (bench/models/cifar_cnn.py) vs the float evaluator
#   groth16     our prover vs `snarkjs groth16 prove` (ZKML_BENCH_MAX_LOG, default 18;
#               snarkjs up to ZKML_BENCH_SNARKJS_MAX_LOG, default 16)
#   ceremony    phase-2 setup and contribution from a ptau vs snarkjs (ZKML_BENCH_CEREMONY_MAX_LOG,
#               default 16)
#   gas         verifier size and gas on anvil (Verifier.sol vs the keyed verifier)
#   http        status-poll throughput with wrk while a job runs
#   evaluate    the accuracy proof over mlp64's 300 rows and mlp784's 100 (time, CPU,
#               memory, constraints per row, Poseidon per permutation)
#   pipeline    every fixture and issue 15's CNN through `zkml-registry run` (each
#               step's time and peak memory)
#   rapidsnark  our prover vs iden3's rapidsnark, when RAPIDSNARK names its built prover
#   proofs      POST .../proofs: latency, proofs/s and status polls, 2 workers
# `make bench` builds the Release tree first. Not a test: nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
results=$PWD/bench/RESULTS.md
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

cmake --build "$build" -j "$(nproc)" --target bench_snark_math bench_compile evm_tool zkml-registry poseidon_cost

echo "== snark_math"
{
  printf '\n## snark_math (%s, %s)\n\n```\n' "$commit" "$(date -u +%F)"
  "$build/bench/snark_math/bench_snark_math"
  printf '```\n'
} | tee -a "$results"

echo "== compile"
cnn=$(mktemp -d)
/usr/bin/python3 bench/models/cifar_cnn.py "$cnn"
"$build/bench/compile/bench_compile" "$results" "$cnn"
rm -rf "$cnn"

echo "== groth16"
bash bench/groth16/run.sh "${ZKML_BENCH_MAX_LOG:-18}" "${ZKML_BENCH_SNARKJS_MAX_LOG:-16}"

echo "== ceremony"
bash bench/ceremony/run.sh "${ZKML_BENCH_CEREMONY_MAX_LOG:-16}" "${ZKML_BENCH_CEREMONY_MAX_LOG:-16}"

echo "== gas"
node bench/gas/gas_bench.js "$build"

echo "== http"
bash bench/http.sh "$build"

echo "== evaluate"
bash bench/evaluate.sh "$build"

echo "== pipeline"
sh bench/pipeline.sh

if [ -n "${RAPIDSNARK:-}" ]; then
  echo "== rapidsnark"
  sh bench/groth16/rapidsnark.sh
else
  echo "== rapidsnark: skipped (set RAPIDSNARK to rapidsnark's built prover)"
fi

echo "== proofs"
{
  printf '\n## proofs of new inputs (%s, %s, bench/proofs.mjs, 2 workers)\n\n' "$commit" "$(date -u +%F)"
  node bench/proofs.mjs "$build/server/zkml-registry" 100
} | tee -a "$results"
