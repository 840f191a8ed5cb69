#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checksum offload of packets whose checksum the hardware cannot be told to insert.

em's context descriptors give the checksum's start and position in 8-bit fields:
TCP over IPv6 behind a 320-byte destination options header starts its
checksum at byte 374 of the frame. Such packets must be checksummed by the
stack (iflib's ndo_features_check), not handed to the hardware with the offsets
cut to 8 bits. The DUT sends 256 KiB over TCP to the peer, with and without
the long header: every byte arrives, and the peer's TCP counts no bad
checksum. QEMU's 8254x models honour the offsets as given (the e1000e model
finds the headers itself): that case runs on the e1000 unless MODEL names
another.

igb's context descriptors name the protocol (TCP or UDP), not the position,
and QEMU's e1000e model inserts TCP's and UDP's checksums only: a checksum
anywhere else is the stack's to compute. The DUT sends ICMP echo
requests through a packet socket that asks the device for their checksum (a
virtio-net header, NEEDS_CSUM at offset 2 of the ICMP header): the peer answers
every one and its ICMP counts no bad checksum. On igb and the e1000e.
"""

import hashlib
import os
import socket
import struct
import subprocess

from iflib_env import PACKET_VNET_HDR, SOL_PACKET, TIME_FACTOR, answers_ping, cmd, \
    run_on_pairs, snmp_counter, wait_for
from lib.py import ksft_eq, ksft_pr, ksft_true

# IPV6_DSTOPTS (socket option of IPPROTO_IPV6, linux/in6.h).
IPV6_DSTOPTS = 59
# A destination options header of 320 bytes: the TCP header then starts at byte 374.
DSTOPTS_LEN = 320
DATA = bytes(range(256)) * 1024
PORT = 5299
RECEIVED = "/tmp/iflib_offload_reach"
# A packet socket's virtio-net header (linux/if_packet.h, linux/virtio_net.h): the
# checksum a sender asks the device for.
VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
ETH_HLEN = 14
IPV4_HLEN = 20
# Where ICMP keeps its checksum: neither TCP's (16) nor UDP's (6) offset.
ICMP_CHECKSUM_OFFSET = 2
ECHO_REQUESTS = 20


def destination_options(length):
    """An IPv6 destination options header of LENGTH bytes (a multiple of 8), filled with
    options of the experimental type 0x1e, which a receiver skips (RFC 4727; Linux
    refuses more than 7 bytes of padding options)."""
    body = b""
    left = length - 2
    while left:
        size = min(left, 257) if left != 258 else 250
        body += struct.pack("BB", 0x1E, size - 2) + bytes(size - 2)
        left -= size
    # Next header (filled in by the kernel), length in 8-byte units after the first 8.
    return struct.pack("BB", 0, length // 8 - 1) + body


def bad_tcp_checksums(cfg):
    """The peer's count of TCP segments with a bad checksum (/proc/net/snmp)."""
    lines = [l.split() for l in cmd("cat /proc/net/snmp", host=cfg.remote).stdout.splitlines()
             if l.startswith("Tcp:")]
    return int(lines[1][lines[0].index("InCsumErrors")])


def transfer(cfg, options):
    """Sends DATA over TCP to the peer with the IPv6 destination options OPTIONS; returns
    whether it all arrived intact."""
    listener = subprocess.Popen(
        ["ip", "netns", "exec", cfg.env["REMOTE_ARGS"], "socat", "-u",
         "TCP6-LISTEN:%d,reuseaddr" % PORT, "OPEN:%s,creat,trunc" % RECEIVED])
    try:
        listening = "ss -Hltn sport = :%d" % PORT
        ksft_true(wait_for(lambda: cmd(listening, host=cfg.remote).stdout.strip(), 10),
                  "the peer listens")
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            if options:
                sock.setsockopt(socket.IPPROTO_IPV6, IPV6_DSTOPTS, options)
            sock.settimeout(20 * TIME_FACTOR)
            try:
                sock.connect((cfg.remote_addr_v["6"], PORT))
                sock.sendall(DATA)
            except OSError as e:
                ksft_pr("sending: %s" % e)
                return False
        listener.wait(timeout=20 * TIME_FACTOR)
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait()
    with open(RECEIVED, "rb") as f:
        got = f.read()
    os.unlink(RECEIVED)
    ksft_pr("%d of %d bytes arrived" % (len(got), len(DATA)))
    return hashlib.sha256(got).digest() == hashlib.sha256(DATA).digest()


def checksums_past_reach(cfg):
    """TCP over IPv6 behind a long extension header arrives intact with good checksums."""
    ksft_true(answers_ping(cfg, 10), "ping passes")
    for name, options in (("short headers", b""),
                          ("a %d-byte destination options header" % DSTOPTS_LEN,
                           destination_options(DSTOPTS_LEN))):
        bad = bad_tcp_checksums(cfg)
        ksft_true(transfer(cfg, options), "256 KiB over TCP with %s arrive intact" % name)
        ksft_eq(bad_tcp_checksums(cfg) - bad, 0, "segments with %s and a bad checksum" % name)
    ksft_true(answers_ping(cfg, 5), "ping passes after")


def internet_checksum(data):
    """The one's-complement sum of DATA's 16-bit words, complemented (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(cfg, sequence):
    """An Ethernet frame from the DUT to the peer: an ICMP echo request with its
    checksum field zero, for the device to fill."""
    mac = lambda address: bytes.fromhex(address.replace(":", ""))
    icmp = struct.pack("!BBHHH", 8, 0, 0, os.getpid() & 0xFFFF, sequence) + bytes(range(56))
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, IPV4_HLEN + len(icmp), sequence, 0x4000, 64,
                     socket.IPPROTO_ICMP, 0, socket.inet_aton(cfg.addr_v["4"]),
                     socket.inet_aton(cfg.remote_addr_v["4"]))
    ip = ip[:10] + struct.pack("!H", internet_checksum(ip)) + ip[12:]
    return mac(cfg.remote_dev["address"]) + mac(cfg.dev["address"]) + b"\x08\x00" + ip + icmp


def checksum_elsewhere(cfg):
    """ICMP echo requests whose checksum the sender leaves to the device, at a position
    TCP and UDP do not use, reach the peer with a good checksum: it answers every one."""
    ksft_true(answers_ping(cfg, 10), "ping passes")
    echoes, bad = snmp_counter("Icmp", "InEchos", host=cfg.remote), \
        snmp_counter("Icmp", "InCsumErrors", host=cfg.remote)
    header = struct.pack("<BBHHHH", VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0,
                         ETH_HLEN + IPV4_HLEN, ICMP_CHECKSUM_OFFSET)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        sock.bind((cfg.ifname, 0))
        for sequence in range(ECHO_REQUESTS):
            sock.send(header + echo_request(cfg, sequence))
    answered = wait_for(lambda: snmp_counter("Icmp", "InEchos", host=cfg.remote) - echoes >=
                        ECHO_REQUESTS, 10)
    ksft_pr("the peer took %d echo requests, %d with a bad checksum" %
            (snmp_counter("Icmp", "InEchos", host=cfg.remote) - echoes,
             snmp_counter("Icmp", "InCsumErrors", host=cfg.remote) - bad))
    ksft_true(answered, "the peer took all %d echo requests" % ECHO_REQUESTS)
    ksft_eq(snmp_counter("Icmp", "InCsumErrors", host=cfg.remote) - bad, 0,
            "echo requests with a bad checksum")


def main():
    models = (os.environ.get("MODEL") or "e1000").split(",")
    model = "e1000" if "e1000" in models else models[0]
    # The checksum elsewhere where the hardware names the protocol (igb) or the model
    # finds it (e1000e): the 8254x models insert it wherever they are told.
    plan = {model: [checksums_past_reach]}
    for other in ("e1000e", "igb"):
        plan.setdefault(other, []).append(checksum_elsewhere)
    run_on_pairs(__file__, list(plan.items()))


if __name__ == "__main__":
    main()
