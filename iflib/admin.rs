// SPDX-License-Identifier: GPL-2.0

//! The admin work: what an adapter does in process context, away from its hot path.
//!
//! It resets the device when the TX watchdog fires (`ndo_tx_timeout` runs from a timer and
//! a reset sleeps: it stops and restarts the adapter under RTNL), and, while the device is
//! up, it comes back every [`SERVICE_PERIOD_MS`] to read the MAC's counters before any can
//! stop at its largest value.

use crate::{
    adapter::Adapter,
    driver::Datapath, //
};
use core::sync::atomic::{
    AtomicPtr,
    Ordering, //
};
use kernel::{
    bindings,
    net::{
        device as netdev,
        napi::BhDisabled, //
    },
    prelude::*,
    time::msecs_to_jiffies,
    types::Opaque, //
};

/// How often the admin work runs while the device is up. A 32-bit frame counter lasts
/// about 48 minutes at gigabit line rate; far more often than that keeps idle wake-ups rare.
pub(crate) const SERVICE_PERIOD_MS: u32 = 10_000;

/// How soon the admin work has NAPI try again to fill RX slots left empty for want of
/// memory: an RX ring that ran dry raises no interrupt, and a poll that asked to run again
/// at once would spin in softirq context while memory stays short.
pub(crate) const RX_REFILL_RETRY_MS: u32 = 10;

/// What the admin work does.
pub(crate) trait Admin: Sync {
    /// Does what is pending (process context, may sleep, takes RTNL itself if it needs it).
    fn run_admin(&self);
}

/// A delayed work item that calls [`Admin::run_admin`] on its owner.
///
/// # Invariants
///
/// `work` is initialised with [`AdminWork::run`] as its function; once `owner` is set it
/// is valid until [`AdminWork::cancel`] returned (the owner's teardown calls it).
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct AdminWork<T: Admin> {
    #[pin]
    work: Opaque<bindings::delayed_work>,
    owner: AtomicPtr<T>,
}

// SAFETY: The work item is only queued and cancelled through thread-safe C calls.
unsafe impl<T: Admin> Send for AdminWork<T> {}
// SAFETY: See the `Send` implementation.
unsafe impl<T: Admin> Sync for AdminWork<T> {}

impl<T: Admin> AdminWork<T> {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            work <- Opaque::ffi_init(|slot: *mut bindings::delayed_work| {
                // SAFETY: `slot` is valid for writes and pinned; `run` matches the work
                // function signature; the names and the lock class keys are static.
                unsafe {
                    bindings::init_work_with_key(
                        &raw mut (*slot).work,
                        Some(Self::run),
                        false,
                        c"iflib_admin".as_char_ptr(),
                        kernel::static_lock_class!().as_ptr(),
                    );
                    // The timer of a delayed work, run by the workqueue core only.
                    bindings::timer_init_key(
                        &raw mut (*slot).timer,
                        Some(bindings::delayed_work_timer_fn),
                        bindings::TIMER_IRQSAFE,
                        c"iflib_admin_timer".as_char_ptr(),
                        kernel::static_lock_class!().as_ptr(),
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
    /// `owner` stays valid until [`AdminWork::cancel`] has returned.
    pub(crate) unsafe fn set_owner(&self, owner: *const T) {
        self.owner.store(owner.cast_mut(), Ordering::Release);
    }

    /// Runs the work as soon as possible (any context), sooner than a pending periodic run.
    pub(crate) fn run_now(&self) {
        // SAFETY: `work` is an initialised, pinned delayed work; `system_wq` is always there.
        unsafe {
            bindings::mod_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                bindings::system_wq,
                self.work.get(),
                0,
            )
        };
    }

    /// Runs the work `ms` milliseconds from now, sooner or later than a pending run (any
    /// context).
    pub(crate) fn run_after(&self, ms: u32) {
        // SAFETY: As in `run_now`.
        unsafe {
            bindings::mod_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                bindings::system_wq,
                self.work.get(),
                msecs_to_jiffies(ms),
            )
        };
    }

    /// Runs the work after a service period, unless it is already queued (any context).
    pub(crate) fn run_later(&self) {
        // SAFETY: As in `run_now`.
        unsafe {
            bindings::queue_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as c_int,
                bindings::system_wq,
                self.work.get(),
                msecs_to_jiffies(SERVICE_PERIOD_MS),
            )
        };
    }

    /// Cancels a queued run and waits for a running one, which cannot queue itself again
    /// meanwhile (process context).
    pub(crate) fn cancel(&self) {
        // SAFETY: `work` is an initialised delayed work.
        unsafe { bindings::cancel_delayed_work_sync(self.work.get()) };
    }

    /// The work function.
    ///
    /// # Safety
    ///
    /// `work` is the work of the `work` field of a live `AdminWork<T>` (the workqueue
    /// passes it).
    unsafe extern "C" fn run(work: *mut bindings::work_struct) {
        // SAFETY: `work` is the first field of the `delayed_work` that is the first field of
        // a `#[repr(C)]` `AdminWork<T>`.
        let this = unsafe { &*work.cast::<Self>() };
        let owner = this.owner.load(Ordering::Acquire);
        if !owner.is_null() {
            // SAFETY: The owner is valid until `cancel` returned, which waits for this call.
            unsafe { &*owner }.run_admin();
        }
    }
}

#[pinned_drop]
impl<T: Admin> PinnedDrop for AdminWork<T> {
    fn drop(self: Pin<&mut Self>) {
        self.cancel();
    }
}

impl<D: Datapath> Admin for Adapter<'_, D> {
    fn run_admin(&self) {
        if self.reset_requested.swap(false, Ordering::Relaxed) {
            self.reset();
        }
        let retry = self.rx_short.swap(false, Ordering::Relaxed);
        if retry && self.up.load(Ordering::Relaxed) {
            // Scheduled from process context: the poll runs when bottom halves come back on.
            let _bh = BhDisabled::new();
            self.schedule_polls();
        }
        // Retries come every 10 ms while memory is short, and the periodic run waits
        // behind them: they read the MAC counters once in 100 (a second).
        let retries = self
            .refill_retries
            .fetch_add(u32::from(retry), Ordering::Relaxed);
        if !retry || retries % 100 == 0 {
            self.fold_mac_counters();
        }
        if self.up.load(Ordering::Relaxed) {
            self.admin.run_later();
        }
    }
}

impl<D: Datapath> Adapter<'_, D> {
    /// Stops and restarts a running device (admin work).
    pub(crate) fn reset(&self) {
        // Process context (a work item); RTNL serialises with open, stop and the ethtool
        // and MTU paths, which also stop and start the adapter.
        netdev::with_rtnl(|| {
            if self.netdev.device().is_running() {
                self.bring_down();
                if self.bring_up().is_err() {
                    dev_err!(
                        self.dma(),
                        "reset after a TX timeout failed; the device stays down\n"
                    );
                }
            }
        });
    }
}
