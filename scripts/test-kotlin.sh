#!/usr/bin/env bash
# Kotlin tests on the JVM: generates the Kotlin bindings (scripts/bindings.sh), compiles them
# (kotlinc 2.4.20) with
#   - the JUnit 4 binding tests in tests/kotlin/,
#   - the Android modules' plain-Kotlin sources (android/*/src/portable/kotlin: formatting, secret
#     envelope, network mapping, worker policy, the UI mapper) and their JVM unit tests
#     (android/*/src/test/kotlin, classes named like their files, `*Test.kt`),
#   - the runner android/jvm-test-runner/RunTests.kt,
#   - type-check only: the Android-only glue (android/takeup/src/main/kotlin, the app's
#     AppViewModel.kt and TakeupApplication.kt) against small stand-ins of the Android/AndroidX
#     APIs it calls (android/jvm-test-runner/android-stubs), so binding changes that break it fail
#     here (the Compose UI and MainActivity need the Android SDK: not compiled here),
# starts the C2C emulator in the background (scripts/test-emulator.sh: `takeup emulator --json`,
# killed on exit) and runs every test class against the host-built libtakeup_ffi.so through JNA:
# a real pairing (the test approves the code through the emulator's control API) and real uploads.
# android/README.md says what is and is not verified. The last line printed is
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
mapfile -t android_sources < <( (find android/*/src/portable/kotlin android/*/src/test/kotlin \
  android/jvm-test-runner android/takeup/src/main/kotlin -name '*.kt' 2>/dev/null
  ls android/app/src/main/kotlin/io/takeup/app/{AppViewModel,TakeupApplication}.kt 2>/dev/null) \
  | LC_ALL=C sort)
# The generated bindings: io.takeup.core (engine objects) and io.takeup.core.types (its data types).
mapfile -t binding_sources < <(find "$TAKEUP_BINDINGS_DIR/kotlin" -name '*.kt' | LC_ALL=C sort)
sources=("${binding_sources[@]}" tests/kotlin/*.kt "${android_sources[@]}")
# Test classes: the binding suites (tests/kotlin/*Test.kt, package io.takeup.core.test), then each android/*/src/test/kotlin/**/XTest.kt as PACKAGE.XTest.
test_classes=()
for f in tests/kotlin/*Test.kt; do test_classes+=("io.takeup.core.test.$(basename "$f" .kt)"); done
for f in "${android_sources[@]}"; do
  case "$f" in
    android/*/src/test/kotlin/*Test.kt)
      pkg="$(sed -n 's/^package[[:space:]]\{1,\}\([A-Za-z0-9_.]*\).*/\1/p' "$f" | head -n1)"
      test_classes+=("${pkg:+$pkg.}$(basename "$f" .kt)")
      ;;
  esac
done

stamp="$( (echo "$KOTLINC"; printf '%s\n' "${sources[@]}"; cat "${sources[@]}") | sha256sum | cut -d' ' -f1)"
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
log "${#test_classes[@]} test classes"
java -Djna.library.path="$TAKEUP_FFI_LIB_DIR" -Dtakeup.expectedVersion="$version" \
  -Dtakeup.specFile="$PWD/shared-ui-spec/spec.json" \
  -cp "$jar:$TAKEUP_KOTLIN_CLASSPATH" io.takeup.android.jvmtest.RunTestsKt "${test_classes[@]}"
