// SPDX-License-Identifier: GPL-2.0

//! A pair of linked virtual Ethernet ports, with no hardware.
//!
//! Each port behaves like a small NIC: its NAPI poll keeps a ring of empty page_pool pages
//! ("RX buffers"); a frame sent on one port is copied into a free buffer of the other,
//! which then receives it through its NAPI and GRO. It exercises the net_device, NAPI,
//! page_pool and skb abstractions of `kernel::net` where no NIC is emulated.

use core::sync::atomic::{
    AtomicPtr,
    AtomicU64,
    Ordering, //
};
use kernel::{
    faux,
    net::{
        device::{
            self as netdev,
            Device,
            LinkStats,
            Registration,
            Transmit,
            Xmitting, //
        },
        napi::{
            BhDisabled,
            Napi,
            NapiOff,
            NapiOwner,
            Poll,
            Polled,
            Polling, //
        },
        page_pool::{
            PagePool,
            PoolPage, //
        },
        skb::SkBuff,
    },
    page::PAGE_SIZE,
    prelude::*,
    sync::{
        Mutex,
        SpinLock,
        SpinLockGuard, //
    },
};

module! {
    type: VportModule,
    name: "rust_net_vport",
    authors: ["The iflib developers"],
    description: "A pair of linked virtual Ethernet ports (Rust net abstractions sample)",
    license: "GPL v2",
}

/// RX buffers per port.
const RING: usize = 64;
/// Bytes kept free before a frame, as a NIC driver would.
const HEADROOM: usize = 256;
/// Largest frame a buffer takes (a page minus headroom and the packet tail).
const MAX_FRAME: usize = PAGE_SIZE - HEADROOM - 512;

/// The RX side of a port: empty buffers the poll provides, filled ones the peer queued.
struct RxRing {
    pool: Option<PagePool>,
    free: [Option<PoolPage>; RING],
    free_count: usize,
    filled: [Option<(PoolPage, u32)>; RING],
    filled_head: usize,
    filled_count: usize,
}

impl RxRing {
    fn new() -> Self {
        Self {
            pool: None,
            free: core::array::from_fn(|_| None),
            free_count: 0,
            filled: core::array::from_fn(|_| None),
            filled_head: 0,
            filled_count: 0,
        }
    }

    /// Takes an empty buffer (peer's xmit).
    fn take_free(&mut self) -> Option<PoolPage> {
        if self.free_count == 0 {
            return None;
        }
        self.free_count -= 1;
        self.free[self.free_count].take()
    }

    /// Queues a filled buffer (peer's xmit); `free` had one, so `filled` has room.
    fn push_filled(&mut self, page: PoolPage, len: u32) {
        let tail = (self.filled_head + self.filled_count) % RING;
        self.filled[tail] = Some((page, len));
        self.filled_count += 1;
    }

    fn pop_filled(&mut self) -> Option<(PoolPage, u32)> {
        if self.filled_count == 0 {
            return None;
        }
        let entry = self.filled[self.filled_head].take();
        self.filled_head = (self.filled_head + 1) % RING;
        self.filled_count -= 1;
        entry
    }

    /// Tops up the empty buffers from the pool (`owner`: its NAPI's poll).
    fn refill(&mut self, owner: &impl NapiOwner) {
        let Some(pool) = self.pool.as_ref() else {
            return;
        };
        while self.free_count + self.filled_count < RING {
            let Some(page) = pool.alloc(owner) else {
                break;
            };
            self.free[self.free_count] = Some(page);
            self.free_count += 1;
        }
    }

    /// Returns every buffer to the pool.
    fn clear(&mut self) {
        while self.take_free().is_some() {}
        while self.pop_filled().is_some() {}
    }
}

#[derive(Default)]
struct Counters {
    rx_packets: AtomicU64,
    rx_bytes: AtomicU64,
    rx_dropped: AtomicU64,
    tx_packets: AtomicU64,
    tx_bytes: AtomicU64,
    tx_dropped: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// One port. `drop` unregisters the net device and destroys the page pool; then the
/// fields drop in declaration order: NAPI is deleted while the net device it belongs to is
/// still allocated, and the net device is freed last.
#[pin_data(PinnedDrop)]
struct Port {
    /// Proof that `napi` is disabled, while the port is down (it names `napi` by address:
    /// it drops first).
    #[pin]
    napi_off: Mutex<Option<NapiOff>>,
    #[pin]
    napi: Napi<Port>,
    #[pin]
    rx: SpinLock<RxRing>,
    peer: AtomicPtr<Port>,
    counters: Counters,
    netdev: Registration<Port>,
}

impl Port {
    fn new(
        parent: &kernel::device::Device<kernel::device::Bound>,
        mac: [u8; 6],
    ) -> impl PinInit<Self, Error> + '_ {
        try_pin_init!(&this in Self {
            netdev: {
                let reg = Registration::<Port>::new(parent, 1, 1)?;
                reg.device().set_mac_address(&mac);
                reg.device().set_mtu_range(68, (MAX_FRAME - 14) as u32);
                reg
            },
            napi <- Napi::new(),
            rx <- kernel::new_spinlock!(RxRing::new(), "rust_net_vport_rx"),
            napi_off <- kernel::new_mutex!(None, "rust_net_vport_napi_off"),
            peer: AtomicPtr::new(core::ptr::null_mut()),
            counters: Counters::default(),
            _: {
                let this = this.as_ptr().cast_const();
                // SAFETY: `this` is pinned and initialised; NAPI and the net device are torn
                // down in `drop` (unregister) and by field order (NAPI) before it goes away.
                unsafe {
                    let port = &*this;
                    let off = Pin::new_unchecked(&port.napi).add(port.netdev.device(), 0, this);
                    *port.napi_off.lock() = Some(off);
                    let pool = PagePool::new_for_cpu(&port.napi, port.netdev.device(), 0, RING as u32)?;
                    port.lock_rx().0.pool = Some(pool);
                    port.netdev.register(this)?;
                    port.netdev.device().carrier_off();
                }
            },
        })
    }

    /// The RX ring's lock from process context: with bottom halves off, as the NAPI poll
    /// and the peer's xmit path take it in softirq context. The lock drops first.
    fn lock_rx(&self) -> (SpinLockGuard<'_, RxRing>, BhDisabled) {
        let bh = BhDisabled::new();
        (self.rx.lock(), bh)
    }

    fn peer(&self) -> Option<&Port> {
        let peer = self.peer.load(Ordering::Acquire);
        // SAFETY: The module links the ports after both are initialised; only a registered
        // port's operations call this, and `PortPair`'s drop unregisters both ports before
        // either is dropped.
        (!peer.is_null()).then(|| unsafe { &*peer })
    }
}

#[pinned_drop]
impl PinnedDrop for Port {
    fn drop(self: Pin<&mut Self>) {
        self.netdev.unregister();
        let pool = {
            let mut rx = self.lock_rx();
            rx.0.clear();
            rx.0.pool.take()
        };
        // Destroying the pool may sleep: not under the lock.
        drop(pool);
    }
}

impl Poll for Port {
    fn poll(&self, poll: Polling<'_>) -> Polled {
        // Nothing to complete for netpoll: sent frames are the peer's at once.
        let Some(receiving) = poll.receiving() else {
            return poll.complete_done(0).0;
        };
        let budget = receiving.budget();
        let dev = self.netdev.device();
        let mut batch: [Option<(PoolPage, u32)>; RING] = core::array::from_fn(|_| None);
        let mut taken = 0;
        {
            let mut rx = self.rx.lock();
            while taken < (budget.max(0) as usize).min(RING) {
                match rx.pop_filled() {
                    Some(entry) => batch[taken] = Some(entry),
                    None => break,
                }
                taken += 1;
            }
            rx.refill(&receiving);
        }
        for (page, len) in batch.iter_mut().filter_map(Option::take) {
            match page.into_skb(HEADROOM as u32, len, &receiving) {
                Ok(mut skb) => {
                    add(&self.counters.rx_packets, 1);
                    add(&self.counters.rx_bytes, u64::from(len));
                    skb.set_protocol_from_ethernet(dev);
                    receiving.gro_receive(skb);
                }
                Err(page) => {
                    add(&self.counters.rx_dropped, 1);
                    page.recycle_in_napi(&receiving);
                }
            }
        }
        poll.complete_done(taken as i32).0
    }
}

#[vtable]
impl netdev::Operations for Port {
    fn open(dev: &Device, this: &Self) -> Result {
        let mut napi_off = this.napi_off.lock();
        let off = napi_off.take().ok_or(EBUSY)?;
        if let Err(off) = this.napi.enable(off) {
            *napi_off = Some(off);
            return Err(EINVAL);
        }
        drop(napi_off);
        // The first poll fills the RX buffers; it runs when bottom halves come back on.
        let bh = BhDisabled::new();
        this.napi.schedule();
        drop(bh);
        dev.carrier_on();
        dev.tx_start_all();
        Ok(())
    }

    fn stop(dev: &Device, this: &Self) -> Result {
        dev.tx_disable();
        dev.carrier_off();
        if let Some(off) = this.napi.disable() {
            *this.napi_off.lock() = Some(off);
        }
        this.lock_rx().0.clear();
        Ok(())
    }

    fn start_xmit(skb: SkBuff, _dev: &Device, this: &Self, _queue: &Xmitting<'_>) -> Transmit {
        let len = skb.len();
        let sent = this
            .peer()
            .filter(|p| p.netdev.device().is_running())
            .is_some_and(|peer| {
                let data = skb.linear_data();
                if !skb.is_linear() || data.len() > MAX_FRAME {
                    return false;
                }
                let mut rx = peer.rx.lock();
                let Some(mut page) = rx.take_free() else {
                    return false;
                };
                if page.write(HEADROOM, data).is_err() {
                    return false;
                }
                rx.push_filled(page, data.len() as u32);
                drop(rx);
                peer.napi.schedule();
                true
            });
        if sent {
            add(&this.counters.tx_packets, 1);
            add(&this.counters.tx_bytes, u64::from(len));
            skb.consume_any();
        } else {
            add(&this.counters.tx_dropped, 1);
            skb.free_any();
        }
        Transmit::Done
    }

    fn get_stats64(_dev: &Device, this: &Self) -> LinkStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LinkStats {
            rx_packets: get(&this.counters.rx_packets),
            rx_bytes: get(&this.counters.rx_bytes),
            rx_dropped: get(&this.counters.rx_dropped),
            tx_packets: get(&this.counters.tx_packets),
            tx_bytes: get(&this.counters.tx_bytes),
            tx_dropped: get(&this.counters.tx_dropped),
            ..LinkStats::default()
        }
    }
}

#[pin_data]
struct VportModule {
    #[pin]
    ports: PortPair,
    _faux: faux::Registration,
}

/// The two ports; dropped before the faux device they hang off.
#[pin_data(PinnedDrop)]
struct PortPair {
    #[pin]
    a: Port,
    #[pin]
    b: Port,
}

#[pinned_drop]
impl PinnedDrop for PortPair {
    fn drop(self: Pin<&mut Self>) {
        // Each port sends into the other: neither may be freed while the other can still
        // transmit. Unregistering both first (it stops them, and waits for their xmit
        // paths) leaves no sender when `a` is freed.
        self.a.netdev.unregister();
        self.b.netdev.unregister();
    }
}

impl kernel::InPlaceModule for VportModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pin_init::pin_init_scope(move || {
            let faux = faux::Registration::new(c"rust_net_vport", None)?;
            let faux_dev: &faux::Device<kernel::device::Bound> = faux.as_ref();
            // SAFETY: The faux device is moved into the module below and dropped after the
            // ports (field order); its bound device outlives them.
            let parent: &kernel::device::Device<kernel::device::Bound> =
                unsafe { &*core::ptr::from_ref(faux_dev.as_ref()) };
            Ok(try_pin_init!(Self {
                ports <- try_pin_init!(PortPair {
                    a <- Port::new(parent, [0x02, 0, 0, 0, 0x5a, 0]),
                    b <- Port::new(parent, [0x02, 0, 0, 0, 0x5a, 1]),
                    _: {
                        let (pa, pb): (*const Port, *const Port) = (&*a, &*b);
                        a.peer.store(pb.cast_mut(), Ordering::Release);
                        b.peer.store(pa.cast_mut(), Ordering::Release);
                    },
                }),
                _faux: faux,
            }))
        })
    }
}
