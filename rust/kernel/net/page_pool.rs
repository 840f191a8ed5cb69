// SPDX-License-Identifier: GPL-2.0

//! Page pools: DMA-mapped, recycled receive buffers.
//!
//! C header: [`include/net/page_pool/helpers.h`](srctree/include/net/page_pool/helpers.h)

use crate::{
    bindings,
    device,
    dma::DmaAddress,
    error::from_err_ptr,
    net::{
        device::Device,
        napi::{
            Napi,
            NapiOff,
            NapiOwner,
            Poll,
            Receiving, //
        },
        skb::SkBuff,
    },
    page::PAGE_SIZE,
    prelude::*, //
};
use core::ptr::NonNull;

/// A page pool for one RX queue, of its device (so `ynl page-pool-get` reports it), handed
/// to its NAPI context once that context is stopped ([`PagePool::hand_to`]).
///
/// # Invariants
///
/// `0` is a pool created by `page_pool_create` and not destroyed yet.
pub struct PagePool(NonNull<bindings::page_pool>);

// SAFETY: Allocation happens from the owning NAPI context; recycling and destruction are safe
// from any thread.
unsafe impl Send for PagePool {}
// SAFETY: See the `Send` implementation.
unsafe impl Sync for PagePool {}

impl PagePool {
    /// Creates a pool of order-0 pages mapped for the device to write, synced for the device
    /// over `max_len` bytes from `offset`. With `device_sends`, pages are mapped both ways,
    /// so that a received page can be sent as it is (`XDP_TX`).
    ///
    /// The pool belongs to no NAPI context yet: nothing allocates from it before
    /// [`PagePool::hand_to`], and it may be dropped while every context runs (a pool bound
    /// to a running context warns when destroyed). So a driver can make the pools of new
    /// rings while the old ones still run, and drop them if the change fails.
    pub fn new_for_rx(
        dmadev: &device::Device<device::Bound>,
        netdev: &Device,
        queue: u32,
        pool_size: u32,
        offset: u32,
        max_len: u32,
        device_sends: bool,
    ) -> Result<Self> {
        // SAFETY: The pointers are valid; a null NAPI context leaves the pool unbound.
        let pool = from_err_ptr(unsafe {
            bindings::page_pool_create_for_rx(
                dmadev.as_raw(),
                core::ptr::null_mut(),
                netdev.as_raw(),
                queue,
                pool_size,
                offset,
                max_len,
                device_sends,
            )
        })?;
        Ok(Self(NonNull::new(pool).ok_or(ENOMEM)?))
    }

    /// Creates a pool of order-0 pages for a software device: plain memory, no DMA.
    pub fn new_for_cpu<T: Poll>(
        napi: &Napi<T>,
        netdev: &Device,
        queue: u32,
        pool_size: u32,
    ) -> Result<Self> {
        // SAFETY: A null DMA device selects a pool without DMA mapping; the other pointers
        // are valid and the NAPI context outlives the pool.
        let pool = from_err_ptr(unsafe {
            bindings::page_pool_create_for_rx(
                core::ptr::null_mut(),
                napi.raw_ptr(),
                netdev.as_raw(),
                queue,
                pool_size,
                0,
                PAGE_SIZE as u32,
                false,
            )
        })?;
        Ok(Self(NonNull::new(pool).ok_or(ENOMEM)?))
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::page_pool {
        self.0.as_ptr()
    }

    /// Hands the pool to the NAPI context `off` proves stopped: from now on that context
    /// allocates from it and recycles into its cache without locks
    /// (`page_pool_enable_direct_recycling`; process context). A pool belongs to one
    /// context for its life: handed again to it, nothing changes; to another, `EBUSY`.
    ///
    /// # Safety
    ///
    /// The pool is dropped before the context `off` proves stopped is deleted
    /// ([`super::napi::Napi::remove`] or its drop): destroying the pool reads the context.
    pub unsafe fn hand_to(&self, off: &NapiOff) -> Result {
        let napi = self.napi();
        if napi.is_null() {
            // SAFETY: The pool is valid by the type invariant; `off` proves its context
            // stopped, so no poll of it races the hand-over; the caller keeps the context
            // alive for as long as the pool.
            unsafe { bindings::page_pool_enable_direct_recycling(self.0.as_ptr(), off.as_raw()) };
            Ok(())
        } else if off.is(napi) {
            Ok(())
        } else {
            Err(EBUSY)
        }
    }

    /// The NAPI context the pool belongs to (null once the pool is being destroyed).
    #[inline]
    fn napi(&self) -> *const bindings::napi_struct {
        pool_napi(self.0)
    }

    /// Takes a page from the pool, in a poll proper of the pool's NAPI context or with that
    /// context disabled, as `owner` proves: the pool's cache has no lock, and its context's
    /// poll is its one user. `None` when memory is short, or if `owner` proves it of
    /// another context.
    #[inline]
    pub fn alloc(&self, owner: &impl NapiOwner) -> Option<PoolPage> {
        if !owner.owns(self.napi()) {
            return None;
        }
        self.alloc_unchecked()
    }

    #[inline]
    fn alloc_unchecked(&self) -> Option<PoolPage> {
        // SAFETY: The pool is valid by the type invariant; the callers prove that no other
        // context uses its cache (the proofs are neither `Send` nor `Sync`, so one thread
        // at a time holds one).
        let page = NonNull::new(unsafe { bindings::page_pool_dev_alloc_page(self.0.as_ptr()) })?;
        Some(PoolPage { page, pool: self.0 })
    }
}

impl Drop for PagePool {
    fn drop(&mut self) {
        // SAFETY: The pool is valid; pages still in flight keep its memory until returned.
        unsafe { bindings::page_pool_destroy(self.0.as_ptr()) }
    }
}

/// The NAPI context `pool` belongs to, read once: `page_pool_destroy()` clears it
/// (`WRITE_ONCE`) while pages may still be returned from elsewhere.
#[inline]
fn pool_napi(pool: NonNull<bindings::page_pool>) -> *const bindings::napi_struct {
    // SAFETY: `pool` is a valid pool (its pages keep it allocated); the field is read as
    // `READ_ONCE` would.
    unsafe { core::ptr::read_volatile(&raw const (*pool.as_ptr()).p.napi) }.cast_const()
}

/// A page owned by the driver, from a [`PagePool`]. Dropping it returns it to the pool.
///
/// # Invariants
///
/// `page` came from `pool`, which stays allocated while pages are out.
pub struct PoolPage {
    page: NonNull<bindings::page>,
    pool: NonNull<bindings::page_pool>,
}

// SAFETY: A page may be handed between threads; returning it is thread-safe.
unsafe impl Send for PoolPage {}
// SAFETY: Shared references only read the DMA address.
unsafe impl Sync for PoolPage {}

impl PoolPage {
    /// The bus address of the page's first byte.
    pub fn dma_address(&self) -> DmaAddress {
        // SAFETY: The page is a mapped page_pool page.
        unsafe { bindings::page_pool_get_dma_addr(self.page.as_ptr()) }
    }

    /// The page's kernel address.
    pub(crate) fn address(&self) -> *mut u8 {
        // SAFETY: The page is a lowmem page_pool page.
        unsafe { bindings::page_address(self.page.as_ptr()) }.cast::<u8>()
    }

    /// Forgets the page: its ownership has passed to a packet or an XDP target.
    pub(crate) fn leak(self) {
        core::mem::forget(self);
    }

    /// Copies `data` into the page at `offset` (software devices).
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result {
        let end = offset.checked_add(data.len()).ok_or(EINVAL)?;
        if end > PAGE_SIZE {
            return Err(EINVAL);
        }
        // SAFETY: The page is a lowmem page owned by `self`; `offset..end` is within it.
        unsafe {
            let va = bindings::page_address(self.page.as_ptr()).cast::<u8>();
            core::ptr::copy_nonoverlapping(data.as_ptr(), va.add(offset), data.len());
        }
        Ok(())
    }

    /// Makes `len` bytes at `offset` (from the page's start) written by the device visible
    /// to the CPU.
    pub fn sync_for_cpu(&self, offset: u32, len: u32) {
        let Some(len) = Self::within_page(offset, len) else {
            return;
        };
        // SAFETY: The page belongs to `pool` (type invariant); the helper syncs only pages
        // the pool mapped; the range lies within the page.
        unsafe {
            bindings::page_pool_sync_for_cpu(self.pool.as_ptr(), self.page.as_ptr(), offset, len)
        }
    }

    /// Makes `len` bytes at `offset` (from the page's start) written by the CPU visible to
    /// the device (a pool made with `device_sends`), before the device sends them.
    pub fn sync_for_device(&self, offset: u32, len: u32) {
        let Some(len) = Self::within_page(offset, len) else {
            return;
        };
        // SAFETY: The page belongs to `pool` (type invariant); the helper syncs only pages
        // the pool mapped; the range lies within the page.
        unsafe {
            bindings::page_pool_sync_for_device(self.pool.as_ptr(), self.page.as_ptr(), offset, len)
        }
    }

    /// `len` cut to the page's end from `offset`; `None` if `offset` is beyond it.
    fn within_page(offset: u32, len: u32) -> Option<u32> {
        let room = (PAGE_SIZE as u32).checked_sub(offset)?;
        Some(len.min(room))
    }

    /// Returns the page to its pool from a NAPI poll proper: straight into the pool's cache
    /// from its own context's poll, else through its ring (another context's poll).
    #[inline]
    pub fn recycle_in_napi(self, rx: &Receiving<'_>) {
        let own = rx.owns(pool_napi(self.pool));
        // SAFETY: The page came from `pool`; direct recycling (into the pool's lockless
        // cache) only from its own NAPI poll proper, as checked above.
        unsafe { bindings::page_pool_put_full_page(self.pool.as_ptr(), self.page.as_ptr(), own) };
        core::mem::forget(self);
    }

    /// Turns the page into a packet of `len` bytes at `headroom` (its head from the NAPI
    /// per-CPU cache, which `_rx` proves usable).
    ///
    /// On failure (no memory for the packet head) the page comes back.
    pub fn into_skb(
        self,
        headroom: u32,
        len: u32,
        _rx: &Receiving<'_>,
    ) -> core::result::Result<SkBuff, Self> {
        if headroom as usize + len as usize + SkBuff::shared_info_size() > PAGE_SIZE {
            return Err(self);
        }
        let data = self.address();
        // SAFETY: The whole page becomes the packet's buffer; the size check above
        // guarantees the frame and the shared info fit.
        match unsafe { SkBuff::build_from_pool(data, PAGE_SIZE as u32, headroom, len) } {
            Some(skb) => {
                core::mem::forget(self);
                Ok(skb)
            }
            None => Err(self),
        }
    }
}

impl PoolPage {
    /// Appends `len` bytes at `offset` of the page to `skb` as a fragment (NAPI context).
    ///
    /// `skb` must have been built by [`PoolPage::into_skb`] (so it recycles its pages). When
    /// the packet has no room for another fragment, the page comes back.
    pub fn append_to(
        self,
        skb: &mut SkBuff,
        offset: u32,
        len: u32,
    ) -> core::result::Result<(), Self> {
        if offset as usize + len as usize > PAGE_SIZE {
            return Err(self);
        }
        // SAFETY: `skb` is a valid owned packet; the page and its `len` bytes at `offset`
        // pass to it; the page is a page_pool page and the packet recycles.
        let added = unsafe {
            bindings::skb_append_rx_frag(
                skb.as_raw(),
                self.page.as_ptr(),
                offset,
                len,
                PAGE_SIZE as u32,
            )
        };
        if added {
            core::mem::forget(self);
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl Drop for PoolPage {
    fn drop(&mut self) {
        // SAFETY: The page came from `pool` (type invariant); not from NAPI context
        // necessarily, so no direct recycling.
        unsafe { bindings::page_pool_put_full_page(self.pool.as_ptr(), self.page.as_ptr(), false) }
    }
}
