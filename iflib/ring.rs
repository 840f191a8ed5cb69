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
use zerocopy::{
    FromBytes,
    Immutable,
    IntoBytes, //
};

/// A ring of `len` entries of `entry_words` 64-bit words in coherent DMA memory.
///
/// Drivers declare their entries as `#[repr(C)]` types and read them whole with
/// [`Ring::read`], the word with the done bit alone with [`Ring::read_last`], and write them
/// whole with [`Ring::write`]; each word is one volatile, aligned 64-bit access, so a status
/// word is read consistently.
pub struct Ring {
    memory: Coherent<[u64]>,
    len: u32,
    entry_words: usize,
}

impl Ring {
    /// The most entries a ring may have: more than any hardware iflib drives takes, and
    /// small enough that sums of two ring indices never overflow.
    pub const MAX_LEN: u32 = 1 << 16;

    /// The largest entry in bytes: the hardware iflib drives has 16-byte entries (a
    /// 32-byte completion is two of them).
    pub const MAX_ENTRY_SIZE: usize = 32;

    /// Allocates a zeroed ring of `len` entries of `entry_size` bytes (a multiple of 8, at
    /// most [`Ring::MAX_ENTRY_SIZE`]).
    pub(crate) fn new(dev: &Device<Bound>, len: u32, entry_size: usize) -> Result<Self> {
        if entry_size == 0
            || entry_size % 8 != 0
            || entry_size > Self::MAX_ENTRY_SIZE
            || len == 0
            || len > Self::MAX_LEN
        {
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

    /// Reads entry `slot` whole as `E`, its last 64-bit word first.
    ///
    /// `E` is the driver's `#[repr(C)]` type of the entry, its fields little-endian as the
    /// device has them (zerocopy's `little_endian` types, bytes). `None` when `slot` is out of
    /// range or `E` is not the ring's entry size.
    #[inline]
    pub fn read<E: FromBytes>(&self, slot: u32) -> Option<E> {
        let words = self.words_of::<E>()?;
        let first = self.word_ptr(slot, 0)?;
        let mut entry = [0u64; MAX_ENTRY_WORDS];
        for (i, word) in entry.iter_mut().enumerate().take(words).rev() {
            // SAFETY: Word `i` of entry `slot` is in the ring (`i < entry_words`) and aligned
            // (the ring is an array of `u64`); the device, or another CPU, may write it
            // concurrently: a volatile aligned access races with them as the LKMM allows,
            // one 64-bit access (iflib builds on 64-bit architectures only), and any value
            // read is a valid `u64`.
            *word = unsafe { first.add(i).read_volatile() };
        }
        E::read_from_prefix(entry.as_bytes())
            .ok()
            .map(|(entry, _)| entry)
    }

    /// Reads the last 64-bit word of entry `slot` as `L`: the word the device writes last,
    /// with the done, ownership or generation bit that says whether the rest is valid
    /// (read the rest after a `dma_mb(Read)`). `L` is 8 bytes (checked at build time);
    /// `None` when `slot` is out of range.
    #[inline]
    pub fn read_last<L: FromBytes>(&self, slot: u32) -> Option<L> {
        const { assert!(size_of::<L>() == 8) };
        // No overflow: `entry_words` is at least 1 (`Ring::new`).
        let ptr = self.word_ptr(slot, self.entry_words.wrapping_sub(1))?;
        // SAFETY: As in `read`, for one word (`word_ptr` checked it is in the ring).
        let word = unsafe { ptr.read_volatile() };
        L::read_from_bytes(word.as_bytes()).ok()
    }

    /// Writes `entry` whole at `slot`, word 0 first, the last word last. Ignored when `slot`
    /// is out of range or `E` is not the ring's entry size.
    #[inline]
    pub fn write<E: IntoBytes + Immutable>(&self, slot: u32, entry: &E) {
        let Some(words) = self.words_of::<E>() else {
            return;
        };
        let Some(first) = self.word_ptr(slot, 0) else {
            return;
        };
        let mut buffer = [0u64; MAX_ENTRY_WORDS];
        let Some(bytes) = buffer.as_mut_bytes().get_mut(..size_of::<E>()) else {
            return;
        };
        bytes.copy_from_slice(entry.as_bytes());
        for (i, word) in buffer.into_iter().enumerate().take(words) {
            // SAFETY: Word `i` of entry `slot` is in the ring (`i < entry_words`) and
            // aligned; a volatile aligned 64-bit write racing with the device or another
            // CPU is allowed by the LKMM. (Which entries the driver may write, those the
            // hardware does not own, is a correctness rule, not a memory-safety one.)
            unsafe { first.add(i).write_volatile(word) }
        }
    }

    /// The entry size of `E` in 64-bit words, if it is this ring's. Whole words, at most
    /// [`Ring::MAX_ENTRY_SIZE`], checked at build time.
    #[inline(always)]
    fn words_of<E>(&self) -> Option<usize> {
        const { assert!(size_of::<E>() % 8 == 0 && size_of::<E>() <= Ring::MAX_ENTRY_SIZE) };
        let words = size_of::<E>() / 8;
        (words == self.entry_words).then_some(words)
    }
}

/// The largest ring entry, in 64-bit words ([`Ring::MAX_ENTRY_SIZE`]).
const MAX_ENTRY_WORDS: usize = Ring::MAX_ENTRY_SIZE / 8;

/// One empty software slot per ring entry, for what the framework tracks beside the ring.
pub(crate) fn empty_slots<T: Default>(len: u32) -> Result<KVec<T>> {
    let mut slots = KVec::with_capacity(len as usize, GFP_KERNEL)?;
    for _ in 0..len {
        slots.push(T::default(), GFP_KERNEL)?;
    }
    Ok(slots)
}
