// SPDX-License-Identifier: GPL-2.0

//! The transmit side of a queue set: packets onto the ring, completions off it.

use crate::{
    completions::{
        CompletionRing,
        TxCompletions, //
    },
    driver::{
        Completions,
        Datapath,
        TxPacket, //
    },
    installed::{
        InPoll,
        Locked, //
    },
    ring::Ring,
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
use core::{
    cell::UnsafeCell,
    sync::atomic::{
        AtomicBool,
        AtomicU32,
        Ordering, //
    },
};
use kernel::{
    device::{
        Bound,
        Device, //
    },
    dma::DmaAddress,
    net::{
        device::{
            features as netdev_features,
            Xmitting, //
        },
        napi::{
            Polling,
            Receiving, //
        },
        page_pool::PoolPage,
        skb::{
            SkBuff,
            SkBuffRef,
            TxInfo,
            TxMapping, //
        },
        xdp::RedirectedFrame,
    },
    prelude::*, //
};

/// The longest TCP header: the end of what TSO copies is at most this far past its start.
const MAX_TCP_HEADER_LEN: u32 = 60;
/// An 802.1Q or 802.1ad tag the stack may still push into the frame after its offloads
/// were checked.
const VLAN_TAG_LEN: u32 = 4;

/// Whether the hardware can be given the offsets of `info`'s checksum and segmentation:
/// every one within [`Description::tx_offload_max_offset`] (with room for a tag pushed
/// later). A packet to segment without a checksum to insert is not.
///
/// [`Description::tx_offload_max_offset`]: crate::driver::Description::tx_offload_max_offset
#[inline]
fn offloads_reachable<D: Datapath>(info: &TxInfo) -> bool {
    let max = D::DESCRIPTION.tx_offload_max_offset;
    if max == u32::MAX {
        return true;
    }
    let Some(checksum) = info.checksum else {
        return !info.segmented;
    };
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

/// What a TX ring entry carries: a packet from the stack, a frame this device's XDP
/// program sent back out (from the RX page pool, mapped by it), or a frame an XDP program
/// redirected here. BQL counts only packets.
enum Payload {
    Packet(SkBuff),
    Frame(PoolPage),
    Redirected(RedirectedFrame),
}

impl Payload {
    /// Frees a packet or recycles a frame from the NAPI poll. Netpoll (`receiving` `None`)
    /// must be given packets only: XDP frames go back from a poll proper.
    #[inline]
    fn release_in_napi(self, poll: &Polling<'_>, receiving: Option<&Receiving<'_>>) {
        match (self, receiving) {
            (Self::Packet(skb), _) => skb.consume_in_napi(poll),
            (Self::Frame(page), Some(rx)) => page.recycle_in_napi(rx),
            // Not from netpoll (see `TxConsumer::reclaim`): only the XDP frames' owners'
            // return paths are left.
            (Self::Frame(page), None) => drop(page),
            (Self::Redirected(frame), _) => drop(frame),
        }
    }

    /// Frees a packet or returns a frame from any context.
    fn release_any(self) {
        match self {
            Self::Packet(skb) => skb.free_any(),
            Self::Frame(page) => drop(page),
            Self::Redirected(frame) => drop(frame),
        }
    }
}

/// Where a packet the hardware owns lies on the ring and what it is on the wire (kept on
/// its first entry until its last entry is done).
#[derive(Clone, Copy, Default)]
struct Shape {
    /// Its last entry, whose completion completes the packet.
    last: u32,
    /// Ring entries the packet uses, starting at its slot.
    entries: u32,
    /// Frames it becomes on the wire (more than one when the hardware segments it).
    wire_frames: u32,
    /// Bytes of those frames, each segment's copy of the headers included; BQL and the
    /// byte counters use this.
    wire_bytes: u32,
}

/// Why a packet's pieces could not be mapped onto the ring.
#[derive(Debug, PartialEq, Eq)]
enum MapError {
    /// Cut to what one entry carries, they make more segments than a packet may have.
    TooManySegments,
    /// A mapping failed.
    Failed,
}

/// What [`TxConsumer::reclaim`] took off the ring: the frames and bytes the packets became
/// on the wire (for the counters), and the part of those from the stack (for BQL, which XDP
/// frames bypass). The BQL byte sum wraps as BQL's own unsigned arithmetic does.
#[derive(Default)]
pub(crate) struct Retired {
    pub(crate) frames: u64,
    pub(crate) bytes: u64,
    pub(crate) stack_frames: u32,
    pub(crate) stack_bytes: u32,
    /// Netpoll stopped at a completed XDP frame: the NAPI poll proper must take it.
    pub(crate) left_for_napi: bool,
}

/// What iflib keeps beside one TX ring entry.
#[derive(Default)]
struct TxSlot {
    /// Set on the first entry of a packet: what to release when it completes.
    payload: Option<Payload>,
    /// On the first entry of a packet: its shape.
    shape: Shape,
    /// A mapped buffer's mapping sits on the entry of its first segment (a buffer longer
    /// than an entry carries spans several).
    mapping: Option<TxMapping>,
}

/// A [`TxSlot`] the producer fills and the consumer empties (see [`TxRing`]).
#[derive(Default)]
struct SharedSlot(UnsafeCell<TxSlot>);

/// The TX ring and the packets on it, shared without a lock by one producer and one
/// consumer, as C drivers share theirs.
///
/// The producer places packets: the xmit path and the XDP senders, which the stack's lock
/// of the ring's TX queue serializes ([`TxRing::producer`] takes the ring as a holder of
/// that lock reads it from its [`crate::installed::Installed`] slot). The consumer takes
/// completed packets off: the queue set's NAPI poll ([`TxRing::consumer`], the ring as
/// that poll reads it). The entries from `next_to_clean`
/// up to `next_to_use` are the consumer's, the others the producer's. Each side publishes
/// its index with release ordering once it is done with the slots it hands over, and reads
/// the other side's with acquire ordering before it touches them. Stopping the queue when
/// the ring fills and waking it when completions free room follow the kernel's lockless
/// protocol ([`kernel::net::device::TxQueueLocked::maybe_stop`],
/// [`kernel::net::device::TxQueue::completed_wake`]).
pub(crate) struct TxRing {
    pub(crate) ring: Ring,
    /// The queue set the ring belongs to (its doorbell's).
    set: u32,
    slots: KVec<SharedSlot>,
    /// The entry the producer fills next; written only by the producer.
    next_to_use: AtomicU32,
    /// The first entry of the oldest packet on the ring; written only by the consumer.
    next_to_clean: AtomicU32,
    /// The generation bit of the entry at `next_to_use`: true on the first pass over the
    /// ring, flipped at each wrap; written only by the producer.
    generation: AtomicBool,
    /// A consumer exists: one at a time (see [`TxRing::consumer`]).
    consumer_taken: AtomicBool,
    /// Packets the driver reported sent that are not retired yet (netpoll stopped before
    /// them, or they were posted after the walk began); the consumer's.
    sent_not_retired: AtomicU32,
    /// The TX completion ring (or the shared one), the consumer's.
    completion: UnsafeCell<Option<CompletionRing>>,
}

// SAFETY: A slot is only accessed by the side that owns its entry (see `TxRing`): one
// producer and one consumer at a time, as what `TxRing::producer` and `TxRing::consumer`
// take ensures (the ring read under its slot's queue lock, or by its slot's NAPI poll: one
// holder each; or `&mut`), with the ownership handed over through `next_to_use` and
// `next_to_clean` with release/acquire ordering. The completion ring is the consumer's
// alone. What the slots hold can be sent between threads.
unsafe impl Sync for TxRing {}

impl TxRing {
    /// A ring of `len` entries of `entry_size` bytes, with the completion ring the device
    /// reports its work on, if any.
    pub(crate) fn new(
        dev: &Device<Bound>,
        set: u32,
        len: u32,
        entry_size: usize,
        completion: Option<CompletionRing>,
    ) -> Result<Self> {
        let ring = Ring::new(dev, len, entry_size)?;
        let slots = crate::ring::empty_slots(len)?;
        Ok(Self {
            ring,
            set,
            slots,
            next_to_use: AtomicU32::new(0),
            next_to_clean: AtomicU32::new(0),
            generation: AtomicBool::new(true),
            consumer_taken: AtomicBool::new(false),
            sent_not_retired: AtomicU32::new(0),
            completion: UnsafeCell::new(completion),
        })
    }

    /// The TX ring and the completion ring, for [`Driver::start`](crate::Driver::start).
    pub(crate) fn rings(&mut self) -> (&Ring, Option<&Ring>) {
        let completion = self.completion.get_mut().as_ref().map(CompletionRing::ring);
        (&self.ring, completion)
    }

    /// The producer's side of an installed ring, for the holder of its queue's lock: one at
    /// a time.
    #[inline]
    pub(crate) fn producer<'a>(ring: Locked<'a, Self>) -> TxProducer<'a> {
        TxProducer(ring.get())
    }

    /// The consumer's side of an installed ring, for its NAPI context's poll; `None` while
    /// another consumer of it exists: netpoll's, in the moments it overlaps the poll (while
    /// it starts or stops serving the device, or re-entering it from a printk).
    #[inline]
    pub(crate) fn consumer<'a>(ring: InPoll<'a, Self>) -> Option<TxConsumer<'a>> {
        let ring = ring.get();
        if ring.consumer_taken.swap(true, Ordering::Acquire) {
            return None;
        }
        Some(TxConsumer(ring))
    }

    /// Free entries, keeping one empty so a full ring never looks empty to the hardware.
    #[inline]
    fn free_entries(&self) -> u32 {
        let next_to_use = self.next_to_use.load(Ordering::Acquire);
        let next_to_clean = self.next_to_clean.load(Ordering::Acquire);
        // Both indices are below the ring's length: the sums cannot overflow.
        let wrap = if next_to_use < next_to_clean {
            self.ring.len()
        } else {
            0
        };
        let in_use = next_to_use.wrapping_add(wrap).wrapping_sub(next_to_clean);
        self.ring.len().wrapping_sub(1).saturating_sub(in_use)
    }

    /// The slot `count` entries after `slot` (`count` at most the ring's length).
    #[inline]
    fn advance(&self, slot: u32, count: u32) -> u32 {
        // No overflow: both are at most the ring's length, at most `Ring::MAX_LEN`.
        let slot = slot.wrapping_add(count);
        if slot >= self.ring.len() {
            slot - self.ring.len()
        } else {
            slot
        }
    }

    /// What iflib keeps beside entry `index`.
    ///
    /// # Safety
    ///
    /// The caller's side owns entry `index` (see [`TxRing`]) and holds no other reference to
    /// its slot.
    #[inline]
    #[expect(
        clippy::mut_from_ref,
        reason = "ownership of the slot follows the ring protocol"
    )]
    unsafe fn slot(&self, index: u32) -> Option<&mut TxSlot> {
        let slot = self.slots.get(index as usize)?;
        // SAFETY: Per the safety requirement, no other reference to this slot exists.
        Some(unsafe { &mut *slot.0.get() })
    }

    /// Unmaps the mappings kept on the `entries` entries from `first` on and returns the
    /// entry after them.
    ///
    /// # Safety
    ///
    /// The caller's side owns those entries (see [`TxRing`]) and holds no reference to
    /// their slots.
    #[inline]
    unsafe fn unmap_entries(&self, dma: &Device<Bound>, first: u32, entries: u32) -> u32 {
        let mut slot = first;
        for _ in 0..entries {
            // SAFETY: Per the safety requirement.
            if let Some(mapping) = unsafe { self.slot(slot) }.and_then(|s| s.mapping.take()) {
                mapping.unmap(dma);
            }
            slot = self.ring.next(slot);
        }
        slot
    }

    /// Drops every packet still on the ring (the hardware is stopped).
    pub(crate) fn discard_all(&mut self, dma: &Device<Bound>) {
        {
            // `&mut self`: no one else uses the ring.
            let consumer = TxConsumer(self);
            let mut first = self.next_to_clean.load(Ordering::Relaxed);
            for _ in 0..self.ring.len() {
                match consumer.retire(dma, first) {
                    Some((payload, shape)) => {
                        payload.release_any();
                        first = self.ring.next(shape.last);
                    }
                    None => break,
                }
            }
        }
        *self.next_to_use.get_mut() = 0;
        *self.next_to_clean.get_mut() = 0;
        *self.generation.get_mut() = true;
        *self.sent_not_retired.get_mut() = 0;
    }
}

/// The last entries of the packets on a TX ring from a given one on, oldest first (see
/// [`TxCompletions::packet_ends`]).
#[derive(Clone)]
pub struct PacketEnds<'a> {
    tx: &'a TxRing,
    /// The first entry of the next packet.
    first: u32,
    /// The producer's tail when the walk began.
    end: u32,
    /// Packets left to list at most: a ring's worth.
    left: u32,
}

impl Iterator for PacketEnds<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        if self.first == self.end || self.left == 0 {
            return None;
        }
        self.left -= 1;
        // SAFETY: Only the consumer makes a `PacketEnds` (`TxConsumer::sent`), over entries it
        // owns (from `next_to_clean` to `next_to_use` as read then), and lends it no longer
        // than it is the consumer; it takes the slot's shape by value and keeps no reference.
        let shape = unsafe { self.tx.slot(self.first) }?.shape;
        self.first = self.tx.advance(self.first, shape.entries);
        Some(shape.last)
    }
}

/// The producer's side of a [`TxRing`]: places packets and frames at the tail.
pub(crate) struct TxProducer<'a>(&'a TxRing);

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
        if !self.has_room::<D>() {
            // The queue should have been stopped: tell the stack to retry.
            queue.maybe_stop(|| tx.free_entries(), max_entries, max_entries);
            return Err(skb);
        }
        let drop_packet = |skb: SkBuff| {
            stats::add(&counters.tx_dropped, 1);
            skb.free_any();
            // The packets before this one in the batch left the doorbell to the last.
            if !queue.more_coming() {
                D::tx_doorbell(hw, tx.set, tx.next_to_use.load(Ordering::Relaxed));
            }
            Ok(())
        };
        let mut info = skb.tx_info();
        // Senders that skip the stack's offload check (netpoll, pktgen) may still ask for
        // offsets the hardware cannot be given: checksum in software, or drop.
        if !offloads_reachable::<D>(&info) {
            if info.segmented || skb.checksum_help().is_err() {
                return drop_packet(skb);
            }
            info = skb.tx_info();
        }
        // A segment per entry at most, each mapping kept on the entry of its first segment.
        let max_segments = desc.tx_segment_limit();
        let mut linearized = false;
        if info.fragments as usize + 1 > max_segments {
            stats::add(&counters.tx_linearized, 1);
            if skb.linearize().is_err() {
                return drop_packet(skb);
            }
            linearized = true;
            info = skb.tx_info();
        }
        let tso = if desc.tso && info.segmented {
            match skb.prepare_tso() {
                Ok(tso) => tso,
                Err(_) => return drop_packet(skb),
            }
        } else {
            None
        };
        let first = tx.next_to_use.load(Ordering::Relaxed);
        let mut segments = Segments::new(max_segments, desc.tx_max_segment_len);
        let mut mapped = self.map_packet(dma, &skb, info.fragments, first, &mut segments);
        if mapped == Err(MapError::TooManySegments) && !linearized {
            // Pieces longer than an entry carries made too many segments: one buffer, cut
            // evenly, always fits (`Description::is_consistent`).
            stats::add(&counters.tx_linearized, 1);
            if skb.linearize().is_err() {
                return drop_packet(skb);
            }
            info = skb.tx_info();
            segments = Segments::new(max_segments, desc.tx_max_segment_len);
            mapped = self.map_packet(dma, &skb, info.fragments, first, &mut segments);
        }
        if mapped.is_err() {
            return drop_packet(skb);
        }
        let len = skb.len();
        let (wire_frames, wire_bytes) = match tso {
            Some(tso) => {
                stats::add(&counters.tx_tso, 1);
                let frames = tso.segments.max(1);
                (frames, len + (frames - 1) * tso.header_len)
            }
            None => (1, len),
        };
        let packet = TxPacket {
            segments: segments.as_slice(),
            len,
            checksum: info.checksum.filter(|_| desc.tx_checksum),
            tso,
            vlan: info.vlan.filter(|_| desc.vlan_offload),
            generation: tx.generation.load(Ordering::Relaxed),
        };
        let used = D::tx_encapsulate(hw, &tx.ring, first, &packet);
        let pieces = segments.count() as u32;
        let wire = (wire_frames, wire_bytes);
        let next = self.place::<D>(first, used, pieces, wire, Payload::Packet(skb));
        queue.maybe_stop(|| tx.free_entries(), max_entries, 2 * max_entries);
        if queue.sent(wire_bytes) {
            D::tx_doorbell(hw, tx.set, next);
        }
        Ok(())
    }

    /// Maps the linear part and the `fragments` page fragments of `skb` into `segments`,
    /// keeping each piece's mapping on the entry of its first segment from `first` on (room
    /// for the packet was checked); on failure undoes the mappings.
    #[inline]
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
                entry.payload = Some(payload);
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
        self.post_single::<D>(hw, dma, address, len, Payload::Frame(page), None);
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
        let payload = Payload::Redirected(frame);
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
            match unsafe { tx.slot(first) } {
                Some(entry) => entry.mapping = Some(mapping),
                // Unreachable (the ring has a slot per entry).
                None => mapping.unmap(dma),
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

/// The consumer's side of a [`TxRing`]: takes completed packets off the head.
pub(crate) struct TxConsumer<'a>(&'a TxRing);

impl Drop for TxConsumer<'_> {
    fn drop(&mut self) {
        self.0.consumer_taken.store(false, Ordering::Release);
    }
}

impl TxConsumer<'_> {
    /// Takes the packet whose first entry is `first` off the ring, unmapping its entries;
    /// `None` if no packet starts there (the ring is empty).
    fn retire(&self, dma: &Device<Bound>, first: u32) -> Option<(Payload, Shape)> {
        // SAFETY: The consumer owns the entries from `next_to_clean` (`first`) up to
        // `next_to_use`, where a packet's slots are filled when it is placed.
        let entry = unsafe { self.0.slot(first) }?;
        let payload = entry.payload.take()?;
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
    /// (NAPI), and adds them to `retired`. From netpoll it stops at the first XDP frame:
    /// only the NAPI poll proper may return those.
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
        // A packet takes at least one entry: at most `len` packets are on the ring.
        for _ in 0..tx.ring.len() {
            if first == next_to_use || sent == 0 {
                break;
            }
            // SAFETY: The consumer owns `first`, between `next_to_clean` and `next_to_use`.
            let Some(entry) = (unsafe { tx.slot(first) }) else {
                break;
            };
            // Netpoll (maybe with IRQs off) may free the stack's packets only:
            // XDP frames go back to a page pool or their owner, from the NAPI poll proper.
            if receiving.is_none() && !matches!(entry.payload, Some(Payload::Packet(_))) {
                retired.left_for_napi = true;
                break;
            }
            let shape = entry.shape;
            if in_place && !D::tx_done(hw, &tx.ring, shape.last) {
                break;
            }
            // Every packet's first entry holds its payload.
            let Some(payload) = entry.payload.take() else {
                break;
            };
            sent -= 1;
            // SAFETY: As above: the packet's entries are the consumer's; `entry` is not used
            // again.
            first = unsafe { tx.unmap_entries(dma, first, shape.entries) };
            // No overflow: u64 sums of at most a ring of u32 values.
            retired.frames = retired.frames.wrapping_add(u64::from(shape.wire_frames));
            retired.bytes = retired.bytes.wrapping_add(u64::from(shape.wire_bytes));
            if let Payload::Packet(_) = payload {
                retired.stack_frames = retired.stack_frames.wrapping_add(shape.wire_frames);
                retired.stack_bytes = retired.stack_bytes.wrapping_add(shape.wire_bytes);
            }
            payload.release_in_napi(poll, receiving.as_ref());
        }
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
