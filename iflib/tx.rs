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
};
use kernel::{
    device::{
        Bound,
        Device, //
    },
    net::{
        device::{
            self as netdev,
            Transmit,
            TxQueue as StackQueue, //
        },
        skb::{
            SkBuff,
            TxMapping, //
        },
    },
    prelude::*, //
};

/// Most segments iflib gathers for one packet: the linear part and the kernel's default
/// `MAX_SKB_FRAGS` (17) fragments.
const MAX_SEGMENTS: usize = 18;

/// A packet the hardware owns until its last entry is done.
struct InFlight {
    skb: SkBuff,
    /// Ring entries the packet uses, starting at its slot.
    entries: u32,
    /// Frames it becomes on the wire (more than one when the hardware segments it).
    wire_frames: u32,
    /// Bytes of those frames, each segment's copy of the headers included; BQL and the
    /// byte counters use this.
    wire_bytes: u32,
}

/// What iflib keeps beside one TX ring entry.
#[derive(Default)]
struct TxSlot {
    /// Set on the first entry of a packet.
    packet: Option<InFlight>,
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

    /// The slot `count` entries after `slot`.
    fn advance(&self, slot: u32, count: u32) -> u32 {
        (slot + count) % self.ring.len()
    }

    /// Maps the linear part and every fragment of `skb` into `segments` and `mappings`;
    /// on failure unmaps what was mapped. Returns how many segments there are.
    fn map_packet(
        dma: &Device<Bound>,
        skb: &SkBuff,
        segments: &mut [TxSegment; MAX_SEGMENTS],
        mappings: &mut [Option<TxMapping>; MAX_SEGMENTS],
    ) -> Result<usize> {
        let count = skb.fragments() as usize + 1;
        if count > MAX_SEGMENTS {
            return Err(EINVAL);
        }
        for i in 0..count {
            let mapping = if i == 0 {
                skb.map_head(dma)
            } else {
                skb.map_fragment(dma, (i - 1) as u32)
            };
            match mapping {
                Ok(mapping) => {
                    segments[i] = TxSegment {
                        address: mapping.address(),
                        len: mapping.len(),
                    };
                    mappings[i] = Some(mapping);
                }
                Err(e) => {
                    for mapping in mappings.iter_mut().filter_map(Option::take) {
                        mapping.unmap(dma);
                    }
                    return Err(e);
                }
            }
        }
        Ok(count)
    }

    /// Queues one packet (xmit path, TX lock held, BHs off).
    pub(crate) fn transmit<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        dma: &Device<Bound>,
        queue: &StackQueue,
        mut skb: SkBuff,
        counters: &Counters,
    ) -> Transmit {
        let desc = &D::DESCRIPTION;
        let max_entries = desc.tx_max_entries_per_packet;
        if self.free_entries() < max_entries {
            // The queue should have been stopped: tell the stack to retry.
            queue.maybe_stop(self.free_entries(), max_entries, max_entries);
            return Transmit::Busy(skb);
        }
        // Bounded linearization: one attempt, then drop and count.
        let max_segments = (desc.tx_max_segments as usize).clamp(1, MAX_SEGMENTS);
        if skb.fragments() as usize + 1 > max_segments {
            stats::add(&counters.tx_linearized, 1);
            if skb.linearize().is_err() {
                stats::add(&counters.tx_dropped, 1);
                skb.free_any();
                return Transmit::Done;
            }
        }
        let tso = if desc.tso {
            match skb.prepare_tso() {
                Ok(tso) => tso,
                Err(_) => {
                    stats::add(&counters.tx_dropped, 1);
                    skb.free_any();
                    return Transmit::Done;
                }
            }
        } else {
            None
        };
        let mut segments = [TxSegment { address: 0, len: 0 }; MAX_SEGMENTS];
        let mut mappings: [Option<TxMapping>; MAX_SEGMENTS] = core::array::from_fn(|_| None);
        let count = match Self::map_packet(dma, &skb, &mut segments, &mut mappings) {
            Ok(count) => count,
            Err(_) => {
                stats::add(&counters.tx_dropped, 1);
                skb.free_any();
                return Transmit::Done;
            }
        };
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
            segments: &segments[..count],
            len,
            checksum: if desc.tx_checksum {
                skb.tx_checksum()
            } else {
                None
            },
            tso,
            vlan: if desc.vlan_offload {
                skb.tx_vlan_tag()
            } else {
                None
            },
        };
        let first = self.next_to_use;
        let entries =
            D::tx_encapsulate(hw, &self.ring, first, &packet).clamp(count as u32, max_entries);

        let mut slot = first;
        for mapping in mappings.iter_mut().take(count) {
            if let Some(entry) = self.slots.get_mut(slot as usize) {
                entry.mapping = mapping.take();
            }
            slot = self.ring.next(slot);
        }
        if let Some(entry) = self.slots.get_mut(first as usize) {
            entry.packet = Some(InFlight {
                skb,
                entries,
                wire_frames,
                wire_bytes,
            });
        }
        self.next_to_use = self.advance(first, entries);
        self.entries_in_use += entries;

        queue.maybe_stop(self.free_entries(), max_entries, 2 * max_entries);
        if queue.sent(wire_bytes, netdev::xmit_more()) {
            D::tx_doorbell(hw, self.next_to_use);
        }
        Transmit::Done
    }

    /// The oldest packet on the ring: its first slot and entry count.
    fn oldest(&self) -> Option<(u32, u32)> {
        if self.entries_in_use == 0 {
            return None;
        }
        let first = self.next_to_clean;
        let packet = self.slots.get(first as usize)?.packet.as_ref()?;
        Some((first, packet.entries))
    }

    /// Unmaps the oldest packet's entries, frees them and returns the packet.
    fn retire_oldest(&mut self, dma: &Device<Bound>) -> Option<InFlight> {
        let (first, entries) = self.oldest()?;
        let mut slot = first;
        for _ in 0..entries {
            if let Some(mapping) = self
                .slots
                .get_mut(slot as usize)
                .and_then(|s| s.mapping.take())
            {
                mapping.unmap(dma);
            }
            slot = self.ring.next(slot);
        }
        self.next_to_clean = slot;
        self.entries_in_use -= entries;
        self.slots
            .get_mut(first as usize)
            .and_then(|s| s.packet.take())
    }

    /// Frees the packets the hardware is done with (NAPI). Returns the frames and bytes
    /// they became on the wire.
    pub(crate) fn reclaim<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        dma: &Device<Bound>,
        budget: i32,
    ) -> (u32, u32) {
        let (mut packets, mut bytes) = (0u32, 0u32);
        while let Some((first, entries)) = self.oldest() {
            if !D::tx_done(hw, &self.ring, self.advance(first, entries - 1)) {
                break;
            }
            if let Some(done) = self.retire_oldest(dma) {
                packets += done.wire_frames;
                bytes += done.wire_bytes;
                done.skb.consume_in_napi(budget);
            }
        }
        (packets, bytes)
    }

    /// Entries free for the wake threshold.
    pub(crate) fn free_for_wake(&self) -> u32 {
        self.free_entries()
    }

    /// Drops every packet still on the ring (the hardware is stopped).
    pub(crate) fn discard_all(&mut self, dma: &Device<Bound>) {
        while self.oldest().is_some() {
            if let Some(dropped) = self.retire_oldest(dma) {
                dropped.skb.free_any();
            }
        }
        self.next_to_use = 0;
        self.next_to_clean = 0;
        self.entries_in_use = 0;
    }
}
