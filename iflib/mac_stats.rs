// SPDX-License-Identifier: GPL-2.0

//! The MAC's own counters: what a driver reads from the hardware and the totals iflib keeps
//! for `ethtool -S --groups eth-mac,rmon` and `ethtool -I -a`.
//!
//! Hardware counters clear when read (and on a device reset) and stop at their largest
//! value, so iflib reads them whenever it reports them, before every stop, and from its
//! periodic service work, and adds what it read to 64-bit totals.

use kernel::net::ethtool::{
    MacStats,
    PauseStats,
    RmonStats,
    LENGTH_BUCKETS, //
};

/// MAC counters: what [`crate::Driver::read_mac_counters`] read since its previous call.
/// Frame lengths count from the destination address through the FCS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MacCounters {
    /// Frames sent and received without error.
    pub frames_sent: u64,
    /// See [`MacCounters::frames_sent`].
    pub frames_received: u64,
    /// Bytes of the frames sent and received without error.
    pub octets_sent: u64,
    /// See [`MacCounters::octets_sent`].
    pub octets_received: u64,
    /// Multicast frames sent and received without error.
    pub multicast_sent: u64,
    /// See [`MacCounters::multicast_sent`].
    pub multicast_received: u64,
    /// Broadcast frames sent and received without error.
    pub broadcast_sent: u64,
    /// See [`MacCounters::broadcast_sent`].
    pub broadcast_received: u64,
    /// Received frames with a bad FCS.
    pub fcs_errors: u64,
    /// Received frames that were not a whole number of bytes.
    pub alignment_errors: u64,
    /// Frames sent after one collision, after several, with a late collision, or given up
    /// after too many (half duplex).
    pub single_collisions: u64,
    /// See [`MacCounters::single_collisions`].
    pub multiple_collisions: u64,
    /// See [`MacCounters::single_collisions`].
    pub late_collisions: u64,
    /// See [`MacCounters::single_collisions`].
    pub excessive_collisions: u64,
    /// Frames whose transmission waited for a busy medium.
    pub deferred: u64,
    /// Well-formed frames received shorter than 64 bytes, and longer than allowed.
    pub undersize: u64,
    /// See [`MacCounters::undersize`].
    pub oversize: u64,
    /// Frames received shorter than 64 bytes, and longer than allowed, with a bad FCS.
    pub fragments: u64,
    /// See [`MacCounters::fragments`].
    pub jabbers: u64,
    /// Pause frames (XON and XOFF) sent and received.
    pub pause_sent: u64,
    /// See [`MacCounters::pause_sent`].
    pub pause_received: u64,
    /// Frames received and sent by length, one count per bucket of
    /// [`crate::Description::frame_lengths`].
    pub received_by_length: [u64; LENGTH_BUCKETS],
    /// See [`MacCounters::received_by_length`].
    pub sent_by_length: [u64; LENGTH_BUCKETS],
}

impl MacCounters {
    /// Adds `more` to these totals.
    pub(crate) fn add(&mut self, more: &Self) {
        let pairs = [
            (&mut self.frames_sent, more.frames_sent),
            (&mut self.frames_received, more.frames_received),
            (&mut self.octets_sent, more.octets_sent),
            (&mut self.octets_received, more.octets_received),
            (&mut self.multicast_sent, more.multicast_sent),
            (&mut self.multicast_received, more.multicast_received),
            (&mut self.broadcast_sent, more.broadcast_sent),
            (&mut self.broadcast_received, more.broadcast_received),
            (&mut self.fcs_errors, more.fcs_errors),
            (&mut self.alignment_errors, more.alignment_errors),
            (&mut self.single_collisions, more.single_collisions),
            (&mut self.multiple_collisions, more.multiple_collisions),
            (&mut self.late_collisions, more.late_collisions),
            (&mut self.excessive_collisions, more.excessive_collisions),
            (&mut self.deferred, more.deferred),
            (&mut self.undersize, more.undersize),
            (&mut self.oversize, more.oversize),
            (&mut self.fragments, more.fragments),
            (&mut self.jabbers, more.jabbers),
            (&mut self.pause_sent, more.pause_sent),
            (&mut self.pause_received, more.pause_received),
        ];
        for (total, n) in pairs {
            *total = total.wrapping_add(n);
        }
        let histograms = [
            (&mut self.received_by_length, &more.received_by_length),
            (&mut self.sent_by_length, &more.sent_by_length),
        ];
        for (totals, counts) in histograms {
            for (total, n) in totals.iter_mut().zip(counts) {
                *total = total.wrapping_add(*n);
            }
        }
    }

    /// The IEEE 802.3 view of the totals.
    pub(crate) fn mac_stats(&self) -> MacStats {
        MacStats {
            frames_sent: Some(self.frames_sent),
            frames_received: Some(self.frames_received),
            octets_sent: Some(self.octets_sent),
            octets_received: Some(self.octets_received),
            multicast_sent: Some(self.multicast_sent),
            multicast_received: Some(self.multicast_received),
            broadcast_sent: Some(self.broadcast_sent),
            broadcast_received: Some(self.broadcast_received),
            fcs_errors: Some(self.fcs_errors),
            alignment_errors: Some(self.alignment_errors),
            single_collisions: Some(self.single_collisions),
            multiple_collisions: Some(self.multiple_collisions),
            late_collisions: Some(self.late_collisions),
            excessive_collisions: Some(self.excessive_collisions),
            deferred: Some(self.deferred),
        }
    }

    /// The RMON view of the totals.
    pub(crate) fn rmon_stats(&self) -> RmonStats {
        RmonStats {
            undersize: Some(self.undersize),
            oversize: Some(self.oversize),
            fragments: Some(self.fragments),
            jabbers: Some(self.jabbers),
            received_by_length: Some(self.received_by_length),
            sent_by_length: Some(self.sent_by_length),
        }
    }

    /// The pause frame counts.
    pub(crate) fn pause_stats(&self) -> PauseStats {
        PauseStats {
            rx_frames: self.pause_received,
            tx_frames: self.pause_sent,
        }
    }
}

#[kernel::prelude::kunit_tests(iflib_mac_stats)]
mod tests {
    use super::*;

    #[test]
    fn totals_add_every_counter() {
        let mut more = MacCounters {
            frames_sent: 3,
            octets_received: 640,
            pause_received: 2,
            jabbers: 1,
            ..MacCounters::default()
        };
        more.received_by_length[0] = 10;
        more.sent_by_length[5] = 7;
        let mut totals = MacCounters::default();
        totals.add(&more);
        totals.add(&more);
        assert_eq!(totals.frames_sent, 6);
        assert_eq!(totals.octets_received, 1280);
        assert_eq!(totals.pause_stats().rx_frames, 4);
        assert_eq!(totals.rmon_stats().jabbers, Some(2));
        let rmon = totals.rmon_stats();
        assert_eq!(rmon.received_by_length.map(|h| h[0]), Some(20));
        assert_eq!(rmon.sent_by_length.map(|h| h[5]), Some(14));
        assert_eq!(totals.mac_stats().frames_received, Some(0));
    }

    #[test]
    fn totals_wrap_instead_of_overflowing() {
        let mut totals = MacCounters {
            octets_sent: u64::MAX,
            ..MacCounters::default()
        };
        totals.add(&MacCounters {
            octets_sent: 2,
            ..MacCounters::default()
        });
        assert_eq!(totals.octets_sent, 1);
    }
}
