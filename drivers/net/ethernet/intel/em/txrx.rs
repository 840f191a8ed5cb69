// SPDX-License-Identifier: GPL-2.0

//! The em datapath: legacy TX and RX descriptors.
//!
//! Both are 16 bytes: word 0 holds the buffer address; word 1 holds, for TX, length (bits
//! 0-15), command (24-31) and status (32-39), and for RX, length (0-15), status (32-39) and
//! errors (40-47).

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

/// TX command: end of packet, insert FCS, report status.
const TX_CMD_EOP: u64 = 1 << 0;
const TX_CMD_IFCS: u64 = 1 << 1;
const TX_CMD_RS: u64 = 1 << 3;
const TX_CMD_SHIFT: u32 = 24;
/// TX status: descriptor done.
const TX_STATUS_DD: u64 = 1 << 32;

/// RX status bits (word 1, bits 32-39) and error bits (40-47).
const RX_STATUS_DD: u64 = 1 << 32;
const RX_STATUS_EOP: u64 = 1 << 33;
/// CRC, symbol, sequence, carrier extension and RX data errors.
const RX_ERRORS: u64 = (0x01 | 0x02 | 0x04 | 0x10 | 0x80) << 40;
const RX_LEN_MASK: u64 = 0xffff;

impl Datapath for Em {
    fn tx_encapsulate(_hw: &Hardware<'_>, ring: &Ring, slot: u32, packet: &TxPacket) -> u32 {
        let cmd = TX_CMD_EOP | TX_CMD_IFCS | TX_CMD_RS;
        ring.write(slot, 0, packet.address);
        ring.write(slot, 1, u64::from(packet.len) | (cmd << TX_CMD_SHIFT));
        1
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
