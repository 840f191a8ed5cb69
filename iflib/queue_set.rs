// SPDX-License-Identifier: GPL-2.0

//! A queue set: one NAPI context with the TX and RX rings it serves, under one index that
//! is also its stack TX and RX queues' and its NAPI configuration's.

use crate::{
    adapter::Adapter,
    driver::Datapath,
    installed::Installed,
    rx::RxRing,
    stats::Counters,
    tx::TxRing, //
};
use core::sync::atomic::AtomicBool;
use kernel::{
    device::{
        Bound,
        Device, //
    },
    net::napi::{
        BhDisabled,
        Napi,
        NapiOff, //
    },
    prelude::*,
    sync::{
        Mutex,
        SpinLock,
        SpinLockGuard, //
    },
};

/// One queue set of an adapter.
///
/// Teardown: the fields drop in declaration order. `napi_off` names `napi` by address and
/// drops first; the rings (the RX ring's page pool belongs to `napi`) drop before `napi`;
/// `napi` is deleted while the net device is still allocated (the adapter drops its queue
/// sets before its net device).
#[pin_data]
pub(crate) struct QueueSet<'bound, D: Datapath> {
    /// Proof that `napi` is disabled, kept while the adapter is down: `bring_up` fills the
    /// RX ring's pool with it and spends it to enable NAPI; `bring_down` gets it back.
    #[pin]
    pub(crate) napi_off: Mutex<Option<NapiOff>>,
    /// The TX ring, shared by the xmit path, the XDP senders and NAPI without a lock of
    /// iflib's (see [`TxRing`]).
    pub(crate) tx: Installed<TxRing>,
    /// The RX ring: NAPI's, and the lifecycle's while NAPI is disabled.
    #[pin]
    pub(crate) rx: SpinLock<Option<RxRing>>,
    #[pin]
    pub(crate) napi: Napi<Adapter<'bound, D>>,
    /// The index of the queue set, its queues and its NAPI configuration.
    pub(crate) index: u32,
    /// Its packet counters: each written by its NAPI poll or under its TX queue's lock.
    pub(crate) counters: Counters,
    /// Its TX queue's XPS map was set (once: then it is the operator's; RTNL).
    pub(crate) xps_set: AtomicBool,
}

impl<'bound, D: Datapath> QueueSet<'bound, D> {
    /// Queue set `index`, with no rings and its NAPI context not added yet.
    pub(crate) fn new(index: u32) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            napi_off <- kernel::new_mutex!(None, "iflib_napi_off"),
            tx: Installed::new(),
            rx <- kernel::new_spinlock!(None, "iflib_rx"),
            napi <- Napi::new(),
            index,
            counters: Counters::default(),
            xps_set: AtomicBool::new(false),
        })
    }

    /// The RX ring's lock, taken from process context (RTNL, NAPI disabled): with bottom
    /// halves off, as the NAPI poll takes it in softirq context. The ring's lock drops first.
    pub(crate) fn lock_rx(&self) -> (SpinLockGuard<'_, Option<RxRing>>, BhDisabled) {
        let bh = BhDisabled::new();
        (self.rx.lock(), bh)
    }

    /// Frees the rings (RTNL, the hardware stopped, NAPI disabled as `off` proves and the
    /// TX ring closed to the queue's lock holders).
    pub(crate) fn release_rings(&self, dma: &Device<Bound>, off: &NapiOff) {
        if let Ok(Some(mut tx)) = self.tx.replace(None, off) {
            tx.discard_all(dma);
        }
        let rx = self.lock_rx().0.take();
        if let Some(mut rx) = rx {
            rx.release_buffers();
        }
    }
}
