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
        AtomicPtr,
        Ordering, //
    },
};

/// The poll function of a NAPI context.
pub trait Poll: Sync {
    /// Does up to [`Polling::budget`] units of RX work and all TX completion work (softirq
    /// context, or netpoll's with a budget of 0: complete TX only).
    ///
    /// Returns the RX work done. Returning less than the budget requires having called
    /// [`Polling::complete_done`].
    fn poll(&self, poll: Polling<'_>) -> i32
    where
        Self: Sized;
}

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

    /// Ends a poll that did `work_done` < budget. Returns whether interrupts may be
    /// re-armed. The proof is spent: nothing of the poll's may follow.
    pub fn complete_done(self, work_done: i32) -> bool {
        // SAFETY: Called from this context's poll, as `self` proves.
        unsafe { bindings::napi_complete_done(self.napi.as_ptr(), work_done) }
    }
}

/// A NAPI context's identity (see [`Napi::id`]): it can be kept and compared, not used.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NapiId(usize);

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
/// may otherwise use (its page pool). [`Napi::add`] and [`Napi::disable`] make it; it can
/// be moved to another thread but not shared.
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
}

pub(crate) mod private {
    pub trait Sealed {}
}

/// Proof that bottom halves are off on this CPU and the code cannot migrate: a NAPI poll
/// proper ([`Receiving`]) or an XDP transmit call ([`crate::net::xdp::XmitFrames`], made
/// only by the XDP core, in softirq context).
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

    /// The context's identity, to check a [`Polling`] against.
    #[inline]
    pub fn id(&self) -> NapiId {
        NapiId(self.as_raw().addr())
    }

    /// Adds the context to `dev` with persistent configuration slot `index`, disabled.
    ///
    /// # Safety
    ///
    /// `owner` stays valid until `self` is dropped; `self` is added at most once; `dev` is
    /// freed only after `self` is dropped (dropping deletes the context, which locks `dev`).
    pub unsafe fn add(self: Pin<&Self>, dev: &Device, index: u32, owner: *const T) -> NapiOff {
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
        self.off()
    }

    fn off(&self) -> NapiOff {
        NapiOff {
            // The context is pinned inside `self`; the pointer is never null.
            napi: NonNull::from(&self.raw).cast(),
            _not_sync: PhantomData,
        }
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

    /// Allows the context to be scheduled (open path), spending the proof that it was
    /// disabled. If `off` is another context's, it comes back and nothing changes.
    pub fn enable(&self, off: NapiOff) -> core::result::Result<(), NapiOff> {
        if !off.is(self.as_raw()) {
            return Err(off);
        }
        // SAFETY: The context is added and disabled, as `off` proves.
        unsafe { bindings::napi_enable(self.as_raw()) };
        Ok(())
    }

    /// Waits for a running poll to finish and prevents new ones (stop path, may sleep).
    /// Only an enabled context returns: a disabled one waits forever, so at most one proof
    /// of a disabled context exists at a time.
    pub fn disable(&self) -> NapiOff {
        // SAFETY: The context is added.
        unsafe { bindings::napi_disable(self.as_raw()) };
        self.off()
    }

    /// Schedules a poll (hard IRQ context). Returns whether it was scheduled now.
    pub fn schedule(&self) -> bool {
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
        let poll = Polling {
            // The NAPI core passes its context, never null.
            napi: NonNull::from(&this.raw).cast(),
            budget,
            _poll: PhantomData,
        };
        // SAFETY: `owner` was set before the context was added and is valid until drop.
        T::poll(unsafe { &*owner }, poll)
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
