// SPDX-License-Identifier: GPL-2.0

//! Starting and stopping an adapter: rings, interrupts and NAPI brought up and down
//! around the hardware (open, stop, and the restarts that ring, MTU, channel and
//! interrupt mode changes need).

use crate::{
    adapter::Adapter,
    buffer::FRAME_OVERHEAD,
    driver::{
        Datapath,
        RxConfig,
        RxFilter, //
    },
    irq::{
        Irqs,
        Vectors, //
    },
    rx::RxRing,
    tx::TxRing,
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
    /// Allocates rings, starts the hardware and enables interrupts (RTNL).
    pub(crate) fn bring_up(&self) -> Result {
        let irqs = self.irqs().ok_or(ENODEV)?;
        // The lifecycle drives one queue set so far (`QUEUE_SETS`).
        let set = self.queue_set(0).ok_or(EINVAL)?;
        let mut napi_off = set.napi_off.lock();
        // Down, NAPI is disabled: the proof is here.
        let off = napi_off.as_ref().ok_or(EBUSY)?;
        let dev = self.netdev.device();
        let desc = &D::DESCRIPTION;
        let buffer_size = Self::buffer_limits().buffer_size(dev.mtu()).ok_or(EINVAL)?;
        let tx_len = self.settings.tx_len.load(Ordering::Relaxed);
        let rx_len = self.settings.rx_len.load(Ordering::Relaxed);
        let tx = TxRing::new(self.dma(), tx_len, desc.tx_entry_size)?;
        let mut rx = RxRing::new(
            self.dma(),
            &set.napi,
            dev,
            rx_len,
            desc.rx_entry_size,
            buffer_size,
        )?;

        D::set_mac_address(&self.hw, &dev.mac_address());
        D::route_interrupts(&self.hw, irqs.routing());
        let rx_config = RxConfig {
            buffer_size,
            max_frame_size: dev.mtu() + FRAME_OVERHEAD,
        };
        if let Err(e) = D::start(&self.hw, &tx.ring, &rx.ring, &rx_config) {
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
        if self.rx_hash {
            D::set_rx_hash_key(&self.hw, &self.settings.hash_key());
        }
        if rx.refill::<D>(&self.hw, off) == rx_len - 1 {
            D::stop(&self.hw);
            rx.release_buffers();
            return Err(ENOMEM);
        }
        // Closed since `bring_down` (or never opened), with NAPI disabled (`off`).
        if let Err((_, tx)) = set.tx.replace(Some(tx), off) {
            // Not reached: the ring is closed and `off` is our context's.
            D::stop(&self.hw);
            drop(tx);
            rx.release_buffers();
            return Err(EINVAL);
        }
        *set.lock_rx().0 = Some(rx);
        if let Some(queue) = dev.tx_queue(set.index) {
            queue.reset(off);
        }

        // SAFETY: `self` is pinned inside the bound device's data and outlives the lines: they
        // are freed in `bring_down`, which runs before the adapter is dropped.
        let lines = match unsafe { self.request_lines(irqs) } {
            Ok(lines) => lines,
            Err(e) => {
                // The hardware must stop using the rings before they are freed.
                D::stop(&self.hw);
                set.release_rings(self.dma(), off);
                return Err(e);
            }
        };
        set.napi
            .bind_queue(dev, napi::QueueKind::Rx, set.index, true);
        set.napi
            .bind_queue(dev, napi::QueueKind::Tx, set.index, true);
        // The xmit path and XDP senders may use the ring from now on, then the poll.
        let enabled = set.tx.open(off).map_err(|_| EINVAL).and_then(|()| {
            let off = napi_off.take().ok_or(EINVAL)?;
            set.napi.enable(off).map_err(|off| {
                *napi_off = Some(off);
                EINVAL
            })
        });
        if let Err(e) = enabled {
            // Not reached: `off` is this context's proof.
            drop(lines);
            set.napi
                .bind_queue(dev, napi::QueueKind::Rx, set.index, false);
            set.napi
                .bind_queue(dev, napi::QueueKind::Tx, set.index, false);
            D::stop(&self.hw);
            if let Some(off) = napi_off.as_ref() {
                if let Some(queue) = dev.tx_queue(set.index) {
                    let _ = set.tx.close(queue, off);
                }
                set.release_rings(self.dma(), off);
            }
            return Err(e);
        }
        drop(napi_off);
        *self.lines.lock() = Some(lines);
        self.set_rx_filter_live(dev, true);
        D::enable_interrupts(&self.hw);
        self.update_link();
        dev.tx_start_all();
        self.up.store(true, Ordering::Release);
        self.admin.run_later();
        Ok(())
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
        let filter = RxFilter {
            promiscuous: dev.is_promiscuous(),
            all_multicast: dev.is_all_multicast() || overflow,
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
        let Some(set) = self.queue_set(0) else {
            return;
        };
        // NAPI first: a poll after the TX queues are disabled could wake them (its TX
        // completions do), and the xmit path would then run on rings being freed; and a
        // poll finishing after the device's interrupts are masked would unmask them again.
        // Then the queues (waiting for an xmit in progress), then mask the interrupts, so
        // that the line is quiet when it is freed: an INTx line freed while the device
        // asserts it can be left pending in the IO-APIC and storm when next requested.
        // Up, NAPI is enabled and its proof is made here (kept, should it not be).
        let Some(off) = set.napi.disable().or_else(|| set.napi_off.lock().take()) else {
            return;
        };
        dev.tx_disable();
        // And XDP senders (which take the queue's lock whatever its state) no longer reach
        // the TX ring: it is replaced below.
        if let Some(queue) = dev.tx_queue(set.index) {
            let _ = set.tx.close(queue, &off);
        }
        dev.carrier_off();
        D::disable_interrupts(&self.hw);
        drop(self.lines.lock().take());
        set.napi
            .bind_queue(dev, napi::QueueKind::Rx, set.index, false);
        set.napi
            .bind_queue(dev, napi::QueueKind::Tx, set.index, false);
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
        set.release_rings(self.dma(), &off);
        if let Some(queue) = dev.tx_queue(set.index) {
            queue.reset(&off);
        }
        *set.napi_off.lock() = Some(off);
    }

    /// Whether the hardware is started: settings are written to it now rather than at the
    /// next start (RTNL).
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// The Linux numbers of the interrupt vectors, if there are any.
    pub(crate) fn irqs(&self) -> Option<Irqs> {
        self.vectors.lock().as_ref().map(|vectors| vectors.irqs)
    }

    /// Uses MSI-X (where available) or not from now on: frees the vectors and allocates
    /// them anew, restarting a running device around it (RTNL).
    pub(crate) fn set_msix_disabled(&self, disabled: bool) -> Result {
        let old = self.settings.msix_disabled.load(Ordering::Relaxed);
        if old == disabled && self.irqs().is_some() {
            return Ok(());
        }
        self.restart_with(
            "interrupt mode",
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
        self.set_queue_irqs(None);
        *vectors = None;
        let new = Vectors::allocate(self.pdev, D::DESCRIPTION.msix && !msix_disabled)?;
        self.set_queue_irqs(Some(new.irqs));
        *vectors = Some(new);
        Ok(())
    }

    /// Changes a setting that takes a restart (ring sizes, MTU, interrupt mode) under RTNL:
    /// a running adapter is stopped, `apply` runs and the adapter starts again. If either
    /// fails (memory, most likely), `undo` puts the old setting back and the adapter starts
    /// with that: the device keeps working, the kernel log says so (naming the setting
    /// `what`) and the caller returns the error.
    pub(crate) fn restart_with(
        &self,
        what: &str,
        apply: impl FnOnce() -> Result,
        undo: impl FnOnce(),
    ) -> Result {
        let running = self.netdev.device().is_running();
        self.bring_down();
        let applied = apply().and_then(|()| if running { self.bring_up() } else { Ok(()) });
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
