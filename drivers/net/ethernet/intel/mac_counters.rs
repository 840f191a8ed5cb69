// SPDX-License-Identifier: GPL-2.0

//! The MAC counters of Intel's gigabit controllers (the 8254x, the 82574, the 82576): one
//! block of 32-bit registers from 0x4000 that clear on read, laid out alike on all of them.
//! em and igb include this file (`#[path]`) and read the block with [`read`].

use iflib::MacCounters;

/// Indices of the counters in the block, from their offsets.
pub(crate) mod stat {
    const fn at(offset: usize) -> usize {
        (offset - 0x4000) / 4
    }

    /// Receive errors: bad CRC, misaligned.
    pub(crate) const CRCERRS: usize = at(0x4000);
    pub(crate) const ALGNERRC: usize = at(0x4004);
    /// Transmit collisions: single, excessive, multiple, late; deferred transmissions.
    pub(crate) const SCC: usize = at(0x4014);
    pub(crate) const ECOL: usize = at(0x4018);
    pub(crate) const MCC: usize = at(0x401c);
    pub(crate) const LATECOL: usize = at(0x4020);
    pub(crate) const DC: usize = at(0x4030);
    /// Pause frames: XON and XOFF received and sent.
    pub(crate) const XONRXC: usize = at(0x4048);
    pub(crate) const XONTXC: usize = at(0x404c);
    pub(crate) const XOFFRXC: usize = at(0x4050);
    pub(crate) const XOFFTXC: usize = at(0x4054);
    /// Frames received by length: 64, 65-127, 128-255, 256-511, 512-1023, 1024 and longer
    /// bytes; [`LENGTH_BUCKETS`] consecutive counters.
    pub(crate) const PRC64: usize = at(0x405c);
    /// Good frames received: all, broadcast, multicast; good frames sent.
    pub(crate) const GPRC: usize = at(0x4074);
    pub(crate) const BPRC: usize = at(0x4078);
    pub(crate) const MPRC: usize = at(0x407c);
    pub(crate) const GPTC: usize = at(0x4080);
    /// Good octets received and sent, 64 bits each (low, then high: reading high clears).
    pub(crate) const GORCL: usize = at(0x4088);
    pub(crate) const GOTCL: usize = at(0x4090);
    /// Received frames: undersized, fragments, oversized, jabbers.
    pub(crate) const RUC: usize = at(0x40a4);
    pub(crate) const RFC: usize = at(0x40a8);
    pub(crate) const ROC: usize = at(0x40ac);
    pub(crate) const RJC: usize = at(0x40b0);
    /// Frames sent by length, as [`PRC64`].
    pub(crate) const PTC64: usize = at(0x40d8);
    /// Good multicast and broadcast frames sent.
    pub(crate) const MPTC: usize = at(0x40f0);
    pub(crate) const BPTC: usize = at(0x40f4);
    /// How many length buckets [`PRC64`] and [`PTC64`] start.
    pub(crate) const LENGTH_BUCKETS: usize = 6;
}

/// Reads every counter of the block, `count(index)` reading the one at `index` (see
/// [`stat`]), into what iflib adds to its totals.
pub(crate) fn read(count: impl Fn(usize) -> u64) -> MacCounters {
    // The low half first: reading the high half clears both.
    let count64 = |low| count(low) | (count(low + 1) << 32);
    let mut counters = MacCounters {
        frames_sent: count(stat::GPTC),
        frames_received: count(stat::GPRC),
        octets_sent: count64(stat::GOTCL),
        octets_received: count64(stat::GORCL),
        multicast_sent: count(stat::MPTC),
        multicast_received: count(stat::MPRC),
        broadcast_sent: count(stat::BPTC),
        broadcast_received: count(stat::BPRC),
        fcs_errors: count(stat::CRCERRS),
        alignment_errors: count(stat::ALGNERRC),
        single_collisions: count(stat::SCC),
        multiple_collisions: count(stat::MCC),
        late_collisions: count(stat::LATECOL),
        excessive_collisions: count(stat::ECOL),
        deferred: count(stat::DC),
        undersize: count(stat::RUC),
        oversize: count(stat::ROC),
        fragments: count(stat::RFC),
        jabbers: count(stat::RJC),
        pause_sent: count(stat::XONTXC) + count(stat::XOFFTXC),
        pause_received: count(stat::XONRXC) + count(stat::XOFFRXC),
        ..MacCounters::default()
    };
    let buckets = counters.received_by_length.iter_mut();
    for (index, total) in (stat::PRC64..).zip(buckets.take(stat::LENGTH_BUCKETS)) {
        *total = count(index);
    }
    let buckets = counters.sent_by_length.iter_mut();
    for (index, total) in (stat::PTC64..).zip(buckets.take(stat::LENGTH_BUCKETS)) {
        *total = count(index);
    }
    counters
}
