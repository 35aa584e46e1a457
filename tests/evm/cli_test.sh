#!/bin/sh
# cli_test.sh - `zkml-registry calldata` and `export-verifier` from the command
# line: the calldata text must be byte-identical to what snarkjs printed for
# the same proof, --hex must equal the export step's calldata.json, and bad
# usage must exit 2 with a message; a key with a point off the curve or
# outside G2's order-r subgroup must be refused with the field named.
# Usage: cli_test.sh ZKML_REGISTRY EVM_TOOL FIXTURES_DIR
set -eu
bin=$1 tool=$2 fixtures=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for dir in "$fixtures"/n*; do
    name=$(basename "$dir")
    "$bin" calldata "$dir/proof.json" "$dir/public.json" > "$work/text" || fail "$name: calldata"
    cmp -s "$work/text" "$dir/snarkjs_soliditycalldata.txt" || fail "$name: calldata differs from snarkjs"
    mkdir "$work/$name"
    cp "$dir/verification_key.json" "$dir/proof.json" "$dir/public.json" "$work/$name/"
    "$tool" export "$work/$name" || fail "$name: export step"
    hex=$("$bin" calldata "$dir/proof.json" "$dir/public.json" --hex)
    grep -q "\"hex\":[[:space:]]*\"$hex\"" "$work/$name/calldata.json" || fail "$name: --hex differs from calldata.json"
    "$bin" export-verifier "$dir/verification_key.json" "$work/$name/cli.sol" --abi "$work/$name/cli.abi.json" \
        || fail "$name: export-verifier"
    cmp -s "$work/$name/cli.sol" "$work/$name/Verifier.sol" || fail "$name: export-verifier differs from the export step"
    cmp -s "$work/$name/cli.abi.json" "$work/$name/Verifier.abi.json" || fail "$name: --abi differs from the export step"
done

"$bin" calldata --help > /dev/null || fail "calldata --help"
"$bin" export-verifier --help > /dev/null || fail "export-verifier --help"
for args in "calldata" "calldata only_one.json" "export-verifier" "calldata a b --bogus"; do
    set +e
    # shellcheck disable=SC2086
    "$bin" $args > /dev/null 2> "$work/err"
    rc=$?
    set -e
    [ "$rc" = 2 ] && [ -s "$work/err" ] || fail "'$args' exited $rc without a message"
done
set +e
"$bin" calldata "$work/missing.json" "$fixtures/n1/public.json" 2> "$work/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "missing.json" "$work/err" || fail "a missing file is not named"

# export-verifier reads the key with pipeline/snark's checked reader. (1, 3) is
# not on y^2 = x^3 + 3. x = 2 + u with this y is on the twist
# y^2 = x^3 + 3/(9 + u) but not in G2 (r times it is not infinity; computed
# once with Python integers), the point a small-subgroup attack would use.
bad_vk() {
    node -e 'const fs = require("fs"); const vk = JSON.parse(fs.readFileSync(process.argv[1]));
             vk[process.argv[2]] = JSON.parse(process.argv[3]);
             fs.writeFileSync(process.argv[4], JSON.stringify(vk, null, 1));' \
        "$fixtures/n2/verification_key.json" "$1" "$2" "$work/bad_vk.json"
    set +e
    "$bin" export-verifier "$work/bad_vk.json" "$work/bad.sol" 2> "$work/err"
    rc=$?
    set -e
    [ "$rc" = 2 ] && grep -q "$3" "$work/err" && [ ! -e "$work/bad.sol" ] \
        || fail "export-verifier accepted $1 = $2 (exit $rc: $(cat "$work/err"))"
}
bad_vk vk_alpha_1 '["1", "3", "1"]' "vk_alpha_1: the point is not on the BN254 curve"
bad_vk IC '[["1", "2", "1"], ["1", "3", "1"], ["1", "2", "1"]]' "IC\\[1\\]: the point is not on the BN254 curve"
bad_vk vk_delta_2 '[["2", "1"],
    ["7292567877523311580221095596750716176434782432868683424513645834767876293070",
     "19659275751359636165940301690575149581329631496732780143538578556285923319774"],
    ["1", "0"]]' "vk_delta_2: the point is not in the order-r subgroup"
echo "evm_cli: all checks passed"
