# SPDX-License-Identifier: GPL-2.0
"""Boot the iflib test VM in QEMU and watch it.

The guest runs the host's root filesystem (read-only 9p, with a tmpfs
overlay in the guest), the kernel and modules from a build directory, and
one job script. Its NICs come in back-to-back pairs, each pair on a private
QEMU hub, so traffic needs no host networking. The job's output (ttyS1) is
streamed to a callback; the kernel log (ttyS0) is scanned for oopses, hangs
and leak reports once the VM is gone. A job line "iflib-host: set_link MAC
up|down" takes that NIC's link down or up from the host (QMP set_link), as
pulling a cable would; the guest sees IFLIB_HOST_LINK=1 when this works.
A line "iflib-host: plug MAC" puts that NIC back into its PCIe root port
(QMP device_add) after the guest pulled it out (tests power its slot off:
QEMU removes the device at once, and the guest's pciehp finds it gone).
"""

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("IFLIB_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "iflib")
KEEP_RUNS = 10
# A guest boots to its job in under 30 s (the debug kernel, beside two other
# VMs); a boot that takes minutes has failed, and a console this large is a
# report storm, not a log.
BOOT_TIMEOUT = 150
CONSOLE_LIMIT = 64 << 20

# (QEMU model, needs its own PCIe root port). Every model gets one DUT + one
# peer NIC; MACs are 52:54:00:1f:<pair>:<01 DUT | 02 peer> so the guest can
# find each interface by address whatever order the kernel names them in.
MODELS = {
    "e1000": False,
    "e1000-82545em": False,
    "e1000-82544gc": False,
    "e1000e": True,
    "igb": True,
    "vmxnet3": True,
}
DEFAULT_PAIRS = ["e1000", "e1000e", "igb", "vmxnet3", "e1000-82545em", "e1000-82544gc"]

# Kernel log lines that fail a run whatever the tests said.
# On the debug kernel (kernel/configs/iflib_debug.config) KASAN, lockdep,
# DMA API debugging and UBSAN report through these too; a vIOMMU reports a
# DMA to an address not mapped for the device as a DMAR fault.
BAD_CONSOLE = re.compile(
    r"(Oops|BUG:|WARNING:|Kernel panic|general protection fault|"
    r"kmemleak: \d+ new suspected|KASAN:|UBSAN:|soft lockup|hard LOCKUP|"
    r"blocked for more than|rcu_.*self-detected stall|Call Trace:|"
    r"DMA-API: \S+ \S+: |DMA-API: debugging out of memory|DMAR: \[DMA |DMAR: .*fault|"
    r"swiotlb buffer is full|stalled pool shutdown|unregister_netdevice: waiting for|"
    r"ref_tracker: )"
)
# The job's line in the kernel log before each test (vm/guest-tests).
TEST_MARK = re.compile(r"iflib-test: (.*)$")


def mac(pair, end):
    return "52:54:00:1f:%02x:%02x" % (pair + 1, end)


def topology(pairs):
    """Lines 'MODEL DUT_MAC PEER_MAC', one per NIC pair."""
    return "".join("%s %s %s\n" % (m, mac(i, 1), mac(i, 2)) for i, m in enumerate(pairs))


def nics(pairs):
    """{MAC: (hub port netdev, QEMU device properties, root port or None)} of every NIC."""
    found, port = {}, 0
    for i, model in enumerate(pairs):
        if model not in MODELS:
            raise ValueError("unknown NIC model %r (known: %s)" % (model, ", ".join(MODELS)))
        for end in (1, 2):
            netdev = "n%d_%d" % (i, end)
            dev = {"driver": model, "id": "nic%d_%d" % (i, end), "netdev": netdev,
                   "mac": mac(i, end)}
            root_port = None
            if MODELS[model]:
                port += 1
                root_port = "rp%d" % port
                dev["bus"] = root_port
            found[mac(i, end)] = (netdev, dev, root_port)
    return found


def nic_args(pairs):
    args = []
    for i, (netdev, dev, root_port) in enumerate(nics(pairs).values()):
        args += ["-netdev", "hubport,id=%s,hubid=%d" % (netdev, i // 2 + 1)]
        if root_port:
            n = int(root_port[2:])
            # No power controller: pciehp then takes a slot the guest powers off (QEMU
            # removes the device on that write) as a surprise removal, not as a slot it
            # already disabled.
            args += ["-device", "pcie-root-port,id=%s,chassis=%d,slot=%d,"
                     "power_controller_present=off" % (root_port, n, n)]
        args += ["-device", ",".join([dev["driver"]] + ["%s=%s" % kv for kv in dev.items()
                                                       if kv[0] != "driver"])]
    return args


# A job line asking the host to change a NIC's link, "iflib-host: set_link MAC up|down",
# or to plug it back in, "iflib-host: plug MAC" (anywhere in the line, as the
# kselftest runner prefixes its tests' output).
HOST_REQUEST = re.compile(
    r"iflib-host: (?:set_link ((?:[0-9a-f]{2}:){5}[0-9a-f]{2}) (up|down)|"
    r"plug ((?:[0-9a-f]{2}:){5}[0-9a-f]{2}))\b")


class Monitor:
    """QEMU's QMP socket, opened on first use: the guest's link requests go through it."""

    def __init__(self, path, pairs):
        self.path = path
        self.nics = nics(pairs)
        self.sock = None
        self.buf = b""

    def _reply(self):
        # Skip asynchronous events up to the command's own answer.
        while True:
            while b"\n" not in self.buf:
                data = self.sock.recv(4096)
                if not data:
                    raise OSError("QMP socket closed")
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            msg = json.loads(line)
            if "return" in msg or "error" in msg or "QMP" in msg:
                return msg

    def command(self, command, **arguments):
        if self.sock is None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(10)
            self.sock.connect(self.path)
            self._reply()  # greeting
            self.command("qmp_capabilities")
        self.sock.sendall(json.dumps({"execute": command, "arguments": arguments}).encode() + b"\n")
        return self._reply()

    def handle(self, line):
        """Carries out the request LINE holds, if any; returns what happened, or None."""
        m = HOST_REQUEST.search(line)
        if not m:
            return None
        nic = self.nics.get(m.group(1) or m.group(3))
        if nic is None:
            return "no NIC with MAC %s" % (m.group(1) or m.group(3))
        netdev, dev, root_port = nic
        if m.group(3) and not root_port:
            return "%s is not on a PCIe root port: it cannot be plugged" % dev["id"]
        try:
            if m.group(1):
                what = "set_link %s %s" % (netdev, m.group(2))
                reply = self.command("set_link", name=netdev, up=m.group(2) == "up")
            else:
                what = "device_add %s on %s" % (dev["id"], root_port)
                reply = self.command("device_add", **dev)
        except (OSError, ValueError, KeyError) as e:
            return "%s failed: %s" % (what, e)
        return "%s: %s" % (what, reply.get("error", "done"))


class Result:
    def __init__(self, status, console, reason=""):
        self.status = status  # "ok", "timeout", "hang", "crash"
        self.console = console
        self.reason = reason

    def console_problems(self):
        return [l for l in self.console.splitlines() if BAD_CONSOLE.search(l)]

    def test_running(self):
        """The test that ran last by the kernel log's marks, "boot" before the first one."""
        test = "boot"
        for line in self.console.splitlines():
            m = TEST_MARK.search(line)
            if m:
                test = m.group(1).strip()
        return test

    def problems_by_test(self):
        """The kernel log's problem lines, grouped by the test that ran when they came
        ("boot" before the first test), in the order the tests ran."""
        found, test = {}, "boot"
        for line in self.console.splitlines():
            m = TEST_MARK.search(line)
            if m:
                test = m.group(1).strip()
            elif BAD_CONSOLE.search(line):
                found.setdefault(test, []).append(line)
        return found


def run(build, job, pairs=DEFAULT_PAIRS, on_line=None, timeout=1800, silence=300,
        cpus=2, memory="2G", out_dir=None, extra_append="", leak_check=True, icount=False,
        machine_args=(), niceness=0):
    """Boot BUILD, run the shell script JOB in the guest, return a Result.

    on_line(str) gets each line the job prints. The VM is killed when it runs
    longer than TIMEOUT seconds or the job prints nothing for SILENCE seconds.
    LEAK_CHECK=False boots with kmemleak off: it records a stack trace per
    allocation, which costs more than a small packet's whole path.
    ICOUNT=True makes guest time count guest instructions: rates measured in the
    guest then no longer depend on the host, and repeat to within a percent.
    MACHINE_ARGS are QEMU arguments placed before the NICs (an IOMMU, which
    must exist before the devices it translates for). NICENESS above 0 lowers
    QEMU's CPU priority, for a VM that runs beside another whose tests are more
    sensitive to time.
    """
    # Not under /tmp: the guest has its own /tmp and must see the run dir.
    runs = os.path.join(CACHE, "runs")
    os.makedirs(runs, exist_ok=True)
    for old in sorted(os.listdir(runs))[:-KEEP_RUNS]:
        shutil.rmtree(os.path.join(runs, old), ignore_errors=True)
    run_dir = tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"), dir=runs)
    console_path = os.path.join(run_dir, "console.log")
    monitor = Monitor(os.path.join(run_dir, "qmp.sock"), pairs)
    job_out_path = os.path.join(run_dir, "job.log")
    topo_path = os.path.join(run_dir, "topology")
    with open(topo_path, "w") as f:
        f.write(topology(pairs))
    out_dir = out_dir or os.path.join(run_dir, "out")
    os.makedirs(out_dir, exist_ok=True)

    append = " ".join([
        "console=ttyS0,115200 root=host rootfstype=9p",
        "rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro",
        "init=" + os.path.join(HERE, "guest-init"),
        "panic=-1 oops=panic softlockup_panic=1 hung_task_panic=1",
        "kmemleak=on" if leak_check else "kmemleak=off",
        "IFLIB_JOB=" + os.path.abspath(job),
        "IFLIB_BUILD=" + os.path.abspath(build),
        "IFLIB_TOPOLOGY=" + topo_path,
        "IFLIB_OUT=" + out_dir,
        "IFLIB_HOST_LINK=1",
        extra_append,
    ])
    accel = ["-accel", "kvm"] if os.environ.get("IFLIB_KVM") == "1" else \
        ["-accel", "tcg,thread=multi"]
    if icount:
        # Guest time is the guest's instruction count (1 ns each); icount needs one
        # TCG thread for all vCPUs. Idle vCPUs let the clock jump to the next timer.
        accel = ["-accel", "tcg,thread=single", "-icount", "shift=0,sleep=on,align=off"]
    # No 5-level paging: with LA57, pgtable_l5_enabled() reads boot_cpu_data's
    # feature bits, which identify_cpu() clears and refills with interrupts on;
    # an interrupt in between made KASAN call the direct map a wild access.
    # Root ports hot-plug natively (pciehp), not through ACPI: the guest then sees a
    # NIC that leaves its port as surprise removal.
    cmd = ["qemu-system-x86_64", "-M", "q35", *accel, "-cpu", "max,la57=off",
           "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off",
           "-smp", str(cpus), "-m", memory, "-display", "none", "-monitor", "none",
           "-qmp", "unix:%s,server=on,wait=off" % monitor.path,
           "-no-reboot", "-kernel", os.path.join(build, "arch/x86/boot/bzImage"),
           "-append", append,
           "-virtfs", "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap",
           "-virtfs", "local,path=%s,mount_tag=out,security_model=none" % out_dir,
           "-serial", "file:" + console_path, "-serial", "file:" + job_out_path,
           *machine_args, *nic_args(pairs)]
    with open(os.path.join(run_dir, "qemu.cmd"), "w") as f:
        f.write(shlex.join(cmd) + "\n")

    open(job_out_path, "w").close()
    if niceness:
        # nice execs QEMU: the pid, and its CPU time, stay QEMU's.
        cmd = ["nice", "-n", str(niceness), *cmd]
    qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    start = last = time.monotonic()
    status, reason, pending, booted = "ok", "", "", False
    cpu = 0.0
    with open(job_out_path, "rb") as job_out:
        while True:
            cpu = cpu_seconds(qemu.pid, cpu)
            exited = qemu.poll() is not None
            chunk = job_out.read().decode("utf-8", "replace")
            if chunk:
                last = time.monotonic()
                booted = True
                pending += chunk.replace("\r", "")
                *lines, pending = pending.split("\n")
                for line in lines:
                    done = monitor.handle(line)
                    if on_line:
                        on_line(line)
                        if done:
                            on_line("# host: " + done)
            if exited:
                break
            now = time.monotonic()
            if now - start > timeout:
                status, reason = "timeout", "VM ran longer than %d s" % timeout
            elif not booted and now - start > BOOT_TIMEOUT:
                status, reason = "boot", "the guest did not start its job in %d s" % BOOT_TIMEOUT
            elif now - last > silence:
                status, reason = "hang", "the job printed nothing for %d s" % silence
            elif os.path.exists(console_path) and \
                    os.path.getsize(console_path) > CONSOLE_LIMIT:
                status, reason = "flood", "the console passed %d MiB" % (CONSOLE_LIMIT >> 20)
            if status != "ok":
                qemu.kill()
                qemu.wait()
                break
            time.sleep(0.2)
    if pending and on_line:
        on_line(pending)
    qemu_out = qemu.stdout.read().decode("utf-8", "replace") if qemu.stdout else ""
    with open(console_path, errors="replace") as f:
        console = f.read()
    if status == "ok" and qemu.returncode != 0:
        # QEMU itself died (an assertion, a signal): named by the test it died in.
        status, reason = "crash", "QEMU exited with %d during %s: %s" % (
            qemu.returncode, Result(status, console).test_running(), qemu_out.strip())
    elif status == "ok" and "job exited with status" not in open(job_out_path, errors="replace").read():
        status, reason = "crash", "the guest stopped before its job finished"
    res = Result(status, console, reason)
    # QEMU died of a signal (an abort) before the job started its first test, or
    # the guest hung before its job started.
    res.died_in_boot = status == "boot" or (
        status == "crash" and qemu.returncode < 0 and res.test_running() == "boot")
    res.run_dir = run_dir
    res.out_dir = out_dir
    res.cpu_seconds = cpu
    return res


def cpu_seconds(pid, last):
    """The CPU time process PID has used so far (user and system), or LAST once it is gone:
    read while it runs, as other VMs may run beside it."""
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return last
