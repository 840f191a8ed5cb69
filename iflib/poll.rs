// SPDX-License-Identifier: GPL-2.0

//! The NAPI poll of a queue set: TX completions, then received frames and their XDP
//! verdicts, then the frames XDP sends back out.

use crate::{
    adapter::Adapter,
    driver::Datapath,
    queue_set::QueueSet,
    tx::{
        Retired,
        TxRing, //
    },
    xdp::XdpPoll,
};
use core::sync::atomic::Ordering;
use kernel::{
    net::napi::{
        self,
        Polled,
        Polling,
        Receiving, //
    },
    sync::rcu,
};

impl<D: Datapath> napi::Poll for Adapter<'_, D> {
    fn poll(&self, poll: Polling<'_>) -> Polled {
        let budget = poll.budget();
        let dev = self.netdev.device();
        let Some(set) = self.queue_set(poll.index()) else {
            // Not reached: the contexts are added with their queue set's index.
            return poll.complete_done(0).0;
        };
        // Not from netpoll: the causes it cleared would raise no interrupt for what it
        // leaves to the poll proper.
        if budget != 0 {
            D::clear_queue_causes(&self.hw, set.index);
        }
        // TX completions first: they free ring space and never count against the budget.
        let mut retired = Retired::default();
        if let Some(consumer) = set.tx.get_in_poll(&poll).map(TxRing::consumer) {
            consumer.reclaim::<D>(&self.hw, self.dma(), &poll, &mut retired);
            crate::stats::add(&set.counters.tx_packets, retired.frames);
            crate::stats::add(&set.counters.tx_bytes, retired.bytes);
            if let Some(queue) = dev.tx_queue(set.index) {
                let max = D::DESCRIPTION.tx_max_entries_per_packet;
                let (frames, bytes) = (retired.stack_frames, retired.stack_bytes);
                // XDP frames free entries too: the queue may have stopped on a ring they
                // filled, with no packet of the stack's left to complete.
                let freed = retired.frames > 0;
                let free = || consumer.free_entries();
                queue.completed_wake(&poll, frames, bytes, freed, free, 2 * max);
            }
        }
        let Some(receiving) = poll.receiving() else {
            // Netpoll: TX completions only.
            crate::stats::add(&set.counters.netpoll_polls, 1);
            if retired.left_for_napi {
                // XDP frames only the poll proper may return: have it run soon.
                crate::stats::add(&set.counters.netpoll_xdp_left, 1);
                set.napi.schedule();
            }
            return poll.complete_done(0).0;
        };
        let mut done = 0;
        let mut rx_short = false;
        if let Some(rx) = set.rx.lock().as_mut().get_mut() {
            let rcu = rcu::read_lock();
            let mut xdp = self.xdp.get(&rcu).map(|prog| XdpPoll::new(prog, receiving));
            loop {
                let counters = &set.counters;
                done += rx.receive::<D>(
                    &self.hw,
                    &receiving,
                    dev,
                    budget - done,
                    counters,
                    xdp.as_mut(),
                );
                let Some(xdp) = xdp.as_mut() else {
                    break;
                };
                let batch_full = xdp.tx_full();
                self.send_xdp_frames(set, xdp, &receiving);
                if !batch_full || done >= budget {
                    break;
                }
            }
            if let Some(xdp) = xdp {
                xdp.finish();
            }
            rx_short = rx.refill::<D>(&self.hw, &receiving) > 0;
        }
        if self.link_event.swap(false, Ordering::Relaxed) {
            self.update_link();
        }
        crate::stats::add(&set.counters.napi_polls, 1);
        if retired.frames == 0 && done == 0 {
            crate::stats::add(&set.counters.napi_idle_polls, 1);
        }
        if rx_short {
            // No interrupt may come for the empty slots (none, if the ring ran dry); polling
            // again at once would spin while memory stays short. Try again a little later.
            crate::stats::add(&set.counters.rx_buffer_short, 1);
            // Armed once per retry: re-timing the work at every short poll would put off
            // what else it has to do (a reset) for as long as polls keep coming.
            if !self.rx_short.swap(true, Ordering::Relaxed) {
                self.admin.run_after(crate::admin::RX_REFILL_RETRY_MS);
            }
        }
        let (polled, rearm) = poll.complete_done(done);
        if rearm {
            if self.vector_per_set.load(Ordering::Relaxed) {
                D::enable_queue_interrupts(&self.hw, set.index);
            } else {
                D::enable_interrupts(&self.hw);
            }
        }
        polled
    }
}

impl<D: Datapath> Adapter<'_, D> {
    /// Places the frames the XDP program sends back out on the TX ring of the queue set
    /// they came in on (NAPI). The stack's queue lock keeps the doorbell in order with the
    /// xmit path's.
    fn send_xdp_frames(
        &self,
        set: &QueueSet<'_, D>,
        xdp: &mut XdpPoll<'_>,
        receiving: &Receiving<'_>,
    ) {
        if !xdp.has_tx() {
            return;
        }
        let dev = self.netdev.device();
        let Some(queue) = dev.tx_queue(set.index) else {
            xdp.send_tx(dev, &set.counters, Err);
            return;
        };
        let queue_lock = queue.lock_in_softirq(receiving);
        let mut tail = None;
        let producer = set.tx.get_locked(&queue_lock).map(TxRing::producer);
        xdp.send_tx(dev, &set.counters, |frame| match &producer {
            Some(producer) => {
                producer.post_frame::<D>(&self.hw, self.dma(), frame)?;
                tail = Some(producer.doorbell_tail());
                Ok(())
            }
            None => Err(frame),
        });
        if let Some(tail) = tail {
            D::tx_doorbell(&self.hw, set.index, tail);
            queue_lock.note_progress();
        }
    }
}
