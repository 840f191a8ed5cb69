// SPDX-License-Identifier: GPL-2.0

//! em: Intel 8254x and 82574 gigabit Ethernet on iflib.
//!
//! The hardware logic only: reset, MAC address, ring programming, interrupts, link and
//! receive filters here; the descriptors in `descriptors.rs`, the datapath that writes and
//! reads them in `txrx.rs`; registers in `regs.rs`.

mod descriptors;
#[path = "../mac_counters.rs"]
mod mac_counters;
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
    self_test,
    Attached,
    ChecksumInsertion,
    Completions,
    Description,
    Driver,
    FlowControl,
    FrameLengthRanges,
    Identify,
    InterruptCause,
    InterruptInterval,
    InterruptRouting,
    LinkConfig,
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
    RX_HASH_KEY_LEN,
    VLAN_TABLE_WORDS, //
};
use kernel::{
    device::Core,
    io::{
        register::{
            Array,
            Register,
            RegisterArray, //
        },
        Io, //
    },
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
    /// The 82574's EEPROM read register layout ([`EERD_82574`]) rather than the 8254x's.
    eeprom_82574: bool,
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
    eeprom_82574: false,
    msix: false,
    tso_ipv6: false,
    rx_hash: false,
    pcie: false,
    queues: 1,
    dma_address_bits: 32,
};
const I82574: Family = Family {
    eeprom_82574: true,
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
    /// Masks every interrupt cause.
    fn mask_interrupts(&self) {
        self.bar.write_reg(IMC::zeroed().with_causes(u32::MAX));
    }

    /// Resets the controller from attach and detach, with no netdev registered: the RCTL
    /// shadow is set here without `update_rctl`'s care for concurrent writers.
    fn reset(&self) {
        self.mask_interrupts();
        self.bar.write_reg(RCTL::zeroed());
        self.rctl.store(0, Ordering::Relaxed);
        self.bar.write_reg(TCTL::zeroed());
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
        let _ = self.bar.read(STATUS);
        fsleep(Delta::from_millis(10));
        if self.family.pcie {
            // Stop new bus master requests and wait (80 ms at most, as the C driver) for
            // those pending; the reset comes either way.
            self.bar
                .update(CTRL, |ctrl| ctrl.with_gio_master_disable(true));
            for _ in 0..800 {
                if !self.bar.read(STATUS).gio_master_enable() {
                    break;
                }
                fsleep(Delta::from_micros(100));
            }
        }
        self.bar.update(CTRL, |ctrl| ctrl.with_reset(true));
        fsleep(Delta::from_millis(10));
        if self.family.pcie {
            // The NVM reloads the controller's defaults after a reset (10 ms at most).
            for _ in 0..10 {
                if self.bar.read(EECD).auto_read_done() {
                    break;
                }
                fsleep(Delta::from_millis(1));
            }
            // The PHY's configuration from the NVM only starts then: 25 ms before the
            // PHY is touched, as the C e1000e waits.
            fsleep(Delta::from_millis(25));
        }
        self.mask_interrupts();
        let _ = self.bar.read(ICR);
        self.bar
            .update(CTRL, |ctrl| ctrl.with_gio_master_disable(false));
        self.write_multicast_table(&[0; MTA_WORDS]);
    }

    /// Lets the MAC bring the link up with the speed the PHY negotiated (attach, and after
    /// each stop's reset: the port stays up while the driver is bound).
    fn set_link_up(&self) {
        self.bar.update(CTRL, |ctrl| {
            ctrl.with_set_link_up(true).with_auto_speed(true)
        });
    }

    /// Writes `data` to the PHY's register `register` through the MDI. The 82574's PHY
    /// pages its registers above 15: page 0 is selected first, as the C e1000e does.
    /// (Manageability firmware, which QEMU does not model, would share the MDI: the C
    /// e1000e takes the MDIO ownership semaphore; em does not.)
    fn write_phy(&self, register: u32, data: u16) -> Result {
        self.select_phy_page(register)?;
        let command = MDIC::zeroed().with_write(true).with_data(data);
        self.mdi(command, register).map(|_| ())
    }

    /// Reads the PHY's register `register` through the MDI.
    fn read_phy(&self, register: u32) -> Result<u16> {
        self.select_phy_page(register)?;
        self.mdi(MDIC::zeroed().with_read(true), register)
    }

    fn select_phy_page(&self, register: u32) -> Result {
        if self.family.pcie && register > PHY_LAST_UNPAGED {
            let command = MDIC::zeroed().with_write(true).with_data(0u16);
            self.mdi(command, PHY_PAGE_SELECT)?;
        }
        Ok(())
    }

    /// Runs an MDI `command` on the PHY's register `register` and returns the data it
    /// leaves; 100 ms at most, as the C drivers wait.
    fn mdi(&self, command: MDIC, register: u32) -> Result<u16> {
        let command = command
            .with_const_phy::<PHY_ADDRESS>()
            .try_with_register(register)?;
        self.bar.write_reg(command);
        for _ in 0..2000 {
            let mdic = self.bar.read(MDIC);
            if mdic.ready() {
                return if mdic.error() || mdic.register() != command.register() {
                    Err(EIO)
                } else {
                    Ok(u16::from(mdic.data()))
                };
            }
            fsleep(Delta::from_micros(50));
        }
        Err(ETIMEDOUT)
    }

    /// Updates the PHY's register `register` with `update`; returns whether it changed.
    fn update_phy(&self, register: u32, update: impl FnOnce(u16) -> u16) -> Result<bool> {
        let value = self.read_phy(register)?;
        let new = update(value);
        if new != value {
            self.write_phy(register, new)?;
        }
        Ok(new != value)
    }

    /// Resets the PHY, which commits a change of its crossover or forced speed; the
    /// 8254x's PHY then needs its 25 MHz TX clock and CRS asserted on transmit again.
    fn commit_phy(&self) -> Result {
        self.update_phy(PHY_CONTROL, |bmcr| bmcr | PHY_CONTROL_RESET)?;
        if !self.family.pcie {
            self.update_phy(PHY_EXT_SPECIFIC_CONTROL, |epscr| epscr | EPSCR_TX_CLK_25)?;
            self.update_phy(PHY_SPECIFIC_CONTROL, |pscr| pscr | PSCR_CRS_ON_TX)?;
        }
        Ok(())
    }

    /// Reads one 16-bit EEPROM word through EERD.
    fn eeprom_word(&self, index: u32) -> Result<u16> {
        let index = u16::try_from(index).map_err(|_| EINVAL)?;
        if self.family.eeprom_82574 {
            let start = EERD_82574::zeroed().with_start(true);
            self.bar.write_reg(start.try_with_address(index)?);
        } else {
            let start = EERD::zeroed().with_start(true);
            self.bar.write_reg(start.try_with_address(index)?);
        }
        for _ in 0..100 {
            if self.family.eeprom_82574 {
                let read = self.bar.read(EERD_82574);
                if read.done() {
                    return Ok(u16::from(read.data()));
                }
            } else {
                let read = self.bar.read(EERD);
                if read.done() {
                    return Ok(u16::from(read.data()));
                }
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

    /// Points the hardware at the TX ring of `queue` and empties it (head = tail = 0).
    fn program_tx_ring(&self, queue: usize, ring: &Ring) -> Result {
        let bytes = u32::try_from(ring.size_bytes()).map_err(|_| EINVAL)?;
        let address = ring.dma_address();
        self.bar.write(
            TDBAL::try_at(queue).ok_or(EINVAL)?,
            TDBAL::zeroed().with_address(address as u32),
        );
        self.bar.write(
            TDBAH::try_at(queue).ok_or(EINVAL)?,
            TDBAH::zeroed().with_address((address >> 32) as u32),
        );
        self.bar.write(
            TDLEN::try_at(queue).ok_or(EINVAL)?,
            TDLEN::zeroed().try_with_bytes(bytes)?,
        );
        self.bar
            .write(TDH::try_at(queue).ok_or(EINVAL)?, TDH::zeroed());
        self.bar
            .write(TDT::try_at(queue).ok_or(EINVAL)?, TDT::zeroed());
        Ok(())
    }

    /// Points the hardware at the RX ring of `queue` and empties it (head = tail = 0).
    fn program_rx_ring(&self, queue: usize, ring: &Ring) -> Result {
        let bytes = u32::try_from(ring.size_bytes()).map_err(|_| EINVAL)?;
        let address = ring.dma_address();
        self.bar.write(
            RDBAL::try_at(queue).ok_or(EINVAL)?,
            RDBAL::zeroed().with_address(address as u32),
        );
        self.bar.write(
            RDBAH::try_at(queue).ok_or(EINVAL)?,
            RDBAH::zeroed().with_address((address >> 32) as u32),
        );
        self.bar.write(
            RDLEN::try_at(queue).ok_or(EINVAL)?,
            RDLEN::zeroed().try_with_bytes(bytes)?,
        );
        self.bar
            .write(RDH::try_at(queue).ok_or(EINVAL)?, RDH::zeroed());
        self.bar
            .write(RDT::try_at(queue).ok_or(EINVAL)?, RDT::zeroed());
        Ok(())
    }

    /// Sets the interrupt throttling interval (units of 256 ns) of every vector.
    fn set_throttle(&self, interval: u16) {
        self.bar.write_reg(ITR::zeroed().with_interval(interval));
        if self.family.msix {
            for vector in 0..MSIX_VECTORS_82574 {
                if let Some(at) = EITR_82574::try_at(vector) {
                    self.bar
                        .write(at, EITR_82574::zeroed().with_interval(interval));
                }
            }
        }
    }

    /// Writes the multicast table, last word first: on the 82544 a write to an odd word
    /// also lands in the even word before it, which the next write then corrects.
    fn write_multicast_table(&self, table: &[u32; MTA_WORDS]) {
        for (i, bits) in table.iter().enumerate().rev() {
            if let Some(at) = MTA::try_at(i) {
                self.bar.write(at, MTA::zeroed().with_bits(*bits));
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
    fn update_rctl(&self, update: impl Fn(RCTL) -> RCTL) {
        let mut old = self.rctl.load(Ordering::SeqCst);
        loop {
            let new = u32::from(update(RCTL::from(old)));
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
            self.bar.write_reg(RCTL::from(value));
            let _ = self.bar.read(STATUS);
            if self.rctl.load(Ordering::SeqCst) == value {
                return;
            }
        }
    }

    /// Reads MAC counter `index` ([`mac_counters::stat`]).
    fn mac_counter(&self, index: usize) -> u64 {
        STATS::try_at(index).map_or(0, |at| u64::from(self.bar.read(at).count().get()))
    }
}

/// Multicast table words, RSS redirection table words, the 82574's MSI-X vectors: the
/// lengths of their register arrays.
const MTA_WORDS: usize = <MTA as RegisterArray>::SIZE;
const RETA_WORDS: usize = <RETA as RegisterArray>::SIZE;
const MSIX_VECTORS_82574: usize = <EITR_82574 as RegisterArray>::SIZE;

/// EEPROM words shown by `ethtool -e`.
const EEPROM_WORDS: u32 = 64;

/// What the EEPROM's words add up to, its checksum word included.
const EEPROM_SUM: u16 = 0xbaba;

/// Registers `ethtool -t offline` writes patterns to, with their writable bits: those the
/// datapath is programmed through, both rings' base and length and the VLAN Ether type.
/// (QEMU's 8254x models do not keep the pause frame registers.)
const TESTED_REGISTERS: &[(usize, u32)] = &[
    (RDBAL::OFFSET, 0xffff_fff0),
    (RDBAH::OFFSET, u32::MAX),
    (RDLEN::OFFSET, 0x000f_ff80),
    (TDBAL::OFFSET, 0xffff_fff0),
    (TDBAH::OFFSET, u32::MAX),
    (TDLEN::OFFSET, 0x000f_ff80),
    (VET::OFFSET, 0xffff),
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

/// `ethtool -d`: these registers (queue 0's rings), in this order (none is clear-on-read).
/// The dump and the register test walk these tables by offset, checked when read.
const DUMPED_REGISTERS: [usize; 16] = [
    CTRL::OFFSET,
    STATUS::OFFSET,
    RCTL::OFFSET,
    TCTL::OFFSET,
    TIPG::OFFSET,
    ITR::OFFSET,
    RDBAL::OFFSET,
    RDBAH::OFFSET,
    RDLEN::OFFSET,
    RDH::OFFSET,
    RDT::OFFSET,
    TDBAL::OFFSET,
    TDBAH::OFFSET,
    TDLEN::OFFSET,
    TDH::OFFSET,
    TDT::OFFSET,
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
        // The context names where the checksum goes (TUCSO), but QEMU's e1000e model
        // inserts TCP's and UDP's only (it finds the headers itself): any other the stack
        // computes, a rare packet's cost.
        tx_checksum: ChecksumInsertion::TcpUdp,
        // Context descriptors name offsets (TUCSS, TUCSO, HDRLEN) in 8-bit fields.
        tx_offload_max_offset: u8::MAX as u32,
        tso: true,
        rx_checksum: true,
        vlan_offload: true,
        vlan_filter: true,
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
                let low = hw.bar.read(RAL0).address().get().to_le_bytes();
                let high = hw.bar.read(RAH0).address().get().to_le_bytes();
                [low[0], low[1], low[2], low[3], high[0], high[1]]
            }
        };
        hw.set_link_up();
        Ok(Attached {
            hardware: hw,
            mac_address,
            tso_ipv6: family.tso_ipv6,
            rx_hash: family.rx_hash,
            rx_hash_ports_choice: false,
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
        let sized = match rx_config.buffer_size {
            2048 => RCTL::zeroed(),
            4096 => RCTL::zeroed()
                .with_const_buffer_size::<3>()
                .with_buffer_size_extension(true),
            _ => return Err(EINVAL),
        };
        let sized = sized.with_long_packets(rx_config.max_frame_size > STANDARD_FRAME_SIZE);
        hw.bar.write_reg(VET::zeroed().with_ether_type(ETH_P_8021Q));
        hw.bar.update(CTRL, |ctrl| ctrl.with_vlan_mode(true));
        for (queue, rings) in sets.iter().enumerate() {
            hw.program_tx_ring(queue, rings.tx)?;
        }
        if hw.family.queues > 1 {
            // The 82574's errata bit; with both queues its multi-queue fixes (FreeBSD em
            // and the 82574 programming interface manual, 10.2.6.9), on both queues, with
            // the descriptor fetch settings of queue 0 copied to queue 1 (as e1000e does).
            let mut tarc = hw.bar.read(TARC::at(0)).with_enable(true).with_errata(true);
            if sets.len() > 1 {
                tarc = tarc
                    .with_compensation_mode(true)
                    .with_const_multi_queue_fix::<TARC_MQ_FIX>();
                hw.bar.write(TARC::at(1), tarc);
                hw.bar.write(TXDCTL::at(1), hw.bar.read(TXDCTL::at(0)));
            }
            hw.bar.write(TARC::at(0), tarc);
        }
        hw.bar.write_reg(TIDV::zeroed());
        hw.bar.write_reg(
            TIPG::zeroed()
                .with_const_ipgt::<10>()
                .with_const_ipgr1::<8>()
                .with_const_ipgr2::<6>(),
        );
        hw.bar.write_reg(
            TCTL::zeroed()
                .with_enable(true)
                .with_pad_short(true)
                .with_const_collision_threshold::<0x0f>()
                .with_const_collision_distance::<0x40>(),
        );

        for (queue, rings) in sets.iter().enumerate() {
            hw.program_rx_ring(queue, rings.rx)?;
        }
        hw.bar.write_reg(RDTR::zeroed());
        // Always verified: iflib ignores the verdict while `ethtool -K rx off`.
        let checksums = RXCSUM::zeroed().with_ip(true).with_l4(true);
        if hw.family.rx_hash {
            // Every flow to queue 0 until iflib gives its table (`set_rx_hash_table`), the
            // key after (`set_rx_hash_key`); iflib ignores the hash while `ethtool -K
            // rxhash off`.
            for word in 0..RETA_WORDS {
                if let Some(at) = RETA::try_at(word) {
                    hw.bar.write(at, RETA::zeroed());
                }
            }
            hw.bar
                .update(RFCTL, |rfctl| rfctl.with_extended_descriptors(true));
            hw.bar
                .write_reg(checksums.with_packet_checksum_disable(true));
            hw.bar.write_reg(
                MRQC::zeroed()
                    .with_const_mode::<1>()
                    .with_hash_tcp_ipv4(true)
                    .with_hash_ipv4(true)
                    .with_hash_tcp_ipv6(true)
                    .with_hash_ipv6(true),
            );
        } else {
            hw.bar.write_reg(checksums);
        }
        hw.update_rctl(|old| {
            sized
                .with_unicast_promiscuous(old.unicast_promiscuous())
                .with_multicast_promiscuous(old.multicast_promiscuous())
                .with_enable(true)
                .with_accept_broadcast(true)
                .with_strip_crc(true)
        });
        Ok(())
    }

    fn stop(hw: &Hardware<'_>) {
        hw.mask_interrupts();
        hw.update_rctl(|old| old.with_enable(false));
        hw.bar.write_reg(TCTL::zeroed());
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
                hw.bar.write_reg(IVAR::zeroed());
                hw.bar.write_reg(EIAC_82574::zeroed());
                hw.bar
                    .update(CTRL_EXT, |ext| ext.with_pba_clear(false).with_eiame(false));
            }
            return;
        };
        if !hw.family.msix {
            return;
        }
        // Queue pair `q` raises vector `q`, the rest the admin vector.
        let mut ivar = IVAR::zeroed()
            .with_other(ivar_entry(admin_vector))
            .with_tx_every_writeback(true);
        let mut causes = 0;
        for queue in 0..u32::from(queue_sets).min(QUEUES_82574) {
            let entry = ivar_entry(queue as u16);
            ivar = match queue {
                0 => ivar.with_rx_queue0(entry).with_tx_queue0(entry),
                _ => ivar.with_rx_queue1(entry).with_tx_queue1(entry),
            };
            causes |= int_queue_pair(queue);
        }
        hw.bar.write_reg(ivar);
        hw.queue_causes.store(causes, Ordering::Relaxed);
        hw.bar
            .write_reg(EIAC_82574::zeroed().with_causes(INT_QUEUES_MSIX));
        hw.bar.update(CTRL_EXT, |ext| {
            ext.with_iame(false).with_pba_clear(true).with_eiame(true)
        });
        hw.msix.store(true, Ordering::Relaxed);
    }

    fn enable_interrupts(hw: &Hardware<'_>) {
        if hw.msix.load(Ordering::Relaxed) {
            let queues = hw.queue_causes.load(Ordering::Relaxed);
            hw.bar
                .write_reg(IMS::zeroed().with_causes(INT_ADMIN_MSIX | queues));
        } else {
            hw.bar.write_reg(IMS::zeroed().with_causes(INT_ENABLED));
        }
    }

    fn enable_queue_interrupts(hw: &Hardware<'_>, set: u32) {
        // Only called with MSI-X routing.
        hw.bar
            .write_reg(IMS::zeroed().with_causes(int_queue_pair(set)));
    }

    fn clear_queue_causes(hw: &Hardware<'_>, set: u32) {
        // EIAC clears a queue cause when it raises the vector, but one that comes while
        // auto-masked stays latched; with MSI-X, ICR is write-1-to-clear.
        if hw.msix.load(Ordering::Relaxed) {
            hw.bar
                .write_reg(ICR::zeroed().with_causes(int_queue_pair(set)));
        }
    }

    fn disable_interrupts(hw: &Hardware<'_>) {
        hw.mask_interrupts();
    }

    fn interrupt_cause(hw: &Hardware<'_>) -> InterruptCause {
        let icr = hw.bar.read(ICR).causes().get();
        if hw.msix.load(Ordering::Relaxed) && icr != 0 {
            // With MSI-X, reading does not clear ICR: write the causes back to clear them,
            // but for the queue causes latched while their vectors are auto-masked, which
            // raise those vectors again when their polls unmask them.
            hw.bar
                .write_reg(ICR::zeroed().with_causes(icr & !INT_QUEUES_MSIX));
        }
        InterruptCause {
            ours: icr != 0,
            queues: icr & !INT_LSC != 0,
            link: icr & (INT_LSC | INT_RXSEQ) != 0,
        }
    }

    fn link_state(hw: &Hardware<'_>) -> LinkState {
        let status = hw.bar.read(STATUS);
        if !status.link_up() {
            return LinkState::Down;
        }
        let speed_mbps = match status.speed().get() {
            0 => 10,
            1 => 100,
            _ => 1000,
        };
        LinkState::Up {
            speed_mbps,
            full_duplex: status.full_duplex(),
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
        hw.write_multicast_table(&table);
        hw.update_rctl(|old| {
            old.with_unicast_promiscuous(filter.promiscuous)
                .with_multicast_promiscuous(filter.promiscuous || filter.all_multicast)
                .with_vlan_filter(filter.vlan_filter)
        });
    }

    fn set_vlan_table(hw: &Hardware<'_>, table: &[u32; VLAN_TABLE_WORDS]) {
        // Last word first, for the 82544 (see `write_multicast_table`).
        for (i, bits) in table.iter().enumerate().rev() {
            if let Some(at) = VFTA::try_at(i) {
                hw.bar.write(at, VFTA::zeroed().with_bits(*bits));
            }
        }
    }

    const REGISTER_DUMP_LEN: usize = DUMPED_REGISTERS.len();

    fn dump_registers(hw: &Hardware<'_>, out: &mut [u32]) -> u32 {
        for (slot, &offset) in out.iter_mut().zip(DUMPED_REGISTERS.iter()) {
            *slot = (&hw.bar).try_read32(offset).unwrap_or(0);
        }
        REGISTER_DUMP_VERSION
    }

    fn set_interrupt_interval(hw: &Hardware<'_>, usecs: u32) {
        let interval = usecs.saturating_mul(1000) / ITR_UNIT_NS;
        hw.set_throttle(u16::try_from(interval).unwrap_or(ITR_MAX));
    }

    fn read_eeprom(hw: &Hardware<'_>, offset: u32, out: &mut [u8]) -> Result {
        self_test::nvm_bytes(offset, out, |index| hw.eeprom_word(index))
    }

    /// As the C e1000 and e1000e do for their M88-type PHYs: negotiation with automatic
    /// crossover; a forced speed with the MDI fixed (the PHY requires it). A change of
    /// either takes a PHY reset to hold.
    fn configure_link(hw: &Hardware<'_>, link: LinkConfig) -> Result {
        match link {
            LinkConfig::Negotiate(speeds) => {
                hw.bar.update(CTRL, |ctrl| {
                    ctrl.with_force_speed(false)
                        .with_force_duplex(false)
                        .with_auto_speed(true)
                });
                if hw.update_phy(PHY_SPECIFIC_CONTROL, |pscr| pscr | PSCR_AUTO_CROSSOVER)? {
                    hw.commit_phy()?;
                }
                hw.update_phy(PHY_ADVERTISE, |adv| speeds.with_mii_advertise(adv))?;
                hw.update_phy(PHY_CTRL1000, |ctrl| speeds.with_mii_ctrl1000(ctrl))?;
                hw.update_phy(PHY_CONTROL, |bmcr| bmcr | PHY_CONTROL_NEGOTIATE)
                    .map(|_| ())
            }
            LinkConfig::Force(mode) => {
                hw.update_phy(PHY_SPECIFIC_CONTROL, |pscr| pscr & !PSCR_AUTO_CROSSOVER)?;
                hw.bar.update(CTRL, |ctrl| {
                    let ctrl = ctrl
                        .with_auto_speed(false)
                        .with_force_speed(true)
                        .with_force_duplex(true)
                        .with_full_duplex(mode.is_full_duplex());
                    if mode.is_100() {
                        ctrl.with_const_speed::<1>()
                    } else {
                        ctrl.with_const_speed::<0>()
                    }
                });
                hw.update_phy(PHY_CONTROL, |bmcr| mode.with_mii_forced_control(bmcr))?;
                hw.commit_phy()
            }
        }
    }

    fn set_flow_control(hw: &Hardware<'_>, flow: FlowControl) {
        // XOFF when less than a full frame (or a tenth of the buffer) is left, XON just below.
        let rx_buffer = u32::from(u16::from(hw.bar.read(PBA).rx_kb())) << 10;
        let high = (rx_buffer * 9 / 10).min(rx_buffer.saturating_sub(STANDARD_FRAME_SIZE)) & !7;
        // The thresholds are 16 bits wide (the 64 KB the 82574's buffer has at most).
        let high = u16::try_from(high).unwrap_or(0xfff8);
        hw.bar
            .write_reg(FCAL::zeroed().with_address_low(PAUSE_ADDRESS_LOW));
        hw.bar
            .write_reg(FCAH::zeroed().with_address_high(PAUSE_ADDRESS_HIGH));
        hw.bar.write_reg(FCT::zeroed().with_ether_type(ETH_P_PAUSE));
        hw.bar
            .write_reg(FCTTV::zeroed().with_pause_time(PAUSE_TIME));
        if flow.tx {
            hw.bar.write_reg(
                FCRTL::zeroed()
                    .with_threshold(high.saturating_sub(8))
                    .with_xon_enable(true),
            );
            hw.bar.write_reg(FCRTH::zeroed().with_threshold(high));
        } else {
            hw.bar.write_reg(FCRTL::zeroed());
            hw.bar.write_reg(FCRTH::zeroed());
        }
        hw.bar.update(CTRL, |ctrl| {
            ctrl.with_rx_pause(flow.rx).with_tx_pause(flow.tx)
        });
    }

    fn set_rx_hash_key(hw: &Hardware<'_>, key: &[u8; RX_HASH_KEY_LEN]) {
        for (word, bytes) in key.chunks_exact(4).enumerate() {
            let value = bytes
                .iter()
                .rev()
                .fold(0u32, |value, byte| (value << 8) | u32::from(*byte));
            if let Some(at) = RSSRK::try_at(word) {
                hw.bar.write(at, RSSRK::zeroed().with_bytes(value));
            }
        }
    }

    fn set_rx_hash_table(hw: &Hardware<'_>, table: &[u32]) {
        let mut entries = table.iter();
        // Queue 1 where an entry names it, queue 0 for the rest.
        let mut next_names_queue1 = || entries.next().is_some_and(|queue| *queue & 1 != 0);
        for word in 0..RETA_WORDS {
            let value = RETA::zeroed()
                .with_entry0_queue1(next_names_queue1())
                .with_entry1_queue1(next_names_queue1())
                .with_entry2_queue1(next_names_queue1())
                .with_entry3_queue1(next_names_queue1());
            if let Some(at) = RETA::try_at(word) {
                hw.bar.write(at, value);
            }
        }
    }

    fn test_registers(hw: &Hardware<'_>) -> Result {
        self_test::test_registers(
            TESTED_REGISTERS,
            |register| hw.bar.try_read32(register),
            |register, value| hw.bar.try_write32(value, register),
        )
    }

    fn test_eeprom(hw: &Hardware<'_>) -> Result {
        let sum = self_test::nvm_word_sum(EEPROM_WORDS, |index| hw.eeprom_word(index))?;
        if sum == EEPROM_SUM {
            Ok(())
        } else {
            Err(EIO)
        }
    }

    fn set_identify_led(hw: &Hardware<'_>, state: Identify) -> Result {
        let saved = || LEDCTL::from(hw.ledctl.load(Ordering::Relaxed));
        match state {
            Identify::Start => hw
                .ledctl
                .store(hw.bar.read(LEDCTL).into_raw(), Ordering::Relaxed),
            Identify::On => hw.bar.write_reg(saved().with_led0(LED_MODE_ON)),
            Identify::Off => hw.bar.write_reg(saved().with_led0(LED_MODE_OFF)),
            Identify::Stop => hw.bar.write_reg(saved()),
        }
        Ok(())
    }

    fn read_mac_counters(hw: &Hardware<'_>) -> Option<MacCounters> {
        Some(mac_counters::read(|index| hw.mac_counter(index)))
    }

    fn set_mac_address(hw: &Hardware<'_>, mac: &[u8; ETH_ALEN]) {
        let low = u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]);
        let high = u16::from_le_bytes([mac[4], mac[5]]);
        hw.bar.write_reg(RAL0::zeroed().with_address(low));
        hw.bar
            .write_reg(RAH0::zeroed().with_address(high).with_address_valid(true));
    }
}

kernel::module_pci_driver! {
    type: iflib::PciDriver<Em>,
    name: "iflib_em",
    authors: ["The iflib developers"],
    description: "Intel(R) PRO/1000 (8254x and 82574) on iflib",
    license: "GPL v2",
}
