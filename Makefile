# Berth: `make run` serves the dashboard on the embedded demo,
# `make test` runs every check. Both install what is missing first.

SHELL := /bin/bash
.DEFAULT_GOAL := run
.PHONY: run test build release tools node-tools browser lint unit e2e e2e-release bench fuzz clean

CARGO_LEPTOS_VERSION := 0.3.8
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/version = "\(.*\)"/\1/p}' Cargo.lock)
E2E_PORT ?= 3100
FUZZ_SECONDS ?= 30
# cargo-leptos compiles with this set; plain cargo must match or it rebuilds.
export LEPTOS_OUTPUT_NAME := berth

# How the wasm half is compiled on this machine: with rustup's wasm32
# target, or, where rustup cannot fetch it, with Debian's rustc and std
# sources (build-std). Decided once; delete target/toolchain.mk to redo.
include target/toolchain.mk

target/toolchain.mk:
	@mkdir -p target
	@if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
	    || rustup target add wasm32-unknown-unknown; then \
	  echo '# rustup provides the wasm32 target.' > $@; \
	else \
	  echo 'rustup cannot fetch wasm32-unknown-unknown: using Debian rustc-web with build-std.'; \
	  apt-get update -qq && apt-get install -y -qq rustc-web cargo-web rust-web-src rust-web-clippy; \
	  { echo '# Debian rustc-web builds everything, std for wasm from source.'; \
	    echo 'export RUSTC := /usr/bin/rustc'; \
	    echo 'export RUSTC_BOOTSTRAP := 1'; \
	    echo "export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER := $$(rustc +stable --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"; \
	    echo 'LIB_CARGO_ARGS := --lib-cargo-args=-Zbuild-std=std,panic_abort'; \
	    echo 'CLIPPY := /usr/bin/cargo-clippy clippy'; } > $@; \
	fi

CLIPPY ?= cargo clippy
# Pages other than the overview are wasm chunks of their own (lazy routes).
LEPTOS_BUILD := cargo leptos build --split $(LIB_CARGO_ARGS)
# Node tools pinned in end2end/package.json: Playwright, and binaryen's
# wasm-opt for release builds (Debian's binaryen 108 emits a module that
# Chromium refuses, so the registry's is used on every machine).
NODE_BIN := $(CURDIR)/end2end/node_modules/.bin

# Tools are installed with rustup's own compiler, and only when missing.
tools: target/toolchain.mk
	@cargo leptos --version >/dev/null 2>&1 || \
	  env -u RUSTC -u RUSTC_BOOTSTRAP cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked --features no_downloads
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$" || \
	  env -u RUSTC -u RUSTC_BOOTSTRAP cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force
	@command -v git >/dev/null || (apt-get update -qq && apt-get install -y -qq git)

build: tools
	$(LEPTOS_BUILD)

# The production build, self-contained in target/release: the binary, the
# asset hashes next to it and the site (content-hashed, precompressed).
release: tools node-tools
	PATH="$(NODE_BIN):$$PATH" LEPTOS_SITE_ROOT=target/release/site $(LEPTOS_BUILD) --release --precompress $(SERVER_ARGS)

run: build
	./target/debug/berth demo init --if-missing
	./target/debug/berth serve

node-tools:
	@test -x $(NODE_BIN)/wasm-opt && test -d end2end/node_modules/@playwright/test || \
	  (cd end2end && npm ci --no-audit --no-fund)

browser: node-tools
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

lint: target/toolchain.mk
	cargo fmt --all -- --check
	$(CLIPPY) --workspace --all-targets -- -D warnings

# One test at a time in each test binary: several Leptos apps rendering
# at once in one process can stall a render (seen about once in ten runs
# of the session tests); one Berth per process, as in production, does not.
unit: target/toolchain.mk
	cargo test --workspace -- --test-threads=1

e2e: build browser
	cd end2end && E2E_PORT=$(E2E_PORT) npx playwright test

# The same specs against the production build: only it runs wasm-opt,
# which once broke hydration while the debug build was fine.
e2e-release: release browser
	cd end2end && E2E_PORT=$(E2E_PORT) E2E_BUILD=release npx playwright test

# `make test` checks the production front end (wasm-opt, hashed and
# precompressed assets) with the server compiled without optimisation:
# the same code, and optimising it was 16 of the 87 minutes of a first
# `make test` on 2 cores. `make release` and `make bench` optimise it.
test: SERVER_ARGS := --bin-cargo-args=--config=profile.release.opt-level=0
test: lint unit e2e e2e-release

# The production build, checked in Chromium, then measured.
bench: e2e-release
	@command -v wrk >/dev/null && command -v bc >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk bc curl)
	./end2end/bench.sh
	@echo "== 100 promotions at once against one bare repository (release build)"
	cargo test --release -p berth --test concurrency -- --nocapture 2>&1 | grep -E "promotions landed|test result"
	cargo test --release -p berth --test live_bench -- --ignored --nocapture 2>&1 | grep -E "^==|first list|peak RSS|open page|test result"
	cargo test --release -p berth --test release_bench -- --ignored --nocapture --test-threads=1 2>&1 | grep -E "== |test result"

# Fuzzing needs nightly and cargo-fuzz; `make test` runs the same
# properties as proptest cases instead.
fuzz:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@env -u RUSTC -u RUSTC_BOOTSTRAP cargo fuzz --version >/dev/null 2>&1 || \
	  env -u RUSTC -u RUSTC_BOOTSTRAP cargo install cargo-fuzz --locked
	cd server/fuzz && for target in names ssh_keys yaml_edit; do \
	  env -u RUSTC -u RUSTC_BOOTSTRAP cargo +nightly fuzz run $$target -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

clean:
	cargo clean
