#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Jumbo frames and MTU changes on iflib_em against the C driver, on every
# em model in the VM (QEMU's e1000 variants and e1000e all take jumbo
# frames): MTU 9000 is accepted and read back, 9000-byte frames cross both
# ways unfragmented, a TCP stream (16 MiB, 4 on the debug kernel) arrives intact over frames that
# span several RX buffers, the MTU goes 1500 -> 9000 -> 1500 under traffic
# and traffic still passes, an MTU above the hardware's is refused, and
# no RX error or drop is counted.

. "$(dirname "$0")/lib.sh"

CHECKS=7
LOAD=

cleanup_model() {
	[ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null
	wait 2>/dev/null
	LOAD=
	cleanup_remote
	release_dut iflib_em
}

set_mtu() { # MTU: both ends, then wait out the link and QEMU's RX hold
	ip link set "$DUT" mtu "$1" &&
		ip -n "$REMOTE_NS" link set "$PEER" mtu "$1" &&
		wait_carrier "$DUT" 10 && wait_carrier "$PEER" 10 "$REMOTE_NS" &&
		sleep 2
}

test_model() {
	local ok mtu before err errors
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	sleep 2

	set_mtu 9000
	ktap_check "MTU 9000 accepted and read back" [ "$(cat "/sys/class/net/$DUT/mtu")" = 9000 ]
	ktap_check "9000-byte IPv4 frames DUT -> remote, unfragmented" \
		ping -M do -s 8972 -c 3 -i 0.2 -W 2 "$REMOTE_V4"
	ktap_check "9000-byte IPv4 frames remote -> DUT, unfragmented" \
		ip netns exec "$REMOTE_NS" ping -M do -s 8972 -c 3 -i 0.2 -W 2 "$LOCAL_V4"

	ktap_check "TCP stream at MTU 9000 arrives intact" \
		tcp_transfer "$REMOTE_NS" "" "$LOCAL_V4"

	# Background pings while the MTU changes under them.
	ping -q -i 0.01 -W 1 "$REMOTE_V4" >/tmp/iflib_mtu_ping 2>&1 &
	LOAD=$!
	ok=yes
	for mtu in 1500 9000 1500; do
		set_mtu "$mtu" || ok=no
	done
	kill -INT "$LOAD"
	wait "$LOAD"
	LOAD=
	grep -E "packets transmitted" /tmp/iflib_mtu_ping | sed 's/^/# /'
	ping -c 3 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null || ok=no
	ktap_check "MTU 1500 -> 9000 -> 1500 under traffic, pings answered after" [ $ok = yes ]

	before=$(cat "/sys/class/net/$DUT/mtu")
	err=$(ip link set "$DUT" mtu 20000 2>&1)
	echo "# mtu 20000: $err"
	ktap_check "MTU 20000 refused, MTU unchanged" \
		[ -n "$err" -a "$(cat "/sys/class/net/$DUT/mtu")" = "$before" ]

	errors=$(ethtool -S "$DUT" |
		awk '$1 == "rx_errors:" || $1 == "rx_dropped:" { s += $2 } END { print s + 0 }')
	ktap_check "no RX errors or drops counted (got $errors)" [ "$errors" = 0 ]
}

ktap_print_header
trap cleanup_model EXIT
for_each_em_model "$CHECKS" test_model cleanup_model
