#!/bin/sh
# cli_test.sh ZKML_REGISTRY - the run / migrate / <step> commands: --help,
# exit codes (0 success, 2 an error), migrations applied once, and `run`
# copying its inputs before the first step.
set -u
bin=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zkml-cli-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "cli_test: $*" >&2; exit 1; }

for cmd in run migrate settings calibrate compile witness setup prove verify export; do
  "$bin" $cmd --help > "$tmp/help" || fail "$cmd --help exited $?"
  grep -q "usage: zkml-registry $cmd" "$tmp/help" || fail "$cmd --help: no usage line"
  "$bin" $cmd --no-such-flag x 2> /dev/null; [ $? -eq 2 ] || fail "$cmd with a bad flag: not exit 2"
done
"$bin" run 2> /dev/null; [ $? -eq 2 ] || fail "run without a model: not exit 2"
"$bin" prove 2> /dev/null; [ $? -eq 2 ] || fail "prove without --dir: not exit 2"
"$bin" settings --dir "$tmp/d" --sample -3 2> /dev/null; [ $? -eq 2 ] || fail "negative sample accepted"

out=$("$bin" migrate --data-dir "$tmp/data") || fail "migrate exited $?"
echo "$out" | grep -Eq "applied [1-9][0-9]* migrations?;" || fail "first migrate: $out"
out=$("$bin" migrate --data-dir "$tmp/data") || fail "second migrate exited $?"
echo "$out" | grep -q "applied 0 migrations" || fail "second migrate: $out"
ZKML_DATA_DIR="$tmp/env" "$bin" migrate > /dev/null || fail "migrate with ZKML_DATA_DIR"
[ -f "$tmp/env/registry.db" ] || fail "ZKML_DATA_DIR not used"

# run copies the inputs, then the first step decides; a missing model is an error
printf 'not onnx' > "$tmp/m.onnx"
printf 'a,label\n1,0\n' > "$tmp/d.csv"
"$bin" run "$tmp/m.onnx" --data "$tmp/d.csv" --out "$tmp/out" > /dev/null 2> "$tmp/err"
[ $? -eq 2 ] || fail "run on a bad model: not exit 2"
cmp -s "$tmp/m.onnx" "$tmp/out/model.onnx" || fail "run did not copy the model"
cmp -s "$tmp/d.csv" "$tmp/out/data.csv" || fail "run did not copy the CSV"
grep -q "step settings" "$tmp/err" || fail "run error does not name the step: $(cat "$tmp/err")"
"$bin" run "$tmp/missing.onnx" --out "$tmp/out2" 2> /dev/null; [ $? -eq 2 ] || fail "missing model"
echo "cli_test: ok"
