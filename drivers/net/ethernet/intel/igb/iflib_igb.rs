// SPDX-License-Identifier: GPL-2.0

//! igb: Intel 82576 gigabit Ethernet on iflib.
//!
//! The hardware logic only: reset, MAC address, PHY link, ring programming, MSI-X routing,
//! RSS and receive filters here; the descriptors in `descriptors.rs`, the datapath that
//! writes and reads them in `txrx.rs`; registers in `regs.rs`.

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
    RxHashPorts,
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

/// The igb driver.
pub struct Igb;

/// Per-device state.
pub struct Hardware<'bound> {
    bar: Bar0<'bound>,
    /// Shadow of RCTL, written only when its value changes (see `update_rctl`).
    rctl: AtomicU32,
    /// Interrupts are routed to MSI-X vectors.
    msix: AtomicBool,
    /// With MSI-X, the vector of the other causes (link).
    admin_vector: AtomicU32,
    /// LEDCTL as `ethtool -p` found it, put back when it ends.
    ledctl: AtomicU32,
}

kernel::pci_device_table!(
    PCI_TABLE,
    <Igb as Driver>::IdInfo,
    [
        // 82576 (QEMU "igb").
        (pci::DeviceId::from_id(pci::Vendor::INTEL, 0x10c9), ()),
    ]
);

impl Hardware<'_> {
    /// Masks every interrupt cause, legacy and extended.
    fn mask_interrupts(&self) {
        self.bar.write_reg(IMC::zeroed().with_causes(u32::MAX));
        self.bar.write_reg(EIMC::zeroed().with_vectors(u32::MAX));
    }

    /// Resets the controller from attach and detach, with no netdev registered.
    fn reset(&self) {
        self.mask_interrupts();
        self.bar.write_reg(RCTL::zeroed());
        self.rctl.store(0, Ordering::Relaxed);
        self.bar.write_reg(TCTL::zeroed().with_pad_short(true));
        self.quiesce_and_reset();
    }

    /// With the receive and transmit units off, waits for the DMA they may have in flight
    /// and resets the controller (see em's `quiesce_and_reset`). After it the link is down
    /// until [`Hardware::restart_link`]; the multicast table is cleared here.
    fn quiesce_and_reset(&self) {
        let _ = self.bar.read(STATUS);
        fsleep(Delta::from_millis(10));
        self.bar
            .update(CTRL, |ctrl| ctrl.with_gio_master_disable(true));
        for _ in 0..800 {
            if !self.bar.read(STATUS).gio_master_enable() {
                break;
            }
            fsleep(Delta::from_micros(100));
        }
        self.bar.update(CTRL, |ctrl| ctrl.with_reset(true));
        fsleep(Delta::from_millis(10));
        // The NVM reloads the defaults (QEMU's model never says it is done: not waited for
        // longer than silicon takes).
        for _ in 0..10 {
            if self.bar.read(EECD).auto_read_done() {
                break;
            }
            fsleep(Delta::from_millis(1));
        }
        self.mask_interrupts();
        let _ = self.bar.read(ICR);
        let _ = self.bar.read(EICR);
        self.msix.store(false, Ordering::Relaxed);
        self.write_multicast_table(&[0; MTA_WORDS]);
    }

    /// Lets the MAC follow the PHY and restarts autonegotiation (attach, and after each
    /// stop's reset: the port stays up while the driver is bound). QEMU's model raises the
    /// link (and LSC) about half a second later, and only after this write.
    fn restart_link(&self) {
        self.bar.update(CTRL, |ctrl| {
            ctrl.with_set_link_up(true)
                .with_force_speed(false)
                .with_force_duplex(false)
        });
        if let Err(e) = self.write_phy(PHY_CONTROL, PHY_CONTROL_AUTONEG_RESTART) {
            pr_warn!("iflib_igb: the PHY did not take the autonegotiation restart ({e:?})\n");
        }
    }

    /// Writes `data` to the PHY's register `register` through the MDI. The IGP PHY
    /// pages its registers above 15: the register is selected first, as the C igb does.
    /// (Manageability firmware, which QEMU does not model, would share the MDI: the C igb
    /// takes the SW_FW_SYNC semaphore; iflib_igb does not.)
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
        if register > PHY_LAST_UNPAGED {
            let page = u16::try_from(register).map_err(|_| EINVAL)?;
            let command = MDIC::zeroed().with_write(true).with_data(page);
            self.mdi(command, PHY_PAGE_SELECT)?;
        }
        Ok(())
    }

    /// Runs an MDI `command` on the PHY's register `register` and returns the data it
    /// leaves; 100 ms at most, as the C igb waits.
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

    /// Updates the PHY's register `register` with `update`.
    fn update_phy(&self, register: u32, update: impl FnOnce(u16) -> u16) -> Result {
        let value = self.read_phy(register)?;
        self.write_phy(register, update(value))
    }

    /// Reads one 16-bit EEPROM word through EERD.
    fn eeprom_word(&self, index: u32) -> Result<u16> {
        let index = u16::try_from(index).map_err(|_| EINVAL)?;
        self.bar
            .write_reg(EERD::zeroed().with_start(true).try_with_address(index)?);
        for _ in 0..100 {
            let read = self.bar.read(EERD);
            if read.done() {
                return Ok(u16::from(read.data()));
            }
            fsleep(Delta::from_micros(50));
        }
        Err(ETIMEDOUT)
    }

    /// The permanent MAC address: receive address 0 as the reset loaded it from the NVM
    /// (each port of a dual-port 82576 gets its own there), else EEPROM words 0 to 2.
    fn mac_address(&self) -> Result<[u8; ETH_ALEN]> {
        let rah = self.bar.read(RAH0);
        let low = self.bar.read(RAL0).address().get().to_le_bytes();
        let high = rah.address().get().to_le_bytes();
        let mac = [low[0], low[1], low[2], low[3], high[0], high[1]];
        if rah.address_valid() && is_unicast(&mac) {
            return Ok(mac);
        }
        let mut mac = [0u8; ETH_ALEN];
        for (i, pair) in mac.chunks_exact_mut(2).enumerate() {
            pair.copy_from_slice(&self.eeprom_word(i as u32)?.to_le_bytes());
        }
        if is_unicast(&mac) {
            Ok(mac)
        } else {
            Err(EINVAL)
        }
    }

    /// Points the hardware at the TX ring of `queue`, empties it and enables the queue.
    fn program_tx_ring(&self, queue: usize, ring: &Ring) -> Result {
        let bytes = u32::try_from(ring.size_bytes()).map_err(|_| EINVAL)?;
        let address = ring.dma_address();
        self.bar
            .write(TXDCTL::try_at(queue).ok_or(EINVAL)?, TXDCTL::zeroed());
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
            .write(TDWBAL::try_at(queue).ok_or(EINVAL)?, TDWBAL::zeroed());
        self.bar
            .write(TDH::try_at(queue).ok_or(EINVAL)?, TDH::zeroed());
        self.bar
            .write(TDT::try_at(queue).ok_or(EINVAL)?, TDT::zeroed());
        // The C igb's thresholds for the 82576 with MSI-X.
        self.bar.write(
            TXDCTL::try_at(queue).ok_or(EINVAL)?,
            TXDCTL::zeroed()
                .with_const_prefetch_threshold::<8>()
                .with_const_host_threshold::<1>()
                .with_const_write_back_threshold::<1>()
                .with_enable(true),
        );
        Ok(())
    }

    /// Points the hardware at the RX ring of `queue` with buffers of `buffer_kb` KiB,
    /// empties it and enables the queue.
    fn program_rx_ring(&self, queue: usize, ring: &Ring, buffer_kb: u32) -> Result {
        let bytes = u32::try_from(ring.size_bytes()).map_err(|_| EINVAL)?;
        let address = ring.dma_address();
        self.bar
            .write(RXDCTL::try_at(queue).ok_or(EINVAL)?, RXDCTL::zeroed());
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
        // Advanced one-buffer descriptors; with several queues, a full one drops rather
        // than hold the others back.
        self.bar.write(
            SRRCTL::try_at(queue).ok_or(EINVAL)?,
            SRRCTL::zeroed()
                .with_const_descriptor_type::<1>()
                .try_with_buffer_kb(buffer_kb)?
                .with_drop_enable(true),
        );
        self.bar.write(
            RXDCTL::try_at(queue).ok_or(EINVAL)?,
            RXDCTL::zeroed()
                .with_const_prefetch_threshold::<8>()
                .with_const_host_threshold::<8>()
                .with_const_write_back_threshold::<1>()
                .with_enable(true),
        );
        Ok(())
    }

    /// Sets the interrupt throttling interval, in microseconds, of every vector.
    fn set_throttle(&self, usecs: u32) {
        let interval = usecs.min(EITR_MAX_USECS);
        for vector in 0..VECTORS {
            if let Some(at) = EITR::try_at(vector) {
                if let Ok(value) = EITR::zeroed().try_with_interval(interval) {
                    self.bar.write(at, value);
                }
            }
        }
    }

    /// Writes the multicast table.
    fn write_multicast_table(&self, table: &[u32; MTA_WORDS]) {
        for (i, bits) in table.iter().enumerate() {
            if let Some(at) = MTA::try_at(i) {
                self.bar.write(at, MTA::zeroed().with_bits(*bits));
            }
        }
    }

    /// Writes RCTL if `update` changes it (see em's `update_rctl`: set_rx_mode and
    /// start/stop update it concurrently; no update is lost and the register ends as the
    /// shadow).
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

/// Multicast table words, RSS redirection table words: the lengths of their arrays.
const MTA_WORDS: usize = <MTA as RegisterArray>::SIZE;
const RETA_WORDS: usize = <RETA as RegisterArray>::SIZE;

/// EITR's largest interval in microseconds (13 bits).
const EITR_MAX_USECS: u32 = 8191;

/// The longest frame the driver lets the MTU make: MTU 9216, the C igb's largest, with
/// the Ethernet header, a VLAN tag and the FCS.
const MAX_FRAME_SIZE: u32 = 9216 + 14 + 4 + 4;

/// The longest frame the MAC counts in its largest length range.
const MAC_MAX_FRAME_SIZE: u16 = 9728;

/// The frame lengths the MAC counts frames by (`PRC64`.. and `PTC64`..).
const FRAME_LENGTHS: FrameLengthRanges = FrameLengthRanges::new(&[
    (64, 64),
    (65, 127),
    (128, 255),
    (256, 511),
    (512, 1023),
    (1024, MAC_MAX_FRAME_SIZE),
]);

/// `ethtool -d`: these registers (queue 0's rings), in this order (none clears on read).
const DUMPED_REGISTERS: [usize; 14] = [
    CTRL::OFFSET,
    STATUS::OFFSET,
    RCTL::OFFSET,
    TCTL::OFFSET,
    GPIE::OFFSET,
    RDBAL::OFFSET,
    RDBAH::OFFSET,
    RDLEN::OFFSET,
    RDH::OFFSET,
    RDT::OFFSET,
    TDBAL::OFFSET,
    TDBAH::OFFSET,
    TDLEN::OFFSET,
    TDH::OFFSET,
];
/// NVM words shown by `ethtool -e` and checked by `ethtool -t`: those the checksum
/// covers.
const EEPROM_WORDS: u32 = 64;

/// What those words add up to, the checksum word included.
const EEPROM_SUM: u16 = 0xbaba;

/// Registers `ethtool -t offline` writes patterns to, with their writable bits: queue 0's
/// ring bases (128-byte aligned) and lengths, the VLAN Ether type and the pause frame
/// registers.
const TESTED_REGISTERS: &[(usize, u32)] = &[
    (RDBAL::OFFSET, 0xffff_ff80),
    (RDBAH::OFFSET, u32::MAX),
    (RDLEN::OFFSET, 0x000f_ff80),
    (TDBAL::OFFSET, 0xffff_ff80),
    (TDBAH::OFFSET, u32::MAX),
    (TDLEN::OFFSET, 0x000f_ff80),
    (VET::OFFSET, 0xffff),
    (FCAL::OFFSET, u32::MAX),
    (FCAH::OFFSET, 0xffff),
    (FCT::OFFSET, 0xffff),
    (FCTTV::OFFSET, 0xffff),
];

/// Version of the dump layout above.
const REGISTER_DUMP_VERSION: u32 = 1;

/// Whether `mac` can be a station's address: not zero, not multicast.
fn is_unicast(mac: &[u8; ETH_ALEN]) -> bool {
    mac.iter().any(|byte| *byte != 0) && mac[0] & 1 == 0
}

/// The multicast table bit of `addr` (filter type 0: address bits 36-47).
fn multicast_hash(addr: &[u8; ETH_ALEN]) -> u32 {
    ((u32::from(addr[4]) >> 4) | (u32::from(addr[5]) << 4)) & 0xfff
}

/// 80 to 4096 descriptors a ring (the length registers count 128-byte units).
const RING_LIMITS: RingLimits = RingLimits {
    min: 80,
    default: 256,
    max: 4096,
    multiple: 8,
};

impl Driver for Igb {
    type Hardware<'bound> = Hardware<'bound>;
    type IdInfo = ();

    const DESCRIPTION: Description = Description {
        name: c"iflib_igb",
        // One TX and one RX ring of 16-byte advanced descriptors per queue set; the device
        // writes each back with its done bit set.
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
        // What one data descriptor carries (16-bit length); the C igb cuts at 32 KiB.
        tx_max_segment_len: 32768,
        link_modes: LinkModes::BASE_T_10_HALF
            .union(LinkModes::BASE_T_10_FULL)
            .union(LinkModes::BASE_T_100_HALF)
            .union(LinkModes::BASE_T_100_FULL)
            .union(LinkModes::BASE_T_1000_FULL)
            .union(LinkModes::AUTONEG)
            .union(LinkModes::TWISTED_PAIR),
        interrupt_interval: Some(InterruptInterval {
            default_usecs: 50,
            max_usecs: EITR_MAX_USECS,
        }),
        // The 64 words Intel's checksum covers; the rest of the NVM is not shown.
        eeprom_len: 2 * EEPROM_WORDS,
        flow_control: true,
        frame_lengths: &FRAME_LENGTHS,
        self_test: true,
        // The context names TCP or UDP (L4T): the checksum goes where they keep it.
        tx_checksum: ChecksumInsertion::TcpUdp,
        // Context descriptors name the IP header's length in 9 bits, after a MAC header
        // taken as 14 bytes (a checksum's start is the only offset iflib gives).
        tx_offload_max_offset: 14 + 511,
        tso: true,
        rx_checksum: true,
        vlan_offload: true,
        vlan_filter: true,
        msix: true,
        rx_hash_table_len: RETA_ENTRIES,
    };
    const PCI_IDS: pci::IdTable<()> = &PCI_TABLE;

    fn attach<'bound>(
        pdev: &'bound pci::Device<Core<'_>>,
        _info: &'bound (),
    ) -> Result<Attached<Hardware<'bound>>> {
        let bar = pdev.iomap_region_sized::<BAR_SIZE>(0, c"iflib_igb")?;
        let hw = Hardware {
            bar,
            rctl: AtomicU32::new(0),
            ledctl: AtomicU32::new(0),
            msix: AtomicBool::new(false),
            admin_vector: AtomicU32::new(0),
        };
        hw.reset();
        let mac_address = hw.mac_address().inspect_err(|_| {
            pr_err!("iflib_igb: no valid MAC address in receive address 0 or the EEPROM\n");
        })?;
        hw.restart_link();
        Ok(Attached {
            hardware: hw,
            mac_address,
            tso_ipv6: true,
            rx_hash: true,
            rx_hash_ports_choice: true,
            dma_address_bits: 64,
            queue_sets: QUEUES as u32,
        })
    }

    fn detach(hw: &Hardware<'_>) {
        hw.reset();
    }

    fn start(hw: &Hardware<'_>, sets: &[QueueSetRings<'_>], rx_config: &RxConfig) -> Result {
        if sets.is_empty() || sets.len() > QUEUES {
            return Err(EINVAL);
        }
        let buffer_kb = match rx_config.buffer_size {
            2048 => 2,
            4096 => 4,
            _ => return Err(EINVAL),
        };
        hw.bar.write_reg(VET::zeroed().with_ether_type(ETH_P_8021Q));
        hw.bar.update(CTRL, |ctrl| ctrl.with_vlan_mode(true));
        for (queue, rings) in sets.iter().enumerate() {
            hw.program_tx_ring(queue, rings.tx)?;
        }
        hw.bar.write_reg(
            TCTL::zeroed()
                .with_enable(true)
                .with_pad_short(true)
                .with_retransmit_late(true)
                .with_const_collision_threshold::<0x0f>()
                .with_const_collision_distance::<0x3f>(),
        );
        // Every flow to queue 0 until iflib gives its table (`set_rx_hash_table`), the key
        // after (`set_rx_hash_key`).
        for word in 0..RETA_WORDS {
            if let Some(at) = RETA::try_at(word) {
                hw.bar.write(at, RETA::zeroed());
            }
        }
        // Checksums always verified (iflib ignores the verdict while `ethtool -K rx off`);
        // the write-back carries the RSS hash instead of the packet checksum.
        hw.bar.write_reg(
            RXCSUM::zeroed()
                .with_ip(true)
                .with_l4(true)
                .with_packet_checksum_disable(true),
        );
        hw.bar.write_reg(
            MRQC::zeroed()
                .with_const_mode::<2>()
                .with_hash_tcp_ipv4(true)
                .with_hash_ipv4(true)
                .with_hash_tcp_ipv6_ex(true)
                .with_hash_tcp_ipv6(true)
                .with_hash_ipv6(true),
        );
        hw.bar
            .write_reg(RLPML::zeroed().try_with_bytes(rx_config.max_frame_size)?);
        for (queue, rings) in sets.iter().enumerate() {
            hw.program_rx_ring(queue, rings.rx, buffer_kb)?;
        }
        let long = rx_config.max_frame_size > STANDARD_FRAME_SIZE;
        hw.update_rctl(|old| {
            RCTL::zeroed()
                .with_unicast_promiscuous(old.unicast_promiscuous())
                .with_multicast_promiscuous(old.multicast_promiscuous())
                .with_long_packets(long)
                .with_enable(true)
                .with_accept_broadcast(true)
                .with_strip_crc(true)
        });
        Ok(())
    }

    fn stop(hw: &Hardware<'_>) {
        hw.mask_interrupts();
        hw.update_rctl(|old| old.with_enable(false));
        hw.bar.write_reg(TCTL::zeroed().with_pad_short(true));
        hw.quiesce_and_reset();
        hw.restart_link();
    }

    fn route_interrupts(hw: &Hardware<'_>, routing: InterruptRouting) {
        let InterruptRouting::MsiX {
            queue_sets,
            admin_vector,
        } = routing
        else {
            // One vector: queue 0's causes must still name a valid vector, or the model
            // raises no TX write-back cause.
            hw.bar.write_reg(GPIE::zeroed());
            if let Some(at) = IVAR::try_at(0) {
                hw.bar.write(
                    at,
                    IVAR::zeroed()
                        .try_with_rx(ivar_entry(0))
                        .and_then(|ivar| ivar.try_with_tx(ivar_entry(0)))
                        .unwrap_or(IVAR::zeroed()),
                );
            }
            hw.msix.store(false, Ordering::Relaxed);
            return;
        };
        // MSI-X mode first: the other interrupt registers read it.
        hw.bar.write_reg(
            GPIE::zeroed()
                .with_nsicr(true)
                .with_msix_mode(true)
                .with_eiame(true)
                .with_pba_support(true),
        );
        // Queue pair `q` raises vector `q`, the rest the admin vector.
        let mut auto_clear = 0u32;
        for queue in 0..usize::from(queue_sets).min(QUEUES) {
            let entry = ivar_entry(queue as u16);
            if let Some(at) = IVAR::try_at(queue) {
                let ivar = IVAR::zeroed()
                    .try_with_rx(entry)
                    .and_then(|ivar| ivar.try_with_tx(entry))
                    .unwrap_or(IVAR::zeroed());
                hw.bar.write(at, ivar);
            }
            auto_clear |= 1 << queue;
        }
        if let Ok(misc) = IVAR_MISC::zeroed().try_with_other(ivar_entry(admin_vector)) {
            hw.bar.write_reg(misc);
        }
        // Every vector's extended cause clears when the vector is raised: the model raises
        // a vector only for a cause newly set, so a link cause left set would keep every
        // later link change from raising the admin vector. The queue vectors mask
        // themselves too (silicon; the model does not, see `clear_queue_causes`).
        let admin = 1u32 << (admin_vector & 31);
        hw.bar
            .write_reg(EIAC::zeroed().with_vectors(auto_clear | admin));
        hw.bar.write_reg(EIAM::zeroed().with_vectors(auto_clear));
        hw.admin_vector
            .store(u32::from(admin_vector), Ordering::Relaxed);
        hw.msix.store(true, Ordering::Relaxed);
    }

    fn enable_interrupts(hw: &Hardware<'_>) {
        if hw.msix.load(Ordering::Relaxed) {
            // EIAC names the vectors routed (`route_interrupts`), the admin vector's too.
            let vectors = hw.bar.read(EIAC).vectors().get();
            hw.bar.write_reg(EIMS::zeroed().with_vectors(vectors));
            hw.bar.write_reg(IMS::zeroed().with_causes(INT_ADMIN_MSIX));
        } else {
            hw.bar.write_reg(IMS::zeroed().with_causes(INT_SINGLE));
        }
    }

    fn enable_queue_interrupts(hw: &Hardware<'_>, set: u32) {
        // Only called with MSI-X routing: vector `set` is the set's.
        hw.bar
            .write_reg(EIMS::zeroed().with_vectors(1u32 << (set & 31)));
    }

    fn clear_queue_causes(hw: &Hardware<'_>, set: u32) {
        // QEMU's model does not mask a vector when it raises it (no EIAM auto-mask): mask
        // the set's vector here, for its poll, then clear what it latched.
        if hw.msix.load(Ordering::Relaxed) {
            let vector = 1u32 << (set & 31);
            hw.bar.write_reg(EIMC::zeroed().with_vectors(vector));
            hw.bar.write_reg(EICR::zeroed().with_vectors(vector));
            // The clear is a posted write: have it reach the device before the poll reads
            // the rings, or a write-back landing in between would lose its cause.
            let _ = hw.bar.read(STATUS);
        }
    }

    fn disable_interrupts(hw: &Hardware<'_>) {
        hw.mask_interrupts();
    }

    fn interrupt_cause(hw: &Hardware<'_>) -> InterruptCause {
        // Reading clears ICR (with MSI-X, by GPIE.nsicr). On a single, maybe shared,
        // line the interrupt is ours when the device asserted it: a cause latched but
        // not enabled (the MDI access done) would claim every other device's.
        let icr = hw.bar.read(ICR).causes().get();
        let ours = if hw.msix.load(Ordering::Relaxed) {
            icr != 0
        } else {
            icr & INT_ASSERTED != 0
        };
        InterruptCause {
            ours,
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
        for (i, bits) in table.iter().enumerate() {
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
        hw.set_throttle(usecs);
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

    fn set_rx_hash_ports(hw: &Hardware<'_>, ports: RxHashPorts) {
        // Flows of a kind whose ports are not hashed fall back to their IP addresses.
        hw.bar.update(MRQC, |mrqc| {
            mrqc.with_hash_tcp_ipv4(ports.tcp_ipv4)
                .with_hash_tcp_ipv6(ports.tcp_ipv6)
                .with_hash_tcp_ipv6_ex(ports.tcp_ipv6)
                .with_hash_udp_ipv4(ports.udp_ipv4)
                .with_hash_udp_ipv6(ports.udp_ipv6)
        });
    }

    fn set_rx_hash_table(hw: &Hardware<'_>, table: &[u32]) {
        let mut entries = table.iter();
        // The queue an entry names (below the queue sets started, as iflib gives them),
        // queue 0 past the table's end.
        let mut next = || entries.next().map_or(0, |queue| (*queue & 0x7) as u8);
        for word in 0..RETA_WORDS {
            let value = u32::from_le_bytes([next(), next(), next(), next()]);
            if let Some(at) = RETA::try_at(word) {
                hw.bar.write(at, RETA::from(value));
            }
        }
    }

    fn read_mac_counters(hw: &Hardware<'_>) -> Option<MacCounters> {
        Some(mac_counters::read(|index| hw.mac_counter(index)))
    }

    fn read_eeprom(hw: &Hardware<'_>, offset: u32, out: &mut [u8]) -> Result {
        self_test::nvm_bytes(offset, out, |index| hw.eeprom_word(index))
    }

    /// As the C igb does for its IGP PHY: negotiation with automatic crossover; a forced
    /// speed with the MDI fixed (the PHY requires it), in the PHY's control register and
    /// the MAC's.
    fn configure_link(hw: &Hardware<'_>, link: LinkConfig) -> Result {
        match link {
            LinkConfig::Negotiate(speeds) => {
                hw.bar.update(CTRL, |ctrl| {
                    ctrl.with_force_speed(false).with_force_duplex(false)
                });
                hw.update_phy(PHY_PORT_CONTROL, |port| port | PORT_AUTO_CROSSOVER)?;
                hw.update_phy(PHY_ADVERTISE, |adv| speeds.with_mii_advertise(adv))?;
                hw.update_phy(PHY_CTRL1000, |ctrl| speeds.with_mii_ctrl1000(ctrl))?;
                hw.update_phy(PHY_CONTROL, |bmcr| bmcr | PHY_CONTROL_NEGOTIATE)
            }
            LinkConfig::Force(mode) => {
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
                hw.update_phy(PHY_PORT_CONTROL, |port| {
                    port & !(PORT_AUTO_CROSSOVER | PORT_FORCE_CROSSOVER)
                })
            }
        }
    }

    fn set_flow_control(hw: &Hardware<'_>, flow: FlowControl) {
        // XOFF with room left for the frame being received and one more of the largest
        // (MAC_MAX_FRAME_SIZE), as the C igb leaves; XON 16 bytes below.
        let rx_buffer = u32::from(hw.bar.read(RXPBS).size_kb()) << 10;
        let high = rx_buffer.saturating_sub(MAX_FRAME_SIZE + u32::from(MAC_MAX_FRAME_SIZE)) >> 4;
        // The thresholds' 12 bits hold 64 KB, the buffer QEMU's model and the C igb give.
        let high = u16::try_from(high.min(0xfff)).unwrap_or(0xfff);
        hw.bar
            .write_reg(FCAL::zeroed().with_address_low(PAUSE_ADDRESS_LOW));
        hw.bar
            .write_reg(FCAH::zeroed().with_address_high(PAUSE_ADDRESS_HIGH));
        hw.bar.write_reg(FCT::zeroed().with_ether_type(ETH_P_PAUSE));
        hw.bar
            .write_reg(FCTTV::zeroed().with_pause_time(PAUSE_TIME));
        let (low, high) = if flow.tx {
            (
                FCRTL::zeroed().try_with_threshold(high.saturating_sub(1)),
                FCRTH::zeroed().try_with_threshold(high),
            )
        } else {
            (Ok(FCRTL::zeroed()), Ok(FCRTH::zeroed()))
        };
        if let (Ok(low), Ok(high)) = (low, high) {
            hw.bar.write_reg(low.with_xon_enable(flow.tx));
            hw.bar.write_reg(high);
        }
        hw.bar.update(CTRL, |ctrl| {
            ctrl.with_rx_pause(flow.rx).with_tx_pause(flow.tx)
        });
    }

    fn test_registers(hw: &Hardware<'_>) -> Result {
        self_test::test_registers(
            TESTED_REGISTERS,
            |register| hw.bar.try_read32(register),
            |register, value| hw.bar.try_write32(value, register),
        )
    }

    fn test_eeprom(hw: &Hardware<'_>) -> Result {
        match self_test::nvm_word_sum(EEPROM_WORDS, |index| hw.eeprom_word(index))? {
            EEPROM_SUM => Ok(()),
            _ => Err(EIO),
        }
    }

    fn set_identify_led(hw: &Hardware<'_>, state: Identify) -> Result {
        let kept = || LEDCTL::from(hw.ledctl.load(Ordering::Relaxed));
        let led = match state {
            Identify::Start => {
                hw.ledctl
                    .store(hw.bar.read(LEDCTL).into_raw(), Ordering::Relaxed);
                return Ok(());
            }
            Identify::On => kept().with_led0(LED_MODE_ON),
            Identify::Off => kept().with_led0(LED_MODE_OFF),
            Identify::Stop => kept(),
        };
        hw.bar.write_reg(led);
        Ok(())
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
    type: iflib::PciDriver<Igb>,
    name: "iflib_igb",
    authors: ["The iflib developers"],
    description: "Intel(R) 82576 gigabit Ethernet (igb) on iflib",
    license: "GPL v2",
}
