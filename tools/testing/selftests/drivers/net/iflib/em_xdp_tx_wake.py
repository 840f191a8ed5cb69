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

from iflib_env import Pktgen, answers_ping, cmd, ethtool, ethtool_stat, ip, link_counter, \
    run_on_pair
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
    reflected = link_counter(cfg.remote_ifname, "rx_packets", host=cfg.remote)

    mac = ip("link show dev " + cfg.ifname, json=True)[0]["address"]
    with Pktgen(cfg, mac):
        # As fast as answers come, for as long as the flood lasts.
        cmd("ping -f -q -w 8 " + cfg.remote_addr_v["4"], fail=False, timeout=30)
    reflected = link_counter(cfg.remote_ifname, "rx_packets", host=cfg.remote) - reflected
    ksft_pr("frames reflected to the peer: %d (xdp_tx %d)" %
            (reflected, ethtool_stat(cfg.ifname, "xdp_tx")))
    ksft_gt(reflected, 1000, "frames the program sent back reached the peer")

    ksft_true(answers_ping(cfg, 3), "the peer answers a ping within 3 s of the flood")
    ksft_eq(ethtool_stat(cfg.ifname, "tx_timeouts"), timeouts, "TX timeouts")


def main():
    # MODEL may list several (the harness's quick run): the first.
    model = (os.environ.get("MODEL") or "e1000").split(",")[0]
    run_on_pair(__file__, model, [xdp_tx_flood_keeps_stack_queue])


if __name__ == "__main__":
    main()
