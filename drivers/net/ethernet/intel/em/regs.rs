// SPDX-License-Identifier: GPL-2.0

//! Registers of the 8254x (e1000) and 82574 (e1000e) family, typed with the kernel's
//! `register!`: each has its offset and fields, so an access names a register the BAR has
//! (checked when the driver is built) and a field, not an offset and a mask.

use kernel::{
    io::register,
    num::Bounded, //
};

/// Size of the register BAR (BAR 0).
pub(crate) const BAR_SIZE: usize = 0x20000;

/// The queues the 82574 has (the 8254x have one); its second queue's registers are
/// [`QUEUE_STRIDE`] above the first's.
pub(crate) const QUEUES_82574: u32 = QUEUES as u32;
const QUEUES: usize = 2;
const QUEUE_STRIDE: usize = 0x100;

register! {
    /// Device control.
    pub(crate) CTRL(u32) @ 0x0000 {
        /// VLAN mode: strip 802.1Q tags on receive, insert them on transmit when asked.
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
        /// Set link up.
        6:6 set_link_up => bool;
        /// Auto-speed detection.
        5:5 auto_speed => bool;
        /// PCIe: stop issuing new bus master requests (82574); STATUS's
        /// `gio_master_enable` clears once those in flight are done.
        2:2 gio_master_disable => bool;
        0:0 full_duplex => bool;
    }

    /// Device status.
    pub(crate) STATUS(u32) @ 0x0008 {
        /// PCIe: bus master requests may still be pending (see CTRL's `gio_master_disable`).
        19:19 gio_master_enable => bool;
        /// 0 = 10, 1 = 100, 2 or 3 = 1000 Mb/s.
        7:6 speed;
        1:1 link_up => bool;
        0:0 full_duplex => bool;
    }

    /// EEPROM control.
    pub(crate) EECD(u32) @ 0x0010 {
        /// The NVM's automatic read after a reset is done (82574).
        9:9 auto_read_done => bool;
    }

    /// EEPROM read (8254x): start a read of the word at `address`, `done` when `data` holds it.
    pub(crate) EERD(u32) @ 0x0014 {
        31:16 data;
        15:8 address;
        4:4 done => bool;
        0:0 start => bool;
    }

    /// EEPROM read as the 82574 lays it out.
    pub(crate) EERD_82574(u32) => EERD {
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

    /// Extended device control.
    pub(crate) CTRL_EXT(u32) @ 0x0018 {
        /// MSI-X: clear the pending bits on read.
        31:31 pba_clear => bool;
        /// Interrupt acknowledge auto-mask (must stay clear for `eiame`).
        27:27 iame => bool;
        /// MSI-X: mask a vector's causes when it is raised.
        24:24 eiame => bool;
    }

    /// Flow control: the pause frames' destination address (low, high) and Ether type, the
    /// pause time sent, and the RX buffer levels at which XON and XOFF are sent.
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
    pub(crate) FCRTL(u32) @ 0x2160 {
        /// Send XON when the buffer drains below the threshold.
        31:31 xon_enable => bool;
        /// Bytes, a multiple of 8.
        15:0 threshold;
    }
    pub(crate) FCRTH(u32) @ 0x2168 {
        15:0 threshold;
    }

    /// VLAN Ether type.
    pub(crate) VET(u32) @ 0x0038 {
        15:0 ether_type;
    }

    /// Interrupt cause read (clears on read; write 1 to clear with MSI-X), throttling, mask
    /// set, mask clear, and the 82574's auto-clear on MSI-X: cause bits ([`INT_LSC`]..).
    pub(crate) ICR(u32) @ 0x00c0 {
        31:0 causes;
    }
    pub(crate) ITR(u32) @ 0x00c4 {
        /// Units of 256 ns between interrupts.
        15:0 interval;
    }
    pub(crate) IMS(u32) @ 0x00d0 {
        31:0 causes;
    }
    pub(crate) IMC(u32) @ 0x00d8 {
        31:0 causes;
    }
    pub(crate) EIAC_82574(u32) @ 0x00dc {
        31:0 causes;
    }

    /// 82574 interrupt vector allocation: for each cause a vector (bits 2:0) and a valid bit
    /// (bit 3), built by [`ivar_entry`].
    pub(crate) IVAR(u32) @ 0x00e4 {
        /// Raise a TX interrupt on every write-back.
        31:31 tx_every_writeback => bool;
        19:16 other;
        15:12 tx_queue1;
        11:8 tx_queue0;
        7:4 rx_queue1;
        3:0 rx_queue0;
    }

    /// 82574 per-vector interrupt throttling (as ITR), for MSI-X vectors 0 to 4.
    pub(crate) EITR_82574(u32)[5] @ 0x00e8 {
        15:0 interval;
    }

    /// Receive control.
    pub(crate) RCTL(u32) @ 0x0100 {
        26:26 strip_crc => bool;
        /// Buffer size extension: the sizes in `buffer_size` times 16.
        25:25 buffer_size_extension => bool;
        /// 0 = 2048 bytes, 3 = 256 (4096 with the extension).
        17:16 buffer_size;
        /// Drop frames of VLANs not in VFTA.
        18:18 vlan_filter => bool;
        15:15 accept_broadcast => bool;
        /// Long packets (frames over [`STANDARD_FRAME_SIZE`]).
        5:5 long_packets => bool;
        4:4 multicast_promiscuous => bool;
        3:3 unicast_promiscuous => bool;
        1:1 enable => bool;
    }

    /// Transmit control.
    pub(crate) TCTL(u32) @ 0x0400 {
        /// Collision distance (full duplex: 0x40).
        21:12 collision_distance;
        /// Collision threshold (15).
        11:4 collision_threshold;
        /// Pad short packets.
        3:3 pad_short => bool;
        1:1 enable => bool;
    }

    /// Transmit inter-packet gap (copper: 10, 8, 6).
    pub(crate) TIPG(u32) @ 0x0410 {
        29:20 ipgr2;
        19:10 ipgr1;
        9:0 ipgt;
    }

    /// Packet buffer allocation.
    pub(crate) PBA(u32) @ 0x1000 {
        /// The RX share in KB.
        15:0 rx_kb;
    }

    /// LED control.
    pub(crate) LEDCTL(u32) @ 0x0e00 {
        /// LED0 (link/activity, the one `ethtool -p` blinks): its mode in bits 3:0, its
        /// invert and blink bits above (`ethtool -p` clears them while it forces a mode).
        7:0 led0;
    }

    /// RX ring of each queue: base address (low, high), length in bytes, head, tail.
    pub(crate) RDBAL(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x2800 {
        31:0 address;
    }
    pub(crate) RDBAH(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x2804 {
        31:0 address;
    }
    pub(crate) RDLEN(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x2808 {
        /// A multiple of 128.
        19:0 bytes;
    }
    pub(crate) RDH(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x2810 {
        15:0 slot;
    }
    /// The RX doorbell.
    pub(crate) RDT(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x2818 {
        15:0 slot;
    }
    /// RX interrupt delay.
    pub(crate) RDTR(u32) @ 0x2820 {
        15:0 delay;
    }

    /// TX ring of each queue, as the RX ring's.
    pub(crate) TDBAL(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x3800 {
        31:0 address;
    }
    pub(crate) TDBAH(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x3804 {
        31:0 address;
    }
    pub(crate) TDLEN(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x3808 {
        19:0 bytes;
    }
    pub(crate) TDH(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x3810 {
        15:0 slot;
    }
    /// The TX doorbell.
    pub(crate) TDT(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x3818 {
        15:0 slot;
    }
    /// TX interrupt delay.
    pub(crate) TIDV(u32) @ 0x3820 {
        15:0 delay;
    }
    /// 82574 TX descriptor control of each queue (prefetch and write-back thresholds).
    pub(crate) TXDCTL(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x3828 {
        31:0 value;
    }
    /// 82574 TX arbitration count of each queue: a queue transmits only when enabled;
    /// compensation mode and the multi-queue fixes for two queues, and the errata bit, as
    /// the 82574's manual asks.
    pub(crate) TARC(u32)[QUEUES, stride = QUEUE_STRIDE] @ 0x3840 {
        26:26 errata => bool;
        25:23 multi_queue_fix;
        10:10 enable => bool;
        7:7 compensation_mode => bool;
    }

    /// MAC statistics: 32-bit counters that clear on read and stop at their largest value
    /// (indices in [`crate::mac_counters::stat`]).
    pub(crate) STATS(u32)[64] @ 0x4000 {
        31:0 count;
    }

    /// Receive checksum control.
    pub(crate) RXCSUM(u32) @ 0x5000 {
        /// 82574: extended RX descriptors carry the RSS hash instead of the packet checksum.
        13:13 packet_checksum_disable => bool;
        /// Verify TCP/UDP checksums.
        9:9 l4 => bool;
        /// Verify IPv4 header checksums.
        8:8 ip => bool;
    }

    /// 82574 receive filter control.
    pub(crate) RFCTL(u32) @ 0x5008 {
        15:15 extended_descriptors => bool;
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

    /// 82574 multiple receive queues: RSS (mode 1), with the headers hashed.
    pub(crate) MRQC(u32) @ 0x5818 {
        20:20 hash_ipv6 => bool;
        18:18 hash_tcp_ipv6 => bool;
        17:17 hash_ipv4 => bool;
        16:16 hash_tcp_ipv4 => bool;
        1:0 mode;
    }

    /// 82574 RSS redirection table: four one-byte entries a word, entry 0 in the low byte
    /// of the first; an entry's bit 7 set sends its flows to queue 1, clear to queue 0.
    pub(crate) RETA(u32)[32] @ 0x5c00 {
        31:31 entry3_queue1 => bool;
        23:23 entry2_queue1 => bool;
        15:15 entry1_queue1 => bool;
        7:7 entry0_queue1 => bool;
    }

    /// 82574 RSS hash key: 40 bytes, byte 0 in the low byte of the first word.
    pub(crate) RSSRK(u32)[10] @ 0x5c80 {
        31:0 bytes;
    }
}

/// The RSS redirection table's entries.
pub(crate) const RETA_ENTRIES: u32 = 4 * 32;

/// Interrupt causes (ICR, IMS, IMC, EIAC).
pub(crate) const INT_TXDW: u32 = 1 << 0;
pub(crate) const INT_LSC: u32 = 1 << 2;
pub(crate) const INT_RXSEQ: u32 = 1 << 3;
pub(crate) const INT_RXDMT0: u32 = 1 << 4;
pub(crate) const INT_RXO: u32 = 1 << 6;
pub(crate) const INT_RXT0: u32 = 1 << 7;
/// The causes the driver handles.
pub(crate) const INT_ENABLED: u32 =
    INT_TXDW | INT_LSC | INT_RXSEQ | INT_RXDMT0 | INT_RXO | INT_RXT0;
/// 82574 with MSI-X: RX queue 0 and 1 (bits 20, 21), TX queue 0 and 1 (22, 23) and
/// "other" (link and the rest) causes.
pub(crate) const INT_RXQ0: u32 = 1 << 20;
pub(crate) const INT_TXQ0: u32 = 1 << 22;
pub(crate) const INT_OTHER: u32 = 1 << 24;
/// The causes of queue pair `queue` (0 or 1; none for another).
pub(crate) const fn int_queue_pair(queue: u32) -> u32 {
    match queue {
        0 => INT_RXQ0 | INT_TXQ0,
        1 => (INT_RXQ0 | INT_TXQ0) << 1,
        _ => 0,
    }
}
/// Every queue cause, cleared and masked by the hardware when its vector is raised.
pub(crate) const INT_QUEUES_MSIX: u32 = int_queue_pair(0) | int_queue_pair(1);
/// The causes the driver handles with MSI-X besides the queues': link and receive
/// overrun, on the "other" vector (the descriptor write-back causes of a single vector
/// are the queues' under MSI-X).
pub(crate) const INT_ADMIN_MSIX: u32 = INT_LSC | INT_RXSEQ | INT_RXO | INT_OTHER;

/// An IVAR entry: the cause raises MSI-X vector `vector` (0 to 7; the 82574 has 5).
pub(crate) fn ivar_entry(vector: u16) -> Bounded<u32, 4> {
    Bounded::from_expr((u32::from(vector) & 0x7) | IVAR_VALID)
}
const IVAR_VALID: u32 = 1 << 3;

/// ITR's unit and largest value.
pub(crate) const ITR_UNIT_NS: u32 = 256;
pub(crate) const ITR_MAX: u16 = u16::MAX;

/// Largest frame accepted without long-packet mode, FCS and a VLAN tag included.
pub(crate) const STANDARD_FRAME_SIZE: u32 = 1522;

/// 01:80:C2:00:00:01, the 802.3x pause address, and its Ether type.
pub(crate) const PAUSE_ADDRESS_LOW: u32 = 0x00c2_8001;
pub(crate) const PAUSE_ADDRESS_HIGH: u16 = 0x0100;
pub(crate) const ETH_P_PAUSE: u16 = 0x8808;
/// The longest pause (in 512-bit times).
pub(crate) const PAUSE_TIME: u16 = 0xffff;

/// VLAN Ether type.
pub(crate) const ETH_P_8021Q: u16 = 0x8100;

/// LED0 modes that force it on and off.
pub(crate) const LED_MODE_ON: u8 = 0xe;
pub(crate) const LED_MODE_OFF: u8 = 0xf;

/// The PHY on the MDI (8254x and 82574 alike, of Marvell's M88 kind) and its registers:
/// control (autonegotiation on and restarted; the reset that commits a change of
/// crossover or forced speed); the advertisements (IEEE 802.3 clauses 22 and 40); the
/// M88's specific control (automatic MDI crossover, CRS asserted on transmit) and
/// extended specific control (the 8254x's TX clock).
pub(crate) const PHY_ADDRESS: u32 = 1;
pub(crate) const PHY_CONTROL: u32 = 0;
pub(crate) const PHY_CONTROL_NEGOTIATE: u16 = 0x1200;
pub(crate) const PHY_CONTROL_RESET: u16 = 0x8000;
pub(crate) const PHY_ADVERTISE: u32 = 4;
pub(crate) const PHY_CTRL1000: u32 = 9;
pub(crate) const PHY_SPECIFIC_CONTROL: u32 = 16;
pub(crate) const PSCR_AUTO_CROSSOVER: u16 = 0x0060;
pub(crate) const PSCR_CRS_ON_TX: u16 = 0x0800;
pub(crate) const PHY_EXT_SPECIFIC_CONTROL: u32 = 20;
pub(crate) const EPSCR_TX_CLK_25: u16 = 0x0070;
/// The 82574's PHY pages the registers above this one, by its page select register.
pub(crate) const PHY_LAST_UNPAGED: u32 = 15;
pub(crate) const PHY_PAGE_SELECT: u32 = 22;

/// The 82574's multi-queue fixes (TARC bits 23-25, all three).
pub(crate) const TARC_MQ_FIX: u32 = 0x7;
