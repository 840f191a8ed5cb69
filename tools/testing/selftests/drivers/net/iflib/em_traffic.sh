#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Volume on every em model, iflib_em on the DUT against the C driver on
# the peer, in both directions:
#  - 100,000 small UDP datagrams (pktgen, 60-byte frames): the sender's
#    tx_packets, the receiver's rx_packets and the receiver's UDP layer
#    (NoPorts: nobody listens) all count them, none lost;
#  - 1 GiB over TCP arrives intact (SHA-1 on both ends) and the frame
#    counters of both ends agree.
#
# QEMU quirks the TCP counter checks allow for: the 8254x models send one
# extra header-only frame after a TSO packet whose payload is a whole
# number of segments (so the receiver may count up to one frame per TSO
# packet more than the sender), and the e1000e model's hardware counts a
# TSO packet as one frame, which is what the C e1000e reports as tx_packets
# (so the peer's TCP segment counter stands in for it).

. "$(dirname "$0")/lib.sh"

CHECKS=6
COUNT=100000
RATE=10000 # frames per second: see c_e1000_pktgen.sh
MIB=1024
# Frames that are not the test's own (IPv6 neighbour discovery, a window
# update) may add a few to a direction's counters.
NOISE=20

ktap_print_header

# udp_counted SENT RECEIVED UDP: nothing lost, the UDP layer saw exactly
# COUNT datagrams.
udp_counted() {
	within "$1" "$COUNT" $((COUNT + NOISE)) && within "$2" "$COUNT" $((COUNT + NOISE)) &&
		[ "$3" = "$COUNT" ]
}

# The peer's count of frames it sent: its hardware counter on the 8254x
# models (it sees the extra frames), the segments its TCP sent on e1000e:
# OutSegs leaves out retransmissions (tail loss probes and timeouts, which a
# descheduled TCG vCPU provokes), which RetransSegs counts.
peer_tx_frames() {
	if [ "$MODEL" = e1000e ]; then
		echo $(($(snmp_counter Tcp OutSegs "$REMOTE_NS") +
			$(snmp_counter Tcp RetransSegs "$REMOTE_NS")))
	else
		ethtool_stat "$PEER" tx_packets "$REMOTE_NS"
	fi
}

test_model() {
	local tx0 rx0 udp0 tx rx udp tso0 tso extra
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	deep_rx_rings || return

	tx0=$(counter "$DUT" tx_packets)
	rx0=$(counter "$PEER" rx_packets "$REMOTE_NS")
	udp0=$(snmp_counter Udp NoPorts "$REMOTE_NS")
	pktgen_send "$DUT" "$PEER_MAC" "" 0 "$REMOTE_V4" "$LOCAL_V4"
	rx=$(settle "$PEER" rx_packets "$REMOTE_NS" "$rx0")
	tx=$(($(counter "$DUT" tx_packets) - tx0))
	udp=$(($(snmp_counter Udp NoPorts "$REMOTE_NS") - udp0))
	echo "# UDP out: DUT tx_packets +$tx, peer rx_packets +$rx, peer Udp NoPorts +$udp"
	ktap_check "$COUNT UDP datagrams DUT -> remote, counted by both ends and UDP" \
		udp_counted "$tx" "$rx" "$udp"

	rx0=$(counter "$DUT" rx_packets)
	tx0=$(counter "$PEER" tx_packets "$REMOTE_NS")
	udp0=$(snmp_counter Udp NoPorts)
	pktgen_send "$PEER" "$DUT_MAC" "$REMOTE_NS" 1 "$LOCAL_V4" "$REMOTE_V4"
	rx=$(settle "$DUT" rx_packets "" "$rx0")
	tx=$(($(counter "$PEER" tx_packets "$REMOTE_NS") - tx0))
	udp=$(($(snmp_counter Udp NoPorts) - udp0))
	echo "# UDP in: peer tx_packets +$tx, DUT rx_packets +$rx, DUT Udp NoPorts +$udp"
	ktap_check "$COUNT UDP datagrams remote -> DUT, counted by both ends and UDP" \
		udp_counted "$tx" "$rx" "$udp"

	tx0=$(counter "$DUT" tx_packets)
	rx0=$(counter "$PEER" rx_packets "$REMOTE_NS")
	tso0=$(ethtool_stat "$DUT" tx_tso)
	ktap_check "1 GiB TCP DUT -> remote, intact" \
		tcp_transfer "" "$REMOTE_NS" "$REMOTE_V4" "$MIB"
	sleep 1
	tx=$(($(counter "$DUT" tx_packets) - tx0))
	rx=$(($(counter "$PEER" rx_packets "$REMOTE_NS") - rx0))
	tso=$(($(ethtool_stat "$DUT" tx_tso) - tso0))
	extra=0
	[ "$MODEL" = e1000e ] || extra=$tso
	echo "# TCP out: DUT tx_packets +$tx (+$tso TSO packets), peer rx frames +$rx"
	ktap_check "TCP out: the peer received every frame the DUT counted" \
		within "$rx" $((tx - NOISE)) $((tx + extra + NOISE))

	# The C drivers refresh their hardware counters every two seconds.
	sleep 3
	rx0=$(counter "$DUT" rx_packets)
	tx0=$(peer_tx_frames)
	ktap_check "1 GiB TCP remote -> DUT, intact" \
		tcp_transfer "$REMOTE_NS" "" "$LOCAL_V4" "$MIB"
	sleep 3
	rx=$(($(counter "$DUT" rx_packets) - rx0))
	tx=$(($(peer_tx_frames) - tx0))
	echo "# TCP in: peer tx frames +$tx, DUT rx_packets +$rx"
	ktap_check "TCP in: the DUT counted every frame the peer sent" \
		within "$rx" $((tx - NOISE)) $((tx + NOISE))
}

trap 'em_cleanup; rmmod pktgen 2>/dev/null' EXIT

modprobe pktgen || ktap_exit_fail_msg "cannot load pktgen"
for_each_em_model "$CHECKS" test_model em_cleanup
