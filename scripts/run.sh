#!/usr/bin/env bash
# make run: starts the service with its embedded defaults (sqlite, a local git
# repo and, once the chain client lands, a local anvil chain) on 127.0.0.1:8080.
set -euo pipefail
bin=${1:-build/server/zkml-registry}
export ZKML_DATA_DIR=${ZKML_DATA_DIR:-./data}
export ZKML_LISTEN=${ZKML_LISTEN:-127.0.0.1:8080}
export ZKML_CHAIN=${ZKML_CHAIN:-anvil}
exec "$bin" serve
