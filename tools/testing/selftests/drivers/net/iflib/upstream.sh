#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The upstream drivers/net selftests, side by side: each runs against iflib_em
# on the DUT, then against the C driver on the same DUT, the peer (its C
# driver) in the remote namespace with the environment the tests expect
# (NETIF, LOCAL_V4/REMOTE_V4, LOCAL_V6/REMOTE_V6, REMOTE_TYPE=netns). ping.py,
# hw/csum.py (checksums verified on receive, inserted on send), netpoll_basic.py (netconsole flushed through netpoll, the polls counted by
# bpftrace), hw/pp_alloc_fail.py (page pool allocations failing under iperf3
# traffic) and stats.py on every model; on the 82574 (two queue sets) also
# napi_id.py, ring_reconfig.py, hw/rss_api.py, queues.py, napi_threaded.py
# and hw/irq.py. make test runs the e1000e, make test-full one model of each
# family. Prints a table of every case (iflib_em, the C driver, why they
# differ) and saves it in $IFLIB_OUT; each case becomes one result (see
# verdict): iflib_em's pass and XFAIL stand, its skip stands when the C driver
# skips for the same reason or REASON says why, and its failure fails unless
# REASON says what the device lacks (then XFAIL). A case iflib_em did not
# report, a test that exits non-zero or reports fewer cases than its plan,
# fail.
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
if [ ! -f "$UPSTREAM/ping.py" ]; then
	ktap_skip_all "no upstream selftests at $UPSTREAM"
	exit "$KSFT_SKIP"
fi

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
# "CASE|VERDICT|DETAIL|LOG", VERDICT one of pass, fail, skip, xfail, LOG the test's
# whole output. A test that exits non-zero without failing a case, or reports
# fewer cases than its plan, adds a failed result of its own.
run_upstream() {
	local log="/tmp/iflib_$2_${1//\//_}.log" rc plan cases
	(cd "$UPSTREAM" && PATH=$ETHTOOL_DIR:$PATH NETIF=$NETIF \
		timeout -k 10 150 python3 "./$1" 2>&1) >"$log"
	rc=$?
	sed -n 's/^\(ok\|not ok\) [0-9]* \([^ ]*\)\(.*\)$/\1|\2|\3/p' "$log" |
		while IFS='|' read -r verdict name rest; do
			case "$verdict:$rest" in
			"not ok:"*) verdict=fail ;;
			*"# SKIP"*) verdict=skip rest=${rest#*# SKIP } ;;
			*"# XFAIL"*) verdict=xfail rest=${rest#*# XFAIL } ;;
			*) verdict=pass rest= ;;
			esac
			echo "$name|$verdict|${rest# }|$log"
		done
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -1)
	cases=$(grep -cE "^(ok|not ok) " "$log")
	if [ "$cases" = 0 ]; then
		echo "$1|fail|reported no result (exit $rc)|$log"
	elif [ -n "$plan" ] && [ "$cases" -lt "$plan" ]; then
		echo "$1|fail|reported $cases of its $plan cases (exit $rc)|$log"
	elif [ "$rc" != 0 ] && ! grep -q "^not ok " "$log"; then
		echo "$1|fail|exited $rc with no case failed|$log"
	fi
}

# Why a case may fail or skip on iflib_em where the C driver does not, or fail on
# both: what the 82574 or QEMU's model of it lacks. A case that differs without a
# reason here fails.
NO_CONTEXTS="the 82574 has no RSS contexts; the test creates one unchecked"
FIXED_FIELDS="the 82574 hashes fixed fields (MRQC): no set_rxfh_fields"
declare -A REASON=(
	[rss_api.test_rxfh_nl_set_indir_ctx]="$NO_CONTEXTS"
	[rss_api.test_rxfh_indir_ctx_ntf]="$NO_CONTEXTS"
	[rss_api.test_rss_ctx_add]="$NO_CONTEXTS"
	[rss_api.test_rss_ctx_ntf]="$NO_CONTEXTS"
	[rss_api.test_rxfh_fields_set]="$FIXED_FIELDS"
	[rss_api.test_rxfh_fields_set_xfrm]="$FIXED_FIELDS"
	[rss_api.test_rxfh_fields_ntf]="$FIXED_FIELDS"
	[ping.test_xdp_native_mb]="iflib has no multi-buffer XDP (the MTU is refused)"
)

# Runs the upstream tests on MODEL $1's pair with driver $2 on the DUT (the
# C driver $3 on the peer), in this shell (bind_dut's DUT_PCI stays set for the
# cleanup); writes their case results, as run_upstream prints them, to file $4.
run_driver() {
	local t out=$4
	: >"$out"
	if [ "$2" = iflib_em ]; then
		if ! bind_dut "$1" "$3" iflib_em; then
			echo "$1 with $2|fail|iflib_em did not take the DUT|" >>"$out"
			cleanup
			return
		fi
	else
		find_pair "$1"
		modprobe "$3"
	fi
	if ! setup_pair "$1" || [ "$(driver_of "$NETIF")" != "$2" ]; then
		echo "$1 with $2|fail|the pair did not come up with $2 on the DUT|" >>"$out"
		cleanup
		return
	fi
	sleep 2
	# On the 82574 (two queue sets) also the queue, NAPI, ring and interrupt
	# tests. hw/csum.py, queues.py's AF_XDP case and napi_id.py run helpers
	# scripts/iflib/build builds. The tests that take the interface down
	# (queues.py, hw/irq.py and, last, stats.py) come after those that use the
	# DUT's IPv6 address: down takes it away.
	tests="ping.py hw/csum.py netpoll_basic.py hw/pp_alloc_fail.py"
	[ "$1" = e1000e ] && tests+=" napi_id.py ring_reconfig.py hw/rss_api.py queues.py"
	[ "$1" = e1000e ] && tests+=" napi_threaded.py hw/irq.py"
	for t in $tests stats.py; do
		run_upstream "$t" "$2" >>"$out"
	done
	cleanup
}

# verdict OURS THEIRS OUR_DETAIL THEIR_DETAIL WHY: the result of a case as
# "VERDICT|DETAIL": iflib_em's pass and XFAIL stand; its skip stands when the
# C driver skips for the same reason or WHY says why; its failure is XFAIL
# with WHY, else a failure.
verdict() {
	case "$1" in
	pass) echo "pass|" ;;
	xfail) echo "xfail|$3" ;;
	skip)
		if { [ "$2" = skip ] && [ "$3" = "$4" ]; } || [ -n "$5" ]; then
			echo "skip|$3${5:+ ($5)}"
		else
			echo "fail|skips on iflib_em ($3), $2 on the C driver${4:+ ($4)}"
		fi ;;
	missing) echo "fail|not reported on iflib_em, $2 on the C driver" ;;
	*)
		if [ -n "$5" ]; then
			echo "xfail|$5 ($2 on the C driver)"
		else
			echo "fail|fails on iflib_em${3:+ ($3)}, $2 on the C driver"
		fi ;;
	esac
}

results=()
for MODEL in $MODELS; do
	grep -q "^$MODEL " "${IFLIB_TOPOLOGY:-/nonexistent}" 2>/dev/null || continue
	C_DRIVER=$(for m in $EM_MODELS; do [ "${m%%:*}" = "$MODEL" ] && echo "${m#*:}"; done)
	echo "# $MODEL: each upstream test against iflib_em, then against the C $C_DRIVER"
	unset OURS THEIRS DETAIL THEIR_DETAIL LOG
	declare -A OURS=() THEIRS=() DETAIL=() THEIR_DETAIL=() LOG=()
	order=()
	run_driver "$MODEL" iflib_em "$C_DRIVER" /tmp/iflib_upstream_ours
	run_driver "$MODEL" "$C_DRIVER" "$C_DRIVER" /tmp/iflib_upstream_theirs
	while IFS='|' read -r name verdict detail log; do
		order+=("$name")
		OURS[$name]=$verdict DETAIL[$name]=$detail LOG[$name]=$log
	done </tmp/iflib_upstream_ours
	while IFS='|' read -r name verdict detail log; do
		THEIRS[$name]=$verdict THEIR_DETAIL[$name]=$detail
		case "$name" in
		# The C run's own trouble (no pair, a test that reported nothing): shown.
		*" with "* | *.py) echo "# $C_DRIVER: $name: $detail" ;;
		# A case only the C driver reported is one iflib_em lost.
		*) [ -n "${OURS[$name]:-}" ] || { order+=("$name"); OURS[$name]=missing; } ;;
		esac
	done </tmp/iflib_upstream_theirs
	table=${IFLIB_OUT:-/tmp}/upstream-$MODEL.txt
	printf "%-52s %-8s %-8s %s\n" "$MODEL: upstream case" iflib_em "$C_DRIVER" "why" >"$table"
	for name in "${order[@]}"; do
		ours=${OURS[$name]} theirs=${THEIRS[$name]:--} why=${REASON[$name]:-}
		printf "%-52s %-8s %-8s %s\n" "$name" "$ours" "$theirs" "$why" >>"$table"
		IFS='|' read -r v detail < <(verdict "$ours" "$theirs" "${DETAIL[$name]:-}" \
			"${THEIR_DETAIL[$name]:-}" "$why")
		results+=("$v|$MODEL: upstream $name|$detail")
		if [ "$v" = fail ] && [ -f "${LOG[$name]:-}" ]; then
			# Why: the end of the test's log.
			grep -vE "^(ok|not ok) " "${LOG[$name]}" | tail -30 | sed "s/^/# $MODEL: $name: /"
		fi
	done
	sed 's/^/# /' "$table"
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
