// SPDX-License-Identifier: GPL-2.0
/*
 * XDP programs for em_xdp.sh. Each acts on UDP datagrams to port 9 over
 * IPv4 (what pktgen sends) and passes every other frame; the Makefile builds
 * one object per action:
 *   xdp_drop.bpf.o     XDP_DROP
 *   xdp_abort.bpf.o    XDP_ABORTED
 *   xdp_reflect.bpf.o  XDP_TX, the Ethernet addresses swapped
 *   xdp_redirect.bpf.o XDP_REDIRECT to interface index REDIRECT_IFINDEX
 *   xdp_hairpin.bpf.o  XDP_REDIRECT to the interface it came in on, the
 *                      Ethernet addresses swapped
 * Section "xdp" in each, for "ip link set dev DEV xdpdrv obj FILE sec xdp".
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#define SEC(name) __attribute__((section(name), used))

#if defined(REDIRECT_IFINDEX) || defined(HAIRPIN)
static long (*bpf_redirect)(__u32 ifindex, __u64 flags) = (void *)BPF_FUNC_redirect;
#endif

static __always_inline int udp_port9(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;

	if ((void *)(ip + 1) > data_end || eth->h_proto != __builtin_bswap16(ETH_P_IP) ||
	    ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return 0;
	udp = (void *)(ip + 1);
	return (void *)(udp + 1) <= data_end && udp->dest == __builtin_bswap16(9);
}

SEC("xdp")
int xdp_udp9(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (!udp_port9(data, data_end))
		return XDP_PASS;
#if defined(REFLECT) || defined(HAIRPIN)
	{
		struct ethhdr *eth = data;
		unsigned char dest[ETH_ALEN];

		__builtin_memcpy(dest, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, dest, ETH_ALEN);
	}
#endif
#if defined(REFLECT)
	return XDP_TX;
#elif defined(HAIRPIN)
	return bpf_redirect(ctx->ingress_ifindex, 0);
#elif defined(REDIRECT_IFINDEX)
	return bpf_redirect(REDIRECT_IFINDEX, 0);
#else
	return VERDICT;
#endif
}

char _license[] SEC("license") = "GPL";
