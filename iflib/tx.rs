// SPDX-License-Identifier: GPL-2.0

//! The transmit side of a queue set: packets onto the ring, completions off it.

use crate::{
    driver::{
        Datapath,
        TxPacket, //
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
        device::{self as netdev, Transmit, TxQueue as StackQueue},
        skb::{
            SkBuff,
            TxMapping, //
        },
    },
    prelude::*, //
};

/// A packet the hardware owns until its entries are done.
struct InFlight {
    skb: SkBuff,
    mapping: TxMapping,
    /// Ring entries the packet uses, starting at its slot.
    entries: u32,
}

/// The TX ring and the packets on it. Guarded by the queue set's TX lock.
pub(crate) struct TxRing {
    pub(crate) ring: Ring,
    packets: KVec<Option<InFlight>>,
    next_to_use: u32,
    next_to_clean: u32,
    entries_in_use: u32,
}

impl TxRing {
    pub(crate) fn new(dev: &Device<Bound>, len: u32, entry_size: usize) -> Result<Self> {
        let ring = Ring::new(dev, len, entry_size)?;
        let packets = crate::ring::empty_slots(len)?;
        Ok(Self {
            ring,
            packets,
            next_to_use: 0,
            next_to_clean: 0,
            entries_in_use: 0,
        })
    }

    /// Free entries, keeping one empty so a full ring never looks empty to the hardware.
    fn free_entries(&self) -> u32 {
        self.ring.len() - self.entries_in_use - 1
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
        let max_entries = D::DESCRIPTION.tx_max_entries_per_packet;
        if self.free_entries() < max_entries {
            // The queue should have been stopped: tell the stack to retry.
            queue.maybe_stop(self.free_entries(), max_entries, max_entries);
            return Transmit::Busy(skb);
        }
        // Bounded linearization: one attempt, then drop and count.
        if !skb.is_linear() {
            stats::add(&counters.tx_linearized, 1);
            if skb.linearize().is_err() {
                stats::add(&counters.tx_dropped, 1);
                skb.free_any();
                return Transmit::Done;
            }
        }
        let mapping = match skb.map_head(dma) {
            Ok(mapping) => mapping,
            Err(_) => {
                stats::add(&counters.tx_dropped, 1);
                skb.free_any();
                return Transmit::Done;
            }
        };
        let len = skb.len();
        let packet = TxPacket {
            address: mapping.address(),
            len,
        };
        let slot = self.next_to_use;
        let entries = D::tx_encapsulate(hw, &self.ring, slot, &packet).clamp(1, max_entries);
        let mut next = slot;
        for _ in 0..entries {
            next = self.ring.next(next);
        }
        if let Some(entry) = self.packets.get_mut(slot as usize) {
            *entry = Some(InFlight {
                skb,
                mapping,
                entries,
            });
        }
        self.next_to_use = next;
        self.entries_in_use += entries;

        queue.maybe_stop(self.free_entries(), max_entries, 2 * max_entries);
        if queue.sent(len, netdev::xmit_more()) {
            D::tx_doorbell(hw, self.next_to_use);
        }
        Transmit::Done
    }

    /// Frees the packets the hardware is done with (NAPI). Returns (packets, bytes).
    pub(crate) fn reclaim<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        dma: &Device<Bound>,
        budget: i32,
    ) -> (u32, u32) {
        let (mut packets, mut bytes) = (0u32, 0u32);
        // At most one pass over the ring.
        for _ in 0..self.ring.len() {
            if self.entries_in_use == 0 {
                break;
            }
            let slot = self.next_to_clean;
            let entries = match self.packets.get(slot as usize) {
                Some(Some(p)) => p.entries,
                _ => break,
            };
            let mut last = slot;
            for _ in 1..entries {
                last = self.ring.next(last);
            }
            if !D::tx_done(hw, &self.ring, last) {
                break;
            }
            if let Some(done) = self.packets.get_mut(slot as usize).and_then(Option::take) {
                packets += 1;
                bytes += done.skb.len();
                done.mapping.unmap(dma);
                done.skb.consume_in_napi(budget);
            }
            self.next_to_clean = self.ring.next(last);
            self.entries_in_use -= entries;
        }
        (packets, bytes)
    }

    /// Entries free for the wake threshold.
    pub(crate) fn free_for_wake(&self) -> u32 {
        self.free_entries()
    }

    /// Drops every packet still on the ring (the hardware is stopped).
    pub(crate) fn discard_all(&mut self, dma: &Device<Bound>) {
        for entry in self.packets.iter_mut() {
            if let Some(p) = entry.take() {
                p.mapping.unmap(dma);
                p.skb.free_any();
            }
        }
        self.next_to_use = 0;
        self.next_to_clean = 0;
        self.entries_in_use = 0;
    }
}
