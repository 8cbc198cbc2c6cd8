#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer via cargo-fuzz) of the response parsers and of the journal's
# state transitions. CI runs the same entry points briefly on stable (rust/takeup-core/tests/
# fuzz_smoke.rs); this script runs them for longer.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 120)
# Needs: cargo-fuzz (installed here with `cargo install cargo-fuzz` if missing). cargo-fuzz needs
# nightly flags; with only a stable toolchain they are unlocked with RUSTC_BOOTSTRAP=1. The first
# build (sanitizer-instrumented dependencies) takes about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../rust/takeup-core"
secs="${1:-120}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for target in api_response journal_ops; do
  # Seeds are committed (fuzz/corpus); what libFuzzer adds goes to an ignored working copy.
  corpus="fuzz/corpus-work/$target"
  mkdir -p "$corpus"
  if [ -d "fuzz/corpus/$target" ]; then cp -n "fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || true; fi
  echo "==> fuzzing $target for ${secs}s"
  cargo fuzz run "$target" "$corpus" -- -max_total_time="$secs" -max_len=4096
done
echo "fuzzing found no crash"
