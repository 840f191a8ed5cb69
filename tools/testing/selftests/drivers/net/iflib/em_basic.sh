#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The em driver (iflib_em) on every em model against the in-tree C driver
# on the peer: the link comes up, ping works both ways over IPv4 and IPv6,
# 10,000 pktgen frames cross in each direction and both ends count them,
# ethtool reads back and refuses bad ring sizes; the e1000e model (82574L)
# runs on two MSI-X vectors (queue set, link), the 8254x models on one.

. "$(dirname "$0")/lib.sh"

CHECKS=14
COUNT=$(by_kernel 2000 10000)
RATE=10000 # frames per second: see c_e1000_pktgen.sh
# IPv6 neighbour and multicast listener traffic may add a few frames to a
# direction's counters while pktgen runs (6 seen on the debug kernel, whose
# transfer takes longer); a lost frame shows as less than COUNT.
NOISE=16

ktap_print_header

trap 'em_cleanup; rmmod pktgen 2>/dev/null' EXIT

# interrupt_layout: the DUT's lines in /proc/interrupts: on the e1000e model
# two MSI-X vectors, "<ifname>-TxRx-0" for the queue set and "<ifname>" for
# the admin causes; one line "<ifname>" (maybe shared) on the others. The
# queue set's has fired.
interrupt_layout() {
	local queue admin count
	queue=$(grep -E "[ ,]$DUT-TxRx-0(,|\$)" /proc/interrupts)
	admin=$(grep -E "[ ,]$DUT(,|\$)" /proc/interrupts)
	printf '%s\n%s\n' "$queue" "$admin" | grep . | sed 's/  */ /g; s/^/# /'
	if [ "$MODEL" = e1000e ]; then
		[ "$(echo "$queue" | grep -c MSIX)" = 1 ] &&
			[ "$(echo "$admin" | grep -c MSIX)" = 1 ] || return 1
	else
		[ -z "$queue" ] && [ "$(echo "$admin" | grep -c .)" = 1 ] || return 1
		queue=$admin
	fi
	count=$(echo "$queue" | awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; print n + 0 }')
	[ "$count" -gt 0 ]
}

# counted SENT RECEIVED: nothing lost, at most NOISE frames besides pktgen's.
counted() {
	[ "$1" -ge "$COUNT" ] && [ "$1" -le $((COUNT + NOISE)) ] &&
		[ "$2" -ge "$COUNT" ] && [ "$2" -le $((COUNT + NOISE)) ]
}

test_model() {
	local tx0 rx0 tx rx es ss ss2 regs ring dump_ok err rc refused
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	ktap_check "link up on both ends" setup_pair "$MODEL"
	ktap_check "DUT is driven by iflib_em" [ "$(driver_of "$DUT")" = iflib_em ]
	ethtool -i "$DUT" | sed 's/^/# /'
	ktap_check "ethtool -i reports driver iflib_em" \
		grep -qx "driver: iflib_em" <(ethtool -i "$DUT")

	# Also lets QEMU's one-second RX hold after RCTL writes expire.
	deep_rx_rings
	ktap_check "IPv4 ping DUT -> remote" ping -c 3 -i 0.2 -W 2 "$REMOTE_V4"
	ktap_check "IPv4 ping remote -> DUT" ip netns exec "$REMOTE_NS" ping -c 3 -i 0.2 -W 2 "$LOCAL_V4"
	ktap_check "IPv6 ping DUT -> remote" ping -6 -c 3 -i 0.2 -W 2 "$REMOTE_V6"

	tx0=$(counter "$DUT" tx_packets)
	rx0=$(counter "$PEER" rx_packets "$REMOTE_NS")
	pktgen_send "$DUT" "$PEER_MAC"
	rx=$(settle "$PEER" rx_packets "$REMOTE_NS" "$rx0")
	tx=$(($(counter "$DUT" tx_packets) - tx0))
	echo "# TX: DUT tx_packets +$tx, peer rx_packets +$rx"
	ktap_check "$COUNT frames sent by iflib_em, counted on both ends" counted "$tx" "$rx"

	rx0=$(counter "$DUT" rx_packets)
	tx0=$(counter "$PEER" tx_packets "$REMOTE_NS")
	pktgen_send "$PEER" "$DUT_MAC" "$REMOTE_NS" 1
	rx=$(settle "$DUT" rx_packets "" "$rx0")
	tx=$(($(counter "$PEER" tx_packets "$REMOTE_NS") - tx0))
	echo "# RX: peer tx_packets +$tx, DUT rx_packets +$rx"
	ktap_check "$COUNT frames received by iflib_em, counted on both ends" counted "$tx" "$rx"

	ktap_check "interrupt vectors as the model offers them, queue vector used" \
		interrupt_layout

	# A stray frame may land between two reads: stats64 before and after.
	ss=$(counter "$DUT" rx_packets)
	es=$(ethtool_stat "$DUT" rx_packets)
	ss2=$(counter "$DUT" rx_packets)
	echo "# stats64 rx_packets $ss, ethtool -S rx_packets $es, stats64 again $ss2"
	ktap_check "ethtool -S rx_packets agrees with the stack's counter" \
		within "$es" "$ss" "$ss2"

	# ethtool -d: CTRL STATUS RCTL TCTL TIPG ITR, then base low/high, length,
	# head, tail of the RX ring and of the TX ring.
	regs=($(register_dump "$DUT"))
	ring=($(ethtool -g "$DUT" | sed -n '/^Current/,$p' | awk '/^(RX|TX):/ {print $2}'))
	echo "# ${#regs[@]} registers: STATUS ${regs[1]}, RCTL ${regs[2]}, RDLEN ${regs[8]}, TDLEN ${regs[13]}; rings ${ring[*]}"
	dump_ok=no
	[ ${#regs[@]} = 16 ] && [ $((regs[1] & 2)) != 0 ] && [ $((regs[2] & 2)) != 0 ] &&
		[ "${regs[8]}" = $((ring[0] * 16)) ] && [ "${regs[13]}" = $((ring[1] * 16)) ] && dump_ok=yes
	ktap_check "ethtool -d: link up, RX enabled, ring lengths match ethtool -g" [ $dump_ok = yes ]

	ethtool -G "$DUT" rx 512 tx 512
	ring=$(ethtool -g "$DUT" | sed -n '/^Current/,$p' | awk '/^(RX|TX):/ {print $2}' | tr '\n' ' ')
	ktap_check "ethtool -G rx 512 tx 512 reads back" [ "$ring" = "512 512 " ]
	wait_carrier "$DUT" 10
	sleep 2
	ktap_check "IPv4 ping after the ring change" ping -c 3 -i 0.2 -W 2 "$REMOTE_V4"
	err=$(ethtool -G "$DUT" rx 7 2>&1)
	rc=$?
	echo "# ethtool -G rx 7: rc=$rc $err"
	refused=no
	[ $rc -ne 0 ] && echo "$err" | grep -q "RX ring size" &&
		echo "$err" | grep -qi "invalid argument" && refused=yes
	ktap_check "ethtool -G rx 7 is refused with EINVAL and a message" [ $refused = yes ]
}

modprobe pktgen || ktap_exit_fail_msg "cannot load pktgen"
for_each_em_model "$CHECKS" test_model em_cleanup
