// SPDX-License-Identifier: GPL-2.0

//! The consumer's side of a TX ring: completed packets taken off the head.

use super::{
    PacketEnds,
    Payload,
    Retired,
    Shape,
    TxRing, //
};
use crate::{
    completions::{
        CompletionRing,
        TxCompletions, //
    },
    driver::{
        Completions,
        Datapath, //
    },
};
use core::sync::atomic::Ordering;
use kernel::{
    device::{
        Bound,
        Device, //
    },
    net::napi::Polling,
};

/// The consumer's side of a [`TxRing`]: takes completed packets off the head.
pub(crate) struct TxConsumer<'a>(pub(super) &'a TxRing);

impl Drop for TxConsumer<'_> {
    fn drop(&mut self) {
        self.0.consumer_taken.store(false, Ordering::Release);
    }
}

impl TxConsumer<'_> {
    /// Takes the packet whose first entry is `first` off the ring, unmapping its entries;
    /// `None` if no packet starts there (the ring is empty).
    pub(super) fn retire(&self, dma: &Device<Bound>, first: u32) -> Option<(Payload, Shape)> {
        // SAFETY: The consumer owns the entries from `next_to_clean` (`first`) up to
        // `next_to_use`, where a packet's slots are filled when it is placed.
        let entry = unsafe { self.0.slot(first) }?;
        let payload = entry.take_payload()?;
        let shape = entry.shape;
        // SAFETY: As above: the packet's entries are the consumer's; `entry` is not used
        // again.
        unsafe { self.0.unmap_entries(dma, first, shape.entries) };
        Some((payload, shape))
    }

    /// The completion ring (TX or shared), for the RX side of the same poll to read a
    /// shared one; borrowed as long as the consumer.
    #[inline]
    pub(crate) fn completion_ring(&mut self) -> Option<&mut CompletionRing> {
        // SAFETY: The consumer is the completion ring's only user (see `TxRing`), one at a
        // time (`consumer_taken`), and this borrow lasts no longer than `&mut self`.
        unsafe { (*self.0.completion.get()).as_mut() }
    }

    /// Adds `packets` the driver reported sent elsewhere (a shared completion ring read
    /// for RX), to be retired by the next [`TxConsumer::reclaim`].
    #[inline]
    pub(crate) fn add_sent(&mut self, packets: u32) {
        // At most the ring's worth; `reclaim` drops what is more than the packets on it.
        let sent = self.0.sent_not_retired.load(Ordering::Relaxed);
        let sent = sent.saturating_add(packets).min(self.0.ring.len());
        self.0.sent_not_retired.store(sent, Ordering::Relaxed);
    }

    /// Asks the driver how many packets it sent, skipping the `skip` already counted.
    #[inline]
    fn sent<D: Datapath>(&mut self, hw: &D::Hardware<'_>, first: u32, end: u32, skip: u32) -> u32 {
        let tx = self.0;
        let left = tx.ring.len();
        let mut ends = PacketEnds {
            tx,
            first,
            end,
            left,
        };
        for _ in 0..skip {
            if ends.next().is_none() {
                return 0;
            }
        }
        let mut completions = TxCompletions {
            set: tx.set,
            ring: &tx.ring,
            ends,
            completion: self.completion_ring(),
        };
        D::tx_completed(hw, &mut completions)
    }

    /// Takes the packets the hardware is done with off the ring, unmaps and frees them
    /// (NAPI), and adds them to `retired`. From netpoll it stops at the first XDP frame
    /// (`left_for_napi` if it completed): only the NAPI poll proper may return those.
    pub(crate) fn reclaim<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        dma: &Device<Bound>,
        poll: &Polling<'_>,
        retired: &mut Retired,
    ) {
        let receiving = poll.receiving();
        let tx = self.0;
        let next_to_use = tx.next_to_use.load(Ordering::Acquire);
        let start = tx.next_to_clean.load(Ordering::Relaxed);
        // Done bits in place are read packet by packet in the one walk below; completions
        // on a ring are counted first, at most the packets the driver was shown.
        let in_place = matches!(D::DESCRIPTION.rings.completions, Completions::InPlace);
        if start == next_to_use {
            if !in_place {
                // Nothing on the ring: a count left over is a miscount.
                tx.sent_not_retired.store(0, Ordering::Relaxed);
            }
            return;
        }
        let mut sent = if in_place {
            u32::MAX
        } else {
            let counted = tx.sent_not_retired.load(Ordering::Relaxed);
            counted.saturating_add(self.sent::<D>(hw, start, next_to_use, counted))
        };
        let mut first = start;
        // Summed here, and what XDP frames make of them on the side (rare): fewer running
        // sums for the loop to carry.
        let (mut frames, mut bytes, mut xdp_frames, mut xdp_bytes) = (0u64, 0u64, 0u32, 0u32);
        // A packet takes at least one entry: at most `len` packets are on the ring.
        for _ in 0..tx.ring.len() {
            if first == next_to_use || sent == 0 {
                break;
            }
            // SAFETY: The consumer owns `first`, between `next_to_clean` and `next_to_use`.
            let Some(entry) = (unsafe { tx.slot(first) }) else {
                break;
            };
            let shape = entry.shape;
            if in_place && !D::tx_done(hw, &tx.ring, shape.last) {
                break;
            }
            // Every packet's first entry holds the stack's packet or an XDP frame.
            let Some(skb) = entry.packet.take() else {
                // Netpoll (maybe with IRQs off) may free the stack's packets only: XDP
                // frames go back to a page pool or their owner, from the NAPI poll proper.
                let Some(receiving) = receiving.as_ref() else {
                    retired.left_for_napi = entry.frame.is_some();
                    break;
                };
                let Some(frame) = entry.frame.take() else {
                    break;
                };
                sent -= 1;
                // SAFETY: As above: the packet's entries are the consumer's; `entry`, its
                // first's slot, is the only one borrowed.
                first = unsafe { tx.unmap_packet(dma, entry, first, shape.entries) };
                frames = frames.wrapping_add(u64::from(shape.wire_frames));
                bytes = bytes.wrapping_add(u64::from(shape.wire_bytes));
                xdp_frames = xdp_frames.wrapping_add(shape.wire_frames);
                xdp_bytes = xdp_bytes.wrapping_add(shape.wire_bytes);
                frame.release_in_napi(receiving);
                continue;
            };
            sent -= 1;
            // SAFETY: As above: the packet's entries are the consumer's; `entry`, its
            // first's slot, is the only one borrowed.
            first = unsafe { tx.unmap_packet(dma, entry, first, shape.entries) };
            // No overflow: u64 sums of at most a ring of u32 values.
            frames = frames.wrapping_add(u64::from(shape.wire_frames));
            bytes = bytes.wrapping_add(u64::from(shape.wire_bytes));
            skb.consume_in_napi(poll);
        }
        retired.frames = retired.frames.wrapping_add(frames);
        retired.bytes = retired.bytes.wrapping_add(bytes);
        // The stack's share, for BQL: u32 sums wrap as BQL's own do.
        let stack_frames = (frames as u32).wrapping_sub(xdp_frames);
        let stack_bytes = (bytes as u32).wrapping_sub(xdp_bytes);
        retired.stack_frames = retired.stack_frames.wrapping_add(stack_frames);
        retired.stack_bytes = retired.stack_bytes.wrapping_add(stack_bytes);
        if !in_place {
            // Reported but not retired: netpoll's leftovers. More than the ring held is a
            // miscount, dropped: it must not free packets the device still has.
            let left = if first == next_to_use { 0 } else { sent };
            tx.sent_not_retired.store(left, Ordering::Relaxed);
        }
        if first != start {
            // Hands the entries back to the producer, slots emptied.
            tx.next_to_clean.store(first, Ordering::Release);
        }
    }

    /// Entries free, for the wake threshold.
    pub(crate) fn free_entries(&self) -> u32 {
        self.0.free_entries()
    }
}
