#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The TX watchdog of iflib on every em model: a hang is simulated by
# switching the transmitter off behind the driver's back (TCTL through the
# BAR's sysfs resource file). The TX ring fills and the queue stops; the
# stack's watchdog fires after 5 s, iflib counts it and its admin work
# resets the device, and traffic flows again.

. "$(dirname "$0")/lib.sh"

TCTL=0x400

ktap_print_header

LOAD=
cleanup() {
	[ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null
	LOAD=
	em_cleanup
}
trap 'cleanup; rmmod pktgen 2>/dev/null' EXIT

timeouts() { ethtool_stat "$DUT" tx_timeouts; }

test_model() {
	local t0 t i tctl
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	sleep 2
	kmsg_mark

	t0=$(timeouts)
	reg32 "$DUT_PCI" $TCTL 0
	echo "# TCTL after the simulated hang: $(reg32 "$DUT_PCI" $TCTL)"

	# More frames than the ring holds: the queue stops and stays stopped.
	COUNT=2000 RATE=100000 pktgen_send "$DUT" "$PEER_MAC" >/dev/null &
	LOAD=$!
	for i in $(seq 30); do
		[ "$(timeouts)" -gt "$t0" ] && break
		sleep 0.5
	done
	t=$(timeouts)
	echo "# tx_timeouts $t0 -> $t"
	ktap_check "the TX watchdog fired and was counted" [ "$t" -gt "$t0" ]
	kmsg_since_mark | grep -m1 "timed out" | sed 's/^/# /'
	ktap_check "the kernel logged the transmit timeout" \
		grep -q "transmit queue 0 timed out" <(kmsg_since_mark)

	wait_carrier "$DUT" 10
	for i in $(seq 20); do
		[ $(($(reg32 "$DUT_PCI" $TCTL) & 2)) != 0 ] && break
		sleep 0.5
	done
	tctl=$(reg32 "$DUT_PCI" $TCTL)
	echo "# TCTL after the reset: $tctl"
	ktap_check "the reset switched the transmitter back on" [ $((tctl & 2)) != 0 ]
	wait "$LOAD"
	LOAD=
	sleep 2 # QEMU's RX hold after the reset's RCTL writes
	ktap_check "ping works after the reset" ping -q -c 3 -i 0.2 -W 2 "$REMOTE_V4"
}

modprobe pktgen || ktap_exit_fail_msg "cannot load pktgen"
for_each_em_model 4 test_model cleanup
