// SPDX-License-Identifier: GPL-2.0

//! ethtool operations of a network device.
//!
//! C header: [`include/linux/ethtool.h`](srctree/include/linux/ethtool.h)

use crate::{
    bindings,
    error::from_result,
    net::device::{
        Device,
        Registration, //
    },
    prelude::*,
    str::CStr, //
};

/// Where an ethtool request can explain a refusal (`struct netlink_ext_ack`).
pub struct ExtAck(*mut bindings::netlink_ext_ack);

impl ExtAck {
    /// Attaches `msg` to the reply (shown by `ethtool` next to the error).
    pub fn set_message(&mut self, msg: &'static CStr) {
        if !self.0.is_null() {
            // SAFETY: A non-null extack is valid for the duration of the request.
            unsafe { (*self.0)._msg = msg.as_char_ptr() };
        }
    }
}

/// Ring sizes (`ethtool -g` / `-G`).
#[derive(Clone, Copy, Debug, Default)]
pub struct RingSizes {
    /// Largest RX ring.
    pub rx_max: u32,
    /// Largest TX ring.
    pub tx_max: u32,
    /// Current (or requested) RX ring size.
    pub rx: u32,
    /// Current (or requested) TX ring size.
    pub tx: u32,
}

/// Driver identification (`ethtool -i`).
pub struct DriverInfo<'a> {
    /// Driver name.
    pub driver: &'a CStr,
    /// Bus address of the device.
    pub bus_info: &'a CStr,
}

/// ethtool operations; `Self` is the device context of [`crate::net::device::Operations`].
#[vtable]
pub trait Operations: crate::net::device::Operations {
    /// Fills `ethtool -i` (process context).
    fn driver_info(dev: &Device, this: &Self, fill: &mut dyn FnMut(&DriverInfo<'_>));

    /// Returns the ring sizes (RTNL).
    fn get_ring_sizes(_dev: &Device, _this: &Self) -> RingSizes {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies new ring sizes (RTNL); refuse bad values with `EINVAL` and a message.
    fn set_ring_sizes(
        _dev: &Device,
        _this: &Self,
        _sizes: RingSizes,
        _extack: &mut ExtAck,
    ) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }
}

fn copy_cstr(dst: &mut [c_char], src: &CStr) {
    let bytes = src.to_bytes();
    let n = bytes.len().min(dst.len().saturating_sub(1));
    for (d, s) in dst.iter_mut().zip(bytes[..n].iter()) {
        *d = *s as c_char;
    }
    if let Some(end) = dst.get_mut(n) {
        *end = 0;
    }
}

struct Table<T: Operations>(core::marker::PhantomData<T>);

impl<T: Operations> Table<T> {
    const OPS: bindings::ethtool_ops = bindings::ethtool_ops {
        get_drvinfo: Some(Self::get_drvinfo),
        get_link: Some(bindings::ethtool_op_get_link),
        get_ringparam: if T::HAS_GET_RING_SIZES {
            Some(Self::get_ringparam)
        } else {
            None
        },
        set_ringparam: if T::HAS_SET_RING_SIZES {
            Some(Self::set_ringparam)
        } else {
            None
        },
        ..pin_init::zeroed()
    };

    extern "C" fn get_drvinfo(
        dev: *mut bindings::net_device,
        info: *mut bindings::ethtool_drvinfo,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `info` is valid for the call.
        let info = unsafe { &mut *info };
        T::driver_info(dev, this, &mut |di| {
            copy_cstr(&mut info.driver, di.driver);
            copy_cstr(&mut info.bus_info, di.bus_info);
        });
    }

    extern "C" fn get_ringparam(
        dev: *mut bindings::net_device,
        ring: *mut bindings::ethtool_ringparam,
        _kernel_ring: *mut bindings::kernel_ethtool_ringparam,
        _extack: *mut bindings::netlink_ext_ack,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let sizes = T::get_ring_sizes(dev, this);
        // SAFETY: `ring` is valid for the call.
        let ring = unsafe { &mut *ring };
        ring.rx_max_pending = sizes.rx_max;
        ring.tx_max_pending = sizes.tx_max;
        ring.rx_pending = sizes.rx;
        ring.tx_pending = sizes.tx;
    }

    extern "C" fn set_ringparam(
        dev: *mut bindings::net_device,
        ring: *mut bindings::ethtool_ringparam,
        _kernel_ring: *mut bindings::kernel_ethtool_ringparam,
        extack: *mut bindings::netlink_ext_ack,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `ring` is valid for the call.
        let ring = unsafe { &*ring };
        let sizes = RingSizes {
            rx_max: ring.rx_max_pending,
            tx_max: ring.tx_max_pending,
            rx: ring.rx_pending,
            tx: ring.tx_pending,
        };
        let mut extack = ExtAck(extack);
        from_result(|| T::set_ring_sizes(dev, this, sizes, &mut extack).map(|()| 0))
    }
}

/// Returns the operation table of `T`.
pub(crate) fn ops_of<T: Operations>() -> &'static bindings::ethtool_ops {
    &Table::<T>::OPS
}
