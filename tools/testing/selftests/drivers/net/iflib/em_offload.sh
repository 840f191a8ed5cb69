#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Checksum and segmentation offloads of iflib_em, on every em model against
# the C driver on the peer (which checks every checksum it receives in
# software or hardware):
#  - scatter-gather, checksum insertion, TSO and RX checksum are on;
#  - TCP from the DUT goes out as TSO packets, arrives intact, nothing is
#    linearized; over IPv6 too on the 82574 (e1000e), which segments it,
#    while the 8254x models leave it to software;
#  - TCP to the DUT arrives intact; the hardware's checksum verdicts are
#    counted (the e1000e model verifies, the 8254x models report that they
#    did not check);
#  - UDP datagrams with a bad checksum are dropped and counted by the
#    DUT's UDP layer, good ones delivered;
#  - with each offload switched off through ethtool -K, TCP still arrives
#    intact and the offload is no longer used.

. "$(dirname "$0")/lib.sh"

CHECKS=13

ktap_print_header

feature() { # NAME: its state in ethtool -k
	ethtool -k "$DUT" | awk -v f="$1:" '$1 == f { print $2 }'
}

# One UDP datagram from the remote end to port 5002 of the DUT, with a
# correct checksum, or a wrong one when $1 is "bad". Raw IP sockets send
# it as written: no checksum offload on the way.
send_udp() {
	local sum=0 w payload=(0x6162 0x6364)
	# Pseudo-header (remote -> DUT addresses, protocol, length), header, data.
	for w in 0xc000 0x0302 0xc000 0x0301 17 12 4000 5002 12 "${payload[@]}"; do
		sum=$((sum + w))
	done
	while [ $((sum >> 16)) != 0 ]; do sum=$(((sum & 0xffff) + (sum >> 16))); done
	sum=$((~sum & 0xffff))
	[ "$1" = bad ] && sum=$(((sum + 1) & 0xffff))
	printf "$(printf '\\x%02x' 0x0f 0xa0 0x13 0x8a 0 12 $((sum >> 8)) $((sum & 0xff)))abcd" |
		ip netns exec "$REMOTE_NS" socat -u STDIN "IP4-SENDTO:$LOCAL_V4:17"
}

# Sends 20 bad and 5 good datagrams; true when the DUT's UDP layer counted
# the 20 as checksum errors and delivered exactly the 5, and the driver
# counted the 20 as bad where the model checks (e1000e).
bad_checksums_dropped() {
	local errors0 errors got i out bad0 bad expected_bad=0
	[ "$MODEL" = e1000e ] && expected_bad=20
	out=$(mktemp)
	errors0=$(snmp_counter Udp InCsumErrors)
	bad0=$(ethtool_stat "$DUT" rx_csum_bad)
	timeout 8 socat -u UDP4-RECV:5002 STDOUT >"$out" &
	sleep 0.5
	for i in $(seq 20); do send_udp bad; done
	for i in $(seq 5); do send_udp good; done
	sleep 1
	errors=$(($(snmp_counter Udp InCsumErrors) - errors0))
	got=$(wc -c <"$out")
	kill %% 2>/dev/null
	wait 2>/dev/null
	rm -f "$out"
	bad=$(($(ethtool_stat "$DUT" rx_csum_bad) - bad0))
	echo "# UDP: InCsumErrors +$errors, $got bytes delivered (20 bad, 5 good of 4 bytes)," \
		"rx_csum_bad +$bad"
	[ "$errors" = 20 ] && [ "$got" = 20 ] && [ "$bad" = "$expected_bad" ]
}

# The TCP checks of test_model, then the RX checksum verdicts: the e1000e
# model verifies TCP checksums (nearly every frame received is verified),
# the 8254x models report they checked nothing (none is claimed).
rx_verdicts_consistent() { # frames received, frames verified
	echo "# RX: $1 frames, $2 with a verified checksum"
	if [ "$MODEL" = e1000e ]; then
		[ "$2" -ge $(($1 * 9 / 10)) ] && [ "$2" -le "$1" ]
	else
		[ "$2" = 0 ]
	fi
}

test_model() {
	local tso0 tso lin0 lin rx0 ok0 rx ok want tso6
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	sleep 2

	echo "# sg $(feature scatter-gather), tx-csum $(feature tx-checksumming)," \
		"tso $(feature tcp-segmentation-offload), rx-csum $(feature rx-checksumming)"
	ktap_check "scatter-gather, tx/rx checksumming and TSO on" \
		[ "$(feature scatter-gather)" = on -a "$(feature tx-checksumming)" = on -a \
		"$(feature tcp-segmentation-offload)" = on -a "$(feature rx-checksumming)" = on ]

	tso0=$(ethtool_stat "$DUT" tx_tso)
	lin0=$(ethtool_stat "$DUT" tx_linearized)
	ktap_check "16 MiB TCP from the DUT with all offloads, intact" \
		tcp_transfer "" "$REMOTE_NS" "$REMOTE_V4"
	tso=$(ethtool_stat "$DUT" tx_tso)
	lin=$(ethtool_stat "$DUT" tx_linearized)
	echo "# tx_tso $tso0 -> $tso, tx_linearized $lin0 -> $lin"
	ktap_check "TSO used, nothing linearized" [ "$tso" -gt "$tso0" -a "$lin" = "$lin0" ]

	want=off
	[ "$MODEL" = e1000e ] && want=on
	tso6=$(feature tx-tcp6-segmentation)
	tso0=$(ethtool_stat "$DUT" tx_tso)
	ktap_check "IPv6 TSO $want ($tso6); 16 MiB TCP over IPv6 from the DUT, intact" \
		eval '[ "$tso6" = "$want" ] && tcp_transfer "" "$REMOTE_NS" "$REMOTE_V6"'
	tso=$(ethtool_stat "$DUT" tx_tso)
	if [ "$want" = on ]; then
		ktap_check "IPv6 TSO used ($tso0 -> $tso)" [ "$tso" -gt "$tso0" ]
	else
		ktap_check "IPv6 segmented in software ($tso0 -> $tso)" [ "$tso" = "$tso0" ]
	fi

	rx0=$(counter "$DUT" rx_packets)
	ok0=$(ethtool_stat "$DUT" rx_csum_verified)
	ktap_check "16 MiB TCP to the DUT, intact" tcp_transfer "$REMOTE_NS" "" "$LOCAL_V4"
	rx=$(($(counter "$DUT" rx_packets) - rx0))
	ok=$(($(ethtool_stat "$DUT" rx_csum_verified) - ok0))
	ktap_check "RX checksum verdicts as the model reports them" rx_verdicts_consistent "$rx" "$ok"
	ktap_check "bad UDP checksums dropped and counted, good ones delivered" \
		bad_checksums_dropped

	ethtool -K "$DUT" rx off
	ok0=$(ethtool_stat "$DUT" rx_csum_verified)
	ktap_check "rx off: 16 MiB TCP to the DUT, intact" \
		tcp_transfer "$REMOTE_NS" "" "$LOCAL_V4"
	ok=$(ethtool_stat "$DUT" rx_csum_verified)
	ktap_check "rx off: no verdict trusted ($ok0 -> $ok)" [ "$ok" = "$ok0" ]

	ethtool -K "$DUT" tso off
	tso0=$(ethtool_stat "$DUT" tx_tso)
	ktap_check "tso off: 16 MiB TCP from the DUT, intact" \
		tcp_transfer "" "$REMOTE_NS" "$REMOTE_V4"
	tso=$(ethtool_stat "$DUT" tx_tso)
	ktap_check "tso off: no TSO packet ($tso0 -> $tso)" [ "$tso" = "$tso0" ]
	ethtool -K "$DUT" tx off
	ktap_check "tx off: intact with checksums computed in software" \
		tcp_transfer "" "$REMOTE_NS" "$REMOTE_V4"
}

cleanup() {
	cleanup_remote
	release_dut iflib_em
}
trap cleanup EXIT

for_each_em_model "$CHECKS" test_model cleanup
