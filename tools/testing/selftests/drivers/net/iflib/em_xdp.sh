#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Native XDP on iflib_em, on every em model against the C driver on the
# peer. The programs (xdp_udp9.bpf.c) act on the peer's pktgen UDP frames to
# port 9 and pass everything else:
#  - a program attaches in driver mode and ping still passes through it;
#  - XDP_DROP: the frames are counted by the driver, never by the stack;
#  - XDP_ABORTED (replacing the attached program): dropped, counted as
#    exceptions;
#  - XDP_TX: every frame goes back to the peer, which counts it;
#  - XDP_REDIRECT: every frame reaches a veth through its ndo_xdp_xmit, and
#    redirected to the DUT itself every frame goes out through iflib's;
#  - a program is refused, with the reason, at an MTU whose frames need two
#    RX buffers, and such an MTU is refused while a program is attached;
#  - programs swapped under a ping flood lose no more than the swaps' frames;
#    detached, the frames reach the stack again;
#  - the module unloads with a program attached while it reflects traffic.

. "$(dirname "$0")/lib.sh"

CHECKS=12
COUNT=1000
RATE=2000
NOISE=5 # IPv6 neighbour and listener frames that may arrive meanwhile
OBJ_DIR=$(cd "$(dirname "$0")" && pwd)
REDIRECT_IFINDEX=4242 # as compiled into xdp_redirect.bpf.o
VETH=xdpred0
VETH_PEER=xdpred1

ktap_print_header

# The XDP attachment mode of interface $1: none, driver, generic or offload.
xdp_mode() {
	ip -details -json link show dev "$1" | python3 -c '
import json, sys
mode = json.load(sys.stdin)[0].get("xdp", {}).get("mode", 0)
print({0: "none", 1: "driver", 2: "generic", 3: "offload"}.get(mode, mode))'
}

attach() { # PROGRAM: xdp_PROGRAM.bpf.o in driver mode; prints ip's error
	ip -force link set dev "$DUT" xdpdrv obj "$OBJ_DIR/xdp_$1.bpf.o" sec xdp 2>&1
}

detach() {
	ip link set dev "$DUT" xdpdrv off
}

# growth STAT BASE: the growth of the DUT's ethtool stat STAT over BASE, once
# it reaches $COUNT or has not moved for three seconds.
growth() {
	settle_by "$2" ethtool_stat "$DUT" "$1"
}

# The peer sends $COUNT UDP frames to port 9 of the DUT's address.
send_udp9() {
	pktgen_send "$PEER" "$DUT_MAC" "$REMOTE_NS" 1 "$LOCAL_V4" "$REMOTE_V4" >/dev/null
}

# dropped_by STAT: true when $COUNT frames to port 9 grow STAT by $COUNT and
# never reach the DUT's UDP layer.
dropped_by() {
	local stat0 noports0 got noports
	stat0=$(ethtool_stat "$DUT" "$1")
	noports0=$(snmp_counter Udp NoPorts)
	send_udp9
	got=$(growth "$1" "$stat0")
	sleep 0.5
	noports=$(($(snmp_counter Udp NoPorts) - noports0))
	echo "# $1 +$got of $COUNT, Udp NoPorts +$noports"
	[ "$got" = "$COUNT" ] && [ "$noports" = 0 ]
}

# Three pings: answered, their replies counted as passed by the program.
ping_passes() {
	local pass0 pass
	# Attaching restarted the DUT: its RX may be held a while (wait_reachable).
	wait_reachable "$REMOTE_V4" 10 || return
	pass0=$(ethtool_stat "$DUT" xdp_pass)
	ping -c 3 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null || return
	pass=$(($(ethtool_stat "$DUT" xdp_pass) - pass0))
	echo "# xdp_pass +$pass"
	[ "$pass" -ge 3 ]
}

# forwarded IFNAME NETNS STAT...: the peer's frames to UDP port 9 are each
# counted once in every XDP STAT of the DUT, and all arrive at IFNAME (in
# NETNS; "" for this one).
forwarded() {
	local ifname=$1 ns=$2 stat rx0 rx got ok=yes
	local -A base
	shift 2
	for stat; do base[$stat]=$(ethtool_stat "$DUT" "$stat"); done
	rx0=$(counter "$ifname" rx_packets "$ns")
	send_udp9
	for stat; do
		got=$(growth "$stat" "${base[$stat]}")
		echo "# $stat +$got of $COUNT"
		[ "$got" = "$COUNT" ] || ok=no
	done
	rx=$(settle "$ifname" rx_packets "$ns" "$rx0")
	echo "# $ifname rx_packets +$rx"
	[ $ok = yes ] && within "$rx" "$COUNT" $((COUNT + NOISE))
}

reflected() { forwarded "$PEER" "$REMOTE_NS" xdp_tx; }
redirected() { forwarded "$VETH_PEER" "" xdp_redirect; }
# Frames redirected back out of the DUT (its own ndo_xdp_xmit) reach the peer.
hairpinned() { forwarded "$PEER" "$REMOTE_NS" xdp_redirect xdp_xmit; }

reach_stack() {
	local noports0 noports
	noports0=$(snmp_counter Udp NoPorts)
	send_udp9
	sleep 1
	noports=$(($(snmp_counter Udp NoPorts) - noports0))
	echo "# Udp NoPorts +$noports of $COUNT"
	within "$noports" $((COUNT * 99 / 100)) "$COUNT"
}

set_dut_mtu() {
	ip link set dev "$DUT" mtu "$1" && wait_carrier "$DUT" 10 && sleep 2
}

# Attach, replace and detach programs 10 times under a ping flood; true when
# the link stays up, ping loses at most a few frames per swap and passes
# after, and the kernel log is clean.
swap_under_traffic() {
	local log i loss
	log=$(mktemp)
	kmsg_mark
	ping -q -i 0.01 -c 600 -W 1 "$REMOTE_V4" >"$log" 2>&1 &
	for i in $(seq 10); do
		attach drop >/dev/null && attach reflect >/dev/null && detach || break
		sleep 0.3
	done
	wait
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$log")
	echo "# $(grep 'packets transmitted' "$log"), after $i swap rounds"
	rm -f "$log"
	[ "$i" = 10 ] && [ -n "$loss" ] && [ "${loss%%.*}" -le 5 ] &&
		ping -c 3 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null &&
		! kmsg_since_mark | grep -E "BUG|WARNING|Oops|leak"
}

test_model() {
	local out
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	deep_rx_rings || return

	out=$(attach drop)
	echo "# attach: ${out:-ok}; mode $(xdp_mode "$DUT")"
	ktap_check "program attached in driver mode" [ "$(xdp_mode "$DUT")" = driver ]
	ktap_check "ping passes through the program" ping_passes
	ktap_check "XDP_DROP: counted by the driver, never by the stack" dropped_by xdp_drop

	attach abort >/dev/null
	ktap_check "XDP_ABORTED: dropped and counted as exceptions" dropped_by xdp_exception

	attach reflect >/dev/null
	ktap_check "XDP_TX: every frame back at the peer" reflected

	# No IPv6 on the pair: its own neighbour discovery would cross it too.
	ip link add "$VETH" index "$REDIRECT_IFINDEX" type veth peer name "$VETH_PEER" &&
		sysctl -qw "net.ipv6.conf.$VETH.disable_ipv6=1" &&
		sysctl -qw "net.ipv6.conf.$VETH_PEER.disable_ipv6=1" &&
		ethtool -K "$VETH_PEER" gro on >/dev/null &&
		ip link set "$VETH" up && ip link set "$VETH_PEER" up
	attach redirect >/dev/null
	ktap_check "XDP_REDIRECT: every frame through a veth" redirected
	ip link del "$VETH" 2>/dev/null
	attach hairpin >/dev/null
	ktap_check "XDP_REDIRECT to the DUT itself: every frame back at the peer" hairpinned

	detach
	set_dut_mtu 3000
	out=$(attach drop)
	echo "# attach at MTU 3000: $out"
	ktap_check "MTU 3000: program refused with the reason" \
		[ "$(xdp_mode "$DUT")" = none -a -n "$(echo "$out" | grep 'MTU too large for XDP')" ]
	set_dut_mtu 1500
	attach drop >/dev/null
	ip link set dev "$DUT" mtu 3000 2>/dev/null
	ktap_check "program attached: MTU 3000 refused" \
		[ "$(cat "/sys/class/net/$DUT/mtu")" = 1500 -a "$(xdp_mode "$DUT")" = driver ]
	detach

	ktap_check "programs swapped 10 times under a ping flood" swap_under_traffic
	ktap_check "detached: the frames reach the stack again" reach_stack
	ktap_check "unloaded with XDP_TX under traffic, the log clean" unload_under_xdp
}

# Unloads iflib_em while its program sends pktgen's frames back; true when
# the unload finishes and the kernel log shows no warning.
unload_under_xdp() {
	local sender
	attach reflect >/dev/null || return
	kmsg_mark
	COUNT=10000 pktgen_send "$PEER" "$DUT_MAC" "$REMOTE_NS" 1 "$LOCAL_V4" "$REMOTE_V4" \
		>/dev/null &
	sender=$!
	sleep 2
	echo "# xdp_tx $(ethtool_stat "$DUT" xdp_tx) before rmmod"
	timeout 30 rmmod iflib_em
	local ret=$?
	wait "$sender"
	[ "$ret" = 0 ] && [ ! -d /sys/module/iflib_em ] &&
		! kmsg_since_mark | grep -E "BUG|WARNING|Oops|leak"
}

cleanup() {
	ip link del "$VETH" 2>/dev/null
	em_cleanup
}
trap cleanup EXIT

modprobe pktgen || ktap_exit_fail_msg "cannot load pktgen"
for_each_em_model "$CHECKS" test_model cleanup
