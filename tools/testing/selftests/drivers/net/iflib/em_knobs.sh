#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iflib's knobs (ethtool private flags) on every em model against its C
# driver. The 82574 (QEMU e1000e) offers MSI-X: iflib lists `disable-msix`,
# off, and uses two MSI-X vectors (the queue set's "<iface>-TxRx-0" and the
# admin one). Set under a ping flood, the flag takes effect at once: the
# device restarts on one MSI vector, the flood survives without a TX
# timeout, and a TCP stream passes with that vector's interrupt count
# growing; netdev-genl reports each vector as NAPI's interrupt (ynl). Cleared
# while the interface is down, MSI-X is back after `up`. Unloading on the MSI
# vector under a flood frees the vectors.
# A flag bit without a name, sent through the ioctl (which, unlike netlink,
# passes any bits), is refused with EINVAL. The 8254x models have no MSI-X:
# no private flags, setting one is refused.

. "$(dirname "$0")/lib.sh"

CHECKS=9

FLOOD=
cleanup_model() {
	[ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null
	FLOOD=
	cleanup_remote
	release_dut iflib_em
}

# flag_is VALUE: `ethtool --show-priv-flags` shows disable-msix as VALUE.
flag_is() {
	ethtool --show-priv-flags "$DUT" | grep -qx "disable-msix *: *$1"
}

# vectors: the interrupt modes of the DUT's allocated vectors, e.g. "msix msix".
vectors() {
	cat "/sys/bus/pci/devices/$DUT_PCI/msi_irqs/"* 2>/dev/null | sort | tr '\n' ' '
}

# interrupts NAME: the interrupt count of the line named NAME, summed over CPUs.
interrupts() {
	awk -v n="$1" '$NF == n {
		s = 0
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i
		print s
	}' /proc/interrupts
}

# irq_of NAME: the interrupt number of the line named NAME.
irq_of() {
	awk -v n="$1" '$NF == n { sub(":", "", $1); print $1 }' /proc/interrupts
}

# napi_on NAME: netdev-genl reports the line named NAME as the DUT's NAPI's
# interrupt.
napi_on() {
	local irq
	irq=$(netdev_dump napi-get | jq --argjson i "$(cat "/sys/class/net/$DUT/ifindex")" \
		'.[] | select(.ifindex == $i) | .irq')
	echo "# NAPI interrupt: $irq, $1: $(irq_of "$1")"
	[ -n "$irq" ] && [ "$irq" = "$(irq_of "$1")" ]
}

# uses_msix: two MSI-X vectors, the queue set's line requested by name and
# NAPI's.
uses_msix() {
	echo "# vectors: $(vectors)"
	[ "$(vectors)" = "msix msix " ] && [ -n "$(interrupts "$DUT-TxRx-0")" ] &&
		[ -n "$(interrupts "$DUT")" ] && napi_on "$DUT-TxRx-0"
}

# uses_msi: one MSI vector for everything, NAPI's.
uses_msi() {
	echo "# vectors: $(vectors)"
	[ "$(vectors)" = "msi " ] && [ -z "$(interrupts "$DUT-TxRx-0")" ] &&
		[ -n "$(interrupts "$DUT")" ] && napi_on "$DUT"
}

# stream_on LINE: a TCP stream to the peer passes and the line's count grows.
stream_on() {
	local before after
	before=$(interrupts "$1")
	tcp_transfer "" "$REMOTE_NS" "$REMOTE_V4" 8 || return 1
	after=$(interrupts "$1")
	echo "# $1 interrupts: $before -> $after"
	[ "$after" -gt "$before" ]
}

# set_flags_ioctl IFNAME VALUE: ETHTOOL_SPFLAGS with VALUE over SIOCETHTOOL;
# prints the error name, or "ok".
set_flags_ioctl() {
	python3 - "$@" <<'EOF2'
import ctypes, errno, fcntl, socket, struct, sys
SIOCETHTOOL, ETHTOOL_SPFLAGS = 0x8946, 0x28
value = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_SPFLAGS, int(sys.argv[2], 0)))
ifreq = struct.pack("16sP16x", sys.argv[1].encode(), ctypes.addressof(value))
try:
    fcntl.ioctl(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), SIOCETHTOOL, ifreq)
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
EOF2
}

# unnamed_refused VALUE: the ioctl refuses flags VALUE with EINVAL.
unnamed_refused() {
	local result
	result=$(set_flags_ioctl "$DUT" "$1")
	echo "# ETHTOOL_SPFLAGS $1: $result"
	[ "$result" = EINVAL ]
}

# no_flags: `ethtool --show-priv-flags` lists none (only its heading).
no_flags() {
	local out
	out=$(ethtool --show-priv-flags "$DUT") || return 1
	echo "$out" | sed 's/^/# /'
	[ "$(echo "$out" | grep -vc "^Private flags for $DUT:")" = 0 ]
}

test_model() {
	local i timeouts
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	if [ "$MODEL" != e1000e ]; then
		ktap_check "no MSI-X: no private flags, disable-msix refused" \
			eval 'no_flags && ! ethtool --set-priv-flags "$DUT" disable-msix on 2>/dev/null &&
				unnamed_refused 1'
		for i in $(seq 2 "$CHECKS"); do
			ktap_test_skip "$MODEL: the 8254x have no MSI-X"
		done
		return
	fi
	sleep 2 # QEMU's RX hold after the RCTL writes of bring-up

	ktap_check "disable-msix listed and off; two MSI-X vectors" \
		eval 'ethtool -i "$DUT" | grep -q "^supports-priv-flags: yes" && flag_is off && uses_msix'
	ktap_check "a flag without a name refused over the ioctl, flags unchanged" \
		eval 'unnamed_refused 3 && flag_is off && uses_msix'

	timeouts=$(ethtool_stat "$DUT" tx_timeouts)
	ping -f -q -w 30 "$REMOTE_V4" >/dev/null 2>&1 &
	FLOOD=$!
	sleep 2
	ethtool --set-priv-flags "$DUT" disable-msix on
	ktap_check "disable-msix on under a ping flood: read back, one MSI vector" \
		eval 'flag_is on && wait_carrier "$DUT" 10 && uses_msi'
	sleep 2
	kill "$FLOOD" 2>/dev/null
	wait "$FLOOD" 2>/dev/null
	FLOOD=
	sleep 2 # QEMU's RX hold after the restart's RCTL writes
	ktap_check "the flood survived the switch: no TX timeout, ping passes" \
		eval '[ "$(ethtool_stat "$DUT" tx_timeouts)" = "$timeouts" ] &&
			ping -q -c 10 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null'
	ktap_check "TCP stream on the MSI vector" stream_on "$DUT"

	ip link set "$DUT" down
	ethtool --set-priv-flags "$DUT" disable-msix off
	ktap_check "disable-msix off while down: read back, no line requested" \
		eval 'flag_is off && [ -z "$(interrupts "$DUT")" ]'
	ip link set "$DUT" up
	wait_carrier "$DUT" 10
	sleep 2
	ktap_check "up again: two MSI-X vectors" uses_msix
	ktap_check "TCP stream on the queue set's MSI-X vector" stream_on "$DUT-TxRx-0"

	ethtool --set-priv-flags "$DUT" disable-msix on
	ping -f -q -w 20 "$REMOTE_V4" >/dev/null 2>&1 &
	FLOOD=$!
	sleep 2
	ktap_check "unloaded on the MSI vector under a ping flood: vectors freed" \
		eval 'uses_msi && rmmod iflib_em && [ -z "$(vectors)" ]'
	kill "$FLOOD" 2>/dev/null
	wait "$FLOOD" 2>/dev/null
	FLOOD=
}

ktap_print_header
if [ ! -f "$YNL" ]; then
	ktap_skip_all "no ynl at $YNL"
	exit "$KSFT_SKIP"
fi
trap cleanup_model EXIT
for_each_em_model "$CHECKS" test_model cleanup_model
