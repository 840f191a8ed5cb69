#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checksum offload of packets whose headers reach past what em's hardware can name.

em's context descriptors give the checksum's start and position in 8-bit fields:
TCP over IPv6 behind a 320-byte destination options header starts its
checksum at byte 374 of the frame. Such packets must be checksummed by the
stack (iflib's ndo_features_check), not handed to the hardware with the offsets
cut to 8 bits. The DUT sends 256 KiB over TCP to the peer, with and without
the long header: every byte arrives, and the peer's TCP counts no bad
checksum. QEMU's 8254x models honour the offsets as given (the e1000e model
finds the headers itself): the test runs on the e1000 unless MODEL names
another.
"""

import hashlib
import os
import socket
import struct
import subprocess

from iflib_env import TIME_FACTOR, answers_ping, cmd, run_on_pair, wait_for
from lib.py import ksft_eq, ksft_pr, ksft_true

# IPV6_DSTOPTS (socket option of IPPROTO_IPV6, linux/in6.h).
IPV6_DSTOPTS = 59
# A destination options header of 320 bytes: the TCP header then starts at byte 374.
DSTOPTS_LEN = 320
DATA = bytes(range(256)) * 1024
PORT = 5299
RECEIVED = "/tmp/iflib_offload_reach"


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


def main():
    models = (os.environ.get("MODEL") or "e1000").split(",")
    model = "e1000" if "e1000" in models else models[0]
    run_on_pair(__file__, model, [checksums_past_reach])


if __name__ == "__main__":
    main()
