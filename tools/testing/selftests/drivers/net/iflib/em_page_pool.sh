#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The RX ring's page pool of iflib_em as netdev-genl shows it, on every em
# model: listed for the DUT and bound to its NAPI (ynl page-pool-get), and
# its statistics (page-pool-stats-get) count a buffer allocated for every
# frame received and every buffer given back to the pool once the stack
# is done with its packet.

. "$(dirname "$0")/lib.sh"

CHECKS=3
COUNT=10000
RATE=10000

ktap_print_header
if [ ! -f "$YNL" ]; then
	ktap_skip_all "no ynl at $YNL"
	exit "$KSFT_SKIP"
fi
trap 'em_cleanup; rmmod pktgen 2>/dev/null' EXIT

# pool_stat NAME: the sum of statistic NAME over the DUT's page pools.
pool_stat() {
	netdev_dump page-pool-stats-get |
		jq --argjson i "$(cat "/sys/class/net/$DUT/ifindex")" \
			"[.[] | select(.info.ifindex == \$i) | .\"$1\"] | add // 0"
}

# pool_listed: page-pool-get lists a pool of the DUT bound to a NAPI.
pool_listed() {
	local pools
	pools=$(netdev_dump page-pool-get |
		jq -c --argjson i "$(cat "/sys/class/net/$DUT/ifindex")" \
			'[.[] | select(.ifindex == $i) | {id, "napi-id", inflight}]')
	echo "# page pools of $DUT: $pools"
	[ "$(jq 'length' <<<"$pools")" -ge 1 ] &&
		[ "$(jq '[.[] | select(."napi-id" > 0)] | length' <<<"$pools")" -ge 1 ]
}

# counted_by_pool: COUNT frames from the peer take COUNT buffers from the
# pool, and (almost: the ring keeps its buffers) all come back to it.
counted_by_pool() {
	local fast0 slow0 cached0 ring0 allocated recycled rx0 rx
	fast0=$(pool_stat alloc-fast)
	slow0=$(pool_stat alloc-slow)
	cached0=$(pool_stat recycle-cached)
	ring0=$(pool_stat recycle-ring)
	rx0=$(counter "$DUT" rx_packets)
	pktgen_send "$PEER" "$DUT_MAC" "$REMOTE_NS" 1 >/dev/null
	rx=$(settle "$DUT" rx_packets "" "$rx0")
	sleep 1
	allocated=$(($(pool_stat alloc-fast) + $(pool_stat alloc-slow) - fast0 - slow0))
	recycled=$(($(pool_stat recycle-cached) + $(pool_stat recycle-ring) - cached0 - ring0))
	echo "# $rx frames received; pool: +$allocated allocated, +$recycled recycled"
	[ "$rx" -ge "$COUNT" ] && [ "$allocated" -ge "$rx" ] &&
		[ "$recycled" -ge $((rx * 99 / 100)) ]
}

test_model() {
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	ktap_check "link up on both ends" setup_pair "$MODEL"
	deep_rx_rings
	ktap_check "the RX page pool is listed for the DUT, bound to its NAPI" pool_listed
	ktap_check "$COUNT frames: a pool buffer for each, each given back" counted_by_pool
}

modprobe pktgen || ktap_exit_fail_msg "cannot load pktgen"
for_each_em_model "$CHECKS" test_model em_cleanup
