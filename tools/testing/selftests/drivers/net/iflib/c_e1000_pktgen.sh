#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Reference for the Rust drivers: the in-tree C e1000 sends 10,000 pktgen
# frames of 60 bytes to its peer across a QEMU hub, and the peer counts
# every one of them.

. "$(dirname "$0")/lib.sh"

COUNT=10000
RATE=10000 # frames per second

ktap_print_header
find_pair e1000
ktap_set_plan 4

cleanup() {
	[ -n "$DUT" ] && echo "rem_device_all" >/proc/net/pktgen/kpktgend_0 2>/dev/null
	cleanup_remote
	rmmod pktgen 2>/dev/null
}
trap cleanup EXIT

modprobe e1000 && modprobe pktgen || ktap_exit_fail_msg "cannot load e1000 and pktgen"
DUT=$(wait_ifname "$DUT_MAC" 10) && PEER=$(wait_ifname "$PEER_MAC" 10) ||
	ktap_exit_fail_msg "e1000 interfaces did not appear"
sysctl -qw "net.ipv6.conf.$DUT.disable_ipv6=1"
move_to_remote "$PEER"
ip link set "$DUT" up
ip -n "$REMOTE_NS" link set "$PEER" up

if wait_carrier "$DUT" 10 && wait_carrier "$PEER" 10 "$REMOTE_NS"; then
	ktap_test_pass "link up on both ends"
else
	ktap_test_fail "link up on both ends"
fi

# QEMU's e1000 model holds RX back for a second after every RCTL write
# (ring resize, multicast list, link up) and queues what arrives meanwhile;
# when the driver refills the ring it flushes that queue and drops every
# frame the ring has no room for. Under TCG an unpaced pktgen outruns any
# receiver, so this correctness test paces the sender at RATE, gives the
# peer its largest ring to absorb scheduling hiccups and lets the RCTL hold
# expire before sending. Speed is the benchmark's business, not this test's.
ip netns exec "$REMOTE_NS" ethtool -G "$PEER" rx 4096
wait_carrier "$PEER" 10 "$REMOTE_NS"
sleep 2
tx0=$(counter "$DUT" tx_packets)
rx0=$(counter "$PEER" rx_packets "$REMOTE_NS")

echo "rem_device_all" >/proc/net/pktgen/kpktgend_0
echo "add_device $DUT" >/proc/net/pktgen/kpktgend_0
pg=/proc/net/pktgen/$DUT
for cmd in "count $COUNT" "pkt_size 60" "ratep $RATE" "clone_skb 0" \
	"dst_mac $PEER_MAC" "dst 198.51.100.2" "src_min 198.51.100.1" "src_max 198.51.100.1"; do
	echo "$cmd" >"$pg"
done
echo start >/proc/net/pktgen/pgctrl
result=$(grep -A1 "^Result:" "$pg")
echo "# pktgen: $(echo $result)"
if echo "$result" | grep -q "^Result: OK:.* $COUNT (60byte"; then
	ktap_test_pass "pktgen sent $COUNT frames"
else
	ktap_test_fail "pktgen sent $COUNT frames"
fi

# The peer may still be draining QEMU's queue: wait until its count has
# not moved for a second.
prev=-1 still=0
for i in $(seq 100); do
	rx=$(($(counter "$PEER" rx_packets "$REMOTE_NS") - rx0))
	[ "$rx" = "$prev" ] && still=$((still + 1)) || still=0
	[ "$rx" -ge "$COUNT" ] || [ "$still" -ge 15 ] && break
	prev=$rx
	sleep 0.2
done
tx=$(($(counter "$DUT" tx_packets) - tx0))
echo "# DUT $DUT tx_packets +$tx, peer $PEER rx_packets +$rx"
[ "$tx" = "$COUNT" ] && ktap_test_pass "DUT counted $COUNT sent" ||
	ktap_test_fail "DUT counted $COUNT sent (got $tx)"
if [ "$rx" = "$COUNT" ]; then
	ktap_test_pass "peer received all $COUNT"
else
	ktap_test_fail "peer received all $COUNT (got $rx)"
	ip netns exec "$REMOTE_NS" ethtool -S "$PEER" | grep -v ': 0$' | sed 's/^/# /'
fi

ktap_finished
