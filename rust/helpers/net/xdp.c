// SPDX-License-Identifier: GPL-2.0

/* Helpers for the XDP abstraction in rust/kernel/net/xdp.rs. */

#include <linux/bpf_trace.h>
#include <linux/filter.h>
#include <linux/netdevice.h>
#include <net/xdp.h>

#ifdef CONFIG_RUST_NET_ABSTRACTIONS

/*
 * Points @xdp at a received frame of @len bytes, @headroom bytes into a
 * buffer of @frame_sz bytes at @hard_start, with room for metadata before it.
 */
__rust_helper void rust_helper_xdp_frame_init(struct xdp_buff *xdp,
					      struct xdp_rxq_info *rxq,
					      void *hard_start, u32 frame_sz,
					      u32 headroom, u32 len)
{
	xdp_init_buff(xdp, frame_sz, rxq);
	xdp_prepare_buff(xdp, hard_start, headroom, len, true);
}

__rust_helper u32 rust_helper_bpf_prog_run_xdp(const struct bpf_prog *prog,
					       struct xdp_buff *xdp)
{
	return bpf_prog_run_xdp(prog, xdp);
}

__rust_helper void rust_helper_trace_xdp_exception(const struct net_device *dev,
						   const struct bpf_prog *prog,
						   u32 act)
{
	trace_xdp_exception(dev, prog, act);
}

/* The stack's TX lock of @txq, from softirq context (as the xmit path takes it). */
__rust_helper void rust_helper_netif_tx_lock_softirq(struct netdev_queue *txq)
{
	__netif_tx_lock(txq, smp_processor_id());
}

__rust_helper void rust_helper_netif_tx_unlock_softirq(struct netdev_queue *txq)
{
	__netif_tx_unlock(txq);
}

/* Takes and releases @txq's TX lock from process context: its holders are done. */
__rust_helper void rust_helper_netif_tx_wait_for_lock_holders(struct netdev_queue *txq)
{
	__netif_tx_lock_bh(txq);
	__netif_tx_unlock_bh(txq);
}

__rust_helper void rust_helper_txq_trans_cond_update(struct netdev_queue *txq)
{
	txq_trans_cond_update(txq);
}

#endif /* CONFIG_RUST_NET_ABSTRACTIONS */
