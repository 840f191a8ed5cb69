#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The upstream drivers/net selftests ping.py and stats.py against iflib_em
# on the e1000 DUT, the peer (C e1000) in the remote namespace, with the
# environment they expect (NETIF, LOCAL_V4/REMOTE_V4, LOCAL_V6/REMOTE_V6,
# REMOTE_TYPE=netns). Each upstream case becomes one result here. The XDP
# cases attach net/lib/xdp_dummy.bpf.o, which scripts/iflib/build compiles.

. "$(dirname "$0")/lib.sh"

MODEL=${MODEL:-e1000}
UPSTREAM=$IFLIB_BUILD/source/tools/testing/selftests/drivers/net

ktap_print_header
find_pair "$MODEL"
[ -f "$UPSTREAM/ping.py" ] || { ktap_skip_all "no upstream selftests at $UPSTREAM"; exit "$KSFT_SKIP"; }

cleanup() {
	cleanup_remote
	release_dut iflib_em
}
trap cleanup EXIT

bind_dut "$MODEL" e1000 iflib_em || ktap_exit_fail_msg "iflib_em did not take the DUT"
setup_pair "$MODEL" || ktap_exit_fail_msg "the $MODEL pair did not come up"
sleep 2

# Runs upstream test $1 and prints its case results as "ok|not ok NAME # DIRECTIVE".
run_upstream() {
	(cd "$UPSTREAM" && NETIF=$NETIF timeout 150 python3 "./$1" 2>&1) | tee "/tmp/iflib_$1.log" |
		sed -n 's/^\(ok\|not ok\) [0-9]* \([^ ]*\)\(.*\)$/\1|\2|\3/p'
}

results=()
for t in ping.py stats.py; do
	while IFS='|' read -r verdict name rest; do
		results+=("$verdict|$name|$rest")
	done < <(run_upstream "$t")
	grep -E "Exception\||^# Totals" "/tmp/iflib_$t.log" | grep -E "Error|Totals" | sed "s/^/# $t: /" | head -8
done
[ ${#results[@]} -gt 0 ] || ktap_exit_fail_msg "the upstream tests reported nothing"
ktap_set_plan ${#results[@]}
for r in "${results[@]}"; do
	IFS='|' read -r verdict name rest <<<"$r"
	rest=${rest# }
	if [ "$verdict" = ok ]; then
		case "$rest" in
		*SKIP*) ktap_test_skip "upstream $name ${rest#*SKIP }" ;;
		*) ktap_test_pass "upstream $name" ;;
		esac
	else
		ktap_test_fail "upstream $name"
	fi
done
ktap_finished
