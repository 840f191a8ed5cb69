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

/// A requested shared interrupt line, freed when dropped.
///
/// # Invariants
///
/// `irq` is requested with `cookie` as its `dev_id` and `_name` as its name.
pub struct Line {
    irq: u32,
    cookie: *mut c_void,
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
        let cookie = core::ptr::from_ref(owner).cast_mut().cast();
        // SAFETY: `handler::<T, H>` reads `cookie` as the `T` it is, which the caller keeps
        // valid while requested; `name`'s buffer is kept in the line, freed after `free_irq`.
        to_result(unsafe {
            bindings::request_threaded_irq(
                irq,
                Some(handler::<T, H>),
                None,
                bindings::IRQF_SHARED as usize,
                name.as_char_ptr(),
                cookie,
            )
        })?;
        Ok(Self {
            irq,
            cookie,
            _name: name,
        })
    }
}

impl Drop for Line {
    fn drop(&mut self) {
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
