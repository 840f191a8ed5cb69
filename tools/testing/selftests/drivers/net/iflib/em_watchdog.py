#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The TX watchdog of iflib on every em model (igb_reconfig.py runs the case on the 82576).

A hang is simulated by switching the transmitter off behind the driver's back (TCTL.EN
cleared through the BAR's sysfs resource file). pktgen on the DUT sends more frames than
the TX ring holds: the ring fills and the queue stops for good. The stack's watchdog
fires after 5 s, iflib counts it (tx_timeouts) and the kernel logs it; iflib's admin work
resets the device, whose start switches the transmitter back on, the queue wakes,
pktgen's frames drain and the peer answers pings again.
"""

from iflib_env import Bar, Pktgen, answers_ping, carrier, ethtool_stat, kernel_log_since, \
    kmsg_mark, link_counter, register, ring_size, run_on_models, settle, wait_for
from lib.py import ksft_eq, ksft_pr, ksft_true

# The transmit control register and its enable bit (the same on the 8254x, 82574, 82576).
TCTL = 0x0400
TCTL_EN = 1 << 1
# Frames pktgen sends into the dead transmitter: more than a default TX ring holds.
FRAMES = 2000


def tx_watchdog_resets(cfg):
    """A transmitter switched off: the watchdog fires, is counted, the reset revives TX."""
    ksft_true(answers_ping(cfg, 10), "ping passes before the hang")
    timeouts = ethtool_stat(cfg.ifname, "tx_timeouts")
    ring = ring_size(cfg.ifname, "TX")
    received = link_counter(cfg.remote_ifname, "rx_packets", host=cfg.remote)
    mark = kmsg_mark("watchdog")
    with Bar(cfg.dut_pci) as bar:
        bar.write32(TCTL, bar.read32(TCTL) & ~TCTL_EN)
    ksft_pr("TCTL after the simulated hang: %#x" % register(cfg, TCTL))

    pktgen = Pktgen(cfg, cfg.remote_dev["address"], rate=100000, count=FRAMES,
                    dst=cfg.remote_addr_v["4"], src=cfg.addr_v["4"], on_dut=True)
    with pktgen:
        # The stack's watchdog waits 5 s from the queue's stop; its timer ticks each 5 s.
        fired = wait_for(lambda: ethtool_stat(cfg.ifname, "tx_timeouts") > timeouts, 20)
        ksft_pr("tx_timeouts %d -> %d" % (timeouts, ethtool_stat(cfg.ifname, "tx_timeouts")))
        ksft_true(fired, "the TX watchdog fired and was counted")
        log = kernel_log_since(mark)
        ksft_pr(next((line for line in log.splitlines() if "timed out" in line),
                     "no 'timed out' line in the kernel log"))
        ksft_true("transmit queue 0 timed out" in log, "the kernel logged the transmit timeout")
        revived = wait_for(lambda: register(cfg, TCTL) & TCTL_EN, 10)
        ksft_pr("TCTL after the reset: %#x" % register(cfg, TCTL))
        ksft_true(revived, "the reset switched the transmitter back on")
        # The queue woke: pktgen's frames drained and it finished.
        ksft_true(wait_for(lambda: pktgen.proc.poll() is not None, 20),
                  "pktgen finished after the reset")
        ksft_eq(pktgen.proc.returncode, 0, "pktgen's run succeeded")
    # Not asserted: iflib wakes the queue as the reset ends, before the link is back, and
    # pktgen (which the stack's carrier check does not stop) sends into a link that is down
    # (2026-12-05: 0 of 2,000 at the peer on the 82576, 4 on the 82574).
    arrived = settle(lambda: link_counter(cfg.remote_ifname, "rx_packets",
                                          host=cfg.remote)) - received
    ksft_pr("frames the peer received: %d of %d, the TX ring %d" % (arrived, FRAMES, ring))
    ksft_true(wait_for(lambda: carrier(cfg.ifname), 10), "carrier back after the reset")
    ksft_true(answers_ping(cfg, 10), "ping passes after the reset")


def main():
    run_on_models(__file__, [tx_watchdog_resets])


if __name__ == "__main__":
    main()
