// SPDX-License-Identifier: GPL-2.0

//! The igb ring entries ("advanced descriptors"): 16 bytes each, little-endian.
//!
//! TX: a data descriptor per segment, preceded by a context descriptor when a checksum is
//! to be inserted, TCP segmented or a VLAN tag added. RX: one buffer per entry
//! ([`RxBuffer`]), written back over it as [`RxWriteBack`].

use kernel::prelude::*;
use zerocopy::little_endian::{
    U16,
    U32,
    U64, //
};
use zerocopy_derive::Immutable;

// One TX ring takes data and context descriptors, one RX ring buffers and their
// write-backs: the same size each, or `Ring::write` would write nothing and `read` read
// nothing. The words read alone are the last 8 bytes.
const _: () = {
    assert!(size_of::<TxData>() == 16 && size_of::<TxContext>() == 16);
    assert!(size_of::<RxBuffer>() == 16 && size_of::<RxWriteBack>() == 16);
    assert!(size_of::<TxDataStatus>() == 8 && size_of::<RxStatus>() == 8);
};

/// A TX data descriptor: a buffer to send.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct TxData {
    /// Bus address of the buffer.
    pub(crate) address: U64,
    pub(crate) status: TxDataStatus,
}

/// The last word of a [`TxData`], where the device writes the done bit back.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct TxDataStatus {
    /// Length (bits 0-15), descriptor type (20-23, 3), command (24-31).
    pub(crate) length_type_command: U32,
    /// Status (bits 0-3, done in bit 0, written back), context index (4-6), checksums to
    /// insert (8-13), payload length (14-31).
    pub(crate) status_options_payload: U32,
}

/// A TX context descriptor: the headers of the packets after it, for their checksums,
/// segmentation and VLAN tag.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct TxContext {
    /// IP header length (bits 0-8), MAC header length (9-15), VLAN tag (16-31).
    pub(crate) vlan_mac_ip_lengths: U32,
    pub(crate) seed: U32,
    /// L4 type and IPv4 (bits 9-12), descriptor type (20-23, 2), extended (29).
    pub(crate) type_command: U32,
    /// Context index (bits 4-6), L4 header length (8-15), MSS (16-31).
    pub(crate) mss_l4_length_index: U32,
}

/// An RX descriptor as the driver gives it: a buffer to fill; the header address, where
/// the done bit is written back, cleared.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct RxBuffer {
    pub(crate) address: U64,
    pub(crate) header_address: U64,
}

/// An RX descriptor written back.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct RxWriteBack {
    /// RSS hash type (bits 0-3), packet type (4-15).
    pub(crate) packet_info: U16,
    pub(crate) header_info: U16,
    /// The flow's Toeplitz hash.
    pub(crate) hash: U32,
    pub(crate) status: RxStatus,
}

/// The last word of an RX write-back.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct RxStatus {
    /// Status (bits 0-19: done, end of packet, VLAN, checksums checked) and errors (20-31).
    pub(crate) status_errors: U32,
    pub(crate) length: U16,
    /// The 802.1Q tag stripped (with the VLAN status bit).
    pub(crate) vlan: U16,
}
