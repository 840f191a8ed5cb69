#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Running out of memory during a change loses nothing, on every em model
# against its C driver. With the kernel's page allocation fault injection
# (fail_page_alloc) failing every allocation of 32 KiB or more made by the
# ethtool process, `ethtool -G rx 4096` and `ethtool -G tx 4096` (a 64 KiB
# ring) are refused with ENOMEM and a message, while the DUT floods the
# peer with pings: the old 256-entry rings are kept (read back), the kernel
# log says so, the flood runs on without a TX timeout and pings pass after.
# Without the failures the same sizes apply. Then, failing one such
# allocation, an MTU change (which needs new 4096-entry rings) is refused
# with ENOMEM and the device goes on at MTU 1500 (the new rings are
# allocated before the old ones are freed, so those never stopped).

. "$(dirname "$0")/lib.sh"

CHECKS=5
FAIL=/sys/kernel/debug/fail_page_alloc

FLOOD=
cleanup_model() {
	[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null
	FLOOD=
	[ -d "$FAIL" ] && echo 0 >"$FAIL/probability"
	cleanup_remote
	release_dut iflib_em
}

# failing_large_allocations: fail_page_alloc fails every allocation of order
# 3 (32 KiB) or more, sleeping or not, of processes that ask for it.
failing_large_allocations() {
	echo Y >"$FAIL/task-filter"
	echo N >"$FAIL/ignore-gfp-wait"
	echo N >"$FAIL/ignore-gfp-highmem"
	echo 3 >"$FAIL/min-order"
	echo 1 >"$FAIL/interval"
	echo -1 >"$FAIL/times"
	echo 0 >"$FAIL/verbose"
	echo 100 >"$FAIL/probability"
}

# failing COMMAND ARGS...: COMMAND in a process whose large allocations fail.
failing() {
	sh -c 'echo 1 >/proc/self/make-it-fail && exec "$@"' failing "$@"
}

# mtu_refused_and_kept: an MTU change fails with ENOMEM, the MTU is kept and
# pings pass.
mtu_refused_and_kept() {
	local out
	out=$(failing ip link set "$DUT" mtu 9000 2>&1) && return 1
	echo "# $out"
	echo "# MTU: $(cat "/sys/class/net/$DUT/mtu")"
	echo "$out" | grep -q "Cannot allocate memory" &&
		[ "$(cat "/sys/class/net/$DUT/mtu")" = 1500 ] &&
		kmsg_since_mark | grep -q "new MTU .*; keeping the previous" &&
		wait_carrier "$DUT" 10 && sleep 2 &&
		ping -q -c 3 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null
}

# rings: "RX TX" of ethtool -g's current settings.
rings() {
	ethtool -g "$DUT" | awk '/^Current/ { cur = 1 } cur && /^RX:/ { rx = $2 }
		cur && /^TX:/ { tx = $2 } END { print rx, tx }'
}

# refused_and_kept ARGS...: ethtool -G ARGS fails with ENOMEM and the
# message, and the rings read back as before.
refused_and_kept() {
	local before out
	before=$(rings)
	out=$(failing ethtool -G "$DUT" "$@" 2>&1) && return 1
	echo "$out" | sed 's/^/# /'
	echo "# rings: $before -> $(rings)"
	echo "$out" | grep -q "old ones are kept" && [ "$(rings)" = "$before" ]
}

test_model() {
	local timeouts
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	sleep 2 # QEMU's RX hold after the RCTL writes of bring-up
	kmsg_mark
	timeouts=$(ethtool_stat "$DUT" tx_timeouts)
	ping -f -q -w 30 "$REMOTE_V4" >/dev/null 2>&1 &
	FLOOD=$!
	sleep 1

	failing_large_allocations
	ktap_check "rx 4096 out of memory: ENOMEM with a message, rings kept" \
		refused_and_kept rx 4096
	ktap_check "tx 4096 out of memory: ENOMEM with a message, rings kept" \
		refused_and_kept tx 4096
	echo 0 >"$FAIL/probability"

	sleep 2
	kill "$FLOOD" 2>/dev/null
	wait "$FLOOD" 2>/dev/null
	FLOOD=
	kmsg_since_mark | grep "keeping the previous" | sed 's/^/# /'
	sleep 2 # QEMU's RX hold after the restarts' RCTL writes
	ktap_check "the flood ran on: logged, no TX timeout, ping passes" \
		eval '[ "$(kmsg_since_mark | grep -c "new ring sizes .*; keeping the previous")" = 2 ] &&
			[ "$(ethtool_stat "$DUT" tx_timeouts)" = "$timeouts" ] &&
			wait_carrier "$DUT" 10 && ping -q -c 10 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null'
	ktap_check "with memory, rx 4096 tx 4096 applied" \
		eval 'ethtool -G "$DUT" rx 4096 tx 4096 && [ "$(rings)" = "4096 4096" ] &&
			wait_carrier "$DUT" 10 && sleep 2 &&
			ping -q -c 3 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null'

	failing_large_allocations
	echo 1 >"$FAIL/times"
	ktap_check "MTU 9000 out of memory: ENOMEM, MTU 1500 kept, ping passes" \
		mtu_refused_and_kept
	echo 0 >"$FAIL/probability"
}

ktap_print_header
if [ ! -d "$FAIL" ]; then
	ktap_skip_all "no page allocation fault injection ($FAIL)"
	exit "$KSFT_SKIP"
fi
trap cleanup_model EXIT
for_each_em_model "$CHECKS" test_model cleanup_model
