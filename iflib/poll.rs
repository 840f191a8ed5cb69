// SPDX-License-Identifier: GPL-2.0

//! The NAPI poll of a queue set: TX completions, then received frames and their XDP
//! verdicts, then the frames XDP sends back out.

use crate::{
    adapter::Adapter,
    completions::CompletionRing,
    driver::{
        Completions,
        Datapath, //
    },
    queue_set::QueueSet,
    tx::{
        Retired,
        TxConsumer,
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
        let installed = set.tx.get_in_poll(&poll);
        let ring_installed = installed.is_some();
        let mut consumer = installed.and_then(TxRing::consumer);
        if ring_installed && consumer.is_none() && budget != 0 {
            // Netpoll holds the ring's consumer side (it overlaps a poll only while it
            // starts or stops serving the device): poll again soon rather than re-arm
            // interrupts for completions no one read.
            crate::stats::add(&set.counters.napi_polls, 1);
            drop(consumer);
            return poll.complete_done(budget).0;
        }
        let mut retired = self.complete_tx(set, consumer.as_mut(), &poll);
        let Some(receiving) = poll.receiving() else {
            // Netpoll: TX completions only.
            self.completions_read(set, consumer.as_mut(), None);
            drop(consumer);
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
        let mut rx_cursor = None;
        let (mut tx_sent, mut misread) = (0, false);
        if let Some(rx) = set.rx.lock().as_mut().get_mut() {
            let rcu = rcu::read_lock();
            let mut xdp = self.xdp.get(&rcu).map(|prog| XdpPoll::new(prog, receiving));
            loop {
                let counters = &set.counters;
                // A shared completion ring is the TX side's: RX reads it too.
                let shared = match D::DESCRIPTION.rings.completions {
                    Completions::Shared(_) => {
                        consumer.as_mut().and_then(TxConsumer::completion_ring)
                    }
                    _ => None,
                };
                done += rx.receive::<D>(
                    &self.hw,
                    &receiving,
                    dev,
                    budget - done,
                    counters,
                    xdp.as_mut(),
                    shared,
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
            rx_cursor = rx.completion.as_ref().map(CompletionRing::next);
            tx_sent = core::mem::take(&mut rx.tx_sent);
            misread = core::mem::take(&mut rx.misread);
        }
        if let Completions::Shared(_) = D::DESCRIPTION.rings.completions {
            // The TX completions RX read on its way, and those after the RX completions.
            if let Some(consumer) = consumer.as_mut() {
                consumer.add_sent(tx_sent);
            }
            let more = self.complete_tx(set, consumer.as_mut(), &poll);
            retired.frames += more.frames;
        }
        self.completions_read(set, consumer.as_mut(), rx_cursor);
        if misread {
            // The driver and the device disagree on the RX ring: start both afresh.
            self.reset_requested.store(true, Ordering::Relaxed);
            self.admin.run_now();
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
        // The consumer lets go of the TX ring before the poll ends.
        drop(consumer);
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
    /// Tells the driver how far the poll read the completion rings, where the layout has
    /// them.
    #[inline]
    fn completions_read(
        &self,
        set: &QueueSet<'_, D>,
        consumer: Option<&mut TxConsumer<'_>>,
        rx: Option<u32>,
    ) {
        if matches!(D::DESCRIPTION.rings.completions, Completions::InPlace) {
            return;
        }
        let tx = consumer
            .and_then(TxConsumer::completion_ring)
            .map(|ring| ring.next());
        if tx.is_some() || rx.is_some() {
            D::completions_read(&self.hw, set.index, tx, rx);
        }
    }

    /// Takes the packets the hardware sent off queue set `set`'s TX ring, counts them and
    /// wakes its queue if they made room (NAPI).
    #[inline]
    fn complete_tx(
        &self,
        set: &QueueSet<'_, D>,
        consumer: Option<&mut TxConsumer<'_>>,
        poll: &Polling<'_>,
    ) -> Retired {
        let mut retired = Retired::default();
        let Some(consumer) = consumer else {
            return retired;
        };
        consumer.reclaim::<D>(&self.hw, self.dma(), poll, &mut retired);
        crate::stats::add(&set.counters.tx_packets, retired.frames);
        crate::stats::add(&set.counters.tx_bytes, retired.bytes);
        if let Some(queue) = self.netdev.device().tx_queue(set.index) {
            let max = D::DESCRIPTION.tx_max_entries_per_packet;
            let (frames, bytes) = (retired.stack_frames, retired.stack_bytes);
            // XDP frames free entries too: the queue may have stopped on a ring they
            // filled, with no packet of the stack's left to complete.
            let freed = retired.frames > 0;
            let free = || consumer.free_entries();
            queue.completed_wake(poll, frames, bytes, freed, free, 2 * max);
        }
        retired
    }

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
