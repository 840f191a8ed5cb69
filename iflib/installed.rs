// SPDX-License-Identifier: GPL-2.0

//! A value the lifecycle installs and removes while nothing else can reach it, and the
//! datapath reads without a lock in between.

use core::cell::UnsafeCell;

/// A value installed by `bring_up` and removed by `bring_down` (RTNL), read by the
/// datapath without a lock: the lifecycle changes it only while the contexts that read it
/// are shut out (the TX queues disabled, NAPI disabled), and enabling them again publishes
/// the change to them.
pub(crate) struct Installed<T>(UnsafeCell<Option<T>>);

// SAFETY: Readers get shared references only (`T: Sync`); the value moves in and out of it
// between threads (`T: Send`), never while a reader can reach it (see `Installed::replace`).
unsafe impl<T: Send + Sync> Sync for Installed<T> {}

impl<T> Installed<T> {
    /// Nothing installed.
    pub(crate) const fn new() -> Self {
        Self(UnsafeCell::new(None))
    }

    /// The installed value, if any.
    ///
    /// # Safety
    ///
    /// The caller runs where the lifecycle cannot call [`Installed::replace`] until the
    /// result is dropped: with the stack's TX queue lock held and the queue not disabled
    /// (the xmit path), in the NAPI poll, or in the lifecycle itself.
    #[inline]
    pub(crate) unsafe fn get(&self) -> Option<&T> {
        // SAFETY: Per the safety requirement, no `replace` runs while the reference lives.
        unsafe { (*self.0.get()).as_ref() }
    }

    /// Installs `value` and returns what was installed.
    ///
    /// # Safety
    ///
    /// No reference from [`Installed::get`] is alive, and none is taken until this returns:
    /// the caller holds RTNL with the TX queues disabled and NAPI disabled (or not yet
    /// enabled), and enables them only afterwards.
    pub(crate) unsafe fn replace(&self, value: Option<T>) -> Option<T> {
        // SAFETY: Per the safety requirement, this is the only access.
        unsafe { core::mem::replace(&mut *self.0.get(), value) }
    }
}
