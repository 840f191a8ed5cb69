// SPDX-License-Identifier: GPL-2.0

//! XDP: BPF programs run by a driver on each received frame, before any packet is built.
//!
//! A device keeps its program in a [`ProgramSlot`]: replaced under RTNL (`ndo_bpf`), read
//! by the NAPI poll under RCU. Each RX queue registers a [`RxQueueInfo`] naming its page
//! pool, so that frames passed on ([`Frame::into_skb`]) or redirected return their pages
//! there. A received page becomes a [`Frame`], which the program may rewrite, grow or
//! shrink; its [`Action`] then says where the frame goes.
//!
//! C headers: [`include/net/xdp.h`](srctree/include/net/xdp.h),
//! [`include/linux/filter.h`](srctree/include/linux/filter.h)

use crate::{
    bindings,
    device,
    error::to_result,
    net::{
        device::Device,
        napi::{
            private::Sealed,
            Receiving,
            SoftirqContext, //
        },
        page_pool::{
            PagePool,
            PoolPage, //
        },
        skb::{
            SkBuff,
            TxMapping, //
        },
    },
    page::PAGE_SIZE,
    prelude::*,
    sync::rcu,
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

/// XDP features a device advertises (`xdp_features`, as `ynl netdev dev-get` shows them).
pub mod features {
    /// `XDP_ABORTED`, `XDP_DROP`, `XDP_PASS` and `XDP_TX`.
    pub const BASIC: u32 = crate::bindings::netdev_xdp_act_NETDEV_XDP_ACT_BASIC;
    /// `XDP_REDIRECT` from this device's receive path.
    pub const REDIRECT: u32 = crate::bindings::netdev_xdp_act_NETDEV_XDP_ACT_REDIRECT;
    /// Transmits frames redirected to it (`ndo_xdp_xmit`).
    pub const NDO_XMIT: u32 = crate::bindings::netdev_xdp_act_NETDEV_XDP_ACT_NDO_XMIT;
}

/// A counted reference to a loaded BPF program. Dropping it puts the reference; the
/// program itself is freed after an RCU grace period once the last one goes.
///
/// # Invariants
///
/// `0` is a valid `struct bpf_prog` on which this value holds one reference.
pub struct BpfProgram(NonNull<bindings::bpf_prog>);

// SAFETY: A reference may be held and put from any thread.
unsafe impl Send for BpfProgram {}
// SAFETY: Shared access only reads the program.
unsafe impl Sync for BpfProgram {}

impl BpfProgram {
    /// Takes over a reference to `prog`, if not null.
    ///
    /// # Safety
    ///
    /// `prog` is null or a valid program on which the caller holds a reference that
    /// passes to the returned value.
    pub unsafe fn from_raw(prog: *mut bindings::bpf_prog) -> Option<Self> {
        NonNull::new(prog).map(Self)
    }

    fn into_raw(self) -> *mut bindings::bpf_prog {
        let prog = self.0.as_ptr();
        core::mem::forget(self);
        prog
    }
}

impl Drop for BpfProgram {
    fn drop(&mut self) {
        // SAFETY: This value holds one reference (type invariant).
        unsafe { bindings::bpf_prog_put(self.0.as_ptr()) }
    }
}

/// A BPF program borrowed for the length of an RCU read-side section.
#[repr(transparent)]
pub struct Program(Opaque<bindings::bpf_prog>);

impl Program {
    fn as_raw(&self) -> *mut bindings::bpf_prog {
        self.0.get()
    }

    /// Reports a frame the program aborted, or whose action the driver does not know or
    /// could not carry out (the `xdp:xdp_exception` tracepoint; an unknown action is also
    /// warned about once).
    pub fn report_exception(&self, dev: &Device, action: Action) {
        let code = action.code();
        if let Action::Unknown(_) = action {
            // SAFETY: `dev` and the program are valid; the call only logs.
            unsafe { bindings::bpf_warn_invalid_xdp_action(dev.as_raw(), self.as_raw(), code) };
        }
        // SAFETY: As above; the tracepoint only reads its arguments.
        unsafe { bindings::trace_xdp_exception(dev.as_raw(), self.as_raw(), code) };
    }
}

/// A device's XDP program: replaced under RTNL, read by the receive path under RCU.
pub struct ProgramSlot(AtomicPtr<bindings::bpf_prog>);

impl Default for ProgramSlot {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgramSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Installs `prog` (or none) and returns the program it replaces. Readers that still
    /// see the old program do so inside RCU read-side sections, which end before the old
    /// program is freed.
    pub fn replace(&self, prog: Option<BpfProgram>) -> Option<BpfProgram> {
        let new = prog.map_or(core::ptr::null_mut(), BpfProgram::into_raw);
        let old = self.0.swap(new, Ordering::AcqRel);
        // SAFETY: The slot held the reference it had taken over in an earlier `replace`.
        unsafe { BpfProgram::from_raw(old) }
    }

    /// The current program, valid while `_guard` is held.
    pub fn get<'a>(&self, _guard: &'a rcu::Guard) -> Option<&'a Program> {
        let prog = self.0.load(Ordering::Acquire);
        // SAFETY: A program seen here is freed no earlier than a grace period after it
        // leaves the slot, and `_guard` holds off that grace period.
        NonNull::new(prog).map(|p| unsafe { &*p.as_ptr().cast::<Program>() })
    }

    /// Whether a program is installed.
    pub fn is_set(&self) -> bool {
        !self.0.load(Ordering::Relaxed).is_null()
    }
}

impl Drop for ProgramSlot {
    fn drop(&mut self) {
        drop(self.replace(None));
    }
}

/// The XDP registration of one RX queue: its device, index and page pool.
///
/// # Invariants
///
/// `0` is registered with the device and a page pool memory model until dropped.
pub struct RxQueueInfo(Pin<KBox<Opaque<bindings::xdp_rxq_info>>>);

// SAFETY: The registration is only read by the datapath and unregistered once.
unsafe impl Send for RxQueueInfo {}
// SAFETY: See the `Send` implementation.
unsafe impl Sync for RxQueueInfo {}

impl RxQueueInfo {
    /// Registers RX queue `queue` of `dev`, whose buffers come from `pool`.
    pub fn new(dev: &Device, queue: u32, pool: &PagePool) -> Result<Self> {
        let info = KBox::pin(Opaque::<bindings::xdp_rxq_info>::zeroed(), GFP_KERNEL)?;
        // SAFETY: `info` is zeroed memory that does not move; the NAPI id is unused by the
        // core (XDP sockets read it from the NAPI context).
        to_result(unsafe { bindings::__xdp_rxq_info_reg(info.get(), dev.as_raw(), queue, 0, 0) })?;
        // SAFETY: `info` is registered; the pool is valid and the registration takes a
        // reference of its own, dropped when it is unregistered.
        let ret = unsafe {
            bindings::xdp_rxq_info_reg_mem_model(
                info.get(),
                bindings::xdp_mem_type_MEM_TYPE_PAGE_POOL,
                pool.as_raw().cast(),
            )
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: Registered above.
            unsafe { bindings::xdp_rxq_info_unreg(info.get()) };
            return Err(e);
        }
        Ok(Self(info))
    }

    fn as_raw(&self) -> *mut bindings::xdp_rxq_info {
        self.0.get()
    }
}

impl Drop for RxQueueInfo {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariant); this also drops the memory model's pool
        // reference.
        unsafe { bindings::xdp_rxq_info_unreg(self.as_raw()) }
    }
}

/// What a program decided for a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The program failed: drop the frame and report it.
    Aborted,
    /// Drop the frame.
    Drop,
    /// Build a packet from the (possibly rewritten) frame for the stack.
    Pass,
    /// Send the frame back out of the device it came in on.
    Tx,
    /// Hand the frame to the target the program chose ([`Frame::redirect`]).
    Redirect,
    /// An action this kernel does not define: drop the frame and report it.
    Unknown(u32),
}

impl Action {
    fn from_code(code: u32) -> Self {
        match code {
            bindings::xdp_action_XDP_ABORTED => Self::Aborted,
            bindings::xdp_action_XDP_DROP => Self::Drop,
            bindings::xdp_action_XDP_PASS => Self::Pass,
            bindings::xdp_action_XDP_TX => Self::Tx,
            bindings::xdp_action_XDP_REDIRECT => Self::Redirect,
            other => Self::Unknown(other),
        }
    }

    fn code(self) -> u32 {
        match self {
            Self::Aborted => bindings::xdp_action_XDP_ABORTED,
            Self::Drop => bindings::xdp_action_XDP_DROP,
            Self::Pass => bindings::xdp_action_XDP_PASS,
            Self::Tx => bindings::xdp_action_XDP_TX,
            Self::Redirect => bindings::xdp_action_XDP_REDIRECT,
            Self::Unknown(code) => code,
        }
    }
}

/// A received frame in a page pool page, as an XDP program sees it (NAPI context).
///
/// The whole page is the frame's buffer: the program may move the frame's start into the
/// headroom and its end up to the room a packet's shared info needs.
pub struct Frame<'a> {
    buff: bindings::xdp_buff,
    page: PoolPage,
    _queue: PhantomData<&'a RxQueueInfo>,
}

impl<'a> Frame<'a> {
    /// Makes `page`, which holds a frame of `len` bytes at `headroom`, a frame of `queue`.
    /// On failure (the frame and a packet's shared info do not fit the page) the page
    /// comes back.
    pub fn new(
        page: PoolPage,
        queue: &'a RxQueueInfo,
        headroom: u32,
        len: u32,
    ) -> core::result::Result<Self, PoolPage> {
        if headroom as usize + len as usize + SkBuff::shared_info_size() > PAGE_SIZE {
            return Err(page);
        }
        // SAFETY: All-zero is a valid `xdp_buff`; every field is set below.
        let mut buff: bindings::xdp_buff = unsafe { core::mem::zeroed() };
        // SAFETY: `queue` is registered; the page is a lowmem page owned by `page`, whose
        // `PAGE_SIZE` bytes hold the frame at `headroom` (checked above).
        unsafe {
            bindings::xdp_frame_init(
                &mut buff,
                queue.as_raw(),
                page.address().cast(),
                PAGE_SIZE as u32,
                headroom,
                len,
            )
        };
        Ok(Self {
            buff,
            page,
            _queue: PhantomData,
        })
    }

    /// Runs `prog` on the frame, in a poll proper (bottom halves off, an RCU read section).
    pub fn run(&mut self, prog: &Program, _rx: &Receiving<'_>) -> Action {
        // SAFETY: The buffer describes a frame in a page this value owns; the program is
        // valid for the RCU section the caller is in (NAPI runs with BHs off).
        Action::from_code(unsafe { bindings::bpf_prog_run_xdp(prog.as_raw(), &mut self.buff) })
    }

    /// Where the frame starts in its page, and its length, after the program ran.
    pub fn range(&self) -> (u32, u32) {
        let start = self.buff.data as usize - self.buff.data_hard_start as usize;
        let len = self.buff.data_end as usize - self.buff.data as usize;
        (start as u32, len as u32)
    }

    /// The page back, holding the frame at [`Frame::range`].
    pub fn into_page(self) -> PoolPage {
        self.page
    }

    /// Builds a packet from the frame (its metadata kept, its protocol set, recycling its
    /// page; its head from the NAPI per-CPU cache). On failure (no memory for the packet
    /// head) the page comes back.
    pub fn into_skb(self, _rx: &Receiving<'_>) -> core::result::Result<SkBuff, PoolPage> {
        // SAFETY: The buffer describes a frame of a registered page pool queue in a page
        // this value owns; on success the page passes to the packet.
        let skb = unsafe { bindings::xdp_build_skb_from_buff(&self.buff) };
        if skb.is_null() {
            return Err(self.page);
        }
        self.page.leak();
        // SAFETY: `skb` is a new packet this code owns.
        Ok(unsafe { SkBuff::from_raw(skb) })
    }

    /// Hands the frame to the target `prog` chose for it; call [`flush_redirects`] before
    /// the NAPI poll ends. On failure the page comes back.
    pub fn redirect(
        mut self,
        dev: &Device,
        prog: &Program,
        _rx: &Receiving<'_>,
    ) -> core::result::Result<(), PoolPage> {
        // SAFETY: `dev` received the frame, which `prog` just redirected (the target is in
        // per-CPU state); on success the page passes to the target.
        let ret = unsafe { bindings::xdp_do_redirect(dev.as_raw(), &mut self.buff, prog.as_raw()) };
        if ret != 0 {
            return Err(self.page);
        }
        self.page.leak();
        Ok(())
    }
}

/// Sends the frames this NAPI poll redirected on to their targets.
pub fn flush_redirects(_rx: &Receiving<'_>) {
    // SAFETY: A poll proper, as `_rx` proves: the frames pending are its own, if any.
    unsafe { bindings::xdp_do_flush() }
}

/// A frame an XDP program redirected to this device for transmission (`ndo_xdp_xmit`).
/// Dropping it returns it to its owner (`xdp_return_frame`), from any context.
///
/// # Invariants
///
/// `0` is a valid single-buffer `struct xdp_frame` this value owns.
pub struct RedirectedFrame(NonNull<bindings::xdp_frame>);

// SAFETY: An owned frame may be sent and returned from any thread.
unsafe impl Send for RedirectedFrame {}

impl RedirectedFrame {
    /// The frame's length in bytes.
    pub fn len(&self) -> u32 {
        // SAFETY: The frame is valid (type invariant).
        unsafe { (*self.0.as_ptr()).len }
    }

    /// Whether the frame is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Maps the frame for the device to read; unmap it before the frame is dropped.
    pub fn map(&self, dev: &device::Device<device::Bound>) -> Result<TxMapping> {
        // SAFETY: The frame's `len` bytes at `data` are owned by this value, which the caller
        // keeps until the mapping is released.
        unsafe { TxMapping::map_single(dev, (*self.0.as_ptr()).data, self.len()) }
    }
}

impl Drop for RedirectedFrame {
    fn drop(&mut self) {
        // SAFETY: This value owns the frame (type invariant).
        unsafe { bindings::xdp_return_frame(self.0.as_ptr()) }
    }
}

/// The frames of one `ndo_xdp_xmit` call. The driver takes them in order; those it does not
/// take go back to their owners through the caller.
pub struct XmitFrames<'a> {
    frames: &'a [*mut bindings::xdp_frame],
    taken: usize,
}

/// Proof of an `ndo_xdp_xmit` call, for as long as it lasts: bottom halves are off
/// ([`XmitFrames::context`]).
#[derive(Clone, Copy)]
pub struct XmitContext<'a>(PhantomData<(&'a (), *mut ())>);

impl Sealed for XmitContext<'_> {}
impl SoftirqContext for XmitContext<'_> {}

impl<'a> XmitFrames<'a> {
    /// The proof of the call's context, which outlives borrows of the frames.
    #[inline]
    pub fn context(&self) -> XmitContext<'a> {
        XmitContext(PhantomData)
    }

    /// # Safety
    ///
    /// Each entry of `frames` is a valid frame whose ownership passes to the driver if it is
    /// taken; the caller frees those not taken. Bottom halves are off (`ndo_xdp_xmit` runs
    /// from the XDP core's flush, in softirq context): the value proves it.
    pub(crate) unsafe fn new(frames: &'a [*mut bindings::xdp_frame]) -> Self {
        Self { frames, taken: 0 }
    }

    /// The next frame, or `None` at the end or at a frame in several buffers (not
    /// supported: it and the rest stay with the caller).
    pub fn take(&mut self) -> Option<RedirectedFrame> {
        let frame = NonNull::new(*self.frames.get(self.taken)?)?;
        // SAFETY: `frame` is valid (see `new`).
        if unsafe { (*frame.as_ptr()).flags } & bindings::xdp_buff_flags_XDP_FLAGS_HAS_FRAGS != 0 {
            return None;
        }
        self.taken += 1;
        Some(RedirectedFrame(frame))
    }

    /// Gives back the frame [`XmitFrames::take`] returned last (no room for it): it goes back
    /// to its owner with the rest.
    pub fn give_back(&mut self, frame: RedirectedFrame) {
        let last = self.taken.checked_sub(1).and_then(|i| self.frames.get(i));
        if last == Some(&frame.0.as_ptr()) {
            self.taken -= 1;
            core::mem::forget(frame);
        }
        // Any other frame is simply returned by its drop.
    }

    /// How many frames the driver took.
    pub fn taken(&self) -> usize {
        self.taken
    }
}
