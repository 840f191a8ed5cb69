#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""RX buffers running out for want of memory must not make NAPI spin.

A UDP socket on the DUT that never reads holds every frame it is sent, and
with it the frame's page_pool page, while the kernel's fault injection
(fail_page_alloc) fails every page allocation that cannot sleep: the pool
cannot replace the pages, and the peer's pktgen flood empties the RX ring.
The NAPI poll then finds slots it cannot fill. It must not poll again at
once (that spins in softirq context for as long as memory stays short, as
the NAPI poll used to): with the flood stopped and memory still short, the
polls over two seconds are the admin work's retries, a few every 10 ms,
not thousands. Once memory is back and the socket is closed, the retries
fill the ring and the peer answers a ping.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from iflib_env import Pktgen, answers_ping, ethtool_stat, ip, run_on_pair, wait_for
from lib.py import defer, ksft_gt, ksft_lt, ksft_pr, ksft_true

FAIL = Path("/sys/kernel/debug/fail_page_alloc")
# Every page allocation that cannot sleep, of any order and any task (the NAPI poll runs
# in softirq context, in whatever task it interrupted); quiet. Sleeping allocations (the
# test's own, user memory) go on.
FAULT_SETTINGS = {"ignore-gfp-wait": "Y", "ignore-gfp-highmem": "Y", "min-order": "0",
                  "interval": "1", "times": "-1", "verbose": "0", "task-filter": "N",
                  "probability": "0"}
# The measurement window, and the most polls it may see: at one retry every 10 ms, 200.
WINDOW_S = 2
MAX_POLLS = 1000
SINK = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 256 << 20)  # SO_RCVBUFFORCE
s.bind(("0.0.0.0", 9))
print("ready", flush=True)
sys.stdin.read()
"""


def fail_atomic_page_allocations(on):
    """Turns the failures of non-sleeping page allocations on or off."""
    (FAIL / "probability").write_text("100" if on else "0")


def rx_starved_polls_pace(cfg):
    """Out of RX buffers, NAPI retries at a pace rather than spinning; then recovers."""
    for name, value in FAULT_SETTINGS.items():
        path = FAIL / name
        old = path.read_text().strip()
        path.write_text(value)
        defer(path.write_text, old)
    # Holds every frame sent to UDP port 9, with its page, until its stdin closes.
    sink = subprocess.Popen([sys.executable, "-c", SINK], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    defer(sink.wait, timeout=30)
    defer(sink.stdin.close)
    if sink.stdout.readline().strip() != "ready":
        raise RuntimeError("the UDP sink did not start")

    short = ethtool_stat(cfg.ifname, "rx_buffer_short")
    mac = ip("link show dev " + cfg.ifname, json=True)[0]["address"]
    fail_atomic_page_allocations(True)
    defer(fail_atomic_page_allocations, False)
    with Pktgen(cfg, mac, dst=cfg.addr_v["4"], src=cfg.remote_addr_v["4"]):
        starved = wait_for(lambda: ethtool_stat(cfg.ifname, "rx_buffer_short") > short, 60)
    ksft_true(starved, "the flood left RX slots empty")
    # The sink holds the pages: the slots stay empty after the flood (on the debug kernel
    # the failures also take the slab memory of the stack's RX path, which then drops
    # frames and so gives their pages back: it runs this test in the main run only).
    short = ethtool_stat(cfg.ifname, "rx_buffer_short")
    ksft_true(wait_for(lambda: ethtool_stat(cfg.ifname, "rx_buffer_short") > short, 5),
              "RX slots stay empty after the flood")

    # Memory still short, nothing arriving: count the polls.
    polls = ethtool_stat(cfg.ifname, "napi_polls")
    short = ethtool_stat(cfg.ifname, "rx_buffer_short")
    start = time.monotonic()
    time.sleep(WINDOW_S)
    polls = ethtool_stat(cfg.ifname, "napi_polls") - polls
    short = ethtool_stat(cfg.ifname, "rx_buffer_short") - short
    elapsed = time.monotonic() - start
    ksft_pr("in %.1f s out of buffers: %d NAPI polls, %d left slots empty" %
            (elapsed, polls, short))
    ksft_lt(polls, MAX_POLLS * elapsed / WINDOW_S, "NAPI polls while out of buffers")
    ksft_gt(short, 0, "polls retried the refill")

    fail_atomic_page_allocations(False)
    sink.stdin.close()
    sink.wait(timeout=30)
    ksft_true(answers_ping(cfg, 5), "the peer answers a ping once memory is back")

    def retries_stopped():
        before = ethtool_stat(cfg.ifname, "rx_buffer_short")
        time.sleep(0.5)
        return ethtool_stat(cfg.ifname, "rx_buffer_short") == before

    ksft_true(wait_for(retries_stopped, 10), "the retries stop once the ring is full")


def main():
    # MODEL may list several (the harness's quick run): the first.
    model = (os.environ.get("MODEL") or "e1000").split(",")[0]
    run_on_pair(__file__, model, [rx_starved_polls_pace])


if __name__ == "__main__":
    main()
