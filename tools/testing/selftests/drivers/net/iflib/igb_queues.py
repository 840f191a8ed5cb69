#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Queue sets on the 82576 (QEMU igb): RSS over every RX queue, `ethtool -X` and `-L`.

em_queues.py's cases on iflib_igb, whose 82576 has eight queue pairs (one set per CPU
online by default):
- flows from the peer, their source ports chosen so that Toeplitz and the table send
  some to every queue, land each where the hash predicts, and every RX queue counts
  them; `-X equal 1` and `weight 0 1` move every flow; `-L combined 1` is refused
  while the table names queue 1;
- `-L combined 9` and 0 are refused with EINVAL and a message;
- `-L combined 1`, then 8, then back, under a ping flood and a TCP stream: the
  stream keeps crossing, and the vectors, NAPI contexts, page pools and XPS maps
  follow; the same while down;
- at eight sets, 32 flows spread over all eight RX queues as the hash predicts.
"""

import em_queues
from em_queues import channels_refused, channels_under_traffic, channels_while_down, \
    rss_spreads_flows, rss_table_moves_flows, spread_over_cpus
from iflib_env import channels, run_on_pair, sets_in_use
from lib.py import defer, ethtool, ksft_true

# Flows per check: at eight queue sets, four a queue.
em_queues.FLOWS = 32


def eight_sets_spread_flows(cfg):
    """At the 82576's eight queue sets, flows land on all eight RX queues as predicted."""
    most, count = channels(cfg)
    defer(ethtool, "-L %s combined %d" % (cfg.ifname, count))
    ethtool("-L %s combined %d" % (cfg.ifname, most))
    ksft_true(sets_in_use(cfg, most, most), "%d queue sets in use" % most)
    spread_over_cpus(cfg)
    rss_spreads_flows(cfg)


def main():
    run_on_pair(__file__, "igb", [rss_spreads_flows, rss_table_moves_flows, channels_refused,
                                  channels_under_traffic, channels_while_down,
                                  eight_sets_spread_flows])


if __name__ == "__main__":
    main()
