#!/usr/bin/env bash
# Installs what zkml-registry needs on Debian 12, and nothing that is already there.
# Idempotent: a second run on a ready machine only checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libcivetweb-dev libsqlite3-dev libgit2-dev libcjson-dev libcurl4-openssl-dev
  libsecp256k1-dev libprotobuf-c-dev protobuf-c-compiler
  sqlite3 curl ca-certificates
  libssl-dev libonnx-testdata python3 python3-onnx python3-numpy python3-sklearn
  chromium wrk
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from Debian or from another vendor's package (which bundles npm
# and conflicts with Debian's npm), so it is checked by command, not by package.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node tools pinned in package-lock.json: anvil, snarkjs, solc, playwright-core.
if [ ! -x node_modules/.bin/snarkjs ] || [ ! -x node_modules/.bin/anvil ] || \
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: installing Node tools (versions from package-lock.json)"
  # Not `npm ci`: npm 11 refuses a lock file that records only this platform's
  # build of anvil. `npm install --no-save` installs the locked versions and
  # leaves package.json and package-lock.json untouched.
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
# The web app's own npm dependencies, pinned in web/package-lock.json and
# installed inside web/ only (SvelteKit, Vite, Vitest, snarkjs, axe-core).
if [ ! -x web/node_modules/.bin/vite ] || \
   [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "bootstrap: installing the web app's npm dependencies (versions from web/package-lock.json)"
  (cd web && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
echo "bootstrap: ready"
