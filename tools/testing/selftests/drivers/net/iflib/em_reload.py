#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unloading iflib_em under traffic in both directions and loading it again.

ROUNDS times (5; 20 in make test-full; ROUNDS in the environment overrides it, as
the harness's debug runs do) on every em model, while pktgen on the peer streams
at the DUT and the DUT pings the peer as fast as it answers: every unload
finishes, the interface comes back with its link each time, traffic was flowing
at every unload, a ping passes after the last load, and the kernel logs no
warning. Among what the log check catches: "irq N: nobody cared". An INTx line
freed while its device asserts it stays latched in QEMU's IO-APIC (the pin is
edge-triggered once released, and a later deassertion is lost), and the next
request_irq on it storms; iflib masks the device before it frees the line.
(The harness's kmemleak scan after all tests catches what leaked.) igb_reload.py
runs the case on iflib_igb.
"""

import os
import re
import signal
import subprocess

from iflib_env import TIME_FACTOR, Pktgen, answers_ping, by_scope, carrier, cmd, \
    ifname_by_mac, ip, kernel_log_since, kmsg_mark, link_counter, run_on_models, wait_for
from lib.py import ksft_eq, ksft_pr, ksft_true

ROUNDS = int(os.environ.get("ROUNDS") or by_scope(5, 20))
# Seconds an unload may take before it counts as hung.
RMMOD_LIMIT = 20 * TIME_FACTOR
BAD_LOG = re.compile(r"WARNING|BUG|Oops|leak|refcount|nobody cared")


class PingLoad:
    """The DUT pings ADDR as fast as it answers, starting again while the interface is
    away (a context manager)."""

    def __init__(self, addr):
        # The pause keeps the loop from spinning while there is no route.
        self.loop = ("while :; do ping -q -c 500 -i 0.002 -W 1 %s >/dev/null 2>&1 || "
                     "sleep 0.1; done" % addr)
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(["sh", "-c", self.loop], start_new_session=True)
        return self

    def __exit__(self, *exc):
        # The loop and the ping it runs: the loop's own process group.
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        return False


def dut_up(cfg, mac):
    """Brings the DUT (back) up with its address once the interface with MAC is there, and
    points CFG at it (a new net device, maybe with another name); returns whether it got
    its link."""
    if not wait_for(lambda: ifname_by_mac(mac) is not None, 10):
        return False
    name = ifname_by_mac(mac)
    cmd("ip addr add %s/24 dev %s" % (cfg.addr_v["4"], name), fail=False)
    ip("link set dev %s up" % name)
    cfg.dev = ip("-d link show dev " + name, json=True)[0]
    cfg.ifname, cfg.ifindex = name, cfg.dev["ifindex"]
    cfg.ethnl_header = {"header": {"dev-index": cfg.ifindex}}
    return wait_for(lambda: carrier(name), 10)


def unload_under_traffic(cfg):
    """ROUNDS unloads of the DUT's driver under traffic both ways, each loaded again: traffic was
    flowing at every unload, every unload finishes, the interface and its link come back
    after every load; then a ping passes and the kernel log is clean."""
    mac = cfg.dev["address"]
    mark = kmsg_mark("em_reload")
    # The pair passes traffic before the loads start (the links came up moments ago).
    ksft_true(answers_ping(cfg, 10), "ping passes before the loads")
    busy = unloaded = back = 0
    # The peer streams small frames at the DUT's MAC (RX), the DUT pings (TX).
    with Pktgen(cfg, mac, rate=20000), PingLoad(cfg.remote_addr_v["4"]):
        for n in range(1, ROUNDS + 1):
            # The DUT has received 200 frames since it came up.
            if wait_for(lambda: link_counter(cfg.ifname, "rx_packets") >= 200, 5):
                busy += 1
            rx = link_counter(cfg.ifname, "rx_packets")
            if cmd("timeout %d rmmod %s" % (RMMOD_LIMIT, cfg.driver), fail=False,
                   timeout=RMMOD_LIMIT + 10).ret != 0:
                ksft_pr("round %d: rmmod failed or hung" % n)
                break
            unloaded += 1
            if cmd("modprobe " + cfg.driver, fail=False).ret != 0:
                ksft_pr("round %d: modprobe %s failed" % (n, cfg.driver))
                break
            if not dut_up(cfg, mac):
                ksft_pr("round %d: %s did not come back with its link" % (n, mac))
                break
            back += 1
            ksft_pr("round %d: unloaded after receiving %d frames" % (n, rx))

    ksft_eq(busy, ROUNDS, "unloads with traffic flowing")
    ksft_eq(unloaded, ROUNDS, "rmmod under traffic")
    ksft_eq(back, ROUNDS, "interface and link back after the loads")
    ksft_true(answers_ping(cfg, 5), "IPv4 ping after the last load")
    log = kernel_log_since(mark)
    ksft_true(log, "the test's mark is still in the kernel log")
    bad = [line for line in log.splitlines() if BAD_LOG.search(line)]
    for line in bad[:5]:
        ksft_pr(line)
    ksft_eq(len(bad), 0, "kernel log lines reporting a problem")


def main():
    try:
        run_on_models(__file__, [unload_under_traffic])
    finally:
        cmd("rmmod pktgen", fail=False)


if __name__ == "__main__":
    main()
