// SPDX-License-Identifier: GPL-2.0

//! What a driver reads finished work from: the TX ring's packets, the RX free lists, and
//! the completion rings of devices that report work on rings of their own.

use crate::{
    driver::FreeList,
    ring::Ring,
    tx::PacketEnds, //
};
use kernel::{
    device::{
        Bound,
        Device, //
    },
    prelude::*, //
};

/// A completion ring and the driver's place in it.
///
/// The device writes an entry for each piece of work it finished, in order, and marks it
/// with a generation bit: `true` on the first pass over the ring, flipped at each pass
/// after (vmxnet3's `gen`, bnxt's valid bit). An entry whose bit differs from
/// [`CompletionRing::generation`] has not been written on this pass yet. The driver reads the
/// word with the bit at [`CompletionRing::next`] first, then, if the bit matches, the rest
/// of the entry after a `dma_mb(Read)` (the device writes the bit last), and calls
/// [`CompletionRing::advance`] past the entries it consumed. An entry of two that spans the
/// end of the ring has its second half at slot 0 with the generation flipped
/// ([`CompletionRing::generation_at`]).
pub struct CompletionRing {
    ring: Ring,
    next: u32,
    generation: bool,
}

impl CompletionRing {
    /// A zeroed ring of `len` entries of `entry_size` bytes: no entry is of the first pass.
    pub(crate) fn new(dev: &Device<Bound>, len: u32, entry_size: usize) -> Result<Self> {
        Ok(Self {
            ring: Ring::new(dev, len, entry_size)?,
            next: 0,
            generation: true,
        })
    }

    /// The ring.
    #[inline]
    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// The entry to read next.
    #[inline]
    pub fn next(&self) -> u32 {
        self.next
    }

    /// The generation bit the device gives the entries of this pass over the ring.
    #[inline]
    pub fn generation(&self) -> bool {
        self.generation
    }

    /// The generation bit the device gives the entry `ahead` entries after
    /// [`CompletionRing::next`] (at most the ring's length ahead).
    #[inline]
    pub fn generation_at(&self, ahead: u32) -> bool {
        // No overflow: both are at most `Ring::MAX_LEN`.
        let wraps = self.next.wrapping_add(ahead.min(self.ring.len())) >= self.ring.len();
        self.generation != wraps
    }

    /// Moves past `entries` consumed entries (at most the ring's length), flipping the
    /// generation at the end of the ring.
    #[inline]
    pub fn advance(&mut self, entries: u32) {
        let len = self.ring.len();
        // No overflow: both are at most `Ring::MAX_LEN`.
        let mut next = self.next.wrapping_add(entries.min(len));
        if next >= len {
            next -= len;
            self.generation = !self.generation;
        }
        self.next = next;
    }
}

/// A queue set's TX side as [`crate::Datapath::tx_completed`] reads it.
pub struct TxCompletions<'a> {
    pub(crate) set: u32,
    pub(crate) ring: &'a Ring,
    pub(crate) ends: PacketEnds<'a>,
    pub(crate) completion: Option<&'a mut CompletionRing>,
}

impl TxCompletions<'_> {
    /// The queue set.
    #[inline]
    pub fn set(&self) -> u32 {
        self.set
    }

    /// The TX ring.
    #[inline]
    pub fn ring(&self) -> &Ring {
        self.ring
    }

    /// The slot of the last entry of each packet the hardware may be sending that is not
    /// counted yet, oldest first: what a completion that names an entry is matched against.
    /// [`crate::Datapath::tx_completed`] counts at most these.
    #[inline]
    pub fn packet_ends(&self) -> PacketEnds<'_> {
        self.ends.clone()
    }

    /// The TX completion ring, or the shared one.
    #[inline]
    pub fn completion_ring(&mut self) -> Option<&mut CompletionRing> {
        self.completion.as_deref_mut()
    }
}

/// A queue set's RX side as [`crate::Datapath::rx_next`] reads it.
pub struct RxCompletions<'a> {
    pub(crate) set: u32,
    pub(crate) head: &'a Ring,
    pub(crate) body: Option<&'a Ring>,
    pub(crate) oldest: [u32; 2],
    pub(crate) completion: Option<&'a mut CompletionRing>,
    pub(crate) tx_sent: u32,
}

impl RxCompletions<'_> {
    /// The queue set.
    #[inline]
    pub fn set(&self) -> u32 {
        self.set
    }

    /// Adds `packets` of the TX ring that a shared completion ring reported sent, read on
    /// the way to the next RX completion ([`crate::Completions::Shared`]); iflib retires
    /// them after the RX work of the poll.
    #[inline]
    pub fn tx_sent(&mut self, packets: u32) {
        self.tx_sent = self.tx_sent.saturating_add(packets);
    }

    /// The ring of `list`; `None` for a free list the layout does not have.
    #[inline]
    pub fn free_list(&self, list: FreeList) -> Option<&Ring> {
        match list {
            FreeList::Head => Some(self.head),
            FreeList::Body => self.body,
        }
    }

    /// The slot of `list`'s oldest buffer still with the hardware: the next to come back
    /// (buffers come back in the order they were given); `None` for a free list the layout
    /// does not have.
    #[inline]
    pub fn oldest(&self, list: FreeList) -> Option<u32> {
        match list {
            FreeList::Head => Some(self.oldest[0]),
            FreeList::Body => self.body.map(|_| self.oldest[1]),
        }
    }

    /// The RX completion ring, or the shared one.
    #[inline]
    pub fn completion_ring(&mut self) -> Option<&mut CompletionRing> {
        self.completion.as_deref_mut()
    }
}
