#!/usr/bin/env bash
# Installs, once, what the Kotlin binding tests need: Kotlin 2.4.20 (npm package kotlin-compiler,
# which also ships kotlinx-coroutines), JNA and JUnit 4 (Debian), and a Java runtime if none.
#
# Usage: scripts/setup-kotlin.sh      (from any cwd; as root for the apt part)
#        env="$(scripts/setup-kotlin.sh)" && eval "$env"   to get the paths below in the caller
# Needs: Node.js/npm, apt (root). Debian's own `kotlin` package (1.3) is too old for UniFFI's output.
# Env:   TAKEUP_TOOLS_DIR   cache directory (default: .tools/ at the repository root, gitignored)
# Prints on stdout `export NAME=value` lines (logs go to stderr):
#   KOTLINC                 the kotlinc launcher
#   TAKEUP_KOTLIN_CLASSPATH compile + run classpath: kotlin-stdlib, kotlinx-coroutines, JNA, JUnit 4,
#                           hamcrest
set -euo pipefail

KOTLIN_VERSION=2.4.20
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${TAKEUP_TOOLS_DIR:-$repo/.tools}"
kdir="$tools/kotlin-$KOTLIN_VERSION"
khome="$kdir/node_modules/kotlin-compiler"

log() { printf 'setup-kotlin: %s\n' "$*" >&2; }

# Debian packages, installed only when a file they provide is missing.
apt_install() {
  log "apt-get install -y $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends "$@" >&2; then
    log "install failed: apt-get update, then retry"
    apt-get update >&2
    apt-get install -y --no-install-recommends "$@" >&2
  fi
}
missing=()
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
[ -f /usr/share/java/jna.jar ] || missing+=(libjna-java)
[ -f /usr/share/java/junit4.jar ] || missing+=(junit4)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "need root to install: ${missing[*]}"
    exit 1
  fi
  apt_install "${missing[@]}"
fi

# Kotlin from npm, into the cache directory.
installed="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$khome/package.json" 2>/dev/null | head -n1 || true)"
if [ "$installed" != "$KOTLIN_VERSION" ] || [ ! -x "$khome/bin/kotlinc" ]; then
  log "npm install kotlin-compiler@$KOTLIN_VERSION into $kdir"
  mkdir -p "$kdir"
  npm install --prefix "$kdir" --no-audit --no-fund --loglevel=error "kotlin-compiler@$KOTLIN_VERSION" >&2
  chmod +x "$khome/bin/"* 2>/dev/null || true
fi
[ -x "$khome/bin/kotlinc" ] || { log "no kotlinc under $khome/bin"; exit 1; }

jar() { # first existing candidate, or fail loudly
  local f
  for f in "$@"; do [ -f "$f" ] && { echo "$f"; return; }; done
  log "missing jar: $*"
  exit 1
}
stdlib="$(jar "$khome/lib/kotlin-stdlib.jar")"
coroutines="$(jar "$khome/lib/kotlinx-coroutines-core-jvm.jar")"
jna="$(jar /usr/share/java/jna.jar)"
junit="$(jar /usr/share/java/junit4.jar)"
hamcrest="$(jar /usr/share/java/hamcrest-core.jar /usr/share/java/hamcrest.jar)"

log "kotlinc $KOTLIN_VERSION at $khome/bin/kotlinc; java: $(java -version 2>&1 | head -n1)"
echo "export KOTLINC=$khome/bin/kotlinc"
echo "export TAKEUP_KOTLIN_CLASSPATH=$stdlib:$coroutines:$jna:$junit:$hamcrest"
