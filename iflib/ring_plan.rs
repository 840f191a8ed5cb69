// SPDX-License-Identifier: GPL-2.0

//! The rings a start needs, planned from the settings and allocated apart from the start:
//! a change that needs new rings (sizes, MTU, channels) allocates them while the old ones
//! still run, so that without memory for them nothing changes.

use crate::{
    adapter::Adapter,
    completions::CompletionRing,
    driver::{
        Completions,
        Datapath, //
    },
    rx::{
        RxRing,
        RxRingShape, //
    },
    tx::TxRing,
};
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// What a start allocates rings for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RingPlan {
    /// Queue sets started, each with its rings.
    pub(crate) sets: u32,
    pub(crate) tx_len: u32,
    pub(crate) rx_len: u32,
    /// Bytes of an RX buffer (from the MTU).
    pub(crate) buffer_size: u32,
}

/// Rings allocated for a plan and not yet given to the hardware: dropped unused, they free
/// their memory, having posted no buffer.
pub(crate) struct PlannedRings {
    pub(crate) plan: RingPlan,
    /// A TX and an RX ring (each with its completion ring, if any) per queue set.
    pub(crate) rings: KVec<(TxRing, RxRing)>,
}

impl<'bound, D: Datapath> Adapter<'bound, D> {
    /// The plan for the current settings with `sets` queue sets, at MTU `mtu`.
    pub(crate) fn ring_plan(&self, sets: u32, mtu: u32) -> Result<RingPlan> {
        Ok(RingPlan {
            sets,
            tx_len: self.settings.tx_len.load(Ordering::Relaxed),
            rx_len: self.settings.rx_len.load(Ordering::Relaxed),
            buffer_size: Self::buffer_limits().buffer_size(mtu).ok_or(EINVAL)?,
        })
    }

    /// The plan the running adapter started with, if it runs.
    pub(crate) fn running_plan(&self) -> Option<RingPlan> {
        if !self.is_up() {
            return None;
        }
        let sets = self.running_sets.load(Ordering::Relaxed);
        self.ring_plan(sets, self.netdev.device().mtu()).ok()
    }

    /// Allocates the rings of `plan` (the RX rings' page pools and XDP queue information
    /// with them). Touches neither the hardware nor the running rings; the pools go to
    /// their NAPI contexts only at the start, so rings dropped unused (a failure part way,
    /// a change refused) need no context stopped.
    pub(crate) fn allocate_rings(&self, plan: RingPlan) -> Result<PlannedRings> {
        let dev = self.netdev.device();
        let sets = self.queue_sets.get(..plan.sets as usize).ok_or(EINVAL)?;
        let layout = &D::DESCRIPTION.rings;
        let (tx_completion_len, rx_completion_len) = layout
            .completion_lens(plan.tx_len, plan.rx_len)
            .ok_or(EINVAL)?;
        let mut rings = KVec::with_capacity(sets.len(), GFP_KERNEL)?;
        for set in sets {
            let (tx_completion, rx_completion) = match (&layout.completions, tx_completion_len) {
                (Completions::InPlace, _) => (None, None),
                // Not reached: `completion_lens` gives a length to every completion ring.
                (_, None) => return Err(EINVAL),
                (Completions::Separate { tx, rx }, Some(tx_len)) => (
                    Some(CompletionRing::new(self.dma(), tx_len, tx.entry_size)?),
                    Some(CompletionRing::new(
                        self.dma(),
                        rx_completion_len.ok_or(EINVAL)?,
                        rx.entry_size,
                    )?),
                ),
                (Completions::Shared(ring), Some(len)) => (
                    Some(CompletionRing::new(self.dma(), len, ring.entry_size)?),
                    None,
                ),
            };
            let tx = TxRing::new(
                self.dma(),
                set.index,
                plan.tx_len,
                layout.tx.entry_size,
                tx_completion,
            )?;
            let shape = RxRingShape {
                len: plan.rx_len,
                entry_size: layout.rx.entry_size,
                body_entry_size: layout.rx_body.map(|body| body.entry_size),
                buffer_size: plan.buffer_size,
            };
            let rx = RxRing::new(self.dma(), dev, set.index, shape, rx_completion)?;
            rings.push((tx, rx), GFP_KERNEL)?;
        }
        Ok(PlannedRings { plan, rings })
    }
}
