#!/usr/bin/env bash
# The main job: the `takeup demo` on the embedded emulator (nothing leaves this machine).
# Usage: scripts/demo.sh [extra `takeup demo` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet --locked -p takeup -- demo "$@"
