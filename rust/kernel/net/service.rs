// SPDX-License-Identifier: GPL-2.0

//! A device's service task: a delayed work item embedded in its owner, run on the system's
//! unbound workqueue for long work (a reset holds RTNL a while) for what must not run in the
//! hot path (a reset after a TX timeout, periodic counter reads, retries).
//!
//! The kernel crate's work items are queued through an owning pointer (`Arc`, `KBox`),
//! which a driver's per-device state, owned by its bus device, is not. A [`ServiceWork`]
//! is a field of that state instead and calls back its owner by address: setting the owner
//! is `unsafe`, and the owner's teardown disables the work ([`ServiceWork::disable`]) before
//! it goes away: from then on a request to run it, from any context, is ignored.

use crate::{
    bindings,
    prelude::*,
    time::msecs_to_jiffies,
    types::Opaque, //
};
use core::sync::atomic::{
    AtomicPtr,
    Ordering, //
};

/// What a service work item runs.
pub trait Service: Sync {
    /// Does what is pending (process context, may sleep).
    fn run_service(&self);
}

/// A delayed work item that calls [`Service::run_service`] on its owner.
///
/// # Invariants
///
/// `work` is initialised with [`ServiceWork::run`] as its function; once `owner` is set it
/// is valid until [`ServiceWork::disable`] returned.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub struct ServiceWork<T: Service> {
    #[pin]
    work: Opaque<bindings::delayed_work>,
    owner: AtomicPtr<T>,
}

// SAFETY: The work item is only queued and cancelled through thread-safe C calls.
unsafe impl<T: Service> Send for ServiceWork<T> {}
// SAFETY: See the `Send` implementation.
unsafe impl<T: Service> Sync for ServiceWork<T> {}

impl<T: Service> ServiceWork<T> {
    /// A work item with no owner yet: queued, it does nothing until [`ServiceWork::set_owner`].
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            work <- Opaque::ffi_init(|slot: *mut bindings::delayed_work| {
                // SAFETY: `slot` is valid for writes and pinned; `run` matches the work
                // function signature; the names and the lock class keys are static.
                unsafe {
                    bindings::init_work_with_key(
                        &raw mut (*slot).work,
                        Some(Self::run),
                        false,
                        c"net_service".as_char_ptr(),
                        crate::static_lock_class!().as_ptr(),
                    );
                    // The timer of a delayed work, run by the workqueue core only.
                    bindings::timer_init_key(
                        &raw mut (*slot).timer,
                        Some(bindings::delayed_work_timer_fn),
                        bindings::TIMER_IRQSAFE,
                        c"net_service_timer".as_char_ptr(),
                        crate::static_lock_class!().as_ptr(),
                    );
                }
            }),
            owner: AtomicPtr::new(core::ptr::null_mut()),
        })
    }

    /// Sets the owner the work runs for.
    ///
    /// # Safety
    ///
    /// `owner` stays valid until [`ServiceWork::disable`] has returned (the owner's
    /// teardown calls it; dropping the work calls it too).
    pub unsafe fn set_owner(&self, owner: *const T) {
        self.owner.store(owner.cast_mut(), Ordering::Release);
    }

    /// Runs the work as soon as possible, sooner than a pending run (any context).
    pub fn run_now(&self) {
        self.run_after(0);
    }

    /// Runs the work `ms` milliseconds from now, sooner or later than a pending run (any
    /// context).
    pub fn run_after(&self, ms: u32) {
        // SAFETY: `work` is an initialised, pinned delayed work; `system_dfl_long_wq` is
        // always there. A disabled work is not queued.
        unsafe {
            bindings::mod_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                bindings::system_dfl_long_wq,
                self.work.get(),
                msecs_to_jiffies(ms),
            )
        };
    }

    /// Runs the work `ms` milliseconds from now unless it is already queued (any context).
    pub fn run_unless_queued(&self, ms: u32) {
        // SAFETY: As in `run_after`.
        unsafe {
            bindings::queue_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                bindings::system_dfl_long_wq,
                self.work.get(),
                msecs_to_jiffies(ms),
            )
        };
    }

    /// Stops the work for good: cancels a queued run, waits for a running one, and ignores
    /// every later request to run it, from any context (process context: it may sleep).
    /// Unlike a cancel, which lets the work be queued again once it returns, no interrupt
    /// or poll can queue it after this, so the owner may go away.
    pub fn disable(&self) {
        // SAFETY: `work` is an initialised delayed work.
        unsafe { bindings::disable_delayed_work_sync(self.work.get()) };
    }

    /// The work function.
    ///
    /// # Safety
    ///
    /// `work` is the work of the `work` field of a live `ServiceWork<T>` (the workqueue
    /// passes it).
    unsafe extern "C" fn run(work: *mut bindings::work_struct) {
        // SAFETY: `work` is the first field of the `delayed_work` that is the first field of
        // a `#[repr(C)]` `ServiceWork<T>`.
        let this = unsafe { &*work.cast::<Self>() };
        let owner = this.owner.load(Ordering::Acquire);
        if !owner.is_null() {
            // SAFETY: The owner is valid until `disable` returned, which waits for this call.
            unsafe { &*owner }.run_service();
        }
    }
}

#[pinned_drop]
impl<T: Service> PinnedDrop for ServiceWork<T> {
    fn drop(self: Pin<&mut Self>) {
        self.disable();
    }
}
