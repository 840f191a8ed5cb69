# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the iflib selftests. The test VM (tools/testing/iflib) wires
# NICs in back-to-back pairs and lists them in $IFLIB_TOPOLOGY, one line per
# pair: "MODEL DUT_MAC PEER_MAC". The DUT stays in the init namespace; the
# peer can be moved to the "remote" namespace, as the upstream drivers/net
# selftests expect (REMOTE_TYPE=netns).

lib_dir=$(dirname "${BASH_SOURCE[0]:-$0}")
. "$lib_dir/../../../kselftest/ktap_helpers.sh"

REMOTE_NS=remote

# `make test` sizes transfers and loops to prove correctness; `make
# test-full` (IFLIB_FULL=1) to endure. Prints $1 for the first, $2 for the
# second.
by_scope() {
	if [ "${IFLIB_FULL:-0}" = 1 ]; then echo "$2"; else echo "$1"; fi
}

# by_kernel DEBUG DEFAULT: DEBUG on the harness's debug kernel (it sets
# IFLIB_TIME_FACTOR above 1: several times slower) in make test, else DEFAULT.
# Transfers there are sized to prove correctness under its checkers.
by_kernel() {
	if [ "${IFLIB_TIME_FACTOR:-1}" -gt 1 ] && [ "${IFLIB_FULL:-0}" != 1 ]; then
		echo "$1"
	else
		echo "$2"
	fi
}

# The QEMU models em drives, each with the C driver that drives its peer.
EM_MODELS="e1000:e1000 e1000-82545em:e1000 e1000-82544gc:e1000 e1000e:e1000e"

# Name of the interface with MAC address $1 in the current namespace, if any.
# With shell builtins only: on the debug kernel a process costs 280 ms.
ifname_by_mac() {
	local dev address
	for dev in /sys/class/net/*; do
		read -r address <"$dev/address" 2>/dev/null || continue
		[ "$address" = "$1" ] && echo "${dev##*/}" && return 0
	done
	return 1
}

# Sets DUT_MAC and PEER_MAC for the NIC pair of QEMU model $1, or skips the
# whole test when this VM has no such pair.
find_pair() {
	local line
	line=$(grep "^$1 " "${IFLIB_TOPOLOGY:-/nonexistent}" 2>/dev/null | head -1)
	[ -n "$line" ] || ktap_skip_all "no $1 NIC pair in this VM"
	[ -n "$line" ] || exit "$KSFT_SKIP"
	set -- $line
	DUT_MAC=$2
	PEER_MAC=$3
}

# Waits up to $2 seconds for an interface with MAC $1; prints its name.
wait_ifname() {
	local i
	for i in $(seq $(($2 * 10))); do
		ifname_by_mac "$1" && return 0
		sleep 0.1
	done
	return 1
}

# Waits up to $2 seconds for carrier on interface $1 (namespace $3 if set).
wait_carrier() {
	wait_carrier_state 1 "$@"
}

# wait_carrier_state STATE IFNAME SECONDS [NETNS]: /sys/class/net/IFNAME/carrier
# reads STATE (1 or 0) within SECONDS.
wait_carrier_state() {
	local i
	for i in $(seq $(($3 * 10))); do
		[ "$(carrier_state "$2" "${4:-}")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# carrier_state IFNAME [NETNS]: what /sys/class/net/IFNAME/carrier reads (1 or 0;
# nothing while the interface is down), in one process at most.
carrier_state() {
	local link flags state=
	if [ -z "$2" ]; then
		read -r state <"/sys/class/net/$1/carrier" 2>/dev/null
	else
		# Where sysfs shows init_net: the flags "<...,UP,LOWER_UP>" say the same.
		link=$(ip -n "$2" -o link show dev "$1" 2>/dev/null) || return 0
		flags=,${link#*<}
		flags=${flags%%>*},
		case $flags in *,UP,*LOWER_UP,*) state=1 ;; *,UP,*) state=0 ;; esac
	fi
	echo "$state"
}

# Moves interface $1 into the remote namespace, with IPv6 off so nothing
# but the test's own traffic crosses the link.
move_to_remote() {
	ip netns add "$REMOTE_NS" 2>/dev/null
	ip netns exec "$REMOTE_NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip link set "$1" netns "$REMOTE_NS"
	ip -n "$REMOTE_NS" link set lo up
}

# Brings up the NIC pair of QEMU model $1 for a test whose driver is loaded:
# the peer goes to the remote namespace, both ends get the addresses the
# upstream drivers/net selftests use, and their environment is exported
# (NETIF, LOCAL_V4/REMOTE_V4, LOCAL_V6/REMOTE_V6, REMOTE_TYPE=netns,
# REMOTE_ARGS, and LOCAL_PREFIX_V6, the netkit tests' prefix behind the DUT).
# Sets DUT and PEER to the interface names. Returns non-zero
# when an interface or its carrier does not come.
setup_pair() {
	find_pair "$1"
	DUT=$(wait_ifname "$DUT_MAC" 10) && PEER=$(wait_ifname "$PEER_MAC" 10) || return 1
	move_to_remote "$PEER"
	ip netns exec "$REMOTE_NS" sysctl -qw "net.ipv6.conf.$PEER.disable_ipv6=0"
	export NETIF=$DUT LOCAL_V4=192.0.3.1 REMOTE_V4=192.0.3.2 \
		LOCAL_V6=2001:db8:1::1 REMOTE_V6=2001:db8:1::2 \
		REMOTE_TYPE=netns REMOTE_ARGS=$REMOTE_NS LOCAL_PREFIX_V6=2001:db8:2::/64
	ip addr add "$LOCAL_V4/24" dev "$DUT"
	ip addr add "$LOCAL_V6/64" dev "$DUT" nodad
	ip -n "$REMOTE_NS" addr add "$REMOTE_V4/24" dev "$PEER"
	ip -n "$REMOTE_NS" addr add "$REMOTE_V6/64" dev "$PEER" nodad
	ip link set "$DUT" up
	ip -n "$REMOTE_NS" link set "$PEER" up
	# The DUT is reachable at LOCAL_PREFIX_V6 from the peer (drivers/net's README).
	ip -n "$REMOTE_NS" -6 route replace "$LOCAL_PREFIX_V6" via "$LOCAL_V6" dev "$PEER"
	wait_carrier "$DUT" 10 && wait_carrier "$PEER" 10 "$REMOTE_NS"
}

cleanup_remote() {
	local dev ns=
	# The peer's RX ring as the test found it (peer_deep_rx_ring, EmPair), for
	# the next test (4096 jumbo buffers of the C driver fill most of the bounce
	# buffers of a swiotlb=force kernel); set where the peer is now.
	if [ -n "${PEER_RX_RING:-}" ]; then
		ip -n "$REMOTE_NS" link show dev "$PEER" >/dev/null 2>&1 && ns=$REMOTE_NS
		[ "$(ring_size "$PEER" RX "$ns")" = "$PEER_RX_RING" ] ||
			${ns:+ip netns exec $ns} ethtool -G "$PEER" rx "$PEER_RX_RING" 2>/dev/null
		PEER_RX_RING=
	fi
	# The NICs go back to init_net first, at once: deleting the namespace returns
	# them only when nothing holds it any more, and a TCP socket retransmitting
	# to a NIC that went away (a surprise removal, a timed-out client) holds it
	# for minutes. A NIC that came back meanwhile (hot-plugged) may have
	# taken the name in init_net: the kernel then picks a free one.
	# The fallback tunnel devices each namespace gets (gre0@NONE, ...) stay.
	for dev in $(ip -n "$REMOTE_NS" -o link show 2>/dev/null |
		awk -F': ' '$2 != "lo" && $2 !~ /@NONE$/ { sub("@.*", "", $2); print $2 }'); do
		ip -n "$REMOTE_NS" link set dev "$dev" netns 1 2>/dev/null ||
			ip -n "$REMOTE_NS" link set dev "$dev" netns 1 name "eth%d"
	done
	ip netns del "$REMOTE_NS" 2>/dev/null
}

# ring_size IFNAME RX|TX [NETNS]: the ring's current size.
ring_size() {
	${3:+ip netns exec $3} ethtool -g "$1" 2>/dev/null |
		awk -v dir="$2:" '/^Current/ { cur = 1 } cur && $1 == dir { print $2; exit }'
}

# peer_deep_rx_ring: gives the peer (in the remote namespace) its largest RX
# ring, 4096 entries on every em model; cleanup_remote puts the old size back.
peer_deep_rx_ring() {
	PEER_RX_RING=${PEER_RX_RING:-$(ring_size "$PEER" RX "$REMOTE_NS")}
	# Not without the size to put back.
	[ -n "$PEER_RX_RING" ] && ip netns exec "$REMOTE_NS" ethtool -G "$PEER" rx 4096
}

# Counter $2 (e.g. rx_packets) of interface $1, in namespace $3 if set.
counter() {
	${3:+ip netns exec $3} cat "/sys/class/net/$1/statistics/$2"
}

# deep_rx_rings: gives both ends of the pair their largest RX ring (4096
# on every em model and in the C drivers), so that a paced sender's frames
# survive a receiver TCG leaves unscheduled for tens of milliseconds (a
# 256-entry ring at 10,000 frames per second lasts 25 ms); waits for the
# links and for QEMU's RX hold after the ring change.
deep_rx_rings() {
	ethtool -G "$DUT" rx 4096 && peer_deep_rx_ring &&
		wait_carrier "$DUT" 10 && wait_carrier "$PEER" 10 "$REMOTE_NS" &&
		sleep 2
}

# em_cleanup: what a pktgen test leaves behind on one em model: pktgen's
# devices, the remote namespace, the DUT bound to iflib_em.
em_cleanup() {
	pktgen_release
	cleanup_remote
	release_dut iflib_em
}

# Marks the kernel log so that kmsg_since_mark shows only what follows.
kmsg_mark() {
	KMSG_MARK="iflib-selftest-mark-$$-$RANDOM"
	echo "$KMSG_MARK" >/dev/kmsg
}

kmsg_since_mark() {
	dmesg | sed -n "/$KMSG_MARK/,\$p"
}

# Rebinds the DUT of the pair of QEMU model $1 from the in-tree C driver $2
# to our driver $3, leaving the peer on the C driver: both C and Rust
# drivers claim the same PCI IDs, so the DUT gets a driver_override.
# Loads the modules; sets DUT_PCI. Returns non-zero if the DUT does not
# come back under $3.
bind_dut() {
	local dev
	find_pair "$1"
	modprobe "$2" || return 1
	# A NIC a previous test left without a driver: offer it to the C one.
	for dev in /sys/bus/pci/devices/*; do
		[ -e "$dev/driver" ] || echo "$(basename "$dev")" >/sys/bus/pci/drivers_probe
	done 2>/dev/null
	dev=$(wait_ifname "$DUT_MAC" 10) || return 1
	DUT_PCI=$(basename "$(readlink -f "/sys/class/net/$dev/device")")
	echo "$DUT_PCI" >"/sys/bus/pci/drivers/$2/unbind"
	echo "$3" >"/sys/bus/pci/devices/$DUT_PCI/driver_override"
	modprobe "$3" || return 1
	[ -e "/sys/bus/pci/drivers/$3/$DUT_PCI" ] ||
		echo "$DUT_PCI" >/sys/bus/pci/drivers_probe
	wait_ifname "$DUT_MAC" 10 >/dev/null
}

# Undoes bind_dut: unloads our driver $1 and gives the DUT back to the C
# driver, as the next test expects to find it.
release_dut() {
	rmmod "$1" 2>/dev/null
	[ -n "$DUT_PCI" ] || return 0
	echo >"/sys/bus/pci/devices/$DUT_PCI/driver_override"
	echo "$DUT_PCI" >/sys/bus/pci/drivers_probe 2>/dev/null
}

# pktgen_send IFNAME DST_MAC [NETNS [THREAD [DST_IP SRC_IP]]]: sends $COUNT
# UDP frames (to port 9) of $PKT_SIZE bytes (default 60, FCS excluded) at
# $RATE frames per second (pktgen must be loaded); to 198.51.100.2 from
# 198.51.100.1 unless given. Gives up, stopping pktgen, after four times the
# paced time plus a minute (times IFLIB_TIME_FACTOR): the write that starts
# pktgen returns only when every frame left, never if the sender's TX queue
# stays stopped (a hung ring).
pktgen_send() {
	local ns=${3:+ip netns exec $3} thread=${4:-0} pg=/proc/net/pktgen/$1
	local dst=${5:-198.51.100.2} src=${6:-198.51.100.1} rate=${RATE:-0}
	[ "$rate" -gt 0 ] || rate=1000
	local limit=$(((4 * COUNT / rate + 60) * ${IFLIB_TIME_FACTOR:-1}))
	$ns sh -c "echo rem_device_all >/proc/net/pktgen/kpktgend_$thread;
		echo 'add_device $1' >/proc/net/pktgen/kpktgend_$thread"
	for cmd in "count $COUNT" "pkt_size ${PKT_SIZE:-60}" "ratep $RATE" "clone_skb 0" \
		"dst_mac $2" "dst $dst" "src_min $src" "src_max $src"; do
		$ns sh -c "echo '$cmd' >$pg"
	done
	# pktgen waits interruptibly: the signal of timeout stops every thread.
	$ns timeout -k 10 "$limit" sh -c "echo start >/proc/net/pktgen/pgctrl"
	case $? in
	124 | 137) echo "# pktgen: not done after $limit s: stopped" ;;
	esac
	$ns grep -A1 "^Result:" "$pg" | tr '\n' ' ' | sed 's/^/# pktgen: /'
	echo
}

# pktgen_release: detaches every device from the pktgen threads.
pktgen_release() {
	local t
	for t in /proc/net/pktgen/kpktgend_*; do
		echo rem_device_all >"$t"
	done 2>/dev/null
	ip netns exec "$REMOTE_NS" sh -c \
		'for t in /proc/net/pktgen/kpktgend_*; do echo rem_device_all >$t; done' 2>/dev/null
}

# settle_by BASE COMMAND...: the growth over BASE of the value COMMAND prints,
# once it reaches $COUNT or has not moved for three seconds.
settle_by() {
	local base=$1 prev=-1 still=0 now i
	shift
	for i in $(seq 100); do
		now=$(($("$@") - base))
		[ "$now" = "$prev" ] && still=$((still + 1)) || still=0
		[ "$now" -ge "$COUNT" ] || [ "$still" -ge 15 ] && break
		prev=$now
		sleep 0.2
	done
	echo "$now"
}

# settle IFNAME COUNTER NETNS BASE: settle_by for a counter of an interface.
settle() {
	settle_by "$4" counter "$1" "$2" "$3"
}

# tcp_transfer FROM_NETNS TO_NETNS TO_ADDR [MIB]: streams MIB (default 16, 4
# on the debug kernel)
# MiB of random data over TCP, IPv6 if TO_ADDR is ("" is the init
# namespace); true when all of it arrives intact (same SHA-1 on both ends).
# Gives up after a minute plus 0.5 s per MiB, times IFLIB_TIME_FACTOR (the
# harness sets it for its debug kernel, several times slower).
tcp_transfer() {
	local from=${1:+ip netns exec $1} to=${2:+ip netns exec $2} mib=${4:-$(by_kernel 4 16)}
	local tmp sent got i listen=TCP-LISTEN peer="TCP:$3"
	local limit=$(((60 + mib / 2) * ${IFLIB_TIME_FACTOR:-1}))
	case "$3" in *:*) listen=TCP6-LISTEN peer="TCP6:[$3]" ;; esac
	tmp=$(mktemp -d)
	$to timeout "$limit" socat -u "$listen:5001,reuseaddr" STDOUT | sha1sum >"$tmp/rx" &
	sleep 0.5
	head -c "${mib}M" /dev/urandom | tee >(sha1sum >"$tmp/tx") |
		$from timeout "$limit" socat -u STDIN "$peer:5001"
	wait $!
	for i in $(seq 50); do
		[ -s "$tmp/tx" ] && break
		sleep 0.1
	done
	sent=$(cat "$tmp/tx")
	got=$(cat "$tmp/rx")
	rm -rf "$tmp"
	echo "# TCP to $3: $mib MiB, sent ${sent%% *}, received ${got%% *}"
	[ -n "$got" ] && [ "${got%% *}" = "${sent%% *}" ]
}

# ktap_check DESCRIPTION COMMAND...: one KTAP result, passing when the
# command succeeds; the description starts with $MODEL when it is set.
ktap_check() {
	local what=${MODEL:+$MODEL: }$1
	shift
	if "$@"; then ktap_test_pass "$what"; else ktap_test_fail "$what"; fi
}

# The "MODEL:C_DRIVER" entries of EM_MODELS with a NIC pair in this VM;
# only those MODEL names when it is set (one model, or a comma-separated
# list: the harness's quick run picks one model of each em family).
em_models() {
	local m
	for m in $EM_MODELS; do
		case ",${MODEL:-${m%%:*}}," in *",${m%%:*},"*) ;; *) continue ;; esac
		grep -q "^${m%%:*} " "${IFLIB_TOPOLOGY:-/nonexistent}" 2>/dev/null && echo "$m"
	done
}

# for_each_em_model CHECKS FUNC [CLEANUP]: plans CHECKS results per em
# model in this VM, then for each sets MODEL and C_DRIVER and runs FUNC,
# then CLEANUP. Results FUNC did not reach (it returned early) are
# reported failed. Ends the test.
for_each_em_model() {
	local checks=$1 func=$2 cleanup=${3:-true} models m start
	models=$(em_models)
	if [ -z "$models" ]; then
		ktap_skip_all "no em NIC pair in this VM"
		exit "$KSFT_SKIP"
	fi
	ktap_set_plan $(($(echo $models | wc -w) * checks))
	for m in $models; do
		MODEL=${m%%:*}
		C_DRIVER=${m#*:}
		echo "# $MODEL: iflib_em against the C $C_DRIVER"
		start=$KTAP_TESTNO
		"$func"
		while [ $((KTAP_TESTNO - start)) -lt "$checks" ]; do
			ktap_test_fail "$MODEL: check $((KTAP_TESTNO - start + 1)) not reached"
		done
		"$cleanup"
	done
	ktap_finished
}

# within VALUE LOW HIGH: VALUE is a number from LOW to HIGH.
within() {
	[ -n "$1" ] && [ "$1" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]
}

# ethtool_stat IFNAME NAME [NETNS]: one value of ethtool -S.
ethtool_stat() {
	${3:+ip netns exec $3} ethtool -S "$1" | awk -v n="$2:" '$1 == n { print $2 }'
}

# netdev-genl through the kernel tree's ynl CLI, where the VM has the tree.
YNL_SOURCE=${IFLIB_BUILD:-/nonexistent}/source
YNL=$YNL_SOURCE/tools/net/ynl/pyynl/cli.py

# netdev_dump OP: the netdev-genl dump OP as JSON.
netdev_dump() {
	python3 "$YNL" --spec "$YNL_SOURCE/Documentation/netlink/specs/netdev.yaml" \
		--no-schema --dump "$1" --output-json
}

# register_dump IFNAME: the 32-bit words of ethtool -d, one per line.
register_dump() {
	ethtool -d "$1" raw on | od -An -v -tu4 | tr -s ' ' '\n' | sed '/^$/d'
}

# snmp_counter GROUP FIELD [NETNS]: a counter of /proc/net/snmp (e.g. Udp
# InCsumErrors).
snmp_counter() {
	${3:+ip netns exec $3} awk -v g="$1:" -v f="$2" '
		$1 == g && !col { for (i = 2; i <= NF; i++) if ($i == f) col = i; next }
		$1 == g && col { print $col }' /proc/net/snmp
}

# host_link MAC up|down: asks the host running the test VM to take the link
# of the NIC with MAC down or up, as a cable would (tools/testing/iflib/vm/
# qemu.py reads the request from the job's output; IFLIB_HOST_LINK=1 says it
# does). The request is on its way when this returns: wait for its effect.
host_link() {
	echo "# iflib-host: set_link $1 $2"
}

# reg32 PCI OFFSET [VALUE | watch SECONDS]: reads, or writes, a 32-bit
# register of BAR 0 of PCI device PCI, behind its driver's back; "watch"
# reads it every 10 ms for SECONDS and prints each value when it first shows.
reg32() {
	python3 - "$@" <<'PY'
import ctypes, mmap, os, sys, time
fd = os.open(f"/sys/bus/pci/devices/{sys.argv[1]}/resource0", os.O_RDWR | os.O_SYNC)
bar = mmap.mmap(fd, os.fstat(fd).st_size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
reg = ctypes.c_uint32.from_buffer(bar, int(sys.argv[2], 0))
if len(sys.argv) > 4 and sys.argv[3] == "watch":
    seen, end = [], time.monotonic() + float(sys.argv[4])
    while time.monotonic() < end:
        if reg.value not in seen:
            seen.append(reg.value)
            print(seen[-1], flush=True)
        time.sleep(0.01)
elif len(sys.argv) > 3:
    reg.value = int(sys.argv[3], 0)
else:
    print(reg.value)
del reg
bar.close()
PY
}

# Name of the driver bound to interface $1.
# wait_reachable ADDR SECONDS: waits up to SECONDS (times IFLIB_TIME_FACTOR) for
# ADDR to answer a ping. QEMU's e1000 holds RX a while after a driver writes
# RCTL: a test that restarted either end waits for this before it counts.
wait_reachable() {
	local end=$((SECONDS + $2 * ${IFLIB_TIME_FACTOR:-1}))
	until ping -c 1 -W 1 "$1" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

driver_of() {
	basename "$(readlink -f "/sys/class/net/$1/device/driver")"
}
