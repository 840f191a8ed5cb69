#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Transmit offloads of iflib_em (QEMU e1000 against the C e1000): the
# device advertises scatter-gather and checksum insertion, TCP sent from
# the DUT arrives intact with them (the peer verifies every checksum in
# software), no packet had to be linearized, and the same holds with each
# offload switched off through ethtool -K.

. "$(dirname "$0")/lib.sh"

MODEL=${MODEL:-e1000}
C_DRIVER=${C_DRIVER:-e1000}

ktap_print_header
find_pair "$MODEL"
ktap_set_plan 5

cleanup() {
	cleanup_remote
	release_dut iflib_em
}
trap cleanup EXIT

feature() { # NAME: its state in ethtool -k
	ethtool -k "$DUT" | awk -v f="$1:" '$1 == f { print $2 }'
}

bind_dut "$MODEL" "$C_DRIVER" iflib_em || ktap_exit_fail_msg "iflib_em did not take the DUT"
setup_pair "$MODEL" || ktap_exit_fail_msg "the $MODEL pair did not come up"
sleep 2

echo "# scatter-gather $(feature scatter-gather), tx-checksumming $(feature tx-checksumming)"
ktap_check "scatter-gather and tx-checksumming on" \
	[ "$(feature scatter-gather)" = on -a "$(feature tx-checksumming)" = on ]
lin0=$(ethtool -S "$DUT" | awk '$1 == "tx_linearized:" { print $2 }')
ktap_check "16 MiB TCP from the DUT with both offloads, intact" \
	tcp_transfer "" "$REMOTE_NS" "$REMOTE_V4"
lin=$(ethtool -S "$DUT" | awk '$1 == "tx_linearized:" { print $2 }')
ktap_check "no packet linearized ($lin0 -> $lin)" [ -n "$lin" -a "$lin" = "$lin0" ]
ethtool -K "$DUT" tx off
ktap_check "intact with checksums computed in software" \
	tcp_transfer "" "$REMOTE_NS" "$REMOTE_V4"
ethtool -K "$DUT" sg off
ktap_check "intact without scatter-gather" \
	tcp_transfer "" "$REMOTE_NS" "$REMOTE_V4"

ktap_finished
