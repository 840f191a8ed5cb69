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
- at eight sets, 32 flows spread over all eight RX queues as the hash predicts;
- `ethtool -N rx-flow-hash`: TCP hashed by ports and UDP by addresses by default; UDP
  by its ports and TCP by addresses alone on request, read back over the ioctl and
  netlink and in MRQC, kept across a restart; the source address alone refused with
  EINVAL and a message.
"""

import em_queues
from em_queues import channels_refused, channels_under_traffic, channels_while_down, \
    rss_spreads_flows, rss_table_moves_flows, spread_over_cpus
from iflib_env import channels, ethnl_set, register, ring_size, run_on_pair, sets_in_use
from lib.py import defer, ethtool, ksft_eq, ksft_true

# Flows per check: at eight queue sets, four a queue.
em_queues.FLOWS = 32


# The multiple receive queue command register and its bits that hash the ports of TCP and
# UDP over IPv4 and IPv6 (TCP over IPv6 has two: with and without extension headers; QEMU's
# model reads the second).
MRQC = 0x5818
PORT_BITS = {"tcp4": 1 << 16, "tcp6": 1 << 21 | 1 << 18, "udp4": 1 << 22, "udp6": 1 << 23}


def port_bits(mrqc, bits):
    """True when MRQC has all of BITS, False when none, else what it has."""
    return {bits: True, 0: False}.get(mrqc & bits, hex(mrqc & bits))


def hashed_by(cfg):
    """{flow: (fields over the ioctl, fields over netlink, ports in MRQC)} of the four."""
    rss = cfg.ethnl.rss_get(cfg.ethnl_header)["flow-hash"]
    mrqc = register(cfg, MRQC)
    return {flow: (ethtool("-n %s rx-flow-hash %s" % (cfg.ifname, flow)).stdout.count("L4"),
                   sorted(rss[flow]), port_bits(mrqc, bit)) for flow, bit in PORT_BITS.items()}


def hash_fields_set(cfg):
    """TCP by ports and UDP by addresses by default; both switched, read back three ways,
    kept across a restart; the source address alone refused."""
    addresses, ports = ["ip-dst", "ip-src"], ["ip-dst", "ip-src", "l4-b-0-1", "l4-b-2-3"]
    default = {"tcp4": (2, ports, True), "tcp6": (2, ports, True),
               "udp4": (0, addresses, False), "udp6": (0, addresses, False)}
    ksft_eq(hashed_by(cfg), default, "TCP by ports, UDP by addresses by default")
    for flow in PORT_BITS:
        defer(ethtool, "-N %s rx-flow-hash %s %s" %
              (cfg.ifname, flow, "sdfn" if flow.startswith("tcp") else "sd"))
    ethtool("-N %s rx-flow-hash udp4 sdfn" % cfg.ifname)
    ethtool("-N %s rx-flow-hash udp6 sdfn" % cfg.ifname)
    ethtool("-N %s rx-flow-hash tcp6 sd" % cfg.ifname)
    switched = dict(default, udp4=(2, ports, True), udp6=(2, ports, True),
                    tcp6=(0, addresses, False))
    ksft_eq(hashed_by(cfg), switched, "UDP by ports, TCP/IPv6 by addresses on request")
    rx = ring_size(cfg.ifname, "RX")
    defer(ethtool, "-G %s rx %d" % (cfg.ifname, rx))
    ethtool("-G %s rx %d" % (cfg.ifname, rx // 2))
    ksft_eq(hashed_by(cfg), switched, "kept across a restart (ethtool -G)")
    refused = ethnl_set(cfg, "rss", **{"flow-hash": {"udp4": {"ip-src"}}})
    ksft_true(refused is not None and refused.nl_msg.error == -22,
              "the source address alone: refused with EINVAL")
    ksft_true(refused is not None and refused.nl_msg.extack.get("msg"), "with a message")
    ksft_eq(hashed_by(cfg), switched, "fields kept")


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
                                  eight_sets_spread_flows, hash_fields_set])


if __name__ == "__main__":
    main()
