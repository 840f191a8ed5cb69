#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The upstream drivers/net selftests, side by side: each runs against iflib_em
# on the DUT, then against the C driver on the same DUT, the peer (its C
# driver) in the remote namespace with the environment the tests expect
# (NETIF, LOCAL_V4/REMOTE_V4, LOCAL_V6/REMOTE_V6, REMOTE_TYPE=netns). ping.py,
# netpoll_basic.py (netconsole flushed through netpoll, the polls counted by
# bpftrace), hw/pp_alloc_fail.py (page pool allocations failing under iperf3
# traffic) and stats.py on every model; on the 82574 (two queue sets) also
# napi_id.py, ring_reconfig.py, hw/rss_api.py, queues.py, napi_threaded.py
# and hw/irq.py. make test runs the e1000e, make test-full one model of each
# family. Prints a table of every case (iflib_em, the C driver, why they
# differ) and saves it in $IFLIB_OUT; each case becomes one result: it
# passes when iflib_em passes, skips or ends XFAIL as upstream has it (a
# skip the C driver does not have needs a reason in REASON), and fails when
# iflib_em fails, unless REASON says what the device lacks (then XFAIL).
# The XDP cases attach net/lib/xdp_dummy.bpf.o, which scripts/iflib/build
# compiles.

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

# Runs upstream test $1 with the DUT on driver $2 and prints its case results as
# "CASE|VERDICT|DETAIL", VERDICT one of pass, fail, skip, xfail; its log stays in
# /tmp/iflib_<driver>_<test>.log.
run_upstream() {
	local log="/tmp/iflib_$2_${1//\//_}.log"
	(cd "$UPSTREAM" && PATH=$ETHTOOL_DIR:$PATH NETIF=$NETIF timeout 150 python3 "./$1" 2>&1) >"$log"
	sed -n 's/^\(ok\|not ok\) [0-9]* \([^ ]*\)\(.*\)$/\1|\2|\3/p' "$log" |
		while IFS='|' read -r verdict name rest; do
			case "$verdict:$rest" in
			"not ok:"*) verdict=fail ;;
			*"# SKIP"*) verdict=skip rest=${rest#*# SKIP } ;;
			*"# XFAIL"*) verdict=xfail rest=${rest#*# XFAIL } ;;
			*) verdict=pass rest= ;;
			esac
			echo "$name|$verdict|${rest# }"
		done
	# A test that reports no case has failed before its first.
	grep -qE "^(ok|not ok) " "$log" || echo "$1|fail|reported no result"
}

# Why a case may fail or skip on iflib_em where the C driver does not, or fail on
# both: what the 82574 or QEMU's model of it lacks. A case that differs without a
# reason here fails.
declare -A REASON=(
	[rss_api.test_rxfh_nl_set_indir_ctx]="the 82574 has no RSS contexts; the test creates one unchecked"
	[rss_api.test_rxfh_indir_ctx_ntf]="the 82574 has no RSS contexts; the test creates one unchecked"
	[rss_api.test_rss_ctx_add]="the 82574 has no RSS contexts; the test creates one unchecked"
	[rss_api.test_rss_ctx_ntf]="the 82574 has no RSS contexts; the test creates one unchecked"
	[rss_api.test_rxfh_fields_set]="the 82574 hashes fixed fields (MRQC): no set_rxfh_fields"
	[rss_api.test_rxfh_fields_set_xfrm]="the 82574 hashes fixed fields (MRQC): no set_rxfh_fields"
	[rss_api.test_rxfh_fields_ntf]="the 82574 hashes fixed fields (MRQC): no set_rxfh_fields"
)

# Runs the upstream tests on MODEL $1's pair with driver $2 on the DUT (the
# C driver $3 on the peer); prints their case results as run_upstream does.
run_driver() {
	local t
	if [ "$2" = iflib_em ]; then
		bind_dut "$1" "$3" iflib_em || { echo "$1 with iflib_em|fail|the pair did not come up"; return; }
	else
		find_pair "$1"
		modprobe "$3"
	fi
	if ! setup_pair "$1"; then
		echo "$1 with $2|fail|the pair did not come up"
		cleanup
		return
	fi
	sleep 2
	# Not yet: hw/csum.py (its helper is built), whose ipv4_rx_tcp and
	# ipv4_rx_tcp_invalid cases fail on iflib_em and pass on the C e1000e
	# (testing.rst). On the 82574 (two queue sets) the queue, NAPI, ring and
	# interrupt tests too (queues.py's AF_XDP case and napi_id.py run helpers scripts/iflib/build
	# builds). The tests that take the interface down (queues.py, hw/irq.py and,
	# last, stats.py) come after those that use the DUT's IPv6 address: down
	# takes it away.
	tests="ping.py netpoll_basic.py hw/pp_alloc_fail.py"
	[ "$1" = e1000e ] && tests+=" napi_id.py ring_reconfig.py hw/rss_api.py queues.py napi_threaded.py hw/irq.py"
	for t in $tests stats.py; do
		run_upstream "$t" "$2"
	done
	cleanup
}

results=()
for MODEL in $MODELS; do
	grep -q "^$MODEL " "${IFLIB_TOPOLOGY:-/nonexistent}" 2>/dev/null || continue
	C_DRIVER=$(for m in $EM_MODELS; do [ "${m%%:*}" = "$MODEL" ] && echo "${m#*:}"; done)
	echo "# $MODEL: each upstream test against iflib_em, then against the C $C_DRIVER"
	declare -A OURS=() THEIRS=() DETAIL=()
	order=()
	while IFS='|' read -r name verdict detail; do
		order+=("$name")
		OURS[$name]=$verdict DETAIL[$name]=$detail
	done < <(run_driver "$MODEL" iflib_em "$C_DRIVER")
	while IFS='|' read -r name verdict detail; do
		THEIRS[$name]=$verdict
	done < <(run_driver "$MODEL" "$C_DRIVER" "$C_DRIVER")
	table=${IFLIB_OUT:-/tmp}/upstream-$MODEL.txt
	printf "%-52s %-8s %-8s %s\n" "$MODEL: upstream case" iflib_em "$C_DRIVER" "why" >"$table"
	for name in "${order[@]}"; do
		ours=${OURS[$name]} theirs=${THEIRS[$name]:--} why=${REASON[$name]:-}
		printf "%-52s %-8s %-8s %s\n" "$name" "$ours" "$theirs" "$why" >>"$table"
		case "$ours" in
		pass) results+=("pass|$MODEL: upstream $name|") ;;
		xfail) results+=("xfail|$MODEL: upstream $name|${DETAIL[$name]}") ;;
		skip)
			if [ "$theirs" = "$ours" ] || [ "$theirs" = fail ] || [ -n "$why" ]; then
				results+=("$ours|$MODEL: upstream $name|${DETAIL[$name]}")
			else
				results+=("fail|$MODEL: upstream $name|$ours on iflib_em (${DETAIL[$name]}), $theirs on $C_DRIVER")
			fi ;;
		*)
			if [ -n "$why" ]; then
				results+=("xfail|$MODEL: upstream $name|$why ($theirs on $C_DRIVER)")
			else
				results+=("fail|$MODEL: upstream $name|fails on iflib_em, $theirs on $C_DRIVER")
				# Why: the log's end.
				log="/tmp/iflib_iflib_em_${name%%.*}.py.log"
				[ -f "$log" ] || log=$(ls /tmp/iflib_iflib_em_*"${name%%.*}".py.log 2>/dev/null | head -1)
				[ -n "$log" ] && grep -vE "^(ok|not ok) " "$log" | tail -30 | sed "s/^/# $MODEL: $name: /"
			fi ;;
		esac
	done
	sed 's/^/# /' "$table"
	unset OURS THEIRS DETAIL
done
[ ${#results[@]} -gt 0 ] || ktap_exit_fail_msg "the upstream tests reported nothing"
ktap_set_plan ${#results[@]}
for r in "${results[@]}"; do
	IFS='|' read -r verdict name detail <<<"$r"
	case "$verdict" in
	pass) ktap_test_pass "$name" ;;
	skip) ktap_test_skip "$name $detail" ;;
	xfail) ktap_test_xfail "$name $detail" ;;
	*) ktap_test_fail "$name: $detail" ;;
	esac
done
ktap_finished
