#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The ethtool settings of iflib_igb on QEMU's igb pair (82576), each read back, in the
register it programs where one holds it, and bad values refused:
 - interrupt moderation: rx-usecs 50 by default, in every queue set's EITR (microseconds
   in bits 14:2); 100 read back and in EITR, TCP to the DUT intact with it; 8192 (past
   EITR's 13 bits) refused with EINVAL, tx-usecs refused as unsupported;
 - the NVM (ethtool -e): 128 bytes, the permanent MAC address first, the words summing
   to Intel's 0xBABA;
 - flow control: off by default; rx and tx pause on, read back and in CTRL (RFCE,
   TFCE), the pause frame registers programmed (FCAL with 01:80:C2:00:00:01, FCTTV the
   longest pause, FCRTH leaving room for two of the largest frames in the RX buffer,
   FCRTL 16 bytes below with XON on); pause autonegotiation refused; off again (the
   thresholds cleared), ping passes;
 - ethtool -p: LED0's mode in LEDCTL seen forced on (0xe) and off (0xf) while it runs,
   LEDCTL as before after;
 - ethtool -t offline: register, NVM and link tests pass, and traffic after; with the
   link taken down by the host, the online link test fails.
"""

import subprocess
import time

from iflib_env import Bar, answers_ping, carrier, channels, host_link, register, \
    run_on_pair, tcp_transfer, wait_for
from lib.py import cmd, defer, ethtool, ksft_eq, ksft_pr, ksft_true

# Registers (BAR 0 offsets) and bits the cases look at.
CTRL = 0x0000
CTRL_RFCE = 1 << 27
CTRL_TFCE = 1 << 28
LEDCTL = 0x0e00
EITR = 0x1680
FCAL, FCTTV, FCRTL, FCRTH, RXPBS = 0x0028, 0x0170, 0x2160, 0x2168, 0x2404
FCRTL_XONE = 1 << 31
# The frame being received and the largest the MAC takes: MTU 9216 with header, tag and
# FCS, and 9728.
XOFF_ROOM = 9238 + 9728


def setting(option, ifname, name):
    """The value of "NAME: value" in `ethtool OPTION IFNAME`."""
    for line in ethtool("%s %s" % (option, ifname)).stdout.splitlines():
        key, _, value = line.strip().partition(":")
        if key.strip() == name:
            return value.strip()
    raise KeyError(name)


def refused(args, error):
    """`ethtool ARGS` fails with ERROR (as ethtool words it) in its message."""
    out = cmd("ethtool " + args, fail=False)
    ksft_pr("ethtool %s: rc %d, %s" % (args, out.ret, out.stderr.strip()))
    return out.ret != 0 and error.lower() in out.stderr.lower()


def eitr_usecs(cfg, vector):
    return (register(cfg, EITR + 4 * vector) >> 2) & 0x1fff


def interrupt_moderation(cfg):
    """rx-usecs in every queue set's EITR; bad values refused."""
    sets = channels(cfg)[1]
    ksft_eq(setting("-c", cfg.ifname, "rx-usecs"), "50", "rx-usecs 50 by default")
    ksft_eq([eitr_usecs(cfg, v) for v in range(sets)], [50] * sets, "EITR 50 us")
    defer(ethtool, "-C %s rx-usecs 50" % cfg.ifname)
    ethtool("-C %s rx-usecs 100" % cfg.ifname)
    ksft_eq(setting("-c", cfg.ifname, "rx-usecs"), "100", "rx-usecs 100 reads back")
    ksft_eq([eitr_usecs(cfg, v) for v in range(sets)], [100] * sets, "EITR 100 us")
    sent, got = tcp_transfer(cfg, 8, to_dut=True)
    ksft_true(sent is not None and sent == got, "TCP to the DUT intact with rx-usecs 100")
    ksft_true(refused("-C %s rx-usecs 8192" % cfg.ifname, "Invalid argument"),
              "rx-usecs 8192 refused with EINVAL")
    ksft_true(refused("-C %s tx-usecs 10" % cfg.ifname, "unsupported parameter"),
              "tx-usecs refused as unsupported")
    ksft_eq(setting("-c", cfg.ifname, "rx-usecs"), "100", "rx-usecs kept")


def nvm(cfg):
    """ethtool -e: 128 bytes, the permanent MAC first, Intel's checksum."""
    raw = subprocess.run(["ethtool", "-e", cfg.ifname, "raw", "on"], capture_output=True,
                         check=True).stdout
    permanent = ethtool("-P " + cfg.ifname).stdout.split()[-1]
    mac = ":".join("%02x" % b for b in raw[:6])
    total = sum(int.from_bytes(raw[i:i + 2], "little") for i in range(0, len(raw), 2)) & 0xffff
    ksft_pr("NVM: %d bytes, MAC %s (permanent %s), sum %#06x" % (len(raw), mac, permanent,
                                                                total))
    ksft_eq(len(raw), 128, "128 bytes")
    ksft_eq(mac, permanent, "the permanent MAC address first")
    ksft_eq(total, 0xbaba, "the words sum to 0xBABA")


def pause_is(cfg, rx, tx):
    ctrl = register(cfg, CTRL)
    shown = tuple(setting("-a", cfg.ifname, name) for name in ("Autonegotiate", "RX", "TX"))
    ksft_pr("pause: autoneg %s, rx %s, tx %s; CTRL %#010x" % (shown + (ctrl,)))
    want = (CTRL_RFCE if rx == "on" else 0) | (CTRL_TFCE if tx == "on" else 0)
    return shown == ("off", rx, tx) and ctrl & (CTRL_RFCE | CTRL_TFCE) == want


def flow_control(cfg):
    """Pause off by default, on both ways read back and in CTRL, autoneg refused."""
    ksft_true(pause_is(cfg, "off", "off"), "flow control off by default")
    defer(ethtool, "-A %s rx off tx off" % cfg.ifname)
    ethtool("-A %s rx on tx on" % cfg.ifname)
    ksft_true(pause_is(cfg, "on", "on"), "rx and tx pause on: read back, in CTRL")
    high = ((register(cfg, RXPBS) & 0x7f) * 1024 - XOFF_ROOM) & ~0xf
    thresholds = (register(cfg, FCRTH), register(cfg, FCRTL))
    ksft_pr("FCRTH %#x, FCRTL %#x, FCAL %#x, FCTTV %#x" %
            (thresholds + (register(cfg, FCAL), register(cfg, FCTTV))))
    ksft_eq(thresholds, (high, (high - 16) | FCRTL_XONE), "XOFF and XON thresholds")
    ksft_eq((register(cfg, FCAL), register(cfg, FCTTV)), (0x00c28001, 0xffff),
            "pause address and time")
    ksft_true(refused("-A %s autoneg on" % cfg.ifname, "Invalid argument"),
              "pause autonegotiation refused")
    ethtool("-A %s rx off tx off" % cfg.ifname)
    ksft_true(pause_is(cfg, "off", "off"), "pause off again")
    ksft_eq((register(cfg, FCRTH), register(cfg, FCRTL)), (0, 0), "thresholds cleared")
    ksft_true(answers_ping(cfg, 10), "ping passes")


def identify(cfg):
    """While `ethtool -p` runs, LED0 is seen forced on and off; LEDCTL as before after.
    LEDCTL is watched for as long as ethtool runs, however slow its start."""
    with Bar(cfg.dut_pci) as bar:
        before = bar.read32(LEDCTL)
        blink = subprocess.Popen(["ethtool", "-p", cfg.ifname, "3"])
        modes = []
        while blink.poll() is None:
            mode = bar.read32(LEDCTL) & 0xf
            if mode not in modes:
                modes.append(mode)
            time.sleep(0.01)
        after = bar.read32(LEDCTL)
    ksft_pr("LEDCTL %#x -> LED0 modes seen %s -> %#x" %
            (before, " ".join("%x" % m for m in modes), after))
    ksft_eq(blink.returncode, 0, "ethtool -p succeeded")
    ksft_true(0xe in modes and 0xf in modes, "LED0 forced on and off")
    ksft_eq(after, before, "LEDCTL restored")


def self_test(cfg, mode):
    """(verdict, [results]) of `ethtool -t IFNAME MODE`."""
    out = cmd("ethtool -t %s %s" % (cfg.ifname, mode), fail=False)
    ksft_pr("ethtool -t %s: %s" % (mode, " ".join(out.stdout.split())))
    verdict = "PASS" if "The test result is PASS" in out.stdout else "FAIL"
    results = [line.split()[-1] for line in out.stdout.split("extra info:")[-1].splitlines()
               if line.strip()]
    return verdict, results


def self_tests(cfg):
    """Offline: registers, NVM and link pass, traffic after; link down: link fails."""
    ksft_eq(self_test(cfg, "offline"), ("PASS", ["0", "0", "0"]),
            "offline: registers, NVM, link pass")
    ksft_true(wait_for(lambda: carrier(cfg.ifname), 10), "carrier back after")
    ksft_true(answers_ping(cfg, 10), "ping passes after")
    mac = cfg.dev["address"]
    defer(wait_for, lambda: carrier(cfg.ifname), 10)
    defer(host_link, mac, "up")
    host_link(mac, "down")
    ksft_true(wait_for(lambda: not carrier(cfg.ifname), 10), "carrier lost with the link")
    ksft_eq(self_test(cfg, "online"), ("FAIL", ["0", "0", "1"]),
            "online with the link down: the link test fails")


def main():
    run_on_pair(__file__, "igb", [interrupt_moderation, nvm, flow_control, identify,
                                  self_tests])


if __name__ == "__main__":
    main()
