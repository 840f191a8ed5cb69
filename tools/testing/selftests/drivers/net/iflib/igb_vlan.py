#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""802.1Q on iflib_igb against the C igb: tags stripped and inserted, and the hardware's
VLAN filter table (QEMU's igb model drops what VFTA does not name while RCTL.VFE is on).

 - rx-vlan-offload, tx-vlan-offload and rx-vlan-filter are on;
 - with the 8021q module unloaded (loaded, it adds VLAN 0 to the filter), 1,000
   priority-tagged frames (VLAN 0) from the peer's pktgen all arrive;
 - over VLAN 10 (a VLAN device on each end) pings cross both ways and TCP arrives intact
   both ways, untagged pings beside them;
 - the peer's pktgen sends 1,000 frames tagged VLAN 20 to the DUT's MAC: with no VLAN 20
   on the DUT the hardware drops them (the DUT counts no more than a few frames of other
   traffic); with a VLAN 20 device (ndo_vlan_rx_add_vid) they arrive; with it removed
   they are dropped again; with `ethtool -K rx-vlan-filter off`, and in promiscuous mode,
   they arrive; filtering on again, they are dropped;
 - the table survives a restart: after `ethtool -G`, VLAN 10 still crosses and VLAN 20
   frames are still dropped.
"""

import os

from iflib_env import Pktgen, answers_ping, ethtool_stat, link_counter, ring_size, \
    run_on_pair, settle, tcp_stream
from lib.py import cmd, defer, ethtool, ip, ksft_eq, ksft_pr, ksft_true

VID, OTHER_VID = 10, 20
COUNT = 1000
# Frames of other traffic (neighbour discovery, multicast listeners) the DUT may count
# meanwhile.
NOISE = 20
MIB = 8


def feature(ifname, name):
    for line in ethtool("-k " + ifname).stdout.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == name + ":":
            return fields[1]
    raise KeyError(name)


def vlan_addr(cfg, vid, dut):
    return "192.0.%d.%d" % (100 + vid, 1 if dut else 2)


def add_vlan(cfg, vid, on_peer=True):
    """A VLAN VID device on the DUT (and the peer), addressed; removed at the end."""
    ends = [(cfg.ifname, None, True)]
    if on_peer:
        ends.append((cfg.remote_ifname, cfg.remote, False))
    for ifname, host, dut in ends:
        name = "%s.%d" % (ifname, vid)
        ip("link add link %s name %s type vlan id %d" % (ifname, name, vid), host=host)
        defer(cmd, "ip link del " + name, host=host, fail=False)
        ip("addr add %s/24 dev %s" % (vlan_addr(cfg, vid, dut), name), host=host)
        ip("link set dev %s up" % name, host=host)
    return "%s.%d" % (cfg.ifname, vid)


def offloads_on(cfg):
    """Tag stripping, insertion and the VLAN filter are on."""
    for name in ("rx-vlan-offload", "tx-vlan-offload", "rx-vlan-filter"):
        ksft_eq(feature(cfg.ifname, name), "on", name)


def priority_tagged(cfg):
    """Priority-tagged frames (VLAN 0) arrive with the filter on, without the 8021q
    module (which adds VLAN 0 to the filter while loaded)."""
    cmd("rmmod 8021q", fail=False)
    ksft_true(not os.path.exists("/sys/module/8021q"), "8021q not loaded")
    ksft_eq(feature(cfg.ifname, "rx-vlan-filter"), "on", "rx-vlan-filter on")
    ksft_true(other_vlan_frames(cfg, 0) >= COUNT, "priority-tagged frames arrive")


def vlan_crosses(cfg):
    """Over VLAN 10 pings cross both ways and TCP arrives intact both ways; untagged
    pings beside."""
    add_vlan(cfg, VID)
    here, there = vlan_addr(cfg, VID, True), vlan_addr(cfg, VID, False)
    cmd("ping -c 3 -i 0.2 -W 2 " + there)
    cmd("ping -c 3 -i 0.2 -W 2 " + here, host=cfg.remote)
    for sender, receiver, addr in ((None, cfg.remote, there), (cfg.remote, None, here)):
        sent, got = tcp_stream(MIB, addr, sender=sender, receiver=receiver)
        ksft_true(sent is not None and sent == got,
                  "%d MiB of TCP over VLAN %d %s the DUT, intact" %
                  (MIB, VID, "to" if sender else "from"))
    ksft_true(answers_ping(cfg, 5), "untagged ping beside")


def other_vlan_frames(cfg, vid=OTHER_VID):
    """How many of COUNT frames tagged VID from the peer the DUT received."""
    rx0 = link_counter(cfg.ifname, "rx_packets")
    Pktgen(cfg, cfg.dev["address"], rate=2000, count=COUNT, dst=cfg.addr_v["4"],
           src=cfg.remote_addr_v["4"], vlan=vid).send(30)
    got = settle(lambda: link_counter(cfg.ifname, "rx_packets"),
                 done=lambda v: v - rx0 >= COUNT) - rx0
    ksft_pr("%d frames tagged VLAN %d sent, the DUT received %d" % (COUNT, vid, got))
    return got


def dropped(cfg, why):
    ksft_true(other_vlan_frames(cfg) <= NOISE, "%s: VLAN %d frames dropped" % (why, OTHER_VID))


def arrived(cfg, why):
    ksft_true(other_vlan_frames(cfg) >= COUNT, "%s: VLAN %d frames arrive" % (why, OTHER_VID))


def filter_table(cfg):
    """Frames of a VLAN the DUT has no device for are dropped by the hardware; added,
    removed, with the filter off and in promiscuous mode, they arrive or not."""
    dropped(cfg, "no VLAN device")
    name = "%s.%d" % (cfg.ifname, OTHER_VID)
    ip("link add link %s name %s type vlan id %d" % (cfg.ifname, name, OTHER_VID))
    defer(cmd, "ip link del " + name, fail=False)
    arrived(cfg, "VLAN device added")
    ip("link del " + name)
    dropped(cfg, "VLAN device removed")
    defer(ethtool, "-K %s rx-vlan-filter on" % cfg.ifname)
    ethtool("-K %s rx-vlan-filter off" % cfg.ifname)
    ksft_eq(feature(cfg.ifname, "rx-vlan-filter"), "off", "rx-vlan-filter off")
    arrived(cfg, "rx-vlan-filter off")
    ethtool("-K %s rx-vlan-filter on" % cfg.ifname)
    dropped(cfg, "rx-vlan-filter on again")
    defer(ip, "link set dev %s promisc off" % cfg.ifname)
    ip("link set dev %s promisc on" % cfg.ifname)
    arrived(cfg, "promiscuous")
    ip("link set dev %s promisc off" % cfg.ifname)
    dropped(cfg, "promiscuous off")


def table_survives_restart(cfg):
    """After a ring change (a restart), VLAN 10 still crosses and VLAN 20 is dropped."""
    add_vlan(cfg, VID)
    size = ring_size(cfg.ifname, "RX")
    defer(ethtool, "-G %s rx %d" % (cfg.ifname, size))
    ethtool("-G %s rx %d" % (cfg.ifname, 512 if size != 512 else 1024))
    ksft_true(answers_ping(cfg, 10), "untagged ping after the restart")
    cmd("ping -c 3 -i 0.2 -W 2 " + vlan_addr(cfg, VID, False))
    dropped(cfg, "after the restart")
    ksft_eq(ethtool_stat(cfg.ifname, "tx_timeouts"), 0, "TX timeouts")


def main():
    try:
        run_on_pair(__file__, "igb", [offloads_on, priority_tagged, vlan_crosses, filter_table,
                                      table_survives_restart])
    finally:
        cmd("rmmod pktgen", fail=False)


if __name__ == "__main__":
    main()
