// SPDX-License-Identifier: GPL-2.0

//! Interrupt lines that a network device requests at open and frees at stop, each with a
//! handler that borrows the driver's state.
//!
//! The kernel crate's `irq::Registration` owns its handler and borrows the vector
//! allocation, so it cannot live in the structure that owns both: a device's adapter holds
//! its vectors, its queue sets and the lines that reach them. A [`Line`] borrows its
//! handler's owner instead, by address, which no lifetime can express inside that owner:
//! requesting one is `unsafe`, and the caller promises that the owner outlives the line.

use crate::{
    bindings,
    error::to_result,
    net::napi::{Napi, Poll},
    prelude::*,
    str::CString, //
};

/// What a handler tells the interrupt core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqReturn {
    /// The interrupt was not this device's (another device on a shared line).
    None,
    /// The interrupt was handled.
    Handled,
}

/// The hard IRQ handler of a kind of line whose owner is a `T`: implemented on a marker
/// type, one per kind (a device's queue vectors, its admin vector, ...).
pub trait Handler<T: Sync>: 'static {
    /// Handles one interrupt (hard IRQ context: no sleeping, no blocking locks).
    fn handle(owner: &T) -> IrqReturn;
}

/// A requested interrupt line, shared or a device's own, freed when dropped (process
/// context: `free_irq` waits for a running handler).
///
/// # Invariants
///
/// `irq` is requested with `cookie` as its `dev_id` and `_name` as its name. `napi`, when
/// not null, is an added NAPI context associated with `irq`, valid until the line is
/// dropped.
pub struct Line {
    irq: u32,
    cookie: *mut c_void,
    napi: *mut bindings::napi_struct,
    /// Only kept alive: the kernel points at it while the line is requested.
    _name: CString,
}

// SAFETY: The line is a number and an opaque cookie; freeing it is thread-safe.
unsafe impl Send for Line {}
// SAFETY: Shared access reads nothing.
unsafe impl Sync for Line {}

impl Line {
    /// Requests the shared line `irq` under `name` (as `/proc/interrupts` shows it): each
    /// interrupt calls `H::handle(owner)` in hard IRQ context until the line is dropped.
    ///
    /// # Safety
    ///
    /// `owner` must stay valid, at its address, until the returned line is dropped.
    pub unsafe fn request<T: Sync, H: Handler<T>>(
        irq: u32,
        owner: &T,
        name: CString,
    ) -> Result<Self> {
        // SAFETY: The caller's promise.
        unsafe { Self::request_with::<T, H>(irq, owner, name, bindings::IRQF_SHARED) }
    }

    /// Requests the line `irq` as [`Line::request`] does, for a line no other device
    /// shares (an MSI-X or MSI vector): requested without `IRQF_SHARED`, as drivers request
    /// their vectors.
    ///
    /// # Safety
    ///
    /// As [`Line::request`].
    pub unsafe fn request_own<T: Sync, H: Handler<T>>(
        irq: u32,
        owner: &T,
        name: CString,
    ) -> Result<Self> {
        // SAFETY: The caller's promise.
        unsafe { Self::request_with::<T, H>(irq, owner, name, 0) }
    }

    /// Requests the line `irq` with `flags` (`IRQF_*`), as [`Line::request`] says.
    ///
    /// # Safety
    ///
    /// As [`Line::request`].
    unsafe fn request_with<T: Sync, H: Handler<T>>(
        irq: u32,
        owner: &T,
        name: CString,
        flags: u32,
    ) -> Result<Self> {
        let cookie = core::ptr::from_ref(owner).cast_mut().cast();
        // SAFETY: `handler::<T, H>` reads `cookie` as the `T` it is, which the caller keeps
        // valid while requested; `name`'s buffer is kept in the line, freed after `free_irq`.
        to_result(unsafe {
            bindings::request_threaded_irq(
                irq,
                Some(handler::<T, H>),
                None,
                flags as usize,
                name.as_char_ptr(),
                cookie,
            )
        })?;
        Ok(Self {
            irq,
            cookie,
            napi: core::ptr::null_mut(),
            _name: name,
        })
    }

    /// Requests a line of its own as [`Line::request_own`] does (MSI-X or MSI, not a
    /// shared INTx line), and associates it with `napi`: netdev-genl reports it, and
    /// on a device whose interrupt affinity the core keeps
    /// ([`crate::net::device::Registration::spread_irq_affinity`]) the core follows the
    /// line's affinity. The association ends before the line is freed: the affinity
    /// notifier it installs must not outlive the line (`free_irq` only warns about one left
    /// behind, and a notification queued for it would reach `napi` after the context is
    /// gone). Process context, without the device's instance lock, which the association
    /// takes, here and when the line is dropped (a driver whose operations run under that
    /// lock, an ops-locked one, would deadlock).
    ///
    /// # Safety
    ///
    /// As [`Line::request`]; and `napi` is added to its device, stays at its address and is
    /// not removed nor dropped until the returned line is dropped.
    pub unsafe fn request_for_napi<T: Sync, H: Handler<T>, P: Poll>(
        irq: u32,
        owner: &T,
        name: CString,
        napi: &Napi<P>,
    ) -> Result<Self> {
        // SAFETY: The caller's promise for `owner` is `request`'s.
        let line = unsafe { Self::request_own::<T, H>(irq, owner, name) }?;
        // SAFETY: The caller's promise for `napi`.
        Ok(unsafe { line.associate(napi) })
    }

    /// Requests the shared line `irq` as [`Line::request`] does (an INTx line), and reports
    /// it as `napi`'s line in netdev-genl as [`Line::request_for_napi`] does, without
    /// following its affinity: a line's affinity notifier is one for every device on it,
    /// and another device's would be replaced. So on a device whose core keeps the
    /// interrupts' affinity ([`crate::net::device::Registration::spread_irq_affinity`],
    /// or an ARFS map), which would install one, the line is requested but not reported.
    ///
    /// # Safety
    ///
    /// As [`Line::request_for_napi`].
    pub unsafe fn request_shared_for_napi<T: Sync, H: Handler<T>, P: Poll>(
        irq: u32,
        owner: &T,
        name: CString,
        napi: &Napi<P>,
    ) -> Result<Self> {
        // SAFETY: The caller's promise for `owner` is `request`'s.
        let line = unsafe { Self::request::<T, H>(irq, owner, name) }?;
        // SAFETY: `napi` is an added context (the caller's promise): its device is valid,
        // and the two flags are set before the device is registered, not changed after.
        let follows_affinity = unsafe {
            let dev = (*napi.as_raw()).dev;
            (*dev).irq_affinity_auto || (*dev).rx_cpu_rmap_auto
        };
        if follows_affinity {
            return Ok(line);
        }
        // SAFETY: The caller's promise for `napi`.
        Ok(unsafe { line.associate(napi) })
    }

    /// Associates the requested line with `napi` (`netif_napi_set_irq`), until dropped.
    ///
    /// # Safety
    ///
    /// `napi` is added to its device, stays at its address and is not removed nor dropped
    /// until `self` is dropped.
    unsafe fn associate<P: Poll>(mut self, napi: &Napi<P>) -> Self {
        let raw = napi.as_raw();
        // SAFETY: `raw` is an added context (the caller's promise); the call takes the
        // device's instance lock, and runs in process context as requesting did.
        unsafe { bindings::netif_napi_set_irq(raw, self.irq as c_int) };
        // INVARIANT: `raw` is associated with `irq` and stays valid until the line drops.
        self.napi = raw;
        self
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if !self.napi.is_null() {
            // SAFETY: `napi` is an added context, valid until now (type invariant). Unset,
            // it releases the affinity notifier of the line before the line is freed.
            unsafe { bindings::netif_napi_set_irq(self.napi, -1) };
        }
        // SAFETY: The line was requested with `cookie` (type invariant); `free_irq` waits for
        // a running handler, so none reads the owner afterwards.
        unsafe { bindings::free_irq(self.irq, self.cookie) };
    }
}

/// The C handler of lines of `H`.
///
/// # Safety
///
/// `cookie` is the `T` of a [`Line`] requested with `H` (the interrupt core passes it).
unsafe extern "C" fn handler<T: Sync, H: Handler<T>>(
    _irq: c_int,
    cookie: *mut c_void,
) -> bindings::irqreturn_t {
    // SAFETY: The owner outlives the line, which `Line::request`'s caller promised.
    let owner = unsafe { &*cookie.cast::<T>() };
    match H::handle(owner) {
        IrqReturn::None => bindings::irqreturn_t(bindings::irqreturn::IRQ_NONE.0),
        IrqReturn::Handled => bindings::irqreturn_t(bindings::irqreturn::IRQ_HANDLED.0),
    }
}
