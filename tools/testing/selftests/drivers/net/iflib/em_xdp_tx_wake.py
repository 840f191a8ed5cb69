#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""XDP_TX on a small TX ring must not leave the stack's TX queue stopped.

The DUT's XDP program sends the peer's flood back out (XDP_TX) on a TX ring
of 80 entries while the DUT pings the peer as fast as it answers: the ring
fills with XDP frames, the stack's queue stops, and only XDP frames complete.
Their completions must wake the queue: after the flood the peer answers a
ping at once, and the TX watchdog never fired.
"""

import os

from iflib_env import TIME_FACTOR, Pktgen, answers_ping, cmd, ethtool, ethtool_stat, ip, \
    run_on_pair, wait_for
from lib.py import defer, ksft_eq, ksft_gt, ksft_pr, ksft_true

OBJ = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xdp_reflect.bpf.o")
# The smallest TX ring em allows: XDP_TX fills it in one poll.
TX_RING = 80


def xdp_tx_flood_keeps_stack_queue(cfg):
    """XDP_TX fills the ring; the stack's queue wakes when only XDP frames complete."""
    ethtool("-G %s tx %d" % (cfg.ifname, TX_RING))
    defer(ethtool, "-G %s tx 256" % cfg.ifname)
    ksft_true(answers_ping(cfg, 10), "ping passes with the small ring")
    ip("link set dev %s xdpdrv obj %s sec xdp" % (cfg.ifname, OBJ))
    defer(ip, "link set dev %s xdpdrv off" % cfg.ifname)
    timeouts = ethtool_stat(cfg.ifname, "tx_timeouts")
    xdp_tx = ethtool_stat(cfg.ifname, "xdp_tx")

    mac = ip("link show dev " + cfg.ifname, json=True)[0]["address"]
    with Pktgen(cfg, mac):
        ksft_true(wait_for(lambda: ethtool_stat(cfg.ifname, "xdp_tx") > xdp_tx + 100, 10),
                  "the program reflects the flood")
        # As fast as answers come, while the flood lasts.
        cmd("ping -f -q -w 8 " + cfg.remote_addr_v["4"], fail=False, timeout=30 * TIME_FACTOR)
    xdp_tx = ethtool_stat(cfg.ifname, "xdp_tx") - xdp_tx
    ksft_pr("frames the program sent back: %d" % xdp_tx)
    ksft_gt(xdp_tx, 1000, "frames the program sent back (XDP_TX)")

    ksft_true(answers_ping(cfg, 3), "the peer answers a ping within 3 s of the flood")
    ksft_eq(ethtool_stat(cfg.ifname, "tx_timeouts"), timeouts, "TX timeouts")


def main():
    # MODEL may list several (the harness's quick run): the first.
    model = (os.environ.get("MODEL") or "e1000").split(",")[0]
    run_on_pair(__file__, model, [xdp_tx_flood_keeps_stack_queue])


if __name__ == "__main__":
    main()
