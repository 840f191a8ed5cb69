#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Receive filtering on iflib_em, on every em model in the VM (QEMU filters
# in the model, as the silicon does): frames for another unicast address
# are dropped unless the interface is promiscuous; frames for a multicast
# group arrive only once the group is joined, or in all-multicast mode.
# The filter outlives a restart of the hardware (a ring size change resets
# the MAC, which clears its multicast table).

. "$(dirname "$0")/lib.sh"

COUNT=200
RATE=2000
NOISE=5 # IPv6 neighbour and listener frames that may arrive meanwhile
FOREIGN=02:00:00:00:00:99
GROUP=01:00:5e:01:02:03 # 239.1.2.3; its table bit is used by no other group here
GROUP2=01:00:5e:07:08:09

CHECKS=10

cleanup_model() {
	ip netns exec "$REMOTE_NS" sh -c "echo rem_device_all >/proc/net/pktgen/kpktgend_1" 2>/dev/null
	cleanup_remote
	release_dut iflib_em
}

# received DST_MAC: frames the DUT counts when the peer sends COUNT to DST_MAC.
received() {
	local rx0
	rx0=$(counter "$DUT" rx_packets)
	pktgen_send "$PEER" "$1" "$REMOTE_NS" 1 >/dev/null
	settle "$DUT" rx_packets "" "$rx0"
}

expect() { # DESCRIPTION DST_MAC all|none
	local got
	got=$(received "$2")
	echo "# $1: $got of $COUNT frames for $2 received"
	if [ "$3" = all ]; then
		ktap_check "$1" [ "$got" -ge "$COUNT" -a "$got" -le $((COUNT + NOISE)) ]
	else
		ktap_check "$1" [ "$got" -le "$NOISE" ]
	fi
}

test_model() {
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	sleep 2

	expect "frames for the DUT's own address arrive" "$DUT_MAC" all
	expect "frames for another unicast address are filtered" "$FOREIGN" none
	ip link set "$DUT" promisc on
	expect "promiscuous: frames for another address arrive" "$FOREIGN" all
	ip link set "$DUT" promisc off
	expect "promiscuous off: filtered again" "$FOREIGN" none
	expect "frames for a group not joined are filtered" "$GROUP" none
	ip maddr add "$GROUP" dev "$DUT"
	expect "frames for a joined group arrive" "$GROUP" all
	ip link set "$DUT" allmulticast on
	expect "all-multicast: frames for any group arrive" "$GROUP2" all

	ip link set "$DUT" allmulticast off
	restart "$DUT" 512 || return
	expect "after a restart: a joined group still arrives" "$GROUP" all
	expect "after a restart: other groups are filtered" "$GROUP2" none
	ip link set "$DUT" promisc on
	restart "$DUT" 256 || return
	expect "after a restart: still promiscuous" "$FOREIGN" all
}

# restart IFNAME RX_RING_SIZE: restarts the hardware through a ring size change
# and waits for the link to come back.
restart() {
	ethtool -G "$1" rx "$2" && wait_carrier "$1" 10 ||
		ktap_exit_fail_msg "ring size change on $1 failed"
}

ktap_print_header
trap 'cleanup_model; rmmod pktgen 2>/dev/null' EXIT
modprobe pktgen || ktap_exit_fail_msg "cannot load pktgen"
for_each_em_model "$CHECKS" test_model cleanup_model
