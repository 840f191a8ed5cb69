#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Link changes on every em model, as pulling and plugging the cable would
# make them: the host takes the DUT NIC's link down and up (QEMU set_link,
# asked for by lib.sh's host_link). iflib_em follows each change within
# seconds (carrier, operstate, ethtool's link and speed), counts exactly two
# carrier changes per flap, keeps traffic passing after 10 flaps under a
# ping flood without a TX watchdog reset, and a driver loaded while the
# cable is out finds the link when it comes back.

. "$(dirname "$0")/lib.sh"

CHECKS=8
FLAPS=10

ktap_print_header
if [ "${IFLIB_HOST_LINK:-}" != 1 ]; then
	ktap_skip_all "the host cannot change link states (not in the iflib test VM)"
	exit "$KSFT_SKIP"
fi

FLOOD=
cleanup() {
	[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null
	FLOOD=
	[ -n "${DUT_MAC:-}" ] && host_link "$DUT_MAC" up
	cleanup_remote
	release_dut iflib_em
}
trap cleanup EXIT

# link_reads DETECTED SPEED: ethtool shows "Link detected: DETECTED" and
# "Speed: SPEED".
link_reads() {
	local out
	out=$(ethtool "$DUT")
	echo "$out" | grep -E "Speed|Duplex|Link detected" | tr -s '\t\n' '  ' | sed 's/^/# /'
	echo
	echo "$out" | grep -qx "	Link detected: $1" && echo "$out" | grep -qx "	Speed: $2"
}

# flap: one pull and plug, each seen by the driver.
flap() {
	host_link "$DUT_MAC" down
	wait_carrier_state 0 "$DUT" 5 || return 1
	host_link "$DUT_MAC" up
	wait_carrier "$DUT" 10
}

# flaps_under_flood: FLAPS flaps while the DUT floods the peer with pings;
# afterwards the carrier changed 2 * FLAPS times, the watchdog never fired
# and pings pass without loss.
flaps_under_flood() {
	local changes0 changes timeouts0 timeouts i out ok=yes
	changes0=$(cat "/sys/class/net/$DUT/carrier_changes")
	timeouts0=$(ethtool_stat "$DUT" tx_timeouts)
	ping -f -q -w $((FLAPS * 12)) "$REMOTE_V4" >/dev/null 2>&1 &
	FLOOD=$!
	for i in $(seq "$FLAPS"); do
		flap || { echo "# flap $i: the driver did not follow"; ok=no; break; }
		sleep 0.3
	done
	kill "$FLOOD" 2>/dev/null
	wait "$FLOOD" 2>/dev/null
	FLOOD=
	changes=$(($(cat "/sys/class/net/$DUT/carrier_changes") - changes0))
	timeouts=$(($(ethtool_stat "$DUT" tx_timeouts) - timeouts0))
	sleep 2 # QEMU's RX hold after the last link up
	out=$(ping -c 20 -i 0.1 -W 2 "$REMOTE_V4" | grep "packet loss")
	echo "# $FLAPS flaps under a ping flood: carrier_changes +$changes, tx_timeouts +$timeouts; then $out"
	[ $ok = yes ] && [ "$changes" = $((2 * FLAPS)) ] && [ "$timeouts" = 0 ] &&
		echo "$out" | grep -q " 0% packet loss"
}

# load_without_cable: iflib_em reloaded while the link is down comes up
# without carrier, and finds the link once it is back.
load_without_cable() {
	host_link "$DUT_MAC" down
	sleep 1
	rmmod iflib_em || return 1
	modprobe iflib_em || return 1
	DUT=$(wait_ifname "$DUT_MAC" 10) || return 1
	ip addr add "$LOCAL_V4/24" dev "$DUT"
	ip link set "$DUT" up
	sleep 2
	echo "# reloaded without a link: carrier $(cat "/sys/class/net/$DUT/carrier")," \
		"operstate $(cat "/sys/class/net/$DUT/operstate")"
	[ "$(cat "/sys/class/net/$DUT/carrier")" = 0 ] || return 1
	host_link "$DUT_MAC" up
	wait_carrier "$DUT" 10 && sleep 2 && ping -q -c 3 -i 0.2 -W 2 "$REMOTE_V4"
}

test_model() {
	local changes0 changes
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	ktap_check "link up on both ends" setup_pair "$MODEL"
	sleep 2
	changes0=$(cat "/sys/class/net/$DUT/carrier_changes")

	host_link "$DUT_MAC" down
	ktap_check "cable out: carrier lost within 5 s" wait_carrier_state 0 "$DUT" 5
	ktap_check "cable out: operstate down, ethtool shows no link" \
		eval '[ "$(cat /sys/class/net/$DUT/operstate)" = down ] && link_reads no "Unknown!"'

	host_link "$DUT_MAC" up
	ktap_check "cable in: carrier back within 10 s" wait_carrier "$DUT" 10
	ktap_check "cable in: ethtool shows the link at 1000Mb/s" link_reads yes 1000Mb/s
	changes=$(($(cat "/sys/class/net/$DUT/carrier_changes") - changes0))
	echo "# carrier_changes +$changes"
	sleep 2 # QEMU's RX hold after the link comes up
	ktap_check "one flap: two carrier changes, ping passes" \
		eval '[ "$changes" = 2 ] && ping -q -c 3 -i 0.2 -W 2 "$REMOTE_V4"'

	ktap_check "$FLAPS flaps under a ping flood: all followed, no watchdog, no loss after" \
		flaps_under_flood
	ktap_check "loaded while the cable is out, the link comes with the cable" \
		load_without_cable
}

for_each_em_model "$CHECKS" test_model cleanup
