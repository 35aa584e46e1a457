#!/usr/bin/env bash
# chain_cli_test.sh - `zkml-registry chain deploy-registry | status | versions`
# against a real anvil on a free loopback port (stopped on exit).
# Usage: chain_cli_test.sh ZKML_REGISTRY_BINARY ANVIL_BINARY
set -euo pipefail
bin=$1
anvil=$2
work=$(mktemp -d)
anvil_pid=
cleanup() {
  if [ -n "$anvil_pid" ]; then kill "$anvil_pid" 2>/dev/null || true; wait "$anvil_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$anvil" --host 127.0.0.1 --port "$port" >"$work/anvil.log" 2>&1 &
anvil_pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 100); do
  curl -s -m 1 -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$url" >/dev/null && break
  sleep 0.1
done

printf '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n' >"$work/key"
chmod 600 "$work/key"

# deploy-registry prints exactly the address; anvil agrees there is code there.
address=$(ZKML_RPC_URL=$url ZKML_PRIVATE_KEY_FILE=$work/key "$bin" chain deploy-registry)
[[ $address =~ ^0x[0-9a-f]{40}$ ]] || fail "deploy-registry printed '$address'"
code=$(curl -s -H 'Content-Type: application/json' \
  -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getCode\",\"params\":[\"$address\",\"latest\"]}" "$url")
[[ $code == *'"result":"0x6'* ]] || fail "no code at $address: $code"

status=$(ZKML_CHAIN=rpc ZKML_RPC_URL=$url ZKML_PRIVATE_KEY_FILE=$work/key ZKML_REGISTRY_ADDRESS=$address "$bin" chain status)
[[ $status == *'"registry_has_code":true'* ]] || fail "status: $status"
[[ $status == *'"chain_id":31337'* ]] || fail "status: $status"
[[ $status != *ac0974* ]] || fail "status shows the key"

versions=$("$bin" chain versions iris --rpc-url "$url" --registry "$address")
[[ $versions == *'"count":0'* ]] || fail "versions: $versions"

# A key file others can read is refused, with exit code 2 and no key in the message.
chmod 644 "$work/key"
set +e
out=$("$bin" chain deploy-registry --rpc-url "$url" --key-file "$work/key" 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] || fail "deploy-registry with a 0644 key exited $rc"
[[ $out == *"readable by group or others"* ]] || fail "message: $out"
[[ $out != *ac0974* ]] || fail "the message shows the key"

# No chain at all: a clear error, not a hang.
set +e
out=$(env -u ZKML_RPC_URL -u ZKML_CHAIN "$bin" chain deploy-registry 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] || fail "deploy-registry without a chain exited $rc"
echo "chain cli: all checks passed"
