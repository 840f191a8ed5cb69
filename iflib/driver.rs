// SPDX-License-Identifier: GPL-2.0

//! The contract between iflib and a driver: a static description and two traits.
//!
//! Calling contexts are stated on each method. "RTNL" means the caller holds the RTNL lock
//! (process context, may sleep); "NAPI" means softirq context inside the queue set's poll
//! (no sleeping, the poll serialises calls per queue set); "hard IRQ" means the interrupt
//! handler.

pub use crate::completions::{
    CompletionRing,
    RxCompletions,
    TxCompletions, //
};
use crate::{
    mac_stats::MacCounters,
    ring::Ring,
    segments::MAX_SEGMENTS, //
};
use kernel::{
    device::Core,
    dma::DmaAddress,
    net::device::ETH_ALEN,
    page::PAGE_SIZE,
    pci,
    prelude::*, //
};

/// Minimum, default and maximum number of entries of a ring, and the multiple it must be.
#[derive(Clone, Copy, Debug)]
pub struct RingLimits {
    /// Smallest ring the hardware accepts.
    pub min: u32,
    /// Ring size used until `ethtool -G` changes it.
    pub default: u32,
    /// Largest ring the hardware accepts (iflib allocates at most [`crate::Ring::MAX_LEN`]).
    pub max: u32,
    /// The ring size must be a multiple of this.
    pub multiple: u32,
}

impl RingLimits {
    /// Returns whether `count` is an acceptable ring size.
    pub const fn accepts(&self, count: u32) -> bool {
        count >= self.min && count <= self.max && count % self.multiple == 0
    }

    /// Whether the limits make sense: a non-zero multiple, a default the limits accept,
    /// nothing larger than iflib allocates.
    const fn is_consistent(&self) -> bool {
        self.multiple >= 1
            && self.min >= 1
            && self.max <= crate::ring::Ring::MAX_LEN
            && self.accepts(self.default)
    }
}

/// Whether a ring entry of `size` bytes is one iflib allocates: whole 64-bit words, at most
/// [`Ring::MAX_ENTRY_SIZE`].
const fn entry_size_is_consistent(size: usize) -> bool {
    size >= 8 && size % 8 == 0 && size <= Ring::MAX_ENTRY_SIZE
}

/// One kind of ring of a queue set: the size of its entries and the limits of its length.
#[derive(Clone, Copy, Debug)]
pub struct RingSpec {
    /// Bytes per entry (the hardware's descriptor size), a multiple of 8 ([`RingSpec::of`]
    /// takes it from the driver's entry type).
    pub entry_size: usize,
    /// Entries the ring may have.
    pub limits: RingLimits,
}

impl RingSpec {
    /// A ring of entries of type `E` (the driver's `#[repr(C)]` entry, read and written
    /// with [`Ring::read`] and [`Ring::write`]) within `limits`.
    pub const fn of<E>(limits: RingLimits) -> Self {
        Self {
            entry_size: size_of::<E>(),
            limits,
        }
    }

    const fn is_consistent(&self) -> bool {
        entry_size_is_consistent(self.entry_size) && self.limits.is_consistent()
    }
}

/// A completion ring: where the device writes one entry (or a few) for each piece of work it
/// finished, with a generation bit that flips at every pass over the ring
/// ([`CompletionRing::generation`]). iflib sizes it from the rings it completes.
#[derive(Clone, Copy, Debug)]
pub struct CompletionSpec {
    /// Bytes per entry, a multiple of 8.
    pub entry_size: usize,
    /// The most completion entries one entry of a completed ring may take (a received
    /// buffer reported in two entries: 2).
    pub entries_per_completion: u32,
    /// The hardware takes only lengths that are powers of two.
    pub power_of_two: bool,
}

impl CompletionSpec {
    /// A completion ring of entries of type `E`, a completion taking at most
    /// `entries_per_completion` of them.
    pub const fn of<E>(entries_per_completion: u32, power_of_two: bool) -> Self {
        Self {
            entry_size: size_of::<E>(),
            entries_per_completion,
            power_of_two,
        }
    }

    const fn is_consistent(&self) -> bool {
        entry_size_is_consistent(self.entry_size) && self.entries_per_completion >= 1
    }

    /// The length of a completion ring for rings of `completed` entries in all; `None`
    /// beyond what iflib allocates.
    pub(crate) const fn len_for(&self, completed: u32) -> Option<u32> {
        let Some(len) = completed.checked_mul(self.entries_per_completion) else {
            return None;
        };
        let len = if self.power_of_two {
            match len.checked_next_power_of_two() {
                Some(len) => len,
                None => return None,
            }
        } else {
            len
        };
        if len <= Ring::MAX_LEN {
            Some(len)
        } else {
            None
        }
    }
}

/// Where the device reports the TX entries it sent and the RX buffers it filled.
#[derive(Clone, Copy, Debug)]
pub enum Completions {
    /// In the entries themselves: the device writes a done bit (and, on RX, the frame's
    /// length and status) back over the entry it finished. Intel's NICs.
    InPlace,
    /// On a TX completion ring and an RX completion ring per queue set (vmxnet3).
    Separate {
        /// The ring TX completions come on.
        tx: CompletionSpec,
        /// The ring RX completions come on (for both free lists).
        rx: CompletionSpec,
    },
    /// On one completion ring per queue set, TX and RX interleaved (Broadcom bnxt).
    Shared(CompletionSpec),
}

/// The rings of every queue set, by role.
///
/// Intel: a TX ring and an RX ring, completions in place. vmxnet3: a TX ring, head and body
/// RX rings, separate TX and RX completion rings. bnxt: a TX ring, an RX ring and an
/// aggregation ring, one completion ring.
#[derive(Clone, Copy, Debug)]
pub struct RingLayout {
    /// The ring packets are placed on (`ethtool -G tx`).
    pub tx: RingSpec,
    /// The free list of RX buffers every frame starts in ([`FreeList::Head`], `ethtool -G
    /// rx`).
    pub rx: RingSpec,
    /// A second free list, for the rest of frames that span several buffers
    /// ([`FreeList::Body`]); `None` when frames continue on the first. It has as many
    /// entries as the first.
    pub rx_body: Option<RingSpec>,
    /// Where finished work is reported.
    pub completions: Completions,
}

impl RingLayout {
    const fn is_consistent(&self) -> bool {
        let body = match &self.rx_body {
            Some(body) => body.is_consistent(),
            None => true,
        };
        let completions = match &self.completions {
            Completions::InPlace => true,
            Completions::Separate { tx, rx } => tx.is_consistent() && rx.is_consistent(),
            Completions::Shared(ring) => ring.is_consistent(),
        };
        self.tx.is_consistent()
            && self.rx.is_consistent()
            && body
            && completions
            // The default lengths work; an RX ring keeps one entry empty.
            && self.accepts(self.tx.limits.default, self.rx.limits.default)
            && self.rx.limits.min >= 2
    }

    /// Whether the rings accept `tx` TX entries and `rx` entries per free list.
    pub(crate) const fn accepts(&self, tx: u32, rx: u32) -> bool {
        let body = match &self.rx_body {
            Some(body) => body.limits.accepts(rx),
            None => true,
        };
        self.tx.limits.accepts(tx)
            && self.rx.limits.accepts(rx)
            && body
            && self.completion_lens(tx, rx).is_some()
    }

    /// The lengths of the TX and RX completion rings (the same for a shared one) for `tx`
    /// TX entries and `rx` entries per free list; `None` when one would be longer than
    /// iflib allocates.
    pub(crate) const fn completion_lens(
        &self,
        tx: u32,
        rx: u32,
    ) -> Option<(Option<u32>, Option<u32>)> {
        let rx_all = if self.rx_body.is_some() {
            match rx.checked_mul(2) {
                Some(all) => all,
                None => return None,
            }
        } else {
            rx
        };
        match &self.completions {
            Completions::InPlace => Some((None, None)),
            Completions::Separate { tx: t, rx: r } => match (t.len_for(tx), r.len_for(rx_all)) {
                (Some(t), Some(r)) => Some((Some(t), Some(r))),
                _ => None,
            },
            Completions::Shared(ring) => match tx.checked_add(rx_all) {
                Some(all) => match ring.len_for(all) {
                    Some(len) => Some((Some(len), Some(len))),
                    None => None,
                },
                None => None,
            },
        }
    }
}

/// What a driver tells iflib about its hardware, once, statically.
pub struct Description {
    /// Driver name (`ethtool -i`).
    pub name: &'static CStr,
    /// The rings of every queue set and where the device reports finished work.
    pub rings: RingLayout,
    /// RX buffer sizes the hardware can be programmed with, ascending. iflib picks the
    /// buffer size; the driver programs it in [`Driver::start`]. Frames larger than the
    /// buffer span several, which the hardware must support (end-of-frame flag).
    pub rx_buffer_sizes: &'static [u32],
    /// Largest frame (Ethernet header, payload, FCS) the hardware sends and receives.
    pub max_frame_size: u32,
    /// Largest number of TX ring entries one packet may use (at least one per segment).
    pub tx_max_entries_per_packet: u32,
    /// Largest number of segments the hardware gathers for one packet; 1 means none
    /// (packets are linearized), more enables scatter-gather.
    pub tx_max_segments: u32,
    /// Most bytes one TX segment (one ring entry's buffer) may carry: iflib cuts longer
    /// buffers into several segments ([`TxPacket::segments`]).
    pub tx_max_segment_len: u32,
    /// The hardware inserts a checksum at any offset (`NETIF_F_HW_CSUM`), up to
    /// [`Description::tx_offload_max_offset`].
    pub tx_checksum: bool,
    /// The farthest byte from a frame's start the hardware's offload fields can name (the
    /// checksum's start and position, the end of the headers TSO copies): 255 for 8-bit
    /// fields, `u32::MAX` for no limit. iflib has the stack checksum and segment in
    /// software the packets whose headers reach farther (`ndo_features_check`).
    pub tx_offload_max_offset: u32,
    /// The hardware segments TCP over IPv4 given in [`TxPacket::tso`] (it then also inserts
    /// the IP and TCP checksums of every segment), and over IPv6 where
    /// [`Attached::tso_ipv6`] says so. Needs [`Description::tx_checksum`].
    pub tso: bool,
    /// The hardware verifies IP, TCP and UDP checksums of received frames and reports it in
    /// [`RxFragment::checksum`].
    pub rx_checksum: bool,
    /// The hardware inserts 802.1Q tags given in [`TxPacket::vlan`] and strips received
    /// ones into [`RxFragment::vlan`] (always, once started).
    pub vlan_offload: bool,
    /// The link modes of the port (`ethtool IFACE`); [`LinkModes::AUTONEG`] when the speed
    /// is negotiated.
    pub link_modes: LinkModes,
    /// The device throttles interrupts ([`Driver::set_interrupt_interval`], `ethtool -C
    /// rx-usecs`).
    pub interrupt_interval: Option<InterruptInterval>,
    /// Bytes of EEPROM or NVM [`Driver::read_eeprom`] reads (`ethtool -e`); 0 for none.
    pub eeprom_len: u32,
    /// The device sends and honours pause frames ([`Driver::set_flow_control`],
    /// `ethtool -A`).
    pub flow_control: bool,
    /// The frame lengths of the buckets the MAC counts frames in
    /// ([`MacCounters::received_by_length`]); empty if it does not.
    pub frame_lengths: &'static FrameLengthRanges,
    /// The driver tests its registers and EEPROM ([`Driver::test_registers`],
    /// [`Driver::test_eeprom`]) for `ethtool -t offline`; without it only the link is
    /// tested.
    pub self_test: bool,
    /// The driver routes interrupts to MSI-X vectors ([`Driver::route_interrupts`]);
    /// without it iflib uses MSI or INTx even when the device offers MSI-X (and one queue
    /// set).
    pub msix: bool,
    /// Entries of the table that sends a received flow to a queue set by its hash (the RSS
    /// indirection table, [`Driver::set_rx_hash_table`]) where [`Attached::rx_hash`]; 0
    /// for none.
    pub rx_hash_table_len: u32,
}

impl Description {
    /// Whether the description makes sense: rings with consistent limits, an RX buffer
    /// size, a packet allowed at least one segment and an entry per segment, and segments
    /// enough to carry the largest packet iflib may be given (a 64 KiB TSO packet, a
    /// frame, or an XDP frame of a page) as one buffer cut into segments. iflib refuses to
    /// build a driver whose description does not (a const assertion in its generic
    /// adapter).
    pub const fn is_consistent(&self) -> bool {
        let largest = if self.tso {
            TSO_MAX_LEN
        } else {
            self.max_frame_size
        };
        let largest = if largest > PAGE_SIZE as u32 {
            largest
        } else {
            PAGE_SIZE as u32
        };
        self.rings.is_consistent()
            && self.rx_hash_table_len <= MAX_RX_HASH_TABLE_LEN
            && !self.rx_buffer_sizes.is_empty()
            && self.tx_max_segments >= 1
            && self.tx_max_entries_per_packet >= self.tx_max_segments
            // A stopped queue wakes with room for two packets: the smallest ring holds more.
            && self.rings.tx.limits.min > 2 * self.tx_max_entries_per_packet
            && self.tx_max_segment_len >= 1
            && self.tx_segment_limit() as u64 * self.tx_max_segment_len as u64 >= largest as u64
    }

    /// Most segments iflib gives the driver for one packet: what the hardware gathers,
    /// an entry each, and what iflib gathers.
    pub(crate) const fn tx_segment_limit(&self) -> usize {
        let mut limit = self.tx_max_segments as usize;
        if limit > self.tx_max_entries_per_packet as usize {
            limit = self.tx_max_entries_per_packet as usize;
        }
        if limit > MAX_SEGMENTS {
            limit = MAX_SEGMENTS;
        }
        if limit < 1 {
            limit = 1;
        }
        limit
    }
}

/// The most entries an RSS indirection table may have (ethtool's own limit is far above
/// what NICs have: 128 for Intel's, 512 for Broadcom's).
pub const MAX_RX_HASH_TABLE_LEN: u32 = 512;

/// The most queue sets iflib gives one device.
pub const MAX_QUEUE_SETS: u32 = 64;

/// The largest packet the stack hands over for segmentation (`GSO_LEGACY_MAX_SIZE`: iflib
/// does not raise the device's GSO limit).
const TSO_MAX_LEN: u32 = 65536;

/// Fails the build of a driver whose [`Description`] is not consistent (a bad one would
/// only show on the hot path).
pub(crate) const fn check_description<D: Driver>() {
    const {
        assert!(
            D::DESCRIPTION.is_consistent(),
            "inconsistent iflib Description"
        )
    }
}

/// Limits of interrupt throttling, in microseconds between interrupts.
#[derive(Clone, Copy, Debug)]
pub struct InterruptInterval {
    /// The interval used until `ethtool -C` changes it.
    pub default_usecs: u32,
    /// The largest interval the hardware can be programmed with.
    pub max_usecs: u32,
}

/// Forced flow control, applied by [`Driver::set_flow_control`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowControl {
    /// Stop transmitting while the link partner asks for a pause.
    pub rx: bool,
    /// Send pause frames when the receive buffer runs full.
    pub tx: bool,
}

/// What [`Driver::attach`] found.
pub struct Attached<H> {
    /// The driver's per-device hardware state.
    pub hardware: H,
    /// The permanent MAC address.
    pub mac_address: [u8; ETH_ALEN],
    /// This device also segments TCP over IPv6 (with [`Description::tso`]).
    pub tso_ipv6: bool,
    /// This device hashes received flows with the Toeplitz function and the key given to
    /// [`Driver::set_rx_hash_key`], and reports the hash in [`RxFragment::hash`]
    /// (`ethtool -x`/`-X`, `ethtool -K rxhash`).
    pub rx_hash: bool,
    /// Bits of bus address the device reads and writes (rings, buffers): 32 to 64. Buffers
    /// above that limit are bounced, so tell the most the device handles.
    pub dma_address_bits: u32,
    /// The most queue sets this device drives at once: pairs of a TX and an RX ring, each
    /// pair with an interrupt vector of its own under MSI-X (at most [`MAX_QUEUE_SETS`]).
    /// iflib uses as many as the vectors it gets, the CPUs online and `ethtool -L` allow;
    /// one without MSI-X.
    pub queue_sets: u32,
}

/// Bytes of the receive-hash key: Toeplitz over IPv6 addresses and TCP ports needs 40.
pub const RX_HASH_KEY_LEN: usize = 40;

/// The rings of one queue set, as given to [`Driver::start`]: queue set `i` is element `i`.
/// Which are present follows the [`RingLayout`].
#[derive(Clone, Copy)]
pub struct QueueSetRings<'a> {
    /// Its TX ring.
    pub tx: &'a Ring,
    /// Its RX ring: the free list frames start in.
    pub rx: &'a Ring,
    /// Its second free list ([`RingLayout::rx_body`]).
    pub rx_body: Option<&'a Ring>,
    /// Its TX completion ring ([`Completions::Separate`]), or its one completion ring
    /// ([`Completions::Shared`], then also in `rx_completion`).
    pub tx_completion: Option<&'a Ring>,
    /// Its RX completion ring ([`Completions::Separate`]), or its one completion ring
    /// ([`Completions::Shared`]).
    pub rx_completion: Option<&'a Ring>,
}

/// One of a queue set's RX free lists: the rings the driver hands the device empty buffers
/// on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeList {
    /// The buffers every frame starts in ([`RingLayout::rx`]).
    Head,
    /// The buffers the rest of a long frame goes to ([`RingLayout::rx_body`]).
    Body,
}

/// How the RX ring is to be programmed, decided by iflib from the MTU.
#[derive(Clone, Copy, Debug)]
pub struct RxConfig {
    /// Bytes per RX buffer, one of [`Description::rx_buffer_sizes`].
    pub buffer_size: u32,
    /// Largest frame to accept, FCS included; frames above 1522 bytes need the hardware's
    /// long-packet mode.
    pub max_frame_size: u32,
}

/// Link state read from the hardware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// No link.
    Down,
    /// Link up at `speed_mbps`, full or half duplex.
    Up {
        /// Speed in Mb/s.
        speed_mbps: u32,
        /// Full duplex.
        full_duplex: bool,
    },
}

/// Which interrupt vectors the device is to raise, decided by iflib at probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterruptRouting {
    /// One vector (MSI or INTx) for every cause; [`Driver::interrupt_cause`] tells them apart.
    Single,
    /// MSI-X: queue set `i`'s work (its RX and TX completions) on vector `i`, for each of
    /// the `queue_sets` started; everything else (link) on `admin_vector`. Vectors are
    /// MSI-X table entries.
    MsiX {
        /// How many queue sets have a vector: vectors `0..queue_sets`.
        queue_sets: u16,
        /// The vector of the other causes.
        admin_vector: u16,
    },
}

/// Why the (shared) interrupt fired.
#[derive(Clone, Copy, Debug, Default)]
pub struct InterruptCause {
    /// The device raised it (false: another device on a shared line).
    pub ours: bool,
    /// Queue work (RX or TX completion) is pending.
    pub queues: bool,
    /// The link state may have changed.
    pub link: bool,
}

/// Receive filter state, applied by [`Driver::set_rx_filter`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RxFilter {
    /// Accept every unicast and multicast frame.
    pub promiscuous: bool,
    /// Accept every multicast frame (too many groups, or asked for).
    pub all_multicast: bool,
}

/// Checksum verdict of a received fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxChecksum {
    /// The hardware did not check.
    None,
    /// The hardware verified the IP and L4 checksums.
    Verified,
    /// The hardware found a bad checksum: let the stack decide.
    Bad,
}

/// One filled RX buffer, as read by [`Datapath::rx_next`].
#[derive(Clone, Copy, Debug)]
pub struct RxFragment {
    /// The free list the buffer was given on.
    pub free_list: FreeList,
    /// The slot of that free list the buffer was given at ([`Datapath::rx_refill`]'s
    /// `slot`). Buffers come back in the order they were given, per free list.
    pub buffer: u32,
    /// Bytes the hardware wrote into the buffer.
    pub len: u32,
    /// This is the last fragment of the frame.
    pub end_of_frame: bool,
    /// The hardware flagged a frame error (CRC, symbol, length): drop the frame.
    pub error: bool,
    /// Checksum verdict.
    pub checksum: RxChecksum,
    /// The 802.1Q tag (TCI) the hardware stripped (read on the last fragment).
    pub vlan: Option<u16>,
    /// The flow hash the hardware computed (read on the last fragment; only where
    /// [`Attached::rx_hash`]).
    pub hash: Option<RxHash>,
}

/// A received frame's flow hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxHash {
    /// The hash.
    pub value: u32,
    /// What it covers: the IP addresses, or the ports too.
    pub kind: HashType,
}

/// One DMA-mapped piece of a packet.
#[derive(Clone, Copy, Debug)]
pub struct TxSegment {
    /// Bus address of the data.
    pub address: DmaAddress,
    /// Length in bytes.
    pub len: u32,
}

pub use kernel::net::{
    ethtool::{
        FlowType,
        FrameLengthRanges,
        HashFields,
        Identify,
        LinkModes, //
    },
    skb::{
        HashType,
        TxChecksum,
        TxTso, //
    },
};

/// A packet to place on a TX ring, as given to [`Datapath::tx_encapsulate`].
#[derive(Clone, Copy, Debug)]
pub struct TxPacket<'a> {
    /// The packet's pieces in order: the linear part, then its page fragments, each cut
    /// into segments of at most [`Description::tx_max_segment_len`] bytes (at most
    /// [`Description::tx_max_segments`] in all).
    pub segments: &'a [TxSegment],
    /// Packet length in bytes (the sum of the segments).
    pub len: u32,
    /// A checksum the hardware must insert (only if [`Description::tx_checksum`]).
    pub checksum: Option<TxChecksum>,
    /// Segmentation the hardware must do (only if [`Description::tso`]); the headers are
    /// already prepared for it. `checksum` then describes the TCP checksum.
    pub tso: Option<TxTso>,
    /// An 802.1Q tag (TCI) the hardware must insert (only if
    /// [`Description::vlan_offload`]).
    pub vlan: Option<u16>,
    /// The generation bit of the entry at the packet's first slot, for devices whose entries
    /// carry one (vmxnet3): `true` on the first pass over the ring, flipped where the ring
    /// wraps, so entries after the wrap take the opposite.
    pub generation: bool,
}

/// Lifecycle and control operations.
pub trait Driver: Sized + 'static {
    /// Per-device hardware state (register mappings, shadow registers).
    type Hardware<'bound>: Send + Sync + 'bound;
    /// Per PCI ID information from [`Driver::PCI_IDS`].
    type IdInfo: 'static;

    /// The static description.
    const DESCRIPTION: Description;
    /// The PCI devices the driver handles.
    const PCI_IDS: pci::IdTable<Self::IdInfo>;

    /// Maps registers, resets the device and reads its MAC address (probe, may sleep).
    ///
    /// PCI memory access and bus mastering are already enabled. Allocates and maps no DMA
    /// memory: iflib sets the DMA mask from the result ([`Attached::dma_address_bits`]).
    fn attach<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        info: &'bound Self::IdInfo,
    ) -> Result<Attached<Self::Hardware<'bound>>>;

    /// Quiesces the device before it is released (unbind, may sleep).
    fn detach(hw: &Self::Hardware<'_>);

    /// Programs the rings of the queue sets in use, `sets[i]` for queue set `i`, and starts
    /// TX and RX (RTNL). Interrupts stay masked. Received flows go to queue set 0 until
    /// [`Driver::set_rx_hash_table`] spreads them.
    fn start(hw: &Self::Hardware<'_>, sets: &[QueueSetRings<'_>], rx_config: &RxConfig) -> Result;

    /// Stops TX and RX and leaves the device idle with interrupts masked (RTNL, may sleep).
    ///
    /// When it returns the device must no longer read or write the rings or their buffers,
    /// which iflib frees next: a device that may finish DMA after its units are disabled is
    /// quiesced and reset here. What a reset loses iflib applies again at the next start:
    /// the MAC address, interrupt routing, interrupt interval, flow control, receive hash
    /// key and receive filter (after [`Driver::start`]); the rest is `start`'s to program.
    fn stop(hw: &Self::Hardware<'_>);

    /// Programs which vector each interrupt cause raises (RTNL, before [`Driver::start`]):
    /// [`InterruptRouting::MsiX`] when [`Description::msix`] is set and the device got its
    /// vectors, [`InterruptRouting::Single`] otherwise.
    ///
    /// With MSI-X a queue set's vector handler only schedules that set's NAPI: the device
    /// must mask the set's causes itself when it raises the vector (auto-mask), and
    /// [`Driver::enable_queue_interrupts`] unmasks them again. The admin vector's handler
    /// calls [`Driver::interrupt_cause`], then schedules queue set 0's NAPI (which reads
    /// the link).
    fn route_interrupts(_hw: &Self::Hardware<'_>, _routing: InterruptRouting) {}

    /// Unmasks the queue and link interrupts of every queue set in use (NAPI with a single
    /// vector, RTNL).
    fn enable_interrupts(hw: &Self::Hardware<'_>);

    /// Unmasks queue set `set`'s causes (its NAPI, with MSI-X routing), and only those: a
    /// set whose poll is still running keeps its causes masked. A device with one queue set
    /// may unmask everything.
    fn enable_queue_interrupts(hw: &Self::Hardware<'_>, set: u32);

    /// Clears queue set `set`'s causes the device latched while they were masked (its
    /// NAPI, before it looks for work). The work they announce is about to be found; left
    /// set, they would raise the vector again as soon as it is unmasked, for a poll that
    /// finds nothing. Needed where the device keeps causes latched across the interrupt
    /// (MSI-X auto-mask); the default does nothing.
    fn clear_queue_causes(_hw: &Self::Hardware<'_>, _set: u32) {}

    /// Masks all interrupts (hard IRQ, NAPI, RTNL).
    fn disable_interrupts(hw: &Self::Hardware<'_>);

    /// Reads and acknowledges the interrupt cause (hard IRQ).
    fn interrupt_cause(hw: &Self::Hardware<'_>) -> InterruptCause;

    /// Reads the link state (NAPI, RTNL).
    fn link_state(hw: &Self::Hardware<'_>) -> LinkState;

    /// Applies promiscuous mode and the multicast list (atomic context). Called only while
    /// the device is started: iflib applies the current filter after each start.
    fn set_rx_filter(hw: &Self::Hardware<'_>, filter: RxFilter, multicast: &[[u8; ETH_ALEN]]);

    /// Number of 32-bit registers [`Driver::dump_registers`] writes.
    const REGISTER_DUMP_LEN: usize;

    /// Writes a register dump for `ethtool -d` into `out` (process context; must not read
    /// clear-on-read registers). Returns the dump format's version.
    fn dump_registers(hw: &Self::Hardware<'_>, out: &mut [u32]) -> u32;

    /// Programs a new unicast MAC address into the receive filter (RTNL).
    fn set_mac_address(hw: &Self::Hardware<'_>, mac: &[u8; ETH_ALEN]);

    /// Sets the least time between interrupts, in microseconds, at most
    /// [`InterruptInterval::max_usecs`]; 0 turns throttling off (RTNL, after
    /// [`Driver::start`]). Only called if [`Description::interrupt_interval`] is set.
    fn set_interrupt_interval(_hw: &Self::Hardware<'_>, _usecs: u32) {}

    /// Reads `out.len()` bytes of the EEPROM from byte `offset`, within
    /// [`Description::eeprom_len`] (process context, may sleep).
    fn read_eeprom(_hw: &Self::Hardware<'_>, _offset: u32, _out: &mut [u8]) -> Result {
        Err(EOPNOTSUPP)
    }

    /// Applies forced flow control (RTNL, after [`Driver::start`]). Only called if
    /// [`Description::flow_control`] is set.
    fn set_flow_control(_hw: &Self::Hardware<'_>, _flow: FlowControl) {}

    /// Programs the key received flows are hashed with, byte 0 first as `ethtool -x` shows
    /// it (RTNL, after [`Driver::start`], before the RX ring gets buffers; again on
    /// `ethtool -X hkey`). Only called where [`Attached::rx_hash`] is set.
    fn set_rx_hash_key(_hw: &Self::Hardware<'_>, _key: &[u8; RX_HASH_KEY_LEN]) {}

    /// The header fields the device hashes received flows of `flow` by (`ethtool -n IFACE
    /// rx-flow-hash`, RTNL). Only called where [`Attached::rx_hash`] is set. The default is
    /// what Toeplitz RSS hashes everywhere: the IP addresses, and the ports of TCP.
    fn rx_hash_fields(_hw: &Self::Hardware<'_>, flow: FlowType) -> HashFields {
        match flow {
            FlowType::TcpIpv4 | FlowType::TcpIpv6 => HashFields::IP_ADDRESSES_AND_PORTS,
            FlowType::UdpIpv4 | FlowType::OtherIpv4 => HashFields::IP_ADDRESSES,
            FlowType::UdpIpv6 | FlowType::OtherIpv6 => HashFields::IP_ADDRESSES,
            _ => HashFields::NONE,
        }
    }

    /// Programs the table that sends received flows to queue sets: a flow whose hash is `h`
    /// goes to queue set `table[h % table.len()]`, each entry below the number of queue
    /// sets started ([`Description::rx_hash_table_len`] entries; RTNL, after
    /// [`Driver::start`] and again on `ethtool -X`). Only called where
    /// [`Attached::rx_hash`] is set.
    fn set_rx_hash_table(_hw: &Self::Hardware<'_>, _table: &[u32]) {}

    /// Writes test patterns to registers, reads them back and restores them (RTNL, the
    /// device stopped). Only called if [`Description::self_test`] is set.
    fn test_registers(_hw: &Self::Hardware<'_>) -> Result {
        Err(EOPNOTSUPP)
    }

    /// Checks the EEPROM's contents (its checksum) (RTNL, may sleep). Only called if
    /// [`Description::self_test`] is set.
    fn test_eeprom(_hw: &Self::Hardware<'_>) -> Result {
        Err(EOPNOTSUPP)
    }

    /// Drives the port's identification LED for `ethtool -p` (RTNL): `Start` keeps what it
    /// showed, `On` and `Off` light and darken it (iflib alternates them twice a second),
    /// `Stop` gives it back what it showed. `EOPNOTSUPP` if the device has no such LED.
    fn set_identify_led(_hw: &Self::Hardware<'_>, _state: Identify) -> Result {
        Err(EOPNOTSUPP)
    }

    /// Reads the MAC's counters: what they counted since the previous call (they clear on
    /// read); iflib keeps the totals. `None` if the device has no such counters (process
    /// context, may sleep).
    fn read_mac_counters(_hw: &Self::Hardware<'_>) -> Option<MacCounters> {
        None
    }
}

/// The ring operations of the hot path (NAPI context unless stated).
///
/// Doorbells name their queue set, the views ([`TxCompletions`], [`RxCompletions`]) theirs.
/// Work the device finished is read by the driver, wherever the [`RingLayout`] says the
/// device reports it: [`Datapath::tx_done`] or [`Datapath::tx_completed`] say which packets
/// were sent, [`Datapath::rx_next`] hands over each filled buffer with the free list and
/// slot it was given at.
pub trait Datapath: Driver {
    /// Writes the entries for `packet` starting at `slot` (the stack's TX queue lock held),
    /// asking for a completion report on the last one. Returns how many entries it used: at
    /// least one per segment, at most [`Description::tx_max_entries_per_packet`].
    fn tx_encapsulate(
        hw: &Self::Hardware<'_>,
        ring: &Ring,
        slot: u32,
        packet: &TxPacket<'_>,
    ) -> u32;

    /// Tells the hardware queue set `set`'s TX entries up to (not including) `next_slot` are
    /// ready (the stack's TX queue lock held).
    fn tx_doorbell(hw: &Self::Hardware<'_>, set: u32, next_slot: u32);

    /// With [`Completions::InPlace`]: returns whether the hardware wrote back the entry at
    /// `slot`, the last of a packet, as done. iflib asks packet by packet, oldest first, as
    /// it takes them off the ring, and stops at the first that is not. Not called for other
    /// layouts.
    fn tx_done(_hw: &Self::Hardware<'_>, _ring: &Ring, _slot: u32) -> bool {
        false
    }

    /// With completion rings: returns how many of the packets [`TxCompletions::packet_ends`]
    /// lists (those on the TX ring not counted yet, oldest first) the hardware has sent, read
    /// from the completion ring (moving its cursor past them); at most that many. Not called
    /// for [`Completions::InPlace`]. With a shared ring, stops at an entry that is not a TX
    /// completion (RX reads on, [`RxCompletions::tx_sent`]).
    fn tx_completed(_hw: &Self::Hardware<'_>, _tx: &mut TxCompletions<'_>) -> u32 {
        0
    }

    /// Returns the next buffer the hardware filled, `None` while there is none. With
    /// completions in place, the entry at [`RxCompletions::oldest`] of the head free list;
    /// on a completion ring, the next completion (moving its cursor past it). On a shared
    /// ring it reads on past TX completions, adding their packets with
    /// [`RxCompletions::tx_sent`], and past the device's other events, which it handles.
    fn rx_next(hw: &Self::Hardware<'_>, rx: &mut RxCompletions<'_>) -> Option<RxFragment>;

    /// Gives the entry at `slot` of `list`'s ring a fresh buffer at `address`; `generation`
    /// is the entry's generation bit for devices whose entries carry one (`true` on the
    /// first pass over the ring, flipped at each wrap).
    fn rx_refill(
        hw: &Self::Hardware<'_>,
        list: FreeList,
        ring: &Ring,
        slot: u32,
        address: DmaAddress,
        generation: bool,
    );

    /// Tells the hardware queue set `set`'s `list` entries before `next_slot` hold fresh
    /// buffers.
    fn rx_doorbell(hw: &Self::Hardware<'_>, set: u32, list: FreeList, next_slot: u32);

    /// Tells the hardware how far queue set `set`'s completion rings were read: up to (not
    /// including) `tx` on the TX (or shared) ring and `rx` on the RX ring, their cursors'
    /// [`CompletionRing::next`]. Called at the end of every poll (netpoll's too) for layouts
    /// with completion rings, before [`Driver::enable_queue_interrupts`], which re-arms them;
    /// for devices that track the consumer of a completion ring. The default does nothing.
    fn completions_read(_hw: &Self::Hardware<'_>, _set: u32, _tx: Option<u32>, _rx: Option<u32>) {}
}
