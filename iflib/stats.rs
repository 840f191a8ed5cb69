// SPDX-License-Identifier: GPL-2.0

//! Per-device packet counters, updated locklessly from the datapath.

use core::sync::atomic::{
    AtomicU64,
    Ordering, //
};
use kernel::net::device::{
    LinkStats,
    QueueRxStats,
    QueueTxStats, //
};

/// Counters of one queue set. Each is written by one context (xmit under the stack's TX queue
/// lock, or the NAPI poll) and read by `get_stats64` at any time.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) rx_packets: AtomicU64,
    pub(crate) rx_bytes: AtomicU64,
    /// Frames dropped because no buffer or packet head could be allocated.
    pub(crate) rx_dropped: AtomicU64,
    /// Frames the hardware flagged as bad, or that spanned more buffers than allowed.
    pub(crate) rx_errors: AtomicU64,
    pub(crate) tx_packets: AtomicU64,
    pub(crate) tx_bytes: AtomicU64,
    /// Packets dropped on transmit (mapping or linearization failure).
    pub(crate) tx_dropped: AtomicU64,
    /// Packets that had to be linearized before transmit.
    pub(crate) tx_linearized: AtomicU64,
    /// TX watchdog resets.
    pub(crate) tx_timeouts: AtomicU64,
    /// Packets handed to the hardware to segment (TSO); their frames count in `tx_packets`.
    pub(crate) tx_tso: AtomicU64,
    /// Received frames whose checksum the hardware verified.
    pub(crate) rx_csum_verified: AtomicU64,
    /// Received frames the hardware found a bad checksum in (the stack checks them again).
    pub(crate) rx_csum_bad: AtomicU64,
    /// NAPI polls, and those that found neither a TX completion nor a received frame (the
    /// interrupt that scheduled them brought no work).
    pub(crate) napi_polls: AtomicU64,
    pub(crate) napi_idle_polls: AtomicU64,
    /// Polls that left RX slots empty for want of memory, each retried from the admin work
    /// after [`crate::admin::RX_REFILL_RETRY_MS`].
    pub(crate) rx_buffer_short: AtomicU64,
    /// Polls by netpoll (netconsole), with budget 0: TX completions of the stack's packets
    /// only, IRQs possibly off.
    pub(crate) netpoll_polls: AtomicU64,
    /// Netpoll polls that stopped at a completed XDP frame and scheduled NAPI to take it.
    pub(crate) netpoll_xdp_left: AtomicU64,
    /// XDP verdicts: frames passed to the stack, dropped, sent back out, redirected.
    pub(crate) xdp_pass: AtomicU64,
    pub(crate) xdp_drop: AtomicU64,
    pub(crate) xdp_tx: AtomicU64,
    pub(crate) xdp_redirect: AtomicU64,
    /// Frames other devices' XDP programs redirected here, placed on the TX ring.
    pub(crate) xdp_xmit: AtomicU64,
    /// Frames dropped because the program aborted or returned an unknown action, or its
    /// `XDP_TX` or `XDP_REDIRECT` could not be carried out (the `xdp:xdp_exception` trace).
    pub(crate) xdp_exception: AtomicU64,
}

/// Adds `n` to a counter with a single writer.
#[inline]
pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

/// `ethtool -S` names, in the order of [`Counters::values`].
pub(crate) const NAMES: &[&kernel::str::CStr] = &[
    c"rx_packets",
    c"rx_bytes",
    c"rx_dropped",
    c"rx_errors",
    c"tx_packets",
    c"tx_bytes",
    c"tx_dropped",
    c"tx_linearized",
    c"tx_timeouts",
    c"tx_tso",
    c"rx_csum_verified",
    c"rx_csum_bad",
    c"napi_polls",
    c"napi_idle_polls",
    c"rx_buffer_short",
    c"netpoll_polls",
    c"netpoll_xdp_left",
    c"xdp_pass",
    c"xdp_drop",
    c"xdp_tx",
    c"xdp_redirect",
    c"xdp_xmit",
    c"xdp_exception",
];

impl Counters {
    /// Current values, in the order of [`NAMES`].
    pub(crate) fn values(&self, out: &mut [u64]) {
        let all = [
            &self.rx_packets,
            &self.rx_bytes,
            &self.rx_dropped,
            &self.rx_errors,
            &self.tx_packets,
            &self.tx_bytes,
            &self.tx_dropped,
            &self.tx_linearized,
            &self.tx_timeouts,
            &self.tx_tso,
            &self.rx_csum_verified,
            &self.rx_csum_bad,
            &self.napi_polls,
            &self.napi_idle_polls,
            &self.rx_buffer_short,
            &self.netpoll_polls,
            &self.netpoll_xdp_left,
            &self.xdp_pass,
            &self.xdp_drop,
            &self.xdp_tx,
            &self.xdp_redirect,
            &self.xdp_xmit,
            &self.xdp_exception,
        ];
        for (o, c) in out.iter_mut().zip(all) {
            *o = c.load(Ordering::Relaxed);
        }
    }

    pub(crate) fn queue_stats(&self) -> (QueueRxStats, QueueTxStats) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        (
            QueueRxStats {
                packets: get(&self.rx_packets),
                bytes: get(&self.rx_bytes),
                alloc_fail: get(&self.rx_dropped),
                csum_unnecessary: get(&self.rx_csum_verified),
                csum_bad: get(&self.rx_csum_bad),
            },
            QueueTxStats {
                packets: get(&self.tx_packets),
                bytes: get(&self.tx_bytes),
            },
        )
    }

    pub(crate) fn link_stats(&self) -> LinkStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LinkStats {
            rx_packets: get(&self.rx_packets),
            rx_bytes: get(&self.rx_bytes),
            rx_dropped: get(&self.rx_dropped),
            rx_errors: get(&self.rx_errors),
            multicast: 0,
            tx_packets: get(&self.tx_packets),
            tx_bytes: get(&self.tx_bytes),
            tx_dropped: get(&self.tx_dropped),
            tx_errors: 0,
        }
    }
}
