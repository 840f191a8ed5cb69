// SPDX-License-Identifier: GPL-2.0

//! em: Intel 8254x and 82574 gigabit Ethernet on iflib.
//!
//! The hardware logic only: reset, MAC address, ring programming, interrupts, link and
//! receive filters here; the descriptors in `descriptors.rs`, the datapath that writes and
//! reads them in `txrx.rs`; registers in `regs.rs`.

mod descriptors;
mod regs;
mod txrx;

use core::sync::atomic::{
    AtomicBool,
    AtomicU32,
    Ordering, //
};
use descriptors::{
    RxBuffer,
    TxData, //
};
use iflib::{
    Attached,
    Completions,
    Description,
    Driver,
    FlowControl,
    FrameLengthRanges,
    Identify,
    InterruptCause,
    InterruptInterval,
    InterruptRouting,
    LinkModes,
    LinkState,
    MacCounters,
    QueueSetRings,
    Ring,
    RingLayout,
    RingLimits,
    RingSpec,
    RxConfig,
    RxFilter,
    RX_HASH_KEY_LEN, //
};
use kernel::{
    device::Core,
    io::Io,
    net::device::ETH_ALEN,
    pci,
    prelude::*,
    time::{
        delay::fsleep,
        Delta, //
    },
};
use regs::*;

type Bar0<'bound> = pci::Bar<'bound, BAR_SIZE>;

/// The em driver.
pub struct Em;

/// Per-device state.
pub struct Hardware<'bound> {
    bar: Bar0<'bound>,
    /// Held by value: the RX path reads `rx_hash` (extended descriptors) for every frame.
    family: Family,
    /// Shadow of RCTL: QEMU stalls reception for a second after every RCTL write, so the
    /// register is only written when its value changes.
    rctl: AtomicU32,
    /// Interrupts are routed to MSI-X vectors (82574).
    msix: AtomicBool,
    /// With MSI-X, the causes of the queue pairs started.
    queue_causes: AtomicU32,
    /// LEDCTL as it was before `ethtool -p` took the LED over.
    ledctl: AtomicU32,
}

const INTEL: pci::Vendor = pci::Vendor::INTEL;

/// What differs between the controllers em drives.
#[derive(Clone, Copy)]
pub struct Family {
    eeprom: EepromRead,
    /// MSI-X with the 82574's IVAR routing.
    msix: bool,
    /// TCP segmentation over IPv6 too (the C e1000 leaves it off on the 8254x).
    tso_ipv6: bool,
    /// RSS: extended RX descriptors report a Toeplitz hash of each flow (82574).
    rx_hash: bool,
    /// PCI Express: the master disable handshake quiesces DMA before a reset (82574).
    pcie: bool,
    /// TX and RX queue pairs, spread by RSS (82574: 2).
    queues: u32,
    /// Bus address bits: the 82574 (PCIe) takes 64; the C e1000 keeps the 8254x to 32
    /// outside PCI-X, where some hang on 64-bit addresses.
    dma_address_bits: u32,
}

const I8254X: Family = Family {
    eeprom: EERD_8254X,
    msix: false,
    tso_ipv6: false,
    rx_hash: false,
    pcie: false,
    queues: 1,
    dma_address_bits: 32,
};
const I82574: Family = Family {
    eeprom: EERD_82574,
    msix: true,
    tso_ipv6: true,
    rx_hash: true,
    pcie: true,
    queues: QUEUES_82574,
    dma_address_bits: 64,
};

kernel::pci_device_table!(
    PCI_TABLE,
    <Em as Driver>::IdInfo,
    [
        // 82540EM (QEMU "e1000").
        (pci::DeviceId::from_id(INTEL, 0x100e), I8254X),
        // 82544GC copper (QEMU "e1000-82544gc").
        (pci::DeviceId::from_id(INTEL, 0x100c), I8254X),
        // 82545EM copper (QEMU "e1000-82545em").
        (pci::DeviceId::from_id(INTEL, 0x100f), I8254X),
        // 82574L (QEMU "e1000e"), driven with extended RX descriptors and MSI-X.
        (pci::DeviceId::from_id(INTEL, 0x10d3), I82574),
    ]
);

impl Hardware<'_> {
    fn read(&self, offset: usize) -> u32 {
        (&self.bar).try_read32(offset).unwrap_or(0)
    }

    fn write(&self, offset: usize, value: u32) {
        let _ = (&self.bar).try_write32(value, offset);
    }

    /// Resets the controller from attach and detach, with no netdev registered: the RCTL
    /// shadow is set here without `update_rctl`'s care for concurrent writers.
    fn reset(&self) {
        self.write(IMC, u32::MAX);
        self.write(RCTL, 0);
        self.rctl.store(0, Ordering::Relaxed);
        self.write(TCTL, 0);
        self.quiesce_and_reset();
    }

    /// With the receive and transmit units already off, waits for the DMA they may still
    /// have in flight (a descriptor fetch, a write-back, the rest of a frame) and resets
    /// the controller, as the C drivers' down path does: the rings and buffers are freed
    /// next, and a controller that is only disabled may still write to them. The reset
    /// leaves the multicast table undefined: it is cleared here; `start` and the settings
    /// iflib applies after it program the rest. It also clears "set link up":
    /// [`Hardware::set_link_up`] sets it again where the port is to stay up.
    fn quiesce_and_reset(&self) {
        let _ = self.read(STATUS);
        fsleep(Delta::from_millis(10));
        if self.family.pcie {
            // Stop new bus master requests and wait (80 ms at most, as the C driver) for
            // those pending; the reset comes either way.
            self.write(CTRL, self.read(CTRL) | CTRL_GIO_MASTER_DISABLE);
            for _ in 0..800 {
                if self.read(STATUS) & STATUS_GIO_MASTER_ENABLE == 0 {
                    break;
                }
                fsleep(Delta::from_micros(100));
            }
        }
        self.write(CTRL, self.read(CTRL) | CTRL_RST);
        fsleep(Delta::from_millis(10));
        if self.family.pcie {
            // The NVM reloads the controller's defaults after a reset (10 ms at most).
            for _ in 0..10 {
                if self.read(EECD) & EECD_AUTO_RD != 0 {
                    break;
                }
                fsleep(Delta::from_millis(1));
            }
        }
        self.write(IMC, u32::MAX);
        let _ = self.read(ICR);
        self.write(CTRL, self.read(CTRL) & !CTRL_GIO_MASTER_DISABLE);
        for word in 0..MTA_WORDS {
            self.write(MTA + 4 * word, 0);
        }
    }

    /// Lets the MAC bring the link up with the speed the PHY negotiated (attach, and after
    /// each stop's reset: the port stays up while the driver is bound).
    fn set_link_up(&self) {
        self.write(CTRL, self.read(CTRL) | CTRL_SLU | CTRL_ASDE);
    }

    /// Reads one 16-bit EEPROM word through EERD.
    fn eeprom_word(&self, index: u32) -> Result<u16> {
        let layout = self.family.eeprom;
        self.write(EERD, (index << layout.addr_shift) | EERD_START);
        for _ in 0..100 {
            let value = self.read(EERD);
            if value & layout.done != 0 {
                return Ok((value >> EERD_DATA_SHIFT) as u16);
            }
            fsleep(Delta::from_micros(50));
        }
        Err(ETIMEDOUT)
    }

    fn mac_from_eeprom(&self) -> Result<[u8; ETH_ALEN]> {
        let mut mac = [0u8; ETH_ALEN];
        for (i, pair) in mac.chunks_exact_mut(2).enumerate() {
            let word = self.eeprom_word(i as u32)?;
            pair[0] = word as u8;
            pair[1] = (word >> 8) as u8;
        }
        Ok(mac)
    }

    /// Points the hardware at `ring` and empties it (head = tail = 0).
    fn program_ring(&self, regs: RingRegisters, ring: &Ring) -> Result {
        let size = u32::try_from(ring.size_bytes()).map_err(|_| EINVAL)?;
        self.write(regs.base_low, ring.dma_address() as u32);
        self.write(regs.base_high, (ring.dma_address() >> 32) as u32);
        self.write(regs.length, size);
        self.write(regs.head, 0);
        self.write(regs.tail, 0);
        Ok(())
    }

    /// Sets the interrupt throttling interval (units of 256 ns) of every vector.
    fn set_throttle(&self, interval: u32) {
        self.write(ITR, interval);
        if self.family.msix {
            for vector in 0..MSIX_VECTORS_82574 {
                self.write(EITR_82574 + 4 * vector, interval);
            }
        }
    }

    /// Writes RCTL if `update` changes it. set_rx_mode (the address list lock, without RTNL
    /// for some multicast joins) and start/stop (RTNL) update it concurrently: the shadow
    /// changes by compare-and-exchange, so no update is lost, and a writer that finds the
    /// shadow changed after its register write writes again, so the register ends as the
    /// shadow whichever write lands last. A read from the device between the write and the
    /// check makes the write land first (MMIO writes from different CPUs are otherwise
    /// ordered only under a common lock).
    fn update_rctl(&self, update: impl Fn(u32) -> u32) {
        let mut old = self.rctl.load(Ordering::SeqCst);
        loop {
            let new = update(old);
            if new == old {
                return;
            }
            match self
                .rctl
                .compare_exchange(old, new, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => break,
                Err(current) => old = current,
            }
        }
        loop {
            let value = self.rctl.load(Ordering::SeqCst);
            self.write(RCTL, value);
            let _ = self.read(STATUS);
            if self.rctl.load(Ordering::SeqCst) == value {
                return;
            }
        }
    }
}

/// EEPROM words shown by `ethtool -e`.
const EEPROM_WORDS: u32 = 64;

/// What the EEPROM's words add up to, its checksum word included.
const EEPROM_SUM: u16 = 0xbaba;

/// Registers `ethtool -t offline` writes patterns to, with their writable bits: those the
/// datapath is programmed through, both rings' base and length and the VLAN Ether type.
/// (QEMU's 8254x models do not keep the pause frame registers.)
const TESTED_REGISTERS: &[(usize, u32)] = &[
    (RX_RING.base_low, 0xffff_fff0),
    (RX_RING.base_high, u32::MAX),
    (RX_RING.length, 0x000f_ff80),
    (TX_RING.base_low, 0xffff_fff0),
    (TX_RING.base_high, u32::MAX),
    (TX_RING.length, 0x000f_ff80),
    (VET, 0xffff),
];

/// The longest frame the driver lets the MTU make (with long packet reception on).
const MAX_FRAME_SIZE: u32 = 16128;

/// The frame lengths the MAC counts frames by (`PRC64`.. and `PTC64`..): the last bucket
/// holds everything from 1024 bytes up.
const FRAME_LENGTHS: FrameLengthRanges = FrameLengthRanges::new(&[
    (64, 64),
    (65, 127),
    (128, 255),
    (256, 511),
    (512, 1023),
    (1024, MAX_FRAME_SIZE as u16),
]);

/// `ethtool -d`: these registers, in this order (none is clear-on-read).
const DUMPED_REGISTERS: [usize; 16] = [
    CTRL,
    STATUS,
    RCTL,
    TCTL,
    TIPG,
    ITR,
    RX_RING.base_low,
    RX_RING.base_high,
    RX_RING.length,
    RX_RING.head,
    RX_RING.tail,
    TX_RING.base_low,
    TX_RING.base_high,
    TX_RING.length,
    TX_RING.head,
    TX_RING.tail,
];
/// Version of the dump layout above.
const REGISTER_DUMP_VERSION: u32 = 1;

/// The multicast table bit of `addr` (filter type 0: address bits 36-47).
fn multicast_hash(addr: &[u8; ETH_ALEN]) -> u32 {
    ((u32::from(addr[4]) >> 4) | (u32::from(addr[5]) << 4)) & 0xfff
}

/// 80 to 4096 descriptors a ring (the length registers count 128-byte units: a multiple
/// of 8).
const RING_LIMITS: RingLimits = RingLimits {
    min: 80,
    default: 256,
    max: 4096,
    multiple: 8,
};

impl Driver for Em {
    type Hardware<'bound> = Hardware<'bound>;
    type IdInfo = Family;

    const DESCRIPTION: Description = Description {
        name: c"iflib_em",
        // One TX and one RX ring of 16-byte descriptors; the device writes each back with
        // its done bit set.
        rings: RingLayout {
            tx: RingSpec::of::<TxData>(RING_LIMITS),
            rx: RingSpec::of::<RxBuffer>(RING_LIMITS),
            rx_body: None,
            completions: Completions::InPlace,
        },
        rx_buffer_sizes: &[2048, 4096],
        max_frame_size: MAX_FRAME_SIZE,
        // A context descriptor and one data descriptor per segment.
        tx_max_entries_per_packet: 19,
        tx_max_segments: 18,
        // What one data descriptor may carry (8254x and 82574 datasheets).
        tx_max_segment_len: 16288,
        link_modes: LinkModes::BASE_T_10_HALF
            .union(LinkModes::BASE_T_10_FULL)
            .union(LinkModes::BASE_T_100_HALF)
            .union(LinkModes::BASE_T_100_FULL)
            .union(LinkModes::BASE_T_1000_FULL)
            .union(LinkModes::AUTONEG)
            .union(LinkModes::TWISTED_PAIR),
        // At most about 20,000 interrupts per second by default; ITR is 16 bits of 256 ns.
        interrupt_interval: Some(InterruptInterval {
            default_usecs: 50,
            max_usecs: 16_000,
        }),
        // The 64 words QEMU's models and the 82540EM have; the rest of a larger NVM is
        // not shown.
        eeprom_len: 2 * EEPROM_WORDS,
        flow_control: true,
        frame_lengths: &FRAME_LENGTHS,
        self_test: true,
        tx_checksum: true,
        // Context descriptors name offsets (TUCSS, TUCSO, HDRLEN) in 8-bit fields.
        tx_offload_max_offset: u8::MAX as u32,
        tso: true,
        rx_checksum: true,
        vlan_offload: true,
        // The 82574's IVAR routes its causes; the 8254x have no MSI-X and fall back.
        msix: true,
        // The 82574's RETA.
        rx_hash_table_len: RETA_ENTRIES,
    };
    const PCI_IDS: pci::IdTable<Family> = &PCI_TABLE;

    fn attach<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        family: &'bound Family,
    ) -> Result<Attached<Hardware<'bound>>> {
        let bar = pdev.iomap_region_sized::<BAR_SIZE>(0, c"iflib_em")?;
        let hw = Hardware {
            bar,
            family: *family,
            rctl: AtomicU32::new(0),
            msix: AtomicBool::new(false),
            queue_causes: AtomicU32::new(0),
            ledctl: AtomicU32::new(0),
        };
        hw.reset();
        let mac_address = match hw.mac_from_eeprom() {
            Ok(mac) => mac,
            Err(_) => {
                // Fall back to what the reset loaded into receive address 0.
                let low = hw.read(RAL0).to_le_bytes();
                let high = hw.read(RAH0).to_le_bytes();
                [low[0], low[1], low[2], low[3], high[0], high[1]]
            }
        };
        hw.set_link_up();
        Ok(Attached {
            hardware: hw,
            mac_address,
            tso_ipv6: family.tso_ipv6,
            rx_hash: family.rx_hash,
            dma_address_bits: family.dma_address_bits,
            queue_sets: family.queues,
        })
    }

    fn detach(hw: &Hardware<'_>) {
        hw.reset();
    }

    fn start(hw: &Hardware<'_>, sets: &[QueueSetRings<'_>], rx_config: &RxConfig) -> Result {
        if sets.is_empty() || sets.len() > hw.family.queues as usize {
            return Err(EINVAL);
        }
        let mut bsize = match rx_config.buffer_size {
            2048 => RCTL_BSIZE_2048,
            4096 => RCTL_BSIZE_4096,
            _ => return Err(EINVAL),
        };
        if rx_config.max_frame_size > STANDARD_FRAME_SIZE {
            bsize |= RCTL_LPE;
        }
        hw.write(VET, ETH_P_8021Q);
        hw.write(CTRL, hw.read(CTRL) | CTRL_VME);
        for (queue, rings) in sets.iter().enumerate() {
            hw.program_ring(TX_RING.of_queue(queue), rings.tx)?;
        }
        if hw.family.queues > 1 {
            // The 82574's errata bit; with both queues its multi-queue fixes (FreeBSD em
            // and the 82574 programming interface manual, 10.2.6.9), on both queues, with
            // the descriptor fetch settings of queue 0 copied to queue 1 (as e1000e does).
            let mut tarc = hw.read(TARC0) | TARC_ENABLE | TARC_ERRATA;
            if sets.len() > 1 {
                tarc |= TARC_COMPENSATION_MODE | TARC_MQ_FIX;
                hw.write(TARC0 + QUEUE_STRIDE, tarc);
                hw.write(TXDCTL0 + QUEUE_STRIDE, hw.read(TXDCTL0));
            }
            hw.write(TARC0, tarc);
        }
        hw.write(TIDV, 0);
        hw.write(TIPG, TIPG_COPPER);
        hw.write(TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD_FD);

        for (queue, rings) in sets.iter().enumerate() {
            hw.program_ring(RX_RING.of_queue(queue), rings.rx)?;
        }
        hw.write(RDTR, 0);
        // Always verified: iflib ignores the verdict while `ethtool -K rx off`.
        let checksums = RXCSUM_IPOFLD | RXCSUM_TUOFLD;
        if hw.family.rx_hash {
            // Every flow to queue 0 until iflib gives its table (`set_rx_hash_table`), the
            // key after (`set_rx_hash_key`); iflib ignores the hash while `ethtool -K
            // rxhash off`.
            for word in 0..RETA_WORDS {
                hw.write(RETA + 4 * word, 0);
            }
            hw.write(RFCTL, hw.read(RFCTL) | RFCTL_EXTEN);
            hw.write(RXCSUM, checksums | RXCSUM_PCSD);
            hw.write(
                MRQC,
                MRQC_RSS
                    | MRQC_HASH_TCP_IPV4
                    | MRQC_HASH_IPV4
                    | MRQC_HASH_TCP_IPV6
                    | MRQC_HASH_IPV6,
            );
        } else {
            hw.write(RXCSUM, checksums);
        }
        hw.update_rctl(|old| {
            let keep = old & (RCTL_UPE | RCTL_MPE);
            keep | RCTL_EN | RCTL_BAM | RCTL_SECRC | bsize
        });
        Ok(())
    }

    fn stop(hw: &Hardware<'_>) {
        hw.write(IMC, u32::MAX);
        hw.update_rctl(|old| old & !RCTL_EN);
        hw.write(TCTL, 0);
        hw.quiesce_and_reset();
        hw.set_link_up();
    }

    fn route_interrupts(hw: &Hardware<'_>, routing: InterruptRouting) {
        let InterruptRouting::MsiX {
            queue_sets,
            admin_vector,
        } = routing
        else {
            // Undo an earlier MSI-X routing (the operator may turn MSI-X off): one vector
            // again, no auto-clear, no IVAR entries.
            if hw.msix.swap(false, Ordering::Relaxed) {
                hw.write(IVAR, 0);
                hw.write(EIAC_82574, 0);
                let ctrl_ext = hw.read(CTRL_EXT) & !(CTRL_EXT_PBA_CLR | CTRL_EXT_EIAME);
                hw.write(CTRL_EXT, ctrl_ext);
            }
            return;
        };
        if !hw.family.msix {
            return;
        }
        // Queue pair `q` raises vector `q`, the rest the admin vector.
        let entry = |vector: u16| (u32::from(vector) & 0x7) | IVAR_VALID;
        let mut ivar = (entry(admin_vector) << IVAR_OTHER_SHIFT) | IVAR_TX_EVERY_WRITEBACK;
        let mut causes = 0;
        for queue in 0..u32::from(queue_sets).min(QUEUES_82574) {
            let shift = IVAR_QUEUE_SHIFT * queue;
            ivar |= entry(queue as u16) << (IVAR_RXQ0_SHIFT + shift);
            ivar |= entry(queue as u16) << (IVAR_TXQ0_SHIFT + shift);
            causes |= int_queue_pair(queue);
        }
        hw.write(IVAR, ivar);
        hw.queue_causes.store(causes, Ordering::Relaxed);
        hw.write(EIAC_82574, INT_QUEUES_MSIX);
        let ctrl_ext = hw.read(CTRL_EXT) & !CTRL_EXT_IAME;
        hw.write(CTRL_EXT, ctrl_ext | CTRL_EXT_PBA_CLR | CTRL_EXT_EIAME);
        hw.msix.store(true, Ordering::Relaxed);
    }

    fn enable_interrupts(hw: &Hardware<'_>) {
        if hw.msix.load(Ordering::Relaxed) {
            let queues = hw.queue_causes.load(Ordering::Relaxed);
            hw.write(IMS, INT_ADMIN_MSIX | queues);
        } else {
            hw.write(IMS, INT_ENABLED);
        }
    }

    fn enable_queue_interrupts(hw: &Hardware<'_>, set: u32) {
        // Only called with MSI-X routing.
        hw.write(IMS, int_queue_pair(set));
    }

    fn clear_queue_causes(hw: &Hardware<'_>, set: u32) {
        // EIAC clears a queue cause when it raises the vector, but one that comes while
        // auto-masked stays latched; with MSI-X, ICR is write-1-to-clear.
        if hw.msix.load(Ordering::Relaxed) {
            hw.write(ICR, int_queue_pair(set));
        }
    }

    fn disable_interrupts(hw: &Hardware<'_>) {
        hw.write(IMC, u32::MAX);
    }

    fn interrupt_cause(hw: &Hardware<'_>) -> InterruptCause {
        let icr = hw.read(ICR);
        if hw.msix.load(Ordering::Relaxed) && icr != 0 {
            // With MSI-X, reading does not clear ICR: write the causes back to clear them,
            // but for the queue causes latched while their vectors are auto-masked, which
            // raise those vectors again when their polls unmask them.
            hw.write(ICR, icr & !INT_QUEUES_MSIX);
        }
        InterruptCause {
            ours: icr != 0,
            queues: icr & !INT_LSC != 0,
            link: icr & (INT_LSC | INT_RXSEQ) != 0,
        }
    }

    fn link_state(hw: &Hardware<'_>) -> LinkState {
        let status = hw.read(STATUS);
        if status & STATUS_LU == 0 {
            return LinkState::Down;
        }
        let speed_mbps = match (status >> STATUS_SPEED_SHIFT) & STATUS_SPEED_MASK {
            0 => 10,
            1 => 100,
            _ => 1000,
        };
        LinkState::Up {
            speed_mbps,
            full_duplex: status & STATUS_FD != 0,
        }
    }

    fn set_rx_filter(hw: &Hardware<'_>, filter: RxFilter, multicast: &[[u8; ETH_ALEN]]) {
        let mut table = [0u32; MTA_WORDS];
        for addr in multicast {
            let hash = multicast_hash(addr);
            if let Some(word) = table.get_mut((hash >> 5) as usize) {
                *word |= 1 << (hash & 0x1f);
            }
        }
        for (i, word) in table.iter().enumerate() {
            hw.write(MTA + 4 * i, *word);
        }
        hw.update_rctl(|old| {
            let mut new = old & !(RCTL_UPE | RCTL_MPE);
            if filter.promiscuous {
                new |= RCTL_UPE | RCTL_MPE;
            } else if filter.all_multicast {
                new |= RCTL_MPE;
            }
            new
        });
    }

    const REGISTER_DUMP_LEN: usize = DUMPED_REGISTERS.len();

    fn dump_registers(hw: &Hardware<'_>, out: &mut [u32]) -> u32 {
        for (slot, &offset) in out.iter_mut().zip(DUMPED_REGISTERS.iter()) {
            *slot = hw.read(offset);
        }
        REGISTER_DUMP_VERSION
    }

    fn set_interrupt_interval(hw: &Hardware<'_>, usecs: u32) {
        let interval = usecs.saturating_mul(1000) / ITR_UNIT_NS;
        hw.set_throttle(interval.min(ITR_MAX));
    }

    fn read_eeprom(hw: &Hardware<'_>, offset: u32, out: &mut [u8]) -> Result {
        for (i, byte) in out.iter_mut().enumerate() {
            let at = offset + i as u32;
            let word = hw.eeprom_word(at / 2)?;
            *byte = word.to_le_bytes()[(at % 2) as usize];
        }
        Ok(())
    }

    fn set_flow_control(hw: &Hardware<'_>, flow: FlowControl) {
        // XOFF when less than a full frame (or a tenth of the buffer) is left, XON just below.
        let rx_buffer = (hw.read(PBA) & 0xffff) << 10;
        let high = (rx_buffer * 9 / 10).min(rx_buffer.saturating_sub(STANDARD_FRAME_SIZE)) & !7;
        hw.write(FCAL, PAUSE_ADDRESS_LOW);
        hw.write(FCAH, PAUSE_ADDRESS_HIGH);
        hw.write(FCT, ETH_P_PAUSE);
        hw.write(FCTTV, PAUSE_TIME);
        if flow.tx {
            hw.write(FCRTL, high.saturating_sub(8) | FCRTL_XONE);
            hw.write(FCRTH, high);
        } else {
            hw.write(FCRTL, 0);
            hw.write(FCRTH, 0);
        }
        let mut ctrl = hw.read(CTRL) & !(CTRL_RFCE | CTRL_TFCE);
        if flow.rx {
            ctrl |= CTRL_RFCE;
        }
        if flow.tx {
            ctrl |= CTRL_TFCE;
        }
        hw.write(CTRL, ctrl);
    }

    fn set_rx_hash_key(hw: &Hardware<'_>, key: &[u8; RX_HASH_KEY_LEN]) {
        for (word, bytes) in key.chunks_exact(4).enumerate() {
            let value = bytes
                .iter()
                .rev()
                .fold(0u32, |value, byte| (value << 8) | u32::from(*byte));
            hw.write(RSSRK + 4 * word, value);
        }
    }

    fn set_rx_hash_table(hw: &Hardware<'_>, table: &[u32]) {
        let mut entries = table.iter();
        for word in 0..RETA_WORDS {
            let mut value = 0;
            for byte in 0..4 {
                let queue = entries.next().copied().unwrap_or(0) & 1;
                value |= (queue << RETA_QUEUE_SHIFT) << (8 * byte);
            }
            hw.write(RETA + 4 * word, value);
        }
    }

    fn test_registers(hw: &Hardware<'_>) -> Result {
        let mut result = Ok(());
        for &(register, mask) in TESTED_REGISTERS {
            let kept = hw.read(register);
            for pattern in [0x5a5a_5a5a, 0xa5a5_a5a5, 0, u32::MAX] {
                hw.write(register, pattern & mask);
                let read = hw.read(register) & mask;
                if read != pattern & mask {
                    pr_err!(
                        "register test: {register:#06x} read {read:#010x} after {pattern:#010x}\n"
                    );
                    result = Err(EIO);
                }
            }
            hw.write(register, kept);
        }
        result
    }

    fn test_eeprom(hw: &Hardware<'_>) -> Result {
        let mut sum = 0u16;
        for index in 0..EEPROM_WORDS {
            sum = sum.wrapping_add(hw.eeprom_word(index)?);
        }
        if sum == EEPROM_SUM {
            Ok(())
        } else {
            Err(EIO)
        }
    }

    fn set_identify_led(hw: &Hardware<'_>, state: Identify) -> Result {
        let mode = |mode| (hw.ledctl.load(Ordering::Relaxed) & !LEDCTL_LED0) | mode;
        match state {
            Identify::Start => hw.ledctl.store(hw.read(LEDCTL), Ordering::Relaxed),
            Identify::On => hw.write(LEDCTL, mode(LEDCTL_MODE_ON)),
            Identify::Off => hw.write(LEDCTL, mode(LEDCTL_MODE_OFF)),
            Identify::Stop => hw.write(LEDCTL, hw.ledctl.load(Ordering::Relaxed)),
        }
        Ok(())
    }

    fn read_mac_counters(hw: &Hardware<'_>) -> Option<MacCounters> {
        let count = |register| u64::from(hw.read(register));
        // The low half first: reading the high half clears both.
        let count64 = |low| count(low) | (count(low + 4) << 32);
        let mut counters = MacCounters {
            frames_sent: count(GPTC),
            frames_received: count(GPRC),
            octets_sent: count64(GOTCL),
            octets_received: count64(GORCL),
            multicast_sent: count(MPTC),
            multicast_received: count(MPRC),
            broadcast_sent: count(BPTC),
            broadcast_received: count(BPRC),
            fcs_errors: count(CRCERRS),
            alignment_errors: count(ALGNERRC),
            single_collisions: count(SCC),
            multiple_collisions: count(MCC),
            late_collisions: count(LATECOL),
            excessive_collisions: count(ECOL),
            deferred: count(DC),
            undersize: count(RUC),
            oversize: count(ROC),
            fragments: count(RFC),
            jabbers: count(RJC),
            pause_sent: count(XONTXC) + count(XOFFTXC),
            pause_received: count(XONRXC) + count(XOFFRXC),
            ..MacCounters::default()
        };
        let buckets = counters.received_by_length.iter_mut().take(LENGTH_BUCKETS);
        for (register, total) in (PRC64..).step_by(4).zip(buckets) {
            *total = count(register);
        }
        let buckets = counters.sent_by_length.iter_mut().take(LENGTH_BUCKETS);
        for (register, total) in (PTC64..).step_by(4).zip(buckets) {
            *total = count(register);
        }
        Some(counters)
    }

    fn set_mac_address(hw: &Hardware<'_>, mac: &[u8; ETH_ALEN]) {
        let low = u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]);
        let high = u32::from(mac[4]) | (u32::from(mac[5]) << 8) | RAH_AV;
        hw.write(RAL0, low);
        hw.write(RAH0, high);
    }
}

kernel::module_pci_driver! {
    type: iflib::PciDriver<Em>,
    name: "iflib_em",
    authors: ["The iflib developers"],
    description: "Intel(R) PRO/1000 (8254x and 82574) on iflib",
    license: "GPL v2",
}
