// SPDX-License-Identifier: GPL-2.0
/* firewall.bpf.c: drops IPv4 packets whose source matches the blocklist (longest prefix). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

SEC("xdp")
int filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct cidr key = { .prefixlen = 32, .addr = ip->saddr };
	struct rule *rule = blocklist_lookup(&key);
	if (!rule)
		return XDP_PASS;
	blocklist_add_hits(rule, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
