// SPDX-License-Identifier: GPL-2.0

//! The em datapath: TX and RX descriptors.
//!
//! All are 16 bytes. RX uses legacy descriptors: word 0 holds the buffer address, word 1
//! the length (bits 0-15), status (32-39) and errors (40-47). TX uses legacy data
//! descriptors (word 1: length 0-15, command 24-31, status 32-39) unless a checksum is to
//! be inserted: then a context descriptor (word 0: checksum start 32-39, checksum offset
//! 40-47, checksum end 48-63; word 1: command 24-31) precedes extended data descriptors
//! (word 1: length 0-19, type 20-23, command 24-31, status 32-39, options 40-47). Bits
//! 48-63 of word 1 carry the 802.1Q tag: to insert (TX, with the VLE command), or
//! stripped (RX, with the VP status).

use crate::{
    regs::*,
    Em,
    Hardware, //
};
use iflib::{
    Datapath,
    Ring,
    RxChecksum,
    RxFragment,
    TxPacket, //
};
use kernel::{
    dma::DmaAddress,
    io::Io, //
};

/// TX command: end of packet, insert FCS, report status, extended descriptor.
const TX_CMD_EOP: u64 = 1 << 0;
const TX_CMD_IFCS: u64 = 1 << 1;
const TX_CMD_RS: u64 = 1 << 3;
const TX_CMD_DEXT: u64 = 1 << 5;
const TX_CMD_VLE: u64 = 1 << 6;
/// The "special" field (bits 48-63 of word 1): the 802.1Q tag, TX and RX.
const SPECIAL_SHIFT: u32 = 48;
const TX_CMD_SHIFT: u32 = 24;
/// Extended descriptor type: data (context descriptors are type 0).
const TX_TYPE_DATA: u64 = 1 << 20;
/// Packet options: insert the TCP/UDP checksum described by the context.
const TX_POPTS_TXSM: u64 = 1 << 1;
const TX_POPTS_SHIFT: u32 = 40;
/// Context descriptor fields (word 0): checksum start, offset and end (0: packet end).
const TX_CTX_TUCSS_SHIFT: u32 = 32;
const TX_CTX_TUCSO_SHIFT: u32 = 40;
/// TX status: descriptor done.
const TX_STATUS_DD: u64 = 1 << 32;

/// RX status bits (word 1, bits 32-39) and error bits (40-47).
const RX_STATUS_DD: u64 = 1 << 32;
const RX_STATUS_EOP: u64 = 1 << 33;
/// The frame carried an 802.1Q tag, stripped into the special field.
const RX_STATUS_VP: u64 = 1 << 35;
/// CRC, symbol, sequence, carrier extension and RX data errors.
const RX_ERRORS: u64 = (0x01 | 0x02 | 0x04 | 0x10 | 0x80) << 40;
const RX_LEN_MASK: u64 = 0xffff;

impl Datapath for Em {
    fn tx_encapsulate(_hw: &Hardware<'_>, ring: &Ring, first: u32, packet: &TxPacket<'_>) -> u32 {
        let mut slot = first;
        let mut used = 0;
        // The checksum fields are 8 bits wide: a checksum further in is left to software
        // (the stack never asks for one that far in a frame).
        let checksum = packet
            .checksum
            .filter(|c| c.start <= 0xff && c.start + c.offset <= 0xff);
        let (data_type, options) = match checksum {
            Some(c) => {
                let context = (u64::from(c.start) << TX_CTX_TUCSS_SHIFT)
                    | (u64::from(c.start + c.offset) << TX_CTX_TUCSO_SHIFT);
                ring.write(slot, 0, context);
                ring.write(slot, 1, TX_CMD_DEXT << TX_CMD_SHIFT);
                slot = ring.next(slot);
                used += 1;
                (
                    TX_TYPE_DATA | (TX_CMD_DEXT << TX_CMD_SHIFT),
                    TX_POPTS_TXSM << TX_POPTS_SHIFT,
                )
            }
            None => (0, 0),
        };
        let last = packet.segments.len().saturating_sub(1);
        for (i, segment) in packet.segments.iter().enumerate() {
            let mut cmd = TX_CMD_IFCS;
            let mut special = 0;
            if i == last {
                cmd |= TX_CMD_EOP | TX_CMD_RS;
                if let Some(tci) = packet.vlan {
                    cmd |= TX_CMD_VLE;
                    special = u64::from(tci) << SPECIAL_SHIFT;
                }
            }
            ring.write(slot, 0, segment.address);
            ring.write(
                slot,
                1,
                u64::from(segment.len) | data_type | options | (cmd << TX_CMD_SHIFT) | special,
            );
            slot = ring.next(slot);
            used += 1;
        }
        used
    }

    fn tx_doorbell(hw: &Hardware<'_>, next_slot: u32) {
        (&hw.bar).write32(next_slot, TDT);
    }

    fn tx_done(_hw: &Hardware<'_>, ring: &Ring, slot: u32) -> bool {
        ring.read(slot, 1) & TX_STATUS_DD != 0
    }

    fn rx_fragment(_hw: &Hardware<'_>, ring: &Ring, slot: u32) -> Option<RxFragment> {
        let word = ring.read(slot, 1);
        if word & RX_STATUS_DD == 0 {
            return None;
        }
        Some(RxFragment {
            len: (word & RX_LEN_MASK) as u32,
            end_of_frame: word & RX_STATUS_EOP != 0,
            error: word & RX_ERRORS != 0,
            // The 8254x checksum offload is not enabled (RXCSUM stays 0).
            checksum: RxChecksum::None,
            vlan: (word & RX_STATUS_VP != 0).then_some((word >> SPECIAL_SHIFT) as u16),
        })
    }

    fn rx_refill(_hw: &Hardware<'_>, ring: &Ring, slot: u32, address: DmaAddress) {
        ring.write(slot, 0, address);
        ring.write(slot, 1, 0);
    }

    fn rx_doorbell(hw: &Hardware<'_>, next_slot: u32) {
        (&hw.bar).write32(next_slot, RDT);
    }
}
