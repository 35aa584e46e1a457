# lib.sh - what the service tests share; source it after setting bin (the
# zkml-registry binary). It makes $work (removed at exit, with the server
# stopped) and defines:
#   start_server [VAR=value...]  serve on a free loopback port with the
#                                embedded anvil chain, the variables added to
#                                its environment; sets pid and base (its URL)
#   stop_server, fail MESSAGE, json PYTHON_EXPR (reads JSON on stdin as d)
work=$(mktemp -d)
pid=
stop_server() {
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}
trap 'stop_server; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; [ -f "$work/serve.err" ] && tail -20 "$work/serve.err"; exit 1; }

start_server() {
  : > "$work/serve.out"
  env ZKML_CHAIN=anvil ZKML_API_TOKEN= "$@" "$bin" serve --listen 127.0.0.1:0 \
    --data-dir "$work/data" >> "$work/serve.out" 2>> "$work/serve.err" &
  pid=$!
  for _ in $(seq 300); do
    base=$(grep -o 'http://[0-9.]*:[0-9]*' "$work/serve.out" || true)
    [ -n "$base" ] && return 0
    kill -0 "$pid" 2>/dev/null || fail "server exited at start"
    sleep 0.2
  done
  fail "server did not start"
}

json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
