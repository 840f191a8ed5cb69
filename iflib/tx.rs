// SPDX-License-Identifier: GPL-2.0

//! The transmit side of a queue set: packets onto the ring, completions off it.

use crate::{
    completions::CompletionRing,
    installed::{
        InPoll,
        Locked, //
    },
    ring::Ring,
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
    net::{
        napi::Receiving,
        page_pool::PoolPage,
        skb::{
            SkBuff,
            TxMapping, //
        },
        xdp::RedirectedFrame,
    },
    prelude::*, //
};

mod consumer;
mod offloads;
mod producer;

pub(crate) use consumer::TxConsumer;
use offloads::offloads_reachable;
pub(crate) use offloads::offloads_within_reach;
pub(crate) use producer::TxProducer;

/// What a TX ring entry carries: a packet from the stack, a frame this device's XDP
/// program sent back out (from the RX page pool, mapped by it), or a frame an XDP program
/// redirected here. BQL counts only packets.
enum Payload {
    Packet(SkBuff),
    Frame(XdpFrame),
}

/// An XDP frame on a TX ring.
enum XdpFrame {
    /// Sent back out by this device's XDP program, from the RX page pool that mapped it.
    Local(PoolPage),
    /// Redirected here by an XDP program, mapped for this device.
    Redirected(RedirectedFrame),
}

impl XdpFrame {
    /// Recycles or returns the frame from the NAPI poll.
    #[inline]
    fn release_in_napi(self, receiving: &Receiving<'_>) {
        match self {
            Self::Local(page) => page.recycle_in_napi(receiving),
            Self::Redirected(frame) => drop(frame),
        }
    }
}

impl Payload {
    /// Frees a packet or returns a frame from any context.
    fn release_any(self) {
        match self {
            Self::Packet(skb) => skb.free_any(),
            Self::Frame(XdpFrame::Local(page)) => drop(page),
            Self::Frame(XdpFrame::Redirected(frame)) => drop(frame),
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
///
/// A packet's first entry holds what to release when it completes: a packet from the
/// stack, or (rarely) an XDP frame, each in a field of its own so that the cleaning loop
/// takes a packet with one pointer's load and store.
#[derive(Default)]
struct TxSlot {
    /// The stack's packet, on its first entry.
    packet: Option<SkBuff>,
    /// An XDP frame, on its first entry.
    frame: Option<XdpFrame>,
    /// On the first entry of a packet: its shape.
    shape: Shape,
    /// A mapped buffer's mapping sits on the entry of its first segment (a buffer longer
    /// than an entry carries spans several).
    mapping: Option<TxMapping>,
}

impl TxSlot {
    /// Records what the packet starting at this entry releases when it completes (an
    /// entry a packet starts on is empty: completed packets are taken off).
    #[inline]
    fn hold(&mut self, payload: Payload) {
        match payload {
            Payload::Packet(skb) => self.packet = Some(skb),
            Payload::Frame(frame) => self.frame = Some(frame),
        }
    }

    /// Takes what the entry holds to release, if anything.
    fn take_payload(&mut self) -> Option<Payload> {
        match self.packet.take() {
            Some(skb) => Some(Payload::Packet(skb)),
            None => self.frame.take().map(Payload::Frame),
        }
    }
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

    /// Unmaps the mappings kept on the `entries` entries of the packet whose first entry is
    /// `first`, `slot` its slot, and returns the entry after them.
    ///
    /// # Safety
    ///
    /// The caller's side owns those entries (see [`TxRing`]) and holds no reference to
    /// their slots but `slot`, `first`'s.
    #[inline(always)]
    unsafe fn unmap_packet(
        &self,
        dma: &Device<Bound>,
        slot: &mut TxSlot,
        first: u32,
        entries: u32,
    ) -> u32 {
        if let Some(mapping) = slot.mapping.take() {
            mapping.unmap(dma);
        }
        let next = self.ring.next(first);
        if entries > 1 {
            // SAFETY: Per the safety requirement; `slot` is not among them: a packet spans
            // at most `tx_max_entries_per_packet` entries, fewer than the ring has
            // (`Description::is_consistent`), so they do not wrap round to `first`.
            unsafe { self.unmap_entries(dma, next, entries - 1) }
        } else {
            next
        }
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
