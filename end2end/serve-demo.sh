#!/usr/bin/env bash
# Serves a freshly generated demo for the browser tests: the debug build by
# default, the production build (target/release) with E2E_BUILD=release.
set -euo pipefail
cd "$(dirname "$0")/.."
export BERTH_DATA_DIR=target/e2e-data
export BERTH_LISTEN="127.0.0.1:${E2E_PORT:-3100}"
BIN=./target/debug/berth
if [ "${E2E_BUILD:-debug}" = release ]; then
  BIN=./target/release/berth # finds its site and asset hashes beside it
else
  export LEPTOS_SITE_ROOT=target/site
fi
$BIN demo init --force >/dev/null
# The demo's developers stay quiet: the specs make the commits they need.
exec $BIN serve --demo-commit-every 0
