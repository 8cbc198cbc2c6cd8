#!/usr/bin/env bash
# Generates the UniFFI Kotlin and Swift bindings of the engine for the host (Linux) build.
#
# Usage: scripts/bindings.sh [kotlin|swift]...   (from any cwd; default: both languages)
# Needs: the Rust toolchain. Nothing else: the generator is this workspace's own `uniffi-bindgen`
#        binary (rust/takeup-ffi, feature `bindgen`), so it always matches the library's uniffi.
# Does:  1. builds `uniffi-bindgen` (cargo build -p takeup-ffi --features bindgen --bin uniffi-bindgen),
#           skipped when the existing binary already reports the uniffi version in Cargo.lock;
#        2. builds the host cdylib (cargo build -p takeup-ffi) -> $TARGET/debug/libtakeup_ffi.so
#           (.dylib on macOS);
#        3. uniffi-bindgen generate --library that .so --language L --out-dir $TARGET/bindings/L.
#           The library holds two UniFFI components, each with its uniffi.toml: takeup-ffi (the
#           objects, callbacks, errors: Kotlin package io.takeup.core, Swift Takeup.swift +
#           TakeupFFI.h) and takeup-core (the engine's data types: Kotlin package
#           io.takeup.core.types, Swift TakeupCore.swift + TakeupCoreFFI.h). Both Swift files form
#           the one module Takeup; their headers form the one C module TakeupFFI, whose module map
#           (TakeupFFI.modulemap) this step writes with both headers (uniffi writes one per
#           component).
# The generator runs from its built binary rather than through `cargo run`: a `cargo run` after
# step 2 would re-copy the library built with the bindgen feature over the plain one.
# Prints on stdout `export TAKEUP_FFI_LIB_DIR=...` and `export TAKEUP_BINDINGS_DIR=...` (logs go to
# stderr), so callers may `env="$(scripts/bindings.sh)" && eval "$env"`. $TARGET is cargo's target directory
# (honours CARGO_TARGET_DIR); the output is under it, hence never committed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'bindings: %s\n' "$*" >&2; }

languages=("$@")
[ "${#languages[@]}" -gt 0 ] || languages=(kotlin swift)
for lang in "${languages[@]}"; do
  case "$lang" in
    kotlin | swift) ;;
    *) log "unknown language '$lang' (kotlin or swift)"; exit 2 ;;
  esac
done

target_dir="$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
[ -n "$target_dir" ] || target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
bindgen="$target_dir/debug/uniffi-bindgen"
lib="$target_dir/debug/libtakeup_ffi.so"
[ "$(uname -s)" != Darwin ] || lib="$target_dir/debug/libtakeup_ffi.dylib"
out="$target_dir/bindings"

# 1. The generator, rebuilt only when its uniffi version differs from the locked one.
want="$(awk '/^name = "uniffi"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
have="$("$bindgen" --version 2>/dev/null | awk '{ print $2 }' || true)"
if [ -z "$want" ] || [ "$have" != "$want" ]; then
  log "building uniffi-bindgen ${want:-?} (have: ${have:-none})"
  cargo build -p takeup-ffi --features bindgen --bin uniffi-bindgen >&2
else
  log "reusing uniffi-bindgen $have"
fi

# 2. The host library the bindings are generated from (and that the JVM / Swift tests load).
log "building the host cdylib"
cargo build -p takeup-ffi >&2
[ -f "$lib" ] || { log "missing $lib"; exit 1; }

# 3. The bindings, into fresh directories (no stale files from renamed types).
for lang in "${languages[@]}"; do
  rm -rf "${out:?}/$lang"
  "$bindgen" generate --no-format --library "$lib" --language "$lang" --out-dir "$out/$lang" >&2
  if [ "$lang" = swift ]; then
    # One C module for both components: TakeupFFI.modulemap lists every generated header.
    (cd "$out/swift" && for m in *.modulemap; do [ "$m" = TakeupFFI.modulemap ] || rm "$m"; done
      headers="$(for h in *.h; do printf '    header "%s"\\n' "$h"; done)"
      awk -v headers="$headers" '/^ *header / { if (!done) printf "%s", headers; done = 1; next } { print }' \
        TakeupFFI.modulemap >TakeupFFI.modulemap.new && mv TakeupFFI.modulemap.new TakeupFFI.modulemap)
  fi
  log "$lang -> $out/$lang: $(cd "$out/$lang" && find . -type f | sed 's:^\./::' | sort | tr '\n' ' ')"
done

echo "export TAKEUP_FFI_LIB_DIR=$target_dir/debug"
echo "export TAKEUP_BINDINGS_DIR=$out"
