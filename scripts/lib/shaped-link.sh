# Shared by the shaped-link benchmarks (bench-link, bench-realtime, bench-handover): sourced, not
# run. Sets up three network namespaces joined by veth pairs, client (`takeup`, curl) -- router --
# emulator, with the link's rate, loss and latency, starts the emulator in its namespace and pairs a
# fresh state dir through the link. See bench-link's header for how the path is built.
#
# The caller sets ROOT, RATE, LOSS, RTT_MS and optionally LINK_TAG (names the run dir) and
# EXTRA_LINK=1 (a second client link, c1 -- r3 on 10.77.3.0/24, down until `link_handover`), then
# calls `link_up`. Afterwards: NS_CLI NS_RTR NS_EMU, RUN (a temp dir, removed on exit), TAKEUP,
# BASE S3 CA SECRET API_PORT S3_PORT, the arrays C (curl to the emulator, unshaped) and CS (curl
# through the link), and the functions in_ns, json, approve_pending, set_cc, link_handover.
# Everything (namespaces, their nft tables, processes, the run dir) is removed on exit; a caller
# with its own cleanup defines `bench_cleanup`, which runs first.

TAKEUP=$ROOT/target/release/takeup
BENCH_DIR=${BENCH_DIR:-/tmp/takeup-bench}
mkdir -p "$BENCH_DIR/files"
RUN=$(mktemp -d "$BENCH_DIR/${LINK_TAG:-link}.XXXXXX")
TAG=tkl$$
NS_CLI=$TAG-cli NS_RTR=$TAG-rtr NS_EMU=$TAG-emu
EMU_PID="" DL_PID="" ALLOWED_CC0=""
cleanup() {
    if declare -F bench_cleanup >/dev/null; then bench_cleanup || true; fi
    if [[ -n "$ALLOWED_CC0" ]]; then
        sysctl -qw net.ipv4.tcp_allowed_congestion_control="$ALLOWED_CC0" || true
    fi
    if [[ -n "$EMU_PID" ]]; then kill "$EMU_PID" 2>/dev/null || true; fi
    if [[ -n "$DL_PID" ]]; then
        kill "$DL_PID" 2>/dev/null || true
        wait "$DL_PID" 2>/dev/null || true
        [[ -s "$RUN/dl.err" ]] && cat "$RUN/dl.err" >&2
    fi
    # Deleting a namespace removes its veth ends, the TUN device and its nft tables.
    for ns in "$NS_CLI" "$NS_RTR" "$NS_EMU"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# (Background jobs use `ip netns exec` directly, not this function, so $! is the process itself.)
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }


link_up() {
# --- the shaped path --------------------------------------------------------------------------
for ns in "$NS_CLI" "$NS_RTR" "$NS_EMU"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add c0 netns "$NS_CLI" type veth peer name r1 netns "$NS_RTR"
ip link add e0 netns "$NS_EMU" type veth peer name r2 netns "$NS_RTR"
ip -n "$NS_CLI" addr add 10.77.1.1/24 dev c0
ip -n "$NS_RTR" addr add 10.77.1.2/24 dev r1
ip -n "$NS_RTR" addr add 10.77.2.1/24 dev r2
ip -n "$NS_EMU" addr add 10.77.2.2/24 dev e0
for l in "$NS_CLI c0" "$NS_RTR r1" "$NS_RTR r2" "$NS_EMU e0"; do
    read -r ns dev <<<"$l"; ip -n "$ns" link set "$dev" up
done
ip -n "$NS_CLI" route add default via 10.77.1.2
if [[ "${EXTRA_LINK:-0}" == 1 ]]; then
    # The second link (LTE after Wi-Fi): up, but not the route until link_handover.
    ip link add c1 netns "$NS_CLI" type veth peer name r3 netns "$NS_RTR"
    ip -n "$NS_CLI" addr add 10.77.3.1/24 dev c1
    ip -n "$NS_RTR" addr add 10.77.3.2/24 dev r3
    ip -n "$NS_CLI" link set c1 up
    ip -n "$NS_RTR" link set r3 up
    in_ns "$NS_CLI" sysctl -qw net.ipv4.conf.c1.route_localnet=1
fi
ip -n "$NS_EMU" route add default via 10.77.2.1
in_ns "$NS_RTR" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0
in_ns "$NS_CLI" sysctl -qw net.ipv4.conf.c0.route_localnet=1
in_ns "$NS_EMU" sysctl -qw net.ipv4.conf.e0.route_localnet=1

# Latency: every packet the router forwards goes through the delay line's TUN device and back.
ONE_WAY_MS=$(python3 -c "print($RTT_MS / 2)")
ip netns exec "$NS_RTR" python3 "$ROOT/scripts/delay_line.py" --dev dl0 --delay-ms "$ONE_WAY_MS" \
    >"$RUN/dl.out" 2>"$RUN/dl.err" &
DL_PID=$!
for _ in $(seq 100); do grep -q ready "$RUN/dl.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$RUN/dl.out" || { cat "$RUN/dl.err" >&2; exit 1; }
ip -n "$NS_RTR" link set dl0 up
in_ns "$NS_RTR" sysctl -qw net.ipv4.conf.dl0.rp_filter=0
ip -n "$NS_RTR" route add default dev dl0 table 100
ip -n "$NS_RTR" rule add pref 100 iif dl0 lookup main   # back from the delay line: deliver
ip -n "$NS_RTR" rule add pref 200 lookup 100            # anything else: into the delay line

# Loss, both directions, counted.
in_ns "$NS_RTR" nft -f - <<EOF
table inet takeup_link {
    chain loss {
        type filter hook forward priority 0; policy accept;
        iifname { "r1", "r2", "r3" } numgen random mod 100 < $LOSS counter drop
    }
}
EOF
# Rate: on the client's egress (uploads). A queue of ~one round trip at the rate.
in_ns "$NS_CLI" tc qdisc replace dev c0 root tbf rate "$RATE" burst 32kb latency "${RTT_MS}ms"
if [[ "${EXTRA_LINK:-0}" == 1 ]]; then
    in_ns "$NS_CLI" tc qdisc replace dev c1 root tbf rate "$RATE" burst 32kb latency "${RTT_MS}ms"
fi

# --- emulator (in its namespace, on loopback) ---------------------------------------------------
ip netns exec "$NS_EMU" "$TAKEUP" emulator --json --data "$RUN/emu" >"$RUN/emu.json" 2>"$RUN/emu.log" &
EMU_PID=$!
for _ in $(seq 100); do [[ -s "$RUN/emu.json" ]] && break; sleep 0.1; done
BASE=$(json 'd["base_url"]' <"$RUN/emu.json")
S3=$(json 'd["s3_base_url"]' <"$RUN/emu.json")
CA=$(json 'd["ca_path"]' <"$RUN/emu.json")
SECRET=$(json 'd["client_secret"]' <"$RUN/emu.json")
API_PORT=${BASE##*:} S3_PORT=${S3##*:}

# The client reaches 127.0.0.1:{API,S3} across the link; the emulator side maps it back.
in_ns "$NS_CLI" nft -f - <<EOF
table ip takeup_link {
    chain out { type nat hook output priority -100; ip daddr 127.0.0.1 tcp dport { $API_PORT, $S3_PORT } dnat to 10.77.2.2; }
    chain post { type nat hook postrouting priority 100; oifname { "c0", "c1" } masquerade; }
}
EOF
in_ns "$NS_EMU" nft -f - <<EOF
table ip takeup_link {
    chain pre { type nat hook prerouting priority -100; iifname "e0" tcp dport { $API_PORT, $S3_PORT } dnat to 127.0.0.1; }
}
EOF

C=(in_ns "$NS_EMU" curl -sS --fail-with-body --cacert "$CA")   # control calls: unshaped
CS=(in_ns "$NS_CLI" curl -sS --fail-with-body --cacert "$CA")  # through the link
"${C[@]}" -X POST "$BASE/_emulator/settings" -H 'content-type: application/json' \
    -d '{"rate_limit_per_sec": null, "url_ttl_secs": 86400, "access_token_ttl_secs": 86400, "poll_interval_secs": 1}' >/dev/null
"${CS[@]}" -o /dev/null "$BASE/health" || { echo "the emulator is not reachable through the link" >&2; exit 1; }

approve_pending() { # approve every pending code
    local codes
    for _ in $(seq 100); do
        codes=$("${C[@]}" "$BASE/_emulator/pending" | json '" ".join(c["user_code"] for c in (d if isinstance(d, list) else d.get("pending", [])) if not c.get("approved"))')
        [[ -n "$codes" ]] && break
        sleep 0.2
    done
    for code in $codes; do
        "${C[@]}" -X POST "$BASE/_emulator/approve" -H 'content-type: application/json' \
            -d "{\"user_code\": \"$code\"}" >/dev/null
    done
}

# --- takeup pairing (through the link) ----------------------------------------------------------
export TAKEUP_STATE_DIR=$RUN/state TAKEUP_API_BASE=$BASE TAKEUP_CLIENT_SECRET=$SECRET \
    TAKEUP_CA_FILE=$CA TAKEUP_UPLOAD_HOSTS=${S3#https://}
in_ns "$NS_CLI" "$TAKEUP" pair >"$RUN/pair.log" 2>&1 &
PAIR_PID=$!
approve_pending
wait "$PAIR_PID" || { cat "$RUN/pair.log" >&2; exit 1; }
}

set_cc() {
    # A namespace other than the host's may only pick an algorithm of the host's allowed list:
    # add it there for the run (restored on exit).
    local allowed
    allowed=$(sysctl -n net.ipv4.tcp_allowed_congestion_control)
    if [[ " $allowed " != *" $1 "* ]]; then
        [[ -n "$ALLOWED_CC0" ]] || ALLOWED_CC0=$allowed
        sysctl -qw net.ipv4.tcp_allowed_congestion_control="$allowed $1"
    fi
    in_ns "$NS_CLI" sysctl -qw net.ipv4.tcp_congestion_control="$1"
}

# The client's route moves to the second link (EXTRA_LINK=1) and the first goes down, as when a
# phone walks out of Wi-Fi onto LTE: connections on the old address stall (their packets leave
# through the new link with the old source address, and the answers have no way back).
link_handover() {
    ip -n "$NS_CLI" route replace default via 10.77.3.2 dev c1
    ip -n "$NS_CLI" link set c0 down
}
