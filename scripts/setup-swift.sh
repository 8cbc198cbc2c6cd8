#!/usr/bin/env bash
# Builds (once, then reuses) a Debian trixie chroot with Swift 6 (`swiftlang`) for the Swift binding
# tests: Debian 12 has no Swift, and trixie's swiftlang needs trixie's glibc, hence the chroot.
#
# Usage: scripts/setup-swift.sh            (from any cwd; as root)
# Needs: root, apt (installs debootstrap when missing), network access to a Debian mirror, ~3 GB disk.
# Env:   TAKEUP_SWIFT_ROOT    chroot location (default /var/cache/takeup-swift-chroot)
#        TAKEUP_DEBIAN_MIRROR mirror URL (default: the Debian mirror named by this machine's own apt
#                             sources, /etc/apt/sources.list{,.d/*.list,.d/*.sources})
# Prints on stdout one line `export TAKEUP_SWIFT_ROOT=...` (logs go to stderr), so a caller may
# `env="$(scripts/setup-swift.sh)" && eval "$env"`. A completed chroot is marked by $ROOT/.takeup-swift-ready;
# delete that file (or the whole directory) to force a rebuild.
set -euo pipefail

ROOT="${TAKEUP_SWIFT_ROOT:-/var/cache/takeup-swift-chroot}"
SUITE=trixie
PACKAGES=(swiftlang libc6-dev libstdc++-14-dev libgcc-14-dev)
READY="$ROOT/.takeup-swift-ready"

log() { printf 'setup-swift: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "must run as root (debootstrap, chroot, mount)"
  exit 1
fi

# The Debian archive URL this machine's apt already uses for its own release (so no host name is
# written down here). One-line (`deb [opts] URL suite comps`) and deb822 (`URIs:` / `Suites:`) forms.
host_mirror() {
  local codename files f
  # shellcheck source=/dev/null
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  files=()
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ "${#files[@]}" -gt 0 ] || return 0
  awk -v cn="$codename" '
    function flush() {
      if (uris != "" && enabled != "no" && (" " suites " ") ~ (" " cn " ") && types ~ /(^| )deb( |$)/) {
        split(uris, u, " "); if (found == "") found = u[1]
      }
      uris = ""; suites = ""; types = ""; enabled = ""
    }
    FNR == 1 { flush() }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    /^deb[ \t]/ {
      n = split($0, w, /[ \t]+/); i = 2
      if (w[i] ~ /^\[/) { while (i <= n && w[i] !~ /\]$/) i++; i++ }
      if (w[i + 1] == cn && found == "") found = w[i]
      next
    }
    tolower($1) == "uris:"    { $1 = ""; uris = $0 }
    tolower($1) == "suites:"  { $1 = ""; suites = $0 }
    tolower($1) == "types:"   { $1 = ""; types = $0 }
    tolower($1) == "enabled:" { enabled = tolower($2) }
    END { flush(); if (found != "") print found }
  ' "${files[@]}" | sed 's:/*$::'
}

mounted_proc=0
cleanup() {
  if [ "$mounted_proc" = 1 ]; then umount "$ROOT/proc" 2>/dev/null || umount -l "$ROOT/proc" || true; fi
}
trap cleanup EXIT

# (Running swift needs /proc mounted in the chroot, so the reuse check only looks at files.)
if [ -f "$READY" ] && { [ -L "$ROOT/usr/bin/swift" ] || [ -e "$ROOT/usr/bin/swift" ]; }; then
  log "reusing $ROOT ($(cat "$READY"))"
  echo "export TAKEUP_SWIFT_ROOT=$ROOT"
  exit 0
fi

start=$(date +%s)
MIRROR="${TAKEUP_DEBIAN_MIRROR:-$(host_mirror)}"
if [ -z "$MIRROR" ]; then
  log "could not find a Debian mirror in /etc/apt/sources*; set TAKEUP_DEBIAN_MIRROR"
  exit 1
fi
log "mirror: $MIRROR"

if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  apt-get install -y debootstrap >&2 || { apt-get update >&2 && apt-get install -y debootstrap >&2; }
fi

# Stage 1: the minbase system. An interrupted debootstrap leaves a half-made tree: start it over.
if [ ! -f "$ROOT/.takeup-debootstrap-done" ]; then
  if [ -d "$ROOT" ]; then
    log "removing incomplete $ROOT"
    if mountpoint -q "$ROOT/proc" 2>/dev/null; then umount -l "$ROOT/proc"; fi
    rm -rf --one-file-system "$ROOT"
  fi
  mkdir -p "$(dirname "$ROOT")"
  log "debootstrap --variant=minbase $SUITE $ROOT"
  debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >&2
  touch "$ROOT/.takeup-debootstrap-done"
fi

# Stage 2: the Swift toolchain.
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
if ! mountpoint -q "$ROOT/proc"; then
  mount -t proc proc "$ROOT/proc"
  mounted_proc=1
fi
log "installing ${PACKAGES[*]} in the chroot"
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get update >&2
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2
chroot "$ROOT" apt-get clean >&2
chroot "$ROOT" swift --version 2>&1 | head -n1 >"$READY.tmp"
mv "$READY.tmp" "$READY"
log "chroot ready in $(( $(date +%s) - start )) s: $ROOT ($(du -sh --one-file-system "$ROOT" | cut -f1))"
echo "export TAKEUP_SWIFT_ROOT=$ROOT"
