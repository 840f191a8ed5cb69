#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The link settings of an iflib driver (`ethtool -s IFACE advertise|speed|duplex|autoneg`),
on em's models and igb, each read back from ethtool and from the registers they program:
the PHY's own (read through MDIC, the MAC's window on the MDI, as the driver writes them)
and the MAC's CTRL:
 - by default every speed the port has (10/100 half and full, 1000 full) in ethtool's
   list, in the advertisement register and in the 1000BASE-T control register;
 - `advertise 0x2c` (100 half and full, 1000 full): read back, the PHY's registers
   changed to match, the link back (QEMU's models renegotiate in about half a second, and
   link at 1000 Mb/s whatever is advertised) and ping passes;
 - the advertisement outlasts a down and up (the reset at down puts the PHY's defaults
   back; iflib programs the operator's modes again);
 - a mode the port lacks (1000 half: 0x10; 10000BASE-T: 0x1000) refused with EINVAL,
   the advertisement kept;
 - `advertise 0x2f` brings every speed back, in the PHY too;
 - `speed 1000 duplex full autoneg off`: 1000BASE-T cannot force it, so it is negotiated
   with that mode alone advertised (as the C Intel drivers do);
 - `speed 10 duplex half autoneg off`, then 100 full: autonegotiation off in ethtool
   (which still lists the speeds advertised) and in the PHY's control register, the
   speed and duplex forced there and in CTRL (FRCSPD, FRCDPX, SPEED, FD), ping passes
   (QEMU's models pass traffic whatever the speed), kept across a down and up; 1000
   half refused (no such mode); `autoneg on` (ethtool asks for every speed) negotiates
   every speed again, CTRL forcing nothing.
"""

import time

from iflib_env import Bar, answers_ping, carrier, em_models, run_on_pairs, wait_for
from lib.py import cmd, defer, ethtool, ip, ksft_eq, ksft_pr, ksft_true

CTRL = 0x0000
CTRL_FD = 1 << 0
CTRL_SPEED_100 = 1 << 8
CTRL_SPEED = 3 << 8
CTRL_FRCSPD = 1 << 11
CTRL_FRCDPX = 1 << 12
CTRL_FORCED = CTRL_FRCSPD | CTRL_FRCDPX | CTRL_SPEED | CTRL_FD
MDIC = 0x0020
MDIC_READ = 1 << 27
MDIC_READY = 1 << 28
MDIC_ERROR = 1 << 30
PHY_ADDRESS = 1
# IEEE 802.3 clause 22's advertisement register and 1000BASE-T's control register, with
# the bits of each speed.
PHY_CONTROL, PHY_ADVERTISE, PHY_CTRL1000 = 0, 4, 9
CONTROL_AUTONEG = 0x1000
CONTROL_SPEED_100 = 0x2000
CONTROL_FULL = 0x0100
CONTROL_SPEED_DUPLEX = 0x2140
ADVERTISE_SPEEDS = 0x01e0
ADVERTISE_100 = 0x0180
CTRL1000_FULL = 0x0200

EVERY_SPEED = ["10baseT/Half", "10baseT/Full", "100baseT/Half", "100baseT/Full",
               "1000baseT/Full"]
NO_10 = EVERY_SPEED[2:]


def phy_register(cfg, register):
    """The DUT PHY's REGISTER, read through MDIC (the driver touches MDIC only when the
    link settings change: not while this runs)."""
    with Bar(cfg.dut_pci) as bar:
        bar.write32(MDIC, MDIC_READ | PHY_ADDRESS << 21 | register << 16)
        for _ in range(100):
            mdic = bar.read32(MDIC)
            if mdic & MDIC_READY:
                if mdic & MDIC_ERROR:
                    raise RuntimeError("the PHY did not answer a read of register %d" %
                                       register)
                return mdic & 0xffff
            time.sleep(0.001)
    raise RuntimeError("MDIC never ready")


def advertised(cfg):
    """The modes `ethtool IFACE` lists as advertised."""
    modes, listing = [], False
    for line in ethtool(cfg.ifname).stdout.splitlines():
        key, colon, value = line.strip().partition(":")
        if colon:
            listing = key == "Advertised link modes"
            line = value
        if listing:
            modes += [m for m in line.split() if m not in ("Not", "reported")]
    return modes


def phy_speeds(cfg):
    """The speed bits of the PHY's advertisement and 1000BASE-T control registers."""
    speeds = (phy_register(cfg, PHY_ADVERTISE) & ADVERTISE_SPEEDS,
              phy_register(cfg, PHY_CTRL1000) & CTRL1000_FULL)
    ksft_pr("ethtool advertises %s; PHY: advertisement %#06x, 1000BASE-T %#06x" %
            ((" ".join(advertised(cfg)),) + speeds))
    return speeds


def autoneg(cfg):
    """Whether `ethtool IFACE` shows autonegotiation on."""
    return [line.split(":")[1].strip() for line in ethtool(cfg.ifname).stdout.splitlines()
            if line.strip().startswith("Auto-negotiation:")] == ["on"]


def forced(cfg, hundred, full):
    """Autonegotiation off in ethtool (which keeps showing the speeds `autoneg on` goes
    back to, 0x2c's here); 100 (else 10) Mb/s, full (else half) duplex forced in the PHY
    and CTRL."""
    control = phy_register(cfg, PHY_CONTROL)
    with Bar(cfg.dut_pci) as bar:
        ctrl = bar.read32(CTRL)
    ksft_pr("ethtool autoneg %s, advertises %s; PHY control %#06x, CTRL %#010x" %
            (autoneg(cfg), advertised(cfg), control, ctrl))
    want_control = (CONTROL_SPEED_100 if hundred else 0) | (CONTROL_FULL if full else 0)
    want_ctrl = CTRL_FRCSPD | CTRL_FRCDPX | (CTRL_SPEED_100 if hundred else 0) | \
        (CTRL_FD if full else 0)
    return (not autoneg(cfg) and advertised(cfg) == NO_10 and
            control & (CONTROL_AUTONEG | CONTROL_SPEED_DUPLEX) == want_control and
            ctrl & CTRL_FORCED == want_ctrl)


def refused(args, error):
    """`ethtool ARGS` fails with ERROR (as ethtool words it) in its message."""
    out = cmd("ethtool " + args, fail=False)
    ksft_pr("ethtool %s: rc %d, %s" % (args, out.ret, " ".join(out.stderr.split())))
    return out.ret != 0 and error.lower() in out.stderr.lower()


def speed(cfg):
    """The speed `ethtool IFACE` shows (the device's, read as ethtool asks)."""
    return " ".join(line.split(":")[1].strip() for line in
                    ethtool(cfg.ifname).stdout.splitlines()
                    if line.strip().startswith("Speed:"))


def link_back(cfg):
    """The link back at 1000 Mb/s (the renegotiation takes it down at once, in the model,
    and the carrier follows later: the speed is waited for, then the carrier), ping
    passes."""
    up = wait_for(lambda: speed(cfg) == "1000Mb/s" and carrier(cfg.ifname), 15)
    ksft_pr("speed %s, carrier %s" % (speed(cfg), carrier(cfg.ifname)))
    return up and answers_ping(cfg, 15)


def advertisement(cfg):
    """Every speed by default; a subset advertised, read back, in the PHY, kept across a
    restart; bad requests refused; every speed again."""
    ksft_eq(advertised(cfg), EVERY_SPEED, "every speed advertised by default")
    ksft_eq(phy_speeds(cfg), (ADVERTISE_SPEEDS, CTRL1000_FULL), "every speed in the PHY")

    defer(ethtool, "-s %s autoneg on advertise 0x2f" % cfg.ifname)
    ethtool("-s %s advertise 0x2c" % cfg.ifname)
    ksft_eq(advertised(cfg), NO_10, "advertise 0x2c reads back")
    ksft_eq(phy_speeds(cfg), (ADVERTISE_100, CTRL1000_FULL), "the PHY advertises them")
    ksft_true(link_back(cfg), "link back at 1000 Mb/s, ping passes")

    ip("link set dev %s down" % cfg.ifname)
    ip("link set dev %s up" % cfg.ifname)
    ksft_true(link_back(cfg), "link back after down and up")
    ksft_eq(phy_speeds(cfg), (ADVERTISE_100, CTRL1000_FULL),
            "the PHY advertises them after down and up")

    ksft_true(refused("-s %s advertise 0x10" % cfg.ifname, "Invalid argument"),
              "1000baseT/Half refused with EINVAL")
    ksft_true(refused("-s %s advertise 0x1000" % cfg.ifname, "Invalid argument"),
              "10000baseT/Full refused with EINVAL")
    ksft_eq(advertised(cfg), NO_10, "the advertisement kept")
    ksft_eq(phy_speeds(cfg), (ADVERTISE_100, CTRL1000_FULL), "the PHY's kept")

    ethtool("-s %s advertise 0x2f" % cfg.ifname)
    ksft_eq(advertised(cfg), EVERY_SPEED, "advertise 0x2f: every speed again")
    ksft_eq(phy_speeds(cfg), (ADVERTISE_SPEEDS, CTRL1000_FULL), "in the PHY too")
    ksft_true(link_back(cfg), "link back, ping passes")


def forced_speed(cfg):
    """1000 full negotiated alone; 10 half and 100 full forced, read back, in the PHY and
    the MAC, kept across a down and up; 1000 half refused; autoneg back on."""
    defer(ethtool, "-s %s autoneg on advertise 0x2f" % cfg.ifname)
    # From negotiation: QEMU's e1000 shows 1000 Mb/s at any forced speed, and ethtool
    # sends nothing when asked for what it shows.
    ethtool("-s %s speed 1000 duplex full autoneg off" % cfg.ifname)
    ksft_true(autoneg(cfg), "1000 full: negotiated")
    ksft_eq(advertised(cfg), ["1000baseT/Full"], "with 1000baseT/Full alone advertised")
    ksft_eq(phy_speeds(cfg), (0, CTRL1000_FULL), "in the PHY")
    ksft_true(link_back(cfg), "link back at 1000 Mb/s, ping passes")

    ethtool("-s %s advertise 0x2c" % cfg.ifname)
    ethtool("-s %s speed 10 duplex half autoneg off" % cfg.ifname)
    ksft_true(forced(cfg, False, False), "10 Mb/s half duplex forced: ethtool, PHY, CTRL")
    ksft_true(answers_ping(cfg, 15), "ping passes")
    ethtool("-s %s speed 100 duplex full autoneg off" % cfg.ifname)
    ksft_true(forced(cfg, True, True), "100 Mb/s full duplex forced: ethtool, PHY, CTRL")
    ksft_true(answers_ping(cfg, 15), "ping passes")
    ip("link set dev %s down" % cfg.ifname)
    ip("link set dev %s up" % cfg.ifname)
    ksft_true(wait_for(lambda: carrier(cfg.ifname), 15) and answers_ping(cfg, 15),
              "link back after down and up, ping passes")
    ksft_true(forced(cfg, True, True), "still forced after down and up")
    ksft_true(refused("-s %s speed 1000 duplex half autoneg off" % cfg.ifname,
                      "Invalid argument"), "1000 half refused with EINVAL")
    ksft_true(forced(cfg, True, True), "the forced speed kept")

    # ethtool asks for every speed the port has with autoneg on.
    ethtool("-s %s autoneg on" % cfg.ifname)
    ksft_true(autoneg(cfg), "autoneg on")
    ksft_eq(advertised(cfg), EVERY_SPEED, "every speed advertised")
    ksft_eq(phy_speeds(cfg), (ADVERTISE_SPEEDS, CTRL1000_FULL), "in the PHY")
    with Bar(cfg.dut_pci) as bar:
        ctrl = bar.read32(CTRL)
    ksft_eq(ctrl & (CTRL_FRCSPD | CTRL_FRCDPX), 0, "CTRL forces nothing")
    ksft_true(link_back(cfg), "link back at 1000 Mb/s, ping passes")


def main():
    run_on_pairs(__file__, [(model, [advertisement, forced_speed])
                            for model in em_models() + ["igb"]])


if __name__ == "__main__":
    main()
