#!/usr/bin/env bash
# three_versions.sh BIN FIXTURES
# Starts `zkml-registry serve` with ZKML_CHAIN=anvil, uploads three different
# models for one task, waits for every job, then checks with independent
# readers: /usr/bin/git sees three commits and three tags in versions.git,
# the on-chain list (answered by eth_call) matches the git history version by
# version, every version's evaluation is recorded on chain as the leaderboard
# shows, its bestVersion (onchain_best, `chain best-version`) is the
# leaderboard's leader, and after a restart every task, version and artifact
# is still there; with the chain unreachable the leaderboard says so.
set -euo pipefail
bin=$1 fixtures=$2
. "$(dirname "$0")/lib.sh"

start_server
cp "$fixtures/iris_linear.onnx" "$work/v3.onnx"
printf '\x98\x06\x01' >> "$work/v3.onnx"   # an unknown protobuf field: same model, new bytes
for model in "$fixtures/iris_linear.onnx" "$fixtures/iris_mlp.onnx" "$work/v3.onnx"; do
  curl -sf -F task_id=iris -F "model=@$model" -F "data=@$fixtures/iris_test.csv" "$base/models" \
    > "$work/upload.json" || fail "upload of $model"
done
[ "$(json 'd["version"]' < "$work/upload.json")" = 3 ] || fail "third upload is not version 3"

for v in 1 2 3; do
  for _ in $(seq 600); do
    state=$(curl -sf "$base/models/iris/status?version=$v" | json 'd["state"]')
    [ "$state" = done ] && break
    [ "$state" = failed ] && fail "version $v failed: $(curl -sf "$base/models/iris/status?version=$v")"
    sleep 0.5
  done
  [ "$state" = done ] || fail "version $v did not finish"
done

git=/usr/bin/git
repo=$work/data/versions.git
[ "$($git --git-dir="$repo" rev-list --count HEAD)" = 3 ] || fail "expected 3 commits"
[ "$($git --git-dir="$repo" tag | sort | tr '\n' ' ')" = "iris/v1 iris/v2 iris/v3 " ] || fail "expected 3 tags"
$git --git-dir="$repo" ls-tree -r --name-only iris/v3 | grep -q 'model.onnx' && fail "weights in git"

curl -sf "$base/models/iris/versions" > "$work/history.json"
curl -sf "$base/models/iris/versions/onchain" > "$work/onchain.json"
/usr/bin/python3 - "$work/history.json" "$work/onchain.json" "$repo" "$base" <<'PY' || fail "history and chain differ"
import json, subprocess, sys, urllib.request
hist = json.load(open(sys.argv[1]))["versions"]
chain = json.load(open(sys.argv[2]))
assert chain["count"] == 3 == len(hist), (chain["count"], len(hist))
for h, c in zip(sorted(hist, key=lambda v: v["version"]), chain["versions"]):
    assert h["version"] == c["version"], (h, c)
    assert h["model_hash"] == c["model_hash"], (h, c)
    # The history's vk_hash is SHA-256 of verification_key.json; the chain's is
    # keccak-256 of the key words. chain.json records both.
    record = json.load(urllib.request.urlopen(
        f"{sys.argv[4]}/models/iris/artifacts/chain.json?version={h['version']}"))
    assert h["vk_hash"] == record["vk_json_sha256"], (h, record)
    for field in ("model_hash", "circuit_hash", "settings_hash", "vk_hash", "signals_hash"):
        assert record[field] == c[field], (field, record, c)
    assert record["verifier_address"] == c["verifier"], (record, c)
    manifest = json.loads(subprocess.check_output(
        ["/usr/bin/git", "--git-dir", sys.argv[3], "show", f"iris/v{h['version']}:tasks/iris/manifest.json"]))
    assert manifest["model_hash"] == c["model_hash"], manifest
print("history and chain agree on", len(hist), "versions")
PY

# The evaluations are on chain too: each ranked version of the leaderboard
# shows its recorded evaluation, whose figures are its proof's signals, and
# the last one recorded saw the leaderboard's leader as bestVersion.
curl -sf "$base/models/iris/leaderboard" > "$work/board.json"
/usr/bin/python3 - "$work/board.json" "$base" <<'PY' || fail "leaderboard and chain differ"
import json, sys, urllib.request
board = json.load(open(sys.argv[1]))
assert len(board["groups"]) == 1 and not board["unranked"], board
group = board["groups"][0]
rows = group["versions"]
assert len(rows) == 3, rows
for r in rows:
    o = r["onchain"]
    pub = json.load(urllib.request.urlopen(
        f"{sys.argv[2]}/models/iris/artifacts/evaluation.public.json?version={r['version']}"))
    assert o["status"] == "recorded", o
    assert o["dataset_commitment"] == pub[0] == group["dataset_commitment"], (o, pub)
    assert (o["rows"], o["correct"]) == (int(pub[2]), int(pub[3])), (o, pub)
    assert o["onchain_version"] == r["version"] and o["vk_hash"] and o["verifier"].startswith("0x"), o
last = max(rows, key=lambda r: r["onchain"]["block"])
assert last["onchain"]["best_version"] == rows[0]["version"], (last, rows[0])
print("leaderboard: 3 evaluations recorded on chain, leader", rows[0]["version"])
PY

# bestVersion read live: the group's onchain_best, and `chain best-version`
# against the same anvil (its port from the server's child), are the
# leaderboard's leader with its recorded figures.
port=$(ps -o args= --ppid "$pid" | grep -o -- '--port [0-9]*' | head -1 | cut -d' ' -f2)
[ -n "$port" ] || fail "no anvil child of the server"
registry=$(json 'd["groups"][0]["onchain_best"]["registry_address"]' < "$work/board.json")
commitment=$(json 'd["groups"][0]["dataset_commitment"]' < "$work/board.json")
ZKML_CHAIN= "$bin" chain best-version iris "$commitment" --rpc-url "http://127.0.0.1:$port" \
  --registry "$registry" > "$work/best.json" || fail "chain best-version"
/usr/bin/python3 - "$work/board.json" "$work/best.json" <<'PY' || fail "onchain_best differs"
import json, sys
board, cli = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
group = board["groups"][0]
best, leader = group["onchain_best"], group["versions"][0]
assert best["status"] == "recorded" and best["version"] == leader["version"], (best, leader)
assert best["onchain_version"] == leader["onchain"]["onchain_version"], (best, leader)
for f in ("dataset_commitment", "rows", "correct", "vk_hash", "verifier", "timestamp"):
    assert best[f] == leader["onchain"][f], (f, best, leader)
assert (best["registry_address"], best["chain_id"]) == (cli["registry_address"], cli["chain_id"]), (best, cli)
b = cli["best"][0]
assert cli["task_id"] == "iris" and b["version"] == best["onchain_version"], cli
for f in ("dataset_commitment", "metric", "rows", "correct", "vk_hash", "verifier", "timestamp"):
    assert b[f] == best[f], (f, b, best)
print("bestVersion: leaderboard and CLI name version", best["version"])
PY
"$bin" chain best-version --help | grep -q 'bestVersion(TASK_ID, DATASET_COMMITMENT)' || fail "best-version --help"
err=$(ZKML_CHAIN= "$bin" chain best-version iris "$commitment" --rpc-url "http://127.0.0.1:$port" \
  --registry 0x0000000000000000000000000000000000000001 2>&1) && fail "a registry without code"
echo "$err" | grep -q "no contract at registry address" || fail "registry without code: $err"
err=$(ZKML_CHAIN= "$bin" chain best-version iris 12ab --rpc-url "http://127.0.0.1:$port" \
  --registry "$registry" 2>&1) && fail "a malformed commitment"
echo "$err" | grep -q "dataset commitment '12ab'" || fail "malformed commitment: $err"

# The model hash on chain is SHA-256 of the uploaded bytes, computed here independently.
want=$(sha256sum "$fixtures/iris_mlp.onnx" | cut -d' ' -f1)
[ "$(json 'd["versions"][1]["model_hash"]' < "$work/onchain.json")" = "$want" ] || fail "model hash of v2"
# Every registration of that hash over REST; a malformed hash is a 400.
[ "$(curl -sf "$base/models/by-hash/$want/onchain" |
     json '" ".join(r["task_id"] + "/" + str(r["version"]) for r in d["registrations"])')" = "iris/2" ] ||
  fail "by-hash lookup of v2's model"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/models/by-hash/12ab/onchain")" = 400 ] ||
  fail "a malformed model hash is not a 400"

curl -sf "$base/models/iris/artifacts/proof.json?version=2" > "$work/proof_before.json"
stop_server
start_server
curl -sf "$base/models/iris/artifacts/proof.json?version=2" | cmp - "$work/proof_before.json" ||
  fail "proof.json changed across a restart"
[ "$(curl -sf "$base/models/iris/versions/onchain" | json 'd["count"]')" = 3 ] ||
  fail "on-chain versions lost across a restart"
[ "$(curl -sf "$base/models/iris" | json 'len(d["versions"])')" = 3 ] || fail "versions lost across a restart"
# With the chain unreachable the leaderboard still answers, saying why
# onchain_best is missing.
stop_server
start_server ZKML_CHAIN=rpc ZKML_RPC_URL=http://127.0.0.1:9 \
  ZKML_PRIVATE_KEY_FILE="$work/data/chain/dev.key" ZKML_REGISTRY_ADDRESS="$registry"
code=$(curl -s -o "$work/board.json" -w '%{http_code}' "$base/models/iris/leaderboard")
[ "$code" = 200 ] || fail "leaderboard with the chain unreachable: HTTP $code"
[ "$(json 'd["groups"][0]["onchain_best"]["status"]' < "$work/board.json")" = unavailable ] &&
  json 'd["groups"][0]["onchain_best"]["error"]' < "$work/board.json" | grep -q unreachable ||
  fail "onchain_best with the chain unreachable: $(cat "$work/board.json")"
echo "service: 3 versions, 3 commits, 3 tags, chain matches history, restart kept everything"
