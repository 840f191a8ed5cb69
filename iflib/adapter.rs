// SPDX-License-Identifier: GPL-2.0

//! The adapter: one bound PCI device with its net device, queue sets and interrupts.
//!
//! Lifecycle: probe maps the device ([`Driver::attach`]) and registers the net device; open
//! allocates the rings of the queue sets in use, requests their interrupts and starts the
//! hardware; stop undoes open in reverse; unbind unregisters the net device (stopping it),
//! then detaches the hardware.

use crate::{
    buffer::BufferLimits,
    driver::{
        ChecksumInsertion,
        Datapath,
        FlowControl,
        LinkConfig,
        LinkState,
        RxHashPorts,
        MAX_QUEUE_SETS,
        RX_HASH_KEY_LEN, //
    },
    irq::{
        Lines,
        Vectors, //
    },
    mac_stats::MacCounters,
    queue_set::QueueSet,
    rx::RX_HEADROOM,
    vlan::VlanTable,
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
    device::{
        Bound,
        Core, //
    },
    net::{
        device::{
            self as netdev,
            Registration, //
        },
        ethtool::LinkModes,
        service::ServiceWork,
        xdp::{
            self,
            ProgramSlot, //
        },
    },
    page::PAGE_SIZE,
    pci,
    prelude::*,
    sync::Mutex,
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
    /// The speeds advertised while negotiating ([`LinkModes::bits`]), kept while a speed
    /// is forced.
    advertising: AtomicU32,
    /// The mode forced, or none while negotiating ([`LinkModes::bits`]).
    forced: AtomicU32,
    /// The PHY took the link setting (at probe, or after a failure the last time).
    pub(crate) link_applied: AtomicBool,
    /// The key received flows are hashed with (where the device hashes them). Written
    /// under RTNL and ethtool's RSS lock, read under one of them.
    hash_key: [AtomicU8; RX_HASH_KEY_LEN],
    /// The TCP and UDP flows hashed by their ports ([`RxHashPorts`], a bit each), where the
    /// device lets them choose.
    hash_ports: AtomicU8,
    /// The operator turned MSI-X off (`ethtool --set-priv-flags IFACE disable-msix on`).
    pub(crate) msix_disabled: AtomicBool,
    /// Queue sets to use (`ethtool -L combined`), fewer if the vectors are fewer.
    pub(crate) queue_sets: AtomicU32,
    /// The VLANs the stack added, and whether the hardware filters by them.
    pub(crate) vlans: VlanTable,
}

impl Settings {
    /// The speeds advertised while negotiating (also while a speed is forced: those
    /// `ethtool -s autoneg on` goes back to).
    pub(crate) fn advertising(&self) -> LinkModes {
        LinkModes::from_bits(self.advertising.load(Ordering::Relaxed))
    }

    pub(crate) fn link_config(&self) -> LinkConfig {
        let forced = LinkModes::from_bits(self.forced.load(Ordering::Relaxed));
        if forced.is_empty() {
            LinkConfig::Negotiate(self.advertising())
        } else {
            LinkConfig::Force(forced)
        }
    }

    /// Records `link` (RTNL).
    pub(crate) fn set_link_config(&self, link: LinkConfig) {
        let forced = match link {
            LinkConfig::Negotiate(speeds) => {
                self.advertising.store(speeds.bits(), Ordering::Relaxed);
                LinkModes::NONE
            }
            LinkConfig::Force(mode) => mode,
        };
        self.forced.store(forced.bits(), Ordering::Relaxed);
    }

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

    pub(crate) fn hash_ports(&self) -> RxHashPorts {
        let bits = self.hash_ports.load(Ordering::Relaxed);
        RxHashPorts {
            tcp_ipv4: bits & 1 != 0,
            tcp_ipv6: bits & 2 != 0,
            udp_ipv4: bits & 4 != 0,
            udp_ipv6: bits & 8 != 0,
        }
    }

    pub(crate) fn set_hash_ports(&self, ports: RxHashPorts) {
        self.hash_ports
            .store(hash_ports_bits(ports), Ordering::Relaxed);
    }
}

/// `ports` as [`Settings::hash_ports`] keeps them: a bit per flow type.
fn hash_ports_bits(ports: RxHashPorts) -> u8 {
    u8::from(ports.tcp_ipv4)
        | u8::from(ports.tcp_ipv6) << 1
        | u8::from(ports.udp_ipv4) << 2
        | u8::from(ports.udp_ipv6) << 3
}

/// One bound device.
///
/// Teardown: `drop` unregisters the net device (which stops it: rings, page pools, lines
/// and NAPI polls are gone then), disables the admin work and detaches the hardware; then
/// the fields drop in declaration order. The queue sets' NAPI contexts are deleted while
/// the net device they belong to is still allocated (`netif_napi_del` takes the device's
/// lock), and `netdev`, which frees the net device, is the last field.
#[pin_data(PinnedDrop)]
pub struct Adapter<'bound, D: Datapath> {
    /// The queue sets, each a NAPI context with its rings, as many as the device has;
    /// dropped first (see above).
    pub(crate) queue_sets: Pin<KBox<[QueueSet<'bound, D>]>>,
    /// The queue sets started: the first `running_sets` (0 while down; changed under RTNL).
    pub(crate) running_sets: AtomicU32,
    /// Each queue set has its own vector: a poll unmasks its set's causes only (changed
    /// under RTNL while down).
    pub(crate) vector_per_set: AtomicBool,
    /// The RSS indirection table: queue set by hash (where the device hashes flows).
    #[pin]
    pub(crate) rx_hash_table: Mutex<KVec<u32>>,
    #[pin]
    pub(crate) lines: Mutex<Option<Lines>>,
    /// The MAC counters' totals (see [`Adapter::mac_counters`]).
    #[pin]
    pub(crate) mac_totals: Mutex<MacCounters>,
    /// Resets after a TX timeout; reads the MAC counters periodically.
    #[pin]
    pub(crate) admin: ServiceWork<Self>,
    /// The TX watchdog asked for a reset.
    pub(crate) reset_requested: AtomicBool,
    /// Set by the interrupt handler when the link may have changed; read by NAPI.
    pub(crate) link_event: AtomicBool,
    /// Set by NAPI when it left RX slots empty for want of memory; the admin work then
    /// schedules it to try again.
    pub(crate) rx_short: AtomicBool,
    /// Refill retries the admin work ran (see `run_service`).
    pub(crate) refill_retries: AtomicU32,
    /// Rings, interrupt and NAPI are live (changed under RTNL).
    pub(crate) up: AtomicBool,
    /// The hardware is started and takes receive filter writes: changed under the address
    /// lists' lock, so that `set_rx_mode` never writes to a device being stopped or reset.
    pub(crate) rx_filter_live: AtomicBool,
    /// The XDP program run on every received frame, if any.
    pub(crate) xdp: ProgramSlot,
    /// The device hashes received flows ([`crate::Attached::rx_hash`]).
    pub(crate) rx_hash: bool,
    /// It hashes TCP and UDP flows by their ports or not, as told
    /// ([`crate::Attached::rx_hash_ports_choice`]).
    pub(crate) rx_hash_ports_choice: bool,
    /// The driver routes MSI-X and the device has it: the operator may turn it off.
    pub(crate) msix_available: bool,
    pub(crate) settings: Settings,
    pub(crate) hw: D::Hardware<'bound>,
    pub(crate) pdev: &'bound pci::Device<Bound>,
    /// The interrupt vectors; replaced, under RTNL while the adapter is down, when the
    /// operator turns MSI-X off or on. `None` if that failed to allocate any.
    #[pin]
    pub(crate) vectors: Mutex<Option<Vectors<'bound>>>,
    /// The net device; freed when dropped, so it stays last (see above).
    pub(crate) netdev: Registration<Self>,
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
            // The PHY may keep what a driver before set (a MAC reset leaves it): the link
            // is negotiated with every speed, as the settings say (else again at start).
            let link_applied = match D::configure_link(
                &attached.hardware,
                LinkConfig::Negotiate(default_link_speeds::<D>()),
            ) {
                Ok(()) => true,
                Err(e) if e == EOPNOTSUPP => true,
                Err(e) => {
                    dev_warn!(
                        pdev.as_ref(),
                        "cannot set the link to negotiate every speed (error {})\n",
                        e.to_errno()
                    );
                    false
                }
            };
            let mask = kernel::dma::DmaMask::try_new(attached.dma_address_bits)?;
            // SAFETY: Probe holds the device lock and nothing of the device's is registered,
            // requested or queued yet, so nothing allocates or maps for it concurrently
            // (`attach`, which ran on this thread, allocates and maps nothing).
            unsafe { kernel::dma::Device::dma_set_mask_and_coherent(pdev, mask) }?;
            let max_sets = attached.queue_sets.clamp(1, MAX_QUEUE_SETS);
            let vectors = Vectors::allocate(pdev, D::DESCRIPTION.msix, max_sets)?;
            let msix_available = vectors.admin.is_some();
            let sets = vectors
                .queue_sets()
                .min(max_sets)
                .min(netdev::default_rss_queues())
                .max(1);

            let desc = &D::DESCRIPTION;
            let netdev = Registration::<Self>::new(pdev.as_ref(), max_sets, max_sets)?;
            let dev = netdev.device();
            dev.set_real_num_queues(sets, sets)?;
            let mut rx_hash_table = KVec::new();
            if attached.rx_hash {
                // Spread over the sets in use, as ethtool's default (`-X default`) does.
                for entry in 0..desc.rx_hash_table_len {
                    rx_hash_table.push(entry % sets, GFP_KERNEL)?;
                }
            }
            dev.set_mac_address(&attached.mac_address);
            dev.set_mtu_range(68, Self::buffer_limits().max_mtu());
            netdev.set_ethtool_ops();
            let mut features = 0;
            if desc.tx_max_segments > 1 {
                features |= netdev::features::SG;
            }
            if desc.tx_checksum != ChecksumInsertion::None {
                features |= netdev::features::HW_CSUM;
                if desc.offers_tso() {
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
            if desc.vlan_filter {
                features |= netdev::features::HW_VLAN_CTAG_FILTER;
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
            // With MSI-X the core spreads the queue sets' vectors over the CPUs, and keeps
            // what the operator sets instead. Not on a device without: its INTx line may be
            // shared, and the core's notifier would replace another device's.
            if msix_available {
                netdev.spread_irq_affinity();
            }
            netdev.set_watchdog_timeout(kernel::time::msecs_to_jiffies(TX_TIMEOUT_MS) as c_int);
            let pdev: &'bound pci::Device<Bound> = pdev;

            // `netdev` is initialised first, so that on a failure below it is dropped last
            // (pin-init drops in reverse order), after the NAPI contexts are deleted.
            Ok(try_pin_init!(&this in Self {
                netdev,
                queue_sets: KBox::pin_slice(
                    |index| QueueSet::new(index as u32),
                    max_sets as usize,
                    GFP_KERNEL
                )?,
                running_sets: AtomicU32::new(0),
                vector_per_set: AtomicBool::new(false),
                rx_hash_table <- kernel::new_mutex!(rx_hash_table, "iflib_rx_hash_table"),
                lines <- kernel::new_mutex!(None, "iflib_irq"),
                mac_totals <- kernel::new_mutex!(MacCounters::default(), "iflib_mac_totals"),
                admin <- ServiceWork::new(),
                reset_requested: AtomicBool::new(false),
                link_event: AtomicBool::new(false),
                rx_short: AtomicBool::new(false),
                refill_retries: AtomicU32::new(0),
                up: AtomicBool::new(false),
                rx_filter_live: AtomicBool::new(false),
                xdp: ProgramSlot::new(),
                rx_hash: attached.rx_hash,
                rx_hash_ports_choice: attached.rx_hash && attached.rx_hash_ports_choice,
                msix_available,
                settings: Settings {
                    tx_len: AtomicU32::new(desc.rings.tx.limits.default),
                    rx_len: AtomicU32::new(desc.rings.rx.limits.default),
                    interrupt_usecs: AtomicU32::new(
                        desc.interrupt_interval.map_or(0, |i| i.default_usecs),
                    ),
                    pause_rx: AtomicBool::new(false),
                    pause_tx: AtomicBool::new(false),
                    advertising: AtomicU32::new(default_link_speeds::<D>().bits()),
                    forced: AtomicU32::new(0),
                    link_applied: AtomicBool::new(link_applied),
                    hash_key: {
                        let mut key = [0; RX_HASH_KEY_LEN];
                        netdev::fill_rss_key(&mut key);
                        key.map(AtomicU8::new)
                    },
                    hash_ports: AtomicU8::new(hash_ports_bits(RxHashPorts::default())),
                    msix_disabled: AtomicBool::new(false),
                    queue_sets: AtomicU32::new(sets),
                    vlans: VlanTable::new(desc.vlan_filter),
                },
                hw: attached.hardware,
                pdev,
                vectors <- kernel::new_mutex!(Some(vectors), "iflib_vectors"),
                _: {
                    let this = this.as_ptr().cast_const();
                    // SAFETY: `this` is pinned and fully initialised; the net device is torn
                    // down (in `drop`) before `this` goes away.
                    unsafe {
                        let adapter = &*this;
                        let dev = adapter.netdev.device();
                        for set in adapter.queue_sets.iter() {
                            // The NAPI contexts are added at the first open
                            // (`add_napi_contexts`).
                            let queue = dev.tx_queue(set.index).ok_or(ENODEV)?;
                            // Not reached: each queue set is new here.
                            if !set.tx.set_readers(set.napi.id(), queue) {
                                return Err(EINVAL);
                            }
                        }
                        adapter.admin.set_owner(this);
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
    pub(crate) fn buffer_limits() -> BufferLimits {
        BufferLimits {
            sizes: D::DESCRIPTION.rx_buffer_sizes,
            max_frame: D::DESCRIPTION.max_frame_size,
            // SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) is at most 384 bytes.
            usable: (PAGE_SIZE as u32) - RX_HEADROOM - 384,
        }
    }

    /// Queue set `index`, if there is one.
    #[inline]
    pub(crate) fn queue_set(&self, index: u32) -> Option<&QueueSet<'bound, D>> {
        self.queue_sets.get(index as usize)
    }

    /// The most queue sets the vectors serve (`ethtool -l`'s maximum; RTNL).
    pub(crate) fn max_channels(&self) -> u32 {
        let vectors = self.vectors.lock();
        let served = vectors.as_ref().map_or(1, |vectors| vectors.queue_sets());
        served.min(self.queue_sets.len() as u32).max(1)
    }

    /// The queue sets in use, or to be used at the next start (RTNL).
    pub(crate) fn channels(&self) -> u32 {
        match self.running_sets.load(Ordering::Relaxed) {
            0 => {
                let vectors = self.vectors.lock();
                vectors
                    .as_ref()
                    .map_or(1, |vectors| self.usable_sets(vectors))
            }
            running => running,
        }
    }

    /// Spreads the RSS indirection table evenly over `sets` queue sets, as ethtool's
    /// default does (RTNL; the hardware gets it at the next start).
    pub(crate) fn spread_rx_hash_table(&self, sets: u32) {
        for (index, entry) in self.rx_hash_table.lock().iter_mut().enumerate() {
            *entry = index as u32 % sets.max(1);
        }
    }

    /// The queue sets started (none while down).
    #[inline]
    pub(crate) fn running_sets(&self) -> &[QueueSet<'bound, D>] {
        let count = self.running_sets.load(Ordering::Relaxed) as usize;
        self.queue_sets.get(..count).unwrap_or(&[])
    }

    /// Schedules every queue set's poll (hard IRQ, or bottom halves off): the one vector
    /// without MSI-X raises them all.
    pub(crate) fn schedule_polls(&self) {
        for set in self.queue_sets.iter() {
            set.napi.schedule();
        }
    }

    pub(crate) fn dma(&self) -> &kernel::device::Device<Bound> {
        self.pdev.as_ref()
    }

    pub(crate) fn update_link(&self) {
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
    /// counters can saturate (process context; `bring_down` adds them up itself before a
    /// stop can reset them).
    pub(crate) fn fold_mac_counters(&self) {
        let _ = self.mac_counters();
    }
}

#[pinned_drop]
impl<D: Datapath> PinnedDrop for Adapter<'_, D> {
    fn drop(self: Pin<&mut Self>) {
        // Unregistering stops the device if it is up (and with it the TX watchdog, NAPI and
        // the interrupts, which free their lines); then the admin work is disabled (a run in
        // flight is waited for, none queued later) and the hardware quiesced. The fields
        // drop after this, none of them in use any more.
        self.netdev.unregister();
        drop(self.lines.lock().take());
        self.admin.disable();
        D::detach(&self.hw);
    }
}

/// What a port's link negotiates by default: every speed of [`Description::link_modes`].
///
/// [`Description::link_modes`]: crate::Description::link_modes
pub(crate) fn default_link_speeds<D: Datapath>() -> LinkModes {
    D::DESCRIPTION
        .link_modes
        .without(LinkModes::AUTONEG.union(LinkModes::TWISTED_PAIR))
}
