// SPDX-License-Identifier: GPL-2.0

//! iflib: a framework for PCI Ethernet drivers.
//!
//! A driver describes its hardware with a static [`Description`] and implements two traits:
//! [`Driver`] (lifecycle and control) and [`Datapath`] (the ring operations of the hot path).
//! The framework owns the rest: the net device, DMA rings, interrupts, the NAPI poll loop,
//! transmit batching with byte queue limits, receive buffers from a page pool, statistics
//! and ethtool. See `Documentation/networking/iflib/`.

#![no_std]
// KUnit suites are placed with `#[used(compiler)]`.
#![feature(used_with_arg)]

mod adapter;
mod admin;
mod buffer;
mod completions;
mod description;
mod driver;
mod ethtool;
mod installed;
mod interrupts;
mod irq;
mod knobs;
mod lifecycle;
mod mac_stats;
mod ndo;
mod poll;
mod queue_set;
mod ring;
mod ring_plan;
mod rx;
mod segments;
pub mod self_test;
mod stats;
mod tx;
mod vlan;
mod xdp;

pub use adapter::{
    Adapter,
    PciDriver, //
};
pub use driver::{
    Attached,
    ChecksumInsertion,
    CompletionRing,
    CompletionSpec,
    Completions,
    Datapath,
    Description,
    Driver,
    FlowControl,
    FlowType,
    FrameLengthRanges,
    FreeList,
    HashFields,
    HashType,
    Identify,
    InterruptCause,
    InterruptInterval,
    InterruptRouting,
    LinkConfig,
    LinkModes,
    LinkState,
    QueueSetRings,
    RingLayout,
    RingLimits,
    RingSpec,
    RxChecksum,
    RxCompletions,
    RxConfig,
    RxFilter,
    RxFragment,
    RxHash,
    RxHashPorts,
    TxChecksum,
    TxCompletions,
    TxPacket,
    TxSegment,
    TxTso,
    MAX_QUEUE_SETS,
    MAX_RX_HASH_TABLE_LEN,
    RX_HASH_KEY_LEN,
    VLAN_TABLE_WORDS, //
};
pub use mac_stats::MacCounters;
pub use ring::Ring;
pub use tx::PacketEnds;

/// `pr_*!` messages of iflib itself start with "iflib: " (as the kernel crate's own do
/// with its name).
const __LOG_PREFIX: &[u8] = b"iflib\0";

/// iflib is built into the kernel: its operation tables belong to no module.
#[doc(hidden)]
pub struct LocalModule;

impl kernel::ModuleMetadata for LocalModule {
    const NAME: &'static kernel::str::CStr = c"iflib";
    // SAFETY: Built-in code has no `struct module`; C uses a NULL `THIS_MODULE` there too.
    const THIS_MODULE: kernel::ThisModule =
        unsafe { kernel::ThisModule::from_ptr(core::ptr::null_mut()) };
}
