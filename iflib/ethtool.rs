// SPDX-License-Identifier: GPL-2.0

//! ethtool for every iflib driver: identification, rings, channels, statistics, register
//! and EEPROM dumps, link settings, interrupt coalescing, flow control, the receive hash
//! and iflib's knobs (private flags).

use crate::{
    adapter::Adapter,
    driver::{
        Datapath,
        FlowControl,
        LinkConfig,
        LinkState,
        RX_HASH_KEY_LEN, //
    },
    ring_plan::RingPlan,
};
use core::sync::atomic::Ordering;
use kernel::{
    net::{
        device as netdev,
        ethtool::{
            self as netdev_ethtool,
            Coalesce,
            FlowType,
            FrameLengthRanges,
            HashFields,
            Identify,
            LinkModes,
            LinkRequest,
            LinkSettings,
            MacStats,
            Pause,
            PauseStats,
            RmonStats, //
        },
    },
    prelude::*, //
};

/// `ethtool -t`: the hardware's own tests, run offline only (the device stops meanwhile),
/// then the link; the link alone where the driver has no tests of its own.
const SELF_TESTS: &[&CStr] = &[c"registers (offline)", c"eeprom (offline)", c"link"];
const LINK_TEST: &[&CStr] = &[c"link"];

#[vtable]
impl<D: Datapath> netdev_ethtool::Operations for Adapter<'_, D> {
    fn driver_info(
        _dev: &netdev::Device,
        this: &Self,
        fill: &mut dyn FnMut(&netdev_ethtool::DriverInfo<'_>),
    ) {
        fill(&netdev_ethtool::DriverInfo {
            driver: D::DESCRIPTION.name,
            bus_info: this.dma().name(),
        });
    }

    fn registers_len(_dev: &netdev::Device, _this: &Self) -> usize {
        D::REGISTER_DUMP_LEN
    }

    fn get_registers(_dev: &netdev::Device, this: &Self, out: &mut [u32]) -> u32 {
        D::dump_registers(&this.hw, out)
    }

    fn get_channels(_dev: &netdev::Device, this: &Self) -> netdev_ethtool::Channels {
        netdev_ethtool::Channels {
            max_combined: this.max_channels(),
            combined: this.channels(),
        }
    }

    fn set_channels(
        dev: &netdev::Device,
        this: &Self,
        channels: netdev_ethtool::Channels,
    ) -> Result {
        // ethtool checked the count against the maximum and the RSS table.
        let count = channels.combined;
        if count == 0 || count > this.max_channels() {
            return Err(EINVAL);
        }
        let old = this.settings.queue_sets.load(Ordering::Relaxed);
        if old == count {
            return Ok(());
        }
        let set_count = |count: u32| -> Result {
            this.settings.queue_sets.store(count, Ordering::Relaxed);
            if !dev.rx_hash_table_configured() {
                this.spread_rx_hash_table(count);
            }
            this.set_queue_count(count)
        };
        // The vectors' lock is released before the restart takes it again.
        let plan = {
            let vectors = this.vectors.lock();
            match (this.running_plan(), vectors.as_ref()) {
                (Some(plan), Some(vectors)) => Some(RingPlan {
                    sets: this.sets_served(count, vectors),
                    ..plan
                }),
                _ => None,
            }
        };
        this.restart_with(
            "channel count",
            plan,
            || set_count(count),
            || {
                let _ = set_count(old);
            },
        )
    }

    fn stats_names(_dev: &netdev::Device, _this: &Self) -> &'static [&'static CStr] {
        crate::stats::NAMES
    }

    fn stats_values(_dev: &netdev::Device, this: &Self, values: &mut [u64]) {
        values.fill(0);
        for set in this.queue_sets.iter() {
            set.counters.add_values(values);
        }
    }

    fn get_ring_sizes(_dev: &netdev::Device, this: &Self) -> netdev_ethtool::RingSizes {
        netdev_ethtool::RingSizes {
            rx_max: D::DESCRIPTION.rings.rx.limits.max,
            tx_max: D::DESCRIPTION.rings.tx.limits.max,
            rx: this.settings.rx_len.load(Ordering::Relaxed),
            tx: this.settings.tx_len.load(Ordering::Relaxed),
        }
    }

    fn set_ring_sizes(
        dev: &netdev::Device,
        this: &Self,
        sizes: netdev_ethtool::RingSizes,
        extack: &mut netdev_ethtool::ExtAck,
    ) -> Result {
        let rings = &D::DESCRIPTION.rings;
        let body = rings
            .rx_body
            .is_none_or(|body| body.limits.accepts(sizes.rx));
        if !rings.rx.limits.accepts(sizes.rx) || !body {
            extack.set_message(c"RX ring size out of range or not a multiple of the hardware's");
            return Err(EINVAL);
        }
        if !rings.tx.limits.accepts(sizes.tx) {
            extack.set_message(c"TX ring size out of range or not a multiple of the hardware's");
            return Err(EINVAL);
        }
        if !rings.accepts(sizes.tx, sizes.rx) {
            extack
                .set_message(c"rings that long need a longer completion ring than iflib allocates");
            return Err(EINVAL);
        }
        let settings = &this.settings;
        let old = (
            settings.rx_len.load(Ordering::Relaxed),
            settings.tx_len.load(Ordering::Relaxed),
        );
        if old == (sizes.rx, sizes.tx) && (this.is_up() || !dev.is_running()) {
            // Nothing to change (the ioctl asks even then): no restart, no link flap. A
            // device left down by a failed restart is still started again.
            return Ok(());
        }
        let store = |(rx, tx)| {
            settings.rx_len.store(rx, Ordering::Relaxed);
            settings.tx_len.store(tx, Ordering::Relaxed);
        };
        let plan = this.running_plan().map(|plan| RingPlan {
            rx_len: sizes.rx,
            tx_len: sizes.tx,
            ..plan
        });
        let result = this.restart_with(
            "ring sizes",
            plan,
            || {
                store((sizes.rx, sizes.tx));
                Ok(())
            },
            || store(old),
        );
        if result.is_err() {
            extack.set_message(c"cannot allocate rings of that size; the old ones are kept");
        }
        result
    }

    fn get_link_settings(_dev: &netdev::Device, this: &Self) -> LinkSettings {
        let supported = D::DESCRIPTION.link_modes;
        let link = match D::link_state(&this.hw) {
            LinkState::Up {
                speed_mbps,
                full_duplex,
            } => Some((speed_mbps, full_duplex)),
            LinkState::Down => None,
        };
        let autoneg = matches!(this.settings.link_config(), LinkConfig::Negotiate(_))
            && supported.contains(LinkModes::AUTONEG);
        // While a speed is forced nothing is advertised but the port's kind; the speeds
        // stay, for `ethtool -s autoneg on` to negotiate them again.
        let port = if autoneg {
            LinkModes::AUTONEG.union(LinkModes::TWISTED_PAIR)
        } else {
            LinkModes::TWISTED_PAIR
        };
        LinkSettings {
            link,
            autoneg,
            supported,
            advertising: this
                .settings
                .advertising()
                .union(supported.intersection(port)),
        }
    }

    /// Negotiation with some of the port's speeds advertised, or a forced speed and
    /// duplex. 1000BASE-T is always negotiated: forcing it advertises it alone, as the C
    /// Intel drivers do.
    fn set_link_settings(_dev: &netdev::Device, this: &Self, request: LinkRequest) -> Result {
        let supported = D::DESCRIPTION.link_modes;
        if !supported.contains(LinkModes::AUTONEG) {
            return Err(EOPNOTSUPP);
        }
        let link = if request.autoneg {
            // ethtool's `advertise` mask replaces the whole set: the port's kind and
            // autonegotiation itself are not the operator's to drop.
            let speeds = request
                .advertising
                .without(LinkModes::AUTONEG.union(LinkModes::TWISTED_PAIR));
            if speeds.is_empty() || !supported.contains(speeds) {
                return Err(EINVAL);
            }
            LinkConfig::Negotiate(speeds)
        } else {
            let full_duplex = request.full_duplex.ok_or(EINVAL)?;
            let mode = LinkModes::of_speed(request.speed_mbps, full_duplex);
            if mode.is_empty() || !supported.contains(mode) {
                return Err(EINVAL);
            }
            if mode == LinkModes::BASE_T_1000_FULL {
                LinkConfig::Negotiate(mode)
            } else {
                LinkConfig::Force(mode)
            }
        };
        // Applied even when unchanged: a failed start may have left the PHY otherwise.
        if let Err(e) = D::configure_link(&this.hw, link) {
            // Half applied (the MAC's part, some of the PHY's), the old setting is put
            // back as well as the PHY lets it.
            let _ = D::configure_link(&this.hw, this.settings.link_config());
            return Err(e);
        }
        this.settings.set_link_config(link);
        this.settings.link_applied.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn get_coalesce(_dev: &netdev::Device, this: &Self) -> Coalesce {
        Coalesce {
            rx_usecs: this.settings.interrupt_usecs.load(Ordering::Relaxed),
        }
    }

    fn set_coalesce(
        _dev: &netdev::Device,
        this: &Self,
        coalesce: Coalesce,
        extack: &mut netdev_ethtool::ExtAck,
    ) -> Result {
        let Some(limits) = D::DESCRIPTION.interrupt_interval else {
            extack.set_message(c"the device has no interrupt throttling");
            return Err(EOPNOTSUPP);
        };
        if coalesce.rx_usecs > limits.max_usecs {
            extack.set_message(c"rx-usecs above the hardware's largest interval");
            return Err(EINVAL);
        }
        this.settings
            .interrupt_usecs
            .store(coalesce.rx_usecs, Ordering::Relaxed);
        if this.is_up() {
            D::set_interrupt_interval(&this.hw, coalesce.rx_usecs);
        }
        Ok(())
    }

    fn eeprom_len(_dev: &netdev::Device, _this: &Self) -> u32 {
        D::DESCRIPTION.eeprom_len
    }

    fn read_eeprom(_dev: &netdev::Device, this: &Self, offset: u32, out: &mut [u8]) -> Result<u32> {
        D::read_eeprom(&this.hw, offset, out)?;
        // As the C Intel drivers: the PCI vendor and device IDs.
        let vendor = u32::from(this.pdev.vendor_id().as_raw());
        Ok(vendor | (u32::from(this.pdev.device_id()) << 16))
    }

    fn get_pause(_dev: &netdev::Device, this: &Self) -> Pause {
        let flow = this.settings.flow_control();
        Pause {
            autoneg: false,
            rx: flow.rx,
            tx: flow.tx,
        }
    }

    fn get_pause_stats(_dev: &netdev::Device, this: &Self) -> PauseStats {
        this.mac_counters()
            .map(|totals| totals.pause_stats())
            .unwrap_or_default()
    }

    fn self_test_names(_dev: &netdev::Device, _this: &Self) -> &'static [&'static CStr] {
        if D::DESCRIPTION.self_test {
            SELF_TESTS
        } else {
            LINK_TEST
        }
    }

    fn self_test(dev: &netdev::Device, this: &Self, offline: bool, results: &mut [u64]) -> bool {
        let mut passed = true;
        let mut record = |slot: Option<&mut u64>, result: Result| {
            if let Some(slot) = slot {
                *slot = u64::from(result.is_err());
            }
            passed &= result.is_ok();
        };
        let (hardware, link) = results.split_at_mut(results.len().saturating_sub(1));
        // Before the offline tests: the restart after them renegotiates the link.
        let link_up = match D::link_state(&this.hw) {
            LinkState::Up { .. } => Ok(()),
            LinkState::Down => Err(ENOLINK),
        };
        if D::DESCRIPTION.self_test && offline {
            let running = dev.is_running();
            if running {
                this.bring_down();
            }
            let mut hardware = hardware.iter_mut();
            record(hardware.next(), D::test_registers(&this.hw));
            record(hardware.next(), D::test_eeprom(&this.hw));
            if running {
                let restarted = this.bring_up();
                if restarted.is_err() {
                    dev_err!(
                        this.dma(),
                        "restart after the self-test failed; the device stays down\n"
                    );
                }
                record(None, restarted);
            }
        }
        record(link.first_mut(), link_up);
        passed
    }

    fn set_identify(_dev: &netdev::Device, this: &Self, state: Identify) -> Result<u32> {
        D::set_identify_led(&this.hw, state)?;
        // Blinks twice a second, as the C Intel drivers.
        Ok(if state == Identify::Start { 2 } else { 0 })
    }

    fn get_mac_stats(_dev: &netdev::Device, this: &Self) -> MacStats {
        this.mac_counters()
            .map(|totals| totals.mac_stats())
            .unwrap_or_default()
    }

    fn get_rmon_stats(
        _dev: &netdev::Device,
        this: &Self,
    ) -> (RmonStats, &'static FrameLengthRanges) {
        let mut stats = this
            .mac_counters()
            .map(|totals| totals.rmon_stats())
            .unwrap_or_default();
        let lengths = D::DESCRIPTION.frame_lengths;
        if lengths.is_empty() {
            stats.received_by_length = None;
            stats.sent_by_length = None;
        }
        (stats, lengths)
    }

    fn rx_ring_count(_dev: &netdev::Device, this: &Self) -> u32 {
        this.channels()
    }

    fn rx_hash_table_len(_dev: &netdev::Device, this: &Self) -> u32 {
        this.rx_hash_table.lock().len() as u32
    }

    fn get_rx_hash_table(_dev: &netdev::Device, this: &Self, table: &mut [u32]) -> Result {
        let ours = this.rx_hash_table.lock();
        if ours.len() != table.len() {
            return Err(EINVAL);
        }
        table.copy_from_slice(&ours);
        Ok(())
    }

    fn set_rx_hash_table(
        _dev: &netdev::Device,
        this: &Self,
        table: &[u32],
        extack: &mut netdev_ethtool::ExtAck,
    ) -> Result {
        let channels = this.channels();
        {
            let mut ours = this.rx_hash_table.lock();
            if ours.len() != table.len() || table.iter().any(|&entry| entry >= channels) {
                extack.set_message(c"the table names a queue the device does not use");
                return Err(EINVAL);
            }
            ours.copy_from_slice(table);
        }
        if this.is_up() {
            this.apply_rx_hash_table(this.running_sets.load(Ordering::Relaxed));
        }
        Ok(())
    }

    fn get_rx_hash_fields(
        _dev: &netdev::Device,
        this: &Self,
        flow: FlowType,
    ) -> Result<HashFields> {
        if !this.rx_hash {
            return Err(EOPNOTSUPP);
        }
        Ok(this.rx_hash_fields(flow))
    }

    fn set_rx_hash_fields(
        _dev: &netdev::Device,
        this: &Self,
        flow: FlowType,
        fields: HashFields,
        extack: &mut netdev_ethtool::ExtAck,
    ) -> Result {
        if !this.rx_hash {
            return Err(EOPNOTSUPP);
        }
        if fields == this.rx_hash_fields(flow) {
            return Ok(());
        }
        let ports = match fields {
            HashFields::IP_ADDRESSES_AND_PORTS => true,
            HashFields::IP_ADDRESSES => false,
            _ => {
                extack.set_message(
                    c"flows are hashed by their IP addresses, or by those and their ports",
                );
                return Err(EINVAL);
            }
        };
        let current = this.settings.hash_ports();
        let Some(new) = current
            .with(flow, ports)
            .filter(|_| this.rx_hash_ports_choice)
        else {
            extack.set_message(c"the device hashes these flows by fixed fields");
            return Err(EINVAL);
        };
        this.settings.set_hash_ports(new);
        if this.is_up() {
            D::set_rx_hash_ports(&this.hw, new);
        }
        Ok(())
    }

    fn rx_hash_key_len(_dev: &netdev::Device, this: &Self) -> u32 {
        if this.rx_hash {
            RX_HASH_KEY_LEN as u32
        } else {
            0
        }
    }

    fn get_rx_hash_key(_dev: &netdev::Device, this: &Self, key: &mut [u8]) -> Result {
        if !this.rx_hash {
            return Err(EOPNOTSUPP);
        }
        for (out, byte) in key.iter_mut().zip(this.settings.hash_key()) {
            *out = byte;
        }
        Ok(())
    }

    fn set_rx_hash_key(
        _dev: &netdev::Device,
        this: &Self,
        key: &[u8],
        extack: &mut netdev_ethtool::ExtAck,
    ) -> Result {
        if !this.rx_hash {
            return Err(EOPNOTSUPP);
        }
        let Ok(key) = <&[u8; RX_HASH_KEY_LEN]>::try_from(key) else {
            extack.set_message(c"the hash key has 40 bytes");
            return Err(EINVAL);
        };
        this.settings.set_hash_key(key);
        if this.is_up() {
            D::set_rx_hash_key(&this.hw, key);
        }
        Ok(())
    }

    fn private_flag_names(_dev: &netdev::Device, this: &Self) -> &'static [&'static CStr] {
        this.knob_names()
    }

    fn get_private_flags(_dev: &netdev::Device, this: &Self) -> u32 {
        this.knobs()
    }

    fn set_private_flags(_dev: &netdev::Device, this: &Self, flags: u32) -> Result {
        this.set_knobs(flags)
    }

    fn set_pause(_dev: &netdev::Device, this: &Self, pause: Pause) -> Result {
        // Flow control is forced: the link partner's pause abilities are not negotiated.
        if pause.autoneg {
            return Err(EINVAL);
        }
        if !D::DESCRIPTION.flow_control && (pause.rx || pause.tx) {
            return Err(EOPNOTSUPP);
        }
        this.settings.pause_rx.store(pause.rx, Ordering::Relaxed);
        this.settings.pause_tx.store(pause.tx, Ordering::Relaxed);
        if this.is_up() && D::DESCRIPTION.flow_control {
            D::set_flow_control(
                &this.hw,
                FlowControl {
                    rx: pause.rx,
                    tx: pause.tx,
                },
            );
        }
        Ok(())
    }
}
