// SPDX-License-Identifier: GPL-2.0

//! The pieces of a packet being placed on a TX ring, as the driver sees them: each mapped
//! buffer cut into segments no longer than one ring entry may carry.

use crate::driver::TxSegment;
use core::mem::MaybeUninit;
use kernel::dma::DmaAddress;

/// Most segments iflib gathers for one packet: the linear part and the kernel's default
/// `MAX_SKB_FRAGS` (17) fragments.
pub(crate) const MAX_SEGMENTS: usize = 18;

/// A buffer did not fit in the segments left.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooManySegments;

/// The segments of one packet, gathered on the xmit path's stack. Left uninitialised
/// beyond `count`: the xmit path should not pay for clearing room a small packet does not
/// use.
pub(crate) struct Segments {
    segments: [MaybeUninit<TxSegment>; MAX_SEGMENTS],
    /// The first `count` segments are initialised.
    count: usize,
    /// Most segments this packet may have (at most [`MAX_SEGMENTS`]).
    limit: usize,
    /// Most bytes one segment may carry (at least 1).
    max_len: u32,
}

impl Segments {
    /// No segments yet; at most `limit` of at most `max_len` bytes each.
    #[inline]
    pub(crate) fn new(limit: usize, max_len: u32) -> Self {
        Self {
            segments: [const { MaybeUninit::uninit() }; MAX_SEGMENTS],
            count: 0,
            limit: limit.min(MAX_SEGMENTS),
            max_len: max_len.max(1),
        }
    }

    /// Adds the `len` bytes mapped at `address` as one segment, or several where they
    /// exceed the most one segment may carry; returns how many. When they do not all fit,
    /// those that did stay added (the caller counts them to undo its entries).
    #[inline]
    pub(crate) fn push_buffer(
        &mut self,
        address: DmaAddress,
        len: u32,
    ) -> Result<usize, TooManySegments> {
        let before = self.count;
        let mut offset = 0;
        loop {
            let piece = (len - offset).min(self.max_len);
            let segment = TxSegment {
                address: address + u64::from(offset),
                len: piece,
            };
            let slot = self
                .segments
                .get_mut(self.count)
                .filter(|_| self.count < self.limit)
                .ok_or(TooManySegments)?;
            slot.write(segment);
            self.count += 1;
            offset += piece;
            if offset >= len {
                return Ok(self.count - before);
            }
        }
    }

    /// How many segments were added.
    #[inline]
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The segments added so far.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[TxSegment] {
        let count = self.count.min(MAX_SEGMENTS);
        // SAFETY: The first `count` segments are initialised (see `count`); `MaybeUninit<T>`
        // has the layout of `T`.
        unsafe { core::slice::from_raw_parts(self.segments.as_ptr().cast::<TxSegment>(), count) }
    }
}

#[kernel::prelude::kunit_tests(iflib_tx_segments)]
mod tests {
    use super::*;
    use kernel::prelude::*;

    /// The 8254x's largest buffer per descriptor.
    const EM_MAX_LEN: u32 = 16288;

    fn pieces(segments: &Segments) -> KVec<(u64, u32)> {
        let mut out = KVec::new();
        for s in segments.as_slice() {
            out.push((s.address, s.len), GFP_KERNEL).unwrap();
        }
        out
    }

    #[test]
    fn short_buffers_stay_whole() {
        let mut segments = Segments::new(MAX_SEGMENTS, EM_MAX_LEN);
        assert_eq!(segments.push_buffer(0x1000, 60), Ok(1));
        assert_eq!(segments.push_buffer(0x9000, EM_MAX_LEN), Ok(1));
        assert_eq!(
            &pieces(&segments)[..],
            &[(0x1000, 60), (0x9000, EM_MAX_LEN)]
        );
    }

    #[test]
    fn long_buffers_are_cut_in_order() {
        let mut segments = Segments::new(MAX_SEGMENTS, EM_MAX_LEN);
        // A 32 KiB page fragment and what remains of a 64 KiB TSO packet's head.
        assert_eq!(segments.push_buffer(0x10_0000, 32768), Ok(3));
        let third = 32768 - 2 * EM_MAX_LEN;
        assert_eq!(
            &pieces(&segments)[..],
            &[
                (0x10_0000, EM_MAX_LEN),
                (0x10_0000 + u64::from(EM_MAX_LEN), EM_MAX_LEN),
                (0x10_0000 + 2 * u64::from(EM_MAX_LEN), third),
            ]
        );
        let total: u32 = segments.as_slice().iter().map(|s| s.len).sum();
        assert_eq!(total, 32768);
    }

    #[test]
    fn an_exact_multiple_leaves_no_empty_segment() {
        let mut segments = Segments::new(MAX_SEGMENTS, 4096);
        assert_eq!(segments.push_buffer(0, 3 * 4096), Ok(3));
        assert!(segments.as_slice().iter().all(|s| s.len == 4096));
    }

    #[test]
    fn an_empty_linear_part_is_one_segment() {
        let mut segments = Segments::new(MAX_SEGMENTS, EM_MAX_LEN);
        assert_eq!(segments.push_buffer(0x2000, 0), Ok(1));
        assert_eq!(&pieces(&segments)[..], &[(0x2000, 0)]);
    }

    #[test]
    fn the_limit_refuses_what_does_not_fit() {
        let mut segments = Segments::new(4, EM_MAX_LEN);
        assert_eq!(segments.push_buffer(0, 2 * EM_MAX_LEN), Ok(2));
        assert_eq!(
            segments.push_buffer(0x100_0000, 3 * EM_MAX_LEN),
            Err(TooManySegments)
        );
        // What fit stays counted, for the caller to undo.
        assert_eq!(segments.count(), 4);
        assert_eq!(segments.push_buffer(0, 1), Err(TooManySegments));
    }

    #[test]
    fn the_limit_never_exceeds_the_array() {
        let mut segments = Segments::new(usize::MAX, 1);
        assert_eq!(
            segments.push_buffer(0, MAX_SEGMENTS as u32 + 1),
            Err(TooManySegments)
        );
        assert_eq!(segments.count(), MAX_SEGMENTS);
    }
}
