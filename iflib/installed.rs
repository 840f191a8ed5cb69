// SPDX-License-Identifier: GPL-2.0

//! A value the lifecycle installs and removes while nothing else can reach it, and the
//! datapath reads without a lock in between: a queue set's TX ring.
//!
//! Two kinds of reader take it: the poll of one NAPI context, and the holders of one stack
//! TX queue's lock (the xmit path, XDP senders). Every change needs the proof that the
//! context is disabled ([`NapiOff`]), so no poll reads meanwhile; of which one exists at a
//! time, held by one thread, so changes never race each other. Lock holders read only
//! while the value is open, and [`Installed::close`] waits for those reading. So readers
//! need no `unsafe`, and neither does the lifecycle.

use core::{
    cell::UnsafeCell,
    sync::atomic::{
        AtomicBool,
        AtomicUsize,
        Ordering, //
    },
};
use kernel::net::{
    device::{
        TxQueue,
        TxQueueLocked, //
    },
    napi::{
        NapiId,
        NapiOff,
        Polling, //
    },
};

/// An [`Installed`] value as the poll of its readers' NAPI context reads it: what only
/// that poll does at a time (one per context), the value may let it do.
pub(crate) struct InPoll<'a, T>(&'a T);

/// An [`Installed`] value as a holder of its readers' queue lock reads it: what only that
/// lock's holder does at a time, the value may let it do.
pub(crate) struct Locked<'a, T>(&'a T);

impl<'a, T> InPoll<'a, T> {
    /// The value.
    #[inline]
    pub(crate) fn get(&self) -> &'a T {
        self.0
    }
}

impl<'a, T> Locked<'a, T> {
    /// The value.
    #[inline]
    pub(crate) fn get(&self) -> &'a T {
        self.0
    }
}

/// Why a change was refused.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The proof is another NAPI context's, or the readers are not set yet.
    NotOurs,
    /// Holders of the queue's lock may be reading: close it first.
    Open,
}

/// A value installed by `bring_up` and removed by `bring_down` (RTNL), read without a
/// lock by the poll of one NAPI context and by holders of one TX queue's lock.
pub(crate) struct Installed<T> {
    value: UnsafeCell<Option<T>>,
    /// The readers' NAPI context and TX queue, as numbers ([`NapiId::as_usize`],
    /// [`TxQueueId::as_usize`](kernel::net::device::TxQueueId::as_usize)), 0 until set:
    /// set once, before anything is installed, and read on every packet (a relaxed load is
    /// a plain one; a reader that finds 0 reads nothing).
    napi: AtomicUsize,
    queue: AtomicUsize,
    /// Holders of the queue's lock may read (changed with the `NapiOff` proof only).
    open: AtomicBool,
}

// SAFETY: Readers get shared references only (`T: Sync`); the value moves in and out of it
// between threads (`T: Send`), never while a reader can reach it (see `Installed::replace`).
unsafe impl<T: Send + Sync> Sync for Installed<T> {}

impl<T> Installed<T> {
    /// Nothing installed, no readers set, closed.
    pub(crate) fn new() -> Self {
        Self {
            value: UnsafeCell::new(None),
            napi: AtomicUsize::new(0),
            queue: AtomicUsize::new(0),
            open: AtomicBool::new(false),
        }
    }

    /// Sets who reads the value: the poll of `napi`, the holders of `queue`'s lock. Once:
    /// `false` if they were set already.
    pub(crate) fn set_readers(&self, napi: NapiId, queue: &TxQueue) -> bool {
        let set =
            self.napi
                .compare_exchange(0, napi.as_usize(), Ordering::Relaxed, Ordering::Relaxed);
        if set.is_err() {
            return false;
        }
        self.queue.store(queue.id().as_usize(), Ordering::Relaxed);
        true
    }

    /// Whether the readers are set and `napi` is their NAPI context.
    #[inline]
    fn read_in(&self, napi: NapiId) -> bool {
        let ours = self.napi.load(Ordering::Relaxed);
        ours != 0 && ours == napi.as_usize()
    }

    /// The installed value, to the poll of the readers' NAPI context; `None` if nothing is
    /// installed or `poll` is another context's.
    #[inline]
    pub(crate) fn get_in_poll<'a>(&'a self, poll: &'a Polling<'_>) -> Option<InPoll<'a, T>> {
        if !self.read_in(poll.napi_id()) {
            return None;
        }
        // SAFETY: Changes need a `NapiOff` of this context, which does not exist while a
        // poll of it runs (`poll`): nothing changes the value while the reference lives.
        let value = unsafe { (*self.value.get()).as_ref() }?;
        Some(InPoll(value))
    }

    /// The installed value, to a holder of the readers' queue lock; `None` if nothing is
    /// installed, the value is closed, or `locked` is another queue's.
    #[inline]
    pub(crate) fn get_locked<'a>(&'a self, locked: &'a TxQueueLocked<'_>) -> Option<Locked<'a, T>> {
        let queue = self.queue.load(Ordering::Relaxed);
        if queue == 0 || queue != locked.id().as_usize() || !self.open.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: `replace` runs only while the value is closed. `close` clears `open`, then
        // takes and releases this queue's lock: a holder that saw `open` set (under the lock,
        // as `locked` proves) has released it, and dropped this reference, before `close`
        // returns; later holders see `open` clear (the lock orders them after the clearing)
        // until `open` runs, which needs the same unique `NapiOff` as `replace` and so
        // cannot overlap it.
        let value = unsafe { (*self.value.get()).as_ref() }?;
        Some(Locked(value))
    }

    /// Checks that `off` proves this value's NAPI context disabled, and returns the queue.
    fn ours(&self, off: &NapiOff) -> Result<usize, Refused> {
        if !self.read_in(off.id()) {
            return Err(Refused::NotOurs);
        }
        Ok(self.queue.load(Ordering::Relaxed))
    }

    /// Closes the value to holders of `queue`'s lock and waits for those reading it
    /// (process context; `off` proves the NAPI context disabled).
    pub(crate) fn close(&self, queue: &TxQueue, off: &NapiOff) -> Result<(), Refused> {
        if self.ours(off)? != queue.id().as_usize() {
            return Err(Refused::NotOurs);
        }
        self.open.store(false, Ordering::Release);
        queue.wait_for_lock_holders();
        Ok(())
    }

    /// Opens the value to holders of its queue's lock (`off` proves the NAPI context
    /// disabled: no change runs meanwhile).
    pub(crate) fn open(&self, off: &NapiOff) -> Result<(), Refused> {
        self.ours(off)?;
        self.open.store(true, Ordering::Release);
        Ok(())
    }

    /// Installs `value` and returns what was installed, with the value closed and `off`
    /// proving its NAPI context disabled. Refused otherwise: nothing changes and `value`
    /// comes back.
    pub(crate) fn replace(
        &self,
        value: Option<T>,
        off: &NapiOff,
    ) -> Result<Option<T>, (Refused, Option<T>)> {
        if let Err(refused) = self.ours(off) {
            return Err((refused, value));
        }
        if self.open.load(Ordering::Acquire) {
            return Err((Refused::Open, value));
        }
        // SAFETY: No reader holds a reference, and none takes one until this returns: the
        // poll of the readers' context does not run while `off` lives; lock holders find
        // the value closed, and those that found it open were waited for by `close`;
        // `open` and other replacements need `off`, which one thread at a time holds
        // (`NapiOff` is not `Sync`, and one exists per context).
        Ok(unsafe { core::mem::replace(&mut *self.value.get(), value) })
    }
}
