// SPDX-License-Identifier: GPL-2.0

//! The em datapath: TX and RX descriptors ([`crate::descriptors`]) written and read.

use crate::{
    descriptors::{
        RxBuffer,
        RxExtended,
        RxExtendedStatus,
        RxLegacyStatus,
        TxContext,
        TxData,
        TxDataControl, //
    },
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
    io::{
        register::Array,
        Io, //
    },
    prelude::Zeroable,
    sync::barrier::{
        dma_mb,
        Read, //
    }, //
};
use zerocopy::little_endian::{
    U16,
    U32,
    U64, //
};

/// TX command: end of packet, insert FCS, segment (TSO), report status, extended
/// descriptor, insert VLAN tag.
const TX_CMD_EOP: u32 = 1 << 0;
const TX_CMD_IFCS: u32 = 1 << 1;
const TX_CMD_TSE: u32 = 1 << 2;
const TX_CMD_RS: u32 = 1 << 3;
const TX_CMD_DEXT: u32 = 1 << 5;
const TX_CMD_VLE: u32 = 1 << 6;
const TX_CMD_SHIFT: u32 = 24;
/// Extended descriptor type: data (context descriptors are type 0).
const TX_TYPE_DATA: u32 = 1 << 20;
/// Packet options: insert the IP header / TCP-UDP checksum described by the context.
const TX_POPTS_IXSM: u8 = 1 << 0;
const TX_POPTS_TXSM: u8 = 1 << 1;
/// Context descriptor command bits for TCP (not UDP) and IPv4 (not IPv6).
const TX_CTX_CMD_TCP: u32 = 1 << 0;
const TX_CTX_CMD_IP: u32 = 1 << 1;
/// Where the checksums sit in the IPv4 and TCP headers.
const IPV4_CHECKSUM_OFFSET: u32 = 10;
const TCP_CHECKSUM_OFFSET: u32 = 16;
/// The payload length field of a context descriptor and the length of a data descriptor.
const TX_LEN_MASK: u32 = 0xf_ffff;
/// TX status: descriptor done.
const TX_STATUS_DD: u8 = 1 << 0;

/// RX status bits (legacy, and bits 0-7 of the extended status).
const RX_STATUS_DD: u8 = 1 << 0;
const RX_STATUS_EOP: u8 = 1 << 1;
/// The hardware did not check the checksums (IXSM), or checked the TCP/UDP one (TCPCS).
const RX_STATUS_IXSM: u8 = 1 << 2;
const RX_STATUS_TCPCS: u8 = 1 << 5;
/// The frame carried an 802.1Q tag, stripped into the VLAN field.
const RX_STATUS_VP: u8 = 1 << 3;
/// TCP/UDP and IPv4 header checksum errors (legacy, and bits 24-31 of the extended
/// status).
const RX_ERROR_TCPE: u8 = 1 << 5;
const RX_ERROR_IPE: u8 = 1 << 6;
/// CRC, symbol, sequence, carrier extension and RX data errors.
const RX_ERRORS: u8 = 0x01 | 0x02 | 0x04 | 0x10 | 0x80;
const RX_EXT_ERRORS_SHIFT: u32 = 24;

/// Extended RX write-back: the hash type.
const EXT_HASH_TYPE_MASK: u32 = 0xf;
/// Hash types: TCP over IPv4, IPv4, TCP over IPv6 (with extension headers), IPv6 with
/// extension headers, IPv6.
const HASH_TCP_IPV4: u32 = 1;
const HASH_IPV4: u32 = 2;
const HASH_TCP_IPV6: u32 = 3;
const HASH_IPV6_EX: u32 = 4;
const HASH_IPV6: u32 = 5;

/// What both RX write-back layouts report of a frame's buffer.
struct RxStatus {
    length: u16,
    status: u8,
    errors: u8,
    vlan: u16,
}

impl From<RxLegacyStatus> for RxStatus {
    #[inline(always)]
    fn from(legacy: RxLegacyStatus) -> Self {
        Self {
            length: legacy.length.get(),
            status: legacy.status,
            errors: legacy.errors,
            vlan: legacy.vlan.get(),
        }
    }
}

impl From<RxExtendedStatus> for RxStatus {
    #[inline(always)]
    fn from(extended: RxExtendedStatus) -> Self {
        let status_errors = extended.status_errors.get();
        Self {
            length: extended.length.get(),
            status: status_errors as u8,
            errors: (status_errors >> RX_EXT_ERRORS_SHIFT) as u8,
            vlan: extended.vlan.get(),
        }
    }
}

/// The flow hash of an extended write-back, if the frame was hashed.
fn rx_hash(entry: &RxExtended) -> Option<RxHash> {
    let kind = match entry.hash_type.get() & EXT_HASH_TYPE_MASK {
        HASH_TCP_IPV4 | HASH_TCP_IPV6 => HashType::L4,
        HASH_IPV4 | HASH_IPV6_EX | HASH_IPV6 => HashType::L3,
        _ => return None,
    };
    Some(RxHash {
        value: entry.hash.get(),
        kind,
    })
}

/// The RX fragment in the buffer at `slot`.
#[inline(always)]
fn rx_fragment(slot: u32, rx: RxStatus, hash: Option<RxHash>) -> RxFragment {
    RxFragment {
        free_list: FreeList::Head,
        buffer: slot,
        len: u32::from(rx.length),
        end_of_frame: rx.status & RX_STATUS_EOP != 0,
        error: rx.errors & RX_ERRORS != 0,
        checksum: rx_checksum(&rx),
        vlan: (rx.status & RX_STATUS_VP != 0).then_some(rx.vlan),
        hash,
    }
}

/// The checksum verdict of a write-back. Only a checked TCP/UDP checksum counts as verified
/// (an IPv4 header alone does not spare the stack its work).
fn rx_checksum(rx: &RxStatus) -> RxChecksum {
    if rx.status & RX_STATUS_IXSM != 0 {
        RxChecksum::None
    } else if rx.errors & (RX_ERROR_TCPE | RX_ERROR_IPE) != 0 {
        RxChecksum::Bad
    } else if rx.status & RX_STATUS_TCPCS != 0 {
        RxChecksum::Verified
    } else {
        RxChecksum::None
    }
}

/// The context descriptor of a TSO packet of `len` bytes: where the IP header starts (the
/// hardware rewrites its length in every segment), where the IP and TCP checksums are
/// computed and stored (IPv6 has no header checksum: those fields stay 0), the payload
/// length, header length and MSS.
fn tso_context(tso: &TxTso, len: u32) -> TxContext {
    let tcp = tso.transport_offset;
    let ip = tso.network_offset;
    let (ip_checksum_at, ip_end, ip_command) = if tso.ipv6 {
        (0, 0, 0)
    } else {
        (
            ip + IPV4_CHECKSUM_OFFSET,
            tcp.saturating_sub(1),
            TX_CTX_CMD_IP,
        )
    };
    let payload = len.saturating_sub(tso.header_len) & TX_LEN_MASK;
    let command = TX_CMD_DEXT | TX_CMD_TSE | TX_CTX_CMD_TCP | ip_command;
    TxContext {
        ip_start: ip as u8,
        ip_checksum_at: ip_checksum_at as u8,
        ip_end: U16::new(ip_end as u16),
        l4_start: tcp as u8,
        l4_checksum_at: (tcp + TCP_CHECKSUM_OFFSET) as u8,
        l4_end: U16::ZERO,
        payload_type_command: U32::new(payload | (command << TX_CMD_SHIFT)),
        status: 0,
        header_len: tso.header_len as u8,
        mss: U16::new(tso.mss as u16),
    }
}

/// The context descriptor of a packet whose TCP/UDP checksum starts at `start` and is
/// stored at `at` (the end left 0: the packet's end).
fn checksum_context(start: u8, at: u8) -> TxContext {
    TxContext {
        ip_start: 0,
        ip_checksum_at: 0,
        ip_end: U16::ZERO,
        l4_start: start,
        l4_checksum_at: at,
        l4_end: U16::ZERO,
        payload_type_command: U32::new(TX_CMD_DEXT << TX_CMD_SHIFT),
        status: 0,
        header_len: 0,
        mss: U16::ZERO,
    }
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
            ring.write(slot, &tso_context(&tso, packet.len));
            slot = ring.next(slot);
            used += 1;
            let ip = if tso.ipv6 { 0 } else { TX_POPTS_IXSM };
            (extended | (TX_CMD_TSE << TX_CMD_SHIFT), ip | TX_POPTS_TXSM)
        } else if let Some(c) = packet
            .checksum
            // The checksum fields are 8 bits wide: a checksum further in is left to
            // software (the stack never asks for one that far in a frame).
            .filter(|c| c.start <= 0xff && c.start + c.offset <= 0xff)
        {
            ring.write(
                slot,
                &checksum_context(c.start as u8, (c.start + c.offset) as u8),
            );
            slot = ring.next(slot);
            used += 1;
            (extended, TX_POPTS_TXSM)
        } else {
            (0, 0)
        };
        let Some((last, leading)) = packet.segments.split_last() else {
            return used;
        };
        let data = |segment: &TxSegment, command: u32, vlan: u16| TxData {
            address: U64::new(segment.address),
            control: TxDataControl {
                length_type_command: U32::new(
                    (segment.len & TX_LEN_MASK) | data_type | (command << TX_CMD_SHIFT),
                ),
                status: 0,
                options,
                vlan: U16::new(vlan),
            },
        };
        for segment in leading {
            ring.write(slot, &data(segment, TX_CMD_IFCS, 0));
            slot = ring.next(slot);
            used += 1;
        }
        // The last segment ends the packet, asks for a status write-back and carries the tag.
        let end = TX_CMD_IFCS | TX_CMD_EOP | TX_CMD_RS;
        let tail = match packet.vlan {
            Some(tci) => data(last, end | TX_CMD_VLE, tci),
            None => data(last, end, 0),
        };
        ring.write(slot, &tail);
        used + 1
    }

    fn tx_doorbell(hw: &Hardware<'_>, set: u32, next_slot: u32) {
        // Queues known at build time: no bounds check on the hot path. Slots are below the
        // largest ring, 4096.
        let tail = TDT::zeroed().with_slot(next_slot as u16);
        match set {
            0 => hw.bar.write(TDT::at(0), tail),
            _ => hw.bar.write(TDT::at(1), tail),
        }
    }

    fn tx_done(_hw: &Hardware<'_>, ring: &Ring, slot: u32) -> bool {
        // The last descriptor of each packet asks for a status write-back.
        ring.read_last::<TxDataControl>(slot)
            .is_some_and(|control| control.status & TX_STATUS_DD != 0)
    }

    // Runs for every frame received: with two descriptor layouts LLVM stops inlining it,
    // and the fragment then goes through memory.
    #[inline(always)]
    fn rx_next(hw: &Hardware<'_>, rx: &mut RxCompletions<'_>) -> Option<RxFragment> {
        // Written back in place, in the order the buffers were given.
        let slot = rx.oldest(FreeList::Head)?;
        let ring = rx.free_list(FreeList::Head)?;
        if !hw.family.rx_hash {
            let status = RxStatus::from(ring.read_last::<RxLegacyStatus>(slot)?);
            return (status.status & RX_STATUS_DD != 0).then(|| rx_fragment(slot, status, None));
        }
        let status = RxStatus::from(ring.read_last::<RxExtendedStatus>(slot)?);
        if status.status & RX_STATUS_DD == 0 {
            return None;
        }
        let hash = if status.status & RX_STATUS_EOP != 0 {
            // The device wrote the hash before the done bit: read it after (`dma_rmb`: an
            // acquire fence orders only against other CPUs, not the device, on some
            // architectures).
            dma_mb(Read);
            ring.read::<RxExtended>(slot).as_ref().and_then(rx_hash)
        } else {
            None
        };
        Some(rx_fragment(slot, status, hash))
    }

    fn rx_refill(
        _hw: &Hardware<'_>,
        _list: FreeList,
        ring: &Ring,
        slot: u32,
        address: DmaAddress,
        _generation: bool,
    ) {
        let buffer = RxBuffer {
            address: U64::new(address),
            write_back: U64::ZERO,
        };
        ring.write(slot, &buffer);
    }

    fn rx_doorbell(hw: &Hardware<'_>, set: u32, _list: FreeList, next_slot: u32) {
        let tail = RDT::zeroed().with_slot(next_slot as u16);
        match set {
            0 => hw.bar.write(RDT::at(0), tail),
            _ => hw.bar.write(RDT::at(1), tail),
        }
    }
}
