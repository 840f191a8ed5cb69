#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The TX watchdog of iflib on em (QEMU e1000): a hang is simulated by
# switching the transmitter off behind the driver's back (TCTL through the
# BAR's sysfs resource file). The TX ring fills and the queue stops; the
# stack's watchdog fires after 5 s, iflib counts it and resets the device
# from a work item, and traffic flows again.

. "$(dirname "$0")/lib.sh"

MODEL=${MODEL:-e1000}
TCTL=0x400

ktap_print_header
find_pair "$MODEL"
ktap_set_plan 4

LOAD=
cleanup() {
	[ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null
	echo "rem_device_all" >/proc/net/pktgen/kpktgend_0 2>/dev/null
	cleanup_remote
	rmmod pktgen 2>/dev/null
	release_dut iflib_em
}
trap cleanup EXIT

modprobe pktgen || ktap_exit_fail_msg "cannot load pktgen"
bind_dut "$MODEL" e1000 iflib_em || ktap_exit_fail_msg "iflib_em did not take the DUT"
setup_pair "$MODEL" || ktap_exit_fail_msg "the $MODEL pair did not come up"
sleep 2
kmsg_mark

timeouts() { ethtool -S "$DUT" | awk '$1 == "tx_timeouts:" { print $2 }'; }
t0=$(timeouts)
reg32 "$DUT_PCI" $TCTL 0
echo "# TCTL after the simulated hang: $(reg32 "$DUT_PCI" $TCTL)"

# More frames than the ring holds: the queue stops and stays stopped.
COUNT=2000 RATE=100000
pktgen_send "$DUT" "$PEER_MAC" >/dev/null &
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
sleep 2 # QEMU's e1000 RX hold after the reset's RCTL writes
ktap_check "ping works after the reset" ping -c 3 -i 0.2 -W 2 "$REMOTE_V4"

ktap_finished
