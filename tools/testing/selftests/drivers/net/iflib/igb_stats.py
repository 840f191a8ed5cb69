#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The 82576's MAC counters as ethtool's standard groups show them (`ethtool -S IFACE
--groups eth-mac rmon`), iflib_igb on QEMU's igb pair, the C igb on the peer (em_stats.sh's
checks, on igb):
- 1,000 frames of 104 bytes (FCS included) from the peer: FramesReceivedOK, the
  OctetsReceivedOK they make and the 65-127 byte bucket of the RX histogram count them;
- 500 broadcast frames of 1,204 bytes: BroadcastFramesReceivedOK and the 1024-9728 bucket;
- 1,000 frames of 64 bytes from the DUT: FramesTransmittedOK and the TX histogram's 64-byte
  bucket;
- what the MAC counted before a restart (`ethtool -G`) is still counted after.
Each count may exceed the frames sent by a few IPv6 neighbour and listener frames.
"""

from iflib_env import Pktgen, link_counter, ring_size, run_on_pair, settle
from lib.py import defer, ethtool, ksft_pr, ksft_true

COUNT = 1000
# Paced: the DUT's default RX ring takes them as they come, under TCG too.
RATE = 2000
# IPv6 neighbour and multicast listener frames (under 128 bytes) the stack may add.
NOISE = 5


def mac_stats(cfg):
    """{name: value} of the DUT's standard groups eth-mac and rmon."""
    out = ethtool("-S %s --groups eth-mac rmon" % cfg.ifname).stdout
    stats = {}
    for line in out.splitlines():
        name, _, value = line.strip().partition(":")
        if value.strip().isdigit():
            stats[name.strip()] = int(value)
    return stats


def grew(before, after, name, low, high):
    """Counter NAME grew from BEFORE to AFTER by LOW to HIGH; says by how much."""
    delta = after.get(name, 0) - before.get(name, 0)
    ksft_pr("%s: +%d (expected %d..%d)" % (name, delta, low, high))
    return low <= delta <= high


def to_dut(cfg, size, count, dst_mac=None):
    """The peer's pktgen sends COUNT frames of SIZE bytes (without the FCS) to the DUT (to
    DST_MAC if given); returns once the DUT counted them, or stopped counting."""
    received = link_counter(cfg.ifname, "rx_packets")
    pktgen = Pktgen(cfg, dst_mac or cfg.dev["address"], size=size, rate=RATE, count=count,
                    dst=cfg.addr_v["4"], src=cfg.remote_addr_v["4"])
    ksft_true(pktgen.send(30 + 3 * count // RATE), "pktgen sent its %d frames" % count)
    settle(lambda: link_counter(cfg.ifname, "rx_packets"),
           lambda now: now - received >= count)


def received_counted(cfg):
    """Frames from the peer: counted, with their octets, in the 65-127 byte bucket."""
    before = mac_stats(cfg)
    to_dut(cfg, 100, COUNT)
    after = mac_stats(cfg)
    ksft_true(grew(before, after, "eth-mac-FramesReceivedOK", COUNT, COUNT + NOISE),
              "FramesReceivedOK")
    ksft_true(grew(before, after, "eth-mac-OctetsReceivedOK", 104 * COUNT,
                   104 * COUNT + 128 * NOISE), "OctetsReceivedOK")
    ksft_true(grew(before, after, "rx-rmon-etherStatsPkts65to127Octets", COUNT,
                   COUNT + NOISE), "the 65-127 byte bucket")


def broadcasts_counted(cfg):
    """Broadcast frames of 1,204 bytes: counted as broadcasts, in the largest bucket."""
    before = mac_stats(cfg)
    to_dut(cfg, 1200, 500, dst_mac="ff:ff:ff:ff:ff:ff")
    after = mac_stats(cfg)
    ksft_true(grew(before, after, "eth-mac-BroadcastFramesReceivedOK", 500, 500 + NOISE),
              "BroadcastFramesReceivedOK")
    ksft_true(grew(before, after, "rx-rmon-etherStatsPkts1024to9728Octets", 500, 500),
              "the 1024-9728 byte bucket")


def sent_counted(cfg):
    """Frames of 64 bytes from the DUT: counted sent, in the TX histogram's 64-byte bucket."""
    before = mac_stats(cfg)
    received = link_counter(cfg.remote_ifname, "rx_packets", host=cfg.remote)
    pktgen = Pktgen(cfg, cfg.remote_dev["address"], size=60, rate=RATE, count=COUNT,
                    dst=cfg.remote_addr_v["4"], src=cfg.addr_v["4"], on_dut=True)
    ksft_true(pktgen.send(30 + 3 * COUNT // RATE), "pktgen sent its %d frames" % COUNT)
    settle(lambda: link_counter(cfg.remote_ifname, "rx_packets", host=cfg.remote),
           lambda now: now - received >= COUNT)
    after = mac_stats(cfg)
    ksft_true(grew(before, after, "eth-mac-FramesTransmittedOK", COUNT, COUNT + NOISE),
              "FramesTransmittedOK")
    ksft_true(grew(before, after, "tx-rmon-etherStatsPkts64to64Octets", COUNT,
                   COUNT + NOISE), "the TX histogram's 64-byte bucket")


def kept_across_restart(cfg):
    """What the MAC counted before `ethtool -G` (it clears its counters) is kept."""
    rx = ring_size(cfg.ifname, "RX")
    defer(ethtool, "-G %s rx %d" % (cfg.ifname, rx))
    before = mac_stats(cfg)
    to_dut(cfg, 100, COUNT)
    ethtool("-G %s rx %d" % (cfg.ifname, rx // 2))
    ksft_true(grew(before, mac_stats(cfg), "eth-mac-FramesReceivedOK", COUNT,
                   COUNT + NOISE), "frames counted before the restart are kept")


def main():
    run_on_pair(__file__, "igb", [received_counted, broadcasts_counted, sent_counted,
                                  kept_across_restart])


if __name__ == "__main__":
    main()
