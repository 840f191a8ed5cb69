// SPDX-License-Identifier: GPL-2.0

//! Registers of the 82576 (igb), typed with the kernel's `register!`: each has its offset
//! and fields, so an access names a register the BAR has (checked when the driver is
//! built) and a field, not an offset and a mask.

use kernel::io::register;

/// Size of the register BAR (BAR 0).
pub(crate) const BAR_SIZE: usize = 0x20000;

/// Queue pairs the driver uses: the 82576's eight RSS queues (QEMU's model has 16 register
/// sets and 10 MSI-X vectors: eight for the queue sets, one for the other causes).
pub(crate) const QUEUES: usize = 8;
const QUEUE_STRIDE: usize = 0x40;
/// MSI-X vectors the EITR registers throttle (the model's ten).
pub(crate) const VECTORS: usize = 10;

register! {
    /// Device control.
    pub(crate) CTRL(u32) @ 0x0000 {
        /// VLAN mode: strip 802.1Q tags on receive.
        30:30 vlan_mode => bool;
        /// Send pause frames.
        28:28 tx_pause => bool;
        /// Honour received pause frames.
        27:27 rx_pause => bool;
        /// Device reset (self-clearing).
        26:26 reset => bool;
        /// Force duplex, force speed: cleared, the MAC follows the PHY; set, it takes
        /// `speed` (0 = 10, 1 = 100 Mb/s) and `full_duplex` from here.
        12:12 force_duplex => bool;
        11:11 force_speed => bool;
        9:8 speed;
        /// Auto-speed detection: cleared with a forced speed, as the C igb does.
        5:5 auto_speed => bool;
        /// Set link up.
        6:6 set_link_up => bool;
        /// Stop issuing new bus master requests; STATUS's `gio_master_enable` clears once
        /// those in flight are done.
        2:2 gio_master_disable => bool;
        0:0 full_duplex => bool;
    }

    /// Device status.
    pub(crate) STATUS(u32) @ 0x0008 {
        19:19 gio_master_enable => bool;
        /// 0 = 10, 1 = 100, 2 or 3 = 1000 Mb/s.
        7:6 speed;
        1:1 link_up => bool;
        0:0 full_duplex => bool;
    }

    /// EEPROM control.
    pub(crate) EECD(u32) @ 0x0010 {
        /// The NVM's automatic read after a reset is done (never set by QEMU's model).
        9:9 auto_read_done => bool;
    }

    /// EEPROM read: start a read of the word at `address`, `done` when `data` holds it.
    pub(crate) EERD(u32) @ 0x0014 {
        31:16 data;
        15:2 address;
        1:1 done => bool;
        0:0 start => bool;
    }

    /// PHY access through the MDI: write `data` to (or read it from) register `register`
    /// of PHY `phy`; `ready` when done, `error` if the PHY did not answer.
    pub(crate) MDIC(u32) @ 0x0020 {
        30:30 error => bool;
        28:28 ready => bool;
        27:27 read => bool;
        26:26 write => bool;
        25:21 phy;
        20:16 register;
        15:0 data;
    }

    /// Flow control: the pause frames' destination address and Ether type, the pause
    /// time sent.
    pub(crate) FCAL(u32) @ 0x0028 {
        31:0 address_low;
    }
    pub(crate) FCAH(u32) @ 0x002c {
        15:0 address_high;
    }
    pub(crate) FCT(u32) @ 0x0030 {
        15:0 ether_type;
    }
    pub(crate) FCTTV(u32) @ 0x0170 {
        15:0 pause_time;
    }

    /// Flow control thresholds of the RX packet buffer: XOFF is sent above the high one,
    /// XON (if enabled) below the low one. Bytes, in 16-byte units.
    pub(crate) FCRTL(u32) @ 0x2160 {
        31:31 xon_enable => bool;
        15:4 threshold;
    }
    pub(crate) FCRTH(u32) @ 0x2168 {
        15:4 threshold;
    }

    /// The RX packet buffer's size in KB.
    pub(crate) RXPBS(u32) @ 0x2404 {
        6:0 size_kb;
    }

    /// LED control.
    pub(crate) LEDCTL(u32) @ 0x0e00 {
        /// LED0 (the one `ethtool -p` blinks): its mode in bits 3:0, its invert and blink
        /// bits above (cleared while a mode is forced).
        7:0 led0;
    }

    /// VLAN Ether type.
    pub(crate) VET(u32) @ 0x0038 {
        15:0 ether_type;
    }

    /// Interrupt causes (read clears with `GPIE.nsicr`), set, mask set, mask clear: bits
    /// [`INT_LSC`]...
    pub(crate) ICR(u32) @ 0x00c0 {
        31:0 causes;
    }
    pub(crate) IMS(u32) @ 0x00d0 {
        31:0 causes;
    }
    pub(crate) IMC(u32) @ 0x00d8 {
        31:0 causes;
    }

    /// Receive control.
    pub(crate) RCTL(u32) @ 0x0100 {
        /// Strip the FCS (QEMU's model appends 4 zero bytes without it).
        26:26 strip_crc => bool;
        /// Drop frames of VLANs not in VFTA.
        18:18 vlan_filter => bool;
        15:15 accept_broadcast => bool;
        /// Long packets (frames over [`STANDARD_FRAME_SIZE`], up to RLPML).
        5:5 long_packets => bool;
        4:4 multicast_promiscuous => bool;
        3:3 unicast_promiscuous => bool;
        1:1 enable => bool;
    }

    /// Transmit control.
    pub(crate) TCTL(u32) @ 0x0400 {
        /// Retransmit on late collision.
        24:24 retransmit_late => bool;
        /// Collision distance (full duplex: 63).
        21:12 collision_distance;
        /// Collision threshold (15).
        11:4 collision_threshold;
        /// Pad short packets.
        3:3 pad_short => bool;
        1:1 enable => bool;
    }

    /// General purpose interrupt enable: MSI-X mode and its options. Written before the
    /// other interrupt registers.
    pub(crate) GPIE(u32) @ 0x1514 {
        /// MSI-X pending bits as the PCI spec has them.
        31:31 pba_support => bool;
        30:30 eiame => bool;
        /// One vector per cause group (MSI-X).
        4:4 msix_mode => bool;
        /// Reading ICR clears it, with MSI-X too.
        0:0 nsicr => bool;
    }

    /// Extended interrupt causes (a bit per MSI-X vector): set, mask set, mask clear,
    /// auto-clear, and cause (write 1 to clear).
    pub(crate) EICS(u32) @ 0x1520 {
        31:0 vectors;
    }
    pub(crate) EIMS(u32) @ 0x1524 {
        31:0 vectors;
    }
    pub(crate) EIMC(u32) @ 0x1528 {
        31:0 vectors;
    }
    pub(crate) EIAC(u32) @ 0x152c {
        31:0 vectors;
    }
    /// Auto-mask: a vector raised masks itself (with `GPIE.eiame`; QEMU's model does not
    /// do it, see `clear_queue_causes`).
    pub(crate) EIAM(u32) @ 0x1530 {
        31:0 vectors;
    }
    pub(crate) EICR(u32) @ 0x1580 {
        31:0 vectors;
    }

    /// Interrupt throttling of each MSI-X vector (vector 0 the only one without MSI-X).
    pub(crate) EITR(u32)[VECTORS] @ 0x1680 {
        /// Least time between interrupts, in microseconds.
        14:2 interval;
    }

    /// Which vector each queue's RX and TX causes raise: queue `q` in register `q`, RX in
    /// byte 0 and TX in byte 1, each an [`ivar_entry`].
    pub(crate) IVAR(u32)[QUEUES] @ 0x1700 {
        15:8 tx;
        7:0 rx;
    }
    /// Which vector the other causes (link) raise, in byte 1.
    pub(crate) IVAR_MISC(u32) @ 0x1740 {
        15:8 other;
    }

    /// MAC statistics: 32-bit counters that clear on read (indices in
    /// [`crate::mac_counters::stat`]).
    pub(crate) STATS(u32)[64] @ 0x4000 {
        31:0 count;
    }

    /// Receive checksum control.
    pub(crate) RXCSUM(u32) @ 0x5000 {
        /// RX write-backs carry the RSS hash instead of the packet checksum (RSS needs it).
        13:13 packet_checksum_disable => bool;
        /// Verify TCP/UDP checksums.
        9:9 l4 => bool;
        /// Verify IPv4 header checksums.
        8:8 ip => bool;
    }

    /// Longest frame accepted with long packets on, FCS included.
    pub(crate) RLPML(u32) @ 0x5004 {
        13:0 bytes;
    }

    /// Multicast table: a bit for each hash of a destination address.
    pub(crate) MTA(u32)[128] @ 0x5200 {
        31:0 bits;
    }

    /// VLAN filter table: a bit for each 802.1Q VLAN id accepted while RCTL's
    /// `vlan_filter` is on.
    pub(crate) VFTA(u32)[128] @ 0x5600 {
        31:0 bits;
    }

    /// Receive address 0, low and high.
    pub(crate) RAL0(u32) @ 0x5400 {
        31:0 address;
    }
    pub(crate) RAH0(u32) @ 0x5404 {
        31:31 address_valid => bool;
        15:0 address;
    }

    /// Multiple receive queues: RSS (mode 2) with the headers hashed; VMDq stays off.
    pub(crate) MRQC(u32) @ 0x5818 {
        23:23 hash_udp_ipv6 => bool;
        22:22 hash_udp_ipv4 => bool;
        21:21 hash_tcp_ipv6 => bool;
        20:20 hash_ipv6 => bool;
        /// TCP over IPv6 with extension headers (QEMU's model hashes TCP/IPv6 by this bit).
        18:18 hash_tcp_ipv6_ex => bool;
        17:17 hash_ipv4 => bool;
        16:16 hash_tcp_ipv4 => bool;
        2:0 mode;
    }

    /// RSS redirection table: four one-byte entries a word, entry 0 in the low byte of the
    /// first, each the queue its flows go to.
    pub(crate) RETA(u32)[32] @ 0x5c00 {
        31:24 entry3;
        23:16 entry2;
        15:8 entry1;
        7:0 entry0;
    }

    /// RSS hash key: 40 bytes, byte 0 in the low byte of the first word.
    pub(crate) RSSRK(u32)[10] @ 0x5c80 {
        31:0 bytes;
    }

    /// RX ring of each queue: base address (low, high), length in bytes, buffer sizes and
    /// descriptor type, head, tail, and control (enable).
    pub(crate) RDBAL(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xc000 {
        31:0 address;
    }
    pub(crate) RDBAH(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xc004 {
        31:0 address;
    }
    pub(crate) RDLEN(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xc008 {
        /// A multiple of 128.
        19:0 bytes;
    }
    pub(crate) SRRCTL(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xc00c {
        /// Drop frames when no buffer is free rather than hold the queue.
        31:31 drop_enable => bool;
        /// Descriptor type: 1 = advanced, one buffer.
        27:25 descriptor_type;
        /// Buffer size in KiB.
        6:0 buffer_kb;
    }
    pub(crate) RDH(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xc010 {
        15:0 slot;
    }
    /// The RX doorbell.
    pub(crate) RDT(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xc018 {
        15:0 slot;
    }
    pub(crate) RXDCTL(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xc028 {
        25:25 enable => bool;
        /// Write-back, host and prefetch thresholds.
        20:16 write_back_threshold;
        12:8 host_threshold;
        4:0 prefetch_threshold;
    }

    /// TX ring of each queue, as the RX ring's.
    pub(crate) TDBAL(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xe000 {
        31:0 address;
    }
    pub(crate) TDBAH(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xe004 {
        31:0 address;
    }
    pub(crate) TDLEN(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xe008 {
        19:0 bytes;
    }
    pub(crate) TDH(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xe010 {
        15:0 slot;
    }
    /// The TX doorbell.
    pub(crate) TDT(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xe018 {
        15:0 slot;
    }
    pub(crate) TXDCTL(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xe028 {
        25:25 enable => bool;
        20:16 write_back_threshold;
        12:8 host_threshold;
        4:0 prefetch_threshold;
    }
    /// Head write-back address: kept 0 (with it on, QEMU's model writes no done bits).
    pub(crate) TDWBAL(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0xe038 {
        31:0 address;
    }
}

/// The RSS redirection table's entries.
pub(crate) const RETA_ENTRIES: u32 = 4 * 32;

/// Interrupt causes (ICR, IMS, IMC) the driver handles.
pub(crate) const INT_TXDW: u32 = 1 << 0;
pub(crate) const INT_LSC: u32 = 1 << 2;
pub(crate) const INT_RXSEQ: u32 = 1 << 3;
pub(crate) const INT_RXDMT0: u32 = 1 << 4;
pub(crate) const INT_RXO: u32 = 1 << 6;
pub(crate) const INT_RXT0: u32 = 1 << 7;
/// Without MSI-X: the device asserted the interrupt line (or sent the MSI).
pub(crate) const INT_ASSERTED: u32 = 1 << 31;
/// With one vector: every cause the driver handles.
pub(crate) const INT_SINGLE: u32 = INT_TXDW | INT_LSC | INT_RXSEQ | INT_RXDMT0 | INT_RXO | INT_RXT0;
/// With MSI-X: the link only (queue work raises the queue sets' own vectors; the
/// descriptor write-back causes here would raise the admin vector for every packet).
pub(crate) const INT_ADMIN_MSIX: u32 = INT_LSC;

/// An IVAR entry: the cause raises MSI-X vector `vector`.
pub(crate) const fn ivar_entry(vector: u16) -> u32 {
    (vector as u32 & 0x1f) | IVAR_VALID
}
const IVAR_VALID: u32 = 1 << 7;

/// Largest frame accepted without long-packet mode, FCS and a VLAN tag included.
pub(crate) const STANDARD_FRAME_SIZE: u32 = 1522;

/// VLAN Ether type.
pub(crate) const ETH_P_8021Q: u16 = 0x8100;

/// 01:80:C2:00:00:01, the 802.3x pause address, and its Ether type.
pub(crate) const PAUSE_ADDRESS_LOW: u32 = 0x00c2_8001;
pub(crate) const PAUSE_ADDRESS_HIGH: u16 = 0x0100;
pub(crate) const ETH_P_PAUSE: u16 = 0x8808;
/// The longest pause (in 512-bit times).
pub(crate) const PAUSE_TIME: u16 = 0xffff;

/// LED0 modes that force it on and off.
pub(crate) const LED_MODE_ON: u8 = 0xe;
pub(crate) const LED_MODE_OFF: u8 = 0xf;

/// The PHY on the MDI, its control register and the value that restarts
/// autonegotiation at 1000 Mb/s full duplex (QEMU's model brings the link up only then,
/// after each reset).
pub(crate) const PHY_ADDRESS: u32 = 1;
pub(crate) const PHY_CONTROL: u32 = 0;
pub(crate) const PHY_CONTROL_AUTONEG_RESTART: u16 = 0x1340;
/// The PHY's autonegotiation advertisement registers (IEEE 802.3 clause 22 and 40), and
/// the IGP PHY's port control: automatic MDI crossover, or a forced crossover.
pub(crate) const PHY_ADVERTISE: u32 = 4;
pub(crate) const PHY_CTRL1000: u32 = 9;
pub(crate) const PHY_PORT_CONTROL: u32 = 18;
pub(crate) const PORT_AUTO_CROSSOVER: u16 = 0x1000;
pub(crate) const PORT_FORCE_CROSSOVER: u16 = 0x2000;
/// Autonegotiation on and restarted (the control register's other bits kept).
pub(crate) const PHY_CONTROL_NEGOTIATE: u16 = 0x1200;
/// The IGP PHY pages the registers above this one, by its page select register.
pub(crate) const PHY_LAST_UNPAGED: u32 = 15;
pub(crate) const PHY_PAGE_SELECT: u32 = 31;
