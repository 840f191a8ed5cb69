#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Binding iflib_em and bringing it up with its N-th allocation failing, for every N,
loses nothing.

With the kernel's fault injection (failslab and fail_page_alloc, every size
and kind of allocation, through /proc/thread-self/fail-nth), the N-th
allocation of `ip link set up` (the SIOCSIFFLAGS ioctl: rings, page pool
and its buffers, XDP RX queue info, interrupt lines, queues) fails, for
N = 1, 2, ... until the ioctl makes fewer than N allocations. Each time
either the ioctl fails with an error and leaves the interface down with no
interrupt line held, or the failed allocation was one the stack may do
without and the interface came up. Then the interface comes up and passes
traffic. The same for binding the driver to the NIC (the write to its bind
file: the probe, the net device, its registration): each failure leaves the
NIC without a driver or net device; the last bind's interface passes
traffic. The harness's kmemleak scan (and KASAN on the debug kernel) finds
anything a failure left behind.
"""

import errno
import fcntl
import os
import socket
import struct
from pathlib import Path

from iflib_env import answers_ping, ip, run_on_pair
from lib.py import defer, ksft_eq, ksft_gt, ksft_pr, ksft_true

DEBUGFS = Path("/sys/kernel/debug")
# Every allocation, sleeping or not, of any order; no random failures; quiet.
FAULT_SETTINGS = {
    "failslab": {"ignore-gfp-wait": "N", "probability": "0", "verbose": "0",
                 "task-filter": "N"},
    # Not the pages of user memory (highmem allocations on x86_64): the test's own page
    # faults must not take the failure meant for the call.
    "fail_page_alloc": {"ignore-gfp-wait": "N", "ignore-gfp-highmem": "Y", "min-order": "0",
                        "probability": "0", "verbose": "0", "task-filter": "N"},
}
# No ioctl of ours makes this many allocations: a sweep that gets here is broken.
MAX_N = 3000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def inject_faults():
    """Sets fault injection as FAULT_SETTINGS says and restores it at the end of the test."""
    for attr, settings in FAULT_SETTINGS.items():
        for name, value in settings.items():
            path = DEBUGFS / attr / name
            old = path.read_text().strip()
            path.write_text(value)
            defer(path.write_text, old)


def flags(sock, ifname):
    req = struct.pack("16sh", ifname.encode(), 0)
    return struct.unpack("16sh", fcntl.ioctl(sock, SIOCGIFFLAGS, req))[1]


def failing_nth(n, call):
    """CALL() with the N-th allocation of this thread failing. Returns (the errno it
    raised or 0, whether the N-th allocation came)."""
    # Opened before: opening allocates. The file cannot seek: one descriptor per direction.
    path = "/proc/thread-self/fail-nth"
    setter, getter = os.open(path, os.O_WRONLY), os.open(path, os.O_RDONLY)
    try:
        os.write(setter, str(n).encode())
        try:
            call()
            error = 0
        except OSError as e:
            error = e.errno
        left = int(os.read(getter, 32))
        # If it was not reached, no later allocation of this thread may fail.
        os.write(setter, b"0")
    finally:
        os.close(setter)
        os.close(getter)
    return error, left == 0


def up_failing_nth(sock, ifname, n):
    """SIOCSIFFLAGS up with the N-th allocation failing."""
    req = struct.pack("16sh", ifname.encode(), flags(sock, ifname) | IFF_UP)
    return failing_nth(n, lambda: fcntl.ioctl(sock, SIOCSIFFLAGS, req))


def describe(errors):
    """'ENOMEM 3, ...' for a count per errno."""
    return ", ".join("%s %d" % (errno.errorcode.get(e, str(e)), c) for e, c in sorted(errors.items()))


def held_lines(ifname):
    """Interrupt lines named after IFNAME (/proc/interrupts)."""
    names = Path("/proc/interrupts").read_text().split()
    return [n for n in names if n == ifname or n.startswith(ifname + "-")]


def link_up_with_nth_allocation_failing(cfg):
    """ip link set up, with allocation N failing for every N: an error or a working up."""
    ifname = cfg.ifname
    ipv6 = Path("/proc/sys/net/ipv6/conf", ifname, "disable_ipv6")
    # The sweep is about the driver: IPv6's own allocations on up would only lengthen it.
    old_ipv6 = ipv6.read_text().strip()
    ipv6.write_text("1")
    defer(ipv6.write_text, old_ipv6)
    inject_faults()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    refused = survived = 0
    errors = {}
    for n in range(1, MAX_N):
        ip("link set dev %s down" % ifname)
        error, injected = up_failing_nth(sock, ifname, n)
        if not injected:
            ksft_eq(error, 0, "up with no allocation failing")
            break
        if error:
            refused += 1
            errors[error] = errors.get(error, 0) + 1
            ksft_eq(flags(sock, ifname) & IFF_UP, 0, "down after allocation %d failed" % n)
            ksft_eq(held_lines(ifname), [], "no interrupt line held after allocation %d" % n)
        else:
            survived += 1
    ksft_pr("allocations: %d; a failure refused the up %d times (%s), was absorbed %d times" %
            (n - 1, refused, describe(errors), survived))
    ksft_gt(refused, 0, "failures that refused the up")
    ksft_true(flags(sock, ifname) & IFF_UP, "up")
    ipv6.write_text(old_ipv6)
    ksft_true(answers_ping(cfg, 10), "the peer answers a ping")


def bind_with_nth_allocation_failing(cfg):
    """Binding the driver, with allocation N failing for every N: an error or a device."""
    device = Path("/sys/class/net", cfg.ifname, "device").resolve()
    pci = device.name
    mac = ip("link show dev " + cfg.ifname, json=True)[0]["address"]
    driver = Path("/sys/bus/pci/drivers/iflib_em")
    inject_faults()
    refused = survived = 0
    errors = {}
    (driver / "unbind").write_text(pci)
    bind = os.open(driver / "bind", os.O_WRONLY)
    defer(os.close, bind)
    for n in range(1, MAX_N):
        error, injected = failing_nth(n, lambda: os.write(bind, pci.encode()))
        if not injected:
            ksft_eq(error, 0, "bound with no allocation failing")
            break
        if (device / "driver").exists():
            survived += 1
            ksft_eq(error, 0, "bound despite allocation %d failing, and said so" % n)
            (driver / "unbind").write_text(pci)
            continue
        refused += 1
        errors[error] = errors.get(error, 0) + 1
        ksft_true(error != 0, "allocation %d failed: the bind returned an error" % n)
        ksft_true(not (device / "net").exists() or not any((device / "net").iterdir()),
                  "no net device after allocation %d failed" % n)
    ksft_pr("allocations: %d; a failure refused the bind %d times (%s), was absorbed %d times" %
            (n - 1, refused, describe(errors), survived))
    ksft_gt(refused, 0, "failures that refused the bind")
    # The environment's interface again: its name, addresses and link.
    names = list((device / "net").iterdir())
    ksft_eq(len(names), 1, "one net device")
    if names[0].name != cfg.ifname:
        ip("link set dev %s name %s" % (names[0].name, cfg.ifname))
    ksft_eq(ip("link show dev " + cfg.ifname, json=True)[0]["address"], mac, "MAC address")
    ip("addr add %s/24 dev %s" % (cfg.addr_v["4"], cfg.ifname))
    ip("addr add %s/64 dev %s nodad" % (cfg.addr_v["6"], cfg.ifname))
    ip("link set dev %s up" % cfg.ifname)
    ksft_true(answers_ping(cfg, 10), "the peer answers a ping")


def main():
    # MODEL may list several (the harness's quick run): the first.
    model = (os.environ.get("MODEL") or "e1000").split(",")[0]
    run_on_pair(__file__, model, [link_up_with_nth_allocation_failing,
                                  bind_with_nth_allocation_failing])


if __name__ == "__main__":
    main()
