// SPDX-License-Identifier: GPL-2.0

//! The net device operations of an adapter (`ndo_*`): open and stop, transmit,
//! statistics, receive filter, MTU, features, TX timeout and XDP.

use crate::{adapter::Adapter, driver::Datapath, ring_plan::RingPlan, tx::TxRing};
use core::sync::atomic::Ordering;
use kernel::{
    net::{
        device::{
            self as netdev,
            LinkStats,
            Transmit, //
        },
        ethtool::ExtAck,
        skb::{
            SkBuff,
            SkBuffRef, //
        },
        xdp::{
            BpfProgram,
            XmitFrames, //
        },
    },
    prelude::*,
};

#[vtable]
impl<D: Datapath> netdev::Operations for Adapter<'_, D> {
    fn open(_dev: &netdev::Device, this: &Self) -> Result {
        this.bring_up()
    }

    fn stop(_dev: &netdev::Device, this: &Self) -> Result {
        this.bring_down();
        Ok(())
    }

    fn start_xmit(
        skb: SkBuff,
        _dev: &netdev::Device,
        this: &Self,
        queue: &netdev::Xmitting<'_>,
    ) -> Transmit {
        // The stack's queue is the queue set's: the ring its lock holders may read.
        let Some(set) = this.queue_set(u32::from(skb.queue_mapping())) else {
            // Not reached: the stack maps packets to the queues it was given.
            skb.free_any();
            return Transmit::Done;
        };
        let Some(producer) = set.tx.get_locked(queue).map(TxRing::producer) else {
            crate::stats::add(&set.counters.tx_dropped, 1);
            skb.free_any();
            return Transmit::Done;
        };
        match producer.transmit::<D>(&this.hw, this.dma(), queue, &set.counters, skb) {
            Ok(()) => Transmit::Done,
            Err(skb) => Transmit::Busy(skb),
        }
    }

    fn get_stats64(_dev: &netdev::Device, this: &Self) -> LinkStats {
        let mut total = LinkStats::default();
        for set in this.queue_sets.iter() {
            set.counters.add_link_stats(&mut total);
        }
        total
    }

    fn queue_stats(
        _dev: &netdev::Device,
        this: &Self,
        queue: u32,
    ) -> (netdev::QueueRxStats, netdev::QueueTxStats) {
        let mut stats: (netdev::QueueRxStats, netdev::QueueTxStats) = Default::default();
        if let Some(set) = this.queue_set(queue) {
            let tso = D::DESCRIPTION.offers_tso();
            set.counters
                .add_queue_stats(&mut stats.0, &mut stats.1, tso);
        }
        stats
    }

    fn base_queue_stats(
        dev: &netdev::Device,
        this: &Self,
    ) -> (netdev::QueueRxStats, netdev::QueueTxStats) {
        // The queue sets the stack no longer shows keep what they counted.
        let mut stats: (netdev::QueueRxStats, netdev::QueueTxStats) = Default::default();
        let shown = dev.real_num_tx_queues() as usize;
        // Every field the queues report, 0 if no set is hidden.
        let tso = D::DESCRIPTION.offers_tso();
        if tso {
            stats.1.hw_gso = Some(Default::default());
        }
        for set in this.queue_sets.iter().skip(shown) {
            set.counters
                .add_queue_stats(&mut stats.0, &mut stats.1, tso);
        }
        stats
    }

    fn set_rx_mode(dev: &netdev::Device, this: &Self, addresses: &netdev::AddressListsLocked<'_>) {
        // Stopped, the hardware takes no filter: `bring_up` applies the current one.
        if this.rx_filter_live.load(Ordering::Relaxed) {
            this.apply_rx_filter(dev, addresses);
        }
    }

    fn change_mtu(dev: &netdev::Device, this: &Self, mtu: u32) -> Result {
        let limits = Self::buffer_limits();
        limits.buffer_size(mtu).ok_or(EINVAL)?;
        if this.xdp.is_set() && !limits.fits_one_buffer(mtu) {
            dev_warn!(
                this.dma(),
                "MTU {mtu} refused: an XDP program needs frames in one buffer\n"
            );
            return Err(EINVAL);
        }
        let old = dev.mtu();
        let plan = match (this.running_plan(), limits.buffer_size(mtu)) {
            (Some(plan), Some(buffer_size)) => Some(RingPlan {
                buffer_size,
                ..plan
            }),
            _ => None,
        };
        this.restart_with(
            "MTU",
            plan,
            || {
                dev.set_mtu(mtu);
                Ok(())
            },
            || dev.set_mtu(old),
        )
    }

    fn features_check(skb: &SkBuffRef, _dev: &netdev::Device, _this: &Self, features: u64) -> u64 {
        crate::tx::offloads_within_reach::<D>(skb, features)
    }

    fn change_features(dev: &netdev::Device, this: &Self, features: u64) -> Result {
        // The other changeable features are read where they apply (RX checksum and hash
        // per packet) or at the next packet's xmit.
        // Turned on, the filter starts with the VLANs iflib kept; the stack re-adds its
        // VLANs only once this returns, and until then frames of a VLAN added while the
        // filter was off are dropped (as with the C drivers).
        let filter = netdev::features::HW_VLAN_CTAG_FILTER;
        if dev.has_features(filter) != (features & filter != 0) {
            this.set_vlan_filtering(dev, features & filter != 0);
        }
        Ok(())
    }

    fn vlan_rx_add_vid(_dev: &netdev::Device, this: &Self, vid: u16) -> Result {
        this.set_vlan(vid, true)
    }

    fn vlan_rx_kill_vid(_dev: &netdev::Device, this: &Self, vid: u16) -> Result {
        this.set_vlan(vid, false)
    }

    fn tx_timeout(_dev: &netdev::Device, this: &Self, queue: u32) {
        // The watchdog holds every TX queue's lock: this queue's counters take the write.
        if let Some(set) = this.queue_set(queue) {
            crate::stats::add(&set.counters.tx_timeouts, 1);
        }
        this.reset_requested.store(true, Ordering::Relaxed);
        this.admin.run_now();
    }

    fn set_xdp_program(
        dev: &netdev::Device,
        this: &Self,
        prog: Option<BpfProgram>,
        extack: &mut ExtAck,
    ) -> Result {
        // Programs see whole frames: each must fit one RX buffer (and its page keeps
        // XDP's headroom and a packet's tailroom, see `buffer_limits`).
        if prog.is_some() && !Self::buffer_limits().fits_one_buffer(dev.mtu()) {
            extack.set_message(c"MTU too large for XDP: a frame must fit one RX buffer");
            return Err(EINVAL);
        }
        // The old program (dropped here) is freed once NAPI polls that may run it are over.
        drop(this.xdp.replace(prog));
        Ok(())
    }

    fn xdp_transmit(
        dev: &netdev::Device,
        this: &Self,
        frames: &mut XmitFrames<'_>,
        flush: bool,
    ) -> Result {
        // The TX ring of the queue set this CPU's share falls on: redirected frames come
        // from any CPU, and the queue's lock orders them with that queue's other senders.
        let running = this.running_sets.load(Ordering::Relaxed).max(1);
        let index = kernel::cpu::CpuId::current().as_u32() % running;
        let set = this.queue_set(index).ok_or(ENETDOWN)?;
        let queue = dev.tx_queue(set.index).ok_or(ENETDOWN)?;
        // As for XDP_TX: the stack's queue lock orders the doorbell with the xmit path's.
        let context = frames.context();
        let queue_lock = queue.lock_in_softirq(&context);
        // Stopping clears `up`, then takes this lock (`tx_disable`): after that, no frame is
        // placed on a ring being torn down, nor a doorbell rung on stopped hardware.
        if !this.up.load(Ordering::Acquire) {
            return Err(ENETDOWN);
        }
        let mut sent = 0;
        let mut tail = None;
        let producer = set
            .tx
            .get_locked(&queue_lock)
            .map(TxRing::producer)
            .ok_or(ENETDOWN)?;
        while let Some(frame) = frames.take() {
            if let Err(frame) = producer.post_redirected::<D>(&this.hw, this.dma(), frame) {
                frames.give_back(frame);
                break;
            }
            sent += 1;
        }
        if flush {
            tail = Some(producer.doorbell_tail());
        }
        crate::stats::add(&set.counters.xdp_xmit, sent);
        if let Some(tail) = tail {
            D::tx_doorbell(&this.hw, set.index, tail);
            queue_lock.note_progress();
        }
        Ok(())
    }
}
