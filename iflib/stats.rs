// SPDX-License-Identifier: GPL-2.0

//! Per-queue-set packet counters, updated locklessly from the datapath and summed for the
//! device.

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
    /// Bytes of those packets as handed over, and the frames and bytes (each frame with its
    /// headers) the hardware makes of them: counted at transmit.
    pub(crate) tx_tso_bytes: AtomicU64,
    pub(crate) tx_tso_frames: AtomicU64,
    pub(crate) tx_tso_frame_bytes: AtomicU64,
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
    c"tx_tso_bytes",
    c"tx_tso_frames",
    c"tx_tso_frame_bytes",
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
    /// Adds the current values to `out`, in the order of [`NAMES`].
    pub(crate) fn add_values(&self, out: &mut [u64]) {
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
            &self.tx_tso_bytes,
            &self.tx_tso_frames,
            &self.tx_tso_frame_bytes,
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
            *o = o.wrapping_add(c.load(Ordering::Relaxed));
        }
    }

    /// Adds these counters to the queue statistics `rx` and `tx`; the TSO ones only where
    /// the device segments (`tso`).
    pub(crate) fn add_queue_stats(&self, rx: &mut QueueRxStats, tx: &mut QueueTxStats, tso: bool) {
        let add = |sum: &mut u64, c: &AtomicU64| {
            *sum = sum.wrapping_add(c.load(Ordering::Relaxed));
        };
        add(&mut rx.packets, &self.rx_packets);
        add(&mut rx.bytes, &self.rx_bytes);
        // Frames dropped for want of a packet head, and polls whose refill found the page
        // pool empty (each stops at its first failed allocation).
        add(&mut rx.alloc_fail, &self.rx_dropped);
        add(&mut rx.alloc_fail, &self.rx_buffer_short);
        add(&mut rx.csum_unnecessary, &self.rx_csum_verified);
        add(&mut rx.csum_bad, &self.rx_csum_bad);
        add(&mut tx.packets, &self.tx_packets);
        add(&mut tx.bytes, &self.tx_bytes);
        if tso {
            let gso = tx.hw_gso.get_or_insert_with(Default::default);
            add(&mut gso.packets, &self.tx_tso);
            add(&mut gso.bytes, &self.tx_tso_bytes);
            add(&mut gso.wire_packets, &self.tx_tso_frames);
            add(&mut gso.wire_bytes, &self.tx_tso_frame_bytes);
        }
    }

    /// Adds these counters to the device's `total`.
    pub(crate) fn add_link_stats(&self, total: &mut LinkStats) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let add = |sum: &mut u64, c: &AtomicU64| *sum = sum.wrapping_add(get(c));
        add(&mut total.rx_packets, &self.rx_packets);
        add(&mut total.rx_bytes, &self.rx_bytes);
        add(&mut total.rx_dropped, &self.rx_dropped);
        add(&mut total.rx_errors, &self.rx_errors);
        add(&mut total.tx_packets, &self.tx_packets);
        add(&mut total.tx_bytes, &self.tx_bytes);
        add(&mut total.tx_dropped, &self.tx_dropped);
    }
}
