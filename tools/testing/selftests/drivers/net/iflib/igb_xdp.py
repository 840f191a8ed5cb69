#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Native XDP on iflib_igb, on every queue set of QEMU's igb pair (82576).

The programs of em_xdp.sh (xdp_udp9.bpf.c) act on UDP frames to port 9 and pass the
rest. The peer's pktgen sends them from a run of source addresses chosen so that RSS
(UDP over IPv4 is hashed by addresses; key and table read over ethtool netlink) sends
some to every RX queue in use, so each action is checked on every queue set:
 - attached in driver mode, ping passes through the program;
 - XDP_DROP and XDP_ABORTED: every frame counted by the driver, none reaching UDP, and
   every RX queue counted its share (netdev-genl queue statistics);
 - XDP_TX: every frame back at the peer;
 - XDP_REDIRECT: every frame through a veth, and redirected to the DUT itself (its
   ndo_xdp_xmit) every frame back at the peer;
 - `ethtool -L combined 1`, then 8, with XDP_TX attached: the eight sets come up with their page
   pools and XDP RX queue information, and XDP_TX brings every frame back from all eight;
 - programs swapped 30 times under a ping flood: at most a quarter of the pings lost;
 - detached, the frames reach the stack again.
"""

import ipaddress
import signal
import socket
from pathlib import Path

from em_queues import rx_queue_packets, toeplitz
from iflib_env import Pktgen, answers_ping, channels, ethtool_stat, link_counter, run_on_pair, \
    sets_in_use, settle, snmp_counter
from lib.py import cmd, defer, ethtool, ip, ksft_eq, ksft_ge, ksft_pr, ksft_true

COUNT = 1000
RATE = 2000
# IPv6 neighbour and listener frames that may arrive meanwhile.
NOISE = 5
OBJ_DIR = Path(__file__).resolve().parent
# As compiled into xdp_redirect.bpf.o.
REDIRECT_IFINDEX = 4242
VETH, VETH_PEER = "xdpred0", "xdpred1"
# Program changes under the ping flood.
SWAPS = 30


def attach(cfg, program):
    """Attaches xdp_PROGRAM.bpf.o in driver mode (replacing one attached); returns ip's
    error output."""
    obj = OBJ_DIR / ("xdp_%s.bpf.o" % program)
    return cmd("ip -force link set dev %s xdpdrv obj %s sec xdp" % (cfg.ifname, obj),
               fail=False).stderr.strip()


def detach(cfg):
    ip("link set dev %s xdpdrv off" % cfg.ifname)


def xdp_mode(cfg):
    mode = ip("-d link show dev " + cfg.ifname, json=True)[0].get("xdp", {}).get("mode", 0)
    return {0: "none", 1: "driver", 2: "generic", 3: "offload"}.get(mode, mode)


def xdp_stat(cfg, name):
    """The DUT's ethtool -S counter NAME (xdp_drop, ...)."""
    for line in ethtool("-S " + cfg.ifname).stdout.splitlines():
        key, _, value = line.strip().partition(": ")
        if key == name:
            return int(value)
    raise KeyError(name)


def sources(cfg):
    """(first, last) of a run of source addresses beside the peer's whose UDP frames to the
    DUT RSS sends to every RX queue the table names: the hash of each (addresses only)
    predicted from the key and table read back."""
    rss = cfg.ethnl.rss_get(cfg.ethnl_header)
    table, wanted = rss["indir"], set(rss["indir"])
    dst = socket.inet_aton(cfg.addr_v["4"])
    first = ipaddress.ip_address(cfg.remote_addr_v["4"]) + 100
    seen, addr = set(), first
    while seen != wanted and addr < first + 150:
        data = socket.inet_aton(str(addr)) + dst
        seen.add(table[toeplitz(rss["hkey"], data) % len(table)])
        if seen != wanted:
            addr += 1
    ksft_pr("sources %s-%s reach queues %s of %s" % (first, addr, sorted(seen), sorted(wanted)))
    return str(first), str(addr)


def send_udp9(cfg):
    """The peer sends COUNT UDP frames to port 9 of the DUT, spread over its RX queues;
    returns the RX queues' packet counts before."""
    first, last = sources(cfg)
    before = rx_queue_packets(cfg)
    Pktgen(cfg, cfg.dev["address"], rate=RATE, count=COUNT, dst=cfg.addr_v["4"], src=first,
           src_max=last).send(30)
    return before


def every_queue_counted(cfg, before):
    """Every RX queue in use counted packets since BEFORE."""
    after = rx_queue_packets(cfg)
    grown = {q: after.get(q, 0) - before.get(q, 0) for q in range(channels(cfg)[1])}
    ksft_pr("RX queue packets grew by %s" % grown)
    ksft_true(all(n > 0 for n in grown.values()), "every RX queue received its share")


def growth(cfg, name, base):
    """The growth of counter NAME over BASE, once it reached COUNT or stopped moving."""
    return settle(lambda: xdp_stat(cfg, name), done=lambda v: v - base >= COUNT) - base


def attached(cfg):
    """A program attaches in driver mode and ping passes through it."""
    out = attach(cfg, "drop")
    ksft_pr("attach: %s; mode %s" % (out or "ok", xdp_mode(cfg)))
    ksft_eq(xdp_mode(cfg), "driver", "attached in driver mode")
    ksft_true(answers_ping(cfg, 10), "ping passes through the program")
    passed = xdp_stat(cfg, "xdp_pass")
    cmd("ping -c 3 -i 0.2 -W 2 " + cfg.remote_addr_v["4"])
    ksft_ge(xdp_stat(cfg, "xdp_pass") - passed, 3, "the replies counted as passed")


def dropped_by(cfg, program, stat):
    attach(cfg, program)
    base, noports = xdp_stat(cfg, stat), snmp_counter("Udp", "NoPorts")
    before = send_udp9(cfg)
    got = growth(cfg, stat, base)
    ksft_pr("%s +%d of %d, Udp NoPorts +%d" %
            (stat, got, COUNT, snmp_counter("Udp", "NoPorts") - noports))
    ksft_eq(got, COUNT, "%s: every frame counted" % stat)
    ksft_eq(snmp_counter("Udp", "NoPorts") - noports, 0, "none reached UDP")
    every_queue_counted(cfg, before)


def xdp_drop(cfg):
    """XDP_DROP: every frame counted by the driver, none by UDP, on every RX queue."""
    dropped_by(cfg, "drop", "xdp_drop")


def xdp_aborted(cfg):
    """XDP_ABORTED: every frame dropped and counted as an exception, on every RX queue."""
    dropped_by(cfg, "abort", "xdp_exception")


def forwarded(cfg, program, ifname, host, *stats):
    """With PROGRAM attached, the peer's frames are each counted once in every XDP counter
    STATS and all arrive at IFNAME (on HOST), from every RX queue."""
    attach(cfg, program)
    base = {stat: xdp_stat(cfg, stat) for stat in stats}
    rx0 = link_counter(ifname, "rx_packets", host=host)
    before = send_udp9(cfg)
    for stat in stats:
        got = growth(cfg, stat, base[stat])
        ksft_pr("%s +%d of %d" % (stat, got, COUNT))
        ksft_eq(got, COUNT, "%s: every frame counted" % stat)
    rx = settle(lambda: link_counter(ifname, "rx_packets", host=host),
                done=lambda v: v - rx0 >= COUNT) - rx0
    ksft_pr("%s rx_packets +%d" % (ifname, rx))
    ksft_true(COUNT <= rx <= COUNT + NOISE, "every frame arrived at %s" % ifname)
    every_queue_counted(cfg, before)


def xdp_tx(cfg):
    """XDP_TX: every frame back at the peer."""
    forwarded(cfg, "reflect", cfg.remote_ifname, cfg.remote, "xdp_tx")


def xdp_redirect(cfg):
    """XDP_REDIRECT: every frame through a veth (its ndo_xdp_xmit)."""
    cmd("ip link add %s index %d type veth peer name %s" % (VETH, REDIRECT_IFINDEX, VETH_PEER))
    defer(cmd, "ip link del " + VETH, fail=False)
    # No IPv6 on the pair: its own neighbour discovery would cross it too.
    for name in (VETH, VETH_PEER):
        cmd("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1" % name)
    ethtool("-K %s gro on" % VETH_PEER)
    ip("link set %s up" % VETH)
    ip("link set %s up" % VETH_PEER)
    forwarded(cfg, "redirect", VETH_PEER, None, "xdp_redirect")


def xdp_hairpin(cfg):
    """XDP_REDIRECT to the DUT itself: every frame out through iflib's ndo_xdp_xmit."""
    forwarded(cfg, "hairpin", cfg.remote_ifname, cfg.remote, "xdp_redirect", "xdp_xmit")


def eight_sets_with_xdp(cfg):
    """With XDP_TX attached, -L combined 1 then 8 (the most): eight sets in use, and every
    frame back at the peer from all eight RX queues."""
    most, count = channels(cfg)
    attach(cfg, "reflect")
    defer(ethtool, "-L %s combined %d" % (cfg.ifname, count))
    ethtool("-L %s combined 1" % cfg.ifname)
    ksft_true(sets_in_use(cfg, 1, most), "one queue set with the program")
    ethtool("-L %s combined %d" % (cfg.ifname, most))
    ksft_true(sets_in_use(cfg, most, most), "%d queue sets with the program" % most)
    ksft_eq(xdp_mode(cfg), "driver", "the program stays attached")
    ksft_true(answers_ping(cfg, 10), "ping passes")
    forwarded(cfg, "reflect", cfg.remote_ifname, cfg.remote, "xdp_tx")


def swapped_under_ping_flood(cfg):
    """Programs attached, replaced and detached 10 times under a ping flood (30 changes,
    each a restart of the queue sets), the pings running until the last change: at most
    a quarter of them lost (a change stalling traffic for a while would lose most), no
    TX timeout, and ping passes after."""
    timeouts = ethtool_stat(cfg.ifname, "tx_timeouts")
    ping = cmd("ping -q -i 0.01 -W 1 " + cfg.remote_addr_v["4"], background=True, fail=False)
    for _ in range(SWAPS // 3):
        attach(cfg, "drop")
        attach(cfg, "reflect")
        detach(cfg)
    # ping prints its summary when interrupted.
    ping.proc.send_signal(signal.SIGINT)
    ping.process(terminate=False, fail=False, timeout=30)
    # "600 packets transmitted, 598 received, ..."
    summary = [line for line in ping.stdout.splitlines() if "packet loss" in line]
    ksft_pr(summary[0] if summary else ping.stdout.strip())
    fields = summary[0].split() if summary else ["0", "", "", "0"]
    sent, got = int(fields[0]), int(fields[3])
    ksft_true(sent > 0 and got >= sent * 3 // 4, "at most a quarter of the pings lost")
    ksft_eq(ethtool_stat(cfg.ifname, "tx_timeouts"), timeouts, "no TX timeout")
    ksft_true(answers_ping(cfg, 10), "ping passes after")


def detached(cfg):
    """Detached, the frames reach UDP again (no port: counted as NoPorts)."""
    detach(cfg)
    ksft_eq(xdp_mode(cfg), "none", "no program")
    noports = snmp_counter("Udp", "NoPorts")
    send_udp9(cfg)
    got = settle(lambda: snmp_counter("Udp", "NoPorts"),
                 done=lambda v: v - noports >= COUNT) - noports
    ksft_pr("Udp NoPorts +%d of %d" % (got, COUNT))
    ksft_true(got >= COUNT * 99 // 100, "the frames reach UDP")


def main():
    try:
        run_on_pair(__file__, "igb", [attached, xdp_drop, xdp_aborted, xdp_tx, xdp_redirect,
                                      xdp_hairpin, eight_sets_with_xdp,
                                      swapped_under_ping_flood, detached])
    finally:
        cmd("rmmod pktgen", fail=False)


if __name__ == "__main__":
    main()
