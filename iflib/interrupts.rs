// SPDX-License-Identifier: GPL-2.0

//! An adapter's interrupt handlers: one per vector with MSI-X (the queue set's, the
//! admin's), or one for everything on a single MSI or INTx line.

use crate::{
    adapter::Adapter,
    driver::Datapath,
    irq::{
        Irqs,
        Line,
        Lines, //
    },
};
use core::sync::atomic::Ordering;
use kernel::{
    bindings,
    prelude::*,
    str::CString, //
};

impl<'bound, D: Datapath> Adapter<'bound, D> {
    /// Requests the interrupt lines `irqs` with the handlers that fit the routing.
    ///
    /// # Safety
    ///
    /// `self` must stay valid until the returned lines are dropped.
    pub(crate) unsafe fn request_lines(&self, irqs: Irqs) -> Result<Lines> {
        let cookie = core::ptr::from_ref(self).cast();
        // Named as Intel's C drivers name theirs, which tools that spread vectors over CPUs
        // look for: "<interface>-TxRx-<queue set>" for a queue set's own vector,
        // "<interface>" for the admin vector or the only one.
        let ifname = self.netdev.device().name();
        let base = match &ifname {
            Some(ifname) => ifname.to_str()?,
            None => D::DESCRIPTION.name.to_str()?,
        };
        let name = |suffix: &str| CString::try_from_fmt(fmt!("{base}{suffix}"));
        let (queue_handler, queue_name, admin) = match irqs.admin {
            Some(admin) => (
                Self::queue_interrupt as crate::irq::Handler,
                name("-TxRx-0")?,
                Some(admin),
            ),
            None => (Self::interrupt as crate::irq::Handler, name("")?, None),
        };
        // SAFETY: The caller keeps `self`, the handlers' cookie, valid while requested.
        let queue = unsafe { Line::request(irqs.queue, queue_handler, queue_name, cookie) }?;
        let admin = match admin {
            Some(irq) => {
                let admin_name = name("")?;
                // SAFETY: As above.
                Some(unsafe { Line::request(irq, Self::admin_interrupt, admin_name, cookie) }?)
            }
            None => None,
        };
        Ok(Lines {
            _queue: queue,
            _admin: admin,
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

    /// The MSI-X queue vector's handler: the device masked the queue causes when it raised
    /// the vector; NAPI does the work and unmasks them.
    ///
    /// # Safety
    ///
    /// `cookie` is the `Adapter` the line was requested for.
    unsafe extern "C" fn queue_interrupt(
        _irq: c_int,
        cookie: *mut c_void,
    ) -> bindings::irqreturn_t {
        // SAFETY: The line is freed before the adapter goes away (see `bring_up`).
        let this = unsafe { &*cookie.cast::<Self>() };
        this.schedule_polls();
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
        // Any queue set's poll reads the link.
        if let Some(set) = this.queue_set(0) {
            set.napi.schedule();
        }
        bindings::irqreturn_t(bindings::irqreturn::IRQ_HANDLED.0)
    }
}
