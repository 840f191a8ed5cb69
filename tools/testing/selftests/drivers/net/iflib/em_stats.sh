#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The MAC's own counters of iflib_em as ethtool's standard groups show them
# (ethtool -S --groups eth-mac rmon), on every em model: frames, octets and
# broadcasts the peer sent are counted received, the DUT's pktgen frames
# counted sent, each in the frame length bucket of its size (FCS included),
# what was counted before a restart (ethtool -G) is still there after, and
# the admin work reads the hardware counters (which clear on read and stop at
# their largest value) every 10 s without ethtool asking.

. "$(dirname "$0")/lib.sh"

CHECKS=8
GPRC=0x4074 # good frames received: clears on read
COUNT=1000
RATE=10000
# IPv6 neighbour and multicast listener frames (under 128 bytes) may add a
# few to a direction's counts while pktgen runs.
NOISE=5

ktap_print_header

trap 'em_cleanup; rmmod pktgen 2>/dev/null' EXIT

# mac_stat NAME: one counter of the DUT's standard groups, as ethtool names
# it (eth-mac-FramesReceivedOK, rx-rmon-etherStatsPkts64to64Octets, ...).
mac_stat() {
	ethtool -S "$DUT" --groups eth-mac rmon | awk -v n="$1:" '$1 == n { print $2 }'
}

# grew NAME BASE LOW HIGH: counter NAME grew over BASE by LOW to HIGH.
grew() {
	local now
	now=$(mac_stat "$1")
	echo "# $1: $2 -> $now (+$((now - $2)), expected $3..$4)"
	within $((now - $2)) "$3" "$4"
}

# to_dut [DST_MAC]: the peer sends COUNT frames of PKT_SIZE to the DUT (or
# to DST_MAC); waits until the DUT counted them.
to_dut() {
	local rx0
	rx0=$(counter "$DUT" rx_packets)
	pktgen_send "$PEER" "${1:-$DUT_MAC}" "$REMOTE_NS" 1 >/dev/null
	settle "$DUT" rx_packets "" "$rx0" >/dev/null
}

test_model() {
	local frames octets small large bcast sent small_tx gprc
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	ktap_check "link up on both ends" setup_pair "$MODEL"
	deep_rx_rings

	frames=$(mac_stat eth-mac-FramesReceivedOK)
	octets=$(mac_stat eth-mac-OctetsReceivedOK)
	small=$(mac_stat rx-rmon-etherStatsPkts65to127Octets)
	# 104 bytes with the FCS: QEMU's models count received frames by length
	# without it when the driver strips it (see testing.rst), 100 or 104
	# bytes fall in the same bucket.
	PKT_SIZE=100 to_dut
	ktap_check "$COUNT frames from the peer: FramesReceivedOK" \
		grew eth-mac-FramesReceivedOK "$frames" $COUNT $((COUNT + NOISE))
	ktap_check "$COUNT 104-byte frames from the peer: in the 65-127 byte bucket" \
		grew rx-rmon-etherStatsPkts65to127Octets "$small" $COUNT $((COUNT + NOISE))
	ktap_check "$COUNT 104-byte frames from the peer: OctetsReceivedOK" \
		grew eth-mac-OctetsReceivedOK "$octets" $((104 * COUNT)) $((104 * COUNT + 128 * NOISE))

	large=$(mac_stat rx-rmon-etherStatsPkts1024to16128Octets)
	bcast=$(mac_stat eth-mac-BroadcastFramesReceivedOK)
	COUNT=500 PKT_SIZE=1200 to_dut ff:ff:ff:ff:ff:ff
	ktap_check "500 broadcast 1204-byte frames: broadcasts, in the 1024+ bucket" \
		eval 'grew eth-mac-BroadcastFramesReceivedOK "$bcast" 500 500 &&
			grew rx-rmon-etherStatsPkts1024to16128Octets "$large" 500 500'

	sent=$(mac_stat eth-mac-FramesTransmittedOK)
	small_tx=$(mac_stat tx-rmon-etherStatsPkts64to64Octets)
	PKT_SIZE=60 pktgen_send "$DUT" "$PEER_MAC" >/dev/null
	settle "$PEER" rx_packets "$REMOTE_NS" 0 >/dev/null
	sleep 1
	ktap_check "$COUNT 64-byte frames sent: FramesTransmittedOK and the 64-byte bucket" \
		eval 'grew eth-mac-FramesTransmittedOK "$sent" $COUNT $((COUNT + NOISE)) &&
			grew tx-rmon-etherStatsPkts64to64Octets "$small_tx" $COUNT $((COUNT + NOISE))'

	# Counted by the MAC but not yet read when the device restarts.
	frames=$(mac_stat eth-mac-FramesReceivedOK)
	PKT_SIZE=100 to_dut
	ethtool -G "$DUT" rx 512 && wait_carrier "$DUT" 10
	ktap_check "frames counted before a restart (ethtool -G) are kept" \
		grew eth-mac-FramesReceivedOK "$frames" $COUNT $((COUNT + NOISE))

	wait_carrier "$DUT" 10 && sleep 2
	frames=$(mac_stat eth-mac-FramesReceivedOK)
	PKT_SIZE=100 to_dut
	sleep 12
	gprc=$(reg32 "$DUT_PCI" $GPRC)
	echo "# GPRC 12 s after $COUNT frames: $gprc"
	ktap_check "the admin work read the hardware's frame counter within 12 s" \
		eval 'within "$gprc" 0 $NOISE &&
			grew eth-mac-FramesReceivedOK "$frames" $COUNT $((COUNT + 2 * NOISE))'
}

modprobe pktgen || ktap_exit_fail_msg "cannot load pktgen"
for_each_em_model "$CHECKS" test_model em_cleanup
