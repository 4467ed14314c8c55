// SPDX-License-Identifier: GPL-2.0
/*
 * The events workload's producer: ctx[0] events a run, numbered from ctx[1],
 * each stamped with bpf_ktime_get_ns() when reserved. The same program feeds
 * the C consumer and bpfmaps.
 */
#include "../bench.h"

#define unused __attribute__((unused))

struct batch {
	__u64 first;
};

static long emit_one(__u64 i, struct batch *b)
{
	struct bench_event *e = events_reserve();

	if (!e)
		return 0; /* counted in events_drops: go on */
	e->seq = b->first + i;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = 4242;
	__builtin_memcpy(e->comm, "bench-producer", 15);
	events_submit(e);
	return 0;
}

SEC("raw_tp")
int produce(__u64 *ctx)
{
	struct batch b = { ctx[1] };

	bpf_loop(ctx[0], emit_one, &b, 0);
	return 0;
}

/* The end marker (seq 2^48 - 1): returns 1 while the ring has no room for it. */
SEC("raw_tp")
int produce_end(void *ctx unused)
{
	struct bench_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 1;
	__builtin_memset(e, 0, sizeof(*e));
	e->seq = (1ULL << 48) - 1;
	e->ts = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
