#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""igb on iflib: iflib_igb on the DUT of QEMU's igb pair (82576), the C igb on the peer.

 - queue sets: as many as the CPUs online allow (the 82576 has 8), each with its MSI-X
   vector "<if>-TxRx-<n>", its NAPI context serving RX and TX queue n and its page pool,
   beside the admin vector "<if>";
 - ping over IPv4 and IPv6, both ways;
 - the host takes the link down and up twice, as a cable would: the carrier follows
   each time (the admin vector keeps firing for link changes) and pings cross after;
 - em_traffic.py's volume cases on this pair: paced UDP each way counted by both ends
   and by the receiver's UDP layer, none lost; TCP each way intact (SHA-1), with both
   ends' frame counters agreeing (smaller on the debug kernel).
"""

import os

import em_traffic
from em_traffic import tcp_in, tcp_out, udp_in, udp_out
from iflib_env import TIME_FACTOR, answers_ping, carrier, channels, cmd, host_link, \
    run_on_pair, sets_in_use, wait_for
from lib.py import ksft_eq, ksft_true

# The queue sets the 82576 has.
MOST_SETS = 8
if TIME_FACTOR > 1:
    # The debug kernel: enough to cross every path, not to measure it.
    em_traffic.COUNT = 4000
    em_traffic.MIB = 8


def queue_sets(cfg):
    """One queue set per CPU online, up to 8, each complete, and the admin vector."""
    count = min(MOST_SETS, os.cpu_count())
    ksft_eq(channels(cfg), (MOST_SETS, count), "ethtool -l: the most and the sets in use")
    ksft_true(sets_in_use(cfg, count, MOST_SETS),
              "a vector, NAPI context, queue pair and page pool per set")


def ping_both_ways(cfg):
    """Pings cross over IPv4 and IPv6, from the DUT and from the peer."""
    for version in ("4", "6"):
        cmd("ping -%s -c 3 -i 0.2 -W 2 %s" % (version, cfg.remote_addr_v[version]))
        cmd("ping -%s -c 3 -i 0.2 -W 2 %s" % (version, cfg.addr_v[version]), host=cfg.remote)


def link_flaps(cfg):
    """Twice, the host takes the DUT's link down, then up: the carrier follows, and the
    peer answers pings after."""
    mac = cfg.dev["address"]
    for _ in range(2):
        host_link(mac, "down")
        ksft_true(wait_for(lambda: not carrier(cfg.ifname), 10),
                  "carrier lost with the link")
        host_link(mac, "up")
        ksft_true(wait_for(lambda: carrier(cfg.ifname), 10),
                  "carrier back with the link")
    ksft_true(answers_ping(cfg, 10), "the peer answers after the flaps")


def main():
    try:
        run_on_pair(__file__, "igb", [queue_sets, ping_both_ways, link_flaps, udp_out, udp_in,
                                      tcp_out, tcp_in])
    finally:
        cmd("rmmod pktgen", fail=False)


if __name__ == "__main__":
    main()
