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
pub(crate) use crate::description::check_description;
pub use crate::description::{
    ChecksumInsertion,
    CompletionSpec,
    Completions,
    Description,
    FlowControl,
    InterruptInterval,
    RingLayout,
    RingLimits,
    RingSpec, //
    MAX_QUEUE_SETS,
    MAX_RX_HASH_TABLE_LEN,
};
use crate::{
    mac_stats::MacCounters,
    ring::Ring, //
};
use kernel::{
    device::Core,
    dma::DmaAddress,
    net::device::ETH_ALEN,
    pci,
    prelude::*, //
};

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
    /// With [`Attached::rx_hash`]: the device hashes TCP and UDP flows by their ports or not,
    /// as [`Driver::set_rx_hash_ports`] says (`ethtool -N IFACE rx-flow-hash udp4 sdfn`).
    /// Without, it hashes the fields [`Driver::rx_hash_fields`] names.
    pub rx_hash_ports_choice: bool,
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

/// Words of the VLAN filter table: one bit per 802.1Q VLAN id, VLAN `v` at bit `v % 32` of
/// word `v / 32` (Intel's VFTA layout).
pub const VLAN_TABLE_WORDS: usize = 4096 / 32;

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
    /// Drop frames tagged with an 802.1Q VLAN the table given to
    /// [`Driver::set_vlan_table`] does not have (only if [`Description::vlan_filter`]:
    /// `rx-vlan-filter` on and the interface not promiscuous).
    pub vlan_filter: bool,
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

/// Which TCP and UDP flows the device hashes by their ports too (the rest by their IP
/// addresses alone), where [`Attached::rx_hash_ports_choice`]. iflib's default: TCP's ports,
/// not UDP's (a fragmented datagram's pieces, which carry no ports, stay on one queue), as
/// the C drivers do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RxHashPorts {
    /// TCP over IPv4.
    pub tcp_ipv4: bool,
    /// TCP over IPv6.
    pub tcp_ipv6: bool,
    /// UDP over IPv4.
    pub udp_ipv4: bool,
    /// UDP over IPv6.
    pub udp_ipv6: bool,
}

impl Default for RxHashPorts {
    fn default() -> Self {
        Self {
            tcp_ipv4: true,
            tcp_ipv6: true,
            udp_ipv4: false,
            udp_ipv6: false,
        }
    }
}

impl RxHashPorts {
    /// Whether flows of `flow` are hashed by their ports; `None` for flows without a choice.
    pub fn of(&self, flow: FlowType) -> Option<bool> {
        match flow {
            FlowType::TcpIpv4 => Some(self.tcp_ipv4),
            FlowType::TcpIpv6 => Some(self.tcp_ipv6),
            FlowType::UdpIpv4 => Some(self.udp_ipv4),
            FlowType::UdpIpv6 => Some(self.udp_ipv6),
            _ => None,
        }
    }

    /// These, with flows of `flow` hashed by their ports or not; `None` for flows without a
    /// choice.
    pub fn with(self, flow: FlowType, ports: bool) -> Option<Self> {
        let mut new = self;
        match flow {
            FlowType::TcpIpv4 => new.tcp_ipv4 = ports,
            FlowType::TcpIpv6 => new.tcp_ipv6 = ports,
            FlowType::UdpIpv4 => new.udp_ipv4 = ports,
            FlowType::UdpIpv6 => new.udp_ipv6 = ports,
            _ => return None,
        }
        Some(new)
    }
}

/// One DMA-mapped piece of a packet.
#[derive(Clone, Copy, Debug)]
pub struct TxSegment {
    /// Bus address of the data.
    pub address: DmaAddress,
    /// Length in bytes.
    pub len: u32,
}

/// How the PHY brings the link up (`ethtool -s`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkConfig {
    /// Autonegotiation, advertising the speeds of these modes.
    Negotiate(LinkModes),
    /// Autonegotiation off, the speed and duplex of this one mode (10 or 100 Mb/s) forced:
    /// 1000BASE-T has no forced mode (its PHYs negotiate which end is master).
    Force(LinkModes),
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
    /// A checksum the hardware must insert (only where [`Description::tx_checksum`] says it
    /// can).
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

    /// Writes the VLAN filter table (RTNL; only if [`Description::vlan_filter`]). Called
    /// while the device is started, before the filter that turns it on, and on each change.
    fn set_vlan_table(_hw: &Self::Hardware<'_>, _table: &[u32; VLAN_TABLE_WORDS]) {}

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

    /// Brings the link up as `link` says: negotiated with the speeds of a non-empty subset
    /// of [`Description::link_modes`] advertised, or at a forced speed and duplex. Called
    /// at probe after [`Driver::attach`] with every speed, on `ethtool -s` (RTNL), and
    /// after each [`Driver::start`] while the operator's setting is another.
    fn configure_link(_hw: &Self::Hardware<'_>, _link: LinkConfig) -> Result {
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

    /// Makes the device hash TCP and UDP flows by their ports too, or by their IP addresses
    /// alone, as `ports` says for each (RTNL, after [`Driver::start`] and again on `ethtool
    /// -N rx-flow-hash`). Only called where [`Attached::rx_hash_ports_choice`] is set.
    fn set_rx_hash_ports(_hw: &Self::Hardware<'_>, _ports: RxHashPorts) {}

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
