#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checksum and segmentation offloads of iflib_em, on every em model against the C
driver on the peer (which checks every checksum it receives in software or hardware):
 - scatter-gather, checksum insertion, TSO and RX checksum are on;
 - TCP from the DUT goes out as TSO packets, arrives intact, nothing is linearized;
   over IPv6 too on the 82574 (e1000e), which segments it, while the 8254x models
   leave it to software;
 - TCP to the DUT arrives intact; the hardware's checksum verdicts are counted (the
   e1000e model verifies, the 8254x models report that they did not check);
 - UDP datagrams with a bad checksum are dropped and counted by the DUT's UDP layer,
   good ones delivered;
 - with each offload switched off through ethtool -K, TCP still arrives intact and
   the offload is no longer used.
Each case restores the features it switches off. igb_offload.py runs the cases on
iflib_igb (the 82576 segments and checks as the 82574 does).
"""

import shlex
import socket

from iflib_env import answers_ping, by_scope, cmd, ethtool, ethtool_stat, link_counter, \
    run_on_models, snmp_counter, tcp_stream, tcp_transfer, wait_for
from lib.py import defer, ksft_eq, ksft_ge, ksft_gt, ksft_pr, ksft_true

# Each TCP transfer: thousands of frames, enough for every counter checked.
MIB = by_scope(4, 16)
# The models that segment TCP over IPv6 and verify received checksums (the 8254x
# models do neither).
CHECKING_MODELS = ("e1000e", "igb")
UDP_PORT = 5002
BAD, GOOD = 20, 5
PAYLOAD = b"abcd"


def feature(cfg, name):
    """The state of feature NAME of the DUT in `ethtool -k` ("on", "off"; "[fixed]"
    left out)."""
    for line in ethtool("-k " + cfg.ifname).stdout.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == name + ":":
            return fields[1]
    raise KeyError("%s shows no feature %s" % (cfg.ifname, name))


def switch_off(cfg, *names):
    """Switches the DUT's features NAMES (ethtool -K names: rx, tso, tx) off, on again at
    the end of the case, and waits until the pair passes traffic again."""
    for name in names:
        ethtool("-K %s %s off" % (cfg.ifname, name))
        defer(ethtool, "-K %s %s on" % (cfg.ifname, name))
    ksft_true(answers_ping(cfg, 10), "ping answered after ethtool -K %s off" % " ".join(names))


def intact(sent_got, what):
    """A transfer's (sent, received) match."""
    sent, got = sent_got
    ksft_pr("%s: sent %s, received %s" % (what, sent, got))
    ksft_true(sent is not None and got == sent, "%s, intact" % what)


def offloads_on(cfg):
    """Scatter-gather, tx/rx checksumming and TSO are on."""
    # The links came up moments ago: the pair passes traffic first.
    ksft_true(answers_ping(cfg, 10), "ping answered after setup")
    names = ("scatter-gather", "tx-checksumming", "tcp-segmentation-offload",
             "rx-checksumming")
    states = {name: feature(cfg, name) for name in names}
    ksft_pr(", ".join("%s %s" % kv for kv in states.items()))
    for name in names:
        ksft_eq(states[name], "on", name)


def tso_out(cfg):
    """MIB MiB of TCP from the DUT with all offloads arrive intact; TSO used, nothing
    linearized."""
    tso0 = ethtool_stat(cfg.ifname, "tx_tso")
    lin0 = ethtool_stat(cfg.ifname, "tx_linearized")
    intact(tcp_transfer(cfg, MIB, to_dut=False),
           "%d MiB TCP from the DUT with all offloads" % MIB)
    tso = ethtool_stat(cfg.ifname, "tx_tso")
    lin = ethtool_stat(cfg.ifname, "tx_linearized")
    ksft_pr("tx_tso %d -> %d, tx_linearized %d -> %d" % (tso0, tso, lin0, lin))
    ksft_gt(tso, tso0, "TSO used")
    ksft_eq(lin, lin0, "nothing linearized")


def tso6_out(cfg):
    """IPv6 TSO on on e1000e (the 82574 segments TCP over IPv6), off on the 8254x models
    (software segments it); MIB MiB of TCP over IPv6 from the DUT arrive intact, in TSO
    packets or not accordingly."""
    want = "on" if cfg.model in CHECKING_MODELS else "off"
    tso6 = feature(cfg, "tx-tcp6-segmentation")
    ksft_eq(tso6, want, "IPv6 TSO (tx-tcp6-segmentation)")
    tso0 = ethtool_stat(cfg.ifname, "tx_tso")
    intact(tcp_stream(MIB, cfg.remote_addr_v["6"], receiver=cfg.remote),
           "%d MiB TCP over IPv6 from the DUT" % MIB)
    tso = ethtool_stat(cfg.ifname, "tx_tso")
    ksft_pr("tx_tso %d -> %d" % (tso0, tso))
    if want == "on":
        ksft_gt(tso, tso0, "IPv6 TSO used")
    else:
        ksft_eq(tso, tso0, "IPv6 segmented in software")


def rx_verdicts(cfg):
    """MIB MiB of TCP to the DUT arrive intact; the RX checksum verdicts as the model
    gives them: the e1000e model verifies TCP checksums (nearly every frame received is
    verified), the 8254x models report they checked nothing (none is claimed)."""
    rx0 = link_counter(cfg.ifname, "rx_packets")
    ok0 = ethtool_stat(cfg.ifname, "rx_csum_verified")
    intact(tcp_transfer(cfg, MIB, to_dut=True), "%d MiB TCP to the DUT" % MIB)
    rx = link_counter(cfg.ifname, "rx_packets") - rx0
    ok = ethtool_stat(cfg.ifname, "rx_csum_verified") - ok0
    ksft_pr("RX: %d frames, %d with a verified checksum" % (rx, ok))
    if cfg.model in CHECKING_MODELS:
        ksft_ge(ok, rx * 9 // 10, "frames with a verified checksum (90%% of %d)" % rx)
        ksft_ge(rx, ok, "frames received, at least those with a verified checksum")
    else:
        ksft_eq(ok, 0, "frames the 8254x model claims to have verified")


# Run with `python3 -c` in the peer's namespace; its arguments: source and destination
# address, destination port, datagrams with a bad checksum, then good ones. Each is
# one UDP datagram (source port 4000, payload PAYLOAD) built by hand: a raw socket
# sends it as written, no checksum offload on the way.
_SEND_UDP = """
import socket, struct, sys
src, dst, port, bad, good = sys.argv[1:]
payload = %r
length = 8 + len(payload)
def csum(data):
    total = sum(struct.unpack("!%%dH" %% (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff
# Pseudo-header (source, destination, protocol, length), header, data.
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, length)
header = struct.pack("!HHHH", 4000, int(port), length, 0)
good_sum = csum(pseudo + header + payload) or 0xffff
# Off by one: wrong, and never 0 (no checksum).
bad_sum = (good_sum + 1) & 0xffff or 1
with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP) as s:
    s.bind((src, 0))
    for n, sum_ in ((int(bad), bad_sum), (int(good), good_sum)):
        for _ in range(n):
            s.sendto(header[:6] + struct.pack("!H", sum_) + payload, (dst, 0))
""" % PAYLOAD


def bad_udp_checksums(cfg):
    """20 UDP datagrams with a bad checksum and 5 good ones from the peer to the DUT: the
    DUT's UDP layer counts the 20 as checksum errors and delivers exactly the 5, and the
    driver counts the 20 as bad where the model checks (e1000e)."""
    expected_bad = BAD if cfg.model in CHECKING_MODELS else 0
    # Bound before anything is sent: the good datagrams have someone to go to.
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    defer(sock.close)
    sock.bind((cfg.addr_v["4"], UDP_PORT))
    sock.setblocking(False)
    errors0 = snmp_counter("Udp", "InCsumErrors")
    bad0 = ethtool_stat(cfg.ifname, "rx_csum_bad")
    cmd("python3 -c %s %s %s %d %d %d" %
        (shlex.quote(_SEND_UDP), cfg.remote_addr_v["4"], cfg.addr_v["4"], UDP_PORT, BAD, GOOD),
        shell=True, host=cfg.remote)

    got = []

    def counts():
        while True:
            try:
                got.append(sock.recv(2048))
            except BlockingIOError:
                break
        return (snmp_counter("Udp", "InCsumErrors") - errors0, sum(map(len, got)),
                ethtool_stat(cfg.ifname, "rx_csum_bad") - bad0)

    want = (BAD, GOOD * len(PAYLOAD), expected_bad)
    wait_for(lambda: all(c >= w for c, w in zip(counts(), want)), 5)
    errors, size, bad = counts()
    ksft_pr("UDP: InCsumErrors +%d, %d bytes delivered (%d bad, %d good of %d bytes), "
            "rx_csum_bad +%d" % (errors, size, BAD, GOOD, len(PAYLOAD), bad))
    ksft_eq(errors, BAD, "Udp InCsumErrors growth")
    ksft_eq(size, GOOD * len(PAYLOAD), "bytes delivered to the listener")
    ksft_eq(bad, expected_bad, "driver rx_csum_bad growth")


def rx_off(cfg):
    """rx-checksumming off: MIB MiB of TCP to the DUT arrive intact and no verdict is
    trusted."""
    switch_off(cfg, "rx")
    ok0 = ethtool_stat(cfg.ifname, "rx_csum_verified")
    intact(tcp_transfer(cfg, MIB, to_dut=True), "rx off: %d MiB TCP to the DUT" % MIB)
    ok = ethtool_stat(cfg.ifname, "rx_csum_verified")
    ksft_eq(ok, ok0, "rx off: no verdict trusted (rx_csum_verified)")


def tso_off(cfg):
    """TSO off: MIB MiB of TCP from the DUT arrive intact, in no TSO packet."""
    switch_off(cfg, "tso")
    tso0 = ethtool_stat(cfg.ifname, "tx_tso")
    intact(tcp_transfer(cfg, MIB, to_dut=False), "tso off: %d MiB TCP from the DUT" % MIB)
    tso = ethtool_stat(cfg.ifname, "tx_tso")
    ksft_eq(tso, tso0, "tso off: no TSO packet (tx_tso)")


def tx_off(cfg):
    """tx-checksumming (and with it TSO) off: MIB MiB of TCP from the DUT arrive intact
    with checksums computed in software."""
    switch_off(cfg, "tso", "tx")
    intact(tcp_transfer(cfg, MIB, to_dut=False), "tx off: %d MiB TCP from the DUT" % MIB)


def main():
    run_on_models(__file__, [offloads_on, tso_out, tso6_out, rx_verdicts, bad_udp_checksums,
                             rx_off, tso_off, tx_off])


if __name__ == "__main__":
    main()
