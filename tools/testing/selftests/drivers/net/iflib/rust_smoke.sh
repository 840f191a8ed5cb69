#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A Rust module built from the iflib overlay loads, reads its parameter,
# unloads, and refuses a parameter it cannot honour.

. "$(dirname "$0")/lib.sh"

MOD=rust_iflib_smoke

ktap_print_header
ktap_set_plan 3

kmsg_mark
if modprobe "$MOD" count=100 && kmsg_since_mark | grep -q "$MOD: loaded: count=100 sum=5050"; then
	ktap_test_pass "loads and computes sum(1..=100) = 5050"
else
	kmsg_since_mark | sed 's/^/# /'
	ktap_test_fail "loads and computes sum(1..=100) = 5050"
fi

kmsg_mark
if rmmod "$MOD" && kmsg_since_mark | grep -q "$MOD: unloaded"; then
	ktap_test_pass "unloads"
else
	ktap_test_fail "unloads"
fi

kmsg_mark
if out=$(modprobe "$MOD" count=100000 2>&1); then
	rmmod "$MOD"
	ktap_test_fail "count=100000 (sum overflows u32) is refused"
elif echo "$out" | grep -q "Invalid argument" &&
	kmsg_since_mark | grep -q "$MOD: count=100000: the sum overflows u32" &&
	[ ! -d "/sys/module/$MOD" ]; then
	ktap_test_pass "count=100000 (sum overflows u32) is refused"
else
	echo "# modprobe said: $out"
	ktap_test_fail "count=100000 (sum overflows u32) is refused"
fi

ktap_finished
