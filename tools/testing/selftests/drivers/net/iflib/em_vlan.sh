#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 802.1Q offload of iflib_em, on every em model in the VM against its C
# driver: the device strips tags on receive and inserts them on transmit. A VLAN device on
# each end exchanges pings and TCP, which only works if our driver reports
# the stripped tag to the stack and inserts the stack's tag on the wire;
# untagged traffic keeps working beside it.

. "$(dirname "$0")/lib.sh"

VID=10
CHECKS=5

cleanup_model() {
	ip link del "$DUT.$VID" 2>/dev/null
	cleanup_remote
	release_dut iflib_em
}

test_model() {
	local offload
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return

	offload=$(ethtool -k "$DUT" | awk '$1 == "rx-vlan-offload:" || $1 == "tx-vlan-offload:" { print $2 }' | tr '\n' ' ')
	echo "# rx-vlan-offload, tx-vlan-offload: $offload"
	ktap_check "VLAN tag stripping and insertion on" [ "$offload" = "on on " ]

	ip link add link "$DUT" name "$DUT.$VID" type vlan id "$VID"
	ip addr add 192.0.4.1/24 dev "$DUT.$VID"
	ip link set "$DUT.$VID" up
	ip -n "$REMOTE_NS" link add link "$PEER" name "$PEER.$VID" type vlan id "$VID"
	ip -n "$REMOTE_NS" addr add 192.0.4.2/24 dev "$PEER.$VID"
	ip -n "$REMOTE_NS" link set "$PEER.$VID" up
	sleep 2 # QEMU's e1000 RX hold after the RCTL writes of the changes above

	ktap_check "ping over VLAN $VID, DUT -> remote" ping -c 3 -i 0.2 -W 2 192.0.4.2
	ktap_check "ping over VLAN $VID, remote -> DUT" \
		ip netns exec "$REMOTE_NS" ping -c 3 -i 0.2 -W 2 192.0.4.1
	ktap_check "16 MiB TCP over VLAN $VID, intact" tcp_transfer "" "$REMOTE_NS" 192.0.4.2
	ktap_check "untagged ping still works" ping -c 3 -i 0.2 -W 2 "$REMOTE_V4"
}

ktap_print_header
trap cleanup_model EXIT
for_each_em_model "$CHECKS" test_model cleanup_model
