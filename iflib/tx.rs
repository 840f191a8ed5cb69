// SPDX-License-Identifier: GPL-2.0

//! The transmit side of a queue set: packets onto the ring, completions off it.

use crate::{
    driver::{
        Datapath,
        TxPacket,
        TxSegment, //
    },
    ring::Ring,
    stats::{
        self,
        Counters, //
    },
    xdp::TxFrame,
};
use core::mem::MaybeUninit;
use kernel::{
    device::{
        Bound,
        Device, //
    },
    dma::DmaAddress,
    net::{
        device::{
            self as netdev,
            TxQueue as StackQueue, //
        },
        page_pool::PoolPage,
        skb::{
            SkBuff,
            TxChecksum,
            TxMapping,
            TxTso, //
        },
        xdp::RedirectedFrame,
    },
    prelude::*, //
};

/// Most segments iflib gathers for one packet: the linear part and the kernel's default
/// `MAX_SKB_FRAGS` (17) fragments.
const MAX_SEGMENTS: usize = 18;

/// What a TX ring entry carries: a packet from the stack, a frame this device's XDP
/// program sent back out (from the RX page pool, mapped by it), or a frame an XDP program
/// redirected here. BQL counts only packets.
enum Payload {
    Packet(SkBuff),
    Frame(PoolPage),
    Redirected(RedirectedFrame),
}

impl Payload {
    /// Frees a packet or recycles a frame from the NAPI poll (`budget` 0 from netpoll).
    fn release_in_napi(self, budget: i32) {
        match self {
            Self::Packet(skb) => skb.consume_in_napi(budget),
            Self::Frame(page) => page.recycle_in_napi(budget),
            Self::Redirected(frame) => drop(frame),
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

/// Packets the TX ring gives up per hold of the TX lock: the lock is not held while
/// they are freed, so that the xmit path on another CPU does not wait that long.
pub(crate) const RECLAIM_CHUNK: usize = 16;

/// The DMA pieces of the packet being sent, filled by [`TxRing::prepare`] on the xmit
/// path's stack and emptied by [`TxRing::post`]. Left uninitialised beyond `count`: the xmit
/// path should not pay for clearing room a small packet does not use.
pub(crate) struct Mapped {
    segments: [MaybeUninit<TxSegment>; MAX_SEGMENTS],
    mappings: [MaybeUninit<TxMapping>; MAX_SEGMENTS],
    /// The first `count` entries of both arrays are initialised; the mappings are owned.
    count: usize,
}

impl Mapped {
    pub(crate) fn new() -> Self {
        Self {
            segments: [const { MaybeUninit::uninit() }; MAX_SEGMENTS],
            mappings: [const { MaybeUninit::uninit() }; MAX_SEGMENTS],
            count: 0,
        }
    }

    /// Adds a mapping; when full it comes back.
    #[inline]
    fn push(&mut self, mapping: TxMapping) -> core::result::Result<(), TxMapping> {
        let (Some(segment), Some(slot)) = (
            self.segments.get_mut(self.count),
            self.mappings.get_mut(self.count),
        ) else {
            return Err(mapping);
        };
        segment.write(TxSegment {
            address: mapping.address(),
            len: mapping.len(),
        });
        slot.write(mapping);
        self.count += 1;
        Ok(())
    }

    /// The segments of the mappings added so far.
    fn segments(&self) -> &[TxSegment] {
        let count = self.count.min(MAX_SEGMENTS);
        // SAFETY: The first `count` segments are initialised (see `count`); `MaybeUninit<T>`
        // has the layout of `T`.
        unsafe { core::slice::from_raw_parts(self.segments.as_ptr().cast::<TxSegment>(), count) }
    }

    /// Hands the mappings, in order, to `f`, leaving `self` empty.
    fn take_each(&mut self, mut f: impl FnMut(TxMapping)) {
        let count = core::mem::take(&mut self.count);
        for slot in self.mappings.iter().take(count) {
            // SAFETY: The first `count` mappings are initialised and owned; resetting `count`
            // above makes each read here the only one.
            f(unsafe { slot.assume_init_read() });
        }
    }

    /// Undoes the mappings not handed to the ring.
    pub(crate) fn unmap(&mut self, dma: &Device<Bound>) {
        self.take_each(|mapping| mapping.unmap(dma));
    }
}

/// A packet mapped for the device and ready to be placed on the ring.
pub(crate) struct Prepared {
    skb: SkBuff,
    len: u32,
    checksum: Option<TxChecksum>,
    tso: Option<TxTso>,
    vlan: Option<u16>,
    wire_frames: u32,
    wire_bytes: u32,
}

impl Prepared {
    /// The packet back (its mappings are undone with [`Mapped::unmap`]).
    pub(crate) fn into_skb(self) -> SkBuff {
        self.skb
    }
}

/// What [`TxRing::post`] did with a packet.
pub(crate) enum Posted {
    /// On the ring; ring the doorbell with this tail, if any, once the lock is released.
    Queued { doorbell: Option<u32> },
    /// No room: the queue is stopped and the packet comes back, still mapped.
    Busy(Prepared),
}

/// Packets [`TxRing::reclaim`] took off the ring, to be freed outside the TX lock.
pub(crate) struct Retired {
    packets: [Option<Payload>; RECLAIM_CHUNK],
    count: usize,
    /// Frames and bytes the retired packets became on the wire (for the counters).
    pub(crate) frames: u32,
    pub(crate) bytes: u32,
    /// The part of those from the stack (for BQL, which XDP frames bypass).
    pub(crate) stack_frames: u32,
    pub(crate) stack_bytes: u32,
}

impl Retired {
    pub(crate) fn new() -> Self {
        Self {
            packets: core::array::from_fn(|_| None),
            count: 0,
            frames: 0,
            bytes: 0,
            stack_frames: 0,
            stack_bytes: 0,
        }
    }

    /// Frees the packets taken so far (NAPI, with its budget), keeping the totals.
    pub(crate) fn free_in_napi(&mut self, budget: i32) {
        for packet in self.packets.iter_mut().take(self.count) {
            if let Some(payload) = packet.take() {
                payload.release_in_napi(budget);
            }
        }
        self.count = 0;
    }
}

/// What iflib keeps beside one TX ring entry.
#[derive(Default)]
struct TxSlot {
    /// Set on the first entry of a packet: what to release when it completes.
    payload: Option<Payload>,
    /// On the first entry of a packet: its shape.
    shape: Shape,
    /// The mapping of the packet's n-th segment sits on its n-th entry.
    mapping: Option<TxMapping>,
}

/// The TX ring and the packets on it. Guarded by the queue set's TX lock.
pub(crate) struct TxRing {
    pub(crate) ring: Ring,
    slots: KVec<TxSlot>,
    next_to_use: u32,
    next_to_clean: u32,
    entries_in_use: u32,
}

impl TxRing {
    pub(crate) fn new(dev: &Device<Bound>, len: u32, entry_size: usize) -> Result<Self> {
        let ring = Ring::new(dev, len, entry_size)?;
        let slots = crate::ring::empty_slots(len)?;
        Ok(Self {
            ring,
            slots,
            next_to_use: 0,
            next_to_clean: 0,
            entries_in_use: 0,
        })
    }

    /// Free entries, keeping one empty so a full ring never looks empty to the hardware.
    fn free_entries(&self) -> u32 {
        self.ring.len() - self.entries_in_use - 1
    }

    /// The slot `count` entries after `slot` (`count` at most the ring's length).
    fn advance(&self, slot: u32, count: u32) -> u32 {
        let slot = slot + count;
        if slot >= self.ring.len() {
            slot - self.ring.len()
        } else {
            slot
        }
    }

    /// Maps the linear part and the `fragments` page fragments of `skb` into `mapped`; on
    /// failure unmaps what was mapped.
    #[inline]
    fn map_packet(
        dma: &Device<Bound>,
        skb: &SkBuff,
        fragments: u32,
        mapped: &mut Mapped,
    ) -> Result {
        if fragments as usize + 1 > MAX_SEGMENTS {
            return Err(EINVAL);
        }
        let mut next = skb.map_head(dma);
        let mut index = 0;
        loop {
            let added = match next {
                // Room was checked above: a full `mapped` is unreachable.
                Ok(mapping) => mapped.push(mapping).map_err(|mapping| {
                    mapping.unmap(dma);
                    EINVAL
                }),
                Err(e) => Err(e),
            };
            if let Err(e) = added {
                mapped.unmap(dma);
                return Err(e);
            }
            if index == fragments {
                return Ok(());
            }
            next = skb.map_fragment(dma, index);
            index += 1;
        }
    }

    /// Gets `skb` ready for the ring without touching it: linearizes it if it has too many
    /// pieces, prepares its headers for segmentation and maps it into `mapped` (xmit path,
    /// before the TX lock). On failure the packet is dropped and counted.
    pub(crate) fn prepare<D: Datapath>(
        dma: &Device<Bound>,
        mut skb: SkBuff,
        counters: &Counters,
        mapped: &mut Mapped,
    ) -> Option<Prepared> {
        let desc = &D::DESCRIPTION;
        let mut info = skb.tx_info();
        // Bounded linearization: one attempt, then drop and count.
        let max_segments = (desc.tx_max_segments as usize).clamp(1, MAX_SEGMENTS);
        if info.fragments as usize + 1 > max_segments {
            stats::add(&counters.tx_linearized, 1);
            if skb.linearize().is_err() {
                stats::add(&counters.tx_dropped, 1);
                skb.free_any();
                return None;
            }
            info = skb.tx_info();
        }
        let tso = if desc.tso && info.segmented {
            match skb.prepare_tso() {
                Ok(tso) => tso,
                Err(_) => {
                    stats::add(&counters.tx_dropped, 1);
                    skb.free_any();
                    return None;
                }
            }
        } else {
            None
        };
        if Self::map_packet(dma, &skb, info.fragments, mapped).is_err() {
            stats::add(&counters.tx_dropped, 1);
            skb.free_any();
            return None;
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
        Some(Prepared {
            checksum: if desc.tx_checksum {
                info.checksum
            } else {
                None
            },
            vlan: if desc.vlan_offload { info.vlan } else { None },
            skb,
            len,
            tso,
            wire_frames,
            wire_bytes,
        })
    }

    /// Places a prepared packet and its mappings on the ring (xmit path, TX lock held, BHs
    /// off). The caller rings the doorbell, if asked to, after releasing the lock.
    pub(crate) fn post<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        queue: &StackQueue,
        packet: Prepared,
        mapped: &mut Mapped,
    ) -> Posted {
        let max_entries = D::DESCRIPTION.tx_max_entries_per_packet;
        if !self.has_room::<D>() {
            // The queue should have been stopped: tell the stack to retry.
            queue.maybe_stop(self.free_entries(), max_entries, max_entries);
            return Posted::Busy(packet);
        }
        let first = self.next_to_use;
        let entries = D::tx_encapsulate(
            hw,
            &self.ring,
            first,
            &TxPacket {
                segments: mapped.segments(),
                len: packet.len,
                checksum: packet.checksum,
                tso: packet.tso,
                vlan: packet.vlan,
            },
        )
        .clamp(mapped.count as u32, max_entries);

        let mut slot = first;
        let (slots, ring) = (&mut self.slots, &self.ring);
        mapped.take_each(|mapping| {
            if let Some(entry) = slots.get_mut(slot as usize) {
                entry.mapping = Some(mapping);
            }
            slot = ring.next(slot);
        });
        let wire_bytes = packet.wire_bytes;
        let last = self.advance(first, entries - 1);
        if let Some(entry) = self.slots.get_mut(first as usize) {
            entry.payload = Some(Payload::Packet(packet.skb));
            entry.shape = Shape {
                last,
                entries,
                wire_frames: packet.wire_frames,
                wire_bytes,
            };
        } else {
            // Unreachable (the ring has a slot per entry); never leak the packet.
            packet.skb.free_any();
        }
        self.next_to_use = self.advance(first, entries);
        self.entries_in_use += entries;

        queue.maybe_stop(self.free_entries(), max_entries, 2 * max_entries);
        Posted::Queued {
            doorbell: queue
                .sent(wire_bytes, netdev::xmit_more())
                .then_some(self.next_to_use),
        }
    }

    /// Places a frame this device's XDP program sends back out on the ring (NAPI, the
    /// stack's queue lock and the TX lock held). The caller rings the doorbell with
    /// [`TxRing::doorbell_tail`]. With no room the frame comes back.
    pub(crate) fn post_frame<D: Datapath>(
        &mut self,
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
    /// lock and the TX lock held). With no room, or no mapping, the frame comes back.
    pub(crate) fn post_redirected<D: Datapath>(
        &mut self,
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

    /// Whether the ring has room for the largest packet.
    fn has_room<D: Datapath>(&self) -> bool {
        self.free_entries() >= D::DESCRIPTION.tx_max_entries_per_packet
    }

    /// Places one buffer without offloads at the tail (room checked by the caller).
    fn post_single<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        dma: &Device<Bound>,
        address: DmaAddress,
        len: u32,
        payload: Payload,
        mapping: Option<TxMapping>,
    ) {
        let first = self.next_to_use;
        let segment = [TxSegment { address, len }];
        let packet = TxPacket {
            segments: &segment,
            len,
            checksum: None,
            tso: None,
            vlan: None,
        };
        let max_entries = D::DESCRIPTION.tx_max_entries_per_packet;
        let entries = D::tx_encapsulate(hw, &self.ring, first, &packet).clamp(1, max_entries);
        let shape = Shape {
            last: self.advance(first, entries - 1),
            entries,
            wire_frames: 1,
            wire_bytes: len,
        };
        match self.slots.get_mut(first as usize) {
            Some(entry) => {
                entry.payload = Some(payload);
                entry.shape = shape;
                entry.mapping = mapping;
            }
            None => {
                // Unreachable (the ring has a slot per entry); never leak the buffer.
                if let Some(mapping) = mapping {
                    mapping.unmap(dma);
                }
                payload.release_any();
            }
        }
        self.next_to_use = self.advance(first, entries);
        self.entries_in_use += entries;
    }

    /// The tail to ring the doorbell with after posting.
    pub(crate) fn doorbell_tail(&self) -> u32 {
        self.next_to_use
    }

    /// The oldest packet on the ring: its first slot and its shape.
    fn oldest(&self) -> Option<(u32, Shape)> {
        if self.entries_in_use == 0 {
            return None;
        }
        let first = self.next_to_clean;
        let entry = self.slots.get(first as usize)?;
        entry.payload.as_ref()?;
        Some((first, entry.shape))
    }

    /// Takes the oldest packet, at `first`, off the ring, unmapping its entries.
    fn retire(&mut self, dma: &Device<Bound>, first: u32, shape: Shape) -> Option<Payload> {
        let payload = self.slots.get_mut(first as usize)?.payload.take()?;
        let mut slot = first;
        loop {
            if let Some(mapping) = self
                .slots
                .get_mut(slot as usize)
                .and_then(|s| s.mapping.take())
            {
                mapping.unmap(dma);
            }
            if slot == shape.last {
                break;
            }
            slot = self.ring.next(slot);
        }
        self.next_to_clean = self.ring.next(shape.last);
        self.entries_in_use -= shape.entries;
        Some(payload)
    }

    /// Takes up to [`RECLAIM_CHUNK`] packets the hardware is done with off the ring and
    /// unmaps them (NAPI, TX lock held); the caller frees them after releasing the lock.
    /// Returns whether more may be done.
    pub(crate) fn reclaim<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        dma: &Device<Bound>,
        retired: &mut Retired,
    ) -> bool {
        while retired.count < RECLAIM_CHUNK {
            let Some((first, shape)) = self.oldest() else {
                return false;
            };
            if !D::tx_done(hw, &self.ring, shape.last) {
                return false;
            }
            let Some(payload) = self.retire(dma, first, shape) else {
                return false;
            };
            retired.frames += shape.wire_frames;
            retired.bytes += shape.wire_bytes;
            if let Payload::Packet(_) = payload {
                retired.stack_frames += shape.wire_frames;
                retired.stack_bytes += shape.wire_bytes;
            }
            match retired.packets.get_mut(retired.count) {
                Some(slot) => {
                    *slot = Some(payload);
                    retired.count += 1;
                }
                None => payload.release_any(),
            }
        }
        true
    }

    /// Entries free for the wake threshold.
    pub(crate) fn free_for_wake(&self) -> u32 {
        self.free_entries()
    }

    /// Drops every packet still on the ring (the hardware is stopped).
    pub(crate) fn discard_all(&mut self, dma: &Device<Bound>) {
        while let Some((first, shape)) = self.oldest() {
            match self.retire(dma, first, shape) {
                Some(dropped) => dropped.release_any(),
                None => break,
            }
        }
        self.next_to_use = 0;
        self.next_to_clean = 0;
        self.entries_in_use = 0;
    }
}
