// SPDX-License-Identifier: GPL-2.0

//! An adapter's interrupt handlers: with MSI-X one per queue set and one for the other
//! causes (link), or one for everything on a single MSI or INTx line.

use crate::{
    adapter::Adapter,
    driver::Datapath,
    irq::{
        Line,
        Lines,
        Vectors, //
    },
    queue_set::QueueSet,
};
use core::sync::atomic::Ordering;
use kernel::{
    bindings,
    prelude::*,
    str::CString, //
};

impl<'bound, D: Datapath> Adapter<'bound, D> {
    /// Requests the interrupt lines of `vectors` that the first `sets` queue sets and the
    /// other causes use, with the handlers that fit the routing.
    ///
    /// # Safety
    ///
    /// `self` must stay valid until the returned lines are dropped.
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
            let cookie = core::ptr::from_ref(self).cast();
            // SAFETY: The caller keeps `self`, the handler's cookie, valid while requested.
            let line = unsafe { Line::request(irq, Self::interrupt, name, cookie) }?;
            queue.push(line, GFP_KERNEL)?;
            return Ok(Lines {
                _queue: queue,
                _admin: None,
            });
        };
        for (index, set) in self.queue_sets.iter().take(sets as usize).enumerate() {
            let irq = *vectors.queue.get(index).ok_or(EINVAL)?;
            let name = CString::try_from_fmt(fmt!("{base}-TxRx-{index}"))?;
            let cookie = core::ptr::from_ref(set).cast();
            // SAFETY: The queue sets live as long as `self`, which the caller keeps valid
            // while the line is requested.
            let line = unsafe { Line::request(irq, Self::queue_interrupt, name, cookie) }?;
            queue.push(line, GFP_KERNEL)?;
        }
        let name = CString::try_from_fmt(fmt!("{base}"))?;
        let cookie = core::ptr::from_ref(self).cast();
        // SAFETY: As above.
        let admin = unsafe { Line::request(admin, Self::admin_interrupt, name, cookie) }?;
        Ok(Lines {
            _queue: queue,
            _admin: Some(admin),
        })
    }

    /// The hard IRQ handler of a single vector: acknowledge, mask and hand the work to NAPI.
    ///
    /// # Safety
    ///
    /// `cookie` is the `Adapter` the line was requested for.
    unsafe extern "C" fn interrupt(_irq: c_int, cookie: *mut c_void) -> bindings::irqreturn_t {
        // SAFETY: The line is freed before the adapter goes away (see `bring_up`).
        let this = unsafe { &*cookie.cast::<Self>() };
        let cause = D::interrupt_cause(&this.hw);
        if !cause.ours {
            return bindings::irqreturn_t(bindings::irqreturn::IRQ_NONE.0);
        }
        if cause.link {
            this.link_event.store(true, Ordering::Relaxed);
        }
        D::disable_interrupts(&this.hw);
        this.schedule_polls();
        bindings::irqreturn_t(bindings::irqreturn::IRQ_HANDLED.0)
    }

    /// A queue set's MSI-X vector handler: the device masked the set's causes when it
    /// raised the vector; the set's NAPI does the work and unmasks them.
    ///
    /// # Safety
    ///
    /// `cookie` is the `QueueSet` of an adapter the line was requested for.
    unsafe extern "C" fn queue_interrupt(
        _irq: c_int,
        cookie: *mut c_void,
    ) -> bindings::irqreturn_t {
        // SAFETY: The line is freed before the adapter and its queue sets go away (see
        // `bring_up`).
        let set = unsafe { &*cookie.cast::<QueueSet<'bound, D>>() };
        set.napi.schedule();
        bindings::irqreturn_t(bindings::irqreturn::IRQ_HANDLED.0)
    }

    /// The MSI-X admin vector's handler: acknowledge the cause and let NAPI read the link.
    ///
    /// # Safety
    ///
    /// `cookie` is the `Adapter` the line was requested for.
    unsafe extern "C" fn admin_interrupt(
        _irq: c_int,
        cookie: *mut c_void,
    ) -> bindings::irqreturn_t {
        // SAFETY: The line is freed before the adapter goes away (see `bring_up`).
        let this = unsafe { &*cookie.cast::<Self>() };
        if D::interrupt_cause(&this.hw).link {
            this.link_event.store(true, Ordering::Relaxed);
        }
        // Any queue set's poll reads the link: set 0 is always in use.
        if let Some(set) = this.queue_set(0) {
            set.napi.schedule();
        }
        bindings::irqreturn_t(bindings::irqreturn::IRQ_HANDLED.0)
    }
}
