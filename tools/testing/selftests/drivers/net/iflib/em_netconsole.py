#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""netconsole on iflib_em while its XDP program floods the TX ring.

The DUT's XDP program sends the peer's flood back out (XDP_TX) on a TX ring of
80 entries, and netconsole logs to the peer over the same ring. NAPI defers
its interrupt and polls every 50 ms: each poll leaves XDP frames on the ring,
and the messages logged before the next one fill it behind them. A netconsole
packet then finds the stack's queue stopped, and netpoll polls the queue set
with budget 0, IRQs off: it may complete the stack's packets only, never
return XDP frames or page pool pages (napi.rst); it stops at the first and
schedules NAPI. The messages reach the peer during and after the flood;
netpoll did find XDP frames at the head of the ring (netpoll_xdp_left); the
debug kernel's lockdep reports nothing (the harness fails the test on any
report).
"""

import os
from pathlib import Path

from iflib_env import Netconsole, Pktgen, answers_ping, ethtool, ethtool_stat, ip, \
    ring_size, run_on_pair, wait_for
from lib.py import defer, ksft_gt, ksft_pr, ksft_true

OBJ = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xdp_reflect.bpf.o")
# The smallest TX ring em allows: XDP_TX fills it in one poll.
TX_RING = 80
# Between NAPI polls (gro_flush_timeout, with the interrupt deferred).
POLL_NS = 50_000_000
# Bursts of messages while the flood lasts, until netpoll has found XDP frames POLLS times.
POLLS = 20
BURSTS = 40
BURST = 80


def netconsole_under_xdp_tx_flood(cfg):
    """netconsole messages cross while XDP_TX fills the ring; netpoll polls cleanly."""
    tx_ring = ring_size(cfg.ifname)
    ethtool("-G %s tx %d" % (cfg.ifname, TX_RING))
    defer(ethtool, "-G %s tx %d" % (cfg.ifname, tx_ring))
    sysfs = Path("/sys/class/net", cfg.ifname)
    for name, value in (("gro_flush_timeout", POLL_NS), ("napi_defer_hard_irqs", 1 << 30)):
        old = (sysfs / name).read_text()
        (sysfs / name).write_text(str(value))
        defer((sysfs / name).write_text, old)
    ksft_true(answers_ping(cfg, 10), "ping passes with the small ring")
    with Netconsole(cfg) as console:
        console.log("iflib-netconsole: before the flood")
        ksft_true(wait_for(lambda: console.arrived("iflib-netconsole: before the flood"), 10),
                  "a message reaches the peer")
        ip("link set dev %s xdpdrv obj %s sec xdp" % (cfg.ifname, OBJ))
        defer(ip, "link set dev %s xdpdrv off" % cfg.ifname)
        polls = ethtool_stat(cfg.ifname, "netpoll_polls")
        left = ethtool_stat(cfg.ifname, "netpoll_xdp_left")
        xdp_tx = ethtool_stat(cfg.ifname, "xdp_tx")
        mac = ip("link show dev " + cfg.ifname, json=True)[0]["address"]
        with Pktgen(cfg, mac):
            ksft_true(wait_for(lambda: ethtool_stat(cfg.ifname, "xdp_tx") > xdp_tx + 1000, 10),
                      "the program reflects the flood")
            for burst in range(BURSTS):
                console.log(*("iflib-netconsole: flood %d-%d" % (burst, i) for i in range(BURST)))
                if ethtool_stat(cfg.ifname, "netpoll_xdp_left") > left + POLLS:
                    break
        polls = ethtool_stat(cfg.ifname, "netpoll_polls") - polls
        left = ethtool_stat(cfg.ifname, "netpoll_xdp_left") - left
        ksft_pr("netpoll polls during the flood: %d, %d of them stopped at an XDP frame, "
                "after %d bursts" % (polls, left, burst + 1))
        ksft_gt(left, 0, "netpoll polls that found XDP frames and left them to NAPI")
        console.log("iflib-netconsole: after the flood")
        ksft_true(wait_for(lambda: console.arrived("iflib-netconsole: after the flood"), 10),
                  "a message reaches the peer after the flood")
    ksft_true(answers_ping(cfg, 3), "the peer answers a ping after the flood")


def main():
    # MODEL may list several (the harness's quick run): the first.
    model = (os.environ.get("MODEL") or "e1000").split(",")[0]
    run_on_pair(__file__, model, [netconsole_under_xdp_tx_flood])


if __name__ == "__main__":
    main()
