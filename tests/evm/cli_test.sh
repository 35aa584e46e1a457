#!/bin/sh
# cli_test.sh - `zkml-registry calldata` and `export-verifier` from the command
# line: the calldata text must be byte-identical to what snarkjs printed for
# the same proof, --hex must equal the export step's calldata.json, and bad
# usage must exit 2 with a message.
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
echo "evm_cli: all checks passed"
