// SPDX-License-Identifier: GPL-2.0

/*
 * Helpers for the net_device, NAPI, sk_buff and streaming DMA abstractions
 * in rust/kernel/net/ (used by iflib).
 */

#include <linux/dma-mapping.h>
#include <linux/error-injection.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/if_vlan.h>
#include <linux/skbuff.h>
#include <net/ip6_checksum.h>
#include <net/netdev_queues.h>
#include <net/tcp.h>

#ifdef CONFIG_RUST_NET_ABSTRACTIONS

__rust_helper unsigned int rust_helper_cpumask_first_and(const struct cpumask *srcp1,
							  const struct cpumask *srcp2)
{
	return cpumask_first_and(srcp1, srcp2);
}

__rust_helper void *rust_helper_netdev_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

__rust_helper void rust_helper_eth_hw_addr_set(struct net_device *dev,
					       const u8 *addr)
{
	eth_hw_addr_set(dev, addr);
}

__rust_helper bool rust_helper_netif_carrier_ok(const struct net_device *dev)
{
	return netif_carrier_ok(dev);
}

__rust_helper bool rust_helper_netif_running(const struct net_device *dev)
{
	return netif_running(dev);
}

__rust_helper void rust_helper_netif_addr_lock_bh(struct net_device *dev)
{
	netif_addr_lock_bh(dev);
}

__rust_helper void rust_helper_netif_addr_unlock_bh(struct net_device *dev)
{
	netif_addr_unlock_bh(dev);
}

__rust_helper struct netdev_queue *
rust_helper_netdev_get_tx_queue(const struct net_device *dev, unsigned int index)
{
	return netdev_get_tx_queue(dev, index);
}

__rust_helper void rust_helper_netif_tx_start_all_queues(struct net_device *dev)
{
	netif_tx_start_all_queues(dev);
}

__rust_helper void rust_helper_netif_tx_wake_all_queues(struct net_device *dev)
{
	netif_tx_wake_all_queues(dev);
}

__rust_helper void rust_helper_netif_tx_disable(struct net_device *dev)
{
	netif_tx_disable(dev);
}

/*
 * The pieces of the lockless stop/wake macros (netif_txq_maybe_stop(),
 * netif_txq_completed_wake()), which Rust puts together around its own
 * reading of the free entries.
 */
__rust_helper void rust_helper_netif_tx_stop_queue(struct netdev_queue *txq)
{
	netif_tx_stop_queue(txq);
}

__rust_helper void rust_helper_netif_tx_start_queue(struct netdev_queue *txq)
{
	netif_tx_start_queue(txq);
}

__rust_helper bool rust_helper_netif_tx_queue_stopped(const struct netdev_queue *txq)
{
	return netif_tx_queue_stopped(txq);
}

__rust_helper void rust_helper_netdev_txq_completed_mb(struct netdev_queue *txq,
						      unsigned int pkts,
						      unsigned int bytes)
{
	netdev_txq_completed_mb(txq, pkts, bytes);
}

/*
 * Accounts @bytes queued to the hardware (BQL) from ndo_start_xmit; true if
 * the doorbell is due now (no more packets coming, or the queue stopped).
 */
__rust_helper bool rust_helper_netdev_tx_sent_queue_xmit(struct netdev_queue *txq,
							 unsigned int bytes)
{
	return __netdev_tx_sent_queue(txq, bytes, netdev_xmit_more());
}

/* The stack's own check of a packet's offloads against its 802.1Q tags. */
__rust_helper netdev_features_t rust_helper_vlan_features_check(struct sk_buff *skb,
								netdev_features_t features)
{
	return vlan_features_check(skb, features);
}

/* From ndo_start_xmit: more packets follow this one at once (doorbell may wait). */
__rust_helper bool rust_helper_netdev_xmit_more(void)
{
	return netdev_xmit_more();
}

__rust_helper void rust_helper_netdev_tx_reset_queue(struct netdev_queue *txq)
{
	netdev_tx_reset_queue(txq);
}

__rust_helper void rust_helper_netif_napi_add_config(struct net_device *dev,
						     struct napi_struct *napi,
						     int (*poll)(struct napi_struct *, int),
						     int index)
{
	netif_napi_add_config(dev, napi, poll, index);
}

__rust_helper void rust_helper_netif_napi_del(struct napi_struct *napi)
{
	netif_napi_del(napi);
}

__rust_helper void rust_helper_netif_napi_set_irq(struct napi_struct *napi, int irq)
{
	netif_napi_set_irq(napi, irq);
}

__rust_helper bool rust_helper_napi_schedule(struct napi_struct *napi)
{
	return napi_schedule(napi);
}

__rust_helper unsigned int rust_helper_skb_data_align(unsigned int len)
{
	return SKB_DATA_ALIGN(len);
}

__rust_helper gro_result_t rust_helper_napi_gro_receive(struct napi_struct *napi,
						   struct sk_buff *skb)
{
	return napi_gro_receive(napi, skb);
}

/* Fields inside struct groups and bitfields are set on the C side. */
__rust_helper void rust_helper_skb_set_protocol_eth(struct sk_buff *skb,
						    struct net_device *dev)
{
	skb->protocol = eth_type_trans(skb, dev);
}

__rust_helper void rust_helper_skb_set_checksum_unnecessary(struct sk_buff *skb)
{
	skb->ip_summed = CHECKSUM_UNNECESSARY;
}

__rust_helper void rust_helper_skb_set_hash(struct sk_buff *skb, __u32 hash,
					    enum pkt_hash_types type)
{
	skb_set_hash(skb, hash, type);
}

/* Appends a page fragment to a received packet; false when the packet is full. */
__rust_helper bool rust_helper_skb_append_rx_frag(struct sk_buff *skb,
						  struct page *page,
						  unsigned int off,
						  unsigned int size,
						  unsigned int truesize)
{
	if (skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS)
		return false;
	skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, off, size, truesize);
	return true;
}

/*
 * Readies a TCP segmentation offload packet for hardware that rewrites the
 * IP length and checksum and the TCP checksum of every segment: zeroes the
 * IP length (and the IPv4 header checksum) and seeds the TCP checksum with
 * the pseudo-header sum without length. Returns 0 for a packet that is not
 * GSO, 1 with the parameters filled in, or a negative errno (GSO other than
 * TCP, or no memory to unshare the headers).
 */
__rust_helper int rust_helper_skb_tso_prepare(struct sk_buff *skb, u32 *mss,
					      u32 *header_len,
					      u32 *network_offset,
					      u32 *transport_offset,
					      u32 *segments, bool *ipv6)
{
	unsigned int type;
	int err;

	if (!skb_is_gso(skb))
		return 0;
	type = skb_shinfo(skb)->gso_type;
	if (!(type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6)))
		return -EINVAL;
	err = skb_cow_head(skb, 0);
	if (err < 0)
		return err;
	if (type & SKB_GSO_TCPV4) {
		struct iphdr *iph = ip_hdr(skb);

		iph->tot_len = 0;
		iph->check = 0;
		tcp_hdr(skb)->check = ~csum_tcpudp_magic(iph->saddr, iph->daddr,
							 0, IPPROTO_TCP, 0);
		*ipv6 = false;
	} else {
		tcp_v6_gso_csum_prep(skb);
		*ipv6 = true;
	}
	*mss = skb_shinfo(skb)->gso_size;
	*header_len = skb_tcp_all_headers(skb);
	*network_offset = skb_network_offset(skb);
	*transport_offset = skb_transport_offset(skb);
	*segments = skb_shinfo(skb)->gso_segs;
	return 1;
}

/* The fields sit inside a struct_group: set them on the C side. */
__rust_helper void rust_helper_ethtool_pause_stats_set(struct ethtool_pause_stats *stats,
						       u64 tx_frames, u64 rx_frames)
{
	stats->tx_pause_frames = tx_frames;
	stats->rx_pause_frames = rx_frames;
}

__rust_helper unsigned int rust_helper_skb_nr_frags(const struct sk_buff *skb)
{
	return skb_shinfo(skb)->nr_frags;
}

/*
 * Maps the linear part of @skb for the device to read: 0 with the bus
 * address in @addr, or -ENOMEM. Tests fail it on demand (fail_function),
 * as a mapping the IOMMU or the bounce buffers refused.
 */
__rust_helper int rust_helper_skb_dma_map_head(struct device *dev, struct sk_buff *skb,
					      dma_addr_t *addr)
{
	*addr = dma_map_single(dev, skb->data, skb_headlen(skb), DMA_TO_DEVICE);
	return dma_mapping_error(dev, *addr);
}
#ifndef CONFIG_RUST_INLINE_HELPERS
/* Inlined helpers have no one symbol to fail. */
ALLOW_ERROR_INJECTION(rust_helper_skb_dma_map_head, ERRNO);
#endif

/*
 * Maps page fragment @i of @skb for the device to read: 0 with the bus
 * address in @addr and the size in @len, or -ENOMEM.
 */
__rust_helper int rust_helper_skb_frag_dma_map_nth(struct device *dev,
						  const struct sk_buff *skb,
						  unsigned int i, dma_addr_t *addr,
						  unsigned int *len)
{
	const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

	*len = skb_frag_size(frag);
	*addr = skb_frag_dma_map(dev, frag, 0, *len, DMA_TO_DEVICE);
	return dma_mapping_error(dev, *addr);
}

__rust_helper void rust_helper_skb_set_rx_vlan_tci(struct sk_buff *skb, u16 tci)
{
	__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), tci);
}

/*
 * A packet around a page_pool buffer of @truesize bytes at @data: @headroom
 * bytes, then @len bytes of frame; recycled into its pool when freed.
 */
__rust_helper struct sk_buff *rust_helper_napi_build_pool_skb(void *data, unsigned int truesize,
							      unsigned int headroom,
							      unsigned int len)
{
	struct sk_buff *skb = napi_build_skb(data, truesize);

	if (unlikely(!skb))
		return NULL;
	skb_reserve(skb, headroom);
	__skb_put(skb, len);
	skb_mark_for_recycle(skb);
	return skb;
}

__rust_helper int rust_helper_skb_linearize(struct sk_buff *skb)
{
	return skb_linearize(skb);
}

__rust_helper void rust_helper_dev_kfree_skb_any(struct sk_buff *skb)
{
	dev_kfree_skb_any(skb);
}

__rust_helper dma_addr_t rust_helper_dma_map_single_attrs(struct device *dev,
							  void *ptr, size_t size,
							  enum dma_data_direction dir,
							  unsigned long attrs)
{
	return dma_map_single_attrs(dev, ptr, size, dir, attrs);
}

__rust_helper void rust_helper_dma_unmap_page_attrs(struct device *dev,
						    dma_addr_t addr, size_t size,
						    enum dma_data_direction dir,
						    unsigned long attrs)
{
	dma_unmap_page_attrs(dev, addr, size, dir, attrs);
}

__rust_helper int rust_helper_dma_mapping_error(struct device *dev,
						dma_addr_t addr)
{
	return dma_mapping_error(dev, addr);
}

__rust_helper void rust_helper_local_bh_disable(void)
{
	local_bh_disable();
}

__rust_helper void rust_helper_local_bh_enable(void)
{
	local_bh_enable();
}

#endif /* CONFIG_RUST_NET_ABSTRACTIONS */
