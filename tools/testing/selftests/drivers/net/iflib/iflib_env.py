# SPDX-License-Identifier: GPL-2.0
"""The test VM's plumbing for iflib's Python selftests.

The tests are written on the upstream drivers/net library (lib.py: NetDrvEpEnv,
ksft_run, cmd, ip, ethtool, ...), taken from the kernel tree the VM runs. What
is particular to the VM stays here: the NIC pair of one QEMU model is set up by
lib.sh's bind_dut and setup_pair, the helpers the shell tests use (our driver
on the DUT, the in-tree C driver on the peer in netns "remote", the addresses
and environment NetDrvEpEnv reads), and undone by release_dut.
"""

import ctypes
import inspect
import mmap
import os
import re
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
    from lib.py import EthtoolFamily, KsftSkipEx, NetDrvEpEnv, NetdevFamily, NlError, cmd, \
        ethtool, ip, ksft_exit, ksft_pr, ksft_run, rand_port, wait_port_listen
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
# Every model an iflib driver drives: (our driver, the C driver of its peer).
DRIVERS = dict({m: ("iflib_em", c) for m, c in EM_C_DRIVERS.items()},
               igb=("iflib_igb", "igb"))
KSFT_SKIP = 4
# Packet socket options Python's socket module lacks (linux/if_packet.h, linux/socket.h).
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_FANOUT = 18
PACKET_FANOUT_QM = 5


def _lib_sh(script, check=True, trace=False):
    """Runs SCRIPT in bash with lib.sh sourced; returns the finished process (with its
    trace in stderr if TRACE)."""
    lib = shlex.quote(str(HERE / "lib.sh"))
    return subprocess.run(["bash", "-c", ". %s\n%s%s" % (lib, "set -x\n" if trace else "",
                                                         script)],
                          text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE if trace else None, check=check)


class NicPair:
    """Our driver on the DUT of QEMU model MODEL's NIC pair (iflib_em, iflib_igb: see
    DRIVERS), or with C_ON_DUT the in-tree C driver, the C driver on the peer.

    A context manager that yields a NetDrvEpEnv on the pair and gives the DUT back
    to the C driver when it ends. Skips the test when the VM has no such pair.
    """

    def __init__(self, src_path, model, c_on_dut=False):
        if model not in DRIVERS:
            raise ValueError("no iflib driver drives QEMU model %r" % model)
        self.src_path = src_path
        self.model = model
        self.ours, self.c_driver = DRIVERS[model]
        self.c_on_dut = c_on_dut
        self.dut_pci = ""
        self.env = None
        self.peer = None  # (interface, RX ring size) of the peer

    def __enter__(self):
        names = ("NETIF", "LOCAL_V4", "REMOTE_V4", "LOCAL_V6", "REMOTE_V6",
                 "REMOTE_TYPE", "REMOTE_ARGS", "LOCAL_PREFIX_V6")
        m, c = shlex.quote(self.model), self.c_driver
        if self.c_on_dut:
            bind = "modprobe %s && setup_pair %s || exit 1\n" \
                "DUT_PCI=$(basename \"$(readlink -f /sys/class/net/$DUT/device)\")\n" % (c, m)
        else:
            bind = "bind_dut %s %s %s && setup_pair %s || exit 1\n" % (m, c, self.ours, m)
        run = _lib_sh("find_pair %s >/dev/null || exit %d\n%s"
                      "echo \"$DUT_PCI\" %s" % (m, KSFT_SKIP, bind,
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
            raise RuntimeError("the %s pair did not come up with %s" %
                               (self.model, self.c_driver if self.c_on_dut else self.ours))
        values = run.stdout.split()[-(len(names) + 1):]
        self.dut_pci = values[0]
        os.environ.update(zip(names, values[1:]))
        try:
            return self._environment()
        except BaseException:
            # `with` calls __exit__ only after __enter__ returned: give the pair back here.
            self.__exit__(None, None, None)
            raise

    def _environment(self):
        """The NetDrvEpEnv of the pair just set up, with what the helpers below read."""
        self.env = NetDrvEpEnv(self.src_path)
        # The QEMU model, for a test that allows for its quirks.
        self.env.model = self.model
        # The driver of the DUT (iflib_em, iflib_igb; the C one with C_ON_DUT).
        self.env.driver = self.c_driver if self.c_on_dut else self.ours
        # What the queue-set helpers below read with: netdev-genl, ethtool netlink.
        self.env.dut_pci = self.dut_pci
        self.env.netdevnl = NetdevFamily()
        self.env.ethnl = EthtoolFamily()
        self.env.ethnl_header = {"header": {"dev-index": self.env.ifindex}}
        # The peer's RX ring as found: the release puts it back.
        self.peer = (self.env.remote_ifname,
                     ring_size(self.env.remote_ifname, "RX", host=self.env.remote))
        return self.env

    def _release(self):
        peer = "PEER=%s PEER_RX_RING=%d\n" % self.peer if self.peer else ""
        # The C driver keeps the DUT's interface (found by its MAC address): without its
        # addresses, which the next pair's DUT takes.
        flush = ("find_pair %s >/dev/null && dut=$(ifname_by_mac \"$DUT_MAC\") &&"
                 " ip addr flush dev \"$dut\"\n" % shlex.quote(self.model)) \
            if self.c_on_dut else ""
        _lib_sh("DUT_PCI=%s\n%s%scleanup_remote\nrelease_dut %s" %
                (shlex.quote(self.dut_pci), peer, flush, self.ours), check=False)

    def __exit__(self, *exc):
        if self.env is not None:
            self.env.__exit__(*exc)
        self._release()
        return False


def run_on_pair(src_path, model, cases):
    """Runs the test CASES (each called with the NetDrvEpEnv) on MODEL's pair and exits with
    their KTAP verdict; skips them all when the VM has no such pair."""
    try:
        with NicPair(src_path, model) as cfg:
            ksft_run([_case(c.__name__, c, cfg) for c in cases])
    except KsftSkipEx as e:
        print("TAP version 13\n1..0 # SKIP %s" % e, flush=True)
        sys.exit(KSFT_SKIP)
    ksft_exit()


def _models_present():
    """The QEMU models with a NIC pair in this VM (the harness's topology file)."""
    try:
        with open(os.environ.get("IFLIB_TOPOLOGY", "/nonexistent"), encoding="ascii") as f:
            return {line.split()[0] for line in f if line.strip()}
    except OSError:
        return set()


def em_models():
    """The em models to run on: those MODEL names (comma-separated; all of them when unset)
    that have a NIC pair in this VM, in EM_C_DRIVERS' order (lib.sh's em_models)."""
    wanted = [m for m in os.environ.get("MODEL", "").split(",") if m] or list(EM_C_DRIVERS)
    present = _models_present()
    return [m for m in EM_C_DRIVERS if m in wanted and m in present]


def _case(name, func, *args):
    """A ksft_run case named NAME (ksft_run names a case by its __name__) calling FUNC(*ARGS),
    which prints its wall time (make test's budget: where a test's time goes)."""
    def case():
        start = time.monotonic()
        try:
            func(*args)
        finally:
            ksft_pr("%s took %.0f s" % (name, time.monotonic() - start))
    case.__name__ = name
    return case


def _pair_up(pair, bound):
    bound.append(pair)
    pair.__enter__()


def _on_pair(pair, func):
    if pair.env is None:
        raise KsftSkipEx("the %s pair is not up" % pair.model)
    func(pair.env)


def _pair_down(pair, bound):
    bound.remove(pair)
    pair.__exit__(None, None, None)


def run_on_models(src_path, cases):
    """Runs the test CASES on the pair of each model of em_models() (run_on_pairs)."""
    run_on_pairs(src_path, [(model, cases) for model in em_models()])


def run_on_pairs(src_path, plan):
    """Runs, for each (model, cases) of PLAN whose model has a NIC pair in this VM, those
    test cases (each called with the NetDrvEpEnv) on its pair, all in one ksft_run, and
    exits with their KTAP verdict. Per model, in order: "<model>.pair_up" binds the pair
    (NicPair), "<model>.<case>" runs each case, and "<model>.pair_down" gives it back.
    When a pair does not come up, pair_up fails and that model's cases skip; the next
    model goes on. Skips the test when no model has a pair."""
    present = _models_present()
    plan = [(model, cases) for model, cases in plan if model in present]
    if not plan:
        print("TAP version 13\n1..0 # SKIP no NIC pair to run on in this VM", flush=True)
        sys.exit(KSFT_SKIP)
    flat, bound = [], []
    for model, cases in plan:
        pair = NicPair(src_path, model)
        flat.append(_case(model + ".pair_up", _pair_up, pair, bound))
        flat += [_case("%s.%s" % (model, c.__name__), _on_pair, pair, c) for c in cases]
        flat.append(_case(model + ".pair_down", _pair_down, pair, bound))
    try:
        ksft_run(flat)
    finally:
        # A run stopped early (SIGTERM at the kselftest timeout) still gives the DUT back.
        for pair in bound:
            pair.__exit__(None, None, None)
    ksft_exit()


# The harness's debug kernel is several times slower: waits stretch by this.
TIME_FACTOR = int(os.environ.get("IFLIB_TIME_FACTOR") or 1)


def _stretch_command_timeouts(factor):
    """lib.py gives a command 20 s unless told otherwise (cmd's and process's `timeout`); on
    the debug kernel, beside another VM, a plain `ip addr show` has taken longer. A hung
    command still fails, FACTOR times later."""
    empty, keyword_only = inspect.Parameter.empty, inspect.Parameter.KEYWORD_ONLY
    for func in (cmd.__init__, cmd.process):
        params = inspect.signature(func).parameters
        timeout = params.get("timeout")
        if timeout is None or timeout.default is empty:
            continue
        if timeout.kind is keyword_only:
            func.__kwdefaults__ = dict(func.__kwdefaults__, timeout=timeout.default * factor)
            continue
        # __defaults__ holds the defaults of the positional parameters that have one.
        names = [p.name for p in params.values() if p.default is not empty and
                 p.kind is not keyword_only]
        defaults = list(func.__defaults__)
        defaults[names.index("timeout")] = timeout.default * factor
        func.__defaults__ = tuple(defaults)


if TIME_FACTOR > 1:
    _stretch_command_timeouts(TIME_FACTOR)
# `make test` sizes transfers and loops to prove correctness, `make test-full`
# (IFLIB_FULL=1) to endure.
FULL = os.environ.get("IFLIB_FULL") == "1"


def by_scope(quick, full):
    """QUICK under `make test`, FULL under `make test-full`."""
    return full if FULL else quick


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


def snmp_counter(group, name, host=None):
    """Counter NAME of GROUP in /proc/net/snmp (e.g. "Udp", "NoPorts"), on HOST if given."""
    rows = [line.split() for line in cmd("cat /proc/net/snmp", host=host).stdout.splitlines()
            if line.startswith(group + ":")]
    return int(rows[1][rows[0].index(name)])


def settle(read, done=None, still=3, seconds=30):
    """What READ() returns (a counter, a tuple of them) once DONE(it) holds or it has not
    changed for STILL seconds (the C drivers refresh their hardware counters every 2 s), or
    after SECONDS (times TIME_FACTOR) at the latest."""
    last = {"value": read(), "since": time.monotonic()}

    def settled():
        value = read()
        if value != last["value"]:
            last.update(value=value, since=time.monotonic())
        return (done is not None and done(value)) or time.monotonic() - last["since"] >= still

    wait_for(settled, seconds, step=0.2)
    return last["value"]


def carrier(ifname, host=None):
    """Whether IFNAME, on HOST if given, has carrier."""
    path = "/sys/class/net/%s/carrier" % ifname
    return cmd("cat " + path, host=host, fail=False).stdout.strip() == "1"


def host_link(mac, state):
    """Asks the host running the test VM to take the link of the NIC with MAC "up" or
    "down", as a cable would (lib.sh's host_link: tools/testing/iflib/vm/qemu.py reads the
    request from the job's output). The request is on its way when this returns: wait for
    its effect."""
    print("# iflib-host: set_link %s %s" % (mac, state), flush=True)


class Bar:
    """BAR 0 of the PCI device at address PCI, mapped from sysfs (as a context manager):
    read32(OFFSET) reads a register, as the driver would (reads that clear a register
    clear it here too); write32(OFFSET, VALUE) writes one behind the driver's back."""

    def __init__(self, pci):
        self.path = "/sys/bus/pci/devices/%s/resource0" % pci
        self.fd = None
        self.map = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_SYNC)
        self.map = mmap.mmap(self.fd, os.fstat(self.fd).st_size, mmap.MAP_SHARED,
                             mmap.PROT_READ | mmap.PROT_WRITE)
        return self

    def read32(self, offset):
        return ctypes.c_uint32.from_buffer(self.map, offset).value

    def write32(self, offset, value):
        ctypes.c_uint32.from_buffer(self.map, offset).value = value

    def __exit__(self, *exc):
        self.map.close()
        os.close(self.fd)
        return False


def register(cfg, offset):
    """The DUT's register at OFFSET of BAR 0."""
    with Bar(cfg.dut_pci) as bar:
        return bar.read32(offset)


def ifname_by_mac(mac):
    """The name of the interface with MAC address MAC in this namespace, or None."""
    for dev in Path("/sys/class/net").iterdir():
        try:
            if (dev / "address").read_text(encoding="ascii").strip() == mac:
                return dev.name
        except OSError:
            pass  # gone meanwhile
    return None


def _ping_rtt(cfg):
    """Seconds the peer took to answer a ping from the DUT (infinity: not within 1 s)."""
    out = cmd("ping -c 1 -W 1 " + cfg.remote_addr_v["4"], fail=False).stdout
    rtt = re.search(r"time=([\d.]+) ms", out)
    return float(rtt.group(1)) / 1000 if rtt else float("inf")


def deep_rx_rings(cfg):
    """Gives both ends their largest RX ring (4096 on every em model and in the C drivers),
    so that a paced sender's frames survive a receiver TCG leaves unscheduled for tens of
    milliseconds (a 256-entry ring at 10,000 frames per second lasts 25 ms); they keep it
    for the pair's other cases (the DUT's ring goes with iflib_em's unbind, NicPair gives
    the peer its own back). Returns whether both links came back and then a ping crossed
    at once: the e1000 model holds reception back for a second after the ring change (an
    RCTL write), queueing what arrives, so a ping answered within 100 ms (times
    TIME_FACTOR) has seen both ends receive again."""
    for ifname, host in ((cfg.ifname, None), (cfg.remote_ifname, cfg.remote)):
        if ring_size(ifname, "RX", host=host) != 4096:
            ethtool("-G %s rx 4096" % ifname, host=host)
    return (wait_for(lambda: carrier(cfg.ifname) and carrier(cfg.remote_ifname, cfg.remote), 10)
            and wait_for(lambda: _ping_rtt(cfg) < 0.1 * TIME_FACTOR, 10, step=0))


# One end of tcp_transfer, run with `python3 -c` in its namespace; its arguments: "recv" or
# "send", the receiver's address, port, MiB to send, seconds any socket operation may take.
# Prints the bytes it received or sent and their SHA-1.
_TCP_END = """
import hashlib, os, socket, sys
role, addr, port, mib, timeout = sys.argv[1:]
port, mib, timeout = int(port), int(mib), float(timeout)
digest, size = hashlib.sha1(), 0
if role == "recv":
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.create_server((addr, port), family=family) as server:
        server.settimeout(timeout)
        conn = server.accept()[0]
    conn.settimeout(timeout)
    while True:
        data = conn.recv(1 << 20)
        if not data:
            break
        digest.update(data)
        size += len(data)
else:
    conn = socket.create_connection((addr, port), timeout)
    for _ in range(mib):
        data = os.urandom(1 << 20)
        digest.update(data)
        conn.sendall(data)
        size += len(data)
    # Done when the receiver, having read everything, closes.
    conn.shutdown(socket.SHUT_WR)
    conn.recv(1)
conn.close()
print(size, digest.hexdigest())
"""


def tcp_stream(mib, addr, sender=None, receiver=None):
    """Streams MIB MiB of random data over TCP from SENDER to ADDR on RECEIVER (hosts as
    lib.py's cmd takes them; None: here); returns what the sender sent and what the
    receiver got, each "BYTES SHA1" (None for an end that failed). Each end gives up after
    a minute plus 0.5 s per MiB, or when a socket operation waits 30 s, times
    TIME_FACTOR."""
    limit = (60 + mib // 2) * TIME_FACTOR
    port = rand_port()

    def start(role, host):
        return cmd("timeout %d python3 -c %s %s %s %d %d %d" %
                   (limit, shlex.quote(_TCP_END), role, addr, port, mib, 30 * TIME_FACTOR),
                   shell=True, host=host, background=True)

    def result(end, role, terminate=False):
        end.process(terminate=terminate, fail=False, timeout=limit + 30)
        if end.ret != 0:
            ksft_pr("TCP %s: exit status %d %s" % (role, end.ret, end.stderr.strip()))
            return None
        return end.stdout.strip()

    recv = start("recv", receiver)
    try:
        wait_port_listen(port, host=receiver, sleep=0.05, deadline=10 * TIME_FACTOR)
        sent = result(start("send", sender), "send")
    except BaseException:
        result(recv, "recv", terminate=True)
        raise
    # A sender that failed may never have connected: stop the receiver waiting.
    return sent, result(recv, "recv", terminate=sent is None)


def tcp_transfer(cfg, mib, to_dut):
    """tcp_stream over TCP/IPv4 from the DUT to the peer, or from the peer to the DUT if
    TO_DUT. When an end fails, shows where the frames stopped."""
    if to_dut:
        ends = tcp_stream(mib, cfg.addr_v["4"], sender=cfg.remote)
    else:
        ends = tcp_stream(mib, cfg.remote_addr_v["4"], receiver=cfg.remote)
    if None in ends:
        link_report(cfg)
    return ends


def link_report(cfg):
    """Prints both ends' link counters, the DUT's non-zero ethtool -S counters and its
    interrupt lines: what a stalled transfer leaves to read."""
    for host, ifname in ((None, cfg.ifname), (cfg.remote, cfg.remote_ifname)):
        out = cmd("ip -s -s link show dev %s" % ifname, host=host, fail=False).stdout
        for line in out.splitlines():
            ksft_pr("%s: %s" % ("DUT" if host is None else "peer", line.strip()))
    stats = cmd("ethtool -S %s" % cfg.ifname, fail=False).stdout.splitlines()[1:]
    ksft_pr("DUT ethtool -S: " + ", ".join(
        line.strip() for line in stats if not line.strip().endswith(": 0")))
    irqs = {"%d:" % irq for irq in irq_lines(cfg.ifname).values()}
    with open("/proc/interrupts", encoding="ascii") as f:
        for line in f:
            if line.split()[:1] and line.split()[0] in irqs:
                ksft_pr("DUT irq: " + " ".join(line.split()))


def kmsg_mark(tag):
    """Writes a line of its own, naming TAG, into the kernel log; returns it."""
    mark = "iflib-selftest-mark-%s-%d-%d" % (tag, os.getpid(), time.monotonic_ns())
    with open("/dev/kmsg", "w", encoding="utf-8") as kmsg:
        kmsg.write(mark + "\n")
    return mark


def kernel_log_since(mark):
    """The kernel log from MARK on ("" when MARK is no longer in it)."""
    log = cmd("dmesg").stdout
    at = log.rfind(mark)
    return log[at:] if at >= 0 else ""


# Queue sets, as the kernel reports them (a NicPair's env: netdev-genl, ethtool netlink).
def ethnl_set(cfg, op, **attrs):
    """Ethtool netlink request OP ("rings", "channels", ...: OP_set) with ATTRS on the DUT:
    None, or the NlError it was refused with."""
    try:
        getattr(cfg.ethnl, op + "_set")(dict(cfg.ethnl_header, **attrs))
        refused = None
    except NlError as e:
        refused = e
    ksft_pr("%s %s: %s" % (op, attrs, refused))
    return refused


def channels(cfg):
    """(max, current) combined channels, read over ethtool netlink."""
    ch = cfg.ethnl.channels_get(cfg.ethnl_header)
    return ch.get("combined-max"), ch.get("combined-count")


def irq_handlers(fields):
    """The handler names that end a /proc/interrupts line split in FIELDS, several on a
    shared line: "... IO-APIC 20-fasteoi eth0, eth1"."""
    names = [fields[-1]] if len(fields) > 1 else []
    for field in reversed(fields[1:-1]):
        if not field.endswith(","):
            break
        names.append(field[:-1])
    return names


def irq_lines(ifname):
    """{name: irq} of the lines /proc/interrupts shows for IFNAME."""
    lines = {}
    with open("/proc/interrupts", encoding="ascii") as f:
        for line in f:
            fields = line.split()
            if not fields or not fields[0].endswith(":"):
                continue
            for name in irq_handlers(fields):
                if name == ifname or name.startswith(ifname + "-"):
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
    """pktgen on the peer, or on the DUT if ON_DUT: COUNT (0: until stopped) UDP frames of
    SIZE bytes to port 9 of DST (by default an address no one has) through DST_MAC, RATE a
    second if given, from SRC (to SRC_MAX, one address after the other, if given), tagged
    with 802.1Q VLAN VLAN if given. A context manager sending while it lasts, or send() for
    COUNT frames."""

    def __init__(self, cfg, dst_mac, size=60, rate=0, dst="198.51.100.2", src="198.51.100.1",
                 count=0, on_dut=False, src_max=None, vlan=None):
        self.cfg = cfg
        self.proc = None
        # Each namespace has its own pktgen threads: the DUT's end uses the first, the
        # peer's the second (lib.sh's pktgen_send used the same).
        self.host = None if on_dut else cfg.remote
        self.ifname = cfg.ifname if on_dut else cfg.remote_ifname
        self.thread = "kpktgend_0" if on_dut else "kpktgend_1"
        cmds = ["count %d" % count, "pkt_size %d" % size, "clone_skb 0", "dst_mac " + dst_mac,
                "dst " + dst, "src_min " + src, "src_max " + (src_max or src)]
        if rate:
            cmds.append("ratep %d" % rate)
        if vlan is not None:
            cmds.append("vlan_id %d" % vlan)
        cmd("modprobe pktgen")
        self._pg(self.thread, "rem_device_all")
        self._pg(self.thread, "add_device " + self.ifname)
        for c in cmds:
            self._pg(self.ifname, c)

    def _pg(self, name, line):
        cmd("echo '%s' >/proc/net/pktgen/%s" % (line, name), shell=True, host=self.host)

    def __enter__(self):
        # "start" returns when the count is reached or on "stop".
        netns = [] if self.host is None else ["ip", "netns", "exec", self.cfg.env["REMOTE_ARGS"]]
        self.proc = subprocess.Popen(netns + ["sh", "-c", "echo start >/proc/net/pktgen/pgctrl"])
        return self

    def send(self, seconds):
        """Sends the COUNT frames; returns whether pktgen finished within SECONDS (times
        TIME_FACTOR)."""
        with self:
            done = wait_for(lambda: self.proc.poll() is not None, seconds)
            lines = cmd("cat /proc/net/pktgen/" + self.ifname, host=self.host).stdout
        lines = lines.splitlines()
        at = [i for i, line in enumerate(lines) if line.startswith("Result:")]
        if at:
            ksft_pr("pktgen: " + " ".join(line.strip() for line in lines[at[0]:at[0] + 2]))
        return done

    def __exit__(self, *exc):
        self._pg("pgctrl", "stop")
        self.proc.wait(timeout=30)
        self._pg(self.thread, "rem_device_all")
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


__all__ = ["NicPair", "Netconsole", "Pktgen", "TIME_FACTOR", "answers_ping", "by_scope",
           "carrier", "channels", "deep_rx_rings", "em_models", "ethnl_set", "ethtool_stat",
           "host_link", "ifname_by_mac", "irq_lines", "link_counter", "link_report", "napis",
           "peer_receives", "queues", "ring_size", "sets_in_use", "settle", "snmp_counter",
           "tcp_transfer", "run_on_models", "run_on_pair", "wait_for",
           "cmd", "ethtool", "ip"]
