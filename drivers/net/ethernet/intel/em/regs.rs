// SPDX-License-Identifier: GPL-2.0

//! Registers of the 8254x (e1000) family: offsets and bit fields.

/// Size of the register BAR (BAR 0).
pub(crate) const BAR_SIZE: usize = 0x20000;

/// Device control.
pub(crate) const CTRL: usize = 0x0000;
/// Auto-speed detection.
pub(crate) const CTRL_ASDE: u32 = 1 << 5;
/// Set link up.
pub(crate) const CTRL_SLU: u32 = 1 << 6;
/// Honour received pause frames, send pause frames.
pub(crate) const CTRL_RFCE: u32 = 1 << 27;
pub(crate) const CTRL_TFCE: u32 = 1 << 28;
/// PCIe: stop issuing new bus master requests (82574); STATUS_GIO_MASTER_ENABLE clears
/// once those in flight are done.
pub(crate) const CTRL_GIO_MASTER_DISABLE: u32 = 1 << 2;
/// Device reset (self-clearing).
pub(crate) const CTRL_RST: u32 = 1 << 26;
/// VLAN mode: strip 802.1Q tags on receive, insert them on transmit when asked.
pub(crate) const CTRL_VME: u32 = 1 << 30;

/// Extended device control: clear the MSI-X pending bits on read, auto-mask the causes
/// of an MSI-X vector when it is raised (EIAME; IAME must stay clear for that).
pub(crate) const CTRL_EXT: usize = 0x0018;
pub(crate) const CTRL_EXT_EIAME: u32 = 1 << 24;
pub(crate) const CTRL_EXT_IAME: u32 = 1 << 27;
pub(crate) const CTRL_EXT_PBA_CLR: u32 = 1 << 31;

/// Flow control: the pause frame's destination address (low, high) and Ether type, the
/// pause time sent, and the RX buffer levels at which XOFF and XON (with XONE) are sent.
pub(crate) const FCAL: usize = 0x0028;
pub(crate) const FCAH: usize = 0x002c;
pub(crate) const FCT: usize = 0x0030;
pub(crate) const FCTTV: usize = 0x0170;
pub(crate) const FCRTL: usize = 0x2160;
pub(crate) const FCRTH: usize = 0x2168;
pub(crate) const FCRTL_XONE: u32 = 1 << 31;
/// 01:80:C2:00:00:01, the 802.3x pause address, and its Ether type.
pub(crate) const PAUSE_ADDRESS_LOW: u32 = 0x00c2_8001;
pub(crate) const PAUSE_ADDRESS_HIGH: u32 = 0x0100;
pub(crate) const ETH_P_PAUSE: u32 = 0x8808;
/// The longest pause (in 512-bit times).
pub(crate) const PAUSE_TIME: u32 = 0xffff;
/// LED control: LED0 (link/activity, the one `ethtool -p` blinks) in the low byte, its
/// mode in bits 3:0; modes that force it on and off.
pub(crate) const LEDCTL: usize = 0x0e00;
pub(crate) const LEDCTL_LED0: u32 = 0xff;
pub(crate) const LEDCTL_MODE_ON: u32 = 0xe;
pub(crate) const LEDCTL_MODE_OFF: u32 = 0xf;

/// Statistics: 32-bit counters that clear on read and stop at their largest value.
/// Receive errors: bad CRC, misaligned.
pub(crate) const CRCERRS: usize = 0x4000;
pub(crate) const ALGNERRC: usize = 0x4004;
/// Transmit collisions: single, excessive, multiple, late; deferred transmissions.
pub(crate) const SCC: usize = 0x4014;
pub(crate) const ECOL: usize = 0x4018;
pub(crate) const MCC: usize = 0x401c;
pub(crate) const LATECOL: usize = 0x4020;
pub(crate) const DC: usize = 0x4030;
/// Pause frames: XON and XOFF received and sent.
pub(crate) const XONRXC: usize = 0x4048;
pub(crate) const XONTXC: usize = 0x404c;
pub(crate) const XOFFRXC: usize = 0x4050;
pub(crate) const XOFFTXC: usize = 0x4054;
/// Frames received by length: 64, 65-127, 128-255, 256-511, 512-1023, 1024 and longer
/// bytes; six consecutive registers.
pub(crate) const PRC64: usize = 0x405c;
/// Good frames received: all, broadcast, multicast; good frames sent.
pub(crate) const GPRC: usize = 0x4074;
pub(crate) const BPRC: usize = 0x4078;
pub(crate) const MPRC: usize = 0x407c;
pub(crate) const GPTC: usize = 0x4080;
/// Good octets received and sent, 64 bits each (low, then high: reading high clears).
pub(crate) const GORCL: usize = 0x4088;
pub(crate) const GOTCL: usize = 0x4090;
/// Received frames: undersized, fragments, oversized, jabbers.
pub(crate) const RUC: usize = 0x40a4;
pub(crate) const RFC: usize = 0x40a8;
pub(crate) const ROC: usize = 0x40ac;
pub(crate) const RJC: usize = 0x40b0;
/// Frames sent by length, as [`PRC64`].
pub(crate) const PTC64: usize = 0x40d8;
/// Good multicast and broadcast frames sent.
pub(crate) const MPTC: usize = 0x40f0;
pub(crate) const BPTC: usize = 0x40f4;
/// How many length buckets [`PRC64`] and [`PTC64`] start.
pub(crate) const LENGTH_BUCKETS: usize = 6;
/// Packet buffer allocation: the RX share in KB in the low 16 bits.
pub(crate) const PBA: usize = 0x1000;

/// VLAN Ether type.
pub(crate) const VET: usize = 0x0038;
pub(crate) const ETH_P_8021Q: u32 = 0x8100;

/// Device status.
pub(crate) const STATUS: usize = 0x0008;
/// Full duplex.
pub(crate) const STATUS_FD: u32 = 1 << 0;
/// Link up.
pub(crate) const STATUS_LU: u32 = 1 << 1;
/// Speed field shift and mask: 0 = 10, 1 = 100, 2 or 3 = 1000 Mb/s.
pub(crate) const STATUS_SPEED_SHIFT: u32 = 6;
pub(crate) const STATUS_SPEED_MASK: u32 = 0x3;
/// PCIe: bus master requests may still be pending (see CTRL_GIO_MASTER_DISABLE).
pub(crate) const STATUS_GIO_MASTER_ENABLE: u32 = 1 << 19;

/// EEPROM control: the NVM's automatic read after a reset is done (82574).
pub(crate) const EECD: usize = 0x0010;
pub(crate) const EECD_AUTO_RD: u32 = 1 << 9;

/// EEPROM read register: start bit, data in the high half; where the word address and the
/// done bit sit depends on the family (see `EepromRead`).
pub(crate) const EERD: usize = 0x0014;
pub(crate) const EERD_START: u32 = 1 << 0;
pub(crate) const EERD_DATA_SHIFT: u32 = 16;

/// The EERD layout of a family.
#[derive(Clone, Copy)]
pub(crate) struct EepromRead {
    pub(crate) addr_shift: u32,
    pub(crate) done: u32,
}

/// 8254x: address from bit 8, done at bit 4.
pub(crate) const EERD_8254X: EepromRead = EepromRead {
    addr_shift: 8,
    done: 1 << 4,
};
/// 82574: address from bit 2, done at bit 1.
pub(crate) const EERD_82574: EepromRead = EepromRead {
    addr_shift: 2,
    done: 1 << 1,
};

/// Interrupt cause read (clears on read).
pub(crate) const ICR: usize = 0x00c0;
/// Interrupt throttling (units of 256 ns between interrupts, 16 bits).
pub(crate) const ITR: usize = 0x00c4;
pub(crate) const ITR_UNIT_NS: u32 = 256;
pub(crate) const ITR_MAX: u32 = 0xffff;
/// Interrupt mask set.
pub(crate) const IMS: usize = 0x00d0;
/// Interrupt mask clear.
pub(crate) const IMC: usize = 0x00d8;

/// Interrupt causes.
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

/// 82574 interrupt vector allocation: a 3-bit vector and a valid bit per cause, for RX
/// queue 0 (bits 0-3) and 1 (4-7), TX queue 0 (8-11) and 1 (12-15) and other causes
/// (16-19); bit 31 asks for a TX interrupt on every write-back.
pub(crate) const IVAR: usize = 0x00e4;
pub(crate) const IVAR_VALID: u32 = 1 << 3;
pub(crate) const IVAR_RXQ0_SHIFT: u32 = 0;
pub(crate) const IVAR_TXQ0_SHIFT: u32 = 8;
/// Queue 1's fields sit 4 bits above queue 0's.
pub(crate) const IVAR_QUEUE_SHIFT: u32 = 4;
pub(crate) const IVAR_OTHER_SHIFT: u32 = 16;
pub(crate) const IVAR_TX_EVERY_WRITEBACK: u32 = 1 << 31;
/// 82574 extended interrupt auto-clear: causes cleared when their vector is raised.
pub(crate) const EIAC_82574: usize = 0x00dc;
/// 82574 per-vector interrupt throttling (as ITR), for MSI-X vectors 0 to 4.
pub(crate) const EITR_82574: usize = 0x00e8;
pub(crate) const MSIX_VECTORS_82574: usize = 5;

/// Receive control.
pub(crate) const RCTL: usize = 0x0100;
pub(crate) const RCTL_EN: u32 = 1 << 1;
/// Unicast promiscuous.
pub(crate) const RCTL_UPE: u32 = 1 << 3;
/// Multicast promiscuous.
pub(crate) const RCTL_MPE: u32 = 1 << 4;
/// Long packets (frames over [`STANDARD_FRAME_SIZE`]).
pub(crate) const RCTL_LPE: u32 = 1 << 5;
/// Largest frame accepted without long-packet mode, FCS and a VLAN tag included.
pub(crate) const STANDARD_FRAME_SIZE: u32 = 1522;
/// Accept broadcast.
pub(crate) const RCTL_BAM: u32 = 1 << 15;
/// Buffer size field (with `RCTL_BSEX` for the large sizes).
pub(crate) const RCTL_BSIZE_2048: u32 = 0;
pub(crate) const RCTL_BSIZE_4096: u32 = (3 << 16) | RCTL_BSEX;
pub(crate) const RCTL_BSEX: u32 = 1 << 25;
/// Strip the Ethernet CRC.
pub(crate) const RCTL_SECRC: u32 = 1 << 26;

/// Transmit control.
pub(crate) const TCTL: usize = 0x0400;
pub(crate) const TCTL_EN: u32 = 1 << 1;
/// Pad short packets.
pub(crate) const TCTL_PSP: u32 = 1 << 3;
/// Collision threshold and distance (full duplex).
pub(crate) const TCTL_CT: u32 = 0x0f << 4;
pub(crate) const TCTL_COLD_FD: u32 = 0x40 << 12;
/// Transmit inter-packet gap.
pub(crate) const TIPG: usize = 0x0410;
pub(crate) const TIPG_COPPER: u32 = 10 | (8 << 10) | (6 << 20);

/// The registers that describe one ring.
#[derive(Clone, Copy)]
pub(crate) struct RingRegisters {
    pub(crate) base_low: usize,
    pub(crate) base_high: usize,
    pub(crate) length: usize,
    pub(crate) head: usize,
    pub(crate) tail: usize,
}

impl RingRegisters {
    /// The same registers of queue `queue` (the 82574's second queue's are 0x100 above).
    pub(crate) const fn of_queue(self, queue: usize) -> Self {
        let offset = QUEUE_STRIDE * queue;
        Self {
            base_low: self.base_low + offset,
            base_high: self.base_high + offset,
            length: self.length + offset,
            head: self.head + offset,
            tail: self.tail + offset,
        }
    }
}

/// The distance between the registers of two queues.
pub(crate) const QUEUE_STRIDE: usize = 0x100;
/// The queues the 82574 has (the 8254x have one).
pub(crate) const QUEUES_82574: u32 = 2;

/// RX ring registers (queue 0).
pub(crate) const RX_RING: RingRegisters = RingRegisters {
    base_low: 0x2800,
    base_high: 0x2804,
    length: 0x2808,
    head: 0x2810,
    tail: RDT,
};
/// RX tail (doorbell).
pub(crate) const RDT: usize = 0x2818;
/// RX interrupt delay.
pub(crate) const RDTR: usize = 0x2820;

/// TX ring registers (queue 0).
pub(crate) const TX_RING: RingRegisters = RingRegisters {
    base_low: 0x3800,
    base_high: 0x3804,
    length: 0x3808,
    head: 0x3810,
    tail: TDT,
};
/// TX tail (doorbell).
pub(crate) const TDT: usize = 0x3818;
/// TX interrupt delay.
pub(crate) const TIDV: usize = 0x3820;
/// 82574 TX descriptor control of queue 0 (queue 1's is [`QUEUE_STRIDE`] above).
pub(crate) const TXDCTL0: usize = 0x3828;
/// 82574 TX arbitration count of queue 0 (queue 1's is [`QUEUE_STRIDE`] above): a queue
/// transmits only with its enable bit set; compensation mode and the multi-queue fixes
/// (bits 23-25) for two queues, and the errata bit, as the 82574's manual asks.
pub(crate) const TARC0: usize = 0x3840;
pub(crate) const TARC_COMPENSATION_MODE: u32 = 1 << 7;
pub(crate) const TARC_ENABLE: u32 = 1 << 10;
pub(crate) const TARC_MQ_FIX: u32 = (1 << 23) | (1 << 24) | (1 << 25);
pub(crate) const TARC_ERRATA: u32 = 1 << 26;

/// Receive checksum control: verify IPv4 header and TCP/UDP checksums.
pub(crate) const RXCSUM: usize = 0x5000;
pub(crate) const RXCSUM_IPOFLD: u32 = 1 << 8;
pub(crate) const RXCSUM_TUOFLD: u32 = 1 << 9;
/// 82574: the packet checksum field of extended RX descriptors carries the RSS hash
/// instead (RSS needs it).
pub(crate) const RXCSUM_PCSD: u32 = 1 << 13;

/// 82574 receive filter control: extended RX descriptors.
pub(crate) const RFCTL: usize = 0x5008;
pub(crate) const RFCTL_EXTEN: u32 = 1 << 15;
/// 82574 multiple receive queues: RSS on (bits 0-1 = 01), with the headers hashed: TCP
/// over IPv4 (ports included), IPv4, TCP over IPv6 (ports included), IPv6.
pub(crate) const MRQC: usize = 0x5818;
pub(crate) const MRQC_RSS: u32 = 1 << 0;
pub(crate) const MRQC_HASH_TCP_IPV4: u32 = 1 << 16;
pub(crate) const MRQC_HASH_IPV4: u32 = 1 << 17;
pub(crate) const MRQC_HASH_TCP_IPV6: u32 = 1 << 18;
pub(crate) const MRQC_HASH_IPV6: u32 = 1 << 20;
/// 82574 RSS redirection table (32 words of four 1-byte entries, entry 0 in the low byte of
/// the first; an entry's bit 7 names the queue: all 0, every flow to queue 0) and the hash
/// key (10 words, key byte 0 in the low byte of the first).
pub(crate) const RETA: usize = 0x5c00;
pub(crate) const RETA_WORDS: usize = 32;
pub(crate) const RETA_ENTRIES: u32 = 4 * RETA_WORDS as u32;
pub(crate) const RETA_QUEUE_SHIFT: u32 = 7;
pub(crate) const RSSRK: usize = 0x5c80;

/// Multicast table: 128 32-bit words.
pub(crate) const MTA: usize = 0x5200;
pub(crate) const MTA_WORDS: usize = 128;
/// Receive address 0, low and high (with the address-valid bit).
pub(crate) const RAL0: usize = 0x5400;
pub(crate) const RAH0: usize = 0x5404;
pub(crate) const RAH_AV: u32 = 1 << 31;
