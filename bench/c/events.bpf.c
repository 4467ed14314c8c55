// SPDX-License-Identifier: GPL-2.0
/*
 * The events workload's producer: ctx[0] events a run, numbered from ctx[1],
 * each stamped with bpf_ktime_get_ns() when reserved; ctx[2] says how often
 * it wakes the reader. The same program feeds
 * the C consumer and bpfmaps.
 */
#include "../bench.h"

#define unused __attribute__((unused))

struct batch {
	__u64 first;
	/* 0: submit as the header does (the kernel wakes the reader when it has caught up);
	 * N: wake it every N events only, as high-rate producers do. */
	__u64 wakeup_every;
};

static long emit_one(__u64 i, struct batch *b)
{
	struct bench_event *e = events_reserve();
	__u64 seq = b->first + i;

	if (!e)
		return 0; /* counted in events_drops: go on */
	e->seq = seq;
	e->ts = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	e->pid = 4242;
	__builtin_memcpy(e->comm, "bench-producer", 15);
	if (!b->wakeup_every)
		events_submit(e);
	else
		bpf_ringbuf_submit(e, seq % b->wakeup_every == b->wakeup_every - 1 ? BPF_RB_FORCE_WAKEUP
										  : BPF_RB_NO_WAKEUP);
	return 0;
}

/* ctx: how many events, the first one's seq, and how often to wake the reader (0: as the kernel decides). */
SEC("raw_tp")
int produce(__u64 *ctx)
{
	struct batch b = { ctx[1], ctx[2] };

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
