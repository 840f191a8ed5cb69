#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The software-only sample samples/rust/rust_net_vport.rs: two linked ports
# built on the Rust net_device, NAPI, page_pool and skb abstractions, with
# one port in the "remote" namespace. Pings cross both ways (IPv4 and
# IPv6), 1,000 quick pings lose nothing and both ports count them, 16 MiB
# of TCP arrive intact, and the module unloads with a port still in the
# other namespace, leaving a clean log.

. "$(dirname "$0")/lib.sh"

A_MAC=02:00:00:00:5a:00
B_MAC=02:00:00:00:5a:01

ktap_print_header
ktap_set_plan 6

cleanup() {
	cleanup_remote
	rmmod rust_net_vport 2>/dev/null
}
trap cleanup EXIT

kmsg_mark
modprobe rust_net_vport || ktap_exit_fail_msg "cannot load rust_net_vport"
A=$(wait_ifname "$A_MAC" 5) && B=$(wait_ifname "$B_MAC" 5) ||
	ktap_exit_fail_msg "the two ports did not appear"
move_to_remote "$B"
ip netns exec "$REMOTE_NS" sysctl -qw "net.ipv6.conf.$B.disable_ipv6=0"
ip addr add 192.0.3.1/24 dev "$A"
ip addr add 2001:db8:1::1/64 dev "$A" nodad
ip -n "$REMOTE_NS" addr add 192.0.3.2/24 dev "$B"
ip -n "$REMOTE_NS" addr add 2001:db8:1::2/64 dev "$B" nodad
ip link set "$A" up
ip -n "$REMOTE_NS" link set "$B" up
if wait_carrier "$A" 5 && wait_carrier "$B" 5 "$REMOTE_NS"; then
	ktap_test_pass "both ports up with carrier"
else
	ktap_test_fail "both ports up with carrier"
fi

pings_ok=yes
ping -c 3 -i 0.2 -W 2 192.0.3.2 >/dev/null || pings_ok=no
ip netns exec "$REMOTE_NS" ping -c 3 -i 0.2 -W 2 192.0.3.1 >/dev/null || pings_ok=no
ktap_check "IPv4 ping both ways" [ $pings_ok = yes ]
ktap_check "IPv6 ping" ping -6 -c 3 -i 0.2 -W 2 2001:db8:1::2

tx0=$(counter "$A" tx_packets) rx0=$(counter "$B" rx_packets "$REMOTE_NS")
out=$(ping -q -c 1000 -i 0.002 -W 2 192.0.3.2)
echo "$out" | grep transmitted | sed 's/^/# /'
# Everything A sends goes to B, and both ports were created with the module:
# their totals must agree. Deltas would not: the two baselines are read
# at different moments, and a background IPv6 frame may cross in between.
# Frames may also still be in flight: read again until the totals agree.
for i in $(seq 20); do
	a_total=$(counter "$A" tx_packets) b_total=$(counter "$B" rx_packets "$REMOTE_NS")
	[ "$a_total" = "$b_total" ] && break
	sleep 0.2
done
tx=$((a_total - tx0)) rx=$((b_total - rx0))
echo "# port A tx_packets +$tx, port B rx_packets +$rx (A tx_dropped $(counter "$A" tx_dropped), B rx_dropped $(counter "$B" rx_dropped "$REMOTE_NS"))"
echo "# totals: port A tx_packets $a_total, port B rx_packets $b_total"
ktap_check "1000 pings, none lost, counted on both ports" \
	[ -n "$(echo "$out" | grep ' 0% packet loss')" -a "$tx" -ge 1000 -a "$a_total" = "$b_total" ]

ktap_check "16 MiB TCP between the ports, intact" tcp_transfer "" "$REMOTE_NS" 192.0.3.2

rmmod rust_net_vport
bad=$(kmsg_since_mark | grep -E "WARNING|BUG|Oops|leak|refcount|page_pool" | head -5)
echo "$bad" | grep . | sed 's/^/# /'
ktap_check "unloaded with a port in another namespace, clean log" \
	[ -z "$bad" -a ! -d /sys/module/rust_net_vport ]

ktap_finished
