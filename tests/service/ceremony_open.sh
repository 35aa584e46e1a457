#!/usr/bin/env bash
# ceremony_open.sh BIN FIXTURES SNARKJS GEN TAMPER
# An open phase-2 ceremony through the HTTP API, with a real server (embedded
# anvil chain, an API token) and snarkjs as the contributors' tool and the oracle:
#  - an upload with ceremony=open stops in awaiting_contributions after setup;
#  - the latest key needs the token (401 without it or with a wrong one);
#  - contributions made with `snarkjs zkey contribute` are accepted without the
#    token, their hashes as snarkjs printed them; two made from the same key and
#    sent at once: one accepted, the other a 409 naming the winner's hash;
#  - refused with a 400 naming the check: a changed delta, a broken transcript
#    hash chain, a key for another circuit, a stale key, bytes that are no .zkey;
#    413 for a body above the size limit; finalize without the token is a 401;
#  - the checks run under the job memory limit: with 1 MiB, a 413 naming it;
#  - finalize (the default beacon: the latest contribution's hash) re-queues the
#    job, which proves, verifies and registers on anvil;
#  - afterwards contributions and finalize are 409s, `snarkjs zkey verify`
#    accepts the final key against the ptau and the r1cs, and `snarkjs groth16
#    verify` accepts the version's proof with snarkjs's own export of the vk.
set -euo pipefail
bin=$1 fixtures=$2 snarkjs=$3 gen=$4 tamper=$5
token=ceremony-test-token
. "$(dirname "$0")/lib.sh"
sj() { "$snarkjs" "$@" > "$work/sj.log" 2>&1 || fail "snarkjs $*: $(tail -5 "$work/sj.log")"; }

start_server ZKML_API_TOKEN=$token
auth="Authorization: Bearer $token"
c=$base/models/iris/versions/1/ceremony

# call EXPECTED_STATUS MESSAGE_PART CURL_ARGS...: the status, and the part in the body
call() {
  local want=$1 part=$2 got; shift 2
  got=$(curl -s -o "$work/body" -w '%{http_code}' "$@")
  [ "$got" = "$want" ] || fail "$* answered $got, not $want: $(cat "$work/body")"
  grep -q -- "$part" "$work/body" || fail "$*: no '$part' in $(cat "$work/body")"
}
post_key() { curl -s -o "$2" -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
               --data-binary "@$1" "$c/contributions"; }
wait_state() {
  for _ in $(seq 600); do
    state=$(curl -sf "$base/models/iris/status?version=1" | json 'd["state"]')
    [ "$state" = "$1" ] && return 0
    [ "$state" = failed ] && fail "the job failed: $(curl -sf "$base/models/iris/status?version=1")"
    sleep 0.5
  done
  fail "the job did not reach $1 (it is $state)"
}
# The hash snarkjs printed for its contribution, as one hex string.
sj_hash() {
  /usr/bin/python3 -c '
import re, sys
t = sys.stdin.read().split("Contribution Hash:")[1]
print("".join(re.findall(r"\b[0-9a-f]{8}\b", t)[:16]))' < "$work/sj.log"
}
contribute() { # contribute IN OUT NAME: with snarkjs, and its printed hash
  sj zkey contribute "$1" "$2" --name="$3" -e="entropy of $3"
  sj_hash
}

# ---- the upload stops after setup ---------------------------------------------
call 202 '"version":1' -H "$auth" -F task_id=iris -F "model=@$fixtures/iris_linear.onnx" \
  -F "data=@$fixtures/iris_test.csv" -F ceremony=open "$base/models"
wait_state awaiting_contributions
curl -sf "$base/models/iris/status?version=1" | json '" ".join(s["name"] + "=" + s["state"] for s in d["steps"])' \
  > "$work/steps"
grep -q "setup=done prove=queued" "$work/steps" || fail "steps while awaiting: $(cat "$work/steps")"
call 400 "ceremony must be open" -H "$auth" -F task_id=other -F "model=@$fixtures/iris_mlp.onnx" \
  -F ceremony=maybe "$base/models"

call 200 '"state":"open"' "$c"
[ "$(json 'len(d["contributions"])' < "$work/body")" = 1 ] || fail "the setup made not one contribution"

# ---- the latest key is private --------------------------------------------------
call 401 "needs 'Authorization" "$c/zkey"
call 401 "not valid" -H "Authorization: Bearer wrong" "$c/zkey"
curl -sf -H "$auth" "$c/zkey" -o "$work/k1.zkey" || fail "GET zkey with the token"
cmp -s "$work/k1.zkey" "$work/data/artifacts/iris/v1/circuit.zkey" || fail "zkey differs from circuit.zkey"

# ---- one contribution, from anyone ----------------------------------------------
h2=$(contribute "$work/k1.zkey" "$work/k2.zkey" alice)
[ "$(post_key "$work/k2.zkey" "$work/body")" = 200 ] || fail "alice's contribution: $(cat "$work/body")"
[ "$(json 'd["accepted"]["name"] + " " + d["accepted"]["hash"]' < "$work/body")" = "alice $h2" ] ||
  fail "accepted contribution is not alice's with snarkjs's hash $h2: $(cat "$work/body")"

# ---- two contributions to the same key at once: one wins ------------------------
curl -sf -H "$auth" "$c/zkey" -o "$work/k2s.zkey"
hb=$(contribute "$work/k2s.zkey" "$work/kb.zkey" bob)
hc=$(contribute "$work/k2s.zkey" "$work/kc.zkey" carol)
post_key "$work/kb.zkey" "$work/rb" > "$work/sb" & p1=$!
post_key "$work/kc.zkey" "$work/rc" > "$work/sc" & p2=$!
wait $p1 $p2
pair="$(cat "$work/sb") $(cat "$work/sc")"
case $pair in
  "200 409") win=$hb; loser=$work/rc; stale=$work/kc.zkey; winner=bob ;;
  "409 200") win=$hc; loser=$work/rb; stale=$work/kb.zkey; winner=carol ;;
  *) fail "two racing contributions answered $pair: $(cat "$work/rb") / $(cat "$work/rc")" ;;
esac
grep -q "$win" "$loser" || fail "the 409 does not name the winner's hash $win: $(cat "$loser")"
# the loser's key sent again: a 400 saying it was made from the key before the winner's
call 400 "made from the key before contribution #3 (.*$winner.*), accepted since" \
  --data-binary "@$stale" "$c/contributions"

# ---- refused contributions ------------------------------------------------------
curl -sf -H "$auth" "$c/zkey" -o "$work/k3.zkey"
hd=$(contribute "$work/k3.zkey" "$work/kd.zkey" dave)
/usr/bin/python3 "$tamper" "$work/kd.zkey" "$work/bad.zkey" delta1
call 400 "delta (G1)" --data-binary "@$work/bad.zkey" "$c/contributions"
/usr/bin/python3 "$tamper" "$work/kd.zkey" "$work/bad.zkey" chain_last
call 400 "broken hash chain" --data-binary "@$work/bad.zkey" "$c/contributions"
/usr/bin/python3 "$tamper" "$work/kd.zkey" "$work/bad.zkey" chain
call 400 "contribution #1 differs" --data-binary "@$work/bad.zkey" "$c/contributions"
ptau=$(ls "$work"/data/ptau/local_power*.ptau)
"$gen" 40 1 2 1 "$work/other.r1cs" "$work/other.wtns" > /dev/null
sj groth16 setup "$work/other.r1cs" "$ptau" "$work/o0.zkey"
contribute "$work/o0.zkey" "$work/o1.zkey" mallory > /dev/null
call 400 "another circuit" --data-binary "@$work/o1.zkey" "$c/contributions"
call 400 "contribution count" --data-binary "@$work/k2.zkey" "$c/contributions"
head -c 5000 /dev/urandom > "$work/junk"
call 400 "not a Groth16 .zkey: the contribution" --data-binary "@$work/junk" "$c/contributions"
grep -q "$work" "$work/body" && fail "a message names the server's paths: $(cat "$work/body")"
head -c $(( $(stat -c %s "$work/k3.zkey") + 8192 )) /dev/zero > "$work/big"
call 413 "above the limit" --data-binary "@$work/big" "$c/contributions"

# ---- the checks run in a child under the job limits, not in the server ------------
# With a job memory limit of 1 MiB the check of a valid key cannot run: a 413
# naming the limit, nothing adopted. In the server's own process (as before)
# no job limit applied and the key was accepted.
stop_server
start_server ZKML_API_TOKEN=$token ZKML_JOB_MEMORY_MB=1
c=$base/models/iris/versions/1/ceremony # a new port
latest=$(curl -sf "$c" | json 'd["latest_hash"]')
call 413 "(ZKML_JOB_MEMORY_MB=1)" \
  --data-binary "@$work/kd.zkey" "$c/contributions"
[ "$(curl -sf "$c" | json 'd["latest_hash"]')" = "$latest" ] || fail "a key over the limit was adopted"
stop_server
start_server ZKML_API_TOKEN=$token
c=$base/models/iris/versions/1/ceremony
[ "$(post_key "$work/kd.zkey" "$work/body")" = 200 ] || fail "dave's contribution: $(cat "$work/body")"
ls "$work"/data/uploads | grep -q contribution && fail "a staged contribution was left behind"

# ---- finalize: the operator only ------------------------------------------------
call 401 "only the operator" -X POST "$c/finalize"
call 400 "iterations_exp" -H "$auth" -d '{"iterations_exp": 64}' "$c/finalize"
call 400 "beacon" -H "$auth" -d '{"beacon": "xyz"}' "$c/finalize"
call 202 '"state":"finalized"' -H "$auth" -X POST "$c/finalize"
[ "$(json 'd["beacon"]["beacon"]' < "$work/body")" = "$hd" ] ||
  fail "the default beacon is not the latest contribution's hash $hd: $(cat "$work/body")"
wait_state done
curl -sf "$base/models/iris/status?version=1" | json '[s["state"] for s in d["steps"] if s["name"]=="register"][0]' |
  grep -qx done || fail "register did not run"
[ "$(curl -sf "$base/models/iris/versions/onchain" | json 'd["count"]')" = 1 ] || fail "not registered on anvil"

# ---- closed: 409s; the final key and the proof checked by snarkjs ----------------
call 409 "finalized" --data-binary "@$work/kd.zkey" "$c/contributions"
call 409 "finalized" -H "$auth" -X POST "$c/finalize"
call 200 '"state":"finalized"' "$c"
[ "$(json '" ".join(x["name"] for x in d["contributions"])' < "$work/body")" = \
  "zkml-registry service alice $( [ "$win" = "$hb" ] && echo bob || echo carol) dave final beacon" ] ||
  fail "transcript: $(cat "$work/body")"
curl -sf -H "$auth" "$c/zkey" -o "$work/final.zkey"
curl -sf -H "$auth" "$base/models/iris/artifacts/network.r1cs?version=1" -o "$work/net.r1cs"
"$snarkjs" zkey verify "$work/net.r1cs" "$ptau" "$work/final.zkey" > "$work/verify.log" 2>&1 ||
  fail "snarkjs zkey verify refuses the final key: $(tail -5 "$work/verify.log")"
grep -q "ZKey Ok" "$work/verify.log" || fail "snarkjs zkey verify: $(tail -5 "$work/verify.log")"
sj zkey export verificationkey "$work/final.zkey" "$work/vk.json"
for f in proof.json public.json; do
  curl -sf "$base/models/iris/artifacts/$f?version=1" -o "$work/$f" || fail "GET $f"
done
sj groth16 verify "$work/vk.json" "$work/public.json" "$work/proof.json"
grep -q "OK" "$work/sj.log" || fail "snarkjs groth16 verify: $(cat "$work/sj.log")"
echo "ceremony: 3 outside contributions accepted, 1 racing one and 7 bad ones refused," \
     "finalized, proven with the final key, registered on anvil"
