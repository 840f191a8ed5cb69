#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Receive flow hashing of iflib_em, on every em model in the VM against its C
# driver. The 82574 (QEMU e1000e) hashes received flows with the Toeplitz
# function: the hash iflib hands to the stack is read from the
# napi_gro_receive_entry trace event and compared with the Toeplitz hash this
# test computes from the key `ethtool -x` shows (TCP flows over IPv4 and IPv6
# with their ports, L4; UDP without, L3), before and after `ethtool -X hkey`;
# `ethtool -K rxhash off` leaves frames unhashed; a hash function the device
# does not compute is refused. The 8254x models do not hash: the feature is
# fixed off there and `ethtool -x` is refused.

. "$(dirname "$0")/lib.sh"

CHECKS=9
TRACING=/sys/kernel/tracing
EVENT=$TRACING/events/net/napi_gro_receive_entry
# Microsoft's RSS verification key: the test's Toeplitz checks itself with it.
MS_KEY=6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa
SPORTS="40001 40002 40003 40004 40005 40006 40007 40008"

cleanup_model() {
	[ -e "$EVENT/enable" ] && echo 0 >"$EVENT/enable"
	cleanup_remote
	release_dut iflib_em
}

# hash_key IFNAME: the key of `ethtool -x`, as aa:bb:...
hash_key() {
	ethtool -x "$1" | awk '/^RSS hash key:/ { getline; print $1 }'
}

# toeplitz KEY SRC DST [SPORT DPORT]: the Toeplitz hash (0x%08x) of the
# addresses, and of the ports if given, as RSS hardware computes it.
toeplitz() {
	python3 - "$@" <<'EOF'
import ipaddress, sys
key = bytes.fromhex(sys.argv[1].replace(":", ""))
data = ipaddress.ip_address(sys.argv[2]).packed + ipaddress.ip_address(sys.argv[3]).packed
for port in sys.argv[4:]:
    data += int(port).to_bytes(2, "big")
bits, width, value = int.from_bytes(key, "big"), len(key) * 8, 0
for i, byte in enumerate(data):
    for b in range(8):
        if byte & (0x80 >> b):
            value ^= (bits >> (width - 32 - (i * 8 + b))) & 0xffffffff
print("0x%08x" % value)
EOF
}

# received PROTOCOL L4: the distinct hashes of the frames of Ether type
# PROTOCOL (0x0800, 0x86dd) the trace saw reach GRO from the DUT since it was
# cleared, with l4_hash L4 (0 or 1).
received() {
	grep -o "dev=$DUT .*protocol=$1 .*hash=0x[0-9a-f]* l4_hash=$2 " "$TRACING/trace" |
		sed 's/.* hash=\(0x[0-9a-f]*\) .*/\1/' | sort -u
}

# connect_flows ADDRESS: one TCP SYN from the remote to ADDRESS (a closed
# port: the DUT answers with a reset) from each port of $SPORTS.
connect_flows() {
	ip netns exec "$REMOTE_NS" python3 - "$1" $SPORTS <<'EOF'
import socket, sys
address = sys.argv[1]
family = socket.AF_INET6 if ":" in address else socket.AF_INET
for port in sys.argv[2:]:
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind(("", int(port)))
    s.settimeout(2)
    try:
        s.connect((address, 9))
    except OSError:
        pass
    s.close()
EOF
}

# expected_flows KEY SRC DST: the sorted hashes connect_flows must produce.
expected_flows() {
	local port
	for port in $SPORTS; do toeplitz "$1" "$2" "$3" "$port" 9; done | sort -u
}

# tcp_hashes_match KEY SRC DST PROTOCOL: TCP flows from SRC to DST arrive
# with the L4 Toeplitz hashes of KEY, and no other L4 hash.
tcp_hashes_match() {
	local seen want
	echo >"$TRACING/trace"
	connect_flows "$3"
	seen=$(received "$4" 1)
	want=$(expected_flows "$1" "$2" "$3")
	echo "# L4 hashes seen: $(echo $seen)"
	echo "# L4 hashes expected: $(echo $want)"
	[ -n "$seen" ] && [ "$seen" = "$want" ]
}

# udp_hash_matches KEY: UDP frames from the remote arrive with the L3
# Toeplitz hash of the two IPv4 addresses (no ports), and only with it.
udp_hash_matches() {
	local seen want
	echo >"$TRACING/trace"
	ip netns exec "$REMOTE_NS" python3 - "$LOCAL_V4" $SPORTS <<'EOF'
import socket, sys
for port in sys.argv[2:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", int(port)))
    s.sendto(b"hash me", (sys.argv[1], 9))
    s.close()
EOF
	sleep 0.5
	seen=$(received 0x0800 0)
	want=$(toeplitz "$1" "$REMOTE_V4" "$LOCAL_V4")
	echo "# L3 hashes seen: $(echo $seen), expected: $want"
	[ "$seen" = "$want" ]
}

# unhashed: with rxhash off, TCP frames reach GRO with hash 0 and no L4 hash.
unhashed() {
	local seen
	echo >"$TRACING/trace"
	connect_flows "$LOCAL_V4"
	seen=$(received 0x0800 0)
	echo "# hashes seen with rxhash off: $(echo $seen)"
	[ "$seen" = 0x00000000 ] && [ -z "$(received 0x0800 1)" ]
}

# refused: hash functions the device does not compute are refused, the key
# stays. (`ethtool -X equal N` is no test: ethtool 6.1 turns it into "reset
# the table" for a device without one, over the ioctl, which has nothing to
# refuse; over netlink the kernel refuses it.)
refused() {
	local before
	before=$(hash_key "$DUT")
	! ethtool -X "$DUT" hfunc xor 2>/dev/null &&
		! ethtool -X "$DUT" hfunc crc32 2>/dev/null &&
		[ "$(hash_key "$DUT")" = "$before" ]
}

no_hashing() {
	ethtool -k "$DUT" | grep -q "^receive-hashing: off \[fixed\]" &&
		! ethtool -x "$DUT" >/dev/null 2>&1
}

test_model() {
	local key i
	bind_dut "$MODEL" "$C_DRIVER" iflib_em || return
	setup_pair "$MODEL" || return
	if [ "$MODEL" != e1000e ]; then
		ktap_check "no receive hashing: rxhash fixed off, ethtool -x refused" no_hashing
		for i in $(seq 2 "$CHECKS"); do
			ktap_test_skip "$MODEL: the 8254x do not hash received flows"
		done
		return
	fi
	[ -d "$TRACING/events" ] || mount -t tracefs nodev "$TRACING"
	echo "name == \"$DUT\"" >"$EVENT/filter"
	echo 1 >"$EVENT/enable"
	sleep 2 # QEMU's RX hold after the RCTL writes of bring-up

	key=$(hash_key "$DUT")
	echo "# key: $key"
	ktap_check "rxhash on, a 40-byte Toeplitz key" \
		eval '[ "$(echo "$key" | tr ":" "\n" | wc -l)" = 40 ] &&
			ethtool -k "$DUT" | grep -q "^receive-hashing: on$" &&
			ethtool -x "$DUT" | grep -q "^    toeplitz: on"'
	ktap_check "TCP/IPv4 flows hashed with ports (L4)" \
		tcp_hashes_match "$key" "$REMOTE_V4" "$LOCAL_V4" 0x0800
	ktap_check "TCP/IPv6 flows hashed with ports (L4)" \
		tcp_hashes_match "$key" "$REMOTE_V6" "$LOCAL_V6" 0x86dd
	ktap_check "UDP/IPv4 hashed on addresses (L3)" udp_hash_matches "$key"

	ktap_check "the test's Toeplitz reproduces Microsoft's verification hash" \
		[ "$(toeplitz "$MS_KEY" 66.9.149.187 161.142.100.80 2794 1766)" = 0x51ccc178 ]
	ethtool -X "$DUT" hkey "$MS_KEY"
	ktap_check "ethtool -X hkey: key read back, flows hashed with it" \
		eval '[ "$(hash_key "$DUT")" = "$MS_KEY" ] &&
			tcp_hashes_match "$MS_KEY" "$REMOTE_V4" "$LOCAL_V4" 0x0800'
	ktap_check "hash functions xor and crc32 refused, key kept" refused

	ethtool -K "$DUT" rxhash off
	ktap_check "rxhash off: frames reach the stack unhashed" unhashed
	ethtool -K "$DUT" rxhash on
	ktap_check "rxhash on again: hashed again, traffic flows" \
		eval 'tcp_hashes_match "$MS_KEY" "$REMOTE_V4" "$LOCAL_V4" 0x0800 &&
			ping -c 3 -i 0.2 -W 2 "$REMOTE_V4" >/dev/null'
}

ktap_print_header
trap cleanup_model EXIT
for_each_em_model "$CHECKS" test_model cleanup_model
