// SPDX-License-Identifier: GPL-2.0

//! The em datapath: TX and RX descriptors.
//!
//! All are 16 bytes. RX uses legacy descriptors on the 8254x: word 0 holds the buffer
//! address, word 1 the length (bits 0-15), status (32-39) and errors (40-47). The 82574
//! uses extended ones for the RSS hash: word 0 holds the buffer address, then in the
//! write-back the hash type (0-3) and hash (32-63); word 1 the status (0-19, the legacy
//! bits), errors (24-31, the legacy bits), length (32-47) and VLAN tag. TX uses legacy data
//! descriptors (word 1: length 0-15, command 24-31, status 32-39) unless a checksum is to
//! be inserted or TCP segmented: then a context descriptor precedes extended data
//! descriptors (word 1: length 0-19, type 20-23, command 24-31, status 32-39, options
//! 40-47). The context's word 0 holds the IP checksum start (0-7), offset (8-15) and end
//! (16-31) and the TCP/UDP checksum start (32-39), offset (40-47) and end (48-63); its
//! word 1 the TCP payload length (0-19), command (24-31), header length (40-47) and MSS
//! (48-63). Bits 48-63 of a data descriptor's word 1 carry the 802.1Q tag: to insert
//! (TX, with the VLE command), or stripped (RX, with the VP status).

use crate::{
    regs::*,
    Em,
    Hardware, //
};
use iflib::{
    Datapath,
    FreeList,
    HashType,
    Ring,
    RxChecksum,
    RxCompletions,
    RxFragment,
    RxHash,
    TxPacket,
    TxSegment,
    TxTso, //
};
use kernel::{
    dma::DmaAddress,
    io::Io,
    sync::barrier::{
        dma_mb,
        Read, //
    }, //
};

/// TX command: end of packet, insert FCS, segment (TSO), report status, extended
/// descriptor, insert VLAN tag.
const TX_CMD_EOP: u64 = 1 << 0;
const TX_CMD_IFCS: u64 = 1 << 1;
const TX_CMD_TSE: u64 = 1 << 2;
const TX_CMD_RS: u64 = 1 << 3;
const TX_CMD_DEXT: u64 = 1 << 5;
const TX_CMD_VLE: u64 = 1 << 6;
/// The "special" field (bits 48-63 of word 1): the 802.1Q tag, TX and RX.
const SPECIAL_SHIFT: u32 = 48;
const TX_CMD_SHIFT: u32 = 24;
/// Extended descriptor type: data (context descriptors are type 0).
const TX_TYPE_DATA: u64 = 1 << 20;
/// Packet options: insert the IP header / TCP-UDP checksum described by the context.
const TX_POPTS_IXSM: u64 = 1 << 0;
const TX_POPTS_TXSM: u64 = 1 << 1;
const TX_POPTS_SHIFT: u32 = 40;
/// Context descriptor, word 0: IP checksum start, offset and end; TCP/UDP checksum start
/// and offset (the end is left 0: the packet's end).
const TX_CTX_IPCSS_SHIFT: u32 = 0;
const TX_CTX_IPCSO_SHIFT: u32 = 8;
const TX_CTX_IPCSE_SHIFT: u32 = 16;
const TX_CTX_TUCSS_SHIFT: u32 = 32;
const TX_CTX_TUCSO_SHIFT: u32 = 40;
/// Context descriptor, word 1: command bits for TCP (not UDP) and IPv4 (not IPv6), the
/// header length and the MSS.
const TX_CTX_CMD_TCP: u64 = 1 << 0;
const TX_CTX_CMD_IP: u64 = 1 << 1;
const TX_CTX_HDRLEN_SHIFT: u32 = 40;
const TX_CTX_MSS_SHIFT: u32 = 48;
/// Where the checksums sit in the IPv4 and TCP headers.
const IPV4_CHECKSUM_OFFSET: u32 = 10;
const TCP_CHECKSUM_OFFSET: u32 = 16;
/// The payload length field of a context descriptor and the length of a data descriptor.
const TX_LEN_MASK: u64 = 0xf_ffff;
/// TX status: descriptor done.
const TX_STATUS_DD: u64 = 1 << 32;

/// RX status bits (word 1, bits 32-39) and error bits (40-47).
const RX_STATUS_DD: u64 = 1 << 32;
const RX_STATUS_EOP: u64 = 1 << 33;
/// The hardware did not check the checksums (IXSM), or checked the TCP/UDP one (TCPCS).
const RX_STATUS_IXSM: u64 = 1 << 34;
const RX_STATUS_TCPCS: u64 = 1 << 37;
/// The frame carried an 802.1Q tag, stripped into the special field.
const RX_STATUS_VP: u64 = 1 << 35;
/// TCP/UDP and IPv4 header checksum errors.
const RX_ERROR_TCPE: u64 = 1 << 45;
const RX_ERROR_IPE: u64 = 1 << 46;
/// CRC, symbol, sequence, carrier extension and RX data errors.
const RX_ERRORS: u64 = (0x01 | 0x02 | 0x04 | 0x10 | 0x80) << 40;
const RX_LEN_MASK: u64 = 0xffff;

/// Extended RX write-back, word 1: descriptor done, end of packet.
const EXT_STATUS_DD: u64 = 1 << 0;
const EXT_STATUS_EOP: u64 = 1 << 1;
/// Extended RX write-back, word 0: the hash type and where the hash sits.
const EXT_HASH_TYPE_MASK: u64 = 0xf;
const EXT_HASH_SHIFT: u32 = 32;
/// Hash types: TCP over IPv4, IPv4, TCP over IPv6 (with extension headers), IPv6 with
/// extension headers, IPv6.
const HASH_TCP_IPV4: u64 = 1;
const HASH_IPV4: u64 = 2;
const HASH_TCP_IPV6: u64 = 3;
const HASH_IPV6_EX: u64 = 4;
const HASH_IPV6: u64 = 5;

/// Moves the fields of extended write-back word 1 to where a legacy descriptor has them:
/// status and errors keep their bits, so one decoder reads both.
fn legacy_layout(word: u64) -> u64 {
    let status = word & 0xff;
    let errors = (word >> 24) & 0xff;
    let len = (word >> 32) & RX_LEN_MASK;
    len | (status << 32) | (errors << 40) | (word & (0xffff << SPECIAL_SHIFT))
}

/// The flow hash in extended write-back word 0, if the frame was hashed.
fn rx_hash(word: u64) -> Option<RxHash> {
    let kind = match word & EXT_HASH_TYPE_MASK {
        HASH_TCP_IPV4 | HASH_TCP_IPV6 => HashType::L4,
        HASH_IPV4 | HASH_IPV6_EX | HASH_IPV6 => HashType::L3,
        _ => return None,
    };
    Some(RxHash {
        value: (word >> EXT_HASH_SHIFT) as u32,
        kind,
    })
}

/// The RX fragment in the buffer at `slot`, from (legacy layout) word 1.
fn rx_fragment(slot: u32, word: u64, hash: Option<RxHash>) -> RxFragment {
    RxFragment {
        free_list: FreeList::Head,
        buffer: slot,
        len: (word & RX_LEN_MASK) as u32,
        end_of_frame: word & RX_STATUS_EOP != 0,
        error: word & RX_ERRORS != 0,
        checksum: rx_checksum(word),
        vlan: (word & RX_STATUS_VP != 0).then_some((word >> SPECIAL_SHIFT) as u16),
        hash,
    }
}

/// The checksum verdict in RX descriptor word 1. Only a checked TCP/UDP checksum counts as
/// verified (an IPv4 header alone does not spare the stack its work).
fn rx_checksum(word: u64) -> RxChecksum {
    if word & RX_STATUS_IXSM != 0 {
        RxChecksum::None
    } else if word & (RX_ERROR_TCPE | RX_ERROR_IPE) != 0 {
        RxChecksum::Bad
    } else if word & RX_STATUS_TCPCS != 0 {
        RxChecksum::Verified
    } else {
        RxChecksum::None
    }
}

/// Word 0 of a TSO context descriptor: where the IP header starts (the hardware rewrites
/// its length in every segment) and where the IP and TCP checksums are computed and
/// stored. IPv6 has no header checksum: those two fields stay 0.
fn tso_context_low(tso: &TxTso) -> u64 {
    let tcp = u64::from(tso.transport_offset);
    let ip = u64::from(tso.network_offset);
    let fields = (ip << TX_CTX_IPCSS_SHIFT)
        | (tcp << TX_CTX_TUCSS_SHIFT)
        | ((tcp + u64::from(TCP_CHECKSUM_OFFSET)) << TX_CTX_TUCSO_SHIFT);
    if tso.ipv6 {
        return fields;
    }
    fields
        | ((ip + u64::from(IPV4_CHECKSUM_OFFSET)) << TX_CTX_IPCSO_SHIFT)
        | (tcp.saturating_sub(1) << TX_CTX_IPCSE_SHIFT)
}

/// Word 1 of a TSO context descriptor for a packet of `len` bytes.
fn tso_context_high(tso: &TxTso, len: u32) -> u64 {
    let ip = if tso.ipv6 { 0 } else { TX_CTX_CMD_IP };
    let payload = u64::from(len.saturating_sub(tso.header_len)) & TX_LEN_MASK;
    let cmd = TX_CMD_DEXT | TX_CMD_TSE | TX_CTX_CMD_TCP | ip;
    payload
        | (cmd << TX_CMD_SHIFT)
        | (u64::from(tso.header_len & 0xff) << TX_CTX_HDRLEN_SHIFT)
        | (u64::from(tso.mss & 0xffff) << TX_CTX_MSS_SHIFT)
}

impl Datapath for Em {
    // Runs for every packet sent: inlined into iflib's xmit path, it no longer pays for a
    // call, saving its registers and a `TxPacket` in memory (3 % more small packets a
    // second on the bench); LLVM does not inline it unasked.
    #[inline(always)]
    fn tx_encapsulate(_hw: &Hardware<'_>, ring: &Ring, first: u32, packet: &TxPacket<'_>) -> u32 {
        let mut slot = first;
        let mut used = 0;
        let extended = TX_TYPE_DATA | (TX_CMD_DEXT << TX_CMD_SHIFT);
        let (data_type, options) = if let Some(tso) = packet.tso {
            ring.write_entry(
                slot,
                [tso_context_low(&tso), tso_context_high(&tso, packet.len)],
            );
            slot = ring.next(slot);
            used += 1;
            let ip = if tso.ipv6 { 0 } else { TX_POPTS_IXSM };
            (
                extended | (TX_CMD_TSE << TX_CMD_SHIFT),
                (ip | TX_POPTS_TXSM) << TX_POPTS_SHIFT,
            )
        } else if let Some(c) = packet
            .checksum
            // The checksum fields are 8 bits wide: a checksum further in is left to
            // software (the stack never asks for one that far in a frame).
            .filter(|c| c.start <= 0xff && c.start + c.offset <= 0xff)
        {
            let context = (u64::from(c.start) << TX_CTX_TUCSS_SHIFT)
                | (u64::from(c.start + c.offset) << TX_CTX_TUCSO_SHIFT);
            ring.write_entry(slot, [context, TX_CMD_DEXT << TX_CMD_SHIFT]);
            slot = ring.next(slot);
            used += 1;
            (extended, TX_POPTS_TXSM << TX_POPTS_SHIFT)
        } else {
            (0, 0)
        };
        let Some((last, leading)) = packet.segments.split_last() else {
            return used;
        };
        let data = |segment: &TxSegment, cmd: u64| {
            (u64::from(segment.len) & TX_LEN_MASK) | data_type | options | (cmd << TX_CMD_SHIFT)
        };
        for segment in leading {
            ring.write_entry(slot, [segment.address, data(segment, TX_CMD_IFCS)]);
            slot = ring.next(slot);
            used += 1;
        }
        // The last segment ends the packet, asks for a status write-back and carries the tag.
        let end = TX_CMD_IFCS | TX_CMD_EOP | TX_CMD_RS;
        let tail = match packet.vlan {
            Some(tci) => data(last, end | TX_CMD_VLE) | (u64::from(tci) << SPECIAL_SHIFT),
            None => data(last, end),
        };
        ring.write_entry(slot, [last.address, tail]);
        used + 1
    }

    fn tx_doorbell(hw: &Hardware<'_>, set: u32, next_slot: u32) {
        // Offsets known at build time: no bounds check on the hot path.
        match set {
            0 => (&hw.bar).write32(next_slot, TDT),
            _ => (&hw.bar).write32(next_slot, TDT + QUEUE_STRIDE),
        }
    }

    fn tx_done(_hw: &Hardware<'_>, ring: &Ring, slot: u32) -> bool {
        // The last descriptor of each packet asks for a status write-back.
        ring.read(slot, 1) & TX_STATUS_DD != 0
    }

    // Runs for every frame received: with two descriptor layouts LLVM stops inlining it,
    // and the fragment then goes through memory.
    #[inline(always)]
    fn rx_next(hw: &Hardware<'_>, rx: &mut RxCompletions<'_>) -> Option<RxFragment> {
        // Written back in place, in the order the buffers were given.
        let slot = rx.oldest(FreeList::Head)?;
        let ring = rx.free_list(FreeList::Head)?;
        let word = ring.read(slot, 1);
        if !hw.family.rx_hash {
            return (word & RX_STATUS_DD != 0).then(|| rx_fragment(slot, word, None));
        }
        if word & EXT_STATUS_DD == 0 {
            return None;
        }
        let hash = if word & EXT_STATUS_EOP != 0 {
            // The device wrote word 0 before the done bit: read it after (`dma_rmb`: an
            // acquire fence orders only against other CPUs, not the device, on some
            // architectures).
            dma_mb(Read);
            rx_hash(ring.read(slot, 0))
        } else {
            None
        };
        Some(rx_fragment(slot, legacy_layout(word), hash))
    }

    fn rx_refill(
        _hw: &Hardware<'_>,
        _list: FreeList,
        ring: &Ring,
        slot: u32,
        address: DmaAddress,
        _generation: bool,
    ) {
        ring.write_entry(slot, [address, 0]);
    }

    fn rx_doorbell(hw: &Hardware<'_>, set: u32, _list: FreeList, next_slot: u32) {
        match set {
            0 => (&hw.bar).write32(next_slot, RDT),
            _ => (&hw.bar).write32(next_slot, RDT + QUEUE_STRIDE),
        }
    }
}
