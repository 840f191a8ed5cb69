// SPDX-License-Identifier: GPL-2.0

//! iflib's own knobs, the same for every driver, as ethtool private flags
//! (`ethtool --show-priv-flags`, `--set-priv-flags`). Each applies at once: iflib restarts a
//! running device where the knob needs it.

use crate::{
    adapter::Adapter,
    driver::Datapath, //
};
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// `disable-msix`: one MSI (or INTx) vector for everything instead of MSI-X, as e1000e's
/// `IntMode` and FreeBSD iflib's `disable_msix` offer, for platforms whose MSI-X
/// misbehaves. Listed only where the driver routes MSI-X and the device has it.
const DISABLE_MSIX: u32 = 1 << 0;

/// Flag names, bit `n` for name `n`.
const NAMES: &[&CStr] = &[c"disable-msix"];

impl<D: Datapath> Adapter<'_, D> {
    /// The knobs this device has.
    pub(crate) fn knob_names(&self) -> &'static [&'static CStr] {
        if self.msix_available {
            NAMES
        } else {
            &[]
        }
    }

    /// The knobs as private flags.
    pub(crate) fn knobs(&self) -> u32 {
        if self.msix_available && self.settings.msix_disabled.load(Ordering::Relaxed) {
            DISABLE_MSIX
        } else {
            0
        }
    }

    /// Applies private flags (RTNL; ethtool refused bits beyond [`Adapter::knob_names`]).
    pub(crate) fn set_knobs(&self, flags: u32) -> Result {
        if !self.msix_available {
            return Ok(());
        }
        self.set_msix_disabled(flags & DISABLE_MSIX != 0)
    }
}
