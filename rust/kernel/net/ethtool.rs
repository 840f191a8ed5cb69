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

/// Queue sets (`ethtool -l` / `-L`): each channel is a combined TX and RX queue pair.
#[derive(Clone, Copy, Debug, Default)]
pub struct Channels {
    /// Most channels the device supports.
    pub max_combined: u32,
    /// Channels in use (or requested).
    pub combined: u32,
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

    /// Returns the channel counts (RTNL).
    fn get_channels(_dev: &Device, _this: &Self) -> Channels {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Applies a new channel count (RTNL); refuse what the device cannot do with `EINVAL`.
    fn set_channels(_dev: &Device, _this: &Self, _channels: Channels) -> Result {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Number of 32-bit registers [`Operations::get_registers`] dumps (`ethtool -d`).
    fn registers_len(_dev: &Device, _this: &Self) -> usize {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Fills `out` with a register dump; returns the dump format's version.
    fn get_registers(_dev: &Device, _this: &Self, _out: &mut [u32]) -> u32 {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Names of the driver statistics (`ethtool -S`), at most 32 bytes each.
    fn stats_names(_dev: &Device, _this: &Self) -> &'static [&'static CStr] {
        build_error!(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Fills `values` (one per name of [`Operations::stats_names`]).
    fn stats_values(_dev: &Device, _this: &Self, _values: &mut [u64]) {
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
        get_regs_len: if T::HAS_REGISTERS_LEN {
            Some(Self::get_regs_len)
        } else {
            None
        },
        get_regs: if T::HAS_GET_REGISTERS {
            Some(Self::get_regs)
        } else {
            None
        },
        get_channels: if T::HAS_GET_CHANNELS {
            Some(Self::get_channels)
        } else {
            None
        },
        set_channels: if T::HAS_SET_CHANNELS {
            Some(Self::set_channels)
        } else {
            None
        },
        get_sset_count: if T::HAS_STATS_NAMES {
            Some(Self::get_sset_count)
        } else {
            None
        },
        get_strings: if T::HAS_STATS_NAMES {
            Some(Self::get_strings)
        } else {
            None
        },
        get_ethtool_stats: if T::HAS_STATS_VALUES {
            Some(Self::get_ethtool_stats)
        } else {
            None
        },
        ..pin_init::zeroed()
    };

    extern "C" fn get_regs_len(dev: *mut bindings::net_device) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let bytes = T::registers_len(dev, this).saturating_mul(core::mem::size_of::<u32>());
        c_int::try_from(bytes).unwrap_or(0)
    }

    extern "C" fn get_regs(
        dev: *mut bindings::net_device,
        regs: *mut bindings::ethtool_regs,
        data: *mut c_void,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let len = T::registers_len(dev, this);
        // SAFETY: ethtool allocated `data` with `get_regs_len` bytes, `u32` aligned (it is
        // a kernel allocation), and zeroed it.
        let out = unsafe { core::slice::from_raw_parts_mut(data.cast::<u32>(), len) };
        let version = T::get_registers(dev, this, out);
        // SAFETY: `regs` is valid for the call.
        unsafe { (*regs).version = version };
    }

    extern "C" fn get_channels(
        dev: *mut bindings::net_device,
        ch: *mut bindings::ethtool_channels,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let channels = T::get_channels(dev, this);
        // SAFETY: `ch` is valid for the call.
        let ch = unsafe { &mut *ch };
        ch.max_combined = channels.max_combined;
        ch.combined_count = channels.combined;
    }

    extern "C" fn set_channels(
        dev: *mut bindings::net_device,
        ch: *mut bindings::ethtool_channels,
    ) -> c_int {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        // SAFETY: `ch` is valid for the call.
        let ch = unsafe { &*ch };
        if ch.rx_count != 0 || ch.tx_count != 0 || ch.other_count != 0 {
            return EINVAL.to_errno();
        }
        let channels = Channels {
            max_combined: ch.max_combined,
            combined: ch.combined_count,
        };
        from_result(|| T::set_channels(dev, this, channels).map(|()| 0))
    }

    extern "C" fn get_sset_count(dev: *mut bindings::net_device, sset: c_int) -> c_int {
        if sset != bindings::ethtool_stringset_ETH_SS_STATS as c_int {
            return EOPNOTSUPP.to_errno();
        }
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        T::stats_names(dev, this).len() as c_int
    }

    extern "C" fn get_strings(dev: *mut bindings::net_device, sset: u32, data: *mut u8) {
        if sset != bindings::ethtool_stringset_ETH_SS_STATS {
            return;
        }
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let names = T::stats_names(dev, this);
        let len = bindings::ETH_GSTRING_LEN as usize;
        // SAFETY: ethtool sized `data` from `get_sset_count`: `ETH_GSTRING_LEN` bytes per name.
        let out =
            unsafe { core::slice::from_raw_parts_mut(data.cast::<c_char>(), names.len() * len) };
        for (chunk, name) in out.chunks_exact_mut(len).zip(names.iter()) {
            copy_cstr(chunk, name);
        }
    }

    extern "C" fn get_ethtool_stats(
        dev: *mut bindings::net_device,
        _stats: *mut bindings::ethtool_stats,
        data: *mut u64,
    ) {
        // SAFETY: ethtool only calls this on a registered device of `Registration<T>`.
        let (dev, this) = unsafe { Registration::<T>::context(dev) };
        let count = T::stats_names(dev, this).len();
        // SAFETY: ethtool sized `data` from `get_sset_count`: one `u64` per name.
        let values = unsafe { core::slice::from_raw_parts_mut(data, count) };
        values.fill(0);
        T::stats_values(dev, this, values);
    }

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

#[macros::kunit_tests(rust_net_ethtool)]
mod tests {
    use super::*;

    fn as_chars(bytes: &[u8]) -> KVec<c_char> {
        let mut v = KVec::new();
        for b in bytes {
            if v.push(*b as c_char, GFP_KERNEL).is_err() {
                break;
            }
        }
        v
    }

    #[test]
    fn copy_cstr_fits_and_terminates() {
        let mut buf = [0x55 as c_char; 8];
        copy_cstr(&mut buf, c"em");
        assert_eq!(&buf[..3], &as_chars(b"em\0")[..]);
    }

    #[test]
    fn copy_cstr_truncates_to_the_buffer() {
        let mut buf = [0x55 as c_char; 6];
        copy_cstr(&mut buf, c"iflib_em");
        assert_eq!(&buf[..], &as_chars(b"iflib\0")[..]);
    }

    #[test]
    fn copy_cstr_into_nothing_is_harmless() {
        let mut buf: [c_char; 0] = [];
        copy_cstr(&mut buf, c"x");
        assert!(buf.is_empty());
    }
}
