// SPDX-License-Identifier: GPL-2.0

//! An adapter's interrupt handlers: with MSI-X one per queue set and one for the other
//! causes (link), or one for everything on a single MSI or INTx line.

use crate::{
    adapter::Adapter,
    driver::Datapath,
    irq::{
        Lines,
        Vectors, //
    },
    queue_set::QueueSet,
};
use core::sync::atomic::Ordering;
use kernel::{
    net::interrupt::{
        Handler,
        IrqReturn,
        Line, //
    },
    prelude::*,
    str::CString, //
};

impl<'bound, D: Datapath> Adapter<'bound, D> {
    /// Requests the interrupt lines of `vectors` that the first `sets` queue sets and the
    /// other causes use, with the handlers that fit the routing.
    ///
    /// # Safety
    ///
    /// `self` must stay valid, and the NAPI contexts of its first `sets` queue sets added,
    /// until the returned lines are dropped.
    pub(crate) unsafe fn request_lines(&self, vectors: &Vectors<'_>, sets: u32) -> Result<Lines> {
        // Named as Intel's C drivers name theirs, which tools that spread vectors over CPUs
        // look for: "<interface>-TxRx-<queue set>" for a queue set's own vector,
        // "<interface>" for the admin vector or the only one.
        let ifname = self.netdev.device().name();
        let base = match &ifname {
            Some(ifname) => ifname.to_str()?,
            None => D::DESCRIPTION.name.to_str()?,
        };
        let mut queue = KVec::with_capacity(sets as usize, GFP_KERNEL)?;
        let Some(admin) = vectors.admin else {
            let irq = *vectors.queue.first().ok_or(EINVAL)?;
            let name = CString::try_from_fmt(fmt!("{base}"))?;
            let set = self.queue_set(0).ok_or(EINVAL)?;
            let line = if vectors.exclusive {
                // SAFETY: The caller keeps `self`, and with it queue set 0's NAPI context
                // added, valid while the line is requested.
                unsafe {
                    Line::request_for_napi::<Self, SingleVector, _>(irq, self, name, &set.napi)
                }?
            } else {
                // SAFETY: As above.
                unsafe {
                    Line::request_shared_for_napi::<Self, SingleVector, _>(
                        irq, self, name, &set.napi,
                    )
                }?
            };
            queue.push(line, GFP_KERNEL)?;
            return Ok(Lines {
                _queue: queue,
                _admin: None,
            });
        };
        for (index, set) in self.queue_sets.iter().take(sets as usize).enumerate() {
            let irq = *vectors.queue.get(index).ok_or(EINVAL)?;
            let name = CString::try_from_fmt(fmt!("{base}-TxRx-{index}"))?;
            // SAFETY: The queue sets live as long as `self`, which the caller keeps valid,
            // and the set's NAPI context added, while the line is requested.
            let line =
                unsafe { Line::request_for_napi::<_, QueueVector, _>(irq, set, name, &set.napi) }?;
            queue.push(line, GFP_KERNEL)?;
        }
        let name = CString::try_from_fmt(fmt!("{base}"))?;
        // SAFETY: As above.
        let admin = unsafe { Line::request_own::<Self, AdminVector>(admin, self, name) }?;
        Ok(Lines {
            _queue: queue,
            _admin: Some(admin),
        })
    }
}

/// The handler of a single vector (MSI or INTx) for every cause.
struct SingleVector;

impl<D: Datapath> Handler<Adapter<'_, D>> for SingleVector {
    /// Acknowledge, mask and hand the work to NAPI.
    fn handle(this: &Adapter<'_, D>) -> IrqReturn {
        let cause = D::interrupt_cause(&this.hw);
        if !cause.ours {
            return IrqReturn::None;
        }
        if cause.link {
            this.link_event.store(true, Ordering::Relaxed);
        }
        D::disable_interrupts(&this.hw);
        this.schedule_polls();
        IrqReturn::Handled
    }
}

/// The handler of a queue set's MSI-X vector.
struct QueueVector;

impl<D: Datapath> Handler<QueueSet<'_, D>> for QueueVector {
    /// The device masked the set's causes when it raised the vector; the set's NAPI does
    /// the work and unmasks them.
    fn handle(set: &QueueSet<'_, D>) -> IrqReturn {
        set.napi.schedule();
        IrqReturn::Handled
    }
}

/// The handler of the MSI-X admin vector.
struct AdminVector;

impl<D: Datapath> Handler<Adapter<'_, D>> for AdminVector {
    /// Acknowledge the cause and let NAPI read the link.
    fn handle(this: &Adapter<'_, D>) -> IrqReturn {
        if D::interrupt_cause(&this.hw).link {
            this.link_event.store(true, Ordering::Relaxed);
        }
        // Any queue set's poll reads the link: set 0 is always in use.
        if let Some(set) = this.queue_set(0) {
            set.napi.schedule();
        }
        IrqReturn::Handled
    }
}
