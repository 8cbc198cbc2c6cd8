#!/usr/bin/env bash
# Every test of the project, as CI runs it: formatting, lints, then all Rust test suites.
# Usage: scripts/test.sh            (from anywhere inside the repository)
# Needs: the Rust toolchain (cargo, rustfmt, clippy); cargo-nextest when present, else `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (workspace, all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  # nextest does not run doctests.
  cargo test --workspace --locked --doc
else
  cargo test --workspace --locked --no-fail-fast
fi
