#!/usr/bin/env bash
# Kotlin binding tests on the JVM: generates the Kotlin bindings (scripts/bindings.sh), compiles them
# with the JUnit 4 tests in tests/kotlin/ (kotlinc 2.4.20), starts the C2C emulator in the
# background (scripts/test-emulator.sh: `takeup emulator --json`, killed on exit) and runs the tests
# against the host-built libtakeup_ffi.so through JNA: a real pairing (the test approves the code
# through the emulator's control API) and real uploads. The last line printed is
# `N passed, M failed`; exits non-zero on any failure.
#
# Usage: scripts/test-kotlin.sh      (from any cwd)
# Needs: the Rust toolchain, Node.js/npm, apt as root (scripts/setup-kotlin.sh installs kotlinc into
#        .tools/ or $TAKEUP_TOOLS_DIR, and JNA / JUnit 4 / a JRE from Debian when missing).
# The compiled test jar is cached under $TARGET/kotlin-tests and rebuilt only when the generated
# bindings, the tests or the compiler change.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'test-kotlin: %s\n' "$*" >&2; }

# (Captured first: `eval "$(cmd)"` would hide a failure of cmd from set -e.)
tool_env="$(scripts/setup-kotlin.sh)"
eval "$tool_env"
bindings_env="$(scripts/bindings.sh kotlin)"
eval "$bindings_env"

build="$(dirname "$TAKEUP_FFI_LIB_DIR")/kotlin-tests"
jar="$build/takeup-kotlin-tests.jar"
sources=("$TAKEUP_BINDINGS_DIR"/kotlin/io/takeup/core/*.kt tests/kotlin/*.kt)

stamp="$( (echo "$KOTLINC"; cat "${sources[@]}") | sha256sum | cut -d' ' -f1)"
if [ -f "$jar" ] && [ "$(cat "$build/stamp" 2>/dev/null || true)" = "$stamp" ]; then
  log "reusing $jar (sources unchanged)"
else
  log "kotlinc ${#sources[@]} files -> $jar"
  rm -rf "$build"
  mkdir -p "$build"
  start=$(date +%s)
  "$KOTLINC" -nowarn -jvm-target 17 -cp "$TAKEUP_KOTLIN_CLASSPATH" -d "$jar" "${sources[@]}"
  echo "$stamp" >"$build/stamp"
  log "compiled in $(( $(date +%s) - start )) s"
fi

# The crate version the library must report (cargo pkgid ends in `#VERSION` or `#NAME@VERSION`).
pkgid="$(cargo pkgid -p takeup-ffi)"
version="${pkgid##*[#@]}"

# The emulator the tests pair with and upload to (stopped on exit).
# shellcheck source=scripts/test-emulator.sh
. scripts/test-emulator.sh
emu_dir="$(mktemp -d)"
trap 'emulator_stop; rm -rf "$emu_dir"' EXIT
emulator_start "$emu_dir"

log "running on $(java -version 2>&1 | head -n1), library from $TAKEUP_FFI_LIB_DIR"
java -Djna.library.path="$TAKEUP_FFI_LIB_DIR" -Dtakeup.expectedVersion="$version" \
  -cp "$jar:$TAKEUP_KOTLIN_CLASSPATH" io.takeup.core.test.MainKt
