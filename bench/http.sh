#!/usr/bin/env bash
# bench/http.sh [BUILD_DIR] - status-poll throughput of `zkml-registry serve`
# with wrk while a pipeline job runs in a worker, plus /healthz (no database)
# as the server's own ceiling. Appends the numbers, the commit and the job's
# state before and after to bench/RESULTS.md. Not a test: nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/server/zkml-registry
duration=${ZKML_BENCH_SECONDS:-10}
connections=${ZKML_BENCH_CONNECTIONS:-16}
model=tests/fixtures/mlp784.onnx
data=tests/fixtures/mlp784_test.csv
[ -x "$bin" ] || { echo "http.sh: no $bin (build first: make build)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "http.sh: wrk is not installed (Debian package wrk)" >&2; exit 2; }

dir=$(mktemp -d)
ZKML_CHAIN=none ZKML_API_TOKEN= "$bin" serve --listen 127.0.0.1:0 --data-dir "$dir/data" \
  > "$dir/serve.out" 2> "$dir/serve.err" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 100); do
  grep -q 'listening on' "$dir/serve.out" 2>/dev/null && break
  sleep 0.1
done
base=$(grep -o 'http://[0-9.]*:[0-9]*' "$dir/serve.out")
[ -n "$base" ] || { cat "$dir/serve.err" >&2; exit 2; }

curl -sf -F task_id=bench -F "model=@$model" -F "data=@$data" "$base/models" > /dev/null
state() { curl -sf "$base/models/bench/status" |
  /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["state"], d.get("step") or "")'; }
sleep 0.5
before=$(state)

# wrk's summary: requests/s and the latency percentiles.
run_wrk() {
  wrk -t2 -c"$connections" -d"${duration}s" --latency "$1" > "$dir/wrk.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$dir/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$dir/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$dir/wrk.txt")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$dir/wrk.txt" | tr '\n' ' ')
  echo "$rps|$p50|$p99|${errors:-none}"
}
status_row=$(run_wrk "$base/models/bench/status")
after=$(state)
health_row=$(run_wrk "$base/healthz")

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
  echo
  echo "## http status poll ($commit, $(date -u +%Y-%m-%d), bench/http.sh)"
  echo
  echo "wrk -t2 -c$connections -d${duration}s against \`$bin serve\` (1 worker, 16 HTTP threads),"
  echo "$(nproc) cores shared with other work (load average $(cut -d' ' -f1 /proc/loadavg))."
  echo "Job for $model: state at start \`$before\`, after the status run \`$after\`."
  echo
  echo "| route | requests/s | p50 | p99 | errors |"
  echo "| --- | ---: | ---: | ---: | --- |"
  IFS='|' read -r rps p50 p99 err <<< "$status_row"
  echo "| GET /models/bench/status | $rps | $p50 | $p99 | $err |"
  IFS='|' read -r rps p50 p99 err <<< "$health_row"
  echo "| GET /healthz | $rps | $p50 | $p99 | $err |"
} | tee -a bench/RESULTS.md
