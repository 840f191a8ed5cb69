#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ethtool settings iflib_em implements, on every em model: link
# settings, interrupt coalescing (rx-usecs, checked in the ITR register
# through ethtool -d), the EEPROM (it holds the permanent MAC address and
# Intel's checksum), forced flow control (checked in CTRL) and the
# identification LED (ethtool -p, watched in LEDCTL) and the self-tests
# (ethtool -t: registers, EEPROM and link offline; the link test fails with
# the cable out). Values read back, bad ones are refused with the right
# error, traffic passes after every change.

. "$(dirname "$0")/lib.sh"

CHECKS=14
# ethtool -d word indexes (see DUMPED_REGISTERS in the driver).
REG_CTRL=0
REG_ITR=5
CTRL_RFCE=$((1 << 27))
CTRL_TFCE=$((1 << 28))
LEDCTL=0x0e00 # LED0's mode in bits 3:0: 0xe forced on, 0xf forced off

ktap_print_header

setting() { # ethtool OPTION, NAME: the value of "NAME: value"
	ethtool $1 "$DUT" | awk -F':[ \t]*' -v n="$2" '$1 ~ "^[ \t]*" n "$" { print $2; exit }'
}

register() { # INDEX
	register_dump "$DUT" | sed -n "$(($1 + 1))p"
}

# refused EXPECTED_ERROR COMMAND...: the command fails with that error.
refused() {
	local want=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	echo "# $*: rc=$rc $(echo "$out" | tr '\n' ' ')"
	[ $rc -ne 0 ] && echo "$out" | grep -qi "$want"
}

link_settings_ok() {
	ethtool "$DUT" | grep -E "Speed|Duplex|Port|Auto-negotiation|Link detected|1000baseT" |
		sed 's/^/# /'
	[ "$(setting "" Speed)" = 1000Mb/s ] && [ "$(setting "" Duplex)" = Full ] &&
		[ "$(setting "" Port)" = "Twisted Pair" ] &&
		[ "$(setting "" "Link detected")" = yes ] &&
		ethtool "$DUT" | grep -A3 "Supported link modes" | grep -q "1000baseT/Full"
}

# The EEPROM starts with the permanent MAC address, and its 64 words sum
# to 0xBABA (Intel's checksum).
eeprom_ok() {
	local len mac words sum=0 w
	len=$(ethtool -e "$DUT" raw on | wc -c)
	mac=$(ethtool -e "$DUT" raw on | head -c 6 | od -An -tx1 | tr -s ' ' ':' | sed 's/^://; s/:$//')
	words=$(ethtool -e "$DUT" raw on | od -An -v -tu2)
	for w in $words; do sum=$(((sum + w) & 0xffff)); done
	echo "# EEPROM: $len bytes, MAC $mac (permanent $(ethtool -P "$DUT" | awk '{ print $3 }')), checksum $(printf 0x%04X $sum)"
	[ "$len" = 128 ] && [ "$mac" = "$(ethtool -P "$DUT" | awk '{ print $3 }')" ] &&
		[ $sum = $((0xBABA)) ]
}

pause_is() { # rx tx: ethtool -a reads them back and CTRL agrees
	local ctrl rfce=0 tfce=0
	ctrl=$(register $REG_CTRL)
	[ "$1" = on ] && rfce=$CTRL_RFCE
	[ "$2" = on ] && tfce=$CTRL_TFCE
	echo "# pause: autoneg $(setting -a Autonegotiate), rx $(setting -a RX), tx $(setting -a TX); CTRL $(printf 0x%08x "$ctrl")"
	[ "$(setting -a Autonegotiate)" = off ] && [ "$(setting -a RX)" = "$1" ] &&
		[ "$(setting -a TX)" = "$2" ] &&
		[ $((ctrl & (CTRL_RFCE | CTRL_TFCE))) = $((rfce | tfce)) ]
}

# self_test MODE VERDICT RESULTS: ethtool -t MODE reports VERDICT (PASS or
# FAIL) and the results RESULTS (registers, EEPROM, link), in order.
self_test() {
	local out rc results
	out=$(ethtool -t "$DUT" "$1")
	rc=$?
	echo "$out" | tr -s '\t\n' '  ' | sed 's/^/# ethtool -t: /'
	echo " (rc $rc)"
	results=$(echo "$out" | awk '/\((offline|online)\)|^link/ { print $NF }' | tr '\n' ' ')
	echo "$out" | grep -qx "The test result is $2" && [ "$results" = "$3 " ]
}

# identify_blinks: while ethtool -p runs for 6 s, LED0's mode in LEDCTL is
# seen forced on and forced off; afterwards LEDCTL is what it was. The watch
# lasts as long as the blinking: on the debug kernel the watcher's start alone
# can take a second or two, and a short watch saw only the last "off".
identify_blinks() {
	local before after modes id
	before=$(reg32 "$DUT_PCI" $LEDCTL)
	ethtool -p "$DUT" 6 &
	id=$!
	modes=$(reg32 "$DUT_PCI" $LEDCTL watch 6 |
		while read -r v; do printf '%x\n' $((v & 0xf)); done | sort -u | tr '\n' ' ')
	wait "$id"
	after=$(reg32 "$DUT_PCI" $LEDCTL)
	echo "# LEDCTL $(printf '%#x' "$before") -> LED0 modes seen: $modes-> $(printf '%#x' "$after")"
	grep -qw e <<<"$modes" && grep -qw f <<<"$modes" && [ "$after" = "$before" ]
}

test_model() {
	local itr
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	sleep 2

	ktap_check "link settings: 1000Mb/s full duplex, twisted pair" link_settings_ok

	itr=$(register $REG_ITR)
	echo "# rx-usecs $(setting -c rx-usecs), ITR $itr"
	ktap_check "rx-usecs 50 by default, ITR 195 (256 ns units)" \
		[ "$(setting -c rx-usecs)" = 50 -a "$itr" = 195 ]
	ethtool -C "$DUT" rx-usecs 100
	itr=$(register $REG_ITR)
	echo "# rx-usecs $(setting -c rx-usecs), ITR $itr"
	ktap_check "rx-usecs 100 reads back, ITR 390" \
		[ "$(setting -c rx-usecs)" = 100 -a "$itr" = 390 ]
	ktap_check "TCP to the DUT with rx-usecs 100" \
		tcp_transfer "$REMOTE_NS" "" "$LOCAL_V4"
	ktap_check "rx-usecs 20000 refused with EINVAL and a message" \
		refused "invalid argument" ethtool -C "$DUT" rx-usecs 20000
	ktap_check "tx-usecs refused as an unsupported parameter" \
		refused "unsupported parameter" ethtool -C "$DUT" tx-usecs 10
	ethtool -C "$DUT" rx-usecs 50

	ktap_check "EEPROM: 128 bytes, permanent MAC, valid checksum" eeprom_ok

	ktap_check "flow control off by default" pause_is off off
	ethtool -A "$DUT" rx on tx on
	ktap_check "rx and tx pause on: read back, in CTRL" pause_is on on
	ktap_check "pause autonegotiation refused" \
		refused "invalid argument" ethtool -A "$DUT" autoneg on
	ethtool -A "$DUT" rx off tx off
	ktap_check "pause off again, traffic passes" \
		eval 'pause_is off off && ping -c 3 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null'

	ktap_check "ethtool -p: LED0 forced on and off, LEDCTL restored after" identify_blinks

	ktap_check "ethtool -t offline: registers, EEPROM, link pass; traffic after" \
		eval 'self_test offline PASS "0 0 0" && sleep 2 &&
			ping -q -c 3 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null'
	if [ "${IFLIB_HOST_LINK:-}" = 1 ]; then
		host_link "$DUT_MAC" down
		sleep 2
		ktap_check "ethtool -t with the cable out: the link test fails" \
			self_test online FAIL "0 0 1"
		host_link "$DUT_MAC" up
		wait_carrier "$DUT" 10
	else
		ktap_test_skip "$MODEL: ethtool -t with the cable out (the host cannot pull it)"
	fi
}

cleanup() {
	cleanup_remote
	release_dut iflib_em
}
trap cleanup EXIT

for_each_em_model "$CHECKS" test_model cleanup
