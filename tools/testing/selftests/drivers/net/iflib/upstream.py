#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The upstream drivers/net selftests, side by side with the C drivers.

On each model's NIC pair every upstream test runs against our driver on the DUT
(iflib_em, iflib_igb), then against the in-tree C driver on the same DUT, the
peer (its C driver) in the remote namespace with the environment the tests
expect (NETIF, LOCAL_V4/REMOTE_V4, LOCAL_V6/REMOTE_V6, REMOTE_TYPE=netns,
LOCAL_PREFIX_V6). TESTS names every test of drivers/net and drivers/net/hw (their
Makefiles' TEST_PROGS), in an order that keeps the DUT up and addressed for those
that need it; the forwarding-library scripts (TWO_PORTS) get both ports in this
namespace. SETTINGS are made before a test that assumes them. make test-full runs
every model with a pair (the e1000, the e1000e, igb); a run that names no MODEL
otherwise keeps one em model (the e1000e) and igb.

Prints a table of every case (ours, the C driver, why they differ), saves it as
$IFLIB_OUT/upstream/MODEL.txt beside each test's output, and reports each case as
one result (see verdict()): our pass stands, and our XFAIL unless the C driver passes
(then only with a reason in REASONS); our skip stands when the C driver skips for the
same reason or REASONS says why; our failure fails unless REASONS says what the device
or the VM lacks and the C driver does not pass either (then XFAIL). A case only the C
driver reported, a test that exits non-zero without failing a case, or one that reports
fewer cases than its plan, fails. The programs the tests run (the TEST_GEN_FILES of
net/lib, drivers/net and drivers/net/hw, and the BPF objects) are built by
scripts/iflib/build.
"""

import os
import re
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from iflib_env import DRIVERS, FULL, TIME_FACTOR, NicPair, carrier, channels, em_models, \
    wait_for
from lib.py import KsftSkipEx, NlError

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

# Every test of drivers/net and drivers/net/hw (their Makefiles' TEST_PROGS; not
# hw/devlink_port_split.py, a TEST_PROGS_EXTENDED helper for switch ports), on every
# model. The tests that take the interface down (queues.py, napi_threaded.py,
# hw/irq.py and, last, stats.py) come after those that use the DUT's IPv6 address: down
# takes it away.
UP = ["ping.py", "hw/csum.py", "netpoll_basic.py", "hw/pp_alloc_fail.py",
      "hw/ethtool_std_stats.sh", "hw/ethtool_rmon.sh", "napi_id.py", "ring_reconfig.py",
      "hw/rss_api.py", "hw/tso.py", "hw/rss_ctx.py", "hw/toeplitz.py", "xdp.py",
      "gro.py", "hds.py", "macsec.py", "psp.py", "shaper.py", "so_txtime.py",
      "hw/devlink_rate_cross_esw.py", "hw/devlink_rate_tc_bw.py", "hw/devmem.py",
      "hw/gro_hw.py", "hw/iou-zcrx.py", "hw/ipsec_vxlan.py", "hw/nic_timestamp.py",
      "hw/nk_devmem.py", "hw/nk_netns.py", "hw/nk_qlease.py", "hw/ntuple.py",
      "hw/rss_drv.py", "hw/rss_flow_label.py", "hw/rss_input_xfrm.py",
      "hw/userns_devmem.py", "hw/uso.py", "hw/xdp_metadata.py", "hw/xsk_reconfig.py"]
# The forwarding-library scripts that want two ports cabled to each other in this
# namespace (NETIFS as arguments; the others take the environment, as
# DRIVER_TEST_CONFORMANT): the peer comes over from the remote namespace for them,
# and both ends go back to their places, addresses and up after (peer_beside).
TWO_PORTS = ["hw/ethtool.sh", "hw/loopback.sh", "hw/ethtool_extended_state.sh",
             "hw/ethtool_mm.sh", "hw/hw_stats_l3.sh", "hw/hw_stats_l3_gre.sh"]
DOWN = ["queues.py", "napi_threaded.py", "hw/irq.py"]
TESTS = UP + TWO_PORTS + DOWN
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
TWO_QUEUES = "the 82574 has two queues; the test wants more"
# xdp.py's program calls a kfunc (bpf_xdp_pull_data), which libbpf resolves through the
# kernel's BTF; the test kernels have none (CONFIG_DEBUG_INFO_BTF would double their build).
NO_BTF = "the test kernel has no BTF, which libbpf needs to load xdp_native.bpf.o"
XDP_CASES = ["%s.%s" % (case, ipver) for case in (
    "pass_sb", "pass_mb", "drop_sb", "drop_mb", "tx_sb", "tx_mb", "adjst_tail_grow_data",
    "adjst_tail_shrnk_data", "adjst_head_grow_data", "adjst_head_shrnk_data")
    for ipver in ("ipv4", "ipv6")] + ["qstats.%s_%s" % (action, ipver)
                                      for ipver in ("ipv4", "ipv6")
                                      for action in ("pass", "drop", "tx")]
# hw/tso.py's tunnel cases.
NO_TUNNEL_TSO = "iflib offers no tunnel segmentation (the C igb offers it as GSO partial; " \
    "the C drivers' runs of the test end at the start: no queue statistics)"
# Neither iflib nor the C drivers.
NO_QUEUE_MGMT = Symptom("neither driver has queue management operations "
                        "(netdev_queue_mgmt_ops), which a queue lease needs: the test fails "
                        "instead of skipping", r"does not support queue management operations")
NO_SHAPER = "neither driver has shaper operations (net_shaper_ops): the test skips at its " \
    "first check, which differs with the number of queues"
# What iflib does not offer yet, which the C driver does.
NO_HWTSTAMP = "iflib has no hardware timestamping (no PTP clock): SIOCSHWTSTAMP is refused"
# QEMU's models keep the link up whatever the peer does and whatever speed is forced.
LINK_ALWAYS_UP = Symptom(
    "QEMU's models keep the link up while the peer is down (the link is the host's to "
    "take down): the driver has no link-down state to report",
    r'Expected "Autoneg", got "Link detected: yes"')
NO_XSK_ZC = "iflib has no AF_XDP zero-copy (XDP_SETUP_XSK_POOL): the test binds in " \
    "zero-copy mode only"
EVERY_REASON = {
    "ping.test_xdp_native_mb": NO_MB_XDP,
    # Measured 2026-12-06 on every model, the C drivers alike: the IPv6 case merges.
    "gro.test.sw_ipv4_data_lrg_1byte": Symptom(
        "fails the same on the C drivers: the 1-byte IPv4 segment's frame (55 bytes) is "
        "padded to Ethernet's 60 and GRO delivers it apart; the IPv6 one (75 bytes, no "
        "padding) merges", r"Received \{100 \[!=101\]1 \[!=0\]\}"),
    # Upstream's own XFAIL when netconsole never had to poll: only a full TX queue makes
    # it, and whether iperf3 fills it in the test's time is the host's timing (the C igb
    # polled in one run, iflib_igb in none; iflib_em on the e1000e did).
    # em_netconsole.py makes netconsole poll iflib, under an XDP_TX flood.
    "netpoll_basic.test_netpoll": Symptom(
        "netconsole polls only when the TX queue is full, which iperf3 fills or not by "
        "the host's timing; or bpftrace, which counts the polls, takes longer than the "
        "test's 30 s to start on a loaded host",
        r"netpoll_poll_dev\(\) was not called|'bpftrace'.* timed out after 30 seconds"),
    **{"nic_timestamp.test_hwtstamp_%s_%s" % (way, api): NO_HWTSTAMP
       for way in ("tx", "rx") for api in ("ioctl", "netlink")},
    **{"xsk_reconfig.check_%s" % case: NO_XSK_ZC for case in ("xdp_bind", "rx_resize")},
    **{"xdp.test_xdp_native_%s" % case: NO_BTF for case in XDP_CASES},
    **{"tso.%s_%s" % (tunnel, inner): NO_TUNNEL_TSO for inner in ("ipv4", "ipv6")
       for tunnel in ("vxlan4", "vxlan_csum4", "gre4", "ip4", "vxlan6", "vxlan_csum6",
                      "gre6", "ip6")},
    **{"toeplitz.test.rps_%s" % flow: "the VM's two CPUs both serve RX queues: none is "
                                      "left for RPS"
       for flow in ("tcp_ipv4", "tcp_ipv6", "udp_ipv4", "udp_ipv6")},
    **{"nk_qlease.test_%s" % case: NO_QUEUE_MGMT for case in (
        "iou_zcrx", "iou_zcrx_large_buf", "attrs", "attach_xdp_with_mp", "destroy")},
    "ethtool.force_of_different_speeds_autoneg_off":
        "QEMU's models pass traffic whatever speeds the two ends force (the C drivers' "
        "too): the test expects the ping to fail",
    "ethtool_extended_state.autoneg_no_partner_detected_during_force_mode": LINK_ALWAYS_UP,
    "ethtool_extended_state.autoneg_no_partner_detected": LINK_ALWAYS_UP,
    "ethtool_extended_state.no_cable": Symptom(
        "the VM has no NIC without a cable (NETIF_NO_CABLE names no interface): the "
        "test cannot run", r'Expected "No cable", got ""'),
    **{"shaper.%s" % case: NO_SHAPER for case in (
        "mixed_parent_group_requires_parent", "basic_groups", "basic_groups_with_rate",
        "qgroups", "set_node_shaper", "group_update_rate", "delegation", "queue_update")},
    # QEMU's models (testing.rst, QEMU quirks), measured 2026-12-05.
    "ethtool_std_stats.pause-rx_pause_frames":
        "QEMU's model counts no received pause frame (0 of the peer's 2,000)",
    # The C e1000e reports no histogram: the symptom is the TX bucket of that size passing.
    "ethtool_rmon.rx-pkts64to64": Symptom(
        "QEMU's model counts a received frame by its length without the FCS when the "
        "driver strips it: a 64-byte frame falls in no bucket (sent ones are counted "
        "with it)", r"(?s)not ok \d+ ethtool_rmon\.rx-pkts64to64\n(?:.*\n)?"
        r"ok \d+ ethtool_rmon\.tx-pkts64to64"),
    "hw/ethtool_rmon.sh":
        "the test stops at its first failing bucket (rx-pkts64to64, a QEMU quirk): the "
        "RX buckets after it go unreported",
}
# The 8254x (QEMU's e1000), measured 2026-12-06: the C e1000 fails or skips these too.
ONE_QUEUE = "the 8254x has one queue: the test wants two or more"
NO_RSS = "the 8254x has no RSS (no hash, key or table): the test fails instead of skipping"
REASONS = {
    "e1000": dict(EVERY_REASON, **{
        "ring_reconfig.reconfig_tx_stall": ONE_QUEUE,
        **{"napi_threaded.%s" % case: ONE_QUEUE for case in (
            "napi_init", "change_num_queues", "enable_dev_threaded_disable_napi_threaded")},
        **{"rss_api.test_%s" % case: NO_RSS for case in (
            "rxfh_nl_set_key", "rxfh_fields", "rxfh_fields_set", "rxfh_fields_set_xfrm",
            "rxfh_fields_ntf", "rss_ctx_ntf")},
        # The test writes "5" when the line's affinity is "3" (both CPUs, an INTx line's
        # default; a queue vector has one CPU).
        **{"irq.check_%s" % case: Symptom(
            "the INTx line's affinity is both CPUs, and the test then asks for CPUs 0 and "
            "2: the 2-CPU VM has no CPU 2", r"Value too large for defined data type")
           for case in ("reconfig_queues", "reconfig_xdp", "down")},
        "tso.ipv6": "the 8254x segments IPv4 only (the C e1000 offers no IPv6 TSO either)",
        "rss_ctx.test_rss_key_indir": ONE_QUEUE,
        "rss_ctx.test_rss_resize": ONE_QUEUE,
        "rss_ctx.test_hitless_key_update": NO_RSS,
        "rss_ctx.test_rss_context_dump": NO_RSS,
        **{"toeplitz.test.%s%s_%s" % (rss, proto, ipver): NO_RSS for rss in ("", "rss_")
           for proto in ("tcp", "udp") for ipver in ("ipv4", "ipv6")},
        **{"rss_drv.%s.%s" % (case, ctx): ONE_QUEUE for ctx in ("main", "ctx")
           for case in ("indir_size_4x", "resize_periodic", "resize_below_user_size_reject",
                        "resize_nonperiodic_reject", "resize_nonperiodic_no_corruption")},
        "rss_flow_label.test_rss_flow_label_6only": NO_RSS,
        "rss_input_xfrm.test_rss_input_xfrm_ipv4": NO_RSS,
        "rss_input_xfrm.test_rss_input_xfrm_ipv6": NO_RSS,
        **{"toeplitz.test.rps_%s_%s" % (proto, ipver): NO_RSS for proto in ("tcp", "udp")
           for ipver in ("ipv4", "ipv6")},
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
        "rss_ctx.test_rss_key_indir": TWO_QUEUES,
        "rss_ctx.test_rss_context_dump": NO_CONTEXTS % "82574",
        **{"toeplitz.test.%s" % case: Symptom(
            "the 82574 hashes UDP by its addresses only (MRQC has no UDP field, and the "
            "setting of ports is refused); the test expects the ports in it", r"!= expected")
           for case in ("udp_ipv4", "udp_ipv6", "rss_udp_ipv4", "rss_udp_ipv6")},
        **{"rss_drv.%s.%s" % (case, ctx): TWO_QUEUES for ctx in ("main", "ctx")
           for case in ("indir_size_4x", "resize_periodic", "resize_below_user_size_reject",
                        "resize_nonperiodic_reject", "resize_nonperiodic_no_corruption")},
        **{"rss_flow_label.test_rss_flow_label%s" % case: "the 82574 does not hash the IPv6 "
           "flow label" for case in ("", "_6only")},
        **{"rss_input_xfrm.test_rss_input_xfrm_%s" % ipver: "the 82574 has no symmetric hash"
           for ipver in ("ipv4", "ipv6")},
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
        # Measured 2026-12-06: the C igb's run fails these and three more of the forced
        # cases; in ours the peer (h2) is the C igb.
        **{"ethtool.force_speed_%s_on_both_ends" % speed: "QEMU's igb passes no ping once "
           "both ends force 10 Mb/s, and the C igb then refuses the next forced speeds "
           "(\"error in configuration\", the peer's in our run): the C igb's own run fails "
           "them alike" for speed in ("10", "100", "1000")},
        **{"uso.test_uso.%s" % case: "iflib_igb offers no UDP segmentation: QEMU's igb "
           "model sends IP fragments for it (the C igb's run fails 3 of the 4 cases)"
           for case in ("v4_partial", "v4_exact", "v6_partial", "v6_exact")},
    }),
}
KTAP_CASE = re.compile(r"^(ok|not ok) \d+ (\S+)(.*)$")
# A forwarding-library script run with NETIFS prints its cases as "TEST: NAME [ OK ]",
# a failure's detail on the lines after, tab-indented; one that lacks what it needs
# prints "SKIP: WHY" and exits 4.
FORWARDING_CASE = re.compile(r"^TEST: (.*?)\s*\[\s*(OK|FAIL|SKIP|XFAIL)\s*\]$")
FORWARDING_VERDICT = {"OK": "pass", "FAIL": "fail", "SKIP": "skip", "XFAIL": "xfail"}
KSFT_SKIP = 4


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
    chosen = em + (["igb"] if "igb" in present else [])
    # IFLIB_UPSTREAM_MODELS=e1000e: only those of them (while a test is worked on).
    only = [m for m in os.environ.get("IFLIB_UPSTREAM_MODELS", "").split(",") if m]
    return [m for m in chosen if not only or m in only]


def run_upstream(test, model, driver, args=()):
    """Runs upstream TEST (with ARGS) on MODEL's pair set up, DRIVER on the DUT: its
    cases as [(name, verdict, detail, log)], verdict one of pass, fail, skip, xfail; a
    test that reports no case, fewer than its plan, or exits non-zero with no case
    failed adds a failed result named after it. The test's output is kept in LOGS."""
    log = LOGS / ("%s-%s-%s.log" % (model, driver, test.replace("/", "_")))
    # KSFT_MACHINE_SLOW: upstream's word for a machine whose timing the tests must not
    # trust (so_txtime.py starts 2 s ahead instead of 0.2 and checks order and payload,
    # not delivery within 8 ms): under TCG a process start takes longer than 0.2 s.
    # NETIF_NO_CABLE: hw/ethtool_extended_state.sh's interface without a cable, eth8
    # unless told: here a name no interface has (the VM's eth8 is another NIC pair's).
    env = dict(os.environ, PATH="%s:%s" % (ETHTOOL_DIR, os.environ.get("PATH", "")),
               KSFT_MACHINE_SLOW="1", NETIF_NO_CABLE="nocable0")
    path = UPSTREAM / test
    with open(log, "w", encoding="utf-8") as out:
        interpreter = "bash" if test.endswith(".sh") else "python3"
        # From the test's directory, as the kselftest runner starts it.
        rc = subprocess.run(["timeout", "-k", "10", str(TEST_SECONDS * TIME_FACTOR),
                             interpreter, "./" + path.name] + list(args), cwd=path.parent,
                            env=env, stdout=out, stderr=subprocess.STDOUT,
                            check=False).returncode
    text = log.read_text(encoding="utf-8", errors="replace")
    cases, plan, skipped = [], None, None
    for line in text.splitlines():
        m = KTAP_CASE.match(line)
        f = FORWARDING_CASE.match(line)
        if f:
            title, verdict = f.group(1), FORWARDING_VERDICT[f.group(2)]
            detail = ""
            if title.startswith("SKIP: "):
                verdict, detail = "skip", title[len("SKIP: "):]
            # Named without the interfaces' names, which change as the drivers swap.
            for role, ifname in zip(("dut", "peer"), args):
                title = re.sub(r"\b%s\b" % re.escape(ifname), role, title)
            name = "%s.%s" % (Path(test).stem, re.sub(
                r"[^a-z0-9]+", "_", re.sub(r"\beth\d+\b", "dev", title.lower())).strip("_"))
            cases.append((name, verdict, detail, log))
        elif line.startswith("\t") and cases and cases[-1][1] == "fail" and \
                not cases[-1][2] and not cases[-1][0].endswith((".py", ".sh")):
            # A forwarding case's failure: its first detail line.
            cases[-1] = cases[-1][:2] + (line.strip(),) + cases[-1][3:]
        elif line.startswith("SKIP: "):
            skipped = line[len("SKIP: "):].strip()
        elif m:
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
    if not cases and rc == KSFT_SKIP and skipped:
        cases.append((test, "skip", skipped, log))
    elif not cases:
        cases.append((test, "fail", "reported no result (exit %d)" % rc, log))
    elif plan is not None and len(cases) < plan:
        cases.append((test, "fail", "reported %d of its %d cases (exit %d)" %
                      (len(cases), plan, rc), log))
    elif rc in (124, 137):
        cases.append((test, "fail", "timed out after %d s" % (TEST_SECONDS * TIME_FACTOR),
                      log))
    elif rc not in (0, KSFT_SKIP) and not any(c[1] == "fail" for c in cases):
        cases.append((test, "fail", "exited %d with no case failed" % rc, log))
    return cases


def set_up(settings, ifname, combined):
    """Runs `ethtool ARGS` for each of SETTINGS on interface IFNAME (with COMBINED
    channels before), saying what it did."""
    for args in settings:
        if "{combined}" in args and combined is None:
            continue
        args = args.format(ifname=ifname, combined=combined)
        done = subprocess.run(["%s/ethtool" % ETHTOOL_DIR if (ETHTOOL_DIR / "ethtool").exists()
                               else "ethtool"] + args.split(), capture_output=True, text=True,
                              check=False)
        print("# ethtool %s: %s" % (args, done.stderr.strip() or "done"), flush=True)


def ip(args, ns=None, check=True):
    """Runs `ip ARGS` (in namespace NS)."""
    subprocess.run(["ip"] + (["-n", ns] if ns else []) + args.split(), check=check,
                   capture_output=True)


@contextmanager
def peer_beside(cfg):
    """The peer in this namespace beside the DUT, for a TWO_PORTS script; then both back:
    the peer in the remote namespace, both out of the scripts' VRFs, with their
    addresses and up, carrier seen. Yields the peer's name."""
    ns, peer = cfg.env["REMOTE_ARGS"], cfg.remote_ifname
    try:
        ip("link set %s netns 1" % peer, ns=ns)
    except subprocess.CalledProcessError as e:
        raise RuntimeError("the peer %s did not come over: %s" % (peer, e.stderr)) from e
    try:
        yield peer
    finally:
        ip("link set %s netns %s" % (peer, ns), check=False)
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                        "net.ipv6.conf.%s.disable_ipv6=0" % peer], check=False)
        for name, where, v4, v6 in ((cfg.ifname, None, "LOCAL_V4", "LOCAL_V6"),
                                    (peer, ns, "REMOTE_V4", "REMOTE_V6")):
            ip("link set %s nomaster" % name, ns=where, check=False)
            ip("addr replace %s/24 dev %s" % (cfg.env[v4], name), ns=where, check=False)
            ip("addr replace %s/64 dev %s nodad" % (cfg.env[v6], name), ns=where,
               check=False)
            ip("link set %s up" % name, ns=where, check=False)
        ip("-6 route replace %s via %s dev %s" % (cfg.env["LOCAL_PREFIX_V6"], cfg.env["LOCAL_V6"],
                                                  peer), ns=ns, check=False)
        if not wait_for(lambda: carrier(cfg.ifname) and carrier(peer, host=cfg.remote), 30):
            links = subprocess.run("ip -br link; ip -n %s -br link" % ns, shell=True,
                                   capture_output=True, text=True, check=False).stdout
            raise RuntimeError("the pair did not come back after the test: %s" %
                               links.replace("\n", "; "))


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
            for test in [t for t in TESTS + LAST if not only or t in only]:
                before, after = SETTINGS.get(test, ([], []))
                combined = None
                try:
                    combined = channels(cfg)[1] if before else None
                except NlError as e:
                    # The C e1000e has no channels: the settings that name them fail.
                    print("# no channel count on %s: %s" % (driver, e), flush=True)
                set_up(before, cfg.ifname, combined)
                start = time.monotonic()
                if test in TWO_PORTS:
                    with peer_beside(cfg) as peer:
                        ran = run_upstream(test, model, driver, (cfg.ifname, peer))
                else:
                    ran = run_upstream(test, model, driver)
                # Where the time goes, and a sign of life for the host's silence limit.
                print("# %s on %s: %s, %d cases, took %.0f s" % (
                    test, driver, ", ".join("%d %s" % (n, v) for v, n in sorted(
                        Counter(c[1] for c in ran).items())), len(ran),
                    time.monotonic() - start), flush=True)
                cases += ran
                set_up(after, cfg.ifname, combined)
            return cases
    except (RuntimeError, KsftSkipEx) as e:
        return [("%s with %s" % (model, driver), "fail", str(e), None)]


def same_reason(ours, theirs):
    """Whether two skip reasons say the same, but for the interfaces' names (the DUT's
    may change as the drivers are swapped)."""
    def plain(text):
        return re.sub(r"\beth\d+\b", "IF", text)
    return plain(ours) == plain(theirs)


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
        if (theirs == "skip" and same_reason(our_detail, their_detail)) or why:
            return "skip", our_detail + (" (%s)" % why if why else "")
        return "fail", "skips on ours (%s), %s on the C driver%s" % (
            our_detail, theirs, " (%s)" % their_detail if their_detail else "")
    if ours == "missing":
        if why and theirs not in ("pass", "-"):
            return "xfail", "not reported on ours: %s (%s on the C driver)" % (why, theirs)
        return "fail", "not reported on ours, %s on the C driver" % theirs
    # A reason holds where the C driver failed or skipped the case too, or where it
    # reported nothing and the reason names the failure's symptom.
    if why and (theirs not in ("pass", "-") or isinstance(why, Symptom)):
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
