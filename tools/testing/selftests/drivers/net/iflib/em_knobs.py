#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""iflib's knobs (ethtool private flags) on em, against the C drivers' peers.

The 82574 (QEMU e1000e) offers MSI-X: iflib lists `disable-msix`, off, and
gives each of the two queue sets an MSI-X vector ("<if>-TxRx-<n>") besides the
admin one ("<if>"); netdev-genl reports each as its NAPI context's line. Set
under a ping flood, the flag takes effect at once: the device restarts on one
MSI vector with one queue set, the flood survives without a TX timeout, and a
TCP stream passes with that vector's interrupt count growing. Cleared while the
interface is down, nothing is requested until `up` brings MSI-X and both queue
sets back. Unloading on the MSI vector under a flood frees the vectors. With
MSI and MSI-X disallowed for the device, one queue set runs on the INTx line,
which netdev-genl reports as its NAPI context's, freed at unload. A flag bit
without a name, sent through the ioctl (which, unlike netlink, passes any
bits), is refused with EINVAL. The 8254x (QEMU e1000) have no MSI-X: no
private flags, and setting one is refused.
"""

import ctypes
import errno
import fcntl
import glob
import os
import socket
import struct

from iflib_env import NicPair, answers_ping, channels, ethtool_stat, irq_handlers, irq_lines, \
    napis, sets_in_use, wait_for
from lib.py import CmdExitFailure, Iperf3Runner, cmd, ethtool, ip, ksft_eq, ksft_exit, \
    ksft_pr, ksft_run, ksft_true

SIOCETHTOOL, ETHTOOL_SPFLAGS = 0x8946, 0x28


class Pairs:
    """One NIC pair open at a time, the one a case asks for (the peers share a netns);
    MSIX_MODEL names the model the MSI-X cases run on."""

    def __init__(self, msix_model="e1000e"):
        self.msix_model = msix_model
        self.model, self.pair, self.cfg = None, None, None
        # Queue sets the MSI-X model uses by default (one per CPU, at most its most).
        self.sets = None

    def get(self, model):
        if self.model != model:
            self.close()
            self.pair = NicPair(__file__, model)
            self.model = model
            self.cfg = self.pair.__enter__()
        return self.cfg

    def close(self):
        if self.pair is not None:
            pair, self.pair, self.model = self.pair, None, None
            pair.__exit__(None, None, None)


def flag_is(cfg, value):
    """`ethtool --show-priv-flags` shows disable-msix as VALUE ("on", "off")."""
    out = ethtool("--show-priv-flags " + cfg.ifname).stdout
    return any(line.split(":") == ["disable-msix", value] for line in
               (line.replace(" ", "").replace("\t", "") for line in out.splitlines()))


def vectors(cfg):
    """The interrupt modes of the DUT's allocated vectors, e.g. ["msix", "msix", "msix"]."""
    modes = []
    for path in glob.glob("/sys/bus/pci/devices/%s/msi_irqs/*" % cfg.dut_pci):
        with open(path, encoding="ascii") as f:
            modes.append(f.read().strip())
    return sorted(modes)


def set_flags_ioctl(ifname, value):
    """ETHTOOL_SPFLAGS with VALUE over SIOCETHTOOL; returns the error name, or "ok"."""
    data = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_SPFLAGS, value))
    ifreq = struct.pack("16sP16x", ifname.encode(), ctypes.addressof(data))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            fcntl.ioctl(s, SIOCETHTOOL, ifreq)
            return "ok"
        except OSError as e:
            return errno.errorcode.get(e.errno, str(e.errno))


def interrupt_line(name):
    """The /proc/interrupts fields of the line that NAME requested (alone or among the
    handlers of a shared line), or None."""
    with open("/proc/interrupts", encoding="ascii") as f:
        for line in f:
            fields = line.split()
            if fields and fields[0].endswith(":") and name in irq_handlers(fields):
                return fields
    return None


def interrupts(name):
    """The interrupt count of line NAME, summed over CPUs; None if it is not requested."""
    fields = interrupt_line(name)
    return None if fields is None else sum(int(x) for x in fields[1:] if x.isdigit())


def stream_raises(cfg, names):
    """A TCP stream from the peer passes and the lines NAMES count more interrupts."""
    before = sum(interrupts(n) or 0 for n in names)
    iperf = Iperf3Runner(cfg, server_ip=cfg.addr_v["4"])
    server = iperf.start_server()
    try:
        iperf.start_client(duration=2)
    finally:
        server.process(terminate=True, fail=False)
    after = sum(interrupts(n) or 0 for n in names)
    ksft_pr("%s interrupts: %d -> %d" % (names, before, after))
    return after > before


def uses_msix(pairs):
    """MSI-X: a vector allocated for each queue set the device may use (ethtool -l's
    maximum) and the admin's, the default queue sets in use."""
    cfg = pairs.cfg
    most = channels(cfg)[0]
    ksft_pr("vectors: %s" % vectors(cfg))
    return vectors(cfg) == ["msix"] * (most + 1) and sets_in_use(cfg, pairs.sets, most)


def uses_msi(cfg):
    """One MSI vector for one queue set and everything else."""
    ksft_pr("vectors: %s" % vectors(cfg))
    return vectors(cfg) == ["msi"] and sets_in_use(cfg, 1, 1)


def no_msix_no_flags(pairs, model):
    """8254x: no private flags; setting one, named or not, is refused."""
    cfg = pairs.get(model)
    out = ethtool("--show-priv-flags " + cfg.ifname).stdout
    ksft_eq([l for l in out.splitlines() if l.strip() and not l.startswith("Private flags")],
            [], "no private flags listed")
    try:
        ethtool("--set-priv-flags %s disable-msix on" % cfg.ifname)
        refused = False
    except CmdExitFailure:
        refused = True
    ksft_true(refused, "disable-msix refused")
    ksft_eq(set_flags_ioctl(cfg.ifname, 1), "EINVAL", "an unnamed flag refused")


def msix_by_default(pairs):
    """disable-msix listed and off; MSI-X, a vector per queue set (one per CPU)."""
    cfg = pairs.get(pairs.msix_model)
    most = channels(cfg)[0]
    pairs.sets = min(most, os.cpu_count())
    ksft_true("supports-priv-flags: yes" in ethtool("-i " + cfg.ifname).stdout,
              "ethtool -i: private flags")
    ksft_true(flag_is(cfg, "off"), "disable-msix off")
    ksft_true(wait_for(lambda: uses_msix(pairs), 5),
              "MSI-X: %d queue sets and the admin vector" % pairs.sets)


def unnamed_flag_refused(pairs):
    """A flag bit without a name is refused over the ioctl; flags unchanged."""
    cfg = pairs.get(pairs.msix_model)
    ksft_eq(set_flags_ioctl(cfg.ifname, 3), "EINVAL", "flags 3 refused")
    ksft_true(flag_is(cfg, "off") and uses_msix(pairs), "flags and vectors unchanged")


def msi_under_flood(pairs):
    """disable-msix on under a ping flood: one MSI vector, the flood survives."""
    cfg = pairs.get(pairs.msix_model)
    timeouts = ethtool_stat(cfg.ifname, "tx_timeouts")
    flood = cmd("ping -f -q -w 3600 " + cfg.remote_addr_v["4"], background=True, fail=False)
    try:
        ksft_true(answers_ping(cfg, 10), "ping passes under the flood")
        ethtool("--set-priv-flags %s disable-msix on" % cfg.ifname)
        ksft_true(flag_is(cfg, "on"), "read back: on")
        ksft_true(wait_for(lambda: uses_msi(cfg), 10), "one MSI vector, one queue set")
    finally:
        flood.process(terminate=True, fail=False)
    ksft_eq(ethtool_stat(cfg.ifname, "tx_timeouts"), timeouts, "no TX timeout")
    ksft_true(answers_ping(cfg, 10), "ping passes after the switch")
    ksft_true(stream_raises(cfg, [cfg.ifname]), "TCP stream on the MSI vector")


def msix_back_after_up(pairs):
    """disable-msix off while down: nothing requested; MSI-X again after up."""
    cfg = pairs.get(pairs.msix_model)
    ip("link set dev %s down" % cfg.ifname)
    ethtool("--set-priv-flags %s disable-msix off" % cfg.ifname)
    ksft_true(flag_is(cfg, "off"), "read back: off")
    ksft_eq(irq_lines(cfg.ifname), {}, "no line requested while down")
    ip("link set dev %s up" % cfg.ifname)
    # Down dropped the IPv6 address (keep_addr_on_down is off): the next cases use it.
    ip("addr replace %s/64 dev %s nodad" % (cfg.addr_v["6"], cfg.ifname))
    ksft_true(answers_ping(cfg, 20), "ping passes after up")
    ksft_true(uses_msix(pairs), "MSI-X: %d queue sets and the admin vector" % pairs.sets)
    queue_lines = ["%s-TxRx-%d" % (cfg.ifname, n) for n in range(pairs.sets)]
    ksft_true(stream_raises(cfg, queue_lines), "TCP stream on the queue sets' vectors")


def unload_on_msi(pairs):
    """Unloaded on the MSI vector under a ping flood: vectors freed."""
    cfg = pairs.get(pairs.msix_model)
    ethtool("--set-priv-flags %s disable-msix on" % cfg.ifname)
    ksft_true(wait_for(lambda: uses_msi(cfg), 10), "one MSI vector")
    flood = cmd("ping -f -q -w 3600 " + cfg.remote_addr_v["4"], background=True, fail=False)
    try:
        ksft_true(answers_ping(cfg, 10), "ping passes under the flood")
        cmd("rmmod " + cfg.driver)
        ksft_eq(vectors(cfg), [], "vectors freed")
    finally:
        flood.process(terminate=True, fail=False)
        pairs.close()


def intx_without_msi(pairs):
    """MSI and MSI-X disallowed for the DUT (sysfs msi_bus 0) before our driver probes:
    one queue set on the INTx line, which netdev-genl reports as its NAPI context's and a
    TCP stream raises; the line freed at unload."""
    pci = pairs.get(pairs.msix_model).dut_pci
    pairs.close()
    msi_bus = "/sys/bus/pci/devices/%s/msi_bus" % pci
    with open(msi_bus, encoding="ascii") as f:
        allowed = f.read().strip()
    with open(msi_bus, "w", encoding="ascii") as f:
        f.write("0")
    try:
        cfg = pairs.get(pairs.msix_model)
        line = interrupt_line(cfg.ifname)
        ksft_pr("line: %s" % line)
        ksft_true(vectors(cfg) == [] and line is not None and
                  not any("MSI" in field for field in line), "the INTx line, no MSI vector")
        ksft_eq(channels(cfg), (1, 1), "one queue set")
        ksft_eq(list(napis(cfg).values()), [int(line[0].rstrip(":"))] if line else None,
                "netdev-genl reports the INTx line as the NAPI context's")
        ksft_true(answers_ping(cfg, 20), "ping passes")
        ksft_true(stream_raises(cfg, [cfg.ifname]), "TCP stream on the INTx line")
        ifname = cfg.ifname
        cmd("rmmod " + cfg.driver)
        ksft_eq(interrupt_line(ifname), None, "line freed at unload")
    finally:
        with open(msi_bus, "w", encoding="ascii") as f:
            f.write(allowed)
        pairs.close()


def main():
    pairs = Pairs()
    cases = []
    models = (os.environ.get("MODEL") or "e1000,e1000e").split(",")
    others = [m for m in models if m != "e1000e"]
    if others:
        def no_flags_without_msix(pairs):
            """8254x: no private flags; setting one, named or not, is refused."""
            no_msix_no_flags(pairs, others[0])
        cases.append(no_flags_without_msix)
    if "e1000e" in models:
        cases += [msix_by_default, unnamed_flag_refused, msi_under_flood, msix_back_after_up,
                  unload_on_msi, intx_without_msi]
    try:
        ksft_run(cases, args=(pairs,))
    finally:
        pairs.close()
    ksft_exit()


if __name__ == "__main__":
    main()
