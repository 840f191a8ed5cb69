// SPDX-License-Identifier: GPL-2.0

//! The driver's static description of its hardware: rings and their roles, limits and
//! capabilities, checked when the driver builds.

use crate::{
    driver::{
        Driver,
        FrameLengthRanges,
        LinkModes, //
    },
    ring::Ring,
    segments::MAX_SEGMENTS, //
};
use kernel::{
    page::PAGE_SIZE,
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

/// Where the hardware inserts a checksum it computes over a packet it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumInsertion {
    /// Nowhere: the stack checksums every packet.
    None,
    /// At whatever position the stack gives (`NETIF_F_HW_CSUM`): a one's-complement sum
    /// from the checksum's start to the frame's end, stored at its offset from there, as
    /// the 8254x's context descriptors can name both.
    Anywhere,
    /// Only where TCP and UDP keep theirs, 16 and 6 bytes past its start, as hardware told
    /// the protocol instead (igb's L4 type) has it; iflib has the stack checksum a packet
    /// that wants it elsewhere (ICMP, or any offset a packet socket asks for). The
    /// position is what iflib checks: a packet of another protocol asking for one of
    /// those offsets is given to the hardware, which may leave it without (as the C
    /// drivers do).
    TcpUdp,
}

impl ChecksumInsertion {
    /// The offset of TCP's checksum from the start of its header.
    pub const TCP_OFFSET: u32 = 16;
    /// The offset of UDP's checksum from the start of its header.
    pub const UDP_OFFSET: u32 = 6;

    /// Whether the hardware inserts a checksum `offset` bytes past where it starts.
    #[inline]
    pub const fn inserts_at(self, offset: u32) -> bool {
        match self {
            Self::None => false,
            Self::Anywhere => true,
            Self::TcpUdp => offset == Self::TCP_OFFSET || offset == Self::UDP_OFFSET,
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
    /// Where the hardware inserts the checksums the stack leaves to it
    /// (`NETIF_F_HW_CSUM`), within [`Description::tx_offload_max_offset`].
    pub tx_checksum: ChecksumInsertion,
    /// The farthest byte from a frame's start the hardware's offload fields can name (the
    /// checksum's start and position, the end of the headers TSO copies): 255 for 8-bit
    /// fields, `u32::MAX` for no limit. iflib has the stack checksum and segment in
    /// software the packets whose headers reach farther (`ndo_features_check`).
    pub tx_offload_max_offset: u32,
    /// The hardware segments TCP over IPv4 given in [`TxPacket::tso`] (it then also inserts
    /// the IP and TCP checksums of every segment), and over IPv6 where
    /// [`Attached::tso_ipv6`] says so. Needs a [`Description::tx_checksum`] other than
    /// [`ChecksumInsertion::None`].
    pub tso: bool,
    /// The hardware verifies IP, TCP and UDP checksums of received frames and reports it in
    /// [`RxFragment::checksum`].
    pub rx_checksum: bool,
    /// The hardware inserts 802.1Q tags given in [`TxPacket::vlan`] and strips received
    /// ones into [`RxFragment::vlan`] (always, once started).
    pub vlan_offload: bool,
    /// The hardware drops received frames of 802.1Q VLANs not in a table
    /// ([`Driver::set_vlan_table`], switched by [`RxFilter::vlan_filter`]): iflib keeps the
    /// table of the VLANs the stack adds (`rx-vlan-filter`, on by default).
    pub vlan_filter: bool,
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

    /// iflib offers TCP segmentation to the stack: the hardware segments, inserts checksums
    /// and gathers a packet's pieces (the stack takes TSO away from a device without
    /// scatter-gather).
    pub(crate) const fn offers_tso(&self) -> bool {
        self.tso && !matches!(self.tx_checksum, ChecksumInsertion::None) && self.tx_max_segments > 1
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
