// SPDX-License-Identifier: GPL-2.0

//! The 802.1Q VLAN filter: the VLANs the stack added (`ndo_vlan_rx_add_vid`), kept for
//! every start, and whether the hardware filters by them (`rx-vlan-filter`, and never while
//! the interface is promiscuous).

use crate::{
    adapter::Adapter,
    driver::{
        Datapath,
        VLAN_TABLE_WORDS, //
    },
};
use core::sync::atomic::{
    AtomicBool,
    AtomicU32,
    Ordering, //
};
use kernel::{
    net::device as netdev,
    prelude::*, //
};

/// One bit per VLAN id (written under RTNL, read at each start and change).
pub(crate) struct VlanTable {
    bits: [AtomicU32; VLAN_TABLE_WORDS],
    /// `rx-vlan-filter` is on.
    filtering: AtomicBool,
}

impl VlanTable {
    pub(crate) fn new(filtering: bool) -> Self {
        Self {
            bits: [const { AtomicU32::new(0) }; VLAN_TABLE_WORDS],
            filtering: AtomicBool::new(filtering),
        }
    }

    /// The table as the hardware takes it: with VLAN 0 always, so that priority-tagged
    /// frames (802.1p, no VLAN) pass whether or not the 8021q module added it, as the C
    /// Intel drivers keep it.
    pub(crate) fn words(&self) -> [u32; VLAN_TABLE_WORDS] {
        let mut words = [0; VLAN_TABLE_WORDS];
        for (word, bits) in words.iter_mut().zip(&self.bits) {
            *word = bits.load(Ordering::Relaxed);
        }
        words[0] |= 1;
        words
    }

    /// Whether the hardware is to drop frames of VLANs not in the table.
    pub(crate) fn filtering(&self) -> bool {
        self.filtering.load(Ordering::Relaxed)
    }

    fn set(&self, vid: u16, added: bool) -> Result {
        let word = self.bits.get(usize::from(vid) / 32).ok_or(EINVAL)?;
        let bit = 1u32 << (vid % 32);
        if added {
            word.fetch_or(bit, Ordering::Relaxed);
        } else {
            word.fetch_and(!bit, Ordering::Relaxed);
        }
        Ok(())
    }
}

impl<'bound, D: Datapath> Adapter<'bound, D> {
    /// Adds VLAN `vid` to the table, or removes it, and gives the table to a started
    /// device (RTNL).
    pub(crate) fn set_vlan(&self, vid: u16, added: bool) -> Result {
        self.settings.vlans.set(vid, added)?;
        if self.is_up() {
            D::set_vlan_table(&self.hw, &self.settings.vlans.words());
        }
        Ok(())
    }

    /// Turns VLAN filtering on or off (`rx-vlan-filter`; RTNL): a started device gets the
    /// receive filter again.
    pub(crate) fn set_vlan_filtering(&self, dev: &netdev::Device, on: bool) {
        self.settings.vlans.filtering.store(on, Ordering::Relaxed);
        if self.rx_filter_live.load(Ordering::Relaxed) {
            self.apply_rx_filter(dev, &dev.lock_addresses());
        }
    }
}
