// SPDX-License-Identifier: GPL-2.0

//! The adapter: one bound PCI device with its net device, queue set and interrupt.
//!
//! Lifecycle: probe maps the device ([`Driver::attach`]) and registers the net device; open
//! allocates the rings, requests the interrupt and starts the hardware; stop undoes open in
//! reverse; unbind unregisters the net device (stopping it), then detaches the hardware.

use crate::{
    admin::{
        Admin,
        AdminWork, //
    },
    buffer::{
        BufferLimits,
        FRAME_OVERHEAD, //
    },
    driver::{
        Datapath,
        FlowControl,
        LinkState,
        RxConfig,
        RxFilter,
        RX_HASH_KEY_LEN, //
    },
    installed::Installed,
    irq::{
        Irqs,
        Line,
        Lines,
        Vectors, //
    },
    mac_stats::MacCounters,
    rx::{
        RxRing,
        RX_HEADROOM, //
    },
    stats::Counters,
    tx::{
        Retired,
        TxRing, //
    },
    xdp::XdpPoll,
};
use core::{
    marker::PhantomData,
    sync::atomic::{
        AtomicBool,
        AtomicU32,
        AtomicU8,
        Ordering, //
    },
};
use kernel::{
    bindings,
    device::{
        Bound,
        Core, //
    },
    net::{
        device::{
            self as netdev,
            LinkStats,
            Registration,
            Transmit, //
        },
        ethtool::ExtAck,
        napi::{
            self,
            BhDisabled,
            Napi,
            NapiOff,
            Polled,
            Polling,
            Receiving, //
        },
        skb::{
            SkBuff,
            SkBuffRef, //
        },
        xdp::{
            self,
            BpfProgram,
            ProgramSlot,
            XmitFrames, //
        },
    },
    page::PAGE_SIZE,
    pci,
    prelude::*,
    str::CString,
    sync::{
        rcu,
        Mutex,
        SpinLock,
        SpinLockGuard, //
    },
};

/// The TX watchdog period.
const TX_TIMEOUT_MS: u32 = 5000;

/// The PCI driver of an iflib driver `D`: use it with `kernel::module_pci_driver!`.
pub struct PciDriver<D>(PhantomData<D>);

impl<D: Datapath> pci::Driver for PciDriver<D> {
    type IdInfo = D::IdInfo;
    type Data<'bound> = Adapter<'bound, D>;

    const ID_TABLE: pci::IdTable<Self::IdInfo> = D::PCI_IDS;

    fn probe<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        info: Option<&'bound Self::IdInfo>,
    ) -> impl PinInit<Self::Data<'bound>, Error> + 'bound {
        Adapter::probe(pdev, info)
    }
}

/// What `ethtool` sets, changed under RTNL and applied at every start.
pub(crate) struct Settings {
    pub(crate) tx_len: AtomicU32,
    pub(crate) rx_len: AtomicU32,
    /// Least time between interrupts, in microseconds.
    pub(crate) interrupt_usecs: AtomicU32,
    /// Forced flow control: honour received pause frames, send them.
    pub(crate) pause_rx: AtomicBool,
    pub(crate) pause_tx: AtomicBool,
    /// The key received flows are hashed with (where the device hashes them). Written
    /// under RTNL and ethtool's RSS lock, read under one of them.
    hash_key: [AtomicU8; RX_HASH_KEY_LEN],
    /// The operator turned MSI-X off (`ethtool --set-priv-flags IFACE disable-msix on`).
    pub(crate) msix_disabled: AtomicBool,
}

impl Settings {
    pub(crate) fn flow_control(&self) -> FlowControl {
        FlowControl {
            rx: self.pause_rx.load(Ordering::Relaxed),
            tx: self.pause_tx.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn hash_key(&self) -> [u8; RX_HASH_KEY_LEN] {
        let mut key = [0; RX_HASH_KEY_LEN];
        for (byte, stored) in key.iter_mut().zip(&self.hash_key) {
            *byte = stored.load(Ordering::Relaxed);
        }
        key
    }

    pub(crate) fn set_hash_key(&self, key: &[u8; RX_HASH_KEY_LEN]) {
        for (byte, stored) in key.iter().zip(&self.hash_key) {
            stored.store(*byte, Ordering::Relaxed);
        }
    }
}

/// One bound device.
///
/// Teardown: `drop` unregisters the net device (which stops it: rings, page pools, lines
/// and NAPI polls are gone then), cancels the admin work and detaches the hardware; then
/// the fields drop in declaration order. `napi` is deleted while the net device it
/// belongs to is still allocated (`netif_napi_del` takes the device's lock), and `netdev`,
/// which frees the net device, is the last field.
#[pin_data(PinnedDrop)]
pub struct Adapter<'bound, D: Datapath> {
    /// Proof that `napi` is disabled, kept while the adapter is down: `bring_up` fills the
    /// RX ring's pool with it and spends it to enable NAPI; `bring_down` gets it back. It
    /// names `napi` by address: it drops first.
    #[pin]
    napi_off: Mutex<Option<NapiOff>>,
    #[pin]
    napi: Napi<Self>,
    /// The TX ring, shared by the xmit path, the XDP senders and NAPI without a lock of
    /// iflib's (see [`TxRing`]).
    tx: Installed<TxRing>,
    #[pin]
    rx: SpinLock<Option<RxRing>>,
    #[pin]
    lines: Mutex<Option<Lines>>,
    /// The MAC counters' totals (see [`Adapter::mac_counters`]).
    #[pin]
    mac_totals: Mutex<MacCounters>,
    /// Resets after a TX timeout; reads the MAC counters periodically.
    #[pin]
    admin: AdminWork<Self>,
    /// The TX watchdog asked for a reset.
    reset_requested: AtomicBool,
    /// Set by the interrupt handler when the link may have changed; read by NAPI.
    link_event: AtomicBool,
    /// Set by NAPI when it left RX slots empty for want of memory; the admin work then
    /// schedules it to try again.
    rx_short: AtomicBool,
    /// Refill retries the admin work ran (see `run_admin`).
    refill_retries: AtomicU32,
    /// Rings, interrupt and NAPI are live (changed under RTNL).
    up: AtomicBool,
    /// The hardware is started and takes receive filter writes: changed under the address
    /// lists' lock, so that `set_rx_mode` never writes to a device being stopped or reset.
    rx_filter_live: AtomicBool,
    /// The XDP program run on every received frame, if any.
    xdp: ProgramSlot,
    /// The device hashes received flows ([`crate::Attached::rx_hash`]).
    pub(crate) rx_hash: bool,
    /// The driver routes MSI-X and the device has it: the operator may turn it off.
    pub(crate) msix_available: bool,
    pub(crate) settings: Settings,
    pub(crate) counters: Counters,
    pub(crate) hw: D::Hardware<'bound>,
    pub(crate) pdev: &'bound pci::Device<Bound>,
    /// The interrupt vectors; replaced, under RTNL while the adapter is down, when the
    /// operator turns MSI-X off or on. `None` if that failed to allocate any.
    #[pin]
    vectors: Mutex<Option<Vectors<'bound>>>,
    /// The net device; freed when dropped, so it stays last (see above).
    netdev: Registration<Self>,
}

impl<'bound, D: Datapath> Adapter<'bound, D> {
    fn probe<'core>(
        pdev: &'bound pci::Device<Core<'core>>,
        info: Option<&'bound D::IdInfo>,
    ) -> impl PinInit<Self, Error> + use<'bound, 'core, D> {
        crate::driver::check_description::<D>();
        pin_init::pin_init_scope(move || {
            let info = info.ok_or(ENODEV)?;
            pdev.enable_device_mem()?;
            pdev.set_master();
            let attached = D::attach(pdev, info)?;
            let mask = kernel::dma::DmaMask::try_new(attached.dma_address_bits)?;
            // SAFETY: Probe holds the device lock and nothing of the device's is registered,
            // requested or queued yet, so nothing allocates or maps for it concurrently
            // (`attach`, which ran on this thread, allocates and maps nothing).
            unsafe { kernel::dma::Device::dma_set_mask_and_coherent(pdev, mask) }?;
            let vectors = Vectors::allocate(pdev, D::DESCRIPTION.msix)?;
            let irqs = vectors.irqs;

            let desc = &D::DESCRIPTION;
            let netdev = Registration::<Self>::new(pdev.as_ref(), 1, 1)?;
            let dev = netdev.device();
            dev.set_mac_address(&attached.mac_address);
            dev.set_mtu_range(68, Self::buffer_limits().max_mtu());
            netdev.set_ethtool_ops();
            let mut features = 0;
            if desc.tx_max_segments > 1 {
                features |= netdev::features::SG;
            }
            if desc.tx_checksum {
                features |= netdev::features::HW_CSUM;
                if desc.tso && desc.tx_max_segments > 1 {
                    features |= netdev::features::TSO;
                    if attached.tso_ipv6 {
                        features |= netdev::features::TSO6;
                    }
                }
            }
            if desc.rx_checksum {
                features |= netdev::features::RXCSUM;
            }
            if attached.rx_hash {
                features |= netdev::features::RXHASH;
            }
            // Tag stripping is programmed once at start: it stays on.
            let changeable = features;
            if desc.vlan_offload {
                features |= netdev::features::HW_VLAN_CTAG_TX | netdev::features::HW_VLAN_CTAG_RX;
            }
            netdev.set_features(features, changeable);
            netdev.set_xdp_features(
                xdp::features::BASIC | xdp::features::REDIRECT | xdp::features::NDO_XMIT,
            );
            netdev.set_watchdog_timeout(kernel::time::msecs_to_jiffies(TX_TIMEOUT_MS) as c_int);
            let pdev: &'bound pci::Device<Bound> = pdev;

            // `netdev` is initialised first, so that on a failure below it is dropped last
            // (pin-init drops in reverse order), after `napi` is deleted.
            Ok(try_pin_init!(&this in Self {
                netdev,
                napi <- Napi::new(),
                tx: Installed::new(),
                rx <- kernel::new_spinlock!(None, "iflib_rx"),
                lines <- kernel::new_mutex!(None, "iflib_irq"),
                napi_off <- kernel::new_mutex!(None, "iflib_napi_off"),
                mac_totals <- kernel::new_mutex!(MacCounters::default(), "iflib_mac_totals"),
                admin <- AdminWork::new(),
                reset_requested: AtomicBool::new(false),
                link_event: AtomicBool::new(false),
                rx_short: AtomicBool::new(false),
                refill_retries: AtomicU32::new(0),
                up: AtomicBool::new(false),
                rx_filter_live: AtomicBool::new(false),
                xdp: ProgramSlot::new(),
                rx_hash: attached.rx_hash,
                msix_available: irqs.admin.is_some(),
                settings: Settings {
                    tx_len: AtomicU32::new(desc.tx_ring.default),
                    rx_len: AtomicU32::new(desc.rx_ring.default),
                    interrupt_usecs: AtomicU32::new(
                        desc.interrupt_interval.map_or(0, |i| i.default_usecs),
                    ),
                    pause_rx: AtomicBool::new(false),
                    pause_tx: AtomicBool::new(false),
                    hash_key: {
                        let mut key = [0; RX_HASH_KEY_LEN];
                        netdev::fill_rss_key(&mut key);
                        key.map(AtomicU8::new)
                    },
                    msix_disabled: AtomicBool::new(false),
                },
                counters: Counters::default(),
                hw: attached.hardware,
                pdev,
                vectors <- kernel::new_mutex!(Some(vectors), "iflib_vectors"),
                _: {
                    let this = this.as_ptr().cast_const();
                    // SAFETY: `this` is pinned and fully initialised; the NAPI context and the
                    // net device are torn down (in `drop`) before `this` goes away.
                    unsafe {
                        let adapter = &*this;
                        let off =
                            Pin::new_unchecked(&adapter.napi).add(adapter.netdev.device(), 0, this);
                        *adapter.napi_off.lock() = Some(off);
                        let queue = adapter.netdev.device().tx_queue(0).ok_or(ENODEV)?;
                        adapter.tx.set_readers(adapter.napi.id(), queue);
                        adapter.admin.set_owner(this);
                        adapter.napi.set_irq(irqs.queue as i32);
                        // The link is down until `open` reads it from the hardware; said
                        // before registering, as an `open` may run as soon as that returns.
                        adapter.netdev.device().carrier_off();
                        adapter.netdev.register(this)?;
                    }
                },
            }))
        })
    }

    /// The RX buffer limits of `D` with page_pool pages.
    fn buffer_limits() -> BufferLimits {
        BufferLimits {
            sizes: D::DESCRIPTION.rx_buffer_sizes,
            max_frame: D::DESCRIPTION.max_frame_size,
            // SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) is at most 384 bytes.
            usable: (PAGE_SIZE as u32) - RX_HEADROOM - 384,
        }
    }

    pub(crate) fn dma(&self) -> &kernel::device::Device<Bound> {
        self.pdev.as_ref()
    }

    fn update_link(&self) {
        let dev = self.netdev.device();
        match D::link_state(&self.hw) {
            LinkState::Up { .. } => {
                if !dev.carrier_ok() {
                    dev.carrier_on();
                }
            }
            LinkState::Down => {
                if dev.carrier_ok() {
                    dev.carrier_off();
                }
            }
        }
    }

    /// Adds what the MAC counted since the last read to the totals and returns them; `None`
    /// if the device has no MAC counters (process context).
    pub(crate) fn mac_counters(&self) -> Option<MacCounters> {
        let mut totals = self.mac_totals.lock();
        totals.add(&D::read_mac_counters(&self.hw)?);
        Some(*totals)
    }

    /// Adds what the MAC counted since the last read to the totals, before the hardware
    /// counters can be lost (a stop or reset) or saturate (process context).
    fn fold_mac_counters(&self) {
        let _ = self.mac_counters();
    }

    /// Allocates rings, starts the hardware and enables interrupts (RTNL).
    pub(crate) fn bring_up(&self) -> Result {
        let irqs = self.irqs().ok_or(ENODEV)?;
        let mut napi_off = self.napi_off.lock();
        // Down, NAPI is disabled: the proof is here.
        let off = napi_off.as_ref().ok_or(EBUSY)?;
        let dev = self.netdev.device();
        let desc = &D::DESCRIPTION;
        let buffer_size = Self::buffer_limits().buffer_size(dev.mtu()).ok_or(EINVAL)?;
        let tx_len = self.settings.tx_len.load(Ordering::Relaxed);
        let rx_len = self.settings.rx_len.load(Ordering::Relaxed);
        let tx = TxRing::new(self.dma(), tx_len, desc.tx_entry_size)?;
        let mut rx = RxRing::new(
            self.dma(),
            &self.napi,
            dev,
            rx_len,
            desc.rx_entry_size,
            buffer_size,
        )?;

        D::set_mac_address(&self.hw, &dev.mac_address());
        D::route_interrupts(&self.hw, irqs.routing());
        let rx_config = RxConfig {
            buffer_size,
            max_frame_size: dev.mtu() + FRAME_OVERHEAD,
        };
        if let Err(e) = D::start(&self.hw, &tx.ring, &rx.ring, &rx_config) {
            D::stop(&self.hw);
            return Err(e);
        }
        if desc.interrupt_interval.is_some() {
            let usecs = self.settings.interrupt_usecs.load(Ordering::Relaxed);
            D::set_interrupt_interval(&self.hw, usecs);
        }
        if desc.flow_control {
            D::set_flow_control(&self.hw, self.settings.flow_control());
        }
        if self.rx_hash {
            D::set_rx_hash_key(&self.hw, &self.settings.hash_key());
        }
        if rx.refill::<D>(&self.hw, off) == rx_len - 1 {
            D::stop(&self.hw);
            rx.release_buffers();
            return Err(ENOMEM);
        }
        // Closed since `bring_down` (or never opened), with NAPI disabled (`off`).
        if let Err((_, tx)) = self.tx.replace(Some(tx), off) {
            // Not reached: the ring is closed and `off` is our context's.
            D::stop(&self.hw);
            drop(tx);
            rx.release_buffers();
            return Err(EINVAL);
        }
        *self.lock_rx().0 = Some(rx);
        if let Some(queue) = dev.tx_queue(0) {
            queue.reset(off);
        }

        // SAFETY: `self` is pinned inside the bound device's data and outlives the lines: they
        // are freed in `bring_down`, which runs before the adapter is dropped.
        let lines = match unsafe { self.request_lines(irqs) } {
            Ok(lines) => lines,
            Err(e) => {
                // The hardware must stop using the rings before they are freed.
                D::stop(&self.hw);
                self.release_rings(off);
                return Err(e);
            }
        };
        self.napi.bind_queue(dev, napi::QueueKind::Rx, 0, true);
        self.napi.bind_queue(dev, napi::QueueKind::Tx, 0, true);
        // The xmit path and XDP senders may use the ring from now on, then the poll.
        let enabled = self.tx.open(off).map_err(|_| EINVAL).and_then(|()| {
            let off = napi_off.take().ok_or(EINVAL)?;
            self.napi.enable(off).map_err(|off| {
                *napi_off = Some(off);
                EINVAL
            })
        });
        if let Err(e) = enabled {
            // Not reached: `off` is this context's proof.
            drop(lines);
            self.napi.bind_queue(dev, napi::QueueKind::Rx, 0, false);
            self.napi.bind_queue(dev, napi::QueueKind::Tx, 0, false);
            D::stop(&self.hw);
            if let Some(off) = napi_off.as_ref() {
                if let Some(queue) = dev.tx_queue(0) {
                    let _ = self.tx.close(queue, off);
                }
                self.release_rings(off);
            }
            return Err(e);
        }
        drop(napi_off);
        *self.lines.lock() = Some(lines);
        self.set_rx_filter_live(dev, true);
        D::enable_interrupts(&self.hw);
        self.update_link();
        dev.tx_start_all();
        self.up.store(true, Ordering::Release);
        self.admin.run_later();
        Ok(())
    }

    /// Lets `set_rx_mode` write the receive filter, applying the current one, or stops it
    /// (RTNL): under the address lists' lock, which `set_rx_mode` runs under.
    fn set_rx_filter_live(&self, dev: &netdev::Device, live: bool) {
        let addresses = dev.lock_addresses();
        self.rx_filter_live.store(live, Ordering::Relaxed);
        if live {
            self.apply_rx_filter(dev, &addresses);
        }
    }

    /// Gives the driver the interface's receive filter: promiscuous and all-multicast modes
    /// and up to 16 multicast addresses (more turn all-multicast on).
    fn apply_rx_filter(&self, dev: &netdev::Device, addresses: &netdev::AddressListsLocked<'_>) {
        let mut list = [[0u8; netdev::ETH_ALEN]; 16];
        let mut count = 0;
        let mut overflow = false;
        addresses.for_each_multicast(|addr| {
            if let Some(slot) = list.get_mut(count) {
                *slot = *addr;
                count += 1;
            } else {
                overflow = true;
            }
        });
        let filter = RxFilter {
            promiscuous: dev.is_promiscuous(),
            all_multicast: dev.is_all_multicast() || overflow,
        };
        D::set_rx_filter(&self.hw, filter, &list[..count]);
    }

    /// Stops the hardware and frees what `bring_up` allocated (RTNL). Does nothing if the
    /// adapter is not up (a failed `bring_up` after an MTU or ring change leaves it down
    /// while the stack still sees the interface running).
    pub(crate) fn bring_down(&self) {
        if !self.up.swap(false, Ordering::Relaxed) {
            return;
        }
        let dev = self.netdev.device();
        // NAPI first: a poll after the TX queues are disabled could wake them (its TX
        // completions do), and the xmit path would then run on rings being freed; and a
        // poll finishing after the device's interrupts are masked would unmask them again.
        // Then the queues (waiting for an xmit in progress), then mask the interrupts, so
        // that the line is quiet when it is freed: an INTx line freed while the device
        // asserts it can be left pending in the IO-APIC and storm when next requested.
        // Up, NAPI is enabled and its proof is made here (kept, should it not be).
        let Some(off) = self.napi.disable().or_else(|| self.napi_off.lock().take()) else {
            return;
        };
        dev.tx_disable();
        // And XDP senders (which take the queue's lock whatever its state) no longer reach
        // the TX ring: it is replaced below.
        if let Some(queue) = dev.tx_queue(0) {
            let _ = self.tx.close(queue, &off);
        }
        dev.carrier_off();
        D::disable_interrupts(&self.hw);
        drop(self.lines.lock().take());
        self.napi.bind_queue(dev, napi::QueueKind::Rx, 0, false);
        self.napi.bind_queue(dev, napi::QueueKind::Tx, 0, false);
        // A stop may reset the MAC, and its counters and filters with it.
        self.fold_mac_counters();
        self.set_rx_filter_live(dev, false);
        D::stop(&self.hw);
        self.release_rings(&off);
        if let Some(queue) = dev.tx_queue(0) {
            queue.reset(&off);
        }
        *self.napi_off.lock() = Some(off);
    }

    /// Whether the hardware is started: settings are written to it now rather than at the
    /// next start (RTNL).
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// The Linux numbers of the interrupt vectors, if there are any.
    fn irqs(&self) -> Option<Irqs> {
        self.vectors.lock().as_ref().map(|vectors| vectors.irqs)
    }

    /// Uses MSI-X (where available) or not from now on: frees the vectors and allocates
    /// them anew, restarting a running device around it (RTNL).
    pub(crate) fn set_msix_disabled(&self, disabled: bool) -> Result {
        let old = self.settings.msix_disabled.load(Ordering::Relaxed);
        if old == disabled && self.irqs().is_some() {
            return Ok(());
        }
        self.restart_with(
            "interrupt mode",
            || {
                self.settings
                    .msix_disabled
                    .store(disabled, Ordering::Relaxed);
                self.reallocate_vectors(disabled)
            },
            || {
                self.settings.msix_disabled.store(old, Ordering::Relaxed);
                let _ = self.reallocate_vectors(old);
            },
        )
    }

    /// Frees the vectors and allocates them with MSI-X or without (RTNL, the adapter down:
    /// it then holds no line).
    fn reallocate_vectors(&self, msix_disabled: bool) -> Result {
        let mut vectors = self.vectors.lock();
        self.napi.set_irq(-1);
        *vectors = None;
        let new = Vectors::allocate(self.pdev, D::DESCRIPTION.msix && !msix_disabled)?;
        self.napi.set_irq(new.irqs.queue as i32);
        *vectors = Some(new);
        Ok(())
    }

    /// Changes a setting that takes a restart (ring sizes, MTU, interrupt mode) under RTNL:
    /// a running adapter is stopped, `apply` runs and the adapter starts again. If either
    /// fails (memory, most likely), `undo` puts the old setting back and the adapter starts
    /// with that: the device keeps working, the kernel log says so (naming the setting
    /// `what`) and the caller returns the error.
    pub(crate) fn restart_with(
        &self,
        what: &str,
        apply: impl FnOnce() -> Result,
        undo: impl FnOnce(),
    ) -> Result {
        let running = self.netdev.device().is_running();
        self.bring_down();
        let applied = apply().and_then(|()| if running { self.bring_up() } else { Ok(()) });
        let Err(e) = applied else {
            return Ok(());
        };
        undo();
        dev_warn!(
            self.dma(),
            "cannot apply the new {what} (error {}); keeping the previous setting\n",
            e.to_errno()
        );
        if running && self.bring_up().is_err() {
            dev_err!(
                self.dma(),
                "cannot restart with the previous {what} either; the device stays down\n"
            );
        }
        Err(e)
    }

    /// Frees the rings (RTNL, the hardware stopped, NAPI disabled as `off` proves and the
    /// TX ring closed to the queue's lock holders).
    fn release_rings(&self, off: &NapiOff) {
        if let Ok(Some(mut tx)) = self.tx.replace(None, off) {
            tx.discard_all(self.dma());
        }
        let rx = self.lock_rx().0.take();
        if let Some(mut rx) = rx {
            rx.release_buffers();
        }
    }

    /// The RX ring's lock, taken from process context (RTNL, NAPI disabled): with bottom
    /// halves off, as the NAPI poll takes it in softirq context. The ring's lock drops first.
    fn lock_rx(&self) -> (SpinLockGuard<'_, Option<RxRing>>, BhDisabled) {
        let bh = BhDisabled::new();
        (self.rx.lock(), bh)
    }

    /// Requests the interrupt lines `irqs` with the handlers that fit the routing.
    ///
    /// # Safety
    ///
    /// `self` must stay valid until the returned lines are dropped.
    unsafe fn request_lines(&self, irqs: Irqs) -> Result<Lines> {
        let cookie = core::ptr::from_ref(self).cast();
        // Named as Intel's C drivers name theirs, which tools that spread vectors over CPUs
        // look for: "<interface>-TxRx-<queue set>" for a queue set's own vector,
        // "<interface>" for the admin vector or the only one.
        let ifname = self.netdev.device().name();
        let base = match &ifname {
            Some(ifname) => ifname.to_str()?,
            None => D::DESCRIPTION.name.to_str()?,
        };
        let name = |suffix: &str| CString::try_from_fmt(fmt!("{base}{suffix}"));
        let (queue_handler, queue_name, admin) = match irqs.admin {
            Some(admin) => (
                Self::queue_interrupt as crate::irq::Handler,
                name("-TxRx-0")?,
                Some(admin),
            ),
            None => (Self::interrupt as crate::irq::Handler, name("")?, None),
        };
        // SAFETY: The caller keeps `self`, the handlers' cookie, valid while requested.
        let queue = unsafe { Line::request(irqs.queue, queue_handler, queue_name, cookie) }?;
        let admin = match admin {
            Some(irq) => {
                let admin_name = name("")?;
                // SAFETY: As above.
                Some(unsafe { Line::request(irq, Self::admin_interrupt, admin_name, cookie) }?)
            }
            None => None,
        };
        Ok(Lines {
            _queue: queue,
            _admin: admin,
        })
    }

    /// The hard IRQ handler of a single vector: acknowledge, mask and hand the work to NAPI.
    ///
    /// # Safety
    ///
    /// `cookie` is the `Adapter` the line was requested for.
    unsafe extern "C" fn interrupt(_irq: c_int, cookie: *mut c_void) -> bindings::irqreturn_t {
        // SAFETY: The line is freed before the adapter goes away (see `bring_up`).
        let this = unsafe { &*cookie.cast::<Self>() };
        let cause = D::interrupt_cause(&this.hw);
        if !cause.ours {
            return bindings::irqreturn_t(bindings::irqreturn::IRQ_NONE.0);
        }
        if cause.link {
            this.link_event.store(true, Ordering::Relaxed);
        }
        D::disable_interrupts(&this.hw);
        this.napi.schedule();
        bindings::irqreturn_t(bindings::irqreturn::IRQ_HANDLED.0)
    }

    /// The MSI-X queue vector's handler: the device masked the queue causes when it raised
    /// the vector; NAPI does the work and unmasks them.
    ///
    /// # Safety
    ///
    /// `cookie` is the `Adapter` the line was requested for.
    unsafe extern "C" fn queue_interrupt(
        _irq: c_int,
        cookie: *mut c_void,
    ) -> bindings::irqreturn_t {
        // SAFETY: The line is freed before the adapter goes away (see `bring_up`).
        let this = unsafe { &*cookie.cast::<Self>() };
        this.napi.schedule();
        bindings::irqreturn_t(bindings::irqreturn::IRQ_HANDLED.0)
    }

    /// The MSI-X admin vector's handler: acknowledge the cause and let NAPI read the link.
    ///
    /// # Safety
    ///
    /// `cookie` is the `Adapter` the line was requested for.
    unsafe extern "C" fn admin_interrupt(
        _irq: c_int,
        cookie: *mut c_void,
    ) -> bindings::irqreturn_t {
        // SAFETY: The line is freed before the adapter goes away (see `bring_up`).
        let this = unsafe { &*cookie.cast::<Self>() };
        if D::interrupt_cause(&this.hw).link {
            this.link_event.store(true, Ordering::Relaxed);
        }
        this.napi.schedule();
        bindings::irqreturn_t(bindings::irqreturn::IRQ_HANDLED.0)
    }
}

impl<D: Datapath> napi::Poll for Adapter<'_, D> {
    fn poll(&self, poll: Polling<'_>) -> Polled {
        let budget = poll.budget();
        let dev = self.netdev.device();
        // Not from netpoll: the causes it cleared would raise no interrupt for what it
        // leaves to the poll proper.
        if budget != 0 {
            D::clear_queue_causes(&self.hw);
        }
        // TX completions first: they free ring space and never count against the budget.
        let mut retired = Retired::default();
        if let Some(consumer) = self.tx.get_in_poll(&poll).map(TxRing::consumer) {
            consumer.reclaim::<D>(&self.hw, self.dma(), &poll, &mut retired);
            crate::stats::add(&self.counters.tx_packets, retired.frames);
            crate::stats::add(&self.counters.tx_bytes, retired.bytes);
            if let Some(queue) = dev.tx_queue(0) {
                let max = D::DESCRIPTION.tx_max_entries_per_packet;
                let (frames, bytes) = (retired.stack_frames, retired.stack_bytes);
                // XDP frames free entries too: the queue may have stopped on a ring they
                // filled, with no packet of the stack's left to complete.
                let freed = retired.frames > 0;
                let free = || consumer.free_entries();
                queue.completed_wake(&poll, frames, bytes, freed, free, 2 * max);
            }
        }
        let Some(receiving) = poll.receiving() else {
            // Netpoll: TX completions only.
            crate::stats::add(&self.counters.netpoll_polls, 1);
            if retired.left_for_napi {
                // XDP frames only the poll proper may return: have it run soon.
                crate::stats::add(&self.counters.netpoll_xdp_left, 1);
                self.napi.schedule();
            }
            return poll.complete_done(0).0;
        };
        let mut done = 0;
        let mut rx_short = false;
        if let Some(rx) = self.rx.lock().as_mut().get_mut() {
            let rcu = rcu::read_lock();
            let mut xdp = self.xdp.get(&rcu).map(|prog| XdpPoll::new(prog, receiving));
            loop {
                let counters = &self.counters;
                done += rx.receive::<D>(
                    &self.hw,
                    &receiving,
                    dev,
                    budget - done,
                    counters,
                    xdp.as_mut(),
                );
                let Some(xdp) = xdp.as_mut() else {
                    break;
                };
                let batch_full = xdp.tx_full();
                self.send_xdp_frames(xdp, &receiving);
                if !batch_full || done >= budget {
                    break;
                }
            }
            if let Some(xdp) = xdp {
                xdp.finish();
            }
            rx_short = rx.refill::<D>(&self.hw, &receiving) > 0;
        }
        if self.link_event.swap(false, Ordering::Relaxed) {
            self.update_link();
        }
        crate::stats::add(&self.counters.napi_polls, 1);
        if retired.frames == 0 && done == 0 {
            crate::stats::add(&self.counters.napi_idle_polls, 1);
        }
        if rx_short {
            // No interrupt may come for the empty slots (none, if the ring ran dry); polling
            // again at once would spin while memory stays short. Try again a little later.
            crate::stats::add(&self.counters.rx_buffer_short, 1);
            // Armed once per retry: re-timing the work at every short poll would put off
            // what else it has to do (a reset) for as long as polls keep coming.
            if !self.rx_short.swap(true, Ordering::Relaxed) {
                self.admin.run_after(crate::admin::RX_REFILL_RETRY_MS);
            }
        }
        let (polled, rearm) = poll.complete_done(done);
        if rearm {
            D::enable_interrupts(&self.hw);
        }
        polled
    }
}

impl<D: Datapath> Adapter<'_, D> {
    /// Places the frames the XDP program sends back out on the TX ring (NAPI). The stack's
    /// queue lock keeps the doorbell in order with the xmit path's.
    fn send_xdp_frames(&self, xdp: &mut XdpPoll<'_>, receiving: &Receiving<'_>) {
        if !xdp.has_tx() {
            return;
        }
        let dev = self.netdev.device();
        let Some(queue) = dev.tx_queue(0) else {
            xdp.send_tx(dev, &self.counters, Err);
            return;
        };
        let queue_lock = queue.lock_in_softirq(receiving);
        let mut tail = None;
        let producer = self.tx.get_locked(&queue_lock).map(TxRing::producer);
        xdp.send_tx(dev, &self.counters, |frame| match &producer {
            Some(producer) => {
                producer.post_frame::<D>(&self.hw, self.dma(), frame)?;
                tail = Some(producer.doorbell_tail());
                Ok(())
            }
            None => Err(frame),
        });
        if let Some(tail) = tail {
            D::tx_doorbell(&self.hw, tail);
            queue_lock.note_progress();
        }
    }
}

#[vtable]
impl<D: Datapath> netdev::Operations for Adapter<'_, D> {
    fn open(_dev: &netdev::Device, this: &Self) -> Result {
        this.bring_up()
    }

    fn stop(_dev: &netdev::Device, this: &Self) -> Result {
        this.bring_down();
        Ok(())
    }

    fn start_xmit(
        skb: SkBuff,
        _dev: &netdev::Device,
        this: &Self,
        queue: &netdev::Xmitting<'_>,
    ) -> Transmit {
        let Some(producer) = this.tx.get_locked(queue).map(TxRing::producer) else {
            crate::stats::add(&this.counters.tx_dropped, 1);
            skb.free_any();
            return Transmit::Done;
        };
        match producer.transmit::<D>(&this.hw, this.dma(), queue, &this.counters, skb) {
            Ok(()) => Transmit::Done,
            Err(skb) => Transmit::Busy(skb),
        }
    }

    fn get_stats64(_dev: &netdev::Device, this: &Self) -> LinkStats {
        this.counters.link_stats()
    }

    fn queue_stats(
        _dev: &netdev::Device,
        this: &Self,
        _queue: u32,
    ) -> (netdev::QueueRxStats, netdev::QueueTxStats) {
        // One queue set: the device counters are queue 0's.
        this.counters.queue_stats()
    }

    fn set_rx_mode(dev: &netdev::Device, this: &Self, addresses: &netdev::AddressListsLocked<'_>) {
        // Stopped, the hardware takes no filter: `bring_up` applies the current one.
        if this.rx_filter_live.load(Ordering::Relaxed) {
            this.apply_rx_filter(dev, addresses);
        }
    }

    fn change_mtu(dev: &netdev::Device, this: &Self, mtu: u32) -> Result {
        let limits = Self::buffer_limits();
        limits.buffer_size(mtu).ok_or(EINVAL)?;
        if this.xdp.is_set() && !limits.fits_one_buffer(mtu) {
            dev_warn!(
                this.dma(),
                "MTU {mtu} refused: an XDP program needs frames in one buffer\n"
            );
            return Err(EINVAL);
        }
        let old = dev.mtu();
        this.restart_with(
            "MTU",
            || {
                dev.set_mtu(mtu);
                Ok(())
            },
            || dev.set_mtu(old),
        )
    }

    fn features_check(skb: &SkBuffRef, _dev: &netdev::Device, _this: &Self, features: u64) -> u64 {
        crate::tx::offloads_within_reach::<D>(skb, features)
    }

    fn tx_timeout(_dev: &netdev::Device, this: &Self, _queue: u32) {
        crate::stats::add(&this.counters.tx_timeouts, 1);
        this.reset_requested.store(true, Ordering::Relaxed);
        this.admin.run_now();
    }

    fn set_xdp_program(
        dev: &netdev::Device,
        this: &Self,
        prog: Option<BpfProgram>,
        extack: &mut ExtAck,
    ) -> Result {
        // Programs see whole frames: each must fit one RX buffer (and its page keeps
        // XDP's headroom and a packet's tailroom, see `buffer_limits`).
        if prog.is_some() && !Self::buffer_limits().fits_one_buffer(dev.mtu()) {
            extack.set_message(c"MTU too large for XDP: a frame must fit one RX buffer");
            return Err(EINVAL);
        }
        // The old program (dropped here) is freed once NAPI polls that may run it are over.
        drop(this.xdp.replace(prog));
        Ok(())
    }

    fn xdp_transmit(
        dev: &netdev::Device,
        this: &Self,
        frames: &mut XmitFrames<'_>,
        flush: bool,
    ) -> Result {
        let queue = dev.tx_queue(0).ok_or(ENETDOWN)?;
        // As for XDP_TX: the stack's queue lock orders the doorbell with the xmit path's.
        let context = frames.context();
        let queue_lock = queue.lock_in_softirq(&context);
        // Stopping clears `up`, then takes this lock (`tx_disable`): after that, no frame is
        // placed on a ring being torn down, nor a doorbell rung on stopped hardware.
        if !this.up.load(Ordering::Acquire) {
            return Err(ENETDOWN);
        }
        let mut sent = 0;
        let mut tail = None;
        let producer = this
            .tx
            .get_locked(&queue_lock)
            .map(TxRing::producer)
            .ok_or(ENETDOWN)?;
        while let Some(frame) = frames.take() {
            if let Err(frame) = producer.post_redirected::<D>(&this.hw, this.dma(), frame) {
                frames.give_back(frame);
                break;
            }
            sent += 1;
        }
        if flush {
            tail = Some(producer.doorbell_tail());
        }
        crate::stats::add(&this.counters.xdp_xmit, sent);
        if let Some(tail) = tail {
            D::tx_doorbell(&this.hw, tail);
            queue_lock.note_progress();
        }
        Ok(())
    }
}

impl<D: Datapath> Admin for Adapter<'_, D> {
    fn run_admin(&self) {
        if self.reset_requested.swap(false, Ordering::Relaxed) {
            self.reset();
        }
        let retry = self.rx_short.swap(false, Ordering::Relaxed);
        if retry && self.up.load(Ordering::Relaxed) {
            // Scheduled from process context: the poll runs when bottom halves come back on.
            let _bh = BhDisabled::new();
            self.napi.schedule();
        }
        // Retries come every 10 ms while memory is short, and the periodic run waits
        // behind them: they read the MAC counters once in 100 (a second).
        let retries = self
            .refill_retries
            .fetch_add(u32::from(retry), Ordering::Relaxed);
        if !retry || retries % 100 == 0 {
            self.fold_mac_counters();
        }
        if self.up.load(Ordering::Relaxed) {
            self.admin.run_later();
        }
    }
}

impl<D: Datapath> Adapter<'_, D> {
    /// Stops and restarts a running device (admin work).
    fn reset(&self) {
        // SAFETY: Process context (a work item); RTNL serialises with open, stop and
        // the ethtool and MTU paths, which also stop and start the adapter.
        unsafe { bindings::rtnl_lock() };
        if self.netdev.device().is_running() {
            self.bring_down();
            if self.bring_up().is_err() {
                dev_err!(
                    self.dma(),
                    "reset after a TX timeout failed; the device stays down\n"
                );
            }
        }
        // SAFETY: Taken above.
        unsafe { bindings::rtnl_unlock() };
    }
}

#[pinned_drop]
impl<D: Datapath> PinnedDrop for Adapter<'_, D> {
    fn drop(self: Pin<&mut Self>) {
        // Unregistering stops the device if it is up (and with it the TX watchdog); then
        // no reset can be queued, one in flight is waited for, and the hardware quiesced.
        self.netdev.unregister();
        self.admin.cancel();
        D::detach(&self.hw);
    }
}
