// SPDX-License-Identifier: GPL-2.0

//! The RX buffer size policy: iflib alone picks the size the hardware is given.

/// Ethernet header plus one VLAN tag plus FCS: what a frame adds to the MTU.
pub(crate) const FRAME_OVERHEAD: u32 = 14 + 4 + 4;

/// Most buffers one frame may span: the head plus the fragments an skb can hold (the
/// kernel's default `MAX_SKB_FRAGS` is 17; stay below it).
pub(crate) const MAX_BUFFERS_PER_FRAME: u32 = 1 + 16;

/// What the hardware and the page pool allow.
#[derive(Clone, Copy)]
pub(crate) struct BufferLimits {
    /// Sizes the hardware can be programmed with, ascending.
    pub(crate) sizes: &'static [u32],
    /// Largest frame the hardware handles.
    pub(crate) max_frame: u32,
    /// Largest buffer a page_pool page holds after headroom and packet tail.
    pub(crate) usable: u32,
}

impl BufferLimits {
    /// The buffer size for `mtu`: the smallest that holds a whole frame if one fits a page,
    /// else the largest that fits (frames then span several buffers). `None` when the
    /// frame is larger than the hardware or than `MAX_BUFFERS_PER_FRAME` buffers.
    pub(crate) fn buffer_size(&self, mtu: u32) -> Option<u32> {
        let frame = mtu.checked_add(FRAME_OVERHEAD)?;
        if frame > self.max_frame {
            return None;
        }
        let fitting = self.sizes.iter().copied().filter(|&s| s <= self.usable);
        let size = match fitting.clone().find(|&s| s >= frame) {
            Some(s) => s,
            None => fitting.max()?,
        };
        (frame.div_ceil(size) <= MAX_BUFFERS_PER_FRAME).then_some(size)
    }

    /// Whether a frame of `mtu` fits one buffer (as XDP programs need).
    pub(crate) fn fits_one_buffer(&self, mtu: u32) -> bool {
        match (self.buffer_size(mtu), mtu.checked_add(FRAME_OVERHEAD)) {
            (Some(size), Some(frame)) => size >= frame,
            _ => false,
        }
    }

    /// The largest MTU [`BufferLimits::buffer_size`] accepts (at least 68, IPv4's minimum).
    pub(crate) fn max_mtu(&self) -> u32 {
        let largest = self
            .sizes
            .iter()
            .copied()
            .filter(|&s| s <= self.usable)
            .max()
            .unwrap_or(0);
        let frame = self
            .max_frame
            .min(largest.saturating_mul(MAX_BUFFERS_PER_FRAME));
        frame.saturating_sub(FRAME_OVERHEAD).max(68)
    }
}

#[kernel::prelude::kunit_tests(iflib_rx_buffer)]
mod tests {
    use super::*;

    const EM: BufferLimits = BufferLimits {
        sizes: &[2048, 4096],
        max_frame: 16128,
        usable: 3456,
    };

    #[test]
    fn standard_mtu_gets_one_buffer() {
        assert_eq!(EM.buffer_size(1500), Some(2048));
        assert_eq!(EM.buffer_size(2026), Some(2048));
    }

    #[test]
    fn jumbo_frames_span_the_largest_fitting_buffer() {
        // 4096 does not fit a page after headroom: frames chain 2048-byte buffers.
        assert_eq!(EM.buffer_size(2027), Some(2048));
        assert_eq!(EM.buffer_size(9000), Some(2048));
    }

    #[test]
    fn frames_beyond_the_hardware_are_refused() {
        assert_eq!(EM.max_mtu(), 16128 - FRAME_OVERHEAD);
        assert_eq!(EM.buffer_size(EM.max_mtu()), Some(2048));
        assert_eq!(EM.buffer_size(EM.max_mtu() + 1), None);
        assert_eq!(EM.buffer_size(u32::MAX), None);
    }

    #[test]
    fn one_buffer_frames_for_xdp() {
        assert!(EM.fits_one_buffer(1500));
        assert!(EM.fits_one_buffer(2048 - FRAME_OVERHEAD));
        assert!(!EM.fits_one_buffer(2048 - FRAME_OVERHEAD + 1));
        assert!(!EM.fits_one_buffer(9000));
        assert!(!EM.fits_one_buffer(u32::MAX));
    }

    #[test]
    fn fragment_count_bounds_the_mtu() {
        let small = BufferLimits {
            sizes: &[256],
            max_frame: 16128,
            usable: 3456,
        };
        assert_eq!(
            small.max_mtu(),
            256 * MAX_BUFFERS_PER_FRAME - FRAME_OVERHEAD
        );
        assert_eq!(small.buffer_size(small.max_mtu() + 1), None);
    }
}
