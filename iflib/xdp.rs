// SPDX-License-Identifier: GPL-2.0

//! XDP for every iflib driver: the program runs on each received frame in the NAPI poll,
//! before a packet is built, and its verdict is carried out here. Drivers need no code.

use crate::stats::{
    self,
    Counters, //
};
use kernel::{
    error::Result,
    net::{
        device::Device,
        napi::Receiving,
        page_pool::PoolPage,
        skb::SkBuff,
        xdp::{
            self,
            Action,
            Frame,
            Program,
            RxQueueInfo, //
        },
    },
};

/// Frames bound for `XDP_TX` that one poll gathers before placing them on the TX ring
/// under one hold of its locks.
pub(crate) const TX_BATCH: usize = 16;

/// A frame an XDP program sends back out: its page and where the frame lies in it.
pub(crate) struct TxFrame {
    pub(crate) page: PoolPage,
    pub(crate) offset: u32,
    pub(crate) len: u32,
}

/// The XDP state of one NAPI poll: the program (read once under RCU), the poll it runs in,
/// the frames it sends back out, and whether it redirected any.
pub(crate) struct XdpPoll<'a> {
    prog: &'a Program,
    rx: Receiving<'a>,
    tx: [Option<TxFrame>; TX_BATCH],
    tx_count: usize,
    redirected: bool,
}

/// What became of a frame offered to the program.
pub(crate) enum Verdict {
    /// The program passed it: the stack gets this packet.
    Pass(SkBuff),
    /// Dropped, queued for `XDP_TX` or redirected: nothing more to do.
    Consumed,
}

impl<'a> XdpPoll<'a> {
    pub(crate) fn new(prog: &'a Program, rx: Receiving<'a>) -> Self {
        Self {
            prog,
            rx,
            tx: core::array::from_fn(|_| None),
            tx_count: 0,
            redirected: false,
        }
    }

    /// Whether the `XDP_TX` batch is full: the receive loop stops so that it is sent.
    pub(crate) fn tx_full(&self) -> bool {
        self.tx_count >= TX_BATCH
    }

    /// Whether frames wait for `XDP_TX`.
    pub(crate) fn has_tx(&self) -> bool {
        self.tx_count > 0
    }

    /// Hands the frames bound for `XDP_TX` to `post`, which places one on the TX ring or
    /// gives it back for want of room (then it is dropped and reported). Returns how many
    /// were placed.
    pub(crate) fn send_tx(
        &mut self,
        dev: &Device,
        counters: &Counters,
        mut post: impl FnMut(TxFrame) -> Result<(), TxFrame>,
    ) -> u32 {
        let count = core::mem::take(&mut self.tx_count);
        let mut sent = 0;
        for frame in self.tx.iter_mut().take(count).filter_map(Option::take) {
            match post(frame) {
                Ok(()) => sent += 1,
                Err(frame) => {
                    self.prog.report_exception(dev, Action::Tx);
                    stats::add(&counters.xdp_exception, 1);
                    frame.page.recycle_in_napi(&self.rx);
                }
            }
        }
        stats::add(&counters.xdp_tx, u64::from(sent));
        sent
    }

    /// Runs the program on a received frame of `len` bytes at `headroom` in `page` and
    /// carries out its verdict.
    pub(crate) fn run(
        &mut self,
        page: PoolPage,
        queue: &RxQueueInfo,
        headroom: u32,
        len: u32,
        dev: &Device,
        counters: &Counters,
    ) -> Verdict {
        let rx = &self.rx;
        let mut frame = match Frame::new(page, queue, headroom, len) {
            Ok(frame) => frame,
            Err(page) => {
                // Unreachable: iflib keeps XDP frames within one buffer of a page.
                stats::add(&counters.rx_errors, 1);
                page.recycle_in_napi(rx);
                return Verdict::Consumed;
            }
        };
        let action = frame.run(self.prog, rx);
        let failed = match action {
            Action::Pass => match frame.into_skb(rx) {
                Ok(skb) => {
                    stats::add(&counters.xdp_pass, 1);
                    return Verdict::Pass(skb);
                }
                Err(page) => {
                    stats::add(&counters.rx_dropped, 1);
                    page.recycle_in_napi(rx);
                    return Verdict::Consumed;
                }
            },
            Action::Drop => {
                stats::add(&counters.xdp_drop, 1);
                frame.into_page().recycle_in_napi(rx);
                return Verdict::Consumed;
            }
            Action::Tx => {
                let (offset, len) = frame.range();
                let page = frame.into_page();
                match self.tx.get_mut(self.tx_count) {
                    Some(slot) => {
                        *slot = Some(TxFrame { page, offset, len });
                        self.tx_count += 1;
                        return Verdict::Consumed;
                    }
                    None => page,
                }
            }
            Action::Redirect => match frame.redirect(dev, self.prog, rx) {
                Ok(()) => {
                    stats::add(&counters.xdp_redirect, 1);
                    self.redirected = true;
                    return Verdict::Consumed;
                }
                Err(page) => page,
            },
            Action::Aborted | Action::Unknown(_) => frame.into_page(),
        };
        self.prog.report_exception(dev, action);
        stats::add(&counters.xdp_exception, 1);
        failed.recycle_in_napi(rx);
        Verdict::Consumed
    }

    /// Ends the poll's XDP work: redirected frames go on to their targets.
    pub(crate) fn finish(self) {
        if self.redirected {
            xdp::flush_redirects(&self.rx);
        }
    }
}
