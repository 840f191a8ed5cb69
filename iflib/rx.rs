// SPDX-License-Identifier: GPL-2.0

//! The receive side of a queue set: page_pool buffers onto the ring, frames to GRO.

use crate::{
    driver::{
        Datapath,
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
            Napi,
            NapiOwner,
            Poll,
            Receiving, //
        },
        page_pool::{
            PagePool,
            PoolPage, //
        },
        skb::SkBuff,
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

/// The RX ring, its buffers and its page pool. Used by the NAPI poll only (and by open and
/// stop while NAPI is disabled).
pub(crate) struct RxRing {
    pub(crate) ring: Ring,
    /// The queue set the ring belongs to (its doorbell's, its RX queue's).
    set: u32,
    /// The queue's XDP registration (a user of the pool, dropped before it).
    xdp_queue: RxQueueInfo,
    pool: PagePool,
    pages: KVec<Option<PoolPage>>,
    buffer_size: u32,
    next_to_clean: u32,
    next_to_fill: u32,
    filled: u32,
    /// The frame being assembled from several buffers, across polls.
    partial: Option<SkBuff>,
    /// A frame spread over several buffers is being dropped until its last fragment.
    discarding: bool,
}

impl RxRing {
    pub(crate) fn new<T: Poll>(
        dev: &Device<Bound>,
        napi: &Napi<T>,
        netdev: &NetDevice,
        set: u32,
        len: u32,
        entry_size: usize,
        buffer_size: u32,
    ) -> Result<Self> {
        let ring = Ring::new(dev, len, entry_size)?;
        // Pages are mapped both ways: XDP_TX sends them as they are.
        let pool =
            PagePool::new_for_rx(dev, napi, netdev, set, len, RX_HEADROOM, buffer_size, true)?;
        let xdp_queue = RxQueueInfo::new(netdev, set, &pool)?;
        let pages = crate::ring::empty_slots(len)?;
        Ok(Self {
            ring,
            set,
            xdp_queue,
            pool,
            pages,
            buffer_size,
            next_to_clean: 0,
            next_to_fill: 0,
            filled: 0,
            partial: None,
            discarding: false,
        })
    }

    /// Gives every empty slot (all but one) a buffer and rings the doorbell. Returns how many
    /// slots are still empty because memory was short.
    /// `owner` proves the pool's NAPI context is this poll, or disabled.
    pub(crate) fn refill<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        owner: &impl NapiOwner,
    ) -> u32 {
        let target = self.ring.len() - 1;
        let before = self.filled;
        while self.filled < target {
            let Some(page) = self.pool.alloc(owner) else {
                break;
            };
            let slot = self.next_to_fill;
            D::rx_refill(
                hw,
                &self.ring,
                slot,
                page.dma_address() + u64::from(RX_HEADROOM),
            );
            if let Some(entry) = self.pages.get_mut(slot as usize) {
                *entry = Some(page);
            }
            self.next_to_fill = self.ring.next(slot);
            self.filled += 1;
        }
        if self.filled != before {
            D::rx_doorbell(hw, self.set, self.next_to_fill);
        }
        target - self.filled
    }

    /// Receives up to `budget` frames into the stack (NAPI), through the XDP program if one
    /// is attached. Returns the frames handled; fewer when the program's `XDP_TX` batch
    /// filled up (the caller sends it and calls again).
    pub(crate) fn receive<D: Datapath>(
        &mut self,
        hw: &D::Hardware<'_>,
        rx: &Receiving<'_>,
        netdev: &NetDevice,
        budget: i32,
        counters: &Counters,
        mut xdp: Option<&mut XdpPoll<'_>>,
    ) -> i32 {
        let mut done = 0;
        // Frames and bytes received, added to the counters once at the end.
        let (mut packets, mut bytes) = (0u64, 0u64);
        // `ethtool -K rx off` makes the stack verify every checksum itself.
        let trust_checksum = D::DESCRIPTION.rx_checksum && netdev.has_features(features::RXCSUM);
        // `ethtool -K rxhash off` leaves the hash to the stack.
        let report_hash = netdev.has_features(features::RXHASH);
        while done < budget && self.filled > 0 {
            let slot = self.next_to_clean;
            let Some(fragment) = D::rx_fragment(hw, &self.ring, slot) else {
                break;
            };
            // Read the buffer only after the status that says it is complete (`dma_rmb`: an
            // acquire fence orders only against other CPUs, not the device, on some
            // architectures).
            dma_mb(Read);
            let page = self.pages.get_mut(slot as usize).and_then(Option::take);
            self.next_to_clean = self.ring.next(slot);
            self.filled -= 1;
            let Some(page) = page else {
                continue;
            };
            done += 1;

            if fragment.error || self.discarding {
                // A bad frame, or the rest of one already dropped: drop until its end.
                if fragment.error {
                    stats::add(&counters.rx_errors, 1);
                }
                if let Some(skb) = self.partial.take() {
                    skb.consume_in_napi(rx);
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
                        skb.consume_in_napi(rx);
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
                        // No memory for a packet head, or more fragments than a packet holds.
                        stats::add(&counters.rx_dropped, 1);
                        if let Some(skb) = partial {
                            skb.consume_in_napi(rx);
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
            rx.gro_receive(skb);
        }
        stats::add(&counters.rx_packets, packets);
        stats::add(&counters.rx_bytes, bytes);
        done
    }

    /// Returns every buffer to the pool (the hardware is stopped).
    pub(crate) fn release_buffers(&mut self) {
        for entry in self.pages.iter_mut() {
            drop(entry.take());
        }
        if let Some(skb) = self.partial.take() {
            skb.free_any();
        }
        self.filled = 0;
        self.next_to_clean = 0;
        self.next_to_fill = 0;
        self.discarding = false;
    }
}
