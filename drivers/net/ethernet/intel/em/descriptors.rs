// SPDX-License-Identifier: GPL-2.0

//! The em ring entries ("descriptors"): 16 bytes each, little-endian.
//!
//! TX uses legacy data descriptors unless a checksum is to be inserted or TCP segmented:
//! then a context descriptor precedes extended data descriptors. Both data layouts are
//! [`TxData`]: a legacy descriptor is an extended one of type 0 without the extended
//! command bit, its checksum offset and start left 0. RX uses legacy descriptors on the
//! 8254x and extended ones on the 82574 (for the RSS hash); both are given as
//! [`RxBuffer`] and written back over it.

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
    assert!(size_of::<RxBuffer>() == 16 && size_of::<RxExtended>() == 16);
    assert!(size_of::<TxDataControl>() == 8);
    assert!(size_of::<RxLegacyStatus>() == 8 && size_of::<RxExtendedStatus>() == 8);
};

/// A TX data descriptor: a buffer to send.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct TxData {
    /// Bus address of the buffer.
    pub(crate) address: U64,
    pub(crate) control: TxDataControl,
}

/// The last word of a [`TxData`], the one the device writes the done bit back to.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct TxDataControl {
    /// Length (bits 0-19; 0-15 legacy), descriptor type (20-23), command (24-31).
    pub(crate) length_type_command: U32,
    /// Written back: done.
    pub(crate) status: u8,
    /// Checksums to insert (extended; the legacy checksum start is left 0).
    pub(crate) options: u8,
    /// The 802.1Q tag to insert with the VLAN command bit.
    pub(crate) vlan: U16,
}

/// A TX context descriptor: where the checksums of the packets after it go, and how TCP
/// segmentation cuts them.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct TxContext {
    /// Where the IPv4 header checksum starts, where it is stored, where it ends.
    pub(crate) ip_start: u8,
    pub(crate) ip_checksum_at: u8,
    pub(crate) ip_end: U16,
    /// Where the TCP/UDP checksum starts, where it is stored, where it ends (0: at the end
    /// of the packet).
    pub(crate) l4_start: u8,
    pub(crate) l4_checksum_at: u8,
    pub(crate) l4_end: U16,
    /// TCP payload length (bits 0-19), descriptor type (20-23, 0), command (24-31).
    pub(crate) payload_type_command: U32,
    /// Written back (the driver asks for no write-back of a context descriptor).
    pub(crate) status: u8,
    /// Header length and MSS of a TCP segmentation.
    pub(crate) header_len: u8,
    pub(crate) mss: U16,
}

/// An RX descriptor as the driver gives it: a buffer to fill, its write-back cleared.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct RxBuffer {
    /// Bus address of the buffer.
    pub(crate) address: U64,
    /// Cleared: the device sets the done bit here when it fills the buffer.
    pub(crate) write_back: U64,
}

/// The last word of a legacy RX descriptor written back.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct RxLegacyStatus {
    pub(crate) length: U16,
    /// The packet checksum (unused: the TCP/UDP verdict is in `status` and `errors`).
    pub(crate) checksum: U16,
    pub(crate) status: u8,
    pub(crate) errors: u8,
    /// The 802.1Q tag stripped (with the VLAN status bit).
    pub(crate) vlan: U16,
}

/// An extended RX descriptor written back (82574).
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct RxExtended {
    /// RSS hash type (bits 0-3) and queue.
    pub(crate) hash_type: U32,
    /// The flow's Toeplitz hash.
    pub(crate) hash: U32,
    pub(crate) status: RxExtendedStatus,
}

/// The last word of an extended RX descriptor written back.
#[derive(FromBytes, IntoBytes, Immutable)]
#[repr(C)]
pub(crate) struct RxExtendedStatus {
    /// Status (bits 0-19, the legacy bits in 0-7) and errors (24-31, the legacy bits).
    pub(crate) status_errors: U32,
    pub(crate) length: U16,
    /// The 802.1Q tag stripped (with the VLAN status bit).
    pub(crate) vlan: U16,
}
