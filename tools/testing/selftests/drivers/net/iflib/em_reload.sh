#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unloading iflib_em under traffic in both directions and loading it again,
# ROUNDS times: every unload finishes, the interface comes back with its
# link each time, traffic passes at the end, and the kernel logs no warning.
# (The harness's kmemleak scan after all tests catches what leaked.)

. "$(dirname "$0")/lib.sh"

MODEL=${MODEL:-e1000}
ROUNDS=${ROUNDS:-20}

ktap_print_header
find_pair "$MODEL"
ktap_set_plan 5

LOADS=()
cleanup() {
	for pid in "${LOADS[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	ip netns exec "$REMOTE_NS" sh -c "echo stop >/proc/net/pktgen/pgctrl" 2>/dev/null
	cleanup_remote
	rmmod pktgen 2>/dev/null
	release_dut iflib_em
}
trap cleanup EXIT

# Brings the DUT (back) up with its address; waits for the carrier.
dut_up() {
	DUT=$(wait_ifname "$DUT_MAC" 10) || return 1
	ip addr add "$LOCAL_V4/24" dev "$DUT" 2>/dev/null
	ip link set "$DUT" up
	wait_carrier "$DUT" 10
}

modprobe pktgen || ktap_exit_fail_msg "cannot load pktgen"
bind_dut "$MODEL" e1000 iflib_em || ktap_exit_fail_msg "iflib_em did not take the DUT"
setup_pair "$MODEL" || ktap_exit_fail_msg "the $MODEL pair did not come up"
kmsg_mark
sleep 2

# RX load: the peer streams small frames at the DUT's MAC until stopped.
pg=/proc/net/pktgen/$PEER
ip netns exec "$REMOTE_NS" sh -c "
	echo rem_device_all >/proc/net/pktgen/kpktgend_1
	echo 'add_device $PEER' >/proc/net/pktgen/kpktgend_1
	for c in 'count 0' 'pkt_size 60' 'ratep 20000' 'dst_mac $DUT_MAC' \
		'dst 198.51.100.2' 'src_min 198.51.100.1' 'src_max 198.51.100.1'; do
		echo \"\$c\" >$pg
	done
	echo start >/proc/net/pktgen/pgctrl" &
LOADS+=($!)
# TX load: pings as fast as the DUT answers, restarted while it is away.
(while :; do ping -q -c 500 -i 0.002 -W 1 "$REMOTE_V4" >/dev/null 2>&1 || sleep 0.1; done) &
LOADS+=($!)
sleep 1

# Waits up to 5 s until the DUT has received 200 frames since it came up.
traffic_flows() {
	local i
	for i in $(seq 50); do
		[ "$(counter "$DUT" rx_packets)" -ge 200 ] && return 0
		sleep 0.1
	done
	return 1
}

unloaded=0 back=0 busy=0
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

[ "$busy" = "$ROUNDS" ] && ktap_test_pass "traffic was flowing at every unload" ||
	ktap_test_fail "traffic was flowing at every unload (got $busy)"

[ "$unloaded" = "$ROUNDS" ] && ktap_test_pass "rmmod under traffic, $ROUNDS times" ||
	ktap_test_fail "rmmod under traffic, $ROUNDS times (got $unloaded)"
[ "$back" = "$ROUNDS" ] && ktap_test_pass "interface and link back after every load" ||
	ktap_test_fail "interface and link back after every load (got $back)"

for pid in "${LOADS[@]}"; do kill "$pid" 2>/dev/null; done
ip netns exec "$REMOTE_NS" sh -c "echo stop >/proc/net/pktgen/pgctrl"
sleep 2
if ping -c 3 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null; then
	ktap_test_pass "IPv4 ping after the last load"
else
	ktap_test_fail "IPv4 ping after the last load"
fi
bad=$(kmsg_since_mark | grep -E "WARNING|BUG|Oops|leak|refcount" | head -5)
[ -z "$bad" ] && ktap_test_pass "kernel log clean" || {
	echo "$bad" | sed 's/^/# /'
	ktap_test_fail "kernel log clean"
}

ktap_finished
