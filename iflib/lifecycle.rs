// SPDX-License-Identifier: GPL-2.0

//! Starting and stopping an adapter: rings, interrupts and NAPI brought up and down
//! around the hardware (open, stop, and the restarts that ring, MTU, channel and
//! interrupt mode changes need).

use crate::{
    adapter::{
        default_link_speeds,
        Adapter, //
    },
    buffer::FRAME_OVERHEAD,
    driver::{
        Datapath,
        InterruptRouting,
        LinkConfig,
        QueueSetRings,
        RxConfig,
        RxFilter, //
    },
    irq::Vectors,
    ring_plan::{
        PlannedRings,
        RingPlan, //
    },
};
use core::sync::atomic::Ordering;
use kernel::{
    net::{
        device as netdev,
        napi, //
    },
    prelude::*,
};

impl<'bound, D: Datapath> Adapter<'bound, D> {
    /// How many queue sets to start: what the operator asked for, as far as the vectors
    /// serve them (one without MSI-X).
    pub(crate) fn usable_sets(&self, vectors: &Vectors<'_>) -> u32 {
        self.sets_served(self.settings.queue_sets.load(Ordering::Relaxed), vectors)
    }

    /// How many of `wanted` queue sets the vectors serve (one without MSI-X).
    pub(crate) fn sets_served(&self, wanted: u32, vectors: &Vectors<'_>) -> u32 {
        wanted
            .min(vectors.queue_sets())
            .min(self.queue_sets.len() as u32)
            .max(1)
    }

    /// Allocates rings, starts the hardware and enables interrupts (RTNL).
    pub(crate) fn bring_up(&self) -> Result {
        self.bring_up_with(None)
    }

    /// Starts the hardware as [`Self::bring_up`] does, on `planned` rings if they were
    /// allocated for what the settings now ask (else they are dropped and rings allocated).
    fn bring_up_with(&self, planned: Option<PlannedRings>) -> Result {
        let vectors = self.vectors.lock();
        let vectors = vectors.as_ref().ok_or(ENODEV)?;
        let count = self.usable_sets(vectors);
        let sets = self.queue_sets.get(..count as usize).ok_or(EINVAL)?;
        self.add_napi_contexts(count);
        // Down, every NAPI context is disabled: the proofs are here.
        if sets.iter().any(|set| set.napi_off.lock().is_none()) {
            return Err(EBUSY);
        }
        let dev = self.netdev.device();
        self.set_queue_count(count)?;
        let routing = vectors.routing(count);
        self.spread_transmits(count, matches!(routing, InterruptRouting::MsiX { .. }));
        let desc = &D::DESCRIPTION;
        let plan = self.ring_plan(count, dev.mtu())?;
        let buffer_size = plan.buffer_size;
        let mut rings = match planned {
            Some(planned) if planned.plan == plan => planned.rings,
            other => {
                // Freed before others are allocated.
                drop(other);
                self.allocate_rings(plan)?.rings
            }
        };
        let mut ring_list = KVec::with_capacity(rings.len(), GFP_KERNEL)?;
        for (tx, rx) in rings.iter_mut() {
            let (tx, tx_completion) = tx.rings();
            let rx_completion = match rx.completion.as_ref() {
                Some(ring) => Some(ring.ring()),
                // A shared ring completes both.
                None => tx_completion,
            };
            ring_list.push(
                QueueSetRings {
                    tx,
                    rx: &rx.head.ring,
                    rx_body: rx.body.as_ref().map(|body| &body.ring),
                    tx_completion,
                    rx_completion,
                },
                GFP_KERNEL,
            )?;
        }

        D::set_mac_address(&self.hw, &dev.mac_address());
        D::route_interrupts(&self.hw, routing);
        let rx_config = RxConfig {
            buffer_size,
            max_frame_size: dev.mtu() + FRAME_OVERHEAD,
        };
        let started = D::start(&self.hw, &ring_list, &rx_config);
        drop(ring_list);
        if let Err(e) = started {
            D::stop(&self.hw);
            return Err(e);
        }
        if desc.interrupt_interval.is_some() {
            let usecs = self.settings.interrupt_usecs.load(Ordering::Relaxed);
            D::set_interrupt_interval(&self.hw, usecs);
        }
        if desc.flow_control {
            D::set_flow_control(&self.hw, self.settings.flow_control());
        }
        // A reset may have put the PHY's defaults back (QEMU's models reset the PHY with
        // the MAC; silicon keeps it, and the default was applied at probe).
        let link = self.settings.link_config();
        let applied = &self.settings.link_applied;
        if link != LinkConfig::Negotiate(default_link_speeds::<D>())
            || !applied.load(Ordering::Relaxed)
        {
            match D::configure_link(&self.hw, link) {
                Ok(()) => applied.store(true, Ordering::Relaxed),
                Err(e) => {
                    applied.store(false, Ordering::Relaxed);
                    dev_warn!(
                        self.dma(),
                        "cannot apply the link settings (error {}); the next start tries again\n",
                        e.to_errno()
                    );
                }
            }
        }
        if self.rx_hash {
            D::set_rx_hash_key(&self.hw, &self.settings.hash_key());
            if self.rx_hash_ports_choice {
                D::set_rx_hash_ports(&self.hw, self.settings.hash_ports());
            }
            // The sets in use may differ from those the table was spread over (MSI-X
            // turned off or on): an operator's table is kept, the default one follows.
            if !dev.rx_hash_table_configured() {
                self.spread_rx_hash_table(count);
            }
            self.apply_rx_hash_table(count);
        }
        for (set, (_, rx)) in sets.iter().zip(rings.iter_mut()) {
            let off = set.napi_off.lock();
            // At least one buffer posted.
            let posted = match off.as_ref() {
                // Not reached: checked above, and only this thread takes the proofs.
                None => Err(EBUSY),
                Some(off) => {
                    // SAFETY: The ring is dropped before the set's context is deleted: it
                    // is dropped here on failure, or installed in the set, which drops its
                    // rings before its context (field order) and whose rings `bring_down`
                    // drops before `add_napi_contexts` deletes the context of a set no
                    // longer in use.
                    unsafe { rx.hand_to(off) }.and_then(|()| {
                        rx.refill::<D>(&self.hw, off);
                        if rx.has_head_buffers() {
                            Ok(())
                        } else {
                            Err(ENOMEM)
                        }
                    })
                }
            };
            if let Err(e) = posted {
                D::stop(&self.hw);
                for (_, rx) in rings.iter_mut() {
                    rx.release_buffers();
                }
                return Err(e);
            }
        }
        for (set, (tx, rx)) in sets.iter().zip(rings) {
            let off = set.napi_off.lock();
            // The hardware uses the rings: in the branches not reached below, it stops
            // before they are dropped (on return, those of the sets installed before with
            // the next start or the adapter).
            let Some(off) = off.as_ref() else {
                // Not reached: checked above, and only this thread takes the proofs.
                D::stop(&self.hw);
                return Err(EBUSY);
            };
            // Closed since `bring_down` (or never opened), with NAPI disabled (`off`).
            if let Err((_, tx)) = set.tx.replace(Some(tx), off) {
                // Not reached: the ring is closed and `off` is its context's.
                D::stop(&self.hw);
                drop(tx);
                return Err(EBUSY);
            }
            *set.lock_rx().0 = Some(rx);
            if let Some(queue) = dev.tx_queue(set.index) {
                queue.reset(off);
            }
        }

        self.vector_per_set.store(
            matches!(routing, InterruptRouting::MsiX { .. }),
            Ordering::Relaxed,
        );
        // SAFETY: `self` is pinned inside the bound device's data and outlives the lines: they
        // are freed in `bring_down`, which runs before the adapter is dropped. The sets'
        // NAPI contexts were added above and are removed only here, while down, before
        // lines are requested again.
        let lines = match unsafe { self.request_lines(vectors, count) } {
            Ok(lines) => lines,
            Err(e) => {
                // The hardware must stop using the rings before they are freed.
                D::stop(&self.hw);
                for set in sets {
                    if let Some(off) = set.napi_off.lock().as_ref() {
                        set.release_rings(self.dma(), off);
                    }
                }
                return Err(e);
            }
        };
        self.running_sets.store(count, Ordering::Relaxed);
        for set in sets {
            set.napi
                .bind_queue(dev, napi::QueueKind::Rx, set.index, true);
            set.napi
                .bind_queue(dev, napi::QueueKind::Tx, set.index, true);
            // The xmit path and XDP senders may use the ring from now on, then the poll.
            let mut napi_off = set.napi_off.lock();
            let opened = napi_off.as_ref().map(|off| set.tx.open(off));
            if let (Some(Ok(())), Some(off)) = (opened, napi_off.take()) {
                if let Err(off) = set.napi.enable(off) {
                    // Not reached: `off` is this context's proof.
                    *napi_off = Some(off);
                }
            }
        }
        *self.lines.lock() = Some(lines);
        if desc.vlan_filter {
            D::set_vlan_table(&self.hw, &self.settings.vlans.words());
        }
        self.set_rx_filter_live(dev, true);
        D::enable_interrupts(&self.hw);
        self.update_link();
        // Woken, not only started: after a restart, packets the qdisc kept while the queues
        // were off go out now, not at the next enqueue.
        dev.tx_wake_all();
        self.up.store(true, Ordering::Release);
        self.admin
            .run_unless_queued(crate::admin::SERVICE_PERIOD_MS);
        Ok(())
    }

    /// Adds the NAPI contexts of the first `count` queue sets to the net device, and
    /// removes the others' (RTNL, the adapter down): netdev-genl lists the contexts in use
    /// only. A context's configuration slot keeps its NAPI id and settings meanwhile.
    fn add_napi_contexts(&self, count: u32) {
        let dev = self.netdev.device();
        let this = core::ptr::from_ref(self);
        for set in self.queue_sets.iter() {
            let mut napi_off = set.napi_off.lock();
            if set.index >= count {
                if let Some(off) = napi_off.take() {
                    if let Err(off) = set.napi.remove(off) {
                        *napi_off = Some(off);
                    }
                }
            } else if !set.napi.is_added() {
                // SAFETY: The adapter is pinned in the bound device's data and drops its
                // queue sets, deleting the contexts, before the net device is freed; the
                // context is not added; its proof is kept in the queue set, which drops
                // it before the context.
                let off = unsafe { Pin::new_unchecked(&set.napi).add(dev, set.index, this) };
                *napi_off = Some(off);
            }
        }
    }

    /// Tells the stack how many TX and RX queues are in use (RTNL). The stack drops the XPS
    /// maps of the queues beyond them: a set that comes back gets its map again from
    /// [`Self::spread_transmits`], whether the count changed up or down.
    pub(crate) fn set_queue_count(&self, count: u32) -> Result {
        self.netdev.device().set_real_num_queues(count, count)?;
        for set in self.queue_sets.iter().filter(|set| set.index >= count) {
            set.xps_set.store(false, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Has the stack send each CPU's packets through the queue set whose vector the core
    /// spreads to that CPU (XPS), so that a packet's completion comes back where it was
    /// sent: with a vector per set (`per_set`), for the first `count` sets. Set once per
    /// queue, the first time it is in use, so that the operator's own `xps_cpus` stay.
    /// Without it (no memory), the stack hashes flows over the queues.
    fn spread_transmits(&self, count: u32, per_set: bool) {
        let dev = self.netdev.device();
        for set in self.queue_sets.iter().take(count as usize) {
            if !per_set || set.xps_set.load(Ordering::Relaxed) {
                continue;
            }
            let Some(cpu) = dev.napi_affinity_cpu(set.index) else {
                continue;
            };
            if dev.set_xps_cpu(set.index, cpu).is_ok() {
                set.xps_set.store(true, Ordering::Relaxed);
            }
        }
    }

    /// The header fields received flows of `flow` are hashed by: iflib's choice for TCP and
    /// UDP where the device lets it choose, else the driver's.
    pub(crate) fn rx_hash_fields(&self, flow: crate::FlowType) -> crate::HashFields {
        let ports = self.settings.hash_ports().of(flow);
        match ports.filter(|_| self.rx_hash_ports_choice) {
            Some(true) => crate::HashFields::IP_ADDRESSES_AND_PORTS,
            Some(false) => crate::HashFields::IP_ADDRESSES,
            None => D::rx_hash_fields(&self.hw, flow),
        }
    }

    /// Gives the driver the RSS indirection table for `sets` queue sets started (RTNL, the
    /// hardware started). Entries beyond them (an operator's table kept while MSI-X is off)
    /// fold onto the sets started.
    pub(crate) fn apply_rx_hash_table(&self, sets: u32) {
        let mut table = self.rx_hash_table.lock();
        if table.is_empty() {
            return;
        }
        if table.iter().all(|&entry| entry < sets) {
            D::set_rx_hash_table(&self.hw, &table);
            return;
        }
        let folded: Option<KVec<u32>> = (|| {
            let mut folded = KVec::with_capacity(table.len(), GFP_KERNEL).ok()?;
            for &entry in table.iter() {
                folded.push(entry % sets.max(1), GFP_KERNEL).ok()?;
            }
            Some(folded)
        })();
        match folded {
            Some(folded) => D::set_rx_hash_table(&self.hw, &folded),
            None => {
                // No memory for a copy: spread the table itself anew.
                for (index, entry) in table.iter_mut().enumerate() {
                    *entry = index as u32 % sets.max(1);
                }
                D::set_rx_hash_table(&self.hw, &table);
            }
        }
    }

    /// Lets `set_rx_mode` write the receive filter, applying the current one, or stops it
    /// (RTNL): under the address lists' lock, which `set_rx_mode` runs under.
    fn set_rx_filter_live(&self, dev: &netdev::Device, live: bool) {
        let addresses = dev.lock_addresses();
        self.rx_filter_live.store(live, Ordering::Relaxed);
        if live {
            self.apply_rx_filter(dev, &addresses);
        }
    }

    /// Gives the driver the interface's receive filter: promiscuous and all-multicast modes
    /// and up to 16 multicast addresses (more turn all-multicast on).
    pub(crate) fn apply_rx_filter(
        &self,
        dev: &netdev::Device,
        addresses: &netdev::AddressListsLocked<'_>,
    ) {
        let mut list = [[0u8; netdev::ETH_ALEN]; 16];
        let mut count = 0;
        let mut overflow = false;
        addresses.for_each_multicast(|addr| {
            if let Some(slot) = list.get_mut(count) {
                *slot = *addr;
                count += 1;
            } else {
                overflow = true;
            }
        });
        let promiscuous = dev.is_promiscuous();
        let filter = RxFilter {
            promiscuous,
            all_multicast: dev.is_all_multicast() || overflow,
            vlan_filter: D::DESCRIPTION.vlan_filter
                && self.settings.vlans.filtering()
                && !promiscuous,
        };
        D::set_rx_filter(&self.hw, filter, &list[..count]);
    }

    /// Stops the hardware and frees what `bring_up` allocated (RTNL). Does nothing if the
    /// adapter is not up (a failed `bring_up` after an MTU or ring change leaves it down
    /// while the stack still sees the interface running).
    pub(crate) fn bring_down(&self) {
        if !self.up.swap(false, Ordering::Relaxed) {
            return;
        }
        let dev = self.netdev.device();
        let sets = self.running_sets();
        // NAPI first: a poll after the TX queues are disabled could wake them (its TX
        // completions do), and the xmit path would then run on rings being freed; and a
        // poll finishing after the device's interrupts are masked would unmask them again.
        // Then the queues (waiting for an xmit in progress), then mask the interrupts, so
        // that the line is quiet when it is freed: an INTx line freed while the device
        // asserts it can be left pending in the IO-APIC and storm when next requested.
        // Up, NAPI is enabled and its proof is made here (kept, should it not be).
        for set in sets {
            let mut napi_off = set.napi_off.lock();
            if let Some(off) = set.napi.disable() {
                *napi_off = Some(off);
            }
        }
        dev.tx_disable();
        // And XDP senders (which take the queue's lock whatever its state) no longer reach
        // the TX rings: they are replaced below.
        for set in sets {
            if let (Some(queue), Some(off)) =
                (dev.tx_queue(set.index), set.napi_off.lock().as_ref())
            {
                let _ = set.tx.close(queue, off);
            }
        }
        dev.carrier_off();
        D::disable_interrupts(&self.hw);
        // Each line ends its NAPI context's association before it is freed.
        drop(self.lines.lock().take());
        for set in sets {
            set.napi
                .bind_queue(dev, napi::QueueKind::Rx, set.index, false);
            set.napi
                .bind_queue(dev, napi::QueueKind::Tx, set.index, false);
        }
        // A stop may reset the MAC, and its counters and filters with it. The counters are
        // added up first, and their totals stay locked until the stop is done: the admin
        // work reads them too, and a read in the middle of a reset would be lost.
        let mut totals = self.mac_totals.lock();
        if let Some(counted) = D::read_mac_counters(&self.hw) {
            totals.add(&counted);
        }
        self.set_rx_filter_live(dev, false);
        D::stop(&self.hw);
        drop(totals);
        for set in sets {
            if let Some(off) = set.napi_off.lock().as_ref() {
                set.release_rings(self.dma(), off);
                if let Some(queue) = dev.tx_queue(set.index) {
                    queue.reset(off);
                }
            }
        }
        self.running_sets.store(0, Ordering::Relaxed);
    }

    /// Whether the hardware is started: settings are written to it now rather than at the
    /// next start (RTNL).
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Uses MSI-X (where available) or not from now on: frees the vectors and allocates
    /// them anew, restarting a running device around it (RTNL).
    pub(crate) fn set_msix_disabled(&self, disabled: bool) -> Result {
        let old = self.settings.msix_disabled.load(Ordering::Relaxed);
        if old == disabled && self.vectors.lock().is_some() {
            return Ok(());
        }
        // The vectors decide the sets: the rings are planned once they are allocated.
        self.restart_with(
            "interrupt mode",
            None,
            || {
                self.settings
                    .msix_disabled
                    .store(disabled, Ordering::Relaxed);
                self.reallocate_vectors(disabled)
            },
            || {
                self.settings.msix_disabled.store(old, Ordering::Relaxed);
                let _ = self.reallocate_vectors(old);
            },
        )
    }

    /// Frees the vectors and allocates them with MSI-X or without (RTNL, the adapter down:
    /// it then holds no line).
    fn reallocate_vectors(&self, msix_disabled: bool) -> Result {
        let mut vectors = self.vectors.lock();
        *vectors = None;
        let msix = D::DESCRIPTION.msix && !msix_disabled;
        *vectors = Some(Vectors::allocate(
            self.pdev,
            msix,
            self.queue_sets.len() as u32,
        )?);
        Ok(())
    }

    /// Changes a setting that takes a restart (ring sizes, MTU, channels, interrupt mode)
    /// under RTNL: a running adapter is stopped, `apply` runs and the adapter starts again.
    /// Where the setting needs new rings, `plan` is what they will be: they are allocated
    /// first, while the old ones run, and without memory for them nothing changes. If
    /// `apply` or the start fails, `undo` puts the old setting back and the adapter starts
    /// with that: the device keeps working, the kernel log says so (naming the setting
    /// `what`) and the caller returns the error.
    pub(crate) fn restart_with(
        &self,
        what: &str,
        plan: Option<RingPlan>,
        apply: impl FnOnce() -> Result,
        undo: impl FnOnce(),
    ) -> Result {
        let running = self.netdev.device().is_running();
        let planned = match plan.filter(|_| running && self.is_up()) {
            Some(plan) => match self.allocate_rings(plan) {
                Ok(planned) => Some(planned),
                Err(e) => {
                    dev_warn!(
                        self.dma(),
                        "cannot allocate rings for the new {what} (error {}); keeping the previous setting\n",
                        e.to_errno()
                    );
                    return Err(e);
                }
            },
            None => None,
        };
        self.bring_down();
        let applied = apply().and_then(|()| {
            if running {
                self.bring_up_with(planned)
            } else {
                Ok(())
            }
        });
        let Err(e) = applied else {
            return Ok(());
        };
        undo();
        dev_warn!(
            self.dma(),
            "cannot apply the new {what} (error {}); keeping the previous setting\n",
            e.to_errno()
        );
        if running && self.bring_up().is_err() {
            dev_err!(
                self.dma(),
                "cannot restart with the previous {what} either; the device stays down\n"
            );
        }
        Err(e)
    }
}
