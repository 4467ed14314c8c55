// SPDX-License-Identifier: GPL-2.0
/*
 * flow.bpf.c: counts packets and bytes per IPv4 or IPv6 flow, and drops
 * malformed packets and packets to a blocked port, counting the drops per CPU.
 * The key and value structs and the maps come from maps.h, generated from
 * maps.schema.ts, so this program and the TypeScript reader cannot disagree
 * on the layout.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

/* Traffic to the discard port is dropped (and counted as BLOCKED_PORT). */
#define BLOCKED_PORT 9

static __always_inline int drop(enum drop_reason reason, __u64 bytes)
{
	__u32 index = reason;
	struct drop_stats *d = drops_lookup(&index);
	if (d) {
		/* A per-CPU value belongs to this CPU alone: a plain add is safe. */
		d->packets += 1;
		d->bytes += bytes;
	}
	return XDP_DROP;
}

/* Reads the ports at l4 into the key; returns -1 when the header is truncated. */
static __always_inline int ports(struct flow_key *key, void *l4, void *data_end)
{
	if (key->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > data_end)
			return -1;
		key->sport = tcp->source;
		key->dport = tcp->dest;
	} else if (key->proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > data_end)
			return -1;
		key->sport = udp->source;
		key->dport = udp->dest;
	}
	return 0;
}

SEC("xdp")
int count_flows(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	struct ethhdr *eth = data;
	struct flow_key key = {};
	void *l4;

	if ((void *)(eth + 1) > data_end)
		return drop(DROP_REASON_MALFORMED, len);
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return drop(DROP_REASON_MALFORMED, len);
		key.family = 4;
		key.saddr.v4 = ip->saddr;
		key.daddr.v4 = ip->daddr;
		key.proto = ip->protocol;
		l4 = (void *)ip + ip->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return drop(DROP_REASON_MALFORMED, len);
		key.family = 6;
		__builtin_memcpy(key.saddr.v6, &ip6->saddr, 16);
		__builtin_memcpy(key.daddr.v6, &ip6->daddr, 16);
		key.proto = ip6->nexthdr;
		l4 = ip6 + 1;
	} else {
		return XDP_PASS;
	}
	if (ports(&key, l4, data_end) < 0)
		return drop(DROP_REASON_MALFORMED, len);
	if (key.dport == bpf_htons(BLOCKED_PORT))
		return drop(DROP_REASON_BLOCKED_PORT, len);

	struct flow_stats *stats = flows_lookup_or_init(&key);
	if (!stats)
		return XDP_PASS;
	/* In place and atomic: concurrent CPUs never lose an increment. */
	flows_add_packets(stats, 1);
	flows_add_bytes(stats, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
