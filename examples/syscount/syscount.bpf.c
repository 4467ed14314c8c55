// SPDX-License-Identifier: GPL-2.0
/*
 * syscount.bpf.c: counts every syscall entry per process (or per syscall
 * only) and syscall number. Written against vmlinux.h; configured before
 * load through the .rodata globals of maps.h, attached by its section.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "maps.h"

SEC("tp/raw_syscalls/sys_enter")
int count_syscall(struct trace_event_raw_sys_enter *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct syscall_key key = {};

	if (filter_pid && pid != filter_pid)
		return 0;
	key.pid = by_process ? pid : 0;
	key.nr = ctx->id;
	struct syscall_stats *stats = syscalls_lookup_or_init(&key);
	if (!stats) {
		__sync_fetch_and_add(&missed, 1); /* the map is full */
		return 0;
	}
	if (by_process && stats->comm[0] == 0)
		bpf_get_current_comm(stats->comm, sizeof(stats->comm));
	syscalls_add_count(stats, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
