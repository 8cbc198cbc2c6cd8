#!/usr/bin/env python3
"""Packet delay line for scripts/bench-link: adds a fixed one-way delay to every IP packet routed
through a TUN device, preserving order and throughput.

The kernel here has no netem, so latency is added in user space. This works on packets, not on a
TCP stream: a TCP proxy would end the client's connection at the proxy, so the client's TCP would
never see the added round trip (nor the loss behind it). A packet delay line sits inside the path,
so the uploader's own TCP connections see the round trip, the loss and the rate limit, as on a real
link.

How: it opens a TUN device (IFF_TUN | IFF_NO_PI) in the router namespace. bench-link routes every
packet forwarded by that namespace into the device (policy routing: everything not arriving from the
device goes to it; what arrives from it is routed normally). Each packet read is stamped with its
arrival time and written back to the device once `--delay-ms` has passed: no sleep per packet, the
queue holds one delay's worth of traffic, so the line stays full at any rate. Both directions share
one FIFO with the same delay, so order is kept per direction (round trip = 2 x delay).

Usage: delay_line.py --dev NAME --delay-ms MS      (as root, inside the router network namespace)
It prints "ready" on stdout once the device exists, and runs until SIGTERM/SIGINT, then prints one
line of counters on stderr. The device disappears when the process exits.
Needs: Python 3.8+, /dev/net/tun, root (CAP_NET_ADMIN).
"""

import argparse
import collections
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", required=True, help="TUN device name (at most 15 characters)")
    ap.add_argument("--delay-ms", type=float, required=True, help="one-way delay per packet")
    ap.add_argument("--max-queue", type=int, default=200_000, help="packets held at most")
    args = ap.parse_args()

    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", args.dev.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    delay = args.delay_ms / 1000.0
    queue: collections.deque = collections.deque()
    stop = False
    held_max = 0
    forwarded = 0
    dropped = 0
    nbytes = 0

    def on_signal(_sig, _frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("ready", flush=True)

    clock = time.monotonic
    while not stop:
        timeout = 0.25  # wake up now and then to notice a stop signal (select retries on EINTR)
        if queue:
            timeout = min(timeout, max(0.0, queue[0][0] - clock()))
        try:
            readable, _, _ = select.select([fd], [], [], timeout)
        except InterruptedError:
            continue
        if readable:
            due = clock() + delay
            # Drain what is there now (bounded, so releases are not starved under load).
            for _ in range(256):
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if len(queue) >= args.max_queue:
                    dropped += 1
                    continue
                queue.append((due, pkt))
            held_max = max(held_max, len(queue))
        now = clock()
        while queue and queue[0][0] <= now:
            _, pkt = queue.popleft()
            try:
                os.write(fd, pkt)
                forwarded += 1
                nbytes += len(pkt)
            except BlockingIOError:
                dropped += 1
            except OSError:
                dropped += 1  # e.g. the kernel refused a malformed packet
    print(
        f"delay_line: {forwarded} packets ({nbytes / 1e6:.1f} MB) forwarded after "
        f"{args.delay_ms:g} ms, {dropped} dropped, at most {held_max} held",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
