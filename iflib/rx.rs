// SPDX-License-Identifier: GPL-2.0

//! The receive side of a queue set: page_pool buffers onto the ring, frames to GRO.

use crate::{
    completions::{
        CompletionRing,
        RxCompletions, //
    },
    driver::{
        Datapath,
        FreeList,
        RxChecksum, //
    },
    ring::Ring,
    stats::{
        self,
        Counters, //
    },
    xdp::{
        Verdict,
        XdpPoll, //
    },
};
use kernel::{
    device::{
        Bound,
        Device, //
    },
    net::{
        device::{
            features,
            Device as NetDevice, //
        },
        napi::{
            NapiOff,
            NapiOwner,
            Receiving, //
        },
        page_pool::{
            PagePool,
            PoolPage, //
        },
        skb::{
            DropReason,
            SkBuff, //
        },
        xdp::RxQueueInfo,
    },
    prelude::*,
    sync::barrier::{
        dma_mb,
        Read, //
    }, //
};

/// Bytes left before the frame in every RX buffer (room for XDP and headers pushed later).
pub(crate) const RX_HEADROOM: u32 = 256;

/// A free list: a ring the device takes empty buffers from, and the pages on it.
pub(crate) struct FreeListRing {
    pub(crate) ring: Ring,
    buffers: Buffers,
}

/// The pages on a free list's ring, a slot each.
struct Buffers {
    pages: KVec<Option<PoolPage>>,
    /// The oldest buffer the device has: the next to come back.
    next_to_clean: u32,
    next_to_fill: u32,
    /// The generation bit of the entry at `next_to_fill` (see [`Datapath::rx_refill`]).
    generation: bool,
    filled: u32,
}

impl Buffers {
    /// Takes back the buffer at `slot`, which the device filled (`next` is the slot after):
    /// the oldest, as buffers come back in order; `None` for any other.
    #[inline]
    fn take(&mut self, slot: u32, next: u32) -> Option<PoolPage> {
        if slot != self.next_to_clean {
            return None;
        }
        let page = self.pages.get_mut(slot as usize).and_then(Option::take)?;
        self.next_to_clean = next;
        self.filled -= 1;
        Some(page)
    }
}

impl FreeListRing {
    fn new(dev: &Device<Bound>, len: u32, entry_size: usize) -> Result<Self> {
        Ok(Self {
            ring: Ring::new(dev, len, entry_size)?,
            buffers: Buffers {
                pages: crate::ring::empty_slots(len)?,
                next_to_clean: 0,
                next_to_fill: 0,
                generation: true,
                filled: 0,
            },
        })
    }

    /// Gives every empty slot (all but one) a buffer from `pool` and rings the doorbell.
    /// Returns how many slots are still empty because memory was short.
    fn refill<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        set: u32,
        list: FreeList,
        pool: &PagePool,
        owner: &impl NapiOwner,
    ) -> u32 {
        let target = self.ring.len() - 1;
        let buffers = &mut self.buffers;
        let before = buffers.filled;
        while buffers.filled < target {
            let slot = buffers.next_to_fill;
            let Some(entry) = buffers.pages.get_mut(slot as usize) else {
                break;
            };
            // Not reached: buffers come back in order (`Buffers::take`).
            if entry.is_some() {
                break;
            }
            let Some(page) = pool.alloc(owner) else {
                break;
            };
            let address = page.dma_address() + u64::from(RX_HEADROOM);
            D::rx_refill(hw, list, &self.ring, slot, address, buffers.generation);
            *entry = Some(page);
            let next = self.ring.next(slot);
            if next == 0 {
                buffers.generation = !buffers.generation;
            }
            buffers.next_to_fill = next;
            buffers.filled += 1;
        }
        if buffers.filled != before {
            D::rx_doorbell(hw, set, list, buffers.next_to_fill);
        }
        target - buffers.filled
    }

    /// Returns every buffer to the pool (the hardware is stopped).
    fn release_buffers(&mut self) {
        let buffers = &mut self.buffers;
        for entry in buffers.pages.iter_mut() {
            drop(entry.take());
        }
        buffers.filled = 0;
        buffers.next_to_clean = 0;
        buffers.next_to_fill = 0;
        buffers.generation = true;
    }
}

/// The RX side of a queue set: its free lists, their page pool and the RX completion ring.
/// Used by the NAPI poll only (and by open and stop while NAPI is disabled).
///
/// Teardown: the fields drop in declaration order: the frame being assembled and the
/// pages, then the XDP registration, a user of the pool, then the pool.
pub(crate) struct RxRing {
    /// The frame being assembled from several buffers, across polls.
    partial: Option<SkBuff>,
    /// The free list frames start in.
    pub(crate) head: FreeListRing,
    /// The free list the rest of long frames go to, if the layout has one.
    pub(crate) body: Option<FreeListRing>,
    /// The RX completion ring, where the layout has a separate one.
    pub(crate) completion: Option<CompletionRing>,
    /// The queue set the ring belongs to (its doorbell's, its RX queue's).
    set: u32,
    /// The queue's XDP registration (a user of the pool, dropped before it).
    xdp_queue: RxQueueInfo,
    pool: PagePool,
    buffer_size: u32,
    /// A frame spread over several buffers is being dropped until its last fragment.
    discarding: bool,
    /// The driver reported a buffer the device does not have: the ring needs a reset, and
    /// is not read again until then (the reset makes a new one). `misread` reports it to
    /// the poll once.
    broken: bool,
    pub(crate) misread: bool,
    /// Packets of the TX ring a shared completion ring reported while RX read it.
    pub(crate) tx_sent: u32,
}

/// What a queue set's RX side is made of, besides its NAPI context and net device.
pub(crate) struct RxRingShape {
    /// Entries of each free list.
    pub(crate) len: u32,
    /// Bytes per free list entry: the head's, and the body's if there is one.
    pub(crate) entry_size: usize,
    pub(crate) body_entry_size: Option<usize>,
    /// Bytes per buffer.
    pub(crate) buffer_size: u32,
}

impl RxRing {
    /// A ring for queue set `set`; its page pool goes to the set's NAPI context at the
    /// start ([`Self::hand_to`]).
    pub(crate) fn new(
        dev: &Device<Bound>,
        netdev: &NetDevice,
        set: u32,
        shape: RxRingShape,
        completion: Option<CompletionRing>,
    ) -> Result<Self> {
        let len = shape.len;
        let head = FreeListRing::new(dev, len, shape.entry_size)?;
        let body = match shape.body_entry_size {
            Some(size) => Some(FreeListRing::new(dev, len, size)?),
            None => None,
        };
        let pages = if body.is_some() { 2 * len } else { len };
        // Pages are mapped both ways: XDP_TX sends them as they are.
        let pool = PagePool::new_for_rx(
            dev,
            netdev,
            set,
            pages,
            RX_HEADROOM,
            shape.buffer_size,
            true,
        )?;
        let xdp_queue = RxQueueInfo::new(netdev, set, &pool)?;
        Ok(Self {
            head,
            body,
            completion,
            set,
            xdp_queue,
            pool,
            buffer_size: shape.buffer_size,
            partial: None,
            discarding: false,
            broken: false,
            misread: false,
            tx_sent: 0,
        })
    }

    /// Whether the head free list, where every frame starts, has buffers.
    pub(crate) fn has_head_buffers(&self) -> bool {
        self.head.buffers.filled > 0
    }

    /// Hands the ring's page pool to its queue set's NAPI context, which `off` proves
    /// stopped: before the first refill. `EBUSY` if it went to another context.
    ///
    /// # Safety
    ///
    /// The ring is dropped before that context is deleted.
    pub(crate) unsafe fn hand_to(&self, off: &NapiOff) -> Result {
        // SAFETY: The caller drops the ring, and with it the pool, before the context.
        unsafe { self.pool.hand_to(off) }
    }

    /// Gives every empty slot of each free list (all but one) a buffer and rings their
    /// doorbells. Returns how many slots are still empty because memory was short.
    /// `owner` proves the pool's NAPI context is this poll, or disabled.
    pub(crate) fn refill<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        owner: &impl NapiOwner,
    ) -> u32 {
        let (set, pool) = (self.set, &self.pool);
        let mut short = self.head.refill::<D>(hw, set, FreeList::Head, pool, owner);
        if let Some(body) = self.body.as_mut() {
            short += body.refill::<D>(hw, set, FreeList::Body, pool, owner);
        }
        short
    }

    /// Receives up to `budget` frames into the stack (NAPI), through the XDP program if one
    /// is attached. Returns the frames handled; fewer when the program's `XDP_TX` batch
    /// filled up (the caller sends it and calls again).
    #[expect(
        clippy::too_many_arguments,
        reason = "the poll's state, borrowed piece by piece: the shared completion ring is the TX side's"
    )]
    pub(crate) fn receive<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        rx: &Receiving<'_>,
        netdev: &NetDevice,
        budget: i32,
        counters: &Counters,
        mut xdp: Option<&mut XdpPoll<'_>>,
        shared: Option<&mut CompletionRing>,
    ) -> i32 {
        let mut done = 0;
        if self.broken {
            return done;
        }
        // Frames and bytes received, added to the counters once at the end.
        let (mut packets, mut bytes) = (0u64, 0u64);
        // `ethtool -K rx off` makes the stack verify every checksum itself.
        let trust_checksum = D::DESCRIPTION.rx_checksum && netdev.has_features(features::RXCSUM);
        // `ethtool -K rxhash off` leaves the hash to the stack.
        let report_hash = netdev.has_features(features::RXHASH);
        let completion = match self.completion.as_mut() {
            Some(ring) => Some(ring),
            None => shared,
        };
        // Known when the driver is built: em's loop has no second list to look at.
        let has_body = D::DESCRIPTION.rings.rx_body.is_some();
        let head = &mut self.head.buffers;
        let (body_ring, mut body) = match self.body.as_mut() {
            Some(body) if has_body => (Some(&body.ring), Some(&mut body.buffers)),
            _ => (None, None),
        };
        let mut view = RxCompletions {
            set: self.set,
            head: &self.head.ring,
            body: body_ring,
            oldest: [0, 0],
            completion,
            tx_sent: 0,
        };
        loop {
            let body_filled = match body.as_ref() {
                Some(body) if has_body => body.filled,
                _ => 0,
            };
            if done >= budget || head.filled + body_filled == 0 {
                break;
            }
            view.oldest[0] = head.next_to_clean;
            if has_body {
                view.oldest[1] = body.as_ref().map_or(0, |body| body.next_to_clean);
            }
            let Some(fragment) = D::rx_next(hw, &mut view) else {
                break;
            };
            // Read the buffer only after the status that says it is complete (`dma_rmb`: an
            // acquire fence orders only against other CPUs, not the device, on some
            // architectures).
            dma_mb(Read);
            let slot = fragment.buffer;
            let page = match (fragment.free_list, view.body) {
                (FreeList::Head, _) => head.take(slot, view.head.next(slot)),
                (FreeList::Body, Some(ring)) => body
                    .as_deref_mut()
                    .and_then(|b| b.take(slot, ring.next(slot))),
                (FreeList::Body, None) => None,
            };
            let Some(page) = page else {
                // Not the buffer the device gives back next: the driver misread an entry.
                // Stop here rather than read it again and again, drop the frame it was part
                // of, and have the ring reset.
                stats::add(&counters.rx_errors, 1);
                if let Some(skb) = self.partial.take() {
                    skb.drop_any(DropReason::DeviceHeader);
                }
                self.discarding = true;
                self.broken = true;
                self.misread = true;
                break;
            };
            done += 1;

            if fragment.error || self.discarding {
                // A bad frame, or the rest of one already dropped: drop until its end.
                if fragment.error {
                    stats::add(&counters.rx_errors, 1);
                }
                if let Some(skb) = self.partial.take() {
                    skb.drop_any(DropReason::NotSpecified);
                }
                self.discarding = !fragment.end_of_frame;
                page.recycle_in_napi(rx);
                continue;
            }
            let len = fragment.len.min(self.buffer_size);
            page.sync_for_cpu(RX_HEADROOM, len);
            let mut skb = if let Some(xdp) = xdp.as_deref_mut() {
                if self.partial.is_some() || !fragment.end_of_frame {
                    // Programs see whole frames, which iflib keeps to one buffer while one
                    // is attached: a longer frame is an error.
                    stats::add(&counters.rx_errors, 1);
                    if let Some(skb) = self.partial.take() {
                        skb.drop_any(DropReason::TooBig);
                    }
                    self.discarding = !fragment.end_of_frame;
                    page.recycle_in_napi(rx);
                    continue;
                }
                packets += 1;
                bytes += u64::from(len);
                let verdict = xdp.run(page, &self.xdp_queue, RX_HEADROOM, len, netdev, counters);
                match verdict {
                    Verdict::Pass(skb) => skb,
                    Verdict::Consumed => {
                        if xdp.tx_full() {
                            break;
                        }
                        continue;
                    }
                }
            } else {
                let built = match self.partial.take() {
                    None => page
                        .into_skb(RX_HEADROOM, len, rx)
                        .map_err(|page| (page, None)),
                    Some(mut skb) => match page.append_to(&mut skb, RX_HEADROOM, len) {
                        Ok(()) => Ok(skb),
                        Err(page) => Err((page, Some(skb))),
                    },
                };
                let mut skb = match built {
                    Ok(skb) => skb,
                    Err((page, partial)) => {
                        match partial {
                            // More fragments than a packet holds: a frame too long.
                            Some(skb) => {
                                stats::add(&counters.rx_errors, 1);
                                skb.drop_any(DropReason::TooBig);
                            }
                            // No memory for a packet head.
                            None => stats::add(&counters.rx_dropped, 1),
                        }
                        self.discarding = !fragment.end_of_frame;
                        page.recycle_in_napi(rx);
                        continue;
                    }
                };
                if !fragment.end_of_frame {
                    self.partial = Some(skb);
                    continue;
                }
                packets += 1;
                bytes += u64::from(skb.len());
                skb.set_protocol_from_ethernet(netdev);
                skb
            };
            if trust_checksum {
                match fragment.checksum {
                    RxChecksum::Verified => {
                        stats::add(&counters.rx_csum_verified, 1);
                        skb.set_checksum_unnecessary();
                    }
                    RxChecksum::Bad => stats::add(&counters.rx_csum_bad, 1),
                    RxChecksum::None => {}
                }
            }
            if let Some(tci) = fragment.vlan {
                skb.set_rx_vlan_tag(tci);
            }
            if let Some(hash) = fragment.hash.filter(|_| report_hash) {
                skb.set_hash(hash.value, hash.kind);
            }
            // Below `MAX_QUEUE_SETS`, the set's index fits 16 bits.
            skb.record_rx_queue(self.set as u16);
            rx.gro_receive(skb);
        }
        self.tx_sent = self.tx_sent.saturating_add(view.tx_sent);
        stats::add(&counters.rx_packets, packets);
        stats::add(&counters.rx_bytes, bytes);
        done
    }

    /// Returns every buffer to the pool (the hardware is stopped).
    pub(crate) fn release_buffers(&mut self) {
        self.head.release_buffers();
        if let Some(body) = self.body.as_mut() {
            body.release_buffers();
        }
        if let Some(skb) = self.partial.take() {
            skb.drop_any(DropReason::NotSpecified);
        }
        self.discarding = false;
    }
}
