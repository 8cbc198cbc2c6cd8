#!/usr/bin/env bash
# Swift binding tests: generates the Swift bindings (scripts/bindings.sh), stages the SwiftPM package
# tests/swift/ with them inside the Swift chroot (scripts/setup-swift.sh), starts the C2C emulator on
# the host (scripts/test-emulator.sh; the chroot shares the host's network, so 127.0.0.1 reaches it;
# killed on exit) and runs `swift test` (XCTest) there against the host-built libtakeup_ffi.so: a
# real pairing, a real sign-in with the app flow and real uploads, and TakeupKit's lease executor
# (TransferDriver, URLSession upload tasks) against the emulator's S3 stand-in: for the run, the
# emulator's test CA is the chroot's system trust store (the only store FoundationNetworking reads).
# The older tests do not rely on it: this script approves pending pairing codes (curl loop), answers
# the sign-in pages the tests write to /takeup/emu (emulator_oauth_approver) and dumps the
# emulator's asset reports into
# the chroot (/takeup/emu, TAKEUP_TEST_EMULATOR_DUMP) for the tests to compare sha256s. Exits
# non-zero on any failure; the XCTest output ("Executed N tests, with M failures ...") is what CI
# reads.
#
# The same package also builds ios/TakeupKit's portable sources (staged as the target TakeupKit;
# the Apple-only files are behind `#if canImport(...)` and compile to nothing here) and runs their
# XCTests (ios/TakeupKit/Tests/TakeupKitTests, staged as Tests/TakeupKitTests), with
# shared-ui-spec/spec.json copied to /takeup/ui-spec/spec.json (TAKEUP_UI_SPEC) for the test that
# checks the Swift presentation covers every state and action of the spec, and the app's
# Info.plist (TAKEUP_APP_INFO_PLIST) for the background-task and configuration keys. The SwiftUI
# app (ios/TakeupApp) and TakeupKit's Apple-only files cannot be type-checked without Apple's SDKs:
# they are only syntax-checked here (`swiftc -parse`).
#
# Usage: scripts/test-swift.sh      (from any cwd; as root: chroot and mount)
#        TAKEUP_SWIFT_TEST_FILTER=TakeupKitTests scripts/test-swift.sh   (`swift test --filter`)
# Needs: the Rust toolchain, root, apt and a Debian mirror for the first run (setup-swift.sh builds
#        a Debian trixie chroot with swiftlang in $TAKEUP_SWIFT_ROOT, default
#        /var/cache/takeup-swift-chroot, ~3 GB).
# The staged package lives at $TAKEUP_SWIFT_ROOT/takeup/swift-tests and keeps its .build between
# runs; staged files are only rewritten when their content changed, so cached runs rebuild little.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'test-swift: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "must run as root (chroot, mount)"
  exit 1
fi

# (Captured first: `eval "$(cmd)"` would hide a failure of cmd from set -e.)
tool_env="$(scripts/setup-swift.sh)"
eval "$tool_env"
bindings_env="$(scripts/bindings.sh swift)"
eval "$bindings_env"
R="$TAKEUP_SWIFT_ROOT"
work="$R/takeup"       # seen as /takeup inside the chroot
pkg="$work/swift-tests"
mkdir -p "$pkg" "$work/lib"

# One run at a time per chroot (they share the staged package and /proc mount).
exec 9>"$work/.lock"
flock 9

# Copy $1 to $2 unless $2 already has the same content (keeps SwiftPM's mtime-based cache valid).
put() {
  if ! cmp -s "$1" "$2"; then
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2"
  fi
}

# Stage: the committed package files, the generated bindings, the library. Files no longer in the
# package are removed from the staged copy (its .build stays).
staged=(Package.swift)
while IFS= read -r -d '' f; do staged+=("${f#tests/swift/}"); done \
  < <(find tests/swift/Sources tests/swift/Tests -type f ! -name '.*' -print0)
for f in "${staged[@]}"; do put "tests/swift/$f" "$pkg/$f"; done
# The binding tests share TakeupKit's test support (Recorder<T>).
put ios/TakeupKit/Tests/TakeupKitTests/TestSupport.swift "$pkg/Tests/TakeupTests/TestSupport.swift"
staged+=(Tests/TakeupTests/TestSupport.swift)
# ios/TakeupKit: its own sources and tests (not the generated Sources/Takeup, staged below).
for d in Sources/TakeupKit Tests/TakeupKitTests; do
  while IFS= read -r -d '' f; do
    rel="$d/${f#"ios/TakeupKit/$d/"}"
    put "$f" "$pkg/$rel"
    staged+=("$rel")
  done < <(find "ios/TakeupKit/$d" -type f -name '*.swift' -print0)
done
# The generated bindings: Takeup.swift + TakeupCore.swift (module Takeup), TakeupFFI.h +
# TakeupCoreFFI.h (the C module TakeupFFI of the committed module.modulemap).
for f in "$TAKEUP_BINDINGS_DIR"/swift/*.swift; do
  put "$f" "$pkg/Sources/Takeup/$(basename "$f")"
  staged+=("Sources/Takeup/$(basename "$f")")
done
for f in "$TAKEUP_BINDINGS_DIR"/swift/*.h; do
  put "$f" "$pkg/Sources/TakeupFFI/$(basename "$f")"
  staged+=("Sources/TakeupFFI/$(basename "$f")")
done
while IFS= read -r -d '' f; do
  rel="${f#"$pkg"/}"
  printf '%s\n' "${staged[@]}" | grep -qxF "$rel" || { log "removing stale $rel"; rm -f "$f"; }
done < <(find "$pkg/Sources" "$pkg/Tests" -type f -print0)
put "$TAKEUP_FFI_LIB_DIR/libtakeup_ffi.so" "$work/lib/libtakeup_ffi.so"
# The shared UI spec and the app's Info.plist, outside the package (read at run time).
rm -rf "$work/ui-spec"
if [ -f shared-ui-spec/spec.json ]; then
  mkdir -p "$work/ui-spec"
  cp shared-ui-spec/spec.json "$work/ui-spec/spec.json"
fi
put ios/TakeupApp/Support/Info.plist "$work/app/Info.plist"
# Every iOS Swift file, for the syntax check (the app and the Apple-only glue do not build here).
rm -rf "$work/app/parse"
mkdir -p "$work/app/parse"
find ios -name '*.swift' ! -path '*/.build/*' ! -path 'ios/TakeupKit/Sources/Takeup/*' -print0 \
  | while IFS= read -r -d '' f; do
      dest="$work/app/parse/${f//\//__}"
      cp "$f" "$dest"
    done

# The crate version the library must report (cargo pkgid ends in `#VERSION` or `#NAME@VERSION`).
pkgid="$(cargo pkgid -p takeup-ffi)"
version="${pkgid##*[#@]}"

# The emulator (on the host), the approver and the asset dumper; the CA is copied into the chroot.
# shellcheck source=scripts/test-emulator.sh
. scripts/test-emulator.sh
emu_dir="$(mktemp -d)"
dump="$work/emu"
rm -rf "$dump"
mkdir -p "$dump"

mounted_proc=0
ca_store="$R/etc/ssl/certs/ca-certificates.crt"
ca_backup=""
ca_installed=0
cleanup() {
  emulator_stop
  rm -rf "$emu_dir"
  if [ "$ca_installed" = 1 ]; then
    if [ -n "$ca_backup" ]; then mv -f "$ca_backup" "$ca_store"; else rm -f "$ca_store"; fi
  fi
  if [ "$mounted_proc" = 1 ]; then umount "$R/proc" 2>/dev/null || umount -l "$R/proc" || true; fi
}
trap cleanup EXIT
emulator_start "$emu_dir"
cp "$TAKEUP_TEST_CA_PEM_FILE" "$dump/ca.pem"
# URLSession on Linux (FoundationNetworking: libcurl with OpenSSL) trusts only the system store
# and cannot be given a CA: for the run, the emulator's test CA is the chroot's system store
# (the chroot has no other; a store that exists is kept and restored on exit). The lease
# executor test (TransferLeaseTests) reaches the S3 stand-in and the control API this way.
mkdir -p "$(dirname "$ca_store")"
if [ -e "$ca_store" ]; then
  ca_backup="$work/.ca-store.orig"
  cp -p "$ca_store" "$ca_backup"
fi
ca_installed=1
cat "$TAKEUP_TEST_CA_PEM_FILE" ${ca_backup:+"$ca_backup"} >"$ca_store"
emulator_approver
emulator_oauth_approver "$dump"
emulator_asset_dumper "$dump"
if ! mountpoint -q "$R/proc"; then
  mount -t proc proc "$R/proc"
  mounted_proc=1
fi

log "syntax check of ios/**/*.swift (swiftc -parse)"
# shellcheck disable=SC2016 # expanded by the inner shell
chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin \
  /bin/bash -c 'cd /takeup/app/parse && status=0
    for f in *.swift; do swiftc -parse "$f" || { echo "syntax error: ${f//__//}" >&2; status=1; }; done
    exit $status'

log "swift test in $R:/takeup/swift-tests${TAKEUP_SWIFT_TEST_FILTER:+ (filter: $TAKEUP_SWIFT_TEST_FILTER)}"
# shellcheck disable=SC2016 # the inner shell expands TAKEUP_SWIFT_TEST_FILTER (passed by env)
chroot "$R" /usr/bin/env -i \
  HOME=/root LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin \
  LD_LIBRARY_PATH=/takeup/lib TAKEUP_EXPECTED_VERSION="$version" \
  TAKEUP_TEST_API_BASE="$TAKEUP_TEST_API_BASE" TAKEUP_TEST_CA_PEM_FILE=/takeup/emu/ca.pem \
  TAKEUP_TEST_CLIENT_SECRET="$TAKEUP_TEST_CLIENT_SECRET" TAKEUP_TEST_UPLOAD_HOST="$TAKEUP_TEST_UPLOAD_HOST" \
  TAKEUP_TEST_APP_CLIENT_ID="$TAKEUP_TEST_APP_CLIENT_ID" TAKEUP_TEST_APPLICATIONS_BASE="$TAKEUP_TEST_APPLICATIONS_BASE" \
  TAKEUP_TEST_EMULATOR_DUMP=/takeup/emu TAKEUP_UI_SPEC=/takeup/ui-spec/spec.json \
  TAKEUP_APP_INFO_PLIST=/takeup/app/Info.plist \
  TAKEUP_SWIFT_TEST_FILTER="${TAKEUP_SWIFT_TEST_FILTER:-}" \
  /bin/bash -c 'cd /takeup/swift-tests && exec swift test -Xlinker -L/takeup/lib \
    ${TAKEUP_SWIFT_TEST_FILTER:+--filter "$TAKEUP_SWIFT_TEST_FILTER"}'
# (Not exec'd: the EXIT trap stops the emulator and unmounts /proc.)
