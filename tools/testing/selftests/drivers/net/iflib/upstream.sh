#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The upstream drivers/net selftests ping.py, stats.py, netpoll_basic.py
# (netconsole flushed through netpoll under iperf3 traffic, the polls counted
# by bpftrace), and on the 82574 (two queue sets) queues.py, napi_id.py,
# napi_threaded.py and hw/irq.py against iflib_em
# on the e1000e DUT (make test; make test-full: on the e1000 too, one of each
# family em drives), the peer
# (its C driver) in the remote namespace, with the
# environment they expect (NETIF, LOCAL_V4/REMOTE_V4, LOCAL_V6/REMOTE_V6,
# REMOTE_TYPE=netns). Each upstream case becomes one result here. The XDP
# cases attach net/lib/xdp_dummy.bpf.o, which scripts/iflib/build compiles.

. "$(dirname "$0")/lib.sh"

UPSTREAM=$IFLIB_BUILD/source/tools/testing/selftests/drivers/net
# One model of each family em drives (8254x, 82574) unless MODEL names
# others; make test keeps the 82574 of them (the first model when MODEL has
# no e1000e).
MODELS=$(echo "${MODEL:-e1000 e1000e}" | tr , ' ')
if [ "${IFLIB_FULL:-0}" != 1 ]; then
	case " $MODELS " in
	*" e1000e "*) MODELS=e1000e ;;
	*) MODELS=${MODELS%% *} ;;
	esac
fi

ktap_print_header
[ -f "$UPSTREAM/ping.py" ] || { ktap_skip_all "no upstream selftests at $UPSTREAM"; exit "$KSFT_SKIP"; }

cleanup() {
	cleanup_remote
	release_dut iflib_em
}
trap cleanup EXIT

# The upstream tests read `ethtool --json -g` and `-l`, which the host's
# ethtool may not print: scripts/iflib/setup unpacks a newer one in the cache.
ETHTOOL_DIR=${IFLIB_CACHE:-$IFLIB_BUILD/../..}/tools/ethtool/usr/sbin
[ -x "$ETHTOOL_DIR/ethtool" ] ||
	echo "# no ethtool at $ETHTOOL_DIR (scripts/iflib/setup unpacks it): the system's is used"

# Runs upstream test $1 and prints its case results as "ok|not ok NAME # DIRECTIVE".
run_upstream() {
	(cd "$UPSTREAM" && PATH=$ETHTOOL_DIR:$PATH NETIF=$NETIF timeout 150 python3 "./$1" 2>&1) |
		tee "/tmp/iflib_${1//\//_}.log" |
		sed -n 's/^\(ok\|not ok\) [0-9]* \([^ ]*\)\(.*\)$/\1|\2|\3/p'
}

results=()
for MODEL in $MODELS; do
	grep -q "^$MODEL " "${IFLIB_TOPOLOGY:-/nonexistent}" 2>/dev/null || continue
	C_DRIVER=$(for m in $EM_MODELS; do [ "${m%%:*}" = "$MODEL" ] && echo "${m#*:}"; done)
	echo "# $MODEL: iflib_em against the C $C_DRIVER"
	if ! bind_dut "$MODEL" "$C_DRIVER" iflib_em || ! setup_pair "$MODEL"; then
		results+=("not ok|$MODEL: the pair with iflib_em|")
		cleanup
		continue
	fi
	sleep 2
	# On the 82574 (two queue sets) the queue, NAPI and interrupt tests too
	# (queues.py's AF_XDP case and napi_id.py run helpers scripts/iflib/build
	# builds). hw/rss_api.py waits for RSS contexts and hash field changes the
	# 82574 does not have: see testing.rst. The tests that take
	# the interface down (queues.py, hw/irq.py and, last, stats.py) come after
	# those that use the DUT's IPv6 address: down takes it away.
	tests="ping.py netpoll_basic.py"
	[ "$MODEL" = e1000e ] && tests+=" napi_id.py ring_reconfig.py queues.py napi_threaded.py hw/irq.py"
	for t in $tests stats.py; do
		n=${#results[@]}
		while IFS='|' read -r verdict name rest; do
			results+=("$verdict|$MODEL: upstream $name|$rest")
		done < <(run_upstream "$t")
		if [ ${#results[@]} = "$n" ]; then
			# A test that reports no case has failed before its first.
			results+=("not ok|$MODEL: upstream $t reported no result|")
			tail -5 "/tmp/iflib_${t//\//_}.log" | sed "s/^/# $MODEL: $t: /"
		fi
		if grep -q "^not ok" "/tmp/iflib_${t//\//_}.log"; then
			# Why a case failed: the log's end.
			grep -vE "^(ok|not ok) " "/tmp/iflib_${t//\//_}.log" | tail -40 | sed "s/^/# $MODEL: $t: /"
		fi
		grep "^# Totals" "/tmp/iflib_${t//\//_}.log" | sed "s/^/# $MODEL: $t: /"
	done
	cleanup
done
[ ${#results[@]} -gt 0 ] || ktap_exit_fail_msg "the upstream tests reported nothing"
ktap_set_plan ${#results[@]}
for r in "${results[@]}"; do
	IFS='|' read -r verdict name rest <<<"$r"
	rest=${rest# }
	if [ "$verdict" = ok ]; then
		case "$rest" in
		*SKIP*) ktap_test_skip "$name ${rest#*SKIP }" ;;
		*XFAIL*) ktap_test_xfail "$name ${rest#*XFAIL }" ;;
		*) ktap_test_pass "$name" ;;
		esac
	else
		ktap_test_fail "$name"
	fi
done
ktap_finished
