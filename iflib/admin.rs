// SPDX-License-Identifier: GPL-2.0

//! The admin work: what an adapter does in process context, away from its hot path.
//!
//! It resets the device when the TX watchdog fires (`ndo_tx_timeout` runs from a timer and
//! a reset sleeps: it stops and restarts the adapter under RTNL), and, while the device is
//! up, it comes back every [`SERVICE_PERIOD_MS`] to read the MAC's counters before any can
//! stop at its largest value. It is the kernel's [`kernel::net::service::ServiceWork`],
//! embedded in the adapter, which cancels it before it goes away.

use crate::{
    adapter::Adapter,
    driver::Datapath, //
};
use core::sync::atomic::Ordering;
use kernel::{
    net::{
        device as netdev,
        napi::BhDisabled,
        service::Service, //
    },
    prelude::*, //
};

/// How often the admin work runs while the device is up. A 32-bit frame counter lasts
/// about 48 minutes at gigabit line rate; far more often than that keeps idle wake-ups rare.
pub(crate) const SERVICE_PERIOD_MS: u32 = 10_000;

/// How soon the admin work has NAPI try again to fill RX slots left empty for want of
/// memory: an RX ring that ran dry raises no interrupt, and a poll that asked to run again
/// at once would spin in softirq context while memory stays short.
pub(crate) const RX_REFILL_RETRY_MS: u32 = 10;

impl<D: Datapath> Service for Adapter<'_, D> {
    fn run_service(&self) {
        if self.reset_requested.swap(false, Ordering::Relaxed) {
            self.reset();
        }
        let retry = self.rx_short.swap(false, Ordering::Relaxed);
        if retry && self.up.load(Ordering::Relaxed) {
            // Scheduled from process context: the poll runs when bottom halves come back on.
            let _bh = BhDisabled::new();
            self.schedule_polls();
        }
        // Retries come every 10 ms while memory is short, and the periodic run waits
        // behind them: they read the MAC counters once in 100 (a second).
        let retries = self
            .refill_retries
            .fetch_add(u32::from(retry), Ordering::Relaxed);
        if !retry || retries % 100 == 0 {
            self.fold_mac_counters();
        }
        if self.up.load(Ordering::Relaxed) {
            self.admin.run_unless_queued(SERVICE_PERIOD_MS);
        }
    }
}

impl<D: Datapath> Adapter<'_, D> {
    /// Stops and restarts a running device (admin work).
    pub(crate) fn reset(&self) {
        // Process context (a work item); RTNL serialises with open, stop and the ethtool
        // and MTU paths, which also stop and start the adapter.
        netdev::with_rtnl(|| {
            if self.netdev.device().is_running() {
                self.bring_down();
                if self.bring_up().is_err() {
                    dev_err!(
                        self.dma(),
                        "reset after a TX timeout failed; the device stays down\n"
                    );
                }
            }
        });
    }
}
