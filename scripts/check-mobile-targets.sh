#!/usr/bin/env bash
# Type-checks and lints the FFI crate (with the engine under it) for the mobile targets:
# `cargo clippy -p takeup-ffi -- -D warnings` for aarch64-linux-android and aarch64-apple-ios.
#
# Usage: scripts/check-mobile-targets.sh      (from any cwd)
# Needs: rustup (adds the two targets, ~2 s each the first time) and clippy. No NDK, Android SDK or
#        Xcode: C build scripts (ring, bundled sqlite) get `fakecc`, a stand-in compiler that emits
#        empty objects. That is valid only because check/clippy never link; never use it to build.
# fakecc: ../shared/fakecc next to the repository (the project's shared copy) if present, else the
#         committed copy scripts/fakecc.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(git rev-parse --show-toplevel 2>/dev/null || pwd)"

log() { printf '\n==> %s\n' "$*" >&2; }

fakecc="$repo/../shared/fakecc"
[ -f "$fakecc" ] || fakecc="$repo/scripts/fakecc"
fakecc="$(cd "$(dirname "$fakecc")" && pwd)/$(basename "$fakecc")"
[ -x "$fakecc" ] || chmod +x "$fakecc" 2>/dev/null || { echo "fakecc not executable: $fakecc" >&2; exit 1; }

targets=(aarch64-linux-android aarch64-apple-ios)
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
  if ! grep -qxF "$t" <<<"$installed"; then
    log "rustup target add $t"
    rustup target add "$t"
  fi
done

sdkroot="$(mktemp -d)" # an empty "SDK" for build scripts that ask for SDKROOT on Apple targets
trap 'rm -rf "$sdkroot"' EXIT

export CC_aarch64_linux_android="$fakecc" AR_aarch64_linux_android=ar
export CC_aarch64_apple_ios="$fakecc" AR_aarch64_apple_ios=ar SDKROOT="$sdkroot"

for t in "${targets[@]}"; do
  log "cargo clippy --target $t -p takeup-ffi -- -D warnings  (CC=$fakecc)"
  cargo clippy --target "$t" -p takeup-ffi -- -D warnings
done
log "mobile targets OK: ${targets[*]}"
