#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The software-only sample samples/rust/rust_net_vport.rs: two linked ports, no hardware.

The sample builds two linked Ethernet ports on the Rust net_device, NAPI, page_pool and
skb abstractions: a frame sent on one port is copied into a page_pool page of the
other, whose NAPI poll hands it to GRO. With one port in the "remote" namespace, both
come up with carrier, pings cross both ways (IPv4 and IPv6), 1,000 quick pings lose
nothing and both ports count them, 4 MiB of TCP (16 MiB in make test-full) arrive
intact, and the module unloads with a port still in the other namespace, leaving a
clean log. It tests the abstractions where no NIC is emulated.
"""

import json
import re
from pathlib import Path

from iflib_env import TIME_FACTOR, by_scope, carrier, ifname_by_mac, kernel_log_since, \
    kmsg_mark, link_counter, tcp_stream, wait_for
from lib.py import KsftFailEx, Remote, cmd, ip, ksft_eq, ksft_exit, ksft_ge, ksft_in, ksft_pr, \
    ksft_run, ksft_true

# No NIC model here: MODEL, which the harness sets, is not read, and the results are
# named after the cases alone.
MODULE = "rust_net_vport"
REMOTE_NS = "remote"  # lib.sh's REMOTE_NS
A_MAC = "02:00:00:00:5a:00"
B_MAC = "02:00:00:00:5a:01"
A_V4, B_V4 = "192.0.3.1", "192.0.3.2"
A_V6, B_V6 = "2001:db8:1::1", "2001:db8:1::2"
MIB = by_scope(4, 16)
# What the kernel log must not show from the module's load to its unload.
BAD_LOG = re.compile(r"WARNING|BUG|Oops|leak|refcount|page_pool")


class Ports:
    """The sample's two ports, shared by the cases: A stays here, the first case moves B
    to REMOTE_NS (reached through self.remote)."""

    def __init__(self):
        self.a = None
        self.b = None
        self.remote = Remote("netns", REMOTE_NS, __file__)
        self.mark = None

    def names(self):
        """(A, B); fails the case when the first one did not set them up."""
        if self.b is None:
            raise KsftFailEx("the ports were not set up (see the first result)")
        return self.a, self.b


def ports_up_with_carrier(ports):
    """The module loads, its two ports appear, B moves to REMOTE_NS and both come up with
    carrier."""
    ports.mark = kmsg_mark("rust_vport")
    cmd("modprobe " + MODULE)
    if not wait_for(lambda: ifname_by_mac(A_MAC) and ifname_by_mac(B_MAC), 5):
        raise KsftFailEx("the two ports did not appear")
    a, b = ifname_by_mac(A_MAC), ifname_by_mac(B_MAC)
    ksft_pr("port A %s, port B %s (in netns %s)" % (a, b, REMOTE_NS))

    # As lib.sh's move_to_remote: B arrives with IPv6 off, then gets it back alone, so
    # that nothing but the test's own traffic crosses the link.
    cmd("ip netns add " + REMOTE_NS, fail=False)
    cmd("sysctl -qw net.ipv6.conf.default.disable_ipv6=1", host=ports.remote)
    ip("link set %s netns %s" % (b, REMOTE_NS))
    ip("link set lo up", host=ports.remote)
    cmd("sysctl -qw net.ipv6.conf.%s.disable_ipv6=0" % b, host=ports.remote)
    ip("addr add %s/24 dev %s" % (A_V4, a))
    ip("addr add %s/64 dev %s nodad" % (A_V6, a))
    ip("addr add %s/24 dev %s" % (B_V4, b), host=ports.remote)
    ip("addr add %s/64 dev %s nodad" % (B_V6, b), host=ports.remote)
    ip("link set %s up" % a)
    ip("link set %s up" % b, host=ports.remote)
    ports.a, ports.b = a, b

    ksft_true(wait_for(lambda: carrier(a), 5), "port A has carrier")
    ksft_true(wait_for(lambda: carrier(b, host=ports.remote), 5), "port B has carrier")


def ipv4_ping_both_ways(ports):
    """IPv4 pings cross from A to B and from B to A."""
    ports.names()
    ksft_eq(cmd("ping -c 3 -i 0.2 -W 2 " + B_V4, fail=False).ret, 0, "A pings B")
    ksft_eq(cmd("ping -c 3 -i 0.2 -W 2 " + A_V4, fail=False, host=ports.remote).ret, 0,
            "B pings A")


def ipv6_ping(ports):
    """IPv6 pings cross from A to B."""
    ports.names()
    ksft_eq(cmd("ping -6 -c 3 -i 0.2 -W 2 " + B_V6, fail=False).ret, 0, "A pings B")


def quick_pings_counted(ports):
    """1,000 pings 2 ms apart lose nothing, and both ports count them."""
    a, b = ports.names()
    tx0 = link_counter(a, "tx_packets")
    rx0 = link_counter(b, "rx_packets", host=ports.remote)
    out = cmd("ping -q -c 1000 -i 0.002 -W 2 " + B_V4, fail=False,
              timeout=60 * TIME_FACTOR).stdout
    for line in out.splitlines():
        if "transmitted" in line:
            ksft_pr(line)

    # Everything A sends goes to B, and both ports were created with the module: their
    # totals must agree. Deltas would not: the two baselines are read at different
    # moments, and a background IPv6 frame may cross in between. Frames may also still
    # be in flight: read again until the totals agree.
    totals = []

    def agree():
        totals[:] = [link_counter(a, "tx_packets"),
                     link_counter(b, "rx_packets", host=ports.remote)]
        return totals[0] == totals[1]

    wait_for(agree, 4, step=0.2)
    a_total, b_total = totals
    tx, rx = a_total - tx0, b_total - rx0
    ksft_pr("port A tx_packets +%d, port B rx_packets +%d (A tx_dropped %d, B rx_dropped %d)"
            % (tx, rx, link_counter(a, "tx_dropped"),
               link_counter(b, "rx_dropped", host=ports.remote)))
    ksft_pr("totals: port A tx_packets %d, port B rx_packets %d" % (a_total, b_total))
    ksft_in(" 0% packet loss", out, "1000 pings, none lost")
    ksft_ge(tx, 1000, "frames port A sent during the pings")
    ksft_eq(a_total, b_total, "port A's tx_packets total against port B's rx_packets total")


def tcp_between_ports(ports):
    """MIB MiB of TCP from A to B arrive intact."""
    ports.names()
    sent, got = tcp_stream(MIB, B_V4, receiver=ports.remote)
    ksft_pr("TCP to %s: %d MiB, sent %s, received %s" % (B_V4, MIB, sent, got))
    ksft_true(sent is not None and got == sent, "%d MiB TCP between the ports, intact" % MIB)


def unload_with_port_in_netns(ports):
    """The module unloads with B still in REMOTE_NS, leaving a clean kernel log."""
    _, b = ports.names()
    ksft_eq(cmd("ip link show dev " + b, host=ports.remote, fail=False).ret, 0,
            "port B is still in netns %s" % REMOTE_NS)
    rmmod = cmd("rmmod " + MODULE, fail=False)
    if rmmod.ret:
        ksft_pr("rmmod: " + rmmod.stderr.strip())
    ksft_true(not Path("/sys/module", MODULE).exists(), "the module is gone")
    log = kernel_log_since(ports.mark)
    ksft_true(ports.mark in log, "the test's mark is in the kernel log")
    bad = [line for line in log.splitlines() if BAD_LOG.search(line)][:5]
    for line in bad:
        ksft_pr(line)
    ksft_eq(bad, [], "kernel log lines since the load reporting a problem")


def cleanup():
    """Unloads the sample and deletes REMOTE_NS, whatever the cases reached."""
    if Path("/sys/module", MODULE).exists():
        cmd("rmmod " + MODULE, fail=False)
    if not Path("/run/netns", REMOTE_NS).exists():
        return
    # An interface left there goes back first: deleting the namespace returns it only
    # once nothing holds the namespace any more (lib.sh's cleanup_remote).
    links = cmd("ip -n %s -j link show" % REMOTE_NS, fail=False)
    for link in json.loads(links.stdout) if links.ret == 0 else []:
        if link["ifname"] != "lo":
            cmd("ip -n %s link set dev %s netns 1" % (REMOTE_NS, link["ifname"]), fail=False)
    cmd("ip netns del " + REMOTE_NS, fail=False)


def main():
    ports = Ports()
    try:
        ksft_run([ports_up_with_carrier, ipv4_ping_both_ways, ipv6_ping, quick_pings_counted,
                  tcp_between_ports, unload_with_port_in_netns], args=(ports,))
    finally:
        cleanup()
    ksft_exit()


if __name__ == "__main__":
    main()
