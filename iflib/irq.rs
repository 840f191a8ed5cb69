// SPDX-License-Identifier: GPL-2.0

//! Interrupt lines of an adapter.
//!
//! With MSI-X each queue set has a vector of its own and the other causes one more; without
//! it one MSI or INTx vector serves one queue set and everything else. The kernel crate's
//! `irq::Registration` borrows its vector allocation, which cannot live in the same
//! structure; iflib requests and frees its lines with `kernel::net::interrupt`, tied to
//! open and stop.

use crate::driver::InterruptRouting;
use kernel::{
    device::Bound,
    irq::IrqRequest,
    net::interrupt::Line,
    pci,
    prelude::*, //
};

/// The interrupt vectors allocated to a device, freed when dropped (after its lines).
pub(crate) struct Vectors<'bound> {
    /// The Linux interrupt numbers of the queue sets' vectors (MSI-X table entry `i` for
    /// queue set `i`), or of the one vector for every cause.
    pub(crate) queue: KVec<u32>,
    /// The other causes' (link) vector, with MSI-X: the entry after the queue sets'.
    pub(crate) admin: Option<u32>,
    /// Whether each vector is a line of its own (MSI-X, MSI), not the INTx line that other
    /// devices may share: only such a line takes its NAPI context's affinity.
    pub(crate) exclusive: bool,
    _allocation: pci::IrqVectorRegistration<'bound>,
}

impl<'bound> Vectors<'bound> {
    /// Allocates with MSI-X if `msix` (the driver routes it, the operator allows it) a
    /// vector for each of up to `queue_sets` queue sets and one for the other causes (at
    /// least two in all); else, or if the device has no MSI-X, one MSI or the shared INTx
    /// line.
    pub(crate) fn allocate(
        pdev: &'bound pci::Device<Bound>,
        msix: bool,
        queue_sets: u32,
    ) -> Result<Self> {
        let irq_of = |vectors: &pci::IrqVectorRegistration<'bound>, index| -> Result<u32> {
            Ok(IrqRequest::from(vectors.index(index)?).irq())
        };
        if msix {
            let types = pci::IrqTypes::default().with(pci::IrqType::MsiX);
            if let Ok(allocation) = pdev.alloc_irq_vectors(2, queue_sets.max(1) + 1, types) {
                let sets = allocation.len() - 1;
                let mut queue = KVec::with_capacity(sets, GFP_KERNEL)?;
                for index in 0..sets {
                    queue.push(irq_of(&allocation, index)?, GFP_KERNEL)?;
                }
                let admin = Some(irq_of(&allocation, sets)?);
                return Ok(Self {
                    queue,
                    admin,
                    exclusive: true,
                    _allocation: allocation,
                });
            }
        }
        let msi = pci::IrqTypes::default().with(pci::IrqType::Msi);
        let intx = pci::IrqTypes::default().with(pci::IrqType::Intx);
        let (allocation, exclusive) = match pdev.alloc_irq_vectors(1, 1, msi) {
            Ok(allocation) => (allocation, true),
            Err(_) => (pdev.alloc_irq_vectors(1, 1, intx)?, false),
        };
        let mut queue = KVec::with_capacity(1, GFP_KERNEL)?;
        queue.push(irq_of(&allocation, 0)?, GFP_KERNEL)?;
        Ok(Self {
            queue,
            admin: None,
            exclusive,
            _allocation: allocation,
        })
    }

    /// How many queue sets the vectors serve: one per vector with MSI-X, else one.
    pub(crate) fn queue_sets(&self) -> u32 {
        match self.admin {
            Some(_) => self.queue.len() as u32,
            None => 1,
        }
    }

    /// How the device is to route its causes to these vectors with `sets` queue sets
    /// started (at most [`Vectors::queue_sets`]).
    pub(crate) fn routing(&self, sets: u32) -> InterruptRouting {
        match self.admin {
            Some(_) => InterruptRouting::MsiX {
                queue_sets: sets as u16,
                admin_vector: self.queue.len() as u16,
            },
            None => InterruptRouting::Single,
        }
    }
}

/// The requested lines of an adapter, freed (queue sets' lines first) when dropped.
pub(crate) struct Lines {
    pub(crate) _queue: KVec<Line>,
    pub(crate) _admin: Option<Line>,
}
