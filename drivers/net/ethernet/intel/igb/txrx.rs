// SPDX-License-Identifier: GPL-2.0

//! The igb datapath: advanced TX and RX descriptors ([`crate::descriptors`]) written and
//! read.

use crate::{
    descriptors::{
        RxBuffer,
        RxStatus,
        RxWriteBack,
        TxContext,
        TxData,
        TxDataStatus, //
    },
    regs::*,
    Hardware,
    Igb, //
};
use iflib::{
    ChecksumInsertion,
    Datapath,
    FreeList,
    HashType,
    Ring,
    RxChecksum,
    RxCompletions,
    RxFragment,
    RxHash,
    TxChecksum,
    TxPacket,
    TxSegment, //
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
    U32,
    U64, //
};

/// Advanced descriptor types: data, context.
const TX_TYPE_DATA: u32 = 0x3 << 20;
const TX_TYPE_CONTEXT: u32 = 0x2 << 20;
/// Data descriptor command: end of packet, insert FCS, report status, extended, insert
/// VLAN tag, segment (TSO).
const TX_CMD_EOP: u32 = 1 << 24;
const TX_CMD_IFCS: u32 = 1 << 25;
const TX_CMD_RS: u32 = 1 << 27;
const TX_CMD_DEXT: u32 = 1 << 29;
const TX_CMD_VLE: u32 = 1 << 30;
const TX_CMD_TSE: u32 = 1 << 31;
/// A data descriptor's length.
const TX_LEN_MASK: u32 = 0xffff;
/// Data descriptor options: insert the IPv4 header / TCP-UDP checksum; the payload
/// length's shift.
const TX_POPTS_IXSM: u32 = 1 << 8;
const TX_POPTS_TXSM: u32 = 1 << 9;
const TX_PAYLEN_SHIFT: u32 = 14;
/// Written back: descriptor done.
const TX_STATUS_DD: u32 = 1 << 0;
/// Context descriptor: IPv4, L4 type TCP (UDP is 0).
const TX_CTX_IPV4: u32 = 1 << 10;
const TX_CTX_L4_TCP: u32 = 1 << 11;
/// Where the MAC header length and the VLAN tag sit in `vlan_mac_ip_lengths`, and the L4
/// header length and the MSS in `mss_l4_length_index`.
const TX_CTX_MACLEN_SHIFT: u32 = 9;
const TX_CTX_VLAN_SHIFT: u32 = 16;
const TX_CTX_L4LEN_SHIFT: u32 = 8;
const TX_CTX_MSS_SHIFT: u32 = 16;
/// Offsets of the checksum in a TCP and a UDP header: the only ones iflib gives
/// (`ChecksumInsertion::TcpUdp`).
const TCP_CHECKSUM_OFFSET: u32 = ChecksumInsertion::TCP_OFFSET;
const UDP_CHECKSUM_OFFSET: u32 = ChecksumInsertion::UDP_OFFSET;
/// Ethernet header length (no tag: tags are inserted by the hardware).
const ETH_HLEN: u32 = 14;

/// RX status: done, end of packet, VLAN tag stripped, UDP and TCP checksum checked; errors:
/// TCP/UDP and IPv4 checksum, and the frame errors (CRC, symbol, sequence, RX data).
const RX_STATUS_DD: u32 = 1 << 0;
const RX_STATUS_EOP: u32 = 1 << 1;
const RX_STATUS_VP: u32 = 1 << 3;
const RX_STATUS_UDPCS: u32 = 1 << 4;
const RX_STATUS_TCPCS: u32 = 1 << 5;
const RX_ERROR_L4E: u32 = 1 << 29;
const RX_ERROR_IPE: u32 = 1 << 30;
const RX_ERRORS_FRAME: u32 = 0x9700_0000;

/// RSS hash types of a write-back (`packet_info` bits 0-3).
const HASH_TYPE_MASK: u16 = 0xf;
const HASH_TCP_IPV4: u16 = 1;
const HASH_IPV4: u16 = 2;
const HASH_TCP_IPV6_EX: u16 = 3;
const HASH_IPV6_EX: u16 = 4;
const HASH_IPV6: u16 = 5;
const HASH_TCP_IPV6: u16 = 6;
const HASH_UDP_IPV4: u16 = 7;
const HASH_UDP_IPV6: u16 = 8;
const HASH_UDP_IPV6_EX: u16 = 9;

/// The context descriptor of a packet: its headers' lengths (from where the checksum
/// starts, or the TSO offsets), the L4 protocol, the VLAN tag, and the MSS of a TSO.
fn context(packet: &TxPacket<'_>) -> Option<TxContext> {
    let vlan = u32::from(packet.vlan.unwrap_or(0)) << TX_CTX_VLAN_SHIFT;
    let (mac_len, ip_len, l4, l4_len, mss) = if let Some(tso) = packet.tso {
        let ipv4 = if tso.ipv6 { 0 } else { TX_CTX_IPV4 };
        let ip_len = tso.transport_offset.saturating_sub(tso.network_offset);
        let l4_len = tso.header_len.saturating_sub(tso.transport_offset);
        (
            tso.network_offset,
            ip_len,
            ipv4 | TX_CTX_L4_TCP,
            l4_len,
            tso.mss,
        )
    } else if let Some(TxChecksum { start, offset }) = packet.checksum {
        let l4 = match offset {
            TCP_CHECKSUM_OFFSET => TX_CTX_L4_TCP,
            UDP_CHECKSUM_OFFSET => 0,
            // Not reached: iflib gives TCP and UDP checksums only (`TcpUdp`). The tag
            // still needs its context.
            _ if packet.vlan.is_some() => return Some(vlan_only(vlan)),
            _ => return None,
        };
        (ETH_HLEN, start.saturating_sub(ETH_HLEN), l4, 0, 0)
    } else if packet.vlan.is_some() {
        return Some(vlan_only(vlan));
    } else {
        return None;
    };
    Some(TxContext {
        vlan_mac_ip_lengths: U32::new(
            vlan | ((mac_len & 0x7f) << TX_CTX_MACLEN_SHIFT) | (ip_len & 0x1ff),
        ),
        seed: U32::ZERO,
        type_command: U32::new(TX_TYPE_CONTEXT | TX_CMD_DEXT | l4),
        mss_l4_length_index: U32::new(
            ((mss & 0xffff) << TX_CTX_MSS_SHIFT) | ((l4_len & 0xff) << TX_CTX_L4LEN_SHIFT),
        ),
    })
}

/// The context of a packet that only has a tag inserted (`vlan` in place).
fn vlan_only(vlan: u32) -> TxContext {
    TxContext {
        vlan_mac_ip_lengths: U32::new(vlan | (ETH_HLEN << TX_CTX_MACLEN_SHIFT)),
        seed: U32::ZERO,
        type_command: U32::new(TX_TYPE_CONTEXT | TX_CMD_DEXT),
        mss_l4_length_index: U32::ZERO,
    }
}

/// What a write-back says of a frame's buffer.
fn rx_fragment(slot: u32, status: &RxStatus, hash: Option<RxHash>) -> RxFragment {
    let bits = status.status_errors.get();
    let checksum = if bits & (RX_STATUS_TCPCS | RX_STATUS_UDPCS) == 0 {
        RxChecksum::None
    } else if bits & (RX_ERROR_L4E | RX_ERROR_IPE) != 0 {
        RxChecksum::Bad
    } else {
        RxChecksum::Verified
    };
    RxFragment {
        free_list: FreeList::Head,
        buffer: slot,
        len: u32::from(status.length.get()),
        end_of_frame: bits & RX_STATUS_EOP != 0,
        error: bits & RX_ERRORS_FRAME != 0,
        checksum,
        vlan: (bits & RX_STATUS_VP != 0).then_some(status.vlan.get()),
        hash,
    }
}

/// The flow hash of a write-back, if the frame was hashed.
fn rx_hash(entry: &RxWriteBack) -> Option<RxHash> {
    let kind = match entry.packet_info.get() & HASH_TYPE_MASK {
        HASH_TCP_IPV4 | HASH_TCP_IPV6 | HASH_TCP_IPV6_EX => HashType::L4,
        HASH_UDP_IPV4 | HASH_UDP_IPV6 | HASH_UDP_IPV6_EX => HashType::L4,
        HASH_IPV4 | HASH_IPV6 | HASH_IPV6_EX => HashType::L3,
        _ => return None,
    };
    Some(RxHash {
        value: entry.hash.get(),
        kind,
    })
}

impl Datapath for Igb {
    #[inline(always)]
    fn tx_encapsulate(_hw: &Hardware<'_>, ring: &Ring, first: u32, packet: &TxPacket<'_>) -> u32 {
        let mut slot = first;
        let mut used = 0;
        let mut options = 0;
        let mut command = TX_TYPE_DATA | TX_CMD_DEXT | TX_CMD_IFCS;
        if let Some(context) = context(packet) {
            ring.write(slot, &context);
            slot = ring.next(slot);
            used += 1;
            if packet.vlan.is_some() {
                command |= TX_CMD_VLE;
            }
            if let Some(tso) = packet.tso {
                command |= TX_CMD_TSE;
                options |= TX_POPTS_TXSM | if tso.ipv6 { 0 } else { TX_POPTS_IXSM };
            } else if packet
                .checksum
                .is_some_and(|c| matches!(c.offset, TCP_CHECKSUM_OFFSET | UDP_CHECKSUM_OFFSET))
            {
                options |= TX_POPTS_TXSM;
            }
        }
        // The payload length: the whole packet, or its payload without the headers with
        // TSO.
        let payload = match packet.tso {
            Some(tso) => packet.len.saturating_sub(tso.header_len),
            None => packet.len,
        };
        let options = options | (payload << TX_PAYLEN_SHIFT);
        let Some((last, leading)) = packet.segments.split_last() else {
            return used;
        };
        let data = |segment: &TxSegment, command: u32| TxData {
            address: U64::new(segment.address),
            status: TxDataStatus {
                length_type_command: U32::new((segment.len & TX_LEN_MASK) | command),
                status_options_payload: U32::new(options),
            },
        };
        for segment in leading {
            ring.write(slot, &data(segment, command));
            slot = ring.next(slot);
            used += 1;
        }
        // The last segment ends the packet and asks for a status write-back.
        ring.write(slot, &data(last, command | TX_CMD_EOP | TX_CMD_RS));
        used + 1
    }

    fn tx_doorbell(hw: &Hardware<'_>, set: u32, next_slot: u32) {
        if let Some(at) = TDT::try_at(set as usize) {
            hw.bar.write(at, TDT::zeroed().with_slot(next_slot as u16));
        }
    }

    fn tx_done(_hw: &Hardware<'_>, ring: &Ring, slot: u32) -> bool {
        ring.read_last::<TxDataStatus>(slot)
            .is_some_and(|status| status.status_options_payload.get() & TX_STATUS_DD != 0)
    }

    #[inline(always)]
    fn rx_next(_hw: &Hardware<'_>, rx: &mut RxCompletions<'_>) -> Option<RxFragment> {
        // Written back in place, in the order the buffers were given.
        let slot = rx.oldest(FreeList::Head)?;
        let ring = rx.free_list(FreeList::Head)?;
        let status = ring.read_last::<RxStatus>(slot)?;
        if status.status_errors.get() & RX_STATUS_DD == 0 {
            return None;
        }
        let hash = if status.status_errors.get() & RX_STATUS_EOP != 0 {
            // The device wrote the hash before the done bit: read it after.
            dma_mb(Read);
            ring.read::<RxWriteBack>(slot).as_ref().and_then(rx_hash)
        } else {
            None
        };
        Some(rx_fragment(slot, &status, hash))
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
            header_address: U64::ZERO,
        };
        ring.write(slot, &buffer);
    }

    fn rx_doorbell(hw: &Hardware<'_>, set: u32, _list: FreeList, next_slot: u32) {
        if let Some(at) = RDT::try_at(set as usize) {
            hw.bar.write(at, RDT::zeroed().with_slot(next_slot as u16));
        }
    }
}
