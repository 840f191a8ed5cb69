#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unloading iflib_em under traffic in both directions and loading it again,
# ROUNDS times on every em model: every unload finishes, the interface comes
# back with its link each time, traffic passes at the end, and the kernel
# logs no warning. (The harness's kmemleak scan after all tests catches
# what leaked.)

. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-20}

ktap_print_header

LOADS=()
stop_loads() {
	for pid in "${LOADS[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	LOADS=()
	ip netns exec "$REMOTE_NS" sh -c "echo stop >/proc/net/pktgen/pgctrl" 2>/dev/null
}

cleanup() {
	stop_loads
	em_cleanup
}
trap 'cleanup; rmmod pktgen 2>/dev/null' EXIT

# Brings the DUT (back) up with its address; waits for the carrier.
dut_up() {
	DUT=$(wait_ifname "$DUT_MAC" 10) || return 1
	ip addr add "$LOCAL_V4/24" dev "$DUT" 2>/dev/null
	ip link set "$DUT" up
	wait_carrier "$DUT" 10
}

# Starts the loads: the peer streams small frames at the DUT's MAC until
# stopped (RX), the DUT pings as fast as the peer answers, restarting while
# it is away (TX).
start_loads() {
	local pg=/proc/net/pktgen/$PEER
	ip netns exec "$REMOTE_NS" sh -c "
		echo rem_device_all >/proc/net/pktgen/kpktgend_1
		echo 'add_device $PEER' >/proc/net/pktgen/kpktgend_1
		for c in 'count 0' 'pkt_size 60' 'ratep 20000' 'dst_mac $DUT_MAC' \
			'dst 198.51.100.2' 'src_min 198.51.100.1' 'src_max 198.51.100.1'; do
			echo \"\$c\" >$pg
		done
		echo start >/proc/net/pktgen/pgctrl" &
	LOADS+=($!)
	(while :; do ping -q -c 500 -i 0.002 -W 1 "$REMOTE_V4" >/dev/null 2>&1 || sleep 0.1; done) &
	LOADS+=($!)
	sleep 1
}

# Waits up to 5 s until the DUT has received 200 frames since it came up.
traffic_flows() {
	local i
	for i in $(seq 50); do
		[ "$(counter "$DUT" rx_packets)" -ge 200 ] && return 0
		sleep 0.1
	done
	return 1
}

test_model() {
	local unloaded=0 back=0 busy=0 round rx bad
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	kmsg_mark
	sleep 2
	start_loads

	for round in $(seq "$ROUNDS"); do
		traffic_flows && busy=$((busy + 1))
		rx=$(counter "$DUT" rx_packets)
		if timeout 20 rmmod iflib_em; then
			unloaded=$((unloaded + 1))
		else
			echo "# round $round: rmmod failed or hung"
			break
		fi
		modprobe iflib_em || break
		if dut_up; then
			back=$((back + 1))
		else
			echo "# round $round: $DUT_MAC did not come back with its link"
			break
		fi
		echo "# round $round: unloaded after receiving $rx frames"
	done

	ktap_check "traffic was flowing at every unload ($busy of $ROUNDS)" [ "$busy" = "$ROUNDS" ]
	ktap_check "rmmod under traffic, $ROUNDS times ($unloaded)" [ "$unloaded" = "$ROUNDS" ]
	ktap_check "interface and link back after every load ($back)" [ "$back" = "$ROUNDS" ]
	stop_loads
	sleep 2
	ktap_check "IPv4 ping after the last load" ping -q -c 3 -i 0.2 -W 2 "$REMOTE_V4"
	bad=$(kmsg_since_mark | grep -E "WARNING|BUG|Oops|leak|refcount" | head -5)
	echo "$bad" | grep . | sed 's/^/# /'
	ktap_check "kernel log clean" [ -z "$bad" ]
}

modprobe pktgen || ktap_exit_fail_msg "cannot load pktgen"
for_each_em_model 5 test_model cleanup
