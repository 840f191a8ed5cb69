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
    ptr::NonNull,
    sync::atomic::{
        AtomicBool,
        AtomicPtr,
        Ordering, //
    },
};

/// The poll function of a NAPI context.
pub trait Poll: Sync {
    /// Does up to [`Polling::budget`] units of RX work and all TX completion work (softirq
    /// context, or netpoll's with a budget of 0: complete TX only).
    ///
    /// Reports the RX work done through [`Polling::complete_done`], which completes the
    /// poll if the work was below the budget (the only way to return less than it).
    fn poll(&self, poll: Polling<'_>) -> Polled
    where
        Self: Sized;
}

/// What a poll reports to the NAPI core: made only by [`Polling::complete_done`], so that
/// a poll returns less than its budget exactly when it completed (`napi_complete_done`).
#[must_use = "the poll returns it"]
pub struct Polled(i32);

/// Proof that the code runs in a NAPI context's poll, which only [`Poll::poll`] is given:
/// the calls valid only there (freeing packets and pages into per-CPU caches, GRO, XDP)
/// take it. Not `Send`: it stays on the polling CPU, and with the poll's stack frame.
///
/// A budget of 0 is netpoll, which may run with interrupts off and must not receive:
/// [`Polling::receiving`] is `None` then.
pub struct Polling<'a> {
    napi: NonNull<bindings::napi_struct>,
    budget: i32,
    _poll: PhantomData<(&'a bindings::napi_struct, *mut ())>,
}

impl<'a> Polling<'a> {
    /// The RX work the poll may do; 0 for netpoll.
    #[inline]
    pub fn budget(&self) -> i32 {
        self.budget
    }

    /// Receiving is allowed: a poll proper, not netpoll.
    #[inline]
    pub fn receiving(&self) -> Option<Receiving<'_>> {
        (self.budget > 0).then_some(Receiving { poll: self })
    }

    /// The configuration index the context being polled was added with ([`Napi::add`]):
    /// which of its owner's contexts it is.
    #[inline]
    pub fn index(&self) -> u32 {
        // SAFETY: `self.napi` is the context being polled, valid for the poll; `index` is
        // set when it is added and not changed while it is.
        let index = unsafe { (*self.napi.as_ptr()).index };
        index as u32
    }

    /// The identity of the context being polled.
    #[inline]
    pub fn napi_id(&self) -> NapiId {
        NapiId(self.napi.as_ptr().addr())
    }

    /// Whether `napi` is the context being polled.
    #[inline]
    pub(crate) fn is(&self, napi: *const bindings::napi_struct) -> bool {
        core::ptr::eq(self.napi.as_ptr(), napi)
    }

    /// Ends the poll, which did `work_done` units of RX work. Below the budget the poll
    /// completes (`napi_complete_done`), and the flag says whether interrupts may be
    /// re-armed; at the budget (more is counted as the budget) the core polls again, and
    /// the flag is `false`. Netpoll's polls (budget 0) just end. The proof is spent:
    /// nothing of the poll's may follow.
    pub fn complete_done(self, work_done: i32) -> (Polled, bool) {
        if work_done >= self.budget {
            return (Polled(self.budget), false);
        }
        let work_done = work_done.max(0);
        // SAFETY: Called from this context's poll, as `self` proves, with less work done
        // than its budget.
        let rearm = unsafe { bindings::napi_complete_done(self.napi.as_ptr(), work_done) };
        (Polled(work_done), rearm)
    }
}

/// A NAPI context's identity (see [`Napi::id`]): it can be kept and compared, not used.
/// An address: meaningful while the context lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NapiId(usize);

impl NapiId {
    /// The identity as a number, to keep in an atomic: never 0.
    #[inline]
    pub fn as_usize(self) -> usize {
        self.0
    }
}

/// Proof of a NAPI poll proper (budget > 0, bottom halves off, not netpoll): the calls
/// that receive take it. Derefs to the [`Polling`] it came from.
#[derive(Clone, Copy)]
pub struct Receiving<'a> {
    poll: &'a Polling<'a>,
}

impl<'a> core::ops::Deref for Receiving<'a> {
    type Target = Polling<'a>;

    fn deref(&self) -> &Polling<'a> {
        self.poll
    }
}

impl Receiving<'_> {
    /// Hands a received packet to GRO.
    #[inline]
    pub fn gro_receive(&self, skb: SkBuff) {
        // SAFETY: Called from this context's poll proper, as `self` proves; the stack takes
        // ownership of `skb`.
        unsafe { bindings::napi_gro_receive(self.poll.napi.as_ptr(), skb.into_raw()) };
    }
}

/// Proof that a NAPI context is disabled: no poll of it runs until it is enabled again
/// with this proof ([`Napi::enable`]). Code holding it may use what only the context's poll
/// may otherwise use (its page pool). [`Napi::add`] and [`Napi::disable`] make it, one at
/// a time per context; it can be moved to another thread but not shared. It names its
/// context by address: it must not outlive it (see [`Napi::add`]).
pub struct NapiOff {
    napi: NonNull<bindings::napi_struct>,
    _not_sync: PhantomData<core::cell::Cell<()>>,
}

// SAFETY: The pointer is only compared, never dereferenced.
unsafe impl Send for NapiOff {}

impl NapiOff {
    /// The identity of the context this proves disabled.
    #[inline]
    pub fn id(&self) -> NapiId {
        NapiId(self.napi.as_ptr().addr())
    }

    /// Whether `napi` is the context this proves disabled.
    #[inline]
    pub(crate) fn is(&self, napi: *const bindings::napi_struct) -> bool {
        core::ptr::eq(self.napi.as_ptr(), napi)
    }

    /// The context this proves disabled.
    pub(crate) fn as_raw(&self) -> *mut bindings::napi_struct {
        self.napi.as_ptr()
    }
}

pub(crate) mod private {
    pub trait Sealed {}
}

/// Proof that bottom halves are off on this CPU and the code cannot migrate: a NAPI poll
/// proper ([`Receiving`]) or an XDP transmit call ([`crate::net::xdp::XmitContext`], from
/// the `XmitFrames` only the XDP core's call makes, in softirq context).
pub trait SoftirqContext: private::Sealed {}

impl SoftirqContext for Receiving<'_> {}

/// Proof that nothing else runs what a NAPI context's poll runs: a poll proper of it
/// ([`Receiving`]) or the context disabled ([`NapiOff`]). Neither is `Sync`: one thread
/// at a time uses a proof.
pub trait NapiOwner: private::Sealed {
    /// Whether this proves it of `napi`.
    #[doc(hidden)]
    fn owns(&self, napi: *const bindings::napi_struct) -> bool;
}

impl private::Sealed for Receiving<'_> {}
impl NapiOwner for Receiving<'_> {
    #[inline]
    fn owns(&self, napi: *const bindings::napi_struct) -> bool {
        self.poll.is(napi)
    }
}

impl private::Sealed for NapiOff {}
impl NapiOwner for NapiOff {
    #[inline]
    fn owns(&self, napi: *const bindings::napi_struct) -> bool {
        self.is(napi)
    }
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
    /// Enabled by [`Napi::enable`], until [`Napi::disable`].
    enabled: AtomicBool,
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
            enabled: AtomicBool::new(false),
        })
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::napi_struct {
        self.raw.get()
    }

    /// The context's identity, to check a [`Polling`] against.
    #[inline]
    pub fn id(&self) -> NapiId {
        NapiId(self.as_raw().addr())
    }

    /// Adds the context to `dev` with persistent configuration slot `index`, disabled.
    /// The slot keeps the NAPI id and settings across [`Napi::remove`] and a new `add`.
    ///
    /// # Safety
    ///
    /// `owner` stays valid until `self` is dropped; `self` is not added (never, or removed
    /// since); `dev` is freed only after `self` is dropped (dropping deletes the context,
    /// which locks `dev`); every [`NapiOff`] of `self` is dropped before `self` (another
    /// context at the same address would take it for its own).
    pub unsafe fn add(self: Pin<&Self>, dev: &Device, index: u32, owner: *const T) -> NapiOff {
        // SAFETY: `self` is pinned, zeroed or deleted (`remove`), and not added: nothing
        // else touches it until `owner` is set below, which lets `schedule` at it (before,
        // a `schedule` would queue a context that `netif_napi_add_config` then
        // re-initialises); `dev` is valid. The context stays disabled, so no poll reads
        // `owner` before it is set.
        unsafe {
            bindings::netif_napi_add_config(
                dev.as_raw(),
                self.as_raw(),
                Some(Self::poll_callback),
                index as c_int,
            )
        };
        self.owner.store(owner.cast_mut(), Ordering::Release);
        self.off()
    }

    /// Whether the context is added to a device.
    #[inline]
    pub fn is_added(&self) -> bool {
        self.added()
    }

    /// Deletes the context from its device (process context, may sleep: it waits for an
    /// RCU grace period), spending the proof that it is disabled. netdev-genl no longer
    /// lists it; [`Napi::add`] may add it again. The proof of another context, or of one
    /// not added, comes back.
    pub fn remove(&self, off: NapiOff) -> core::result::Result<(), NapiOff> {
        if !off.is(self.as_raw()) || !self.added() {
            return Err(off);
        }
        // SAFETY: The context is added and disabled (`off` proves it). A concurrent
        // `schedule` finds it still marked scheduled (disabled contexts are) and does
        // nothing, before or after the deletion.
        unsafe { bindings::netif_napi_del(self.as_raw()) };
        self.owner.store(core::ptr::null_mut(), Ordering::Release);
        Ok(())
    }

    fn off(&self) -> NapiOff {
        NapiOff {
            // The context is pinned inside `self`; the pointer is never null.
            napi: NonNull::from(&self.raw).cast(),
            _not_sync: PhantomData,
        }
    }

    /// Associates queue `index` of `kind` with this context (RTNL held), or clears it.
    pub fn bind_queue(&self, dev: &Device, kind: QueueKind, index: u32, bind: bool) {
        if !self.added() {
            return;
        }
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

    /// Whether the context was added to a device.
    #[inline]
    fn added(&self) -> bool {
        !self.owner.load(Ordering::Acquire).is_null()
    }

    /// Allows the context to be scheduled (open path), spending the proof that it was
    /// disabled. If `off` is another context's, it comes back and nothing changes.
    pub fn enable(&self, off: NapiOff) -> core::result::Result<(), NapiOff> {
        if !off.is(self.as_raw()) || !self.added() {
            return Err(off);
        }
        // SAFETY: The context is added and disabled, as `off` proves.
        unsafe { bindings::napi_enable(self.as_raw()) };
        self.enabled.store(true, Ordering::Release);
        Ok(())
    }

    /// Waits for a running poll to finish and prevents new ones (stop path, may sleep),
    /// and returns the proof that the context is disabled. `None` if it was not enabled (a
    /// proof exists already, or it was never added).
    pub fn disable(&self) -> Option<NapiOff> {
        if !self.added() || !self.enabled.swap(false, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: The context is added and was enabled; the swap above lets one caller by.
        unsafe { bindings::napi_disable(self.as_raw()) };
        Some(self.off())
    }

    /// Schedules a poll (any context; from process context with bottom halves off, so
    /// that the poll runs when they come back on). Returns whether it was scheduled now;
    /// `false` for a context not added.
    pub fn schedule(&self) -> bool {
        if !self.added() {
            return false;
        }
        // SAFETY: The context is added.
        unsafe { bindings::napi_schedule(self.as_raw()) }
    }

    /// Returns the raw `napi_struct` (for page_pool creation).
    pub(crate) fn raw_ptr(&self) -> *mut bindings::napi_struct {
        self.as_raw()
    }

    extern "C" fn poll_callback(napi: *mut bindings::napi_struct, budget: c_int) -> c_int {
        // SAFETY: `napi` is the first field of a `#[repr(C)]` `Napi<T>` added by `add`.
        let this = unsafe { &*napi.cast::<Self>() };
        let owner = this.owner.load(Ordering::Acquire);
        if owner.is_null() {
            // Not reached: only an added context is polled.
            return 0;
        }
        let poll = Polling {
            // The NAPI core passes its context, never null.
            napi: NonNull::from(&this.raw).cast(),
            budget,
            _poll: PhantomData,
        };
        // SAFETY: `owner` was set before the context was added and is valid until drop.
        T::poll(unsafe { &*owner }, poll).0
    }
}

#[pinned_drop]
impl<T: Poll> PinnedDrop for Napi<T> {
    fn drop(self: Pin<&mut Self>) {
        if !self.added() {
            return;
        }
        if self.enabled.swap(false, Ordering::AcqRel) {
            // SAFETY: The context is added and enabled: no interrupt or softirq may find it
            // once it is deleted and freed.
            unsafe { bindings::napi_disable(self.as_raw()) };
        }
        // SAFETY: The context was added by `add` and is disabled.
        unsafe { bindings::netif_napi_del(self.as_raw()) };
    }
}
