// SPDX-License-Identifier: GPL-2.0

//! Network devices.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/net/netdev_queues.h`](srctree/include/net/netdev_queues.h).

use crate::{
    bindings,
    device,
    error::{
        from_result,
        to_result, //
    },
    net::{
        ethtool::ExtAck,
        napi::{
            NapiOff,
            Polling,
            SoftirqContext, //
        },
        skb::{
            SkBuff,
            SkBuffRef, //
        },
        xdp::{
            BpfProgram,
            XmitFrames, //
        },
    },
    prelude::*,
    str::CString,
    sync::barrier::{
        smp_mb,
        Full, //
    },
    types::Opaque, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{
        AtomicBool,
        Ordering, //
    },
};

/// Device features (`NETIF_F_*`), for [`Registration::set_features`].
pub mod features {
    use crate::bindings;

    /// Scatter-gather transmit: packets may come with page fragments.
    pub const SG: u64 = 1 << bindings::NETIF_F_SG_BIT;
    /// The hardware inserts any checksum described by a start and an offset.
    pub const HW_CSUM: u64 = 1 << bindings::NETIF_F_HW_CSUM_BIT;
    /// The hardware inserts 802.1Q tags on transmit.
    pub const HW_VLAN_CTAG_TX: u64 = 1 << bindings::NETIF_F_HW_VLAN_CTAG_TX_BIT;
    /// The hardware strips 802.1Q tags on receive.
    pub const HW_VLAN_CTAG_RX: u64 = 1 << bindings::NETIF_F_HW_VLAN_CTAG_RX_BIT;
    /// The hardware drops received frames tagged with an 802.1Q VLAN not added with
    /// [`super::Operations::vlan_rx_add_vid`].
    pub const HW_VLAN_CTAG_FILTER: u64 = 1 << bindings::NETIF_F_HW_VLAN_CTAG_FILTER_BIT;
    /// Every checksum offload (`NETIF_F_CSUM_MASK`).
    pub const CSUM_MASK: u64 =
        (1 << bindings::NETIF_F_IP_CSUM_BIT) | HW_CSUM | (1 << bindings::NETIF_F_IPV6_CSUM_BIT);
    /// Every segmentation offload (`NETIF_F_GSO_MASK`).
    pub const GSO_MASK: u64 =
        ((1 << (bindings::NETIF_F_GSO_LAST + 1)) - 1) & !((1 << bindings::NETIF_F_GSO_SHIFT) - 1);
    /// The hardware segments TCP over IPv4 (TSO).
    pub const TSO: u64 = 1 << bindings::NETIF_F_TSO_BIT;
    /// The hardware segments TCP over IPv6.
    pub const TSO6: u64 = 1 << bindings::NETIF_F_TSO6_BIT;
    /// The hardware verifies received checksums.
    pub const RXCSUM: u64 = 1 << bindings::NETIF_F_RXCSUM_BIT;
    /// The hardware hashes received flows and the hash is given to the stack.
    pub const RXHASH: u64 = 1 << bindings::NETIF_F_RXHASH_BIT;
}

/// Fills `key` with the kernel's random RSS key (the same bytes for every device of a
/// boot, so that flows hash alike on every port). That key has `NETDEV_RSS_KEY_LEN` bytes
/// (256 in 7.3): a longer `key` keeps its other bytes.
pub fn fill_rss_key(key: &mut [u8]) {
    let len = key.len().min(bindings::NETDEV_RSS_KEY_LEN as usize);
    // SAFETY: `key` is valid for writes of `len` bytes, and `len` is at most the kernel key's
    // length (a longer request is a BUG()).
    unsafe { bindings::netdev_rss_key_fill(key.as_mut_ptr().cast(), len) };
}

/// The number of RSS queues the kernel suggests a device start with: one per physical
/// core online, halved above two (`netif_get_num_default_rss_queues`).
pub fn default_rss_queues() -> u32 {
    // SAFETY: No preconditions; it reads the online CPU mask.
    let count = unsafe { bindings::netif_get_num_default_rss_queues() };
    u32::try_from(count).unwrap_or(1).max(1)
}

/// Length of an Ethernet (MAC) address.
pub const ETH_ALEN: usize = bindings::ETH_ALEN as usize;

/// A network device (`struct net_device`).
///
/// # Invariants
///
/// The wrapped `struct net_device` is valid for the lifetime of any reference to it.
#[repr(transparent)]
pub struct Device(Opaque<bindings::net_device>);

// SAFETY: A `struct net_device` may be used from any thread; its methods here only use C
// functions that are safe to call concurrently.
unsafe impl Sync for Device {}
// SAFETY: See the `Sync` implementation.
unsafe impl Send for Device {}

impl Device {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points to a valid `struct net_device` that outlives `'a`.
    #[inline]
    unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // SAFETY: `Device` is a transparent wrapper; the caller guarantees validity.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct net_device` pointer.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::net_device {
        self.0.get()
    }

    /// Tells the stack the link is up.
    pub fn carrier_on(&self) {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        unsafe { bindings::netif_carrier_on(self.as_raw()) }
    }

    /// Tells the stack the link is down.
    pub fn carrier_off(&self) {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        unsafe { bindings::netif_carrier_off(self.as_raw()) }
    }

    /// Returns whether the stack sees the link up.
    pub fn carrier_ok(&self) -> bool {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        unsafe { bindings::netif_carrier_ok(self.as_raw()) }
    }

    /// Returns whether the device is administratively up (opened).
    pub fn is_running(&self) -> bool {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        unsafe { bindings::netif_running(self.as_raw()) }
    }

    /// Returns whether every feature in `features` (`NETIF_F_*`) is enabled now (changed
    /// under RTNL, e.g. by `ethtool -K`; a lockless reader sees the old or the new value).
    pub fn has_features(&self, features: u64) -> bool {
        // SAFETY: `self.as_raw()` is valid; `features` is a plain integer field the stack
        // updates with a single store.
        let enabled = unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).features) };
        enabled & features == features
    }

    /// Returns the interface flags (`IFF_*`).
    pub fn flags(&self) -> u32 {
        // SAFETY: `self.as_raw()` is valid; `flags` is a plain integer field.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).flags) }
    }

    /// Returns whether the interface is in promiscuous mode.
    pub fn is_promiscuous(&self) -> bool {
        self.flags() & bindings::net_device_flags_IFF_PROMISC != 0
    }

    /// Returns whether the interface receives all multicast frames.
    pub fn is_all_multicast(&self) -> bool {
        self.flags() & bindings::net_device_flags_IFF_ALLMULTI != 0
    }

    /// Locks the device's address lists (`netif_addr_lock_bh`) until the guard is dropped,
    /// as the stack does around `ndo_set_rx_mode`: to apply the receive filter outside that
    /// call, e.g. after restarting the hardware. From process context (RTNL, typically),
    /// never from `set_rx_mode`, which runs with the lists locked already.
    pub fn lock_addresses(&self) -> AddressListsGuard<'_> {
        // SAFETY: `self.as_raw()` is a valid, registered net_device; the guard unlocks it.
        unsafe { bindings::netif_addr_lock_bh(self.as_raw()) };
        AddressListsGuard(AddressListsLocked {
            dev: self,
            _not_send: PhantomData,
        })
    }

    /// Returns the current MTU.
    pub fn mtu(&self) -> u32 {
        // SAFETY: `self.as_raw()` is valid; readers use READ_ONCE semantics on `mtu`.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).mtu) }
    }

    /// Sets the MTU (from `change_mtu`, under RTNL).
    pub fn set_mtu(&self, mtu: u32) {
        // SAFETY: `self.as_raw()` is valid; writers use WRITE_ONCE semantics on `mtu`.
        unsafe { core::ptr::write_volatile(&raw mut (*self.as_raw()).mtu, mtu) }
    }

    /// Sets the MTU range the stack allows (before registration).
    pub fn set_mtu_range(&self, min: u32, max: u32) {
        // SAFETY: `self.as_raw()` is valid; the fields are plain integers set before
        // registration.
        unsafe {
            (*self.as_raw()).min_mtu = min;
            (*self.as_raw()).max_mtu = max;
        }
    }

    /// Returns the number of TX queues allocated.
    #[inline]
    pub fn num_tx_queues(&self) -> u32 {
        // SAFETY: `self.as_raw()` is valid; the field does not change after allocation.
        unsafe { (*self.as_raw()).num_tx_queues }
    }

    /// Sets how many of the allocated TX and RX queues the stack uses (RTNL; before
    /// registration, or while the queues' rings are stopped). Fails if either count is 0 or
    /// above what was allocated, or for want of memory (sysfs queue objects).
    pub fn set_real_num_queues(&self, tx: u32, rx: u32) -> Result {
        // SAFETY: `self.as_raw()` is valid; the function checks the counts against the
        // allocated queues and asserts RTNL on a registered device.
        to_result(unsafe { bindings::netif_set_real_num_queues(self.as_raw(), tx, rx) })
    }

    /// The first online CPU of the interrupt affinity the core keeps for NAPI context
    /// `index` (its configuration slot: spread over the CPUs by
    /// [`Registration::spread_irq_affinity`], then what the operator writes to the
    /// interrupt's `smp_affinity`), if the device has such a slot and the mask an online CPU.
    pub fn napi_affinity_cpu(&self, index: u32) -> Option<crate::cpu::CpuId> {
        let dev = self.as_raw();
        // SAFETY: `dev` is valid; the fields do not change after allocation.
        let (configs, slots) = unsafe {
            (
                (*dev).napi_config,
                (*dev).num_tx_queues.max((*dev).num_rx_queues),
            )
        };
        if configs.is_null() || index >= slots {
            return None;
        }
        // SAFETY: `alloc_netdev_mqs` gave `configs` one entry per queue of the larger
        // direction, `slots` of them; `index` is below. The mask is read while the affinity
        // notifier may copy a new one in: the result is a CPU of the old or the new mask, or
        // of both, each a valid answer (the C readers race the same way).
        let cpu = unsafe {
            bindings::cpumask_first_and(
                &raw const (*configs.add(index as usize)).affinity_mask,
                &raw const bindings::__cpu_online_mask,
            )
        };
        crate::cpu::CpuId::from_u32(cpu)
    }

    /// Has the stack send the packets of CPU `cpu` through TX queue `queue` (XPS, as
    /// `/sys/class/net/<if>/queues/tx-<queue>/xps_cpus` sets it). Fails for want of memory
    /// or for a queue the device does not have.
    pub fn set_xps_cpu(&self, queue: u32, cpu: crate::cpu::CpuId) -> Result {
        // `netif_set_xps_queue` only warns about a queue out of range, then uses it.
        if queue >= self.num_tx_queues() {
            return Err(EINVAL);
        }
        let queue = u16::try_from(queue).map_err(|_| EINVAL)?;
        let mut mask = crate::cpumask::CpumaskVar::new_zero(GFP_KERNEL)?;
        mask.set(cpu);
        // SAFETY: `self.as_raw()` is valid, `mask` a valid mask for the call and `queue`
        // one of the device's TX queues (checked above). The function takes its own locks
        // (`cpus_read_lock`, the XPS mutex).
        to_result(unsafe { bindings::netif_set_xps_queue(self.as_raw(), mask.as_raw(), queue) })
    }

    /// Returns the number of TX queues the stack uses.
    #[inline]
    pub fn real_num_tx_queues(&self) -> u32 {
        // SAFETY: `self.as_raw()` is valid; the field changes only under RTNL, a plain
        // integer read racing it sees the old or the new count.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).real_num_tx_queues) }
    }

    /// Whether the operator set the RSS indirection table (`ethtool -X`): then a channel
    /// count change keeps it, and ethtool refuses counts it points beyond.
    pub fn rx_hash_table_configured(&self) -> bool {
        // SAFETY: `self.as_raw()` is valid; the flag changes under RTNL.
        unsafe { bindings::netif_is_rxfh_configured(self.as_raw()) }
    }

    /// Returns the interface name ("eth0"), or `None` if it is not UTF-8. Renames take
    /// RTNL: hold it for a name that stays current.
    pub fn name(&self) -> Option<CString> {
        // SAFETY: `self.as_raw()` is valid; `name` is an `IFNAMSIZ` array the stack keeps
        // NUL-terminated and only rewrites under RTNL. It is copied out here.
        let bytes: [u8; bindings::IFNAMSIZ as usize] =
            unsafe { core::ptr::addr_of!((*self.as_raw()).name).read() };
        let len = bytes.iter().position(|&b| b == 0)?;
        let name = core::str::from_utf8(bytes.get(..len)?).ok()?;
        CString::try_from_fmt(fmt!("{name}")).ok()
    }

    /// Returns the device's MAC address.
    pub fn mac_address(&self) -> [u8; ETH_ALEN] {
        let mut addr = [0u8; ETH_ALEN];
        // SAFETY: `dev_addr` points to at least `ETH_ALEN` bytes for an Ethernet device.
        unsafe {
            core::ptr::copy_nonoverlapping((*self.as_raw()).dev_addr, addr.as_mut_ptr(), ETH_ALEN)
        };
        addr
    }

    /// Sets the device's MAC address.
    pub fn set_mac_address(&self, addr: &[u8; ETH_ALEN]) {
        // SAFETY: `self.as_raw()` is valid and `addr` holds `ETH_ALEN` bytes.
        unsafe { bindings::eth_hw_addr_set(self.as_raw(), addr.as_ptr()) }
    }

    /// Returns TX queue `index`, if it exists.
    #[inline]
    pub fn tx_queue(&self, index: u32) -> Option<&TxQueue> {
        if index >= self.num_tx_queues() {
            return None;
        }
        // SAFETY: `index` is within the `num_tx_queues` queues `_tx` points to
        // (`netdev_get_tx_queue()`); queues live as long as the device.
        Some(unsafe { &*(*self.as_raw())._tx.add(index as usize).cast() })
    }

    /// Allows the stack to transmit on all queues.
    pub fn tx_start_all(&self) {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        unsafe { bindings::netif_tx_start_all_queues(self.as_raw()) }
    }

    /// Wakes all TX queues (after a link came up or a reset).
    pub fn tx_wake_all(&self) {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        unsafe { bindings::netif_tx_wake_all_queues(self.as_raw()) }
    }

    /// Stops all TX queues and waits for running transmit calls to finish.
    pub fn tx_disable(&self) {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        unsafe { bindings::netif_tx_disable(self.as_raw()) }
    }

    /// Returns the number of multicast addresses subscribed.
    pub fn multicast_count(&self) -> u32 {
        // SAFETY: `self.as_raw()` is valid; the count is a plain integer.
        unsafe { (*self.as_raw()).mc.count as u32 }
    }
}

/// Runs `f` with the RTNL lock held (process context, may sleep): what the stack holds
/// around `open`, `stop`, MTU and ethtool changes.
pub fn with_rtnl<R>(f: impl FnOnce() -> R) -> R {
    // SAFETY: Process context is the caller's contract; the lock is released below on
    // the same path.
    unsafe { bindings::rtnl_lock() };
    let result = f();
    // SAFETY: Taken above.
    unsafe { bindings::rtnl_unlock() };
    result
}

/// The outcome of [`TxQueue::maybe_stop`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxQueueState {
    /// The queue was stopped: too few free slots remain.
    Stopped,
    /// The queue was left running.
    Running,
    /// The queue was stopped, then restarted because completions raced in.
    Restarted,
}

/// A transmit queue of a network device (`struct netdev_queue`), with byte queue limits.
#[repr(transparent)]
pub struct TxQueue(Opaque<bindings::netdev_queue>);

impl TxQueue {
    #[inline]
    fn as_raw(&self) -> *mut bindings::netdev_queue {
        self.0.get()
    }

    /// The queue's identity, to check a [`TxQueueLocked`] against.
    #[inline]
    pub fn id(&self) -> TxQueueId {
        TxQueueId(self.as_raw().addr())
    }

    /// Reports the stack's completed packets and bytes (BQL) and, when the completions freed
    /// ring entries (`freed`: for those packets, or for frames sent around the stack, such
    /// as XDP's, which BQL does not count), wakes the queue if it is stopped and at least
    /// `start_threshold` entries are free (`netif_txq_completed_wake()`). `free` reads the
    /// current count, after the barrier that pairs with [`TxQueue::maybe_stop`].
    ///
    /// From the NAPI poll that completes this queue (`_poll` proves a poll; BQL needs its
    /// completions reported from one context at a time).
    #[inline]
    pub fn completed_wake(
        &self,
        _poll: &Polling<'_>,
        packets: u32,
        bytes: u32,
        freed: bool,
        free: impl Fn() -> u32,
        start_threshold: u32,
    ) {
        // SAFETY: `self.as_raw()` is a valid queue of a live device.
        unsafe { bindings::netdev_txq_completed_mb(self.as_raw(), packets, bytes) };
        if !freed {
            return;
        }
        // The barrier above is skipped when no byte of the stack's completed (BQL returns
        // early): the entries freed for other frames must be published before the queue's
        // state is read, as `maybe_stop` publishes the stop before it counts free entries.
        if bytes == 0 {
            smp_mb(Full);
        }
        if free() < start_threshold {
            return;
        }
        // SAFETY: As above.
        if unsafe { bindings::netif_tx_queue_stopped(self.as_raw()) } {
            // SAFETY: As above.
            unsafe { bindings::netif_tx_wake_queue(self.as_raw()) };
        }
    }

    /// Takes the stack's lock of this queue, which its xmit path holds, from softirq
    /// context (`_context` proves it: a NAPI poll proper, an XDP transmit call). Released
    /// when the guard is dropped.
    pub fn lock_in_softirq<'a>(&'a self, _context: &'a impl SoftirqContext) -> TxQueueGuard<'a> {
        // SAFETY: `self.as_raw()` is a valid queue; bottom halves are off, as `_context`
        // proves, which keeps the CPU fixed and the xmit path off this CPU.
        unsafe { bindings::netif_tx_lock_softirq(self.as_raw()) };
        TxQueueGuard(TxQueueLocked {
            queue: self,
            _not_send: PhantomData,
        })
    }

    /// Takes and releases the stack's lock of this queue (process context): whoever held it
    /// when this was called has released it when this returns.
    pub fn wait_for_lock_holders(&self) {
        // SAFETY: `self.as_raw()` is a valid queue of a live device; process context, where
        // the helper turns bottom halves off around the lock as the xmit path's holders need.
        unsafe { bindings::netif_tx_wait_for_lock_holders(self.as_raw()) }
    }

    /// Forgets all BQL state (after the ring was emptied by a stop or reset). Only while
    /// nothing reports to BQL: `_off` proves a NAPI context disabled, which must be the one
    /// that completes this queue, and the caller keeps the xmit path off the queue (it is
    /// disabled, or not yet started).
    pub fn reset(&self, _off: &NapiOff) {
        // SAFETY: `self.as_raw()` is a valid queue of a live device.
        unsafe { bindings::netdev_tx_reset_queue(self.as_raw()) }
    }
}

/// Proof that the code is [`Operations::start_xmit`] for a queue: the queue's lock is held
/// (it derefs to [`TxQueueLocked`]) and the stack's transmit state for this packet is set
/// (`netdev_xmit_more()`, BQL's per-packet accounting). Only the stack's call makes it:
/// other holders of the lock (XDP senders) send around BQL and have no batch.
pub struct Xmitting<'a>(TxQueueLocked<'a>);

impl<'a> core::ops::Deref for Xmitting<'a> {
    type Target = TxQueueLocked<'a>;

    fn deref(&self) -> &TxQueueLocked<'a> {
        &self.0
    }
}

impl Xmitting<'_> {
    /// Accounts `bytes` queued to the hardware (BQL), from `start_xmit`.
    ///
    /// Returns whether the doorbell must be rung now: the stack has no more packets coming
    /// right after this one (`netdev_xmit_more()`), or BQL just stopped the queue.
    #[inline]
    pub fn sent(&self, bytes: u32) -> bool {
        // SAFETY: `self.0.queue` is a valid queue of a live device whose lock is held, as BQL
        // needs; BHs are off, as `netdev_xmit_more()` needs.
        unsafe { bindings::netdev_tx_sent_queue_xmit(self.0.queue.as_raw(), bytes) }
    }

    /// Whether the stack hands `start_xmit` more packets right after this one
    /// (`netdev_xmit_more()`). A driver that drops a packet rings the doorbell unless
    /// more follow: the packets before it in the batch left that to the last one.
    #[inline]
    pub fn more_coming(&self) -> bool {
        // SAFETY: Reads the current task's transmit state, which the stack sets for each
        // `start_xmit` call (netpoll's included); meaningful only there.
        unsafe { bindings::netdev_xmit_more() }
    }
}

/// A [`TxQueue`]'s identity (see [`TxQueue::id`]): it can be kept and compared, not used.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TxQueueId(usize);

impl TxQueueId {
    /// The identity as a number, to keep in an atomic: never 0.
    #[inline]
    pub fn as_usize(self) -> usize {
        self.0
    }
}

/// Proof that the stack's lock of a [`TxQueue`] is held: [`Operations::start_xmit`] is
/// handed one for the queue it sends on (the stack holds it: a [`Registration`]'s device is
/// never `lltx`), and a [`TxQueueGuard`] derefs to one. The calls
/// that need the lock are its methods. Not `Send`: the lock stays with its holder.
pub struct TxQueueLocked<'a> {
    queue: &'a TxQueue,
    _not_send: PhantomData<*mut ()>,
}

impl<'a> TxQueueLocked<'a> {
    /// The locked queue.
    #[inline]
    pub fn queue(&self) -> &'a TxQueue {
        self.queue
    }

    /// The locked queue's identity.
    #[inline]
    pub fn id(&self) -> TxQueueId {
        self.queue.id()
    }

    /// Stops the queue if fewer than `stop_threshold` entries are free, and starts it again
    /// at once if completions freed `start_threshold` meanwhile (from `start_xmit`, without a
    /// lock shared with the completions: `netif_txq_maybe_stop()`). `free` reads the current
    /// count; it is read again after the queue is stopped.
    #[inline]
    pub fn maybe_stop(
        &self,
        free: impl Fn() -> u32,
        stop_threshold: u32,
        start_threshold: u32,
    ) -> TxQueueState {
        if free() >= stop_threshold {
            return TxQueueState::Running;
        }
        // SAFETY: `self.queue` is a valid queue of a live device.
        unsafe { bindings::netif_tx_stop_queue(self.queue.as_raw()) };
        // Pairs with the barrier in `completed_wake`: either the completions see the queue
        // stopped and wake it, or this sees the entries they freed.
        smp_mb(Full);
        if free() < start_threshold {
            return TxQueueState::Stopped;
        }
        // SAFETY: As above.
        unsafe { bindings::netif_tx_start_queue(self.queue.as_raw()) };
        TxQueueState::Restarted
    }

    /// Notes that the queue made progress, for the TX watchdog (sends outside the xmit
    /// path, which the stack notes itself).
    pub fn note_progress(&self) {
        // SAFETY: `self.queue` is a valid queue whose lock is held.
        unsafe { bindings::txq_trans_cond_update(self.queue.as_raw()) };
    }
}

/// The stack's lock of a [`TxQueue`], held (see [`TxQueue::lock_in_softirq`]).
pub struct TxQueueGuard<'a>(TxQueueLocked<'a>);

impl<'a> core::ops::Deref for TxQueueGuard<'a> {
    type Target = TxQueueLocked<'a>;

    fn deref(&self) -> &TxQueueLocked<'a> {
        &self.0
    }
}

impl Drop for TxQueueGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: Taken by `lock_in_softirq`, in the same context.
        unsafe { bindings::netif_tx_unlock_softirq(self.0.queue.as_raw()) };
    }
}

/// Proof that the device's address lists are locked (`netif_addr_lock_bh`), which only the
/// stack's call of [`Operations::set_rx_mode`] and [`Device::lock_addresses`] make: the
/// lists can be read while it lives.
pub struct AddressListsLocked<'a> {
    dev: &'a Device,
    _not_send: PhantomData<*mut ()>,
}

impl AddressListsLocked<'_> {
    /// Walks the device's multicast list, passing each address to `f`.
    pub fn for_each_multicast(&self, mut f: impl FnMut(&[u8; ETH_ALEN])) {
        // SAFETY: `mc.list` is a valid list head of `struct netdev_hw_addr` entries, stable
        // while the address lock is held, as `self` proves.
        unsafe {
            let head = &raw mut (*self.dev.as_raw()).mc.list;
            let mut pos = (*head).next;
            while pos != head {
                let ha = crate::container_of!(pos, bindings::netdev_hw_addr, list);
                let addr = &*(&raw const (*ha).addr).cast::<[u8; ETH_ALEN]>();
                f(addr);
                pos = (*pos).next;
            }
        }
    }
}

/// The address lists locked by [`Device::lock_addresses`]; unlocks them when dropped.
pub struct AddressListsGuard<'a>(AddressListsLocked<'a>);

impl<'a> core::ops::Deref for AddressListsGuard<'a> {
    type Target = AddressListsLocked<'a>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for AddressListsGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: Locked by `Device::lock_addresses`, in this context (the guard is not
        // `Send`).
        unsafe { bindings::netif_addr_unlock_bh(self.0.dev.as_raw()) };
    }
}

/// Link statistics reported by [`Operations::get_stats64`].
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkStats {
    /// Packets received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Received packets dropped (no buffer, allocation failure).
    pub rx_dropped: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Multicast packets received.
    pub multicast: u64,
    /// Packets transmitted.
    pub tx_packets: u64,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Packets dropped on transmit.
    pub tx_dropped: u64,
    /// Transmit errors.
    pub tx_errors: u64,
}

/// Per-queue receive statistics (`ynl qstats`), for [`Operations::queue_stats`].
#[derive(Clone, Copy, Debug, Default)]
pub struct QueueRxStats {
    /// Packets received.
    pub packets: u64,
    /// Bytes received.
    pub bytes: u64,
    /// Buffer or packet allocations that failed.
    pub alloc_fail: u64,
    /// Packets whose checksum the hardware verified.
    pub csum_unnecessary: u64,
    /// Packets the hardware found a bad checksum in.
    pub csum_bad: u64,
}

/// Per-queue transmit statistics (`ynl qstats`), for [`Operations::queue_stats`].
#[derive(Clone, Copy, Debug, Default)]
pub struct QueueTxStats {
    /// Packets transmitted.
    pub packets: u64,
    /// Bytes transmitted.
    pub bytes: u64,
    /// Packets the hardware segmented (TSO); `None` (left unreported) where it segments none.
    pub hw_gso: Option<QueueTxGsoStats>,
}

/// Per-queue counts of the packets the hardware segmented, for [`QueueTxStats::hw_gso`].
#[derive(Clone, Copy, Debug, Default)]
pub struct QueueTxGsoStats {
    /// Packets, counted as the stack handed them over.
    pub packets: u64,
    /// Bytes of those packets, as handed over.
    pub bytes: u64,
    /// Frames the hardware made of them.
    pub wire_packets: u64,
    /// Bytes of those frames, each with its headers.
    pub wire_bytes: u64,
}

/// What [`Operations::start_xmit`] did with a packet.
pub enum Transmit {
    /// The packet was queued to the hardware, or dropped and counted: it is consumed.
    Done,
    /// No room: the stack keeps the packet and retries later (the queue must be stopped).
    Busy(SkBuff),
}

/// Network device operations (`struct net_device_ops`).
///
/// `Self` is the driver's per-device context; its address is stored in the device's private
/// area by [`Registration::register`].
#[vtable]
pub trait Operations: Sized + Sync {
    /// Brings the interface up (process context, RTNL held).
    fn open(dev: &Device, this: &Self) -> Result;

    /// Takes the interface down (process context, RTNL held).
    fn stop(dev: &Device, this: &Self) -> Result;

    /// Transmits a packet on `queue` (softirq or process context with BHs off; the queue's
    /// lock held and its transmit state set, as `queue` proves).
    fn start_xmit(skb: SkBuff, dev: &Device, this: &Self, queue: &Xmitting<'_>) -> Transmit;

    /// Reports link statistics (any context, may be called concurrently).
    fn get_stats64(_dev: &Device, _this: &Self) -> LinkStats {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns the statistics of RX queue `queue` and TX queue `queue` (any context). The
    /// sum over the queues in use and [`Operations::base_queue_stats`] must match
    /// [`Operations::get_stats64`]; the device then reports per-queue statistics through
    /// netdev-genl.
    fn queue_stats(_dev: &Device, _this: &Self, _queue: u32) -> (QueueRxStats, QueueTxStats) {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns what no queue in use reports: the counts of queues no longer in use (after
    /// the channel count went down). Only asked where [`Operations::queue_stats`] is given.
    /// netdev-genl sums a field over the device only where the base reports it: report
    /// here (as 0 if need be) every field any queue reports.
    fn base_queue_stats(_dev: &Device, _this: &Self) -> (QueueRxStats, QueueTxStats) {
        (QueueRxStats::default(), QueueTxStats::default())
    }

    /// Applies the promiscuous/multicast state (atomic context, the address lists locked:
    /// `addresses` reads them).
    fn set_rx_mode(_dev: &Device, _this: &Self, _addresses: &AddressListsLocked<'_>) {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Changes the MTU (process context, RTNL held); must call [`Device::set_mtu`].
    fn change_mtu(_dev: &Device, _this: &Self, _mtu: u32) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// A TX queue made no progress for the watchdog period (softirq context).
    fn tx_timeout(_dev: &Device, _this: &Self, _queue: u32) {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies the changeable features as `features` has them (`ndo_set_features`; process
    /// context, RTNL held); the stack records them once this returns success.
    fn change_features(_dev: &Device, _this: &Self, _features: u64) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Lets received frames tagged with 802.1Q VLAN `vid` through the hardware's VLAN
    /// filter (`ndo_vlan_rx_add_vid`; process context, RTNL held). Asked only of a device
    /// with [`features::HW_VLAN_CTAG_FILTER`].
    fn vlan_rx_add_vid(_dev: &Device, _this: &Self, _vid: u16) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Stops letting frames tagged with 802.1Q VLAN `vid` through (`ndo_vlan_rx_kill_vid`;
    /// process context, RTNL held).
    fn vlan_rx_kill_vid(_dev: &Device, _this: &Self, _vid: u16) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns the offloads, of `features`, that `skb` may have: those whose header offsets
    /// the hardware cannot describe for this packet are left out, and the stack does them
    /// in software (`ndo_features_check`; any context the stack transmits from, before
    /// `start_xmit`). The 802.1Q limits (`vlan_features_check()`) are applied already.
    fn features_check(_skb: &SkBuffRef, _dev: &Device, _this: &Self, _features: u64) -> u64 {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Installs the XDP program run on received frames, or removes it (`None`) (process
    /// context, RTNL held). On success the device keeps `prog`; on failure it drops it and
    /// may explain why in `extack`.
    fn set_xdp_program(
        _dev: &Device,
        _this: &Self,
        _prog: Option<BpfProgram>,
        _extack: &mut ExtAck,
    ) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Transmits frames that XDP programs redirected to this device (`ndo_xdp_xmit`, softirq
    /// context), taking them from `frames` in order, and rings the doorbell if `flush`.
    /// Frames not taken go back to their owners. An error is only reported if no frame was
    /// taken.
    fn xdp_transmit(
        _dev: &Device,
        _this: &Self,
        _frames: &mut XmitFrames<'_>,
        _flush: bool,
    ) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

/// An Ethernet device allocated for a bus device, registered with the stack on demand.
///
/// Dropping it unregisters the device (which calls `stop` if it is up), then frees it: drop
/// the NAPI contexts added to the device before (see [`crate::net::napi::Napi::add`]).
///
/// # Invariants
///
/// `dev` is a valid, allocated `struct net_device` whose private area holds a `*const T`.
pub struct Registration<T: Operations> {
    dev: NonNull<bindings::net_device>,
    registered: AtomicBool,
    _p: PhantomData<T>,
}

// SAFETY: The registration only holds a pointer to a `struct net_device`, usable from any
// thread; `T` is `Sync`.
unsafe impl<T: Operations> Send for Registration<T> {}
// SAFETY: See the `Send` implementation; shared access only calls thread-safe C functions.
unsafe impl<T: Operations> Sync for Registration<T> {}

impl<T: Operations> Registration<T> {
    const OPS: bindings::net_device_ops = bindings::net_device_ops {
        ndo_open: Some(Self::open_callback),
        ndo_stop: Some(Self::stop_callback),
        ndo_start_xmit: Some(Self::start_xmit_callback),
        ndo_get_stats64: if T::HAS_GET_STATS64 {
            Some(Self::get_stats64_callback)
        } else {
            None
        },
        ndo_set_rx_mode: if T::HAS_SET_RX_MODE {
            Some(Self::set_rx_mode_callback)
        } else {
            None
        },
        ndo_change_mtu: if T::HAS_CHANGE_MTU {
            Some(Self::change_mtu_callback)
        } else {
            None
        },
        ndo_tx_timeout: if T::HAS_TX_TIMEOUT {
            Some(Self::tx_timeout_callback)
        } else {
            None
        },
        ndo_set_features: if T::HAS_CHANGE_FEATURES {
            Some(Self::set_features_callback)
        } else {
            None
        },
        ndo_vlan_rx_add_vid: if T::HAS_VLAN_RX_ADD_VID {
            Some(Self::vlan_rx_add_vid_callback)
        } else {
            None
        },
        ndo_vlan_rx_kill_vid: if T::HAS_VLAN_RX_KILL_VID {
            Some(Self::vlan_rx_kill_vid_callback)
        } else {
            None
        },
        ndo_features_check: if T::HAS_FEATURES_CHECK {
            Some(Self::features_check_callback)
        } else {
            None
        },
        ndo_bpf: if T::HAS_SET_XDP_PROGRAM {
            Some(Self::bpf_callback)
        } else {
            None
        },
        ndo_xdp_xmit: if T::HAS_XDP_TRANSMIT {
            Some(Self::xdp_xmit_callback)
        } else {
            None
        },
        ndo_validate_addr: Some(bindings::eth_validate_addr),
        ndo_set_mac_address: Some(bindings::eth_mac_addr),
        ..pin_init::zeroed()
    };

    const STAT_OPS: bindings::netdev_stat_ops = bindings::netdev_stat_ops {
        get_queue_stats_rx: Some(Self::queue_stats_rx_callback),
        get_queue_stats_tx: Some(Self::queue_stats_tx_callback),
        get_base_stats: Some(Self::base_stats_callback),
    };

    /// Allocates an Ethernet device with `tx_queues` and `rx_queues` queues, child of `parent`.
    pub fn new(
        parent: &device::Device<device::Bound>,
        tx_queues: u32,
        rx_queues: u32,
    ) -> Result<Self> {
        let priv_size = core::mem::size_of::<*const T>() as c_int;
        // SAFETY: FFI call with valid arguments; a NULL return is handled below.
        let raw = unsafe { bindings::alloc_etherdev_mqs(priv_size, tx_queues, rx_queues) };
        let dev = NonNull::new(raw).ok_or(ENOMEM)?;
        // SAFETY: `raw` was just allocated; nothing else uses it yet. The private area is
        // `priv_size` bytes and aligned for a pointer.
        unsafe {
            (*raw).dev.parent = parent.as_raw();
            (*raw).netdev_ops = &Self::OPS;
            if T::HAS_QUEUE_STATS {
                (*raw).stat_ops = &Self::STAT_OPS;
            }
            bindings::netdev_priv(raw)
                .cast::<*const T>()
                .write(core::ptr::null());
        }
        // INVARIANT: `dev` is allocated and its private area holds a (null) `*const T`.
        Ok(Self {
            dev,
            registered: AtomicBool::new(false),
            _p: PhantomData,
        })
    }

    /// Returns the network device.
    pub fn device(&self) -> &Device {
        // SAFETY: `self.dev` is valid by the type invariant, for as long as `self`.
        unsafe { Device::from_raw(self.dev.as_ptr()) }
    }

    /// Installs the ethtool operations of `T` (before registration).
    pub fn set_ethtool_ops(&self)
    where
        T: crate::net::ethtool::Operations,
    {
        // SAFETY: `self.dev` is valid; the field is only read by the stack after registration.
        unsafe { (*self.dev.as_ptr()).ethtool_ops = crate::net::ethtool::ops_of::<T>() };
    }

    /// Enables `features` (before registration); those also in `changeable` can be
    /// switched off and on again with `ethtool -K`, the others stay on.
    pub fn set_features(&self, features: u64, changeable: u64) {
        // SAFETY: `self.dev` is valid; the fields are set before registration.
        unsafe {
            (*self.dev.as_ptr()).hw_features = features & changeable;
            (*self.dev.as_ptr()).features = features;
            // Offloads also apply to VLAN devices stacked on this one.
            (*self.dev.as_ptr()).vlan_features = features
                & !(features::HW_VLAN_CTAG_TX
                    | features::HW_VLAN_CTAG_RX
                    | features::HW_VLAN_CTAG_FILTER);
        }
    }

    /// Advertises the XDP actions the receive path carries out ([`crate::net::xdp::features`],
    /// before registration).
    pub fn set_xdp_features(&self, features: u32) {
        // SAFETY: `self.dev` is valid; before registration nobody else reads the field.
        unsafe { bindings::xdp_set_features_flag(self.dev.as_ptr(), features) };
    }

    /// Has the core spread the queue sets' interrupts over the CPUs and keep their
    /// affinity across restarts (`netif_set_affinity_auto`; before registration, a no-op
    /// after). A NAPI context gets its line's affinity from
    /// [`crate::net::interrupt::Line::request_for_napi`].
    pub fn spread_irq_affinity(&self) {
        // Registered, the affinity notifiers own the masks: the call would add CPUs to them.
        if self.registered.load(Ordering::Acquire) {
            return;
        }
        // SAFETY: The device is allocated and not yet registered.
        unsafe { bindings::netif_set_affinity_auto(self.dev.as_ptr()) }
    }

    /// Sets the TX watchdog period in jiffies (before registration).
    pub fn set_watchdog_timeout(&self, jiffies: c_int) {
        // SAFETY: `self.dev` is valid; the field is set before registration.
        unsafe { (*self.dev.as_ptr()).watchdog_timeo = jiffies };
    }

    /// Registers the device with the stack; from now on the operations may be called with
    /// `this`.
    ///
    /// # Safety
    ///
    /// `this` must stay valid until `self` is dropped (which unregisters the device).
    pub unsafe fn register(&self, this: *const T) -> Result {
        if self.registered.load(Ordering::Acquire) {
            return Err(EBUSY);
        }
        // SAFETY: The private area holds a `*const T` (type invariant); the device is not
        // registered yet, so no operation reads it concurrently.
        unsafe {
            bindings::netdev_priv(self.dev.as_ptr())
                .cast::<*const T>()
                .write(this)
        };
        // SAFETY: `self.dev` is a valid, allocated, unregistered device.
        to_result(unsafe { bindings::register_netdev(self.dev.as_ptr()) })?;
        self.registered.store(true, Ordering::Release);
        Ok(())
    }

    /// Unregisters the device (stopping it if it is up); idempotent (process context).
    pub fn unregister(&self) {
        if self.registered.swap(false, Ordering::AcqRel) {
            // SAFETY: The device was registered by `register` and not unregistered since.
            unsafe { bindings::unregister_netdev(self.dev.as_ptr()) };
        }
    }

    /// # Safety
    ///
    /// `dev` is a device allocated by [`Registration::new`] and registered with a valid `T`.
    #[inline]
    pub(crate) unsafe fn context<'a>(dev: *mut bindings::net_device) -> (&'a Device, &'a T) {
        // SAFETY: Per the safety requirement, the private area (`netdev_priv()`) holds a
        // valid `*const T`.
        unsafe {
            let this = *(*dev).priv_.as_ptr().cast::<*const T>();
            (Device::from_raw(dev), &*this)
        }
    }

    extern "C" fn open_callback(dev: *mut bindings::net_device) -> c_int {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        from_result(|| T::open(dev, this).map(|()| 0))
    }

    extern "C" fn stop_callback(dev: *mut bindings::net_device) -> c_int {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        from_result(|| T::stop(dev, this).map(|()| 0))
    }

    extern "C" fn start_xmit_callback(
        skb: *mut bindings::sk_buff,
        dev: *mut bindings::net_device,
    ) -> bindings::netdev_tx_t {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        // SAFETY: The stack hands over ownership of a valid `skb`.
        let skb = unsafe { SkBuff::from_raw(skb) };
        // The stack picked the queue (`skb_get_queue_mapping()`) and holds its lock.
        let Some(queue) = dev.tx_queue(u32::from(skb.queue_mapping())) else {
            // Not reached: the stack maps packets to the device's queues only.
            skb.free_any();
            return bindings::netdev_tx_NETDEV_TX_OK;
        };
        let locked = Xmitting(TxQueueLocked {
            queue,
            _not_send: PhantomData,
        });
        match T::start_xmit(skb, dev, this, &locked) {
            Transmit::Done => bindings::netdev_tx_NETDEV_TX_OK,
            Transmit::Busy(skb) => {
                // The stack takes the packet back and requeues it.
                let _ = skb.into_raw();
                bindings::netdev_tx_NETDEV_TX_BUSY
            }
        }
    }

    extern "C" fn get_stats64_callback(
        dev: *mut bindings::net_device,
        stats: *mut bindings::rtnl_link_stats64,
    ) {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        let s = T::get_stats64(dev, this);
        // SAFETY: `stats` is a valid, zero-initialised structure owned by the caller.
        let out = unsafe { &mut *stats };
        out.rx_packets = s.rx_packets;
        out.rx_bytes = s.rx_bytes;
        out.rx_dropped = s.rx_dropped;
        out.rx_errors = s.rx_errors;
        out.multicast = s.multicast;
        out.tx_packets = s.tx_packets;
        out.tx_bytes = s.tx_bytes;
        out.tx_dropped = s.tx_dropped;
        out.tx_errors = s.tx_errors;
    }

    extern "C" fn queue_stats_rx_callback(
        dev: *mut bindings::net_device,
        idx: c_int,
        stats: *mut bindings::netdev_queue_stats_rx,
    ) {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        let (rx, _) = T::queue_stats(dev, this, idx as u32);
        // SAFETY: `stats` is valid for the call; fields left alone stay "not reported".
        let out = unsafe { &mut *stats };
        out.packets = rx.packets;
        out.bytes = rx.bytes;
        out.alloc_fail = rx.alloc_fail;
        out.csum_unnecessary = rx.csum_unnecessary;
        out.csum_bad = rx.csum_bad;
    }

    extern "C" fn queue_stats_tx_callback(
        dev: *mut bindings::net_device,
        idx: c_int,
        stats: *mut bindings::netdev_queue_stats_tx,
    ) {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        let (_, tx) = T::queue_stats(dev, this, idx as u32);
        // SAFETY: `stats` is valid for the call; fields left alone stay "not reported".
        let out = unsafe { &mut *stats };
        out.packets = tx.packets;
        out.bytes = tx.bytes;
        if let Some(gso) = tx.hw_gso {
            out.hw_gso_packets = gso.packets;
            out.hw_gso_bytes = gso.bytes;
            out.hw_gso_wire_packets = gso.wire_packets;
            out.hw_gso_wire_bytes = gso.wire_bytes;
        }
    }

    extern "C" fn base_stats_callback(
        dev: *mut bindings::net_device,
        rx: *mut bindings::netdev_queue_stats_rx,
        tx: *mut bindings::netdev_queue_stats_tx,
    ) {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        let (base_rx, base_tx) = T::base_queue_stats(dev, this);
        // SAFETY: `rx` and `tx` are valid for the call.
        unsafe {
            (*rx).packets = base_rx.packets;
            (*rx).bytes = base_rx.bytes;
            (*rx).alloc_fail = base_rx.alloc_fail;
            (*rx).csum_unnecessary = base_rx.csum_unnecessary;
            (*rx).csum_bad = base_rx.csum_bad;
            (*tx).packets = base_tx.packets;
            (*tx).bytes = base_tx.bytes;
            if let Some(gso) = base_tx.hw_gso {
                (*tx).hw_gso_packets = gso.packets;
                (*tx).hw_gso_bytes = gso.bytes;
                (*tx).hw_gso_wire_packets = gso.wire_packets;
                (*tx).hw_gso_wire_bytes = gso.wire_bytes;
            }
        }
    }

    extern "C" fn set_rx_mode_callback(dev: *mut bindings::net_device) {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        // The stack calls `ndo_set_rx_mode` with the address lists locked.
        let addresses = AddressListsLocked {
            dev,
            _not_send: PhantomData,
        };
        T::set_rx_mode(dev, this, &addresses);
    }

    extern "C" fn change_mtu_callback(dev: *mut bindings::net_device, mtu: c_int) -> c_int {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        from_result(|| {
            let mtu = u32::try_from(mtu)?;
            T::change_mtu(dev, this, mtu).map(|()| 0)
        })
    }

    extern "C" fn bpf_callback(
        dev: *mut bindings::net_device,
        bpf: *mut bindings::netdev_bpf,
    ) -> c_int {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        // SAFETY: `bpf` is valid for the call.
        let bpf = unsafe { &mut *bpf };
        if bpf.command != bindings::bpf_netdev_command_XDP_SETUP_PROG {
            return EOPNOTSUPP.to_errno();
        }
        // SAFETY: For XDP_SETUP_PROG the command's fields are `prog`, `flags` and `extack`.
        let (prog, extack) = unsafe {
            (
                bpf.__bindgen_anon_1.__bindgen_anon_1.prog,
                bpf.__bindgen_anon_1.__bindgen_anon_1.extack,
            )
        };
        // The stack gave the device a reference on `prog`, which it puts itself if the
        // call fails. Hand the driver a reference of its own, and put the stack's only on
        // success: either way each is put exactly once.
        if !prog.is_null() {
            // SAFETY: `prog` is a valid program the caller holds a reference on.
            unsafe { bindings::bpf_prog_inc(prog) };
        }
        // SAFETY: The reference just taken passes to the driver.
        let program = unsafe { BpfProgram::from_raw(prog) };
        let mut extack = ExtAck(extack);
        match T::set_xdp_program(dev, this, program, &mut extack) {
            Ok(()) => {
                if !prog.is_null() {
                    // SAFETY: The stack's reference, handed to the device on success; the
                    // driver holds another one, so this is never the last.
                    unsafe { bindings::bpf_prog_put(prog) };
                }
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    extern "C" fn xdp_xmit_callback(
        dev: *mut bindings::net_device,
        count: c_int,
        frames: *mut *mut bindings::xdp_frame,
        flags: u32,
    ) -> c_int {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        let Ok(count) = usize::try_from(count) else {
            return EINVAL.to_errno();
        };
        if flags & !bindings::XDP_XMIT_FLAGS_MASK != 0 || (frames.is_null() && count > 0) {
            return EINVAL.to_errno();
        }
        let frames = if count == 0 {
            &[][..]
        } else {
            // SAFETY: The caller passes `count` frames, valid for the call.
            unsafe { core::slice::from_raw_parts(frames, count) }
        };
        // SAFETY: Frames the driver takes pass to it; the caller frees the others.
        let mut batch = unsafe { XmitFrames::new(frames) };
        let flush = flags & bindings::XDP_XMIT_FLUSH != 0;
        match T::xdp_transmit(dev, this, &mut batch, flush) {
            // On a negative return the caller frees every frame: only without any taken.
            Err(e) if batch.taken() == 0 => e.to_errno(),
            _ => batch.taken() as c_int,
        }
    }

    extern "C" fn features_check_callback(
        skb: *mut bindings::sk_buff,
        dev: *mut bindings::net_device,
        features: bindings::netdev_features_t,
    ) -> bindings::netdev_features_t {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        // SAFETY: The stack passes a valid packet it owns and leaves unchanged for the call.
        let features = unsafe { bindings::vlan_features_check(skb, features) };
        // SAFETY: As above; the borrow ends with the call.
        let packet = unsafe { SkBuffRef::from_raw(skb) };
        T::features_check(packet, dev, this, features)
    }

    extern "C" fn tx_timeout_callback(dev: *mut bindings::net_device, queue: c_uint) {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        T::tx_timeout(dev, this, queue);
    }

    extern "C" fn set_features_callback(
        dev: *mut bindings::net_device,
        features: bindings::netdev_features_t,
    ) -> c_int {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        from_result(|| T::change_features(dev, this, features).map(|()| 0))
    }

    extern "C" fn vlan_rx_add_vid_callback(
        dev: *mut bindings::net_device,
        proto: bindings::__be16,
        vid: u16,
    ) -> c_int {
        Self::vlan_callback(dev, proto, vid, T::vlan_rx_add_vid)
    }

    extern "C" fn vlan_rx_kill_vid_callback(
        dev: *mut bindings::net_device,
        proto: bindings::__be16,
        vid: u16,
    ) -> c_int {
        Self::vlan_callback(dev, proto, vid, T::vlan_rx_kill_vid)
    }

    /// Calls `op` for an 802.1Q `vid`; only 802.1Q filtering is advertised, so 802.1ad
    /// tags never come here.
    fn vlan_callback(
        dev: *mut bindings::net_device,
        proto: bindings::__be16,
        vid: u16,
        op: fn(&Device, &T, u16) -> Result,
    ) -> c_int {
        // SAFETY: The stack only calls operations on registered devices.
        let (dev, this) = unsafe { Self::context(dev) };
        from_result(|| {
            if u32::from(u16::from_be(proto)) != bindings::ETH_P_8021Q {
                return Err(EPROTONOSUPPORT);
            }
            op(dev, this, vid).map(|()| 0)
        })
    }
}

impl<T: Operations> Drop for Registration<T> {
    fn drop(&mut self) {
        self.unregister();
        // SAFETY: The device was allocated by `new` and is no longer registered.
        unsafe { bindings::free_netdev(self.dev.as_ptr()) };
    }
}
