#!/usr/bin/env bash
# FOR MACHINES WITH THE ANDROID NDK (a developer's machine or an Android CI image): NOT runnable on
# this project's Linux test machines, which have no NDK (there, scripts/check-mobile-targets.sh
# type-checks the Android code instead).
#
# Builds libtakeup_ffi.so for the Android ABIs with cargo-ndk into a jniLibs tree, and generates the
# Kotlin bindings next to it:
#   $OUT/jniLibs/{arm64-v8a,armeabi-v7a,x86_64}/libtakeup_ffi.so
#   $OUT/kotlin/io/takeup/core/takeup_ffi.kt          (package io.takeup.core: the engine objects)
#   $OUT/kotlin/io/takeup/core/types/takeup_core.kt   (package io.takeup.core.types: its data types)
# Copy (or point Gradle's sourceSets) jniLibs to app/src/main/jniLibs and the Kotlin tree into the
# app module; the app also needs JNA (`net.java.dev.jna:jna:5.x@aar`), kotlinx-coroutines and
# rustls-platform-verifier's Android component (see docs/bindings.md).
#
# Usage: scripts/build-android.sh [--debug] [OUT]    (default OUT: target/android; release build)
# Needs: rustup, cargo-ndk (`cargo install cargo-ndk`), ANDROID_NDK_HOME (or ANDROID_NDK_ROOT)
#        pointing at an NDK r26+; API level from $ANDROID_PLATFORM (default 24).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { printf 'build-android: %s\n' "$*" >&2; exit 1; }
log() { printf 'build-android: %s\n' "$*" >&2; }

profile=release
if [ "${1:-}" = --debug ]; then profile=debug; shift; fi
out="${1:-target/android}"
platform="${ANDROID_PLATFORM:-24}"

ndk="${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}"
[ -n "$ndk" ] || die "ANDROID_NDK_HOME is not set: this script needs the Android NDK (install it with the Android SDK manager: sdkmanager 'ndk;27.2.12479018')"
[ -d "$ndk" ] || die "ANDROID_NDK_HOME=$ndk does not exist"
command -v cargo-ndk >/dev/null 2>&1 || die "cargo-ndk is missing: cargo install cargo-ndk"
command -v rustup >/dev/null 2>&1 || die "rustup is missing"

abis=(arm64-v8a armeabi-v7a x86_64)
targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
  grep -qxF "$t" <<<"$installed" || { log "rustup target add $t"; rustup target add "$t"; }
done

args=()
[ "$profile" = release ] && args+=(--release)
t_args=()
for abi in "${abis[@]}"; do t_args+=(-t "$abi"); done
# 16 KB pages (apps targeting Android 15 must load on 16 KB-page devices): every LOAD segment
# aligned to 16 KiB. Added to whatever RUSTFLAGS the caller set for each target.
for t in "${targets[@]}"; do
  var="CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$t")_RUSTFLAGS"
  export "$var=${!var:-} -C link-arg=-Wl,-z,max-page-size=16384 -C link-arg=-Wl,-z,common-page-size=16384"
done
log "cargo ndk ${t_args[*]} -P $platform -o $out/jniLibs build -p takeup-ffi ${args[*]}"
cargo ndk "${t_args[@]}" -P "$platform" -o "$out/jniLibs" build -p takeup-ffi --locked "${args[@]}"

# The Kotlin bindings, generated from the host build of the same sources (identical interface).
bindings_env="$(scripts/bindings.sh kotlin)"
eval "$bindings_env"
rm -rf "$out/kotlin"
mkdir -p "$out"
cp -r "$TAKEUP_BINDINGS_DIR/kotlin" "$out/kotlin"
readelf="$(ls "$ndk"/toolchains/llvm/prebuilt/*/bin/llvm-readelf 2>/dev/null | head -n1 || true)"
for abi in "${abis[@]}"; do
  so="$out/jniLibs/$abi/libtakeup_ffi.so"
  [ -f "$so" ] || die "missing $so"
  # Check the 16 KB alignment of the 64-bit libraries (what Play checks for Android 15).
  if [ -n "$readelf" ] && [ "$abi" != armeabi-v7a ]; then
    bad="$("$readelf" -lW "$so" | awk '$1 == "LOAD" && $NF != "0x4000" && $NF != "0x10000" { print $NF }')"
    [ -z "$bad" ] || die "$so: LOAD segments aligned to $bad, not 16 KiB"
  fi
done
log "done: $out/jniLibs/{$(IFS=,; echo "${abis[*]}")}/libtakeup_ffi.so and $out/kotlin"
