// SPDX-License-Identifier: GPL-2.0
/* counter.bpf.c: counts frames per EtherType, in the map the shared schema declares. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

SEC("xdp")
int count_ethertype(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	__be16 type = eth->h_proto;
	struct ether_stats *stats = by_ethertype_lookup_or_init(&type);
	if (stats) {
		by_ethertype_add_packets(stats, 1);
		by_ethertype_add_bytes(stats, data_end - data);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
