# Sourced by scripts/test-kotlin.sh and scripts/test-swift.sh (not run directly): starts the C2C
# emulator (`target/debug/takeup emulator --json`) in the background for the binding tests and
# exports what the tests read:
#   TAKEUP_TEST_API_BASE        https://127.0.0.1:PORT (the emulator's API)
#   TAKEUP_TEST_CA_PEM_FILE     the emulator's test CA (PEM)
#   TAKEUP_TEST_CLIENT_SECRET   the emulator's client secret
#   TAKEUP_TEST_UPLOAD_HOST     the S3 stand-in's host:port (the engine's allowed upload host)
#   TAKEUP_TEST_APP_CLIENT_ID   the emulator's registered app client (sign-in with a Frame.io account)
#   TAKEUP_TEST_APPLICATIONS_BASE  the base URL of its /oauth2/* endpoints
# The emulator gets a 1 s pairing poll interval (control API) so pairing takes seconds.
#
# emulator_start DIR      start it (data under DIR); the caller's EXIT trap must call emulator_stop
# emulator_stop           kill the emulator and the helper loops started here
# emulator_approver       background loop approving every pending pairing code (curl --cacert),
#                         for tests that cannot reach the control API themselves
# emulator_oauth_approver DIR
#                         background loop answering sign-in pages for tests that cannot reach the
#                         control API: for each DIR/signin-ID.url (an authorization URL written by
#                         the test) it approves it and writes the URL the browser would be sent
#                         back to into DIR/signin-ID.redirect
# emulator_asset_dumper OUT
#                         background loop writing the control API's assets to OUT/assets.json and
#                         each asset (with the sha256 of its bytes) to OUT/asset-ID.json, for
#                         tests that cannot reach the control API (Swift on Linux: FoundationNetworking
#                         cannot be told to trust the test CA)
# Needs: curl and jq (installed from Debian when missing, as root), the Rust toolchain.

_emu_pids=()

_emu_log() { printf 'emulator: %s\n' "$*" >&2; }

_emu_tools() {
  local missing=()
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    _emu_log "need root to install: ${missing[*]}"
    return 1
  fi
  _emu_log "apt-get install -y ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
}

# curl against the control API, trusting only the emulator's CA.
emulator_curl() {
  curl -fsS --max-time 10 --cacert "$TAKEUP_TEST_CA_PEM_FILE" "$@"
}

emulator_start() {
  local dir="$1" target_dir bin line i
  _emu_tools
  mkdir -p "$dir"
  _emu_log "cargo build -p takeup"
  cargo build -p takeup >&2
  target_dir="$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
  bin="${target_dir:-${CARGO_TARGET_DIR:-$PWD/target}}/debug/takeup"
  "$bin" emulator --json --data "$dir/data" >"$dir/emulator.json" 2>"$dir/emulator.log" &
  _emu_pids+=($!)
  for i in $(seq 1 100); do
    line="$(head -n1 "$dir/emulator.json" 2>/dev/null || true)"
    [ -n "$line" ] && break
    kill -0 "${_emu_pids[0]}" 2>/dev/null || { _emu_log "the emulator exited: $(cat "$dir/emulator.log")"; return 1; }
    sleep 0.1
  done
  [ -n "$line" ] || { _emu_log "no JSON line from the emulator"; return 1; }
  TAKEUP_TEST_API_BASE="$(jq -r .base_url <<<"$line")"
  TAKEUP_TEST_CA_PEM_FILE="$(jq -r .ca_path <<<"$line")"
  TAKEUP_TEST_CLIENT_SECRET="$(jq -r .client_secret <<<"$line")"
  TAKEUP_TEST_UPLOAD_HOST="$(jq -r .s3_base_url <<<"$line" | sed 's#^https://##; s#/.*$##')"
  TAKEUP_TEST_APP_CLIENT_ID="$(jq -r .app_client_id <<<"$line")"
  TAKEUP_TEST_APPLICATIONS_BASE="$(jq -r .applications_base_url <<<"$line")"
  export TAKEUP_TEST_API_BASE TAKEUP_TEST_CA_PEM_FILE TAKEUP_TEST_CLIENT_SECRET TAKEUP_TEST_UPLOAD_HOST
  export TAKEUP_TEST_APP_CLIENT_ID TAKEUP_TEST_APPLICATIONS_BASE
  emulator_curl -H 'content-type: application/json' -d '{"poll_interval_secs":1}' \
    "$TAKEUP_TEST_API_BASE/_emulator/settings" >/dev/null
  _emu_log "running at $TAKEUP_TEST_API_BASE (uploads: $TAKEUP_TEST_UPLOAD_HOST), pid ${_emu_pids[0]}"
}

# Run `CMD ARGS...` every SECONDS in a background loop (emulator_stop ends it); a round that
# fails is tried again at the next tick.
_emu_every() {
  local secs="$1"
  shift
  (while sleep "$secs"; do "$@" || true; done) &
  _emu_pids+=($!)
}

# One round of emulator_approver: approve every pending pairing code.
_emu_approve_codes() {
  emulator_curl "$TAKEUP_TEST_API_BASE/_emulator/pending" 2>/dev/null \
    | jq -r '.[] | select(.approved != true) | .user_code' 2>/dev/null \
    | while read -r code; do
      [ -n "$code" ] || continue
      sleep 1 # let the test see the code first, as a user would
      if emulator_curl -H 'content-type: application/json' -d "{\"user_code\":\"$code\"}" \
        "$TAKEUP_TEST_API_BASE/_emulator/approve" >/dev/null 2>&1; then
        _emu_log "approved pairing code $code"
      fi
    done
}

# One round of emulator_oauth_approver DIR.
_emu_approve_signins() {
  local dir="$1" f out body redirect
  for f in "$dir"/signin-*.url; do
    [ -e "$f" ] || continue
    out="${f%.url}.redirect"
    [ -e "$out" ] && continue
    body="$(jq -n --rawfile u "$f" '{url: ($u | rtrimstr("\n"))}')" || continue
    redirect="$(emulator_curl -H 'content-type: application/json' -d "$body" \
      "$TAKEUP_TEST_API_BASE/_emulator/oauth/approve" 2>/dev/null | jq -r .redirect 2>/dev/null)" || continue
    [ -n "$redirect" ] && [ "$redirect" != null ] || continue
    printf '%s\n' "$redirect" >"$out.tmp" && mv "$out.tmp" "$out"
    _emu_log "approved a sign-in ($(basename "$f"))"
  done
}

# One round of emulator_asset_dumper OUT.
_emu_dump_assets() {
  local out="$1" list id
  list="$(emulator_curl "$TAKEUP_TEST_API_BASE/_emulator/assets" 2>/dev/null)" || return 0
  for id in $(jq -r '.[] | select(.complete == true) | .id' <<<"$list" 2>/dev/null); do
    [ -s "$out/asset-$id.json" ] && continue
    emulator_curl "$TAKEUP_TEST_API_BASE/_emulator/assets/$id" >"$out/.asset.tmp" 2>/dev/null \
      && mv "$out/.asset.tmp" "$out/asset-$id.json"
  done
  printf '%s\n' "$list" >"$out/.assets.tmp" && mv "$out/.assets.tmp" "$out/assets.json"
  emulator_curl "$TAKEUP_TEST_API_BASE/_emulator/comments" >"$out/.comments.tmp" 2>/dev/null \
    && mv "$out/.comments.tmp" "$out/comments.json"
}

emulator_approver() {
  _emu_every 0.5 _emu_approve_codes
}

emulator_oauth_approver() {
  mkdir -p "$1"
  _emu_every 0.3 _emu_approve_signins "$1"
}

emulator_asset_dumper() {
  mkdir -p "$1"
  _emu_every 0.5 _emu_dump_assets "$1"
}

emulator_stop() {
  local pid
  for pid in "${_emu_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${_emu_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  _emu_pids=()
}
