// SPDX-License-Identifier: GPL-2.0

//! Which TX offloads a packet keeps: those whose offsets the hardware can be given.

use crate::driver::Datapath;
use kernel::net::{
    device::features as netdev_features,
    skb::{
        SkBuffRef,
        TxInfo, //
    },
};

/// The longest TCP header: the end of what TSO copies is at most this far past its start.
const MAX_TCP_HEADER_LEN: u32 = 60;
/// An 802.1Q or 802.1ad tag the stack may still push into the frame after its offloads
/// were checked.
const VLAN_TAG_LEN: u32 = 4;

/// Whether the hardware can be given the offsets of `info`'s checksum and segmentation:
/// a checksum where [`Description::tx_checksum`] inserts one, every offset within
/// [`Description::tx_offload_max_offset`] (with room for a tag pushed later). A packet to
/// segment without a checksum to insert is not.
///
/// [`Description::tx_checksum`]: crate::driver::Description::tx_checksum
/// [`Description::tx_offload_max_offset`]: crate::driver::Description::tx_offload_max_offset
#[inline]
pub(super) fn offloads_reachable<D: Datapath>(info: &TxInfo) -> bool {
    let Some(checksum) = info.checksum else {
        return !info.segmented;
    };
    if info.segmented {
        // Segmentation inserts TCP's checksums, where `offers_tso` says the hardware may.
        if !D::DESCRIPTION.offers_tso() {
            return false;
        }
    } else if !D::DESCRIPTION.tx_checksum.inserts_at(checksum.offset) {
        return false;
    }
    let max = D::DESCRIPTION.tx_offload_max_offset;
    if max == u32::MAX {
        return true;
    }
    // No overflow: the start and offset are 16-bit values.
    let reach = if info.segmented {
        checksum.start + MAX_TCP_HEADER_LEN
    } else {
        checksum.start + checksum.offset
    };
    reach + VLAN_TAG_LEN <= max
}

/// The offloads, of `features`, that a packet keeps (`ndo_features_check`): a packet whose
/// headers reach past what the hardware can name (IPv6 extension headers, IP options) is
/// checksummed and segmented by the stack instead.
#[inline]
pub(crate) fn offloads_within_reach<D: Datapath>(skb: &SkBuffRef, features: u64) -> u64 {
    if offloads_reachable::<D>(&skb.tx_info()) {
        features
    } else {
        features & !(netdev_features::CSUM_MASK | netdev_features::GSO_MASK)
    }
}
