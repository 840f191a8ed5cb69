#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The upstream drivers/net selftests, side by side with the C drivers.

On each model's NIC pair every upstream test runs against our driver on the DUT
(iflib_em, iflib_igb), then against the in-tree C driver on the same DUT, the
peer (its C driver) in the remote namespace with the environment the tests
expect (NETIF, LOCAL_V4/REMOTE_V4, LOCAL_V6/REMOTE_V6, REMOTE_TYPE=netns).
TESTS names them per model: on every model ping.py, hw/csum.py, netpoll_basic.py,
hw/pp_alloc_fail.py, hw/ethtool_std_stats.sh, hw/ethtool_rmon.sh (mausezahn's frames
counted in the standard groups) and stats.py; where there are several queue sets (the 82574,
the 82576) also the queue, NAPI, ring, RSS and interrupt tests; on the 82576 also
hw/tso.py, hw/rss_ctx.py, hw/toeplitz.py and xdp.py, with SETTINGS made first.
make test-full runs every model with a pair (the e1000, the e1000e, igb); a run
that names no MODEL otherwise keeps one em model (the e1000e) and igb.

Prints a table of every case (ours, the C driver, why they differ), saves it as
$IFLIB_OUT/upstream/MODEL.txt beside each test's output, and reports each case as
one result (see verdict()): our pass stands, and our XFAIL unless the C driver passes
(then only with a reason in REASONS); our skip stands when the C driver skips for the
same reason or REASONS says why; our failure fails unless REASONS says what the device
or the VM lacks and the C driver does not pass either (then XFAIL). A case only the C driver
reported, a test that exits non-zero without failing a case, or one that reports
fewer cases than its plan, fails. The helpers the tests run (net/lib's csum,
xdp_helper and BPF objects, napi_id_helper, hw/toeplitz) are built by
scripts/iflib/build.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from iflib_env import DRIVERS, FULL, TIME_FACTOR, NicPair, channels, em_models
from lib.py import KsftSkipEx

UPSTREAM = Path(os.environ.get("IFLIB_BUILD", "/nonexistent")) / \
    "source/tools/testing/selftests/drivers/net"
# The upstream tests read `ethtool --json -g` and `-l`, which the host's ethtool may not
# print: scripts/iflib/setup unpacks a newer one in the cache.
ETHTOOL_DIR = Path(os.environ.get("IFLIB_CACHE") or
                   Path(os.environ.get("IFLIB_BUILD", "/nonexistent")) / "../..") / \
    "tools/ethtool/usr/sbin"
# Each test's output, by model, driver and test (the host keeps IFLIB_OUT).
LOGS = Path(os.environ.get("IFLIB_OUT") or "/tmp") / "upstream"
# A test's time limit (times TIME_FACTOR).
TEST_SECONDS = 300

EVERY_MODEL = ["ping.py", "hw/csum.py", "netpoll_basic.py", "hw/pp_alloc_fail.py",
               "hw/ethtool_std_stats.sh", "hw/ethtool_rmon.sh"]
# With several queue sets. The tests that take the interface down (queues.py,
# hw/irq.py and, last, stats.py) come after those that use the DUT's IPv6 address:
# down takes it away.
QUEUE_SETS = ["napi_id.py", "ring_reconfig.py", "hw/rss_api.py"]
QUEUE_SETS_DOWN = ["queues.py", "napi_threaded.py", "hw/irq.py"]
TESTS = {
    "e1000e": EVERY_MODEL + QUEUE_SETS + QUEUE_SETS_DOWN,
    "igb": EVERY_MODEL + QUEUE_SETS + ["hw/tso.py", "hw/rss_ctx.py", "hw/toeplitz.py", "xdp.py"] +
    QUEUE_SETS_DOWN,
}
LAST = ["stats.py"]
# Settings a test assumes, made before it (on either driver) and undone after, as
# `ethtool` arguments ({ifname}: the DUT; {combined}: its channels before). hw/toeplitz.py
# checks every UDP frame's hash against its addresses and ports, but igb (both drivers)
# hashes UDP by its addresses unless told otherwise, so that a fragmented datagram stays
# on one queue. hw/rss_ctx.py wants three queues or more; the VM's two CPUs give two.
SETTINGS = {
    "hw/rss_ctx.py": (["-L {ifname} combined 4"], ["-L {ifname} combined {combined}"]),
    "hw/toeplitz.py": (
        ["-N {ifname} rx-flow-hash udp4 sdfn", "-N {ifname} rx-flow-hash udp6 sdfn"],
        ["-N {ifname} rx-flow-hash udp4 sd", "-N {ifname} rx-flow-hash udp6 sd"]),
}

# Why a case may fail or skip on our driver where the C driver does not, or fail on
# both: what the device or QEMU's model of it lacks. A case that differs without a
# reason here fails.


class Symptom(str):
    """A reason that holds for a failure only when the test's log shows PATTERN (a
    regular expression): a case may fail the way the reason says, not any other way."""

    def __new__(cls, reason, pattern):
        symptom = super().__new__(cls, reason)
        symptom.pattern = re.compile(pattern)
        return symptom


# hw/pp_alloc_fail.py checks traffic in the second after its ethtool -G.
TRAFFIC_LOW = r"Traffic seems low"

NO_MB_XDP = "iflib has no multi-buffer XDP (the MTU is refused)"
NO_CONTEXTS = "the %s has no RSS contexts (nor has the C driver); the test creates one " \
    "unchecked"
FIXED_FIELDS = "the 82574 hashes fixed fields (MRQC): a change is refused"
EVERY_REASON = {
    "ping.test_xdp_native_mb": NO_MB_XDP,
    # QEMU's models (testing.rst, QEMU quirks), measured 2026-12-05.
    "ethtool_std_stats.pause-rx_pause_frames":
        "QEMU's model counts no received pause frame (0 of the peer's 2,000)",
    "ethtool_rmon.rx-pkts64to64":
        "QEMU's model counts a received frame by its length without the FCS when the "
        "driver strips it: a 64-byte frame falls in no bucket",
    "hw/ethtool_rmon.sh":
        "the test stops at its first failing bucket (rx-pkts64to64, a QEMU quirk): the "
        "RX buckets after it go unreported",
}
# xdp.py's program calls a kfunc (bpf_xdp_pull_data), which libbpf resolves through the
# kernel's BTF; the test kernels have none (CONFIG_DEBUG_INFO_BTF would double their build).
NO_BTF = "the test kernel has no BTF, which libbpf needs to load xdp_native.bpf.o"
# hw/tso.py's tunnel cases.
NO_TUNNEL_TSO = "iflib offers no tunnel segmentation (the C igb offers it as GSO partial; " \
    "its run of the test ends at the start: no queue statistics)"
XDP_CASES = ["%s.%s" % (case, ipver) for case in (
    "pass_sb", "pass_mb", "drop_sb", "drop_mb", "tx_sb", "tx_mb", "adjst_tail_grow_data",
    "adjst_tail_shrnk_data", "adjst_head_grow_data", "adjst_head_shrnk_data")
    for ipver in ("ipv4", "ipv6")] + ["qstats.%s_%s" % (action, ipver)
                                      for ipver in ("ipv4", "ipv6")
                                      for action in ("pass", "drop", "tx")]
REASONS = {
    "e1000": dict(EVERY_REASON, **{
        "pp_alloc_fail.test_pp_alloc": Symptom(
            "its ethtool -G restarts the receiver, and QEMU's e1000 holds reception back "
            "for a second after every RCTL write (testing.rst, QEMU quirks): on a loaded "
            "host TCP falls short of the test's packets in the second after", TRAFFIC_LOW),
    }),
    "e1000e": dict(EVERY_REASON, **{
        "rss_api.test_rxfh_nl_set_indir_ctx": NO_CONTEXTS % "82574",
        "rss_api.test_rxfh_indir_ctx_ntf": NO_CONTEXTS % "82574",
        "rss_api.test_rss_ctx_add": NO_CONTEXTS % "82574",
        "rss_api.test_rss_ctx_ntf": NO_CONTEXTS % "82574",
        "rss_api.test_rxfh_fields_set": FIXED_FIELDS,
        "rss_api.test_rxfh_fields_set_xfrm": FIXED_FIELDS,
        "rss_api.test_rxfh_fields_ntf": FIXED_FIELDS,
    }),
    "igb": dict(EVERY_REASON, **{
        "rss_api.test_rxfh_nl_set_indir_ctx": NO_CONTEXTS % "82576",
        "rss_api.test_rxfh_indir_ctx_ntf": NO_CONTEXTS % "82576",
        "rss_api.test_rss_ctx_add": NO_CONTEXTS % "82576",
        "rss_api.test_rss_ctx_ntf": NO_CONTEXTS % "82576",
        # Each case switches every flow type's ports first (those pass), then asks for one.
        "rss_api.test_rxfh_fields_set": "the 82576 hashes both IP addresses or neither: the "
                                        "source alone is refused (by the C igb too)",
        "rss_api.test_rxfh_fields_set_xfrm": "the 82576 hashes both IP addresses or neither: "
                                             "the source alone is refused (by the C igb too)",
        "pp_alloc_fail.test_pp_alloc": Symptom(
            "its ethtool -G resets the 82576 (as the C igb does) and QEMU's model "
            "renegotiates the link, ~0.5 s: TCP is still short of 4,000 packets in the "
            "second after", TRAFFIC_LOW),
        **{"toeplitz.test.rps_%s" % flow: "the VM's two CPUs both serve RX queues: none is "
                                          "left for RPS"
           for flow in ("tcp_ipv4", "tcp_ipv6", "udp_ipv4", "udp_ipv6")},
        **{"xdp.test_xdp_native_%s" % case: NO_BTF for case in XDP_CASES},
        **{"tso.%s_%s" % (tunnel, inner): NO_TUNNEL_TSO for inner in ("ipv4", "ipv6")
           for tunnel in ("vxlan4", "vxlan_csum4", "gre4", "ip4", "vxlan6", "vxlan_csum6",
                          "gre6", "ip6")},
    }),
}
KTAP_CASE = re.compile(r"^(ok|not ok) \d+ (\S+)(.*)$")


def models():
    """The models to run on, of those with a pair in this VM: the em models MODEL
    (comma-separated, as for every em test) names, all when unset, outside make
    test-full only the first (the e1000e if named); and igb, unless MODEL names igb's
    model only: then igb alone."""
    named = [m for m in os.environ.get("MODEL", "").split(",") if m]
    try:
        with open(os.environ.get("IFLIB_TOPOLOGY", "/nonexistent"), encoding="ascii") as f:
            present = {line.split()[0] for line in f if line.strip()}
    except OSError:
        present = set()
    em = [] if named == ["igb"] else em_models()
    if not FULL and len(em) > 1:
        em = ["e1000e"] if "e1000e" in em else em[:1]
    return em + (["igb"] if "igb" in present else [])


def run_upstream(test, model, driver):
    """Runs upstream TEST on MODEL's pair set up, DRIVER on the DUT: its cases as
    [(name, verdict, detail, log)], verdict one of pass, fail, skip, xfail; a test
    that reports no case, fewer than its plan, or exits non-zero with no case failed
    adds a failed result named after it. The test's output is kept in LOGS."""
    log = LOGS / ("%s-%s-%s.log" % (model, driver, test.replace("/", "_")))
    env = dict(os.environ, PATH="%s:%s" % (ETHTOOL_DIR, os.environ.get("PATH", "")))
    with open(log, "w", encoding="utf-8") as out:
        interpreter = "bash" if test.endswith(".sh") else "python3"
        rc = subprocess.run(["timeout", "-k", "10", str(TEST_SECONDS * TIME_FACTOR),
                             interpreter, "./" + test], cwd=UPSTREAM, env=env, stdout=out,
                            stderr=subprocess.STDOUT, check=False).returncode
    text = log.read_text(encoding="utf-8", errors="replace")
    cases, plan = [], None
    for line in text.splitlines():
        m = KTAP_CASE.match(line)
        if m:
            result, name, rest = m.groups()
            rest = rest.strip()
            if result == "not ok":
                verdict, detail = "fail", rest
            elif "# SKIP" in rest:
                verdict, detail = "skip", rest.split("# SKIP", 1)[1].strip()
            elif "# XFAIL" in rest:
                verdict, detail = "xfail", rest.split("# XFAIL", 1)[1].strip()
            else:
                verdict, detail = "pass", ""
            cases.append((name, verdict, detail, log))
        elif plan is None and re.match(r"^1\.\.\d+$", line):
            plan = int(line[3:])
    if not cases:
        cases.append((test, "fail", "reported no result (exit %d)" % rc, log))
    elif plan is not None and len(cases) < plan:
        cases.append((test, "fail", "reported %d of its %d cases (exit %d)" %
                      (len(cases), plan, rc), log))
    elif rc != 0 and not any(c[1] == "fail" for c in cases):
        cases.append((test, "fail", "exited %d with no case failed" % rc, log))
    return cases


def set_up(settings, ifname, combined):
    """Runs `ethtool ARGS` for each of SETTINGS on interface IFNAME (with COMBINED
    channels before), saying what it did."""
    for args in settings:
        args = args.format(ifname=ifname, combined=combined)
        done = subprocess.run(["%s/ethtool" % ETHTOOL_DIR if (ETHTOOL_DIR / "ethtool").exists()
                               else "ethtool"] + args.split(), capture_output=True, text=True,
                              check=False)
        print("# ethtool %s: %s" % (args, done.stderr.strip() or "done"), flush=True)


def driver_of(ifname):
    link = Path("/sys/class/net/%s/device/driver" % ifname)
    return link.resolve().name if link.exists() else None


def run_driver(model, c_on_dut):
    """Runs the model's tests with our driver on the DUT, or the C one if C_ON_DUT: its
    cases as run_upstream gives them."""
    ours, c_driver = DRIVERS[model]
    driver = c_driver if c_on_dut else ours
    try:
        with NicPair(__file__, model, c_on_dut=c_on_dut) as cfg:
            if driver_of(cfg.ifname) != driver:
                return [("%s with %s" % (model, driver), "fail",
                         "the DUT came up with %s" % driver_of(cfg.ifname), None)]
            cases = []
            # IFLIB_UPSTREAM_TESTS=ping.py,hw/csum.py: only those (while one is worked on).
            only = [t for t in os.environ.get("IFLIB_UPSTREAM_TESTS", "").split(",") if t]
            for test in [t for t in TESTS.get(model, EVERY_MODEL) + LAST
                         if not only or t in only]:
                before, after = SETTINGS.get(test, ([], []))
                combined = channels(cfg)[1] if before else None
                set_up(before, cfg.ifname, combined)
                cases += run_upstream(test, model, driver)
                set_up(after, cfg.ifname, combined)
            return cases
    except (RuntimeError, KsftSkipEx) as e:
        return [("%s with %s" % (model, driver), "fail", str(e), None)]


def verdict(ours, theirs, our_detail, their_detail, why):
    """(verdict, detail) of a case: our pass stands; our XFAIL stands unless the C driver
    passes and WHY says nothing; our skip stands when the C driver skips for the same
    reason or WHY says why; our failure is XFAIL with WHY unless the C driver passes,
    else a failure."""
    if ours == "pass":
        return "pass", ""
    if ours == "xfail":
        if theirs == "pass" and not why:
            return "fail", "XFAIL on ours (%s), passes on the C driver" % our_detail
        return "xfail", our_detail
    if ours == "skip":
        if (theirs == "skip" and our_detail == their_detail) or why:
            return "skip", our_detail + (" (%s)" % why if why else "")
        return "fail", "skips on ours (%s), %s on the C driver%s" % (
            our_detail, theirs, " (%s)" % their_detail if their_detail else "")
    if ours == "missing":
        return "fail", "not reported on ours, %s on the C driver" % theirs
    if why and theirs != "pass":
        return "xfail", "%s (%s on the C driver)" % (why, theirs)
    return "fail", "fails on ours%s, %s on the C driver" % (
        " (%s)" % our_detail if our_detail else "", theirs)


def side_by_side(model):
    """Runs MODEL's tests on both drivers; returns [(verdict, name, detail)] and prints and
    saves the table."""
    ours_name, c_driver = DRIVERS[model]
    print("# %s: each upstream test against %s, then against the C %s" %
          (model, ours_name, c_driver), flush=True)
    ours = run_driver(model, c_on_dut=False)
    theirs = {}
    for name, result, detail, _ in run_driver(model, c_on_dut=True):
        theirs[name] = (result, detail)
        if " with " in name or name.endswith((".py", ".sh")) or result == "fail":
            # The C run's own trouble (no pair, a test that reported nothing) and its
            # failures: shown.
            print("# %s: %s: %s %s" % (c_driver, name, result, detail))
    reasons = REASONS.get(model, EVERY_REASON)
    rows = [(name, result, detail, log) for name, result, detail, log in ours]
    reported = {r[0] for r in rows}
    # A case only the C driver reported is one ours lost.
    rows += [(name, "missing", "", None) for name in theirs
             if name not in reported and " with " not in name and
             not name.endswith((".py", ".sh"))]
    table = ["%-52s %-9s %-8s %s" % (model + ": upstream case", ours_name, c_driver, "why")]
    results, shown = [], set()
    for name, result, detail, log in rows:
        their_result, their_detail = theirs.get(name, ("-", ""))
        why = reasons.get(name, "")
        if isinstance(why, Symptom) and result == "fail" and not (
                log is not None and why.pattern.search(
                    log.read_text(encoding="utf-8", errors="replace"))):
            # It failed otherwise than the reason says.
            why = ""
        table.append("%-52s %-9s %-8s %s" % (name, result, their_result, why))
        v, d = verdict(result, their_result, detail, their_detail, why)
        results.append((v, "%s: upstream %s" % (model, name), d))
        if v == "fail" and log is not None and log not in shown:
            # Why: the end of the test's log, once.
            shown.add(log)
            lines = [line for line in log.read_text(encoding="utf-8", errors="replace")
                     .splitlines() if not KTAP_CASE.match(line)]
            for line in lines[-30:]:
                print("# %s: %s: %s" % (model, name, line))
    out = LOGS / ("%s.txt" % model)
    out.write_text("\n".join(table) + "\n", encoding="utf-8")
    for line in table:
        print("# " + line)
    return results


def main():
    print("TAP version 13", flush=True)
    if not (UPSTREAM / "ping.py").exists():
        print("1..0 # SKIP no upstream selftests at %s" % UPSTREAM)
        sys.exit(4)
    if not (ETHTOOL_DIR / "ethtool").exists():
        print("# no ethtool at %s (scripts/iflib/setup unpacks it): the system's is used" %
              ETHTOOL_DIR)
    LOGS.mkdir(parents=True, exist_ok=True)
    results = []
    for model in models():
        results += side_by_side(model)
    if not results:
        print("1..0 # SKIP no NIC pair of a model iflib drives in this VM")
        sys.exit(4)
    print("1..%d" % len(results))
    for n, (v, name, detail) in enumerate(results, 1):
        if v == "pass":
            print("ok %d %s" % (n, name))
        elif v in ("skip", "xfail"):
            print("ok %d %s # %s %s" % (n, name, v.upper(), detail))
        else:
            print("not ok %d %s: %s" % (n, name, detail))
    failed = sum(1 for r in results if r[0] == "fail")
    print("# Totals: pass:%d fail:%d xfail:%d skip:%d" % (
        sum(1 for r in results if r[0] == "pass"), failed,
        sum(1 for r in results if r[0] == "xfail"), sum(1 for r in results if r[0] == "skip")))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
