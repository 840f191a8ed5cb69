#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Ring, channel and MTU changes on the 82576 (QEMU igb), and what must be refused.

iflib_igb on the DUT, the C igb on the peer:
- ring sizes and the MTU change in a loop under a TCP flood from the DUT
  (em_reconfig_flood.py's case): no packet finds a ring missing, no TX timeout;
- ring sizes out of range (7, 100,000 and 0 entries) are refused with EINVAL and a
  message over ethtool netlink, and the rings stay as they were; the sizes they have,
  asked for again over the ioctl (which, unlike netlink, asks even then), restart
  nothing: the carrier stays up;
- jumbo frames: at MTU 9000 and at the 82576's largest, 9216 (both ends), unfragmented
  pings of the whole MTU cross both ways and TCP crosses intact both ways; 9217 is
  refused and the MTU kept;
- out of memory (fail_page_alloc failing the ethtool process's allocations of 32 KiB
  and more once a budget of them was made, the budget growing 16 pages an attempt, so
  that the failure comes at each point of the new rings' allocation in turn) while the
  DUT floods the peer with pings: `-G rx 4096` and `-L combined 8` (new sets with
  4096-entry rings) are refused with ENOMEM until they fit, the rings and channels read
  back as before, the device never stops (no carrier change), the kernel log has no
  warning (a page pool dropped while bound to a running NAPI context warns) and no
  TX timeout; with memory both apply;
- a TX hang (the transmitter switched off behind the driver's back, em_watchdog.py's
  case): the stack's watchdog fires, iflib counts it and resets the device, and the
  frames queued meanwhile leave.
"""

import ctypes
import fcntl
import os
import re
import socket
import struct

from em_reconfig_flood import reconfig_under_tx_flood
from em_watchdog import tx_watchdog_resets
from iflib_env import TIME_FACTOR, answers_ping, by_scope, channels, ethnl_set, ethtool_stat, \
    kernel_log_since, kmsg_mark, ring_size, run_on_pair, sets_in_use, tcp_transfer
from lib.py import KsftSkipEx, cmd, defer, ethtool, ip, ksft_eq, ksft_gt, ksft_pr, \
    ksft_true

FAIL = "/sys/kernel/debug/fail_page_alloc"
# The ethtool ioctl and its ring commands (linux/sockios.h, linux/ethtool.h).
SIOCETHTOOL = 0x8946
ETHTOOL_GRINGPARAM = 0x10
ETHTOOL_SRINGPARAM = 0x11
# What the kernel log must not show after a refused change.
BAD_LOG = re.compile(r"\bWARNING\b|\bBUG\b|\bOops\b|cannot apply the new|stays down")
# TCP volume at each jumbo MTU, each way.
MIB = by_scope(8, 64) // (2 if TIME_FACTOR > 1 else 1)


def rings(cfg):
    """(RX, TX) ring sizes, read back."""
    return ring_size(cfg.ifname, "RX"), ring_size(cfg.ifname, "TX")


def rings_refused(cfg):
    """7, 100,000 and 0 entries are refused with EINVAL and a message; rings unchanged."""
    before = rings(cfg)
    for sizes in ({"rx": 7}, {"tx": 100000}, {"rx": 0}, {"tx": 0}):
        refused = ethnl_set(cfg, "rings", **sizes)
        ksft_true(refused is not None and refused.nl_msg.error == -22,
                  "%s: refused with EINVAL" % sizes)
        ksft_true(refused is not None and refused.nl_msg.extack.get("msg"),
                  "%s: with a message" % sizes)
        ksft_eq(rings(cfg), before, "rings unchanged")


def ring_ioctl(ifname, command, params=None):
    """ETHTOOL_GRINGPARAM or ETHTOOL_SRINGPARAM (COMMAND) over the SIOCETHTOOL ioctl,
    with the nine-word struct ethtool_ringparam PARAMS (after `cmd`); returns its words."""
    words = (ctypes.c_uint32 * 9)(command, *(params or [0] * 8)[:8])
    request = struct.pack("16sP", ifname.encode(), ctypes.addressof(words))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock, SIOCETHTOOL, request)
    return list(words)[1:]


def rings_unchanged(cfg):
    """The ethtool ioctl's set-ringparam with the sizes the rings have (ethtool netlink
    does not ask then; the ioctl does): accepted, and the device is not restarted (no
    carrier change)."""
    before = rings(cfg)
    flaps = carrier_changes(cfg)
    ring_ioctl(cfg.ifname, ETHTOOL_SRINGPARAM, ring_ioctl(cfg.ifname, ETHTOOL_GRINGPARAM))
    ksft_eq(rings(cfg), before, "rings unchanged")
    ksft_eq(carrier_changes(cfg), flaps, "no restart: the carrier did not change")


def max_mtu(ifname, host=None):
    return ip("-d link show dev " + ifname, json=True, host=host)[0]["max_mtu"]


def jumbo_at(cfg, mtu):
    """At MTU MTU on both ends, pings of the whole MTU cross unfragmented both ways and
    TCP crosses intact both ways."""
    ip("link set dev %s mtu %d" % (cfg.ifname, mtu))
    ip("link set dev %s mtu %d" % (cfg.remote_ifname, mtu), host=cfg.remote)
    ksft_true(answers_ping(cfg, 10), "MTU %d: ping passes" % mtu)
    payload = mtu - 28
    cmd("ping -M do -s %d -c 3 -i 0.2 -W 2 %s" % (payload, cfg.remote_addr_v["4"]))
    cmd("ping -M do -s %d -c 3 -i 0.2 -W 2 %s" % (payload, cfg.addr_v["4"]), host=cfg.remote)
    for to_dut in (False, True):
        sent, got = tcp_transfer(cfg, MIB, to_dut)
        ksft_true(sent is not None and sent == got,
                  "MTU %d: %d MiB by TCP %s the DUT intact" %
                  (mtu, MIB, "to" if to_dut else "from"))


def jumbo_frames(cfg):
    """MTU 9000 and the most, 9216, cross both ways; 9217 is refused and the MTU kept."""
    defer(ip, "link set dev %s mtu 1500" % cfg.remote_ifname, host=cfg.remote)
    defer(ip, "link set dev %s mtu 1500" % cfg.ifname)
    ksft_eq(max_mtu(cfg.ifname), max_mtu(cfg.remote_ifname, host=cfg.remote),
            "the most MTU, as the C igb's")
    most = max_mtu(cfg.ifname)
    ksft_eq(most, 9216, "the 82576's most MTU")
    for mtu in (9000, most):
        jumbo_at(cfg, mtu)
    refused = cmd("ip link set dev %s mtu %d" % (cfg.ifname, most + 1), fail=False)
    ksft_pr("MTU %d: %s" % (most + 1, refused.stderr.strip()))
    ksft_true(refused.ret != 0, "MTU %d refused" % (most + 1))
    ksft_eq(int(ip("link show dev " + cfg.ifname, json=True)[0]["mtu"]), most, "MTU kept")
    ip("link set dev %s mtu 1500" % cfg.ifname)
    ip("link set dev %s mtu 1500" % cfg.remote_ifname, host=cfg.remote)
    ksft_true(answers_ping(cfg, 10), "back at MTU 1500: ping passes")


def failing_large_allocations(budget=0):
    """fail_page_alloc fails every allocation of 32 KiB or more of processes that ask, once
    BUDGET pages of such allocations have been made."""
    for name, value in (("task-filter", "Y"), ("ignore-gfp-wait", "N"),
                        ("ignore-gfp-highmem", "N"), ("min-order", "3"), ("interval", "1"),
                        ("times", "-1"), ("verbose", "0"), ("space", str(budget)),
                        ("probability", "100")):
        with open(os.path.join(FAIL, name), "w", encoding="ascii") as f:
            f.write(value + "\n")


def memory_back():
    with open(os.path.join(FAIL, "probability"), "w", encoding="ascii") as f:
        f.write("0\n")


def failing(command, budget=0):
    """COMMAND run in a process whose large allocations fail once BUDGET pages of them
    were made; returns the cmd."""
    failing_large_allocations(budget)
    try:
        return cmd("echo 1 >/proc/self/make-it-fail && exec " + command, shell=True,
                   fail=False)
    finally:
        memory_back()


# Pages of large allocations a refused change may make before they fail, in steps: the
# failure then comes at each point of the new rings' allocation (a set's rings and pool
# done, the next set's not), until the change fits.
BUDGETS = range(0, 1024, 16)


def carrier_changes(cfg):
    with open("/sys/class/net/%s/carrier_changes" % cfg.ifname, encoding="ascii") as f:
        return int(f.read())


def refused_and_kept(cfg, what, args, budget, kept):
    """`ethtool ARGS` with large allocations failing after BUDGET pages: refused with
    ENOMEM and the settings KEPT (rings, channels), or applied; returns whether refused."""
    flaps = carrier_changes(cfg)
    out = failing("ethtool " + args, budget)
    if out.ret == 0:
        ksft_pr("ethtool %s: applied with %d pages of large allocations" % (args, budget))
        return False
    ksft_true("Cannot allocate memory" in out.stderr,
              "%s, %d pages: refused with ENOMEM (%s)" % (what, budget, out.stderr.strip()))
    ksft_eq((rings(cfg), channels(cfg)), kept, "%s, %d pages: settings kept" % (what, budget))
    ksft_eq(carrier_changes(cfg), flaps, "%s, %d pages: the device kept running" %
            (what, budget))
    return True


def out_of_memory_keeps_settings(cfg):
    """-G rx 4096 and -L combined 8 refused with ENOMEM under a ping flood when large
    allocations fail, at every point of the new rings' allocation: rings and channels
    kept, the device never stopped (no carrier change), no TX timeout, the kernel log
    clean; with memory both apply."""
    if not os.path.isdir(FAIL):
        ksft_pr("no page allocation fault injection (%s)" % FAIL)
        ksft_true(False, "fail_page_alloc present")
        return
    most, count = channels(cfg)
    if most == 1:
        raise KsftSkipEx("one queue set at most (no MSI-X): no channel change to refuse")
    if count == most:
        # -L to the count in use changes nothing: fewer sets first.
        ethtool("-L %s combined 1" % cfg.ifname)
    before = rings(cfg)
    defer(ethtool, "-G %s rx %d tx %d" % (cfg.ifname, before[0], before[1]))
    defer(ethtool, "-L %s combined %d" % (cfg.ifname, count))
    defer(memory_back)
    # New sets' rings of 4096 entries (64 KiB) need large allocations.
    ethtool("-G %s tx 4096" % cfg.ifname)
    ksft_true(answers_ping(cfg, 10), "ping passes at tx 4096")
    kept = (rings(cfg), channels(cfg))
    timeouts = ethtool_stat(cfg.ifname, "tx_timeouts")
    mark = kmsg_mark("igb-nomem")
    flood = cmd("ping -f -q -w 3600 " + cfg.remote_addr_v["4"], background=True, fail=False)
    try:
        for what, args in (("rings", "-G %s rx 4096" % cfg.ifname),
                           ("channels", "-L %s combined %d" % (cfg.ifname, most))):
            refusals = 0
            for budget in BUDGETS:
                if not refused_and_kept(cfg, what, args, budget, kept):
                    break
                refusals += 1
            ksft_pr("%s: refused %d times, with up to %d pages" % (what, refusals, budget))
            ksft_gt(refusals, 1, "%s: refused at more than one point" % what)
            # Applied (or never within the budgets): back to the settings kept.
            ethtool("-G %s rx %d tx %d" % (cfg.ifname, kept[0][0], kept[0][1]))
            ethtool("-L %s combined %d" % (cfg.ifname, kept[1][1]))
            ksft_true(answers_ping(cfg, 10), "%s: ping passes after" % what)
        ksft_true(answers_ping(cfg, 10), "ping passes after the refusals")
    finally:
        memory_back()
        flood.process(terminate=True, fail=False)
    log = kernel_log_since(mark)
    ksft_true(log, "the kernel log still holds what the refusals logged (it did not wrap)")
    named = [line for line in log.splitlines() if "cannot allocate rings for the new" in line]
    ksft_pr("%d refusals logged, the first: %s" % (len(named), named[0] if named else "none"))
    ksft_true(named, "the log names the refusals")
    for line in log.splitlines():
        if BAD_LOG.search(line):
            ksft_pr(line)
    ksft_eq([line for line in log.splitlines() if BAD_LOG.search(line)], [],
            "no warning, and the device never stayed down")
    ksft_eq(ethtool_stat(cfg.ifname, "tx_timeouts"), timeouts, "TX timeouts")
    ethtool("-G %s rx 4096" % cfg.ifname)
    ethtool("-L %s combined %d" % (cfg.ifname, most))
    ksft_eq(rings(cfg), (4096, 4096), "with memory: rx 4096 applied")
    ksft_true(sets_in_use(cfg, most, most), "with memory: %d queue sets" % most)
    ksft_true(answers_ping(cfg, 10), "ping passes")


def main():
    run_on_pair(__file__, "igb", [reconfig_under_tx_flood, rings_refused, rings_unchanged,
                                  jumbo_frames, out_of_memory_keeps_settings,
                                  tx_watchdog_resets])


if __name__ == "__main__":
    main()
