#!/usr/bin/env bash
# FOR macOS WITH XCODE ONLY: NOT runnable on this project's Linux test machines, which have no Xcode
# or Apple SDKs (there, scripts/check-mobile-targets.sh type-checks the iOS code instead).
#
# Builds the static library for iOS devices and simulators, merges the simulator slices with lipo,
# generates the Swift bindings and packages an XCFramework:
#   $OUT/Takeup.xcframework      (ios-arm64, ios-arm64_x86_64-simulator; headers + module map of
#                                 the C module TakeupFFI)
#   $OUT/Sources/Takeup/{Takeup,TakeupCore}.swift   the Swift bindings, one module (`import Takeup`
#                                 in the app): the engine objects and the engine's data types
# Add both to the Xcode project or wrap them in a Swift package (binaryTarget + target).
# With --kit, also installs them into the Swift package ios/TakeupKit (what ios/TakeupApp uses):
#   ios/TakeupKit/Frameworks/TakeupFFI.xcframework   (named after its binary target, as SwiftPM wants)
#   ios/TakeupKit/Sources/Takeup/{Takeup,TakeupCore}.swift
#
# Usage: scripts/build-ios.sh [--debug] [--kit] [OUT]    (default OUT: target/ios; release build)
# Needs: macOS, Xcode (xcodebuild, lipo, xcrun), rustup.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { printf 'build-ios: %s\n' "$*" >&2; exit 1; }
log() { printf 'build-ios: %s\n' "$*" >&2; }

profile=release
kit=0
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug; shift ;;
    --kit) kit=1; shift ;;
    -*) die "unknown option $1 (--debug, --kit)" ;;
    *) break ;;
  esac
done
out="${1:-target/ios}"

[ "$(uname -s)" = Darwin ] || die "this script needs macOS with Xcode (this is $(uname -s))"
command -v xcodebuild >/dev/null 2>&1 || die "xcodebuild is missing: install Xcode and run xcode-select -s"
command -v lipo >/dev/null 2>&1 || die "lipo is missing: install the Xcode command line tools"
command -v rustup >/dev/null 2>&1 || die "rustup is missing"

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
  grep -qxF "$t" <<<"$installed" || { log "rustup target add $t"; rustup target add "$t"; }
done

args=(--locked -p takeup-ffi --lib)
[ "$profile" = release ] && args+=(--release)
for t in "${targets[@]}"; do
  log "cargo build --target $t ${args[*]}"
  cargo build --target "$t" "${args[@]}"
done

target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
lib() { echo "$target_dir/$1/$profile/libtakeup_ffi.a"; }

# The Swift bindings (from the host build: same interface) and the C module.
log "generating the Swift bindings"
bindings_env="$(scripts/bindings.sh swift)"
eval "$bindings_env"
rm -rf "$out"
mkdir -p "$out/headers" "$out/sim" "$out/Sources/Takeup"
cp "$TAKEUP_BINDINGS_DIR"/swift/*.h "$out/headers/"
cp "$TAKEUP_BINDINGS_DIR/swift/TakeupFFI.modulemap" "$out/headers/module.modulemap"
cp "$TAKEUP_BINDINGS_DIR"/swift/*.swift "$out/Sources/Takeup/"

log "lipo: simulator slices (arm64 + x86_64)"
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$out/sim/libtakeup_ffi.a"

log "xcodebuild -create-xcframework"
xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$out/headers" \
  -library "$out/sim/libtakeup_ffi.a" -headers "$out/headers" \
  -output "$out/Takeup.xcframework" >&2
rm -rf "$out/sim" "$out/headers"
log "done: $out/Takeup.xcframework and $out/Sources/Takeup/*.swift"

if [ "$kit" = 1 ]; then
  kit_dir=ios/TakeupKit
  rm -rf "$kit_dir/Frameworks/TakeupFFI.xcframework"
  mkdir -p "$kit_dir/Frameworks" "$kit_dir/Sources/Takeup"
  cp -R "$out/Takeup.xcframework" "$kit_dir/Frameworks/TakeupFFI.xcframework"
  rm -f "$kit_dir"/Sources/Takeup/*.swift
  cp "$out"/Sources/Takeup/*.swift "$kit_dir/Sources/Takeup/"
  log "installed into $kit_dir: Frameworks/TakeupFFI.xcframework, Sources/Takeup/*.swift"
fi
