#!/usr/bin/env bash
# Every test of the project, as CI runs it: formatting, lints, all Rust test suites, then the
# mobile-target lint and the binding tests (Swift, then Kotlin: the last lines printed are the
# Kotlin runner's `N passed, M failed`).
# Usage: scripts/test.sh            (from anywhere inside the repository; as root for the binding
#                                    tests' installs and the Swift chroot)
# Needs: the Rust toolchain (cargo, rustfmt, clippy); cargo-nextest when present, else `cargo test`;
#        for the binding tests apt, npm and a Debian mirror on the first run (scripts/setup-*.sh).
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

# Kill soak, CI size: 10 SIGKILLs of `takeup run` under random emulator faults (~20 s; scripts/soak).
step "kill soak: scripts/soak --kills 10" && scripts/soak --kills 10

step "mobile targets: clippy for aarch64-linux-android and aarch64-apple-ios"
scripts/check-mobile-targets.sh

step "Swift binding tests (XCTest in the Debian trixie chroot, against the emulator)"
scripts/test-swift.sh

step "Kotlin binding tests (JUnit on the JVM, against the emulator)"
scripts/test-kotlin.sh
