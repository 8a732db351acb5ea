#!/usr/bin/env bash
# Serves a freshly generated demo for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export BERTH_DATA_DIR=target/e2e-data
export BERTH_LISTEN="127.0.0.1:${E2E_PORT:-3100}"
export LEPTOS_SITE_ROOT=target/site
./target/debug/berth demo init --force >/dev/null
exec ./target/debug/berth serve
