// SPDX-License-Identifier: GPL-2.0

//! Socket buffers (`struct sk_buff`) as owned packets.
//!
//! A [`SkBuff`] must be handed back with the call that fits the context and its fate: a
//! packet sent or delivered with [`SkBuff::consume_in_napi`] from a NAPI poll or
//! [`SkBuff::consume_any`] elsewhere, or passed to the stack (GRO); a packet lost with
//! [`SkBuff::drop_any`] (or [`SkBuff::free_any`], a drop without a reason), which drop
//! monitors report. Dropping one implicitly is a bug: it warns once, then frees safely.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use crate::{
    bindings,
    device,
    dma::DmaAddress,
    error::to_result,
    net::{
        device::Device,
        napi::Polling, //
    },
    prelude::*,
    types::Opaque, //
};
use core::ptr::NonNull;

/// The result of a per-packet mapping helper (0 or a negative errno), checked in line:
/// [`to_result`] is a call across crates, once per mapped piece.
#[inline(always)]
fn mapped(ret: c_int) -> Result {
    if ret == 0 {
        Ok(())
    } else {
        Err(Error::from_errno(ret))
    }
}

/// What a received frame's flow hash covers ([`SkBuff::set_hash`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashType {
    /// The IP addresses only.
    L3,
    /// The IP addresses and the TCP or UDP ports: one value per connection.
    L4,
}

/// An owned packet.
///
/// # Invariants
///
/// `0` points to a valid `struct sk_buff` this value owns.
pub struct SkBuff(NonNull<bindings::sk_buff>);

// SAFETY: An owned `sk_buff` may move between threads.
unsafe impl Send for SkBuff {}

impl SkBuff {
    /// Takes ownership of a raw `sk_buff`.
    ///
    /// # Safety
    ///
    /// `skb` is a valid `sk_buff` whose ownership passes to the returned value.
    pub unsafe fn from_raw(skb: *mut bindings::sk_buff) -> Self {
        // SAFETY: The caller guarantees `skb` is valid, hence non-null.
        Self(unsafe { NonNull::new_unchecked(skb) })
    }

    /// Gives up ownership, returning the raw pointer.
    pub fn into_raw(self) -> *mut bindings::sk_buff {
        let ptr = self.0.as_ptr();
        core::mem::forget(self);
        ptr
    }

    #[inline]
    pub(crate) fn as_raw(&self) -> *mut bindings::sk_buff {
        self.0.as_ptr()
    }

    /// Returns the packet length in bytes (head and fragments).
    #[inline]
    pub fn len(&self) -> u32 {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        unsafe { (*self.as_raw()).len }
    }

    /// Returns whether the packet is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the length of the linear part.
    #[inline]
    pub fn head_len(&self) -> u32 {
        // SAFETY: `self.as_raw()` is valid by the type invariant (`skb_headlen()`; `data_len`
        // is at most `len`, and wraps as C's unsigned subtraction would if it were not).
        unsafe { (*self.as_raw()).len.wrapping_sub((*self.as_raw()).data_len) }
    }

    /// What transmit needs to know of the packet, read at once.
    #[inline]
    pub fn tx_info(&self) -> TxInfo {
        // SAFETY: `self.as_raw()` is valid by the type invariant, and the packet is ours: its
        // fields and its shared info's (shared with clones, which leave them as they are)
        // change only through `&mut self`.
        unsafe { tx_info(self.as_raw()) }
    }

    /// The TX queue the stack picked for the packet (`skb_get_queue_mapping()`).
    #[inline]
    pub fn queue_mapping(&self) -> u16 {
        // SAFETY: `self.as_raw()` is valid by the type invariant; a plain integer field.
        unsafe { (*self.as_raw()).queue_mapping }
    }

    /// Records the RX queue the packet was received on (`skb_record_rx_queue()`), for RPS
    /// maps, XPS by RX queue and packet fanout by queue.
    #[inline]
    pub fn record_rx_queue(&mut self, queue: u16) {
        // SAFETY: `self.as_raw()` is valid and the packet ours (`&mut self`); a plain integer
        // field, where 0 means none and a queue is stored plus one.
        unsafe { (*self.as_raw()).queue_mapping = queue.wrapping_add(1) };
    }

    /// Computes the checksum the stack asked the hardware for (`CHECKSUM_PARTIAL`) in
    /// software, for a packet whose offsets the hardware cannot be given.
    pub fn checksum_help(&mut self) -> Result {
        // SAFETY: `self.as_raw()` is valid and owned.
        to_result(unsafe { bindings::skb_checksum_help(self.as_raw()) })
    }

    /// The bytes of the linear part.
    pub fn linear_data(&self) -> &[u8] {
        // SAFETY: `data` points to `head_len()` initialised bytes owned by the packet,
        // which `self` keeps alive and unchanged while borrowed.
        unsafe {
            core::slice::from_raw_parts(
                (*self.as_raw()).data.cast::<u8>(),
                self.head_len() as usize,
            )
        }
    }

    /// Returns whether all data is in the linear part.
    pub fn is_linear(&self) -> bool {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        unsafe { (*self.as_raw()).data_len == 0 }
    }

    /// Copies all fragments into the linear part (may allocate, atomic context safe).
    pub fn linearize(&mut self) -> Result {
        // SAFETY: `self.as_raw()` is valid and owned.
        to_result(unsafe { bindings::skb_linearize(self.as_raw()) })
    }

    /// Maps the linear part for the device to read (TX).
    #[inline]
    pub fn map_head(&self, dev: &device::Device<device::Bound>) -> Result<TxMapping> {
        let mut addr = 0;
        // SAFETY: `dev` and `self.as_raw()` are valid; `addr` is valid for writes.
        mapped(unsafe { bindings::skb_dma_map_head(dev.as_raw(), self.as_raw(), &mut addr) })?;
        // The linear part stays allocated and unchanged while the mapping exists: the
        // caller keeps the packet until it unmaps it.
        Ok(TxMapping {
            addr,
            len: self.head_len(),
        })
    }

    /// Returns the number of page fragments after the linear part.
    pub fn fragments(&self) -> u32 {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        unsafe { bindings::skb_nr_frags(self.as_raw()) }
    }

    /// Maps page fragment `index` for the device to read (TX).
    pub fn map_fragment(
        &self,
        dev: &device::Device<device::Bound>,
        index: u32,
    ) -> Result<TxMapping> {
        if index >= self.fragments() {
            return Err(EINVAL);
        }
        let (mut addr, mut len) = (0, 0u32);
        // SAFETY: `index` is a valid fragment of this packet, which outlives the mapping;
        // `addr` and `len` are valid for writes.
        mapped(unsafe {
            bindings::skb_frag_dma_map_nth(dev.as_raw(), self.as_raw(), index, &mut addr, &mut len)
        })?;
        Ok(TxMapping { addr, len })
    }

    /// Records the 802.1Q tag (TCI) the hardware stripped from a received frame.
    pub fn set_rx_vlan_tag(&mut self, tci: u16) {
        // SAFETY: `self.as_raw()` is valid and owned.
        unsafe { bindings::skb_set_rx_vlan_tci(self.as_raw(), tci) }
    }

    /// Readies a TCP segmentation offload packet for the hardware and returns its
    /// parameters; `None` for a packet that is not segmented. The IP length (and IPv4
    /// header checksum) are zeroed and the TCP checksum seeded with the pseudo-header sum,
    /// as hardware that rewrites them per segment expects. Call before mapping the packet:
    /// the headers may be copied.
    pub fn prepare_tso(&mut self) -> Result<Option<TxTso>> {
        let (mut mss, mut header_len, mut network, mut transport, mut segments) = (0, 0, 0, 0, 0);
        let mut ipv6 = false;
        // SAFETY: `self.as_raw()` is valid and owned; the outputs are valid for writes.
        let ret = unsafe {
            bindings::skb_tso_prepare(
                self.as_raw(),
                &mut mss,
                &mut header_len,
                &mut network,
                &mut transport,
                &mut segments,
                &mut ipv6,
            )
        };
        to_result(ret)?;
        if ret == 0 {
            return Ok(None);
        }
        Ok(Some(TxTso {
            mss,
            header_len,
            network_offset: network,
            transport_offset: transport,
            segments,
            ipv6,
        }))
    }

    /// Sets the protocol from the Ethernet header and pulls it (RX).
    pub fn set_protocol_from_ethernet(&mut self, dev: &Device) {
        // SAFETY: The packet is valid and starts with an Ethernet header of a received frame.
        unsafe { bindings::skb_set_protocol_eth(self.as_raw(), dev.as_raw()) };
    }

    /// Marks the IP/L4 checksum as verified by the hardware.
    pub fn set_checksum_unnecessary(&mut self) {
        // SAFETY: `self.as_raw()` is valid and owned.
        unsafe { bindings::skb_set_checksum_unnecessary(self.as_raw()) };
    }

    /// Records the flow hash the hardware computed for a received frame (the stack then
    /// does not compute its own, e.g. for RPS).
    #[inline]
    pub fn set_hash(&mut self, hash: u32, kind: HashType) {
        let kind = match kind {
            HashType::L3 => bindings::pkt_hash_types_PKT_HASH_TYPE_L3,
            HashType::L4 => bindings::pkt_hash_types_PKT_HASH_TYPE_L4,
        };
        // SAFETY: `self.as_raw()` is valid and owned.
        unsafe { bindings::skb_set_hash(self.as_raw(), hash, kind) };
    }

    /// Bytes a packet's buffer keeps after its data for the shared info (fragments).
    pub fn shared_info_size() -> usize {
        let size = core::mem::size_of::<bindings::skb_shared_info>() as u32;
        // SAFETY: Pure computation.
        unsafe { bindings::skb_data_align(size) as usize }
    }

    /// Frees the packet from a NAPI poll (into the per-CPU cache, but from netpoll).
    #[inline]
    pub fn consume_in_napi(self, poll: &Polling<'_>) {
        // SAFETY: We own the packet; `poll` proves NAPI context, and `napi_consume_skb`
        // frees as from anywhere with netpoll's budget of 0.
        unsafe { bindings::napi_consume_skb(self.into_raw(), poll.budget()) }
    }

    /// Frees the packet from any context (hard IRQ, softirq, process) as a drop without a
    /// reason (`dev_kfree_skb_any`): for a packet lost. [`SkBuff::drop_any`] names why.
    pub fn free_any(self) {
        // SAFETY: We own the packet.
        unsafe { bindings::dev_kfree_skb_any(self.into_raw()) }
    }

    /// Drops the packet from any context, with the reason drop monitors report (the
    /// `skb:kfree_skb` tracepoint): for a packet lost, not one delivered or sent.
    pub fn drop_any(self, reason: DropReason) {
        // SAFETY: We own the packet; the reason is one of the kernel's. In hard IRQ context
        // or with IRQs off the kernel defers the free to its TX softirq.
        unsafe { bindings::dev_kfree_skb_any_reason(self.into_raw(), reason.as_raw()) }
    }

    /// Frees a packet sent or delivered, from any context (`dev_consume_skb_any`): drop
    /// monitors do not count it.
    pub fn consume_any(self) {
        // SAFETY: We own the packet; as in `drop_any`, any context.
        unsafe {
            bindings::dev_kfree_skb_any_reason(
                self.into_raw(),
                bindings::skb_drop_reason_SKB_CONSUMED,
            )
        }
    }

    /// Builds a packet around a page_pool buffer of `truesize` bytes at `data`, with
    /// `headroom` bytes before the frame and `len` bytes of frame (RX, NAPI context).
    ///
    /// # Safety
    ///
    /// `data` points to a buffer of `truesize` bytes from a page_pool page whose ownership
    /// passes to the packet, and `headroom + len` plus the shared info fit in `truesize`.
    pub(crate) unsafe fn build_from_pool(
        data: *mut u8,
        truesize: u32,
        headroom: u32,
        len: u32,
    ) -> Option<Self> {
        // SAFETY: Per the safety requirement (the helper reserves `headroom` and puts `len`).
        let skb = unsafe { bindings::napi_build_pool_skb(data.cast(), truesize, headroom, len) };
        NonNull::new(skb).map(Self)
    }
}

/// Reads what transmit needs to know of `skb` at once, from its fields: the xmit path
/// reads this for every packet, and a helper call costs more than the reads. Fields are
/// read through the raw pointer, making no reference to what other CPUs may change (the
/// reference count, the shared info's data reference count).
///
/// # Safety
///
/// `skb` points to a valid `sk_buff` whose header fields and shared info's fragment count
/// and GSO size are not changed during the call (the caller owns the packet, or borrows
/// it from the stack unchanged).
#[inline]
unsafe fn tx_info(skb: *const bindings::sk_buff) -> TxInfo {
    // SAFETY: `skb` is valid for reads, as the caller guarantees; these are plain fields.
    let (data, head) = unsafe { ((*skb).data, (*skb).head) };
    // SAFETY: As above. `__bindgen_anon_4` is `struct_group(headers, ..)`: a union of the
    // anonymous struct read here and a named copy of the same layout, both at offset 0;
    // nothing in the group changes during the call (the caller's guarantee).
    let headers = unsafe { (*skb).__bindgen_anon_4.__bindgen_anon_1.as_ref() };
    // `skb_checksum_start_offset()`: from `data`, which lies in the buffer from `head`.
    let headroom = (data as usize).wrapping_sub(head as usize);
    let checksum = (u32::from(headers.ip_summed()) == bindings::CHECKSUM_PARTIAL).then(|| {
        // SAFETY: Both members of the union are plain integers: any bits are valid. With
        // `CHECKSUM_PARTIAL` they hold the start and offset.
        let fields = unsafe { headers.__bindgen_anon_1.__bindgen_anon_1 };
        TxChecksum {
            start: u32::from(fields.csum_start.wrapping_sub(headroom as u16)),
            offset: u32::from(fields.csum_offset),
        }
    });
    // `skb_vlan_tag_present()`, `skb_vlan_tag_get()`.
    // SAFETY: `vlan_all` overlays the protocol and tag, plain integers: any bits are valid.
    let (vlan_all, tag) = unsafe {
        (
            headers.__bindgen_anon_2.vlan_all,
            headers.__bindgen_anon_2.__bindgen_anon_1.vlan_tci,
        )
    };
    // `skb_shinfo()`: at `skb_end_pointer()`, which 64-bit kernels keep as an offset from
    // `head` (`NET_SKBUFF_DATA_USES_OFFSET`) and others as a pointer.
    // SAFETY: `skb` is valid for reads, as above.
    let end = unsafe { (*skb).end };
    #[cfg(CONFIG_64BIT)]
    let shared = head.wrapping_add(end as usize);
    #[cfg(not(CONFIG_64BIT))]
    let shared = end;
    let shared = shared.cast::<bindings::skb_shared_info>();
    // SAFETY: Every packet's buffer holds its shared info at its end pointer, aligned
    // (`SKB_DATA_ALIGN`); the two fields read are the caller's to keep unchanged.
    let (fragments, gso_size) = unsafe { ((*shared).nr_frags, (*shared).gso_size) };
    TxInfo {
        checksum,
        vlan: (vlan_all != 0).then_some(tag),
        fragments: u32::from(fragments),
        segmented: gso_size != 0,
    }
}

/// Why a driver dropped a packet (`enum skb_drop_reason`), as drop monitors report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// No reason more precise applies (a frame the device flagged bad, say).
    NotSpecified,
    /// What the device wrote of the packet (its descriptor) makes no sense.
    DeviceHeader,
    /// Longer than the receiver takes.
    TooBig,
    /// No memory for it.
    NoMemory,
    /// Its checksum could not be computed in software.
    Checksum,
}

impl DropReason {
    fn as_raw(self) -> bindings::skb_drop_reason {
        match self {
            Self::NotSpecified => bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            Self::DeviceHeader => bindings::skb_drop_reason_SKB_DROP_REASON_DEV_HDR,
            Self::TooBig => bindings::skb_drop_reason_SKB_DROP_REASON_PKT_TOO_BIG,
            Self::NoMemory => bindings::skb_drop_reason_SKB_DROP_REASON_NOMEM,
            Self::Checksum => bindings::skb_drop_reason_SKB_DROP_REASON_SKB_CSUM,
        }
    }
}

/// A packet the stack owns and lends for the length of a call (`ndo_features_check`): it
/// can be inspected, not kept, freed or mapped.
///
/// # Invariants
///
/// `0` is a valid `struct sk_buff` that stays unchanged while the reference lives.
#[repr(transparent)]
pub struct SkBuffRef(Opaque<bindings::sk_buff>);

impl SkBuffRef {
    /// Borrows a packet the stack owns.
    ///
    /// # Safety
    ///
    /// `skb` is a valid `sk_buff` that no one changes or frees for `'a`.
    pub(crate) unsafe fn from_raw<'a>(skb: *mut bindings::sk_buff) -> &'a Self {
        // SAFETY: `SkBuffRef` is a transparent wrapper of `sk_buff`; validity for `'a` is
        // the caller's guarantee.
        unsafe { &*skb.cast::<Self>() }
    }

    /// What transmit needs to know of the packet, read at once.
    #[inline]
    pub fn tx_info(&self) -> TxInfo {
        // SAFETY: Valid and unchanged while borrowed (type invariant).
        unsafe { tx_info(self.0.get()) }
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        crate::warn_on!(true);
        // SAFETY: We own the packet; `dev_kfree_skb_any` is safe in any context.
        unsafe { bindings::dev_kfree_skb_any(self.as_raw()) }
    }
}

/// What [`SkBuff::tx_info`] reads of a packet to transmit.
#[derive(Clone, Copy, Debug)]
pub struct TxInfo {
    /// The checksum the stack asks the hardware to insert (`CHECKSUM_PARTIAL`), if any.
    pub checksum: Option<TxChecksum>,
    /// The 802.1Q tag (TCI) the stack asks the hardware to insert, if any.
    pub vlan: Option<u16>,
    /// Page fragments after the linear part.
    pub fragments: u32,
    /// The packet is to be segmented (GSO): see [`SkBuff::prepare_tso`].
    pub segmented: bool,
}

/// A checksum to insert on transmit: computed from `start` (bytes from the frame's first
/// byte) to the end, stored at `start + offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxChecksum {
    /// Where the checksummed data starts.
    pub start: u32,
    /// Where the checksum goes, from `start`.
    pub offset: u32,
}

/// A TCP packet the hardware is to cut into segments of `mss` payload bytes, each sent with
/// a copy of the first `header_len` bytes (Ethernet, IP and TCP headers) fixed up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxTso {
    /// Payload bytes per segment.
    pub mss: u32,
    /// Bytes of headers, from the frame's first byte to the end of the TCP header.
    pub header_len: u32,
    /// Where the IP header starts.
    pub network_offset: u32,
    /// Where the TCP header starts.
    pub transport_offset: u32,
    /// Frames on the wire.
    pub segments: u32,
    /// IPv6 (no header checksum) rather than IPv4.
    pub ipv6: bool,
}

/// A DMA mapping of a packet's linear part or of one of its fragments, for transmit; unmap
/// it with [`TxMapping::unmap`] once the device is done.
pub struct TxMapping {
    addr: DmaAddress,
    len: u32,
}

impl TxMapping {
    /// Maps `len` bytes at `data` for the device to read.
    ///
    /// # Safety
    ///
    /// `data` points to `len` bytes of kernel memory that stay allocated and unchanged until
    /// the mapping is released with [`TxMapping::unmap`].
    pub(crate) unsafe fn map_single(
        dev: &device::Device<device::Bound>,
        data: *mut c_void,
        len: u32,
    ) -> Result<Self> {
        // SAFETY: Per the safety requirement.
        let addr = unsafe {
            bindings::dma_map_single_attrs(
                dev.as_raw(),
                data,
                len as usize,
                bindings::dma_data_direction::DMA_TO_DEVICE,
                0,
            )
        };
        // SAFETY: `addr` and `len` are a single mapping just made for `dev`.
        unsafe { Self::checked(dev, addr, len) }
    }

    /// Takes ownership of a mapping just made, unless the mapping failed (`ENOMEM`).
    ///
    /// # Safety
    ///
    /// `addr` was returned for `len` bytes by a `DMA_TO_DEVICE` mapping call for `dev`
    /// (`dma_map_page_attrs` or one built on it).
    unsafe fn checked(
        dev: &device::Device<device::Bound>,
        addr: DmaAddress,
        len: u32,
    ) -> Result<Self> {
        // SAFETY: `addr` was returned by a mapping call for `dev`.
        if unsafe { bindings::dma_mapping_error(dev.as_raw(), addr) } != 0 {
            return Err(ENOMEM);
        }
        Ok(Self { addr, len })
    }

    /// The bus address the device reads from.
    #[inline]
    pub fn address(&self) -> DmaAddress {
        self.addr
    }

    /// The mapped length in bytes.
    #[inline]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Returns whether the mapping is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Releases the mapping (the device no longer reads the buffer).
    #[inline]
    pub fn unmap(self, dev: &device::Device<device::Bound>) {
        let dir = bindings::dma_data_direction::DMA_TO_DEVICE;
        // SAFETY: `self` was created by `SkBuff::map_head`, `SkBuff::map_fragment` or
        // `TxMapping::map_single` for a device of the same driver binding and is consumed
        // here, so it is unmapped once. Every one of those mappings is a page mapping
        // (`dma_map_single_attrs()` maps the page of its address), which
        // `dma_unmap_page_attrs()` undoes (as `dma_unmap_single_attrs()` does).
        unsafe {
            bindings::dma_unmap_page_attrs(dev.as_raw(), self.addr, self.len as usize, dir, 0)
        }
    }
}
