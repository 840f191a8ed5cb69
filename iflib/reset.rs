// SPDX-License-Identifier: GPL-2.0

//! The device reset, run in process context when the TX watchdog fires.
//!
//! `ndo_tx_timeout` runs from a timer; a reset sleeps (it stops and restarts the adapter
//! under RTNL), so the timeout only queues this work item.

use core::sync::atomic::{
    AtomicPtr,
    Ordering, //
};
use kernel::{
    bindings,
    prelude::*,
    types::Opaque, //
};

/// What a reset does.
pub(crate) trait Reset: Sync {
    /// Resets the device (process context, may sleep, takes RTNL itself).
    fn reset(&self);
}

/// A work item that calls [`Reset::reset`] on its owner.
///
/// # Invariants
///
/// `work` is initialised with [`ResetWork::run`] as its function; once `owner` is set it
/// is valid until [`ResetWork::cancel`] returned (the owner's teardown calls it).
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct ResetWork<T: Reset> {
    #[pin]
    work: Opaque<bindings::work_struct>,
    owner: AtomicPtr<T>,
}

// SAFETY: The work item is only queued and cancelled through thread-safe C calls.
unsafe impl<T: Reset> Send for ResetWork<T> {}
// SAFETY: See the `Send` implementation.
unsafe impl<T: Reset> Sync for ResetWork<T> {}

impl<T: Reset> ResetWork<T> {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            work <- Opaque::ffi_init(|slot: *mut bindings::work_struct| {
                // SAFETY: `slot` is valid for writes and pinned; `run` matches the work
                // function signature; the name and the lock class key are static.
                unsafe {
                    bindings::init_work_with_key(
                        slot,
                        Some(Self::run),
                        false,
                        c"iflib_reset".as_char_ptr(),
                        kernel::static_lock_class!().as_ptr(),
                    )
                }
            }),
            owner: AtomicPtr::new(core::ptr::null_mut()),
        })
    }

    /// Sets the owner the work resets.
    ///
    /// # Safety
    ///
    /// `owner` stays valid until [`ResetWork::cancel`] has returned.
    pub(crate) unsafe fn set_owner(&self, owner: *const T) {
        self.owner.store(owner.cast_mut(), Ordering::Release);
    }

    /// Queues a reset (any context); a reset already queued is not queued twice.
    pub(crate) fn schedule(&self) {
        // SAFETY: `work` is an initialised, pinned work item; `system_wq` is always there.
        unsafe {
            bindings::queue_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                bindings::system_wq,
                self.work.get(),
            )
        };
    }

    /// Cancels a queued reset and waits for a running one (process context).
    pub(crate) fn cancel(&self) {
        // SAFETY: `work` is an initialised work item.
        unsafe { bindings::cancel_work_sync(self.work.get()) };
    }

    /// The work function.
    ///
    /// # Safety
    ///
    /// `work` is the `work` field of a live `ResetWork<T>` (the workqueue passes it).
    unsafe extern "C" fn run(work: *mut bindings::work_struct) {
        // SAFETY: `work` is the first field of a `#[repr(C)]` `ResetWork<T>`.
        let this = unsafe { &*work.cast::<Self>() };
        let owner = this.owner.load(Ordering::Acquire);
        if !owner.is_null() {
            // SAFETY: The owner is valid until `cancel` returned, which waits for this call.
            unsafe { &*owner }.reset();
        }
    }
}

#[pinned_drop]
impl<T: Reset> PinnedDrop for ResetWork<T> {
    fn drop(self: Pin<&mut Self>) {
        self.cancel();
    }
}
