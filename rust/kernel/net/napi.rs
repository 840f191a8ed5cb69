// SPDX-License-Identifier: GPL-2.0

//! NAPI: the interrupt-mitigated polling context of a queue set.
//!
//! C header: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use crate::{
    bindings,
    net::{
        device::Device,
        skb::SkBuff, //
    },
    prelude::*,
    types::Opaque, //
};
use core::{
    marker::PhantomData,
    sync::atomic::{
        AtomicPtr,
        Ordering, //
    },
};

/// The poll function of a NAPI context.
pub trait Poll: Sync {
    /// Does up to `budget` units of RX work and all TX completion work (softirq context).
    ///
    /// Returns the RX work done. Returning less than `budget` requires having called
    /// [`Napi::complete_done`]. `budget` 0 means netpoll: complete TX only.
    fn poll(&self, napi: &Napi<Self>, budget: i32) -> i32
    where
        Self: Sized;
}

/// Bottom halves (softirqs, NAPI polls among them) disabled on this CPU while it lives
/// (`local_bh_disable()`; process context with interrupts on, where `local_bh_enable()`
/// may run the pending softirqs).
///
/// Take it around a lock that a NAPI poll also takes: a poll that interrupted the lock's
/// holder on the same CPU would spin on it forever (lockdep reports the lock as taken in
/// softirq and with softirqs on).
#[must_use = "bottom halves are enabled again when the guard is dropped"]
pub struct BhDisabled(PhantomData<*mut ()>);

impl BhDisabled {
    /// Disables bottom halves on this CPU until the result is dropped.
    #[expect(
        clippy::new_without_default,
        reason = "taking the guard has an effect; a default value should not"
    )]
    pub fn new() -> Self {
        // SAFETY: Always callable from process context; `Drop` enables them again, on the
        // same CPU since the guard cannot leave the thread (it is not `Send`) and the
        // thread cannot migrate with bottom halves off.
        unsafe { bindings::local_bh_disable() };
        Self(PhantomData)
    }
}

impl Drop for BhDisabled {
    fn drop(&mut self) {
        // SAFETY: Disabled by `new`, on this CPU.
        unsafe { bindings::local_bh_enable() };
    }
}

/// Which kind of queue a NAPI serves, for [`Napi::bind_queue`].
#[derive(Clone, Copy)]
pub enum QueueKind {
    /// A receive queue.
    Rx,
    /// A transmit queue.
    Tx,
}

/// A NAPI context (`struct napi_struct`) polled by `T`.
///
/// # Invariants
///
/// Once `owner` is non-null the context is added to a device and `owner` is valid until drop.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub struct Napi<T: Poll> {
    #[pin]
    raw: Opaque<bindings::napi_struct>,
    owner: AtomicPtr<T>,
}

// SAFETY: The NAPI core serialises polls; other methods are safe to call concurrently.
unsafe impl<T: Poll> Sync for Napi<T> {}
// SAFETY: See the `Sync` implementation.
unsafe impl<T: Poll> Send for Napi<T> {}

impl<T: Poll> Napi<T> {
    /// Creates a NAPI context, not yet added to a device.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            raw: Opaque::zeroed(),
            owner: AtomicPtr::new(core::ptr::null_mut()),
        })
    }

    fn as_raw(&self) -> *mut bindings::napi_struct {
        self.raw.get()
    }

    /// Adds the context to `dev` with persistent configuration slot `index`.
    ///
    /// # Safety
    ///
    /// `owner` stays valid until `self` is dropped; `self` is added at most once; `dev` is
    /// freed only after `self` is dropped (dropping deletes the context, which locks `dev`).
    pub unsafe fn add(self: Pin<&Self>, dev: &Device, index: u32, owner: *const T) {
        self.owner.store(owner.cast_mut(), Ordering::Release);
        // SAFETY: `self` is pinned and zero-initialised; `dev` is valid; the poll callback
        // finds `owner` through `self`, which is set above.
        unsafe {
            bindings::netif_napi_add_config(
                dev.as_raw(),
                self.as_raw(),
                Some(Self::poll_callback),
                index as c_int,
            )
        };
    }

    /// Associates the interrupt line, so netdev-genl reports it.
    pub fn set_irq(&self, irq: i32) {
        // SAFETY: The context is added (only called after `add`).
        unsafe { bindings::netif_napi_set_irq(self.as_raw(), irq) }
    }

    /// Associates queue `index` of `kind` with this context (RTNL held), or clears it.
    pub fn bind_queue(&self, dev: &Device, kind: QueueKind, index: u32, bind: bool) {
        let kind = match kind {
            QueueKind::Rx => bindings::netdev_queue_type_NETDEV_QUEUE_TYPE_RX,
            QueueKind::Tx => bindings::netdev_queue_type_NETDEV_QUEUE_TYPE_TX,
        };
        let napi = if bind {
            self.as_raw()
        } else {
            core::ptr::null_mut()
        };
        // SAFETY: `dev` is valid; `napi` is this added context or null.
        unsafe { bindings::netif_queue_set_napi(dev.as_raw(), index, kind, napi) }
    }

    /// Allows the context to be scheduled (open path).
    pub fn enable(&self) {
        // SAFETY: The context is added.
        unsafe { bindings::napi_enable(self.as_raw()) }
    }

    /// Waits for a running poll to finish and prevents new ones (stop path, may sleep).
    pub fn disable(&self) {
        // SAFETY: The context is added and enabled.
        unsafe { bindings::napi_disable(self.as_raw()) }
    }

    /// Schedules a poll (hard IRQ context). Returns whether it was scheduled now.
    pub fn schedule(&self) -> bool {
        // SAFETY: The context is added.
        unsafe { bindings::napi_schedule(self.as_raw()) }
    }

    /// Ends a poll that did `work_done` < budget. Returns whether interrupts may be re-armed.
    pub fn complete_done(&self, work_done: i32) -> bool {
        // SAFETY: Called from this context's poll.
        unsafe { bindings::napi_complete_done(self.as_raw(), work_done) }
    }

    /// Hands a received packet to GRO (from this context's poll).
    pub fn gro_receive(&self, skb: SkBuff) {
        // SAFETY: Called from this context's poll; the stack takes ownership of `skb`.
        unsafe { bindings::napi_gro_receive(self.as_raw(), skb.into_raw()) };
    }

    /// Returns the raw `napi_struct` (for page_pool creation).
    pub(crate) fn raw_ptr(&self) -> *mut bindings::napi_struct {
        self.as_raw()
    }

    extern "C" fn poll_callback(napi: *mut bindings::napi_struct, budget: c_int) -> c_int {
        // SAFETY: `napi` is the first field of a `#[repr(C)]` `Napi<T>` added by `add`.
        let this = unsafe { &*napi.cast::<Self>() };
        let owner = this.owner.load(Ordering::Acquire);
        // SAFETY: `owner` was set before the context was added and is valid until drop.
        T::poll(unsafe { &*owner }, this, budget)
    }
}

#[pinned_drop]
impl<T: Poll> PinnedDrop for Napi<T> {
    fn drop(self: Pin<&mut Self>) {
        if !self.owner.load(Ordering::Acquire).is_null() {
            // SAFETY: The context was added by `add` and is disabled by now.
            unsafe { bindings::netif_napi_del(self.as_raw()) };
        }
    }
}
