// SPDX-License-Identifier: GPL-2.0

//! A DMA ring: a coherent array of fixed-size hardware entries.

use kernel::{
    device::{
        Bound,
        Device, //
    },
    dma::{
        Coherent,
        DmaAddress, //
    },
    prelude::*, //
};

/// A ring of `len` entries of `entry_words` 64-bit words in coherent DMA memory.
///
/// Drivers read entries with [`Ring::read`] and write them with [`Ring::write_entry`];
/// every access is a single volatile 64-bit access, so a status word read once is
/// consistent.
pub struct Ring {
    memory: Coherent<[u64]>,
    len: u32,
    entry_words: usize,
}

impl Ring {
    /// The most entries a ring may have: more than any hardware iflib drives takes, and
    /// small enough that sums of two ring indices never overflow.
    pub const MAX_LEN: u32 = 1 << 16;

    /// Allocates a zeroed ring of `len` entries of `entry_size` bytes (a multiple of 8).
    pub(crate) fn new(dev: &Device<Bound>, len: u32, entry_size: usize) -> Result<Self> {
        if entry_size == 0 || entry_size % 8 != 0 || len == 0 || len > Self::MAX_LEN {
            return Err(EINVAL);
        }
        let entry_words = entry_size / 8;
        let words = (len as usize).checked_mul(entry_words).ok_or(EINVAL)?;
        let memory = Coherent::<u64>::zeroed_slice(dev, words, GFP_KERNEL)?;
        Ok(Self {
            memory,
            len,
            entry_words,
        })
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Returns whether the ring has no entries (never true for an allocated ring).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Size of the ring in bytes, as programmed into the hardware.
    pub fn size_bytes(&self) -> usize {
        self.len as usize * self.entry_words * 8
    }

    /// Bus address of the first entry.
    pub fn dma_address(&self) -> DmaAddress {
        self.memory.dma_address()
    }

    /// The slot after `slot`, wrapping.
    #[inline]
    pub fn next(&self, slot: u32) -> u32 {
        // No overflow: `slot` is below `len`, at most `MAX_LEN`.
        let next = slot.wrapping_add(1);
        if next == self.len {
            0
        } else {
            next
        }
    }

    #[inline]
    fn word_ptr(&self, slot: u32, word: usize) -> Option<*mut u64> {
        if slot >= self.len || word >= self.entry_words {
            return None;
        }
        // No overflow: below `len * entry_words`, which `Ring::new` checked.
        let index = (slot as usize)
            .wrapping_mul(self.entry_words)
            .wrapping_add(word);
        // SAFETY: `index` is within the allocation of `len * entry_words` words.
        Some(unsafe { self.memory.as_mut_ptr().cast::<u64>().add(index) })
    }

    /// Reads word `word` of entry `slot` (little-endian on the bus); 0 when out of range.
    #[inline]
    pub fn read(&self, slot: u32, word: usize) -> u64 {
        match self.word_ptr(slot, word) {
            // SAFETY: `ptr` is in the ring and aligned; the device may write it concurrently,
            // which a volatile aligned 64-bit read tolerates.
            Some(ptr) => u64::from_le(unsafe { ptr.read_volatile() }),
            None => 0,
        }
    }

    /// Writes the first `N` words of entry `slot` in order (the whole entry when `N` is its
    /// size in words); ignored when out of range. One range check for the entry.
    #[inline]
    pub fn write_entry<const N: usize>(&self, slot: u32, words: [u64; N]) {
        let Some(first) = self.word_ptr(slot, 0) else {
            return;
        };
        if N > self.entry_words {
            return;
        }
        for (i, word) in words.into_iter().enumerate() {
            // SAFETY: Word `i` of entry `slot` is in the ring (`i < N <= entry_words`) and
            // aligned; the driver only writes entries the hardware does not own, and a
            // volatile aligned write is a single access.
            unsafe { first.add(i).write_volatile(word.to_le()) }
        }
    }
}

/// One empty software slot per ring entry, for what the framework tracks beside the ring.
pub(crate) fn empty_slots<T: Default>(len: u32) -> Result<KVec<T>> {
    let mut slots = KVec::with_capacity(len as usize, GFP_KERNEL)?;
    for _ in 0..len {
        slots.push(T::default(), GFP_KERNEL)?;
    }
    Ok(slots)
}
