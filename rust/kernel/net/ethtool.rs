// SPDX-License-Identifier: GPL-2.0

//! ethtool operations of a network device.
//!
//! C header: [`include/linux/ethtool.h`](srctree/include/linux/ethtool.h)

use crate::{
    bindings,
    error::from_result,
    net::device::{
        Device,
        Registration, //
    },
    prelude::*,
    str::CStr, //
};

/// Where an ethtool request can explain a refusal (`struct netlink_ext_ack`).
pub struct ExtAck(pub(crate) *mut bindings::netlink_ext_ack);

impl ExtAck {
    /// Attaches `msg` to the reply (shown by `ethtool` next to the error).
    pub fn set_message(&mut self, msg: &'static CStr) {
        if !self.0.is_null() {
            // SAFETY: A non-null extack is valid for the duration of the request.
            unsafe { (*self.0)._msg = msg.as_char_ptr() };
        }
    }
}

/// Ring sizes (`ethtool -g` / `-G`).
#[derive(Clone, Copy, Debug, Default)]
pub struct RingSizes {
    /// Largest RX ring.
    pub rx_max: u32,
    /// Largest TX ring.
    pub tx_max: u32,
    /// Current (or requested) RX ring size.
    pub rx: u32,
    /// Current (or requested) TX ring size.
    pub tx: u32,
}

/// Queue sets (`ethtool -l` / `-L`): each channel is a combined TX and RX queue pair.
#[derive(Clone, Copy, Debug, Default)]
pub struct Channels {
    /// Most channels the device supports.
    pub max_combined: u32,
    /// Channels in use (or requested).
    pub combined: u32,
}

/// A set of link modes (speeds, duplex, port, autonegotiation) a port supports or
/// advertises, as `ethtool` lists them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkModes(u32);

impl LinkModes {
    /// No mode.
    pub const NONE: Self = Self(0);
    /// 10BASE-T, half duplex.
    pub const BASE_T_10_HALF: Self = Self(1 << 0);
    /// 10BASE-T, full duplex.
    pub const BASE_T_10_FULL: Self = Self(1 << 1);
    /// 100BASE-TX, half duplex.
    pub const BASE_T_100_HALF: Self = Self(1 << 2);
    /// 100BASE-TX, full duplex.
    pub const BASE_T_100_FULL: Self = Self(1 << 3);
    /// 1000BASE-T, full duplex.
    pub const BASE_T_1000_FULL: Self = Self(1 << 4);
    /// Autonegotiation.
    pub const AUTONEG: Self = Self(1 << 5);
    /// A twisted-pair (copper) port.
    pub const TWISTED_PAIR: Self = Self(1 << 6);

    /// Each mode with its `ETHTOOL_LINK_MODE_*_BIT`.
    const BITS: [(Self, u32); 7] = [
        (
            Self::BASE_T_10_HALF,
            bindings::ethtool_link_mode_bit_indices_ETHTOOL_LINK_MODE_10baseT_Half_BIT,
        ),
        (
            Self::BASE_T_10_FULL,
            bindings::ethtool_link_mode_bit_indices_ETHTOOL_LINK_MODE_10baseT_Full_BIT,
        ),
        (
            Self::BASE_T_100_HALF,
            bindings::ethtool_link_mode_bit_indices_ETHTOOL_LINK_MODE_100baseT_Half_BIT,
        ),
        (
            Self::BASE_T_100_FULL,
            bindings::ethtool_link_mode_bit_indices_ETHTOOL_LINK_MODE_100baseT_Full_BIT,
        ),
        (
            Self::BASE_T_1000_FULL,
            bindings::ethtool_link_mode_bit_indices_ETHTOOL_LINK_MODE_1000baseT_Full_BIT,
        ),
        (
            Self::AUTONEG,
            bindings::ethtool_link_mode_bit_indices_ETHTOOL_LINK_MODE_Autoneg_BIT,
        ),
        (
            Self::TWISTED_PAIR,
            bindings::ethtool_link_mode_bit_indices_ETHTOOL_LINK_MODE_TP_BIT,
        ),
    ];

    /// The modes of `self` and of `other`.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Returns whether every mode of `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The modes that are in both `self` and `other`.
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// The modes that are in `self` but not in `other`.
    pub const fn without(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Returns whether no mode is in `self`.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The modes as bits, for storing in an atomic; [`LinkModes::from_bits`] reads them.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The modes of `bits` (from [`LinkModes::bits`]), ignoring bits of no mode.
    pub const fn from_bits(bits: u32) -> Self {
        Self(bits & ((1 << Self::BITS.len()) - 1))
    }

    /// A clause 22 PHY's advertisement register (`MII_ADVERTISE`) `register` with its
    /// 10 and 100 Mb/s speeds those of these modes, its other bits (selector, pause) kept.
    pub const fn with_mii_advertise(self, register: u16) -> u16 {
        let mut speeds = 0;
        if self.contains(Self::BASE_T_10_HALF) {
            speeds |= bindings::ADVERTISE_10HALF;
        }
        if self.contains(Self::BASE_T_10_FULL) {
            speeds |= bindings::ADVERTISE_10FULL;
        }
        if self.contains(Self::BASE_T_100_HALF) {
            speeds |= bindings::ADVERTISE_100HALF;
        }
        if self.contains(Self::BASE_T_100_FULL) {
            speeds |= bindings::ADVERTISE_100FULL;
        }
        (register & !(bindings::ADVERTISE_ALL as u16)) | speeds as u16
    }

    /// A 1000BASE-T PHY's control register (`MII_CTRL1000`) `register` with its gigabit
    /// speeds those of these modes, its other bits (master/slave, port type) kept.
    pub const fn with_mii_ctrl1000(self, register: u16) -> u16 {
        let gigabit = (bindings::ADVERTISE_1000FULL | bindings::ADVERTISE_1000HALF) as u16;
        let speeds = if self.contains(Self::BASE_T_1000_FULL) {
            bindings::ADVERTISE_1000FULL as u16
        } else {
            0
        };
        (register & !gigabit) | speeds
    }

    /// A clause 22 PHY's control register (`MII_BMCR`) `register` with autonegotiation
    /// off and the speed and duplex of this mode, 10 or 100 Mb/s, forced; its other bits
    /// kept.
    pub const fn with_mii_forced_control(self, register: u16) -> u16 {
        let cleared = bindings::BMCR_ANENABLE
            | bindings::BMCR_ANRESTART
            | bindings::BMCR_SPEED100
            | bindings::BMCR_SPEED1000
            | bindings::BMCR_FULLDPLX;
        let mut forced = 0;
        if self.is_100() {
            forced |= bindings::BMCR_SPEED100;
        }
        if self.is_full_duplex() {
            forced |= bindings::BMCR_FULLDPLX;
        }
        (register & !(cleared as u16)) | forced as u16
    }

    /// The BASE-T mode of `speed_mbps` and duplex, or [`LinkModes::NONE`] if none is.
    pub const fn of_speed(speed_mbps: u32, full_duplex: bool) -> Self {
        match (speed_mbps, full_duplex) {
            (10, false) => Self::BASE_T_10_HALF,
            (10, true) => Self::BASE_T_10_FULL,
            (100, false) => Self::BASE_T_100_HALF,
            (100, true) => Self::BASE_T_100_FULL,
            (1000, true) => Self::BASE_T_1000_FULL,
            _ => Self::NONE,
        }
    }

    /// Whether this mode is 100 Mb/s (else 10, of a forced mode).
    pub const fn is_100(self) -> bool {
        self.contains(Self::BASE_T_100_HALF) || self.contains(Self::BASE_T_100_FULL)
    }

    /// Whether this mode is full duplex.
    pub const fn is_full_duplex(self) -> bool {
        self.contains(Self::BASE_T_10_FULL)
            || self.contains(Self::BASE_T_100_FULL)
            || self.contains(Self::BASE_T_1000_FULL)
    }

    /// The modes of `mask` (a link mode bitmap), or `None` if it has a mode this type does
    /// not know.
    fn read_from(mask: &[c_ulong]) -> Option<Self> {
        let width = c_ulong::BITS;
        // Every mode's bit is in the first word.
        let mut known = [0 as c_ulong; 1];
        Self::from_bits(u32::MAX).write_to(&mut known);
        let unknown = mask
            .iter()
            .enumerate()
            .any(|(i, &word)| word & !known.get(i).copied().unwrap_or(0) != 0);
        if unknown {
            return None;
        }
        let set = |bit: u32| {
            mask.get((bit / width) as usize)
                .is_some_and(|word| word & (1 << (bit % width)) != 0)
        };
        Some(
            Self::BITS
                .iter()
                .filter(|(_, bit)| set(*bit))
                .fold(Self::NONE, |modes, (mode, _)| modes.union(*mode)),
        )
    }

    /// Sets the ethtool bits of these modes in `mask` (a link mode bitmap).
    fn write_to(self, mask: &mut [c_ulong]) {
        let width = c_ulong::BITS;
        for (mode, bit) in Self::BITS {
            if self.contains(mode) {
                if let Some(word) = mask.get_mut((bit / width) as usize) {
                    *word |= 1 << (bit % width);
                }
            }
        }
    }
}

/// Link settings (`ethtool IFACE`).
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkSettings {
    /// Speed in Mb/s and full duplex, `None` while the link is down.
    pub link: Option<(u32, bool)>,
    /// The speed and duplex were negotiated.
    pub autoneg: bool,
    /// What the port can do.
    pub supported: LinkModes,
    /// What the port advertises to its partner.
    pub advertising: LinkModes,
}

/// A change of link settings (`ethtool -s IFACE autoneg|speed|duplex|advertise`).
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkRequest {
    /// Negotiate the speed and duplex (else force `speed_mbps` and `full_duplex`).
    pub autoneg: bool,
    /// The speed to force, in Mb/s (0 if unknown).
    pub speed_mbps: u32,
    /// Force full duplex (`None` if unknown).
    pub full_duplex: Option<bool>,
    /// The modes to advertise while negotiating.
    pub advertising: LinkModes,
}

/// Interrupt coalescing (`ethtool -c` / `-C`); only the RX interval is supported.
#[derive(Clone, Copy, Debug, Default)]
pub struct Coalesce {
    /// Least time between interrupts, in microseconds (0: no throttling).
    pub rx_usecs: u32,
}

/// Flow control with pause frames (`ethtool -a` / `-A`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pause {
    /// Negotiated with the link partner rather than forced.
    pub autoneg: bool,
    /// Received pause frames stop transmission.
    pub rx: bool,
    /// Pause frames are sent when the receiver runs out of room.
    pub tx: bool,
}

/// IEEE 802.3x pause frame counts (`ethtool -I -a`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PauseStats {
    /// Pause frames received.
    pub rx_frames: u64,
    /// Pause frames sent.
    pub tx_frames: u64,
}

/// IEEE 802.3 MAC statistics (`ethtool -S IFACE --groups eth-mac`), counted since the
/// device was bound; `None` for what the device does not count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MacStats {
    /// Frames sent without error.
    pub frames_sent: Option<u64>,
    /// Frames received without error.
    pub frames_received: Option<u64>,
    /// Bytes of the frames sent without error (addresses through FCS).
    pub octets_sent: Option<u64>,
    /// Bytes of the frames received without error (addresses through FCS).
    pub octets_received: Option<u64>,
    /// Multicast frames sent and received without error.
    pub multicast_sent: Option<u64>,
    /// See [`MacStats::multicast_sent`].
    pub multicast_received: Option<u64>,
    /// Broadcast frames sent and received without error.
    pub broadcast_sent: Option<u64>,
    /// See [`MacStats::broadcast_sent`].
    pub broadcast_received: Option<u64>,
    /// Received frames with a bad frame check sequence.
    pub fcs_errors: Option<u64>,
    /// Received frames that were not a whole number of bytes.
    pub alignment_errors: Option<u64>,
    /// Frames sent after exactly one collision (half duplex).
    pub single_collisions: Option<u64>,
    /// Frames sent after more than one collision (half duplex).
    pub multiple_collisions: Option<u64>,
    /// Collisions after the first 512 bit times of a frame.
    pub late_collisions: Option<u64>,
    /// Frames given up after too many collisions.
    pub excessive_collisions: Option<u64>,
    /// Frames whose transmission was deferred because the medium was busy.
    pub deferred: Option<u64>,
}

/// The number of buckets an RMON frame length histogram can have.
pub const LENGTH_BUCKETS: usize = bindings::ETHTOOL_RMON_HIST_MAX as usize;

/// The frame lengths of an RMON histogram's buckets, inclusive, in bytes from the
/// destination address through the FCS; up to [`LENGTH_BUCKETS`] buckets.
pub struct FrameLengthRanges([bindings::ethtool_rmon_hist_range; LENGTH_BUCKETS]);

impl FrameLengthRanges {
    /// Buckets from `(shortest, longest)` pairs, in order; pairs past [`LENGTH_BUCKETS`] are
    /// left out.
    pub const fn new(ranges: &[(u16, u16)]) -> Self {
        let mut out = [bindings::ethtool_rmon_hist_range { low: 0, high: 0 }; LENGTH_BUCKETS];
        let mut i = 0;
        while i < ranges.len() && i < LENGTH_BUCKETS {
            out[i] = bindings::ethtool_rmon_hist_range {
                low: ranges[i].0,
                high: ranges[i].1,
            };
            i += 1;
        }
        Self(out)
    }

    /// The number of buckets.
    pub const fn len(&self) -> usize {
        let mut n = 0;
        while n < LENGTH_BUCKETS && (self.0[n].low != 0 || self.0[n].high != 0) {
            n += 1;
        }
        n
    }

    /// Whether there is no bucket.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// RMON (RFC 2819) statistics (`ethtool -S IFACE --groups rmon`), counted since the device
/// was bound; `None` for what the device does not count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RmonStats {
    /// Well-formed frames shorter than 64 bytes.
    pub undersize: Option<u64>,
    /// Well-formed frames longer than the longest allowed.
    pub oversize: Option<u64>,
    /// Frames shorter than 64 bytes with a bad FCS.
    pub fragments: Option<u64>,
    /// Frames longer than the longest allowed with a bad FCS.
    pub jabbers: Option<u64>,
    /// Frames received, by length: one count per bucket of the [`FrameLengthRanges`].
    pub received_by_length: Option<[u64; LENGTH_BUCKETS]>,
    /// Frames sent, by length.
    pub sent_by_length: Option<[u64; LENGTH_BUCKETS]>,
}

/// What `ethtool -p` asks of the port's identification LED.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identify {
    /// Identification starts: take over the LED (keep what it showed before).
    Start,
    /// Light the LED (the kernel alternates `On` and `Off` at the rate `Start` asked for).
    On,
    /// Darken the LED.
    Off,
    /// Identification ends: give the LED back what it showed before `Start`.
    Stop,
}

/// Driver identification (`ethtool -i`).
pub struct DriverInfo<'a> {
    /// Driver name.
    pub driver: &'a CStr,
    /// Bus address of the device.
    pub bus_info: &'a CStr,
}

/// ethtool operations; `Self` is the device context of [`crate::net::device::Operations`].
#[vtable]
pub trait Operations: crate::net::device::Operations {
    /// Fills `ethtool -i` (process context).
    fn driver_info(dev: &Device, this: &Self, fill: &mut dyn FnMut(&DriverInfo<'_>));

    /// Returns the ring sizes (RTNL).
    fn get_ring_sizes(_dev: &Device, _this: &Self) -> RingSizes {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns the channel counts (RTNL).
    fn get_channels(_dev: &Device, _this: &Self) -> Channels {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies a new channel count (RTNL); refuse what the device cannot do with `EINVAL`.
    fn set_channels(_dev: &Device, _this: &Self, _channels: Channels) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Number of 32-bit registers [`Operations::get_registers`] dumps (`ethtool -d`).
    fn registers_len(_dev: &Device, _this: &Self) -> usize {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Fills `out` with a register dump; returns the dump format's version.
    fn get_registers(_dev: &Device, _this: &Self, _out: &mut [u32]) -> u32 {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Names of the driver statistics (`ethtool -S`), at most 32 bytes each.
    fn stats_names(_dev: &Device, _this: &Self) -> &'static [&'static CStr] {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Fills `values` (one per name of [`Operations::stats_names`]).
    fn stats_values(_dev: &Device, _this: &Self, _values: &mut [u64]) {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Names of the self-tests (`ethtool -t`), at most 32 bytes each.
    fn self_test_names(_dev: &Device, _this: &Self) -> &'static [&'static CStr] {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Runs the self-tests (RTNL), the offline ones only if `offline` (they may interrupt
    /// traffic), and writes one result per name of [`Operations::self_test_names`] into
    /// `results`: 0 for a pass. Returns whether every test that ran passed.
    fn self_test(_dev: &Device, _this: &Self, _offline: bool, _results: &mut [u64]) -> bool {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies new ring sizes (RTNL); refuse bad values with `EINVAL` and a message.
    fn set_ring_sizes(
        _dev: &Device,
        _this: &Self,
        _sizes: RingSizes,
        _extack: &mut ExtAck,
    ) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns the link settings (RTNL).
    fn get_link_settings(_dev: &Device, _this: &Self) -> LinkSettings {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies new link settings (RTNL). ethtool has no message for this one: refuse what
    /// the port cannot do with `EINVAL`, what the driver does not with `EOPNOTSUPP`.
    fn set_link_settings(_dev: &Device, _this: &Self, _request: LinkRequest) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns the interrupt coalescing settings (RTNL).
    fn get_coalesce(_dev: &Device, _this: &Self) -> Coalesce {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies interrupt coalescing settings (RTNL); refuse bad values with `EINVAL` and a
    /// message. ethtool itself refuses parameters other than those of [`Coalesce`].
    fn set_coalesce(
        _dev: &Device,
        _this: &Self,
        _coalesce: Coalesce,
        _extack: &mut ExtAck,
    ) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Size of the EEPROM (or NVM) in bytes, 0 if there is none to read (process context).
    fn eeprom_len(_dev: &Device, _this: &Self) -> u32 {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Reads `out.len()` EEPROM bytes from byte `offset` (ethtool checked the range against
    /// [`Operations::eeprom_len`]); returns the magic number that identifies the device
    /// for a later write (process context, may sleep).
    fn read_eeprom(_dev: &Device, _this: &Self, _offset: u32, _out: &mut [u8]) -> Result<u32> {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns the flow control settings (RTNL).
    fn get_pause(_dev: &Device, _this: &Self) -> Pause {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns the pause frames counted since the device was bound (RTNL).
    fn get_pause_stats(_dev: &Device, _this: &Self) -> PauseStats {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Drives the identification LED (`ethtool -p`, RTNL). On [`Identify::Start`] returns how
    /// many times a second the kernel should switch it on and off, 0 if the device blinks
    /// it by itself.
    fn set_identify(_dev: &Device, _this: &Self, _state: Identify) -> Result<u32> {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns the IEEE 802.3 MAC counters (RTNL).
    fn get_mac_stats(_dev: &Device, _this: &Self) -> MacStats {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns the RMON counters and the frame lengths of their histogram's buckets (RTNL).
    fn get_rmon_stats(_dev: &Device, _this: &Self) -> (RmonStats, &'static FrameLengthRanges) {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies flow control settings (RTNL); refuse what the device cannot do with
    /// `EINVAL` (ethtool gives this operation no message channel).
    fn set_pause(_dev: &Device, _this: &Self, _pause: Pause) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Number of RX rings (`ethtool -x` shows it; RSS requests check against it).
    fn rx_ring_count(_dev: &Device, _this: &Self) -> u32 {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Length in bytes of the key the hardware hashes received flows with (Toeplitz);
    /// 0 when it does not hash.
    fn rx_hash_key_len(_dev: &Device, _this: &Self) -> u32 {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Reads the receive-hash key into `key` ([`Operations::rx_hash_key_len`] bytes, or none
    /// when ethtool only asks for the hash function) for `ethtool -x` (RTNL or ethtool's RSS
    /// lock); `EOPNOTSUPP` where the device does not hash.
    fn get_rx_hash_key(_dev: &Device, _this: &Self, _key: &mut [u8]) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies a new receive-hash key (`ethtool -X hkey`, RTNL), of
    /// [`Operations::rx_hash_key_len`] bytes (ethtool checked the length).
    fn set_rx_hash_key(_dev: &Device, _this: &Self, _key: &[u8], _extack: &mut ExtAck) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Entries of the table that maps a received flow's hash to its RX ring (the RSS
    /// indirection table, `ethtool -x`).
    fn rx_hash_table_len(_dev: &Device, _this: &Self) -> u32 {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Reads the RSS indirection table into `table`, [`Operations::rx_hash_table_len`]
    /// entries (RTNL or ethtool's RSS lock).
    fn get_rx_hash_table(_dev: &Device, _this: &Self, _table: &mut [u32]) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies a new RSS indirection table (`ethtool -X equal | weight | default`, RTNL and
    /// ethtool's RSS lock), [`Operations::rx_hash_table_len`] entries, each below
    /// [`Operations::rx_ring_count`] (ethtool checked both).
    fn set_rx_hash_table(
        _dev: &Device,
        _this: &Self,
        _table: &[u32],
        _extack: &mut ExtAck,
    ) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// The header fields the device hashes received flows of `flow` by (`ethtool -n IFACE
    /// rx-flow-hash`; ethtool's RSS lock held, and RTNL for a device without the instance
    /// lock); `EOPNOTSUPP` where it does not hash. Only for the default RSS context.
    fn get_rx_hash_fields(_dev: &Device, _this: &Self, _flow: FlowType) -> Result<HashFields> {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Makes the device hash received flows of `flow` by `fields` (`ethtool -N IFACE
    /// rx-flow-hash`; ethtool's RSS lock held, and RTNL for a device without the instance
    /// lock); `EINVAL` with a message for fields it cannot hash by. Only for the default
    /// RSS context: a request naming another is refused before the call.
    fn set_rx_hash_fields(
        _dev: &Device,
        _this: &Self,
        _flow: FlowType,
        _fields: HashFields,
        _extack: &mut ExtAck,
    ) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Names of the private flags (`ethtool --show-priv-flags`), flag `n` being bit `n`: at
    /// most [`MAX_PRIVATE_FLAGS`] of 32 bytes each. May differ from device to device.
    fn private_flag_names(_dev: &Device, _this: &Self) -> &'static [&'static CStr] {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Returns the private flags, bit `n` for name `n` (RTNL).
    fn get_private_flags(_dev: &Device, _this: &Self) -> u32 {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies private flags (`ethtool --set-priv-flags`, RTNL). Bits without a name are
    /// refused with `EINVAL` before the call; ethtool gives this operation no message
    /// channel.
    fn set_private_flags(_dev: &Device, _this: &Self, _flags: u32) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

/// Most private flags a device can have: ethtool passes them in one `u32`.
pub const MAX_PRIVATE_FLAGS: usize = 32;

/// The one hash function iflib hardware computes: Toeplitz (`ETH_RSS_HASH_TOP`).
const HASH_TOEPLITZ: u8 = 1 << bindings::ETH_RSS_HASH_TOP_BIT;

/// A kind of received flow, as `ethtool -n IFACE rx-flow-hash` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlowType {
    /// TCP over IPv4 (`tcp4`).
    TcpIpv4,
    /// UDP over IPv4 (`udp4`).
    UdpIpv4,
    /// Other IPv4: SCTP, AH, ESP, raw IP (`sctp4`, `ah4`, `esp4`, `ip4`).
    OtherIpv4,
    /// TCP over IPv6 (`tcp6`).
    TcpIpv6,
    /// UDP over IPv6 (`udp6`).
    UdpIpv6,
    /// Other IPv6 (`sctp6`, `ah6`, `esp6`, `ip6`).
    OtherIpv6,
    /// Not IP (`ether`) or unknown.
    Other,
}

impl FlowType {
    fn from_raw(flow_type: u32) -> Self {
        let flags = bindings::FLOW_EXT | bindings::FLOW_MAC_EXT | bindings::FLOW_RSS;
        match flow_type & !flags {
            bindings::TCP_V4_FLOW => Self::TcpIpv4,
            bindings::UDP_V4_FLOW => Self::UdpIpv4,
            bindings::SCTP_V4_FLOW
            | bindings::AH_ESP_V4_FLOW
            | bindings::AH_V4_FLOW
            | bindings::ESP_V4_FLOW
            | bindings::IPV4_FLOW => Self::OtherIpv4,
            bindings::TCP_V6_FLOW => Self::TcpIpv6,
            bindings::UDP_V6_FLOW => Self::UdpIpv6,
            bindings::SCTP_V6_FLOW
            | bindings::AH_ESP_V6_FLOW
            | bindings::AH_V6_FLOW
            | bindings::ESP_V6_FLOW
            | bindings::IPV6_FLOW => Self::OtherIpv6,
            _ => Self::Other,
        }
    }
}

/// The header fields a received flow is hashed by (`RXH_*`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HashFields(u32);

impl HashFields {
    /// Nothing: flows of this type are not hashed.
    pub const NONE: Self = Self(0);
    /// The IP source and destination addresses.
    pub const IP_ADDRESSES: Self = Self(bindings::RXH_IP_SRC | bindings::RXH_IP_DST);
    /// The IP addresses and the L4 source and destination ports.
    pub const IP_ADDRESSES_AND_PORTS: Self = Self(
        bindings::RXH_IP_SRC
            | bindings::RXH_IP_DST
            | bindings::RXH_L4_B_0_1
            | bindings::RXH_L4_B_2_3,
    );
}

fn copy_cstr(dst: &mut [c_char], src: &CStr) {
    let bytes = src.to_bytes();
    let n = bytes.len().min(dst.len().saturating_sub(1));
    for (d, s) in dst.iter_mut().zip(bytes[..n].iter()) {
        *d = *s as c_char;
    }
    if let Some(end) = dst.get_mut(n) {
        *end = 0;
    }
}

/// The values ethtool asked for, one per name of a string set, zeroed for the driver to
/// fill.
///
/// # Safety
///
/// `data` points to one `u64` per entry of `names`, valid for writes and not otherwise
/// referenced while the result lives.
unsafe fn zeroed_values<'a>(data: *mut u64, names: &[&CStr]) -> &'a mut [u64] {
    // SAFETY: Per the safety requirement.
    let values = unsafe { core::slice::from_raw_parts_mut(data, names.len()) };
    values.fill(0);
    values
}

/// The private flag bits that have a name, given `count` names.
fn named_flags(count: usize) -> u32 {
    let count = count.min(MAX_PRIVATE_FLAGS) as u32;
    u32::MAX.checked_shr(u32::BITS - count).unwrap_or(0)
}

struct Table<T: Operations>(core::marker::PhantomData<T>);

impl<T: Operations> Table<T> {
    const OPS: bindings::ethtool_ops = bindings::ethtool_ops {
        get_drvinfo: Some(Self::get_drvinfo),
        get_link: Some(bindings::ethtool_op_get_link),
        get_ringparam: if T::HAS_GET_RING_SIZES {
            Some(Self::get_ringparam)
        } else {
            None
        },
        set_ringparam: if T::HAS_SET_RING_SIZES {
            Some(Self::set_ringparam)
        } else {
            None
        },
        get_regs_len: if T::HAS_REGISTERS_LEN {
            Some(Self::get_regs_len)
        } else {
            None
        },
        get_regs: if T::HAS_GET_REGISTERS {
            Some(Self::get_regs)
        } else {
            None
        },
        get_channels: if T::HAS_GET_CHANNELS {
            Some(Self::get_channels)
        } else {
            None
        },
        set_channels: if T::HAS_SET_CHANNELS {
            Some(Self::set_channels)
        } else {
            None
        },
        get_sset_count: if T::HAS_STATS_NAMES || T::HAS_SELF_TEST_NAMES || T::HAS_PRIVATE_FLAG_NAMES
        {
            Some(Self::get_sset_count)
        } else {
            None
        },
        get_strings: if T::HAS_STATS_NAMES || T::HAS_SELF_TEST_NAMES || T::HAS_PRIVATE_FLAG_NAMES {
            Some(Self::get_strings)
        } else {
            None
        },
        get_ethtool_stats: if T::HAS_STATS_VALUES {
            Some(Self::get_ethtool_stats)
        } else {
            None
        },
        get_link_ksettings: if T::HAS_GET_LINK_SETTINGS {
            Some(Self::get_link_ksettings)
        } else {
            None
        },
        set_link_ksettings: if T::HAS_SET_LINK_SETTINGS {
            Some(Self::set_link_ksettings)
        } else {
            None
        },
        supported_coalesce_params: if T::HAS_SET_COALESCE {
            bindings::ETHTOOL_COALESCE_RX_USECS
        } else {
            0
        },
        get_coalesce: if T::HAS_GET_COALESCE {
            Some(Self::get_coalesce)
        } else {
            None
        },
        set_coalesce: if T::HAS_SET_COALESCE {
            Some(Self::set_coalesce)
        } else {
            None
        },
        get_eeprom_len: if T::HAS_EEPROM_LEN {
            Some(Self::get_eeprom_len)
        } else {
            None
        },
        get_eeprom: if T::HAS_READ_EEPROM {
            Some(Self::get_eeprom)
        } else {
            None
        },
        get_pauseparam: if T::HAS_GET_PAUSE {
            Some(Self::get_pauseparam)
        } else {
            None
        },
        set_pauseparam: if T::HAS_SET_PAUSE {
            Some(Self::set_pauseparam)
        } else {
            None
        },
        get_pause_stats: if T::HAS_GET_PAUSE_STATS {
            Some(Self::get_pause_stats)
        } else {
            None
        },
        self_test: if T::HAS_SELF_TEST && T::HAS_SELF_TEST_NAMES {
            Some(Self::self_test)
        } else {
            None
        },
        set_phys_id: if T::HAS_SET_IDENTIFY {
            Some(Self::set_phys_id)
        } else {
            None
        },
        get_eth_mac_stats: if T::HAS_GET_MAC_STATS {
            Some(Self::get_eth_mac_stats)
        } else {
            None
        },
        get_rmon_stats: if T::HAS_GET_RMON_STATS {
            Some(Self::get_rmon_stats)
        } else {
            None
        },
        get_rx_ring_count: if T::HAS_RX_RING_COUNT {
            Some(Self::get_rx_ring_count)
        } else {
            None
        },
        get_rxfh_indir_size: if T::HAS_RX_HASH_TABLE_LEN {
            Some(Self::get_rxfh_indir_size)
        } else {
            None
        },
        get_rxfh_key_size: if T::HAS_RX_HASH_KEY_LEN {
            Some(Self::get_rxfh_key_size)
        } else {
            None
        },
        get_rxfh: if T::HAS_GET_RX_HASH_KEY {
            Some(Self::get_rxfh)
        } else {
            None
        },
        set_rxfh: if T::HAS_SET_RX_HASH_KEY {
            Some(Self::set_rxfh)
        } else {
            None
        },
        get_rxfh_fields: if T::HAS_GET_RX_HASH_FIELDS {
            Some(Self::get_rxfh_fields)
        } else {
            None
        },
        set_rxfh_fields: if T::HAS_SET_RX_HASH_FIELDS {
            Some(Self::set_rxfh_fields)
        } else {
            None
        },
        get_priv_flags: if T::HAS_GET_PRIVATE_FLAGS && T::HAS_PRIVATE_FLAG_NAMES {
            Some(Self::get_priv_flags)
        } else {
            None
        },
        set_priv_flags: if T::HAS_SET_PRIVATE_FLAGS && T::HAS_PRIVATE_FLAG_NAMES {
            Some(Self::set_priv_flags)
        } else {
            None
        },
        ..pin_init::zeroed()
    };

    extern "C" fn get_rxfh_fields(
        dev: *mut bindings::net_device,
        fields: *mut bindings::ethtool_rxfh_fields,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `fields` is valid for the call.
        let fields = unsafe { &mut *fields };
        // Defensive, as in `set_rxfh_fields`: the default context only.
        if fields.rss_context != 0 {
            return EOPNOTSUPP.to_errno();
        }
        let flow = FlowType::from_raw(fields.flow_type);
        match T::get_rx_hash_fields(dev, this, flow) {
            Ok(hashed) => {
                fields.data = hashed.0;
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    extern "C" fn set_rxfh_fields(
        dev: *mut bindings::net_device,
        fields: *const bindings::ethtool_rxfh_fields,
        extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `fields` is valid for the call.
        let fields = unsafe { &*fields };
        let mut extack = ExtAck(extack);
        // Defensive: the ethtool core refuses other contexts to a driver without
        // `rxfh_per_ctx_fields` before it calls this; the trait knows the default context only.
        if fields.rss_context != 0 {
            return EOPNOTSUPP.to_errno();
        }
        let flow = FlowType::from_raw(fields.flow_type);
        from_result(|| {
            T::set_rx_hash_fields(dev, this, flow, HashFields(fields.data), &mut extack).map(|()| 0)
        })
    }

    extern "C" fn get_rx_ring_count(dev: *mut bindings::net_device) -> u32 {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        T::rx_ring_count(dev, this)
    }

    extern "C" fn get_rxfh_indir_size(dev: *mut bindings::net_device) -> u32 {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        T::rx_hash_table_len(dev, this)
    }

    /// The indirection table `indir` of an RSS request, if it has one: `len` entries.
    ///
    /// # Safety
    ///
    /// `indir`, if not null, points to `len` entries that ethtool leaves to the callback
    /// for `'a`, the call (it sizes them with `get_rxfh_indir_size`).
    unsafe fn hash_table<'a>(indir: *mut u32, len: u32) -> Option<&'a mut [u32]> {
        if indir.is_null() || len == 0 {
            return None;
        }
        // SAFETY: Per the safety requirement.
        Some(unsafe { core::slice::from_raw_parts_mut(indir, len as usize) })
    }

    extern "C" fn get_rxfh_key_size(dev: *mut bindings::net_device) -> u32 {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        T::rx_hash_key_len(dev, this)
    }

    /// The key buffer of an RSS request, if it has one.
    ///
    /// # Safety
    ///
    /// `rxfh` is valid for the call and its `key`, if not null, points to `key_size` bytes
    /// (ethtool sizes it with `get_rxfh_key_size`).
    unsafe fn hash_key<'a>(rxfh: &bindings::ethtool_rxfh_param) -> Option<&'a mut [u8]> {
        if rxfh.key.is_null() {
            return None;
        }
        // SAFETY: Per the safety requirement.
        Some(unsafe { core::slice::from_raw_parts_mut(rxfh.key, rxfh.key_size as usize) })
    }

    extern "C" fn get_rxfh(
        dev: *mut bindings::net_device,
        rxfh: *mut bindings::ethtool_rxfh_param,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `rxfh` is valid for the call.
        let rxfh = unsafe { &mut *rxfh };
        rxfh.hfunc = HASH_TOEPLITZ;
        // SAFETY: ethtool sized the key buffer with `get_rxfh_key_size`.
        let key = unsafe { Self::hash_key(rxfh) }.unwrap_or_default();
        // Some callers give the table without its size (`ethtool_get_max_rxfh_channel`,
        // which checks a channel count against it): ethtool allocated it with
        // `get_rxfh_indir_size`.
        let len = match rxfh.indir_size {
            0 if T::HAS_RX_HASH_TABLE_LEN => T::rx_hash_table_len(dev, this),
            len => len,
        };
        // SAFETY: ethtool sized the table with `get_rxfh_indir_size`.
        let table = unsafe { Self::hash_table(rxfh.indir, len) };
        from_result(|| {
            // Called without a buffer too: a device that does not hash refuses.
            T::get_rx_hash_key(dev, this, key)?;
            if let Some(table) = table {
                if !T::HAS_GET_RX_HASH_TABLE {
                    return Err(EOPNOTSUPP);
                }
                T::get_rx_hash_table(dev, this, table)?;
            }
            Ok(0)
        })
    }

    extern "C" fn set_rxfh(
        dev: *mut bindings::net_device,
        rxfh: *mut bindings::ethtool_rxfh_param,
        extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `rxfh` is valid for the call.
        let rxfh = unsafe { &*rxfh };
        let mut extack = ExtAck(extack);
        let hfunc = u32::from(rxfh.hfunc);
        if hfunc != bindings::ETH_RSS_HASH_NO_CHANGE && rxfh.hfunc != HASH_TOEPLITZ {
            extack.set_message(c"the hardware only computes the Toeplitz hash");
            return EINVAL.to_errno();
        }
        // Without an indirection table (`get_rxfh_indir_size`) ethtool passes none; with
        // one, it passes the default spread for "reset to default".
        // SAFETY: ethtool sized the table with `get_rxfh_indir_size` and says so.
        if let Some(table) = unsafe { Self::hash_table(rxfh.indir, rxfh.indir_size) } {
            if !T::HAS_SET_RX_HASH_TABLE {
                extack.set_message(c"no indirection table: one RX queue");
                return EOPNOTSUPP.to_errno();
            }
            if let Err(e) = T::set_rx_hash_table(dev, this, table, &mut extack) {
                return e.to_errno();
            }
        }
        // SAFETY: ethtool sized the key buffer with `get_rxfh_key_size`.
        match unsafe { Self::hash_key(rxfh) } {
            Some(key) => {
                from_result(|| T::set_rx_hash_key(dev, this, key, &mut extack).map(|()| 0))
            }
            None => 0,
        }
    }

    extern "C" fn get_priv_flags(dev: *mut bindings::net_device) -> u32 {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        T::get_private_flags(dev, this)
    }

    extern "C" fn set_priv_flags(dev: *mut bindings::net_device, flags: u32) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // The ioctl passes any bits; netlink checks them against the names.
        if flags & !named_flags(T::private_flag_names(dev, this).len()) != 0 {
            return EINVAL.to_errno();
        }
        from_result(|| T::set_private_flags(dev, this, flags).map(|()| 0))
    }

    extern "C" fn self_test(
        dev: *mut bindings::net_device,
        test: *mut bindings::ethtool_test,
        data: *mut u64,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: ethtool sized `data` from `get_sset_count(ETH_SS_TEST)`: one `u64` per name.
        let results = unsafe { zeroed_values(data, T::self_test_names(dev, this)) };
        // SAFETY: `test` is valid for the call.
        let test = unsafe { &mut *test };
        let offline = test.flags & bindings::ethtool_test_flags_ETH_TEST_FL_OFFLINE != 0;
        if !T::self_test(dev, this, offline, results) {
            test.flags |= bindings::ethtool_test_flags_ETH_TEST_FL_FAILED;
        }
    }

    extern "C" fn set_phys_id(
        dev: *mut bindings::net_device,
        state: bindings::ethtool_phys_id_state,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let state = match state {
            bindings::ethtool_phys_id_state_ETHTOOL_ID_ACTIVE => Identify::Start,
            bindings::ethtool_phys_id_state_ETHTOOL_ID_ON => Identify::On,
            bindings::ethtool_phys_id_state_ETHTOOL_ID_OFF => Identify::Off,
            _ => Identify::Stop,
        };
        from_result(|| {
            let rate = T::set_identify(dev, this, state)?;
            // ethtool caps the rate far below this.
            Ok(c_int::try_from(rate).unwrap_or(c_int::MAX))
        })
    }

    extern "C" fn get_eth_mac_stats(
        dev: *mut bindings::net_device,
        out: *mut bindings::ethtool_eth_mac_stats,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let stats = T::get_mac_stats(dev, this);
        // SAFETY: `out` is valid for the call; its counters (a union of a struct and a
        // struct group of the same `u64`s) were set to `ETHTOOL_STAT_NOT_SET` by ethtool.
        let out = unsafe { &mut (*out).__bindgen_anon_1.__bindgen_anon_1 };
        for (field, value) in [
            (&mut out.FramesTransmittedOK, stats.frames_sent),
            (&mut out.FramesReceivedOK, stats.frames_received),
            (&mut out.OctetsTransmittedOK, stats.octets_sent),
            (&mut out.OctetsReceivedOK, stats.octets_received),
            (&mut out.MulticastFramesXmittedOK, stats.multicast_sent),
            (&mut out.MulticastFramesReceivedOK, stats.multicast_received),
            (&mut out.BroadcastFramesXmittedOK, stats.broadcast_sent),
            (&mut out.BroadcastFramesReceivedOK, stats.broadcast_received),
            (&mut out.FrameCheckSequenceErrors, stats.fcs_errors),
            (&mut out.AlignmentErrors, stats.alignment_errors),
            (&mut out.SingleCollisionFrames, stats.single_collisions),
            (&mut out.MultipleCollisionFrames, stats.multiple_collisions),
            (&mut out.LateCollisions, stats.late_collisions),
            (
                &mut out.FramesAbortedDueToXSColls,
                stats.excessive_collisions,
            ),
            (&mut out.FramesWithDeferredXmissions, stats.deferred),
        ] {
            if let Some(value) = value {
                *field = value;
            }
        }
    }

    extern "C" fn get_rmon_stats(
        dev: *mut bindings::net_device,
        out: *mut bindings::ethtool_rmon_stats,
        ranges: *mut *const bindings::ethtool_rmon_hist_range,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let (stats, lengths) = T::get_rmon_stats(dev, this);
        // SAFETY: `ranges` is valid for writes for the call; the ranges are static.
        unsafe { *ranges = lengths.0.as_ptr() };
        // SAFETY: `out` is valid for the call; its counters (a union of a struct and a
        // struct group of the same `u64`s) were set to `ETHTOOL_STAT_NOT_SET` by ethtool.
        let out = unsafe { &mut (*out).__bindgen_anon_1.__bindgen_anon_1 };
        for (field, value) in [
            (&mut out.undersize_pkts, stats.undersize),
            (&mut out.oversize_pkts, stats.oversize),
            (&mut out.fragments, stats.fragments),
            (&mut out.jabbers, stats.jabbers),
        ] {
            if let Some(value) = value {
                *field = value;
            }
        }
        let buckets = lengths.len();
        for (hist, counts) in [
            (&mut out.hist, stats.received_by_length),
            (&mut out.hist_tx, stats.sent_by_length),
        ] {
            if let Some(counts) = counts {
                for (slot, count) in hist.iter_mut().zip(counts).take(buckets) {
                    *slot = count;
                }
            }
        }
    }

    extern "C" fn get_link_ksettings(
        dev: *mut bindings::net_device,
        ks: *mut bindings::ethtool_link_ksettings,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let settings = T::get_link_settings(dev, this);
        // SAFETY: `ks` is valid for the call and was zeroed by ethtool.
        let ks = unsafe { &mut *ks };
        let (speed, duplex) = match settings.link {
            Some((speed, true)) => (speed, bindings::DUPLEX_FULL),
            Some((speed, false)) => (speed, bindings::DUPLEX_HALF),
            None => (bindings::SPEED_UNKNOWN as u32, bindings::DUPLEX_UNKNOWN),
        };
        ks.base.speed = speed;
        ks.base.duplex = duplex as u8;
        ks.base.autoneg = u8::from(settings.autoneg);
        ks.base.port = if settings.supported.contains(LinkModes::TWISTED_PAIR) {
            bindings::PORT_TP as u8
        } else {
            bindings::PORT_OTHER as u8
        };
        settings.supported.write_to(&mut ks.link_modes.supported);
        settings
            .advertising
            .write_to(&mut ks.link_modes.advertising);
        0
    }

    extern "C" fn set_link_ksettings(
        dev: *mut bindings::net_device,
        ks: *const bindings::ethtool_link_ksettings,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `ks` is valid for the call.
        let ks = unsafe { &*ks };
        let Some(advertising) = LinkModes::read_from(&ks.link_modes.advertising) else {
            return EINVAL.to_errno();
        };
        // What `get_link_ksettings` reports, and only that, may come back: a port, PHY
        // address or MDI-X setting of the operator's is not taken silently.
        let port = if T::get_link_settings(dev, this)
            .supported
            .contains(LinkModes::TWISTED_PAIR)
        {
            bindings::PORT_TP
        } else {
            bindings::PORT_OTHER
        };
        if u32::from(ks.base.port) != port
            || ks.base.phy_address != 0
            || u32::from(ks.base.eth_tp_mdix_ctrl) != bindings::ETH_TP_MDI_INVALID
        {
            return EOPNOTSUPP.to_errno();
        }
        let autoneg = match u32::from(ks.base.autoneg) {
            bindings::AUTONEG_ENABLE => true,
            bindings::AUTONEG_DISABLE => false,
            _ => return EINVAL.to_errno(),
        };
        let request = LinkRequest {
            autoneg,
            speed_mbps: if ks.base.speed == bindings::SPEED_UNKNOWN as u32 {
                0
            } else {
                ks.base.speed
            },
            full_duplex: match u32::from(ks.base.duplex) {
                bindings::DUPLEX_FULL => Some(true),
                bindings::DUPLEX_HALF => Some(false),
                _ => None,
            },
            advertising,
        };
        match T::set_link_settings(dev, this, request) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    extern "C" fn get_coalesce(
        dev: *mut bindings::net_device,
        ec: *mut bindings::ethtool_coalesce,
        _kernel_ec: *mut bindings::kernel_ethtool_coalesce,
        _extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let coalesce = T::get_coalesce(dev, this);
        // SAFETY: `ec` is valid for the call.
        unsafe { (*ec).rx_coalesce_usecs = coalesce.rx_usecs };
        0
    }

    extern "C" fn set_coalesce(
        dev: *mut bindings::net_device,
        ec: *mut bindings::ethtool_coalesce,
        _kernel_ec: *mut bindings::kernel_ethtool_coalesce,
        extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `ec` is valid for the call.
        let rx_usecs = unsafe { (*ec).rx_coalesce_usecs };
        let coalesce = Coalesce { rx_usecs };
        let mut extack = ExtAck(extack);
        from_result(|| T::set_coalesce(dev, this, coalesce, &mut extack).map(|()| 0))
    }

    extern "C" fn get_eeprom_len(dev: *mut bindings::net_device) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        c_int::try_from(T::eeprom_len(dev, this)).unwrap_or(0)
    }

    extern "C" fn get_eeprom(
        dev: *mut bindings::net_device,
        ee: *mut bindings::ethtool_eeprom,
        data: *mut u8,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `ee` is valid for the call.
        let ee = unsafe { &mut *ee };
        // SAFETY: ethtool passes a buffer of `ee.len` bytes.
        let out = unsafe { core::slice::from_raw_parts_mut(data, ee.len as usize) };
        from_result(|| {
            ee.magic = T::read_eeprom(dev, this, ee.offset, out)?;
            Ok(0)
        })
    }

    extern "C" fn get_pauseparam(
        dev: *mut bindings::net_device,
        pause: *mut bindings::ethtool_pauseparam,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let settings = T::get_pause(dev, this);
        // SAFETY: `pause` is valid for the call.
        let pause = unsafe { &mut *pause };
        pause.autoneg = u32::from(settings.autoneg);
        pause.rx_pause = u32::from(settings.rx);
        pause.tx_pause = u32::from(settings.tx);
    }

    extern "C" fn get_pause_stats(
        dev: *mut bindings::net_device,
        stats: *mut bindings::ethtool_pause_stats,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let counts = T::get_pause_stats(dev, this);
        // SAFETY: `stats` is valid for the call.
        unsafe { bindings::ethtool_pause_stats_set(stats, counts.tx_frames, counts.rx_frames) };
    }

    extern "C" fn set_pauseparam(
        dev: *mut bindings::net_device,
        pause: *mut bindings::ethtool_pauseparam,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `pause` is valid for the call.
        let pause = unsafe { &*pause };
        let settings = Pause {
            autoneg: pause.autoneg != 0,
            rx: pause.rx_pause != 0,
            tx: pause.tx_pause != 0,
        };
        from_result(|| T::set_pause(dev, this, settings).map(|()| 0))
    }

    extern "C" fn get_regs_len(dev: *mut bindings::net_device) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let bytes = T::registers_len(dev, this).saturating_mul(core::mem::size_of::<u32>());
        c_int::try_from(bytes).unwrap_or(0)
    }

    extern "C" fn get_regs(
        dev: *mut bindings::net_device,
        regs: *mut bindings::ethtool_regs,
        data: *mut c_void,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let len = T::registers_len(dev, this);
        // SAFETY: ethtool allocated `data` with `get_regs_len` bytes, `u32` aligned (it is
        // a kernel allocation), and zeroed it.
        let out = unsafe { core::slice::from_raw_parts_mut(data.cast::<u32>(), len) };
        let version = T::get_registers(dev, this, out);
        // SAFETY: `regs` is valid for the call.
        unsafe { (*regs).version = version };
    }

    extern "C" fn get_channels(
        dev: *mut bindings::net_device,
        ch: *mut bindings::ethtool_channels,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let channels = T::get_channels(dev, this);
        // SAFETY: `ch` is valid for the call.
        let ch = unsafe { &mut *ch };
        ch.max_combined = channels.max_combined;
        ch.combined_count = channels.combined;
    }

    extern "C" fn set_channels(
        dev: *mut bindings::net_device,
        ch: *mut bindings::ethtool_channels,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `ch` is valid for the call.
        let ch = unsafe { &*ch };
        if ch.rx_count != 0 || ch.tx_count != 0 || ch.other_count != 0 {
            return EINVAL.to_errno();
        }
        let channels = Channels {
            max_combined: ch.max_combined,
            combined: ch.combined_count,
        };
        from_result(|| T::set_channels(dev, this, channels).map(|()| 0))
    }

    /// The names of string set `sset`, if the driver has them.
    fn names(dev: &Device, this: &T, sset: u32) -> Option<&'static [&'static CStr]> {
        match sset {
            bindings::ethtool_stringset_ETH_SS_STATS if T::HAS_STATS_NAMES => {
                Some(T::stats_names(dev, this))
            }
            bindings::ethtool_stringset_ETH_SS_TEST if T::HAS_SELF_TEST_NAMES => {
                Some(T::self_test_names(dev, this))
            }
            bindings::ethtool_stringset_ETH_SS_PRIV_FLAGS if T::HAS_PRIVATE_FLAG_NAMES => {
                let names = T::private_flag_names(dev, this);
                Some(&names[..names.len().min(MAX_PRIVATE_FLAGS)])
            }
            _ => None,
        }
    }

    extern "C" fn get_sset_count(dev: *mut bindings::net_device, sset: c_int) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        match u32::try_from(sset)
            .ok()
            .and_then(|sset| Self::names(dev, this, sset))
        {
            Some(names) => names.len() as c_int,
            None => EOPNOTSUPP.to_errno(),
        }
    }

    extern "C" fn get_strings(dev: *mut bindings::net_device, sset: u32, data: *mut u8) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let Some(names) = Self::names(dev, this, sset) else {
            return;
        };
        let len = bindings::ETH_GSTRING_LEN as usize;
        // SAFETY: ethtool sized `data` from `get_sset_count`: `ETH_GSTRING_LEN` bytes per name.
        let out =
            unsafe { core::slice::from_raw_parts_mut(data.cast::<c_char>(), names.len() * len) };
        for (chunk, name) in out.chunks_exact_mut(len).zip(names.iter()) {
            copy_cstr(chunk, name);
        }
    }

    extern "C" fn get_ethtool_stats(
        dev: *mut bindings::net_device,
        _stats: *mut bindings::ethtool_stats,
        data: *mut u64,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: ethtool sized `data` from `get_sset_count(ETH_SS_STATS)`: one `u64` per
        // name.
        let values = unsafe { zeroed_values(data, T::stats_names(dev, this)) };
        T::stats_values(dev, this, values);
    }

    extern "C" fn get_drvinfo(
        dev: *mut bindings::net_device,
        info: *mut bindings::ethtool_drvinfo,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `info` is valid for the call.
        let info = unsafe { &mut *info };
        T::driver_info(dev, this, &mut |di| {
            copy_cstr(&mut info.driver, di.driver);
            copy_cstr(&mut info.bus_info, di.bus_info);
        });
    }

    extern "C" fn get_ringparam(
        dev: *mut bindings::net_device,
        ring: *mut bindings::ethtool_ringparam,
        _kernel_ring: *mut bindings::kernel_ethtool_ringparam,
        _extack: *mut bindings::netlink_ext_ack,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let sizes = T::get_ring_sizes(dev, this);
        // SAFETY: `ring` is valid for the call.
        let ring = unsafe { &mut *ring };
        ring.rx_max_pending = sizes.rx_max;
        ring.tx_max_pending = sizes.tx_max;
        ring.rx_pending = sizes.rx;
        ring.tx_pending = sizes.tx;
    }

    extern "C" fn set_ringparam(
        dev: *mut bindings::net_device,
        ring: *mut bindings::ethtool_ringparam,
        _kernel_ring: *mut bindings::kernel_ethtool_ringparam,
        extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `ring` is valid for the call.
        let ring = unsafe { &*ring };
        let sizes = RingSizes {
            rx_max: ring.rx_max_pending,
            tx_max: ring.tx_max_pending,
            rx: ring.rx_pending,
            tx: ring.tx_pending,
        };
        let mut extack = ExtAck(extack);
        from_result(|| T::set_ring_sizes(dev, this, sizes, &mut extack).map(|()| 0))
    }
}

/// Returns the operation table of `T`.
pub(crate) fn ops_of<T: Operations>() -> &'static bindings::ethtool_ops {
    &Table::<T>::OPS
}

#[macros::kunit_tests(rust_net_ethtool)]
mod tests {
    use super::*;

    #[test]
    fn link_modes_set_their_ethtool_bits() {
        let mut mask = [0 as c_ulong; 4];
        LinkModes::BASE_T_1000_FULL
            .union(LinkModes::TWISTED_PAIR)
            .write_to(&mut mask);
        let set =
            |bit: u32| mask[(bit / c_ulong::BITS) as usize] & (1 << (bit % c_ulong::BITS)) != 0;
        assert!(set(
            bindings::ethtool_link_mode_bit_indices_ETHTOOL_LINK_MODE_1000baseT_Full_BIT
        ));
        assert!(set(
            bindings::ethtool_link_mode_bit_indices_ETHTOOL_LINK_MODE_TP_BIT
        ));
        assert!(!set(
            bindings::ethtool_link_mode_bit_indices_ETHTOOL_LINK_MODE_10baseT_Half_BIT
        ));
        let total: u32 = mask.iter().map(|w| w.count_ones()).sum();
        assert_eq!(total, 2);
    }

    #[test]
    fn link_modes_contain_their_parts() {
        let copper = LinkModes::BASE_T_100_FULL.union(LinkModes::AUTONEG);
        assert!(copper.contains(LinkModes::AUTONEG));
        assert!(copper.contains(LinkModes::NONE));
        assert!(!copper.contains(LinkModes::BASE_T_1000_FULL));
    }

    fn as_chars(bytes: &[u8]) -> KVec<c_char> {
        let mut v = KVec::new();
        for b in bytes {
            if v.push(*b as c_char, GFP_KERNEL).is_err() {
                break;
            }
        }
        v
    }

    #[test]
    fn copy_cstr_fits_and_terminates() {
        let mut buf = [0x55 as c_char; 8];
        copy_cstr(&mut buf, c"em");
        assert_eq!(&buf[..3], &as_chars(b"em\0")[..]);
    }

    #[test]
    fn copy_cstr_truncates_to_the_buffer() {
        let mut buf = [0x55 as c_char; 6];
        copy_cstr(&mut buf, c"iflib_em");
        assert_eq!(&buf[..], &as_chars(b"iflib\0")[..]);
    }

    #[test]
    fn frame_length_ranges_end_where_the_buckets_end() {
        let ranges = FrameLengthRanges::new(&[(64, 64), (65, 127), (1024, 9018)]);
        assert_eq!(ranges.len(), 3);
        assert_eq!((ranges.0[2].low, ranges.0[2].high), (1024, 9018));
        assert_eq!((ranges.0[3].low, ranges.0[3].high), (0, 0));
        assert!(FrameLengthRanges::new(&[]).is_empty());
    }

    #[test]
    fn frame_length_ranges_keep_at_most_the_kernels_buckets() {
        let many = [(1, 1); LENGTH_BUCKETS + 3];
        assert_eq!(FrameLengthRanges::new(&many).len(), LENGTH_BUCKETS);
    }

    #[test]
    fn named_flags_cover_the_names_only() {
        assert_eq!(named_flags(0), 0);
        assert_eq!(named_flags(1), 0b1);
        assert_eq!(named_flags(3), 0b111);
        assert_eq!(named_flags(MAX_PRIVATE_FLAGS), u32::MAX);
        assert_eq!(named_flags(MAX_PRIVATE_FLAGS + 5), u32::MAX);
    }

    #[test]
    fn copy_cstr_into_nothing_is_harmless() {
        let mut buf: [c_char; 0] = [];
        copy_cstr(&mut buf, c"x");
        assert!(buf.is_empty());
    }
}
