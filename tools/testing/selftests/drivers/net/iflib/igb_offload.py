#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checksum and segmentation offloads of iflib_igb against the C igb: em_offload.py's
cases on QEMU's igb pair (82576, advanced TX context descriptors).

TSO over IPv4 and IPv6 in use and TCP intact; received TCP checksums verified by the
model; UDP datagrams with bad checksums counted by the driver and by UDP, the good ones
delivered; with RX checksumming, TSO and TX checksumming each switched off, TCP still
intact and the offload unused. UDP segmentation is not offered (QEMU's igb sends IP
fragments for it).
"""

from em_offload import bad_udp_checksums, feature, offloads_on, rx_off, rx_verdicts, \
    tso6_out, tso_off, tso_out, tx_off
from iflib_env import run_on_pair
from lib.py import cmd, ksft_eq


def no_udp_segmentation(cfg):
    """tx-udp-segmentation is off and stays off when asked for."""
    ksft_eq(feature(cfg, "tx-udp-segmentation"), "off", "UDP segmentation not offered")
    cmd("ethtool -K %s tx-udp-segmentation on" % cfg.ifname, fail=False)
    ksft_eq(feature(cfg, "tx-udp-segmentation"), "off", "still off when asked for")


def main():
    run_on_pair(__file__, "igb", [offloads_on, no_udp_segmentation, tso_out, tso6_out,
                                  rx_verdicts, bad_udp_checksums, rx_off, tso_off, tx_off])


if __name__ == "__main__":
    main()
