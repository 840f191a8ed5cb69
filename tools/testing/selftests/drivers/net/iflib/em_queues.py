#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Queue sets on the 82574 (QEMU e1000e): two channels, RSS, and `ethtool -L`/`-X`.

iflib_em runs the 82574's two TX/RX queue pairs as two queue sets, each with its
own MSI-X vector and NAPI context. Checked here, from what the kernel reports:
- `ethtool -l` shows 2 of 2; each set's vector is requested as <if>-TxRx-<n>,
  netdev-genl lists one NAPI context per set on that line, serving RX and TX
  queue n, and one page pool per RX queue;
- 16 TCP flows from the peer, their source ports chosen so that the hash sends
  8 to each queue, land each on the RX queue its Toeplitz hash (key and
  indirection table read back over ethtool netlink) picks, seen by the
  receiving socket's SO_INCOMING_NAPI_ID, and by packet sockets in a fanout
  group by RX queue (each packet handed to the stack with its RX queue
  recorded), and both queues count packets in their netdev-genl queue
  statistics; `ethtool -X equal 1` moves every flow to queue 0, `-X weight 0 1`
  to queue 1;
- `ethtool -L combined 1` and back to 2 under a ping flood and a TCP stream:
  the stream keeps crossing, no TX timeout, the vectors, NAPI contexts and
  page pools follow; `-L combined 3` and 0 are refused with EINVAL and a message;
- the same while down: up again, each CPU transmits through its vector's queue;
- `ethtool -n rx-flow-hash` reads the fields the 82574 hashes (TCP: addresses and
  ports; UDP, SCTP and other IP: addresses), as the C e1000e on the peer reports; a
  change over netlink is refused with EINVAL and a message, the same fields accepted.
The cases but two_queue_sets and hash_fields hold for any number of queue sets:
igb_queues.py runs them on the 82576.
"""

import os
import select
import socket
import struct
import threading

from iflib_env import PACKET_FANOUT, PACKET_FANOUT_QM, SOL_PACKET, answers_ping, channels, \
    ethnl_set, ethtool_stat, irq_lines, peer_receives, queues, run_on_pair, sets_in_use
from lib.py import Iperf3Runner, cmd, defer, ethtool, ip, ksft_eq, ksft_pr, ksft_true, \
    rand_port

# Not in Python's socket module: the NAPI id of the last packet a socket received.
SO_INCOMING_NAPI_ID = 56
FLOWS = 16
# linux/if_ether.h, asm-generic/socket.h.
ETH_P_IP = 0x0800
SO_RCVBUFFORCE = 33


class QueueCapture:
    """Packet sockets on IFNAME in one fanout group by RX queue (PACKET_FANOUT_QM). The
    group picks socket `queue_mapping % COUNT`, where a driver records RX queue n as n + 1
    (skb_record_rx_queue) and none as 0: queue n's packets go to socket (n + 1) % COUNT
    (socket_of), packets with no queue recorded to socket 0. Notes the TCP source port of
    every packet from SRC: `seen` is {(socket, port)}."""

    def __init__(self, ifname, count, src):
        self.src = socket.inet_aton(src)
        self.seen = set()
        self.socks = []
        self.stop = threading.Event()
        group = os.getpid() & 0xffff
        for _ in range(count):
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
            self.socks.append(sock)
            # Room for the flows' packets between reads; drops would only thin the sample.
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 1 << 22)
            sock.bind((ifname, ETH_P_IP))
            sock.setsockopt(SOL_PACKET, PACKET_FANOUT, group | PACKET_FANOUT_QM << 16)
            sock.setblocking(False)
        self.thread = threading.Thread(target=self._read)

    @staticmethod
    def socket_of(queue, count):
        """The socket of the group of COUNT that receives RX queue QUEUE's packets."""
        return (queue + 1) % count

    def _read(self):
        # Once stopped, what is queued still counts: read until nothing is left.
        while True:
            stopping = self.stop.is_set()
            readable, _, _ = select.select(self.socks, [], [], 0 if stopping else 0.1)
            if stopping and not readable:
                return
            for sock in readable:
                try:
                    frame, addr = sock.recvfrom(128)
                except BlockingIOError:
                    continue
                ihl = (frame[14] & 0xF) * 4 if len(frame) > 14 else 0
                if (addr[2] == socket.PACKET_OUTGOING or len(frame) < 14 + ihl + 2 or
                        frame[23] != socket.IPPROTO_TCP or frame[26:30] != self.src):
                    continue
                port = struct.unpack("!H", frame[14 + ihl:14 + ihl + 2])[0]
                self.seen.add((self.socks.index(sock), port))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        for sock in self.socks:
            sock.close()


def rx_queue_packets(cfg):
    """{RX queue id: packets} from netdev-genl's per-queue statistics."""
    stats = cfg.netdevnl.qstats_get({"ifindex": cfg.ifindex, "scope": "queue"}, dump=True)
    return {s["queue-id"]: s.get("rx-packets", 0) for s in stats if s["queue-type"] == "rx"}


def toeplitz(key, data):
    """The Toeplitz hash of DATA with KEY (bytes), as RSS hardware computes it."""
    key_int = int.from_bytes(key, "big")
    key_bits = 8 * len(key)
    result = 0
    for i, byte in enumerate(data):
        for bit in range(8):
            if byte & (0x80 >> bit):
                result ^= (key_int >> (key_bits - 32 - (8 * i + bit))) & 0xFFFFFFFF
    return result


def predicted_queue(rss, src, dst, sport, dport):
    """The RX queue RSS sends a TCP/IPv4 flow to, from the key and table ethtool reads."""
    data = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">HH", sport, dport)
    table = rss["indir"]
    return table[toeplitz(rss["hkey"], data) % len(table)]


def ports_for_queues(rss, src, dst, dport, per_queue):
    """Source ports from 20000 up whose TCP/IPv4 flows from SRC to DPORT on DST the hash
    and table RSS send PER_QUEUE to each queue the table names: every queue gets flows."""
    wanted = {queue: per_queue for queue in set(rss["indir"])}
    ports = []
    for sport in range(20000, 60000):
        queue = predicted_queue(rss, src, dst, sport, dport)
        if wanted.get(queue, 0) > 0:
            wanted[queue] -= 1
            ports.append(sport)
            if not any(wanted.values()):
                break
    return ports


def flows_from_peer(cfg, port, sports):
    """TCP connections from the peer to PORT on the DUT, one from each source port of
    SPORTS, each carrying 64 KiB; returns [(source port, NAPI id the DUT's socket last
    received on)]."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((cfg.addr_v["4"], port))
    server.listen(len(sports))
    server.settimeout(60)
    seen = []

    def accept_all():
        for _ in sports:
            conn, peer = server.accept()
            with conn:
                conn.settimeout(60)
                while conn.recv(65536):
                    pass
                napi = conn.getsockopt(socket.SOL_SOCKET, SO_INCOMING_NAPI_ID)
                seen.append((peer[1], napi))

    thread = threading.Thread(target=accept_all)
    thread.start()
    # SO_REUSEADDR: a port an earlier round's connection left in TIME_WAIT binds again.
    client = ("import socket\n"
              "for port in %s:\n"
              "    s = socket.socket()\n"
              "    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
              "    s.bind(('%s', port))\n"
              "    s.connect(('%s', %d))\n"
              "    s.sendall(b'x' * 65536)\n"
              "    s.close()\n" % (list(sports), cfg.remote_addr_v["4"], cfg.addr_v["4"], port))
    try:
        cmd("python3 -c \"%s\"" % client, host=cfg.remote)
    finally:
        thread.join(90)
        server.close()
    return seen


def flows_follow_table(cfg, expect=None):
    """Flows from the peer, chosen so that the hash and table send at least two to each
    queue the table names (FLOWS in all at least), each land on the queue predicted (or on
    queue EXPECT); returns the queues they landed on."""
    rss = cfg.ethnl.rss_get(cfg.ethnl_header)
    rx = {napi: queue for queue, napi in queues(cfg, "rx").items()}
    src, dst, port = cfg.remote_addr_v["4"], cfg.addr_v["4"], rand_port()
    per_queue = max(2, -(-FLOWS // len(set(rss["indir"]))))
    sports = ports_for_queues(rss, src, dst, port, per_queue)
    count = channels(cfg)[1]
    with QueueCapture(cfg.ifname, count, src) as capture:
        flows = flows_from_peer(cfg, port, sports)
    ksft_eq(len(flows), len(sports), "connections accepted")
    landed, wrong = set(), []
    want_of = {}
    for sport, napi in flows:
        queue = rx.get(napi)
        landed.add(queue)
        want = expect
        if want is None:
            want = predicted_queue(rss, src, dst, sport, port)
        want_of[sport] = want
        if queue != want:
            wrong.append((sport, queue, want))
    ksft_pr("%d flows landed on queues %s; off the prediction: %s" %
            (len(flows), sorted(landed), wrong))
    ksft_eq(wrong, [], "flows off the queue the hash and table predict (port, got, want)")
    # The RX queue each packet was handed to the stack with.
    recorded = sorted((port, sock) for sock, port in capture.seen if port in want_of)
    ksft_pr("packets of %d flows seen by the packet sockets of their RX queue" %
            len({port for port, _ in recorded}))
    ksft_eq({port for port, _ in recorded}, set(want_of), "every flow seen by a packet socket")
    ksft_eq([(port, sock, QueueCapture.socket_of(want_of[port], count))
             for port, sock in recorded if sock != QueueCapture.socket_of(want_of[port], count)],
            [], "packets recorded with another RX queue than the flow's (port, socket, "
            "the flow's queue's socket)")
    return landed


def spread_over_cpus(cfg):
    """Queue set n's vector on CPU n (modulo the CPUs online), each CPU transmitting
    through its vectors' queues (XPS)."""
    lines = irq_lines(cfg.ifname)
    cpus = os.cpu_count()
    for n in range(channels(cfg)[1]):
        irq = lines["%s-TxRx-%d" % (cfg.ifname, n)]
        with open("/proc/irq/%d/smp_affinity_list" % irq, encoding="ascii") as f:
            affinity = f.read().strip()
        with open("/sys/class/net/%s/queues/tx-%d/xps_cpus" % (cfg.ifname, n),
                  encoding="ascii") as f:
            xps = int(f.read().strip().replace(",", ""), 16)
        ksft_pr("queue set %d: vector on CPUs %s, XPS CPU mask %#x" % (n, affinity, xps))
        ksft_eq(affinity, str(n % cpus), "queue set %d's vector on CPU %d" % (n, n % cpus))
        ksft_eq(xps, 1 << (n % cpus), "CPU %d transmits through TX queue %d" % (n % cpus, n))


def two_queue_sets(cfg):
    """Both queue pairs in use from the start, each with its vector, NAPI and pool; the
    vectors spread over the CPUs, each CPU transmitting through its vector's queue."""
    ksft_true(sets_in_use(cfg, 2, 2), "2 queue sets: channels, vectors, NAPI, queues, pools")
    spread_over_cpus(cfg)


def rss_spreads_flows(cfg):
    """Flows land where Toeplitz and the table say, on every RX queue in use, and each RX
    queue counts the packets of its flows."""
    count = channels(cfg)[1]
    before = rx_queue_packets(cfg)
    landed = flows_follow_table(cfg)
    after = rx_queue_packets(cfg)
    ksft_pr("RX queue packets %s -> %s" % (before, after))
    ksft_eq(landed, set(range(count)), "the flows spread over every RX queue in use")
    for queue in range(count):
        ksft_true(after.get(queue, 0) - before.get(queue, 0) >= 40,
                  "RX queue %d counted the packets of its flows" % queue)


def rss_table_moves_flows(cfg):
    """`ethtool -X equal 1` sends every flow to queue 0, `weight 0 1` to queue 1, and then
    `-L combined 1` is refused."""
    sets = channels(cfg)
    defer(ethtool, "-X %s default" % cfg.ifname)
    ethtool("-X %s equal 1" % cfg.ifname)
    ksft_eq(set(cfg.ethnl.rss_get(cfg.ethnl_header)["indir"]), {0}, "table read back: all 0")
    ksft_eq(flows_follow_table(cfg, expect=0), {0}, "every flow on queue 0")
    ethtool("-X %s weight 0 1" % cfg.ifname)
    ksft_eq(set(cfg.ethnl.rss_get(cfg.ethnl_header)["indir"]), {1}, "table read back: all 1")
    ksft_eq(flows_follow_table(cfg, expect=1), {1}, "every flow on queue 1")
    # The operator's table names queue 1: ethtool keeps the channel that serves it.
    refused = set_channels(cfg, 1)
    ksft_true(refused is not None and refused.nl_msg.error == -22,
              "-L combined 1 refused while the table names queue 1")
    ksft_eq(channels(cfg), sets, "channels unchanged")
    ethtool("-X %s default" % cfg.ifname)
    ksft_eq(set(cfg.ethnl.rss_get(cfg.ethnl_header)["indir"]), set(range(sets[1])),
            "default: every queue in use")


def hash_fields(cfg):
    """`ethtool -n rx-flow-hash` per flow type: ours as the C e1000e reports it, and what
    the 82574's MRQC hashes."""
    ports = "L4 bytes 0 & 1"
    for flow in ("tcp4", "udp4", "sctp4", "tcp6", "udp6", "sctp6"):
        ours = ethtool("-n %s rx-flow-hash %s" % (cfg.ifname, flow)).stdout.strip()
        theirs = ethtool("-n %s rx-flow-hash %s" % (cfg.remote_ifname, flow),
                         host=cfg.remote).stdout.strip()
        ksft_eq(ours, theirs, "%s: as the C e1000e reports" % flow)
        ksft_true("IP SA" in ours and "IP DA" in ours, "%s: hashed by addresses" % flow)
        ksft_eq(ports in ours, flow.startswith("tcp"), "%s: ports hashed for TCP only" % flow)
    # The C e1000e knows AH and ESP only as one type; the 82574 hashes them by address.
    for flow in ("ah4", "esp6"):
        ours = ethtool("-n %s rx-flow-hash %s" % (cfg.ifname, flow)).stdout
        ksft_true("IP SA" in ours and ports not in ours, "%s: hashed by addresses" % flow)
    # Its fields are fixed: a change is refused, the same fields accepted.
    refused = ethnl_set(cfg, "rss", **{"flow-hash": {"udp4": {"ip-src", "ip-dst", "l4-b-0-1",
                                                              "l4-b-2-3"}}})
    ksft_true(refused is not None and refused.nl_msg.error == -22,
              "udp4 by ports: refused with EINVAL")
    ksft_true(refused is not None and refused.nl_msg.extack.get("msg"), "with a message")
    # Over the ioctl, which asks the driver even when nothing changes (netlink does not).
    ksft_eq(cmd("ethtool -N %s rx-flow-hash tcp4 sdfn" % cfg.ifname, fail=False).ret, 0,
            "tcp4 by ports, as it is: accepted")


def set_channels(cfg, count):
    """`ethtool -L combined COUNT` over netlink: None, or the NlError it was refused with."""
    return ethnl_set(cfg, "channels", **{"combined-count": count})


def channels_refused(cfg):
    """One channel more than the most, and none, are refused with EINVAL and a message;
    the count stays."""
    sets = channels(cfg)
    for count in (sets[0] + 1, 0):
        refused = set_channels(cfg, count)
        ksft_true(refused is not None and refused.nl_msg.error == -22,
                  "combined %d: refused with EINVAL" % count)
        ksft_true(refused is not None and refused.nl_msg.extack.get("msg"),
                  "combined %d: with a message" % count)
        ksft_eq(channels(cfg), sets, "channels unchanged")


def channels_under_traffic(cfg):
    """-L combined 1, then the most, then the count as found, under a ping flood and a
    TCP stream: the stream keeps crossing, no TX timeout, the vectors, NAPI contexts and
    page pools follow."""
    most, count = channels(cfg)
    defer(ethtool, "-L %s combined %d" % (cfg.ifname, count))
    ksft_true(answers_ping(cfg, 10), "ping passes before")
    timeouts = ethtool_stat(cfg.ifname, "tx_timeouts")

    iperf = Iperf3Runner(cfg)
    server = iperf.start_server()
    client = iperf.start_client(background=True, streams=2, duration=3600, reverse=True)
    flood = cmd("ping -f -q -w 3600 " + cfg.remote_addr_v["4"], background=True, fail=False)
    try:
        ksft_true(peer_receives(cfg, 1000, 20), "the stream reaches the peer")
        for sets in [1, most] + ([count] if count != most else []):
            ethtool("-L %s combined %d" % (cfg.ifname, sets))
            ksft_true(sets_in_use(cfg, sets, most),
                      "%d queue sets: vectors, NAPI, queues, pools follow" % sets)
            if sets > 1:
                # The stack dropped the XPS maps of the queues it stopped using: set again.
                spread_over_cpus(cfg)
            ksft_true(peer_receives(cfg, 1000, 20),
                      "the stream crosses on %d queue sets" % sets)
    finally:
        flood.process(terminate=True, fail=False)
        client.process(terminate=True, fail=False)
        server.process(terminate=True, fail=False)
    ksft_eq(ethtool_stat(cfg.ifname, "tx_timeouts"), timeouts, "TX timeouts")
    ksft_true(answers_ping(cfg, 5), "ping passes after")


def channels_while_down(cfg):
    """-L combined 1 and back while the interface is down: up again, every set is in use
    and each CPU transmits through its vectors' queues again (the stack dropped the XPS
    maps of the queues it stopped using with the count)."""
    most, count = channels(cfg)
    defer(ip, "link set dev %s up" % cfg.ifname)
    defer(ethtool, "-L %s combined %d" % (cfg.ifname, count))
    ip("link set dev %s down" % cfg.ifname)
    ethtool("-L %s combined 1" % cfg.ifname)
    ksft_eq(channels(cfg), (most, 1), "down: 1 channel of %d" % most)
    ethtool("-L %s combined %d" % (cfg.ifname, count))
    ip("link set dev %s up" % cfg.ifname)
    ksft_true(sets_in_use(cfg, count, most), "up: %d queue sets" % count)
    spread_over_cpus(cfg)
    ksft_true(answers_ping(cfg, 10), "ping passes")


def main():
    run_on_pair(__file__, "e1000e", [two_queue_sets, rss_spreads_flows, rss_table_moves_flows,
                                     hash_fields, channels_refused, channels_under_traffic,
                                     channels_while_down])


if __name__ == "__main__":
    main()
