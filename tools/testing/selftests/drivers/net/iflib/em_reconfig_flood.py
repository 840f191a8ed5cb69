#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Ring and MTU changes while iflib_em transmits a flood lose no packet to a missing ring.

iperf3 sends from the DUT to the peer over TCP (4 streams) through iflib_em's
xmit path while ring sizes and the MTU change in a loop. Each change stops the
device, frees the rings and starts it with new ones; the stack's TX queue must
stay stopped for all of that, so no xmit ever finds the ring absent or half
installed (iflib counts such a packet in tx_dropped): no completion may wake
the queue in between. After the loop the flood goes on crossing, the peer
answers pings and the TX watchdog never fired.
"""

import os

from iflib_env import TIME_FACTOR, answers_ping, by_scope, ethtool, ethtool_stat, ip, \
    link_counter, peer_receives, run_on_pair
from lib.py import Iperf3Runner, defer, ksft_eq, ksft_gt, ksft_pr, ksft_true

# Two on the debug kernel, where a round under the flood takes a minute.
ROUNDS = by_scope(2 if TIME_FACTOR > 1 else 3, 8)
# Ring sizes (TX, RX) and MTUs the loop alternates between.
RINGS = ((256, 256), (128, 512))
MTUS = (1500, 2000)


def reconfig_under_tx_flood(cfg):
    """ethtool -G and MTU changes under a TX flood: tx_dropped stays 0."""
    defer(ethtool, "-G %s tx 256 rx 256" % cfg.ifname)
    defer(ip, "link set dev %s mtu 1500" % cfg.ifname)
    ksft_true(answers_ping(cfg, 10), "ping passes before the flood")
    dropped = ethtool_stat(cfg.ifname, "tx_dropped")
    timeouts = ethtool_stat(cfg.ifname, "tx_timeouts")
    received = link_counter(cfg.remote_ifname, "rx_packets", host=cfg.remote)


    # The server on the DUT sends (--reverse).
    iperf = Iperf3Runner(cfg)
    server = iperf.start_server()
    client = iperf.start_client(background=True, streams=4, duration=3600, reverse=True)
    try:
        ksft_true(peer_receives(cfg, 1000, 10), "the flood reaches the peer")
        for i in range(ROUNDS):
            tx, rx = RINGS[i % 2]
            ethtool("-G %s tx %d rx %d" % (cfg.ifname, tx, rx))
            ip("link set dev %s mtu %d" % (cfg.ifname, MTUS[i % 2]))
            # Each round under traffic: TCP's retransmission backoff stays short.
            ksft_true(peer_receives(cfg, 100, 10),
                      "the flood crosses after change %d" % (i + 1))
        ksft_true(peer_receives(cfg, 1000, 10),
                  "the flood still reaches the peer after the changes")
    finally:
        client.process(terminate=True, fail=False)
        server.process(terminate=True, fail=False)
    ksft_pr("frames the peer received: %d" %
            (link_counter(cfg.remote_ifname, "rx_packets", host=cfg.remote) - received))
    ksft_eq(ethtool_stat(cfg.ifname, "tx_dropped") - dropped, 0,
            "packets the xmit path dropped (tx_dropped)")
    ksft_true(answers_ping(cfg, 5), "the peer answers a ping after the flood")
    ksft_eq(ethtool_stat(cfg.ifname, "tx_timeouts"), timeouts, "TX timeouts")
    ksft_gt(ethtool_stat(cfg.ifname, "tx_packets"), 0, "packets sent")


def main():
    # MODEL may list several (the harness's quick run): the first.
    model = (os.environ.get("MODEL") or "e1000").split(",")[0]
    run_on_pair(__file__, model, [reconfig_under_tx_flood])


if __name__ == "__main__":
    main()
