#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The DUT NIC leaves its PCIe slot under traffic; iflib_em lets go of it cleanly.

A peer's pktgen flood comes in and iperf3 sends out of the DUT when the guest
powers the DUT's root port slot off behind pciehp's back. QEMU then removes the
device at once (it offers no surprise removal from the host: that went with
CVE-2014-3471), and pciehp finds the card gone: "Card not present", the device
marked disconnected, iflib_em's remove run on a device that no longer answers
(QEMU reads 0 from the vanished BARs where silicon reads all-ones). The test
checks that the interface and the PCI device go within seconds (no hang in
remove), that kmemleak finds nothing left behind, and that the NIC, plugged
back in by the host (QMP device_add), is driven by iflib_em again and passes
traffic. Oopses and the debug kernel's reports fail the run on their own.
"""

import os
import time
from pathlib import Path

from iflib_env import TIME_FACTOR, Pktgen, _lib_sh, answers_ping, ifname_by_mac, ip, \
    kernel_log_since, link_counter, run_on_pair, wait_for
from lib.py import Iperf3Runner, KsftSkipEx, cmd, ksft_eq, ksft_pr, ksft_true

MODEL = "e1000e"  # em's NIC on its own PCIe root port
# PCIe Slot Control (PCIe capability + 0x18): Power Indicator off (bits 9:8 = 11),
# Power Controller off (bit 10 = 1).
SLOT_POWER_OFF = "CAP_EXP+18.w=0700:0700"
KMEMLEAK = Path("/sys/kernel/debug/kmemleak")


def leaks():
    """Objects kmemleak finds unreferenced now (two scans: it needs to see one twice)."""
    KMEMLEAK.write_text("scan\n")
    KMEMLEAK.write_text("scan\n")
    return KMEMLEAK.read_text(errors="replace").count("unreferenced object")


def surprise_removal(cfg):
    """The NIC is pulled under a flood both ways; it goes without a hang or a leak, and
    comes back driven by iflib_em."""
    dut_mac = ip("link show dev " + cfg.ifname, json=True)[0]["address"]
    device = Path("/sys/class/net", cfg.ifname, "device").resolve()
    root_port = device.parent.name
    # The slot is named by the address of the bus below the port (domain:bus:device).
    if not any((slot / "address").read_text().strip() == device.name.rsplit(".", 1)[0]
               for slot in Path("/sys/bus/pci/slots").glob("*")
               if (slot / "address").exists()):
        raise KsftSkipEx("root port %s has no native hotplug slot" % root_port)
    if KMEMLEAK.exists():
        KMEMLEAK.write_text("clear\n")
    ksft_true(answers_ping(cfg, 10), "ping passes before the removal")

    mark = "iflib-surprise-removal-%d" % os.getpid()
    iperf = Iperf3Runner(cfg)
    server = iperf.start_server()
    # The server on the DUT sends (--reverse); pktgen floods the DUT from the peer.
    client = iperf.start_client(background=True, streams=2, duration=3600, reverse=True)
    try:
        with Pktgen(cfg, dut_mac):
            rx0 = link_counter(cfg.ifname, "rx_packets")
            tx0 = link_counter(cfg.ifname, "tx_packets")
            ksft_true(wait_for(lambda: link_counter(cfg.ifname, "rx_packets") > rx0 + 1000 and
                               link_counter(cfg.ifname, "tx_packets") > tx0 + 1000, 20),
                      "traffic crosses both ways before the removal")
            with open("/dev/kmsg", "w", encoding="utf-8") as kmsg:
                kmsg.write(mark + "\n")
            start = time.monotonic()
            cmd("setpci -s %s %s" % (root_port, SLOT_POWER_OFF))
            gone = wait_for(lambda: not device.exists() and ifname_by_mac(dut_mac) is None,
                            30)
            ksft_true(gone, "the PCI device and its interface are gone within %d s"
                      % (30 * TIME_FACTOR))
            if gone:
                ksft_pr("removed in %.1f s" % (time.monotonic() - start))
    finally:
        client.process(terminate=True, fail=False)
        server.process(terminate=True, fail=False)
    log = kernel_log_since(mark)
    ksft_true(mark in log, "the test's mark is in the kernel log")
    ksft_true("Card not present" in log, "pciehp saw the card gone (surprise removal)")
    if KMEMLEAK.exists():
        ksft_eq(leaks(), 0, "objects kmemleak finds unreferenced after the removal")

    if not gone:
        return
    # The host plugs the NIC back in; the C driver may take it first.
    print("# iflib-host: plug %s" % dut_mac, flush=True)
    ksft_true(wait_for(lambda: ifname_by_mac(dut_mac) is not None, 30),
              "the NIC is back after the host plugged it in")
    ksft_eq(_lib_sh("find_pair %s && bind_dut %s e1000e iflib_em" % (MODEL, MODEL),
                    check=False).returncode, 0, "iflib_em drives the NIC again")
    ifname = ifname_by_mac(dut_mac)
    ip("addr add %s/24 dev %s" % (cfg.addr_v["4"], ifname))
    ip("link set dev %s up" % ifname)
    ksft_true(wait_for(lambda: cmd("ping -c 1 -W 1 " + cfg.remote_addr_v["4"],
                                   fail=False).ret == 0, 20, step=0),
              "the peer answers a ping through the plugged-in NIC")


def main():
    run_on_pair(__file__, MODEL, [surprise_removal])


if __name__ == "__main__":
    main()
