// SPDX-License-Identifier: GPL-2.0

//! The producer's side of a TX ring: packets and XDP frames placed at the tail.

use super::{
    offloads_reachable,
    Payload,
    Shape,
    TxRing,
    XdpFrame, //
};
use crate::{
    driver::{
        Datapath,
        TxPacket,
        TxSegment, //
    },
    segments::{
        Segments,
        TooManySegments, //
    },
    stats::{
        self,
        Counters, //
    },
    xdp::TxFrame,
};
use core::sync::atomic::Ordering;
use kernel::{
    device::{
        Bound,
        Device, //
    },
    dma::DmaAddress,
    error::code::ENOMEM,
    net::{
        device::Xmitting,
        skb::{
            DropReason,
            SkBuff,
            TxMapping, //
        },
        xdp::RedirectedFrame,
    }, //
};

/// Why a packet's pieces could not be mapped onto the ring.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum MapError {
    /// Cut to what one entry carries, they make more segments than a packet may have.
    TooManySegments,
    /// A mapping failed.
    Failed,
}

/// The producer's side of a [`TxRing`]: places packets and frames at the tail.
pub(crate) struct TxProducer<'a>(pub(super) &'a TxRing);

impl TxProducer<'_> {
    /// Whether the ring has room for the largest packet.
    #[inline]
    fn has_room<D: Datapath>(&self) -> bool {
        self.0.free_entries() >= D::DESCRIPTION.tx_max_entries_per_packet
    }

    /// Places a packet from the stack on the ring and rings the doorbell unless more follow
    /// (xmit path). Linearizes a packet with too many pieces (one attempt), prepares its
    /// headers for segmentation, maps its pieces and has the driver describe it; a packet
    /// that cannot be sent is dropped and counted. With no room the packet comes back
    /// untouched and the queue is stopped: the stack retries it.
    pub(crate) fn transmit<D: Datapath>(
        &self,
        hw: &D::Hardware<'_>,
        dma: &Device<Bound>,
        queue: &Xmitting<'_>,
        counters: &Counters,
        mut skb: SkBuff,
    ) -> core::result::Result<(), SkBuff> {
        let tx = self.0;
        let desc = &D::DESCRIPTION;
        let max_entries = desc.tx_max_entries_per_packet;
        let free = tx.free_entries();
        if free < max_entries {
            // The queue should have been stopped: tell the stack to retry.
            queue.maybe_stop(|| tx.free_entries(), max_entries, max_entries);
            return Err(skb);
        }
        let dropped = |skb, reason| self.drop_packet::<D>(hw, queue, counters, skb, reason);
        let mut info = skb.tx_info();
        // Senders that skip the stack's offload check (netpoll, pktgen) may still ask for
        // offsets the hardware cannot be given: checksum in software, or drop.
        if !offloads_reachable::<D>(&info) {
            if info.segmented {
                return dropped(skb, DropReason::NotSpecified);
            }
            if skb.checksum_help().is_err() {
                return dropped(skb, DropReason::Checksum);
            }
            info = skb.tx_info();
        }
        // A segment per entry at most, each mapping kept on the entry of its first segment.
        let max_segments = desc.tx_segment_limit();
        let mut linearized = false;
        if info.fragments as usize + 1 > max_segments {
            stats::add(&counters.tx_linearized, 1);
            if skb.linearize().is_err() {
                return dropped(skb, DropReason::NoMemory);
            }
            linearized = true;
            info = skb.tx_info();
        }
        let tso = if desc.offers_tso() && info.segmented {
            match skb.prepare_tso() {
                Ok(tso) => tso,
                Err(e) if e == ENOMEM => return dropped(skb, DropReason::NoMemory),
                Err(_) => return dropped(skb, DropReason::NotSpecified),
            }
        } else {
            None
        };
        let first = tx.next_to_use.load(Ordering::Relaxed);
        let single: [TxSegment; 1];
        // Set up only where a packet is gathered: the single-buffer path skips it.
        let mut gathered;
        let segments = if info.fragments == 0 && skb.head_len() <= desc.tx_max_segment_len {
            // One buffer, one segment: most packets, small ones always. No gathering.
            match self.map_single_buffer(dma, &skb, first) {
                Some(segment) => single = [segment],
                None => return dropped(skb, DropReason::NotSpecified),
            }
            &single[..]
        } else {
            gathered = Segments::new(max_segments, desc.tx_max_segment_len);
            loop {
                match self.map_packet(dma, &skb, info.fragments, first, &mut gathered) {
                    Ok(()) => break,
                    // Pieces longer than an entry carries made too many segments: one
                    // buffer, cut evenly, always fits (`Description::is_consistent`).
                    Err(MapError::TooManySegments) if !linearized => {
                        stats::add(&counters.tx_linearized, 1);
                        if skb.linearize().is_err() {
                            return dropped(skb, DropReason::NoMemory);
                        }
                        linearized = true;
                        info = skb.tx_info();
                        gathered = Segments::new(max_segments, desc.tx_max_segment_len);
                    }
                    Err(_) => return dropped(skb, DropReason::NotSpecified),
                }
            }
            gathered.as_slice()
        };
        let len = skb.len();
        let (wire_frames, wire_bytes) = match tso {
            Some(tso) => {
                let frames = tso.segments.max(1);
                let frame_bytes = len + (frames - 1) * tso.header_len;
                stats::add(&counters.tx_tso, 1);
                stats::add(&counters.tx_tso_bytes, u64::from(len));
                stats::add(&counters.tx_tso_frames, u64::from(frames));
                stats::add(&counters.tx_tso_frame_bytes, u64::from(frame_bytes));
                (frames, frame_bytes)
            }
            None => (1, len),
        };
        let packet = TxPacket {
            segments,
            len,
            checksum: info.checksum,
            tso,
            vlan: info.vlan.filter(|_| desc.vlan_offload),
            generation: tx.generation.load(Ordering::Relaxed),
        };
        let used = D::tx_encapsulate(hw, &tx.ring, first, &packet);
        let pieces = segments.len() as u32;
        let wire = (wire_frames, wire_bytes);
        let next = self.place::<D>(first, used, pieces, wire, Payload::Packet(skb));
        // `place` keeps a packet within `max_entries`, every producer holds the queue lock
        // and the consumer only frees entries: with twice that free before the packet, the
        // queue need not stop, nor the ring be read again.
        if free < 2 * max_entries {
            queue.maybe_stop(|| tx.free_entries(), max_entries, 2 * max_entries);
        }
        if queue.sent(wire_bytes) {
            D::tx_doorbell(hw, tx.set, next);
        }
        Ok(())
    }

    /// Drops a packet that cannot be sent, counting it (`reason` for drop monitors); rings
    /// the doorbell for the packets before it if it was the last of a batch. Out of line:
    /// the xmit path's rare exit.
    #[cold]
    fn drop_packet<D: Datapath>(
        &self,
        hw: &D::Hardware<'_>,
        queue: &Xmitting<'_>,
        counters: &Counters,
        skb: SkBuff,
        reason: DropReason,
    ) -> core::result::Result<(), SkBuff> {
        stats::add(&counters.tx_dropped, 1);
        skb.drop_any(reason);
        // The packets before this one in the batch left the doorbell to the last.
        if !queue.more_coming() {
            D::tx_doorbell(hw, self.0.set, self.0.next_to_use.load(Ordering::Relaxed));
        }
        Ok(())
    }

    /// Maps `skb`, linear and no longer than one entry carries, as the one segment of a
    /// packet whose entry is `first` (room for it was checked), the mapping kept there.
    #[inline(always)]
    fn map_single_buffer(
        &self,
        dma: &Device<Bound>,
        skb: &SkBuff,
        first: u32,
    ) -> Option<TxSegment> {
        let mapping = skb.map_head(dma).ok()?;
        let segment = TxSegment {
            address: mapping.address(),
            len: mapping.len(),
        };
        // SAFETY: The producer owns the entries from `next_to_use` (`first`) on that the
        // room check found free.
        unsafe { self.keep_mapping(dma, first, mapping) }.then_some(segment)
    }

    /// Keeps `mapping` on entry `slot` until its packet completes; `false`, the mapping
    /// undone, where the ring has no such entry (unreachable: it has a slot per entry).
    ///
    /// # Safety
    ///
    /// The producer owns entry `slot` (from `next_to_use` on, within the room checked).
    #[inline(always)]
    unsafe fn keep_mapping(&self, dma: &Device<Bound>, slot: u32, mapping: TxMapping) -> bool {
        // SAFETY: Per the safety requirement.
        match unsafe { self.0.slot(slot) } {
            Some(entry) => {
                entry.mapping = Some(mapping);
                true
            }
            None => {
                mapping.unmap(dma);
                false
            }
        }
    }

    /// Maps the linear part and the `fragments` page fragments of `skb` into `segments`,
    /// keeping each piece's mapping on the entry of its first segment from `first` on (room
    /// for the packet was checked); on failure undoes the mappings.
    #[inline(always)]
    fn map_packet(
        &self,
        dma: &Device<Bound>,
        skb: &SkBuff,
        fragments: u32,
        first: u32,
        segments: &mut Segments,
    ) -> core::result::Result<(), MapError> {
        let tx = self.0;
        let mut next = skb.map_head(dma);
        let mut slot = first;
        let mut index = 0;
        loop {
            let added = match next {
                Ok(mapping) => {
                    let pushed = segments.push_buffer(mapping.address(), mapping.len());
                    // SAFETY: The producer owns the entries from `next_to_use` (`first`) on
                    // that the room check found free; the segments, hence `slot`, stay
                    // within the room checked.
                    match (pushed, unsafe { tx.slot(slot) }) {
                        (Ok(count), Some(entry)) => {
                            entry.mapping = Some(mapping);
                            Ok(count as u32)
                        }
                        (Err(TooManySegments), _) => {
                            mapping.unmap(dma);
                            Err(MapError::TooManySegments)
                        }
                        // Unreachable: the ring has a slot per entry.
                        (Ok(_), None) => {
                            mapping.unmap(dma);
                            Err(MapError::Failed)
                        }
                    }
                }
                Err(_) => Err(MapError::Failed),
            };
            match added {
                Ok(count) => slot = tx.advance(slot, count),
                Err(e) => {
                    // SAFETY: As above; the mappings made so far sit on these entries.
                    unsafe { tx.unmap_entries(dma, first, segments.count() as u32) };
                    return Err(e);
                }
            }
            if index == fragments {
                return Ok(());
            }
            next = skb.map_fragment(dma, index);
            index += 1;
        }
    }

    /// Records what the entries from `first` on that the driver just filled carry, and hands
    /// them to the consumer; returns the new tail. `used` is the driver's entry count for a
    /// packet of `pieces` segments, kept within one per segment and the description's
    /// largest (a miscount must not hand back entries the hardware still owns); `wire` the
    /// frames and bytes it becomes.
    #[inline]
    fn place<D: Datapath>(
        &self,
        first: u32,
        used: u32,
        pieces: u32,
        wire: (u32, u32),
        payload: Payload,
    ) -> u32 {
        let tx = self.0;
        // The description allows at least one entry (`check_description`): `clamp` holds.
        let entries = used
            .max(pieces)
            .clamp(1, D::DESCRIPTION.tx_max_entries_per_packet);
        let shape = Shape {
            last: tx.advance(first, entries - 1),
            entries,
            wire_frames: wire.0,
            wire_bytes: wire.1,
        };
        // SAFETY: The producer owns the entries from `next_to_use` (`first`) on that the
        // room check found free.
        match unsafe { tx.slot(first) } {
            Some(entry) => {
                entry.hold(payload);
                entry.shape = shape;
            }
            // Unreachable (the ring has a slot per entry); never leak the payload.
            None => payload.release_any(),
        }
        let next = tx.advance(first, shape.entries);
        // No overflow: both are at most the ring's length.
        if first + shape.entries >= tx.ring.len() {
            tx.generation.fetch_xor(true, Ordering::Relaxed);
        }
        tx.next_to_use.store(next, Ordering::Release);
        next
    }

    /// Places a frame this device's XDP program sends back out on the ring (NAPI, the
    /// stack's queue lock held). The caller rings the doorbell with
    /// [`TxProducer::doorbell_tail`]. With no room the frame comes back.
    pub(crate) fn post_frame<D: Datapath>(
        &self,
        hw: &D::Hardware<'_>,
        dma: &Device<Bound>,
        frame: TxFrame,
    ) -> core::result::Result<(), TxFrame> {
        if !self.has_room::<D>() {
            return Err(frame);
        }
        let TxFrame { page, offset, len } = frame;
        page.sync_for_device(offset, len);
        let address = page.dma_address() + u64::from(offset);
        let payload = Payload::Frame(XdpFrame::Local(page));
        self.post_single::<D>(hw, dma, address, len, payload, None);
        Ok(())
    }

    /// Places a frame redirected to this device on the ring, mapping it (the stack's queue
    /// lock held). With no room, or no mapping, the frame comes back.
    pub(crate) fn post_redirected<D: Datapath>(
        &self,
        hw: &D::Hardware<'_>,
        dma: &Device<Bound>,
        frame: RedirectedFrame,
    ) -> core::result::Result<(), RedirectedFrame> {
        if !self.has_room::<D>() {
            return Err(frame);
        }
        let Ok(mapping) = frame.map(dma) else {
            return Err(frame);
        };
        let (address, len) = (mapping.address(), mapping.len());
        let payload = Payload::Frame(XdpFrame::Redirected(frame));
        self.post_single::<D>(hw, dma, address, len, payload, Some(mapping));
        Ok(())
    }

    /// Places one buffer without offloads at the tail (room checked by the caller).
    fn post_single<D: Datapath>(
        &self,
        hw: &D::Hardware<'_>,
        dma: &Device<Bound>,
        address: DmaAddress,
        len: u32,
        payload: Payload,
        mapping: Option<TxMapping>,
    ) {
        let tx = self.0;
        let first = tx.next_to_use.load(Ordering::Relaxed);
        if let Some(mapping) = mapping {
            // SAFETY: The producer owns the entries from `next_to_use` on that the caller
            // checked are free.
            if !unsafe { self.keep_mapping(dma, first, mapping) } {
                // Unreachable; never post a buffer no longer mapped.
                payload.release_any();
                return;
            }
        }
        let desc = &D::DESCRIPTION;
        let mut segments = Segments::new(desc.tx_segment_limit(), desc.tx_max_segment_len);
        if segments.push_buffer(address, len).is_err() {
            // Unreachable: a frame is at most a page, which the segments hold
            // (`Description::is_consistent`).
            // SAFETY: As above.
            unsafe { tx.unmap_entries(dma, first, 1) };
            payload.release_any();
            return;
        }
        let packet = TxPacket {
            segments: segments.as_slice(),
            len,
            checksum: None,
            tso: None,
            vlan: None,
            generation: tx.generation.load(Ordering::Relaxed),
        };
        let used = D::tx_encapsulate(hw, &tx.ring, first, &packet);
        let pieces = segments.count() as u32;
        self.place::<D>(first, used, pieces, (1, len), payload);
    }

    /// The tail to ring the doorbell with after posting.
    pub(crate) fn doorbell_tail(&self) -> u32 {
        self.0.next_to_use.load(Ordering::Relaxed)
    }
}
