# SPDX-License-Identifier: GPL-2.0
"""The test VM's plumbing for iflib's Python selftests.

The tests are written on the upstream drivers/net library (lib.py: NetDrvEpEnv,
ksft_run, cmd, ip, ethtool, ...), taken from the kernel tree the VM runs. What
is particular to the VM stays here: the NIC pair of one QEMU model is set up by
lib.sh's bind_dut and setup_pair, the helpers the shell tests use (our driver
on the DUT, the in-tree C driver on the peer in netns "remote", the addresses
and environment NetDrvEpEnv reads), and undone by release_dut.
"""

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _selftests_root():
    """The kselftest tree that holds lib.py: ours in a source tree, else the VM kernel's."""
    build = Path(os.environ.get("IFLIB_BUILD", "/nonexistent"))
    for root in (HERE / "../../../..", build / "source/tools/testing/selftests"):
        if (root / "drivers/net/lib/py/env.py").exists():
            return root.resolve()
    raise RuntimeError("no drivers/net/lib/py beside %s or in $IFLIB_BUILD" % HERE)


# As an upstream drivers/net test sees it: "lib.py" is drivers/net/lib/py.
sys.path.append(str(_selftests_root() / "drivers/net"))
try:
    # pylint: disable=wrong-import-position
    from lib.py import EthtoolFamily, KsftSkipEx, NetDrvEpEnv, NetdevFamily, cmd, ethtool, \
        ip, ksft_exit, ksft_pr, ksft_run
except SystemExit as e:
    # lib.py skips a test it cannot import for; here that is a broken harness.
    raise RuntimeError("the upstream drivers/net lib.py did not import") from e

# The QEMU models em drives, each with the C driver that drives its peer (lib.sh's EM_MODELS).
EM_C_DRIVERS = {
    "e1000": "e1000",
    "e1000-82545em": "e1000",
    "e1000-82544gc": "e1000",
    "e1000e": "e1000e",
}
KSFT_SKIP = 4


def _lib_sh(script, check=True, trace=False):
    """Runs SCRIPT in bash with lib.sh sourced; returns the finished process (with its
    trace in stderr if TRACE)."""
    lib = shlex.quote(str(HERE / "lib.sh"))
    return subprocess.run(["bash", "-c", ". %s\n%s%s" % (lib, "set -x\n" if trace else "",
                                                         script)],
                          text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE if trace else None, check=check)


class EmPair:
    """iflib_em on the DUT of QEMU model MODEL's NIC pair, its C driver on the peer.

    A context manager that yields a NetDrvEpEnv on the pair and gives the DUT back
    to the C driver when it ends. Skips the test when the VM has no such pair.
    """

    def __init__(self, src_path, model):
        if model not in EM_C_DRIVERS:
            raise ValueError("em does not drive QEMU model %r" % model)
        self.src_path = src_path
        self.model = model
        self.dut_pci = ""
        self.env = None

    def __enter__(self):
        names = ("NETIF", "LOCAL_V4", "REMOTE_V4", "LOCAL_V6", "REMOTE_V6",
                 "REMOTE_TYPE", "REMOTE_ARGS")
        m, c = shlex.quote(self.model), EM_C_DRIVERS[self.model]
        run = _lib_sh("find_pair %s >/dev/null || exit %d\n"
                      "bind_dut %s %s iflib_em && setup_pair %s || exit 1\n"
                      "echo \"$DUT_PCI\" %s" % (m, KSFT_SKIP, m, c, m,
                                                " ".join('"$%s"' % n for n in names)),
                      check=False, trace=True)
        if run.returncode == KSFT_SKIP:
            raise KsftSkipEx("no %s NIC pair in this VM" % self.model)
        if run.returncode != 0:
            # What the setup did, the last of it, and where the interfaces are.
            for line in run.stderr.splitlines()[-30:]:
                print("# setup: " + line)
            links = _lib_sh("ip -br link; ip -n \"$REMOTE_NS\" -br link", check=False)
            for line in links.stdout.splitlines():
                print("# link: " + line)
            self._release()
            raise RuntimeError("the %s pair did not come up with iflib_em" % self.model)
        values = run.stdout.split()[-(len(names) + 1):]
        self.dut_pci = values[0]
        os.environ.update(zip(names, values[1:]))
        self.env = NetDrvEpEnv(self.src_path)
        # What the queue-set helpers below read with: netdev-genl, ethtool netlink.
        self.env.dut_pci = self.dut_pci
        self.env.netdevnl = NetdevFamily()
        self.env.ethnl = EthtoolFamily()
        self.env.ethnl_header = {"header": {"dev-index": self.env.ifindex}}
        return self.env

    def _release(self):
        _lib_sh("DUT_PCI=%s\ncleanup_remote\nrelease_dut iflib_em" % shlex.quote(self.dut_pci),
                check=False)

    def __exit__(self, *exc):
        if self.env is not None:
            self.env.__exit__(*exc)
        self._release()
        return False


def run_on_pair(src_path, model, cases):
    """Runs the test CASES (each called with the NetDrvEpEnv) on MODEL's pair and exits with
    their KTAP verdict; skips them all when the VM has no such pair."""
    try:
        with EmPair(src_path, model) as cfg:
            ksft_run(cases, args=(cfg,))
    except KsftSkipEx as e:
        print("TAP version 13\n1..0 # SKIP %s" % e, flush=True)
        sys.exit(KSFT_SKIP)
    ksft_exit()


# The harness's debug kernel is several times slower: waits stretch by this.
TIME_FACTOR = int(os.environ.get("IFLIB_TIME_FACTOR") or 1)


def wait_for(condition, seconds, step=0.1):
    """Polls CONDITION until it holds or SECONDS (times TIME_FACTOR) pass; returns whether
    it held."""
    deadline = time.monotonic() + seconds * TIME_FACTOR
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


def ethtool_stat(ifname, name, host=None):
    """Counter NAME of `ethtool -S IFNAME`."""
    for line in ethtool("-S " + ifname, host=host).stdout.splitlines():
        key, _, value = line.strip().partition(": ")
        if key == name:
            return int(value)
    raise KeyError("%s has no statistic %s" % (ifname, name))


def ring_size(ifname, ring="TX", host=None):
    """The current size of ring RING ("RX", "TX") of IFNAME, on HOST if given (`ethtool
    -g`, as text: the ethtool of Debian 12 has no JSON for it)."""
    current = ethtool("-g " + ifname, host=host).stdout.split("Current hardware settings:")[-1]
    for line in current.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == ring:
            return int(value)
    raise KeyError("%s shows no %s ring size" % (ifname, ring))


def link_counter(ifname, name, host=None):
    """Counter NAME (rx_packets, ...) of IFNAME from sysfs, on HOST if given."""
    return int(cmd("cat /sys/class/net/%s/statistics/%s" % (ifname, name), host=host).stdout)


def peer_receives(cfg, more, seconds):
    """The peer's interface receives MORE frames within SECONDS from now."""
    start = link_counter(cfg.remote_ifname, "rx_packets", host=cfg.remote)
    return wait_for(lambda: link_counter(cfg.remote_ifname, "rx_packets",
                                         host=cfg.remote) > start + more, seconds)


def answers_ping(cfg, seconds):
    """The peer answers a ping from the DUT within SECONDS."""
    return wait_for(lambda: cmd("ping -c 1 -W 1 " + cfg.remote_addr_v["4"],
                                fail=False).ret == 0, seconds, step=0)


# Queue sets, as the kernel reports them (an EmPair's env: netdev-genl, ethtool netlink).
def channels(cfg):
    """(max, current) combined channels, read over ethtool netlink."""
    ch = cfg.ethnl.channels_get(cfg.ethnl_header)
    return ch.get("combined-max"), ch.get("combined-count")


def irq_lines(ifname):
    """{name: irq} of the lines /proc/interrupts shows for IFNAME."""
    lines = {}
    with open("/proc/interrupts", encoding="ascii") as f:
        for line in f:
            fields = line.split()
            name = fields[-1] if fields else ""
            if (name == ifname or name.startswith(ifname + "-")) and fields[0].endswith(":"):
                lines[name] = int(fields[0][:-1])
    return lines


def napis(cfg):
    """{napi id: irq} of the DUT's NAPI contexts (netdev-genl)."""
    found = cfg.netdevnl.napi_get({"ifindex": cfg.ifindex}, dump=True)
    return {n["id"]: n.get("irq") for n in found}


def queues(cfg, kind):
    """{queue id: napi id} of the DUT's KIND ("rx", "tx") queues (netdev-genl)."""
    found = cfg.netdevnl.queue_get({"ifindex": cfg.ifindex}, dump=True)
    return {q["id"]: q.get("napi-id") for q in found if q["type"] == kind}


def live_page_pools(cfg):
    """The DUT's page pools not being torn down (netdev-genl)."""
    pools = cfg.netdevnl.page_pool_get({}, dump=True)
    return [p for p in pools if p.get("ifindex") == cfg.ifindex and "detach-time" not in p]


def sets_in_use(cfg, count, most):
    """COUNT queue sets show everywhere: `ethtool -l` (with MOST the maximum), one NAPI
    context each serving RX and TX queue n, one page pool per RX queue, and interrupt
    lines: with MSI-X (MOST above 1) a vector per set, "<if>-TxRx-<n>", that its NAPI
    context reports, and the admin vector "<if>"; else the one line "<if>" for one set."""
    lines = irq_lines(cfg.ifname)
    contexts = napis(cfg)
    rx, tx = queues(cfg, "rx"), queues(cfg, "tx")
    ksft_pr("channels %s, lines %s, NAPI %s, RX queues %s, TX queues %s" %
            (channels(cfg), lines, contexts, rx, tx))
    ok = channels(cfg) == (most, count) and len(contexts) == count
    ok = ok and sorted(rx) == list(range(count)) and sorted(tx) == list(range(count))
    for n in range(count):
        name = "%s-TxRx-%d" % (cfg.ifname, n) if most > 1 else cfg.ifname
        irq = lines.get(name)
        napi = rx.get(n)
        ok = ok and irq is not None and napi in contexts and contexts[napi] == irq
        ok = ok and tx.get(n) == napi
    # The admin vector (or the only one), and no vector beyond the sets in use.
    expected = count + 1 if most > 1 else 1
    ok = ok and cfg.ifname in lines and len(lines) == expected
    return ok and wait_for(lambda: len(live_page_pools(cfg)) == count, 5)


class Pktgen:
    """pktgen on the peer: UDP frames to port 9 of DST (by default an address no one has)
    through the DUT's MAC until stopped (a context manager)."""

    def __init__(self, cfg, dst_mac, size=60, rate=0, dst="198.51.100.2", src="198.51.100.1"):
        self.cfg = cfg
        self.proc = None
        cmds = ["count 0", "pkt_size %d" % size, "clone_skb 0", "dst_mac " + dst_mac,
                "dst " + dst, "src_min " + src, "src_max " + src]
        if rate:
            cmds.append("ratep %d" % rate)
        cmd("modprobe pktgen")
        self._pg("kpktgend_1", "rem_device_all")
        self._pg("kpktgend_1", "add_device " + cfg.remote_ifname)
        for c in cmds:
            self._pg(cfg.remote_ifname, c)

    def _pg(self, name, line):
        cmd("sh -c %s" % shlex.quote("echo '%s' >/proc/net/pktgen/%s" % (line, name)),
            host=self.cfg.remote)

    def __enter__(self):
        # "start" returns when the count is reached or on "stop".
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.cfg.env["REMOTE_ARGS"], "sh", "-c",
             "echo start >/proc/net/pktgen/pgctrl"])
        return self

    def __exit__(self, *exc):
        self._pg("pgctrl", "stop")
        self.proc.wait(timeout=30)
        self._pg("kpktgend_1", "rem_device_all")
        return False


class Netconsole:
    """A netconsole target from the DUT's interface to UDP port PORT of the peer, and a
    listener there collecting what arrives (a context manager)."""

    CONFIGFS = "/sys/kernel/config"

    def __init__(self, cfg, port=6666):
        self.cfg = cfg
        self.port = port
        self.target = Path(self.CONFIGFS, "netconsole", "iflib_%d" % os.getpid())
        self.received = Path("/tmp/iflib_netconsole_%d" % os.getpid())
        self.listener = None

    DEVKMSG = Path("/proc/sys/kernel/printk_devkmsg")

    def __enter__(self):
        cmd("modprobe netconsole")
        if not Path(self.CONFIGFS, "netconsole").exists():
            cmd("mount -t configfs configfs " + self.CONFIGFS)
        # Every line written to /dev/kmsg, not 10 per 5 s.
        self.devkmsg = self.DEVKMSG.read_text().strip()
        self.DEVKMSG.write_text("on\n")
        self.received.write_text("")
        self.listener = subprocess.Popen(
            ["ip", "netns", "exec", self.cfg.env["REMOTE_ARGS"], "socat", "-u",
             "UDP-RECV:%d" % self.port, "OPEN:%s,append" % self.received])
        listening = "ss -Hlun sport = :%d" % self.port
        if not wait_for(lambda: cmd(listening, host=self.cfg.remote).stdout.strip(), 10):
            raise RuntimeError("the netconsole listener did not bind")
        peer = ip("link show dev " + self.cfg.remote_ifname, json=True, host=self.cfg.remote)
        self.target.mkdir()
        for key, value in (("dev_name", self.cfg.ifname),
                           ("local_ip", self.cfg.addr_v["4"]),
                           ("remote_ip", self.cfg.remote_addr_v["4"]),
                           ("remote_mac", peer[0]["address"]),
                           ("remote_port", str(self.port)),
                           ("enabled", "1")):
            (self.target / key).write_text(value)
        return self

    @staticmethod
    def log(*messages):
        """Prints MESSAGES at error level, so every console shows them."""
        with open("/dev/kmsg", "w", encoding="utf-8") as kmsg:
            for message in messages:
                kmsg.write("<3>%s\n" % message)
                kmsg.flush()

    def arrived(self, message):
        """Whether MESSAGE reached the peer."""
        return message in self.received.read_text(errors="replace")

    def __exit__(self, *exc):
        if self.target.exists():
            (self.target / "enabled").write_text("0")
            self.target.rmdir()
        self.listener.terminate()
        self.listener.wait(timeout=10)
        self.received.unlink()
        self.DEVKMSG.write_text(self.devkmsg + "\n")
        return False


__all__ = ["EmPair", "Netconsole", "Pktgen", "TIME_FACTOR", "answers_ping", "channels",
           "ethtool_stat", "irq_lines", "link_counter", "napis", "peer_receives", "queues", "ring_size",
           "sets_in_use",
           "run_on_pair", "wait_for",
           "cmd", "ethtool", "ip"]
