#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A batch whose last packet is dropped still reaches the wire.

The stack hands a driver packets in batches (xmit_more): iflib tells the
hardware about new ring entries (the doorbell) only after the batch's last
packet. When that last packet cannot be sent (its DMA mapping refused, its
linearization or header preparation out of memory) iflib drops it, and must
ring the doorbell for the packets placed before it, or they wait on the ring
until something else is sent.

pktgen on the DUT sends in bursts of BURST (xmit_more set on all but the last)
while fail_function refuses every BURST-th TX head mapping, the last of each
burst. All the other packets must reach the peer, whose RX ring holds them all.
"""

import os
import subprocess
from pathlib import Path

from iflib_env import answers_ping, ethtool_stat, link_counter, ring_size, run_on_pair, \
    wait_for
from lib.py import KsftSkipEx, cmd, defer, ethtool, ip, ksft_eq, ksft_pr, ksft_true

BURST = 8
COUNT = 200 * BURST
MAPPING = "rust_helper_skb_dma_map_head"
FAIL = Path("/sys/kernel/debug/fail_function")
PKTGEN = Path("/proc/net/pktgen")


def set_fail(name, value):
    (FAIL / name).write_text("%s\n" % value)


def doorbell_after_dropped_last(cfg):
    """Every burst's last packet fails to map: the rest still cross."""
    if not FAIL.exists():
        raise KsftSkipEx("no fail_function in debugfs (CONFIG_FAIL_FUNCTION)")
    cmd("modprobe pktgen")
    peer_mac = cmd("cat /sys/class/net/%s/address" % cfg.remote_ifname,
                   host=cfg.remote).stdout.strip()
    # Nothing but pktgen may transmit: any other packet rings the doorbell and sends what
    # a missing doorbell left on the ring. IPv6 sends MLD reports and router solicitations
    # after the ring changes below take the link down and up; the peer's ARP probes for
    # the DUT get answers: both ends' entries are made permanent.
    disable_ipv6 = Path("/proc/sys/net/ipv6/conf", cfg.ifname, "disable_ipv6")
    disable_ipv6.write_text("1\n")
    defer(disable_ipv6.write_text, "0\n")
    dut_mac = ip("link show dev " + cfg.ifname, json=True)[0]["address"]
    for (addr, mac, dev, host) in ((cfg.remote_addr_v["4"], peer_mac, cfg.ifname, None),
                                   (cfg.addr_v["4"], dut_mac, cfg.remote_ifname, cfg.remote)):
        ip("neigh replace %s lladdr %s nud permanent dev %s" % (addr, mac, dev), host=host)
        defer(ip, "neigh del %s dev %s" % (addr, dev), host=host)
    # The peer's largest ring, so that QEMU drops none of the burst for want of room.
    ring = ring_size(cfg.remote_ifname, "RX", host=cfg.remote)
    ethtool("-G %s rx 4096" % cfg.remote_ifname, host=cfg.remote)
    defer(ethtool, "-G %s rx %d" % (cfg.remote_ifname, ring), host=cfg.remote)
    # The DUT's too, and a byte queue limit that never stops the queue: every burst then
    # fits, and nothing but the doorbells this test is about tells the hardware to send
    # (a stop, by BQL or for want of room, rings it too and hides a missing one).
    tx_ring = ring_size(cfg.ifname, "TX")
    ethtool("-G %s tx 4096" % cfg.ifname)
    defer(ethtool, "-G %s tx %d" % (cfg.ifname, tx_ring))
    bql = Path("/sys/class/net", cfg.ifname, "queues/tx-0/byte_queue_limits/limit_min")
    bql_min = bql.read_text().strip()
    bql.write_text("%d\n" % (1 << 20))
    defer(bql.write_text, bql_min + "\n")
    ksft_true(answers_ping(cfg, 20), "the peer answers after the ring changes")
    timeouts = ethtool_stat(cfg.ifname, "tx_timeouts")

    # Every BURST-th mapping fails (the injection counts every call, system-wide: its
    # task filter cannot single pktgen out, as the kprobe runs as an NMI on x86, where no
    # task is current). Single packets go first until one is refused: the count is then a
    # multiple of BURST, and each burst's last mapping is the one refused.
    set_fail("inject", MAPPING)
    sender = None
    try:
        # -ENOMEM, as the unsigned long debugfs takes.
        set_fail(MAPPING + "/retval", (1 << 64) - 12)
        for name, value in (("probability", 0), ("interval", BURST), ("times", -1),
                            ("verbose", 0), ("task-filter", "N")):
            set_fail(name, value)
        (PKTGEN / "kpktgend_0").write_text("rem_device_all\n")
        (PKTGEN / "kpktgend_0").write_text("add_device %s\n" % cfg.ifname)
        for line in ("pkt_size 60", "clone_skb 0", "dst_mac " + peer_mac, "dst 198.51.100.2",
                     "src_min 198.51.100.1", "src_max 198.51.100.1"):
            (PKTGEN / cfg.ifname).write_text(line + "\n")
        set_fail("probability", 100)
        (PKTGEN / cfg.ifname).write_text("count 1\n")
        (PKTGEN / cfg.ifname).write_text("burst 1\n")
        dropped = ethtool_stat(cfg.ifname, "tx_dropped")
        for _ in range(BURST):
            # Returns once the packet went through start_xmit, sent (doorbell rung) or not.
            (PKTGEN / "pgctrl").write_text("start\n")
            if ethtool_stat(cfg.ifname, "tx_dropped") > dropped:
                break
        ksft_eq(ethtool_stat(cfg.ifname, "tx_dropped") - dropped, 1,
                "one of %d single packets refused (the count aligned)" % BURST)

        dropped = ethtool_stat(cfg.ifname, "tx_dropped")
        received = link_counter(cfg.remote_ifname, "rx_packets", host=cfg.remote)
        (PKTGEN / cfg.ifname).write_text("count %d\n" % COUNT)
        (PKTGEN / cfg.ifname).write_text("burst %d\n" % BURST)
        # "start" returns when COUNT packets went through start_xmit and pktgen's last
        # packet completed, which a missing doorbell makes it wait for.
        sender = subprocess.Popen(["sh", "-c", "echo start >%s" % (PKTGEN / "pgctrl")])
        expected = COUNT - COUNT // BURST
        arrived = wait_for(lambda: link_counter(cfg.remote_ifname, "rx_packets",
                                                host=cfg.remote) - received >= expected, 30)
        (PKTGEN / "pgctrl").write_text("stop\n")
        try:
            sender.wait(timeout=30)
        except subprocess.TimeoutExpired:
            ksft_pr("pktgen did not stop within 30 s")
        result = [l.strip() for l in (PKTGEN / cfg.ifname).read_text().splitlines()
                  if l.strip().startswith(("Result:", "pkts-sofar:"))]
    finally:
        if sender is not None and sender.poll() is None:
            sender.kill()
        set_fail("probability", 0)
        for name, value in (("interval", 1), ("times", 1), ("verbose", 2)):
            set_fail(name, value)
        set_fail("inject", "!" + MAPPING)
        (PKTGEN / "kpktgend_0").write_text("rem_device_all\n")
    got = link_counter(cfg.remote_ifname, "rx_packets", host=cfg.remote) - received
    ksft_pr("peer received %d of the %d packets whose mapping succeeded" % (got, expected))
    ksft_pr("pktgen: " + " ".join(result))
    ksft_true(arrived, "every packet placed before a dropped last one reaches the peer")
    ksft_eq(ethtool_stat(cfg.ifname, "tx_dropped") - dropped, COUNT // BURST,
            "packets dropped for a refused mapping (tx_dropped)")
    ksft_eq(ethtool_stat(cfg.ifname, "tx_timeouts"), timeouts, "TX timeouts")


def main():
    model = (os.environ.get("MODEL") or "e1000").split(",")[0]
    run_on_pair(__file__, model, [doorbell_after_dropped_last])


if __name__ == "__main__":
    main()
