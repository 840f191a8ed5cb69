// SPDX-License-Identifier: GPL-2.0

/* Helpers for the page_pool abstraction in rust/kernel/net/page_pool.rs. */

#include <net/page_pool/helpers.h>

#ifdef CONFIG_RUST_NET_ABSTRACTIONS

/*
 * A page, as page_pool_dev_alloc_pages() gives, but through the exported
 * page_pool_alloc_netmems() itself: page_pool_alloc_pages() has it inlined,
 * so the error injection point it carries (debugfs fail_function, as the
 * upstream hw/pp_alloc_fail.py test uses) would never reach these pools.
 * They have no memory provider: every netmem is a page.
 */
__rust_helper struct page *rust_helper_page_pool_dev_alloc_page(struct page_pool *pool)
{
	return netmem_to_page(page_pool_dev_alloc_netmems(pool));
}

__rust_helper dma_addr_t rust_helper_page_pool_get_dma_addr(const struct page *page)
{
	return page_pool_get_dma_addr(page);
}

/*
 * Makes @len bytes at @offset of @page, written by the device, visible to the
 * CPU. @offset counts from the page's start, as in the sync for the device
 * below; page_pool_dma_sync_for_cpu() counts it from the pool's offset
 * instead. Pages of a pool without DMA mapping need no sync.
 */
__rust_helper void rust_helper_page_pool_sync_for_cpu(const struct page_pool *pool,
						      const struct page *page,
						      u32 offset, u32 len)
{
	if (!pool->dma_map)
		return;
	dma_sync_single_range_for_cpu(pool->p.dev, page_pool_get_dma_addr(page),
				      offset, len, page_pool_get_dma_dir(pool));
}

__rust_helper void rust_helper_page_pool_put_full_page(struct page_pool *pool,
						       struct page *page,
						       bool allow_direct)
{
	page_pool_put_full_page(pool, page, allow_direct);
}

/*
 * The parameters are struct groups (anonymous unions in Rust): fill them here.
 * With a DMA device the pool maps pages for DMA_FROM_DEVICE (both ways when
 * @bidirectional: the device may also send them, as XDP_TX does) and syncs
 * them for the device; without one (software devices) pages are plain memory.
 */
__rust_helper struct page_pool *
rust_helper_page_pool_create_for_rx(struct device *dev, struct napi_struct *napi,
				    struct net_device *netdev, unsigned int queue_idx,
				    unsigned int pool_size, unsigned int offset,
				    unsigned int max_len, bool bidirectional)
{
	struct page_pool_params pp = {
		.flags = dev ? PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV : 0,
		.order = 0,
		.pool_size = pool_size,
		.nid = dev ? dev_to_node(dev) : NUMA_NO_NODE,
		.dev = dev,
		.napi = napi,
		.netdev = netdev,
		.queue_idx = queue_idx,
		.dma_dir = bidirectional ? DMA_BIDIRECTIONAL : DMA_FROM_DEVICE,
		.offset = offset,
		.max_len = max_len,
	};

	return page_pool_create(&pp);
}

/*
 * Makes @len bytes at @offset of @page (from the page's start), written by the
 * CPU, visible to the device.
 */
__rust_helper void rust_helper_page_pool_sync_for_device(const struct page_pool *pool,
							 const struct page *page,
							 u32 offset, u32 len)
{
	if (!pool->dma_map)
		return;
	dma_sync_single_for_device(pool->p.dev, page_pool_get_dma_addr(page) + offset,
				   len, page_pool_get_dma_dir(pool));
}

__rust_helper void *rust_helper_page_address(const struct page *page)
{
	return page_address(page);
}

#endif /* CONFIG_RUST_NET_ABSTRACTIONS */
